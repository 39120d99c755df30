// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * `ramflash ctl SOCKET COMMAND...`: one request to a running ramflash's
 * --control socket, its acknowledgement printed (control.h).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "control.h"

/* A command answers at once; freeze waits for the requests inside. */
#define RF_CTL_REPLY_TIMEOUT_MS	30000

enum { RF_CTL_OK, RF_CTL_REFUSED, RF_CTL_USAGE, RF_CTL_NO_ANSWER };

static int rf_ctl_usage(const char *why)
{
	fprintf(stderr, "ramflash ctl: %s\nUsage: ramflash ctl SOCKET COMMAND [ARG]...\n(ramflash ctl SOCKET help lists the commands)\n",
		why);
	return RF_CTL_USAGE;
}

/* Join the words into one request line, newline included. */
static int rf_ctl_join(int argc, char *argv[], char *line, size_t size)
{
	size_t used = 0, n;
	int i;

	for (i = 0; i < argc; i++) {
		n = strlen(argv[i]);
		if (strchr(argv[i], '\n'))
			return rf_ctl_usage("a command is one line: no newline in it");
		if (used + n + 2 > size)
			return rf_ctl_usage("the command is too long");
		if (i)
			line[used++] = ' ';
		memcpy(line + used, argv[i], n);
		used += n;
	}
	line[used++] = '\n';
	line[used] = '\0';
	return 0;
}

/* Read one line into @reply; 0, or why not on stderr and -1. */
static int rf_ctl_receive(int fd, const char *path, char *reply, size_t size)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t used = 0;
	ssize_t n;

	while (!memchr(reply, '\n', used)) {
		if (used + 1 >= size) {
			fprintf(stderr, "ramflash ctl: %s: the answer is too long\n",
				path);
			return -1;
		}
		n = poll(&pfd, 1, RF_CTL_REPLY_TIMEOUT_MS);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0) {
			fprintf(stderr, "ramflash ctl: %s: no answer within %d s\n",
				path, RF_CTL_REPLY_TIMEOUT_MS / 1000);
			return -1;
		}
		n = n < 0 ? -1 : read(fd, reply + used, size - 1 - used);
		if (n <= 0) {
			fprintf(stderr, "ramflash ctl: %s: %s\n", path, n ?
				strerror(errno) : "the connection ended without an answer");
			return -1;
		}
		used += (size_t)n;
		reply[used] = '\0';
	}
	*strchr(reply, '\n') = '\0';
	return 0;
}

int rf_ctl_client(int argc, char *argv[])
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char line[RF_CTL_LINE_MAX + 2], reply[RF_CTL_LINE_MAX + 2];
	size_t n;
	int fd, ret;

	if (argc < 2)
		return rf_ctl_usage("a socket and a command are needed");
	if (strlen(argv[0]) >= sizeof(sa.sun_path))
		return rf_ctl_usage("the socket path is too long");
	strcpy(sa.sun_path, argv[0]);
	ret = rf_ctl_join(argc - 1, argv + 1, line, sizeof(line));
	if (ret)
		return ret;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		fprintf(stderr, "ramflash ctl: cannot connect to %s: %s\n",
			argv[0], strerror(errno));
		if (fd >= 0)
			close(fd);
		return RF_CTL_NO_ANSWER;
	}
	n = strlen(line);
	if (send(fd, line, n, MSG_NOSIGNAL) != (ssize_t)n) {
		fprintf(stderr, "ramflash ctl: %s: %s\n", argv[0], strerror(errno));
		close(fd);
		return RF_CTL_NO_ANSWER;
	}
	reply[0] = '\0';
	ret = rf_ctl_receive(fd, argv[0], reply, sizeof(reply));
	close(fd);
	if (ret)
		return RF_CTL_NO_ANSWER;
	puts(reply);
	return strncmp(reply, "ok", 2) || (reply[2] && reply[2] != ' ') ?
	       RF_CTL_REFUSED : RF_CTL_OK;
}
