// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * async: a template for a server that answers requests later.  The
 * callbacks only keep each request and queue it; a completion thread does
 * the work and answers, in any order, while the loop goes on reading.  A
 * server that forwards requests to hardware, another process or a timer
 * has this shape.  The flash is 4 MiB of RAM-backed NOR.
 *
 * Usage: ./async [/dev/muse | fd:N]   (fd:N: an fd already connected, as
 * the tests give it; the loop ends when the other end closes)
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <muse/muse.h>

#define FLASH_SIZE (4U << 20)
#define BLOCK_SIZE (64U << 10)

/* One kept request; io and its buffers stay valid until it is answered. */
struct job {
	enum { READ, WRITE, ERASE } op;
	struct muse_req *req;
	const struct muse_io *io;	/* READ, WRITE */
	uint64_t addr, len;		/* ERASE */
	struct job *next;
};

static unsigned char flash[FLASH_SIZE];
static struct muse_session *session;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t more = PTHREAD_COND_INITIALIZER;
static struct job *head, **tail = &head;
static int stopping;

/* Keep the request and queue it; MUSE_ASYNC tells libmuse so. */
static int queue(int op, struct muse_req *req, const struct muse_io *io,
		 uint64_t addr, uint64_t len)
{
	struct job *job = malloc(sizeof(*job));

	if (!job)
		return -ENOMEM;
	if (muse_req_keep(req)) {	/* not keepable: answer by returning */
		free(job);
		return -EOPNOTSUPP;
	}
	*job = (struct job){
		.op = op, .req = req, .io = io, .addr = addr, .len = len,
	};
	pthread_mutex_lock(&lock);
	*tail = job;
	tail = &job->next;
	pthread_cond_signal(&more);
	pthread_mutex_unlock(&lock);
	return MUSE_ASYNC;
}

static int flash_read(void *ud, struct muse_req *req,
		      const struct muse_io *io, struct muse_ecc_result *ecc)
{
	return queue(READ, req, io, 0, 0);
}

static int flash_write(void *ud, struct muse_req *req,
		       const struct muse_io *io)
{
	return queue(WRITE, req, io, 0, 0);
}

static int flash_erase(void *ud, struct muse_req *req, uint64_t addr,
		       uint64_t len)
{
	return queue(ERASE, req, NULL, addr, len);
}

/* The work, off the loop's thread; libmuse checked every address. */
static void complete(struct job *job)
{
	const struct muse_io *io = job->io;
	const unsigned char *src;
	size_t i;

	switch (job->op) {
	case READ:
		memcpy(io->buf, flash + io->addr, io->len);
		muse_reply_read(job->req, NULL);
		break;
	case WRITE:
		/* NOR programming can only clear bits; erase sets them. */
		src = io->buf;
		for (i = 0; i < io->len; i++)
			flash[io->addr + i] &= src[i];
		muse_reply_write(job->req);
		break;
	case ERASE:
		memset(flash + job->addr, 0xff, job->len);
		muse_reply_ok(job->req);
		break;
	}
	free(job);
}

static void *completer(void *arg)
{
	struct job *job;

	pthread_mutex_lock(&lock);
	for (;;) {
		while (!head && !stopping)
			pthread_cond_wait(&more, &lock);
		if (!head)
			break;
		job = head;
		head = job->next;
		if (!head)
			tail = &head;
		pthread_mutex_unlock(&lock);
		complete(job);
		pthread_mutex_lock(&lock);
	}
	pthread_mutex_unlock(&lock);
	return NULL;
}

static void on_signal(int sig)
{
	muse_session_exit(session);
}

static int connect_session(const char *where)
{
	if (where && !strncmp(where, "fd:", 3))
		return muse_session_set_fd(session, atoi(where + 3));
	return muse_session_open(session, where);
}

int main(int argc, char **argv)
{
	const struct muse_device dev = {
		.name = "async", .type = MUSE_TYPE_NOR,
		.flags = MUSE_FLAG_WRITEABLE | MUSE_FLAG_BIT_WRITEABLE,
		.size = FLASH_SIZE, .writesize = 1, .erasesize = BLOCK_SIZE,
		.writebufsize = 256, .max_io = 64U << 10,
	};
	const struct muse_ops ops = {
		.read = flash_read, .write = flash_write, .erase = flash_erase,
	};
	pthread_t thread;
	int ret;

	memset(flash, 0xff, sizeof(flash));
	ret = muse_session_new(&dev, sizeof(dev), &ops, sizeof(ops), 0, NULL,
			       &session);
	if (!ret)
		ret = connect_session(argc > 1 ? argv[1] : NULL);
	if (!ret)
		ret = muse_session_init(session);
	if (!ret)
		ret = -pthread_create(&thread, NULL, completer, NULL);
	if (!ret) {
		signal(SIGINT, on_signal);
		signal(SIGPIPE, SIG_IGN);
		/* One thread reads; any number of requests wait in the queue. */
		ret = muse_session_loop(session);
		pthread_mutex_lock(&lock);
		stopping = 1;
		pthread_cond_signal(&more);
		pthread_mutex_unlock(&lock);
		pthread_join(thread, NULL);	/* answers what is queued */
	}
	if (ret)
		fprintf(stderr, "async: %s\n", strerror(-ret));
	muse_session_destroy(session);
	return ret ? 1 : 0;
}
