// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * dispatch-bench: the cost of libmuse itself per request.
 *
 * Feeds canned page-sized MUSE_READ and MUSE_WRITE requests to
 * muse_session_handle_buf() (parse, validate, dispatch to a callback that
 * only copies the page, build the reply) and compares that with a baseline
 * that copies the same bytes and nothing else.  The difference is what
 * the library adds on top of the unavoidable data copy.
 *
 * Each measured loop is its own non-inlined function so that
 * `valgrind --tool=callgrind --toggle-collect=<loop>` counts exactly its
 * instructions (bench/run-inprocess.sh does that).
 *
 * With --roundtrip it measures instead what a request costs between two
 * processes: the same canned requests cross a socketpair to a forked server
 * that reads each one, hands it to muse_session_handle_buf() and writes the
 * reply back, the loop libmuse runs on /dev/muse.  bench/run-e2e.sh runs
 * that on the host and in its guest, so that a round trip's cost under
 * QEMU can be set against the same round trip on the real CPU.
 *
 * Output: one line per loop,
 *   RESULT <loop> <iterations> <seconds> <ns/request> <requests/s>
 */
#include <errno.h>
#include <getopt.h>
#include <linux/fuse.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <muse/muse.h>
#include <muse/muse_kernel.h>

#include "frames.h"

#define PAGE		2048u
#define OOB		64u
#define BLOCK		(64u * PAGE)
#define DEVICE_SIZE	(4u * 1024 * 1024)
#define PAGES		(DEVICE_SIZE / PAGE)

static uint8_t storage[DEVICE_SIZE];

struct canned {
	uint8_t read_req[sizeof(struct fuse_in_header) +
			 sizeof(struct muse_read_in)];
	size_t read_len;
	uint8_t write_req[sizeof(struct fuse_in_header) +
			  sizeof(struct muse_write_in) + PAGE];
	size_t write_len;
	size_t write_data_off;
	uint8_t reply[sizeof(struct fuse_out_header) +
		      sizeof(struct muse_read_out) + PAGE + OOB];
	int server_fd;	/* the client's end of the socketpair, or -1 */
};

static int copy_out(void *userdata, struct muse_req *req,
		    const struct muse_io *io, struct muse_ecc_result *ecc)
{
	memcpy(io->buf, storage + io->addr, io->len);
	return 0;
}

static int copy_in(void *userdata, struct muse_req *req,
		   const struct muse_io *io)
{
	memcpy(storage + io->addr, io->buf, io->len);
	return 0;
}

