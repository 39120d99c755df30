// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ramflash --control: the command parser (every malformed request is
 * refused with a reason and changes nothing), each command's effect on
 * requests the test kit's fake kernel peer sends, determinism by request
 * index, freeze, and the socket itself (lines split and joined, NUL
 * bytes, overlong lines, a client gone mid-line, two clients, the peer
 * check, the path's rules) with the `ramflash ctl` client.
 *
 * Usage: test-ramflash-control RAMFLASH (the program, for `ramflash ctl`).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <muse/muse.h>
#include <muse/muse_kernel.h>

#include "control.h"
#include "helpers.h"
#include "server-helpers.h"
#include "stats.h"

static const char *t_ramflash;

/* slc-8m: 64 blocks of 64 pages of 2 KiB, ECC 4 bits per 512 bytes. */
#define C_PAGE		2048U
#define C_BLOCK		(128U * 1024)
#define C_PAGES_PER_BLOCK 64U

static const char *const t_chip[] = { "--chip", "slc-8m", NULL };

struct t_ctl {
	struct t_server t;
	struct rf_ctl ctl;
	char ack[RF_CTL_LINE_MAX];
};

static void t_ctl_start(struct t_ctl *c, const char *const *args)
{
	t_server_start(&c->t, args);
	/* NAND: every extension accepted; the NOR test needs no requests. */
	if (strcmp(args[1], "nor-16m"))
		t_init(&c->t);
	rf_ctl_init(&c->ctl, c->t.sim, &c->t.srv.pt, c->t.srv.se, "ramflash");
	c->t.srv.ctl = &c->ctl;
}

static void t_ctl_stop(struct t_ctl *c)
{
	rf_ctl_stop(&c->ctl);
	rf_ctl_destroy(&c->ctl);
	t_server_stop(&c->t);
}

/* Run @line; the ack is in c->ack.  Returns rf_ctl_execute()'s result. */
static int t_cmd(struct t_ctl *c, const char *line)
{
	int ret = rf_ctl_execute(&c->ctl, line, c->ack, sizeof(c->ack));

	assert_true(!strncmp(c->ack, ret ? "error " : "ok ", ret ? 6 : 3));
	return ret;
}

static void t_ok(struct t_ctl *c, const char *line)
{
	if (t_cmd(c, line))
		fail_msg("'%s' refused: %s", line, c->ack);
}

/* The request index an ack names: "... (at request N)". */
static uint64_t t_ack_request(const struct t_ctl *c)
{
	const char *at = strstr(c->ack, "(at request ");

	assert_non_null(at);
	return strtoull(at + 12, NULL, 10);
}

/*
 * READ @len bytes at @addr; its reply's error (0 for a read that came
 * with corrected or uncorrectable bit flips: @res says which), the data
 * in @buf.
 */
static int t_read_req(struct t_ctl *c, uint64_t addr, void *buf,
		      uint32_t len, struct muse_ecc_result *res)
{
	const struct muse_test_io io = { .addr = addr, .len = len,
					 .buf = buf };
	int ret = muse_test_read(c->t.peer, &io, res);

	return ret == -EUCLEAN || ret == -EBADMSG ? 0 : ret;
}

static int t_erase(struct t_ctl *c, uint64_t block)
{
	return muse_test_erase(c->t.peer, block * C_BLOCK, C_BLOCK);
}

static int t_isbad(struct t_ctl *c, uint64_t block)
{
	int ret = muse_test_isbad(c->t.peer, block * C_BLOCK);

	assert_true(ret == 0 || ret == 1);
	return ret;
}

/* Everything a command could change, as text: report, status, state. */
static char *t_state(struct t_ctl *c)
{
	char *json = t_report(c->t.sim, true), *all;
	char status[RF_CTL_LINE_MAX];
	size_t len;

	assert_int_equal(rf_ctl_execute(&c->ctl, "status", status,
					sizeof(status)), 0);
	len = strlen(json) + strlen(status) + 64;
	all = malloc(len);
	assert_non_null(all);
	snprintf(all, len, "%s\n%s\nlive %zu exited %d", json, status,
		 rf_sim_live_count(c->t.sim), muse_session_exited(c->t.srv.se));
	free(json);
	return all;
}

/* ---- the parser ---- */

static void test_malformed_commands_change_nothing(void **state)
{
	static const char *const bad[] = {
		"", "   ", "\t", "bogus", "POWER-CUT", "power-cut now",
		"power-cut after", "power-cut after x", "power-cut after 1 2",
		"power-cut before 3", "power-cut after 18446744073709551615",
		"fail-program", "fail-program 4096", "fail-program 1 0",
		"fail-program 1 2 3", "fail-program 18446744073709551616",
		"fail-program 99999999999999999999999", "fail-program -1",
		"fail-program 0x", "fail-program 0xg", "fail-program 1 4294967296",
		"fail-program +1", "fail-program 1.0",
		"fail-erase", "fail-erase 64", "fail-erase 0 0",
		"grave", "grave 1", "grave 4096 1", "grave 1 1 1",
		"flip-bits 1", "flip-bits 1 0", "flip-bits 1 4097",
		"flip-bits 4096 1",
		"mark-bad", "mark-bad 64", "mark-bad 1 2", "mark-bad x",
		"bitflip-rate", "bitflip-rate 1.5", "bitflip-rate -0.1",
		"bitflip-rate nan", "bitflip-rate inf", "bitflip-rate 0.1x",
		"bitflip-rate 0.1 0.2", "bitflip-rate 1e400",
		"read-disturb", "read-disturb 4294967296", "read-disturb -1",
		"latency", "latency read", "latency foo 5",
		"latency read 4294967296", "latency read 5 6",
		"freeze now", "release", "release 1", "stats", "svg",
		"marker", "marker   ", "help me", "status x",
		"status\x01", "marker a\x1b[2Jb",
		"stats /nonexistent-dir/x.json", "svg /nonexistent-dir/x.svg",
	};
	char overlong[RF_CTL_LINE_MAX + 2];
	struct t_ctl c;
	char *before, *after;
	size_t i;

	t_ctl_start(&c, t_chip);
	before = t_state(&c);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (!t_cmd(&c, bad[i]))
			fail_msg("'%s' was accepted: %s", bad[i], c.ack);
		/* A reason, not just the word. */
		assert_true(strlen(c.ack) > 12);
		after = t_state(&c);
		if (strcmp(before, after))
			fail_msg("'%s' (%s) changed the chip:\n%s\n---\n%s",
				 bad[i], c.ack, before, after);
		free(after);
	}
	memset(overlong, 'a', sizeof(overlong) - 1);
	overlong[sizeof(overlong) - 1] = '\0';
	assert_int_equal(t_cmd(&c, overlong), -E2BIG);
	assert_string_equal(c.ack, "error request longer than 1024 bytes");
	/* A block bad already, and a chip powered off, refuse again. */
	t_ok(&c, "mark-bad 9");
	assert_int_equal(t_cmd(&c, "mark-bad 9"), -EINVAL);
	assert_string_equal(c.ack, "error block 9 is bad already (marked)");
	t_ok(&c, "freeze");
	assert_int_equal(t_cmd(&c, "freeze"), -EINVAL);
	t_ok(&c, "release");
	free(before);
	t_ctl_stop(&c);

	/* Page faults and flip models on a NOR: a reason each. */
	{
		static const char *const nor[] = { "--chip", "nor-16m", NULL };

		t_ctl_start(&c, nor);
		assert_int_equal(t_cmd(&c, "flip-bits 0 1"), -EINVAL);
		assert_non_null(strstr(c.ack, "NAND"));
		assert_int_equal(t_cmd(&c, "bitflip-rate 0.5"), -EINVAL);
		assert_int_equal(t_cmd(&c, "mark-bad 0"), -EINVAL);
		assert_int_equal(rf_sim_live_count(c.t.sim), 0);
		t_ok(&c, "fail-erase 0");
		t_ctl_stop(&c);
	}
}

