// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ramflash --trace and ramflash-trace replay, without a kernel: a
 * workload run on the core with a trace, replayed on a new chip, must
 * leave the image ramflash left byte for byte (to the end, after any
 * step, torn as --power-cut-after tears); every way a trace can be cut or
 * corrupted is an error naming where.  check-trace.py reads its trace with
 * the ramflash-trace command.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
#include "options.h"
#include "replay.h"
#include "stats.h"
#include "trace-read.h"
#include "trace.h"

#define T_STEPS		40
#define T_ARGS_MAX	40

/* The chip: small NAND with random bit flips, so reads carry ECC. */
static const char *const t_chip[] = {
	"--type", "nand", "--size", "32K", "--page-size", "512",
	"--erase-size", "2K", "--oob-size", "16", "--oob-avail", "6",
	"--subpage-size", "256", "--ecc-strength", "2", "--ecc-step", "256",
	"--seed", "7", "--bitflip-rate", "0.2", "--bad-block-count", "1",
	NULL,
};

static char *t_path(const char *name)
{
	char *p = strdup(t_tempfile(name));

	assert_non_null(p);
	return p;
}

/* Parse the chip's options plus @extra (may be NULL). */
static void t_options(struct rf_options *o, const char *extra[])
{
	char *argv[T_ARGS_MAX] = { "ramflash" };
	char err[256] = "";
	int argc = 1, i;

	for (i = 0; t_chip[i]; i++)
		argv[argc++] = (char *)t_chip[i];
	for (i = 0; extra && extra[i]; i++)
		argv[argc++] = (char *)extra[i];
	if (rf_options_parse(o, argc, argv, stdout, err, sizeof(err)) !=
	    RF_PARSE_RUN)
		fail_msg("options: %s", err);
}

/* Deterministic bytes for step @i. */
static void t_fill(uint8_t *buf, size_t len, unsigned int i)
{
	size_t k;

	for (k = 0; k < len; k++)
		buf[k] = (uint8_t)(i * 37 + k * 11 + (k >> 7));
}

/*
 * One step of the workload: programs (plain, with AUTO and RAW OOB,
 * subpages), reads, erases, bad blocks, syncs, the kernel's own reads
 * and erases as the module would report them, and markers.
 */
static void t_step(struct rf_sim *sim, struct rf_trace *trace, unsigned int i)
{
	uint8_t data[1024], oob[16], back[1024];
	uint64_t block = 1 + i % 14, page = (i / 14) % 4;
	uint64_t addr = block * 2048 + page * 512;
	struct rf_io io = { .addr = addr, .len = 512, .buf = data };
	struct rf_ecc ecc;
	char text[32];

	t_fill(data, sizeof(data), i);
	t_fill(oob, sizeof(oob), i + 100);
	switch (i % 8) {
	case 0:
		io.oobbuf = oob;
		io.ooblen = 6;
		io.mode = RF_OOB_AUTO;
		rf_sim_write(sim, &io);
		break;
	case 1:
		io.len = 256;
		rf_sim_write(sim, &io);
		break;
	case 2:
		io.mode = RF_OOB_RAW;
		io.oobbuf = oob;
		io.ooblen = 16;
		rf_sim_write(sim, &io);
		break;
	case 3:
		io.addr = block * 2048;
		io.len = 1024;
		io.buf = back;
		io.oobbuf = oob;
		io.ooblen = 12;
		rf_sim_read(sim, &io, &ecc);
		break;
	case 4:
		rf_sim_erase(sim, block * 2048, i % 3 ? 2048 : 4096);
		rf_sim_sync(sim);
		break;
	case 5:
		/* The module's erase, applied by the next request. */
		rf_sim_kernel_erase(sim, block, 1 + i % 2, false);
		rf_sim_count_block_reads(sim, block, 3, 1536);
		rf_sim_write(sim, &io);
		break;
	case 6:
		rf_sim_isbad(sim, block * 2048);
		if (i == 14)
			rf_sim_markbad(sim, block * 2048);
		io.len = 1024;
		io.buf = back;
		rf_sim_read(sim, &io, &ecc);
		break;
	default:
		snprintf(text, sizeof(text), "step %u", i);
		if (trace)
			rf_trace_marker(trace, text);
		rf_sim_write(sim, &io);
		break;
	}
}

