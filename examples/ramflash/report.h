/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ramflash --rerun: the options a --stats report recorded, read back, and
 * the JSON strings that record them.
 */
#ifndef RAMFLASH_REPORT_H
#define RAMFLASH_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "sim.h"

/*
 * The version of the --stats JSON.  A reader of another version refuses
 * the report rather than guess; add one when a field changes meaning.
 */
#define RF_REPORT_SCHEMA	1

/* rf_json_write_string() - @s as a JSON string, quotes and escapes. */
void rf_json_write_string(FILE *out, const char *s);

/**
 * rf_report_read_options() - the options a --stats report recorded.
 * @path:	the report.
 * @args:	receives the options, "--name" and value strings as they
 *		were given; free with rf_report_free_options().
 * @nargs:	receives their number.
 * @events:	receives the "control" list (commands and markers of
 *		--control, by request index), free with rf_report_free_events();
 *		none in a report without one.
 * @nevents:	receives their number.
 * @err:	receives a one-line reason on failure.
 * @errlen:	size of @err.
 *
 * Return: 0; -EINVAL for a file that is not a JSON object with the
 * "schema" RF_REPORT_SCHEMA and an "options" array of strings, or whose
 * "control" is not a list of {"request": N, "command"|"marker": TEXT} in
 * request order; -ENOMEM; the errno of a file that cannot be read.
 */
int rf_report_read_options(const char *path, char ***args, size_t *nargs,
			   struct rf_event **events, size_t *nevents,
			   char *err, size_t errlen);

/* rf_report_free_events() - free what rf_report_read_options() gave. */
void rf_report_free_events(struct rf_event *events, size_t nevents);

/* rf_report_free_options() - free what rf_report_read_options() gave. */
void rf_report_free_options(char **args, size_t nargs);

#endif /* RAMFLASH_REPORT_H */
