// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ramflash core: dumps in and out (dump.c), the layouts of nanddump,
 * nandwrite, flash programmers and plain NOR/RAM files.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dump.h"
#include "faults.h"
#include "helpers.h"

#define T_REC		(T_PAGE + T_OOB)
#define T_DUMP_OOB	(T_BLOCKS * T_PAGES_PER_BLOCK * T_REC)

/* The record of page @p in an OOB dump, its OOB after T_PAGE bytes. */
static uint8_t *t_rec(uint8_t *dump, uint32_t p)
{
	return dump + (size_t)p * T_REC;
}

/*
 * An OOB dump of the test chip as a real one would look: block 0 holds a
 * full page with OOB, a page of which only the second subpage was
 * programmed, a page with OOB only (a JFFS2 clean marker) and an erased
 * page; block 2 carries a bad-block marker (byte 5: 512-byte pages); the
 * other blocks hold a pattern in their first subpage.
 */
static uint8_t *t_make_dump(void)
{
	uint8_t *d = malloc(T_DUMP_OOB);
	uint32_t p;

	assert_non_null(d);
	memset(d, 0xff, T_DUMP_OOB);
	for (p = 0; p < T_REC; p++)
		t_rec(d, 0)[p] = (uint8_t)(p * 7);
	t_rec(d, 0)[T_PAGE + 5] = 0xff;	/* block 0 is good */
	memset(t_rec(d, 1) + T_SUBPAGE, 0x3c, T_SUBPAGE);
	memcpy(t_rec(d, 2) + T_PAGE + 2, "clean", 5);
	t_rec(d, 2 * T_PAGES_PER_BLOCK)[T_PAGE + 5] = 0x00;
	for (p = 3 * T_PAGES_PER_BLOCK; p < T_BLOCKS * T_PAGES_PER_BLOCK;
	     p += T_PAGES_PER_BLOCK)
		memset(t_rec(d, p), (int)p, T_SUBPAGE);
	return d;
}

/* t_export() - the dump of @sim in @fmt, in a new buffer of *len bytes. */
static uint8_t *t_export(struct rf_sim *sim, enum rf_dump_format fmt,
			 size_t *len, struct rf_dump_stats *stats)
{
	char *buf = NULL, err[256] = "";
	FILE *out = open_memstream(&buf, len);

	assert_non_null(out);
	if (rf_dump_export(sim, out, fmt, stats, err, sizeof(err)))
		fail_msg("rf_dump_export: %s", err);
	fclose(out);
	return (uint8_t *)buf;
}

/* t_import() - a new test chip of @type made from @len bytes of @dump. */
static struct rf_sim *t_import(enum rf_type type, enum rf_dump_format fmt,
			       uint8_t *dump, size_t len,
			       struct rf_dump_stats *stats)
{
	struct rf_config cfg = t_config(type);
	FILE *in = fmemopen(dump, len, "r");
	char err[256] = "";
	struct rf_sim *sim;

	assert_non_null(in);
	assert_int_equal(rf_geometry_complete(&cfg.geo, err, sizeof(err)), 0);
	cfg.reprogram = rf_type_is_nand(type) ? RF_REPROGRAM_REFUSE :
			RF_REPROGRAM_DEFAULT;
	if (rf_dump_scan_bad(in, &cfg.geo, fmt, &cfg.faults.bad_blocks, err,
			     sizeof(err)))
		fail_msg("rf_dump_scan_bad: %s", err);
	sim = t_open(&cfg);
	rf_block_list_free(&cfg.faults.bad_blocks);
	if (rf_dump_import(sim, in, fmt, stats, err, sizeof(err)))
		fail_msg("rf_dump_import: %s", err);
	fclose(in);
	return sim;
}

static void test_format_names(void **state)
{
	enum rf_dump_format fmt;

	assert_int_equal(rf_dump_format_parse("oob", &fmt), 0);
	assert_int_equal(fmt, RF_DUMP_OOB);
	assert_string_equal(rf_dump_format_name(fmt), "oob");
	assert_int_equal(rf_dump_format_parse("plain", &fmt), 0);
	assert_int_equal(fmt, RF_DUMP_PLAIN);
	assert_string_equal(rf_dump_format_name(fmt), "plain");
	assert_int_equal(rf_dump_format_parse("nanddump", &fmt), -EINVAL);
}

