// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * mtdbench: throughput of an MTD character device (/dev/mtdN) for
 * eraseblock-sized and page-sized reads and writes, for erases one block
 * per call, for one erase of the whole area, and for the cycle a flash
 * filesystem lives by: erase a written block, program it page by page,
 * read it back.
 *
 * The same program measures MUSE, mtdram and nandsim so that their numbers
 * are comparable: same access pattern, same buffer sizes, time taken with
 * CLOCK_MONOTONIC around the system calls only.  Every read is checked
 * against what was written (outside the timed region), so a fast but
 * wrong device cannot produce a number.
 *
 * Output: one line per phase,
 *   RESULT <label> <phase> <bytes> <seconds> <MiB/s> <ops/s> <median MiB/s>
 *          <p10 MiB/s> <p90 MiB/s>
 * which bench/run-e2e.sh collects into a table.  MiB/s is total bytes over
 * total time; the median figure is one operation's bytes over the median
 * time of one operation, which a host that takes the CPU away now and then
 * (a loaded machine running QEMU) moves far less than the total.  p10 and
 * p90 are the same over the 10th and 90th percentile operation times (p10
 * is the fast one): a median alone hides work that one operation defers
 * to the next, the total and p90 show it.
 *
 * With --time PHASE --bytes N it times a command instead (one operation:
 * fork, exec, wait; the command must exit 0) and prints its RESULT line,
 * so that whole workloads on top of the MTD (ubiupdatevol, a file system's
 * writes and sync) are measured by the same clock and reported alike.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <mtd/mtd-user.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct bench {
	int fd;
	const char *label;
	struct mtd_info_user info;
	uint32_t blocks;	/* eraseblocks used, from 0 */
	uint32_t page;		/* bytes per page-sized request */
	unsigned int repeat;
	uint8_t *pattern;	/* blocks * erasesize bytes of test data */
	uint8_t *buf;		/* one eraseblock */
};

/* Every operation of a phase moves the same number of bytes. */
struct phase_time {
	uint64_t bytes;
	uint64_t ops;
	double seconds;
	double *op_seconds;	/* one per operation, ops of them */
	size_t cap;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "mtdbench: %s: %s\n", what, strerror(err));
	exit(1);
}

