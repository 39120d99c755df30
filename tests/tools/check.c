// SPDX-License-Identifier: LGPL-2.1-or-later
/* Case reporting, see check.h. */
#include "check.h"

#include <stdarg.h>
#include <stdio.h>

int check_failures;

void result(const char *name, bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s %s", ok ? "PASS" : "FAIL", name);
	if (!ok && fmt) {
		printf(": ");
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
	}
	printf("\n");
	fflush(stdout);
	if (!ok)
		check_failures++;
}

int check_summary(void)
{
	printf("%s: %d case(s) failed\n", check_failures ? "FAIL" : "PASS",
	       check_failures);
	return check_failures ? 1 : 0;
}
