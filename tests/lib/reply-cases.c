// SPDX-License-Identifier: LGPL-2.1-or-later
/* The shared table of reply error values; see reply-cases.h. */
#include <errno.h>
#include <limits.h>

#include <muse/muse_kernel.h>

#include "reply-cases.h"

/* The kernel's internal codes, never valid on the wire. */
#define ERESTARTSYS	512
#define EIOCBQUEUED	529

const struct mrc_case mrc_cases[] = {
	/* Header errors: FUSE's range, without the ECC verdicts. */
	{ "read-error-eio", MUSE_READ, MRC_HEADER, -EIO, true },
	{ "read-error-511", MUSE_READ, MRC_HEADER, -511, true },
	{ "write-error-eio", MUSE_WRITE, MRC_HEADER, -EIO, true },
	{ "erase-error-enospc", MUSE_ERASE, MRC_HEADER, -ENOSPC, true },
	{ "erase-error-511", MUSE_ERASE, MRC_HEADER, -511, true },
	{ "isbad-error-eio", MUSE_ISBAD, MRC_HEADER, -EIO, true },
	{ "read-error-positive", MUSE_READ, MRC_HEADER, 5, false },
	{ "read-error-erestartsys", MUSE_READ, MRC_HEADER, -ERESTARTSYS,
	  false },
	{ "read-error-eiocbqueued", MUSE_READ, MRC_HEADER, -EIOCBQUEUED,
	  false },
	{ "read-error-below-4095", MUSE_READ, MRC_HEADER, -5000, false },
	{ "read-error-int-min", MUSE_READ, MRC_HEADER, INT_MIN, false },
	{ "read-error-euclean", MUSE_READ, MRC_HEADER, -EUCLEAN, false },
	{ "read-error-ebadmsg", MUSE_READ, MRC_HEADER, -EBADMSG, false },
	{ "write-error-euclean", MUSE_WRITE, MRC_HEADER, -EUCLEAN, false },
	{ "write-error-ebadmsg", MUSE_WRITE, MRC_HEADER, -EBADMSG, false },
	{ "erase-error-ebadmsg", MUSE_ERASE, MRC_HEADER, -EBADMSG, false },
	{ "isbad-error-euclean", MUSE_ISBAD, MRC_HEADER, -EUCLEAN, false },

	/* soft_error: a READ's may be an ECC verdict, a WRITE's may not. */
	{ "read-soft-euclean", MUSE_READ, MRC_SOFT, -EUCLEAN, true },
	{ "read-soft-ebadmsg", MUSE_READ, MRC_SOFT, -EBADMSG, true },
	{ "read-soft-enospc", MUSE_READ, MRC_SOFT, -ENOSPC, true },
	{ "read-soft-positive", MUSE_READ, MRC_SOFT, 5, false },
	{ "read-soft-eiocbqueued", MUSE_READ, MRC_SOFT, -EIOCBQUEUED, false },
	{ "write-soft-erofs", MUSE_WRITE, MRC_SOFT, -EROFS, true },
	{ "write-soft-euclean", MUSE_WRITE, MRC_SOFT, -EUCLEAN, false },
	{ "write-soft-ebadmsg", MUSE_WRITE, MRC_SOFT, -EBADMSG, false },
	{ "write-soft-erestartsys", MUSE_WRITE, MRC_SOFT, -ERESTARTSYS,
	  false },
};

const size_t mrc_count = sizeof(mrc_cases) / sizeof(mrc_cases[0]);

int mrc_user_errno(const struct mrc_case *c)
{
	if (!c->valid)
		return EIO;
	if (c->field == MRC_SOFT && c->opcode == MUSE_READ &&
	    (c->value == -EUCLEAN || c->value == -EBADMSG))
		return 0;
	return -c->value;
}
