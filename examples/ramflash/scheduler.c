// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ramflash's deadline scheduler (scheduler.h): a min-heap of completions
 * ordered by (deadline, order of adding) and one thread that runs each
 * when its time is up.  It links nothing but libc and pthreads.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "scheduler.h"

/* The heap's first allocation, in entries; it doubles from there. */
#define RF_SCHED_FIRST		64

/*
 * The longest the thread sleeps without looking at the clock again.
 * The hooks' clock need not be CLOCK_MONOTONIC (tests drive their own),
 * so a wait is only an estimate of when the deadline comes; the cap also
 * keeps the absolute time of a far deadline from overflowing.
 */
#define RF_SCHED_NAP_NS		1000000000u

static uint64_t rf_sched_monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t rf_sched_now(const struct rf_sched *s)
{
	if (s->hooks.now)
		return s->hooks.now(s->hooks.arg);
	return rf_sched_monotonic_ns();
}

static bool rf_sched_held(const struct rf_sched *s)
{
	return s->hooks.held && s->hooks.held(s->hooks.arg);
}

void rf_sched_init(struct rf_sched *s, const struct rf_sched_hooks *hooks)
{
	memset(s, 0, sizeof(*s));
	atomic_init(&s->running, false);
	if (hooks)
		s->hooks = *hooks;
}

/* Whether entry i must run before entry j. */
static bool rf_sched_before(const struct rf_sched *s, size_t i, size_t j)
{
	const struct rf_sched_entry *a = &s->heap[i], *b = &s->heap[j];

	return a->due_ns < b->due_ns ||
	       (a->due_ns == b->due_ns && a->seq < b->seq);
}

static void rf_sched_swap(struct rf_sched *s, size_t i, size_t j)
{
	struct rf_sched_entry t = s->heap[i];

	s->heap[i] = s->heap[j];
	s->heap[j] = t;
}

/* Under the lock; -ENOMEM if the heap cannot grow. */
static int rf_sched_push(struct rf_sched *s, const struct rf_sched_entry *e)
{
	size_t i = s->count;

	if (s->count == s->size) {
		size_t size = s->size ? 2 * s->size : RF_SCHED_FIRST;
		struct rf_sched_entry *heap;

		if (s->size > SIZE_MAX / 2 / sizeof(*heap))
			return -ENOMEM;
		heap = realloc(s->heap, size * sizeof(*heap));
		if (!heap)
			return -ENOMEM;
		s->heap = heap;
		s->size = size;
	}
	s->heap[s->count++] = *e;
	for (; i && rf_sched_before(s, i, (i - 1) / 2); i = (i - 1) / 2)
		rf_sched_swap(s, i, (i - 1) / 2);
	return 0;
}

/* Under the lock, with count > 0. */
static struct rf_sched_entry rf_sched_pop(struct rf_sched *s)
{
	struct rf_sched_entry top = s->heap[0];
	size_t i = 0;

	s->heap[0] = s->heap[--s->count];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, min = i;

		if (l < s->count && rf_sched_before(s, l, min))
			min = l;
		if (r < s->count && rf_sched_before(s, r, min))
			min = r;
		if (min == i)
			return top;
		rf_sched_swap(s, i, min);
		i = min;
	}
}

/*
 * Under the lock: sleep until heap[0] is due by the hooks' clock, at most
 * RF_SCHED_NAP_NS, or until signalled.
 */
static void rf_sched_wait_due(struct rf_sched *s)
{
	uint64_t now = rf_sched_now(s), due = s->heap[0].due_ns;
	/* The clock may have passed it since the caller looked. */
	uint64_t ns = due > now ? due - now : 0;
	struct timespec ts;

	if (ns > RF_SCHED_NAP_NS)
		ns = RF_SCHED_NAP_NS;
	ns += rf_sched_monotonic_ns();
	ts.tv_sec = (time_t)(ns / 1000000000u);
	ts.tv_nsec = (long)(ns % 1000000000u);
	pthread_cond_timedwait(&s->cond, &s->lock, &ts);
}

