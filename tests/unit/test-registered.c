// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * MUSE_REGISTERED, library side: the extension is accepted only by a
 * session with a registered callback, a well-formed notification reaches
 * the callback once and is acknowledged with an empty reply, and every
 * malformed one is answered with -EINVAL without reaching it.  A full
 * notification (every partition) comes through the fd of a session whose
 * I/O unit is tiny: request slots hold it whatever the device.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "helpers.h"

/* What the callback saw, names copied out (they die with the call). */
struct seen {
	unsigned int calls;
	struct muse_registration reg;
	struct muse_mtd_part parts[MUSE_PARTS_MAX];
	char names[MUSE_PARTS_MAX][MUSE_NAME_MAX + 1];
};

static void record_registered(void *userdata,
			      const struct muse_registration *reg)
{
	struct seen *seen = userdata;
	unsigned int i;

	seen->calls++;
	seen->reg = *reg;
	for (i = 0; i < reg->nr_parts && i < MUSE_PARTS_MAX; i++) {
		seen->parts[i] = reg->parts[i];
		strcpy(seen->names[i], reg->parts[i].name);
	}
}

static const struct muse_ops registered_ops = {
	.registered = record_registered,
};

static struct muse_session *registered_session(struct seen *seen,
					       uint32_t offered)
{
	struct muse_session *se = NULL;

	memset(seen, 0, sizeof(*seen));
	assert_int_equal(muse_session_new(TEST_NAND, &registered_ops,
					  sizeof(registered_ops), 0, seen,
					  &se), 0);
	init_ext(se, offered, 4096);
	return se;
}

static void accepted_only_with_the_callback(void **state)
{
	struct muse_session *se;
	struct seen seen;

	se = registered_session(&seen, MUSE_EXT_ALL);
	assert_true(muse_session_extensions(se) & MUSE_EXT_REGISTERED);
	muse_session_destroy(se);

	se = registered_session(&seen, MUSE_EXT_ALL & ~MUSE_EXT_REGISTERED);
	assert_false(muse_session_extensions(se) & MUSE_EXT_REGISTERED);
	muse_session_destroy(se);

	se = offered_session(0, MUSE_EXT_ALL);
	assert_false(muse_session_extensions(se) & MUSE_EXT_REGISTERED);
	muse_session_destroy(se);
}

static const struct mf_part two_parts[] = {
	{ 3, 0, 256, "boot" },
	{ 4, 256, TDEV_SIZE - 256, "the rest/ubi" },
};

/* Hand @len bytes of @req to @se; expect @err in a header-only reply. */
static void answered(struct muse_session *se, const void *req, size_t len,
		     int err)
{
	unsigned char reply[4096];
	struct fuse_in_header in;

	memcpy(&in, req, sizeof(in));
	assert_err_reply(reply, handle(se, req, len, reply), in.unique, err);
}

static void success_reaches_the_callback(void **state)
{
	unsigned char req[512];
	struct muse_session *se = registered_session(state[0], MUSE_EXT_ALL);
	struct seen *seen = state[0];

	answered(se, req, mf_registered(req, 7, 0, 5, 2, 2, two_parts, 2), 0);
	assert_int_equal(seen->calls, 1);
	assert_int_equal(seen->reg.error, 0);
	assert_int_equal(seen->reg.conn_id, 5);
	assert_int_equal(seen->reg.index, 2);
	assert_int_equal(seen->reg.nr_parts, 2);
	assert_int_equal(seen->parts[1].index, 4);
	assert_int_equal(seen->parts[1].offset, 256);
	assert_int_equal(seen->parts[1].size, TDEV_SIZE - 256);
	assert_string_equal(seen->names[0], "boot");
	assert_string_equal(seen->names[1], "the rest/ubi");

	/* The kernel registers once; a second notification is refused. */
	answered(se, req, mf_registered(req, 8, 0, 5, 2, 0, NULL, 0), -EPROTO);
	assert_int_equal(seen->calls, 1);
	muse_session_destroy(se);
}

