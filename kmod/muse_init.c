// SPDX-License-Identifier: GPL-2.0-only
/*
 * MUSE: MTD in userspace.  The server's MUSE_INIT reply: parsing, the
 * checks that keep a bad description away from the MTD core, and the
 * registration of the MTD and its partitions.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/math64.h>
#include <linux/mtd/partitions.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uio.h>

#include "muse_conn.h"

/* What the INIT reply and its info block describe. */
struct muse_desc {
	struct muse_init_out out;
	bool extended;
	const char *name;
	const char *parts;
	/* Numeric info keys, in the order of muse_numeric_keys. */
	u64 type;
	u64 flags;
	u64 size;
	u64 writesize;
	u64 erasesize;
	u64 writebufsize;
	u64 oobsize;
	u64 oobavail;
	u64 subpage_shift;
	u64 ecc_strength;
	u64 ecc_step;
	u64 bitflip_threshold;
	/* Bit i set: muse_numeric_keys[i] was given. */
	unsigned long given;
};

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

static int muse_check_geometry(struct muse_desc *desc)
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

	if (!muse_key_given(desc, MUSE_KEY_IDX_WRITEBUFSIZE))
		desc->writebufsize = desc->writesize;
	if (!desc->writebufsize || desc->writebufsize % desc->writesize ||
	    desc->erasesize % desc->writebufsize)
		return muse_reject("WRITEBUFSIZE %llu: no multiple of WRITESIZE dividing ERASESIZE",
				   desc->writebufsize);
	if (desc->writebufsize > muse_max_io)
		return muse_reject("WRITEBUFSIZE %llu exceeds max_io %u",
				   desc->writebufsize, muse_max_io);

	if (desc->oobsize > desc->writesize)
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
	if (desc->ecc_strength > U32_MAX || desc->ecc_step > desc->writesize)
		return muse_reject("ECCSTRENGTH %llu or ECCSTEP %llu out of range",
				   desc->ecc_strength, desc->ecc_step);
	if (desc->ecc_strength &&
	    (!desc->ecc_step || desc->writesize % desc->ecc_step))
		return muse_reject("ECCSTEP %llu does not divide WRITESIZE %llu",
				   desc->ecc_step, desc->writesize);
	if (!muse_key_given(desc, MUSE_KEY_IDX_BITFLIPTHRESHOLD))
		desc->bitflip_threshold = DIV_ROUND_UP(desc->ecc_strength * 3,
						       4);
	if (desc->bitflip_threshold > desc->ecc_strength)
		return muse_reject("BITFLIPTHRESHOLD %llu exceeds ECCSTRENGTH %llu",
				   desc->bitflip_threshold, desc->ecc_strength);
	return 0;
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

static int muse_parse_init_reply(struct muse_desc *desc, u8 *body,
				 size_t len)
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
	err = muse_check_geometry(desc);
	if (err)
		return err;
	err = muse_check_ecc(desc);
	if (err)
		return err;
	return muse_check_io_sizes(desc);
}

/* Fill in the MTD and negotiated state from a checked description. */
static int muse_apply_desc(struct muse_conn *conn,
			   const struct muse_desc *desc)
{
	struct mtd_info *mtd = &conn->mtd;
	u32 unit = desc->writebufsize;

	conn->ext_flags = desc->extended ? desc->out.flags : 0;
	conn->extended = conn->ext_flags != 0;
	if (conn->ext_flags & MUSE_EXT_LARGE_IO) {
		unit = min3(muse_max_io, desc->out.max_read,
			    desc->out.max_write);
		unit = rounddown(unit, (u32)desc->writebufsize);
	}
	conn->unit = unit;
	strscpy(conn->name, desc->name, sizeof(conn->name));

	mtd->name = conn->name;
	mtd->type = desc->type;
	mtd->flags = desc->flags;
	mtd->size = desc->size;
	mtd->writesize = desc->writesize;
	mtd->erasesize = desc->erasesize;
	mtd->writebufsize = desc->writebufsize;
	mtd->oobsize = desc->oobsize;
	mtd->oobavail = desc->oobavail;
	mtd->subpage_sft = desc->subpage_shift;
	mtd->ecc_strength = desc->ecc_strength;
	mtd->ecc_step_size = desc->ecc_step;
	mtd->bitflip_threshold = desc->bitflip_threshold;
	return muse_mtd_setup(conn);
}

