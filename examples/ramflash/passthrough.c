// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ramflash read passthrough (passthrough.h).  A block is marked while the
 * simulator would answer its plain reads with the store's bytes: no bit
 * flip model, no read latency (rf_sim_reads_plain()), and no RAW-written
 * page.  A RAW write takes its blocks back before it runs, so the kernel
 * never reads a page whose ECC view differs; an erase clears that and the
 * block is marked again.  The kernel's read counts go into the statistics
 * before an erase (read counters restart there) and before every report.
 *
 * Kernel erase: a block is granted while the simulator's erase of it
 * would be holes in the store and nothing else (rf_sim_erase_budget()),
 * as often as that stays true (--endurance).  The simulator applies the
 * kernel's erases itself (io.c); here they are granted, granted anew
 * after an erase of the server changed the budget, and taken back before
 * a block is marked bad.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "passthrough.h"

/* Blocks per count fetch: the arrays live on the stack. */
#define RF_PT_CHUNK	256

static bool rf_pt_test(const uint8_t *bits, uint64_t b)
{
	return bits[b / 8] & (1u << (b % 8));
}

static void rf_pt_assign(uint8_t *bits, uint64_t b, bool on)
{
	if (on)
		bits[b / 8] |= (uint8_t)(1u << (b % 8));
	else
		bits[b / 8] &= (uint8_t)~(1u << (b % 8));
}

/*
 * After asking the kernel to change blocks [first, first + n): on success
 * (@ret 0) set their @bits to @on, else say what failed.  Returns @ret.
 */
static int rf_pt_record(uint8_t *bits, uint64_t first, uint64_t n, bool on,
			int ret, const char *what)
{
	uint64_t b;

	if (ret) {
		fprintf(stderr, "ramflash: %s of blocks %llu-%llu: %s\n", what,
			(unsigned long long)first,
			(unsigned long long)(first + n - 1), strerror(-ret));
		return ret;
	}
	for (b = first; b < first + n; b++)
		rf_pt_assign(bits, b, on);
	return 0;
}

/* Mark or take back [first, first + n); the caller holds pt->lock. */
static int rf_pt_change(struct rf_pt *pt, uint64_t first, uint64_t n,
			bool on)
{
	if (!n)
		return 0;
	return rf_pt_record(pt->marked, first, n, on,
			    muse_session_passthrough(pt->se, first, n, on),
			    "passthrough");
}

/*
 * Add the kernel's reads of [first, first + n) to the statistics, block
 * by block for a trace.
 */
static void rf_pt_count(struct rf_pt *pt, uint64_t first, uint64_t n)
{
	uint32_t counts[RF_PT_CHUNK];
	uint64_t bytes[RF_PT_CHUNK];
	uint64_t i, j, k;

	for (i = 0; i < n; i += k) {
		k = n - i < RF_PT_CHUNK ? n - i : RF_PT_CHUNK;
		if (muse_session_passthrough_reads(pt->se, first + i, k,
						   counts, bytes))
			break;
		for (j = 0; j < k; j++)
			if (counts[j])
				rf_sim_count_block_reads(pt->sim, first + i + j,
							 counts[j], bytes[j]);
	}
}

/* Mark the plain blocks of [first, first + n), in runs. */
static void rf_pt_mark_plain(struct rf_pt *pt, uint64_t first, uint64_t n)
{
	uint64_t b, run = first;

	for (b = first; b < first + n; b++) {
		if (rf_sim_block_plain(pt->sim, b) && !rf_pt_test(pt->marked, b))
			continue;
		rf_pt_change(pt, run, b - run, true);
		run = b + 1;
	}
	rf_pt_change(pt, run, b - run, true);
}

/* ---- kernel erase ---- */

_Static_assert(RF_ERASE_BUDGET_UNLIMITED == MUSE_ERASE_BUDGET_UNLIMITED,
	       "the core's unlimited budget is libmuse's");

