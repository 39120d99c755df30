// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * muse-badpeer: a raw /dev/muse peer, written against the protocol header
 * only (no libmuse), that checks how the kernel module treats a server
 * that breaks the protocol: malformed INIT replies must be refused with
 * EINVAL and register nothing, malformed I/O replies must fail the write
 * with the documented errno and the MTD user's I/O with EIO, and nothing
 * may hang.  One line per case, PASS or FAIL; the exit status is non-zero
 * when any case failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/fuse.h>
#include <mtd/mtd-abi.h>

#include <muse/muse_kernel.h>

/* The small NAND every reply case serves. */
#define PAGE		2048u
#define BLOCK		(64u * PAGE)
#define OOB		64u
#define OOBAVAIL	38u
#define DEVSIZE		(8ull * BLOCK)
#define BADPEER_NAME	"badpeer"

/* Largest request the kernel may send us (doc/protocol.md 5), with room. */
#define REQ_MAX		(1u << 21)
/* How long a case may wait for the kernel or the MTD user. */
#define WAIT_MS		10000

static const char *device = "/dev/muse";
static bool verbose;
static int failures;

static void result(const char *name, bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s %s", ok ? "PASS" : "FAIL", name);
	if (!ok && fmt) {
		printf(": ");
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
	}
	printf("\n");
	fflush(stdout);
	if (!ok)
		failures++;
}

static void note(const char *fmt, ...)
{
	va_list ap;

	if (!verbose)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

/* A request as read from the device. */
struct request {
	struct fuse_in_header ih;
	unsigned char *body;	/* points into buf, after the header */
	size_t bodylen;
	unsigned char buf[REQ_MAX];
};

static int wait_readable(int fd, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int ret = poll(&pfd, 1, ms);

	if (ret < 0)
		return -errno;
	if (!ret)
		return -ETIMEDOUT;
	return (pfd.revents & POLLIN) ? 0 : -ENODEV;
}

/* Read one request, waiting at most WAIT_MS; 0 or a negative errno. */
static int read_request(int fd, struct request *req)
{
	ssize_t n;
	int err = wait_readable(fd, WAIT_MS);

	if (err)
		return err;
	n = read(fd, req->buf, sizeof(req->buf));
	if (n < 0)
		return -errno;
	if ((size_t)n < sizeof(req->ih))
		return -EPROTO;
	memcpy(&req->ih, req->buf, sizeof(req->ih));
	if (req->ih.len != (size_t)n)
		return -EPROTO;
	req->body = req->buf + sizeof(req->ih);
	req->bodylen = n - sizeof(req->ih);
	note("request opcode %u unique %" PRIu64 " len %u\n",
	     req->ih.opcode, (uint64_t)req->ih.unique, req->ih.len);
	return 0;
}

/*
 * Write one reply: header fields as given (len as given, so that it can
 * lie), then the parts.  Returns 0 or the write's negative errno.
 */
static int send_reply(int fd, uint32_t len, int32_t error, uint64_t unique,
		      const void *p1, size_t l1, const void *p2, size_t l2)
{
	struct fuse_out_header oh = {
		.len = len, .error = error, .unique = unique,
	};
	struct iovec iov[3] = {
		{ &oh, sizeof(oh) },
		{ (void *)p1, l1 },
		{ (void *)p2, l2 },
	};

	if (writev(fd, iov, 3) < 0)
		return -errno;
	return 0;
}

/* A reply whose header length is right. */
static int reply(int fd, int32_t error, uint64_t unique,
		 const void *p1, size_t l1, const void *p2, size_t l2)
{
	return send_reply(fd, sizeof(struct fuse_out_header) + l1 + l2, error,
			  unique, p1, l1, p2, l2);
}

/* ---- INIT ---------------------------------------------------------- */

/* Build an info block from NULL-terminated strings. */
static size_t info_block(char *buf, size_t size, const char *const *keys)
{
	size_t len = 0;

	for (; *keys; keys++) {
		size_t klen = strlen(*keys) + 1;

		if (len + klen > size)
			abort();
		memcpy(buf + len, *keys, klen);
		len += klen;
	}
	return len;
}

static int open_and_read_init(struct request *req, const char *name)
{
	struct muse_init_in in;
	int fd = open(device, O_RDWR);
	int err;

	if (fd < 0) {
		result(name, false, "open %s: %s", device, strerror(errno));
		return -1;
	}
	err = read_request(fd, req);
	if (err) {
		result(name, false, "reading INIT: %s", strerror(-err));
		close(fd);
		return -1;
	}
	if (req->ih.opcode != MUSE_INIT || req->bodylen != sizeof(in)) {
		result(name, false, "first request is opcode %u with %zu bytes, expected an extended INIT",
		       req->ih.opcode, req->bodylen);
		close(fd);
		return -1;
	}
	memcpy(&in, req->body, sizeof(in));
	if (in.fuse_major != MUSE_FUSE_KERNEL_VERSION ||
	    in.flags != MUSE_EXT_ALL || in.max_io < 4096 || in.max_io % 4096 ||
	    in.reserved[0] || in.reserved[1]) {
		result(name, false, "INIT offers major %u flags 0x%x max_io %u",
		       in.fuse_major, in.flags, in.max_io);
		close(fd);
		return -1;
	}
	return fd;
}

static bool mtd_exists(const char *name)
{
	char line[256], quoted[128];
	bool found = false;
	FILE *f = fopen("/proc/mtd", "r");

	if (!f)
		return false;
	snprintf(quoted, sizeof(quoted), "\"%s\"", name);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, quoted))
			found = true;
	fclose(f);
	return found;
}

