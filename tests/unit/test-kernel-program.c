// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Kernel program and the kernel budget, library side: the extension is
 * accepted only by a session that asks for it and for kernel erase, only
 * when the kernel offers all it builds on; the calls refuse misuse before
 * any system call and pass their arguments to the ioctls as the protocol
 * lays them out.  What the kernel does with them is the vm suite's
 * business (muse-peer program).
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "helpers.h"

#define ALL3 (MUSE_EXT_PASSTHROUGH | MUSE_EXT_KERNEL_ERASE | \
	      MUSE_EXT_KERNEL_PROGRAM)
#define ASK_ALL3 (MUSE_SESSION_PASSTHROUGH | MUSE_SESSION_KERNEL_ERASE | \
		  MUSE_SESSION_KERNEL_PROGRAM)

static const struct negotiation negotiations[] = {
	{ "asked for all three, offered everything", ASK_ALL3, MUSE_EXT_ALL,
	  ALL3 },
	{ "asked for all three, offered exactly them", ASK_ALL3, ALL3, ALL3 },
	{ "kernel program not asked for",
	  ASK_ALL3 & ~MUSE_SESSION_KERNEL_PROGRAM, MUSE_EXT_ALL,
	  MUSE_EXT_PASSTHROUGH | MUSE_EXT_KERNEL_ERASE },
	/* The kernel programs only what it erases: no use without it. */
	{ "kernel erase not asked for",
	  ASK_ALL3 & ~MUSE_SESSION_KERNEL_ERASE, MUSE_EXT_ALL,
	  MUSE_EXT_PASSTHROUGH },
	{ "passthrough not asked for", ASK_ALL3 & ~MUSE_SESSION_PASSTHROUGH,
	  MUSE_EXT_ALL, 0 },
	{ "asked for kernel program only", MUSE_SESSION_KERNEL_PROGRAM,
	  MUSE_EXT_ALL, 0 },
	/* A kernel would refuse these replies; these offers are malformed. */
	{ "offered kernel program without kernel erase", ASK_ALL3,
	  MUSE_EXT_ALL & ~MUSE_EXT_KERNEL_ERASE, MUSE_EXT_PASSTHROUGH },
	{ "offered kernel program without passthrough", ASK_ALL3,
	  MUSE_EXT_ALL & ~MUSE_EXT_PASSTHROUGH, 0 },
	/* A module before 1.4. */
	{ "kernel program not offered", ASK_ALL3,
	  MUSE_EXT_ALL & ~MUSE_EXT_KERNEL_PROGRAM,
	  MUSE_EXT_PASSTHROUGH | MUSE_EXT_KERNEL_ERASE },
	{ "nothing asked", 0, MUSE_EXT_ALL, 0 },
	{ "extensions refused", ASK_ALL3 | MUSE_SESSION_NO_EXTENSIONS,
	  MUSE_EXT_ALL, 0 },
};

static void accepted_only_with_kernel_erase(void **state)
{
	assert_negotiations(negotiations,
			    sizeof(negotiations) / sizeof(negotiations[0]),
			    ALL3);
}

