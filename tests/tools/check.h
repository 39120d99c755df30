/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The case harness of muse-peer, the one test peer: every target is a
 * table of cases, each run by run_case(), which prints one line for it,
 * "PASS name", "FAIL name: why" or "SKIP name: why".  A case may report
 * checks of its own on the way, in the same form (result()); one failed
 * check fails the case.  check_summary() ends the run: exit status 0
 * only if nothing failed.
 */
#ifndef CHECK_H
#define CHECK_H

#include <stdbool.h>
#include <stddef.h>

/* A case: run returns NULL (passed, or skipped) or why it failed. */
struct peer_case {
	const char *name;
	const char *(*run)(void);
};

/* A target: the cases of one thing under test (muse-peer.c). */
struct peer_target {
	const char *name;
	const char *help;
	const struct peer_case *cases;
	size_t count;
};

#define PEER_TARGET(name, help, cases) \
	{ name, help, cases, sizeof(cases) / sizeof((cases)[0]) }

/* FAIL lines so far, checks and cases. */
extern int check_failures;
/* Set by a case that cannot run here: why.  Reported SKIP unless it failed. */
extern const char *skip_reason;
/* -v: the cases' notes on stderr. */
extern bool peer_verbose;

/* Report a check within a case; fmt (printf style, may be NULL) says why
 * it failed. */
void result(const char *name, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A case's note on stderr, with -v only. */
void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Run one case and print its line. */
void run_case(const struct peer_case *c);

/* The summary line; returns the exit status (0 or 1). */
int check_summary(void);

/*
 * The state letter of thread @tid of this process, as /proc/self/task/
 * TID/stat gives it ('S' asleep, 'D' uninterruptible, ...), '?' if it
 * cannot be read.
 */
char task_state(int tid);

#endif /* CHECK_H */
