// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Kernel erase (MUSE_EXT_KERNEL_ERASE, doc/protocol.md section 8): the
 * server tells the kernel where OOB and erase counts live in the read
 * passthrough backing file and grants the eraseblocks the kernel may erase
 * itself.  Thin wrappers over the /dev/muse ioctls, checked here first, as
 * in passthrough.c, so that misuse gets an errno without a system call.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "muse_i.h"

_Static_assert(MUSE_ERASE_BUDGET_UNLIMITED == MUSE_ERASE_UNLIMITED,
	       "muse.h and the protocol agree on the unlimited budget");

int muse_session_set_erase_backing(struct muse_session *se,
				   uint64_t oob_offset, uint64_t count_offset,
				   uint32_t count_stride)
{
	return muse_session_set_erase_backing_flags(se, oob_offset,
						    count_offset, count_stride,
						    0, NULL);
}

_Static_assert(MUSE_ERASE_BACKING_KEEP_PAGES == MUSE_ERASE_KEEP_PAGES,
	       "muse.h and the protocol agree on the flag");

int muse_session_set_erase_backing_flags(struct muse_session *se,
					 uint64_t oob_offset,
					 uint64_t count_offset,
					 uint32_t count_stride,
					 unsigned int flags,
					 unsigned int *in_force)
{
	struct muse_erase_backing arg = {
		.oob_offset = oob_offset, .count_offset = count_offset,
		.count_stride = count_stride, .flags = flags,
	};
	int ret = muse__ext_ready(se, MUSE_EXT_KERNEL_ERASE);

	if (ret)
		return ret;
	if (flags & ~MUSE_ERASE_BACKING_KEEP_PAGES)
		return -EINVAL;
	/*
	 * Every count a __u32 of its own, naturally aligned: stride 0 would
	 * make all blocks share one.
	 */
	if (count_offset % 4 || count_stride % 4 || count_stride < 4)
		return -EINVAL;
	ret = muse__ioctl(se, MUSE_IOC_ERASE_BACKING, &arg);
	/*
	 * A module before 1.3 refuses any flag (the field was padding) with
	 * EINVAL, and the arguments were checked above: ask without.  Every
	 * flag is an optimisation, so the erase works the same without it.
	 */
	if (ret == -EINVAL && flags) {
		arg.flags = 0;
		ret = muse__ioctl(se, MUSE_IOC_ERASE_BACKING, &arg);
		if (!ret)
			muse_log(MUSE_LOG_INFO, "kernel erase without its flags 0x%x: the module predates them",
				 flags);
	}
	if (!ret && in_force)
		*in_force = arg.flags;
	return ret;
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
