// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The loops against a SOCK_SEQPACKET socketpair standing in for
 * /dev/muse: one message per read and write, like the device.  Tests that
 * need a loop asleep in poll() wait for it through the library's poll
 * hook (src/muse_i.h), never for a while.
 */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "helpers.h"
#include "muse_i.h"

#define CLIENTS 4
#define PER_CLIENT 2500
#define REQUESTS (CLIENTS * PER_CLIENT)

/* Thread-safe callbacks: reads return a pattern, the rest count. */
static atomic_uint calls;

static int pattern_read(void *userdata, struct muse_req *req,
			const struct muse_io *io, struct muse_ecc_result *ecc)
{
	unsigned char *p = io->buf;
	size_t i;

	for (i = 0; i < io->len; i++)
		p[i] = (io->addr + i) & 0xff;
	memset(io->oobbuf, 0x5a, io->ooblen);
	atomic_fetch_add(&calls, 1);
	return 0;
}

static int count_write(void *userdata, struct muse_req *req,
		       const struct muse_io *io)
{
	atomic_fetch_add(&calls, 1);
	return 0;
}

static int count_sync(void *userdata, struct muse_req *req)
{
	atomic_fetch_add(&calls, 1);
	return 0;
}

static const struct muse_ops loop_ops = {
	.read = pattern_read, .write = count_write, .sync = count_sync,
};

struct link {
	struct muse_session *se;
	int kfd;		/* the "kernel" end */
	int sfd;		/* the session's end */
	unsigned int workers;	/* for run_loop(): 0 is muse_session_loop() */
};

static int setup(void **state)
{
	struct link *l = calloc(1, sizeof(*l));
	int sv[2];

	assert_non_null(l);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
				    sv), 0);
	l->kfd = sv[1];
	l->sfd = sv[0];
	assert_int_equal(muse_session_new(TEST_NAND, &loop_ops,
					  sizeof(loop_ops), 0, NULL, &l->se),
			 0);
	assert_int_equal(muse_session_set_fd(l->se, l->sfd), 0);
	atomic_store(&calls, 0);
	*state = l;
	return 0;
}

static int teardown(void **state)
{
	struct link *l = *state;

	muse_session_destroy(l->se);
	close(l->sfd);
	if (l->kfd >= 0)
		close(l->kfd);
	free(l);
	return 0;
}

static void send_req(int fd, uint32_t opcode, uint64_t unique,
		     const void *body, size_t bodylen)
{
	unsigned char req[256];
	size_t n = mf_request(req, opcode, unique, body, bodylen);

	assert_int_equal(write(fd, req, n), (ssize_t)n);
}

static ssize_t recv_reply(int fd, void *buf, size_t size)
{
	return read(fd, buf, size);
}

/* Kernel side of INIT: an extended kernel offering everything. */
static void handshake(struct link *l)
{
	const struct muse_init_in in = {
		.fuse_major = 7, .fuse_minor = 38,
		.flags = MUSE_EXT_ALL, .max_io = 4096,
	};
	unsigned char reply[4096];
	struct fuse_out_header out;

	send_req(l->kfd, MUSE_INIT, 1, &in, sizeof(in));
	assert_int_equal(muse_session_init(l->se), 0);
	assert_true(recv_reply(l->kfd, reply, sizeof(reply)) > 16 + 32);
	memcpy(&out, reply, sizeof(out));
	assert_int_equal(out.error, 0);
	assert_int_equal(out.unique, 1);
	assert_int_equal(muse_session_extensions(l->se),
			 MUSE_EXT_OOB | MUSE_EXT_LARGE_IO |
			 MUSE_EXT_ECC_STATS);
}

static void init_over_socket(void **state)
{
	handshake(*state);
	assert_int_equal(muse_session_init(((struct link *)*state)->se),
			 -EALREADY);
}

static void init_refused_when_not_init(void **state)
{
	struct link *l = *state;
	unsigned char reply[64];

	send_req(l->kfd, MUSE_SYNC, 5, NULL, 0);
	assert_int_equal(muse_session_init(l->se), -EPROTO);
	assert_err_reply(reply, recv_reply(l->kfd, reply, sizeof(reply)), 5,
			 -EPROTO);
}

static void init_with_bad_major(void **state)
{
	const struct muse_init_in in = { .fuse_major = 6, .fuse_minor = 38 };
	struct link *l = *state;
	unsigned char reply[64];

	send_req(l->kfd, MUSE_INIT, 2, &in, MUSE_COMPAT_INIT_IN_SIZE);
	assert_int_equal(muse_session_init(l->se), -EPROTO);
	assert_err_reply(reply, recv_reply(l->kfd, reply, sizeof(reply)), 2,
			 -EPROTO);
}

