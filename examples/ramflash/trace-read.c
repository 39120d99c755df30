// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ramflash traces read back (trace-read.h).  Nothing in a trace is
 * believed before its checksum: lengths are checked against what the file
 * holds before anything is allocated for them.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "trace-read.h"

static uint64_t rf_get(const uint8_t *p, unsigned int bytes)
{
	uint64_t v = 0;

	while (bytes--)
		v = (v << 8) | p[bytes];
	return v;
}

/* Read @len bytes at the current position; -EIO if the file ends. */
static int rf_read_exact(struct rf_trace_reader *r, void *buf, size_t len)
{
	if (fread(buf, 1, len, r->file) == len)
		return 0;
	return ferror(r->file) ? -errno : -EIO;
}

/* The buffer holds at least @len bytes. */
static int rf_reserve(struct rf_trace_reader *r, size_t len)
{
	uint8_t *grown;

	if (r->buf_size >= len)
		return 0;
	grown = realloc(r->buf, len);
	if (!grown)
		return -ENOMEM;
	r->buf = grown;
	r->buf_size = len;
	return 0;
}

static bool rf_checksum_ok(const uint8_t *p, size_t len)
{
	return rf_get(p + len - RF_TRACE_CHECKSUM, 8) ==
	       rf_trace_hash(p, len - RF_TRACE_CHECKSUM);
}

/* One length-prefixed string of the header at *@pos, below @end. */
static char *rf_take_string(const uint8_t *buf, size_t *pos, size_t end)
{
	uint64_t len;
	char *s;

	if (end - *pos < 4)
		return NULL;
	len = rf_get(buf + *pos, 4);
	if (len > end - *pos - 4)
		return NULL;
	s = malloc(len + 1);
	if (!s)
		return NULL;
	memcpy(s, buf + *pos + 4, len);
	s[len] = '\0';
	*pos += 4 + len;
	return s;
}

static void rf_info_geometry(struct rf_geometry *geo, const uint8_t *h)
{
	geo->type = (enum rf_type)rf_get(h + 20, 4);
	geo->size = rf_get(h + 24, 8);
	geo->page_size = (uint32_t)rf_get(h + 32, 4);
	geo->erase_size = (uint32_t)rf_get(h + 36, 4);
	geo->writebuf_size = (uint32_t)rf_get(h + 40, 4);
	geo->oob_size = (uint32_t)rf_get(h + 44, 4);
	geo->oob_avail = (uint32_t)rf_get(h + 48, 4);
	geo->subpage_size = (uint32_t)rf_get(h + 52, 4);
	geo->ecc_strength = (uint32_t)rf_get(h + 56, 4);
	geo->ecc_step = (uint32_t)rf_get(h + 60, 4);
	geo->bitflip_threshold = (uint32_t)rf_get(h + 64, 4);
}

/* The strings after the fixed part of a checked header. */
static int rf_info_strings(struct rf_trace_reader *r, char *err,
			   size_t errlen)
{
	struct rf_trace_info *info = &r->info;
	size_t pos = RF_TRACE_HEADER_FIXED;
	size_t end = info->header_len - RF_TRACE_CHECKSUM;
	uint64_t nargs = rf_get(r->buf + 68, 4);

	info->ramflash_version = rf_take_string(r->buf, &pos, end);
	if (nargs > (end - pos) / 4 + 1)
		nargs = 0;
	info->args = calloc(nargs + 1, sizeof(*info->args));
	if (!info->ramflash_version || !info->args)
		goto bad;
	for (info->nargs = 0; info->nargs < nargs; info->nargs++) {
		info->args[info->nargs] = rf_take_string(r->buf, &pos, end);
		if (!info->args[info->nargs])
			goto bad;
	}
	if (pos == end)
		return 0;
bad:
	snprintf(err, errlen, "%s: the header's strings do not fit its length (corrupt)",
		 r->path);
	return -EINVAL;
}

