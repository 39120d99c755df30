/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR BSD-2-Clause */
/*
 * MUSE: MTD in userspace -- the wire protocol between the kernel module
 * (/dev/muse) and a userspace server such as libmuse.
 *
 * Every message is framed like FUSE: a request starts with struct
 * fuse_in_header, a reply with struct fuse_out_header (both from the
 * system's <linux/fuse.h>).  This header only adds MUSE's opcodes and
 * bodies.  doc/protocol.md is the complete specification.
 *
 * Compatibility: the "compat" layouts below are byte-for-byte those of the
 * original MUSE v2 patch series (opcodes 8192..8198).  Everything else is
 * an extension that both sides must agree on at MUSE_INIT: a kernel that
 * offers extensions sends the longer struct muse_init_in, and a server that
 * accepts some of them answers with the longer struct muse_init_out.  A peer
 * that speaks only v2 never sees an extended struct.
 *
 * All fields are little-endian host order, unsigned, naturally aligned and
 * free of implicit padding, so the header compiles identically in the
 * kernel and in userspace and for 32- and 64-bit userspace.
 */
#ifndef _LINUX_MUSE_KERNEL_H
#define _LINUX_MUSE_KERNEL_H

#include <linux/errno.h>
#include <linux/ioctl.h>
#include <linux/types.h>

/* FUSE kernel ABI major version carried in MUSE_INIT. */
#define MUSE_FUSE_KERNEL_VERSION	7
/* The lowest FUSE minor version a v2 kernel accepts in the INIT reply. */
#define MUSE_FUSE_MIN_MINOR		33

/* Upper bound of the NUL-separated KEY=VALUE info block after init_out. */
#define MUSE_INIT_INFO_MAX		4096

/* Opcodes: MUSE v2 numbering, above FUSE's and CUSE's (CUSE_INIT 4096). */
enum muse_opcode {
	MUSE_INIT	= 8192,
	MUSE_ERASE	= 8193,
	MUSE_READ	= 8194,
	MUSE_WRITE	= 8195,
	MUSE_MARKBAD	= 8196,
	MUSE_ISBAD	= 8197,
	MUSE_SYNC	= 8198,
	MUSE_REGISTERED	= 8199,	/* extended: MUSE_EXT_REGISTERED */
};

/*
 * Extension flags, offered by the kernel in muse_init_in.flags and
 * accepted (a subset) by the server in muse_init_out.flags.
 *
 * MUSE_EXT_OOB:	READ/WRITE carry OOB (muse_*_in.ooboffs/ooblen) in
 *			the modes of MUSE_IO_OOB_PLACE/_AUTO/_RAW, and a
 *			single request may move in-band data and OOB
 *			together (data first, then OOB).
 * MUSE_EXT_LARGE_IO:	a READ/WRITE may span several pages, up to the
 *			negotiated max_read/max_write bytes.  Without it every
 *			READ/WRITE stays inside one page, as in v2.
 * MUSE_EXT_ECC_STATS:	read replies carry bit-flip statistics
 *			(muse_read_out.max_bitflips/corrected/failed).
 * MUSE_EXT_PASSTHROUGH: the server may register a backing file holding the
 *			in-band data and mark eraseblocks whose plain reads
 *			the kernel then serves from that file without a
 *			request (the MUSE_IOC_* ioctls below; doc/protocol.md
 *			section 7).  A server accepts it only if it will use
 *			it.
 * MUSE_EXT_KERNEL_ERASE: with MUSE_EXT_PASSTHROUGH, the server may grant
 *			eraseblocks that the kernel then erases itself,
 *			punching holes into the backing file and counting
 *			the erase in it, without a request
 *			(MUSE_IOC_ERASE_*; doc/protocol.md section 8).  A
 *			kernel refuses it without MUSE_EXT_PASSTHROUGH.
 * MUSE_EXT_KERNEL_PROGRAM: with MUSE_EXT_KERNEL_ERASE, the server may
 *			grant eraseblocks whose plain whole-subpage writes
 *			the kernel then programs into the backing file
 *			itself, recording them in per-block state inside the
 *			file, without a request (MUSE_IOC_PROGRAM_*;
 *			doc/protocol.md section 11).  A kernel refuses it
 *			without MUSE_EXT_KERNEL_ERASE.
 * MUSE_EXT_REGISTERED:	once the MTD core has registered the device, or
 *			failed to, the kernel sends one MUSE_REGISTERED
 *			request saying which /dev/mtdN (and partitions) it
 *			became, or why it failed; the reply only acknowledges
 *			it (doc/protocol.md section 10).
 *
 * Any accepted flag switches the connection to the extended READ/WRITE
 * layouts (the *_ext sizes below); an extended init_out with flags == 0
 * keeps the compat layouts.
 */
