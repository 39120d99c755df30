// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ramflash I/O paths: read, program, erase and bad-block requests.
 *
 * Every request is handled one eraseblock at a time under that block's
 * lock, in address order.  Within a block the data part is handled first,
 * then the OOB of the block's pages.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "faults.h"
#include "keep.h"
#include "sim-state.h"
#include "stats.h"
#include "trace.h"

static void rf_delay(struct rf_sim *sim, uint32_t per_unit, uint64_t units)
{
	uint64_t usec = per_unit * units;

	if (usec)
		sim->cfg.delay(sim->cfg.delay_arg,
			       usec > UINT32_MAX ? UINT32_MAX : (uint32_t)usec);
}

/* A failed store access: the request fails with -EIO, loudly. */
static int rf_store_failed(struct rf_sim *sim, int ret, const char *what,
			   uint64_t addr)
{
	rf_stats_add(&sim->stats, store_errors, 1);
	rf_log(sim, "image %s at 0x%" PRIx64 " failed: %s (-EIO)", what, addr,
	       strerror(-ret));
	return -EIO;
}

int rf_write_bbm(struct rf_sim *sim, uint64_t block)
{
	static const uint8_t zeros[RF_BAD_BLOCK_MARKER_BYTES];
	uint32_t n = sim->geo.oob_size < RF_BAD_BLOCK_MARKER_BYTES ?
		     sim->geo.oob_size : RF_BAD_BLOCK_MARKER_BYTES;
	uint64_t page = block * sim->pages_per_block;
	int ret;

	/* Zeros AND anything are zeros: no need to read the old bytes. */
	ret = rf_image_program(&sim->img, RF_REGION_OOB,
			       page * sim->geo.oob_size, zeros, n, false);
	return ret ? rf_store_failed(sim, ret, "bad-block marker",
				     block * sim->geo.erase_size) : 0;
}

/*
 * Per-block bit maps (image.h): bit i of a block's map is bit i % 8 of
 * byte i / 8.  Indices are global (subpage or page numbers); the block's
 * map is found from them.
 */
static bool rf_bit_test(const uint8_t *bits, uint64_t i)
{
	return bits[i / 8] & (1U << (i % 8));
}

static void rf_bit_set(uint8_t *bits, uint64_t i)
{
	bits[i / 8] |= (uint8_t)(1U << (i % 8));
}

/*
 * The "programmed" bits are shared with the kernel when it programs
 * (kernel program): it sets them with atomic operations on the same
 * bytes, so ours are atomic too, and a bit it sets is never lost.
 */
static bool rf_programmed(const struct rf_sim *sim, uint64_t subpage)
{
	uint64_t per_block = (uint64_t)sim->pages_per_block *
			     sim->subpages_per_page;
	const uint8_t *map = rf_image_programmed(&sim->img,
						 subpage / per_block);
	uint64_t i = subpage % per_block;

	return __atomic_load_n(&map[i / 8], __ATOMIC_RELAXED) &
	       (1U << (i % 8));
}

static void rf_set_programmed(struct rf_sim *sim, uint64_t subpage)
{
	uint64_t per_block = (uint64_t)sim->pages_per_block *
			     sim->subpages_per_page;
	uint8_t *map = rf_image_programmed(&sim->img, subpage / per_block);
	uint64_t i = subpage % per_block;

	__atomic_fetch_or(&map[i / 8], (uint8_t)(1U << (i % 8)),
			  __ATOMIC_RELAXED);
}

static bool rf_raw_written(const struct rf_sim *sim, uint64_t page)
{
	return rf_bit_test(rf_image_raw_bits(&sim->img,
					     page / sim->pages_per_block),
			   page % sim->pages_per_block);
}

static void rf_set_raw_written(struct rf_sim *sim, uint64_t page)
{
	rf_bit_set(rf_image_raw_bits(&sim->img, page / sim->pages_per_block),
		   page % sim->pages_per_block);
}

/*
 * Clear bits [from, to) of a bit map, with atomic operations on its bytes
 * (the kernel may set other bits of the "programmed" map meanwhile).
 */
static void rf_bits_clear(uint8_t *bits, uint64_t from, uint64_t to)
{
	for (; from < to && from % 8; from++)
		__atomic_fetch_and(&bits[from / 8],
				   (uint8_t)~(1U << (from % 8)),
				   __ATOMIC_RELAXED);
	for (; to - from >= 8; from += 8)
		__atomic_store_n(&bits[from / 8], 0, __ATOMIC_RELAXED);
	for (; from < to; from++)
		__atomic_fetch_and(&bits[from / 8],
				   (uint8_t)~(1U << (from % 8)),
				   __ATOMIC_RELAXED);
}

/*
 * Count one operation of unit @index under a nandsim-style limit (@ops
 * parallel to @list); true when it is one past the limit, and fails.
 */
static bool rf_limit_hit(const struct rf_limit_list *list,
			 atomic_uint_fast64_t *ops, uint64_t index)
{
	long i = list->count ? rf_limit_find(list, index) : -1;

	return i >= 0 && atomic_fetch_add(&ops[i], 1) >= list->items[i].max;
}

/* ---- request geometry ---- */

/* The OOB bytes of one request that fall into one page. */
struct rf_oob_span {
	uint32_t area_off;	/* offset in the page's OOB area */
	uint32_t len;
	size_t buf_off;		/* offset in the request's OOB buffer */
};

static uint32_t rf_oob_per_page(const struct rf_sim *sim, enum rf_oob_mode mode)
{
	return mode == RF_OOB_AUTO ? sim->geo.oob_avail : sim->geo.oob_size;
}

