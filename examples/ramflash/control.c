// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ramflash live control (control.h).
 *
 * libmuse's loops poll only the session's fd, and with --threads (2 by
 * default) several workers run requests at once; so the socket has a
 * thread of its own, and the simulator is kept still for a command by a
 * gate every request passes (rf_ctl_enter()/rf_ctl_leave()): a command
 * waits until no request is inside, changes the chip, and lets them in
 * again.  It therefore takes effect between two requests, and the number
 * of requests admitted before it (its request index) says where: the same
 * seed, the same requests and the same commands at the same indices give
 * the same run.  freeze keeps the gate shut until release.
 *
 * The kernel serves some reads, erases and programs without a request
 * (read passthrough, kernel erase, kernel program).  Before a command
 * sets a fault the kernel would not show, the blocks concerned are taken
 * back from it, synchronously; freeze and a power cut take back every
 * block (a power cut armed for later leaves them to the module's budget
 * when it has one); what the chip allows again is handed back when a
 * command lifts a fault and after release.
 */
#define _GNU_SOURCE	/* accept4, pipe2, struct ucred */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control.h"
#include "stats.h"
#include "svg.h"

/* While frozen the thread looks this often whether the session ended. */
#define RF_CTL_FROZEN_POLL_MS	200

/* ---- the gate ---- */

static void rf_ctl_apply_replayed(struct rf_ctl *ctl, const struct rf_event *ev);

/* Under ctl->lock: the next replayed command is due now. */
static bool rf_ctl_replay_due(const struct rf_ctl *ctl)
{
	return ctl->replay_next < ctl->replay_count &&
	       ctl->replay[ctl->replay_next].request <= ctl->requests;
}

void rf_ctl_enter(struct rf_ctl *ctl)
{
	const struct rf_event *ev;

	if (!ctl)
		return;
	pthread_mutex_lock(&ctl->lock);
	ctl->held++;
	for (;;) {
		while (ctl->exclusive)
			pthread_cond_wait(&ctl->cond, &ctl->lock);
		if (rf_ctl_replay_due(ctl)) {
			/* As the control thread would: none inside. */
			ctl->exclusive = true;
			while (ctl->active)
				pthread_cond_wait(&ctl->cond, &ctl->lock);
			ev = &ctl->replay[ctl->replay_next++];
			pthread_mutex_unlock(&ctl->lock);
			rf_ctl_apply_replayed(ctl, ev);
			pthread_mutex_lock(&ctl->lock);
			ctl->exclusive = false;
			pthread_cond_broadcast(&ctl->cond);
			continue;
		}
		if (!atomic_load(&ctl->frozen))
			break;
		pthread_cond_wait(&ctl->cond, &ctl->lock);
	}
	ctl->held--;
	ctl->active++;
	ctl->requests++;
	pthread_mutex_unlock(&ctl->lock);
}

void rf_ctl_leave(struct rf_ctl *ctl)
{
	if (!ctl)
		return;
	pthread_mutex_lock(&ctl->lock);
	if (!--ctl->active)
		pthread_cond_broadcast(&ctl->cond);
	pthread_mutex_unlock(&ctl->lock);
}

bool rf_ctl_frozen(struct rf_ctl *ctl)
{
	return ctl && atomic_load(&ctl->frozen);
}

/* Shut the gate and wait for the requests inside; their count so far. */
static uint64_t rf_ctl_begin(struct rf_ctl *ctl)
{
	uint64_t requests;

	pthread_mutex_lock(&ctl->lock);
	/* A replayed command may be applying. */
	while (ctl->exclusive)
		pthread_cond_wait(&ctl->cond, &ctl->lock);
	ctl->exclusive = true;
	while (ctl->active)
		pthread_cond_wait(&ctl->cond, &ctl->lock);
	requests = ctl->requests;
	pthread_mutex_unlock(&ctl->lock);
	return requests;
}

static void rf_ctl_end(struct rf_ctl *ctl)
{
	pthread_mutex_lock(&ctl->lock);
	ctl->exclusive = false;
	pthread_cond_broadcast(&ctl->cond);
	pthread_mutex_unlock(&ctl->lock);
}

/* Open the gate after a freeze; returns the requests that were held. */
static unsigned int rf_ctl_thaw(struct rf_ctl *ctl)
{
	unsigned int held;

	pthread_mutex_lock(&ctl->lock);
	atomic_store(&ctl->frozen, false);
	held = ctl->held;
	pthread_cond_broadcast(&ctl->cond);
	pthread_mutex_unlock(&ctl->lock);
	if (ctl->thaw)
		ctl->thaw(ctl->thaw_arg);
	return held;
}

void rf_ctl_init(struct rf_ctl *ctl, struct rf_sim *sim, struct rf_pt *pt,
		 struct muse_session *se, const char *name)
{
	size_t i;

	memset(ctl, 0, sizeof(*ctl));
	pthread_mutex_init(&ctl->lock, NULL);
	pthread_cond_init(&ctl->cond, NULL);
	atomic_init(&ctl->frozen, false);
	ctl->sim = sim;
	ctl->pt = pt;
	ctl->se = se;
	ctl->name = name;
	ctl->listen_fd = -1;
	ctl->wake[0] = ctl->wake[1] = -1;
	for (i = 0; i < RF_CTL_CLIENTS; i++)
		ctl->clients[i].fd = -1;
}