#define MUSE_EXT_OOB		(1U << 0)
#define MUSE_EXT_LARGE_IO	(1U << 1)
#define MUSE_EXT_ECC_STATS	(1U << 2)
#define MUSE_EXT_PASSTHROUGH	(1U << 3)
#define MUSE_EXT_KERNEL_ERASE	(1U << 4)
#define MUSE_EXT_REGISTERED	(1U << 5)
#define MUSE_EXT_KERNEL_PROGRAM	(1U << 6)
#define MUSE_EXT_ALL		(MUSE_EXT_OOB | MUSE_EXT_LARGE_IO | \
				 MUSE_EXT_ECC_STATS | MUSE_EXT_PASSTHROUGH | \
				 MUSE_EXT_KERNEL_ERASE | MUSE_EXT_REGISTERED | \
				 MUSE_EXT_KERNEL_PROGRAM)

/*
 * muse_read_in.flags / muse_write_in.flags.  v2 always sends 0, which
 * means in-band data through ECC.  The bit values are those of MUSE v3;
 * bit 0 (v3's "in-band") is not used: len says whether data moves.
 * At most one of the three mode bits may be set; none means
 * MUSE_IO_OOB_PLACE.
 */
#define MUSE_IO_OOB_AUTO	(1U << 1)	/* MTD_OPS_AUTO_OOB */
#define MUSE_IO_OOB_PLACE	(1U << 2)	/* MTD_OPS_PLACE_OOB */
#define MUSE_IO_RAW		(1U << 3)	/* MTD_OPS_RAW */
#define MUSE_IO_MODE_MASK	(MUSE_IO_OOB_AUTO | MUSE_IO_OOB_PLACE | \
				 MUSE_IO_RAW)

/*
 * MUSE_INIT request body.  A v2 kernel sends only the first two fields
 * (MUSE_COMPAT_INIT_IN_SIZE bytes); an extended kernel sends all of them.
 */
struct muse_init_in {
	__u32	fuse_major;	/* MUSE_FUSE_KERNEL_VERSION */
	__u32	fuse_minor;	/* the kernel's FUSE minor version */
	/* extended kernels only: */
	__u32	flags;		/* MUSE_EXT_* the kernel offers */
	__u32	max_io;		/* largest READ/WRITE payload it can carry */
	__u32	reserved[2];	/* 0 */
};
#define MUSE_COMPAT_INIT_IN_SIZE	8

/*
 * MUSE_INIT reply body, followed by the info block (at most
 * MUSE_INIT_INFO_MAX bytes of NUL-separated KEY=VALUE strings).  A server
 * answers a v2 kernel with the first four fields only
 * (MUSE_COMPAT_INIT_OUT_SIZE bytes), an extended kernel with all of them.
 */
struct muse_init_out {
	__u32	fuse_major;	/* MUSE_FUSE_KERNEL_VERSION */
	__u32	fuse_minor;	/* >= MUSE_FUSE_MIN_MINOR */
	__u32	max_read;	/* largest READ payload the server accepts */
	__u32	max_write;	/* largest WRITE payload the server accepts */
	/* replies to extended kernels only: */
	__u32	flags;		/* MUSE_EXT_* accepted, subset of offered */
	__u32	reserved[3];	/* 0 */
};
#define MUSE_COMPAT_INIT_OUT_SIZE	16

/* MUSE_ERASE request body; the reply has no body. */
struct muse_erase_in {
	__u64	addr;
	__u64	len;
};

/*
 * MUSE_READ request body.  The compat layout ends after flags/padding
 * (MUSE_COMPAT_READ_IN_SIZE); with extensions ooboffs/ooblen follow.
 */
struct muse_read_in {
	__u64	addr;		/* v2: dataaddr */
	__u64	len;		/* v2: datalen; in-band bytes to read */
	__u32	flags;		/* MUSE_IO_* */
	__u32	padding;
	/* extended connections only: */
	__u32	ooboffs;	/* offset into the first page's OOB area */
	__u32	ooblen;		/* OOB bytes to read */
};
#define MUSE_COMPAT_READ_IN_SIZE	24

/*
 * MUSE_READ reply body, followed by datalen bytes of data and (extended)
 * ooblen bytes of OOB.  soft_error is 0 or a negative errno stored in a
 * u32: -EUCLEAN (corrected bit flips) and -EBADMSG (uncorrectable) still
 * come with the full data; any other value fails the read.
 */
