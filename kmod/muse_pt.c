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
 * The file is the module's own open of the server's (struct file of its
 * own, with the server's credentials, none of the server's O_APPEND or
 * O_NONBLOCK), held with the per-block state in a struct muse_store:
 * each passthrough read, kernel erase and ioctl holds a reference to it,
 * and the connection's death drops the connection's reference without
 * waiting for them, as FUSE drops a backing file.  A reader stuck in the
 * file's filesystem (a FUSE daemon that stopped answering) keeps the
 * store, not the connection's death or the administrator's abort; the
 * last reference frees the file and the arrays.
 *
 * Locking: pt->lock is held shared by every passthrough read for its whole
 * duration and exclusively to take blocks back and for each block a
 * kernel erase punches.  So when a take-back returns, no passthrough read
 * of those blocks is in flight and every later one sees the bit cleared;
 * and a read sees a block all old or all erased, as on a chip, which is
 * busy while it erases.  pt->store_lock guards the pointer to the store.
 *
 * The server's file is used only if the design needs nothing of it that
 * it cannot give (muse_pt_backing_usable()): the page cache is read
 * directly on tmpfs (a memfd) only; every other file through its
 * read_iter, with the server's credentials.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/blkdev.h>
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/magic.h>
#include <linux/major.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/memcontrol.h>
#include <linux/pagemap.h>
#include <linux/refcount.h>
#include <linux/sched/signal.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <linux/swap.h>
#include <linux/uaccess.h>

#include "muse_conn.h"

/** muse_pt_init() - a connection without passthrough yet */
void muse_pt_init(struct muse_pt *pt)
{
	init_rwsem(&pt->lock);
	spin_lock_init(&pt->store_lock);
}

/**
 * muse_store_get() - the server's store, referenced, while the connection lives
 * @pt:		the connection's passthrough state
 *
 * Return: the store, to be muse_store_put() by the caller, or NULL: none
 * was set, or the connection died.
 */
struct muse_store *muse_store_get(struct muse_pt *pt)
{
	struct muse_store *store;

	spin_lock(&pt->store_lock);
	store = pt->store;
	if (store)
		refcount_inc(&store->ref);
	spin_unlock(&pt->store_lock);
	return store;
}

static void muse_store_free(struct muse_store *store)
{
	if (store->file)
		fput(store->file);
	kvfree(store->marked);
	kvfree(store->reads);
	kvfree(store->bytes);
	kvfree(store->budget);
	kvfree(store->prog_budget);
	mem_cgroup_put(store->memcg);
	kfree(store);
}

/**
 * muse_store_put() - drop a reference to the server's store
 * @store:	from muse_store_get(), or NULL
 *
 * The last reference frees the store; it may sleep (fput()).
 */
void muse_store_put(struct muse_store *store)
{
	if (store && refcount_dec_and_test(&store->ref))
		muse_store_free(store);
}

/* UBIFS's superblock magic: fs/ubifs/ubifs.h is not a public header. */
#define MUSE_UBIFS_SUPER_MAGIC	0x24051905

/*
 * Whether the filesystem sits on an MTD, this one or another: an MTD's
 * I/O that waits on it may wait on itself (a JFFS2 on this MTD reading
 * the folio being read), and the module cannot tell which MTD is under a
 * UBI volume.
 */
static bool muse_sb_on_mtd(const struct super_block *sb)
{
	if (sb->s_mtd || sb->s_magic == MUSE_UBIFS_SUPER_MAGIC)
		return true;
	return sb->s_bdev &&
	       (MAJOR(sb->s_bdev->bd_dev) == MTD_BLOCK_MAJOR ||
		!strncmp(sb->s_bdev->bd_disk->disk_name, "ubiblock", 8));
}

/*
 * The server's file as passthrough needs it; doc/kmod.md ("Trust
 * boundary") lists each refusal with FUSE's counterpart.
 */
