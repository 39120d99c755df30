// SPDX-License-Identifier: LGPL-2.1-or-later
/* The shared table of device descriptions; see device-cases.h. */
#include <inttypes.h>
#include <stdio.h>

#include <muse/muse_kernel.h>

#include "device-cases.h"

/* MTD types and flags as sent in TYPE= and FLAGS=. */
#define NOR 3
#define NAND 4
#define MLC 8
#define WR 0x400
#define BITWR 0x800
#define NOERASE 0x1000

/* A 4 MiB SLC NAND: 2 KiB pages, 128 KiB blocks (32), 64 OOB bytes. */
#define GOOD_NAND .name = "cases", .type = NAND, .flags = WR, \
	.size = 4 << 20, .writesize = 2048, .erasesize = 128 << 10, \
	.oobsize = 64, .oobavail = 38, .ecc_strength = 4, .ecc_step = 512
#define NAME64 "0123456789012345678901234567890123456789012345678901234567890123"
#define P4 "128K,128K,128K,128K"
#define P32 P4 "," P4 "," P4 "," P4 "," P4 "," P4 "," P4 "," P4

const struct mdc_case mdc_cases[] = {
	/* Good ones. */
	{ "extended NAND with OOB and ECC", true, { GOOD_NAND } },
	{ "NOR with a write buffer", true,
	  { .name = "cases", .type = NOR, .flags = WR | BITWR, .size = 1 << 20,
	    .writesize = 1, .erasesize = 64 << 10, .writebufsize = 256 } },
	{ "RAM that needs no erase", true,
	  { .name = "cases", .type = 1, .flags = WR | BITWR | NOERASE,
	    .size = 1 << 20, .writesize = 1, .erasesize = 4096 } },
	{ "MLC NAND", true, { GOOD_NAND, .type = MLC } },
	{ "name of 64 bytes", true, { GOOD_NAND, .name = NAME64 } },
	{ "name with a space", true, { GOOD_NAND, .name = "my flash" } },
	{ "OOB as large as the page", true,
	  { GOOD_NAND, .writesize = 64, .erasesize = 4096, .oobsize = 64,
	    .ecc_step = 64 } },
	{ "subpages of a quarter page", true,
	  { GOOD_NAND, .subpage_shift = 2 } },
	{ "bit-flip threshold equal to the strength", true,
	  { GOOD_NAND, .bitflip_threshold = 4 } },
	{ "partitions: size, offset, name, ro, rest", true,
	  { GOOD_NAND,
	    .partitions = "128K(boot)ro,0x40000@0x40000(data),-(rest)" } },
	{ "partitions: hex size, no names", true,
	  { GOOD_NAND, .partitions = "0x20000,1M,-" } },
	{ "partition name with a space", true,
	  { GOOD_NAND, .partitions = "512K(a b),-" } },
	{ "32 partitions", true, { GOOD_NAND, .partitions = P32 } },

	/* Geometry. */
	{ "zero size", false, { GOOD_NAND, .size = 0 } },
	{ "zero writesize", false, { GOOD_NAND, .writesize = 0 } },
	{ "zero erasesize", false, { GOOD_NAND, .erasesize = 0 } },
	{ "writesize does not divide erasesize", false,
	  { GOOD_NAND, .writesize = 3000 } },
	{ "size not a multiple of erasesize", false,
	  { GOOD_NAND, .size = 1000000 } },
	{ "more than 2^32 pages", false,
	  { .name = "cases", .type = NOR, .flags = WR, .size = 1ULL << 33,
	    .writesize = 1, .erasesize = 64 << 10 } },
	{ "2^20 eraseblocks, the most", true,
	  { GOOD_NAND, .size = 1ULL << 32, .erasesize = 4096 } },
	{ "2^20 + 1 eraseblocks", false,
	  { GOOD_NAND, .size = (1ULL << 32) + 4096, .erasesize = 4096 } },
	{ "2^32 - 1 eraseblocks", false,
	  { GOOD_NAND, .size = 0xffffffffULL * 512, .writesize = 512,
	    .erasesize = 512 } },
	{ "writebufsize not a multiple of writesize", false,
	  { GOOD_NAND, .writebufsize = 3000 } },
	{ "writebufsize does not divide erasesize", false,
	  { GOOD_NAND, .writebufsize = 3 * 2048 } },
	{ "subpage shift leaves no subpage", false,
	  { GOOD_NAND, .subpage_shift = 12 } },
	{ "subpage shift of 40", false, { GOOD_NAND, .subpage_shift = 40 } },

	/* OOB and ECC. */
	{ "oobsize larger than writesize", false,
	  { GOOD_NAND, .writesize = 16, .erasesize = 4096, .oobsize = 32,
	    .oobavail = 16, .ecc_step = 16 } },
	{ "oobavail larger than oobsize", false,
	  { GOOD_NAND, .oobavail = 65 } },
	{ "ECC strength without a step", false,
	  { GOOD_NAND, .ecc_step = 0 } },
	{ "ECC step does not divide the page", false,
	  { GOOD_NAND, .ecc_step = 768 } },
	{ "bit-flip threshold above the strength", false,
	  { GOOD_NAND, .bitflip_threshold = 5 } },
	{ "ECC strength at its cap", true,
	  { GOOD_NAND, .ecc_strength = MUSE_ECC_STRENGTH_MAX,
	    .bitflip_threshold = MUSE_ECC_STRENGTH_MAX } },
	{ "ECC strength above its cap", false,
	  { GOOD_NAND, .ecc_strength = MUSE_ECC_STRENGTH_MAX + 1 } },
	{ "ECC strength that is -EIOCBQUEUED as an int", false,
	  { GOOD_NAND, .ecc_strength = 4294966767u,
	    .bitflip_threshold = 4294966767u } },
	{ "ECC strength and threshold of 2^32 - 1", false,
	  { GOOD_NAND, .ecc_strength = 0xffffffffu,
	    .bitflip_threshold = 0xffffffffu } },
	{ "ECC step of 2^32 - 1", false,
	  { GOOD_NAND, .ecc_step = 0xffffffffu } },

	/* Identity. */
	{ "empty name", false, { GOOD_NAND, .name = "" } },
	{ "name of 65 bytes", false, { GOOD_NAND, .name = NAME64 "X" } },
	{ "name with a newline", false, { GOOD_NAND, .name = "bad\nname" } },
	{ "type 0 (absent)", false, { GOOD_NAND, .type = 0 } },
	{ "type 5 (unknown)", false, { GOOD_NAND, .type = 5 } },
	{ "type 7 (UBI volume)", false, { GOOD_NAND, .type = 7 } },
	{ "unknown flag", false, { GOOD_NAND, .flags = WR | 1 } },

	/* The partition grammar: <size>[@<offset>][(<name>)][ro][lk][slc]. */
	{ "partition flag lk", true,
	  { GOOD_NAND, .partitions = "1M(a)lk,-" } },
	{ "partition flags ro and lk", true,
	  { GOOD_NAND, .partitions = "1M(a)rolk,-" } },
	{ "partition flag slc on SLC NAND", false,
	  { GOOD_NAND, .partitions = "1M(a)slc,-" } },
	{ "partition flags out of order", false,
	  { GOOD_NAND, .partitions = "1M(a)lkro,-" } },
	{ "partitions with mtdparts= prefix", false,
	  { GOOD_NAND, .partitions = "mtdparts=cases:1M(a)" } },
	{ "partitions with an mtd-id", false,
	  { GOOD_NAND, .partitions = "cases:1M(a)" } },
	{ "partitions of two devices", false,
	  { GOOD_NAND, .partitions = "1M(a);2M(b)" } },
	{ "rest partition not last", false,
	  { GOOD_NAND, .partitions = "-(a),1M(b)" } },
	{ "unterminated partition name", false,
	  { GOOD_NAND, .partitions = "1M(a" } },
	{ "empty partition name", false,
	  { GOOD_NAND, .partitions = "1M()" } },
	{ "partition name of 65 bytes", false,
	  { GOOD_NAND, .partitions = "1M(" NAME64 "X)" } },
	{ "space after a partition", false,
	  { GOOD_NAND, .partitions = "1M(a) ,2M" } },
	{ "bad size suffix", false, { GOOD_NAND, .partitions = "1Q" } },
	{ "trailing comma", false, { GOOD_NAND, .partitions = "1M(a)," } },
	{ "offset without a number", false,
	  { GOOD_NAND, .partitions = "1M@(a)" } },
	{ "overlapping partitions", false,
	  { GOOD_NAND, .partitions = "1M(a),1M@512K(b)" } },
	{ "partition size not eraseblock aligned", false,
	  { GOOD_NAND, .partitions = "100K(a)" } },
	{ "partition offset not eraseblock aligned", false,
	  { GOOD_NAND, .partitions = "128K@100K(a)" } },
	{ "partition beyond the device", false,
	  { GOOD_NAND, .partitions = "8M(a)" } },
	{ "zero-sized partition", false,
	  { GOOD_NAND, .partitions = "0(a)" } },
	{ "33 partitions", false,
	  { GOOD_NAND, .size = 8 << 20, .partitions = P32 ",128K" } },
};

