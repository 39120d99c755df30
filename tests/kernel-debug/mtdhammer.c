// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * mtdhammer: concurrent erase/write/verify and read load on one MTD.
 *
 * Runs in the debug-kernel guest to drive many requests through MUSE at
 * once, from several processes, so that KASAN, lockdep and kmemleak see
 * the module's concurrent paths (request queueing, replies arriving out
 * of order, erases racing reads).
 *
 * --writers N processes each own the eraseblocks b with b % N == their
 * index; in every round each erases its blocks, writes them page by page
 * with data derived from (seed, block, round) and reads them back in
 * eraseblock-sized and page-sized reads; any mismatch is a failure.
 * --readers M processes read random pages over the whole device at the
 * same time; they cannot know the content (it changes under them) but
 * every read must succeed.
 *
 * --expect-failure turns it into a probe for the server-killed scenario:
 * the device is going to disappear, so I/O errors are expected; what
 * matters is that every process ends (the caller bounds the time) and
 * no process sees wrong data before the errors start.
 *
 * Exit status: 0 all rounds verified (or, with --expect-failure, the
 * device failed cleanly); 1 a mismatch, an unexpected error, or a crash
 * of a worker; 2 usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <mtd/mtd-user.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

/* ramflash's PRNG: one splitmix64 in the tree. */
#include "faults.h"

struct config {
	const char *path;
	unsigned int writers;
	unsigned int readers;
	unsigned int rounds;
	uint64_t seed;
	int expect_failure;
	struct mtd_info_user info;
	uint32_t blocks;
};

/* Outcome of one worker process, as its exit status. */
enum outcome {
	OUT_OK = 0,
	OUT_BAD = 1,		/* wrong data or unexpected error */
	OUT_DEVICE_GONE = 3,	/* I/O failed (expected with --expect-failure) */
};

static void fill(uint8_t *buf, size_t len, uint64_t seed, uint64_t block,
		 uint64_t round)
{
	uint64_t state = seed ^ (block << 20) ^ (round << 44);

	for (size_t i = 0; i < len; i += 8) {
		uint64_t v = rf_splitmix64(&state);

		memcpy(buf + i, &v, len - i < 8 ? len - i : 8);
	}
}

/* An I/O failure: fatal unless the device is expected to go away. */
static enum outcome io_failed(const struct config *cfg, const char *who,
			      const char *op, uint64_t addr, int err)
{
	if (cfg->expect_failure)
		return OUT_DEVICE_GONE;
	fprintf(stderr, "mtdhammer: %s: %s at %#" PRIx64 ": %s\n", who, op,
		addr, strerror(err));
	return OUT_BAD;
}

static enum outcome write_block(const struct config *cfg, int fd,
				const char *who, uint64_t base,
				const uint8_t *data)
{
	uint32_t page = cfg->info.writesize > 1 ? cfg->info.writesize : 512;
	struct erase_info_user ei = {
		.start = base,
		.length = cfg->info.erasesize,
	};

	if (ioctl(fd, MEMERASE, &ei) < 0)
		return io_failed(cfg, who, "erase", base, errno);
	for (uint32_t off = 0; off < cfg->info.erasesize; off += page) {
		ssize_t n = pwrite(fd, data + off, page, base + off);

		if (n != (ssize_t)page)
			return io_failed(cfg, who, "write", base + off,
					 n < 0 ? errno : EIO);
	}
	return OUT_OK;
}

