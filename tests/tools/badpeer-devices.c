// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * muse-peer devices table: every description of the shared table
 * (tests/lib/device-cases.c), which the unit tests run through libmuse's
 * validator, sent to the module as an INIT reply.  A valid one must be
 * accepted and registered (and go when the peer closes), an invalid one
 * refused with EINVAL, so that library and module cannot drift apart.
 * Run it with no other MTD registered: it watches /proc/mtd as a whole.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "badpeer.h"
#include "cases.h"
#include "device-cases.h"
#include "mtduser.h"
#include "procmtd.h"

/* How many MTDs /proc/mtd lists (-1 if it cannot be read). */
static int mtd_count(void)
{
	return procmtd_find(NULL, NULL, 0);
}

/*
 * Poll (up to WAIT_MS) until some MTD is listed (any) or none is, serving
 * the peer's requests meanwhile when fd >= 0 (peer_step()).
 */
static bool wait_count(bool any, int fd, struct rp_request *req)
{
	int tries = WAIT_MS / 10;

	while ((mtd_count() > 0) != any && tries-- > 0)
		peer_step(fd, req);
	return mtd_count() > 0;
}

static void run_device_case(const struct mdc_case *c, struct rp_request *req)
{
	static const struct muse_init_out out = RP_GOOD_INIT_OUT;
	char info[MUSE_INIT_INFO_MAX], name[160], why[160];
	size_t len = mdc_info_block(&c->dev, info, sizeof(info));
	int fd, err;

	snprintf(name, sizeof(name), "device-%s: %s",
		 c->valid ? "valid" : "invalid", c->why);
	if (!len) {
		result(name, false, "its info block does not fit");
		return;
	}
	fd = rp_open_init(badpeer_device, req, why, sizeof(why));
	if (fd < 0) {
		result(name, false, "%s", why);
		return;
	}
	err = rp_reply_init_info(fd, req, &out, sizeof(out), info, len);
	if (err != (c->valid ? 0 : -EINVAL))
		result(name, false, "the INIT write gave %s, expected %s",
		       err ? strerror(-err) : "success",
		       c->valid ? "success" : "EINVAL");
	else if (wait_count(c->valid, fd, req) != c->valid)
		result(name, false, "%s", c->valid ? "nothing registered" :
		       "an MTD registered");
	else
		result(name, true, NULL);
	close(fd);
	if (wait_count(false, -1, req))
		result(name, false, "MTD still listed after the peer closed");
}

const char *case_device_table(void)
{
	static struct rp_request req;
	size_t i;

	if (mtd_count() != 0)
		return "other MTDs are registered";
	for (i = 0; i < mdc_count; i++)
		run_device_case(&mdc_cases[i], &req);
	return NULL;
}
