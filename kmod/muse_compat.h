/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * MUSE: MTD in userspace.  The differences between the kernels the module
 * builds and runs on (6.1 through the newest 7.x), in one place.
 */
#ifndef MUSE_COMPAT_H
#define MUSE_COMPAT_H

#include <linux/mtd/mtd.h>

/*
 * The MTD whose _get_device() is called: 6.1 and 7.x pass the master, 6.12
 * passes the partition being opened.  Every kernel passes the master to
 * _put_device().
 */
static inline struct mtd_info *muse_get_device_master(struct mtd_info *mtd)
{
	return mtd_get_master(mtd);
}

#endif /* MUSE_COMPAT_H */
