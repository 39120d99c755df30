// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Kernel erase, library side: the extension is accepted only by a session
 * that asks for it and for read passthrough, only when the kernel offers
 * both, and the calls refuse misuse before any system call.  What the
 * kernel does with the ioctls is the vm suite's business.
 */
#include <errno.h>
#include <stdarg.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "helpers.h"

#define BOTH (MUSE_EXT_PASSTHROUGH | MUSE_EXT_KERNEL_ERASE)
#define ASK_BOTH (MUSE_SESSION_PASSTHROUGH | MUSE_SESSION_KERNEL_ERASE)

static const struct negotiation negotiations[] = {
	{ "asked for both, offered everything", ASK_BOTH, MUSE_EXT_ALL, BOTH },
	{ "asked for both, offered exactly both", ASK_BOTH, BOTH, BOTH },
	{ "asked for passthrough only", MUSE_SESSION_PASSTHROUGH, MUSE_EXT_ALL,
	  MUSE_EXT_PASSTHROUGH },
	/* The kernel erases into the passthrough file: no use alone. */
	{ "asked for kernel erase only", MUSE_SESSION_KERNEL_ERASE,
	  MUSE_EXT_ALL, 0 },
	/* A kernel would refuse the reply; this one is malformed. */
	{ "offered kernel erase without passthrough", ASK_BOTH,
	  MUSE_EXT_ALL & ~MUSE_EXT_PASSTHROUGH, 0 },
	{ "kernel erase not offered", ASK_BOTH,
	  MUSE_EXT_ALL & ~MUSE_EXT_KERNEL_ERASE, MUSE_EXT_PASSTHROUGH },
	{ "nothing asked", 0, MUSE_EXT_ALL, 0 },
};

static void accepted_only_with_passthrough(void **state)
{
	assert_negotiations(negotiations,
			    sizeof(negotiations) / sizeof(negotiations[0]),
			    BOTH);
}

/* Without the extension in force, whatever the arguments. */
static void refused_without_the_extension(void **state)
{
	struct muse_session *se = offered_session(MUSE_SESSION_PASSTHROUGH,
						  MUSE_EXT_ALL);

	assert_int_equal(muse_session_set_erase_backing(se, 0, 0, 4),
			 -EOPNOTSUPP);
	assert_int_equal(muse_session_erase_grant(se, 0, 1,
						  MUSE_ERASE_BUDGET_UNLIMITED),
			 -EOPNOTSUPP);
	assert_int_equal(muse_session_erase_grant(se, 0, 0, 0), -EOPNOTSUPP);
	muse_session_destroy(se);
}

/* An fd, so that only the argument checks stand between call and ioctl. */
static void misuse_refused_before_the_kernel(void **state)
{
	struct muse_session *se = offered_session(ASK_BOTH, MUSE_EXT_ALL);
	uint64_t blocks = TDEV_SIZE / TDEV_BLOCK;
	int sv[2];

	/* INIT went through muse_session_handle_buf(): no fd yet. */
	assert_int_equal(muse_session_set_erase_backing(se, 0, 0, 4), -EBADF);
	assert_int_equal(muse_session_erase_grant(se, 0, 1, 1), -EBADF);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	assert_int_equal(muse_session_set_fd(se, sv[0]), 0);

	/* Each count a __u32 of its own, 4-byte aligned. */
	assert_int_equal(muse_session_set_erase_backing(se, 0, 2, 4), -EINVAL);
	assert_int_equal(muse_session_set_erase_backing(se, 0, 0, 6), -EINVAL);
	assert_int_equal(muse_session_set_erase_backing(se, 0, 0, 0), -EINVAL);
	assert_int_equal(muse_session_erase_grant(se, 0, 0, 1), -EINVAL);
	assert_int_equal(muse_session_erase_grant(se, blocks, 1, 1), -EINVAL);
	assert_int_equal(muse_session_erase_grant(se, 1, blocks, 0), -EINVAL);
	assert_int_equal(muse_session_erase_grant(se, UINT64_MAX, 2, 1),
			 -EINVAL);
	/*
	 * Well-formed calls reach the fd.  A socket knows no such ioctl:
	 * AF_UNIX answers -ENOIOCTLCMD, which the socket layer turns into
	 * -ENOTTY for a command that is not a socket ioctl.  The OOB offset
	 * is the kernel's to check against the file.
	 */
	assert_int_equal(muse_session_set_erase_backing(se, UINT64_MAX, 4, 4),
			 -ENOTTY);
	assert_int_equal(muse_session_erase_grant(se, 0, blocks,
						  MUSE_ERASE_BUDGET_UNLIMITED),
			 -ENOTTY);
	assert_int_equal(muse_session_erase_grant(se, blocks - 1, 1, 0),
			 -ENOTTY);

	muse_session_destroy(se);
	close(sv[0]);
	close(sv[1]);
}

