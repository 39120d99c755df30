// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ramflash-image: make a ramflash image (what ramflash --image serves)
 * from a flash dump, and a dump from an image.  See doc/ramflash-image.1
 * and the "Dumps" section of doc/ramflash.md.
 */
#define _GNU_SOURCE	/* asprintf */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dump.h"
#include "image.h"
#include "options.h"

/* Exit statuses, as ramflash's; documented in --help and the man page. */
enum {
	RFI_EXIT_OK = 0,
	RFI_EXIT_RUNTIME = 1,
	RFI_EXIT_USAGE = 2,
};

static const char rfi_usage[] =
"Usage: ramflash-image import [OPTION]... DUMP IMAGE\n"
"       ramflash-image export [OPTION]... IMAGE DUMP\n"
"Make a ramflash image (ramflash --image) from a flash dump, or a dump from\n"
"an image.\n"
"\n"
"  --format FORMAT        plain: page data only (nanddump and nandwrite\n"
"                         without OOB; NOR and RAM data files), the default;\n"
"                         oob: every page followed by its OOB (nanddump\n"
"                         --oob, nandwrite -o, programmers' page+OOB records)\n"
"  -o, --oob              the same as --format oob\n"
"  --bad LIST             import: these blocks are bad too, e.g. 3,10-12\n"
"                         (an oob dump's bad-block markers are read)\n"
"  --force                overwrite an existing IMAGE or DUMP\n"
"  -q, --quiet            print errors only\n"
"  -h, --help             this help\n"
"  --version              print the version\n"
"\n"
"Geometry of an import, as ramflash takes it (default: the " RF_DEFAULT_CHIP
" preset;\n"
"without --size, the size of the dump):\n"
"  --chip NAME  --type TYPE  --size BYTES  --page-size BYTES\n"
"  --erase-size BYTES  --oob-size BYTES  --oob-avail BYTES\n"
"  --subpage-size BYTES  --writebuf-size BYTES  --ecc-strength BITS\n"
"  --ecc-step BYTES  --bitflip-threshold N\n"
"An export takes the geometry from IMAGE; DUMP - writes to standard output.\n"
"\n"
"Exit status: 0 done, 1 runtime error, 2 bad usage.\n";

enum rfi_opt {
	OPT_FORMAT = 256, OPT_BAD, OPT_FORCE, OPT_VERSION, OPT_GEOMETRY,
};

/* The geometry options are handed to ramflash's own parser as they are. */
static const struct option rfi_long_options[] = {
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "oob", no_argument, NULL, 'o' },
	{ "bad", required_argument, NULL, OPT_BAD },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "chip", required_argument, NULL, OPT_GEOMETRY },
	{ "type", required_argument, NULL, OPT_GEOMETRY },
	{ "size", required_argument, NULL, OPT_GEOMETRY },
	{ "page-size", required_argument, NULL, OPT_GEOMETRY },
	{ "erase-size", required_argument, NULL, OPT_GEOMETRY },
	{ "oob-size", required_argument, NULL, OPT_GEOMETRY },
	{ "oob-avail", required_argument, NULL, OPT_GEOMETRY },
	{ "subpage-size", required_argument, NULL, OPT_GEOMETRY },
	{ "writebuf-size", required_argument, NULL, OPT_GEOMETRY },
	{ "ecc-strength", required_argument, NULL, OPT_GEOMETRY },
	{ "ecc-step", required_argument, NULL, OPT_GEOMETRY },
	{ "bitflip-threshold", required_argument, NULL, OPT_GEOMETRY },
	{ NULL, 0, NULL, 0 },
};

struct rfi_args {
	bool import;
	const char *from, *to;
	enum rf_dump_format fmt;
	struct rf_block_list bad;
	bool force, quiet, size_given;
	/*
	 * The geometry options as a ramflash command line, "--name=value"
	 * each (allocated), after argv[0].
	 */
	char **geo_argv;
	int geo_argc;
};

static int rfi_usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static int rfi_usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("ramflash-image: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputs(" (see --help)\n", stderr);
	va_end(ap);
	return RFI_EXIT_USAGE;
}

static int rfi_out_of_memory(void)
{
	fputs("ramflash-image: out of memory\n", stderr);
	return RFI_EXIT_RUNTIME;
}

