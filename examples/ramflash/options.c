// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ramflash command line: presets, parsing and validation.
 *
 * Geometry options override the preset whatever their order on the
 * command line, so they are collected first and applied at the end.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "faults.h"
#include "image.h"
#include "nand-id.h"
#include "options.h"
#include "report.h"

#define KIB	1024U
#define MIB	(1024U * KIB)

/* Presets; the oob_avail of NAND chips is derived from their ECC. */
const struct rf_chip rf_chips[] = {
	{ "slc-8m", "8 MiB SLC NAND, 2 KiB pages, 128 KiB blocks, 64 B OOB (small, for tests)",
	  { RF_TYPE_NAND, 8ULL * MIB, 2048, 128 * KIB, 0, 64, RF_GEO_DEFAULT,
	    512, 4, 512, 0 } },
	{ "slc-32m", "32 MiB SLC NAND, 2 KiB pages, 128 KiB blocks, 64 B OOB (the default)",
	  { RF_TYPE_NAND, 32ULL * MIB, 2048, 128 * KIB, 0, 64, RF_GEO_DEFAULT,
	    512, 4, 512, 0 } },
	{ "slc-128m", "128 MiB (1 Gbit) SLC NAND, 2 KiB pages, 128 KiB blocks, 64 B OOB, like MT29F1G08",
	  { RF_TYPE_NAND, 128ULL * MIB, 2048, 128 * KIB, 0, 64, RF_GEO_DEFAULT,
	    512, 4, 512, 0 } },
	{ "slc-512m-4k", "512 MiB SLC NAND, 4 KiB pages, 256 KiB blocks, 224 B OOB, 8 bit/512 B ECC",
	  { RF_TYPE_NAND, 512ULL * MIB, 4096, 256 * KIB, 0, 224, RF_GEO_DEFAULT,
	    1024, 8, 512, 0 } },
	{ "mlc-256m", "256 MiB MLC NAND, 4 KiB pages, 256 KiB blocks, 224 B OOB, 24 bit/1 KiB ECC",
	  { RF_TYPE_MLC_NAND, 256ULL * MIB, 4096, 256 * KIB, 0, 224,
	    RF_GEO_DEFAULT, 4096, 24, 1024, 0 } },
	{ "nor-16m", "16 MiB NOR, 64 KiB sectors, 512 B write buffer, like S29GL128",
	  { RF_TYPE_NOR, 16ULL * MIB, 1, 64 * KIB, 512, 0, 0, 1, 0, 0, 0 } },
	{ "ram-16m", "16 MiB RAM, 128 KiB erase unit, like mtdram",
	  { RF_TYPE_RAM, 16ULL * MIB, 1, 128 * KIB, 64, 0, 0, 1, 0, 0, 0 } },
	{ NULL, NULL, { 0 } },
};

/* The preset a bare --type starts from. */
static const char *const rf_type_chip[] = {
	[RF_TYPE_NAND] = "slc-32m",
	[RF_TYPE_MLC_NAND] = "mlc-256m",
	[RF_TYPE_NOR] = "nor-16m",
	[RF_TYPE_RAM] = "ram-16m",
};

