// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ramflash-trace: the traces of ramflash --trace printed, summarised,
 * validated and replayed into images, on the host, or played onto an MTD
 * (play.c).  See doc/trace-format.md and ramflash-trace(1).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"
#include "play.h"
#include "replay.h"
#include "report.h"
#include "sweep.h"
#include "trace-read.h"

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2, EXIT_CUTS_FAILED = 3 };

static const char rf_usage[] =
"Usage: ramflash-trace print [--json] TRACE\n"
"       ramflash-trace summary [--user-bytes N] TRACE\n"
"       ramflash-trace validate TRACE\n"
"       ramflash-trace replay [--upto K [--power-cut]] [--stats FILE] --image OUT TRACE\n"
"       ramflash-trace sweep --dir DIR [RANGE] [CHOICE] [--timeout S] [--keep]\n"
"                            TRACE [--] CHECKER [ARG]...\n"
"       ramflash-trace play [--from K] [--upto K] [--strict] TRACE /dev/mtdN\n"
"Read the traces of ramflash --trace FILE.\n"
"\n"
"  print      one line per record (--json: one JSON object per line)\n"
"  summary    operations per kind and per block, erases per block, and\n"
"             write amplification (bytes programmed / --user-bytes N)\n"
"  validate   check every length and checksum; exit 1 naming the first\n"
"             bad record and its offset\n"
"  replay     rebuild the chip after the first K records (default: all)\n"
"             into a new image OUT, as ramflash held it; --power-cut tears\n"
"             record K (a program or erase) as --power-cut-after would;\n"
"             needs a trace recorded with --trace-data full\n"
"  sweep      tear each chosen program or erase in a replay of its own\n"
"             (DIR/cut-K.img) and run CHECKER ARG... IMAGE K on it; one\n"
"             line per cut point, also in DIR/report.txt; RANGE: --from K,\n"
"             --to K, --after-marker TEXT, --before-marker TEXT; CHOICE:\n"
"             all (default), --every N, --sample N [--seed S], --only K\n"
"             (re-run one); images of passing points are removed unless\n"
"             --keep; --timeout S fails a checker still running after S s\n"
"  play       run records K (--from, default 1) to K (--upto, default the\n"
"             last) again on an MTD of the trace's geometry (nandsim,\n"
"             mtdram, a ramflash) through mtdchar: erases (the kernel's\n"
"             too), programs, reads, bad blocks, syncs; one line per\n"
"             difference from the traced chip (result, ECC, bytes read);\n"
"             --strict stops at the first; needs --trace-data full\n"
"  -h, --help  this help;  --version  print the version\n"
"Exit status: 0 done, 1 a bad trace or a failed replay, 2 bad usage,\n"
"3 a sweep's checker failed at some cut point.  play: 0 the MTD did what\n"
"the trace says, 1 differences, 2 it could not play (bad usage, a bad or\n"
"hashed trace, not an MTD or not of the trace's geometry).\n";

static const char *const rf_mode_names[] = { "place", "auto", "raw" };

/* ---- print ---- */

static void rf_print_header_text(const struct rf_trace_info *info)
{
	size_t i;

	printf("# ramflash trace version %" PRIu32 ", ramflash %s, %s data%s\n",
	       info->version, info->ramflash_version,
	       info->flags & RF_TRACE_FULL_DATA ? "full" : "hashed",
	       info->flags & RF_TRACE_FRESH ? ", new chip" :
	       ", existing image");
	rf_print_geometry(stdout, "# chip", &info->geo);
	printf("# seed %" PRIu64 ", options:", info->seed);
	for (i = 0; i < info->nargs; i++)
		printf(" %s", info->args[i]);
	printf("\n");
}

