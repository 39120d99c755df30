/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Shared pieces of the libmuse unit tests: a small test device whose
 * callbacks record what they were asked, and reply checks that compare
 * against explicit bytes.  Request frames come from tests/lib/frames.h.
 */
#ifndef MUSE_TEST_HELPERS_H
#define MUSE_TEST_HELPERS_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <linux/fuse.h>

#include <muse/muse.h>
#include <muse/muse_kernel.h>

#include "frames.h"

/* Little-endian bytes of a value, for writing expected replies out. */
#define LE16(v) ((v) & 0xff), (((v) >> 8) & 0xff)
#define LE32(v) LE16((v) & 0xffff), LE16(((v) >> 16) & 0xffff)
#define LE64(v) LE32((uint64_t)(v) & 0xffffffffU), LE32((uint64_t)(v) >> 32)
/* A fuse_out_header. */
#define OUT_HDR(len, err, unique) LE32(len), LE32((uint32_t)(err)), LE64(unique)

/*
 * The test device: tiny pages so that whole replies can be written out.
 * 16-byte pages, 4 pages per 64-byte block, 16 blocks; 4 OOB bytes per
 * page of which 2 are free; 4-bit ECC per 16 bytes (threshold 3); up to
 * two pages per request.
 */
#define TDEV_SIZE	1024
#define TDEV_PAGE	16
#define TDEV_BLOCK	64
#define TDEV_OOB	4
#define TDEV_OOBAVAIL	2
#define TDEV_MAX_IO	32
extern const struct muse_device test_nand;
/* The description and its size, as muse_session_new() takes them. */
#define TEST_NAND &test_nand, sizeof(test_nand)

/* What one callback invocation was asked. */
struct call {
	char op;		/* 'r' 'w' 'e' 'i' 'm' 's' */
	uint64_t addr;
	uint64_t len;
	size_t ooblen;
	uint32_t ooboffs;
	uint32_t mode;
	unsigned char data[64];	/* a write's data, then its OOB */
};

/*
 * The recorder behind test_ops.  Reads fill data with (addr + i) & 0xff
 * and OOB with 0xa0 + i, and report ecc[n] for the n-th call.
 */
struct recorder {
	struct call calls[64];
	unsigned int ncalls;
	int ret[64];			/* what the n-th call returns */
	struct muse_ecc_result ecc[64];
	int isbad_result;
};
extern const struct muse_ops test_ops;

/* A session serving @dev with test_ops recording into @rec. */
struct muse_session *new_session(const struct muse_device *dev,
				 unsigned int flags, struct recorder *rec);

/* Run @req through muse_session_handle_buf() into @reply (4096 bytes). */
ssize_t handle(struct muse_session *se, const void *req, size_t reqlen,
	       void *reply);

/* INIT as a v2 kernel / as an extended kernel offering @flags, @max_io. */
void init_v2(struct muse_session *se);
void init_ext(struct muse_session *se, uint32_t flags, uint32_t max_io);

/*
 * A session serving test_nand with the default callbacks, created with
 * @flags and initialised by an extended kernel offering @offered: for
 * what was negotiated and the calls that need it.
 */
struct muse_session *offered_session(unsigned int flags, uint32_t offered);

/* What a session created with some flags accepts from an offer. */
struct negotiation {
	const char *what;
	unsigned int session_flags;
	uint32_t offered;
	unsigned int accepted;		/* of the extensions looked at */
};

/*
 * Run offered_session() for each of @count negotiations and fail, naming
 * it, on the first whose accepted extensions, of @looked_at, differ.
 */
void assert_negotiations(const struct negotiation *n, size_t count,
			 unsigned int looked_at);

/* Assert @n bytes at @got equal @want (hex dump of both on mismatch). */
void assert_bytes(const void *got, size_t n, const void *want, size_t m);

/* Assert a header-only error reply for @unique. */
void assert_err_reply(const void *reply, ssize_t n, uint64_t unique, int err);

/* Send a request to the session and expect an error reply. */
void expect_error(struct muse_session *se, uint32_t opcode, const void *body,
		  size_t bodylen, int err);

#endif /* MUSE_TEST_HELPERS_H */
