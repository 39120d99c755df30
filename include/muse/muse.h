/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libmuse: serve an MTD (raw flash device) from userspace through the
 * MUSE kernel module (/dev/muse).
 *
 * A server describes its flash in struct muse_device, implements the
 * operations it supports in struct muse_ops, creates a session and runs a
 * loop.  The kernel module registers the MTD once the MUSE_INIT handshake
 * succeeds and forwards every read, write, erase, bad-block query and sync
 * to the callbacks.
 *
 * Conventions: every function that can fail returns 0 (or a non-negative
 * count) on success and a negative errno on failure; handles are opaque.
 * The full reference is doc/libmuse.md.
 */
#ifndef MUSE_MUSE_H
#define MUSE_MUSE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MUSE_VERSION_MAJOR 0
#define MUSE_VERSION_MINOR 1

/* Flash types; the values are the kernel's MTD_* types. */
enum muse_type {
	MUSE_TYPE_RAM = 1,		/* MTD_RAM */
	MUSE_TYPE_ROM = 2,		/* MTD_ROM */
	MUSE_TYPE_NOR = 3,		/* MTD_NORFLASH */
	MUSE_TYPE_NAND = 4,		/* MTD_NANDFLASH (SLC) */
	MUSE_TYPE_DATAFLASH = 6,	/* MTD_DATAFLASH */
	MUSE_TYPE_MLC_NAND = 8,		/* MTD_MLCNANDFLASH */
};

/* Device flags; the values are the kernel's MTD_* flags. */
#define MUSE_FLAG_WRITEABLE	0x400	/* MTD_WRITEABLE */
#define MUSE_FLAG_BIT_WRITEABLE	0x800	/* MTD_BIT_WRITEABLE */
#define MUSE_FLAG_NO_ERASE	0x1000	/* MTD_NO_ERASE */

/*
 * The flash the session serves.  Zero means "default" for the optional
 * fields.  The strings are copied by muse_session_new().
 */
struct muse_device {
	const char *name;	/* MTD name; NULL: "muse-<pid>" */
	enum muse_type type;
	uint32_t flags;		/* MUSE_FLAG_* */
	uint64_t size;		/* total bytes, multiple of erasesize */
	uint32_t writesize;	/* page (minimal write unit) bytes */
	uint32_t erasesize;	/* eraseblock bytes */
	uint32_t writebufsize;	/* 0: writesize */
	uint32_t oobsize;	/* OOB bytes per page, 0: none */
	uint32_t oobavail;	/* OOB bytes free for users (AUTO mode) */
	uint32_t subpage_shift;	/* log2(pages / subpages), 0: none */
	uint32_t ecc_strength;	/* correctable bits per ECC step, 0: no ECC */
	uint32_t ecc_step;	/* bytes covered by one ECC step */
	uint32_t bitflip_threshold; /* 0: kernel default (3/4 of strength) */
	const char *partitions;	/* mtdparts syntax (without "mtdparts="), or NULL */
	uint32_t max_io;	/* largest READ/WRITE payload wanted; 0: one page */
};

/* How OOB is addressed; the kernel's MTD_OPS_* modes. */
enum muse_oob_mode {
	MUSE_OOB_PLACE = 0,	/* OOB at ooboffs within the page's OOB area */
	MUSE_OOB_AUTO = 1,	/* only the free OOB bytes, packed */
	MUSE_OOB_RAW = 2,	/* no ECC: data and OOB exactly as stored */
};

/*
 * One READ or WRITE.  len bytes of in-band data at addr (buf) and ooblen
 * bytes of OOB starting at ooboffs in the OOB area of addr's page
 * (oobbuf).  Either part may be empty.  For a read the buffers are to be
 * filled, for a write they hold the data.  Unless MUSE_SESSION_SPLIT_PAGES
 * is set, one request may span several pages when large I/O was
 * negotiated.
 */
struct muse_io {
	uint64_t addr;
	size_t len;
	void *buf;
	size_t ooblen;
	uint32_t ooboffs;
	void *oobbuf;
	enum muse_oob_mode mode;
};

/*
 * What a read reports besides the data.  Leave it zeroed for a clean read.
 * corrected: bits corrected by ECC in this read; max_bitflips: the most
 * corrected in any single ECC step; failed: ECC steps that were not
 * correctable (the data is returned anyway).  The kernel turns these into
 * -EUCLEAN / -EBADMSG and the device's ECC statistics.
 */
struct muse_ecc_result {
	unsigned int corrected;
	unsigned int max_bitflips;
	unsigned int failed;
};

/*
 * The operations.  Every callback gets the userdata given to
 * muse_session_new() and returns 0 or a negative errno (isbad: 0 good,
 * 1 bad).  A NULL callback gets a default: read/write/erase fail with
 * -EOPNOTSUPP, isbad answers 0 (good), markbad fails with -EOPNOTSUPP,
 * sync succeeds.  With a multi-threaded loop callbacks run concurrently.
 */
struct muse_ops {
	int (*read)(void *userdata, const struct muse_io *io,
		    struct muse_ecc_result *ecc);
	int (*write)(void *userdata, const struct muse_io *io);
	int (*erase)(void *userdata, uint64_t addr, uint64_t len);
	int (*isbad)(void *userdata, uint64_t addr);
	int (*markbad)(void *userdata, uint64_t addr);
	int (*sync)(void *userdata);
};

