// SPDX-License-Identifier: GPL-2.0-only
/*
 * MUSE: MTD in userspace.  A connection's lifetime: the INIT handshake,
 * the MTD's registration, its users, and its unregistration.
 *
 * - The INIT reply is checked inside the server's write(); an accepted one
 *   registers the MTD from a work item, so that the server's threads are
 *   free to answer what registration asks (ISBAD of every partition
 *   block, I/O of MTD notifiers) and a registration that fails half way
 *   can unwind without waiting on the thread that would have to answer.
 * - The MTD stays registered while it has users (_get_device() minus
 *   _put_device()), even after the connection died: their I/O fails with
 *   -EIO (or -ENODEV), and no new user can attach.  Once the connection is
 *   dead and the last user let go, a work item unregisters the MTD and
 *   its partitions, those a user added with BLKPG among them, before the
 *   connection's memory goes.  Unregistering never happens under the MTD
 *   core's mtd_table_mutex, which _put_device() is called with.
 * - References: the open file holds one, an accepted INIT one more until
 *   the MTD is unregistered; the last one frees the connection and drops
 *   the module reference every connection holds.  The work items run on
 *   the module's own workqueue, which module unload drains.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/idr.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "muse_compat.h"
#include "muse_conn.h"

static struct workqueue_struct *muse_wq;
static DEFINE_IDA(muse_conn_ida);

/* The server's partitions and nothing else: no mtdparts= override. */
static const char * const muse_no_parsers[] = { NULL };

/**
 * muse_conn_module_init() - set up what every connection shares
 *
 * Return: 0 or -ENOMEM.
 */
int muse_conn_module_init(void)
{
	muse_wq = alloc_workqueue("muse", WQ_UNBOUND, 0);
	return muse_wq ? 0 : -ENOMEM;
}

/** muse_conn_module_exit() - undo muse_conn_module_init() */
void muse_conn_module_exit(void)
{
	destroy_workqueue(muse_wq);
	ida_destroy(&muse_conn_ida);
}

static void muse_conn_put(struct muse_conn *conn)
{
	if (!refcount_dec_and_test(&conn->ref))
		return;
	muse_sysfs_remove(conn);
	muse_chan_destroy(&conn->chan);
	muse_mtd_teardown(conn);
	/* Done at the death already; a no-op then. */
	muse_pt_drop(conn);
	kfree(conn->parts);
	ida_free(&muse_conn_ida, conn->id);
	kfree(conn);
	/* Last: only the running work or file keeps the module now. */
	module_put(THIS_MODULE);
}

/* Unregister once the connection is dead and the MTD has no user. */
static void muse_conn_maybe_unregister(struct muse_conn *conn)
{
	bool go;

	spin_lock(&conn->lock);
	go = conn->registered && !conn->unregistering && !conn->users &&
	     !muse_chan_connected(&conn->chan);
	if (go)
		conn->unregistering = true;
	spin_unlock(&conn->lock);
	if (go)
		queue_work(muse_wq, &conn->unregister_work);
}

static void muse_conn_dead(struct muse_chan *chan)
{
	struct muse_conn *conn = container_of(chan, struct muse_conn, chan);

	muse_pt_drop(conn);
	muse_conn_maybe_unregister(conn);
}

static void muse_unregister_work(struct work_struct *work)
{
	struct muse_conn *conn = container_of(work, struct muse_conn,
					      unregister_work);
	int err;

	err = mtd_device_unregister(&conn->mtd);
	if (err) {
		/* Still registered: the memory must stay. */
		pr_err("%s: cannot unregister the MTD (%d), leaking it\n",
		       conn->name, err);
		return;
	}
	spin_lock(&conn->lock);
	conn->registered = false;
	spin_unlock(&conn->lock);
	muse_conn_put(conn);
}

/* The server's answer to MUSE_REGISTERED has no body. */
static int muse_registered_reply(struct muse_req *req, size_t body,
				 struct iov_iter *from)
{
	return body ? -EINVAL : 0;
}

/* A successful registration's notification ended; nobody waits on it. */
static void muse_registered_end(struct muse_req *req)
{
	struct muse_conn *conn = container_of(req, struct muse_conn, reg_req);

	if (req->error && req->error != -EIO)
		pr_warn("%s: server answered REGISTERED with %d\n", conn->name,
			req->error);
}

/*
 * Describe what registering gave: the whole device's index (unless the
 * MTD core registers only the partitions, CONFIG_MTD_PARTITIONED_MASTER
 * off) and the first @nr_parts children, which are PARTSCMDLINE's in its
 * order (the core appends each child it adds).
 */
