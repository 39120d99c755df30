/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ramflash simulator state, shared by the lifecycle (sim.c) and the I/O
 * paths (io.c); not part of the core's interface (sim.h).
 */
#ifndef RAMFLASH_SIM_STATE_H
#define RAMFLASH_SIM_STATE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "counters.h"
#include "image.h"
#include "sim.h"

struct rf_sim {
	struct rf_config cfg;		/* block lists owned by the sim */
	struct rf_geometry geo;
	struct rf_image img;
	struct rf_stats stats;
	pthread_rwlock_t *locks;	/* one per eraseblock */
	uint64_t blocks;
	uint64_t pages;
	uint32_t pages_per_block;
	uint32_t subpages_per_page;
	uint32_t bitflip_max;
	bool flips_enabled;
	bool ecc_shadow;		/* NAND with ECC: track RAW writes */
	bool refuse_reprogram;
	atomic_uint_fast64_t clock;	/* every request ticks it */
	atomic_uint_fast64_t mod_ops;	/* programs + block erases started,
					 * the kernel's applied ones too */
	atomic_bool powered_off;
	atomic_bool torn;		/* the power cut's torn op claimed */
	bool program_shared;		/* rf_sim_share_program_state() */
	atomic_uint_fast64_t wear_erases;	/* for cfg.wear_report */
	/* Operations so far of each --weak-blocks, --weak-pages and
	 * --grave-pages entry, this run (nandsim counts from its load). */
	atomic_uint_fast64_t *weak_block_ops;
	atomic_uint_fast64_t *weak_page_ops;
	atomic_uint_fast64_t *grave_page_ops;
	/* Live faults (live.c), under live_lock; live_pending is their
	 * count, read without it so that the data path pays one load. */
	pthread_mutex_t live_lock;
	struct rf_live *live;
	size_t live_count;
	atomic_size_t live_pending;
	struct rf_event *events;	/* rf_sim_record_event(), live_lock */
	size_t event_count, event_size;
	rf_plain_again_fn plain_again;	/* rf_sim_on_plain_again() */
	void *plain_again_arg;
	rf_power_take_fn power_take;	/* rf_sim_on_power_take() */
	void *power_take_arg;
	/* rf_sim_on_kernel_hold(), under hold_lock: changed while the
	 * erase-slack thread may run, which holds it around its punch. */
	pthread_mutex_t hold_lock;
	rf_kernel_hold_fn kernel_hold;
	void *kernel_hold_arg;
	struct rf_trace *trace;		/* rf_sim_set_trace(), or NULL */
	struct rf_keep *keep;		/* --erase-slack (keep.c), or NULL */
};

