// SPDX-License-Identifier: GPL-2.0-only
/*
 * MUSE: MTD in userspace.  The transport: request queue, the server's
 * read(2), write(2) and poll(2), the request timeout and aborts.  See
 * muse_chan.h for the lifetime rules.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cred.h>
#include <linux/jiffies.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include <muse/muse_kernel.h>

#include "muse_chan.h"

/* Every channel, so that the module-wide default timeout reaches them. */
static LIST_HEAD(muse_chans);
static DEFINE_MUTEX(muse_chans_lock);
static unsigned int muse_default_timeout;

/**
 * muse_req_init() - prepare a request
 * @req:	request, usually on the caller's stack or in its object
 * @opcode:	MUSE_* opcode
 * @in:		body sent after the fuse_in_header, must stay valid
 * @in_size:	its size
 * @reply:	validates and consumes a successful reply
 */
void muse_req_init(struct muse_req *req, u32 opcode, const void *in,
		   u32 in_size, muse_reply_fn reply)
{
	memset(req, 0, sizeof(*req));
	INIT_LIST_HEAD(&req->inflight);
	INIT_LIST_HEAD(&req->pending);
	INIT_HLIST_NODE(&req->hnode);
	req->opcode = opcode;
	req->in = in;
	req->in_size = in_size;
	req->reply = reply;
	init_completion(&req->done);
}

/* Whole length of the request as the server reads it. */
static size_t muse_req_size(const struct muse_req *req)
{
	return sizeof(struct fuse_in_header) + req->in_size +
	       req->payload_len[0] + req->payload_len[1];
}

static unsigned long muse_timeout_jiffies(struct muse_chan *chan)
{
	unsigned int secs = min(chan->timeout_secs, MUSE_TIMEOUT_LIMIT);

	return secs ? msecs_to_jiffies(secs * MSEC_PER_SEC) : 0;
}

/* Take a request off every list; the caller ends it. */
static void muse_req_unlink_locked(struct muse_chan *chan,
				   struct muse_req *req)
{
	lockdep_assert_held(&chan->lock);
	list_del_init(&req->pending);
	hash_del(&req->hnode);
	if (!list_empty(&req->inflight)) {
		list_del_init(&req->inflight);
		chan->nr_inflight--;
	}
}

/*
 * End a request that is on no list any more.  Once ended it belongs to
 * its waiter again, who may free it at once: do not touch it afterwards.
 */
static void muse_req_end(struct muse_req *req, int error)
{
	req->error = error;
	/* Publishes what the reply function wrote: muse_req_ended(). */
	smp_store_release(&req->state, MUSE_REQ_DONE);
	if (req->end)
		req->end(req);
	else
		complete(&req->done);
}

/* Arm the timeout for the oldest request unless it is armed already. */
static void muse_arm_timeout_locked(struct muse_chan *chan)
{
	unsigned long timeout = muse_timeout_jiffies(chan);
	struct muse_req *oldest;
	unsigned long deadline;

	lockdep_assert_held(&chan->lock);
	if (!timeout || list_empty(&chan->inflight))
		return;
	oldest = list_first_entry(&chan->inflight, struct muse_req, inflight);
	deadline = oldest->queued_at + timeout;
	/* No-op while armed: it re-arms itself for the next oldest. */
	schedule_delayed_work(&chan->timeout_work,
			      time_after(deadline, jiffies) ?
			      deadline - jiffies : 0);
}

/**
 * muse_chan_queue() - hand a request to the server
 * @chan:	channel
 * @req:	request prepared with muse_req_init()
 *
 * Return: 0, or -ENODEV when the channel is dead.
 */
