/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ramflash simulation core: a flash chip model with NAND, NOR and RAM
 * semantics, fault injection and an optional persistent image.
 *
 * The core knows nothing about libmuse or the kernel; server.c maps
 * struct muse_ops onto these functions.  Every function that can fail
 * returns 0 (or a non-negative value) or a negative errno.
 *
 * Concurrency: every operation may be called from several threads at once.
 * Each eraseblock has its own reader/writer lock (reads share it, programs
 * and erases own it), counters are atomic, and no global lock is taken on
 * the data path.
 */
#ifndef RAMFLASH_SIM_H
#define RAMFLASH_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "faults.h"
#include "geometry.h"

/* What a second program of a NAND (sub)page without an erase does. */
enum rf_reprogram {
	RF_REPROGRAM_DEFAULT,	/* refuse for MLC, allow for SLC */
	RF_REPROGRAM_ALLOW,	/* AND the new data into the old */
	RF_REPROGRAM_REFUSE,	/* fail with -EIO, count it */
};

/* OOB addressing, MTD's MTD_OPS_* modes. */
enum rf_oob_mode {
	RF_OOB_PLACE,	/* ooboffs within the whole OOB area */
	RF_OOB_AUTO,	/* only the free bytes, packed */
	RF_OOB_RAW,	/* no ECC on data either */
};

/* Called to spend simulated latency; the default sleeps. */
typedef void (*rf_delay_fn)(void *arg, uint32_t usec);

struct rf_config {
	struct rf_geometry geo;
	enum rf_reprogram reprogram;
	struct rf_faults faults;
	const char *image_path;		/* NULL: anonymous memory */
	rf_delay_fn delay;		/* NULL: nanosleep */
	void *delay_arg;
	FILE *log;			/* injected faults are logged here */
	uint64_t wear_report;		/* erases between wear reports on
					 * stderr (nandsim's rptwear), 0: none */
	uint64_t erase_slack;		/* --erase-slack: bytes of erased
					 * blocks the kernel kept that the
					 * store may hold, 0: none kept */
	char **args;			/* the options that made this chip,
					 * "--name" [value], recorded in the
					 * --stats report for --rerun; the
					 * caller's, referenced */
	size_t nargs;
};

/* Why a block is bad; stored in the image, so the values are fixed. */
enum rf_bad_reason {
	RF_BLOCK_GOOD = 0,
	RF_BLOCK_FACTORY_BAD = 1,	/* --bad-blocks / --bad-block-count */
	RF_BLOCK_MARKED_BAD = 2,	/* MARKBAD from the kernel */
	RF_BLOCK_WORN_OUT = 3,		/* marked after --endurance failed
					 * its erase */
};

/* One read or write, as struct muse_io. */
struct rf_io {
	uint64_t addr;
	size_t len;
	void *buf;
	size_t ooblen;
	uint32_t ooboffs;
	void *oobbuf;
	enum rf_oob_mode mode;
};

/* ECC outcome of a read, as struct muse_ecc_result. */
struct rf_ecc {
	unsigned int corrected;
	unsigned int max_bitflips;
	unsigned int failed;
};

/* Returned by the operation a power cut interrupts, and by all later ones. */
#define RF_POWER_CUT	(-ESHUTDOWN)

struct rf_sim;
struct rf_stats;

/**
 * rf_sim_open() - create the chip.
 * @simp:	receives the simulator.
 * @cfg:	geometry (completed), faults, backing store; copied.
 * @err:	receives a one-line reason on failure.
 * @errlen:	size of @err.
 *
 * With an image path the file is created (erased, factory bad blocks
 * marked) or, if it exists, checked against the geometry and reused.
 *
 * Return: 0, -EINVAL (bad configuration, image of another geometry),
 * -ENOMEM, or the errno of a failed file operation; @err says which.
 */
int rf_sim_open(struct rf_sim **simp, const struct rf_config *cfg,
		char *err, size_t errlen);

