// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ramflash server: the simulator behind libmuse, driven by the test kit's
 * fake kernel peer (muse/testing.h), which sends the requests the kernel
 * would and checks each reply by the module's rules, without a kernel.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <muse/muse.h>
#include <muse/muse_kernel.h>
#include <muse/testing.h>

#include "helpers.h"
#include "options.h"
#include "server.h"
#include "server-helpers.h"

static void test_presets_register(void **state)
{
	const struct rf_chip *c;

	/* libmuse accepts the description of every preset. */
	for (c = rf_chips; c->name; c++) {
		char *argv[] = { "ramflash", "--chip", (char *)c->name, NULL };
		struct muse_session *se = NULL;
		struct rf_options opts;
		struct muse_device dev;
		char err[256];

		assert_int_equal(rf_options_parse(&opts, 3, argv, stdout, err,
						  sizeof(err)), RF_PARSE_RUN);
		rf_muse_device(&opts, &opts.cfg.geo, &dev);
		if (muse_session_new(&dev, sizeof(dev), &(struct muse_ops){ 0 },
				     sizeof(struct muse_ops), 0, NULL, &se))
			fail_msg("libmuse refuses preset %s", c->name);
		muse_session_destroy(se);
		rf_options_free(&opts);
	}
}

static void test_device_description(void **state)
{
	char *argv[] = { "ramflash", "--chip", "slc-8m", "--name", "flash0",
			 "--partitions", "1M(a),-(b)", NULL };
	struct rf_options opts;
	struct muse_device dev;
	char err[256];

	assert_int_equal(rf_options_parse(&opts, 7, argv, stdout, err,
					  sizeof(err)), RF_PARSE_RUN);
	rf_muse_device(&opts, &opts.cfg.geo, &dev);
	assert_string_equal(dev.name, "flash0");
	assert_int_equal(dev.type, MUSE_TYPE_NAND);
	assert_int_equal(dev.flags, MUSE_FLAG_WRITEABLE);
	assert_true(dev.size == 8 << 20);
	assert_int_equal(dev.writesize, 2048);
	assert_int_equal(dev.erasesize, 128 * 1024);
	assert_int_equal(dev.oobsize, 64);
	assert_int_equal(dev.oobavail, 34);
	assert_int_equal(dev.subpage_shift, 2);
	assert_int_equal(dev.ecc_strength, 4);
	assert_int_equal(dev.ecc_step, 512);
	assert_string_equal(dev.partitions, "1M(a),-(b)");
	assert_int_equal(dev.max_io, 128 * 1024);
	rf_options_free(&opts);
}

static void test_io_and_ecc_through_libmuse(void **state)
{
	static const char *const args[] = {
		"--chip", "slc-8m", "--bitflip-rate", "1", "--bitflip-max", "1",
		"--bad-blocks", "5", NULL,
	};
	unsigned char page[2048], got[2048], oob[8];
	const struct muse_test_io rd = {
		.addr = 2048, .len = sizeof(got), .buf = got,
		.ooblen = sizeof(oob), .oobbuf = oob, .mode = MUSE_OOB_AUTO,
	};
	struct muse_ecc_result ecc;
	struct t_server t;

	t_server_start(&t, args);
	t_init(&t);
	memset(page, 0xc3, sizeof(page));
	assert_int_equal(t_write_page(&t, 2048, page, sizeof(page)), 0);
	/* The kit checks the reply's datalen (2048) and ooblen (8). */
	assert_int_equal(muse_test_read(t.peer, &rd, &ecc), 0);
	/* One flip in each of the 4 steps, all corrected. */
	assert_int_equal(ecc.corrected, 4);
	assert_int_equal(ecc.max_bitflips, 1);
	assert_int_equal(ecc.failed, 0);
	assert_memory_equal(got, page, sizeof(page));
	t_assert_filled(oob, sizeof(oob), 0xff);
	/*
	 * Misaligned NAND write: -EINVAL travels back (the kit sends it: it
	 * is inside the device and the unit).
	 */
	assert_int_equal(t_write_page(&t, 100, page, 512), -EINVAL);
	assert_null(muse_test_violation(t.peer));
	assert_int_equal(muse_test_erase(t.peer, 0, 128 * 1024), 0);
	assert_int_equal(muse_test_isbad(t.peer, 5 * 128 * 1024), 1);
	assert_int_equal(muse_test_sync(t.peer), 0);
	assert_int_equal(rf_sim_erase_count(t.sim, 0), 1);
	t_server_stop(&t);
}

/*
 * --no-kernel-program turns kernel program off, and so does a store the
 * module would refuse (not on tmpfs); --no-kernel-erase, which it needs,
 * turns both off, and --no-passthrough, which that needs, all three.
 */
