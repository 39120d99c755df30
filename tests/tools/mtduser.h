/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The MTD side of the raw-peer tests: find an MTD by name, and fork a
 * user that does one operation on it while the peer decides the reply.
 */
#ifndef MTDUSER_H
#define MTDUSER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "rawpeer.h"

/* How long a case waits for the kernel or the MTD user. */
#define WAIT_MS		10000

enum mtd_action {
	DO_READ,	/* pread of the first page, which must be 0xa5 */
	DO_WRITE,	/* pwrite of the first page */
	DO_ERASE,	/* MEMERASE of the first eraseblock */
	DO_ISBAD,	/* MEMGETBADBLOCK of the first eraseblock */
	DO_MEMREAD,	/* MEMREAD of the first page; see user_report */
};

/*
 * What the user saw, in memory shared with the parent: its errno (an exit
 * status keeps only 8 bits of it) and what MEMREAD reported.
 */
struct user_report {
	int err;
	uint32_t corrected;
	uint32_t failed;
	uint32_t max_bitflips;
};
extern struct user_report *user_report;

/* Whether /proc/mtd lists name; its N in /dev/mtdN (or -1). */
bool mtd_exists(const char *name);
int mtd_index(const char *name);

/*
 * Poll /proc/mtd (up to WAIT_MS) until name is listed (present) or not;
 * returns whether it is listed in the end.  Registration and removal may
 * happen after the write or close that caused them.
 */
bool wait_mtd(const char *name, bool present);

/*
 * Wait 10 ms; with a peer fd (>= 0), answer what arrives meanwhile: the
 * module registers from a work item, and registering partitions asks
 * ISBAD of every block, which the peer that wrote INIT must answer.
 */
void peer_step(int fd, struct rp_request *req);

/* wait_mtd() that answers the peer's requests meanwhile (peer_step()). */
bool wait_mtd_served(const char *name, bool present, int fd,
		     struct rp_request *req);

/*
 * Fork a user doing action on the MTD called name (page bytes per page).
 * Its exit status is 0 on success, else the errno of the failed call
 * (whole in user_report->err).
 * The child holds no other file: closing the peer's fd reaches release.
 */
pid_t start_user(const char *name, enum mtd_action action, uint32_t page);

/*
 * Answer whatever else the user causes (e.g. SYNC on close) with
 * rp_answer_pattern(0xa5) until it exits; its errno (0 on success), or
 * -1 when it hung (killed after 2 * WAIT_MS) or died of a signal.
 */
int finish_user(int fd, pid_t pid, struct rp_request *req);

/*
 * Whether pid exits (becomes a zombie, not reaped) within ms.  Proving
 * that a killed user waits for its request needs a bound like this.
 */
bool user_exits_within(pid_t pid, int ms);

#endif /* MTDUSER_H */
