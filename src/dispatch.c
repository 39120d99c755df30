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
 * muse__read_out_size() - size of the READ reply body on this connection.
 * @se: the session.
 *
 * Return: bytes.
 */
size_t muse__read_out_size(const struct muse_session *se)
{
	return se->ext_layout ? sizeof(struct muse_read_out) :
				MUSE_COMPAT_READ_OUT_SIZE;
}

static uint32_t io_mode(uint32_t flags)
{
	if (flags & MUSE_IO_OOB_AUTO)
		return MUSE_OOB_AUTO;
	if (flags & MUSE_IO_RAW)
		return MUSE_OOB_RAW;
	return MUSE_OOB_PLACE;
}

/* OOB bytes one page offers in @mode. */
static uint32_t oob_per_page(const struct muse_session *se, uint32_t mode)
{
	return mode == MUSE_OOB_AUTO ? se->dev.oobavail : se->oobsize;
}

/*
 * The OOB of a request starts at ooboffs in addr's page and continues page
 * by page; the pages it touches must stay inside the request's unit and
 * inside the device (MUSE_OOB_SPAN_FITS, protocol section 4.5).
 */
static int check_oob(const struct muse_session *se,
		     const struct muse_read_in *in, uint32_t mode)
{
	uint64_t per_page = oob_per_page(se, mode);
	uint32_t writesize = se->dev.writesize;
	uint64_t in_unit = se->unit / writesize -
			   in->addr % se->unit / writesize;
	uint64_t in_device = se->dev.size / writesize - in->addr / writesize;
	uint64_t ooboffs = in->ooboffs, ooblen = in->ooblen;

	if (!MUSE_OOB_SPAN_FITS(ooboffs, ooblen, per_page, in_unit) ||
	    !MUSE_OOB_SPAN_FITS(ooboffs, ooblen, per_page, in_device))
		return -EINVAL;
	return 0;
}

