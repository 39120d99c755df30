// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Every opcode on compat and extended connections, checked byte for byte;
 * default ops, callback return clamping and MUSE_SESSION_SPLIT_PAGES.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "helpers.h"

#define U 0x0102030405060708ULL	/* the unique of every request here */

#define SOFT(e) ((uint32_t)(e))

/* Handle opcode with @body followed by @payload; reply into @reply. */
static ssize_t run(struct muse_session *se, uint32_t opcode, const void *body,
		   size_t bodylen, const void *payload, size_t paylen,
		   void *reply)
{
	unsigned char full[256], req[512];
	size_t n;

	if (bodylen)
		memcpy(full, body, bodylen);
	if (paylen)
		memcpy(full + bodylen, payload, paylen);
	n = mf_request(req, opcode, U, full, bodylen + paylen);
	return handle(se, req, n, reply);
}

static ssize_t run_io(struct muse_session *se, uint32_t opcode, int ext,
		      uint64_t addr, uint64_t len, uint32_t flags,
		      uint32_t ooboffs, uint32_t ooblen, const void *payload,
		      size_t paylen, void *reply)
{
	const struct mf_io io = { ext, addr, len, flags, ooboffs, ooblen };
	unsigned char body[32];
	size_t n = mf_io_body(body, &io);

	return run(se, opcode, body, n, payload, paylen, reply);
}

static void assert_call(const struct call *c, char op, uint64_t addr,
			uint64_t len, uint32_t ooboffs, size_t ooblen,
			enum muse_oob_mode mode)
{
	assert_int_equal(c->op, op);
	assert_int_equal(c->addr, addr);
	assert_int_equal(c->len, len);
	assert_int_equal(c->ooboffs, ooboffs);
	assert_int_equal(c->ooblen, ooblen);
	assert_int_equal(c->mode, mode);
}

static struct muse_session *compat_session(struct recorder *rec)
{
	struct muse_session *se = new_session(&test_nand, 0, rec);

	init_v2(se);
	return se;
}

static struct muse_session *ext_session(struct recorder *rec,
					unsigned int flags)
{
	struct muse_session *se = new_session(&test_nand, flags, rec);

	init_ext(se, MUSE_EXT_ALL, 4096);
	return se;
}

static void compat_erase(void **state)
{
	const struct muse_erase_in in = { .addr = 64, .len = 128 };
	const unsigned char want[] = { OUT_HDR(16, 0, U) };
	unsigned char reply[4096];
	struct recorder rec;
	struct muse_session *se = compat_session(&rec);
	ssize_t n = run(se, MUSE_ERASE, &in, sizeof(in), NULL, 0, reply);

	assert_bytes(reply, (size_t)n, want, sizeof(want));
	assert_int_equal(rec.ncalls, 1);
	assert_call(&rec.calls[0], 'e', 64, 128, 0, 0, 0);
	muse_session_destroy(se);
}

static void compat_read(void **state)
{
	const unsigned char want[] = {
		OUT_HDR(48, 0, U), LE64(16), LE32(0), LE32(0),
		0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
		0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
	};
	unsigned char reply[4096];
	struct recorder rec;
	struct muse_session *se = compat_session(&rec);
	ssize_t n = run_io(se, MUSE_READ, 0, 16, 16, 0, 0, 0, NULL, 0, reply);

	assert_bytes(reply, (size_t)n, want, sizeof(want));
	assert_call(&rec.calls[0], 'r', 16, 16, 0, 0, MUSE_OOB_PLACE);
	muse_session_destroy(se);
}

/* A compat read's soft_error follows the bit-flip threshold (3 here). */
static void compat_read_soft_errors(void **state)
{
	static const struct {
		struct muse_ecc_result ecc;
		int32_t soft_error;
	} cases[] = {
		{ { .corrected = 2, .max_bitflips = 2 }, 0 },
		{ { .corrected = 5, .max_bitflips = 3 }, -EUCLEAN },
		{ { .corrected = 1, .max_bitflips = 1, .failed = 1 }, -EBADMSG },
	};
	unsigned char reply[4096];
	struct recorder rec;
	struct muse_session *se = compat_session(&rec);
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const unsigned char want[] = {
			OUT_HDR(32, 0, U), LE64(0),
			LE32(SOFT(cases[i].soft_error)), LE32(0),
		};

		rec.ecc[rec.ncalls] = cases[i].ecc;
		assert_bytes(reply, (size_t)run_io(se, MUSE_READ, 0, 0, 0, 0,
						   0, 0, NULL, 0, reply),
			     want, sizeof(want));
	}
	muse_session_destroy(se);
}

