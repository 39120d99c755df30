// SPDX-License-Identifier: LGPL-2.1-or-later
/* The case harness, see check.h. */
#include "check.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int check_failures;
const char *skip_reason;
bool peer_verbose;

static unsigned int passed, failed, skipped;

static void line(const char *verdict, const char *name, const char *fmt,
		 va_list ap)
{
	printf("%s %s", verdict, name);
	if (fmt) {
		printf(": ");
		vprintf(fmt, ap);
	}
	printf("\n");
	fflush(stdout);
}

static void print_line(const char *verdict, const char *name,
		       const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void print_line(const char *verdict, const char *name,
		       const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	line(verdict, name, fmt, ap);
	va_end(ap);
}

void result(const char *name, bool ok, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	line(ok ? "PASS" : "FAIL", name, ok ? NULL : fmt, ap);
	va_end(ap);
	if (!ok)
		check_failures++;
}

void note(const char *fmt, ...)
{
	va_list ap;

	if (!peer_verbose)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

void run_case(const struct peer_case *c)
{
	int before = check_failures;
	const char *why;

	skip_reason = NULL;
	why = c->run();
	if (why) {
		print_line("FAIL", c->name, "%s", why);
		check_failures++;
		failed++;
	} else if (check_failures > before) {
		print_line("FAIL", c->name, "%d of its checks failed",
			   check_failures - before);
		check_failures++;
		failed++;
	} else if (skip_reason) {
		print_line("SKIP", c->name, "%s", skip_reason);
		skipped++;
	} else {
		print_line("PASS", c->name, NULL);
		passed++;
	}
	skip_reason = NULL;
}

int check_summary(void)
{
	printf("%s: %u case(s) passed, %u failed, %u skipped\n",
	       check_failures ? "FAIL" : "PASS", passed, failed, skipped);
	return check_failures ? 1 : 0;
}

char task_state(int tid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return '?';
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return '?';
	buf[n] = 0;
	/* "tid (comm) S ...": comm may hold anything. */
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : '?';
}