/* The last page a request's OOB touches; only for ooblen > 0. */
static uint64_t rf_oob_last_page(const struct rf_sim *sim,
				 const struct rf_io *io)
{
	uint32_t per = rf_oob_per_page(sim, io->mode);

	return io->addr / sim->geo.page_size +
	       (io->ooboffs + io->ooblen - 1) / per;
}

static bool rf_oob_span(const struct rf_sim *sim, const struct rf_io *io,
			uint64_t page, struct rf_oob_span *span)
{
	uint32_t per = rf_oob_per_page(sim, io->mode);
	uint32_t base = io->mode == RF_OOB_AUTO ? rf_oob_free_offset(&sim->geo) : 0;
	uint64_t first = io->addr / sim->geo.page_size;
	uint32_t off;

	if (!io->ooblen || page < first)
		return false;
	if (page == first) {
		span->buf_off = 0;
		off = io->ooboffs;
	} else {
		span->buf_off = (per - io->ooboffs) +
				(size_t)(page - first - 1) * per;
		off = 0;
	}
	if (span->buf_off >= io->ooblen)
		return false;
	span->area_off = base + off;
	span->len = per - off;
	if (span->len > io->ooblen - span->buf_off)
		span->len = (uint32_t)(io->ooblen - span->buf_off);
	return true;
}

static int rf_invalid(struct rf_sim *sim, const char *what, uint64_t addr)
{
	rf_stats_add(&sim->stats, invalid, 1);
	rf_log(sim, "refused %s at 0x%" PRIx64 " (-EINVAL)", what, addr);
	return -EINVAL;
}

/* Check that a request lies inside the device and its OOB inside pages. */
static int rf_check_io(struct rf_sim *sim, const struct rf_io *io,
		       const char *what)
{
	uint32_t per;

	if (io->addr > sim->geo.size || io->len > sim->geo.size - io->addr)
		return rf_invalid(sim, what, io->addr);
	if (io->mode != RF_OOB_PLACE && io->mode != RF_OOB_AUTO &&
	    io->mode != RF_OOB_RAW)
		return rf_invalid(sim, what, io->addr);
	if (!io->ooblen)
		return 0;
	per = rf_oob_per_page(sim, io->mode);
	if (!per || io->ooboffs >= per || io->addr >= sim->geo.size ||
	    io->ooblen > (uint64_t)per * sim->pages ||
	    rf_oob_last_page(sim, io) >= sim->pages)
		return rf_invalid(sim, what, io->addr);
	return 0;
}

/* First and last block (inclusive) a checked request touches. */
static void rf_io_blocks(const struct rf_sim *sim, const struct rf_io *io,
			 uint64_t *first, uint64_t *last)
{
	uint64_t end = io->len ? io->addr + io->len - 1 : io->addr;

	if (io->ooblen) {
		uint64_t oob_end = rf_oob_last_page(sim, io) *
				   sim->geo.page_size;

		if (oob_end > end)
			end = oob_end;
	}
	*first = io->addr / sim->geo.erase_size;
	*last = end / sim->geo.erase_size;
}

/* The part of [addr, addr + len) inside block @b, as [*lo, *hi). */
static bool rf_clip(const struct rf_sim *sim, uint64_t b, uint64_t addr,
		    uint64_t len, uint64_t *lo, uint64_t *hi)
{
	uint64_t bstart = b * sim->geo.erase_size;
	uint64_t bend = bstart + sim->geo.erase_size;

	*lo = addr > bstart ? addr : bstart;
	*hi = addr + len < bend ? addr + len : bend;
	return *lo < *hi;
}

/* ---- erases the kernel did (kernel erase) ---- */

/* Whether a RAW write changed a page of [lo, hi) behind its ECC. */
static bool rf_raw_marked(const struct rf_sim *sim, uint64_t lo, uint64_t hi)
{
	uint64_t p;

	for (p = lo / sim->geo.page_size; p * sim->geo.page_size < hi; p++)
		if (rf_raw_written(sim, p))
			return true;
	return false;
}

/*
 * Forget the program state of pages [first, end) of block @b, whose data
 * and OOB are erased: the ECC shadow punched where RAW writes filled it,
 * the programmed and RAW bits cleared.  After a kernel erase (@kernel)
 * the programmed bits are the kernel's to clear when it programs
 * (rf_sim_share_program_state()): it cleared them at its erase, and
 * those set since are its programs after that erase.
 */
static int rf_forget_pages(struct rf_sim *sim, uint64_t b, uint64_t first,
			   uint64_t end, bool kernel)
{
	const struct rf_geometry *geo = &sim->geo;
	uint64_t from = first - b * sim->pages_per_block;
	uint64_t to = end - b * sim->pages_per_block;
	uint64_t addr = first * geo->page_size;
	uint64_t len = (end - first) * geo->page_size;
	int ret;

	if (sim->ecc_shadow && rf_raw_marked(sim, addr, addr + len)) {
		ret = rf_image_erase(&sim->img, RF_REGION_SHADOW, addr, len);
		if (ret)
			return rf_store_failed(sim, ret, "erase", addr);
	}
	if (rf_type_is_nand(geo->type)) {
		if (!kernel || !sim->program_shared)
			rf_bits_clear(rf_image_programmed(&sim->img, b),
				      from * sim->subpages_per_page,
				      to * sim->subpages_per_page);
		rf_bits_clear(rf_image_raw_bits(&sim->img, b), from, to);
	}
	return 0;
}

/*
 * Record @n erases in a block's record: wear grows, read disturb restarts,
 * and (unless @torn: the second half keeps its data) so does retention.
 */
