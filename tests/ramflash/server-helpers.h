/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A ramflash server fed raw MUSE requests through muse_session_handle_buf(),
 * as the kernel would send them, without a kernel: for the tests of the
 * server (test-server.c) and of its control socket (test-control.c).
 */
#ifndef RAMFLASH_TEST_SERVER_HELPERS_H
#define RAMFLASH_TEST_SERVER_HELPERS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <muse/muse.h>

#include "options.h"
#include "server.h"

#define T_REPLY_SIZE (256 * 1024)

struct t_server {
	struct rf_options opts;
	struct rf_sim *sim;
	struct rf_server srv;
	uint64_t unique;
	unsigned char *req;
	unsigned char *reply;
};

/* t_server_start() - a server from a ramflash command line (NULL-ended). */
void t_server_start(struct t_server *t, const char *const *args);

/* t_server_stop() - destroy the session, close the chip. */
void t_server_stop(struct t_server *t);

/*
 * t_request() - send one request: header, @body, @payload.  Returns the
 * reply's error; the body is at t_reply_body().
 */
int t_request(struct t_server *t, uint32_t opcode, const void *body,
	      size_t body_len, const void *payload, size_t payload_len);

/* t_reply_body() - the last reply after its fuse_out_header. */
void *t_reply_body(struct t_server *t);

/* t_init_accepting() - the extended INIT; the server accepts @accepted. */
void t_init_accepting(struct t_server *t, uint32_t accepted);

/* t_init() - INIT with every extension, all accepted. */
void t_init(struct t_server *t);

/* t_write_page() - a WRITE of @len bytes at @addr; the reply's error. */
int t_write_page(struct t_server *t, uint64_t addr, const void *data,
		 uint32_t len);

/*
 * A server on its own loop (rf_server_serve(), with the latency timer and
 * the control's thread when @ctl is given), over a socketpair standing in
 * for /dev/muse: the kernel's end is @peer, INIT done.
 */
struct t_served {
	struct rf_options opts;
	struct rf_sim *sim;
	struct rf_server srv;
	pthread_t loop;
	int fd, peer;
};

/*
 * t_served_start() - parse @args (NULL-ended), open the chip with the
 * server's latency hook, set @ctl (or NULL) up on it, INIT and serve.
 */
void t_served_start(struct t_served *s, const char *const *args,
		    struct rf_ctl *ctl);

/* t_served_stop() - end the loop; its result.  @peer stays readable. */
int t_served_stop(struct t_served *s);

/* t_served_free() - free the session, the chip, the fds. */
void t_served_free(struct t_served *s);

#endif /* RAMFLASH_TEST_SERVER_HELPERS_H */
