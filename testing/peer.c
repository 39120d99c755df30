// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The test kit's fake kernel peer (include/muse/testing.h).  Frames come
 * from tests/lib/frames.c, the project's one frame builder; the checks on
 * replies are the module's rules, spelled with the predicates of
 * muse_kernel.h so that the peer and the module cannot judge apart.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/fuse.h>

#include "muse/muse_kernel.h"
#include "muse/testing.h"
#include "frames.h"

/* How long a reply may take: a kept request answered from a thread. */
#define REPLY_TIMEOUT_MS	10000

/* A request sent and not yet taken by muse_test_wait_reply(). */
struct in_flight {
	struct in_flight *next;
	uint64_t unique;
	uint32_t opcode;
	struct muse_test_io io;		/* READ and WRITE: the request */
	unsigned char *reply;		/* as it came; NULL until then */
	size_t replylen;		/* its length (may exceed bufsize) */
};

struct muse_test_peer {
	struct muse_session *se;	/* NULL with MUSE_TEST_EXTERNAL */
	int kernel_fd;			/* the module's end */
	int server_fd;			/* the session's end */
	bool v2;
	uint32_t offered;
	uint32_t max_io;
	bool initialised;
	uint64_t next_unique;
	struct muse_test_geometry geo;
	unsigned char *buf;		/* one frame either way */
	size_t bufsize;
	char violation[256];
	bool violated;
	struct in_flight *in_flight;
};

static const char *opcode_name(uint32_t opcode)
{
	static const char *const names[] = {
		"INIT", "ERASE", "READ", "WRITE", "MARKBAD", "ISBAD", "SYNC",
	};

	if (opcode < MUSE_INIT || opcode > MUSE_SYNC)
		return "?";
	return names[opcode - MUSE_INIT];
}

/* Record a broken rule; returns -EPROTO for the caller to pass on. */
static int violate(struct muse_test_peer *p, uint32_t opcode,
		   uint64_t unique, const char *rule, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int violate(struct muse_test_peer *p, uint32_t opcode,
		   uint64_t unique, const char *rule, const char *fmt, ...)
{
	int n = snprintf(p->violation, sizeof(p->violation), "%s %" PRIu64
			 ": %s: ", opcode_name(opcode), unique, rule);
	va_list ap;

	va_start(ap, fmt);
	if (n > 0 && (size_t)n < sizeof(p->violation))
		vsnprintf(p->violation + n, sizeof(p->violation) - n, fmt, ap);
	va_end(ap);
	p->violated = true;
	return -EPROTO;
}

int muse_test_peer_new(struct muse_session *se, uint32_t offered,
		       uint32_t max_io, unsigned int flags,
		       struct muse_test_peer **pp)
{
	struct muse_test_peer *p;
	int fds[2], ret;

	if (pp)
		*pp = NULL;
	if (!pp || flags & ~(MUSE_TEST_V2_KERNEL | MUSE_TEST_EXTERNAL) ||
	    !se == !(flags & MUSE_TEST_EXTERNAL))
		return -EINVAL;
	if (se && muse_session_fd(se) >= 0)
		return -EBUSY;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds)) {
		ret = -errno;
		free(p);
		return ret;
	}
	p->se = se;
	p->kernel_fd = fds[0];
	p->server_fd = fds[1];
	p->v2 = flags & MUSE_TEST_V2_KERNEL;
	p->offered = p->v2 ? 0 : offered;
	p->max_io = p->v2 ? 0 : max_io;
	ret = se ? muse_session_set_fd(se, p->server_fd) : 0;
	if (ret) {
		muse_test_peer_free(p);
		return ret;
	}
	*pp = p;
	return 0;
}

int muse_test_server_fd(const struct muse_test_peer *p)
{
	return p->server_fd;
}

