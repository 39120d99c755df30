// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The log hook: muse_set_log_func() catches every message of the library
 * (a malformed request, a slow negotiation), NULL brings back the
 * default, which writes to stderr.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "helpers.h"

/* What the capturing log function got. */
static struct {
	unsigned int count;
	enum muse_log_level level;
	char text[512];
} logged;

__attribute__((format(printf, 2, 0)))
static void capture(enum muse_log_level level, const char *fmt, va_list ap)
{
	logged.count++;
	logged.level = level;
	vsnprintf(logged.text, sizeof(logged.text), fmt, ap);
}

static int setup_capture(void **state)
{
	memset(&logged, 0, sizeof(logged));
	muse_set_log_func(capture);
	return 0;
}

static int restore_default(void **state)
{
	muse_set_log_func(NULL);
	return 0;
}

static void hook_gets_level_and_formatted_text(void **state)
{
	muse_log(MUSE_LOG_NOTICE, "libmuse: %s %d\n", "seven", 7);
	assert_int_equal(logged.count, 1);
	assert_int_equal(logged.level, MUSE_LOG_NOTICE);
	assert_string_equal(logged.text, "libmuse: seven 7\n");
}

/* The levels are syslog's, so that a hook may hand them to syslog(3). */
static void levels_are_syslogs(void **state)
{
	assert_int_equal(MUSE_LOG_EMERG, 0);
	assert_int_equal(MUSE_LOG_ERR, 3);
	assert_int_equal(MUSE_LOG_WARNING, 4);
	assert_int_equal(MUSE_LOG_DEBUG, 7);
}

/* Read back what went to fd 2 while @fn ran. */
static void stderr_of(void (*fn)(void), char *out, size_t size)
{
	int saved = dup(STDERR_FILENO);
	int mem = memfd_create("stderr", MFD_CLOEXEC);
	ssize_t n;

	assert_true(saved >= 0 && mem >= 0);
	fflush(stderr);
	assert_int_equal(dup2(mem, STDERR_FILENO), STDERR_FILENO);
	fn();
	fflush(stderr);
	assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
	close(saved);
	n = pread(mem, out, size - 1, 0);
	close(mem);
	assert_true(n >= 0);
	out[n] = '\0';
}

static void log_hello(void)
{
	muse_log(MUSE_LOG_ERR, "libmuse: hello %u\n", 42U);
}

static void null_restores_stderr(void **state)
{
	char out[128];

	muse_set_log_func(NULL);
	stderr_of(log_hello, out, sizeof(out));
	assert_string_equal(out, "libmuse: hello 42\n");
	assert_int_equal(logged.count, 0);

	/* And a hook takes stderr's place entirely. */
	muse_set_log_func(capture);
	stderr_of(log_hello, out, sizeof(out));
	assert_string_equal(out, "");
	assert_int_equal(logged.count, 1);
}

/*
 * A request whose header length is not the bytes read: answered with
 * -EINVAL and reported through the hook, once per session.
 */
static void malformed_request_reaches_the_hook(void **state)
{
	struct recorder rec;
	struct muse_session *se = new_session(&test_nand, 0, &rec);
	unsigned char req[128], reply[4096];
	size_t n;

	init_ext(se, MUSE_EXT_OOB, TDEV_MAX_IO);
	logged.count = 0;
	n = mf_block(req, MUSE_ISBAD, 77, 0);
	assert_int_equal(logged.count, 0);
	assert_err_reply(reply, handle(se, req, n - 1, reply), 77, -EINVAL);
	assert_int_equal(logged.count, 1);
	assert_int_equal(logged.level, MUSE_LOG_ERR);
	assert_non_null(strstr(logged.text, "libmuse: malformed request"));
	assert_non_null(strstr(logged.text, "unique 77"));
	assert_non_null(strstr(logged.text, "length not the bytes read"));

	/* A second one is answered alike but not logged again. */
	n = mf_request(req, 9999, 78, NULL, 0);
	assert_err_reply(reply, handle(se, req, n, reply), 78, -ENOSYS);
	assert_int_equal(logged.count, 1);
	muse_session_destroy(se);
}

/* A well-formed request is not logged. */
static void good_request_is_quiet(void **state)
{
	struct recorder rec;
	struct muse_session *se = new_session(&test_nand, 0, &rec);
	unsigned char req[128], reply[4096];

	init_ext(se, MUSE_EXT_OOB | MUSE_EXT_LARGE_IO, TDEV_MAX_IO);
	logged.count = 0;
	assert_true(handle(se, req, mf_block(req, MUSE_ISBAD, 5, 0), reply) > 0);
	assert_int_equal(logged.count, 0);
	muse_session_destroy(se);
}

/* NOR as its datasheet reads: byte writes, no write buffer, no max_io. */
static const struct muse_device bare_nor = {
	.name = "nor", .type = MUSE_TYPE_NOR, .flags = MUSE_FLAG_WRITEABLE,
	.size = 1 << 20, .writesize = 1, .erasesize = 64 << 10,
};

static void init_nor(const struct muse_device *dev, uint32_t kernel_max_io)
{
	struct muse_session *se = NULL;

	assert_int_equal(muse_session_new(dev, sizeof(*dev), NULL, 0, 0, NULL,
					  &se), 0);
	init_ext(se, MUSE_EXT_LARGE_IO, kernel_max_io);
	muse_session_destroy(se);
}

static void one_byte_unit_is_warned_once(void **state)
{
	init_nor(&bare_nor, 1 << 20);
	assert_int_equal(logged.count, 1);
	assert_int_equal(logged.level, MUSE_LOG_WARNING);
	assert_non_null(strstr(logged.text, "the I/O unit is 1 bytes"));
	assert_non_null(strstr(logged.text, "set max_io"));
}

/* max_io the kernel cannot carry: the warning says whose limit it is. */
static void small_kernel_max_io_is_named(void **state)
{
	struct muse_device dev = bare_nor;

	dev.max_io = 64 << 10;
	init_nor(&dev, 256);
	assert_int_equal(logged.count, 1);
	assert_non_null(strstr(logged.text, "the I/O unit is 256 bytes"));
	assert_non_null(strstr(logged.text, "the kernel offers no larger I/O"));
}

static void nor_with_max_io_is_quiet(void **state)
{
	struct muse_device dev = bare_nor;

	dev.max_io = 64 << 10;
	init_nor(&dev, 1 << 20);
	assert_int_equal(logged.count, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup_capture, \
					      restore_default)
		T(hook_gets_level_and_formatted_text),
		T(levels_are_syslogs),
		T(null_restores_stderr),
		T(malformed_request_reaches_the_hook),
		T(good_request_is_quiet),
		T(one_byte_unit_is_warned_once),
		T(small_kernel_max_io_is_named),
		T(nor_with_max_io_is_quiet),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