static void compat_write(void **state)
{
	const unsigned char data[16] = "0123456789abcdef";
	const unsigned char want[] = {
		OUT_HDR(32, 0, U), LE64(16), LE32(0), LE32(0),
	};
	unsigned char reply[4096];
	struct recorder rec;
	struct muse_session *se = compat_session(&rec);
	ssize_t n = run_io(se, MUSE_WRITE, 0, 32, 16, 0, 0, 0, data,
			   sizeof(data), reply);

	assert_bytes(reply, (size_t)n, want, sizeof(want));
	assert_call(&rec.calls[0], 'w', 32, 16, 0, 0, MUSE_OOB_PLACE);
	assert_memory_equal(rec.calls[0].data, data, sizeof(data));
	muse_session_destroy(se);
}

static void markbad_isbad_sync(void **state)
{
	const struct muse_markbad_in mb = { .addr = 128 };
	const struct muse_isbad_in ib = { .addr = 192 };
	const unsigned char want_empty[] = { OUT_HDR(16, 0, U) };
	const unsigned char want_good[] = { OUT_HDR(24, 0, U), LE32(0), LE32(0) };
	const unsigned char want_bad[] = { OUT_HDR(24, 0, U), LE32(1), LE32(0) };
	unsigned char reply[4096];
	struct recorder rec;
	struct muse_session *se = compat_session(&rec);
	ssize_t n;

	n = run(se, MUSE_MARKBAD, &mb, sizeof(mb), NULL, 0, reply);
	assert_bytes(reply, (size_t)n, want_empty, sizeof(want_empty));
	assert_call(&rec.calls[0], 'm', 128, 0, 0, 0, 0);

	n = run(se, MUSE_ISBAD, &ib, sizeof(ib), NULL, 0, reply);
	assert_bytes(reply, (size_t)n, want_good, sizeof(want_good));
	assert_call(&rec.calls[1], 'i', 192, 0, 0, 0, 0);
	rec.isbad_result = 1;
	n = run(se, MUSE_ISBAD, &ib, sizeof(ib), NULL, 0, reply);
	assert_bytes(reply, (size_t)n, want_bad, sizeof(want_bad));

	n = run(se, MUSE_SYNC, NULL, 0, NULL, 0, reply);
	assert_bytes(reply, (size_t)n, want_empty, sizeof(want_empty));
	assert_int_equal(rec.calls[3].op, 's');
	muse_session_destroy(se);
}

/* A callback's error becomes the reply header's error, without body. */
static void callback_errors_become_header_errors(void **state)
{
	const struct muse_erase_in er = { .addr = 0, .len = 64 };
	const struct muse_isbad_in ib = { .addr = 0 };
	unsigned char data[16] = { 0 }, reply[4096];
	struct recorder rec;
	struct muse_session *se = compat_session(&rec);

	rec.ret[0] = -EIO;
	assert_err_reply(reply, run_io(se, MUSE_READ, 0, 0, 16, 0, 0, 0,
				       NULL, 0, reply), U, -EIO);
	rec.ret[1] = -EROFS;
	assert_err_reply(reply, run_io(se, MUSE_WRITE, 0, 0, 16, 0, 0, 0,
				       data, 16, reply), U, -EROFS);
	rec.ret[2] = -ENOSPC;
	assert_err_reply(reply, run(se, MUSE_ERASE, &er, sizeof(er), NULL, 0,
				    reply), U, -ENOSPC);
	rec.ret[3] = -EIO;
	assert_err_reply(reply, run(se, MUSE_ISBAD, &ib, sizeof(ib), NULL, 0,
				    reply), U, -EIO);
	rec.ret[4] = -EROFS;
	assert_err_reply(reply, run(se, MUSE_MARKBAD, &ib, sizeof(ib), NULL, 0,
				    reply), U, -EROFS);
	rec.ret[5] = -EIO;
	assert_err_reply(reply, run(se, MUSE_SYNC, NULL, 0, NULL, 0, reply),
			 U, -EIO);
	muse_session_destroy(se);
}