static int muse_pt_backing_usable(const struct file *file)
{
	const struct inode *inode = file_inode(file);
	const struct super_block *sb = inode->i_sb;

	if (!(file->f_mode & FMODE_READ))
		return -EACCES;
	/* No read_iter: secretmem and guest_memfd, memory not to be read. */
	if (!S_ISREG(inode->i_mode) || !file->f_op->read_iter)
		return -EINVAL;
	/* Indexed in huge pages, punched only in whole huge pages. */
	if (sb->s_magic == HUGETLBFS_MAGIC || sb->s_magic == SECRETMEM_MAGIC)
		return -EINVAL;
	/* The server asked for appends; the module writes in place. */
	if (file->f_flags & O_APPEND)
		return -EINVAL;
	/* As FUSE: what is under a stacked filesystem cannot be checked. */
	if (sb->s_stack_depth)
		return -ELOOP;
	if (muse_sb_on_mtd(sb))
		return -EXDEV;
	return 0;
}

/*
 * The module's own open of the server's file, with the server's
 * credentials (kept in f_cred for every backing I/O): read-write if the
 * server's is, for kernel erase.
 */
static struct file *muse_pt_backing_open(struct file *file)
{
	int flags = O_LARGEFILE | (file->f_mode & FMODE_WRITE ? O_RDWR :
							       O_RDONLY);
	struct file *backing;

	backing = dentry_open(&file->f_path, flags, current_cred());
	if (IS_ERR(backing))
		return backing;
	if (!(backing->f_mode & FMODE_CAN_READ)) {
		fput(backing);
		return ERR_PTR(-EINVAL);
	}
	return backing;
}

/* A store for @blocks blocks, its arrays charged to the caller. */
static struct muse_store *muse_store_alloc(u64 blocks)
{
	struct muse_store *store;

	store = kzalloc(sizeof(*store), GFP_KERNEL_ACCOUNT);
	if (!store)
		return NULL;
	refcount_set(&store->ref, 1);
	store->blocks = blocks;
	store->marked = kvcalloc(BITS_TO_LONGS(blocks), sizeof(*store->marked),
				 MUSE_GFP_PER_BLOCK);
	store->reads = kvcalloc(blocks, sizeof(*store->reads),
				MUSE_GFP_PER_BLOCK);
	store->bytes = kvcalloc(blocks, sizeof(*store->bytes),
				MUSE_GFP_PER_BLOCK);
	if (!store->marked || !store->reads || !store->bytes) {
		muse_store_free(store);
		return NULL;
	}
	return store;
}

static int muse_pt_set_backing(struct muse_conn *conn,
			       const struct muse_backing __user *uarg)
{
	struct muse_pt *pt = &conn->pt;
	u64 blocks = div_u64(conn->mtd.size, conn->mtd.erasesize);
	struct muse_store *store = NULL;
	struct file *file, *backing = NULL;
	struct muse_backing arg;
	u64 end;
	int err;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.flags & ~MUSE_BACKING_INVERTED)
		return -EINVAL;
	file = fget(arg.fd);
	if (!file)
		return -EBADF;
	err = muse_pt_backing_usable(file);
	if (err)
		goto out;
	backing = muse_pt_backing_open(file);
	fput(file);
	file = NULL;
	if (IS_ERR(backing))
		return PTR_ERR(backing);
	err = -ERANGE;
	if (check_add_overflow(arg.data_offset, conn->mtd.size, &end) ||
	    i_size_read(file_inode(backing)) < end)
		goto out;

	err = -ENOMEM;
	store = muse_store_alloc(blocks);
	if (!store)
		goto out;
	store->file = backing;
	backing = NULL;
	store->data_offset = arg.data_offset;
	store->inverted = arg.flags & MUSE_BACKING_INVERTED;
	store->direct = shmem_file(store->file);

	/* Set once; the death drops it after the channel's end. */
	spin_lock(&pt->store_lock);
	if (pt->store_set)
		err = -EBUSY;
	else if (!muse_chan_connected(&conn->chan))
		err = -ENODEV;
	else
		err = 0;
	if (!err) {
		pt->store = store;
		pt->store_set = true;
		store = NULL;
	}
	spin_unlock(&pt->store_lock);
out:
	muse_store_put(store);
	if (file)
		fput(file);
	if (!IS_ERR_OR_NULL(backing))
		fput(backing);
	return err;
}

/*
 * The store, referenced, if it is set and not yet dropped and blocks
 * [first, first + count) exist; an ERR_PTR (-ENXIO, -EINVAL) otherwise.
 */
