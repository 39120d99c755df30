/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ramflash --trace: every operation the chip saw, recorded in a binary
 * file (doc/trace-format.md), for ramflash-trace to print, summarise,
 * validate and replay.
 *
 * The core (io.c) records each request when a trace is attached to the
 * simulator (rf_sim_set_trace()); requests then run one at a time, so
 * that the order of the records is the order the chip saw them and a
 * replay rebuilds the same chip.  The kernel's own operations come in as
 * they reach ramflash: its passthrough reads when ramflash fetches their
 * counts, its erases when ramflash applies them.
 */
#ifndef RAMFLASH_TRACE_H
#define RAMFLASH_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim.h"

#define RF_TRACE_MAGIC		"RFTRACE"	/* 8 bytes with the NUL */
#define RF_TRACE_VERSION	1

/* Header flags. */
#define RF_TRACE_FULL_DATA	0x1u	/* programs carry their bytes */
#define RF_TRACE_FRESH		0x2u	/* the run started on a new store */

/* Record flags: what follows a program's fixed part. */
#define RF_TRACE_REC_DATA	0x1u	/* len data bytes, then ooblen OOB */
#define RF_TRACE_REC_HASH	0x2u	/* rf_trace_hash() of each */

/* Sizes of the fixed parts (doc/trace-format.md). */
#define RF_TRACE_HEADER_FIXED	88u
#define RF_TRACE_REC_FIXED	56u
#define RF_TRACE_CHECKSUM	8u
/* A header longer than this is not believed (nor a record's length). */
#define RF_TRACE_HEADER_MAX	(1u << 20)
#define RF_TRACE_REC_MAX	(1u << 30)

/* Record kinds; stored, so the values are fixed. */
enum rf_trace_kind {
	RF_TRACE_READ = 1,
	RF_TRACE_WRITE = 2,
	RF_TRACE_ERASE = 3,
	RF_TRACE_ISBAD = 4,
	RF_TRACE_MARKBAD = 5,
	RF_TRACE_SYNC = 6,
	RF_TRACE_PT_READS = 7,		/* the kernel's reads of one block */
	RF_TRACE_KERNEL_ERASE = 8,	/* the kernel's erases, applied */
	RF_TRACE_KERNEL_PENDING = 9,	/* ... not applied when it ended */
	RF_TRACE_MARKER = 10,
	RF_TRACE_END = 11,
	RF_TRACE_CONTROL = 12,		/* a command that changed the chip */
	RF_TRACE_KINDS
};

/* One operation as the core reports it. */
struct rf_trace_op {
	enum rf_trace_kind kind;
	const struct rf_io *io;		/* READ, WRITE */
	const struct rf_ecc *ecc;	/* READ */
	uint64_t addr;			/* ERASE, ISBAD, MARKBAD; the block's
					 * address for PT_READS, KERNEL_* */
	uint64_t len;			/* ERASE; PT_READS: bytes read */
	uint32_t count;			/* PT_READS: reads; KERNEL_*: erases */
};

struct rf_trace;
struct rf_options;

/* How programs are recorded (--trace-data). */
enum rf_trace_data {
	RF_TRACE_DATA_HASH,
	RF_TRACE_DATA_FULL,
};

/**
 * rf_trace_hash() - the trace's 64-bit content hash and checksum
 * (doc/trace-format.md gives the algorithm).
 * @buf:	bytes.
 * @len:	their number.
 *
 * Return: the hash.
 */
uint64_t rf_trace_hash(const void *buf, size_t len);

/**
 * rf_trace_start() - create @path, write the header of @sim's chip and
 * attach the trace to @sim.
 * @tp:		receives the trace.
 * @path:	the file; created or truncated.
 * @data:	how programs are recorded.
 * @opts:	the options that made the chip (recorded in the header).
 * @sim:	the chip, opened with @opts.
 * @err:	receives a one-line reason on failure.
 * @errlen:	size of @err.
 *
 * Return: 0 or a negative errno, with @err set.
 */
int rf_trace_start(struct rf_trace **tp, const char *path,
		   enum rf_trace_data data, const struct rf_options *opts,
		   struct rf_sim *sim, char *err, size_t errlen);

/**
 * rf_trace_finish() - record the kernel's erases @sim has not applied
 * yet and the end, detach the trace, write it out and free it.
 * @t:		the trace, or NULL.
 * @sim:	the chip it is attached to.
 *
 * Return: 0, or the negative errno of the first write that failed (the
 * trace then stops at the record before; a message was printed).
 */
int rf_trace_finish(struct rf_trace *t, struct rf_sim *sim);

/**
 * rf_trace_marker() - record a marker, e.g. "fsync returned for file X",
 * between two operations, and write the trace out up to it.  From any
 * thread, while serving; not after rf_trace_finish().
 * @t:		the trace.
 * @text:	the marker, at most 4096 bytes (longer is cut).
 */
void rf_trace_marker(struct rf_trace *t, const char *text);

/**
 * rf_trace_control() - record a command of the control socket that
 * changed the chip while it ran (a live fault, a new bit-flip rate, ...),
 * between two operations: a replay stops there, since it cannot repeat it.
 * @t:		the trace.
 * @line:	the command line, at most 4096 bytes (longer is cut).
 */
void rf_trace_control(struct rf_trace *t, const char *line);

/**
 * rf_trace_records() - records written so far (the header excluded).
 * @t: the trace.
 *
 * Return: their number; record numbers (ramflash-trace) start at 1.
 */
uint64_t rf_trace_records(struct rf_trace *t);

/*
 * For the core (io.c): rf_trace_begin() and rf_trace_end() bracket one
 * request, which rf_trace_end() records with its result; rf_trace_note()
 * records what happens beside requests (the kernel's reads and erases).
 */
void rf_trace_begin(struct rf_trace *t);
void rf_trace_end(struct rf_trace *t, const struct rf_trace_op *op,
		  int result);
void rf_trace_note(struct rf_trace *t, const struct rf_trace_op *op);

/* rf_trace_kind_name() - "read", "write", ...; "?" for others. */
const char *rf_trace_kind_name(unsigned int kind);

#endif /* RAMFLASH_TRACE_H */
