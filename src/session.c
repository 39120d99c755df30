// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Sessions: creation, the connection fd, and the loops that read requests
 * and hand them to the dispatcher.
 *
 * The fd is kept in O_NONBLOCK mode.  A loop reads until the queue is
 * empty (EAGAIN) and then sleeps in poll() on the fd and on an eventfd
 * that muse_session_exit() makes readable, so exit wakes every sleeping
 * worker at once and no worker ever blocks inside read().
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "muse_i.h"

/* muse_session_exit() runs in signal handlers. */
_Static_assert(ATOMIC_BOOL_LOCK_FREE == 2, "atomic_bool must be lock-free");

#define MUSE_SESSION_KNOWN_FLAGS (MUSE_SESSION_SPLIT_PAGES | \
				  MUSE_SESSION_NO_EXTENSIONS)

static int default_read(void *userdata, const struct muse_io *io,
			struct muse_ecc_result *ecc)
{
	return -EOPNOTSUPP;
}

static int default_write(void *userdata, const struct muse_io *io)
{
	return -EOPNOTSUPP;
}

static int default_erase(void *userdata, uint64_t addr, uint64_t len)
{
	return -EOPNOTSUPP;
}

static int default_isbad(void *userdata, uint64_t addr)
{
	return 0;
}

static int default_markbad(void *userdata, uint64_t addr)
{
	return -EOPNOTSUPP;
}

static int default_sync(void *userdata)
{
	return 0;
}

/*
 * Copy the caller's ops as far as it knows them; a caller built against a
 * newer header may pass more, which is fine as long as those callbacks
 * are unset.
 */
static int copy_ops(struct muse_ops *dst, const struct muse_ops *ops,
		    size_t ops_size)
{
	const unsigned char *extra;
	size_t i;

	memset(dst, 0, sizeof(*dst));
	if (!ops)
		ops_size = 0;
	/* Whole callbacks only: a partly copied pointer would be garbage. */
	if (ops_size % sizeof(dst->read))
		return -EINVAL;
	if (ops_size > sizeof(*dst)) {
		extra = (const unsigned char *)ops + sizeof(*dst);
		for (i = 0; i < ops_size - sizeof(*dst); i++)
			if (extra[i])
				return -EINVAL;
		ops_size = sizeof(*dst);
	}
	if (ops_size)
		memcpy(dst, ops, ops_size);

	if (!dst->read)
		dst->read = default_read;
	if (!dst->write)
		dst->write = default_write;
	if (!dst->erase)
		dst->erase = default_erase;
	if (!dst->isbad)
		dst->isbad = default_isbad;
	if (!dst->markbad)
		dst->markbad = default_markbad;
	if (!dst->sync)
		dst->sync = default_sync;
	return 0;
}

static int copy_device(struct muse_session *se, const struct muse_device *dev)
{
	se->dev = *dev;
	if (!se->dev.writebufsize)
		se->dev.writebufsize = se->dev.writesize;
	if (dev->name) {
		se->name = strdup(dev->name);
		if (!se->name)
			return -ENOMEM;
	}
	if (dev->partitions) {
		se->partitions = strdup(dev->partitions);
		if (!se->partitions)
			return -ENOMEM;
	}
	/* The caller's strings may go away; only the copies are used. */
	se->dev.name = se->name;
	se->dev.partitions = se->partitions;
	return 0;
}

int muse_session_new(const struct muse_device *dev, const struct muse_ops *ops,
		     size_t ops_size, unsigned int flags, void *userdata,
		     struct muse_session **sep)
{
	struct muse_session *se;
	int ret;

	if (!sep || !dev || (ops_size && !ops) ||
	    (flags & ~MUSE_SESSION_KNOWN_FLAGS))
		return -EINVAL;
	*sep = NULL;
	ret = muse_device_validate(dev);
	if (ret)
		return ret;

	se = calloc(1, sizeof(*se));
	if (!se)
		return -ENOMEM;
	se->fd = -1;
	se->exit_fd = -1;
	se->flags = flags;
	se->userdata = userdata;
	atomic_init(&se->exited, false);
	atomic_init(&se->reply_error_logged, false);

	ret = copy_ops(&se->ops, ops, ops_size);
	if (ret)
		goto err;
	ret = copy_device(se, dev);
	if (ret)
		goto err;

