// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ramflash: a flash simulator served to the kernel's MTD layer through
 * libmuse.  See doc/ramflash.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "options.h"
#include "server.h"
#include "sim.h"
#include "trace.h"

/* Exit statuses; documented in --help and doc/ramflash.md. */
enum {
	RF_EXIT_OK = 0,
	RF_EXIT_RUNTIME = 1,
	RF_EXIT_USAGE = 2,
	RF_EXIT_POWER_CUT = 3,
};

int main(int argc, char *argv[])
{
	struct rf_options opts;
	struct rf_sim *sim;
	struct rf_trace *trace = NULL;
	char err[256];
	bool served = false;
	int ret, status;

	/* The client of --control: a subcommand, not a chip to serve. */
	if (argc > 1 && !strcmp(argv[1], "ctl"))
		return rf_ctl_client(argc - 2, argv + 2);
	ret = rf_options_parse(&opts, argc, argv, stdout, err, sizeof(err));
	if (ret != RF_PARSE_RUN) {
		rf_options_free(&opts);
		if (ret == RF_PARSE_DONE)
			return RF_EXIT_OK;
		fprintf(stderr, "ramflash: %s\n", err);
		return RF_EXIT_USAGE;
	}
	if (opts.print_mtd) {
		rf_print_geometry(stdout, opts.name, &opts.cfg.geo);
		rf_options_free(&opts);
		return RF_EXIT_OK;
	}
	/* Simulated latency is waited out by the server, not by a worker. */
	opts.cfg.delay = rf_server_charge;
	ret = rf_sim_open(&sim, &opts.cfg, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "ramflash: %s\n", err);
		rf_options_free(&opts);
		return RF_EXIT_RUNTIME;
	}
	if (!rf_sim_created(sim) && opts.verbosity != RF_QUIET &&
	    (opts.cfg.faults.bad_blocks.count || opts.cfg.faults.bad_block_count))
		fprintf(stderr, "ramflash: %s exists and keeps its own bad blocks; %s\n",
			opts.cfg.image_path,
			"--bad-blocks/--bad-block-count apply to new images only");
	if (opts.trace_path) {
		ret = rf_trace_start(&trace, opts.trace_path,
				     opts.trace_full ? RF_TRACE_DATA_FULL :
				     RF_TRACE_DATA_HASH, &opts, sim, err,
				     sizeof(err));
		if (ret) {
			fprintf(stderr, "ramflash: %s\n", err);
			rf_sim_close(sim);
			rf_options_free(&opts);
			return RF_EXIT_RUNTIME;
		}
	}
	ret = rf_server_run(&opts, sim, &served);
	status = ret ? RF_EXIT_RUNTIME : RF_EXIT_OK;
	if (rf_sim_power_cut_done(sim)) {
		status = RF_EXIT_POWER_CUT;
		if (opts.verbosity != RF_QUIET)
			fprintf(stderr, "ramflash: simulated power cut, exiting\n");
	}
	if (served)
		rf_server_report(&opts, sim);
	/* A trace that could not be written completely was reported. */
	if (rf_trace_finish(trace, sim))
		status = RF_EXIT_RUNTIME;
	ret = rf_sim_close(sim);
	if (ret) {
		fprintf(stderr, "ramflash: flushing the image failed: %s\n",
			strerror(-ret));
		status = RF_EXIT_RUNTIME;
	}
	rf_options_free(&opts);
	return status;
}
