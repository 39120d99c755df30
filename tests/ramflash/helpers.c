// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Helpers for the ramflash core tests.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
#include "stats.h"

struct rf_config t_config(enum rf_type type)
{
	struct rf_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.geo.type = type;
	cfg.geo.size = T_SIZE;
	cfg.geo.erase_size = T_BLOCK;
	if (type == RF_TYPE_NAND || type == RF_TYPE_MLC_NAND) {
		cfg.geo.page_size = T_PAGE;
		cfg.geo.oob_size = T_OOB;
		cfg.geo.oob_avail = T_OOB_AVAIL;
		cfg.geo.subpage_size = T_SUBPAGE;
		cfg.geo.ecc_step = T_ECC_STEP;
		cfg.geo.ecc_strength = T_ECC_STRENGTH;
	}
	return cfg;
}

struct rf_sim *t_open(const struct rf_config *cfg)
{
	struct rf_sim *sim = NULL;
	char err[256] = "";
	int ret = rf_sim_open(&sim, cfg, err, sizeof(err));

	if (ret)
		fail_msg("rf_sim_open: %d: %s", ret, err);
	return sim;
}

void t_read(struct rf_sim *sim, uint64_t addr, void *buf, size_t len,
	    struct rf_ecc *ecc)
{
	struct rf_io io = { .addr = addr, .len = len, .buf = buf };
	struct rf_ecc scratch;

	assert_int_equal(rf_sim_read(sim, &io, ecc ? ecc : &scratch), 0);
}

int t_write(struct rf_sim *sim, uint64_t addr, const void *buf, size_t len)
{
	struct rf_io io = { .addr = addr, .len = len, .buf = (void *)buf };

	return rf_sim_write(sim, &io);
}

struct rf_io t_oob(uint64_t addr, uint32_t ooboffs, void *oob, size_t ooblen,
		   enum rf_oob_mode mode)
{
	struct rf_io io = {
		.addr = addr, .ooboffs = ooboffs, .oobbuf = oob,
		.ooblen = ooblen, .mode = mode,
	};

	return io;
}

char *t_report(struct rf_sim *sim, bool json)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	assert_non_null(out);
	if (json)
		assert_int_equal(rf_stats_write_json(sim, out), 0);
	else
		rf_stats_print(sim, out);
	assert_int_equal(fclose(out), 0);
	return text;
}

void t_assert_filled(const void *buf, size_t len, uint8_t value)
{
	const uint8_t *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != value)
			fail_msg("byte %zu is 0x%02x, expected 0x%02x", i, p[i],
				 value);
}

const char *t_tempfile(const char *name)
{
	static char dir[64];
	static char path[128];

	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "/tmp/ramflash-test-XXXXXX");
		if (!mkdtemp(dir))
			fail_msg("mkdtemp failed");
	} else if (mkdir(dir, 0700) && errno != EEXIST) {
		/* A test removed it when done; others may still want it. */
		fail_msg("mkdir %s failed", dir);
	}
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
	return path;
}

unsigned int t_popcount_diff(const uint8_t *a, const uint8_t *b, size_t len)
{
	unsigned int n = 0;
	size_t i;

	for (i = 0; i < len; i++)
		n += (unsigned int)__builtin_popcount(a[i] ^ b[i]);
	return n;
}
