/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ramflash-trace play: a trace's MTD operations run again through mtdchar
 * on any MTD (nandsim, mtdram, a ramflash), each compared with what the
 * traced chip did, to tell a file system's bug from a simulator's.
 */
#ifndef RAMFLASH_PLAY_H
#define RAMFLASH_PLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rf_play {
	const char *trace;	/* recorded with --trace-data full */
	const char *device;	/* /dev/mtdN */
	uint64_t from;		/* the first record played (0 or 1: all) */
	uint64_t upto;		/* the last one; 0: to the end */
	bool strict;		/* stop at the first difference */
};

/**
 * rf_play_run() - play the records @p chooses onto @p->device.
 * @p:		what to play where.
 * @differences: receives the number of differences reported.
 * @err:	receives a one-line reason when the play cannot run.
 * @errlen:	size of @err.
 *
 * The whole trace is read and checked before the device is touched.  One
 * line per difference, marker and note goes to stdout, then a summary.
 *
 * Return: 0 when the play ran (differences or not); -EINVAL (a bad or
 * hash-only trace, a range beyond it, a device that is not an MTD or not
 * of the trace's geometry), or the errno of a failed open.
 */
int rf_play_run(const struct rf_play *p, uint64_t *differences, char *err,
		size_t errlen);

#endif /* RAMFLASH_PLAY_H */
