// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ramflash report: the wear snapshot, the text report and the JSON.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report.h"
#include "stats.h"

int rf_wear_take(struct rf_sim *sim, struct rf_wear *w)
{
	uint64_t b;
	uint32_t ec;

	memset(w, 0, sizeof(*w));
	w->blocks = rf_sim_blocks(sim);
	w->erase_counts = calloc(w->blocks, sizeof(*w->erase_counts));
	w->reasons = calloc(w->blocks, sizeof(*w->reasons));
	if (!w->erase_counts || !w->reasons) {
		rf_wear_free(w);
		return -ENOMEM;
	}
	w->min = UINT32_MAX;
	for (b = 0; b < w->blocks; b++) {
		ec = rf_sim_erase_count(sim, b);
		w->pending += rf_sim_pending_erases(sim, b);
		w->pending_programs += rf_sim_pending_programs(sim, b);
		w->erase_counts[b] = ec;
		w->reasons[b] = (uint8_t)rf_sim_bad_reason(sim, b);
		w->min = ec < w->min ? ec : w->min;
		w->max = ec > w->max ? ec : w->max;
		w->total += ec;
		w->bad += w->reasons[b] != RF_BLOCK_GOOD;
	}
	return 0;
}

void rf_wear_free(struct rf_wear *w)
{
	free(w->erase_counts);
	free(w->reasons);
	w->erase_counts = NULL;
	w->reasons = NULL;
}

/*
 * The counters as reported: the kernel's erases and programs that the
 * simulator has not applied yet (@w's pending ones, if any) are erases
 * and programmed bytes already.
 */
static void rf_stats_take(struct rf_sim *sim, const struct rf_wear *w,
			  struct rf_stats *snap)
{
	const struct rf_stats *stats = rf_sim_stats(sim);
	uint32_t subpage = rf_sim_geometry(sim)->subpage_size;

#define RF_STATS_TAKE(name, text) \
	atomic_init(&snap->name, rf_stats_get(stats, name));
	RF_STATS_COUNTERS(RF_STATS_TAKE)
#undef RF_STATS_TAKE
	if (!w)
		return;
	rf_stats_add(snap, erases, w->pending);
	rf_stats_add(snap, kernel_erases, w->pending);
	rf_stats_add(snap, write_bytes, w->pending_programs * subpage);
	rf_stats_add(snap, kernel_programs, w->pending_programs);
}

/* The erase counts of @w: "min A avg B max C over N blocks". */
static void rf_wear_print_counts(FILE *out, const struct rf_wear *w)
{
	fprintf(out, "min %" PRIu32 " avg %.2f max %" PRIu32 " over %" PRIu64
		" blocks", w->min, (double)w->total / (double)w->blocks, w->max,
		w->blocks);
}

void rf_wear_report(struct rf_sim *sim, FILE *out, uint64_t erases)
{
	struct rf_wear w;

	if (rf_wear_take(sim, &w)) {
		fprintf(out, "ramflash: wear after %" PRIu64 " erases: out of memory\n",
			erases);
		return;
	}
	fprintf(out, "ramflash: wear after %" PRIu64 " erases: erase counts ",
		erases);
	rf_wear_print_counts(out, &w);
	fprintf(out, ", %" PRIu64 " bad\n", w.bad);
	rf_wear_free(&w);
}

void rf_stats_print(struct rf_sim *sim, FILE *out)
{
	struct rf_stats stats;
	struct rf_wear w;
	uint64_t b;
	int ret;

	ret = rf_wear_take(sim, &w);
	rf_stats_take(sim, ret ? NULL : &w, &stats);
	fprintf(out, "ramflash statistics:\n");
#define RF_STATS_PRINT(name, text)					\
	fprintf(out, "  %-20s %12" PRIuFAST64 "  %s\n", #name,		\
		rf_stats_get(&stats, name), text);
	RF_STATS_COUNTERS(RF_STATS_PRINT)
#undef RF_STATS_PRINT
	if (ret) {
		fprintf(out, "  erase counts and bad blocks: out of memory\n");
		return;
	}
	fprintf(out, "  erase counts: ");
	rf_wear_print_counts(out, &w);
	fprintf(out, "\n");
	fprintf(out, "  store: %" PRIu64 " bytes allocated (image or memory)\n",
		rf_sim_store_bytes(sim));
	fprintf(out, "  bad blocks: %" PRIu64, w.bad);
	for (b = 0; b < w.blocks && w.bad; b++)
		if (w.reasons[b] != RF_BLOCK_GOOD)
			fprintf(out, " %" PRIu64, b);
	fprintf(out, "\n");
	rf_wear_free(&w);
}

const char *rf_bad_reason_name(enum rf_bad_reason reason)
{
	switch (reason) {
	case RF_BLOCK_FACTORY_BAD:
		return "factory";
	case RF_BLOCK_MARKED_BAD:
		return "marked";
	case RF_BLOCK_WORN_OUT:
		return "worn-out";
	default:
		return "good";
	}
}

