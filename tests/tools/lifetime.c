// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * muse-peer lifetime: moments at which a connection, a request
 * or a registration used to be lost or wedged.
 *
 * exiting-child   a child inherits the server's /dev/muse fd, opens the
 *                 MTD read-write and exits after the server closed its
 *                 copy: closing /dev/mtdN in do_exit sends SYNC to a
 *                 connection whose last file is the exiting child's own.
 *                 It must end; then the MTD goes.  Both fd orders.
 * copy-kill       the MTD user is killed while a server thread copies its
 *                 request (the copy is held in a userfaultfd fault): the
 *                 copy completes and the reply ends the user; a copy that
 *                 faults puts the request back and wakes the other server
 *                 thread (asleep in read()), or the killed user withdraws
 *                 it; either way the user ends.
 * copy-timeout    a request_timeout set (per connection) while the only
 *                 request is being copied still fires once it was sent.
 * register-fail   an MLC NAND whose third partition cannot register
 *                 (`slc` needs a pairing scheme MUSE has not): the INIT
 *                 write returns at once, the connection ends, nothing
 *                 stays registered, and nothing deadlocks with mtdblock
 *                 loaded.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "mtduser.h"
#include "cases.h"

#define PAGE	2048u

static const char *const nand_keys[] = {
	"TYPE=4", "FLAGS=1024", "SIZE=1048576", "WRITESIZE=2048",
	"ERASESIZE=131072", "OOBSIZE=64", "OOBAVAIL=38", NULL,
};

static struct rp_request req;

