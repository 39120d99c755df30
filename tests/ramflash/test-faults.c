// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ramflash core: fault models with fixed seeds and exact expectations.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "faults.h"
#include "helpers.h"
#include "stats.h"

static void test_splitmix64_reference(void **state)
{
	uint64_t s = 0;

	/* The published splitmix64 sequence for state 0. */
	assert_true(rf_splitmix64(&s) == 0xe220a8397b1dcdafULL);
	assert_true(rf_splitmix64(&s) == 0x6e789e6aa1b965f4ULL);
	assert_true(rf_hash(1, RF_HASH_BITFLIP_HIT, 2, 3) ==
		    rf_hash(1, RF_HASH_BITFLIP_HIT, 2, 3));
	assert_true(rf_hash(1, RF_HASH_BITFLIP_HIT, 2, 3) !=
		    rf_hash(1, RF_HASH_BITFLIP_HIT, 3, 2));
	assert_true(rf_hash(1, RF_HASH_BITFLIP_HIT, 2, 3) !=
		    rf_hash(2, RF_HASH_BITFLIP_HIT, 2, 3));
	assert_true(rf_unit(UINT64_MAX) < 1.0);
	assert_true(rf_unit(0) == 0.0);
}

static void test_block_lists(void **state)
{
	struct rf_block_list list = { 0 };
	char err[128];

	assert_int_equal(rf_block_list_parse("40,10-12,3", &list, err,
					     sizeof(err)), 0);
	assert_int_equal(list.count, 5);
	assert_true(list.blocks[0] == 3 && list.blocks[1] == 10 &&
		    list.blocks[2] == 11 && list.blocks[3] == 12 &&
		    list.blocks[4] == 40);
	assert_true(rf_block_list_contains(&list, 11));
	assert_false(rf_block_list_contains(&list, 13));
	/* Duplicates are merged. */
	assert_int_equal(rf_block_list_parse("11,3", &list, err, sizeof(err)), 0);
	assert_int_equal(list.count, 5);
	rf_block_list_free(&list);
	assert_int_equal(rf_block_list_parse("5-3", &list, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(rf_block_list_parse("", &list, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(rf_block_list_parse("1,,2", &list, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(rf_block_list_parse("x", &list, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(rf_block_list_parse("1-", &list, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(rf_block_list_parse("0-99999999", &list, err,
					     sizeof(err)), -EINVAL);
	rf_block_list_free(&list);
}

static void test_weak_cells(void **state)
{
	uint8_t two[T_ECC_STEP] = { 0 }, three[T_ECC_STEP] = { 0 };
	uint8_t part[16] = { 0 };
	size_t i;

	rf_flip_bits(9, 4, 0, T_ECC_STEP, 2, two, 0, sizeof(two));
	rf_flip_bits(9, 4, 0, T_ECC_STEP, 3, three, 0, sizeof(three));
	assert_int_equal(t_popcount_diff(two, (uint8_t[T_ECC_STEP]){ 0 },
					 T_ECC_STEP), 2);
	assert_int_equal(t_popcount_diff(three, (uint8_t[T_ECC_STEP]){ 0 },
					 T_ECC_STEP), 3);
	/* More flips hit a superset of the cells. */
	for (i = 0; i < T_ECC_STEP; i++)
		assert_int_equal(two[i] & ~three[i], 0);
	/* Every bit of the step, once each: all bytes become 0xff. */
	memset(three, 0, sizeof(three));
	rf_flip_bits(9, 4, 0, T_ECC_STEP, T_ECC_STEP * 8 + 50, three, 0,
		     sizeof(three));
	t_assert_filled(three, sizeof(three), 0xff);
	/* Cells outside the window are left alone. */
	rf_flip_bits(9, 4, 0, T_ECC_STEP, T_ECC_STEP * 8, part, 100,
		     sizeof(part));
	t_assert_filled(part, sizeof(part), 0xff);
}

/* Write @pattern into page 0 of block 0. */
static void t_fill_page(struct rf_sim *sim, uint8_t pattern, uint8_t *page)
{
	memset(page, pattern, T_PAGE);
	assert_int_equal(t_write(sim, 0, page, T_PAGE), 0);
}

static void test_random_bitflips_corrected(void **state)
{
	struct rf_config cfg = t_config(RF_TYPE_NAND);
	uint8_t page[T_PAGE], back[T_PAGE];
	struct rf_ecc ecc;
	struct rf_sim *sim;
	int i;

	/* Rate 1 with at most 1 flip: each step has exactly one. */
	cfg.faults.bitflip_rate = 1.0;
	cfg.faults.bitflip_max = 1;
	sim = t_open(&cfg);
	t_fill_page(sim, 0x96, page);
	for (i = 0; i < 3; i++) {
		t_read(sim, 0, back, T_PAGE, &ecc);
		assert_memory_equal(back, page, T_PAGE);
		assert_int_equal(ecc.corrected, 2);
		assert_int_equal(ecc.max_bitflips, 1);
		assert_int_equal(ecc.failed, 0);
	}
	assert_int_equal(rf_stats_get(rf_sim_stats(sim), flips_random), 6);
	assert_int_equal(rf_stats_get(rf_sim_stats(sim), ecc_corrected_bits), 6);
	/* RAW reads see the flips: one bit per step. */
	struct rf_io io = { .addr = 0, .len = T_PAGE, .buf = back,
			    .mode = RF_OOB_RAW };

	assert_int_equal(rf_sim_read(sim, &io, &ecc), 0);
	assert_int_equal(ecc.corrected + ecc.failed, 0);
	assert_int_equal(t_popcount_diff(back, page, T_PAGE), 2);
	rf_sim_close(sim);
}

/* The ECC results of 64 reads of one page under @seed. */
static void t_rate_run(uint64_t seed, struct rf_ecc results[64],
		       unsigned int *hits, unsigned int *failed)
{
	struct rf_config cfg = t_config(RF_TYPE_NAND);
	uint8_t page[T_PAGE], back[T_PAGE];
	struct rf_sim *sim;
	int i;

	cfg.faults.bitflip_rate = 0.25;
	cfg.faults.bitflip_max = 3;	/* > strength 2: some fail */
	cfg.faults.seed = seed;
	sim = t_open(&cfg);
	t_fill_page(sim, 0x00, page);
	*hits = *failed = 0;
	for (i = 0; i < 64; i++) {
		t_read(sim, 0, back, T_PAGE, &results[i]);
		*hits += results[i].corrected ? 1 : 0;
		*failed += results[i].failed;
		/* Failed steps come back with their flips, others clean. */
		if (!results[i].failed)
			assert_memory_equal(back, page, T_PAGE);
		else
			assert_true(t_popcount_diff(back, page, T_PAGE) >= 3);
	}
	assert_int_equal(rf_stats_get(rf_sim_stats(sim), ecc_failed_steps),
			 *failed);
	rf_sim_close(sim);
}

static void test_random_bitflips_deterministic(void **state)
{
	struct rf_ecc a[64], b[64], c[64];
	unsigned int hits, failed, hits2, failed2;

	t_rate_run(42, a, &hits, &failed);
	t_rate_run(42, b, &hits2, &failed2);
	assert_memory_equal(a, b, sizeof(a));
	/* 128 step reads at 1/4: about 32 hits, a third uncorrectable. */
	assert_in_range(hits + failed, 12, 60);
	assert_in_range(failed, 1, 30);
	t_rate_run(43, c, &hits2, &failed2);
	assert_memory_not_equal(a, c, sizeof(a));
}

static void test_read_disturb(void **state)
{
	struct rf_config cfg = t_config(RF_TYPE_NAND);
	uint8_t page[T_PAGE], back[T_PAGE];
	struct rf_ecc ecc;
	struct rf_sim *sim;

	/* Every 2 reads since the erase add a flip per step. */
	cfg.faults.read_disturb = 2;
	sim = t_open(&cfg);
	t_fill_page(sim, 0x5a, page);
	t_read(sim, 0, back, T_PAGE, &ecc);	/* 0 reads before: clean */
	assert_int_equal(ecc.corrected, 0);
	t_read(sim, 0, back, T_PAGE, &ecc);	/* 1 */
	assert_int_equal(ecc.corrected, 0);
	t_read(sim, 0, back, T_PAGE, &ecc);	/* 2: one flip per step */
	assert_int_equal(ecc.corrected, 2);
	assert_int_equal(ecc.max_bitflips, 1);
	t_read(sim, 0, back, T_PAGE, &ecc);	/* 3 */
	t_read(sim, 0, back, T_PAGE, &ecc);	/* 4: two per step */
	assert_int_equal(ecc.corrected, 4);
	assert_int_equal(ecc.max_bitflips, 2);
	assert_memory_equal(back, page, T_PAGE);
	t_read(sim, 0, back, T_PAGE, &ecc);	/* 5 */
	t_read(sim, 0, back, T_PAGE, &ecc);	/* 6: three > strength 2 */
	assert_int_equal(ecc.corrected, 0);
	assert_int_equal(ecc.failed, 2);
	assert_int_equal(t_popcount_diff(back, page, T_PAGE), 6);
	/* A read of another block does not disturb this one's count... */
	t_read(sim, T_BLOCK, back, T_PAGE, &ecc);
	assert_int_equal(ecc.corrected + ecc.failed, 0);
	/* ...and an erase resets it. */
	assert_int_equal(rf_sim_erase(sim, 0, T_BLOCK), 0);
	t_read(sim, 0, back, T_PAGE, &ecc);
	assert_int_equal(ecc.corrected + ecc.failed, 0);
	t_assert_filled(back, T_PAGE, 0xff);
	assert_int_equal(rf_stats_get(rf_sim_stats(sim), flips_disturb),
			 2 * (1 + 1 + 2 + 2 + 3));
	rf_sim_close(sim);
}

static void test_retention(void **state)
{
	struct rf_config cfg = t_config(RF_TYPE_NAND);
	uint8_t page[T_PAGE], back[T_PAGE];
	struct rf_ecc ecc;
	struct rf_sim *sim;

	/* One flip per step every 3 operations since the first program. */
	cfg.faults.retention = 3;
	sim = t_open(&cfg);
	t_read(sim, 0, back, T_PAGE, &ecc);	/* unprogrammed: no aging */
	t_read(sim, 0, back, T_PAGE, &ecc);
	t_read(sim, 0, back, T_PAGE, &ecc);
	assert_int_equal(ecc.corrected, 0);
	t_fill_page(sim, 0xc3, page);
	t_read(sim, 0, back, T_PAGE, &ecc);	/* age 1 */
	t_read(sim, 0, back, T_PAGE, &ecc);	/* age 2 */
	assert_int_equal(ecc.corrected, 0);
	t_read(sim, 0, back, T_PAGE, &ecc);	/* age 3 */
	assert_int_equal(ecc.corrected, 2);
	assert_int_equal(rf_stats_get(rf_sim_stats(sim), flips_retention), 2);
	/* Erasing makes the block young again. */
	assert_int_equal(rf_sim_erase(sim, 0, T_BLOCK), 0);
	t_read(sim, 0, back, T_PAGE, &ecc);
	assert_int_equal(ecc.corrected, 0);
	rf_sim_close(sim);
}

/* A RAW write of @len bytes at @addr (no ECC). */
static int t_raw_write(struct rf_sim *sim, uint64_t addr, const void *buf,
		       size_t len)
{
	struct rf_io io = { .addr = addr, .len = len, .buf = (void *)buf,
			    .mode = RF_OOB_RAW };

	return rf_sim_write(sim, &io);
}

static void test_raw_writes_behind_ecc(void **state)
{
	struct rf_config cfg = t_config(RF_TYPE_NAND);
	uint8_t page[T_PAGE], flipped[T_PAGE], back[T_PAGE];
	struct rf_io raw = { .addr = 0, .len = T_PAGE, .buf = back,
			     .mode = RF_OOB_RAW };
	struct rf_ecc ecc;
	struct rf_sim *sim = t_open(&cfg);

	t_fill_page(sim, 0x5a, page);
	/* Clear one bit of step 0 behind the ECC, as nandflipbits does. */
	memcpy(flipped, page, T_PAGE);
	flipped[10] = 0x58;
	assert_int_equal(t_raw_write(sim, 0, flipped, T_PAGE), 0);
	t_read(sim, 0, back, T_PAGE, &ecc);
	assert_memory_equal(back, page, T_PAGE);
	assert_int_equal(ecc.corrected, 1);
	assert_int_equal(ecc.max_bitflips, 1);
	assert_int_equal(ecc.failed, 0);
	/* A RAW read shows what is stored. */
	assert_int_equal(rf_sim_read(sim, &raw, &ecc), 0);
	assert_memory_equal(back, flipped, T_PAGE);
	assert_int_equal(ecc.corrected, 0);
	/* Two more: 3 > strength 2 in step 0, step 1 still clean. */
	flipped[11] = 0x18;
	assert_int_equal(t_raw_write(sim, 0, flipped, T_PAGE), 0);
	t_read(sim, 0, back, T_PAGE, &ecc);
	assert_int_equal(ecc.failed, 1);
	assert_int_equal(ecc.corrected, 0);
	assert_memory_equal(back, flipped, T_PAGE);
	/* A partial read of the bad step still fails it. */
	t_read(sim, 100, back, 4, &ecc);
	assert_int_equal(ecc.failed, 1);
	assert_int_equal(rf_stats_get(rf_sim_stats(sim), raw_diff_bits), 1 + 3 + 3);
	/* A program through the ECC protects the new contents. */
	memset(page, 0x00, sizeof(page));
	assert_int_equal(t_write(sim, 0, page, T_PAGE), 0);
	t_read(sim, 0, back, T_PAGE, &ecc);
	t_assert_filled(back, T_PAGE, 0x00);
	assert_int_equal(ecc.corrected + ecc.failed, 0);
	/* Erase forgets everything. */
	assert_int_equal(t_raw_write(sim, T_PAGE, flipped, T_PAGE), 0);
	assert_int_equal(rf_sim_erase(sim, 0, T_BLOCK), 0);
	t_read(sim, T_PAGE, back, T_PAGE, &ecc);
	t_assert_filled(back, T_PAGE, 0xff);
	assert_int_equal(ecc.corrected + ecc.failed, 0);
	/* RAW data written to an erased page reads back corrected to 0xff. */
	memset(flipped, 0xff, sizeof(flipped));
	flipped[300] = 0xfe;
	assert_int_equal(t_raw_write(sim, 2 * T_PAGE, flipped, T_PAGE), 0);
	t_read(sim, 2 * T_PAGE, back, T_PAGE, &ecc);
	t_assert_filled(back, T_PAGE, 0xff);
	assert_int_equal(ecc.corrected, 1);
	rf_sim_close(sim);

	/* Without ECC there is nothing to bypass: RAW is a plain write. */
	cfg.geo.ecc_strength = 0;
	sim = t_open(&cfg);
	assert_int_equal(t_raw_write(sim, 0, flipped, T_PAGE), 0);
	t_read(sim, 0, back, T_PAGE, &ecc);
	assert_memory_equal(back, flipped, T_PAGE);
	assert_int_equal(ecc.corrected + ecc.failed, 0);
	rf_sim_close(sim);
}

static void test_flip_models_need_nand(void **state)
{
	struct rf_config cfg = t_config(RF_TYPE_NOR);
	struct rf_sim *sim;
	char err[256];

	cfg.faults.read_disturb = 5;
	assert_int_equal(rf_sim_open(&sim, &cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "NAND"));
}

/* nandsim's N:count lists: sorted, count 3 by default, the last wins. */
static void test_limit_lists(void **state)
{
	struct rf_limit_list list = { 0 };
	char err[256];

	assert_int_equal(rf_limit_list_parse("113:2,7,40:0,7:5", &list, err,
					     sizeof(err)), 0);
	assert_int_equal(list.count, 3);
	assert_true(list.items[0].index == 7 && list.items[0].max == 5);
	assert_true(list.items[1].index == 40 && list.items[1].max == 0);
	assert_true(list.items[2].index == 113 && list.items[2].max == 2);
	assert_int_equal(rf_limit_find(&list, 40), 1);
	assert_int_equal(rf_limit_find(&list, 41), -1);
	assert_int_equal(rf_limit_list_parse("9", &list, err, sizeof(err)), 0);
	assert_true(list.count == 1 && list.items[0].max == RF_LIMIT_DEFAULT);
	rf_limit_list_free(&list);
	assert_int_equal(rf_limit_list_parse("3:", &list, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "N or N:count"));
	assert_int_equal(rf_limit_list_parse("3,,4", &list, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(rf_limit_list_parse("3:4294967296", &list, err,
					     sizeof(err)), -EINVAL);
	assert_int_equal(rf_limit_list_parse("x", &list, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(list.count, 0);
}

/* A NAND test chip with nandsim-style limits; NULL: none of the kind. */
static struct rf_sim *t_open_limits(const char *weak_blocks,
				    const char *weak_pages,
				    const char *grave_pages)
{
	struct rf_config cfg = t_config(RF_TYPE_NAND);
	struct rf_limit_list *lists[] = { &cfg.faults.weak_blocks,
					  &cfg.faults.weak_pages,
					  &cfg.faults.grave_pages };
	const char *texts[] = { weak_blocks, weak_pages, grave_pages };
	struct rf_sim *sim;
	char err[256];
	size_t i;

	for (i = 0; i < 3; i++)
		if (texts[i])
			assert_int_equal(rf_limit_list_parse(texts[i], lists[i],
							     err, sizeof(err)), 0);
	sim = t_open(&cfg);
	for (i = 0; i < 3; i++)
		rf_limit_list_free(lists[i]);
	return sim;
}

/*
 * --weak-blocks 2:2: two erases of block 2 succeed, every later one
 * fails with -EIO; the block stays good for the user to mark.
 */
static void test_weak_blocks(void **state)
{
	struct rf_sim *sim = t_open_limits("2:2", NULL, NULL);

	assert_int_equal(rf_sim_erase(sim, 2 * T_BLOCK, T_BLOCK), 0);
	assert_int_equal(rf_sim_erase(sim, 2 * T_BLOCK, T_BLOCK), 0);
	assert_int_equal(rf_sim_erase(sim, 2 * T_BLOCK, T_BLOCK), -EIO);
	assert_int_equal(rf_sim_erase(sim, 2 * T_BLOCK, T_BLOCK), -EIO);
	assert_int_equal(rf_sim_isbad(sim, 2 * T_BLOCK), 0);
	assert_int_equal(rf_sim_erase_count(sim, 2), 2);
	assert_int_equal(rf_sim_erase(sim, 3 * T_BLOCK, T_BLOCK), 0);
	assert_int_equal(rf_stats_get(rf_sim_stats(sim), erase_failures), 2);
	/* The kernel may not erase it itself: the erase must fail here. */
	assert_int_equal(rf_sim_erase_budget(sim, 2), 0);
	assert_int_equal(rf_sim_markbad(sim, 2 * T_BLOCK), 0);
	assert_int_equal(rf_sim_isbad(sim, 2 * T_BLOCK), 1);
	rf_sim_close(sim);
}

/*
 * --weak-pages 5:1: page 5 (block 1's second page) takes one program; the
 * next fails with -EIO, and a write over pages 4-6 programs page 4 only.
 */
static void test_weak_pages(void **state)
{
	struct rf_sim *sim = t_open_limits(NULL, "5:1", NULL);
	uint8_t data[3 * T_PAGE], back[3 * T_PAGE];

	memset(data, 0x5a, sizeof(data));
	assert_int_equal(t_write(sim, 5 * T_PAGE, data, T_PAGE), 0);
	assert_int_equal(rf_sim_erase(sim, T_BLOCK, T_BLOCK), 0);
	assert_int_equal(t_write(sim, 4 * T_PAGE, data, sizeof(data)), -EIO);
	t_read(sim, 4 * T_PAGE, back, sizeof(back), NULL);
	t_assert_filled(back, T_PAGE, 0x5a);
	t_assert_filled(back + T_PAGE, 2 * T_PAGE, 0xff);
	assert_int_equal(rf_stats_get(rf_sim_stats(sim), program_failures), 1);
	/* Other pages of the block are not weak. */
	assert_int_equal(t_write(sim, 6 * T_PAGE, data, T_PAGE), 0);
	rf_sim_close(sim);
}

/*
 * --grave-pages 9:2: two reads of page 9 return its data, later ones
 * garbage that the ECC reports uncorrectable (RAW reads: garbage alone).
 */
static void test_grave_pages(void **state)
{
	struct rf_sim *sim = t_open_limits(NULL, NULL, "9:2");
	uint8_t data[2 * T_PAGE], back[2 * T_PAGE], again[2 * T_PAGE];
	struct rf_io raw = { .addr = 9 * T_PAGE, .len = T_PAGE, .buf = back,
			     .mode = RF_OOB_RAW };
	struct rf_ecc ecc;

	memset(data, 0x3c, sizeof(data));
	assert_int_equal(t_write(sim, 8 * T_PAGE, data, sizeof(data)), 0);
	t_read(sim, 9 * T_PAGE, back, T_PAGE, &ecc);
	assert_int_equal(ecc.failed, 0);
	t_read(sim, 8 * T_PAGE, back, sizeof(back), &ecc);
	assert_int_equal(ecc.failed, 0);
	t_assert_filled(back, sizeof(back), 0x3c);
	t_read(sim, 8 * T_PAGE, back, sizeof(back), &ecc);
	assert_int_equal(ecc.failed, 1);
	t_assert_filled(back, T_PAGE, 0x3c);
	assert_true(t_popcount_diff(back + T_PAGE, data, T_PAGE) > 100);
	t_read(sim, 8 * T_PAGE, again, sizeof(again), &ecc);
	assert_memory_equal(back, again, sizeof(back));
	assert_int_equal(rf_sim_read(sim, &raw, &ecc), 0);
	assert_int_equal(ecc.failed, 0);
	assert_memory_equal(back, again + T_PAGE, T_PAGE);
	assert_int_equal(rf_stats_get(rf_sim_stats(sim), grave_reads), 3);
	/* The kernel may not read around it. */
	assert_false(rf_sim_reads_plain(sim));
	rf_sim_close(sim);
}

/*
 * --grave-pages 6:1, as nandsim's gravepages: reads of the page while it
 * is erased (never programmed, or erased since) return 0xff and do not
 * count; the count goes on across erases.
 */
static void test_grave_pages_erased(void **state)
{
	struct rf_sim *sim = t_open_limits(NULL, NULL, "6:1");
	uint8_t data[T_PAGE], back[T_PAGE];
	struct rf_ecc ecc;
	int i;

	memset(data, 0x3c, sizeof(data));
	for (i = 0; i < 3; i++) {
		t_read(sim, 6 * T_PAGE, back, T_PAGE, &ecc);
		assert_int_equal(ecc.failed, 0);
		t_assert_filled(back, T_PAGE, 0xff);
	}
	assert_int_equal(t_write(sim, 6 * T_PAGE, data, T_PAGE), 0);
	t_read(sim, 6 * T_PAGE, back, T_PAGE, &ecc);
	assert_int_equal(ecc.failed, 0);
	t_assert_filled(back, T_PAGE, 0x3c);
	t_read(sim, 6 * T_PAGE, back, T_PAGE, &ecc);
	assert_int_equal(ecc.failed, 1);
	assert_int_equal(rf_stats_get(rf_sim_stats(sim), grave_reads), 1);
	assert_int_equal(rf_sim_erase(sim, T_BLOCK, T_BLOCK), 0);
	t_read(sim, 6 * T_PAGE, back, T_PAGE, &ecc);
	assert_int_equal(ecc.failed, 0);
	t_assert_filled(back, T_PAGE, 0xff);
	/* Programmed again, its one good read is spent. */
	assert_int_equal(t_write(sim, 6 * T_PAGE, data, T_PAGE / 2), 0);
	t_read(sim, 6 * T_PAGE, back, T_PAGE, &ecc);
	assert_int_equal(ecc.failed, 1);
	assert_int_equal(rf_stats_get(rf_sim_stats(sim), grave_reads), 2);
	rf_sim_close(sim);
}

/* Limits name blocks and pages of a NAND chip. */
static void test_limits_checked(void **state)
{
	struct rf_config cfg = t_config(RF_TYPE_NAND);
	struct rf_sim *sim;
	char err[256];

	assert_int_equal(rf_limit_list_parse("32", &cfg.faults.grave_pages, err,
					     sizeof(err)), 0);
	assert_int_equal(rf_sim_open(&sim, &cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "--grave-pages: page 32 is beyond the last one, 31"));
	rf_limit_list_free(&cfg.faults.grave_pages);
	assert_int_equal(rf_limit_list_parse("8", &cfg.faults.weak_blocks, err,
					     sizeof(err)), 0);
	assert_int_equal(rf_sim_open(&sim, &cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "--weak-blocks: block 8"));
	rf_limit_list_free(&cfg.faults.weak_blocks);
	cfg = t_config(RF_TYPE_NOR);
	assert_int_equal(rf_limit_list_parse("1", &cfg.faults.weak_pages, err,
					     sizeof(err)), 0);
	assert_int_equal(rf_sim_open(&sim, &cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "--weak-pages needs a NAND type"));
	rf_limit_list_free(&cfg.faults.weak_pages);
}

/*
 * --wear-report 3: every third erase prints one line of wear to stderr,
 * and the kernel erases nothing itself (the count would miss it).
 */
static void test_wear_report(void **state)
{
	struct rf_config cfg = t_config(RF_TYPE_NAND);
	FILE *capture = tmpfile();
	char text[1024] = "";
	struct rf_sim *sim;
	int saved;
	size_t n;

	assert_non_null(capture);
	cfg.wear_report = 3;
	sim = t_open(&cfg);
	assert_int_equal(rf_sim_erase_budget(sim, 0), 0);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	assert_true(saved >= 0 && dup2(fileno(capture), STDERR_FILENO) >= 0);
	assert_int_equal(rf_sim_erase(sim, 0, 2 * T_BLOCK), 0);
	assert_int_equal(rf_sim_markbad(sim, 7 * T_BLOCK), 0);
	assert_int_equal(rf_sim_erase(sim, 0, 5 * T_BLOCK), 0);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(capture);
	n = fread(text, 1, sizeof(text) - 1, capture);
	text[n] = '\0';
	fclose(capture);
	assert_string_equal(text,
		"ramflash: wear after 3 erases: erase counts min 0 avg 0.38 max 2 over 8 blocks, 1 bad\n"
		"ramflash: wear after 6 erases: erase counts min 0 avg 0.75 max 2 over 8 blocks, 1 bad\n");
	rf_sim_close(sim);
}

static void test_wear_out(void **state)
{
	struct rf_config cfg = t_config(RF_TYPE_NAND);
	uint8_t page[T_PAGE];
	struct rf_sim *sim;

	cfg.faults.endurance = 2;
	sim = t_open(&cfg);
	assert_int_equal(rf_sim_erase(sim, T_BLOCK, T_BLOCK), 0);
	assert_int_equal(rf_sim_erase(sim, T_BLOCK, T_BLOCK), 0);
	assert_int_equal(rf_sim_isbad(sim, T_BLOCK), 0);
	/* Worn out: the erase fails, the block stays good until marked. */
	assert_int_equal(rf_sim_erase(sim, T_BLOCK, T_BLOCK), -EIO);
	assert_int_equal(rf_sim_isbad(sim, T_BLOCK), 0);
	assert_int_equal(rf_sim_bad_reason(sim, 1), RF_BLOCK_GOOD);
	assert_int_equal(rf_sim_erase_count(sim, 1), 2);
	memset(page, 0, sizeof(page));
	assert_int_equal(t_write(sim, T_BLOCK, page, T_PAGE), -EIO);
	assert_int_equal(rf_sim_erase(sim, T_BLOCK, T_BLOCK), -EIO);
	assert_int_equal(rf_stats_get(rf_sim_stats(sim), worn_out_blocks), 1);
	assert_int_equal(rf_stats_get(rf_sim_stats(sim), bad_block_erases), 0);
	/* UBI marks it: bad, for wear. */
	assert_int_equal(rf_sim_markbad(sim, T_BLOCK), 0);
	assert_int_equal(rf_sim_isbad(sim, T_BLOCK), 1);
	assert_int_equal(rf_sim_bad_reason(sim, 1), RF_BLOCK_WORN_OUT);
	assert_int_equal(rf_sim_erase(sim, T_BLOCK, T_BLOCK), -EIO);
	assert_int_equal(rf_stats_get(rf_sim_stats(sim), bad_block_erases), 1);
	/* Other blocks are unaffected. */
	assert_int_equal(t_write(sim, 0, page, T_PAGE), 0);
	/* A multi-block erase stops at the worn block. */
	assert_int_equal(rf_sim_erase(sim, 0, 3 * T_BLOCK), -EIO);
	assert_int_equal(rf_sim_erase_count(sim, 0), 1);
	assert_int_equal(rf_sim_erase_count(sim, 2), 0);
	rf_sim_close(sim);
}

static void test_fail_lists(void **state)
{
	struct rf_config cfg = t_config(RF_TYPE_NAND);
	uint8_t page[T_PAGE], back[T_PAGE];
	struct rf_sim *sim;

	assert_int_equal(rf_block_list_add(&cfg.faults.fail_program, 1), 0);
	assert_int_equal(rf_block_list_add(&cfg.faults.fail_erase, 2), 0);
	sim = t_open(&cfg);
	rf_block_list_free(&cfg.faults.fail_program);
	rf_block_list_free(&cfg.faults.fail_erase);
	memset(page, 0x12, sizeof(page));
	assert_int_equal(t_write(sim, T_BLOCK + T_PAGE, page, T_PAGE), -EIO);
	t_read(sim, T_BLOCK + T_PAGE, back, T_PAGE, NULL);
	t_assert_filled(back, T_PAGE, 0xff);
	assert_int_equal(t_write(sim, 2 * T_BLOCK, page, T_PAGE), 0);
	assert_int_equal(rf_sim_erase(sim, 2 * T_BLOCK, T_BLOCK), -EIO);
	t_read(sim, 2 * T_BLOCK, back, T_PAGE, NULL);
	t_assert_filled(back, T_PAGE, 0x12);
	assert_int_equal(rf_sim_erase(sim, T_BLOCK, T_BLOCK), 0);
	assert_int_equal(rf_stats_get(rf_sim_stats(sim), program_failures), 1);
	assert_int_equal(rf_stats_get(rf_sim_stats(sim), erase_failures), 1);
	/* The failures are not bad blocks by themselves. */
	assert_int_equal(rf_sim_isbad(sim, 2 * T_BLOCK), 0);
	rf_sim_close(sim);
}

struct t_delays {
	uint32_t usec[8];
	int calls;
};

static void t_record_delay(void *arg, uint32_t usec)
{
	struct t_delays *d = arg;

	if (d->calls < 8)
		d->usec[d->calls] = usec;
	d->calls++;
}

static void test_latency_hook(void **state)
{
	struct rf_config cfg = t_config(RF_TYPE_NAND);
	uint8_t buf[3 * T_PAGE];
	struct t_delays d = { { 0 }, 0 };
	struct rf_sim *sim;

	cfg.faults.latency_read_us = 10;
	cfg.faults.latency_program_us = 20;
	cfg.faults.latency_erase_us = 30;
	cfg.delay = t_record_delay;
	cfg.delay_arg = &d;
	sim = t_open(&cfg);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(t_write(sim, 0, buf, 2 * T_PAGE), 0);
	/* Pages 3 of block 0 and 0-1 of block 1: one call per block. */
	t_read(sim, 3 * T_PAGE, buf, 3 * T_PAGE, NULL);
	assert_int_equal(rf_sim_erase(sim, 0, 2 * T_BLOCK), 0);
	assert_int_equal(d.calls, 5);
	assert_int_equal(d.usec[0], 40);
	assert_int_equal(d.usec[1], 10);
	assert_int_equal(d.usec[2], 20);
	assert_int_equal(d.usec[3], 30);
	assert_int_equal(d.usec[4], 30);
	rf_sim_close(sim);
}

static void test_power_cut_counts_operations(void **state)
{
	struct rf_config cfg = t_config(RF_TYPE_NAND);
	uint8_t page[T_PAGE];
	struct rf_ecc ecc;
	struct rf_sim *sim;

	cfg.faults.power_cut = true;
	cfg.faults.power_cut_after = 2;
	sim = t_open(&cfg);
	memset(page, 0, sizeof(page));
	assert_int_equal(t_write(sim, 0, page, T_PAGE), 0);
	t_read(sim, 0, page, T_PAGE, &ecc);	/* reads do not count */
	assert_int_equal(rf_sim_erase(sim, T_BLOCK, T_BLOCK), 0);
	assert_false(rf_sim_power_cut_done(sim));
	assert_int_equal(t_write(sim, T_PAGE, page, T_PAGE), RF_POWER_CUT);
	assert_true(rf_sim_power_cut_done(sim));
	/* The chip is dead from now on, and nothing changes. */
	struct rf_io io = { .addr = 0, .len = T_PAGE, .buf = page };

	assert_int_equal(rf_sim_read(sim, &io, &ecc), RF_POWER_CUT);
	assert_int_equal(t_write(sim, 2 * T_PAGE, page, T_PAGE), RF_POWER_CUT);
	assert_int_equal(rf_sim_erase(sim, 0, T_BLOCK), RF_POWER_CUT);
	assert_int_equal(rf_sim_markbad(sim, 0), RF_POWER_CUT);
	assert_int_equal(rf_stats_get(rf_sim_stats(sim), power_cuts), 1);
	assert_int_equal(rf_sim_erase_count(sim, 0), 0);
	rf_sim_close(sim);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_splitmix64_reference),
		cmocka_unit_test(test_block_lists),
		cmocka_unit_test(test_weak_cells),
		cmocka_unit_test(test_random_bitflips_corrected),
		cmocka_unit_test(test_random_bitflips_deterministic),
		cmocka_unit_test(test_read_disturb),
		cmocka_unit_test(test_retention),
		cmocka_unit_test(test_raw_writes_behind_ecc),
		cmocka_unit_test(test_flip_models_need_nand),
		cmocka_unit_test(test_wear_out),
		cmocka_unit_test(test_wear_report),
		cmocka_unit_test(test_limit_lists),
		cmocka_unit_test(test_weak_blocks),
		cmocka_unit_test(test_weak_pages),
		cmocka_unit_test(test_grave_pages),
		cmocka_unit_test(test_grave_pages_erased),
		cmocka_unit_test(test_limits_checked),
		cmocka_unit_test(test_fail_lists),
		cmocka_unit_test(test_latency_hook),
		cmocka_unit_test(test_power_cut_counts_operations),
	};

	return cmocka_run_group_tests_name("ramflash-faults", tests, NULL, NULL);
}
