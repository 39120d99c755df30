/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libmuse internals shared by the session, loop, dispatch, reply, init
 * and device code.  Nothing here is exported: the functions carry the
 * muse__ prefix so that they cannot pass for API even if the visibility
 * attribute were lost, and libmuse.map names every exported symbol.
 */
#ifndef MUSE_I_H
#define MUSE_I_H

#include <pthread.h>
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

/* Body size of the extended READ/WRITE request layouts. */
#define MUSE__EXT_IO_IN_SIZE sizeof(struct muse_read_in)

/* Where READ data goes in a request buffer: after the longest header. */
#define MUSE__READ_DATA_OFFSET \
	(sizeof(struct fuse_in_header) + MUSE__EXT_IO_IN_SIZE)

/*
 * The largest request buffer a session will allocate.  A description that
 * needs more (huge max_io with a lot of OOB per tiny page) is refused by
 * muse_session_new() instead of failing at run time.
 */
#define MUSE__REQUEST_SIZE_MAX (256U << 20)

/*
 * The fields of struct muse_device that 1.0 defined before its reserved
 * space: the smallest dev_size muse_session_new() takes.  Pinned to 1.0;
 * fields added later come out of reserved[] or after it.
 */
#define MUSE__DEVICE_SIZE_1_0 (offsetof(struct muse_device, partitions) + \
			       sizeof(const char *))

/*
 * The longest MUSE_REGISTERED request: every request slot of a session
 * that may accept MUSE_EXT_REGISTERED holds it.
 */
#define MUSE__REGISTERED_REQUEST_MAX \
	(sizeof(struct fuse_in_header) + MUSE_REGISTERED_IN_MAX)

/* Test hook: called by a loop right before it sleeps in poll(). */
typedef void (*muse__poll_hook_fn)(void *arg);

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
	atomic_bool error_logged;	/* the one log line was printed */
	atomic_bool malformed_logged;	/* a malformed request was logged */
	atomic_bool registration_seen;	/* MUSE_REGISTERED was handled */

	/* Negotiated at MUSE_INIT; read-only afterwards. */
	bool initialised;
	bool ext_layout;		/* extended READ/WRITE layouts */
	unsigned int ext;		/* MUSE_EXT_* accepted */
	uint32_t unit;			/* largest READ/WRITE payload */
	uint32_t oobsize;		/* OOB per page the kernel knows of */

	/*
	 * Request slots: one per request being read, handled or kept.  A
	 * slot is never freed before the session, so that a late second
	 * reply to a kept request finds memory it may inspect.
	 */
	pthread_mutex_t pool_lock;
	struct muse_req *free_slots;
	struct muse_req *all_slots;
	size_t slot_size;		/* request buffer of a new slot */

	muse__poll_hook_fn poll_hook;
	void *poll_hook_arg;
};

/*
 * Where a reply goes: written to an fd with writev(), or gathered into a
 * caller's buffer (muse_session_handle_buf()).
 */
struct muse__reply_sink {
	int fd;				/* >= 0: writev() to it */
	void *buf;			/* else: gather here */
	size_t size;
	size_t len;			/* bytes gathered */
};

/* Where a request is in its life; struct muse_req.state. */
enum muse__req_state {
	MUSE__REQ_IDLE,			/* free, or being read/parsed */
	MUSE__REQ_CALLBACK,		/* its callback runs */
	MUSE__REQ_KEPT,			/* kept, not answered yet */
	MUSE__REQ_ANSWERED,		/* a kept request was answered */
};

/* Returned by muse__dispatch() when a callback kept the request. */
#define MUSE__KEPT 1

/*
 * One request: a slot of the session's pool (requests read from the fd)
 * or a stack object (muse_session_handle_buf(), which cannot keep).
 */
struct muse_req {
	struct muse_session *se;
	uint64_t unique;
	uint32_t opcode;
	const unsigned char *body;	/* after the fuse_in_header */
	size_t bodylen;
	/* Room for READ data, ideally where the reply will carry it. */
	void *scratch;
	size_t scratch_size;
	struct muse__reply_sink sink;
	struct muse_io io;		/* READ/WRITE as the callback got it */
	struct muse_ecc_result ecc;	/* a synchronous READ's result */

	atomic_int state;		/* enum muse__req_state */
	/* The dispatcher's flag while the callback may keep; else NULL. */
	bool *keep_flag;

	/* Pool slots only; others cannot be kept. */
	bool pooled;
	struct muse_req *next_free;
	struct muse_req *next_all;
	size_t bufsize;
	unsigned char *buf;		/* the request as read, then READ data */
};

/* device.c */
int muse__device_validate(const struct muse_device *dev);
uint32_t muse__bitflip_threshold(const struct muse_device *dev);
uint32_t muse__device_max_unit(const struct muse_device *dev);
size_t muse__request_size(uint32_t unit, uint32_t writesize,
			  uint32_t oobsize);

/* reply.c */
int muse__reply_iov(struct muse_req *req, int error, struct iovec *iov,
		    int count);
int muse__reply_error(struct muse_req *req, int error);
int muse__complete(struct muse_req *req, int result,
		   const struct muse_ecc_result *ecc);
int muse__clamp_errno(int ret);
int muse__reply_outcome(struct muse_session *se, int ret);

/* init.c */
int muse__handle_init(struct muse_req *req);
int muse__info_fits(const struct muse_session *se);

/* dispatch.c */
int muse__dispatch(struct muse_req *req, const void *buf, size_t n);
int muse__reject_malformed(struct muse_req *req, int err, const char *what);
size_t muse__read_out_size(const struct muse_session *se);

/* session.c */
struct muse_req *muse__slot_get(struct muse_session *se);
void muse__slot_put(struct muse_session *se, struct muse_req *slot);
void muse__set_poll_hook(struct muse_session *se, muse__poll_hook_fn fn,
			 void *arg);

/* registered.c */
int muse__handle_registered(struct muse_req *req);

/* passthrough.c */
int muse__ext_ready(const struct muse_session *se, unsigned int ext);
int muse__blocks_ready(const struct muse_session *se, unsigned int ext,
		       uint64_t first, uint64_t count);
int muse__ioctl(const struct muse_session *se, unsigned long cmd, void *arg);

/* loop.c */
ssize_t muse__receive(struct muse_session *se, void *buf, size_t size);
int muse__handle_slot(struct muse_session *se, struct muse_req *slot,
		      size_t n);

#endif /* MUSE_I_H */
