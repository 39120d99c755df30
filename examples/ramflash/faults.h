/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ramflash fault models: a deterministic PRNG, block lists and the bit-flip
 * model.
 *
 * Every random decision is a pure function of the seed and of the event it
 * concerns (an ECC step and the block's read sequence number, a block
 * index, ...), computed with splitmix64.  So results do not depend on the
 * order in which threads happen to run, only on the order of operations on
 * each eraseblock.
 */
#ifndef RAMFLASH_FAULTS_H
#define RAMFLASH_FAULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A list of eraseblock numbers (sorted, without duplicates). */
struct rf_block_list {
	uint64_t *blocks;
	size_t count;
	size_t capacity;
};

/*
 * nandsim's weakblocks=, weakpages=, gravepages=: unit N (an eraseblock
 * or a page) does its first @max operations, every later one fails.
 */
struct rf_limit {
	uint64_t index;
	uint32_t max;
};

/* A list of limits, sorted by index, one per index. */
struct rf_limit_list {
	struct rf_limit *items;
	size_t count;
};

/* nandsim's count when "N" comes without ":count". */
#define RF_LIMIT_DEFAULT	3

/* Fault models; all zero means none. */
struct rf_faults {
	uint64_t seed;
	struct rf_block_list bad_blocks;	/* factory bad blocks */
	uint64_t bad_block_count;		/* plus this many random ones */
	uint32_t endurance;		/* erases a block survives, 0: forever */
	double bitflip_rate;		/* chance per ECC step and read */
	uint32_t bitflip_max;		/* flips per hit, 0: ecc_strength */
	uint32_t read_disturb;		/* reads per flip per step, 0: off */
	uint64_t retention;		/* ops per flip per step, 0: off */
	struct rf_block_list fail_program;
	struct rf_block_list fail_erase;
	struct rf_limit_list weak_blocks;	/* erases, then -EIO */
	struct rf_limit_list weak_pages;	/* programs, then -EIO */
	struct rf_limit_list grave_pages;	/* reads, then garbage */
	bool power_cut;			/* power_cut_after is in force */
	uint64_t power_cut_after;	/* programs+erases that complete */
	uint32_t latency_read_us;	/* per page read */
	uint32_t latency_program_us;	/* per page programmed */
	uint32_t latency_erase_us;	/* per block erased */
};

/* Domains keep the hash streams of different decisions independent. */
enum rf_hash_domain {
	RF_HASH_BITFLIP_HIT = 1,
	RF_HASH_BITFLIP_COUNT,
	RF_HASH_WEAK_CELLS,
	RF_HASH_BAD_BLOCK,
	RF_HASH_POWER_CUT,
	RF_HASH_GRAVE,
};

/* rf_splitmix64() - next value of the splitmix64 sequence in @state. */
uint64_t rf_splitmix64(uint64_t *state);

/* rf_hash() - a well-mixed 64-bit function of its arguments. */
uint64_t rf_hash(uint64_t seed, enum rf_hash_domain domain, uint64_t a,
		 uint64_t b);

/* rf_unit() - map a hash to [0, 1). */
double rf_unit(uint64_t hash);

/**
 * rf_block_list_parse() - parse "3,10-12,40" into a sorted list.
 * @text:	comma-separated block numbers and inclusive ranges.
 * @list:	receives the list (free with rf_block_list_free()); entries
 *		are added to what it already holds.
 * @err:	receives a one-line reason on failure.
 * @errlen:	size of @err.
 *
 * Return: 0, -EINVAL for bad syntax or a range larger than 2^20 blocks,
 * -ENOMEM.
 */
int rf_block_list_parse(const char *text, struct rf_block_list *list,
			char *err, size_t errlen);

/* rf_block_list_add() - add @block; the list stays sorted and unique. */
int rf_block_list_add(struct rf_block_list *list, uint64_t block);

