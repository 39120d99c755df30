// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ramflash's deadline scheduler alone, without libmuse: deadline order,
 * FIFO among equal deadlines, the hold (the control socket's freeze) and
 * its thaw, stop with entries waiting, heap growth and its failure, and
 * completions that add entries.
 *
 * The clock is the test's own (struct rf_sched_hooks.now) and only moves
 * when a test moves it, so nothing waits on real time for a deadline and
 * a loaded machine changes nothing but how long the test takes; every
 * wait for the scheduler's thread is for an event, with a generous
 * timeout that only a broken scheduler reaches.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "scheduler.h"

/* The most completions one test records. */
#define T_MAX		20000
/* How long the scheduler's thread may take to get to what it must do. */
#define T_PATIENCE_S	30
/* Where the test's clock starts: not 0, so a wrap to "past" shows. */
#define T_EPOCH		1000000

/*
 * --wrap=realloc (tests/ramflash/meson.build): the scheduler's heap
 * allocations come here, and fail while t_realloc_fails is set.
 */
void *__real_realloc(void *ptr, size_t size);
void *__wrap_realloc(void *ptr, size_t size);
static atomic_bool t_realloc_fails;

void *__wrap_realloc(void *ptr, size_t size)
{
	if (atomic_load(&t_realloc_fails))
		return NULL;
	return __real_realloc(ptr, size);
}

struct t_fix;

/* One completion's context. */
struct t_item {
	struct t_fix *f;
	int id;
	uint64_t due;
	struct t_item *then;		/* added from inside the completion */
	int then_ret;			/* what that rf_sched_add() returned */
};

struct t_fix {
	struct rf_sched s;
	_Atomic uint64_t now;		/* the scheduler's clock */
	atomic_bool held;
	_Atomic uint64_t asks;		/* times the thread asked the hold */
	pthread_mutex_t lock;		/* what the completions record */
	pthread_cond_t cond;
	size_t n;
	int ids[T_MAX];
	uint64_t at[T_MAX];		/* the clock when each ran */
	bool off_thread;		/* one ran on the test's thread */
	pthread_t test_thread;
	struct t_item items[T_MAX];
};

static uint64_t t_now(void *arg)
{
	struct t_fix *f = arg;

	return atomic_load(&f->now);
}

static bool t_held(void *arg)
{
	struct t_fix *f = arg;

	atomic_fetch_add(&f->asks, 1);
	return atomic_load(&f->held);
}

static void t_done(void *ctx)
{
	struct t_item *it = ctx;
	struct t_fix *f = it->f;

	if (it->then)
		it->then_ret = rf_sched_add(&f->s, it->then->due, t_done,
					    it->then);
	pthread_mutex_lock(&f->lock);
	if (pthread_equal(pthread_self(), f->test_thread))
		f->off_thread = true;
	f->ids[f->n] = it->id;
	f->at[f->n] = atomic_load(&f->now);
	f->n++;
	pthread_cond_broadcast(&f->cond);
	pthread_mutex_unlock(&f->lock);
}

static int t_setup(void **state)
{
	struct t_fix *f = calloc(1, sizeof(*f));
	struct rf_sched_hooks hooks = { .now = t_now, .held = t_held };

	if (!f)
		return -1;
	hooks.arg = f;
	atomic_init(&f->now, T_EPOCH);
	atomic_init(&f->held, false);
	atomic_init(&f->asks, 0);
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->cond, NULL);
	f->test_thread = pthread_self();
	for (int i = 0; i < T_MAX; i++)
		f->items[i] = (struct t_item){ .f = f, .id = i };
	rf_sched_init(&f->s, &hooks);
	*state = f;
	return rf_sched_start(&f->s) ? -1 : 0;
}

static int t_teardown(void **state)
{
	struct t_fix *f = *state;

	rf_sched_stop(&f->s);
	atomic_store(&t_realloc_fails, false);
	pthread_cond_destroy(&f->cond);
	pthread_mutex_destroy(&f->lock);
	free(f);
	return 0;
}

