/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libmuse: serve an MTD (raw flash device) from userspace through the
 * MUSE kernel module (/dev/muse).
 *
 * A server describes its flash in struct muse_device, implements the
 * operations it supports in struct muse_ops, creates a session and runs a
 * loop.  The kernel module registers the MTD after the MUSE_INIT handshake
 * succeeded, asynchronously, and forwards every read, write, erase,
 * bad-block query and sync to the callbacks, which answer by returning or
 * keep the request and answer later from any thread (muse_req_keep(),
 * muse_reply_*()).
 *
 * Conventions: every function that can fail returns 0 (or a non-negative
 * count) on success and a negative errno on failure; handles are opaque.
 * The reference: a manual page per function (libmuse(3)) and
 * doc/libmuse.md.
 */
#ifndef MUSE_MUSE_H
#define MUSE_MUSE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The version of this header; muse_version() tells the library's. */
#define MUSE_VERSION_MAJOR 1
#define MUSE_VERSION_MINOR 4
#define MUSE_VERSION_MICRO 0
#define MUSE_VERSION_NUMBER(major, minor, micro) \
	(((uint32_t)(major) << 16) | ((uint32_t)(minor) << 8) | (uint32_t)(micro))
#define MUSE_VERSION MUSE_VERSION_NUMBER(MUSE_VERSION_MAJOR, \
	MUSE_VERSION_MINOR, MUSE_VERSION_MICRO)

/**
 * muse_version() - the version of the library in use at run time.
 *
 * Return: MUSE_VERSION_NUMBER(major, minor, micro) of the loaded
 * libmuse, which may be newer than the MUSE_VERSION a program was built
 * with (same major).
 */
uint32_t muse_version(void);

/* Flash types (struct muse_device.type); the kernel's MTD_* types. */
enum muse_type {
	MUSE_TYPE_RAM = 1,		/* MTD_RAM */
	MUSE_TYPE_ROM = 2,		/* MTD_ROM */
	MUSE_TYPE_NOR = 3,		/* MTD_NORFLASH */
	MUSE_TYPE_NAND = 4,		/* MTD_NANDFLASH (SLC) */
	MUSE_TYPE_DATAFLASH = 6,	/* MTD_DATAFLASH */
	MUSE_TYPE_MLC_NAND = 8,		/* MTD_MLCNANDFLASH; rules out UBI */
};

/* Device flags; the values are the kernel's MTD_* flags. */
#define MUSE_FLAG_WRITEABLE	0x400	/* MTD_WRITEABLE */
#define MUSE_FLAG_BIT_WRITEABLE	0x800	/* MTD_BIT_WRITEABLE */
#define MUSE_FLAG_NO_ERASE	0x1000	/* MTD_NO_ERASE */

/*
 * The flash the session serves, passed to muse_session_new() with its
 * size (sizeof(struct muse_device) as the caller was compiled with).
 * Zero means "default" for the optional fields; reserved must be zero.
 * The strings are copied.  The rules are the module's (the limits of
 * muse_kernel.h): a name has 1..MUSE_NAME_MAX printable ASCII bytes;
 * partitions are <size>[@<offset>][(<name>)][ro] separated by commas, at
 * most MUSE_PARTS_MAX, eraseblock aligned, in address order, size "-"
 * (the rest) only last, flags ro, lk, slc in that order (slc only on
 * MUSE_TYPE_MLC_NAND).
 * doc/libmuse.md has the rule for each field.
 */
