// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ramflash: which reads return the store's bytes as they are, which
 * erases are nothing but holes in the store, and which programs nothing
 * but the data stored.  A server may let the kernel read those (read
 * passthrough), do those erases (kernel erase) and those programs (kernel
 * program) itself (passthrough.c): the outcome would be the same, with no
 * request.
 */
#include <stddef.h>

#include "sim-state.h"

bool rf_sim_reads_plain(const struct rf_sim *sim)
{
	/*
	 * Bit flips and grave pages change what a read returns, latency
	 * when it returns.
	 */
	return !sim->flips_enabled && !sim->cfg.faults.latency_read_us &&
	       !sim->cfg.faults.grave_pages.count;
}

bool rf_block_has_raw(const struct rf_sim *sim, uint64_t block)
{
	const uint8_t *raw;
	uint32_t i;

	if (!sim->ecc_shadow)
		return false;
	raw = rf_image_raw_bits(&sim->img, block);
	for (i = 0; i < (sim->pages_per_block + 7) / 8; i++)
		if (__atomic_load_n(&raw[i], __ATOMIC_RELAXED))
			return true;
	return false;
}

bool rf_sim_block_plain(const struct rf_sim *sim, uint64_t block)
{
	/* A RAW-written page reads what its ECC protects, not the store. */
	return rf_sim_reads_plain(sim) &&
	       !rf_live_on_block(sim, block, RF_LIVE_ON_READS) &&
	       !rf_block_has_raw(sim, block);
}

void rf_sim_store_data(const struct rf_sim *sim, int *fd, uint64_t *offset)
{
	*fd = sim->img.fd;
	*offset = sim->img.region_off[RF_REGION_DATA];
}

void rf_sim_count_reads(struct rf_sim *sim, uint64_t reads, uint64_t bytes)
{
	atomic_fetch_add(&sim->clock, reads);
	rf_stats_add(&sim->stats, reads, reads);
	rf_stats_add(&sim->stats, read_bytes, bytes);
}

/*
 * No power cut armed, or one whose torn operation a budget the kernel
 * shares decides (rf_sim_on_power_take()): then the kernel's operations
 * are counted before it, and it is never the kernel's.
 */
static bool rf_power_cut_budgeted(const struct rf_sim *sim)
{
	return !sim->cfg.faults.power_cut || sim->power_take;
}

bool rf_sim_erases_plain(const struct rf_sim *sim)
{
	const struct rf_faults *f = &sim->cfg.faults;

	return sim->geo.type != RF_TYPE_RAM && rf_power_cut_budgeted(sim) &&
	       !f->latency_erase_us && !f->retention && !sim->cfg.wear_report;
}

uint32_t rf_sim_erase_budget(const struct rf_sim *sim, uint64_t block)
{
	const struct rf_faults *f = &sim->cfg.faults;
	uint64_t done;

	if (!rf_sim_erases_plain(sim) ||
	    rf_sim_bad_reason(sim, block) != RF_BLOCK_GOOD ||
	    rf_block_list_contains(&f->fail_erase, block) ||
	    rf_limit_find(&f->weak_blocks, block) >= 0 ||
	    rf_live_on_block(sim, block, RF_LIVE_ON_ERASES))
		return 0;
	if (!f->endurance)
		return RF_ERASE_BUDGET_UNLIMITED;
	/* Erase number endurance succeeds, the next wears the block out. */
	done = rf_sim_erase_count(sim, block);
	return done + 1 < f->endurance ? (uint32_t)(f->endurance - done - 1) : 0;
}

void rf_sim_store_erase_layout(const struct rf_sim *sim, uint64_t *oob_offset,
			       uint64_t *count_offset, uint32_t *count_stride)
{
	*oob_offset = sim->img.region_off[RF_REGION_OOB];
	*count_offset = sim->img.hdr->meta_off +
			offsetof(struct rf_block_meta, kernel_erases);
	*count_stride = sim->img.meta_stride;
}

uint32_t rf_sim_pending_erases(const struct rf_sim *sim, uint64_t block)
{
	return __atomic_load_n(&rf_image_block(&sim->img, block)->kernel_erases,
			       __ATOMIC_RELAXED);
}

void rf_sim_on_plain_again(struct rf_sim *sim, rf_plain_again_fn fn,
			   void *arg)
{
	sim->plain_again = fn;
	sim->plain_again_arg = arg;
}

bool rf_sim_programs_plain(const struct rf_sim *sim)
{
	const struct rf_faults *f = &sim->cfg.faults;

	return rf_type_is_nand(sim->geo.type) && rf_power_cut_budgeted(sim) &&
	       !f->latency_program_us && !f->retention && !sim->trace;
}

/* Whether a --weak-pages entry names a page of @block. */
static bool rf_block_has_weak_page(const struct rf_sim *sim, uint64_t block)
{
	const struct rf_limit_list *weak = &sim->cfg.faults.weak_pages;
	uint64_t first = block * sim->pages_per_block;
	size_t i;

	/* Sorted by page: the first entry at or past the block's first. */
	for (i = 0; i < weak->count && weak->items[i].index < first; i++)
		;
	return i < weak->count &&
	       weak->items[i].index < first + sim->pages_per_block;
}

bool rf_sim_block_programs_plain(const struct rf_sim *sim, uint64_t block)
{
	const struct rf_block_meta *meta = rf_image_block(&sim->img, block);

	return rf_sim_programs_plain(sim) &&
	       rf_sim_bad_reason(sim, block) == RF_BLOCK_GOOD &&
	       !__atomic_load_n(&meta->worn_out, __ATOMIC_RELAXED) &&
	       !rf_block_list_contains(&sim->cfg.faults.fail_program, block) &&
	       !rf_block_has_weak_page(sim, block) &&
	       !rf_block_has_raw(sim, block) &&
	       !rf_live_on_block(sim, block, RF_LIVE_ON_ANY);
}

void rf_sim_store_program_layout(const struct rf_sim *sim,
				 uint64_t *map_offset, uint32_t *map_stride,
				 uint64_t *count_offset,
				 uint32_t *count_stride)
{
	*map_offset = sim->img.hdr->meta_off + sim->img.programmed_off;
	*map_stride = sim->img.meta_stride;
	*count_offset = sim->img.hdr->meta_off +
			offsetof(struct rf_block_meta, kernel_programs);
	*count_stride = sim->img.meta_stride;
}

uint32_t rf_sim_pending_programs(const struct rf_sim *sim, uint64_t block)
{
	return __atomic_load_n(&rf_image_block(&sim->img, block)->kernel_programs,
			       __ATOMIC_RELAXED);
}

void rf_sim_share_program_state(struct rf_sim *sim)
{
	sim->program_shared = true;
	/* For the next run on the image, which applies what is left. */
	sim->img.hdr->flags |= RF_IMAGE_KERNEL_PROGRAMS;
}

bool rf_sim_store_on_tmpfs(const struct rf_sim *sim)
{
	return rf_image_on_tmpfs(&sim->img);
}

void rf_sim_on_power_take(struct rf_sim *sim, rf_power_take_fn fn, void *arg)
{
	sim->power_take = fn;
	sim->power_take_arg = arg;
}

void rf_sim_on_kernel_hold(struct rf_sim *sim, rf_kernel_hold_fn fn,
			   void *arg)
{
	pthread_mutex_lock(&sim->hold_lock);
	sim->kernel_hold = fn;
	sim->kernel_hold_arg = arg;
	pthread_mutex_unlock(&sim->hold_lock);
}
