// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The test kit (muse/testing.h): the fake kernel peer drives a session
 * through every opcode and returns what the callbacks answered; a reply
 * the module would refuse is a violation named by its rule.  Bad replies
 * are planted by a callback that keeps its request and writes raw bytes
 * on the session's fd in its place (the peer numbers requests 1, 2, ...).
 * Requests sent with muse_test_send_*() stay in flight, answered in any
 * order, each reply checked as its own.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include <muse/testing.h>

#include "helpers.h"

static struct muse_session *se;
static struct muse_test_peer *peer;
static struct recorder rec;

static void connect_peer(unsigned int offered, unsigned int flags)
{
	se = new_session(&test_nand, 0, &rec);
	assert_int_equal(muse_test_peer_new(se, offered, 4096, flags, &peer),
			 0);
	assert_int_equal(muse_test_init(peer), 0);
	assert_null(muse_test_violation(peer));
}

static int disconnect(void **state)
{
	muse_test_peer_free(peer);
	muse_session_destroy(se);
	peer = NULL;
	se = NULL;
	return 0;
}

static void geometry_from_init(void **state)
{
	const struct muse_test_geometry want = {
		.size = TDEV_SIZE, .writesize = TDEV_PAGE,
		.erasesize = TDEV_BLOCK, .oobsize = TDEV_OOB,
		.oobavail = TDEV_OOBAVAIL, .unit = TDEV_MAX_IO,
		.extensions = MUSE_EXT_OOB | MUSE_EXT_ECC_STATS |
			      MUSE_EXT_LARGE_IO,
	};

	connect_peer(MUSE_EXT_ALL, 0);
	assert_non_null(muse_test_geometry(peer));
	assert_memory_equal(muse_test_geometry(peer), &want, sizeof(want));
	assert_int_equal(muse_test_init(peer), -EALREADY);
}

static void every_opcode_reaches_the_callbacks(void **state)
{
	unsigned char data[TDEV_MAX_IO], oob[2 * TDEV_OOB];
	struct muse_test_io io = {
		.addr = 64, .len = 32, .buf = data,
		.ooblen = 8, .oobbuf = oob, .mode = MUSE_OOB_PLACE,
	};
	struct muse_ecc_result ecc;
	size_t i;

	connect_peer(MUSE_EXT_ALL, 0);
	rec.ecc[0].corrected = 3;
	rec.ecc[0].max_bitflips = 3;
	assert_int_equal(muse_test_read(peer, &io, &ecc), -EUCLEAN);
	assert_int_equal(ecc.corrected, 3);
	for (i = 0; i < io.len; i++)
		assert_int_equal(data[i], (64 + i) & 0xff);
	for (i = 0; i < io.ooblen; i++)
		assert_int_equal(oob[i], 0xa0 + i);

	memset(data, 0x5a, sizeof(data));
	io.ooblen = 0;
	assert_int_equal(muse_test_write(peer, &io), 0);
	assert_int_equal(rec.calls[1].op, 'w');
	assert_int_equal(rec.calls[1].len, 32);
	assert_int_equal(rec.calls[1].data[31], 0x5a);

	assert_int_equal(muse_test_erase(peer, 128, 128), 0);
	assert_int_equal(rec.calls[2].len, 128);
	rec.isbad_result = 1;
	assert_int_equal(muse_test_isbad(peer, 64), 1);
	rec.ret[4] = -EIO;
	assert_int_equal(muse_test_markbad(peer, 64), -EIO);
	assert_int_equal(muse_test_sync(peer), 0);
	assert_int_equal(rec.ncalls, 6);
	assert_null(muse_test_violation(peer));
}

/* What the module would never send is refused before it is sent. */
static void unsendable_requests_are_einval(void **state)
{
	unsigned char data[2 * TDEV_MAX_IO], oob[4];
	struct muse_test_io io = { .addr = 0, .len = 2 * TDEV_MAX_IO,
				   .buf = data };

	connect_peer(MUSE_EXT_ALL, 0);
	assert_int_equal(muse_test_read(peer, &io, NULL), -EINVAL);
	io.len = 16;
	io.addr = TDEV_SIZE;
	assert_int_equal(muse_test_write(peer, &io), -EINVAL);
	io.addr = 0;
	io.ooblen = 4;
	io.oobbuf = oob;
	io.ooboffs = TDEV_OOB;
	assert_int_equal(muse_test_read(peer, &io, NULL), -EINVAL);
	assert_int_equal(muse_test_erase(peer, 1, TDEV_BLOCK), -EINVAL);
	assert_int_equal(muse_test_erase(peer, 0, 0), -EINVAL);
	assert_int_equal(rec.ncalls, 0);
}

