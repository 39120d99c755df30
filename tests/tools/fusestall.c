// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * fusestall: a FUSE filesystem of one file whose daemon never answers a
 * READ (fusestall.h).  It answers INIT, LOOKUP, GETATTR, OPEN, FLUSH and
 * RELEASE, and ENOSYS to the rest; a READ is counted and left unanswered
 * until the daemon ends, when closing /dev/fuse aborts the connection and
 * fails it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fusestall.h"

#define STORE_INO	2
/* Room for any request of a connection whose max_write is 4096. */
#define BUF_SIZE	(64u * 1024)

static void reply(struct fusestall *fs, uint64_t unique, int error,
		  const void *body, size_t len)
{
	struct {
		struct fuse_out_header h;
		uint8_t body[256];
	} out = { .h = { .len = (uint32_t)(sizeof(out.h) + len),
			 .error = error, .unique = unique } };

	memcpy(out.body, body, len);
	/* The kernel drops an answer to a request it gave up on. */
	if (write(fs->dev, &out, out.h.len) < 0 && errno != ENOENT)
		perror("fusestall: write");
}

static void fill_attr(const struct fusestall *fs, uint64_t ino,
		      struct fuse_attr *attr)
{
	memset(attr, 0, sizeof(*attr));
	attr->ino = ino;
	attr->nlink = 1;
	attr->blksize = 4096;
	if (ino == FUSE_ROOT_ID) {
		attr->mode = S_IFDIR | 0755;
	} else {
		attr->mode = S_IFREG | 0644;
		attr->size = fs->size;
		attr->blocks = (fs->size + 511) / 512;
	}
}

static void serve(struct fusestall *fs, const struct fuse_in_header *in,
		  const void *body)
{
	union {
		struct fuse_init_out init;
		struct fuse_entry_out entry;
		struct fuse_attr_out attr;
		struct fuse_open_out open;
	} out;

	memset(&out, 0, sizeof(out));
	switch (in->opcode) {
	case FUSE_INIT:
		out.init.major = FUSE_KERNEL_VERSION;
		out.init.minor = FUSE_KERNEL_MINOR_VERSION;
		out.init.max_write = 4096;
		out.init.max_background = 16;
		out.init.congestion_threshold = 12;
		reply(fs, in->unique, 0, &out.init, sizeof(out.init));
		break;
	case FUSE_LOOKUP:
		if (in->nodeid != FUSE_ROOT_ID || strcmp(body, "store")) {
			reply(fs, in->unique, -ENOENT, NULL, 0);
			break;
		}
		out.entry.nodeid = STORE_INO;
		out.entry.entry_valid = 3600;
		out.entry.attr_valid = 3600;
		fill_attr(fs, STORE_INO, &out.entry.attr);
		reply(fs, in->unique, 0, &out.entry, sizeof(out.entry));
		break;
	case FUSE_GETATTR:
		out.attr.attr_valid = 3600;
		fill_attr(fs, in->nodeid, &out.attr.attr);
		reply(fs, in->unique, 0, &out.attr, sizeof(out.attr));
		break;
	case FUSE_OPEN:
		out.open.fh = 1;
		reply(fs, in->unique, 0, &out.open, sizeof(out.open));
		break;
	case FUSE_READ:
		atomic_fetch_add(&fs->reads, 1);
		break;
	case FUSE_FLUSH:
	case FUSE_RELEASE:
		reply(fs, in->unique, 0, NULL, 0);
		break;
	case FUSE_FORGET:
	case FUSE_BATCH_FORGET:
	case FUSE_INTERRUPT:
		break;
	default:
		reply(fs, in->unique, -ENOSYS, NULL, 0);
		break;
	}
}

static void *daemon_loop(void *arg)
{
	struct fusestall *fs = arg;
	struct pollfd pfd[2] = {
		{ .fd = fs->dev, .events = POLLIN },
		{ .fd = fs->stop, .events = POLLIN },
	};
	uint8_t *buf = malloc(BUF_SIZE);
	ssize_t n;

	while (buf && poll(pfd, 2, -1) >= 0 && !pfd[1].revents) {
		if (!(pfd[0].revents & POLLIN))
			break;
		n = read(fs->dev, buf, BUF_SIZE);
		if (n < (ssize_t)sizeof(struct fuse_in_header)) {
			if (n < 0 && (errno == EINTR || errno == ENOENT ||
				      errno == EAGAIN))
				continue;
			break;
		}
		buf[n < BUF_SIZE ? n : BUF_SIZE - 1] = 0;
		serve(fs, (struct fuse_in_header *)buf,
		      buf + sizeof(struct fuse_in_header));
	}
	free(buf);
	return NULL;
}

const char *fusestall_start(struct fusestall *fs, uint64_t size)
{
	char opts[128];

	memset(fs, 0, sizeof(*fs));
	fs->size = size;
	snprintf(fs->dir, sizeof(fs->dir), "/tmp/fusestall.%d", getpid());
	if (mkdir(fs->dir, 0755) && errno != EEXIST)
		return "mkdir of the mount point";
	fs->dev = open("/dev/fuse", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fs->dev < 0)
		return "open /dev/fuse";
	fs->stop = eventfd(0, EFD_CLOEXEC);
	if (fs->stop < 0)
		return "eventfd";
	snprintf(opts, sizeof(opts),
		 "fd=%d,rootmode=40000,user_id=0,group_id=0", fs->dev);
	if (mount("fusestall", fs->dir, "fuse", MS_NOSUID | MS_NODEV, opts))
		return "mount of the FUSE filesystem";
	if (pthread_create(&fs->thread, NULL, daemon_loop, fs))
		return "pthread_create";
	return NULL;
}

bool fusestall_wait_read(struct fusestall *fs)
{
	struct timespec pause = { 0, 1000 * 1000 };
	int i;

	for (i = 0; i < 10000; i++) {
		if (atomic_load(&fs->reads))
			return true;
		nanosleep(&pause, NULL);
	}
	return false;
}

void fusestall_stop(struct fusestall *fs)
{
	uint64_t one = 1;

	if (write(fs->stop, &one, sizeof(one)) != sizeof(one))
		perror("fusestall: eventfd");
	pthread_join(fs->thread, NULL);
	/* The last /dev/fuse descriptor: the connection aborts. */
	close(fs->dev);
	close(fs->stop);
	umount2(fs->dir, MNT_DETACH);
	rmdir(fs->dir);
}
