/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Telling whoever started ramflash that the MTD exists, and which it is:
 * the ready lines on stdout and on --ready-fd, --pidfile, and sd_notify
 * READY=1 when $NOTIFY_SOCKET is set (doc/ramflash.md, "Ready").
 */
#ifndef RF_READY_H
#define RF_READY_H

#include <stdbool.h>
#include <stdint.h>

#include <muse/muse.h>

struct rf_ready {
	int fd;			/* --ready-fd, -1: none or closed */
	const char *pidfile;	/* --pidfile or NULL */
	const char *name;	/* the whole device's MTD name */
	uint64_t size;		/* its bytes */
	bool quiet;		/* -q: no connection line on stderr */
	bool pidfile_written;
	int error;		/* the kernel's registration errno, or 0 */
	bool reported;		/* the kernel said how registration went */
};

/**
 * rf_ready_start() - check the ready fd before anything is registered,
 * and ignore SIGPIPE: a reader that left makes a write fail, no more.
 * @r:		receives the state.
 * @ready_fd:	--ready-fd, or -1.
 * @pidfile:	--pidfile, or NULL.
 * @name:	the whole device's name.
 * @size:	its size in bytes.
 * @quiet:	print errors only.
 *
 * Return: 0, -EBADF (said on stderr) when @ready_fd is not open, or the
 * errno of sigaction().
 */
int rf_ready_start(struct rf_ready *r, int ready_fd, const char *pidfile,
		   const char *name, uint64_t size, bool quiet);

/**
 * rf_ready_registered() - announce what the kernel registered, or say
 * why it did not; once per run, from a loop thread.
 * @r:		state of rf_ready_start().
 * @reg:	the kernel's notification.
 */
void rf_ready_registered(struct rf_ready *r,
			 const struct muse_registration *reg);

/**
 * rf_ready_stop() - at exit: close the ready fd if no line went to it,
 * remove the pid file written.
 * @r:	state of rf_ready_start().
 */
void rf_ready_stop(struct rf_ready *r);

/**
 * rf_ready_lines() - the ready lines of a registration (exported for the
 * tests): one "ready /dev/mtdN NAME SIZE\n" for the whole device when it
 * is registered, then one per partition.  NAME is escaped as in
 * /proc/mounts (space \040, backslash \134), SIZE is decimal bytes.
 * @reg:	a successful registration.
 * @name:	the whole device's name.
 * @size:	its size.
 * @buf:	receives the lines, NUL-terminated.
 * @len:	its size.
 *
 * Return: the length of the lines, or -ENOSPC when @buf is too short.
 */
int rf_ready_lines(const struct muse_registration *reg, const char *name,
		   uint64_t size, char *buf, size_t len);

/* Room for rf_ready_lines() of any registration. */
#define RF_READY_LINES_MAX	(33 * (32 + 4 * 64 + 24))

#endif /* RF_READY_H */