struct muse_read_out {
	__u64	datalen;
	__u32	soft_error;
	__u32	padding;
	/* extended connections only: */
	__u32	ooblen;		/* OOB bytes that follow the data */
	__u32	max_bitflips;	/* most bits corrected in one ECC step */
	__u32	corrected;	/* bits corrected in this read */
	__u32	failed;		/* ECC steps that could not be corrected */
};
#define MUSE_COMPAT_READ_OUT_SIZE	16

/*
 * MUSE_WRITE request body, followed by len bytes of data and (extended)
 * ooblen bytes of OOB.
 */
struct muse_write_in {
	__u64	addr;		/* v2: dataaddr */
	__u64	len;		/* v2: datalen */
	__u32	flags;		/* MUSE_IO_* */
	__u32	padding;
	/* extended connections only: */
	__u32	ooboffs;
	__u32	ooblen;
};
#define MUSE_COMPAT_WRITE_IN_SIZE	24

/* MUSE_WRITE reply body. */
struct muse_write_out {
	__u64	datalen;	/* in-band bytes written */
	__u32	soft_error;	/* 0 or a negative errno: fails the write */
	__u32	padding;
	/* extended connections only: */
	__u32	ooblen;		/* OOB bytes written */
	__u32	padding2;
};
#define MUSE_COMPAT_WRITE_OUT_SIZE	16

/* MUSE_MARKBAD request body; the reply has no body. */
struct muse_markbad_in {
	__u64	addr;
};

/* MUSE_ISBAD request body. */
struct muse_isbad_in {
	__u64	addr;
};

/* MUSE_ISBAD reply body: result is 0 (good) or 1 (bad). */
struct muse_isbad_out {
	__u32	result;
	__u32	padding;
};

/* MUSE_SYNC has no body in either direction. */

/*
 * MUSE_REGISTERED request body (MUSE_EXT_REGISTERED), followed by
 * nr_parts struct muse_registered_part; the reply has no body and only
 * acknowledges it.  Sent once per connection, after the MTD core
 * registered the device (error 0) or failed to (error < 0: nothing is
 * registered, index -1, nr_parts 0, and the kernel ends the connection
 * once the server answered).
 */
struct muse_registered_in {
	__s32	error;		/* 0 or a negative errno */
	__u32	conn_id;	/* /sys/fs/muse/connections/<conn_id> */
	__s32	index;		/* the whole device's mtdN, or -1: not one */
	__u32	nr_parts;	/* 0..MUSE_PARTS_MAX, PARTSCMDLINE's order */
};

/* One registered partition of PARTSCMDLINE. */
struct muse_registered_part {
	__s32	index;		/* its mtdN */
	__u32	padding;	/* 0 */
	__u64	offset;		/* in the whole device, bytes */
	__u64	size;		/* bytes, as the MTD shows it */
	char	name[64];	/* MUSE_NAME_MAX bytes, NUL-padded */
};

/*
 * Keys of the INIT info block, values in decimal.  v2 keys are sent to
 * every kernel; the others only to extended kernels, because a v2 kernel
 * logs a warning for every key it does not know.
 */
#define MUSE_KEY_NAME		"NAME"		/* v2, required */
#define MUSE_KEY_TYPE		"TYPE"		/* v2, MTD_* type */
#define MUSE_KEY_FLAGS		"FLAGS"		/* v2, MTD_WRITEABLE... */
#define MUSE_KEY_SIZE		"SIZE"		/* v2, bytes */
#define MUSE_KEY_WRITESIZE	"WRITESIZE"	/* v2, page bytes */
#define MUSE_KEY_ERASESIZE	"ERASESIZE"	/* v2, block bytes */
#define MUSE_KEY_WRITEBUFSIZE	"WRITEBUFSIZE"
#define MUSE_KEY_OOBSIZE	"OOBSIZE"
#define MUSE_KEY_OOBAVAIL	"OOBAVAIL"
#define MUSE_KEY_SUBPAGESHIFT	"SUBPAGESHIFT"
#define MUSE_KEY_ECCSTRENGTH	"ECCSTRENGTH"	/* bits per ECC step */
#define MUSE_KEY_ECCSTEP	"ECCSTEP"	/* bytes per ECC step */
#define MUSE_KEY_BITFLIPTHRESHOLD "BITFLIPTHRESHOLD"
#define MUSE_KEY_PARTSCMDLINE	"PARTSCMDLINE"	/* mtdparts syntax */

