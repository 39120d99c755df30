// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * muse-peer passthrough: read passthrough (MUSE_EXT_PASSTHROUGH) and
 * kernel erase (MUSE_EXT_KERNEL_ERASE) against the real module, with a
 * small libmuse server whose in-band data, OOB and erase counts live,
 * inverted, in a memfd that it registers as the backing file.  Each case
 * runs on a fresh server, its MTD open (run_served).
 *
 * equivalence   passthrough reads equal the server's answers for erased,
 *               programmed and partly programmed pages; they send no
 *               request; OOB and unmarked blocks still do; the read counts
 *               are one per block per I/O unit
 * takeback-race readers hammer a marked block while it is taken back and
 *               the server starts "flipping bits" in its answers: each
 *               reader seen reading the block from the file (counted by
 *               the kernel, no request) before the take-back, and again
 *               after it returned; no read issued after the take-back
 *               may see the file's (stale) data, each is a request
 * truncate      the backing file shrinks under the kernel: EIO, no crash
 * death         the server goes away with passthrough reads and kernel
 *               erases in flight (each reader and eraser seen working
 *               after the server's loop stopped, up to the close of
 *               /dev/muse): each then fails with EIO or ENODEV, none
 *               before the close, nothing hangs, the MTD goes away
 * erase-ioctls  MUSE_IOC_ERASE_* refuse bad arguments, and a backing file
 *               open read-only or not inverted, with their errno
 * kernel-erase  an erase of a granted block sends no request, leaves holes
 *               over its data and OOB and adds one to its count in the
 *               file; ungranted blocks, the rest of a multi-block erase
 *               after one, and erases past the budget are requests
 * keep-pages    MUSE_ERASE_KEEP_PAGES: a kernel erase of a programmed
 *               block leaves the memfd's allocation (st_blocks) as it was,
 *               its data and OOB zeroed; it reads 0xff through a request
 *               and a passthrough read; the next program allocates nothing
 * keep-pages-control the same without the flag: the erase frees the
 *               block's pages (today's punch)
 * erase-takeback erasers hammer a granted block while it is taken back: no
 *               kernel erase after the take-back returned
 * backing-kinds files passthrough must not use are refused, each with its
 *               errno: write-only, O_APPEND, memfd_secret (where the
 *               kernel has it), a hugetlbfs memfd (where huge pages are
 *               reserved), a memfd sealed against writes (for kernel
 *               erase), and the files
 *               of $PTTEST_REFUSED, "ERRNO:PATH" words (a file on a
 *               filesystem on an MTD: EXDEV; on overlayfs: ELOOP); the
 *               kinds named in $PTTEST_REQUIRE ("secretmem",
 *               "hugetlbfs") must be there
 * sealed-later  a memfd sealed against writes after MUSE_IOC_ERASE_BACKING:
 *               kernel erases no longer change it (its count stays)
 * bad-granted   a granted block the server took a MARKBAD of: its erase
 *               fails with EIO, as nand_base's, and changes nothing
 * erase-read-race passthrough readers of a block while it is kernel-erased:
 *               each read is all old data or all erased, never a mix
 * fsize-limit   an eraser under a small RLIMIT_FSIZE kernel-erases a block
 *               whose count page is not in memory: no SIGXFSZ, erased
 * huge-erase    one erase of a whole chip of MUSE_BLOCKS_MAX granted
 *               blocks ($PTTEST_HUGE_BLOCKS if set), with a thread on the
 *               eraser's CPU: the kernel's loop lets it run (it
 *               reschedules), however long it takes
 * stuck-backing the backing file is on a FUSE filesystem whose daemon
 *               stopped answering, a passthrough read waits on it: the
 *               administrator's abort and the server's exit each return
 *               within a second; the reader ends once FUSE gives up
 * store-freed   in a memory cgroup, the per-block state of a chip of
 *               MUSE_BLOCKS_MAX blocks (passthrough and kernel erase) is
 *               charged to the server, and freed when the server dies
 *               while a user still holds the MTD open (skipped, saying
 *               so, where the kernel has no cgroup v2 memory controller)
 * stuck-timeout the same, and a request the server does not answer:
 *               the connection's request_timeout (1 s) kills the
 *               connection at once, the request fails with EIO, the
 *               server's loop ends and its exit returns within a second
 * read-only     a backing file registered through a read-only descriptor
 *               serves passthrough reads as in equivalence; kernel erase
 *               refuses it (EACCES)
 * */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <mtd/mtd-user.h>

#include <muse/muse.h>
#include <muse/muse_kernel.h>

#include "cases.h"
#include "fusestall.h"
#include "flashbytes.h"
#include "procmtd.h"

#define PAGE		2048u
#define BLOCK		(64u * PAGE)
#define BLOCKS		32u
#define SIZE		((uint64_t)BLOCKS * BLOCK)
#define OOB		64u
#define NAME		"pttest"
#define READERS		4
#define PAGES		(SIZE / PAGE)
/* The store: data, then OOB, then one erase count per block. */
#define OOB_OFF		SIZE
#define COUNT_OFF	(OOB_OFF + PAGES * OOB)
#define STORE_SIZE	(COUNT_OFF + BLOCKS * sizeof(uint32_t))

/* The server: in-band data inverted in a memfd, OOB erased. */
struct server {
	struct muse_session *se;
	int store;
	pthread_t loop;
	atomic_uint reads[BLOCKS];	/* READ requests per block */
	atomic_uint erases[BLOCKS];	/* ERASE requests per block */
	atomic_bool bad[BLOCKS];	/* marked bad by MARKBAD */
	atomic_int flip_block;		/* answers of this block flip bit 0 */
	atomic_bool hold_reads;		/* READs wait while set */
	atomic_bool holding;		/* a READ is waiting on hold_reads */
	atomic_bool loop_done;		/* the loop returned */
};

static int srv_read(void *userdata, struct muse_req *req,
		    const struct muse_io *io, struct muse_ecc_result *ecc)
{
	struct server *s = userdata;
	struct timespec pause = { 0, 1000 * 1000 };
	uint64_t a;

	/* An unanswered request, for the connection's request timeout. */
	while (atomic_load(&s->hold_reads)) {
		atomic_store(&s->holding, true);
		nanosleep(&pause, NULL);
	}
	if (io->len && pread(s->store, io->buf, io->len, (off_t)io->addr) !=
	    (ssize_t)io->len)
		return -EIO;
	invert(io->buf, io->len);
	memset(io->oobbuf, 0xff, io->ooblen);
	for (a = io->addr - io->addr % BLOCK; a < io->addr + (io->len ?: 1);
	     a += BLOCK)
		atomic_fetch_add(&s->reads[a / BLOCK], 1);
	if (io->len && (int)(io->addr / BLOCK) ==
	    atomic_load(&s->flip_block))
		for (a = 0; a < io->len; a += PAGE)
			((uint8_t *)io->buf)[a] ^= 1;
	return 0;
}

static int srv_write(void *userdata, struct muse_req *req,
		     const struct muse_io *io)
{
	struct server *s = userdata;
	uint8_t *inv = malloc(io->len ? io->len : 1);
	int ret = 0;

	if (!inv)
		return -ENOMEM;
	memcpy(inv, io->buf, io->len);
	invert(inv, io->len);
	/* The file changes before the answer: later reads must see it. */
	if (io->len && pwrite(s->store, inv, io->len, (off_t)io->addr) !=
	    (ssize_t)io->len)
		ret = -EIO;
	free(inv);
	return ret;
}

static int srv_erase(void *userdata, struct muse_req *req, uint64_t addr,
		     uint64_t len)
{
	struct server *s = userdata;
	uint64_t a;

	for (a = addr; a < addr + len; a += BLOCK)
		atomic_fetch_add(&s->erases[a / BLOCK], 1);
	return fallocate(s->store, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			 (off_t)addr, (off_t)len) ? -errno : 0;
}

static int srv_isbad(void *userdata, struct muse_req *req, uint64_t addr)
{
	struct server *s = userdata;

	return atomic_load(&s->bad[addr / BLOCK]);
}

static int srv_markbad(void *userdata, struct muse_req *req, uint64_t addr)
{
	struct server *s = userdata;

	atomic_store(&s->bad[addr / BLOCK], true);
	return 0;
}

static const struct muse_ops srv_ops = {
	.read = srv_read,
	.write = srv_write,
	.erase = srv_erase,
	.isbad = srv_isbad,
	.markbad = srv_markbad,
};

static void *srv_loop(void *arg)
{
	struct server *s = arg;

	muse_session_loop_mt(s->se, 2);
	atomic_store(&s->loop_done, true);
	return NULL;
}

/* The device every session here serves, called @name. */
static struct muse_device pt_device(const char *name)
{
	const struct muse_device dev = {
		.name = name, .type = MUSE_TYPE_NAND,
		.flags = MUSE_FLAG_WRITEABLE, .size = SIZE,
		.writesize = PAGE, .erasesize = BLOCK, .oobsize = OOB,
		.oobavail = 32, .max_io = BLOCK,
	};

	return dev;
}

/*
 * Serve the MTD @name from a fresh store, registered as the backing file
 * through a descriptor of it opened with @backing_flags (O_RDWR: the
 * store's own).
 */