/* The size follows the dump; a dump of another size is refused. */
static void test_fit(void **state)
{
	struct rf_geometry geo = t_config(RF_TYPE_NAND).geo;
	char err[256];

	geo.size = 0;
	assert_int_equal(rf_dump_fit(&geo, RF_DUMP_OOB, 3 * T_PAGES_PER_BLOCK *
				     T_REC, true, err, sizeof(err)), 0);
	assert_int_equal(geo.size, 3 * T_BLOCK);
	assert_int_equal(rf_dump_fit(&geo, RF_DUMP_PLAIN, 3 * T_BLOCK, false,
				     err, sizeof(err)), 0);
	/* A plain dump read as an OOB one does not fit. */
	assert_int_equal(rf_dump_fit(&geo, RF_DUMP_OOB, 4 * T_BLOCK, true,
				     err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not a whole number"));
	assert_int_equal(rf_dump_fit(&geo, RF_DUMP_PLAIN, 4 * T_BLOCK, false,
				     err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "the geometry"));
	assert_int_equal(rf_dump_fit(&geo, RF_DUMP_PLAIN, 0, true, err,
				     sizeof(err)), -EINVAL);
	geo = t_config(RF_TYPE_NOR).geo;
	assert_int_equal(rf_geometry_complete(&geo, err, sizeof(err)), 0);
	assert_int_equal(rf_dump_fit(&geo, RF_DUMP_OOB, T_SIZE, true, err,
				     sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "needs OOB"));
}

static void test_bbm_offset(void **state)
{
	struct rf_geometry geo = t_config(RF_TYPE_NAND).geo;

	assert_int_equal(rf_dump_bbm_offset(&geo), 5);
	geo.page_size = 2048;
	assert_int_equal(rf_dump_bbm_offset(&geo), 0);
}

/*
 * An OOB dump comes back byte for byte, bad blocks aside: a bad block's
 * contents are not imported, it reads as ramflash marks it, and the
 * export keeps its marker where the kernel looks.
 */
static void test_oob_round_trip(void **state)
{
	uint8_t *dump = t_make_dump(), *back;
	struct rf_dump_stats stats;
	struct rf_sim *sim;
	size_t len, bad_off = 2 * T_PAGES_PER_BLOCK * T_REC;

	sim = t_import(RF_TYPE_NAND, RF_DUMP_OOB, dump, T_DUMP_OOB, &stats);
	assert_int_equal(rf_sim_bad_reason(sim, 2), RF_BLOCK_FACTORY_BAD);
	assert_int_equal(rf_sim_isbad(sim, 0), 0);
	/* Page 0 whole, page 1's second subpage, one subpage per block. */
	assert_int_equal(stats.programmed, T_PAGE + T_SUBPAGE + 5 * T_SUBPAGE);
	assert_int_equal(stats.oob_pages, 2);
	back = t_export(sim, RF_DUMP_OOB, &len, &stats);
	assert_int_equal(len, T_DUMP_OOB);
	assert_int_equal(stats.ecc_failed, 0);
	assert_memory_equal(back, dump, bad_off);
	assert_memory_equal(back + bad_off + T_PAGES_PER_BLOCK * T_REC,
			    dump + bad_off + T_PAGES_PER_BLOCK * T_REC,
			    T_DUMP_OOB - bad_off - T_PAGES_PER_BLOCK * T_REC);
	t_assert_filled(back + bad_off, T_PAGE, 0xff);
	assert_int_equal(back[bad_off + T_PAGE + 5], 0);
	rf_sim_close(sim);
	free(back);
	free(dump);
}

/*
 * Only what was programmed is: erased subpages of the dump can be
 * programmed later even where the chip refuses a second program.
 */
static void test_erased_units_stay_erased(void **state)
{
	uint8_t *dump = t_make_dump(), data[T_SUBPAGE];
	struct rf_dump_stats stats;
	struct rf_sim *sim;

	sim = t_import(RF_TYPE_NAND, RF_DUMP_OOB, dump, T_DUMP_OOB, &stats);
	memset(data, 0x11, sizeof(data));
	assert_int_equal(t_write(sim, T_PAGE, data, T_SUBPAGE), 0);
	assert_int_equal(t_write(sim, T_PAGE + T_SUBPAGE, data, T_SUBPAGE),
			 -EIO);
	assert_int_equal(t_write(sim, 0, data, T_SUBPAGE), -EIO);
	/* The page with only OOB has its data erased, the empty one too. */
	assert_int_equal(t_write(sim, 2 * T_PAGE, data, T_SUBPAGE), 0);
	assert_int_equal(t_write(sim, 3 * T_PAGE + T_SUBPAGE, data,
				 T_SUBPAGE), 0);
	rf_sim_close(sim);
	free(dump);
}

/* Erased pages cost nothing: the store holds about what was programmed. */
static void test_import_keeps_holes(void **state)
{
	uint8_t *dump = t_make_dump();
	struct rf_dump_stats stats;
	struct rf_sim *sim;
	uint64_t fresh;

	memset(dump, 0xff, T_DUMP_OOB);
	sim = t_open(&(struct rf_config){ .geo = t_config(RF_TYPE_NAND).geo });
	fresh = rf_sim_store_bytes(sim);
	rf_sim_close(sim);
	sim = t_import(RF_TYPE_NAND, RF_DUMP_OOB, dump, T_DUMP_OOB, &stats);
	assert_int_equal(stats.programmed, 0);
	/* At most the metadata page, read in by the bad-block checks. */
	assert_true(rf_sim_store_bytes(sim) <= fresh + 4096);
	rf_sim_close(sim);
	free(dump);
}

/*
 * A plain dump: data only.  Bad blocks come from the list alone and are
 * exported as 0xff, as nanddump's default --bb=padbad writes them.
 */
static void test_plain_nand(void **state)
{
	uint8_t *dump = t_make_dump(), *plain = malloc(T_SIZE), *back;
	struct rf_config cfg = t_config(RF_TYPE_NAND);
	struct rf_dump_stats stats;
	struct rf_sim *sim;
	char err[256];
	FILE *in;
	size_t len;
	uint32_t p;

	assert_non_null(plain);
	for (p = 0; p < T_BLOCKS * T_PAGES_PER_BLOCK; p++)
		memcpy(plain + p * T_PAGE, t_rec(dump, p), T_PAGE);
	in = fmemopen(plain, T_SIZE, "r");
	assert_non_null(in);
	/* No OOB, no markers: the marked block 2 is not found. */
	assert_int_equal(rf_dump_scan_bad(in, &cfg.geo, RF_DUMP_PLAIN,
					  &cfg.faults.bad_blocks, err,
					  sizeof(err)), 0);
	assert_int_equal(cfg.faults.bad_blocks.count, 0);
	assert_int_equal(rf_block_list_add(&cfg.faults.bad_blocks, 3), 0);
	sim = t_open(&cfg);
	rf_block_list_free(&cfg.faults.bad_blocks);
	assert_int_equal(rf_dump_import(sim, in, RF_DUMP_PLAIN, &stats, err,
					sizeof(err)), 0);
	fclose(in);
	assert_int_equal(stats.oob_pages, 0);
	back = t_export(sim, RF_DUMP_PLAIN, &len, &stats);
	assert_int_equal(len, T_SIZE);
	assert_memory_equal(back, plain, 3 * T_BLOCK);
	t_assert_filled(back + 3 * T_BLOCK, T_BLOCK, 0xff);
	assert_memory_equal(back + 4 * T_BLOCK, plain + 4 * T_BLOCK,
			    T_SIZE - 4 * T_BLOCK);
	rf_sim_close(sim);
	free(back);
	free(plain);
	free(dump);
}

/* NOR and RAM: a plain file in, the same file out. */
static void test_plain_nor_ram(void **state)
{
	static const enum rf_type types[] = { RF_TYPE_NOR, RF_TYPE_RAM };
	uint8_t *data = malloc(T_SIZE), *back;
	struct rf_dump_stats stats;
	struct rf_sim *sim;
	size_t i, len;

	assert_non_null(data);
	memset(data, 0xff, T_SIZE);
	for (i = 0; i < T_SIZE; i += 3 * T_PAGE)
		memset(data + i, (int)i, 100);
	for (i = 0; i < 2; i++) {
		sim = t_import(types[i], RF_DUMP_PLAIN, data, T_SIZE, &stats);
		back = t_export(sim, RF_DUMP_PLAIN, &len, &stats);
		assert_int_equal(len, T_SIZE);
		assert_memory_equal(back, data, T_SIZE);
		rf_sim_close(sim);
		free(back);
	}
	free(data);
}

/*
 * The export reads what the kernel reads: a page changed by a RAW write
 * behind its ECC comes back corrected; beyond the strength, as stored,
 * and counted.
 */
static void test_export_reads_through_ecc(void **state)
{
	struct rf_config cfg = t_config(RF_TYPE_NAND);
	uint8_t page[T_PAGE], flipped[T_PAGE], *back;
	struct rf_dump_stats stats;
	struct rf_io raw = {
		.addr = T_BLOCK, .len = T_PAGE, .buf = flipped,
		.mode = RF_OOB_RAW,
	};
	struct rf_sim *sim = t_open(&cfg);
	size_t len;

	memset(page, 0x5a, sizeof(page));
	assert_int_equal(t_write(sim, T_BLOCK, page, T_PAGE), 0);
	memcpy(flipped, page, sizeof(flipped));
	flipped[0] &= 0x0f;	/* two bits: corrected */
	assert_int_equal(rf_sim_write(sim, &raw), 0);
	back = t_export(sim, RF_DUMP_PLAIN, &len, &stats);
	assert_memory_equal(back + T_BLOCK, page, T_PAGE);
	assert_int_equal(stats.ecc_failed, 0);
	free(back);
	flipped[1] &= 0x0f;	/* two more in the same step: uncorrectable */
	assert_int_equal(rf_sim_write(sim, &raw), 0);
	back = t_export(sim, RF_DUMP_OOB, &len, &stats);
	assert_memory_equal(back + T_PAGES_PER_BLOCK * T_REC, flipped, T_PAGE);
	assert_int_equal(stats.ecc_failed, 1);
	assert_int_equal(stats.ecc_failed_addr, T_BLOCK);
	rf_sim_close(sim);
	free(back);
}

/* A dump shorter than its geometry says is an error, not a crash. */
static void test_short_dump(void **state)
{
	uint8_t *dump = t_make_dump();
	struct rf_config cfg = t_config(RF_TYPE_NAND);
	struct rf_dump_stats stats;
	struct rf_sim *sim = t_open(&cfg);
	char err[256] = "";
	FILE *in = fmemopen(dump, T_DUMP_OOB / 2, "r");

	assert_non_null(in);
	assert_int_equal(rf_dump_scan_bad(in, &cfg.geo, RF_DUMP_OOB,
					  &cfg.faults.bad_blocks, err,
					  sizeof(err)), -EIO);
	assert_non_null(strstr(err, "ends before"));
	assert_int_not_equal(rf_dump_import(sim, in, RF_DUMP_OOB, &stats, err,
					    sizeof(err)), 0);
	assert_non_null(strstr(err, "ends before"));
	fclose(in);
	rf_block_list_free(&cfg.faults.bad_blocks);
	rf_sim_close(sim);
	free(dump);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_names),
		cmocka_unit_test(test_fit),
		cmocka_unit_test(test_bbm_offset),
		cmocka_unit_test(test_oob_round_trip),
		cmocka_unit_test(test_erased_units_stay_erased),
		cmocka_unit_test(test_import_keeps_holes),
		cmocka_unit_test(test_plain_nand),
		cmocka_unit_test(test_plain_nor_ram),
		cmocka_unit_test(test_export_reads_through_ecc),
		cmocka_unit_test(test_short_dump),
	};

	return cmocka_run_group_tests_name("ramflash-dump", tests, NULL, NULL);
}
