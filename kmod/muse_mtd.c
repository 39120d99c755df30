// SPDX-License-Identifier: GPL-2.0-only
/*
 * MUSE: MTD in userspace.  The MTD operations: each one becomes one or more
 * requests to the server.  Every opcode's contract is here in one place:
 * how its request is built, how its reply is validated before anything of
 * it is trusted, and what the MTD user gets.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/kernel.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mtd/mtd.h>
#include <linux/slab.h>

#include "muse_conn.h"

/*
 * The units of one MTD read are queued together up to this many, so that
 * a multi-threaded server works on them in parallel.  Writes and erases go
 * one unit or block at a time: NAND pages of a block must be programmed in
 * order, and a failed unit or block must stop the ones after it.
 */
#define MUSE_BATCH		32

/*
 * OOB layout: a bad-block marker of up to two bytes at offset 0 (as on
 * large-page NAND), then the OOBAVAIL free bytes, then ECC bytes up to
 * OOBSIZE.  When OOBAVAIL leaves less than two bytes, the marker shrinks.
 */
static u32 muse_mtd_bbm_bytes(const struct mtd_info *mtd)
{
	return muse_oob_bbm_bytes(mtd->oobsize, mtd->oobavail);
}

static int muse_ooblayout_ecc(struct mtd_info *mtd, int section,
			      struct mtd_oob_region *region)
{
	u32 start = muse_mtd_bbm_bytes(mtd) + mtd->oobavail;

	if (section || start >= mtd->oobsize)
		return -ERANGE;
	region->offset = start;
	region->length = mtd->oobsize - start;
	return 0;
}

static int muse_ooblayout_free(struct mtd_info *mtd, int section,
			       struct mtd_oob_region *region)
{
	if (section || !mtd->oobavail)
		return -ERANGE;
	region->offset = muse_mtd_bbm_bytes(mtd);
	region->length = mtd->oobavail;
	return 0;
}

static const struct mtd_ooblayout_ops muse_ooblayout_ops = {
	.ecc = muse_ooblayout_ecc,
	.free = muse_ooblayout_free,
};

/* One READ or WRITE request and where its data and OOB go or come from. */
struct muse_io_req {
	struct muse_req req;
	struct muse_conn *conn;
	/* READ and WRITE bodies share their layout (checked below). */
	struct muse_read_in in;
	union {
		struct muse_read_out read;
		struct muse_write_out write;
	} out;
	u8 *data;
	u8 *oob;
	u32 datalen;
	u32 ooblen;
};

/* ERASE, MARKBAD, ISBAD and SYNC: an address at most. */
struct muse_block_req {
	struct muse_req req;
	union {
		struct muse_erase_in erase;
		struct muse_markbad_in markbad;
		struct muse_isbad_in isbad;
	} in;
	struct muse_isbad_out isbad_out;
};

static size_t muse_io_out_size(const struct muse_conn *conn, u32 opcode)
{
	if (opcode == MUSE_READ)
		return conn->extended ? sizeof(struct muse_read_out) :
					MUSE_COMPAT_READ_OUT_SIZE;
	return conn->extended ? sizeof(struct muse_write_out) :
				MUSE_COMPAT_WRITE_OUT_SIZE;
}

/*
 * ECC steps a read covers: the bound of its failed steps and, times the
 * ECC strength, of its corrected bits.  An OOB-only read counts as one.
 */
static u32 muse_ecc_steps(const struct mtd_info *mtd, u32 datalen)
{
	u32 step = mtd->ecc_step_size ?: mtd->writesize;

	return max_t(u32, DIV_ROUND_UP(datalen, step), 1);
}

/* What an ECC report may claim, whatever the server says. */
static void muse_clamp_ecc(const struct mtd_info *mtd,
			   struct muse_read_out *out, u32 datalen)
{
	u32 steps = muse_ecc_steps(mtd, datalen);