static int rf_read_header(struct rf_trace_reader *r, char *err, size_t errlen)
{
	struct rf_trace_info *info = &r->info;
	uint8_t fixed[16] = { 0 };
	size_t got = fread(fixed, 1, sizeof(fixed), r->file);
	uint64_t len;
	int ret;

	/* A file too short for a header is still told apart from others. */
	if (memcmp(fixed, RF_TRACE_MAGIC, got < 8 ? got : 8) || (!got && r->size))
		goto magic;
	if (got < sizeof(fixed)) {
		snprintf(err, errlen, "%s: truncated header (%" PRIu64 " bytes)",
			 r->path, r->size);
		return -EINVAL;
	}
	info->version = (uint32_t)rf_get(fixed + 8, 4);
	if (info->version != RF_TRACE_VERSION) {
		snprintf(err, errlen, "%s: trace format version %" PRIu32
			 ", this ramflash-trace reads version %d", r->path,
			 info->version, RF_TRACE_VERSION);
		return -EINVAL;
	}
	len = rf_get(fixed + 12, 4);
	if (len < RF_TRACE_HEADER_FIXED + 4 + RF_TRACE_CHECKSUM ||
	    len > RF_TRACE_HEADER_MAX) {
		snprintf(err, errlen, "%s: header length %" PRIu64
			 " is impossible (corrupt)", r->path, len);
		return -EINVAL;
	}
	if (len > r->size) {
		snprintf(err, errlen, "%s: truncated header (%" PRIu64
			 " of %" PRIu64 " bytes)", r->path, r->size, len);
		return -EINVAL;
	}
	ret = rf_reserve(r, len);
	if (ret) {
		snprintf(err, errlen, "out of memory");
		return ret;
	}
	memcpy(r->buf, fixed, sizeof(fixed));
	ret = rf_read_exact(r, r->buf + sizeof(fixed), len - sizeof(fixed));
	if (ret) {
		snprintf(err, errlen, "%s: cannot read the header: %s", r->path,
			 strerror(-ret));
		return ret;
	}
	if (!rf_checksum_ok(r->buf, len)) {
		snprintf(err, errlen, "%s: header checksum mismatch at offset %" PRIu64
			 " (corrupt)", r->path, len - RF_TRACE_CHECKSUM);
		return -EINVAL;
	}
	info->header_len = (uint32_t)len;
	info->flags = (uint32_t)rf_get(r->buf + 16, 4);
	rf_info_geometry(&info->geo, r->buf);
	info->seed = rf_get(r->buf + 72, 8);
	info->start_time = rf_get(r->buf + 80, 8);
	r->pos = len;
	return rf_info_strings(r, err, errlen);
magic:
	snprintf(err, errlen, "%s is not a ramflash trace (no magic %s)",
		 r->path, RF_TRACE_MAGIC);
	return -EINVAL;
}

int rf_trace_read_open(struct rf_trace_reader *r, const char *path,
		       char *err, size_t errlen)
{
	struct stat st;
	int ret;

	memset(r, 0, sizeof(*r));
	r->path = path;
	r->file = fopen(path, "rb");
	if (!r->file) {
		ret = -errno;
		snprintf(err, errlen, "cannot open %s: %s", path,
			 strerror(errno));
		return ret;
	}
	if (fstat(fileno(r->file), &st)) {
		ret = -errno;
		snprintf(err, errlen, "cannot stat %s: %s", path,
			 strerror(errno));
		return ret;
	}
	r->size = (uint64_t)st.st_size;
	return rf_read_header(r, err, errlen);
}

/* What a checked record's payload must be, by kind. */
static bool rf_payload_ok(const struct rf_trace_rec *rec)
{
	switch (rec->kind) {
	case RF_TRACE_WRITE:
		if (rec->flags == RF_TRACE_REC_DATA)
			return rec->payload_len == rec->len + rec->ooblen;
		return rec->flags == RF_TRACE_REC_HASH &&
		       rec->payload_len == 16;
	case RF_TRACE_MARKER:
	case RF_TRACE_CONTROL:
		return !rec->flags;
	default:
		return !rec->flags && !rec->payload_len;
	}
}

static void rf_decode(struct rf_trace_rec *rec, const uint8_t *p)
{
	rec->kind = (enum rf_trace_kind)p[4];
	rec->mode = p[5];
	rec->flags = (uint16_t)rf_get(p + 6, 2);
	rec->result = (int32_t)(uint32_t)rf_get(p + 8, 4);
	rec->ecc.corrected = (unsigned int)rf_get(p + 12, 4);
	rec->ecc.max_bitflips = (unsigned int)rf_get(p + 16, 4);
	rec->ecc.failed = (unsigned int)rf_get(p + 20, 4);
	rec->time_ns = rf_get(p + 24, 8);
	rec->addr = rf_get(p + 32, 8);
	rec->len = rf_get(p + 40, 8);
	rec->ooblen = (uint32_t)rf_get(p + 48, 4);
	rec->ooboffs = (uint32_t)rf_get(p + 52, 4);
	rec->payload = p + RF_TRACE_REC_FIXED;
	rec->payload_len = rec->rec_len - RF_TRACE_REC_FIXED -
			   RF_TRACE_CHECKSUM;
}