/* Grant [first, first + n) @budget each; the caller holds pt->lock. */
static int rf_pt_grant_run(struct rf_pt *pt, uint64_t first, uint64_t n,
			   uint32_t budget)
{
	if (!n)
		return 0;
	return rf_pt_record(pt->granted, first, n, budget,
			    muse_session_erase_grant(pt->se, first, n, budget),
			    "kernel erase");
}

/*
 * The budget block @b should be granted now, or -1 if its grant stands:
 * an unlimited one, or none (0) that was never granted.
 */
static int64_t rf_pt_regrant(const struct rf_pt *pt, uint64_t b)
{
	uint32_t budget = rf_sim_erase_budget(pt->sim, b);
	bool granted = rf_pt_test(pt->granted, b);

	if (granted ? budget == RF_ERASE_BUDGET_UNLIMITED : !budget)
		return -1;
	return budget;
}

/*
 * Grant the blocks of [first, first + n) whose budget changed, in runs of
 * equal budget (all of a fresh chip without --endurance is one run per
 * stretch of good blocks); the caller holds pt->lock.
 */
static void rf_pt_grant(struct rf_pt *pt, uint64_t first, uint64_t n)
{
	uint64_t b, run = first;
	int64_t want, run_want = -1;

	for (b = first; b <= first + n; b++) {
		want = b < first + n ? rf_pt_regrant(pt, b) : -1;
		if (want == run_want)
			continue;
		if (run_want >= 0)
			rf_pt_grant_run(pt, run, b - run, (uint32_t)run_want);
		run = b;
		run_want = want;
	}
}

/*
 * --erase-slack: the kernel keeps the pages it erases (or an older module
 * does not, @in_force 0), and the simulator frees those above the slack.
 */
static void rf_pt_keep_start(struct rf_pt *pt, unsigned int in_force)
{
	int ret;

	if (!(in_force & MUSE_ERASE_BACKING_KEEP_PAGES)) {
		fprintf(stderr, "ramflash: --erase-slack has no effect: the module frees erased pages (it predates MUSE_ERASE_KEEP_PAGES)\n");
		return;
	}
	ret = rf_sim_keep_start(pt->sim);
	if (ret)
		fprintf(stderr, "ramflash: --erase-slack: %s\n",
			ret == -EOPNOTSUPP ?
			"the store is not on tmpfs, where erases keep no pages" :
			strerror(-ret));
}

/* Say where OOB and counts live, then grant what the budget allows. */
static void rf_pt_erase_start(struct rf_pt *pt)
{
	bool keep = rf_sim_config(pt->sim)->erase_slack > 0;
	uint64_t oob_offset, count_offset;
	unsigned int in_force = 0;
	uint32_t count_stride;
	int ret;

	rf_sim_store_erase_layout(pt->sim, &oob_offset, &count_offset,
				  &count_stride);
	ret = muse_session_set_erase_backing_flags(pt->se, oob_offset,
			count_offset, count_stride,
			keep ? MUSE_ERASE_BACKING_KEEP_PAGES : 0, &in_force);
	/* Not negotiated (a kernel without it, --no-kernel-erase): off. */
	if (ret == -EOPNOTSUPP)
		return;
	if (ret) {
		/* Erases stay requests, as without the extension. */
		fprintf(stderr, "ramflash: kernel erase off, the kernel refused the store: %s\n",
			strerror(-ret));
		return;
	}
	pt->erase_on = true;
	if (keep)
		rf_pt_keep_start(pt, in_force);
	pthread_mutex_lock(&pt->lock);
	rf_pt_grant(pt, 0, pt->blocks);
	pthread_mutex_unlock(&pt->lock);
}

/* Applying the kernel's erases dropped RAW pages: mark the block again. */
static void rf_pt_plain_again(void *arg, uint64_t b)
{
	struct rf_pt *pt = arg;

	pthread_mutex_lock(&pt->lock);
	if (!pt->powered_off && !rf_pt_test(pt->marked, b) &&
	    rf_sim_block_plain(pt->sim, b))
		rf_pt_change(pt, b, 1, true);
	pthread_mutex_unlock(&pt->lock);
}

