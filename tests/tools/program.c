// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * muse-peer program: kernel program (MUSE_EXT_KERNEL_PROGRAM) and the
 * device-wide kernel budget against the real module, with a small libmuse
 * server whose in-band data, OOB, erase counts, programmed bitmaps and
 * program counts live in a memfd (the data inverted) that it registers as
 * the backing file.  The server keeps its duties: it applies a block's
 * program count (atomic exchange) before it answers a request about the
 * block, sets the bits of what it programs itself and clears them when it
 * erases, all with atomic operations on the shared file.  "The kernel's
 * programs of block b" is what it applied plus what the file still counts.
 * Each case runs on a fresh server, its MTD open.  The I/O unit is two
 * eraseblocks (the module's default max_io), so that one write can cross
 * a block inside one unit.
 *
 * ioctls        every bad MUSE_IOC_PROGRAM_BACKING, _PROGRAM_GRANT and
 *               _KERNEL_BUDGET argument gets its documented errno: before
 *               INIT ended, without the extension, without the erase
 *               backing or the program backing, set twice, unknown rules or
 *               flags, odd or short strides, overlaps with the data, the
 *               OOB, the erase counts and each other, regions past the end
 *               of the file, bad grant ranges and padding, bad budget ops
 *               and padding, and without CAP_SYS_ADMIN
 * not-tmpfs     a backing file that is not on tmpfs ($PROGTEST_NOT_TMPFS, a
 *               directory, e.g. on ext4) is refused with EOPNOTSUPP
 *               (skipped without the variable)
 * program       a write of a granted block sends no request, lands in the
 *               file as ~byte, sets exactly its subpages' bits and adds them
 *               to the count; writes breaking a rule are requests: OOB, RAW,
 *               an ungranted block, a subpage set since the erase (all or
 *               none of a unit), a count that would pass 0xffff, a unit
 *               across two blocks; everything reads back
 * program-control the same writes, nothing granted: each is a request, the
 *               file holds the same bytes
 * rules-none, in-order, whole-pages, in-order-whole-pages the same five
 *               writes of one block under each set of chip rules: a page
 *               below a programmed one and a lone subpage are requests
 *               exactly where MUSE_PROGRAM_IN_ORDER and _WHOLE_PAGES say
 *               (rules-none is the control: all five are the kernel's)
 * block-budget  a grant of budget N gives exactly N kernel programs, then
 *               requests; a new grant replaces what is left; 0 takes back
 * device-budget the device-wide budget is shared by kernel erases, kernel
 *               programs and the server's takes, and runs out exactly: in
 *               the middle of a multi-block erase, at a program; TAKE
 *               returns 0 exactly once spent, and unlimited takes nothing
 * sealed-later  a memfd sealed against writes after the set-up: a granted
 *               write is a request (the kernel's before the seal)
 * bad-block     a granted block marked bad (MEMSETBADBLOCK, MARKBAD
 *               answered): its writes are requests, the next block's not
 * ended         a connection aborted by the administrator (sysfs): grants
 *               fail with ENXIO
 * ended-budget  the same for the kernel budget (GET, TAKE), as muse.h says
 *               of every call of the group
 * takeback-race four writers program pages of eight blocks while the
 *               server grants and takes them back again and again (after
 *               a kernel program, and a varying moment): no kernel program
 *               after a take-back returned; after each of 16 passes every
 *               page reads back, the bitmaps hold exactly the subpages
 *               written, and kernel programs + request subpages =
 *               subpages written (the server applies the counts all the
 *               while); the blocks are then erased for the next pass
 * erase-clears  a kernel erase of a block with program state clears its
 *               bitmap (no request), leaves the other blocks' and its
 *               count, and the block is the kernel's to program again
 * erase-clears-control a kernel erase on a connection without program
 *               state leaves the bytes where a bitmap would be
 * erase-race    two writers program pages of a block again and again while
 *               it is kernel-erased 2000 times (the server refuses its
 *               requests, so a write that succeeds is a kernel program):
 *               after each erase (the writers paused) each subpage is
 *               programmed whole with its bit set or erased with its bit
 *               clear; the count is 4 subpages per successful write and
 *               every erase the kernel's
 * death-mid-program the server dies (its /dev/muse closed) while a granted
 *               write is held in its kernel program, on the store's inode
 *               lock, which a write of the store stalled in a userfaultfd
 *               fault holds: the death returns within 2 s; released, the
 *               program ends whole (data, bits and count in the store) or
 *               not at all, and never as a request (skipped without
 *               userfaultfd).  The control, a write held as a request at
 *               the death, is the vm suite's server-death
 * store-full    the store on a tmpfs of its own, full but one page: a
 *               granted write of two pages of memory fails with EIO (the
 *               server refuses its request, its store full too); the
 *               kernel stored the first page, then wrote it erased again,
 *               and left no bit or count; with room again the same write
 *               is the kernel's and reads back
 * store-full-control the same, nothing granted: the request fails, the
 *               first page stays a hole; with room it is a request
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
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
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/magic.h>
#include <linux/userfaultfd.h>
#include <mtd/mtd-user.h>

#include <muse/muse.h>
#include <muse/muse_kernel.h>

#include "cases.h"
#include "flashbytes.h"
#include "procmtd.h"

#define PAGE		2048u
#define SUBPAGE		512u
#define SUBPAGE_SHIFT	2u		/* PAGE >> SUBPAGE_SHIFT == SUBPAGE */
#define SUBS_PER_PAGE	(PAGE / SUBPAGE)
#define PAGES_PER_BLOCK	64u
#define BLOCK		(PAGES_PER_BLOCK * PAGE)
#define SUBS_PER_BLOCK	(BLOCK / SUBPAGE)
#define BLOCKS		16u
#define SIZE		((uint64_t)BLOCKS * BLOCK)
#define OOB		64u
#define PAGES		(SIZE / PAGE)
#define NAME		"progtest"
/*
 * The store: data, OOB, erase counts, per-block records (the layout of
 * ramflash's image: a count at 26 and the bitmap at 32 of each, for a
 * valid interleaved layout), bitmaps, program counts.
 */
#define OOB_OFF		SIZE
#define ECOUNT_OFF	(OOB_OFF + PAGES * OOB)
#define MAP_SIZE	(SUBS_PER_BLOCK / 8)
#define REC_OFF		(ECOUNT_OFF + BLOCKS * sizeof(uint32_t))
#define REC_SIZE	(32u + MAP_SIZE)
#define MAP_OFF		(REC_OFF + BLOCKS * REC_SIZE)
#define PCOUNT_OFF	(MAP_OFF + BLOCKS * MAP_SIZE)
#define STORE_SIZE	(PCOUNT_OFF + BLOCKS * sizeof(uint16_t))

#define ALL_THREE	(MUSE_SESSION_PASSTHROUGH | MUSE_SESSION_KERNEL_ERASE | \
			 MUSE_SESSION_KERNEL_PROGRAM)

struct server {
	struct muse_session *se;
	int store;
	uint8_t *mem;			/* the store, shared */
	pthread_t loop;
	atomic_uint writes[BLOCKS];	/* WRITE requests touching a block */
	atomic_uint write_subs[BLOCKS];	/* subpages they wrote */
	atomic_uint erases[BLOCKS];	/* ERASE requests */
	atomic_uchar requested[PAGES];	/* WRITE requests per page */
	atomic_bool bad[BLOCKS];	/* marked bad by MARKBAD */
	atomic_int refuse_block;	/* its WRITE requests fail, or -1 */
	atomic_uint refused;		/* WRITE requests failed so */
	char dir[64];			/* the store's own tmpfs, or "" */
	atomic_bool dead;		/* srv_die() returned */
	pthread_mutex_t apply_lock;	/* program counts vs. applied */
	unsigned int applied[BLOCKS];	/* counts applied, under the lock */
};

static uint8_t *bitmap(struct server *s, unsigned int b)
{
	return s->mem + MAP_OFF + (size_t)b * MAP_SIZE;
}

static uint16_t *pcount(struct server *s, unsigned int b)
{
	return (uint16_t *)(s->mem + PCOUNT_OFF) + b;
}

static uint32_t ecount(struct server *s, unsigned int b)
{
	return __atomic_load_n((uint32_t *)(s->mem + ECOUNT_OFF) + b,
			       __ATOMIC_SEQ_CST);
}

/* The server's duty before it answers anything about block @b. */
static void apply_count(struct server *s, unsigned int b)
{
	pthread_mutex_lock(&s->apply_lock);
	s->applied[b] += __atomic_exchange_n(pcount(s, b), 0,
					     __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&s->apply_lock);
}

/* The subpages the kernel programmed in block @b since the server began. */
static unsigned int kernel_subs(struct server *s, unsigned int b)
{
	unsigned int n;

	pthread_mutex_lock(&s->apply_lock);
	n = s->applied[b] + __atomic_load_n(pcount(s, b), __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&s->apply_lock);
	return n;
}

static void apply_range(struct server *s, uint64_t addr, uint64_t len)
{
	uint64_t b;

	for (b = addr / BLOCK; b <= (addr + (len ? len - 1 : 0)) / BLOCK; b++)
		apply_count(s, (unsigned int)b);
}

/* Set (the server programmed them) the bits of [addr, addr + len). */
static void set_bits(struct server *s, uint64_t addr, uint64_t len)
{
	uint64_t sub;

	for (sub = addr / SUBPAGE; sub < (addr + len + SUBPAGE - 1) / SUBPAGE;
	     sub++) {
		unsigned int b = (unsigned int)(sub / SUBS_PER_BLOCK);
		unsigned int i = (unsigned int)(sub % SUBS_PER_BLOCK);

		__atomic_fetch_or(&bitmap(s, b)[i / 8], (uint8_t)(1u << (i % 8)),
				  __ATOMIC_SEQ_CST);
	}
}

static int srv_read(void *userdata, struct muse_req *req,
		    const struct muse_io *io, struct muse_ecc_result *ecc)
{
	struct server *s = userdata;

	apply_range(s, io->addr, io->len);
	memcpy(io->buf, s->mem + io->addr, io->len);
	invert(io->buf, io->len);
	memset(io->oobbuf, 0xff, io->ooblen);
	return 0;
}

static int srv_write(void *userdata, struct muse_req *req,
		     const struct muse_io *io)
{
	struct server *s = userdata;
	uint64_t a;

	apply_range(s, io->addr, io->len);
	/* The file holds only the kernel's programs of that block. */
	if ((int)(io->addr / BLOCK) == atomic_load(&s->refuse_block)) {
		atomic_fetch_add(&s->refused, 1);
		return -EIO;
	}
	/* Through the file, as the kernel's programs: never a torn byte. */
	for (a = io->addr; a < io->addr + io->len; a++)
		s->mem[a] = (uint8_t)~((const uint8_t *)io->buf)[a - io->addr];
	set_bits(s, io->addr, io->len);
	for (a = io->addr - io->addr % PAGE; a < io->addr + io->len; a += PAGE)
		atomic_fetch_add(&s->requested[a / PAGE], 1);
	for (a = io->addr - io->addr % BLOCK; a < io->addr + (io->len ?: 1);
	     a += BLOCK) {
		uint64_t from = a > io->addr ? a : io->addr;
		uint64_t to = a + BLOCK < io->addr + io->len ?
			      a + BLOCK : io->addr + io->len;

		atomic_fetch_add(&s->writes[a / BLOCK], 1);
		atomic_fetch_add(&s->write_subs[a / BLOCK],
				 (unsigned int)((to - from) / SUBPAGE));
	}
	return 0;
}

static int srv_erase(void *userdata, struct muse_req *req, uint64_t addr,
		     uint64_t len)
{
	struct server *s = userdata;
	uint64_t a;
	unsigned int i;

	for (a = addr; a < addr + len; a += BLOCK) {
		unsigned int b = (unsigned int)(a / BLOCK);

		apply_count(s, b);
		atomic_fetch_add(&s->erases[b], 1);
		if (fallocate(s->store, FALLOC_FL_PUNCH_HOLE |
			      FALLOC_FL_KEEP_SIZE, (off_t)a, BLOCK))
			return -errno;
		for (i = 0; i < MAP_SIZE; i++)
			__atomic_store_n(&bitmap(s, b)[i], 0, __ATOMIC_SEQ_CST);
	}
	return 0;
}

/* The module knows a block bad from this answer; ISBAD stays "good". */
static int srv_markbad(void *userdata, struct muse_req *req, uint64_t addr)
{
	struct server *s = userdata;

	apply_count(s, (unsigned int)(addr / BLOCK));
	atomic_store(&s->bad[addr / BLOCK], true);
	return 0;
}

static const struct muse_ops srv_ops = {
	.read = srv_read,
	.write = srv_write,
	.erase = srv_erase,
	.markbad = srv_markbad,
};

static void *srv_loop(void *arg)
{
	struct server *s = arg;

	muse_session_loop_mt(s->se, 2);
	return NULL;
}

static struct muse_device prog_device(const char *name)
{
	const struct muse_device dev = {
		.name = name, .type = MUSE_TYPE_NAND,
		.flags = MUSE_FLAG_WRITEABLE, .size = SIZE,
		.writesize = PAGE, .erasesize = BLOCK, .oobsize = OOB,
		.oobavail = 32, .subpage_shift = SUBPAGE_SHIFT,
		.max_io = 2 * BLOCK,
	};

	return dev;
}

/*
 * A fresh inverted store in @store (a memfd, or a file of the tmpfs at
 * s->dir), and a session for it: NULL or why.  The store is closed on
 * failure.
 */
static const char *srv_start_on(struct server *s, unsigned int session_flags,
				int store)
{
	const struct muse_device dev = prog_device(NAME);
	const unsigned int want = MUSE_EXT_PASSTHROUGH | MUSE_EXT_KERNEL_ERASE |
				  MUSE_EXT_KERNEL_PROGRAM;
	const char *err = NULL;

	atomic_store(&s->refuse_block, -1);
	pthread_mutex_init(&s->apply_lock, NULL);
	s->store = store;
	if (s->store < 0)
		return "the store";
	if (ftruncate(s->store, STORE_SIZE)) {
		close(s->store);
		return "ftruncate of the store";
	}
	s->mem = mmap(NULL, STORE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		      s->store, 0);
	if (s->mem == MAP_FAILED) {
		close(s->store);
		return "mmap of the store";
	}
	if (muse_session_new(&dev, sizeof(dev), &srv_ops, sizeof(srv_ops),
			     session_flags, s, &s->se) ||
	    muse_session_open(s->se, NULL) || muse_session_init(s->se))
		err = "session set-up";
	else if ((session_flags & MUSE_SESSION_KERNEL_PROGRAM) &&
		 (muse_session_extensions(s->se) & want) != want)
		err = "the module did not offer passthrough, kernel erase and kernel program";
	else if (muse_session_max_io(s->se) != 2 * BLOCK)
		err = "the I/O unit is not two eraseblocks (muse.ko's max_io?)";
	else if (muse_session_set_backing(s->se, s->store, 0,
					  MUSE_PT_INVERTED))
		err = "muse_session_set_backing";
	else if (pthread_create(&s->loop, NULL, srv_loop, s))
		err = "pthread_create";
	if (err) {
		if (s->se)
			muse_session_destroy(s->se);
		munmap(s->mem, STORE_SIZE);
		close(s->store);
		s->se = NULL;
	}
	return err;
}

static const char *srv_start(struct server *s, unsigned int session_flags)
{
	memset(s, 0, sizeof(*s));
	return srv_start_on(s, session_flags,
			    memfd_create("progtest",
					 MFD_CLOEXEC | MFD_ALLOW_SEALING));
}

/* The server's death: its loop ended, /dev/muse closed; the store stays. */
static void srv_die(struct server *s)
{
	muse_session_exit(s->se);
	pthread_join(s->loop, NULL);
	muse_session_destroy(s->se);
	atomic_store(&s->dead, true);
}

static void srv_stop(struct server *s)
{
	if (!atomic_load(&s->dead))
		srv_die(s);
	munmap(s->mem, STORE_SIZE);
	close(s->store);
}

static const char *erase_setup(struct server *s)
{
	return muse_session_set_erase_backing(s->se, OOB_OFF, ECOUNT_OFF,
					      sizeof(uint32_t)) ?
	       "muse_session_set_erase_backing" : NULL;
}

/* Erase backing and program backing with @rules. */
static const char *setup(struct server *s, unsigned int rules)
{
	const char *err = erase_setup(s);
	int ret;

	if (err)
		return err;
	ret = muse_session_set_program_backing(s->se, MAP_OFF, MAP_SIZE,
					       PCOUNT_OFF, sizeof(uint16_t),
					       rules);
	if (ret) {
		note("muse_session_set_program_backing: %s\n", strerror(-ret));
		return "muse_session_set_program_backing";
	}
	return NULL;
}

static const char *grant(struct server *s, unsigned int b, unsigned int n,
			 uint32_t budget)
{
	return muse_session_program_grant(s->se, b, n, budget) ?
	       "muse_session_program_grant" : NULL;
}

static const char *erase_grant(struct server *s, unsigned int b,
			       unsigned int n, uint32_t budget)
{
	return muse_session_erase_grant(s->se, b, n, budget) ?
	       "muse_session_erase_grant" : NULL;
}

static unsigned int popcount_block(struct server *s, unsigned int b)
{
	unsigned int i, n = 0;

	for (i = 0; i < MAP_SIZE; i++)
		n += (unsigned int)__builtin_popcount(
			__atomic_load_n(&bitmap(s, b)[i], __ATOMIC_SEQ_CST));
	return n;
}

/* Whether bits [first, first + n) of block @b are set, and no other. */
static bool bits_exactly(struct server *s, unsigned int b, unsigned int first,
			 unsigned int n)
{
	unsigned int i;

	for (i = 0; i < SUBS_PER_BLOCK; i++) {
		bool set = bitmap(s, b)[i / 8] & (1u << (i % 8));

		if (set != (i >= first && i < first + n))
			return false;
	}
	return true;
}

static void set_pcount(struct server *s, unsigned int b, uint16_t v)
{
	pthread_mutex_lock(&s->apply_lock);
	s->applied[b] += __atomic_exchange_n(pcount(s, b), v,
					     __ATOMIC_SEQ_CST);
	s->applied[b] -= v;
	pthread_mutex_unlock(&s->apply_lock);
}

/* Whether the file holds @len bytes of pattern @seed at @off, inverted. */
static bool file_holds(struct server *s, uint64_t off, size_t len,
		       unsigned int seed)
{
	static uint8_t want[2 * BLOCK];

	if (len > sizeof(want))
		return false;
	pattern(want, len, seed);
	invert(want, len);
	return !memcmp(s->mem + off, want, len);
}

/* Whether the MTD reads @len bytes of pattern @seed at @off. */
static bool mtd_holds(int mtd, uint64_t off, size_t len, unsigned int seed)
{
	static uint8_t want[2 * BLOCK], got[2 * BLOCK];

	if (len > sizeof(want) ||
	    pread(mtd, got, len, (off_t)off) != (ssize_t)len)
		return false;
	pattern(want, len, seed);
	return !memcmp(got, want, len);
}

/* Called by the race's writers at once: a buffer of its own each. */
static int write_pattern(int mtd, uint64_t off, size_t len, unsigned int seed)
{
	uint8_t *buf = malloc(len);
	int ret = -1;

	if (buf) {
		pattern(buf, len, seed);
		ret = pwrite(mtd, buf, len, (off_t)off) == (ssize_t)len ? 0 : -1;
	}
	free(buf);
	return ret;
}

/* MEMWRITE of pattern @seed in @mode, with @ooblen bytes of OOB. */
static int memwrite(int mtd, uint64_t off, size_t len, size_t ooblen,
		    uint8_t mode, unsigned int seed)
{
	static uint8_t buf[PAGE], oob[OOB];
	struct mtd_write_req req = {
		.start = off, .len = len, .ooblen = ooblen,
		.usr_data = (uintptr_t)buf, .usr_oob = (uintptr_t)oob,
		.mode = mode,
	};

	if (len > sizeof(buf) || ooblen > sizeof(oob))
		return -1;
	pattern(buf, len, seed);
	memset(oob, 0x5a, sizeof(oob));
	return ioctl(mtd, MEMWRITE, &req);
}

static int erase_blocks(int mtd, unsigned int b, unsigned int n)
{
	struct erase_info_user erase = { .start = b * BLOCK,
					  .length = n * BLOCK };

	return ioctl(mtd, MEMERASE, &erase);
}

/*
 * One write and what it must have been: the kernel's (no request, its
 * subpages added to the kernel's programs of the block) or a request.
 * The data lands in the file either way.  Returns NULL or why.
 */
struct expect_write {
	const char *what;
	uint64_t off;
	size_t len;
	bool kernel;
};

static const char *judge(struct server *s, const struct expect_write *w,
			 unsigned int seed, unsigned int writes_before,
			 unsigned int subs_before)
{
	unsigned int b = (unsigned int)(w->off / BLOCK);
	unsigned int writes = atomic_load(&s->writes[b]);
	unsigned int subs = kernel_subs(s, b);
	static char why[200];

	note("%s: %u request(s), %u kernel subpage(s)\n", w->what,
	     writes - writes_before, subs - subs_before);
	if (!file_holds(s, w->off, w->len, seed)) {
		snprintf(why, sizeof(why), "%s: the file does not hold ~data",
			 w->what);
		return why;
	}
	if (w->kernel && (writes != writes_before ||
			  subs != subs_before + w->len / SUBPAGE)) {
		snprintf(why, sizeof(why),
			 "%s: not the kernel's (%u requests, %u subpages counted, want 0 and %zu)",
			 w->what, writes - writes_before, subs - subs_before,
			 w->len / SUBPAGE);
		return why;
	}
	if (!w->kernel && (writes != writes_before + 1 ||
			   subs != subs_before)) {
		snprintf(why, sizeof(why),
			 "%s: not a request (%u requests, %u subpages counted, want 1 and 0)",
			 w->what, writes - writes_before, subs - subs_before);
		return why;
	}
	return NULL;
}

static const char *expect_pwrite(struct server *s, int mtd,
				 const struct expect_write *w,
				 unsigned int seed)
{
	unsigned int b = (unsigned int)(w->off / BLOCK);
	unsigned int writes = atomic_load(&s->writes[b]);
	unsigned int subs = kernel_subs(s, b);

	if (write_pattern(mtd, w->off, w->len, seed))
		return w->what;
	return judge(s, w, seed, writes, subs);
}

/* --- ioctls --------------------------------------------------------- */

static int program_backing_errno(int fd, uint64_t map, uint32_t map_stride,
				 uint64_t count, uint32_t count_stride,
				 uint32_t rules, uint32_t flags)
{
	struct muse_program_backing arg = {
		.map_offset = map, .map_stride = map_stride,
		.count_offset = count, .count_stride = count_stride,
		.rules = rules, .flags = flags,
	};

	return ioctl(fd, MUSE_IOC_PROGRAM_BACKING, &arg) ? errno : 0;
}

static int program_grant_errno(int fd, uint64_t first, uint64_t count,
			       uint32_t budget, uint32_t padding)
{
	struct muse_program_grant arg = {
		.first_block = first, .count = count, .budget = budget,
		.padding = padding,
	};

	return ioctl(fd, MUSE_IOC_PROGRAM_GRANT, &arg) ? errno : 0;
}

static int budget_errno(int fd, uint32_t op, uint32_t padding,
			uint64_t *value)
{
	struct muse_kernel_budget arg = {
		.op = op, .padding = padding, .value = *value,
	};
	int ret = ioctl(fd, MUSE_IOC_KERNEL_BUDGET, &arg) ? errno : 0;

	*value = arg.value;
	return ret;
}

/* The three ioctls with valid arguments on @fd: each errno must be @want. */
static const char *all_three_errno(int fd, int want, const char *what)
{
	static char why[160];
	uint64_t value = 1;
	int e[3];

	e[0] = program_backing_errno(fd, MAP_OFF, MAP_SIZE, PCOUNT_OFF, 2, 0,
				     0);
	e[1] = program_grant_errno(fd, 0, 1, 1, 0);
	e[2] = budget_errno(fd, MUSE_BUDGET_SET, 0, &value);
	note("%s: %s, %s, %s\n", what, strerror(e[0]), strerror(e[1]),
	     strerror(e[2]));
	if (e[0] == want && e[1] == want && e[2] == want)
		return NULL;
	snprintf(why, sizeof(why),
		 "%s: PROGRAM_BACKING %s, PROGRAM_GRANT %s, KERNEL_BUDGET %s, want %s",
		 what, strerror(e[0]), strerror(e[1]), strerror(e[2]),
		 strerror(want));
	return why;
}

/*
 * A second connection, initialised with @flags and no loop, its backing
 * file @fd registered inverted (unless -1): NULL if it could not be set up.
 */
static struct muse_session *other_session(unsigned int flags, int fd)
{
	const struct muse_device dev = prog_device(NAME "-other");
	struct muse_session *se = NULL;

	if (muse_session_new(&dev, sizeof(dev), &srv_ops, sizeof(srv_ops),
			     flags, NULL, &se) ||
	    muse_session_open(se, NULL) || muse_session_init(se) ||
	    (fd >= 0 && muse_session_set_backing(se, fd, 0, MUSE_PT_INVERTED))) {
		if (se)
			muse_session_destroy(se);
		return NULL;
	}
	return se;
}

/* Before INIT ended and without the extensions: EOPNOTSUPP. */
static const char *ioctls_unsupported(struct server *s)
{
	struct muse_session *se;
	const char *err;
	uint64_t value = 0;
	int fd, e;

	fd = open("/dev/muse", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return "open /dev/muse";
	err = all_three_errno(fd, EOPNOTSUPP, "before INIT");
	close(fd);
	if (err)
		return err;

	/* Kernel erase but not kernel program: the budget only. */
	se = other_session(MUSE_SESSION_PASSTHROUGH | MUSE_SESSION_KERNEL_ERASE,
			   s->store);
	if (!se)
		return "a connection with kernel erase only";
	fd = muse_session_fd(se);
	e = program_backing_errno(fd, MAP_OFF, MAP_SIZE, PCOUNT_OFF, 2, 0, 0);
	if (!e)
		e = -1;
	if (e == EOPNOTSUPP)
		e = program_grant_errno(fd, 0, 1, 1, 0);
	if (e == EOPNOTSUPP)
		e = budget_errno(fd, MUSE_BUDGET_GET, 0, &value);
	muse_session_destroy(se);
	note("kernel erase only: budget GET %s, %llx\n", strerror(e),
	     (unsigned long long)value);
	if (e || value != MUSE_BUDGET_UNLIMITED)
		return "kernel erase only: the program ioctls not EOPNOTSUPP, or the budget not there (unlimited)";

	se = other_session(MUSE_SESSION_PASSTHROUGH, s->store);
	if (!se)
		return "a connection with passthrough only";
	err = all_three_errno(muse_session_fd(se), EOPNOTSUPP,
			      "passthrough only");
	muse_session_destroy(se);
	return err;
}

/* Drop CAP_SYS_ADMIN in a child: the three ioctls are EPERM there. */
static const char *ioctls_need_admin(struct server *s)
{
	int fd = muse_session_fd(s->se), status = -1;
	pid_t pid = fork();

	if (pid == 0)
		_exit(drop_admin() ? 2 :
		      all_three_errno(fd, EPERM, "without CAP_SYS_ADMIN") ?
		      1 : 0);
	if (pid > 0)
		waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) == 2)
		return "the child without CAP_SYS_ADMIN did not run";
	return WEXITSTATUS(status) ?
	       "without CAP_SYS_ADMIN an ioctl was not EPERM (-v says which)" :
	       NULL;
}

static const char *case_ioctls(struct server *s, int mtd)
{
	static const struct {
		uint64_t map, count;
		uint32_t map_stride, count_stride, rules, flags;
		int want;
		const char *what;
	} bad[] = {
		{ MAP_OFF, PCOUNT_OFF, MAP_SIZE, 2, 1U << 2, 0, EINVAL,
		  "an unknown rule" },
		{ MAP_OFF, PCOUNT_OFF, MAP_SIZE, 2, 1U << 31, 0, EINVAL,
		  "rule 31" },
		{ MAP_OFF, PCOUNT_OFF, MAP_SIZE, 2, 0, 1, EINVAL, "flags 1" },
		{ MAP_OFF, PCOUNT_OFF, MAP_SIZE, 2, 0, 1U << 31, EINVAL,
		  "flags bit 31" },
		{ MAP_OFF, PCOUNT_OFF + 1, MAP_SIZE, 2, 0, 0, EINVAL,
		  "odd count offset" },
		{ MAP_OFF, PCOUNT_OFF, MAP_SIZE, 3, 0, 0, EINVAL,
		  "odd count stride" },
		{ MAP_OFF, PCOUNT_OFF, MAP_SIZE, 0, 0, 0, EINVAL,
		  "count stride 0" },
		{ MAP_OFF, PCOUNT_OFF, 0, 2, 0, 0, EINVAL, "map stride 0" },
		{ MAP_OFF, PCOUNT_OFF, MAP_SIZE - 1, 2, 0, 0, EINVAL,
		  "map stride shorter than a bitmap" },
		{ BLOCK, PCOUNT_OFF, MAP_SIZE, 2, 0, 0, EINVAL,
		  "bitmaps over the data" },
		{ MAP_OFF, BLOCK, MAP_SIZE, 2, 0, 0, EINVAL,
		  "counts over the data" },
		{ OOB_OFF + OOB, PCOUNT_OFF, MAP_SIZE, 2, 0, 0, EINVAL,
		  "bitmaps over the OOB" },
		{ MAP_OFF, OOB_OFF + 2 * OOB, MAP_SIZE, 2, 0, 0, EINVAL,
		  "counts over the OOB" },
		{ ECOUNT_OFF, PCOUNT_OFF, MAP_SIZE, 2, 0, 0, EINVAL,
		  "bitmaps over the erase counts" },
		{ MAP_OFF, ECOUNT_OFF + 4, MAP_SIZE, 2, 0, 0, EINVAL,
		  "counts over the erase counts" },
		{ MAP_OFF, MAP_OFF + 2 * MAP_SIZE, MAP_SIZE, 2, 0, 0, EINVAL,
		  "counts over the bitmaps" },
		{ MAP_OFF, MAP_OFF, MAP_SIZE, MAP_SIZE, 0, 0, EINVAL,
		  "counts and bitmaps at the same place" },
		{ MAP_OFF, PCOUNT_OFF + 2, MAP_SIZE, 2, 0, 0, ERANGE,
		  "counts past EOF" },
		{ MAP_OFF, PCOUNT_OFF, MAP_SIZE, 4, 0, 0, ERANGE,
		  "count stride past EOF" },
		{ STORE_SIZE, PCOUNT_OFF, MAP_SIZE, 2, 0, 0, ERANGE,
		  "bitmaps past EOF" },
		{ UINT64_MAX - 8, PCOUNT_OFF, MAP_SIZE, 2, 0, 0, ERANGE,
		  "bitmaps wrap" },
		{ MAP_OFF, UINT64_MAX - 1, MAP_SIZE, 2, 0, 0, ERANGE,
		  "counts wrap" },
		{ MAP_OFF, PCOUNT_OFF, UINT32_MAX, 2, 0, 0, ERANGE,
		  "map stride past EOF, large" },
	};
	static char why[200];
	int fd = muse_session_fd(s->se);
	uint64_t value;
	const char *err;
	unsigned int i;
	int e;

	(void)mtd;
	err = ioctls_unsupported(s);
	if (err)
		return err;
	err = ioctls_need_admin(s);
	if (err)
		return err;
	e = program_grant_errno(fd, 0, 1, 1, 0);
	if (e != ENXIO)
		return "a grant before MUSE_IOC_PROGRAM_BACKING was not ENXIO";
	e = program_backing_errno(fd, MAP_OFF, MAP_SIZE, PCOUNT_OFF, 2, 0, 0);
	if (e != ENXIO)
		return "MUSE_IOC_PROGRAM_BACKING before the erase backing was not ENXIO";
	err = erase_setup(s);
	if (err)
		return err;
	e = program_grant_errno(fd, 0, 1, 1, 0);
	if (e != ENXIO)
		return "a grant before MUSE_IOC_PROGRAM_BACKING (erase backing set) was not ENXIO";
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e = program_backing_errno(fd, bad[i].map, bad[i].map_stride,
					  bad[i].count, bad[i].count_stride,
					  bad[i].rules, bad[i].flags);
		note("program backing, %s: %s\n", bad[i].what, strerror(e));
		if (e != bad[i].want) {
			snprintf(why, sizeof(why), "%s: %s, want %s",
				 bad[i].what, strerror(e),
				 strerror(bad[i].want));
			return why;
		}
	}
	/* Interleaved in one record per block, as ramflash's image. */
	if (program_backing_errno(fd, REC_OFF + 32, REC_SIZE, REC_OFF + 26,
				  REC_SIZE, MUSE_PROGRAM_RULES, 0))
		return "a valid MUSE_IOC_PROGRAM_BACKING (bitmap and count in one record per block) failed";
	if (program_backing_errno(fd, MAP_OFF, MAP_SIZE, PCOUNT_OFF, 2, 0, 0) !=
	    EBUSY)
		return "a second MUSE_IOC_PROGRAM_BACKING was not EBUSY";
	if (program_grant_errno(fd, 0, 1, 1, 1) != EINVAL ||
	    program_grant_errno(fd, 0, 1, 1, 1U << 31) != EINVAL ||
	    program_grant_errno(fd, 0, 0, 1, 0) != EINVAL ||
	    program_grant_errno(fd, BLOCKS, 1, 1, 0) != EINVAL ||
	    program_grant_errno(fd, 1, UINT64_MAX, 1, 0) != EINVAL ||
	    program_grant_errno(fd, UINT64_MAX, 2, 1, 0) != EINVAL ||
	    program_grant_errno(fd, 0, BLOCKS + 1, 1, 0) != EINVAL)
		return "a bad grant (range, padding) was not EINVAL";
	if (program_grant_errno(fd, 0, BLOCKS, MUSE_PROGRAM_UNLIMITED, 0) ||
	    program_grant_errno(fd, BLOCKS - 1, 1, 0, 0))
		return "a valid grant failed";
	value = 5;
	if (budget_errno(fd, 3, 0, &value) != EINVAL ||
	    budget_errno(fd, UINT32_MAX, 0, &value) != EINVAL ||
	    budget_errno(fd, MUSE_BUDGET_GET, 1, &value) != EINVAL ||
	    budget_errno(fd, MUSE_BUDGET_SET, 1U << 31, &value) != EINVAL)
		return "a bad budget op or padding was not EINVAL";
	value = 0;
	if (budget_errno(fd, MUSE_BUDGET_GET, 0, &value) ||
	    value != MUSE_BUDGET_UNLIMITED)
		return "the budget was not unlimited at first (GET)";
	value = 7;
	if (budget_errno(fd, MUSE_BUDGET_SET, 0, &value))
		return "SET of the budget failed";
	value = 0;
	if (budget_errno(fd, MUSE_BUDGET_GET, 0, &value) || value != 7)
		return "GET did not return what SET set";
	return NULL;
}

