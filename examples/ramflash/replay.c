// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ramflash-trace replay (replay.h).  The replayed chip is the recorded
 * one: made by the same options, fed the same requests in the same order
 * (a traced ramflash runs them one at a time), its kernel erases done as
 * the module does them.  Every request's result is compared with the
 * trace's, so a replay that drifts stops at the first record it gets
 * wrong instead of writing a wrong image.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "options.h"
#include "replay.h"
#include "stats.h"
#include "trace-read.h"

/* Latency changes when, not what: the replay does not wait. */
static void rf_replay_no_delay(void *arg, uint32_t usec)
{
}

static bool rf_same_geometry(const struct rf_geometry *a,
			     const struct rf_geometry *b)
{
	return a->type == b->type && a->size == b->size &&
	       a->page_size == b->page_size && a->erase_size == b->erase_size &&
	       a->writebuf_size == b->writebuf_size &&
	       a->oob_size == b->oob_size && a->oob_avail == b->oob_avail &&
	       a->subpage_size == b->subpage_size &&
	       a->ecc_strength == b->ecc_strength &&
	       a->ecc_step == b->ecc_step &&
	       a->bitflip_threshold == b->bitflip_threshold;
}

/* The image must be new: a replay never overwrites a file. */
static int rf_replay_check_image(const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (!stat(path, &st) && st.st_size) {
		snprintf(err, errlen, "%s exists; a replay writes a new image (remove it or name another)",
			 path);
		return -EEXIST;
	}
	return 0;
}

int rf_replay_open_chip(const struct rf_trace_info *info, const char *trace,
			const char *image, struct rf_options *opts,
			struct rf_sim **sim, char *err, size_t errlen)
{
	char **argv = calloc(info->nargs + 2, sizeof(*argv));
	char why[200];
	int ret;

	if (!argv) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	argv[0] = "ramflash";
	memcpy(argv + 1, info->args, info->nargs * sizeof(*argv));
	ret = rf_options_parse(opts, (int)info->nargs + 1, argv, stderr, why,
			       sizeof(why));
	free(argv);
	if (ret != RF_PARSE_RUN) {
		snprintf(err, errlen, "%s: this ramflash refuses the trace's options: %s",
			 trace, ret < 0 ? why : "they print and exit");
		return -EINVAL;
	}
	if (!rf_same_geometry(&opts->cfg.geo, &info->geo)) {
		snprintf(err, errlen, "%s: the trace's options make another geometry with this ramflash than with ramflash %s, which recorded it",
			 trace, info->ramflash_version);
		return -EINVAL;
	}
	opts->cfg.image_path = image;
	opts->cfg.delay = rf_replay_no_delay;
	opts->cfg.log = NULL;
	opts->cfg.wear_report = 0;
	ret = rf_sim_open(sim, &opts->cfg, why, sizeof(why));
	if (ret)
		snprintf(err, errlen, "%s: %s", image ? image : "the replayed chip",
			 why);
	return ret;
}

/* A read; into @data and @oob when given, else into buffers of its own. */
static int rf_replay_read(struct rf_sim *sim, const struct rf_trace_rec *rec,
			  void *data, void *oob, struct rf_replay_outcome *out)
{
	struct rf_io io = {
		.addr = rec->addr, .len = rec->len, .ooblen = rec->ooblen,
		.ooboffs = rec->ooboffs, .mode = (enum rf_oob_mode)rec->mode,
	};
	uint64_t size = rf_sim_geometry(sim)->size;

	/* A refused read needs no buffer; one larger than the chip is. */
	io.buf = data ? data : malloc(rec->len <= size ? rec->len + 1 : 1);
	io.oobbuf = oob ? oob : malloc(rec->ooblen + 1);
	if (!io.buf || !io.oobbuf) {
		if (!data)
			free(io.buf);
		if (!oob)
			free(io.oobbuf);
		return -ENOMEM;
	}
	if (rec->len > size)
		io.len = 0;
	out->result = rec->len > size ? -EINVAL : rf_sim_read(sim, &io, &out->ecc);
	out->checked = true;
	if (!data)
		free(io.buf);
	if (!oob)
		free(io.oobbuf);
	return 0;
}

