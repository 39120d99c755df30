/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ramflash server: the simulation core behind libmuse's struct muse_ops.
 */
#ifndef RAMFLASH_SERVER_H
#define RAMFLASH_SERVER_H

#include <muse/muse.h>
#include <muse/muse_kernel.h>

#include "control.h"
#include "options.h"
#include "passthrough.h"
#include "ready.h"
#include "scheduler.h"
#include "sim.h"

/* The userdata of the libmuse callbacks. */
struct rf_server {
	const struct rf_options *opts;
	struct rf_sim *sim;
	struct muse_session *se;
	struct rf_pt pt;		/* read passthrough, when in force */
	struct rf_ctl *ctl;		/* --control, or NULL */
	struct rf_ready ready;		/* the ready lines and the like */
	struct rf_sched sched;		/* the latency model's answers */
};

/**
 * rf_server_init() - create the libmuse session serving @sim, without an
 * fd yet (rf_server_run() opens the device; tests feed requests with
 * muse_session_handle_buf()).
 * @srv:	receives the server; free srv->se with muse_session_destroy().
 * @opts:	the options; must outlive @srv.
 * @sim:	the chip.
 *
 * Return: 0, or the negative errno of muse_session_new() after printing it.
 */
int rf_server_init(struct rf_server *srv, const struct rf_options *opts,
		   struct rf_sim *sim);

/**
 * rf_muse_device() - the MTD description of the simulated chip.
 * @opts:	options (name, partitions, max_io).
 * @geo:	the completed geometry.
 * @dev:	receives the description; strings point into @opts.
 */
void rf_muse_device(const struct rf_options *opts,
		    const struct rf_geometry *geo, struct muse_device *dev);

/**
 * rf_server_charge() - the core's delay hook (struct rf_config.delay) for
 * a served chip: simulated time is added up per thread and the request is
 * answered when it is up, without a worker asleep (server.c).
 * @arg:	unused.
 * @usec:	simulated microseconds the operation takes.
 */
void rf_server_charge(void *arg, uint32_t usec);

/**
 * rf_server_serve() - serve an initialised session (srv->se) until it
 * exits, with the latency model's scheduler (srv->sched) when a latency
 * is set or srv->ctl may set one; srv->ctl (if any) is stopped before it
 * returns, then the answers still waiting are given.  @srv must not move
 * between rf_server_init() and the end of serving (the scheduler's hold
 * refers to it).
 * @srv: the server.
 *
 * Return: as muse_session_loop().
 */
int rf_server_serve(struct rf_server *srv);

/**
 * rf_server_run() - register the MTD and serve it until told to stop.
 * @opts:	the options.
 * @sim:	the chip.
 * @served:	set once the kernel accepted the device.
 *
 * SIGINT and SIGTERM end the loop, SIGUSR1 prints statistics (and writes
 * --stats and --stats-svg); the caller flushes the image afterwards.
 *
 * Return: 0 after a clean stop or a simulated power cut, or a negative
 * errno after printing why (-ENOENT: no MUSE device, -EINVAL: the kernel
 * refused the geometry).
 */
int rf_server_run(const struct rf_options *opts, struct rf_sim *sim,
		  bool *served);

/**
 * rf_server_report() - print the statistics (unless quiet) and write the
 * --stats JSON and the --stats-svg picture; a file that cannot be written
 * is reported on stderr.
 * @opts:	the options.
 * @sim:	the chip.
 */
void rf_server_report(const struct rf_options *opts, struct rf_sim *sim);

#endif /* RAMFLASH_SERVER_H */
