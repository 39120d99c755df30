// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * muse-peer sweep: every class of reply value against every opcode,
 * seen by JFFS2 on a NOR (its page-cache read, its iget that reads an
 * inode's nodes, its write) and by mtdchar on a NAND with 4-bit ECC per
 * 512 bytes, both served from memory by this process.  The rules
 * (doc/protocol.md, doc/kmod.md):
 *   - a header error must be 0 or in [-511, -1], and never -EUCLEAN or
 *     -EBADMSG (only a READ's soft_error may carry those);
 *   - a READ's soft_error: 0, -EUCLEAN, -EBADMSG or in [-511, -1];
 *     a WRITE's: 0 or in [-511, -1] without -EUCLEAN/-EBADMSG;
 *   - an ISBAD result is 0 or 1;
 *   - max_bitflips, corrected and failed beyond the ECC are clamped.
 * A refused value fails the server's write() with EINVAL and the user's
 * I/O with EIO; an accepted error reaches the user as itself (a file
 * system may say EIO instead); a clamped figure changes nothing the user
 * sees.  The kernel log must stay free of BUG and WARNING (the harness
 * checks it): -EIOCBQUEUED or max_bitflips = 0xfffffdef used to reach
 * new_sync_read's BUG_ON through JFFS2.
 *
 * ECC geometry: an INIT whose ECCSTRENGTH or BITFLIPTHRESHOLD lies beyond
 * MUSE_ECC_STRENGTH_MAX, up to the u32 limits (ECCSTRENGTH 4294966767
 * made max_bitflips 0xfffffdef come back from _read_oob as -EIOCBQUEUED),
 * is refused with EINVAL; the JFFS2 NOR has the strongest ECC accepted,
 * so the figures reach JFFS2 clamped to it, never as an errno (JFFS2
 * may pass a read's -EUCLEAN on to the reader).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mtd/mtd-abi.h>

#include "check.h"
#include "mtduser.h"
#include "cases.h"
#include "serve.h"

#define NOR_NAME	"sweep-nor"
#define NAND_NAME	"sweep-nand"
#define NAND_PAGE	2048u
#define NAND_BLOCK	(64u * NAND_PAGE)
#define MOUNTPOINT	"/tmp/sweep-jffs2"
#define FILE_BYTES	16384u

/* The error values: every class the rules tell apart. */
static const int32_t errors[] = {
	1, 5, INT_MAX,				/* positive */
	-EPERM, -EINTR, -EIO, -ENOSPC, -511,	/* valid errnos */
	-EUCLEAN, -EBADMSG,			/* read results only */
	-512, -513, -514, -515, -516, -517,	/* kernel-internal codes */
	-524, -529,				/* ENOTSUPP, EIOCBQUEUED */
	-4095, -4096, INT_MIN,			/* beyond MAX_ERRNO */
};

/* Bit-flip figures beyond a 4-bit ECC (and beyond any int). */
static const uint32_t figures[] = {
	5, 17, 0x7fffffff, 0x80000000, 0xfffffdef, 0xffffffff,
};

static bool valid_errno(int32_t v)
{
	return v >= -511 && v <= -1 && v != -EUCLEAN && v != -EBADMSG;
}

/* Whether the module must take the value (else: EINVAL, EIO). */
static bool accepted(uint32_t opcode, enum fault_field field, int32_t v)
{
	if (field == FAULT_HEADER_ERROR)
		return valid_errno(v);
	if (field == FAULT_ISBAD_RESULT)
		return v == 0 || v == 1;
	if (field == FAULT_SOFT_ERROR && opcode == MUSE_READ)
		return valid_errno(v) || v == -EUCLEAN || v == -EBADMSG;
	if (field == FAULT_SOFT_ERROR)
		return valid_errno(v);
	return true;	/* ECC figures: clamped */
}

static const char *opname(uint32_t opcode)
{
	switch (opcode) {
	case MUSE_READ:
		return "read";
	case MUSE_WRITE:
		return "write";
	case MUSE_ERASE:
		return "erase";
	default:
		return "isbad";
	}
}

static const char *const field_names[] = {
	[FAULT_HEADER_ERROR] = "error",
	[FAULT_SOFT_ERROR] = "soft_error",
	[FAULT_MAX_BITFLIPS] = "max_bitflips",
	[FAULT_CORRECTED] = "corrected",
	[FAULT_FAILED] = "failed",
	[FAULT_ISBAD_RESULT] = "result",
};

/* What the MTD user did: 0 or its errno, and whether data was right. */
struct outcome {
	int err;
	bool data_ok;
};

static unsigned char file_data[FILE_BYTES];

/* The JFFS2 file system on the NOR, mounted fresh (nothing cached). */
static int mount_jffs2(void)
{
	char dev[32];

	snprintf(dev, sizeof(dev), "mtd%d", mtd_index(NOR_NAME));
	if (mount(dev, MOUNTPOINT, "jffs2", 0, NULL)) {
		fprintf(stderr, "mount jffs2 on %s: %s\n", dev, strerror(errno));
		return errno;
	}
	return 0;
}

/*
 * Unmount and mount again, unarmed: the only way to get the file's inode
 * and pages out of the caches for sure (drop_caches leaves fresh pages to
 * the references of other CPUs' LRU caches for a minute).
 */
static int remount_jffs2(void)
{
	if (umount(MOUNTPOINT))
		return errno;
	return mount_jffs2();
}

/* The test file, opened after a remount for the page-cache read. */
static int data_fd = -1;

static int open_data(void)
{
	data_fd = open(MOUNTPOINT "/data", O_RDONLY);
	return data_fd < 0 ? errno : 0;
}

static struct outcome read_data(void)
{
	static unsigned char buf[FILE_BYTES];
	struct outcome o = { 0, false };
	ssize_t n;

	n = read(data_fd, buf, sizeof(buf));
	o.err = n < 0 ? errno : 0;
	o.data_ok = n == sizeof(buf) && !memcmp(buf, file_data, sizeof(buf));
	close(data_fd);
	data_fd = -1;
	return o;
}

/* Write the first len bytes of file_data to a JFFS2 file, fsync it. */
static struct outcome jffs2_write(const char *name, size_t len)
{
	struct outcome o = { 0, true };
	char path[128];
	int fd;

	snprintf(path, sizeof(path), MOUNTPOINT "/%s", name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		o.err = errno;
		return o;
	}
	if (write(fd, file_data, len) != (ssize_t)len || fsync(fd))
		o.err = errno;
	close(fd);
	return o;
}

/* One mtdchar operation on the NAND's first page or block. */
static struct outcome mtdchar_op(struct server *nand, uint32_t opcode)
{
	static unsigned char buf[NAND_PAGE];
	struct outcome o = { 0, true };
	struct erase_info_user erase = { NAND_BLOCK, NAND_BLOCK };
	loff_t ofs = 0;
	char path[64];
	int fd, ret;

	snprintf(path, sizeof(path), "/dev/mtd%d", mtd_index(NAND_NAME));
	fd = open(path, O_RDWR);
	if (fd < 0) {
		o.err = errno;
		return o;
	}
	switch (opcode) {
	case MUSE_READ:
		ret = pread(fd, buf, sizeof(buf), 0) == sizeof(buf) ? 0 : -1;
		o.data_ok = !ret && !memcmp(buf, nand->flash.data, sizeof(buf));
		break;
	case MUSE_WRITE:
		memset(buf, 0xff, sizeof(buf));
		ret = pwrite(fd, buf, sizeof(buf), NAND_PAGE) == sizeof(buf) ?
		      0 : -1;
		break;
	case MUSE_ERASE:
		ret = ioctl(fd, MEMERASE, &erase);
		break;
	default:
		ret = ioctl(fd, MEMGETBADBLOCK, &ofs);
		break;
	}
	o.err = ret < 0 ? errno : 0;
	close(fd);
	return o;
}

/*
 * The verdict on one case.  user is "jffs2..." or "mtdchar"; a file system
 * may turn any error into EIO, and retries a failed write elsewhere.
 */
static void judge(const char *user, uint32_t opcode, enum fault_field field,
		  int32_t v, uint32_t soft, unsigned int used, int wres,
		  struct outcome o)
{
	bool take = accepted(opcode, field, v);
	bool fs = !strncmp(user, "jffs2", 5);
	bool delivers = field > FAULT_SOFT_ERROR ||
			(field == FAULT_SOFT_ERROR && opcode == MUSE_READ &&
			 (v == -EUCLEAN || v == -EBADMSG));
	char name[96];
	bool ok;

	snprintf(name, sizeof(name), "sweep-%s-%s-%s=%d%s", user,
		 opname(opcode), field_names[field], v,
		 soft ? (soft == (uint32_t)-EUCLEAN ? "+euclean" : "+ebadmsg") :
		 "");
	if (!used) {
		result(name, false, "the armed reply was never asked for");
		return;
	}
	if (wres != (take ? 0 : -EINVAL)) {
		result(name, false, "server's write gave %s, expected %s",
		       wres == 1 ? "different results" :
		       wres ? strerror(-wres) : "success",
		       take ? "success" : "EINVAL");
		return;
	}
	if (!take)
		ok = o.err == EIO || (fs && opcode == MUSE_WRITE && !o.err);
	else if (delivers && fs)
		/* JFFS2 passes a NOR read's ECC verdicts on. */
		ok = (!o.err && o.data_ok) || o.err == EIO ||
		     o.err == EBADMSG || o.err == EUCLEAN;
	else if (delivers)
		ok = !o.err && o.data_ok;
	else
		ok = o.err == -v || (fs && (o.err == EIO || !o.err));
	result(name, ok, "the MTD user got %s%s", o.err ? strerror(o.err) :
	       "success", o.data_ok ? "" : " (data wrong or not read)");
}

/*
 * An MTD user: prepare runs before the fault is armed (0 or an errno),
 * act while it is; act's outcome is judged.
 */
struct user {
	const char *name;
	int (*prepare)(void);
	struct outcome (*act)(struct server *s, uint32_t opcode);
};

/* JFFS2's page-cache read (-EIOCBQUEUED: new_sync_read's BUG_ON). */
static int jffs2_page_prepare(void)
{
	int err = remount_jffs2();

	return err ? err : open_data();
}

static struct outcome jffs2_page_act(struct server *s, uint32_t opcode)
{
	(void)s;
	(void)opcode;
	return read_data();
}

/* JFFS2's iget (max_bitflips 0x80000000: an ERR_PTR IS_ERR() misses). */
static struct outcome jffs2_iget_act(struct server *s, uint32_t opcode)
{
	struct outcome o = { 0, false };

	(void)s;
	(void)opcode;
	o.err = open_data();
	return o.err ? o : read_data();
}

static int nothing(void)
{
	return 0;
}

static struct outcome jffs2_write_act(struct server *s, uint32_t opcode)
{
	(void)s;
	(void)opcode;
	return jffs2_write("scratch", 4096);
}

static const struct user mtdchar = { "mtdchar", nothing, mtdchar_op };
static const struct user jffs2_page = {
	"jffs2", jffs2_page_prepare, jffs2_page_act,
};
static const struct user jffs2_iget = {
	"jffs2-iget", remount_jffs2, jffs2_iget_act,
};
static const struct user jffs2_writer = { "jffs2", nothing, jffs2_write_act };

static void sweep_one(struct server *s, const struct user *u,
		      uint32_t opcode, enum fault_field field, int32_t v,
		      uint32_t soft)
{
	struct outcome o = { 0, false };
	unsigned int used = 0;
	int wres = 0;

	o.err = u->prepare();
	if (o.err) {
		result("sweep-prepare", false, "%s: %s", u->name,
		       strerror(o.err));
		return;
	}
	server_arm(s, opcode, field, (uint32_t)v, soft);
	o = u->act(s, opcode);
	used = server_disarm(s, &wres);
	judge(u->name, opcode, field, v, soft, used, wres, o);
}

/* Every error value in the header and soft_error of opcode. */
static void sweep_errors(struct server *s, const struct user *u,
			 uint32_t opcode)
{
	size_t i;

	for (i = 0; i < sizeof(errors) / sizeof(errors[0]); i++) {
		sweep_one(s, u, opcode, FAULT_HEADER_ERROR, errors[i], 0);
		if (opcode == MUSE_READ || opcode == MUSE_WRITE)
			sweep_one(s, u, opcode, FAULT_SOFT_ERROR, errors[i], 0);
	}
}

/* Every out-of-range ECC figure in a READ reply. */
static void sweep_figures(struct server *s, const struct user *u)
{
	size_t i;

	for (i = 0; i < sizeof(figures) / sizeof(figures[0]); i++) {
		int32_t v = (int32_t)figures[i];

		sweep_one(s, u, MUSE_READ, FAULT_MAX_BITFLIPS, v, 0);
		sweep_one(s, u, MUSE_READ, FAULT_MAX_BITFLIPS, v,
			  (uint32_t)-EUCLEAN);
		sweep_one(s, u, MUSE_READ, FAULT_CORRECTED, v,
			  (uint32_t)-EUCLEAN);
		/* JFFS2 reports an uncorrectable read, whatever the count. */
		if (u == &mtdchar)
			sweep_one(s, u, MUSE_READ, FAULT_FAILED, v,
				  (uint32_t)-EBADMSG);
	}
}

/* ECC geometry beyond the cap, up to the u32 limits: INIT refused. */
static void sweep_init_ecc(void)
{
	static const char *const ecc[][3] = {
		{ "ECCSTRENGTH=256", "ECCSTEP=512", "BITFLIPTHRESHOLD=1" },
		{ "ECCSTRENGTH=4294966767", "ECCSTEP=512",
		  "BITFLIPTHRESHOLD=4294966767" },
		{ "ECCSTRENGTH=4294967295", "ECCSTEP=512",
		  "BITFLIPTHRESHOLD=4294967295" },
		{ "ECCSTRENGTH=2147483648", "ECCSTEP=512",
		  "BITFLIPTHRESHOLD=1" },
		{ "ECCSTRENGTH=18446744073709551615", "ECCSTEP=512",
		  "BITFLIPTHRESHOLD=1" },
		{ "ECCSTRENGTH=4", "ECCSTEP=512", "BITFLIPTHRESHOLD=4294967295" },
		{ "ECCSTRENGTH=4", "ECCSTEP=4294967295", "BITFLIPTHRESHOLD=1" },
		{ "ECCSTRENGTH=0", "ECCSTEP=0", "BITFLIPTHRESHOLD=4294966767" },
	};
	static const struct muse_init_out out = RP_GOOD_INIT_OUT;
	static struct rp_request req;
	const char *keys[16];
	char name[160], why[160];
	size_t i, n;
	int fd, err;

	for (i = 0; i < sizeof(ecc) / sizeof(ecc[0]); i++) {
		n = 0;
		keys[n++] = "NAME=sweep-ecc";
		keys[n++] = "TYPE=4";
		keys[n++] = "FLAGS=1024";
		keys[n++] = "SIZE=1048576";
		keys[n++] = "WRITESIZE=2048";
		keys[n++] = "ERASESIZE=131072";
		keys[n++] = ecc[i][0];
		keys[n++] = ecc[i][1];
		keys[n++] = ecc[i][2];
		keys[n] = NULL;
		snprintf(name, sizeof(name), "sweep-init-%s-%s-%s", ecc[i][0],
			 ecc[i][1], ecc[i][2]);
		fd = rp_open_init("/dev/muse", &req, why, sizeof(why));
		if (fd < 0) {
			result(name, false, "%s", why);
			continue;
		}
		err = rp_reply_init(fd, &req, &out, sizeof(out), keys);
		close(fd);
		result(name, err == -EINVAL, "the INIT write gave %s, expected EINVAL",
		       err ? strerror(-err) : "success");
	}
	result("sweep-init-ecc-nothing-registered",
	       !wait_mtd("sweep-ecc", false), NULL);
}

/* A NOR with clean markers (no erase work for JFFS2) and the test file. */
static int setup_jffs2(void)
{
	char cmd[96];
	struct outcome o;

	snprintf(cmd, sizeof(cmd), "flash_erase -q -j /dev/mtd%d 0 0",
		 mtd_index(NOR_NAME));
	if (system(cmd)) {
		fprintf(stderr, "%s failed\n", cmd);
		return -1;
	}
	mkdir(MOUNTPOINT, 0755);
	if (mount_jffs2())
		return -1;
	o = jffs2_write("data", FILE_BYTES);
	if (o.err) {
		fprintf(stderr, "writing the JFFS2 file: %s\n", strerror(o.err));
		return -1;
	}
	return 0;
}

const char *case_sweep(void)
{
	/* The strongest ECC INIT takes, one step per byte. */
	static const char *const nor_keys[] = {
		"TYPE=3", "FLAGS=3072", "SIZE=2097152", "WRITESIZE=1",
		"ERASESIZE=65536", "ECCSTRENGTH=255", "ECCSTEP=1",
		"BITFLIPTHRESHOLD=255", NULL,
	};
	static const char *const nand_keys[] = {
		"TYPE=4", "FLAGS=1024", "SIZE=1048576", "WRITESIZE=2048",
		"ERASESIZE=131072", "OOBSIZE=64", "OOBAVAIL=38",
		"ECCSTRENGTH=4", "ECCSTEP=512", NULL,
	};
	static struct server nor, nand;
	struct outcome o;
	size_t i;
	int err;

	for (i = 0; i < sizeof(file_data); i++)
		file_data[i] = (unsigned char)(i * 7 + i / 251);
	sweep_init_ecc();
	err = server_start(&nor, NOR_NAME, nor_keys, 2u << 20, 1, 65536, 0);
	if (!err)
		err = server_start(&nand, NAND_NAME, nand_keys, 1u << 20,
				   NAND_PAGE, NAND_BLOCK, 64);
	if (err) {
		result("sweep-setup", false, "registering: %s", strerror(-err));
		return NULL;
	}
	memset(nand.flash.data, 0xa5, NAND_PAGE);
	if (setup_jffs2()) {
		result("sweep-setup", false, "JFFS2 on " NOR_NAME);
		return NULL;
	}

	/* mtdchar first: a value that crashes JFFS2 would hide the rest. */
	sweep_errors(&nand, &mtdchar, MUSE_READ);
	sweep_errors(&nand, &mtdchar, MUSE_WRITE);
	sweep_errors(&nand, &mtdchar, MUSE_ERASE);
	sweep_errors(&nand, &mtdchar, MUSE_ISBAD);
	sweep_one(&nand, &mtdchar, MUSE_ISBAD, FAULT_ISBAD_RESULT, 2, 0);
	sweep_one(&nand, &mtdchar, MUSE_ISBAD, FAULT_ISBAD_RESULT, -1, 0);
	sweep_figures(&nand, &mtdchar);
	sweep_errors(&nor, &jffs2_page, MUSE_READ);
	sweep_figures(&nor, &jffs2_page);
	sweep_errors(&nor, &jffs2_iget, MUSE_READ);
	sweep_figures(&nor, &jffs2_iget);
	sweep_errors(&nor, &jffs2_writer, MUSE_WRITE);

	/* After all that, JFFS2 still reads and writes. */
	o = jffs2_write("after", 4096);
	result("sweep-jffs2-writable-after", !o.err, "%s", strerror(o.err));
	o.err = jffs2_page_prepare();
	if (!o.err)
		o = read_data();
	result("sweep-jffs2-reads-back-after", !o.err && o.data_ok, "%s",
	       o.err ? strerror(o.err) : "data differs");
	result("sweep-jffs2-umount", !umount(MOUNTPOINT), "%s", strerror(errno));
	server_stop(&nor);
	server_stop(&nand);
	result("sweep-mtds-gone", !wait_mtd(NOR_NAME, false) &&
	       !wait_mtd(NAND_NAME, false), NULL);
	return NULL;
}
