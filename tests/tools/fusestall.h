/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fusestall: a FUSE filesystem of one file whose daemon never answers a
 * READ, spoken raw on /dev/fuse (no libfuse), for a backing file on a
 * filesystem that stopped answering.
 */
#ifndef FUSESTALL_H
#define FUSESTALL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct fusestall {
	char dir[64];			/* the mount point */
	int dev;			/* /dev/fuse */
	int stop;			/* eventfd: the daemon's thread ends */
	uint64_t size;			/* of the one file, "store" */
	atomic_uint reads;		/* READs received, none answered */
	pthread_t thread;
};

/*
 * Mount at a fresh directory, serving "store" of @size bytes.  Return:
 * NULL, or what failed.
 */
const char *fusestall_start(struct fusestall *fs, uint64_t size);
/* Wait up to 10 s for a READ to be held; false if none came. */
bool fusestall_wait_read(struct fusestall *fs);
/* End the daemon: every held READ fails, the mount is detached. */
void fusestall_stop(struct fusestall *fs);

#endif /* FUSESTALL_H */