static void rf_count_erases(struct rf_block_meta *meta, uint32_t n, bool torn)
{
	__atomic_store_n(&meta->erase_count, meta->erase_count + n,
			 __ATOMIC_RELAXED);
	__atomic_store_n(&meta->reads_since_erase, 0, __ATOMIC_RELAXED);
	if (!torn)
		__atomic_store_n(&meta->program_clock, 0, __ATOMIC_RELAXED);
}

int rf_apply_kernel_erases(struct rf_sim *sim, uint64_t b, bool count)
{
	struct rf_block_meta *meta = rf_image_block(&sim->img, b);
	uint64_t first = b * sim->pages_per_block;
	uint64_t addr = b * sim->geo.erase_size;
	bool raw;
	uint32_t n;
	int ret;

	/*
	 * Load first: an exchange stores even when the count is 0, and every
	 * request and every start (for each block) would dirty the image's
	 * metadata pages, allocating those it has never written.
	 */
	if (!rf_sim_pending_erases(sim, b))
		return 0;
	n = __atomic_exchange_n(&meta->kernel_erases, 0, __ATOMIC_ACQ_REL);
	if (!n)
		return 0;
	/* The kernel punched data and OOB; shadow and bits are ours. */
	raw = sim->ecc_shadow &&
	      rf_raw_marked(sim, addr, addr + sim->geo.erase_size);
	ret = rf_forget_pages(sim, b, first, first + sim->pages_per_block,
			      true);
	if (ret) {
		/* Left for the next request to apply. */
		__atomic_fetch_add(&meta->kernel_erases, n, __ATOMIC_RELAXED);
		return ret;
	}
	rf_count_erases(meta, n, false);
	rf_live_block_erased(sim, b);
	/* With KEEP_PAGES the kernel may have zeroed pages, not freed them. */
	rf_keep_note(sim, b);
	if (count) {
		/* One operation per block erased, as the kernel's budget. */
		atomic_fetch_add(&sim->mod_ops, n);
		rf_stats_add(&sim->stats, erases, n);
		rf_stats_add(&sim->stats, kernel_erases, n);
	}
	if (count && sim->trace) {
		struct rf_trace_op op = { .kind = RF_TRACE_KERNEL_ERASE,
					  .addr = addr, .count = n };

		rf_trace_note(sim->trace, &op);
	}
	if (raw && sim->plain_again)
		sim->plain_again(sim->plain_again_arg, b);
	return 0;
}

/* ---- programs the kernel did (kernel program) ---- */

void rf_apply_kernel_programs(struct rf_sim *sim, uint64_t b, bool count)
{
	struct rf_block_meta *meta = rf_image_block(&sim->img, b);
	uint32_t n;

	/* A load first, for the reason rf_apply_kernel_erases() gives. */
	if (!rf_sim_pending_programs(sim, b))
		return;
	n = __atomic_exchange_n(&meta->kernel_programs, 0, __ATOMIC_ACQ_REL);
	if (!n)
		return;
	/* Its pages hold data now: no erased block to punch. */
	rf_keep_forget(sim, b);
	if (!__atomic_load_n(&meta->program_clock, __ATOMIC_RELAXED))
		__atomic_store_n(&meta->program_clock,
				 atomic_load(&sim->clock) + 1,
				 __ATOMIC_RELAXED);
	if (!count)
		return;
	/*
	 * The kernel's budget counts one operation per WRITE unit it did,
	 * the count says subpages: pages, rounded up, are the operations
	 * when every write is a page or less (nandwrite's, UBI's headers),
	 * more than them otherwise.  mod_ops only numbers the torn operation
	 * in the power-cut command's answer; the budget decides which it is.
	 */
	atomic_fetch_add(&sim->mod_ops, (n + sim->subpages_per_page - 1) /
			 sim->subpages_per_page);
	rf_stats_add(&sim->stats, write_bytes,
		     (uint64_t)n * sim->geo.subpage_size);
	rf_stats_add(&sim->stats, kernel_programs, n);
}

int rf_apply_kernel_ops(struct rf_sim *sim, uint64_t b, bool count)
{
	int ret = rf_apply_kernel_erases(sim, b, count);

	if (!ret)
		rf_apply_kernel_programs(sim, b, count);
	return ret;
}

/* Whether the kernel did anything to block @b not applied yet. */
static bool rf_kernel_pending(const struct rf_sim *sim, uint64_t b)
{
	return rf_sim_pending_erases(sim, b) || rf_sim_pending_programs(sim, b);
}

/*
 * Lock block @b for a request that changes it (write, erase, mark bad),
 * with the kernel's erases and programs of it applied first.
 *
 * Return: 0, or -EIO with the lock released.
 */
static int rf_lock_changing(struct rf_sim *sim, uint64_t b)
{
	int ret;

	pthread_rwlock_wrlock(&sim->locks[b]);
	ret = rf_apply_kernel_ops(sim, b, true);
	if (ret)
		pthread_rwlock_unlock(&sim->locks[b]);
	return ret;
}

/*
 * Lock block @b for a read.  Erases and programs the kernel did are
 * applied first, under the write lock; checking for them is two loads
 * from the block's record.
 *
 * Return: 0, or -EIO with the lock released.
 */
static int rf_lock_reading(struct rf_sim *sim, uint64_t b)
{
	int ret;

	pthread_rwlock_rdlock(&sim->locks[b]);
	if (!rf_kernel_pending(sim, b))
		return 0;
	pthread_rwlock_unlock(&sim->locks[b]);
	ret = rf_lock_changing(sim, b);
	if (ret)
		return ret;
	pthread_rwlock_unlock(&sim->locks[b]);
	pthread_rwlock_rdlock(&sim->locks[b]);
	return 0;
}

