// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ramflash simulation core: chip semantics and fault injection.
 *
 * Every request is handled one eraseblock at a time under that block's
 * lock, in address order.  Within a block the data part is handled first,
 * then the OOB of the block's pages.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "faults.h"
#include "image.h"
#include "sim.h"
#include "stats.h"

struct rf_sim {
	struct rf_config cfg;		/* block lists owned by the sim */
	struct rf_geometry geo;
	struct rf_image img;
	struct rf_stats stats;
	pthread_rwlock_t *locks;	/* one per eraseblock */
	uint64_t blocks;
	uint64_t pages;
	uint32_t pages_per_block;
	uint32_t bitflip_max;
	bool flips_enabled;
	bool ecc_shadow;		/* NAND with ECC: track RAW writes */
	bool refuse_reprogram;
	atomic_uint_fast64_t clock;	/* every request ticks it */
	atomic_uint_fast64_t mod_ops;	/* programs + block erases started */
	atomic_bool powered_off;
};

bool rf_type_is_nand(enum rf_type type)
{
	return type == RF_TYPE_NAND || type == RF_TYPE_MLC_NAND;
}

const char *rf_type_name(enum rf_type type)
{
	switch (type) {
	case RF_TYPE_NAND:
		return "nand";
	case RF_TYPE_MLC_NAND:
		return "mlc-nand";
	case RF_TYPE_NOR:
		return "nor";
	case RF_TYPE_RAM:
		return "ram";
	}
	return "unknown";
}

static bool rf_is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

/*
 * OOB bytes a BCH code of @strength bits over @step bytes needs, the
 * usual Linux layout cost: m = bits to index the codeword, m * t bits.
 */
static uint32_t rf_bch_bytes(uint32_t step, uint32_t strength)
{
	uint32_t m = 1;

	while ((1ULL << m) <= (uint64_t)step * 8)
		m++;
	return (m * strength + 7) / 8;
}

#define RF_BAD_BLOCK_MARKER_BYTES	2

int rf_errorf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int rf_nand_geometry_complete(struct rf_geometry *geo, char *err,
				     size_t errlen)
{
	uint32_t ecc_bytes, reserved;

	if (!geo->page_size)
		geo->page_size = 2048;
	if (!geo->erase_size)
		geo->erase_size = 64 * geo->page_size;
	if (!geo->subpage_size)
		geo->subpage_size = geo->page_size;
	if (!geo->ecc_step)
		geo->ecc_step = 512;
	if (!rf_is_pow2(geo->page_size) || geo->page_size < 256)
		return rf_errorf(err, errlen, "NAND page size %" PRIu32
				    " is not a power of two >= 256",
				    geo->page_size);
	if (geo->subpage_size > geo->page_size ||
	    !rf_is_pow2(geo->page_size / geo->subpage_size) ||
	    geo->page_size % geo->subpage_size)
		return rf_errorf(err, errlen, "subpage size %" PRIu32
				    " must be the page size divided by a power of two",
				    geo->subpage_size);
	if (geo->ecc_strength && geo->page_size % geo->ecc_step)
		return rf_errorf(err, errlen, "ECC step %" PRIu32
				    " does not divide the page size %" PRIu32,
				    geo->ecc_step, geo->page_size);
	if (geo->ecc_strength > geo->ecc_step * 8)
		return rf_errorf(err, errlen, "ECC strength %" PRIu32
				    " exceeds the bits of a step", geo->ecc_strength);
	if (geo->oob_avail == RF_GEO_DEFAULT) {
		ecc_bytes = geo->ecc_strength ?
			    geo->page_size / geo->ecc_step *
			    rf_bch_bytes(geo->ecc_step, geo->ecc_strength) : 0;
		reserved = RF_BAD_BLOCK_MARKER_BYTES + ecc_bytes;
		geo->oob_avail = geo->oob_size > reserved ?
				 geo->oob_size - reserved : 0;
	}
	return 0;
}