/* A backing file outside tmpfs: EOPNOTSUPP for the program backing. */
static const char *case_not_tmpfs(struct server *s, int mtd)
{
	const char *dir = getenv("PROGTEST_NOT_TMPFS");
	struct muse_session *se;
	struct statfs sfs;
	char path[256];
	int fd, ret;

	(void)s;
	(void)mtd;
	if (!dir) {
		skip_reason = "no $PROGTEST_NOT_TMPFS";
		return NULL;
	}
	if (statfs(dir, &sfs) || sfs.f_type == TMPFS_MAGIC)
		return "$PROGTEST_NOT_TMPFS is not a directory outside tmpfs";
	snprintf(path, sizeof(path), "%s/progtest-store", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, STORE_SIZE)) {
		if (fd >= 0)
			close(fd);
		return "a store outside tmpfs";
	}
	se = other_session(ALL_THREE, fd);
	ret = -1;
	if (se && !muse_session_set_erase_backing(se, OOB_OFF, ECOUNT_OFF,
						  sizeof(uint32_t)))
		ret = -muse_session_set_program_backing(se, MAP_OFF, MAP_SIZE,
							PCOUNT_OFF, 2, 0);
	note("not-tmpfs (%s, f_type 0x%lx): %s\n", dir,
	     (unsigned long)sfs.f_type, ret < 0 ? "no set-up" : strerror(ret));
	if (se)
		muse_session_destroy(se);
	close(fd);
	unlink(path);
	if (ret < 0)
		return "the connection outside tmpfs could not be set up";
	return ret == EOPNOTSUPP ? NULL :
	       "a program backing outside tmpfs was not EOPNOTSUPP";
}

