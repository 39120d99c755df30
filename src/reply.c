// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Building and sending replies.  A reply is a fuse_out_header followed by
 * the iovecs a handler supplies; it goes out with a single writev() (the
 * kernel takes exactly one reply per write) or is gathered into a buffer
 * for muse_session_handle_buf().
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "muse_i.h"

/**
 * muse_clamp_errno() - make a callback's return value a valid reply error.
 * @ret: what the callback returned.
 *
 * The kernel rejects replies whose error is positive or below -4095, so
 * such values become -EIO rather than making the request fail with a
 * kernel log line.
 *
 * Return: 0 or a negative errno in [-4095, -1].
 */
int muse_clamp_errno(int ret)
{
	if (ret > 0 || ret < -MUSE_ERRNO_MAX)
		return -EIO;
	return ret;
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

static int sink_write(struct muse_reply_sink *sink, const struct iovec *iov,
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

static int sink_gather(struct muse_reply_sink *sink, const struct iovec *iov,
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
 * muse_reply_iov() - send a reply with a body.
 * @req:	the request answered.
 * @error:	0 or a negative errno; with an error the body is dropped.
 * @iov:	the body pieces, iov[0] reserved for the header.
 * @count:	entries in @iov including iov[0].
 *
 * Return: 0, or the negative errno of writing the reply (-ENOBUFS when
 * gathering into a buffer that is too small).
 */
int muse_reply_iov(struct muse_req *req, int error, struct iovec *iov,
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
	out.error = muse_clamp_errno(error);
	out.unique = req->unique;

	if (req->sink->fd >= 0)
		return sink_write(req->sink, iov, count, total);
	return sink_gather(req->sink, iov, count, total);
}

/**
 * muse_reply_err() - send a header-only reply carrying an error.
 * @req:	the request answered.
 * @error:	negative errno.
 *
 * Return: as muse_reply_iov().
 */
int muse_reply_err(struct muse_req *req, int error)
{
	struct iovec iov[1];

	return muse_reply_iov(req, error, iov, 1);
}
