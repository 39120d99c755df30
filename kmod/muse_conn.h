/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * MUSE: MTD in userspace.  Definitions shared by the module's source files.
 *
 * One open file of /dev/muse is one connection (struct muse_conn) that
 * serves one MTD.  The files and who calls whom (no circles):
 *
 *	muse_main.c	module, parameters, the /dev/muse file operations
 *	  -> muse_conn.c	connection lifetime: INIT, registration of the
 *			MTD from a work item, MTD users, unregistration
 *	       -> muse_mtd.c	the MTD operations, one request builder and
 *			reply validator per opcode
 *	       -> muse_init.c	the INIT description: parse and check
 *	            -> muse_parts.c	the PARTSCMDLINE grammar
 *	       -> muse_sysfs.c	/sys/fs/muse/connections/<id>/
 *	       -> muse_pt.c	read passthrough from a backing file
 *	       -> muse_erase.c	kernel erase of granted blocks in that file
 *	       -> muse_program.c	kernel program of granted blocks in it
 *	  muse_mtd.c -> muse_pt.c, muse_erase.c, muse_program.c
 *	  muse_erase.c -> muse_program.c (a kernel erase clears the bitmap)
 *	  everything -> muse_chan.c	the opcode-agnostic transport
 */
#ifndef MUSE_CONN_H
#define MUSE_CONN_H

#include <linux/math64.h>
#include <linux/mtd/mtd.h>
#include <linux/mutex.h>
#include <linux/mtd/partitions.h>
#include <linux/overflow.h>
#include <linux/refcount.h>
#include <linux/rwsem.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/workqueue.h>

#include <muse/muse_kernel.h>

#include "muse_chan.h"

/* What the INIT reply and its info block describe (muse_init.c). */
struct muse_desc {
	struct muse_init_out out;
	bool extended;
	const char *name;
	const char *parts;
	/* Numeric info keys, in the order of muse_numeric_keys. */
	u64 type;
	u64 flags;
	u64 size;
	u64 writesize;
	u64 erasesize;
	u64 writebufsize;
	u64 oobsize;
	u64 oobavail;
	u64 subpage_shift;
	u64 ecc_strength;
	u64 ecc_step;
	u64 bitflip_threshold;
	/* Bit i set: muse_numeric_keys[i] was given. */
	unsigned long given;
};

/* Partitions of PARTSCMDLINE (muse_parts.c). */
struct muse_parts {
	int nr;
	struct mtd_partition parts[MUSE_PARTS_MAX];
	char names[MUSE_PARTS_MAX][MUSE_NAME_MAX + 1];
};

struct muse_conn_kobj;
struct mem_cgroup;

/*
 * The per-block state sized by the server's geometry (at most
 * MUSE_BLOCKS_MAX blocks): charged to the server's memory cgroup, and a
 * failure is the server's ENOMEM, not a warning.
 */
#define MUSE_GFP_PER_BLOCK	(GFP_KERNEL_ACCOUNT | __GFP_NOWARN)

/*
 * The server's store as the fast paths use it (muse_pt.c): the module's
 * own open of the backing file and the per-block state that came with
 * it.  Each passthrough read, kernel erase and ioctl using it holds a
 * reference, the connection holds one until its death: the last one
 * frees it all, so a dead connection keeps none of it and waits for
 * none of its users.  Set once, never changed but for the counters.
 */
struct muse_store {
	refcount_t ref;
	struct file *file;
	u64 data_offset;
	bool inverted;
	bool direct;			/* tmpfs: folios copied directly */
	u64 blocks;
	unsigned long *marked;		/* blocks served from the file */
	atomic_t *reads;		/* per block, fetched and reset */
	atomic64_t *bytes;		/* per block, fetched and reset */
	/* Kernel erase budgets, set once under ke->lock; NULL: not set up. */
	u32 *budget;
	/*
	 * Kernel program budgets, set once under kp->lock with release
	 * semantics after kp's geometry (a kernel erase reads it without
	 * kp->lock); NULL: not set up.  Atomic: the kernel programs of a
	 * block run in parallel, each holding kp->lock shared.
	 */
	atomic_t *prog_budget;
	/* The server's memory cgroup, charged for kernel-programmed pages. */
	struct mem_cgroup *memcg;
};

/* Read passthrough (muse_pt.c). */
struct muse_pt {
	/*
	 * Shared by passthrough reads, exclusive to take blocks back and to
	 * kernel-erase a block.
	 */
	struct rw_semaphore lock;
	spinlock_t store_lock;		/* guards store and store_set */
	/* NULL: none yet, or dropped at death. */
	struct muse_store *store;
	bool store_set;			/* once per connection */
};

/* Kernel erase (muse_erase.c), its budgets in struct muse_store. */
struct muse_ke {
	/* Held across each kernel erase and to change grants. */
	struct mutex lock;
	bool on_tmpfs;			/* atomic count, holes seen in memory */
	bool keep_pages;		/* tmpfs, MUSE_ERASE_KEEP_PAGES */
	u64 oob_offset;
	u64 count_offset;
	u32 count_stride;
	atomic64_t done;		/* kernel erases, for sysfs */
};

/* Kernel program (muse_program.c), its budgets in struct muse_store. */
struct muse_kp {
	/*
	 * Shared by each kernel program, exclusive to set up program state
	 * and to change grants: a take-back waits for the programs in flight.
	 */
	struct rw_semaphore lock;
	/*
	 * Claims of bitmap bits and the count, with the rules' checks, and
	 * a kernel erase's clearing of a bitmap: never sleeps.
	 */
	spinlock_t claim_lock;
	u64 map_offset;
	u64 count_offset;
	u32 map_stride;
	u32 count_stride;
	u32 rules;			/* MUSE_PROGRAM_* */
	atomic64_t done;		/* units kernel-programmed, for sysfs */
};

