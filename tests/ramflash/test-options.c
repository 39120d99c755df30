// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ramflash: the option parser (presets, suffixes, errors) and the
 * statistics report.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "faults.h"
#include "helpers.h"
#include "options.h"
#include "stats.h"

#define T_MAX_ARGS 64

/* Parse a NULL-terminated argument list; @out gets --help etc. */
static int t_parse(struct rf_options *o, char *err, size_t errlen, FILE *out,
		   const char *first, ...)
{
	char *argv[T_MAX_ARGS] = { "ramflash" };
	const char *arg = first;
	int argc = 1;
	va_list ap;

	va_start(ap, first);
	while (arg) {
		if (argc == T_MAX_ARGS - 1)
			fail_msg("more than %d arguments", T_MAX_ARGS - 2);
		argv[argc++] = (char *)arg;
		arg = va_arg(ap, const char *);
	}
	va_end(ap);
	argv[argc] = NULL;
	err[0] = '\0';
	return rf_options_parse(o, argc, argv, out ? out : stdout, err, errlen);
}

static void test_defaults(void **state)
{
	struct rf_options o;
	char err[256];

	assert_int_equal(t_parse(&o, err, sizeof(err), NULL, NULL), RF_PARSE_RUN);
	assert_int_equal(o.cfg.geo.type, RF_TYPE_NAND);
	assert_true(o.cfg.geo.size == 32ULL << 20);
	assert_int_equal(o.cfg.geo.page_size, 2048);
	assert_int_equal(o.cfg.geo.erase_size, 128 * 1024);
	assert_int_equal(o.cfg.geo.oob_size, 64);
	assert_int_equal(o.cfg.geo.oob_avail, 34);
	assert_int_equal(o.cfg.geo.subpage_size, 512);
	assert_int_equal(o.cfg.geo.ecc_strength, 4);
	assert_int_equal(o.cfg.geo.ecc_step, 512);
	assert_int_equal(o.threads, RF_DEFAULT_THREADS);
	assert_string_equal(o.device, "/dev/muse");
	assert_string_equal(o.name, "ramflash");
	assert_int_equal(o.max_io, 128 * 1024);
	assert_null(o.cfg.image_path);
	assert_false(o.cfg.faults.power_cut);
	assert_false(o.no_passthrough);
	assert_false(o.no_kernel_erase);
	assert_false(o.no_kernel_program);
	rf_options_free(&o);
}

static void test_passthrough_options(void **state)
{
	struct rf_options o;
	char err[256];

	assert_int_equal(t_parse(&o, err, sizeof(err), NULL,
				 "--no-kernel-program", NULL), RF_PARSE_RUN);
	assert_false(o.no_kernel_erase);
	assert_true(o.no_kernel_program);
	rf_options_free(&o);
	/* The kernel programs only the blocks whose erases it does. */
	assert_int_equal(t_parse(&o, err, sizeof(err), NULL,
				 "--no-kernel-erase", NULL), RF_PARSE_RUN);
	assert_false(o.no_passthrough);
	assert_true(o.no_kernel_erase);
	assert_true(o.no_kernel_program);
	rf_options_free(&o);
	/* The kernel erases through the store read passthrough registers. */
	assert_int_equal(t_parse(&o, err, sizeof(err), NULL,
				 "--no-passthrough", NULL), RF_PARSE_RUN);
	assert_true(o.no_passthrough);
	assert_true(o.no_kernel_erase);
	assert_true(o.no_kernel_program);
	rf_options_free(&o);
}