/* A v2 kernel: one page per request, no OOB. */
static void v2_kernel(void **state)
{
	unsigned char data[TDEV_PAGE], oob[2];
	struct muse_test_io io = { .addr = 16, .len = TDEV_PAGE, .buf = data };

	connect_peer(0, MUSE_TEST_V2_KERNEL);
	assert_int_equal(muse_test_geometry(peer)->unit, TDEV_PAGE);
	assert_int_equal(muse_test_geometry(peer)->oobsize, 0);
	assert_int_equal(muse_test_read(peer, &io, NULL), 0);
	assert_int_equal(data[0], 16);
	io.ooblen = 2;
	io.oobbuf = oob;
	assert_int_equal(muse_test_read(peer, &io, NULL), -EINVAL);
}

/* A kept request, answered later from another thread. */
static void *answer_later(void *arg)
{
	usleep(20000);
	assert_int_equal(muse_reply_isbad(arg, 1), 0);
	return NULL;
}

static pthread_t answerer;

static int keep_isbad(void *ud, struct muse_req *req, uint64_t addr)
{
	assert_int_equal(muse_req_keep(req), 0);
	assert_int_equal(pthread_create(&answerer, NULL, answer_later, req), 0);
	return MUSE_ASYNC;
}

static void kept_request_answered_from_a_thread(void **state)
{
	const struct muse_ops ops = { .isbad = keep_isbad };

	assert_int_equal(muse_session_new(&test_nand, sizeof(test_nand), &ops,
					  sizeof(ops), 0, NULL, &se), 0);
	assert_int_equal(muse_test_peer_new(se, MUSE_EXT_ALL, 4096, 0,
					    &peer), 0);
	assert_int_equal(muse_test_init(peer), 0);
	assert_int_equal(muse_test_isbad(peer, 64), 1);
	assert_int_equal(pthread_join(answerer, NULL), 0);
}

/* Kept READ, ISBAD and ERASE requests, answered by the test in turn. */
static struct muse_req *kept[3];
static unsigned int nkept;

static int keep_read(void *ud, struct muse_req *req,
		     const struct muse_io *io, struct muse_ecc_result *ecc)
{
	memset(io->buf, 0x3c, io->len);
	assert_int_equal(muse_req_keep(req), 0);
	kept[nkept++] = req;
	return MUSE_ASYNC;
}

static int keep_block(void *ud, struct muse_req *req, uint64_t addr)
{
	assert_int_equal(muse_req_keep(req), 0);
	kept[nkept++] = req;
	return MUSE_ASYNC;
}

static int keep_erase(void *ud, struct muse_req *req, uint64_t addr,
		      uint64_t len)
{
	return keep_block(ud, req, addr);
}

static void requests_in_flight_answered_out_of_order(void **state)
{
	const struct muse_ops ops = {
		.read = keep_read, .isbad = keep_block, .erase = keep_erase,
	};
	const struct muse_ecc_result flips = { .corrected = 3,
					       .max_bitflips = 3 };
	unsigned char data[16] = { 0 };
	const struct muse_test_io io = { .addr = 32, .len = 16, .buf = data };
	struct muse_ecc_result ecc;
	uint64_t rd, bad, er;

	nkept = 0;
	assert_int_equal(muse_session_new(&test_nand, sizeof(test_nand), &ops,
					  sizeof(ops), 0, NULL, &se), 0);
	assert_int_equal(muse_test_peer_new(se, MUSE_EXT_ALL, 4096, 0,
					    &peer), 0);
	assert_int_equal(muse_test_init(peer), 0);
	assert_int_equal(muse_test_send_read(peer, &io, &rd), 0);
	assert_int_equal(muse_test_send_isbad(peer, 64, &bad), 0);
	assert_int_equal(muse_test_send_erase(peer, 0, TDEV_BLOCK, &er),
			 0);
	assert_int_equal(nkept, 3);
	assert_true(rd != bad && bad != er && rd != er);
	/* Answered last first; waited for first first. */
	assert_int_equal(muse_test_poll_reply(peer, er, 0), 0);
	assert_int_equal(muse_reply_ok(kept[2]), 0);
	assert_int_equal(muse_test_poll_reply(peer, er, 1000), 1);
	assert_int_equal(muse_test_poll_reply(peer, rd, 0), 0);
	assert_int_equal(muse_reply_isbad(kept[1], 1), 0);
	assert_int_equal(muse_reply_read(kept[0], &flips), 0);
	assert_int_equal(muse_test_wait_reply(peer, rd, &ecc), -EUCLEAN);
	assert_int_equal(ecc.corrected, 3);
	assert_int_equal(data[15], 0x3c);
	assert_int_equal(muse_test_wait_reply(peer, bad, NULL), 1);
	assert_int_equal(muse_test_wait_reply(peer, er, NULL), 0);
	assert_null(muse_test_violation(peer));
	/* Each reply is taken once. */
	assert_int_equal(muse_test_wait_reply(peer, rd, NULL), -ENOENT);
	assert_int_equal(muse_test_poll_reply(peer, rd, 0), -ENOENT);
	assert_int_equal(muse_test_send_sync(peer, NULL), -EINVAL);
}

