/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ramflash chip picture: the erase count of every eraseblock as an SVG
 * heat map, bad and worn-out blocks marked, written from the same wear
 * snapshot as the JSON report (stats.h).
 */
#ifndef RAMFLASH_SVG_H
#define RAMFLASH_SVG_H

#include <stdio.h>

#include "geometry.h"
#include "sim.h"
#include "stats.h"

/* At most this many cells per row: 32768 blocks make 256 rows of 128. */
#define RF_SVG_MAX_COLS		128U

/**
 * rf_svg_write() - the picture: a title with @name and the geometry, a
 * legend with the min/avg/max erase count, the colour scale and the bad
 * blocks per reason, then one cell per block, left to right, top to bottom.
 * @w:		the wear snapshot (rf_wear_take()).
 * @geo:	the geometry.
 * @name:	the device name; any bytes (escaped, invalid UTF-8 replaced).
 * @out:	where to write.
 *
 * Each cell is a <rect class="block hN"> (N the heat level, 0 the fewest
 * erases) or, for a bad block, <rect class="block bad REASON"> with REASON
 * the JSON's ("factory", "marked", "worn-out"); the legend's wear line is
 * <text id="legend-wear">.  Nothing else has the class "block".
 *
 * Return: 0, or -EIO if writing failed.
 */
int rf_svg_write(const struct rf_wear *w, const struct rf_geometry *geo,
		 const char *name, FILE *out);

/**
 * rf_svg_save() - snapshot the wear of @sim and write its picture to
 * @path with rf_report_save().
 * @sim:	the simulator.
 * @name:	the device name.
 * @path:	the file.
 *
 * Return: 0 or a negative errno.
 */
int rf_svg_save(struct rf_sim *sim, const char *name, const char *path);

#endif /* RAMFLASH_SVG_H */