/*
 * Read passthrough (MUSE_EXT_PASSTHROUGH accepted at INIT): ioctls on the
 * server's /dev/muse file, after muse_session_init() returned.  Every
 * MUSE_IOC_* fails with EOPNOTSUPP before the INIT write returned (or
 * after a refused INIT), and all but MUSE_IOC_PT_READS with EPERM when
 * their caller lacks CAP_SYS_ADMIN; every one with EFAULT when its
 * argument cannot be read (or PT_READS's arrays written), ENOTTY for an
 * unknown command.  After the connection died the server's store is
 * dropped: MUSE_IOC_BACKING fails with ENODEV (EBUSY once it was set),
 * every other one with ENXIO.
 *
 * MUSE_IOC_BACKING: register the file holding the in-band data, once per
 * connection.  Device byte a is at file offset data_offset + a, stored as
 * is, or with MUSE_BACKING_INVERTED as ~byte (so that a hole, which reads
 * as zeros, is erased flash).  The file must be a regular file or a memfd
 * opened for reading and at least data_offset + device size long.
 * Errors: EOPNOTSUPP (extension not accepted), EBUSY (already set), EBADF,
 * EACCES (not open for reading), EINVAL (not a regular file, unknown
 * flags, opened O_APPEND, hugetlbfs), ELOOP (on a stacked filesystem),
 * EXDEV (on a filesystem on an MTD), ERANGE (too short).
 *
 * MUSE_IOC_PASSTHROUGH: mark (enable = 1) or take back (enable = 0) count
 * eraseblocks from first_block.  The kernel serves a READ from the file,
 * with no request, when it moves in-band data only (no OOB, not RAW) and
 * every block it touches is marked.  Taking back is synchronous: when the
 * ioctl returns no passthrough read of those blocks is in flight and every
 * later read of them is a request.  A READ issued after the server
 * answered a WRITE or ERASE sees its effect if the server changed the file
 * before answering.  Errors: ENXIO (no backing file), EINVAL (range empty
 * or outside the device, enable not 0 or 1, padding not 0).
 *
 * MUSE_IOC_PT_READS: fetch and reset the passthrough read counts of count
 * blocks from first_block into the __u32 array at user address counts: a
 * read counts once per block per I/O unit it covers, as the requests the
 * server would have received; and, unless bytes is 0, the bytes read from
 * each block into the __u64 array at user address bytes.  Errors: ENXIO,
 * EINVAL, EFAULT.
 */
#define MUSE_BACKING_INVERTED	(1U << 0)

struct muse_backing {
	__s32	fd;
	__u32	flags;		/* MUSE_BACKING_* */
	__u64	data_offset;
};

struct muse_passthrough {
	__u64	first_block;
	__u64	count;
	__u32	enable;		/* 1: mark, 0: take back */
	__u32	padding;	/* 0 */
};

struct muse_pt_reads {
	__u64	first_block;
	__u64	count;
	__u64	counts;		/* user address of __u32[count] */
	__u64	bytes;		/* user address of __u64[count], or 0 */
};

/*
 * Kernel erase (MUSE_EXT_KERNEL_ERASE accepted at INIT, after
 * MUSE_IOC_BACKING): the kernel erases granted eraseblocks itself.
 *
 * MUSE_IOC_ERASE_BACKING: once per connection, say where the rest of an
 * eraseblock lives in the backing file, which must have been registered
 * MUSE_BACKING_INVERTED and opened for writing.  Page p's OOB (OOBSIZE
 * bytes, stored as ~byte) is at oob_offset + p * OOBSIZE (ignored when
 * OOBSIZE is 0).  Block b's erase count is the __u32 (host byte order) at
 * count_offset + b * count_stride; count_offset is a multiple of 4 and
 * count_stride a non-zero multiple of 4.  flags (MUSE_ERASE_*, this
 * field was "padding, 0" before 1.3: a module before 1.3 refuses any
 * flag with EINVAL, and a server asking for one retries without it):
 * MUSE_ERASE_KEEP_PAGES, on a tmpfs file (a memfd), erases by zeroing
 * the pages in memory in place instead of freeing them, so the next
 * program of the block finds its page allocated; a range the kernel
 * cannot zero (swapped out) is punched as without the flag, and on
 * other files every range is.  Errors: ENXIO (no backing file), EBUSY
 * (already set), EACCES (not open for writing), EINVAL (not inverted,
 * alignment, an unknown flag), ERANGE (a region past the end of the
 * file).
 *
 * MUSE_IOC_ERASE_GRANT: let the kernel erase count blocks from
 * first_block itself up to budget more times each
 * (MUSE_ERASE_UNLIMITED: no limit); budget 0 takes them back, and
 * synchronously: when it returns no kernel erase of them is in flight and
 * every later erase of them is a request.  A kernel erase of block b
 * punches holes over its data and OOB, then adds one to b's erase count
 * in the file (with MUSE_ERASE_KEEP_PAGES: zeroes the pages of them in
 * memory, punches the rest); the ERASE fails over to a request for the
 * blocks left if a punch fails.  The server applies the count (its own wear, program state)
 * and writes it back to 0 before it answers anything about b; it must not
 * reset a count while an erase of b may run (it is a read, add, write of
 * the file).  Errors: ENXIO (no MUSE_IOC_ERASE_BACKING), EINVAL (range,
 * padding).
 */