/* --- program -------------------------------------------------------- */

/*
 * The writes of program and program-control: the kernel's where
 * @granted (blocks 0-7), else each a request; the same bytes in the file.
 */
static const char *program_run(struct server *s, int mtd, bool granted)
{
	const char *err = setup(s, 0);
	struct expect_write w;
	unsigned int writes, subs, writes5, subs5;

	err = err ?: granted ? grant(s, 0, 8, MUSE_PROGRAM_BUDGET_UNLIMITED) :
		      NULL;
	if (err)
		return err;
	/* A page, then a lone subpage of the next. */
	w = (struct expect_write){ "a page of a granted block", BLOCK, PAGE,
				   granted };
	err = expect_pwrite(s, mtd, &w, 1);
	if (err)
		return err;
	if (granted && !bits_exactly(s, 1, 0, SUBS_PER_PAGE))
		return "a kernel program did not set exactly its subpages' bits";
	w = (struct expect_write){ "subpage 5 of a granted block",
				   BLOCK + PAGE + SUBPAGE, SUBPAGE, granted };
	err = expect_pwrite(s, mtd, &w, 2);
	if (err)
		return err;
	if (granted && (!(bitmap(s, 1)[0] & 0x20) ||
			popcount_block(s, 1) != SUBS_PER_PAGE + 1))
		return "a kernel program of subpage 5 did not set its bit alone";
	if (!mtd_holds(mtd, BLOCK, PAGE, 1) ||
	    !mtd_holds(mtd, BLOCK + PAGE + SUBPAGE, SUBPAGE, 2))
		return "the programmed data does not read back";

	/* OOB and RAW: requests. */
	writes = atomic_load(&s->writes[1]);
	subs = kernel_subs(s, 1);
	if (memwrite(mtd, BLOCK + 2 * PAGE, PAGE, 16, MTD_OPS_PLACE_OOB, 3))
		return "MEMWRITE with OOB";
	w = (struct expect_write){ "a page with OOB", BLOCK + 2 * PAGE, PAGE,
				   false };
	err = judge(s, &w, 3, writes, subs);
	if (err)
		return err;
	if (memwrite(mtd, BLOCK + 3 * PAGE, PAGE, 0, MTD_OPS_RAW, 4))
		return "MEMWRITE RAW";
	w = (struct expect_write){ "a RAW page", BLOCK + 3 * PAGE, PAGE, false };
	err = judge(s, &w, 4, writes + 1, subs);
	if (err)
		return err;
	/* Plain, but in-band with mode AUTO and no OOB: the kernel's. */
	writes = atomic_load(&s->writes[1]);
	subs = kernel_subs(s, 1);
	if (memwrite(mtd, BLOCK + 4 * PAGE, PAGE, 0, MTD_OPS_AUTO_OOB, 5))
		return "MEMWRITE AUTO without OOB";
	w = (struct expect_write){ "a page, mode AUTO, no OOB",
				   BLOCK + 4 * PAGE, PAGE, granted };
	err = judge(s, &w, 5, writes, subs);
	if (err)
		return err;

	/* Block 9 is never granted. */
	w = (struct expect_write){ "a page of an ungranted block", 9 * BLOCK,
				   PAGE, false };
	err = expect_pwrite(s, mtd, &w, 6);
	if (err)
		return err;

	/* Subpages set since the erase: the whole unit is a request. */
	w = (struct expect_write){ "a page programmed again", BLOCK, PAGE,
				   false };
	err = expect_pwrite(s, mtd, &w, 7);
	if (err)
		return err;
	w = (struct expect_write){ "page 1, its subpage 5 set", BLOCK + PAGE,
				   PAGE, false };
	err = expect_pwrite(s, mtd, &w, 8);
	if (err)
		return err;

	/* The count may reach 0xffff, not pass it. */
	set_pcount(s, 2, 0xfffc);
	w = (struct expect_write){ "a page at count 0xfffc", 2 * BLOCK, PAGE,
				   false };
	err = expect_pwrite(s, mtd, &w, 9);
	if (err)
		return err;
	set_pcount(s, 2, 0xfffb);
	w = (struct expect_write){ "a page at count 0xfffb", 2 * BLOCK + PAGE,
				   PAGE, granted };
	err = expect_pwrite(s, mtd, &w, 10);
	if (err)
		return err;
	if (granted && __atomic_load_n(pcount(s, 2), __ATOMIC_SEQ_CST) !=
	    0xffff)
		return "the count did not reach 0xffff";
	w = (struct expect_write){ "a subpage at count 0xffff",
				   2 * BLOCK + 2 * PAGE, SUBPAGE, false };
	err = expect_pwrite(s, mtd, &w, 11);
	if (err)
		return err;

	/* One unit (blocks 4-5) across two granted blocks: a request. */
	writes5 = atomic_load(&s->writes[5]);
	subs5 = kernel_subs(s, 5);
	w = (struct expect_write){ "a unit across blocks 4 and 5",
				   5 * BLOCK - PAGE, 2 * PAGE, false };
	err = expect_pwrite(s, mtd, &w, 12);
	if (err)
		return err;
	if (atomic_load(&s->writes[5]) != writes5 + 1 ||
	    kernel_subs(s, 5) != subs5)
		return "a unit across blocks 4 and 5: block 5's part was not the request's";
	/* The same pages of the same blocks, two units: the kernel's. */
	w = (struct expect_write){ "the last page of block 3 (unit 2-3)",
				   4 * BLOCK - PAGE, PAGE, granted };
	err = expect_pwrite(s, mtd, &w, 13);
	if (err)
		return err;
	if (!mtd_holds(mtd, 5 * BLOCK - PAGE, 2 * PAGE, 12) ||
	    !mtd_holds(mtd, BLOCK + 4 * PAGE, PAGE, 5) ||
	    !mtd_holds(mtd, 2 * BLOCK + PAGE, PAGE, 10))
		return "the data does not read back";
	return NULL;
}

