// SPDX-License-Identifier: GPL-2.0-only
/*
 * MUSE: MTD in userspace.  Kernel program (MUSE_EXT_KERNEL_PROGRAM): the
 * server grants eraseblocks, and a plain whole-subpage write of a granted
 * block is programmed here into the backing file with no request.  What
 * the server needs to know of it lives in the file, next to what it
 * keeps there itself: a bitmap per block of the subpages programmed
 * since the block's last erase, and a per-block count of the subpages
 * the kernel programmed that the server has not applied yet.  The server
 * applies the count before it answers anything about the block (as it
 * applies kernel erase counts) and sets and clears bits itself with
 * atomic operations, so every change made here is an atomic operation
 * on the page cache's page, the one the server maps: tmpfs (a memfd)
 * only.
 *
 * One WRITE I/O unit (what would have been one request) is programmed
 * here iff it moves in-band data only, whole subpages of one block that
 * is granted with budget left, the device-wide budget is not spent, none
 * of its subpages' bits is set, the rules allow it and the count stays at
 * most MUSE_PROGRAM_COUNT_MAX.  Then, in this order:
 *
 * 1. The budgets are taken (given back on any later failure).
 * 2. The claim: under kp->claim_lock, the bits of the unit are tested
 *    (with MUSE_PROGRAM_IN_ORDER, every bit from the unit's first to the
 *    block's last), set all or none, and the count raised.  The claim
 *    comes before the data so that two programs of one subpage, the
 *    kernel's or the server's, never both store their data.
 * 3. The data is stored as ~byte into tmpfs's folios, allocated where
 *    missing, one page at a time.  A failure (no memory, the memory
 *    cgroup's limit) zeroes what was stored, erased flash as the bits
 *    said it was, and rolls the claim back: the unit becomes a request.
 *
 * Every change of the file is made with the folio locked and checked to
 * be still the file's (reclaim may move a tmpfs folio to swap, and a
 * change after that would be lost), under the inode lock shared (no
 * seal, truncation or punch meanwhile: those take it exclusively), the
 * seals and attributes that forbid a write honoured, the file's times
 * updated as a write would, with the server's credentials and memory
 * cgroup: the pages a program allocates are the server's, as its own
 * writes' are, not the MTD user's.  Allocations are GFP_NOIO: an MTD
 * write may come from a filesystem's writeback, which reclaim must not
 * wait on.
 *
 * Locking, outermost first: kp->lock shared by each kernel program for
 * its whole duration, exclusive to set up program state and to change
 * grants (so a take-back returns only after the programs in flight);
 * pt->lock shared (a kernel erase of the block, which holds it
 * exclusively, and a passthrough take-back wait for it); the inode lock
 * shared; the folio locks, several in ascending index order; then
 * kp->claim_lock, a spinlock under which nothing sleeps.  The
 * connection's death waits for none of it: a program holds its own
 * reference to the store.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/math64.h>
#include <linux/memcontrol.h>
#include <linux/overflow.h>
#include <linux/pagemap.h>
#include <linux/sched/mm.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/uaccess.h>

#include "muse_conn.h"

/* The device-wide budget's "no limit", as the atomic holds it. */
#define MUSE_KP_BUDGET_UNLIMITED	((s64)MUSE_BUDGET_UNLIMITED)

/**
 * muse_kp_init() - a connection without kernel program yet
 * @conn:	connection being opened
 *
 * The device-wide budget starts unlimited: a server that never sets it
 * sees kernel erase as before it existed.
 */
void muse_kp_init(struct muse_conn *conn)
{
	struct muse_kp *kp = &conn->kp;

	init_rwsem(&kp->lock);
	spin_lock_init(&kp->claim_lock);
	atomic64_set(&kp->done, 0);
	atomic64_set(&conn->kernel_budget, MUSE_KP_BUDGET_UNLIMITED);
}

/* Take one from the device-wide budget; return the budget before. */
static s64 muse_kernel_budget_take_old(struct muse_conn *conn)
{
	s64 old = atomic64_read(&conn->kernel_budget);

	do {
		if (!old || old == MUSE_KP_BUDGET_UNLIMITED)
			return old;
	} while (!atomic64_try_cmpxchg(&conn->kernel_budget, &old, old - 1));
	return old;
}

/**
 * muse_kernel_budget_take() - take one kernel operation from the budget
 * @conn:	connection
 *
 * Return: true when taken (or unlimited), false when it was spent.
 */
bool muse_kernel_budget_take(struct muse_conn *conn)
{
	return muse_kernel_budget_take_old(conn) != 0;
}

/**
 * muse_kernel_budget_give() - give back what muse_kernel_budget_take() took
 * @conn:	connection
 *
 * For an operation that failed and becomes a request: the server takes
 * one for it in turn.  A MUSE_BUDGET_SET between the take and the give
 * back ends one above what the server set; only failures of the backing
 * file (no memory, a punch refused) give back, so it is left at that.
 */