static void muse_registered_fill(struct muse_conn *conn, int err,
				 int nr_parts)
{
	struct muse_registered_in *in = &conn->reg_in;
	struct mtd_info *mtd = &conn->mtd, *child;
	u32 nr = 0;

	memset(in, 0, sizeof(*in));
	in->error = err;
	in->conn_id = conn->id;
	in->index = -1;
	if (err)
		return;
	if (device_is_registered(&mtd->dev))
		in->index = mtd->index;
	mutex_lock(&mtd->master.partitions_lock);
	list_for_each_entry(child, &mtd->partitions, part.node) {
		struct muse_registered_part *part;

		if (nr == nr_parts || nr == MUSE_PARTS_MAX)
			break;
		part = &conn->reg_parts[nr];
		memset(part, 0, sizeof(*part));
		part->index = child->index;
		part->offset = child->part.offset;
		part->size = child->size;
		memcpy(part->name, child->name,
		       strnlen(child->name, sizeof(part->name)));
		nr++;
	}
	mutex_unlock(&mtd->master.partitions_lock);
	in->nr_parts = nr;
}

/*
 * Tell a server that negotiated MUSE_EXT_REGISTERED how registration
 * went.  A failure is waited for, so that the server has read it before
 * the caller ends the connection (which fails queued requests unread); a
 * success is not, the MTD's users must not wait on the server.
 */
static void muse_registered_notify(struct muse_conn *conn, int err,
				   int nr_parts)
{
	struct muse_req *req = &conn->reg_req;
	int ret;

	if (!(conn->ext_flags & MUSE_EXT_REGISTERED))
		return;
	muse_registered_fill(conn, err, nr_parts);
	muse_req_init(req, MUSE_REGISTERED, &conn->reg_in,
		      sizeof(conn->reg_in), muse_registered_reply);
	req->payload[0] = conn->reg_parts;
	req->payload_len[0] = conn->reg_in.nr_parts *
			      sizeof(struct muse_registered_part);
	if (!err) {
		req->end = muse_registered_end;
		/* A dead channel: the server is gone, nobody to tell. */
		muse_chan_queue(&conn->chan, req);
		return;
	}
	ret = muse_chan_send(&conn->chan, req);
	if (ret && ret != -EIO && ret != -ENODEV)
		pr_warn("%s: server answered REGISTERED with %d\n", conn->name,
			ret);
}

static void muse_register_work(struct work_struct *work)
{
	struct muse_conn *conn = container_of(work, struct muse_conn,
					      register_work);
	struct muse_parts *parts = conn->parts;
	int nr_parts = parts ? parts->nr : 0;
	int err;

	err = mtd_device_parse_register(&conn->mtd, muse_no_parsers, NULL,
					parts ? parts->parts : NULL, nr_parts);
	conn->parts = NULL;
	kfree(parts);
	if (err) {
		pr_err("%s: registering the MTD failed: %d\n", conn->name, err);
		muse_registered_notify(conn, err, 0);
		muse_chan_abort(&conn->chan, NULL);
		muse_conn_put(conn);
		return;
	}
	pr_info("%s: registered %llu bytes, %s I/O unit %u\n", conn->name,
		conn->mtd.size, conn->extended ? "extended" : "compat",
		conn->unit);
	spin_lock(&conn->lock);
	conn->registered = true;
	spin_unlock(&conn->lock);
	muse_registered_notify(conn, 0, nr_parts);
	/* The connection may have died while registering. */
	muse_conn_maybe_unregister(conn);
}

static int muse_mtd_get_device(struct mtd_info *mtd)
{
	struct muse_conn *conn = muse_conn_of(muse_get_device_master(mtd));
	int err = 0;

	spin_lock(&conn->lock);
	if (muse_chan_connected(&conn->chan))
		conn->users++;
	else
		err = -ENODEV;
	spin_unlock(&conn->lock);
	return err;
}

static void muse_mtd_put_device(struct mtd_info *mtd)
{
	struct muse_conn *conn = muse_conn_of(mtd);

	spin_lock(&conn->lock);
	conn->users--;
	spin_unlock(&conn->lock);
	muse_conn_maybe_unregister(conn);
}

/* Fill in the MTD and the negotiated state from a checked description. */
static int muse_conn_apply(struct muse_conn *conn,
			   const struct muse_desc *desc)
{
	struct mtd_info *mtd = &conn->mtd;
	u32 unit = desc->writebufsize;
	int err;

	conn->ext_flags = desc->extended ? desc->out.flags : 0;
	conn->extended = conn->ext_flags != 0;
	if (conn->ext_flags & MUSE_EXT_LARGE_IO) {
		unit = min3(conn->max_io, desc->out.max_read,
			    desc->out.max_write);
		unit = rounddown(unit, (u32)desc->writebufsize);
	}
	conn->unit = unit;
	strscpy(conn->name, desc->name, sizeof(conn->name));

	mtd->name = conn->name;
	mtd->type = desc->type;
	mtd->flags = desc->flags;
	mtd->size = desc->size;
	mtd->writesize = desc->writesize;
	mtd->erasesize = desc->erasesize;
	mtd->writebufsize = desc->writebufsize;
	mtd->oobsize = desc->oobsize;
	mtd->oobavail = desc->oobavail;
	mtd->subpage_sft = desc->subpage_shift;
	mtd->ecc_strength = desc->ecc_strength;
	mtd->ecc_step_size = desc->ecc_step;
	mtd->bitflip_threshold = desc->bitflip_threshold;

	if (desc->parts) {
		conn->parts = kzalloc(sizeof(*conn->parts), GFP_KERNEL);
		if (!conn->parts)
			return -ENOMEM;
		err = muse_parse_partitions(desc->parts, mtd, conn->parts);
		if (err)
			return err;
	}
	err = muse_mtd_setup(conn);
	if (err)
		return err;
	mtd->_get_device = muse_mtd_get_device;
	mtd->_put_device = muse_mtd_put_device;
	return 0;
}

