/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * MUSE: MTD in userspace.  Definitions shared by the module's source files.
 *
 * One open file of /dev/muse is one connection (struct muse_conn) that
 * serves one MTD.  MTD operations build requests (struct muse_req) on the
 * calling task's stack, queue them on the connection and sleep until the
 * server's reply has been validated and copied; the server moves them with
 * read(2) and write(2) on the file.
 */
#ifndef MUSE_CONN_H
#define MUSE_CONN_H

#include <linux/completion.h>
#include <linux/ctype.h>
#include <linux/fuse.h>
#include <linux/list.h>
#include <linux/math64.h>
#include <linux/mtd/mtd.h>
#include <linux/mtd/partitions.h>
#include <linux/refcount.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include <muse/muse_kernel.h>

/* Longest MTD name a server may ask for, without the NUL. */
#define MUSE_NAME_MAX		64
/* Most partitions PARTSCMDLINE may describe. */
#define MUSE_MAX_PARTS		32

enum muse_req_state {
	MUSE_REQ_QUEUED,	/* on conn->pending, waiting for a read() */
	MUSE_REQ_SENT,		/* on conn->processing, waiting for a reply */
	MUSE_REQ_BUSY,		/* on no list: a server thread copies it */
	MUSE_REQ_DONE,		/* error set and done completed */
};

struct muse_req {
	struct list_head list;
	enum muse_req_state state;
	u32 opcode;
	u64 unique;
	unsigned long queued_at;	/* jiffies, for request_timeout */
	u32 uid;
	u32 gid;
	u32 pid;
	/* Request body; only the first in_size bytes are sent. */
	union {
		struct muse_init_in init;
		struct muse_erase_in erase;
		struct muse_read_in read;
		struct muse_write_in write;
		struct muse_markbad_in markbad;
		struct muse_isbad_in isbad;
	} in;
	u32 in_size;
	/*
	 * READ: where the reply's data and OOB are copied to.  WRITE: the
	 * caller's data and OOB, sent after the body.  Both point straight
	 * into the MTD caller's buffers.
	 */
	u8 *data;
	u8 *oob;
	u32 datalen;
	u32 ooblen;
	/* Reply body, valid once done completed with error == 0. */
	union {
		struct muse_read_out read;
		struct muse_write_out write;
		struct muse_isbad_out isbad;
	} out;
	int error;
	struct completion done;
};

struct muse_conn {
	struct mtd_info mtd;
	/* Protects the lists, connected, next_unique and every req->state. */
	spinlock_t lock;
	wait_queue_head_t waitq;	/* server readers and pollers */
	struct list_head pending;
	struct list_head processing;
	u64 next_unique;
	bool connected;
	/* Set by the INIT write, read by release: the file serialises them. */
	bool registered;
	/* The server thread inside mtd_device_register(), else NULL. */
	struct task_struct *registering;
	/* One for the open file, one per _get_device() of an MTD user. */
	refcount_t ref;
	struct delayed_work timeout_work;
	struct muse_req init_req;
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

/* Names show up in /proc/mtd and sysfs, one per line. */
static inline bool muse_name_printable(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!isprint(name[i]))
			return false;
	return true;
}

static inline struct muse_conn *muse_conn_of(struct mtd_info *mtd)
{
	return container_of(mtd, struct muse_conn, mtd);
}

/* muse_dev.c */
extern unsigned int muse_max_io;
void muse_req_init(struct muse_req *req, u32 opcode, u32 in_size);
int muse_send(struct muse_conn *conn, struct muse_req *req);
void muse_abort(struct muse_conn *conn);
int muse_conn_get(struct muse_conn *conn);
void muse_conn_put(struct muse_conn *conn);

/* muse_init.c */
ssize_t muse_process_init_reply(struct muse_conn *conn,
				const struct fuse_out_header *oh,
				size_t nbytes, struct iov_iter *from);

/* muse_parts.c */
struct muse_parts {
	int nr;
	struct mtd_partition parts[MUSE_MAX_PARTS];
	char names[MUSE_MAX_PARTS][MUSE_NAME_MAX + 1];
};

int muse_parse_partitions(const char *spec, const struct mtd_info *mtd,
			  struct muse_parts *out);

/* muse_mtd.c */
int muse_mtd_setup(struct muse_conn *conn);

#endif /* MUSE_CONN_H */