const struct rf_chip *rf_find_chip(const char *name)
{
	const struct rf_chip *c;

	for (c = rf_chips; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

static const char rf_usage[] =
"Usage: ramflash [OPTION]...\n"
"Serve a simulated raw flash device (MTD) from userspace through /dev/muse.\n"
"\n"
"Chip and geometry (sizes take K, M, G suffixes):\n"
"  --chip NAME            start from a preset (see --list-chips; default " RF_DEFAULT_CHIP ")\n"
"  --list-chips           list the presets and exit\n"
"  --nand-id BYTES        the chip nandsim's ID bytes name, e.g.\n"
"                         0xec,0xd3,0x51,0x95 (1 GiB SLC, 2 KiB pages), with\n"
"                         nandsim's ECC (Hamming, 1 bit per 256 bytes)\n"
"  --type TYPE            nand | mlc-nand | nor | ram\n"
"  --size BYTES           device size, a multiple of the erase size\n"
"  --page-size BYTES      page (minimal write unit); NAND only\n"
"  --erase-size BYTES     eraseblock size\n"
"  --oob-size BYTES       OOB bytes per page (NAND)\n"
"  --oob-avail BYTES      free OOB bytes per page for AUTO mode, right after\n"
"                         the 2-byte bad-block marker (default: what the\n"
"                         marker and a BCH code of the ECC strength leave)\n"
"  --subpage-size BYTES   NAND program unit; the page size means no subpages\n"
"                         (default as the kernel's: SLC with ECC a quarter\n"
"                         page, half with two ECC steps)\n"
"  --writebuf-size BYTES  largest write the chip buffers (NOR default 512)\n"
"  --ecc-strength BITS    bits correctable per ECC step (0: no ECC)\n"
"  --ecc-step BYTES       bytes per ECC step\n"
"  --bitflip-threshold N  flips per step from which reads report -EUCLEAN\n"
"  --name NAME            MTD name (default " RF_DEFAULT_NAME ")\n"
"  --partitions PARTS     partitions in mtdparts syntax, e.g. 1M(boot),-(ubi)\n"
"  --max-io BYTES         largest request to negotiate (default one eraseblock)\n"
"  --nand-reprogram MODE  allow | refuse a second program of a NAND subpage\n"
"                         without erase (default: refuse on MLC, allow on SLC)\n"
"\n"
"Backing store:\n"
"  --image FILE           keep data, OOB, bad blocks and erase counts in FILE,\n"
"                         a sparse file holding only what is programmed\n"
"                         (created if missing; must match the geometry; with\n"
"                         no chip or geometry option, FILE's geometry is used)\n"
"\n"
"Fault injection (all off by default, deterministic for a given --seed):\n"
"  --seed N               seed of every pseudo-random decision (default 0)\n"
"  --bad-blocks LIST      factory bad blocks, e.g. 3,10-12\n"
"  --bad-block-count N    N more factory bad blocks picked from the seed\n"
"  --endurance N          a block survives N erases; later ones fail with\n"
"                         -EIO, and the block is bad once the user marks it\n"
"  --bitflip-rate P       chance (0..1) per ECC step and read of bit flips\n"
"  --bitflip-max N        a hit flips 1..N bits (default: the ECC strength)\n"
"  --read-disturb N       every N reads of a block since its erase add one\n"
"                         flipped bit per ECC step\n"
"  --retention N          every N device operations since a block was first\n"
"                         programmed add one flipped bit per ECC step\n"
"  --fail-program LIST    programs in these blocks fail with -EIO\n"
"  --fail-erase LIST      erases of these blocks fail with -EIO\n"
"  --weak-blocks LIST     nandsim's weakblocks: N:count, e.g. 113:2,40 (count\n"
"                         3 if not given): block N's erases after the first\n"
"                         count fail with -EIO\n"
"  --weak-pages LIST      nandsim's weakpages: page N's programs after the\n"
"                         first count fail with -EIO\n"
"  --grave-pages LIST     nandsim's gravepages: page N's reads after the\n"
"                         first count return garbage the ECC cannot correct\n"
"  --power-cut-after N    N programs/erases complete, the next one is torn\n"
"                         and ramflash exits with status 3\n"
"  --power-cut-random A-B like --power-cut-after with N drawn in [A, B]\n"
"  --wear-report N        every N erases print the erase counts (min, avg,\n"
"                         max) and the bad blocks to stderr, as nandsim's\n"
"                         rptwear (no kernel erase then)\n"
"  --latency-read US      microseconds per page read\n"
"  --latency-program US   microseconds per page programmed\n"
"  --latency-erase US     microseconds per block erased\n"
"\n"
"Running:\n"
"  --device PATH          the MUSE control device (default " RF_DEFAULT_DEVICE ")\n"
"  --threads N            worker threads (default 2)\n"
"  --stats FILE           write statistics as JSON on SIGUSR1 and at exit\n"
"  --stats-svg FILE       write a picture of the erase counts and bad blocks\n"
"                         as SVG, when the statistics are written\n"
"  --control SOCKET       take live commands (faults, power cut, freeze) on\n"
"                         a unix socket, mode 0600: ramflash ctl SOCKET help\n"
"  --trace FILE           record every operation into FILE (see\n"
"                         ramflash-trace); requests then run one at a time\n"
"  --trace-data MODE      hash (default): programs recorded with a hash of\n"
"                         their bytes; full: with the bytes, for replay\n"
"  --ready-fd N           write the ready lines to fd N, then close it\n"
"  --pidfile FILE         write the pid to FILE once ready, remove it at exit\n"
"  --rerun REPORT         the chip and faults of the run that wrote the\n"
"                         --stats REPORT (its options; those given here\n"
"                         override them)\n"
"  --compat               speak MUSE v2 only (no OOB, one page per request)\n"
"  --no-passthrough       answer every read; by default the kernel reads\n"
"                         blocks no read fault model touches from the store\n"
"                         (implies --no-kernel-erase)\n"
"  --no-kernel-erase      answer every erase; by default the kernel erases\n"
"                         blocks itself when no fault model but --endurance\n"
"                         touches erases (no erase latency, retention; not\n"
"                         the --fail-erase blocks; a power cut only with the\n"
"                         module's budget) (implies --no-kernel-program)\n"
"  --no-kernel-program    answer every write; by default the kernel programs\n"
"                         the plain writes of NAND blocks itself (a memfd\n"
"                         store) when no fault model touches them (no\n"
"                         program latency, retention, trace; not the\n"
"                         --fail-program, --weak-pages or RAW-written blocks)\n"
"  --erase-slack BYTES    let the kernel erase by zeroing the block's pages\n"
"                         (a memfd store), keeping up to BYTES (K, M, G) of\n"
"                         erased blocks' pages for their next program; the\n"
"                         oldest above it are freed in the background\n"
"                         (default 0: every erase frees its pages)\n"
"  --print-mtd            print the MTD that would be registered and exit\n"
"  -q, --quiet            print errors only\n"
"  -v, --verbose          log every injected fault and refused request\n"
"  -h, --help             this help\n"
"  --version              print the version\n"
"\n"
"SIGUSR1 prints statistics; SIGINT/SIGTERM stop serving and flush the image.\n"
"ramflash ctl SOCKET COMMAND... sends one command to a --control socket.\n"
"Exit status: 0 done, 1 runtime error, 2 bad usage, 3 simulated power cut.\n";

enum rf_opt {
	OPT_CHIP = 256, OPT_LIST_CHIPS, OPT_TYPE, OPT_SIZE, OPT_PAGE_SIZE,
	OPT_ERASE_SIZE, OPT_OOB_SIZE, OPT_OOB_AVAIL, OPT_SUBPAGE_SIZE,
	OPT_WRITEBUF_SIZE, OPT_ECC_STRENGTH, OPT_ECC_STEP,
	OPT_BITFLIP_THRESHOLD, OPT_NAME, OPT_PARTITIONS, OPT_MAX_IO,
	OPT_NAND_REPROGRAM, OPT_IMAGE, OPT_SEED, OPT_BAD_BLOCKS,
	OPT_BAD_BLOCK_COUNT, OPT_ENDURANCE, OPT_BITFLIP_RATE, OPT_BITFLIP_MAX,
	OPT_READ_DISTURB, OPT_RETENTION, OPT_FAIL_PROGRAM, OPT_FAIL_ERASE,
	OPT_POWER_CUT_AFTER, OPT_POWER_CUT_RANDOM, OPT_LATENCY_READ,
	OPT_LATENCY_PROGRAM, OPT_LATENCY_ERASE, OPT_DEVICE, OPT_THREADS,
	OPT_STATS, OPT_STATS_SVG, OPT_COMPAT, OPT_NO_PASSTHROUGH,
	OPT_NO_KERNEL_ERASE, OPT_PRINT_MTD, OPT_VERSION, OPT_NAND_ID,
	OPT_WEAK_BLOCKS, OPT_WEAK_PAGES, OPT_GRAVE_PAGES, OPT_WEAR_REPORT,
	OPT_RERUN, OPT_CONTROL, OPT_TRACE, OPT_TRACE_DATA, OPT_READY_FD,
	OPT_PIDFILE, OPT_ERASE_SLACK, OPT_NO_KERNEL_PROGRAM,
};

static const struct option rf_long_options[] = {
	{ "chip", required_argument, NULL, OPT_CHIP },
	{ "list-chips", no_argument, NULL, OPT_LIST_CHIPS },
	{ "nand-id", required_argument, NULL, OPT_NAND_ID },
	{ "type", required_argument, NULL, OPT_TYPE },
	{ "size", required_argument, NULL, OPT_SIZE },
	{ "page-size", required_argument, NULL, OPT_PAGE_SIZE },
	{ "erase-size", required_argument, NULL, OPT_ERASE_SIZE },
	{ "oob-size", required_argument, NULL, OPT_OOB_SIZE },
	{ "oob-avail", required_argument, NULL, OPT_OOB_AVAIL },
	{ "subpage-size", required_argument, NULL, OPT_SUBPAGE_SIZE },
	{ "writebuf-size", required_argument, NULL, OPT_WRITEBUF_SIZE },
	{ "ecc-strength", required_argument, NULL, OPT_ECC_STRENGTH },
	{ "ecc-step", required_argument, NULL, OPT_ECC_STEP },
	{ "bitflip-threshold", required_argument, NULL, OPT_BITFLIP_THRESHOLD },
	{ "name", required_argument, NULL, OPT_NAME },
	{ "partitions", required_argument, NULL, OPT_PARTITIONS },
	{ "max-io", required_argument, NULL, OPT_MAX_IO },
	{ "nand-reprogram", required_argument, NULL, OPT_NAND_REPROGRAM },
	{ "image", required_argument, NULL, OPT_IMAGE },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "bad-blocks", required_argument, NULL, OPT_BAD_BLOCKS },
	{ "bad-block-count", required_argument, NULL, OPT_BAD_BLOCK_COUNT },
	{ "endurance", required_argument, NULL, OPT_ENDURANCE },
	{ "bitflip-rate", required_argument, NULL, OPT_BITFLIP_RATE },
	{ "bitflip-max", required_argument, NULL, OPT_BITFLIP_MAX },
	{ "read-disturb", required_argument, NULL, OPT_READ_DISTURB },
	{ "retention", required_argument, NULL, OPT_RETENTION },
	{ "fail-program", required_argument, NULL, OPT_FAIL_PROGRAM },
	{ "fail-erase", required_argument, NULL, OPT_FAIL_ERASE },
	{ "weak-blocks", required_argument, NULL, OPT_WEAK_BLOCKS },
	{ "weak-pages", required_argument, NULL, OPT_WEAK_PAGES },
	{ "grave-pages", required_argument, NULL, OPT_GRAVE_PAGES },
	{ "wear-report", required_argument, NULL, OPT_WEAR_REPORT },
	{ "power-cut-after", required_argument, NULL, OPT_POWER_CUT_AFTER },
	{ "power-cut-random", required_argument, NULL, OPT_POWER_CUT_RANDOM },
	{ "latency-read", required_argument, NULL, OPT_LATENCY_READ },
	{ "latency-program", required_argument, NULL, OPT_LATENCY_PROGRAM },
	{ "latency-erase", required_argument, NULL, OPT_LATENCY_ERASE },
	{ "device", required_argument, NULL, OPT_DEVICE },
	{ "threads", required_argument, NULL, OPT_THREADS },
	{ "stats", required_argument, NULL, OPT_STATS },
	{ "stats-svg", required_argument, NULL, OPT_STATS_SVG },
	{ "rerun", required_argument, NULL, OPT_RERUN },
	{ "control", required_argument, NULL, OPT_CONTROL },
	{ "trace", required_argument, NULL, OPT_TRACE },
	{ "trace-data", required_argument, NULL, OPT_TRACE_DATA },
	{ "compat", no_argument, NULL, OPT_COMPAT },
	{ "no-passthrough", no_argument, NULL, OPT_NO_PASSTHROUGH },
	{ "no-kernel-erase", no_argument, NULL, OPT_NO_KERNEL_ERASE },
	{ "no-kernel-program", no_argument, NULL, OPT_NO_KERNEL_PROGRAM },
	{ "erase-slack", required_argument, NULL, OPT_ERASE_SLACK },
	{ "print-mtd", no_argument, NULL, OPT_PRINT_MTD },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "ready-fd", required_argument, NULL, OPT_READY_FD },
	{ "pidfile", required_argument, NULL, OPT_PIDFILE },
	{ NULL, 0, NULL, 0 },
};

