// SPDX-License-Identifier: LGPL-2.1-or-later
/* Raw MUSE frames for tests; see frames.h. */
#include <string.h>

#include "frames.h"

/* The fuse_in_header of a request with @bodylen bytes of body. */
static size_t put_header(void *buf, uint32_t opcode, uint64_t unique,
			 size_t bodylen)
{
	struct fuse_in_header in;

	memset(&in, 0, sizeof(in));
	in.len = (uint32_t)(sizeof(in) + bodylen);
	in.opcode = opcode;
	in.unique = unique;
	in.nodeid = FUSE_ROOT_ID;
	memcpy(buf, &in, sizeof(in));
	return sizeof(in) + bodylen;
}

size_t mf_request(void *buf, uint32_t opcode, uint64_t unique,
		  const void *body, size_t bodylen)
{
	if (bodylen)
		memcpy((unsigned char *)buf + sizeof(struct fuse_in_header),
		       body, bodylen);
	return put_header(buf, opcode, unique, bodylen);
}

size_t mf_init_v2(void *buf, uint64_t unique, uint32_t minor)
{
	const struct muse_init_in in = {
		.fuse_major = MUSE_FUSE_KERNEL_VERSION, .fuse_minor = minor,
	};

	return mf_request(buf, MUSE_INIT, unique, &in,
			  MUSE_COMPAT_INIT_IN_SIZE);
}

size_t mf_init_ext(void *buf, uint64_t unique, uint32_t flags,
		   uint32_t max_io)
{
	const struct muse_init_in in = {
		.fuse_major = MUSE_FUSE_KERNEL_VERSION,
		.fuse_minor = FUSE_KERNEL_MINOR_VERSION,
		.flags = flags, .max_io = max_io,
	};

	return mf_request(buf, MUSE_INIT, unique, &in, sizeof(in));
}

size_t mf_registered(void *buf, uint64_t unique, int32_t error,
		     uint32_t conn_id, int32_t index, uint32_t claimed,
		     const struct mf_part *parts, uint32_t nr_parts)
{
	const struct muse_registered_in in = {
		.error = error, .conn_id = conn_id, .index = index,
		.nr_parts = claimed,
	};
	unsigned char *body = (unsigned char *)buf +
			      sizeof(struct fuse_in_header);
	size_t len = sizeof(in);
	uint32_t i;

	memcpy(body, &in, sizeof(in));
	for (i = 0; i < nr_parts; i++) {
		struct muse_registered_part part = {
			.index = parts[i].index, .offset = parts[i].offset,
			.size = parts[i].size,
		};

		memcpy(part.name, parts[i].name,
		       strnlen(parts[i].name, sizeof(part.name)));
		memcpy(body + len, &part, sizeof(part));
		len += sizeof(part);
	}
	return put_header(buf, MUSE_REGISTERED, unique, len);
}

size_t mf_io_body(void *buf, const struct mf_io *io)
{
	const struct muse_read_in in = {
		.addr = io->addr, .len = io->len, .flags = io->flags,
		.ooboffs = io->ooboffs, .ooblen = io->ooblen,
	};
	size_t n = io->ext ? sizeof(in) : MUSE_COMPAT_READ_IN_SIZE;

	_Static_assert(sizeof(struct muse_read_in) ==
		       sizeof(struct muse_write_in),
		       "READ and WRITE requests share one layout");
	memcpy(buf, &in, n);
	return n;
}

size_t mf_io(void *buf, uint32_t opcode, uint64_t unique,
	     const struct mf_io *io, const void *payload, size_t paylen)
{
	unsigned char *body = (unsigned char *)buf +
			      sizeof(struct fuse_in_header);
	size_t n = mf_io_body(body, io);

	if (paylen)
		memcpy(body + n, payload, paylen);
	return put_header(buf, opcode, unique, n + paylen);
}

size_t mf_erase(void *buf, uint64_t unique, uint64_t addr, uint64_t len)
{
	const struct muse_erase_in in = { .addr = addr, .len = len };

	return mf_request(buf, MUSE_ERASE, unique, &in, sizeof(in));
}

size_t mf_block(void *buf, uint32_t opcode, uint64_t unique, uint64_t addr)
{
	const struct muse_isbad_in in = { .addr = addr };

	_Static_assert(sizeof(struct muse_isbad_in) ==
		       sizeof(struct muse_markbad_in),
		       "MARKBAD and ISBAD requests share one layout");
	return mf_request(buf, opcode, unique, &in, sizeof(in));
}

size_t mf_reply(void *buf, uint64_t unique, int32_t error,
		const void *p1, size_t l1, const void *p2, size_t l2)
{
	struct fuse_out_header out;
	unsigned char *p = buf;

	memset(&out, 0, sizeof(out));
	out.len = (uint32_t)(sizeof(out) + l1 + l2);
	out.error = error;
	out.unique = unique;
	memcpy(p, &out, sizeof(out));
	if (l1)
		memcpy(p + sizeof(out), p1, l1);
	if (l2)
		memcpy(p + sizeof(out) + l1, p2, l2);
	return sizeof(out) + l1 + l2;
}

size_t mf_info_block(char *buf, size_t size, const char *const *keys)
{
	size_t len = 0;

	for (; *keys; keys++) {
		size_t klen = strlen(*keys) + 1;

		if (len + klen > size)
			return 0;
		memcpy(buf + len, *keys, klen);
		len += klen;
	}
	return len;
}
