// SPDX-License-Identifier: GPL-2.0-only
/*
 * MUSE: MTD in userspace.  The MTD operations: each one becomes one or
 * more requests to the server.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/kernel.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/mtd/mtd.h>

#include "muse_conn.h"

/*
 * OOB layout: a bad-block marker of up to two bytes at offset 0 (as on
 * large-page NAND), then the OOBAVAIL free bytes, then ECC bytes up to
 * OOBSIZE.  When OOBAVAIL leaves less than two bytes, the marker shrinks.
 */
static u32 muse_oob_bbm_bytes(const struct mtd_info *mtd)
{
	return min(2U, mtd->oobsize - mtd->oobavail);
}

static int muse_ooblayout_ecc(struct mtd_info *mtd, int section,
			      struct mtd_oob_region *region)
{
	u32 start = muse_oob_bbm_bytes(mtd) + mtd->oobavail;

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
	region->offset = muse_oob_bbm_bytes(mtd);
	region->length = mtd->oobavail;
	return 0;
}

static const struct mtd_ooblayout_ops muse_ooblayout_ops = {
	.ecc = muse_ooblayout_ecc,
	.free = muse_ooblayout_free,
};

/* Where the next READ/WRITE request of an MTD operation starts. */
struct muse_io {
	u64 addr;		/* next in-band byte, or the next OOB page */
	size_t len;		/* in-band bytes left */
	size_t ooblen;		/* OOB bytes left */
	u32 ooboffs;		/* offset of the next OOB byte in its page */
	u32 oob_per_page;
	u32 flags;		/* MUSE_IO_* */
};

static int muse_io_start(struct muse_conn *conn, struct muse_io *io,
			 loff_t from, const struct mtd_oob_ops *ops)
{
	struct mtd_info *mtd = &conn->mtd;
	u32 first_page_ofs;
	u64 pages_left;

	io->addr = from;
	io->len = ops->datbuf ? ops->len : 0;
	io->ooblen = ops->oobbuf ? ops->ooblen : 0;
	io->ooboffs = ops->ooboffs;
	io->oob_per_page = ops->mode == MTD_OPS_AUTO_OOB ? mtd->oobavail :
							   mtd->oobsize;
	io->flags = 0;

	if (conn->ext_flags & MUSE_EXT_OOB) {
		switch (ops->mode) {
		case MTD_OPS_PLACE_OOB:
			io->flags = MUSE_IO_OOB_PLACE;
			break;
		case MTD_OPS_AUTO_OOB:
			io->flags = MUSE_IO_OOB_AUTO;
			break;
		case MTD_OPS_RAW:
			io->flags = MUSE_IO_RAW;
			break;
		default:
			return -EINVAL;
		}
	} else if (io->ooblen) {
		return -EOPNOTSUPP;
	}

	/* The MTD core checked these; requests must never leave the device. */
	if (from < 0 || from > mtd->size || io->len > mtd->size - from)
		return -EINVAL;
	if (io->ooblen) {
		pages_left = div_u64_rem(mtd->size - from, mtd->writesize,
					 &first_page_ofs);
		if (first_page_ofs)
			pages_left++;
		if (io->ooboffs >= io->oob_per_page ||
		    io->ooblen > pages_left * io->oob_per_page - io->ooboffs)
			return -EINVAL;
	}
	return 0;
}

/*
 * Prepare the next request: everything of the operation that lies in the
 * I/O unit containing io->addr, that is in-band data and the OOB of the
 * unit's pages from the one containing io->addr on.  Returns false when
 * nothing is left.  *unit_end receives the end of that unit.
 */
