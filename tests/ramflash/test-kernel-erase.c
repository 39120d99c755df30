// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ramflash core: erases the kernel did itself (kernel erase), simulated
 * without a kernel exactly as the module does them: holes punched over
 * the block's data and OOB in the store, then one added to the block's
 * count in the file.  And which blocks the kernel may erase.
 */
#define _GNU_SOURCE	/* fallocate */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "counters.h"
#include "faults.h"
#include "helpers.h"
#include "image.h"
#include "stats.h"

/* Where a kernel erase writes, as ramflash tells the kernel. */
struct t_store {
	int fd;
	uint64_t data_off, oob_off, count_off;
	uint32_t stride;
};

static struct t_store t_store_of(const struct rf_sim *sim)
{
	struct t_store st;

	rf_sim_store_data(sim, &st.fd, &st.data_off);
	rf_sim_store_erase_layout(sim, &st.oob_off, &st.count_off, &st.stride);
	return st;
}

/* What the module does for one erase of block @b. */
static void t_kernel_erase_at(const struct t_store *st, uint64_t b)
{
	uint64_t pos = st->count_off + b * st->stride;
	uint32_t count;

	assert_int_equal(fallocate(st->fd,
				   FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				   (off_t)(st->data_off + b * T_BLOCK), T_BLOCK), 0);
	assert_int_equal(fallocate(st->fd,
				   FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				   (off_t)(st->oob_off +
					   b * T_PAGES_PER_BLOCK * T_OOB),
				   T_PAGES_PER_BLOCK * T_OOB), 0);
	assert_int_equal(pread(st->fd, &count, sizeof(count), (off_t)pos),
			 sizeof(count));
	count++;
	assert_int_equal(pwrite(st->fd, &count, sizeof(count), (off_t)pos),
			 sizeof(count));
}

/* The same through the simulator's own store (file or memfd). */
static void t_kernel_erase(const struct rf_sim *sim, uint64_t b)
{
	struct t_store st = t_store_of(sim);

	t_kernel_erase_at(&st, b);
}

static uint64_t t_counter_erases(struct rf_sim *sim)
{
	return rf_stats_get(rf_sim_stats(sim), erases);
}

static void test_layout(void **state)
{
	struct rf_config cfg = t_config(RF_TYPE_NAND);
	struct rf_sim *sim = t_open(&cfg);
	uint64_t oob_off, count_off;
	uint32_t stride;

	rf_sim_store_erase_layout(sim, &oob_off, &count_off, &stride);
	/* The module wants 4-byte aligned counts (muse_kernel.h). */
	assert_int_equal(count_off % 4, 0);
	assert_int_equal(stride % 4, 0);
	assert_true(stride >= sizeof(struct rf_block_meta));
	assert_int_equal(offsetof(struct rf_block_meta, kernel_erases), 28);
	rf_sim_close(sim);
}

/*
 * MLC refuses a second program without an erase: after a kernel erase the
 * program succeeds, the block reads erased and its wear counts it.
 */
static void test_program_after_kernel_erase(void **state)
{
	struct rf_config cfg = t_config(RF_TYPE_MLC_NAND);
	struct rf_sim *sim = t_open(&cfg);
	uint8_t page[T_PAGE], back[T_PAGE], oob[T_OOB];
	struct rf_io io = { .addr = T_BLOCK + T_PAGE, .len = T_PAGE,
			    .buf = page, .oobbuf = oob, .ooblen = T_OOB,
			    .mode = RF_OOB_PLACE };
	struct rf_stats *stats = rf_sim_stats(sim);

	memset(page, 0x5a, sizeof(page));
	memset(oob, 0x33, sizeof(oob));
	assert_int_equal(rf_sim_write(sim, &io), 0);
	assert_int_equal(t_write(sim, T_BLOCK + T_PAGE, page, T_PAGE), -EIO);
	t_kernel_erase(sim, 1);
	assert_int_equal(rf_sim_pending_erases(sim, 1), 1);
	/* Reports count it before anything applied it. */
	assert_int_equal(rf_sim_erase_count(sim, 1), 1);

	memset(oob, 0, sizeof(oob));
	assert_int_equal(rf_sim_read(sim, &io, &(struct rf_ecc){ 0 }), 0);
	t_assert_filled(page, T_PAGE, 0xff);
	t_assert_filled(oob, T_OOB, 0xff);
	assert_int_equal(rf_sim_pending_erases(sim, 1), 0);
	assert_int_equal(rf_sim_erase_count(sim, 1), 1);
	assert_int_equal(t_counter_erases(sim), 1);
	assert_int_equal(rf_stats_get(stats, kernel_erases), 1);

	memset(page, 0x5a, sizeof(page));
	assert_int_equal(t_write(sim, T_BLOCK + T_PAGE, page, T_PAGE), 0);
	t_read(sim, T_BLOCK + T_PAGE, back, T_PAGE, NULL);
	assert_memory_equal(back, page, T_PAGE);
	assert_int_equal(rf_stats_get(stats, reprogram_refused), 1);
	/* Other blocks are untouched. */
	assert_int_equal(rf_sim_erase_count(sim, 0), 0);
	rf_sim_close(sim);
}