/* Parse the command line; returns -1 to go on, else the exit status. */
static int rfi_parse(struct rfi_args *a, int argc, char *argv[])
{
	char err[256];
	struct stat from, to;
	int opt, longind;

	a->geo_argv = calloc((size_t)argc + 1, sizeof(*a->geo_argv));
	if (!a->geo_argv)
		return rfi_out_of_memory();
	a->geo_argv[a->geo_argc++] = argv[0];
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":oqh", rfi_long_options,
				  &longind)) != -1) {
		switch (opt) {
		case OPT_FORMAT:
			if (rf_dump_format_parse(optarg, &a->fmt))
				return rfi_usage_error("--format: unknown format '%s', not plain or oob",
						       optarg);
			break;
		case 'o':
			a->fmt = RF_DUMP_OOB;
			break;
		case OPT_BAD:
			if (rf_block_list_parse(optarg, &a->bad, err, sizeof(err)))
				return rfi_usage_error("--bad: %s", err);
			break;
		case OPT_FORCE:
			a->force = true;
			break;
		case 'q':
			a->quiet = true;
			break;
		case 'h':
			fputs(rfi_usage, stdout);
			return RFI_EXIT_OK;
		case OPT_VERSION:
			printf("ramflash-image %s\n", RAMFLASH_VERSION);
			return RFI_EXIT_OK;
		case OPT_GEOMETRY:
			if (asprintf(&a->geo_argv[a->geo_argc], "--%s=%s",
				     rfi_long_options[longind].name, optarg) < 0)
				return rfi_out_of_memory();
			a->geo_argc++;
			a->size_given |= !strcmp(rfi_long_options[longind].name,
						 "size");
			break;
		case ':':
			return rfi_usage_error("option '%s' needs a value",
					       argv[optind - 1]);
		default:
			return rfi_usage_error("unknown option '%s'",
					       argv[optind - 1]);
		}
	}
	if (optind == argc)
		return rfi_usage_error("import or export?");
	if (!strcmp(argv[optind], "import"))
		a->import = true;
	else if (strcmp(argv[optind], "export"))
		return rfi_usage_error("unknown command '%s', not import or export",
				       argv[optind]);
	if (argc - optind != 3)
		return rfi_usage_error("%s needs two files", argv[optind]);
	a->from = argv[optind + 1];
	a->to = argv[optind + 2];
	if (!a->import && a->geo_argc > 1)
		return rfi_usage_error("%s: an export takes the geometry from the image",
				       a->geo_argv[1]);
	if (!a->import && a->bad.count)
		return rfi_usage_error("--bad: an export takes the bad blocks from the image");
	/* Not even --force may replace the file being read. */
	if (!stat(a->from, &from) && !stat(a->to, &to) &&
	    from.st_dev == to.st_dev && from.st_ino == to.st_ino)
		return rfi_usage_error("%s and %s are the same file", a->from,
				       a->to);
	return -1;
}

/* Refuse to replace @path unless forced; a forced one is removed. */
static int rfi_claim_output(const char *path, bool force)
{
	struct stat st;

	if (lstat(path, &st))
		return 0;
	if (!force) {
		fprintf(stderr, "ramflash-image: %s exists (--force replaces it)\n",
			path);
		return -EEXIST;
	}
	if (unlink(path)) {
		fprintf(stderr, "ramflash-image: cannot remove %s: %s\n", path,
			strerror(errno));
		return -errno;
	}
	return 0;
}

/* "bad blocks: 3,17" (the syntax --bad and ramflash --bad-blocks take). */
static void rfi_print_bad(FILE *out, const struct rf_block_list *bad)
{
	size_t i;

	fputs("bad blocks: ", out);
	for (i = 0; i < bad->count; i++)
		fprintf(out, "%s%" PRIu64, i ? "," : "", bad->blocks[i]);
	fputs(bad->count ? "\n" : "none\n", out);
}