void muse_kernel_budget_give(struct muse_conn *conn)
{
	s64 old = atomic64_read(&conn->kernel_budget);

	do {
		if (old == MUSE_KP_BUDGET_UNLIMITED)
			return;
	} while (!atomic64_try_cmpxchg(&conn->kernel_budget, &old, old + 1));
}

/* Take one from a block's budget, unless it is spent or unlimited. */
static bool muse_kp_budget_take(atomic_t *budget)
{
	int old = atomic_read(budget);

	do {
		if (!old)
			return false;
		if ((u32)old == MUSE_PROGRAM_UNLIMITED)
			return true;
	} while (!atomic_try_cmpxchg(budget, &old, old - 1));
	return true;
}

/*
 * Give one back to a block's budget.  Exact: grants change only under
 * kp->lock exclusively, which the caller holds shared.
 */
static void muse_kp_budget_give(atomic_t *budget)
{
	if ((u32)atomic_read(budget) != MUSE_PROGRAM_UNLIMITED)
		atomic_inc(budget);
}

/* Subpages per block. */
static u32 muse_kp_subpages(const struct mtd_info *mtd)
{
	return (mtd->erasesize / mtd->writesize) << mtd->subpage_sft;
}

/* The rule libmuse checks too (muse_kernel.h). */
static u32 muse_kp_map_bytes(const struct mtd_info *mtd)
{
	return muse_program_map_bytes(mtd->erasesize, mtd->writesize,
				      mtd->subpage_sft);
}

/*
 * Strided regions of the file: element i at off + i * stride, len bytes
 * each (at most stride), nr of them; a plain region is one element.
 */
struct muse_kp_region {
	u64 off;
	u64 stride;
	u64 len;
	u64 nr;
};

/* Whether @r lies below @size: its last element ends inside the file. */
static bool muse_kp_region_fits(const struct muse_kp_region *r, loff_t size)
{
	u64 last;

	return !check_mul_overflow(r->nr - 1, r->stride, &last) &&
	       !check_add_overflow(last, r->off, &last) &&
	       muse_region_fits(last, r->len, size);
}

/*
 * Whether two regions that fit in the file share a byte: their elements
 * are in ascending order, so one walk over both, element by element, as
 * a merge (at most 2 * MUSE_BLOCKS_MAX steps, once per connection).
 * ramflash keeps its erase count, program count and bitmap in one record
 * per block: interleaved regions that a comparison of their spans would
 * call overlapping.
 */
static bool muse_kp_regions_overlap(const struct muse_kp_region *a,
				    const struct muse_kp_region *b)
{
	u64 i = 0, j = 0, a_off, b_off;

	while (i < a->nr && j < b->nr) {
		a_off = a->off + i * a->stride;
		b_off = b->off + j * b->stride;
		if (muse_regions_overlap(a_off, a->len, b_off, b->len))
			return true;
		if (a_off + a->len <= b_off + b->len)
			i++;
		else
			j++;
		if (!((i + j) % 65536))
			cond_resched();
	}
	return false;
}

/*
 * The checks of MUSE_IOC_PROGRAM_BACKING's regions against the file and
 * against the data, the OOB, the erase counts and each other.
 */
static int muse_kp_check_regions(struct muse_conn *conn,
				 const struct muse_store *store,
				 const struct muse_program_backing *arg)
{
	struct mtd_info *mtd = &conn->mtd;
	u64 blocks = store->blocks;
	struct muse_kp_region r[] = {
		{ arg->map_offset, arg->map_stride, muse_kp_map_bytes(mtd),
		  blocks },
		{ arg->count_offset, arg->count_stride, sizeof(u16), blocks },
		{ store->data_offset, 0, mtd->size, 1 },
		{ conn->ke.oob_offset, 0,
		  div_u64(mtd->size, mtd->writesize) * mtd->oobsize, 1 },
		{ conn->ke.count_offset, conn->ke.count_stride, sizeof(u32),
		  blocks },
	};
	loff_t size = i_size_read(file_inode(store->file));
	unsigned int i, k;

	if (!muse_kp_region_fits(&r[0], size) ||
	    !muse_kp_region_fits(&r[1], size))
		return -ERANGE;
	/* The bitmaps and the counts against everything after them. */
	for (i = 0; i < 2; i++)
		for (k = i + 1; k < ARRAY_SIZE(r); k++)
			if (r[k].len && muse_kp_regions_overlap(&r[i], &r[k]))
				return -EINVAL;
	return 0;
}