int rf_parse_size(const char *text, uint64_t *out)
{
	static const char *const suffixes = "KMG";
	const char *unit;
	uint64_t v;
	char *end;
	int shift;

	if (*text < '0' || *text > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(text, &end, strncmp(text, "0x", 2) ? 10 : 16);
	if (errno || end == text)
		return -EINVAL;
	if (*end) {
		unit = strchr(suffixes, *end & ~0x20);
		if (!unit || !*unit)
			return -EINVAL;
		end++;
		if (strcmp(end, "") && strcmp(end, "iB") && strcmp(end, "B"))
			return -EINVAL;
		shift = 10 * (int)(unit - suffixes + 1);
		if (v > UINT64_MAX >> shift)
			return -EINVAL;
		v <<= shift;
	}
	*out = v;
	return 0;
}

static int rf_parse_u64(const char *text, uint64_t *out)
{
	char *end;

	if (*text < '0' || *text > '9')
		return -EINVAL;
	errno = 0;
	*out = strtoull(text, &end, 10);
	return errno || *end ? -EINVAL : 0;
}

/* --ready-fd: a descriptor other than stdin, stdout and stderr. */
static int rf_parse_ready_fd(const char *text, int *fd)
{
	uint64_t v;

	if (rf_parse_u64(text, &v) || v < 3 || v > INT_MAX)
		return -EINVAL;
	*fd = (int)v;
	return 0;
}

/* Geometry fields given on the command line, applied over the preset. */
enum rf_geo_field {
	GEO_TYPE, GEO_SIZE, GEO_PAGE, GEO_ERASE, GEO_OOB, GEO_OOB_AVAIL,
	GEO_SUBPAGE, GEO_WRITEBUF, GEO_ECC_STRENGTH, GEO_ECC_STEP,
	GEO_THRESHOLD, GEO_FIELDS,
};

struct rf_geo_overrides {
	bool set[GEO_FIELDS];
	uint64_t value[GEO_FIELDS];
	enum rf_type type;
	const struct rf_chip *chip;
	bool nand_id_given;
	struct rf_geometry nand_id_geo;	/* --nand-id decoded */
};

static const struct {
	int opt;
	enum rf_geo_field field;
	uint64_t max;
} rf_geo_opts[] = {
	{ OPT_SIZE, GEO_SIZE, UINT64_MAX },
	{ OPT_PAGE_SIZE, GEO_PAGE, UINT32_MAX },
	{ OPT_ERASE_SIZE, GEO_ERASE, UINT32_MAX },
	{ OPT_OOB_SIZE, GEO_OOB, UINT32_MAX },
	{ OPT_OOB_AVAIL, GEO_OOB_AVAIL, UINT32_MAX - 1 },
	{ OPT_SUBPAGE_SIZE, GEO_SUBPAGE, UINT32_MAX },
	{ OPT_WRITEBUF_SIZE, GEO_WRITEBUF, UINT32_MAX },
	{ OPT_ECC_STRENGTH, GEO_ECC_STRENGTH, UINT32_MAX },
	{ OPT_ECC_STEP, GEO_ECC_STEP, UINT32_MAX },
	{ OPT_BITFLIP_THRESHOLD, GEO_THRESHOLD, UINT32_MAX },
};

static int rf_parse_type(const char *text, enum rf_type *type)
{
	static const enum rf_type types[] = {
		RF_TYPE_NAND, RF_TYPE_MLC_NAND, RF_TYPE_NOR, RF_TYPE_RAM,
	};
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		if (!strcmp(text, rf_type_name(types[i]))) {
			*type = types[i];
			return 0;
		}
	}
	return -EINVAL;
}

