// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Building and sending replies.  A reply is a fuse_out_header followed by
 * the iovecs a handler supplies; it goes out with a single writev() (the
 * kernel takes exactly one reply per write) or is gathered into a buffer
 * for muse_session_handle_buf().
 *
 * A request is answered in one place, muse__complete(), whether its
 * callback returned the result or kept the request and answered later
 * with muse_reply_*(): both paths build the same bytes.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "muse_i.h"

/**
 * muse__clamp_errno() - make a callback's result a valid reply error.
 * @ret: what the callback returned.
 *
 * The kernel rejects reply headers whose error is positive, at or below
 * -MUSE_ERRNO_BOUND, -EUCLEAN or -EBADMSG (muse_reply_error_valid(): a
 * read's bit flips travel in its soft_error, with the data), so such
 * values become -EIO rather than making the request fail with a kernel
 * log line.
 *
 * Return: 0 or a negative errno the kernel takes in a reply header.
 */
int muse__clamp_errno(int ret)
{
	return muse_reply_error_valid(ret) ? ret : -EIO;
}

/*
 * The fd is non-blocking for the sake of reads.  /dev/muse takes a reply
 * at once, but a socket standing in for it may be full: wait for room
 * rather than drop the reply.
 */
static int wait_writable(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };

	while (poll(&pfd, 1, -1) < 0)
		if (errno != EINTR)
			return -errno;
	return 0;
}

static int sink_write(struct muse__reply_sink *sink, const struct iovec *iov,
		      int count, size_t total)
{
	ssize_t n;

	for (;;) {
		n = writev(sink->fd, iov, count);
		if (n >= 0)
			break;
		if (errno == EAGAIN) {
			int ret = wait_writable(sink->fd);

			if (ret)
				return ret;
		} else if (errno != EINTR) {
			return -errno;
		}
	}
	/* One write takes one whole reply; anything else lost the reply. */
	return (size_t)n == total ? 0 : -EIO;
}

static int sink_gather(struct muse__reply_sink *sink, const struct iovec *iov,
		       int count, size_t total)
{
	unsigned char *dst = sink->buf;
	int i;

	if (total > sink->size)
		return -ENOBUFS;
	/*
	 * READ data may already sit at its place in the reply buffer (it
	 * was read into the scratch area there), hence memmove.
	 */
	for (i = 0; i < count; i++) {
		if (iov[i].iov_len && iov[i].iov_base != dst)
			memmove(dst, iov[i].iov_base, iov[i].iov_len);
		dst += iov[i].iov_len;
	}
	sink->len = total;
	return 0;
}

/**
 * muse__reply_iov() - send a reply with a body.
 * @req:	the request answered.
 * @error:	0 or a negative errno; with an error the body is dropped.
 * @iov:	the body pieces, iov[0] reserved for the header.
 * @count:	entries in @iov including iov[0].
 *
 * Return: 0, or the negative errno of writing the reply (-ENOBUFS when
 * gathering into a buffer that is too small).
 */
int muse__reply_iov(struct muse_req *req, int error, struct iovec *iov,
		    int count)
{
	struct fuse_out_header out;
	size_t total = 0;
	int i;

	if (error)
		count = 1;
	iov[0].iov_base = &out;
	iov[0].iov_len = sizeof(out);
	for (i = 0; i < count; i++)
		total += iov[i].iov_len;

	memset(&out, 0, sizeof(out));
	out.len = (uint32_t)total;
	out.error = muse__clamp_errno(error);
	out.unique = req->unique;

	if (req->sink.fd >= 0)
		return sink_write(&req->sink, iov, count, total);
	return sink_gather(&req->sink, iov, count, total);
}

/**
 * muse__reply_error() - send a header-only reply carrying an error.
 * @req:	the request answered.
 * @error:	negative errno (or 0 for a bodiless success).
 *
 * Return: as muse__reply_iov().
 */
int muse__reply_error(struct muse_req *req, int error)
{
	struct iovec iov[1];

	return muse__reply_iov(req, error, iov, 1);
}

/* The soft_error a read reports, as the kernel's MTD core would. */
static int32_t read_soft_error(const struct muse_session *se,
			       const struct muse_ecc_result *ecc)
{
	if (ecc->failed)
		return -EBADMSG;
	if (ecc->max_bitflips &&
	    ecc->max_bitflips >= muse__bitflip_threshold(&se->dev))
		return -EUCLEAN;
	return 0;
}

static int reply_read(struct muse_req *req, const struct muse_ecc_result *ecc)
{
	const struct muse_session *se = req->se;
	struct muse_read_out out;
	struct iovec iov[4];

	memset(&out, 0, sizeof(out));
	out.datalen = req->io.len;
	out.soft_error = (uint32_t)read_soft_error(se, ecc);
	out.ooblen = (uint32_t)req->io.ooblen;
	if (se->ext & MUSE_EXT_ECC_STATS) {
		out.max_bitflips = ecc->max_bitflips;
		out.corrected = ecc->corrected;
		out.failed = ecc->failed;
	}
	iov[1].iov_base = &out;
	iov[1].iov_len = muse__read_out_size(se);
	iov[2].iov_base = req->io.buf;
	iov[2].iov_len = req->io.len;
	iov[3].iov_base = req->io.oobbuf;
	iov[3].iov_len = req->io.ooblen;
	return muse__reply_iov(req, 0, iov, 4);
}

