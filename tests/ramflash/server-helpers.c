// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A ramflash server fed raw MUSE requests through muse_session_handle_buf(),
 * without a kernel (server-helpers.h).
 */
#include <linux/fuse.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <muse/muse_kernel.h>

#include "frames.h"
#include "helpers.h"
#include "server-helpers.h"

/* Options from @args (NULL-ended), the chip opened with @delay. */
static struct rf_sim *t_chip_open(struct rf_options *opts,
				  const char *const *args, rf_delay_fn delay)
{
	char *argv[32] = { "ramflash" };
	struct rf_sim *sim;
	char err[256];
	int argc = 1;

	while (args[argc - 1])
		argv[argc] = (char *)args[argc - 1], argc++;
	if (rf_options_parse(opts, argc, argv, stdout, err, sizeof(err)))
		fail_msg("options: %s", err);
	opts->cfg.delay = delay;
	if (rf_sim_open(&sim, &opts->cfg, err, sizeof(err)))
		fail_msg("sim: %s", err);
	return sim;
}

/* Start a server from a ramflash command line (NULL-terminated). */
void t_server_start(struct t_server *t, const char *const *args)
{
	memset(t, 0, sizeof(*t));
	t->sim = t_chip_open(&t->opts, args, NULL);
	assert_int_equal(rf_server_init(&t->srv, &t->opts, t->sim), 0);
	t->req = calloc(1, T_REPLY_SIZE);
	t->reply = calloc(1, T_REPLY_SIZE);
	assert_non_null(t->req);
	assert_non_null(t->reply);
}

void t_server_stop(struct t_server *t)
{
	muse_session_destroy(t->srv.se);
	rf_sim_close(t->sim);
	rf_options_free(&t->opts);
	free(t->req);
	free(t->reply);
}

/*
 * Send one request: header, @body of @body_len bytes, @payload of
 * @payload_len bytes.  Returns the reply's error; the body is in t->reply
 * after the fuse_out_header.
 */
int t_request(struct t_server *t, uint32_t opcode, const void *body,
	      size_t body_len, const void *payload, size_t payload_len)
{
	struct fuse_out_header *out = (struct fuse_out_header *)t->reply;
	size_t len;
	ssize_t n;

	/* Body and payload side by side (in the reply buffer, still free). */
	if (body_len)
		memcpy(t->reply, body, body_len);
	if (payload_len)
		memcpy(t->reply + body_len, payload, payload_len);
	len = mf_request(t->req, opcode, ++t->unique, t->reply,
			 body_len + payload_len);
	n = muse_session_handle_buf(t->srv.se, t->req, len, t->reply,
				    T_REPLY_SIZE);
	assert_true(n >= (ssize_t)sizeof(*out));
	assert_int_equal(out->len, n);
	assert_true(out->unique == t->unique);
	return out->error;
}

void *t_reply_body(struct t_server *t)
{
	return t->reply + sizeof(struct fuse_out_header);
}

/*
 * The extended MUSE_INIT an extension-capable kernel sends; the server
 * must accept @accepted of it.
 */
void t_init_accepting(struct t_server *t, uint32_t accepted)
{
	struct muse_init_in init = {
		.fuse_major = 7, .fuse_minor = 38, .flags = MUSE_EXT_ALL,
		.max_io = 128 * 1024,
	};
	struct muse_init_out *out;

	assert_int_equal(t_request(t, MUSE_INIT, &init, sizeof(init), NULL, 0), 0);
	out = t_reply_body(t);
	assert_int_equal(out->flags, accepted);
	assert_int_equal(out->max_read, 128 * 1024);
}

/* Everything, read passthrough and kernel erase included: ramflash asks. */
void t_init(struct t_server *t)
{
	t_init_accepting(t, MUSE_EXT_ALL);
}

int t_write_page(struct t_server *t, uint64_t addr, const void *data,
		 uint32_t len)
{
	struct muse_write_in in = { .addr = addr, .len = len };

	return t_request(t, MUSE_WRITE, &in, sizeof(in), data, len);
}


static void *t_served_loop(void *arg)
{
	return (void *)(intptr_t)rf_server_serve(arg);
}

void t_served_start(struct t_served *s, const char *const *args,
		    struct rf_ctl *ctl)
{
	unsigned char req[128], reply[4096];
	int sv[2];

	memset(s, 0, sizeof(*s));
	s->sim = t_chip_open(&s->opts, args, rf_server_charge);
	assert_int_equal(rf_server_init(&s->srv, &s->opts, s->sim), 0);
	if (ctl) {
		rf_ctl_init(ctl, s->sim, &s->srv.pt, s->srv.se, "ramflash");
		s->srv.ctl = ctl;
	}
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	s->fd = sv[0];
	s->peer = sv[1];
	assert_int_equal(muse_session_set_fd(s->srv.se, s->fd), 0);
	assert_int_equal(write(s->peer, req, mf_init_ext(req, 1, MUSE_EXT_ALL,
							  128 << 10)),
			 40 + sizeof(struct muse_init_in));
	assert_int_equal(muse_session_init(s->srv.se), 0);
	assert_true(read(s->peer, reply, sizeof(reply)) > 16);
	assert_int_equal(pthread_create(&s->loop, NULL, t_served_loop,
					&s->srv), 0);
}

int t_served_stop(struct t_served *s)
{
	void *ret;

	muse_session_exit(s->srv.se);
	pthread_join(s->loop, &ret);
	return (int)(intptr_t)ret;
}

void t_served_free(struct t_served *s)
{
	muse_session_destroy(s->srv.se);
	close(s->fd);
	close(s->peer);
	rf_sim_close(s->sim);
	rf_options_free(&s->opts);
}
