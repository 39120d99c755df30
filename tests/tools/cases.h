/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The cases of muse-peer's raw targets, in the files named; muse-peer.c
 * tables them.  Each reports its checks with result() and returns NULL,
 * or why it failed (check.h).
 */
#ifndef CASES_H
#define CASES_H

#include "check.h"

const char *case_init_replies(void);	/* badpeer-init.c */
const char *case_device_table(void);	/* badpeer-devices.c */
const char *case_replies_io(void);	/* badpeer-reply.c */
const char *case_replies_timeout(void);
const char *case_sweep(void);		/* sweep.c */
const char *case_exiting_child(void);	/* lifetime.c */
const char *case_copy_kill(void);
const char *case_copy_timeout(void);
const char *case_register_fail(void);
const char *case_init_race(void);	/* initrace.c */
const char *case_register_death(void);	/* regdeath.c */
const char *case_registered(void);	/* registered.c */

/* initrace.c: drop CAP_SYS_ADMIN from the effective set: 0 or -1. */
int drop_admin(void);

/* passthrough.c: a libmuse server's cases, each on a fresh server. */
extern const struct peer_target target_passthrough;
/* program.c: kernel program, a libmuse server as passthrough's. */
extern const struct peer_target target_program;

#endif /* CASES_H */
