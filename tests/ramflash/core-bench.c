// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Throughput of the ramflash core alone (no kernel, no libmuse): how much
 * the simulator adds per request.  Not a test: it prints MiB/s.
 *
 * core-bench [THREADS [SECONDS_PER_PHASE [TRACE [full]]]]
 *
 * With TRACE every request is recorded there as ramflash --trace FILE
 * records it (a content hash per program; "full": the bytes), to
 * measure what tracing costs.
 *
 * Each thread works on its own eraseblocks of a 128 MiB slc-128m-like
 * chip: erase, program page by page, read page by page, read whole blocks.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "options.h"
#include "sim.h"
#include "trace.h"

#define PAGE	2048U
#define BLOCK	(128U * 1024U)
#define SIZE	(128ULL << 20)

enum phase { ERASE, PAGE_WRITE, PAGE_READ, BLOCK_READ, PHASES };

static const char *const phase_names[PHASES] = {
	"erase", "page-write", "page-read", "eb-read",
};

struct worker {
	struct rf_sim *sim;
	unsigned int index, threads;
	enum phase phase;
	double seconds;
	uint64_t bytes;
	int errors;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One operation of @w's phase on block @b. */
static int run_op(struct worker *w, uint64_t b, uint8_t *buf)
{
	struct rf_ecc ecc;
	struct rf_io io = { .buf = buf };
	uint32_t p;
	int ret = 0;

	switch (w->phase) {
	case ERASE:
		w->bytes += BLOCK;
		return rf_sim_erase(w->sim, b * BLOCK, BLOCK);
	case PAGE_WRITE:
		ret = rf_sim_erase(w->sim, b * BLOCK, BLOCK);
		/* fall through */
	case PAGE_READ:
		for (p = 0; p < BLOCK / PAGE && !ret; p++) {
			io.addr = b * BLOCK + p * PAGE;
			io.len = PAGE;
			ret = w->phase == PAGE_WRITE ? rf_sim_write(w->sim, &io) :
			      rf_sim_read(w->sim, &io, &ecc);
		}
		w->bytes += BLOCK;
		return ret;
	case BLOCK_READ:
		io.addr = b * BLOCK;
		io.len = BLOCK;
		w->bytes += BLOCK;
		return rf_sim_read(w->sim, &io, &ecc);
	default:
		return -1;
	}
}

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	uint64_t blocks = SIZE / BLOCK, b = w->index;
	uint8_t *buf = malloc(BLOCK);
	double end = now() + w->seconds;

	memset(buf, 0x5a, BLOCK);
	while (now() < end) {
		w->errors += run_op(w, b, buf) != 0;
		b += w->threads;
		if (b >= blocks)
			b = w->index;
	}
	free(buf);
	return NULL;
}

int main(int argc, char *argv[])
{
	unsigned int threads = argc > 1 ? (unsigned int)atoi(argv[1]) : 1;
	double seconds = argc > 2 ? atof(argv[2]) : 1.0;
	struct rf_config cfg = {
		.geo = { .type = RF_TYPE_NAND, .size = SIZE, .page_size = PAGE,
			 .erase_size = BLOCK, .oob_size = 64,
			 .oob_avail = RF_GEO_DEFAULT, .subpage_size = 512,
			 .ecc_strength = 4, .ecc_step = 512 },
	};
	const char *trace_path = argc > 3 ? argv[3] : NULL;
	bool full = argc > 4 && !strcmp(argv[4], "full");
	struct rf_trace *trace = NULL;
	struct rf_options opts = { .cfg = cfg };
	struct worker *w;
	pthread_t *tids;
	struct rf_sim *sim;
	char err[256];
	unsigned int i;
	enum phase ph;

	if (threads < 1 || threads > 64 || seconds <= 0) {
		fprintf(stderr, "usage: core-bench [THREADS [SECONDS [TRACE [full]]]]\n");
		return 2;
	}
	if (rf_sim_open(&sim, &cfg, err, sizeof(err))) {
		fprintf(stderr, "core-bench: %s\n", err);
		return 1;
	}
	if (trace_path &&
	    rf_trace_start(&trace, trace_path, full ? RF_TRACE_DATA_FULL :
			   RF_TRACE_DATA_HASH, &opts, sim, err, sizeof(err))) {
		fprintf(stderr, "core-bench: %s\n", err);
		return 1;
	}
	w = calloc(threads, sizeof(*w));
	tids = calloc(threads, sizeof(*tids));
	if (!w || !tids)
		return 1;
	for (ph = 0; ph < PHASES; ph++) {
		double start = now(), elapsed;
		uint64_t bytes = 0;
		int errors = 0;

		for (i = 0; i < threads; i++) {
			w[i] = (struct worker){ sim, i, threads, ph, seconds, 0, 0 };
			pthread_create(&tids[i], NULL, worker_run, &w[i]);
		}
		for (i = 0; i < threads; i++) {
			pthread_join(tids[i], NULL);
			bytes += w[i].bytes;
			errors += w[i].errors;
		}
		elapsed = now() - start;
		printf("%-10s %u thread(s): %10.1f MiB/s%s\n", phase_names[ph],
		       threads, (double)bytes / elapsed / (1 << 20),
		       errors ? " (ERRORS)" : "");
		if (errors)
			return 1;
	}
	free(w);
	free(tids);
	if (rf_trace_finish(trace, sim))
		return 1;
	return rf_sim_close(sim) ? 1 : 0;
}
