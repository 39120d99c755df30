// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target over the reader of ramflash traces
 * (examples/ramflash/trace-read.c): any file, read as ramflash-trace reads
 * it, must give records or a clear error, never a crash or a read out of
 * bounds.
 *
 * Input: a trace file.  Before it is read, its checksums are made right
 * wherever its own lengths place them (the header's, then each record's
 * while the lengths chain), so that the fuzzer gets past them to what the
 * reader does with a record it trusts; that a wrong checksum is refused
 * is tests/ramflash's test-trace.  Every record returned is checked
 * against what the reader promises (trace-read.h), and abort()s if not.
 */
#define _GNU_SOURCE	/* memfd_create */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "trace-read.h"

static uint32_t get32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Put the right checksum at the end of [p, p + len). */
static void seal(uint8_t *p, size_t len)
{
	uint64_t h = rf_trace_hash(p, len - RF_TRACE_CHECKSUM);
	int i;

	for (i = 0; i < 8; i++)
		p[len - RF_TRACE_CHECKSUM + i] = (uint8_t)(h >> (8 * i));
}

static void seal_all(uint8_t *buf, size_t size)
{
	size_t pos, len;

	if (size < 16)
		return;
	pos = get32(buf + 12);
	if (pos < RF_TRACE_CHECKSUM + 16 || pos > size)
		return;
	seal(buf, pos);
	while (size - pos >= 4) {
		len = get32(buf + pos);
		if (len < RF_TRACE_REC_FIXED + RF_TRACE_CHECKSUM ||
		    len > size - pos)
			return;
		seal(buf + pos, len);
		pos += len;
	}
}

static void check(const struct rf_trace_reader *r,
		  const struct rf_trace_rec *rec)
{
	if (rec->kind < RF_TRACE_READ || rec->kind >= RF_TRACE_KINDS ||
	    rec->mode > RF_OOB_RAW ||
	    rec->payload_len != rec->rec_len - RF_TRACE_REC_FIXED -
				RF_TRACE_CHECKSUM ||
	    rec->offset + rec->rec_len > r->size ||
	    (rec->kind == RF_TRACE_WRITE && rec->flags == RF_TRACE_REC_DATA &&
	     rec->payload_len != rec->len + rec->ooblen) ||
	    (rec->kind != RF_TRACE_WRITE && rec->kind != RF_TRACE_MARKER &&
	     rec->kind != RF_TRACE_CONTROL && rec->payload_len))
		abort();
	/* Touch the whole payload: a read past the buffer is ASan's. */
	if (rec->payload_len && rf_trace_hash(rec->payload, rec->payload_len) == 1)
		fprintf(stderr, "(hash 1)\n");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rf_trace_reader r;
	struct rf_trace_rec rec;
	char path[64], err[512];
	uint8_t *buf = malloc(size + 1);
	size_t i;
	int fd, ret;

	fd = memfd_create("trace", MFD_CLOEXEC);
	if (!buf || fd < 0)
		abort();
	memcpy(buf, data, size);
	seal_all(buf, size);
	if (write(fd, buf, size) != (ssize_t)size)
		abort();
	free(buf);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ret = rf_trace_read_open(&r, path, err, sizeof(err));
	if (!ret) {
		if (!r.info.ramflash_version || !r.info.args)
			abort();
		for (i = 0; i < r.info.nargs; i++)
			if (!r.info.args[i])
				abort();
	}
	while (!ret && (ret = rf_trace_read_next(&r, &rec, err, sizeof(err))) > 0) {
		check(&r, &rec);
		ret = 0;
	}
	/* An error always says what. */
	if (ret < 0 && !err[0])
		abort();
	rf_trace_read_close(&r);
	close(fd);
	return 0;
}