static void test_presets(void **state)
{
	struct rf_options o;
	char err[256];

	assert_int_equal(t_parse(&o, err, sizeof(err), NULL, "--chip",
				 "mlc-256m", NULL), RF_PARSE_RUN);
	assert_int_equal(o.cfg.geo.type, RF_TYPE_MLC_NAND);
	assert_int_equal(o.cfg.geo.page_size, 4096);
	assert_int_equal(o.cfg.geo.erase_size, 256 * 1024);
	assert_int_equal(o.cfg.geo.oob_size, 224);
	assert_int_equal(o.cfg.geo.subpage_size, 4096);
	rf_options_free(&o);
	/* Geometry options override the preset in any order. */
	assert_int_equal(t_parse(&o, err, sizeof(err), NULL, "--size", "16M",
				 "--chip", "slc-128m", NULL), RF_PARSE_RUN);
	assert_true(o.cfg.geo.size == 16ULL << 20);
	assert_int_equal(o.cfg.geo.page_size, 2048);
	rf_options_free(&o);
	assert_int_equal(t_parse(&o, err, sizeof(err), NULL, "--chip",
				 "nor-16m", NULL), RF_PARSE_RUN);
	assert_int_equal(o.cfg.geo.type, RF_TYPE_NOR);
	assert_int_equal(o.cfg.geo.page_size, 1);
	assert_int_equal(o.cfg.geo.erase_size, 64 * 1024);
	assert_int_equal(o.cfg.geo.writebuf_size, 512);
	assert_int_equal(o.cfg.geo.oob_size, 0);
	rf_options_free(&o);
	/* A bare --type starts from that type's preset. */
	assert_int_equal(t_parse(&o, err, sizeof(err), NULL, "--type", "ram",
				 NULL), RF_PARSE_RUN);
	assert_int_equal(o.cfg.geo.type, RF_TYPE_RAM);
	assert_true(o.cfg.geo.size == 16ULL << 20);
	rf_options_free(&o);
	/* Every preset is valid as it stands. */
	for (const struct rf_chip *c = rf_chips; c->name; c++) {
		assert_int_equal(t_parse(&o, err, sizeof(err), NULL, "--chip",
					 c->name, NULL), RF_PARSE_RUN);
		rf_options_free(&o);
	}
}

static void test_sizes(void **state)
{
	uint64_t v;

	assert_int_equal(rf_parse_size("4096", &v), 0);
	assert_true(v == 4096);
	assert_int_equal(rf_parse_size("128K", &v), 0);
	assert_true(v == 128 * 1024);
	assert_int_equal(rf_parse_size("128KiB", &v), 0);
	assert_true(v == 128 * 1024);
	assert_int_equal(rf_parse_size("32m", &v), 0);
	assert_true(v == 32ULL << 20);
	assert_int_equal(rf_parse_size("2G", &v), 0);
	assert_true(v == 2ULL << 30);
	assert_int_equal(rf_parse_size("0x800", &v), 0);
	assert_true(v == 0x800);
	assert_int_equal(rf_parse_size("12X", &v), -EINVAL);
	assert_int_equal(rf_parse_size("K", &v), -EINVAL);
	assert_int_equal(rf_parse_size("-1", &v), -EINVAL);
	assert_int_equal(rf_parse_size("1Kx", &v), -EINVAL);
	assert_int_equal(rf_parse_size("99999999999999999999", &v), -EINVAL);
	assert_int_equal(rf_parse_size("17179869184G", &v), -EINVAL);
}

