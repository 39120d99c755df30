// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Request parsing, validation and dispatch to the muse_ops callbacks.
 *
 * Requests are treated as hostile: every field is checked against the
 * device and the negotiated connection before a callback sees it, every
 * structure is copied out of the buffer (which need not be aligned), and
 * every request with a usable header gets exactly one reply.
 */
#include <errno.h>
#include <string.h>

#include "muse_i.h"

/* In-band/OOB fields shared by the READ and WRITE request layouts. */
_Static_assert(sizeof(struct muse_read_in) == sizeof(struct muse_write_in),
	       "READ and WRITE requests share one layout");
_Static_assert(offsetof(struct muse_read_in, ooblen) ==
	       offsetof(struct muse_write_in, ooblen),
	       "READ and WRITE requests share one layout");

static size_t io_in_size(const struct muse_session *se)
{
	return se->ext_layout ? sizeof(struct muse_read_in) :
				MUSE_COMPAT_READ_IN_SIZE;
}

/**
 * muse_read_out_size() - size of the READ reply body on this connection.
 * @se: the session.
 *
 * Return: bytes.
 */
size_t muse_read_out_size(const struct muse_session *se)
{
	return se->ext_layout ? sizeof(struct muse_read_out) :
				MUSE_COMPAT_READ_OUT_SIZE;
}

static enum muse_oob_mode io_mode(uint32_t flags)
{
	if (flags & MUSE_IO_OOB_AUTO)
		return MUSE_OOB_AUTO;
	if (flags & MUSE_IO_RAW)
		return MUSE_OOB_RAW;
	return MUSE_OOB_PLACE;
}

/* OOB bytes one page offers in @mode. */
static uint32_t oob_per_page(const struct muse_session *se,
			     enum muse_oob_mode mode)
{
	return mode == MUSE_OOB_AUTO ? se->dev.oobavail : se->oobsize;
}

/*
 * The OOB of a request starts at ooboffs in addr's page and continues page
 * by page; the pages it touches must stay inside the request's unit and
 * inside the device (protocol section 4.5).
 */
static int check_oob(const struct muse_session *se,
		     const struct muse_read_in *in, enum muse_oob_mode mode)
{
	uint32_t per_page = oob_per_page(se, mode);
	uint32_t writesize = se->dev.writesize;
	uint64_t pages, first, in_unit;

	if (in->ooboffs >= per_page)
		return -EINVAL;
	pages = ((uint64_t)in->ooboffs + in->ooblen + per_page - 1) / per_page;
	first = in->addr / writesize;
	in_unit = in->addr % se->unit / writesize;
	if (in_unit + pages > se->unit / writesize)
		return -EINVAL;
	if (first + pages > se->dev.size / writesize)
		return -EINVAL;
	return 0;
}

/* Parse and validate the body shared by READ and WRITE into @io. */
static int parse_io(const struct muse_req *req, struct muse_io *io)
{
	const struct muse_session *se = req->se;
	struct muse_read_in in;

	memset(&in, 0, sizeof(in));
	memcpy(&in, req->body, io_in_size(se));

	if (in.flags & ~MUSE_IO_MODE_MASK)
		return -EINVAL;
	if (in.flags & (in.flags - 1))	/* more than one mode */
		return -EINVAL;
	if ((in.ooblen || in.ooboffs) && !(se->ext & MUSE_EXT_OOB))
		return -EINVAL;
	if (in.len > se->unit)
		return -EINVAL;
	if (in.addr >= se->dev.size || in.len > se->dev.size - in.addr)
		return -EINVAL;

	memset(io, 0, sizeof(*io));
	io->mode = io_mode(in.flags);
	if (in.ooblen) {
		int ret = check_oob(se, &in, io->mode);

		if (ret)
			return ret;
		io->ooblen = in.ooblen;
		io->ooboffs = in.ooboffs;
	}
	io->addr = in.addr;
	io->len = (size_t)in.len;
	return 0;
}

