// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * minimal: a 16 MiB RAM-backed NOR flash served through /dev/muse, as a
 * template: describe the flash, implement the callbacks, run the
 * multi-threaded loop until Ctrl-C.  Usage: ./minimal [/dev/muse]
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <muse/muse.h>

#define FLASH_SIZE (16U << 20)
#define BLOCK_SIZE (64U << 10)

static unsigned char flash[FLASH_SIZE];
static struct muse_session *session;

/* libmuse has checked that every request lies inside the device. */
static int flash_read(void *ud, struct muse_req *req,
		      const struct muse_io *io, struct muse_ecc_result *ecc)
{
	memcpy(io->buf, flash + io->addr, io->len);
	return 0;
}

/* NOR programming can only clear bits; erase sets them again. */
static int flash_write(void *ud, struct muse_req *req, const struct muse_io *io)
{
	const unsigned char *src = io->buf;

	for (size_t i = 0; i < io->len; i++)
		flash[io->addr + i] &= src[i];
	return 0;
}

static int flash_erase(void *ud, struct muse_req *req, uint64_t addr,
		       uint64_t len)
{
	memset(flash + addr, 0xff, len);
	return 0;
}

static void on_signal(int sig)
{
	muse_session_exit(session);
}

int main(int argc, char **argv)
{
	const struct muse_device dev = {
		.name = "minimal", .type = MUSE_TYPE_NOR,
		.flags = MUSE_FLAG_WRITEABLE | MUSE_FLAG_BIT_WRITEABLE,
		.size = FLASH_SIZE, .writesize = 1, .erasesize = BLOCK_SIZE,
		.writebufsize = 256, .max_io = 64U << 10,
	};
	const struct muse_ops ops = {
		.read = flash_read, .write = flash_write, .erase = flash_erase,
	};
	int ret;

	memset(flash, 0xff, sizeof(flash));	/* erased NOR reads 0xff */
	ret = muse_session_new(&dev, sizeof(dev), &ops, sizeof(ops), 0, NULL,
			       &session);
	if (!ret)
		ret = muse_session_open(session, argc > 1 ? argv[1] : NULL);
	if (!ret)
		ret = muse_session_init(session);
	if (!ret) {
		signal(SIGINT, on_signal);
		ret = muse_session_loop_mt(session, 4);
	}
	if (ret)
		fprintf(stderr, "minimal: %s\n", strerror(-ret));
	muse_session_destroy(session);
	return ret ? 1 : 0;
}
