// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ramflash --rerun: a --stats report records the options of its run, and
 * --rerun REPORT reads them back into the same option set; reports that
 * are not ours are refused with the reason.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "options.h"
#include "report.h"
#include "stats.h"

#define T_ARGS_MAX 40

/* Parse a NULL-terminated list of arguments. */
static int t_parse_list(struct rf_options *o, const char *const *list,
			char *err, size_t errlen)
{
	char *argv[T_ARGS_MAX] = { "ramflash" };
	int argc = 1;

	while (*list) {
		if (argc == T_ARGS_MAX - 1)
			fail_msg("more than %d arguments", T_ARGS_MAX - 2);
		argv[argc++] = (char *)*list++;
	}
	err[0] = '\0';
	return rf_options_parse(o, argc, argv, stdout, err, errlen);
}

/* Open the chip @o describes and write its report to @path. */
static void t_write_report(struct rf_options *o, const char *path)
{
	struct rf_sim *sim = t_open(&o->cfg);

	assert_int_equal(rf_stats_save_json(sim, path), 0);
	rf_sim_close(sim);
}

static void t_assert_same_args(const struct rf_options *a,
			       const struct rf_options *b)
{
	size_t i;

	assert_int_equal(a->cfg.nargs, b->cfg.nargs);
	for (i = 0; i < a->cfg.nargs; i++)
		assert_string_equal(a->cfg.args[i], b->cfg.args[i]);
}

/* The chip and the faults, field by field. */
static void t_assert_same_chip(const struct rf_options *a,
			       const struct rf_options *b)
{
	const struct rf_faults *x = &a->cfg.faults, *y = &b->cfg.faults;

	assert_memory_equal(&a->cfg.geo, &b->cfg.geo, sizeof(a->cfg.geo));
	assert_true(x->seed == y->seed);
	assert_true(x->power_cut == y->power_cut &&
		    x->power_cut_after == y->power_cut_after);
	assert_true(x->bitflip_rate == y->bitflip_rate);
	assert_int_equal(x->bad_blocks.count, y->bad_blocks.count);
	assert_true(x->bad_block_count == y->bad_block_count);
	assert_int_equal(x->endurance, y->endurance);
	assert_int_equal(x->weak_pages.count, y->weak_pages.count);
	assert_int_equal(x->weak_blocks.count, y->weak_blocks.count);
	assert_int_equal(x->grave_pages.count, y->grave_pages.count);
	assert_int_equal(a->cfg.reprogram, b->cfg.reprogram);
	assert_string_equal(a->name, b->name);
}

static void test_rerun_same_options(void **state)
{
	const char *report = strdup(t_tempfile("run.json"));
	const char *const first[] = {
		"--nand-id", "0xec,0xd3,0x51,0x95", "--size", "16M",
		"--seed", "7", "--bad-blocks", "3,9-10", "--bad-block-count",
		"2", "--endurance", "100", "--weak-pages", "5:1,9",
		"--weak-blocks", "4:2", "--grave-pages", "6", "--bitflip-rate",
		"0.01", "--power-cut-random", "100-200", "--name",
		"a \"quoted\" \\ name\twith\ncontrols", "--nand-reprogram",
		"refuse", "--stats", "/nonexistent/ignored.json", "-v", NULL,
	};
	const char *const rerun[] = { "--rerun", report, NULL };
	const char *const override[] = { "--seed", "8", "--rerun", report,
					 NULL };
	struct rf_options o, again, other;
	char err[256];

	assert_int_equal(t_parse_list(&o, first, err, sizeof(err)),
			 RF_PARSE_RUN);
	/* Where this run's files go is not the chip's. */
	for (size_t i = 0; i < o.cfg.nargs; i++)
		assert_string_not_equal(o.cfg.args[i], "--stats");
	t_write_report(&o, report);
	assert_int_equal(t_parse_list(&again, rerun, err, sizeof(err)),
			 RF_PARSE_RUN);
	t_assert_same_args(&o, &again);
	t_assert_same_chip(&o, &again);
	assert_null(again.stats_path);
	/* The command line overrides the report, wherever it stands. */
	assert_int_equal(t_parse_list(&other, override, err, sizeof(err)),
			 RF_PARSE_RUN);
	assert_true(other.cfg.faults.seed == 8);
	assert_true(other.cfg.geo.size == 16ULL << 20);
	assert_int_equal(other.cfg.nargs, o.cfg.nargs + 2);
	rf_options_free(&o);
	rf_options_free(&again);
	rf_options_free(&other);
	unlink(report);
	free((char *)report);
}

