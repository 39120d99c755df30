// SPDX-License-Identifier: GPL-2.0-only
/*
 * MUSE: MTD in userspace.  The server's MUSE_INIT reply: parsing and the
 * checks that keep a bad description away from the MTD core.  Pure: it
 * fills in a struct muse_desc and touches nothing else.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/math64.h>
#include <linux/string.h>

#include "muse_conn.h"

static const struct {
	const char *key;
	size_t offset;
} muse_numeric_keys[] = {
	{ MUSE_KEY_TYPE, offsetof(struct muse_desc, type) },
	{ MUSE_KEY_FLAGS, offsetof(struct muse_desc, flags) },
	{ MUSE_KEY_SIZE, offsetof(struct muse_desc, size) },
	{ MUSE_KEY_WRITESIZE, offsetof(struct muse_desc, writesize) },
	{ MUSE_KEY_ERASESIZE, offsetof(struct muse_desc, erasesize) },
	{ MUSE_KEY_WRITEBUFSIZE, offsetof(struct muse_desc, writebufsize) },
	{ MUSE_KEY_OOBSIZE, offsetof(struct muse_desc, oobsize) },
	{ MUSE_KEY_OOBAVAIL, offsetof(struct muse_desc, oobavail) },
	{ MUSE_KEY_SUBPAGESHIFT, offsetof(struct muse_desc, subpage_shift) },
	{ MUSE_KEY_ECCSTRENGTH, offsetof(struct muse_desc, ecc_strength) },
	{ MUSE_KEY_ECCSTEP, offsetof(struct muse_desc, ecc_step) },
	{ MUSE_KEY_BITFLIPTHRESHOLD,
	  offsetof(struct muse_desc, bitflip_threshold) },
};

/* Index of WRITEBUFSIZE and BITFLIPTHRESHOLD, whose defaults are computed. */
#define MUSE_KEY_IDX_WRITEBUFSIZE	5
#define MUSE_KEY_IDX_BITFLIPTHRESHOLD	11

#define MUSE_VALID_FLAGS	(MTD_WRITEABLE | MTD_BIT_WRITEABLE | MTD_NO_ERASE)

/* Log why an INIT reply is refused; evaluates to -EINVAL. */
#define muse_reject(fmt, ...) ({					\
	pr_warn("INIT rejected: " fmt "\n", ##__VA_ARGS__);		\
	-EINVAL;							\
})

static int muse_parse_info_string(struct muse_desc *desc, char *str)
{
	char *val = strchr(str, '=');
	unsigned int i;
	u64 *field;

	if (!val)
		return muse_reject("info string \"%.32s\" is not KEY=VALUE", str);
	*val++ = '\0';

	if (!strcmp(str, MUSE_KEY_NAME)) {
		desc->name = val;
		return 0;
	}
	if (!strcmp(str, MUSE_KEY_PARTSCMDLINE)) {
		desc->parts = val;
		return 0;
	}
	for (i = 0; i < ARRAY_SIZE(muse_numeric_keys); i++) {
		if (strcmp(str, muse_numeric_keys[i].key))
			continue;
		field = (u64 *)((char *)desc + muse_numeric_keys[i].offset);
		if (kstrtou64(val, 10, field))
			return muse_reject("%s=\"%.32s\" is not a decimal number",
					   str, val);
		desc->given |= BIT(i);
		return 0;
	}
	pr_warn_ratelimited("INIT: ignoring unknown info key \"%.32s\"\n", str);
	return 0;
}

/* Split the NUL-separated KEY=VALUE block; empty strings are skipped. */
static int muse_parse_info(struct muse_desc *desc, char *info, size_t len)
{
	char *end = info + len;
	int err;

	if (len > MUSE_INIT_INFO_MAX)
		return muse_reject("info block of %zu bytes exceeds %u",
				   len, MUSE_INIT_INFO_MAX);
	if (len && end[-1] != '\0')
		return muse_reject("info block is not NUL-terminated");

	while (info < end) {
		size_t slen = strlen(info);

		if (slen) {
			err = muse_parse_info_string(desc, info);
			if (err)
				return err;
		}
		info += slen + 1;
	}
	return 0;
}