/* Build the geometry: preset (or the type's preset), then the overrides. */
static int rf_build_geometry(struct rf_geometry *geo,
			     const struct rf_geo_overrides *ov,
			     const char *image_path, bool *from_image,
			     char *err, size_t errlen)
{
	const struct rf_chip *chip = ov->chip;
	bool given = chip || ov->nand_id_given;
	int i;

	if (chip && ov->nand_id_given)
		return rf_errorf(err, errlen, "--chip and --nand-id both name the chip");
	for (i = 0; i < GEO_FIELDS; i++)
		given |= ov->set[i];
	/* An existing image alone says what chip it is. */
	*from_image = !given && image_path &&
		      rf_image_read_geometry(image_path, geo);
	if (*from_image)
		return rf_geometry_complete(geo, err, errlen);
	if (!chip)
		chip = rf_find_chip(ov->set[GEO_TYPE] ? rf_type_chip[ov->type] :
				    RF_DEFAULT_CHIP);
	*geo = ov->nand_id_given ? ov->nand_id_geo : chip->geo;
	if (ov->set[GEO_TYPE] && geo->type != ov->type) {
		/* Across families nothing carries over: the type's preset. */
		if (rf_type_is_nand(ov->type) != rf_type_is_nand(geo->type))
			*geo = rf_find_chip(rf_type_chip[ov->type])->geo;
		geo->type = ov->type;
	}
	if (ov->set[GEO_SIZE])
		geo->size = ov->value[GEO_SIZE];
	if (ov->set[GEO_PAGE]) {
		geo->page_size = (uint32_t)ov->value[GEO_PAGE];
		/* A new page size invalidates derived sizes not given. */
		if (!ov->set[GEO_SUBPAGE])
			geo->subpage_size = 0;
		if (!ov->set[GEO_WRITEBUF])
			geo->writebuf_size = 0;
	}
	if (ov->set[GEO_ERASE])
		geo->erase_size = (uint32_t)ov->value[GEO_ERASE];
	if (ov->set[GEO_OOB])
		geo->oob_size = (uint32_t)ov->value[GEO_OOB];
	/* The preset's free OOB bytes fit its own OOB, page and ECC only. */
	if (ov->set[GEO_PAGE] || ov->set[GEO_OOB] || ov->set[GEO_ECC_STRENGTH] ||
	    ov->set[GEO_ECC_STEP])
		geo->oob_avail = RF_GEO_DEFAULT;
	if (ov->set[GEO_OOB_AVAIL])
		geo->oob_avail = (uint32_t)ov->value[GEO_OOB_AVAIL];
	if (ov->set[GEO_SUBPAGE])
		geo->subpage_size = (uint32_t)ov->value[GEO_SUBPAGE];
	if (ov->set[GEO_WRITEBUF])
		geo->writebuf_size = (uint32_t)ov->value[GEO_WRITEBUF];
	if (ov->set[GEO_ECC_STRENGTH])
		geo->ecc_strength = (uint32_t)ov->value[GEO_ECC_STRENGTH];
	if (ov->set[GEO_ECC_STEP])
		geo->ecc_step = (uint32_t)ov->value[GEO_ECC_STEP];
	if (ov->set[GEO_THRESHOLD])
		geo->bitflip_threshold = (uint32_t)ov->value[GEO_THRESHOLD];
	if (!rf_type_is_nand(geo->type) && ov->set[GEO_PAGE] &&
	    geo->page_size != 1)
		return rf_errorf(err, errlen, "--page-size: %s flash is written byte by byte",
				    rf_type_name(geo->type));
	return rf_geometry_complete(geo, err, errlen);
}