static struct muse_store *muse_pt_range_get(struct muse_pt *pt, u64 first,
					    u64 count)
{
	struct muse_store *store = muse_store_get(pt);

	if (!store)
		return ERR_PTR(-ENXIO);
	if (!muse_block_range_valid(store->blocks, first, count)) {
		muse_store_put(store);
		return ERR_PTR(-EINVAL);
	}
	return store;
}

static int muse_pt_mark(struct muse_conn *conn,
			const struct muse_passthrough __user *uarg)
{
	struct muse_pt *pt = &conn->pt;
	struct muse_passthrough arg;
	struct muse_store *store;
	int err = 0;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.enable > 1 || arg.padding)
		return -EINVAL;
	store = muse_pt_range_get(pt, arg.first_block, arg.count);
	if (IS_ERR(store))
		return PTR_ERR(store);
	/*
	 * Exclusive: a take-back waits for the passthrough reads in flight,
	 * killably, as they may wait on the file's filesystem.
	 */
	if (down_write_killable(&pt->lock)) {
		err = -EINTR;
		goto out;
	}
	if (arg.enable)
		bitmap_set(store->marked, arg.first_block, arg.count);
	else
		bitmap_clear(store->marked, arg.first_block, arg.count);
	up_write(&pt->lock);
out:
	muse_store_put(store);
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
	u64 bytes[MUSE_PT_READS_CHUNK];
	u32 reads[MUSE_PT_READS_CHUNK];
	struct muse_store *store;
	struct muse_pt_reads arg;
	u64 __user *dst_bytes;
	u32 __user *dst_reads;
	u64 i, k, b, n;
	int err = 0;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	dst_reads = u64_to_user_ptr(arg.counts);
	dst_bytes = u64_to_user_ptr(arg.bytes);
	/* Atomic counters: the reference is the only lock. */
	store = muse_pt_range_get(&conn->pt, arg.first_block, arg.count);
	if (IS_ERR(store))
		return PTR_ERR(store);
	for (i = 0; !err && i < arg.count; i += n) {
		n = min_t(u64, arg.count - i, MUSE_PT_READS_CHUNK);
		for (k = 0; k < n; k++) {
			b = arg.first_block + i + k;
			reads[k] = atomic_xchg(&store->reads[b], 0);
			bytes[k] = atomic64_xchg(&store->bytes[b], 0);
		}
		if (copy_to_user(dst_reads + i, reads, n * sizeof(reads[0])) ||
		    (arg.bytes &&
		     copy_to_user(dst_bytes + i, bytes, n * sizeof(bytes[0]))))
			err = -EFAULT;
	}
	muse_store_put(store);
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

/**
 * muse_pt_copy() - copy bytes between flash and the backing file
 * @store:	the store, which says whether the file holds ~flash
 * @dst:	destination
 * @src:	source, or @dst itself
 * @len:	bytes
 *
 * Inverting is its own inverse: the same copy reads flash bytes from
 * the file and stores them into it.
 */
