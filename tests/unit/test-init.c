// SPDX-License-Identifier: LGPL-2.1-or-later
/* MUSE_INIT: version checks, negotiation and the exact reply bytes. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"

#define V2_INFO "NAME=t\0TYPE=4\0FLAGS=1024\0SIZE=1024\0WRITESIZE=16\0" \
		"ERASESIZE=64"
#define OOB_INFO "OOBSIZE=4\0OOBAVAIL=2"
#define ECC_INFO "ECCSTRENGTH=4\0ECCSTEP=16"

/* Send INIT with @body and check the reply against header+out+info. */
static void check_init(struct muse_session *se, const void *body,
		       size_t bodylen, const unsigned char *want_out,
		       size_t outlen, const char *info, size_t infolen)
{
	unsigned char req[128], reply[4096], want[4096];
	size_t n = mf_request(req, MUSE_INIT, 1, body, bodylen);
	ssize_t r = handle(se, req, n, reply);
	size_t total = 16 + outlen + infolen;
	const unsigned char hdr[] = { OUT_HDR(total, 0, 1) };

	memcpy(want, hdr, sizeof(hdr));
	memcpy(want + 16, want_out, outlen);
	memcpy(want + 16 + outlen, info, infolen);
	assert_true(r > 0);
	assert_bytes(reply, (size_t)r, want, total);
}

static void v2_peer_gets_16_bytes_and_v2_keys(void **state)
{
	const struct muse_init_in in = { .fuse_major = 7, .fuse_minor = 31 };
	const unsigned char out[] = {
		LE32(7), LE32(FUSE_KERNEL_MINOR_VERSION), LE32(16), LE32(16),
	};
	const char info[] = V2_INFO;
	struct recorder rec;
	struct muse_session *se = new_session(&test_nand, 0, &rec);

	check_init(se, &in, MUSE_COMPAT_INIT_IN_SIZE, out, sizeof(out),
		   info, sizeof(info));
	assert_int_equal(muse_session_extensions(se), 0);
	assert_int_equal(muse_session_max_io(se), TDEV_PAGE);
	muse_session_destroy(se);
}

static void extended_peer_gets_what_the_device_needs(void **state)
{
	const struct muse_init_in in = {
		.fuse_major = 7, .fuse_minor = 38,
		.flags = MUSE_EXT_ALL, .max_io = 4096,
	};
	const unsigned char out[] = {
		LE32(7), LE32(FUSE_KERNEL_MINOR_VERSION), LE32(32), LE32(32),
		LE32(7), LE32(0), LE32(0), LE32(0),
	};
	const char info[] = V2_INFO "\0" OOB_INFO "\0" ECC_INFO;
	struct recorder rec;
	struct muse_session *se = new_session(&test_nand, 0, &rec);

	check_init(se, &in, sizeof(in), out, sizeof(out), info, sizeof(info));
	/* Passthrough and kernel erase only for a session that asks. */
	assert_int_equal(muse_session_extensions(se),
			 MUSE_EXT_OOB | MUSE_EXT_LARGE_IO |
			 MUSE_EXT_ECC_STATS);
	assert_int_equal(muse_session_max_io(se), TDEV_MAX_IO);
	muse_session_destroy(se);
}

static void extended_peer_offering_only_oob(void **state)
{
	const struct muse_init_in in = {
		.fuse_major = 7, .fuse_minor = 38,
		.flags = MUSE_EXT_OOB | (1U << 7), .max_io = 4096,
	};
	const unsigned char out[] = {
		LE32(7), LE32(FUSE_KERNEL_MINOR_VERSION), LE32(16), LE32(16),
		LE32(1), LE32(0), LE32(0), LE32(0),
	};
	const char info[] = V2_INFO "\0" OOB_INFO "\0" ECC_INFO;
	struct recorder rec;
	struct muse_session *se = new_session(&test_nand, 0, &rec);

	check_init(se, &in, sizeof(in), out, sizeof(out), info, sizeof(info));
	assert_int_equal(muse_session_extensions(se), MUSE_EXT_OOB);
	muse_session_destroy(se);
}

/* Nothing offered: extended reply with flags 0, and no OOB keys. */
static void extended_peer_offering_nothing(void **state)
{
	const struct muse_init_in in = {
		.fuse_major = 7, .fuse_minor = 38, .max_io = 4096,
	};
	const unsigned char out[] = {
		LE32(7), LE32(FUSE_KERNEL_MINOR_VERSION), LE32(16), LE32(16),
		LE32(0), LE32(0), LE32(0), LE32(0),
	};
	const char info[] = V2_INFO "\0" ECC_INFO;
	struct recorder rec;
	struct muse_session *se = new_session(&test_nand, 0, &rec);

	check_init(se, &in, sizeof(in), out, sizeof(out), info, sizeof(info));
	assert_int_equal(muse_session_extensions(se), 0);
	muse_session_destroy(se);
}

/* The kernel's max_io bounds the unit; one page is no large I/O. */
static void small_kernel_max_io_means_no_large_io(void **state)
{
	struct recorder rec;
	struct muse_session *se = new_session(&test_nand, 0, &rec);

	init_ext(se, MUSE_EXT_ALL, TDEV_PAGE);
	assert_int_equal(muse_session_extensions(se),
			 MUSE_EXT_OOB | MUSE_EXT_ECC_STATS);
	assert_int_equal(muse_session_max_io(se), TDEV_PAGE);
	muse_session_destroy(se);
}

