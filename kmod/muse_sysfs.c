// SPDX-License-Identifier: GPL-2.0-only
/*
 * MUSE: MTD in userspace.  /sys/fs/muse/connections/<id>/, one directory
 * per connection, for administrators (like FUSE's connections directory):
 *
 *	name		the MTD's name ("connection <id>" before INIT)
 *	pid		the process that opened /dev/muse
 *	waiting		requests the server has not answered yet
 *	kernel_erases	erases the kernel did itself (MUSE_EXT_KERNEL_ERASE)
 *	kernel_programs	WRITE I/O units the kernel programmed itself
 *			(MUSE_EXT_KERNEL_PROGRAM)
 *	abort		write anything: the connection dies as if the server
 *			had
 *	request_timeout	seconds a request may wait, 0 = never
 *
 * All of them are root's only (0400, 0200, 0600), as in FUSE's fusectl:
 * which process serves which flash, and how busy it is, is nobody
 * else's business.
 *
 * The directory lives as long as the connection, which may outlive the
 * server's file while MTD users hold the device.  Its kobject is separate
 * from the connection: removing it waits for every show/store running, so
 * the connection pointer is valid inside them.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kobject.h>
#include <linux/slab.h>
#include <linux/sysfs.h>

#include "muse_conn.h"

struct muse_conn_kobj {
	struct kobject kobj;
	struct muse_conn *conn;
};

static struct kobject *muse_kobj;
static struct kset *muse_connections;

static struct muse_conn *muse_kobj_conn(struct kobject *kobj)
{
	return container_of(kobj, struct muse_conn_kobj, kobj)->conn;
}

static ssize_t name_show(struct kobject *kobj, struct kobj_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%s\n", muse_kobj_conn(kobj)->name);
}

static ssize_t pid_show(struct kobject *kobj, struct kobj_attribute *attr,
			char *buf)
{
	return sysfs_emit(buf, "%d\n", muse_kobj_conn(kobj)->pid);
}

static ssize_t waiting_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%u\n",
			  muse_chan_waiting(&muse_kobj_conn(kobj)->chan));
}

static ssize_t kernel_erases_show(struct kobject *kobj,
				  struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lld\n",
			  atomic64_read(&muse_kobj_conn(kobj)->ke.done));
}

static ssize_t kernel_programs_show(struct kobject *kobj,
				    struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lld\n",
			  atomic64_read(&muse_kobj_conn(kobj)->kp.done));
}

static ssize_t abort_store(struct kobject *kobj, struct kobj_attribute *attr,
			   const char *buf, size_t count)
{
	muse_chan_abort(&muse_kobj_conn(kobj)->chan,
			"aborted by the administrator");
	return count;
}

static ssize_t request_timeout_show(struct kobject *kobj,
				    struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n",
			  muse_chan_timeout(&muse_kobj_conn(kobj)->chan));
}

static ssize_t request_timeout_store(struct kobject *kobj,
				     struct kobj_attribute *attr,
				     const char *buf, size_t count)
{
	unsigned int secs;
	int err = muse_chan_parse_timeout(buf, &secs);

	if (err)
		return err;
	muse_chan_set_timeout(&muse_kobj_conn(kobj)->chan, secs);
	return count;
}

static struct kobj_attribute muse_attr_name = __ATTR_RO_MODE(name, 0400);
static struct kobj_attribute muse_attr_pid = __ATTR_RO_MODE(pid, 0400);
static struct kobj_attribute muse_attr_waiting =
	__ATTR_RO_MODE(waiting, 0400);
static struct kobj_attribute muse_attr_kernel_erases =
	__ATTR_RO_MODE(kernel_erases, 0400);
static struct kobj_attribute muse_attr_kernel_programs =
	__ATTR_RO_MODE(kernel_programs, 0400);
static struct kobj_attribute muse_attr_abort = __ATTR_WO(abort);
static struct kobj_attribute muse_attr_request_timeout =
	__ATTR(request_timeout, 0600, request_timeout_show,
	       request_timeout_store);

static struct attribute *muse_conn_attrs[] = {
	&muse_attr_name.attr,
	&muse_attr_pid.attr,
	&muse_attr_waiting.attr,
	&muse_attr_kernel_erases.attr,
	&muse_attr_kernel_programs.attr,
	&muse_attr_abort.attr,
	&muse_attr_request_timeout.attr,
	NULL,
};
ATTRIBUTE_GROUPS(muse_conn);

static void muse_conn_kobj_release(struct kobject *kobj)
{
	kfree(container_of(kobj, struct muse_conn_kobj, kobj));
}

static const struct kobj_type muse_conn_ktype = {
	.release = muse_conn_kobj_release,
	.sysfs_ops = &kobj_sysfs_ops,
	.default_groups = muse_conn_groups,
};

/**
 * muse_sysfs_add() - create a connection's directory
 * @conn:	connection with its id
 *
 * Return: 0 or a negative errno.
 */
int muse_sysfs_add(struct muse_conn *conn)
{
	struct muse_conn_kobj *ck;
	int err;

	ck = kzalloc(sizeof(*ck), GFP_KERNEL);
	if (!ck)
		return -ENOMEM;
	ck->conn = conn;
	ck->kobj.kset = muse_connections;
	err = kobject_init_and_add(&ck->kobj, &muse_conn_ktype, NULL, "%d",
				   conn->id);
	if (err) {
		kobject_put(&ck->kobj);
		return err;
	}
	conn->kobj = ck;
	return 0;
}

/**
 * muse_sysfs_remove() - remove a connection's directory
 * @conn:	connection; waits for its attributes' show/store to end
 */
void muse_sysfs_remove(struct muse_conn *conn)
{
	if (!conn->kobj)
		return;
	kobject_del(&conn->kobj->kobj);
	kobject_put(&conn->kobj->kobj);
	conn->kobj = NULL;
}

/**
 * muse_sysfs_init() - create /sys/fs/muse/connections
 *
 * Return: 0 or -ENOMEM.
 */
int muse_sysfs_init(void)
{
	muse_kobj = kobject_create_and_add("muse", fs_kobj);
	if (!muse_kobj)
		return -ENOMEM;
	muse_connections = kset_create_and_add("connections", NULL, muse_kobj);
	if (!muse_connections) {
		kobject_put(muse_kobj);
		return -ENOMEM;
	}
	return 0;
}

/** muse_sysfs_exit() - remove /sys/fs/muse */
void muse_sysfs_exit(void)
{
	kset_unregister(muse_connections);
	kobject_put(muse_kobj);
}
