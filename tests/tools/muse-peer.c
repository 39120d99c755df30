// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * muse-peer: the /dev/muse peer of the kernel-facing tests.  Each target
 * is a table of cases (check.h): "muse-peer TARGET" runs them all,
 * "muse-peer TARGET CASE..." those named, "muse-peer TARGET --list" names
 * them.  One line per case, PASS, FAIL or SKIP, with the checks of a case
 * before its line, then a summary; exit status 1 when anything failed, 2
 * on a usage error.  Needs muse.ko loaded and root.
 *
 * The raw targets (init, devices, replies, sweep, lifetime) are peers
 * built on tests/lib/rawpeer, no libmuse, so that they can break the
 * protocol; passthrough and program are libmuse servers.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cases.h"
#include "rawpeer.h"

static const struct peer_case init_cases[] = {
	{ "replies", case_init_replies },
	{ "race", case_init_race },
};

static const struct peer_case device_cases[] = {
	{ "table", case_device_table },
};

static const struct peer_case reply_cases[] = {
	{ "io", case_replies_io },
	{ "timeout", case_replies_timeout },
};

static const struct peer_case sweep_cases[] = {
	{ "values", case_sweep },
};

static const struct peer_case lifetime_cases[] = {
	{ "exiting-child", case_exiting_child },
	{ "copy-kill", case_copy_kill },
	{ "copy-timeout", case_copy_timeout },
	{ "register-fail", case_register_fail },
	{ "register-death", case_register_death },
	{ "registered", case_registered },
};

static const struct peer_target target_init = PEER_TARGET("init",
	"INIT replies, valid and malformed (replies); ioctls racing\n"
	"               the INIT write, $INIT_RACE_ROUNDS rounds, else 2000 (race)",
	init_cases);
static const struct peer_target target_devices = PEER_TARGET("devices",
	"tests/lib's table of device descriptions, judged as libmuse\n"
	"               judges them; wants no other MTD registered (table)",
	device_cases);
static const struct peer_target target_replies = PEER_TARGET("replies",
	"malformed I/O replies to a forked MTD user on the \"badpeer\"\n"
	"               NAND (io); a request past its connection's timeout (timeout)",
	reply_cases);
static const struct peer_target target_sweep = PEER_TARGET("sweep",
	"every class of reply value against READ/WRITE/ERASE/ISBAD,\n"
	"               through JFFS2 (mounts one) and mtdchar (values)",
	sweep_cases);
static const struct peer_target target_lifetime = PEER_TARGET("lifetime",
	"a connection, request or registration lost or wedged: an\n"
	"               exiting child, a copy killed or timed out, a failed\n"
	"               registration (load mtdblock first), a dying server,\n"
	"               MUSE_REGISTERED",
	lifetime_cases);

static const struct peer_target *const targets[] = {
	&target_init, &target_devices, &target_replies, &target_sweep,
	&target_lifetime, &target_passthrough, &target_program,
};

#define N_TARGETS (sizeof(targets) / sizeof(targets[0]))

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: muse-peer [-v] TARGET [--list | CASE...]\n\n"
		   "targets:\n");
	for (i = 0; i < N_TARGETS; i++)
		fprintf(f, "  %-12s %s\n", targets[i]->name, targets[i]->help);
}

static const struct peer_case *find_case(const struct peer_target *t,
					 const char *name)
{
	size_t i;

	for (i = 0; i < t->count; i++)
		if (!strcmp(t->cases[i].name, name))
			return &t->cases[i];
	return NULL;
}

int main(int argc, char **argv)
{
	const struct peer_target *t = NULL;
	int a = 1, first;
	size_t i;

	if (a < argc && !strcmp(argv[a], "-v")) {
		peer_verbose = rp_verbose = true;
		a++;
	}
	if (a < argc && (!strcmp(argv[a], "-h") || !strcmp(argv[a], "--help"))) {
		usage(stdout);
		return 0;
	}
	for (i = 0; a < argc && i < N_TARGETS; i++)
		if (!strcmp(argv[a], targets[i]->name))
			t = targets[i];
	if (!t) {
		usage(stderr);
		return 2;
	}
	first = ++a;
	if (a + 1 == argc && !strcmp(argv[a], "--list")) {
		for (i = 0; i < t->count; i++)
			puts(t->cases[i].name);
		return 0;
	}
	/* Every name first: a typo must not wait for the cases before it. */
	for (; a < argc; a++)
		if (!find_case(t, argv[a])) {
			fprintf(stderr, "muse-peer: %s has no case %s\n",
				t->name, argv[a]);
			return 2;
		}
	signal(SIGPIPE, SIG_IGN);
	if (first == argc)
		for (i = 0; i < t->count; i++)
			run_case(&t->cases[i]);
	for (a = first; a < argc; a++)
		run_case(find_case(t, argv[a]));
	return check_summary();
}
