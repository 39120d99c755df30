/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ramflash-trace replay: the chip a trace's first records leave, rebuilt
 * on the host by running them again through the simulation core.
 */
#ifndef RAMFLASH_REPLAY_H
#define RAMFLASH_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim.h"
#include "trace-read.h"

struct rf_options;

struct rf_replay {
	const char *trace;	/* the trace, recorded with --trace-data full */
	const char *image;	/* the image to create; must not exist (or be
				 * empty) */
	const char *stats;	/* --stats JSON of the replayed chip, or NULL */
	bool all;		/* every record (else the first @upto) */
	uint64_t upto;
	bool power_cut;		/* tear record @upto, a program or erase */
};

/**
 * rf_replay_run() - rebuild the chip the first records of a trace leave.
 * @rp:		what to replay.
 * @err:	receives a one-line reason on failure.
 * @errlen:	size of @err.
 *
 * The trace's options make the chip (with this ramflash: the geometry
 * must come out as the trace's); each record runs again, and each
 * request must give the result (and ECC figures) the trace recorded, else
 * the replay stops: the trace is not of this chip.  The kernel's erases
 * are done as the module does them.  With @power_cut record @upto is torn
 * as --power-cut-after tears a program or an erase.
 *
 * Return: 0, -EINVAL (a bad, truncated or hash-only trace, a trace of an
 * existing image, @upto beyond its records, a divergence), -EEXIST (the
 * image exists), or the errno of a failed file operation.
 */
int rf_replay_run(const struct rf_replay *rp, char *err, size_t errlen);

/* What one replayed record gave, to compare with what it recorded. */
struct rf_replay_outcome {
	bool checked;		/* a request whose result is compared */
	int result;
	struct rf_ecc ecc;
};

/**
 * rf_replay_open_chip() - the chip a trace's options make, new.
 * @info:	the trace's header.
 * @trace:	the trace's path, for messages.
 * @image:	its store, a new image file; NULL for memory.
 * @opts:	receives the parsed options; free with rf_options_free()
 *		whatever the result.
 * @sim:	receives the chip.
 * @err:	receives a one-line reason on failure.
 * @errlen:	size of @err.
 *
 * Return: 0, -EINVAL (options this ramflash refuses, or that make another
 * geometry than the trace's), or the error of rf_sim_open().
 */
int rf_replay_open_chip(const struct rf_trace_info *info, const char *trace,
			const char *image, struct rf_options *opts,
			struct rf_sim **sim, char *err, size_t errlen);

/**
 * rf_replay_record() - run one record of a trace again on @sim.
 * @sim:	the chip, opened with rf_replay_open_chip().
 * @rec:	the record (a program must carry its data).
 * @tear:	cut the power during it (a program or an erase).
 * @data:	for a read, receives its @rec->len bytes; or NULL.
 * @oob:	for a read, receives its @rec->ooblen OOB bytes; or NULL.
 * @out:	receives the request's result and ECC figures.
 *
 * Return: 0, or a negative errno of the store (not the request's result).
 */
int rf_replay_record(struct rf_sim *sim, const struct rf_trace_rec *rec,
		     bool tear, void *data, void *oob,
		     struct rf_replay_outcome *out);

/* rf_replay_same() - whether @out is what @rec recorded. */
bool rf_replay_same(const struct rf_trace_rec *rec,
		    const struct rf_replay_outcome *out);

#endif /* RAMFLASH_REPLAY_H */
