// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ramflash core: programs the kernel did itself (kernel program),
 * simulated without a kernel as the module does them, through a mapping
 * of the store's file of its own (the module's view, the same page
 * cache): the data stored inverted, the subpages' "programmed" bits set
 * with an atomic or, their number added to the block's count with an
 * atomic add.  Which blocks the kernel may program, and the power cut's
 * budget the kernel shares.
 */
#define _GNU_SOURCE	/* fallocate */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "counters.h"
#include "faults.h"
#include "helpers.h"
#include "image.h"
#include "stats.h"

#define T_SUBPAGES_PER_BLOCK	(T_BLOCK / T_SUBPAGE)

/* The store as the module sees it. */
struct t_module {
	int fd;
	uint8_t *map;		/* the file up to the data region */
	size_t map_len;
	uint64_t data_off, map_off, count_off, erase_off;
	uint32_t map_stride, count_stride, erase_stride;
};

static void t_module_open(struct t_module *m, const struct rf_sim *sim)
{
	uint64_t oob_off;

	rf_sim_store_data(sim, &m->fd, &m->data_off);
	rf_sim_store_program_layout(sim, &m->map_off, &m->map_stride,
				    &m->count_off, &m->count_stride);
	rf_sim_store_erase_layout(sim, &oob_off, &m->erase_off,
				  &m->erase_stride);
	m->map_len = m->data_off;
	m->map = mmap(NULL, m->map_len, PROT_READ | PROT_WRITE, MAP_SHARED,
		      m->fd, 0);
	assert_true(m->map != MAP_FAILED);
}

static void t_module_close(struct t_module *m)
{
	munmap(m->map, m->map_len);
}

static uint8_t *t_bitmap(const struct t_module *m, uint64_t b)
{
	return m->map + m->map_off + b * m->map_stride;
}

static uint16_t *t_count(const struct t_module *m, uint64_t b)
{
	return (uint16_t *)(m->map + m->count_off + b * m->count_stride);
}

/*
 * What the module does for a plain write of @len bytes of @byte at
 * @addr, whole subpages inside one block whose bits are all clear.
 */
static void t_kernel_program(const struct t_module *m, uint64_t addr,
			     size_t len, uint8_t byte)
{
	uint64_t b = addr / T_BLOCK, sp, first = addr % T_BLOCK / T_SUBPAGE;
	uint8_t *buf = malloc(len), *bits = t_bitmap(m, b);

	assert_non_null(buf);
	assert_int_equal(addr % T_SUBPAGE, 0);
	assert_int_equal(len % T_SUBPAGE, 0);
	memset(buf, (uint8_t)~byte, len);
	assert_int_equal(pwrite(m->fd, buf, len, (off_t)(m->data_off + addr)),
			 (ssize_t)len);
	free(buf);
	for (sp = first; sp < first + len / T_SUBPAGE; sp++)
		__atomic_fetch_or(&bits[sp / 8], (uint8_t)(1U << (sp % 8)),
				  __ATOMIC_RELAXED);
	__atomic_fetch_add(t_count(m, b), (uint16_t)(len / T_SUBPAGE),
			   __ATOMIC_RELEASE);
}

/*
 * The module's erase of block @b; with program state set up (@bits) it
 * clears the block's bitmap too.
 */
static void t_kernel_erase(const struct t_module *m, uint64_t b, bool bits)
{
	uint32_t *count = (uint32_t *)(m->map + m->erase_off +
				       b * m->erase_stride);
	uint8_t *map = t_bitmap(m, b);
	size_t i;

	assert_int_equal(fallocate(m->fd,
				   FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				   (off_t)(m->data_off + b * T_BLOCK), T_BLOCK), 0);
	for (i = 0; bits && i < (T_SUBPAGES_PER_BLOCK + 7) / 8; i++)
		__atomic_store_n(&map[i], 0, __ATOMIC_RELAXED);
	__atomic_fetch_add(count, 1, __ATOMIC_RELEASE);
}