static void ecc_merge(struct muse_ecc_result *total,
		      const struct muse_ecc_result *part)
{
	total->corrected += part->corrected;
	total->failed += part->failed;
	if (part->max_bitflips > total->max_bitflips)
		total->max_bitflips = part->max_bitflips;
}

/* One callback invocation; @ecc is NULL for a write. */
static int io_call(struct muse_session *se, const struct muse_io *io,
		   struct muse_ecc_result *ecc)
{
	struct muse_ecc_result part;
	int ret;

	if (!ecc)
		return muse_clamp_errno(se->ops.write(se->userdata, io));

	memset(&part, 0, sizeof(part));
	ret = muse_clamp_errno(se->ops.read(se->userdata, io, &part));
	ecc_merge(ecc, &part);
	return ret;
}

/*
 * Run a READ (@ecc set) or WRITE through the callback: whole, or with
 * MUSE_SESSION_SPLIT_PAGES one page at a time, each page with its share of
 * the OOB.  The first error ends the request.
 */
static int io_run(struct muse_session *se, const struct muse_io *io,
		  struct muse_ecc_result *ecc)
{
	uint32_t writesize = se->dev.writesize;
	uint32_t per_page = oob_per_page(se, io->mode);
	unsigned char *data = io->buf;
	unsigned char *oob = io->oobbuf;
	size_t data_left = io->len;
	size_t oob_left = io->ooblen;
	struct muse_io page = *io;
	int ret;

	if (!(se->flags & MUSE_SESSION_SPLIT_PAGES))
		return io_call(se, io, ecc);

	do {
		uint64_t page_end = page.addr - page.addr % writesize +
				    writesize;
		size_t room = (size_t)(page_end - page.addr);

		page.buf = data;
		page.len = data_left < room ? data_left : room;
		page.oobbuf = oob;
		room = oob_left ? per_page - page.ooboffs : 0;
		page.ooblen = oob_left < room ? oob_left : room;

		ret = io_call(se, &page, ecc);
		if (ret)
			return ret;

		data += page.len;
		data_left -= page.len;
		oob += page.ooblen;
		oob_left -= page.ooblen;
		page.addr = page_end;
		page.ooboffs = 0;
	} while (data_left || oob_left);
	return 0;
}

/* The soft_error a read reports, as the kernel's MTD core would. */
static int32_t read_soft_error(const struct muse_session *se,
			       const struct muse_ecc_result *ecc)
{
	if (ecc->failed)
		return -EBADMSG;
	if (ecc->max_bitflips &&
	    ecc->max_bitflips >= muse_device_bitflip_threshold(&se->dev))
		return -EUCLEAN;
	return 0;
}

static int handle_read(struct muse_req *req)
{
	struct muse_session *se = req->se;
	struct muse_ecc_result ecc;
	struct muse_read_out out;
	struct muse_io io;
	struct iovec iov[4];
	int ret;

	ret = parse_io(req, &io);
	if (ret)
		return muse_reply_err(req, ret);
	if (io.len + io.ooblen > req->scratch_size)
		return -ENOBUFS;
	io.buf = req->scratch;
	io.oobbuf = (unsigned char *)req->scratch + io.len;

	memset(&ecc, 0, sizeof(ecc));
	ret = io_run(se, &io, &ecc);
	if (ret)
		return muse_reply_err(req, ret);

	memset(&out, 0, sizeof(out));
	out.datalen = io.len;
	out.soft_error = (uint32_t)read_soft_error(se, &ecc);
	out.ooblen = (uint32_t)io.ooblen;
	if (se->ext & MUSE_EXT_ECC_STATS) {
		out.max_bitflips = ecc.max_bitflips;
		out.corrected = ecc.corrected;
		out.failed = ecc.failed;
	}
	iov[1].iov_base = &out;
	iov[1].iov_len = muse_read_out_size(se);
	iov[2].iov_base = io.buf;
	iov[2].iov_len = io.len;
	iov[3].iov_base = io.oobbuf;
	iov[3].iov_len = io.ooblen;
	return muse_reply_iov(req, 0, iov, 4);
}

