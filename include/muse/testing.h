/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libmuse's test kit: a fake kernel peer for a simulator's own unit tests,
 * with no root, no module and no VM.
 *
 * The peer stands where the module would: it connects a session to one
 * end of a SOCK_SEQPACKET socketpair, sends it the frames the module sends
 * (MUSE_INIT, READ, WRITE, ERASE, ISBAD, MARKBAD, SYNC), lets the session
 * handle each (muse_session_init(), muse_session_process()) and checks
 * every reply with the rules the module applies, the predicates of
 * <muse/muse_kernel.h>.  A reply the module would refuse is a violation:
 * the call fails with -EPROTO and muse_test_violation() names it.
 * Each call answers one request in turn; muse_test_send_read() and its
 * siblings with muse_test_wait_reply() keep several in flight, as the
 * module does, for a server that answers them out of order.
 *
 * Build: pkg-config --cflags --libs libmuse-testing (a static library).
 * doc/libmuse.md, "Testing a server without a kernel".
 */
#ifndef MUSE_TESTING_H
#define MUSE_TESTING_H

#include <stddef.h>
#include <stdint.h>

#include <muse/muse.h>

#ifdef __cplusplus
extern "C" {
#endif

struct muse_test_peer;

/* muse_test_peer_new() flags. */
/* Speak as a v2 kernel: 8-byte INIT, one page per request, no OOB. */
#define MUSE_TEST_V2_KERNEL	(1U << 0)
/*
 * The server runs its own loop, in another process or thread, on the end
 * muse_test_server_fd() returns: the peer only sends and receives.
 */
#define MUSE_TEST_EXTERNAL	(1U << 1)

/**
 * muse_test_peer_new() - connect a session to a fake kernel.
 * @se:		a session without an fd; the peer gives it one end of a
 *		socketpair (muse_session_set_fd()) and drives it from then
 *		on: no loop may run on it while the peer is in use.  NULL
 *		with MUSE_TEST_EXTERNAL.
 * @offered:	the MUSE_EXT_* flags (<muse/muse_kernel.h>) the fake kernel
 *		offers at INIT (ignored with MUSE_TEST_V2_KERNEL).
 * @max_io:	the largest READ/WRITE payload it offers (the module's
 *		max_io parameter; ignored with MUSE_TEST_V2_KERNEL).
 * @flags:	MUSE_TEST_* flags.
 * @pp:		receives the peer.
 *
 * Return: 0; -EINVAL (NULL @pp, unknown flags, a NULL @se without
 * MUSE_TEST_EXTERNAL or one with it); -EBUSY if the session has an fd;
 * -ENOMEM; or the negative errno of socketpair(2).
 */
int muse_test_peer_new(struct muse_session *se, uint32_t offered,
		       uint32_t max_io, unsigned int flags,
		       struct muse_test_peer **pp);

/**
 * muse_test_server_fd() - the server's end of the socketpair.
 * @p: the peer.
 *
 * With MUSE_TEST_EXTERNAL, the descriptor to hand to the server (dup2(2)
 * it into a child before exec: the peer's own is close-on-exec), which
 * then runs its own INIT and loop.  The peer keeps it open until
 * muse_test_peer_free().
 *
 * Return: the descriptor.
 */
int muse_test_server_fd(const struct muse_test_peer *p);

/**
 * muse_test_peer_free() - disconnect and free a peer.
 * @p: the peer, or NULL.
 *
 * Closes both ends of the socketpair: the session sees the connection
 * end (an external server once its own copies of the peer's end are
 * closed too).  Requests still in flight are forgotten.  Free the peer
 * before destroying its session.
 */
void muse_test_peer_free(struct muse_test_peer *p);

/**
 * muse_test_init() - the INIT handshake.
 * @p: the peer.
 *
 * Sends MUSE_INIT, runs muse_session_init() and checks the reply: its
 * header, version, accepted flags (a subset of those offered), I/O sizes
 * and info block, and that the device it describes keeps the limits of
 * <muse/muse_kernel.h>.
 *
 * Return: 0; -EPROTO for a violation (muse_test_violation()); the error
 * the server answered INIT with; or the negative errno of
 * muse_session_init() or of the socket.
 */
int muse_test_init(struct muse_test_peer *p);

/* What the INIT reply described, for building requests and checking. */
struct muse_test_geometry {
	uint64_t size;
	uint32_t writesize;
	uint32_t erasesize;
	uint32_t oobsize;	/* 0 unless MUSE_EXT_OOB was accepted */
	uint32_t oobavail;
	uint32_t unit;		/* largest READ/WRITE payload */
	uint32_t extensions;	/* MUSE_EXT_* accepted */
};

/**
 * muse_test_geometry() - the device as the INIT reply described it.
 * @p: a peer after a successful muse_test_init().
 *
 * Return: the geometry, or NULL before INIT.
 */
const struct muse_test_geometry *muse_test_geometry(
	const struct muse_test_peer *p);

/* One READ or WRITE as the module sends it. */
struct muse_test_io {
	uint64_t addr;
	size_t len;		/* in-band bytes, at most the unit */
	void *buf;		/* READ: receives them; WRITE: holds them */
	uint32_t ooboffs;	/* into the OOB area of addr's page */
	size_t ooblen;		/* needs MUSE_EXT_OOB */
	void *oobbuf;
	uint32_t mode;		/* MUSE_OOB_* */
};

/**
 * muse_test_read() - send a READ and check the reply.
 * @p:		an initialised peer.
 * @io:		the request; @io->buf and @io->oobbuf receive the data.
 * @ecc:	receives the ECC numbers of the reply (zero on a v2
 *		connection or without MUSE_EXT_ECC_STATS); or NULL.
 *
 * Return: 0; -EUCLEAN or -EBADMSG when the server reported corrected or
 * uncorrectable bit flips (the data came, as mtd_read() returns it);
 * another negative errno the server failed the read with; -EINVAL for a
 * request the module would never send (outside the device, longer than
 * the unit, OOB the connection does not carry); -EPROTO for a violation;
 * -ETIMEDOUT when no reply came within 10 s (a kept request never
 * answered).
 */
int muse_test_read(struct muse_test_peer *p, const struct muse_test_io *io,
		   struct muse_ecc_result *ecc);

/**
 * muse_test_write() - send a WRITE and check the reply.
 * @p:	an initialised peer.
 * @io:	the request and its data.
 *
 * Return: as muse_test_read(), without the ECC verdicts (a WRITE reply
 * may not carry them).
 */
int muse_test_write(struct muse_test_peer *p, const struct muse_test_io *io);

/**
 * muse_test_erase() - send an ERASE and check the reply.
 * @p:		an initialised peer.
 * @addr:	eraseblock-aligned start.
 * @len:	eraseblock-aligned length, > 0.
 *
 * Return: 0, the server's negative errno, -EINVAL (a range the module
 * would not send), -EPROTO, -ETIMEDOUT.
 */
int muse_test_erase(struct muse_test_peer *p, uint64_t addr, uint64_t len);

/**
 * muse_test_isbad() - send an ISBAD and check the reply.
 * @p:		an initialised peer.
 * @addr:	eraseblock-aligned address.
 *
 * Return: 0 (good), 1 (bad), or as muse_test_erase().
 */
int muse_test_isbad(struct muse_test_peer *p, uint64_t addr);

/**
 * muse_test_markbad() - send a MARKBAD and check the reply.
 * @p:		an initialised peer.
 * @addr:	eraseblock-aligned address.
 *
 * Return: as muse_test_erase().
 */
int muse_test_markbad(struct muse_test_peer *p, uint64_t addr);

/**
 * muse_test_sync() - send a SYNC and check the reply.
 * @p: an initialised peer.
 *
 * Return: 0, the server's negative errno, -EPROTO, -ETIMEDOUT.
 */
int muse_test_sync(struct muse_test_peer *p);

/**
 * muse_test_send_read() - send a READ and leave it in flight.
 * @p:		an initialised peer.
 * @io:		the request, as for muse_test_read(); its buffers must stay
 *		valid until muse_test_wait_reply() copies the data there.
 * @unique:	receives the request's unique, for muse_test_wait_reply().
 *
 * Sends the request and lets the session take it (one
 * muse_session_process(): it answers the request or a callback keeps
 * it); muse_test_wait_reply() reads and checks the reply.  Several
 * requests may be in flight at once, answered in any order.
 *
 * Return: 0; -EINVAL (NULL @unique, or a request the module would not
 * send, as for muse_test_read()); -ENOMEM; the negative errno of the
 * socket or of muse_session_process().
 */
int muse_test_send_read(struct muse_test_peer *p,
			const struct muse_test_io *io, uint64_t *unique);

/**
 * muse_test_send_write() - send a WRITE and leave it in flight.
 * @p:		an initialised peer.
 * @io:		the request and its data, as for muse_test_write().
 * @unique:	receives the request's unique, for muse_test_wait_reply().
 *
 * Return: as muse_test_send_read().
 */
int muse_test_send_write(struct muse_test_peer *p,
			 const struct muse_test_io *io, uint64_t *unique);

/**
 * muse_test_send_erase() - send an ERASE and leave it in flight.
 * @p:		an initialised peer.
 * @addr:	eraseblock-aligned start.
 * @len:	eraseblock-aligned length, > 0.
 * @unique:	receives the request's unique, for muse_test_wait_reply().
 *
 * Return: as muse_test_send_read().
 */
int muse_test_send_erase(struct muse_test_peer *p, uint64_t addr,
			 uint64_t len, uint64_t *unique);

/**
 * muse_test_send_isbad() - send an ISBAD and leave it in flight.
 * @p:		an initialised peer.
 * @addr:	eraseblock-aligned address.
 * @unique:	receives the request's unique, for muse_test_wait_reply().
 *
 * Return: as muse_test_send_read().
 */
int muse_test_send_isbad(struct muse_test_peer *p, uint64_t addr,
			 uint64_t *unique);

/**
 * muse_test_send_markbad() - send a MARKBAD and leave it in flight.
 * @p:		an initialised peer.
 * @addr:	eraseblock-aligned address.
 * @unique:	receives the request's unique, for muse_test_wait_reply().
 *
 * Return: as muse_test_send_read().
 */
int muse_test_send_markbad(struct muse_test_peer *p, uint64_t addr,
			   uint64_t *unique);

/**
 * muse_test_send_sync() - send a SYNC and leave it in flight.
 * @p:		an initialised peer.
 * @unique:	receives the request's unique, for muse_test_wait_reply().
 *
 * Return: as muse_test_send_read().
 */
int muse_test_send_sync(struct muse_test_peer *p, uint64_t *unique);

/**
 * muse_test_wait_reply() - the reply to a request in flight, checked.
 * @p:		the peer.
 * @unique:	what muse_test_send_read() or a sibling returned.
 * @ecc:	READ: receives the ECC numbers of the reply, as for
 *		muse_test_read(); or NULL.
 *
 * Waits for the reply (up to 10 s for each that comes), keeping replies
 * to other requests in flight for their own wait, and checks it as the
 * call that waits for it does.  A reply that answers no request in flight,
 * or one already answered, is a reply-unique violation named after
 * @unique.  The request leaves flight once its reply came, checked or not.
 *
 * Return: what muse_test_read(), muse_test_write(), muse_test_erase(),
 * muse_test_isbad(), muse_test_markbad() or muse_test_sync() returns for
 * the request; -ENOENT if @unique is not in flight.
 */
int muse_test_wait_reply(struct muse_test_peer *p, uint64_t unique,
			 struct muse_ecc_result *ecc);

/**
 * muse_test_poll_reply() - whether the reply to a request in flight came.
 * @p:		the peer.
 * @unique:	what muse_test_send_read() or a sibling returned.
 * @timeout_ms:	how long to wait for it; 0: only the replies already sent.
 *
 * Receives the replies that come within @timeout_ms, each kept for its
 * own wait, until the one to @unique came: for a test that a server
 * holds a request, or answers one before another.  Nothing is checked
 * but that each reply answers a request in flight, as
 * muse_test_wait_reply() does; the request stays in flight.
 *
 * Return: 1 if the reply came (muse_test_wait_reply() then takes it at
 * once), 0 if not within @timeout_ms; -ENOENT if @unique is not in
 * flight; -EPROTO for a reply that answers none; the negative errno of
 * the socket.
 */
int muse_test_poll_reply(struct muse_test_peer *p, uint64_t unique,
			 int timeout_ms);

/**
 * muse_test_violation() - what the last -EPROTO was about.
 * @p: the peer.
 *
 * Return: one line naming the rule the reply broke, as
 * "<OPCODE> <unique>: <rule>: <detail>", the rule being one of
 * reply-length, reply-unique, reply-error, reply-body, datalen, ooblen,
 * soft-error, isbad-result, init-version, init-flags, init-io, init-info;
 * or NULL when no call failed with -EPROTO yet.  Valid until the next
 * call on @p.
 */
const char *muse_test_violation(const struct muse_test_peer *p);

#ifdef __cplusplus
}
#endif

#endif /* MUSE_TESTING_H */