/* The fd of a socket, which knows none of the ioctls (-ENOTTY). */
static int give_fd(struct muse_session *se, int sv[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	assert_int_equal(muse_session_set_fd(se, sv[0]), 0);
	return sv[0];
}

static void drop(struct muse_session *se, int sv[2])
{
	muse_session_destroy(se);
	close(sv[0]);
	close(sv[1]);
}

/*
 * Without the extension in force, whatever the arguments: kernel program
 * needs its own, the budget only kernel erase.
 */
static void refused_without_the_extension(void **state)
{
	struct muse_session *se = offered_session(MUSE_SESSION_PASSTHROUGH |
						  MUSE_SESSION_KERNEL_ERASE,
						  MUSE_EXT_ALL);
	uint64_t budget = 7;
	int sv[2];

	give_fd(se, sv);
	assert_int_equal(muse_session_set_program_backing(se, 0, 1, 0, 2, 0),
			 -EOPNOTSUPP);
	assert_int_equal(muse_session_set_program_backing(se, 0, 0, 1, 0, ~0U),
			 -EOPNOTSUPP);
	assert_int_equal(muse_session_program_grant(se, 0, 1,
						    MUSE_PROGRAM_BUDGET_UNLIMITED),
			 -EOPNOTSUPP);
	assert_int_equal(muse_session_program_grant(se, 0, 0, 0), -EOPNOTSUPP);
	drop(se, sv);

	se = offered_session(MUSE_SESSION_PASSTHROUGH, MUSE_EXT_ALL);
	give_fd(se, sv);
	assert_int_equal(muse_session_set_kernel_budget(se, 1), -EOPNOTSUPP);
	assert_int_equal(muse_session_kernel_budget(se, &budget), -EOPNOTSUPP);
	assert_int_equal(budget, 7);
	assert_int_equal(muse_session_take_kernel_budget(se), -EOPNOTSUPP);
	drop(se, sv);
}

/* An fd, so that only the argument checks stand between call and ioctl. */
static void misuse_refused_before_the_kernel(void **state)
{
	struct muse_session *se = offered_session(ASK_ALL3, MUSE_EXT_ALL);
	uint64_t blocks = TDEV_SIZE / TDEV_BLOCK;
	uint64_t budget = 7;
	int sv[2];

	/* INIT went through muse_session_handle_buf(): no fd yet. */
	assert_int_equal(muse_session_set_program_backing(se, 0, 1, 0, 2, 0),
			 -EBADF);
	assert_int_equal(muse_session_program_grant(se, 0, 1, 1), -EBADF);
	assert_int_equal(muse_session_set_kernel_budget(se, 1), -EBADF);
	assert_int_equal(muse_session_kernel_budget(se, &budget), -EBADF);
	assert_int_equal(muse_session_take_kernel_budget(se), -EBADF);
	give_fd(se, sv);

	/* Rules it does not know. */
	assert_int_equal(muse_session_set_program_backing(se, 0, 1, 0, 2,
							  1U << 2), -EINVAL);
	assert_int_equal(muse_session_set_program_backing(se, 0, 1, 0, 2, ~0U),
			 -EINVAL);
	/* 4 subpages a block: a 1-byte bitmap each, at least. */
	assert_int_equal(muse_session_set_program_backing(se, 0, 0, 0, 2, 0),
			 -EINVAL);
	/* Each count a __u16 of its own, 2-byte aligned. */
	assert_int_equal(muse_session_set_program_backing(se, 0, 1, 1, 2, 0),
			 -EINVAL);
	assert_int_equal(muse_session_set_program_backing(se, 0, 1, 0, 3, 0),
			 -EINVAL);
	assert_int_equal(muse_session_set_program_backing(se, 0, 1, 0, 0, 0),
			 -EINVAL);
	/* At least one block, all inside the device. */
	assert_int_equal(muse_session_program_grant(se, 0, 0, 1), -EINVAL);
	assert_int_equal(muse_session_program_grant(se, blocks, 1, 1),
			 -EINVAL);
	assert_int_equal(muse_session_program_grant(se, 1, blocks, 0),
			 -EINVAL);
	assert_int_equal(muse_session_program_grant(se, UINT64_MAX, 2, 1),
			 -EINVAL);
	assert_int_equal(muse_session_kernel_budget(se, NULL), -EFAULT);

	/*
	 * Well-formed calls reach the fd, which answers -ENOTTY as a module
	 * before 1.4 would: kernel program cannot be in force with such a
	 * module, but the budget, which needs only kernel erase, is "not
	 * supported".  Where the state lives is the kernel's to check.
	 */
	assert_int_equal(muse_session_set_program_backing(se, UINT64_MAX, 1,
							  UINT64_MAX - 1, 2,
							  MUSE_PROGRAM_RULE_IN_ORDER |
							  MUSE_PROGRAM_RULE_WHOLE_PAGES),
			 -ENOTTY);
	assert_int_equal(muse_session_program_grant(se, 0, blocks,
						    MUSE_PROGRAM_BUDGET_UNLIMITED),
			 -ENOTTY);
	assert_int_equal(muse_session_program_grant(se, blocks - 1, 1, 0),
			 -ENOTTY);
	assert_int_equal(muse_session_set_kernel_budget(se, 0), -EOPNOTSUPP);
	assert_int_equal(muse_session_kernel_budget(se, &budget), -EOPNOTSUPP);
	assert_int_equal(budget, 7);
	assert_int_equal(muse_session_take_kernel_budget(se), -EOPNOTSUPP);
	drop(se, sv);
}

/* A device with 128 subpages a block: its bitmaps take 16 bytes. */
static void bitmap_size_from_the_geometry(void **state)
{
	const struct muse_device big = {
		.name = "big", .type = MUSE_TYPE_NAND,
		.flags = MUSE_FLAG_WRITEABLE, .size = 16 * 16384,
		.writesize = 512, .erasesize = 16384, .subpage_shift = 2,
	};
	struct muse_session *se = NULL;
	int sv[2];

	assert_int_equal(muse_session_new(&big, sizeof(big), NULL, 0,
					  ASK_ALL3, NULL, &se), 0);
	init_ext(se, MUSE_EXT_ALL, 4096);
	give_fd(se, sv);
	assert_int_equal(muse_session_set_program_backing(se, 0, 15, 16, 2, 0),
			 -EINVAL);
	assert_int_equal(muse_session_set_program_backing(se, 0, 16, 16, 2, 0),
			 -ENOTTY);
	drop(se, sv);
}

/*
 * A stand-in for the module's three ioctls on one fd, which this
 * executable's ioctl() answers (it interposes libc's for libmuse): it
 * records what it was given and keeps a budget as the module does.
 * Every other ioctl is the kernel's.
 */
static int fake_fd = -1;
static unsigned long fake_cmd;
static union {
	struct muse_program_backing backing;
	struct muse_program_grant grant;
	struct muse_kernel_budget budget;
} fake_arg;
static uint64_t fake_budget;

int ioctl(int fd, unsigned long cmd, ...)
{
	struct muse_kernel_budget *kb;
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (fd != fake_fd)
		return (int)syscall(SYS_ioctl, fd, cmd, arg);
	fake_cmd = cmd;
	switch (cmd) {
	case MUSE_IOC_PROGRAM_BACKING:
		memcpy(&fake_arg.backing, arg, sizeof(fake_arg.backing));
		return 0;
	case MUSE_IOC_PROGRAM_GRANT:
		memcpy(&fake_arg.grant, arg, sizeof(fake_arg.grant));
		return 0;
	case MUSE_IOC_KERNEL_BUDGET:
		kb = arg;
		memcpy(&fake_arg.budget, kb, sizeof(fake_arg.budget));
		if (kb->padding || kb->op > MUSE_BUDGET_TAKE)
			break;
		if (kb->op == MUSE_BUDGET_SET)
			fake_budget = kb->value;
		kb->value = fake_budget;
		if (kb->op == MUSE_BUDGET_TAKE && fake_budget &&
		    fake_budget != MUSE_BUDGET_UNLIMITED)
			fake_budget--;
		return 0;
	}
	errno = EINVAL;
	return -1;
}

static struct muse_session *faked_session(int sv[2])
{
	struct muse_session *se = offered_session(ASK_ALL3, MUSE_EXT_ALL);

	fake_fd = give_fd(se, sv);
	fake_cmd = 0;
	memset(&fake_arg, 0xa5, sizeof(fake_arg));
	return se;
}

static void unfake(struct muse_session *se, int sv[2])
{
	fake_fd = -1;
	drop(se, sv);
}

/* Each argument where the protocol wants it, padding and flags 0. */
static void arguments_reach_the_module(void **state)
{
	const unsigned int rules = MUSE_PROGRAM_RULE_IN_ORDER |
				   MUSE_PROGRAM_RULE_WHOLE_PAGES;
	int sv[2];
	struct muse_session *se = faked_session(sv);

	assert_int_equal(muse_session_set_program_backing(se, 0x100000001ULL,
							  3, 0x200000002ULL,
							  6, rules), 0);
	assert_int_equal(fake_cmd, MUSE_IOC_PROGRAM_BACKING);
	assert_int_equal(fake_arg.backing.map_offset, 0x100000001ULL);
	assert_int_equal(fake_arg.backing.map_stride, 3);
	assert_int_equal(fake_arg.backing.count_offset, 0x200000002ULL);
	assert_int_equal(fake_arg.backing.count_stride, 6);
	assert_int_equal(fake_arg.backing.rules,
			 MUSE_PROGRAM_IN_ORDER | MUSE_PROGRAM_WHOLE_PAGES);
	assert_int_equal(fake_arg.backing.flags, 0);

	assert_int_equal(muse_session_program_grant(se, 3, 5, 9), 0);
	assert_int_equal(fake_cmd, MUSE_IOC_PROGRAM_GRANT);
	assert_int_equal(fake_arg.grant.first_block, 3);
	assert_int_equal(fake_arg.grant.count, 5);
	assert_int_equal(fake_arg.grant.budget, 9);
	assert_int_equal(fake_arg.grant.padding, 0);
	assert_int_equal(muse_session_program_grant(se, 0, 1,
						    MUSE_PROGRAM_BUDGET_UNLIMITED),
			 0);
	assert_int_equal(fake_arg.grant.budget, MUSE_PROGRAM_UNLIMITED);

	assert_int_equal(muse_session_set_kernel_budget(se, 0x123456789ULL),
			 0);
	assert_int_equal(fake_cmd, MUSE_IOC_KERNEL_BUDGET);
	assert_int_equal(fake_arg.budget.op, MUSE_BUDGET_SET);
	assert_int_equal(fake_arg.budget.padding, 0);
	assert_int_equal(fake_arg.budget.value, 0x123456789ULL);
	unfake(se, sv);
}

/* GET reads the budget back; TAKE says 0 exactly when it was spent. */
static void budget_taken_to_zero(void **state)
{
	uint64_t budget = 0;
	int sv[2];
	struct muse_session *se = faked_session(sv);

	assert_int_equal(muse_session_set_kernel_budget(se, 2), 0);
	assert_int_equal(muse_session_kernel_budget(se, &budget), 0);
	assert_int_equal(fake_arg.budget.op, MUSE_BUDGET_GET);
	assert_int_equal(budget, 2);
	assert_int_equal(muse_session_take_kernel_budget(se), 1);
	assert_int_equal(fake_arg.budget.op, MUSE_BUDGET_TAKE);
	assert_int_equal(fake_arg.budget.padding, 0);
	assert_int_equal(muse_session_take_kernel_budget(se), 1);
	assert_int_equal(muse_session_take_kernel_budget(se), 0);
	assert_int_equal(muse_session_take_kernel_budget(se), 0);
	assert_int_equal(muse_session_kernel_budget(se, &budget), 0);
	assert_int_equal(budget, 0);

	/* Unlimited: every take succeeds and nothing is taken. */
	assert_int_equal(muse_session_set_kernel_budget(se,
						MUSE_KERNEL_BUDGET_UNLIMITED),
			 0);
	assert_int_equal(muse_session_take_kernel_budget(se), 1);
	assert_int_equal(muse_session_kernel_budget(se, &budget), 0);
	assert_int_equal(budget, MUSE_KERNEL_BUDGET_UNLIMITED);
	unfake(se, sv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(accepted_only_with_kernel_erase),
		cmocka_unit_test(refused_without_the_extension),
		cmocka_unit_test(misuse_refused_before_the_kernel),
		cmocka_unit_test(bitmap_size_from_the_geometry),
		cmocka_unit_test(arguments_reach_the_module),
		cmocka_unit_test(budget_taken_to_zero),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
