// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * mtdioctl: the MTD ioctls the integration scenarios need and mtd-utils
 * does not expose one by one (MEMGETBADBLOCK, MEMSETBADBLOCK, ECCGETSTATS,
 * MEMREAD with its ECC report, BLKPG through a file the shell already
 * holds).  Output is one "key value" line per fact so that shell scripts
 * can compare it exactly.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/blkpg.h>
#include <mtd/mtd-abi.h>

static void usage(void)
{
	fprintf(stderr,
		"usage: mtdioctl isbad DEV OFFSET       print 0 (good) or 1 (bad)\n"
		"       mtdioctl markbad DEV OFFSET     mark the block at OFFSET bad\n"
		"       mtdioctl badblocks DEV          print the offset of every bad block\n"
		"       mtdioctl eccstats DEV           print ECCGETSTATS\n"
		"       mtdioctl read DEV OFFSET LEN [OUT] [raw]\n"
		"                                       MEMREAD LEN bytes to OUT, print the\n"
		"                                       ioctl's result and ECC report\n"
		"       mtdioctl partadd FD NAME OFFSET LEN\n"
		"       mtdioctl partdel FD PARTNO      BLKPG add/delete a partition through\n"
		"                                       file descriptor FD, open read-write\n"
		"                                       (which works after /dev/mtdN is gone)\n"
		"OFFSET and LEN accept 0x prefixes.\n");
	exit(2);
}

static uint64_t parse_u64(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || s[0] == '-') {
		fprintf(stderr, "mtdioctl: '%s' is not a number\n", s);
		exit(2);
	}
	return v;
}