static const char *srv_start_as(struct server *s, const char *name,
				int backing_flags)
{
	const struct muse_device dev = pt_device(name);
	const char *err = NULL;
	char path[64];
	int backing;

	memset(s, 0, sizeof(*s));
	atomic_store(&s->flip_block, -1);
	s->store = memfd_create("pttest", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (s->store < 0 || ftruncate(s->store, STORE_SIZE))
		return "memfd";
	snprintf(path, sizeof(path), "/proc/self/fd/%d", s->store);
	backing = backing_flags == O_RDWR ? s->store :
		  open(path, backing_flags | O_CLOEXEC);
	if (backing < 0)
		err = "reopen of the store";
	else if (muse_session_new(&dev, sizeof(dev), &srv_ops, sizeof(srv_ops),
				  MUSE_SESSION_PASSTHROUGH |
				  MUSE_SESSION_KERNEL_ERASE, s, &s->se) ||
		 muse_session_open(s->se, NULL) || muse_session_init(s->se))
		err = "session set-up";
	else if (muse_session_extensions(s->se) !=
		 (muse_session_extensions(s->se) | MUSE_EXT_PASSTHROUGH |
		  MUSE_EXT_KERNEL_ERASE))
		err = "the module did not offer passthrough and kernel erase";
	else if (muse_session_set_backing(s->se, backing, 0, MUSE_PT_INVERTED))
		err = "muse_session_set_backing";
	else if (pthread_create(&s->loop, NULL, srv_loop, s))
		err = "pthread_create";
	/* The module keeps its own open of the file. */
	if (backing >= 0 && backing != s->store)
		close(backing);
	if (err && s->se) {
		/* No loop to join: srv_stop() is for a running server. */
		muse_session_destroy(s->se);
		s->se = NULL;
	}
	return err;
}

static const char *srv_start(struct server *s)
{
	return srv_start_as(s, NAME, O_RDWR);
}

static void srv_stop(struct server *s)
{
	muse_session_exit(s->se);
	pthread_join(s->loop, NULL);
	muse_session_destroy(s->se);
	close(s->store);
}

static unsigned int srv_reads(struct server *s)
{
	unsigned int i, n = 0;

	for (i = 0; i < BLOCKS; i++)
		n += atomic_load(&s->reads[i]);
	return n;
}

static const char *mark(struct server *s, unsigned int b, unsigned int n,
			int on)
{
	return muse_session_passthrough(s->se, b, n, on) ?
	       "muse_session_passthrough" : NULL;
}

static const char *case_equivalence(struct server *s, int mtd)
{
	static uint8_t want[2 * BLOCK], got[2 * BLOCK];
	struct mtd_oob_buf64 oob = { .start = 0, .length = OOB };
	struct erase_info_user erase = { .start = BLOCK, .length = BLOCK };
	uint64_t bytes[BLOCKS];
	uint32_t counts[BLOCKS];
	uint8_t oobbuf[OOB];
	unsigned int before;
	const char *err;

	/* Programmed (block 1), erased (0), two blocks at once (2-3). */
	pattern(want, 2 * BLOCK, 1);
	if (pwrite(mtd, want, BLOCK, BLOCK) != BLOCK ||
	    pwrite(mtd, want, 2 * BLOCK, 2 * BLOCK) != 2 * BLOCK)
		return "write through the server";
	/* Block 4: only its first page programmed. */
	if (pwrite(mtd, want, PAGE, 4 * BLOCK) != PAGE)
		return "page write";
	err = mark(s, 0, BLOCKS, 1);
	if (err)
		return err;
	if (muse_session_passthrough_reads(s->se, 0, BLOCKS, counts, bytes))
		return "reset the counts";

	before = srv_reads(s);
	if (pread(mtd, got, BLOCK, 0) != BLOCK || !all_ff(got, BLOCK))
		return "an erased block does not read 0xff";
	if (pread(mtd, got, BLOCK, BLOCK) != BLOCK ||
	    memcmp(got, want, BLOCK))
		return "a programmed block reads other data";
	if (pread(mtd, got, 2 * BLOCK, 2 * BLOCK) != 2 * BLOCK ||
	    memcmp(got, want, 2 * BLOCK))
		return "two blocks read other data";
	if (pread(mtd, got, BLOCK, 4 * BLOCK) != BLOCK ||
	    memcmp(got, want, PAGE) || !all_ff(got + PAGE, BLOCK - PAGE))
		return "a partly programmed block reads other data";
	if (pread(mtd, got, PAGE, BLOCK + 3 * PAGE) != PAGE ||
	    memcmp(got, want + 3 * PAGE, PAGE))
		return "a single page reads other data";
	if (srv_reads(s) != before)
		return "marked reads reached the server";

	if (muse_session_passthrough_reads(s->se, 0, BLOCKS, counts, bytes))
		return "muse_session_passthrough_reads";
	note("counts: %u %u %u %u %u\n", counts[0], counts[1], counts[2],
	     counts[3], counts[4]);
	if (counts[0] != 1 || counts[1] != 2 || counts[2] != 1 ||
	    counts[3] != 1 || counts[4] != 1 || counts[5])
		return "read counts are not one per block per unit";
	if (bytes[0] != BLOCK || bytes[1] != BLOCK + PAGE ||
	    bytes[2] != BLOCK || bytes[3] != BLOCK || bytes[4] != BLOCK ||
	    bytes[5])
		return "read byte counts are not the bytes read per block";

	/* OOB is always a request. */
	oob.usr_ptr = (uintptr_t)oobbuf;
	if (ioctl(mtd, MEMREADOOB64, &oob) || srv_reads(s) != before + 1)
		return "an OOB read did not reach the server";

	/* Taken back: the server answers, with the same data. */
	err = mark(s, 1, 1, 0);
	if (err)
		return err;
	if (pread(mtd, got, BLOCK, BLOCK) != BLOCK ||
	    memcmp(got, want, BLOCK) || srv_reads(s) != before + 2)
		return "a taken-back block was not read from the server";

	/* Erased through the server, marked again: 0xff from the file. */
	if (ioctl(mtd, MEMERASE, &erase))
		return "erase";
	err = mark(s, 1, 1, 1);
	if (err)
		return err;
	if (pread(mtd, got, BLOCK, BLOCK) != BLOCK || !all_ff(got, BLOCK) ||
	    srv_reads(s) != before + 2)
		return "an erased, marked block does not read 0xff from the file";
	return NULL;
}

/*
 * A backing file registered through a read-only descriptor: no kernel
 * erase (EACCES), and passthrough serves it as any other.
 */
static const char *case_read_only(struct server *unused, int unused_mtd)
{
	const char *err;
	struct server ro;
	int mtd = -1, e;

	(void)unused;
	(void)unused_mtd;
	err = srv_start_as(&ro, NAME "-ro", O_RDONLY);
	if (!err) {
		mtd = procmtd_open(NAME "-ro", O_RDWR);
		if (mtd < 0)
			err = "the MTD did not appear";
	}
	if (!err) {
		e = muse_session_set_erase_backing(ro.se, OOB_OFF, COUNT_OFF,
						   sizeof(uint32_t));
		note("read-only: erase backing %d\n", e);
		if (e != -EACCES)
			err = "kernel erase on a read-only backing file was not EACCES";
	}
	err = err ?: case_equivalence(&ro, mtd);
	if (mtd >= 0)
		close(mtd);
	if (ro.se)
		srv_stop(&ro);
	return err;
}

/*
 * Readers hold the lock shared across one read; the main thread takes it
 * exclusively to change gen, so every read is classified under the phase
 * it was issued in, and a phase's change waits for the reads of the one
 * before to end.  gen % 3: RACE_SERVING (the block unmarked, answers
 * plain), RACE_MARKED (marked: passthrough reads), RACE_TAKEN_BACK (the
 * take-back returned and the server flips its answers).  Each reader
 * notes the gen of its last read that worked, so the main thread can wait
 * (a handshake, not a pause) until every reader has read in a phase.
 */
enum race_phase { RACE_SERVING, RACE_MARKED, RACE_TAKEN_BACK };

struct race_reader {
	struct race *r;
	atomic_int done_gen;		/* gen its last good read was issued in */
};

struct race {
	struct server *s;
	int mtd;
	pthread_rwlock_t lock;
	atomic_int gen;			/* written under the lock, exclusively */
	atomic_bool stop;
	atomic_bool taking_back;	/* the take-back has been issued */
	atomic_uint stale, flipped, straddled;
	struct race_reader readers[READERS];
};

#define RACE_BLOCK	5u

static void *race_reader(void *arg)
{
	struct race_reader *me = arg;
	struct race *r = me->r;
	uint8_t buf[PAGE];
	unsigned int seed = (unsigned int)(uintptr_t)pthread_self();

	while (!atomic_load(&r->stop)) {
		off_t page = rand_r(&seed) % (BLOCK / PAGE);
		bool ok, flip;
		int gen;

		pthread_rwlock_rdlock(&r->lock);
		gen = atomic_load(&r->gen);
		ok = pread(r->mtd, buf, PAGE,
			   RACE_BLOCK * BLOCK + page * PAGE) == PAGE;
		flip = buf[0] != (uint8_t)(page * PAGE * 131 +
					   ((page * PAGE) >> 11));
		/* Issued after the take-back: the server's answer only. */
		if (ok && gen % 3 == RACE_TAKEN_BACK) {
			if (flip)
				atomic_fetch_add(&r->flipped, 1);
			else
				atomic_fetch_add(&r->stale, 1);
		}
		/* A passthrough read that ended with the take-back running. */
		if (ok && gen % 3 == RACE_MARKED &&
		    atomic_load(&r->taking_back))
			atomic_fetch_add(&r->straddled, 1);
		if (ok)
			atomic_store(&me->done_gen, gen);
		pthread_rwlock_unlock(&r->lock);
	}
	return NULL;
}

/* The next phase: no read of the one before is still running. */
static int race_next(struct race *r, int flip_block, unsigned int *reads)
{
	int gen;

	pthread_rwlock_wrlock(&r->lock);
	gen = atomic_fetch_add(&r->gen, 1) + 1;
	atomic_store(&r->s->flip_block, flip_block);
	*reads = atomic_load(&r->s->reads[RACE_BLOCK]);
	pthread_rwlock_unlock(&r->lock);
	return gen;
}

/* Every reader has read in phase @gen (up to 10 s). */
static bool race_all_read(struct race *r, int gen)
{
	int i, k;

	for (k = 0; k < 10000; k++) {
		for (i = 0; i < READERS; i++)
			if (atomic_load(&r->readers[i].done_gen) != gen)
				break;
		if (i == READERS)
			return true;
		usleep(1000);
	}
	return false;
}

static const char *case_takeback_race(struct server *s, int mtd)
{
	static uint8_t want[BLOCK];
	struct race r = { .s = s, .mtd = mtd };
	pthread_rwlockattr_t attr;
	pthread_t readers[READERS];
	unsigned int reads, pt_reads = 0, requests = 0;
	uint32_t count;
	const char *err = NULL;
	int i, round, gen;

	pattern(want, BLOCK, 0);
	if (pwrite(mtd, want, BLOCK, RACE_BLOCK * BLOCK) != BLOCK)
		return "write";
	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr,
			PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&r.lock, &attr);
	for (i = 0; i < READERS; i++) {
		r.readers[i].r = &r;
		atomic_store(&r.readers[i].done_gen, -1);
		pthread_create(&readers[i], NULL, race_reader, &r.readers[i]);
	}
	for (round = 0; round < 20 && !err; round++) {
		/* The kernel's count from here on: this round's only. */
		err = muse_session_passthrough_reads(s->se, RACE_BLOCK, 1,
						     &count, NULL) ?
		      "muse_session_passthrough_reads" : NULL;
		err = err ?: mark(s, RACE_BLOCK, 1, 1);
		if (err)
			break;
		/*
		 * Every reader is seen reading the marked block, from the
		 * file (no request, the kernel counted them), right up to
		 * the take-back, which races with those reads.
		 */
		gen = race_next(&r, -1, &reads);
		if (!race_all_read(&r, gen)) {
			err = "not every reader read the marked block before the take-back: the case proved nothing";
			break;
		}
		atomic_store(&s->flip_block, RACE_BLOCK);
		if (atomic_load(&s->reads[RACE_BLOCK]) != reads) {
			err = "a read of the marked block reached the server";
			break;
		}
		atomic_store(&r.taking_back, true);
		err = mark(s, RACE_BLOCK, 1, 0);
		if (err)
			break;
		if (muse_session_passthrough_reads(s->se, RACE_BLOCK, 1,
						   &count, NULL)) {
			err = "muse_session_passthrough_reads";
			break;
		}
		if (count < READERS) {
			err = "the marked block's reads were not passthrough reads";
			break;
		}
		pt_reads += count;
		/*
		 * Every reader is seen reading again after the take-back
		 * returned: each such read must be a request, flipped.
		 */
		gen = race_next(&r, RACE_BLOCK, &reads);
		atomic_store(&r.taking_back, false);
		if (!race_all_read(&r, gen)) {
			err = "not every reader read after the take-back: the case proved nothing";
			break;
		}
		requests += atomic_load(&s->reads[RACE_BLOCK]) - reads;
		if (atomic_load(&s->reads[RACE_BLOCK]) - reads < READERS) {
			err = "the reads after the take-back were not requests";
			break;
		}
		race_next(&r, -1, &reads);
	}
	atomic_store(&r.stop, true);
	for (i = 0; i < READERS; i++)
		pthread_join(readers[i], NULL);
	pthread_rwlock_destroy(&r.lock);
	note("takeback-race: %u passthrough reads, %u ended with the take-back running; after it: %u requests, %u flipped, %u stale\n",
	     pt_reads, atomic_load(&r.straddled), requests,
	     atomic_load(&r.flipped), atomic_load(&r.stale));
	if (atomic_load(&r.stale))
		return "a read issued after the take-back saw the file";
	return err;
}

