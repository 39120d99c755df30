// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Asynchronous replies: callbacks keep their requests (muse_req_keep(),
 * MUSE_ASYNC) and the test answers them later, out of order, from other
 * threads, twice, wrongly or never, over a SOCK_SEQPACKET socketpair
 * standing in for /dev/muse.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "helpers.h"

#define MAX_KEPT 256

/* What the callbacks did with their requests. */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct muse_req *req[MAX_KEPT];
	const struct muse_io *io[MAX_KEPT];
	unsigned int n;
	int keep_ret;		/* muse_req_keep()'s result, last call */
	unsigned int bad;	/* surprises in callbacks (other threads) */
	bool no_keep;		/* return MUSE_ASYNC without keeping */
	int early_reply;	/* muse_reply_ok() inside a sync callback */
} kept = {
	.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER,
};

/* Keep the request, note it, and let the test answer it. */
static int keep(struct muse_req *req, const struct muse_io *io)
{
	int ret;

	if (kept.no_keep)
		return MUSE_ASYNC;
	ret = muse_req_keep(req);
	kept.keep_ret = ret;
	if (ret)
		return ret;
	pthread_mutex_lock(&kept.lock);
	/* A second keep is refused; the request stays kept. */
	if (muse_req_keep(req) != -EALREADY || kept.n == MAX_KEPT)
		kept.bad++;
	kept.req[kept.n % MAX_KEPT] = req;
	kept.io[kept.n % MAX_KEPT] = io;
	kept.n++;
	pthread_cond_broadcast(&kept.cond);
	pthread_mutex_unlock(&kept.lock);
	return MUSE_ASYNC;
}

static int async_read(void *userdata, struct muse_req *req,
		      const struct muse_io *io, struct muse_ecc_result *ecc)
{
	return keep(req, io);
}

static int async_write(void *userdata, struct muse_req *req,
		       const struct muse_io *io)
{
	return keep(req, io);
}

static int async_erase(void *userdata, struct muse_req *req, uint64_t addr,
		       uint64_t len)
{
	return keep(req, NULL);
}

/* SYNC answers at once; it may try to answer through the async API. */
static int sync_now(void *userdata, struct muse_req *req)
{
	kept.early_reply = muse_reply_ok(req);
	return 0;
}

static const struct muse_ops async_ops = {
	.read = async_read, .write = async_write, .erase = async_erase,
	.sync = sync_now,
};

struct link {
	struct muse_session *se;
	int kfd;		/* the "kernel" end */
	int sfd;		/* the session's end */
};

static int open_link(struct link *l, unsigned int flags)
{
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
				    sv), 0);
	l->kfd = sv[1];
	l->sfd = sv[0];
	assert_int_equal(muse_session_new(TEST_NAND, &async_ops,
					  sizeof(async_ops), flags, NULL,
					  &l->se), 0);
	assert_int_equal(muse_session_set_fd(l->se, l->sfd), 0);
	memset(kept.req, 0, sizeof(kept.req));
	kept.n = 0;
	kept.keep_ret = 0;
	kept.bad = 0;
	kept.no_keep = false;
	kept.early_reply = 0;
	return 0;
}

static int setup_with(void **state, unsigned int flags)
{
	struct link *l = calloc(1, sizeof(*l));
	unsigned char req[64], reply[4096];

	assert_non_null(l);
	open_link(l, flags);
	assert_int_equal(write(l->kfd, req,
			       mf_init_ext(req, 1, MUSE_EXT_ALL, 4096)),
			 sizeof(struct fuse_in_header) +
			 sizeof(struct muse_init_in));
	assert_int_equal(muse_session_init(l->se), 0);
	assert_true(read(l->kfd, reply, sizeof(reply)) > 16);
	*state = l;
	return 0;
}

static int setup(void **state)
{
	return setup_with(state, 0);
}

static int setup_split(void **state)
{
	return setup_with(state, MUSE_SESSION_SPLIT_PAGES);
}