/* State of writing the "control" list. */
struct rf_events_json {
	FILE *out;
	const char *sep;
};

static void rf_event_json(void *arg, const struct rf_event *ev)
{
	struct rf_events_json *ej = arg;

	fprintf(ej->out, "%s\n    {\"request\": %" PRIu64 ", \"%s\": ", ej->sep,
		ev->request, ev->marker ? "marker" : "command");
	rf_json_write_string(ej->out, ev->text);
	fputc('}', ej->out);
	ej->sep = ",";
}

int rf_stats_write_json(struct rf_sim *sim, FILE *out)
{
	struct rf_events_json ej = { .out = out, .sep = "" };
	const struct rf_geometry *geo = rf_sim_geometry(sim);
	const struct rf_config *cfg = rf_sim_config(sim);
	const char *sep = "";
	struct rf_stats stats;
	struct rf_wear w;
	uint64_t b;
	size_t i;

	if (rf_wear_take(sim, &w))
		return -ENOMEM;
	rf_stats_take(sim, &w, &stats);
	fprintf(out, "{\n  \"schema\": %d,\n  \"ramflash_version\": ",
		RF_REPORT_SCHEMA);
	rf_json_write_string(out, RAMFLASH_VERSION);
	fprintf(out, ",\n  \"seed\": %" PRIu64 ",\n  \"options\": [",
		cfg->faults.seed);
	for (i = 0; i < cfg->nargs; i++) {
		fputs(i ? ", " : "", out);
		rf_json_write_string(out, cfg->args[i]);
	}
	fprintf(out, "],\n  \"geometry\": {\"type\": \"%s\", \"size\": %" PRIu64
		", \"page_size\": %" PRIu32 ", \"erase_size\": %" PRIu32
		", \"oob_size\": %" PRIu32 ", \"oob_avail\": %" PRIu32
		", \"subpage_size\": %" PRIu32 ", \"ecc_strength\": %" PRIu32
		", \"ecc_step\": %" PRIu32 ", \"blocks\": %" PRIu64 "},\n",
		rf_type_name(geo->type), geo->size, geo->page_size,
		geo->erase_size, geo->oob_size, geo->oob_avail,
		geo->subpage_size, geo->ecc_strength, geo->ecc_step, w.blocks);
	fprintf(out, "  \"power_cut\": %s,\n",
		rf_sim_power_cut_done(sim) ? "true" : "false");
	fprintf(out, "  \"store_bytes\": %" PRIu64 ",\n",
		rf_sim_store_bytes(sim));
	fprintf(out, "  \"counters\": {");
#define RF_STATS_JSON(name, text)					\
	fprintf(out, "%s\n    \"%s\": %" PRIuFAST64, sep, #name,		\
		rf_stats_get(&stats, name));				\
	sep = ",";
	RF_STATS_COUNTERS(RF_STATS_JSON)
#undef RF_STATS_JSON
	fprintf(out, "\n  },\n  \"erase_count_min\": %" PRIu32
		",\n  \"erase_count_max\": %" PRIu32
		",\n  \"erase_count_total\": %" PRIu64 ",\n  \"erase_counts\": [",
		w.min, w.max, w.total);
	for (b = 0; b < w.blocks; b++)
		fprintf(out, "%s%" PRIu32, b ? "," : "", w.erase_counts[b]);
	fprintf(out, "],\n  \"bad_blocks\": [");
	sep = "";
	for (b = 0; b < w.blocks; b++) {
		if (w.reasons[b] == RF_BLOCK_GOOD)
			continue;
		fprintf(out, "%s{\"block\": %" PRIu64 ", \"reason\": \"%s\"}",
			sep, b, rf_bad_reason_name(w.reasons[b]));
		sep = ", ";
	}
	/* What the control socket changed and marked, and when. */
	fprintf(out, "],\n  \"control\": [");
	rf_sim_events(sim, rf_event_json, &ej);
	fprintf(out, "%s]\n}\n", *ej.sep ? "\n  " : "");
	rf_wear_free(&w);
	return ferror(out) ? -EIO : 0;
}

int rf_report_save(const char *path, rf_report_fn fn, void *arg)
{
	size_t len = strlen(path);
	char *tmp = malloc(len + 16);
	FILE *f;
	int ret;

	if (!tmp)
		return -ENOMEM;
	snprintf(tmp, len + 16, "%s.tmp.%ld", path, (long)getpid());
	f = fopen(tmp, "w");
	if (!f) {
		ret = -errno;
		free(tmp);
		return ret;
	}
	ret = fn(arg, f);
	if (fclose(f) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret)
		unlink(tmp);
	free(tmp);
	return ret;
}

static int rf_stats_json_report(void *sim, FILE *out)
{
	return rf_stats_write_json(sim, out);
}

int rf_stats_save_json(struct rf_sim *sim, const char *path)
{
	return rf_report_save(path, rf_stats_json_report, sim);
}
