// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ramflash-trace play (play.h).  Each request of the trace becomes the
 * mtdchar call that makes the same MTD operation: MEMERASE64, pwrite or
 * MEMWRITE (MEMWRITEOOB64 for OOB at an offset), pread or MEMREAD
 * (MEMREADOOB64), MEMGETBADBLOCK, MEMSETBADBLOCK; a sync is a close and
 * an open again (mtdchar syncs the MTD when a writer closes it: it has no
 * fsync).  What a read should return comes from the trace's chip replayed
 * on the host alongside (replay.h): the trace holds no read data.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <mtd/mtd-abi.h>

#include "options.h"
#include "play.h"
#include "replay.h"
#include "trace-read.h"

/* The MTD played onto. */
struct rf_target {
	const char *path;
	int fd;
	struct mtd_info_user info;
};

/* One play. */
struct rf_player {
	const struct rf_play *p;
	struct rf_target t;
	struct rf_sim *shadow;		/* the trace's chip, or NULL */
	uint64_t differences;
	uint64_t kinds[RF_TRACE_KINDS];	/* records played, per kind */
	uint64_t pt_reads;		/* reads of skipped kernel-reads */
	uint64_t last;			/* the last record played */
	bool stop;			/* --strict and a difference */
};

static const char *const rf_mode_names[] = { "place", "auto", "raw" };

/* ---- the target ---- */

static int rf_target_open(struct rf_target *t, char *err, size_t errlen)
{
	struct stat st;
	int ret;

	t->fd = open(t->path, O_RDWR | O_CLOEXEC);
	if (t->fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot open %s: %s", t->path,
			 strerror(errno));
		return ret;
	}
	if (fstat(t->fd, &st) || !S_ISCHR(st.st_mode)) {
		snprintf(err, errlen, "%s is not a character device: play needs an MTD's /dev/mtdN",
			 t->path);
		return -EINVAL;
	}
	if (ioctl(t->fd, MEMGETINFO, &t->info)) {
		snprintf(err, errlen, "%s is not an MTD (MEMGETINFO: %s): play needs an MTD's /dev/mtdN",
			 t->path, strerror(errno));
		return -EINVAL;
	}
	return 0;
}

static void rf_target_close(struct rf_target *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
}

/* The MTD type of a ramflash chip type. */
static unsigned int rf_mtd_type(enum rf_type type)
{
	switch (type) {
	case RF_TYPE_NAND:
		return MTD_NANDFLASH;
	case RF_TYPE_MLC_NAND:
		return MTD_MLCNANDFLASH;
	case RF_TYPE_NOR:
		return MTD_NORFLASH;
	case RF_TYPE_RAM:
		return MTD_RAM;
	}
	return MTD_ABSENT;
}

/* Append ", NAME GOT (the trace: WANT)" to @buf when they differ. */
static void rf_geo_field(char *buf, size_t size, const char *name,
			 uint64_t got, uint64_t want)
{
	size_t n = strlen(buf);

	if (got != want && n < size)
		snprintf(buf + n, size - n, "%s%s %" PRIu64 " (the trace: %" PRIu64 ")",
			 n ? ", " : "", name, got, want);
}

/*
 * The geometry MEMGETINFO gives against the trace's: a mismatch makes
 * every address and length mean something else, so it is refused.
 */
static int rf_check_geometry(const struct rf_target *t,
			     const struct rf_geometry *g, char *err,
			     size_t errlen)
{
	const struct mtd_info_user *i = &t->info;
	char diff[400] = "";

	rf_geo_field(diff, sizeof(diff), "MTD type", i->type,
		     rf_mtd_type(g->type));
	rf_geo_field(diff, sizeof(diff), "size", i->size, g->size);
	rf_geo_field(diff, sizeof(diff), "erase size", i->erasesize,
		     g->erase_size);
	rf_geo_field(diff, sizeof(diff), "write size", i->writesize,
		     g->page_size);
	rf_geo_field(diff, sizeof(diff), "OOB size", i->oobsize, g->oob_size);
	if (!diff[0])
		return 0;
	snprintf(err, errlen, "%s is not of the trace's geometry: %s",
		 t->path, diff);
	return -EINVAL;
}

