// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Malformed requests, one test each: every one gets the exact error reply
 * (or, without a usable header, an error return) and no callback runs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

struct fixture {
	struct recorder rec;
	struct muse_session *se;
};

static int setup(void **state, const struct muse_device *dev,
		 void (*init)(struct muse_session *se))
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->se = new_session(dev, 0, &f->rec);
	init(f->se);
	*state = f;
	return 0;
}

/* Extended: OOB, LARGE_IO (unit 32 = two pages) and ECC_STATS. */
static void init_all(struct muse_session *se)
{
	init_ext(se, MUSE_EXT_ALL, 4096);
}

/* Extended, but without OOB. */
static void init_large_only(struct muse_session *se)
{
	init_ext(se, MUSE_EXT_LARGE_IO, 4096);
}

static int setup_ext(void **state)
{
	return setup(state, &test_nand, init_all);
}

static int setup_no_oob(void **state)
{
	return setup(state, &test_nand, init_large_only);
}

static int setup_compat(void **state)
{
	return setup(state, &test_nand, init_v2);
}

/*
 * Three-page blocks and a unit of six pages, so that the last unit runs
 * past the end of the 9-page device.
 */
static int setup_odd_unit(void **state)
{
	static const struct muse_device dev = {
		.name = "odd", .type = MUSE_TYPE_NAND,
		.size = 144, .writesize = 16, .erasesize = 48,
		.writebufsize = 48, .oobsize = 4, .max_io = 96,
	};

	return setup(state, &dev, init_all);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(f->rec.ncalls, 0);
	muse_session_destroy(f->se);
	free(f);
	return 0;
}

static struct muse_session *se_of(void **state)
{
	return ((struct fixture *)*state)->se;
}

static void expect_io_error(void **state, uint32_t opcode, int ext,
			    uint64_t addr, uint64_t len, uint32_t flags,
			    uint32_t ooboffs, uint32_t ooblen, size_t payload)
{
	const struct mf_io io = { ext, addr, len, flags, ooboffs, ooblen };
	unsigned char body[4096] = { 0 };
	size_t n = mf_io_body(body, &io);

	expect_error(se_of(state), opcode, body, n + payload, -EINVAL);
}

static void expect_read_error(void **state, uint64_t addr, uint64_t len,
			      uint32_t flags, uint32_t ooboffs,
			      uint32_t ooblen)
{
	expect_io_error(state, MUSE_READ, 1, addr, len, flags, ooboffs, ooblen,
			0);
}

static void too_short_for_a_header(void **state)
{
	unsigned char req[64] = { 0 }, reply[64];

	mf_request(req, MUSE_SYNC, 7, NULL, 0);
	assert_int_equal(muse_session_handle_buf(se_of(state), req, 39, reply,
						 sizeof(reply)), -EPROTO);
	assert_int_equal(muse_session_handle_buf(se_of(state), NULL, 40, reply,
						 sizeof(reply)), -EPROTO);
}

static void reply_buffer_too_small(void **state)
{
	unsigned char req[128], reply[4096];
	unsigned char body[32];
	size_t n = mf_request(req, MUSE_SYNC, 7, NULL, 0);

	assert_int_equal(muse_session_handle_buf(se_of(state), req, n, reply,
						 15), -ENOBUFS);
	/* 16 bytes of READ data do not fit in 16 + 32 + 15. */
	n = mf_request(req, MUSE_READ, 7, body,
		      mf_io_body(body, &(struct mf_io){ 1, 0, 16, 0, 0, 0 }));
	assert_int_equal(muse_session_handle_buf(se_of(state), req, n, reply,
						 16 + 32 + 15), -ENOBUFS);
}

static void header_len_larger_than_request(void **state)
{
	unsigned char req[64], reply[64];
	size_t n = mf_request(req, MUSE_SYNC, 7, NULL, 0);

	req[0] = 41;
	assert_err_reply(reply, muse_session_handle_buf(se_of(state), req, n,
							reply, sizeof(reply)),
			 7, -EINVAL);
}

static void header_len_smaller_than_request(void **state)
{
	unsigned char req[64] = { 0 }, reply[64];
	size_t n = mf_request(req, MUSE_SYNC, 7, NULL, 0);

	assert_err_reply(reply, muse_session_handle_buf(se_of(state), req,
							n + 8, reply,
							sizeof(reply)),
			 7, -EINVAL);
}