static int muse_kp_set_backing(struct muse_conn *conn,
			       const struct muse_program_backing __user *uarg)
{
	struct muse_kp *kp = &conn->kp;
	struct muse_program_backing arg;
	struct muse_store *store;
	atomic_t *budget = NULL;
	int err;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.flags || (arg.rules & ~MUSE_PROGRAM_RULES) ||
	    arg.count_offset % sizeof(u16) || arg.count_stride % sizeof(u16) ||
	    arg.map_stride < muse_kp_map_bytes(&conn->mtd) ||
	    arg.count_stride < sizeof(u16))
		return -EINVAL;
	store = muse_store_get(&conn->pt);
	if (!store)
		return -ENXIO;
	err = -ENOMEM;
	budget = kvcalloc(store->blocks, sizeof(*budget), MUSE_GFP_PER_BLOCK);
	if (!budget)
		goto out;

	if (down_write_killable(&kp->lock)) {
		err = -EINTR;
		goto out;
	}
	/*
	 * ke->lock too: kernel erase's geometry, set with its budgets,
	 * never changed after.  Never the other way round: a kernel erase
	 * holding ke->lock takes no kp->lock.
	 */
	if (mutex_lock_killable(&conn->ke.lock)) {
		err = -EINTR;
		goto unlock_kp;
	}
	err = -ENXIO;
	if (!store->budget)
		goto unlock;
	err = -EBUSY;
	if (store->prog_budget)
		goto unlock;
	/* The state is shared through tmpfs's page cache, atomically. */
	err = -EOPNOTSUPP;
	if (!shmem_file(store->file))
		goto unlock;
	err = muse_kp_check_regions(conn, store, &arg);
	if (err)
		goto unlock;
	kp->map_offset = arg.map_offset;
	kp->count_offset = arg.count_offset;
	kp->map_stride = arg.map_stride;
	kp->count_stride = arg.count_stride;
	kp->rules = arg.rules;
	/*
	 * The server's memory cgroup: the caller's, which is the server's
	 * as MUSE_IOC_BACKING's file is.  Kernel programs run in the MTD
	 * user's context, whose cgroup would otherwise pay for the pages.
	 */
	store->memcg = get_mem_cgroup_from_mm(current->mm);
	/* After the geometry: a kernel erase reads it without kp->lock. */
	smp_store_release(&store->prog_budget, budget);
	budget = NULL;
	err = 0;
unlock:
	mutex_unlock(&conn->ke.lock);
unlock_kp:
	up_write(&kp->lock);
out:
	kvfree(budget);
	muse_store_put(store);
	return err;
}

static int muse_kp_grant(struct muse_conn *conn,
			 const struct muse_program_grant __user *uarg)
{
	struct muse_program_grant arg;
	struct muse_store *store;
	int err = 0;
	u64 b;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.padding ||
	    !muse_block_range_valid(div_u64(conn->mtd.size, conn->mtd.erasesize),
				    arg.first_block, arg.count))
		return -EINVAL;
	store = muse_store_get(&conn->pt);
	if (!store)
		return -ENXIO;
	/*
	 * Exclusive: a take-back waits for the kernel programs in flight,
	 * killably, as they may wait on memory.
	 */
	err = -EINTR;
	if (down_write_killable(&conn->kp.lock))
		goto out;
	err = -ENXIO;
	if (store->prog_budget) {
		for (b = arg.first_block; b < arg.first_block + arg.count; b++)
			atomic_set(&store->prog_budget[b], arg.budget);
		err = 0;
	}
	up_write(&conn->kp.lock);
out:
	muse_store_put(store);
	return err;
}

static int muse_kp_budget_ioctl(struct muse_conn *conn,
				struct muse_kernel_budget __user *uarg)
{
	struct muse_kernel_budget arg;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.padding)
		return -EINVAL;
	/* As every MUSE_IOC_* after the death: no kernel operation is left. */
	if (!muse_chan_connected(&conn->chan))
		return -ENXIO;
	switch (arg.op) {
	case MUSE_BUDGET_SET:
		atomic64_set(&conn->kernel_budget, arg.value);
		return 0;
	case MUSE_BUDGET_GET:
		arg.value = atomic64_read(&conn->kernel_budget);
		break;
	case MUSE_BUDGET_TAKE:
		arg.value = muse_kernel_budget_take_old(conn);
		break;
	default:
		return -EINVAL;
	}
	/*
	 * A TAKE that cannot say so still took one: as a write() whose
	 * buffer faults, what happened stays done.
	 */
	return put_user(arg.value, &uarg->value) ? -EFAULT : 0;
}

/**
 * muse_kp_ioctl() - the kernel program ioctls of /dev/muse
 * @conn:	connection
 * @cmd:	MUSE_IOC_PROGRAM_* or MUSE_IOC_KERNEL_BUDGET
 * @arg:	user address of the command's struct
 *
 * Return: 0 or a negative errno (muse_kernel.h lists them).
 */
long muse_kp_ioctl(struct muse_conn *conn, unsigned int cmd,
		   unsigned long arg)
{
	u32 flags = READ_ONCE(conn->ext_flags);
	void __user *uarg = (void __user *)arg;

	if (cmd == MUSE_IOC_KERNEL_BUDGET)
		return flags & MUSE_EXT_KERNEL_ERASE ?
		       muse_kp_budget_ioctl(conn, uarg) : -EOPNOTSUPP;
	if (!(flags & MUSE_EXT_KERNEL_PROGRAM))
		return -EOPNOTSUPP;
	if (cmd == MUSE_IOC_PROGRAM_BACKING)
		return muse_kp_set_backing(conn, uarg);
	return muse_kp_grant(conn, uarg);
}