/**
 * rf_sim_close() - flush the image and free the chip.
 * @sim: the simulator, or NULL.
 *
 * Return: 0, or the negative errno of a failed flush.
 */
int rf_sim_close(struct rf_sim *sim);

/**
 * rf_sim_read() - read data and/or OOB.
 * @sim:	the simulator.
 * @io:		what to read; buffers are filled.
 * @ecc:	receives the ECC outcome (zeroed for RAW and clean reads).
 *
 * Return: 0, -EINVAL for a request outside the device or a bad OOB range,
 * -EIO if the image file cannot be read, RF_POWER_CUT after a power cut.
 */
int rf_sim_read(struct rf_sim *sim, const struct rf_io *io, struct rf_ecc *ecc);

/**
 * rf_sim_write() - program data and/or OOB.
 * @sim:	the simulator.
 * @io:		what to write.
 *
 * Return: 0; -EINVAL for a misaligned NAND write, a request outside the
 * device or a bad OOB range; -EIO for a refused reprogram, an injected
 * program failure, a worn-out block or a store that cannot take the data
 * (image file system full); RF_POWER_CUT if a power cut
 * interrupted it (or came before).
 */
int rf_sim_write(struct rf_sim *sim, const struct rf_io *io);

/**
 * rf_sim_erase() - erase whole eraseblocks.
 * @sim:	the simulator.
 * @addr:	start, a multiple of the eraseblock size.
 * @len:	bytes, a non-zero multiple of the eraseblock size.
 *
 * Erasing returns the block's memory (or disk blocks) to the system; it
 * costs the same whatever the block size.
 *
 * Return: 0, -EINVAL, -EIO (bad block, injected failure, wear-out, store
 * failure; the blocks before the failing one are erased), RF_POWER_CUT.
 */
int rf_sim_erase(struct rf_sim *sim, uint64_t addr, uint64_t len);

/**
 * rf_sim_isbad() - whether the eraseblock at @addr is bad.
 * Return: 1 bad, 0 good, -EINVAL for a bad address.
 */
int rf_sim_isbad(struct rf_sim *sim, uint64_t addr);

/**
 * rf_sim_markbad() - mark the eraseblock at @addr bad (also writes the
 * bad-block marker into the first page's OOB).
 * Return: 0, -EINVAL, RF_POWER_CUT.
 */
int rf_sim_markbad(struct rf_sim *sim, uint64_t addr);

/**
 * rf_sim_sync() - write the image back to its disk (msync of the
 * metadata, fdatasync of the file).
 * Return: 0 or a negative errno.
 */
int rf_sim_sync(struct rf_sim *sim);

/* rf_sim_power_cut_done() - whether the simulated power cut happened. */
bool rf_sim_power_cut_done(const struct rf_sim *sim);

/* rf_sim_created() - whether the store was created (not a reused image). */
bool rf_sim_created(const struct rf_sim *sim);

/* rf_sim_config() - the configuration the chip was opened with. */
const struct rf_config *rf_sim_config(const struct rf_sim *sim);

/* rf_sim_geometry() - the geometry in force. */
const struct rf_geometry *rf_sim_geometry(const struct rf_sim *sim);

/* rf_sim_stats() - the simulator's counters. */
struct rf_stats *rf_sim_stats(struct rf_sim *sim);

/* rf_sim_blocks() - the number of eraseblocks. */
uint64_t rf_sim_blocks(const struct rf_sim *sim);

/*
 * rf_sim_erase_count() - erases of block @block so far, those the kernel
 * did and the simulator has not applied yet included.
 */
uint32_t rf_sim_erase_count(const struct rf_sim *sim, uint64_t block);

/* rf_sim_bad_reason() - why block @block is bad, RF_BLOCK_GOOD if not. */
enum rf_bad_reason rf_sim_bad_reason(const struct rf_sim *sim, uint64_t block);

/**
 * rf_sim_store_bytes() - memory or disk the store holds now: the blocks
 * allocated to the image file (or to the anonymous store), header and
 * per-block metadata included.  Erased and never-programmed pages cost
 * nothing.
 * Return: bytes, or 0 if the store cannot tell.
 */