void muse_pt_copy(const struct muse_store *store, u8 *dst,
		  const u8 *src, size_t len)
{
	const size_t word = sizeof(unsigned long);
	size_t i = 0;

	if (!store->inverted) {
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
 * Copy what tmpfs's page cache holds of [pos, pos + len) straight from its
 * folios, page by page, until one is missing or not up to date; return
 * the bytes copied.  A read of the file takes the folio lock and runs the
 * security hooks and the atime update on every call: in a function-graph
 * trace (6.1, TCG) muse_pt_read() took 58 us through kernel_read() and 20
 * us this way, against 6 us for mtdram's whole read.  tmpfs only: its
 * folios are plain memory in the kernel's map, indexed in base pages,
 * their data valid once up to date.  What is not cached (a hole, a page
 * swapped out) is left to kernel_read().  The caller holds pt->lock, so
 * no take-back, and no erase of these blocks, runs meanwhile.
 */
static size_t muse_pt_copy_cached(const struct muse_store *store, u8 *buf,
				  size_t len, loff_t pos)
{
	struct address_space *mapping = store->file->f_mapping;
	struct folio *folio;
	size_t done = 0, n;
	void *src;

	/* Past EOF (a file truncated under us): kernel_read() says so. */
	if (!store->direct || pos + len > i_size_read(mapping->host))
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
		muse_pt_copy(store, buf + done, src, n);
		kunmap_local(src);
		folio_mark_accessed(folio);
		folio_put(folio);
		done += n;
	}
	return done;
}

/*
 * Read [pos, pos + len) of the file as flash bytes into @buf, with the
 * server's credentials: the MTD user's are not the file's business.
 */
static ssize_t muse_pt_fill(const struct muse_store *store, u8 *buf,
			    size_t len, loff_t pos)
{
	size_t done = muse_pt_copy_cached(store, buf, len, pos);
	struct file *file = store->file;
	const struct cred *old;
	ssize_t n;

	if (done == len)
		return len;
	pos += done;
	old = override_creds(file->f_cred);
	n = kernel_read(file, buf + done, len - done, &pos);
	revert_creds(old);
	if (n < 0)
		return n;
	/* In place: the word loop reads each word before writing it. */
	if (store->inverted)
		muse_pt_copy(store, buf + done, buf + done, n);
	return done + n;
}

/*
 * Count the read as the requests it saves: once per block per I/O unit
 * the range [from, from + len) covers, and the bytes read from each block.
 */
static void muse_pt_count(struct muse_conn *conn, struct muse_store *store,
			  u64 from, u64 len)
{
	u32 erasesize = conn->mtd.erasesize;
	u64 end = from + len, unit_end, pos, next, b;

	while (from < end) {
		unit_end = min((div_u64(from, conn->unit) + 1) * conn->unit,
			       end);
		for (pos = from; pos < unit_end; pos = next) {
			b = div_u64(pos, erasesize);
			next = min((b + 1) * erasesize, unit_end);
			atomic_inc(&store->reads[b]);
			atomic64_add(next - pos, &store->bytes[b]);
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
 * Anything short of the whole read from the file (truncated, an I/O
 * error, the file's read interrupted because the caller is being killed)
 * leaves the read to the server, as a request: the caller's signal never
 * fails an MTD read, as on a chip.
 *
 * Return: true when served (ops->retlen set), false when the read must be
 * a request.
 */
bool muse_pt_read(struct muse_conn *conn, loff_t from, struct mtd_oob_ops *ops)
{
	struct muse_pt *pt = &conn->pt;
	u32 erasesize = conn->mtd.erasesize;
	struct muse_store *store;
	u64 first, last;
	ssize_t n = -ENXIO;

	if (!READ_ONCE(pt->store) || ops->mode == MTD_OPS_RAW ||
	    (ops->oobbuf && ops->ooblen) || !ops->datbuf || !ops->len)
		return false;
	first = div_u64(from, erasesize);
	last = div_u64(from + ops->len - 1, erasesize);

	store = muse_store_get(pt);
	if (!store)
		return false;
	/* Held by a kernel erase stuck in the file's filesystem: ask. */
	if (down_read_killable(&pt->lock)) {
		muse_store_put(store);
		return false;
	}
	if (find_next_zero_bit(store->marked, last + 1, first) > last) {
		n = muse_pt_fill(store, ops->datbuf, ops->len,
				 store->data_offset + from);
		if (n == ops->len)
			muse_pt_count(conn, store, from, n);
	}
	up_read(&pt->lock);
	muse_store_put(store);
	if (n != ops->len) {
		/* A killed caller's read stops short: no news. */
		if (n >= 0 && !fatal_signal_pending(current))
			pr_warn_ratelimited("%s: the backing file gave %zd of %zu bytes at %lld, asking the server\n",
					    conn->name, n, ops->len, from);
		return false;
	}
	ops->retlen = n;
	return true;
}

/**
 * muse_pt_drop() - the connection died: no more fast paths
 * @conn:	connection
 *
 * Drops the connection's reference to the store without waiting: a read,
 * kernel erase or ioctl in flight holds its own, and the last one frees
 * the file and the per-block state.  Idempotent.
 */
void muse_pt_drop(struct muse_conn *conn)
{
	struct muse_pt *pt = &conn->pt;
	struct muse_store *store;

	spin_lock(&pt->store_lock);
	store = pt->store;
	pt->store = NULL;
	spin_unlock(&pt->store_lock);
	muse_store_put(store);
}
