/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Good and bad device descriptions, with the verdict that BOTH libmuse
 * (muse_session_new()) and the kernel module (the MUSE_INIT reply) must
 * reach.  tests/unit/test-device-cases.c runs them through the library,
 * the raw peer (tests/lib/rawpeer) through the module, so the two
 * validators cannot drift apart.  Rules only one side can check (the
 * library's max_io, the module's max_io parameter) stay out of here.
 */
#ifndef MUSE_TEST_DEVICE_CASES_H
#define MUSE_TEST_DEVICE_CASES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The fields of struct muse_device (include/muse/muse.h) both sides see. */
struct mdc_device {
	const char *name;		/* never NULL here: NAME is sent */
	uint32_t type;			/* MTD type, as MUSE_TYPE_* */
	uint32_t flags;
	uint64_t size;
	uint32_t writesize;
	uint32_t erasesize;
	uint32_t writebufsize;		/* 0: not sent (WRITESIZE) */
	uint32_t oobsize;
	uint32_t oobavail;
	uint32_t subpage_shift;
	uint32_t ecc_strength;
	uint32_t ecc_step;
	uint32_t bitflip_threshold;	/* 0: not sent (the default) */
	const char *partitions;		/* NULL: not sent */
};

struct mdc_case {
	const char *why;		/* what the case is about */
	bool valid;			/* the verdict of both sides */
	struct mdc_device dev;
};

extern const struct mdc_case mdc_cases[];
extern const size_t mdc_count;

/*
 * The info block for @dev as an extended kernel gets it: the v2 keys,
 * then each optional key whose field is set.  Returns its length, or 0
 * if it does not fit @size.
 */
size_t mdc_info_block(const struct mdc_device *dev, char *buf, size_t size);

#endif /* MUSE_TEST_DEVICE_CASES_H */