/* The first request about the block may be a write: applied before it. */
static void test_write_applies_first(void **state)
{
	struct rf_config cfg = t_config(RF_TYPE_MLC_NAND);
	struct rf_sim *sim = t_open(&cfg);
	uint8_t page[T_PAGE];

	memset(page, 0, sizeof(page));
	assert_int_equal(t_write(sim, 2 * T_BLOCK, page, T_PAGE), 0);
	t_kernel_erase(sim, 2);
	t_kernel_erase(sim, 2);
	assert_int_equal(rf_sim_pending_erases(sim, 2), 2);
	assert_int_equal(t_write(sim, 2 * T_BLOCK, page, T_PAGE), 0);
	assert_int_equal(rf_sim_pending_erases(sim, 2), 0);
	assert_int_equal(rf_sim_erase_count(sim, 2), 2);
	assert_int_equal(t_counter_erases(sim), 2);
	rf_sim_close(sim);
}

/* An erase and a mark-bad request apply the kernel's erases first too. */
static void test_erase_and_markbad_apply_first(void **state)
{
	struct rf_config cfg = t_config(RF_TYPE_NAND);
	struct rf_sim *sim = t_open(&cfg);

	t_kernel_erase(sim, 3);
	assert_int_equal(rf_sim_erase(sim, 3 * T_BLOCK, T_BLOCK), 0);
	assert_int_equal(rf_sim_pending_erases(sim, 3), 0);
	assert_int_equal(rf_sim_erase_count(sim, 3), 2);
	assert_int_equal(t_counter_erases(sim), 2);
	t_kernel_erase(sim, 4);
	assert_int_equal(rf_sim_markbad(sim, 4 * T_BLOCK), 0);
	assert_int_equal(rf_sim_pending_erases(sim, 4), 0);
	assert_int_equal(rf_sim_erase_count(sim, 4), 1);
	/* Asking whether a block is bad needs nothing. */
	t_kernel_erase(sim, 5);
	assert_int_equal(rf_sim_isbad(sim, 5 * T_BLOCK), 0);
	assert_int_equal(rf_sim_pending_erases(sim, 5), 1);
	rf_sim_close(sim);
}

static int t_plain_again_calls;
static uint64_t t_plain_again_block;

static void t_plain_again(void *arg, uint64_t block)
{
	t_plain_again_calls++;
	t_plain_again_block = block;
}

/*
 * A RAW write keeps an ECC shadow of the page; after a kernel erase the
 * page reads erased, not the shadow's old bits as flips, and the block is
 * plain again (read passthrough may take it back).
 */
static void test_raw_page_after_kernel_erase(void **state)
{
	struct rf_config cfg = t_config(RF_TYPE_NAND);
	struct rf_sim *sim = t_open(&cfg);
	uint8_t page[T_PAGE];
	struct rf_io io = { .addr = 6 * T_BLOCK + 2 * T_PAGE, .len = T_PAGE,
			    .buf = page, .mode = RF_OOB_RAW };
	struct rf_ecc ecc;

	rf_sim_on_plain_again(sim, t_plain_again, NULL);
	t_plain_again_calls = 0;
	memset(page, 0x00, sizeof(page));
	assert_int_equal(rf_sim_write(sim, &io), 0);
	assert_false(rf_sim_block_plain(sim, 6));
	t_kernel_erase(sim, 6);
	t_read(sim, io.addr, page, T_PAGE, &ecc);
	t_assert_filled(page, T_PAGE, 0xff);
	assert_int_equal(ecc.corrected, 0);
	assert_int_equal(ecc.failed, 0);
	assert_true(rf_sim_block_plain(sim, 6));
	assert_int_equal(t_plain_again_calls, 1);
	assert_int_equal(t_plain_again_block, 6);
	/* A plain block erased by the kernel calls nothing. */
	t_kernel_erase(sim, 7);
	t_read(sim, 7 * T_BLOCK, page, T_PAGE, &ecc);
	assert_int_equal(t_plain_again_calls, 1);
	rf_sim_close(sim);
}