/* ---- Planted replies ------------------------------------------------ */

/* The raw reply the next callback writes in place of the library's. */
static struct {
	uint64_t unique;
	int32_t error;
	uint32_t lie;			/* added to the header's length */
	unsigned char body[256];
	size_t bodylen;
} plant;

static void send_planted(struct muse_req *req)
{
	unsigned char frame[512];
	size_t n = mf_reply(frame, plant.unique, plant.error, plant.body,
			    plant.bodylen, NULL, 0);
	struct fuse_out_header oh;

	assert_int_equal(muse_req_keep(req), 0);
	memcpy(&oh, frame, sizeof(oh));
	oh.len += plant.lie;
	memcpy(frame, &oh, sizeof(oh));
	assert_int_equal(write(muse_session_fd(se), frame, n), (ssize_t)n);
}

static int planted_read(void *ud, struct muse_req *req,
			const struct muse_io *io, struct muse_ecc_result *ecc)
{
	send_planted(req);
	return MUSE_ASYNC;
}

static int planted_write(void *ud, struct muse_req *req,
			 const struct muse_io *io)
{
	send_planted(req);
	return MUSE_ASYNC;
}

static int planted_isbad(void *ud, struct muse_req *req, uint64_t addr)
{
	send_planted(req);
	return MUSE_ASYNC;
}

static const struct muse_ops planted_ops = {
	.read = planted_read, .write = planted_write, .isbad = planted_isbad,
};

/* A session whose READ, WRITE and ISBAD answer with the plant. */
static void connect_planted(void)
{
	assert_int_equal(muse_session_new(&test_nand, sizeof(test_nand),
					  &planted_ops, sizeof(planted_ops), 0,
					  NULL, &se), 0);
	assert_int_equal(muse_test_peer_new(se, MUSE_EXT_ALL, 4096, 0,
					    &peer), 0);
	assert_int_equal(muse_test_init(peer), 0);
	memset(&plant, 0, sizeof(plant));
	plant.unique = 2;		/* the first request after INIT */
}

/* A good READ reply head for @len bytes of data, the data after it. */
static void plant_read_out(size_t len, uint32_t soft_error)
{
	const struct muse_read_out out = {
		.datalen = len, .soft_error = soft_error,
	};

	memcpy(plant.body, &out, sizeof(out));
	plant.bodylen = sizeof(out) + len;
}

static void expect_violation(int ret, const char *rule)
{
	const char *what = muse_test_violation(peer);

	assert_int_equal(ret, -EPROTO);
	assert_non_null(what);
	if (!strstr(what, rule))
		fail_msg("violation \"%s\" does not name %s", what, rule);
}

static int read16(void)
{
	unsigned char data[16];
	struct muse_test_io io = { .len = 16, .buf = data };

	return muse_test_read(peer, &io, NULL);
}

static void planted_good_read_passes(void **state)
{
	connect_planted();
	plant_read_out(16, (uint32_t)-EBADMSG);
	assert_int_equal(read16(), -EBADMSG);
	assert_null(muse_test_violation(peer));
}

static void header_length_lie(void **state)
{
	connect_planted();
	plant_read_out(16, 0);
	plant.lie = 1;
	expect_violation(read16(), "READ 2: reply-length");
}

static void wrong_unique(void **state)
{
	connect_planted();
	plant_read_out(16, 0);
	plant.unique = 9;
	expect_violation(read16(), "reply-unique");
}

/* Send a READ of 16 bytes into @data: in flight, its unique. */
static uint64_t send_read16(unsigned char *data)
{
	const struct muse_test_io io = { .len = 16, .buf = data };
	uint64_t unique;

	assert_int_equal(muse_test_send_read(peer, &io, &unique), 0);
	return unique;
}

/* Two READs in flight, the second's reply bad: named as the second's. */
static void bad_reply_in_flight(void **state)
{
	unsigned char data[2][16];
	uint64_t first, second;

	connect_planted();
	plant_read_out(16, 0);
	first = send_read16(data[0]);
	plant.unique = 3;
	memcpy(plant.body, &(uint64_t){ 15 }, sizeof(uint64_t));
	second = send_read16(data[1]);
	expect_violation(muse_test_wait_reply(peer, second, NULL),
			 "READ 3: datalen");
	assert_int_equal(muse_test_wait_reply(peer, first, NULL), 0);
	assert_null(muse_test_violation(peer));
}

