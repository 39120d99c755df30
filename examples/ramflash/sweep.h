/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ramflash-trace sweep: the crash states of a traced run.  Each chosen
 * program or erase of the trace is torn in a replay (replay.h), and a
 * checker of the user's runs on that image; the results say which cut
 * points the file system does not survive.
 */
#ifndef RAMFLASH_SWEEP_H
#define RAMFLASH_SWEEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rf_sweep {
	const char *trace;	/* recorded with --trace-data full */
	const char *dir;	/* images, logs and the report go here */
	uint64_t from, to;	/* records considered; to 0: to the end */
	const char *after_marker;	/* from the first marker with this
					 * text, or NULL */
	const char *before_marker;	/* to the next one with this text */
	uint64_t every;		/* every Nth cut point (1: all) */
	uint64_t sample;	/* else this many, drawn from @seed; 0: off */
	uint64_t seed;
	uint64_t only;		/* just this record (re-run one); 0: off */
	unsigned int timeout;	/* seconds per checker run, 0: none */
	bool keep;		/* keep the images of passing points */
	char *const *checker;	/* argv; IMAGE and K are appended */
};

/**
 * rf_sweep_run() - tear each chosen cut point, run the checker on it.
 * @sw:		what to sweep.
 * @failed:	receives the number of cut points the checker failed.
 * @err:	receives a one-line reason when the sweep itself fails.
 * @errlen:	size of @err.
 *
 * The cut points are the programs and erases (requests and the kernel's)
 * that reached the flash, in [from, to] or between the markers.  For each,
 * DIR/cut-K.img is the replay torn at record K, and the checker runs as
 * CHECKER... IMAGE K with RAMFLASH_TRACE_IMAGE and RAMFLASH_TRACE_CUT set,
 * its output in DIR/cut-K.log; exit 0 is a pass (a checker that cannot
 * be run fails with 127, the reason in its log).  One line per point goes
 * to stdout and DIR/report.txt: "K KIND ADDR pass|fail HOW FIRST-LINE"
 * (HOW: exit N, signal N, timeout).  A passing point's image is removed
 * unless @keep; a failing one stays for a re-run (@only).
 *
 * Return: 0 (whatever the checker said), or a negative errno when the
 * trace is bad, no cut point is chosen, a replay fails or DIR cannot be
 * written.
 */
int rf_sweep_run(const struct rf_sweep *sw, uint64_t *failed, char *err,
		 size_t errlen);

#endif /* RAMFLASH_SWEEP_H */