#define MUSE_ERASE_UNLIMITED	0xffffffffU
#define MUSE_ERASE_KEEP_PAGES	(1U << 0)
#define MUSE_ERASE_FLAGS	MUSE_ERASE_KEEP_PAGES	/* all known */

struct muse_erase_backing {
	__u64	oob_offset;
	__u64	count_offset;
	__u32	count_stride;
	__u32	flags;		/* MUSE_ERASE_*; was padding, 0 */
};

struct muse_erase_grant {
	__u64	first_block;
	__u64	count;
	__u32	budget;		/* erases left per block, 0: take back */
	__u32	padding;	/* 0 */
};

/*
 * Kernel program (MUSE_EXT_KERNEL_PROGRAM accepted at INIT, after
 * MUSE_IOC_ERASE_BACKING): the kernel programs granted eraseblocks itself.
 *
 * MUSE_IOC_PROGRAM_BACKING: once per connection, say where each block's
 * program state lives in the backing file, which must be on tmpfs (a
 * memfd: the state is shared through its page cache with atomic
 * operations).  Block b's programmed bitmap is at map_offset + b *
 * map_stride: one bit per subpage (WRITESIZE >> SUBPAGESHIFT bytes), bit
 * i % 8 of byte i / 8 for the block's subpage i, set while the subpage
 * was programmed since the block's last erase.  Block b's program count
 * is the __u16 (host byte order) at count_offset + b * count_stride: the
 * subpages the kernel programmed that the server has not applied yet.
 * rules (MUSE_PROGRAM_*) are what the chip allows beyond "each subpage at
 * most once per erase", which always holds: MUSE_PROGRAM_IN_ORDER, the
 * pages of a block in ascending order (MLC: a program only above every
 * programmed subpage of the block); MUSE_PROGRAM_WHOLE_PAGES, whole pages
 * only (NOP 1).  Errors: ENXIO (no MUSE_IOC_ERASE_BACKING), EBUSY
 * (already set), EOPNOTSUPP (not on tmpfs), EINVAL (an unknown rule,
 * flags not 0, count_offset or count_stride odd, a stride 0 or shorter
 * than its element, a bitmap or count overlapping the data, the OOB, the
 * erase counts or each other), ERANGE (a region past the end of the
 * file).
 *
 * MUSE_IOC_PROGRAM_GRANT: let the kernel program count blocks from
 * first_block itself up to budget more times each (one per I/O unit it
 * programs in the block, the requests the server would have received;
 * MUSE_PROGRAM_UNLIMITED: no limit); budget 0 takes them back, and
 * synchronously: when it returns no kernel program of them is in flight
 * and every later write of them is a request.  The kernel programs a
 * WRITE's I/O unit (section 4.2) itself when it moves in-band data only
 * (no OOB, not RAW), whole subpages inside one block, the block is
 * granted with budget left, the device-wide budget (MUSE_IOC_KERNEL_BUDGET)
 * is not spent, no subpage of it is set in the bitmap, the rules allow it
 * and the count stays at most MUSE_PROGRAM_COUNT_MAX: it stores the data
 * at data_offset + address as ~byte, sets the subpages' bits, adds them to
 * the count and takes one from both budgets.  Anything else, and any
 * failure of the store, is a WRITE request as in section 4.  A kernel
 * erase of a block with program state clears its bitmap too.  The server
 * applies the count (its statistics) and writes it back to 0 with an
 * atomic exchange before it answers anything about b; it sets and clears
 * bits of the bitmap with atomic operations.  Errors: ENXIO (no
 * MUSE_IOC_PROGRAM_BACKING), EINVAL (range, padding).
 *
 * MUSE_IOC_KERNEL_BUDGET: the device-wide budget of kernel operations,
 * one per block a kernel erase erases and one per I/O unit a kernel
 * program programs; shared with the server so that it can stop the
 * kernel's work exactly at a planned event (a power cut) and take its
 * own operations from the same budget.  op MUSE_BUDGET_SET sets it to
 * value (MUSE_BUDGET_UNLIMITED, the default: no limit), MUSE_BUDGET_GET
 * returns it in value, MUSE_BUDGET_TAKE takes one for an operation of the
 * server's own and returns in value the budget before (0: none was left,
 * nothing taken; MUSE_BUDGET_UNLIMITED: nothing to take).  At 0 every
 * erase and program is a request.  Errors: EOPNOTSUPP (no
 * MUSE_EXT_KERNEL_ERASE), EINVAL (op, padding), ENXIO (the connection
 * died: the general rule above).
 */
