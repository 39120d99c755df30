// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rawpeer: see rawpeer.h.
 */
#define _GNU_SOURCE
#include "rawpeer.h"

#include "frames.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

bool rp_verbose;

int rp_wait_readable(int fd, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int ret = poll(&pfd, 1, ms);

	if (ret < 0)
		return -errno;
	if (!ret)
		return -ETIMEDOUT;
	return (pfd.revents & POLLIN) ? 0 : -ENODEV;
}

int rp_read_request(int fd, struct rp_request *req, int ms)
{
	ssize_t n;
	int err = rp_wait_readable(fd, ms);

	if (err)
		return err;
	n = read(fd, req->buf, sizeof(req->buf));
	if (n < 0)
		return -errno;
	if ((size_t)n < sizeof(req->ih))
		return -EPROTO;
	memcpy(&req->ih, req->buf, sizeof(req->ih));
	if (req->ih.len != (size_t)n)
		return -EPROTO;
	req->body = req->buf + sizeof(req->ih);
	req->bodylen = n - sizeof(req->ih);
	if (rp_verbose)
		fprintf(stderr, "request opcode %u unique %" PRIu64 " len %u\n",
			req->ih.opcode, (uint64_t)req->ih.unique, req->ih.len);
	return 0;
}

static int send_iov(int fd, uint32_t len, int32_t error, uint64_t unique,
		    struct iovec *iov, int n)
{
	struct fuse_out_header oh = {
		.len = len, .error = error, .unique = unique,
	};

	iov[0].iov_base = &oh;
	iov[0].iov_len = sizeof(oh);
	return writev(fd, iov, n) < 0 ? -errno : 0;
}

int rp_send_reply(int fd, uint32_t len, int32_t error, uint64_t unique,
		  const void *p1, size_t l1, const void *p2, size_t l2)
{
	struct iovec iov[3] = {
		{ NULL, 0 }, { (void *)p1, l1 }, { (void *)p2, l2 },
	};

	return send_iov(fd, len, error, unique, iov, 3);
}

int rp_reply(int fd, int32_t error, uint64_t unique,
	     const void *p1, size_t l1, const void *p2, size_t l2)
{
	return rp_send_reply(fd, sizeof(struct fuse_out_header) + l1 + l2,
			     error, unique, p1, l1, p2, l2);
}

int rp_open_init(const char *device, struct rp_request *req,
		 char *why, size_t whylen)
{
	struct muse_init_in in;
	int fd = open(device, O_RDWR | O_CLOEXEC);
	int err;

	if (fd < 0) {
		err = -errno;
		snprintf(why, whylen, "open %s: %s", device, strerror(-err));
		return err;
	}
	err = rp_read_request(fd, req, 10000);
	if (err) {
		snprintf(why, whylen, "reading INIT: %s", strerror(-err));
		close(fd);
		return err;
	}
	if (req->ih.opcode != MUSE_INIT || req->bodylen != sizeof(in)) {
		snprintf(why, whylen,
			 "first request is opcode %u with %zu bytes, expected an extended INIT",
			 req->ih.opcode, req->bodylen);
		close(fd);
		return -EPROTO;
	}
	memcpy(&in, req->body, sizeof(in));
	if (in.fuse_major != MUSE_FUSE_KERNEL_VERSION ||
	    in.flags != MUSE_EXT_ALL || in.max_io < 4096 || in.max_io % 4096 ||
	    in.reserved[0] || in.reserved[1]) {
		snprintf(why, whylen, "INIT offers major %u flags 0x%x max_io %u",
			 in.fuse_major, in.flags, in.max_io);
		close(fd);
		return -EPROTO;
	}
	return fd;
}

int rp_reply_init_info(int fd, const struct rp_request *req,
		       const struct muse_init_out *out, size_t out_size,
		       const char *info, size_t info_len)
{
	return rp_reply(fd, 0, req->ih.unique, out, out_size, info, info_len);
}

int rp_reply_init(int fd, const struct rp_request *req,
		  const struct muse_init_out *out, size_t out_size,
		  const char *const *keys)
{
	char info[MUSE_INIT_INFO_MAX];
	size_t info_len = mf_info_block(info, sizeof(info), keys);

	if (!info_len || out_size > sizeof(*out))
		return -EINVAL;
	return rp_reply_init_info(fd, req, out, out_size, info, info_len);
}