	out->max_bitflips = min(out->max_bitflips, mtd->ecc_strength);
	out->corrected = min_t(u64, out->corrected,
			       (u64)mtd->ecc_strength * steps);
	out->failed = min(out->failed, steps);
}

/* A connection without MUSE_EXT_ECC_STATS reports no ECC figures. */
static void muse_clamp_ecc_none(struct muse_read_out *out)
{
	out->max_bitflips = 0;
	out->corrected = 0;
	out->failed = 0;
}

/*
 * Copy the fixed part of a READ or WRITE reply and check that it answers
 * what was asked: the body holds it and the payload a READ carries, and
 * datalen (ooblen, extended) are the request's.
 */
static int muse_io_reply_head(struct muse_io_req *io, u32 opcode,
			      size_t body, struct iov_iter *from)
{
	struct muse_conn *conn = io->conn;
	size_t out_size = muse_io_out_size(conn, opcode);
	size_t want = out_size;
	struct muse_read_out *head = &io->out.read;

	/* datalen and ooblen sit alike in both replies. */
	BUILD_BUG_ON(offsetof(struct muse_read_out, datalen) !=
		     offsetof(struct muse_write_out, datalen));
	BUILD_BUG_ON(offsetof(struct muse_read_out, ooblen) !=
		     offsetof(struct muse_write_out, ooblen));
	if (opcode == MUSE_READ)
		want += io->datalen + io->ooblen;
	if (body != want || copy_from_iter(head, out_size, from) != out_size)
		return -EINVAL;
	if (head->datalen != io->datalen ||
	    (conn->extended && head->ooblen != io->ooblen))
		return -EINVAL;
	return 0;
}

static int muse_read_reply(struct muse_req *req, size_t body,
			   struct iov_iter *from)
{
	struct muse_io_req *io = container_of(req, struct muse_io_req, req);
	struct muse_conn *conn = io->conn;
	struct muse_read_out *out = &io->out.read;
	s32 soft_error;

	if (muse_io_reply_head(io, MUSE_READ, body, from))
		return -EINVAL;
	soft_error = out->soft_error;
	if (!muse_soft_error_valid(MUSE_READ, soft_error))
		return -EINVAL;
	if (conn->ext_flags & MUSE_EXT_ECC_STATS)
		muse_clamp_ecc(&conn->mtd, out, io->datalen);
	else
		muse_clamp_ecc_none(out);

	if (soft_error && !muse_soft_error_is_ecc(soft_error)) {
		/* A hard error: the data that came along is not delivered. */
		req->error = soft_error;
		return 0;
	}
	if (!muse_payload_from_iter(io->data, io->datalen, from) ||
	    !muse_payload_from_iter(io->oob, io->ooblen, from))
		return -EFAULT;
	return 0;
}

static int muse_write_reply(struct muse_req *req, size_t body,
			    struct iov_iter *from)
{
	struct muse_io_req *io = container_of(req, struct muse_io_req, req);
	struct muse_write_out *out = &io->out.write;

	if (muse_io_reply_head(io, MUSE_WRITE, body, from) ||
	    !muse_soft_error_valid(MUSE_WRITE, out->soft_error))
		return -EINVAL;
	req->error = (s32)out->soft_error;
	return 0;
}

/* ERASE, MARKBAD and SYNC replies have no body. */
static int muse_empty_reply(struct muse_req *req, size_t body,
			    struct iov_iter *from)
{
	return body ? -EINVAL : 0;
}

static int muse_isbad_reply(struct muse_req *req, size_t body,
			    struct iov_iter *from)
{
	struct muse_block_req *blk = container_of(req, struct muse_block_req,
						  req);
	struct muse_isbad_out *out = &blk->isbad_out;

	if (body != sizeof(*out) ||
	    copy_from_iter(out, sizeof(*out), from) != sizeof(*out))
		return -EINVAL;
	return out->result > 1 ? -EINVAL : 0;
}