static void failure_reaches_the_callback(void **state)
{
	unsigned char req[512];
	struct muse_session *se = registered_session(state[0], MUSE_EXT_ALL);
	struct seen *seen = state[0];

	answered(se, req, mf_registered(req, 9, -EINVAL, 0, -1, 0, NULL, 0),
		 0);
	assert_int_equal(seen->calls, 1);
	assert_int_equal(seen->reg.error, -EINVAL);
	assert_int_equal(seen->reg.index, -1);
	assert_int_equal(seen->reg.nr_parts, 0);
	assert_null(seen->reg.parts);
	muse_session_destroy(se);
}

static void not_negotiated_is_enosys(void **state)
{
	unsigned char req[512];
	struct muse_session *se = registered_session(state[0], MUSE_EXT_ALL &
							     ~MUSE_EXT_REGISTERED);
	struct seen *seen = state[0];

	answered(se, req, mf_registered(req, 3, 0, 1, 0, 0, NULL, 0), -ENOSYS);
	assert_int_equal(seen->calls, 0);
	muse_session_destroy(se);
}

static const char name64[] =
	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/* Each is answered -EINVAL and reaches no callback. */
static const struct malformed {
	const char *what;
	int32_t error;
	int32_t index;
	uint32_t claimed;
	struct mf_part parts[2];
	uint32_t nr_parts;
} malformed[] = {
	{ "more parts claimed than sent", 0, 0, 2, { { 1, 0, 64, "a" } }, 1 },
	{ "fewer parts claimed than sent", 0, 0, 1,
	  { { 1, 0, 64, "a" }, { 2, 64, 64, "b" } }, 2 },
	{ "more than MUSE_PARTS_MAX parts", 0, 0, MUSE_PARTS_MAX + 1, {}, 0 },
	{ "count that wraps the size", 0, 0, 0x80000000U, {}, 0 },
	{ "nothing registered", 0, -1, 0, {}, 0 },
	{ "index below -1", 0, -2, 0, {}, 0 },
	{ "failure with an index", -EIO, 0, 0, {}, 0 },
	{ "failure with parts", -EIO, -1, 1, { { 1, 0, 64, "a" } }, 1 },
	{ "positive error", 5, -1, 0, {}, 0 },
	{ "error beyond the errno bound", -MUSE_ERRNO_BOUND, -1, 0, {}, 0 },
	{ "part without index", 0, 0, 1, { { -1, 0, 64, "a" } }, 1 },
	{ "part without name", 0, 0, 1, { { 1, 0, 64, "" } }, 1 },
	{ "part name with a control byte", 0, 0, 1,
	  { { 1, 0, 64, "a\tb" } }, 1 },
	{ "part of size 0", 0, 0, 1, { { 1, 0, 0, "a" } }, 1 },
	{ "part past the end", 0, 0, 1, { { 1, 64, TDEV_SIZE, "a" } }, 1 },
	{ "part outside", 0, 0, 1, { { 1, TDEV_SIZE, 64, "a" } }, 1 },
};

static void malformed_is_einval(void **state)
{
	unsigned char req[512], reply[4096];
	struct muse_session *se;
	struct seen seen;
	size_t i, len;
	ssize_t n;

	for (i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
		const struct malformed *m = &malformed[i];

		se = registered_session(&seen, MUSE_EXT_ALL);
		len = mf_registered(req, 11, m->error, 0, m->index, m->claimed,
				    m->parts, m->nr_parts);
		n = handle(se, req, len, reply);
		if (n != 16 || ((struct fuse_out_header *)reply)->error !=
			       -EINVAL || seen.calls)
			fail_msg("%s: reply of %zd bytes, error %d, %u calls",
				 m->what, n,
				 ((struct fuse_out_header *)reply)->error,
				 seen.calls);
		muse_session_destroy(se);
	}
}