int rf_pt_start(struct rf_pt *pt, struct muse_session *se, struct rf_sim *sim)
{
	bool reads = rf_sim_reads_plain(sim);
	bool erases = rf_sim_erases_plain(sim);
	uint64_t offset;
	int fd, ret;

	pt->se = se;
	pt->sim = sim;
	if (!reads && !erases)
		return 0;
	rf_sim_store_data(sim, &fd, &offset);
	ret = muse_session_set_backing(se, fd, offset, MUSE_PT_INVERTED);
	/* Not negotiated (a kernel without it, --no-passthrough): off. */
	if (ret == -EOPNOTSUPP)
		return 0;
	if (ret) {
		fprintf(stderr, "ramflash: cannot hand the store to the kernel: %s\n",
			strerror(-ret));
		return ret;
	}
	pt->blocks = rf_sim_blocks(sim);
	pt->marked = calloc((pt->blocks + 7) / 8, 1);
	pt->granted = calloc((pt->blocks + 7) / 8, 1);
	if (!pt->marked || !pt->granted)
		return -ENOMEM;
	pthread_mutex_init(&pt->lock, NULL);
	pt->locked = true;
	if (reads) {
		pt->on = true;
		pthread_mutex_lock(&pt->lock);
		rf_pt_mark_plain(pt, 0, pt->blocks);
		pthread_mutex_unlock(&pt->lock);
		rf_sim_on_plain_again(sim, rf_pt_plain_again, pt);
	}
	if (erases)
		rf_pt_erase_start(pt);
	return 0;
}

/* The blocks [addr, addr + len) touches. */
static void rf_pt_blocks(const struct rf_pt *pt, uint64_t addr, uint64_t len,
			 uint64_t *first, uint64_t *n)
{
	uint32_t erase = rf_sim_geometry(pt->sim)->erase_size;

	*first = addr / erase;
	*n = len ? (addr + len - 1) / erase - *first + 1 : 1;
	if (*first >= pt->blocks)
		*n = 0;
	else if (*n > pt->blocks - *first)
		*n = pt->blocks - *first;
}

int rf_pt_before_write(struct rf_pt *pt, uint64_t addr, uint64_t len,
		       bool raw)
{
	uint64_t first, n, b;
	int ret = 0;

	if (!pt->on || !raw)
		return 0;
	rf_pt_blocks(pt, addr, len, &first, &n);
	pthread_mutex_lock(&pt->lock);
	for (b = first; b < first + n && !ret; b++)
		if (rf_pt_test(pt->marked, b))
			ret = rf_pt_change(pt, b, 1, false);
	pthread_mutex_unlock(&pt->lock);
	return ret;
}

void rf_pt_before_erase(struct rf_pt *pt, uint64_t addr, uint64_t len)
{
	uint64_t first, n;

	if (!pt->on)
		return;
	rf_pt_blocks(pt, addr, len, &first, &n);
	pthread_mutex_lock(&pt->lock);
	rf_pt_count(pt, first, n);
	pthread_mutex_unlock(&pt->lock);
}

void rf_pt_after_erase(struct rf_pt *pt, uint64_t addr, uint64_t len)
{
	uint64_t first, n;

	if (!pt->on && !pt->erase_on)
		return;
	rf_pt_blocks(pt, addr, len, &first, &n);
	pthread_mutex_lock(&pt->lock);
	if (pt->on && !pt->powered_off)
		rf_pt_mark_plain(pt, first, n);
	if (pt->erase_on && !pt->powered_off)
		rf_pt_grant(pt, first, n);
	pthread_mutex_unlock(&pt->lock);
}

int rf_pt_before_markbad(struct rf_pt *pt, uint64_t addr)
{
	uint64_t first, n;
	int ret = 0;

	if (!pt->erase_on)
		return 0;
	rf_pt_blocks(pt, addr, 0, &first, &n);
	pthread_mutex_lock(&pt->lock);
	if (n && rf_pt_test(pt->granted, first))
		ret = rf_pt_grant_run(pt, first, 1, 0);
	pthread_mutex_unlock(&pt->lock);
	return ret;
}

