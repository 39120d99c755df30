// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ramflash --nand-id: nandsim's ID bytes give nandsim's geometry, and the
 * kernel's subpage defaults.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "helpers.h"
#include "nand-id.h"
#include "options.h"

/* Parse "ramflash ARG1 ARG2 [ARG3 ARG4]"; NULL ends the list early. */
static int t_parse4(struct rf_options *o, char *err, size_t errlen,
		    const char *a1, const char *a2, const char *a3,
		    const char *a4)
{
	char *argv[] = { "ramflash", (char *)a1, (char *)a2, (char *)a3,
			 (char *)a4, NULL };
	int argc = 1;

	while (argv[argc])
		argc++;
	err[0] = '\0';
	return rf_options_parse(o, argc, argv, stdout, err, errlen);
}

/* What mtdinfo shows for nandsim loaded with the same ID bytes. */
struct t_nandsim_chip {
	const char *id;
	enum rf_type type;
	uint64_t size;
	uint32_t page, erase, oob, subpage, oob_avail;
};

/*
 * The examples of nandsim's documentation (the MTD FAQ, "How do I use
 * nandsim?"), nandsim's own default ID and an MLC chip.  Small pages:
 * 16 OOB bytes, 8 free; Hamming's two steps per page give 256-byte
 * subpages.  2 KiB pages: 64 OOB bytes, 38 free after 24 of Hamming,
 * 512-byte subpages.
 */
static const struct t_nandsim_chip t_chips[] = {
	{ "0x20,0x33", RF_TYPE_NAND, 16ULL << 20, 512, 16384, 16, 256, 8 },
	{ "0x20,0x35", RF_TYPE_NAND, 32ULL << 20, 512, 16384, 16, 256, 8 },
	{ "0x20,0x36", RF_TYPE_NAND, 64ULL << 20, 512, 16384, 16, 256, 8 },
	{ "0x20,0x78", RF_TYPE_NAND, 128ULL << 20, 512, 16384, 16, 256, 8 },
	{ "0x20,0x71", RF_TYPE_NAND, 256ULL << 20, 512, 16384, 16, 256, 8 },
	{ "0x20,0xa2,0x00,0x15", RF_TYPE_NAND, 64ULL << 20, 2048, 131072, 64,
	  512, 38 },
	{ "0xec,0xa1,0x00,0x15", RF_TYPE_NAND, 128ULL << 20, 2048, 131072, 64,
	  512, 38 },
	{ "0x20,0xaa,0x00,0x15", RF_TYPE_NAND, 256ULL << 20, 2048, 131072, 64,
	  512, 38 },
	{ "0x20,0xac,0x00,0x15", RF_TYPE_NAND, 512ULL << 20, 2048, 131072, 64,
	  512, 38 },
	{ "0xec,0xd3,0x51,0x95", RF_TYPE_NAND, 1ULL << 30, 2048, 131072, 64,
	  512, 38 },
	/* nandsim without ID parameters: 0x98 0x39. */
	{ "0x98,0x39", RF_TYPE_NAND, 128ULL << 20, 512, 16384, 16, 256, 8 },
	/* Byte 3 says 2 bits per cell; 4 KiB pages, 256 KiB blocks. */
	{ "236,211,0x14,0xa6", RF_TYPE_MLC_NAND, 1ULL << 30, 4096, 262144,
	  128, 4096, 78 },
};

static void test_nandsim_examples(void **state)
{
	const struct t_nandsim_chip *c;
	struct rf_options o;
	char err[256];

	for (c = t_chips; c < t_chips + sizeof(t_chips) / sizeof(t_chips[0]);
	     c++) {
		print_message("--nand-id %s\n", c->id);
		assert_int_equal(t_parse4(&o, err, sizeof(err), "--nand-id",
					  c->id, NULL, NULL), RF_PARSE_RUN);
		assert_int_equal(o.cfg.geo.type, c->type);
		assert_true(o.cfg.geo.size == c->size);
		assert_int_equal(o.cfg.geo.page_size, c->page);
		assert_int_equal(o.cfg.geo.erase_size, c->erase);
		assert_int_equal(o.cfg.geo.oob_size, c->oob);
		assert_int_equal(o.cfg.geo.subpage_size, c->subpage);
		assert_int_equal(o.cfg.geo.oob_avail, c->oob_avail);
		assert_int_equal(o.cfg.geo.ecc_strength, 1);
		assert_int_equal(o.cfg.geo.ecc_step, 256);
		rf_options_free(&o);
	}
}