static void rf_print_header_json(const struct rf_trace_info *info)
{
	const struct rf_geometry *g = &info->geo;
	size_t i;

	printf("{\"header\": {\"version\": %" PRIu32 ", \"ramflash\": ",
	       info->version);
	rf_json_write_string(stdout, info->ramflash_version);
	printf(", \"full_data\": %s, \"fresh\": %s, \"type\": \"%s\", \"size\": %" PRIu64
	       ", \"page_size\": %" PRIu32 ", \"erase_size\": %" PRIu32
	       ", \"oob_size\": %" PRIu32 ", \"oob_avail\": %" PRIu32
	       ", \"subpage_size\": %" PRIu32 ", \"ecc_strength\": %" PRIu32
	       ", \"ecc_step\": %" PRIu32 ", \"seed\": %" PRIu64 ", \"options\": [",
	       info->flags & RF_TRACE_FULL_DATA ? "true" : "false",
	       info->flags & RF_TRACE_FRESH ? "true" : "false",
	       rf_type_name(g->type), g->size, g->page_size, g->erase_size,
	       g->oob_size, g->oob_avail, g->subpage_size, g->ecc_strength,
	       g->ecc_step, info->seed);
	for (i = 0; i < info->nargs; i++) {
		printf(i ? ", " : "");
		rf_json_write_string(stdout, info->args[i]);
	}
	printf("]}}\n");
}

/* The hashes of a program's data and OOB, whichever way it was kept. */
static void rf_write_hashes(const struct rf_trace_rec *rec, uint64_t h[2])
{
	int i, b;

	if (rec->flags == RF_TRACE_REC_DATA) {
		h[0] = rf_trace_hash(rec->payload, rec->len);
		h[1] = rf_trace_hash(rec->payload + rec->len, rec->ooblen);
		return;
	}
	for (i = 0; i < 2; i++)
		for (h[i] = 0, b = 7; b >= 0; b--)
			h[i] = (h[i] << 8) | rec->payload[8 * i + b];
}

static bool rf_has_io(const struct rf_trace_rec *rec)
{
	return rec->kind == RF_TRACE_READ || rec->kind == RF_TRACE_WRITE;
}

static void rf_print_text(const struct rf_trace_rec *rec)
{
	uint64_t h[2];

	printf("%" PRIu64 " %" PRIu64 ".%06" PRIu64 " %s", rec->number,
	       rec->time_ns / 1000000000u, rec->time_ns / 1000 % 1000000,
	       rf_trace_kind_name(rec->kind));
	if (rec->kind == RF_TRACE_MARKER || rec->kind == RF_TRACE_CONTROL) {
		printf(" \"%.*s\"\n", (int)rec->payload_len, rec->payload);
		return;
	}
	if (rec->kind == RF_TRACE_END) {
		printf(" after %" PRIu64 " records\n", rec->addr);
		return;
	}
	if (rec->kind != RF_TRACE_SYNC)
		printf(" 0x%" PRIx64, rec->addr);
	if (rf_has_io(rec)) {
		printf(" len %" PRIu64 " %s", rec->len, rf_mode_names[rec->mode]);
		if (rec->ooblen)
			printf(" oob %" PRIu32 "+%" PRIu32, rec->ooboffs,
			       rec->ooblen);
	} else if (rec->kind == RF_TRACE_ERASE) {
		printf(" len %" PRIu64, rec->len);
	} else if (rec->kind == RF_TRACE_PT_READS) {
		printf(" reads %" PRIu32 " bytes %" PRIu64, rec->ooblen, rec->len);
	} else if (rec->kind >= RF_TRACE_KERNEL_ERASE) {
		printf(" erases %" PRIu32, rec->ooblen);
	}
	printf(" = %" PRId32, rec->result);
	if (rec->ecc.corrected || rec->ecc.failed)
		printf(" ecc %u/%u/%u", rec->ecc.corrected,
		       rec->ecc.max_bitflips, rec->ecc.failed);
	if (rec->kind == RF_TRACE_WRITE) {
		rf_write_hashes(rec, h);
		printf(" data %016" PRIx64, h[0]);
		if (rec->ooblen)
			printf(" oob %016" PRIx64, h[1]);
	}
	printf("\n");
}