static bool muse_key_given(const struct muse_desc *desc, unsigned int idx)
{
	return desc->given & BIT(idx);
}

static int muse_check_version(const struct muse_desc *desc)
{
	const struct muse_init_out *out = &desc->out;

	if (out->fuse_major != MUSE_FUSE_KERNEL_VERSION)
		return muse_reject("FUSE major version %u, expected %u",
				   out->fuse_major, MUSE_FUSE_KERNEL_VERSION);
	if (out->fuse_minor < MUSE_FUSE_MIN_MINOR)
		return muse_reject("FUSE minor version %u, expected at least %u",
				   out->fuse_minor, MUSE_FUSE_MIN_MINOR);
	if (desc->extended && (out->flags & ~MUSE_EXT_ALL))
		return muse_reject("accepted extensions 0x%x were not offered (0x%x)",
				   out->flags, MUSE_EXT_ALL);
	if ((out->flags & MUSE_EXT_KERNEL_ERASE) &&
	    !(out->flags & MUSE_EXT_PASSTHROUGH))
		return muse_reject("kernel erase accepted without passthrough");
	if ((out->flags & MUSE_EXT_KERNEL_PROGRAM) &&
	    !(out->flags & MUSE_EXT_KERNEL_ERASE))
		return muse_reject("kernel program accepted without kernel erase");
	if (memchr_inv(out->reserved, 0, sizeof(out->reserved)))
		return muse_reject("reserved fields of init_out are not zero");
	return 0;
}

static int muse_check_identity(const struct muse_desc *desc)
{
	size_t name_len = desc->name ? strlen(desc->name) : 0;

	if (!name_len)
		return muse_reject("no NAME");
	if (name_len > MUSE_NAME_MAX)
		return muse_reject("NAME of %zu bytes exceeds %u",
				   name_len, MUSE_NAME_MAX);
	if (!muse_name_printable(desc->name, name_len))
		return muse_reject("NAME has a non-printable character");
	switch (desc->type) {
	case MTD_RAM:
	case MTD_ROM:
	case MTD_NORFLASH:
	case MTD_NANDFLASH:
	case MTD_DATAFLASH:
	case MTD_MLCNANDFLASH:
		break;
	default:
		return muse_reject("TYPE %llu is not a flash type a server may emulate",
				   desc->type);
	}
	if (desc->flags & ~(u64)MUSE_VALID_FLAGS)
		return muse_reject("FLAGS 0x%llx outside 0x%x",
				   desc->flags, MUSE_VALID_FLAGS);
	return 0;
}

static int muse_check_geometry(struct muse_desc *desc, u32 max_io)
{
	u32 rem;

	if (!desc->size || !desc->writesize || !desc->erasesize)
		return muse_reject("zero SIZE, WRITESIZE or ERASESIZE (%llu, %llu, %llu)",
				   desc->size, desc->writesize,
				   desc->erasesize);
	if (desc->erasesize > U32_MAX || desc->erasesize % desc->writesize)
		return muse_reject("WRITESIZE %llu does not divide ERASESIZE %llu",
				   desc->writesize, desc->erasesize);
	div_u64_rem(desc->size, desc->erasesize, &rem);
	if (rem)
		return muse_reject("SIZE %llu is not a multiple of ERASESIZE %llu",
				   desc->size, desc->erasesize);
	/* The MTD core counts pages and blocks in 32 bits. */
	if (div64_u64(desc->size, desc->writesize) > U32_MAX)
		return muse_reject("SIZE %llu has more than 2^32 pages",
				   desc->size);
	if (!muse_blocks_valid(desc->size, desc->erasesize))
		return muse_reject("SIZE %llu has more than %u eraseblocks",
				   desc->size, MUSE_BLOCKS_MAX);

	/* Not given is the default, given 0 stays 0 and is refused. */
	if (!muse_key_given(desc, MUSE_KEY_IDX_WRITEBUFSIZE))
		desc->writebufsize = muse_writebufsize(0, desc->writesize);
	if (!desc->writebufsize || desc->writebufsize % desc->writesize ||
	    desc->erasesize % desc->writebufsize)
		return muse_reject("WRITEBUFSIZE %llu: no multiple of WRITESIZE dividing ERASESIZE",
				   desc->writebufsize);
	if (desc->writebufsize > max_io)
		return muse_reject("WRITEBUFSIZE %llu exceeds max_io %u",
				   desc->writebufsize, max_io);

	if (!MUSE_OOBSIZE_VALID(desc->oobsize, desc->writesize))
		return muse_reject("OOBSIZE %llu exceeds WRITESIZE %llu",
				   desc->oobsize, desc->writesize);
	if (desc->oobavail > desc->oobsize)
		return muse_reject("OOBAVAIL %llu exceeds OOBSIZE %llu",
				   desc->oobavail, desc->oobsize);
	if (desc->oobsize && !(desc->out.flags & MUSE_EXT_OOB))
		return muse_reject("OOBSIZE %llu without the OOB extension",
				   desc->oobsize);
	if (desc->subpage_shift >= 32 ||
	    !(desc->writesize >> desc->subpage_shift))
		return muse_reject("SUBPAGESHIFT %llu leaves no subpage of WRITESIZE %llu",
				   desc->subpage_shift, desc->writesize);
	return 0;
}

