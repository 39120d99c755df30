// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ramflash-trace sweep (sweep.h): cut points chosen from one pass over the
 * trace, each torn by a replay of its own (replay.c, so every image is
 * the one --power-cut-after would have left) and handed to the checker.
 */
#define _GNU_SOURCE	/* setenv, strchrnul */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "faults.h"
#include "replay.h"
#include "sweep.h"
#include "trace-read.h"

struct rf_cut {
	uint64_t number;
	enum rf_trace_kind kind;
	uint64_t addr;
};

struct rf_cuts {
	struct rf_cut *items;
	size_t count, size;
};

static int rf_cuts_add(struct rf_cuts *c, const struct rf_trace_rec *rec)
{
	struct rf_cut *grown;

	if (c->count == c->size) {
		c->size = c->size ? 2 * c->size : 256;
		grown = realloc(c->items, c->size * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		c->items = grown;
	}
	c->items[c->count++] = (struct rf_cut){ rec->number, rec->kind,
						rec->addr };
	return 0;
}

/* A record a power cut can tear: a program or erase that reached flash. */
static bool rf_tearable(const struct rf_trace_rec *rec)
{
	if (rec->result == -EINVAL || rec->result == RF_POWER_CUT)
		return false;
	return (rec->kind == RF_TRACE_WRITE && (rec->len || rec->ooblen)) ||
	       rec->kind == RF_TRACE_ERASE ||
	       rec->kind == RF_TRACE_KERNEL_ERASE;
}

static bool rf_is_marker(const struct rf_trace_rec *rec, const char *text)
{
	return text && rec->kind == RF_TRACE_MARKER &&
	       rec->payload_len == strlen(text) &&
	       !memcmp(rec->payload, text, rec->payload_len);
}

/* Every cut point of the range @sw names, in record order. */
static int rf_collect(const struct rf_sweep *sw, struct rf_cuts *cuts,
		      char *err, size_t errlen)
{
	bool started = !sw->after_marker, stopped = false;
	struct rf_trace_reader r;
	struct rf_trace_rec rec;
	int ret;

	ret = rf_trace_read_open(&r, sw->trace, err, errlen);
	while (!ret && !stopped &&
	       (ret = rf_trace_read_next(&r, &rec, err, errlen)) > 0) {
		ret = 0;
		if (!started) {
			started = rf_is_marker(&rec, sw->after_marker);
			continue;
		}
		/* A replay cannot go past a live change of the chip. */
		stopped = rf_is_marker(&rec, sw->before_marker) ||
			  (sw->to && rec.number > sw->to) ||
			  rec.kind == RF_TRACE_CONTROL;
		if (!stopped && rec.number >= sw->from && rf_tearable(&rec))
			ret = rf_cuts_add(cuts, &rec);
		if (ret)
			snprintf(err, errlen, "out of memory");
	}
	rf_trace_read_close(&r);
	if (ret < 0)
		return ret;
	if (!started) {
		snprintf(err, errlen, "%s: no marker \"%s\"", sw->trace,
			 sw->after_marker);
		return -EINVAL;
	}
	return 0;
}

/* Keep the cut points @sw chooses (--only, --every, --sample). */
static int rf_choose(const struct rf_sweep *sw, struct rf_cuts *cuts,
		     char *err, size_t errlen)
{
	uint64_t state = sw->seed;
	struct rf_cut t;
	size_t i, j, n = 0;

	for (i = 0; sw->only && i < cuts->count; i++)
		if (cuts->items[i].number == sw->only)
			cuts->items[n++] = cuts->items[i];
	if (sw->only && !n) {
		snprintf(err, errlen, "%s: record %" PRIu64 " is not a cut point (a program or erase that reached the flash) in the range",
			 sw->trace, sw->only);
		return -EINVAL;
	}
	if (sw->only) {
		cuts->count = n;
		return 0;
	}
	if (sw->sample && sw->sample < cuts->count) {
		/* The first @sample of a seeded shuffle, in record order. */
		for (i = 0; i < sw->sample; i++) {
			j = i + rf_splitmix64(&state) % (cuts->count - i);
			t = cuts->items[i];
			cuts->items[i] = cuts->items[j];
			cuts->items[j] = t;
		}
		cuts->count = sw->sample;
		for (i = 1; i < cuts->count; i++)
			for (j = i; j && cuts->items[j - 1].number >
				       cuts->items[j].number; j--) {
				t = cuts->items[j];
				cuts->items[j] = cuts->items[j - 1];
				cuts->items[j - 1] = t;
			}
	} else if (!sw->sample && sw->every > 1) {
		for (i = 0; i < cuts->count; i += sw->every)
			cuts->items[n++] = cuts->items[i];
		cuts->count = n;
	}
	if (!cuts->count) {
		snprintf(err, errlen, "%s: no program or erase to cut in the range",
			 sw->trace);
		return -EINVAL;
	}
	return 0;
}

/* ---- the checker ---- */

struct rf_check {
	char image[4096];
	char log[4096];
	char status[32];	/* "pass", "fail exit 1", "fail timeout" */
	char first[160];	/* the log's first line */
	bool pass;
};

static void rf_child(const struct rf_sweep *sw, const struct rf_check *c,
		     const char *number)
{
	size_t n = 0;
	char **argv;
	int fd;

	setpgid(0, 0);
	fd = open(c->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
		_exit(127);
	while (sw->checker[n])
		n++;
	argv = calloc(n + 3, sizeof(*argv));
	if (!argv)
		_exit(127);
	memcpy(argv, sw->checker, n * sizeof(*argv));
	argv[n] = (char *)c->image;
	argv[n + 1] = (char *)number;
	setenv("RAMFLASH_TRACE_IMAGE", c->image, 1);
	setenv("RAMFLASH_TRACE_CUT", number, 1);
	execvp(argv[0], argv);
	fprintf(stderr, "ramflash-trace: cannot run %s: %s\n", argv[0],
		strerror(errno));
	_exit(127);
}

/* Wait for @pid at most @timeout seconds (0: for ever); -1 on timeout. */
static int rf_wait(pid_t pid, unsigned int timeout, int *status)
{
	struct timespec tick = { 0, 10 * 1000 * 1000 };
	uint64_t ticks = (uint64_t)timeout * 100;
	pid_t got;

	for (;;) {
		got = waitpid(pid, status, timeout ? WNOHANG : 0);
		if (got == pid)
			return 0;
		if (got < 0 && errno != EINTR)
			return -errno;
		if (got == 0 && !ticks--) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			waitpid(pid, status, 0);
			return -1;
		}
		if (got == 0)
			nanosleep(&tick, NULL);
	}
}

static void rf_first_line(const char *path, char *out, size_t len)
{
	FILE *f = fopen(path, "r");

	out[0] = '\0';
	if (!f)
		return;
	if (fgets(out, (int)len, f))
		*strchrnul(out, '\n') = '\0';
	fclose(f);
}

static int rf_check(const struct rf_sweep *sw, uint64_t number,
		    struct rf_check *c, char *err, size_t errlen)
{
	char num[24];
	int status = 0, ret;
	pid_t pid;

	snprintf(num, sizeof(num), "%" PRIu64, number);
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		snprintf(err, errlen, "fork: %s", strerror(errno));
		return ret;
	}
	if (!pid)
		rf_child(sw, c, num);
	ret = rf_wait(pid, sw->timeout, &status);
	if (ret < -1) {
		snprintf(err, errlen, "waitpid: %s", strerror(-ret));
		return ret;
	}
	c->pass = !ret && WIFEXITED(status) && !WEXITSTATUS(status);
	if (ret)
		snprintf(c->status, sizeof(c->status), "fail timeout");
	else if (WIFSIGNALED(status))
		snprintf(c->status, sizeof(c->status), "fail signal %d",
			 WTERMSIG(status));
	else
		snprintf(c->status, sizeof(c->status), c->pass ? "pass" :
			 "fail exit %d", WEXITSTATUS(status));
	rf_first_line(c->log, c->first, sizeof(c->first));
	return 0;
}