void rf_ctl_destroy(struct rf_ctl *ctl)
{
	pthread_cond_destroy(&ctl->cond);
	pthread_mutex_destroy(&ctl->lock);
}

/* ---- commands ---- */

/* The words of a request; a command's last word may be the line's rest. */
#define RF_CTL_WORDS	4

struct rf_ctl_args {
	int count;
	const char *word[RF_CTL_WORDS];
	size_t len[RF_CTL_WORDS];
	char *rest;			/* the line after the verb, trimmed */
};

struct rf_ctl_cmd;

/* Applies a command whose arguments were checked; fills @ack after "ok ". */
typedef int (*rf_ctl_fn)(struct rf_ctl *ctl, const struct rf_ctl_cmd *cmd,
			 const struct rf_ctl_args *a, char *ack, size_t acklen);

struct rf_ctl_cmd {
	const char *verb;
	const char *usage;		/* the arguments */
	int min, max;			/* words after the verb; max -1: text */
	rf_ctl_fn fn;
	bool recorded;			/* a change: in the report's list */
};

static int rf_ack(char *ack, size_t acklen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int rf_ack(char *ack, size_t acklen, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ack, acklen, fmt, ap);
	va_end(ap);
	return ret;
}

/* Word @i as a number in [min, max]: decimal, or hexadecimal after 0x. */
static int rf_ctl_number(const struct rf_ctl_args *a, int i, const char *what,
			 uint64_t min, uint64_t max, uint64_t *out, char *ack,
			 size_t acklen)
{
	const char *s = a->word[i];
	size_t n = a->len[i], k = 0;
	unsigned int base = 10, digit;
	uint64_t v = 0;

	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		k = 2;
	}
	for (; k < n; k++) {
		if (s[k] >= '0' && s[k] <= '9')
			digit = (unsigned int)(s[k] - '0');
		else if (base == 16 && s[k] >= 'a' && s[k] <= 'f')
			digit = (unsigned int)(s[k] - 'a' + 10);
		else if (base == 16 && s[k] >= 'A' && s[k] <= 'F')
			digit = (unsigned int)(s[k] - 'A' + 10);
		else
			return rf_ack(ack, acklen, -EINVAL,
				      "%s: '%.*s' is not a number", what,
				      (int)n, s);
		if (v > (UINT64_MAX - digit) / base)
			return rf_ack(ack, acklen, -ERANGE,
				      "%s: '%.*s' is too large", what, (int)n, s);
		v = v * base + digit;
	}
	if (v < min || v > max)
		return rf_ack(ack, acklen, -ERANGE,
			      "%s: %" PRIu64 " is not in [%" PRIu64 ", %" PRIu64 "]",
			      what, v, min, max);
	*out = v;
	return 0;
}

/* The pages and blocks of the chip, for the range checks. */
static uint64_t rf_ctl_units(const struct rf_ctl *ctl, bool pages)
{
	const struct rf_geometry *geo = rf_sim_geometry(ctl->sim);

	return pages ? geo->size / geo->page_size : rf_sim_blocks(ctl->sim);
}

static int rf_ctl_unit(struct rf_ctl *ctl, const struct rf_ctl_args *a,
		       bool pages, uint64_t *unit, char *ack, size_t acklen)
{
	return rf_ctl_number(a, 0, pages ? "page" : "block", 0,
			     rf_ctl_units(ctl, pages) - 1, unit, ack, acklen);
}

/* Take @block back from the kernel before a fault on it; 0 or an ack. */
static int rf_ctl_take_back(struct rf_ctl *ctl, uint64_t block, char *ack,
			    size_t acklen)
{
	int ret = ctl->pt ? rf_pt_take_back(ctl->pt, block, 1, RF_PT_ALL) : 0;

	if (ret)
		return rf_ack(ack, acklen, ret,
			      "cannot take block %" PRIu64 " back from the kernel: %s",
			      block, strerror(-ret));
	return 0;
}

/* Take every block back from what @what names (RF_PT_*); 0 or an ack. */
static int rf_ctl_take_back_all(struct rf_ctl *ctl, unsigned int what,
				char *ack, size_t acklen)
{
	int ret = 0;

	if (ctl->pt)
		ret = rf_pt_take_back(ctl->pt, 0, rf_sim_blocks(ctl->sim),
				      what);
	if (ret) {
		rf_pt_refresh(ctl->pt);
		return rf_ack(ack, acklen, ret,
			      "cannot take the blocks back from the kernel: %s",
			      strerror(-ret));
	}
	return 0;
}

static void rf_ctl_refresh(struct rf_ctl *ctl)
{
	if (ctl->pt)
		rf_pt_refresh(ctl->pt);
}