/* An attribute of the target's sysfs directory; false if unreadable. */
static bool rf_sysfs_u32(const struct rf_target *t, const char *attr,
			 uint32_t *v)
{
	struct stat st;
	char path[128];
	unsigned int x;
	FILE *f;
	bool ok;

	if (fstat(t->fd, &st))
		return false;
	snprintf(path, sizeof(path), "/sys/dev/char/%u:%u/%s",
		 major(st.st_rdev), minor(st.st_rdev), attr);
	f = fopen(path, "r");
	if (!f)
		return false;
	ok = fscanf(f, "%u", &x) == 1;
	fclose(f);
	*v = x;
	return ok;
}

/* What MEMGETINFO does not say but changes what some requests do. */
static void rf_note_sysfs(const struct rf_target *t,
			  const struct rf_geometry *g)
{
	uint32_t v;

	if (rf_sysfs_u32(t, "oobavail", &v) && v != g->oob_avail)
		printf("note: %s has %" PRIu32 " free OOB bytes per page, the trace's chip %" PRIu32
		       ": requests in AUTO OOB mode may differ\n", t->path, v,
		       g->oob_avail);
	if (rf_sysfs_u32(t, "subpagesize", &v) && v != g->subpage_size)
		printf("note: %s has subpages of %" PRIu32 " bytes, the trace's chip %" PRIu32
		       ": writes of a subpage may differ\n", t->path, v,
		       g->subpage_size);
}

/* ---- differences ---- */