/*
 * Returns the kernel would reject become -EIO: positive ones (MUSE_ASYNC
 * too without a kept request), errors at or below -MUSE_ERRNO_BOUND and
 * the ECC verdicts, which only a READ's soft_error carries.
 */
static void callback_returns_are_clamped(void **state)
{
	static const int bad[] = {
		1, 4096, INT_MAX, MUSE_ASYNC, -MUSE_ERRNO_BOUND, -4096, INT_MIN,
		-EUCLEAN, -EBADMSG,
	};
	const struct muse_isbad_in ib = { .addr = 0 };
	unsigned char reply[4096];
	struct recorder rec;
	struct muse_session *se = compat_session(&rec);
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		rec.ret[rec.ncalls] = bad[i];
		assert_err_reply(reply, run_io(se, MUSE_READ, 0, 0, 16, 0, 0,
					       0, NULL, 0, reply), U, -EIO);
		rec.ret[rec.ncalls] = bad[i];
		assert_err_reply(reply, run(se, MUSE_SYNC, NULL, 0, NULL, 0,
					    reply), U, -EIO);
	}
	/* The lowest error FUSE accepts goes through. */
	rec.ret[rec.ncalls] = -(MUSE_ERRNO_BOUND - 1);
	assert_err_reply(reply, run(se, MUSE_SYNC, NULL, 0, NULL, 0, reply), U,
			 -(MUSE_ERRNO_BOUND - 1));
	/* ISBAD: only 0 and 1 are answers. */
	rec.isbad_result = 2;
	assert_err_reply(reply, run(se, MUSE_ISBAD, &ib, sizeof(ib), NULL, 0,
				    reply), U, -EIO);
	muse_session_destroy(se);
}

static void default_ops(void **state)
{
	const struct muse_erase_in er = { .addr = 0, .len = 64 };
	const struct muse_isbad_in ib = { .addr = 0 };
	const unsigned char want_empty[] = { OUT_HDR(16, 0, U) };
	const unsigned char want_good[] = { OUT_HDR(24, 0, U), LE32(0), LE32(0) };
	unsigned char data[16] = { 0 }, reply[4096];
	struct muse_session *se = NULL;
	ssize_t n;

	assert_int_equal(muse_session_new(TEST_NAND, NULL, 0, 0, NULL, &se),
			 0);
	init_v2(se);
	assert_err_reply(reply, run_io(se, MUSE_READ, 0, 0, 16, 0, 0, 0,
				       NULL, 0, reply), U, -EOPNOTSUPP);
	assert_err_reply(reply, run_io(se, MUSE_WRITE, 0, 0, 16, 0, 0, 0,
				       data, 16, reply), U, -EOPNOTSUPP);
	assert_err_reply(reply, run(se, MUSE_ERASE, &er, sizeof(er), NULL, 0,
				    reply), U, -EOPNOTSUPP);
	assert_err_reply(reply, run(se, MUSE_MARKBAD, &ib, sizeof(ib), NULL, 0,
				    reply), U, -EOPNOTSUPP);
	n = run(se, MUSE_ISBAD, &ib, sizeof(ib), NULL, 0, reply);
	assert_bytes(reply, (size_t)n, want_good, sizeof(want_good));
	n = run(se, MUSE_SYNC, NULL, 0, NULL, 0, reply);
	assert_bytes(reply, (size_t)n, want_empty, sizeof(want_empty));
	muse_session_destroy(se);
}