static void no_extensions_session_answers_like_v2(void **state)
{
	const struct muse_init_in in = {
		.fuse_major = 7, .fuse_minor = 38,
		.flags = MUSE_EXT_ALL, .max_io = 4096,
	};
	const unsigned char out[] = {
		LE32(7), LE32(FUSE_KERNEL_MINOR_VERSION), LE32(16), LE32(16),
	};
	const char info[] = V2_INFO;
	struct recorder rec;
	struct muse_session *se = new_session(&test_nand,
					      MUSE_SESSION_NO_EXTENSIONS, &rec);

	check_init(se, &in, sizeof(in), out, sizeof(out), info, sizeof(info));
	assert_int_equal(muse_session_extensions(se), 0);
	muse_session_destroy(se);
}

/* Every optional key, a larger write buffer, and the default name. */
static void extended_keys_and_default_name(void **state)
{
	struct muse_device dev = test_nand;
	const struct muse_init_in in = {
		.fuse_major = 7, .fuse_minor = 38,
		.flags = MUSE_EXT_ALL, .max_io = 4096,
	};
	const unsigned char out[] = {
		LE32(7), LE32(FUSE_KERNEL_MINOR_VERSION), LE32(64), LE32(64),
		LE32(7), LE32(0), LE32(0), LE32(0),
	};
	static const char rest[] =
		"TYPE=4\0FLAGS=1024\0SIZE=1024\0WRITESIZE=16\0ERASESIZE=64\0"
		"WRITEBUFSIZE=32\0" OOB_INFO "\0SUBPAGESHIFT=1\0" ECC_INFO "\0"
		"BITFLIPTHRESHOLD=2\0PARTSCMDLINE=128(boot)ro,-(ubi)";
	char info[512];
	int infolen;
	struct recorder rec;
	struct muse_session *se;

	dev.name = NULL;
	dev.writebufsize = 32;
	dev.max_io = 64;
	dev.subpage_shift = 1;
	dev.bitflip_threshold = 2;
	dev.partitions = "128(boot)ro,-(ubi)";
	se = new_session(&dev, 0, &rec);
	infolen = snprintf(info, sizeof(info), "NAME=muse-%ld", (long)getpid());
	memcpy(info + infolen + 1, rest, sizeof(rest));
	infolen += 1 + sizeof(rest);
	check_init(se, &in, sizeof(in), out, sizeof(out), info,
		   (size_t)infolen);
	muse_session_destroy(se);
}

static void bad_major_is_eproto(void **state)
{
	const struct muse_init_in in = { .fuse_major = 8, .fuse_minor = 38 };
	struct recorder rec;
	struct muse_session *se = new_session(&test_nand, 0, &rec);

	expect_error(se, MUSE_INIT, &in, MUSE_COMPAT_INIT_IN_SIZE, -EPROTO);
	/* Still uninitialised: other requests are refused. */
	expect_error(se, MUSE_SYNC, NULL, 0, -EPROTO);
	muse_session_destroy(se);
}

static void bad_body_length_is_eproto(void **state)
{
	static const size_t lens[] = { 0, 4, 12, 16, 23, 25, 32 };
	const struct muse_init_in in[2] = {
		{ .fuse_major = 7, .fuse_minor = 38 },
	};
	struct recorder rec;
	struct muse_session *se = new_session(&test_nand, 0, &rec);
	size_t i;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
		expect_error(se, MUSE_INIT, in, lens[i], -EPROTO);
	muse_session_destroy(se);
}

static void request_before_init_is_eproto(void **state)
{
	unsigned char body[64] = { 0 };
	struct recorder rec;
	struct muse_session *se = new_session(&test_nand, 0, &rec);
	uint32_t op;

	for (op = MUSE_ERASE; op <= MUSE_SYNC; op++)
		expect_error(se, op, body, sizeof(body), -EPROTO);
	assert_int_equal(rec.ncalls, 0);
	muse_session_destroy(se);
}

static void second_init_is_eproto(void **state)
{
	const struct muse_init_in in = { .fuse_major = 7, .fuse_minor = 38 };
	struct recorder rec;
	struct muse_session *se = new_session(&test_nand, 0, &rec);

	init_v2(se);
	expect_error(se, MUSE_INIT, &in, MUSE_COMPAT_INIT_IN_SIZE, -EPROTO);
	/* The first negotiation stands. */
	assert_int_equal(muse_session_max_io(se), TDEV_PAGE);
	muse_session_destroy(se);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(v2_peer_gets_16_bytes_and_v2_keys),
		cmocka_unit_test(extended_peer_gets_what_the_device_needs),
		cmocka_unit_test(extended_peer_offering_only_oob),
		cmocka_unit_test(extended_peer_offering_nothing),
		cmocka_unit_test(small_kernel_max_io_means_no_large_io),
		cmocka_unit_test(no_extensions_session_answers_like_v2),
		cmocka_unit_test(extended_keys_and_default_name),
		cmocka_unit_test(bad_major_is_eproto),
		cmocka_unit_test(bad_body_length_is_eproto),
		cmocka_unit_test(request_before_init_is_eproto),
		cmocka_unit_test(second_init_is_eproto),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