static void unique_zero_gets_no_reply(void **state)
{
	unsigned char req[64], reply[64];
	size_t n = mf_request(req, MUSE_SYNC, 0, NULL, 0);

	assert_int_equal(muse_session_handle_buf(se_of(state), req, n, reply,
						 sizeof(reply)), 0);
}

static void unknown_opcodes_are_enosys(void **state)
{
	static const uint32_t ops[] = {
		0, 1 /* FUSE_LOOKUP */, 4096 /* CUSE_INIT */, 8191,
		8199 /* MUSE_REGISTERED, not negotiated */, 8200, 0xffffffff,
	};
	size_t i;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		expect_error(se_of(state), ops[i], NULL, 0, -ENOSYS);
}

static void erase_short_body(void **state)
{
	const struct muse_erase_in in = { .addr = 0, .len = 64 };

	expect_error(se_of(state), MUSE_ERASE, &in, sizeof(in) - 1, -EINVAL);
}

static void compat_read_short_body(void **state)
{
	expect_error(se_of(state), MUSE_READ, "", 0, -EINVAL);
	expect_error(se_of(state), MUSE_READ, (char[23]){ 0 }, 23, -EINVAL);
}

/* The extended layout is 32 bytes: a compat-sized body is too short. */
static void ext_read_compat_sized_body(void **state)
{
	unsigned char body[32];

	expect_error(se_of(state), MUSE_READ, body,
		     mf_io_body(body, &(struct mf_io){ .len = 16 }),
		     -EINVAL);
}

static void ext_write_compat_sized_body(void **state)
{
	unsigned char body[32];

	expect_error(se_of(state), MUSE_WRITE, body,
		     mf_io_body(body, &(struct mf_io){ .len = 0 }),
		     -EINVAL);
}

static void markbad_and_isbad_short_body(void **state)
{
	const uint64_t addr = 0;

	expect_error(se_of(state), MUSE_MARKBAD, &addr, 7, -EINVAL);
	expect_error(se_of(state), MUSE_ISBAD, &addr, 7, -EINVAL);
}

static void read_len_above_unit(void **state)
{
	expect_read_error(state, 0, 48, 0, 0, 0);
}

static void compat_read_len_above_page(void **state)
{
	unsigned char body[32];

	expect_error(se_of(state), MUSE_READ, body,
		     mf_io_body(body, &(struct mf_io){ .len = 32 }),
		     -EINVAL);
}

static void read_past_device_end(void **state)
{
	expect_read_error(state, 1008, 32, 0, 0, 0);
}

static void read_addr_overflow(void **state)
{
	expect_read_error(state, UINT64_MAX - 7, 16, 0, 0, 0);
}

static void read_at_device_end(void **state)
{
	expect_read_error(state, 1024, 0, 0, 0, 0);
}

static void read_unknown_flags(void **state)
{
	expect_read_error(state, 0, 16, 1U << 0, 0, 0);
	expect_read_error(state, 0, 16, 1U << 4, 0, 0);
	expect_read_error(state, 0, 16, 1U << 31, 0, 0);
}

static void read_two_modes(void **state)
{
	expect_read_error(state, 0, 16, MUSE_IO_OOB_AUTO | MUSE_IO_RAW, 0, 0);
	expect_read_error(state, 0, 16, MUSE_IO_OOB_PLACE | MUSE_IO_RAW, 0, 0);
}

static void oob_without_oob_extension(void **state)
{
	expect_read_error(state, 0, 16, 0, 0, 1);
	expect_read_error(state, 0, 16, 0, 1, 0);
}

static void ooboffs_beyond_page_oob(void **state)
{
	expect_read_error(state, 0, 0, MUSE_IO_OOB_PLACE, TDEV_OOB, 1);
	expect_read_error(state, 0, 0, MUSE_IO_RAW, TDEV_OOB, 1);
}

static void auto_ooboffs_beyond_oobavail(void **state)
{
	expect_read_error(state, 0, 0, MUSE_IO_OOB_AUTO, TDEV_OOBAVAIL, 1);
}