/*
 * The folios of the program state a claim touches: the part of the
 * block's bitmap it reads (on at most two pages: a block of at most
 * 8 * PAGE_SIZE subpages, 32768 with 4 KiB pages, which no chip has;
 * a larger one is left to requests) and the count.  Held referenced and
 * locked, in ascending index order, while the claim looks at them.
 */
#define MUSE_KP_STATE_FOLIOS	3

struct muse_kp_state {
	struct folio *folios[MUSE_KP_STATE_FOLIOS];
	unsigned int nr;
};

static void muse_kp_state_release(struct muse_kp_state *st, bool locked)
{
	while (st->nr) {
		struct folio *folio = st->folios[--st->nr];

		if (locked)
			folio_unlock(folio);
		folio_put(folio);
	}
}

/*
 * The tmpfs folio holding @pos, referenced: the page cache's when it is
 * there and up to date (the common case: a lookup, where shmem's own
 * path locks and unlocks the folio too), else read back from swap, or a
 * new zeroed one for a hole or a fallocated page (zero is "nothing
 * programmed", "count 0" and erased data alike).  Return: the folio or
 * an ERR_PTR.
 */
static struct folio *muse_kp_get_folio(struct address_space *mapping,
				       loff_t pos)
{
	struct folio *folio = filemap_get_folio(mapping, pos >> PAGE_SHIFT);
	struct page *page;

	/* Absent: NULL before 6.3, ERR_PTR(-ENOENT) since. */
	if (!IS_ERR_OR_NULL(folio)) {
		if (folio_test_uptodate(folio))
			return folio;
		folio_put(folio);
	}
	page = shmem_read_mapping_page_gfp(mapping, pos >> PAGE_SHIFT,
					   mapping_gfp_mask(mapping));
	return IS_ERR(page) ? ERR_CAST(page) : page_folio(page);
}

/* The folio of @st holding @pos, or NULL. */
static struct folio *muse_kp_state_folio(const struct muse_kp_state *st,
					 loff_t pos)
{
	unsigned int i;

	for (i = 0; i < st->nr; i++)
		if (pos >= folio_pos(st->folios[i]) &&
		    pos < folio_pos(st->folios[i]) + folio_size(st->folios[i]))
			return st->folios[i];
	return NULL;
}

/* Add the folios of [pos, pos + len) to @st; -E2BIG when they do not fit. */
static int muse_kp_state_add(struct muse_kp_state *st,
			     struct address_space *mapping, loff_t pos,
			     u64 len)
{
	loff_t end = pos + len;
	struct folio *folio;

	for (; pos < end; pos = round_down(pos, PAGE_SIZE) + PAGE_SIZE) {
		if (muse_kp_state_folio(st, pos))
			continue;
		if (st->nr == MUSE_KP_STATE_FOLIOS)
			return -E2BIG;
		folio = muse_kp_get_folio(mapping, pos);
		if (IS_ERR(folio))
			return PTR_ERR(folio);
		st->folios[st->nr++] = folio;
	}
	return 0;
}

static int muse_kp_folio_cmp(const void *a, const void *b)
{
	pgoff_t ia = (*(struct folio * const *)a)->index;
	pgoff_t ib = (*(struct folio * const *)b)->index;

	return ia < ib ? -1 : ia > ib;
}

/*
 * Lock the folios of @st in ascending index order (the page cache's order
 * for several folios of one file) and check they are still the file's.
 * Return: 0, or -EAGAIN with every folio unlocked: one left the file
 * (swapped out meanwhile), the caller looks them up again.
 */
static int muse_kp_state_lock(struct muse_kp_state *st,
			      struct address_space *mapping)
{
	unsigned int i;

	sort(st->folios, st->nr, sizeof(st->folios[0]), muse_kp_folio_cmp,
	     NULL);
	for (i = 0; i < st->nr; i++) {
		folio_lock(st->folios[i]);
		if (st->folios[i]->mapping != mapping ||
		    !folio_test_uptodate(st->folios[i])) {
			folio_unlock(st->folios[i]);
			while (i--)
				folio_unlock(st->folios[i]);
			return -EAGAIN;
		}
	}
	return 0;
}

/* Looking a folio up again after it left the file: a bound, not a loop. */
#define MUSE_KP_RETRIES		3

/*
 * Get and lock the state folios of block @b: its bitmap's bytes from bit
 * @first to the block's last (all of them for a kernel erase) and, with
 * @count, its count.
 */