static const char *case_program(struct server *s, int mtd)
{
	return program_run(s, mtd, true);
}

static const char *case_program_control(struct server *s, int mtd)
{
	return program_run(s, mtd, false);
}

/* --- rules ---------------------------------------------------------- */

static const char *rules_run(struct server *s, int mtd, unsigned int rules)
{
	const bool in_order = rules & MUSE_PROGRAM_RULE_IN_ORDER;
	const bool whole = rules & MUSE_PROGRAM_RULE_WHOLE_PAGES;
	const struct expect_write writes[] = {
		{ "page 2", BLOCK + 2 * PAGE, PAGE, true },
		{ "page 1, below page 2", BLOCK + PAGE, PAGE, !in_order },
		{ "subpage 2 of page 5", BLOCK + 5 * PAGE + 2 * SUBPAGE,
		  SUBPAGE, !whole },
		{ "subpage 1 of page 5, below subpage 2",
		  BLOCK + 5 * PAGE + SUBPAGE, SUBPAGE, !in_order && !whole },
		{ "pages 6-7, above all", BLOCK + 6 * PAGE, 2 * PAGE, true },
	};
	const char *err = setup(s, rules);
	unsigned int i;

	err = err ?: grant(s, 1, 1, MUSE_PROGRAM_BUDGET_UNLIMITED);
	for (i = 0; !err && i < sizeof(writes) / sizeof(writes[0]); i++)
		err = expect_pwrite(s, mtd, &writes[i], 20 + i);
	for (i = 0; !err && i < sizeof(writes) / sizeof(writes[0]); i++)
		if (!mtd_holds(mtd, writes[i].off, writes[i].len, 20 + i))
			err = "the data does not read back";
	return err;
}

static const char *case_rules_none(struct server *s, int mtd)
{
	return rules_run(s, mtd, 0);
}

