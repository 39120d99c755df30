// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * How a simulator built on libmuse tests itself in an ordinary CI job:
 * no root, no module, no VM.  The simulator here is a tiny NOR flash (the
 * part a real project would link from its own sources); the test drives
 * it through libmuse with the fake kernel peer of <muse/testing.h>,
 * which sends the frames the module sends and checks each reply by the
 * module's rules.
 *
 * Build and run, with libmuse-dev and libcmocka-dev installed:
 *   cc test-nor-sim.c $(pkg-config --cflags --libs libmuse-testing) \
 *	-lcmocka -o test-nor-sim && ./test-nor-sim
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <muse/muse.h>
#include <muse/muse_kernel.h>
#include <muse/testing.h>

/* ---- The simulator under test ------------------------------------- */

/*
 * A strict NOR: programming can only clear bits, and a write that would
 * need to set one (a file system writing over data it did not erase)
 * fails with -EIO instead of silently keeping the AND, so that such a bug
 * shows; every sector counts its erases.
 */
#define NOR_SIZE	(256 << 10)
#define NOR_SECTOR	(64 << 10)
#define NOR_SECTORS	(NOR_SIZE / NOR_SECTOR)

static struct {
	unsigned char cells[NOR_SIZE];
	unsigned int erases[NOR_SECTORS];
} nor;

static int nor_read(void *ud, struct muse_req *req, const struct muse_io *io,
		    struct muse_ecc_result *ecc)
{
	memcpy(io->buf, nor.cells + io->addr, io->len);
	return 0;
}

static int nor_write(void *ud, struct muse_req *req, const struct muse_io *io)
{
	const unsigned char *data = io->buf;
	unsigned char *cell = nor.cells + io->addr;
	size_t i;

	for (i = 0; i < io->len; i++)
		if (data[i] & ~cell[i])
			return -EIO;
	for (i = 0; i < io->len; i++)
		cell[i] = data[i];
	return 0;
}

static int nor_erase(void *ud, struct muse_req *req, uint64_t addr,
		     uint64_t len)
{
	uint64_t s;

	for (s = addr / NOR_SECTOR; s < (addr + len) / NOR_SECTOR; s++)
		nor.erases[s]++;
	memset(nor.cells + addr, 0xff, len);
	return 0;
}

static const struct muse_device nor_device = {
	.name = "nor-sim", .type = MUSE_TYPE_NOR,
	.flags = MUSE_FLAG_WRITEABLE | MUSE_FLAG_BIT_WRITEABLE,
	.size = NOR_SIZE, .writesize = 1, .erasesize = NOR_SECTOR,
	.writebufsize = 256, .max_io = NOR_SECTOR,
};

static const struct muse_ops nor_ops = {
	.read = nor_read, .write = nor_write, .erase = nor_erase,
};

/* ---- Its tests ------------------------------------------------------ */

struct fixture {
	struct muse_session *se;
	struct muse_test_peer *peer;
};

/* A session of the simulator, connected to a fake kernel and through INIT. */
static int setup(void **state)
{
	static struct fixture f;

	memset(nor.cells, 0xff, sizeof(nor.cells));
	memset(nor.erases, 0, sizeof(nor.erases));
	assert_int_equal(muse_session_new(&nor_device, sizeof(nor_device),
					  &nor_ops, sizeof(nor_ops), 0, NULL,
					  &f.se), 0);
	assert_int_equal(muse_test_peer_new(f.se, MUSE_EXT_ALL, 256 << 10, 0,
					    &f.peer), 0);
	assert_int_equal(muse_test_init(f.peer), 0);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	muse_test_peer_free(f->peer);
	muse_session_destroy(f->se);
	return 0;
}

/* The whole sector moves in one request, as max_io asked. */
static void negotiates_a_sector(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(muse_test_geometry(f->peer)->unit, NOR_SECTOR);
}

static void setting_a_bit_needs_an_erase(void **state)
{
	struct fixture *f = *state;
	const unsigned char data[4] = { 0x0f, 0xf0, 0x00, 0xff };
	unsigned char back[4], more[1] = { 0x0e };
	struct muse_test_io io = { .addr = 4096, .len = 4 };

	io.buf = (void *)data;
	assert_int_equal(muse_test_write(f->peer, &io), 0);
	io.buf = back;
	assert_int_equal(muse_test_read(f->peer, &io, NULL), 0);
	assert_memory_equal(back, data, sizeof(data));

	/* Clearing more bits is a program; setting one back is refused. */
	io.len = 1;
	io.buf = more;
	assert_int_equal(muse_test_write(f->peer, &io), 0);
	more[0] = 0xff;
	assert_int_equal(muse_test_write(f->peer, &io), -EIO);

	assert_int_equal(muse_test_erase(f->peer, 0, NOR_SECTOR), 0);
	assert_int_equal(nor.erases[0], 1);
	assert_int_equal(muse_test_write(f->peer, &io), 0);
	assert_null(muse_test_violation(f->peer));
}

/* NOR has no bad blocks: libmuse answers ISBAD for the simulator. */
static void no_bad_blocks(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(muse_test_isbad(f->peer, NOR_SECTOR), 0);
	assert_int_equal(muse_test_markbad(f->peer, NOR_SECTOR), -EOPNOTSUPP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(negotiates_a_sector, setup,
						teardown),
		cmocka_unit_test_setup_teardown(setting_a_bit_needs_an_erase,
						setup, teardown),
		cmocka_unit_test_setup_teardown(no_bad_blocks, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
