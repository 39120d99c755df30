// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Validation of struct muse_device.  Everything the kernel module refuses
 * at MUSE_INIT is refused by muse_session_new() with -EINVAL, by the same
 * rules (the limits and defaults of muse_kernel.h; the partition grammar
 * of kmod/muse_parts.c), so a server learns about its mistake before it
 * opens anything.  tests/lib/device-cases.c holds the cases both sides
 * must agree on.
 */
#include <errno.h>
#include <string.h>

#include "muse_i.h"

#define MUSE_DEVICE_FLAGS (MUSE_FLAG_WRITEABLE | MUSE_FLAG_BIT_WRITEABLE | \
			   MUSE_FLAG_NO_ERASE)

static bool type_is_known(uint32_t type)
{
	switch (type) {
	case MUSE_TYPE_RAM:
	case MUSE_TYPE_ROM:
	case MUSE_TYPE_NOR:
	case MUSE_TYPE_NAND:
	case MUSE_TYPE_DATAFLASH:
	case MUSE_TYPE_MLC_NAND:
		return true;
	}
	return false;
}

/* Names show up in /proc/mtd and sysfs: 1..MUSE_NAME_MAX printable bytes. */
static bool name_is_valid(const char *name, size_t len)
{
	size_t i;

	if (!len || len > MUSE_NAME_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (!MUSE_NAME_CHAR_VALID(name[i]))
			return false;
	return true;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * A number with an optional K/M/G suffix, decimal or 0x-hex, as the
 * module reads it; advances *p past it.  Return: 0 or -EINVAL.
 */
static int parse_number(const char **p, uint64_t *out)
{
	const char *s = *p;
	unsigned int base = 10, shift = 0, digits = 0;
	uint64_t val = 0;
	int digit;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	for (; (digit = hex_digit(*s)) >= 0 && (unsigned int)digit < base;
	     s++, digits++) {
		if (val > (UINT64_MAX - digit) / base)
			return -EINVAL;
		val = val * base + digit;
	}
	if (!digits)
		return -EINVAL;
	if (*s == 'K' || *s == 'k')
		shift = 10;
	else if (*s == 'M' || *s == 'm')
		shift = 20;
	else if (*s == 'G' || *s == 'g')
		shift = 30;
	if (shift) {
		s++;
		if (val > UINT64_MAX >> shift)
			return -EINVAL;
		val <<= shift;
	}
	*p = s;
	*out = val;
	return 0;
}

/*
 * One <part> := <size>[@<offset>][(<name>)][ro], <size> a number or "-"
 * (the rest, last partition only).  It must start at or after @prev_end,
 * be eraseblock aligned and lie inside the device.  Advances *p past it
 * and sets *end to its end.  Return: 0 or -EINVAL.
 */
static int parse_part(const char **p, uint64_t prev_end,
		      const struct muse_device *dev, uint64_t *end)
{
	const char *s = *p, *close;
	uint64_t size = 0, offset = prev_end;
	bool rest = false;

	if (*s == '-') {
		rest = true;
		s++;
	} else if (parse_number(&s, &size)) {
		return -EINVAL;
	}
	if (*s == '@') {
		s++;
		if (parse_number(&s, &offset))
			return -EINVAL;
	}
	if (*s == '(') {
		close = strchr(++s, ')');
		if (!close || !name_is_valid(s, (size_t)(close - s)))
			return -EINVAL;
		s = close + 1;
	}
	/* The flags of the kernel's mtdparts, in its order. */
	if (!strncmp(s, "ro", 2))
		s += 2;
	if (!strncmp(s, "lk", 2))
		s += 2;
	if (!strncmp(s, "slc", 3)) {
		/* SLC emulation is for MLC NAND only (the MTD core's rule). */
		if (dev->type != MUSE_TYPE_MLC_NAND)
			return -EINVAL;
		s += 3;
	}
	if (*s && *s != ',')
		return -EINVAL;

	if (offset < prev_end || offset >= dev->size)
		return -EINVAL;
	if (rest) {
		if (*s)
			return -EINVAL;
		size = dev->size - offset;
	}
	if (!size || size > dev->size - offset ||
	    offset % dev->erasesize || size % dev->erasesize)
		return -EINVAL;
	*p = s;
	*end = offset + size;
	return 0;
}

/*
 * Partitions: <part>[,<part>...], at most MUSE_PARTS_MAX, in address
 * order, without "mtdparts=" and "<mtd-id>:".  @dev's geometry is valid.
 */
static int validate_partitions(const char *parts,
			       const struct muse_device *dev)
{
	const char *p = parts;
	uint64_t end = 0;
	unsigned int nr;

	for (nr = 0; nr < MUSE_PARTS_MAX; nr++) {
		if (parse_part(&p, end, dev, &end))
			return -EINVAL;
		if (!*p++)
			return 0;
	}
	return -EINVAL;
}

static int validate_geometry(const struct muse_device *dev)
{
	uint32_t writebufsize = (uint32_t)muse_writebufsize(dev->writebufsize,
							    dev->writesize);

	if (!dev->size || !dev->writesize || !dev->erasesize)
		return -EINVAL;
	if (dev->erasesize % dev->writesize || dev->size % dev->erasesize)
		return -EINVAL;
	/* The MTD core counts pages in 32 bits. */
	if (dev->size / dev->writesize > UINT32_MAX)
		return -EINVAL;
	if (!muse_blocks_valid(dev->size, dev->erasesize))
		return -EINVAL;
	if (writebufsize % dev->writesize || dev->erasesize % writebufsize)
		return -EINVAL;
	if (dev->subpage_shift >= 32 ||
	    (dev->writesize >> dev->subpage_shift) == 0)
		return -EINVAL;
	if (dev->max_io % writebufsize)
		return -EINVAL;
	return 0;
}

static int validate_oob_and_ecc(const struct muse_device *dev)
{
	if (!MUSE_OOBSIZE_VALID(dev->oobsize, dev->writesize))
		return -EINVAL;
	if (dev->oobavail > dev->oobsize)
		return -EINVAL;
	/* A bitflip_threshold of 0 is the default, never above the strength. */
	if (!muse_ecc_valid(dev->writesize, dev->ecc_strength, dev->ecc_step,
			    dev->bitflip_threshold))
		return -EINVAL;
	return 0;
}

/**
 * muse__device_validate() - check a device description for consistency.
 * @dev: the description as the user gave it.
 *
 * Return: 0 or -EINVAL.
 */
int muse__device_validate(const struct muse_device *dev)
{
	int ret;

	if (!type_is_known(dev->type) || (dev->flags & ~MUSE_DEVICE_FLAGS))
		return -EINVAL;
	if (dev->name && !name_is_valid(dev->name, strlen(dev->name)))
		return -EINVAL;
	ret = validate_geometry(dev);
	if (ret)
		return ret;
	ret = validate_oob_and_ecc(dev);
	if (ret)
		return ret;
	if (dev->partitions && validate_partitions(dev->partitions, dev))
		return -EINVAL;

	if (!muse__request_size(muse__device_max_unit(dev), dev->writesize,
				dev->oobsize))
		return -EINVAL;
	return 0;
}

/**
 * muse__device_max_unit() - the largest I/O unit INIT may negotiate.
 * @dev: a description with valid geometry.
 *
 * Return: max_io or one write buffer, whichever is larger.
 */
uint32_t muse__device_max_unit(const struct muse_device *dev)
{
	uint32_t writebufsize = (uint32_t)muse_writebufsize(dev->writebufsize,
							    dev->writesize);

	return dev->max_io > writebufsize ? dev->max_io : writebufsize;
}

/**
 * muse__bitflip_threshold() - bit flips in one ECC step from which a read
 * reports -EUCLEAN.
 * @dev: a validated description.
 *
 * Return: the device's threshold, or MUSE_BITFLIP_THRESHOLD_DEFAULT of
 * its ECC strength; at least 1 so that a device without ECC that reports
 * flips still reports them.
 */
uint32_t muse__bitflip_threshold(const struct muse_device *dev)
{
	uint32_t threshold = dev->bitflip_threshold;

	if (!threshold)
		threshold = MUSE_BITFLIP_THRESHOLD_DEFAULT(dev->ecc_strength);
	return threshold ? threshold : 1;
}

/**
 * muse__request_size() - the longest request the kernel may send
 * (protocol section 5).
 * @unit:	the I/O unit.
 * @writesize:	page bytes.
 * @oobsize:	OOB bytes per page the kernel knows of.
 *
 * Return: bytes, or 0 if that exceeds MUSE__REQUEST_SIZE_MAX.
 */
size_t muse__request_size(uint32_t unit, uint32_t writesize, uint32_t oobsize)
{
	uint64_t size = MUSE__READ_DATA_OFFSET + (uint64_t)unit +
			(uint64_t)(unit / writesize) * oobsize;

	return size > MUSE__REQUEST_SIZE_MAX ? 0 : (size_t)size;
}