static const char *case_in_order(struct server *s, int mtd)
{
	return rules_run(s, mtd, MUSE_PROGRAM_RULE_IN_ORDER);
}

static const char *case_whole_pages(struct server *s, int mtd)
{
	return rules_run(s, mtd, MUSE_PROGRAM_RULE_WHOLE_PAGES);
}

static const char *case_in_order_whole_pages(struct server *s, int mtd)
{
	return rules_run(s, mtd, MUSE_PROGRAM_RULE_IN_ORDER |
			 MUSE_PROGRAM_RULE_WHOLE_PAGES);
}

/* --- budgets -------------------------------------------------------- */

/* Pages @first.. of block @b, one write each: @kernel of them the kernel's. */
static const char *pages_then_requests(struct server *s, int mtd,
				       unsigned int b, unsigned int first,
				       unsigned int n, unsigned int kernel)
{
	static char why[160];
	unsigned int i;
	const char *err;

	for (i = 0; i < n; i++) {
		struct expect_write w = {
			"", (uint64_t)b * BLOCK + (first + i) * PAGE, PAGE,
			i < kernel,
		};

		snprintf(why, sizeof(why), "page %u of block %u (write %u, %u the kernel's)",
			 first + i, b, i + 1, kernel);
		w.what = why;
		err = expect_pwrite(s, mtd, &w, 30 + first + i);
		if (err)
			return err;
	}
	return NULL;
}

static const char *case_block_budget(struct server *s, int mtd)
{
	const char *err = setup(s, 0);

	err = err ?: grant(s, 1, 1, 3);
	err = err ?: pages_then_requests(s, mtd, 1, 0, 5, 3);
	/* A new grant replaces what is left (nothing): two more. */
	err = err ?: grant(s, 1, 1, 2);
	err = err ?: pages_then_requests(s, mtd, 1, 5, 3, 2);
	/* Budget left, taken back: a request. */
	err = err ?: grant(s, 1, 1, 5);
	err = err ?: pages_then_requests(s, mtd, 1, 8, 1, 1);
	err = err ?: grant(s, 1, 1, 0);
	err = err ?: pages_then_requests(s, mtd, 1, 9, 1, 0);
	/* Unlimited. */
	err = err ?: grant(s, 1, 1, MUSE_PROGRAM_BUDGET_UNLIMITED);
	err = err ?: pages_then_requests(s, mtd, 1, 10, 6, 6);
	if (err)
		return err;
	/* One unit of four pages takes one. */
	err = grant(s, 1, 1, 1);
	if (!err) {
		const struct expect_write w = {
			"four pages in one unit, budget 1", BLOCK + 16 * PAGE,
			4 * PAGE, true,
		};

		err = expect_pwrite(s, mtd, &w, 29);
	}
	err = err ?: pages_then_requests(s, mtd, 1, 20, 1, 0);
	if (!err && kernel_subs(s, 1) != (3 + 2 + 1 + 6 + 4) * SUBS_PER_PAGE)
		return "the kernel's programs of block 1 are not the budgets'";
	return err;
}

static const char *budget_is(struct server *s, uint64_t want, const char *why)
{
	uint64_t left = 0;

	if (muse_session_kernel_budget(s->se, &left))
		return "muse_session_kernel_budget";
	note("%s: budget %llu, want %llu\n", why, (unsigned long long)left,
	     (unsigned long long)want);
	return left == want ? NULL : why;
}

static const char *case_device_budget(struct server *s, int mtd)
{
	const char *err = setup(s, 0);

	err = err ?: grant(s, 0, BLOCKS, MUSE_PROGRAM_BUDGET_UNLIMITED);
	err = err ?: erase_grant(s, 0, BLOCKS, MUSE_ERASE_BUDGET_UNLIMITED);
	err = err ?: budget_is(s, MUSE_KERNEL_BUDGET_UNLIMITED,
			       "the budget is not unlimited at first");
	if (err)
		return err;
	if (muse_session_set_kernel_budget(s->se, 5))
		return "muse_session_set_kernel_budget";
	/* 5: an erase, two programs, an erase, the server's take. */
	if (erase_blocks(mtd, 2, 1) || ecount(s, 2) != 1 ||
	    atomic_load(&s->erases[2]))
		return "an erase within the budget was not the kernel's";
	err = budget_is(s, 4, "a kernel erase did not take one");
	err = err ?: pages_then_requests(s, mtd, 2, 0, 2, 2);
	err = err ?: budget_is(s, 2, "two kernel programs did not take two");
	if (err)
		return err;
	if (erase_blocks(mtd, 3, 1) || ecount(s, 3) != 1)
		return "the fourth operation was not the kernel's";
	if (muse_session_take_kernel_budget(s->se) != 1)
		return "the server's take of the last one did not succeed";
	err = budget_is(s, 0, "the budget is not spent");
	/* Spent: requests, and a take that takes nothing, twice. */
	err = err ?: pages_then_requests(s, mtd, 3, 0, 1, 0);
	if (err)
		return err;
	if (erase_blocks(mtd, 2, 1) || ecount(s, 2) != 1 ||
	    atomic_load(&s->erases[2]) != 1)
		return "an erase with the budget spent was not a request";
	if (muse_session_take_kernel_budget(s->se) != 0 ||
	    muse_session_take_kernel_budget(s->se) != 0)
		return "a take of a spent budget did not return 0";
	err = budget_is(s, 0, "a take of a spent budget changed it");
	if (err)
		return err;

	/* One left: a two-block erase is the kernel's, then a request. */
	if (muse_session_set_kernel_budget(s->se, 1) || erase_blocks(mtd, 4, 2))
		return "an erase of two blocks with one left";
	if (ecount(s, 4) != 1 || atomic_load(&s->erases[4]) ||
	    ecount(s, 5) || atomic_load(&s->erases[5]) != 1)
		return "a budget of one did not stop a two-block erase after its first block";
	/* One left: a program, then a request. */
	if (muse_session_set_kernel_budget(s->se, 1))
		return "muse_session_set_kernel_budget";
	err = pages_then_requests(s, mtd, 6, 0, 3, 1);
	err = err ?: budget_is(s, 0, "the budget is not spent after a program");
	if (err)
		return err;

	/* Unlimited again: the kernel's, nothing taken. */
	if (muse_session_set_kernel_budget(s->se, MUSE_KERNEL_BUDGET_UNLIMITED))
		return "muse_session_set_kernel_budget";
	err = pages_then_requests(s, mtd, 6, 3, 1, 1);
	if (err)
		return err;
	if (muse_session_take_kernel_budget(s->se) != 1)
		return "a take of an unlimited budget did not return 1";
	return budget_is(s, MUSE_KERNEL_BUDGET_UNLIMITED,
			 "an unlimited budget changed");
}

/* --- a store refused ------------------------------------------------ */

/*
 * A memfd sealed against writes after the set-up: the kernel must not
 * change it, so a granted write is a request (which the server stores
 * through the mapping it had before the seal).
 */
static const char *case_sealed_later(struct server *s, int mtd)
{
	const char *err = setup(s, 0);
	const struct expect_write before = {
		"a page before the seal", BLOCK, PAGE, true,
	};
	const struct expect_write after = {
		"a page after the seal", BLOCK + PAGE, PAGE, false,
	};

	err = err ?: grant(s, 1, 1, MUSE_PROGRAM_BUDGET_UNLIMITED);
	err = err ?: expect_pwrite(s, mtd, &before, 40);
	if (err)
		return err;
	if (fcntl(s->store, F_ADD_SEALS, F_SEAL_FUTURE_WRITE))
		return "F_ADD_SEALS";
	err = expect_pwrite(s, mtd, &after, 41);
	if (!err && (!mtd_holds(mtd, BLOCK, PAGE, 40) ||
		     !mtd_holds(mtd, BLOCK + PAGE, PAGE, 41)))
		return "the pages do not read back";
	return err;
}

/* --- a bad block -------------------------------------------------- */

/* A granted block marked bad (MARKBAD answered): its writes are requests. */
static const char *case_bad_block(struct server *s, int mtd)
{
	const char *err = setup(s, 0);
	loff_t ofs = 3 * BLOCK;

	err = err ?: grant(s, 3, 2, MUSE_PROGRAM_BUDGET_UNLIMITED);
	err = err ?: pages_then_requests(s, mtd, 3, 0, 1, 1);
	if (err)
		return err;
	if (ioctl(mtd, MEMSETBADBLOCK, &ofs) || !atomic_load(&s->bad[3]))
		return "MEMSETBADBLOCK of block 3";
	/* Block 4, granted and good, is the control. */
	err = pages_then_requests(s, mtd, 3, 1, 1, 0);
	return err ?: pages_then_requests(s, mtd, 4, 0, 1, 1);
}

/* --- a connection that ended ------------------------------------- */

/* Abort the connection through sysfs; wait until its grants are ENXIO. */
static const char *abort_connection(struct server *s)
{
	int fd = muse_session_fd(s->se), i, n, aborted = 0;
	const char *err = setup(s, 0);
	char dirs[8][PROCMTD_DIR_MAX];

	err = err ?: grant(s, 0, BLOCKS, MUSE_PROGRAM_BUDGET_UNLIMITED);
	if (err)
		return err;
	/* The previous case's connection may linger: abort them all. */
	n = procmtd_conn_dirs(NAME, dirs, 8);
	for (i = 0; i < n && i < 8; i++)
		aborted += !procmtd_conn_write(dirs[i], "abort");
	if (!aborted)
		return "abort through sysfs";
	for (i = 0; i < 2000 && program_grant_errno(fd, 0, 1, 1, 0) != ENXIO;
	     i++)
		usleep(1000);
	return NULL;
}

/* Aborted by the administrator (sysfs): grants fail with ENXIO. */
static const char *case_ended(struct server *s, int mtd)
{
	const char *err = abort_connection(s);
	int e[2];

	(void)mtd;
	if (err)
		return err;
	e[0] = program_grant_errno(muse_session_fd(s->se), 0, 1, 1, 0);
	e[1] = -muse_session_program_grant(s->se, 0, 1, 0);
	note("ended: PROGRAM_GRANT %s, its take-back %s\n", strerror(e[0]),
	     strerror(e[1]));
	return e[0] == ENXIO && e[1] == ENXIO ? NULL :
	       "a grant after the connection ended was not ENXIO";
}

/*
 * The same for the kernel budget, which muse.h's "Kernel program" says
 * of every call of the group.
 */
static const char *case_ended_budget(struct server *s, int mtd)
{
	const char *err = abort_connection(s);
	uint64_t value = 3;
	int e[2];

	(void)mtd;
	if (err)
		return err;
	e[0] = budget_errno(muse_session_fd(s->se), MUSE_BUDGET_GET, 0, &value);
	e[1] = -muse_session_take_kernel_budget(s->se);
	note("ended: budget GET %s (%llu), muse_session_take_kernel_budget() %d\n",
	     strerror(e[0]), (unsigned long long)value, -e[1]);
	return e[0] == ENXIO && e[1] == ENXIO ? NULL :
	       "the kernel budget after the connection ended was not ENXIO";
}

/* --- take-back race ------------------------------------------------- */

