// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ramflash core: chip semantics (erase, program, alignment, OOB modes,
 * bad blocks) on the tiny test chip of helpers.h.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "faults.h"
#include "helpers.h"
#include "stats.h"

static void test_fresh_chip_reads_erased(void **state)
{
	struct rf_config cfg = t_config(RF_TYPE_NAND);
	struct rf_sim *sim = t_open(&cfg);
	uint8_t buf[T_SIZE], oob[T_OOB * 2];
	struct rf_io io = t_oob(T_BLOCK, 0, oob, sizeof(oob), RF_OOB_PLACE);
	struct rf_ecc ecc;

	t_read(sim, 0, buf, sizeof(buf), &ecc);
	t_assert_filled(buf, sizeof(buf), 0xff);
	assert_int_equal(ecc.corrected + ecc.failed + ecc.max_bitflips, 0);
	assert_int_equal(rf_sim_read(sim, &io, &ecc), 0);
	t_assert_filled(oob, sizeof(oob), 0xff);
	assert_int_equal(rf_stats_get(rf_sim_stats(sim), reads), 2);
	assert_int_equal(rf_stats_get(rf_sim_stats(sim), read_bytes), T_SIZE);
	assert_int_equal(rf_stats_get(rf_sim_stats(sim), read_oob_bytes),
			 sizeof(oob));
	rf_sim_close(sim);
}

static void test_nand_program_and_erase(void **state)
{
	struct rf_config cfg = t_config(RF_TYPE_NAND);
	struct rf_sim *sim;
	uint8_t data[T_PAGE], back[T_PAGE], oob[T_OOB];
	struct rf_io io;

	cfg.reprogram = RF_REPROGRAM_ALLOW;
	sim = t_open(&cfg);
	memset(data, 0xf0, sizeof(data));
	assert_int_equal(t_write(sim, T_BLOCK, data, sizeof(data)), 0);
	/* A second program only clears bits: 0xf0 & 0x3c = 0x30. */
	memset(data, 0x3c, sizeof(data));
	assert_int_equal(t_write(sim, T_BLOCK, data, sizeof(data)), 0);
	t_read(sim, T_BLOCK, back, sizeof(back), NULL);
	t_assert_filled(back, sizeof(back), 0x30);
	/* OOB programs also clear bits only. */
	memset(oob, 0x0f, sizeof(oob));
	io = t_oob(T_BLOCK, 0, oob, sizeof(oob), RF_OOB_PLACE);
	assert_int_equal(rf_sim_write(sim, &io), 0);
	memset(oob, 0xaa, sizeof(oob));
	assert_int_equal(rf_sim_write(sim, &io), 0);
	memset(oob, 0, sizeof(oob));
	assert_int_equal(rf_sim_read(sim, &io, &(struct rf_ecc){ 0 }), 0);
	t_assert_filled(oob, sizeof(oob), 0x0a);
	/* Erase brings data and OOB back to 0xff, only in that block. */
	assert_int_equal(t_write(sim, 0, data, sizeof(data)), 0);
	assert_int_equal(rf_sim_erase(sim, T_BLOCK, T_BLOCK), 0);
	t_read(sim, T_BLOCK, back, sizeof(back), NULL);
	t_assert_filled(back, sizeof(back), 0xff);
	assert_int_equal(rf_sim_read(sim, &io, &(struct rf_ecc){ 0 }), 0);
	t_assert_filled(oob, sizeof(oob), 0xff);
	t_read(sim, 0, back, sizeof(back), NULL);
	t_assert_filled(back, sizeof(back), 0x3c);
	assert_int_equal(rf_sim_erase_count(sim, 1), 1);
	assert_int_equal(rf_sim_erase_count(sim, 0), 0);
	rf_sim_close(sim);
}