static int rf_ctl_power_cut(struct rf_ctl *ctl, const struct rf_ctl_cmd *cmd,
			    const struct rf_ctl_args *a, char *ack,
			    size_t acklen)
{
	uint64_t ops, torn;
	int ret;

	if (rf_sim_power_cut_done(ctl->sim))
		return rf_ack(ack, acklen, -EINVAL, "the power is off already");
	if (a->count == 0) {
		if (ctl->pt)
			rf_pt_power_cut(ctl->pt);
		rf_sim_power_off(ctl->sim);
		/* Held requests fail now; the loop ends, ramflash exits 3. */
		rf_ctl_thaw(ctl);
		if (ctl->se)
			muse_session_exit(ctl->se);
		return rf_ack(ack, acklen, 0, "power cut: every request fails from now on, ramflash exits with status 3");
	}
	if (a->count != 2 || a->len[0] != 5 || strncmp(a->word[0], "after", 5))
		return rf_ack(ack, acklen, -EINVAL, "usage: power-cut [after N]");
	ret = rf_ctl_number(a, 1, "operations", 0, UINT64_MAX - 1, &ops, ack,
			    acklen);
	if (ret)
		return ret;
	/*
	 * The kernel's own erases and programs count in the module's budget;
	 * without one they would not count, nor be torn: they stop first.
	 */
	if (!ctl->pt || !ctl->pt->budget_on) {
		ret = rf_ctl_take_back_all(ctl, RF_PT_ERASES | RF_PT_PROGRAMS,
					   ack, acklen);
		if (ret)
			return ret;
	}
	torn = rf_sim_arm_power_cut(ctl->sim, ops);
	/* Failures are printed; then the kernel stops as without one. */
	if (ctl->pt)
		rf_pt_arm_power_cut(ctl->pt);
	return rf_ack(ack, acklen, 0,
		      "power cut after %" PRIu64 " more programs/erases: operation %" PRIu64 " of this run is torn",
		      ops, torn + 1);
}

/* fail-program, fail-erase, grave, flip-bits: a live fault in the core. */
static int rf_ctl_live(struct rf_ctl *ctl, const struct rf_ctl_cmd *cmd,
		       const struct rf_ctl_args *a, char *ack, size_t acklen)
{
	static const struct {
		const char *verb;
		enum rf_live_kind kind;
		uint64_t min, dflt;
		const char *what;	/* the count */
		const char *does, *then;	/* the ack: unit N does K then */
	} kinds[] = {
		{ "fail-program", RF_LIVE_FAIL_PROGRAM, 1, 1, "programs",
		  "fails its next", "program(s)" },
		{ "fail-erase", RF_LIVE_FAIL_ERASE, 1, 1, "erases",
		  "fails its next", "erase(s)" },
		{ "grave", RF_LIVE_GRAVE, 0, 0, "reads", "reads garbage after",
		  "more read(s), until its block is erased" },
		{ "flip-bits", RF_LIVE_FLIP, 1, 1, "bits", "reads with",
		  "bit(s) of its first ECC step flipped, once" },
	};
	uint64_t unit, count, block;
	char err[160];
	size_t k;
	int ret;

	for (k = 0; strcmp(kinds[k].verb, cmd->verb); k++)
		;
	ret = rf_ctl_unit(ctl, a, kinds[k].kind != RF_LIVE_FAIL_ERASE, &unit,
			  ack, acklen);
	count = kinds[k].dflt;
	if (!ret && a->count > 1)
		ret = rf_ctl_number(a, 1, kinds[k].what, kinds[k].min,
				    UINT32_MAX, &count, ack, acklen);
	if (ret)
		return ret;
	ret = rf_sim_live_add(ctl->sim, kinds[k].kind, unit, (uint32_t)count,
			      err, sizeof(err));
	if (ret)
		return rf_ack(ack, acklen, ret, "%s", err);
	/* No request about the block runs: the fault is not met yet. */
	if (kinds[k].kind == RF_LIVE_FAIL_ERASE) {
		block = unit;
	} else {
		const struct rf_geometry *geo = rf_sim_geometry(ctl->sim);

		block = unit * geo->page_size / geo->erase_size;
	}
	ret = rf_ctl_take_back(ctl, block, ack, acklen);
	if (ret) {
		rf_sim_live_cancel(ctl->sim, kinds[k].kind, unit);
		return ret;
	}
	return rf_ack(ack, acklen, 0, "%s %" PRIu64 " %s %" PRIu64 " %s",
		      kinds[k].kind == RF_LIVE_FAIL_ERASE ? "block" : "page",
		      unit, kinds[k].does, count, kinds[k].then);
}

static int rf_ctl_mark_bad(struct rf_ctl *ctl, const struct rf_ctl_cmd *cmd,
			   const struct rf_ctl_args *a, char *ack,
			   size_t acklen)
{
	uint64_t block;
	char err[160];
	int ret;

	ret = rf_ctl_unit(ctl, a, false, &block, ack, acklen);
	if (ret)
		return ret;
	if (rf_sim_check_grow_bad(ctl->sim, block, err, sizeof(err)))
		return rf_ack(ack, acklen, -EINVAL, "%s", err);
	/* A kernel erase would punch the marker away. */
	ret = rf_ctl_take_back(ctl, block, ack, acklen);
	if (ret)
		return ret;
	ret = rf_sim_grow_bad(ctl->sim, block, err, sizeof(err));
	if (ret) {
		rf_ctl_refresh(ctl);
		return rf_ack(ack, acklen, ret, "%s", err);
	}
	return rf_ack(ack, acklen, 0,
		      "block %" PRIu64 " is bad: marker written, ISBAD says so, erases fail",
		      block);
}

