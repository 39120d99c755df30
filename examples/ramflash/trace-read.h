/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ramflash traces read back (doc/trace-format.md): the header, then one
 * record at a time, every length and checksum checked, so that a corrupt
 * or truncated trace is an error naming the offset where it goes wrong.
 */
#ifndef RAMFLASH_TRACE_READ_H
#define RAMFLASH_TRACE_READ_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "geometry.h"
#include "sim.h"
#include "trace.h"

/* The header of a trace. */
struct rf_trace_info {
	uint32_t version;
	uint32_t flags;			/* RF_TRACE_FULL_DATA, RF_TRACE_FRESH */
	struct rf_geometry geo;
	uint64_t seed;
	uint64_t start_time;		/* seconds since the epoch */
	char *ramflash_version;
	char **args;			/* the options that made the chip */
	size_t nargs;
	uint32_t header_len;
};

/* One record; the payload points into the reader's buffer. */
struct rf_trace_rec {
	uint64_t number;		/* 1 for the first record */
	uint64_t offset;		/* in the file */
	uint32_t rec_len;
	enum rf_trace_kind kind;
	uint8_t mode;			/* enum rf_oob_mode */
	uint16_t flags;			/* RF_TRACE_REC_* */
	int32_t result;
	struct rf_ecc ecc;
	uint64_t time_ns;		/* since the trace started */
	uint64_t addr;
	uint64_t len;
	uint32_t ooblen;		/* PT_READS: reads; KERNEL_*: erases */
	uint32_t ooboffs;
	const uint8_t *payload;
	size_t payload_len;
};

struct rf_trace_reader {
	FILE *file;
	const char *path;
	uint64_t size;			/* of the file */
	uint64_t pos;			/* of the next record */
	uint64_t records;		/* read so far */
	bool ended;			/* the end record was read */
	struct rf_trace_info info;
	uint8_t *buf;
	size_t buf_size;
};

/**
 * rf_trace_read_open() - open a trace and check its header.
 * @r:		receives the reader; close it with rf_trace_read_close()
 *		whatever the result.
 * @path:	the trace.
 * @err:	receives a one-line reason on failure.
 * @errlen:	size of @err.
 *
 * Return: 0; -EINVAL for a file that is not a trace of this version or
 * whose header is truncated or corrupt; the errno of a failed read.
 */
int rf_trace_read_open(struct rf_trace_reader *r, const char *path,
		       char *err, size_t errlen);

/**
 * rf_trace_read_next() - the next record.
 * @r:		the reader.
 * @rec:	receives the record, valid until the next call.
 * @err:	receives a one-line reason naming the record and its offset.
 * @errlen:	size of @err.
 *
 * Return: 1 with a record, 0 after the end record, -EINVAL for a
 * truncated or corrupt record (or a trace that stops without its end
 * record), -ENOMEM, or the errno of a failed read.
 */
int rf_trace_read_next(struct rf_trace_reader *r, struct rf_trace_rec *rec,
		       char *err, size_t errlen);

/* rf_trace_read_close() - free the reader and close the file. */
void rf_trace_read_close(struct rf_trace_reader *r);

#endif /* RAMFLASH_TRACE_READ_H */
