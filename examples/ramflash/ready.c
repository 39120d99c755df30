// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The ready lines, --ready-fd, --pidfile and sd_notify.  sd_notify is the
 * datagram protocol of systemd's sd_notify(3), spoken directly: one
 * datagram of newline-separated KEY=VALUE to the unix socket named by
 * $NOTIFY_SOCKET, an abstract one when the name starts with '@'.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ready.h"

int rf_ready_start(struct rf_ready *r, int ready_fd, const char *pidfile,
		   const char *name, uint64_t size, bool quiet)
{
	memset(r, 0, sizeof(*r));
	r->fd = -1;
	r->pidfile = pidfile;
	r->name = name;
	r->size = size;
	r->quiet = quiet;
	/*
	 * A reader of stdout or of the ready fd that went away (a script
	 * that gave up) must cost the write an EPIPE, not the server its
	 * life and the image its flush.
	 */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
		int err = errno;

		fprintf(stderr, "ramflash: ignoring SIGPIPE: %s\n",
			strerror(err));
		return -err;
	}
	if (ready_fd < 0)
		return 0;
	/* Not inherited by anything ramflash might start. */
	if (fcntl(ready_fd, F_SETFD, FD_CLOEXEC)) {
		fprintf(stderr, "ramflash: --ready-fd %d: %s\n", ready_fd,
			strerror(errno));
		return -EBADF;
	}
	r->fd = ready_fd;
	return 0;
}

/* @name escaped as /proc/mounts escapes: no field ever holds a space. */
static int put_name(char *buf, size_t len, const char *name)
{
	size_t n = 0;

	for (; *name; name++) {
		int w = *name == ' ' || *name == '\\' ?
			snprintf(buf + n, len - n, "\\%03o",
				 (unsigned char)*name) :
			snprintf(buf + n, len - n, "%c", *name);

		if (w < 0 || (size_t)w >= len - n)
			return -ENOSPC;
		n += (size_t)w;
	}
	return (int)n;
}

static int put_line(char *buf, size_t len, int index, const char *name,
		    uint64_t size)
{
	int head, tail, esc;

	head = snprintf(buf, len, "ready /dev/mtd%d ", index);
	if (head < 0 || (size_t)head >= len)
		return -ENOSPC;
	esc = put_name(buf + head, len - head, name);
	if (esc < 0)
		return esc;
	tail = snprintf(buf + head + esc, len - head - esc, " %" PRIu64 "\n",
			size);
	if (tail < 0 || (size_t)tail >= len - head - esc)
		return -ENOSPC;
	return head + esc + tail;
}

int rf_ready_lines(const struct muse_registration *reg, const char *name,
		   uint64_t size, char *buf, size_t len)
{
	size_t n = 0;
	unsigned int i;
	int w;

	if (!len)
		return -ENOSPC;
	buf[0] = '\0';
	if (reg->index >= 0) {
		w = put_line(buf, len, reg->index, name, size);
		if (w < 0)
			return w;
		n = (size_t)w;
	}
	for (i = 0; i < reg->nr_parts; i++) {
		const struct muse_mtd_part *p = &reg->parts[i];

		w = put_line(buf + n, len - n, p->index, p->name, p->size);
		if (w < 0)
			return w;
		n += (size_t)w;
	}
	return (int)n;
}

/* The whole of @len bytes, or the errno of write(2). */
static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t w = write(fd, buf, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

/* One sd_notify datagram; quiet without $NOTIFY_SOCKET. */
static void sd_notify_send(const char *msg)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t salen;
	size_t len;
	int fd;

	if (!path || !*path)
		return;
	len = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || len >= sizeof(sa.sun_path)) {
		fprintf(stderr, "ramflash: NOTIFY_SOCKET=%s is no unix socket name\n",
			path);
		return;
	}
	memcpy(sa.sun_path, path, len);
	/* Abstract: a leading NUL and exactly the name's bytes. */
	if (path[0] == '@')
		sa.sun_path[0] = '\0';
	salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len +
			    (path[0] == '/'));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || sendto(fd, msg, strlen(msg), MSG_NOSIGNAL,
			     (const struct sockaddr *)&sa, salen) < 0)
		fprintf(stderr, "ramflash: sd_notify to %s: %s\n", path,
			strerror(errno));
	if (fd >= 0)
		close(fd);
}

/* Written whole under another name, then renamed: never seen half. */
static int write_pidfile(const char *path)
{
	char tmp[4096], pid[24];
	int fd, ret, n;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	ret = write_all(fd, pid, (size_t)n);
	if (close(fd) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret)
		unlink(tmp);
	return ret;
}

static void close_ready_fd(struct rf_ready *r)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
}

static void registration_failed(struct rf_ready *r, int error)
{
	char msg[256];

	r->error = error;
	fprintf(stderr, "ramflash: the kernel could not register %s: %s (see dmesg)\n",
		r->name, strerror(-error));
	snprintf(msg, sizeof(msg), "STATUS=registration failed: %s\nERRNO=%d\n",
		 strerror(-error), -error);
	sd_notify_send(msg);
	/* The reader of the ready fd sees end of file without a line. */
	close_ready_fd(r);
}

void rf_ready_registered(struct rf_ready *r,
			 const struct muse_registration *reg)
{
	char lines[RF_READY_LINES_MAX], msg[RF_READY_LINES_MAX + 128];
	int n, ret;

	r->reported = true;
	if (!r->quiet)
		fprintf(stderr, "ramflash: kernel connection %u (/sys/fs/muse/connections/%u)\n",
			reg->conn_id, reg->conn_id);
	if (reg->error) {
		registration_failed(r, reg->error);
		return;
	}
	n = rf_ready_lines(reg, r->name, r->size, lines, sizeof(lines));
	if (n < 0) {
		/* Cannot happen: the kernel's names are at most 64 bytes. */
		fprintf(stderr, "ramflash: ready lines too long\n");
		return;
	}
	fputs(lines, stdout);
	fflush(stdout);
	if (r->pidfile) {
		ret = write_pidfile(r->pidfile);
		if (ret)
			fprintf(stderr, "ramflash: cannot write %s: %s\n",
				r->pidfile, strerror(-ret));
		r->pidfile_written = !ret;
	}
	if (r->fd >= 0) {
		ret = write_all(r->fd, lines, (size_t)n);
		if (ret)
			fprintf(stderr, "ramflash: --ready-fd %d: %s\n", r->fd,
				strerror(-ret));
		close_ready_fd(r);
	}
	/* STATUS= is one line: the first ready line without its newline. */
	snprintf(msg, sizeof(msg), "READY=1\nMAINPID=%ld\nSTATUS=%.*s\n",
		 (long)getpid(), (int)strcspn(lines, "\n"), lines);
	sd_notify_send(msg);
}

void rf_ready_stop(struct rf_ready *r)
{
	close_ready_fd(r);
	if (r->pidfile_written && unlink(r->pidfile))
		fprintf(stderr, "ramflash: cannot remove %s: %s\n", r->pidfile,
			strerror(errno));
	r->pidfile_written = false;
}