static void rf_list_chips(FILE *out)
{
	const struct rf_chip *c;

	for (c = rf_chips; c->name; c++)
		fprintf(out, "%-12s %-8s %s\n", c->name, rf_type_name(c->geo.type),
			c->description);
}

void rf_print_geometry(FILE *out, const char *name,
		       const struct rf_geometry *geo)
{
	fprintf(out, "%s: %s, %" PRIu64 " bytes, page %" PRIu32
		", eraseblock %" PRIu32 ", writebuf %" PRIu32 ", oob %" PRIu32
		" (%" PRIu32 " free), subpage %" PRIu32 ", ecc %" PRIu32
		" bits/%" PRIu32 " bytes\n", name, rf_type_name(geo->type),
		geo->size, geo->page_size, geo->erase_size, geo->writebuf_size,
		geo->oob_size, geo->oob_avail, geo->subpage_size,
		geo->ecc_strength, geo->ecc_step);
}

/* Options that take a plain decimal number, with their range. */
static const struct {
	int opt;
	uint64_t min, max;
} rf_number_opts[] = {
	{ OPT_SEED, 0, UINT64_MAX },
	{ OPT_BAD_BLOCK_COUNT, 0, UINT64_MAX },
	{ OPT_RETENTION, 1, UINT64_MAX },
	{ OPT_POWER_CUT_AFTER, 0, UINT64_MAX },
	{ OPT_ENDURANCE, 1, UINT32_MAX },
	{ OPT_BITFLIP_MAX, 1, UINT32_MAX },
	{ OPT_READ_DISTURB, 1, UINT32_MAX },
	{ OPT_LATENCY_READ, 0, UINT32_MAX },
	{ OPT_LATENCY_PROGRAM, 0, UINT32_MAX },
	{ OPT_LATENCY_ERASE, 0, UINT32_MAX },
	{ OPT_THREADS, 1, 256 },
	{ OPT_WEAR_REPORT, 1, UINT64_MAX },
};

static void rf_store_number(struct rf_options *o, int opt, uint64_t v)
{
	struct rf_faults *f = &o->cfg.faults;

	switch (opt) {
	case OPT_SEED:
		f->seed = v;
		break;
	case OPT_BAD_BLOCK_COUNT:
		f->bad_block_count = v;
		break;
	case OPT_RETENTION:
		f->retention = v;
		break;
	case OPT_POWER_CUT_AFTER:
		f->power_cut = true;
		f->power_cut_after = v;
		break;
	case OPT_ENDURANCE:
		f->endurance = (uint32_t)v;
		break;
	case OPT_BITFLIP_MAX:
		f->bitflip_max = (uint32_t)v;
		break;
	case OPT_READ_DISTURB:
		f->read_disturb = (uint32_t)v;
		break;
	case OPT_LATENCY_READ:
		f->latency_read_us = (uint32_t)v;
		break;
	case OPT_LATENCY_PROGRAM:
		f->latency_program_us = (uint32_t)v;
		break;
	case OPT_LATENCY_ERASE:
		f->latency_erase_us = (uint32_t)v;
		break;
	case OPT_THREADS:
		o->threads = (unsigned int)v;
		break;
	case OPT_WEAR_REPORT:
		o->cfg.wear_report = v;
		break;
	}
}

static const char *rf_opt_name(int opt);

/* Number options; *handled tells whether @opt is one. */
static int rf_parse_number_opt(struct rf_options *o, int opt, const char *arg,
			       bool *handled, char *err, size_t errlen)
{
	uint64_t v;
	size_t i;

	for (i = 0; i < sizeof(rf_number_opts) / sizeof(rf_number_opts[0]); i++) {
		if (rf_number_opts[i].opt != opt)
			continue;
		*handled = true;
		if (rf_parse_u64(arg, &v) || v < rf_number_opts[i].min ||
		    v > rf_number_opts[i].max)
			return rf_errorf(err, errlen,
				"--%s: '%s' is not a number in [%" PRIu64 ", %" PRIu64 "]",
				rf_opt_name(opt), arg, rf_number_opts[i].min,
				rf_number_opts[i].max);
		rf_store_number(o, opt, v);
		return 0;
	}
	*handled = false;
	return 0;
}