/* ---- read ---- */

/* The fault models' inputs for one read of block @b. */
static void rf_step_read_init(struct rf_sim *sim, uint64_t b,
			      struct rf_step_read *rd)
{
	struct rf_block_meta *meta = rf_image_block(&sim->img, b);
	uint64_t program_clock;

	rd->read_seq = __atomic_fetch_add(&meta->read_seq, 1, __ATOMIC_RELAXED);
	rd->reads_before = __atomic_fetch_add(&meta->reads_since_erase, 1,
					      __ATOMIC_RELAXED);
	program_clock = __atomic_load_n(&meta->program_clock, __ATOMIC_RELAXED);
	rd->age = program_clock ?
		  atomic_load(&sim->clock) - (program_clock - 1) : 0;
}

/*
 * The control's flip-bits: the flips the read of the step at @addr takes
 * when it is the first step of a page with a live FLIP (counted in
 * cause->live, which is zeroed otherwise).
 */
static uint32_t rf_read_live_flips(struct rf_sim *sim, uint64_t addr,
				   struct rf_flips *cause)
{
	uint32_t bits = 0;

	cause->live = 0;
	if (addr % sim->geo.page_size ||
	    !rf_live_take(sim, RF_LIVE_FLIP, addr / sim->geo.page_size, &bits))
		return 0;
	cause->live = bits;
	rf_log(sim, "%" PRIu32 " bits flipped at 0x%" PRIx64 " (flip-bits)",
	       bits, addr);
	return bits;
}

/*
 * The ECC outcome of the data [lo, hi) of block @b, step by step: the
 * flips of the fault models plus the bits a RAW write changed behind the
 * ECC.  Within the strength the step comes back corrected (what the ECC
 * protects); beyond it, or in RAW mode, as stored plus the model's flips.
 *
 * Return: 0 or -EIO (store failure).
 */
static int rf_read_ecc(struct rf_sim *sim, const struct rf_io *io,
			uint64_t b, uint64_t lo, uint64_t hi,
			struct rf_ecc *ecc)
{
	const struct rf_geometry *geo = &sim->geo;
	uint32_t step_len = geo->ecc_strength ? geo->ecc_step : geo->page_size;
	bool raw = io->mode == RF_OOB_RAW;
	struct rf_step_read rd = { 0 };
	struct rf_flips cause = { 0 };
	uint64_t step, addr, from, to;
	uint32_t n_model, n_diff, n;
	int ret;

	if (sim->flips_enabled)
		rf_step_read_init(sim, b, &rd);
	for (step = lo / step_len; step * step_len < hi; step++) {
		addr = step * step_len;
		rd.step = step;
		n_model = sim->flips_enabled ?
			  rf_step_flips(&sim->cfg.faults, sim->bitflip_max,
					&rd, &cause) : 0;
		n_model += rf_read_live_flips(sim, addr, &cause);
		n_diff = 0;
		if (!raw && rf_raw_written(sim, addr / geo->page_size)) {
			ret = rf_image_diff_bits(&sim->img, RF_REGION_DATA,
						 RF_REGION_SHADOW, addr,
						 step_len, &n_diff);
			if (ret)
				return rf_store_failed(sim, ret, "read", addr);
		}
		n = n_model + n_diff;
		if (!n)
			continue;
		rf_stats_add(&sim->stats, flips_random, cause.random);
		rf_stats_add(&sim->stats, flips_disturb, cause.disturb);
		rf_stats_add(&sim->stats, flips_retention, cause.retention);
		rf_stats_add(&sim->stats, flips_live, cause.live);
		rf_stats_add(&sim->stats, raw_diff_bits, n_diff);
		if (!raw && n <= geo->ecc_strength) {
			ecc->corrected += n;
			if (n > ecc->max_bitflips)
				ecc->max_bitflips = n;
			rf_stats_add(&sim->stats, ecc_corrected_bits, n);
			from = addr > lo ? addr : lo;
			to = addr + step_len < hi ? addr + step_len : hi;
			ret = n_diff ? rf_image_load(&sim->img, RF_REGION_SHADOW,
						     from, (uint8_t *)io->buf +
						     (from - io->addr),
						     to - from) : 0;
			if (ret)
				return rf_store_failed(sim, ret, "read", from);
			continue;
		}
		if (!raw) {
			ecc->failed++;
			rf_stats_add(&sim->stats, ecc_failed_steps, 1);
			rf_log(sim, "uncorrectable: %" PRIu32
			       " bit flips in ECC step at 0x%" PRIx64, n, addr);
		}
		rf_flip_bits(sim->cfg.faults.seed, step, addr, step_len, n_model,
			     io->buf, io->addr, io->len);
	}
	return 0;
}

/* Whether any subpage of [lo, hi) was programmed since its erase. */
static bool rf_any_programmed(const struct rf_sim *sim, uint64_t lo,
			      uint64_t hi)
{
	uint64_t sp;

	for (sp = lo / sim->geo.subpage_size;
	     sp * sim->geo.subpage_size < hi; sp++)
		if (rf_programmed(sim, sp))
			return true;
	return false;
}

bool rf_block_programmed(const struct rf_sim *sim, uint64_t block)
{
	return rf_type_is_nand(sim->geo.type) &&
	       rf_any_programmed(sim, block * sim->geo.erase_size,
				 (block + 1) * sim->geo.erase_size);
}

