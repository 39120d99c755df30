// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ramflash core: --erase-slack.  Kernel erases with MUSE_ERASE_KEEP_PAGES
 * are simulated as the module does them on a memfd: the block's data
 * zeroed in place (its pages stay), one added to its count.  The
 * simulator must account the kept bytes exactly when it applies such an
 * erase, punch the oldest kept blocks (in runs of adjacent ones) above
 * the slack, never a block programmed since, and count what it punched.
 */
#define _GNU_SOURCE	/* SEEK_DATA */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "counters.h"
#include "helpers.h"
#include "stats.h"

/* Blocks of whole tmpfs pages, so that a punch frees exactly a block. */
#define S_PAGE		2048U
#define S_BLOCK		(8U * S_PAGE)
#define S_BLOCKS	16U

static struct rf_config s_config(uint64_t slack)
{
	struct rf_config cfg = t_config(RF_TYPE_NAND);

	cfg.geo.size = (uint64_t)S_BLOCKS * S_BLOCK;
	cfg.geo.page_size = S_PAGE;
	cfg.geo.erase_size = S_BLOCK;
	cfg.geo.subpage_size = S_PAGE;
	cfg.geo.ecc_step = 512;
	cfg.erase_slack = slack;
	return cfg;
}

/* Program the whole data of block @b (no OOB: it stays unallocated). */
static void s_program(struct rf_sim *sim, uint64_t b, uint8_t fill)
{
	static uint8_t buf[S_BLOCK];

	memset(buf, fill, sizeof(buf));
	assert_int_equal(t_write(sim, b * S_BLOCK, buf, S_BLOCK), 0);
}

/* The module's kernel erase of block @b with MUSE_ERASE_KEEP_PAGES. */
static void s_keep_erase(struct rf_sim *sim, uint64_t b)
{
	static const uint8_t zeros[S_BLOCK];
	uint64_t data_off, oob_off, count_off;
	uint32_t stride, count;
	int fd;

	rf_sim_store_data(sim, &fd, &data_off);
	rf_sim_store_erase_layout(sim, &oob_off, &count_off, &stride);
	assert_int_equal(pwrite(fd, zeros, S_BLOCK,
				(off_t)(data_off + b * S_BLOCK)), S_BLOCK);
	assert_int_equal(pread(fd, &count, sizeof(count),
			       (off_t)(count_off + b * stride)), sizeof(count));
	count++;
	assert_int_equal(pwrite(fd, &count, sizeof(count),
				(off_t)(count_off + b * stride)), sizeof(count));
}

/* A read of block @b: a request, which applies its kernel erases first. */
static void s_read_erased(struct rf_sim *sim, uint64_t b)
{
	static uint8_t buf[S_BLOCK];

	t_read(sim, b * S_BLOCK, buf, S_BLOCK, NULL);
	t_assert_filled(buf, S_BLOCK, 0xff);
}

static uint64_t s_punched(struct rf_sim *sim, bool bytes)
{
	struct rf_stats *stats = rf_sim_stats(sim);

	return bytes ? rf_stats_get(stats, slack_punched_bytes) :
		       rf_stats_get(stats, slack_punched_blocks);
}

/* Whether block @b's data holds pages in the store. */
static bool s_allocated(struct rf_sim *sim, uint64_t b)
{
	uint64_t data_off;
	off_t at;
	int fd;

	rf_sim_store_data(sim, &fd, &data_off);
	at = lseek(fd, (off_t)(data_off + b * S_BLOCK), SEEK_DATA);
	return at >= 0 && at < (off_t)(data_off + (b + 1) * S_BLOCK);
}

/*
 * Four kept blocks, applied out of address order, over a slack of two and
 * a half: the oldest and the kept block after it are punched, together,
 * and no more; a kernel erase that punched (no KEEP_PAGES) keeps nothing.
 */
