// SPDX-License-Identifier: GPL-2.0-only
/*
 * MUSE: MTD in userspace.  The /dev/muse character device: connections,
 * the request queue, and the read/write side a userspace server talks to.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/jiffies.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uio.h>

#include "muse_conn.h"

unsigned int muse_max_io = 256 * 1024;
module_param_named(max_io, muse_max_io, uint, 0444);
MODULE_PARM_DESC(max_io,
		 "Largest READ/WRITE payload offered to servers in bytes, a multiple of 4096 (default 262144)");

static unsigned int request_timeout;
module_param(request_timeout, uint, 0644);
MODULE_PARM_DESC(request_timeout,
		 "Abort a connection whose request stays unanswered this many seconds (default 0: never)");

/* Upper bound of max_io: keeps every request length well inside a u32. */
#define MUSE_MAX_IO_LIMIT	(16U * 1024 * 1024)
/* A longer request_timeout is as good as never and cannot overflow. */
#define MUSE_TIMEOUT_LIMIT	(24U * 3600)

static struct miscdevice muse_misc;

static unsigned long muse_timeout_jiffies(void)
{
	unsigned int secs = min(READ_ONCE(request_timeout), MUSE_TIMEOUT_LIMIT);

	return secs ? msecs_to_jiffies(secs * MSEC_PER_SEC) : 0;
}

/**
 * muse_req_init() - prepare a request before filling in its body
 * @req:	request, usually on the caller's stack
 * @opcode:	MUSE_* opcode
 * @in_size:	bytes of @req->in to send
 *
 * Zeroes everything, padding included, so that nothing of the kernel
 * stack reaches userspace.
 */
void muse_req_init(struct muse_req *req, u32 opcode, u32 in_size)
{
	memset(req, 0, sizeof(*req));
	INIT_LIST_HEAD(&req->list);
	req->opcode = opcode;
	req->in_size = in_size;
	init_completion(&req->done);
}

/* Whole length of the request as the server reads it. */
static size_t muse_req_size(const struct muse_req *req)
{
	size_t size = sizeof(struct fuse_in_header) + req->in_size;

	if (req->opcode == MUSE_WRITE)
		size += req->datalen + req->ooblen;
	return size;
}

static void muse_req_end_locked(struct muse_conn *conn, struct muse_req *req,
				int error)
{
	lockdep_assert_held(&conn->lock);
	list_del_init(&req->list);
	req->error = error;
	req->state = MUSE_REQ_DONE;
	complete(&req->done);
}

static void muse_queue_locked(struct muse_conn *conn, struct muse_req *req)
{
	unsigned long timeout = muse_timeout_jiffies();

	lockdep_assert_held(&conn->lock);
	req->unique = conn->next_unique++;
	req->queued_at = jiffies;
	req->uid = from_kuid_munged(&init_user_ns, current_fsuid());
	req->gid = from_kgid_munged(&init_user_ns, current_fsgid());
	req->pid = task_tgid_nr(current);
	req->state = MUSE_REQ_QUEUED;
	list_add_tail(&req->list, &conn->pending);
	/* No-op while armed: the oldest request's deadline comes first. */
	if (timeout)
		schedule_delayed_work(&conn->timeout_work, timeout);
	wake_up(&conn->waitq);
}

/**
 * muse_send() - queue a request and wait for the server's answer
 * @conn:	connection
 * @req:	request prepared with muse_req_init() and filled in
 *
 * Return: 0 or the request's negative errno: the server's, -EIO when
 * its reply was malformed or the connection died, -ENODEV when the
 * connection was already dead, -EINTR when the caller was killed.
 */
int muse_send(struct muse_conn *conn, struct muse_req *req)
{
	spin_lock(&conn->lock);
	if (!conn->connected) {
		spin_unlock(&conn->lock);
		return -ENODEV;
	}
	muse_queue_locked(conn, req);
	spin_unlock(&conn->lock);

	if (wait_for_completion_killable(&req->done)) {
		spin_lock(&conn->lock);
		if (req->state == MUSE_REQ_QUEUED ||
		    req->state == MUSE_REQ_SENT) {
			/* A late reply will get ENOENT. */
			list_del_init(&req->list);
			req->state = MUSE_REQ_DONE;
			spin_unlock(&conn->lock);
			return -EINTR;
		}
		spin_unlock(&conn->lock);
		/* A server thread is copying it: that ends soon. */
		wait_for_completion(&req->done);
	}
	return req->error;
}