struct muse_conn {
	struct muse_chan chan;
	struct mtd_info mtd;
	/*
	 * One for the open file, one from an accepted INIT until the MTD is
	 * unregistered (or its registration failed).
	 */
	refcount_t ref;
	/* Protects users, registered and unregistering. */
	spinlock_t lock;
	/* _get_device() minus _put_device(): the MTD is held. */
	unsigned int users;
	bool registered;
	bool unregistering;
	struct work_struct register_work;
	struct work_struct unregister_work;
	struct muse_parts *parts;	/* for register_work, then freed */
	/* MUSE_REGISTERED (MUSE_EXT_REGISTERED), sent by register_work. */
	struct muse_req reg_req;
	struct muse_registered_in reg_in;
	struct muse_registered_part reg_parts[MUSE_PARTS_MAX];

	int id;				/* /sys/fs/muse/connections/<id> */
	pid_t pid;			/* the opener's tgid */
	struct muse_conn_kobj *kobj;

	/* INIT, queued at open, ended by the server's reply. */
	struct muse_req init_req;
	struct muse_init_in init_in;
	u32 max_io;			/* offered in INIT */

	struct muse_pt pt;
	struct muse_ke ke;
	struct muse_kp kp;
	/*
	 * The device-wide budget of kernel erases and programs
	 * (MUSE_IOC_KERNEL_BUDGET), MUSE_BUDGET_UNLIMITED as -1.
	 */
	atomic64_t kernel_budget;

	/* Negotiated at INIT. */
	bool extended;		/* extended READ/WRITE layouts */
	u32 ext_flags;		/* MUSE_EXT_* accepted by the server */
	u32 unit;		/* no READ/WRITE crosses a multiple of this */
	char name[MUSE_NAME_MAX + 1];
	/*
	 * NAND: one bit per eraseblock known to be bad, so that the MTD's
	 * bad_blocks statistic counts each once; NULL when not tracked.
	 */
	unsigned long *known_bad;
};

static inline bool muse_eraseblock_aligned(u64 val,
					   const struct mtd_info *mtd)
{
	u32 rem;

	div_u64_rem(val, mtd->erasesize, &rem);
	return !rem;
}

/* Whether @count blocks from @first are at least one, all below @blocks. */
static inline bool muse_block_range_valid(u64 blocks, u64 first, u64 count)
{
	return count && first < blocks && count <= blocks - first;
}

/* Whether [off, off + len) of a file lies below @size, overflow-safe. */
static inline bool muse_region_fits(u64 off, u64 len, loff_t size)
{
	u64 end;

	return !check_add_overflow(off, len, &end) && end <= size;
}

/* Whether two regions that fit in the file share a byte. */
static inline bool muse_regions_overlap(u64 a, u64 a_len, u64 b, u64 b_len)
{
	return a_len && b_len && a < b + b_len && b < a + a_len;
}

/* Names show up in /proc/mtd and sysfs, one per line: ASCII only. */
static inline bool muse_name_printable(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!MUSE_NAME_CHAR_VALID((unsigned char)name[i]))
			return false;
	return true;
}

static inline struct muse_conn *muse_conn_of(struct mtd_info *mtd)
{
	return container_of(mtd, struct muse_conn, mtd);
}

/* muse_conn.c */
int muse_conn_module_init(void);
void muse_conn_module_exit(void);
struct muse_conn *muse_conn_open(u32 max_io, struct device *parent);
void muse_conn_close(struct muse_conn *conn);

/* muse_mtd.c */
int muse_mtd_setup(struct muse_conn *conn);
void muse_mtd_teardown(struct muse_conn *conn);

/* muse_init.c */
int muse_desc_parse(struct muse_desc *desc, u8 *body, size_t len,
		    u32 max_io);

/* muse_parts.c */
int muse_parse_partitions(const char *spec, const struct mtd_info *mtd,
			  struct muse_parts *out);

/* muse_pt.c */
void muse_pt_init(struct muse_pt *pt);
long muse_pt_ioctl(struct muse_conn *conn, unsigned int cmd,
		   unsigned long arg);
struct muse_store *muse_store_get(struct muse_pt *pt);
void muse_store_put(struct muse_store *store);
bool muse_pt_read(struct muse_conn *conn, loff_t from, struct mtd_oob_ops *ops);
void muse_pt_copy(const struct muse_store *store, u8 *dst, const u8 *src,
		  size_t len);
void muse_pt_drop(struct muse_conn *conn);

/* muse_erase.c */
void muse_ke_init(struct muse_ke *ke);
long muse_ke_ioctl(struct muse_conn *conn, unsigned int cmd,
		   unsigned long arg);
int muse_ke_erase(struct muse_conn *conn, u64 *addr, u64 end);
bool muse_ke_writes_refused(struct file *file);

/* muse_program.c */
void muse_kp_init(struct muse_conn *conn);
long muse_kp_ioctl(struct muse_conn *conn, unsigned int cmd,
		   unsigned long arg);
bool muse_kp_write(struct muse_conn *conn, u64 addr, u32 len, const u8 *buf);
int muse_kp_erase_block(struct muse_conn *conn, const struct muse_store *store,
			u64 b);
bool muse_kernel_budget_take(struct muse_conn *conn);
void muse_kernel_budget_give(struct muse_conn *conn);

/* muse_sysfs.c */
int muse_sysfs_init(void);
void muse_sysfs_exit(void);
int muse_sysfs_add(struct muse_conn *conn);
void muse_sysfs_remove(struct muse_conn *conn);

#endif /* MUSE_CONN_H */
