/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ramflash command line: chip presets and the option parser.
 */
#ifndef RAMFLASH_OPTIONS_H
#define RAMFLASH_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sim.h"

/* A --chip preset. */
struct rf_chip {
	const char *name;
	const char *description;
	struct rf_geometry geo;
};

/* The presets, ending with an entry whose name is NULL. */
extern const struct rf_chip rf_chips[];

/* The chip used when neither --chip nor --type is given. */
#define RF_DEFAULT_CHIP		"slc-32m"
#define RF_DEFAULT_THREADS	2
#define RF_DEFAULT_NAME		"ramflash"
#define RF_DEFAULT_DEVICE	"/dev/muse"

enum rf_verbosity {
	RF_QUIET,	/* errors only */
	RF_NORMAL,	/* plus the registered geometry and the exit report */
	RF_VERBOSE,	/* plus every injected fault and refused request */
};

struct rf_options {
	struct rf_config cfg;		/* geometry completed, faults set */
	const char *name;		/* MTD name */
	const char *partitions;		/* mtdparts syntax or NULL */
	uint32_t max_io;		/* bytes, 0: one eraseblock */
	const char *device;
	const char *stats_path;		/* NULL: no JSON */
	const char *svg_path;		/* NULL: no picture */
	const char *control_path;	/* --control socket, NULL: none */
	const char *trace_path;		/* NULL: no --trace */
	bool trace_full;		/* --trace-data full */
	int ready_fd;			/* --ready-fd, -1: none */
	const char *pidfile;		/* --pidfile or NULL */
	unsigned int threads;
	enum rf_verbosity verbosity;
	bool print_mtd;			/* print the description and exit */
	bool compat;			/* speak MUSE v2 only */
	bool no_passthrough;		/* serve every read ourselves */
	bool no_kernel_erase;		/* and every erase */
	bool no_kernel_program;		/* and every write */
	char **rerun_args;		/* the --rerun report's options, which
					 * the fields above may reference */
	size_t rerun_nargs;
	struct rf_event *rerun_events;	/* its --control commands, replayed
					 * at their request indices */
	size_t rerun_nevents;
};

/* rf_options_parse() results besides a negative errno. */
enum rf_parse_result {
	RF_PARSE_RUN,	/* serve with @opts */
	RF_PARSE_DONE,	/* --help, --list-chips or --version was printed */
};

/**
 * rf_options_parse() - parse the command line.
 * @opts:	receives the options; free with rf_options_free() whatever
 *		the result.
 * @argc:	argument count.
 * @argv:	arguments; strings are referenced, not copied.  With
 *		--rerun REPORT the options REPORT recorded come first, so
 *		those of @argv override them.
 * @out:	where --help, --list-chips and --version print.
 * @err:	receives a one-line reason on failure.
 * @errlen:	size of @err.
 *
 * Return: enum rf_parse_result, or -EINVAL with @err set.
 */
int rf_options_parse(struct rf_options *opts, int argc, char *argv[],
		     FILE *out, char *err, size_t errlen);

/* rf_options_free() - release the block lists held by @opts. */
void rf_options_free(struct rf_options *opts);

/**
 * rf_parse_size() - parse "4096", "0x1000", "128K", "32M", "1G" (also
 * "KiB"/"MiB"/"GiB").
 * @text:	the text.
 * @out:	receives the bytes.
 *
 * Return: 0, or -EINVAL for anything else or an overflow.
 */
int rf_parse_size(const char *text, uint64_t *out);

/* rf_find_chip() - the preset called @name, or NULL. */
const struct rf_chip *rf_find_chip(const char *name);

/* rf_print_geometry() - one line describing @geo, as registered. */
void rf_print_geometry(FILE *out, const char *name,
		       const struct rf_geometry *geo);

#endif /* RAMFLASH_OPTIONS_H */