static void record(struct phase_time *t, uint64_t bytes, double seconds)
{
	if (t->ops == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 256;
		t->op_seconds = realloc(t->op_seconds,
					t->cap * sizeof(*t->op_seconds));
		if (!t->op_seconds)
			die("realloc", ENOMEM);
	}
	t->op_seconds[t->ops++] = seconds;
	t->seconds += seconds;
	t->bytes += bytes;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * MiB/s of one operation that took the @pct-th percentile of the sorted
 * operation times (0 when there were none, or it took no measurable time).
 */
static double percentile_mibs(const struct phase_time *t, unsigned int pct)
{
	double seconds;

	if (!t->ops)
		return 0;
	seconds = t->op_seconds[(t->ops - 1) * pct / 100];
	return seconds > 0 ? (double)t->bytes / t->ops / seconds / 1048576.0 : 0;
}

static void report(const struct bench *b, const char *phase,
		   struct phase_time *t)
{
	double mibs = t->seconds > 0 ? t->bytes / t->seconds / 1048576.0 : 0;
	double opss = t->seconds > 0 ? t->ops / t->seconds : 0;

	qsort(t->op_seconds, t->ops, sizeof(*t->op_seconds), cmp_double);
	printf("RESULT %s %s %" PRIu64 " %.6f %.3f %.1f %.3f %.3f %.3f\n",
	       b->label, phase, t->bytes, t->seconds, mibs, opss,
	       percentile_mibs(t, 50), percentile_mibs(t, 10),
	       percentile_mibs(t, 90));
	fflush(stdout);
	free(t->op_seconds);
}

/* Erase block @i with one MEMERASE; return the seconds it took. */
static double erase_block(const struct bench *b, uint32_t i)
{
	struct erase_info_user ei = {
		.start = i * b->info.erasesize,
		.length = b->info.erasesize,
	};
	double start = now();

	if (ioctl(b->fd, MEMERASE, &ei) < 0)
		die("MEMERASE", errno);
	return now() - start;
}

static void erase_all(const struct bench *b, struct phase_time *t)
{
	for (uint32_t i = 0; i < b->blocks; i++)
		record(t, b->info.erasesize, erase_block(b, i));
}

/*
 * One MEMERASE over every block: the module queues the blocks together, so
 * a multi-threaded server erases them in parallel.
 */
static void erase_at_once(const struct bench *b, struct phase_time *t)
{
	struct erase_info_user ei = {
		.start = 0,
		.length = b->blocks * b->info.erasesize,
	};
	double start = now();

	if (ioctl(b->fd, MEMERASE, &ei) < 0)
		die("MEMERASE", errno);
	record(t, ei.length, now() - start);
}

/*
 * Write @chunk bytes of the pattern at @off, or read them back into b->buf;
 * return the seconds the system call took.  The caller verifies reads.
 */
static double transfer(const struct bench *b, int writing, uint32_t chunk,
		       uint64_t off)
{
	double start = now();
	ssize_t n = writing ? pwrite(b->fd, b->pattern + off, chunk, off) :
			      pread(b->fd, b->buf, chunk, off);
	double seconds = now() - start;

	if (n < 0)
		die(writing ? "pwrite" : "pread", errno);
	if ((size_t)n != chunk)
		die(writing ? "short pwrite" : "short pread", EIO);
	return seconds;
}

static void verify(const struct bench *b, uint32_t chunk, uint64_t off)
{
	if (memcmp(b->buf, b->pattern + off, chunk)) {
		fprintf(stderr, "mtdbench: data read at %#" PRIx64
			" differs from what was written\n", off);
		exit(1);
	}
}

/*
 * Write the pattern over all blocks, or read it back and verify it, in
 * requests of @chunk bytes.
 */
static void transfer_all(const struct bench *b, int writing, uint32_t chunk,
			 struct phase_time *t)
{
	uint64_t total = (uint64_t)b->blocks * b->info.erasesize;

	for (uint64_t off = 0; off < total; off += chunk) {
		double seconds = transfer(b, writing, chunk, off);

		if (!writing)
			verify(b, chunk, off);
		record(t, chunk, seconds);
	}
}

/*
 * Per block of the written area: erase it, program it a page-sized request
 * at a time (the unit a flash filesystem writes in), read it back in one
 * call.  One operation is the whole cycle of one block, so the cost an
 * erase leaves to the programs after it (pages to allocate again) is
 * inside the operation it belongs to.
 */
static void cycle_all(const struct bench *b, struct phase_time *t)
{
	for (uint32_t i = 0; i < b->blocks; i++) {
		uint64_t base = (uint64_t)i * b->info.erasesize;
		double seconds = erase_block(b, i);

		for (uint32_t off = 0; off < b->info.erasesize; off += b->page)
			seconds += transfer(b, 1, b->page, base + off);
		seconds += transfer(b, 0, b->info.erasesize, base);
		verify(b, b->info.erasesize, base);
		record(t, b->info.erasesize, seconds);
	}
}

static void run(struct bench *b)
{
	struct phase_time erase = { 0 }, ebw = { 0 }, ebr = { 0 };
	struct phase_time pgw = { 0 }, pgr = { 0 }, multi = { 0 };
	struct phase_time cycle = { 0 };

	for (unsigned int r = 0; r < b->repeat; r++) {
		erase_all(b, &erase);
		transfer_all(b, 1, b->info.erasesize, &ebw);
		transfer_all(b, 0, b->info.erasesize, &ebr);
		erase_at_once(b, &multi);
		transfer_all(b, 1, b->page, &pgw);
		transfer_all(b, 0, b->page, &pgr);
		cycle_all(b, &cycle);
	}
	report(b, "erase", &erase);
	report(b, "erase-multi", &multi);
	report(b, "eb-write", &ebw);
	report(b, "eb-read", &ebr);
	report(b, "page-write", &pgw);
	report(b, "page-read", &pgr);
	report(b, "cycle", &cycle);
}

/*
 * Run @argv (a command and its arguments) and report the time it took as
 * one operation of @bytes in phase @phase; exit 1 if it does not exit 0.
 */
static int time_command(const char *label, const char *phase, uint64_t bytes,
			char **argv)
{
	struct bench b = { .label = label };
	struct phase_time t = { 0 };
	double start = now();
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork", errno);
	if (!pid) {
		execvp(argv[0], argv);
		fprintf(stderr, "mtdbench: %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		die("waitpid", errno);
	record(&t, bytes, now() - start);
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "mtdbench: %s failed (status %#x)\n", argv[0],
			status);
		return 1;
	}
	report(&b, phase, &t);
	return 0;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: mtdbench [options] /dev/mtdN\n"
		"       mtdbench --label NAME --time PHASE --bytes N -- COMMAND [ARG]...\n"
		"  --label NAME     name on the RESULT lines (default: the device)\n"
		"  --blocks N       eraseblocks to use from block 0 (default: all)\n"
		"  --page BYTES     size of page-sized requests (default: writesize,\n"
		"                   or 2048 on devices with 1-byte pages)\n"
		"  --repeat N       passes over the area (default 1)\n"
		"  --seed N         seed of the test data (default 1)\n"
		"  --time PHASE     time COMMAND as one operation of N bytes\n"
		"                   (--bytes) and print its RESULT line\n");
}

