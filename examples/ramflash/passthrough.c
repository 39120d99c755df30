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
 *
 * Kernel program: a NAND block is granted while the simulator's program
 * of its plain writes would store the data and nothing else
 * (rf_sim_block_programs_plain()), without limit; it is taken back before
 * a RAW write of it, before it is marked bad, before a live fault or a
 * model that concerns programs is set, and around the erase-slack
 * thread's punch of it.  The kernel's programs are applied by the
 * simulator (io.c).
 *
 * With a power cut armed, the module's device-wide budget holds the
 * operations left before the torn one: the kernel takes one per block it
 * erases and per write it programs, the simulator one per program or
 * block erase of its own (rf_sim_on_power_take()), and the operation that
 * finds it spent is the simulator's, torn as without the kernel's help.
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

/* ---- kernel erase and kernel program ---- */

static int rf_pt_take_back_locked(struct rf_pt *pt, uint64_t first, uint64_t n,
				  unsigned int what);

_Static_assert(RF_ERASE_BUDGET_UNLIMITED == MUSE_ERASE_BUDGET_UNLIMITED,
	       "the core's unlimited budget is libmuse's");
_Static_assert(RF_ERASE_BUDGET_UNLIMITED == MUSE_PROGRAM_BUDGET_UNLIMITED,
	       "one unlimited budget for erases and programs");

/*
 * Grant [first, first + n) @budget each, for programs (@program) or
 * erases; the caller holds pt->lock.
 */
static int rf_pt_grant_run(struct rf_pt *pt, bool program, uint64_t first,
			   uint64_t n, uint32_t budget)
{
	if (!n)
		return 0;
	if (program)
		return rf_pt_record(pt->programs, first, n, budget,
				    muse_session_program_grant(pt->se, first, n,
							       budget),
				    "kernel program");
	return rf_pt_record(pt->granted, first, n, budget,
			    muse_session_erase_grant(pt->se, first, n, budget),
			    "kernel erase");
}

/*
 * The budget block @b should be granted now for programs (@program) or
 * erases, or -1 if its grant stands: an unlimited one, or none (0) that
 * was never granted.  Programs are granted without limit or not at all.
 */
static int64_t rf_pt_regrant(const struct rf_pt *pt, bool program, uint64_t b)
{
	uint32_t budget;
	bool granted;

	if (program) {
		budget = rf_sim_block_programs_plain(pt->sim, b) ?
			 RF_ERASE_BUDGET_UNLIMITED : 0;
		granted = rf_pt_test(pt->programs, b);
	} else {
		budget = rf_sim_erase_budget(pt->sim, b);
		granted = rf_pt_test(pt->granted, b);
	}
	if (granted ? budget == RF_ERASE_BUDGET_UNLIMITED : !budget)
		return -1;
	return budget;
}

/*
 * Grant the blocks of [first, first + n) whose budget changed, in runs of
 * equal budget (all of a fresh chip without --endurance is one run per
 * stretch of good blocks), for programs (@program) or erases; the caller
 * holds pt->lock.
 */
