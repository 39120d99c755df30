// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * muse-peer replies (io, timeout), on the registered "badpeer" NAND (4-bit
 * ECC per 512 bytes): well-formed and malformed replies to the requests a
 * forked MTD user causes.  A malformed reply fails the peer's write with
 * the documented errno and the user's I/O with EIO.  The error values of
 * headers and soft_errors are the shared table tests/lib/reply-cases.c,
 * which the unit tests run through libmuse; bit-flip figures beyond the
 * ECC are clamped.
 * Then the device side, the ECC statistics, a killed user, a close with a
 * request in flight and the per-connection request timeout.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <mtd/mtd-abi.h>

#include "badpeer.h"
#include "cases.h"
#include "mtduser.h"
#include "reply-cases.h"

/* The badpeer NAND's ECC: 4 bits per 512-byte step, 4 steps a page. */
#define ECC_STRENGTH	4u
#define ECC_STEPS	(PAGE / 512u)

/* Register the reply-case NAND; returns the fd or -1. */
static int start_server(struct rp_request *req, const char *name)
{
	static const char *const keys[] = {
		"NAME=" BADPEER_NAME, GOOD_GEOMETRY, "OOBSIZE=64",
		"OOBAVAIL=38", "ECCSTRENGTH=4", "ECCSTEP=512", NULL,
	};
	int fd = rp_connect(badpeer_device, req, keys);

	if (fd < 0) {
		result(name, false, "valid INIT not accepted: %s",
		       strerror(-fd));
		return -1;
	}
	if (!wait_mtd(BADPEER_NAME, true)) {
		result(name, false, "valid INIT accepted, no MTD registered");
		close(fd);
		return -1;
	}
	return fd;
}

/* How a reply case breaks its reply. */
enum breakage {
	GOOD,			/* a valid reply */
	WRONG_UNIQUE,		/* unknown unique, then a valid reply */
	ANSWERED_TWICE,		/* a valid reply, then the same again */
	LEN_LIES,		/* header len != bytes written */
	TRUNCATED,		/* 8 bytes only, then a valid reply */
	DATALEN_LONG,		/* datalen (and data) beyond what was asked */
	DATALEN_SHORT,		/* one byte short */
	OOBLEN_WRONG,		/* OOB nobody asked for */
	HEADER_ERROR,		/* header error = value, no body */
	ERROR_WITH_BODY,	/* header error plus a body */
	SOFT_ERROR,		/* READ/WRITE soft_error = value */
	ISBAD_RESULT,		/* ISBAD result = value */
	BODY_ON_EMPTY,		/* a body where none belongs */
};

struct reply_case {
	const char *name;
	enum mtd_action action;
	uint32_t opcode;	/* what the action must send */
	enum breakage breakage;
	int32_t value;		/* of HEADER_ERROR, SOFT_ERROR, ISBAD_RESULT */
	int write_errno;	/* expected from our malformed write */
	int user_errno;		/* expected from the MTD user */
};

static const struct reply_case reply_cases[] = {
	{ "reply-valid-read", DO_READ, MUSE_READ, GOOD, 0, 0, 0 },
	{ "reply-valid-write", DO_WRITE, MUSE_WRITE, GOOD, 0, 0, 0 },
	{ "reply-valid-erase", DO_ERASE, MUSE_ERASE, GOOD, 0, 0, 0 },
	{ "reply-valid-isbad", DO_ISBAD, MUSE_ISBAD, GOOD, 0, 0, 0 },
	{ "reply-wrong-unique", DO_READ, MUSE_READ, WRONG_UNIQUE, 0, ENOENT, 0 },
	{ "reply-answered-twice", DO_READ, MUSE_READ, ANSWERED_TWICE, 0,
	  ENOENT, 0 },
	{ "reply-truncated-header", DO_READ, MUSE_READ, TRUNCATED, 0, EINVAL, 0 },
	{ "reply-len-lies", DO_READ, MUSE_READ, LEN_LIES, 0, EINVAL, EIO },
	{ "reply-datalen-oversized", DO_READ, MUSE_READ, DATALEN_LONG, 0,
	  EINVAL, EIO },
	{ "reply-datalen-short", DO_READ, MUSE_READ, DATALEN_SHORT, 0,
	  EINVAL, EIO },
	{ "reply-ooblen-unasked", DO_READ, MUSE_READ, OOBLEN_WRONG, 0,
	  EINVAL, EIO },
	{ "reply-error-with-body", DO_READ, MUSE_READ, ERROR_WITH_BODY, 0,
	  EINVAL, EIO },
	{ "reply-write-datalen-short", DO_WRITE, MUSE_WRITE, DATALEN_SHORT, 0,
	  EINVAL, EIO },
	{ "reply-erase-with-body", DO_ERASE, MUSE_ERASE, BODY_ON_EMPTY, 0,
	  EINVAL, EIO },
	{ "reply-isbad-result-2", DO_ISBAD, MUSE_ISBAD, ISBAD_RESULT, 2,
	  EINVAL, EIO },
	{ "reply-isbad-result-max", DO_ISBAD, MUSE_ISBAD, ISBAD_RESULT, -1,
	  EINVAL, EIO },
};