/* Where the next READ/WRITE request of an MTD operation starts. */
struct muse_io {
	u64 addr;		/* next in-band byte, or the next OOB page */
	size_t len;		/* in-band bytes left */
	size_t ooblen;		/* OOB bytes left */
	u32 ooboffs;		/* offset of the next OOB byte in its page */
	u32 oob_per_page;
	u32 flags;		/* MUSE_IO_* */
};

static bool muse_is_nand(const struct mtd_info *mtd)
{
	return mtd->type == MTD_NANDFLASH || mtd->type == MTD_MLCNANDFLASH;
}

static int muse_io_mode(const struct muse_conn *conn, unsigned int mode,
			u32 *flags)
{
	*flags = 0;
	if (!(conn->ext_flags & MUSE_EXT_OOB))
		return 0;
	switch (mode) {
	case MTD_OPS_PLACE_OOB:
		*flags = MUSE_IO_OOB_PLACE;
		return 0;
	case MTD_OPS_AUTO_OOB:
		*flags = MUSE_IO_OOB_AUTO;
		return 0;
	case MTD_OPS_RAW:
		*flags = MUSE_IO_RAW;
		return 0;
	}
	return -EINVAL;
}

static int muse_io_start(struct muse_conn *conn, struct muse_io *io,
			 u32 opcode, loff_t from, const struct mtd_oob_ops *ops)
{
	struct mtd_info *mtd = &conn->mtd;
	u32 subpage = mtd->writesize >> mtd->subpage_sft;
	u32 first_page_ofs;
	u64 pages;
	int err;

	io->addr = from;
	io->len = ops->datbuf ? ops->len : 0;
	io->ooblen = ops->oobbuf ? ops->ooblen : 0;
	io->ooboffs = ops->ooboffs;
	io->oob_per_page = ops->mode == MTD_OPS_AUTO_OOB ? mtd->oobavail :
							   mtd->oobsize;
	err = muse_io_mode(conn, ops->mode, &io->flags);
	if (err)
		return err;
	if (io->ooblen && !(conn->ext_flags & MUSE_EXT_OOB))
		return -EOPNOTSUPP;

	/* The MTD core checked these; requests must never leave the device. */
	if (from < 0 || from > mtd->size || io->len > mtd->size - from)
		return -EINVAL;
	/* NAND programs whole (sub)pages, as nand_base insists. */
	if (opcode == MUSE_WRITE && muse_is_nand(mtd) && io->len &&
	    (!IS_ALIGNED(from, subpage) || !IS_ALIGNED(io->len, subpage)))
		return -EINVAL;
	if (!io->ooblen)
		return 0;

	/*
	 * With data, OOB goes with the data's pages only (nand_base moves
	 * the OOB of each page it reads or programs); alone, it may run on
	 * to the end of the device.
	 */
	div_u64_rem(from, mtd->writesize, &first_page_ofs);
	if (io->len)
		pages = DIV_ROUND_UP_ULL(first_page_ofs + io->len,
					 mtd->writesize);
	else
		pages = div_u64(mtd->size - (from - first_page_ofs),
				mtd->writesize);
	if (io->ooboffs >= io->oob_per_page)
		return -EINVAL;
	if (io->len)
		io->ooblen = min_t(u64, io->ooblen,
				   pages * io->oob_per_page - io->ooboffs);
	else if (!MUSE_OOB_SPAN_FITS((u64)io->ooboffs, (u64)io->ooblen,
				     (u64)io->oob_per_page, pages))
		return -EINVAL;
	return 0;
}

/*
 * Prepare the next request: everything of the operation that lies in the
 * I/O unit containing io->addr, that is in-band data and the OOB of the
 * unit's pages from the one containing io->addr on, and advance io past
 * it.  Returns false when nothing is left.
 */