/*
 * Run what is due; on stop, everything left at once.  The hold is asked
 * at every turn rather than told, so a freeze takes effect for the next
 * completion without the control socket having to wake this thread; only
 * its end must (rf_sched_thaw()), since the thread may sleep untimed.
 */
static void *rf_sched_main(void *arg)
{
	struct rf_sched *s = arg;

	pthread_mutex_lock(&s->lock);
	for (;;) {
		bool held = rf_sched_held(s);

		if (s->count && (s->stopping || (!held &&
				 s->heap[0].due_ns <= rf_sched_now(s)))) {
			struct rf_sched_entry e = rf_sched_pop(s);

			/* Unlocked: it may reply, block a little, or add. */
			pthread_mutex_unlock(&s->lock);
			e.fn(e.ctx);
			pthread_mutex_lock(&s->lock);
		} else if (s->stopping) {
			break;
		} else if (!s->count || held) {
			pthread_cond_wait(&s->cond, &s->lock);
		} else {
			rf_sched_wait_due(s);
		}
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

int rf_sched_start(struct rf_sched *s)
{
	pthread_condattr_t attr;
	int ret;

	ret = pthread_mutex_init(&s->lock, NULL);
	if (ret)
		return -ret;
	ret = pthread_condattr_init(&attr);
	if (!ret) {
		ret = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
		if (!ret)
			ret = pthread_cond_init(&s->cond, &attr);
		pthread_condattr_destroy(&attr);
	}
	if (ret) {
		pthread_mutex_destroy(&s->lock);
		return -ret;
	}
	s->stopping = false;
	atomic_store(&s->running, true);
	ret = pthread_create(&s->thread, NULL, rf_sched_main, s);
	if (ret) {
		atomic_store(&s->running, false);
		pthread_cond_destroy(&s->cond);
		pthread_mutex_destroy(&s->lock);
	}
	return -ret;
}

/*
 * Every entry still waiting runs now rather than being dropped or handed
 * back: in ramflash each is a kernel request whose operation is already
 * done in the simulator, and only its answer waits for the simulated
 * busy time.  Answered now, the kernel gets the true result a little
 * early; left unanswered, the kernel would fail a request that in fact
 * succeeded (an erase seen failing makes UBI mark the block bad) when
 * the session's fd closes.  The hold is ignored for the same reason: the
 * control socket is stopped first and no release will come.
 */
void rf_sched_stop(struct rf_sched *s)
{
	if (!atomic_load(&s->running))
		return;
	pthread_mutex_lock(&s->lock);
	s->stopping = true;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
	atomic_store(&s->running, false);
	s->stopping = false;
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
	free(s->heap);
	s->heap = NULL;
	s->count = s->size = 0;
}

int rf_sched_add(struct rf_sched *s, uint64_t due_ns, rf_sched_fn *fn,
		 void *ctx)
{
	struct rf_sched_entry e = { .due_ns = due_ns, .fn = fn, .ctx = ctx };
	int ret;

	if (!atomic_load(&s->running))
		return -ESRCH;
	pthread_mutex_lock(&s->lock);
	if (s->stopping) {
		ret = -ESHUTDOWN;
	} else {
		e.seq = s->seq++;
		ret = rf_sched_push(s, &e);
		/* A new first deadline: the thread may sleep past it. */
		if (!ret && s->heap[0].seq == e.seq)
			pthread_cond_signal(&s->cond);
	}
	pthread_mutex_unlock(&s->lock);
	return ret;
}

bool rf_sched_running(struct rf_sched *s)
{
	return atomic_load(&s->running);
}

void rf_sched_thaw(void *sched)
{
	struct rf_sched *s = sched;

	/* A hook left behind a stopped scheduler has nothing to wake. */
	if (!atomic_load(&s->running))
		return;
	pthread_mutex_lock(&s->lock);
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
}