struct muse_device {
	const char *name;	/* MTD name; NULL: "muse-<pid>" */
	uint32_t type;		/* MUSE_TYPE_* */
	uint32_t flags;		/* MUSE_FLAG_* */
	uint64_t size;		/* total bytes, multiple of erasesize */
	uint32_t writesize;	/* page (minimal write unit) bytes */
	uint32_t erasesize;	/* eraseblock bytes */
	uint32_t writebufsize;	/* 0: writesize */
	uint32_t oobsize;	/* OOB bytes per page (<= writesize), 0: none */
	uint32_t oobavail;	/* OOB bytes free for users (AUTO mode) */
	uint32_t subpage_shift;	/* log2(subpages per page), 0: no subpages */
	uint32_t ecc_strength;	/* correctable bits per ECC step, 0: no ECC */
	uint32_t ecc_step;	/* bytes covered by one ECC step */
	uint32_t bitflip_threshold; /* 0: MUSE_BITFLIP_THRESHOLD_DEFAULT */
	uint32_t max_io;	/* largest READ/WRITE payload wanted;
				 * 0: one write buffer (writebufsize) */
	const char *partitions;	/* mtdparts syntax (without "mtdparts=" and
				 * "<mtd-id>:"), or NULL */
	uint64_t reserved[8];	/* 0; room for fields of later 1.x */
};