int muse_chan_queue(struct muse_chan *chan, struct muse_req *req)
{
	spin_lock(&chan->lock);
	if (!chan->connected) {
		spin_unlock(&chan->lock);
		return -ENODEV;
	}
	req->unique = chan->next_unique++;
	req->queued_at = jiffies;
	req->uid = from_kuid_munged(&init_user_ns, current_fsuid());
	req->gid = from_kgid_munged(&init_user_ns, current_fsgid());
	req->pid = task_tgid_nr(current);
	req->state = MUSE_REQ_QUEUED;
	list_add_tail(&req->inflight, &chan->inflight);
	chan->nr_inflight++;
	list_add_tail(&req->pending, &chan->pending);
	muse_arm_timeout_locked(chan);
	spin_unlock(&chan->lock);
	/* One exclusive reader, and every poller. */
	wake_up(&chan->waitq);
	return 0;
}

/* A queued withdrawable request leaves on a fatal signal. */
static bool muse_req_withdraw(struct muse_chan *chan, struct muse_req *req)
{
	bool withdrawn = false;

	if (!(req->flags & MUSE_REQ_WITHDRAWABLE))
		return false;
	spin_lock(&chan->lock);
	if (req->state == MUSE_REQ_QUEUED) {
		muse_req_unlink_locked(chan, req);
		req->state = MUSE_REQ_DONE;
		withdrawn = true;
	}
	spin_unlock(&chan->lock);
	return withdrawn;
}

/**
 * muse_chan_wait() - wait until a queued request ended
 * @chan:	channel
 * @req:	request queued with muse_chan_queue()
 *
 * Return: the request's result: 0 or a negative errno (the server's,
 * -EIO for a malformed reply or a dead channel, -EINTR for a withdrawn
 * request).
 */
int muse_chan_wait(struct muse_chan *chan, struct muse_req *req)
{
	if (req->flags & MUSE_REQ_WITHDRAWABLE) {
		if (!wait_for_completion_killable(&req->done))
			return req->error;
		if (muse_req_withdraw(chan, req))
			return -EINTR;
	}
	wait_for_completion_state(&req->done, TASK_IDLE);
	return req->error;
}

/**
 * muse_req_ended() - whether a request ended, without waiting for it
 * @req:	request queued with muse_chan_queue()
 *
 * Once true, req->error and everything the request's reply function
 * stored before the request ended are visible to the caller (acquire).
 *
 * Return: true once the request ended.
 */
bool muse_req_ended(const struct muse_req *req)
{
	/* Pairs with the release in muse_req_end(). */
	return smp_load_acquire(&req->state) == MUSE_REQ_DONE;
}

/**
 * muse_chan_send() - queue a request and wait for its end
 * @chan:	channel
 * @req:	request prepared with muse_req_init()
 *
 * Return: as muse_chan_wait(), or -ENODEV when the channel is dead.
 */
int muse_chan_send(struct muse_chan *chan, struct muse_req *req)
{
	int err = muse_chan_queue(chan, req);

	if (!err)
		return muse_chan_wait(chan, req);
	/*
	 * A dead channel fails at once, and the MTD core's loops over
	 * every block (ISBAD of each partition block while registering) go
	 * on regardless: give them a point to reschedule.
	 */
	cond_resched();
	return err;
}

/**
 * muse_chan_abort() - kill a channel
 * @chan:	channel
 * @why:	for the log, or NULL for a silent end (the server closed it)
 *
 * Fails every queued and sent request with -EIO, makes the server's reads
 * fail with ENODEV and calls chan->dead once.  A request a server thread is
 * copying is ended by that thread.
 */
void muse_chan_abort(struct muse_chan *chan, const char *why)
{
	struct muse_req *req, *next;
	LIST_HEAD(ended);

	spin_lock(&chan->lock);
	if (!chan->connected) {
		spin_unlock(&chan->lock);
		return;
	}
	chan->connected = false;
	list_for_each_entry_safe(req, next, &chan->inflight, inflight) {
		if (req->state == MUSE_REQ_BUSY)
			continue;
		muse_req_unlink_locked(chan, req);
		list_add_tail(&req->pending, &ended);
	}
	spin_unlock(&chan->lock);

	if (why)
		pr_warn("%s: %s, aborting the connection\n", chan->label, why);
	list_for_each_entry_safe(req, next, &ended, pending) {
		list_del_init(&req->pending);
		muse_req_end(req, -EIO);
	}
	wake_up_all(&chan->waitq);
	chan->dead(chan);
}