static void ext_read_with_oob_and_ecc_stats(void **state)
{
	const unsigned char want[] = {
		OUT_HDR(16 + 32 + 16 + 3, 0, U),
		LE64(16), LE32(SOFT(-EUCLEAN)), LE32(0),
		LE32(3), LE32(3), LE32(4), LE32(0),
		0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
		0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
		0xa0, 0xa1, 0xa2,
	};
	unsigned char reply[4096];
	struct recorder rec;
	struct muse_session *se = ext_session(&rec, 0);
	ssize_t n;

	rec.ecc[0] = (struct muse_ecc_result){
		.corrected = 4, .max_bitflips = 3,
	};
	n = run_io(se, MUSE_READ, 1, 16, 16, MUSE_IO_OOB_PLACE, 1, 3, NULL, 0,
		   reply);
	assert_bytes(reply, (size_t)n, want, sizeof(want));
	assert_call(&rec.calls[0], 'r', 16, 16, 1, 3, MUSE_OOB_PLACE);
	muse_session_destroy(se);
}

/* Two pages in one request (LARGE_IO), OOB only, AUTO mode. */
static void ext_read_oob_only_over_two_pages(void **state)
{
	const unsigned char want[] = {
		OUT_HDR(16 + 32 + 4, 0, U),
		LE64(0), LE32(0), LE32(0), LE32(4), LE32(0), LE32(0), LE32(0),
		0xa0, 0xa1, 0xa2, 0xa3,
	};
	unsigned char reply[4096];
	struct recorder rec;
	struct muse_session *se = ext_session(&rec, 0);
	ssize_t n;

	n = run_io(se, MUSE_READ, 1, 32, 0, MUSE_IO_OOB_AUTO, 0, 4, NULL, 0,
		   reply);
	assert_bytes(reply, (size_t)n, want, sizeof(want));
	assert_call(&rec.calls[0], 'r', 32, 0, 0, 4, MUSE_OOB_AUTO);
	muse_session_destroy(se);
}

static void ext_write_with_oob(void **state)
{
	const unsigned char payload[36] = "0123456789abcdefghijklmnopqrstuvWXYZ";
	const unsigned char want[] = {
		OUT_HDR(16 + 24, 0, U), LE64(32), LE32(0), LE32(0),
		LE32(4), LE32(0),
	};
	unsigned char reply[4096];
	struct recorder rec;
	struct muse_session *se = ext_session(&rec, 0);
	ssize_t n;

	n = run_io(se, MUSE_WRITE, 1, 64, 32, MUSE_IO_RAW, 2, 4, payload,
		   sizeof(payload), reply);
	assert_bytes(reply, (size_t)n, want, sizeof(want));
	assert_call(&rec.calls[0], 'w', 64, 32, 2, 4, MUSE_OOB_RAW);
	assert_memory_equal(rec.calls[0].data, payload, sizeof(payload));
	muse_session_destroy(se);
}

/* Extended layouts without ECC_STATS: the statistics fields stay 0. */
static void ext_read_without_ecc_stats(void **state)
{
	const unsigned char want[] = {
		OUT_HDR(16 + 32, 0, U),
		LE64(0), LE32(SOFT(-EBADMSG)), LE32(0),
		LE32(0), LE32(0), LE32(0), LE32(0),
	};
	unsigned char reply[4096];
	struct recorder rec;
	struct muse_session *se = new_session(&test_nand, 0, &rec);
	ssize_t n;

	init_ext(se, MUSE_EXT_OOB | MUSE_EXT_LARGE_IO, 4096);
	rec.ecc[0] = (struct muse_ecc_result){
		.corrected = 1, .max_bitflips = 1, .failed = 2,
	};
	n = run_io(se, MUSE_READ, 1, 0, 0, 0, 0, 0, NULL, 0, reply);
	assert_bytes(reply, (size_t)n, want, sizeof(want));
	muse_session_destroy(se);
}

/*
 * SPLIT_PAGES: 24 bytes from the middle of page 0 with 5 OOB bytes from
 * offset 1 become two calls; the ECC results are merged.
 */