/* The kernel's erases of a block; with @tear the last one is torn. */
static int rf_replay_kernel_erase(struct rf_sim *sim,
				  const struct rf_trace_rec *rec, bool tear)
{
	uint32_t erase_size = rf_sim_geometry(sim)->erase_size;
	uint64_t block = rec->addr / erase_size;
	uint32_t n = rec->ooblen;
	int ret = 0;

	if (!tear)
		return rf_sim_kernel_erase(sim, block, n,
					   rec->kind == RF_TRACE_KERNEL_ERASE);
	/* Had a request erased it, the power cut would have torn it. */
	if (n > 1)
		ret = rf_sim_kernel_erase(sim, block, n - 1, true);
	rf_sim_arm_power_cut(sim, 0);
	if (!ret)
		rf_sim_erase(sim, block * erase_size, erase_size);
	return ret;
}

int rf_replay_record(struct rf_sim *sim, const struct rf_trace_rec *rec,
		     bool tear, void *data, void *oob,
		     struct rf_replay_outcome *out)
{
	struct rf_io io = {
		.addr = rec->addr, .len = rec->len, .ooblen = rec->ooblen,
		.ooboffs = rec->ooboffs, .mode = (enum rf_oob_mode)rec->mode,
		.buf = (void *)rec->payload,
		.oobbuf = (void *)(rec->payload + rec->len),
	};

	memset(out, 0, sizeof(*out));
	if (tear && rec->kind != RF_TRACE_KERNEL_ERASE)
		rf_sim_arm_power_cut(sim, 0);
	out->checked = true;
	switch (rec->kind) {
	case RF_TRACE_READ:
		return rf_replay_read(sim, rec, data, oob, out);
	case RF_TRACE_WRITE:
		out->result = rf_sim_write(sim, &io);
		return 0;
	case RF_TRACE_ERASE:
		out->result = rf_sim_erase(sim, rec->addr, rec->len);
		return 0;
	case RF_TRACE_ISBAD:
		out->result = rf_sim_isbad(sim, rec->addr);
		return 0;
	case RF_TRACE_MARKBAD:
		out->result = rf_sim_markbad(sim, rec->addr);
		return 0;
	default:
		break;
	}
	out->checked = false;
	switch (rec->kind) {
	case RF_TRACE_SYNC:
		/* Its result is the disk's, not the chip's. */
		return rf_sim_sync(sim);
	case RF_TRACE_PT_READS:
		rf_sim_count_block_reads(sim, rec->addr /
					 rf_sim_geometry(sim)->erase_size,
					 rec->ooblen, rec->len);
		return 0;
	case RF_TRACE_KERNEL_ERASE:
	case RF_TRACE_KERNEL_PENDING:
		return rf_replay_kernel_erase(sim, rec, tear);
	default:
		return 0;
	}
}

/* Whether record @rec may be torn, else why not. */
static const char *rf_untearable(const struct rf_trace_rec *rec)
{
	switch (rec->kind) {
	case RF_TRACE_WRITE:
	case RF_TRACE_ERASE:
	case RF_TRACE_KERNEL_ERASE:
		return NULL;
	default:
		return "a power cut tears a program or an erase";
	}
}

/* Check what a record the replay ran must satisfy before it runs. */
static int rf_replay_check_record(const struct rf_replay *rp,
				  const struct rf_trace_rec *rec,
				  const struct rf_geometry *geo, char *err,
				  size_t errlen)
{
	const char *why = NULL;

	if (rec->kind == RF_TRACE_WRITE && rec->flags != RF_TRACE_REC_DATA)
		why = "holds a hash of the data, not the data; replay needs a trace recorded with --trace-data full";
	else if ((rec->kind == RF_TRACE_KERNEL_ERASE ||
		  rec->kind == RF_TRACE_KERNEL_PENDING ||
		  rec->kind == RF_TRACE_PT_READS) &&
		 rec->addr / geo->erase_size >= geo->size / geo->erase_size)
		why = "names a block beyond the chip";
	else if (rp->power_cut && rec->number == rp->upto)
		why = rf_untearable(rec);
	if (rec->kind == RF_TRACE_CONTROL) {
		snprintf(err, errlen, "%s: record %" PRIu64 " at offset %" PRIu64
			 " is the control command \"%.*s\", which changed the chip while it ran; a replay cannot repeat it (replay up to record %" PRIu64 ")",
			 rp->trace, rec->number, rec->offset,
			 (int)rec->payload_len, rec->payload, rec->number - 1);
		return -EINVAL;
	}
	if (!why)
		return 0;
	snprintf(err, errlen, "%s: record %" PRIu64 " at offset %" PRIu64
		 " (%s): %s", rp->trace, rec->number, rec->offset,
		 rf_trace_kind_name(rec->kind), why);
	return -EINVAL;
}

bool rf_replay_same(const struct rf_trace_rec *rec,
		    const struct rf_replay_outcome *out)
{
	return !out->checked ||
	       (out->result == rec->result &&
		out->ecc.corrected == rec->ecc.corrected &&
		out->ecc.max_bitflips == rec->ecc.max_bitflips &&
		out->ecc.failed == rec->ecc.failed);
}