static int muse_register(struct muse_conn *conn, const struct muse_desc *desc)
{
	struct muse_parts *parts = NULL;
	int err;

	if (desc->parts && desc->parts[0]) {
		parts = kzalloc(sizeof(*parts), GFP_KERNEL);
		if (!parts)
			return -ENOMEM;
		err = muse_parse_partitions(desc->parts, &conn->mtd, parts);
		if (err)
			goto out;
	}

	/*
	 * The server thread that registers cannot answer requests meanwhile;
	 * muse_mtd_block_isbad() knows it by this (see there).  I/O from MTD
	 * notifiers, from other tasks, is answered by other server threads
	 * or by this one once the write returned.
	 */
	WRITE_ONCE(conn->registering, current);
	err = mtd_device_register(&conn->mtd, parts ? parts->parts : NULL,
				  parts ? parts->nr : 0);
	WRITE_ONCE(conn->registering, NULL);
	if (err)
		pr_err("%s: mtd_device_register failed: %d\n", conn->name, err);
	else
		conn->registered = true;
out:
	kfree(parts);
	return err;
}

/**
 * muse_process_init_reply() - handle the server's answer to MUSE_INIT
 * @conn:	connection, whose init_req the caller took off the lists
 * @oh:		reply header, already copied
 * @nbytes:	length of the whole write
 * @from:	the rest of the reply
 *
 * Registers the MTD on success.  On any failure nothing is registered and
 * the connection is dead.
 *
 * Return: @nbytes, or a negative errno for the write.
 */
ssize_t muse_process_init_reply(struct muse_conn *conn,
				const struct fuse_out_header *oh,
				size_t nbytes, struct iov_iter *from)
{
	size_t len = nbytes - sizeof(*oh);
	struct muse_desc *desc = NULL;
	u8 *body = NULL;
	ssize_t ret;

	spin_lock(&conn->lock);
	conn->init_req.state = MUSE_REQ_DONE;
	spin_unlock(&conn->lock);

	if (oh->len != nbytes) {
		ret = muse_reject("header length %u but %zu bytes written",
				  oh->len, nbytes);
		goto fail;
	}
	if (oh->error) {
		if (oh->error > 0 || oh->error < -MAX_ERRNO || len) {
			ret = muse_reject("malformed error reply %d", oh->error);
		} else {
			pr_warn("server failed INIT with error %d\n", oh->error);
			ret = nbytes;
		}
		goto fail;
	}
	if (len > sizeof(struct muse_init_out) + MUSE_INIT_INFO_MAX) {
		ret = muse_reject("reply body of %zu bytes is too long", len);
		goto fail;
	}

	desc = kzalloc(sizeof(*desc), GFP_KERNEL);
	body = kmalloc(len, GFP_KERNEL);
	if (!desc || !body) {
		ret = -ENOMEM;
		goto fail;
	}
	if (copy_from_iter(body, len, from) != len) {
		ret = -EFAULT;
		goto fail;
	}
	ret = muse_parse_init_reply(desc, body, len);
	if (ret)
		goto fail;

	ret = muse_apply_desc(conn, desc);
	if (ret)
		goto fail;
	if (!READ_ONCE(conn->connected)) {
		/* Timed out meanwhile. */
		ret = -ENODEV;
		goto fail;
	}
	ret = muse_register(conn, desc);
	if (ret)
		goto fail;

	pr_info("%s: registered %llu bytes, %s I/O unit %u\n", conn->name,
		conn->mtd.size, conn->extended ? "extended" : "compat",
		conn->unit);
	ret = nbytes;
	goto out;

fail:
	muse_abort(conn);
out:
	kfree(body);
	kfree(desc);
	return ret;
}
