// SPDX-License-Identifier: GPL-2.0-only
/*
 * MUSE: MTD in userspace.  Kernel erase (MUSE_EXT_KERNEL_ERASE): the
 * server grants eraseblocks, and an erase of a granted block is done here
 * with no request.  The backing file of read passthrough stores every
 * byte inverted, so punching holes over a block's data and OOB erases it;
 * the erase is then counted in a __u32 of the file that the server
 * applies to its own state (wear, program state) before it answers
 * anything about the block.  No request is sent: what is left is the
 * punches' own cost, freeing the block's pages.
 *
 * On tmpfs (a memfd) the count is an atomic add on the page cache's page,
 * the one the server maps (its reset is an atomic exchange: no update is
 * lost), and a range with no page is known to be a hole without a punch;
 * elsewhere, or while the count's page is not in memory, the count is a
 * kernel_read() and kernel_write() of the four bytes, and every range is
 * punched.
 *
 * Deferring the punches and punching runs of blocks at once was tried and
 * measured: it made most erases return sooner but not the erases as a
 * whole, as shmem's cost is per page freed, not per call.
 *
 * Locking: a kernel erase holds pt->lock shared (the file stays) and
 * ke->lock (grants, budgets and the counts in the file) for its whole
 * duration.  A grant change takes ke->lock, so a take-back returns only
 * after the kernel erases in flight; muse_pt_drop() takes pt->lock
 * exclusively, so the file is dropped only after them too.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/file.h>
#include <linux/fs.h>
/* After fs.h: falloc.h uses the __s16 family without including them. */
#include <linux/falloc.h>
#include <linux/highmem.h>
#include <linux/math64.h>
#include <linux/overflow.h>
#include <linux/pagemap.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "muse_conn.h"

/** muse_ke_init() - a connection without kernel erase yet */
void muse_ke_init(struct muse_ke *ke)
{
	mutex_init(&ke->lock);
	atomic64_set(&ke->done, 0);
}

/* Whether [off, off + len) of the file lies below @size, overflow-safe. */
static bool muse_ke_region_fits(u64 off, u64 len, loff_t size)
{
	u64 end;

	return !check_add_overflow(off, len, &end) && end <= size;
}

static int muse_ke_set_backing(struct muse_conn *conn,
			       const struct muse_erase_backing __user *uarg)
{
	u64 blocks = div_u64(conn->mtd.size, conn->mtd.erasesize);
	u64 pages = div_u64(conn->mtd.size, conn->mtd.writesize);
	struct muse_ke *ke = &conn->ke;
	struct muse_pt *pt = &conn->pt;
	struct muse_erase_backing arg;
	u32 *budget = NULL;
	u64 oob_len, count_len;
	loff_t size;
	int err;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.padding || !arg.count_stride || arg.count_stride % 4 ||
	    arg.count_offset % 4)
		return -EINVAL;
	if (check_mul_overflow(pages, (u64)conn->mtd.oobsize, &oob_len) ||
	    check_mul_overflow(blocks - 1, (u64)arg.count_stride, &count_len) ||
	    check_add_overflow(count_len, (u64)sizeof(u32), &count_len))
		return -ERANGE;
	budget = kvcalloc(blocks, sizeof(*budget), GFP_KERNEL);
	if (!budget)
		return -ENOMEM;

	down_read(&pt->lock);
	mutex_lock(&ke->lock);
	if (!pt->file) {
		err = -ENXIO;
		goto unlock;
	}
	err = -EBUSY;
	if (ke->budget)
		goto unlock;
	err = -EACCES;
	if (!(pt->file->f_mode & FMODE_WRITE))
		goto unlock;
	err = -EINVAL;
	if (!pt->inverted)
		goto unlock;
	err = -ERANGE;
	size = i_size_read(file_inode(pt->file));
	if ((oob_len && !muse_ke_region_fits(arg.oob_offset, oob_len, size)) ||
	    !muse_ke_region_fits(arg.count_offset, count_len, size))
		goto unlock;
	ke->oob_offset = arg.oob_offset;
	ke->count_offset = arg.count_offset;
	ke->count_stride = arg.count_stride;
	ke->on_tmpfs = shmem_file(pt->file);
	/* Read without the lock as a hint by muse_ke_erase(). */
	WRITE_ONCE(ke->budget, budget);
	budget = NULL;
	err = 0;
unlock:
	mutex_unlock(&ke->lock);
	up_read(&pt->lock);
	kvfree(budget);
	return err;
}

/* Add one to the count in the page cache's page; false if not cached. */
static bool muse_ke_count_cached(struct muse_conn *conn, loff_t pos)
{
	struct folio *folio;
	atomic_t *count;

	folio = filemap_get_folio(conn->pt.file->f_mapping, pos >> PAGE_SHIFT);
	/* Absent: NULL before 6.3, ERR_PTR(-ENOENT) since. */
	if (IS_ERR_OR_NULL(folio))
		return false;
	if (!folio_test_uptodate(folio)) {
		folio_put(folio);
		return false;
	}
	count = kmap_local_folio(folio, offset_in_folio(folio, pos));
	atomic_inc(count);
	kunmap_local(count);
	folio_mark_dirty(folio);
	folio_put(folio);
	return true;
}