/* A second reply to a request already answered, while it is in flight. */
static void reply_twice_in_flight(void **state)
{
	unsigned char data[2][16];
	uint64_t second;

	connect_planted();
	plant_read_out(16, 0);
	send_read16(data[0]);
	second = send_read16(data[1]);
	expect_violation(muse_test_wait_reply(peer, second, NULL),
			 "READ 3: reply-unique: answers 2, answered already");
}

static void ecc_verdict_in_the_header(void **state)
{
	connect_planted();
	plant.error = -EUCLEAN;
	expect_violation(read16(), "reply-error");
}

static void error_with_a_body(void **state)
{
	connect_planted();
	plant_read_out(16, 0);
	plant.error = -EIO;
	expect_violation(read16(), "reply-body");
}

static void short_read_body(void **state)
{
	connect_planted();
	plant_read_out(8, 0);
	expect_violation(read16(), "reply-body");
}

static void wrong_datalen(void **state)
{
	connect_planted();
	plant_read_out(16, 0);
	memcpy(plant.body, &(uint64_t){ 15 }, sizeof(uint64_t));
	expect_violation(read16(), "datalen");
}

static void ecc_verdict_on_a_write(void **state)
{
	unsigned char data[16] = { 0 };
	const struct muse_test_io io = { .len = 16, .buf = data };
	const struct muse_write_out out = {
		.datalen = 16, .soft_error = (uint32_t)-EUCLEAN,
	};

	connect_planted();
	memcpy(plant.body, &out, sizeof(out));
	plant.bodylen = sizeof(out);
	expect_violation(muse_test_write(peer, &io), "WRITE 2: soft-error");
}

static void isbad_result_two(void **state)
{
	const struct muse_isbad_out out = { .result = 2 };

	connect_planted();
	memcpy(plant.body, &out, sizeof(out));
	plant.bodylen = sizeof(out);
	expect_violation(muse_test_isbad(peer, 0), "isbad-result");
}

/* INIT: a server that accepts an extension it was not offered. */
static void init_flags_beyond_the_offer(void **state)
{
	struct muse_init_out out = {
		.fuse_major = 7, .fuse_minor = FUSE_KERNEL_MINOR_VERSION,
		.max_read = 16, .max_write = 16, .flags = MUSE_EXT_OOB,
	};
	unsigned char frame[512];
	size_t n;

	se = new_session(&test_nand, 0, &rec);
	assert_int_equal(muse_test_peer_new(se, MUSE_EXT_LARGE_IO, 4096, 0,
					    &peer), 0);
	/* Answer INIT before the session does: the peer reads this first. */
	n = mf_reply(frame, 1, 0, &out, sizeof(out), "NAME=t\0SIZE=1024\0"
		     "WRITESIZE=16\0ERASESIZE=64", 43);
	assert_int_equal(write(muse_session_fd(se), frame, n), (ssize_t)n);
	expect_violation(muse_test_init(peer), "INIT 1: init-flags");
}

static void bad_arguments(void **state)
{
	struct muse_session *s = NULL;
	struct muse_test_peer *p = NULL;
	int fds[2];

	assert_int_equal(muse_test_peer_new(NULL, 0, 0, 0, &p), -EINVAL);
	assert_int_equal(muse_session_new(&test_nand, sizeof(test_nand), NULL,
					  0, 0, NULL, &s), 0);
	assert_int_equal(muse_test_peer_new(s, 0, 0, 1U << 7, &p), -EINVAL);
	assert_int_equal(muse_test_peer_new(s, 0, 0, MUSE_TEST_EXTERNAL, &p),
			 -EINVAL);
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(muse_session_set_fd(s, fds[0]), 0);
	assert_int_equal(muse_test_peer_new(s, 0, 0, 0, &p), -EBUSY);
	assert_null(p);
	muse_session_destroy(s);
	close(fds[0]);
	close(fds[1]);
	muse_test_peer_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_teardown(fn, disconnect)
		T(geometry_from_init),
		T(every_opcode_reaches_the_callbacks),
		T(unsendable_requests_are_einval),
		T(v2_kernel),
		T(kept_request_answered_from_a_thread),
		T(requests_in_flight_answered_out_of_order),
		T(planted_good_read_passes),
		T(header_length_lie),
		T(wrong_unique),
		T(bad_reply_in_flight),
		T(reply_twice_in_flight),
		T(ecc_verdict_in_the_header),
		T(error_with_a_body),
		T(short_read_body),
		T(wrong_datalen),
		T(ecc_verdict_on_a_write),
		T(isbad_result_two),
		T(init_flags_beyond_the_offer),
		T(bad_arguments),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