/**
 * muse_abort() - kill a connection
 * @conn:	connection
 *
 * Fails every queued and sent request with -EIO at once and makes the
 * server's reads fail with ENODEV.  A request a server thread is copying
 * is not on the lists; that thread completes it when it is done.
 */
void muse_abort(struct muse_conn *conn)
{
	struct muse_req *req, *next;

	spin_lock(&conn->lock);
	conn->connected = false;
	list_for_each_entry_safe(req, next, &conn->pending, list)
		muse_req_end_locked(conn, req, -EIO);
	list_for_each_entry_safe(req, next, &conn->processing, list)
		muse_req_end_locked(conn, req, -EIO);
	spin_unlock(&conn->lock);
	wake_up_all(&conn->waitq);
}

/**
 * muse_conn_get() - take a reference for an MTD user
 * @conn:	connection
 *
 * Return: 0, or -ENODEV once the connection is dead, so that no new user
 * attaches to an MTD that can only fail.
 */
int muse_conn_get(struct muse_conn *conn)
{
	int err = 0;

	spin_lock(&conn->lock);
	if (conn->connected)
		refcount_inc(&conn->ref);
	else
		err = -ENODEV;
	spin_unlock(&conn->lock);
	return err;
}

/**
 * muse_conn_put() - drop a reference, freeing the connection on the last
 * @conn:	connection
 *
 * The MTD core calls module_put() before _put_device(), so the module may
 * only rely on the reference every connection holds on it: that one is
 * dropped here, as the last statement, like mtd_device_release() does.
 */
void muse_conn_put(struct muse_conn *conn)
{
	if (!refcount_dec_and_test(&conn->ref))
		return;
	bitmap_free(conn->known_bad);
	kfree(conn);
	module_put(THIS_MODULE);
}

static void muse_timeout_work(struct work_struct *work)
{
	struct muse_conn *conn = container_of(to_delayed_work(work),
					      struct muse_conn, timeout_work);
	unsigned long timeout = muse_timeout_jiffies();
	unsigned long oldest = jiffies;
	struct muse_req *req;
	bool expired = false;
	bool any = false;

	if (!timeout)
		return;

	spin_lock(&conn->lock);
	list_for_each_entry(req, &conn->pending, list) {
		if (!any || time_before(req->queued_at, oldest))
			oldest = req->queued_at;
		any = true;
	}
	list_for_each_entry(req, &conn->processing, list) {
		if (!any || time_before(req->queued_at, oldest))
			oldest = req->queued_at;
		any = true;
	}
	if (any) {
		if (time_after_eq(jiffies, oldest + timeout))
			expired = true;
		else
			schedule_delayed_work(&conn->timeout_work,
					      oldest + timeout - jiffies);
	}
	spin_unlock(&conn->lock);

	if (expired) {
		pr_warn("%s: a request was not answered within %u ms, aborting the connection\n",
			conn->name[0] ? conn->name : "(before INIT)",
			jiffies_to_msecs(timeout));
		muse_abort(conn);
	}
}

