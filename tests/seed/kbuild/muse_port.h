/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Port layer for the MUSE v2 seed (patch 6/7 of "MUSE: Userspace backed
 * MTD v2", Nov 2020) on Linux 6.1: what the other patches of the series
 * added and the seed's fs/fuse/muse.c relies on, written from the seed's
 * use of it and the layouts in shared/notes/protocol-facts.md.  Force-
 * included into muse.c (-include), so the seed's file stays as posted.
 */
#ifndef MUSE_PORT_H
#define MUSE_PORT_H

/*
 * Nothing here may pull in <linux/printk.h>: muse.c defines pr_fmt()
 * after this header and before its own includes.
 */
#include <linux/types.h>
#include <mtd/mtd-abi.h>

struct iov_iter;

/*
 * The FUSE uapi part of the series: MUSE's opcodes and structs, with the
 * seed's field names.  Written apart from include/muse/muse_kernel.h on
 * purpose: this suite checks that layout against the seed, which sharing
 * it would not.
 */
#define MUSE_INIT		8192
#define MUSE_ERASE		8193
#define MUSE_READ		8194
#define MUSE_WRITE		8195
#define MUSE_MARKBAD		8196
#define MUSE_ISBAD		8197
#define MUSE_SYNC		8198

/* muse_send_init(): the size of the info block's page. */
#define MUSE_INIT_INFO_MAX	4096

struct muse_init_in {
	__u32	fuse_major;
	__u32	fuse_minor;
};

struct muse_init_out {
	__u32	fuse_major;
	__u32	fuse_minor;
	__u32	max_read;
	__u32	max_write;
};

struct muse_erase_in {
	__u64	addr;
	__u64	len;
};

struct muse_read_in {
	__u64	dataaddr;
	__u64	datalen;
	__u32	flags;
	__u32	padding;
};

struct muse_read_out {
	__u64	datalen;
	__u32	soft_error;
	__u32	padding;
};

struct muse_write_in {
	__u64	dataaddr;
	__u64	datalen;
	__u32	flags;
	__u32	padding;
};

struct muse_write_out {
	__u64	datalen;
	__u32	soft_error;
	__u32	padding;
};

struct muse_markbad_in {
	__u64	addr;
};

struct muse_isbad_in {
	__u64	addr;
};

struct muse_isbad_out {
	__u32	result;
	__u32	padding;
};

/*
 * muse_parse_mtdreq() sets this flag on every MUSE MTD.  The series put
 * it in <mtd/mtd-abi.h>; its value there is not in the seed, so this is
 * the first bit 6.1 leaves free.  Nothing in 6.1 looks at it.
 */
#define MTD_MUSE		0x8000

/*
 * muse_parse_mtdreq() parses each value with kstrtoul() straight into a
 * field of struct mtd_info_user, whose fields are __u8 and __u32: that
 * does not build with 6.1's -Werror=incompatible-pointer-types, and on
 * 64-bit it would store 8 bytes into each field, so that ERASESIZE after
 * WRITESIZE (the order of every v2 server) zeroes the write size.  The
 * seed's parser gets a struct of the type kstrtoul() writes; the real one
 * was defined above (mtd-abi.h) and is not used by muse.c otherwise.
 */
struct muse_port_mtdreq_info {
	unsigned long	type;
	unsigned long	flags;
	unsigned long	size;
	unsigned long	erasesize;
	unsigned long	writesize;
};

#define mtd_info_user muse_port_mtdreq_info

/* muse_parse_mtdreq(): one KEY=VALUE string of the INIT info block. */
int fuse_kv_parse_one(char **pp, char *end, char **keyp, char **valp);

/* set_ap_inout_bufs(): where the next fragment of a kvec iter starts ... */
unsigned long fuse_get_user_addr(const struct iov_iter *ii);
/* ... and how long it is, at most max_size. */
size_t fuse_get_frag_size(const struct iov_iter *ii, size_t max_size);

#endif /* MUSE_PORT_H */