/* Check a decoded record; a one-line reason, or NULL. */
static const char *rf_record_problem(const struct rf_trace_reader *r,
				     const struct rf_trace_rec *rec)
{
	if (rec->kind < RF_TRACE_READ || rec->kind >= RF_TRACE_KINDS)
		return "unknown kind";
	if (rec->mode > RF_OOB_RAW)
		return "unknown OOB mode";
	if (!rf_payload_ok(rec))
		return "its payload does not match its kind";
	if (rec->kind == RF_TRACE_END && rec->addr != r->records)
		return "the end record counts other records than the trace holds";
	return NULL;
}

int rf_trace_read_next(struct rf_trace_reader *r, struct rf_trace_rec *rec,
		       char *err, size_t errlen)
{
	uint64_t left = r->size - r->pos, number = r->records + 1;
	const char *problem;
	uint8_t lenbuf[4];
	uint32_t len;
	int ret;

	if (r->ended) {
		if (!left)
			return 0;
		snprintf(err, errlen, "%s: %" PRIu64 " bytes after the end record, at offset %" PRIu64,
			 r->path, left, r->pos);
		return -EINVAL;
	}
	if (!left) {
		snprintf(err, errlen, "%s: truncated: ends at offset %" PRIu64
			 " after record %" PRIu64 " without its end record",
			 r->path, r->pos, r->records);
		return -EINVAL;
	}
	if (left < sizeof(lenbuf) || rf_read_exact(r, lenbuf, sizeof(lenbuf))) {
		snprintf(err, errlen, "%s: record %" PRIu64 " at offset %" PRIu64
			 ": truncated (%" PRIu64 " bytes left)", r->path,
			 number, r->pos, left);
		return -EINVAL;
	}
	len = (uint32_t)rf_get(lenbuf, 4);
	if (len < RF_TRACE_REC_FIXED + RF_TRACE_CHECKSUM || len > left) {
		snprintf(err, errlen, "%s: record %" PRIu64 " at offset %" PRIu64
			 ": %s (length %" PRIu32 ", %" PRIu64 " bytes left)",
			 r->path, number, r->pos, len > left ?
			 "truncated or corrupt" : "corrupt", len, left);
		return -EINVAL;
	}
	ret = rf_reserve(r, len);
	if (ret) {
		snprintf(err, errlen, "out of memory for record %" PRIu64,
			 number);
		return ret;
	}
	memcpy(r->buf, lenbuf, sizeof(lenbuf));
	ret = rf_read_exact(r, r->buf + sizeof(lenbuf), len - sizeof(lenbuf));
	if (ret) {
		snprintf(err, errlen, "%s: cannot read record %" PRIu64 ": %s",
			 r->path, number, strerror(-ret));
		return ret;
	}
	memset(rec, 0, sizeof(*rec));
	rec->number = number;
	rec->offset = r->pos;
	rec->rec_len = len;
	problem = rf_checksum_ok(r->buf, len) ? NULL :
		  "checksum mismatch (corrupt)";
	if (!problem) {
		rf_decode(rec, r->buf);
		problem = rf_record_problem(r, rec);
	}
	if (problem) {
		snprintf(err, errlen, "%s: record %" PRIu64 " at offset %" PRIu64
			 ": %s", r->path, number, r->pos, problem);
		return -EINVAL;
	}
	r->pos += len;
	r->records = number;
	r->ended = rec->kind == RF_TRACE_END;
	return 1;
}

void rf_trace_read_close(struct rf_trace_reader *r)
{
	size_t i;

	if (r->file)
		fclose(r->file);
	for (i = 0; r->info.args && i < r->info.nargs; i++)
		free(r->info.args[i]);
	free(r->info.args);
	free(r->info.ramflash_version);
	free(r->buf);
	memset(r, 0, sizeof(*r));
}