/* Check the INIT reply inside the server's write(): EINVAL refuses it. */
static int muse_init_reply(struct muse_req *req, size_t body,
			   struct iov_iter *from)
{
	struct muse_conn *conn = container_of(req, struct muse_conn,
					      init_req);
	struct muse_desc *desc;
	u8 *buf;
	int err;

	if (body > sizeof(struct muse_init_out) + MUSE_INIT_INFO_MAX) {
		pr_warn("INIT rejected: reply body of %zu bytes is too long\n",
			body);
		return -EINVAL;
	}
	desc = kzalloc(sizeof(*desc), GFP_KERNEL);
	buf = kmalloc(body, GFP_KERNEL);
	err = -ENOMEM;
	if (!desc || !buf)
		goto out;
	err = -EFAULT;
	if (copy_from_iter(buf, body, from) != body)
		goto out;
	err = muse_desc_parse(desc, buf, body, conn->max_io);
	if (!err)
		err = muse_conn_apply(conn, desc);
out:
	kfree(buf);
	kfree(desc);
	return err;
}

/* The INIT request ended: register, or end the connection. */
static void muse_init_end(struct muse_req *req)
{
	struct muse_conn *conn = container_of(req, struct muse_conn,
					      init_req);

	if (req->error || !muse_chan_connected(&conn->chan)) {
		if (req->error && req->error != -EIO)
			pr_warn("server failed INIT with error %d\n",
				req->error);
		muse_chan_abort(&conn->chan, NULL);
		return;
	}
	refcount_inc(&conn->ref);
	queue_work(muse_wq, &conn->register_work);
}

/**
 * muse_conn_open() - a new connection, with MUSE_INIT queued
 * @max_io:	largest READ/WRITE payload to offer
 * @parent:	device the MTD appears under in sysfs
 *
 * Return: the connection, or an ERR_PTR().
 */
struct muse_conn *muse_conn_open(u32 max_io, struct device *parent)
{
	struct muse_conn *conn;
	int err;

	conn = kzalloc(sizeof(*conn), GFP_KERNEL);
	if (!conn)
		return ERR_PTR(-ENOMEM);
	conn->id = ida_alloc(&muse_conn_ida, GFP_KERNEL);
	if (conn->id < 0) {
		err = conn->id;
		kfree(conn);
		return ERR_PTR(err);
	}
	refcount_set(&conn->ref, 1);
	spin_lock_init(&conn->lock);
	muse_pt_init(&conn->pt);
	muse_ke_init(&conn->ke);
	muse_kp_init(conn);
	INIT_WORK(&conn->register_work, muse_register_work);
	INIT_WORK(&conn->unregister_work, muse_unregister_work);
	conn->pid = task_tgid_nr(current);
	conn->max_io = max_io;
	conn->mtd.dev.parent = parent;
	snprintf(conn->name, sizeof(conn->name), "connection %d", conn->id);
	muse_chan_init(&conn->chan, conn->name, muse_conn_dead);
	/* Dropped by the connection's last muse_conn_put(). */
	__module_get(THIS_MODULE);

	err = muse_sysfs_add(conn);
	if (err) {
		muse_chan_abort(&conn->chan, NULL);
		muse_conn_put(conn);
		return ERR_PTR(err);
	}

	conn->init_in.fuse_major = MUSE_FUSE_KERNEL_VERSION;
	conn->init_in.fuse_minor = FUSE_KERNEL_MINOR_VERSION;
	conn->init_in.flags = MUSE_EXT_ALL;
	conn->init_in.max_io = max_io;
	muse_req_init(&conn->init_req, MUSE_INIT, &conn->init_in,
		      sizeof(conn->init_in), muse_init_reply);
	conn->init_req.end = muse_init_end;
	muse_chan_queue(&conn->chan, &conn->init_req);
	return conn;
}

/**
 * muse_conn_close() - the server's file is released
 * @conn:	connection
 *
 * Ends every request; the MTD goes once its users let go.
 */
void muse_conn_close(struct muse_conn *conn)
{
	muse_chan_abort(&conn->chan, NULL);
	muse_conn_put(conn);
}