/* Add item @id, due @due_in after the clock's start. */
static void t_add(struct t_fix *f, int id, uint64_t due_in)
{
	f->items[id].due = T_EPOCH + due_in;
	assert_int_equal(rf_sched_add(&f->s, f->items[id].due, t_done,
				      &f->items[id]), 0);
}

/* Move the clock to @at after its start and tell the thread. */
static void t_clock(struct t_fix *f, uint64_t at)
{
	atomic_store(&f->now, T_EPOCH + at);
	rf_sched_thaw(&f->s);
}

/*
 * Begin or end the hold; its end wakes the thread, as the control's
 * release calls its thaw hook.
 */
static void t_hold(struct t_fix *f, bool on)
{
	atomic_store(&f->held, on);
	if (!on)
		rf_sched_thaw(&f->s);
}

/* Wait until @n completions ran; exactly @n: the rest is not due. */
static void t_wait(struct t_fix *f, size_t n)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += T_PATIENCE_S;
	pthread_mutex_lock(&f->lock);
	while (f->n < n)
		if (pthread_cond_timedwait(&f->cond, &f->lock, &ts) ==
		    ETIMEDOUT)
			break;
	pthread_mutex_unlock(&f->lock);
	assert_int_equal(f->n, n);
}

/* Whether *@v left @old within the patience; polled every millisecond. */
static bool t_changes(_Atomic uint64_t *v, uint64_t old)
{
	time_t end = time(NULL) + T_PATIENCE_S;

	while (atomic_load(v) == old && time(NULL) < end) {
		struct timespec ms = { .tv_nsec = 1000000 };

		nanosleep(&ms, NULL);
	}
	return atomic_load(v) != old;
}

/*
 * Wake the thread and wait until it asked the hold: it looked at what is
 * waiting with the hold and the clock as they are now, and decided.
 */
static void t_wait_asked(struct t_fix *f)
{
	uint64_t asks = atomic_load(&f->asks);

	rf_sched_thaw(&f->s);
	assert_true(t_changes(&f->asks, asks));
}

static void t_expect(struct t_fix *f, const int *ids, size_t n)
{
	t_wait(f, n);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(f->ids[i], ids[i]);
}

/* ---- order ---- */

static void deadline_order(void **state)
{
	static const uint64_t due[] = { 50, 10, 40, 20, 30 };
	static const int first[] = { 1, 3 }, all[] = { 1, 3, 4, 2, 0 };
	struct t_fix *f = *state;

	for (int i = 0; i < 5; i++)
		t_add(f, i, due[i]);
	t_clock(f, 25);
	t_expect(f, first, 2);
	t_clock(f, 100);
	t_expect(f, all, 5);
	/* None ran before its deadline, none on the test's thread. */
	for (int i = 0; i < 5; i++)
		assert_true(f->at[i] >= f->items[f->ids[i]].due);
	assert_false(f->off_thread);
}

/* Entries with the same deadline run in the order they were added. */
static void equal_deadlines_fifo(void **state)
{
	int ids[300];
	struct t_fix *f = *state;

	for (int i = 0; i < 300; i++)
		t_add(f, i, i % 3 ? 7 : 5);
	t_clock(f, 10);
	for (int i = 0, k = 0; k < 2; k++)
		for (int j = 0; j < 300; j++)
			if ((j % 3 ? 1 : 0) == k)
				ids[i++] = j;
	t_expect(f, ids, 300);
}

/* A deadline already past runs at once, before later ones. */
static void past_deadline_runs_first(void **state)
{
	static const int ids[] = { 1, 0 };
	struct t_fix *f = *state;

	t_add(f, 0, 20);
	t_clock(f, 10);
	t_add(f, 1, 0);
	t_wait(f, 1);
	t_clock(f, 20);
	t_expect(f, ids, 2);
}

