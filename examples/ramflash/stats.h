/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ramflash report: the counters (counters.h) and the per-block state,
 * printed for people or written as JSON.
 */
#ifndef RAMFLASH_STATS_H
#define RAMFLASH_STATS_H

#include <stdint.h>
#include <stdio.h>

#include "counters.h"
#include "sim.h"

/*
 * The chip's wear at one moment: every block's erase count and bad-block
 * reason, and their summary.  The report, the JSON and the SVG (svg.h)
 * are each written from one, so what a file shows agrees with itself
 * even while the chip is being erased.
 */
struct rf_wear {
	uint64_t blocks;
	uint32_t *erase_counts;		/* per block, the kernel's included */
	uint8_t *reasons;		/* per block, enum rf_bad_reason */
	uint32_t min, max;		/* erase counts */
	uint64_t total;			/* erases of all blocks */
	uint64_t bad;			/* blocks not RF_BLOCK_GOOD */
	uint64_t pending;		/* kernel erases not applied yet */
	uint64_t pending_programs;	/* kernel-programmed subpages, same */
};

/**
 * rf_wear_take() - snapshot the erase counts and bad blocks of @sim.
 * @sim:	the simulator.
 * @w:		receives the snapshot; release it with rf_wear_free().
 *
 * Return: 0 or -ENOMEM.
 */
int rf_wear_take(struct rf_sim *sim, struct rf_wear *w);

/* rf_wear_free() - release what rf_wear_take() allocated. */
void rf_wear_free(struct rf_wear *w);

/**
 * rf_wear_report() - one line of wear, as nandsim's rptwear reported it:
 * erase counts (min/avg/max) over the blocks and the bad blocks.
 * @sim:	the simulator.
 * @out:	where to print.
 * @erases:	erases in this run so far, for the heading.
 */
void rf_wear_report(struct rf_sim *sim, FILE *out, uint64_t erases);

/* rf_bad_reason_name() - "good", "factory", "marked" or "worn-out". */
const char *rf_bad_reason_name(enum rf_bad_reason reason);

/* Writes one report to @out; returns 0 or a negative errno. */
typedef int (*rf_report_fn)(void *arg, FILE *out);

/**
 * rf_report_save() - write a report to @path atomically (a temporary
 * file renamed over it), so a reader never sees half of it.
 * @path:	the file.
 * @fn:		writes the report.
 * @arg:	passed to @fn.
 *
 * Return: 0 or a negative errno.
 */
int rf_report_save(const char *path, rf_report_fn fn, void *arg);

/**
 * rf_stats_print() - the human-readable report: counters, erase counts
 * (min/avg/max), the store's allocated bytes and the bad blocks.  The
 * erases the kernel did count (erases, kernel_erases, erase counts) even
 * before the simulator applied them, and so do its programs (write_bytes,
 * kernel_programs); reporting applies nothing.
 * @sim:	the simulator.
 * @out:	where to print.
 */
void rf_stats_print(struct rf_sim *sim, FILE *out);

/**
 * rf_stats_write_json() - the same as one JSON object, with the erase count
 * of every block ("erase_counts"), the store's allocated bytes
 * ("store_bytes") and the bad blocks with their reason.
 * @sim:	the simulator.
 * @out:	where to write.
 *
 * Return: 0, -ENOMEM, or -EIO if writing failed.
 */
int rf_stats_write_json(struct rf_sim *sim, FILE *out);

/**
 * rf_stats_save_json() - write the JSON to @path with rf_report_save().
 * @sim:	the simulator.
 * @path:	the file.
 *
 * Return: 0 or a negative errno.
 */
int rf_stats_save_json(struct rf_sim *sim, const char *path);

#endif /* RAMFLASH_STATS_H */