static const struct muse_ops ops = {
	.read = copy_out,
	.write = copy_in,
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Answer an extended MUSE_INIT offering everything, like our kernel does. */
static int handshake(struct muse_session *se, struct canned *c)
{
	uint8_t req[sizeof(struct fuse_in_header) + sizeof(struct muse_init_in)];
	struct fuse_out_header out;
	ssize_t n;

	n = muse_session_handle_buf(se, req,
				    mf_init_ext(req, 1, MUSE_EXT_ALL, 65536),
				    c->reply, sizeof(c->reply));
	if (n < (ssize_t)sizeof(out)) {
		fprintf(stderr, "dispatch-bench: INIT: %s\n",
			n < 0 ? strerror(-n) : "no reply");
		return -1;
	}
	memcpy(&out, c->reply, sizeof(out));
	if (out.error) {
		fprintf(stderr, "dispatch-bench: INIT answered %s\n",
			strerror(-out.error));
		return -1;
	}
	return 0;
}

static void build_requests(struct muse_session *se, struct canned *c)
{
	const struct mf_io io = {
		.ext = muse_session_extensions(se) != 0, .len = PAGE,
	};
	uint8_t data[PAGE];

	for (size_t i = 0; i < PAGE; i++)
		data[i] = (uint8_t)(i * 7 + 3);
	c->read_len = mf_io(c->read_req, MUSE_READ, 2, &io, NULL, 0);
	c->write_len = mf_io(c->write_req, MUSE_WRITE, 3, &io, data, PAGE);
	c->write_data_off = c->write_len - PAGE;
}

/* Point a canned request at page @i (the addr field follows the header). */
static inline void set_addr(uint8_t *req, uint64_t i)
{
	uint64_t addr = (i % PAGES) * PAGE;

	memcpy(req + MF_IO_ADDR_OFFSET, &addr, sizeof(addr));
}

/* The error of the last reply: a benchmark of failing requests is void. */
static inline int32_t reply_error(const struct canned *c)
{
	struct fuse_out_header out;

	memcpy(&out, c->reply, sizeof(out));
	return out.error;
}

/* Handle @n requests from @req, each aimed at the next page. */
static inline int handle_many(struct muse_session *se, struct canned *c,
			      uint8_t *req, size_t len, unsigned long n)
{
	for (unsigned long i = 0; i < n; i++) {
		set_addr(req, i);
		if (muse_session_handle_buf(se, req, len, c->reply,
					    sizeof(c->reply)) <= 0 ||
		    reply_error(c))
			return -1;
	}
	return 0;
}

static __attribute__((noinline)) int
loop_read_libmuse(struct muse_session *se, struct canned *c, unsigned long n)
{
	return handle_many(se, c, c->read_req, c->read_len, n);
}

static __attribute__((noinline)) int
loop_write_libmuse(struct muse_session *se, struct canned *c, unsigned long n)
{
	return handle_many(se, c, c->write_req, c->write_len, n);
}

/*
 * The baselines do the same data movement as the callbacks above, from the
 * same buffers, without the library: the cost every server pays anyway.
 */
static __attribute__((noinline)) int
loop_read_memcpy(struct muse_session *se, struct canned *c, unsigned long n)
{
	size_t data_off = sizeof(struct fuse_out_header) +
			  sizeof(struct muse_read_out);

	for (unsigned long i = 0; i < n; i++) {
		set_addr(c->read_req, i);
		memcpy(c->reply + data_off, storage + (i % PAGES) * PAGE, PAGE);
		__asm__ volatile("" : : "r"(c->reply) : "memory");
	}
	return 0;
}

static __attribute__((noinline)) int
loop_write_memcpy(struct muse_session *se, struct canned *c, unsigned long n)
{
	for (unsigned long i = 0; i < n; i++) {
		set_addr(c->write_req, i);
		memcpy(storage + (i % PAGES) * PAGE,
		       c->write_req + c->write_data_off, PAGE);
		__asm__ volatile("" : : "r"(storage) : "memory");
	}
	return 0;
}

/*
 * The server process of the round-trip loops: one request per read (a
 * SOCK_SEQPACKET socket keeps the boundaries, as /dev/muse does), one
 * reply per write, until the client closes its end.
 */
static int serve(int fd, struct muse_session *se, struct canned *c)
{
	uint8_t req[sizeof(c->write_req)];

	for (;;) {
		ssize_t n = read(fd, req, sizeof(req)), len;

		if (n == 0)
			return 0;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		len = muse_session_handle_buf(se, req, n, c->reply,
					      sizeof(c->reply));
		if (len <= 0)
			return len < 0 ? (int)len : -EPROTO;
		if (write(fd, c->reply, len) != len)
			return -EIO;
	}
}

/* Send @n requests from @req, each aimed at the next page, and await each reply. */
static inline int roundtrip_many(struct canned *c, uint8_t *req, size_t len,
				 unsigned long n)
{
	for (unsigned long i = 0; i < n; i++) {
		set_addr(req, i);
		if (write(c->server_fd, req, len) != (ssize_t)len)
			return -1;
		if (read(c->server_fd, c->reply, sizeof(c->reply)) <
			    (ssize_t)sizeof(struct fuse_out_header) ||
		    reply_error(c))
			return -1;
	}
	return 0;
}

static __attribute__((noinline)) int
loop_read_roundtrip(struct muse_session *se, struct canned *c, unsigned long n)
{
	return roundtrip_many(c, c->read_req, c->read_len, n);
}

static __attribute__((noinline)) int
loop_write_roundtrip(struct muse_session *se, struct canned *c, unsigned long n)
{
	return roundtrip_many(c, c->write_req, c->write_len, n);
}

struct loop {
	const char *name;
	int (*run)(struct muse_session *se, struct canned *c, unsigned long n);
	int roundtrip;	/* needs the server process */
};

static const struct loop loops[] = {
	{ "read-libmuse", loop_read_libmuse, 0 },
	{ "read-memcpy", loop_read_memcpy, 0 },
	{ "write-libmuse", loop_write_libmuse, 0 },
	{ "write-memcpy", loop_write_memcpy, 0 },
	{ "read-roundtrip", loop_read_roundtrip, 1 },
	{ "write-roundtrip", loop_write_roundtrip, 1 },
};

/*
 * Fork the server of the round-trip loops; the parent keeps the client's
 * end in c->server_fd.  The child inherits the session after the INIT
 * handshake, so it serves an established connection.
 */
static int start_server(struct muse_session *se, struct canned *c,
			pid_t *pid)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		perror("dispatch-bench: socketpair");
		return -1;
	}
	*pid = fork();
	if (*pid < 0) {
		perror("dispatch-bench: fork");
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (*pid == 0) {
		int ret;

		close(sv[0]);
		ret = serve(sv[1], se, c);
		if (ret < 0)
			fprintf(stderr, "dispatch-bench: server: %s\n",
				strerror(-ret));
		_exit(ret < 0);
	}
	close(sv[1]);
	c->server_fd = sv[0];
	return 0;
}