/* A read over several blocks applies each block's count. */
static void test_read_spanning_blocks(void **state)
{
	struct rf_config cfg = t_config(RF_TYPE_NAND);
	struct rf_sim *sim = t_open(&cfg);
	uint8_t *buf = malloc(3 * T_BLOCK);

	assert_non_null(buf);
	memset(buf, 0x11, 3 * T_BLOCK);
	assert_int_equal(t_write(sim, 0, buf, 3 * T_BLOCK), 0);
	t_kernel_erase(sim, 0);
	t_kernel_erase(sim, 2);
	t_read(sim, 0, buf, 3 * T_BLOCK, NULL);
	t_assert_filled(buf, T_BLOCK, 0xff);
	t_assert_filled(buf + T_BLOCK, T_BLOCK, 0x11);
	t_assert_filled(buf + 2 * T_BLOCK, T_BLOCK, 0xff);
	assert_int_equal(rf_sim_pending_erases(sim, 0), 0);
	assert_int_equal(rf_sim_pending_erases(sim, 2), 0);
	assert_int_equal(t_counter_erases(sim), 2);
	free(buf);
	rf_sim_close(sim);
}

/* Reports add what is pending and leave it pending. */
static void test_reports_include_pending(void **state)
{
	struct rf_config cfg = t_config(RF_TYPE_NAND);
	struct rf_sim *sim = t_open(&cfg);
	char *text;

	assert_int_equal(rf_sim_erase(sim, 0, T_BLOCK), 0);
	t_kernel_erase(sim, 1);
	t_kernel_erase(sim, 1);
	text = t_report(sim, true);
	assert_non_null(strstr(text, "\"erases\": 3,"));
	assert_non_null(strstr(text, "\"kernel_erases\": 2,"));
	assert_non_null(strstr(text, "\"erase_count_total\": 3,"));
	assert_non_null(strstr(text, "\"erase_counts\": [1,2,0,0,0,0,0,0]"));
	free(text);
	text = t_report(sim, false);
	assert_non_null(strstr(text, "erase counts: min 0 avg 0.38 max 2"));
	free(text);
	assert_int_equal(rf_sim_pending_erases(sim, 1), 2);
	assert_int_equal(t_counter_erases(sim), 1);
	rf_sim_close(sim);
}

/*
 * A server killed after the kernel erased leaves the counts in the image;
 * the next open applies them (but counts them to that run's erases no
 * more: they were the earlier run's).
 */
static void test_pending_applied_at_open(void **state)
{
	struct rf_config cfg = t_config(RF_TYPE_MLC_NAND);
	uint8_t page[T_PAGE], back[T_PAGE];
	struct rf_sim *sim;
	struct t_store st;

	cfg.image_path = t_tempfile("kernel-erase.img");
	sim = t_open(&cfg);
	memset(page, 0x42, sizeof(page));
	assert_int_equal(t_write(sim, 5 * T_BLOCK, page, T_PAGE), 0);
	assert_int_equal(t_write(sim, 4 * T_BLOCK, page, T_PAGE), 0);
	/* The module's own reference to the file, as the kernel holds it. */
	st = t_store_of(sim);
	st.fd = open(cfg.image_path, O_RDWR);
	assert_true(st.fd >= 0);
	t_kernel_erase_at(&st, 5);
	assert_int_equal(rf_sim_close(sim), 0);

	sim = t_open(&cfg);
	assert_int_equal(rf_sim_pending_erases(sim, 5), 0);
	assert_int_equal(rf_sim_erase_count(sim, 5), 1);
	assert_int_equal(t_counter_erases(sim), 0);
	t_read(sim, 5 * T_BLOCK, back, T_PAGE, NULL);
	t_assert_filled(back, T_PAGE, 0xff);
	assert_int_equal(t_write(sim, 5 * T_BLOCK, page, T_PAGE), 0);
	/* The block the kernel did not erase keeps its program state. */
	assert_int_equal(t_write(sim, 4 * T_BLOCK, page, T_PAGE), -EIO);
	rf_sim_close(sim);

	/* Even a count written while no ramflash runs. */
	t_kernel_erase_at(&st, 5);
	close(st.fd);
	sim = t_open(&cfg);
	assert_int_equal(rf_sim_pending_erases(sim, 5), 0);
	assert_int_equal(rf_sim_erase_count(sim, 5), 2);
	assert_int_equal(t_write(sim, 5 * T_BLOCK, page, T_PAGE), 0);
	rf_sim_close(sim);
	unlink(cfg.image_path);
	rmdir(t_tempfile(""));
}