static void rf_print_json(const struct rf_trace_rec *rec)
{
	char *text;
	uint64_t h[2];

	printf("{\"n\": %" PRIu64 ", \"offset\": %" PRIu64 ", \"time_ns\": %" PRIu64
	       ", \"kind\": \"%s\", \"addr\": %" PRIu64 ", \"len\": %" PRIu64
	       ", \"result\": %" PRId32, rec->number, rec->offset, rec->time_ns,
	       rf_trace_kind_name(rec->kind), rec->addr, rec->len, rec->result);
	if (rf_has_io(rec))
		printf(", \"mode\": \"%s\", \"ooblen\": %" PRIu32
		       ", \"ooboffs\": %" PRIu32, rf_mode_names[rec->mode],
		       rec->ooblen, rec->ooboffs);
	else if (rec->kind >= RF_TRACE_PT_READS && rec->kind <= RF_TRACE_KERNEL_PENDING)
		printf(", \"count\": %" PRIu32, rec->ooblen);
	if (rec->kind == RF_TRACE_READ)
		printf(", \"corrected\": %u, \"max_bitflips\": %u, \"failed\": %u",
		       rec->ecc.corrected, rec->ecc.max_bitflips,
		       rec->ecc.failed);
	if (rec->kind == RF_TRACE_WRITE) {
		rf_write_hashes(rec, h);
		printf(", \"data_hash\": \"%016" PRIx64 "\", \"oob_hash\": \"%016" PRIx64
		       "\", \"full_data\": %s", h[0], h[1],
		       rec->flags == RF_TRACE_REC_DATA ? "true" : "false");
	}
	if (rec->kind == RF_TRACE_MARKER || rec->kind == RF_TRACE_CONTROL) {
		text = strndup((const char *)rec->payload, rec->payload_len);
		printf(", \"text\": ");
		rf_json_write_string(stdout, text ? text : "");
		free(text);
	}
	printf("}\n");
}

/* ---- summary ---- */

struct rf_block_sum {
	uint64_t reads, programs, programmed, erases, kernel_erases;
	uint64_t kernel_reads, markbad;
};

struct rf_summary {
	uint64_t kinds[RF_TRACE_KINDS];
	uint64_t read_bytes, programmed, failed;
	uint64_t blocks;
	uint32_t erase_size;
	struct rf_block_sum *block;
};

/* Add @n to the counter @field of each block in [addr, addr + len). */
static void rf_sum_blocks(struct rf_summary *s, uint64_t addr, uint64_t len,
			  size_t field, uint64_t n)
{
	uint64_t b, last = len ? (addr + len - 1) / s->erase_size :
			   addr / s->erase_size;

	for (b = addr / s->erase_size; b <= last && b < s->blocks; b++)
		((uint64_t *)&s->block[b])[field / sizeof(uint64_t)] += n;
}

#define RF_FIELD(f)	offsetof(struct rf_block_sum, f)

static void rf_summary_add(struct rf_summary *s, const struct rf_trace_rec *rec)
{
	bool ok = rec->result >= 0;

	s->kinds[rec->kind]++;
	if (rec->result < 0)
		s->failed++;
	switch (rec->kind) {
	case RF_TRACE_READ:
		s->read_bytes += ok ? rec->len : 0;
		rf_sum_blocks(s, rec->addr, rec->len, RF_FIELD(reads), 1);
		break;
	case RF_TRACE_WRITE:
		s->programmed += ok ? rec->len + rec->ooblen : 0;
		rf_sum_blocks(s, rec->addr, rec->len, RF_FIELD(programs), 1);
		rf_sum_blocks(s, rec->addr, rec->len, RF_FIELD(programmed),
			      ok ? rec->len : 0);
		break;
	case RF_TRACE_ERASE:
		rf_sum_blocks(s, rec->addr, rec->len, RF_FIELD(erases), ok);
		break;
	case RF_TRACE_MARKBAD:
		rf_sum_blocks(s, rec->addr, 0, RF_FIELD(markbad), 1);
		break;
	case RF_TRACE_PT_READS:
		s->read_bytes += rec->len;
		rf_sum_blocks(s, rec->addr, 0, RF_FIELD(kernel_reads),
			      rec->ooblen);
		break;
	case RF_TRACE_KERNEL_ERASE:
	case RF_TRACE_KERNEL_PENDING:
		rf_sum_blocks(s, rec->addr, 0, RF_FIELD(kernel_erases),
			      rec->ooblen);
		break;
	default:
		break;
	}
}