/* Byte-level defects the frame builder cannot make. */
static void malformed_bytes_are_einval(void **state)
{
	unsigned char req[512], reply[4096];
	const struct mf_part one = { 1, 0, 64, "a" };
	struct fuse_in_header *in = (struct fuse_in_header *)req;
	struct muse_session *se;
	struct seen seen;
	size_t len, name_at;
	ssize_t n;

	se = registered_session(&seen, MUSE_EXT_ALL);
	/* Too short for the fixed struct. */
	len = mf_registered(req, 12, 0, 0, 0, 0, NULL, 0);
	in->len -= 4;
	n = handle(se, req, len - 4, reply);
	assert_err_reply(reply, n, 12, -EINVAL);
	/* A trailing byte after the last part. */
	len = mf_registered(req, 13, 0, 0, 0, 1, &one, 1);
	req[len] = 0;
	in->len += 1;
	n = handle(se, req, len + 1, reply);
	assert_err_reply(reply, n, 13, -EINVAL);
	/* Garbage after the name's NUL padding starts. */
	len = mf_registered(req, 14, 0, 0, 0, 1, &one, 1);
	name_at = sizeof(*in) + sizeof(struct muse_registered_in) +
		  offsetof(struct muse_registered_part, name);
	req[name_at + 5] = 'x';
	n = handle(se, req, len, reply);
	assert_err_reply(reply, n, 14, -EINVAL);
	assert_int_equal(seen.calls, 0);

	/* A 64-byte name has no NUL at all and is fine. */
	{
		const struct mf_part full = { 1, 0, 64, name64 };
		const unsigned char want[] = { OUT_HDR(16, 0, 15) };

		n = handle(se, req, mf_registered(req, 15, 0, 0, 0, 1, &full,
						  1), reply);
		assert_bytes(reply, (size_t)n, want, sizeof(want));
		assert_string_equal(seen.names[0], name64);
	}
	muse_session_destroy(se);
}

/*
 * Through the fd: a device whose requests are tiny still reads a
 * notification of MUSE_PARTS_MAX partitions whole.
 */
static void full_notification_fits_a_slot(void **state)
{
	static unsigned char req[sizeof(struct fuse_in_header) +
				 MUSE_REGISTERED_IN_MAX];
	struct mf_part parts[MUSE_PARTS_MAX];
	struct muse_session *se = NULL;
	struct fuse_out_header out;
	unsigned char reply[8192];
	struct seen seen;
	size_t i, len;
	int sv[2];

	memset(&seen, 0, sizeof(seen));
	for (i = 0; i < MUSE_PARTS_MAX; i++)
		parts[i] = (struct mf_part){ (int32_t)i + 1, i * 32, 32,
					     name64 };
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	assert_int_equal(muse_session_new(TEST_NAND, &registered_ops,
					  sizeof(registered_ops), 0, &seen,
					  &se), 0);
	assert_int_equal(muse_session_set_fd(se, sv[0]), 0);
	len = mf_init_ext(req, 1, MUSE_EXT_ALL, 4096);
	assert_int_equal(write(sv[1], req, len), (ssize_t)len);
	assert_int_equal(muse_session_init(se), 0);
	assert_true(read(sv[1], reply, sizeof(reply)) > 0);

	len = mf_registered(req, 2, 0, 0, -1, MUSE_PARTS_MAX, parts,
			    MUSE_PARTS_MAX);
	assert_int_equal(len, sizeof(req));
	assert_int_equal(write(sv[1], req, len), (ssize_t)len);
	assert_int_equal(muse_session_process(se), 1);
	assert_int_equal(read(sv[1], &out, sizeof(out)), sizeof(out));
	assert_int_equal(out.error, 0);
	assert_int_equal(seen.calls, 1);
	assert_int_equal(seen.reg.nr_parts, MUSE_PARTS_MAX);
	assert_int_equal(seen.parts[MUSE_PARTS_MAX - 1].index, MUSE_PARTS_MAX);
	muse_session_destroy(se);
	close(sv[0]);
	close(sv[1]);
}

static struct seen the_seen;

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(accepted_only_with_the_callback),
		cmocka_unit_test_prestate(success_reaches_the_callback, &the_seen),
		cmocka_unit_test_prestate(failure_reaches_the_callback, &the_seen),
		cmocka_unit_test_prestate(not_negotiated_is_enosys, &the_seen),
		cmocka_unit_test(malformed_is_einval),
		cmocka_unit_test(malformed_bytes_are_einval),
		cmocka_unit_test(full_notification_fits_a_slot),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
