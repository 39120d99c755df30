// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The ready lines, --ready-fd, --pidfile and sd_notify of ramflash, fed
 * the registration libmuse would hand the callback: exact line format,
 * escaping, partitions without the whole device, a failure that closes
 * the ready fd without a line, and the sd_notify datagrams on an abstract
 * and on a path socket.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "ready.h"

static const struct muse_mtd_part parts[] = {
	{ 4, "boot loader", 0, 1 << 20 },
	{ 5, "ubi\\x", 1 << 20, 7 << 20 },
};

static void lines_of_whole_device_and_parts(void **state)
{
	const struct muse_registration reg = {
		.index = 3, .nr_parts = 2, .parts = parts,
	};
	char buf[RF_READY_LINES_MAX];
	int n = rf_ready_lines(&reg, "my flash", 8 << 20, buf, sizeof(buf));

	assert_int_equal(n, strlen(buf));
	assert_string_equal(buf,
		"ready /dev/mtd3 my\\040flash 8388608\n"
		"ready /dev/mtd4 boot\\040loader 1048576\n"
		"ready /dev/mtd5 ubi\\134x 7340032\n");
}

/* CONFIG_MTD_PARTITIONED_MASTER off: only the partitions exist. */
static void lines_of_parts_alone(void **state)
{
	const struct muse_registration reg = {
		.index = -1, .nr_parts = 1, .parts = parts,
	};
	char buf[RF_READY_LINES_MAX];

	rf_ready_lines(&reg, "whole", 8 << 20, buf, sizeof(buf));
	assert_string_equal(buf, "ready /dev/mtd4 boot\\040loader 1048576\n");
}

static void lines_too_long_for_the_buffer(void **state)
{
	const struct muse_registration reg = { .index = 0 };
	char buf[16];

	assert_int_equal(rf_ready_lines(&reg, "ramflash", 1, buf, sizeof(buf)),
			 -ENOSPC);
}

/* An sd_notify listener on @name ("@..." abstract, else a path). */
static int listen_notify(const char *name)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len = strlen(name);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	memcpy(sa.sun_path, name, len);
	if (name[0] == '@')
		sa.sun_path[0] = '\0';
	else
		len++;
	assert_int_equal(bind(fd, (struct sockaddr *)&sa,
			      offsetof(struct sockaddr_un, sun_path) + len), 0);
	assert_int_equal(setenv("NOTIFY_SOCKET", name, 1), 0);
	return fd;
}

static void datagram(int fd, char *buf, size_t size)
{
	ssize_t n = recv(fd, buf, size - 1, MSG_DONTWAIT);

	assert_true(n > 0);
	buf[n] = '\0';
}

static void ready_reaches_fd_pidfile_and_notify(void **state)
{
	const struct muse_registration reg = {
		.index = 3, .nr_parts = 2, .parts = parts,
	};
	char dir[] = "/tmp/rf-ready-XXXXXX", pidfile[64], name[64];
	char buf[RF_READY_LINES_MAX], want[64];
	struct rf_ready r;
	int pipefd[2], sock;
	FILE *f;
	long pid;

	assert_non_null(mkdtemp(dir));
	snprintf(pidfile, sizeof(pidfile), "%s/pid", dir);
	snprintf(name, sizeof(name), "@rf-ready-%ld", (long)getpid());
	sock = listen_notify(name);
	assert_int_equal(pipe(pipefd), 0);

	assert_int_equal(rf_ready_start(&r, pipefd[1], pidfile, "my flash",
					8 << 20, false), 0);
	rf_ready_registered(&r, &reg);
	memset(buf, 0, sizeof(buf));
	assert_true(read(pipefd[0], buf, sizeof(buf)) > 0);
	assert_string_equal(buf,
		"ready /dev/mtd3 my\\040flash 8388608\n"
		"ready /dev/mtd4 boot\\040loader 1048576\n"
		"ready /dev/mtd5 ubi\\134x 7340032\n");
	/* Closed: the reader sees the end right after the lines. */
	assert_int_equal(read(pipefd[0], buf, sizeof(buf)), 0);

	f = fopen(pidfile, "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%ld", &pid), 1);
	fclose(f);
	assert_int_equal(pid, (long)getpid());

	datagram(sock, buf, sizeof(buf));
	snprintf(want, sizeof(want), "READY=1\nMAINPID=%ld\n", (long)getpid());
	assert_memory_equal(buf, want, strlen(want));
	assert_non_null(strstr(buf,
		"\nSTATUS=ready /dev/mtd3 my\\040flash 8388608\n"));

	rf_ready_stop(&r);
	assert_int_equal(access(pidfile, F_OK), -1);
	assert_int_equal(rmdir(dir), 0);
	close(pipefd[0]);
	close(sock);
	unsetenv("NOTIFY_SOCKET");
}

static void failure_closes_the_fd_without_a_line(void **state)
{
	const struct muse_registration reg = { .error = -EINVAL, .index = -1 };
	char dir[] = "/tmp/rf-ready-XXXXXX", path[64], buf[256];
	struct rf_ready r;
	int pipefd[2], sock;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/notify", dir);
	sock = listen_notify(path);
	assert_int_equal(pipe(pipefd), 0);
	assert_int_equal(rf_ready_start(&r, pipefd[1], NULL, "x", 1, true), 0);
	rf_ready_registered(&r, &reg);
	assert_int_equal(r.error, -EINVAL);
	assert_int_equal(read(pipefd[0], buf, sizeof(buf)), 0);
	datagram(sock, buf, sizeof(buf));
	assert_non_null(strstr(buf, "STATUS=registration failed: "));
	assert_non_null(strstr(buf, "\nERRNO=22\n"));
	assert_null(strstr(buf, "READY=1"));
	rf_ready_stop(&r);
	close(pipefd[0]);
	close(sock);
	unlink(path);
	assert_int_equal(rmdir(dir), 0);
	unsetenv("NOTIFY_SOCKET");
}

/* The reader is gone: the write fails, the process lives on. */
static void reader_gone_is_not_fatal(void **state)
{
	const struct muse_registration reg = { .index = 2 };
	struct rf_ready r;
	int pipefd[2];

	assert_int_equal(pipe(pipefd), 0);
	close(pipefd[0]);
	assert_int_equal(rf_ready_start(&r, pipefd[1], NULL, "x", 1, true), 0);
	rf_ready_registered(&r, &reg);
	assert_int_equal(r.fd, -1);
	rf_ready_stop(&r);
	signal(SIGPIPE, SIG_DFL);
}

static void closed_ready_fd_is_refused(void **state)
{
	struct rf_ready r;
	int fds[2];

	assert_int_equal(pipe(fds), 0);
	close(fds[0]);
	close(fds[1]);
	assert_int_equal(rf_ready_start(&r, fds[1], NULL, "x", 1, true),
			 -EBADF);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lines_of_whole_device_and_parts),
		cmocka_unit_test(lines_of_parts_alone),
		cmocka_unit_test(lines_too_long_for_the_buffer),
		cmocka_unit_test(ready_reaches_fd_pidfile_and_notify),
		cmocka_unit_test(failure_closes_the_fd_without_a_line),
		cmocka_unit_test(closed_ready_fd_is_refused),
		cmocka_unit_test(reader_gone_is_not_fatal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
