/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * MUSE: MTD in userspace.  The transport between the module and one
 * userspace server: requests framed like FUSE, queued for the server's
 * read(2), answered by its write(2).
 *
 * The transport knows nothing about MTD or about any opcode: whoever
 * builds a request gives it the function that validates and consumes its
 * reply (muse_reply_fn), and either waits for it (muse_chan_send()) or
 * gets called when it ends (muse_req.end).
 *
 * Lifetime rules (doc/kmod.md, "Requests"):
 * - A request the server has read is waited for until it is answered, the
 *   channel dies or the channel's request timeout fires.  A caller's
 *   signal never fails it: the server may already be changing the flash.
 * - A request still queued is withdrawn on a fatal signal only where its
 *   caller cannot see the result (MUSE_REQ_WITHDRAWABLE: SYNC).
 * - Waits are TASK_IDLE: a server stopped in a debugger is a use case, not
 *   a hung task.  The request timeout (per channel, 0 = never) and an
 *   administrator's abort end every kind of stuck request.
 */
#ifndef MUSE_CHAN_H
#define MUSE_CHAN_H

#include <linux/completion.h>
#include <linux/fs.h>
#include <linux/fuse.h>
#include <linux/hashtable.h>
#include <linux/list.h>
#include <linux/poll.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/uio.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

struct muse_req;

/*
 * Validate the body of a successful reply (@body bytes left in @from) and
 * consume it into the request.  Return 0, -EINVAL when the reply is
 * malformed, -EFAULT when the server's buffer faulted, or another negative
 * errno; any error fails the request with -EIO and the server's write()
 * with that errno.  A reply may set req->error itself (a hard error the
 * server reported inside the body).
 */
typedef int (*muse_reply_fn)(struct muse_req *req, size_t body,
			     struct iov_iter *from);

enum muse_req_state {
	MUSE_REQ_IDLE,		/* not handed to the channel */
	MUSE_REQ_QUEUED,	/* on chan->pending, waiting for a read() */
	MUSE_REQ_SENT,		/* in chan->sent, waiting for a reply */
	MUSE_REQ_BUSY,		/* a server thread copies it, on no list */
	MUSE_REQ_DONE,		/* error set, ended */
};

/* muse_req.flags */
#define MUSE_REQ_WITHDRAWABLE	BIT(0)	/* a fatal signal may withdraw it */

struct muse_req {
	struct list_head inflight;	/* chan->inflight, oldest first */
	struct list_head pending;	/* chan->pending while QUEUED */
	struct hlist_node hnode;	/* chan->sent while SENT */
	enum muse_req_state state;
	unsigned int flags;
	u32 opcode;
	u64 unique;
	unsigned long queued_at;	/* jiffies, for the request timeout */
	u32 uid, gid, pid;
	/* What the server reads after the fuse_in_header, in this order. */
	const void *in;
	u32 in_size;
	const void *payload[2];
	u32 payload_len[2];
	muse_reply_fn reply;
	/* Called instead of completing @done, for requests nobody waits on. */
	void (*end)(struct muse_req *req);
	int error;
	struct completion done;
};

struct muse_chan {
	/* Protects everything below but the wait queue. */
	spinlock_t lock;
	/* Server readers (exclusive: one request wakes one) and pollers. */
	wait_queue_head_t waitq;
	struct list_head pending;
	struct list_head inflight;
	DECLARE_HASHTABLE(sent, 6);
	u64 next_unique;
	unsigned int nr_inflight;
	bool connected;
	unsigned int timeout_secs;	/* 0: never */
	struct delayed_work timeout_work;
	/* Called once, in process context, when the channel dies. */
	void (*dead)(struct muse_chan *chan);
	/* For log lines: the device's name once known. */
	const char *label;
	struct list_head all;		/* muse_chans, for the default timeout */
};

void muse_req_init(struct muse_req *req, u32 opcode, const void *in,
		   u32 in_size, muse_reply_fn reply);
int muse_chan_queue(struct muse_chan *chan, struct muse_req *req);
int muse_chan_wait(struct muse_chan *chan, struct muse_req *req);
int muse_chan_send(struct muse_chan *chan, struct muse_req *req);
bool muse_req_ended(const struct muse_req *req);

void muse_chan_init(struct muse_chan *chan, const char *label,
		    void (*dead)(struct muse_chan *chan));
void muse_chan_destroy(struct muse_chan *chan);
void muse_chan_abort(struct muse_chan *chan, const char *why);
bool muse_chan_connected(struct muse_chan *chan);
unsigned int muse_chan_waiting(struct muse_chan *chan);
unsigned int muse_chan_timeout(struct muse_chan *chan);
void muse_chan_set_timeout(struct muse_chan *chan, unsigned int secs);
int muse_chan_parse_timeout(const char *buf, unsigned int *secs);
void muse_chan_set_default_timeout(unsigned int secs);
unsigned int muse_chan_default_timeout(void);

ssize_t muse_chan_read(struct muse_chan *chan, struct kiocb *iocb,
		       struct iov_iter *to);
ssize_t muse_chan_write(struct muse_chan *chan, struct iov_iter *from);
__poll_t muse_chan_poll(struct muse_chan *chan, struct file *file,
			poll_table *wait);

bool muse_payload_to_iter(const void *buf, size_t len, struct iov_iter *to);
bool muse_payload_from_iter(void *buf, size_t len, struct iov_iter *from);

/* A longer request timeout is as good as never and cannot overflow. */
#define MUSE_TIMEOUT_LIMIT	(24U * 3600)

#endif /* MUSE_CHAN_H */
