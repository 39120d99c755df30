// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * muse-badpeer: a raw /dev/muse peer (tests/lib/rawpeer, no libmuse) that
 * checks how the kernel module treats a server that breaks the protocol:
 * malformed INIT replies must be refused with EINVAL and register nothing,
 * malformed I/O replies must fail the write with the documented errno and
 * the MTD user's I/O with EIO, and nothing may hang.  One line per case,
 * PASS or FAIL; the exit status is non-zero when any case failed.  The
 * cases are in badpeer-init.c and badpeer-reply.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "badpeer.h"
#include "check.h"

const char *badpeer_device = "/dev/muse";

bool connection_dead(int fd)
{
	char buf[256];

	return read(fd, buf, sizeof(buf)) < 0 && errno == ENODEV;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: muse-badpeer [--device PATH] [--verbose] COMMAND\n"
		"\n"
		"A raw /dev/muse peer that checks the kernel module's reply validation.\n"
		"Needs muse.ko loaded and root.  Prints PASS/FAIL per case; exits 1 if\n"
		"any case failed, 2 on a usage error.\n"
		"\n"
		"commands:\n"
		"  init-cases    malformed and valid INIT replies   (also --init)\n"
		"  device-cases  tests/lib's table of device descriptions, judged\n"
		"                as libmuse judges them (no other MTD registered)\n"
		"  reply-cases   malformed I/O replies, with a forked MTD user doing\n"
		"                reads, writes, erases and bad-block queries on the\n"
		"                registered \"" BADPEER_NAME "\" NAND   (also --replies)\n"
		"  all           all three   (also --all)\n");
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "init", no_argument, NULL, 'I' },
		{ "replies", no_argument, NULL, 'R' },
		{ "all", no_argument, NULL, 'A' },
		{ NULL, 0, NULL, 0 },
	};
	static struct rp_request req;
	bool init = false, devices = false, replies = false;
	int opt;

	while ((opt = getopt_long(argc, argv, "d:vh", options, NULL)) != -1) {
		switch (opt) {
		case 'd':
			badpeer_device = optarg;
			break;
		case 'v':
			rp_verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'I':
			init = true;
			break;
		case 'R':
			replies = true;
			break;
		case 'A':
			init = devices = replies = true;
			break;
		default:
			usage(stderr);
			return 2;
		}
	}
	for (; optind < argc; optind++) {
		if (!strcmp(argv[optind], "init-cases")) {
			init = true;
		} else if (!strcmp(argv[optind], "device-cases")) {
			devices = true;
		} else if (!strcmp(argv[optind], "reply-cases")) {
			replies = true;
		} else if (!strcmp(argv[optind], "all")) {
			init = devices = replies = true;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (!init && !devices && !replies) {
		usage(stderr);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);

	if (init)
		run_init_cases(&req);
	if (devices)
		run_device_cases(&req);
	if (replies)
		run_reply_cases(&req);
	return check_summary();
}