static void muse_timeout_work(struct work_struct *work)
{
	struct muse_chan *chan = container_of(to_delayed_work(work),
					      struct muse_chan, timeout_work);
	unsigned long timeout;
	struct muse_req *oldest;
	bool expired = false;

	spin_lock(&chan->lock);
	timeout = muse_timeout_jiffies(chan);
	if (timeout && !list_empty(&chan->inflight)) {
		oldest = list_first_entry(&chan->inflight, struct muse_req,
					  inflight);
		if (time_after_eq(jiffies, oldest->queued_at + timeout))
			expired = true;
		else
			muse_arm_timeout_locked(chan);
	}
	spin_unlock(&chan->lock);

	if (expired)
		muse_chan_abort(chan, "a request was not answered in time");
}

/**
 * muse_chan_init() - set up a live channel
 * @chan:	zeroed channel
 * @label:	name for log lines; may change, must stay valid
 * @dead:	called once when the channel dies
 */
void muse_chan_init(struct muse_chan *chan, const char *label,
		    void (*dead)(struct muse_chan *chan))
{
	spin_lock_init(&chan->lock);
	init_waitqueue_head(&chan->waitq);
	INIT_LIST_HEAD(&chan->pending);
	INIT_LIST_HEAD(&chan->inflight);
	hash_init(chan->sent);
	INIT_DELAYED_WORK(&chan->timeout_work, muse_timeout_work);
	chan->next_unique = 1;
	chan->connected = true;
	chan->label = label;
	chan->dead = dead;

	mutex_lock(&muse_chans_lock);
	chan->timeout_secs = muse_default_timeout;
	list_add_tail(&chan->all, &muse_chans);
	mutex_unlock(&muse_chans_lock);
}

/**
 * muse_chan_destroy() - release a dead channel
 * @chan:	channel, aborted, with no request left
 */
void muse_chan_destroy(struct muse_chan *chan)
{
	mutex_lock(&muse_chans_lock);
	list_del(&chan->all);
	mutex_unlock(&muse_chans_lock);
	cancel_delayed_work_sync(&chan->timeout_work);
	WARN_ON_ONCE(!list_empty(&chan->inflight));
}

/**
 * muse_chan_connected() - whether the channel is alive
 * @chan:	channel
 *
 * Return: true until the channel was aborted.
 */
bool muse_chan_connected(struct muse_chan *chan)
{
	return READ_ONCE(chan->connected);
}

/**
 * muse_chan_waiting() - requests not answered yet
 * @chan:	channel
 *
 * Return: the number of queued, sent and in-copy requests.
 */
unsigned int muse_chan_waiting(struct muse_chan *chan)
{
	return READ_ONCE(chan->nr_inflight);
}

/**
 * muse_chan_timeout() - the channel's request timeout
 * @chan:	channel
 *
 * Return: seconds, 0 for never.
 */
unsigned int muse_chan_timeout(struct muse_chan *chan)
{
	return READ_ONCE(chan->timeout_secs);
}

/**
 * muse_chan_set_timeout() - change the request timeout
 * @chan:	channel
 * @secs:	seconds, 0 for never
 *
 * Covers the requests already waiting: their age counts from when they
 * were queued.
 */
void muse_chan_set_timeout(struct muse_chan *chan, unsigned int secs)
{
	spin_lock(&chan->lock);
	chan->timeout_secs = secs;
	spin_unlock(&chan->lock);
	/* Re-check at once with the new limit; the work re-arms itself. */
	mod_delayed_work(system_wq, &chan->timeout_work, 0);
}

/**
 * muse_chan_parse_timeout() - a request timeout written by an administrator
 * @buf:	decimal seconds
 * @secs:	receives them
 *
 * Return: 0, -EINVAL (not a number) or -ERANGE (above MUSE_TIMEOUT_LIMIT).
 */