/* Register a small NAND called name (NAME= first); the fd or -1. */
static int connect_nand(const char *name, const char *casename)
{
	const char *keys[16] = { NULL };
	char name_key[80];
	size_t i;
	int fd;

	snprintf(name_key, sizeof(name_key), "NAME=%s", name);
	keys[0] = name_key;
	for (i = 0; nand_keys[i]; i++)
		keys[i + 1] = nand_keys[i];
	fd = rp_connect("/dev/muse", &req, keys);
	if (fd < 0 || !wait_mtd(name, true)) {
		result(casename, false, "registering %s: %s", name,
		       fd < 0 ? strerror(-fd) : "no MTD");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Wait up to ms for pid to exit; its status, or -1 if it did not. */
static int reap_within(pid_t pid, int ms)
{
	struct timespec step = { 0, 20 * 1000 * 1000 };
	int status;

	for (; ms > 0; ms -= 20) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return status;
		nanosleep(&step, NULL);
	}
	return -1;
}

/* ---- exiting-child ------------------------------------------------- */

static void exiting_child(bool mtd_fd_first)
{
	const char *casename = mtd_fd_first ? "exiting-child-mtd-fd-first" :
				"exiting-child-muse-fd-first";
	char path[64], c = 0;
	int fd, sync_pipe[2], go_pipe[2], status;
	pid_t pid;

	fd = connect_nand("exiting", casename);
	if (fd < 0)
		return;
	if (pipe(sync_pipe) || pipe(go_pipe)) {
		result(casename, false, "pipe: %s", strerror(errno));
		close(fd);
		return;
	}
	snprintf(path, sizeof(path), "/dev/mtd%d", mtd_index("exiting"));
	pid = fork();
	if (pid == 0) {
		int mtd = open(path, O_RDWR);

		/* With the MTD's fd below the server's, do_exit closes it first. */
		if (mtd_fd_first && mtd >= 0) {
			int high = fcntl(fd, F_DUPFD, mtd + 16);

			close(fd);
			fd = high;
		}
		c = mtd < 0 || fd < 0 ? 'E' : 'R';
		if (write(sync_pipe[1], &c, 1) != 1 ||
		    read(go_pipe[0], &c, 1) != 1)
			_exit(2);
		_exit(0);
	}
	/* Serve until the child has the MTD open (an open sends nothing). */
	while (read(sync_pipe[0], &c, 1) != 1)
		;
	if (c != 'R') {
		result(casename, false, "the child could not open %s", path);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		close(fd);
		return;
	}
	close(fd);
	if (write(go_pipe[1], &c, 1) != 1)
		perror("write");
	status = reap_within(pid, WAIT_MS);
	result(casename, status != -1,
	       "the child holding the last /dev/muse file and /dev/mtdN read-write did not finish exiting within %d s",
	       WAIT_MS / 1000);
	if (status == -1)
		return;		/* wedged: nothing later can pass */
	result(mtd_fd_first ? "exiting-child-mtd-gone-mtd-fd-first" :
	       "exiting-child-mtd-gone-muse-fd-first",
	       !wait_mtd("exiting", false), NULL);
	close(sync_pipe[0]);
	close(sync_pipe[1]);
	close(go_pipe[0]);
	close(go_pipe[1]);
}

const char *case_exiting_child(void)
{
	int before = check_failures;

	exiting_child(false);
	if (check_failures == before)
		exiting_child(true);
	return NULL;
}

/* ---- a request held in its copy to the server ----------------------- */

struct held_read {
	int fd;
	int uffd;
	unsigned char *buf;
	size_t len;
	pthread_t thread;
	ssize_t ret;
	int err;
};

static void *held_reader(void *arg)
{
	struct held_read *h = arg;

	h->ret = read(h->fd, h->buf, h->len);
	h->err = h->ret < 0 ? errno : 0;
	return NULL;
}

/*
 * Start a server thread reading into a buffer whose first page is not
 * there yet (userfaultfd): the module's copy of the request stops in
 * that fault.  Returns 0 once the fault is pending.
 */
static int hold_copy(struct held_read *h, int fd, const char *casename)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg;
	struct uffd_msg msg;
	struct pollfd pfd;

	memset(h, 0, sizeof(*h));
	h->fd = fd;
	h->len = RP_REQ_MAX;
	h->uffd = syscall(SYS_userfaultfd, O_CLOEXEC);
	if (h->uffd < 0 || ioctl(h->uffd, UFFDIO_API, &api)) {
		result(casename, false, "userfaultfd: %s", strerror(errno));
		return -1;
	}
	h->buf = mmap(NULL, h->len, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	reg.range.start = (uintptr_t)h->buf;
	reg.range.len = h->len;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	if (h->buf == MAP_FAILED || ioctl(h->uffd, UFFDIO_REGISTER, &reg)) {
		result(casename, false, "UFFDIO_REGISTER: %s", strerror(errno));
		return -1;
	}
	if (rp_wait_readable(fd, WAIT_MS)) {
		result(casename, false, "no request from the MTD user");
		return -1;
	}
	pthread_create(&h->thread, NULL, held_reader, h);
	pfd.fd = h->uffd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, WAIT_MS) != 1 ||
	    read(h->uffd, &msg, sizeof(msg)) != sizeof(msg) ||
	    msg.event != UFFD_EVENT_PAGEFAULT) {
		result(casename, false, "the copy of the request never faulted");
		return -1;
	}
	return 0;
}

/*
 * Let the held copy finish: with a page (it succeeds; the buffer stays
 * for the caller to read and free_copy()) or without (EFAULT).
 */
static void release_copy(struct held_read *h, bool fault)
{
	struct uffdio_zeropage zp = {
		.range = { (uintptr_t)h->buf, h->len },
	};

	if (fault) {
		/* No mapping when the fault is retried: the copy fails. */
		munmap(h->buf, h->len);
		h->buf = NULL;
	} else {
		ioctl(h->uffd, UFFDIO_ZEROPAGE, &zp);
	}
	close(h->uffd);
	pthread_join(h->thread, NULL);
}

static void free_copy(struct held_read *h)
{
	if (h->buf)
		munmap(h->buf, h->len);
}

/* A second server thread asleep in a blocking read() (no poll timeout). */
struct sleeper {
	int fd;
	pthread_t thread;
	pid_t tid;
	bool stop;	/* told to stop: SIGUSR1 ends its read() */
};

/*
 * Whether thread tid of this process sleeps interruptibly in read(): its
 * state S, and the system call it is in (/proc's "syscall": its number
 * first) is read's.  A thread that is merely scheduled out, or asleep
 * anywhere else, does not count.
 */
static bool thread_sleeps_in_read(pid_t tid)
{
	bool sleeping = task_state((int)tid) == 'S';
	char path[64];
	long nr = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", (int)tid);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (fscanf(f, "%ld", &nr) != 1)
		nr = -1;
	fclose(f);
	return sleeping && nr == SYS_read;
}