static bool muse_io_next(struct muse_conn *conn, struct muse_io *io,
			 u32 opcode, struct muse_io_req *req)
{
	struct mtd_info *mtd = &conn->mtd;
	struct muse_read_in *in = &req->in;
	u32 datalen, ooblen = 0, page_ofs;
	u64 pages, unit_end;

	BUILD_BUG_ON(sizeof(struct muse_read_in) !=
		     sizeof(struct muse_write_in));
	BUILD_BUG_ON(offsetof(struct muse_read_in, ooblen) !=
		     offsetof(struct muse_write_in, ooblen));

	if (!io->len && !io->ooblen)
		return false;

	unit_end = (div_u64(io->addr, conn->unit) + 1) * conn->unit;
	unit_end = min(unit_end, mtd->size);
	datalen = min_t(u64, io->len, unit_end - io->addr);
	if (io->ooblen) {
		div_u64_rem(io->addr, mtd->writesize, &page_ofs);
		pages = div_u64(unit_end - (io->addr - page_ofs),
				mtd->writesize);
		ooblen = min_t(u64, io->ooblen,
			       pages * io->oob_per_page - io->ooboffs);
	}

	memset(in, 0, sizeof(*in));
	in->addr = io->addr;
	in->len = datalen;
	in->flags = io->flags;
	if (conn->extended) {
		in->ooboffs = ooblen ? io->ooboffs : 0;
		in->ooblen = ooblen;
	}
	muse_req_init(&req->req, opcode, in,
		      conn->extended ? sizeof(*in) : MUSE_COMPAT_READ_IN_SIZE,
		      opcode == MUSE_READ ? muse_read_reply : muse_write_reply);
	req->conn = conn;
	req->datalen = datalen;
	req->ooblen = ooblen;

	io->len -= datalen;
	io->ooblen -= ooblen;
	/* What is left starts in the next unit, at a page boundary. */
	io->addr = unit_end;
	io->ooboffs = 0;
	return true;
}

struct muse_ecc_result {
	unsigned int max_bitflips;
	bool failed;
};

/*
 * Account one READ reply's bit flips as doc/protocol.md 4.3 says, in the
 * device's statistics and in those of this read (MEMREAD reports them).
 * Without ECC there is nothing to correct and nothing to count.
 */
static void muse_account_ecc(struct muse_conn *conn,
			     const struct muse_read_out *out,
			     struct mtd_oob_ops *ops,
			     struct muse_ecc_result *ecc)
{
	struct mtd_info *mtd = &conn->mtd;
	u32 max_bitflips = out->max_bitflips;
	u32 corrected = out->corrected;
	u32 failed = out->failed;
	s32 soft_error = out->soft_error;

	/*
	 * The strength, not the master's threshold: a partition's own
	 * threshold (sysfs bitflip_threshold) may be higher, and the flips
	 * must still be reported.
	 */
	if (soft_error == -EUCLEAN && !max_bitflips && mtd->ecc_strength) {
		max_bitflips = mtd->ecc_strength;
		corrected = corrected ?: 1;
	}
	if (soft_error == -EBADMSG && !failed)
		failed = 1;

	ecc->max_bitflips = max(ecc->max_bitflips, max_bitflips);
	if (failed)
		ecc->failed = true;
	if (ops->stats) {
		ops->stats->corrected_bitflips += corrected;
		ops->stats->uncorrectable_errors += failed;
	}
	if (corrected || failed) {
		spin_lock(&conn->lock);
		mtd->ecc_stats.corrected += corrected;
		mtd->ecc_stats.failed += failed;
		spin_unlock(&conn->lock);
	}
}

/*
 * Offer a WRITE's unit @r, the @n-th of its batch, to kernel program:
 * in-band data only, in a mode other than RAW (which a connection
 * without MUSE_EXT_OOB sends as a plain WRITE).
 */