/* The /dev/mtdN of the MTD called name, or -1. */
static int mtd_index(const char *name)
{
	char line[256], quoted[128];
	int idx = -1, n;
	FILE *f = fopen("/proc/mtd", "r");

	if (!f)
		return -1;
	snprintf(quoted, sizeof(quoted), "\"%s\"", name);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, quoted) && sscanf(line, "mtd%d:", &n) == 1)
			idx = n;
	fclose(f);
	return idx;
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

#define OUT(major, minor, max_read_, max_write_, flags_) {		\
	.fuse_major = (major), .fuse_minor = (minor),			\
	.max_read = (max_read_), .max_write = (max_write_),		\
	.flags = (flags_) }
#define GOOD_OUT OUT(7, 38, 65536, 65536, MUSE_EXT_ALL)
#define GOOD_GEOMETRY "TYPE=4", "FLAGS=1024", "SIZE=1048576", \
		      "WRITESIZE=2048", "ERASESIZE=131072"

static const struct init_case init_cases[] = {
	{ "init-valid-extended", GOOD_OUT, 32,
	  { "NAME=" BADPEER_NAME, GOOD_GEOMETRY, "OOBSIZE=64", "OOBAVAIL=38",
	    "ECCSTRENGTH=4", "ECCSTEP=512",
	    "PARTSCMDLINE=512K(" BADPEER_NAME "),-(" BADPEER_NAME "-rest)" },
	  .expect_registered = true },
	{ "init-valid-compat", OUT(7, 33, 4096, 4096, 0), 16,
	  { "NAME=" BADPEER_NAME, GOOD_GEOMETRY },
	  .expect_registered = true },
	{ "init-missing-name", GOOD_OUT, 32, { GOOD_GEOMETRY },
	  .expect_errno = EINVAL },
	{ "init-empty-name", GOOD_OUT, 32, { "NAME=", GOOD_GEOMETRY },
	  .expect_errno = EINVAL },
	{ "init-oversized-name", GOOD_OUT, 32,
	  { "NAME=" "0123456789012345678901234567890123456789"
	    "0123456789012345678901234", GOOD_GEOMETRY },
	  .expect_errno = EINVAL },
	{ "init-name-with-newline", GOOD_OUT, 32,
	  { "NAME=bad\npeer", GOOD_GEOMETRY }, .expect_errno = EINVAL },
	{ "init-name-not-terminated", GOOD_OUT, 32,
	  { GOOD_GEOMETRY, "NAME=" BADPEER_NAME }, .no_final_nul = true,
	  .expect_errno = EINVAL },
	{ "init-info-too-long", GOOD_OUT, 32,
	  { "NAME=" BADPEER_NAME, GOOD_GEOMETRY }, .oversized_info = true,
	  .expect_errno = EINVAL },
	{ "init-zero-size", GOOD_OUT, 32,
	  { "NAME=" BADPEER_NAME, "TYPE=4", "SIZE=0", "WRITESIZE=2048",
	    "ERASESIZE=131072" }, .expect_errno = EINVAL },
	{ "init-zero-writesize", GOOD_OUT, 32,
	  { "NAME=" BADPEER_NAME, "TYPE=4", "SIZE=1048576", "WRITESIZE=0",
	    "ERASESIZE=131072" }, .expect_errno = EINVAL },
	{ "init-zero-erasesize", GOOD_OUT, 32,
	  { "NAME=" BADPEER_NAME, "TYPE=4", "SIZE=1048576", "WRITESIZE=2048",
	    "ERASESIZE=0" }, .expect_errno = EINVAL },
	{ "init-writesize-not-dividing", GOOD_OUT, 32,
	  { "NAME=" BADPEER_NAME, "TYPE=4", "SIZE=1048576", "WRITESIZE=3000",
	    "ERASESIZE=131072" }, .expect_errno = EINVAL },
	{ "init-size-not-multiple", GOOD_OUT, 32,
	  { "NAME=" BADPEER_NAME, "TYPE=4", "SIZE=1000000", "WRITESIZE=2048",
	    "ERASESIZE=131072" }, .expect_errno = EINVAL },
	{ "init-size-overflow", GOOD_OUT, 32,
	  { "NAME=" BADPEER_NAME, "TYPE=1", "SIZE=18446744073709420544",
	    "WRITESIZE=1", "ERASESIZE=131072" }, .expect_errno = EINVAL },
	{ "init-bad-flags", GOOD_OUT, 32,
	  { "NAME=" BADPEER_NAME, GOOD_GEOMETRY, "FLAGS=1" },
	  .expect_errno = EINVAL },
	{ "init-type-absent", GOOD_OUT, 32,
	  { "NAME=" BADPEER_NAME, GOOD_GEOMETRY, "TYPE=0" },
	  .expect_errno = EINVAL },
	{ "init-type-ubivolume", GOOD_OUT, 32,
	  { "NAME=" BADPEER_NAME, GOOD_GEOMETRY, "TYPE=7" },
	  .expect_errno = EINVAL },
	{ "init-bad-major", OUT(8, 38, 65536, 65536, 0), 32,
	  { "NAME=" BADPEER_NAME, GOOD_GEOMETRY }, .expect_errno = EINVAL },
	{ "init-old-minor", OUT(7, 32, 65536, 65536, 0), 32,
	  { "NAME=" BADPEER_NAME, GOOD_GEOMETRY }, .expect_errno = EINVAL },
	{ "init-unit-above-max-read", OUT(7, 38, 1024, 65536, 0), 32,
	  { "NAME=" BADPEER_NAME, GOOD_GEOMETRY }, .expect_errno = EINVAL },
	{ "init-flags-not-offered", OUT(7, 38, 65536, 65536, 0x8), 32,
	  { "NAME=" BADPEER_NAME, GOOD_GEOMETRY }, .expect_errno = EINVAL },
	{ "init-oob-without-extension", OUT(7, 38, 65536, 65536, 0), 32,
	  { "NAME=" BADPEER_NAME, GOOD_GEOMETRY, "OOBSIZE=64" },
	  .expect_errno = EINVAL },
	{ "init-oobavail-above-oobsize", GOOD_OUT, 32,
	  { "NAME=" BADPEER_NAME, GOOD_GEOMETRY, "OOBSIZE=64",
	    "OOBAVAIL=65" }, .expect_errno = EINVAL },
	{ "init-threshold-above-strength", GOOD_OUT, 32,
	  { "NAME=" BADPEER_NAME, GOOD_GEOMETRY, "ECCSTRENGTH=4",
	    "ECCSTEP=512", "BITFLIPTHRESHOLD=5" }, .expect_errno = EINVAL },
	{ "init-ecc-step-not-dividing", GOOD_OUT, 32,
	  { "NAME=" BADPEER_NAME, GOOD_GEOMETRY, "ECCSTRENGTH=4",
	    "ECCSTEP=500" }, .expect_errno = EINVAL },
	{ "init-writebufsize-not-dividing", GOOD_OUT, 32,
	  { "NAME=" BADPEER_NAME, GOOD_GEOMETRY, "WRITEBUFSIZE=6144" },
	  .expect_errno = EINVAL },
	{ "init-subpage-shift-too-big", GOOD_OUT, 32,
	  { "NAME=" BADPEER_NAME, GOOD_GEOMETRY, "SUBPAGESHIFT=12" },
	  .expect_errno = EINVAL },
	{ "init-number-not-decimal", GOOD_OUT, 32,
	  { "NAME=" BADPEER_NAME, GOOD_GEOMETRY, "SIZE=1M" },
	  .expect_errno = EINVAL },
	{ "init-string-without-equals", GOOD_OUT, 32,
	  { "NAME=" BADPEER_NAME, GOOD_GEOMETRY, "JUNK" },
	  .expect_errno = EINVAL },
	{ "init-partition-too-big", GOOD_OUT, 32,
	  { "NAME=" BADPEER_NAME, GOOD_GEOMETRY, "PARTSCMDLINE=2M(big)" },
	  .expect_errno = EINVAL },
	{ "init-partition-unaligned", GOOD_OUT, 32,
	  { "NAME=" BADPEER_NAME, GOOD_GEOMETRY,
	    "PARTSCMDLINE=100K(odd),-(rest)" }, .expect_errno = EINVAL },
	{ "init-partition-rest-not-last", GOOD_OUT, 32,
	  { "NAME=" BADPEER_NAME, GOOD_GEOMETRY,
	    "PARTSCMDLINE=-(rest),128K(x)" }, .expect_errno = EINVAL },
	{ "init-partition-garbage", GOOD_OUT, 32,
	  { "NAME=" BADPEER_NAME, GOOD_GEOMETRY, "PARTSCMDLINE=128K(a)x" },
	  .expect_errno = EINVAL },
	{ "init-header-len-lies", GOOD_OUT, 32,
	  { "NAME=" BADPEER_NAME, GOOD_GEOMETRY }, .len_delta = 4,
	  .expect_errno = EINVAL },
	{ "init-body-truncated", GOOD_OUT, 32, { NULL }, .truncate_body = 8,
	  .expect_errno = EINVAL },
	{ "init-error-reply", GOOD_OUT, 32, { NULL }, .error = -EIO },
	{ "init-positive-error", GOOD_OUT, 32, { NULL }, .error = 5,
	  .expect_errno = EINVAL },
};