uint64_t rf_sim_store_bytes(const struct rf_sim *sim);

/*
 * Read passthrough support (plain.c): a plain read (in-band data, not RAW)
 * of a block returns the store's data region as it is, stored inverted,
 * when rf_sim_block_plain() says so.
 */

/* rf_sim_reads_plain() - no model changes what or when reads return. */
bool rf_sim_reads_plain(const struct rf_sim *sim);

/*
 * rf_sim_block_plain() - plain reads of @block return the store's bytes:
 * rf_sim_reads_plain() and no RAW-written page (whose ECC reads differ).
 * The caller holds the block against writes or knows none runs.
 */
bool rf_sim_block_plain(const struct rf_sim *sim, uint64_t block);

/*
 * rf_sim_store_data() - the store's file and the offset of device byte 0
 * in it; every byte is stored as ~byte, holes read as erased.
 */
void rf_sim_store_data(const struct rf_sim *sim, int *fd, uint64_t *offset);

/* rf_sim_count_reads() - account reads served outside the simulator. */
void rf_sim_count_reads(struct rf_sim *sim, uint64_t reads, uint64_t bytes);

/*
 * Kernel erase support (plain.c): the kernel may erase a block itself,
 * punching holes over its data and OOB in the store and adding one to
 * its count there (struct rf_block_meta.kernel_erases), when the
 * simulator's own erase of it would do nothing else.  The simulator
 * applies such counts before any request about the block, and when it
 * opens an image.
 */

/*
 * Erase slack (keep.c, cfg.erase_slack > 0): the kernel erases by zeroing
 * the pages in place (MUSE_ERASE_KEEP_PAGES), so an erased block may
 * still hold memory.  The simulator measures it when it applies the
 * kernel's erase, keeps such blocks up to the slack and punches the
 * oldest above it, in runs, under the blocks' write locks, only while
 * nothing was programmed since; a request that changes a block forgets
 * it first.
 */

/*
 * rf_sim_keep_start() - the kernel keeps pages now: start the thread that
 * applies its erases every second and punches above the slack.  Return:
 * 0 (also without a slack), -EOPNOTSUPP (the store is not on tmpfs), or
 * pthread_create()'s errno negated.
 */
int rf_sim_keep_start(struct rf_sim *sim);

/*
 * rf_sim_keep_trim() - what the thread does, once, in the caller: apply
 * the kernel's pending erases (not with a trace attached), then punch the
 * oldest kept blocks until the slack holds.  Return: false if a punch
 * failed (logged).
 */
bool rf_sim_keep_trim(struct rf_sim *sim);

/* rf_sim_kept_bytes() - bytes the kept erased blocks hold now. */
uint64_t rf_sim_kept_bytes(struct rf_sim *sim);

/* rf_sim_erase_budget() result: no limit. */
#define RF_ERASE_BUDGET_UNLIMITED	UINT32_MAX

/*
 * rf_sim_erases_plain() - no model changes what an erase does besides
 * punching holes: a RAM-less type, no power cut to tear it unless a
 * budget hook decides the torn operation (rf_sim_on_power_take()), no
 * erase latency, no retention model (its clock would miss the erase), no
 * wear report (it counts erases as they happen).
 */
bool rf_sim_erases_plain(const struct rf_sim *sim);

/*
 * rf_sim_erase_budget() - how many more times the kernel may erase
 * @block itself: 0 unless rf_sim_erases_plain(), the block is good and
 * not in --fail-erase or --weak-blocks; then RF_ERASE_BUDGET_UNLIMITED without
 * --endurance, else the erases before the last one it survives (that one
 * and the one that wears it out are requests), 0 if none.
 */
uint32_t rf_sim_erase_budget(const struct rf_sim *sim, uint64_t block);

