// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * muse-peer init race: the server's ioctls racing its own INIT write,
 * and their privilege.
 * The INIT reply stores the negotiated extensions and the geometry the
 * ioctls divide by field by field inside that write(); an ioctl must
 * see all of it or none of it.  Each round opens /dev/muse, reads INIT,
 * lets a second thread fire MUSE_IOC_* ioctls at the file as fast as it
 * can, writes an INIT reply that accepts passthrough and kernel erase,
 * stops the thread and closes.  Every ioctl must end with one of the
 * errnos doc/protocol.md gives it, never with a crash (the kernel log is
 * the harness's); before the write an ioctl must find no extension
 * (EOPNOTSUPP), after it the extensions (the grant needs an erase
 * backing first: ENXIO).
 *
 * Then the ioctls' own privilege: a process without CAP_SYS_ADMIN that
 * holds the server's descriptor (passed on, inherited) cannot register a
 * backing file or mark blocks (EPERM), as FUSE's backing ioctl checks;
 * fetching the read counts, which is serving, stays allowed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/capability.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "mtduser.h"
#include "cases.h"
#include "rawpeer.h"

#define RACE_NAME	"init-race"

/* A NOR chip: registering it sends no request, so nobody must serve. */
static const char *const race_keys[] = {
	"NAME=" RACE_NAME, "TYPE=3", "FLAGS=1024", "SIZE=1048576",
	"WRITESIZE=1", "ERASESIZE=65536", NULL,
};

struct racer {
	pthread_t thread;
	atomic_int fd;		/* the file to fire at, or -1 */
	atomic_bool busy;	/* the racer may be firing at fd */
	atomic_bool quit;
	int memfd;		/* a backing file for MUSE_IOC_BACKING */
	unsigned long ioctls;
	int bad_errno;		/* the first errno not documented, or 0 */
	unsigned long bad_cmd;
};

/* The errnos doc/protocol.md and muse_kernel.h give these ioctls. */
static bool errno_documented(int err)
{
	switch (err) {
	case 0:
	case EOPNOTSUPP:	/* no such extension (yet) */
	case ENXIO:		/* no backing file, no erase backing */
	case EBUSY:		/* backing registered already */
	case EINVAL:
	case ERANGE:
	case EACCES:
		return true;
	}
	return false;
}

static void fire(struct racer *r, int fd)
{
	const struct muse_backing backing = { .fd = r->memfd };
	const struct muse_passthrough pt = { .count = 1, .enable = 1 };
	const struct muse_erase_grant grant = { .count = 1, .budget = 1 };
	uint32_t counts[1];
	const struct muse_pt_reads reads = {
		.count = 1, .counts = (uintptr_t)counts,
	};
	const struct {
		unsigned long cmd;
		const void *arg;
	} calls[] = {
		{ MUSE_IOC_PASSTHROUGH, &pt },
		{ MUSE_IOC_ERASE_GRANT, &grant },
		{ MUSE_IOC_PT_READS, &reads },
		{ MUSE_IOC_BACKING, &backing },
	};
	size_t i;

	for (i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		int err = ioctl(fd, calls[i].cmd, calls[i].arg) < 0 ? errno : 0;

		r->ioctls++;
		if (!errno_documented(err) && !r->bad_errno) {
			r->bad_errno = err;
			r->bad_cmd = calls[i].cmd;
		}
	}
}

/*
 * busy is set before fd is read (both sequentially consistent): once
 * racer_stop() stored -1 and saw busy clear, the racer reads -1.
 */
static void *racer_main(void *arg)
{
	struct racer *r = arg;

	while (!atomic_load(&r->quit)) {
		int fd;

		atomic_store(&r->busy, true);
		fd = atomic_load(&r->fd);
		if (fd >= 0)
			fire(r, fd);
		atomic_store(&r->busy, false);
	}
	return NULL;
}

/* Stop firing and wait until the racer holds no file any more. */
static void racer_stop(struct racer *r)
{
	atomic_store(&r->fd, -1);
	while (atomic_load(&r->busy))
		;
}

/* One round; false (with the case reported) when it went wrong. */
static bool race_round(struct racer *r, struct rp_request *req,
		       unsigned int round)
{
	static const struct muse_init_out out = RP_INIT_OUT(7, 38, 65536,
		65536, MUSE_EXT_PASSTHROUGH | MUSE_EXT_KERNEL_ERASE);
	const struct muse_erase_grant grant = { .count = 1, .budget = 1 };
	char why[160];
	int fd = rp_open_init("/dev/muse", req, why, sizeof(why));
	int before, after, err;

	if (fd < 0) {
		result("init-race", false, "round %u: %s", round, why);
		return false;
	}
	before = ioctl(fd, MUSE_IOC_ERASE_GRANT, &grant) < 0 ? errno : 0;
	atomic_store(&r->fd, fd);
	err = rp_reply_init(fd, req, &out, sizeof(out), race_keys);
	after = ioctl(fd, MUSE_IOC_ERASE_GRANT, &grant) < 0 ? errno : 0;
	racer_stop(r);
	close(fd);
	if (err || before != EOPNOTSUPP || after != ENXIO) {
		result("init-race", false,
		       "round %u: INIT write %s, grant before it %s (want EOPNOTSUPP), after it %s (want ENXIO)",
		       round, strerror(-err), strerror(before),
		       strerror(after));
		return false;
	}
	return true;
}

int drop_admin(void)
{
	struct __user_cap_header_struct head = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &head, data))
		return -1;
	data[CAP_TO_INDEX(CAP_SYS_ADMIN)].effective &=
		~CAP_TO_MASK(CAP_SYS_ADMIN);
	return (int)syscall(SYS_capset, &head, data);
}