static void test_extensions_asked(void **state)
{
	static const char *const no_program[] = {
		"--chip", "slc-8m", "--no-kernel-program", NULL,
	};
	static const char *const no_erase[] = {
		"--chip", "slc-8m", "--no-kernel-erase", NULL,
	};
	static const char *const no_pt[] = {
		"--chip", "slc-8m", "--no-passthrough", NULL,
	};
	const char *on_disk[] = { "--chip", "slc-8m", "--image", NULL, NULL };
	struct t_server t;

	t_server_start(&t, no_program);
	t_init_accepting(&t, MUSE_EXT_ALL & ~MUSE_EXT_KERNEL_PROGRAM);
	t_server_stop(&t);
	t_server_start(&t, no_erase);
	t_init_accepting(&t, MUSE_EXT_ALL & ~(MUSE_EXT_KERNEL_ERASE |
					      MUSE_EXT_KERNEL_PROGRAM));
	t_server_stop(&t);
	t_server_start(&t, no_pt);
	t_init_accepting(&t, MUSE_EXT_ALL & ~(MUSE_EXT_KERNEL_ERASE |
					      MUSE_EXT_KERNEL_PROGRAM |
					      MUSE_EXT_PASSTHROUGH));
	t_server_stop(&t);
	/* The tests' images are on a disk (tmpfs would be asked). */
	on_disk[3] = t_tempfile("on-disk.img");
	t_server_start(&t, on_disk);
	if (!rf_sim_store_on_tmpfs(t.sim))
		t_init_accepting(&t, MUSE_EXT_ALL & ~MUSE_EXT_KERNEL_PROGRAM);
	t_server_stop(&t);
	unlink(on_disk[3]);
}

static void test_power_cut_ends_the_session(void **state)
{
	static const char *const args[] = {
		"--chip", "slc-8m", "--power-cut-after", "1", NULL,
	};
	unsigned char page[2048];
	struct t_server t;

	t_server_start(&t, args);
	t_init(&t);
	memset(page, 0, sizeof(page));
	assert_int_equal(t_write_page(&t, 0, page, sizeof(page)), 0);
	assert_false(muse_session_exited(t.srv.se));
	/* The torn erase fails, and the server stops serving. */
	assert_int_equal(muse_test_erase(t.peer, 0, 128 * 1024), -EIO);
	assert_true(rf_sim_power_cut_done(t.sim));
	assert_true(muse_session_exited(t.srv.se));
	t_server_stop(&t);
}

/*
 * The latency model keeps requests instead of sleeping: one worker, a
 * 10 s erase, then a read that takes no simulated time.  The read is
 * answered first, and the erase is still pending, so the worker did not
 * wait for it; stopping answers it at once.
 */
static void test_latency_does_not_block_a_worker(void **state)
{
	static const char *const args[] = {
		"--chip", "slc-8m", "--threads", "1", "--latency-erase",
		"10000000", NULL,
	};
	unsigned char got[2048];
	const struct muse_test_io rd = { .addr = 0, .len = sizeof(got),
					 .buf = got };
	uint64_t erase, read;
	struct t_served s;

	t_served_start(&s, args, NULL);
	assert_int_equal(muse_test_send_erase(s.peer, 0, 128 << 10, &erase),
			 0);
	assert_int_equal(muse_test_send_read(s.peer, &rd, &read), 0);
	/* The read's reply came, and the erase's had not come before it. */
	assert_int_equal(muse_test_wait_reply(s.peer, read, NULL), 0);
	assert_int_equal(muse_test_poll_reply(s.peer, erase, 0), 0);

	assert_int_equal(t_served_stop(&s), 0);
	assert_int_equal(muse_test_wait_reply(s.peer, erase, NULL), 0);
	assert_int_equal(rf_sim_erase_count(s.sim, 0), 1);
	t_served_free(&s);
}

/*
 * The report writes --stats and --stats-svg (at exit and on SIGUSR1); a
 * file that cannot be written is said on stderr and the other one is
 * still written.
 */
static void test_report_files(void **state)
{
	char *json = strdup(t_tempfile("report.json"));
	char *svg = strdup(t_tempfile("report.svg"));
	const char *const args[] = {
		"--chip", "slc-8m", "--name", "a&b", "-q", "--stats", json,
		"--stats-svg", "/nonexistent-dir/chip.svg", NULL,
	};
	FILE *err = tmpfile();
	char text[512] = "";
	struct t_server t;
	int saved;

	assert_non_null(err);
	t_server_start(&t, args);
	saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	fflush(stderr);
	assert_true(dup2(fileno(err), STDERR_FILENO) >= 0);
	rf_server_report(&t.opts, t.sim);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(err);
	assert_true(fread(text, 1, sizeof(text) - 1, err) > 0);
	fclose(err);
	assert_string_equal(text, "ramflash: cannot write /nonexistent-dir/chip.svg: "
			    "No such file or directory\n");
	assert_int_equal(access(json, R_OK), 0);

	t.opts.svg_path = svg;
	rf_server_report(&t.opts, t.sim);
	err = fopen(svg, "r");
	assert_non_null(err);
	memset(text, 0, sizeof(text));
	assert_true(fread(text, 1, sizeof(text) - 1, err) > 0);
	fclose(err);
	assert_non_null(strstr(text, "<title>a&amp;b: erase count per "
			       "eraseblock</title>"));
	t_server_stop(&t);
	unlink(json);
	unlink(svg);
	rmdir(t_tempfile(""));
	free(json);
	free(svg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_presets_register),
		cmocka_unit_test(test_device_description),
		cmocka_unit_test(test_io_and_ecc_through_libmuse),
		cmocka_unit_test(test_extensions_asked),
		cmocka_unit_test(test_power_cut_ends_the_session),
		cmocka_unit_test(test_latency_does_not_block_a_worker),
		cmocka_unit_test(test_report_files),
	};

	return cmocka_run_group_tests_name("ramflash-server", tests, NULL, NULL);
}