#define MUSE_PROGRAM_IN_ORDER		(1U << 0)
#define MUSE_PROGRAM_WHOLE_PAGES	(1U << 1)
#define MUSE_PROGRAM_RULES	(MUSE_PROGRAM_IN_ORDER | \
				 MUSE_PROGRAM_WHOLE_PAGES)	/* all known */
#define MUSE_PROGRAM_UNLIMITED	0xffffffffU
#define MUSE_PROGRAM_COUNT_MAX	0xffffU

struct muse_program_backing {
	__u64	map_offset;
	__u64	count_offset;
	__u32	map_stride;
	__u32	count_stride;
	__u32	rules;		/* MUSE_PROGRAM_* */
	__u32	flags;		/* 0 */
};

struct muse_program_grant {
	__u64	first_block;
	__u64	count;
	__u32	budget;		/* programs left per block, 0: take back */
	__u32	padding;	/* 0 */
};

#define MUSE_BUDGET_SET		0
#define MUSE_BUDGET_GET		1
#define MUSE_BUDGET_TAKE	2
#define MUSE_BUDGET_UNLIMITED	0xffffffffffffffffULL

struct muse_kernel_budget {
	__u32	op;		/* MUSE_BUDGET_SET, _GET or _TAKE */
	__u32	padding;	/* 0 */
	__u64	value;
};

#define MUSE_IOC_MAGIC		0xE5
#define MUSE_IOC_BACKING	_IOW(MUSE_IOC_MAGIC, 1, struct muse_backing)
#define MUSE_IOC_PASSTHROUGH	_IOW(MUSE_IOC_MAGIC, 2, struct muse_passthrough)
#define MUSE_IOC_PT_READS	_IOW(MUSE_IOC_MAGIC, 3, struct muse_pt_reads)
#define MUSE_IOC_ERASE_BACKING	_IOW(MUSE_IOC_MAGIC, 4, struct muse_erase_backing)
#define MUSE_IOC_ERASE_GRANT	_IOW(MUSE_IOC_MAGIC, 5, struct muse_erase_grant)
#define MUSE_IOC_PROGRAM_BACKING _IOW(MUSE_IOC_MAGIC, 6, \
				      struct muse_program_backing)
#define MUSE_IOC_PROGRAM_GRANT	_IOW(MUSE_IOC_MAGIC, 7, struct muse_program_grant)
#define MUSE_IOC_KERNEL_BUDGET	_IOWR(MUSE_IOC_MAGIC, 8, struct muse_kernel_budget)

/*
 * Limits and defaults both sides enforce.  The module refuses an INIT
 * reply that breaks one of them and libmuse refuses such a description
 * in muse_session_new(), so both use these macros and nothing else; the
 * shared tables tests/lib/device-cases.c and tests/lib/reply-cases.c
 * check that they agree.
 */

/* Longest NAME and partition name in bytes (no NUL); printable ASCII. */
#define MUSE_NAME_MAX			64
#define MUSE_NAME_CHAR_VALID(c)		((c) >= 0x20 && (c) <= 0x7e)
/* Most partitions PARTSCMDLINE may describe. */
#define MUSE_PARTS_MAX			32
/* The longest MUSE_REGISTERED body: the struct and every partition. */
#define MUSE_REGISTERED_IN_MAX					\
	(sizeof(struct muse_registered_in) +			\
	 MUSE_PARTS_MAX * sizeof(struct muse_registered_part))
/*
 * Reply errors (fuse_out_header.error, soft_error) are 0 or a negative
 * errno above -MUSE_ERRNO_BOUND: FUSE refuses replies with an error of
 * -ERESTARTSYS (-512) or below, and MUSE keeps its rule.
 */