struct muse_session;

/* muse_session_new() flags. */
/* Deliver multi-page requests to read/write one page at a time. */
#define MUSE_SESSION_SPLIT_PAGES	(1U << 0)
/* Speak only the v2 protocol even to a kernel that offers extensions. */
#define MUSE_SESSION_NO_EXTENSIONS	(1U << 1)

/**
 * muse_session_new() - create a session serving one device.
 * @dev:	the device description; validated and copied.
 * @ops:	callbacks; copied, up to @ops_size bytes.
 * @ops_size:	sizeof(struct muse_ops) as the caller was compiled with.
 * @flags:	MUSE_SESSION_* flags.
 * @userdata:	handed to every callback.
 * @sep:	receives the new session.
 *
 * Return: 0, or -EINVAL for an inconsistent description or unknown flags,
 * -ENOMEM.
 */
int muse_session_new(const struct muse_device *dev, const struct muse_ops *ops,
		     size_t ops_size, unsigned int flags, void *userdata,
		     struct muse_session **sep);

/**
 * muse_session_destroy() - free a session; closes the fd if it opened it.
 * @se: the session, or NULL.
 */
void muse_session_destroy(struct muse_session *se);

/**
 * muse_session_open() - open the MUSE control device.
 * @se:		the session.
 * @path:	device path, NULL for "/dev/muse".
 *
 * Return: 0, or the negative errno of open(2) (-ENOENT: module not loaded).
 */
int muse_session_open(struct muse_session *se, const char *path);

/**
 * muse_session_set_fd() - adopt an fd that is already connected.
 * @se: the session.
 * @fd: a /dev/muse fd (or a socket standing in for one); the session does
 *      not close it.
 *
 * Return: 0, or -EBUSY if the session already has an fd.
 */
int muse_session_set_fd(struct muse_session *se, int fd);

/**
 * muse_session_fd() - the fd requests arrive on, for poll/epoll.
 * @se: the session.
 *
 * Return: the fd, or -EBADF if none is set.
 */
int muse_session_fd(const struct muse_session *se);

/**
 * muse_session_init() - perform the MUSE_INIT handshake.
 * @se: the session, with an fd.
 *
 * Reads the kernel's MUSE_INIT request, negotiates extensions and answers
 * with the device description.  The kernel registers the MTD when it
 * accepts the answer.
 *
 * Return: 0, -EPROTO for an unexpected first request or FUSE version,
 * -EINVAL if the kernel refused the device, or another negative errno.
 */
int muse_session_init(struct muse_session *se);

/**
 * muse_session_loop() - serve requests on the calling thread.
 * @se: an initialised session.
 *
 * Return: 0 after muse_session_exit() or when the kernel ends the
 * connection, or a negative errno on a fatal I/O error.
 */
int muse_session_loop(struct muse_session *se);

/**
 * muse_session_loop_mt() - serve requests with several worker threads.
 * @se:		an initialised session.
 * @threads:	number of workers, >= 1.
 *
 * Return: as muse_session_loop(); -EINVAL for threads == 0.
 */
int muse_session_loop_mt(struct muse_session *se, unsigned int threads);

/**
 * muse_session_exit() - ask the loops to return.
 * @se: the session.
 *
 * Async-signal-safe: may be called from a signal handler or any thread.
 */
void muse_session_exit(struct muse_session *se);

/**
 * muse_session_exited() - whether muse_session_exit() was called or the
 * connection ended.
 * @se: the session.
 *
 * Return: 1 or 0.
 */
int muse_session_exited(const struct muse_session *se);

/**
 * muse_session_process() - read and handle at most one request.
 * @se: an initialised session whose fd the caller polls.
 *
 * Never blocks on an empty queue.
 *
 * Return: 1 if a request was handled, 0 if none was pending, -ENODEV when
 * the kernel ended the connection, or another negative errno.
 */
int muse_session_process(struct muse_session *se);

/**
 * muse_session_handle_buf() - handle one raw request held in memory.
 * @se:		the session.
 * @req:	the request, fuse_in_header first.
 * @reqlen:	bytes in @req.
 * @reply:	buffer for the reply, fuse_out_header first.
 * @reply_size:	size of @reply.
 *
 * Parses and validates @req exactly as a request read from the device,
 * runs the callback and writes the reply it would send.  A MUSE_INIT
 * request performs the handshake.  Malformed requests get an error reply
 * when they carry a usable header.
 *
 * Return: the reply length (> 0), 0 if the request warrants no reply,
 * -EPROTO if @req is too short to be answered, -ENOBUFS if @reply_size is
 * too small.
 */
ssize_t muse_session_handle_buf(struct muse_session *se, const void *req,
				size_t reqlen, void *reply, size_t reply_size);

/**
 * muse_session_extensions() - the MUSE_EXT_* flags in force.
 * @se: an initialised session.
 *
 * Return: the negotiated flags (0 for a v2 peer).
 */
unsigned int muse_session_extensions(const struct muse_session *se);

/**
 * muse_session_max_io() - the negotiated largest READ/WRITE payload.
 * @se: an initialised session.
 *
 * Return: bytes.
 */
uint32_t muse_session_max_io(const struct muse_session *se);

#ifdef __cplusplus
}
#endif

#endif /* MUSE_MUSE_H */
