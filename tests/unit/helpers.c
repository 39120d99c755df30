// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "helpers.h"

const struct muse_device test_nand = {
	.name = "t",
	.type = MUSE_TYPE_NAND,
	.flags = MUSE_FLAG_WRITEABLE,
	.size = TDEV_SIZE,
	.writesize = TDEV_PAGE,
	.erasesize = TDEV_BLOCK,
	.oobsize = TDEV_OOB,
	.oobavail = TDEV_OOBAVAIL,
	.ecc_strength = 4,
	.ecc_step = TDEV_PAGE,
	.max_io = TDEV_MAX_IO,
};

static struct call *record(void *userdata, char op, int *ret)
{
	struct recorder *rec = userdata;
	unsigned int n = rec->ncalls++;
	struct call *c;

	assert_true(n < 64);
	c = &rec->calls[n];
	memset(c, 0, sizeof(*c));
	c->op = op;
	*ret = rec->ret[n];
	return c;
}

static int rec_read(void *userdata, struct muse_req *req,
		    const struct muse_io *io, struct muse_ecc_result *ecc)
{
	struct recorder *rec = userdata;
	unsigned int n = rec->ncalls;
	unsigned char *data = io->buf, *oob = io->oobbuf;
	int ret;
	struct call *c = record(userdata, 'r', &ret);
	size_t i;

	c->addr = io->addr;
	c->len = io->len;
	c->ooblen = io->ooblen;
	c->ooboffs = io->ooboffs;
	c->mode = io->mode;
	for (i = 0; i < io->len; i++)
		data[i] = (io->addr + i) & 0xff;
	for (i = 0; i < io->ooblen; i++)
		oob[i] = 0xa0 + i;
	*ecc = rec->ecc[n];
	return ret;
}

static int rec_write(void *userdata, struct muse_req *req,
		     const struct muse_io *io)
{
	int ret;
	struct call *c = record(userdata, 'w', &ret);

	c->addr = io->addr;
	c->len = io->len;
	c->ooblen = io->ooblen;
	c->ooboffs = io->ooboffs;
	c->mode = io->mode;
	assert_true(io->len + io->ooblen <= sizeof(c->data));
	memcpy(c->data, io->buf, io->len);
	memcpy(c->data + io->len, io->oobbuf, io->ooblen);
	return ret;
}

static int rec_erase(void *userdata, struct muse_req *req, uint64_t addr,
		     uint64_t len)
{
	int ret;
	struct call *c = record(userdata, 'e', &ret);

	c->addr = addr;
	c->len = len;
	return ret;
}

static int rec_isbad(void *userdata, struct muse_req *req, uint64_t addr)
{
	struct recorder *rec = userdata;
	int ret;
	struct call *c = record(userdata, 'i', &ret);

	c->addr = addr;
	return ret ? ret : rec->isbad_result;
}

static int rec_markbad(void *userdata, struct muse_req *req,
		       uint64_t addr)
{
	int ret;
	struct call *c = record(userdata, 'm', &ret);

	c->addr = addr;
	return ret;
}

static int rec_sync(void *userdata, struct muse_req *req)
{
	int ret;

	record(userdata, 's', &ret);
	return ret;
}

const struct muse_ops test_ops = {
	.read = rec_read,
	.write = rec_write,
	.erase = rec_erase,
	.isbad = rec_isbad,
	.markbad = rec_markbad,
	.sync = rec_sync,
};

struct muse_session *new_session(const struct muse_device *dev,
				 unsigned int flags, struct recorder *rec)
{
	struct muse_session *se = NULL;

	memset(rec, 0, sizeof(*rec));
	assert_int_equal(muse_session_new(dev, sizeof(*dev), &test_ops,
					  sizeof(test_ops), flags, rec, &se), 0);
	assert_non_null(se);
	return se;
}

ssize_t handle(struct muse_session *se, const void *req, size_t reqlen,
	       void *reply)
{
	return muse_session_handle_buf(se, req, reqlen, reply, 4096);
}

static void init_with(struct muse_session *se, const void *req, size_t n)
{
	unsigned char reply[4096];
	ssize_t r = handle(se, req, n, reply);
	struct fuse_out_header out;

	assert_true(r >= (ssize_t)sizeof(out));
	memcpy(&out, reply, sizeof(out));
	assert_int_equal(out.error, 0);
}

void init_v2(struct muse_session *se)
{
	unsigned char req[64];

	init_with(se, req, mf_init_v2(req, 1, 31));
}

void init_ext(struct muse_session *se, uint32_t flags, uint32_t max_io)
{
	unsigned char req[64];

	init_with(se, req, mf_init_ext(req, 1, flags, max_io));
}

struct muse_session *offered_session(unsigned int flags, uint32_t offered)
{
	struct muse_session *se = NULL;

	assert_int_equal(muse_session_new(TEST_NAND, NULL, 0, flags, NULL,
					  &se), 0);
	init_ext(se, offered, 4096);
	return se;
}

void assert_negotiations(const struct negotiation *n, size_t count,
			 unsigned int looked_at)
{
	for (; count; n++, count--) {
		struct muse_session *se = offered_session(n->session_flags,
							  n->offered);
		unsigned int got = muse_session_extensions(se) & looked_at;

		muse_session_destroy(se);
		if (got != n->accepted)
			fail_msg("%s: accepted 0x%x, want 0x%x", n->what, got,
				 n->accepted);
	}
}

static void dump(const char *what, const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t i;

	fprintf(stderr, "%s (%zu bytes):", what, n);
	for (i = 0; i < n; i++)
		fprintf(stderr, "%s%02x", i % 16 ? " " : "\n  ", b[i]);
	fprintf(stderr, "\n");
}

void assert_bytes(const void *got, size_t n, const void *want, size_t m)
{
	if (n != m || memcmp(got, want, n)) {
		dump("got", got, n);
		dump("want", want, m);
		fail_msg("reply differs");
	}
}

void assert_err_reply(const void *reply, ssize_t n, uint64_t unique, int err)
{
	const unsigned char want[] = { OUT_HDR(16, err, unique) };

	assert_true(n >= 0);
	assert_bytes(reply, (size_t)n, want, sizeof(want));
}

void expect_error(struct muse_session *se, uint32_t opcode, const void *body,
		  size_t bodylen, int err)
{
	unsigned char req[4096], reply[4096];
	size_t n = mf_request(req, opcode, 0x1234, body, bodylen);

	assert_err_reply(reply, handle(se, req, n, reply), 0x1234, err);
}