static int muse_kp_state_get(struct muse_conn *conn, struct file *file,
			     u64 b, u32 first, bool count,
			     struct muse_kp_state *st)
{
	struct muse_kp *kp = &conn->kp;
	struct address_space *mapping = file->f_mapping;
	u64 map = kp->map_offset + b * kp->map_stride;
	u32 bytes = muse_kp_map_bytes(&conn->mtd);
	unsigned int tries;
	int err = -EAGAIN;

	for (tries = 0; err == -EAGAIN && tries < MUSE_KP_RETRIES; tries++) {
		st->nr = 0;
		err = muse_kp_state_add(st, mapping, map + first / BITS_PER_BYTE,
					bytes - first / BITS_PER_BYTE);
		if (!err && count)
			err = muse_kp_state_add(st, mapping,
						kp->count_offset +
						b * kp->count_stride,
						sizeof(u16));
		if (!err)
			err = muse_kp_state_lock(st, mapping);
		if (err)
			muse_kp_state_release(st, false);
	}
	return err;
}

/* Mark the state folios changed; the caller unlocks them. */
static void muse_kp_state_dirty(struct muse_kp_state *st)
{
	unsigned int i;

	for (i = 0; i < st->nr; i++)
		if (!folio_test_dirty(st->folios[i]))
			folio_mark_dirty(st->folios[i]);
}

/*
 * A 32-bit word of the file, naturally aligned (so inside one page), as
 * the atomic the server's own atomic operations on it agree with.  The
 * bytes of the file are the bytes of the word, whatever the byte order:
 * masks and counts are built through the union, not by shifts.
 */
union muse_kp_word {
	u32 word;
	u8 bytes[4];
	u16 halves[2];
};

/*
 * Map the aligned word of @st holding @pos, on the page of @pos, which
 * muse_kp_state_get() added; kunmap_local() it after.
 */
static atomic_t *muse_kp_word_map(const struct muse_kp_state *st, loff_t pos)
{
	struct folio *folio;

	pos = round_down(pos, sizeof(u32));
	folio = muse_kp_state_folio(st, pos);
	return kmap_local_folio(folio, offset_in_folio(folio, pos));
}

/*
 * A walk over the words holding bits [first, end) of a bitmap at file
 * position @map: for each word, the mask of those bits in it.
 */
struct muse_kp_bits {
	loff_t map;
	u32 first;
	u32 end;
	loff_t pos;		/* the current word's position */
};

static void muse_kp_bits_start(struct muse_kp_bits *it, loff_t map,
			       u32 first, u32 end)
{
	it->map = map;
	it->first = first;
	it->end = end;
	it->pos = round_down(map + first / BITS_PER_BYTE, sizeof(u32));
}

/* The next word's mask into @mask; false past the last word. */
static bool muse_kp_bits_next(struct muse_kp_bits *it, u32 *mask)
{
	union muse_kp_word m = { .word = 0 };
	loff_t byte;
	s64 lo, hi;
	int k;

	if (it->first >= it->end ||
	    it->pos > it->map + (it->end - 1) / BITS_PER_BYTE)
		return false;
	for (k = 0; k < 4; k++) {
		byte = it->pos + k - it->map;
		lo = max_t(s64, it->first, byte * BITS_PER_BYTE);
		hi = min_t(s64, it->end, (byte + 1) * BITS_PER_BYTE);
		if (lo < hi)
			m.bytes[k] = GENMASK(hi - byte * BITS_PER_BYTE - 1,
					     lo - byte * BITS_PER_BYTE);
	}
	*mask = m.word;
	return true;
}

/* The first bit of the bitmap that the current word holds. */
static u32 muse_kp_bits_word_first(const struct muse_kp_bits *it)
{
	return max_t(s64, it->first, (it->pos - it->map) * BITS_PER_BYTE);
}

static void muse_kp_bits_advance(struct muse_kp_bits *it)
{
	it->pos += sizeof(u32);
}

/* Whether a bit of [first, end) is set. */
static bool muse_kp_bits_any(const struct muse_kp_state *st, loff_t map,
			     u32 first, u32 end)
{
	struct muse_kp_bits it;
	bool any = false;
	atomic_t *word;
	u32 mask;

	muse_kp_bits_start(&it, map, first, end);
	for (; !any && muse_kp_bits_next(&it, &mask);
	     muse_kp_bits_advance(&it)) {
		word = muse_kp_word_map(st, it.pos);
		any = atomic_read(word) & mask;
		kunmap_local(word);
	}
	return any;
}

/* Clear bits [first, end). */
static void muse_kp_bits_clear(const struct muse_kp_state *st, loff_t map,
			       u32 first, u32 end)
{
	struct muse_kp_bits it;
	atomic_t *word;
	u32 mask;

	muse_kp_bits_start(&it, map, first, end);
	for (; muse_kp_bits_next(&it, &mask); muse_kp_bits_advance(&it)) {
		word = muse_kp_word_map(st, it.pos);
		atomic_andnot(mask, word);
		kunmap_local(word);
	}
}

