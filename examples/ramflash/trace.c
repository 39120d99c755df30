// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ramflash --trace: the writer (trace.h, doc/trace-format.md).
 *
 * Records go into a buffer written out when it is full, at an MTD sync,
 * at a marker and at the end, so a request costs a copy and a hash, not a
 * system call.  Two locks: op_lock keeps one request at a time between
 * rf_trace_begin() and rf_trace_end(); buf_lock guards the buffer and is
 * never held while taking another lock, so the kernel's reads (counted
 * under the passthrough lock) and erases (applied under a block lock,
 * within a request) can be recorded from anywhere.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "options.h"
#include "trace.h"

/* Buffered before a write(2); a larger record grows the buffer. */
#define RF_TRACE_BUFFER		(1u << 20)
#define RF_TRACE_MARKER_MAX	4096u

struct rf_trace {
	int fd;
	char *path;
	enum rf_trace_data data;
	pthread_mutex_t op_lock;
	pthread_mutex_t buf_lock;
	uint8_t *buf;
	size_t used, size;
	uint64_t records;
	uint64_t t0_ns;		/* CLOCK_MONOTONIC at the start */
	int error;		/* first failed write; nothing more recorded */
};

static const char *const rf_trace_kind_names[RF_TRACE_KINDS] = {
	[RF_TRACE_READ] = "read",
	[RF_TRACE_WRITE] = "write",
	[RF_TRACE_ERASE] = "erase",
	[RF_TRACE_ISBAD] = "isbad",
	[RF_TRACE_MARKBAD] = "markbad",
	[RF_TRACE_SYNC] = "sync",
	[RF_TRACE_PT_READS] = "kernel-reads",
	[RF_TRACE_KERNEL_ERASE] = "kernel-erase",
	[RF_TRACE_KERNEL_PENDING] = "kernel-erase-pending",
	[RF_TRACE_MARKER] = "marker",
	[RF_TRACE_END] = "end",
	[RF_TRACE_CONTROL] = "control",
};

const char *rf_trace_kind_name(unsigned int kind)
{
	return kind && kind < RF_TRACE_KINDS ? rf_trace_kind_names[kind] : "?";
}

/* ---- the hash ---- */

static uint64_t rf_trace_mix(uint64_t h, uint64_t w)
{
	h = (h ^ w) * 0x9fb21c651e98df25ULL;
	return h ^ (h >> 32);
}

static uint64_t rf_le64_at(const uint8_t *p)
{
	uint64_t w;

	memcpy(&w, p, sizeof(w));
	return le64toh(w);
}

uint64_t rf_trace_hash(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ ((uint64_t)len * 0xff51afd7ed558ccdULL);
	uint8_t tail[8] = { 0 };
	size_t i;

	for (i = 0; i + 8 <= len; i += 8)
		h = rf_trace_mix(h, rf_le64_at(p + i));
	if (i < len) {
		memcpy(tail, p + i, len - i);
		h = rf_trace_mix(h, rf_le64_at(tail));
	}
	/* splitmix64's finaliser spreads the last word over all bits. */
	h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
	h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
	return h ^ (h >> 31);
}

/* ---- little-endian fields ---- */

static uint8_t *rf_put(uint8_t *p, uint64_t v, unsigned int bytes)
{
	unsigned int i;

	for (i = 0; i < bytes; i++, v >>= 8)
		*p++ = (uint8_t)v;
	return p;
}

static uint64_t rf_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- the buffer ---- */

/* Write the buffer out; under buf_lock. */
static void rf_trace_flush_locked(struct rf_trace *t)
{
	size_t done = 0;
	ssize_t n;

	while (!t->error && done < t->used) {
		n = write(t->fd, t->buf + done, t->used - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			t->error = n < 0 ? -errno : -EIO;
			fprintf(stderr, "ramflash: writing the trace %s failed: %s; it stops before record %" PRIu64 "\n",
				t->path, strerror(-t->error),
				t->records + 1);
		}
		done += n > 0 ? (size_t)n : 0;
	}
	t->used = 0;
}

