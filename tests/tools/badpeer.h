/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What muse-peer's malformed-protocol cases share: the INIT cases
 * (badpeer-init.c), the shared table of device descriptions
 * (badpeer-devices.c) and the I/O reply cases (badpeer-reply.c).
 */
#ifndef BADPEER_H
#define BADPEER_H

#include "rawpeer.h"

/* The small NAND every reply case serves. */
#define PAGE		2048u
#define BLOCK		(64u * PAGE)
#define BADPEER_NAME	"badpeer"
/* Its geometry keys (1 MiB, 2 KiB pages, 128 KiB blocks). */
#define GOOD_GEOMETRY "TYPE=4", "FLAGS=1024", "SIZE=1048576", \
		      "WRITESIZE=2048", "ERASESIZE=131072"

/* The device they open (badpeer-init.c). */
extern const char *const badpeer_device;

/* After a refused INIT or an abort the connection is dead: ENODEV. */
bool connection_dead(int fd);

#endif /* BADPEER_H */