static int muse_dev_open(struct inode *inode, struct file *file)
{
	struct muse_conn *conn;
	struct muse_req *init;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;

	conn = kzalloc(sizeof(*conn), GFP_KERNEL);
	if (!conn)
		return -ENOMEM;

	spin_lock_init(&conn->lock);
	init_waitqueue_head(&conn->waitq);
	INIT_LIST_HEAD(&conn->pending);
	INIT_LIST_HEAD(&conn->processing);
	INIT_DELAYED_WORK(&conn->timeout_work, muse_timeout_work);
	refcount_set(&conn->ref, 1);
	conn->next_unique = 1;
	conn->connected = true;
	conn->mtd.dev.parent = muse_misc.this_device;

	init = &conn->init_req;
	muse_req_init(init, MUSE_INIT, sizeof(init->in.init));
	init->in.init.fuse_major = MUSE_FUSE_KERNEL_VERSION;
	init->in.init.fuse_minor = FUSE_KERNEL_MINOR_VERSION;
	init->in.init.flags = MUSE_EXT_ALL;
	init->in.init.max_io = muse_max_io;

	/* Dropped by the connection's last muse_conn_put(). */
	__module_get(THIS_MODULE);

	spin_lock(&conn->lock);
	muse_queue_locked(conn, init);
	spin_unlock(&conn->lock);

	file->private_data = conn;
	return stream_open(inode, file);
}

static int muse_dev_release(struct inode *inode, struct file *file)
{
	struct muse_conn *conn = file->private_data;
	int err;

	muse_abort(conn);
	cancel_delayed_work_sync(&conn->timeout_work);

	if (conn->registered) {
		/*
		 * Since 6.1 this succeeds while users hold the MTD: it is
		 * released on their last put_mtd_device(), whose
		 * _put_device() drops their connection references.
		 */
		err = mtd_device_unregister(&conn->mtd);
		if (err) {
			/* Still registered: the memory must stay. */
			pr_err("%s: cannot unregister the MTD (%d), leaking it\n",
			       conn->name, err);
			return 0;
		}
	}
	muse_conn_put(conn);
	return 0;
}

static bool muse_readable(struct muse_conn *conn)
{
	return !READ_ONCE(conn->connected) || !list_empty(&conn->pending);
}

/*
 * The payload of READ and WRITE moves straight between the server and the
 * MTD caller's buffer.  That buffer may be a slab object without a usercopy
 * region (JFFS2 reads node headers into objects of its own caches), which
 * hardened usercopy would refuse; its size is the request's, checked by the
 * MTD core and here against the reply, so the unchecked copy is used.
 */
static bool muse_payload_to_iter(const void *buf, size_t len,
				 struct iov_iter *to)
{
	return _copy_to_iter(buf, len, to) == len;
}

static bool muse_payload_from_iter(void *buf, size_t len,
				   struct iov_iter *from)
{
	return _copy_from_iter(buf, len, from) == len;
}

/* Copy one whole request to the server; the caller owns req (BUSY). */
static int muse_copy_request(struct muse_req *req, struct iov_iter *to)
{
	struct fuse_in_header ih;

	memset(&ih, 0, sizeof(ih));
	ih.len = muse_req_size(req);
	ih.opcode = req->opcode;
	ih.unique = req->unique;
	ih.nodeid = FUSE_ROOT_ID;
	ih.uid = req->uid;
	ih.gid = req->gid;
	ih.pid = req->pid;

	if (copy_to_iter(&ih, sizeof(ih), to) != sizeof(ih) ||
	    copy_to_iter(&req->in, req->in_size, to) != req->in_size)
		return -EFAULT;
	if (req->opcode != MUSE_WRITE)
		return 0;
	if (!muse_payload_to_iter(req->data, req->datalen, to) ||
	    !muse_payload_to_iter(req->oob, req->ooblen, to))
		return -EFAULT;
	return 0;
}