/*
 * --grave-pages: a page of [lo, hi) read more often than its limit comes
 * back as garbage the ECC cannot correct, as nandsim's gravepages do; so
 * does one the control's grave command made.  As in nandsim, only reads
 * of a page holding data count and fail: an erased one (nothing
 * programmed since its erase) reads erased.
 */
static void rf_read_graves(struct rf_sim *sim, const struct rf_io *io,
			   uint64_t lo, uint64_t hi, struct rf_ecc *ecc)
{
	const struct rf_limit_list *grave = &sim->cfg.faults.grave_pages;
	uint32_t page = sim->geo.page_size;
	uint64_t p, a, end;

	for (p = lo / page; p * page < hi; p++) {
		if (!(rf_any_programmed(sim, p * page, (p + 1) * page) &&
		      rf_limit_hit(grave, sim->grave_page_ops, p)) &&
		    !rf_live_take(sim, RF_LIVE_GRAVE, p, NULL))
			continue;
		end = (p + 1) * page < hi ? (p + 1) * page : hi;
		for (a = p * page > lo ? p * page : lo; a < end; a++)
			((uint8_t *)io->buf)[a - io->addr] = (uint8_t)rf_hash(
				sim->cfg.faults.seed, RF_HASH_GRAVE, a, 0);
		rf_stats_add(&sim->stats, grave_reads, 1);
		if (io->mode != RF_OOB_RAW) {
			ecc->failed++;
			rf_stats_add(&sim->stats, ecc_failed_steps, 1);
		}
		rf_log(sim, "grave page %" PRIu64 " read as garbage", p);
	}
}

static int rf_read_block(struct rf_sim *sim, const struct rf_io *io,
			 uint64_t b, struct rf_ecc *ecc)
{
	const struct rf_geometry *geo = &sim->geo;
	uint64_t lo, hi, page, touched = 0;
	struct rf_oob_span span;
	int ret;

	if (rf_clip(sim, b, io->addr, io->len, &lo, &hi)) {
		ret = rf_image_load(&sim->img, RF_REGION_DATA, lo,
				    (uint8_t *)io->buf + (lo - io->addr),
				    hi - lo);
		if (ret)
			return rf_store_failed(sim, ret, "read", lo);
		touched = (hi - 1) / geo->page_size - lo / geo->page_size + 1;
		if (sim->flips_enabled || rf_live_any(sim) ||
		    (sim->ecc_shadow && io->mode != RF_OOB_RAW &&
		     rf_raw_marked(sim, lo, hi))) {
			ret = rf_read_ecc(sim, io, b, lo, hi, ecc);
			if (ret)
				return ret;
		}
		if (sim->cfg.faults.grave_pages.count || rf_live_any(sim))
			rf_read_graves(sim, io, lo, hi, ecc);
	}
	for (page = b * sim->pages_per_block;
	     io->ooblen && page < (b + 1) * sim->pages_per_block; page++) {
		if (!rf_oob_span(sim, io, page, &span))
			continue;
		ret = rf_image_load(&sim->img, RF_REGION_OOB,
				    page * geo->oob_size + span.area_off,
				    (uint8_t *)io->oobbuf + span.buf_off,
				    span.len);
		if (ret)
			return rf_store_failed(sim, ret, "OOB read",
					       page * geo->page_size);
		if (!io->len)
			touched++;
	}
	rf_delay(sim, sim->cfg.faults.latency_read_us, touched);
	return 0;
}

int rf_do_read(struct rf_sim *sim, const struct rf_io *io, struct rf_ecc *ecc)
{
	uint64_t b, first, last;
	int ret;

	memset(ecc, 0, sizeof(*ecc));
	if (atomic_load(&sim->powered_off))
		return RF_POWER_CUT;
	ret = rf_check_io(sim, io, "read");
	if (ret)
		return ret;
	atomic_fetch_add(&sim->clock, 1);
	rf_stats_add(&sim->stats, reads, 1);
	if (!io->len && !io->ooblen)
		return 0;
	rf_io_blocks(sim, io, &first, &last);
	for (b = first; b <= last && !ret; b++) {
		ret = rf_lock_reading(sim, b);
		if (ret)
			break;
		ret = rf_read_block(sim, io, b, ecc);
		pthread_rwlock_unlock(&sim->locks[b]);
	}
	if (ret)
		return ret;
	rf_stats_add(&sim->stats, read_bytes, io->len);
	rf_stats_add(&sim->stats, read_oob_bytes, io->ooblen);
	return 0;
}

/* ---- program ---- */

/*
 * Program the in-band part [lo, hi) of a NAND block.  Erased subpages take
 * the data as it is (AND with all ones is a copy, and the store need not
 * read them), programmed ones AND it in; runs of either kind go to the
 * store at once.
 */
static int rf_program_nand(struct rf_sim *sim, const struct rf_io *io,
			   uint64_t lo, uint64_t hi)
{
	uint32_t sub = sim->geo.subpage_size;
	uint64_t pos, end;
	bool and;
	int ret;

	for (pos = lo; pos < hi; pos = end) {
		and = rf_programmed(sim, pos / sub);
		for (end = pos; end < hi && rf_programmed(sim, end / sub) == and;
		     end = (end / sub + 1) * sub)
			rf_set_programmed(sim, end / sub);
		if (end > hi)
			end = hi;
		ret = rf_image_program(&sim->img, RF_REGION_DATA, pos,
				       (const uint8_t *)io->buf + (pos - io->addr),
				       end - pos, and);
		if (ret)
			return rf_store_failed(sim, ret, "program", pos);
	}
	return 0;
}