/* A chip whose geometry came from its image records the geometry. */
static void test_rerun_geometry_from_image(void **state)
{
	const char *image = strdup(t_tempfile("chip.img"));
	const char *report = strdup(t_tempfile("image.json"));
	const char *const make[] = { "--chip", "slc-8m", "--image", image,
				     NULL };
	const char *const reuse[] = { "--image", image, NULL };
	const char *const rerun[] = { "--rerun", report, NULL };
	struct rf_options o, again;
	struct rf_sim *sim;
	char err[256];

	assert_int_equal(t_parse_list(&o, make, err, sizeof(err)), RF_PARSE_RUN);
	sim = t_open(&o.cfg);
	rf_sim_close(sim);
	rf_options_free(&o);
	assert_int_equal(t_parse_list(&o, reuse, err, sizeof(err)),
			 RF_PARSE_RUN);
	t_write_report(&o, report);
	assert_int_equal(t_parse_list(&again, rerun, err, sizeof(err)),
			 RF_PARSE_RUN);
	assert_null(again.cfg.image_path);
	assert_memory_equal(&o.cfg.geo, &again.cfg.geo, sizeof(o.cfg.geo));
	assert_memory_equal(&o.cfg.geo, &rf_find_chip("slc-8m")->geo.type,
			    sizeof(enum rf_type));
	rf_options_free(&o);
	rf_options_free(&again);
	unlink(image);
	unlink(report);
	free((char *)image);
	free((char *)report);
}

/* The same requests on any chip: program and read every block twice. */
static void t_workload(struct rf_sim *sim)
{
	static uint8_t page[2048], back[2048];
	struct rf_io rd = { .len = sizeof(back), .buf = back };
	struct rf_ecc ecc;
	uint64_t b, p, addr;
	int round;

	for (round = 0; round < 2; round++) {
		for (b = 0; b < rf_sim_blocks(sim); b++) {
			rf_sim_erase(sim, b * 131072, 131072);
			for (p = 0; p < 4; p++) {
				addr = b * 131072 + p * sizeof(page);
				memset(page, (int)(b + p + round), sizeof(page));
				t_write(sim, addr, page, sizeof(page));
				rd.addr = addr;
				rf_sim_read(sim, &rd, &ecc);
			}
		}
	}
}

/* The whole of a file, to free(); *len its size. */
static char *t_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *text;
	long size;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	size = ftell(f);
	rewind(f);
	text = malloc((size_t)size + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)size, f), (size_t)size);
	text[size] = '\0';
	fclose(f);
	*len = (size_t)size;
	return text;
}

/*
 * A run with faults of every kind, then its rerun on a new image with the
 * same requests: the same image bytes and the same report.
 */
static void test_rerun_same_run(void **state)
{
	char *image = strdup(t_tempfile("first.img"));
	char *image2 = strdup(t_tempfile("again.img"));
	char *report = strdup(t_tempfile("first.json"));
	char *report2 = strdup(t_tempfile("again.json"));
	const char *const first[] = {
		"--chip", "slc-8m", "--seed", "3", "--bitflip-rate", "0.05",
		"--read-disturb", "3", "--weak-pages", "66:0", "--grave-pages",
		"1:0", "--weak-blocks", "9:0", "--bad-block-count", "2",
		"--power-cut-random", "150-250", "--image", image, NULL,
	};
	const char *const rerun[] = { "--rerun", report, "--image", image2,
				      NULL };
	struct rf_options o, again;
	char *a, *b;
	size_t alen, blen;
	struct rf_sim *sim;
	char err[256];

	assert_int_equal(t_parse_list(&o, first, err, sizeof(err)),
			 RF_PARSE_RUN);
	sim = t_open(&o.cfg);
	t_workload(sim);
	/* Every kind of fault happened. */
	assert_true(rf_sim_power_cut_done(sim));
	assert_true(rf_stats_get(rf_sim_stats(sim), flips_random) > 0);
	assert_true(rf_stats_get(rf_sim_stats(sim), flips_disturb) > 0);
	assert_true(rf_stats_get(rf_sim_stats(sim), grave_reads) > 0);
	assert_true(rf_stats_get(rf_sim_stats(sim), program_failures) > 0);
	assert_true(rf_stats_get(rf_sim_stats(sim), erase_failures) > 0);
	assert_int_equal(rf_stats_save_json(sim, report), 0);
	rf_sim_close(sim);
	assert_int_equal(t_parse_list(&again, rerun, err, sizeof(err)),
			 RF_PARSE_RUN);
	sim = t_open(&again.cfg);
	t_workload(sim);
	assert_int_equal(rf_stats_save_json(sim, report2), 0);
	rf_sim_close(sim);
	a = t_slurp(report, &alen);
	b = t_slurp(report2, &blen);
	assert_string_equal(a, b);
	free(a);
	free(b);
	a = t_slurp(image, &alen);
	b = t_slurp(image2, &blen);
	assert_int_equal(alen, blen);
	assert_memory_equal(a, b, alen);
	free(a);
	free(b);
	rf_options_free(&o);
	rf_options_free(&again);
	unlink(image);
	unlink(image2);
	unlink(report);
	unlink(report2);
	free(image);
	free(image2);
	free(report);
	free(report2);
}

