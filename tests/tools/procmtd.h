/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * /proc/mtd, read once for every C tool that runs in the guest: its lines
 * are "mtdN: SIZE ERASESIZE \"NAME\"" after one header line; and the
 * MUSE connection behind a name, in sysfs.
 */
#ifndef PROCMTD_H
#define PROCMTD_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The N of each MTD (/dev/mtdN) listed under exactly @name, in the
 * order /proc/mtd lists them, at most @max into @nums; with @name NULL,
 * of every MTD.  Returns how many are listed (also those beyond @max),
 * or -1 with errno when /proc/mtd cannot be read.  A dying MTD may still
 * be listed next to a new one of the same name: callers that open one
 * try each.
 */
int procmtd_find(const char *name, int *nums, size_t max);

/*
 * /dev/mtdN of @name opened with @flags, waiting up to 10 s for
 * registration; -1 with errno ENODEV if none opens.  The MTD of a previous
 * server may still be listed while it is unregistered (from a work item,
 * after its server left): only an open that succeeds counts.
 */
int procmtd_open(const char *name, int flags);

/* A connection's sysfs directory fits this. */
#define PROCMTD_DIR_MAX	64

/*
 * The sysfs directories of the MUSE connections named @name,
 * /sys/fs/muse/connections/<id>, at most @max into @dirs: how many there
 * are (a connection that ended may linger next to a new one).
 */
int procmtd_conn_dirs(const char *name, char (*dirs)[PROCMTD_DIR_MAX],
		      int max);

/* The first of them into @path: whether there is one. */
bool procmtd_conn_dir(const char *name, char *path, size_t size);

/* Write "1" to @file of the connection directory @dir: 0 or the errno. */
int procmtd_conn_write(const char *dir, const char *file);

#endif /* PROCMTD_H */
