/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ramflash simulator state, shared by the lifecycle (sim.c) and the I/O
 * paths (io.c); not part of the core's interface (sim.h).
 */
#ifndef RAMFLASH_SIM_STATE_H
#define RAMFLASH_SIM_STATE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "counters.h"
#include "image.h"
#include "sim.h"

struct rf_sim {
	struct rf_config cfg;		/* block lists owned by the sim */
	struct rf_geometry geo;
	struct rf_image img;
	struct rf_stats stats;
	pthread_rwlock_t *locks;	/* one per eraseblock */
	uint64_t blocks;
	uint64_t pages;
	uint32_t pages_per_block;
	uint32_t subpages_per_page;
	uint32_t bitflip_max;
	bool flips_enabled;
	bool ecc_shadow;		/* NAND with ECC: track RAW writes */
	bool refuse_reprogram;
	atomic_uint_fast64_t clock;	/* every request ticks it */
	atomic_uint_fast64_t mod_ops;	/* programs + block erases started */
	atomic_bool powered_off;
	atomic_uint_fast64_t wear_erases;	/* for cfg.wear_report */
	/* Operations so far of each --weak-blocks, --weak-pages and
	 * --grave-pages entry, this run (nandsim counts from its load). */
	atomic_uint_fast64_t *weak_block_ops;
	atomic_uint_fast64_t *weak_page_ops;
	atomic_uint_fast64_t *grave_page_ops;
	rf_plain_again_fn plain_again;	/* rf_sim_on_plain_again() */
	void *plain_again_arg;
};

/* rf_log() - log an injected fault or refused request (cfg.log). */
void rf_log(struct rf_sim *sim, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/**
 * rf_write_bbm() - write the NAND bad-block marker of @block: 0x00 in the
 * first OOB bytes of its first page.  The caller holds the block's lock
 * or owns the simulator alone.
 *
 * Return: 0 or -EIO (store failure).
 */
int rf_write_bbm(struct rf_sim *sim, uint64_t block);

/**
 * rf_apply_kernel_erases() - apply the erases the kernel did of @block
 * (struct rf_block_meta.kernel_erases, taken with an atomic exchange to
 * 0): the program state forgotten (ECC shadow punched where RAW writes
 * filled it; the kernel punched data and OOB) and the erases recorded as
 * the simulator's own would be.  The caller holds the block's write lock
 * or owns the simulator alone.
 * @count:	add them to the statistics too (false at open: they were
 *		the erases of an earlier run).
 *
 * Return: 0, or -EIO (store failure; the count is left to apply later).
 */
int rf_apply_kernel_erases(struct rf_sim *sim, uint64_t block, bool count);

#endif /* RAMFLASH_SIM_STATE_H */