/*
 * A RAW write bypasses the ECC: before it changes a page, remember what
 * the page's ECC protects, so later ECC reads see the difference as bit
 * flips (as mtd_nandbiterrs and nandflipbits expect).
 */
static int rf_shadow_before_raw(struct rf_sim *sim, uint64_t lo, uint64_t hi)
{
	uint32_t page = sim->geo.page_size;
	uint64_t p;
	int ret;

	for (p = lo / page; p * page < hi; p++) {
		if (rf_raw_written(sim, p))
			continue;
		ret = rf_image_copy(&sim->img, RF_REGION_DATA, RF_REGION_SHADOW,
				    p * page, page);
		if (ret)
			return rf_store_failed(sim, ret, "shadow copy", p * page);
		rf_set_raw_written(sim, p);
	}
	return 0;
}

/* A program through the ECC protects what [lo, hi) now holds. */
static int rf_shadow_after_program(struct rf_sim *sim, uint64_t lo,
				   uint64_t hi)
{
	uint32_t page = sim->geo.page_size;
	uint64_t p, from, to;
	int ret;

	for (p = lo / page; p * page < hi; p++) {
		if (!rf_raw_written(sim, p))
			continue;
		from = p * page > lo ? p * page : lo;
		to = (p + 1) * page < hi ? (p + 1) * page : hi;
		ret = rf_image_copy(&sim->img, RF_REGION_DATA, RF_REGION_SHADOW,
				    from, to - from);
		if (ret)
			return rf_store_failed(sim, ret, "shadow copy", from);
	}
	return 0;
}

/* Program the in-band part [lo, hi) of block data, whatever the type. */
static int rf_program_data(struct rf_sim *sim, const struct rf_io *io,
			   uint64_t lo, uint64_t hi)
{
	bool raw = io->mode == RF_OOB_RAW;
	int ret = 0;

	if (sim->ecc_shadow && raw)
		ret = rf_shadow_before_raw(sim, lo, hi);
	if (ret)
		return ret;
	if (rf_type_is_nand(sim->geo.type)) {
		ret = rf_program_nand(sim, io, lo, hi);
	} else {
		/* NOR only clears bits; RAM overwrites. */
		ret = rf_image_program(&sim->img, RF_REGION_DATA, lo,
				       (const uint8_t *)io->buf + (lo - io->addr),
				       hi - lo, sim->geo.type == RF_TYPE_NOR);
		if (ret)
			ret = rf_store_failed(sim, ret, "program", lo);
	}
	if (!ret && sim->ecc_shadow && !raw)
		ret = rf_shadow_after_program(sim, lo, hi);
	return ret;
}

/*
 * --weak-pages: the first page of @io in block @b programmed more often
 * than its limit (or failing by the control's fail-program), or
 * UINT64_MAX.  Pages before it count a program.
 */
static uint64_t rf_weak_page_hit(struct rf_sim *sim, const struct rf_io *io,
				 uint64_t b)
{
	const struct rf_limit_list *weak = &sim->cfg.faults.weak_pages;
	uint32_t page = sim->geo.page_size;
	uint64_t p = io->addr / page, last = p, end;

	if (!weak->count && !rf_live_any(sim))
		return UINT64_MAX;
	if (io->len)
		last = (io->addr + io->len - 1) / page;
	if (io->ooblen && rf_oob_last_page(sim, io) > last)
		last = rf_oob_last_page(sim, io);
	end = (b + 1) * sim->pages_per_block < last + 1 ?
	      (b + 1) * sim->pages_per_block : last + 1;
	for (p = p > b * sim->pages_per_block ? p : b * sim->pages_per_block;
	     p < end; p++)
		if (rf_limit_hit(weak, sim->weak_page_ops, p) ||
		    rf_live_take(sim, RF_LIVE_FAIL_PROGRAM, p, NULL))
			return p;
	return UINT64_MAX;
}

/*
 * Program the part of @io that falls into block @b.  A torn write (power
 * cut) programs data only below @data_end and OOB only of pages below
 * @oob_end_page.
 */
static int rf_write_block(struct rf_sim *sim, const struct rf_io *io,
			  uint64_t b, uint64_t data_end, uint64_t oob_end_page)
{
	const struct rf_geometry *geo = &sim->geo;
	struct rf_block_meta *meta = rf_image_block(&sim->img, b);
	bool nand = rf_type_is_nand(geo->type);
	uint64_t lo, hi, page, touched = 0, weak;
	struct rf_oob_span span;
	bool data;
	int ret;

	if (meta->worn_out) {
		rf_log(sim, "program of worn-out block %" PRIu64 " (-EIO)", b);
		return -EIO;
	}
	if (rf_block_list_contains(&sim->cfg.faults.fail_program, b)) {
		rf_stats_add(&sim->stats, program_failures, 1);
		rf_log(sim, "injected program failure in block %" PRIu64, b);
		return -EIO;
	}
	data = rf_clip(sim, b, io->addr, io->len, &lo, &hi);
	if (data && nand && sim->refuse_reprogram &&
	    rf_any_programmed(sim, lo, hi)) {
		rf_stats_add(&sim->stats, reprogram_refused, 1);
		rf_log(sim, "refused reprogram at 0x%" PRIx64
		       " without erase (-EIO)", lo);
		return -EIO;
	}
	/* A weak page fails; the pages before it are programmed. */
	weak = rf_weak_page_hit(sim, io, b);
	if (weak != UINT64_MAX && weak < oob_end_page) {
		oob_end_page = weak;
		data_end = weak * geo->page_size;
	}
	if (data && hi > data_end)
		hi = data_end > lo ? data_end : lo;
	if (data && lo < hi) {
		ret = rf_program_data(sim, io, lo, hi);
		if (ret)
			return ret;
		touched = (hi - 1) / geo->page_size - lo / geo->page_size + 1;
	}
	for (page = b * sim->pages_per_block;
	     io->ooblen && page < (b + 1) * sim->pages_per_block &&
	     page < oob_end_page; page++) {
		if (!rf_oob_span(sim, io, page, &span))
			continue;
		ret = rf_image_program(&sim->img, RF_REGION_OOB,
				       page * geo->oob_size + span.area_off,
				       (const uint8_t *)io->oobbuf + span.buf_off,
				       span.len, true);
		if (ret)
			return rf_store_failed(sim, ret, "OOB program",
					       page * geo->page_size);
		if (!io->len)
			touched++;
	}
	if (touched && !__atomic_load_n(&meta->program_clock, __ATOMIC_RELAXED))
		__atomic_store_n(&meta->program_clock,
				 atomic_load(&sim->clock) + 1,
				 __ATOMIC_RELAXED);
	rf_delay(sim, sim->cfg.faults.latency_program_us, touched);
	if (weak != UINT64_MAX) {
		rf_stats_add(&sim->stats, program_failures, 1);
		rf_log(sim, "weak page %" PRIu64 " fails its program", weak);
		return -EIO;
	}
	return 0;
}