/*
 * bitflip-rate, read-disturb: the flip models change what reads return,
 * so the kernel reads nothing itself while one is on.  @rate < 0: set
 * read disturb to @reads.
 */
static int rf_ctl_set_flips(struct rf_ctl *ctl, double rate, uint32_t reads,
			    char *ack, size_t acklen)
{
	char err[160];
	int ret;

	if (!rf_type_is_nand(rf_sim_geometry(ctl->sim)->type))
		return rf_ack(ack, acklen, -EINVAL,
			      "bit-flip models need a NAND type");
	ret = rf_ctl_take_back_all(ctl, RF_PT_READS, ack, acklen);
	if (ret)
		return ret;
	ret = rate >= 0 ? rf_sim_set_bitflip_rate(ctl->sim, rate, err,
						  sizeof(err)) :
			  rf_sim_set_read_disturb(ctl->sim, reads, err,
						  sizeof(err));
	/* Hand back what the chip allows: all of it when both are off. */
	rf_ctl_refresh(ctl);
	return ret ? rf_ack(ack, acklen, ret, "%s", err) : 0;
}

static int rf_ctl_bitflip_rate(struct rf_ctl *ctl, const struct rf_ctl_cmd *cmd,
			       const struct rf_ctl_args *a, char *ack,
			       size_t acklen)
{
	char text[40], *end;
	double rate;
	int ret;

	if (a->len[0] >= sizeof(text))
		return rf_ack(ack, acklen, -EINVAL, "rate: '%.*s' is not a number",
			      (int)a->len[0], a->word[0]);
	memcpy(text, a->word[0], a->len[0]);
	text[a->len[0]] = '\0';
	errno = 0;
	rate = strtod(text, &end);
	if (errno || end == text || *end || !isfinite(rate) || rate < 0 ||
	    rate > 1)
		return rf_ack(ack, acklen, -EINVAL,
			      "rate: '%s' is not a probability in [0, 1]", text);
	ret = rf_ctl_set_flips(ctl, rate, 0, ack, acklen);
	if (ret)
		return ret;
	return rf_ack(ack, acklen, 0, "bit-flip rate %g per ECC step and read",
		      rate);
}

static int rf_ctl_read_disturb(struct rf_ctl *ctl, const struct rf_ctl_cmd *cmd,
			       const struct rf_ctl_args *a, char *ack,
			       size_t acklen)
{
	uint64_t reads;
	int ret;

	ret = rf_ctl_number(a, 0, "reads", 0, UINT32_MAX, &reads, ack, acklen);
	if (!ret)
		ret = rf_ctl_set_flips(ctl, -1, (uint32_t)reads, ack, acklen);
	if (ret)
		return ret;
	if (!reads)
		return rf_ack(ack, acklen, 0, "read disturb off");
	return rf_ack(ack, acklen, 0,
		      "read disturb: every %" PRIu64 " reads of a block since its erase flip one more bit per ECC step",
		      reads);
}

static int rf_ctl_latency(struct rf_ctl *ctl, const struct rf_ctl_cmd *cmd,
			  const struct rf_ctl_args *a, char *ack,
			  size_t acklen)
{
	static const struct {
		const char *name;
		enum rf_latency which;
		unsigned int give_back;	/* RF_PT_*: what the kernel stops */
		const char *unit;
	} kinds[] = {
		{ "read", RF_LATENCY_READ, RF_PT_READS, "page read" },
		{ "program", RF_LATENCY_PROGRAM, RF_PT_PROGRAMS,
		  "page programmed" },
		{ "erase", RF_LATENCY_ERASE, RF_PT_ERASES, "block erased" },
	};
	uint64_t usec;
	size_t k;
	int ret;

	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		if (strlen(kinds[k].name) == a->len[0] &&
		    !strncmp(kinds[k].name, a->word[0], a->len[0]))
			break;
	if (k == sizeof(kinds) / sizeof(kinds[0]))
		return rf_ack(ack, acklen, -EINVAL,
			      "latency: '%.*s' is not read, program or erase",
			      (int)a->len[0], a->word[0]);
	ret = rf_ctl_number(a, 1, "microseconds", 0, UINT32_MAX, &usec, ack,
			    acklen);
	if (!ret)
		ret = rf_ctl_take_back_all(ctl, kinds[k].give_back, ack,
					   acklen);
	if (ret)
		return ret;
	rf_sim_set_latency(ctl->sim, kinds[k].which, (uint32_t)usec);
	rf_ctl_refresh(ctl);
	return rf_ack(ack, acklen, 0, "%s latency %" PRIu64 " us per %s",
		      kinds[k].name, usec, kinds[k].unit);
}

