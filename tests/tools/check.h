/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Case reporting of the raw-peer test programs: one line per case,
 * "PASS name" or "FAIL name: why"; check_failures counts the FAILs.
 */
#ifndef CHECK_H
#define CHECK_H

#include <stdbool.h>

extern int check_failures;

/* Report a case; fmt (printf style, may be NULL) says why it failed. */
void result(const char *name, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The summary line; returns the exit status (0 or 1). */
int check_summary(void);

#endif /* CHECK_H */
