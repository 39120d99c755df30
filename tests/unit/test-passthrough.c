// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Read passthrough, library side: the extension is accepted only by a
 * session that asks for it and only when the kernel offers it, and the
 * calls refuse misuse before any system call.  What the kernel does with
 * the ioctls is the vm suite's "passthrough" scenario.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "helpers.h"

static void accepted_when_asked_and_offered(void **state)
{
	struct muse_session *se = offered_session(MUSE_SESSION_PASSTHROUGH,
						  MUSE_EXT_ALL);

	assert_true(muse_session_extensions(se) & MUSE_EXT_PASSTHROUGH);
	muse_session_destroy(se);
}

static void not_accepted_unasked(void **state)
{
	struct muse_session *se = offered_session(0, MUSE_EXT_ALL);

	assert_false(muse_session_extensions(se) & MUSE_EXT_PASSTHROUGH);
	assert_int_equal(muse_session_passthrough(se, 0, 1, 1), -EOPNOTSUPP);
	muse_session_destroy(se);
}

static void not_accepted_unoffered(void **state)
{
	struct muse_session *se = offered_session(MUSE_SESSION_PASSTHROUGH,
						  MUSE_EXT_ALL &
						  ~MUSE_EXT_PASSTHROUGH);

	assert_false(muse_session_extensions(se) & MUSE_EXT_PASSTHROUGH);
	muse_session_destroy(se);
}

/* An fd, so that only the argument checks stand between call and ioctl. */
static void misuse_refused_before_the_kernel(void **state)
{
	struct muse_session *se = offered_session(MUSE_SESSION_PASSTHROUGH,
						  MUSE_EXT_ALL);
	uint64_t blocks = TDEV_SIZE / TDEV_BLOCK;
	uint32_t counts[4];
	int sv[2];

	assert_int_equal(muse_session_passthrough(se, 0, 1, 1), -EBADF);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	assert_int_equal(muse_session_set_fd(se, sv[0]), 0);

	assert_int_equal(muse_session_set_backing(se, -1, 0, 0), -EBADF);
	assert_int_equal(muse_session_set_backing(se, sv[1], 0, 1U << 5),
			 -EINVAL);
	assert_int_equal(muse_session_passthrough(se, 0, 0, 1), -EINVAL);
	assert_int_equal(muse_session_passthrough(se, blocks, 1, 1), -EINVAL);
	assert_int_equal(muse_session_passthrough(se, 1, blocks, 0), -EINVAL);
	assert_int_equal(muse_session_passthrough_reads(se, 0, 4, NULL, NULL),
			 -EFAULT);
	assert_int_equal(muse_session_passthrough_reads(se, blocks - 1, 2,
							counts, NULL), -EINVAL);
	/* Well-formed calls reach the fd: a socket knows no such ioctl. */
	assert_int_equal(muse_session_passthrough(se, 0, blocks, 1), -ENOTTY);
	assert_int_equal(muse_session_set_backing(se, sv[1], 0,
						  MUSE_PT_INVERTED), -ENOTTY);

	muse_session_destroy(se);
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(accepted_when_asked_and_offered),
		cmocka_unit_test(not_accepted_unasked),
		cmocka_unit_test(not_accepted_unoffered),
		cmocka_unit_test(misuse_refused_before_the_kernel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
