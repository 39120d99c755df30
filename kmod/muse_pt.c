// SPDX-License-Identifier: GPL-2.0-only
/*
 * MUSE: MTD in userspace.  Read passthrough (MUSE_EXT_PASSTHROUGH): the
 * server registers a file holding the in-band data and marks eraseblocks;
 * a plain read of marked blocks is served from the file with no request,
 * the way FUSE passthrough serves reads from a backing file.  Everything
 * else (OOB, RAW, unmarked blocks, writes, erases) stays a request, so the
 * server keeps control: it takes a block back before its fault model
 * changes what reads of it return.
 *
 * Locking: pt->lock is held shared by every passthrough read for its whole
 * duration and exclusively to take blocks back, to set the file and to
 * drop it.  So when a take-back returns, no passthrough read of those
 * blocks is in flight and every later one sees the bit cleared.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/slab.h>
#include <linux/swap.h>
#include <linux/uaccess.h>

#include "muse_conn.h"

/** muse_pt_init() - a connection without passthrough yet */
void muse_pt_init(struct muse_pt *pt)
{
	init_rwsem(&pt->lock);
}

static int muse_pt_set_backing(struct muse_conn *conn,
			       const struct muse_backing __user *uarg)
{
	struct muse_pt *pt = &conn->pt;
	u64 blocks = div_u64(conn->mtd.size, conn->mtd.erasesize);
	unsigned long *marked = NULL;
	struct muse_backing arg;
	atomic64_t *bytes = NULL;
	atomic_t *reads = NULL;
	struct file *file;
	u64 end;
	int err;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.flags & ~MUSE_BACKING_INVERTED)
		return -EINVAL;
	file = fget(arg.fd);
	if (!file)
		return -EBADF;
	err = -EACCES;
	if (!(file->f_mode & FMODE_READ))
		goto out;
	err = -EINVAL;
	if (!S_ISREG(file_inode(file)->i_mode))
		goto out;
	err = -ERANGE;
	if (check_add_overflow(arg.data_offset, conn->mtd.size, &end) ||
	    i_size_read(file_inode(file)) < end)
		goto out;

	err = -ENOMEM;
	marked = kvcalloc(BITS_TO_LONGS(blocks), sizeof(*marked), GFP_KERNEL);
	reads = kvcalloc(blocks, sizeof(*reads), GFP_KERNEL);
	bytes = kvcalloc(blocks, sizeof(*bytes), GFP_KERNEL);
	if (!marked || !reads || !bytes)
		goto out;

	down_write(&pt->lock);
	if (pt->file)
		err = -EBUSY;
	else if (!muse_chan_connected(&conn->chan))
		err = -ENODEV;
	else
		err = 0;
	if (!err) {
		pt->file = file;
		pt->data_offset = arg.data_offset;
		pt->inverted = arg.flags & MUSE_BACKING_INVERTED;
		pt->blocks = blocks;
		swap(pt->marked, marked);
		swap(pt->reads, reads);
		swap(pt->bytes, bytes);
		file = NULL;
	}
	up_write(&pt->lock);
out:
	kvfree(marked);
	kvfree(reads);
	kvfree(bytes);
	if (file)
		fput(file);
	return err;
}

static int muse_pt_range(const struct muse_pt *pt, u64 first, u64 count)
{
	if (!pt->file)
		return -ENXIO;
	if (!muse_block_range_valid(pt->blocks, first, count))
		return -EINVAL;
	return 0;
}

static int muse_pt_mark(struct muse_conn *conn,
			const struct muse_passthrough __user *uarg)
{
	struct muse_pt *pt = &conn->pt;
	struct muse_passthrough arg;
	int err;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.enable > 1 || arg.padding)
		return -EINVAL;
	/* Exclusive: a take-back waits for the passthrough reads in flight. */
	down_write(&pt->lock);
	err = muse_pt_range(pt, arg.first_block, arg.count);
	if (!err) {
		if (arg.enable)
			bitmap_set(pt->marked, arg.first_block, arg.count);
		else
			bitmap_clear(pt->marked, arg.first_block, arg.count);
	}
	up_write(&pt->lock);
	return err;
}

/*
 * Counts are copied in chunks: no allocation sized by the caller, and 384
 * bytes of stack (KASAN's redzones made 64 entries pass the 1 KiB frame
 * warning).
 */
#define MUSE_PT_READS_CHUNK	32

