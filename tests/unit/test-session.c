// SPDX-License-Identifier: LGPL-2.1-or-later
/* Session creation: device validation, ops copying, fd handling. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"

/*
 * Apply one mistake to a copy of the test device.  These are the rules
 * only the library checks; what the kernel module refuses as well is in
 * the shared table tests/lib/device-cases.c (test-device-cases.c).
 */
struct bad_device {
	const char *what;
	void (*spoil)(struct muse_device *dev);
};

#define SPOIL(name, stmt) \
	static void name(struct muse_device *dev) { stmt; }

/* The library sends no ECCSTEP without ECC: a step alone is a mistake. */
SPOIL(ecc_step_without_strength, dev->ecc_strength = 0)
SPOIL(max_io_not_writebufs, dev->max_io = 24)
SPOIL(huge_requests, (dev->writesize = 1, dev->erasesize = 1024,
		      dev->oobsize = 1, dev->oobavail = 0,
		      dev->ecc_strength = 0, dev->ecc_step = 0,
		      dev->max_io = 256U << 20))
SPOIL(parts_empty, dev->partitions = "")
SPOIL(reserved_set, dev->reserved[7] = 1)

static void invalid_descriptions_are_einval(void **state)
{
	static const struct bad_device bad[] = {
#define BAD(name) { #name, name }
		BAD(ecc_step_without_strength), BAD(max_io_not_writebufs),
		BAD(huge_requests), BAD(parts_empty), BAD(reserved_set),
#undef BAD
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct muse_device dev = test_nand;
		/* Not NULL, to see that a failure clears it. */
		struct muse_session *se = (struct muse_session *)&dev;
		int ret;

		bad[i].spoil(&dev);
		ret = muse_session_new(&dev, sizeof(dev), NULL, 0, 0, NULL,
				       &se);
		if (ret != -EINVAL)
			fail_msg("%s: got %d", bad[i].what, ret);
		assert_null(se);
	}
}

static void valid_descriptions(void **state)
{
	static const struct muse_device nor = {
		.type = MUSE_TYPE_NOR, .flags = MUSE_FLAG_WRITEABLE |
		MUSE_FLAG_BIT_WRITEABLE, .size = 16U << 20, .writesize = 1,
		.erasesize = 65536, .writebufsize = 256, .max_io = 65536,
		.name = "0123456789012345678901234567890123456789012345678901"
			"234567890123",
		.partitions = "1M(boot)ro,0x100000@0x200000(data),-(rest)",
	};
	struct muse_session *se = NULL;

	assert_int_equal(muse_session_new(&nor, sizeof(nor), NULL, 0, 0, NULL,
					  &se), 0);
	muse_session_destroy(se);
	assert_int_equal(muse_session_new(TEST_NAND, NULL,
					  0, MUSE_SESSION_SPLIT_PAGES |
					  MUSE_SESSION_NO_EXTENSIONS,
					  NULL, &se), 0);
	muse_session_destroy(se);
	muse_session_destroy(NULL);
}

/*
 * The description's size travels with it: a caller built against 1.0
 * passes at least 1.0's fields; one built against a newer header may
 * pass more, as long as what this library does not know is zero.
 */
static void device_size_rules(void **state)
{
	struct {
		struct muse_device dev;
		uint64_t newer;
	} big = { .dev = test_nand };
	struct muse_session *se = NULL;

	assert_int_equal(muse_session_new(&big.dev, sizeof(big), NULL, 0, 0,
					  NULL, &se), 0);
	muse_session_destroy(se);
	big.newer = 1;
	assert_int_equal(muse_session_new(&big.dev, sizeof(big), NULL, 0, 0,
					  NULL, &se), -EINVAL);
	/* Without the reserved space (which then counts as zero). */
	assert_int_equal(muse_session_new(&test_nand,
					  offsetof(struct muse_device,
						   reserved), NULL, 0, 0,
					  NULL, &se), 0);
	muse_session_destroy(se);
	/* Without partitions, a field 1.0 has: too small. */
	assert_int_equal(muse_session_new(&test_nand,
					  offsetof(struct muse_device,
						   partitions), NULL, 0, 0,
					  NULL, &se), -EINVAL);
	assert_int_equal(muse_session_new(&test_nand, 0, NULL, 0, 0, NULL,
					  &se), -EINVAL);
}

static void version_at_run_time(void **state)
{
	uint32_t v = muse_version();

	assert_int_equal(v >> 16, MUSE_VERSION_MAJOR);
	assert_true(v >= MUSE_VERSION);
	assert_int_equal(MUSE_VERSION, MUSE_VERSION_NUMBER(1, 4, 0));
}