static void test_help_and_status(void **state)
{
	struct t_ctl c;

	t_ctl_start(&c, t_chip);
	t_ok(&c, "help");
	assert_non_null(strstr(c.ack, "power-cut [after N]"));
	assert_non_null(strstr(c.ack, "flip-bits PAGE N"));
	t_ok(&c, "  status  ");
	assert_non_null(strstr(c.ack, "power on, running, 0 live fault(s)"));
	t_ok(&c, "fail-program 3 2");
	t_ok(&c, "status");
	assert_non_null(strstr(c.ack, "1 live fault(s)"));
	t_ctl_stop(&c);
}

/* ---- the commands' effects ---- */

static void test_live_faults_reach_requests(void **state)
{
	uint8_t page[C_PAGE], got[C_PAGE];
	struct muse_ecc_result res;
	struct t_ctl c;
	size_t i;

	t_ctl_start(&c, t_chip);
	for (i = 0; i < sizeof(page); i++)
		page[i] = (uint8_t)(i * 7 + 1);
	assert_int_equal(t_write_page(&c.t, 10 * C_PAGE, page, C_PAGE), 0);

	/* Two flips: corrected, once. */
	t_ok(&c, "flip-bits 10 2");
	assert_int_equal(t_ack_request(&c), 1);
	assert_int_equal(t_read_req(&c, 10 * C_PAGE, got, C_PAGE, &res), 0);
	assert_int_equal(res.corrected, 2);
	assert_int_equal(res.failed, 0);
	assert_memory_equal(got, page, C_PAGE);
	assert_int_equal(t_read_req(&c, 10 * C_PAGE, got, C_PAGE, &res), 0);
	assert_int_equal(res.corrected, 0);
	/* Five, beyond the strength: uncorrectable, five bits differ. */
	t_ok(&c, "flip-bits 10 5");
	assert_int_equal(t_read_req(&c, 10 * C_PAGE, got, C_PAGE, &res), 0);
	assert_int_equal(res.failed, 1);
	assert_int_equal(t_popcount_diff(got, page, C_PAGE), 5);

	/* grave: one more good read, then garbage until the erase. */
	assert_int_equal(t_write_page(&c.t, 20 * C_PAGE, page, C_PAGE), 0);
	t_ok(&c, "grave 20 1");
	assert_int_equal(t_read_req(&c, 20 * C_PAGE, got, C_PAGE, &res), 0);
	assert_int_equal(res.failed, 0);
	assert_memory_equal(got, page, C_PAGE);
	for (i = 0; i < 2; i++) {
		assert_int_equal(t_read_req(&c, 20 * C_PAGE, got, C_PAGE, &res), 0);
		assert_int_equal(res.failed, 1);
		assert_true(memcmp(got, page, C_PAGE));
	}
	assert_int_equal(t_erase(&c, 0), 0);
	assert_int_equal(t_read_req(&c, 20 * C_PAGE, got, C_PAGE, &res), 0);
	assert_int_equal(res.failed, 0);
	t_assert_filled(got, C_PAGE, 0xff);
	assert_int_equal(rf_sim_live_count(c.t.sim), 0);

	/* fail-program: two fail, the third programs. */
	t_ok(&c, "fail-program 30 2");
	assert_int_equal(t_write_page(&c.t, 30 * C_PAGE, page, C_PAGE), -EIO);
	assert_int_equal(t_write_page(&c.t, 30 * C_PAGE, page, C_PAGE), -EIO);
	assert_int_equal(t_write_page(&c.t, 30 * C_PAGE, page, C_PAGE), 0);
	assert_int_equal(t_read_req(&c, 30 * C_PAGE, got, C_PAGE, &res), 0);
	assert_memory_equal(got, page, C_PAGE);

	/* fail-erase: one fails, the next erases. */
	t_ok(&c, "fail-erase 3");
	assert_int_equal(t_erase(&c, 3), -EIO);
	assert_int_equal(t_erase(&c, 3), 0);

	/* mark-bad: ISBAD says so, erases fail, the marker is in the OOB. */
	assert_int_equal(t_isbad(&c, 7), 0);
	t_ok(&c, "mark-bad 7");
	assert_int_equal(t_isbad(&c, 7), 1);
	assert_int_equal(t_erase(&c, 7), -EIO);
	assert_int_equal(rf_sim_bad_reason(c.t.sim, 7), RF_BLOCK_MARKED_BAD);

	/* A model switched on and off again. */
	t_ok(&c, "bitflip-rate 1");
	assert_int_equal(t_read_req(&c, 30 * C_PAGE, got, C_PAGE, &res), 0);
	assert_true(res.corrected >= 4);
	t_ok(&c, "bitflip-rate 0");
	t_ok(&c, "read-disturb 1");
	assert_int_equal(t_read_req(&c, 30 * C_PAGE, got, C_PAGE, &res), 0);
	assert_true(res.corrected > 0);
	t_ok(&c, "read-disturb 0");
	assert_int_equal(t_read_req(&c, 30 * C_PAGE, got, C_PAGE, &res), 0);
	assert_int_equal(res.corrected, 0);
	t_ok(&c, "latency program 5");
	assert_int_equal(rf_sim_config(c.t.sim)->faults.latency_program_us, 5);
	t_ctl_stop(&c);
}

