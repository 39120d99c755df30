/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A raw peer serving a flash from memory in a thread of its own, so that
 * the main thread can be the MTD user (mount, read, ioctl) while the
 * server answers.  A fault can be armed: until disarmed, every request of
 * the armed opcode that this process caused (fuse_in_header.pid: a file
 * system's own threads keep working normally) gets a reply with one field
 * set to a chosen value (a file system retries; it must meet the value
 * every time), and the server records what its write() of those replies
 * returned.
 */
#ifndef SERVE_H
#define SERVE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "rawpeer.h"

/* Which field of the reply an armed fault sets. */
enum fault_field {
	FAULT_HEADER_ERROR,	/* fuse_out_header.error, no body */
	FAULT_SOFT_ERROR,	/* READ/WRITE soft_error */
	FAULT_MAX_BITFLIPS,	/* READ max_bitflips */
	FAULT_CORRECTED,	/* READ corrected */
	FAULT_FAILED,		/* READ failed */
	FAULT_ISBAD_RESULT,	/* ISBAD result */
};

struct server {
	const char *name;
	int fd;
	struct rp_flash flash;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	/* The armed fault, under lock; arms counts server_arm()s. */
	bool armed;
	unsigned int arms;
	uint32_t opcode;
	enum fault_field field;
	uint32_t value;
	uint32_t soft_error;		/* with the ECC fields */
	/* Replies spoiled so far, and what the first write returned. */
	unsigned int used;
	int write_result;
	bool mixed_results;	/* later writes returned something else */
	bool stop;
	struct rp_request req;
};

/*
 * Register an MTD called name with the INIT keys (NAME= is added) over a
 * flash of the given geometry and start serving it.  0 or -errno.
 */
int server_start(struct server *s, const char *name, const char *const *keys,
		 uint64_t size, uint32_t writesize, uint32_t erasesize,
		 uint32_t oobsize);

/* Arm a fault for the requests of opcode this process causes from now on. */
void server_arm(struct server *s, uint32_t opcode, enum fault_field field,
		uint32_t value, uint32_t soft_error);

/*
 * Disarm, once the fault was used (waiting up to 2 s for the server to
 * note it); returns how many replies it spoiled, and in *write_result
 * what their writes returned (0 or -errno; 1 when they differed).
 */
unsigned int server_disarm(struct server *s, int *write_result);

/* Stop serving and close the connection (its MTD goes). */
void server_stop(struct server *s);

#endif /* SERVE_H */
