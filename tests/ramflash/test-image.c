// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ramflash core: the persistent image (reuse, refusal, power cuts).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "counters.h"
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

/* The scale geometry of the vm suite: 16 GiB, 4 KiB pages, 512 KiB blocks. */
static struct rf_config t_big_config(const char *name)
{
	struct rf_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.geo.type = RF_TYPE_MLC_NAND;
	cfg.geo.size = 16ULL << 30;
	cfg.geo.page_size = 4096;
	cfg.geo.erase_size = 512 * 1024;
	cfg.geo.oob_size = 224;
	cfg.geo.oob_avail = RF_GEO_DEFAULT;
	cfg.geo.ecc_strength = 24;
	cfg.geo.ecc_step = 1024;
	cfg.image_path = name ? t_tempfile(name) : NULL;
	return cfg;
}

static uint64_t t_allocated(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return (uint64_t)st.st_blocks * 512;
}

/*
 * Memory and disk follow the data: a new 16 GiB chip holds only its
 * header and per-block metadata; programs add about what they write, an
 * erase gives it back.
 */
static void test_store_is_sparse(void **state)
{
	struct rf_config cfg = t_big_config("big.img");
	const size_t block = cfg.geo.erase_size;
	/* Header and metadata: 32768 blocks, a record of 64 bytes each. */
	const uint64_t meta_max = 4096 + 32768 * 64;
	uint8_t *data = malloc(block), *back = malloc(block);
	uint64_t fresh, written, erased;
	struct rf_sim *sim;

	assert_non_null(data);
	assert_non_null(back);
	sim = t_open(&cfg);
	assert_int_equal(rf_sim_sync(sim), 0);
	fresh = t_allocated(cfg.image_path);
	assert_true(fresh <= meta_max);
	/* Reads of never-programmed flash allocate nothing either. */
	t_read(sim, 7ULL << 30, back, block, NULL);
	t_assert_filled(back, block, 0xff);
	memset(data, 0x5a, block);
	assert_int_equal(t_write(sim, 3ULL << 30, data, block), 0);
	assert_int_equal(rf_sim_sync(sim), 0);
	written = t_allocated(cfg.image_path);
	assert_true(written >= fresh + block);
	assert_true(written <= fresh + block + meta_max);
	assert_int_equal(rf_sim_store_bytes(sim), written);
	assert_int_equal(rf_sim_erase(sim, 3ULL << 30, block), 0);
	assert_int_equal(rf_sim_sync(sim), 0);
	erased = t_allocated(cfg.image_path);
	assert_true(erased < written - block + 4096);
	t_read(sim, 3ULL << 30, back, block, NULL);
	t_assert_filled(back, block, 0xff);
	assert_int_equal(rf_sim_erase_count(sim, (3ULL << 30) / block), 1);
	rf_sim_close(sim);
	unlink(cfg.image_path);
	free(data);
	free(back);
}

/* The anonymous store is sparse the same way. */
static void test_anonymous_store_is_sparse(void **state)
{
	struct rf_config cfg = t_big_config(NULL);
	const size_t block = cfg.geo.erase_size;
	uint8_t *data = malloc(block);
	struct rf_sim *sim = t_open(&cfg);
	uint64_t fresh, written;

	assert_non_null(data);
	fresh = rf_sim_store_bytes(sim);
	memset(data, 0, block);
	assert_int_equal(t_write(sim, 0, data, block), 0);
	written = rf_sim_store_bytes(sim);
	assert_true(written >= fresh + block);
	assert_int_equal(rf_sim_erase(sim, 0, block), 0);
	assert_true(rf_sim_store_bytes(sim) < written - block + 4096);
	rf_sim_close(sim);
	free(data);
}

/*
 * The documented layout (image.h, doc/ramflash.md): device byte a is
 * stored as ~a at data_off + a, a page's OOB at oob_off + page * oob_size;
 * a later reader (read passthrough) relies on it.
 */