/* Read the block back whole and page by page; both must match. */
static enum outcome verify_block(const struct config *cfg, int fd,
				 const char *who, uint64_t base,
				 const uint8_t *data, uint8_t *buf)
{
	uint32_t page = cfg->info.writesize > 1 ? cfg->info.writesize : 512;
	ssize_t n = pread(fd, buf, cfg->info.erasesize, base);

	if (n != (ssize_t)cfg->info.erasesize)
		return io_failed(cfg, who, "read", base, n < 0 ? errno : EIO);
	if (memcmp(buf, data, cfg->info.erasesize)) {
		fprintf(stderr, "mtdhammer: %s: block at %#" PRIx64
			" reads back different data\n", who, base);
		return OUT_BAD;
	}
	for (uint32_t off = 0; off < cfg->info.erasesize; off += page) {
		n = pread(fd, buf, page, base + off);
		if (n != (ssize_t)page)
			return io_failed(cfg, who, "read", base + off,
					 n < 0 ? errno : EIO);
		if (memcmp(buf, data + off, page)) {
			fprintf(stderr, "mtdhammer: %s: page at %#" PRIx64
				" reads back different data\n", who, base + off);
			return OUT_BAD;
		}
	}
	return OUT_OK;
}

static enum outcome writer(const struct config *cfg, int fd, unsigned int idx)
{
	uint8_t *data = malloc(cfg->info.erasesize);
	uint8_t *buf = malloc(cfg->info.erasesize);
	enum outcome out = OUT_OK;
	char who[32];

	snprintf(who, sizeof(who), "writer %u", idx);
	if (!data || !buf) {
		fprintf(stderr, "mtdhammer: %s: out of memory\n", who);
		out = OUT_BAD;
	}
	for (unsigned int r = 0; out == OUT_OK && r < cfg->rounds; r++) {
		for (uint32_t b = idx; out == OUT_OK && b < cfg->blocks;
		     b += cfg->writers) {
			uint64_t base = (uint64_t)b * cfg->info.erasesize;

			fill(data, cfg->info.erasesize, cfg->seed, b, r);
			out = write_block(cfg, fd, who, base, data);
			if (out == OUT_OK)
				out = verify_block(cfg, fd, who, base, data, buf);
		}
	}
	free(data);
	free(buf);
	return out;
}

/* Random page reads for as long as the writers run (killed by the parent). */
static enum outcome reader(const struct config *cfg, int fd, unsigned int idx)
{
	uint32_t page = cfg->info.writesize > 1 ? cfg->info.writesize : 512;
	uint64_t pages = cfg->info.size / page;
	uint64_t state = cfg->seed + 1000 + idx;
	uint8_t *buf = malloc(page);
	char who[32];

	snprintf(who, sizeof(who), "reader %u", idx);
	if (!buf)
		return OUT_BAD;
	for (;;) {
		uint64_t addr = rf_splitmix64(&state) % pages * page;
		ssize_t n = pread(fd, buf, page, addr);

		if (n != (ssize_t)page) {
			enum outcome out = io_failed(cfg, who, "read", addr,
						     n < 0 ? errno : EIO);

			free(buf);
			return out;
		}
	}
}

static pid_t spawn(const struct config *cfg, int reading, unsigned int idx)
{
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open(cfg->path, O_RDWR);

		if (fd < 0)
			_exit(io_failed(cfg, "worker", "open", 0, errno));
		_exit(reading ? reader(cfg, fd, idx) : writer(cfg, fd, idx));
	}
	return pid;
}

/* Fold a worker's wait status into the overall outcome. */
static enum outcome collect(enum outcome sofar, int status, int reading)
{
	if (reading && WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM)
		return sofar;	/* stopped by us after the writers finished */
	if (!WIFEXITED(status))
		return OUT_BAD;
	if (WEXITSTATUS(status) == OUT_BAD || sofar == OUT_BAD)
		return OUT_BAD;
	if (WEXITSTATUS(status) == OUT_DEVICE_GONE)
		return OUT_DEVICE_GONE;
	return WEXITSTATUS(status) == OUT_OK ? sofar : OUT_BAD;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: mtdhammer [options] /dev/mtdN\n"
		"  --writers N        erase/write/verify processes (default 4)\n"
		"  --readers N        random-read processes (default 2)\n"
		"  --rounds N         passes of each writer over its blocks (default 3)\n"
		"  --blocks N         eraseblocks to use from 0 (default all)\n"
		"  --seed N           data seed (default 1)\n"
		"  --expect-failure   the device will vanish: I/O errors are fine\n");
}

