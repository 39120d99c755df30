/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ramflash counters: operations, bytes and injected faults, updated with
 * relaxed atomics from any thread.  The report that prints them is
 * stats.h; this header needs nothing else, so the simulator's I/O paths
 * count without knowing how the counts are shown.
 */
#ifndef RAMFLASH_COUNTERS_H
#define RAMFLASH_COUNTERS_H

#include <stdatomic.h>

/*
 * X-macro of every counter: name and what it counts.  One list feeds the
 * struct, the human-readable report and the JSON, so they cannot drift.
 */
#define RF_STATS_COUNTERS(X)						\
	X(reads,		"READ requests served")			\
	X(read_bytes,		"in-band bytes read")			\
	X(read_oob_bytes,	"OOB bytes read")			\
	X(writes,		"WRITE requests served")		\
	X(write_bytes,		"in-band bytes programmed")		\
	X(kernel_programs,	"subpages the kernel programmed itself") \
	X(write_oob_bytes,	"OOB bytes programmed")			\
	X(erases,		"eraseblocks erased")			\
	X(kernel_erases,	"of them erased by the kernel itself")	\
	X(slack_punched_blocks,	"erased blocks punched above --erase-slack") \
	X(slack_punched_bytes,	"bytes those punches freed")		\
	X(isbad,		"ISBAD queries")			\
	X(markbad,		"MARKBAD requests")			\
	X(syncs,		"SYNC requests")			\
	X(invalid,		"requests refused as invalid (-EINVAL)") \
	X(flips_random,		"bits flipped by --bitflip-rate")	\
	X(flips_disturb,	"bits flipped by --read-disturb")	\
	X(flips_retention,	"bits flipped by --retention")		\
	X(raw_diff_bits,	"bits RAW writes changed behind the ECC") \
	X(ecc_corrected_bits,	"bit flips corrected by ECC")		\
	X(ecc_failed_steps,	"ECC steps that were uncorrectable")	\
	X(reprogram_refused,	"programs refused: page not erased")	\
	X(program_failures,	"injected program failures")		\
	X(erase_failures,	"injected erase failures")		\
	X(grave_reads,		"page reads --grave-pages garbled")	\
	X(flips_live,		"bits flipped by the control's flip-bits") \
	X(bad_block_erases,	"erases refused on bad blocks")		\
	X(worn_out_blocks,	"blocks whose erase --endurance failed")	\
	X(store_errors,		"image reads/writes that failed (-EIO)") \
	X(power_cuts,		"power cuts")

struct rf_stats {
#define RF_STATS_FIELD(name, text) atomic_uint_fast64_t name;
	RF_STATS_COUNTERS(RF_STATS_FIELD)
#undef RF_STATS_FIELD
};

/* rf_stats_add() - add @n to a counter (relaxed: only totals matter). */
#define rf_stats_add(stats, name, n)					\
	atomic_fetch_add_explicit(&(stats)->name, (n), memory_order_relaxed)

/* rf_stats_get() - read a counter. */
#define rf_stats_get(stats, name)					\
	atomic_load_explicit(&(stats)->name, memory_order_relaxed)

#endif /* RAMFLASH_COUNTERS_H */
