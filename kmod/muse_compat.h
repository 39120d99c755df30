/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * MUSE: MTD in userspace.  The differences between the kernels the module
 * builds for (6.1 through the newest 7.x), in one place.
 *
 * Tested by building against each kernel's tree; prefer a feature test
 * (__has_include, a macro's presence) over a version number where one
 * exists, because distributions backport.
 */
#ifndef MUSE_COMPAT_H
#define MUSE_COMPAT_H

/* hex_to_bin() moved from <linux/kernel.h> to <linux/hex.h> in 6.12. */
#if __has_include(<linux/hex.h>)
#include <linux/hex.h>
#else
#include <linux/kernel.h>
#endif

#endif /* MUSE_COMPAT_H */