#define RACE_FIRST	8u
#define RACE_BLOCKS	8u
#define RACE_WRITERS	4u
#define RACE_PASSES	16u
#define RACE_PAGES	(RACE_BLOCKS * PAGES_PER_BLOCK)
/* Every eighth page stays erased: the bitmaps must say which. */
#define RACE_WRITTEN(p)	((p) % 8 != 7)

struct race {
	struct server *s;
	int mtd;
	unsigned int pass;
	atomic_uint failed;
	atomic_uint done;		/* writers finished */
};

struct race_writer {
	struct race *r;
	unsigned int id;
};

static unsigned int race_seed(const struct race *r, unsigned int p)
{
	return 100 + r->pass * RACE_PAGES + p;
}

static void *race_write(void *arg)
{
	struct race_writer *me = arg;
	struct race *r = me->r;
	unsigned int p;

	for (p = me->id; p < RACE_PAGES; p += RACE_WRITERS) {
		if (RACE_WRITTEN(p) &&
		    write_pattern(r->mtd, RACE_FIRST * BLOCK + (uint64_t)p * PAGE,
				  PAGE, race_seed(r, p)))
			atomic_fetch_add(&r->failed, 1);
		/* A kernel program is quick: let the grants flip meanwhile. */
		sched_yield();
	}
	atomic_fetch_add(&r->done, 1);
	return NULL;
}

static unsigned int race_kernel(struct server *s)
{
	unsigned int b, n = 0;

	for (b = RACE_FIRST; b < RACE_FIRST + RACE_BLOCKS; b++)
		n += kernel_subs(s, b);
	return n;
}

/* The WRITE requests of the race's blocks, or (@subs) their subpages. */
static unsigned int race_requests(struct server *s, bool subs)
{
	unsigned int b, n = 0;

	for (b = RACE_FIRST; b < RACE_FIRST + RACE_BLOCKS; b++)
		n += atomic_load(subs ? &s->write_subs[b] : &s->writes[b]);
	return n;
}

static bool race_over(struct race *r)
{
	return atomic_load(&r->done) == RACE_WRITERS;
}

/* Wait (up to 10 s) until @count() reaches @want, or the writers end. */
static void race_wait(struct race *r, unsigned int (*count)(struct server *),
		      unsigned int want)
{
	struct timespec t0, now;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* No sleep: a writer's program takes microseconds. */
	while (!race_over(r) && count(r->s) < want) {
		sched_yield();
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - t0.tv_sec > 10)
			break;
	}
}

static unsigned int race_request_count(struct server *s)
{
	return race_requests(s, false);
}

/*
 * Grant the race's blocks, let the kernel program some, take them back
 * after a moment that varies, and see no kernel program after the
 * take-back returned while requests go on.  Returns why it failed, or
 * NULL; *@proved when the kernel programmed and requests followed.
 */
static const char *race_round(struct race *r, unsigned int *seed,
			      bool *proved)
{
	struct server *s = r->s;
	unsigned int before = race_kernel(s), after, requests, spin;
	const char *err;

	err = grant(s, RACE_FIRST, RACE_BLOCKS, MUSE_PROGRAM_BUDGET_UNLIMITED);
	if (err)
		return err;
	race_wait(r, race_kernel, before + SUBS_PER_PAGE);
	for (spin = rand_r(seed) % 4; spin; spin--)
		sched_yield();
	/* Races with the kernel programs in flight. */
	err = grant(s, RACE_FIRST, RACE_BLOCKS, 0);
	after = race_kernel(s);
	requests = race_request_count(s);
	if (err)
		return err;
	race_wait(r, race_request_count, requests + RACE_WRITERS);
	if (race_kernel(s) != after)
		return "a kernel program ran after the take-back returned";
	*proved = after > before && race_request_count(s) > requests;
	return NULL;
}

/* Why page @p at @off does not read back: for the report. */
static void race_explain(struct race *r, unsigned int p, uint64_t off,
			 unsigned int bits)
{
	static uint8_t want[PAGE];
	unsigned int i, same = 0, erased = 0;

	pattern(want, PAGE, race_seed(r, p));
	invert(want, PAGE);
	for (i = 0; i < PAGE; i++) {
		same += r->s->mem[off + i] == want[i];
		erased += !r->s->mem[off + i];
	}
	note("takeback-race pass %u: page %u (block %llu) does not read back: %u requests wrote it, bits 0x%x, of its bytes in the file %u right, %u erased\n",
	     r->pass, p, (unsigned long long)(off / BLOCK),
	     atomic_load(&r->s->requested[off / PAGE]), bits, same, erased);
}

/* After a pass: every page, every bit, every count since @kernel0 and @subs0. */
static const char *race_verify(struct race *r, unsigned int kernel0,
			       unsigned int subs0)
{
	static uint8_t got[PAGE];
	struct server *s = r->s;
	unsigned int kernel = race_kernel(s) - kernel0;
	unsigned int requested = race_requests(s, true) - subs0;
	unsigned int p, written = 0;

	for (p = 0; p < RACE_PAGES; p++) {
		uint64_t off = RACE_FIRST * BLOCK + (uint64_t)p * PAGE;
		unsigned int sub = (unsigned int)(off % BLOCK) / SUBPAGE;
		uint8_t byte = bitmap(s, (unsigned int)(off / BLOCK))[sub / 8];
		unsigned int bits = (byte >> (sub % 8)) & 0xf;

		if (RACE_WRITTEN(p)) {
			written += SUBS_PER_PAGE;
			if (!mtd_holds(r->mtd, off, PAGE, race_seed(r, p))) {
				race_explain(r, p, off, bits);
				return "a page written during the race does not read back";
			}
			if (bits != 0xf)
				return "a page written during the race has not all its bits";
		} else {
			if (pread(r->mtd, got, PAGE, (off_t)off) != PAGE ||
			    !all_ff(got, PAGE))
				return "a page never written does not read erased";
			if (bits)
				return "a page never written has bits set";
		}
	}
	note("takeback-race pass %u: %u subpages written, %u by the kernel, %u by requests\n",
	     r->pass, written, kernel, requested);
	if (kernel + requested != written)
		return "kernel programs + request subpages != subpages written: a program lost or counted twice";
	return NULL;
}

/* One pass: the writers against the grants, then the verdict. */
static const char *race_pass(struct race *r, unsigned int *seed,
			     unsigned int *rounds, unsigned int *proved)
{
	struct race_writer w[RACE_WRITERS];
	pthread_t threads[RACE_WRITERS];
	unsigned int kernel0 = race_kernel(r->s);
	unsigned int subs0 = race_requests(r->s, true);
	const char *err = NULL;
	unsigned int i;
	bool round_proved = false;

	atomic_store(&r->done, 0);
	for (i = 0; i < RACE_WRITERS; i++) {
		w[i] = (struct race_writer){ r, i };
		pthread_create(&threads[i], NULL, race_write, &w[i]);
	}
	while (!err && !race_over(r)) {
		err = race_round(r, seed, &round_proved);
		(*rounds)++;
		*proved += round_proved;
	}
	for (i = 0; i < RACE_WRITERS; i++)
		pthread_join(threads[i], NULL);
	if (err)
		return err;
	if (atomic_load(&r->failed))
		return "a writer's write failed";
	return race_verify(r, kernel0, subs0);
}

static const char *case_takeback_race(struct server *s, int mtd)
{
	struct race r = { .s = s, .mtd = mtd };
	unsigned int rounds = 0, proved = 0, seed = 22, b;
	const char *err = setup(s, 0);

	for (r.pass = 0; !err && r.pass < RACE_PASSES; r.pass++) {
		err = race_pass(&r, &seed, &rounds, &proved);
		/* Erased by a request: the server clears the bitmaps. */
		if (!err && erase_blocks(mtd, RACE_FIRST, RACE_BLOCKS))
			err = "erase of the race's blocks";
		for (b = RACE_FIRST; !err && b < RACE_FIRST + RACE_BLOCKS; b++)
			if (popcount_block(s, b))
				err = "bits left after the server's erase";
	}
	note("takeback-race: %u passes, %u rounds, %u with kernel programs and then requests\n",
	     r.pass, rounds, proved);
	if (!err && proved < RACE_PASSES)
		return "fewer rounds than passes saw kernel programs and then requests: the case proved too little";
	return err;
}

/* --- erase ---------------------------------------------------------- */

static const char *case_erase_clears(struct server *s, int mtd)
{
	const char *err = setup(s, 0);
	static uint8_t page[PAGE];
	uint8_t block2[MAP_SIZE];

	err = err ?: grant(s, 1, 2, MUSE_PROGRAM_BUDGET_UNLIMITED);
	err = err ?: erase_grant(s, 1, 1, MUSE_ERASE_BUDGET_UNLIMITED);
	err = err ?: pages_then_requests(s, mtd, 1, 0, 4, 4);
	err = err ?: pages_then_requests(s, mtd, 2, 0, 1, 1);
	if (err)
		return err;
	if (!bits_exactly(s, 1, 0, 4 * SUBS_PER_PAGE))
		return "block 1's bits are not its four pages";
	memcpy(block2, bitmap(s, 2), MAP_SIZE);
	if (erase_blocks(mtd, 1, 1))
		return "erase of block 1";
	if (atomic_load(&s->erases[1]) || ecount(s, 1) != 1)
		return "the erase of block 1 was not the kernel's";
	if (popcount_block(s, 1))
		return "a kernel erase left bits in its block's bitmap";
	if (memcmp(block2, bitmap(s, 2), MAP_SIZE))
		return "a kernel erase changed another block's bitmap";
	if (kernel_subs(s, 1) != 4 * SUBS_PER_PAGE)
		return "a kernel erase changed its block's program count";
	/* Erased: the kernel's to program again, from its first page. */
	err = pages_then_requests(s, mtd, 1, 0, 1, 1);
	if (err)
		return err;
	if (!bits_exactly(s, 1, 0, SUBS_PER_PAGE) ||
	    !mtd_holds(mtd, BLOCK, PAGE, 30) ||
	    pread(mtd, page, PAGE, BLOCK + PAGE) != PAGE || !all_ff(page, PAGE))
		return "block 1 programmed again is not its one page";
	return NULL;
}

/*
 * erase-race: writers program pages of a block again and again while
 * another thread kernel-erases it.  The server refuses the block's WRITE
 * requests (EIO, nothing stored), so a write that succeeds is a kernel
 * program and the file holds nothing else.
 */
#define ERACE_BLOCK	2u
#define ERACE_WRITERS	2u
#define ERACE_PAGES	8u
#define ERACE_ERASES	2000u

struct erase_race {
	int mtd;
	pthread_rwlock_t pause;		/* each write holds it shared */
	atomic_bool stop;
	atomic_uint programs;		/* writes that succeeded */
	atomic_uint erases;		/* erases that succeeded */
	atomic_uint erase_failed;
};

struct erace_writer {
	struct erase_race *r;
	unsigned int seed;
};

static void *erace_write(void *arg)
{
	struct erace_writer *w = arg;
	struct erase_race *r = w->r;
	unsigned int page;

	while (!atomic_load(&r->stop)) {
		/* A few pages: each erase finds them programmed. */
		page = rand_r(&w->seed) % ERACE_PAGES;
		pthread_rwlock_rdlock(&r->pause);
		if (!write_pattern(r->mtd, ERACE_BLOCK * BLOCK + page * PAGE,
				   PAGE, 50 + page))
			atomic_fetch_add(&r->programs, 1);
		pthread_rwlock_unlock(&r->pause);
	}
	return NULL;
}