/* Parse and validate the body shared by READ and WRITE into req->io. */
static int parse_io(struct muse_req *req)
{
	const struct muse_session *se = req->se;
	struct muse_io *io = &req->io;
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

/*
 * Around a callback: the request is in its callback (muse_req_keep() is
 * allowed iff @kept is given and the request is a pool slot), and
 * afterwards either kept or back with the dispatcher.  The dispatcher
 * looks only at its own *kept after the callback: a kept request may
 * already be answered and reused.
 */
static void callback_enter(struct muse_req *req, bool *kept)
{
	req->keep_flag = req->pooled ? kept : NULL;
	atomic_store(&req->state, MUSE__REQ_CALLBACK);
}

static void callback_leave(struct muse_req *req)
{
	req->keep_flag = NULL;
	atomic_store(&req->state, MUSE__REQ_IDLE);
}

/*
 * What a callback's return means: MUSE__KEPT if it kept the request,
 * else the reply is sent now.
 */
static int callback_done(struct muse_req *req, bool kept, int ret,
			 const struct muse_ecc_result *ecc)
{
	if (kept)
		return MUSE__KEPT;
	callback_leave(req);
	return muse__complete(req, ret, ecc);
}

static void ecc_merge(struct muse_ecc_result *total,
		      const struct muse_ecc_result *part)
{
	total->corrected += part->corrected;
	total->failed += part->failed;
	if (part->max_bitflips > total->max_bitflips)
		total->max_bitflips = part->max_bitflips;
}

/* One callback invocation for @page; @ecc is NULL for a write. */
static int io_call(struct muse_req *req, const struct muse_io *page,
		   struct muse_ecc_result *ecc)
{
	struct muse_session *se = req->se;
	struct muse_ecc_result part;
	int ret;

	if (!ecc)
		return muse__clamp_errno(se->ops.write(se->userdata, req, page));

	memset(&part, 0, sizeof(part));
	ret = muse__clamp_errno(se->ops.read(se->userdata, req, page, &part));
	ecc_merge(ecc, &part);
	return ret;
}

/*
 * MUSE_SESSION_SPLIT_PAGES: run a READ (@ecc set) or WRITE one page at a
 * time, each page with its share of the OOB.  The first error ends the
 * request.  These callbacks cannot keep the request (it is several).
 */
static int io_split(struct muse_req *req, struct muse_ecc_result *ecc)
{
	const struct muse_io *io = &req->io;
	uint32_t writesize = req->se->dev.writesize;
	uint32_t per_page = oob_per_page(req->se, io->mode);
	unsigned char *data = io->buf;
	unsigned char *oob = io->oobbuf;
	size_t data_left = io->len;
	size_t oob_left = io->ooblen;
	struct muse_io page = *io;
	int ret;

	do {
		uint64_t page_end = page.addr - page.addr % writesize +
				    writesize;
		size_t room = (size_t)(page_end - page.addr);

		page.buf = data;
		page.len = data_left < room ? data_left : room;
		page.oobbuf = oob;
		room = oob_left ? per_page - page.ooboffs : 0;
		page.ooblen = oob_left < room ? oob_left : room;

		ret = io_call(req, &page, ecc);
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

/* Hand a parsed READ (@ecc set) or WRITE to its callback(s). */
static int io_run(struct muse_req *req, struct muse_ecc_result *ecc)
{
	struct muse_session *se = req->se;
	bool kept = false;
	int ret;

	if (se->flags & MUSE_SESSION_SPLIT_PAGES) {
		callback_enter(req, NULL);
		ret = io_split(req, ecc);
		return callback_done(req, false, ret, ecc);
	}
	callback_enter(req, &kept);
	if (ecc)
		ret = se->ops.read(se->userdata, req, &req->io, ecc);
	else
		ret = se->ops.write(se->userdata, req, &req->io);
	return callback_done(req, kept, ret, ecc);
}

static int handle_read(struct muse_req *req)
{
	int ret;

	ret = parse_io(req);
	if (ret)
		return muse__reply_error(req, ret);
	if (req->io.len + req->io.ooblen > req->scratch_size)
		return -ENOBUFS;
	req->io.buf = req->scratch;
	req->io.oobbuf = (unsigned char *)req->scratch + req->io.len;
	memset(&req->ecc, 0, sizeof(req->ecc));
	return io_run(req, &req->ecc);
}

static int handle_write(struct muse_req *req)
{
	size_t in_size = io_in_size(req->se);
	unsigned char *data = (unsigned char *)req->body + in_size;
	int ret;

	ret = parse_io(req);
	if (ret)
		return muse__reply_error(req, ret);
	if (req->bodylen != in_size + req->io.len + req->io.ooblen)
		return muse__reply_error(req, -EINVAL);
	/* The callback gets the request's bytes; it must not modify them. */
	req->io.buf = data;
	req->io.oobbuf = data + req->io.len;
	return io_run(req, NULL);
}

static int handle_erase(struct muse_req *req)
{
	struct muse_session *se = req->se;
	const struct muse_device *dev = &se->dev;
	struct muse_erase_in in;
	bool kept = false;
	int ret;

	memcpy(&in, req->body, sizeof(in));
	if (!in.len || in.addr % dev->erasesize || in.len % dev->erasesize ||
	    in.addr >= dev->size || in.len > dev->size - in.addr)
		return muse__reply_error(req, -EINVAL);
	callback_enter(req, &kept);
	ret = se->ops.erase(se->userdata, req, in.addr, in.len);
	return callback_done(req, kept, ret, NULL);
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
	struct muse_session *se = req->se;
	bool kept = false;
	uint64_t addr;
	int ret;

	ret = parse_block_addr(req, &addr);
	if (ret)
		return muse__reply_error(req, ret);
	callback_enter(req, &kept);
	ret = se->ops.isbad(se->userdata, req, addr);
	return callback_done(req, kept, ret, NULL);
}

static int handle_markbad(struct muse_req *req)
{
	struct muse_session *se = req->se;
	bool kept = false;
	uint64_t addr;
	int ret;

	ret = parse_block_addr(req, &addr);
	if (ret)
		return muse__reply_error(req, ret);
	callback_enter(req, &kept);
	ret = se->ops.markbad(se->userdata, req, addr);
	return callback_done(req, kept, ret, NULL);
}

static int handle_sync(struct muse_req *req)
{
	struct muse_session *se = req->se;
	bool kept = false;
	int ret;

	callback_enter(req, &kept);
	ret = se->ops.sync(se->userdata, req);
	return callback_done(req, kept, ret, NULL);
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
	[MUSE_INIT - MUSE_INIT] = { muse__handle_init, 0, 0 },
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
	[MUSE_REGISTERED - MUSE_INIT] = {
		muse__handle_registered,
		sizeof(struct muse_registered_in),
		sizeof(struct muse_registered_in) },
};

/**
 * muse__reject_malformed() - answer a request no conforming kernel sends.
 * @req:	the request: a wrong header or framing, or a MUSE_REGISTERED
 *		that breaks protocol section 10.
 * @err:	the negative errno to answer with.
 * @what:	what is wrong, for the log.
 *
 * It is a bug of the peer that the error reply alone may hide: say so
 * once per session (a broken peer may send nothing else), then answer.
 *
 * Return: as muse__reply_error().
 */
int muse__reject_malformed(struct muse_req *req, int err, const char *what)
{
	if (!atomic_exchange(&req->se->malformed_logged, true))
		muse_log(MUSE_LOG_ERR,
			 "libmuse: malformed request (opcode %u, unique %llu): %s; answered with %s (further malformed requests are not logged)\n",
			 req->opcode, (unsigned long long)req->unique, what,
			 strerror(-err));
	return muse__reply_error(req, err);
}

/**
 * muse__dispatch() - validate one request and answer it.
 * @req:	the request object: session, sink and scratch set.
 * @buf:	the request as read.
 * @n:		bytes read.
 *
 * Return: 0 when answered (or, for unique 0, deliberately not answered),
 * MUSE__KEPT when a callback kept the request (@req is no longer the
 * caller's), -EPROTO if @buf is too short to carry a header, -ENOBUFS if
 * READ data does not fit the scratch area, or the negative errno of
 * sending the reply.
 */
int muse__dispatch(struct muse_req *req, const void *buf, size_t n)
{
	const struct muse_session *se = req->se;
	const struct muse_opcode_desc *desc;
	struct fuse_in_header in;
	size_t min_body;

	if (n < sizeof(in))
		return -EPROTO;
	memcpy(&in, buf, sizeof(in));
	/* Unique 0 is no request the kernel waits for: nothing to answer. */
	if (!in.unique)
		return 0;

	req->unique = in.unique;
	req->opcode = in.opcode;
	req->body = (const unsigned char *)buf + sizeof(in);
	req->bodylen = n - sizeof(in);
	req->keep_flag = NULL;
	atomic_store(&req->state, MUSE__REQ_IDLE);

	if (in.len != n)
		return muse__reject_malformed(req, -EINVAL, "length not the bytes read");
	if (in.opcode < MUSE_INIT || in.opcode > MUSE_REGISTERED)
		return muse__reject_malformed(req, -ENOSYS, "unknown opcode");
	/* An extension's opcode is unknown to a connection without it. */
	if (in.opcode == MUSE_REGISTERED && !(se->ext & MUSE_EXT_REGISTERED))
		return muse__reject_malformed(req, -ENOSYS,
					      "MUSE_REGISTERED without MUSE_EXT_REGISTERED");
	if ((in.opcode == MUSE_INIT) == se->initialised)
		return muse__reject_malformed(req, -EPROTO, se->initialised ?
					"second INIT" : "request before INIT");

	desc = &opcode_table[in.opcode - MUSE_INIT];
	min_body = se->ext_layout ? desc->ext_size : desc->compat_size;
	if (req->bodylen < min_body)
		return muse__reject_malformed(req, -EINVAL, "body too short");
	return desc->handler(req);
}

ssize_t muse_session_handle_buf(struct muse_session *se, const void *req,
				size_t reqlen, void *reply, size_t reply_size)
{
	size_t data_offset = sizeof(struct fuse_out_header) +
			     muse__read_out_size(se);
	struct muse_req r;
	int ret;

	if (!req || reqlen < sizeof(struct fuse_in_header))
		return -EPROTO;
	if (!reply || reply_size < sizeof(struct fuse_out_header))
		return -ENOBUFS;
	memset(&r, 0, sizeof(r));
	r.se = se;
	r.sink = (struct muse__reply_sink){
		.fd = -1, .buf = reply, .size = reply_size, .len = 0,
	};
	/* READ data goes straight to where the reply carries it. */
	if (reply_size > data_offset) {
		r.scratch = (unsigned char *)reply + data_offset;
		r.scratch_size = reply_size - data_offset;
	}
	/* A stack request: callbacks cannot keep it (keep_flag NULL). */
	ret = muse__dispatch(&r, req, reqlen);
	if (ret < 0)
		return ret;
	return (ssize_t)r.sink.len;
}
