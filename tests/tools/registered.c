// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * muse-peer lifetime registered: MUSE_EXT_REGISTERED from the module's side
 * (doc/protocol.md section 10), with a peer that reads the notification
 * byte by byte.
 *
 * - registered-success: a NAND with two partitions (one name with a
 *   space): the notification says error 0, the connection id of the
 *   connection's sysfs directory, the whole device's index as /proc/mtd
 *   has it (or -1 when only partitions are registered), and each
 *   partition's index, offset, size and name; a reply with a body is
 *   refused with EINVAL and the MTD stays.
 * - registered-failure-waits: an slc partition on an MLC NAND, which the
 *   MTD core refuses: the notification says the errno with index -1 and
 *   no partitions, and the connection stays alive while the peer does not
 *   answer it; once answered, the connection ends.
 * - registered-not-accepted: a peer that does not accept the extension
 *   never sees the opcode.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "mtduser.h"
#include "cases.h"

static struct rp_request req;

#define EVERYTHING_BUT_REGISTERED (MUSE_EXT_ALL & ~MUSE_EXT_REGISTERED)

/*
 * Open, answer INIT with @keys accepting @flags, then serve (pattern
 * 0xff) until a MUSE_REGISTERED arrives, which is left in req unanswered.
 * The fd, or -1 with the case failed.
 */
static int until_registered(const char *casename, const char *const *keys,
			    uint32_t flags)
{
	struct muse_init_out out = RP_GOOD_INIT_OUT;
	char why[160];
	int fd, err, ms;

	out.flags = flags;
	fd = rp_open_init("/dev/muse", &req, why, sizeof(why));
	if (fd < 0) {
		result(casename, false, "%s", why);
		return -1;
	}
	err = rp_reply_init(fd, &req, &out, sizeof(out), keys);
	if (err) {
		result(casename, false, "INIT reply: %s", strerror(-err));
		close(fd);
		return -1;
	}
	for (ms = 0; ms < WAIT_MS; ms += 100) {
		err = rp_read_request(fd, &req, 100);
		if (!err && req.ih.opcode == MUSE_REGISTERED)
			return fd;
		if (!err)
			rp_answer_pattern(fd, &req, 0xff);
		else if (err != -ETIMEDOUT)
			break;
	}
	result(casename, false, "no MUSE_REGISTERED (%s)",
	       err ? strerror(-err) : "timed out");
	close(fd);
	return -1;
}

/* The id of the connection serving @name for this process, or -1. */
static long conn_id(const char *name)
{
	char dir[256];
	const char *slash;

	if (rp_conn_dir(name, getpid(), dir, sizeof(dir)))
		return -1;
	slash = strrchr(dir, '/');
	return slash ? strtol(slash + 1, NULL, 10) : -1;
}

/* Whether part @i of the body is @name at @offset, @size, as /proc/mtd. */
static bool part_is(const struct rp_request *r, unsigned int i,
		    const char *name, uint64_t offset, uint64_t size)
{
	struct muse_registered_part p;
	char got[MUSE_NAME_MAX + 1] = { 0 };

	memcpy(&p, r->body + sizeof(struct muse_registered_in) +
		   i * sizeof(p), sizeof(p));
	size_t n;

	memcpy(got, p.name, sizeof(p.name));
	/* NUL-padded: nothing but NULs after the name. */
	for (n = strlen(got); n < sizeof(p.name) && !p.name[n]; n++)
		;
	if (p.index == mtd_index(name) && p.offset == offset &&
	    p.size == size && !strcmp(got, name) && n == sizeof(p.name))
		return true;
	fprintf(stderr, "part %u: index %d name '%s' offset %llu size %llu; want index %d '%s' %llu %llu\n",
		i, p.index, got, (unsigned long long)p.offset,
		(unsigned long long)p.size, mtd_index(name), name,
		(unsigned long long)offset, (unsigned long long)size);
	return false;
}

