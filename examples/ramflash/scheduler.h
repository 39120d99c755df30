/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ramflash's deadline scheduler: completions that must not run before a
 * given time, run by one thread of its own, earliest deadline first.
 *
 * Why it exists: the latency model answers a request no earlier than a
 * chip would, without a libmuse worker asleep per request.  The server
 * does the operation at once, keeps the request and hands its reply to
 * the scheduler as an opaque completion (a function, its context and a
 * deadline), so this unit knows nothing of libmuse and is tested alone
 * (tests/ramflash/test-scheduler.c).
 *
 * Order: by deadline; entries with the same deadline in the order they
 * were added (FIFO).  A completion runs on the scheduler's thread,
 * without its lock held, so it may block briefly or add another entry.
 *
 * Hold: while the hold hook says so (the control socket's freeze), no
 * completion runs, even past its deadline; rf_sched_thaw() tells the
 * thread to look again, and what is due then runs at once.
 *
 * Stop: rf_sched_stop() runs every entry still waiting at once, in
 * deadline order, held or not, before it returns (see scheduler.c for why).
 *
 * The state lives in struct rf_sched, owned by its user (the server
 * object): there is no file-scope state, so any number can run.
 */
#ifndef RAMFLASH_SCHEDULER_H
#define RAMFLASH_SCHEDULER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A completion: called once, on the scheduler's thread. */
typedef void rf_sched_fn(void *ctx);

/* What the user plugs in; every member is optional. */
struct rf_sched_hooks {
	/* Nanoseconds on a monotonic clock; NULL: CLOCK_MONOTONIC. */
	uint64_t (*now)(void *arg);
	/* True while completions must wait (a freeze); NULL: never. */
	bool (*held)(void *arg);
	void *arg;			/* of both */
};

struct rf_sched_entry {
	uint64_t due_ns;		/* on the hooks' clock */
	uint64_t seq;			/* order of adding: FIFO among equals */
	rf_sched_fn *fn;
	void *ctx;
};

struct rf_sched {
	struct rf_sched_hooks hooks;
	pthread_mutex_t lock;		/* every field below */
	pthread_cond_t cond;		/* on CLOCK_MONOTONIC */
	struct rf_sched_entry *heap;	/* a min-heap: heap[0] is due first */
	size_t count, size;
	uint64_t seq;
	bool stopping;
	/*
	 * Set by start, cleared by stop (the owner's calls), read unlocked
	 * by rf_sched_add() and rf_sched_thaw(): the lock lives only while
	 * it is set.
	 */
	atomic_bool running;
	pthread_t thread;
};

/**
 * rf_sched_init() - a scheduler that is not running (rf_sched_add()
 * refuses); allocates nothing, so there is nothing to free until
 * rf_sched_start().
 * @s:		the scheduler.
 * @hooks:	the clock and the hold; copied; NULL for the defaults.
 */
void rf_sched_init(struct rf_sched *s, const struct rf_sched_hooks *hooks);

/**
 * rf_sched_start() - start the thread.
 * @s: an initialised scheduler that is not running.
 *
 * Return: 0, or the negative errno of pthread_create() and the like
 * (then nothing is left to stop).
 */
int rf_sched_start(struct rf_sched *s);

/**
 * rf_sched_stop() - run every waiting completion now, in deadline order
 * and regardless of the hold, end the thread and free the heap.  Nothing
 * is left waiting when it returns; the scheduler can be started again.
 * Does nothing if it is not running.  No thread but the scheduler's own
 * (its completions) may call rf_sched_add() once rf_sched_stop() may
 * have returned.
 * @s: the scheduler.
 */
void rf_sched_stop(struct rf_sched *s);

/**
 * rf_sched_add() - run @fn(@ctx) once @due_ns has come and nothing holds
 * it.  From any thread, completions included.
 * @s:		the scheduler.
 * @due_ns:	the deadline on the hooks' clock (rf_sched_now()); one
 *		already past runs as soon as the thread gets to it.
 * @fn:		the completion.
 * @ctx:	its argument.
 *
 * Return: 0, after which @fn runs exactly once; or, with @fn never
 * called (the caller completes the work itself): -ESRCH if the scheduler
 * is not running, -ESHUTDOWN once rf_sched_stop() began (a completion
 * that adds while stopping could otherwise keep the stop from ending),
 * -ENOMEM if the heap cannot grow.
 */
int rf_sched_add(struct rf_sched *s, uint64_t due_ns, rf_sched_fn *fn,
		 void *ctx);

/* rf_sched_now() - the scheduler's clock, in nanoseconds. */
uint64_t rf_sched_now(const struct rf_sched *s);

/* rf_sched_running() - whether rf_sched_add() can accept entries. */
bool rf_sched_running(struct rf_sched *s);

/**
 * rf_sched_thaw() - the hold was lifted, or the clock jumped: the thread
 * looks again at once instead of at the next deadline.  Its signature is
 * the control socket's thaw hook (struct rf_ctl.thaw).
 * @sched: the struct rf_sched.
 */
void rf_sched_thaw(void *sched);

#endif /* RAMFLASH_SCHEDULER_H */