/*
 * Set bits [first, end), all or none: a bit found set (by the server,
 * between the caller's test and now) undoes the bits set before it.
 * Return: true when all were set.
 */
static bool muse_kp_bits_claim(const struct muse_kp_state *st, loff_t map,
			       u32 first, u32 end)
{
	struct muse_kp_bits it;
	atomic_t *word;
	u32 mask, old;

	muse_kp_bits_start(&it, map, first, end);
	for (; muse_kp_bits_next(&it, &mask); muse_kp_bits_advance(&it)) {
		word = muse_kp_word_map(st, it.pos);
		old = atomic_fetch_or(mask, word);
		if (old & mask)
			atomic_andnot(mask & ~old, word);
		kunmap_local(word);
		if (old & mask) {
			muse_kp_bits_clear(st, map, first,
					   muse_kp_bits_word_first(&it));
			return false;
		}
	}
	return true;
}

/*
 * Add @delta to the __u16 count at @pos: an atomic on the aligned word
 * holding it, as the server's exchange is.  Return: false (nothing
 * changed) when the sum would leave 0..MUSE_PROGRAM_COUNT_MAX; with
 * @clamp, a negative sum is 0 instead (a rollback after the server
 * applied and reset the count).
 */
static bool muse_kp_count_add(const struct muse_kp_state *st, loff_t pos,
			      int delta, bool clamp)
{
	union muse_kp_word old, new;
	unsigned int half = (pos % sizeof(u32)) / sizeof(u16);
	atomic_t *word = muse_kp_word_map(st, pos);
	bool ok = true;
	int sum;

	old.word = atomic_read(word);
	do {
		new = old;
		sum = old.halves[half] + delta;
		if (sum < 0 && clamp)
			sum = 0;
		if (sum < 0 || sum > MUSE_PROGRAM_COUNT_MAX) {
			ok = false;
			break;
		}
		new.halves[half] = sum;
	} while (!atomic_try_cmpxchg(word, (int *)&old.word, new.word));
	kunmap_local(word);
	return ok;
}

/* Where a unit's program state is: block, subpages, positions. */
struct muse_kp_unit {
	u64 block;
	u32 first;		/* the unit's first subpage in the block */
	u32 nr;			/* its subpages */
	loff_t map;		/* the block's bitmap */
	loff_t count;		/* the block's count */
};

/*
 * Claim the unit's subpages: tested (up to the block's last with
 * MUSE_PROGRAM_IN_ORDER), set all or none, the count raised; or, with
 * @undo, give the claim back: the bits cleared, the count lowered (to 0
 * at least: the server may have applied and reset it meanwhile).  The
 * state folios are locked; nothing here sleeps.  Return: 0 or -EBUSY.
 */
static int muse_kp_claim_locked(struct muse_conn *conn,
				const struct muse_kp_state *st,
				const struct muse_kp_unit *u, bool undo)
{
	u32 end = u->first + u->nr;
	u32 test_end = conn->kp.rules & MUSE_PROGRAM_IN_ORDER ?
		       muse_kp_subpages(&conn->mtd) : end;
	int err = -EBUSY;

	spin_lock(&conn->kp.claim_lock);
	if (undo) {
		muse_kp_bits_clear(st, u->map, u->first, end);
		muse_kp_count_add(st, u->count, -(int)u->nr, true);
		err = 0;
	} else if (!muse_kp_bits_any(st, u->map, u->first, test_end) &&
		   muse_kp_bits_claim(st, u->map, u->first, end)) {
		if (muse_kp_count_add(st, u->count, u->nr, false))
			err = 0;
		else
			muse_kp_bits_clear(st, u->map, u->first, end);
	}
	spin_unlock(&conn->kp.claim_lock);
	return err;
}

/*
 * Claim the unit's subpages or (@undo) give the claim back.  Return: 0,
 * -EBUSY (the claim failed), or an errno when the state folios cannot be
 * had (no memory to read them back from swap): an undo that fails so
 * leaves the unit's subpages programmed, with erased data, until the
 * block's next erase.
 */
static int muse_kp_claim(struct muse_conn *conn, struct file *file,
			 const struct muse_kp_unit *u, bool undo)
{
	struct muse_kp_state st;
	int err;

	err = muse_kp_state_get(conn, file, u->block, u->first, true, &st);
	if (err)
		return err;
	err = muse_kp_claim_locked(conn, &st, u, undo);
	if (!err)
		muse_kp_state_dirty(&st);
	muse_kp_state_release(&st, true);
	return err;
}

/*
 * Whether no bit of block @b's bitmap is set, seen without locks or
 * allocation: false when a folio of it is not in memory.  An erase of an
 * erased block (a fresh chip's, UBI's of a block it never wrote) then
 * costs one look instead of the locked visit.  The caller holds pt->lock
 * exclusively: no kernel program sets a bit meanwhile, and a bit the
 * server sets after this look is as one set after the clear.
 */
