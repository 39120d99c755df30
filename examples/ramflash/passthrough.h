/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ramflash read passthrough: the kernel reads plain data of the blocks
 * whose reads the simulator would answer from its store unchanged, from
 * that store, with no request (libmuse's muse_session_set_backing()).
 * And kernel erase: the kernel erases the blocks whose erase is nothing
 * but holes in the store itself (muse_session_erase_grant()); kernel
 * program: it programs the plain writes of the blocks whose program is
 * nothing but the data stored (muse_session_program_grant()).  With a
 * power cut armed the kernel's operations and the simulator's share the
 * module's budget (muse_session_set_kernel_budget()).
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
	bool program_on;	/* kernel program */
	bool budget_on;		/* the kernel budget decides power cuts */
	bool locked;		/* lock initialised */
	bool powered_off;	/* rf_pt_power_cut() done; under lock */
	pthread_mutex_t lock;	/* the bits, and the kernel's counts */
	uint8_t *marked;	/* one bit per block: read passthrough */
	uint8_t *granted;	/* one bit per block: kernel erase */
	uint8_t *programs;	/* one bit per block: kernel program */
	uint64_t blocks;
};

/* What rf_pt_take_back() takes back. */
#define RF_PT_READS	(1U << 0)	/* read passthrough */
#define RF_PT_ERASES	(1U << 1)	/* kernel erase */
#define RF_PT_PROGRAMS	(1U << 2)	/* kernel program */
#define RF_PT_ALL	(RF_PT_READS | RF_PT_ERASES | RF_PT_PROGRAMS)

/**
 * rf_pt_start() - register the store, mark every plain block, with
 * kernel erase grant every block rf_sim_erase_budget() allows, and with
 * kernel program every block rf_sim_block_programs_plain() allows.
 * @pt:		zeroed state.
 * @se:		an initialised session; without MUSE_EXT_PASSTHROUGH in
 *		force, or when reads are not plain, passthrough stays off;
 *		without MUSE_EXT_KERNEL_ERASE, or when erases are not
 *		plain, kernel erase does; without MUSE_EXT_KERNEL_PROGRAM, a
 *		NAND store on tmpfs or plain programs, kernel program does.
 *		With kernel erase the module's budget takes the power cut's
 *		count (rf_sim_on_power_take()) when the module has one.
 * @sim:	the chip.
 *
 * Return: 0 (on or off), or a negative errno after printing it.
 */
int rf_pt_start(struct rf_pt *pt, struct muse_session *se, struct rf_sim *sim);

/*
 * rf_pt_before_write() - a RAW write: take its blocks back from read
 * passthrough and kernel program first (its page gets an ECC shadow).
 * Return: 0, or the errno of a take-back that failed: then the write must
 * not run (the kernel might read or program the block while it changes).
 */
int rf_pt_before_write(struct rf_pt *pt, uint64_t addr, uint64_t len,
		       bool raw);

/* rf_pt_before_erase() - count the kernel's reads before they reset. */
void rf_pt_before_erase(struct rf_pt *pt, uint64_t addr, uint64_t len);

/*
 * rf_pt_after_erase() - mark the erased blocks again, and grant them
 * anew where the budget shrank (--endurance), or for programs again (RAW
 * pages gone) or no more (worn out).
 */
void rf_pt_after_erase(struct rf_pt *pt, uint64_t addr, uint64_t len);

/*
 * rf_pt_before_markbad() - take the block at @addr back from kernel erase
 * and kernel program before it is marked bad.
 * Return: 0, or the errno of a take-back that failed: then the block must
 * not be marked (the kernel might still erase it).
 */
int rf_pt_before_markbad(struct rf_pt *pt, uint64_t addr);

/**
 * rf_pt_take_back() - take blocks [first, first + n) back from what @what
 * names (RF_PT_*: read passthrough, kernel erase, kernel program),
 * synchronously: when it returns, the kernel has no such operation of
 * them in flight and every later one is a request.  Before a fault the
 * kernel would not see is set on them.
 * Return: 0, or the errno of a take-back that failed (the fault must not
 * be set then: the kernel would still serve the blocks).
 */
int rf_pt_take_back(struct rf_pt *pt, uint64_t first, uint64_t n,
		    unsigned int what);

/*
 * rf_pt_refresh() - hand the kernel again what the chip allows now: mark
 * the plain blocks, grant the erase budgets and the blocks it may
 * program (after a fault was lifted).
 */
void rf_pt_refresh(struct rf_pt *pt);

/*
 * rf_pt_arm_power_cut() - a power cut was armed while serving
 * (rf_sim_arm_power_cut()): give the module's budget the operations left
 * before the torn one, or, without a budget, take every block back from
 * kernel erase and kernel program, whose operations would not be counted.
 * Return: 0 or the errno of a take-back that failed (printed).
 */
int rf_pt_arm_power_cut(struct rf_pt *pt);

/*
 * rf_pt_power_cut() - the power is off: take every block back, so no
 * read, erase or program succeeds any more (as rf_pt_take_back() of the
 * chip); failures are printed.  Once; safe from any request thread.
 */
void rf_pt_power_cut(struct rf_pt *pt);

/*
 * rf_pt_counts() - blocks marked for read passthrough, granted for
 * kernel erase and for kernel program now.
 */
void rf_pt_counts(struct rf_pt *pt, uint64_t *marked, uint64_t *granted,
		  uint64_t *programs);

/* rf_pt_collect() - add the kernel's reads of every block to the stats. */
void rf_pt_collect(struct rf_pt *pt);

/* rf_pt_stop() - collect and free; the kernel drops the file itself. */
void rf_pt_stop(struct rf_pt *pt);

#endif /* RAMFLASH_PASSTHROUGH_H */
