// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ramflash requests, recorded when a trace is attached (trace.h), and
 * what a replay of a trace needs besides them: the kernel's erases done
 * again (a power cut is armed with live.c's rf_sim_arm_power_cut()).
 */
#include <errno.h>
#include <pthread.h>

#include "sim-state.h"
#include "stats.h"
#include "trace.h"

static int rf_run(struct rf_sim *sim, const struct rf_trace_op *op,
		  struct rf_ecc *ecc)
{
	switch (op->kind) {
	case RF_TRACE_READ:
		return rf_do_read(sim, op->io, ecc);
	case RF_TRACE_WRITE:
		return rf_do_write(sim, op->io);
	case RF_TRACE_ERASE:
		return rf_do_erase(sim, op->addr, op->len);
	case RF_TRACE_ISBAD:
		return rf_do_isbad(sim, op->addr);
	case RF_TRACE_MARKBAD:
		return rf_do_markbad(sim, op->addr);
	default:
		return rf_do_sync(sim);
	}
}

/* Run one request; recorded, one at a time, when tracing. */
static int rf_traced(struct rf_sim *sim, struct rf_trace_op *op,
		     struct rf_ecc *ecc)
{
	struct rf_trace *t = sim->trace;
	int ret;

	if (!t)
		return rf_run(sim, op, ecc);
	rf_trace_begin(t);
	ret = rf_run(sim, op, ecc);
	op->ecc = ecc;
	rf_trace_end(t, op, ret);
	return ret;
}

int rf_sim_read(struct rf_sim *sim, const struct rf_io *io, struct rf_ecc *ecc)
{
	struct rf_trace_op op = { .kind = RF_TRACE_READ, .io = io };

	return rf_traced(sim, &op, ecc);
}

int rf_sim_write(struct rf_sim *sim, const struct rf_io *io)
{
	struct rf_trace_op op = { .kind = RF_TRACE_WRITE, .io = io };

	return rf_traced(sim, &op, NULL);
}

int rf_sim_erase(struct rf_sim *sim, uint64_t addr, uint64_t len)
{
	struct rf_trace_op op = { .kind = RF_TRACE_ERASE, .addr = addr,
				  .len = len };

	return rf_traced(sim, &op, NULL);
}

int rf_sim_isbad(struct rf_sim *sim, uint64_t addr)
{
	struct rf_trace_op op = { .kind = RF_TRACE_ISBAD, .addr = addr };

	return rf_traced(sim, &op, NULL);
}

int rf_sim_markbad(struct rf_sim *sim, uint64_t addr)
{
	struct rf_trace_op op = { .kind = RF_TRACE_MARKBAD, .addr = addr };

	return rf_traced(sim, &op, NULL);
}

int rf_sim_sync(struct rf_sim *sim)
{
	struct rf_trace_op op = { .kind = RF_TRACE_SYNC };

	return rf_traced(sim, &op, NULL);
}

void rf_sim_set_trace(struct rf_sim *sim, struct rf_trace *trace)
{
	sim->trace = trace;
}

void rf_sim_count_block_reads(struct rf_sim *sim, uint64_t block,
			      uint32_t reads, uint64_t bytes)
{
	struct rf_trace_op op = {
		.kind = RF_TRACE_PT_READS, .addr = block * sim->geo.erase_size,
		.len = bytes, .count = reads,
	};

	rf_sim_count_reads(sim, reads, bytes);
	if (sim->trace)
		rf_trace_note(sim->trace, &op);
}

int rf_sim_kernel_erase(struct rf_sim *sim, uint64_t block, uint32_t n,
			bool apply)
{
	struct rf_block_meta *meta;
	int ret;

	if (block >= sim->blocks)
		return -EINVAL;
	pthread_rwlock_wrlock(&sim->locks[block]);
	/* The module's erase: holes over data and OOB, the count raised. */
	ret = rf_image_erase(&sim->img, RF_REGION_DATA,
			     block * sim->geo.erase_size, sim->geo.erase_size);
	if (!ret)
		ret = rf_image_erase(&sim->img, RF_REGION_OOB,
				     block * sim->pages_per_block *
				     sim->geo.oob_size,
				     (size_t)sim->pages_per_block *
				     sim->geo.oob_size);
	if (!ret) {
		meta = rf_image_block(&sim->img, block);
		__atomic_fetch_add(&meta->kernel_erases, n, __ATOMIC_RELAXED);
		if (apply)
			ret = rf_apply_kernel_erases(sim, block, true);
	}
	pthread_rwlock_unlock(&sim->locks[block]);
	return ret;
}