static int muse_pt_fetch_reads(struct muse_conn *conn,
			       const struct muse_pt_reads __user *uarg)
{
	struct muse_pt *pt = &conn->pt;
	u64 bytes[MUSE_PT_READS_CHUNK];
	u32 reads[MUSE_PT_READS_CHUNK];
	struct muse_pt_reads arg;
	u64 __user *dst_bytes;
	u32 __user *dst_reads;
	u64 i, k, b, n;
	int err;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	dst_reads = u64_to_user_ptr(arg.counts);
	dst_bytes = u64_to_user_ptr(arg.bytes);
	down_read(&pt->lock);
	err = muse_pt_range(pt, arg.first_block, arg.count);
	for (i = 0; !err && i < arg.count; i += n) {
		n = min_t(u64, arg.count - i, MUSE_PT_READS_CHUNK);
		for (k = 0; k < n; k++) {
			b = arg.first_block + i + k;
			reads[k] = atomic_xchg(&pt->reads[b], 0);
			bytes[k] = atomic64_xchg(&pt->bytes[b], 0);
		}
		if (copy_to_user(dst_reads + i, reads, n * sizeof(reads[0])) ||
		    (arg.bytes &&
		     copy_to_user(dst_bytes + i, bytes, n * sizeof(bytes[0]))))
			err = -EFAULT;
	}
	up_read(&pt->lock);
	return err;
}

/**
 * muse_pt_ioctl() - the passthrough ioctls of /dev/muse
 * @conn:	connection
 * @cmd:	MUSE_IOC_*
 * @arg:	user address of the command's struct
 *
 * Return: 0 or a negative errno (muse_kernel.h lists them).
 */
long muse_pt_ioctl(struct muse_conn *conn, unsigned int cmd,
		   unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case MUSE_IOC_BACKING:
	case MUSE_IOC_PASSTHROUGH:
	case MUSE_IOC_PT_READS:
		break;
	default:
		return -ENOTTY;
	}
	if (!(READ_ONCE(conn->ext_flags) & MUSE_EXT_PASSTHROUGH))
		return -EOPNOTSUPP;
	switch (cmd) {
	case MUSE_IOC_BACKING:
		return muse_pt_set_backing(conn, uarg);
	case MUSE_IOC_PASSTHROUGH:
		return muse_pt_mark(conn, uarg);
	default:
		return muse_pt_fetch_reads(conn, uarg);
	}
}

/* Copy @len bytes, flipping them back if the file holds ~flash. */
static void muse_pt_copy(const struct muse_pt *pt, u8 *dst, const u8 *src,
			 size_t len)
{
	const size_t word = sizeof(unsigned long);
	size_t i = 0;

	if (!pt->inverted) {
		memcpy(dst, src, len);
		return;
	}
	for (; i < len && !IS_ALIGNED((unsigned long)(dst + i), word); i++)
		dst[i] = ~src[i];
	/*
	 * @src may sit at another offset in a word (a subpage's address):
	 * memcpy() is a plain load where unaligned loads are allowed.
	 */
	for (; i + word <= len; i += word) {
		unsigned long v;

		memcpy(&v, src + i, word);
		*(unsigned long *)(dst + i) = ~v;
	}
	for (; i < len; i++)
		dst[i] = ~src[i];
}

/*
 * Copy what the page cache holds of [pos, pos + len) straight from its
 * folios, page by page, until one is missing or not up to date; return
 * the bytes copied.  A read of the file takes the folio lock and runs the
 * security hooks and the atime update on every call: in a function-graph
 * trace (6.1, TCG) muse_pt_read() took 58 us through kernel_read() and 20
 * us this way, against 6 us for mtdram's whole read.  What is not cached (a hole of a
 * tmpfs file, a page swapped out or not yet read from disk) is left to
 * kernel_read(), which knows each file system's rules.  The caller holds
 * pt->lock, so no take-back, and therefore no erase, runs meanwhile.
 */
