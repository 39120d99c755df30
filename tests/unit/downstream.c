// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A downstream program, built with nothing but `pkg-config --cflags --libs
 * libmuse` against an installed copy of the library (install-test.sh) or
 * the unpacked Debian packages (tests/packaging): it checks the version and
 * answers one INIT request without a kernel.
 */
#include <stdio.h>
#include <string.h>
#include <muse/muse.h>
#include <muse/muse_kernel.h>
#include <linux/fuse.h>

int main(void)
{
	const struct muse_device dev = {
		.type = MUSE_TYPE_NAND, .size = 1 << 20,
		.writesize = 2048, .erasesize = 128 << 10,
	};
	struct {
		struct fuse_in_header h;
		struct muse_init_in in;
	} req = {
		{ .len = sizeof(req), .opcode = MUSE_INIT, .unique = 1 },
		{ .fuse_major = 7, .fuse_minor = 38 },
	};
	unsigned char reply[4096];
	struct muse_session *se;
	ssize_t n;

	if (muse_version() >> 16 != MUSE_VERSION_MAJOR) {
		fprintf(stderr, "muse_version() 0x%x\n", muse_version());
		return 1;
	}
	if (muse_session_new(&dev, sizeof(dev), NULL, 0, 0, NULL, &se))
		return 1;
	n = muse_session_handle_buf(se, &req, sizeof(req), reply,
				    sizeof(reply));
	muse_session_destroy(se);
	/* header + v2 init_out + at least NAME=... */
	if (n < 16 + MUSE_COMPAT_INIT_OUT_SIZE + 7) {
		fprintf(stderr, "INIT reply: %zd\n", n);
		return 1;
	}
	puts("downstream ok");
	return 0;
}