void muse_test_peer_free(struct muse_test_peer *p)
{
	struct in_flight *f;

	if (!p)
		return;
	while ((f = p->in_flight)) {
		p->in_flight = f->next;
		free(f->reply);
		free(f);
	}
	close(p->kernel_fd);
	close(p->server_fd);
	free(p->buf);
	free(p);
}

/* Room for the largest frame of the connection, either way. */
static int reserve(struct muse_test_peer *p, size_t size)
{
	unsigned char *buf;

	if (size <= p->bufsize)
		return 0;
	buf = realloc(p->buf, size);
	if (!buf)
		return -ENOMEM;
	p->buf = buf;
	p->bufsize = size;
	return 0;
}

static int send_frame(struct muse_test_peer *p, size_t len)
{
	ssize_t n = send(p->kernel_fd, p->buf, len, MSG_NOSIGNAL);

	if (n < 0)
		return -errno;
	return n == (ssize_t)len ? 0 : -EIO;
}

/*
 * Let the session take the request just sent: it is queued, so one
 * muse_session_process() handles it (answers it, or a callback keeps it).
 * An external server takes it itself.
 */
static int pump(struct muse_test_peer *p)
{
	int ret = p->se ? muse_session_process(p->se) : 0;

	return ret < 0 ? ret : 0;
}

/* Wait up to @ms for one reply; return its length. */
static ssize_t receive_reply(struct muse_test_peer *p, int ms)
{
	struct pollfd pfd = { .fd = p->kernel_fd, .events = POLLIN };
	ssize_t n;
	int ret;

	do
		ret = poll(&pfd, 1, ms);
	while (ret < 0 && errno == EINTR);
	if (ret < 0)
		return -errno;
	if (!ret)
		return -ETIMEDOUT;
	n = recv(p->kernel_fd, p->buf, p->bufsize, MSG_TRUNC | MSG_DONTWAIT);
	if (n < 0)
		return -errno;
	return n;
}

/*
 * The header every reply starts with (muse_chan_write()'s rules): its
 * length is the bytes written, its unique the request's, its error valid
 * and alone.  Return: the error (0 or negative) with the body left at
 * p->buf + header, or -EPROTO.
 */
static int check_header(struct muse_test_peer *p, uint32_t opcode,
			uint64_t unique, ssize_t n, size_t *bodylen)
{
	struct fuse_out_header oh;

	if ((size_t)n > p->bufsize)
		return violate(p, opcode, unique, "reply-length",
			       "%zd bytes, more than any reply to it", n);
	if ((size_t)n < sizeof(oh))
		return violate(p, opcode, unique, "reply-length",
			       "%zd bytes, shorter than fuse_out_header", n);
	memcpy(&oh, p->buf, sizeof(oh));
	if (oh.len != (uint64_t)n)
		return violate(p, opcode, unique, "reply-length",
			       "header says %" PRIu32 ", %zd bytes came",
			       oh.len, n);
	if (oh.unique != unique)
		return violate(p, opcode, unique, "reply-unique",
			       "answers %" PRIu64, (uint64_t)oh.unique);
	if (!muse_reply_error_valid(oh.error))
		return violate(p, opcode, unique, "reply-error",
			       "error %" PRId32 " in the header", oh.error);
	if (oh.error && (size_t)n != sizeof(oh))
		return violate(p, opcode, unique, "reply-body",
			       "error %" PRId32 " with %zu bytes of body",
			       oh.error, (size_t)n - sizeof(oh));
	*bodylen = (size_t)n - sizeof(oh);
	return oh.error;
}

/* Send INIT, let the session answer, check the reply's header. */
static int exchange_init(struct muse_test_peer *p, size_t len,
			 size_t *bodylen)
{
	ssize_t n;
	int ret;

	p->violated = false;
	ret = send_frame(p, len);
	if (ret)
		return ret;
	ret = p->se ? muse_session_init(p->se) : 0;
	/*
	 * A failed INIT may still have answered (the reply says why), but
	 * then the answer is already there: no waiting for it.
	 */
	n = receive_reply(p, ret ? 0 : REPLY_TIMEOUT_MS);
	if (n < 0)
		return ret ? ret : (int)n;
	return check_header(p, MUSE_INIT, 1, n, bodylen);
}

