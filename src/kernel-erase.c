// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Kernel erase (MUSE_EXT_KERNEL_ERASE, doc/protocol.md section 8): the
 * server tells the kernel where OOB and erase counts live in the read
 * passthrough backing file and grants the eraseblocks the kernel may erase
 * itself.  Thin wrappers over the /dev/muse ioctls, checked here first, as
 * in passthrough.c, so that misuse gets an errno without a system call.
 */
#include <errno.h>
#include <stdint.h>

#include "muse_i.h"

_Static_assert(MUSE_ERASE_BUDGET_UNLIMITED == MUSE_ERASE_UNLIMITED,
	       "muse.h and the protocol agree on the unlimited budget");

int muse_session_set_erase_backing(struct muse_session *se,
				   uint64_t oob_offset, uint64_t count_offset,
				   uint32_t count_stride)
{
	struct muse_erase_backing arg = {
		.oob_offset = oob_offset, .count_offset = count_offset,
		.count_stride = count_stride,
	};
	int ret = muse__ext_ready(se, MUSE_EXT_KERNEL_ERASE);

	if (ret)
		return ret;
	/*
	 * Every count a __u32 of its own, naturally aligned: stride 0 would
	 * make all blocks share one.
	 */
	if (count_offset % 4 || count_stride % 4 || count_stride < 4)
		return -EINVAL;
	return muse__ioctl(se, MUSE_IOC_ERASE_BACKING, &arg);
}

int muse_session_erase_grant(struct muse_session *se, uint64_t first_block,
			     uint64_t count, uint32_t budget)
{
	struct muse_erase_grant arg = {
		.first_block = first_block, .count = count, .budget = budget,
	};
	int ret = muse__blocks_ready(se, MUSE_EXT_KERNEL_ERASE, first_block,
				     count);

	return ret ? ret : muse__ioctl(se, MUSE_IOC_ERASE_GRANT, &arg);
}