int rf_geometry_complete(struct rf_geometry *geo, char *err, size_t errlen)
{
	bool nand = rf_type_is_nand(geo->type);
	int ret;

	if (geo->type != RF_TYPE_NAND && geo->type != RF_TYPE_MLC_NAND &&
	    geo->type != RF_TYPE_NOR && geo->type != RF_TYPE_RAM)
		return rf_errorf(err, errlen, "unknown flash type %d",
				    (int)geo->type);
	if (nand) {
		ret = rf_nand_geometry_complete(geo, err, errlen);
		if (ret)
			return ret;
	} else {
		if (geo->oob_size || (geo->oob_avail && geo->oob_avail !=
				      RF_GEO_DEFAULT))
			return rf_errorf(err, errlen, "%s flash has no OOB",
					    rf_type_name(geo->type));
		if (geo->ecc_strength)
			return rf_errorf(err, errlen, "%s flash has no ECC",
					    rf_type_name(geo->type));
		geo->oob_avail = 0;
		if (!geo->page_size)
			geo->page_size = 1;
		if (!geo->erase_size)
			geo->erase_size = geo->type == RF_TYPE_NOR ?
					  64 * 1024 : 128 * 1024;
		if (!geo->subpage_size)
			geo->subpage_size = geo->page_size;
		if (geo->subpage_size != geo->page_size)
			return rf_errorf(err, errlen, "%s flash has no subpages",
					    rf_type_name(geo->type));
	}
	if (!geo->writebuf_size)
		geo->writebuf_size = nand ? geo->page_size :
				     geo->type == RF_TYPE_NOR ? 512 : 64;
	if (!geo->size)
		geo->size = 32ULL << 20;
	if (geo->erase_size % geo->page_size)
		return rf_errorf(err, errlen, "erase size %" PRIu32
				    " is not a multiple of the page size %" PRIu32,
				    geo->erase_size, geo->page_size);
	if (geo->erase_size < geo->page_size * 2 && nand)
		return rf_errorf(err, errlen, "a NAND eraseblock needs two pages or more");
	if (geo->writebuf_size % geo->page_size ||
	    geo->erase_size % geo->writebuf_size)
		return rf_errorf(err, errlen, "write buffer size %" PRIu32
				    " must be a multiple of the page size dividing the erase size",
				    geo->writebuf_size);
	if (geo->size % geo->erase_size)
		return rf_errorf(err, errlen, "device size %" PRIu64
				    " is not a multiple of the erase size %" PRIu32,
				    geo->size, geo->erase_size);
	if (geo->oob_avail > geo->oob_size)
		return rf_errorf(err, errlen, "OOB avail %" PRIu32
				    " exceeds the OOB size %" PRIu32,
				    geo->oob_avail, geo->oob_size);
	if (geo->bitflip_threshold > geo->ecc_strength)
		return rf_errorf(err, errlen, "bit-flip threshold %" PRIu32
				    " exceeds the ECC strength %" PRIu32,
				    geo->bitflip_threshold, geo->ecc_strength);
	return 0;
}