/*
 * rf_sim_store_erase_layout() - where the store keeps the rest of a block
 * for a kernel erase: page p's OOB at @oob_offset + p * oob_size (stored
 * as ~byte), block b's count of kernel erases, a 32-bit word, at
 * @count_offset + b * @count_stride.
 */
void rf_sim_store_erase_layout(const struct rf_sim *sim, uint64_t *oob_offset,
			       uint64_t *count_offset, uint32_t *count_stride);

/* rf_sim_pending_erases() - kernel erases of @block not applied yet. */
uint32_t rf_sim_pending_erases(const struct rf_sim *sim, uint64_t block);

/*
 * Called, with @block's write lock held, when applying the kernel's
 * erases of it dropped RAW-written pages: its plain reads are the store's
 * bytes again (rf_sim_block_plain()).
 */
typedef void (*rf_plain_again_fn)(void *arg, uint64_t block);

/* rf_sim_on_plain_again() - set the hook; before serving. */
void rf_sim_on_plain_again(struct rf_sim *sim, rf_plain_again_fn fn,
			   void *arg);

/*
 * Kernel program support (plain.c): the kernel may program plain writes
 * (in-band data, whole subpages, each subpage once per erase) of a NAND
 * block itself: the data stored as ~byte in the store's data region, the
 * subpages' bits set in the block's "programmed" bitmap and added to its
 * count of kernel programs (struct rf_block_meta.kernel_programs), when
 * the simulator's own program of them would do nothing else.  The
 * simulator applies such counts before any request about the block and
 * when it opens an image, as it does kernel erases.
 */

/*
 * rf_sim_programs_plain() - no model changes what or when a program does
 * besides storing: a NAND chip (NOR and RAM writes stay requests), no
 * program latency, no retention model (its clock starts at a block's
 * first program), no trace attached (every write is recorded), and a
 * power cut only with a budget hook (rf_sim_on_power_take()).
 */
bool rf_sim_programs_plain(const struct rf_sim *sim);

/*
 * rf_sim_block_programs_plain() - the kernel may program @block itself:
 * rf_sim_programs_plain(), the block good and not worn out, not in
 * --fail-program, none of its pages in --weak-pages, no RAW-written page
 * (its ECC shadow follows programs), no live fault on it.
 */
bool rf_sim_block_programs_plain(const struct rf_sim *sim, uint64_t block);

/*
 * rf_sim_store_program_layout() - where the store keeps a NAND block's
 * program state: block b's "programmed" bitmap (bit i % 8 of byte i / 8
 * for its subpage i) at @map_offset + b * @map_stride, its count of
 * kernel programs, a 16-bit word, at @count_offset + b * @count_stride.
 * The chip imposes no order of pages and allows subpage programs: the
 * only rule is the kernel's own, each subpage once per erase.
 */
void rf_sim_store_program_layout(const struct rf_sim *sim,
				 uint64_t *map_offset, uint32_t *map_stride,
				 uint64_t *count_offset,
				 uint32_t *count_stride);

/* rf_sim_pending_programs() - kernel-programmed subpages not applied yet. */
uint32_t rf_sim_pending_programs(const struct rf_sim *sim, uint64_t block);

/*
 * rf_sim_share_program_state() - the kernel programs, and clears a
 * block's "programmed" bits itself when it erases it: applying a kernel
 * erase then leaves them (clearing them would lose the programs the
 * kernel made since).  Before serving.
 */
void rf_sim_share_program_state(struct rf_sim *sim);

/* rf_sim_store_on_tmpfs() - whether the store is on tmpfs (a memfd is). */
bool rf_sim_store_on_tmpfs(const struct rf_sim *sim);

/*
 * Takes one operation from a budget the kernel takes its own from:
 * returns 1 (taken), 0 (spent: the caller's operation is the torn one),
 * or a negative errno (no budget: the simulator counts itself).
 */
typedef int (*rf_power_take_fn)(void *arg);

