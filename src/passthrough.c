// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Read passthrough (MUSE_EXT_PASSTHROUGH, doc/protocol.md section 7): the
 * server hands the kernel a file holding its in-band data and marks the
 * eraseblocks whose plain reads the kernel may serve from it.  Thin
 * wrappers over the /dev/muse ioctls, checked here first so that misuse
 * gets an errno without a system call.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/ioctl.h>

#include "muse_i.h"

_Static_assert(MUSE_PT_INVERTED == MUSE_BACKING_INVERTED,
	       "muse.h and the protocol agree on the backing flags");

/*
 * The checks and the call every extension ioctl shares (kernel-erase.c
 * too).  @ext: the MUSE_EXT_* the call needs in force.
 */
int muse__ext_ready(const struct muse_session *se, unsigned int ext)
{
	if ((se->ext & ext) != ext)
		return -EOPNOTSUPP;
	return se->fd < 0 ? -EBADF : 0;
}

/*
 * muse__ext_ready(), then @count eraseblocks from @first: at least one,
 * all inside the device.
 */
int muse__blocks_ready(const struct muse_session *se, unsigned int ext,
		       uint64_t first, uint64_t count)
{
	uint64_t blocks = se->dev.size / se->dev.erasesize;
	int ret = muse__ext_ready(se, ext);

	if (ret)
		return ret;
	if (!count || first >= blocks || count > blocks - first)
		return -EINVAL;
	return 0;
}

int muse__ioctl(const struct muse_session *se, unsigned long cmd, void *arg)
{
	return ioctl(se->fd, cmd, arg) < 0 ? -errno : 0;
}

int muse_session_set_backing(struct muse_session *se, int fd,
			     uint64_t data_offset, unsigned int flags)
{
	struct muse_backing arg = {
		.fd = fd, .flags = flags, .data_offset = data_offset,
	};
	int ret = muse__ext_ready(se, MUSE_EXT_PASSTHROUGH);

	if (ret)
		return ret;
	if (fd < 0)
		return -EBADF;
	if (flags & ~MUSE_PT_INVERTED)
		return -EINVAL;
	return muse__ioctl(se, MUSE_IOC_BACKING, &arg);
}

int muse_session_passthrough(struct muse_session *se, uint64_t first_block,
			     uint64_t count, int enable)
{
	struct muse_passthrough arg = {
		.first_block = first_block, .count = count,
		.enable = enable ? 1 : 0,
	};
	int ret = muse__blocks_ready(se, MUSE_EXT_PASSTHROUGH, first_block,
				     count);

	return ret ? ret : muse__ioctl(se, MUSE_IOC_PASSTHROUGH, &arg);
}

int muse_session_passthrough_reads(struct muse_session *se,
				   uint64_t first_block, uint64_t count,
				   uint32_t *counts, uint64_t *bytes)
{
	struct muse_pt_reads arg = {
		.first_block = first_block, .count = count,
		.counts = (uintptr_t)counts, .bytes = (uintptr_t)bytes,
	};
	int ret = muse__blocks_ready(se, MUSE_EXT_PASSTHROUGH, first_block,
				     count);

	if (!ret && !counts)
		ret = -EFAULT;
	return ret ? ret : muse__ioctl(se, MUSE_IOC_PT_READS, &arg);
}