/* Send the broken reply of a case; returns the errno of the write. */
static int send_broken(int fd, const struct reply_case *c,
		       const struct rp_request *req)
{
	static unsigned char data[2 * PAGE];
	struct muse_read_in rin;
	struct muse_read_out rout = { 0 };
	struct muse_write_out wout = { 0 };
	struct muse_isbad_out bout = { .result = (uint32_t)c->value };
	uint64_t unique = req->ih.unique;
	uint32_t hdr = sizeof(struct fuse_out_header);
	uint64_t pad = 0;
	int err;

	memcpy(&rin, req->body, sizeof(rin));
	rout.datalen = rin.len;
	/* WRITE requests start like READ ones: addr, len. */
	wout.datalen = rin.len;
	memset(data, 0xa5, sizeof(data));

	switch (c->breakage) {
	case GOOD:
		return -rp_answer_pattern(fd, req, 0xa5);
	case WRONG_UNIQUE:
		err = rp_reply(fd, 0, unique + 1000, &rout, sizeof(rout),
			       data, rin.len);
		rp_answer_pattern(fd, req, 0xa5);
		return -err;
	case ANSWERED_TWICE:
		rp_answer_pattern(fd, req, 0xa5);
		return -rp_reply(fd, 0, unique, &rout, sizeof(rout), data,
				 rin.len);
	case TRUNCATED:
		err = write(fd, &pad, sizeof(pad)) < 0 ? errno : 0;
		rp_answer_pattern(fd, req, 0xa5);
		return err;
	case LEN_LIES:
		return -rp_send_reply(fd, hdr + sizeof(rout) + rin.len + 1, 0,
				      unique, &rout, sizeof(rout), data,
				      rin.len);
	case DATALEN_LONG:
		rout.datalen = rin.len + PAGE;
		return -rp_reply(fd, 0, unique, &rout, sizeof(rout),
				 data, rout.datalen);
	case DATALEN_SHORT:
		if (c->opcode == MUSE_WRITE) {
			wout.datalen--;
			return -rp_reply(fd, 0, unique, &wout, sizeof(wout),
					 NULL, 0);
		}
		rout.datalen = rin.len - 1;
		return -rp_reply(fd, 0, unique, &rout, sizeof(rout),
				 data, rout.datalen);
	case OOBLEN_WRONG:
		rout.ooblen = 8;
		return -rp_reply(fd, 0, unique, &rout, sizeof(rout),
				 data, rin.len + 8);
	case HEADER_ERROR:
		return -rp_reply(fd, c->value, unique, NULL, 0, NULL, 0);
	case ERROR_WITH_BODY:
		return -rp_reply(fd, -EIO, unique, &rout, sizeof(rout),
				 data, rin.len);
	case SOFT_ERROR:
		if (c->opcode == MUSE_WRITE) {
			wout.soft_error = (uint32_t)c->value;
			return -rp_reply(fd, 0, unique, &wout, sizeof(wout),
					 NULL, 0);
		}
		rout.soft_error = (uint32_t)c->value;
		return -rp_reply(fd, 0, unique, &rout, sizeof(rout),
				 data, rin.len);
	case ISBAD_RESULT:
		return -rp_reply(fd, 0, unique, &bout, sizeof(bout), NULL, 0);
	case BODY_ON_EMPTY:
		return -rp_reply(fd, 0, unique, &pad, sizeof(pad), NULL, 0);
	}
	return EINVAL;
}

static const char *errname(int err)
{
	return err < 0 ? "killed/hung" : err ? strerror(err) : "success";
}