/* How OOB is addressed (struct muse_io.mode); the kernel's MTD_OPS_*. */
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
 * negotiated.  The library allocates it; later 1.x may add fields at the
 * end.  Valid during the callback, and for a kept request until it is
 * answered.
 *
 * AUTO offset o of a page is PLACE offset min(2, oobsize - oobavail) + o
 * (the module's OOB layout: bad-block marker, free bytes, ECC bytes).
 * NAND writes must cover whole pages: libmuse only checks the device's
 * bounds, so a NAND server refuses other writes itself (-EINVAL); the
 * module refuses them too, older kernels do not.
 */
struct muse_io {
	uint64_t addr;
	size_t len;
	void *buf;
	size_t ooblen;
	void *oobbuf;
	uint32_t ooboffs;
	uint32_t mode;		/* MUSE_OOB_* */
};

/*
 * What a read reports besides the data.  Leave it zeroed for a clean read.
 * corrected: bits corrected by ECC in this read; max_bitflips: the most
 * corrected in any single ECC step; failed: ECC steps that were not
 * correctable (the data is returned anyway).  The kernel turns these into
 * -EUCLEAN / -EBADMSG and the device's ECC statistics.  The library
 * allocates it zeroed; later 1.x may add fields at the end.
 */
struct muse_ecc_result {
	uint32_t corrected;
	uint32_t max_bitflips;
	uint32_t failed;
};

/* One request in flight; see muse_req_keep(). */
struct muse_req;

/*
 * What a callback returns after muse_req_keep(): the request is answered
 * later with one of the muse_reply_*() functions.
 */
#define MUSE_ASYNC (1 << 30)

/* One partition of a registered device (struct muse_registration). */
struct muse_mtd_part {
	int index;		/* its /dev/mtdN */
	const char *name;	/* as PARTSCMDLINE (or the default) named it */
	uint64_t offset;	/* in the whole device, bytes */
	uint64_t size;		/* bytes, as the MTD shows it */
};

/*
 * What the kernel made of the device (muse_ops.registered).  error is 0
 * when the MTD is registered; index is then the whole device's
 * /dev/mtdN, or -1 when the kernel registers only the partitions
 * (CONFIG_MTD_PARTITIONED_MASTER off), and parts lists the partitions
 * in PARTSCMDLINE's order.  error < 0 is the MTD core's errno: nothing
 * is registered (index -1, no parts).  conn_id names
 * /sys/fs/muse/connections/<conn_id> either way.
 */
struct muse_registration {
	int error;
	unsigned int conn_id;
	int index;
	unsigned int nr_parts;
	const struct muse_mtd_part *parts;
};

/*
 * The operations.  Every callback gets the userdata given to
 * muse_session_new() and the request; it returns 0 or a negative errno
 * (isbad: 0 good, 1 bad) and the library answers with that, or it keeps
 * the request (muse_req_keep()) and returns MUSE_ASYNC.  Results the
 * kernel would refuse (positive, <= -MUSE_ERRNO_BOUND, isbad not 0/1,
 * MUSE_ASYNC without a kept request) are answered as -EIO.  A NULL callback
 * gets a default: read/write/erase fail with -EOPNOTSUPP, isbad answers
 * 0 (good), markbad fails with -EOPNOTSUPP, sync succeeds.  With a
 * multi-threaded loop callbacks run concurrently.  Later 1.x may add
 * callbacks at the end (ops_size tells which the caller knows).
 */
struct muse_ops {
	int (*read)(void *userdata, struct muse_req *req,
		    const struct muse_io *io, struct muse_ecc_result *ecc);
	int (*write)(void *userdata, struct muse_req *req,
		     const struct muse_io *io);
	int (*erase)(void *userdata, struct muse_req *req, uint64_t addr,
		     uint64_t len);
	int (*isbad)(void *userdata, struct muse_req *req, uint64_t addr);
	int (*markbad)(void *userdata, struct muse_req *req, uint64_t addr);
	int (*sync)(void *userdata, struct muse_req *req);
	/*
	 * Since 1.2, optional.  Called once when the kernel registered the
	 * MTD, or failed to (then the connection ends right after and the
	 * loop returns 0); the library acknowledges it by itself.  Setting
	 * it makes the session accept MUSE_EXT_REGISTERED; a kernel that
	 * does not offer it (the v2 patch series) never calls it.  Runs on
	 * a loop thread like the other callbacks; @reg and what it points
	 * to are valid during the call only.
	 */
	void (*registered)(void *userdata, const struct muse_registration *reg);
};

/**
 * muse_req_keep() - take a request out of its callback, to answer later.
 * @req: the request the running callback got.
 *
 * Call it in the callback, before @req can reach another thread, then
 * return MUSE_ASYNC.  The request, its struct muse_io and its buffers
 * (a WRITE's data, the READ buffer to fill) stay valid until it is
 * answered with exactly one muse_reply_*() call, from any thread.  A
 * kept request that is never answered is freed by
 * muse_session_destroy() (the kernel fails it when the fd closes).  The
 * ecc argument of a kept READ is not used: muse_reply_read() takes it.
 *
 * Return: 0; -EALREADY if it was kept already; -EINVAL outside its
 * callback; -EOPNOTSUPP for a request of muse_session_handle_buf() or a
 * READ/WRITE under MUSE_SESSION_SPLIT_PAGES (answer those by returning).
 */
int muse_req_keep(struct muse_req *req);

/**
 * muse_reply_read(), muse_reply_write(), muse_reply_isbad(),
 * muse_reply_ok(), muse_reply_err() - answer a kept request.
 * @req:	a request kept with muse_req_keep().
 * @ecc:	muse_reply_read(): what the read reports besides the data
 *		(put in the request's buffers); NULL for a clean read.
 * @bad:	muse_reply_isbad(): 0 good, 1 bad.
 * @err:	muse_reply_err(): the request's negative errno.
 *
 * muse_reply_read(): a READ succeeded.  muse_reply_write(): a WRITE
 * succeeded.  muse_reply_isbad(): an ISBAD's answer.  muse_reply_ok(): an
 * ERASE, MARKBAD or SYNC succeeded.  muse_reply_err(): any request failed.
 * From any thread; each consumes the request (it must not be used
 * afterwards) unless it fails with -EINVAL or -EALREADY.
 *
 * Return: 0 once the reply is written; -EINVAL if the function does not
 * fit the request's operation or the request was not kept (the request
 * stays kept); -EALREADY if it was answered already (as long as its
 * memory was not reused for a newer request); otherwise the negative
 * errno of writing the reply (-ENOENT: the kernel gave up on the request;
 * -ENODEV, -EPIPE: the connection is gone and the session exits).
 */
int muse_reply_read(struct muse_req *req, const struct muse_ecc_result *ecc);
int muse_reply_write(struct muse_req *req);
int muse_reply_isbad(struct muse_req *req, int bad);
int muse_reply_ok(struct muse_req *req);
int muse_reply_err(struct muse_req *req, int err);

struct muse_session;

/* muse_session_new() flags. */
/* Deliver multi-page requests to read/write one page at a time. */
#define MUSE_SESSION_SPLIT_PAGES	(1U << 0)
/* Speak only the v2 protocol even to a kernel that offers extensions. */
#define MUSE_SESSION_NO_EXTENSIONS	(1U << 1)
/*
 * Accept read passthrough (MUSE_EXT_PASSTHROUGH) when the kernel offers
 * it; muse_session_extensions() tells whether it was.  See
 * muse_session_set_backing().
 */
#define MUSE_SESSION_PASSTHROUGH	(1U << 2)
/*
 * Accept kernel erase (MUSE_EXT_KERNEL_ERASE) when the kernel offers it
 * and read passthrough is accepted too.  See muse_session_erase_grant().
 */
#define MUSE_SESSION_KERNEL_ERASE	(1U << 3)
/*
 * Accept kernel program (MUSE_EXT_KERNEL_PROGRAM) when the kernel offers
 * it and kernel erase is accepted too.  See muse_session_program_grant().
 * Since 1.4.
 */
#define MUSE_SESSION_KERNEL_PROGRAM	(1U << 4)

/**
 * muse_session_new() - create a session serving one device.
 * @dev:	the device description; validated and copied.
 * @dev_size:	sizeof(struct muse_device) as the caller was compiled with.
 * @ops:	callbacks; copied, up to @ops_size bytes.
 * @ops_size:	sizeof(struct muse_ops) as the caller was compiled with.
 * @flags:	MUSE_SESSION_* flags.
 * @userdata:	handed to every callback.
 * @sep:	receives the new session (NULL on failure).
 *
 * Return: 0; -EINVAL for a description the kernel would refuse, non-zero
 * reserved fields, unknown flags, NULL @dev or @sep, @ops NULL with
 * @ops_size > 0, or sizes the library cannot take (doc/libmuse.md);
 * -ENOMEM; or the negative errno of eventfd(2) (-EMFILE, -ENFILE).
 */
int muse_session_new(const struct muse_device *dev, size_t dev_size,
		     const struct muse_ops *ops, size_t ops_size,
		     unsigned int flags, void *userdata,
		     struct muse_session **sep);

/**
 * muse_session_destroy() - free a session; closes the fd if it opened it.
 * @se: the session, or NULL.
 *
 * No loop may be running and no thread may answer a kept request any
 * more; kept requests that were not answered are freed.
 */
void muse_session_destroy(struct muse_session *se);

/**
 * muse_session_open() - open the MUSE control device.
 * @se:		the session.
 * @path:	device path, NULL for "/dev/muse".
 *
 * Return: 0, -EBUSY if the session has an fd, or the negative errno of
 * open(2) (-ENOENT: module not loaded, -EACCES/-EPERM: needs
 * CAP_SYS_ADMIN).
 */
int muse_session_open(struct muse_session *se, const char *path);

/**
 * muse_session_set_fd() - adopt an fd that is already connected.
 * @se: the session.
 * @fd: a /dev/muse fd (or a SOCK_SEQPACKET socket standing in for one);
 *      the session switches it to O_NONBLOCK and never closes it.
 *
 * Return: 0, -EBUSY if the session already has an fd, -EBADF for a
 * negative or closed fd, or another negative errno of fcntl(2).
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
 * with the device description.  Returning 0 means the kernel accepted
 * the description, not that the MTD exists: the kernel registers it
 * afterwards, asynchronously, and registration sends requests the loop
 * must answer (so start the loop at once) and may still fail.  The
 * muse_ops.registered callback says when it happened, as which
 * /dev/mtdN, or why it failed (the kernel then ends the connection: the
 * loops return 0).
 *
 * Return: 0; -EPROTO for an unexpected first request or FUSE version;
 * -EINVAL if the kernel refused the device; -ENODEV if the connection
 * ended; -ECANCELED after muse_session_exit(); -EALREADY if already
 * initialised; -EBADF without fd; or another negative errno.
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
 * Return: 1 if a request was handled (answered or kept), 0 if none was
 * pending, -ENODEV when the kernel ended the connection, or another
 * negative errno.
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
 * when they carry a usable header.  Requests cannot be kept here.
 *
 * Return: the reply length (> 0), 0 if the request warrants no reply,
 * -EPROTO if @req is too short to be answered, -ENOBUFS if @reply_size is
 * too small.
 */
ssize_t muse_session_handle_buf(struct muse_session *se, const void *req,
				size_t reqlen, void *reply, size_t reply_size);

/**
 * muse_session_extensions() - the MUSE_EXT_* flags (of muse_kernel.h) in
 * force.
 * @se: an initialised session.
 *
 * Return: the negotiated flags (0 for a v2 peer or before INIT).
 */
unsigned int muse_session_extensions(const struct muse_session *se);

/**
 * muse_session_max_io() - the negotiated largest READ/WRITE payload.
 * @se: an initialised session.
 *
 * Return: bytes (0 before INIT).
 */
uint32_t muse_session_max_io(const struct muse_session *se);

/*
 * Read passthrough.  With MUSE_EXT_PASSTHROUGH negotiated, the kernel can
 * serve plain reads (in-band data, no OOB, not raw) of the eraseblocks the
 * server marks from a file the server registered, without a request: page
 * reads at the kernel's speed.  The server keeps control: it takes blocks
 * back before its answers for them would differ from the file (bit flips,
 * read disturb, data it corrects), and fetches how often the kernel read
 * each block.  Every call below needs an initialised session with the
 * extension in force (else -EOPNOTSUPP) and its /dev/muse fd (else
 * -EBADF).  After the connection ended, muse_session_set_backing() fails
 * with -ENODEV (-EBUSY once it was set) and the other two with -ENXIO.
 * doc/libmuse.md, "Read passthrough".
 */

/* muse_session_set_backing() flags. */
/* The file holds ~byte for every byte of flash: holes read as erased. */
#define MUSE_PT_INVERTED	(1U << 0)

/**
 * muse_session_set_backing() - register the file holding the in-band data.
 * @se:		the session.
 * @fd:		a regular file or memfd open for reading; the kernel keeps
 *		its own reference until the connection ends.
 * @data_offset: file offset of the device's byte 0; device byte a lives at
 *		@data_offset + a.
 * @flags:	MUSE_PT_* flags.
 *
 * Once per connection.  The server must change the file before it answers
 * a WRITE or ERASE: a read issued after the answer reads the file.
 *
 * Return: 0; -EINVAL (unknown flags, not a regular file), -ERANGE (the
 * file is shorter than @data_offset + device size), -EACCES (not open for
 * reading), -EBUSY (already set), -EBADF, -EOPNOTSUPP.
 */
int muse_session_set_backing(struct muse_session *se, int fd,
			     uint64_t data_offset, unsigned int flags);

/**
 * muse_session_passthrough() - mark eraseblocks for passthrough, or take
 * them back.
 * @se:		the session.
 * @first_block: the first eraseblock (address / erasesize).
 * @count:	eraseblocks.
 * @enable:	non-zero to mark, 0 to take back.
 *
 * Taking back is synchronous: when it returns no passthrough read of those
 * blocks is in flight and every later read of them is a request.
 *
 * Return: 0; -EINVAL (empty or outside the device), -ENXIO (no backing
 * file yet), -EBADF, -EOPNOTSUPP.
 */
int muse_session_passthrough(struct muse_session *se, uint64_t first_block,
			     uint64_t count, int enable);

/**
 * muse_session_passthrough_reads() - fetch and reset the kernel's read
 * counts.
 * @se:		the session.
 * @first_block: the first eraseblock.
 * @count:	eraseblocks, entries of @counts (and @bytes).
 * @counts:	receives, per block, the passthrough reads since the last
 *		fetch: one per I/O unit a read covered, the requests the
 *		server would have received.
 * @bytes:	receives, per block, the bytes those reads took from it; or
 *		NULL.
 *
 * Return: 0; -EINVAL, -EFAULT, -ENXIO, -EBADF, -EOPNOTSUPP.
 */
int muse_session_passthrough_reads(struct muse_session *se,
				   uint64_t first_block, uint64_t count,
				   uint32_t *counts, uint64_t *bytes);

/*
 * Kernel erase.  With MUSE_EXT_KERNEL_ERASE negotiated (it needs read
 * passthrough and its backing file), the kernel can erase the eraseblocks
 * the server grants by punching holes into the backing file, without a
 * request: an erase at the kernel's speed.  It counts each such erase in
 * a __u32 per block inside the file; the server applies that count to its
 * own state (wear, program state) and sets it back to 0 before it answers
 * any request about the block.  Every call below needs an initialised
 * session with the extension in force (else -EOPNOTSUPP) and its /dev/muse
 * fd (else -EBADF).  After the connection ended both fail with -ENXIO.
 * doc/libmuse.md, "Kernel erase".
 */

/* muse_session_erase_grant() budget: no limit. */
#define MUSE_ERASE_BUDGET_UNLIMITED	UINT32_MAX

/**
 * muse_session_set_erase_backing() - say where OOB and erase counts live.
 * @se:		the session, after muse_session_set_backing() with
 *		MUSE_PT_INVERTED and a file open for reading and writing.
 * @oob_offset:	file offset of page 0's OOB; page p's OOBSIZE bytes are
 *		at @oob_offset + p * OOBSIZE, stored as ~byte.  Ignored
 *		without OOB.
 * @count_offset: file offset of block 0's erase count, a multiple of 4.
 * @count_stride: bytes from one block's count to the next, a non-zero
 *		multiple of 4.
 *
 * Once per connection.
 *
 * Return: 0; -ENXIO (no backing file), -EBUSY (already set), -EACCES (not
 * open for writing), -EINVAL (backing not inverted, alignment), -ERANGE
 * (a region past the end of the file), -EBADF, -EOPNOTSUPP.
 */
int muse_session_set_erase_backing(struct muse_session *se,
				   uint64_t oob_offset, uint64_t count_offset,
				   uint32_t count_stride);

/*
 * muse_session_set_erase_backing_flags() flag: on a tmpfs backing file (a
 * memfd), a kernel erase zeroes the block's pages in memory in place (a
 * zero reads as erased in the inverted file) instead of freeing them, so
 * that the next program of the block finds its pages.  The file keeps
 * its memory after an erase: the server frees what it does not want
 * itself (a hole punched over an erased block).  Other files: no effect.
 */
#define MUSE_ERASE_BACKING_KEEP_PAGES	(1U << 0)

/**
 * muse_session_set_erase_backing_flags() - muse_session_set_erase_backing()
 * with flags.
 * @se:		the session, as for muse_session_set_erase_backing().
 * @oob_offset:	as for muse_session_set_erase_backing().
 * @count_offset: as for muse_session_set_erase_backing().
 * @count_stride: as for muse_session_set_erase_backing().
 * @flags:	MUSE_ERASE_BACKING_* wanted, or 0.
 * @in_force:	NULL, or receives the flags the kernel took: @flags, or 0
 *		from a module older than 1.3, which knows no flag (it
 *		refuses them with EINVAL; the call then asks again without
 *		them and logs it at MUSE_LOG_INFO).  Kernel erase works the
 *		same either way, only its cost differs.
 *
 * Once per connection.  Since 1.3 (LIBMUSE_1.3).
 *
 * Return: 0; -EINVAL (an unknown flag, or as
 * muse_session_set_erase_backing()), and the errors of
 * muse_session_set_erase_backing().
 */
int muse_session_set_erase_backing_flags(struct muse_session *se,
					 uint64_t oob_offset,
					 uint64_t count_offset,
					 uint32_t count_stride,
					 unsigned int flags,
					 unsigned int *in_force);

/**
 * muse_session_erase_grant() - let the kernel erase eraseblocks itself,
 * or take them back.
 * @se:		the session.
 * @first_block: the first eraseblock.
 * @count:	eraseblocks.
 * @budget:	kernel erases allowed per block from now on
 *		(MUSE_ERASE_BUDGET_UNLIMITED: no limit); 0 takes the blocks
 *		back.
 *
 * A kernel erase punches holes over the block's data and OOB, then adds
 * one to its count in the file.  Taking back is synchronous: when it
 * returns no kernel erase of those blocks is in flight and every later
 * erase of them is a request.  Grant only blocks whose erase the server
 * would answer with success and nothing but erased bytes: not bad, no
 * injected failure, no wear-out within @budget erases, no power cut or
 * latency to simulate.
 *
 * Return: 0; -EINVAL (empty or outside the device), -ENXIO (no
 * muse_session_set_erase_backing() yet), -EBADF, -EOPNOTSUPP.
 */
int muse_session_erase_grant(struct muse_session *se, uint64_t first_block,
			     uint64_t count, uint32_t budget);

/*
 * Kernel program.  With MUSE_EXT_KERNEL_PROGRAM negotiated (it needs
 * kernel erase and its backing file, on tmpfs), the kernel can program
 * the plain writes (in-band data, no OOB, not raw, whole subpages) of the
 * eraseblocks the server grants into the backing file itself, without a
 * request: a program at the kernel's speed.  It sets the subpages' bits in
 * a per-block "programmed" bitmap inside the file, which the server
 * shares (and sets and clears with atomic operations), and adds them to a
 * __u16 count per block that the server applies to its statistics and
 * sets back to 0 (atomic exchange) before it answers any request about
 * the block.  A subpage is programmed by the kernel at most once per
 * erase; a write the kernel does not do is a request, as without the
 * extension.  Every call below needs an initialised session with the
 * extension in force (the kernel budget's: kernel erase; else
 * -EOPNOTSUPP) and its /dev/muse fd (else -EBADF).  After the connection ended they fail with -ENXIO.
 * doc/libmuse.md, "Kernel program".  Since 1.4 (LIBMUSE_1.4).
 */

/* muse_session_set_program_backing() rules. */
/* Pages of a block are programmed in ascending order (MLC). */
#define MUSE_PROGRAM_RULE_IN_ORDER	(1U << 0)
/* Whole pages only: one program per page per erase (NOP 1). */
#define MUSE_PROGRAM_RULE_WHOLE_PAGES	(1U << 1)

/* muse_session_program_grant() budget: no limit. */
#define MUSE_PROGRAM_BUDGET_UNLIMITED	UINT32_MAX

/**
 * muse_session_set_program_backing() - say where each block's program
 * state lives in the backing file, and the chip's rules.
 * @se:		the session, after muse_session_set_erase_backing() on a
 *		tmpfs file (a memfd).
 * @map_offset:	file offset of block 0's programmed bitmap: one bit per
 *		subpage, bit i % 8 of byte i / 8 for the block's subpage i.
 * @map_stride:	bytes from one block's bitmap to the next, at least the
 *		bitmap's size.
 * @count_offset: file offset of block 0's program count (a uint16_t), a
 *		multiple of 2.
 * @count_stride: bytes from one block's count to the next, a non-zero
 *		multiple of 2.
 * @rules:	MUSE_PROGRAM_RULE_* the chip imposes beyond "each subpage
 *		at most once per erase", which always holds.
 *
 * Once per connection.  The bitmaps and counts must not overlap the
 * data, the OOB, the erase counts or each other.
 *
 * Return: 0; -ENXIO (no muse_session_set_erase_backing() yet), -EBUSY
 * (already set), -EOPNOTSUPP (not on tmpfs, or the extension not in
 * force), -EINVAL (an unknown rule, alignment, overlap), -ERANGE (a region
 * past the end of the file), -EBADF.
 */
int muse_session_set_program_backing(struct muse_session *se,
				     uint64_t map_offset, uint32_t map_stride,
				     uint64_t count_offset,
				     uint32_t count_stride, unsigned int rules);

/**
 * muse_session_program_grant() - let the kernel program eraseblocks
 * itself, or take them back.
 * @se:		the session.
 * @first_block: the first eraseblock.
 * @count:	eraseblocks.
 * @budget:	kernel programs allowed per block from now on, one per I/O
 *		unit programmed (MUSE_PROGRAM_BUDGET_UNLIMITED: no limit);
 *		0 takes the blocks back.
 *
 * Taking back is synchronous: when it returns no kernel program of those
 * blocks is in flight and every later write of them is a request.  Grant
 * only blocks whose writes the server would answer with success and store
 * as they are: no injected failure, latency or retention to simulate, no
 * RAW-written page.
 *
 * Return: 0; -EINVAL (empty or outside the device), -ENXIO (no
 * muse_session_set_program_backing() yet), -EBADF, -EOPNOTSUPP.
 */
int muse_session_program_grant(struct muse_session *se, uint64_t first_block,
			       uint64_t count, uint32_t budget);

/* muse_session_set_kernel_budget(): no limit, the default. */
#define MUSE_KERNEL_BUDGET_UNLIMITED	UINT64_MAX

/**
 * muse_session_set_kernel_budget() - set the device-wide budget of kernel
 * operations.
 * @se:		the session, with kernel erase in force.
 * @budget:	operations the kernel may still do itself: one per block a
 *		kernel erase erases, one per I/O unit a kernel program
 *		programs (MUSE_KERNEL_BUDGET_UNLIMITED: no limit).  At 0
 *		every erase and write is a request.
 *
 * With muse_session_take_kernel_budget() for the server's own operations,
 * the server stops the kernel's work exactly at an event it plans (a
 * power cut at the Nth program or erase).  Since 1.4.
 *
 * Return: 0; -EBADF, -EOPNOTSUPP (kernel erase not in force, or a module
 * before 1.4).
 */
int muse_session_set_kernel_budget(struct muse_session *se, uint64_t budget);

/**
 * muse_session_kernel_budget() - read the device-wide budget.
 * @se:		the session.
 * @budget:	receives what is left (MUSE_KERNEL_BUDGET_UNLIMITED: no
 *		limit).
 *
 * Since 1.4.
 *
 * Return: 0; -EFAULT (@budget NULL), -EBADF, -EOPNOTSUPP.
 */
int muse_session_kernel_budget(struct muse_session *se, uint64_t *budget);

/**
 * muse_session_take_kernel_budget() - take one operation of the
 * server's own from the device-wide budget.
 * @se:		the session.
 *
 * Atomic with the kernel's own takes: of the operations counted from a
 * muse_session_set_kernel_budget(), the one that finds the budget spent
 * is the server's, never the kernel's.  Since 1.4.
 *
 * Return: 1 (taken, or unlimited), 0 (the budget was spent: nothing
 * taken), -EBADF, -EOPNOTSUPP.
 */
int muse_session_take_kernel_budget(struct muse_session *se);

/*
 * Logging.  The library reports what it cannot return as an error (a
 * reply the kernel refused, a malformed request, a negotiation that will
 * be slow) through one process-wide log function, stderr by default.
 * Each message is one line starting with "libmuse: " and ending in "\n".
 */

/* How serious a message is; the values are syslog(3)'s LOG_* levels. */
enum muse_log_level {
	MUSE_LOG_EMERG = 0,
	MUSE_LOG_ALERT = 1,
	MUSE_LOG_CRIT = 2,
	MUSE_LOG_ERR = 3,
	MUSE_LOG_WARNING = 4,
	MUSE_LOG_NOTICE = 5,
	MUSE_LOG_INFO = 6,
	MUSE_LOG_DEBUG = 7,
};

/*
 * A log function: @fmt and @ap are a printf(3) format and its arguments
 * (no %m).  It may be called from any thread the library runs on,
 * concurrently, and must not call back into the session.
 */
typedef void (*muse_log_func_t)(enum muse_log_level level, const char *fmt,
				va_list ap);

/**
 * muse_set_log_func() - send the library's messages to @func.
 * @func: the new log function, void func(enum muse_log_level level,
 *        const char *fmt, va_list ap); or NULL for the default, which
 *        writes every message to stderr.
 *
 * Process-wide, for every session; may be called at any time from any
 * thread (a message being logged concurrently goes to the old or the new
 * function).  Since 1.2.
 */
void muse_set_log_func(muse_log_func_t func);

/**
 * muse_log() - log a message through the current log function.
 * @level:	MUSE_LOG_*.
 * @fmt:	printf(3) format, then its arguments.
 *
 * For a server that wants its own messages to go where the library's go.
 * Since 1.2.
 */
void muse_log(enum muse_log_level level, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;

#ifdef __cplusplus
}
#endif

#endif /* MUSE_MUSE_H */
