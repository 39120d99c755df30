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
 * lost), made with the folio locked, under the inode lock that seals are
 * added with, seals honoured and the file's times updated; a range with
 * no page is known to be a hole without a punch.  Elsewhere, or while the
 * count's page is not in memory, the count is a kernel_read() and
 * kernel_write() of the four bytes, and every range is punched.  Every
 * access is the module's own open of the file (no O_APPEND), with the
 * server's credentials; a write the MTD user's RLIMIT_FSIZE would stop
 * (with SIGXFSZ to the user) leaves the block to the server.
 *
 * Deferring the punches and punching runs of blocks at once was tried and
 * measured: it made most erases return sooner but not the erases as a
 * whole, as shmem's cost is per page freed, not per call.
 *
 * So with MUSE_ERASE_KEEP_PAGES, on tmpfs, no page is freed: each folio
 * present in the block's data and OOB ranges is zeroed in place (zero
 * reads as erased in the inverted file), locked and re-checked as the
 * count's is, and the next program of the block finds its page instead
 * of allocating one.  Memory then follows what was ever written, not
 * what holds data: the server punches the erased pages it keeps above
 * its own slack, off its request path.  A range the kernel cannot zero
 * (a page swapped out, one truncated meanwhile) is punched as without
 * the flag; elsewhere than tmpfs the flag changes nothing.
 *
 * Like nand_base, a block known to be bad (the server said so to ISBAD,
 * or took a MARKBAD) is not erased: the erase fails with -EIO there.
 *
 * Locking: a kernel erase holds a reference to the store (the file and
 * the budgets, struct muse_store) and ke->lock (grants, budgets and the
 * counts in the file) for its whole duration,
 * and pt->lock exclusively while it erases each block, so that a
 * passthrough read sees the block all old or all erased, and no kernel
 * program of it runs (each holds pt->lock shared).  A grant change
 * takes ke->lock, so a take-back returns only after the kernel erases in
 * flight.  The connection's death waits for none of them: it drops its
 * reference to the store, and each erase stops at its next block.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cred.h>
#include <linux/file.h>
#include <linux/fs.h>
/* After fs.h: falloc.h uses the __s16 family without including them. */
#include <linux/falloc.h>
#include <linux/highmem.h>
#include <linux/math64.h>
#include <linux/overflow.h>
#include <linux/pagemap.h>
#include <linux/sched/signal.h>
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

/* The seals that forbid changing a memfd's bytes. */
static bool muse_ke_sealed(struct file *file)
{
	return shmem_file(file) &&
	       (SHMEM_I(file_inode(file))->seals &
		(F_SEAL_WRITE | F_SEAL_FUTURE_WRITE));
}

/**
 * muse_ke_writes_refused() - whether the file's bytes may not change now
 * @file:	the backing file, its inode lock held (seals are added and
 *		attributes changed under it exclusively)
 *
 * What a write or punch would refuse: append-only, immutable, sealed
 * against writes.  Checked again at each change of the file made in
 * memory, which no write_iter() or fallocate() checks for us.
 *
 * Return: true when refused.
 */
bool muse_ke_writes_refused(struct file *file)
{
	struct inode *inode = file_inode(file);

	return IS_APPEND(inode) || IS_IMMUTABLE(inode) || muse_ke_sealed(file);
}

/*
 * Whether kernel erase may write the file: open for writing (the
 * module's open is read-write when the server's was), punchable, not
 * append-only, immutable or sealed against writes.
 */
static int muse_ke_file_writable(struct file *file)
{
	if (!(file->f_mode & FMODE_WRITE) || !(file->f_mode & FMODE_CAN_WRITE))
		return -EACCES;
	if (!file->f_op->write_iter || !file->f_op->fallocate)
		return -EOPNOTSUPP;
	if (muse_ke_writes_refused(file))
		return -EPERM;
	return 0;
}

