// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ramflash-svg-chip DIR: two chips with known wear, each written as the
 * --stats JSON and the --stats-svg picture into DIR, for check-svg.py to
 * compare:
 *
 * small: 40 blocks of the test geometry, named with XML markup, a control
 *	character and invalid UTF-8; block b erased b % 4 times, blocks 3
 *	and 17 factory bad, 9 marked bad, 20 worn out by --endurance 4 and marked
 *	(its fifth erase fails), 21 erased 4 times (at the limit, good).
 * big:	32768 blocks, block b erased b % 7 times, 5 factory bad from the
 *	seed: the layout and the file size of a large chip.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "faults.h"
#include "sim.h"
#include "stats.h"
#include "svg.h"

#define SMALL_BLOCKS	40U
#define BIG_BLOCKS	32768U
#define BLOCK		2048U

static void die(const char *what, int ret)
{
	fprintf(stderr, "ramflash-svg-chip: %s: %s\n", what, strerror(-ret));
	exit(1);
}

static struct rf_sim *open_chip(struct rf_config *cfg, uint64_t blocks)
{
	struct rf_sim *sim;
	char err[256];

	cfg->geo.type = RF_TYPE_NAND;
	cfg->geo.size = blocks * BLOCK;
	cfg->geo.page_size = 512;
	cfg->geo.erase_size = BLOCK;
	cfg->geo.oob_size = 16;
	cfg->geo.oob_avail = RF_GEO_DEFAULT;
	cfg->geo.ecc_step = 256;
	cfg->geo.ecc_strength = 2;
	if (rf_geometry_complete(&cfg->geo, err, sizeof(err)) ||
	    rf_sim_open(&sim, cfg, err, sizeof(err))) {
		fprintf(stderr, "ramflash-svg-chip: %s\n", err);
		exit(1);
	}
	return sim;
}

/* Erase @block @times times; the erases that fail are the bad ones. */
static void erase(struct rf_sim *sim, uint64_t block, unsigned int times)
{
	while (times--)
		rf_sim_erase(sim, block * BLOCK, BLOCK);
}

static void save(struct rf_sim *sim, const char *name, const char *dir,
		 const char *chip)
{
	char path[4096];
	int ret;

	snprintf(path, sizeof(path), "%s/%s.json", dir, chip);
	ret = rf_stats_save_json(sim, path);
	if (ret)
		die(path, ret);
	snprintf(path, sizeof(path), "%s/%s.svg", dir, chip);
	ret = rf_svg_save(sim, name, path);
	if (ret)
		die(path, ret);
	ret = rf_sim_close(sim);
	if (ret)
		die("close", ret);
}

int main(int argc, char *argv[])
{
	struct rf_config cfg;
	struct rf_sim *sim;
	char err[256];
	uint64_t b;

	if (argc != 2) {
		fprintf(stderr, "usage: ramflash-svg-chip DIR\n");
		return 2;
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.faults.endurance = 4;
	if (rf_block_list_parse("3,17", &cfg.faults.bad_blocks, err,
				sizeof(err))) {
		fprintf(stderr, "ramflash-svg-chip: %s\n", err);
		return 1;
	}
	sim = open_chip(&cfg, SMALL_BLOCKS);
	rf_block_list_free(&cfg.faults.bad_blocks);
	for (b = 0; b < SMALL_BLOCKS; b++)
		erase(sim, b, b % 4);
	erase(sim, 20, 5 - 20 % 4);
	/* Its 5th erase failed; the user marks it, as UBI does. */
	rf_sim_markbad(sim, 20 * BLOCK);
	erase(sim, 21, 4 - 21 % 4);
	rf_sim_markbad(sim, 9 * BLOCK);
	save(sim, "chip <&>\"' \x01 \xc3\xa9 \xff\xc0\xaf\xed\xa0\x80 end",
	     argv[1], "small");

	memset(&cfg, 0, sizeof(cfg));
	cfg.faults.seed = 7;
	cfg.faults.bad_block_count = 5;
	sim = open_chip(&cfg, BIG_BLOCKS);
	for (b = 0; b < BIG_BLOCKS; b++)
		erase(sim, b, b % 7);
	save(sim, "big", argv[1], "big");
	return 0;
}