/*
 * rf_sim_on_power_take() - with a power cut armed, decide each program or
 * block erase of the simulator's own with @fn instead of counting them
 * (mod_ops against --power-cut-after): the kernel's operations share the
 * budget, so the torn operation is the same whoever did the earlier ones.
 * NULL: count.  Before serving, or while no operation runs.
 */
void rf_sim_on_power_take(struct rf_sim *sim, rf_power_take_fn fn, void *arg);

/*
 * Called by the erase-slack thread around punching blocks [first, end)
 * it holds locked: @hold true before, to stop the kernel programming
 * them (return 0, or a negative errno: nothing is punched); false after,
 * to let it again.
 */
typedef int (*rf_kernel_hold_fn)(void *arg, uint64_t first, uint64_t end,
				 bool hold);

/* rf_sim_on_kernel_hold() - set the hook; before serving. */
void rf_sim_on_kernel_hold(struct rf_sim *sim, rf_kernel_hold_fn fn,
			   void *arg);

/*
 * Live faults (live.c): set while the chip is served, through ramflash's
 * control socket (control.c).  Each one concerns one page or one block
 * and is used up by the operations it names; its effect depends only on
 * the seed and on the operations that follow, like the options' faults.
 * The setters below that change the chip's configuration (bit-flip rate,
 * read disturb, latency, power cut) must be called while no operation
 * runs: the server holds its requests back for them (control.c's gate).
 */

/* What a live fault does to its page or block. */
enum rf_live_kind {
	RF_LIVE_FAIL_PROGRAM,	/* page: its next @count programs fail */
	RF_LIVE_FAIL_ERASE,	/* block: its next @count erases fail */
	RF_LIVE_GRAVE,		/* page: reads after the next @count return
				 * garbage the ECC cannot correct, until the
				 * block is erased */
	RF_LIVE_FLIP,		/* page: its next read sees @count bits of
				 * its first ECC step flipped */
};

/* At most this many live faults at once. */
#define RF_LIVE_MAX	4096

/**
 * rf_sim_live_add() - add a live fault; one of the same kind on the same
 * page or block is replaced.
 * @sim:	the simulator.
 * @kind:	what it does.
 * @unit:	the page (FAIL_PROGRAM, GRAVE, FLIP) or block (FAIL_ERASE).
 * @count:	as enum rf_live_kind says; FLIP: 1 to the step's bits.
 * @err:	receives a one-line reason on failure.
 * @errlen:	size of @err.
 *
 * Safe while operations run.  The kernel's erases and programs of the
 * block not applied yet are applied first: they came before the fault
 * (an erase applied after it would drop a GRAVE or FLIP).
 *
 * Return: 0; -EINVAL (unit beyond the chip, a page fault on a chip
 * without pages of its own (NOR, RAM), @count out of range), -ENOSPC
 * (RF_LIVE_MAX reached), -ENOMEM, -EIO (applying failed); no fault set
 * then.
 */
int rf_sim_live_add(struct rf_sim *sim, enum rf_live_kind kind, uint64_t unit,
		    uint32_t count, char *err, size_t errlen);

/* rf_sim_live_cancel() - remove the live fault of @kind on @unit, if any. */
void rf_sim_live_cancel(struct rf_sim *sim, enum rf_live_kind kind,
			uint64_t unit);

/* rf_sim_live_count() - live faults not used up yet. */
size_t rf_sim_live_count(struct rf_sim *sim);

/**
 * rf_sim_grow_bad() - block @block goes bad as a chip's block does: the
 * bad-block marker written, ISBAD says so, erases fail; recorded as
 * RF_BLOCK_MARKED_BAD.
 * Return: 0, -EINVAL (not NAND, beyond the chip, already bad), -EIO.
 */
int rf_sim_grow_bad(struct rf_sim *sim, uint64_t block, char *err,
		    size_t errlen);

/* rf_sim_check_grow_bad() - rf_sim_grow_bad()'s checks alone. */
int rf_sim_check_grow_bad(const struct rf_sim *sim, uint64_t block,
			  char *err, size_t errlen);