	/* Large enough for any unit INIT may negotiate. */
	se->bufsize = muse_request_size(muse_device_max_unit(&se->dev),
					se->dev.writesize, se->dev.oobsize);
	se->buf = malloc(se->bufsize);
	if (!se->buf) {
		ret = -ENOMEM;
		goto err;
	}
	se->exit_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (se->exit_fd < 0) {
		ret = -errno;
		goto err;
	}
	*sep = se;
	return 0;

err:
	muse_session_destroy(se);
	return ret;
}

void muse_session_destroy(struct muse_session *se)
{
	if (!se)
		return;
	if (se->own_fd && se->fd >= 0)
		close(se->fd);
	if (se->exit_fd >= 0)
		close(se->exit_fd);
	free(se->buf);
	free(se->name);
	free(se->partitions);
	free(se);
}

int muse_session_open(struct muse_session *se, const char *path)
{
	int fd;

	if (se->fd >= 0)
		return -EBUSY;
	fd = open(path ? path : "/dev/muse", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	se->fd = fd;
	se->own_fd = true;
	return 0;
}

int muse_session_set_fd(struct muse_session *se, int fd)
{
	int fl;

	if (se->fd >= 0)
		return -EBUSY;
	if (fd < 0)
		return -EBADF;
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	se->fd = fd;
	se->own_fd = false;
	return 0;
}

int muse_session_fd(const struct muse_session *se)
{
	return se->fd >= 0 ? se->fd : -EBADF;
}

void muse_session_exit(struct muse_session *se)
{
	const uint64_t one = 1;
	int saved_errno = errno;

	atomic_store(&se->exited, true);
	if (write(se->exit_fd, &one, sizeof(one)) < 0) {
		/* Only on counter overflow, when it is readable anyway. */
	}
	errno = saved_errno;
}

int muse_session_exited(const struct muse_session *se)
{
	return atomic_load(&((struct muse_session *)se)->exited) ? 1 : 0;
}

unsigned int muse_session_extensions(const struct muse_session *se)
{
	return se->ext;
}

uint32_t muse_session_max_io(const struct muse_session *se)
{
	return se->unit;
}

/*
 * One non-blocking read.  Return: bytes (> 0), 0 if the queue is empty,
 * -ENODEV if the connection is gone (the kernel's ENODEV, or EOF on a
 * socket standing in for the device), or another negative errno.
 */
static ssize_t read_request(struct muse_session *se, void *buf, size_t size)
{
	ssize_t n;

	do {
		n = read(se->fd, buf, size);
	} while (n < 0 && errno == EINTR);
	if (n > 0)
		return n;
	if (n == 0)
		return -ENODEV;
	if (errno == EAGAIN)
		return 0;
	return -errno;
}

/**
 * muse_receive() - wait for the next request.
 * @se:		the session.
 * @buf:	request buffer.
 * @size:	its size.
 *
 * Return: bytes read, -ECANCELED after muse_session_exit(), -ENODEV when
 * the connection is gone (which also counts as exit), or another negative
 * errno.
 */
ssize_t muse_receive(struct muse_session *se, void *buf, size_t size)
{
	bool hangup = false;

	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = se->fd, .events = POLLIN },
			{ .fd = se->exit_fd, .events = POLLIN },
		};
		ssize_t n;

		if (atomic_load(&se->exited))
			return -ECANCELED;
		n = read_request(se, buf, size);
		/* Hung up and nothing left to read: do not spin. */
		if (!n && hangup)
			n = -ENODEV;
		if (n == -ENODEV)
			muse_session_exit(se);
		if (n)
			return n;
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (pfd[0].revents & POLLNVAL)
			return -EBADF;
		if (pfd[0].revents & (POLLERR | POLLHUP))
			hangup = true;
	}
}

/**
 * muse_handle_received() - dispatch a request read from the fd and write
 * its reply there.
 * @se:		the session.
 * @buf:	the request buffer.
 * @n:		bytes of request in it.
 * @size:	size of the buffer; READ data is placed after the request.
 *
 * Return: as muse_dispatch().
 */
int muse_handle_received(struct muse_session *se, void *buf, size_t n,
			 size_t size)
{
	const size_t data_offset = sizeof(struct fuse_in_header) +
				   MUSE_EXT_IO_IN_SIZE;
	struct muse_reply_sink sink = { .fd = se->fd };

	return muse_dispatch(se, buf, n, (unsigned char *)buf + data_offset,
			     size > data_offset ? size - data_offset : 0,
			     &sink);
}