static void rf_log(struct rf_sim *sim, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void rf_log(struct rf_sim *sim, const char *fmt, ...)
{
	va_list ap;

	if (!sim->cfg.log)
		return;
	va_start(ap, fmt);
	fprintf(sim->cfg.log, "ramflash: ");
	vfprintf(sim->cfg.log, fmt, ap);
	fputc('\n', sim->cfg.log);
	va_end(ap);
}

static void rf_sleep(void *arg, uint32_t usec)
{
	struct timespec ts = {
		.tv_sec = usec / 1000000,
		.tv_nsec = (long)(usec % 1000000) * 1000,
	};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void rf_delay(struct rf_sim *sim, uint32_t per_unit, uint64_t units)
{
	uint64_t usec = per_unit * units;

	if (usec)
		sim->cfg.delay(sim->cfg.delay_arg,
			       usec > UINT32_MAX ? UINT32_MAX : (uint32_t)usec);
}

/* Write the NAND bad-block marker: the first OOB bytes of the first page. */
static void rf_write_bbm(struct rf_sim *sim, uint64_t block)
{
	uint32_t n = sim->geo.oob_size < RF_BAD_BLOCK_MARKER_BYTES ?
		     sim->geo.oob_size : RF_BAD_BLOCK_MARKER_BYTES;

	memset(sim->img.oob + block * sim->pages_per_block * sim->geo.oob_size,
	       0, n);
}

static int rf_copy_block_list(struct rf_block_list *dst,
			      const struct rf_block_list *src)
{
	size_t i;
	int ret;

	memset(dst, 0, sizeof(*dst));
	for (i = 0; i < src->count; i++) {
		ret = rf_block_list_add(dst, src->blocks[i]);
		if (ret)
			return ret;
	}
	return 0;
}

/* Mark the factory bad blocks of a freshly created store. */
static int rf_apply_factory_bad(struct rf_sim *sim, char *err, size_t errlen)
{
	const struct rf_faults *f = &sim->cfg.faults;
	struct rf_block_list list;
	size_t i;
	int ret;

	if (!f->bad_blocks.count && !f->bad_block_count)
		return 0;
	if (!rf_type_is_nand(sim->geo.type))
		return rf_errorf(err, errlen, "bad blocks need a NAND type");
	ret = rf_copy_block_list(&list, &f->bad_blocks);
	if (!ret)
		ret = rf_pick_bad_blocks(f->seed, f->bad_block_count,
					 sim->blocks, &list);
	if (ret) {
		rf_block_list_free(&list);
		snprintf(err, errlen, ret == -EINVAL ?
			 "cannot pick %" PRIu64 " more bad blocks out of %" PRIu64 :
			 "out of memory picking %" PRIu64 " bad blocks of %" PRIu64,
			 f->bad_block_count, sim->blocks);
		return ret;
	}
	if (list.count && list.blocks[list.count - 1] >= sim->blocks) {
		snprintf(err, errlen, "bad block %" PRIu64
			 " is beyond the last block %" PRIu64,
			 list.blocks[list.count - 1], sim->blocks - 1);
		rf_block_list_free(&list);
		return -EINVAL;
	}
	if (sim->img.created) {
		for (i = 0; i < list.count; i++) {
			sim->img.meta[list.blocks[i]].bad = RF_BLOCK_FACTORY_BAD;
			rf_write_bbm(sim, list.blocks[i]);
		}
	}
	rf_block_list_free(&list);
	return 0;
}

static void rf_sim_free(struct rf_sim *sim)
{
	uint64_t b;

	if (sim->locks) {
		for (b = 0; b < sim->blocks; b++)
			pthread_rwlock_destroy(&sim->locks[b]);
		free(sim->locks);
	}
	rf_block_list_free(&sim->cfg.faults.bad_blocks);
	rf_block_list_free(&sim->cfg.faults.fail_program);
	rf_block_list_free(&sim->cfg.faults.fail_erase);
	free(sim);
}

int rf_sim_open(struct rf_sim **simp, const struct rf_config *cfg,
		char *err, size_t errlen)
{
	const struct rf_faults *f = &cfg->faults;
	struct rf_sim *sim;
	uint64_t b;
	int ret;

	*simp = NULL;
	sim = calloc(1, sizeof(*sim));
	if (!sim) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	sim->cfg = *cfg;
	memset(&sim->cfg.faults.bad_blocks, 0, sizeof(struct rf_block_list));
	memset(&sim->cfg.faults.fail_program, 0, sizeof(struct rf_block_list));
	memset(&sim->cfg.faults.fail_erase, 0, sizeof(struct rf_block_list));
	if (rf_copy_block_list(&sim->cfg.faults.bad_blocks, &f->bad_blocks) ||
	    rf_copy_block_list(&sim->cfg.faults.fail_program, &f->fail_program) ||
	    rf_copy_block_list(&sim->cfg.faults.fail_erase, &f->fail_erase)) {
		rf_sim_free(sim);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (!sim->cfg.delay)
		sim->cfg.delay = rf_sleep;
	sim->geo = cfg->geo;
	ret = rf_geometry_complete(&sim->geo, err, errlen);
	if (ret) {
		rf_sim_free(sim);
		return ret;
	}
	sim->blocks = sim->geo.size / sim->geo.erase_size;
	sim->pages = sim->geo.size / sim->geo.page_size;
	sim->pages_per_block = sim->geo.erase_size / sim->geo.page_size;
	sim->bitflip_max = f->bitflip_max ? f->bitflip_max :
			   sim->geo.ecc_strength ? sim->geo.ecc_strength : 1;
	sim->flips_enabled = f->bitflip_rate > 0 || f->read_disturb ||
			     f->retention;
	sim->ecc_shadow = rf_type_is_nand(sim->geo.type) &&
			  sim->geo.ecc_strength;
	if (sim->flips_enabled && !rf_type_is_nand(sim->geo.type)) {
		rf_sim_free(sim);
		return rf_errorf(err, errlen,
				    "bit-flip models need a NAND type");
	}
	if (f->bitflip_rate < 0 || f->bitflip_rate > 1) {
		rf_sim_free(sim);
		return rf_errorf(err, errlen, "bit-flip rate must be in [0, 1]");
	}
	sim->refuse_reprogram = cfg->reprogram == RF_REPROGRAM_REFUSE ||
		(cfg->reprogram == RF_REPROGRAM_DEFAULT &&
		 sim->geo.type == RF_TYPE_MLC_NAND);
	sim->locks = calloc(sim->blocks, sizeof(*sim->locks));
	if (!sim->locks) {
		rf_sim_free(sim);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (b = 0; b < sim->blocks; b++)
		pthread_rwlock_init(&sim->locks[b], NULL);
	ret = rf_image_open(&sim->img, &sim->geo, cfg->image_path, err, errlen);
	if (ret) {
		rf_sim_free(sim);
		return ret;
	}
	ret = rf_apply_factory_bad(sim, err, errlen);
	if (ret) {
		rf_image_close(&sim->img);
		rf_sim_free(sim);
		return ret;
	}
	atomic_init(&sim->clock, sim->img.hdr->clock);
	*simp = sim;
	return 0;
}

int rf_sim_sync(struct rf_sim *sim)
{
	rf_stats_add(&sim->stats, syncs, 1);
	sim->img.hdr->clock = atomic_load(&sim->clock);
	return rf_image_sync(&sim->img);
}

int rf_sim_close(struct rf_sim *sim)
{
	int ret;

	if (!sim)
		return 0;
	sim->img.hdr->clock = atomic_load(&sim->clock);
	ret = rf_image_close(&sim->img);
	rf_sim_free(sim);
	return ret;
}

bool rf_sim_power_cut_done(const struct rf_sim *sim)
{
	return atomic_load(&sim->powered_off);
}

bool rf_sim_created(const struct rf_sim *sim)
{
	return sim->img.created;
}

const struct rf_geometry *rf_sim_geometry(const struct rf_sim *sim)
{
	return &sim->geo;
}

struct rf_stats *rf_sim_stats(struct rf_sim *sim)
{
	return &sim->stats;
}

uint64_t rf_sim_blocks(const struct rf_sim *sim)
{
	return sim->blocks;
}

uint32_t rf_sim_erase_count(const struct rf_sim *sim, uint64_t block)
{
	return __atomic_load_n(&sim->img.meta[block].erase_count,
			       __ATOMIC_RELAXED);
}

enum rf_bad_reason rf_sim_bad_reason(const struct rf_sim *sim, uint64_t block)
{
	return (enum rf_bad_reason)__atomic_load_n(&sim->img.meta[block].bad,
						   __ATOMIC_RELAXED);
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

uint32_t rf_oob_free_offset(const struct rf_geometry *geo)
{
	uint32_t spare = geo->oob_size - geo->oob_avail;

	return spare < RF_BAD_BLOCK_MARKER_BYTES ? spare :
	       RF_BAD_BLOCK_MARKER_BYTES;
}

/*
 * Where the request's OOB lands in @page: AUTO addresses the free bytes
 * (see rf_oob_free_offset()), PLACE and RAW the whole area.  The
 * first page starts at ooboffs, the following ones at 0.
 */
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

/* ---- read ---- */

/* Bits in which stored data differs from what its ECC protects. */
static uint32_t rf_raw_diff_bits(const struct rf_sim *sim, uint64_t addr,
				 uint32_t len)
{
	const uint8_t *a = sim->img.data + addr, *b = sim->img.shadow + addr;
	uint64_t x, y;
	uint32_t i, n = 0;

	for (i = 0; i + sizeof(x) <= len; i += sizeof(x)) {
		memcpy(&x, a + i, sizeof(x));
		memcpy(&y, b + i, sizeof(y));
		n += (uint32_t)__builtin_popcountll(x ^ y);
	}
	for (; i < len; i++)
		n += (uint32_t)__builtin_popcount(a[i] ^ b[i]);
	return n;
}

/* Whether a RAW write changed a page of [lo, hi) behind its ECC. */
static bool rf_raw_marked(const struct rf_sim *sim, uint64_t lo, uint64_t hi)
{
	uint64_t p;

	for (p = lo / sim->geo.page_size; p * sim->geo.page_size < hi; p++)
		if (sim->img.raw_written[p])
			return true;
	return false;
}

/* The fault models' inputs for one read of block @b. */
static void rf_step_read_init(struct rf_sim *sim, uint64_t b,
			      struct rf_step_read *rd)
{
	struct rf_block_meta *meta = &sim->img.meta[b];
	uint64_t program_clock;

	rd->read_seq = __atomic_fetch_add(&meta->read_seq, 1, __ATOMIC_RELAXED);
	rd->reads_before = __atomic_fetch_add(&meta->reads_since_erase, 1,
					      __ATOMIC_RELAXED);
	program_clock = __atomic_load_n(&meta->program_clock, __ATOMIC_RELAXED);
	rd->age = program_clock ?
		  atomic_load(&sim->clock) - (program_clock - 1) : 0;
}

/*
 * The ECC outcome of the data [lo, hi) of block @b, step by step: the
 * flips of the fault models plus the bits a RAW write changed behind the
 * ECC.  Within the strength the step comes back corrected (what the ECC
 * protects); beyond it, or in RAW mode, as stored plus the model's flips.
 */
static void rf_read_ecc(struct rf_sim *sim, const struct rf_io *io,
			uint64_t b, uint64_t lo, uint64_t hi,
			struct rf_ecc *ecc)
{
	const struct rf_geometry *geo = &sim->geo;
	uint32_t step_len = geo->ecc_strength ? geo->ecc_step : geo->page_size;
	bool raw = io->mode == RF_OOB_RAW;
	struct rf_step_read rd = { 0 };
	struct rf_flips cause = { 0 };
	uint64_t step, addr, from, to;
	uint32_t n_model = 0, n_diff, n;

	if (sim->flips_enabled)
		rf_step_read_init(sim, b, &rd);
	for (step = lo / step_len; step * step_len < hi; step++) {
		addr = step * step_len;
		rd.step = step;
		if (sim->flips_enabled)
			n_model = rf_step_flips(&sim->cfg.faults, sim->bitflip_max,
						&rd, &cause);
		n_diff = !raw && sim->img.raw_written[addr / geo->page_size] ?
			 rf_raw_diff_bits(sim, addr, step_len) : 0;
		n = n_model + n_diff;
		if (!n)
			continue;
		rf_stats_add(&sim->stats, flips_random, cause.random);
		rf_stats_add(&sim->stats, flips_disturb, cause.disturb);
		rf_stats_add(&sim->stats, flips_retention, cause.retention);
		rf_stats_add(&sim->stats, raw_diff_bits, n_diff);
		if (!raw && n <= geo->ecc_strength) {
			ecc->corrected += n;
			if (n > ecc->max_bitflips)
				ecc->max_bitflips = n;
			rf_stats_add(&sim->stats, ecc_corrected_bits, n);
			from = addr > lo ? addr : lo;
			to = addr + step_len < hi ? addr + step_len : hi;
			if (n_diff)
				memcpy((uint8_t *)io->buf + (from - io->addr),
				       sim->img.shadow + from, to - from);
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
}

static void rf_read_block(struct rf_sim *sim, const struct rf_io *io,
			  uint64_t b, struct rf_ecc *ecc)
{
	const struct rf_geometry *geo = &sim->geo;
	uint64_t lo, hi, page, touched = 0;
	struct rf_oob_span span;

	if (rf_clip(sim, b, io->addr, io->len, &lo, &hi)) {
		memcpy((uint8_t *)io->buf + (lo - io->addr),
		       sim->img.data + lo, hi - lo);
		touched = (hi - 1) / geo->page_size - lo / geo->page_size + 1;
		if (sim->flips_enabled ||
		    (sim->ecc_shadow && io->mode != RF_OOB_RAW &&
		     rf_raw_marked(sim, lo, hi)))
			rf_read_ecc(sim, io, b, lo, hi, ecc);
	}
	for (page = b * sim->pages_per_block;
	     io->ooblen && page < (b + 1) * sim->pages_per_block; page++) {
		if (!rf_oob_span(sim, io, page, &span))
			continue;
		memcpy((uint8_t *)io->oobbuf + span.buf_off,
		       sim->img.oob + page * geo->oob_size + span.area_off,
		       span.len);
		if (!io->len)
			touched++;
	}
	rf_delay(sim, sim->cfg.faults.latency_read_us, touched);
}

int rf_sim_read(struct rf_sim *sim, const struct rf_io *io, struct rf_ecc *ecc)
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
	for (b = first; b <= last; b++) {
		pthread_rwlock_rdlock(&sim->locks[b]);
		rf_read_block(sim, io, b, ecc);
		pthread_rwlock_unlock(&sim->locks[b]);
	}
	rf_stats_add(&sim->stats, read_bytes, io->len);
	rf_stats_add(&sim->stats, read_oob_bytes, io->ooblen);
	return 0;
}

/* ---- program ---- */

/* Program @len bytes: NAND and NOR only clear bits, RAM overwrites. */
static void rf_program(const struct rf_sim *sim, uint8_t *dst,
		       const uint8_t *src, size_t len, bool erased)
{
	uint64_t d, s;
	size_t i = 0;

	if (sim->geo.type == RF_TYPE_RAM || erased) {
		/* Erased cells are all ones: AND is a copy. */
		memcpy(dst, src, len);
		return;
	}
	/* A word at a time; memcpy keeps unaligned access well-defined. */
	for (; i + sizeof(d) <= len; i += sizeof(d)) {
		memcpy(&d, dst + i, sizeof(d));
		memcpy(&s, src + i, sizeof(s));
		d &= s;
		memcpy(dst + i, &d, sizeof(d));
	}
	for (; i < len; i++)
		dst[i] &= src[i];
}

/* Whether any subpage of [lo, hi) was programmed since its erase. */
static bool rf_any_programmed(const struct rf_sim *sim, uint64_t lo,
			      uint64_t hi)
{
	uint64_t sp;

	for (sp = lo / sim->geo.subpage_size;
	     sp * sim->geo.subpage_size < hi; sp++)
		if (sim->img.programmed[sp])
			return true;
	return false;
}

/* Program the in-band part [lo, hi) of a NAND block, subpage by subpage. */
static void rf_program_nand(struct rf_sim *sim, const struct rf_io *io,
			    uint64_t lo, uint64_t hi)
{
	uint32_t sub = sim->geo.subpage_size;
	uint64_t pos, end;

	for (pos = lo; pos < hi; pos = end) {
		end = (pos / sub + 1) * sub;
		if (end > hi)
			end = hi;
		rf_program(sim, sim->img.data + pos,
			   (const uint8_t *)io->buf + (pos - io->addr),
			   end - pos, !sim->img.programmed[pos / sub]);
		sim->img.programmed[pos / sub] = 1;
	}
}

/*
 * A RAW write bypasses the ECC: before it changes a page, remember what
 * the page's ECC protects, so later ECC reads see the difference as bit
 * flips (as mtd_nandbiterrs and nandflipbits expect).
 */
static void rf_shadow_before_raw(struct rf_sim *sim, uint64_t lo, uint64_t hi)
{
	uint32_t page = sim->geo.page_size;
	uint64_t p;

	for (p = lo / page; p * page < hi; p++) {
		if (sim->img.raw_written[p])
			continue;
		memcpy(sim->img.shadow + p * page, sim->img.data + p * page, page);
		sim->img.raw_written[p] = 1;
	}
}

/* A program through the ECC protects what [lo, hi) now holds. */
static void rf_shadow_after_program(struct rf_sim *sim, uint64_t lo,
				    uint64_t hi)
{
	uint32_t page = sim->geo.page_size;
	uint64_t p, from, to;

	for (p = lo / page; p * page < hi; p++) {
		if (!sim->img.raw_written[p])
			continue;
		from = p * page > lo ? p * page : lo;
		to = (p + 1) * page < hi ? (p + 1) * page : hi;
		memcpy(sim->img.shadow + from, sim->img.data + from, to - from);
	}
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
	struct rf_block_meta *meta = &sim->img.meta[b];
	bool nand = rf_type_is_nand(geo->type);
	uint64_t lo, hi, page, touched = 0;
	struct rf_oob_span span;
	bool data;

	if (meta->bad == RF_BLOCK_WORN_OUT) {
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
	if (data && hi > data_end)
		hi = data_end > lo ? data_end : lo;
	if (data && lo < hi) {
		if (sim->ecc_shadow && io->mode == RF_OOB_RAW)
			rf_shadow_before_raw(sim, lo, hi);
		if (nand)
			rf_program_nand(sim, io, lo, hi);
		if (sim->ecc_shadow && io->mode != RF_OOB_RAW)
			rf_shadow_after_program(sim, lo, hi);
		else
			rf_program(sim, sim->img.data + lo,
				   (const uint8_t *)io->buf + (lo - io->addr),
				   hi - lo, false);
		touched = (hi - 1) / geo->page_size - lo / geo->page_size + 1;
	}
	for (page = b * sim->pages_per_block;
	     io->ooblen && page < (b + 1) * sim->pages_per_block &&
	     page < oob_end_page; page++) {
		if (!rf_oob_span(sim, io, page, &span))
			continue;
		rf_program(sim, sim->img.oob + page * geo->oob_size +
			   span.area_off,
			   (const uint8_t *)io->oobbuf + span.buf_off, span.len,
			   false);
		if (!io->len)
			touched++;
	}
	if (touched && !meta->program_clock)
		meta->program_clock = atomic_load(&sim->clock) + 1;
	rf_delay(sim, sim->cfg.faults.latency_program_us, touched);
	return 0;
}

/*
 * Claim the next program/erase number.  Returns 0 to proceed, 1 if this
 * operation is the one the power cut interrupts, RF_POWER_CUT if the power
 * is already off.
 */
static int rf_power_claim(struct rf_sim *sim)
{
	uint64_t n;

	if (atomic_load(&sim->powered_off))
		return RF_POWER_CUT;
	n = atomic_fetch_add(&sim->mod_ops, 1);
	if (!sim->cfg.faults.power_cut || n < sim->cfg.faults.power_cut_after)
		return 0;
	if (n > sim->cfg.faults.power_cut_after)
		return RF_POWER_CUT;
	return 1;
}

static int rf_power_off(struct rf_sim *sim, const char *what, uint64_t addr)
{
	atomic_store(&sim->powered_off, true);
	rf_stats_add(&sim->stats, power_cuts, 1);
	rf_log(sim, "power cut during %s at 0x%" PRIx64, what, addr);
	return RF_POWER_CUT;
}

int rf_sim_write(struct rf_sim *sim, const struct rf_io *io)
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
		pthread_rwlock_wrlock(&sim->locks[b]);
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

/* Erase pages [first, end) of block @b to all ones. */
static void rf_erase_pages(struct rf_sim *sim, uint64_t first, uint64_t end)
{
	const struct rf_geometry *geo = &sim->geo;
	uint32_t subs = geo->page_size / geo->subpage_size;

	memset(sim->img.data + first * geo->page_size, 0xff,
	       (end - first) * geo->page_size);
	memset(sim->img.oob + first * geo->oob_size, 0xff,
	       (end - first) * geo->oob_size);
	if (rf_type_is_nand(geo->type)) {
		memset(sim->img.programmed + first * subs, 0,
		       (end - first) * subs);
		memset(sim->img.raw_written + first, 0, end - first);
	}
}

static int rf_erase_block(struct rf_sim *sim, uint64_t b, bool torn)
{
	const struct rf_faults *f = &sim->cfg.faults;
	struct rf_block_meta *meta = &sim->img.meta[b];
	uint64_t first = b * sim->pages_per_block;

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
	if (f->endurance && meta->erase_count >= f->endurance) {
		__atomic_store_n(&meta->bad, RF_BLOCK_WORN_OUT, __ATOMIC_RELAXED);
		rf_stats_add(&sim->stats, worn_out_blocks, 1);
		rf_log(sim, "block %" PRIu64 " worn out after %" PRIu32
		       " erases (-EIO)", b, meta->erase_count);
		return -EIO;
	}
	/* A torn erase reaches only the first half of the block. */
	rf_erase_pages(sim, first, first + (torn ? sim->pages_per_block / 2 :
					    sim->pages_per_block));
	__atomic_store_n(&meta->erase_count, meta->erase_count + 1,
			 __ATOMIC_RELAXED);
	__atomic_store_n(&meta->reads_since_erase, 0, __ATOMIC_RELAXED);
	if (!torn)
		__atomic_store_n(&meta->program_clock, 0, __ATOMIC_RELAXED);
	rf_stats_add(&sim->stats, erases, 1);
	rf_delay(sim, f->latency_erase_us, 1);
	return 0;
}

int rf_sim_erase(struct rf_sim *sim, uint64_t addr, uint64_t len)
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
		pthread_rwlock_wrlock(&sim->locks[b]);
		ret = rf_erase_block(sim, b, torn);
		pthread_rwlock_unlock(&sim->locks[b]);
		if (torn)
			return rf_power_off(sim, "erase", b * sim->geo.erase_size);
		if (ret)
			return ret;
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

int rf_sim_isbad(struct rf_sim *sim, uint64_t addr)
{
	int ret = rf_check_block_addr(sim, addr, "isbad");

	if (ret)
		return ret;
	rf_stats_add(&sim->stats, isbad, 1);
	return rf_sim_bad_reason(sim, addr / sim->geo.erase_size) !=
	       RF_BLOCK_GOOD;
}

int rf_sim_markbad(struct rf_sim *sim, uint64_t addr)
{
	uint64_t b = addr / sim->geo.erase_size;
	int ret;

	if (atomic_load(&sim->powered_off))
		return RF_POWER_CUT;
	ret = rf_check_block_addr(sim, addr, "markbad");
	if (ret)
		return ret;
	rf_stats_add(&sim->stats, markbad, 1);
	pthread_rwlock_wrlock(&sim->locks[b]);
	if (sim->img.meta[b].bad == RF_BLOCK_GOOD)
		__atomic_store_n(&sim->img.meta[b].bad, RF_BLOCK_MARKED_BAD,
				 __ATOMIC_RELAXED);
	rf_write_bbm(sim, b);
	pthread_rwlock_unlock(&sim->locks[b]);
	rf_log(sim, "block %" PRIu64 " marked bad", b);
	return 0;
}
