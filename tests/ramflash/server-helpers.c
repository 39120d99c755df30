// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A ramflash server fed raw MUSE requests through muse_session_handle_buf(),
 * without a kernel (server-helpers.h).
 */
#include <linux/fuse.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <muse/muse_kernel.h>

#include "frames.h"
#include "helpers.h"
#include "server-helpers.h"

/* Start a server from a ramflash command line (NULL-terminated). */
void t_server_start(struct t_server *t, const char *const *args)
{
	char *argv[32] = { "ramflash" };
	char err[256];
	int argc = 1;

	while (args[argc - 1])
		argv[argc] = (char *)args[argc - 1], argc++;
	memset(t, 0, sizeof(*t));
	if (rf_options_parse(&t->opts, argc, argv, stdout, err, sizeof(err)))
		fail_msg("options: %s", err);
	if (rf_sim_open(&t->sim, &t->opts.cfg, err, sizeof(err)))
		fail_msg("sim: %s", err);
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