/* rf_log() - log an injected fault or refused request (cfg.log). */
void rf_log(struct rf_sim *sim, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/**
 * rf_write_bbm() - write the NAND bad-block marker of @block: 0x00 in the
 * first OOB bytes of its first page.  The caller holds the block's lock
 * or owns the simulator alone.
 *
 * Return: 0 or -EIO (store failure).
 */
int rf_write_bbm(struct rf_sim *sim, uint64_t block);

/**
 * rf_block_programmed() - whether any subpage of NAND block @block was
 * programmed since its erase (false for other types, which keep no such
 * bits).  The caller holds the block's lock or owns the simulator alone.
 */
bool rf_block_programmed(const struct rf_sim *sim, uint64_t block);

/**
 * rf_apply_kernel_erases() - apply the erases the kernel did of @block
 * (struct rf_block_meta.kernel_erases, taken with an atomic exchange to
 * 0): the program state forgotten (ECC shadow punched where RAW writes
 * filled it; the kernel punched data and OOB) and the erases recorded as
 * the simulator's own would be.  The caller holds the block's write lock
 * or owns the simulator alone.
 * @count:	add them to the statistics too (false at open: they were
 *		the erases of an earlier run).
 *
 * Return: 0, or -EIO (store failure; the count is left to apply later).
 */
int rf_apply_kernel_erases(struct rf_sim *sim, uint64_t block, bool count);

/**
 * rf_apply_kernel_programs() - apply the programs the kernel did in
 * @block (struct rf_block_meta.kernel_programs, taken with an atomic
 * exchange to 0): the data and the "programmed" bits are in the store
 * already; the bytes are counted as programmed (write_bytes,
 * kernel_programs, not writes: no WRITE request was served), the
 * operations in mod_ops, the block's program clock started and the block
 * no longer kept erased (--erase-slack).  The caller holds the block's
 * write lock or owns the simulator alone.
 * @count:	add them to the statistics too (false at open).
 */
void rf_apply_kernel_programs(struct rf_sim *sim, uint64_t block, bool count);

/*
 * rf_apply_kernel_ops() - rf_apply_kernel_erases(), then
 * rf_apply_kernel_programs() (a program counted after an erase restarts
 * the block's program clock).  Same rules and return.
 */
int rf_apply_kernel_ops(struct rf_sim *sim, uint64_t block, bool count);

/* rf_block_has_raw() - whether a page of NAND @block was RAW-written. */
bool rf_block_has_raw(const struct rf_sim *sim, uint64_t block);

/* One live fault (rf_sim_live_add()). */
struct rf_live {
	enum rf_live_kind kind;
	uint64_t unit;		/* page or block */
	uint32_t count;		/* left: fails, reads before garbage, bits */
};

/**
 * rf_live_take() - whether the operation on @unit meets a live fault of
 * @kind, using it up as enum rf_live_kind says.
 * @sim:	the simulator.
 * @kind:	FAIL_PROGRAM, FAIL_ERASE, GRAVE (a read: true once its reads
 *		are up) or FLIP (true once, *@bits set).
 * @unit:	the page or block.
 * @bits:	FLIP: receives the bits to flip; else NULL.
 */
bool rf_live_take(struct rf_sim *sim, enum rf_live_kind kind, uint64_t unit,
		  uint32_t *bits);

/* rf_live_any() - whether any live fault is set: one relaxed load. */
static inline bool rf_live_any(struct rf_sim *sim)
{
	return atomic_load_explicit(&sim->live_pending,
				    memory_order_relaxed) != 0;
}

/*
 * rf_live_block_erased() - block @block was erased: the read faults of
 * its pages (GRAVE, FLIP) concern cells that hold nothing now; dropped.
 */
void rf_live_block_erased(struct rf_sim *sim, uint64_t block);

/* rf_live_on_block() @kinds: bits (1 << enum rf_live_kind). */
#define RF_LIVE_ON_READS	((1U << RF_LIVE_GRAVE) | (1U << RF_LIVE_FLIP))
#define RF_LIVE_ON_ERASES	(1U << RF_LIVE_FAIL_ERASE)
#define RF_LIVE_ON_ANY		(RF_LIVE_ON_READS | RF_LIVE_ON_ERASES | \
				 (1U << RF_LIVE_FAIL_PROGRAM))

/*
 * rf_live_on_block() - whether a live fault of one of @kinds concerns
 * block @block (one of its pages, or the block).
 */
bool rf_live_on_block(const struct rf_sim *sim, uint64_t block,
		      unsigned int kinds);

/* rf_live_free() - free the live faults and events (rf_sim_close()). */
void rf_live_free(struct rf_sim *sim);

/*
 * The requests themselves (io.c, sim.c); rf_sim_read() and the others
 * (traced.c) call them, recording them when a trace is attached.
 */
int rf_do_read(struct rf_sim *sim, const struct rf_io *io, struct rf_ecc *ecc);
int rf_do_write(struct rf_sim *sim, const struct rf_io *io);
int rf_do_erase(struct rf_sim *sim, uint64_t addr, uint64_t len);
int rf_do_isbad(struct rf_sim *sim, uint64_t addr);
int rf_do_markbad(struct rf_sim *sim, uint64_t addr);
int rf_do_sync(struct rf_sim *sim);

#endif /* RAMFLASH_SIM_STATE_H */