static bool muse_io_next(struct muse_conn *conn, const struct muse_io *io,
			 u32 opcode, struct muse_req *req, u64 *unit_end)
{
	struct mtd_info *mtd = &conn->mtd;
	struct muse_read_in *in = &req->in.read;
	u32 datalen, ooblen = 0, page_ofs;
	u64 pages;

	/* READ and WRITE bodies share their layout. */
	BUILD_BUG_ON(sizeof(struct muse_read_in) !=
		     sizeof(struct muse_write_in));
	BUILD_BUG_ON(offsetof(struct muse_read_in, ooblen) !=
		     offsetof(struct muse_write_in, ooblen));

	if (!io->len && !io->ooblen)
		return false;

	*unit_end = (div_u64(io->addr, conn->unit) + 1) * conn->unit;
	*unit_end = min(*unit_end, mtd->size);
	datalen = min_t(u64, io->len, *unit_end - io->addr);
	if (io->ooblen) {
		div_u64_rem(io->addr, mtd->writesize, &page_ofs);
		pages = div_u64(*unit_end - (io->addr - page_ofs),
				mtd->writesize);
		ooblen = min_t(u64, io->ooblen,
			       pages * io->oob_per_page - io->ooboffs);
	}

	muse_req_init(req, opcode, conn->extended ? sizeof(*in) :
				   MUSE_COMPAT_READ_IN_SIZE);
	req->datalen = datalen;
	req->ooblen = ooblen;
	in->addr = io->addr;
	in->len = datalen;
	in->flags = io->flags;
	if (conn->extended) {
		in->ooboffs = ooblen ? io->ooboffs : 0;
		in->ooblen = ooblen;
	}
	return true;
}

struct muse_ecc_result {
	unsigned int max_bitflips;
	bool failed;
};

/*
 * Account one READ reply's bit flips as doc/protocol.md 4.3 says, in the
 * device's statistics and in those of this read (MEMREAD reports them).
 */
static void muse_account_ecc(struct muse_conn *conn, struct muse_req *req,
			     struct mtd_oob_ops *ops,
			     struct muse_ecc_result *ecc)
{
	struct muse_read_out *out = &req->out.read;
	u32 max_bitflips = out->max_bitflips;
	u32 corrected = out->corrected;
	u32 failed = out->failed;
	s32 soft_error = out->soft_error;

	if (soft_error == -EUCLEAN && !max_bitflips) {
		max_bitflips = conn->mtd.bitflip_threshold;
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
		conn->mtd.ecc_stats.corrected += corrected;
		conn->mtd.ecc_stats.failed += failed;
		spin_unlock(&conn->lock);
	}
}

/*
 * Move an MTD read or write as READ/WRITE requests, one unit at a time.
 * A read returns the most bit flips of any ECC step, or -EBADMSG (with
 * all the data) when a step could not be corrected.
 */
static int muse_do_io(struct mtd_info *mtd, u32 opcode, loff_t addr,
		      struct mtd_oob_ops *ops)
{
	struct muse_conn *conn = muse_conn_of(mtd);
	struct muse_ecc_result ecc = { 0 };
	struct muse_req req;
	struct muse_io io;
	u64 unit_end;
	int err;

	err = muse_io_start(conn, &io, addr, ops);
	if (err)
		return err;