/* The flash bytes the store holds at @addr, read as the module would. */
static void t_store_read(const struct rf_sim *sim, uint64_t addr,
			 uint8_t *buf, size_t len)
{
	uint64_t data_off;
	size_t i;
	int fd;

	rf_sim_store_data(sim, &fd, &data_off);
	assert_int_equal(pread(fd, buf, len, (off_t)(data_off + addr)),
			 (ssize_t)len);
	for (i = 0; i < len; i++)
		buf[i] = (uint8_t)~buf[i];
}

#define T_STAT(sim, name)	rf_stats_get(rf_sim_stats(sim), name)

static void test_layout(void **state)
{
	struct rf_config cfg = t_config(RF_TYPE_NAND);
	struct rf_sim *sim = t_open(&cfg);
	struct t_module m;

	t_module_open(&m, sim);
	assert_int_equal(offsetof(struct rf_block_meta, kernel_programs), 26);
	/* The module wants the 16-bit counts aligned (muse_kernel.h). */
	assert_int_equal(m.count_off % 2, 0);
	assert_int_equal(m.count_stride % 2, 0);
	/* Each block's count, erase count and bitmap apart. */
	assert_int_equal(m.count_stride, m.erase_stride);
	assert_int_equal(m.count_off + 2, m.erase_off);
	assert_int_equal(m.map_off, m.erase_off + 4);
	assert_true(m.map_stride >= (T_SUBPAGES_PER_BLOCK + 7) / 8);
	assert_true(m.map_off + 8 * m.map_stride <= m.data_off);
	t_module_close(&m);
	rf_sim_close(sim);
}

/*
 * The kernel's programs are counted before the next request about the
 * block: bytes programmed and kernel_programs, not writes (no WRITE
 * request was served).  Reports add what is pending and leave it.
 */
static void test_apply_counts(void **state)
{
	struct rf_config cfg = t_config(RF_TYPE_MLC_NAND);
	struct rf_sim *sim = t_open(&cfg);
	uint8_t page[T_PAGE];
	struct t_module m;
	char *text;

	t_module_open(&m, sim);
	rf_sim_share_program_state(sim);
	t_kernel_program(&m, T_BLOCK, T_PAGE, 0x5a);
	t_kernel_program(&m, T_BLOCK + T_PAGE, T_SUBPAGE, 0x33);
	assert_int_equal(rf_sim_pending_programs(sim, 1), 3);
	text = t_report(sim, true);
	assert_non_null(strstr(text, "\"write_bytes\": 768,"));
	assert_non_null(strstr(text, "\"kernel_programs\": 3,"));
	assert_non_null(strstr(text, "\"writes\": 0,"));
	free(text);
	assert_int_equal(rf_sim_pending_programs(sim, 1), 3);
	assert_int_equal(T_STAT(sim, write_bytes), 0);

	/* A read applies them, and reads what the kernel stored. */
	t_read(sim, T_BLOCK, page, T_PAGE, NULL);
	t_assert_filled(page, T_PAGE, 0x5a);
	assert_int_equal(rf_sim_pending_programs(sim, 1), 0);
	assert_int_equal(T_STAT(sim, write_bytes), 3 * T_SUBPAGE);
	assert_int_equal(T_STAT(sim, kernel_programs), 3);
	assert_int_equal(T_STAT(sim, writes), 0);
	/* Programmed is programmed: MLC refuses it again, not its rest. */
	assert_int_equal(t_write(sim, T_BLOCK, page, T_PAGE), -EIO);
	assert_int_equal(T_STAT(sim, reprogram_refused), 1);
	assert_int_equal(t_write(sim, T_BLOCK + T_PAGE + T_SUBPAGE, page,
				 T_SUBPAGE), 0);
	assert_int_equal(T_STAT(sim, writes), 2);
	assert_int_equal(T_STAT(sim, write_bytes), 4 * T_SUBPAGE);
	/* A write applies them too. */
	t_kernel_program(&m, 2 * T_BLOCK, T_SUBPAGE, 0);
	assert_int_equal(t_write(sim, 2 * T_BLOCK + T_PAGE, page, T_PAGE), 0);
	assert_int_equal(rf_sim_pending_programs(sim, 2), 0);
	assert_int_equal(T_STAT(sim, kernel_programs), 4);
	t_module_close(&m);
	rf_sim_close(sim);
}

