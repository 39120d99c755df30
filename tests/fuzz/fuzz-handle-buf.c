// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target over muse_session_handle_buf().
 *
 * Input: one flags byte (bit 0: MUSE_SESSION_SPLIT_PAGES, bit 1:
 * MUSE_SESSION_NO_EXTENSIONS) and then records of a little-endian u16
 * length and that many request bytes (the last record takes what is
 * left).  Every record goes to two sessions: one that starts
 * uninitialised (so records can drive INIT and what follows) and one
 * already through an extended INIT with OOB, LARGE_IO and ECC_STATS.
 *
 * The callbacks abort on any request outside the device or its OOB, and
 * every reply is checked with the rules the module applies to a reply
 * (<muse/muse_kernel.h>'s predicates): its length and unique, its header
 * error (muse_reply_error_valid()), no body after an error, and the
 * soft_error of a READ's or WRITE's (muse_soft_error_valid()).  The
 * callbacks return what the module refuses (positive, -EUCLEAN and
 * -EBADMSG as a result, errnos past the bound), which the library must
 * turn into something it takes.  So the fuzzer finds validation gaps as
 * well as memory errors.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/fuse.h>

#include <muse/muse.h>
#include <muse/muse_kernel.h>

#include "frames.h"

#define PAGE 512
#define BLOCK 4096
#define SIZE (64 << 10)
#define OOB 16
#define OOBAVAIL 6

static const struct muse_device fuzz_nand = {
	.name = "fuzz", .type = MUSE_TYPE_NAND, .flags = MUSE_FLAG_WRITEABLE,
	.size = SIZE, .writesize = PAGE, .erasesize = BLOCK,
	.oobsize = OOB, .oobavail = OOBAVAIL,
	.ecc_strength = 4, .ecc_step = PAGE, .max_io = 4 * PAGE,
	.partitions = "16K(boot)ro,-(ubi)",
};

static unsigned char flash[SIZE];
static unsigned char oob[SIZE / PAGE * OOB];

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: check failed: %s\n",		\
			__FILE__, __LINE__, #cond);			\
		abort();						\
	}								\
} while (0)

/* The OOB a request names must be inside the pages it starts at. */
static void check_io(const struct muse_io *io)
{
	uint32_t per_page = io->mode == MUSE_OOB_AUTO ? OOBAVAIL : OOB;
	uint64_t first = io->addr / PAGE;

	CHECK(io->addr <= SIZE && io->len <= SIZE - io->addr);
	CHECK(io->mode == MUSE_OOB_PLACE || io->mode == MUSE_OOB_AUTO ||
	      io->mode == MUSE_OOB_RAW);
	if (io->ooblen) {
		CHECK(io->ooboffs < per_page);
		CHECK(first + (io->ooboffs + io->ooblen + per_page - 1) /
		      per_page <= SIZE / PAGE);
	}
}

/* The OOB bytes of a request, flattened: offset into oob[]. */
static size_t oob_offset(const struct muse_io *io)
{
	return io->addr / PAGE * OOB + io->ooboffs;
}

static int fuzz_read(void *userdata, struct muse_req *req,
		     const struct muse_io *io, struct muse_ecc_result *ecc)
{
	check_io(io);
	memcpy(io->buf, flash + io->addr, io->len);
	if (io->ooblen && oob_offset(io) + io->ooblen <= sizeof(oob))
		memcpy(io->oobbuf, oob + oob_offset(io), io->ooblen);
	else
		memset(io->oobbuf, 0xff, io->ooblen);

	/* Exercise every way a read can end, by page. */
	switch (io->addr / PAGE % 8) {
	case 2:
		return -EUCLEAN;	/* bit flips, no data: must become -EIO */
	case 3:
		return -5000;		/* past the bound: clamped */
	case 4:
		ecc->corrected = 3;
		ecc->max_bitflips = 3;
		break;
	case 5:
		return -EIO;
	case 6:
		return 1;	/* bogus: must be clamped */
	case 7:
		ecc->failed = 1;
		break;
	}
	return 0;
}

static int fuzz_write(void *userdata, struct muse_req *req,
		      const struct muse_io *io)
{
	check_io(io);
	memcpy(flash + io->addr, io->buf, io->len);
	if (io->ooblen && oob_offset(io) + io->ooblen <= sizeof(oob))
		memcpy(oob + oob_offset(io), io->oobbuf, io->ooblen);
	switch (io->addr / PAGE % 8) {
	case 2:
		return -EBADMSG;	/* an ECC verdict, never a write's */
	case 5:
		return -EROFS;
	}
	return 0;
}

static int fuzz_erase(void *userdata, struct muse_req *req, uint64_t addr,
		      uint64_t len)
{
	CHECK(len && addr % BLOCK == 0 && len % BLOCK == 0);
	CHECK(addr < SIZE && len <= SIZE - addr);
	memset(flash + addr, 0xff, len);
	return 0;
}

static int fuzz_isbad(void *userdata, struct muse_req *req, uint64_t addr)
{
	CHECK(addr % BLOCK == 0 && addr < SIZE);
	return addr / BLOCK % 3 == 2 ? 7 : (int)(addr / BLOCK % 2);
}

static int fuzz_markbad(void *userdata, struct muse_req *req,
			uint64_t addr)
{
	CHECK(addr % BLOCK == 0 && addr < SIZE);
	return 0;
}

static int fuzz_sync(void *userdata, struct muse_req *req)
{
	return -5000;	/* bogus: must be clamped */
}

/* Only what section 10 allows reaches the callback. */
static void fuzz_registered(void *userdata,
			    const struct muse_registration *reg)
{
	unsigned int i;

	CHECK(reg->nr_parts <= MUSE_PARTS_MAX);
	CHECK(!reg->nr_parts == !reg->parts);
	if (reg->error)
		CHECK(reg->error < 0 && reg->index == -1 && !reg->nr_parts);
	else
		CHECK(reg->index >= 0 || reg->nr_parts);
	for (i = 0; i < reg->nr_parts; i++) {
		const struct muse_mtd_part *p = &reg->parts[i];
		size_t len = strlen(p->name);

		CHECK(p->index >= 0 && len && len <= MUSE_NAME_MAX);
		CHECK(p->size && p->offset < SIZE && p->size <= SIZE - p->offset);
	}
}

static const struct muse_ops fuzz_ops = {
	.read = fuzz_read, .write = fuzz_write, .erase = fuzz_erase,
	.isbad = fuzz_isbad, .markbad = fuzz_markbad, .sync = fuzz_sync,
	.registered = fuzz_registered,
};

/* Whatever came in, what goes out must be a reply the kernel accepts. */
static void check_reply(const unsigned char *req, size_t reqlen,
			const unsigned char *reply, ssize_t n)
{
	struct fuse_in_header in;
	struct fuse_out_header out;

	if (reqlen < sizeof(in)) {
		CHECK(n == -EPROTO);
		return;
	}
	memcpy(&in, req, sizeof(in));
	if (!in.unique) {
		CHECK(n == 0);
		return;
	}
	CHECK(n >= (ssize_t)sizeof(out));
	memcpy(&out, reply, sizeof(out));
	CHECK(out.len == (uint32_t)n);
	CHECK(out.unique == in.unique);
	CHECK(muse_reply_error_valid(out.error));
	if (out.error)
		CHECK(n == sizeof(out));
	if (in.len != reqlen)
		CHECK(out.error == -EINVAL);
	if (!out.error &&
	    (in.opcode == MUSE_READ || in.opcode == MUSE_WRITE)) {
		/* Both bodies, v2 or extended, start datalen, soft_error. */
		const size_t at = sizeof(out) +
				  offsetof(struct muse_read_out, soft_error);
		int32_t soft_error;

		_Static_assert(offsetof(struct muse_read_out, soft_error) ==
			       offsetof(struct muse_write_out, soft_error),
			       "soft_error at the same place in both");
		CHECK(n >= (ssize_t)(sizeof(out) + MUSE_COMPAT_WRITE_OUT_SIZE));
		memcpy(&soft_error, reply + at, sizeof(soft_error));
		CHECK(muse_soft_error_valid(in.opcode, soft_error));
	}
}

static void feed(struct muse_session *se, const unsigned char *req,
		 size_t reqlen)
{
	static unsigned char reply[64 << 10];
	ssize_t n = muse_session_handle_buf(se, req, reqlen, reply,
					    sizeof(reply));

	check_reply(req, reqlen, reply, n);
}

static struct muse_session *new_session(unsigned int flags)
{
	struct muse_session *se;

	CHECK(muse_session_new(&fuzz_nand, sizeof(fuzz_nand), &fuzz_ops,
			       sizeof(fuzz_ops), flags, NULL, &se) == 0);
	return se;
}

static void init_extended(struct muse_session *se)
{
	unsigned char req[64];

	feed(se, req, mf_init_ext(req, 1, MUSE_EXT_ALL, 1 << 20));
}

/*
 * Malformed requests are what the fuzzer feeds: the library logs one per
 * session, two sessions per input, which would bury libFuzzer's own
 * output and slow it down.  The messages' formatting still runs.
 */
__attribute__((format(printf, 2, 0)))
static void format_and_drop(enum muse_log_level level, const char *fmt,
			    va_list ap)
{
	char line[256];

	(void)level;
	vsnprintf(line, sizeof(line), fmt, ap);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct muse_session *fresh, *ready;
	unsigned int flags;

	muse_set_log_func(format_and_drop);
	if (!size)
		return 0;
	flags = data[0] & (MUSE_SESSION_SPLIT_PAGES |
			   MUSE_SESSION_NO_EXTENSIONS);
	data++;
	size--;

	fresh = new_session(flags);
	ready = new_session(flags);
	init_extended(ready);

	while (size) {
		size_t len = size >= 2 ? (size_t)(data[0] | data[1] << 8) : 0;

		data += size >= 2 ? 2 : size;
		size -= size >= 2 ? 2 : size;
		if (len > size)
			len = size;
		/* A private copy, so ASan sees any read past its end. */
		unsigned char *req = malloc(len ? len : 1);

		CHECK(req);
		memcpy(req, data, len);
		feed(fresh, req, len);
		feed(ready, req, len);
		free(req);
		data += len;
		size -= len;
	}
	muse_session_destroy(fresh);
	muse_session_destroy(ready);
	return 0;
}