static void bad_arguments_are_einval(void **state)
{
	struct muse_session *se = NULL;

	assert_int_equal(muse_session_new(NULL, 0, NULL, 0, 0, NULL, &se),
			 -EINVAL);
	assert_int_equal(muse_session_new(TEST_NAND, NULL, 0, 0, NULL, NULL),
			 -EINVAL);
	assert_int_equal(muse_session_new(TEST_NAND, NULL, 0, 1U << 31, NULL,
					  &se), -EINVAL);
	assert_int_equal(muse_session_new(TEST_NAND, NULL, 8, 0, NULL, &se),
			 -EINVAL);
	/* Not a whole number of callbacks. */
	assert_int_equal(muse_session_new(TEST_NAND, &test_ops, 3, 0, NULL,
					  &se), -EINVAL);
}

static int never_called(void *userdata, struct muse_req *req)
{
	fail_msg("a callback beyond ops_size was used");
	return 0;
}

/* Only ops_size bytes of the ops count; the rest are defaults. */
static void ops_size_limits_the_copy(void **state)
{
	struct muse_ops ops = { .sync = never_called };
	const unsigned char want[] = { OUT_HDR(16, 0, 9) };
	unsigned char req[64], reply[64];
	struct muse_session *se = NULL;
	size_t n;

	assert_int_equal(muse_session_new(TEST_NAND, &ops,
					  offsetof(struct muse_ops, sync), 0,
					  NULL, &se), 0);
	init_v2(se);
	n = mf_request(req, MUSE_SYNC, 9, NULL, 0);
	assert_bytes(reply, (size_t)handle(se, req, n, reply), want,
		     sizeof(want));
	muse_session_destroy(se);
}

/* A caller built against a newer header may pass more, if unset. */
static void larger_ops_must_be_zero_beyond_ours(void **state)
{
	struct {
		struct muse_ops ops;
		void (*newer)(void);
	} big = { .ops = { .sync = never_called } };
	struct muse_session *se = NULL;

	assert_int_equal(muse_session_new(TEST_NAND, &big.ops, sizeof(big), 0,
					  NULL, &se), 0);
	muse_session_destroy(se);
	big.newer = (void (*)(void))never_called;
	assert_int_equal(muse_session_new(TEST_NAND, &big.ops, sizeof(big), 0,
					  NULL, &se), -EINVAL);
}

static void fd_handling(void **state)
{
	struct recorder rec;
	struct muse_session *se = new_session(&test_nand, 0, &rec);
	int p[2];

	assert_int_equal(muse_session_fd(se), -EBADF);
	assert_int_equal(muse_session_init(se), -EBADF);
	assert_int_equal(muse_session_loop(se), -EBADF);
	assert_int_equal(muse_session_process(se), -EBADF);
	assert_int_equal(muse_session_set_fd(se, -1), -EBADF);
	assert_int_equal(muse_session_open(se, "/nonexistent/muse"), -ENOENT);

	assert_int_equal(pipe(p), 0);
	assert_int_equal(muse_session_set_fd(se, p[0]), 0);
	assert_int_equal(muse_session_fd(se), p[0]);
	assert_true(fcntl(p[0], F_GETFL) & O_NONBLOCK);
	assert_int_equal(muse_session_set_fd(se, p[1]), -EBUSY);
	assert_int_equal(muse_session_open(se, "/dev/null"), -EBUSY);
	/* Not initialised yet. */
	assert_int_equal(muse_session_loop(se), -EINVAL);
	assert_int_equal(muse_session_loop_mt(se, 2), -EINVAL);
	assert_int_equal(muse_session_process(se), -EINVAL);
	muse_session_destroy(se);
	/* The session did not own the fd: it is still open. */
	assert_int_equal(close(p[0]), 0);
	assert_int_equal(close(p[1]), 0);
}

/* An fd the session opened is its own: destroy closes it. */
static void open_owns_the_fd(void **state)
{
	struct recorder rec;
	struct muse_session *se = new_session(&test_nand, 0, &rec);
	int fd;

	assert_int_equal(muse_session_open(se, "/dev/null"), 0);
	fd = muse_session_fd(se);
	assert_true(fd >= 0);
	assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	muse_session_destroy(se);
	assert_int_equal(fcntl(fd, F_GETFD), -1);
}

static void exit_flag(void **state)
{
	struct recorder rec;
	struct muse_session *se = new_session(&test_nand, 0, &rec);

	assert_int_equal(muse_session_exited(se), 0);
	muse_session_exit(se);
	muse_session_exit(se);
	assert_int_equal(muse_session_exited(se), 1);
	muse_session_destroy(se);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(invalid_descriptions_are_einval),
		cmocka_unit_test(valid_descriptions),
		cmocka_unit_test(device_size_rules),
		cmocka_unit_test(version_at_run_time),
		cmocka_unit_test(bad_arguments_are_einval),
		cmocka_unit_test(ops_size_limits_the_copy),
		cmocka_unit_test(larger_ops_must_be_zero_beyond_ours),
		cmocka_unit_test(fd_handling),
		cmocka_unit_test(open_owns_the_fd),
		cmocka_unit_test(exit_flag),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