static const char *case_truncate(struct server *s, int mtd)
{
	static uint8_t buf[BLOCK];
	const char *err = mark(s, 0, BLOCKS, 1);

	if (err)
		return err;
	if (ftruncate(s->store, SIZE / 2))
		return "ftruncate";
	if (pread(mtd, buf, BLOCK, SIZE / 2 + BLOCK) >= 0 || errno != EIO)
		return "a read past the truncated file did not fail with EIO";
	if (pread(mtd, buf, BLOCK, 0) != BLOCK)
		return "a read inside the truncated file failed";
	if (ftruncate(s->store, STORE_SIZE))
		return "ftruncate back";
	return NULL;
}

/*
 * The death case's readers and erasers.  Each loops until a call fails,
 * counting its calls that succeeded once the server's loop had stopped
 * (DEATH_LOOP_STOPPED), so the case can wait until every one of them is
 * seen working right up to the close of /dev/muse (DEATH_CLOSING on).
 */
enum death_phase {
	DEATH_SERVING,
	DEATH_LOOP_STOPPED,
	DEATH_CLOSING,		/* muse_session_destroy() called */
	DEATH_CLOSED,		/* and returned */
};

struct death_worker {
	int mtd;
	bool erases;			/* MEMERASE, else pread */
	atomic_int *phase;
	atomic_uint ok_stopped;		/* calls that worked, loop stopped */
	atomic_bool ended;
	enum death_phase ended_in;	/* the phase after its failing call */
	bool issued_before_close;	/* that call issued before DEATH_CLOSING */
	int err;			/* that call's errno */
};

static void *death_work(void *arg)
{
	struct death_worker *w = arg;
	struct erase_info_user erase = { .start = 0, .length = BLOCK };
	uint8_t buf[PAGE];
	off_t at = 0;
	int ret;

	for (;;) {
		enum death_phase before = atomic_load(w->phase);

		if (w->erases) {
			ret = ioctl(w->mtd, MEMERASE, &erase);
			erase.start = (erase.start + BLOCK) % SIZE;
		} else {
			ret = pread(w->mtd, buf, PAGE, at) == PAGE ? 0 : -1;
			at = (at + PAGE) % SIZE;
		}
		if (ret) {
			w->issued_before_close = before < DEATH_CLOSING;
			break;
		}
		if (before == DEATH_LOOP_STOPPED)
			atomic_fetch_add(&w->ok_stopped, 1);
	}
	w->err = errno;
	w->ended_in = atomic_load(w->phase);
	atomic_store(&w->ended, true);
	return NULL;
}

static const char *ke_setup(struct server *s)
{
	return muse_session_set_erase_backing(s->se, OOB_OFF, COUNT_OFF,
					      sizeof(uint32_t)) ?
	       "muse_session_set_erase_backing" : NULL;
}

static const char *grant(struct server *s, unsigned int b, unsigned int n,
			 uint32_t budget)
{
	return muse_session_erase_grant(s->se, b, n, budget) ?
	       "muse_session_erase_grant" : NULL;
}

/* Every worker worked with the loop stopped (up to 10 s), none ended. */
static bool death_all_working(struct death_worker *w, int n)
{
	int i, k;

	for (k = 0; k < 10000; k++) {
		for (i = 0; i < n; i++)
			if (atomic_load(&w[i].ended) ||
			    !atomic_load(&w[i].ok_stopped))
				break;
		if (i == n)
			return true;
		if (atomic_load(&w[i].ended))
			return false;
		usleep(1000);
	}
	return false;
}

static const char *case_death(struct server *s, int mtd)
{
	struct death_worker w[2 * READERS];
	pthread_t threads[2 * READERS];
	atomic_int phase = DEATH_SERVING;
	const char *err = mark(s, 0, BLOCKS, 1);
	unsigned int in_flight = 0;
	bool working;
	int i;

	err = err ?: ke_setup(s);
	err = err ?: grant(s, 0, BLOCKS, MUSE_ERASE_BUDGET_UNLIMITED);
	if (err)
		return err;
	for (i = 0; i < 2 * READERS; i++) {
		w[i] = (struct death_worker){ .mtd = mtd, .erases = i & 1,
					      .phase = &phase };
		pthread_create(&threads[i], NULL, death_work, &w[i]);
	}
	/*
	 * The server's loop stops first: passthrough reads and kernel
	 * erases need none, so every worker must still be seen working
	 * (a handshake, not a pause) before the server's /dev/muse closes
	 * under them.  Every one of them must then end with an error.
	 */
	muse_session_exit(s->se);
	pthread_join(s->loop, NULL);
	atomic_store(&phase, DEATH_LOOP_STOPPED);
	working = death_all_working(w, 2 * READERS);
	atomic_store(&phase, DEATH_CLOSING);
	muse_session_destroy(s->se);
	atomic_store(&phase, DEATH_CLOSED);
	close(s->store);
	s->se = NULL;
	for (i = 0; i < 2 * READERS; i++)
		pthread_join(threads[i], NULL);
	for (i = 0; i < 2 * READERS; i++) {
		in_flight += w[i].issued_before_close;
		note("death: %s %d: %u calls with the loop stopped, then %s (%s the close)\n",
		     w[i].erases ? "eraser" : "reader", i / 2,
		     atomic_load(&w[i].ok_stopped), strerror(w[i].err),
		     w[i].issued_before_close ? "issued before" : "after");
	}
	note("death: %u of %d failing calls were issued before the close\n",
	     in_flight, 2 * READERS);
	for (i = 0; i < 2 * READERS; i++) {
		if (w[i].ended_in < DEATH_CLOSING)
			return w[i].erases ?
			       "an eraser failed before the server closed /dev/muse" :
			       "a reader failed before the server closed /dev/muse";
		if (w[i].err != EIO && w[i].err != ENODEV)
			return "a reader or eraser of a dead server failed with neither EIO nor ENODEV";
	}
	if (!working)
		return "not every reader and eraser was working before the close: the case proved nothing";
	return NULL;
}

/* One MUSE_IOC_ERASE_BACKING straight to the module: its errno or 0. */
static int erase_backing_errno(struct server *s, uint64_t oob_offset,
			       uint64_t count_offset, uint32_t stride,
			       uint32_t flags)
{
	struct muse_erase_backing arg = {
		.oob_offset = oob_offset, .count_offset = count_offset,
		.count_stride = stride, .flags = flags,
	};

	return ioctl(muse_session_fd(s->se), MUSE_IOC_ERASE_BACKING, &arg) ?
	       errno : 0;
}

static int grant_errno(struct server *s, uint64_t first, uint64_t count,
		       uint32_t padding)
{
	struct muse_erase_grant arg = {
		.first_block = first, .count = count, .budget = 1,
		.padding = padding,
	};

	return ioctl(muse_session_fd(s->se), MUSE_IOC_ERASE_GRANT, &arg) ?
	       errno : 0;
}

/*
 * Register @fd as the backing file of a second connection, with
 * @pt_flags: the errno of MUSE_IOC_BACKING, or 0 and in *@erase_errno
 * that of a valid MUSE_IOC_ERASE_BACKING; -1 if the connection could not
 * be set up.
 */