static void test_reprogram_policy(void **state)
{
	struct rf_config cfg = t_config(RF_TYPE_MLC_NAND);
	struct rf_sim *sim = t_open(&cfg);
	uint8_t data[T_PAGE], back[T_PAGE];

	/* MLC refuses by default, at subpage granularity. */
	memset(data, 0x11, sizeof(data));
	assert_int_equal(t_write(sim, 0, data, T_SUBPAGE), 0);
	assert_int_equal(t_write(sim, T_SUBPAGE, data, T_SUBPAGE), 0);
	assert_int_equal(t_write(sim, 0, data, T_SUBPAGE), -EIO);
	assert_int_equal(t_write(sim, 0, data, T_PAGE), -EIO);
	assert_int_equal(rf_stats_get(rf_sim_stats(sim), reprogram_refused), 2);
	/* OOB-only programs of a programmed page stay allowed. */
	struct rf_io io = t_oob(0, 0, data, 4, RF_OOB_AUTO);

	assert_int_equal(rf_sim_write(sim, &io), 0);
	/* After an erase the page programs again. */
	assert_int_equal(rf_sim_erase(sim, 0, T_BLOCK), 0);
	memset(data, 0x22, sizeof(data));
	assert_int_equal(t_write(sim, 0, data, T_PAGE), 0);
	t_read(sim, 0, back, sizeof(back), NULL);
	t_assert_filled(back, sizeof(back), 0x22);
	rf_sim_close(sim);

	/* SLC allows by default; an explicit refuse applies to SLC too. */
	cfg = t_config(RF_TYPE_NAND);
	sim = t_open(&cfg);
	assert_int_equal(t_write(sim, 0, data, T_PAGE), 0);
	assert_int_equal(t_write(sim, 0, data, T_PAGE), 0);
	rf_sim_close(sim);
	cfg.reprogram = RF_REPROGRAM_REFUSE;
	sim = t_open(&cfg);
	assert_int_equal(t_write(sim, 0, data, T_PAGE), 0);
	assert_int_equal(t_write(sim, 0, data, T_PAGE), -EIO);
	rf_sim_close(sim);
}

static void test_nand_alignment(void **state)
{
	struct rf_config cfg = t_config(RF_TYPE_NAND);
	struct rf_sim *sim = t_open(&cfg);
	uint8_t data[T_BLOCK * 2], back[T_PAGE];

	memset(data, 0x5a, sizeof(data));
	assert_int_equal(t_write(sim, 1, data, T_SUBPAGE), -EINVAL);
	assert_int_equal(t_write(sim, 0, data, T_SUBPAGE + 1), -EINVAL);
	assert_int_equal(t_write(sim, 100, data, 10), -EINVAL);
	assert_int_equal(rf_stats_get(rf_sim_stats(sim), invalid), 3);
	/* Nothing was programmed by the refused writes. */
	t_read(sim, 0, back, sizeof(back), NULL);
	t_assert_filled(back, sizeof(back), 0xff);
	/* Subpage-aligned and multi-page (crossing a block) writes work. */
	assert_int_equal(t_write(sim, T_SUBPAGE, data, T_SUBPAGE), 0);
	assert_int_equal(t_write(sim, T_BLOCK - T_PAGE, data, 2 * T_PAGE), 0);
	t_read(sim, 0, back, sizeof(back), NULL);
	t_assert_filled(back, T_SUBPAGE, 0xff);
	t_assert_filled(back + T_SUBPAGE, T_SUBPAGE, 0x5a);
	t_read(sim, T_BLOCK, back, sizeof(back), NULL);
	t_assert_filled(back, sizeof(back), 0x5a);
	/* Unaligned reads are fine. */
	t_read(sim, T_SUBPAGE - 3, back, 6, NULL);
	assert_memory_equal(back, "\xff\xff\xff\x5a\x5a\x5a", 6);
	/* Out of the device. */
	assert_int_equal(t_write(sim, T_SIZE, data, T_PAGE), -EINVAL);
	struct rf_io io = { .addr = T_SIZE - T_PAGE, .len = 2 * T_PAGE,
			    .buf = data };
	struct rf_ecc ecc;

	assert_int_equal(rf_sim_read(sim, &io, &ecc), -EINVAL);
	assert_int_equal(rf_sim_erase(sim, 1, T_BLOCK), -EINVAL);
	assert_int_equal(rf_sim_erase(sim, 0, T_BLOCK + 1), -EINVAL);
	assert_int_equal(rf_sim_erase(sim, 0, 0), -EINVAL);
	assert_int_equal(rf_sim_erase(sim, T_SIZE, T_BLOCK), -EINVAL);
	rf_sim_close(sim);
}