static bool muse_kp_map_clear(struct muse_conn *conn, struct file *file,
			      u64 b)
{
	struct muse_kp *kp = &conn->kp;
	struct folio *folio = NULL;
	struct muse_kp_bits it;
	bool clear = true;
	atomic_t *word;
	u32 mask;

	muse_kp_bits_start(&it, kp->map_offset + b * kp->map_stride, 0,
			   muse_kp_subpages(&conn->mtd));
	for (; clear && muse_kp_bits_next(&it, &mask);
	     muse_kp_bits_advance(&it)) {
		if (!folio || it.pos >= folio_pos(folio) + folio_size(folio)) {
			if (folio)
				folio_put(folio);
			folio = filemap_get_folio(file->f_mapping,
						  it.pos >> PAGE_SHIFT);
			/* Absent: NULL before 6.3, ERR_PTR(-ENOENT) since. */
			if (IS_ERR_OR_NULL(folio))
				return false;
			clear = folio_test_uptodate(folio);
		}
		word = kmap_local_folio(folio, offset_in_folio(folio, it.pos));
		clear = clear && !(atomic_read(word) & mask);
		kunmap_local(word);
	}
	if (folio)
		folio_put(folio);
	return clear;
}

/**
 * muse_kp_erase_block() - clear a block's bitmap for its kernel erase
 * @conn:	connection
 * @store:	referenced by the caller
 * @b:		the block, its erase granted
 *
 * Nothing without program state.  The caller holds ke->lock, pt->lock
 * exclusively (no kernel program of the block runs) and the server's
 * credentials; the server may set bits meanwhile, atomically, as the
 * clear is.
 *
 * Return: 0, or an errno when the bitmap cannot be read or written: the
 * block is left to the server.
 */
int muse_kp_erase_block(struct muse_conn *conn, const struct muse_store *store,
			u64 b)
{
	struct inode *inode = file_inode(store->file);
	struct muse_kp *kp = &conn->kp;
	struct muse_kp_state st;
	struct mem_cgroup *memcg;
	unsigned int noio;
	int err;

	/* Pairs with muse_kp_set_backing(): the geometry is set. */
	if (!smp_load_acquire(&store->prog_budget) ||
	    muse_kp_map_clear(conn, store->file, b))
		return 0;
	memcg = set_active_memcg(store->memcg);
	noio = memalloc_noio_save();
	inode_lock_shared(inode);
	err = -EPERM;
	if (!muse_ke_writes_refused(store->file))
		err = muse_kp_state_get(conn, store->file, b, 0, false, &st);
	if (!err) {
		spin_lock(&kp->claim_lock);
		muse_kp_bits_clear(&st, kp->map_offset + b * kp->map_stride, 0,
				   muse_kp_subpages(&conn->mtd));
		spin_unlock(&kp->claim_lock);
		muse_kp_state_dirty(&st);
		muse_kp_state_release(&st, true);
	}
	inode_unlock_shared(inode);
	memalloc_noio_restore(noio);
	set_active_memcg(memcg);
	return err;
}

/*
 * Store [pos, pos + len) of the file, inside one page, as ~@src (or
 * zeros, erased flash, when @src is NULL) into its tmpfs folio.
 */
static int muse_kp_store_page(const struct muse_store *store, loff_t pos,
			      const u8 *src, size_t len)
{
	struct address_space *mapping = store->file->f_mapping;
	struct folio *folio;
	unsigned int tries;
	u8 *dst;

	for (tries = 0; tries < MUSE_KP_RETRIES; tries++) {
		folio = muse_kp_get_folio(mapping, pos);
		if (IS_ERR(folio))
			return PTR_ERR(folio);
		folio_lock(folio);
		if (folio->mapping == mapping && folio_test_uptodate(folio))
			break;
		/* Swapped out since the lookup: look it up again. */
		folio_unlock(folio);
		folio_put(folio);
		folio = NULL;
	}
	if (!folio)
		return -EAGAIN;
	dst = kmap_local_folio(folio, offset_in_folio(folio, pos));
	if (src)
		muse_pt_copy(store, dst, src, len);
	else
		memset(dst, 0, len);
	kunmap_local(dst);
	flush_dcache_folio(folio);
	/* A written tmpfs folio stays dirty: spare the a_ops call. */
	if (!folio_test_dirty(folio))
		folio_mark_dirty(folio);
	folio_unlock(folio);
	folio_put(folio);
	return 0;
}

/*
 * Store the unit's data; on a failure, zero what was stored (the bits
 * said those subpages were erased) and return the errno.
 */
static int muse_kp_store(const struct muse_store *store, loff_t pos,
			 const u8 *buf, size_t len)
{
	size_t done, n;
	int err = 0;

	for (done = 0; !err && done < len; done += n) {
		n = min_t(size_t, len - done, PAGE_SIZE - offset_in_page(pos + done));
		err = muse_kp_store_page(store, pos + done, buf + done, n);
	}
	if (!err)
		return 0;
	done -= n;
	for (; done; done -= n) {
		n = offset_in_page(pos + done) ?: PAGE_SIZE;
		n = min(n, done);
		if (muse_kp_store_page(store, pos + done - n, NULL, n))
			pr_warn_ratelimited("could not erase again %zu bytes at %lld of the backing file\n",
					    n, pos + done - n);
	}
	return err;
}

