// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * examples/async run as a program against a SOCK_SEQPACKET peer playing
 * the kernel: INIT, then an erase, a write and a read sent back to back
 * (all in flight at once, answered by the example's completion thread),
 * then a hangup, after which the example must exit with status 0.
 * Usage: test-example-async PATH-TO-ASYNC
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"

static const char *example;

/* The next reply: its header, checked, and its length. */
static ssize_t next_reply(int fd, void *reply, size_t size, uint64_t unique)
{
	struct fuse_out_header out;
	ssize_t n = read(fd, reply, size);

	assert_true(n >= (ssize_t)sizeof(out));
	memcpy(&out, reply, sizeof(out));
	assert_int_equal(out.len, n);
	assert_int_equal(out.error, 0);
	assert_int_equal(out.unique, unique);
	return n;
}

static void serves_requests_in_flight(void **state)
{
	const struct mf_io io = { .ext = true, .addr = 512, .len = 256 };
	unsigned char req[512], data[256], reply[4096];
	size_t head = sizeof(struct fuse_out_header) +
		      sizeof(struct muse_read_out);
	int sv[2], status;
	pid_t pid;
	size_t i;

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		close(sv[1]);
		if (dup2(sv[0], 3) == 3)
			execl(example, "async", "fd:3", (char *)NULL);
		_exit(127);
	}
	close(sv[0]);

	assert_true(write(sv[1], req, mf_init_ext(req, 1, MUSE_EXT_ALL,
						   65536)) > 0);
	assert_true(next_reply(sv[1], reply, sizeof(reply), 1) > 16 + 32);

	for (i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i ^ 0x5a);
	assert_true(write(sv[1], req, mf_erase(req, 2, 0, 64 << 10)) > 0);
	assert_true(write(sv[1], req, mf_io(req, MUSE_WRITE, 3, &io, data,
					    sizeof(data))) > 0);
	assert_true(write(sv[1], req, mf_io(req, MUSE_READ, 4, &io, NULL,
					    0)) > 0);
	assert_int_equal(next_reply(sv[1], reply, sizeof(reply), 2), 16);
	assert_int_equal(next_reply(sv[1], reply, sizeof(reply), 3), 16 + 24);
	assert_int_equal(next_reply(sv[1], reply, sizeof(reply), 4),
			 head + sizeof(data));
	assert_memory_equal(reply + head, data, sizeof(data));

	/* The kernel goes away: the example ends cleanly. */
	close(sv[1]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(serves_requests_in_flight),
	};

	if (argc != 2)
		return 2;
	example = argv[1];
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