static int teardown(void **state)
{
	struct link *l = *state;

	/* Callbacks ran on loop threads too: check what they noted. */
	assert_int_equal(kept.bad, 0);
	muse_session_destroy(l->se);
	/* Forget the handles, so LeakSanitizer sees anything not freed. */
	memset(kept.req, 0, sizeof(kept.req));
	memset(kept.io, 0, sizeof(kept.io));
	close(l->sfd);
	close(l->kfd);
	free(l);
	return 0;
}

static void send_frame(struct link *l, const void *frame, size_t n)
{
	assert_int_equal(write(l->kfd, frame, n), (ssize_t)n);
}

/* A READ of 16 bytes at @addr with 2 OOB bytes, unique @u. */
static void send_read(struct link *l, uint64_t u, uint64_t addr)
{
	const struct mf_io io = { .ext = true, .addr = addr, .len = 16,
				  .ooblen = 2 };
	unsigned char req[128];

	send_frame(l, req, mf_io(req, MUSE_READ, u, &io, NULL, 0));
}

/* A one-page WRITE of bytes (u + i), unique @u. */
static void send_write(struct link *l, uint64_t u, uint64_t addr)
{
	const struct mf_io io = { .ext = true, .addr = addr, .len = 16 };
	unsigned char req[128], data[16];
	size_t i;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(u + i);
	send_frame(l, req, mf_io(req, MUSE_WRITE, u, &io, data,
				 sizeof(data)));
}

/* No reply is waiting on the kernel end. */
static void assert_no_reply(struct link *l)
{
	unsigned char reply[64];

	assert_int_equal(recv(l->kfd, reply, sizeof(reply), MSG_DONTWAIT), -1);
	assert_int_equal(errno, EAGAIN);
}

/* Fill a kept read as the callback would: data (addr + i), OOB 0xa0+i. */
static void fill_read(const struct muse_io *io)
{
	unsigned char *data = io->buf, *oob = io->oobbuf;
	size_t i;

	for (i = 0; i < io->len; i++)
		data[i] = (unsigned char)(io->addr + i);
	for (i = 0; i < io->ooblen; i++)
		oob[i] = (unsigned char)(0xa0 + i);
}

/* The next reply answers READ @u of 16 bytes at @addr, with 2 OOB bytes. */
static void expect_read_reply(struct link *l, uint64_t u, uint64_t addr,
			      uint32_t corrected)
{
	unsigned char reply[256], want[16 + 32 + 18];
	const struct muse_read_out out = {
		.datalen = 16, .ooblen = 2, .corrected = corrected,
		.max_bitflips = corrected,
	};
	unsigned char data[18];
	ssize_t n = read(l->kfd, reply, sizeof(reply));
	size_t i;

	for (i = 0; i < 16; i++)
		data[i] = (unsigned char)(addr + i);
	data[16] = 0xa0;
	data[17] = 0xa1;
	mf_reply(want, u, 0, &out, sizeof(out), data, sizeof(data));
	assert_true(n > 0);
	assert_bytes(reply, (size_t)n, want, sizeof(want));
}

/* Answered in another order than asked: each reply carries its data. */
static void out_of_order_completion(void **state)
{
	const struct muse_ecc_result ecc = { .corrected = 1, .max_bitflips = 1 };
	struct link *l = *state;
	unsigned int i;

	for (i = 0; i < 3; i++) {
		send_read(l, 10 + i, 16 * (i + 1));
		assert_int_equal(muse_session_process(l->se), 1);
	}
	assert_int_equal(kept.n, 3);
	assert_no_reply(l);
	for (i = 0; i < 3; i++)
		fill_read(kept.io[i]);

	assert_int_equal(muse_reply_read(kept.req[2], &ecc), 0);
	assert_int_equal(muse_reply_read(kept.req[0], NULL), 0);
	assert_int_equal(muse_reply_read(kept.req[1], NULL), 0);
	expect_read_reply(l, 12, 48, 1);
	expect_read_reply(l, 10, 16, 0);
	expect_read_reply(l, 11, 32, 0);
}

