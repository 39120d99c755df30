// SPDX-License-Identifier: GPL-2.0-only
/*
 * MUSE: MTD in userspace.  The module, its parameters and the /dev/muse
 * character device a userspace server opens, reads and writes.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/sizes.h>

#include "muse_conn.h"

static unsigned int muse_max_io = 256 * 1024;
module_param_named(max_io, muse_max_io, uint, 0444);
MODULE_PARM_DESC(max_io,
		 "Largest READ/WRITE payload offered to servers in bytes, a multiple of 4096 (default 262144)");

static int muse_timeout_set(const char *val, const struct kernel_param *kp)
{
	unsigned int secs;
	int err = muse_chan_parse_timeout(val, &secs);

	if (!err)
		muse_chan_set_default_timeout(secs);
	return err;
}

static int muse_timeout_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%u\n", muse_chan_default_timeout());
}

static const struct kernel_param_ops muse_timeout_ops = {
	.set = muse_timeout_set,
	.get = muse_timeout_get,
};
module_param_cb(request_timeout, &muse_timeout_ops, NULL, 0644);
MODULE_PARM_DESC(request_timeout,
		 "Seconds a request may stay unanswered before its connection is aborted; sets every connection's (default 0: never, for servers stopped in a debugger)");

/* Upper bound of max_io: keeps every request length well inside a u32. */
#define MUSE_MAX_IO_LIMIT	(16U * 1024 * 1024)

static struct miscdevice muse_misc;

static int muse_dev_open(struct inode *inode, struct file *file)
{
	struct muse_conn *conn;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	conn = muse_conn_open(muse_max_io, muse_misc.this_device);
	if (IS_ERR(conn))
		return PTR_ERR(conn);
	file->private_data = conn;
	return stream_open(inode, file);
}

/*
 * The connection ends when its last file descriptor is closed, not only
 * when the file is released: a process that exits holding both the last
 * /dev/muse descriptor and an open /dev/mtdN closes them all before the
 * deferred releases run, and /dev/mtdN's release syncs the MTD.  Ending the
 * connection here makes that sync fail at once instead of waiting for a
 * server that can never answer (its file's release is queued behind it).
 */
static int muse_dev_flush(struct file *file, fl_owner_t id)
{
	struct muse_conn *conn = file->private_data;

	if (file_count(file) == 1)
		muse_chan_abort(&conn->chan, NULL);
	return 0;
}

static int muse_dev_release(struct inode *inode, struct file *file)
{
	muse_conn_close(file->private_data);
	return 0;
}

static ssize_t muse_dev_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct muse_conn *conn = iocb->ki_filp->private_data;

	return muse_chan_read(&conn->chan, iocb, to);
}

static ssize_t muse_dev_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct muse_conn *conn = iocb->ki_filp->private_data;

	return muse_chan_write(&conn->chan, from);
}

static __poll_t muse_dev_poll(struct file *file, poll_table *wait)
{
	struct muse_conn *conn = file->private_data;

	return muse_chan_poll(&conn->chan, file, wait);
}

/*
 * The ioctls use what INIT negotiated (extensions, geometry), which the
 * INIT reply stores field by field inside the server's write(): none of
 * it counts until that reply was accepted whole, and the request's end
 * publishes it all at once (muse_req_ended()).  Before, or after a
 * refused INIT, no extension is accepted.
 *
 * Registering a backing file and granting blocks hand the kernel the
 * server's store, so they need CAP_SYS_ADMIN like the open, from
 * whoever calls them: a descriptor passed on keeps no privilege (FUSE
 * checks its backing ioctl so too).  Fetching the read counts is
 * serving, which the descriptor alone allows.
 */
static long muse_dev_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	struct muse_conn *conn = file->private_data;

	if (!muse_req_ended(&conn->init_req) || conn->init_req.error)
		return -EOPNOTSUPP;
	switch (cmd) {
	case MUSE_IOC_BACKING:
	case MUSE_IOC_PASSTHROUGH:
	case MUSE_IOC_ERASE_BACKING:
	case MUSE_IOC_ERASE_GRANT:
	case MUSE_IOC_PROGRAM_BACKING:
	case MUSE_IOC_PROGRAM_GRANT:
	case MUSE_IOC_KERNEL_BUDGET:
		if (!capable(CAP_SYS_ADMIN))
			return -EPERM;
		break;
	}
	switch (cmd) {
	case MUSE_IOC_ERASE_BACKING:
	case MUSE_IOC_ERASE_GRANT:
		return muse_ke_ioctl(conn, cmd, arg);
	case MUSE_IOC_PROGRAM_BACKING:
	case MUSE_IOC_PROGRAM_GRANT:
	case MUSE_IOC_KERNEL_BUDGET:
		return muse_kp_ioctl(conn, cmd, arg);
	default:
		return muse_pt_ioctl(conn, cmd, arg);
	}
}

static const struct file_operations muse_dev_fops = {
	.owner		= THIS_MODULE,
	.open		= muse_dev_open,
	.flush		= muse_dev_flush,
	.release	= muse_dev_release,
	.read_iter	= muse_dev_read_iter,
	.write_iter	= muse_dev_write_iter,
	.poll		= muse_dev_poll,
	.unlocked_ioctl	= muse_dev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

static struct miscdevice muse_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "muse",
	.fops	= &muse_dev_fops,
};

static int __init muse_init(void)
{
	int err;

	if (muse_max_io < SZ_4K || muse_max_io > MUSE_MAX_IO_LIMIT ||
	    muse_max_io % SZ_4K) {
		pr_err("max_io must be a multiple of 4096 from 4096 to %u, not %u\n",
		       MUSE_MAX_IO_LIMIT, muse_max_io);
		return -EINVAL;
	}
	err = muse_conn_module_init();
	if (err)
		return err;
	err = muse_sysfs_init();
	if (err)
		goto err_conn;
	err = misc_register(&muse_misc);
	if (err)
		goto err_sysfs;
	return 0;

err_sysfs:
	muse_sysfs_exit();
err_conn:
	muse_conn_module_exit();
	return err;
}

static void __exit muse_exit(void)
{
	misc_deregister(&muse_misc);
	muse_sysfs_exit();
	muse_conn_module_exit();
}

module_init(muse_init);
module_exit(muse_exit);

MODULE_AUTHOR("libmuse developers");
MODULE_DESCRIPTION("MUSE: MTD devices backed by a userspace server through /dev/muse");
MODULE_LICENSE("GPL");
