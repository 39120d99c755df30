/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rawpeer: a /dev/muse peer written against the wire protocol only (no
 * libmuse), for the test programs that must say things a correct server
 * never says or must control exactly when a request is read or answered.
 *
 * Transport: open, INIT handshake, read one request, write one reply with
 * any header (its length may lie).  Serving: a well-formed answer to any
 * request, either a constant pattern (rp_answer_pattern) or a flash kept
 * in memory (struct rp_flash).  Every function returns 0 or a negative
 * errno, never exits.
 */
#ifndef RAWPEER_H
#define RAWPEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/fuse.h>

#include <muse/muse_kernel.h>

/* Largest request the kernel may send (doc/protocol.md 5), with room. */
#define RP_REQ_MAX	(1u << 21)

/* A request as read from the device. */
struct rp_request {
	struct fuse_in_header ih;
	unsigned char *body;	/* points into buf, after the header */
	size_t bodylen;
	unsigned char buf[RP_REQ_MAX];
};

/*
 * A good extended INIT reply body (flags: every extension but
 * MUSE_EXT_REGISTERED, whose request a peer must expect).
 */
#define RP_INIT_OUT(major, minor, max_read_, max_write_, flags_) {	\
	.fuse_major = (major), .fuse_minor = (minor),			\
	.max_read = (max_read_), .max_write = (max_write_),		\
	.flags = (flags_) }
#define RP_GOOD_INIT_OUT RP_INIT_OUT(7, 38, 65536, 65536, \
				       MUSE_EXT_ALL & ~MUSE_EXT_REGISTERED)

/* Log every request read to stderr (for --verbose). */
extern bool rp_verbose;

/* poll() for POLLIN: 0, -ETIMEDOUT, -ENODEV (POLLERR) or -errno. */
int rp_wait_readable(int fd, int ms);

/* Read one whole request within ms; -EPROTO if it is not one. */
int rp_read_request(int fd, struct rp_request *req, int ms);

/*
 * Write one reply: header fields as given (len too, so that it can lie),
 * then the two parts (either may be empty).
 */
int rp_send_reply(int fd, uint32_t len, int32_t error, uint64_t unique,
		  const void *p1, size_t l1, const void *p2, size_t l2);

/* rp_send_reply() with the right header length. */
int rp_reply(int fd, int32_t error, uint64_t unique,
	     const void *p1, size_t l1, const void *p2, size_t l2);

/*
 * Open the device and read its first request, which must be an extended
 * INIT offering every extension.  Returns the fd or a negative errno;
 * on -EPROTO, why says what was wrong.
 */
int rp_open_init(const char *device, struct rp_request *req,
		 char *why, size_t whylen);

/*
 * Answer the INIT in req with out (out_size bytes) and an info block
 * (frames.h: mf_info_block(), mdc_info_block()) of info_len bytes.
 */
int rp_reply_init_info(int fd, const struct rp_request *req,
		       const struct muse_init_out *out, size_t out_size,
		       const char *info, size_t info_len);

/* rp_reply_init_info() with the info block of NULL-terminated keys. */
int rp_reply_init(int fd, const struct rp_request *req,
		  const struct muse_init_out *out, size_t out_size,
		  const char *const *keys);

/*
 * rp_open_init() + rp_reply_init() with RP_GOOD_INIT_OUT: the fd of a
 * registered connection, or a negative errno (the fd is closed).
 */
int rp_connect(const char *device, struct rp_request *req,
	       const char *const *keys);

/*
 * The module's per-connection directory, /sys/fs/muse/connections/<id>/,
 * of the connection serving the MTD called name opened by process pid:
 * 0 with its path in dir, or -ENOENT (errno set too).
 */
int rp_conn_dir(const char *name, pid_t pid, char *dir, size_t len);

/* Write value to the file of a connection directory: 0 or -errno. */
int rp_conn_write(const char *dir, const char *file, const char *value);

/* A well-formed answer to any request; READ data is all `pattern`. */
int rp_answer_pattern(int fd, const struct rp_request *req,
		      unsigned char pattern);

/*
 * A flash kept in memory: programming ANDs bits in (NOR and NAND alike),
 * erasing sets a block to 0xff, MARKBAD/ISBAD keep one flag per block.
 * OOB is oobsize bytes per page, addressed by page and ooboffs in every
 * mode (good enough for peers that read back what they wrote).
 */
struct rp_flash {
	uint64_t size;
	uint32_t writesize;
	uint32_t erasesize;
	uint32_t oobsize;
	unsigned char *data;
	unsigned char *oob;
	unsigned char *bad;	/* one byte per eraseblock */
};

int rp_flash_init(struct rp_flash *f, uint64_t size, uint32_t writesize,
		  uint32_t erasesize, uint32_t oobsize);
void rp_flash_free(struct rp_flash *f);

/*
 * Carry out req on the flash and describe the reply in *reply: the body
 * (rp_flash_reply.out, out_len bytes) and the payload (data, data_len).
 * Returns 0, or -EINVAL when the request is outside the flash (the reply
 * then carries that error).  Callers may change the reply before sending.
 */
struct rp_flash_reply {
	int32_t error;
	union {
		struct muse_read_out read;
		struct muse_write_out write;
		struct muse_isbad_out isbad;
	} out;
	size_t out_len;
	const unsigned char *data;
	size_t data_len;
	const unsigned char *oob;
	size_t oob_len;
};

int rp_flash_execute(struct rp_flash *f, const struct rp_request *req,
		     struct rp_flash_reply *reply);

/* Send a reply built by rp_flash_execute(). */
int rp_flash_send(int fd, const struct rp_request *req,
		  const struct rp_flash_reply *reply);

#endif /* RAWPEER_H */
