// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ramflash fault models: splitmix64 hashing, block lists, bit flips.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "faults.h"

/* Ranges are expanded into lists, so keep one range reasonable. */
#define RF_BLOCK_RANGE_MAX	(1ULL << 20)

uint64_t rf_splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint64_t rf_hash(uint64_t seed, enum rf_hash_domain domain, uint64_t a,
		 uint64_t b)
{
	uint64_t state = seed;
	uint64_t h;

	/* Feed each argument through a full splitmix64 round. */
	state ^= rf_splitmix64(&state) ^ (uint64_t)domain;
	h = rf_splitmix64(&state);
	state ^= a;
	h ^= rf_splitmix64(&state);
	state ^= b;
	return h ^ rf_splitmix64(&state);
}

double rf_unit(uint64_t hash)
{
	return (double)(hash >> 11) * (1.0 / 9007199254740992.0);
}

static int rf_block_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

bool rf_block_list_contains(const struct rf_block_list *list, uint64_t block)
{
	return list->count &&
	       bsearch(&block, list->blocks, list->count, sizeof(block),
		       rf_block_cmp);
}

int rf_block_list_add(struct rf_block_list *list, uint64_t block)
{
	size_t lo = 0, hi = list->count, mid;
	uint64_t *grown;

	/* Binary search for the insertion point; ranges append in order. */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (list->blocks[mid] == block)
			return 0;
		if (list->blocks[mid] < block)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (list->count == list->capacity) {
		size_t capacity = list->capacity ? 2 * list->capacity : 16;

		grown = realloc(list->blocks, capacity * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		list->blocks = grown;
		list->capacity = capacity;
	}
	memmove(&list->blocks[lo + 1], &list->blocks[lo],
		(list->count - lo) * sizeof(*list->blocks));
	list->blocks[lo] = block;
	list->count++;
	return 0;
}

void rf_block_list_free(struct rf_block_list *list)
{
	free(list->blocks);
	list->blocks = NULL;
	list->count = 0;
	list->capacity = 0;
}

/* Parse one unsigned decimal number; *end gets the first byte after it. */
static int rf_parse_block(const char *s, const char **end, uint64_t *out)
{
	char *stop;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*out = strtoull(s, &stop, 10);
	if (errno)
		return -EINVAL;
	*end = stop;
	return 0;
}

int rf_block_list_parse(const char *text, struct rf_block_list *list,
			char *err, size_t errlen)
{
	const char *p = text;
	uint64_t first, last, b;
	int ret;

	for (;;) {
		if (rf_parse_block(p, &p, &first))
			goto syntax;
		last = first;
		if (*p == '-' && rf_parse_block(p + 1, &p, &last))
			goto syntax;
		if (last < first || last - first >= RF_BLOCK_RANGE_MAX) {
			snprintf(err, errlen, "block range %" PRIu64 "-%" PRIu64
				 " is empty or too large", first, last);
			return -EINVAL;
		}
		for (b = first; ; b++) {
			ret = rf_block_list_add(list, b);
			if (ret) {
				snprintf(err, errlen, "out of memory");
				return ret;
			}
			if (b == last)
				break;
		}
		if (!*p)
			return 0;
		if (*p++ != ',')
			goto syntax;
	}
syntax:
	snprintf(err, errlen, "'%s' is not a block list like 3,10-12", text);
	return -EINVAL;
}

long rf_limit_find(const struct rf_limit_list *list, uint64_t index)
{
	size_t lo = 0, hi = list->count, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (list->items[mid].index == index)
			return (long)mid;
		if (list->items[mid].index < index)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* Insert or replace the limit of @index, keeping @list sorted. */
static int rf_limit_set(struct rf_limit_list *list, uint64_t index,
			uint32_t max)
{
	struct rf_limit *grown;
	size_t at = 0;

	while (at < list->count && list->items[at].index < index)
		at++;
	if (at < list->count && list->items[at].index == index) {
		list->items[at].max = max;
		return 0;
	}
	grown = realloc(list->items, (list->count + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	list->items = grown;
	memmove(&list->items[at + 1], &list->items[at],
		(list->count - at) * sizeof(*list->items));
	list->items[at] = (struct rf_limit){ index, max };
	list->count++;
	return 0;
}

int rf_limit_list_parse(const char *text, struct rf_limit_list *list,
			char *err, size_t errlen)
{
	const char *p = text;
	uint64_t index, max;

	rf_limit_list_free(list);
	for (;;) {
		if (rf_parse_block(p, &p, &index))
			goto syntax;
		max = RF_LIMIT_DEFAULT;
		if (*p == ':' && (rf_parse_block(p + 1, &p, &max) ||
				  max > UINT32_MAX))
			goto syntax;
		if (rf_limit_set(list, index, (uint32_t)max)) {
			rf_limit_list_free(list);
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
		if (!*p)
			return 0;
		if (*p++ != ',')
			goto syntax;
	}
syntax:
	rf_limit_list_free(list);
	snprintf(err, errlen, "'%s' is not a list like 113:2,1401 (N or N:count)",
		 text);
	return -EINVAL;
}

int rf_limit_list_copy(struct rf_limit_list *dst,
		       const struct rf_limit_list *src)
{
	dst->items = NULL;
	dst->count = 0;
	if (!src->count)
		return 0;
	dst->items = malloc(src->count * sizeof(*dst->items));
	if (!dst->items)
		return -ENOMEM;
	memcpy(dst->items, src->items, src->count * sizeof(*dst->items));
	dst->count = src->count;
	return 0;
}

void rf_limit_list_free(struct rf_limit_list *list)
{
	free(list->items);
	list->items = NULL;
	list->count = 0;
}

int rf_pick_bad_blocks(uint64_t seed, uint64_t count, uint64_t nblocks,
		       struct rf_block_list *list)
{
	uint64_t candidates = nblocks ? nblocks - 1 : 0;
	uint64_t taken = 0, draw = 0, i, block;
	int ret;

	for (i = 0; i < list->count; i++)
		taken += list->blocks[i] > 0 && list->blocks[i] < nblocks;
	if (count > candidates - taken)
		return -EINVAL;
	/*
	 * Rejection sampling: draw until a free block turns up.  Refuse
	 * requests for more than half the device, where it would crawl.
	 */
	if (count && count > candidates / 2)
		return -EINVAL;
	while (count) {
		block = 1 + rf_hash(seed, RF_HASH_BAD_BLOCK, draw++, 0) %
			    candidates;
		if (rf_block_list_contains(list, block))
			continue;
		ret = rf_block_list_add(list, block);
		if (ret)
			return ret;
		count--;
	}
	return 0;
}

uint32_t rf_step_flips(const struct rf_faults *faults, uint32_t bitflip_max,
		       const struct rf_step_read *rd, struct rf_flips *flips)
{
	uint64_t h;

	memset(flips, 0, sizeof(*flips));
	if (faults->bitflip_rate > 0 && bitflip_max) {
		h = rf_hash(faults->seed, RF_HASH_BITFLIP_HIT, rd->step,
			    rd->read_seq);
		if (rf_unit(h) < faults->bitflip_rate)
			flips->random = 1 + rf_hash(faults->seed,
						    RF_HASH_BITFLIP_COUNT,
						    rd->step, rd->read_seq) %
					    bitflip_max;
	}
	if (faults->read_disturb)
		flips->disturb = rd->reads_before / faults->read_disturb;
	if (faults->retention && rd->age)
		flips->retention = rd->age / faults->retention;
	return flips->random + flips->disturb + flips->retention;
}

static uint64_t rf_gcd(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

void rf_flip_bits(uint64_t seed, uint64_t step, uint64_t step_addr,
		  uint32_t step_len, uint32_t count, uint8_t *out,
		  uint64_t out_addr, size_t out_len)
{
	uint64_t nbits = (uint64_t)step_len * 8;
	uint64_t h = rf_hash(seed, RF_HASH_WEAK_CELLS, step, 0);
	uint64_t start = h % nbits;
	uint64_t stride = (h >> 32) % nbits;
	uint64_t pos, addr;
	uint32_t i;

	/* A stride coprime to nbits visits every bit once: distinct cells. */
	if (!stride)
		stride = 1;
	while (rf_gcd(stride, nbits) != 1)
		stride++;
	if (count > nbits)
		count = nbits;
	for (i = 0, pos = start; i < count; i++, pos = (pos + stride) % nbits) {
		addr = step_addr + pos / 8;
		if (addr >= out_addr && addr - out_addr < out_len)
			out[addr - out_addr] ^= (uint8_t)(1U << (pos % 8));
	}
}