static unsigned long number(const char *opt, const char *arg, int zero_ok)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 0);
	if (errno || *end || end == arg || (!zero_ok && v == 0)) {
		fprintf(stderr, "mtdhammer: bad %s '%s'\n", opt, arg);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "writers", required_argument, NULL, 'w' },
		{ "readers", required_argument, NULL, 'r' },
		{ "rounds", required_argument, NULL, 'n' },
		{ "blocks", required_argument, NULL, 'b' },
		{ "seed", required_argument, NULL, 's' },
		{ "expect-failure", no_argument, NULL, 'x' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct config cfg = { .writers = 4, .readers = 2, .rounds = 3, .seed = 1 };
	unsigned long blocks = 0;
	pid_t *pids;
	enum outcome out = OUT_OK;
	int c, fd;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'w': cfg.writers = number("--writers", optarg, 0); break;
		case 'r': cfg.readers = number("--readers", optarg, 1); break;
		case 'n': cfg.rounds = number("--rounds", optarg, 0); break;
		case 'b': blocks = number("--blocks", optarg, 0); break;
		case 's': cfg.seed = number("--seed", optarg, 1); break;
		case 'x': cfg.expect_failure = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	cfg.path = argv[optind];

	fd = open(cfg.path, O_RDWR);
	if (fd < 0 || ioctl(fd, MEMGETINFO, &cfg.info) < 0) {
		fprintf(stderr, "mtdhammer: %s: %s\n", cfg.path, strerror(errno));
		return cfg.expect_failure ? 0 : 1;
	}
	close(fd);
	if (!cfg.info.erasesize || cfg.info.size < cfg.info.erasesize) {
		fprintf(stderr, "mtdhammer: %s: no eraseblocks\n", cfg.path);
		return 1;
	}
	cfg.blocks = cfg.info.size / cfg.info.erasesize;
	if (blocks > cfg.blocks) {
		fprintf(stderr, "mtdhammer: --blocks %lu but %s has %u\n",
			blocks, cfg.path, cfg.blocks);
		return 2;
	}
	if (blocks)
		cfg.blocks = blocks;
	if (cfg.writers > cfg.blocks)
		cfg.writers = cfg.blocks;

	pids = calloc(cfg.writers + cfg.readers, sizeof(*pids));
	if (!pids)
		return 1;
	for (unsigned int i = 0; i < cfg.writers + cfg.readers; i++) {
		int reading = i >= cfg.writers;

		pids[i] = spawn(&cfg, reading, reading ? i - cfg.writers : i);
		if (pids[i] < 0) {
			perror("mtdhammer: fork");
			out = OUT_BAD;
		}
	}
	/* Writers end on their own; the readers run until they are done. */
	for (unsigned int i = 0; i < cfg.writers; i++) {
		int status;

		if (pids[i] > 0 && waitpid(pids[i], &status, 0) == pids[i])
			out = collect(out, status, 0);
	}
	for (unsigned int i = cfg.writers; i < cfg.writers + cfg.readers; i++) {
		int status;

		if (pids[i] <= 0)
			continue;
		kill(pids[i], SIGTERM);
		if (waitpid(pids[i], &status, 0) == pids[i])
			out = collect(out, status, 1);
	}
	free(pids);

	if (out == OUT_BAD)
		return 1;
	if (out == OUT_DEVICE_GONE) {
		printf("mtdhammer: %s failed I/O as expected\n", cfg.path);
		return 0;
	}
	if (cfg.expect_failure) {
		printf("mtdhammer: %s: all rounds verified before the device went\n",
		       cfg.path);
		return 0;
	}
	printf("mtdhammer: %s: %u writers x %u rounds over %u blocks verified, "
	       "%u readers\n", cfg.path, cfg.writers, cfg.rounds, cfg.blocks,
	       cfg.readers);
	return 0;
}
