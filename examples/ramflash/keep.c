// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ramflash erase slack (--erase-slack, keep.h).  With the kernel keeping
 * the pages of the blocks it erases (MUSE_ERASE_KEEP_PAGES), an erased
 * block may still hold memory: its pages, zeroed.  That is what makes the
 * next program of it cheap, and what must not grow without bound: the
 * simulator keeps such blocks up to a slack of bytes, and punches the
 * oldest of them above it, in runs of adjacent blocks, from a thread of
 * its own, never on a request's path.
 *
 * The accounting is exact: when the simulator applies a kernel erase of
 * block b (rf_apply_kernel_erases(), under b's write lock) it measures
 * what the store holds of b's data and OOB (SEEK_DATA/SEEK_HOLE) and
 * keeps b with those bytes, the newest.  A request that changes b
 * (program, erase, mark bad) forgets it first, under the same lock: a
 * block still kept when the thread holds its write lock has had nothing
 * programmed since its erase, so punching it changes no byte of flash.
 * The kernel's own programs (kernel program) take no lock of ours: the
 * thread holds the kernel off the blocks it punches, and a block the
 * kernel programmed reads programmed in its bitmap and is not punched.
 * The thread also applies, every second, the kernel's erases no request
 * has applied yet, so that the erased blocks nobody touches again are
 * counted too.
 *
 * Locking: a block's write lock, then keep->lock; the kept list and total
 * change under both, so either alone reads them consistently.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "keep.h"
#include "sim-state.h"
#include "trace.h"

/* The end of the kept list. */
#define RF_KEEP_NONE	UINT32_MAX
/* Blocks punched at once at most: the locks held together. */
#define RF_KEEP_RUN	64
/* Seconds between two sweeps of the kernel's unapplied erases. */
#define RF_KEEP_PERIOD	1

struct rf_keep {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t thread;
	bool running;
	bool stop;
	uint64_t slack;
	uint64_t total;			/* bytes of the kept blocks */
	uint64_t *bytes;		/* per block, 0: not kept */
	uint32_t *prev, *next;		/* the kept, oldest first */
	uint32_t oldest, newest;
};

int rf_keep_open(struct rf_sim *sim)
{
	struct rf_keep *k;

	if (!sim->cfg.erase_slack)
		return 0;
	/* The list's links are 32 bits: MUSE has at most 2^20 blocks. */
	if (sim->blocks >= RF_KEEP_NONE)
		return -EINVAL;
	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->bytes = calloc(sim->blocks, sizeof(*k->bytes));
	k->prev = calloc(sim->blocks, sizeof(*k->prev));
	k->next = calloc(sim->blocks, sizeof(*k->next));
	if (!k->bytes || !k->prev || !k->next) {
		free(k->bytes);
		free(k->prev);
		free(k->next);
		free(k);
		return -ENOMEM;
	}
	pthread_mutex_init(&k->lock, NULL);
	pthread_cond_init(&k->wake, NULL);
	k->slack = sim->cfg.erase_slack;
	k->oldest = k->newest = RF_KEEP_NONE;
	sim->keep = k;
	return 0;
}

/* Drop @b from the kept list; under keep->lock. */
static void rf_keep_unlink(struct rf_keep *k, uint32_t b)
{
	if (!k->bytes[b])
		return;
	if (k->prev[b] == RF_KEEP_NONE)
		k->oldest = k->next[b];
	else
		k->next[k->prev[b]] = k->next[b];
	if (k->next[b] == RF_KEEP_NONE)
		k->newest = k->prev[b];
	else
		k->prev[k->next[b]] = k->prev[b];
	k->total -= k->bytes[b];
	k->bytes[b] = 0;
}

/* Add @b, @n > 0 bytes, as the newest; under keep->lock. */
static void rf_keep_link(struct rf_keep *k, uint32_t b, uint64_t n)
{
	k->prev[b] = k->newest;
	k->next[b] = RF_KEEP_NONE;
	if (k->newest == RF_KEEP_NONE)
		k->oldest = b;
	else
		k->next[k->newest] = b;
	k->newest = b;
	k->bytes[b] = n;
	k->total += n;
}

/* What the store holds of block @b's data and OOB, in bytes. */
static uint64_t rf_keep_measure(const struct rf_sim *sim, uint64_t b)
{
	uint64_t oob = (uint64_t)sim->pages_per_block * sim->geo.oob_size;

	return rf_image_allocated_in(&sim->img, RF_REGION_DATA,
				     b * sim->geo.erase_size,
				     sim->geo.erase_size) +
	       rf_image_allocated_in(&sim->img, RF_REGION_OOB, b * oob, oob);
}

void rf_keep_note(struct rf_sim *sim, uint64_t b)
{
	struct rf_keep *k = sim->keep;
	uint64_t n;
	bool over;

	if (!k)
		return;
	n = rf_keep_measure(sim, b);
	pthread_mutex_lock(&k->lock);
	rf_keep_unlink(k, (uint32_t)b);
	if (n)
		rf_keep_link(k, (uint32_t)b, n);
	over = k->total > k->slack;
	pthread_mutex_unlock(&k->lock);
	if (over)
		pthread_cond_signal(&k->wake);
}

void rf_keep_forget(struct rf_sim *sim, uint64_t b)
{
	struct rf_keep *k = sim->keep;

	/* Set and cleared under b's write lock, which the caller holds. */
	if (!k || !k->bytes[b])
		return;
	pthread_mutex_lock(&k->lock);
	rf_keep_unlink(k, (uint32_t)b);
	pthread_mutex_unlock(&k->lock);
}

/* Punch blocks [first, end), kept and locked: data and OOB in one go. */
static int rf_keep_punch(struct rf_sim *sim, uint64_t first, uint64_t end)
{
	uint64_t oob = (uint64_t)sim->pages_per_block * sim->geo.oob_size;
	int ret;

	ret = rf_image_erase(&sim->img, RF_REGION_DATA,
			     first * sim->geo.erase_size,
			     (end - first) * sim->geo.erase_size);
	if (!ret)
		ret = rf_image_erase(&sim->img, RF_REGION_OOB, first * oob,
				     (end - first) * oob);
	return ret;
}

/*
 * Punch the kept blocks of [lo, hi), all locked for writing, each stretch
 * of them in one punch.  A kept block found programmed (which a program's
 * rf_keep_forget() rules out) is forgotten, not punched: its pages are
 * data.  Returns 0 or the store's errno (the blocks stay kept).
 */
static int rf_keep_punch_locked(struct rf_sim *sim, uint64_t lo, uint64_t hi)
{
	struct rf_keep *k = sim->keep;
	uint64_t b, c, run, bytes;
	int ret = 0;

	for (b = lo; b < hi; b++)
		if (k->bytes[b] && rf_block_programmed(sim, b))
			rf_keep_forget(sim, b);
	for (b = lo; b < hi && !ret; b = run) {
		while (b < hi && !k->bytes[b])
			b++;
		for (run = b, bytes = 0; run < hi && k->bytes[run]; run++)
			bytes += k->bytes[run];
		if (run == b)
			break;
		ret = rf_keep_punch(sim, b, run);
		if (ret)
			break;
		pthread_mutex_lock(&k->lock);
		for (c = b; c < run; c++)
			rf_keep_unlink(k, (uint32_t)c);
		pthread_mutex_unlock(&k->lock);
		rf_stats_add(&sim->stats, slack_punched_blocks, run - b);
		rf_stats_add(&sim->stats, slack_punched_bytes, bytes);
	}
	return ret;
}

/*
 * The oldest kept block and, while that frees too little to bring the
 * total within the slack, the kept blocks adjacent to it (after it, then
 * before it), at most RF_KEEP_RUN: false when the total is within the
 * slack already.
 */
static bool rf_keep_pick(struct rf_sim *sim, uint64_t *lo, uint64_t *hi)
{
	struct rf_keep *k = sim->keep;
	uint64_t need, got;
	bool over;

	pthread_mutex_lock(&k->lock);
	over = k->total > k->slack && k->oldest != RF_KEEP_NONE;
	if (over) {
		need = k->total - k->slack;
		*lo = k->oldest;
		*hi = *lo + 1;
		got = k->bytes[*lo];
		while (got < need && *hi - *lo < RF_KEEP_RUN) {
			if (*hi < sim->blocks && k->bytes[*hi])
				got += k->bytes[(*hi)++];
			else if (*lo > 0 && k->bytes[*lo - 1])
				got += k->bytes[--(*lo)];
			else
				break;
		}
	}
	pthread_mutex_unlock(&k->lock);
	return over;
}

/* Apply the kernel's erases (and programs) that no request applied yet. */
static void rf_keep_sweep(struct rf_sim *sim)
{
	uint64_t b;

	/* A trace records from one thread at a time: the requests'. */
	if (sim->trace)
		return;
	for (b = 0; b < sim->blocks; b++) {
		if (!rf_sim_pending_erases(sim, b) &&
		    !rf_sim_pending_programs(sim, b))
			continue;
		pthread_rwlock_wrlock(&sim->locks[b]);
		rf_apply_kernel_ops(sim, b, true);
		pthread_rwlock_unlock(&sim->locks[b]);
	}
}

/*
 * Punch the kept blocks of [lo, hi), locked: with kernel program the
 * kernel programs without those locks, so it is held off them first
 * (rf_sim_on_kernel_hold()); a block it programmed before is found
 * programmed and forgotten.
 */
static int rf_keep_punch_held(struct rf_sim *sim, uint64_t lo, uint64_t hi)
{
	rf_kernel_hold_fn hold;
	int ret = 0;

	/* The hook may not go (rf_sim_on_kernel_hold()) while it holds. */
	pthread_mutex_lock(&sim->hold_lock);
	hold = sim->kernel_hold;
	if (hold)
		ret = hold(sim->kernel_hold_arg, lo, hi, true);
	if (ret) {
		pthread_mutex_unlock(&sim->hold_lock);
		return ret;
	}
	ret = rf_keep_punch_locked(sim, lo, hi);
	if (hold)
		hold(sim->kernel_hold_arg, lo, hi, false);
	pthread_mutex_unlock(&sim->hold_lock);
	return ret;
}

bool rf_sim_keep_trim(struct rf_sim *sim)
{
	uint64_t lo, hi, b;
	int ret;

	if (!sim->keep)
		return true;
	rf_keep_sweep(sim);
	while (rf_keep_pick(sim, &lo, &hi)) {
		/* In address order, as every request takes them. */
		for (b = lo; b < hi; b++)
			pthread_rwlock_wrlock(&sim->locks[b]);
		ret = rf_keep_punch_held(sim, lo, hi);
		for (b = lo; b < hi; b++)
			pthread_rwlock_unlock(&sim->locks[b]);
		if (ret) {
			rf_log(sim, "punching kept blocks %" PRIu64 "-%" PRIu64
			       " failed: %s", lo, hi - 1, strerror(-ret));
			return false;
		}
	}
	return true;
}

uint64_t rf_sim_kept_bytes(struct rf_sim *sim)
{
	uint64_t total;

	if (!sim->keep)
		return 0;
	pthread_mutex_lock(&sim->keep->lock);
	total = sim->keep->total;
	pthread_mutex_unlock(&sim->keep->lock);
	return total;
}

static void *rf_keep_thread(void *arg)
{
	struct rf_sim *sim = arg;
	struct rf_keep *k = sim->keep;
	struct timespec until;
	bool trimmed = true;

	pthread_mutex_lock(&k->lock);
	while (!k->stop) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += RF_KEEP_PERIOD;
		/* After a failed punch, no sooner than the next period. */
		while (!k->stop && (k->total <= k->slack || !trimmed) &&
		       pthread_cond_timedwait(&k->wake, &k->lock, &until) !=
		       ETIMEDOUT)
			;
		if (k->stop)
			break;
		pthread_mutex_unlock(&k->lock);
		trimmed = rf_sim_keep_trim(sim);
		pthread_mutex_lock(&k->lock);
	}
	pthread_mutex_unlock(&k->lock);
	return NULL;
}

int rf_sim_keep_start(struct rf_sim *sim)
{
	struct rf_keep *k = sim->keep;
	int ret;

	if (!k || k->running)
		return 0;
	/*
	 * The sweep resets the kernel's counts while it may erase: only
	 * tmpfs's add is atomic (protocol.md section 8), and only tmpfs
	 * keeps pages anyway.
	 */
	if (!rf_image_on_tmpfs(&sim->img))
		return -EOPNOTSUPP;
	ret = pthread_create(&k->thread, NULL, rf_keep_thread, sim);
	if (ret)
		return -ret;
	k->running = true;
	return 0;
}

void rf_keep_close(struct rf_sim *sim)
{
	struct rf_keep *k = sim->keep;

	if (!k)
		return;
	if (k->running) {
		pthread_mutex_lock(&k->lock);
		k->stop = true;
		pthread_mutex_unlock(&k->lock);
		pthread_cond_signal(&k->wake);
		pthread_join(k->thread, NULL);
	}
	pthread_cond_destroy(&k->wake);
	pthread_mutex_destroy(&k->lock);
	free(k->bytes);
	free(k->prev);
	free(k->next);
	free(k);
	sim->keep = NULL;
}