static struct in_flight **find_in_flight(struct muse_test_peer *p,
					 uint64_t unique)
{
	struct in_flight **f;

	for (f = &p->in_flight; *f && (*f)->unique != unique; f = &(*f)->next)
		;
	return f;
}

/*
 * Send the request in p->buf and let the session take it; it is in
 * flight until muse_test_wait_reply() takes its reply.
 */
static int send_request(struct muse_test_peer *p, uint32_t opcode,
			uint64_t unique, size_t len,
			const struct muse_test_io *io)
{
	struct in_flight *f = calloc(1, sizeof(*f));
	int ret;

	if (!f)
		return -ENOMEM;
	f->unique = unique;
	f->opcode = opcode;
	if (io)
		f->io = *io;
	ret = send_frame(p, len);
	if (!ret)
		ret = pump(p);
	if (ret) {
		free(f);
		return ret;
	}
	f->next = p->in_flight;
	p->in_flight = f;
	return 0;
}

/* Milliseconds left until @deadline (CLOCK_MONOTONIC), at least 0. */
static int ms_left(const struct timespec *deadline)
{
	struct timespec now;
	int64_t ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (int64_t)(deadline->tv_sec - now.tv_sec) * 1000 +
	     (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms > 0 ? (int)ms : 0;
}

/*
 * Receive replies until @f's came, keeping those of other requests in
 * flight for their own wait; a reply to none of them is a violation,
 * named after @f.  @ms: how long all of it may take (-ETIMEDOUT).
 */
static int receive_for(struct muse_test_peer *p, struct in_flight *f, int ms)
{
	struct fuse_out_header oh;
	struct timespec deadline;
	struct in_flight *to;
	ssize_t n;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += ms / 1000;
	deadline.tv_nsec += (long)(ms % 1000) * 1000000;
	if (deadline.tv_nsec >= 1000000000) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000;
	}
	while (!f->reply) {
		n = receive_reply(p, ms_left(&deadline));
		if (n < 0)
			return (int)n;
		if ((size_t)n < sizeof(oh))
			return violate(p, f->opcode, f->unique, "reply-length",
				       "%zd bytes, shorter than fuse_out_header",
				       n);
		memcpy(&oh, p->buf, sizeof(oh));
		to = *find_in_flight(p, oh.unique);
		if (!to || to->reply)
			return violate(p, f->opcode, f->unique, "reply-unique",
				       "answers %" PRIu64 ", %s",
				       (uint64_t)oh.unique,
				       to ? "answered already" :
					    "no request in flight");
		to->replylen = (size_t)n;
		to->reply = malloc((size_t)n < p->bufsize ? (size_t)n :
							    p->bufsize);
		if (!to->reply)
			return -ENOMEM;
		memcpy(to->reply, p->buf,
		       (size_t)n < p->bufsize ? (size_t)n : p->bufsize);
	}
	return 0;
}

/*
 * Take the request @unique out of flight once its reply came: the reply
 * back in p->buf, its header checked (as check_header()); *@f gets the
 * request.
 */
static int take_reply(struct muse_test_peer *p, uint64_t unique,
		      struct in_flight *f, size_t *bodylen)
{
	struct in_flight **at = find_in_flight(p, unique), *mine = *at;
	int ret;

	if (!mine)
		return -ENOENT;
	*f = *mine;
	ret = receive_for(p, mine, REPLY_TIMEOUT_MS);
	if (ret)
		return ret;
	*at = mine->next;
	memcpy(p->buf, mine->reply, mine->replylen < p->bufsize ?
				    mine->replylen : p->bufsize);
	ret = check_header(p, mine->opcode, unique, (ssize_t)mine->replylen,
			   bodylen);
	free(mine->reply);
	free(mine);
	return ret;
}