static ssize_t muse_dev_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct muse_conn *conn = iocb->ki_filp->private_data;
	bool nonblock = (iocb->ki_filp->f_flags & O_NONBLOCK) ||
			(iocb->ki_flags & IOCB_NOWAIT);
	struct muse_req *req;
	size_t size;
	int err;

	spin_lock(&conn->lock);
	while (conn->connected && list_empty(&conn->pending)) {
		spin_unlock(&conn->lock);
		if (nonblock)
			return -EAGAIN;
		err = wait_event_interruptible(conn->waitq,
					       muse_readable(conn));
		if (err)
			return err;
		spin_lock(&conn->lock);
	}
	if (!conn->connected) {
		spin_unlock(&conn->lock);
		return -ENODEV;
	}

	req = list_first_entry(&conn->pending, struct muse_req, list);
	size = muse_req_size(req);
	if (iov_iter_count(to) < size) {
		/* Left queued: the server may retry with a larger buffer. */
		spin_unlock(&conn->lock);
		return -EMSGSIZE;
	}
	list_del_init(&req->list);
	req->state = MUSE_REQ_BUSY;
	spin_unlock(&conn->lock);

	err = muse_copy_request(req, to);

	spin_lock(&conn->lock);
	if (!conn->connected) {
		muse_req_end_locked(conn, req, -EIO);
	} else if (err) {
		/* The server's buffer faulted: it may read the request again. */
		req->state = MUSE_REQ_QUEUED;
		list_add(&req->list, &conn->pending);
	} else {
		req->state = MUSE_REQ_SENT;
		list_add_tail(&req->list, &conn->processing);
	}
	spin_unlock(&conn->lock);
	return err ? err : size;
}

static bool muse_errno_valid(s32 error)
{
	return error <= 0 && error >= -MAX_ERRNO;
}

/*
 * Validate a READ reply body and copy its data straight into the caller's
 * buffers.  Data moves only once everything about the reply checked out.
 */
static int muse_copy_read_reply(struct muse_conn *conn, struct muse_req *req,
				size_t body, struct iov_iter *from)
{
	struct muse_read_out *out = &req->out.read;
	size_t out_size = conn->extended ? sizeof(*out) :
			  MUSE_COMPAT_READ_OUT_SIZE;
	s32 soft_error;

	if (body < out_size || copy_from_iter(out, out_size, from) != out_size)
		return -EINVAL;
	if (out->datalen != req->datalen ||
	    (conn->extended && out->ooblen != req->ooblen) ||
	    body != out_size + req->datalen + req->ooblen)
		return -EINVAL;
	if (!(conn->ext_flags & MUSE_EXT_ECC_STATS)) {
		out->max_bitflips = 0;
		out->corrected = 0;
		out->failed = 0;
	}

	soft_error = out->soft_error;
	if (!muse_errno_valid(soft_error))
		return -EINVAL;
	if (soft_error && soft_error != -EUCLEAN && soft_error != -EBADMSG) {
		/* A hard error: the data that came along is not delivered. */
		req->error = soft_error;
		return 0;
	}

	if (!muse_payload_from_iter(req->data, req->datalen, from) ||
	    !muse_payload_from_iter(req->oob, req->ooblen, from))
		return -EFAULT;
	return 0;
}

static int muse_copy_write_reply(struct muse_conn *conn, struct muse_req *req,
				 size_t body, struct iov_iter *from)
{
	struct muse_write_out *out = &req->out.write;
	size_t out_size = conn->extended ? sizeof(*out) :
			  MUSE_COMPAT_WRITE_OUT_SIZE;
	s32 soft_error;

	if (body != out_size || copy_from_iter(out, out_size, from) != out_size)
		return -EINVAL;
	soft_error = out->soft_error;
	if (out->datalen != req->datalen ||
	    (conn->extended && out->ooblen != req->ooblen) ||
	    !muse_errno_valid(soft_error))
		return -EINVAL;
	req->error = soft_error;
	return 0;
}

/*
 * Check a reply against the request it answers and store its result in
 * req.  Returns 0, -EINVAL for a malformed reply or -EFAULT when the
 * server's buffer could not be read; in both error cases the request
 * fails with -EIO.
 */
static int muse_copy_reply(struct muse_conn *conn, struct muse_req *req,
			   const struct fuse_out_header *oh,
			   struct iov_iter *from)
{
	size_t body = oh->len - sizeof(*oh);
	struct muse_isbad_out *isbad = &req->out.isbad;

	if (!muse_errno_valid(oh->error))
		return -EINVAL;
	if (oh->error) {
		if (body)
			return -EINVAL;
		/*
		 * A READ that failed as a whole delivered no data, so it
		 * must not look like a bit-flip report that promises data.
		 */
		if (req->opcode == MUSE_READ &&
		    (oh->error == -EUCLEAN || oh->error == -EBADMSG))
			req->error = -EIO;
		else
			req->error = oh->error;
		return 0;
	}