#define MUSE_ERRNO_BOUND		512
#define MUSE_ERRNO_VALID(e)		((e) <= 0 && (e) > -MUSE_ERRNO_BOUND)
/*
 * BITFLIPTHRESHOLD when the server does not send one: 3/4 of ECCSTRENGTH
 * rounded up, the MTD core's own default.
 */
#define MUSE_BITFLIP_THRESHOLD_DEFAULT(strength)	\
	(((strength) * 3 + 3) / 4)
/*
 * The OOB span rule (doc/protocol.md 4.5): the OOB of a request starts at
 * ooboffs in the page holding addr and takes at most per_page bytes of
 * each page from there on, so it fits in @pages pages iff ooboffs <
 * per_page and ooboffs + ooblen <= pages * per_page.  per_page is OOBSIZE
 * (PLACE, RAW) or OOBAVAIL (AUTO); pages >= 1; pass 64-bit operands.
 */
#define MUSE_OOB_SPAN_FITS(ooboffs, ooblen, per_page, pages)		\
	((ooboffs) < (per_page) &&					\
	 (ooblen) <= (pages) * (per_page) - (ooboffs))
/* OOBSIZE may not exceed WRITESIZE (the MTD core assumes it). */
#define MUSE_OOBSIZE_VALID(oobsize, writesize)	((oobsize) <= (writesize))
/* MUSE_INIT_INFO_MAX (above) bounds the info block. */

/*
 * The largest ECCSTRENGTH (and so BITFLIPTHRESHOLD) a device may have.
 * A chip states the ECC it needs in one byte of its ONFI or JEDEC
 * parameter page, and no NAND controller Linux drives corrects more than
 * 80 bits per step, so 255 is more than any real chip.  It also keeps
 * every bit-flip count the module returns to the MTD core (at most the
 * strength) far from the negative errnos sharing that int.
 */
#define MUSE_ECC_STRENGTH_MAX		255

/*
 * The most eraseblocks a device may have.  A NAND package has at most
 * some 2^17 (ONFI: blocks per LUN times LUNs), a NOR chip some 2^16
 * sectors, so 2^20 is eight times the largest real chip.  It bounds what
 * the module keeps per block (passthrough marks and counts, kernel-erase
 * budgets, the bad-block bitmap: under 20 MiB in all) and the loops the
 * kernel runs over every block (ISBAD of every partition block at
 * registration: about a second once the server died).
 */
#define MUSE_BLOCKS_MAX			(1U << 20)

/*
 * The rules both sides check, as predicates: the module judges what the
 * server sends with them, libmuse makes sure it never sends anything
 * else.  Plain C that a C++ compiler takes as well.
 */

/*
 * Whether a reply header's error is valid: 0 or a negative errno above
 * -MUSE_ERRNO_BOUND, and neither -EUCLEAN nor -EBADMSG.  The MTD core
 * reads those two as "the data is there, with bit flips", but a header
 * error comes without data: only a READ's soft_error may carry them.
 */
static inline int muse_reply_error_valid(__s32 error)
{
	return MUSE_ERRNO_VALID(error) && error != -EUCLEAN &&
	       error != -EBADMSG;
}

/*
 * Whether @soft_error is an ECC verdict that still delivers the data:
 * -EUCLEAN (bit flips corrected) or -EBADMSG (uncorrectable).
 */
static inline int muse_soft_error_is_ecc(__s32 soft_error)
{
	return soft_error == -EUCLEAN || soft_error == -EBADMSG;
}

/*
 * Whether @soft_error is valid in the reply to @opcode: a READ's may be
 * an ECC verdict as well, a WRITE's follows the header's rule.
 */
static inline int muse_soft_error_valid(__u32 opcode, __s32 soft_error)
{
	if (opcode == MUSE_READ)
		return MUSE_ERRNO_VALID(soft_error);
	return muse_reply_error_valid(soft_error);
}

/*
 * Whether the ECC of a device is consistent: none (ECCSTRENGTH,
 * ECCSTEP and BITFLIPTHRESHOLD all 0), or a strength of at most
 * MUSE_ECC_STRENGTH_MAX per step of @step bytes that divides
 * @writesize, with a @threshold no higher than the strength.
 */
static inline int muse_ecc_valid(__u64 writesize, __u64 strength, __u64 step,
				 __u64 threshold)
{
	if (!strength)
		return !step && !threshold;
	return strength <= MUSE_ECC_STRENGTH_MAX && step &&
	       step <= writesize && !(writesize % step) &&
	       threshold <= strength;
}

/*
 * Whether a device of @size bytes in eraseblocks of @erasesize (non-zero,
 * at most 2^32 - 1) has at most MUSE_BLOCKS_MAX of them; no division, so
 * that a 32-bit kernel needs no 64-bit helper.
 */