/* One KEY=VALUE of the info block, decimal; false if malformed. */
static bool info_value(const char *entry, size_t len, const char *key,
		       uint64_t *value, bool *found)
{
	size_t klen = strlen(key);
	uint64_t v = 0;
	size_t i;

	if (len <= klen || strncmp(entry, key, klen) || entry[klen] != '=')
		return true;
	if (len == klen + 1)
		return false;
	for (i = klen + 1; i < len; i++) {
		if (entry[i] < '0' || entry[i] > '9' ||
		    v > (UINT64_MAX - (uint64_t)(entry[i] - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(entry[i] - '0');
	}
	*value = v;
	*found = true;
	return true;
}

/* The numeric keys the peer needs; the rest only have to be KEY=VALUE. */
static const char *const geometry_keys[] = {
	MUSE_KEY_SIZE, MUSE_KEY_WRITESIZE, MUSE_KEY_ERASESIZE,
	MUSE_KEY_OOBSIZE, MUSE_KEY_OOBAVAIL,
};
#define NKEYS (sizeof(geometry_keys) / sizeof(geometry_keys[0]))

static int parse_info(struct muse_test_peer *p, const char *info, size_t len)
{
	uint64_t v[NKEYS] = { 0 };
	bool found[NKEYS] = { false }, named = false;
	size_t off = 0, k;

	if (len > MUSE_INIT_INFO_MAX)
		return violate(p, MUSE_INIT, 1, "init-info",
			       "%zu bytes, more than %u", len,
			       MUSE_INIT_INFO_MAX);
	while (off < len) {
		const char *entry = info + off;
		const char *end = memchr(entry, '\0', len - off);
		size_t elen = end ? (size_t)(end - entry) : len - off;

		if (!elen || !memchr(entry, '=', elen))
			return violate(p, MUSE_INIT, 1, "init-info",
				       "entry at %zu is not KEY=VALUE", off);
		if (elen > sizeof(MUSE_KEY_NAME) &&
		    !memcmp(entry, MUSE_KEY_NAME "=", sizeof(MUSE_KEY_NAME)))
			named = true;
		for (k = 0; k < NKEYS; k++)
			if (!info_value(entry, elen, geometry_keys[k], &v[k],
					&found[k]))
				return violate(p, MUSE_INIT, 1, "init-info",
					       "%s is not a decimal number",
					       geometry_keys[k]);
		off += elen + 1;
	}
	for (k = 0; k < 3; k++)
		if (!found[k])
			return violate(p, MUSE_INIT, 1, "init-info",
				       "no %s", geometry_keys[k]);
	if (!named)
		return violate(p, MUSE_INIT, 1, "init-info", "no NAME");
	if (!v[1] || !v[2] || v[1] > UINT32_MAX || v[2] > UINT32_MAX ||
	    v[2] % v[1] || !v[0] || v[0] % v[2] ||
	    !muse_blocks_valid(v[0], v[2]) ||
	    !MUSE_OOBSIZE_VALID(v[3], v[1]) || v[4] > v[3])
		return violate(p, MUSE_INIT, 1, "init-info",
			       "geometry SIZE %" PRIu64 " WRITESIZE %" PRIu64
			       " ERASESIZE %" PRIu64 " OOBSIZE %" PRIu64
			       " OOBAVAIL %" PRIu64 " breaks the limits",
			       v[0], v[1], v[2], v[3], v[4]);
	p->geo.size = v[0];
	p->geo.writesize = (uint32_t)v[1];
	p->geo.erasesize = (uint32_t)v[2];
	p->geo.oobsize = (uint32_t)v[3];
	p->geo.oobavail = (uint32_t)v[4];
	return 0;
}

/* The INIT reply body: version, flags, sizes, then the info block. */
static int check_init_out(struct muse_test_peer *p, size_t bodylen)
{
	size_t out_size = p->v2 ? MUSE_COMPAT_INIT_OUT_SIZE :
				  sizeof(struct muse_init_out);
	const unsigned char *body = p->buf + sizeof(struct fuse_out_header);
	struct muse_init_out out;
	int ret;

	if (bodylen < out_size)
		return violate(p, MUSE_INIT, 1, "reply-body",
			       "%zu bytes, the reply needs %zu", bodylen,
			       out_size);
	memset(&out, 0, sizeof(out));
	memcpy(&out, body, out_size);
	if (out.fuse_major != MUSE_FUSE_KERNEL_VERSION ||
	    out.fuse_minor < MUSE_FUSE_MIN_MINOR)
		return violate(p, MUSE_INIT, 1, "init-version",
			       "FUSE %" PRIu32 ".%" PRIu32, out.fuse_major,
			       out.fuse_minor);
	if (out.flags & ~p->offered)
		return violate(p, MUSE_INIT, 1, "init-flags",
			       "accepts 0x%" PRIx32 ", 0x%" PRIx32 " offered",
			       out.flags, p->offered);
	if ((out.flags & MUSE_EXT_KERNEL_ERASE) &&
	    !(out.flags & MUSE_EXT_PASSTHROUGH))
		return violate(p, MUSE_INIT, 1, "init-flags",
			       "KERNEL_ERASE without PASSTHROUGH");
	if (out.reserved[0] || out.reserved[1] || out.reserved[2])
		return violate(p, MUSE_INIT, 1, "init-flags",
			       "reserved fields not 0");
	if (!out.max_read || out.max_read != out.max_write ||
	    (p->max_io && (out.flags & MUSE_EXT_LARGE_IO) &&
	     out.max_read > p->max_io))
		return violate(p, MUSE_INIT, 1, "init-io",
			       "max_read %" PRIu32 ", max_write %" PRIu32,
			       out.max_read, out.max_write);
	ret = parse_info(p, (const char *)body + out_size, bodylen - out_size);
	if (ret)
		return ret;
	if (!(out.flags & MUSE_EXT_OOB) && p->geo.oobsize)
		return violate(p, MUSE_INIT, 1, "init-info",
			       "OOBSIZE without the OOB extension");
	/* A v2 kernel sends a page at most, whatever max_read says. */
	p->geo.unit = p->v2 ? p->geo.writesize : out.max_read;
	p->geo.extensions = out.flags;
	return 0;
}

int muse_test_init(struct muse_test_peer *p)
{
	size_t len, bodylen = 0;
	int ret = reserve(p, sizeof(struct fuse_out_header) +
			  sizeof(struct muse_init_out) + MUSE_INIT_INFO_MAX);

	if (ret)
		return ret;
	if (p->initialised)
		return -EALREADY;
	/* INIT is the first request: unique 1, as the checks say. */
	len = p->v2 ? mf_init_v2(p->buf, 1, FUSE_KERNEL_MINOR_VERSION) :
		      mf_init_ext(p->buf, 1, p->offered, p->max_io);
	p->next_unique = 2;
	ret = exchange_init(p, len, &bodylen);
	if (ret)
		return ret;
	ret = check_init_out(p, bodylen);
	if (ret)
		return ret;
	/* The largest frame from now on: a READ reply or a WRITE request. */
	ret = reserve(p, sizeof(struct fuse_in_header) +
		      sizeof(struct muse_read_in) + p->geo.unit +
		      (size_t)(p->geo.unit / p->geo.writesize + 1) *
		      p->geo.oobsize);
	if (ret)
		return ret;
	p->initialised = true;
	return 0;
}

const struct muse_test_geometry *muse_test_geometry(
	const struct muse_test_peer *p)
{
	return p->initialised ? &p->geo : NULL;
}

const char *muse_test_violation(const struct muse_test_peer *p)
{
	return p->violated ? p->violation : NULL;
}

static const uint32_t io_mode_flags[] = {
	[MUSE_OOB_PLACE] = MUSE_IO_OOB_PLACE,
	[MUSE_OOB_AUTO] = MUSE_IO_OOB_AUTO,
	[MUSE_OOB_RAW] = MUSE_IO_RAW,
};

/* Whether the module could send @io: inside the device and the unit. */
static bool io_sendable(const struct muse_test_peer *p,
			const struct muse_test_io *io)
{
	const struct muse_test_geometry *g = &p->geo;
	uint32_t per_page = io->mode == MUSE_OOB_AUTO ? g->oobavail :
							g->oobsize;
	uint64_t pages;

	if (!p->initialised || io->mode > MUSE_OOB_RAW ||
	    io->addr >= g->size || io->len > g->unit ||
	    io->len > g->size - io->addr || (io->len && !io->buf))
		return false;
	if (!io->ooblen)
		return !io->ooboffs;
	if (!(g->extensions & MUSE_EXT_OOB) || !io->oobbuf)
		return false;
	pages = (g->unit ? g->unit : g->writesize) / g->writesize;
	if (pages > (g->size - io->addr) / g->writesize)
		pages = (g->size - io->addr) / g->writesize;
	return pages && MUSE_OOB_SPAN_FITS((uint64_t)io->ooboffs,
					   (uint64_t)io->ooblen,
					   (uint64_t)per_page, pages);
}

static size_t io_frame(struct muse_test_peer *p, uint32_t opcode,
		       uint64_t unique, const struct muse_test_io *io)
{
	const struct mf_io req = {
		.ext = !p->v2 && p->geo.extensions,
		.addr = io->addr, .len = io->len,
		.flags = p->geo.extensions & MUSE_EXT_OOB ?
			 io_mode_flags[io->mode] : 0,
		.ooboffs = io->ooboffs, .ooblen = (uint32_t)io->ooblen,
	};
	size_t n = mf_io(p->buf, opcode, unique, &req, NULL, 0);

	if (opcode != MUSE_WRITE)
		return n;
	/* The payload goes straight into the frame, data then OOB. */
	if (io->len)
		memcpy(p->buf + n, io->buf, io->len);
	if (io->ooblen)
		memcpy(p->buf + n + io->len, io->oobbuf, io->ooblen);
	return mf_io(p->buf, opcode, unique, &req, p->buf + n,
		     io->len + io->ooblen);
}

/*
 * The READ/WRITE reply head (muse_io_reply_head()'s rules): exactly the
 * body its opcode needs, the request's datalen and, extended, ooblen;
 * then a soft error muse_soft_error_valid() takes.
 */
static int check_io_out(struct muse_test_peer *p, uint32_t opcode,
			uint64_t unique, const struct muse_test_io *io,
			size_t bodylen, struct muse_read_out *out)
{
	bool ext = !p->v2 && p->geo.extensions;
	size_t read_out = ext ? sizeof(struct muse_read_out) :
				MUSE_COMPAT_READ_OUT_SIZE;
	size_t write_out = ext ? sizeof(struct muse_write_out) :
				 MUSE_COMPAT_WRITE_OUT_SIZE;
	size_t out_size = opcode == MUSE_READ ? read_out : write_out;
	size_t want = out_size;

	/* Only a READ reply carries the data and the OOB after its head. */
	if (opcode == MUSE_READ)
		want += io->len + io->ooblen;

	if (bodylen != want)
		return violate(p, opcode, unique, "reply-body",
			       "%zu bytes, %zu expected", bodylen, want);
	memset(out, 0, sizeof(*out));
	memcpy(out, p->buf + sizeof(struct fuse_out_header), out_size);
	if (out->datalen != io->len)
		return violate(p, opcode, unique, "datalen",
			       "%" PRIu64 " for a request of %zu",
			       (uint64_t)out->datalen, io->len);
	if (ext && out->ooblen != io->ooblen)
		return violate(p, opcode, unique, "ooblen",
			       "%" PRIu32 " for a request of %zu",
			       out->ooblen, io->ooblen);
	if (!muse_soft_error_valid(opcode, (int32_t)out->soft_error))
		return violate(p, opcode, unique, "soft-error",
			       "%" PRId32 " in a %s reply",
			       (int32_t)out->soft_error, opcode_name(opcode));
	return 0;
}

/* Send a READ or WRITE: in flight under a new unique. */
static int send_io(struct muse_test_peer *p, uint32_t opcode,
		   const struct muse_test_io *io, uint64_t *uniquep)
{
	uint64_t unique;
	int ret;

	p->violated = false;
	if (!io || !uniquep || !io_sendable(p, io))
		return -EINVAL;
	unique = p->next_unique++;
	ret = send_request(p, opcode, unique,
			   io_frame(p, opcode, unique, io), io);
	if (!ret)
		*uniquep = unique;
	return ret;
}

/* The READ or WRITE reply in p->buf, its header checked. */
static int finish_io(struct muse_test_peer *p, const struct in_flight *f,
		     size_t bodylen, struct muse_ecc_result *ecc)
{
	const struct muse_test_io *io = &f->io;
	struct muse_read_out out;
	const unsigned char *payload;
	int ret;

	ret = check_io_out(p, f->opcode, f->unique, io, bodylen, &out);
	if (ret)
		return ret;
	if (ecc) {
		ecc->corrected = out.corrected;
		ecc->max_bitflips = out.max_bitflips;
		ecc->failed = out.failed;
	}
	if (f->opcode == MUSE_READ) {
		payload = p->buf + sizeof(struct fuse_out_header) + bodylen -
			  io->len - io->ooblen;
		if (io->len)
			memcpy(io->buf, payload, io->len);
		if (io->ooblen)
			memcpy(io->oobbuf, payload + io->len, io->ooblen);
	}
	return (int32_t)out.soft_error;
}

int muse_test_read(struct muse_test_peer *p, const struct muse_test_io *io,
		   struct muse_ecc_result *ecc)
{
	uint64_t unique;
	int ret = send_io(p, MUSE_READ, io, &unique);

	if (ecc)
		memset(ecc, 0, sizeof(*ecc));
	return ret ? ret : muse_test_wait_reply(p, unique, ecc);
}

int muse_test_write(struct muse_test_peer *p, const struct muse_test_io *io)
{
	uint64_t unique;
	int ret = send_io(p, MUSE_WRITE, io, &unique);

	return ret ? ret : muse_test_wait_reply(p, unique, NULL);
}

/* Send ERASE, ISBAD, MARKBAD, SYNC: a request with an address or none. */
static int send_block(struct muse_test_peer *p, uint32_t opcode,
		      uint64_t addr, uint64_t len, uint64_t *uniquep)
{
	const struct muse_test_geometry *g = &p->geo;
	uint64_t unique;
	size_t frame;
	int ret;

	p->violated = false;
	if (!p->initialised || !uniquep)
		return -EINVAL;
	if (opcode != MUSE_SYNC &&
	    (addr % g->erasesize || addr >= g->size || len % g->erasesize ||
	     len > g->size - addr || (opcode == MUSE_ERASE && !len)))
		return -EINVAL;
	unique = p->next_unique++;
	if (opcode == MUSE_ERASE)
		frame = mf_erase(p->buf, unique, addr, len);
	else if (opcode == MUSE_SYNC)
		frame = mf_request(p->buf, opcode, unique, NULL, 0);
	else
		frame = mf_block(p->buf, opcode, unique, addr);
	ret = send_request(p, opcode, unique, frame, NULL);
	if (!ret)
		*uniquep = unique;
	return ret;
}

/* The reply in p->buf to a request send_block() sent, header checked. */
static int finish_block(struct muse_test_peer *p, const struct in_flight *f,
			size_t bodylen)
{
	struct muse_isbad_out out;

	if (f->opcode != MUSE_ISBAD && bodylen)
		return violate(p, f->opcode, f->unique, "reply-body",
			       "%zu bytes, none expected", bodylen);
	if (f->opcode != MUSE_ISBAD)
		return 0;
	if (bodylen != sizeof(out))
		return violate(p, f->opcode, f->unique, "reply-body",
			       "%zu bytes, %zu expected", bodylen, sizeof(out));
	memcpy(&out, p->buf + sizeof(struct fuse_out_header), sizeof(out));
	if (out.result > 1)
		return violate(p, f->opcode, f->unique, "isbad-result",
			       "%" PRIu32 ", not 0 or 1", out.result);
	return (int)out.result;
}

int muse_test_send_read(struct muse_test_peer *p,
			const struct muse_test_io *io, uint64_t *unique)
{
	return send_io(p, MUSE_READ, io, unique);
}

int muse_test_send_write(struct muse_test_peer *p,
			 const struct muse_test_io *io, uint64_t *unique)
{
	return send_io(p, MUSE_WRITE, io, unique);
}

int muse_test_send_erase(struct muse_test_peer *p, uint64_t addr,
			 uint64_t len, uint64_t *unique)
{
	return send_block(p, MUSE_ERASE, addr, len, unique);
}

int muse_test_send_isbad(struct muse_test_peer *p, uint64_t addr,
			 uint64_t *unique)
{
	return send_block(p, MUSE_ISBAD, addr, 0, unique);
}

int muse_test_send_markbad(struct muse_test_peer *p, uint64_t addr,
			   uint64_t *unique)
{
	return send_block(p, MUSE_MARKBAD, addr, 0, unique);
}

int muse_test_send_sync(struct muse_test_peer *p, uint64_t *unique)
{
	return send_block(p, MUSE_SYNC, 0, 0, unique);
}

int muse_test_poll_reply(struct muse_test_peer *p, uint64_t unique,
			 int timeout_ms)
{
	struct in_flight *f = *find_in_flight(p, unique);
	int ret;

	p->violated = false;
	if (!f)
		return -ENOENT;
	ret = receive_for(p, f, timeout_ms > 0 ? timeout_ms : 0);
	if (ret == -ETIMEDOUT)
		return 0;
	return ret ? ret : 1;
}

int muse_test_wait_reply(struct muse_test_peer *p, uint64_t unique,
			 struct muse_ecc_result *ecc)
{
	struct in_flight f;
	size_t bodylen = 0;
	int ret;

	p->violated = false;
	if (ecc)
		memset(ecc, 0, sizeof(*ecc));
	ret = take_reply(p, unique, &f, &bodylen);
	if (ret)
		return ret;
	if (f.opcode == MUSE_READ || f.opcode == MUSE_WRITE)
		return finish_io(p, &f, bodylen,
				 f.opcode == MUSE_READ ? ecc : NULL);
	return finish_block(p, &f, bodylen);
}

/* The reply to the request just sent, if it was sent. */
static int round_trip(struct muse_test_peer *p, int sent,
		      const uint64_t *unique)
{
	return sent ? sent : muse_test_wait_reply(p, *unique, NULL);
}

int muse_test_erase(struct muse_test_peer *p, uint64_t addr, uint64_t len)
{
	uint64_t unique;

	return round_trip(p, muse_test_send_erase(p, addr, len, &unique),
			  &unique);
}

int muse_test_isbad(struct muse_test_peer *p, uint64_t addr)
{
	uint64_t unique;

	return round_trip(p, muse_test_send_isbad(p, addr, &unique), &unique);
}

int muse_test_markbad(struct muse_test_peer *p, uint64_t addr)
{
	uint64_t unique;

	return round_trip(p, muse_test_send_markbad(p, addr, &unique),
			  &unique);
}

int muse_test_sync(struct muse_test_peer *p)
{
	uint64_t unique;

	return round_trip(p, muse_test_send_sync(p, &unique), &unique);
}