/* Where t_run() writes the chip's --stats JSON at the end, if set. */
static const char *t_stats_out;

/*
 * Run @steps steps (stopping at a power cut) on a new chip whose image
 * is @image, traced into @trace unless NULL.  @after[k] receives the
 * records after step k.
 */
static void t_run(const char *image, const char *trace, bool full,
		  const char *extra[], unsigned int steps, uint64_t *after)
{
	struct rf_trace *t = NULL;
	struct rf_options o;
	struct rf_sim *sim;
	char err[256];
	unsigned int i;

	t_options(&o, extra);
	o.cfg.image_path = image;
	sim = t_open(&o.cfg);
	if (trace && rf_trace_start(&t, trace, full ? RF_TRACE_DATA_FULL :
				    RF_TRACE_DATA_HASH, &o, sim, err,
				    sizeof(err)))
		fail_msg("rf_trace_start: %s", err);
	for (i = 0; i < steps && !rf_sim_power_cut_done(sim); i++) {
		t_step(sim, t, i);
		if (after)
			after[i] = rf_trace_records(t);
	}
	/* A kernel erase left pending is recorded as such at the end. */
	if (steps == T_STEPS && !rf_sim_power_cut_done(sim))
		rf_sim_kernel_erase(sim, 3, 1, false);
	assert_int_equal(rf_trace_finish(t, sim), 0);
	if (t_stats_out)
		assert_int_equal(rf_stats_save_json(sim, t_stats_out), 0);
	assert_int_equal(rf_sim_close(sim), 0);
	rf_options_free(&o);
}

/* The whole contents of @path. */
static uint8_t *t_slurp(const char *path, size_t *len)
{
	struct stat st;
	uint8_t *buf;
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	buf = malloc((size_t)st.st_size + 1);
	assert_non_null(buf);
	assert_int_equal(read(fd, buf, (size_t)st.st_size), st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

static void t_assert_same_file(const char *a, const char *b)
{
	size_t la, lb, i;
	uint8_t *x = t_slurp(a, &la), *y = t_slurp(b, &lb);

	assert_int_equal(la, lb);
	for (i = 0; i < la; i++)
		if (x[i] != y[i])
			fail_msg("%s and %s differ at byte %zu", a, b, i);
	free(x);
	free(y);
}

static void t_spit(const char *path, const uint8_t *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);
}

static int t_replay(const char *trace, const char *image, bool all,
		    uint64_t upto, bool power_cut, char *err, size_t errlen)
{
	struct rf_replay rp = {
		.trace = trace, .image = image, .all = all, .upto = upto,
		.power_cut = power_cut,
	};

	unlink(image);
	err[0] = '\0';
	return rf_replay_run(&rp, err, errlen);
}

static void test_replay_to_end(void **state)
{
	char *image = t_path("run.img"), *trace = t_path("run.trace");
	char *replayed = t_path("replayed.img"), *stats = t_path("stats");
	char *stats2 = t_path("stats2"), err[512];
	struct rf_replay rp = { .trace = trace, .image = replayed, .all = true,
				.stats = stats2 };

	t_stats_out = stats;
	t_run(image, trace, true, NULL, T_STEPS, NULL);
	t_stats_out = NULL;
	assert_int_equal(rf_replay_run(&rp, err, sizeof(err)), 0);
	t_assert_same_file(image, replayed);
	/* The statistics of the replayed chip are the recorded chip's. */
	t_assert_same_file(stats, stats2);
	unlink(image);
	unlink(replayed);
	free(image);
	free(trace);
	free(replayed);
	free(stats);
	free(stats2);
}

static void test_replay_upto(void **state)
{
	static const unsigned int steps[] = { 0, 1, 3, 6, 13, 22, 31, 39 };
	char *image = t_path("part.img"), *trace = t_path("full.trace");
	char *replayed = t_path("replayed.img"), err[512];
	uint64_t after[T_STEPS];
	size_t i;

	t_run(t_tempfile("full.img"), trace, true, NULL, T_STEPS, after);
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		unlink(image);
		t_run(image, NULL, false, NULL, steps[i], NULL);
		if (t_replay(trace, replayed, false,
			     steps[i] ? after[steps[i] - 1] : 0, false, err,
			     sizeof(err)))
			fail_msg("replay after step %u: %s", steps[i], err);
		t_assert_same_file(image, replayed);
	}
	unlink(image);
	unlink(replayed);
	free(image);
	free(trace);
	free(replayed);
}