static int backing_errnos(int fd, unsigned int pt_flags, int *erase_errno)
{
	const struct muse_device dev = pt_device(NAME "-refused");
	struct muse_erase_backing arg = {
		.oob_offset = OOB_OFF, .count_offset = COUNT_OFF,
		.count_stride = sizeof(uint32_t),
	};
	struct muse_session *se = NULL;
	int e = -1;

	if (muse_session_new(&dev, sizeof(dev), &srv_ops, sizeof(srv_ops),
			     MUSE_SESSION_PASSTHROUGH |
			     MUSE_SESSION_KERNEL_ERASE, NULL, &se) ||
	    muse_session_open(se, NULL) || muse_session_init(se))
		goto out;
	e = -muse_session_set_backing(se, fd, 0, pt_flags);
	if (!e)
		*erase_errno = ioctl(muse_session_fd(se),
				     MUSE_IOC_ERASE_BACKING, &arg) ? errno : 0;
out:
	if (se)
		muse_session_destroy(se);
	return e;
}

/* A memfd the size of the store, reopened with @open_flags; -1 if not. */
static int store_reopened(int open_flags)
{
	int store = memfd_create("pttest-refused", MFD_CLOEXEC);
	char path[64];
	int fd = -1;

	if (store >= 0 && !ftruncate(store, STORE_SIZE)) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", store);
		fd = open(path, open_flags | O_CLOEXEC);
	}
	if (store >= 0)
		close(store);
	return fd;
}

/*
 * The errno of a valid MUSE_IOC_ERASE_BACKING on a second connection
 * whose backing file is registered with @pt_flags through a descriptor
 * opened with @open_flags; -1 if that connection could not be set up.
 */
static int backing_refusal(int open_flags, unsigned int pt_flags)
{
	int fd = store_reopened(open_flags), e = -1;

	if (fd >= 0 && backing_errnos(fd, pt_flags, &e))
		e = -1;
	if (fd >= 0)
		close(fd);
	return e;
}

static const char *case_erase_ioctls(struct server *s, int mtd)
{
	static const struct {
		uint64_t oob, count;
		uint32_t stride, flags;
		int want;
		const char *what;
	} bad[] = {
		{ OOB_OFF, COUNT_OFF, 4, 1U << 1, EINVAL, "an unknown flag" },
		{ OOB_OFF, COUNT_OFF, 4, 1U << 31, EINVAL, "flag 31" },
		{ OOB_OFF, COUNT_OFF, 0, 0, EINVAL, "stride 0" },
		{ OOB_OFF, COUNT_OFF, 6, 0, EINVAL, "stride 6" },
		{ OOB_OFF, COUNT_OFF + 2, 4, 0, EINVAL, "unaligned counts" },
		{ OOB_OFF, COUNT_OFF + 4, 4, 0, ERANGE, "counts past EOF" },
		{ OOB_OFF, COUNT_OFF, 8, 0, ERANGE, "stride past EOF" },
		{ COUNT_OFF, COUNT_OFF, 4, 0, ERANGE, "OOB past EOF" },
		{ UINT64_MAX - 8, COUNT_OFF, 4, 0, ERANGE, "OOB wraps" },
		{ OOB_OFF, UINT64_MAX - 3, 4, 0, ERANGE, "counts wrap" },
		{ OOB_OFF, COUNT_OFF, UINT32_MAX - 3, 0, ERANGE,
		  "stride past EOF, large" },
		{ BLOCK, COUNT_OFF, 4, 0, EINVAL, "OOB over the data" },
		{ OOB_OFF, BLOCK, 4, 0, EINVAL, "counts over the data" },
		{ OOB_OFF, OOB_OFF + OOB, 4, 0, EINVAL, "counts over the OOB" },
	};
	unsigned int i;
	int e;

	(void)mtd;
	e = backing_refusal(O_RDONLY, MUSE_PT_INVERTED);
	note("erase backing, read-only file: %s\n", strerror(e));
	if (e != EACCES)
		return "a backing file open read-only was not EACCES";
	e = backing_refusal(O_RDWR, 0);
	note("erase backing, file not inverted: %s\n", strerror(e));
	if (e != EINVAL)
		return "a backing file not inverted was not EINVAL";
	e = grant_errno(s, 0, 1, 0);
	if (e != ENXIO)
		return "a grant before MUSE_IOC_ERASE_BACKING was not ENXIO";
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e = erase_backing_errno(s, bad[i].oob, bad[i].count,
					bad[i].stride, bad[i].flags);
		note("erase backing, %s: %s\n", bad[i].what, strerror(e));
		if (e != bad[i].want)
			return bad[i].what;
	}
	if (erase_backing_errno(s, OOB_OFF, COUNT_OFF, 4, 0))
		return "a valid MUSE_IOC_ERASE_BACKING failed";
	if (erase_backing_errno(s, OOB_OFF, COUNT_OFF, 4, 0) != EBUSY)
		return "a second MUSE_IOC_ERASE_BACKING was not EBUSY";
	if (grant_errno(s, 0, 1, 1) != EINVAL ||
	    grant_errno(s, 0, 0, 0) != EINVAL ||
	    grant_errno(s, BLOCKS, 1, 0) != EINVAL ||
	    grant_errno(s, 1, UINT64_MAX, 0) != EINVAL ||
	    grant_errno(s, 0, BLOCKS + 1, 0) != EINVAL)
		return "a bad grant was not EINVAL";
	if (grant_errno(s, 0, BLOCKS, 0))
		return "a grant of every block failed";
	return NULL;
}

/* Block @b's erase count in the file. */
static uint32_t file_count(struct server *s, unsigned int b)
{
	uint32_t count = UINT32_MAX;

	if (pread(s->store, &count, sizeof(count),
		  COUNT_OFF + b * sizeof(count)) != sizeof(count))
		return UINT32_MAX;
	return count;
}

/* Whether [off, off + len) of the store reads as zeros (erased). */
static bool store_zero(struct server *s, off_t off, size_t len)
{
	static uint8_t buf[BLOCK];
	size_t i;

	if (len > sizeof(buf) || pread(s->store, buf, len, off) != (ssize_t)len)
		return false;
	for (i = 0; i < len; i++)
		if (buf[i])
			return false;
	return true;
}

static int erase_blocks(int mtd, unsigned int b, unsigned int n)
{
	struct erase_info_user erase = { .start = b * BLOCK,
					  .length = n * BLOCK };

	return ioctl(mtd, MEMERASE, &erase);
}

/*
 * Block 1 programmed with pattern @seed through the server, and its OOB
 * as a server that stores it would have it, into the store.
 */
static const char *program_block1(struct server *s, int mtd,
				  unsigned int seed)
{
	static uint8_t data[BLOCK];
	const off_t oob_block = (off_t)(BLOCK / PAGE) * OOB;

	pattern(data, BLOCK, seed);
	if (pwrite(mtd, data, BLOCK, BLOCK) != BLOCK)
		return "write through the server";
	memset(data, 0x5a, oob_block);
	if (pwrite(s->store, data, oob_block, OOB_OFF + oob_block) !=
	    oob_block)
		return "OOB into the store";
	return NULL;
}

static const char *case_kernel_erase(struct server *s, int mtd)
{
	static uint8_t data[BLOCK];
	const off_t oob_block = (off_t)(BLOCK / PAGE) * OOB;
	const char *err = ke_setup(s);
	unsigned int b;

	/* Blocks 0-7 granted, 8 on not, 10 twice. */
	err = err ?: grant(s, 0, 8, MUSE_ERASE_BUDGET_UNLIMITED);
	err = err ?: grant(s, 10, 1, 2);
	err = err ?: program_block1(s, mtd, 3);
	if (err)
		return err;
	if (store_zero(s, BLOCK, BLOCK) || store_zero(s, OOB_OFF + oob_block,
						      oob_block))
		return "the block is not programmed in the store";

	if (erase_blocks(mtd, 1, 1))
		return "erase of a granted block";
	if (atomic_load(&s->erases[1]))
		return "an erase of a granted block reached the server";
	if (!store_zero(s, BLOCK, BLOCK))
		return "a kernel erase left data in the file";
	if (!store_zero(s, OOB_OFF + oob_block, oob_block))
		return "a kernel erase left OOB in the file";
	if (file_count(s, 1) != 1 || file_count(s, 0) || file_count(s, 2))
		return "a kernel erase did not count one for its block only";
	if (pread(mtd, data, BLOCK, BLOCK) != BLOCK || !all_ff(data, BLOCK))
		return "a kernel-erased block does not read 0xff";

	/* 6-7 in the kernel, 8-9 are requests. */
	if (erase_blocks(mtd, 6, 4))
		return "a multi-block erase";
	if (file_count(s, 6) != 1 || file_count(s, 7) != 1 ||
	    file_count(s, 8) || file_count(s, 9) ||
	    atomic_load(&s->erases[7]) || atomic_load(&s->erases[8]) != 1 ||
	    atomic_load(&s->erases[9]) != 1)
		return "a multi-block erase was not split at the first ungranted block";

	/* A budget of 2: the third erase is a request. */
	for (b = 0; b < 3; b++)
		if (erase_blocks(mtd, 10, 1))
			return "erase within and past the budget";
	if (file_count(s, 10) != 2 || atomic_load(&s->erases[10]) != 1)
		return "the budget was not two kernel erases";

	/* Taken back: a request again, the count stays. */
	err = grant(s, 1, 1, 0);
	if (err)
		return err;
	if (erase_blocks(mtd, 1, 1) || atomic_load(&s->erases[1]) != 1 ||
	    file_count(s, 1) != 1)
		return "an erase of a taken-back block was not a request";
	return NULL;
}

/* The store's allocated bytes (st_blocks: 512-byte units). */
static long long store_bytes(struct server *s)
{
	struct stat st;

	return fstat(s->store, &st) ? -1 : (long long)st.st_blocks * 512;
}

/*
 * Block 1 programmed (data through the server, OOB into the store), a
 * kernel erase of it: with MUSE_ERASE_KEEP_PAGES (@keep) the store keeps
 * every page, zeroed; without (the control) the pages are freed.  Either
 * way the block reads 0xff through a request and a passthrough read, and
 * a block never written stays unallocated.
 */
