// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ramflash core: the persistent image (reuse, refusal, power cuts).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "faults.h"
#include "helpers.h"
#include "image.h"

static struct rf_config t_image_config(const char *name)
{
	struct rf_config cfg = t_config(RF_TYPE_NAND);

	cfg.image_path = t_tempfile(name);
	return cfg;
}

static void test_image_survives_restart(void **state)
{
	struct rf_config cfg = t_image_config("persist.img");
	uint8_t page[T_PAGE], back[T_PAGE], oob[T_OOB_AVAIL] = "oobby";
	struct rf_io io = t_oob(2 * T_PAGE, 0, oob, sizeof(oob), RF_OOB_AUTO);
	struct rf_sim *sim = t_open(&cfg);
	struct stat st;

	memset(page, 0xa5, sizeof(page));
	assert_int_equal(rf_sim_erase(sim, T_BLOCK, T_BLOCK), 0);
	assert_int_equal(rf_sim_erase(sim, T_BLOCK, T_BLOCK), 0);
	assert_int_equal(t_write(sim, T_BLOCK, page, T_PAGE), 0);
	assert_int_equal(rf_sim_write(sim, &io), 0);
	assert_int_equal(rf_sim_markbad(sim, 5 * T_BLOCK), 0);
	assert_int_equal(rf_sim_sync(sim), 0);
	assert_int_equal(rf_sim_close(sim), 0);
	assert_int_equal(stat(cfg.image_path, &st), 0);

	sim = t_open(&cfg);
	t_read(sim, T_BLOCK, back, T_PAGE, NULL);
	assert_memory_equal(back, page, T_PAGE);
	t_read(sim, T_BLOCK + T_PAGE, back, T_PAGE, NULL);
	t_assert_filled(back, T_PAGE, 0xff);
	memset(oob, 0, sizeof(oob));
	assert_int_equal(rf_sim_read(sim, &io, &(struct rf_ecc){ 0 }), 0);
	assert_memory_equal(oob, "oobby", sizeof(oob));
	assert_int_equal(rf_sim_erase_count(sim, 1), 2);
	assert_int_equal(rf_sim_isbad(sim, 5 * T_BLOCK), 1);
	assert_int_equal(rf_sim_bad_reason(sim, 5), RF_BLOCK_MARKED_BAD);
	/* The program state survives too: MLC-style refusal still applies. */
	rf_sim_close(sim);
	cfg.reprogram = RF_REPROGRAM_REFUSE;
	sim = t_open(&cfg);
	assert_int_equal(t_write(sim, T_BLOCK, page, T_PAGE), -EIO);
	rf_sim_close(sim);
	unlink(cfg.image_path);
}

static void test_factory_bad_blocks_only_at_creation(void **state)
{
	struct rf_config cfg = t_image_config("factory.img");
	struct rf_sim *sim;

	assert_int_equal(rf_block_list_add(&cfg.faults.bad_blocks, 4), 0);
	sim = t_open(&cfg);
	assert_true(rf_sim_created(sim));
	assert_int_equal(rf_sim_isbad(sim, 4 * T_BLOCK), 1);
	rf_sim_close(sim);
	/* A reused image keeps its own bad blocks. */
	rf_block_list_free(&cfg.faults.bad_blocks);
	assert_int_equal(rf_block_list_add(&cfg.faults.bad_blocks, 6), 0);
	sim = t_open(&cfg);
	assert_false(rf_sim_created(sim));
	assert_int_equal(rf_sim_isbad(sim, 4 * T_BLOCK), 1);
	assert_int_equal(rf_sim_isbad(sim, 6 * T_BLOCK), 0);
	rf_sim_close(sim);
	rf_block_list_free(&cfg.faults.bad_blocks);
	unlink(cfg.image_path);
}

static void test_geometry_mismatch_refused(void **state)
{
	struct rf_config cfg = t_image_config("mismatch.img");
	struct rf_sim *sim = t_open(&cfg);
	char err[256];

	rf_sim_close(sim);
	cfg.geo.size = 2 * T_SIZE;
	assert_int_equal(rf_sim_open(&sim, &cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "another geometry"));
	cfg = t_image_config("mismatch.img");
	/* t_image_config() removed it: create again, then change OOB. */
	sim = t_open(&cfg);
	rf_sim_close(sim);
	cfg.geo.oob_size = 32;
	assert_int_equal(rf_sim_open(&sim, &cfg, err, sizeof(err)), -EINVAL);
	cfg.geo.oob_size = T_OOB;
	/* The free OOB bytes decide where AUTO-mode data lives. */
	cfg.geo.oob_avail = T_OOB_AVAIL + 1;
	assert_int_equal(rf_sim_open(&sim, &cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "--oob-avail 6 "));
	cfg.geo.oob_avail = T_OOB_AVAIL;
	cfg.geo.type = RF_TYPE_MLC_NAND;
	assert_int_equal(rf_sim_open(&sim, &cfg, err, sizeof(err)), -EINVAL);
	/* The ECC is not a property of the stored bits: may change. */
	cfg.geo.type = RF_TYPE_NAND;
	cfg.geo.ecc_strength = 1;
	sim = t_open(&cfg);
	rf_sim_close(sim);
	unlink(cfg.image_path);
}