static int rf_ctl_freeze(struct rf_ctl *ctl, const struct rf_ctl_cmd *cmd,
			 const struct rf_ctl_args *a, char *ack, size_t acklen)
{
	int ret;

	if (atomic_load(&ctl->frozen))
		return rf_ack(ack, acklen, -EINVAL, "frozen already");
	/* The kernel must not serve granted blocks behind the freeze. */
	ret = rf_ctl_take_back_all(ctl, RF_PT_ALL, ack, acklen);
	if (ret)
		return ret;
	atomic_store(&ctl->frozen, true);
	/*
	 * A freeze made outside the control thread (--rerun's replay, a
	 * caller of rf_ctl_execute()) finds it asleep in poll() with no
	 * timeout: wake it, so that it starts looking whether the session
	 * ended, or a session that ends now would wait for ever on the
	 * requests held at the gate.
	 */
	if (ctl->running && write(ctl->wake[1], "f", 1) != 1)
		fprintf(stderr, "ramflash: control: freeze cannot wake the control thread: %s\n",
			strerror(errno));
	return rf_ack(ack, acklen, 0,
		      "frozen: every request is held, none answered, until release");
}

static int rf_ctl_release(struct rf_ctl *ctl, const struct rf_ctl_cmd *cmd,
			  const struct rf_ctl_args *a, char *ack,
			  size_t acklen)
{
	unsigned int held;

	if (!atomic_load(&ctl->frozen))
		return rf_ack(ack, acklen, -EINVAL, "not frozen");
	held = rf_ctl_thaw(ctl);
	rf_ctl_refresh(ctl);
	return rf_ack(ack, acklen, 0, "released: %u held request(s) go on",
		      held);
}

static int rf_ctl_snapshot(struct rf_ctl *ctl, const struct rf_ctl_cmd *cmd,
			   const struct rf_ctl_args *a, char *ack,
			   size_t acklen)
{
	bool svg = !strcmp(cmd->verb, "svg");
	int ret;

	if (ctl->pt)
		rf_pt_collect(ctl->pt);
	ret = svg ? rf_svg_save(ctl->sim, ctl->name, a->rest) :
		    rf_stats_save_json(ctl->sim, a->rest);
	if (ret)
		return rf_ack(ack, acklen, ret, "cannot write %s: %s", a->rest,
			      strerror(-ret));
	return rf_ack(ack, acklen, 0, "%s written to %s",
		      svg ? "wear SVG" : "stats JSON", a->rest);
}

static int rf_ctl_marker_cmd(struct rf_ctl *ctl, const struct rf_ctl_cmd *cmd,
			     const struct rf_ctl_args *a, char *ack,
			     size_t acklen)
{
	/* Recorded by rf_ctl_execute() through rf_ctl_marker(). */
	return rf_ack(ack, acklen, 0, "marker '%s'", a->rest);
}

static int rf_ctl_help(struct rf_ctl *ctl, const struct rf_ctl_cmd *cmd,
		       const struct rf_ctl_args *a, char *ack, size_t acklen);

static int rf_ctl_status(struct rf_ctl *ctl, const struct rf_ctl_cmd *cmd,
			 const struct rf_ctl_args *a, char *ack, size_t acklen)
{
	const struct rf_faults *f = &rf_sim_config(ctl->sim)->faults;
	uint64_t marked = 0, granted = 0, programs = 0;

	if (ctl->pt)
		rf_pt_counts(ctl->pt, &marked, &granted, &programs);
	return rf_ack(ack, acklen, 0,
		      "power %s, %s, %zu live fault(s), bit-flip rate %g, read disturb %" PRIu32
		      ", latency read %" PRIu32 " program %" PRIu32 " erase %" PRIu32
		      " us, power cut %s, kernel programs %" PRIu64 " block(s), kernel reads %" PRIu64
		      " block(s), kernel erases %" PRIu64 " block(s)",
		      rf_sim_power_cut_done(ctl->sim) ? "off" : "on",
		      atomic_load(&ctl->frozen) ? "frozen" : "running",
		      rf_sim_live_count(ctl->sim), f->bitflip_rate,
		      f->read_disturb, f->latency_read_us,
		      f->latency_program_us, f->latency_erase_us,
		      f->power_cut ? "armed" : "not armed", programs, marked,
		      granted);
}

/* The commands; doc/ramflash.md, "Live control", describes each. */
static const struct rf_ctl_cmd rf_ctl_cmds[] = {
	{ "power-cut", "[after N]", 0, 2, rf_ctl_power_cut, true },
	{ "fail-program", "PAGE [K]", 1, 2, rf_ctl_live, true },
	{ "fail-erase", "BLOCK [K]", 1, 2, rf_ctl_live, true },
	{ "grave", "PAGE N", 2, 2, rf_ctl_live, true },
	{ "flip-bits", "PAGE N", 2, 2, rf_ctl_live, true },
	{ "mark-bad", "BLOCK", 1, 1, rf_ctl_mark_bad, true },
	{ "bitflip-rate", "P", 1, 1, rf_ctl_bitflip_rate, true },
	{ "read-disturb", "N", 1, 1, rf_ctl_read_disturb, true },
	{ "latency", "read|program|erase US", 2, 2, rf_ctl_latency, true },
	{ "freeze", "", 0, 0, rf_ctl_freeze, true },
	{ "release", "", 0, 0, rf_ctl_release, true },
	{ "stats", "PATH", 1, -1, rf_ctl_snapshot, false },
	{ "svg", "PATH", 1, -1, rf_ctl_snapshot, false },
	{ "marker", "TEXT", 1, -1, rf_ctl_marker_cmd, false },
	{ "status", "", 0, 0, rf_ctl_status, false },
	{ "help", "", 0, 0, rf_ctl_help, false },
};

