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

#endif /* RAMFLASH_REPLAY_H */