static void test_power_cuts(void **state)
{
	uint8_t page[C_PAGE], got[C_PAGE];
	struct muse_ecc_result res;
	struct t_ctl c;

	memset(page, 0x5a, sizeof(page));
	t_ctl_start(&c, t_chip);
	t_ok(&c, "power-cut after 1");
	assert_non_null(strstr(c.ack, "operation 2 of this run is torn"));
	assert_int_equal(t_write_page(&c.t, 0, page, C_PAGE), 0);
	assert_false(muse_session_exited(c.t.srv.se));
	assert_int_equal(t_write_page(&c.t, C_PAGE, page, C_PAGE), -EIO);
	assert_true(rf_sim_power_cut_done(c.t.sim));
	assert_true(muse_session_exited(c.t.srv.se));
	assert_int_equal(t_cmd(&c, "power-cut"), -EINVAL);
	t_ctl_stop(&c);

	t_ctl_start(&c, t_chip);
	assert_int_equal(t_write_page(&c.t, 0, page, C_PAGE), 0);
	t_ok(&c, "power-cut");
	assert_int_equal(t_ack_request(&c), 1);
	assert_true(muse_session_exited(c.t.srv.se));
	assert_int_equal(t_read_req(&c, 0, got, C_PAGE, &res), -EIO);
	t_ctl_stop(&c);
}

