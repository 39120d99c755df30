// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Kernel program (MUSE_EXT_KERNEL_PROGRAM, doc/protocol.md section 11) and
 * the device-wide kernel budget: the server tells the kernel where each
 * block's program state lives in the backing file, grants the eraseblocks
 * the kernel may program itself, and shares with it a budget of kernel
 * operations.  Thin wrappers over the /dev/muse ioctls, checked here
 * first, as in kernel-erase.c, so that misuse gets an errno without a
 * system call.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "muse_i.h"

_Static_assert(MUSE_PROGRAM_RULE_IN_ORDER == MUSE_PROGRAM_IN_ORDER,
	       "muse.h and the protocol agree on the in-order rule");
_Static_assert(MUSE_PROGRAM_RULE_WHOLE_PAGES == MUSE_PROGRAM_WHOLE_PAGES,
	       "muse.h and the protocol agree on the whole-pages rule");
_Static_assert((MUSE_PROGRAM_RULE_IN_ORDER | MUSE_PROGRAM_RULE_WHOLE_PAGES) ==
	       MUSE_PROGRAM_RULES, "muse.h names every rule the protocol has");
_Static_assert(MUSE_PROGRAM_BUDGET_UNLIMITED == MUSE_PROGRAM_UNLIMITED,
	       "muse.h and the protocol agree on the unlimited grant");
_Static_assert(MUSE_KERNEL_BUDGET_UNLIMITED == MUSE_BUDGET_UNLIMITED,
	       "muse.h and the protocol agree on the unlimited budget");

int muse_session_set_program_backing(struct muse_session *se,
				     uint64_t map_offset, uint32_t map_stride,
				     uint64_t count_offset,
				     uint32_t count_stride, unsigned int rules)
{
	struct muse_program_backing arg = {
		.map_offset = map_offset, .count_offset = count_offset,
		.map_stride = map_stride, .count_stride = count_stride,
		.rules = rules,
	};
	int ret = muse__ext_ready(se, MUSE_EXT_KERNEL_PROGRAM);

	if (ret)
		return ret;
	if (rules & ~MUSE_PROGRAM_RULES)
		return -EINVAL;
	/*
	 * Every block a bitmap and a __u16 count of its own, the count
	 * naturally aligned: a shorter stride would make blocks share them.
	 * Where they sit in the file is the kernel's to check.
	 */
	if (map_stride < muse_program_map_bytes(se->dev.erasesize,
						se->dev.writesize,
						se->dev.subpage_shift))
		return -EINVAL;
	if (count_offset % 2 || count_stride % 2 || count_stride < 2)
		return -EINVAL;
	return muse__ioctl(se, MUSE_IOC_PROGRAM_BACKING, &arg);
}

int muse_session_program_grant(struct muse_session *se, uint64_t first_block,
			       uint64_t count, uint32_t budget)
{
	struct muse_program_grant arg = {
		.first_block = first_block, .count = count, .budget = budget,
	};
	int ret = muse__blocks_ready(se, MUSE_EXT_KERNEL_PROGRAM, first_block,
				     count);

	return ret ? ret : muse__ioctl(se, MUSE_IOC_PROGRAM_GRANT, &arg);
}

/*
 * One MUSE_IOC_KERNEL_BUDGET operation; @arg->value in and out.  The
 * budget came with kernel program (1.4), but only kernel erase is needed
 * to use it: a module before 1.4, which has kernel erase but not the
 * ioctl, answers ENOTTY, which is "not supported" to the caller.
 */
static int kernel_budget_op(struct muse_session *se,
			    struct muse_kernel_budget *arg)
{
	int ret = muse__ext_ready(se, MUSE_EXT_KERNEL_ERASE);

	if (!ret)
		ret = muse__ioctl(se, MUSE_IOC_KERNEL_BUDGET, arg);
	return ret == -ENOTTY ? -EOPNOTSUPP : ret;
}

int muse_session_set_kernel_budget(struct muse_session *se, uint64_t budget)
{
	struct muse_kernel_budget arg = {
		.op = MUSE_BUDGET_SET, .value = budget,
	};

	return kernel_budget_op(se, &arg);
}

int muse_session_kernel_budget(struct muse_session *se, uint64_t *budget)
{
	struct muse_kernel_budget arg = { .op = MUSE_BUDGET_GET };
	int ret;

	if (!budget)
		return -EFAULT;
	ret = kernel_budget_op(se, &arg);
	if (!ret)
		*budget = arg.value;
	return ret;
}

int muse_session_take_kernel_budget(struct muse_session *se)
{
	struct muse_kernel_budget arg = { .op = MUSE_BUDGET_TAKE };
	int ret = kernel_budget_op(se, &arg);

	if (ret)
		return ret;
	return arg.value ? 1 : 0;
}
