// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ramflash simulator state: opening and closing the chip, factory bad
 * blocks, and what the report reads.  The request paths are in io.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "faults.h"
#include "keep.h"
#include "sim-state.h"

void rf_log(struct rf_sim *sim, const char *fmt, ...)
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
	for (i = 0; sim->img.created && i < list.count && !ret; i++) {
		rf_image_block(&sim->img, list.blocks[i])->bad =
			RF_BLOCK_FACTORY_BAD;
		ret = rf_write_bbm(sim, list.blocks[i]);
	}
	rf_block_list_free(&list);
	if (ret)
		snprintf(err, errlen, "cannot write the bad-block markers: %s",
			 strerror(-ret));
	return ret;
}

/*
 * Apply the erases and programs the kernel did while an earlier ramflash
 * served the image, if it stopped (SIGKILL, a crash) before it applied
 * them: as that ramflash would have, keeping the programmed bits if the
 * kernel cleared them at its erases then.  This run says anew
 * (rf_sim_share_program_state()).
 */
static int rf_apply_left_ops(struct rf_sim *sim, char *err, size_t errlen)
{
	uint64_t b;
	int ret;

	sim->program_shared = sim->img.hdr->flags & RF_IMAGE_KERNEL_PROGRAMS;
	for (b = 0; b < sim->blocks; b++) {
		ret = rf_apply_kernel_ops(sim, b, false);
		if (ret) {
			snprintf(err, errlen, "cannot apply the kernel's erases of block %"
				 PRIu64 ": %s", b, strerror(-ret));
			return ret;
		}
	}
	sim->program_shared = false;
	sim->img.hdr->flags &= ~RF_IMAGE_KERNEL_PROGRAMS;
	return 0;
}

/* Zeroed operation counters for the entries of @list. */
static int rf_limit_ops_alloc(atomic_uint_fast64_t **ops,
			      const struct rf_limit_list *list)
{
	size_t i;

	*ops = list->count ? calloc(list->count, sizeof(**ops)) : NULL;
	if (list->count && !*ops)
		return -ENOMEM;
	for (i = 0; i < list->count; i++)
		atomic_init(&(*ops)[i], 0);
	return 0;
}

/* The nandsim-style limits name blocks and pages of a NAND chip. */
static int rf_check_limits(const struct rf_sim *sim, char *err, size_t errlen)
{
	const struct rf_faults *f = &sim->cfg.faults;
	const struct {
		const char *option, *unit;
		const struct rf_limit_list *list;
		uint64_t units;
	} limits[] = {
		{ "--weak-blocks", "block", &f->weak_blocks, sim->blocks },
		{ "--weak-pages", "page", &f->weak_pages, sim->pages },
		{ "--grave-pages", "page", &f->grave_pages, sim->pages },
	};
	const struct rf_limit_list *list;
	size_t i;

	for (i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
		list = limits[i].list;
		if (!list->count)
			continue;
		if (!rf_type_is_nand(sim->geo.type))
			return rf_errorf(err, errlen, "%s needs a NAND type",
					 limits[i].option);
		if (list->items[list->count - 1].index >= limits[i].units)
			return rf_errorf(err, errlen, "%s: %s %" PRIu64
					 " is beyond the last one, %" PRIu64,
					 limits[i].option, limits[i].unit,
					 list->items[list->count - 1].index,
					 limits[i].units - 1);
	}
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
	rf_limit_list_free(&sim->cfg.faults.weak_blocks);
	rf_limit_list_free(&sim->cfg.faults.weak_pages);
	rf_limit_list_free(&sim->cfg.faults.grave_pages);
	free(sim->weak_block_ops);
	free(sim->weak_page_ops);
	free(sim->grave_page_ops);
	rf_live_free(sim);
	rf_keep_close(sim);
	pthread_mutex_destroy(&sim->live_lock);
	pthread_mutex_destroy(&sim->hold_lock);
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
	pthread_mutex_init(&sim->live_lock, NULL);
	pthread_mutex_init(&sim->hold_lock, NULL);
	sim->cfg = *cfg;
	memset(&sim->cfg.faults.bad_blocks, 0, sizeof(struct rf_block_list));
	memset(&sim->cfg.faults.fail_program, 0, sizeof(struct rf_block_list));
	memset(&sim->cfg.faults.fail_erase, 0, sizeof(struct rf_block_list));
	memset(&sim->cfg.faults.weak_blocks, 0, sizeof(struct rf_limit_list));
	memset(&sim->cfg.faults.weak_pages, 0, sizeof(struct rf_limit_list));
	memset(&sim->cfg.faults.grave_pages, 0, sizeof(struct rf_limit_list));
	if (rf_copy_block_list(&sim->cfg.faults.bad_blocks, &f->bad_blocks) ||
	    rf_copy_block_list(&sim->cfg.faults.fail_program, &f->fail_program) ||
	    rf_copy_block_list(&sim->cfg.faults.fail_erase, &f->fail_erase) ||
	    rf_limit_list_copy(&sim->cfg.faults.weak_blocks, &f->weak_blocks) ||
	    rf_limit_list_copy(&sim->cfg.faults.weak_pages, &f->weak_pages) ||
	    rf_limit_list_copy(&sim->cfg.faults.grave_pages, &f->grave_pages) ||
	    rf_limit_ops_alloc(&sim->weak_block_ops, &f->weak_blocks) ||
	    rf_limit_ops_alloc(&sim->weak_page_ops, &f->weak_pages) ||
	    rf_limit_ops_alloc(&sim->grave_page_ops, &f->grave_pages)) {
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
	sim->subpages_per_page = sim->geo.page_size / sim->geo.subpage_size;
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
	ret = rf_check_limits(sim, err, errlen);
	if (ret) {
		rf_sim_free(sim);
		return ret;
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
	if (!ret) {
		ret = rf_keep_open(sim);
		if (ret)
			snprintf(err, errlen, "--erase-slack: %s", strerror(-ret));
	}
	if (!ret && !sim->img.created)
		ret = rf_apply_left_ops(sim, err, errlen);
	if (ret) {
		rf_image_close(&sim->img);
		rf_sim_free(sim);
		return ret;
	}
	atomic_init(&sim->clock, sim->img.hdr->clock);
	*simp = sim;
	return 0;
}

int rf_do_sync(struct rf_sim *sim)
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
	/* The thread uses the store: stopped first. */
	rf_keep_close(sim);
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

const struct rf_config *rf_sim_config(const struct rf_sim *sim)
{
	return &sim->cfg;
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
	return __atomic_load_n(&rf_image_block(&sim->img, block)->erase_count,
			       __ATOMIC_RELAXED) +
	       rf_sim_pending_erases(sim, block);
}

enum rf_bad_reason rf_sim_bad_reason(const struct rf_sim *sim, uint64_t block)
{
	return (enum rf_bad_reason)__atomic_load_n(
		&rf_image_block(&sim->img, block)->bad, __ATOMIC_RELAXED);
}

uint64_t rf_sim_store_bytes(const struct rf_sim *sim)
{
	return rf_image_allocated(&sim->img);
}
