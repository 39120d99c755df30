// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A ramflash server driven by the test kit's fake kernel peer, without a
 * kernel (server-helpers.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <muse/muse_kernel.h>

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

void t_server_start(struct t_server *t, const char *const *args)
{
	memset(t, 0, sizeof(*t));
	t->sim = t_chip_open(&t->opts, args, NULL);
	assert_int_equal(rf_server_init(&t->srv, &t->opts, t->sim), 0);
	assert_int_equal(muse_test_peer_new(t->srv.se, MUSE_EXT_ALL, T_MAX_IO,
					    0, &t->peer), 0);
}

void t_server_stop(struct t_server *t)
{
	muse_test_peer_free(t->peer);
	muse_session_destroy(t->srv.se);
	rf_sim_close(t->sim);
	rf_options_free(&t->opts);
}

/*
 * The extended MUSE_INIT an extension-capable kernel sends; the server
 * must accept @accepted of it, and the whole unit.
 */
void t_init_accepting(struct t_server *t, uint32_t accepted)
{
	const struct muse_test_geometry *geo;

	assert_int_equal(muse_test_init(t->peer), 0);
	geo = muse_test_geometry(t->peer);
	assert_int_equal(geo->extensions, accepted);
	assert_int_equal(geo->unit, T_MAX_IO);
}

/* Everything, read passthrough and kernel erase included: ramflash asks. */
void t_init(struct t_server *t)
{
	t_init_accepting(t, MUSE_EXT_ALL);
}

int t_write_page(struct t_server *t, uint64_t addr, const void *data,
		 uint32_t len)
{
	const struct muse_test_io io = {
		.addr = addr, .len = len, .buf = (void *)data,
	};

	return muse_test_write(t->peer, &io);
}

/* The server's own INIT, then its loop, as ramflash runs them. */
static void *t_served_loop(void *arg)
{
	struct rf_server *srv = arg;
	int ret = muse_session_init(srv->se);

	return (void *)(intptr_t)(ret ? ret : rf_server_serve(srv));
}

void t_served_start(struct t_served *s, const char *const *args,
		    struct rf_ctl *ctl)
{
	memset(s, 0, sizeof(*s));
	s->sim = t_chip_open(&s->opts, args, rf_server_charge);
	assert_int_equal(rf_server_init(&s->srv, &s->opts, s->sim), 0);
	if (ctl) {
		rf_ctl_init(ctl, s->sim, &s->srv.pt, s->srv.se, "ramflash");
		s->srv.ctl = ctl;
	}
	assert_int_equal(muse_test_peer_new(NULL, MUSE_EXT_ALL, T_MAX_IO,
					    MUSE_TEST_EXTERNAL, &s->peer), 0);
	assert_int_equal(muse_session_set_fd(s->srv.se,
					     muse_test_server_fd(s->peer)), 0);
	assert_int_equal(pthread_create(&s->loop, NULL, t_served_loop,
					&s->srv), 0);
	assert_int_equal(muse_test_init(s->peer), 0);
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
	muse_test_peer_free(s->peer);
	rf_sim_close(s->sim);
	rf_options_free(&s->opts);
}