/* A child without CAP_SYS_ADMIN tries the server's ioctls on its fd. */
static void check_admin_per_ioctl(int memfd)
{
	static const struct muse_init_out out = RP_INIT_OUT(7, 38, 65536,
		65536, MUSE_EXT_PASSTHROUGH);
	static struct rp_request req;
	const struct muse_backing backing = { .fd = memfd };
	const struct muse_passthrough pt = { .count = 1, .enable = 1 };
	uint32_t counts[1];
	const struct muse_pt_reads reads = {
		.count = 1, .counts = (uintptr_t)counts,
	};
	char why[160];
	int fd = rp_open_init("/dev/muse", &req, why, sizeof(why));
	int status = -1;
	pid_t pid;

	if (fd < 0 || rp_reply_init(fd, &req, &out, sizeof(out), race_keys)) {
		result("ioctl-admin-per-call", false, "INIT: %s",
		       fd < 0 ? why : "refused");
		if (fd >= 0)
			close(fd);
		return;
	}
	pid = fork();
	if (pid == 0) {
		/* Exit code: which step went wrong, 0 for none. */
		if (drop_admin())
			_exit(1);
		if (ioctl(fd, MUSE_IOC_BACKING, &backing) == 0 ||
		    errno != EPERM)
			_exit(2);
		if (ioctl(fd, MUSE_IOC_PASSTHROUGH, &pt) == 0 || errno != EPERM)
			_exit(3);
		if (ioctl(fd, MUSE_IOC_PT_READS, &reads) == 0 || errno != ENXIO)
			_exit(4);
		_exit(0);
	}
	if (pid > 0)
		waitpid(pid, &status, 0);
	close(fd);
	result("ioctl-admin-per-call", WIFEXITED(status) &&
	       !WEXITSTATUS(status),
	       "without CAP_SYS_ADMIN, step %d went wrong (1 capset, 2 BACKING not EPERM, 3 PASSTHROUGH not EPERM, 4 PT_READS not ENXIO)",
	       WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

const char *case_init_race(void)
{
	static struct rp_request req;
	const char *env = getenv("INIT_RACE_ROUNDS");
	unsigned int rounds = env ? (unsigned int)atoi(env) : 2000;
	struct racer r = { .fd = -1 };
	unsigned int i;
	bool ok = true;

	r.memfd = memfd_create("init-race", MFD_CLOEXEC);
	if (r.memfd < 0 || ftruncate(r.memfd, 1 << 20) ||
	    pthread_create(&r.thread, NULL, racer_main, &r)) {
		result("init-race", false, "setting up: %s", strerror(errno));
		return NULL;
	}
	for (i = 0; ok && i < rounds; i++)
		ok = race_round(&r, &req, i);
	printf("init-race: %u rounds, %lu racing ioctls\n", i, r.ioctls);
	atomic_store(&r.quit, true);
	pthread_join(r.thread, NULL);
	check_admin_per_ioctl(r.memfd);
	close(r.memfd);
	if (ok)
		result("init-race", !r.bad_errno,
		       "ioctl 0x%lx ended with %s, which it never documents",
		       r.bad_cmd, strerror(r.bad_errno));
	/* Each MTD goes after its connection, from a work item: a backlog. */
	for (i = 0; i < 6 && wait_mtd(RACE_NAME, false); i++)
		;
	result("init-race-mtds-gone", !mtd_exists(RACE_NAME), NULL);
	return NULL;
}