/* The recorded outcome against the replayed one. */
static int rf_replay_compare(const struct rf_replay *rp,
			     const struct rf_trace_rec *rec,
			     const struct rf_replay_outcome *out, bool torn,
			     char *err, size_t errlen)
{
	if (torn || rf_replay_same(rec, out))
		return 0;
	snprintf(err, errlen, "%s: record %" PRIu64 " at offset %" PRIu64
		 " (%s at 0x%" PRIx64 "): the replay gives %d (ECC %u/%u/%u), the trace %d (ECC %u/%u/%u): the trace is not of this chip or of this ramflash",
		 rp->trace, rec->number, rec->offset,
		 rf_trace_kind_name(rec->kind), rec->addr, out->result,
		 out->ecc.corrected, out->ecc.max_bitflips, out->ecc.failed,
		 rec->result, rec->ecc.corrected, rec->ecc.max_bitflips,
		 rec->ecc.failed);
	return -EINVAL;
}

/* Replay the records of @r into @sim. */
static int rf_replay_records(const struct rf_replay *rp,
			     struct rf_trace_reader *r, struct rf_sim *sim,
			     char *err, size_t errlen)
{
	struct rf_trace_rec rec;
	struct rf_replay_outcome out;
	bool tear;
	int ret;

	while (rp->all || r->records < rp->upto) {
		ret = rf_trace_read_next(r, &rec, err, errlen);
		if (!ret && rp->all)
			return 0;
		if (!ret) {
			snprintf(err, errlen, "%s: --upto %" PRIu64 ", but the trace holds %" PRIu64 " records",
				 rp->trace, rp->upto, r->records);
			return -EINVAL;
		}
		if (ret < 0)
			return ret;
		ret = rf_replay_check_record(rp, &rec, &r->info.geo, err,
					     errlen);
		if (ret)
			return ret;
		tear = rp->power_cut && rec.number == rp->upto;
		ret = rf_replay_record(sim, &rec, tear, NULL, NULL, &out);
		if (ret) {
			snprintf(err, errlen, "%s: replaying record %" PRIu64 ": %s",
				 rp->trace, rec.number, strerror(-ret));
			return ret;
		}
		if (tear && !rf_sim_power_cut_done(sim)) {
			snprintf(err, errlen, "%s: record %" PRIu64 " (%s, result %d) never reached the flash: nothing to tear",
				 rp->trace, rec.number,
				 rf_trace_kind_name(rec.kind), rec.result);
			return -EINVAL;
		}
		ret = rf_replay_compare(rp, &rec, &out, tear, err, errlen);
		if (ret)
			return ret;
	}
	return 0;
}

int rf_replay_run(const struct rf_replay *rp, char *err, size_t errlen)
{
	struct rf_trace_reader r;
	struct rf_options opts;
	struct rf_sim *sim = NULL;
	bool opened = false;
	int ret, closed;

	memset(&opts, 0, sizeof(opts));
	ret = rf_trace_read_open(&r, rp->trace, err, errlen);
	if (!ret && !(r.info.flags & RF_TRACE_FRESH)) {
		snprintf(err, errlen, "%s: recorded on an existing image; a replay starts from a new chip",
			 rp->trace);
		ret = -EINVAL;
	}
	if (!ret && rp->power_cut && (rp->all || !rp->upto)) {
		snprintf(err, errlen, "--power-cut tears record --upto K; K must be given, from 1");
		ret = -EINVAL;
	}
	if (!ret)
		ret = rf_replay_check_image(rp->image, err, errlen);
	if (!ret) {
		opened = true;
		ret = rf_replay_open_chip(&r.info, rp->trace, rp->image, &opts,
					  &sim, err, errlen);
	}
	if (!ret)
		ret = rf_replay_records(rp, &r, sim, err, errlen);
	if (!ret && rp->stats) {
		ret = rf_stats_save_json(sim, rp->stats);
		if (ret)
			snprintf(err, errlen, "cannot write %s: %s", rp->stats,
				 strerror(-ret));
	}
	closed = rf_sim_close(sim);
	if (!ret && closed) {
		ret = closed;
		snprintf(err, errlen, "%s: %s", rp->image, strerror(-ret));
	}
	/* A failed replay leaves no image that could pass for one. */
	if (ret && opened && sim)
		unlink(rp->image);
	if (opened)
		rf_options_free(&opts);
	rf_trace_read_close(&r);
	return ret;
}