/*
 * Claim the next program/erase number.  Returns 0 to proceed, 1 if this
 * operation is the one the power cut interrupts, RF_POWER_CUT if the power
 * is already off.  With a budget the kernel shares (rf_sim_on_power_take())
 * the operation that finds it spent is the torn one: the kernel's own
 * operations took from it too.  Without one, the operations are counted
 * here against --power-cut-after.
 */
static int rf_power_claim(struct rf_sim *sim)
{
	uint64_t n;
	int left;

	if (atomic_load(&sim->powered_off))
		return RF_POWER_CUT;
	n = atomic_fetch_add(&sim->mod_ops, 1);
	if (!sim->cfg.faults.power_cut)
		return 0;
	left = sim->power_take ? sim->power_take(sim->power_take_arg) : -ENOSYS;
	/* The kernel's erases applied may step mod_ops past the number. */
	if (left > 0 || (left < 0 && n < sim->cfg.faults.power_cut_after))
		return 0;
	return atomic_exchange(&sim->torn, true) ? RF_POWER_CUT : 1;
}

static int rf_power_off(struct rf_sim *sim, const char *what, uint64_t addr)
{
	atomic_store(&sim->powered_off, true);
	rf_stats_add(&sim->stats, power_cuts, 1);
	rf_log(sim, "power cut during %s at 0x%" PRIx64, what, addr);
	return RF_POWER_CUT;
}

int rf_do_write(struct rf_sim *sim, const struct rf_io *io)
{
	const struct rf_geometry *geo = &sim->geo;
	uint64_t b, first, last, data_end = UINT64_MAX;
	uint64_t oob_end_page = UINT64_MAX, first_page, npages;
	int torn, ret = 0;

	if (atomic_load(&sim->powered_off))
		return RF_POWER_CUT;
	ret = rf_check_io(sim, io, "write");
	if (ret)
		return ret;
	if (io->len && rf_type_is_nand(geo->type) &&
	    (io->addr % geo->subpage_size || io->len % geo->subpage_size))
		return rf_invalid(sim, "unaligned NAND write", io->addr);
	if (!io->len && !io->ooblen)
		return 0;
	torn = rf_power_claim(sim);
	if (torn < 0)
		return torn;
	atomic_fetch_add(&sim->clock, 1);
	rf_io_blocks(sim, io, &first, &last);
	if (torn) {
		/* Stop in the middle of the middle page of the request. */
		first_page = io->addr / geo->page_size;
		npages = io->len ? (io->addr + io->len - 1) / geo->page_size -
				   first_page + 1 : 0;
		if (io->ooblen && rf_oob_last_page(sim, io) - first_page + 1 >
				  npages)
			npages = rf_oob_last_page(sim, io) - first_page + 1;
		oob_end_page = first_page + npages / 2;
		data_end = oob_end_page * geo->page_size + geo->page_size / 2;
	}
	for (b = first; b <= last && !ret; b++) {
		ret = rf_lock_changing(sim, b);
		if (ret)
			break;
		rf_keep_forget(sim, b);
		ret = rf_write_block(sim, io, b, data_end, oob_end_page);
		pthread_rwlock_unlock(&sim->locks[b]);
	}
	if (torn)
		return rf_power_off(sim, "program", io->addr);
	rf_stats_add(&sim->stats, writes, 1);
	if (!ret) {
		rf_stats_add(&sim->stats, write_bytes, io->len);
		rf_stats_add(&sim->stats, write_oob_bytes, io->ooblen);
	}
	return ret;
}

/* ---- erase ---- */

/*
 * Erase pages [first, end) of block @b to all ones: holes punched into
 * the data and OOB (and the ECC shadow where RAW writes filled it), the
 * program state cleared.  The cost does not grow with the block size.
 */
static int rf_erase_pages(struct rf_sim *sim, uint64_t b, uint64_t first,
			  uint64_t end)
{
	const struct rf_geometry *geo = &sim->geo;
	uint64_t addr = first * geo->page_size;
	int ret;

	ret = rf_image_erase(&sim->img, RF_REGION_DATA, addr,
			     (end - first) * geo->page_size);
	if (!ret)
		ret = rf_image_erase(&sim->img, RF_REGION_OOB,
				     first * geo->oob_size,
				     (end - first) * geo->oob_size);
	if (ret)
		return rf_store_failed(sim, ret, "erase", addr);
	return rf_forget_pages(sim, b, first, end, false);
}

