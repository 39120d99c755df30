// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ramflash counters: report and JSON.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stats.h"

struct rf_wear {
	uint32_t min, max;
	uint64_t total;
	uint64_t bad;
};

static void rf_wear_summary(const struct rf_sim *sim, struct rf_wear *w)
{
	uint64_t b, blocks = rf_sim_blocks(sim);
	uint32_t ec;

	memset(w, 0, sizeof(*w));
	w->min = UINT32_MAX;
	for (b = 0; b < blocks; b++) {
		ec = rf_sim_erase_count(sim, b);
		w->min = ec < w->min ? ec : w->min;
		w->max = ec > w->max ? ec : w->max;
		w->total += ec;
		w->bad += rf_sim_bad_reason(sim, b) != RF_BLOCK_GOOD;
	}
}

void rf_stats_print(struct rf_sim *sim, FILE *out)
{
	const struct rf_stats *stats = rf_sim_stats(sim);
	uint64_t b, blocks = rf_sim_blocks(sim);
	struct rf_wear w;

	fprintf(out, "ramflash statistics:\n");
#define RF_STATS_PRINT(name, text)					\
	fprintf(out, "  %-20s %12" PRIuFAST64 "  %s\n", #name,		\
		rf_stats_get(stats, name), text);
	RF_STATS_COUNTERS(RF_STATS_PRINT)
#undef RF_STATS_PRINT
	rf_wear_summary(sim, &w);
	fprintf(out, "  erase counts: min %" PRIu32 " avg %.2f max %" PRIu32
		" over %" PRIu64 " blocks\n", w.min,
		(double)w.total / (double)blocks, w.max, blocks);
	fprintf(out, "  store: %" PRIu64 " bytes allocated (image or memory)\n",
		rf_sim_store_bytes(sim));
	fprintf(out, "  bad blocks: %" PRIu64, w.bad);
	for (b = 0; b < blocks && w.bad; b++)
		if (rf_sim_bad_reason(sim, b) != RF_BLOCK_GOOD)
			fprintf(out, " %" PRIu64, b);
	fprintf(out, "\n");
}

static const char *rf_bad_reason_name(const struct rf_sim *sim, uint64_t b)
{
	switch (rf_sim_bad_reason(sim, b)) {
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

int rf_stats_write_json(struct rf_sim *sim, FILE *out)
{
	const struct rf_geometry *geo = rf_sim_geometry(sim);
	const struct rf_stats *stats = rf_sim_stats(sim);
	uint64_t b, blocks = rf_sim_blocks(sim);
	const char *sep = "";
	struct rf_wear w;

	fprintf(out, "{\n  \"geometry\": {\"type\": \"%s\", \"size\": %" PRIu64
		", \"page_size\": %" PRIu32 ", \"erase_size\": %" PRIu32
		", \"oob_size\": %" PRIu32 ", \"oob_avail\": %" PRIu32
		", \"subpage_size\": %" PRIu32 ", \"ecc_strength\": %" PRIu32
		", \"ecc_step\": %" PRIu32 ", \"blocks\": %" PRIu64 "},\n",
		rf_type_name(geo->type), geo->size, geo->page_size,
		geo->erase_size, geo->oob_size, geo->oob_avail,
		geo->subpage_size, geo->ecc_strength, geo->ecc_step, blocks);
	fprintf(out, "  \"power_cut\": %s,\n",
		rf_sim_power_cut_done(sim) ? "true" : "false");
	fprintf(out, "  \"store_bytes\": %" PRIu64 ",\n",
		rf_sim_store_bytes(sim));
	fprintf(out, "  \"counters\": {");
#define RF_STATS_JSON(name, text)					\
	fprintf(out, "%s\n    \"%s\": %" PRIuFAST64, sep, #name,		\
		rf_stats_get(stats, name));				\
	sep = ",";
	RF_STATS_COUNTERS(RF_STATS_JSON)
#undef RF_STATS_JSON
	rf_wear_summary(sim, &w);
	fprintf(out, "\n  },\n  \"erase_count_min\": %" PRIu32
		",\n  \"erase_count_max\": %" PRIu32
		",\n  \"erase_count_total\": %" PRIu64 ",\n  \"erase_counts\": [",
		w.min, w.max, w.total);
	for (b = 0; b < blocks; b++)
		fprintf(out, "%s%" PRIu32, b ? "," : "",
			rf_sim_erase_count(sim, b));
	fprintf(out, "],\n  \"bad_blocks\": [");
	sep = "";
	for (b = 0; b < blocks; b++) {
		if (rf_sim_bad_reason(sim, b) == RF_BLOCK_GOOD)
			continue;
		fprintf(out, "%s{\"block\": %" PRIu64 ", \"reason\": \"%s\"}",
			sep, b, rf_bad_reason_name(sim, b));
		sep = ", ";
	}
	fprintf(out, "]\n}\n");
	return ferror(out) ? -EIO : 0;
}

int rf_stats_save_json(struct rf_sim *sim, const char *path)
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
	ret = rf_stats_write_json(sim, f);
	if (fclose(f) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret)
		unlink(tmp);
	free(tmp);
	return ret;
}
