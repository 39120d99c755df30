// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * MUSE_REGISTERED (MUSE_EXT_REGISTERED, doc/protocol.md section 10): the
 * kernel says which /dev/mtdN the device became, or why registering it
 * failed.  The body is checked whole before the callback sees any of it;
 * a malformed one is answered with -EINVAL and reaches no callback.
 */
#include <errno.h>
#include <string.h>

#include "muse_i.h"

/* Partition names as the callback gets them: NUL-terminated copies. */
struct registered_names {
	char name[MUSE_PARTS_MAX][MUSE_NAME_MAX + 1];
};

/*
 * A wire name: 1..MUSE_NAME_MAX printable bytes, then only NULs.  Copied
 * NUL-terminated into @out.
 */
static int parse_name(const char wire[MUSE_NAME_MAX], char *out)
{
	size_t len = strnlen(wire, MUSE_NAME_MAX);
	size_t i;

	if (!len)
		return -EINVAL;
	for (i = 0; i < MUSE_NAME_MAX; i++) {
		unsigned char c = (unsigned char)wire[i];

		if (i < len ? !MUSE_NAME_CHAR_VALID(c) : c != 0)
			return -EINVAL;
	}
	memcpy(out, wire, len);
	out[len] = '\0';
	return 0;
}

static int parse_part(const struct muse_session *se, const unsigned char *raw,
		      struct muse_mtd_part *part, char *name)
{
	struct muse_registered_part in;
	int ret;

	memcpy(&in, raw, sizeof(in));
	if (in.index < 0 || !in.size || in.offset >= se->dev.size ||
	    in.size > se->dev.size - in.offset)
		return -EINVAL;
	ret = parse_name(in.name, name);
	if (ret)
		return ret;
	part->index = in.index;
	part->name = name;
	part->offset = in.offset;
	part->size = in.size;
	return 0;
}

/*
 * Check the header against the rules of section 10: a failure registers
 * nothing, a success registers the whole device or some partitions.
 */
static int parse_head(const struct muse_req *req,
		      struct muse_registration *reg)
{
	struct muse_registered_in in;

	memcpy(&in, req->body, sizeof(in));
	if (in.nr_parts > MUSE_PARTS_MAX ||
	    req->bodylen != sizeof(in) +
			    in.nr_parts * sizeof(struct muse_registered_part))
		return -EINVAL;
	if (in.error) {
		if (!muse_reply_error_valid(in.error) || in.index != -1 ||
		    in.nr_parts)
			return -EINVAL;
	} else if (in.index < -1 || (in.index == -1 && !in.nr_parts)) {
		return -EINVAL;
	}
	memset(reg, 0, sizeof(*reg));
	reg->error = in.error;
	reg->conn_id = in.conn_id;
	reg->index = in.index;
	reg->nr_parts = in.nr_parts;
	return 0;
}

/**
 * muse__handle_registered() - take MUSE_REGISTERED, call the callback,
 * acknowledge.
 * @req: the request; its body holds at least struct muse_registered_in.
 *
 * Return: 0, or the negative errno of sending the reply.
 */
int muse__handle_registered(struct muse_req *req)
{
	struct muse_session *se = req->se;
	struct muse_mtd_part parts[MUSE_PARTS_MAX];
	const unsigned char *raw;
	struct registered_names names;
	struct muse_registration reg;
	unsigned int i;
	int ret;

	ret = parse_head(req, &reg);
	raw = req->body + sizeof(struct muse_registered_in);
	for (i = 0; !ret && i < reg.nr_parts; i++)
		ret = parse_part(se, raw + i * sizeof(struct muse_registered_part),
				 &parts[i], names.name[i]);
	if (ret)
		return muse__reject_malformed(req, ret,
					      "MUSE_REGISTERED body breaks protocol section 10");
	/* The kernel registers once: a second notification is a lie. */
	if (atomic_exchange(&se->registration_seen, true))
		return muse__reject_malformed(req, -EPROTO,
					      "second MUSE_REGISTERED");
	reg.parts = reg.nr_parts ? parts : NULL;
	se->ops.registered(se->userdata, &reg);
	return muse__reply_error(req, 0);
}