	switch (req->opcode) {
	case MUSE_READ:
		return muse_copy_read_reply(conn, req, body, from);
	case MUSE_WRITE:
		return muse_copy_write_reply(conn, req, body, from);
	case MUSE_ISBAD:
		if (body != sizeof(*isbad) ||
		    copy_from_iter(isbad, sizeof(*isbad), from) != sizeof(*isbad))
			return -EINVAL;
		return isbad->result > 1 ? -EINVAL : 0;
	default:
		/* ERASE, MARKBAD and SYNC replies have no body. */
		return body ? -EINVAL : 0;
	}
}

static ssize_t muse_dev_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct muse_conn *conn = iocb->ki_filp->private_data;
	size_t nbytes = iov_iter_count(from);
	struct fuse_out_header oh;
	struct muse_req *req = NULL, *pos;
	bool connected;
	u32 opcode;
	int err;

	if (nbytes < sizeof(oh))
		return -EINVAL;
	if (copy_from_iter(&oh, sizeof(oh), from) != sizeof(oh))
		return -EFAULT;

	spin_lock(&conn->lock);
	connected = conn->connected;
	list_for_each_entry(pos, &conn->processing, list) {
		if (pos->unique == oh.unique) {
			req = pos;
			list_del_init(&req->list);
			req->state = MUSE_REQ_BUSY;
			break;
		}
	}
	spin_unlock(&conn->lock);
	if (!req)
		return connected ? -ENOENT : -ENODEV;

	/* It ends the request and kills the connection on failure. */
	if (req == &conn->init_req)
		return muse_process_init_reply(conn, &oh, nbytes, from);

	opcode = req->opcode;
	if (oh.len != nbytes)
		err = -EINVAL;
	else
		err = muse_copy_reply(conn, req, &oh, from);

	/* Once ended, req belongs to its waiter again: do not touch it. */
	spin_lock(&conn->lock);
	muse_req_end_locked(conn, req, err ? -EIO : req->error);
	spin_unlock(&conn->lock);
	if (err == -EINVAL)
		pr_warn_ratelimited("%s: malformed reply to request %llu (opcode %u), failing it\n",
				    conn->name, oh.unique, opcode);
	return err ? err : nbytes;
}

static __poll_t muse_dev_poll(struct file *file, poll_table *wait)
{
	struct muse_conn *conn = file->private_data;
	__poll_t mask;

	poll_wait(file, &conn->waitq, wait);

	spin_lock(&conn->lock);
	if (!conn->connected) {
		mask = EPOLLERR;
	} else {
		mask = EPOLLOUT | EPOLLWRNORM;
		if (!list_empty(&conn->pending))
			mask |= EPOLLIN | EPOLLRDNORM;
	}
	spin_unlock(&conn->lock);
	return mask;
}

static const struct file_operations muse_dev_fops = {
	.owner		= THIS_MODULE,
	.open		= muse_dev_open,
	.release	= muse_dev_release,
	.read_iter	= muse_dev_read_iter,
	.write_iter	= muse_dev_write_iter,
	.poll		= muse_dev_poll,
};

static struct miscdevice muse_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "muse",
	.fops	= &muse_dev_fops,
};

static int __init muse_init(void)
{
	if (muse_max_io < SZ_4K || muse_max_io > MUSE_MAX_IO_LIMIT ||
	    muse_max_io % SZ_4K) {
		pr_err("max_io must be a multiple of 4096 from 4096 to %u, not %u\n",
		       MUSE_MAX_IO_LIMIT, muse_max_io);
		return -EINVAL;
	}
	return misc_register(&muse_misc);
}

static void __exit muse_exit(void)
{
	misc_deregister(&muse_misc);
}

module_init(muse_init);
module_exit(muse_exit);

MODULE_AUTHOR("libmuse developers");
MODULE_DESCRIPTION("MUSE: MTD devices backed by a userspace server through /dev/muse");
MODULE_LICENSE("GPL");