static void registered_success(void)
{
	static const char *const keys[] = {
		"NAME=regok", "TYPE=4", "FLAGS=1024", "SIZE=1048576",
		"WRITESIZE=2048", "ERASESIZE=131072", "OOBSIZE=64",
		"OOBAVAIL=38", "PARTSCMDLINE=256K(regok-a),-(regok b)", NULL,
	};
	const char *casename = "registered-success";
	struct muse_registered_in in;
	const uint64_t junk = 0;
	int fd, err;

	fd = until_registered(casename, keys, MUSE_EXT_ALL);
	if (fd < 0)
		return;
	memcpy(&in, req.body, sizeof(in));
	result(casename, req.bodylen == sizeof(in) +
	       2 * sizeof(struct muse_registered_part) && in.error == 0 &&
	       in.nr_parts == 2 && in.conn_id == conn_id("regok") &&
	       in.index == mtd_index("regok") &&
	       part_is(&req, 0, "regok-a", 0, 256 << 10) &&
	       part_is(&req, 1, "regok b", 256 << 10, 768 << 10),
	       "body of %zu bytes: error %d conn_id %u (sysfs %ld) index %d (/proc/mtd %d) nr_parts %u",
	       req.bodylen, in.error, in.conn_id, conn_id("regok"), in.index,
	       mtd_index("regok"), in.nr_parts);
	/* The answer acknowledges, nothing more: a body is malformed. */
	err = rp_reply(fd, 0, req.ih.unique, &junk, sizeof(junk), NULL, 0);
	result("registered-reply-with-body-refused", err == -EINVAL,
	       "the write gave %s", strerror(-err));
	result("registered-mtd-stays", mtd_exists("regok b"),
	       "the partition went with the refused reply");
	close(fd);
	result("registered-mtd-gone", !wait_mtd("regok b", false), NULL);
}

static void registered_failure_waits(void)
{
	static const char *const keys[] = {
		"NAME=regbad", "TYPE=8", "FLAGS=1024", "SIZE=1048576",
		"WRITESIZE=2048", "ERASESIZE=131072", "OOBSIZE=64",
		"OOBAVAIL=38", "PARTSCMDLINE=256K(regbad-1),256K(regbad-2)slc,-(regbad-3)",
		NULL,
	};
	const char *casename = "registered-failure-waits";
	struct muse_registered_in in;
	int fd, err, ms;

	fd = until_registered(casename, keys, MUSE_EXT_ALL);
	if (fd < 0)
		return;
	memcpy(&in, req.body, sizeof(in));
	result("registered-failure-body", req.bodylen == sizeof(in) &&
	       in.error == -EINVAL && in.index == -1 && !in.nr_parts &&
	       in.conn_id == conn_id("regbad"),
	       "body of %zu bytes: error %d index %d nr_parts %u conn_id %u (sysfs %ld)",
	       req.bodylen, in.error, in.index, in.nr_parts, in.conn_id,
	       conn_id("regbad"));
	/* Unanswered, the failure keeps the connection: nothing to read. */
	err = rp_wait_readable(fd, 1000);
	result(casename, err == -ETIMEDOUT,
	       "before the answer the connection gave %s", strerror(-err));
	err = rp_reply(fd, 0, req.ih.unique, NULL, 0, NULL, 0);
	result("registered-failure-answered", !err, "the write gave %s",
	       strerror(-err));
	for (ms = 0, err = 0; ms < WAIT_MS && err != -ENODEV; ms += 100)
		err = rp_read_request(fd, &req, 100);
	result("registered-failure-then-ends", err == -ENODEV,
	       "the connection lived on: %s", strerror(-err));
	result("registered-failure-nothing-registered",
	       !mtd_exists("regbad-1") && !mtd_exists("regbad"), NULL);
	close(fd);
}

static void registered_not_accepted(void)
{
	static const char *const keys[] = {
		"NAME=regnot", "TYPE=4", "FLAGS=1024", "SIZE=1048576",
		"WRITESIZE=2048", "ERASESIZE=131072", NULL,
	};
	struct muse_init_out out = RP_GOOD_INIT_OUT;
	const char *casename = "registered-not-accepted";
	bool seen = false;
	char why[160];
	int fd, err, ms;

	fd = rp_open_init("/dev/muse", &req, why, sizeof(why));
	if (fd < 0) {
		result(casename, false, "%s", why);
		return;
	}
	out.flags = EVERYTHING_BUT_REGISTERED;
	err = rp_reply_init(fd, &req, &out, sizeof(out), keys);
	/* Registered, then a second more for a notification to come. */
	for (ms = 0; !err && ms < WAIT_MS && (ms < 1000 || !mtd_exists("regnot"));
	     ms += 100) {
		if (rp_read_request(fd, &req, 100))
			continue;
		seen |= req.ih.opcode == MUSE_REGISTERED;
		rp_answer_pattern(fd, &req, 0xff);
	}
	result(casename, !err && mtd_exists("regnot") && !seen,
	       "INIT %s, registered %d, MUSE_REGISTERED seen %d",
	       strerror(-err), mtd_exists("regnot"), seen);
	close(fd);
	wait_mtd("regnot", false);
}

const char *case_registered(void)
{
	registered_success();
	registered_failure_waits();
	registered_not_accepted();
	return NULL;
}