static void test_fault_options(void **state)
{
	struct rf_options o, again;
	char err[256];

	assert_int_equal(t_parse(&o, err, sizeof(err), NULL, "--seed", "5",
				 "--bad-blocks", "3,7-8", "--bad-block-count", "2",
				 "--endurance", "1000", "--bitflip-rate", "0.001",
				 "--bitflip-max", "6", "--read-disturb", "5000",
				 "--retention", "100000", "--fail-program", "9",
				 "--fail-erase", "10,11", "--latency-read", "25",
				 "--latency-program", "200", "--latency-erase",
				 "1500", "--power-cut-after", "77", "--image",
				 "/tmp/x.img", "--stats", "/tmp/x.json",
				 "--stats-svg", "/tmp/x.svg", "--threads", "4", "--nand-reprogram", "refuse",
				 "--partitions", "1M(boot),-(ubi)", "--max-io",
				 "256K", "--weak-blocks", "113:2", "--weak-pages",
				 "1401", "--grave-pages", "7:0", "--wear-report",
				 "100", "-v", NULL),
			 RF_PARSE_RUN);
	assert_true(o.cfg.faults.seed == 5);
	assert_int_equal(o.cfg.faults.bad_blocks.count, 3);
	assert_true(o.cfg.faults.bad_block_count == 2);
	assert_int_equal(o.cfg.faults.endurance, 1000);
	assert_true(o.cfg.faults.bitflip_rate == 0.001);
	assert_int_equal(o.cfg.faults.bitflip_max, 6);
	assert_int_equal(o.cfg.faults.read_disturb, 5000);
	assert_true(o.cfg.faults.retention == 100000);
	assert_true(rf_block_list_contains(&o.cfg.faults.fail_program, 9));
	assert_int_equal(o.cfg.faults.fail_erase.count, 2);
	assert_int_equal(o.cfg.faults.latency_read_us, 25);
	assert_int_equal(o.cfg.faults.latency_program_us, 200);
	assert_int_equal(o.cfg.faults.latency_erase_us, 1500);
	assert_true(o.cfg.faults.power_cut && o.cfg.faults.power_cut_after == 77);
	assert_string_equal(o.cfg.image_path, "/tmp/x.img");
	assert_string_equal(o.stats_path, "/tmp/x.json");
	assert_string_equal(o.svg_path, "/tmp/x.svg");
	assert_int_equal(o.threads, 4);
	assert_int_equal(o.cfg.reprogram, RF_REPROGRAM_REFUSE);
	assert_string_equal(o.partitions, "1M(boot),-(ubi)");
	assert_int_equal(o.max_io, 256 * 1024);
	assert_int_equal(o.verbosity, RF_VERBOSE);
	assert_ptr_equal(o.cfg.log, stderr);
	assert_true(o.cfg.faults.weak_blocks.count == 1 &&
		    o.cfg.faults.weak_blocks.items[0].index == 113 &&
		    o.cfg.faults.weak_blocks.items[0].max == 2);
	assert_true(o.cfg.faults.weak_pages.count == 1 &&
		    o.cfg.faults.weak_pages.items[0].index == 1401 &&
		    o.cfg.faults.weak_pages.items[0].max == RF_LIMIT_DEFAULT);
	assert_true(o.cfg.wear_report == 100);
	assert_true(o.cfg.faults.grave_pages.count == 1 &&
		    o.cfg.faults.grave_pages.items[0].max == 0);
	rf_options_free(&o);

	/* A random power cut is drawn from the seed, inside the range. */
	assert_int_equal(t_parse(&o, err, sizeof(err), NULL, "--seed", "9",
				 "--power-cut-random", "100-200", NULL),
			 RF_PARSE_RUN);
	assert_int_equal(t_parse(&again, err, sizeof(err), NULL,
				 "--power-cut-random", "100-200", "--seed", "9",
				 NULL), RF_PARSE_RUN);
	assert_true(o.cfg.faults.power_cut);
	assert_in_range(o.cfg.faults.power_cut_after, 100, 200);
	assert_true(o.cfg.faults.power_cut_after ==
		    again.cfg.faults.power_cut_after);
	rf_options_free(&o);
	rf_options_free(&again);
}