int rp_connect(const char *device, struct rp_request *req,
	       const char *const *keys)
{
	static const struct muse_init_out out = RP_GOOD_INIT_OUT;
	char why[160];
	int fd = rp_open_init(device, req, why, sizeof(why));
	int err;

	if (fd < 0) {
		fprintf(stderr, "rawpeer: %s\n", why);
		return fd;
	}
	err = rp_reply_init(fd, req, &out, sizeof(out), keys);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

/* The first line of dir/file without its newline, or "" (0 or -errno). */
static int read_line(const char *dir, const char *file, char *buf, size_t len)
{
	char path[512];
	FILE *f;
	bool ok;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	buf[0] = 0;
	f = fopen(path, "r");
	if (!f)
		return -errno;
	ok = fgets(buf, len, f) != NULL;
	fclose(f);
	buf[strcspn(buf, "\n")] = 0;
	return ok ? 0 : -EIO;
}

int rp_conn_dir(const char *name, pid_t pid, char *dir, size_t len)
{
	static const char root[] = "/sys/fs/muse/connections";
	char path[512], value[128], want[32];
	struct dirent *e;
	DIR *d = opendir(root);
	int err = -ENOENT;

	if (!d) {
		errno = ENOENT;
		return -ENOENT;
	}
	snprintf(want, sizeof(want), "%d", (int)pid);
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", root, e->d_name);
		if (read_line(path, "name", value, sizeof(value)) ||
		    strcmp(value, name) ||
		    read_line(path, "pid", value, sizeof(value)) ||
		    strcmp(value, want))
			continue;
		snprintf(dir, len, "%s", path);
		err = 0;
		break;
	}
	closedir(d);
	if (err)
		errno = ENOENT;
	return err;
}

int rp_conn_write(const char *dir, const char *file, const char *value)
{
	char path[512];
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, value, strlen(value)) < 0)
		err = -errno;
	close(fd);
	return err;
}

int rp_answer_pattern(int fd, const struct rp_request *req,
		      unsigned char pattern)
{
	static unsigned char data[RP_REQ_MAX];
	struct muse_read_in rin;
	struct muse_read_out rout = { 0 };
	struct muse_write_in win;
	struct muse_write_out wout = { 0 };
	struct muse_isbad_out bout = { 0 };

	switch (req->ih.opcode) {
	case MUSE_READ:
		memcpy(&rin, req->body, sizeof(rin));
		if (rin.len + rin.ooblen > sizeof(data))
			return -EMSGSIZE;
		memset(data, pattern, rin.len + rin.ooblen);
		rout.datalen = rin.len;
		rout.ooblen = rin.ooblen;
		return rp_reply(fd, 0, req->ih.unique, &rout, sizeof(rout),
				data, rin.len + rin.ooblen);
	case MUSE_WRITE:
		memcpy(&win, req->body, sizeof(win));
		wout.datalen = win.len;
		wout.ooblen = win.ooblen;
		return rp_reply(fd, 0, req->ih.unique, &wout, sizeof(wout),
				NULL, 0);
	case MUSE_ISBAD:
		return rp_reply(fd, 0, req->ih.unique, &bout, sizeof(bout),
				NULL, 0);
	default:
		return rp_reply(fd, 0, req->ih.unique, NULL, 0, NULL, 0);
	}
}

/* ---- a flash in memory ---------------------------------------------- */

int rp_flash_init(struct rp_flash *f, uint64_t size, uint32_t writesize,
		  uint32_t erasesize, uint32_t oobsize)
{
	memset(f, 0, sizeof(*f));
	if (!writesize || !erasesize || erasesize % writesize ||
	    !size || size % erasesize)
		return -EINVAL;
	f->size = size;
	f->writesize = writesize;
	f->erasesize = erasesize;
	f->oobsize = oobsize;
	f->data = malloc(size);
	f->oob = malloc(size / writesize * oobsize + 1);
	f->bad = calloc(size / erasesize, 1);
	if (!f->data || !f->oob || !f->bad) {
		rp_flash_free(f);
		return -ENOMEM;
	}
	memset(f->data, 0xff, size);
	memset(f->oob, 0xff, size / writesize * oobsize);
	return 0;
}

