/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ramflash --control SOCKET: live control of the served chip, one request
 * per line on a unix stream socket, one acknowledgement line per request
 * ("ok ..." or "error ...").  doc/ramflash.md, "Live control".
 */
#ifndef RAMFLASH_CONTROL_H
#define RAMFLASH_CONTROL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <muse/muse.h>

#include "passthrough.h"
#include "sim.h"

/* The longest request line, newline excluded. */
#define RF_CTL_LINE_MAX		1024
/* Connections served at once; more are told so and closed. */
#define RF_CTL_CLIENTS		8

struct rf_ctl_client {
	int fd;				/* -1: free */
	size_t len;			/* bytes of the line so far */
	bool discarding;		/* overlong line: skip to its end */
	char line[RF_CTL_LINE_MAX + 1];
};

/*
 * The control.  Its gate stands before every request of the server: a
 * command is applied with no request in the simulator (so it takes effect
 * exactly between two requests, whose index the acknowledgement names),
 * and freeze holds every request at the gate.
 */
struct rf_ctl {
	pthread_mutex_t lock;		/* the gate's fields */
	pthread_cond_t cond;
	uint64_t requests;		/* requests admitted so far */
	unsigned int active;		/* requests in the simulator */
	unsigned int held;		/* requests waiting at the gate */
	bool exclusive;			/* a command is being applied */
	atomic_bool frozen;
	void (*thaw)(void *arg);	/* called after release */
	void *thaw_arg;
	const struct rf_event *replay;	/* --rerun: commands to apply at */
	size_t replay_count;		/* their request indices */
	size_t replay_next;

	/* What commands act on. */
	struct rf_sim *sim;
	struct rf_pt *pt;		/* NULL: nothing delegated */
	struct muse_session *se;
	const char *name;		/* the MTD's, for the SVG */
	bool verbose;			/* log commands on stderr */

	/* The socket and its thread. */
	const char *path;
	int listen_fd;
	dev_t dev;			/* of the socket bound at path */
	ino_t ino;
	int wake[2];
	pthread_t thread;
	bool running;
	struct rf_ctl_client clients[RF_CTL_CLIENTS];
};

/**
 * rf_ctl_init() - a control without socket, for rf_ctl_execute().
 * @ctl:	the control.
 * @sim:	the chip.
 * @pt:		the server's delegation state, or NULL.
 * @se:		the session, ended by a power cut; or NULL.
 * @name:	the MTD name (SVG title).
 */
void rf_ctl_init(struct rf_ctl *ctl, struct rf_sim *sim, struct rf_pt *pt,
		 struct muse_session *se, const char *name);

/* rf_ctl_destroy() - free what rf_ctl_init() set up (after rf_ctl_stop()). */
void rf_ctl_destroy(struct rf_ctl *ctl);

/**
 * rf_ctl_listen() - create the socket at @path, mode 0600.  An existing
 * socket nobody answers on is replaced; anything else there is refused.
 * @ctl:	an initialised control.
 * @path:	the socket's path; referenced.
 * @err:	receives a one-line reason on failure.
 * @errlen:	size of @err.
 *
 * Return: 0, -EEXIST (a file that is not a socket, or a socket another
 * process answers on), -ENAMETOOLONG, or the errno of socket(2), bind(2),
 * listen(2).
 */
int rf_ctl_listen(struct rf_ctl *ctl, const char *path, char *err,
		  size_t errlen);

/**
 * rf_ctl_start() - serve the socket from a thread of its own.
 * Return: 0 or a negative errno.
 */
int rf_ctl_start(struct rf_ctl *ctl);

/*
 * rf_ctl_stop() - end the thread (a freeze is released), close every
 * connection and the socket, and remove it if it is still ours.
 */
void rf_ctl_stop(struct rf_ctl *ctl);

/**
 * rf_ctl_replay() - apply @events (a --rerun report's "control" list, in
 * request order) each when its request index comes, as the run that
 * recorded them did: the request that would be number N+1 applies the
 * commands of index N first, with no request inside.  Before serving.
 * @ctl:	the control.
 * @events:	the commands and markers; must outlive @ctl.
 * @count:	their number.
 */
void rf_ctl_replay(struct rf_ctl *ctl, const struct rf_event *events,
		   size_t count);

/**
 * rf_ctl_enter() - a request enters the simulator: waits while a command
 * is applied or the chip is frozen, and applies the replayed commands
 * due first.  A NULL @ctl does nothing.
 */
void rf_ctl_enter(struct rf_ctl *ctl);

/* rf_ctl_leave() - the request left the simulator. */
void rf_ctl_leave(struct rf_ctl *ctl);

/* rf_ctl_frozen() - whether requests are held (NULL: no). */
bool rf_ctl_frozen(struct rf_ctl *ctl);

/**
 * rf_ctl_execute() - parse and apply one request line.
 * @ctl:	the control.
 * @line:	the request, without its newline; NUL-terminated.
 * @ack:	receives the acknowledgement, without newline: "ok ..." or
 *		"error ..." (then nothing changed).
 * @acklen:	size of @ack, 64 bytes at least; RF_CTL_LINE_MAX holds every
 *		answer whole.
 *
 * Return: 0 (ok) or a negative errno (error); -ENOBUFS (@ack too small,
 * not written).
 */
int rf_ctl_execute(struct rf_ctl *ctl, const char *line, char *ack,
		   size_t acklen);

/**
 * rf_ctl_marker() - record a named point of the run: the one path every
 * marker takes (the stats JSON "control" list, -v's log).
 * @ctl:	the control.
 * @request:	requests served before it.
 * @text:	the marker.
 *
 * Return: 0 or -ENOMEM.
 */
int rf_ctl_marker(struct rf_ctl *ctl, uint64_t request, const char *text);

/**
 * rf_ctl_client() - `ramflash ctl SOCKET COMMAND...`: send COMMAND as one
 * line, print the acknowledgement on stdout.
 * @argc:	arguments after "ctl".
 * @argv:	SOCKET and the command's words.
 *
 * Return: the exit status: 0 ok, 1 the command was refused, 2 bad usage,
 * 3 no connection or no answer (printed on stderr).
 */
int rf_ctl_client(int argc, char *argv[]);

#endif /* RAMFLASH_CONTROL_H */