static void split_pages_read(void **state)
{
	const unsigned char want[] = {
		OUT_HDR(16 + 32 + 24 + 5, 0, U),
		LE64(24), LE32(SOFT(-EBADMSG)), LE32(0),
		LE32(5), LE32(3), LE32(5), LE32(1),
		0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
		0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
		0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
		0xa0, 0xa1, 0xa2, 0xa0, 0xa1,
	};
	unsigned char reply[4096];
	struct recorder rec;
	struct muse_session *se = ext_session(&rec, MUSE_SESSION_SPLIT_PAGES);
	ssize_t n;

	rec.ecc[0] = (struct muse_ecc_result){ 1, 1, 0 };
	rec.ecc[1] = (struct muse_ecc_result){ 4, 3, 1 };
	n = run_io(se, MUSE_READ, 1, 8, 24, 0, 1, 5, NULL, 0, reply);
	assert_bytes(reply, (size_t)n, want, sizeof(want));
	assert_int_equal(rec.ncalls, 2);
	assert_call(&rec.calls[0], 'r', 8, 8, 1, 3, MUSE_OOB_PLACE);
	assert_call(&rec.calls[1], 'r', 16, 16, 0, 2, MUSE_OOB_PLACE);
	muse_session_destroy(se);
}

static void split_pages_first_error_wins(void **state)
{
	unsigned char reply[4096];
	struct recorder rec;
	struct muse_session *se = ext_session(&rec, MUSE_SESSION_SPLIT_PAGES);

	rec.ret[0] = -EIO;
	assert_err_reply(reply, run_io(se, MUSE_READ, 1, 0, 32, 0, 0, 0, NULL,
				       0, reply), U, -EIO);
	assert_int_equal(rec.ncalls, 1);

	rec.ncalls = 0;
	rec.ret[0] = 0;
	rec.ret[1] = -ENOSPC;
	assert_err_reply(reply, run_io(se, MUSE_READ, 1, 0, 32, 0, 0, 0, NULL,
				       0, reply), U, -ENOSPC);
	assert_int_equal(rec.ncalls, 2);
	muse_session_destroy(se);
}

static void split_pages_write_and_oob_only(void **state)
{
	const unsigned char data[32] = "0123456789abcdefghijklmnopqrstuv";
	unsigned char reply[4096];
	struct recorder rec;
	struct muse_session *se = ext_session(&rec, MUSE_SESSION_SPLIT_PAGES);

	assert_true(run_io(se, MUSE_WRITE, 1, 0, 32, 0, 0, 0, data, 32,
			   reply) == 16 + 24);
	assert_int_equal(rec.ncalls, 2);
	assert_call(&rec.calls[0], 'w', 0, 16, 0, 0, MUSE_OOB_PLACE);
	assert_call(&rec.calls[1], 'w', 16, 16, 0, 0, MUSE_OOB_PLACE);
	assert_memory_equal(rec.calls[0].data, data, 16);
	assert_memory_equal(rec.calls[1].data, data + 16, 16);

	rec.ncalls = 0;
	assert_true(run_io(se, MUSE_READ, 1, 0, 0, MUSE_IO_OOB_AUTO, 0, 4,
			   NULL, 0, reply) == 16 + 32 + 4);
	assert_int_equal(rec.ncalls, 2);
	assert_call(&rec.calls[0], 'r', 0, 0, 0, 2, MUSE_OOB_AUTO);
	assert_call(&rec.calls[1], 'r', 16, 0, 0, 2, MUSE_OOB_AUTO);
	muse_session_destroy(se);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(compat_erase),
		cmocka_unit_test(compat_read),
		cmocka_unit_test(compat_read_soft_errors),
		cmocka_unit_test(compat_write),
		cmocka_unit_test(markbad_isbad_sync),
		cmocka_unit_test(callback_errors_become_header_errors),
		cmocka_unit_test(callback_returns_are_clamped),
		cmocka_unit_test(default_ops),
		cmocka_unit_test(ext_read_with_oob_and_ecc_stats),
		cmocka_unit_test(ext_read_oob_only_over_two_pages),
		cmocka_unit_test(ext_write_with_oob),
		cmocka_unit_test(ext_read_without_ecc_stats),
		cmocka_unit_test(split_pages_read),
		cmocka_unit_test(split_pages_first_error_wins),
		cmocka_unit_test(split_pages_write_and_oob_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
