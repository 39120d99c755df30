// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The loops: read requests from the fd into request slots and hand them
 * to the dispatcher.
 *
 * The fd is kept in O_NONBLOCK mode.  A loop reads until the queue is
 * empty (EAGAIN) and then sleeps in poll() on the fd and on an eventfd
 * that muse_session_exit() makes readable, so exit wakes every sleeping
 * worker at once and no worker ever blocks inside read().
 *
 * Each loop (and each worker of the multi-threaded one) reads into a
 * slot of the session's pool and reuses it for the next request; when a
 * callback keeps its request, the slot goes with the request and the
 * loop takes another, so request buffers belong to requests in flight,
 * not to workers.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "muse_i.h"

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
 * muse__receive() - wait for the next request.
 * @se:		the session.
 * @buf:	request buffer.
 * @size:	its size.
 *
 * Return: bytes read, -ECANCELED after muse_session_exit(), -ENODEV when
 * the connection is gone (which also counts as exit), or another negative
 * errno.
 */
ssize_t muse__receive(struct muse_session *se, void *buf, size_t size)
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
		if (se->poll_hook)
			se->poll_hook(se->poll_hook_arg);
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
 * muse__handle_slot() - dispatch a request read into a slot; its reply
 * goes to the fd.
 * @se:		the session.
 * @slot:	the slot holding @n bytes of request.
 * @n:		bytes read.
 *
 * Return: as muse__dispatch(): 0, MUSE__KEPT (the slot now belongs to
 * the request), or the negative errno of sending the reply.
 */
int muse__handle_slot(struct muse_session *se, struct muse_req *slot,
		      size_t n)
{
	slot->se = se;
	slot->sink = (struct muse__reply_sink){ .fd = se->fd };
	slot->scratch = slot->buf + MUSE__READ_DATA_OFFSET;
	slot->scratch_size = slot->bufsize > MUSE__READ_DATA_OFFSET ?
			     slot->bufsize - MUSE__READ_DATA_OFFSET : 0;
	return muse__dispatch(slot, slot->buf, n);
}

/*
 * A worker's slot: the one it reads into next.  Handle the request in
 * it and keep the slot for the next read unless the request took it.
 * Return: as muse__reply_outcome().
 */
static int handle_own_slot(struct muse_session *se, struct muse_req **slot,
			   size_t n)
{
	int ret = muse__handle_slot(se, *slot, n);

	if (ret == MUSE__KEPT) {
		*slot = NULL;
		return 0;
	}
	return muse__reply_outcome(se, ret);
}

/*
 * Wait for, read and answer one request.  Return: 0 to go on, 1 when the
 * loop should end normally, or a fatal negative errno.
 */
static int serve_one(struct muse_session *se, struct muse_req **slot)
{
	ssize_t n;

	if (!*slot) {
		*slot = muse__slot_get(se);
		if (!*slot)
			return -ENOMEM;
	}
	n = muse__receive(se, (*slot)->buf, (*slot)->bufsize);
	if (n == -ECANCELED || n == -ENODEV)
		return 1;
	if (n < 0)
		return (int)n;
	return handle_own_slot(se, slot, (size_t)n);
}

static int check_ready(const struct muse_session *se)
{
	if (se->fd < 0)
		return -EBADF;
	return se->initialised ? 0 : -EINVAL;
}

int muse_session_process(struct muse_session *se)
{
	struct muse_req *slot;
	ssize_t n;
	int ret;

	ret = check_ready(se);
	if (ret)
		return ret;
	slot = muse__slot_get(se);
	if (!slot)
		return -ENOMEM;
	n = read_request(se, slot->buf, slot->bufsize);
	if (n == -ENODEV)
		muse_session_exit(se);
	if (n <= 0) {
		muse__slot_put(se, slot);
		return (int)n;
	}
	ret = handle_own_slot(se, &slot, (size_t)n);
	muse__slot_put(se, slot);
	if (ret)
		return ret > 0 ? -ENODEV : ret;
	return 1;
}

/* Serve until exit, the end of the connection or a fatal error. */
static int serve(struct muse_session *se)
{
	struct muse_req *slot = NULL;
	int ret;

	do {
		ret = serve_one(se, &slot);
	} while (!ret);
	muse__slot_put(se, slot);
	return ret > 0 ? 0 : ret;
}

int muse_session_loop(struct muse_session *se)
{
	int ret = check_ready(se);

	if (ret)
		return ret;
	return serve(se);
}

struct muse_worker {
	pthread_t thread;
	struct muse_session *se;
	int ret;
};

static void *worker_main(void *arg)
{
	struct muse_worker *w = arg;

	w->ret = serve(w->se);
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
	int ret;

	ret = check_ready(se);
	if (ret)
		return ret;
	if (!threads)
		return -EINVAL;
	workers = calloc(threads, sizeof(*workers));
	if (!workers)
		return -ENOMEM;
	for (i = 0; i < threads; i++)
		workers[i].se = se;

	ret = start_workers(workers, threads, &started);
	if (ret)
		muse_session_exit(se);
	for (i = 0; i < started; i++) {
		pthread_join(workers[i].thread, NULL);
		if (!ret)
			ret = workers[i].ret;
	}
	free(workers);
	return ret;
}
