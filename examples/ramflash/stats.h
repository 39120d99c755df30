/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ramflash report: the counters (counters.h) and the per-block state,
 * printed for people or written as JSON.
 */
#ifndef RAMFLASH_STATS_H
#define RAMFLASH_STATS_H

#include <stdio.h>

#include "counters.h"
#include "sim.h"

/**
 * rf_stats_print() - the human-readable report: counters, erase counts
 * (min/avg/max), the store's allocated bytes and the bad blocks.
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
 * Return: 0, or -EIO if writing failed.
 */
int rf_stats_write_json(struct rf_sim *sim, FILE *out);

/**
 * rf_stats_save_json() - write the JSON to @path atomically (a temporary
 * file renamed over it), so a reader never sees half a report.
 * @sim:	the simulator.
 * @path:	the file.
 *
 * Return: 0 or a negative errno.
 */
int rf_stats_save_json(struct rf_sim *sim, const char *path);

#endif /* RAMFLASH_STATS_H */