/*
 * Program the unit with the locks and the server's context held: claim,
 * store, roll back.  Return: 0 or an errno (-EBUSY: the claim failed).
 */
static int muse_kp_program(struct muse_conn *conn,
			   const struct muse_store *store,
			   const struct muse_kp_unit *u, u64 addr, u32 len,
			   const u8 *buf)
{
	struct file *file = store->file;
	struct inode *inode = file_inode(file);
	int err;

	inode_lock_shared(inode);
	/* The regions fit when set up; a truncation since is the server's. */
	err = -ERANGE;
	if (muse_ke_writes_refused(file))
		err = -EPERM;
	else if (muse_region_fits(store->data_offset + addr, len,
				  i_size_read(inode)) &&
		 muse_region_fits(u->map, muse_kp_map_bytes(&conn->mtd),
				  i_size_read(inode)) &&
		 muse_region_fits(u->count, sizeof(u16), i_size_read(inode)))
		err = muse_kp_claim(conn, file, u, false);
	if (!err) {
		err = muse_kp_store(store, store->data_offset + addr, buf, len);
		if (err && muse_kp_claim(conn, file, u, true))
			pr_warn_ratelimited("%s: kernel program of block %llu failed (%d) and could not be undone\n",
					    conn->name, u->block, err);
	}
	inode_unlock_shared(inode);
	if (!err)
		file_update_time(file);
	return err;
}

/*
 * Whether [addr, addr + len) is whole subpages of one block that the
 * rules allow, and where its state is.
 */
static bool muse_kp_unit_of(struct muse_conn *conn, u64 addr, u32 len,
			    struct muse_kp_unit *u)
{
	struct mtd_info *mtd = &conn->mtd;
	u32 subpage = mtd->writesize >> mtd->subpage_sft;
	u32 align = conn->kp.rules & MUSE_PROGRAM_WHOLE_PAGES ? mtd->writesize :
								 subpage;
	struct muse_kp *kp = &conn->kp;
	u32 ofs;

	if (!len || len % align)
		return false;
	u->block = div_u64_rem(addr, mtd->erasesize, &ofs);
	if (ofs % align || len > mtd->erasesize - ofs)
		return false;
	u->first = ofs / subpage;
	u->nr = len / subpage;
	u->map = kp->map_offset + u->block * kp->map_stride;
	u->count = kp->count_offset + u->block * kp->count_stride;
	return true;
}

/**
 * muse_kp_write() - program a WRITE I/O unit into the backing file
 * @conn:	connection
 * @addr:	the unit's device address, checked by the caller
 * @len:	its in-band bytes, no OOB with them, not RAW
 * @buf:	the data
 *
 * Return: true when programmed here, false when the unit must be a
 * request: not programmed, nothing of it left behind.
 */
bool muse_kp_write(struct muse_conn *conn, u64 addr, u32 len, const u8 *buf)
{
	struct muse_kp *kp = &conn->kp;
	struct mem_cgroup *memcg;
	struct muse_store *store;
	const struct cred *old;
	struct muse_kp_unit u;
	atomic_t *budget;
	unsigned int noio;
	int err = -EAGAIN;

	if (!(conn->ext_flags & MUSE_EXT_KERNEL_PROGRAM))
		return false;
	store = muse_store_get(&conn->pt);
	if (!store)
		return false;
	/* Pairs with muse_kp_set_backing(): the geometry is set. */
	budget = smp_load_acquire(&store->prog_budget);
	if (!budget || !muse_kp_unit_of(conn, addr, len, &u) ||
	    (conn->known_bad && test_bit(u.block, conn->known_bad)))
		goto put;
	if (down_read_killable(&kp->lock))
		goto put;
	if (!muse_kp_budget_take(&budget[u.block]))
		goto unlock;
	if (!muse_kernel_budget_take(conn))
		goto give_block;
	/* Held by a kernel erase stuck in the file's filesystem: ask. */
	if (down_read_killable(&conn->pt.lock))
		goto give_device;
	old = override_creds(store->file->f_cred);
	memcg = set_active_memcg(store->memcg);
	noio = memalloc_noio_save();
	err = muse_kp_program(conn, store, &u, addr, len, buf);
	memalloc_noio_restore(noio);
	set_active_memcg(memcg);
	revert_creds(old);
	up_read(&conn->pt.lock);
	if (!err) {
		atomic64_inc(&kp->done);
		goto unlock;
	}
give_device:
	muse_kernel_budget_give(conn);
give_block:
	muse_kp_budget_give(&budget[u.block]);
unlock:
	up_read(&kp->lock);
put:
	muse_store_put(store);
	return !err;
}