static int open_mtd(const char *path, int flags)
{
	int fd = open(path, flags);

	if (fd < 0) {
		fprintf(stderr, "mtdioctl: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	return fd;
}

static int die_errno(const char *what)
{
	fprintf(stderr, "mtdioctl: %s: %s\n", what, strerror(errno));
	return 1;
}

/* MEMGETBADBLOCK / MEMSETBADBLOCK on one block; returns the ioctl result. */
static int block_ioctl(const char *dev, int flags, unsigned long request,
		       const char *name, uint64_t offset)
{
	int fd = open_mtd(dev, flags);
	loff_t ofs = (loff_t)offset;
	int ret = ioctl(fd, request, &ofs);

	close(fd);
	if (ret < 0)
		exit(die_errno(name));
	return ret;
}

static int cmd_badblocks(const char *dev)
{
	int fd = open_mtd(dev, O_RDONLY);
	struct mtd_info_user info;
	uint64_t addr;

	if (ioctl(fd, MEMGETINFO, &info) < 0) {
		close(fd);
		return die_errno("MEMGETINFO");
	}
	for (addr = 0; addr < info.size; addr += info.erasesize) {
		loff_t ofs = (loff_t)addr;
		int ret = ioctl(fd, MEMGETBADBLOCK, &ofs);

		if (ret < 0) {
			close(fd);
			return die_errno("MEMGETBADBLOCK");
		}
		if (ret)
			printf("0x%" PRIx64 "\n", addr);
	}
	close(fd);
	return 0;
}

static int cmd_eccstats(const char *dev)
{
	int fd = open_mtd(dev, O_RDONLY);
	struct mtd_ecc_stats st;
	int ret = ioctl(fd, ECCGETSTATS, &st);

	close(fd);
	if (ret < 0)
		return die_errno("ECCGETSTATS");
	printf("corrected %u\nfailed %u\nbadblocks %u\nbbtblocks %u\n",
	       st.corrected, st.failed, st.badblocks, st.bbtblocks);
	return 0;
}

static const char *result_name(int err)
{
	switch (err) {
	case 0:
		return "ok";
	case EUCLEAN:
		return "EUCLEAN";
	case EBADMSG:
		return "EBADMSG";
	default:
		return strerror(err);
	}
}

static int cmd_read(const char *dev, uint64_t offset, uint64_t len,
		    const char *out, int raw)
{
	int fd = open_mtd(dev, O_RDONLY);
	struct mtd_read_req req;
	unsigned char *buf;
	int ret, err = 0;

	if (len == 0 || len > (64u << 20)) {
		fprintf(stderr, "mtdioctl: read length must be 1..64 MiB\n");
		close(fd);
		return 2;
	}
	buf = malloc(len);
	if (!buf) {
		close(fd);
		return die_errno("malloc");
	}
	memset(&req, 0, sizeof(req));
	req.start = offset;
	req.len = len;
	req.usr_data = (uintptr_t)buf;
	req.mode = raw ? MTD_OPS_RAW : MTD_OPS_PLACE_OOB;
	ret = ioctl(fd, MEMREAD, &req);
	if (ret < 0)
		err = errno;
	close(fd);
	printf("result %s\ncorrected %u\nfailed %u\nmax_bitflips %u\n",
	       result_name(err), req.ecc_stats.corrected_bitflips,
	       req.ecc_stats.uncorrectable_errors, req.ecc_stats.max_bitflips);
	/* EUCLEAN and EBADMSG still deliver the data, as for MTD users. */
	if (out && (!err || err == EUCLEAN || err == EBADMSG)) {
		FILE *f = fopen(out, "wb");

		if (!f || fwrite(buf, 1, len, f) != len || fclose(f)) {
			free(buf);
			return die_errno(out);
		}
	}
	free(buf);
	return 0;
}

/* BLKPG_ADD_PARTITION / BLKPG_DEL_PARTITION on an inherited descriptor. */
static int cmd_blkpg(const char *fdstr, int op, const char *name,
		     uint64_t start, uint64_t len, uint64_t pno)
{
	struct blkpg_partition part = {
		.start = (long long)start, .length = (long long)len,
		.pno = (int)pno,
	};
	struct blkpg_ioctl_arg arg = {
		.op = op, .datalen = sizeof(part), .data = &part,
	};
	int fd = (int)parse_u64(fdstr);

	if (name)
		snprintf(part.devname, sizeof(part.devname), "%s", name);
	if (ioctl(fd, BLKPG, &arg) < 0)
		return die_errno(op == BLKPG_ADD_PARTITION ?
				 "BLKPG_ADD_PARTITION" : "BLKPG_DEL_PARTITION");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		usage();
	if (!strcmp(argv[1], "isbad") && argc == 4) {
		printf("%d\n", block_ioctl(argv[2], O_RDONLY, MEMGETBADBLOCK,
					    "MEMGETBADBLOCK",
					    parse_u64(argv[3])));
		return 0;
	}
	if (!strcmp(argv[1], "markbad") && argc == 4) {
		block_ioctl(argv[2], O_RDWR, MEMSETBADBLOCK, "MEMSETBADBLOCK",
			    parse_u64(argv[3]));
		return 0;
	}
	if (!strcmp(argv[1], "badblocks") && argc == 3)
		return cmd_badblocks(argv[2]);
	if (!strcmp(argv[1], "eccstats") && argc == 3)
		return cmd_eccstats(argv[2]);
	if (!strcmp(argv[1], "read") && argc >= 5 && argc <= 7) {
		int raw = argc == 7 && !strcmp(argv[6], "raw");

		if (argc == 7 && !raw)
			usage();
		return cmd_read(argv[2], parse_u64(argv[3]),
				parse_u64(argv[4]), argc >= 6 ? argv[5] : NULL,
				raw);
	}
	if (!strcmp(argv[1], "partadd") && argc == 6)
		return cmd_blkpg(argv[2], BLKPG_ADD_PARTITION, argv[3],
				 parse_u64(argv[4]), parse_u64(argv[5]), 0);
	if (!strcmp(argv[1], "partdel") && argc == 4)
		return cmd_blkpg(argv[2], BLKPG_DEL_PARTITION, NULL, 0, 0,
				 parse_u64(argv[3]));
	usage();
	return 2;
}