static void run_reply_case(int fd, const struct reply_case *c,
			   struct rp_request *req)
{
	pid_t pid = start_user(BADPEER_NAME, c->action, PAGE);
	int err, user;

	err = rp_read_request(fd, req, WAIT_MS);
	if (err) {
		result(c->name, false, "no request from the MTD user: %s",
		       strerror(-err));
		finish_user(fd, pid, req);
		return;
	}
	if (req->ih.opcode != c->opcode) {
		result(c->name, false, "got opcode %u, expected %u",
		       req->ih.opcode, c->opcode);
		rp_answer_pattern(fd, req, 0xa5);
		finish_user(fd, pid, req);
		return;
	}
	err = send_broken(fd, c, req);
	user = finish_user(fd, pid, req);
	if (err != c->write_errno)
		result(c->name, false, "write returned %s, expected %s",
		       errname(err), errname(c->write_errno));
	else if (user != c->user_errno)
		result(c->name, false, "MTD user got %s, expected %s",
		       errname(user), errname(c->user_errno));
	else
		result(c->name, true, NULL);
}

/* A case of the shared table, as the reply to what its opcode's user asks. */
static void run_shared_case(int fd, const struct mrc_case *c,
			    struct rp_request *req)
{
	static const enum mtd_action actions[] = {
		[MUSE_READ - MUSE_INIT] = DO_READ,
		[MUSE_WRITE - MUSE_INIT] = DO_WRITE,
		[MUSE_ERASE - MUSE_INIT] = DO_ERASE,
		[MUSE_ISBAD - MUSE_INIT] = DO_ISBAD,
	};
	char name[96];
	const struct reply_case rc = {
		.name = name, .action = actions[c->opcode - MUSE_INIT],
		.opcode = c->opcode,
		.breakage = c->field == MRC_HEADER ? HEADER_ERROR : SOFT_ERROR,
		.value = c->value, .write_errno = c->valid ? 0 : EINVAL,
		.user_errno = mrc_user_errno(c),
	};

	snprintf(name, sizeof(name), "reply-%s", c->why);
	run_reply_case(fd, &rc, req);
}

/* The READ request of a one-page pread must look as the spec says. */
static void check_read_request(int fd, struct rp_request *req)
{
	const char *name = "request-read-layout";
	pid_t pid = start_user(BADPEER_NAME, DO_READ, PAGE);
	struct muse_read_in rin;
	int err = rp_read_request(fd, req, WAIT_MS);

	if (err) {
		result(name, false, "no request: %s", strerror(-err));
		finish_user(fd, pid, req);
		return;
	}
	memcpy(&rin, req->body, sizeof(rin));
	if (req->ih.opcode != MUSE_READ || req->bodylen != sizeof(rin) ||
	    req->ih.nodeid != FUSE_ROOT_ID || rin.addr != 0 ||
	    rin.len != PAGE || rin.flags != MUSE_IO_OOB_PLACE ||
	    rin.padding || rin.ooboffs || rin.ooblen)
		result(name, false, "opcode %u body %zu addr %llu len %llu flags 0x%x ooblen %u",
		       req->ih.opcode, req->bodylen,
		       (unsigned long long)rin.addr,
		       (unsigned long long)rin.len, rin.flags, rin.ooblen);
	else
		result(name, true, NULL);
	rp_answer_pattern(fd, req, 0xa5);
	finish_user(fd, pid, req);
}

/* The connection's sysfs files are root's only, as fusectl's. */
static void check_sysfs_modes(void)
{
	static const struct {
		const char *file;
		mode_t mode;
	} files[] = {
		{ "name", 0400 }, { "pid", 0400 }, { "waiting", 0400 },
		{ "kernel_erases", 0400 }, { "abort", 0200 },
		{ "request_timeout", 0600 },
	};
	char dir[256], path[320];
	struct stat st;
	size_t i;

	if (rp_conn_dir(BADPEER_NAME, getpid(), dir, sizeof(dir))) {
		result("sysfs-modes", false, "no connection directory: %s",
		       strerror(errno));
		return;
	}
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i].file);
		if (stat(path, &st) || (st.st_mode & 07777) != files[i].mode) {
			result("sysfs-modes", false, "%s: mode %o, expected %o",
			       path, (unsigned int)(st.st_mode & 07777),
			       (unsigned int)files[i].mode);
			return;
		}
	}
	result("sysfs-modes", true, NULL);
}