static const char *keep_pages_run(struct server *s, int mtd, bool keep)
{
	static uint8_t data[BLOCK];
	const off_t oob_block = (off_t)(BLOCK / PAGE) * OOB;
	unsigned int in_force = 99;
	long long written, erased;
	unsigned int reads;
	const char *err;

	if (muse_session_set_erase_backing_flags(s->se, OOB_OFF, COUNT_OFF,
						 sizeof(uint32_t),
						 keep ? MUSE_ERASE_BACKING_KEEP_PAGES : 0,
						 &in_force))
		return "muse_session_set_erase_backing_flags";
	if (in_force != (keep ? MUSE_ERASE_BACKING_KEEP_PAGES : 0))
		return "the module did not take exactly the flags asked";
	err = grant(s, 0, BLOCKS, MUSE_ERASE_BUDGET_UNLIMITED);
	err = err ?: program_block1(s, mtd, 5);
	if (err)
		return err;
	/* The counts' page, which the erases allocate, allocated before. */
	memset(data, 0, sizeof(uint32_t));
	if (pwrite(s->store, data, sizeof(uint32_t), COUNT_OFF) !=
	    sizeof(uint32_t))
		return "count into the store";
	written = store_bytes(s);
	if (erase_blocks(mtd, 1, 1) || erase_blocks(mtd, 2, 1))
		return "erase of granted blocks";
	erased = store_bytes(s);
	note("%s: store %lld bytes programmed, %lld after the erases\n",
	     keep ? "keep-pages" : "keep-pages-control", written, erased);
	if (atomic_load(&s->erases[1]) || atomic_load(&s->erases[2]) ||
	    file_count(s, 1) != 1 || file_count(s, 2) != 1)
		return "the erases were not the kernel's";
	if (keep && erased != written)
		return "a kernel erase with KEEP_PAGES changed the store's allocation";
	if (!keep && erased > written - (long long)(BLOCK + oob_block))
		return "a kernel erase without KEEP_PAGES did not free the block";
	if (!store_zero(s, BLOCK, BLOCK) ||
	    !store_zero(s, OOB_OFF + oob_block, oob_block))
		return "a kernel erase left data or OOB in the file";
	/* Not marked: a request, the server's read of the store. */
	if (pread(mtd, data, BLOCK, BLOCK) != BLOCK || !all_ff(data, BLOCK))
		return "a kernel-erased block does not read 0xff (request)";
	err = mark(s, 1, 1, 1);
	if (err)
		return err;
	reads = srv_reads(s);
	if (pread(mtd, data, BLOCK, BLOCK) != BLOCK || !all_ff(data, BLOCK))
		return "a kernel-erased block does not read 0xff (passthrough)";
	if (srv_reads(s) != reads)
		return "the read of a marked block reached the server";
	err = mark(s, 1, 1, 0);
	if (err)
		return err;
	/* Programmed again: with KEEP_PAGES into the pages it kept. */
	pattern(data, BLOCK, 6);
	if (pwrite(mtd, data, BLOCK, BLOCK) != BLOCK)
		return "write after the erase";
	if (keep && store_bytes(s) != written)
		return "a program after a kept erase allocated pages";
	return NULL;
}

static const char *case_keep_pages(struct server *s, int mtd)
{
	return keep_pages_run(s, mtd, true);
}

static const char *case_keep_pages_control(struct server *s, int mtd)
{
	return keep_pages_run(s, mtd, false);
}

struct erase_race {
	int mtd;
	atomic_bool stop;
	atomic_uint done;
};

static void *race_eraser(void *arg)
{
	struct erase_race *r = arg;

	while (!atomic_load(&r->stop))
		if (!erase_blocks(r->mtd, RACE_BLOCK, 1))
			atomic_fetch_add(&r->done, 1);
	return NULL;
}

/* Wait up to 10 s for @n more server erases of RACE_BLOCK. */
static bool wait_server_erases(struct server *s, unsigned int n)
{
	unsigned int want = atomic_load(&s->erases[RACE_BLOCK]) + n;
	struct timespec pause = { 0, 1000 * 1000 };
	int i;

	for (i = 0; i < 10000; i++) {
		if (atomic_load(&s->erases[RACE_BLOCK]) >= want)
			return true;
		nanosleep(&pause, NULL);
	}
	return false;
}

static const char *case_erase_takeback(struct server *s, int mtd)
{
	struct erase_race r = { .mtd = mtd };
	pthread_t erasers[READERS];
	struct timespec pause = { 0, 1000 * 1000 };
	const char *err = ke_setup(s);
	uint32_t before, after;
	int i, round;

	if (err)
		return err;
	for (i = 0; i < READERS; i++)
		pthread_create(&erasers[i], NULL, race_eraser, &r);
	for (round = 0; round < 20 && !err; round++) {
		before = file_count(s, RACE_BLOCK);
		err = grant(s, RACE_BLOCK, 1, MUSE_ERASE_BUDGET_UNLIMITED);
		if (err)
			break;
		/* A kernel erase ran (up to 10 s: KASAN under TCG is slow). */
		for (i = 0; i < 10000 && file_count(s, RACE_BLOCK) == before;
		     i++)
			nanosleep(&pause, NULL);
		/* Races with the kernel erases in flight. */
		err = grant(s, RACE_BLOCK, 1, 0);
		after = file_count(s, RACE_BLOCK);
		if (err)
			break;
		if (after == before)
			err = "no kernel erase ran while granted: the case proved nothing";
		else if (!wait_server_erases(s, 3))
			err = "erases of a taken-back block did not reach the server";
		else if (file_count(s, RACE_BLOCK) != after)
			err = "a kernel erase ran after the take-back returned";
	}
	atomic_store(&r.stop, true);
	for (i = 0; i < READERS; i++)
		pthread_join(erasers[i], NULL);
	note("erase-takeback: %u erases, %u counted in the file, %u requests\n",
	     atomic_load(&r.done), file_count(s, RACE_BLOCK),
	     atomic_load(&s->erases[RACE_BLOCK]));
	return err;
}

/*
 * MUSE_IOC_BACKING's errno for @fd (closed), registered inverted; in
 * *@erase_errno, MUSE_IOC_ERASE_BACKING's when it was accepted.  -1: @fd
 * is not there, or the connection could not be set up.
 */
static int kind_errno(int fd, int *erase_errno)
{
	int e;

	*erase_errno = -1;
	if (fd < 0)
		return -1;
	e = backing_errnos(fd, MUSE_PT_INVERTED, erase_errno);
	close(fd);
	return e;
}

/* A memfd_secret(2) the size of the store; -1 where there is none. */
static int secret_store(void)
{
#ifdef SYS_memfd_secret
	int fd = (int)syscall(SYS_memfd_secret, O_CLOEXEC);

	if (fd >= 0 && ftruncate(fd, STORE_SIZE)) {
		close(fd);
		fd = -1;
	}
	return fd;
#else
	return -1;
#endif
}

/* x86-64's default huge page: hugetlbfs sizes are multiples of it. */
#define HUGE_PAGE	(2u << 20)