static void test_oob_modes(void **state)
{
	struct rf_config cfg = t_config(RF_TYPE_NAND);
	struct rf_sim *sim = t_open(&cfg);
	uint8_t auto_in[10] = "ABCDEFGHIJ", raw[2 * T_OOB], back[10];
	struct rf_ecc ecc;
	struct rf_io io;

	/*
	 * AUTO: the 6 free bytes of each page follow the 2-byte marker.
	 * 10 bytes from offset 2 of the free area: 4 in page 0, 6 in page 1.
	 */
	io = t_oob(0, 2, auto_in, sizeof(auto_in), RF_OOB_AUTO);
	assert_int_equal(rf_sim_write(sim, &io), 0);
	io = t_oob(0, 0, raw, sizeof(raw), RF_OOB_RAW);
	assert_int_equal(rf_sim_read(sim, &io, &ecc), 0);
	assert_memory_equal(raw, "\xff\xff\xff\xff" "ABCD" "\xff\xff\xff\xff"
			    "\xff\xff\xff\xff", T_OOB);
	assert_memory_equal(raw + T_OOB, "\xff\xff" "EFGHIJ" "\xff\xff\xff\xff"
			    "\xff\xff\xff\xff", T_OOB);
	io = t_oob(0, 2, back, sizeof(back), RF_OOB_AUTO);
	assert_int_equal(rf_sim_read(sim, &io, &ecc), 0);
	assert_memory_equal(back, auto_in, sizeof(back));
	/* PLACE: offsets within the whole area; addr picks the page. */
	io = t_oob(T_PAGE + 7, 12, back, 3, RF_OOB_PLACE);
	assert_int_equal(rf_sim_write(sim, &io), 0);
	io = t_oob(T_PAGE, 0, raw, T_OOB, RF_OOB_PLACE);
	assert_int_equal(rf_sim_read(sim, &io, &ecc), 0);
	assert_memory_equal(raw + 12, "ABC", 3);
	/* Out-of-range OOB requests. */
	io = t_oob(0, T_OOB_AVAIL, back, 1, RF_OOB_AUTO);
	assert_int_equal(rf_sim_read(sim, &io, &ecc), -EINVAL);
	io = t_oob(0, T_OOB, back, 1, RF_OOB_PLACE);
	assert_int_equal(rf_sim_write(sim, &io), -EINVAL);
	io = t_oob(T_SIZE - T_PAGE, 0, raw, T_OOB + 1, RF_OOB_RAW);
	assert_int_equal(rf_sim_read(sim, &io, &ecc), -EINVAL);
	/* Data and OOB together, across a block boundary. */
	uint8_t data[2 * T_PAGE];

	memset(data, 0x77, sizeof(data));
	memset(raw, 0x01, sizeof(raw));
	io = (struct rf_io){ .addr = T_BLOCK - T_PAGE, .len = sizeof(data),
			     .buf = data, .oobbuf = raw, .ooblen = 2 * T_OOB,
			     .mode = RF_OOB_PLACE };
	assert_int_equal(rf_sim_write(sim, &io), 0);
	memset(data, 0, sizeof(data));
	memset(raw, 0, sizeof(raw));
	assert_int_equal(rf_sim_read(sim, &io, &ecc), 0);
	t_assert_filled(data, sizeof(data), 0x77);
	t_assert_filled(raw, sizeof(raw), 0x01);
	assert_int_equal(rf_stats_get(rf_sim_stats(sim), write_oob_bytes),
			 10 + 3 + 2 * T_OOB);
	rf_sim_close(sim);
}

