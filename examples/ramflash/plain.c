// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ramflash: which reads return the store's bytes as they are, and which
 * erases are nothing but holes in the store.  A server may let the kernel
 * read those (read passthrough) and do those erases (kernel erase)
 * itself (passthrough.c): the outcome would be the same, with no request.
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

bool rf_sim_block_plain(const struct rf_sim *sim, uint64_t block)
{
	const uint8_t *raw;
	uint32_t i;

	if (!rf_sim_reads_plain(sim) ||
	    rf_live_on_block(sim, block, true))
		return false;
	/* A RAW-written page reads what its ECC protects, not the store. */
	if (!sim->ecc_shadow)
		return true;
	raw = rf_image_raw_bits(&sim->img, block);
	for (i = 0; i < (sim->pages_per_block + 7) / 8; i++)
		if (raw[i])
			return false;
	return true;
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

bool rf_sim_erases_plain(const struct rf_sim *sim)
{
	const struct rf_faults *f = &sim->cfg.faults;

	return sim->geo.type != RF_TYPE_RAM && !f->power_cut &&
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
	    rf_live_on_block(sim, block, false))
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