static void test_foreign_and_busy_files(void **state)
{
	struct rf_config cfg = t_image_config("foreign.img");
	struct rf_sim *sim, *second;
	char err[256];
	int fd;

	fd = open(cfg.image_path, O_CREAT | O_WRONLY, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "not an image, just text", 23), 23);
	close(fd);
	assert_int_equal(rf_sim_open(&sim, &cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not a ramflash image"));
	unlink(cfg.image_path);

	/* A truncated image is refused, not read past its end. */
	sim = t_open(&cfg);
	rf_sim_close(sim);
	assert_int_equal(truncate(cfg.image_path, 8192), 0);
	assert_int_equal(rf_sim_open(&sim, &cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "truncated"));
	unlink(cfg.image_path);

	/* Two simulators never share an image. */
	sim = t_open(&cfg);
	assert_int_equal(rf_sim_open(&second, &cfg, err, sizeof(err)), -EBUSY);
	assert_non_null(strstr(err, "in use"));
	rf_sim_close(sim);
	unlink(cfg.image_path);

	cfg.image_path = "/nonexistent-dir/x.img";
	assert_int_equal(rf_sim_open(&sim, &cfg, err, sizeof(err)), -ENOENT);
}

static void test_power_cut_torn_page(void **state)
{
	struct rf_config cfg = t_image_config("torn-page.img");
	uint8_t data[2 * T_PAGE], back[2 * T_PAGE], oob[2 * T_OOB];
	struct rf_io io;
	struct rf_sim *sim;

	cfg.faults.power_cut = true;
	cfg.faults.power_cut_after = 1;
	sim = t_open(&cfg);
	memset(data, 0x11, sizeof(data));
	assert_int_equal(t_write(sim, 0, data, T_PAGE), 0);
	/* The second program, two pages with OOB, is cut. */
	memset(data, 0x22, sizeof(data));
	memset(oob, 0x33, sizeof(oob));
	io = (struct rf_io){ .addr = T_BLOCK, .len = sizeof(data), .buf = data,
			     .oobbuf = oob, .ooblen = sizeof(oob),
			     .mode = RF_OOB_PLACE };
	assert_int_equal(rf_sim_write(sim, &io), RF_POWER_CUT);
	rf_sim_close(sim);

	cfg.faults.power_cut = false;
	sim = t_open(&cfg);
	t_read(sim, 0, back, T_PAGE, NULL);
	t_assert_filled(back, T_PAGE, 0x11);
	/* Page 0 complete with its OOB, page 1 half programmed, no OOB. */
	memset(oob, 0, sizeof(oob));
	io.buf = back;
	io.oobbuf = oob;
	assert_int_equal(rf_sim_read(sim, &io, &(struct rf_ecc){ 0 }), 0);
	t_assert_filled(back, T_PAGE + T_PAGE / 2, 0x22);
	t_assert_filled(back + T_PAGE + T_PAGE / 2, T_PAGE / 2, 0xff);
	t_assert_filled(oob, T_OOB, 0x33);
	t_assert_filled(oob + T_OOB, T_OOB, 0xff);
	rf_sim_close(sim);
	unlink(cfg.image_path);
}

static void test_power_cut_torn_erase(void **state)
{
	struct rf_config cfg = t_image_config("torn-erase.img");
	uint8_t data[T_BLOCK], back[T_BLOCK];
	struct rf_sim *sim;

	cfg.faults.power_cut = true;
	cfg.faults.power_cut_after = 1;
	sim = t_open(&cfg);
	memset(data, 0x00, sizeof(data));
	assert_int_equal(t_write(sim, 2 * T_BLOCK, data, T_BLOCK), 0);
	assert_int_equal(rf_sim_erase(sim, 2 * T_BLOCK, T_BLOCK), RF_POWER_CUT);
	rf_sim_close(sim);

	cfg.faults.power_cut = false;
	sim = t_open(&cfg);
	t_read(sim, 2 * T_BLOCK, back, T_BLOCK, NULL);
	/* The first half of the pages was erased, the rest was not. */
	t_assert_filled(back, T_BLOCK / 2, 0xff);
	t_assert_filled(back + T_BLOCK / 2, T_BLOCK / 2, 0x00);
	assert_int_equal(rf_sim_erase_count(sim, 2), 1);
	/* The erased half programs again; the rest stays programmed. */
	cfg.reprogram = RF_REPROGRAM_REFUSE;
	rf_sim_close(sim);
	sim = t_open(&cfg);
	assert_int_equal(t_write(sim, 2 * T_BLOCK, data, T_PAGE), 0);
	assert_int_equal(t_write(sim, 2 * T_BLOCK + T_BLOCK / 2, data, T_PAGE),
			 -EIO);
	rf_sim_close(sim);
	unlink(cfg.image_path);
}

static int t_remove_tempdir(void **state)
{
	/* The files are gone; t_tempfile("") names the directory itself. */
	rmdir(t_tempfile(""));
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_image_survives_restart),
		cmocka_unit_test(test_factory_bad_blocks_only_at_creation),
		cmocka_unit_test(test_geometry_mismatch_refused),
		cmocka_unit_test(test_foreign_and_busy_files),
		cmocka_unit_test(test_power_cut_torn_page),
		cmocka_unit_test(test_power_cut_torn_erase),
	};

	return cmocka_run_group_tests_name("ramflash-image", tests, NULL,
					   t_remove_tempdir);
}
