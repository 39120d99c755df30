// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ramflash: which reads return the store's bytes as they are.  A server
 * may let the kernel read those itself (read passthrough, server.c): the
 * answer would be the same, with no request.
 */
#include "sim-state.h"

bool rf_sim_reads_plain(const struct rf_sim *sim)
{
	/* Bit flips change what a read returns, latency when it returns. */
	return !sim->flips_enabled && !sim->cfg.faults.latency_read_us;
}

bool rf_sim_block_plain(const struct rf_sim *sim, uint64_t block)
{
	const uint8_t *raw;
	uint32_t i;

	if (!rf_sim_reads_plain(sim))
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
