/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ramflash erase slack, the simulator's side (keep.c): blocks the kernel
 * erased by zeroing their pages in place, kept up to cfg.erase_slack
 * bytes, the oldest punched above it off the request paths.  The public
 * calls (rf_sim_keep_start(), rf_sim_keep_trim(), rf_sim_kept_bytes())
 * are in sim.h.
 */
#ifndef RAMFLASH_KEEP_H
#define RAMFLASH_KEEP_H

#include <stdint.h>

struct rf_sim;

/*
 * rf_keep_open() - the kept set of a chip opened with cfg.erase_slack
 * (none without).  Return: 0, -ENOMEM, -EINVAL (too many blocks).
 */
int rf_keep_open(struct rf_sim *sim);

/* rf_keep_close() - stop the thread, free the set. */
void rf_keep_close(struct rf_sim *sim);

/*
 * rf_keep_note() - block @b's kernel erases were just applied: keep it
 * with what the store holds of it, as the newest.  The caller holds @b's
 * write lock.
 */
void rf_keep_note(struct rf_sim *sim, uint64_t b);

/*
 * rf_keep_forget() - a request is about to change block @b (program,
 * erase, mark bad): it is not kept any more.  The caller holds @b's
 * write lock.
 */
void rf_keep_forget(struct rf_sim *sim, uint64_t b);

#endif /* RAMFLASH_KEEP_H */