static bool muse_io_kernel_program(struct muse_conn *conn, u32 opcode,
				   const struct mtd_oob_ops *ops,
				   const struct muse_io_req *r, int n,
				   const u8 *data)
{
	return opcode == MUSE_WRITE && !n && data && r->datalen &&
	       !r->ooblen && ops->mode != MTD_OPS_RAW &&
	       muse_kp_write(conn, r->in.addr, r->datalen, data);
}

/*
 * Queue up to @max requests of the operation and wait for all of them
 * (they point into the caller's buffers), then take their results in
 * address order: the first failure ends the operation.
 */
static int muse_io_batch(struct muse_conn *conn, struct muse_io *io,
			 u32 opcode, struct muse_io_req *reqs, int max,
			 struct mtd_oob_ops *ops, struct muse_ecc_result *ecc)
{
	u8 *data = ops->datbuf ? ops->datbuf + ops->retlen : NULL;
	u8 *oob = ops->oobbuf ? ops->oobbuf + ops->oobretlen : NULL;
	int i, n, err = 0, qerr = 0;

	n = 0;
	while (n < max && muse_io_next(conn, io, opcode, &reqs[n])) {
		struct muse_io_req *r = &reqs[n];

		/*
		 * A unit the kernel programs itself is done: no request.
		 * First in a batch only, as writes' are (one unit each), so
		 * that retlen grows in address order.
		 */
		if (muse_io_kernel_program(conn, opcode, ops, r, n, data)) {
			ops->retlen += r->datalen;
			data += r->datalen;
			/* A long write may program thousands of units. */
			cond_resched();
			continue;
		}
		r->data = data;
		r->oob = oob;
		if (opcode == MUSE_WRITE) {
			r->req.payload[0] = data;
			r->req.payload_len[0] = r->datalen;
			r->req.payload[1] = oob;
			r->req.payload_len[1] = r->ooblen;
		}
		if (data)
			data += r->datalen;
		if (oob)
			oob += r->ooblen;
		qerr = muse_chan_queue(&conn->chan, &r->req);
		if (qerr)
			break;
		n++;
	}

	for (i = 0; i < n; i++) {
		int rerr = muse_chan_wait(&conn->chan, &reqs[i].req);

		if (err)
			continue;
		err = rerr;
		if (err)
			continue;
		if (opcode == MUSE_READ)
			muse_account_ecc(conn, &reqs[i].out.read, ops, ecc);
		ops->retlen += reqs[i].datalen;
		ops->oobretlen += reqs[i].ooblen;
	}
	return err ?: qerr;
}

/*
 * Room for MUSE_BATCH requests of @size bytes when an operation has
 * several units to queue together; otherwise, or when that allocation
 * fails (one unit at a time still works), the caller's single request at
 * @one.  *@max receives how many fit.  GFP_NOIO: writeback reads too (UBI
 * under a file system's writeback), and reclaim must not wait on it.
 */
static void *muse_batch_alloc(bool several, size_t size, void *one, int *max)
{
	void *batch = several ? kmalloc_array(MUSE_BATCH, size,
					      GFP_NOIO | __GFP_NOWARN) :
				NULL;

	*max = batch ? MUSE_BATCH : 1;
	return batch ?: one;
}

/*
 * Move an MTD read or write as READ/WRITE requests.  A read returns the
 * most bit flips of any ECC step, or -EBADMSG (with all the data) when a
 * step could not be corrected.
 */
static int muse_do_io(struct mtd_info *mtd, u32 opcode, loff_t addr,
		      struct mtd_oob_ops *ops)
{
	struct muse_conn *conn = muse_conn_of(mtd);
	struct muse_ecc_result ecc = { 0 };
	struct muse_io_req one, *reqs;
	struct muse_io io;
	int max, err;

	err = muse_io_start(conn, &io, opcode, addr, ops);
	if (err)
		return err;
	if (opcode == MUSE_READ && muse_pt_read(conn, addr, ops))
		return 0;