static int rf_parse_power_cut_range(const char *arg, uint64_t range[2])
{
	const char *dash = strchr(arg, '-');
	char first[32];

	if (!dash || dash == arg || (size_t)(dash - arg) >= sizeof(first))
		return -EINVAL;
	memcpy(first, arg, (size_t)(dash - arg));
	first[dash - arg] = '\0';
	if (rf_parse_u64(first, &range[0]) || rf_parse_u64(dash + 1, &range[1]))
		return -EINVAL;
	return range[0] <= range[1] ? 0 : -EINVAL;
}

/* Handle one option that is neither geometry nor a plain number. */
static int rf_parse_other_opt(struct rf_options *o, struct rf_geo_overrides *ov,
			      int opt, const char *arg, uint64_t pc_range[2],
			      char *err, size_t errlen)
{
	struct rf_faults *f = &o->cfg.faults;
	char *end;

	switch (opt) {
	case OPT_CHIP:
		ov->chip = rf_find_chip(arg);
		return ov->chip ? 0 : rf_errorf(err, errlen,
			"--chip: unknown chip '%s' (see --list-chips)", arg);
	case OPT_NAND_ID: {
		uint8_t id[RF_NAND_ID_BYTES];

		ov->nand_id_given = true;
		if (rf_nand_id_parse(arg, id, err, errlen))
			return -EINVAL;
		return rf_nand_id_decode(id, &ov->nand_id_geo, err, errlen);
	}
	case OPT_TYPE:
		ov->set[GEO_TYPE] = true;
		return rf_parse_type(arg, &ov->type) ? rf_errorf(err, errlen,
			"--type: '%s' is not nand, mlc-nand, nor or ram", arg) : 0;
	case OPT_NAME:
		o->name = arg;
		return *arg ? 0 : rf_errorf(err, errlen, "--name: empty name");
	case OPT_PARTITIONS:
		o->partitions = arg;
		return 0;
	case OPT_NAND_REPROGRAM:
		if (!strcmp(arg, "allow"))
			o->cfg.reprogram = RF_REPROGRAM_ALLOW;
		else if (!strcmp(arg, "refuse"))
			o->cfg.reprogram = RF_REPROGRAM_REFUSE;
		else
			return rf_errorf(err, errlen,
				"--nand-reprogram: '%s' is not allow or refuse", arg);
		return 0;
	case OPT_IMAGE:
		o->cfg.image_path = arg;
		return 0;
	case OPT_BAD_BLOCKS:
		return rf_block_list_parse(arg, &f->bad_blocks, err, errlen);
	case OPT_FAIL_PROGRAM:
		return rf_block_list_parse(arg, &f->fail_program, err, errlen);
	case OPT_FAIL_ERASE:
		return rf_block_list_parse(arg, &f->fail_erase, err, errlen);
	case OPT_WEAK_BLOCKS:
		return rf_limit_list_parse(arg, &f->weak_blocks, err, errlen);
	case OPT_WEAK_PAGES:
		return rf_limit_list_parse(arg, &f->weak_pages, err, errlen);
	case OPT_GRAVE_PAGES:
		return rf_limit_list_parse(arg, &f->grave_pages, err, errlen);
	case OPT_BITFLIP_RATE:
		errno = 0;
		f->bitflip_rate = strtod(arg, &end);
		if (errno || end == arg || *end || !(f->bitflip_rate >= 0) ||
		    f->bitflip_rate > 1)
			return rf_errorf(err, errlen,
				"--bitflip-rate: '%s' is not a probability in [0, 1]", arg);
		return 0;
	case OPT_POWER_CUT_RANDOM:
		f->power_cut = true;
		return rf_parse_power_cut_range(arg, pc_range) ?
			rf_errorf(err, errlen,
				"--power-cut-random: '%s' is not a range MIN-MAX", arg) : 0;
	case OPT_DEVICE:
		o->device = arg;
		return 0;
	case OPT_STATS:
		o->stats_path = arg;
		return 0;
	case OPT_STATS_SVG:
		o->svg_path = arg;
		return 0;
	case OPT_CONTROL:
		o->control_path = arg;
		return 0;
	case OPT_TRACE:
		o->trace_path = arg;
		return 0;
	case OPT_TRACE_DATA:
		if (strcmp(arg, "hash") && strcmp(arg, "full"))
			return rf_errorf(err, errlen,
				"--trace-data: '%s' is not hash or full", arg);
		o->trace_full = !strcmp(arg, "full");
		return 0;
	case OPT_READY_FD:
		return rf_parse_ready_fd(arg, &o->ready_fd) ?
		       rf_errorf(err, errlen,
				 "--ready-fd: '%s' is not a descriptor above 2 (the ready lines go to stdout anyway)",
				 arg) : 0;
	case OPT_PIDFILE:
		o->pidfile = arg;
		return 0;
	case OPT_COMPAT:
		o->compat = true;
		return 0;
	case OPT_NO_PASSTHROUGH:
		o->no_passthrough = true;
		o->no_kernel_erase = true;
		o->no_kernel_program = true;
		return 0;
	case OPT_NO_KERNEL_ERASE:
		o->no_kernel_erase = true;
		o->no_kernel_program = true;
		return 0;
	case OPT_NO_KERNEL_PROGRAM:
		o->no_kernel_program = true;
		return 0;
	case OPT_PRINT_MTD:
		o->print_mtd = true;
		return 0;
	case 'q':
		o->verbosity = RF_QUIET;
		return 0;
	case 'v':
		o->verbosity = RF_VERBOSE;
		return 0;
	default:
		return rf_errorf(err, errlen, "unhandled option");
	}
}

static const char *rf_opt_name(int opt)
{
	const struct option *lo;

	for (lo = rf_long_options; lo->name; lo++)
		if (lo->val == opt)
			return lo->name;
	return "?";
}

