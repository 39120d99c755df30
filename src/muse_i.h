/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libmuse internals shared by the session, dispatch, reply, init and
 * device code.  Nothing here is exported.
 */
#ifndef MUSE_I_H
#define MUSE_I_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <linux/fuse.h>

/*
 * The library is built with hidden visibility; only the declarations of
 * the public header are exported (and the version script keeps it so).
 */
#pragma GCC visibility push(default)
#include "muse/muse.h"
#pragma GCC visibility pop
#include "muse/muse_kernel.h"

/* Longest MTD name the kernel module accepts. */
#define MUSE_NAME_MAX 64

/* Errors a reply header may carry: [-MUSE_ERRNO_MAX, -1]. */
#define MUSE_ERRNO_MAX 4095

/* Body sizes of the extended READ/WRITE request layouts. */
#define MUSE_EXT_IO_IN_SIZE sizeof(struct muse_read_in)

/*
 * The largest request buffer a session will allocate.  A description that
 * needs more (huge max_io with a lot of OOB per tiny page) is refused by
 * muse_session_new() instead of failing at run time.
 */
#define MUSE_REQUEST_SIZE_MAX (256U << 20)

struct muse_session {
	struct muse_device dev;		/* validated, defaults filled in */
	char *name;			/* owned copies of dev's strings */
	char *partitions;
	struct muse_ops ops;		/* NULL callbacks replaced by defaults */
	void *userdata;
	unsigned int flags;		/* MUSE_SESSION_* */

	int fd;
	bool own_fd;			/* opened by muse_session_open() */
	int exit_fd;			/* eventfd, readable once exit was asked */
	atomic_bool exited;
	atomic_bool reply_error_logged;

	/* Negotiated at MUSE_INIT; read-only afterwards. */
	bool initialised;
	bool ext_layout;		/* extended READ/WRITE layouts */
	unsigned int ext;		/* MUSE_EXT_* accepted */
	uint32_t unit;			/* largest READ/WRITE payload */
	uint32_t oobsize;		/* OOB per page the kernel knows of */

	/* Request buffer of muse_session_init() and muse_session_process(). */
	void *buf;
	size_t bufsize;
};

/*
 * Where a reply goes: written to an fd with writev(), or gathered into a
 * caller's buffer (muse_session_handle_buf()).
 */
struct muse_reply_sink {
	int fd;				/* >= 0: writev() to it */
	void *buf;			/* else: gather here */
	size_t size;
	size_t len;			/* bytes gathered */
};

/* One request being handled. */
struct muse_req {
	struct muse_session *se;
	uint64_t unique;
	uint32_t len;			/* fuse_in_header.len */
	const unsigned char *body;	/* after the fuse_in_header */
	size_t bodylen;
	/* Room for READ data, ideally where the reply will carry it. */
	void *scratch;
	size_t scratch_size;
	struct muse_reply_sink *sink;
};

/* device.c */
int muse_device_validate(const struct muse_device *dev);
uint32_t muse_device_bitflip_threshold(const struct muse_device *dev);
uint32_t muse_device_max_unit(const struct muse_device *dev);
size_t muse_request_size(uint32_t unit, uint32_t writesize,
			 uint32_t oobsize);

/* reply.c */
int muse_reply_iov(struct muse_req *req, int error, struct iovec *iov,
		   int count);
int muse_reply_err(struct muse_req *req, int error);
int muse_clamp_errno(int ret);

/* init.c */
int muse_handle_init(struct muse_req *req);

/* dispatch.c */
int muse_dispatch(struct muse_session *se, const void *req, size_t reqlen,
		  void *scratch, size_t scratch_size,
		  struct muse_reply_sink *sink);
size_t muse_read_out_size(const struct muse_session *se);

/* session.c */
ssize_t muse_receive(struct muse_session *se, void *buf, size_t size);
int muse_handle_received(struct muse_session *se, void *buf, size_t n,
			 size_t size);

#endif /* MUSE_I_H */