	reqs = muse_batch_alloc(opcode == MUSE_READ &&
				io.len + (u64)io.ooblen > conn->unit,
				sizeof(*reqs), &one, &max);
	do {
		err = muse_io_batch(conn, &io, opcode, reqs, max, ops, &ecc);
	} while (!err && (io.len || io.ooblen));
	if (reqs != &one)
		kfree(reqs);
	if (err)
		return err;
	return ecc.failed ? -EBADMSG : ecc.max_bitflips;
}

static int muse_mtd_read_oob(struct mtd_info *mtd, loff_t from,
			     struct mtd_oob_ops *ops)
{
	return muse_do_io(mtd, MUSE_READ, from, ops);
}

static int muse_mtd_write_oob(struct mtd_info *mtd, loff_t to,
			      struct mtd_oob_ops *ops)
{
	return muse_do_io(mtd, MUSE_WRITE, to, ops);
}

/* The address of ERASE, MARKBAD and ISBAD comes first in each body. */
static void muse_block_req_init(struct muse_block_req *blk, u32 opcode,
				u64 addr, u64 len)
{
	muse_reply_fn reply = muse_empty_reply;
	size_t size;

	BUILD_BUG_ON(offsetof(struct muse_erase_in, addr) ||
		     offsetof(struct muse_markbad_in, addr) ||
		     offsetof(struct muse_isbad_in, addr));
	memset(&blk->in, 0, sizeof(blk->in));
	blk->in.erase.addr = addr;
	switch (opcode) {
	case MUSE_ERASE:
		blk->in.erase.len = len;
		size = sizeof(blk->in.erase);
		break;
	case MUSE_ISBAD:
		reply = muse_isbad_reply;
		size = sizeof(blk->in.isbad);
		break;
	case MUSE_MARKBAD:
		size = sizeof(blk->in.markbad);
		break;
	default:	/* SYNC */
		size = 0;
		break;
	}
	muse_req_init(&blk->req, opcode, &blk->in, size, reply);
}

static int muse_mtd_erase(struct mtd_info *mtd, struct erase_info *instr)
{
	struct muse_conn *conn = muse_conn_of(mtd);
	u64 addr = instr->addr, end;
	struct muse_block_req blk;
	int err;

	if (!muse_eraseblock_aligned(instr->addr, mtd) ||
	    !muse_eraseblock_aligned(instr->len, mtd) ||
	    instr->addr > mtd->size || instr->len > mtd->size - instr->addr)
		return -EINVAL;

	end = instr->addr + instr->len;
	err = muse_ke_erase(conn, &addr, end);
	if (err) {
		instr->fail_addr = addr;
		return err;
	}
	/*
	 * The rest one block at a time, in order: like nand_base, an erase
	 * that fails at one block leaves the blocks after it untouched.
	 * Queued together, a multi-threaded server erased them anyway.
	 */
	for (; addr < end; addr += mtd->erasesize) {
		muse_block_req_init(&blk, MUSE_ERASE, addr, mtd->erasesize);
		err = muse_chan_send(&conn->chan, &blk.req);
		if (err) {
			instr->fail_addr = addr;
			return err;
		}
	}
	return 0;
}

/* Block number of ofs (the core checked ofs). */
static unsigned long muse_block_of(const struct mtd_info *mtd, loff_t ofs)
{
	return div_u64(ofs, mtd->erasesize);
}

/*
 * A block was found bad (by ISBAD) or marked bad (by MARKBAD): count it
 * once in the master's bad_blocks.  The MTD core counts the partitions'
 * itself: at their registration (which asks ISBAD of every block) and in
 * mtd_block_markbad().
 */
static void muse_note_bad(struct muse_conn *conn, unsigned long block)
{
	if (!conn->known_bad || test_and_set_bit(block, conn->known_bad))
		return;
	spin_lock(&conn->lock);
	conn->mtd.ecc_stats.badblocks++;
	spin_unlock(&conn->lock);
}