	while (muse_io_next(conn, &io, opcode, &req, &unit_end)) {
		req.data = ops->datbuf + ops->retlen;
		req.oob = ops->oobbuf + ops->oobretlen;
		err = muse_send(conn, &req);
		if (err)
			return err;
		if (opcode == MUSE_READ)
			muse_account_ecc(conn, &req, ops, &ecc);
		ops->retlen += req.datalen;
		ops->oobretlen += req.ooblen;

		io.len -= req.datalen;
		io.ooblen -= req.ooblen;
		/* What is left starts in the next unit, at a page boundary. */
		io.addr = unit_end;
		io.ooboffs = 0;
	}
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

static int muse_mtd_erase(struct mtd_info *mtd, struct erase_info *instr)
{
	struct muse_conn *conn = muse_conn_of(mtd);
	struct muse_req req;
	u64 addr, end;
	int err;

	if (!muse_eraseblock_aligned(instr->addr, mtd) ||
	    !muse_eraseblock_aligned(instr->len, mtd) ||
	    instr->addr > mtd->size || instr->len > mtd->size - instr->addr)
		return -EINVAL;

	end = instr->addr + instr->len;
	for (addr = instr->addr; addr < end; addr += mtd->erasesize) {
		muse_req_init(&req, MUSE_ERASE, sizeof(req.in.erase));
		req.in.erase.addr = addr;
		req.in.erase.len = mtd->erasesize;
		err = muse_send(conn, &req);
		if (err) {
			instr->fail_addr = addr;
			return err;
		}
	}
	return 0;
}

/*
 * Tracking more blocks than this costs more memory than the statistic is
 * worth (2 MiB of bitmap).
 */
#define MUSE_MAX_TRACKED_BLOCKS	BIT(24)

/*
 * A block was found bad (by ISBAD) or marked bad (by MARKBAD): count it
 * once in the MTD's bad_blocks.  The MTD core itself counts a MARKBAD in
 * the partitions above the master; a block found bad is counted in the
 * partition holding it here, like the initial scan of a NAND driver.
 */
static void muse_note_bad(struct muse_conn *conn, u64 addr, bool found)
{
	struct mtd_info *mtd = &conn->mtd;
	struct mtd_info *part;

	if (!conn->known_bad ||
	    test_and_set_bit(div_u64(addr, mtd->erasesize), conn->known_bad))
		return;

	spin_lock(&conn->lock);
	mtd->ecc_stats.badblocks++;
	spin_unlock(&conn->lock);
	if (!found)
		return;

	mutex_lock(&mtd->master.partitions_lock);
	list_for_each_entry(part, &mtd->partitions, part.node) {
		if (addr >= part->part.offset &&
		    addr - part->part.offset < part->part.size)
			part->ecc_stats.badblocks++;
	}
	mutex_unlock(&mtd->master.partitions_lock);
}

/* Start of the eraseblock containing ofs (the core checked ofs). */
static u64 muse_block_start(struct mtd_info *mtd, loff_t ofs)
{
	u32 rem;

	div_u64_rem(ofs, mtd->erasesize, &rem);
	return ofs - rem;
}

static int muse_mtd_block_isbad(struct mtd_info *mtd, loff_t ofs)
{
	struct muse_conn *conn = muse_conn_of(mtd);
	struct muse_req req;
	int err;

	/*
	 * Registering partitions counts their bad blocks, from within the
	 * server's INIT write: a single-threaded server could never answer.
	 * The count (a statistic) then starts at 0; everything else asks.
	 */
	if (READ_ONCE(conn->registering) == current)
		return 0;

	muse_req_init(&req, MUSE_ISBAD, sizeof(req.in.isbad));
	req.in.isbad.addr = muse_block_start(mtd, ofs);
	err = muse_send(conn, &req);
	if (err)
		return err;
	if (req.out.isbad.result)
		muse_note_bad(conn, req.in.isbad.addr, true);
	return req.out.isbad.result;
}

static int muse_mtd_block_markbad(struct mtd_info *mtd, loff_t ofs)
{
	struct muse_conn *conn = muse_conn_of(mtd);
	struct muse_req req;
	int err;

	muse_req_init(&req, MUSE_MARKBAD, sizeof(req.in.markbad));
	req.in.markbad.addr = muse_block_start(mtd, ofs);
	err = muse_send(conn, &req);
	if (err)
		return err;
	muse_note_bad(conn, req.in.markbad.addr, false);
	return 0;
}

static void muse_mtd_sync(struct mtd_info *mtd)
{
	struct muse_conn *conn = muse_conn_of(mtd);
	struct muse_req req;
	int err;

	muse_req_init(&req, MUSE_SYNC, 0);
	err = muse_send(conn, &req);
	/* MTD's sync returns nothing; a dead server is no news. */
	if (err && err != -ENODEV)
		pr_warn_ratelimited("%s: SYNC failed: %d\n", conn->name, err);
}

/*
 * 6.12's core hands the partition being opened to _get_device() and not
 * its master as 6.1 and 7.x do: the connection is the master's.
 */
static int muse_mtd_get_device(struct mtd_info *mtd)
{
	return muse_conn_get(muse_conn_of(mtd_get_master(mtd)));
}

static void muse_mtd_put_device(struct mtd_info *mtd)
{
	muse_conn_put(muse_conn_of(mtd));
}

/**
 * muse_mtd_setup() - install the MTD operations of a described device
 * @conn:	connection whose MTD geometry is filled in
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
	mtd->_get_device = muse_mtd_get_device;
	mtd->_put_device = muse_mtd_put_device;
	if (mtd->type == MTD_NANDFLASH || mtd->type == MTD_MLCNANDFLASH) {
		mtd->_block_isbad = muse_mtd_block_isbad;
		mtd->_block_markbad = muse_mtd_block_markbad;
		if (blocks <= MUSE_MAX_TRACKED_BLOCKS) {
			conn->known_bad = bitmap_zalloc(blocks, GFP_KERNEL);
			if (!conn->known_bad)
				return -ENOMEM;
		}
	}
	if (mtd->oobsize)
		mtd_set_ooblayout(mtd, &muse_ooblayout_ops);
	return 0;
}