/* After a refused INIT the connection must be dead: reads fail ENODEV. */
static bool connection_dead(int fd)
{
	char buf[256];

	return read(fd, buf, sizeof(buf)) < 0 && errno == ENODEV;
}

static void run_init_case(const struct init_case *c, struct request *req)
{
	static char body[2 * MUSE_INIT_INFO_MAX];
	size_t len, info_len;
	int fd, err;

	fd = open_and_read_init(req, c->name);
	if (fd < 0)
		return;

	if (c->error) {
		err = reply(fd, c->error, req->ih.unique, NULL, 0, NULL, 0);
	} else {
		memcpy(body, &c->out, c->out_size);
		info_len = info_block(body + c->out_size,
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
		err = send_reply(fd, sizeof(struct fuse_out_header) + len +
				 c->len_delta, 0, req->ih.unique,
				 body, len, NULL, 0);
	}

	if (err != -c->expect_errno) {
		result(c->name, false, "write returned %s, expected %s",
		       err ? strerror(-err) : "success",
		       c->expect_errno ? strerror(c->expect_errno) : "success");
	} else if (mtd_exists(BADPEER_NAME) != c->expect_registered) {
		result(c->name, false, "MTD %s registered",
		       c->expect_registered ? "not" : "wrongly");
	} else if (!c->expect_registered && !connection_dead(fd)) {
		result(c->name, false, "connection still alive after a failed INIT");
	} else {
		result(c->name, true, NULL);
	}
	close(fd);
	if (c->expect_registered && mtd_exists(BADPEER_NAME))
		result(c->name, false, "MTD still there after close");
}

static void run_init_cases(struct request *req)
{
	size_t i;

	for (i = 0; i < sizeof(init_cases) / sizeof(init_cases[0]); i++)
		run_init_case(&init_cases[i], req);
}

/* ---- I/O replies ---------------------------------------------------- */

/* Register the reply-case NAND; returns the fd or -1. */
static int start_server(struct request *req, const char *name)
{
	static const char *const keys[] = {
		"NAME=" BADPEER_NAME, "TYPE=4", "FLAGS=1024", "SIZE=1048576",
		"WRITESIZE=2048", "ERASESIZE=131072", "OOBSIZE=64",
		"OOBAVAIL=38", "ECCSTRENGTH=4", "ECCSTEP=512", NULL,
	};
	struct muse_init_out out = GOOD_OUT;
	char body[sizeof(out) + 512];
	size_t info_len;
	int fd, err;

	fd = open_and_read_init(req, name);
	if (fd < 0)
		return -1;
	memcpy(body, &out, sizeof(out));
	info_len = info_block(body + sizeof(out), sizeof(body) - sizeof(out),
			      keys);
	err = reply(fd, 0, req->ih.unique, body, sizeof(out) + info_len,
		    NULL, 0);
	if (err || mtd_index(BADPEER_NAME) < 0) {
		result(name, false, "valid INIT not accepted: %s",
		       strerror(-err));
		close(fd);
		return -1;
	}
	return fd;
}

/* A well-formed answer to any request. */
static int answer(int fd, const struct request *req)
{
	static unsigned char data[REQ_MAX];
	struct muse_read_in rin;
	struct muse_read_out rout = { 0 };
	struct muse_write_in win;
	struct muse_write_out wout = { 0 };
	struct muse_isbad_out bout = { 0 };

	switch (req->ih.opcode) {
	case MUSE_READ:
		memcpy(&rin, req->body, sizeof(rin));
		memset(data, 0xa5, rin.len + rin.ooblen);
		rout.datalen = rin.len;
		rout.ooblen = rin.ooblen;
		return reply(fd, 0, req->ih.unique, &rout, sizeof(rout),
			     data, rin.len + rin.ooblen);
	case MUSE_WRITE:
		memcpy(&win, req->body, sizeof(win));
		wout.datalen = win.len;
		wout.ooblen = win.ooblen;
		return reply(fd, 0, req->ih.unique, &wout, sizeof(wout),
			     NULL, 0);
	case MUSE_ISBAD:
		return reply(fd, 0, req->ih.unique, &bout, sizeof(bout),
			     NULL, 0);
	default:
		return reply(fd, 0, req->ih.unique, NULL, 0, NULL, 0);
	}
}

enum mtd_action { DO_READ, DO_WRITE, DO_ERASE, DO_ISBAD };

/*
 * Fork an MTD user doing one action on the badpeer MTD.  Its exit status
 * is 0 on success, else the errno of the failed call.
 */
static pid_t start_user(enum mtd_action action)
{
	char path[64];
	unsigned char buf[PAGE];
	struct erase_info_user erase = { .start = 0, .length = BLOCK };
	loff_t ofs = 0;
	pid_t pid = fork();
	int fd, ret;

	if (pid)
		return pid;

	alarm(WAIT_MS / 1000 * 2);
	/* Hold no /dev/muse file: closing the server must reach release. */
	for (fd = 3; fd < 256; fd++)
		close(fd);
	snprintf(path, sizeof(path), "/dev/mtd%d", mtd_index(BADPEER_NAME));
	fd = open(path, action == DO_READ ? O_RDONLY : O_RDWR);
	if (fd < 0)
		_exit(errno);
	switch (action) {
	case DO_READ:
		ret = pread(fd, buf, sizeof(buf), 0) == sizeof(buf) ? 0 : -1;
		if (!ret && buf[0] != 0xa5)
			_exit(EBADMSG);
		break;
	case DO_WRITE:
		memset(buf, 0x5a, sizeof(buf));
		ret = pwrite(fd, buf, sizeof(buf), 0) == sizeof(buf) ? 0 : -1;
		break;
	case DO_ERASE:
		ret = ioctl(fd, MEMERASE, &erase);
		break;
	default:
		ret = ioctl(fd, MEMGETBADBLOCK, &ofs);
		ret = ret < 0 ? -1 : 0;
		break;
	}
	_exit(ret ? errno : 0);
}

/*
 * Answer whatever else the MTD user causes (e.g. SYNC on close) until it
 * exits; returns its exit code, or -1 when it hung or died of a signal.
 */
static int finish_user(int fd, pid_t pid, struct request *req)
{
	struct timespec start, now;
	int status;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec > 2 * WAIT_MS / 1000) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -1;
		}
		if (wait_readable(fd, 100) == 0 && read_request(fd, req) == 0)
			answer(fd, req);
	}
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
	POSITIVE_ERROR,		/* header error 5 */
	ERROR_TOO_SMALL,	/* header error -5000 */
	ERROR_WITH_BODY,	/* header error plus a body */
	SOFT_ERROR_BAD,		/* soft_error positive */
	ISBAD_TWO,		/* ISBAD result 2 */
	BODY_ON_EMPTY,		/* a body where none belongs */
	ERROR_REPLY,		/* a valid error reply, -EIO */
};

