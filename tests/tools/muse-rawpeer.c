// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * muse-rawpeer: raw /dev/muse peers (tests/lib/rawpeer, no libmuse) that
 * check the module from the side of the MTD's users: the reply-value
 * sweep seen through JFFS2 and mtdchar (sweep.c) and the moments a
 * connection, a request or a registration used to be lost or wedged
 * (lifetime.c, regdeath.c), and ioctls racing the INIT write
 * (initrace.c).  One line per case, PASS or FAIL; exit status 1 when any
 * case failed, 2 on a usage error.  Needs muse.ko loaded and root.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "rawpeer-cmds.h"

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *help;
} commands[] = {
	{ "sweep", cmd_sweep,
	  "every class of reply value against READ/WRITE/ERASE/ISBAD,\n"
	  "                 through JFFS2 (mounts one) and mtdchar" },
	{ "exiting-child", cmd_exiting_child,
	  "a child holding the last /dev/muse file and /dev/mtdN exits" },
	{ "copy-kill", cmd_copy_kill,
	  "the MTD user is killed while its request is copied (userfaultfd)" },
	{ "copy-timeout", cmd_copy_timeout,
	  "request_timeout set while the only request is being copied" },
	{ "register-fail", cmd_register_fail,
	  "the third partition of a registration fails (load mtdblock first)" },
	{ "register-death", cmd_register_death,
	  "the server of the largest partitioned NAND dies while it registers" },
	{ "registered", cmd_registered,
	  "MUSE_REGISTERED after a registration and after a failed one" },
	{ "init-race", cmd_init_race,
	  "[ROUNDS] ioctls racing the INIT write (default\n"
	  "                 $INIT_RACE_ROUNDS, else 2000)" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: muse-rawpeer COMMAND\n\ncommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-14s %s\n", commands[i].name, commands[i].help);
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage(stdout);
		return 0;
	}
	signal(SIGPIPE, SIG_IGN);
	for (i = 0; argc >= 2 && i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	usage(stderr);
	return 2;
}
