// SPDX-License-Identifier: GPL-2.0-only
/*
 * MUSE: MTD in userspace.  The partition list of the PARTSCMDLINE info key,
 * in the mtdparts syntax of the kernel command line without "mtdparts=" and
 * "<mtd-id>:":
 *
 *	<part>[,<part>...]
 *	<part> := <size>[@<offset>][(<name>)][ro][lk][slc]
 *	<size> := <number>[K|M|G] | "-"	("-": the rest of the device)
 *
 * Numbers are decimal or 0x-prefixed hexadecimal.  A partition without an
 * offset starts where the previous one ends.  Every partition must be
 * eraseblock aligned, inside the device and after the previous one.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ctype.h>
#include <linux/kernel.h>
#include <linux/math64.h>
#include <linux/mtd/partitions.h>
#include <linux/string.h>

#include "muse_conn.h"

#define muse_parts_reject(idx, fmt, ...) ({				\
	pr_warn("INIT rejected: PARTSCMDLINE partition %d: " fmt "\n",	\
		(idx) + 1, ##__VA_ARGS__);				\
	-EINVAL;							\
})

/* Value of digit c in base (10 or 16), or -1. */
static int muse_digit(char c, unsigned int base)
{
	int val;

	if (isdigit(c))
		val = c - '0';
	else if (isxdigit(c))
		val = _tolower(c) - 'a' + 10;
	else
		return -1;
	return val < base ? val : -1;
}

/* A number with an optional K/M/G suffix; advances *p past it. */
static int muse_parse_number(const char **p, u64 *out)
{
	const char *s = *p;
	unsigned int base = 10, shift = 0, digits = 0;
	u64 val = 0;
	int digit;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	for (; (digit = muse_digit(*s, base)) >= 0; s++, digits++) {
		if (val > div_u64(U64_MAX - digit, base))
			return -ERANGE;
		val = val * base + digit;
	}
	if (!digits)
		return -EINVAL;

	switch (*s) {
	case 'K':
	case 'k':
		shift = 10;
		break;
	case 'M':
	case 'm':
		shift = 20;
		break;
	case 'G':
	case 'g':
		shift = 30;
		break;
	}
	if (shift) {
		s++;
		if (val > U64_MAX >> shift)
			return -ERANGE;
		val <<= shift;
	}
	*p = s;
	*out = val;
	return 0;
}

/* One <part>; *p points at it and is advanced past it. */
static int muse_parse_one(const char **p, int idx, u64 prev_end,
			  const struct mtd_info *mtd, struct muse_parts *out)
{
	struct mtd_partition *part = &out->parts[idx];
	char *name = out->names[idx];
	const char *s = *p, *end;
	bool rest = false;
	u64 size = 0, offset = prev_end;

	if (*s == '-') {
		rest = true;
		s++;
	} else if (muse_parse_number(&s, &size)) {
		return muse_parts_reject(idx, "bad size at \"%.16s\"", s);
	}
	if (*s == '@') {
		s++;
		if (muse_parse_number(&s, &offset))
			return muse_parts_reject(idx, "bad offset at \"%.16s\"",
						 s);
	}
	if (*s == '(') {
		end = strchr(++s, ')');
		if (!end)
			return muse_parts_reject(idx, "unterminated name");
		if (end == s || end - s > MUSE_NAME_MAX ||
		    !muse_name_printable(s, end - s))
			return muse_parts_reject(idx, "name must have 1 to %d printable bytes",
						 MUSE_NAME_MAX);
		memcpy(name, s, end - s);
		name[end - s] = '\0';
		s = end + 1;
	} else {
		snprintf(name, MUSE_NAME_MAX + 1, "%s-%d", mtd->name, idx + 1);
	}
	/* The flags of the kernel's mtdparts, in its order. */
	if (!strncmp(s, "ro", 2)) {
		part->mask_flags |= MTD_WRITEABLE;
		s += 2;
	}
	if (!strncmp(s, "lk", 2)) {
		part->mask_flags |= MTD_POWERUP_LOCK;
		s += 2;
	}
	if (!strncmp(s, "slc", 3)) {
		/* SLC emulation is for MLC NAND only (the core's rule). */
		if (mtd->type != MTD_MLCNANDFLASH)
			return muse_parts_reject(idx, "slc on a device that is not MLC NAND");
		part->add_flags |= MTD_SLC_ON_MLC_EMULATION;
		s += 3;
	}
	if (*s && *s != ',')
		return muse_parts_reject(idx, "unexpected \"%.16s\"", s);

	if (offset < prev_end || offset >= mtd->size)
		return muse_parts_reject(idx, "offset %llu overlaps or is outside the device",
					 offset);
	if (rest) {
		if (*s)
			return muse_parts_reject(idx, "only the last partition may take the rest");
		size = mtd->size - offset;
	}
	if (!size || size > mtd->size - offset)
		return muse_parts_reject(idx, "size %llu at offset %llu does not fit",
					 size, offset);
	if (!muse_eraseblock_aligned(offset, mtd) ||
	    !muse_eraseblock_aligned(size, mtd))
		return muse_parts_reject(idx, "offset %llu or size %llu is not eraseblock aligned",
					 offset, size);

	part->name = name;
	part->offset = offset;
	part->size = size;
	*p = s;
	return 0;
}

/**
 * muse_parse_partitions() - parse and check a PARTSCMDLINE value
 * @spec:	the value; an empty one is refused like any bad size
 * @mtd:	the device with its geometry and name filled in
 * @out:	zeroed; receives the partitions, naming them from its buffers
 *
 * Return: 0 or -EINVAL with the reason logged.
 */
int muse_parse_partitions(const char *spec, const struct mtd_info *mtd,
			  struct muse_parts *out)
{
	const char *p = spec;
	u64 prev_end = 0;
	int err;

	for (out->nr = 0; ; out->nr++) {
		if (out->nr == MUSE_PARTS_MAX)
			return muse_parts_reject(out->nr, "more than %d partitions",
						 MUSE_PARTS_MAX);
		err = muse_parse_one(&p, out->nr, prev_end, mtd, out);
		if (err)
			return err;
		prev_end = out->parts[out->nr].offset +
			   out->parts[out->nr].size;
		if (!*p++) {
			out->nr++;
			return 0;
		}
	}
}
