/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Raw MUSE frames for tests, fuzzing and benchmarks: the one place that
 * lays out request frames as the kernel sends them and reply frames as a
 * server sends them, byte for byte (doc/protocol.md).  Every builder
 * writes into a caller's buffer, which must be large enough, and returns
 * the frame's length.  Fields are host order, as on the wire.
 */
#ifndef MUSE_TEST_FRAMES_H
#define MUSE_TEST_FRAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/fuse.h>

#include <muse/muse_kernel.h>

/* ---- Requests (kernel to server) ----------------------------------- */

/* fuse_in_header (len = 40 + @bodylen, nodeid 1) followed by @body. */
size_t mf_request(void *buf, uint32_t opcode, uint64_t unique,
		  const void *body, size_t bodylen);

/* MUSE_INIT of a v2 kernel: 8-byte body, FUSE 7.@minor. */
size_t mf_init_v2(void *buf, uint64_t unique, uint32_t minor);

/* MUSE_INIT of an extended kernel offering @flags and @max_io. */
size_t mf_init_ext(void *buf, uint64_t unique, uint32_t flags,
		   uint32_t max_io);

/* One READ/WRITE request body, compat (24 bytes) or extended (32). */
struct mf_io {
	bool ext;		/* extended layout */
	uint64_t addr;
	uint64_t len;
	uint32_t flags;		/* MUSE_IO_* */
	uint32_t ooboffs;	/* extended only */
	uint32_t ooblen;	/* extended only */
};

/* The body of @io alone; returns 24 or 32. */
size_t mf_io_body(void *buf, const struct mf_io *io);

/*
 * A READ (@payload NULL) or WRITE: header, body of @io, then @paylen
 * bytes of @payload (a WRITE's data and OOB).
 */
size_t mf_io(void *buf, uint32_t opcode, uint64_t unique,
	     const struct mf_io *io, const void *payload, size_t paylen);

/* MUSE_ERASE of [@addr, @addr + @len). */
size_t mf_erase(void *buf, uint64_t unique, uint64_t addr, uint64_t len);

/* MUSE_ISBAD or MUSE_MARKBAD of the block at @addr. */
size_t mf_block(void *buf, uint32_t opcode, uint64_t unique, uint64_t addr);

/* One partition of a MUSE_REGISTERED body. */
struct mf_part {
	int32_t index;
	uint64_t offset;
	uint64_t size;
	const char *name;	/* copied NUL-padded, at most MUSE_NAME_MAX */
};

/*
 * MUSE_REGISTERED with @nr_parts of @parts; the body's nr_parts says
 * @claimed parts, so that a count that lies can be built.
 */
size_t mf_registered(void *buf, uint64_t unique, int32_t error,
		     uint32_t conn_id, int32_t index, uint32_t claimed,
		     const struct mf_part *parts, uint32_t nr_parts);

/* Offset of the addr field of a READ/WRITE request, to re-aim one. */
#define MF_IO_ADDR_OFFSET sizeof(struct fuse_in_header)

/* ---- Replies (server to kernel) ------------------------------------ */

/*
 * fuse_out_header (len = 16 + @l1 + @l2, @error, @unique), then @p1 and
 * @p2 (either may be NULL with length 0).
 */
size_t mf_reply(void *buf, uint64_t unique, int32_t error,
		const void *p1, size_t l1, const void *p2, size_t l2);

/*
 * An info block from NULL-terminated "KEY=VALUE" strings; returns its
 * length, or 0 if it does not fit @size.
 */
size_t mf_info_block(char *buf, size_t size, const char *const *keys);

#endif /* MUSE_TEST_FRAMES_H */
