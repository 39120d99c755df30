// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The shared table of reply error values (tests/lib/reply-cases.c)
 * through the library: the predicates of muse_kernel.h that the module
 * runs give each case its verdict, a callback's error goes into the reply
 * header as is when it is valid there and as -EIO when not, and every
 * soft_error libmuse puts into a READ or WRITE reply is a valid one.
 * muse-peer replies runs the same table through the module.
 */
#include <errno.h>
#include <string.h>

#include "helpers.h"
#include "reply-cases.h"

#define U 0x0102030405060708ULL

static struct muse_session *session(struct recorder *rec)
{
	struct muse_session *se = new_session(&test_nand, 0, rec);

	init_ext(se, MUSE_EXT_ALL, 4096);
	return se;
}

/* One request of @opcode for the first page or block; reply in @reply. */
static ssize_t run(struct muse_session *se, uint32_t opcode, void *reply)
{
	static const unsigned char data[TDEV_PAGE];
	const struct mf_io io = { .ext = true, .len = TDEV_PAGE,
				  .flags = MUSE_IO_OOB_PLACE };
	unsigned char req[256];
	size_t n;

	switch (opcode) {
	case MUSE_READ:
		n = mf_io(req, opcode, U, &io, NULL, 0);
		break;
	case MUSE_WRITE:
		n = mf_io(req, opcode, U, &io, data, sizeof(data));
		break;
	case MUSE_ERASE:
		n = mf_erase(req, U, 0, TDEV_BLOCK);
		break;
	default:
		n = mf_block(req, opcode, U, 0);
		break;
	}
	return handle(se, req, n, reply);
}

static void predicates_give_the_verdicts(void **state)
{
	size_t i;

	for (i = 0; i < mrc_count; i++) {
		const struct mrc_case *c = &mrc_cases[i];
		bool valid = c->field == MRC_HEADER ?
			     muse_reply_error_valid(c->value) :
			     muse_soft_error_valid(c->opcode, c->value);

		if (valid != c->valid)
			fail_msg("%s: the predicate says %s", c->why,
				 valid ? "valid" : "invalid");
	}
}

static void callback_errors_reach_the_header_valid(void **state)
{
	unsigned char reply[4096];
	struct recorder rec;
	struct muse_session *se = session(&rec);
	size_t i;

	for (i = 0; i < mrc_count; i++) {
		const struct mrc_case *c = &mrc_cases[i];
		int want = c->valid ? c->value : -EIO;
		const unsigned char hdr[] = { OUT_HDR(16, want, U) };
		ssize_t n;

		if (c->field != MRC_HEADER)
			continue;
		rec.ret[rec.ncalls] = c->value;
		n = run(se, c->opcode, reply);
		if (n != (ssize_t)sizeof(hdr) || memcmp(reply, hdr, sizeof(hdr)))
			fail_msg("%s: the reply is not a header with error %d",
				 c->why, want);
	}
	muse_session_destroy(se);
}

/* What libmuse may put into soft_error: only values the module takes. */
static void library_soft_errors_are_valid(void **state)
{
	static const struct muse_ecc_result eccs[] = {
		{ 0 }, { .corrected = 1, .max_bitflips = 1 },
		{ .corrected = 9, .max_bitflips = 4 },
		{ .failed = 1 }, { .corrected = 0xffffffff,
				   .max_bitflips = 0xffffffff,
				   .failed = 0xffffffff },
	};
	const size_t soft = sizeof(struct fuse_out_header) +
			    offsetof(struct muse_read_out, soft_error);
	unsigned char reply[4096];
	struct recorder rec;
	struct muse_session *se = session(&rec);
	int32_t value;
	size_t i;

	for (i = 0; i < sizeof(eccs) / sizeof(eccs[0]); i++) {
		rec.ecc[rec.ncalls] = eccs[i];
		assert_true(run(se, MUSE_READ, reply) > (ssize_t)soft + 4);
		memcpy(&value, reply + soft, sizeof(value));
		assert_true(muse_soft_error_valid(MUSE_READ, value));
	}
	assert_true(run(se, MUSE_WRITE, reply) > (ssize_t)soft + 4);
	memcpy(&value, reply + soft, sizeof(value));
	assert_true(muse_soft_error_valid(MUSE_WRITE, value));
	muse_session_destroy(se);
}

/* Both verdicts, and both fields, or the table tests nothing. */
static void table_covers_both_verdicts(void **state)
{
	size_t i, valid[2] = { 0 }, all[2] = { 0 };

	for (i = 0; i < mrc_count; i++) {
		all[mrc_cases[i].field]++;
		valid[mrc_cases[i].field] += mrc_cases[i].valid;
	}
	for (i = 0; i < 2; i++)
		assert_true(valid[i] > 0 && valid[i] < all[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(predicates_give_the_verdicts),
		cmocka_unit_test(callback_errors_reach_the_header_valid),
		cmocka_unit_test(library_soft_errors_are_valid),
		cmocka_unit_test(table_covers_both_verdicts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