/*
 * With the program state shared, the kernel clears a block's bits at its
 * erase: applying the erase must not clear the bits the kernel set since
 * (its programs after the erase), or the chip would take those subpages
 * again.  Without it (kernel erase alone), applying clears them.
 */
static void test_erase_apply_keeps_kernel_bits(void **state)
{
	struct rf_config cfg = t_config(RF_TYPE_MLC_NAND);
	uint8_t page[T_PAGE];
	struct rf_sim *sim;
	struct t_module m;
	int shared;

	memset(page, 0x11, sizeof(page));
	for (shared = 1; shared >= 0; shared--) {
		sim = t_open(&cfg);
		t_module_open(&m, sim);
		if (shared)
			rf_sim_share_program_state(sim);
		assert_int_equal(t_write(sim, 3 * T_BLOCK, page, T_PAGE), 0);
		t_kernel_erase(&m, 3, shared);
		t_kernel_program(&m, 3 * T_BLOCK, T_PAGE, 0x22);
		/* The erase and the program applied by one request. */
		assert_int_equal(t_write(sim, 3 * T_BLOCK, page, T_PAGE),
				 shared ? -EIO : 0);
		assert_int_equal(rf_sim_erase_count(sim, 3), 1);
		assert_int_equal(T_STAT(sim, kernel_programs), 2);
		assert_int_equal(T_STAT(sim, kernel_erases), 1);
		t_module_close(&m);
		rf_sim_close(sim);
	}
}

/*
 * A live fault set on a page after the kernel erased and programmed its
 * block: the erase came first, so applying it must not drop the fault.
 */
static void test_live_fault_after_kernel_ops(void **state)
{
	struct rf_config cfg = t_config(RF_TYPE_NAND);
	struct rf_sim *sim = t_open(&cfg);
	uint8_t page[T_PAGE];
	struct rf_ecc ecc;
	struct t_module m;
	char err[128];

	t_module_open(&m, sim);
	rf_sim_share_program_state(sim);
	t_kernel_erase(&m, 4, true);
	t_kernel_program(&m, 4 * T_BLOCK, T_PAGE, 0x3c);
	assert_int_equal(rf_sim_live_add(sim, RF_LIVE_FLIP,
					 4 * T_PAGES_PER_BLOCK, 1, err,
					 sizeof(err)), 0);
	assert_int_equal(rf_sim_pending_erases(sim, 4), 0);
	assert_int_equal(rf_sim_pending_programs(sim, 4), 0);
	t_read(sim, 4 * T_BLOCK, page, T_PAGE, &ecc);
	assert_int_equal(ecc.corrected, 1);
	t_assert_filled(page, T_PAGE, 0x3c);
	t_module_close(&m);
	rf_sim_close(sim);
}

/* A ramflash killed before it applied them: the next one does, uncounted. */
static void test_pending_applied_at_open(void **state)
{
	struct rf_config cfg = t_config(RF_TYPE_MLC_NAND);
	uint8_t page[T_PAGE];
	struct rf_sim *sim;
	struct t_module m;

	cfg.image_path = t_tempfile("kernel-program.img");
	sim = t_open(&cfg);
	t_module_open(&m, sim);
	t_kernel_program(&m, 5 * T_BLOCK, T_PAGE, 0x42);
	t_module_close(&m);
	assert_int_equal(rf_sim_close(sim), 0);

	sim = t_open(&cfg);
	assert_int_equal(rf_sim_pending_programs(sim, 5), 0);
	assert_int_equal(T_STAT(sim, write_bytes), 0);
	assert_int_equal(T_STAT(sim, kernel_programs), 0);
	t_read(sim, 5 * T_BLOCK, page, T_PAGE, NULL);
	t_assert_filled(page, T_PAGE, 0x42);
	assert_int_equal(t_write(sim, 5 * T_BLOCK, page, T_PAGE), -EIO);
	rf_sim_close(sim);
	unlink(cfg.image_path);
	rmdir(t_tempfile(""));
}

