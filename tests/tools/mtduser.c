// SPDX-License-Identifier: LGPL-2.1-or-later
/* The MTD side of the raw-peer tests, see mtduser.h. */
#define _GNU_SOURCE
#include "mtduser.h"
#include "procmtd.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <mtd/mtd-abi.h>

struct user_report *user_report;

/* How many MTDs of one name find_mtd() looks at: more is a leak. */
#define SAME_NAME_MAX	16

/* The N of the last MTD listed as name, or -1. */
static int find_mtd(const char *name)
{
	int nums[SAME_NAME_MAX];
	int found = procmtd_find(name, nums, SAME_NAME_MAX);

	if (found <= 0)
		return -1;
	return nums[(found < SAME_NAME_MAX ? found : SAME_NAME_MAX) - 1];
}

bool mtd_exists(const char *name)
{
	return find_mtd(name) >= 0;
}

int mtd_index(const char *name)
{
	return find_mtd(name);
}

bool user_exits_within(pid_t pid, int ms)
{
	struct timespec step = { 0, 10 * 1000 * 1000 };
	siginfo_t info;

	for (; ms > 0; ms -= 10) {
		memset(&info, 0, sizeof(info));
		if (waitid(P_PID, pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
		    info.si_pid == pid)
			return true;
		nanosleep(&step, NULL);
	}
	return false;
}

void peer_step(int fd, struct rp_request *req)
{
	struct timespec step = { 0, 10 * 1000 * 1000 };

	if (fd >= 0 && !rp_read_request(fd, req, 10))
		rp_answer_pattern(fd, req, 0xff);
	else
		nanosleep(&step, NULL);
}

bool wait_mtd_served(const char *name, bool present, int fd,
		     struct rp_request *req)
{
	int tries = WAIT_MS / 10;

	while (mtd_exists(name) != present && tries-- > 0)
		peer_step(fd, req);
	return mtd_exists(name);
}

bool wait_mtd(const char *name, bool present)
{
	return wait_mtd_served(name, present, -1, NULL);
}

static int memread(int fd, unsigned char *buf, uint32_t page)
{
	struct mtd_read_req req = {
		.start = 0, .len = page, .usr_data = (uintptr_t)buf,
		.mode = MTD_OPS_PLACE_OOB,
	};
	int ret = ioctl(fd, MEMREAD, &req);
	int err = ret < 0 ? errno : 0;

	user_report->corrected = req.ecc_stats.corrected_bitflips;
	user_report->failed = req.ecc_stats.uncorrectable_errors;
	user_report->max_bitflips = req.ecc_stats.max_bitflips;
	return err;
}

static int do_action(int fd, enum mtd_action action, uint32_t page)
{
	unsigned char *buf = malloc(page);
	struct mtd_info_user info;
	struct erase_info_user erase = { .start = 0 };
	loff_t ofs = 0;
	int ret;

	if (!buf)
		return ENOMEM;
	switch (action) {
	case DO_READ:
		if (pread(fd, buf, page, 0) != (ssize_t)page)
			return errno;
		return buf[0] == 0xa5 ? 0 : EBADMSG;
	case DO_WRITE:
		memset(buf, 0x5a, page);
		return pwrite(fd, buf, page, 0) == (ssize_t)page ? 0 : errno;
	case DO_ERASE:
		if (ioctl(fd, MEMGETINFO, &info) < 0)
			return errno;
		erase.length = info.erasesize;
		return ioctl(fd, MEMERASE, &erase) < 0 ? errno : 0;
	case DO_ISBAD:
		ret = ioctl(fd, MEMGETBADBLOCK, &ofs);
		return ret < 0 ? errno : 0;
	case DO_MEMREAD:
		return memread(fd, buf, page);
	}
	return EINVAL;
}

pid_t start_user(const char *name, enum mtd_action action, uint32_t page)
{
	char path[64];
	pid_t pid;
	int fd;

	if (!user_report) {
		user_report = mmap(NULL, sizeof(*user_report),
				   PROT_READ | PROT_WRITE,
				   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (user_report == MAP_FAILED) {
			perror("mmap");
			exit(1);
		}
	}
	memset(user_report, 0, sizeof(*user_report));
	pid = fork();
	if (pid)
		return pid;

	alarm(WAIT_MS / 1000 * 2);
	for (fd = 3; fd < 256; fd++)
		close(fd);
	snprintf(path, sizeof(path), "/dev/mtd%d", mtd_index(name));
	fd = open(path, action == DO_READ || action == DO_MEMREAD ?
		  O_RDONLY : O_RDWR);
	user_report->err = fd < 0 ? errno : do_action(fd, action, page);
	_exit(user_report->err > 255 ? 255 : user_report->err);
}

int finish_user(int fd, pid_t pid, struct rp_request *req)
{
	struct timespec start, now;
	int status;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) ? user_report->err : -1;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec > 2 * WAIT_MS / 1000) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -1;
		}
		if (rp_read_request(fd, req, 100) == 0)
			rp_answer_pattern(fd, req, 0xa5);
	}
}