struct completer {
	unsigned int count;	/* requests to wait for */
	unsigned int bad;	/* kept writes whose data changed */
};

/*
 * Another thread: wait until @count requests are kept at once, check that
 * every kept WRITE still holds its own data (buffers belong to requests,
 * not to workers), then answer them newest first.
 */
static void *complete_main(void *arg)
{
	struct completer *c = arg;
	unsigned int i, k;

	pthread_mutex_lock(&kept.lock);
	while (kept.n < c->count)
		pthread_cond_wait(&kept.cond, &kept.lock);
	pthread_mutex_unlock(&kept.lock);
	for (i = c->count; i-- > 0;) {
		const struct muse_io *io = kept.io[i];
		const unsigned char *data = io->buf;
		/* A write's data is (unique + k), unique 100 + addr / 16. */
		uint64_t u = 100 + io->addr / 16;

		for (k = 0; k < io->len; k++)
			if (data[k] != (unsigned char)(u + k))
				c->bad++;
		if (muse_reply_write(kept.req[i]))
			c->bad++;
	}
	return NULL;
}

static void *run_loop_mt(void *arg)
{
	struct link *l = arg;

	return (void *)(intptr_t)muse_session_loop_mt(l->se, 2);
}

static void completion_from_another_thread(void **state)
{
	struct link *l = *state;
	struct completer c = { .count = TDEV_SIZE / TDEV_PAGE };
	unsigned char seen[TDEV_SIZE / TDEV_PAGE] = { 0 };
	unsigned char reply[64];
	pthread_t loop, completer;
	unsigned int i;
	void *ret;

	assert_int_equal(pthread_create(&loop, NULL, run_loop_mt, l), 0);
	assert_int_equal(pthread_create(&completer, NULL, complete_main, &c),
			 0);
	for (i = 0; i < c.count; i++)
		send_write(l, 100 + i, (uint64_t)i * 16);
	for (i = 0; i < c.count; i++) {
		struct fuse_out_header out;
		ssize_t n = read(l->kfd, reply, sizeof(reply));

		assert_int_equal(n, 16 + 24);
		memcpy(&out, reply, sizeof(out));
		assert_int_equal(out.error, 0);
		assert_true(out.unique >= 100 && out.unique < 100 + c.count);
		assert_int_equal(seen[out.unique - 100], 0);
		seen[out.unique - 100] = 1;
	}
	pthread_join(completer, NULL);
	assert_int_equal(c.bad, 0);
	muse_session_exit(l->se);
	pthread_join(loop, &ret);
	assert_int_equal((intptr_t)ret, 0);
}

/*
 * Kept and never answered: the loop ends, the session goes, and nothing
 * leaks (the ASan build checks) and nothing is sent.
 */
static void never_answered_until_exit(void **state)
{
	struct link *l = *state;

	send_read(l, 20, 0);
	send_write(l, 21, 16);
	assert_int_equal(muse_session_process(l->se), 1);
	assert_int_equal(muse_session_process(l->se), 1);
	assert_int_equal(kept.n, 2);
	muse_session_exit(l->se);
	assert_int_equal(muse_session_loop(l->se), 0);
	assert_no_reply(l);
}

static void double_reply_refused(void **state)
{
	const unsigned char want[] = { OUT_HDR(16, 0, 30) };
	struct link *l = *state;
	unsigned char req[64], reply[64];

	send_frame(l, req, mf_erase(req, 30, 64, 64));
	assert_int_equal(muse_session_process(l->se), 1);
	assert_int_equal(kept.n, 1);
	assert_int_equal(muse_reply_ok(kept.req[0]), 0);
	assert_int_equal(muse_reply_ok(kept.req[0]), -EALREADY);
	assert_int_equal(muse_reply_err(kept.req[0], -EIO), -EALREADY);
	assert_bytes(reply, (size_t)read(l->kfd, reply, sizeof(reply)), want,
		     sizeof(want));
	assert_no_reply(l);
}