/* Tear record @cut->number into its image and check it. */
static int rf_sweep_one(const struct rf_sweep *sw, const struct rf_cut *cut,
			FILE *report, uint64_t *failed, char *err,
			size_t errlen)
{
	struct rf_replay rp = { .trace = sw->trace, .upto = cut->number,
				.power_cut = true };
	struct rf_check c;
	int ret;

	memset(&c, 0, sizeof(c));
	snprintf(c.image, sizeof(c.image), "%s/cut-%" PRIu64 ".img", sw->dir,
		 cut->number);
	snprintf(c.log, sizeof(c.log), "%s/cut-%" PRIu64 ".log", sw->dir,
		 cut->number);
	rp.image = c.image;
	unlink(c.image);
	ret = rf_replay_run(&rp, err, errlen);
	if (!ret)
		ret = rf_check(sw, cut->number, &c, err, errlen);
	if (ret)
		return ret;
	*failed += !c.pass;
	if (c.pass && !sw->keep)
		unlink(c.image);
	printf("%" PRIu64 " %s 0x%" PRIx64 " %s %s\n", cut->number,
	       rf_trace_kind_name(cut->kind), cut->addr, c.status, c.first);
	fflush(stdout);
	fprintf(report, "%" PRIu64 " %s 0x%" PRIx64 " %s %s\n", cut->number,
		rf_trace_kind_name(cut->kind), cut->addr, c.status, c.first);
	if (!fflush(report))
		return 0;
	snprintf(err, errlen, "cannot write %s/report.txt: %s", sw->dir,
		 strerror(errno));
	return -EIO;
}

int rf_sweep_run(const struct rf_sweep *sw, uint64_t *failed, char *err,
		 size_t errlen)
{
	struct rf_cuts cuts = { 0 };
	char path[4096];
	FILE *report = NULL;
	size_t i;
	int ret;

	*failed = 0;
	ret = rf_collect(sw, &cuts, err, errlen);
	if (!ret)
		ret = rf_choose(sw, &cuts, err, errlen);
	if (!ret && mkdir(sw->dir, 0755) && errno != EEXIST) {
		ret = -errno;
		snprintf(err, errlen, "cannot make %s: %s", sw->dir,
			 strerror(errno));
	}
	snprintf(path, sizeof(path), "%s/report.txt", sw->dir);
	if (!ret) {
		report = fopen(path, "w");
		if (!report) {
			ret = -errno;
			snprintf(err, errlen, "cannot write %s: %s", path,
				 strerror(errno));
		}
	}
	for (i = 0; !ret && i < cuts.count; i++)
		ret = rf_sweep_one(sw, &cuts.items[i], report, failed, err,
				   errlen);
	if (!ret)
		printf("%zu cut points, %" PRIu64 " failed\n", cuts.count,
		       *failed);
	if (report)
		fclose(report);
	free(cuts.items);
	return ret;
}