/* The first record a power cut tore in @trace. */
static uint64_t t_torn_record(const char *trace)
{
	struct rf_trace_reader r;
	struct rf_trace_rec rec;
	char err[512];
	int ret;

	assert_int_equal(rf_trace_read_open(&r, trace, err, sizeof(err)), 0);
	while ((ret = rf_trace_read_next(&r, &rec, err, sizeof(err))) > 0)
		if (rec.result == RF_POWER_CUT)
			break;
	if (ret <= 0)
		fail_msg("no torn record in %s: %s", trace, ret ? err : "");
	rf_trace_read_close(&r);
	return rec.number;
}

static void test_power_cut(void **state)
{
	static const char *const cuts[] = { "0", "1", "4", "9", "17", "23" };
	char *cut_img = t_path("cut.img"), *cut_trace = t_path("cut.trace");
	char *trace = t_path("full.trace"), *replayed = t_path("torn.img");
	const char *extra[3] = { "--power-cut-after", NULL, NULL };
	char err[512];
	uint64_t k;
	size_t i;

	t_run(t_tempfile("full.img"), trace, true, NULL, T_STEPS, NULL);
	for (i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		extra[1] = cuts[i];
		unlink(cut_img);
		t_run(cut_img, cut_trace, true, extra, T_STEPS, NULL);
		k = t_torn_record(cut_trace);
		if (t_replay(trace, replayed, false, k, true, err, sizeof(err)))
			fail_msg("torn replay of record %llu: %s",
				 (unsigned long long)k, err);
		t_assert_same_file(cut_img, replayed);
	}
	/* The kernel's erase of a block is torn as the request would be. */
	k = 0;
	{
		struct rf_trace_reader r;
		struct rf_trace_rec rec;

		assert_int_equal(rf_trace_read_open(&r, trace, err,
						    sizeof(err)), 0);
		while (!k && rf_trace_read_next(&r, &rec, err, sizeof(err)) > 0)
			if (rec.kind == RF_TRACE_KERNEL_ERASE)
				k = rec.number;
		rf_trace_read_close(&r);
	}
	assert_true(k);
	if (t_replay(trace, replayed, false, k, true, err, sizeof(err)))
		fail_msg("torn kernel erase, record %llu: %s",
			 (unsigned long long)k, err);
	/* A read is not torn. */
	assert_int_equal(t_replay(trace, replayed, false, 4, true, err,
				  sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "record 4 at offset"));
	assert_non_null(strstr(err, "tears a program or an erase"));
	free(cut_img);
	free(cut_trace);
	free(trace);
	free(replayed);
}

/* Read @path to its end; the error, or "" if valid. */
static const char *t_validate(const char *path)
{
	static char err[512];
	struct rf_trace_reader r;
	struct rf_trace_rec rec;
	int ret;

	err[0] = '\0';
	ret = rf_trace_read_open(&r, path, err, sizeof(err));
	while (!ret && (ret = rf_trace_read_next(&r, &rec, err, sizeof(err))) > 0)
		ret = 0;
	rf_trace_read_close(&r);
	return ret < 0 ? err : "";
}