static int rf_erase_block(struct rf_sim *sim, uint64_t b, bool torn)
{
	const struct rf_faults *f = &sim->cfg.faults;
	struct rf_block_meta *meta = rf_image_block(&sim->img, b);
	uint64_t first = b * sim->pages_per_block;
	int ret;

	if (meta->bad) {
		rf_stats_add(&sim->stats, bad_block_erases, 1);
		rf_log(sim, "erase of bad block %" PRIu64 " refused (-EIO)", b);
		return -EIO;
	}
	if (rf_block_list_contains(&f->fail_erase, b)) {
		rf_stats_add(&sim->stats, erase_failures, 1);
		rf_log(sim, "injected erase failure in block %" PRIu64, b);
		return -EIO;
	}
	if (rf_live_take(sim, RF_LIVE_FAIL_ERASE, b, NULL)) {
		rf_stats_add(&sim->stats, erase_failures, 1);
		rf_log(sim, "block %" PRIu64 " fails its erase (fail-erase)", b);
		return -EIO;
	}
	if (rf_limit_hit(&f->weak_blocks, sim->weak_block_ops, b)) {
		rf_stats_add(&sim->stats, erase_failures, 1);
		rf_log(sim, "weak block %" PRIu64 " fails its erase", b);
		return -EIO;
	}
	/* Worn out: every erase fails; marking it bad is the user's job. */
	if (f->endurance && meta->erase_count >= f->endurance) {
		if (!meta->worn_out)
			rf_stats_add(&sim->stats, worn_out_blocks, 1);
		meta->worn_out = 1;
		rf_log(sim, "block %" PRIu64 " worn out after %" PRIu32
		       " erases (-EIO)", b, meta->erase_count);
		return -EIO;
	}
	/* A torn erase reaches only the first half of the block. */
	ret = rf_erase_pages(sim, b, first, first +
			     (torn ? sim->pages_per_block / 2 :
			      sim->pages_per_block));
	if (ret)
		return ret;
	rf_count_erases(meta, 1, torn);
	rf_live_block_erased(sim, b);
	rf_stats_add(&sim->stats, erases, 1);
	rf_delay(sim, f->latency_erase_us, 1);
	return 0;
}

/* --wear-report: one more erase done; every N-th reports the wear. */
static void rf_wear_tick(struct rf_sim *sim)
{
	uint64_t n = atomic_fetch_add(&sim->wear_erases, 1) + 1;

	if (n % sim->cfg.wear_report == 0)
		rf_wear_report(sim, stderr, n);
}

int rf_do_erase(struct rf_sim *sim, uint64_t addr, uint64_t len)
{
	uint64_t b;
	int torn, ret;

	if (atomic_load(&sim->powered_off))
		return RF_POWER_CUT;
	if (addr % sim->geo.erase_size || len % sim->geo.erase_size || !len ||
	    addr > sim->geo.size || len > sim->geo.size - addr)
		return rf_invalid(sim, "erase", addr);
	atomic_fetch_add(&sim->clock, 1);
	for (b = addr / sim->geo.erase_size;
	     b < (addr + len) / sim->geo.erase_size; b++) {
		torn = rf_power_claim(sim);
		if (torn < 0)
			return torn;
		ret = rf_lock_changing(sim, b);
		if (!ret) {
			rf_keep_forget(sim, b);
			ret = rf_erase_block(sim, b, torn);
			pthread_rwlock_unlock(&sim->locks[b]);
		}
		if (torn)
			return rf_power_off(sim, "erase", b * sim->geo.erase_size);
		if (ret)
			return ret;
		if (sim->cfg.wear_report)
			rf_wear_tick(sim);
	}
	return 0;
}

/* ---- bad blocks ---- */

static int rf_check_block_addr(struct rf_sim *sim, uint64_t addr,
			       const char *what)
{
	if (addr % sim->geo.erase_size || addr >= sim->geo.size)
		return rf_invalid(sim, what, addr);
	return 0;
}

int rf_do_isbad(struct rf_sim *sim, uint64_t addr)
{
	int ret = rf_check_block_addr(sim, addr, "isbad");

	if (ret)
		return ret;
	rf_stats_add(&sim->stats, isbad, 1);
	return rf_sim_bad_reason(sim, addr / sim->geo.erase_size) !=
	       RF_BLOCK_GOOD;
}

int rf_do_markbad(struct rf_sim *sim, uint64_t addr)
{
	uint64_t b = addr / sim->geo.erase_size;
	struct rf_block_meta *meta;
	int ret;

	if (atomic_load(&sim->powered_off))
		return RF_POWER_CUT;
	ret = rf_check_block_addr(sim, addr, "markbad");
	if (ret)
		return ret;
	rf_stats_add(&sim->stats, markbad, 1);
	ret = rf_lock_changing(sim, b);
	if (ret)
		return ret;
	rf_keep_forget(sim, b);
	meta = rf_image_block(&sim->img, b);
	if (meta->bad == RF_BLOCK_GOOD)
		__atomic_store_n(&meta->bad, meta->worn_out ?
				 RF_BLOCK_WORN_OUT : RF_BLOCK_MARKED_BAD,
				 __ATOMIC_RELAXED);
	ret = rf_write_bbm(sim, b);
	pthread_rwlock_unlock(&sim->locks[b]);
	rf_log(sim, "block %" PRIu64 " marked bad", b);
	return ret;
}