/* Close the client's end, so the server sees EOF; its exit status counts. */
static int stop_server(struct canned *c, pid_t pid)
{
	int status;

	close(c->server_fd);
	c->server_fd = -1;
	if (waitpid(pid, &status, 0) < 0) {
		perror("dispatch-bench: waitpid");
		return -1;
	}
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: dispatch-bench [--iterations N] [--roundtrip] [--only LOOP]\n"
		"  --roundtrip  the requests cross a socketpair to a server process\n"
		"               (read-roundtrip, write-roundtrip) instead of\n"
		"               in-process calls (the other loops)\n"
		"  LOOP: read-libmuse read-memcpy write-libmuse write-memcpy\n"
		"        read-roundtrip write-roundtrip\n");
}

/* Whether loop @l runs: --only names it, or it is of the selected kind. */
static int selected(const struct loop *l, const char *only, int roundtrip)
{
	return only ? !strcmp(only, l->name) : l->roundtrip == roundtrip;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "iterations", required_argument, NULL, 'n' },
		{ "only", required_argument, NULL, 'o' },
		{ "roundtrip", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const struct muse_device dev = {
		.name = "dispatch-bench",
		.type = MUSE_TYPE_NAND,
		.flags = MUSE_FLAG_WRITEABLE,
		.size = DEVICE_SIZE,
		.writesize = PAGE,
		.erasesize = BLOCK,
		.oobsize = OOB,
		.oobavail = OOB - 2,
	};
	unsigned long iterations = 1000000;
	const char *only = NULL;
	struct muse_session *se;
	static struct canned c = { .server_fd = -1 };
	int ch, ret, matched = 0, roundtrip = 0, need_server = 0, failed = 0;
	pid_t server = -1;
	char *end;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			errno = 0;
			iterations = strtoul(optarg, &end, 0);
			if (errno || *end || !iterations) {
				fprintf(stderr, "dispatch-bench: bad --iterations '%s'\n",
					optarg);
				return 2;
			}
			break;
		case 'o': only = optarg; break;
		case 'r': roundtrip = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}

	ret = muse_session_new(&dev, sizeof(dev), &ops, sizeof(ops), 0, NULL,
			       &se);
	if (ret < 0) {
		fprintf(stderr, "dispatch-bench: muse_session_new: %s\n",
			strerror(-ret));
		return 1;
	}
	if (handshake(se, &c) < 0) {
		muse_session_destroy(se);
		return 1;
	}
	build_requests(se, &c);

	for (size_t i = 0; i < sizeof(loops) / sizeof(loops[0]); i++)
		if (selected(&loops[i], only, roundtrip))
			need_server |= loops[i].roundtrip;
	if (need_server && start_server(se, &c, &server) < 0) {
		muse_session_destroy(se);
		return 1;
	}

	for (size_t i = 0; i < sizeof(loops) / sizeof(loops[0]) && !failed; i++) {
		const struct loop *l = &loops[i];
		double start, secs;

		if (!selected(l, only, roundtrip))
			continue;
		matched = 1;
		start = now();
		if (l->run(se, &c, iterations) < 0) {
			fprintf(stderr, "dispatch-bench: %s: a request failed\n",
				l->name);
			failed = 1;
			break;
		}
		secs = now() - start;
		printf("RESULT %s %lu %.6f %.1f %.0f\n", l->name, iterations,
		       secs, secs * 1e9 / iterations, iterations / secs);
	}
	if (need_server && stop_server(&c, server) < 0) {
		fprintf(stderr, "dispatch-bench: the server process failed\n");
		failed = 1;
	}
	muse_session_destroy(se);
	if (failed)
		return 1;
	if (!matched) {
		fprintf(stderr, "dispatch-bench: no loop named '%s'\n", only);
		return 2;
	}
	return 0;
}