/*
 * A stand-in for the module's MUSE_IOC_ERASE_BACKING on one fd, which
 * this executable's ioctl() answers (it interposes libc's for libmuse):
 * a module before 1.3 refuses any flag with EINVAL, a newer one takes
 * them.  Every other ioctl is the kernel's.
 */
static int fake_fd = -1;
static bool fake_old_module;
static unsigned int fake_calls;
static uint32_t fake_flags[4];

int ioctl(int fd, unsigned long cmd, ...)
{
	struct muse_erase_backing *arg;
	va_list ap;

	va_start(ap, cmd);
	arg = va_arg(ap, struct muse_erase_backing *);
	va_end(ap);
	if (fd != fake_fd || cmd != MUSE_IOC_ERASE_BACKING)
		return (int)syscall(SYS_ioctl, fd, cmd, arg);
	if (fake_calls < 4)
		fake_flags[fake_calls] = arg->flags;
	fake_calls++;
	if (arg->flags && fake_old_module) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/* One muse_session_set_erase_backing_flags() against the stand-in. */
static int set_flags(bool old_module, unsigned int flags,
		     unsigned int *in_force)
{
	struct muse_session *se = offered_session(ASK_BOTH, MUSE_EXT_ALL);
	int sv[2], ret;

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	assert_int_equal(muse_session_set_fd(se, sv[0]), 0);
	fake_fd = sv[0];
	fake_old_module = old_module;
	fake_calls = 0;
	ret = muse_session_set_erase_backing_flags(se, 0, 4, 4, flags,
						   in_force);
	fake_fd = -1;
	muse_session_destroy(se);
	close(sv[0]);
	close(sv[1]);
	return ret;
}

/* KEEP_PAGES reaches the module; an old one's EINVAL is retried without. */
static void keep_pages_or_the_old_way(void **state)
{
	unsigned int in_force = 99;

	/* A new module: one call, with the flag, and it is in force. */
	assert_int_equal(set_flags(false, MUSE_ERASE_BACKING_KEEP_PAGES,
				   &in_force), 0);
	assert_int_equal(fake_calls, 1);
	assert_int_equal(fake_flags[0], MUSE_ERASE_KEEP_PAGES);
	assert_int_equal(in_force, MUSE_ERASE_BACKING_KEEP_PAGES);

	/* An old module: refused, asked again without, and told so. */
	in_force = 99;
	assert_int_equal(set_flags(true, MUSE_ERASE_BACKING_KEEP_PAGES,
				   &in_force), 0);
	assert_int_equal(fake_calls, 2);
	assert_int_equal(fake_flags[0], MUSE_ERASE_KEEP_PAGES);
	assert_int_equal(fake_flags[1], 0);
	assert_int_equal(in_force, 0);

	/* No flag asked: one call, nothing to retry; in_force optional. */
	assert_int_equal(set_flags(true, 0, NULL), 0);
	assert_int_equal(fake_calls, 1);
	assert_int_equal(fake_flags[0], 0);

	/* A flag libmuse does not know: refused before the kernel. */
	assert_int_equal(set_flags(false, 1U << 1, &in_force), -EINVAL);
	assert_int_equal(fake_calls, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(accepted_only_with_passthrough),
		cmocka_unit_test(refused_without_the_extension),
		cmocka_unit_test(misuse_refused_before_the_kernel),
		cmocka_unit_test(keep_pages_or_the_old_way),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
