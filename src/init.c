// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * MUSE_INIT: version check, extension negotiation and the info block that
 * describes the device (doc/protocol.md section 3).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "muse_i.h"

_Static_assert(FUSE_KERNEL_MINOR_VERSION >= MUSE_FUSE_MIN_MINOR,
	       "<linux/fuse.h> is older than MUSE requires");

struct info_block {
	char data[MUSE_INIT_INFO_MAX];
	size_t len;
	bool overflow;
};

/* Append one NUL-terminated KEY=VALUE string. */
__attribute__((format(printf, 3, 4)))
static void info_add(struct info_block *info, const char *key,
		     const char *fmt, ...)
{
	size_t room = sizeof(info->data) - info->len;
	va_list ap;
	int n, m;

	n = snprintf(info->data + info->len, room, "%s=", key);
	if (n < 0 || (size_t)n >= room) {
		info->overflow = true;
		return;
	}
	va_start(ap, fmt);
	m = vsnprintf(info->data + info->len + n, room - n, fmt, ap);
	va_end(ap);
	/* The terminating NUL written by vsnprintf is part of the block. */
	if (m < 0 || (size_t)(n + m) >= room) {
		info->overflow = true;
		return;
	}
	info->len += n + m + 1;
}

static void info_add_u32(struct info_block *info, const char *key,
			 uint32_t value)
{
	info_add(info, key, "%" PRIu32, value);
}

/* Keys for every kernel: the v2 set. */
static void build_v2_keys(const struct muse_session *se,
			  struct info_block *info)
{
	const struct muse_device *dev = &se->dev;

	if (se->name)
		info_add(info, MUSE_KEY_NAME, "%s", se->name);
	else
		info_add(info, MUSE_KEY_NAME, "muse-%ld", (long)getpid());
	info_add_u32(info, MUSE_KEY_TYPE, dev->type);
	info_add_u32(info, MUSE_KEY_FLAGS, dev->flags);
	info_add(info, MUSE_KEY_SIZE, "%" PRIu64, dev->size);
	info_add_u32(info, MUSE_KEY_WRITESIZE, dev->writesize);
	info_add_u32(info, MUSE_KEY_ERASESIZE, dev->erasesize);
}

/*
 * Keys only an extended kernel knows; defaults are left out.  @oobsize:
 * the OOB per page the kernel will know of.
 */
static void build_ext_keys(const struct muse_session *se, uint32_t oobsize,
			   struct info_block *info)
{
	const struct muse_device *dev = &se->dev;

	if (dev->writebufsize != dev->writesize)
		info_add_u32(info, MUSE_KEY_WRITEBUFSIZE, dev->writebufsize);
	if (oobsize) {
		info_add_u32(info, MUSE_KEY_OOBSIZE, oobsize);
		info_add_u32(info, MUSE_KEY_OOBAVAIL, dev->oobavail);
	}
	if (dev->subpage_shift)
		info_add_u32(info, MUSE_KEY_SUBPAGESHIFT, dev->subpage_shift);
	if (dev->ecc_strength) {
		info_add_u32(info, MUSE_KEY_ECCSTRENGTH, dev->ecc_strength);
		info_add_u32(info, MUSE_KEY_ECCSTEP, dev->ecc_step);
	}
	if (dev->bitflip_threshold)
		info_add_u32(info, MUSE_KEY_BITFLIPTHRESHOLD,
			     dev->bitflip_threshold);
	if (se->partitions)
		info_add(info, MUSE_KEY_PARTSCMDLINE, "%s", se->partitions);
}

/*
 * Decide what the connection will use.  A v2 peer (or a session that
 * refuses extensions) gets exactly what a v2 server offers: one page per
 * request and no OOB.  An extended peer gets the extensions the device
 * needs among those offered: OOB iff the device has OOB, ECC_STATS iff it
 * has ECC, LARGE_IO iff it wants more than one write buffer per request
 * and the kernel can carry more, PASSTHROUGH iff the session asked for it,
 * KERNEL_ERASE iff the session asked for it and PASSTHROUGH is accepted,
 * KERNEL_PROGRAM iff the session asked for it and KERNEL_ERASE is
 * accepted, REGISTERED iff the server set the registered callback.
 */
static void negotiate(struct muse_session *se, bool ext_reply,
		      const struct muse_init_in *in)
{
	const struct muse_device *dev = &se->dev;
	unsigned int wanted = 0;
	uint32_t large;

	se->ext = 0;
	se->oobsize = 0;
	se->ext_layout = false;
	if (!ext_reply) {
		/* A v2 kernel knows no WRITEBUFSIZE: its unit is a page. */
		se->unit = dev->writesize;
		return;
	}

	large = dev->max_io < in->max_io ? dev->max_io : in->max_io;
	large -= large % dev->writebufsize;
	if (dev->oobsize)
		wanted |= MUSE_EXT_OOB;
	if (dev->ecc_strength)
		wanted |= MUSE_EXT_ECC_STATS;
	if (large > dev->writebufsize)
		wanted |= MUSE_EXT_LARGE_IO;
	if (se->flags & MUSE_SESSION_PASSTHROUGH)
		wanted |= MUSE_EXT_PASSTHROUGH;
	if (se->flags & MUSE_SESSION_KERNEL_ERASE)
		wanted |= MUSE_EXT_KERNEL_ERASE;
	if (se->flags & MUSE_SESSION_KERNEL_PROGRAM)
		wanted |= MUSE_EXT_KERNEL_PROGRAM;
	if (se->ops.registered)
		wanted |= MUSE_EXT_REGISTERED;

	se->ext = wanted & in->flags;
	/*
	 * The kernel erases into the passthrough backing file, and programs
	 * into it only what it erases: it refuses an INIT reply with one
	 * but not what it builds on.
	 */
	if (!(se->ext & MUSE_EXT_PASSTHROUGH))
		se->ext &= ~MUSE_EXT_KERNEL_ERASE;
	if (!(se->ext & MUSE_EXT_KERNEL_ERASE))
		se->ext &= ~MUSE_EXT_KERNEL_PROGRAM;
	se->unit = se->ext & MUSE_EXT_LARGE_IO ? large : dev->writebufsize;
	se->oobsize = se->ext & MUSE_EXT_OOB ? dev->oobsize : 0;
	se->ext_layout = se->ext != 0;
}

