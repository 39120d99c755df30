// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The installed headers compiled as C++: a C++ server includes muse.h
 * (and with it muse_kernel.h's predicates and static assertions), a C++
 * unit test testing.h.  Linked against libmuse, so muse.h's declarations
 * match the library's C symbols (extern "C").
 */
#include <muse/muse.h>
#include <muse/muse_kernel.h>
#include <muse/testing.h>

int main()
{
	muse_set_log_func(nullptr);
	return muse_reply_error_valid(-EIO) && !muse_reply_error_valid(-EUCLEAN) &&
	       muse_soft_error_valid(MUSE_READ, -EBADMSG) &&
	       muse_ecc_valid(2048, 8, 512, 6) &&
	       muse_oob_bbm_bytes(64, 38) == 2 ? 0 : 1;
}