/*
 * Room for @len more bytes at the end of the buffer, or NULL after a
 * failed write or allocation; under buf_lock.
 */
static uint8_t *rf_trace_room(struct rf_trace *t, size_t len)
{
	uint8_t *grown;

	if (t->error)
		return NULL;
	if (t->size - t->used < len)
		rf_trace_flush_locked(t);
	if (!t->error && t->size < len) {
		grown = realloc(t->buf, len);
		if (!grown) {
			t->error = -ENOMEM;
			fprintf(stderr, "ramflash: no memory for a trace record of %zu bytes; the trace %s stops before record %" PRIu64 "\n",
				len, t->path, t->records + 1);
			return NULL;
		}
		t->buf = grown;
		t->size = len;
	}
	return t->error ? NULL : t->buf + t->used;
}

/* Close the record of @len bytes at @rec with its checksum. */
static void rf_trace_seal(struct rf_trace *t, uint8_t *rec, size_t len)
{
	rf_put(rec + len - RF_TRACE_CHECKSUM,
	       rf_trace_hash(rec, len - RF_TRACE_CHECKSUM), 8);
	t->used += len;
	t->records++;
}

/* What follows a record's fixed part. */
struct rf_payload {
	uint16_t flags;
	const void *part[2];
	size_t len[2];
	uint8_t hashes[16];
};

static void rf_trace_payload(const struct rf_trace *t,
			     const struct rf_trace_op *op, const char *text,
			     struct rf_payload *pl)
{
	const struct rf_io *io = op->io;
	size_t max = UINT32_MAX - RF_TRACE_REC_FIXED - RF_TRACE_CHECKSUM;

	memset(pl, 0, sizeof(*pl));
	if (op->kind == RF_TRACE_MARKER || op->kind == RF_TRACE_CONTROL) {
		pl->part[0] = text;
		pl->len[0] = strnlen(text, RF_TRACE_MARKER_MAX);
		return;
	}
	if (op->kind != RF_TRACE_WRITE)
		return;
	/* A record's length is 32 bits: a giant write keeps its hashes. */
	if (t->data == RF_TRACE_DATA_FULL && io->len <= max &&
	    io->ooblen <= max - io->len) {
		pl->flags = RF_TRACE_REC_DATA;
		pl->part[0] = io->buf;
		pl->len[0] = io->len;
		pl->part[1] = io->oobbuf;
		pl->len[1] = io->ooblen;
		return;
	}
	pl->flags = RF_TRACE_REC_HASH;
	rf_put(pl->hashes, rf_trace_hash(io->buf, io->len), 8);
	rf_put(pl->hashes + 8, rf_trace_hash(io->oobbuf, io->ooblen), 8);
	pl->part[0] = pl->hashes;
	pl->len[0] = sizeof(pl->hashes);
}

/* Append one record; takes buf_lock. */
static void rf_trace_put(struct rf_trace *t, const struct rf_trace_op *op,
			 int result, const char *text)
{
	const struct rf_io *io = op->io;
	const struct rf_ecc *ecc = op->ecc;
	struct rf_payload pl;
	uint8_t *rec, *p;
	size_t len;

	rf_trace_payload(t, op, text, &pl);
	len = RF_TRACE_REC_FIXED + pl.len[0] + pl.len[1] + RF_TRACE_CHECKSUM;
	pthread_mutex_lock(&t->buf_lock);
	rec = rf_trace_room(t, len);
	if (!rec) {
		pthread_mutex_unlock(&t->buf_lock);
		return;
	}
	p = rf_put(rec, len, 4);
	p = rf_put(p, op->kind, 1);
	p = rf_put(p, io ? io->mode : 0, 1);
	p = rf_put(p, pl.flags, 2);
	p = rf_put(p, (uint32_t)result, 4);
	p = rf_put(p, ecc ? ecc->corrected : 0, 4);
	p = rf_put(p, ecc ? ecc->max_bitflips : 0, 4);
	p = rf_put(p, ecc ? ecc->failed : 0, 4);
	/* Taken under the lock: times grow in file order. */
	p = rf_put(p, rf_now_ns() - t->t0_ns, 8);
	p = rf_put(p, io ? io->addr : op->addr, 8);
	p = rf_put(p, io ? io->len : op->len, 8);
	p = rf_put(p, io ? io->ooblen : op->count, 4);
	p = rf_put(p, io ? io->ooboffs : 0, 4);
	if (pl.len[0])
		memcpy(p, pl.part[0], pl.len[0]);
	if (pl.len[1])
		memcpy(p + pl.len[0], pl.part[1], pl.len[1]);
	rf_trace_seal(t, rec, len);
	pthread_mutex_unlock(&t->buf_lock);
}