/*
 * A ramflash killed after the kernel erased a block and programmed it
 * again: the next one applies the erase without clearing the bits the
 * kernel set since (the image says the kernel cleared them at its erase),
 * and only then: a run without kernel program clears them.
 */
static void test_left_erase_keeps_kernel_bits(void **state)
{
	struct rf_config cfg = t_config(RF_TYPE_MLC_NAND);
	uint8_t page[T_PAGE];
	struct rf_sim *sim;
	struct t_module m;

	memset(page, 0x42, sizeof(page));
	cfg.image_path = t_tempfile("left-erase.img");
	sim = t_open(&cfg);
	t_module_open(&m, sim);
	rf_sim_share_program_state(sim);
	assert_int_equal(t_write(sim, 6 * T_BLOCK, page, T_PAGE), 0);
	t_kernel_erase(&m, 6, true);
	t_kernel_program(&m, 6 * T_BLOCK, T_PAGE, 0x24);
	t_module_close(&m);
	assert_int_equal(rf_sim_close(sim), 0);

	sim = t_open(&cfg);
	assert_int_equal(rf_sim_erase_count(sim, 6), 1);
	assert_int_equal(t_write(sim, 6 * T_BLOCK, page, T_PAGE), -EIO);
	assert_int_equal(t_write(sim, 6 * T_BLOCK + T_PAGE, page, T_PAGE), 0);
	/* This run does not share: an erase left now is the simulator's. */
	t_module_open(&m, sim);
	t_kernel_erase(&m, 6, false);
	t_module_close(&m);
	assert_int_equal(rf_sim_close(sim), 0);
	sim = t_open(&cfg);
	/* The kernel cleared the bits; the simulator's view agrees. */
	assert_int_equal(t_write(sim, 6 * T_BLOCK + T_PAGE, page, T_PAGE), 0);
	rf_sim_close(sim);
	unlink(cfg.image_path);
	rmdir(t_tempfile(""));
}

static int t_budget_left;
static int t_budget_calls;

/* A fake of the module's budget: @t_budget_left operations, then spent. */
static int t_take(void *arg)
{
	t_budget_calls++;
	if (arg)
		return -ENOTTY;
	if (!t_budget_left)
		return 0;
	t_budget_left--;
	return 1;
}