/* ---- the hold ---- */

static void hold_keeps_due_entries_until_thaw(void **state)
{
	static const int ids[] = { 2, 0, 1 };
	struct t_fix *f = *state;

	/* One not due yet: the thread sleeps on its deadline. */
	t_add(f, 0, 10);
	t_add(f, 1, 30);
	t_hold(f, true);
	t_add(f, 2, 0);
	t_clock(f, 1000);
	/* Past every deadline, asked, and still nothing. */
	t_wait_asked(f);
	t_wait_asked(f);
	assert_int_equal(f->n, 0);
	t_hold(f, false);
	t_expect(f, ids, 3);
}

/* A hold that begins while the thread sleeps on a deadline. */
static void hold_begins_while_waiting(void **state)
{
	static const int ids[] = { 0, 1 };
	struct t_fix *f = *state;

	t_add(f, 0, 10);
	t_add(f, 1, 20);
	t_clock(f, 10);
	t_wait(f, 1);
	t_hold(f, true);
	t_clock(f, 50);
	t_wait_asked(f);
	assert_int_equal(f->n, 1);
	t_hold(f, false);
	t_expect(f, ids, 2);
}

/* ---- stop ---- */

/*
 * Stop runs what waits at once, in deadline order, held or not, on the
 * scheduler's thread, before it returns; then adding is refused.
 */
static void stop_runs_pending_entries(void **state)
{
	static const int ids[] = { 1, 2, 0 };
	struct t_fix *f = *state;

	t_add(f, 0, 3000);
	t_add(f, 1, 1000);
	t_add(f, 2, 2000);
	t_hold(f, true);
	rf_sched_stop(&f->s);
	assert_int_equal(f->n, 3);
	t_expect(f, ids, 3);
	/* Early: the deadlines had not come. */
	assert_true(f->at[0] < f->items[1].due);
	assert_false(f->off_thread);
	assert_false(rf_sched_running(&f->s));
	assert_int_equal(rf_sched_add(&f->s, 0, t_done, &f->items[3]),
			 -ESRCH);
	rf_sched_stop(&f->s);
	rf_sched_thaw(&f->s);
	assert_int_equal(f->n, 3);

	/* It starts again, empty. */
	t_hold(f, false);
	assert_int_equal(rf_sched_start(&f->s), 0);
	t_add(f, 4, 0);
	t_wait(f, 4);
	assert_int_equal(f->ids[3], 4);
}

/* A scheduler that never started refuses, and stops and thaws as a no-op. */
static void not_started(void **state)
{
	struct rf_sched s;
	int x = 0;

	rf_sched_init(&s, NULL);
	assert_false(rf_sched_running(&s));
	assert_int_equal(rf_sched_add(&s, 0, free, &x), -ESRCH);
	rf_sched_thaw(&s);
	rf_sched_stop(&s);
}

/* ---- growth ---- */

static void many_entries(void **state)
{
	struct t_fix *f = *state;
	uint32_t r = 12345;

	/* Deadlines 0..999, many equal: order is (deadline, order added). */
	for (int i = 0; i < T_MAX; i++) {
		r = r * 1103515245u + 12345u;
		t_add(f, i, (r >> 16) % 1000);
	}
	t_clock(f, 1000);
	t_wait(f, T_MAX);
	for (int i = 1; i < T_MAX; i++) {
		const struct t_item *a = &f->items[f->ids[i - 1]];
		const struct t_item *b = &f->items[f->ids[i]];

		assert_true(a->due < b->due ||
			    (a->due == b->due && a->id < b->id));
	}
}

/*
 * A heap that cannot grow refuses the entry with -ENOMEM and never runs
 * it; what it holds is not lost, and it grows again later.
 */
