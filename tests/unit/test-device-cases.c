// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The shared table of device descriptions (tests/lib/device-cases.c)
 * through the library's validator: every verdict must be the one the
 * kernel module reaches for the same description.  For the good ones the
 * info block libmuse sends an extended kernel must be exactly the one
 * the raw peer sends the module (mdc_info_block()), so both validators
 * really judged the same thing.
 */
#include <errno.h>
#include <string.h>

#include "device-cases.h"
#include "helpers.h"

static struct muse_device to_muse(const struct mdc_device *d)
{
	const struct muse_device dev = {
		.name = d->name, .type = d->type, .flags = d->flags,
		.size = d->size, .writesize = d->writesize,
		.erasesize = d->erasesize, .writebufsize = d->writebufsize,
		.oobsize = d->oobsize, .oobavail = d->oobavail,
		.subpage_shift = d->subpage_shift,
		.ecc_strength = d->ecc_strength, .ecc_step = d->ecc_step,
		.bitflip_threshold = d->bitflip_threshold,
		.partitions = d->partitions,
	};

	return dev;
}

/* The info block of libmuse's INIT reply to an extended kernel. */
static void check_info_block(struct muse_session *se, const struct mdc_case *c)
{
	static char want[MUSE_INIT_INFO_MAX], reply[8192];
	unsigned char req[64];
	size_t n = mf_init_ext(req, 1, MUSE_EXT_ALL, 256 << 10);
	size_t head = sizeof(struct fuse_out_header) +
		      sizeof(struct muse_init_out);
	ssize_t r = muse_session_handle_buf(se, req, n, reply, sizeof(reply));
	size_t len = mdc_info_block(&c->dev, want, sizeof(want));

	if (!len)
		fail_msg("%s: the info block does not fit", c->why);
	if (r < (ssize_t)head || (size_t)r - head != len ||
	    memcmp(reply + head, want, len))
		fail_msg("%s: libmuse and the raw peer send other info blocks",
			 c->why);
}

static void library_agrees_with_the_table(void **state)
{
	size_t i;

	for (i = 0; i < mdc_count; i++) {
		const struct mdc_case *c = &mdc_cases[i];
		struct muse_device dev = to_muse(&c->dev);
		struct muse_session *se = NULL;
		int ret = muse_session_new(&dev, sizeof(dev), NULL, 0, 0,
					   NULL, &se);

		if (ret != (c->valid ? 0 : -EINVAL))
			fail_msg("\"%s\": expected %s, got %d", c->why,
				 c->valid ? "valid" : "-EINVAL", ret);
		if (se)
			check_info_block(se, c);
		muse_session_destroy(se);
	}
}

/* The table must hold both verdicts, or it tests nothing. */
static void table_has_both_verdicts(void **state)
{
	size_t i, good = 0;

	for (i = 0; i < mdc_count; i++)
		good += mdc_cases[i].valid;
	assert_true(good > 0 && good < mdc_count);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(library_agrees_with_the_table),
		cmocka_unit_test(table_has_both_verdicts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