const size_t mdc_count = sizeof(mdc_cases) / sizeof(mdc_cases[0]);

/* Append "KEY=VALUE\0"; *overflow is set instead when it does not fit. */
static void add_key(char *buf, size_t size, size_t *len, bool *overflow,
		    const char *key, const char *value)
{
	int n = snprintf(buf + *len, size - *len, "%s=%s", key, value);

	if (n < 0 || (size_t)n >= size - *len)
		*overflow = true;
	else
		*len += (size_t)n + 1;
}

static void add_u64(char *buf, size_t size, size_t *len, bool *overflow,
		    const char *key, uint64_t value)
{
	char num[24];

	snprintf(num, sizeof(num), "%" PRIu64, value);
	add_key(buf, size, len, overflow, key, num);
}

size_t mdc_info_block(const struct mdc_device *dev, char *buf, size_t size)
{
	bool overflow = false;
	size_t len = 0;

#define U64(key, value) add_u64(buf, size, &len, &overflow, key, value)
	add_key(buf, size, &len, &overflow, MUSE_KEY_NAME, dev->name);
	U64(MUSE_KEY_TYPE, dev->type);
	U64(MUSE_KEY_FLAGS, dev->flags);
	U64(MUSE_KEY_SIZE, dev->size);
	U64(MUSE_KEY_WRITESIZE, dev->writesize);
	U64(MUSE_KEY_ERASESIZE, dev->erasesize);
	if (dev->writebufsize)
		U64(MUSE_KEY_WRITEBUFSIZE, dev->writebufsize);
	if (dev->oobsize || dev->oobavail) {
		U64(MUSE_KEY_OOBSIZE, dev->oobsize);
		U64(MUSE_KEY_OOBAVAIL, dev->oobavail);
	}
	if (dev->subpage_shift)
		U64(MUSE_KEY_SUBPAGESHIFT, dev->subpage_shift);
	if (dev->ecc_strength || dev->ecc_step) {
		U64(MUSE_KEY_ECCSTRENGTH, dev->ecc_strength);
		U64(MUSE_KEY_ECCSTEP, dev->ecc_step);
	}
	if (dev->bitflip_threshold)
		U64(MUSE_KEY_BITFLIPTHRESHOLD, dev->bitflip_threshold);
	if (dev->partitions)
		add_key(buf, size, &len, &overflow, MUSE_KEY_PARTSCMDLINE,
			dev->partitions);
#undef U64
	return overflow ? 0 : len;
}