static void heap_growth_failure(void **state)
{
	struct t_fix *f = *state;
	int k;

	/* The first allocation. */
	atomic_store(&t_realloc_fails, true);
	assert_int_equal(rf_sched_add(&f->s, T_EPOCH, t_done, &f->items[0]),
			 -ENOMEM);
	atomic_store(&t_realloc_fails, false);
	t_add(f, 1, 10);
	/* realloc() failing: adds succeed until the heap must grow. */
	atomic_store(&t_realloc_fails, true);
	for (k = 2; k < T_MAX - 1; k++) {
		f->items[k].due = T_EPOCH + 10;
		if (rf_sched_add(&f->s, f->items[k].due, t_done,
				 &f->items[k]) == -ENOMEM)
			break;
	}
	assert_true(k < T_MAX - 1);
	atomic_store(&t_realloc_fails, false);
	t_add(f, k + 1, 10);
	t_clock(f, 10);
	/* All but 0 and k, in the order added. */
	t_wait(f, (size_t)k);
	for (int i = 0; i < k - 1; i++)
		assert_int_equal(f->ids[i], i + 1);
	assert_int_equal(f->ids[k - 1], k + 1);
}

/* ---- completions that add ---- */

static void completion_adds_an_entry(void **state)
{
	static const int ids[] = { 0, 2, 1 };
	struct t_fix *f = *state;

	/* 0 adds 1, due later than 2, which was there already. */
	f->items[0].then = &f->items[1];
	f->items[1].due = T_EPOCH + 30;
	t_add(f, 0, 10);
	t_add(f, 2, 20);
	t_clock(f, 10);
	t_wait(f, 1);
	assert_int_equal(f->items[0].then_ret, 0);
	t_clock(f, 30);
	t_expect(f, ids, 3);
}

/*
 * While stopping, a completion's add is refused with -ESHUTDOWN (so a
 * completion that always adds cannot keep the stop from ending); the
 * refused entry never runs and the caller deals with it.
 */
static void completion_add_refused_while_stopping(void **state)
{
	static const int ids[] = { 0 };
	struct t_fix *f = *state;

	f->items[0].then = &f->items[1];
	f->items[1].due = T_EPOCH;
	t_add(f, 0, 100);
	rf_sched_stop(&f->s);
	t_expect(f, ids, 1);
	assert_int_equal(f->items[0].then_ret, -ESHUTDOWN);
}

/* ---- the default clock ---- */

static _Atomic uint64_t t_ran_at;

static void t_stamp(void *ctx)
{
	struct rf_sched *s = ctx;

	atomic_store(&t_ran_at, rf_sched_now(s));
}

/* CLOCK_MONOTONIC without hooks: not before the deadline (20 ms). */
static void monotonic_clock(void **state)
{
	struct rf_sched s;
	uint64_t due;

	rf_sched_init(&s, NULL);
	assert_int_equal(rf_sched_start(&s), 0);
	due = rf_sched_now(&s) + 20000000;
	assert_int_equal(rf_sched_add(&s, due, t_stamp, &s), 0);
	assert_true(t_changes(&t_ran_at, 0));
	assert_true(atomic_load(&t_ran_at) >= due);
	rf_sched_stop(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(deadline_order, t_setup,
						t_teardown),
		cmocka_unit_test_setup_teardown(equal_deadlines_fifo, t_setup,
						t_teardown),
		cmocka_unit_test_setup_teardown(past_deadline_runs_first,
						t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(hold_keeps_due_entries_until_thaw,
						t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(hold_begins_while_waiting,
						t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(stop_runs_pending_entries,
						t_setup, t_teardown),
		cmocka_unit_test(not_started),
		cmocka_unit_test_setup_teardown(many_entries, t_setup,
						t_teardown),
		cmocka_unit_test_setup_teardown(heap_growth_failure, t_setup,
						t_teardown),
		cmocka_unit_test_setup_teardown(completion_adds_an_entry,
						t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(completion_add_refused_while_stopping,
						t_setup, t_teardown),
		cmocka_unit_test(monotonic_clock),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
