// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * muse-peer's INIT cases: valid and malformed INIT replies.  A refused
 * one must fail the write with EINVAL, register nothing and leave the
 * connection dead; an accepted one registers the MTD, which goes when the
 * peer closes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "badpeer.h"
#include "cases.h"
#include "frames.h"
#include "mtduser.h"

const char *const badpeer_device = "/dev/muse";

bool connection_dead(int fd)
{
	char buf[256];

	return read(fd, buf, sizeof(buf)) < 0 && errno == ENODEV;
}

struct init_case {
	const char *name;
	struct muse_init_out out;
	size_t out_size;		/* 16 (compat) or 32 */
	const char *keys[16];
	/* Overrides of the written reply. */
	bool no_final_nul;		/* drop the info block's last NUL */
	bool oversized_info;		/* pad the info block past 4096 */
	int len_delta;			/* header len minus bytes written */
	size_t truncate_body;		/* write only this many body bytes */
	int32_t error;			/* header error, no body */
	int expect_errno;		/* 0: the write must succeed */
	bool expect_registered;
};

static const struct init_case init_cases[] = {
	{ "init-valid-extended", RP_GOOD_INIT_OUT, 32,
	  { "NAME=" BADPEER_NAME, GOOD_GEOMETRY, "OOBSIZE=64", "OOBAVAIL=38",
	    "ECCSTRENGTH=4", "ECCSTEP=512",
	    "PARTSCMDLINE=512K(" BADPEER_NAME "),-(" BADPEER_NAME "-rest)" },
	  .expect_registered = true },
	{ "init-valid-compat", RP_INIT_OUT(7, 33, 4096, 4096, 0), 16,
	  { "NAME=" BADPEER_NAME, GOOD_GEOMETRY },
	  .expect_registered = true },
	{ "init-missing-name", RP_GOOD_INIT_OUT, 32, { GOOD_GEOMETRY },
	  .expect_errno = EINVAL },
	{ "init-empty-name", RP_GOOD_INIT_OUT, 32, { "NAME=", GOOD_GEOMETRY },
	  .expect_errno = EINVAL },
	{ "init-oversized-name", RP_GOOD_INIT_OUT, 32,
	  { "NAME=" "0123456789012345678901234567890123456789"
	    "0123456789012345678901234", GOOD_GEOMETRY },
	  .expect_errno = EINVAL },
	{ "init-name-with-newline", RP_GOOD_INIT_OUT, 32,
	  { "NAME=bad\npeer", GOOD_GEOMETRY }, .expect_errno = EINVAL },
	{ "init-name-not-terminated", RP_GOOD_INIT_OUT, 32,
	  { GOOD_GEOMETRY, "NAME=" BADPEER_NAME }, .no_final_nul = true,
	  .expect_errno = EINVAL },
	{ "init-info-too-long", RP_GOOD_INIT_OUT, 32,
	  { "NAME=" BADPEER_NAME, GOOD_GEOMETRY }, .oversized_info = true,
	  .expect_errno = EINVAL },
	{ "init-zero-size", RP_GOOD_INIT_OUT, 32,
	  { "NAME=" BADPEER_NAME, "TYPE=4", "SIZE=0", "WRITESIZE=2048",
	    "ERASESIZE=131072" }, .expect_errno = EINVAL },
	{ "init-zero-writesize", RP_GOOD_INIT_OUT, 32,
	  { "NAME=" BADPEER_NAME, "TYPE=4", "SIZE=1048576", "WRITESIZE=0",
	    "ERASESIZE=131072" }, .expect_errno = EINVAL },
	{ "init-zero-erasesize", RP_GOOD_INIT_OUT, 32,
	  { "NAME=" BADPEER_NAME, "TYPE=4", "SIZE=1048576", "WRITESIZE=2048",
	    "ERASESIZE=0" }, .expect_errno = EINVAL },
	{ "init-writesize-not-dividing", RP_GOOD_INIT_OUT, 32,
	  { "NAME=" BADPEER_NAME, "TYPE=4", "SIZE=1048576", "WRITESIZE=3000",
	    "ERASESIZE=131072" }, .expect_errno = EINVAL },
	{ "init-size-not-multiple", RP_GOOD_INIT_OUT, 32,
	  { "NAME=" BADPEER_NAME, "TYPE=4", "SIZE=1000000", "WRITESIZE=2048",
	    "ERASESIZE=131072" }, .expect_errno = EINVAL },
	{ "init-size-overflow", RP_GOOD_INIT_OUT, 32,
	  { "NAME=" BADPEER_NAME, "TYPE=1", "SIZE=18446744073709420544",
	    "WRITESIZE=1", "ERASESIZE=131072" }, .expect_errno = EINVAL },
	{ "init-bad-flags", RP_GOOD_INIT_OUT, 32,
	  { "NAME=" BADPEER_NAME, GOOD_GEOMETRY, "FLAGS=1" },
	  .expect_errno = EINVAL },
	{ "init-type-absent", RP_GOOD_INIT_OUT, 32,
	  { "NAME=" BADPEER_NAME, GOOD_GEOMETRY, "TYPE=0" },
	  .expect_errno = EINVAL },
	{ "init-type-ubivolume", RP_GOOD_INIT_OUT, 32,
	  { "NAME=" BADPEER_NAME, GOOD_GEOMETRY, "TYPE=7" },
	  .expect_errno = EINVAL },
	{ "init-bad-major", RP_INIT_OUT(8, 38, 65536, 65536, 0), 32,
	  { "NAME=" BADPEER_NAME, GOOD_GEOMETRY }, .expect_errno = EINVAL },
	{ "init-old-minor", RP_INIT_OUT(7, 32, 65536, 65536, 0), 32,
	  { "NAME=" BADPEER_NAME, GOOD_GEOMETRY }, .expect_errno = EINVAL },
	{ "init-unit-above-max-read", RP_INIT_OUT(7, 38, 1024, 65536, 0), 32,
	  { "NAME=" BADPEER_NAME, GOOD_GEOMETRY }, .expect_errno = EINVAL },
	{ "init-flags-not-offered", RP_INIT_OUT(7, 38, 65536, 65536, 0x10), 32,
	  { "NAME=" BADPEER_NAME, GOOD_GEOMETRY }, .expect_errno = EINVAL },
	{ "init-oob-without-extension", RP_INIT_OUT(7, 38, 65536, 65536, 0), 32,
	  { "NAME=" BADPEER_NAME, GOOD_GEOMETRY, "OOBSIZE=64" },
	  .expect_errno = EINVAL },
	{ "init-oobavail-above-oobsize", RP_GOOD_INIT_OUT, 32,
	  { "NAME=" BADPEER_NAME, GOOD_GEOMETRY, "OOBSIZE=64",
	    "OOBAVAIL=65" }, .expect_errno = EINVAL },
	{ "init-threshold-above-strength", RP_GOOD_INIT_OUT, 32,
	  { "NAME=" BADPEER_NAME, GOOD_GEOMETRY, "ECCSTRENGTH=4",
	    "ECCSTEP=512", "BITFLIPTHRESHOLD=5" }, .expect_errno = EINVAL },
	{ "init-ecc-step-not-dividing", RP_GOOD_INIT_OUT, 32,
	  { "NAME=" BADPEER_NAME, GOOD_GEOMETRY, "ECCSTRENGTH=4",
	    "ECCSTEP=500" }, .expect_errno = EINVAL },
	{ "init-writebufsize-not-dividing", RP_GOOD_INIT_OUT, 32,
	  { "NAME=" BADPEER_NAME, GOOD_GEOMETRY, "WRITEBUFSIZE=6144" },
	  .expect_errno = EINVAL },
	{ "init-subpage-shift-too-big", RP_GOOD_INIT_OUT, 32,
	  { "NAME=" BADPEER_NAME, GOOD_GEOMETRY, "SUBPAGESHIFT=12" },
	  .expect_errno = EINVAL },
	{ "init-number-not-decimal", RP_GOOD_INIT_OUT, 32,
	  { "NAME=" BADPEER_NAME, GOOD_GEOMETRY, "SIZE=1M" },
	  .expect_errno = EINVAL },
	{ "init-string-without-equals", RP_GOOD_INIT_OUT, 32,
	  { "NAME=" BADPEER_NAME, GOOD_GEOMETRY, "JUNK" },
	  .expect_errno = EINVAL },
	{ "init-partition-too-big", RP_GOOD_INIT_OUT, 32,
	  { "NAME=" BADPEER_NAME, GOOD_GEOMETRY, "PARTSCMDLINE=2M(big)" },
	  .expect_errno = EINVAL },
	{ "init-partition-unaligned", RP_GOOD_INIT_OUT, 32,
	  { "NAME=" BADPEER_NAME, GOOD_GEOMETRY,
	    "PARTSCMDLINE=100K(odd),-(rest)" }, .expect_errno = EINVAL },
	{ "init-partition-rest-not-last", RP_GOOD_INIT_OUT, 32,
	  { "NAME=" BADPEER_NAME, GOOD_GEOMETRY,
	    "PARTSCMDLINE=-(rest),128K(x)" }, .expect_errno = EINVAL },
	{ "init-partition-garbage", RP_GOOD_INIT_OUT, 32,
	  { "NAME=" BADPEER_NAME, GOOD_GEOMETRY, "PARTSCMDLINE=128K(a)x" },
	  .expect_errno = EINVAL },
	{ "init-header-len-lies", RP_GOOD_INIT_OUT, 32,
	  { "NAME=" BADPEER_NAME, GOOD_GEOMETRY }, .len_delta = 4,
	  .expect_errno = EINVAL },
	{ "init-body-truncated", RP_GOOD_INIT_OUT, 32, { NULL }, .truncate_body = 8,
	  .expect_errno = EINVAL },
	{ "init-error-reply", RP_GOOD_INIT_OUT, 32, { NULL }, .error = -EIO },
	{ "init-positive-error", RP_GOOD_INIT_OUT, 32, { NULL }, .error = 5,
	  .expect_errno = EINVAL },
};