static void test_layout_is_inverted_data(void **state)
{
	struct rf_config cfg = t_image_config("layout.img");
	uint8_t page[T_PAGE], raw[T_PAGE], oob[T_OOB];
	struct rf_image_header hdr;
	struct rf_io io;
	struct rf_sim *sim = t_open(&cfg);
	size_t i;
	int fd;

	for (i = 0; i < sizeof(page); i++)
		page[i] = (uint8_t)(i * 7);
	memset(oob, 0x3c, sizeof(oob));
	io = (struct rf_io){ .addr = 3 * T_BLOCK + T_PAGE, .len = T_PAGE,
			     .buf = page, .oobbuf = oob, .ooblen = T_OOB,
			     .mode = RF_OOB_PLACE };
	assert_int_equal(rf_sim_write(sim, &io), 0);
	assert_int_equal(rf_sim_sync(sim), 0);
	fd = open(cfg.image_path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &hdr, sizeof(hdr), 0), sizeof(hdr));
	assert_int_equal(hdr.version, 3);
	assert_int_equal(pread(fd, raw, T_PAGE, (off_t)(hdr.data_off + io.addr)),
			 T_PAGE);
	for (i = 0; i < sizeof(page); i++)
		assert_int_equal(raw[i], (uint8_t)~page[i]);
	/* The page before it was never programmed: a hole, zeros. */
	assert_int_equal(pread(fd, raw, T_PAGE,
			       (off_t)(hdr.data_off + io.addr - T_PAGE)), T_PAGE);
	t_assert_filled(raw, T_PAGE, 0x00);
	assert_int_equal(pread(fd, raw, T_OOB, (off_t)(hdr.oob_off +
			       io.addr / T_PAGE * T_OOB)), T_OOB);
	t_assert_filled(raw, T_OOB, 0xc3);
	close(fd);
	rf_sim_close(sim);
	unlink(cfg.image_path);
}

/* An image of the fully allocated format is refused with what to do. */
static void test_old_version_refused(void **state)
{
	struct rf_config cfg = t_image_config("v2.img");
	struct rf_image_header hdr;
	struct rf_sim *sim = t_open(&cfg);
	char err[512];
	int fd;

	rf_sim_close(sim);
	fd = open(cfg.image_path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &hdr, sizeof(hdr), 0), sizeof(hdr));
	hdr.version = 2;
	assert_int_equal(pwrite(fd, &hdr, sizeof(hdr), 0), sizeof(hdr));
	close(fd);
	assert_int_equal(rf_sim_open(&sim, &cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "version 2"));
	assert_non_null(strstr(err, "remove the file"));
	unlink(cfg.image_path);
}

/*
 * A store that cannot take the data (here: a file size limit, as a full
 * disk would) fails the program with -EIO and counts it; nothing crashes
 * and the flash keeps what it had.
 */
static void test_store_failure_is_eio(void **state)
{
	struct rf_config cfg = t_image_config("full.img");
	struct rlimit old, small = { .rlim_cur = 4096, .rlim_max = 0 };
	uint8_t page[T_PAGE], back[T_PAGE];
	struct rf_sim *sim = t_open(&cfg);

	memset(page, 0x42, sizeof(page));
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	small.rlim_max = old.rlim_max;
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
	assert_int_equal(t_write(sim, T_BLOCK, page, T_PAGE), -EIO);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);
	assert_int_equal(rf_stats_get(rf_sim_stats(sim), store_errors), 1);
	t_read(sim, T_BLOCK, back, T_PAGE, NULL);
	t_assert_filled(back, T_PAGE, 0xff);
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
		cmocka_unit_test(test_store_is_sparse),
		cmocka_unit_test(test_anonymous_store_is_sparse),
		cmocka_unit_test(test_layout_is_inverted_data),
		cmocka_unit_test(test_old_version_refused),
		cmocka_unit_test(test_store_failure_is_eio),
	};

	return cmocka_run_group_tests_name("ramflash-image", tests, NULL,
					   t_remove_tempdir);
}