#define RF_CTL_NCMDS	(sizeof(rf_ctl_cmds) / sizeof(rf_ctl_cmds[0]))

static int rf_ctl_help(struct rf_ctl *ctl, const struct rf_ctl_cmd *cmd,
		       const struct rf_ctl_args *a, char *ack, size_t acklen)
{
	size_t i, used;

	used = (size_t)snprintf(ack, acklen, "commands:");
	for (i = 0; i < RF_CTL_NCMDS && used < acklen; i++)
		used += (size_t)snprintf(ack + used, acklen - used, "%s %s%s%s",
					 i ? "," : "", rf_ctl_cmds[i].verb,
					 *rf_ctl_cmds[i].usage ? " " : "",
					 rf_ctl_cmds[i].usage);
	return 0;
}

static bool rf_ctl_space(char c)
{
	return c == ' ' || c == '\t';
}

/* Split @line; -EINVAL with the ack filled for what cannot be a request. */
static int rf_ctl_split(char *line, const char **verb, size_t *verb_len,
			struct rf_ctl_args *a, char *ack, size_t acklen)
{
	char *p = line, *end;
	size_t i;

	memset(a, 0, sizeof(*a));
	for (i = 0; line[i]; i++)
		if ((unsigned char)line[i] < 0x20 && line[i] != '\t')
			return rf_ack(ack, acklen, -EINVAL,
				      "control character 0x%02x in the request",
				      (unsigned char)line[i]);
	while (rf_ctl_space(*p))
		p++;
	if (!*p)
		return rf_ack(ack, acklen, -EINVAL, "empty request (try help)");
	*verb = p;
	while (*p && !rf_ctl_space(*p))
		p++;
	*verb_len = (size_t)(p - *verb);
	while (rf_ctl_space(*p))
		p++;
	a->rest = p;
	while (*p) {
		if (a->count == RF_CTL_WORDS) {
			a->count++;
			break;
		}
		a->word[a->count] = p;
		while (*p && !rf_ctl_space(*p))
			p++;
		a->len[a->count] = (size_t)(p - a->word[a->count]);
		a->count++;
		while (rf_ctl_space(*p))
			p++;
	}
	/* The rest of the line, without trailing blanks. */
	end = a->rest + strlen(a->rest);
	while (end > a->rest && rf_ctl_space(end[-1]))
		end--;
	*end = '\0';
	return 0;
}

int rf_ctl_marker(struct rf_ctl *ctl, uint64_t request, const char *text)
{
	if (ctl->verbose)
		fprintf(stderr, "ramflash: marker at request %" PRIu64 ": %s\n",
			request, text);
	return rf_sim_record_event(ctl->sim, request, true, text);
}

/* No request index yet: rf_ctl_run() takes one through the gate. */
#define RF_CTL_GATE	UINT64_MAX

/*
 * rf_ctl_execute() at @request (the gate held by the caller), or through
 * the gate (RF_CTL_GATE).
 */
static int rf_ctl_run(struct rf_ctl *ctl, const char *line, uint64_t request,
		      char *ack, size_t acklen)
{
	char copy[RF_CTL_LINE_MAX + 1];
	const struct rf_ctl_cmd *cmd = NULL;
	struct rf_ctl_args a;
	const char *verb = NULL;
	size_t verb_len = 0, i, used;
	bool gated;
	int ret;

	/* Room for "error " and a reason. */
	if (acklen < 64)
		return -ENOBUFS;
	if (strlen(line) > RF_CTL_LINE_MAX) {
		snprintf(ack, acklen, "error request longer than %d bytes",
			 RF_CTL_LINE_MAX);
		return -E2BIG;
	}
	strcpy(copy, line);
	used = (size_t)snprintf(ack, acklen, "ok ");
	ret = rf_ctl_split(copy, &verb, &verb_len, &a, ack + used,
			   acklen - used);
	for (i = 0; !ret && i < RF_CTL_NCMDS && !cmd; i++)
		if (strlen(rf_ctl_cmds[i].verb) == verb_len &&
		    !strncmp(rf_ctl_cmds[i].verb, verb, verb_len))
			cmd = &rf_ctl_cmds[i];
	if (!ret && !cmd)
		ret = rf_ack(ack + used, acklen - used, -EINVAL,
			     "unknown command '%.*s' (try help)", (int)verb_len,
			     verb);
	if (!ret && (a.count < cmd->min ||
		     (cmd->max >= 0 && a.count > cmd->max)))
		ret = rf_ack(ack + used, acklen - used, -EINVAL,
			     "usage: %s%s%s", cmd->verb, *cmd->usage ? " " : "",
			     cmd->usage);
	if (ret)
		goto error;
	/* Between two requests: nothing in the simulator while it applies. */
	gated = request == RF_CTL_GATE;
	if (gated)
		request = rf_ctl_begin(ctl);
	ret = cmd->fn(ctl, cmd, &a, ack + used, acklen - used);
	if (!ret && cmd->fn == rf_ctl_marker_cmd)
		ret = rf_ctl_marker(ctl, request, a.rest);
	else if (!ret && cmd->recorded)
		ret = rf_sim_record_event(ctl->sim, request, false, line);
	if (gated)
		rf_ctl_end(ctl);
	if (ret == -ENOMEM)
		rf_ack(ack + used, acklen - used, ret, "out of memory");
	if (ret)
		goto error;
	used = strlen(ack);
	if (cmd->recorded || cmd->fn == rf_ctl_marker_cmd)
		snprintf(ack + used, acklen - used, " (at request %" PRIu64 ")",
			 request);
	if (ctl->verbose)
		fprintf(stderr, "ramflash: control: %s -> %s\n", line, ack);
	return 0;
error:
	/* "error " replaces "ok ", one byte longer. */
	memmove(ack + 6, ack + 3, acklen - 7);
	memcpy(ack, "error ", 6);
	ack[acklen - 1] = '\0';
	return ret;
}