/* A refused INIT reply write is what muse_session_init() returns. */
static void init_reply_write_error_is_returned(void **state)
{
	const struct muse_init_in in = { .fuse_major = 7, .fuse_minor = 38 };
	struct link *l = *state;

	send_req(l->kfd, MUSE_INIT, 3, &in, MUSE_COMPAT_INIT_IN_SIZE);
	close(l->kfd);
	l->kfd = -1;
	assert_int_equal(muse_session_init(l->se), -EPIPE);
}

static void init_ends_on_exit(void **state)
{
	struct link *l = *state;

	muse_session_exit(l->se);
	assert_int_equal(muse_session_init(l->se), -ECANCELED);
}

/* A hangup ends the session for good. */
static void init_ends_on_hangup(void **state)
{
	struct link *l = *state;

	close(l->kfd);
	l->kfd = -1;
	assert_int_equal(muse_session_init(l->se), -ENODEV);
	assert_int_equal(muse_session_init(l->se), -ECANCELED);
}

struct client {
	struct link *l;
	unsigned int id;
};

/* The request number i of client c, and what its reply must look like. */
static uint64_t unique_of(unsigned int c, unsigned int i)
{
	return ((uint64_t)(c + 1) << 32) | i;
}

static uint64_t addr_of(unsigned int i)
{
	return (uint64_t)(i % (TDEV_SIZE / 32)) * 32;
}

/* Every third request writes, every third syncs, the rest read. */
static void *client_main(void *arg)
{
	struct client *c = arg;
	unsigned char body[128];
	unsigned int i;

	for (i = 0; i < PER_CLIENT; i++) {
		uint64_t u = unique_of(c->id, i);
		size_t n;

		switch (i % 3) {
		case 0:
			n = mf_io_body(body, &(struct mf_io){
				1, addr_of(i), 32, 0, 1, 3 });
			send_req(c->l->kfd, MUSE_READ, u, body, n);
			break;
		case 1:
			n = mf_io_body(body, &(struct mf_io){
				1, addr_of(i), 32, 0, 0, 0 });
			memset(body + n, 0xee, 32);
			send_req(c->l->kfd, MUSE_WRITE, u, body, n + 32);
			break;
		default:
			send_req(c->l->kfd, MUSE_SYNC, u, NULL, 0);
		}
	}
	return NULL;
}

static void check_reply(const unsigned char *reply, ssize_t n,
			unsigned char *seen)
{
	struct fuse_out_header out;
	unsigned int c, i, k;
	const unsigned char *data;

	assert_true(n >= 16);
	memcpy(&out, reply, sizeof(out));
	assert_int_equal(out.len, n);
	assert_int_equal(out.error, 0);
	c = (unsigned int)(out.unique >> 32) - 1;
	i = (unsigned int)out.unique;
	assert_true(c < CLIENTS && i < PER_CLIENT);
	assert_int_equal(seen[c * PER_CLIENT + i], 0);
	seen[c * PER_CLIENT + i] = 1;

	switch (i % 3) {
	case 0:
		assert_int_equal(n, 16 + 32 + 32 + 3);
		data = reply + 16 + 32;
		for (k = 0; k < 32; k++)
			assert_int_equal(data[k], (addr_of(i) + k) & 0xff);
		assert_memory_equal(data + 32, "\x5a\x5a\x5a", 3);
		break;
	case 1:
		assert_int_equal(n, 16 + 24);
		break;
	default:
		assert_int_equal(n, 16);
	}
}

static void *run_loop(void *arg)
{
	struct link *l = arg;

	if (!l->workers)
		return (void *)(intptr_t)muse_session_loop(l->se);
	return (void *)(intptr_t)muse_session_loop_mt(l->se, l->workers);
}

static void mt_loop_serves_concurrent_clients(void **state)
{
	struct link *l = *state;
	struct client clients[CLIENTS];
	pthread_t server, threads[CLIENTS];
	unsigned char *seen = calloc(REQUESTS, 1);
	unsigned char reply[4096];
	unsigned int k;
	void *ret;

	assert_non_null(seen);
	handshake(l);
	l->workers = 4;
	assert_int_equal(pthread_create(&server, NULL, run_loop, l), 0);
	for (k = 0; k < CLIENTS; k++) {
		clients[k].l = l;
		clients[k].id = k;
		assert_int_equal(pthread_create(&threads[k], NULL, client_main,
						&clients[k]), 0);
	}
	for (k = 0; k < REQUESTS; k++)
		check_reply(reply, recv_reply(l->kfd, reply, sizeof(reply)),
			    seen);
	for (k = 0; k < CLIENTS; k++)
		pthread_join(threads[k], NULL);

	muse_session_exit(l->se);
	pthread_join(server, &ret);
	assert_int_equal((intptr_t)ret, 0);
	assert_int_equal(atomic_load(&calls), REQUESTS);
	for (k = 0; k < REQUESTS; k++)
		assert_int_equal(seen[k], 1);
	free(seen);
}

