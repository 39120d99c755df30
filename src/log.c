// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The log hook (muse_set_log_func()): every message of the library goes
 * through one process-wide function, as libfuse's fuse_set_log_func(), so
 * that a server running as a daemon or under a test harness decides where
 * it ends up.
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>

#include "muse_i.h"

/* A log function formats what it gets: the format is checked by muse_log(). */
__attribute__((format(printf, 2, 0)))
static void log_to_stderr(enum muse_log_level level, const char *fmt,
			  va_list ap)
{
	(void)level;
	vfprintf(stderr, fmt, ap);
}

/* NULL stands for the default, so that no initialiser has to run. */
static _Atomic(muse_log_func_t) log_func;

void muse_set_log_func(muse_log_func_t func)
{
	atomic_store(&log_func, func);
}

void muse_log(enum muse_log_level level, const char *fmt, ...)
{
	muse_log_func_t func = atomic_load(&log_func);
	va_list ap;

	if (!func)
		func = log_to_stderr;
	va_start(ap, fmt);
	func(level, fmt, ap);
	va_end(ap);
}