static int muse_ke_set_backing(struct muse_conn *conn,
			       const struct muse_erase_backing __user *uarg)
{
	u64 blocks = div_u64(conn->mtd.size, conn->mtd.erasesize);
	u64 pages = div_u64(conn->mtd.size, conn->mtd.writesize);
	struct muse_ke *ke = &conn->ke;
	struct muse_erase_backing arg;
	struct muse_store *store;
	struct file *file;
	u32 *budget = NULL;
	u64 oob_len, count_len;
	loff_t size;
	int err;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if ((arg.flags & ~MUSE_ERASE_FLAGS) || !arg.count_stride ||
	    arg.count_stride % 4 || arg.count_offset % 4)
		return -EINVAL;
	if (check_mul_overflow(pages, (u64)conn->mtd.oobsize, &oob_len) ||
	    check_mul_overflow(blocks - 1, (u64)arg.count_stride, &count_len) ||
	    check_add_overflow(count_len, (u64)sizeof(u32), &count_len))
		return -ERANGE;
	store = muse_store_get(&conn->pt);
	if (!store)
		return -ENXIO;
	file = store->file;
	err = -ENOMEM;
	budget = kvcalloc(blocks, sizeof(*budget), MUSE_GFP_PER_BLOCK);
	if (!budget)
		goto out;

	mutex_lock(&ke->lock);
	err = -EBUSY;
	if (store->budget)
		goto unlock;
	err = muse_ke_file_writable(file);
	if (err)
		goto unlock;
	err = -EINVAL;
	if (!store->inverted)
		goto unlock;
	err = -ERANGE;
	size = i_size_read(file_inode(file));
	if ((oob_len && !muse_region_fits(arg.oob_offset, oob_len, size)) ||
	    !muse_region_fits(arg.count_offset, count_len, size))
		goto unlock;
	/* An erase must not punch a count or another block's bytes. */
	err = -EINVAL;
	if (muse_regions_overlap(store->data_offset, conn->mtd.size,
				 arg.oob_offset, oob_len) ||
	    muse_regions_overlap(store->data_offset, conn->mtd.size,
				 arg.count_offset, count_len) ||
	    muse_regions_overlap(arg.oob_offset, oob_len,
				 arg.count_offset, count_len))
		goto unlock;
	ke->oob_offset = arg.oob_offset;
	ke->count_offset = arg.count_offset;
	ke->count_stride = arg.count_stride;
	ke->on_tmpfs = shmem_file(file);
	ke->keep_pages = ke->on_tmpfs && (arg.flags & MUSE_ERASE_KEEP_PAGES);
	/* Read without the lock as a hint by muse_ke_erase(). */
	WRITE_ONCE(store->budget, budget);
	budget = NULL;
	err = 0;
unlock:
	mutex_unlock(&ke->lock);
out:
	kvfree(budget);
	muse_store_put(store);
	return err;
}

/*
 * Add one to the count at @pos in tmpfs's page cache, with the folio
 * locked (no truncation meanwhile) and the inode lock shared (no seal
 * added meanwhile).  Return: 0, -EPERM when sealed, -ENOENT when the
 * page is not in memory.
 */
static int muse_ke_count_cached(struct file *file, loff_t pos)
{
	struct address_space *mapping = file->f_mapping;
	struct inode *inode = file_inode(file);
	struct folio *folio;
	atomic_t *count;
	int err = 0;

	folio = filemap_get_folio(mapping, pos >> PAGE_SHIFT);
	/* Absent: NULL before 6.3, ERR_PTR(-ENOENT) since. */
	if (IS_ERR_OR_NULL(folio))
		return -ENOENT;
	inode_lock_shared(inode);
	folio_lock(folio);
	if (folio->mapping != mapping || !folio_test_uptodate(folio))
		err = -ENOENT;
	else if (muse_ke_sealed(file))
		err = -EPERM;
	if (!err) {
		count = kmap_local_folio(folio, offset_in_folio(folio, pos));
		atomic_inc(count);
		kunmap_local(count);
		folio_mark_dirty(folio);
	}
	folio_unlock(folio);
	inode_unlock_shared(inode);
	folio_put(folio);
	if (!err)
		file_update_time(file);
	return err;
}