/* Which blocks the kernel may program: each model that says no. */
static void test_grant_policy(void **state)
{
	static const enum rf_type no_programs[] = { RF_TYPE_NOR, RF_TYPE_RAM };
	struct rf_config cfg = t_config(RF_TYPE_NAND);
	uint8_t page[T_PAGE] = { 0 };
	struct rf_io raw = { .addr = 6 * T_BLOCK, .len = T_PAGE, .buf = page,
			     .mode = RF_OOB_RAW };
	char err[128];
	struct rf_sim *sim;
	int dummy_trace;
	size_t i;

	assert_int_equal(rf_block_list_add(&cfg.faults.bad_blocks, 3), 0);
	assert_int_equal(rf_block_list_add(&cfg.faults.fail_program, 5), 0);
	/* Page 11: block 2's last. */
	assert_int_equal(rf_limit_list_parse("11:1", &cfg.faults.weak_pages,
					     err, sizeof(err)), 0);
	sim = t_open(&cfg);
	assert_true(rf_sim_programs_plain(sim));
	assert_true(rf_sim_block_programs_plain(sim, 0));
	assert_true(rf_sim_block_programs_plain(sim, 1));
	assert_false(rf_sim_block_programs_plain(sim, 2));	/* weak page */
	assert_false(rf_sim_block_programs_plain(sim, 3));	/* bad */
	assert_false(rf_sim_block_programs_plain(sim, 5));	/* fail */
	/* Marked bad. */
	assert_int_equal(rf_sim_markbad(sim, 4 * T_BLOCK), 0);
	assert_false(rf_sim_block_programs_plain(sim, 4));
	/* A RAW-written page, until the block's erase. */
	assert_true(rf_sim_block_programs_plain(sim, 6));
	assert_int_equal(rf_sim_write(sim, &raw), 0);
	assert_false(rf_sim_block_programs_plain(sim, 6));
	assert_int_equal(rf_sim_erase(sim, 6 * T_BLOCK, T_BLOCK), 0);
	assert_true(rf_sim_block_programs_plain(sim, 6));
	/* Live faults of any kind on the block, until cancelled. */
	assert_int_equal(rf_sim_live_add(sim, RF_LIVE_FAIL_PROGRAM,
					 7 * T_PAGES_PER_BLOCK + 1, 1, err,
					 sizeof(err)), 0);
	assert_false(rf_sim_block_programs_plain(sim, 7));
	assert_true(rf_sim_block_programs_plain(sim, 1));
	rf_sim_live_cancel(sim, RF_LIVE_FAIL_PROGRAM,
			   7 * T_PAGES_PER_BLOCK + 1);
	assert_true(rf_sim_block_programs_plain(sim, 7));
	assert_int_equal(rf_sim_live_add(sim, RF_LIVE_FLIP,
					 7 * T_PAGES_PER_BLOCK, 1, err,
					 sizeof(err)), 0);
	assert_false(rf_sim_block_programs_plain(sim, 7));
	rf_sim_live_cancel(sim, RF_LIVE_FLIP, 7 * T_PAGES_PER_BLOCK);
	/* Program latency, live. */
	rf_sim_set_latency(sim, RF_LATENCY_PROGRAM, 10);
	assert_false(rf_sim_block_programs_plain(sim, 0));
	rf_sim_set_latency(sim, RF_LATENCY_PROGRAM, 0);
	/* Read and erase models leave programs plain. */
	rf_sim_set_latency(sim, RF_LATENCY_ERASE, 10);
	assert_true(rf_sim_block_programs_plain(sim, 0));
	rf_sim_set_latency(sim, RF_LATENCY_ERASE, 0);
	assert_int_equal(rf_sim_set_bitflip_rate(sim, 0.01, err,
						 sizeof(err)), 0);
	assert_true(rf_sim_block_programs_plain(sim, 0));
	/* A trace records every write: none while one is attached. */
	rf_sim_set_trace(sim, (struct rf_trace *)&dummy_trace);
	assert_false(rf_sim_block_programs_plain(sim, 0));
	rf_sim_set_trace(sim, NULL);
	/* A power cut: only with the budget deciding the torn operation. */
	rf_sim_arm_power_cut(sim, 10);
	assert_false(rf_sim_block_programs_plain(sim, 0));
	assert_false(rf_sim_erases_plain(sim));
	rf_sim_on_power_take(sim, t_take, NULL);
	assert_true(rf_sim_block_programs_plain(sim, 0));
	assert_true(rf_sim_erases_plain(sim));
	rf_sim_on_power_take(sim, NULL, NULL);
	rf_sim_close(sim);
	rf_block_list_free(&cfg.faults.bad_blocks);
	rf_block_list_free(&cfg.faults.fail_program);
	rf_limit_list_free(&cfg.faults.weak_pages);

	/* Worn out (--endurance): its programs fail. */
	cfg.faults.endurance = 1;
	sim = t_open(&cfg);
	assert_int_equal(rf_sim_erase(sim, T_BLOCK, T_BLOCK), 0);
	assert_int_equal(rf_sim_erase(sim, T_BLOCK, T_BLOCK), -EIO);
	assert_false(rf_sim_block_programs_plain(sim, 1));
	assert_true(rf_sim_block_programs_plain(sim, 0));
	rf_sim_close(sim);
	cfg.faults.endurance = 0;

	/* Retention: a block's clock starts at its first program. */
	cfg.faults.retention = 1000;
	sim = t_open(&cfg);
	assert_false(rf_sim_programs_plain(sim));
	assert_false(rf_sim_block_programs_plain(sim, 0));
	rf_sim_close(sim);
	cfg.faults.retention = 0;

	/* Program latency from the start. */
	cfg.faults.latency_program_us = 5;
	sim = t_open(&cfg);
	assert_false(rf_sim_block_programs_plain(sim, 0));
	rf_sim_close(sim);

	/* MLC programs too; NOR and RAM writes stay requests. */
	cfg = t_config(RF_TYPE_MLC_NAND);
	sim = t_open(&cfg);
	assert_true(rf_sim_block_programs_plain(sim, 0));
	rf_sim_close(sim);
	for (i = 0; i < sizeof(no_programs) / sizeof(no_programs[0]); i++) {
		cfg = t_config(no_programs[i]);
		sim = t_open(&cfg);
		assert_false(rf_sim_programs_plain(sim));
		assert_false(rf_sim_block_programs_plain(sim, 0));
		rf_sim_close(sim);
	}
}