/* Each of these must fail with a message naming the problem. */
static void test_bad_options(void **state)
{
	static const struct {
		const char *opt, *value, *needle;
	} cases[] = {
		{ "--type", "eeprom", "--type" },
		{ "--chip", "nosuch", "unknown chip" },
		{ "--size", "12X", "--size" },
		{ "--size", "1000", "multiple of the erase size" },
		{ "--page-size", "1000", "power of two" },
		{ "--erase-size", "3000", "multiple of the page size" },
		{ "--oob-avail", "65", "exceeds the OOB size" },
		{ "--subpage-size", "768", "subpage" },
		{ "--ecc-step", "384", "ECC step" },
		{ "--bitflip-threshold", "5", "threshold" },
		{ "--threads", "0", "--threads" },
		{ "--endurance", "-3", "--endurance" },
		{ "--bitflip-rate", "1.5", "--bitflip-rate" },
		{ "--bitflip-rate", "abc", "--bitflip-rate" },
		{ "--bad-blocks", "3,x", "block list" },
		{ "--weak-pages", "1:x", "N or N:count" },
		{ "--grave-pages", "", "N or N:count" },
		{ "--power-cut-random", "9-3", "--power-cut-random" },
		{ "--power-cut-random", "9", "--power-cut-random" },
		{ "--nand-reprogram", "sometimes", "allow or refuse" },
		{ "--max-io", "1K", "below the write buffer" },
		{ "--name", "", "empty" },
		{ "--retention", "0", "--retention" },
		{ "--wear-report", "0", "--wear-report" },
		{ "--nosuch", NULL, "unknown option" },
		{ "--compat", NULL, "--compat" },
	};
	struct rf_options o;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int ret = t_parse(&o, err, sizeof(err), NULL, cases[i].opt,
				  cases[i].value, NULL);

		rf_options_free(&o);
		if (ret != -EINVAL || !strstr(err, cases[i].needle))
			fail_msg("%s %s: got %d '%s'", cases[i].opt,
				 cases[i].value ? cases[i].value : "", ret, err);
		assert_null(strchr(err, '\n'));
	}
	assert_int_equal(t_parse(&o, err, sizeof(err), NULL, "--size", NULL),
			 -EINVAL);
	assert_non_null(strstr(err, "needs a value"));
	rf_options_free(&o);
	assert_int_equal(t_parse(&o, err, sizeof(err), NULL, "stray", NULL),
			 -EINVAL);
	assert_non_null(strstr(err, "unexpected argument"));
	rf_options_free(&o);
	/* NOR with a page size, or NAND options on NOR, are refused. */
	assert_int_equal(t_parse(&o, err, sizeof(err), NULL, "--type", "nor",
				 "--page-size", "512", NULL), -EINVAL);
	rf_options_free(&o);
	assert_int_equal(t_parse(&o, err, sizeof(err), NULL, "--type", "nor",
				 "--nand-reprogram", "allow", NULL), -EINVAL);
	rf_options_free(&o);
}

static void test_help_and_list(void **state)
{
	struct rf_options o;
	char err[256], *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	assert_non_null(out);
	assert_int_equal(t_parse(&o, err, sizeof(err), out, "--list-chips",
				 NULL), RF_PARSE_DONE);
	rf_options_free(&o);
	assert_int_equal(t_parse(&o, err, sizeof(err), out, "--help", NULL),
			 RF_PARSE_DONE);
	rf_options_free(&o);
	fclose(out);
	for (const struct rf_chip *c = rf_chips; c->name; c++)
		assert_non_null(strstr(text, c->name));
	/* --help mentions every option the parser takes. */
	assert_non_null(strstr(text, "--power-cut-random"));
	assert_non_null(strstr(text, "--oob-avail"));
	assert_non_null(strstr(text, "Exit status"));
	free(text);
}