static void rf_summary_print(const struct rf_summary *s, uint64_t user_bytes)
{
	uint64_t b, n, min = UINT64_MAX, max = 0, total = 0;
	const struct rf_block_sum *k;
	unsigned int i;

	printf("operations:\n");
	for (i = RF_TRACE_READ; i < RF_TRACE_KINDS; i++)
		if (s->kinds[i])
			printf("  %-22s %" PRIu64 "\n", rf_trace_kind_name(i),
			       s->kinds[i]);
	printf("  %-22s %" PRIu64 "\n", "failed", s->failed);
	printf("bytes read %" PRIu64 ", programmed %" PRIu64 " (data and OOB)\n",
	       s->read_bytes, s->programmed);
	if (user_bytes)
		printf("write amplification %.3f (%" PRIu64 " programmed / %" PRIu64 " written by the user)\n",
		       (double)s->programmed / (double)user_bytes,
		       s->programmed, user_bytes);
	else
		printf("write amplification unknown (give --user-bytes N)\n");
	printf("block  reads  kernel-reads  programs  programmed  erases  kernel-erases  markbad\n");
	for (b = 0; b < s->blocks; b++) {
		k = &s->block[b];
		n = k->erases + k->kernel_erases;
		total += n;
		min = n < min ? n : min;
		max = n > max ? n : max;
		if (!k->reads && !k->kernel_reads && !k->programs && !n &&
		    !k->markbad)
			continue;
		printf("%5" PRIu64 " %6" PRIu64 " %13" PRIu64 " %9" PRIu64 " %11" PRIu64
		       " %7" PRIu64 " %14" PRIu64 " %8" PRIu64 "\n", b, k->reads,
		       k->kernel_reads, k->programs, k->programmed, k->erases,
		       k->kernel_erases, k->markbad);
	}
	printf("erases per block: min %" PRIu64 ", avg %.2f, max %" PRIu64 "\n",
	       s->blocks ? min : 0,
	       s->blocks ? (double)total / (double)s->blocks : 0.0, max);
}

/* ---- commands ---- */

enum rf_cmd { CMD_PRINT, CMD_SUMMARY, CMD_VALIDATE };

/* Read every record of @path for @cmd. */
static int rf_walk(const char *path, enum rf_cmd cmd, bool json,
		   uint64_t user_bytes)
{
	struct rf_summary sum;
	struct rf_trace_reader r;
	struct rf_trace_rec rec;
	char err[512];
	int ret;

	memset(&sum, 0, sizeof(sum));
	ret = rf_trace_read_open(&r, path, err, sizeof(err));
	if (!ret && cmd == CMD_PRINT)
		(json ? rf_print_header_json : rf_print_header_text)(&r.info);
	if (!ret && cmd == CMD_SUMMARY) {
		sum.erase_size = r.info.geo.erase_size;
		sum.blocks = sum.erase_size ? r.info.geo.size / sum.erase_size : 0;
		sum.block = calloc(sum.blocks + 1, sizeof(*sum.block));
		if (!sum.block) {
			snprintf(err, sizeof(err), "out of memory");
			ret = -ENOMEM;
		}
	}
	while (!ret && (ret = rf_trace_read_next(&r, &rec, err, sizeof(err))) > 0) {
		ret = 0;
		if (cmd == CMD_PRINT)
			(json ? rf_print_json : rf_print_text)(&rec);
		else if (cmd == CMD_SUMMARY)
			rf_summary_add(&sum, &rec);
	}
	/* What was read is shown; the error comes after it. */
	if (cmd == CMD_SUMMARY && sum.block)
		rf_summary_print(&sum, user_bytes);
	if (!ret && cmd == CMD_VALIDATE)
		printf("%s: %" PRIu64 " records, valid\n", path, r.records);
	fflush(stdout);
	if (ret)
		fprintf(stderr, "ramflash-trace: %s\n", err);
	free(sum.block);
	rf_trace_read_close(&r);
	return ret ? EXIT_FAIL : EXIT_OK;
}

static int rf_usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static int rf_usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "ramflash-trace: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, " (see --help)\n");
	va_end(ap);
	return EXIT_USAGE;
}

enum { OPT_JSON = 256, OPT_USER_BYTES, OPT_UPTO, OPT_POWER_CUT, OPT_IMAGE,
       OPT_STATS, OPT_VERSION, OPT_DIR, OPT_FROM, OPT_TO, OPT_AFTER_MARKER,
       OPT_BEFORE_MARKER, OPT_EVERY, OPT_SAMPLE, OPT_SEED, OPT_ONLY,
       OPT_TIMEOUT, OPT_KEEP, OPT_STRICT };