/*
 * With the budget hook, the operation that finds the budget spent is
 * torn, whatever --power-cut-after counted; later ones fail.  A hook
 * without a budget (an error) leaves the counting to the simulator.
 */
static void test_power_cut_budget(void **state)
{
	struct rf_config cfg = t_config(RF_TYPE_NAND);
	uint8_t page[T_PAGE], back[T_PAGE];
	struct rf_sim *sim;

	memset(page, 0, sizeof(page));
	/* Not armed: the budget is not asked. */
	sim = t_open(&cfg);
	rf_sim_on_power_take(sim, t_take, NULL);
	t_budget_calls = 0;
	assert_int_equal(t_write(sim, 0, page, T_PAGE), 0);
	assert_int_equal(t_budget_calls, 0);
	rf_sim_close(sim);

	/* Armed far away; the budget (the kernel took its part) says 2. */
	cfg.faults.power_cut = true;
	cfg.faults.power_cut_after = 1000;
	sim = t_open(&cfg);
	rf_sim_on_power_take(sim, t_take, NULL);
	t_budget_left = 2;
	assert_int_equal(rf_sim_power_cut_left(sim), 1000);
	assert_int_equal(t_write(sim, 0, page, T_PAGE), 0);
	assert_int_equal(rf_sim_erase(sim, 2 * T_BLOCK, T_BLOCK), 0);
	assert_false(rf_sim_power_cut_done(sim));
	/* A two-block erase: the first block erased, the second torn. */
	t_budget_left = 1;
	t_budget_calls = 0;
	assert_int_equal(rf_sim_erase(sim, 4 * T_BLOCK, 2 * T_BLOCK),
			 RF_POWER_CUT);
	assert_int_equal(t_budget_calls, 2);
	assert_true(rf_sim_power_cut_done(sim));
	assert_int_equal(rf_sim_erase_count(sim, 4), 1);
	assert_int_equal(rf_sim_erase_count(sim, 5), 1);
	assert_int_equal(t_write(sim, T_PAGE, page, T_PAGE), RF_POWER_CUT);
	assert_int_equal(t_budget_calls, 2);
	rf_sim_close(sim);

	/* A torn program: the first half of its page in the store. */
	sim = t_open(&cfg);
	rf_sim_on_power_take(sim, t_take, NULL);
	t_budget_left = 0;
	memset(page, 0x5a, sizeof(page));
	assert_int_equal(t_write(sim, T_BLOCK, page, T_PAGE), RF_POWER_CUT);
	t_store_read(sim, T_BLOCK, back, T_PAGE);
	t_assert_filled(back, T_PAGE / 2, 0x5a);
	t_assert_filled(back + T_PAGE / 2, T_PAGE / 2, 0xff);
	rf_sim_close(sim);

	/* No budget after all: --power-cut-after counts. */
	cfg.faults.power_cut_after = 1;
	sim = t_open(&cfg);
	rf_sim_on_power_take(sim, t_take, (void *)1);
	assert_int_equal(t_write(sim, 0, page, T_PAGE), 0);
	assert_int_equal(t_write(sim, T_PAGE, page, T_PAGE), RF_POWER_CUT);
	assert_true(rf_sim_power_cut_done(sim));
	t_store_read(sim, T_PAGE, back, T_PAGE);
	t_assert_filled(back, T_PAGE / 2, 0x5a);
	rf_sim_close(sim);
}