/*
 * One scripted run: writes, commands, reads; its replies' checksum and
 * report, also saved to @save if not NULL.  With @rerun, the run of
 * --rerun @rerun: the same requests, no commands.
 */
static char *t_scripted_run(const char *rerun, const char *save)
{
	static const char *const args[] = {
		"--chip", "slc-8m", "--seed", "77", NULL,
	};
	const char *const rerun_args[] = { "--rerun", rerun, NULL };
	uint8_t page[C_PAGE], got[C_PAGE];
	struct muse_ecc_result res;
	uint64_t sum = 1469598103934665603ULL;
	struct t_ctl c;
	char *json, *all;
	size_t i, p;

	t_ctl_start(&c, rerun ? rerun_args : args);
	/* A rerun applies the report's commands by itself. */
	if (rerun)
		rf_ctl_replay(&c.ctl, c.t.opts.rerun_events,
			      c.t.opts.rerun_nevents);
	for (p = 0; p < 8; p++) {
		memset(page, (int)p, sizeof(page));
		assert_int_equal(t_write_page(&c.t, p * C_PAGE, page, C_PAGE), 0);
	}
	if (!rerun) {
		t_ok(&c, "marker writes done");
		t_ok(&c, "bitflip-rate 0.3");
		t_ok(&c, "flip-bits 3 9");
		t_ok(&c, "grave 5 2");
	}
	for (i = 0; i < 40; i++) {
		if (!rerun && i == 20) {
			t_ok(&c, "freeze");
			t_ok(&c, "release");
			t_ok(&c, "read-disturb 3");
		}
		if (t_read_req(&c, (i % 8) * C_PAGE, got, C_PAGE, &res))
			fail_msg("read %zu failed", i);
		for (p = 0; p < C_PAGE; p++)
			sum = (sum ^ got[p]) * 1099511628211ULL;
		sum = (sum ^ res.corrected ^ (res.failed << 8)) *
		      1099511628211ULL;
	}
	if (save)
		assert_int_equal(rf_stats_save_json(c.t.sim, save), 0);
	json = t_report(c.t.sim, true);
	all = malloc(strlen(json) + 32);
	assert_non_null(all);
	sprintf(all, "%016llx\n%s", (unsigned long long)sum, json);
	free(json);
	t_ctl_stop(&c);
	return all;
}