struct reply_case {
	const char *name;
	enum mtd_action action;
	uint32_t opcode;	/* what the action must send */
	enum breakage breakage;
	int write_errno;	/* expected from our malformed write */
	int user_errno;		/* expected from the MTD user */
};

static const struct reply_case reply_cases[] = {
	{ "reply-valid-read", DO_READ, MUSE_READ, GOOD, 0, 0 },
	{ "reply-valid-write", DO_WRITE, MUSE_WRITE, GOOD, 0, 0 },
	{ "reply-valid-erase", DO_ERASE, MUSE_ERASE, GOOD, 0, 0 },
	{ "reply-valid-isbad", DO_ISBAD, MUSE_ISBAD, GOOD, 0, 0 },
	{ "reply-wrong-unique", DO_READ, MUSE_READ, WRONG_UNIQUE, ENOENT, 0 },
	{ "reply-answered-twice", DO_READ, MUSE_READ, ANSWERED_TWICE, ENOENT, 0 },
	{ "reply-truncated-header", DO_READ, MUSE_READ, TRUNCATED, EINVAL, 0 },
	{ "reply-len-lies", DO_READ, MUSE_READ, LEN_LIES, EINVAL, EIO },
	{ "reply-datalen-oversized", DO_READ, MUSE_READ, DATALEN_LONG,
	  EINVAL, EIO },
	{ "reply-datalen-short", DO_READ, MUSE_READ, DATALEN_SHORT, EINVAL, EIO },
	{ "reply-ooblen-unasked", DO_READ, MUSE_READ, OOBLEN_WRONG, EINVAL, EIO },
	{ "reply-positive-error", DO_READ, MUSE_READ, POSITIVE_ERROR,
	  EINVAL, EIO },
	{ "reply-error-below-4095", DO_READ, MUSE_READ, ERROR_TOO_SMALL,
	  EINVAL, EIO },
	{ "reply-error-with-body", DO_READ, MUSE_READ, ERROR_WITH_BODY,
	  EINVAL, EIO },
	{ "reply-soft-error-positive", DO_READ, MUSE_READ, SOFT_ERROR_BAD,
	  EINVAL, EIO },
	{ "reply-read-error", DO_READ, MUSE_READ, ERROR_REPLY, 0, EIO },
	{ "reply-write-datalen-short", DO_WRITE, MUSE_WRITE, DATALEN_SHORT,
	  EINVAL, EIO },
	{ "reply-write-error", DO_WRITE, MUSE_WRITE, ERROR_REPLY, 0, EIO },
	{ "reply-erase-with-body", DO_ERASE, MUSE_ERASE, BODY_ON_EMPTY,
	  EINVAL, EIO },
	{ "reply-isbad-result-2", DO_ISBAD, MUSE_ISBAD, ISBAD_TWO, EINVAL, EIO },
};