/* What the racing threads share. */
struct t_race {
	struct rf_sim *sim;
	struct t_module *m;
};

/* The kernel: every odd subpage of blocks 0-3, one at a time. */
static void *t_race_kernel(void *arg)
{
	struct t_race *r = arg;
	uint64_t sp;

	for (sp = 1; sp < 4 * T_SUBPAGES_PER_BLOCK; sp += 2)
		t_kernel_program(r->m, sp * T_SUBPAGE, T_SUBPAGE, 0x0f);
	return NULL;
}

/*
 * The kernel's programs race the server's in the same blocks, and reads
 * that apply them: every subpage ends programmed once, every program
 * counted, none lost.  TSan watches the shared bits (the meson setup of
 * the sanitizer build in tests/ramflash/meson.build).
 */
static void test_programs_race(void **state)
{
	struct rf_config cfg = t_config(RF_TYPE_MLC_NAND);
	uint8_t buf[T_SUBPAGE], back[T_BLOCK];
	struct t_module m;
	struct t_race r;
	pthread_t kernel;
	uint64_t sp, b;

	r.sim = t_open(&cfg);
	r.m = &m;
	t_module_open(&m, r.sim);
	rf_sim_share_program_state(r.sim);
	memset(buf, 0xf0, sizeof(buf));
	assert_int_equal(pthread_create(&kernel, NULL, t_race_kernel, &r), 0);
	for (sp = 0; sp < 4 * T_SUBPAGES_PER_BLOCK; sp += 2) {
		assert_int_equal(t_write(r.sim, sp * T_SUBPAGE, buf, T_SUBPAGE),
				 0);
		t_read(r.sim, sp / T_SUBPAGES_PER_BLOCK * T_BLOCK, back,
		       T_BLOCK, NULL);
	}
	pthread_join(kernel, NULL);
	for (b = 0; b < 4; b++) {
		t_read(r.sim, b * T_BLOCK, back, T_BLOCK, NULL);
		for (sp = 0; sp < T_SUBPAGES_PER_BLOCK; sp++)
			t_assert_filled(back + sp * T_SUBPAGE, T_SUBPAGE,
					sp % 2 ? 0x0f : 0xf0);
		/* Every subpage programmed: MLC refuses each again. */
		for (sp = 0; sp < T_SUBPAGES_PER_BLOCK; sp++)
			assert_int_equal(t_write(r.sim, b * T_BLOCK +
						 sp * T_SUBPAGE, buf,
						 T_SUBPAGE), -EIO);
	}
	assert_int_equal(T_STAT(r.sim, kernel_programs),
			 2 * T_SUBPAGES_PER_BLOCK);
	assert_int_equal(T_STAT(r.sim, write_bytes), 4 * T_BLOCK);
	t_module_close(&m);
	rf_sim_close(r.sim);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_apply_counts),
		cmocka_unit_test(test_erase_apply_keeps_kernel_bits),
		cmocka_unit_test(test_live_fault_after_kernel_ops),
		cmocka_unit_test(test_pending_applied_at_open),
		cmocka_unit_test(test_left_erase_keeps_kernel_bits),
		cmocka_unit_test(test_grant_policy),
		cmocka_unit_test(test_power_cut_budget),
		cmocka_unit_test(test_programs_race),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