static size_t muse_pt_copy_cached(const struct muse_pt *pt, u8 *buf,
				  size_t len, loff_t pos)
{
	struct address_space *mapping = pt->file->f_mapping;
	struct folio *folio;
	size_t done = 0, n;
	void *src;

	/* Past EOF (a file truncated under us): kernel_read() says so. */
	if (pos + len > i_size_read(mapping->host))
		return 0;
	while (done < len) {
		folio = filemap_get_folio(mapping, (pos + done) >> PAGE_SHIFT);
		/* Absent: NULL before 6.3, ERR_PTR(-ENOENT) since. */
		if (IS_ERR_OR_NULL(folio))
			break;
		if (!folio_test_uptodate(folio)) {
			folio_put(folio);
			break;
		}
		n = min_t(size_t, len - done, PAGE_SIZE - offset_in_page(pos + done));
		src = kmap_local_folio(folio, offset_in_folio(folio, pos + done));
		muse_pt_copy(pt, buf + done, src, n);
		kunmap_local(src);
		folio_mark_accessed(folio);
		folio_put(folio);
		done += n;
	}
	return done;
}

/* Read [pos, pos + len) of the file as flash bytes into @buf. */
static ssize_t muse_pt_fill(const struct muse_pt *pt, u8 *buf, size_t len,
			    loff_t pos)
{
	size_t done = muse_pt_copy_cached(pt, buf, len, pos);
	ssize_t n;

	if (done == len)
		return len;
	pos += done;
	n = kernel_read(pt->file, buf + done, len - done, &pos);
	if (n < 0)
		return n;
	/* In place: the word loop reads each word before writing it. */
	if (pt->inverted)
		muse_pt_copy(pt, buf + done, buf + done, n);
	return done + n;
}

/*
 * Count the read as the requests it saves: once per block per I/O unit
 * the range [from, from + len) covers, and the bytes read from each block.
 */
static void muse_pt_count(struct muse_conn *conn, u64 from, u64 len)
{
	struct muse_pt *pt = &conn->pt;
	u32 erasesize = conn->mtd.erasesize;
	u64 end = from + len, unit_end, pos, next, b;

	while (from < end) {
		unit_end = min((div_u64(from, conn->unit) + 1) * conn->unit,
			       end);
		for (pos = from; pos < unit_end; pos = next) {
			b = div_u64(pos, erasesize);
			next = min((b + 1) * erasesize, unit_end);
			atomic_inc(&pt->reads[b]);
			atomic64_add(next - pos, &pt->bytes[b]);
		}
		from = unit_end;
	}
}

/**
 * muse_pt_read() - serve an MTD read from the backing file if it may be
 * @conn:	connection
 * @from:	device address, checked by the caller
 * @ops:	the read; in-band data only qualifies
 *
 * Return: 1 when served (ops->retlen set), 0 when the read must be a
 * request, -EIO when the file could not supply it (truncated).
 */
int muse_pt_read(struct muse_conn *conn, loff_t from, struct mtd_oob_ops *ops)
{
	struct muse_pt *pt = &conn->pt;
	u32 erasesize = conn->mtd.erasesize;
	u64 first, last;
	ssize_t n;

	if (!READ_ONCE(pt->file) || ops->mode == MTD_OPS_RAW ||
	    (ops->oobbuf && ops->ooblen) || !ops->datbuf || !ops->len)
		return 0;
	first = div_u64(from, erasesize);
	last = div_u64(from + ops->len - 1, erasesize);

	down_read(&pt->lock);
	if (!pt->file ||
	    find_next_zero_bit(pt->marked, last + 1, first) <= last) {
		up_read(&pt->lock);
		return 0;
	}
	n = muse_pt_fill(pt, ops->datbuf, ops->len, pt->data_offset + from);
	if (n == ops->len)
		muse_pt_count(conn, from, n);
	up_read(&pt->lock);
	if (n != ops->len) {
		pr_warn_ratelimited("%s: the backing file gave %zd of %zu bytes at %lld, failing the read\n",
				    conn->name, n, ops->len, from);
		return -EIO;
	}
	ops->retlen = n;
	return 1;
}

/**
 * muse_pt_drop() - the connection died: no more passthrough reads
 * @conn:	connection
 *
 * Waits for the reads and kernel erases in flight, then drops the file.
 */
void muse_pt_drop(struct muse_conn *conn)
{
	struct muse_pt *pt = &conn->pt;
	struct file *file;

	down_write(&pt->lock);
	file = pt->file;
	pt->file = NULL;
	up_write(&pt->lock);
	if (file)
		fput(file);
}

/**
 * muse_pt_free() - free the passthrough state of a connection
 * @conn:	connection, dead, after muse_pt_drop()
 */
void muse_pt_free(struct muse_conn *conn)
{
	kvfree(conn->pt.marked);
	kvfree(conn->pt.reads);
	kvfree(conn->pt.bytes);
}