static int handle_write(struct muse_req *req)
{
	struct muse_session *se = req->se;
	size_t in_size = io_in_size(se);
	unsigned char *data = (unsigned char *)req->body + in_size;
	struct muse_write_out out;
	struct muse_io io;
	struct iovec iov[2];
	int ret;

	ret = parse_io(req, &io);
	if (ret)
		return muse_reply_err(req, ret);
	if (req->bodylen != in_size + io.len + io.ooblen)
		return muse_reply_err(req, -EINVAL);
	/* The callback gets the request's bytes; it must not modify them. */
	io.buf = data;
	io.oobbuf = data + io.len;

	ret = io_run(se, &io, NULL);
	if (ret)
		return muse_reply_err(req, ret);

	memset(&out, 0, sizeof(out));
	out.datalen = io.len;
	out.ooblen = (uint32_t)io.ooblen;
	iov[1].iov_base = &out;
	iov[1].iov_len = se->ext_layout ? sizeof(out) :
					  MUSE_COMPAT_WRITE_OUT_SIZE;
	return muse_reply_iov(req, 0, iov, 2);
}

static int handle_erase(struct muse_req *req)
{
	const struct muse_device *dev = &req->se->dev;
	struct muse_erase_in in;

	memcpy(&in, req->body, sizeof(in));
	if (!in.len || in.addr % dev->erasesize || in.len % dev->erasesize ||
	    in.addr >= dev->size || in.len > dev->size - in.addr)
		return muse_reply_err(req, -EINVAL);
	return muse_reply_err(req, muse_clamp_errno(
		req->se->ops.erase(req->se->userdata, in.addr, in.len)));
}

/* MARKBAD and ISBAD name one eraseblock by its address. */
static int parse_block_addr(const struct muse_req *req, uint64_t *addr)
{
	const struct muse_device *dev = &req->se->dev;
	struct muse_isbad_in in;

	_Static_assert(sizeof(struct muse_isbad_in) ==
		       sizeof(struct muse_markbad_in),
		       "MARKBAD and ISBAD requests share one layout");
	memcpy(&in, req->body, sizeof(in));
	if (in.addr % dev->erasesize || in.addr >= dev->size)
		return -EINVAL;
	*addr = in.addr;
	return 0;
}

static int handle_isbad(struct muse_req *req)
{
	struct muse_isbad_out out;
	struct iovec iov[2];
	uint64_t addr;
	int ret;

	ret = parse_block_addr(req, &addr);
	if (ret)
		return muse_reply_err(req, ret);
	ret = req->se->ops.isbad(req->se->userdata, addr);
	/* Anything but 0 or 1 would fail in the kernel with a log line. */
	if (ret > 1)
		ret = -EIO;
	if (ret < 0)
		return muse_reply_err(req, muse_clamp_errno(ret));

	memset(&out, 0, sizeof(out));
	out.result = (uint32_t)ret;
	iov[1].iov_base = &out;
	iov[1].iov_len = sizeof(out);
	return muse_reply_iov(req, 0, iov, 2);
}

static int handle_markbad(struct muse_req *req)
{
	uint64_t addr;
	int ret;

	ret = parse_block_addr(req, &addr);
	if (ret)
		return muse_reply_err(req, ret);
	return muse_reply_err(req, muse_clamp_errno(
		req->se->ops.markbad(req->se->userdata, addr)));
}

static int handle_sync(struct muse_req *req)
{
	return muse_reply_err(req, muse_clamp_errno(
		req->se->ops.sync(req->se->userdata)));
}

/*
 * Per opcode: the handler and the smallest body it can parse, for compat
 * and extended connections.  MUSE_INIT checks its body itself because a
 * bad size there is a protocol error (-EPROTO), not -EINVAL.
 */