/*
 * Each subpage of the block: its bit set and its data programmed whole,
 * or its bit clear and its data erased, never a mix (a program and an
 * erase interleaved).
 */
static const char *erace_consistent(struct server *s)
{
	static uint8_t want[PAGE];
	static char why[160];
	unsigned int i, k;

	for (i = 0; i < SUBS_PER_BLOCK; i++) {
		const uint8_t *data = s->mem + ERACE_BLOCK * BLOCK +
				      (uint64_t)i * SUBPAGE;
		bool bit = bitmap(s, ERACE_BLOCK)[i / 8] & (1u << (i % 8));
		unsigned int right = 0, zero = 0;

		pattern(want, PAGE, 50 + i / SUBS_PER_PAGE);
		invert(want, PAGE);
		for (k = 0; k < SUBPAGE; k++) {
			right += data[k] == want[i % SUBS_PER_PAGE * SUBPAGE + k];
			zero += !data[k];
		}
		if (bit ? right == SUBPAGE : zero == SUBPAGE)
			continue;
		snprintf(why, sizeof(why),
			 "subpage %u: bit %s, %u of its bytes programmed, %u erased",
			 i, bit ? "set" : "clear", right, zero);
		return why;
	}
	return NULL;
}

static const char *case_erase_race(struct server *s, int mtd)
{
	struct erase_race r = { .mtd = mtd };
	struct erace_writer w[ERACE_WRITERS];
	pthread_rwlockattr_t attr;
	const char *bad = NULL;
	pthread_t threads[ERACE_WRITERS];
	const char *err = setup(s, 0);
	unsigned int i, subs0;

	err = err ?: grant(s, ERACE_BLOCK, 1, MUSE_PROGRAM_BUDGET_UNLIMITED);
	err = err ?: erase_grant(s, ERACE_BLOCK, 1,
				 MUSE_ERASE_BUDGET_UNLIMITED);
	if (err)
		return err;
	atomic_store(&s->refuse_block, ERACE_BLOCK);
	/* Writer-preferring: the writers must not starve the pause. */
	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr,
				      PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&r.pause, &attr);
	pthread_rwlockattr_destroy(&attr);
	subs0 = kernel_subs(s, ERACE_BLOCK);
	for (i = 0; i < ERACE_WRITERS; i++) {
		w[i] = (struct erace_writer){ &r, 7 + i };
		pthread_create(&threads[i], NULL, erace_write, &w[i]);
	}
	for (i = 0; i < ERACE_ERASES && !bad; i++) {
		unsigned int programs = atomic_load(&r.programs), k;

		if (erase_blocks(mtd, ERACE_BLOCK, 1))
			atomic_fetch_add(&r.erase_failed, 1);
		else
			atomic_fetch_add(&r.erases, 1);
		/* Programs between the erases (a bounded wait for one). */
		for (k = 0; k < 1000 && atomic_load(&r.programs) == programs;
		     k++)
			sched_yield();
		/*
		 * The writers paused: a program that slipped between the
		 * erase's bitmap clear and its punch shows until the next.
		 */
		pthread_rwlock_wrlock(&r.pause);
		bad = erace_consistent(s);
		pthread_rwlock_unlock(&r.pause);
	}
	atomic_store(&r.stop, true);
	for (i = 0; i < ERACE_WRITERS; i++)
		pthread_join(threads[i], NULL);
	pthread_rwlock_destroy(&r.pause);
	if (bad) {
		note("erase-race: after erase %u: %s\n", i, bad);
		return "a subpage's bit and data disagree after an erase racing programs";
	}
	note("erase-race: %u kernel programs (%u subpages counted), %u erases (%u counted, %u requests), %u failed\n",
	     atomic_load(&r.programs),
	     kernel_subs(s, ERACE_BLOCK) - subs0, atomic_load(&r.erases),
	     ecount(s, ERACE_BLOCK), atomic_load(&s->erases[ERACE_BLOCK]),
	     atomic_load(&r.erase_failed));
	if (atomic_load(&r.erase_failed) ||
	    atomic_load(&s->erases[ERACE_BLOCK]) ||
	    ecount(s, ERACE_BLOCK) != ERACE_ERASES)
		return "not every erase was the kernel's";
	if (kernel_subs(s, ERACE_BLOCK) - subs0 !=
	    atomic_load(&r.programs) * SUBS_PER_PAGE)
		return "the count is not the subpages of the writes that succeeded (each the kernel's)";
	if (atomic_load(&r.programs) < ERACE_ERASES / 2)
		return "too few kernel programs between the erases: the case proved little";
	return erace_consistent(s);
}

/* Without program state the kernel leaves where a bitmap would be. */
static const char *case_erase_clears_control(struct server *s, int mtd)
{
	const char *err = erase_setup(s);
	unsigned int i;

	err = err ?: erase_grant(s, 1, 1, MUSE_ERASE_BUDGET_UNLIMITED);
	if (err)
		return err;
	memset(bitmap(s, 1), 0xff, MAP_SIZE);
	if (erase_blocks(mtd, 1, 1) || atomic_load(&s->erases[1]) ||
	    ecount(s, 1) != 1)
		return "the erase of block 1 was not the kernel's";
	for (i = 0; i < MAP_SIZE; i++)
		if (bitmap(s, 1)[i] != 0xff)
			return "a kernel erase without program state changed the file where a bitmap would be";
	return NULL;
}

/* --- store-full ------------------------------------------------------ */

#define FULL_BLOCK	3u
#define FULL_LEN	(4 * PAGE)	/* two pages of the store's memory */

/* The free pages of the store's file system (tmpfs counts in pages). */
static long store_free_pages(struct server *s)
{
	struct statfs sfs;

	return fstatfs(s->store, &sfs) ? -1 : (long)sfs.f_bfree;
}

/* Whether the store's memory page at @pos is allocated (not a hole). */
static bool store_allocated(struct server *s, off_t pos)
{
	return lseek(s->store, pos, SEEK_DATA) == pos;
}

/*
 * Whether the store reads erased (zero: inverted) at [@pos, @pos + @len),
 * read with pread: a fault on the shared mapping would allocate.
 */
static bool store_erased(struct server *s, off_t pos, size_t len)
{
	static uint8_t got[FULL_LEN];

	return len <= sizeof(got) &&
	       pread(s->store, got, len, pos) == (ssize_t)len &&
	       got[0] == 0 && !memcmp(got, got + 1, len - 1);
}

/*
 * Fill the store's file system but one page with a file beside it, after
 * allocating the bitmaps and counts (the kernel's claim would allocate
 * them).  Returns NULL or why.
 */
static const char *fill_but_one_page(struct server *s)
{
	const off_t pg = sysconf(_SC_PAGESIZE);
	static const uint8_t zeros[65536];
	char path[sizeof(s->dir) + 16];
	off_t size = 0, pos;
	ssize_t n;
	int fd;

	for (pos = MAP_OFF; pos < (off_t)STORE_SIZE; pos += pg)
		__atomic_fetch_or(s->mem + pos, 0, __ATOMIC_SEQ_CST);
	__atomic_fetch_or(s->mem + STORE_SIZE - 1, 0, __ATOMIC_SEQ_CST);
	snprintf(path, sizeof(path), "%s/filler", s->dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return "the filler file";
	while ((n = pwrite(fd, zeros, sizeof(zeros), size)) > 0)
		size += n;
	if (n == 0 || errno != ENOSPC || size < pg || ftruncate(fd, size - pg)) {
		close(fd);
		return "filling the store's file system";
	}
	close(fd);
	if (store_free_pages(s) != 1)
		return "the store's file system does not have exactly one page free";
	return NULL;
}

/*
 * A write of two pages of memory into block FULL_BLOCK while the store's
 * file system has room for one, the server refusing the request it
 * becomes (its own store full too): EIO, and nothing of it left in the
 * bitmap or the count.  With @granted the kernel stored the first page
 * before the second failed, and wrote it erased again: the page is
 * allocated and reads erased.  Without (the control) it stays a hole.
 * With room again, the same write is the kernel's (granted) or a request
 * and reads back.
 */
static const char *store_full_run(struct server *s, int mtd, bool granted)
{
	const off_t pg = sysconf(_SC_PAGESIZE);
	const off_t pos = (off_t)FULL_BLOCK * BLOCK;
	const char *err = setup(s, 0);
	char path[sizeof(s->dir) + 16];
	static uint8_t buf[FULL_LEN];
	struct expect_write w;

	err = err ?: granted ? grant(s, 0, BLOCKS, MUSE_PROGRAM_BUDGET_UNLIMITED) :
		      NULL;
	err = err ?: fill_but_one_page(s);
	if (err)
		return err;
	if (store_allocated(s, pos) || store_allocated(s, pos + pg))
		return "block 3's first pages are allocated before the write";
	atomic_store(&s->refuse_block, (int)FULL_BLOCK);
	pattern(buf, FULL_LEN, 1);
	if (pwrite(mtd, buf, FULL_LEN, pos) != -1 || errno != EIO)
		return "the write with the store full did not fail with EIO";
	note("store-full: %u request(s) refused, %u bit(s), %u kernel subpage(s), first page %s, %ld page(s) free\n",
	     atomic_load(&s->refused),
	     popcount_block(s, FULL_BLOCK), kernel_subs(s, FULL_BLOCK),
	     store_allocated(s, pos) ? "allocated" : "a hole",
	     store_free_pages(s));
	if (atomic_load(&s->refused) != 1)
		return "the failed write was not handed to the server once";
	if (popcount_block(s, FULL_BLOCK) || kernel_subs(s, FULL_BLOCK))
		return "the failed write left bits or a count behind";
	if (store_allocated(s, pos + pg))
		return "the second page, beyond the file system's room, is allocated";
	if (granted && !store_allocated(s, pos))
		return "the kernel did not store the first page: no partial program was rolled back";
	if (!granted && store_allocated(s, pos))
		return "the first page is allocated with nothing granted";
	if (!store_erased(s, pos, FULL_LEN))
		return "the failed write left data in the store";

	snprintf(path, sizeof(path), "%s/filler", s->dir);
	if (unlink(path))
		return "unlink of the filler";
	atomic_store(&s->refuse_block, -1);
	w = (struct expect_write){ "the same write with room again", pos,
				   FULL_LEN, granted };
	err = expect_pwrite(s, mtd, &w, 2);
	if (err)
		return err;
	if (!mtd_holds(mtd, pos, FULL_LEN, 2))
		return "the write with room again does not read back";
	return NULL;
}

static const char *case_store_full(struct server *s, int mtd)
{
	return store_full_run(s, mtd, true);
}

static const char *case_store_full_control(struct server *s, int mtd)
{
	return store_full_run(s, mtd, false);
}

/* --- death-mid-program ------------------------------------------------ */

#define DEATH_BLOCK	2u
#define DEATH_WAIT_MS	2000

/*
 * A write of the store from a page that is not there yet (userfaultfd):
 * tmpfs faults the page in with the file's inode lock held, and the
 * fault waits until stall_release().  So the store's lock is held by
 * I/O foreign to the module, as a stalled file system would hold it.
 */
struct store_stall {
	int uffd;
	uint8_t *page;
	size_t len;
	int fd;
	off_t pos;
	pthread_t thread;
	bool started;
};

static void *store_stall_write(void *arg)
{
	struct store_stall *st = arg;

	if (pwrite(st->fd, st->page, st->len, st->pos) != (ssize_t)st->len)
		note("the stalled write of the store failed: %s\n",
		     strerror(errno));
	return NULL;
}

/* Returns NULL or why; NULL with skip_reason set without userfaultfd. */
static const char *stall_store(struct store_stall *st, int fd, off_t pos)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg;
	struct uffd_msg msg;
	struct pollfd pfd;

	memset(st, 0, sizeof(*st));
	st->len = (size_t)sysconf(_SC_PAGESIZE);
	st->fd = fd;
	st->pos = pos;
	st->uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC);
	if (st->uffd < 0) {
		skip_reason = "no userfaultfd (CONFIG_USERFAULTFD)";
		return NULL;
	}
	if (ioctl(st->uffd, UFFDIO_API, &api))
		return "UFFDIO_API";
	st->page = mmap(NULL, st->len, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (st->page == MAP_FAILED) {
		st->page = NULL;
		return "mmap of the stalled page";
	}
	reg.range.start = (uintptr_t)st->page;
	reg.range.len = st->len;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	if (ioctl(st->uffd, UFFDIO_REGISTER, &reg))
		return "UFFDIO_REGISTER";
	if (pthread_create(&st->thread, NULL, store_stall_write, st))
		return "pthread_create";
	st->started = true;
	pfd.fd = st->uffd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, DEATH_WAIT_MS) != 1 ||
	    read(st->uffd, &msg, sizeof(msg)) != sizeof(msg) ||
	    msg.event != UFFD_EVENT_PAGEFAULT)
		return "the write of the store never faulted";
	return NULL;
}