/* Which blocks the kernel may erase itself, and how often. */
static void test_erase_budget(void **state)
{
	struct rf_config cfg = t_config(RF_TYPE_NAND);
	struct rf_sim *sim;

	/* Plain erases: every good block, without limit. */
	assert_int_equal(rf_block_list_add(&cfg.faults.bad_blocks, 3), 0);
	assert_int_equal(rf_block_list_add(&cfg.faults.fail_erase, 5), 0);
	sim = t_open(&cfg);
	assert_true(rf_sim_erases_plain(sim));
	assert_int_equal(rf_sim_erase_budget(sim, 0), RF_ERASE_BUDGET_UNLIMITED);
	assert_int_equal(rf_sim_erase_budget(sim, 7), RF_ERASE_BUDGET_UNLIMITED);
	assert_int_equal(rf_sim_erase_budget(sim, 3), 0);
	assert_int_equal(rf_sim_erase_budget(sim, 5), 0);
	assert_int_equal(rf_sim_markbad(sim, 6 * T_BLOCK), 0);
	assert_int_equal(rf_sim_erase_budget(sim, 6), 0);
	rf_sim_close(sim);
	rf_block_list_free(&cfg.faults.bad_blocks);
	rf_block_list_free(&cfg.faults.fail_erase);

	/* --endurance 4: erases 1-4 succeed, the 5th fails (the block is
	 * worn out, bad once marked); the 4th is left to the server. */
	cfg.faults.endurance = 4;
	sim = t_open(&cfg);
	assert_int_equal(rf_sim_erase_budget(sim, 1), 3);
	assert_int_equal(rf_sim_erase(sim, T_BLOCK, T_BLOCK), 0);
	assert_int_equal(rf_sim_erase_budget(sim, 1), 2);
	t_kernel_erase(sim, 1);
	assert_int_equal(rf_sim_erase_budget(sim, 1), 1);
	t_kernel_erase(sim, 1);
	assert_int_equal(rf_sim_erase_budget(sim, 1), 0);
	assert_int_equal(rf_sim_erase(sim, T_BLOCK, T_BLOCK), 0);
	assert_int_equal(rf_sim_erase_budget(sim, 1), 0);
	assert_int_equal(rf_sim_erase(sim, T_BLOCK, T_BLOCK), -EIO);
	assert_int_equal(rf_sim_bad_reason(sim, 1), RF_BLOCK_GOOD);
	assert_int_equal(rf_sim_erase_budget(sim, 1), 0);
	assert_int_equal(rf_sim_markbad(sim, T_BLOCK), 0);
	assert_int_equal(rf_sim_bad_reason(sim, 1), RF_BLOCK_WORN_OUT);
	assert_int_equal(rf_sim_erase_budget(sim, 0), 3);
	rf_sim_close(sim);
	cfg.faults.endurance = 0;

	/* Models that make an erase more than holes: nothing. */
	cfg.faults.power_cut = true;
	cfg.faults.power_cut_after = 100;
	sim = t_open(&cfg);
	assert_false(rf_sim_erases_plain(sim));
	assert_int_equal(rf_sim_erase_budget(sim, 0), 0);
	rf_sim_close(sim);
	cfg.faults.power_cut = false;
	cfg.faults.latency_erase_us = 10;
	sim = t_open(&cfg);
	assert_int_equal(rf_sim_erase_budget(sim, 0), 0);
	rf_sim_close(sim);
	cfg.faults.latency_erase_us = 0;
	cfg.faults.retention = 1000;
	sim = t_open(&cfg);
	assert_int_equal(rf_sim_erase_budget(sim, 0), 0);
	rf_sim_close(sim);
	cfg.faults.retention = 0;

	/* Read-side models and latencies leave erases plain. */
	cfg.faults.read_disturb = 10;
	cfg.faults.latency_read_us = 5;
	cfg.faults.latency_program_us = 5;
	sim = t_open(&cfg);
	assert_int_equal(rf_sim_erase_budget(sim, 0), RF_ERASE_BUDGET_UNLIMITED);
	rf_sim_close(sim);

	/* NOR erases too; RAM has no erase. */
	cfg = t_config(RF_TYPE_NOR);
	sim = t_open(&cfg);
	assert_int_equal(rf_sim_erase_budget(sim, 0), RF_ERASE_BUDGET_UNLIMITED);
	rf_sim_close(sim);
	cfg = t_config(RF_TYPE_RAM);
	sim = t_open(&cfg);
	assert_int_equal(rf_sim_erase_budget(sim, 0), 0);
	rf_sim_close(sim);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_program_after_kernel_erase),
		cmocka_unit_test(test_write_applies_first),
		cmocka_unit_test(test_erase_and_markbad_apply_first),
		cmocka_unit_test(test_raw_page_after_kernel_erase),
		cmocka_unit_test(test_read_spanning_blocks),
		cmocka_unit_test(test_reports_include_pending),
		cmocka_unit_test(test_pending_applied_at_open),
		cmocka_unit_test(test_erase_budget),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