int rf_ctl_execute(struct rf_ctl *ctl, const char *line, char *ack,
		   size_t acklen)
{
	return rf_ctl_run(ctl, line, RF_CTL_GATE, ack, acklen);
}

void rf_ctl_replay(struct rf_ctl *ctl, const struct rf_event *events,
		   size_t count)
{
	ctl->replay = events;
	ctl->replay_count = count;
	ctl->replay_next = 0;
}

/*
 * A --rerun report's command, at the request index it was recorded at
 * (the gate is the caller's); one that is refused now is said.
 */
static void rf_ctl_apply_replayed(struct rf_ctl *ctl, const struct rf_event *ev)
{
	char ack[RF_CTL_LINE_MAX];
	int ret;

	if (ev->marker) {
		ret = rf_ctl_marker(ctl, ev->request, ev->text);
		snprintf(ack, sizeof(ack), "error out of memory");
	} else {
		ret = rf_ctl_run(ctl, ev->text, ev->request, ack, sizeof(ack));
	}
	if (ret)
		fprintf(stderr, "ramflash: --rerun: '%s' at request %" PRIu64 ": %s\n",
			ev->text, ev->request, ack);
}

/* ---- the socket ---- */

/* Is a socket at @path answered?  For a stale one left by a dead run. */
static bool rf_ctl_answered(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool answered;

	if (fd < 0)
		return true;
	answered = !connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) ||
		   errno != ECONNREFUSED;
	close(fd);
	return answered;
}