static void rf_pt_grant(struct rf_pt *pt, bool program, uint64_t first,
			uint64_t n)
{
	uint64_t b, run = first;
	int64_t want, run_want = -1;

	if (!(program ? pt->program_on : pt->erase_on) || pt->powered_off)
		return;
	for (b = first; b <= first + n; b++) {
		want = b < first + n ? rf_pt_regrant(pt, program, b) : -1;
		if (want == run_want)
			continue;
		if (run_want >= 0)
			rf_pt_grant_run(pt, program, run, b - run,
					(uint32_t)run_want);
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

/*
 * Kernel program, after the erase backing: say where the bitmaps and
 * counts live, then grant what the chip allows.  No rule beyond the
 * module's own (each subpage once per erase): ramflash's chip takes its
 * pages in any order and subpage programs (an MLC's subpage is its page);
 * a second program of a subpage, which the kernel leaves to it, is
 * ANDed in or refused (--nand-reprogram) as always.
 */
static void rf_pt_program_start(struct rf_pt *pt)
{
	uint64_t map_offset, count_offset;
	uint32_t map_stride, count_stride;
	int ret;

	if (!(muse_session_extensions(pt->se) & MUSE_EXT_KERNEL_PROGRAM) ||
	    !rf_type_is_nand(rf_sim_geometry(pt->sim)->type))
		return;
	rf_sim_store_program_layout(pt->sim, &map_offset, &map_stride,
				    &count_offset, &count_stride);
	ret = muse_session_set_program_backing(pt->se, map_offset, map_stride,
					       count_offset, count_stride, 0);
	if (ret) {
		/* Writes stay requests, as without the extension. */
		fprintf(stderr, "ramflash: kernel program off, the kernel refused the store: %s\n",
			ret == -EOPNOTSUPP ? "it is not on tmpfs" :
			strerror(-ret));
		return;
	}
	/* Before the first grant: the kernel clears bits from now on. */
	rf_sim_share_program_state(pt->sim);
	pt->program_on = true;
	pthread_mutex_lock(&pt->lock);
	rf_pt_grant(pt, true, 0, pt->blocks);
	pthread_mutex_unlock(&pt->lock);
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
	/*
	 * Before any kernel erase: from the program state on, the kernel
	 * clears the bits at its erases and the simulator must not.
	 */
	rf_pt_program_start(pt);
	pthread_mutex_lock(&pt->lock);
	rf_pt_grant(pt, false, 0, pt->blocks);
	pthread_mutex_unlock(&pt->lock);
}

/*
 * Applying the kernel's erases dropped RAW pages: mark the block again,
 * and let the kernel program it.
 */
static void rf_pt_plain_again(void *arg, uint64_t b)
{
	struct rf_pt *pt = arg;

	pthread_mutex_lock(&pt->lock);
	if (pt->on && !pt->powered_off && !rf_pt_test(pt->marked, b) &&
	    rf_sim_block_plain(pt->sim, b))
		rf_pt_change(pt, b, 1, true);
	rf_pt_grant(pt, true, b, 1);
	pthread_mutex_unlock(&pt->lock);
}

/* The erase-slack thread's hold (rf_sim_on_kernel_hold()). */
static int rf_pt_hold(void *arg, uint64_t first, uint64_t end, bool hold)
{
	struct rf_pt *pt = arg;
	int ret = 0;

	pthread_mutex_lock(&pt->lock);
	if (hold)
		ret = rf_pt_take_back_locked(pt, first, end - first,
					     RF_PT_PROGRAMS);
	else
		rf_pt_grant(pt, true, first, end - first);
	pthread_mutex_unlock(&pt->lock);
	return ret;
}

/* The simulator's take from the module's budget (rf_sim_on_power_take()). */
static int rf_pt_power_take(void *arg)
{
	struct rf_pt *pt = arg;

	return muse_session_take_kernel_budget(pt->se);
}

_Static_assert(MUSE_KERNEL_BUDGET_UNLIMITED == UINT64_MAX,
	       "rf_sim_power_cut_left()'s no limit is libmuse's");

/*
 * Give the module's budget what is left before the power cut (no limit
 * without one) and let it decide the torn operation; false if the module
 * has no budget (before 1.4, or no kernel erase): the simulator counts.
 */
static bool rf_pt_budget_set(struct rf_pt *pt)
{
	int ret = muse_session_set_kernel_budget(pt->se,
						 rf_sim_power_cut_left(pt->sim));

	pt->budget_on = !ret;
	rf_sim_on_power_take(pt->sim, ret ? NULL : rf_pt_power_take, pt);
	return !ret;
}

int rf_pt_start(struct rf_pt *pt, struct muse_session *se, struct rf_sim *sim)
{
	bool reads, erases, programs;
	uint64_t offset;
	int fd, ret;

	pt->se = se;
	pt->sim = sim;
	/* First: with it a power cut leaves erases and programs plain. */
	if (muse_session_extensions(se) & MUSE_EXT_KERNEL_ERASE &&
	    !rf_pt_budget_set(pt) && rf_sim_config(sim)->faults.power_cut)
		fprintf(stderr, "ramflash: kernel erase off while the power cut is armed: the module has no kernel budget (before 1.4)\n");
	reads = rf_sim_reads_plain(sim);
	erases = rf_sim_erases_plain(sim);
	programs = rf_sim_programs_plain(sim);
	if (!reads && !erases && !programs)
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
	pt->programs = calloc((pt->blocks + 7) / 8, 1);
	if (!pt->marked || !pt->granted || !pt->programs)
		return -ENOMEM;
	pthread_mutex_init(&pt->lock, NULL);
	pt->locked = true;
	if (reads) {
		pt->on = true;
		pthread_mutex_lock(&pt->lock);
		rf_pt_mark_plain(pt, 0, pt->blocks);
		pthread_mutex_unlock(&pt->lock);
	}
	/* Kernel program needs the erase backing, whatever erases do. */
	if (erases || programs)
		rf_pt_erase_start(pt);
	if (pt->on || pt->program_on)
		rf_sim_on_plain_again(sim, rf_pt_plain_again, pt);
	if (pt->program_on)
		rf_sim_on_kernel_hold(sim, rf_pt_hold, pt);
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
	uint64_t first, n;

	if (!raw)
		return 0;
	rf_pt_blocks(pt, addr, len, &first, &n);
	return rf_pt_take_back(pt, first, n, RF_PT_READS | RF_PT_PROGRAMS);
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
	rf_pt_grant(pt, false, first, n);
	rf_pt_grant(pt, true, first, n);
	pthread_mutex_unlock(&pt->lock);
}

int rf_pt_before_markbad(struct rf_pt *pt, uint64_t addr)
{
	uint64_t first, n;

	rf_pt_blocks(pt, addr, 0, &first, &n);
	return rf_pt_take_back(pt, first, n, RF_PT_ERASES | RF_PT_PROGRAMS);
}

/*
 * Take back the blocks of [first, first + n) set in @bits, in runs: from
 * read passthrough (@kind RF_PT_READS), kernel erase or kernel program.
 */
static int rf_pt_take_back_bits(struct rf_pt *pt, unsigned int kind,
				uint64_t first, uint64_t n)
{
	uint8_t *bits = kind == RF_PT_READS ? pt->marked :
			kind == RF_PT_ERASES ? pt->granted : pt->programs;
	uint64_t b, run = first;
	int ret = 0;

	for (b = first; b <= first + n && !ret; b++) {
		if (b < first + n && rf_pt_test(bits, b))
			continue;
		if (b > run)
			ret = kind == RF_PT_READS ?
			      rf_pt_change(pt, run, b - run, false) :
			      rf_pt_grant_run(pt, kind == RF_PT_PROGRAMS, run,
					      b - run, 0);
		run = b + 1;
	}
	return ret;
}

/* The take-backs asked for; the caller holds pt->lock. */
static int rf_pt_take_back_locked(struct rf_pt *pt, uint64_t first, uint64_t n,
				  unsigned int what)
{
	int ret = 0;

	if (pt->on && what & RF_PT_READS)
		ret = rf_pt_take_back_bits(pt, RF_PT_READS, first, n);
	if (!ret && pt->erase_on && what & RF_PT_ERASES)
		ret = rf_pt_take_back_bits(pt, RF_PT_ERASES, first, n);
	if (!ret && pt->program_on && what & RF_PT_PROGRAMS)
		ret = rf_pt_take_back_bits(pt, RF_PT_PROGRAMS, first, n);
	return ret;
}

int rf_pt_take_back(struct rf_pt *pt, uint64_t first, uint64_t n,
		    unsigned int what)
{
	int ret;

	if (!pt->on && !pt->erase_on)
		return 0;
	pthread_mutex_lock(&pt->lock);
	ret = rf_pt_take_back_locked(pt, first, n, what);
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
	rf_pt_grant(pt, false, 0, pt->blocks);
	rf_pt_grant(pt, true, 0, pt->blocks);
	pthread_mutex_unlock(&pt->lock);
}

int rf_pt_arm_power_cut(struct rf_pt *pt)
{
	/* The kernel's operations are counted before the torn one. */
	if (pt->budget_on && rf_pt_budget_set(pt))
		return 0;
	/*
	 * Else they must stop: from now on rf_sim_erases_plain() and
	 * rf_sim_programs_plain() say no, and no grant comes back.
	 */
	return rf_pt_take_back(pt, 0, pt->blocks,
			       RF_PT_ERASES | RF_PT_PROGRAMS);
}

void rf_pt_power_cut(struct rf_pt *pt)
{
	if (!pt->on && !pt->erase_on)
		return;
	pthread_mutex_lock(&pt->lock);
	if (!pt->powered_off) {
		pt->powered_off = true;
		rf_pt_take_back_locked(pt, 0, pt->blocks, RF_PT_ALL);
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

void rf_pt_counts(struct rf_pt *pt, uint64_t *marked, uint64_t *granted,
		  uint64_t *programs)
{
	*marked = *granted = *programs = 0;
	if (!pt->on && !pt->erase_on)
		return;
	pthread_mutex_lock(&pt->lock);
	*marked = rf_pt_population(pt, pt->marked);
	*granted = rf_pt_population(pt, pt->granted);
	*programs = rf_pt_population(pt, pt->programs);
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
	if (pt->sim) {
		rf_sim_on_plain_again(pt->sim, NULL, NULL);
		rf_sim_on_kernel_hold(pt->sim, NULL, NULL);
		rf_sim_on_power_take(pt->sim, NULL, NULL);
	}
	pt->on = false;
	pt->erase_on = false;
	pt->program_on = false;
	pt->budget_on = false;
	if (pt->locked)
		pthread_mutex_destroy(&pt->lock);
	pt->locked = false;
	free(pt->marked);
	free(pt->granted);
	free(pt->programs);
	pt->marked = NULL;
	pt->granted = NULL;
	pt->programs = NULL;
}
