/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Helpers for the ramflash core tests: a tiny chip and one-line I/O.
 */
#ifndef RAMFLASH_TEST_HELPERS_H
#define RAMFLASH_TEST_HELPERS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "sim.h"

/*
 * The test chip: 8 blocks of 4 pages of 512 bytes, 16 OOB bytes per page
 * (6 free), 256-byte subpages, ECC 2 bits per 256 bytes.
 */
#define T_PAGE		512U
#define T_PAGES_PER_BLOCK 4U
#define T_BLOCK		(T_PAGE * T_PAGES_PER_BLOCK)
#define T_BLOCKS	8U
#define T_SIZE		(T_BLOCK * T_BLOCKS)
#define T_OOB		16U
#define T_OOB_AVAIL	6U
#define T_SUBPAGE	256U
#define T_ECC_STEP	256U
#define T_ECC_STRENGTH	2U

/* t_config() - a configuration of the test chip of type @type. */
struct rf_config t_config(enum rf_type type);

/* t_open() - open @cfg, failing the test on error. */
struct rf_sim *t_open(const struct rf_config *cfg);

/* t_read() - read @len data bytes at @addr (PLACE mode), assert success. */
void t_read(struct rf_sim *sim, uint64_t addr, void *buf, size_t len,
	    struct rf_ecc *ecc);

/* t_write() - write @len bytes at @addr; returns the simulator's result. */
int t_write(struct rf_sim *sim, uint64_t addr, const void *buf, size_t len);

/* t_oob() - an OOB-only request of @mode. */
struct rf_io t_oob(uint64_t addr, uint32_t ooboffs, void *oob, size_t ooblen,
		   enum rf_oob_mode mode);

/*
 * t_report() - the --stats JSON (@json) or the human report of @sim, as
 * a string to free().
 */
char *t_report(struct rf_sim *sim, bool json);

/* t_popcount_diff() - the bits in which @a and @b (@len bytes) differ. */
unsigned int t_popcount_diff(const uint8_t *a, const uint8_t *b, size_t len);

/* t_assert_filled() - every byte of @buf is @value. */
void t_assert_filled(const void *buf, size_t len, uint8_t value);

/*
 * t_tempfile() - a fresh path in a private temp directory (the file is not
 * created); t_tempfile("") names the directory, for rmdir() when done.
 */
const char *t_tempfile(const char *name);

#endif /* RAMFLASH_TEST_HELPERS_H */