static const struct muse_opcode_desc {
	int (*handler)(struct muse_req *req);
	size_t compat_size;
	size_t ext_size;
} opcode_table[] = {
	[MUSE_INIT - MUSE_INIT] = { muse_handle_init, 0, 0 },
	[MUSE_ERASE - MUSE_INIT] = {
		handle_erase,
		sizeof(struct muse_erase_in), sizeof(struct muse_erase_in) },
	[MUSE_READ - MUSE_INIT] = {
		handle_read,
		MUSE_COMPAT_READ_IN_SIZE, sizeof(struct muse_read_in) },
	[MUSE_WRITE - MUSE_INIT] = {
		handle_write,
		MUSE_COMPAT_WRITE_IN_SIZE, sizeof(struct muse_write_in) },
	[MUSE_MARKBAD - MUSE_INIT] = {
		handle_markbad,
		sizeof(struct muse_markbad_in), sizeof(struct muse_markbad_in) },
	[MUSE_ISBAD - MUSE_INIT] = {
		handle_isbad,
		sizeof(struct muse_isbad_in), sizeof(struct muse_isbad_in) },
	[MUSE_SYNC - MUSE_INIT] = { handle_sync, 0, 0 },
};

/**
 * muse_dispatch() - validate one request and answer it.
 * @se:			the session.
 * @buf:		the request as read.
 * @n:			bytes read.
 * @scratch:		room for READ data.
 * @scratch_size:	bytes at @scratch.
 * @sink:		where the reply goes.
 *
 * Return: 0 when answered (or, for unique 0, deliberately not answered),
 * -EPROTO if @buf is too short to carry a header, or the negative errno of
 * sending the reply.
 */
int muse_dispatch(struct muse_session *se, const void *buf, size_t n,
		  void *scratch, size_t scratch_size,
		  struct muse_reply_sink *sink)
{
	const struct muse_opcode_desc *desc;
	struct fuse_in_header in;
	struct muse_req req;
	size_t min_body;

	if (n < sizeof(in))
		return -EPROTO;
	memcpy(&in, buf, sizeof(in));
	/* Unique 0 is no request the kernel waits for: nothing to answer. */
	if (!in.unique)
		return 0;

	req.se = se;
	req.unique = in.unique;
	req.len = in.len;
	req.body = (const unsigned char *)buf + sizeof(in);
	req.bodylen = n - sizeof(in);
	req.scratch = scratch;
	req.scratch_size = scratch_size;
	req.sink = sink;

	if (in.len != n)
		return muse_reply_err(&req, -EINVAL);
	if (in.opcode < MUSE_INIT || in.opcode > MUSE_SYNC)
		return muse_reply_err(&req, -ENOSYS);
	if ((in.opcode == MUSE_INIT) == se->initialised)
		return muse_reply_err(&req, -EPROTO);

	desc = &opcode_table[in.opcode - MUSE_INIT];
	min_body = se->ext_layout ? desc->ext_size : desc->compat_size;
	if (req.bodylen < min_body)
		return muse_reply_err(&req, -EINVAL);
	return desc->handler(&req);
}

ssize_t muse_session_handle_buf(struct muse_session *se, const void *req,
				size_t reqlen, void *reply, size_t reply_size)
{
	struct muse_reply_sink sink = {
		.fd = -1, .buf = reply, .size = reply_size, .len = 0,
	};
	size_t data_offset = sizeof(struct fuse_out_header) +
			     muse_read_out_size(se);
	void *scratch = NULL;
	size_t scratch_size = 0;
	int ret;

	if (!req || reqlen < sizeof(struct fuse_in_header))
		return -EPROTO;
	if (!reply || reply_size < sizeof(struct fuse_out_header))
		return -ENOBUFS;
	/* READ data goes straight to where the reply carries it. */
	if (reply_size > data_offset) {
		scratch = (unsigned char *)reply + data_offset;
		scratch_size = reply_size - data_offset;
	}
	ret = muse_dispatch(se, req, reqlen, scratch, scratch_size, &sink);
	if (ret < 0)
		return ret;
	return (ssize_t)sink.len;
}