/* Send the broken reply of a case; returns the errno of the write. */
static int send_broken(int fd, const struct reply_case *c,
		       const struct request *req)
{
	static unsigned char data[2 * PAGE];
	struct muse_read_in rin;
	struct muse_read_out rout = { 0 };
	struct muse_write_out wout = { 0 };
	struct muse_isbad_out bout = { .result = 2 };
	uint64_t unique = req->ih.unique;
	uint32_t hdr = sizeof(struct fuse_out_header);
	uint64_t pad = 0;
	int err;

	memcpy(&rin, req->body, sizeof(rin));
	rout.datalen = rin.len;
	memset(data, 0xa5, sizeof(data));

	switch (c->breakage) {
	case GOOD:
		return -answer(fd, req);
	case WRONG_UNIQUE:
		err = reply(fd, 0, unique + 1000, &rout, sizeof(rout),
			    data, rin.len);
		answer(fd, req);
		return -err;
	case ANSWERED_TWICE:
		answer(fd, req);
		return -reply(fd, 0, unique, &rout, sizeof(rout), data, rin.len);
	case TRUNCATED:
		err = write(fd, &pad, sizeof(pad)) < 0 ? errno : 0;
		answer(fd, req);
		return err;
	case LEN_LIES:
		return -send_reply(fd, hdr + sizeof(rout) + rin.len + 1, 0,
				   unique, &rout, sizeof(rout), data, rin.len);
	case DATALEN_LONG:
		rout.datalen = rin.len + PAGE;
		return -reply(fd, 0, unique, &rout, sizeof(rout),
			      data, rout.datalen);
	case DATALEN_SHORT:
		if (c->opcode == MUSE_WRITE) {
			memcpy(&wout.datalen, req->body + 8, sizeof(wout.datalen));
			wout.datalen--;
			return -reply(fd, 0, unique, &wout, sizeof(wout),
				      NULL, 0);
		}
		rout.datalen = rin.len - 1;
		return -reply(fd, 0, unique, &rout, sizeof(rout),
			      data, rout.datalen);
	case OOBLEN_WRONG:
		rout.ooblen = 8;
		return -reply(fd, 0, unique, &rout, sizeof(rout),
			      data, rin.len + 8);
	case POSITIVE_ERROR:
		return -reply(fd, 5, unique, NULL, 0, NULL, 0);
	case ERROR_TOO_SMALL:
		return -reply(fd, -5000, unique, NULL, 0, NULL, 0);
	case ERROR_WITH_BODY:
		return -reply(fd, -EIO, unique, &rout, sizeof(rout),
			      data, rin.len);
	case SOFT_ERROR_BAD:
		rout.soft_error = 5;
		return -reply(fd, 0, unique, &rout, sizeof(rout),
			      data, rin.len);
	case ISBAD_TWO:
		return -reply(fd, 0, unique, &bout, sizeof(bout), NULL, 0);
	case BODY_ON_EMPTY:
		return -reply(fd, 0, unique, &pad, sizeof(pad), NULL, 0);
	case ERROR_REPLY:
		return -reply(fd, -EIO, unique, NULL, 0, NULL, 0);
	}
	return EINVAL;
}