/*
 * The poll hook: counts the loops (workers) about to sleep in poll() and
 * runs @then once @want of them are there.  Past the hook a loop has
 * checked the exit flag and found the queue empty, so only what @then
 * does can wake it: the test goes through the wake-up it names.
 */
struct asleep {
	pthread_mutex_t lock;
	unsigned int count;
	unsigned int want;
	void (*then)(struct link *l);
	struct link *l;
};

static void on_poll(void *arg)
{
	struct asleep *a = arg;
	bool go;

	pthread_mutex_lock(&a->lock);
	go = ++a->count == a->want;
	pthread_mutex_unlock(&a->lock);
	if (go)
		a->then(a->l);
}

static void when_asleep(struct link *l, struct asleep *a, unsigned int loops,
			void (*then)(struct link *l))
{
	pthread_mutex_init(&a->lock, NULL);
	a->count = 0;
	a->want = loops;
	a->then = then;
	a->l = l;
	muse__set_poll_hook(l->se, on_poll, a);
}

static sem_t all_asleep;

static void report_asleep(struct link *l)
{
	sem_post(&all_asleep);
}

static void check_exit_from_thread(struct link *l, unsigned int workers)
{
	struct asleep asleep;
	pthread_t server;
	void *ret;

	handshake(l);
	l->workers = workers;
	assert_int_equal(sem_init(&all_asleep, 0, 0), 0);
	when_asleep(l, &asleep, workers ? workers : 1, report_asleep);
	assert_int_equal(pthread_create(&server, NULL, run_loop, l), 0);
	/* Every loop thread is past its exit check: only the wake-up works. */
	while (sem_wait(&all_asleep))
		assert_int_equal(errno, EINTR);
	muse_session_exit(l->se);
	pthread_join(server, &ret);
	sem_destroy(&all_asleep);
	assert_int_equal((intptr_t)ret, 0);
	assert_int_equal(muse_session_exited(l->se), 1);
	assert_int_equal(asleep.count, workers ? workers : 1);
}

static void exit_from_thread_stops_loop(void **state)
{
	check_exit_from_thread(*state, 0);
}

static void exit_from_thread_stops_mt_loop(void **state)
{
	check_exit_from_thread(*state, 4);
}

static struct muse_session *signalled_session;
static pthread_t signalled_thread;

static void on_alarm(int sig)
{
	muse_session_exit(signalled_session);
}

/* SIGALRM to the thread that called the loop, whose handler exits. */
static void send_alarm(struct link *l)
{
	pthread_kill(signalled_thread, SIGALRM);
}

static void arm_alarm(struct link *l, struct asleep *asleep,
		      unsigned int loops)
{
	struct sigaction sa = { .sa_handler = on_alarm };

	signalled_session = l->se;
	signalled_thread = pthread_self();
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGALRM, &sa, NULL), 0);
	when_asleep(l, asleep, loops, send_alarm);
}

static void exit_from_signal_stops_loop(void **state)
{
	struct link *l = *state;
	struct asleep asleep;

	handshake(l);
	arm_alarm(l, &asleep, 1);
	assert_int_equal(muse_session_loop(l->se), 0);
	assert_int_equal(muse_session_exited(l->se), 1);
}

/* Workers block signals: the handler runs on the thread that waits. */
static void exit_from_signal_stops_mt_loop(void **state)
{
	struct link *l = *state;
	struct asleep asleep;

	handshake(l);
	arm_alarm(l, &asleep, 3);
	assert_int_equal(muse_session_loop_mt(l->se, 3), 0);
	assert_int_equal(muse_session_exited(l->se), 1);
}

static void hang_up(struct link *l)
{
	close(l->kfd);
	l->kfd = -1;
}

/* The other end closing is the end of the connection: return 0. */
static void check_hangup(struct link *l, unsigned int workers)
{
	struct asleep asleep;
	pthread_t server;
	void *ret;

	handshake(l);
	l->workers = workers;
	when_asleep(l, &asleep, workers ? workers : 1, hang_up);
	assert_int_equal(pthread_create(&server, NULL, run_loop, l), 0);
	pthread_join(server, &ret);
	assert_int_equal((intptr_t)ret, 0);
	assert_int_equal(muse_session_exited(l->se), 1);
}

static void hangup_ends_loop(void **state)
{
	check_hangup(*state, 0);
}

static void hangup_ends_mt_loop(void **state)
{
	check_hangup(*state, 3);
}