/*
 * The same seed, requests and commands at the same request indices give
 * the same replies and report; --rerun of that report applies its
 * commands at their indices by itself and gives them again.
 */
static void test_deterministic_by_request_index(void **state)
{
	char *report = strdup(t_tempfile("run.json"));
	char *a = t_scripted_run(NULL, report), *b = t_scripted_run(NULL, NULL);
	char *c;

	assert_string_equal(a, b);
	assert_non_null(strstr(a, "{\"request\": 8, \"marker\": \"writes done\"}"));
	assert_non_null(strstr(a, "{\"request\": 8, \"command\": \"flip-bits 3 9\"}"));
	assert_non_null(strstr(a, "{\"request\": 28, \"command\": \"read-disturb 3\"}"));
	assert_non_null(strstr(a, "\"flips_live\": 9"));
	c = t_scripted_run(report, NULL);
	assert_string_equal(a, c);
	unlink(report);
	rmdir(t_tempfile(""));
	free(report);
	free(a);
	free(b);
	free(c);
}

/* A report's "control" list as --rerun reads it; bad ones are refused. */
static void test_rerun_reads_control(void **state)
{
	static const char *const bad[] = {
		"[{\"request\": 5}]", "[{\"command\": \"freeze\"}]",
		"[{\"request\": 5, \"command\": \"a\"}, {\"request\": 3, \"command\": \"b\"}]",
		"[{\"request\": -1, \"command\": \"a\"}]",
		"[{\"request\": 18446744073709551616, \"command\": \"a\"}]",
		"[{\"request\": 1, \"command\": 7}]", "7", "[7]",
		"[{\"request\": 1, \"command\": \"a\"]",
	};
	char *path = strdup(t_tempfile("control.json"));
	char *argv[] = { "ramflash", "--rerun", path, NULL };
	struct rf_options opts;
	char err[256];
	size_t i;
	FILE *f;

	for (i = 0; i <= sizeof(bad) / sizeof(bad[0]); i++) {
		f = fopen(path, "w");
		assert_non_null(f);
		fprintf(f, "{\"schema\": 1, \"options\": [\"--chip\", \"slc-8m\"], \"control\": %s}\n",
			i < sizeof(bad) / sizeof(bad[0]) ? bad[i] :
			"[{\"request\": 0, \"marker\": \"m\", \"x\": [1]}, "
			"{\"command\": \"freeze\", \"request\": 4}]");
		fclose(f);
		if (i < sizeof(bad) / sizeof(bad[0])) {
			if (rf_options_parse(&opts, 3, argv, stdout, err,
					     sizeof(err)) != -EINVAL)
				fail_msg("control %s was read", bad[i]);
			assert_non_null(strstr(err, "is not JSON"));
		} else {
			assert_int_equal(rf_options_parse(&opts, 3, argv, stdout,
							  err, sizeof(err)),
					 RF_PARSE_RUN);
			assert_int_equal(opts.rerun_nevents, 2);
			assert_true(opts.rerun_events[0].marker);
			assert_string_equal(opts.rerun_events[0].text, "m");
			assert_false(opts.rerun_events[1].marker);
			assert_true(opts.rerun_events[1].request == 4);
		}
		rf_options_free(&opts);
	}
	unlink(path);
	rmdir(t_tempfile(""));
	free(path);
}

/* ---- freeze ---- */

struct t_reader {
	struct t_ctl *c;
	pthread_t thread;
	atomic_bool done;
	int ret;
};

static void *t_reader_main(void *arg)
{
	struct t_reader *r = arg;
	uint8_t got[C_PAGE];
	struct muse_ecc_result res;

	r->ret = t_read_req(r->c, 0, got, C_PAGE, &res);
	atomic_store(&r->done, true);
	return NULL;
}

/*
 * Wait up to 30 s (a bound only a broken gate reaches, even under a
 * sanitizer on a loaded machine) until @done says the gate is in the
 * state a test names; fail if it never is.
 */
