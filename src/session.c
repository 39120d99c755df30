// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Sessions: creation and destruction, the connection fd, the exit flag
 * and the pool of request slots.  The loops that read requests are in
 * loop.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "muse_i.h"

_Static_assert(MUSE__BUILD_VERSION == MUSE_VERSION,
	       "include/muse/muse.h and meson.build disagree on the version");

/* muse_session_exit() runs in signal handlers. */
_Static_assert(ATOMIC_BOOL_LOCK_FREE == 2, "atomic_bool must be lock-free");

#define MUSE_SESSION_KNOWN_FLAGS (MUSE_SESSION_SPLIT_PAGES | \
				  MUSE_SESSION_NO_EXTENSIONS | \
				  MUSE_SESSION_PASSTHROUGH | \
				  MUSE_SESSION_KERNEL_ERASE | \
				  MUSE_SESSION_KERNEL_PROGRAM)

static int default_read(void *userdata, struct muse_req *req,
			const struct muse_io *io, struct muse_ecc_result *ecc)
{
	return -EOPNOTSUPP;
}

static int default_write(void *userdata, struct muse_req *req,
			 const struct muse_io *io)
{
	return -EOPNOTSUPP;
}

static int default_erase(void *userdata, struct muse_req *req,
			 uint64_t addr, uint64_t len)
{
	return -EOPNOTSUPP;
}

static int default_isbad(void *userdata, struct muse_req *req,
			 uint64_t addr)
{
	return 0;
}

static int default_markbad(void *userdata, struct muse_req *req,
			   uint64_t addr)
{
	return -EOPNOTSUPP;
}

static int default_sync(void *userdata, struct muse_req *req)
{
	return 0;
}

/*
 * Copy a struct the caller sized (ops, device): as much as both sides
 * know, zeros for what the caller does not know yet, and refuse bytes
 * beyond ours that a newer caller set, since they would be ignored.
 */
static int copy_sized(void *dst, size_t dst_size, const void *src,
		      size_t src_size)
{
	const unsigned char *bytes = src;
	size_t i;

	memset(dst, 0, dst_size);
	for (i = dst_size; i < src_size; i++)
		if (bytes[i])
			return -EINVAL;
	if (src_size)
		memcpy(dst, src, src_size < dst_size ? src_size : dst_size);
	return 0;
}

static int copy_ops(struct muse_ops *dst, const struct muse_ops *ops,
		    size_t ops_size)
{
	/* Whole callbacks only: a partly copied pointer would be garbage. */
	if (ops_size % sizeof(dst->read))
		return -EINVAL;
	if (copy_sized(dst, sizeof(*dst), ops, ops ? ops_size : 0))
		return -EINVAL;

	if (!dst->read)
		dst->read = default_read;
	if (!dst->write)
		dst->write = default_write;
	if (!dst->erase)
		dst->erase = default_erase;
	if (!dst->isbad)
		dst->isbad = default_isbad;
	if (!dst->markbad)
		dst->markbad = default_markbad;
	if (!dst->sync)
		dst->sync = default_sync;
	return 0;
}

/* The caller's description as this library knows it, validated. */
static int read_device(struct muse_device *dev, const struct muse_device *src,
		       size_t dev_size)
{
	size_t i;

	if (dev_size < MUSE__DEVICE_SIZE_1_0 ||
	    copy_sized(dev, sizeof(*dev), src, dev_size))
		return -EINVAL;
	/* Reserved fields may gain a meaning in 1.x; today they must be 0. */
	for (i = 0; i < sizeof(dev->reserved) / sizeof(dev->reserved[0]); i++)
		if (dev->reserved[i])
			return -EINVAL;
	return muse__device_validate(dev);
}

static int copy_device(struct muse_session *se, const struct muse_device *dev)
{
	se->dev = *dev;
	if (!se->dev.writebufsize)
		se->dev.writebufsize = se->dev.writesize;
	if (dev->name) {
		se->name = strdup(dev->name);
		if (!se->name)
			return -ENOMEM;
	}
	if (dev->partitions) {
		se->partitions = strdup(dev->partitions);
		if (!se->partitions)
			return -ENOMEM;
	}
	/* The caller's strings may go away; only the copies are used. */
	se->dev.name = se->name;
	se->dev.partitions = se->partitions;
	return 0;
}

uint32_t muse_version(void)
{
	return MUSE_VERSION;
}

int muse_session_new(const struct muse_device *dev, size_t dev_size,
		     const struct muse_ops *ops, size_t ops_size,
		     unsigned int flags, void *userdata,
		     struct muse_session **sep)
{
	struct muse_device desc;
	struct muse_session *se;
	int ret;

	if (!sep)
		return -EINVAL;
	*sep = NULL;
	if (!dev || (ops_size && !ops) || (flags & ~MUSE_SESSION_KNOWN_FLAGS))
		return -EINVAL;
	ret = read_device(&desc, dev, dev_size);
	if (ret)
		return ret;