static const struct option rf_options[] = {
	{ "json", no_argument, NULL, OPT_JSON },
	{ "user-bytes", required_argument, NULL, OPT_USER_BYTES },
	{ "upto", required_argument, NULL, OPT_UPTO },
	{ "power-cut", no_argument, NULL, OPT_POWER_CUT },
	{ "image", required_argument, NULL, OPT_IMAGE },
	{ "stats", required_argument, NULL, OPT_STATS },
	{ "dir", required_argument, NULL, OPT_DIR },
	{ "from", required_argument, NULL, OPT_FROM },
	{ "to", required_argument, NULL, OPT_TO },
	{ "after-marker", required_argument, NULL, OPT_AFTER_MARKER },
	{ "before-marker", required_argument, NULL, OPT_BEFORE_MARKER },
	{ "every", required_argument, NULL, OPT_EVERY },
	{ "sample", required_argument, NULL, OPT_SAMPLE },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "only", required_argument, NULL, OPT_ONLY },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "keep", no_argument, NULL, OPT_KEEP },
	{ "strict", no_argument, NULL, OPT_STRICT },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

/* The options a command takes. */
static bool rf_allowed(const char *cmd, int opt)
{
	if (!strcmp(cmd, "play"))
		return opt == OPT_FROM || opt == OPT_UPTO || opt == OPT_STRICT;
	switch (opt) {
	case OPT_JSON:
		return !strcmp(cmd, "print");
	case OPT_USER_BYTES:
		return !strcmp(cmd, "summary");
	case OPT_UPTO:
	case OPT_POWER_CUT:
	case OPT_IMAGE:
	case OPT_STATS:
		return !strcmp(cmd, "replay");
	default:
		return opt >= OPT_DIR && opt <= OPT_KEEP && !strcmp(cmd, "sweep");
	}
}

/* play's exit status: 1 for differences, 2 when it could not play. */
static int rf_play_main(struct rf_play *pl, int argc, char *argv[])
{
	uint64_t differences;
	char err[512];

	if (argc != 2)
		return rf_usage_error("%s", "play needs TRACE and /dev/mtdN");
	if (pl->upto && pl->from > pl->upto)
		return rf_usage_error("--from %" PRIu64 " comes after --upto %" PRIu64,
				      pl->from, pl->upto);
	pl->trace = argv[0];
	pl->device = argv[1];
	if (rf_play_run(pl, &differences, err, sizeof(err))) {
		fflush(stdout);
		fprintf(stderr, "ramflash-trace: %s\n", err);
		return EXIT_USAGE;
	}
	return differences ? EXIT_FAIL : EXIT_OK;
}

/* A sweep's option with a value; false if the value is not a count. */
static bool rf_sweep_opt(struct rf_sweep *sw, int opt, const char *arg)
{
	uint64_t *counts[] = {
		[OPT_FROM - OPT_DIR] = &sw->from, [OPT_TO - OPT_DIR] = &sw->to,
		[OPT_EVERY - OPT_DIR] = &sw->every,
		[OPT_SAMPLE - OPT_DIR] = &sw->sample,
		[OPT_SEED - OPT_DIR] = &sw->seed,
		[OPT_ONLY - OPT_DIR] = &sw->only,
	};
	uint64_t timeout;

	switch (opt) {
	case OPT_DIR:
		sw->dir = arg;
		return true;
	case OPT_AFTER_MARKER:
		sw->after_marker = arg;
		return true;
	case OPT_BEFORE_MARKER:
		sw->before_marker = arg;
		return true;
	case OPT_KEEP:
		sw->keep = true;
		return true;
	case OPT_TIMEOUT:
		if (rf_parse_size(arg, &timeout) || timeout > UINT32_MAX)
			return false;
		sw->timeout = (unsigned int)timeout;
		return true;
	default:
		return !rf_parse_size(arg, counts[opt - OPT_DIR]);
	}
}

static int rf_sweep_main(struct rf_sweep *sw, int argc, char *argv[])
{
	uint64_t failed;
	char err[512];

	if (!sw->dir)
		return rf_usage_error("%s", "sweep needs --dir DIR");
	if (argc < 2 || (argc == 2 && !strcmp(argv[1], "--")))
		return rf_usage_error("%s", "sweep needs TRACE and a CHECKER");
	if (!sw->every || (sw->only && (sw->sample || sw->every > 1)) ||
	    (sw->sample && sw->every > 1))
		return rf_usage_error("%s", "--only, --every N (N > 0) and --sample N choose alone");
	sw->trace = argv[0];
	sw->checker = argv + (strcmp(argv[1], "--") ? 1 : 2);
	if (rf_sweep_run(sw, &failed, err, sizeof(err))) {
		fprintf(stderr, "ramflash-trace: %s\n", err);
		return EXIT_FAIL;
	}
	return failed ? EXIT_CUTS_FAILED : EXIT_OK;
}