static void t_wait_gate(struct rf_ctl *ctl,
			bool (*done)(const struct rf_ctl *ctl), const char *what)
{
	bool ok = false;
	int i;

	for (i = 0; i < 3000 && !ok; i++) {
		pthread_mutex_lock(&ctl->lock);
		ok = done(ctl);
		pthread_mutex_unlock(&ctl->lock);
		if (!ok)
			usleep(10 * 1000);
	}
	if (!ok)
		fail_msg("the gate never had %s", what);
}

static bool t_one_held(const struct rf_ctl *ctl)
{
	return ctl->held == 1;
}

/*
 * A READ from another thread, seen waiting at the gate (not merely not
 * finished yet: a reader that had not reached the gate would prove
 * nothing, and one that reached it after the session ended would wait
 * for ever).
 */
static void t_reader_held(struct t_reader *r, struct t_ctl *c)
{
	r->c = c;
	r->ret = -1;
	atomic_init(&r->done, false);
	assert_int_equal(pthread_create(&r->thread, NULL, t_reader_main, r), 0);
	t_wait_gate(&c->ctl, t_one_held, "one request held");
	assert_false(atomic_load(&r->done));
}

/* The reader ends within 30 s; its reply's error. */
static int t_reader_end(struct t_reader *r)
{
	int i;

	for (i = 0; i < 3000 && !atomic_load(&r->done); i++)
		usleep(10 * 1000);
	assert_true(atomic_load(&r->done));
	pthread_join(r->thread, NULL);
	return r->ret;
}

static void test_freeze_holds_requests(void **state)
{
	struct t_reader r;
	struct t_ctl c;

	t_ctl_start(&c, t_chip);
	t_ok(&c, "freeze");
	t_ok(&c, "status");
	assert_non_null(strstr(c.ack, "frozen"));
	t_reader_held(&r, &c);
	/* Commands still work while frozen; the reader stays held. */
	t_ok(&c, "marker while frozen");
	assert_false(atomic_load(&r.done));
	t_ok(&c, "release");
	assert_string_equal(c.ack, "ok released: 1 held request(s) go on (at request 0)");
	assert_int_equal(t_reader_end(&r), 0);
	t_ctl_stop(&c);
}

/*
 * A session that ends while frozen (SIGTERM, the kernel's end) lets the
 * held requests go on, or the loop waiting for them would never end.
 */
static void test_exit_releases_a_freeze(void **state)
{
	char *path = strdup(t_tempfile("exit.sock"));
	struct t_reader r;
	struct t_ctl c;
	char err[256];

	t_ctl_start(&c, t_chip);
	assert_int_equal(rf_ctl_listen(&c.ctl, path, err, sizeof(err)), 0);
	assert_int_equal(rf_ctl_start(&c.ctl), 0);
	t_ok(&c, "freeze");
	t_reader_held(&r, &c);
	muse_session_exit(c.t.srv.se);
	t_reader_end(&r);
	assert_false(rf_ctl_frozen(&c.ctl));
	t_ctl_stop(&c);
	rmdir(t_tempfile(""));
	free(path);
}

static bool t_one_done(const struct rf_ctl *ctl)
{
	return ctl->requests == 1 && !ctl->active;
}

/*
 * A latency set live is waited out by the server's timer (started for
 * --control), and freeze holds the answers it has not given yet: a 0.5 s
 * erase, frozen at once, is still unanswered after 1 s and answered
 * after release.
 */
static void test_live_latency_and_freeze_hold_answers(void **state)
{
	static const char *const args[] = {
		"--chip", "slc-8m", "--threads", "1", NULL,
	};
	struct t_served s;
	struct rf_ctl ctl;
	char ack[RF_CTL_LINE_MAX];
	uint64_t erase;

	t_served_start(&s, args, &ctl);
	assert_int_equal(rf_ctl_execute(&ctl, "latency erase 500000", ack,
					sizeof(ack)), 0);
	assert_int_equal(muse_test_send_erase(s.peer, 0, C_BLOCK, &erase), 0);
	/* The erase is done and waits in the timer: no request is inside. */
	t_wait_gate(&ctl, t_one_done, "one request admitted and none inside");
	assert_int_equal(rf_ctl_execute(&ctl, "freeze", ack, sizeof(ack)), 0);
	assert_string_equal(ack, "ok frozen: every request is held, none answered, until release (at request 1)");
	assert_int_equal(muse_test_poll_reply(s.peer, erase, 1000), 0);
	assert_int_equal(rf_ctl_execute(&ctl, "release", ack, sizeof(ack)), 0);
	assert_int_equal(muse_test_poll_reply(s.peer, erase, 1000), 1);
	assert_int_equal(muse_test_wait_reply(s.peer, erase, NULL), 0);
	assert_int_equal(t_served_stop(&s), 0);
	rf_ctl_destroy(&ctl);
	t_served_free(&s);
}