static void wake_handler(int sig)
{
	(void)sig;
}

static void *sleeper_main(void *arg)
{
	static struct rp_request sreq;
	struct sleeper *s = arg;
	ssize_t n;

	__atomic_store_n(&s->tid, (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
	while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
		n = read(s->fd, sreq.buf, sizeof(sreq.buf));
		if (n < (ssize_t)sizeof(sreq.ih))
			return NULL;	/* EINTR: told to stop */
		memcpy(&sreq.ih, sreq.buf, sizeof(sreq.ih));
		sreq.body = sreq.buf + sizeof(sreq.ih);
		sreq.bodylen = n - sizeof(sreq.ih);
		rp_answer_pattern(s->fd, &sreq, 0xa5);
	}
	return NULL;
}

/*
 * Stop the sleeper: one SIGUSR1 may land while it answers, before its
 * next read(), so signal until it is gone (bounded: a sleeper that
 * never ends fails the run rather than hanging it).
 */
static void stop_sleeper(struct sleeper *s)
{
	struct timespec step = { 0, 10 * 1000 * 1000 };
	int ms;

	__atomic_store_n(&s->stop, true, __ATOMIC_RELEASE);
	for (ms = 0; ms < WAIT_MS; ms += 10) {
		pthread_kill(s->thread, SIGUSR1);
		if (!pthread_tryjoin_np(s->thread, NULL))
			return;
		nanosleep(&step, NULL);
	}
	fprintf(stderr, "muse-peer: the second server thread did not stop within %d s\n",
		WAIT_MS / 1000);
	exit(1);
}

static void copy_kill(bool fault)
{
	const char *casename = fault ? "copy-kill-copy-faults" :
				       "copy-kill-copy-completes";
	struct sigaction sa = { .sa_handler = wake_handler };
	struct held_read h;
	struct sleeper s = { 0 };
	int fd, status;
	pid_t pid;

	fd = connect_nand("copykill", casename);
	if (fd < 0)
		return;
	sigaction(SIGUSR1, &sa, NULL);
	pid = start_user("copykill", DO_READ, PAGE);
	if (hold_copy(&h, fd, casename)) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		close(fd);
		return;
	}
	s.fd = fd;
	if (fault) {
		/*
		 * It must be asleep in read() before the copy fails, or
		 * the case would not prove that the fault wakes it.
		 */
		struct timespec step = { 0, 10 * 1000 * 1000 };
		bool asleep = false;
		int ms;

		pthread_create(&s.thread, NULL, sleeper_main, &s);
		for (ms = 0; ms < WAIT_MS && !asleep; ms += 10) {
			pid_t tid = __atomic_load_n(&s.tid, __ATOMIC_ACQUIRE);

			asleep = tid && thread_sleeps_in_read(tid);
			if (!asleep)
				nanosleep(&step, NULL);
		}
		result("copy-kill-second-thread-asleep", asleep,
		       "the second server thread was not asleep in read() within %d s",
		       WAIT_MS / 1000);
	}
	kill(pid, SIGKILL);
	release_copy(&h, fault);
	if (fault) {
		result("copy-kill-faulted-copy-efault", h.err == EFAULT,
		       "read gave %zd (%s)", h.ret, strerror(h.err));
	} else {
		/* Answer the request the held read delivered. */
		struct muse_read_out rout = { .datalen = PAGE };
		static unsigned char data[PAGE];

		memcpy(&req.ih, h.buf, sizeof(req.ih));
		result("copy-kill-request-read-whole",
		       h.ret == (ssize_t)req.ih.len &&
		       req.ih.opcode == MUSE_READ,
		       "read gave %zd (%s)", h.ret, strerror(h.err));
		if (h.ret > 0)
			rp_reply(fd, 0, req.ih.unique, &rout, sizeof(rout),
				 data, PAGE);
	}
	free_copy(&h);
	status = reap_within(pid, WAIT_MS);
	result(casename, status != -1,
	       "the killed MTD user did not end within %d s (D state)",
	       WAIT_MS / 1000);
	if (fault) {
		stop_sleeper(&s);
	}
	close(fd);
	if (status == -1)
		return;
	result(fault ? "copy-kill-mtd-gone-faults" : "copy-kill-mtd-gone",
	       !wait_mtd("copykill", false), NULL);
}

