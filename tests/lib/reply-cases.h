/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Error values in replies, with the verdict that BOTH libmuse and the
 * kernel module must reach: the module takes a valid one (the MTD user
 * gets that error, or the data with an ECC verdict) and refuses an invalid
 * one with EINVAL (the MTD user gets EIO); libmuse sends a valid one as is
 * and never sends an invalid one (a callback's -EUCLEAN becomes -EIO).
 * tests/unit/test-reply-cases.c runs them through the library, muse-peer
 * replies (tests/tools/badpeer-reply.c) through the module, so the two sides of
 * the rule (muse_reply_error_valid() and muse_soft_error_valid() in
 * muse_kernel.h) cannot drift apart again.
 */
#ifndef MUSE_TEST_REPLY_CASES_H
#define MUSE_TEST_REPLY_CASES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Where a case's value travels. */
enum mrc_field {
	MRC_HEADER,	/* fuse_out_header.error, the reply without body */
	MRC_SOFT,	/* a READ's or WRITE's soft_error, with the body */
};

struct mrc_case {
	const char *why;
	uint32_t opcode;	/* MUSE_READ, _WRITE, _ERASE or _ISBAD */
	enum mrc_field field;
	int32_t value;
	bool valid;		/* the verdict of both sides */
};

extern const struct mrc_case mrc_cases[];
extern const size_t mrc_count;

/*
 * The errno the MTD user (mtdchar, MEMGETBADBLOCK) gets when the module
 * takes the case's reply: 0 for a READ's ECC verdict (mtdchar hands the
 * data over), -value for any other valid value, EIO for an invalid one.
 */
int mrc_user_errno(const struct mrc_case *c);

#endif /* MUSE_TEST_REPLY_CASES_H */