static void rf_trace_flush(struct rf_trace *t)
{
	pthread_mutex_lock(&t->buf_lock);
	rf_trace_flush_locked(t);
	pthread_mutex_unlock(&t->buf_lock);
}

void rf_trace_begin(struct rf_trace *t)
{
	pthread_mutex_lock(&t->op_lock);
}

void rf_trace_end(struct rf_trace *t, const struct rf_trace_op *op,
		  int result)
{
	rf_trace_put(t, op, result, NULL);
	/* What the chip was told to keep is in the trace too. */
	if (op->kind == RF_TRACE_SYNC)
		rf_trace_flush(t);
	pthread_mutex_unlock(&t->op_lock);
}

void rf_trace_note(struct rf_trace *t, const struct rf_trace_op *op)
{
	rf_trace_put(t, op, 0, NULL);
}

/* A marker or a control command: text between two operations. */
static void rf_trace_text(struct rf_trace *t, enum rf_trace_kind kind,
			  const char *text)
{
	struct rf_trace_op op = { .kind = kind };

	pthread_mutex_lock(&t->op_lock);
	rf_trace_put(t, &op, 0, text);
	rf_trace_flush(t);
	pthread_mutex_unlock(&t->op_lock);
}

void rf_trace_marker(struct rf_trace *t, const char *text)
{
	rf_trace_text(t, RF_TRACE_MARKER, text);
}

void rf_trace_control(struct rf_trace *t, const char *line)
{
	rf_trace_text(t, RF_TRACE_CONTROL, line);
}

uint64_t rf_trace_records(struct rf_trace *t)
{
	uint64_t n;

	pthread_mutex_lock(&t->buf_lock);
	n = t->records;
	pthread_mutex_unlock(&t->buf_lock);
	return n;
}

/* ---- start and finish ---- */

static uint8_t *rf_put_string(uint8_t *p, const char *s)
{
	size_t len = strlen(s);

	p = rf_put(p, len, 4);
	memcpy(p, s, len);
	return p + len;
}

/* The header into the (empty) buffer. */
static int rf_trace_header(struct rf_trace *t, const struct rf_options *opts,
			   struct rf_sim *sim, char *err, size_t errlen)
{
	const struct rf_geometry *geo = rf_sim_geometry(sim);
	const struct rf_config *cfg = &opts->cfg;
	uint32_t flags = 0;
	size_t len, i;
	uint8_t *p;