int main(int argc, char *argv[])
{
	struct rf_replay rp = { .all = true };
	struct rf_sweep sw = { .every = 1 };
	struct rf_play pl = { 0 };
	uint64_t user_bytes = 0;
	const char *cmd;
	bool json = false;
	char err[512];
	int opt;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+h", rf_options, NULL)) != -1) {
		if (opt == 'h') {
			fputs(rf_usage, stdout);
			return EXIT_OK;
		}
		if (opt == OPT_VERSION) {
			printf("ramflash-trace %s\n", RAMFLASH_VERSION);
			return EXIT_OK;
		}
		return rf_usage_error("'%s' comes after the command",
				      argv[optind - 1]);
	}
	if (optind >= argc)
		return rf_usage_error("%s", "a command is needed");
	cmd = argv[optind];
	if (strcmp(cmd, "print") && strcmp(cmd, "summary") &&
	    strcmp(cmd, "validate") && strcmp(cmd, "replay") &&
	    strcmp(cmd, "sweep") && strcmp(cmd, "play"))
		return rf_usage_error("unknown command '%s'", cmd);
	optind++;
	/* "+": the options come before TRACE, a sweep's checker after it. */
	while ((opt = getopt_long(argc, argv, "+:h", rf_options, NULL)) != -1) {
		if (opt == '?' || opt == ':')
			return opt == ':' ?
			       rf_usage_error("option '%s' needs a value",
					      argv[optind - 1]) :
			       rf_usage_error("unknown option '%s'",
					      argv[optind - 1]);
		if (!rf_allowed(cmd, opt))
			return rf_usage_error("option '%s' is not one of this command's",
					      argv[optind - 1]);
		if (opt == OPT_STRICT)
			pl.strict = true;
		else if (!strcmp(cmd, "play") &&
			 (rf_parse_size(optarg, opt == OPT_FROM ? &pl.from :
					&pl.upto) ||
			  !(opt == OPT_FROM ? pl.from : pl.upto)))
			return rf_usage_error("'%s' is not a record number (from 1)",
					      optarg);
		else if (!strcmp(cmd, "play"))
			continue;
		else if (opt == OPT_JSON)
			json = true;
		else if (opt == OPT_POWER_CUT)
			rp.power_cut = true;
		else if (opt == OPT_IMAGE)
			rp.image = optarg;
		else if (opt == OPT_STATS)
			rp.stats = optarg;
		else if (opt >= OPT_DIR ? !rf_sweep_opt(&sw, opt, optarg) :
			 opt == OPT_USER_BYTES ?
			 rf_parse_size(optarg, &user_bytes) || !user_bytes :
			 rf_parse_size(optarg, &rp.upto))
			return rf_usage_error("'%s' is not a count", optarg);
		else if (opt == OPT_UPTO)
			rp.all = false;
	}
	if (!strcmp(cmd, "sweep"))
		return rf_sweep_main(&sw, argc - optind, argv + optind);
	if (!strcmp(cmd, "play"))
		return rf_play_main(&pl, argc - optind, argv + optind);
	if (argc - optind != 1)
		return rf_usage_error("%s", "one TRACE file is needed");
	if (!strcmp(cmd, "replay")) {
		if (!rp.image)
			return rf_usage_error("%s", "replay needs --image OUT");
		if (rp.power_cut && rp.all)
			return rf_usage_error("%s", "--power-cut needs --upto K");
		rp.trace = argv[optind];
		if (rf_replay_run(&rp, err, sizeof(err))) {
			fprintf(stderr, "ramflash-trace: %s\n", err);
			return EXIT_FAIL;
		}
		return EXIT_OK;
	}
	return rf_walk(argv[optind], !strcmp(cmd, "print") ? CMD_PRINT :
		       !strcmp(cmd, "summary") ? CMD_SUMMARY : CMD_VALIDATE,
		       json, user_bytes);
}