static unsigned long parse_number(const char *opt, const char *arg)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 0);
	if (errno || *end || end == arg || v == 0) {
		fprintf(stderr, "mtdbench: %s wants a positive number, not '%s'\n",
			opt, arg);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "label", required_argument, NULL, 'l' },
		{ "blocks", required_argument, NULL, 'b' },
		{ "page", required_argument, NULL, 'p' },
		{ "repeat", required_argument, NULL, 'r' },
		{ "seed", required_argument, NULL, 's' },
		{ "time", required_argument, NULL, 't' },
		{ "bytes", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct bench b = { .repeat = 1 };
	unsigned long blocks = 0, seed = 1, bytes = 0;
	const char *phase = NULL;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'l': b.label = optarg; break;
		case 'b': blocks = parse_number("--blocks", optarg); break;
		case 'p': b.page = parse_number("--page", optarg); break;
		case 'r': b.repeat = parse_number("--repeat", optarg); break;
		case 's': seed = parse_number("--seed", optarg); break;
		case 't': phase = optarg; break;
		case 'n': bytes = parse_number("--bytes", optarg); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (phase || bytes) {
		if (!phase || !bytes || !b.label || optind == argc) {
			fprintf(stderr, "mtdbench: --time wants --bytes, --label and a command\n");
			return 2;
		}
		return time_command(b.label, phase, bytes, argv + optind);
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	if (!b.label)
		b.label = argv[optind];

	b.fd = open(argv[optind], O_RDWR);
	if (b.fd < 0)
		die(argv[optind], errno);
	if (ioctl(b.fd, MEMGETINFO, &b.info) < 0)
		die("MEMGETINFO", errno);
	if (!b.info.erasesize || !b.info.writesize || !b.info.size)
		die("device reports a zero size", EINVAL);

	uint32_t avail = b.info.size / b.info.erasesize;

	if (blocks > avail) {
		fprintf(stderr, "mtdbench: --blocks %lu but the device has %u\n",
			blocks, avail);
		return 2;
	}
	b.blocks = blocks ? blocks : avail;
	if (!b.page)
		b.page = b.info.writesize > 1 ? b.info.writesize : 2048;
	if (b.page % b.info.writesize || b.info.erasesize % b.page) {
		fprintf(stderr, "mtdbench: --page %u must be a multiple of the "
			"page size %u and divide the eraseblock size %u\n",
			b.page, b.info.writesize, b.info.erasesize);
		return 2;
	}

	size_t area = (size_t)b.blocks * b.info.erasesize;

	b.pattern = malloc(area);
	b.buf = malloc(b.info.erasesize);
	if (!b.pattern || !b.buf)
		die("malloc", ENOMEM);
	/* Random-looking data, so no backend can shortcut runs of 0xff. */
	srandom(seed);
	for (size_t i = 0; i < area; i++)
		b.pattern[i] = random() & 0xff;

	printf("DEVICE %s %s size=%llu erasesize=%u writesize=%u oobsize=%u "
	       "blocks=%u page=%u repeat=%u\n", b.label, argv[optind],
	       (unsigned long long)b.info.size, b.info.erasesize,
	       b.info.writesize, b.info.oobsize, b.blocks, b.page, b.repeat);
	run(&b);
	free(b.pattern);
	free(b.buf);
	close(b.fd);
	return 0;
}