static int muse_check_ecc(struct muse_desc *desc)
{
	if (!muse_key_given(desc, MUSE_KEY_IDX_BITFLIPTHRESHOLD))
		desc->bitflip_threshold =
			MUSE_BITFLIP_THRESHOLD_DEFAULT(desc->ecc_strength);
	/* Strength and threshold at most MUSE_ECC_STRENGTH_MAX (protocol 3). */
	if (muse_ecc_valid(desc->writesize, desc->ecc_strength,
			   desc->ecc_step, desc->bitflip_threshold))
		return 0;
	return muse_reject("ECCSTRENGTH %llu, ECCSTEP %llu, BITFLIPTHRESHOLD %llu",
			   desc->ecc_strength, desc->ecc_step,
			   desc->bitflip_threshold);
}

static int muse_check_io_sizes(const struct muse_desc *desc)
{
	const struct muse_init_out *out = &desc->out;

	if (out->max_read < desc->writebufsize ||
	    out->max_write < desc->writebufsize)
		return muse_reject("max_read %u or max_write %u is below the I/O unit %llu",
				   out->max_read, out->max_write,
				   desc->writebufsize);
	return 0;
}

/*
 * An extended kernel expects the 32-byte init_out, but a v2 server sends
 * the 16-byte one whatever it was offered.  Its info block then starts
 * right after those 16 bytes with a key, and every key starts with an
 * upper-case letter, while the extended struct has flags <= MUSE_EXT_ALL
 * there.  Anything else fails later checks either way.
 */
static bool muse_reply_is_compat(const u8 *body, size_t len)
{
	return len < sizeof(struct muse_init_out) ||
	       (body[MUSE_COMPAT_INIT_OUT_SIZE] >= 'A' &&
		body[MUSE_COMPAT_INIT_OUT_SIZE] <= 'Z');
}

/**
 * muse_desc_parse() - parse and check the body of an INIT reply
 * @desc:	zeroed; receives the description (pointing into @body)
 * @body:	the reply after its fuse_out_header; modified in place
 * @len:	its length, at most sizeof(init_out) + MUSE_INIT_INFO_MAX
 * @max_io:	the largest I/O unit the module offered
 *
 * Return: 0, or -EINVAL with the reason logged.
 */
int muse_desc_parse(struct muse_desc *desc, u8 *body, size_t len, u32 max_io)
{
	size_t out_size;
	int err;

	if (len < MUSE_COMPAT_INIT_OUT_SIZE)
		return muse_reject("reply body of %zu bytes is too short", len);

	desc->extended = !muse_reply_is_compat(body, len);
	out_size = desc->extended ? sizeof(desc->out) :
		   MUSE_COMPAT_INIT_OUT_SIZE;
	memcpy(&desc->out, body, out_size);

	err = muse_check_version(desc);
	if (err)
		return err;
	err = muse_parse_info(desc, body + out_size, len - out_size);
	if (err)
		return err;
	err = muse_check_identity(desc);
	if (err)
		return err;
	err = muse_check_geometry(desc, max_io);
	if (err)
		return err;
	err = muse_check_ecc(desc);
	if (err)
		return err;
	return muse_check_io_sizes(desc);
}