static void t_put32(uint8_t *p, uint32_t v)
{
	int i;

	for (i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t t_get32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Write @good with @len bytes, byte @flip xored (unless SIZE_MAX). */
static const char *t_variant(const char *path, const uint8_t *good,
			     size_t len, size_t flip)
{
	uint8_t *buf = malloc(len + 1);

	assert_non_null(buf);
	memcpy(buf, good, len);
	if (flip != SIZE_MAX)
		buf[flip] ^= 0x20;
	t_spit(path, buf, len);
	free(buf);
	return t_validate(path);
}

static void t_expect(const char *err, const char *what, const char *where)
{
	if (!strstr(err, what) || (where && !strstr(err, where)))
		fail_msg("expected '%s' at '%s', got '%s'", what,
			 where ? where : "", err);
}

static void test_corrupt(void **state)
{
	char *trace = t_path("good.trace"), *bad = t_path("bad.trace");
	uint32_t hdr_len, rec_len;
	uint8_t *good;
	size_t len, rec2;
	char where[64];

	t_run(t_tempfile("good.img"), trace, true, NULL, 12, NULL);
	assert_string_equal(t_validate(trace), "");
	good = t_slurp(trace, &len);
	hdr_len = t_get32(good + 12);
	rec_len = t_get32(good + hdr_len);
	rec2 = hdr_len + rec_len;
	t_expect(t_variant(bad, good, 0, SIZE_MAX), "truncated header", NULL);
	t_expect(t_variant(bad, good, 50, SIZE_MAX), "truncated header", NULL);
	t_expect(t_variant(bad, good, hdr_len - 1, SIZE_MAX),
		 "truncated header", NULL);
	t_expect(t_variant(bad, good, len, 2), "not a ramflash trace", NULL);
	t_expect(t_variant(bad, good, len, 8), "format version", NULL);
	t_expect(t_variant(bad, good, len, 30), "header checksum mismatch",
		 NULL);
	snprintf(where, sizeof(where), "record 2 at offset %zu", rec2);
	t_expect(t_variant(bad, good, rec2 + 70, SIZE_MAX), "truncated",
		 where);
	t_expect(t_variant(bad, good, rec2 + 2, SIZE_MAX), "truncated",
		 where);
	t_expect(t_variant(bad, good, len, rec2 + 60), "checksum mismatch",
		 where);
	t_expect(t_variant(bad, good, len, rec2 + 5), "checksum mismatch",
		 where);
	/* Cut between records: the end record is missing. */
	t_expect(t_variant(bad, good, rec2, SIZE_MAX), "without its end record",
		 NULL);
	/* Bytes after the end. */
	{
		uint8_t *longer = malloc(len + 3);

		assert_non_null(longer);
		memcpy(longer, good, len);
		memcpy(longer + len, "xyz", 3);
		t_spit(bad, longer, len + 3);
		t_expect(t_validate(bad), "after the end record", NULL);
		free(longer);
	}
	/* A length that points past the file. */
	memcpy(where, good + rec2, 4);
	t_put32(good + rec2, 0x7fffffff);
	t_expect(t_variant(bad, good, len, SIZE_MAX), "truncated or corrupt",
		 "record 2 at offset");
	memcpy(good + rec2, where, 4);
	free(good);
	unlink(bad);
	free(trace);
	free(bad);
}

/* A record whose result is changed (and its checksum made right). */
static void test_replay_divergence(void **state)
{
	char *trace = t_path("div.trace"), *image = t_path("div.img");
	struct rf_trace_reader r;
	struct rf_trace_rec rec;
	uint64_t offset = 0, number = 0, h;
	char err[512];
	uint8_t *buf;
	size_t len;
	int i;

	t_run(t_tempfile("div-run.img"), trace, true, NULL, 12, NULL);
	assert_int_equal(rf_trace_read_open(&r, trace, err, sizeof(err)), 0);
	while (rf_trace_read_next(&r, &rec, err, sizeof(err)) > 0)
		if (rec.kind == RF_TRACE_READ && rec.number > 3) {
			offset = rec.offset;
			number = rec.number;
			break;
		}
	rf_trace_read_close(&r);
	assert_true(offset);
	buf = t_slurp(trace, &len);
	t_put32(buf + offset + 8, (uint32_t)-EIO);
	h = rf_trace_hash(buf + offset, t_get32(buf + offset) - 8);
	for (i = 0; i < 8; i++)
		buf[offset + t_get32(buf + offset) - 8 + i] = (uint8_t)(h >> (8 * i));
	t_spit(trace, buf, len);
	free(buf);
	assert_string_equal(t_validate(trace), "");
	assert_int_equal(t_replay(trace, image, true, 0, false, err,
				  sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "the replay gives 0"));
	{
		char where[64];

		snprintf(where, sizeof(where), "record %llu at offset %llu",
			 (unsigned long long)number, (unsigned long long)offset);
		t_expect(err, "the trace -5", where);
	}
	/* A failed replay leaves no image. */
	assert_int_equal(access(image, F_OK), -1);
	free(trace);
	free(image);
}

static void test_refusals(void **state)
{
	char *trace = t_path("hash.trace"), *image = t_path("refused.img");
	char err[512];

	t_run(t_tempfile("hash.img"), trace, false, NULL, 12, NULL);
	assert_string_equal(t_validate(trace), "");
	assert_int_equal(t_replay(trace, image, true, 0, false, err,
				  sizeof(err)), -EINVAL);
	t_expect(err, "--trace-data full", "record");
	/* Not beyond the trace, not over a file. */
	t_run(t_tempfile("full.img"), trace, true, NULL, 12, NULL);
	assert_int_equal(t_replay(trace, image, false, 100000, false, err,
				  sizeof(err)), -EINVAL);
	t_expect(err, "--upto 100000", "records");
	/* A header whose geometry its options do not make. */
	{
		size_t len;
		uint8_t *buf = t_slurp(trace, &len);
		uint32_t hdr_len = t_get32(buf + 12);
		uint64_t h;
		int i;

		t_put32(buf + 32, 1024);	/* the page size */
		h = rf_trace_hash(buf, hdr_len - 8);
		for (i = 0; i < 8; i++)
			buf[hdr_len - 8 + i] = (uint8_t)(h >> (8 * i));
		t_spit(trace, buf, len);
		free(buf);
		assert_string_equal(t_validate(trace), "");
		assert_int_equal(t_replay(trace, image, true, 0, false, err,
					  sizeof(err)), -EINVAL);
		t_expect(err, "another geometry", NULL);
	}
	t_spit(image, (const uint8_t *)"keep", 4);
	{
		struct rf_replay rp = { .trace = trace, .image = image,
					.all = true };

		assert_int_equal(rf_replay_run(&rp, err, sizeof(err)), -EEXIST);
		t_expect(err, "exists", NULL);
	}
	unlink(image);
	free(trace);
	free(image);
}

/* The header keeps the options, markers their text. */
static void test_header_and_marker(void **state)
{
	char *trace = t_path("hdr.trace"), err[512];
	struct rf_trace_reader r;
	struct rf_trace_rec rec;
	bool marker = false;
	size_t i;

	t_run(t_tempfile("hdr.img"), trace, false, NULL, 8, NULL);
	assert_int_equal(rf_trace_read_open(&r, trace, err, sizeof(err)), 0);
	assert_int_equal(r.info.geo.size, 32768);
	assert_int_equal(r.info.geo.erase_size, 2048);
	assert_int_equal(r.info.seed, 7);
	assert_true(r.info.flags & RF_TRACE_FRESH);
	assert_false(r.info.flags & RF_TRACE_FULL_DATA);
	for (i = 0; t_chip[i]; i++)
		assert_string_equal(r.info.args[i], t_chip[i]);
	assert_int_equal(r.info.nargs, i);
	while (rf_trace_read_next(&r, &rec, err, sizeof(err)) > 0)
		if (rec.kind == RF_TRACE_MARKER) {
			assert_int_equal(rec.payload_len, 6);
			assert_memory_equal(rec.payload, "step 7", 6);
			marker = true;
		}
	assert_true(marker);
	assert_true(r.ended);
	rf_trace_read_close(&r);
	free(trace);
}

/*
 * The control socket's events (rf_sim_record_event()): a marker becomes a
 * marker record, a command that changed the chip a control record, at
 * which a replay stops with the reason.
 */
static void test_control_events(void **state)
{
	char *trace = t_path("ctl.trace"), *image = t_path("ctl.img");
	uint64_t control = 0;
	struct rf_trace_reader r;
	struct rf_trace_rec rec;
	struct rf_trace *t;
	struct rf_options o;
	struct rf_sim *sim;
	bool marker = false;
	char err[512], where[64];
	unsigned int i;

	t_options(&o, NULL);
	o.cfg.image_path = t_tempfile("ctl-run.img");
	sim = t_open(&o.cfg);
	if (rf_trace_start(&t, trace, RF_TRACE_DATA_FULL, &o, sim, err,
			   sizeof(err)))
		fail_msg("rf_trace_start: %s", err);
	for (i = 0; i < 10; i++) {
		if (i == 6)
			assert_int_equal(rf_sim_record_event(sim, 0, true,
							     "via the socket"), 0);
		if (i == 7)
			assert_int_equal(rf_sim_record_event(sim, 0, false,
							     "bitflip-rate 0.5"), 0);
		t_step(sim, t, i);
	}
	assert_int_equal(rf_trace_finish(t, sim), 0);
	assert_int_equal(rf_sim_close(sim), 0);
	rf_options_free(&o);
	assert_int_equal(rf_trace_read_open(&r, trace, err, sizeof(err)), 0);
	while (rf_trace_read_next(&r, &rec, err, sizeof(err)) > 0) {
		marker |= rec.kind == RF_TRACE_MARKER && rec.payload_len == 14 &&
			  !memcmp(rec.payload, "via the socket", 14);
		if (rec.kind == RF_TRACE_CONTROL) {
			assert_int_equal(rec.payload_len, 16);
			assert_memory_equal(rec.payload, "bitflip-rate 0.5", 16);
			control = rec.number;
			snprintf(where, sizeof(where), "record %llu at offset %llu",
				 (unsigned long long)rec.number,
				 (unsigned long long)rec.offset);
		}
	}
	rf_trace_read_close(&r);
	assert_true(marker);
	assert_true(control);
	assert_int_equal(t_replay(trace, image, true, 0, false, err,
				  sizeof(err)), -EINVAL);
	t_expect(err, "control command \"bitflip-rate 0.5\"", where);
	if (t_replay(trace, image, false, control - 1, false, err, sizeof(err)))
		fail_msg("replay up to the control command: %s", err);
	free(trace);
	free(image);
}

/* Remove the files the tests left in their temporary directory, and it. */
static int t_cleanup(void **state)
{
	const char *dir = t_tempfile("");
	char path[512];
	struct dirent *de;
	DIR *d = opendir(dir);

	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			unlink(path);
		}
	if (d)
		closedir(d);
	rmdir(dir);
	return 0;
}

/*
 * test-ramflash-trace --write TRACE IMAGE [STEPS]: run the workload (or
 * its first STEPS steps) traced with full data, for check-trace.py to
 * read with ramflash-trace and for the fuzz corpus (tests/fuzz);
 * --write-hash the same with hashes of the data.
 */
int main(int argc, char *argv[])
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replay_to_end),
		cmocka_unit_test(test_replay_upto),
		cmocka_unit_test(test_power_cut),
		cmocka_unit_test(test_corrupt),
		cmocka_unit_test(test_replay_divergence),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_header_and_marker),
		cmocka_unit_test(test_control_events),
	};

	if ((argc == 4 || argc == 5) && (!strcmp(argv[1], "--write") ||
					 !strcmp(argv[1], "--write-hash"))) {
		unlink(argv[3]);
		t_run(argv[3], argv[2], !strcmp(argv[1], "--write"), NULL,
		      argc == 5 ? (unsigned int)atoi(argv[4]) : T_STEPS, NULL);
		return 0;
	}
	return cmocka_run_group_tests(tests, NULL, t_cleanup);
}