/* Sizes: geometry fields and --max-io. */
static int rf_parse_size_opt(struct rf_options *o, struct rf_geo_overrides *ov,
			     int opt, const char *arg, bool *handled,
			     char *err, size_t errlen)
{
	uint64_t v;
	size_t i;

	*handled = true;
	if (opt == OPT_ERASE_SLACK) {
		if (rf_parse_size(arg, &o->cfg.erase_slack))
			return rf_errorf(err, errlen,
				"--erase-slack: '%s' is not a size", arg);
		return 0;
	}
	if (opt == OPT_MAX_IO) {
		if (rf_parse_size(arg, &v) || !v || v > UINT32_MAX)
			return rf_errorf(err, errlen,
				"--max-io: '%s' is not a size up to 4G-1", arg);
		o->max_io = (uint32_t)v;
		return 0;
	}
	for (i = 0; i < sizeof(rf_geo_opts) / sizeof(rf_geo_opts[0]); i++) {
		if (rf_geo_opts[i].opt != opt)
			continue;
		if (rf_parse_size(arg, &v) || v > rf_geo_opts[i].max)
			return rf_errorf(err, errlen,
				"--%s: '%s' is not a valid size", rf_opt_name(opt),
				arg);
		ov->set[rf_geo_opts[i].field] = true;
		ov->value[rf_geo_opts[i].field] = v;
		return 0;
	}
	*handled = false;
	return 0;
}

/* Cross-option checks once everything is known. */
static int rf_finish_options(struct rf_options *o, const uint64_t pc_range[2],
			     bool pc_random, char *err, size_t errlen)
{
	struct rf_faults *f = &o->cfg.faults;
	const struct rf_geometry *geo = &o->cfg.geo;

	if (pc_random)
		f->power_cut_after = pc_range[0] +
			rf_hash(f->seed, RF_HASH_POWER_CUT, 0, 0) %
			(pc_range[1] - pc_range[0] + 1);
	if (!o->max_io)
		o->max_io = geo->erase_size;
	if (o->max_io < geo->writebuf_size)
		return rf_errorf(err, errlen,
			"--max-io: %" PRIu32 " is below the write buffer size %" PRIu32,
			o->max_io, geo->writebuf_size);
	if (o->compat && geo->oob_size)
		return rf_errorf(err, errlen,
			"--compat: MUSE v2 has no OOB; add --oob-size 0");
	if (o->cfg.reprogram != RF_REPROGRAM_DEFAULT &&
	    !rf_type_is_nand(geo->type))
		return rf_errorf(err, errlen,
			"--nand-reprogram: only for NAND types");
	if (o->trace_full && !o->trace_path)
		return rf_errorf(err, errlen, "--trace-data: needs --trace FILE");
	if (o->verbosity == RF_VERBOSE)
		o->cfg.log = stderr;
	return 0;
}

/* Add "--@name" and @value (unless NULL) to the options recorded. */
static int rf_record(struct rf_options *o, const char *name,
		     const char *value)
{
	char **grown = realloc(o->cfg.args,
			       (o->cfg.nargs + 2) * sizeof(*grown));
	size_t len = strlen(name) + 3;

	if (!grown)
		return -ENOMEM;
	o->cfg.args = grown;
	grown[o->cfg.nargs] = malloc(len);
	if (!grown[o->cfg.nargs])
		return -ENOMEM;
	snprintf(grown[o->cfg.nargs], len, "--%s", name);
	o->cfg.nargs++;
	if (value) {
		grown[o->cfg.nargs] = strdup(value);
		if (!grown[o->cfg.nargs])
			return -ENOMEM;
		o->cfg.nargs++;
	}
	return 0;
}

/*
 * Record an option for the report: what makes the chip and its faults.
 * Not the files of this run (image, reports, control socket, trace,
 * ready fd, pid file), --rerun (its options are recorded one by one) nor
 * --print-mtd.
 */
static int rf_record_opt(struct rf_options *o, int opt, const char *arg)
{
	const struct option *lo;

	if (opt == OPT_IMAGE || opt == OPT_STATS || opt == OPT_STATS_SVG ||
	    opt == OPT_RERUN || opt == OPT_PRINT_MTD || opt == OPT_CONTROL ||
	    opt == OPT_TRACE || opt == OPT_TRACE_DATA ||
	    opt == OPT_READY_FD || opt == OPT_PIDFILE)
		return 0;
	for (lo = rf_long_options; lo->val != opt; lo++)
		;
	return rf_record(o, lo->name, lo->has_arg ? arg : NULL);
}

/*
 * A geometry read from the image is recorded in full: a rerun has no
 * image to read it from.
 */
static int rf_record_geometry(struct rf_options *o,
			      const struct rf_geometry *geo)
{
	const struct {
		const char *name;
		uint64_t value;
	} fields[] = {
		{ "size", geo->size }, { "page-size", geo->page_size },
		{ "erase-size", geo->erase_size }, { "oob-size", geo->oob_size },
		{ "oob-avail", geo->oob_avail },
		{ "subpage-size", geo->subpage_size },
		{ "writebuf-size", geo->writebuf_size },
		{ "ecc-strength", geo->ecc_strength },
		{ "ecc-step", geo->ecc_step },
		{ "bitflip-threshold", geo->bitflip_threshold },
	};
	char number[24];
	size_t i;
	int ret;

	ret = rf_record(o, "type", rf_type_name(geo->type));
	for (i = 0; !ret && i < sizeof(fields) / sizeof(fields[0]); i++) {
		snprintf(number, sizeof(number), "%" PRIu64, fields[i].value);
		ret = rf_record(o, fields[i].name, number);
	}
	return ret;
}