/* OOB from the second page of a unit may not spill into the next unit. */
static void oob_beyond_unit(void **state)
{
	expect_read_error(state, 16, 0, 0, 0, TDEV_OOB + 1);
	expect_read_error(state, 0, 0, MUSE_IO_OOB_AUTO, 0,
			  2 * TDEV_OOBAVAIL + 1);
}

static void oob_beyond_device(void **state)
{
	expect_read_error(state, 128, 0, 0, 0, 5);
}

static void write_data_shorter_than_len(void **state)
{
	expect_io_error(state, MUSE_WRITE, 1, 0, 16, 0, 0, 0, 8);
}

static void write_data_longer_than_len(void **state)
{
	expect_io_error(state, MUSE_WRITE, 1, 0, 16, 0, 0, 0, 24);
}

static void write_without_its_oob(void **state)
{
	expect_io_error(state, MUSE_WRITE, 1, 0, 16, 0, 0, 4, 16);
}

static void expect_erase_error(void **state, uint64_t addr, uint64_t len)
{
	const struct muse_erase_in in = { .addr = addr, .len = len };

	expect_error(se_of(state), MUSE_ERASE, &in, sizeof(in), -EINVAL);
}

static void erase_unaligned_addr(void **state)
{
	expect_erase_error(state, 16, TDEV_BLOCK);
}

static void erase_unaligned_len(void **state)
{
	expect_erase_error(state, 0, TDEV_BLOCK + 16);
}

static void erase_zero_len(void **state)
{
	expect_erase_error(state, 0, 0);
}

static void erase_past_device_end(void **state)
{
	expect_erase_error(state, TDEV_SIZE - TDEV_BLOCK, 2 * TDEV_BLOCK);
	expect_erase_error(state, TDEV_SIZE, TDEV_BLOCK);
}

static void erase_overflow(void **state)
{
	expect_erase_error(state, TDEV_BLOCK, UINT64_MAX - TDEV_BLOCK + 1);
}

static void block_addr_unaligned(void **state)
{
	const uint64_t addr = TDEV_BLOCK / 2;

	expect_error(se_of(state), MUSE_ISBAD, &addr, sizeof(addr), -EINVAL);
	expect_error(se_of(state), MUSE_MARKBAD, &addr, sizeof(addr), -EINVAL);
}

static void block_addr_past_device_end(void **state)
{
	const uint64_t addr = TDEV_SIZE;

	expect_error(se_of(state), MUSE_ISBAD, &addr, sizeof(addr), -EINVAL);
	expect_error(se_of(state), MUSE_MARKBAD, &addr, sizeof(addr), -EINVAL);
}

#define EXT(t) cmocka_unit_test_setup_teardown(t, setup_ext, teardown)
#define COMPAT(t) cmocka_unit_test_setup_teardown(t, setup_compat, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		EXT(too_short_for_a_header),
		EXT(reply_buffer_too_small),
		EXT(header_len_larger_than_request),
		EXT(header_len_smaller_than_request),
		EXT(unique_zero_gets_no_reply),
		EXT(unknown_opcodes_are_enosys),
		EXT(erase_short_body),
		COMPAT(compat_read_short_body),
		EXT(ext_read_compat_sized_body),
		EXT(ext_write_compat_sized_body),
		EXT(markbad_and_isbad_short_body),
		EXT(read_len_above_unit),
		COMPAT(compat_read_len_above_page),
		EXT(read_past_device_end),
		EXT(read_addr_overflow),
		EXT(read_at_device_end),
		EXT(read_unknown_flags),
		EXT(read_two_modes),
		cmocka_unit_test_setup_teardown(oob_without_oob_extension,
						setup_no_oob, teardown),
		EXT(ooboffs_beyond_page_oob),
		EXT(auto_ooboffs_beyond_oobavail),
		EXT(oob_beyond_unit),
		cmocka_unit_test_setup_teardown(oob_beyond_device,
						setup_odd_unit, teardown),
		EXT(write_data_shorter_than_len),
		EXT(write_data_longer_than_len),
		EXT(write_without_its_oob),
		EXT(erase_unaligned_addr),
		EXT(erase_unaligned_len),
		EXT(erase_zero_len),
		EXT(erase_past_device_end),
		EXT(erase_overflow),
		EXT(block_addr_unaligned),
		EXT(block_addr_past_device_end),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