/* ---- the socket ---- */

static int t_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	strcpy(sa.sun_path, path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -errno;
	}
	return fd;
}

static void t_send(int fd, const void *buf, size_t len)
{
	assert_int_equal(send(fd, buf, len, MSG_NOSIGNAL), (ssize_t)len);
}

/* One answer line (without newline) into @line; fails after 5 s. */
static void t_line(int fd, char *line, size_t size)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t used = 0;

	while (used < size - 1) {
		assert_int_equal(poll(&pfd, 1, 5000), 1);
		assert_int_equal(read(fd, line + used, 1), 1);
		if (line[used] == '\n')
			break;
		used++;
	}
	line[used] = '\0';
}

/* Nothing more to read within @ms. */
static void t_silent(int fd, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	assert_int_equal(poll(&pfd, 1, ms), 0);
}

/* Run `ramflash ctl ARGS...`; its exit status, stdout's first line. */
static int t_client(char *out, size_t size, const char *const *args)
{
	char *argv[16] = { (char *)t_ramflash, "ctl" };
	int pipefd[2], status, i;
	ssize_t n;
	pid_t pid;

	for (i = 0; args[i]; i++)
		argv[2 + i] = (char *)args[i];
	assert_int_equal(pipe(pipefd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		dup2(pipefd[1], STDOUT_FILENO);
		close(pipefd[0]);
		execv(t_ramflash, argv);
		_exit(127);
	}
	close(pipefd[1]);
	n = read(pipefd[0], out, size - 1);
	out[n > 0 ? n : 0] = '\0';
	close(pipefd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void test_socket(void **state)
{
	char *path = strdup(t_tempfile("ctl.sock"));
	char line[2 * RF_CTL_LINE_MAX], err[256];
	char big[RF_CTL_LINE_MAX + 200];
	struct rf_ctl other;
	struct t_ctl c;
	struct stat st;
	int a, b, fd;

	t_ctl_start(&c, t_chip);
	assert_int_equal(rf_ctl_listen(&c.ctl, path, err, sizeof(err)), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(rf_ctl_start(&c.ctl), 0);

	/* A second ramflash on the same path is refused: in use. */
	rf_ctl_init(&other, c.t.sim, NULL, NULL, "x");
	assert_int_equal(rf_ctl_listen(&other, path, err, sizeof(err)), -EEXIST);
	assert_non_null(strstr(err, "in use by another process"));

	a = t_connect(path);
	assert_true(a >= 0);
	/* Two requests in one write, two answers in order. */
	t_send(a, "help\nstatus\r\n", 13);
	t_line(a, line, sizeof(line));
	assert_true(!strncmp(line, "ok commands:", 12));
	t_line(a, line, sizeof(line));
	assert_true(!strncmp(line, "ok power on", 11));
	/* One request in three writes. */
	t_send(a, "mark", 4);
	t_silent(a, 50);
	t_send(a, "er split", 8);
	t_send(a, " line\n", 6);
	t_line(a, line, sizeof(line));
	assert_string_equal(line, "ok marker 'split line' (at request 0)");
	/* A NUL byte, an empty line. */
	t_send(a, "fail-erase 1\0 2\n\n", 17);
	t_line(a, line, sizeof(line));
	assert_string_equal(line, "error NUL byte in the request");
	t_line(a, line, sizeof(line));
	assert_string_equal(line, "error empty request (try help)");
	/* An overlong line: one answer, its end skipped, the next served. */
	memset(big, 'x', sizeof(big));
	t_send(a, big, sizeof(big));
	t_line(a, line, sizeof(line));
	assert_string_equal(line, "error request longer than 1024 bytes");
	t_send(a, big, sizeof(big));
	t_silent(a, 50);
	t_send(a, "\nstatus\n", 8);
	t_line(a, line, sizeof(line));
	assert_true(!strncmp(line, "ok power on", 11));
	assert_int_equal(rf_sim_live_count(c.t.sim), 0);

	/* Two clients: one's half line waits, the other is served. */
	b = t_connect(path);
	assert_true(b >= 0);
	t_send(a, "fail-erase 5", 12);
	t_send(b, "fail-erase 6\n", 13);
	t_line(b, line, sizeof(line));
	assert_true(!strncmp(line, "ok block 6 fails its next 1 erase(s)", 36));
	assert_int_equal(rf_sim_live_count(c.t.sim), 1);
	/* a leaves mid-line: its request is dropped, nothing changes. */
	close(a);
	t_send(b, "status\n", 7);
	t_line(b, line, sizeof(line));
	assert_non_null(strstr(line, "1 live fault(s)"));

	/* The client program. */
	{
		const char *status[] = { path, "status", NULL };
		const char *bogus[] = { path, "bogus", "1", NULL };
		const char *nowhere[] = { "/nonexistent/ctl.sock", "status", NULL };
		const char *alone[] = { path, NULL };
		const char *marker[] = { path, "marker", "two", "words", NULL };

		assert_int_equal(t_client(line, sizeof(line), status), 0);
		assert_true(!strncmp(line, "ok power on", 11));
		assert_int_equal(t_client(line, sizeof(line), bogus), 1);
		assert_string_equal(line, "error unknown command 'bogus' (try help)\n");
		assert_int_equal(t_client(line, sizeof(line), nowhere), 3);
		assert_int_equal(t_client(line, sizeof(line), alone), 2);
		assert_int_equal(t_client(line, sizeof(line), marker), 0);
		assert_string_equal(line, "ok marker 'two words' (at request 0)\n");
	}

	/* Root or ramflash's own user only, whatever the file's mode. */
	if (geteuid() == 0) {
		pid_t pid;
		int status;

		assert_int_equal(chmod(path, 0666), 0);
		assert_int_equal(chmod(t_tempfile(""), 0711), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (!pid) {
			if (setuid(65534))
				_exit(10);
			fd = t_connect(path);
			if (fd < 0)
				_exit(11);
			t_line(fd, line, sizeof(line));
			_exit(strncmp(line, "error permission denied: uid 65534", 34) ?
			      12 : 0);
		}
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	close(b);

	/* Stopping removes the socket. */
	rf_ctl_stop(&c.ctl);
	assert_int_equal(access(path, F_OK), -1);

	/* A stale socket is replaced; a file that is not one is refused. */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	{
		struct sockaddr_un sa = { .sun_family = AF_UNIX };

		strcpy(sa.sun_path, path);
		assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	}
	close(fd);
	assert_int_equal(rf_ctl_listen(&other, path, err, sizeof(err)), 0);
	rf_ctl_stop(&other);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(rf_ctl_listen(&other, path, err, sizeof(err)), -EEXIST);
	assert_non_null(strstr(err, "exists and is not a socket"));
	assert_int_equal(access(path, F_OK), 0);
	unlink(path);
	rf_ctl_destroy(&other);
	rmdir(t_tempfile(""));
	free(path);
	t_ctl_stop(&c);
}

int main(int argc, char *argv[])
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_malformed_commands_change_nothing),
		cmocka_unit_test(test_help_and_status),
		cmocka_unit_test(test_live_faults_reach_requests),
		cmocka_unit_test(test_power_cuts),
		cmocka_unit_test(test_deterministic_by_request_index),
		cmocka_unit_test(test_rerun_reads_control),
		cmocka_unit_test(test_freeze_holds_requests),
		cmocka_unit_test(test_exit_releases_a_freeze),
		cmocka_unit_test(test_live_latency_and_freeze_hold_answers),
		cmocka_unit_test(test_socket),
	};

	if (argc != 2) {
		fprintf(stderr, "usage: %s RAMFLASH\n", argv[0]);
		return 2;
	}
	t_ramflash = argv[1];
	return cmocka_run_group_tests_name("ramflash-control", tests, NULL, NULL);
}
