/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ramflash read passthrough: the kernel reads plain data of the blocks
 * whose reads the simulator would answer from its store unchanged, from
 * that store, with no request (libmuse's muse_session_set_backing()).
 * And kernel erase: the kernel erases the blocks whose erase is nothing
 * but holes in the store itself (muse_session_erase_grant()).
 */
#ifndef RAMFLASH_PASSTHROUGH_H
#define RAMFLASH_PASSTHROUGH_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <muse/muse.h>

#include "sim.h"

struct rf_pt {
	struct muse_session *se;
	struct rf_sim *sim;
	bool on;		/* read passthrough */
	bool erase_on;		/* kernel erase */
	bool locked;		/* lock initialised */
	bool powered_off;	/* rf_pt_power_cut() done; under lock */
	pthread_mutex_t lock;	/* the bits, and the kernel's counts */
	uint8_t *marked;	/* one bit per block: read passthrough */
	uint8_t *granted;	/* one bit per block: kernel erase */
	uint64_t blocks;
};

/**
 * rf_pt_start() - register the store, mark every plain block, and with
 * kernel erase grant every block rf_sim_erase_budget() allows.
 * @pt:		zeroed state.
 * @se:		an initialised session; without MUSE_EXT_PASSTHROUGH in
 *		force, or when reads are not plain, passthrough stays off;
 *		without MUSE_EXT_KERNEL_ERASE, or when erases are not
 *		plain, kernel erase does.
 * @sim:	the chip.
 *
 * Return: 0 (on or off), or a negative errno after printing it.
 */
int rf_pt_start(struct rf_pt *pt, struct muse_session *se, struct rf_sim *sim);

/*
 * rf_pt_before_write() - a RAW write: take its blocks back first.
 * Return: 0, or the errno of a take-back that failed: then the write must
 * not run (the kernel might read the block while it changes).
 */
int rf_pt_before_write(struct rf_pt *pt, uint64_t addr, uint64_t len,
		       bool raw);

/* rf_pt_before_erase() - count the kernel's reads before they reset. */
void rf_pt_before_erase(struct rf_pt *pt, uint64_t addr, uint64_t len);

/*
 * rf_pt_after_erase() - mark the erased blocks again, and grant them
 * anew where the budget shrank (--endurance).
 */
void rf_pt_after_erase(struct rf_pt *pt, uint64_t addr, uint64_t len);

/*
 * rf_pt_before_markbad() - take the block at @addr back from kernel erase
 * before it is marked bad.
 * Return: 0, or the errno of a take-back that failed: then the block must
 * not be marked (the kernel might still erase it).
 */
int rf_pt_before_markbad(struct rf_pt *pt, uint64_t addr);

/**
 * rf_pt_take_back() - take blocks [first, first + n) back from read
 * passthrough (@reads) and kernel erase (@erases), synchronously: when it returns, the
 * kernel has no read or erase of them in flight and every later one is a
 * request.  Before a fault the kernel would not see is set on them.
 * Return: 0, or the errno of a take-back that failed (the fault must not
 * be set then: the kernel would still serve the blocks).
 */
int rf_pt_take_back(struct rf_pt *pt, uint64_t first, uint64_t n,
		    bool reads, bool erases);

/*
 * rf_pt_refresh() - hand the kernel again what the chip allows now: mark
 * the plain blocks, grant the erase budgets (after a fault was lifted).
 */
void rf_pt_refresh(struct rf_pt *pt);

/*
 * rf_pt_power_cut() - the power is off: take every block back, so no
 * read or erase succeeds any more (as rf_pt_take_back() of the chip);
 * failures are printed.  Once; safe from any request thread.
 */
void rf_pt_power_cut(struct rf_pt *pt);

/*
 * rf_pt_counts() - blocks marked for read passthrough and granted for
 * kernel erase now.
 */
void rf_pt_counts(struct rf_pt *pt, uint64_t *marked, uint64_t *granted);

/* rf_pt_collect() - add the kernel's reads of every block to the stats. */
void rf_pt_collect(struct rf_pt *pt);

/* rf_pt_stop() - collect and free; the kernel drops the file itself. */
void rf_pt_stop(struct rf_pt *pt);

#endif /* RAMFLASH_PASSTHROUGH_H */
