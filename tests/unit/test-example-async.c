// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * examples/async run as a program against the test kit's peer
 * (muse/testing.h, MUSE_TEST_EXTERNAL) playing the kernel: INIT, then an
 * erase, a write and a read sent back to back (all in flight at once,
 * answered by the example's completion thread, each reply checked by the
 * kit as the module would), then a hangup, after which the example must
 * exit with status 0.
 * Usage: test-example-async PATH-TO-ASYNC
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <muse/testing.h>

#include "helpers.h"

static const char *example;

static void serves_requests_in_flight(void **state)
{
	unsigned char data[256], got[256];
	const struct muse_test_io wr = { .addr = 512, .len = sizeof(data),
					 .buf = data };
	const struct muse_test_io rd = { .addr = 512, .len = sizeof(got),
					 .buf = got };
	struct muse_test_peer *peer;
	uint64_t erase, write, read;
	int status;
	pid_t pid;
	size_t i;

	assert_int_equal(muse_test_peer_new(NULL, MUSE_EXT_ALL, 65536,
					    MUSE_TEST_EXTERNAL, &peer), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		if (dup2(muse_test_server_fd(peer), 3) == 3)
			execl(example, "async", "fd:3", (char *)NULL);
		_exit(127);
	}

	assert_int_equal(muse_test_init(peer), 0);
	assert_null(muse_test_violation(peer));

	for (i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i ^ 0x5a);
	memset(got, 0, sizeof(got));
	assert_int_equal(muse_test_send_erase(peer, 0, 64 << 10, &erase), 0);
	assert_int_equal(muse_test_send_write(peer, &wr, &write), 0);
	assert_int_equal(muse_test_send_read(peer, &rd, &read), 0);
	assert_int_equal(muse_test_wait_reply(peer, erase, NULL), 0);
	assert_int_equal(muse_test_wait_reply(peer, write, NULL), 0);
	assert_int_equal(muse_test_wait_reply(peer, read, NULL), 0);
	assert_null(muse_test_violation(peer));
	assert_memory_equal(got, data, sizeof(data));

	/* The kernel goes away: the example ends cleanly. */
	muse_test_peer_free(peer);
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