static void run_init_case(const struct init_case *c, struct rp_request *req)
{
	static char body[2 * MUSE_INIT_INFO_MAX];
	char why[160];
	size_t len, info_len;
	int fd, err;

	fd = rp_open_init(badpeer_device, req, why, sizeof(why));
	if (fd < 0) {
		result(c->name, false, "%s", why);
		return;
	}

	if (c->error) {
		err = rp_reply(fd, c->error, req->ih.unique, NULL, 0, NULL, 0);
	} else {
		memcpy(body, &c->out, c->out_size);
		info_len = mf_info_block(body + c->out_size,
					 sizeof(body) - c->out_size, c->keys);
		if (c->no_final_nul)
			info_len--;
		if (c->oversized_info) {
			memset(body + c->out_size + info_len, 0,
			       MUSE_INIT_INFO_MAX);
			info_len += MUSE_INIT_INFO_MAX;
		}
		len = c->truncate_body ? c->truncate_body :
					 c->out_size + info_len;
		err = rp_send_reply(fd, sizeof(struct fuse_out_header) + len +
				 c->len_delta, 0, req->ih.unique,
				 body, len, NULL, 0);
	}

	if (err != -c->expect_errno) {
		result(c->name, false, "write returned %s, expected %s",
		       err ? strerror(-err) : "success",
		       c->expect_errno ? strerror(c->expect_errno) : "success");
	} else if (wait_mtd_served(BADPEER_NAME, c->expect_registered, fd,
				   req) != c->expect_registered) {
		result(c->name, false, "MTD %s registered",
		       c->expect_registered ? "not" : "wrongly");
	} else if (!c->expect_registered && !connection_dead(fd)) {
		result(c->name, false, "connection still alive after a failed INIT");
	} else {
		result(c->name, true, NULL);
	}
	close(fd);
	if (c->expect_registered && wait_mtd(BADPEER_NAME, false))
		result(c->name, false, "MTD still there after close");
}

const char *case_init_replies(void)
{
	static struct rp_request req;
	size_t i;

	for (i = 0; i < sizeof(init_cases) / sizeof(init_cases[0]); i++)
		run_init_case(&init_cases[i], &req);
	return NULL;
}