/* Parse @argv into @o, which holds the defaults. */
static int rf_parse_args(struct rf_options *o, int argc, char *argv[],
			 FILE *out, char *err, size_t errlen)
{
	struct rf_geo_overrides ov;
	uint64_t pc_range[2] = { 0, 0 };
	bool pc_random = false, handled, from_image = false;
	int opt, ret;

	memset(&ov, 0, sizeof(ov));
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":qvh", rf_long_options,
				  NULL)) != -1) {
		switch (opt) {
		case 'h':
			fputs(rf_usage, out);
			return RF_PARSE_DONE;
		case OPT_LIST_CHIPS:
			rf_list_chips(out);
			return RF_PARSE_DONE;
		case OPT_VERSION:
			fprintf(out, "ramflash %s\n", RAMFLASH_VERSION);
			return RF_PARSE_DONE;
		case '?':
			return rf_errorf(err, errlen, "unknown option '%s' (see --help)",
					    argv[optind - 1]);
		case ':':
			return rf_errorf(err, errlen, "option '%s' needs a value",
					    argv[optind - 1]);
		default:
			break;
		}
		if (rf_record_opt(o, opt, optarg))
			return rf_errorf(err, errlen, "out of memory");
		if (opt == OPT_RERUN)
			continue;
		ret = rf_parse_size_opt(o, &ov, opt, optarg, &handled, err, errlen);
		if (!ret && !handled)
			ret = rf_parse_number_opt(o, opt, optarg, &handled, err,
						  errlen);
		if (ret)
			return ret;
		if (handled)
			continue;
		pc_random |= opt == OPT_POWER_CUT_RANDOM;
		ret = rf_parse_other_opt(o, &ov, opt, optarg, pc_range, err,
					 errlen);
		if (ret)
			return ret;
	}
	if (optind < argc)
		return rf_errorf(err, errlen, "unexpected argument '%s'",
				    argv[optind]);
	ret = rf_build_geometry(&o->cfg.geo, &ov, o->cfg.image_path,
				&from_image, err, errlen);
	if (ret)
		return ret;
	if (from_image && rf_record_geometry(o, &o->cfg.geo))
		return rf_errorf(err, errlen, "out of memory");
	return rf_finish_options(o, pc_range, pc_random, err, errlen);
}

/*
 * The report --rerun names, looked for before the options are parsed:
 * its options go first, so that the command line's override them.
 */
static const char *rf_find_rerun(int argc, char *argv[])
{
	const char *report = NULL;
	int opt;

	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":qvh", rf_long_options,
				  NULL)) != -1)
		if (opt == OPT_RERUN)
			report = optarg;
	return report;
}

/*
 * A report's options stand alone: every one exactly a long option, with
 * its value, so none takes an argument of the command line for its own.
 */
static int rf_check_recorded(char **args, size_t nargs, const char *report,
			     char *err, size_t errlen)
{
	const struct option *lo;
	size_t i;

	for (i = 0; i < nargs; i++) {
		for (lo = rf_long_options; lo->name; lo++)
			if (!strncmp(args[i], "--", 2) &&
			    !strcmp(args[i] + 2, lo->name))
				break;
		if (!lo->name || lo->val == OPT_RERUN)
			return rf_errorf(err, errlen,
				"--rerun: %s records '%s', not an option of this ramflash",
				report, args[i]);
		if (lo->has_arg && ++i == nargs)
			return rf_errorf(err, errlen,
				"--rerun: %s records %s without its value",
				report, args[i - 1]);
	}
	return 0;
}

int rf_options_parse(struct rf_options *o, int argc, char *argv[], FILE *out,
		     char *err, size_t errlen)
{
	const char *report;
	char **all;
	size_t n;
	int ret;

	memset(o, 0, sizeof(*o));
	o->name = RF_DEFAULT_NAME;
	o->device = RF_DEFAULT_DEVICE;
	o->threads = RF_DEFAULT_THREADS;
	o->ready_fd = -1;
	o->verbosity = RF_NORMAL;
	report = rf_find_rerun(argc, argv);
	if (!report)
		return rf_parse_args(o, argc, argv, out, err, errlen);
	if (rf_report_read_options(report, &o->rerun_args, &o->rerun_nargs,
				   &o->rerun_events, &o->rerun_nevents,
				   err, errlen) ||
	    rf_check_recorded(o->rerun_args, o->rerun_nargs, report, err,
			      errlen))
		return -EINVAL;
	all = calloc(o->rerun_nargs + (size_t)argc + 1, sizeof(*all));
	if (!all)
		return rf_errorf(err, errlen, "out of memory");
	all[0] = argv[0];
	memcpy(all + 1, o->rerun_args, o->rerun_nargs * sizeof(*all));
	n = 1 + o->rerun_nargs;
	memcpy(all + n, argv + 1, (size_t)(argc - 1) * sizeof(*all));
	n += (size_t)argc - 1;
	ret = rf_parse_args(o, (int)n, all, out, err, errlen);
	free(all);
	return ret;
}

void rf_options_free(struct rf_options *o)
{
	rf_block_list_free(&o->cfg.faults.bad_blocks);
	rf_block_list_free(&o->cfg.faults.fail_program);
	rf_block_list_free(&o->cfg.faults.fail_erase);
	rf_limit_list_free(&o->cfg.faults.weak_blocks);
	rf_limit_list_free(&o->cfg.faults.weak_pages);
	rf_limit_list_free(&o->cfg.faults.grave_pages);
	rf_report_free_options(o->cfg.args, o->cfg.nargs);
	rf_report_free_options(o->rerun_args, o->rerun_nargs);
	rf_report_free_events(o->rerun_events, o->rerun_nevents);
}