/* Reports that are not ours, each refused with what is wrong. */
static void test_rerun_bad_reports(void **state)
{
	static const char *const cases[][2] = {
		{ "", "not JSON" },
		{ "{", "not JSON" },
		{ "[]", "not JSON" },
		{ "{\"schema\": 1, \"options\": []} trailing", "not JSON" },
		{ "{\"schema\": 1, \"options\": [1]}", "not JSON" },
		{ "{\"schema\": 1, \"options\": [\"\\u0000\"]}", "not JSON" },
		{ "{\"schema\": 1, \"options\": [\"\\x\"]}", "not JSON" },
		{ "{\"schema\": 1, \"options\": [\"--seed\", \"7\"",
		  "not JSON" },
		{ "{}", "no \"schema\"" },
		{ "{\"options\": []}", "no \"schema\"" },
		{ "{\"schema\": 2, \"options\": []}",
		  "schema 2; this ramflash reads schema 1" },
		{ "{\"schema\": 1}", "no \"options\"" },
		{ "{\"schema\": 1, \"options\": [\"--nosuch\"]}",
		  "records '--nosuch', not an option" },
		{ "{\"schema\": 1, \"options\": [\"--rerun\", \"x\"]}",
		  "records '--rerun', not an option" },
		{ "{\"schema\": 1, \"options\": [\"--se\", \"1\"]}",
		  "records '--se', not an option" },
		{ "{\"schema\": 1, \"options\": [\"--seed\"]}",
		  "records --seed without its value" },
		{ "{\"schema\": 1, \"options\": [\"--seed\", \"x\"]}", "--seed" },
	};
	const char *report = strdup(t_tempfile("bad.json"));
	const char *const rerun[] = { "--rerun", report, NULL };
	struct rf_options o;
	char err[256];
	size_t i;
	FILE *f;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		f = fopen(report, "w");
		assert_non_null(f);
		fputs(cases[i][0], f);
		fclose(f);
		if (t_parse_list(&o, rerun, err, sizeof(err)) != -EINVAL ||
		    !strstr(err, cases[i][1]))
			fail_msg("report '%s': '%s' lacks '%s'", cases[i][0], err,
				 cases[i][1]);
		rf_options_free(&o);
	}
	unlink(report);
	assert_int_equal(t_parse_list(&o, rerun, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "cannot read"));
	rf_options_free(&o);
	free((char *)report);
}

/* Unicode escapes other writers may use decode to UTF-8. */
static void test_rerun_unicode(void **state)
{
	const char *report = strdup(t_tempfile("utf8.json"));
	const char *const rerun[] = { "--rerun", report, NULL };
	struct rf_options o;
	char err[256];
	FILE *f = fopen(report, "w");

	assert_non_null(f);
	fputs("{\"counters\": {\"x\": [1, -2.5e3, true, null, {}]},\n"
	      " \"schema\": 1, \"options\": [\"--name\", "
	      "\"\\u00e9\\u20ac\\ud83d\\ude00\\/\"]}\n", f);
	fclose(f);
	assert_int_equal(t_parse_list(&o, rerun, err, sizeof(err)),
			 RF_PARSE_RUN);
	assert_string_equal(o.name, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80/");
	rf_options_free(&o);
	unlink(report);
	free((char *)report);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rerun_same_options),
		cmocka_unit_test(test_rerun_geometry_from_image),
		cmocka_unit_test(test_rerun_same_run),
		cmocka_unit_test(test_rerun_bad_reports),
		cmocka_unit_test(test_rerun_unicode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