static void log_reply_error(struct muse_session *se, int err)
{
	if (atomic_exchange(&se->reply_error_logged, true))
		return;
	errno = -err;
	fprintf(stderr,
		"libmuse: cannot answer a request: %m (further such errors are not logged)\n");
}

/*
 * What a failed reply means for the loop.  ENOENT: the kernel already
 * gave up on the request, nothing to do.  A dead connection ends the
 * loop.  Anything else (the kernel rejected a reply as malformed) is
 * logged once and serving goes on.
 *
 * Return: 0 to go on, 1 when the connection is gone, or a fatal errno.
 */
static int reply_status(struct muse_session *se, int ret)
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

/*
 * Wait for, read and answer one request.  Return: 0 to go on, 1 when the
 * loop should end normally, or a fatal negative errno.
 */
static int serve_one(struct muse_session *se, void *buf, size_t size)
{
	ssize_t n = muse_receive(se, buf, size);

	if (n == -ECANCELED || n == -ENODEV)
		return 1;
	if (n < 0)
		return (int)n;
	return reply_status(se, muse_handle_received(se, buf, (size_t)n, size));
}

static int check_ready(const struct muse_session *se)
{
	if (se->fd < 0)
		return -EBADF;
	return se->initialised ? 0 : -EINVAL;
}

int muse_session_process(struct muse_session *se)
{
	ssize_t n;
	int ret;

	ret = check_ready(se);
	if (ret)
		return ret;
	n = read_request(se, se->buf, se->bufsize);
	if (n == -ENODEV)
		muse_session_exit(se);
	if (n <= 0)
		return (int)n;
	ret = reply_status(se, muse_handle_received(se, se->buf, (size_t)n,
						    se->bufsize));
	if (ret)
		return ret > 0 ? -ENODEV : ret;
	return 1;
}

/* Serve until exit, the end of the connection or a fatal error. */
static int serve(struct muse_session *se, void *buf, size_t size)
{
	int ret;

	do {
		ret = serve_one(se, buf, size);
	} while (!ret);
	return ret > 0 ? 0 : ret;
}

int muse_session_loop(struct muse_session *se)
{
	int ret = check_ready(se);

	if (ret)
		return ret;
	return serve(se, se->buf, se->bufsize);
}

struct muse_worker {
	pthread_t thread;
	struct muse_session *se;
	void *buf;
	size_t size;
	int ret;
};

static void *worker_main(void *arg)
{
	struct muse_worker *w = arg;

	w->ret = serve(w->se, w->buf, w->size);
	/* A fatal error in one worker stops the others too. */
	if (w->ret)
		muse_session_exit(w->se);
	return NULL;
}

static int start_workers(struct muse_worker *workers, unsigned int threads,
			 unsigned int *started)
{
	sigset_t all, old;
	unsigned int i;
	int ret = 0;

	/*
	 * Workers block signals so that handlers (which typically call
	 * muse_session_exit()) run in the thread that called the loop.
	 */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (i = 0; i < threads; i++) {
		ret = -pthread_create(&workers[i].thread, NULL, worker_main,
				      &workers[i]);
		if (ret)
			break;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	*started = i;
	return ret;
}

int muse_session_loop_mt(struct muse_session *se, unsigned int threads)
{
	struct muse_worker *workers;
	unsigned int i, started = 0;
	size_t size;
	int ret;

	ret = check_ready(se);
	if (ret)
		return ret;
	if (!threads)
		return -EINVAL;
	workers = calloc(threads, sizeof(*workers));
	if (!workers)
		return -ENOMEM;

	size = muse_request_size(se->unit, se->dev.writesize, se->oobsize);
	for (i = 0; i < threads; i++) {
		workers[i].se = se;
		workers[i].size = size;
		workers[i].buf = malloc(size);
		if (!workers[i].buf) {
			ret = -ENOMEM;
			goto out;
		}
	}

	ret = start_workers(workers, threads, &started);
	if (ret)
		muse_session_exit(se);
	for (i = 0; i < started; i++) {
		pthread_join(workers[i].thread, NULL);
		if (!ret)
			ret = workers[i].ret;
	}
out:
	for (i = 0; i < threads; i++)
		free(workers[i].buf);
	free(workers);
	return ret;
}