static void test_stats_json(void **state)
{
	struct rf_config cfg = t_config(RF_TYPE_NAND);
	uint8_t page[T_PAGE];
	struct rf_sim *sim;
	char *text;
	FILE *out;

	assert_int_equal(rf_block_list_add(&cfg.faults.bad_blocks, 6), 0);
	sim = t_open(&cfg);
	rf_block_list_free(&cfg.faults.bad_blocks);
	memset(page, 0, sizeof(page));
	assert_int_equal(t_write(sim, 0, page, T_PAGE), 0);
	t_read(sim, 0, page, T_PAGE, NULL);
	assert_int_equal(rf_sim_erase(sim, T_BLOCK, T_BLOCK), 0);
	assert_int_equal(rf_sim_erase(sim, T_BLOCK, T_BLOCK), 0);
	assert_int_equal(rf_sim_erase(sim, 0, T_BLOCK), 0);
	assert_int_equal(rf_sim_markbad(sim, 2 * T_BLOCK), 0);
	text = t_report(sim, true);
	assert_non_null(strstr(text, "\"type\": \"nand\", \"size\": 16384, "
			       "\"page_size\": 512, \"erase_size\": 2048, "
			       "\"oob_size\": 16, \"oob_avail\": 6, "
			       "\"subpage_size\": 256, \"ecc_strength\": 2, "
			       "\"ecc_step\": 256, \"blocks\": 8}"));
	assert_non_null(strstr(text, "\"writes\": 1,"));
	assert_non_null(strstr(text, "\"write_bytes\": 512,"));
	assert_non_null(strstr(text, "\"reads\": 1,"));
	assert_non_null(strstr(text, "\"erases\": 3,"));
	assert_non_null(strstr(text, "\"markbad\": 1,"));
	assert_non_null(strstr(text, "\"power_cuts\": 0\n"));
	assert_non_null(strstr(text, "\"erase_counts\": [1,2,0,0,0,0,0,0]"));
	assert_non_null(strstr(text, "\"erase_count_max\": 2"));
	assert_non_null(strstr(text, "\"bad_blocks\": [{\"block\": 2, \"reason\": "
			       "\"marked\"}, {\"block\": 6, \"reason\": \"factory\"}]"));
	assert_non_null(strstr(text, "\"power_cut\": false"));
	free(text);

	/* The human report names the same numbers. */
	text = t_report(sim, false);
	assert_non_null(strstr(text, "erase counts: min 0 avg 0.38 max 2 over 8 blocks"));
	assert_non_null(strstr(text, "bad blocks: 2 2 6"));
	free(text);

	/* The file version is written whole. */
	const char *path = t_tempfile("stats.json");

	assert_int_equal(rf_stats_save_json(sim, path), 0);
	out = fopen(path, "r");
	assert_non_null(out);
	text = calloc(1, 8192);
	assert_true(fread(text, 1, 8191, out) > 100);
	fclose(out);
	assert_non_null(strstr(text, "\"erase_counts\": [1,2,0,0,0,0,0,0]"));
	free(text);
	unlink(path);
	rmdir(t_tempfile(""));
	assert_int_equal(rf_stats_save_json(sim, "/nonexistent-dir/s.json"),
			 -ENOENT);
	rf_sim_close(sim);
}

static void test_geometry_from_image(void **state)
{
	const char *path = t_tempfile("geometry.img");
	struct rf_options o, again;
	struct rf_sim *sim;
	char err[256];

	/* A missing image: the default chip. */
	assert_int_equal(t_parse(&o, err, sizeof(err), NULL, "--image", path,
				 NULL), RF_PARSE_RUN);
	assert_true(o.cfg.geo.size == 32ULL << 20);
	rf_options_free(&o);
	assert_int_equal(t_parse(&o, err, sizeof(err), NULL, "--chip", "slc-8m",
				 "--oob-avail", "16", "--ecc-strength", "8",
				 "--image", path, NULL), RF_PARSE_RUN);
	assert_int_equal(rf_sim_open(&sim, &o.cfg, err, sizeof(err)), 0);
	rf_sim_close(sim);
	/* The image alone gives back the whole geometry... */
	assert_int_equal(t_parse(&again, err, sizeof(err), NULL, "--image", path,
				 NULL), RF_PARSE_RUN);
	assert_memory_equal(&again.cfg.geo, &o.cfg.geo, sizeof(o.cfg.geo));
	assert_int_equal(again.max_io, 128 * 1024);
	rf_options_free(&again);
	/* ...but any geometry option means the command line decides. */
	assert_int_equal(t_parse(&again, err, sizeof(err), NULL, "--image", path,
				 "--size", "8M", NULL), RF_PARSE_RUN);
	assert_int_equal(again.cfg.geo.ecc_strength, 4);
	rf_options_free(&again);
	rf_options_free(&o);
	unlink(path);
	rmdir(t_tempfile(""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_passthrough_options),
		cmocka_unit_test(test_presets),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_fault_options),
		cmocka_unit_test(test_bad_options),
		cmocka_unit_test(test_help_and_list),
		cmocka_unit_test(test_stats_json),
		cmocka_unit_test(test_geometry_from_image),
	};

	return cmocka_run_group_tests_name("ramflash-options", tests, NULL, NULL);
}