int muse_chan_parse_timeout(const char *buf, unsigned int *secs)
{
	int err = kstrtouint(buf, 10, secs);

	if (err)
		return err;
	return *secs > MUSE_TIMEOUT_LIMIT ? -ERANGE : 0;
}

/**
 * muse_chan_set_default_timeout() - set every channel's request timeout
 * @secs:	seconds, 0 for never; also the initial value of new channels
 */
void muse_chan_set_default_timeout(unsigned int secs)
{
	struct muse_chan *chan;

	mutex_lock(&muse_chans_lock);
	muse_default_timeout = secs;
	list_for_each_entry(chan, &muse_chans, all)
		muse_chan_set_timeout(chan, secs);
	mutex_unlock(&muse_chans_lock);
}

/**
 * muse_chan_default_timeout() - the initial timeout of new channels
 *
 * Return: seconds, 0 for never.
 */
unsigned int muse_chan_default_timeout(void)
{
	return READ_ONCE(muse_default_timeout);
}

/*
 * The payload of READ and WRITE moves straight between the server and the
 * MTD caller's buffer.  That buffer may be a slab object without a usercopy
 * region (JFFS2 reads node headers into objects of its own caches), which
 * hardened usercopy would refuse; its size is the request's, checked by the
 * MTD core and against the reply, so the unchecked copy is used.
 */
bool muse_payload_to_iter(const void *buf, size_t len, struct iov_iter *to)
{
	return _copy_to_iter(buf, len, to) == len;
}

bool muse_payload_from_iter(void *buf, size_t len, struct iov_iter *from)
{
	return _copy_from_iter(buf, len, from) == len;
}

/* Copy one whole request to the server; the caller owns req (BUSY). */
static int muse_copy_request(const struct muse_req *req, struct iov_iter *to)
{
	struct fuse_in_header ih;
	unsigned int i;

	memset(&ih, 0, sizeof(ih));
	ih.len = muse_req_size(req);
	ih.opcode = req->opcode;
	ih.unique = req->unique;
	ih.nodeid = FUSE_ROOT_ID;
	ih.uid = req->uid;
	ih.gid = req->gid;
	ih.pid = req->pid;

	if (copy_to_iter(&ih, sizeof(ih), to) != sizeof(ih) ||
	    copy_to_iter(req->in, req->in_size, to) != req->in_size)
		return -EFAULT;
	for (i = 0; i < ARRAY_SIZE(req->payload); i++)
		if (!muse_payload_to_iter(req->payload[i],
					  req->payload_len[i], to))
			return -EFAULT;
	return 0;
}

static bool muse_chan_readable(struct muse_chan *chan)
{
	return !READ_ONCE(chan->connected) || !list_empty(&chan->pending);
}

/**
 * muse_chan_read() - hand the oldest queued request to the server
 * @chan:	channel
 * @iocb:	the read, for its non-blocking flags
 * @to:	the server's buffer, which must hold the whole request
 *
 * Return: bytes copied, -EAGAIN, -ENODEV when the channel is dead,
 * -EMSGSIZE (the request stays queued), -EFAULT (it stays queued too) or
 * -ERESTARTSYS.
 */
ssize_t muse_chan_read(struct muse_chan *chan, struct kiocb *iocb,
		       struct iov_iter *to)
{
	bool nonblock = (iocb->ki_filp->f_flags & O_NONBLOCK) ||
			(iocb->ki_flags & IOCB_NOWAIT);
	struct muse_req *req;
	size_t size;
	int err;

	spin_lock(&chan->lock);
	while (chan->connected && list_empty(&chan->pending)) {
		spin_unlock(&chan->lock);
		if (nonblock)
			return -EAGAIN;
		err = wait_event_interruptible_exclusive(chan->waitq,
							 muse_chan_readable(chan));
		if (err)
			return err;
		spin_lock(&chan->lock);
	}
	if (!chan->connected) {
		spin_unlock(&chan->lock);
		return -ENODEV;
	}