/* Device-side semantics that need no MTD user. */
static void check_device_side(int fd, struct rp_request *req)
{
	int flags = fcntl(fd, F_GETFL);
	char small[8];
	pid_t pid;
	int err;

	fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	errno = 0;
	result("read-nonblock-eagain",
	       read(fd, req->buf, sizeof(req->buf)) < 0 && errno == EAGAIN,
	       "read gave %s", strerror(errno));
	fcntl(fd, F_SETFL, flags);

	/* A buffer too small fails with EMSGSIZE and keeps the request. */
	pid = start_user(BADPEER_NAME, DO_READ, PAGE);
	err = rp_wait_readable(fd, WAIT_MS);
	errno = 0;
	result("read-small-buffer-emsgsize",
	       !err && read(fd, small, sizeof(small)) < 0 && errno == EMSGSIZE,
	       "poll %d, read gave %s", err, strerror(errno));
	errno = 0;
	result("read-fault-efault",
	       read(fd, (void *)4096, sizeof(req->buf)) < 0 && errno == EFAULT,
	       "read into an unmapped buffer gave %s", strerror(errno));
	err = rp_read_request(fd, req, WAIT_MS);
	result("request-kept-after-emsgsize-and-efault",
	       !err && req->ih.opcode == MUSE_READ, "%s", strerror(-err));
	if (!err)
		rp_answer_pattern(fd, req, 0xa5);
	result("user-served-after-emsgsize", finish_user(fd, pid, req) == 0,
	       NULL);

	errno = 0;
	result("write-short-einval",
	       write(fd, small, 4) < 0 && errno == EINVAL, "write gave %s",
	       strerror(errno));
}

/* Bit flips reported in a READ reply reach ECCGETSTATS (protocol 4.3). */
static void check_ecc_stats(int fd, struct rp_request *req)
{
	static unsigned char data[PAGE];
	struct mtd_ecc_stats before, after;
	struct muse_read_out rout = { .datalen = PAGE };
	char path[64];
	pid_t pid;
	int mfd, user;

	snprintf(path, sizeof(path), "/dev/mtd%d", mtd_index(BADPEER_NAME));
	mfd = open(path, O_RDONLY);
	if (mfd < 0 || ioctl(mfd, ECCGETSTATS, &before) < 0) {
		result("ecc-stats", false, "%s: %s", path, strerror(errno));
		if (mfd >= 0)
			close(mfd);
		return;
	}
	memset(data, 0xa5, sizeof(data));

	pid = start_user(BADPEER_NAME, DO_READ, PAGE);
	if (rp_read_request(fd, req, WAIT_MS) == 0) {
		rout.soft_error = (uint32_t)-EUCLEAN;
		rout.max_bitflips = 3;
		rout.corrected = 5;
		rp_reply(fd, 0, req->ih.unique, &rout, sizeof(rout), data, PAGE);
	}
	user = finish_user(fd, pid, req);

	pid = start_user(BADPEER_NAME, DO_READ, PAGE);
	if (rp_read_request(fd, req, WAIT_MS) == 0) {
		rout.soft_error = (uint32_t)-EBADMSG;
		rout.max_bitflips = 0;
		rout.corrected = 0;
		rout.failed = 0;	/* counts as one failed step */
		rp_reply(fd, 0, req->ih.unique, &rout, sizeof(rout), data, PAGE);
	}
	/* mtdchar hides EUCLEAN/EBADMSG: both reads deliver the data. */
	user |= finish_user(fd, pid, req);

	ioctl(mfd, ECCGETSTATS, &after);
	close(mfd);
	result("ecc-stats-corrected-and-failed",
	       !user && after.corrected - before.corrected == 5 &&
	       after.failed - before.failed == 1,
	       "user %d, corrected +%u, failed +%u", user,
	       after.corrected - before.corrected,
	       after.failed - before.failed);
}

/* Closing the server with a request in flight fails it at once. */
static void check_close_in_flight(int fd, struct rp_request *req)
{
	pid_t pid = start_user(BADPEER_NAME, DO_READ, PAGE);
	int err = rp_read_request(fd, req, WAIT_MS);
	int status;

	close(fd);
	if (err) {
		result("close-fails-in-flight", false, "no request: %s",
		       strerror(-err));
		waitpid(pid, &status, 0);
		return;
	}
	waitpid(pid, &status, 0);
	result("close-fails-in-flight",
	       WIFEXITED(status) && WEXITSTATUS(status) == EIO,
	       "MTD user status 0x%x", status);
	result("mtd-gone-after-close", !wait_mtd(BADPEER_NAME, false), NULL);
}