/* Options after --nand-id change the decoded chip as they do a preset. */
static void test_nand_id_overrides(void **state)
{
	struct rf_options o;
	char err[256];

	/* nandsim's overridesize: a smaller chip of the same geometry. */
	assert_int_equal(t_parse4(&o, err, sizeof(err), "--nand-id",
				  "0xec,0xd3,0x51,0x95", "--size", "16M"),
			 RF_PARSE_RUN);
	assert_true(o.cfg.geo.size == 16ULL << 20);
	assert_int_equal(o.cfg.geo.erase_size, 131072);
	rf_options_free(&o);
	/* nandsim's bch=4: BCH over 512 bytes, 7 bytes a step. */
	assert_int_equal(t_parse4(&o, err, sizeof(err), "--nand-id",
				  "0xec,0xd3,0x51,0x95", "--ecc-strength", "4"),
			 RF_PARSE_RUN);
	assert_int_equal(o.cfg.geo.ecc_step, 256);
	rf_options_free(&o);
	assert_int_equal(t_parse4(&o, err, sizeof(err), "--ecc-step", "512",
				  "--nand-id", "0xec,0xd3,0x51,0x95"),
			 RF_PARSE_RUN);
	assert_int_equal(o.cfg.geo.oob_avail, 64 - 2 - 4 * 2);
	assert_int_equal(o.cfg.geo.subpage_size, 512);
	rf_options_free(&o);
}

static void test_bad_nand_ids(void **state)
{
	static const char *const bad[][2] = {
		{ "0xec", "2 to 8 bytes" },
		{ "0xec,0x100", "2 to 8 bytes" },
		{ "0xec,,0xd3", "2 to 8 bytes" },
		{ "0xec,0xd3,", "2 to 8 bytes" },
		{ "ec,d3", "2 to 8 bytes" },
		{ "-1,0xd3", "2 to 8 bytes" },
		{ "1,2,3,4,5,6,7,8,9", "2 to 8 bytes" },
		{ "0xec,0x00", "device ID 0x00" },
		{ "0xec,0xd4,0x51,0x95", "device ID 0xd4" },
	};
	struct rf_options o;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(t_parse4(&o, err, sizeof(err), "--nand-id",
					  bad[i][0], NULL, NULL), -EINVAL);
		if (!strstr(err, bad[i][1]))
			fail_msg("--nand-id %s: '%s' lacks '%s'", bad[i][0],
				 err, bad[i][1]);
		rf_options_free(&o);
	}
	assert_int_equal(t_parse4(&o, err, sizeof(err), "--nand-id",
				  "0xec,0xd3", "--chip", "slc-8m"), -EINVAL);
	assert_non_null(strstr(err, "both name the chip"));
	rf_options_free(&o);
}

/* The 8 bytes the chip answers: those not given are nandsim's 0xff. */
static void test_nand_id_parse(void **state)
{
	static const uint8_t want[RF_NAND_ID_BYTES] = {
		0xec, 0xd3, 0x51, 0x95, 0xff, 0xff, 0xff, 0xff,
	};
	uint8_t id[RF_NAND_ID_BYTES];
	char err[256];

	assert_int_equal(rf_nand_id_parse("0xec,0xd3,0x51,0x95", id, err,
					  sizeof(err)), 0);
	assert_memory_equal(id, want, sizeof(want));
	assert_int_equal(rf_nand_id_parse("236,211,81,149,255,255,255,255",
					  id, err, sizeof(err)), 0);
	assert_memory_equal(id, want, sizeof(want));
}

/* A page size alone gets the kernel's subpage, not the page. */
static void test_subpage_defaults(void **state)
{
	static const struct {
		const char *opt, *value, *opt2, *value2;
		uint32_t subpage;
	} cases[] = {
		{ "--page-size", "2048", NULL, NULL, 512 },
		{ "--page-size", "4096", NULL, NULL, 1024 },
		{ "--page-size", "1024", NULL, NULL, 512 },
		{ "--page-size", "512", "--erase-size", "16K", 512 },
		{ "--page-size", "2048", "--subpage-size", "2048", 2048 },
		{ "--page-size", "2048", "--ecc-strength", "0", 2048 },
		{ "--page-size", "2048", "--ecc-step", "1024", 1024 },
		{ "--page-size", "2048", "--type", "mlc-nand", 2048 },
	};
	struct rf_options o;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(t_parse4(&o, err, sizeof(err), cases[i].opt,
					  cases[i].value, cases[i].opt2,
					  cases[i].value2), RF_PARSE_RUN);
		if (o.cfg.geo.subpage_size != cases[i].subpage)
			fail_msg("%s %s %s %s: subpage %u, not %u", cases[i].opt,
				 cases[i].value, cases[i].opt2 ? cases[i].opt2 : "",
				 cases[i].value2 ? cases[i].value2 : "",
				 o.cfg.geo.subpage_size, cases[i].subpage);
		rf_options_free(&o);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nandsim_examples),
		cmocka_unit_test(test_nand_id_overrides),
		cmocka_unit_test(test_bad_nand_ids),
		cmocka_unit_test(test_nand_id_parse),
		cmocka_unit_test(test_subpage_defaults),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