/*
 * Below a sector (the smallest NAND page), every block-sized access is
 * many round trips: a NOR described by its natural geometry (writesize
 * 1, no write buffer, no max_io) gets a 1-byte unit, one request per
 * byte.  The defaults cannot change within 1.x (a callback written for
 * them may count on the request size), so the server is told instead,
 * once, at INIT: doc/libmuse.md, "Choosing the geometry".
 */
#define SMALL_UNIT 512U

static void warn_small_unit(const struct muse_session *se)
{
	if (se->unit >= SMALL_UNIT)
		return;
	muse_log(MUSE_LOG_WARNING,
		 "libmuse: the I/O unit is %u bytes: every read or write of a block is a request per %u bytes (%s)\n",
		 se->unit, se->unit,
		 se->dev.max_io > se->unit ?
		 "the kernel offers no larger I/O" :
		 "set max_io to a multiple of writebufsize, e.g. erasesize");
}

/*
 * Request slots made from now on need only the negotiated size.  A v2
 * kernel is FUSE's device code (the series' muse.c), whose read() refuses
 * with -EINVAL a buffer shorter than FUSE_MIN_READ_BUFFER, however small
 * its requests are.
 */
static void size_slots(struct muse_session *se, bool v2_peer)
{
	size_t size = muse__request_size(se->unit, se->dev.writesize,
					 se->oobsize);

	if (v2_peer && size < FUSE_MIN_READ_BUFFER)
		size = FUSE_MIN_READ_BUFFER;
	if ((se->ext & MUSE_EXT_REGISTERED) &&
	    size < MUSE__REGISTERED_REQUEST_MAX)
		size = MUSE__REGISTERED_REQUEST_MAX;
	se->slot_size = size;
}

/**
 * muse__handle_init() - answer MUSE_INIT.
 * @req: the request.
 *
 * A body that is neither the v2 nor the extended size, or a FUSE major
 * other than 7, is answered with -EPROTO and leaves the session
 * uninitialised.
 *
 * Return: 0, or the negative errno of sending the reply.
 */
int muse__handle_init(struct muse_req *req)
{
	struct muse_session *se = req->se;
	struct muse_init_in in;
	struct muse_init_out out;
	struct info_block info;
	struct iovec iov[3];
	bool ext_reply;
	int ret;

	if (req->bodylen != MUSE_COMPAT_INIT_IN_SIZE &&
	    req->bodylen != sizeof(in))
		return muse__reply_error(req, -EPROTO);
	memset(&in, 0, sizeof(in));
	memcpy(&in, req->body, req->bodylen);
	if (in.fuse_major != MUSE_FUSE_KERNEL_VERSION)
		return muse__reply_error(req, -EPROTO);

	ext_reply = req->bodylen == sizeof(in) &&
		    !(se->flags & MUSE_SESSION_NO_EXTENSIONS);
	negotiate(se, ext_reply, &in);

	info.len = 0;
	info.overflow = false;
	build_v2_keys(se, &info);
	if (ext_reply)
		build_ext_keys(se, se->oobsize, &info);
	/* Cannot happen for a validated device; never send a cut block. */
	if (info.overflow)
		return muse__reply_error(req, -EINVAL);

	memset(&out, 0, sizeof(out));
	out.fuse_major = MUSE_FUSE_KERNEL_VERSION;
	out.fuse_minor = FUSE_KERNEL_MINOR_VERSION;
	out.max_read = se->unit;
	out.max_write = se->unit;
	out.flags = se->ext;

	iov[1].iov_base = &out;
	iov[1].iov_len = ext_reply ? sizeof(out) : MUSE_COMPAT_INIT_OUT_SIZE;
	iov[2].iov_base = info.data;
	iov[2].iov_len = info.len;
	ret = muse__reply_iov(req, 0, iov, 3);
	if (!ret) {
		se->initialised = true;
		size_slots(se, req->bodylen == MUSE_COMPAT_INIT_IN_SIZE);
		warn_small_unit(se);
	}
	return ret;
}

/**
 * muse__info_fits() - whether the longest info block the session may
 * send (an extended one with every key) fits MUSE_INIT_INFO_MAX.
 * @se: a session with its device copied.
 *
 * Return: 0 or -EINVAL.
 */
int muse__info_fits(const struct muse_session *se)
{
	struct info_block info;

	info.len = 0;
	info.overflow = false;
	build_v2_keys(se, &info);
	build_ext_keys(se, se->dev.oobsize, &info);
	return info.overflow ? -EINVAL : 0;
}

int muse_session_init(struct muse_session *se)
{
	struct muse_req *slot;
	ssize_t n;
	int ret;

	if (se->fd < 0)
		return -EBADF;
	if (se->initialised)
		return -EALREADY;

	slot = muse__slot_get(se);
	if (!slot)
		return -ENOMEM;
	n = muse__receive(se, slot->buf, slot->bufsize);
	/* INIT has no callback: the request is never kept. */
	ret = n < 0 ? (int)n : muse__handle_slot(se, slot, (size_t)n);
	muse__slot_put(se, slot);
	if (ret < 0)
		return ret;
	return se->initialised ? 0 : -EPROTO;
}
