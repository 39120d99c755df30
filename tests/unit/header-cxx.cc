// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * muse_kernel.h compiled as C++: a C++ server includes it too, so its
 * predicates and static assertions must be C++ as well as C.
 */
#include <muse/muse_kernel.h>

int main()
{
	return muse_reply_error_valid(-EIO) && !muse_reply_error_valid(-EUCLEAN) &&
	       muse_soft_error_valid(MUSE_READ, -EBADMSG) &&
	       muse_ecc_valid(2048, 8, 512, 6) &&
	       muse_oob_bbm_bytes(64, 38) == 2 ? 0 : 1;
}
