// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Validation of struct muse_device.  Everything the kernel would refuse
 * at MUSE_INIT (and a few things that would only break later, such as a
 * malformed partition string) is refused by muse_session_new() with
 * -EINVAL, so a server learns about its mistake before it opens anything.
 */
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "muse_i.h"

#define MUSE_DEVICE_FLAGS (MUSE_FLAG_WRITEABLE | MUSE_FLAG_BIT_WRITEABLE | \
			   MUSE_FLAG_NO_ERASE)

/*
 * Partition strings longer than this cannot be meant seriously and would
 * crowd the other keys out of the MUSE_INIT_INFO_MAX byte info block.
 */
#define MUSE_PARTITIONS_MAX 2048

static bool type_is_known(enum muse_type type)
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

/* A number as the kernel's memparse() reads it: decimal or 0x hex, then
 * an optional K/M/G suffix.  Returns the characters consumed, 0 if none.
 */
static size_t parse_size(const char *s)
{
	size_t n = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X') &&
	    isxdigit((unsigned char)s[2])) {
		n = 2;
		while (isxdigit((unsigned char)s[n]))
			n++;
	} else {
		while (isdigit((unsigned char)s[n]))
			n++;
	}
	if (n && s[n] && strchr("kKmMgG", s[n]))
		n++;
	return n;
}

/* One partition flag suffix ("ro", "lk", "slc"); returns its length. */
static size_t parse_part_flag(const char *s)
{
	static const char *const part_flags[] = { "ro", "lk", "slc" };
	size_t i;

	for (i = 0; i < sizeof(part_flags) / sizeof(part_flags[0]); i++) {
		size_t n = strlen(part_flags[i]);

		if (strncmp(s, part_flags[i], n) == 0)
			return n;
	}
	return 0;
}

/*
 * Check one <partdef> of the mtdparts syntax:
 * <size|->[@<offset>][(<name>)][ro][lk][slc].  Returns the characters it
 * spans or 0 if it is malformed.  *rest is set when the size was "-"
 * (the rest of the device), which only the last partition may use.
 */
static size_t parse_partdef(const char *s, bool *rest)
{
	size_t n, len;

	if (*s == '-') {
		*rest = true;
		len = 1;
	} else {
		len = parse_size(s);
		if (!len)
			return 0;
	}
	if (s[len] == '@') {
		n = parse_size(s + len + 1);
		if (!n)
			return 0;
		len += 1 + n;
	}
	if (s[len] == '(') {
		const char *end = strchr(s + len + 1, ')');

		if (!end || end == s + len + 1)
			return 0;
		len = end - s + 1;
	}
	while ((n = parse_part_flag(s + len)))
		len += n;
	return len;
}

/*
 * Partitions in mtdparts syntax without "mtdparts=" and "<mtd-id>:", for
 * one device: comma-separated partdefs, printable, no whitespace.
 */
static int validate_partitions(const char *parts)
{
	bool rest = false;
	const char *p;

	if (strlen(parts) > MUSE_PARTITIONS_MAX)
		return -EINVAL;
	for (p = parts; *p; p++)
		if (!isgraph((unsigned char)*p) || *p == ';')
			return -EINVAL;

	p = parts;
	for (;;) {
		size_t n;

		if (rest)	/* "-" was not the last partition */
			return -EINVAL;
		n = parse_partdef(p, &rest);
		if (!n)
			return -EINVAL;
		p += n;
		if (*p == '\0')
			return 0;
		if (*p != ',')
			return -EINVAL;
		p++;
	}
}

static int validate_geometry(const struct muse_device *dev)
{
	uint32_t writebufsize = dev->writebufsize ? dev->writebufsize :
						    dev->writesize;

	if (!dev->size || !dev->writesize || !dev->erasesize)
		return -EINVAL;
	if (dev->erasesize % dev->writesize || dev->size % dev->erasesize)
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
	if (dev->oobavail > dev->oobsize)
		return -EINVAL;
	if (!dev->ecc_strength)
		return dev->ecc_step || dev->bitflip_threshold ? -EINVAL : 0;
	if (!dev->ecc_step || dev->writesize % dev->ecc_step)
		return -EINVAL;
	if (dev->bitflip_threshold > dev->ecc_strength)
		return -EINVAL;
	return 0;
}

/**
 * muse_device_validate() - check a device description for consistency.
 * @dev: the description as the user gave it.
 *
 * Return: 0 or -EINVAL.
 */
int muse_device_validate(const struct muse_device *dev)
{
	int ret;

	if (!type_is_known(dev->type) || (dev->flags & ~MUSE_DEVICE_FLAGS))
		return -EINVAL;
	if (dev->name && (!dev->name[0] || strlen(dev->name) > MUSE_NAME_MAX))
		return -EINVAL;
	if (dev->partitions && validate_partitions(dev->partitions))
		return -EINVAL;
	ret = validate_geometry(dev);
	if (ret)
		return ret;
	ret = validate_oob_and_ecc(dev);
	if (ret)
		return ret;

	if (!muse_request_size(muse_device_max_unit(dev), dev->writesize,
			       dev->oobsize))
		return -EINVAL;
	return 0;
}

/**
 * muse_device_max_unit() - the largest I/O unit INIT may negotiate.
 * @dev: a description with valid geometry.
 *
 * Return: max_io or one write buffer, whichever is larger.
 */
uint32_t muse_device_max_unit(const struct muse_device *dev)
{
	uint32_t writebufsize = dev->writebufsize ? dev->writebufsize :
						    dev->writesize;

	return dev->max_io > writebufsize ? dev->max_io : writebufsize;
}

/**
 * muse_device_bitflip_threshold() - bit flips in one ECC step from which a
 * read reports -EUCLEAN.
 * @dev: a validated description.
 *
 * Return: the device's threshold, or the kernel's default of 3/4 of the
 * ECC strength rounded up; at least 1 so that a device without ECC that
 * reports flips still reports them.
 */
uint32_t muse_device_bitflip_threshold(const struct muse_device *dev)
{
	uint32_t threshold = dev->bitflip_threshold;

	if (!threshold)
		threshold = (dev->ecc_strength * 3 + 3) / 4;
	return threshold ? threshold : 1;
}

/**
 * muse_request_size() - the longest request the kernel may send (protocol
 * section 5).
 * @unit:	the I/O unit.
 * @writesize:	page bytes.
 * @oobsize:	OOB bytes per page the kernel knows of.
 *
 * Return: bytes, or 0 if that exceeds MUSE_REQUEST_SIZE_MAX.
 */
size_t muse_request_size(uint32_t unit, uint32_t writesize, uint32_t oobsize)
{
	uint64_t size = sizeof(struct fuse_in_header) + MUSE_EXT_IO_IN_SIZE +
			(uint64_t)unit +
			(uint64_t)(unit / writesize) * oobsize;

	return size > MUSE_REQUEST_SIZE_MAX ? 0 : (size_t)size;
}