/* Let the stalled write finish (with zeros) and free what it held. */
static void stall_release(struct store_stall *st)
{
	struct uffdio_zeropage zp = {
		.range = { (uintptr_t)st->page, st->len },
	};

	if (st->started) {
		ioctl(st->uffd, UFFDIO_ZEROPAGE, &zp);
		pthread_join(st->thread, NULL);
	}
	if (st->page)
		munmap(st->page, st->len);
	if (st->uffd >= 0)
		close(st->uffd);
}

/* One MTD write in a thread of its own. */
struct mtd_write {
	int mtd;
	off_t pos;
	uint8_t buf[PAGE];
	pthread_t thread;
	atomic_int tid;
	atomic_bool done;
	ssize_t ret;
	int err;
};

static void *mtd_write_run(void *arg)
{
	struct mtd_write *w = arg;

	atomic_store(&w->tid, (int)syscall(SYS_gettid));
	w->ret = pwrite(w->mtd, w->buf, sizeof(w->buf), w->pos);
	w->err = w->ret < 0 ? errno : 0;
	atomic_store(&w->done, true);
	return NULL;
}

/* Whether @flag is set within @ms milliseconds. */
static bool set_within(atomic_bool *flag, unsigned int ms)
{
	unsigned int i;

	for (i = 0; i < ms && !atomic_load(flag); i++)
		usleep(1000);
	return atomic_load(flag);
}

static void *srv_die_run(void *arg)
{
	srv_die(arg);
	return NULL;
}

/*
 * The server dies while a kernel program of a granted page is held on
 * the store's inode lock by foreign I/O.  The death (its /dev/muse
 * closed) must not wait for it.  Once the lock is free the program
 * finishes one way or the other, never half: the write succeeds with
 * the data, its bits and its count in the store (a restarted server
 * takes it up), or fails leaving none of them.  The control, a write
 * held as a request at the death, is the vm suite's server-death.
 */
static const char *case_death_mid_program(struct server *s, int mtd)
{
	const off_t pos = (off_t)DEATH_BLOCK * BLOCK;
	const char *err = setup(s, 0);
	struct store_stall st = { .uffd = -1 };
	static struct mtd_write w;
	pthread_t death;
	unsigned int writes, i;
	bool prompt;

	err = err ?: grant(s, 0, BLOCKS, MUSE_PROGRAM_BUDGET_UNLIMITED);
	/* The stalled write puts zeros (erased) in block 0's OOB. */
	err = err ?: stall_store(&st, s->store, OOB_OFF);
	if (err || skip_reason) {
		stall_release(&st);
		return err;
	}
	memset(&w, 0, sizeof(w));
	w.mtd = mtd;
	w.pos = pos;
	pattern(w.buf, PAGE, 7);
	writes = atomic_load(&s->writes[DEATH_BLOCK]);
	if (pthread_create(&w.thread, NULL, mtd_write_run, &w)) {
		stall_release(&st);
		return "pthread_create";
	}
	for (i = 0; i < DEATH_WAIT_MS &&
	     !(atomic_load(&w.tid) && task_state(atomic_load(&w.tid)) == 'D');
	     i++)
		usleep(1000);
	if (atomic_load(&w.done) || task_state(atomic_load(&w.tid)) != 'D' ||
	    atomic_load(&s->writes[DEATH_BLOCK]) != writes) {
		stall_release(&st);
		pthread_join(w.thread, NULL);
		return "the write was not held in the kernel program (state D, no request)";
	}

	if (pthread_create(&death, NULL, srv_die_run, s)) {
		stall_release(&st);
		pthread_join(w.thread, NULL);
		return "pthread_create";
	}
	prompt = set_within(&s->dead, DEATH_WAIT_MS);
	note("death-mid-program: the server's death %s; the write %s\n",
	     prompt ? "returned" : "did not return in 2 s",
	     atomic_load(&w.done) ? "returned" : "still held");
	stall_release(&st);
	pthread_join(death, NULL);
	pthread_join(w.thread, NULL);
	if (!prompt)
		return "the server's death waited for the kernel program held on its store";

	note("death-mid-program: the write %s; %u bit(s), count %u, data %s\n",
	     w.ret == PAGE ? "succeeded" : strerror(w.err),
	     popcount_block(s, DEATH_BLOCK), kernel_subs(s, DEATH_BLOCK),
	     file_holds(s, pos, PAGE, 7) ? "programmed" :
	     store_erased(s, pos, PAGE) ? "erased" : "neither");
	if (atomic_load(&s->writes[DEATH_BLOCK]) != writes)
		return "the held write reached the dead server as a request";
	if (w.ret == PAGE)
		return file_holds(s, pos, PAGE, 7) &&
		       bits_exactly(s, DEATH_BLOCK, 0, SUBS_PER_PAGE) &&
		       kernel_subs(s, DEATH_BLOCK) == SUBS_PER_PAGE ? NULL :
		       "the write succeeded, but its data, bits or count are not all in the store";
	return !popcount_block(s, DEATH_BLOCK) &&
	       !kernel_subs(s, DEATH_BLOCK) && store_erased(s, pos, PAGE) ?
	       NULL : "the write failed, but left data, bits or a count behind";
}

/*
 * Run @run on a fresh server (all three extensions) with its MTD open
 * read-write; returns why it failed, NULL if it passed (or skipped).
 */
static const char *run_served(const char *(*run)(struct server *s, int mtd))
{
	struct server s;
	const char *why = srv_start(&s, ALL_THREE);
	int mtd = -1;

	if (why)
		return why;
	mtd = procmtd_open(NAME, O_RDWR);
	why = mtd < 0 ? "the MTD did not appear" : run(&s, mtd);
	if (mtd >= 0)
		close(mtd);
	srv_stop(&s);
	return why;
}

/*
 * Run @run as run_served() does, the store a file on a tmpfs of its own
 * (mounted on a temporary directory, its size the store's and 64 KiB).
 */
static const char *run_on_own_tmpfs(const char *(*run)(struct server *s,
							 int mtd))
{
	char opts[64], path[sizeof(((struct server *)0)->dir) + 16];
	struct server s;
	const char *why;
	int mtd = -1;

	memset(&s, 0, sizeof(s));
	strcpy(s.dir, "/tmp/progtest-tmpfs.XXXXXX");
	if (!mkdtemp(s.dir))
		return "mkdtemp";
	snprintf(opts, sizeof(opts), "size=%llu,mode=0700",
		 (unsigned long long)STORE_SIZE + 65536);
	if (mount("tmpfs", s.dir, "tmpfs", 0, opts)) {
		rmdir(s.dir);
		return "mount of a tmpfs (CAP_SYS_ADMIN?)";
	}
	snprintf(path, sizeof(path), "%s/store", s.dir);
	why = srv_start_on(&s, ALL_THREE,
			   open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC,
				0600));
	if (!why) {
		mtd = procmtd_open(NAME, O_RDWR);
		why = mtd < 0 ? "the MTD did not appear" : run(&s, mtd);
		if (mtd >= 0)
			close(mtd);
		srv_stop(&s);
	}
	if (umount(s.dir) && !why)
		why = "umount of the store's tmpfs";
	rmdir(s.dir);
	return why;
}

#define SERVED(fn) \
	static const char *fn##_served(void) { return run_served(fn); }
#define ON_OWN_TMPFS(fn) \
	static const char *fn##_served(void) { return run_on_own_tmpfs(fn); }
SERVED(case_ioctls)
SERVED(case_not_tmpfs)
SERVED(case_program)
SERVED(case_program_control)
SERVED(case_rules_none)
SERVED(case_in_order)
SERVED(case_whole_pages)
SERVED(case_in_order_whole_pages)
SERVED(case_block_budget)
SERVED(case_device_budget)
SERVED(case_sealed_later)
SERVED(case_bad_block)
SERVED(case_ended)
SERVED(case_ended_budget)
SERVED(case_takeback_race)
SERVED(case_erase_clears)
SERVED(case_erase_clears_control)
SERVED(case_erase_race)
SERVED(case_death_mid_program)
ON_OWN_TMPFS(case_store_full)
ON_OWN_TMPFS(case_store_full_control)

static const struct peer_case cases[] = {
	{ "ioctls", case_ioctls_served },
	{ "not-tmpfs", case_not_tmpfs_served },
	{ "program", case_program_served },
	{ "program-control", case_program_control_served },
	{ "rules-none", case_rules_none_served },
	{ "in-order", case_in_order_served },
	{ "whole-pages", case_whole_pages_served },
	{ "in-order-whole-pages", case_in_order_whole_pages_served },
	{ "block-budget", case_block_budget_served },
	{ "device-budget", case_device_budget_served },
	{ "sealed-later", case_sealed_later_served },
	{ "bad-block", case_bad_block_served },
	{ "ended", case_ended_served },
	{ "ended-budget", case_ended_budget_served },
	{ "takeback-race", case_takeback_race_served },
	{ "erase-clears", case_erase_clears_served },
	{ "erase-clears-control", case_erase_clears_control_served },
	{ "erase-race", case_erase_race_served },
	{ "death-mid-program", case_death_mid_program_served },
	{ "store-full", case_store_full_served },
	{ "store-full-control", case_store_full_control_served },
};

const struct peer_target target_program = PEER_TARGET("program",
	"kernel program and the kernel budget, a libmuse server with\n"
	"               its data and program state in a memfd\n"
	"               (tests/vm's kernel-program-peer)",
	cases);