static void test_oldest_punched_in_a_run(void **state)
{
	struct rf_config cfg = s_config(S_BLOCK * 5 / 2);
	struct rf_sim *sim = t_open(&cfg);
	static const uint64_t order[] = { 3, 1, 4, 2 };
	uint64_t before, i;

	for (i = 1; i <= 5; i++)
		s_program(sim, i, (uint8_t)i);
	for (i = 1; i <= 4; i++)
		s_keep_erase(sim, i);
	before = rf_sim_store_bytes(sim);
	for (i = 0; i < 4; i++) {
		s_read_erased(sim, order[i]);
		assert_int_equal(rf_sim_kept_bytes(sim), (i + 1) * S_BLOCK);
	}
	/* Applying frees nothing: that is the thread's work. */
	assert_int_equal(rf_sim_store_bytes(sim), before);
	assert_int_equal(s_punched(sim, false), 0);

	assert_true(rf_sim_keep_trim(sim));
	/* Oldest: 3, then 4 after it: 2 blocks bring 4 within 2.5. */
	assert_int_equal(s_punched(sim, false), 2);
	assert_int_equal(s_punched(sim, true), 2 * S_BLOCK);
	assert_int_equal(rf_sim_kept_bytes(sim), 2 * S_BLOCK);
	assert_int_equal(rf_sim_store_bytes(sim), before - 2 * S_BLOCK);
	assert_false(s_allocated(sim, 3));
	assert_false(s_allocated(sim, 4));
	assert_true(s_allocated(sim, 1));
	assert_true(s_allocated(sim, 2));
	assert_true(s_allocated(sim, 5));
	for (i = 1; i <= 4; i++)
		s_read_erased(sim, i);

	/* Within the slack: a second pass punches nothing. */
	assert_true(rf_sim_keep_trim(sim));
	assert_int_equal(s_punched(sim, false), 2);

	/* The module's punch (no KEEP_PAGES): nothing is kept. */
	rf_sim_kernel_erase(sim, 5, 1, true);
	assert_int_equal(rf_sim_kept_bytes(sim), 2 * S_BLOCK);
	rf_sim_close(sim);
}

/*
 * A kept block programmed again is forgotten: not punched, its data
 * stays.  So is one the server erased or marked bad itself.
 */
static void test_changed_blocks_forgotten(void **state)
{
	struct rf_config cfg = s_config(S_BLOCK / 2);
	struct rf_sim *sim = t_open(&cfg);
	uint8_t page[S_PAGE], back[S_PAGE];
	uint64_t b;

	for (b = 1; b <= 3; b++) {
		s_program(sim, b, 0x11);
		s_keep_erase(sim, b);
		s_read_erased(sim, b);
	}
	assert_int_equal(rf_sim_kept_bytes(sim), 3 * S_BLOCK);
	memset(page, 0x42, sizeof(page));
	assert_int_equal(t_write(sim, 1 * S_BLOCK, page, S_PAGE), 0);
	assert_int_equal(rf_sim_erase(sim, 2 * S_BLOCK, S_BLOCK), 0);
	assert_int_equal(rf_sim_markbad(sim, 3 * S_BLOCK), 0);
	assert_int_equal(rf_sim_kept_bytes(sim), 0);
	assert_true(rf_sim_keep_trim(sim));
	assert_int_equal(s_punched(sim, false), 0);
	t_read(sim, 1 * S_BLOCK, back, S_PAGE, NULL);
	assert_memory_equal(back, page, S_PAGE);
	assert_true(s_allocated(sim, 1));
	rf_sim_close(sim);
}

/*
 * The thread: the kernel's erases no request applied are applied within
 * its period, and what is above the slack punched, with no call here.
 */
static void test_thread_sweeps_and_punches(void **state)
{
	struct rf_config cfg = s_config(S_BLOCK);
	struct rf_sim *sim = t_open(&cfg);
	struct timespec pause = { 0, 50 * 1000 * 1000 };
	uint64_t b;
	int i;

	assert_int_equal(rf_sim_keep_start(sim), 0);
	for (b = 0; b < 4; b++) {
		s_program(sim, b, 0x22);
		s_keep_erase(sim, b);
	}
	for (i = 0; i < 100 && (s_punched(sim, false) < 3 ||
				rf_sim_pending_erases(sim, 0)); i++)
		nanosleep(&pause, NULL);
	for (b = 0; b < 4; b++)
		assert_int_equal(rf_sim_pending_erases(sim, b), 0);
	assert_int_equal(s_punched(sim, false), 3);
	assert_int_equal(rf_sim_kept_bytes(sim), S_BLOCK);
	assert_int_equal(rf_stats_get(rf_sim_stats(sim), kernel_erases), 4);
	rf_sim_close(sim);
}

/* No slack: nothing is kept, and there is no thread to start. */
static void test_no_slack(void **state)
{
	struct rf_config cfg = s_config(0);
	struct rf_sim *sim = t_open(&cfg);

	assert_int_equal(rf_sim_keep_start(sim), 0);
	s_program(sim, 1, 0x33);
	s_keep_erase(sim, 1);
	s_read_erased(sim, 1);
	assert_int_equal(rf_sim_kept_bytes(sim), 0);
	assert_true(rf_sim_keep_trim(sim));
	assert_int_equal(s_punched(sim, false), 0);
	assert_true(s_allocated(sim, 1));
	rf_sim_close(sim);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_oldest_punched_in_a_run),
		cmocka_unit_test(test_changed_blocks_forgotten),
		cmocka_unit_test(test_thread_sweeps_and_punches),
		cmocka_unit_test(test_no_slack),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