static inline int muse_blocks_valid(__u64 size, __u64 erasesize)
{
	return size <= (__u64)MUSE_BLOCKS_MAX * erasesize;
}

/*
 * The write buffer of a device that sets none (WRITEBUFSIZE not sent):
 * one page.
 */
static inline __u64 muse_writebufsize(__u64 writebufsize, __u64 writesize)
{
	return writebufsize ? writebufsize : writesize;
}

/* The bad-block marker's bytes at the start of a large-page NAND's OOB. */
#define MUSE_OOB_BBM_BYTES		2

/*
 * Bytes of the bad-block marker at the start of each page's OOB:
 * MUSE_OOB_BBM_BYTES, or what OOBAVAIL leaves of OOBSIZE when that is
 * less (doc/protocol.md 4.5).  The free bytes follow it.
 */
static inline __u32 muse_oob_bbm_bytes(__u32 oobsize, __u32 oobavail)
{
	return oobsize - oobavail < MUSE_OOB_BBM_BYTES ? oobsize - oobavail :
							 MUSE_OOB_BBM_BYTES;
}

/*
 * Bytes of one block's programmed bitmap (MUSE_IOC_PROGRAM_BACKING): a
 * bit per subpage, rounded up to whole bytes; a map_stride below it
 * makes blocks share bits, which both sides refuse.
 */
static inline __u32 muse_program_map_bytes(__u32 erasesize, __u32 writesize,
					   __u32 subpage_shift)
{
	return (((erasesize / writesize) << subpage_shift) + 7) / 8;
}

/* static_assert is a keyword in C++ and the kernel's, _Static_assert C11's. */
#if defined(__KERNEL__) || defined(__cplusplus)
#define MUSE_STATIC_ASSERT(expr, msg)	static_assert(expr, msg)
#else
#define MUSE_STATIC_ASSERT(expr, msg)	_Static_assert(expr, msg)
#endif

MUSE_STATIC_ASSERT(sizeof(struct muse_init_in) == 24, "muse_init_in");
MUSE_STATIC_ASSERT(sizeof(struct muse_init_out) == 32, "muse_init_out");
MUSE_STATIC_ASSERT(sizeof(struct muse_erase_in) == 16, "muse_erase_in");
MUSE_STATIC_ASSERT(sizeof(struct muse_read_in) == 32, "muse_read_in");
MUSE_STATIC_ASSERT(sizeof(struct muse_read_out) == 32, "muse_read_out");
MUSE_STATIC_ASSERT(sizeof(struct muse_write_in) == 32, "muse_write_in");
MUSE_STATIC_ASSERT(sizeof(struct muse_write_out) == 24, "muse_write_out");
MUSE_STATIC_ASSERT(sizeof(struct muse_markbad_in) == 8, "muse_markbad_in");
MUSE_STATIC_ASSERT(sizeof(struct muse_isbad_in) == 8, "muse_isbad_in");
MUSE_STATIC_ASSERT(sizeof(struct muse_isbad_out) == 8, "muse_isbad_out");
MUSE_STATIC_ASSERT(sizeof(struct muse_registered_in) == 16,
		   "muse_registered_in");
MUSE_STATIC_ASSERT(sizeof(struct muse_registered_part) == 88,
		   "muse_registered_part");
MUSE_STATIC_ASSERT(sizeof(((struct muse_registered_part *)0)->name) ==
		   MUSE_NAME_MAX, "muse_registered_part.name");
MUSE_STATIC_ASSERT(sizeof(struct muse_backing) == 16, "muse_backing");
MUSE_STATIC_ASSERT(sizeof(struct muse_passthrough) == 24, "muse_passthrough");
MUSE_STATIC_ASSERT(sizeof(struct muse_pt_reads) == 32, "muse_pt_reads");
MUSE_STATIC_ASSERT(sizeof(struct muse_erase_backing) == 24,
		   "muse_erase_backing");
MUSE_STATIC_ASSERT(sizeof(struct muse_erase_grant) == 24, "muse_erase_grant");
MUSE_STATIC_ASSERT(sizeof(struct muse_program_backing) == 32,
		   "muse_program_backing");
MUSE_STATIC_ASSERT(sizeof(struct muse_program_grant) == 24,
		   "muse_program_grant");
MUSE_STATIC_ASSERT(sizeof(struct muse_kernel_budget) == 16,
		   "muse_kernel_budget");

#endif /* _LINUX_MUSE_KERNEL_H */