/* rf_block_list_contains() - binary search for @block. */
bool rf_block_list_contains(const struct rf_block_list *list, uint64_t block);

/* rf_block_list_free() - release and empty @list. */
void rf_block_list_free(struct rf_block_list *list);

/**
 * rf_pick_bad_blocks() - add @count pseudo-random bad blocks to @list.
 * @seed:	the fault seed.
 * @count:	blocks to add; block 0 is never picked (real NAND guarantees
 *		it), blocks already in @list are not picked again.
 * @nblocks:	blocks in the device.
 * @list:	the list to extend.
 *
 * Return: 0, -EINVAL if fewer than @count blocks are left to pick,
 * -ENOMEM.
 */
int rf_pick_bad_blocks(uint64_t seed, uint64_t count, uint64_t nblocks,
		       struct rf_block_list *list);

/**
 * rf_limit_list_parse() - parse nandsim's "113:2,1401" (count 3 when not
 * given; a later entry for the same index replaces an earlier one).
 * @text:	comma-separated N[:count], decimal.
 * @list:	receives the list (free with rf_limit_list_free()).
 * @err:	receives a one-line reason on failure.
 * @errlen:	size of @err.
 *
 * Return: 0, -EINVAL, -ENOMEM.
 */
int rf_limit_list_parse(const char *text, struct rf_limit_list *list,
			char *err, size_t errlen);

/* rf_limit_list_copy() - @dst becomes a copy of @src; 0 or -ENOMEM. */
int rf_limit_list_copy(struct rf_limit_list *dst,
		       const struct rf_limit_list *src);

/* rf_limit_find() - the position of @index in @list, or -1. */
long rf_limit_find(const struct rf_limit_list *list, uint64_t index);

/* rf_limit_list_free() - release and empty @list. */
void rf_limit_list_free(struct rf_limit_list *list);

/* Bits flipped in one ECC step by one read, by cause. */
struct rf_flips {
	uint32_t random;	/* --bitflip-rate */
	uint32_t disturb;	/* --read-disturb */
	uint32_t retention;	/* --retention */
	uint32_t live;		/* the control's flip-bits */
};

/* What the bit-flip model needs to know about one read of one step. */
struct rf_step_read {
	uint64_t step;		/* global ECC step index: addr / ecc_step */
	uint64_t read_seq;	/* the block's read sequence number */
	uint64_t reads_before;	/* reads of the block since its erase */
	uint64_t age;		/* ops since the block was first programmed,
				 * 0 if it was not */
};

/**
 * rf_step_flips() - how many bits one read of one ECC step sees flipped.
 * @faults:	the fault configuration.
 * @bitflip_max: flips of a random hit are uniform in 1..@bitflip_max.
 * @rd:		the read.
 * @flips:	receives the count by cause.
 *
 * Return: the total.
 */
uint32_t rf_step_flips(const struct rf_faults *faults, uint32_t bitflip_max,
		       const struct rf_step_read *rd, struct rf_flips *flips);

/**
 * rf_flip_bits() - flip the first @count weak cells of an ECC step.
 * @seed:	the fault seed.
 * @step:	global ECC step index; chooses the step's weak cells.
 * @step_addr:	device address of the step.
 * @step_len:	bytes in the step.
 * @count:	cells to flip (at most step_len * 8).
 * @out:	buffer holding device bytes [@out_addr, @out_addr + @out_len);
 *		only cells inside it are flipped.
 * @out_addr:	device address of @out[0].
 * @out_len:	bytes in @out.
 *
 * The weak cells of a step are a fixed pseudo-random sequence of distinct
 * bit positions, so more flips in a step hit a superset of the cells that
 * fewer flips hit.
 */
void rf_flip_bits(uint64_t seed, uint64_t step, uint64_t step_addr,
		  uint32_t step_len, uint32_t count, uint8_t *out,
		  uint64_t out_addr, size_t out_len);

#endif /* RAMFLASH_FAULTS_H */