const char *case_copy_kill(void)
{
	copy_kill(false);
	copy_kill(true);
	return NULL;
}

const char *case_copy_timeout(void)
{
	const char *casename = "copy-timeout-fires";
	struct timespec start, end;
	struct held_read h;
	char dir[256];
	int fd, status, err;
	pid_t pid;

	fd = connect_nand("copytimeout", casename);
	if (fd < 0)
		return NULL;
	pid = start_user("copytimeout", DO_READ, PAGE);
	if (hold_copy(&h, fd, casename)) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return NULL;
	}
	err = rp_conn_dir("copytimeout", getpid(), dir, sizeof(dir));
	if (!err)
		err = rp_conn_write(dir, "request_timeout", "2");
	clock_gettime(CLOCK_MONOTONIC, &start);
	/* The copy completes: the request is sent and never answered. */
	release_copy(&h, false);
	free_copy(&h);
	status = err ? -1 : reap_within(pid, WAIT_MS);
	clock_gettime(CLOCK_MONOTONIC, &end);
	if (err) {
		result(casename, false,
		       "cannot set request_timeout in /sys/fs/muse/connections: %s",
		       strerror(-err));
		kill(pid, SIGKILL);
		close(fd);
		waitpid(pid, NULL, 0);
		return NULL;
	}
	result(casename, status != -1 && WIFEXITED(status) &&
	       WEXITSTATUS(status) == EIO,
	       "MTD user status 0x%x after %ld s (request_timeout 2)", status,
	       (long)(end.tv_sec - start.tv_sec));
	if (status == -1) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	close(fd);
	result("copy-timeout-mtd-gone", !wait_mtd("copytimeout", false), NULL);
	return NULL;
}

/* ---- register-fail ------------------------------------------------- */

const char *case_register_fail(void)
{
	static const char *const keys[] = {
		"NAME=regfail", "TYPE=8", "FLAGS=1024", "SIZE=1048576",
		"WRITESIZE=2048", "ERASESIZE=131072", "OOBSIZE=64",
		"OOBAVAIL=38",
		"PARTSCMDLINE=256K(regfail-1),256K(regfail-2),256K(regfail-3)slc,-(regfail-4)",
		NULL,
	};
	static const struct muse_init_out out = RP_GOOD_INIT_OUT;
	const char *casename = "register-fail-third-partition";
	char why[160];
	int fd, err, status, dead;
	pid_t pid;

	fd = rp_open_init("/dev/muse", &req, why, sizeof(why));
	if (fd < 0) {
		result(casename, false, "%s", why);
		return NULL;
	}
	/*
	 * The INIT write runs in a child and must return while nobody
	 * serves: registration may not wait for this connection's answers.
	 */
	pid = fork();
	if (pid == 0) {
		err = rp_reply_init(fd, &req, &out, sizeof(out), keys);
		_exit(err ? -err : 0);
	}
	status = reap_within(pid, WAIT_MS);
	result("register-fail-init-write-returns", status != -1 &&
	       WIFEXITED(status) && WEXITSTATUS(status) == 0,
	       status == -1 ? "the INIT write did not return (deadlock)" :
	       "the INIT write gave %s", strerror(WEXITSTATUS(status)));
	if (status == -1) {
		close(fd);
		return NULL;
	}
	/* Serve what registration asks (mtdblock reads) until it gives up. */
	dead = 0;
	for (int ms = 0; ms < WAIT_MS && !dead; ms += 100) {
		err = rp_read_request(fd, &req, 100);
		if (!err)
			rp_answer_pattern(fd, &req, 0xff);
		else if (err == -ENODEV)
			dead = 1;
	}
	result(casename, dead,
	       "the connection lived on after its registration failed");
	result("register-fail-nothing-registered",
	       !wait_mtd("regfail", false) && !wait_mtd("regfail-1", false) &&
	       !wait_mtd("regfail-2", false), "/proc/mtd still lists them");
	close(fd);
	return NULL;
}