void rp_flash_free(struct rp_flash *f)
{
	free(f->data);
	free(f->oob);
	free(f->bad);
	memset(f, 0, sizeof(*f));
}

/* Where OOB byte ooboffs of the page at addr lives, or NULL if outside. */
static unsigned char *flash_oob(struct rp_flash *f, uint64_t addr,
				uint32_t ooboffs, uint32_t ooblen)
{
	uint64_t start = addr / f->writesize * f->oobsize + ooboffs;

	if (start + ooblen > f->size / f->writesize * f->oobsize)
		return NULL;
	return f->oob + start;
}

static void program(unsigned char *dst, const unsigned char *src, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		dst[i] &= src[i];
}

int rp_flash_execute(struct rp_flash *f, const struct rp_request *req,
		     struct rp_flash_reply *reply)
{
	struct muse_read_in io;
	struct muse_erase_in erase;
	uint64_t addr;
	unsigned char *oob;

	memset(reply, 0, sizeof(*reply));
	switch (req->ih.opcode) {
	case MUSE_READ:
	case MUSE_WRITE:
		/* muse_read_in and muse_write_in have the same layout. */
		memset(&io, 0, sizeof(io));
		memcpy(&io, req->body, req->bodylen < sizeof(io) ?
		       req->bodylen : sizeof(io));
		oob = flash_oob(f, io.addr, io.ooboffs, io.ooblen);
		if (io.addr > f->size || io.len > f->size - io.addr || !oob)
			break;
		if (req->ih.opcode == MUSE_READ) {
			reply->out.read.datalen = io.len;
			reply->out.read.ooblen = io.ooblen;
			reply->out_len = sizeof(reply->out.read);
			reply->data = f->data + io.addr;
			reply->data_len = io.len;
			reply->oob = oob;
			reply->oob_len = io.ooblen;
			return 0;
		}
		if (req->bodylen != sizeof(io) + io.len + io.ooblen)
			break;
		program(f->data + io.addr, req->body + sizeof(io), io.len);
		program(oob, req->body + sizeof(io) + io.len, io.ooblen);
		reply->out.write.datalen = io.len;
		reply->out.write.ooblen = io.ooblen;
		reply->out_len = sizeof(reply->out.write);
		return 0;
	case MUSE_ERASE:
		memcpy(&erase, req->body, sizeof(erase));
		if (erase.addr > f->size || erase.len > f->size - erase.addr ||
		    erase.addr % f->erasesize || erase.len % f->erasesize)
			break;
		for (addr = erase.addr; addr < erase.addr + erase.len;
		     addr += f->erasesize)
			if (f->bad[addr / f->erasesize]) {
				reply->error = -EIO;
				return 0;
			}
		memset(f->data + erase.addr, 0xff, erase.len);
		memset(flash_oob(f, erase.addr, 0, 0), 0xff,
		       erase.len / f->writesize * f->oobsize);
		return 0;
	case MUSE_ISBAD:
	case MUSE_MARKBAD:
		memcpy(&addr, req->body, sizeof(addr));
		if (addr >= f->size)
			break;
		if (req->ih.opcode == MUSE_MARKBAD) {
			f->bad[addr / f->erasesize] = 1;
			return 0;
		}
		reply->out.isbad.result = f->bad[addr / f->erasesize];
		reply->out_len = sizeof(reply->out.isbad);
		return 0;
	case MUSE_SYNC:
		return 0;
	}
	reply->error = -EINVAL;
	return -EINVAL;
}

int rp_flash_send(int fd, const struct rp_request *req,
		  const struct rp_flash_reply *reply)
{
	struct iovec iov[4] = {
		{ NULL, 0 },
		{ (void *)&reply->out, reply->out_len },
		{ (void *)reply->data, reply->data_len },
		{ (void *)reply->oob, reply->oob_len },
	};
	size_t len = sizeof(struct fuse_out_header);

	if (reply->error)
		return send_iov(fd, len, reply->error, req->ih.unique, iov, 1);
	len += reply->out_len + reply->data_len + reply->oob_len;
	return send_iov(fd, len, 0, req->ih.unique, iov, 4);
}