/* Take back the blocks of [first, first + n) set in @bits, in runs. */
static int rf_pt_take_back_bits(struct rf_pt *pt, uint8_t *bits,
				uint64_t first, uint64_t n, bool erase)
{
	uint64_t b, run = first;
	int ret = 0;

	for (b = first; b <= first + n && !ret; b++) {
		if (b < first + n && rf_pt_test(bits, b))
			continue;
		if (b > run)
			ret = erase ? rf_pt_grant_run(pt, run, b - run, 0) :
				      rf_pt_change(pt, run, b - run, false);
		run = b + 1;
	}
	return ret;
}

/* The take-backs asked for; the caller holds pt->lock. */
static int rf_pt_take_back_locked(struct rf_pt *pt, uint64_t first, uint64_t n,
				  bool reads, bool erases)
{
	int ret = 0;

	if (pt->on && reads)
		ret = rf_pt_take_back_bits(pt, pt->marked, first, n, false);
	if (!ret && pt->erase_on && erases)
		ret = rf_pt_take_back_bits(pt, pt->granted, first, n, true);
	return ret;
}

int rf_pt_take_back(struct rf_pt *pt, uint64_t first, uint64_t n,
		    bool reads, bool erases)
{
	int ret;

	if (!pt->on && !pt->erase_on)
		return 0;
	pthread_mutex_lock(&pt->lock);
	ret = rf_pt_take_back_locked(pt, first, n, reads, erases);
	pthread_mutex_unlock(&pt->lock);
	return ret;
}

void rf_pt_refresh(struct rf_pt *pt)
{
	if (!pt->on && !pt->erase_on)
		return;
	pthread_mutex_lock(&pt->lock);
	if (!pt->powered_off && pt->on)
		rf_pt_mark_plain(pt, 0, pt->blocks);
	if (!pt->powered_off && pt->erase_on)
		rf_pt_grant(pt, 0, pt->blocks);
	pthread_mutex_unlock(&pt->lock);
}

void rf_pt_power_cut(struct rf_pt *pt)
{
	if (!pt->on && !pt->erase_on)
		return;
	pthread_mutex_lock(&pt->lock);
	if (!pt->powered_off) {
		pt->powered_off = true;
		rf_pt_take_back_locked(pt, 0, pt->blocks, true, true);
	}
	pthread_mutex_unlock(&pt->lock);
}

/* The bits set in @bits (of pt->blocks). */
static uint64_t rf_pt_population(const struct rf_pt *pt, const uint8_t *bits)
{
	uint64_t i, count = 0;

	for (i = 0; i < (pt->blocks + 7) / 8; i++)
		count += (uint64_t)__builtin_popcount(bits[i]);
	return count;
}

void rf_pt_counts(struct rf_pt *pt, uint64_t *marked, uint64_t *granted)
{
	*marked = *granted = 0;
	if (!pt->on && !pt->erase_on)
		return;
	pthread_mutex_lock(&pt->lock);
	*marked = rf_pt_population(pt, pt->marked);
	*granted = rf_pt_population(pt, pt->granted);
	pthread_mutex_unlock(&pt->lock);
}

void rf_pt_collect(struct rf_pt *pt)
{
	if (!pt->on)
		return;
	pthread_mutex_lock(&pt->lock);
	rf_pt_count(pt, 0, pt->blocks);
	pthread_mutex_unlock(&pt->lock);
}

void rf_pt_stop(struct rf_pt *pt)
{
	rf_pt_collect(pt);
	if (pt->on)
		rf_sim_on_plain_again(pt->sim, NULL, NULL);
	pt->on = false;
	pt->erase_on = false;
	if (pt->locked)
		pthread_mutex_destroy(&pt->lock);
	pt->locked = false;
	free(pt->marked);
	free(pt->granted);
	pt->marked = NULL;
	pt->granted = NULL;
}