static int reply_write(struct muse_req *req)
{
	struct muse_write_out out;
	struct iovec iov[2];

	memset(&out, 0, sizeof(out));
	out.datalen = req->io.len;
	out.ooblen = (uint32_t)req->io.ooblen;
	iov[1].iov_base = &out;
	iov[1].iov_len = req->se->ext_layout ? sizeof(out) :
					       MUSE_COMPAT_WRITE_OUT_SIZE;
	return muse__reply_iov(req, 0, iov, 2);
}

static int reply_isbad(struct muse_req *req, int bad)
{
	struct muse_isbad_out out;
	struct iovec iov[2];

	memset(&out, 0, sizeof(out));
	out.result = (uint32_t)bad;
	iov[1].iov_base = &out;
	iov[1].iov_len = sizeof(out);
	return muse__reply_iov(req, 0, iov, 2);
}

/**
 * muse__complete() - answer a request with a callback's result.
 * @req:	the request.
 * @result:	what the callback returned, or what muse_reply_*() says.
 * @ecc:	a READ's ECC result (NULL: clean).
 *
 * Results the kernel would refuse become -EIO: positive values, errors
 * at or below -MUSE_ERRNO_BOUND, an isbad answer other than 0 and 1, and
 * MUSE_ASYNC from a callback that did not keep its request.
 *
 * Return: as muse__reply_iov().
 */
int muse__complete(struct muse_req *req, int result,
		   const struct muse_ecc_result *ecc)
{
	static const struct muse_ecc_result clean;

	if (req->opcode == MUSE_ISBAD && (result == 0 || result == 1))
		return reply_isbad(req, result);
	result = muse__clamp_errno(result);
	if (result)
		return muse__reply_error(req, result);
	switch (req->opcode) {
	case MUSE_READ:
		return reply_read(req, ecc ? ecc : &clean);
	case MUSE_WRITE:
		return reply_write(req);
	default:
		return muse__reply_error(req, 0);
	}
}

static void log_reply_error(struct muse_session *se, int err)
{
	if (atomic_exchange(&se->error_logged, true))
		return;
	muse_log(MUSE_LOG_ERR,
		 "libmuse: cannot answer a request: %s (further such errors are not logged)\n",
		 strerror(-err));
}

/**
 * muse__reply_outcome() - what a failed reply means for the session.
 * @se:		the session.
 * @ret:	the result of sending the reply.
 *
 * ENOENT: the kernel already gave up on the request, nothing to do.  A
 * dead connection ends the session.  Anything else (the kernel rejected
 * a reply as malformed) is logged once and serving goes on.
 *
 * Return: 0 to go on, 1 when the connection is gone, or a fatal errno.
 */
int muse__reply_outcome(struct muse_session *se, int ret)
{
	switch (ret) {
	case 0:
	case -ENOENT:
		return 0;
	case -ENODEV:
	case -EPIPE:
	case -ECONNRESET:
	case -ENOTCONN:
		muse_session_exit(se);
		return 1;
	case -EBADF:
		return ret;
	default:
		log_reply_error(se, ret);
		return 0;
	}
}

int muse_req_keep(struct muse_req *req)
{
	int state = atomic_load(&req->state);

	if (state == MUSE__REQ_KEPT)
		return -EALREADY;
	if (state != MUSE__REQ_CALLBACK)
		return -EINVAL;
	if (!req->keep_flag)
		return -EOPNOTSUPP;
	/* The dispatcher reads its own flag, never the request it lost. */
	*req->keep_flag = true;
	req->keep_flag = NULL;
	atomic_store(&req->state, MUSE__REQ_KEPT);
	return 0;
}

/* The opcodes a muse_reply_*() function answers, as a bit mask. */
#define OP(opcode) (1U << ((opcode) - MUSE_INIT))
#define ALL_OPS (OP(MUSE_ERASE) | OP(MUSE_READ) | OP(MUSE_WRITE) | \
		 OP(MUSE_MARKBAD) | OP(MUSE_ISBAD) | OP(MUSE_SYNC))

/* Answer a kept request whose opcode is in @ops with @result. */
static int reply_kept(struct muse_req *req, unsigned int ops, int result,
		      const struct muse_ecc_result *ecc)
{
	struct muse_session *se = req->se;
	int expected = MUSE__REQ_KEPT;
	int ret;

	if (!(OP(req->opcode) & ops))
		return atomic_load(&req->state) == MUSE__REQ_ANSWERED ?
		       -EALREADY : -EINVAL;
	if (!atomic_compare_exchange_strong(&req->state, &expected,
					    MUSE__REQ_ANSWERED))
		return expected == MUSE__REQ_ANSWERED ? -EALREADY : -EINVAL;
	ret = muse__complete(req, result, ecc);
	muse__reply_outcome(se, ret);
	muse__slot_put(se, req);
	return ret;
}

int muse_reply_read(struct muse_req *req, const struct muse_ecc_result *ecc)
{
	return reply_kept(req, OP(MUSE_READ), 0, ecc);
}

int muse_reply_write(struct muse_req *req)
{
	return reply_kept(req, OP(MUSE_WRITE), 0, NULL);
}

int muse_reply_isbad(struct muse_req *req, int bad)
{
	if (bad != 0 && bad != 1)
		return -EINVAL;
	return reply_kept(req, OP(MUSE_ISBAD), bad, NULL);
}

int muse_reply_ok(struct muse_req *req)
{
	return reply_kept(req, OP(MUSE_ERASE) | OP(MUSE_MARKBAD) |
			  OP(MUSE_SYNC), 0, NULL);
}

int muse_reply_err(struct muse_req *req, int err)
{
	if (err >= 0)
		return -EINVAL;
	return reply_kept(req, ALL_OPS, err, NULL);
}