/**
 * rf_sim_set_bitflip_rate() - change --bitflip-rate; no operation may run.
 * Return: 0, or -EINVAL (not NAND, @rate outside [0, 1]).
 */
int rf_sim_set_bitflip_rate(struct rf_sim *sim, double rate, char *err,
			    size_t errlen);

/**
 * rf_sim_set_read_disturb() - change --read-disturb (0: off); no
 * operation may run.
 * Return: 0, or -EINVAL (not NAND).
 */
int rf_sim_set_read_disturb(struct rf_sim *sim, uint32_t reads, char *err,
			    size_t errlen);

/* The latencies rf_sim_set_latency() changes. */
enum rf_latency { RF_LATENCY_READ, RF_LATENCY_PROGRAM, RF_LATENCY_ERASE };

/* rf_sim_set_latency() - change a --latency-*; no operation may run. */
void rf_sim_set_latency(struct rf_sim *sim, enum rf_latency which,
			uint32_t usec);

/**
 * rf_sim_arm_power_cut() - @ops more programs/erases complete, the next
 * one is torn and the power is off (as --power-cut-after, counted from
 * now); no operation may run.
 * Return: the operation number of the torn one, counted as
 * --power-cut-after counts (from the start of this run).
 */
uint64_t rf_sim_arm_power_cut(struct rf_sim *sim, uint64_t ops);

/*
 * rf_sim_power_cut_left() - programs/erases that complete before the
 * armed power cut's torn one, UINT64_MAX if none is armed.
 */
uint64_t rf_sim_power_cut_left(const struct rf_sim *sim);

/*
 * rf_sim_power_off() - the power is off now: every later operation fails
 * with RF_POWER_CUT, none is torn (none runs).  No operation may run.
 */
void rf_sim_power_off(struct rf_sim *sim);

/* A point of the run the control socket recorded (stats JSON "control"). */
struct rf_event {
	uint64_t request;	/* requests served before it */
	bool marker;		/* a marker's text, else a command line */
	char *text;
};

/**
 * rf_sim_record_event() - record a command or marker for the report.
 * @sim:	the simulator.
 * @request:	requests served before it took effect.
 * @marker:	true for a marker.
 * @text:	the command line or the marker's text; copied.
 *
 * Return: 0 or -ENOMEM.
 */
int rf_sim_record_event(struct rf_sim *sim, uint64_t request, bool marker,
			const char *text);

/**
 * rf_sim_events() - call @fn for each recorded event, in order, with the
 * event list locked (@fn must not record one).
 */
void rf_sim_events(struct rf_sim *sim,
		   void (*fn)(void *arg, const struct rf_event *ev), void *arg);

/* ---- tracing ---- */

/*
 * Tracing (trace.h) and replaying a trace (replay.c).
 */
struct rf_trace;

/*
 * rf_sim_set_trace() - record every request from now on into @trace
 * (NULL: stop); requests then run one at a time.  Not while serving.
 */
void rf_sim_set_trace(struct rf_sim *sim, struct rf_trace *trace);

/*
 * rf_sim_count_block_reads() - account @reads reads of @bytes bytes the
 * kernel served from the store for block @block (read passthrough), and
 * trace them.
 */
void rf_sim_count_block_reads(struct rf_sim *sim, uint64_t block,
			      uint32_t reads, uint64_t bytes);

/**
 * rf_sim_kernel_erase() - do what the kernel does for @n erases of @block
 * (kernel erase): holes over its data and OOB in the store, @n added to
 * its count of kernel erases; then, with @apply, apply them as the next
 * request about the block would.
 * @sim:	the simulator.
 * @block:	a block rf_sim_erase_budget() allowed.
 * @n:		erases.
 * @apply:	apply them now.
 *
 * Return: 0, -EINVAL for a block beyond the chip, -EIO (store failure).
 */
int rf_sim_kernel_erase(struct rf_sim *sim, uint64_t block, uint32_t n,
			bool apply);

#endif /* RAMFLASH_SIM_H */
