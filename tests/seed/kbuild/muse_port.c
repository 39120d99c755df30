// SPDX-License-Identifier: GPL-2.0-only
/*
 * Port layer for the MUSE v2 seed on Linux 6.1: the FUSE helpers that the
 * rest of the series exported or added and that 6.1's fuse.ko does not
 * provide, written from the seed's calls (see muse_port.h for the header
 * part).  Each function names the calls in the seed's muse.c it serves.
 */
#include <linux/completion.h>
#include <linux/string.h>
#include <linux/uio.h>

#include "fuse_i.h"
#include "muse_port.h"

struct muse_port_sync_req {
	struct fuse_args args;
	struct completion done;
	int error;
};

static void muse_port_sync_end(struct fuse_mount *fm, struct fuse_args *args,
			       int error)
{
	struct muse_port_sync_req *sr =
		container_of(args, struct muse_port_sync_req, args);

	sr->error = error;
	complete(&sr->done);
}

/*
 * fuse_simple_request - send @args and wait for the reply.
 *
 * Serves every request of the seed but MUSE_INIT: muse_mtd_erase(),
 * muse_mtd_markbad(), muse_mtd_isbad(), muse_mtd_sync(), muse_send_read()
 * and muse_send_write().  The series exported FUSE's own function (6.1
 * keeps it private to fuse.ko), so this module carries one built on the
 * exported fuse_simple_background(): a copy of @args with an end callback
 * that wakes the caller.  It returns what FUSE's does: the reply's error,
 * else the size of a variable last out argument, else 0.
 *
 * Unlike FUSE's, the wait cannot be interrupted: the copy must outlive
 * the request, which only the reply or the connection's abort (the
 * server closing /dev/muse) ends.  So no FUSE_INTERRUPT is ever sent.
 */
ssize_t fuse_simple_request(struct fuse_mount *fm, struct fuse_args *args)
{
	struct muse_port_sync_req sr = { .args = *args };
	ssize_t ret;

	init_completion(&sr.done);
	sr.args.end = muse_port_sync_end;
	ret = fuse_simple_background(fm, &sr.args, GFP_KERNEL);
	if (ret)
		return ret;
	wait_for_completion(&sr.done);

	/* A variable out argument came back with its real size. */
	memcpy(args->out_args, sr.args.out_args, sizeof(args->out_args));
	if (sr.error)
		return sr.error;
	if (args->out_argvar)
		return args->out_args[args->out_numargs - 1].size;
	return 0;
}

/*
 * fuse_kv_parse_one - the next KEY=VALUE string in [*@pp, @end).
 *
 * Serves muse_parse_mtdreq()'s loop over the INIT info block.  The series
 * made CUSE's parser of the same format a FUSE helper; this one follows
 * that format: NUL-terminated strings, empty ones skipped, white space
 * around key and value dropped, a string without '=' is a key with an
 * empty value.  Returns 1 with *@keyp and *@valp set (the block is
 * modified in place), 0 at the end, -EINVAL when the block does not end
 * in a NUL.
 */
int fuse_kv_parse_one(char **pp, char *end, char **keyp, char **valp)
{
	char *p = *pp;
	char *eq;

	while (p < end && *p == '\0')
		p++;
	if (p == end)
		return 0;
	if (end[-1] != '\0')
		return -EINVAL;

	*pp = p + strlen(p) + 1;
	eq = strchr(p, '=');
	if (eq)
		*eq++ = '\0';
	else
		eq = p + strlen(p);
	*keyp = strstrip(p);
	*valp = strstrip(eq);
	return 1;
}

/*
 * fuse_get_user_addr - the address where @ii's current segment continues.
 *
 * Serves set_ap_inout_bufs(), which hands it to FUSE as the in or out
 * argument of a MUSE_WRITE or MUSE_READ.  The seed only builds kvec iters
 * (MTD buffers are kernel memory); FUSE's private version of 2020 read
 * the iovec member, which shares its place with the kvec one.
 */
unsigned long fuse_get_user_addr(const struct iov_iter *ii)
{
	WARN_ON_ONCE(!iov_iter_is_kvec(ii));
	return (unsigned long)ii->kvec->iov_base + ii->iov_offset;
}

/*
 * fuse_get_frag_size - how much of @ii's current segment is left, at most
 * @max_size.  Serves set_ap_inout_bufs(): the size of one MUSE_READ or
 * MUSE_WRITE.
 */
size_t fuse_get_frag_size(const struct iov_iter *ii, size_t max_size)
{
	return min(iov_iter_single_seg_count(ii), max_size);
}