/* A hugetlbfs memfd holding the store; -1 without huge pages. */
static int huge_store(void)
{
	int fd = memfd_create("pttest-huge", MFD_CLOEXEC | MFD_HUGETLB);

	if (fd >= 0 && ftruncate(fd, (STORE_SIZE + HUGE_PAGE - 1) /
				 HUGE_PAGE * HUGE_PAGE)) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* A memfd sealed with @seals, open read-write. */
static int sealed_store(int seals)
{
	int fd = memfd_create("pttest-sealed",
			      MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd >= 0 && (ftruncate(fd, STORE_SIZE) ||
			fcntl(fd, F_ADD_SEALS, seals))) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/*
 * Whether the kind @kind must be there: named in $PTTEST_REQUIRE (the
 * scenario knows which kernels have it), so that its absence fails the
 * case instead of skipping it.
 */
static bool kind_required(const char *kind)
{
	const char *list = getenv("PTTEST_REQUIRE");
	size_t len = strlen(kind);

	for (; list && *list; list += strcspn(list, " "),
	     list += strspn(list, " "))
		if (!strncmp(list, kind, len) &&
		    (list[len] == ' ' || !list[len]))
			return true;
	return false;
}

/*
 * The files in $PTTEST_REFUSED, "ERRNO:PATH" words (ERRNO one of EXDEV,
 * ELOOP): each, open read-only, refused as a backing file with its errno.
 * Every file is tried, and noted.  Return: NULL, or the last that went
 * wrong.
 */
static const char *refused_files(void)
{
	static const struct {
		const char *name;
		int value;
	} errnos[] = { { "EXDEV", EXDEV }, { "ELOOP", ELOOP } };
	static char why[160];
	const char *list = getenv("PTTEST_REFUSED"), *err = NULL;
	char word[128], *path;
	unsigned int i;
	int e, erase_e, n;

	while (list && sscanf(list, " %127s%n", word, &n) == 1) {
		list += n;
		path = strchr(word, ':');
		if (path)
			*path++ = '\0';
		for (i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
			if (path && !strcmp(word, errnos[i].name))
				break;
		if (i == sizeof(errnos) / sizeof(errnos[0]))
			return "PTTEST_REFUSED: a word is not ERRNO:PATH";
		e = kind_errno(open(path, O_RDONLY | O_CLOEXEC), &erase_e);
		note("backing, %s: %d\n", path, e);
		if (e != errnos[i].value) {
			snprintf(why, sizeof(why), "%s was refused with %d, not %s",
				 path, e, errnos[i].name);
			err = why;
		}
	}
	return err;
}

static const char *case_backing_kinds(struct server *s, int mtd)
{
	int e, erase_e;

	(void)s;
	(void)mtd;
	e = kind_errno(store_reopened(O_WRONLY), &erase_e);
	note("backing, write-only: %d\n", e);
	if (e != EACCES)
		return "a write-only backing file was not EACCES";
	e = kind_errno(store_reopened(O_RDWR | O_APPEND), &erase_e);
	note("backing, O_APPEND: %d\n", e);
	if (e != EINVAL)
		return "an O_APPEND backing file was not EINVAL";
	e = kind_errno(secret_store(), &erase_e);
	note("backing, memfd_secret: %d\n", e);
	if (e == -1 && kind_required("secretmem"))
		return "no memfd_secret, which this kernel has";
	if (e != -1 && e != EINVAL)
		return "a memfd_secret backing file was not EINVAL";
	e = kind_errno(huge_store(), &erase_e);
	note("backing, hugetlbfs memfd: %d\n", e);
	if (e == -1 && kind_required("hugetlbfs"))
		return "no hugetlbfs memfd, though huge pages were reserved";
	if (e != -1 && e != EINVAL)
		return "a hugetlbfs backing file was not EINVAL";
	e = kind_errno(sealed_store(F_SEAL_WRITE), &erase_e);
	note("backing, F_SEAL_WRITE: %d, erase backing %d\n", e, erase_e);
	if (e || erase_e != EPERM)
		return "a memfd sealed against writes was not EPERM for kernel erase";
	e = kind_errno(sealed_store(F_SEAL_FUTURE_WRITE), &erase_e);
	note("backing, F_SEAL_FUTURE_WRITE: %d, erase backing %d\n", e,
	     erase_e);
	if (e || erase_e != EPERM)
		return "a memfd sealed against future writes was not EPERM for kernel erase";
	return refused_files();
}

#define SEAL_BLOCK	2u

static const char *case_sealed_later(struct server *s, int mtd)
{
	static const uint32_t zero;
	const char *err = ke_setup(s);

	err = err ?: grant(s, SEAL_BLOCK, 1, MUSE_ERASE_BUDGET_UNLIMITED);
	if (err)
		return err;
	/* The count's page in memory: the direct path, not a write. */
	if (pwrite(s->store, &zero, sizeof(zero),
		   COUNT_OFF + SEAL_BLOCK * sizeof(zero)) != sizeof(zero))
		return "pwrite of the count";
	if (fcntl(s->store, F_ADD_SEALS, F_SEAL_FUTURE_WRITE))
		return "F_ADD_SEALS";
	/* The server's own punch is refused too: only the count matters. */
	erase_blocks(mtd, SEAL_BLOCK, 1);
	note("sealed-later: count %u\n", file_count(s, SEAL_BLOCK));
	if (file_count(s, SEAL_BLOCK))
		return "a kernel erase wrote the count of a sealed memfd";
	return NULL;
}

#define BAD_BLOCK	3u

static const char *case_bad_granted(struct server *s, int mtd)
{
	const char *err = ke_setup(s);
	loff_t at = (loff_t)BAD_BLOCK * BLOCK;

	err = err ?: grant(s, BAD_BLOCK, 1, MUSE_ERASE_BUDGET_UNLIMITED);
	if (err)
		return err;
	if (ioctl(mtd, MEMSETBADBLOCK, &at))
		return "MEMSETBADBLOCK";
	if (!erase_blocks(mtd, BAD_BLOCK, 1) || errno != EIO)
		return "the erase of a bad granted block did not fail with EIO";
	if (file_count(s, BAD_BLOCK) ||
	    atomic_load(&s->erases[BAD_BLOCK]))
		return "the bad block was erased";
	return NULL;
}

#define ERASE_READ_BLOCK	4u
#define ERASE_READ_ROUNDS	200

struct erase_read {
	int mtd;
	const uint8_t *data;
	atomic_bool stop;
	atomic_uint old, erased, mixed;
};

static void *erase_read_reader(void *arg)
{
	struct erase_read *r = arg;
	static _Thread_local uint8_t buf[BLOCK];

	while (!atomic_load(&r->stop)) {
		if (pread(r->mtd, buf, BLOCK, ERASE_READ_BLOCK * BLOCK) !=
		    BLOCK)
			continue;
		if (!memcmp(buf, r->data, BLOCK))
			atomic_fetch_add(&r->old, 1);
		else if (all_ff(buf, BLOCK))
			atomic_fetch_add(&r->erased, 1);
		else
			atomic_fetch_add(&r->mixed, 1);
	}
	return NULL;
}

static const char *case_erase_read_race(struct server *s, int mtd)
{
	static uint8_t data[BLOCK];
	struct erase_read r = { .mtd = mtd, .data = data };
	pthread_t readers[READERS];
	const char *err = ke_setup(s);
	unsigned int both = 0, old, erased;
	int i, round;

	err = err ?: grant(s, ERASE_READ_BLOCK, 1,
			   MUSE_ERASE_BUDGET_UNLIMITED);
	err = err ?: mark(s, ERASE_READ_BLOCK, 1, 1);
	if (err)
		return err;
	pattern(data, BLOCK, 9);
	for (round = 0; round < ERASE_READ_ROUNDS && !err; round++) {
		if (pwrite(mtd, data, BLOCK, ERASE_READ_BLOCK * BLOCK) != BLOCK)
			return "write through the server";
		atomic_store(&r.stop, false);
		old = atomic_load(&r.old);
		erased = atomic_load(&r.erased);
		for (i = 0; i < READERS; i++)
			pthread_create(&readers[i], NULL, erase_read_reader,
				       &r);
		/* Some reads before, some during, some after the erase. */
		while (atomic_load(&r.old) == old)
			sched_yield();
		if (erase_blocks(mtd, ERASE_READ_BLOCK, 1))
			err = "erase";
		while (!err && atomic_load(&r.erased) == erased)
			sched_yield();
		atomic_store(&r.stop, true);
		for (i = 0; i < READERS; i++)
			pthread_join(readers[i], NULL);
		both++;
	}
	note("erase-read-race: %u rounds, %u old, %u erased, %u mixed reads, %u requests\n",
	     both, atomic_load(&r.old), atomic_load(&r.erased),
	     atomic_load(&r.mixed), atomic_load(&s->erases[ERASE_READ_BLOCK]));
	if (err)
		return err;
	if (atomic_load(&r.mixed))
		return "a read saw a block half erased";
	if (!file_count(s, ERASE_READ_BLOCK))
		return "no kernel erase ran: the case proved nothing";
	return NULL;
}

#define FSIZE_BLOCK	6u

static const char *case_fsize_limit(struct server *s, int mtd)
{
	static uint8_t data[BLOCK], back[BLOCK];
	const struct rlimit limit = { COUNT_OFF, RLIM_INFINITY };
	const char *err = ke_setup(s);
	int status;
	pid_t pid;

	err = err ?: grant(s, FSIZE_BLOCK, 1, MUSE_ERASE_BUDGET_UNLIMITED);
	if (err)
		return err;
	pattern(data, BLOCK, 5);
	if (pwrite(mtd, data, BLOCK, FSIZE_BLOCK * BLOCK) != BLOCK)
		return "write through the server";
	/* The counts are a hole: the count is a write, past the limit. */
	pid = fork();
	if (pid < 0)
		return "fork";
	if (!pid)
		_exit(setrlimit(RLIMIT_FSIZE, &limit) ||
		      erase_blocks(mtd, FSIZE_BLOCK, 1) ? 1 : 0);
	if (waitpid(pid, &status, 0) != pid)
		return "waitpid";
	note("fsize-limit: status %#x, count %u, %u requests\n", status,
	     file_count(s, FSIZE_BLOCK),
	     atomic_load(&s->erases[FSIZE_BLOCK]));
	if (WIFSIGNALED(status))
		return "the eraser was killed by a signal (SIGXFSZ)";
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return "the erase under RLIMIT_FSIZE failed";
	if (pread(mtd, back, BLOCK, FSIZE_BLOCK * BLOCK) != BLOCK ||
	    !all_ff(back, BLOCK))
		return "the block did not read erased";
	return NULL;
}

/* Milliseconds since @t0 on the monotonic clock. */
static long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 +
	       (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Wait up to @ms for @flag; false if it stayed clear. */
static bool wait_flag(atomic_bool *flag, long ms)
{
	struct timespec t0, pause = { 0, 1000 * 1000 };

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!atomic_load(flag))
		if (ms_since(&t0) > ms)
			return false;
		else
			nanosleep(&pause, NULL);
	return true;
}

/*
 * End a case's own server (not run_case()'s): its session, its loop if
 * started, its memfd.  Idempotent.
 */
static void own_server_stop(struct server *s, bool looping)
{
	if (s->se) {
		muse_session_exit(s->se);
		if (looping)
			pthread_join(s->loop, NULL);
		muse_session_destroy(s->se);
		s->se = NULL;
	}
	if (s->store >= 0)
		close(s->store);
	s->store = -1;
}

/* The chip of huge-erase: MUSE_BLOCKS_MAX, or fewer where KASAN is slow. */
static uint32_t huge_blocks(void)
{
	const char *env = getenv("PTTEST_HUGE_BLOCKS");
	unsigned long n = env ? strtoul(env, NULL, 0) : 0;

	return n && n < MUSE_BLOCKS_MAX ? (uint32_t)n : MUSE_BLOCKS_MAX;
}

struct ticker {
	atomic_bool started, stop;
	long max_gap_ms;
};

/* Run on CPU 0 and note the longest time it could not. */
static void *ticker(void *arg)
{
	struct timespec last, pause = { 0, 1000 * 1000 };
	struct ticker *t = arg;
	long gap;

	clock_gettime(CLOCK_MONOTONIC, &last);
	while (!atomic_load(&t->stop)) {
		nanosleep(&pause, NULL);
		gap = ms_since(&last);
		if (gap > t->max_gap_ms)
			t->max_gap_ms = gap;
		clock_gettime(CLOCK_MONOTONIC, &last);
		atomic_store(&t->started, true);
	}
	return NULL;
}

/* Pin the calling thread to CPU 0. */
static bool on_cpu0(void)
{
	cpu_set_t cpus;

	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	return !sched_setaffinity(0, sizeof(cpus), &cpus);
}

static void *ticker_on_cpu0(void *arg)
{
	struct ticker *t = arg;

	if (on_cpu0())
		return ticker(arg);
	atomic_store(&t->started, true);
	return NULL;
}

static const char *case_huge_erase(struct server *unused, int unused_mtd)
{
	const uint32_t blocks = huge_blocks();
	const uint64_t size = (uint64_t)blocks * BLOCK;
	const uint64_t count_off = size + size / PAGE * OOB;
	struct muse_device dev = pt_device(NAME "-huge");
	struct erase_info_user64 erase = { .start = 0, .length = size };
	struct server s = { .store = -1 };
	struct ticker t = { .max_gap_ms = 0 };
	bool looping = false, pinned = false;
	const char *err = NULL;
	struct timespec t0;
	uint32_t *counts;
	cpu_set_t cpus;
	pthread_t tick;
	long took = 0;
	int mtd = -1;

	(void)unused;
	(void)unused_mtd;
	dev.size = size;
	s.store = memfd_create("pttest-huge", MFD_CLOEXEC);
	counts = calloc(blocks, sizeof(*counts));
	if (s.store < 0 || !counts ||
	    ftruncate(s.store, count_off + blocks * sizeof(*counts)) ||
	    /* The counts in memory: the kernel's tightest loop. */
	    pwrite(s.store, counts, blocks * sizeof(*counts),
		   count_off) != (ssize_t)(blocks * sizeof(*counts)))
		err = "memfd";
	else if (muse_session_new(&dev, sizeof(dev), &srv_ops, sizeof(srv_ops),
				  MUSE_SESSION_PASSTHROUGH |
				  MUSE_SESSION_KERNEL_ERASE, &s, &s.se) ||
		 muse_session_open(s.se, NULL) || muse_session_init(s.se) ||
		 muse_session_set_backing(s.se, s.store, 0, MUSE_PT_INVERTED) ||
		 muse_session_set_erase_backing(s.se, size, count_off,
						sizeof(uint32_t)) ||
		 muse_session_erase_grant(s.se, 0, blocks,
					  MUSE_ERASE_BUDGET_UNLIMITED))
		err = "session set-up";
	else if (pthread_create(&s.loop, NULL, srv_loop, &s))
		err = "pthread_create";
	else
		looping = true;
	free(counts);
	if (err)
		goto out;
	mtd = procmtd_open(NAME "-huge", O_RDWR);
	if (mtd < 0) {
		err = "the MTD did not appear";
		goto out;
	}
	pinned = !sched_getaffinity(0, sizeof(cpus), &cpus) && on_cpu0();
	if (!pinned) {
		err = "sched_setaffinity";
		goto out;
	}
	pthread_create(&tick, NULL, ticker_on_cpu0, &t);
	/* Ticking before the erase starts, or its wait goes unseen. */
	while (!atomic_load(&t.started))
		sched_yield();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (ioctl(mtd, MEMERASE64, &erase))
		err = "the erase of the whole chip failed";
	took = ms_since(&t0);
	atomic_store(&t.stop, true);
	pthread_join(tick, NULL);
	note("huge-erase: %u blocks in %ld ms, longest wait of a thread on its CPU %ld ms\n",
	     blocks, took, t.max_gap_ms);
	if (!err && t.max_gap_ms > 1000)
		err = "the erase held its CPU for more than a second";
	else if (!err && took < 2000)
		err = "the erase took under 2 s: the case proved nothing";
out:
	if (pinned)
		sched_setaffinity(0, sizeof(cpus), &cpus);
	if (mtd >= 0)
		close(mtd);
	own_server_stop(&s, looping);
	return err;
}

/*
 * A connection whose backing file is on a FUSE filesystem that stopped
 * answering, with a passthrough read of block 0 waiting on it.
 */
struct stuck {
	struct server s;
	struct fusestall fs;
	int fd;				/* the file on FUSE */
	int mtd;
	char dir[96];			/* the connection's sysfs directory */
	pthread_t reader, held_reader;
	bool fs_up, reading, held_reading;
	atomic_bool read_done, held_done, abort_done, exit_done;
	int held_errno;			/* of the held reader's pread */
	struct muse_session *exiting;	/* the session stuck_exit() ends */
};

static void *stuck_reader(void *arg)
{
	struct stuck *st = arg;
	uint8_t buf[PAGE];

	if (pread(st->mtd, buf, PAGE, 0) == PAGE)
		note("stuck: the read got data\n");
	atomic_store(&st->read_done, true);
	return NULL;
}

static void *stuck_aborter(void *arg)
{
	struct stuck *st = arg;
	int e = procmtd_conn_write(st->dir, "abort");

	if (e)
		note("stuck-backing: abort: %s\n", strerror(e));
	atomic_store(&st->abort_done, true);
	return NULL;
}

static void *stuck_exit(void *arg)
{
	struct stuck *st = arg;

	muse_session_destroy(st->exiting);
	atomic_store(&st->exit_done, true);
	return NULL;
}

/* Set up @st, up to the passthrough read waiting on the FUSE daemon. */
static const char *stuck_start(struct stuck *st)
{
	const struct muse_device dev = pt_device(NAME "-stuck");
	const char *err;
	char path[96];

	memset(st, 0, sizeof(*st));
	st->s.store = -1;
	st->fd = -1;
	st->mtd = -1;
	err = fusestall_start(&st->fs, STORE_SIZE);
	if (err)
		return err;
	st->fs_up = true;
	snprintf(path, sizeof(path), "%s/store", st->fs.dir);
	st->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (st->fd < 0)
		return "open of the file on FUSE";
	if (muse_session_new(&dev, sizeof(dev), &srv_ops, sizeof(srv_ops),
			     MUSE_SESSION_PASSTHROUGH, &st->s, &st->s.se) ||
	    muse_session_open(st->s.se, NULL) || muse_session_init(st->s.se))
		return "session set-up";
	if (muse_session_set_backing(st->s.se, st->fd, 0, MUSE_PT_INVERTED))
		return "a file on FUSE was refused as the backing file";
	if (pthread_create(&st->s.loop, NULL, srv_loop, &st->s)) {
		/* No loop to join. */
		muse_session_destroy(st->s.se);
		st->s.se = NULL;
		return "pthread_create";
	}
	err = mark(&st->s, 0, 1, 1);
	st->mtd = err ? -1 : procmtd_open(NAME "-stuck", O_RDONLY);
	if (!err && st->mtd < 0)
		err = "the MTD did not appear";
	if (!err && !procmtd_conn_dir(NAME "-stuck", st->dir, sizeof(st->dir)))
		err = "no connection directory";
	if (err)
		return err;
	st->reading = !pthread_create(&st->reader, NULL, stuck_reader, st);
	if (!st->reading || !fusestall_wait_read(&st->fs))
		return "the passthrough read did not reach the FUSE daemon";
	return NULL;
}

#define D_TASKS_MAX	64

/*
 * Up to @max tasks of other processes in state D (uninterruptible, as a
 * kernel worker waiting on a lock): their ids in @tids, their number
 * returned.  This process's own threads are left out: its passthrough
 * reader may wait killably (also D) on the FUSE file, as it should.
 */
static int d_state_tasks(pid_t *tids, int max)
{
	char path[600], stat[512], *state;
	DIR *procs = opendir("/proc"), *tasks;
	struct dirent *p, *t;
	int n = 0, fd;
	ssize_t len;

	while (procs && (p = readdir(procs)) && n < max) {
		if (p->d_name[0] < '1' || p->d_name[0] > '9' ||
		    atoi(p->d_name) == getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/%s/task", p->d_name);
		tasks = opendir(path);
		while (tasks && (t = readdir(tasks)) && n < max) {
			if (t->d_name[0] < '1' || t->d_name[0] > '9')
				continue;
			snprintf(path, sizeof(path), "/proc/%s/task/%s/stat",
				 p->d_name, t->d_name);
			fd = open(path, O_RDONLY | O_CLOEXEC);
			len = fd < 0 ? -1 : read(fd, stat, sizeof(stat) - 1);
			if (fd >= 0)
				close(fd);
			if (len <= 0)
				continue;
			stat[len] = '\0';
			/* "tid (comm) S ...": comm may hold anything. */
			state = strrchr(stat, ')');
			if (state && state[1] == ' ' && state[2] == 'D') {
				note("stuck: task %s in D: %s\n", t->d_name,
				     stat);
				tids[n++] = atoi(t->d_name);
			}
		}
		if (tasks)
			closedir(tasks);
	}
	if (procs)
		closedir(procs);
	return n;
}

/*
 * Whether a task of another process stays in D state over half a
 * second: the connection's death (a kernel worker for the timeout)
 * waiting on the backing file's I/O.
 */
static bool d_state_lasting(void)
{
	struct timespec pause = { 0, 500 * 1000 * 1000 };
	pid_t before[D_TASKS_MAX], after[D_TASKS_MAX];
	int nb = d_state_tasks(before, D_TASKS_MAX), na, i, j;

	nanosleep(&pause, NULL);
	na = d_state_tasks(after, D_TASKS_MAX);
	for (i = 0; i < nb; i++)
		for (j = 0; j < na; j++)
			if (before[i] == after[j])
				return true;
	return false;
}

/*
 * The server's loop has returned (the connection is dead): its exit,
 * closing /dev/muse, must return within a second, no task may be left in
 * D state, and the passthrough read must still be waiting on FUSE, or
 * the case proved nothing.
 */
static const char *stuck_server_exit(struct stuck *st)
{
	pthread_t exiter;

	pthread_join(st->s.loop, NULL);
	st->exiting = st->s.se;
	st->s.se = NULL;
	if (pthread_create(&exiter, NULL, stuck_exit, st)) {
		muse_session_destroy(st->exiting);
		return "pthread_create";
	}
	if (!wait_flag(&st->exit_done, 1000)) {
		/* Joined once FUSE gave up. */
		fusestall_stop(&st->fs);
		st->fs_up = false;
		pthread_join(exiter, NULL);
		return "the server's exit waited for the backing file's I/O";
	}
	pthread_join(exiter, NULL);
	if (d_state_lasting())
		return "a task stayed in D state after the connection's death";
	if (atomic_load(&st->read_done))
		return "the read ended before FUSE gave up: the case proved nothing";
	return NULL;
}

static void stuck_finish(struct stuck *st)
{
	/* Unwinds what waits: the held READ fails. */
	if (st->fs_up)
		fusestall_stop(&st->fs);
	atomic_store(&st->s.hold_reads, false);
	if (st->reading)
		pthread_join(st->reader, NULL);
	if (st->held_reading)
		pthread_join(st->held_reader, NULL);
	if (st->s.se) {
		muse_session_exit(st->s.se);
		pthread_join(st->s.loop, NULL);
		muse_session_destroy(st->s.se);
	}
	if (st->mtd >= 0)
		close(st->mtd);
	if (st->fd >= 0)
		close(st->fd);
}

static const char *case_stuck_backing(struct server *unused, int unused_mtd)
{
	struct stuck st;
	pthread_t aborter;
	bool aborting = false;
	const char *err;

	(void)unused;
	(void)unused_mtd;
	err = stuck_start(&st);
	if (!err) {
		aborting = !pthread_create(&aborter, NULL, stuck_aborter, &st);
		if (!aborting || !wait_flag(&st.abort_done, 1000))
			err = "the abort waited for the backing file's I/O";
	}
	if (!err) {
		muse_session_exit(st.s.se);
		err = stuck_server_exit(&st);
	}
	stuck_finish(&st);
	if (aborting)
		pthread_join(aborter, NULL);
	return err;
}

/* A read of block 1, not marked: a request, which the server holds. */
static void *stuck_held_reader(void *arg)
{
	struct stuck *st = arg;
	uint8_t buf[PAGE];

	if (pread(st->mtd, buf, PAGE, BLOCK) < 0)
		st->held_errno = errno;
	atomic_store(&st->held_done, true);
	return NULL;
}

static const char *case_stuck_timeout(struct server *unused, int unused_mtd)
{
	struct timespec t0;
	struct stuck st;
	const char *err;
	int e;

	(void)unused;
	(void)unused_mtd;
	err = stuck_start(&st);
	if (err)
		goto out;
	atomic_store(&st.s.hold_reads, true);
	st.held_reading = !pthread_create(&st.held_reader, NULL,
					  stuck_held_reader, &st);
	if (!st.held_reading || !wait_flag(&st.s.holding, 10000)) {
		err = "the request did not reach the server";
		goto out;
	}
	/* Counted from when it was queued: due at once, or within 1 s. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	e = procmtd_conn_write(st.dir, "request_timeout");
	if (e) {
		err = "write of request_timeout";
		goto out;
	}
	/* The timeout kills the connection, which waits for no reader. */
	if (!wait_flag(&st.held_done, 3000)) {
		err = "the timeout's death waited for the backing file's I/O";
		goto out;
	}
	note("stuck-timeout: the held read failed after %ld ms: %s\n",
	     ms_since(&t0), strerror(st.held_errno));
	if (st.held_errno != EIO) {
		err = "the timed-out read was not EIO";
		goto out;
	}
	/* The connection is dead: the server's loop ends by itself. */
	atomic_store(&st.s.hold_reads, false);
	if (!wait_flag(&st.s.loop_done, 1000)) {
		err = "the server's loop did not end within a second of the timeout";
		goto out;
	}
	err = stuck_server_exit(&st);
out:
	stuck_finish(&st);
	return err;
}

#define CGROUP_ROOT	"/sys/fs/cgroup"
#define CGROUP_CASE	CGROUP_ROOT "/muse-peer"

/* Write @text to the cgroup file @path; 0 or -1 with errno. */
static int cg_write(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* The case cgroup's memory.current in bytes, or -1. */
static long long cg_memory(void)
{
	FILE *f = fopen(CGROUP_CASE "/memory.current", "re");
	long long v = -1;

	if (f) {
		if (fscanf(f, "%lld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/* Move this process into @dir's cgroup.procs. */
static int cg_move(const char *dir)
{
	char path[128], pid[24];

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	snprintf(pid, sizeof(pid), "%d", getpid());
	return cg_write(path, pid);
}

/*
 * This process in a cgroup of its own with the memory controller: NULL,
 * or why not (skip_reason set when the kernel has no such controller).
 */
static const char *cg_enter(void)
{
	char controllers[256] = "";
	FILE *f;

	if (mount("none", CGROUP_ROOT, "cgroup2", 0, NULL) && errno != EBUSY) {
		skip_reason = "no cgroup v2 on this kernel";
		return NULL;
	}
	f = fopen(CGROUP_ROOT "/cgroup.controllers", "re");
	if (f) {
		if (!fgets(controllers, sizeof(controllers), f))
			controllers[0] = '\0';
		fclose(f);
	}
	if (!strstr(controllers, "memory")) {
		skip_reason = "no memory controller on this kernel";
		return NULL;
	}
	if (cg_write(CGROUP_ROOT "/cgroup.subtree_control", "+memory"))
		return "enabling the memory controller";
	if (mkdir(CGROUP_CASE, 0755) && errno != EEXIST)
		return "mkdir " CGROUP_CASE;
	if (cg_move(CGROUP_CASE))
		return "moving into " CGROUP_CASE;
	return NULL;
}

static void cg_leave(void)
{
	cg_move(CGROUP_ROOT);
	rmdir(CGROUP_CASE);
}

/*
 * The arrays of MUSE_BLOCKS_MAX blocks: passthrough marks (a bit), read
 * counts (4 bytes), byte counts (8), kernel-erase budgets (4).
 */
#define STORE_ARRAYS	((long long)MUSE_BLOCKS_MAX / 8 + \
			 (long long)MUSE_BLOCKS_MAX * (4 + 8 + 4))

/*
 * What must be seen charged, then freed: memory.current moves by pages
 * and by what the process does meanwhile (slab, a thread's stack), so
 * all but 1/8 of the arrays.
 */
#define STORE_SEEN	(STORE_ARRAYS / 8 * 7)

/* memory.current fell to at most @limit within two seconds. */
static bool cg_memory_falls(long long limit)
{
	int i;

	for (i = 0; i < 20; i++) {
		if (cg_memory() <= limit)
			return true;
		usleep(100000);
	}
	return false;
}

static const char *case_store_freed(struct server *unused, int unused_mtd)
{
	const uint64_t size = (uint64_t)MUSE_BLOCKS_MAX * BLOCK;
	const uint64_t count_off = size + size / PAGE * OOB;
	struct muse_device dev = pt_device(NAME "-freed");
	struct server s = { .store = -1 };
	long long before, charged, live, after;
	bool looping = false;
	const char *err;
	int mtd = -1;

	(void)unused;
	(void)unused_mtd;
	err = cg_enter();
	if (err || skip_reason)
		goto out;
	dev.size = size;
	/* Sparse: the file's pages are not what is measured. */
	s.store = memfd_create("pttest-freed", MFD_CLOEXEC);
	if (s.store < 0 ||
	    ftruncate(s.store, count_off + MUSE_BLOCKS_MAX * sizeof(uint32_t))) {
		err = "memfd";
		goto out;
	}
	if (muse_session_new(&dev, sizeof(dev), &srv_ops, sizeof(srv_ops),
			     MUSE_SESSION_PASSTHROUGH |
			     MUSE_SESSION_KERNEL_ERASE, &s, &s.se) ||
	    muse_session_open(s.se, NULL) || muse_session_init(s.se)) {
		err = "session set-up";
		goto out;
	}
	before = cg_memory();
	if (muse_session_set_backing(s.se, s.store, 0, MUSE_PT_INVERTED) ||
	    muse_session_set_erase_backing(s.se, size, count_off,
					   sizeof(uint32_t))) {
		err = "backing file set-up";
		goto out;
	}
	charged = cg_memory();
	note("store-freed: memory.current %lld before the backing file, %lld after (arrays %lld)\n",
	     before, charged, STORE_ARRAYS);
	if (before < 0 || charged - before < STORE_SEEN) {
		err = "the per-block state is not charged to the server's cgroup";
		goto out;
	}
	if (pthread_create(&s.loop, NULL, srv_loop, &s)) {
		err = "pthread_create";
		goto out;
	}
	looping = true;
	mtd = procmtd_open(NAME "-freed", O_RDONLY);
	if (mtd < 0) {
		err = "the MTD did not appear";
		goto out;
	}
	/*
	 * The server dies; the MTD stays, held by mtd.  What the server's
	 * thread and the open MTD cost stays charged meanwhile: only the
	 * arrays must go.
	 */
	live = cg_memory();
	own_server_stop(&s, looping);
	if (!cg_memory_falls(live - STORE_SEEN))
		err = "the per-block state outlived the server's death";
	after = cg_memory();
	note("store-freed: memory.current %lld serving, %lld after the death, the MTD still open\n",
	     live, after);
out:
	if (mtd >= 0)
		close(mtd);
	own_server_stop(&s, looping);
	if (!skip_reason)
		cg_leave();
	return err;
}

/*
 * Run @run on a fresh server with its MTD open read-write; returns why it
 * failed, NULL if it passed (or skipped, skip_reason set).
 */
static const char *run_served(const char *(*run)(struct server *s, int mtd))
{
	struct server s;
	const char *why = srv_start(&s);
	int mtd = -1;

	if (!why) {
		mtd = procmtd_open(NAME, O_RDWR);
		if (mtd < 0)
			why = "the MTD did not appear";
	}
	if (!why)
		why = run(&s, mtd);
	if (mtd >= 0)
		close(mtd);
	if (s.se)
		srv_stop(&s);
	return why;
}

/* The cases as the harness runs them: each on a fresh server. */
#define SERVED(fn) \
	static const char *fn##_served(void) { return run_served(fn); }
SERVED(case_equivalence)
SERVED(case_takeback_race)
SERVED(case_truncate)
SERVED(case_death)
SERVED(case_erase_ioctls)
SERVED(case_kernel_erase)
SERVED(case_keep_pages)
SERVED(case_keep_pages_control)
SERVED(case_erase_takeback)
SERVED(case_backing_kinds)
SERVED(case_sealed_later)
SERVED(case_bad_granted)
SERVED(case_erase_read_race)
SERVED(case_fsize_limit)
SERVED(case_huge_erase)
SERVED(case_stuck_backing)
SERVED(case_store_freed)
SERVED(case_stuck_timeout)
SERVED(case_read_only)

static const struct peer_case cases[] = {
	{ "equivalence", case_equivalence_served },
	{ "takeback-race", case_takeback_race_served },
	{ "truncate", case_truncate_served },
	{ "death", case_death_served },
	{ "erase-ioctls", case_erase_ioctls_served },
	{ "kernel-erase", case_kernel_erase_served },
	{ "keep-pages", case_keep_pages_served },
	{ "keep-pages-control", case_keep_pages_control_served },
	{ "erase-takeback", case_erase_takeback_served },
	{ "backing-kinds", case_backing_kinds_served },
	{ "sealed-later", case_sealed_later_served },
	{ "bad-granted", case_bad_granted_served },
	{ "erase-read-race", case_erase_read_race_served },
	{ "fsize-limit", case_fsize_limit_served },
	{ "huge-erase", case_huge_erase_served },
	{ "stuck-backing", case_stuck_backing_served },
	{ "store-freed", case_store_freed_served },
	{ "stuck-timeout", case_stuck_timeout_served },
	{ "read-only", case_read_only_served },
};

const struct peer_target target_passthrough = PEER_TARGET("passthrough",
	"read passthrough and kernel erase, a libmuse server with its\n"
	"               data in a memfd (tests/vm's passthrough)",
	cases);