static int rfi_import(struct rfi_args *a)
{
	struct rf_dump_stats stats;
	struct rf_options opts;
	struct rf_sim *sim = NULL;
	struct stat st;
	char err[256];
	FILE *in;
	int ret;

	ret = rf_options_parse(&opts, a->geo_argc, a->geo_argv, stdout, err,
			       sizeof(err));
	if (ret < 0) {
		rf_options_free(&opts);
		return rfi_usage_error("%s", err);
	}
	in = fopen(a->from, "rb");
	if (!in || fstat(fileno(in), &st)) {
		fprintf(stderr, "ramflash-image: cannot open %s: %s\n", a->from,
			strerror(errno));
		ret = RFI_EXIT_RUNTIME;
		goto out;
	}
	ret = S_ISREG(st.st_mode) ? 0 : rf_errorf(err, sizeof(err),
						  "not a regular file");
	if (!ret)
		ret = rf_dump_fit(&opts.cfg.geo, a->fmt, (uint64_t)st.st_size,
				  !a->size_given, err, sizeof(err));
	if (!ret)
		ret = rf_dump_scan_bad(in, &opts.cfg.geo, a->fmt, &a->bad, err,
				       sizeof(err));
	if (ret) {
		fprintf(stderr, "ramflash-image: %s: %s\n", a->from, err);
		ret = RFI_EXIT_RUNTIME;
		goto out;
	}
	if (rfi_claim_output(a->to, a->force)) {
		ret = RFI_EXIT_RUNTIME;
		goto out;
	}
	rf_block_list_free(&opts.cfg.faults.bad_blocks);
	opts.cfg.faults.bad_blocks = a->bad;
	memset(&a->bad, 0, sizeof(a->bad));
	opts.cfg.image_path = a->to;
	ret = rf_sim_open(&sim, &opts.cfg, err, sizeof(err));
	if (!ret)
		ret = rf_dump_import(sim, in, a->fmt, &stats, err, sizeof(err));
	if (rf_sim_close(sim) && !ret)
		ret = rf_errorf(err, sizeof(err), "flushing %s failed", a->to);
	if (ret) {
		fprintf(stderr, "ramflash-image: %s\n", err);
		/* A half-made image is no image: a second run starts afresh. */
		unlink(a->to);
		ret = RFI_EXIT_RUNTIME;
		goto out;
	}
	if (!a->quiet) {
		rf_print_geometry(stdout, a->to, &opts.cfg.geo);
		printf("programmed: %" PRIu64 " data bytes, the OOB of %" PRIu64
		       " pages\n", stats.programmed, stats.oob_pages);
		/* A new image has exactly the bad blocks it was given. */
		rfi_print_bad(stdout, &opts.cfg.faults.bad_blocks);
	}
	ret = RFI_EXIT_OK;
out:
	if (in)
		fclose(in);
	rf_options_free(&opts);
	return ret;
}

static int rfi_export(struct rfi_args *a)
{
	bool to_stdout = !strcmp(a->to, "-");
	FILE *report = to_stdout ? stderr : stdout;
	struct rf_dump_stats stats;
	struct rf_config cfg = { 0 };
	struct rf_sim *sim;
	FILE *out = stdout;
	char err[256];
	int ret, fd;
	uint64_t b;

	if (!rf_image_read_geometry(a->from, &cfg.geo)) {
		if (access(a->from, R_OK))
			fprintf(stderr, "ramflash-image: %s: %s\n", a->from,
				strerror(errno));
		else
			fprintf(stderr, "ramflash-image: %s is not a ramflash image of version %d\n",
				a->from, RF_IMAGE_VERSION);
		return RFI_EXIT_RUNTIME;
	}
	cfg.image_path = a->from;
	ret = rf_sim_open(&sim, &cfg, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "ramflash-image: %s\n", err);
		return RFI_EXIT_RUNTIME;
	}
	if (!to_stdout) {
		if (rfi_claim_output(a->to, a->force)) {
			rf_sim_close(sim);
			return RFI_EXIT_RUNTIME;
		}
		fd = open(a->to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		out = fd < 0 ? NULL : fdopen(fd, "wb");
		if (!out) {
			fprintf(stderr, "ramflash-image: cannot create %s: %s\n",
				a->to, strerror(errno));
			if (fd >= 0)
				close(fd);
			rf_sim_close(sim);
			return RFI_EXIT_RUNTIME;
		}
	}
	ret = rf_dump_export(sim, out, a->fmt, &stats, err, sizeof(err));
	if (!to_stdout && fclose(out) && !ret)
		ret = rf_errorf(err, sizeof(err), "writing %s failed: %s",
				a->to, strerror(errno));
	if (ret) {
		fprintf(stderr, "ramflash-image: %s\n", err);
		if (!to_stdout)
			unlink(a->to);
		rf_sim_close(sim);
		return RFI_EXIT_RUNTIME;
	}
	if (stats.ecc_failed)
		fprintf(stderr, "ramflash-image: %" PRIu64
			" uncorrectable ECC steps, the first in the block at 0x%"
			PRIx64 "; their data is written as read\n",
			stats.ecc_failed, stats.ecc_failed_addr);
	for (b = 0; b < rf_sim_blocks(sim); b++)
		if (rf_sim_bad_reason(sim, b) != RF_BLOCK_GOOD &&
		    rf_block_list_add(&a->bad, b))
			break;
	if (!a->quiet) {
		rf_print_geometry(report, a->to, rf_sim_geometry(sim));
		rfi_print_bad(report, &a->bad);
	}
	return rf_sim_close(sim) ? RFI_EXIT_RUNTIME : RFI_EXIT_OK;
}

int main(int argc, char *argv[])
{
	struct rfi_args a = { 0 };
	int ret = rfi_parse(&a, argc, argv);

	if (ret < 0)
		ret = a.import ? rfi_import(&a) : rfi_export(&a);
	rf_block_list_free(&a.bad);
	while (a.geo_argc > 1)
		free(a.geo_argv[--a.geo_argc]);
	free(a.geo_argv);
	return ret;
}