/* Add one to block @b's erase count in the file. */
static int muse_ke_count(struct muse_conn *conn, struct file *file, u64 b)
{
	struct muse_ke *ke = &conn->ke;
	loff_t pos = ke->count_offset + b * ke->count_stride;
	loff_t wpos = pos;
	u32 count;
	int err;

	if (ke->on_tmpfs) {
		err = muse_ke_count_cached(file, pos);
		if (err != -ENOENT)
			return err;
	}
	/*
	 * The write checks the caller's RLIMIT_FSIZE and sends it SIGXFSZ:
	 * no limit of the MTD user's applies to the server's file.
	 */
	if (pos + sizeof(count) > rlimit(RLIMIT_FSIZE))
		return -EFBIG;
	if (kernel_read(file, &count, sizeof(count), &pos) != sizeof(count))
		return -EIO;
	count++;
	if (kernel_write(file, &count, sizeof(count), &wpos) != sizeof(count))
		return -EIO;
	return 0;
}

/*
 * Punch a hole over [off, off + len) of the file.  On tmpfs a range with
 * no page, in memory or swapped out, is a hole already: skip the call,
 * which costs tens of microseconds under TCG even then (most OOB was
 * never written, and a fresh chip's blocks neither).
 */
static int muse_ke_punch(struct muse_conn *conn, struct file *file, u64 off,
			 u64 len)
{
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

/* Folios taken per walk of the page cache. */
#define MUSE_KE_BATCH	16

/*
 * Take a reference to each folio of [*index, last], at most MUSE_KE_BATCH,
 * in one walk under RCU (as filemap_get_folios() does, which skips swap
 * entries silently); *index moves past the last one taken, or past @last
 * when the walk ended.  Return: 0, or -EAGAIN at a swap entry (the folios
 * taken are in @folios all the same).
 */
static int muse_ke_gather(struct address_space *mapping, pgoff_t *index,
			  pgoff_t last, struct folio **folios,
			  unsigned int *nr)
{
	XA_STATE(xas, &mapping->i_pages, *index);
	struct folio *folio;
	int err = 0;

	*nr = 0;
	rcu_read_lock();
	xas_for_each(&xas, folio, last) {
		if (xas_retry(&xas, folio))
			continue;
		/* Swapped out: zeroing would read it back in; punch it. */
		if (xa_is_value(folio)) {
			err = -EAGAIN;
			break;
		}
		if (!folio_try_get(folio)) {
			xas_reset(&xas);
			continue;
		}
		if (unlikely(folio != xas_reload(&xas))) {
			folio_put(folio);
			xas_reset(&xas);
			continue;
		}
		folios[(*nr)++] = folio;
		*index = folio->index + folio_nr_pages(folio);
		/* A large folio's other indices are siblings: skipped. */
		if (*nr == MUSE_KE_BATCH)
			break;
	}
	rcu_read_unlock();
	if (*nr < MUSE_KE_BATCH && !err)
		*index = last + 1;
	return err;
}

/*
 * Zero @len bytes at @p.  memset() is "rep stosb" where the CPU has ERMS
 * (6.1's choice); emulated (QEMU TCG, where the simulators run in CI and
 * in the benches) that is one instruction per byte, eight times the work
 * of "rep stosq", which is x86's memset64().  On hardware both run at
 * memory speed.  The bytes outside whole words go to memset().
 */
static void muse_ke_zero_bytes(u8 *p, size_t len)
{
	size_t head = min_t(size_t, len, PTR_ALIGN(p, 8) - p);
	size_t words = (len - head) / 8;

	memset(p, 0, head);
	memset64((u64 *)(p + head), 0, words);
	memset(p + head + words * 8, 0, len - head - words * 8);
}

/* Zero [from, to) of @folio, page by page (kmap_local_folio() maps one). */
static void muse_ke_zero_range(struct folio *folio, size_t from, size_t to)
{
	size_t n;
	u8 *p;

	for (; from < to; from += n) {
		n = min_t(size_t, to - from, PAGE_SIZE - offset_in_page(from));
		p = kmap_local_folio(folio, from);
		muse_ke_zero_bytes(p, n);
		kunmap_local(p);
	}
	flush_dcache_folio(folio);
}

/*
 * Zero the part inside [off, off + len) of a tmpfs folio of @mapping we
 * hold a reference to, locked.  Return: 0, or -EAGAIN when it left the
 * file meanwhile (truncated, swapped out) or is not uptodate (fallocated,
 * being read back from swap): the punch will have it.
 */
static int muse_ke_zero_folio(struct address_space *mapping,
			      struct folio *folio, u64 off, u64 len)
{
	u64 start, from, to;
	int err = 0;

	folio_lock(folio);
	if (folio->mapping != mapping || !folio_test_uptodate(folio)) {
		err = -EAGAIN;
	} else {
		start = folio_pos(folio);
		from = max(off, start);
		to = min(off + len, start + folio_size(folio));
		muse_ke_zero_range(folio, from - start, to - start);
		/*
		 * A written tmpfs folio stays dirty (tmpfs never cleans but to
		 * swap): spare the a_ops call, an indirect one.
		 */
		if (!folio_test_dirty(folio))
			folio_mark_dirty(folio);
	}
	folio_unlock(folio);
	return err;
}

/*
 * MUSE_ERASE_KEEP_PAGES: erase [off, off + len) of a tmpfs file by
 * zeroing the folios present in it; a range with no entry is a hole
 * already.  The same checks as a punch's (vfs_fallocate(), shmem's
 * seals) under the inode lock, so that keeping pages lets no write
 * through that a punch would refuse.  Return: 0, -EPERM, or -EAGAIN: a
 * swap entry or a folio gone meanwhile; the caller punches the range.
 */
static int muse_ke_zero(struct file *file, u64 off, u64 len)
{
	struct folio *folios[MUSE_KE_BATCH];
	struct address_space *mapping = file->f_mapping;
	struct inode *inode = file_inode(file);
	pgoff_t index = off >> PAGE_SHIFT;
	pgoff_t last = (off + len - 1) >> PAGE_SHIFT;
	unsigned int i, nr;
	bool zeroed = false;
	int err = 0, gathered;

	inode_lock_shared(inode);
	if (muse_ke_writes_refused(file))
		err = -EPERM;
	while (!err && index <= last) {
		gathered = muse_ke_gather(mapping, &index, last, folios, &nr);
		for (i = 0; i < nr; i++) {
			if (!err)
				err = muse_ke_zero_folio(mapping, folios[i], off,
							 len);
			folio_put(folios[i]);
		}
		zeroed |= nr > 0;
		err = err ?: gathered;
		cond_resched();
	}
	inode_unlock_shared(inode);
	if (zeroed && err != -EPERM)
		file_update_time(file);
	return err;
}

/*
 * Erase [off, off + len) of the file: zeroed in place when the server
 * asked to keep pages, else (or where that failed) punched.
 */
static int muse_ke_erase_range(struct muse_conn *conn, struct file *file,
			       u64 off, u64 len)
{
	int err;

	if (conn->ke.keep_pages) {
		err = muse_ke_zero(file, off, len);
		if (err != -EAGAIN)
			return err;
	}
	return muse_ke_punch(conn, file, off, len);
}

/*
 * Erase block @b: its programmed bitmap cleared (kernel program set
 * up), its data and OOB erased, then the count.  The caller holds
 * ke->lock and a reference to @store, the file's credentials in force.
 * Passthrough reads and kernel programs are shut out meanwhile,
 * killably: an erase waiting on a reader stuck in the file's filesystem
 * leaves the block to the server.
 */
static int muse_ke_erase_block(struct muse_conn *conn,
			       const struct muse_store *store, u64 b)
{
	struct mtd_info *mtd = &conn->mtd;
	struct file *file = store->file;
	u64 oob_len = (u64)(mtd->erasesize / mtd->writesize) * mtd->oobsize;
	int err;

	if (down_write_killable(&conn->pt.lock))
		return -EINTR;
	/*
	 * The bitmap first: a block it cannot clear is left to the server
	 * untouched.  No kernel program of the block runs meanwhile (each
	 * holds pt->lock shared).
	 */
	err = muse_kp_erase_block(conn, store, b);
	if (!err)
		err = muse_ke_erase_range(conn, file,
					  store->data_offset +
					  b * mtd->erasesize, mtd->erasesize);
	if (!err && oob_len)
		err = muse_ke_erase_range(conn, file,
					  conn->ke.oob_offset + b * oob_len,
					  oob_len);
	up_write(&conn->pt.lock);
	return err ?: muse_ke_count(conn, file, b);
}

static int muse_ke_grant(struct muse_conn *conn,
			 const struct muse_erase_grant __user *uarg)
{
	u64 blocks = div_u64(conn->mtd.size, conn->mtd.erasesize);
	struct muse_ke *ke = &conn->ke;
	struct muse_erase_grant arg;
	struct muse_store *store;
	u64 b;
	int err = 0;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.padding ||
	    !muse_block_range_valid(blocks, arg.first_block, arg.count))
		return -EINVAL;
	store = muse_store_get(&conn->pt);
	if (!store)
		return -ENXIO;
	/*
	 * Serialised with the kernel erases: a take-back waits for them,
	 * killably, as they may wait on the file's filesystem.
	 */
	if (mutex_lock_killable(&ke->lock)) {
		muse_store_put(store);
		return -EINTR;
	}
	if (!store->budget)
		err = -ENXIO;
	for (b = arg.first_block; !err && b < arg.first_block + arg.count; b++)
		store->budget[b] = arg.budget;
	mutex_unlock(&ke->lock);
	muse_store_put(store);
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

/* Whether the server said block @b is bad (NAND, blocks tracked). */
static bool muse_ke_block_bad(const struct muse_conn *conn, u64 b)
{
	return conn->known_bad && test_bit(b, conn->known_bad);
}

/**
 * muse_ke_erase() - erase the granted blocks at the start of an erase
 * @conn:	connection
 * @addr:	in: the first block's address, checked by the caller; out:
 *		the first address left to the server, or the bad block's
 * @end:	the end of the erase
 *
 * Erases block by block from *@addr while the blocks are granted and
 * their budget, and the device-wide one (one per block), lasts.  A
 * block whose erase fails here (the file refused a punch, the caller is
 * being killed) is left, with the rest, to the server, which erases it
 * its way and counts it itself; its device-wide budget is given back.
 *
 * Return: 0, or -EIO at a block known to be bad, as nand_base.
 */
int muse_ke_erase(struct muse_conn *conn, u64 *addr, u64 end)
{
	u32 erasesize = conn->mtd.erasesize;
	struct muse_ke *ke = &conn->ke;
	struct muse_pt *pt = &conn->pt;
	struct muse_store *store;
	const struct cred *old;
	int err = 0;
	u64 b;

	if (!(conn->ext_flags & MUSE_EXT_KERNEL_ERASE))
		return 0;
	store = muse_store_get(pt);
	/* A hint: the budgets are read under ke->lock, where they are set. */
	if (!store || !READ_ONCE(store->budget))
		goto out;
	if (mutex_lock_killable(&ke->lock))
		goto out;
	old = override_creds(store->file->f_cred);
	/* Until the connection's death dropped the store. */
	while (READ_ONCE(pt->store) && *addr < end) {
		b = div_u64(*addr, erasesize);
		if (!store->budget[b])
			break;
		if (muse_ke_block_bad(conn, b)) {
			err = -EIO;
			break;
		}
		/* Spent: this block and the rest are the server's. */
		if (!muse_kernel_budget_take(conn))
			break;
		err = muse_ke_erase_block(conn, store, b);
		if (err) {
			muse_kernel_budget_give(conn);
			if (err != -EINTR)
				pr_warn_ratelimited("%s: erase of block %llu in the backing file failed (%d), asking the server\n",
						    conn->name, b, err);
			err = 0;
			break;
		}
		if (store->budget[b] != MUSE_ERASE_UNLIMITED)
			store->budget[b]--;
		atomic64_inc(&ke->done);
		*addr += erasesize;
		/* A whole chip of tens of millions of blocks. */
		cond_resched();
	}
	revert_creds(old);
	mutex_unlock(&ke->lock);
out:
	muse_store_put(store);
	return err;
}