	len = RF_TRACE_HEADER_FIXED + 4 + strlen(RAMFLASH_VERSION) +
	      RF_TRACE_CHECKSUM;
	for (i = 0; i < cfg->nargs; i++)
		len += 4 + strlen(cfg->args[i]);
	if (len > RF_TRACE_HEADER_MAX)
		return rf_errorf(err, errlen, "--trace: the options are too long to record");
	if (t->data == RF_TRACE_DATA_FULL)
		flags |= RF_TRACE_FULL_DATA;
	if (rf_sim_created(sim))
		flags |= RF_TRACE_FRESH;
	p = rf_trace_room(t, len);
	if (!p)
		return rf_errorf(err, errlen, "out of memory");
	memcpy(p, RF_TRACE_MAGIC, 8);
	p = rf_put(p + 8, RF_TRACE_VERSION, 4);
	p = rf_put(p, len, 4);
	p = rf_put(p, flags, 4);
	p = rf_put(p, geo->type, 4);
	p = rf_put(p, geo->size, 8);
	p = rf_put(p, geo->page_size, 4);
	p = rf_put(p, geo->erase_size, 4);
	p = rf_put(p, geo->writebuf_size, 4);
	p = rf_put(p, geo->oob_size, 4);
	p = rf_put(p, geo->oob_avail, 4);
	p = rf_put(p, geo->subpage_size, 4);
	p = rf_put(p, geo->ecc_strength, 4);
	p = rf_put(p, geo->ecc_step, 4);
	p = rf_put(p, geo->bitflip_threshold, 4);
	p = rf_put(p, cfg->nargs, 4);
	p = rf_put(p, cfg->faults.seed, 8);
	p = rf_put(p, (uint64_t)time(NULL), 8);
	p = rf_put_string(p, RAMFLASH_VERSION);
	for (i = 0; i < cfg->nargs; i++)
		p = rf_put_string(p, cfg->args[i]);
	rf_put(p, rf_trace_hash(t->buf, len - RF_TRACE_CHECKSUM), 8);
	t->used = len;
	return 0;
}

static void rf_trace_free(struct rf_trace *t)
{
	if (t->fd >= 0)
		close(t->fd);
	pthread_mutex_destroy(&t->op_lock);
	pthread_mutex_destroy(&t->buf_lock);
	free(t->buf);
	free(t->path);
	free(t);
}

int rf_trace_start(struct rf_trace **tp, const char *path,
		   enum rf_trace_data data, const struct rf_options *opts,
		   struct rf_sim *sim, char *err, size_t errlen)
{
	struct rf_trace *t;
	int ret;

	*tp = NULL;
	t = calloc(1, sizeof(*t));
	if (!t) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	pthread_mutex_init(&t->op_lock, NULL);
	pthread_mutex_init(&t->buf_lock, NULL);
	t->data = data;
	t->path = strdup(path);
	t->buf = malloc(RF_TRACE_BUFFER);
	t->size = RF_TRACE_BUFFER;
	t->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (t->fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "--trace: cannot create %s: %s", path,
			 strerror(errno));
		rf_trace_free(t);
		return ret;
	}
	if (!t->path || !t->buf) {
		rf_trace_free(t);
		rf_errorf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ret = rf_trace_header(t, opts, sim, err, errlen);
	if (ret) {
		rf_trace_free(t);
		return ret;
	}
	t->t0_ns = rf_now_ns();
	rf_sim_set_trace(sim, t);
	*tp = t;
	return 0;
}

int rf_trace_finish(struct rf_trace *t, struct rf_sim *sim)
{
	struct rf_trace_op op = { .kind = RF_TRACE_KERNEL_PENDING };
	uint32_t erase_size;
	uint64_t b;
	int ret;

	if (!t)
		return 0;
	erase_size = rf_sim_geometry(sim)->erase_size;
	pthread_mutex_lock(&t->op_lock);
	/* The kernel's erases ramflash has not seen yet are in the image. */
	for (b = 0; b < rf_sim_blocks(sim); b++) {
		op.count = rf_sim_pending_erases(sim, b);
		op.addr = b * erase_size;
		if (op.count)
			rf_trace_put(t, &op, 0, NULL);
	}
	op = (struct rf_trace_op){ .kind = RF_TRACE_END,
				   .addr = rf_trace_records(t) };
	rf_trace_put(t, &op, 0, NULL);
	rf_sim_set_trace(sim, NULL);
	pthread_mutex_unlock(&t->op_lock);
	rf_trace_flush(t);
	ret = t->error;
	if (!ret && close(t->fd))
		ret = -errno;
	t->fd = -1;
	rf_trace_free(t);
	return ret;
}