static void test_nor_and_ram(void **state)
{
	struct rf_config cfg = t_config(RF_TYPE_NOR);
	struct rf_sim *sim = t_open(&cfg);
	uint8_t back[4];

	assert_int_equal(rf_sim_geometry(sim)->page_size, 1);
	/* NOR: any byte, bits only cleared. */
	assert_int_equal(t_write(sim, 3, "\x0f\xf0", 2), 0);
	assert_int_equal(t_write(sim, 4, "\x3c\x55", 2), 0);
	t_read(sim, 3, back, 3, NULL);
	assert_memory_equal(back, "\x0f\x30\x55", 3);
	/* NOR has no OOB. */
	struct rf_io io = t_oob(0, 0, back, 1, RF_OOB_PLACE);

	assert_int_equal(rf_sim_write(sim, &io), -EINVAL);
	rf_sim_close(sim);

	/* RAM: plain overwrite, erase still gives 0xff. */
	cfg = t_config(RF_TYPE_RAM);
	sim = t_open(&cfg);
	assert_int_equal(t_write(sim, 5, "\x0f\xf0", 2), 0);
	assert_int_equal(t_write(sim, 5, "\xf0\x0f", 2), 0);
	t_read(sim, 5, back, 2, NULL);
	assert_memory_equal(back, "\xf0\x0f", 2);
	assert_int_equal(rf_sim_erase(sim, 0, T_BLOCK), 0);
	t_read(sim, 5, back, 2, NULL);
	assert_memory_equal(back, "\xff\xff", 2);
	rf_sim_close(sim);
}

static void test_markbad_and_isbad(void **state)
{
	struct rf_config cfg = t_config(RF_TYPE_NAND);
	struct rf_sim *sim = t_open(&cfg);
	uint8_t oob[T_OOB];
	struct rf_io io = t_oob(3 * T_BLOCK, 0, oob, T_OOB, RF_OOB_RAW);
	struct rf_ecc ecc;

	assert_int_equal(rf_sim_isbad(sim, 3 * T_BLOCK), 0);
	assert_int_equal(rf_sim_markbad(sim, 3 * T_BLOCK), 0);
	assert_int_equal(rf_sim_isbad(sim, 3 * T_BLOCK), 1);
	assert_int_equal(rf_sim_bad_reason(sim, 3), RF_BLOCK_MARKED_BAD);
	/* The marker is in the first page's OOB, like nand_base writes it. */
	assert_int_equal(rf_sim_read(sim, &io, &ecc), 0);
	assert_memory_equal(oob, "\0\0\xff\xff", 4);
	/* Bad blocks are not erased. */
	assert_int_equal(rf_sim_erase(sim, 3 * T_BLOCK, T_BLOCK), -EIO);
	assert_int_equal(rf_stats_get(rf_sim_stats(sim), bad_block_erases), 1);
	assert_int_equal(rf_sim_isbad(sim, 3 * T_BLOCK + 1), -EINVAL);
	assert_int_equal(rf_sim_isbad(sim, T_SIZE), -EINVAL);
	assert_int_equal(rf_sim_markbad(sim, T_SIZE), -EINVAL);
	rf_sim_close(sim);
}

