// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ramflash read passthrough (passthrough.h).  A block is marked while the
 * simulator would answer its plain reads with the store's bytes: no bit
 * flip model, no read latency (rf_sim_reads_plain()), and no RAW-written
 * page.  A RAW write takes its blocks back before it runs, so the kernel
 * never reads a page whose ECC view differs; an erase clears that and the
 * block is marked again.  The kernel's read counts go into the statistics
 * before an erase (read counters restart there) and before every report.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "passthrough.h"

/* Blocks per count fetch: the arrays live on the stack. */
#define RF_PT_CHUNK	256

static bool rf_pt_bit(const struct rf_pt *pt, uint64_t b)
{
	return pt->marked[b / 8] & (1u << (b % 8));
}

static void rf_pt_set_bit(struct rf_pt *pt, uint64_t b, bool on)
{
	if (on)
		pt->marked[b / 8] |= (uint8_t)(1u << (b % 8));
	else
		pt->marked[b / 8] &= (uint8_t)~(1u << (b % 8));
}

/* Mark or take back [first, first + n); the caller holds pt->lock. */
static int rf_pt_change(struct rf_pt *pt, uint64_t first, uint64_t n,
			bool on)
{
	uint64_t b;
	int ret;

	if (!n)
		return 0;
	ret = muse_session_passthrough(pt->se, first, n, on);
	if (ret) {
		fprintf(stderr, "ramflash: passthrough of blocks %llu-%llu: %s\n",
			(unsigned long long)first,
			(unsigned long long)(first + n - 1), strerror(-ret));
		return ret;
	}
	for (b = first; b < first + n; b++)
		rf_pt_set_bit(pt, b, on);
	return 0;
}

/* Add the kernel's reads of [first, first + n) to the statistics. */
static void rf_pt_count(struct rf_pt *pt, uint64_t first, uint64_t n)
{
	uint32_t counts[RF_PT_CHUNK];
	uint64_t bytes[RF_PT_CHUNK];
	uint64_t reads = 0, total = 0, i, j, k;

	for (i = 0; i < n; i += k) {
		k = n - i < RF_PT_CHUNK ? n - i : RF_PT_CHUNK;
		if (muse_session_passthrough_reads(pt->se, first + i, k,
						   counts, bytes))
			break;
		for (j = 0; j < k; j++) {
			reads += counts[j];
			total += bytes[j];
		}
	}
	rf_sim_count_reads(pt->sim, reads, total);
}

/* Mark the plain blocks of [first, first + n), in runs. */
static void rf_pt_mark_plain(struct rf_pt *pt, uint64_t first, uint64_t n)
{
	uint64_t b, run = first;

	for (b = first; b < first + n; b++) {
		if (rf_sim_block_plain(pt->sim, b) && !rf_pt_bit(pt, b))
			continue;
		rf_pt_change(pt, run, b - run, true);
		run = b + 1;
	}
	rf_pt_change(pt, run, b - run, true);
}

int rf_pt_start(struct rf_pt *pt, struct muse_session *se, struct rf_sim *sim)
{
	uint64_t offset;
	int fd, ret;

	pt->se = se;
	pt->sim = sim;
	if (!rf_sim_reads_plain(sim))
		return 0;
	rf_sim_store_data(sim, &fd, &offset);
	ret = muse_session_set_backing(se, fd, offset, MUSE_PT_INVERTED);
	/* Not negotiated (a kernel without it, --no-passthrough): off. */
	if (ret == -EOPNOTSUPP)
		return 0;
	if (ret) {
		fprintf(stderr, "ramflash: cannot hand the store to the kernel: %s\n",
			strerror(-ret));
		return ret;
	}
	pt->blocks = rf_sim_blocks(sim);
	pt->marked = calloc((pt->blocks + 7) / 8, 1);
	if (!pt->marked)
		return -ENOMEM;
	pthread_mutex_init(&pt->lock, NULL);
	pt->on = true;
	pthread_mutex_lock(&pt->lock);
	rf_pt_mark_plain(pt, 0, pt->blocks);
	pthread_mutex_unlock(&pt->lock);
	return 0;
}

/* The blocks [addr, addr + len) touches. */
static void rf_pt_blocks(const struct rf_pt *pt, uint64_t addr, uint64_t len,
			 uint64_t *first, uint64_t *n)
{
	uint32_t erase = rf_sim_geometry(pt->sim)->erase_size;

	*first = addr / erase;
	*n = len ? (addr + len - 1) / erase - *first + 1 : 1;
	if (*first >= pt->blocks)
		*n = 0;
	else if (*n > pt->blocks - *first)
		*n = pt->blocks - *first;
}

int rf_pt_before_write(struct rf_pt *pt, uint64_t addr, uint64_t len,
		       bool raw)
{
	uint64_t first, n, b;
	int ret = 0;

	if (!pt->on || !raw)
		return 0;
	rf_pt_blocks(pt, addr, len, &first, &n);
	pthread_mutex_lock(&pt->lock);
	for (b = first; b < first + n && !ret; b++)
		if (rf_pt_bit(pt, b))
			ret = rf_pt_change(pt, b, 1, false);
	pthread_mutex_unlock(&pt->lock);
	return ret;
}

void rf_pt_before_erase(struct rf_pt *pt, uint64_t addr, uint64_t len)
{
	uint64_t first, n;

	if (!pt->on)
		return;
	rf_pt_blocks(pt, addr, len, &first, &n);
	pthread_mutex_lock(&pt->lock);
	rf_pt_count(pt, first, n);
	pthread_mutex_unlock(&pt->lock);
}

void rf_pt_after_erase(struct rf_pt *pt, uint64_t addr, uint64_t len)
{
	uint64_t first, n;

	if (!pt->on)
		return;
	rf_pt_blocks(pt, addr, len, &first, &n);
	pthread_mutex_lock(&pt->lock);
	rf_pt_mark_plain(pt, first, n);
	pthread_mutex_unlock(&pt->lock);
}

void rf_pt_collect(struct rf_pt *pt)
{
	if (!pt->on)
		return;
	pthread_mutex_lock(&pt->lock);
	rf_pt_count(pt, 0, pt->blocks);
	pthread_mutex_unlock(&pt->lock);
}

void rf_pt_stop(struct rf_pt *pt)
{
	if (!pt->on)
		return;
	rf_pt_collect(pt);
	pt->on = false;
	pthread_mutex_destroy(&pt->lock);
	free(pt->marked);
	pt->marked = NULL;
}