/* Add one to block @b's erase count in the file. */
static int muse_ke_count(struct muse_conn *conn, u64 b)
{
	struct muse_ke *ke = &conn->ke;
	loff_t pos = ke->count_offset + b * ke->count_stride;
	loff_t wpos = pos;
	u32 count;

	if (ke->on_tmpfs && muse_ke_count_cached(conn, pos))
		return 0;
	if (kernel_read(conn->pt.file, &count, sizeof(count), &pos) !=
	    sizeof(count))
		return -EIO;
	count++;
	if (kernel_write(conn->pt.file, &count, sizeof(count), &wpos) !=
	    sizeof(count))
		return -EIO;
	return 0;
}

/*
 * Punch a hole over [off, off + len) of the file.  On tmpfs a range with
 * no page, in memory or swapped out, is a hole already: skip the call,
 * which costs tens of microseconds under TCG even then (most OOB was
 * never written, and a fresh chip's blocks neither).
 */
static int muse_ke_punch(struct muse_conn *conn, u64 off, u64 len)
{
	struct file *file = conn->pt.file;
	pgoff_t index = off >> PAGE_SHIFT;
	void *entry;

	if (conn->ke.on_tmpfs) {
		rcu_read_lock();
		entry = xa_find(&file->f_mapping->i_pages, &index,
				(off + len - 1) >> PAGE_SHIFT, XA_PRESENT);
		rcu_read_unlock();
		if (!entry)
			return 0;
	}
	return vfs_fallocate(file, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			     off, len);
}

/*
 * Erase block @b: holes over its data and OOB, then the count.  The
 * caller holds pt->lock with the file set, and ke->lock.
 */
static int muse_ke_erase_block(struct muse_conn *conn, u64 b)
{
	struct mtd_info *mtd = &conn->mtd;
	u64 oob_len = (u64)(mtd->erasesize / mtd->writesize) * mtd->oobsize;
	int err;

	err = muse_ke_punch(conn, conn->pt.data_offset + b * mtd->erasesize,
			    mtd->erasesize);
	if (!err && oob_len)
		err = muse_ke_punch(conn, conn->ke.oob_offset + b * oob_len,
				    oob_len);
	return err ?: muse_ke_count(conn, b);
}

static int muse_ke_grant(struct muse_conn *conn,
			 const struct muse_erase_grant __user *uarg)
{
	u64 blocks = div_u64(conn->mtd.size, conn->mtd.erasesize);
	struct muse_ke *ke = &conn->ke;
	struct muse_erase_grant arg;
	u64 b;
	int err = 0;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.padding ||
	    !muse_block_range_valid(blocks, arg.first_block, arg.count))
		return -EINVAL;
	/* Serialised with the kernel erases: a take-back waits for them. */
	mutex_lock(&ke->lock);
	if (!ke->budget)
		err = -ENXIO;
	for (b = arg.first_block; !err && b < arg.first_block + arg.count; b++)
		ke->budget[b] = arg.budget;
	mutex_unlock(&ke->lock);
	return err;
}

/**
 * muse_ke_ioctl() - the kernel erase ioctls of /dev/muse
 * @conn:	connection
 * @cmd:	MUSE_IOC_ERASE_*
 * @arg:	user address of the command's struct
 *
 * Return: 0 or a negative errno (muse_kernel.h lists them).
 */
long muse_ke_ioctl(struct muse_conn *conn, unsigned int cmd,
		   unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	if (!(READ_ONCE(conn->ext_flags) & MUSE_EXT_KERNEL_ERASE))
		return -EOPNOTSUPP;
	if (cmd == MUSE_IOC_ERASE_BACKING)
		return muse_ke_set_backing(conn, uarg);
	return muse_ke_grant(conn, uarg);
}

/**
 * muse_ke_erase() - erase the granted blocks at the start of an erase
 * @conn:	connection
 * @addr:	in: the first block's address, checked by the caller; out:
 *		the first address left to the server
 * @end:	the end of the erase
 *
 * Erases block by block from *@addr while the blocks are granted and
 * their budget lasts.  A block whose erase fails here (the file refused a
 * punch) is left, with the rest, to the server, which erases it its way
 * and counts it itself.
 */
void muse_ke_erase(struct muse_conn *conn, u64 *addr, u64 end)
{
	u32 erasesize = conn->mtd.erasesize;
	struct muse_ke *ke = &conn->ke;
	struct muse_pt *pt = &conn->pt;
	u64 b;
	int err;

	/* A hint: the budgets are read under ke->lock, where they are set. */
	if (!(conn->ext_flags & MUSE_EXT_KERNEL_ERASE) || !READ_ONCE(ke->budget))
		return;
	down_read(&pt->lock);
	mutex_lock(&ke->lock);
	while (pt->file && *addr < end) {
		b = div_u64(*addr, erasesize);
		if (!ke->budget[b])
			break;
		err = muse_ke_erase_block(conn, b);
		if (err) {
			pr_warn_ratelimited("%s: erase of block %llu in the backing file failed (%d), asking the server\n",
					    conn->name, b, err);
			break;
		}
		if (ke->budget[b] != MUSE_ERASE_UNLIMITED)
			ke->budget[b]--;
		atomic64_inc(&ke->done);
		*addr += erasesize;
	}
	mutex_unlock(&ke->lock);
	up_read(&pt->lock);
}

/**
 * muse_ke_free() - free the kernel erase state of a connection
 * @conn:	connection, dead
 */
void muse_ke_free(struct muse_conn *conn)
{
	kvfree(conn->ke.budget);
}