/*
 * Bit-flip figures beyond what the ECC can do are clamped, not passed on:
 * max_bitflips to the strength, corrected to strength x steps of the
 * request, failed to its steps.  One case: a DO_MEMREAD user, the reply
 * it gets, and what MEMREAD and ECCGETSTATS must then say.
 */
struct clamp_case {
	const char *name;
	uint32_t soft_error;
	uint32_t max_bitflips, corrected, failed;
	int user_errno;
	uint32_t report_max_bitflips;
	uint32_t stats_corrected, stats_failed;	/* ECCGETSTATS deltas */
};

static const struct clamp_case clamp_cases[] = {
	{ "clamp-max-bitflips-eiocbqueued", (uint32_t)-EUCLEAN, 0xfffffdef, 1,
	  0, EUCLEAN, ECC_STRENGTH, 1, 0 },
	{ "clamp-max-bitflips-above-strength", (uint32_t)-EUCLEAN, 9, 9, 0,
	  EUCLEAN, ECC_STRENGTH, 9, 0 },
	/* MEMREAD reports EUCLEAN for any correction, even below threshold. */
	{ "clamp-corrected-above-steps", (uint32_t)-EUCLEAN, 2, 1000, 0,
	  EUCLEAN, 2, ECC_STRENGTH * ECC_STEPS, 0 },
	{ "clamp-failed-above-steps", (uint32_t)-EBADMSG, 0, 0, 1000, EBADMSG,
	  0, 0, ECC_STEPS },
	/* A bare -EUCLEAN counts as ECCSTRENGTH flips, not the threshold. */
	{ "clamp-bare-euclean-counts-strength", (uint32_t)-EUCLEAN, 0, 0, 0,
	  EUCLEAN, ECC_STRENGTH, 1, 0 },
	{ "clamp-failed-max", (uint32_t)-EBADMSG, 0, 0xffffffff, 0xffffffff,
	  EBADMSG, 0, ECC_STRENGTH * ECC_STEPS, ECC_STEPS },
};

static bool eccstats(struct mtd_ecc_stats *st)
{
	char path[64];
	int fd, ret;

	snprintf(path, sizeof(path), "/dev/mtd%d", mtd_index(BADPEER_NAME));
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return false;
	ret = ioctl(fd, ECCGETSTATS, st);
	close(fd);
	return ret == 0;
}

static void run_clamp_case(int fd, const struct clamp_case *c,
			   struct rp_request *req)
{
	static unsigned char data[PAGE];
	struct muse_read_out rout = {
		.datalen = PAGE, .soft_error = c->soft_error,
		.max_bitflips = c->max_bitflips, .corrected = c->corrected,
		.failed = c->failed,
	};
	struct mtd_ecc_stats before, after;
	int err = -EIO, user;
	pid_t pid;

	if (!eccstats(&before)) {
		result(c->name, false, "ECCGETSTATS: %s", strerror(errno));
		return;
	}
	memset(data, 0xa5, sizeof(data));
	pid = start_user(BADPEER_NAME, DO_MEMREAD, PAGE);
	if (rp_read_request(fd, req, WAIT_MS) == 0)
		err = rp_reply(fd, 0, req->ih.unique, &rout, sizeof(rout),
			       data, PAGE);
	user = finish_user(fd, pid, req);
	if (!eccstats(&after)) {
		result(c->name, false, "ECCGETSTATS: %s", strerror(errno));
		return;
	}
	after.corrected -= before.corrected;
	after.failed -= before.failed;
	if (err)
		result(c->name, false, "write returned %s, expected success",
		       strerror(-err));
	else if (user != c->user_errno)
		result(c->name, false, "MEMREAD gave %s, expected %s",
		       errname(user), errname(c->user_errno));
	else if (user_report->max_bitflips != c->report_max_bitflips ||
		 after.corrected != c->stats_corrected ||
		 after.failed != c->stats_failed)
		result(c->name, false,
		       "max_bitflips %u corrected +%u failed +%u, expected %u +%u +%u",
		       user_report->max_bitflips, after.corrected,
		       after.failed, c->report_max_bitflips,
		       c->stats_corrected, c->stats_failed);
	else
		result(c->name, true, NULL);
}