static void run_reply_case(int fd, const struct reply_case *c,
			   struct request *req)
{
	pid_t pid = start_user(c->action);
	int err, user;

	err = read_request(fd, req);
	if (err) {
		result(c->name, false, "no request from the MTD user: %s",
		       strerror(-err));
		finish_user(fd, pid, req);
		return;
	}
	if (req->ih.opcode != c->opcode) {
		result(c->name, false, "got opcode %u, expected %u",
		       req->ih.opcode, c->opcode);
		answer(fd, req);
		finish_user(fd, pid, req);
		return;
	}
	err = send_broken(fd, c, req);
	user = finish_user(fd, pid, req);
	if (err != c->write_errno)
		result(c->name, false, "write returned %s, expected %s",
		       err ? strerror(err) : "success",
		       c->write_errno ? strerror(c->write_errno) : "success");
	else if (user != c->user_errno)
		result(c->name, false, "MTD user got %s, expected %s",
		       user < 0 ? "killed/hung" :
		       user ? strerror(user) : "success",
		       c->user_errno ? strerror(c->user_errno) : "success");
	else
		result(c->name, true, NULL);
}

/* The READ request of a one-page pread must look as the spec says. */
static void check_read_request(int fd, struct request *req)
{
	const char *name = "request-read-layout";
	pid_t pid = start_user(DO_READ);
	struct muse_read_in rin;
	int err = read_request(fd, req);

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
	answer(fd, req);
	finish_user(fd, pid, req);
}