static void test_factory_bad_blocks(void **state)
{
	struct rf_config cfg = t_config(RF_TYPE_NAND);
	struct rf_sim *sim;
	char err[256];
	uint64_t b, bad = 0;

	assert_int_equal(rf_block_list_add(&cfg.faults.bad_blocks, 2), 0);
	cfg.faults.bad_block_count = 2;
	cfg.faults.seed = 7;
	sim = t_open(&cfg);
	assert_int_equal(rf_sim_bad_reason(sim, 2), RF_BLOCK_FACTORY_BAD);
	assert_int_equal(rf_sim_bad_reason(sim, 0), RF_BLOCK_GOOD);
	for (b = 0; b < T_BLOCKS; b++)
		bad += rf_sim_isbad(sim, b * T_BLOCK);
	assert_int_equal(bad, 3);
	rf_sim_close(sim);
	/* The same seed picks the same blocks. */
	sim = t_open(&cfg);
	for (b = 0, bad = 0; b < T_BLOCKS; b++)
		bad += rf_sim_isbad(sim, b * T_BLOCK) << b;
	rf_sim_close(sim);
	sim = t_open(&cfg);
	for (b = 0; b < T_BLOCKS; b++)
		bad -= rf_sim_isbad(sim, b * T_BLOCK) << b;
	assert_int_equal(bad, 0);
	rf_sim_close(sim);
	/* Beyond the device, or more than can be picked: refused. */
	assert_int_equal(rf_block_list_add(&cfg.faults.bad_blocks, T_BLOCKS), 0);
	assert_int_equal(rf_sim_open(&sim, &cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "beyond"));
	rf_block_list_free(&cfg.faults.bad_blocks);
	cfg.faults.bad_block_count = T_BLOCKS;
	assert_int_equal(rf_sim_open(&sim, &cfg, err, sizeof(err)), -EINVAL);
	cfg = t_config(RF_TYPE_NOR);
	cfg.faults.bad_block_count = 1;
	assert_int_equal(rf_sim_open(&sim, &cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "NAND"));
}

static void test_geometry_validation(void **state)
{
	struct rf_geometry geo;
	char err[256];

	geo = t_config(RF_TYPE_NAND).geo;
	geo.size = T_SIZE + 1;
	assert_int_equal(rf_geometry_complete(&geo, err, sizeof(err)), -EINVAL);
	geo = t_config(RF_TYPE_NAND).geo;
	geo.page_size = 500;
	assert_int_equal(rf_geometry_complete(&geo, err, sizeof(err)), -EINVAL);
	geo = t_config(RF_TYPE_NAND).geo;
	geo.subpage_size = 384;
	assert_int_equal(rf_geometry_complete(&geo, err, sizeof(err)), -EINVAL);
	geo = t_config(RF_TYPE_NAND).geo;
	geo.oob_avail = T_OOB + 1;
	assert_int_equal(rf_geometry_complete(&geo, err, sizeof(err)), -EINVAL);
	geo = t_config(RF_TYPE_NAND).geo;
	geo.ecc_step = 384;
	assert_int_equal(rf_geometry_complete(&geo, err, sizeof(err)), -EINVAL);
	geo = t_config(RF_TYPE_NOR).geo;
	geo.oob_size = 16;
	assert_int_equal(rf_geometry_complete(&geo, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "no OOB"));
	/* Derived OOB avail: 64 - 2 (marker) - 4 * 7 (BCH-4 over 512 B). */
	geo = t_config(RF_TYPE_NAND).geo;
	geo.page_size = 2048;
	geo.erase_size = 128 * 1024;
	geo.size = 1024 * 1024;
	geo.oob_size = 64;
	geo.oob_avail = RF_GEO_DEFAULT;
	geo.ecc_step = 512;
	geo.ecc_strength = 4;
	geo.subpage_size = 512;
	assert_int_equal(rf_geometry_complete(&geo, err, sizeof(err)), 0);
	assert_int_equal(geo.oob_avail, 34);
	assert_int_equal(geo.writebuf_size, 2048);
	assert_int_equal(rf_oob_free_offset(&geo), 2);
}

#define T_THREADS 4
#define T_ROUNDS 200