static void rf_diff(struct rf_player *pl, const struct rf_trace_rec *rec,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void rf_diff(struct rf_player *pl, const struct rf_trace_rec *rec,
		    const char *fmt, ...)
{
	va_list ap;

	printf("record %" PRIu64 " %s 0x%" PRIx64, rec->number,
	       rf_trace_kind_name(rec->kind), rec->addr);
	if (rec->kind == RF_TRACE_READ || rec->kind == RF_TRACE_WRITE)
		printf(" len %" PRIu64 " %s oob %" PRIu32, rec->len,
		       rf_mode_names[rec->mode], rec->ooblen);
	printf(": differs: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	pl->differences++;
	pl->stop = pl->p->strict;
}

static const char *rf_errname(int result)
{
	return result < 0 ? strerror(-result) : result ? "bad" : "ok";
}

static void rf_compare_result(struct rf_player *pl,
			      const struct rf_trace_rec *rec, int got)
{
	if (got != rec->result)
		rf_diff(pl, rec, "result %d (%s) in the trace, %d (%s) on %s",
			rec->result, rf_errname(rec->result), got,
			rf_errname(got), pl->t.path);
}

/* Bytes a read gave against what the trace's chip gave. */
static void rf_compare_bytes(struct rf_player *pl,
			     const struct rf_trace_rec *rec, const char *what,
			     const uint8_t *want, const uint8_t *got,
			     size_t len)
{
	size_t i, first = 0, n = 0;

	for (i = 0; i < len; i++)
		if (want[i] != got[i] && !n++)
			first = i;
	if (n)
		rf_diff(pl, rec, "%s: %zu of %zu bytes, the first at +0x%zx (0x%02x from the trace's chip, 0x%02x on %s)",
			what, n, len, first, want[first], got[first],
			pl->t.path);
}

/* ---- playing ---- */

static int rf_result(long ret)
{
	return ret < 0 ? -errno : 0;
}

/* MEMREAD's and MEMWRITE's request (of two types) for @rec. */
#define RF_MTD_REQ(rec, data, oob) {					\
	.start = (rec)->addr, .len = (rec)->len, .ooblen = (rec)->ooblen,	\
	.usr_data = (rec)->len ? (uintptr_t)(data) : 0,			\
	.usr_oob = (rec)->ooblen ? (uintptr_t)(oob) : 0,			\
	.mode = (rec)->mode,						\
}

/* Plain in-band data: pread and pwrite. */
static bool rf_plain(const struct rf_trace_rec *rec)
{
	return rec->mode == RF_OOB_PLACE && !rec->ooblen;
}

/*
 * OOB at an offset (MEMREADOOB64 or MEMWRITEOOB64 as @cmd), in place or
 * raw mode: mtdchar takes the mode from the file's.
 */
static int rf_oob_at_offset(struct rf_target *t, const struct rf_trace_rec *rec,
			    const void *oob, unsigned long cmd)
{
	struct mtd_oob_buf64 ob = {
		.start = rec->addr + rec->ooboffs, .length = rec->ooblen,
		.usr_ptr = (uintptr_t)oob,
	};
	int ret;

	ioctl(t->fd, MTDFILEMODE, rec->mode == RF_OOB_RAW ? MTD_FILE_MODE_RAW :
	      MTD_FILE_MODE_NORMAL);
	ret = rf_result(ioctl(t->fd, cmd, &ob));
	ioctl(t->fd, MTDFILEMODE, MTD_FILE_MODE_NORMAL);
	return ret;
}

/* Why mtdchar cannot ask for a read or write like @rec; NULL if it can. */
static const char *rf_unplayable(const struct rf_trace_rec *rec)
{
	if (rec->ooboffs && (rec->len || rec->mode == RF_OOB_AUTO))
		return "OOB at an offset, with data or in AUTO mode, which mtdchar cannot ask for";
	return NULL;
}

/* The ECC figures of a read the target did, and whether max is known. */
struct rf_got {
	int result;
	struct rf_ecc ecc;
	bool max_known;
};

static void rf_play_read_io(struct rf_target *t, const struct rf_trace_rec *rec,
			    uint8_t *data, uint8_t *oob, struct rf_got *got)
{
	struct mtd_ecc_stats before = { 0 }, after = { 0 };
	struct mtd_read_req req = RF_MTD_REQ(rec, data, oob);
	ssize_t n;

	if (rf_plain(rec)) {
		/* Plain reads: pread, the ECC from the counters. */
		ioctl(t->fd, ECCGETSTATS, &before);
		n = pread(t->fd, data, rec->len, (off_t)rec->addr);
		got->result = n < 0 ? -errno : (uint64_t)n == rec->len ? 0 : -EIO;
		ioctl(t->fd, ECCGETSTATS, &after);
		got->ecc.corrected = after.corrected - before.corrected;
		got->ecc.failed = after.failed - before.failed;
		return;
	}
	if (rec->ooboffs) {
		ioctl(t->fd, ECCGETSTATS, &before);
		got->result = rf_oob_at_offset(t, rec, oob, MEMREADOOB64);
		ioctl(t->fd, ECCGETSTATS, &after);
		got->ecc.corrected = after.corrected - before.corrected;
		got->ecc.failed = after.failed - before.failed;
		return;
	}
	got->result = rf_result(ioctl(t->fd, MEMREAD, &req));
	got->ecc.corrected = req.ecc_stats.corrected_bitflips;
	got->ecc.max_bitflips = req.ecc_stats.max_bitflips;
	got->ecc.failed = req.ecc_stats.uncorrectable_errors;
	got->max_known = true;
}

/* A read: result, ECC figures, and the bytes when @want_data has them. */
static int rf_play_read(struct rf_player *pl, const struct rf_trace_rec *rec,
			const uint8_t *want_data, const uint8_t *want_oob)
{
	uint8_t *data, *oob;
	struct rf_got got = { 0 };

	if (rec->len > pl->t.info.size || rec->ooblen > pl->t.info.size) {
		rf_diff(pl, rec, "not played: longer than %s", pl->t.path);
		return 0;
	}
	data = malloc(rec->len + 1);
	oob = malloc(rec->ooblen + 1);
	if (!data || !oob) {
		free(data);
		free(oob);
		return -ENOMEM;
	}
	rf_play_read_io(&pl->t, rec, data, oob, &got);
	/* The ECC figures say what -EUCLEAN and -EBADMSG say. */
	if (got.result == -EUCLEAN || got.result == -EBADMSG)
		got.result = 0;
	rf_compare_result(pl, rec, got.result);
	if (got.ecc.corrected != rec->ecc.corrected ||
	    got.ecc.failed != rec->ecc.failed ||
	    (got.max_known && got.ecc.max_bitflips != rec->ecc.max_bitflips))
		rf_diff(pl, rec, "ECC %u/%u/%u in the trace, %u/%s%u/%u on %s (bits corrected/most in a step/steps failed)",
			rec->ecc.corrected, rec->ecc.max_bitflips,
			rec->ecc.failed, got.ecc.corrected,
			got.max_known ? "" : "?", got.ecc.max_bitflips,
			got.ecc.failed, pl->t.path);
	/* Data that failed ECC is anybody's; OOB in place or raw mode holds
	 * the ECC bytes each driver writes its own way. */
	if (want_data && !got.result && !rec->result && !got.ecc.failed &&
	    !rec->ecc.failed) {
		rf_compare_bytes(pl, rec, "data", want_data, data, rec->len);
		if (rec->mode == RF_OOB_AUTO)
			rf_compare_bytes(pl, rec, "OOB", want_oob, oob,
					 rec->ooblen);
	}
	free(data);
	free(oob);
	return 0;
}

static int rf_play_write(struct rf_target *t, const struct rf_trace_rec *rec)
{
	const uint8_t *data = rec->payload, *oob = rec->payload + rec->len;
	struct mtd_write_req req = RF_MTD_REQ(rec, data, oob);
	ssize_t n;

	if (rf_plain(rec)) {
		n = pwrite(t->fd, data, rec->len, (off_t)rec->addr);
		return n < 0 ? -errno : (uint64_t)n == rec->len ? 0 : -EIO;
	}
	if (rec->ooboffs)
		return rf_oob_at_offset(t, rec, oob, MEMWRITEOOB64);
	return rf_result(ioctl(t->fd, MEMWRITE, &req));
}

static int rf_play_erase(struct rf_target *t, uint64_t addr, uint64_t len)
{
	struct erase_info_user64 ei = { .start = addr, .length = len };

	return rf_result(ioctl(t->fd, MEMERASE64, &ei));
}

/* mtdchar syncs the MTD when a writer closes it; it has no fsync. */
static int rf_play_sync(struct rf_target *t, char *err, size_t errlen)
{
	rf_target_close(t);
	t->fd = open(t->path, O_RDWR | O_CLOEXEC);
	if (t->fd >= 0)
		return 0;
	snprintf(err, errlen, "cannot open %s again after a sync: %s",
		 t->path, strerror(errno));
	return -errno;
}

/* Play one request or kernel erase; the result and the bytes compared. */
static int rf_play_record(struct rf_player *pl, const struct rf_trace_rec *rec,
			  const uint8_t *want_data, const uint8_t *want_oob,
			  char *err, size_t errlen)
{
	const char *why = rf_unplayable(rec);
	uint32_t i;
	int64_t off = (int64_t)rec->addr;
	int got;

	if (why && (rec->kind == RF_TRACE_READ || rec->kind == RF_TRACE_WRITE)) {
		rf_diff(pl, rec, "not played: %s", why);
		return 0;
	}
	pl->kinds[rec->kind]++;
	switch (rec->kind) {
	case RF_TRACE_READ:
		return rf_play_read(pl, rec, want_data, want_oob);
	case RF_TRACE_WRITE:
		rf_compare_result(pl, rec, rf_play_write(&pl->t, rec));
		return 0;
	case RF_TRACE_ERASE:
		rf_compare_result(pl, rec, rf_play_erase(&pl->t, rec->addr,
							 rec->len));
		return 0;
	case RF_TRACE_ISBAD:
		got = ioctl(pl->t.fd, MEMGETBADBLOCK, &off);
		rf_compare_result(pl, rec, got < 0 ? -errno : got);
		return 0;
	case RF_TRACE_MARKBAD:
		rf_compare_result(pl, rec,
				  rf_result(ioctl(pl->t.fd, MEMSETBADBLOCK, &off)));
		return 0;
	case RF_TRACE_SYNC:
		/* Its result is ramflash's disk's, not the chip's. */
		return rf_play_sync(&pl->t, err, errlen);
	case RF_TRACE_KERNEL_ERASE:
	case RF_TRACE_KERNEL_PENDING:
		/* The kernel's own erases changed the flash: each is played. */
		for (i = 0; i < rec->ooblen && !pl->stop; i++)
			rf_compare_result(pl, rec, rf_play_erase(&pl->t,
					  rec->addr, pl->t.info.erasesize));
		return 0;
	case RF_TRACE_PT_READS:
		pl->pt_reads += rec->ooblen;
		return 0;
	case RF_TRACE_MARKER:
		printf("record %" PRIu64 " marker \"%.*s\"\n", rec->number,
		       (int)rec->payload_len, rec->payload);
		return 0;
	case RF_TRACE_CONTROL:
		printf("record %" PRIu64 " control \"%.*s\": it changed the traced chip; %s is not changed\n",
		       rec->number, (int)rec->payload_len, rec->payload,
		       pl->t.path);
		return 0;
	default:
		return 0;
	}
}

/*
 * The trace's chip on the host, fed each record before the target is, so
 * that a read's expected bytes are known.  It stops (and reads are then
 * compared by result and ECC alone) where it cannot follow the trace.
 */
static void rf_shadow_step(struct rf_player *pl, const struct rf_trace_rec *rec,
			   uint8_t **want_data, uint8_t **want_oob)
{
	struct rf_replay_outcome out;
	const char *why = NULL;
	int ret;

	*want_data = *want_oob = NULL;
	if (!pl->shadow)
		return;
	if (rec->kind == RF_TRACE_CONTROL)
		why = "a control command changed the traced chip";
	if (!why && rec->kind == RF_TRACE_READ) {
		if (rec->len > pl->t.info.size || rec->ooblen > pl->t.info.size) {
			why = "a read longer than the chip";
		} else {
			*want_data = malloc(rec->len + 1);
			*want_oob = malloc(rec->ooblen + 1);
			if (!*want_data || !*want_oob)
				why = "out of memory";
		}
	}
	if (!why) {
		ret = rf_replay_record(pl->shadow, rec, false, *want_data,
				       *want_oob, &out);
		if (ret)
			why = strerror(-ret);
		else if (!rf_replay_same(rec, &out))
			why = "the replay on the host gives another result than the trace (not this ramflash's trace?)";
	}
	if (!why)
		return;
	free(*want_data);
	free(*want_oob);
	*want_data = *want_oob = NULL;
	printf("note: record %" PRIu64 ": %s; from here reads are compared by result and ECC, not by their bytes\n",
	       rec->number, why);
	rf_sim_close(pl->shadow);
	pl->shadow = NULL;
}

/* A request the traced chip answered after its power was cut. */
static bool rf_power_cut(const struct rf_trace_rec *rec)
{
	return rec->kind >= RF_TRACE_READ && rec->kind <= RF_TRACE_SYNC &&
	       rec->result == RF_POWER_CUT;
}

/* Play the records of @r within the range. */
static int rf_play_records(struct rf_player *pl, struct rf_trace_reader *r,
			   char *err, size_t errlen)
{
	const struct rf_play *p = pl->p;
	uint8_t *want_data, *want_oob;
	struct rf_trace_rec rec;
	int ret;

	while ((ret = rf_trace_read_next(r, &rec, err, errlen)) > 0 &&
	       rec.kind != RF_TRACE_END && (!p->upto || rec.number <= p->upto) &&
	       !pl->stop) {
		if (rf_power_cut(&rec)) {
			printf("record %" PRIu64 " %s: the traced chip lost its power here (a power cut); the play stops\n",
			       rec.number, rf_trace_kind_name(rec.kind));
			return 0;
		}
		rf_shadow_step(pl, &rec, &want_data, &want_oob);
		if (rec.number >= p->from)
			pl->last = rec.number;
		ret = rec.number < p->from ? 0 :
		      rf_play_record(pl, &rec, want_data, want_oob, err, errlen);
		free(want_data);
		free(want_oob);
		if (ret == -ENOMEM)
			snprintf(err, errlen, "out of memory for record %" PRIu64,
				 rec.number);
		if (ret)
			return ret;
	}
	return ret < 0 ? ret : 0;
}

/* Read the whole trace before touching the device: how many records. */
static int rf_play_scan(const struct rf_play *p, uint64_t *records,
			char *err, size_t errlen)
{
	struct rf_trace_reader r;
	struct rf_trace_rec rec;
	int ret;

	ret = rf_trace_read_open(&r, p->trace, err, errlen);
	if (!ret && !(r.info.flags & RF_TRACE_FULL_DATA)) {
		snprintf(err, errlen, "%s was recorded with --trace-data hash: its programs hold hashes, not the bytes to program; play needs a trace recorded with --trace-data full",
			 p->trace);
		ret = -EINVAL;
	}
	while (!ret && (ret = rf_trace_read_next(&r, &rec, err, errlen)) > 0)
		ret = 0;
	*records = r.records;
	rf_trace_read_close(&r);
	if (ret)
		return ret;
	if (p->upto > *records || p->from > *records) {
		snprintf(err, errlen, "--%s %" PRIu64 ", but %s holds %" PRIu64 " records",
			 p->upto > *records ? "upto" : "from",
			 p->upto > *records ? p->upto : p->from, p->trace,
			 *records);
		return -EINVAL;
	}
	return 0;
}

static void rf_play_summary(const struct rf_player *pl, uint64_t records)
{
	const uint64_t *k = pl->kinds;

	printf("played records %" PRIu64 " to %" PRIu64 " of %" PRIu64 " onto %s: %" PRIu64
	       " reads, %" PRIu64 " writes, %" PRIu64 " erases, %" PRIu64 " kernel erases, %" PRIu64
	       " isbad, %" PRIu64 " markbad, %" PRIu64 " syncs\n",
	       pl->p->from ? pl->p->from : 1, pl->last, records, pl->t.path,
	       k[RF_TRACE_READ], k[RF_TRACE_WRITE], k[RF_TRACE_ERASE],
	       k[RF_TRACE_KERNEL_ERASE] + k[RF_TRACE_KERNEL_PENDING],
	       k[RF_TRACE_ISBAD], k[RF_TRACE_MARKBAD], k[RF_TRACE_SYNC]);
	if (k[RF_TRACE_PT_READS])
		printf("not played: %" PRIu64 " kernel-reads records (%" PRIu64
		       " reads the kernel made of ramflash's memory by read passthrough: they changed nothing)\n",
		       k[RF_TRACE_PT_READS], pl->pt_reads);
	printf("%" PRIu64 " difference%s\n", pl->differences,
	       pl->differences == 1 ? "" : "s");
}

int rf_play_run(const struct rf_play *p, uint64_t *differences, char *err,
		size_t errlen)
{
	struct rf_player pl = { .p = p, .t = { .path = p->device, .fd = -1 } };
	struct rf_trace_reader r;
	struct rf_options opts;
	uint64_t records = 0;
	char why[300];
	int ret;

	*differences = 0;
	memset(&opts, 0, sizeof(opts));
	ret = rf_play_scan(p, &records, err, errlen);
	if (ret)
		return ret;
	ret = rf_trace_read_open(&r, p->trace, err, errlen);
	if (!ret)
		ret = rf_target_open(&pl.t, err, errlen);
	if (!ret)
		ret = rf_check_geometry(&pl.t, &r.info.geo, err, errlen);
	if (!ret) {
		rf_note_sysfs(&pl.t, &r.info.geo);
		if (!(r.info.flags & RF_TRACE_FRESH))
			printf("note: %s was recorded on an existing image: %s must hold it; reads are compared by result and ECC, not by their bytes\n",
			       p->trace, p->device);
		else if (rf_replay_open_chip(&r.info, p->trace, NULL, &opts,
					     &pl.shadow, why, sizeof(why)))
			printf("note: %s; reads are compared by result and ECC, not by their bytes\n",
			       why);
		fflush(stdout);
		ret = rf_play_records(&pl, &r, err, errlen);
		rf_play_summary(&pl, records);
	}
	rf_sim_close(pl.shadow);
	rf_options_free(&opts);
	rf_target_close(&pl.t);
	rf_trace_read_close(&r);
	*differences = pl.differences;
	return ret;
}