/* Device-side semantics that need no MTD user. */
static void check_device_side(int fd, struct request *req)
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
	pid = start_user(DO_READ);
	err = wait_readable(fd, WAIT_MS);
	errno = 0;
	result("read-small-buffer-emsgsize",
	       !err && read(fd, small, sizeof(small)) < 0 && errno == EMSGSIZE,
	       "poll %d, read gave %s", err, strerror(errno));
	errno = 0;
	result("read-fault-efault",
	       read(fd, (void *)4096, sizeof(req->buf)) < 0 && errno == EFAULT,
	       "read into an unmapped buffer gave %s", strerror(errno));
	err = read_request(fd, req);
	result("request-kept-after-emsgsize-and-efault",
	       !err && req->ih.opcode == MUSE_READ, "%s", strerror(-err));
	if (!err)
		answer(fd, req);
	result("user-served-after-emsgsize", finish_user(fd, pid, req) == 0,
	       NULL);

	errno = 0;
	result("write-short-einval",
	       write(fd, small, 4) < 0 && errno == EINVAL, "write gave %s",
	       strerror(errno));
}

/* Bit flips reported in a READ reply reach ECCGETSTATS (protocol 4.3). */
static void check_ecc_stats(int fd, struct request *req)
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

	pid = start_user(DO_READ);
	if (read_request(fd, req) == 0) {
		rout.soft_error = (uint32_t)-EUCLEAN;
		rout.max_bitflips = 3;
		rout.corrected = 5;
		reply(fd, 0, req->ih.unique, &rout, sizeof(rout), data, PAGE);
	}
	user = finish_user(fd, pid, req);

	pid = start_user(DO_READ);
	if (read_request(fd, req) == 0) {
		rout.soft_error = (uint32_t)-EBADMSG;
		rout.max_bitflips = 0;
		rout.corrected = 0;
		rout.failed = 0;	/* counts as one failed step */
		reply(fd, 0, req->ih.unique, &rout, sizeof(rout), data, PAGE);
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

/*
 * An MTD user killed while its request waits withdraws it: a queued one
 * is never read, a sent one's late reply gets ENOENT.
 */
static void check_killed_user(int fd, struct request *req)
{
	int flags = fcntl(fd, F_GETFL);
	struct muse_read_out rout = { .datalen = PAGE };
	static unsigned char data[PAGE];
	pid_t pid;
	int err;

	pid = start_user(DO_READ);
	err = wait_readable(fd, WAIT_MS);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	errno = 0;
	result("killed-user-withdraws-queued",
	       !err && read(fd, req->buf, sizeof(req->buf)) < 0 &&
	       errno == EAGAIN, "poll %d, read gave %s", err, strerror(errno));
	fcntl(fd, F_SETFL, flags);

	pid = start_user(DO_READ);
	err = read_request(fd, req);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	if (!err)
		err = reply(fd, 0, req->ih.unique, &rout, sizeof(rout),
			    data, PAGE);
	result("killed-user-withdraws-sent", err == -ENOENT,
	       "late reply gave %s", strerror(-err));
}

/* Closing the server with a request in flight fails it at once. */
static void check_close_in_flight(int fd, struct request *req)
{
	pid_t pid = start_user(DO_READ);
	int err = read_request(fd, req);
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
	result("mtd-gone-after-close", !mtd_exists(BADPEER_NAME), NULL);
}

#define TIMEOUT_PARAM "/sys/module/muse/parameters/request_timeout"

static bool write_param(const char *value)
{
	FILE *f = fopen(TIMEOUT_PARAM, "w");
	bool ok;

	if (!f)
		return false;
	ok = fputs(value, f) >= 0;
	return !fclose(f) && ok;
}

/*
 * With request_timeout set, a request left unanswered aborts the whole
 * connection: the MTD user gets EIO and the server's reads ENODEV.
 */
static void check_request_timeout(struct request *req)
{
	const char *name = "request-timeout-aborts";
	struct timespec start, end;
	int fd, status, err;
	pid_t pid;

	fd = start_server(req, name);
	if (fd < 0)
		return;
	if (!write_param("1")) {
		result(name, false, "cannot set %s: %s", TIMEOUT_PARAM,
		       strerror(errno));
		close(fd);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	pid = start_user(DO_READ);
	err = read_request(fd, req);
	/* Not answered: the module must give up after about a second. */
	waitpid(pid, &status, 0);
	clock_gettime(CLOCK_MONOTONIC, &end);
	write_param("0");
	result(name, !err && WIFEXITED(status) && WEXITSTATUS(status) == EIO &&
	       end.tv_sec - start.tv_sec <= 5,
	       "request %d, MTD user status 0x%x after %ld s", err, status,
	       (long)(end.tv_sec - start.tv_sec));
	result("read-enodev-after-timeout", connection_dead(fd), NULL);
	close(fd);
	result("mtd-gone-after-timeout-close", !mtd_exists(BADPEER_NAME),
	       NULL);
}

static void run_reply_cases(struct request *req)
{
	size_t i;
	int fd = start_server(req, "reply-setup");

	if (fd < 0)
		return;
	check_read_request(fd, req);
	check_device_side(fd, req);
	for (i = 0; i < sizeof(reply_cases) / sizeof(reply_cases[0]); i++)
		run_reply_case(fd, &reply_cases[i], req);
	check_ecc_stats(fd, req);
	check_killed_user(fd, req);
	check_close_in_flight(fd, req);
	check_request_timeout(req);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: muse-badpeer [--device PATH] [--verbose] COMMAND\n"
		"\n"
		"A raw /dev/muse peer that checks the kernel module's reply validation.\n"
		"Needs muse.ko loaded and root.  Prints PASS/FAIL per case; exits 1 if\n"
		"any case failed, 2 on a usage error.\n"
		"\n"
		"commands:\n"
		"  init-cases    malformed and valid INIT replies   (also --init)\n"
		"  reply-cases   malformed I/O replies, with a forked MTD user doing\n"
		"                reads, writes, erases and bad-block queries on the\n"
		"                registered \"" BADPEER_NAME "\" NAND   (also --replies)\n"
		"  all           both   (also --all)\n");
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "init", no_argument, NULL, 'I' },
		{ "replies", no_argument, NULL, 'R' },
		{ "all", no_argument, NULL, 'A' },
		{ NULL, 0, NULL, 0 },
	};
	static struct request req;
	bool init = false, replies = false;
	int opt;

	while ((opt = getopt_long(argc, argv, "d:vh", options, NULL)) != -1) {
		switch (opt) {
		case 'd':
			device = optarg;
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'I':
			init = true;
			break;
		case 'R':
			replies = true;
			break;
		case 'A':
			init = replies = true;
			break;
		default:
			usage(stderr);
			return 2;
		}
	}
	for (; optind < argc; optind++) {
		if (!strcmp(argv[optind], "init-cases")) {
			init = true;
		} else if (!strcmp(argv[optind], "reply-cases")) {
			replies = true;
		} else if (!strcmp(argv[optind], "all")) {
			init = replies = true;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (!init && !replies) {
		usage(stderr);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);

	if (init)
		run_init_cases(&req);
	if (replies)
		run_reply_cases(&req);
	printf("%s: %d case(s) failed\n", failures ? "FAIL" : "PASS", failures);
	return failures ? 1 : 0;
}