struct t_worker {
	struct rf_sim *sim;
	unsigned int block;	/* the block this worker owns */
	int errors;
};

/*
 * Each worker erases, programs and checks its own block while reading
 * block 0, which all of them share; run under ASan/TSan this also checks
 * the locking.
 */
static void *t_worker_run(void *arg)
{
	struct t_worker *w = arg;
	uint8_t page[T_PAGE], back[T_PAGE], shared[T_PAGE];
	struct rf_ecc ecc;
	int round;
	unsigned int p;

	for (round = 0; round < T_ROUNDS; round++) {
		w->errors += rf_sim_erase(w->sim, w->block * T_BLOCK, T_BLOCK) != 0;
		for (p = 0; p < T_PAGES_PER_BLOCK; p++) {
			memset(page, (int)(w->block * 16 + p + round), sizeof(page));
			w->errors += t_write(w->sim, w->block * T_BLOCK + p * T_PAGE,
					     page, T_PAGE) != 0;
		}
		for (p = 0; p < T_PAGES_PER_BLOCK; p++) {
			struct rf_io io = { .addr = w->block * T_BLOCK + p * T_PAGE,
					    .len = T_PAGE, .buf = back };
			struct rf_io sh = { .addr = 0, .len = T_PAGE,
					    .buf = shared };

			w->errors += rf_sim_read(w->sim, &io, &ecc) != 0;
			w->errors += back[0] != (uint8_t)(w->block * 16 + p + round) ||
				     back[T_PAGE - 1] != back[0];
			w->errors += rf_sim_read(w->sim, &sh, &ecc) != 0;
			w->errors += shared[0] != 0x42;
		}
	}
	return NULL;
}

static void test_concurrent_blocks(void **state)
{
	struct rf_config cfg = t_config(RF_TYPE_NAND);
	struct t_worker workers[T_THREADS];
	pthread_t threads[T_THREADS];
	uint8_t page[T_PAGE];
	struct rf_sim *sim;
	int i;

	cfg.reprogram = RF_REPROGRAM_REFUSE;
	sim = t_open(&cfg);
	memset(page, 0x42, sizeof(page));
	assert_int_equal(t_write(sim, 0, page, T_PAGE), 0);
	for (i = 0; i < T_THREADS; i++) {
		workers[i] = (struct t_worker){ .sim = sim, .block = 1 + i };
		assert_int_equal(pthread_create(&threads[i], NULL, t_worker_run,
						&workers[i]), 0);
	}
	for (i = 0; i < T_THREADS; i++) {
		pthread_join(threads[i], NULL);
		assert_int_equal(workers[i].errors, 0);
		assert_int_equal(rf_sim_erase_count(sim, 1 + i), T_ROUNDS);
	}
	assert_int_equal(rf_stats_get(rf_sim_stats(sim), erases),
			 T_THREADS * T_ROUNDS);
	assert_int_equal(rf_stats_get(rf_sim_stats(sim), writes),
			 1 + T_THREADS * T_ROUNDS * T_PAGES_PER_BLOCK);
	assert_int_equal(rf_stats_get(rf_sim_stats(sim), reads),
			 2 * T_THREADS * T_ROUNDS * T_PAGES_PER_BLOCK);
	rf_sim_close(sim);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fresh_chip_reads_erased),
		cmocka_unit_test(test_nand_program_and_erase),
		cmocka_unit_test(test_reprogram_policy),
		cmocka_unit_test(test_nand_alignment),
		cmocka_unit_test(test_oob_modes),
		cmocka_unit_test(test_nor_and_ram),
		cmocka_unit_test(test_markbad_and_isbad),
		cmocka_unit_test(test_factory_bad_blocks),
		cmocka_unit_test(test_geometry_validation),
		cmocka_unit_test(test_concurrent_blocks),
	};

	return cmocka_run_group_tests_name("ramflash-sim", tests, NULL, NULL);
}
