/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A ramflash server driven by the test kit's fake kernel peer
 * (muse/testing.h), which sends the requests the kernel would and checks
 * each reply by the module's rules, without a kernel: for the tests of
 * the server (test-server.c) and of its control socket (test-control.c).
 */
#ifndef RAMFLASH_TEST_SERVER_HELPERS_H
#define RAMFLASH_TEST_SERVER_HELPERS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <muse/muse.h>
#include <muse/testing.h>

#include "options.h"
#include "server.h"

/* The I/O unit the fake kernel offers (the module's max_io). */
#define T_MAX_IO (128U * 1024)

struct t_server {
	struct rf_options opts;
	struct rf_sim *sim;
	struct rf_server srv;
	struct muse_test_peer *peer;	/* drives srv.se */
};

/*
 * t_server_start() - a server from a ramflash command line (NULL-ended),
 * its session connected to the kit's peer, which offers every extension
 * and T_MAX_IO.
 */
void t_server_start(struct t_server *t, const char *const *args);

/* t_server_stop() - free the peer, destroy the session, close the chip. */
void t_server_stop(struct t_server *t);

/* t_init_accepting() - the extended INIT; the server accepts @accepted. */
void t_init_accepting(struct t_server *t, uint32_t accepted);

/* t_init() - INIT with every extension, all accepted. */
void t_init(struct t_server *t);

/* t_write_page() - a WRITE of @len bytes at @addr; the reply's error. */
int t_write_page(struct t_server *t, uint64_t addr, const void *data,
		 uint32_t len);

/*
 * A server on its own loop (rf_server_serve(), with the latency timer and
 * the control's thread when @ctl is given), over the kit's socketpair
 * standing in for /dev/muse (MUSE_TEST_EXTERNAL): the kernel is @peer,
 * INIT done.
 */
struct t_served {
	struct rf_options opts;
	struct rf_sim *sim;
	struct rf_server srv;
	pthread_t loop;
	struct muse_test_peer *peer;
};

/*
 * t_served_start() - parse @args (NULL-ended), open the chip with the
 * server's latency hook, set @ctl (or NULL) up on it, INIT and serve.
 */
void t_served_start(struct t_served *s, const char *const *args,
		    struct rf_ctl *ctl);

/* t_served_stop() - end the loop; its result.  @peer still gets replies. */
int t_served_stop(struct t_served *s);

/* t_served_free() - free the session, the peer, the chip. */
void t_served_free(struct t_served *s);

#endif /* RAMFLASH_TEST_SERVER_HELPERS_H */