/*
 * A fatal signal to an MTD user fails no request: a queued one is still
 * read by the server (only SYNC may be withdrawn) and a sent one's reply
 * is still taken; the user ends once it is answered.
 */
static void check_killed_user(int fd, struct rp_request *req)
{
	pid_t pid;
	int err, user;

	/*
	 * The kill takes effect in the user's own time: give it a second to
	 * withdraw the request (and exit) before looking.
	 */
	pid = start_user(BADPEER_NAME, DO_READ, PAGE);
	err = rp_wait_readable(fd, WAIT_MS);
	kill(pid, SIGKILL);
	if (!err && user_exits_within(pid, 1000))
		err = -ECHILD;
	if (!err)
		err = rp_read_request(fd, req, 1000);
	result("killed-user-keeps-queued",
	       !err && req->ih.opcode == MUSE_READ,
	       "after the kill the queued READ is gone: %s",
	       err == -ECHILD ? "the user exited without its answer" :
	       strerror(-err));
	if (!err)
		err = rp_answer_pattern(fd, req, 0xa5);
	user = finish_user(fd, pid, req);
	result("killed-user-ends-after-reply", !err && user == -1,
	       "reply %s, user %s", strerror(-err), errname(user));

	pid = start_user(BADPEER_NAME, DO_READ, PAGE);
	err = rp_read_request(fd, req, WAIT_MS);
	kill(pid, SIGKILL);
	if (!err && user_exits_within(pid, 1000))
		err = -ECHILD;
	if (!err)
		err = rp_answer_pattern(fd, req, 0xa5);
	finish_user(fd, pid, req);
	result("killed-user-keeps-sent", !err,
	       "the reply after the kill gave %s",
	       err == -ECHILD ? "nothing: the user exited without its answer" :
	       strerror(-err));
}

/*
 * A request left unanswered past the connection's own request_timeout
 * (set after the request was queued) aborts that connection only: the
 * MTD user gets EIO, the server's reads ENODEV.
 */
static void check_request_timeout(struct rp_request *req)
{
	const char *name = "request-timeout-aborts";
	struct timespec start, end;
	char dir[256];
	int fd, status, err;
	pid_t pid;

	fd = start_server(req, name);
	if (fd < 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &start);
	pid = start_user(BADPEER_NAME, DO_READ, PAGE);
	err = rp_read_request(fd, req, WAIT_MS);
	if (err || rp_conn_dir(BADPEER_NAME, getpid(), dir, sizeof(dir)) ||
	    rp_conn_write(dir, "request_timeout", "1")) {
		result(name, false, "request %s; cannot set request_timeout of this connection in /sys/fs/muse/connections: %s",
		       strerror(-err), strerror(errno));
		close(fd);
		waitpid(pid, &status, 0);
		return;
	}
	/* Not answered: the module must give up after about a second. */
	waitpid(pid, &status, 0);
	clock_gettime(CLOCK_MONOTONIC, &end);
	result(name, WIFEXITED(status) && WEXITSTATUS(status) == EIO &&
	       end.tv_sec - start.tv_sec <= 5,
	       "MTD user status 0x%x after %ld s", status,
	       (long)(end.tv_sec - start.tv_sec));
	result("read-enodev-after-timeout", connection_dead(fd), NULL);
	close(fd);
	result("mtd-gone-after-timeout-close", !wait_mtd(BADPEER_NAME, false),
	       NULL);
}

const char *case_replies_io(void)
{
	static struct rp_request request;
	struct rp_request *req = &request;
	size_t i;
	int fd = start_server(req, "reply-setup");

	if (fd < 0)
		return NULL;
	check_read_request(fd, req);
	check_device_side(fd, req);
	check_sysfs_modes();
	for (i = 0; i < sizeof(reply_cases) / sizeof(reply_cases[0]); i++)
		run_reply_case(fd, &reply_cases[i], req);
	for (i = 0; i < mrc_count; i++)
		run_shared_case(fd, &mrc_cases[i], req);
	check_ecc_stats(fd, req);
	for (i = 0; i < sizeof(clamp_cases) / sizeof(clamp_cases[0]); i++)
		run_clamp_case(fd, &clamp_cases[i], req);
	check_killed_user(fd, req);
	check_close_in_flight(fd, req);
	return NULL;
}

const char *case_replies_timeout(void)
{
	static struct rp_request req;

	check_request_timeout(&req);
	return NULL;
}