static void process_one_at_a_time(void **state)
{
	const unsigned char want[] = { OUT_HDR(16, 0, 77) };
	struct link *l = *state;
	unsigned char reply[64];

	handshake(l);
	assert_int_equal(muse_session_process(l->se), 0);
	send_req(l->kfd, MUSE_SYNC, 77, NULL, 0);
	assert_int_equal(muse_session_process(l->se), 1);
	assert_bytes(reply, (size_t)recv_reply(l->kfd, reply, sizeof(reply)),
		     want, sizeof(want));
	assert_int_equal(muse_session_process(l->se), 0);
	close(l->kfd);
	l->kfd = -1;
	assert_int_equal(muse_session_process(l->se), -ENODEV);
	assert_int_equal(muse_session_exited(l->se), 1);
}

/* A reply that cannot be written because the peer is gone ends serving. */
static void reply_to_closed_peer_ends_session(void **state)
{
	struct link *l = *state;

	handshake(l);
	send_req(l->kfd, MUSE_SYNC, 6, NULL, 0);
	close(l->kfd);
	l->kfd = -1;
	/* The queued request is still read; its reply fails with EPIPE. */
	assert_int_equal(muse_session_process(l->se), -ENODEV);
	assert_int_equal(muse_session_exited(l->se), 1);
	assert_int_equal(atomic_load(&calls), 1);
}

/*
 * A reply the other end refuses (here: too big for the socket, EMSGSIZE,
 * as the kernel would refuse a malformed one with EINVAL) is logged once
 * and serving goes on.
 */
static void refused_replies_are_logged_once(void **state)
{
	static const struct muse_device big = {
		.name = "big", .type = MUSE_TYPE_NOR, .size = 1 << 20,
		.writesize = 4096, .erasesize = 65536, .max_io = 65536,
	};
	const struct muse_init_in in = {
		.fuse_major = 7, .fuse_minor = 38,
		.flags = MUSE_EXT_ALL, .max_io = 65536,
	};
	const unsigned char want[] = { OUT_HDR(16, 0, 4) };
	struct link *l = *state;
	unsigned char body[32], reply[4096];
	char log[512] = "";
	int sndbuf = 4096, saved_stderr;
	FILE *captured = tmpfile();
	size_t n;

	muse_session_destroy(l->se);
	assert_int_equal(muse_session_new(&big, sizeof(big), &loop_ops,
					  sizeof(loop_ops),
					  0, NULL, &l->se), 0);
	assert_int_equal(muse_session_set_fd(l->se, l->sfd), 0);
	send_req(l->kfd, MUSE_INIT, 1, &in, sizeof(in));
	assert_int_equal(muse_session_init(l->se), 0);
	assert_true(recv_reply(l->kfd, reply, sizeof(reply)) > 0);
	assert_int_equal(muse_session_max_io(l->se), 65536);
	assert_int_equal(setsockopt(l->sfd, SOL_SOCKET, SO_SNDBUF, &sndbuf,
				    sizeof(sndbuf)), 0);

	n = mf_io_body(body, &(struct mf_io){ 1, 0, 65536, 0, 0, 0 });
	send_req(l->kfd, MUSE_READ, 2, body, n);
	send_req(l->kfd, MUSE_READ, 3, body, n);
	send_req(l->kfd, MUSE_SYNC, 4, NULL, 0);

	assert_non_null(captured);
	fflush(stderr);
	saved_stderr = dup(2);
	dup2(fileno(captured), 2);
	assert_int_equal(muse_session_process(l->se), 1);
	assert_int_equal(muse_session_process(l->se), 1);
	assert_int_equal(muse_session_process(l->se), 1);
	fflush(stderr);
	dup2(saved_stderr, 2);
	close(saved_stderr);

	rewind(captured);
	n = fread(log, 1, sizeof(log) - 1, captured);
	fclose(captured);
	log[n] = '\0';
	assert_non_null(strstr(log, "libmuse: cannot answer a request"));
	assert_null(strstr(strchr(log, '\n') + 1, "libmuse"));
	/* Only the SYNC got through. */
	assert_bytes(reply, (size_t)recv_reply(l->kfd, reply, sizeof(reply)),
		     want, sizeof(want));
}

#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(init_over_socket),
		T(init_refused_when_not_init),
		T(init_with_bad_major),
		T(init_reply_write_error_is_returned),
		T(init_ends_on_exit),
		T(init_ends_on_hangup),
		T(mt_loop_serves_concurrent_clients),
		T(exit_from_thread_stops_loop),
		T(exit_from_thread_stops_mt_loop),
		T(exit_from_signal_stops_loop),
		T(exit_from_signal_stops_mt_loop),
		T(hangup_ends_loop),
		T(hangup_ends_mt_loop),
		T(process_one_at_a_time),
		T(reply_to_closed_peer_ends_session),
		T(refused_replies_are_logged_once),
	};

	/* A reply to a closed socket must fail with EPIPE, not kill us. */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