	se = calloc(1, sizeof(*se));
	if (!se)
		return -ENOMEM;
	se->fd = -1;
	se->exit_fd = -1;
	se->flags = flags;
	se->userdata = userdata;
	atomic_init(&se->exited, false);
	atomic_init(&se->error_logged, false);
	atomic_init(&se->malformed_logged, false);
	atomic_init(&se->registration_seen, false);
	pthread_mutex_init(&se->pool_lock, NULL);

	ret = copy_ops(&se->ops, ops, ops_size);
	if (ret)
		goto err;
	ret = copy_device(se, &desc);
	if (ret)
		goto err;
	/* The info block must fit even with every extended key. */
	ret = muse__info_fits(se);
	if (ret)
		goto err;

	/* Large enough for any unit INIT may negotiate; INIT shrinks it. */
	se->slot_size = muse__request_size(muse__device_max_unit(&se->dev),
					   se->dev.writesize, se->dev.oobsize);
	if (se->ops.registered && se->slot_size < MUSE__REGISTERED_REQUEST_MAX)
		se->slot_size = MUSE__REGISTERED_REQUEST_MAX;
	se->exit_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (se->exit_fd < 0) {
		ret = -errno;
		goto err;
	}
	*sep = se;
	return 0;

err:
	muse_session_destroy(se);
	return ret;
}

void muse_session_destroy(struct muse_session *se)
{
	struct muse_req *slot, *next;

	if (!se)
		return;
	if (se->own_fd && se->fd >= 0)
		close(se->fd);
	if (se->exit_fd >= 0)
		close(se->exit_fd);
	/* Kept requests nobody answered go too: the kernel fails them. */
	for (slot = se->all_slots; slot; slot = next) {
		next = slot->next_all;
		free(slot->buf);
		free(slot);
	}
	pthread_mutex_destroy(&se->pool_lock);
	free(se->name);
	free(se->partitions);
	free(se);
}

/**
 * muse__slot_get() - a request slot to read the next request into.
 * @se: the session.
 *
 * Return: a free slot (a new one if none is free), or NULL without memory.
 */
struct muse_req *muse__slot_get(struct muse_session *se)
{
	struct muse_req *slot;

	pthread_mutex_lock(&se->pool_lock);
	slot = se->free_slots;
	if (slot)
		se->free_slots = slot->next_free;
	pthread_mutex_unlock(&se->pool_lock);
	if (slot)
		return slot;

	slot = calloc(1, sizeof(*slot));
	if (!slot)
		return NULL;
	slot->bufsize = se->slot_size;
	slot->buf = malloc(slot->bufsize);
	if (!slot->buf) {
		free(slot);
		return NULL;
	}
	atomic_init(&slot->state, MUSE__REQ_IDLE);
	slot->pooled = true;
	pthread_mutex_lock(&se->pool_lock);
	slot->next_all = se->all_slots;
	se->all_slots = slot;
	pthread_mutex_unlock(&se->pool_lock);
	return slot;
}

/**
 * muse__slot_put() - give a slot back for the next request.
 * @se:		the session.
 * @slot:	a slot of @se that is answered or was never used; or NULL.
 */
void muse__slot_put(struct muse_session *se, struct muse_req *slot)
{
	if (!slot)
		return;
	pthread_mutex_lock(&se->pool_lock);
	slot->next_free = se->free_slots;
	se->free_slots = slot;
	pthread_mutex_unlock(&se->pool_lock);
}

void muse__set_poll_hook(struct muse_session *se, muse__poll_hook_fn fn,
			 void *arg)
{
	se->poll_hook = fn;
	se->poll_hook_arg = arg;
}

int muse_session_open(struct muse_session *se, const char *path)
{
	int fd;

	if (se->fd >= 0)
		return -EBUSY;
	fd = open(path ? path : "/dev/muse", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	se->fd = fd;
	se->own_fd = true;
	return 0;
}

int muse_session_set_fd(struct muse_session *se, int fd)
{
	int fl;

	if (se->fd >= 0)
		return -EBUSY;
	if (fd < 0)
		return -EBADF;
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	se->fd = fd;
	se->own_fd = false;
	return 0;
}

int muse_session_fd(const struct muse_session *se)
{
	return se->fd >= 0 ? se->fd : -EBADF;
}

void muse_session_exit(struct muse_session *se)
{
	const uint64_t one = 1;
	int saved_errno = errno;

	atomic_store(&se->exited, true);
	if (write(se->exit_fd, &one, sizeof(one)) < 0) {
		/* Only on counter overflow, when it is readable anyway. */
	}
	errno = saved_errno;
}

int muse_session_exited(const struct muse_session *se)
{
	return atomic_load(&((struct muse_session *)se)->exited) ? 1 : 0;
}

unsigned int muse_session_extensions(const struct muse_session *se)
{
	return se->ext;
}

uint32_t muse_session_max_io(const struct muse_session *se)
{
	return se->unit;
}