	req = list_first_entry(&chan->pending, struct muse_req, pending);
	size = muse_req_size(req);
	if (iov_iter_count(to) < size) {
		spin_unlock(&chan->lock);
		return -EMSGSIZE;
	}
	list_del_init(&req->pending);
	req->state = MUSE_REQ_BUSY;
	spin_unlock(&chan->lock);

	err = muse_copy_request(req, to);

	spin_lock(&chan->lock);
	if (!chan->connected) {
		/* Aborted meanwhile: the abort left it to us. */
		muse_req_unlink_locked(chan, req);
		spin_unlock(&chan->lock);
		muse_req_end(req, -EIO);
		return -ENODEV;
	}
	if (err) {
		/* The server's buffer faulted: another read takes it. */
		req->state = MUSE_REQ_QUEUED;
		list_add(&req->pending, &chan->pending);
	} else {
		req->state = MUSE_REQ_SENT;
		hash_add(chan->sent, &req->hnode, req->unique);
	}
	spin_unlock(&chan->lock);
	if (err)
		wake_up(&chan->waitq);
	return err ? err : size;
}

static struct muse_req *muse_take_sent(struct muse_chan *chan, u64 unique,
				       bool *connected)
{
	struct muse_req *req;

	spin_lock(&chan->lock);
	*connected = chan->connected;
	hash_for_each_possible(chan->sent, req, hnode, unique) {
		if (req->unique == unique) {
			hash_del(&req->hnode);
			req->state = MUSE_REQ_BUSY;
			spin_unlock(&chan->lock);
			return req;
		}
	}
	spin_unlock(&chan->lock);
	return NULL;
}

/**
 * muse_chan_write() - take one reply from the server
 * @chan:	channel
 * @from:	the whole reply: fuse_out_header and body
 *
 * Return: the reply's length; -EINVAL for a malformed reply (its request
 * fails with -EIO), -EFAULT, -ENOENT for a unique no request waits for,
 * -ENODEV once the channel is dead.
 */
ssize_t muse_chan_write(struct muse_chan *chan, struct iov_iter *from)
{
	size_t nbytes = iov_iter_count(from);
	struct fuse_out_header oh;
	struct muse_req *req;
	bool connected;
	u32 opcode;
	int err = 0;

	if (nbytes < sizeof(oh))
		return -EINVAL;
	if (copy_from_iter(&oh, sizeof(oh), from) != sizeof(oh))
		return -EFAULT;

	req = muse_take_sent(chan, oh.unique, &connected);
	if (!req)
		return connected ? -ENOENT : -ENODEV;

	opcode = req->opcode;
	if (oh.len != nbytes || !muse_reply_error_valid(oh.error) ||
	    (oh.error && nbytes != sizeof(oh)))
		err = -EINVAL;
	else if (oh.error)
		req->error = oh.error;
	else
		err = req->reply(req, nbytes - sizeof(oh), from);

	spin_lock(&chan->lock);
	muse_req_unlink_locked(chan, req);
	spin_unlock(&chan->lock);
	muse_req_end(req, err ? -EIO : req->error);

	if (err == -EINVAL)
		pr_warn_ratelimited("%s: malformed reply to request %llu (opcode %u), failing it\n",
				    chan->label, oh.unique, opcode);
	return err ? err : nbytes;
}

/**
 * muse_chan_poll() - readiness of the server's side
 * @chan:	channel
 * @file:	the /dev/muse file
 * @wait:	poll table
 *
 * Return: EPOLLIN when a request is queued, EPOLLOUT always while alive,
 * EPOLLERR once dead.
 */
__poll_t muse_chan_poll(struct muse_chan *chan, struct file *file,
			poll_table *wait)
{
	__poll_t mask;

	poll_wait(file, &chan->waitq, wait);

	spin_lock(&chan->lock);
	if (!chan->connected) {
		mask = EPOLLERR;
	} else {
		mask = EPOLLOUT | EPOLLWRNORM;
		if (!list_empty(&chan->pending))
			mask |= EPOLLIN | EPOLLRDNORM;
	}
	spin_unlock(&chan->lock);
	return mask;
}