int rf_ctl_listen(struct rf_ctl *ctl, const char *path, char *err,
		  size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old;
	int fd, ret;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		rf_errorf(err, errlen, "--control: %s is longer than a socket path may be (%zu bytes)",
			  path, sizeof(sa.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	if (!lstat(path, &st)) {
		if (!S_ISSOCK(st.st_mode)) {
			rf_errorf(err, errlen, "--control: %s exists and is not a socket",
				  path);
			return -EEXIST;
		}
		if (rf_ctl_answered(&sa)) {
			rf_errorf(err, errlen, "--control: %s is in use by another process",
				  path);
			return -EEXIST;
		}
		/* A socket nobody listens on: left by a run that died. */
		unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		ret = -errno;
		rf_errorf(err, errlen, "--control: socket: %s", strerror(errno));
		return ret;
	}
	/* Created 0600: no moment when others could connect. */
	old = umask(0177);
	ret = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ? -errno : 0;
	umask(old);
	if (!ret && (listen(fd, RF_CTL_CLIENTS) || stat(path, &st)))
		ret = -errno;
	if (ret) {
		rf_errorf(err, errlen, "--control: %s: %s", path, strerror(-ret));
		close(fd);
		return ret;
	}
	ctl->listen_fd = fd;
	ctl->path = path;
	ctl->dev = st.st_dev;
	ctl->ino = st.st_ino;
	return 0;
}

static void rf_ctl_close_client(struct rf_ctl_client *c)
{
	close(c->fd);
	c->fd = -1;
	c->len = 0;
	c->discarding = false;
}

/* Send one line; a client that cannot take it is dropped. */
static void rf_ctl_reply(struct rf_ctl_client *c, const char *text)
{
	char buf[RF_CTL_LINE_MAX + 2];
	size_t n = (size_t)snprintf(buf, sizeof(buf) - 1, "%s", text);

	if (n > sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	if (send(c->fd, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)n)
		rf_ctl_close_client(c);
}

/* Run the complete lines in @c's buffer. */
static void rf_ctl_lines(struct rf_ctl *ctl, struct rf_ctl_client *c)
{
	char ack[RF_CTL_LINE_MAX];
	char *nl;
	size_t n;

	bool nul;

	while (c->fd >= 0 && (nl = memchr(c->line, '\n', c->len))) {
		n = (size_t)(nl - c->line);
		*nl = '\0';
		nul = strlen(c->line) != n;
		/* Telnet and nc -C end lines with CRLF. */
		if (n && c->line[n - 1] == '\r')
			c->line[n - 1] = '\0';
		if (c->discarding) {
			c->discarding = false;
		} else if (nul) {
			rf_ctl_reply(c, "error NUL byte in the request");
		} else {
			rf_ctl_execute(ctl, c->line, ack, sizeof(ack));
			rf_ctl_reply(c, ack);
		}
		if (c->fd < 0)
			return;
		c->len -= n + 1;
		memmove(c->line, nl + 1, c->len);
	}
	if (c->len == RF_CTL_LINE_MAX + 1 || (c->discarding && c->len)) {
		/* No end in sight: answer once, then skip to the newline. */
		if (!c->discarding) {
			snprintf(ack, sizeof(ack), "error request longer than %d bytes",
				 RF_CTL_LINE_MAX);
			rf_ctl_reply(c, ack);
		}
		c->discarding = true;
		c->len = 0;
	}
}

static void rf_ctl_read(struct rf_ctl *ctl, struct rf_ctl_client *c)
{
	ssize_t n = recv(c->fd, c->line + c->len, sizeof(c->line) - c->len,
			 MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	/* End of the connection: a line without its newline is dropped. */
	if (n <= 0) {
		rf_ctl_close_client(c);
		return;
	}
	c->len += (size_t)n;
	rf_ctl_lines(ctl, c);
}

/* Root, or the user ramflash runs as, may control it. */
static void rf_ctl_accept(struct rf_ctl *ctl)
{
	struct rf_ctl_client *c = NULL;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	char msg[120];
	size_t i;
	int fd;

	fd = accept4(ctl->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	for (i = 0; i < RF_CTL_CLIENTS && !c; i++)
		if (ctl->clients[i].fd < 0)
			c = &ctl->clients[i];
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len)) {
		close(fd);
		return;
	}
	if (cred.uid && cred.uid != geteuid())
		snprintf(msg, sizeof(msg), "error permission denied: uid %u is neither root nor ramflash's",
			 (unsigned int)cred.uid);
	else if (!c)
		snprintf(msg, sizeof(msg), "error %d control connections are open already",
			 RF_CTL_CLIENTS);
	else
		msg[0] = '\0';
	if (msg[0]) {
		struct rf_ctl_client refused = { .fd = fd };

		rf_ctl_reply(&refused, msg);
		if (refused.fd >= 0)
			close(fd);
		return;
	}
	c->fd = fd;
	c->len = 0;
	c->discarding = false;
}

static void *rf_ctl_main(void *arg)
{
	struct pollfd pfd[2 + RF_CTL_CLIENTS];
	struct rf_ctl *ctl = arg;
	size_t i, n;
	char q;

	for (;;) {
		pfd[0] = (struct pollfd){ .fd = ctl->wake[0], .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = ctl->listen_fd, .events = POLLIN };
		for (i = 0, n = 2; i < RF_CTL_CLIENTS; i++)
			pfd[n++] = (struct pollfd){ .fd = ctl->clients[i].fd,
						    .events = POLLIN };
		if (poll(pfd, n, atomic_load(&ctl->frozen) ?
			 RF_CTL_FROZEN_POLL_MS : -1) < 0 && errno != EINTR)
			break;
		/* A session that ended (a signal, the kernel) ends a freeze. */
		if (atomic_load(&ctl->frozen) && ctl->se &&
		    muse_session_exited(ctl->se))
			rf_ctl_thaw(ctl);
		if ((pfd[0].revents & POLLIN) && read(ctl->wake[0], &q, 1) == 1 &&
		    q == 'q')
			break;
		if (pfd[1].revents & POLLIN)
			rf_ctl_accept(ctl);
		for (i = 0; i < RF_CTL_CLIENTS; i++)
			if (pfd[2 + i].fd >= 0 && pfd[2 + i].revents)
				rf_ctl_read(ctl, &ctl->clients[i]);
	}
	/* Whatever waits at the gate goes on: serving ends next. */
	if (atomic_load(&ctl->frozen))
		rf_ctl_thaw(ctl);
	return NULL;
}

int rf_ctl_start(struct rf_ctl *ctl)
{
	sigset_t all, old;
	int ret;

	if (pipe2(ctl->wake, O_CLOEXEC))
		return -errno;
	/* Signals go to the thread that serves, as libmuse's workers do. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	ret = -pthread_create(&ctl->thread, NULL, rf_ctl_main, ctl);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	ctl->running = !ret;
	return ret;
}

void rf_ctl_stop(struct rf_ctl *ctl)
{
	struct stat st;
	char q = 'q';
	size_t i;

	if (ctl->running && write(ctl->wake[1], &q, 1) == 1)
		pthread_join(ctl->thread, NULL);
	ctl->running = false;
	for (i = 0; i < RF_CTL_CLIENTS; i++)
		if (ctl->clients[i].fd >= 0)
			rf_ctl_close_client(&ctl->clients[i]);
	for (i = 0; i < 2; i++)
		if (ctl->wake[i] >= 0)
			close(ctl->wake[i]);
	ctl->wake[0] = ctl->wake[1] = -1;
	if (ctl->listen_fd < 0)
		return;
	close(ctl->listen_fd);
	ctl->listen_fd = -1;
	/* Only our own socket: another run may have taken the path. */
	if (!lstat(ctl->path, &st) && st.st_dev == ctl->dev &&
	    st.st_ino == ctl->ino)
		unlink(ctl->path);
}
