/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The commands of muse-rawpeer: each runs its cases, prints PASS/FAIL per
 * case and returns the exit status (check_summary()).
 */
#ifndef RAWPEER_CMDS_H
#define RAWPEER_CMDS_H

int cmd_sweep(int argc, char **argv);		/* sweep.c */
int cmd_exiting_child(int argc, char **argv);	/* lifetime.c */
int cmd_copy_kill(int argc, char **argv);
int cmd_copy_timeout(int argc, char **argv);
int cmd_register_fail(int argc, char **argv);
int cmd_init_race(int argc, char **argv);	/* initrace.c */
int cmd_register_death(int argc, char **argv);	/* regdeath.c */
int cmd_registered(int argc, char **argv);	/* registered.c */

#endif /* RAWPEER_CMDS_H */
