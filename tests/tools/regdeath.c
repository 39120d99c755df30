// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * muse-peer lifetime register-death: the server dies while the kernel
 * registers its partitioned NAND.  Registering a partition asks ISBAD of each of its
 * blocks and goes on when they fail; on a dead connection they fail at
 * once, so that loop must stay short and reschedule: the largest accepted
 * chip (MUSE_BLOCKS_MAX eraseblocks, three partitions) dies at the first
 * ISBAD, after a thousand answered ones, and by the administrator's abort
 * with an ISBAD in flight; each time every partition must be gone within
 * WAIT_MS and the kernel log must show no soft lockup (the scenario arms
 * the detector tightly).  A chip of 2^32 - 1 blocks, which used to spin
 * for half an hour, is refused at INIT.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "mtduser.h"
#include "cases.h"
#include "rawpeer.h"

#define RD_NAME		"regdeath"

/* How the server dies. */
enum death {
	CLOSE_AT_FIRST,		/* closes with the first ISBAD unanswered */
	CLOSE_AFTER_MANY,	/* answers RD_ANSWERED ISBADs, then closes */
	ABORT_AT_FIRST,		/* sysfs abort with the first ISBAD unanswered */
};

#define RD_ANSWERED	1000

static const char *const death_names[] = {
	[CLOSE_AT_FIRST] = "register-death-close-at-first-isbad",
	[CLOSE_AFTER_MANY] = "register-death-close-after-1000-isbad",
	[ABORT_AT_FIRST] = "register-death-abort-at-first-isbad",
};

static struct rp_request req;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Whether anything of the connection is left: a partition, or the
 * connection itself (its sysfs directory goes with its memory, after the
 * registration work ended).
 */
static bool anything_left(void)
{
	char dir[256];

	return mtd_exists("rd-a") || mtd_exists("rd-b") || mtd_exists("rd-c") ||
	       !rp_conn_dir(RD_NAME, getpid(), dir, sizeof(dir));
}

/* MUSE_BLOCKS_MAX blocks of 4 KiB, in three partitions. */
static void register_and_die(enum death death)
{
	static const char *const keys[] = {
		"NAME=" RD_NAME, "TYPE=4", "FLAGS=1024", "SIZE=4294967296",
		"WRITESIZE=2048", "ERASESIZE=4096",
		"PARTSCMDLINE=1G(rd-a),1G(rd-b),-(rd-c)", NULL,
	};
	const char *name = death_names[death];
	char dir[256];
	int fd = rp_connect("/dev/muse", &req, keys);
	int i, err = 0, tries;
	double died;

	if (fd < 0) {
		result(name, false, "INIT of %u blocks refused: %s",
		       MUSE_BLOCKS_MAX, strerror(-fd));
		return;
	}
	for (i = 0; !err && death == CLOSE_AFTER_MANY && i < RD_ANSWERED; i++) {
		err = rp_read_request(fd, &req, WAIT_MS);
		if (!err)
			err = rp_answer_pattern(fd, &req, 0xff);
	}
	if (!err)
		err = rp_read_request(fd, &req, WAIT_MS);
	if (err || req.ih.opcode != MUSE_ISBAD) {
		result(name, false, "registration asked no ISBAD: %s (opcode %u)",
		       strerror(-err), req.ih.opcode);
		close(fd);
		return;
	}
	died = now();
	if (death == ABORT_AT_FIRST) {
		if (rp_conn_dir(RD_NAME, getpid(), dir, sizeof(dir)) ||
		    rp_conn_write(dir, "abort", "1")) {
			result(name, false, "cannot abort: %s", strerror(errno));
			close(fd);
			return;
		}
	} else {
		close(fd);
	}
	/* Registration runs on after the death; then all of it goes. */
	if (death == ABORT_AT_FIRST)
		close(fd);
	for (tries = WAIT_MS / 10; anything_left() && tries > 0; tries--)
		peer_step(-1, NULL);
	result(name, !anything_left(),
	       "connection or partitions still there %.1f s after the server died",
	       now() - died);
	printf("%s: gone %.2f s after the death\n", name, now() - died);
}

const char *case_register_death(void)
{
	static const char *const huge[] = {
		"NAME=" RD_NAME, "TYPE=4", "FLAGS=1024",
		"SIZE=2199023255040", "WRITESIZE=512", "ERASESIZE=512",
		"PARTSCMDLINE=-(rd-a)", NULL,
	};
	static const struct muse_init_out out = RP_GOOD_INIT_OUT;
	char why[160];
	int fd, err;

	fd = rp_open_init("/dev/muse", &req, why, sizeof(why));
	if (fd < 0) {
		result("register-death-2^32-1-blocks-refused", false, "%s", why);
	} else {
		err = rp_reply_init(fd, &req, &out, sizeof(out), huge);
		close(fd);
		result("register-death-2^32-1-blocks-refused", err == -EINVAL,
		       "the INIT write gave %s, expected EINVAL",
		       err ? strerror(-err) : "success");
	}
	register_and_die(CLOSE_AT_FIRST);
	register_and_die(CLOSE_AFTER_MANY);
	register_and_die(ABORT_AT_FIRST);
	return NULL;
}