static int muse_mtd_block_isbad(struct mtd_info *mtd, loff_t ofs)
{
	struct muse_conn *conn = muse_conn_of(mtd);
	unsigned long block = muse_block_of(mtd, ofs);
	struct muse_block_req blk;
	int err;

	/*
	 * Dead: answer before building a request.  The MTD core asks ISBAD
	 * of every partition block while registering (2^20 at most), with
	 * no reschedule point of its own; under KASAN a request's setup
	 * alone made that loop take half a minute.
	 */
	if (!muse_chan_connected(&conn->chan)) {
		cond_resched();
		return -ENODEV;
	}
	muse_block_req_init(&blk, MUSE_ISBAD, (u64)block * mtd->erasesize, 0);
	err = muse_chan_send(&conn->chan, &blk.req);
	if (err)
		return err;
	if (blk.isbad_out.result)
		muse_note_bad(conn, block);
	return blk.isbad_out.result;
}

static int muse_mtd_block_markbad(struct mtd_info *mtd, loff_t ofs)
{
	struct muse_conn *conn = muse_conn_of(mtd);
	unsigned long block = muse_block_of(mtd, ofs);
	struct muse_block_req blk;
	int err;

	/*
	 * Like nand_base: marking a block known to be bad succeeds at once.
	 * Failing would turn UBI read-only (it marks worn-out blocks the
	 * chip already gave up on).
	 */
	if (conn->known_bad && test_bit(block, conn->known_bad))
		return 0;
	muse_block_req_init(&blk, MUSE_MARKBAD, (u64)block * mtd->erasesize,
			    0);
	err = muse_chan_send(&conn->chan, &blk.req);
	if (err)
		return err;
	muse_note_bad(conn, block);
	return 0;
}

static void muse_mtd_sync(struct mtd_info *mtd)
{
	struct muse_conn *conn = muse_conn_of(mtd);
	struct muse_block_req blk;
	int err;

	muse_block_req_init(&blk, MUSE_SYNC, 0, 0);
	/* Nobody sees a sync's result: a killed caller need not wait. */
	blk.req.flags = MUSE_REQ_WITHDRAWABLE;
	err = muse_chan_send(&conn->chan, &blk.req);
	/* A dead server, or a caller that left, is no news. */
	if (err && err != -ENODEV && err != -EINTR)
		pr_warn_ratelimited("%s: SYNC failed: %d\n", conn->name, err);
}

/**
 * muse_mtd_setup() - install the MTD operations of a described device
 * @conn:	connection whose MTD geometry is filled in
 *
 * _get_device and _put_device are the connection's (muse_conn.c).
 *
 * Return: 0 or -ENOMEM.
 */
int muse_mtd_setup(struct muse_conn *conn)
{
	u64 blocks = div_u64(conn->mtd.size, conn->mtd.erasesize);
	struct mtd_info *mtd = &conn->mtd;

	mtd->owner = THIS_MODULE;
	mtd->_read_oob = muse_mtd_read_oob;
	mtd->_write_oob = muse_mtd_write_oob;
	mtd->_erase = muse_mtd_erase;
	mtd->_sync = muse_mtd_sync;
	if (muse_is_nand(mtd)) {
		mtd->_block_isbad = muse_mtd_block_isbad;
		mtd->_block_markbad = muse_mtd_block_markbad;
		conn->known_bad = kvcalloc(BITS_TO_LONGS(blocks),
					   sizeof(unsigned long),
					   MUSE_GFP_PER_BLOCK);
		if (!conn->known_bad)
			return -ENOMEM;
	}
	if (mtd->oobsize)
		mtd_set_ooblayout(mtd, &muse_ooblayout_ops);
	return 0;
}

/**
 * muse_mtd_teardown() - free what muse_mtd_setup() allocated
 * @conn:	connection, its MTD unregistered or never registered
 */
void muse_mtd_teardown(struct muse_conn *conn)
{
	kvfree(conn->known_bad);
	conn->known_bad = NULL;
}