/* The wrong function for the operation is refused and changes nothing. */
static void wrong_reply_refused(void **state)
{
	const unsigned char want[] = { OUT_HDR(16, -EROFS, 40) };
	struct link *l = *state;
	unsigned char reply[64];

	send_write(l, 40, 0);
	assert_int_equal(muse_session_process(l->se), 1);
	assert_int_equal(muse_reply_read(kept.req[0], NULL), -EINVAL);
	assert_int_equal(muse_reply_ok(kept.req[0]), -EINVAL);
	assert_int_equal(muse_reply_isbad(kept.req[0], 0), -EINVAL);
	assert_int_equal(muse_reply_err(kept.req[0], 0), -EINVAL);
	assert_no_reply(l);
	assert_int_equal(muse_reply_err(kept.req[0], -EROFS), 0);
	assert_bytes(reply, (size_t)read(l->kfd, reply, sizeof(reply)), want,
		     sizeof(want));
}

/* MUSE_ASYNC without muse_req_keep() is a bug: the request fails. */
static void async_without_keep_fails(void **state)
{
	const unsigned char want[] = { OUT_HDR(16, -EIO, 50) };
	struct link *l = *state;
	unsigned char reply[64];

	kept.no_keep = true;
	send_read(l, 50, 0);
	assert_int_equal(muse_session_process(l->se), 1);
	assert_bytes(reply, (size_t)read(l->kfd, reply, sizeof(reply)), want,
		     sizeof(want));
}

/* Synchronous callbacks answer by returning; the async API refuses. */
static void sync_request_cannot_be_answered_early(void **state)
{
	const unsigned char want[] = { OUT_HDR(16, 0, 60) };
	struct link *l = *state;
	unsigned char req[64], reply[64];

	send_frame(l, req, mf_request(req, MUSE_SYNC, 60, NULL, 0));
	assert_int_equal(muse_session_process(l->se), 1);
	assert_int_equal(kept.early_reply, -EINVAL);
	assert_bytes(reply, (size_t)read(l->kfd, reply, sizeof(reply)), want,
		     sizeof(want));
}

/* Requests of muse_session_handle_buf() cannot be kept. */
static void handle_buf_cannot_keep(void **state)
{
	struct link *l = *state;
	unsigned char req[64], reply[256];
	ssize_t n = mf_request(req, MUSE_ERASE, 70,
			       &(struct muse_erase_in){ 0, 64 },
			       sizeof(struct muse_erase_in));

	assert_err_reply(reply, handle(l->se, req, (size_t)n, reply), 70,
			 -EOPNOTSUPP);
	assert_int_equal(kept.keep_ret, -EOPNOTSUPP);
	assert_int_equal(kept.n, 0);
}

/* Nor can a READ delivered page by page (several callbacks). */
static void split_pages_cannot_keep(void **state)
{
	const unsigned char want[] = { OUT_HDR(16, -EOPNOTSUPP, 80) };
	struct link *l = *state;
	unsigned char reply[64];

	send_read(l, 80, 0);
	assert_int_equal(muse_session_process(l->se), 1);
	assert_int_equal(kept.keep_ret, -EOPNOTSUPP);
	assert_bytes(reply, (size_t)read(l->kfd, reply, sizeof(reply)), want,
		     sizeof(want));
}

#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(out_of_order_completion),
		T(completion_from_another_thread),
		T(never_answered_until_exit),
		T(double_reply_refused),
		T(wrong_reply_refused),
		T(async_without_keep_fails),
		T(sync_request_cannot_be_answered_early),
		T(handle_buf_cannot_keep),
		cmocka_unit_test_setup_teardown(split_pages_cannot_keep,
						setup_split, teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
