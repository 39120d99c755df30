// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ramflash live faults: the faults the control socket sets while the chip
 * is served (sim.h, "Live faults"), and the events it records.
 *
 * The faults are few (a test names them one by one), so they are a small
 * array searched linearly under one mutex.  The data path looks at them
 * only while one is set (rf_live_any(): one load), so a chip without live
 * faults pays nothing for them.  live_lock is the innermost lock: it is
 * taken under block locks and under the passthrough lock, and nothing is
 * taken under it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sim-state.h"
#include "stats.h"
#include "trace.h"

static const char *const rf_live_unit[] = {
	[RF_LIVE_FAIL_PROGRAM] = "page",
	[RF_LIVE_FAIL_ERASE] = "block",
	[RF_LIVE_GRAVE] = "page",
	[RF_LIVE_FLIP] = "page",
};

/* The position of (@kind, @unit), or live_count; under live_lock. */
static size_t rf_live_find(const struct rf_sim *sim, enum rf_live_kind kind,
			   uint64_t unit)
{
	size_t i;

	for (i = 0; i < sim->live_count; i++)
		if (sim->live[i].kind == kind && sim->live[i].unit == unit)
			return i;
	return i;
}

/* Remove entry @i; under live_lock. */
static void rf_live_remove(struct rf_sim *sim, size_t i)
{
	sim->live[i] = sim->live[--sim->live_count];
	atomic_store(&sim->live_pending, sim->live_count);
}

/* Check a live fault against the chip; 0 or rf_errorf()'s -EINVAL. */
static int rf_live_check(const struct rf_sim *sim, enum rf_live_kind kind,
			 uint64_t unit, uint32_t count, char *err,
			 size_t errlen)
{
	const struct rf_geometry *geo = &sim->geo;
	bool page = kind != RF_LIVE_FAIL_ERASE;
	uint64_t units = page ? sim->pages : sim->blocks;
	uint64_t step_bits;

	if (page && !rf_type_is_nand(geo->type))
		return rf_errorf(err, errlen,
				 "page faults need a NAND type, this chip is %s",
				 rf_type_name(geo->type));
	if (unit >= units)
		return rf_errorf(err, errlen, "%s %" PRIu64
				 " is beyond the last one, %" PRIu64,
				 rf_live_unit[kind], unit, units - 1);
	if (kind == RF_LIVE_FLIP) {
		step_bits = 8ULL * (geo->ecc_strength ? geo->ecc_step :
				    geo->page_size);
		if (!count || count > step_bits)
			return rf_errorf(err, errlen,
					 "%" PRIu32 " bits: an ECC step has 1 to %" PRIu64,
					 count, step_bits);
	} else if (kind != RF_LIVE_GRAVE && !count) {
		return rf_errorf(err, errlen, "a count of 0 fails nothing");
	}
	return 0;
}

int rf_sim_live_add(struct rf_sim *sim, enum rf_live_kind kind, uint64_t unit,
		    uint32_t count, char *err, size_t errlen)
{
	struct rf_live *grown;
	uint64_t block;
	size_t i;
	int ret;

	ret = rf_live_check(sim, kind, unit, count, err, errlen);
	if (ret)
		return ret;
	/*
	 * The kernel's erases of the block came before the fault: applied
	 * later they would drop it (rf_live_block_erased()).
	 */
	block = kind == RF_LIVE_FAIL_ERASE ? unit : unit / sim->pages_per_block;
	pthread_rwlock_wrlock(&sim->locks[block]);
	ret = rf_apply_kernel_ops(sim, block, true);
	pthread_rwlock_unlock(&sim->locks[block]);
	if (ret) {
		snprintf(err, errlen, "cannot apply the kernel's erases of block %"
			 PRIu64 " first: %s", block, strerror(-ret));
		return ret;
	}
	pthread_mutex_lock(&sim->live_lock);
	i = rf_live_find(sim, kind, unit);
	if (i == sim->live_count) {
		if (i == RF_LIVE_MAX) {
			pthread_mutex_unlock(&sim->live_lock);
			rf_errorf(err, errlen, "%d live faults are set already",
				  RF_LIVE_MAX);
			return -ENOSPC;
		}
		grown = realloc(sim->live, (i + 1) * sizeof(*grown));
		if (!grown) {
			pthread_mutex_unlock(&sim->live_lock);
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
		sim->live = grown;
		sim->live_count++;
	}
	sim->live[i] = (struct rf_live){ .kind = kind, .unit = unit,
					 .count = count };
	atomic_store(&sim->live_pending, sim->live_count);
	pthread_mutex_unlock(&sim->live_lock);
	return 0;
}

void rf_sim_live_cancel(struct rf_sim *sim, enum rf_live_kind kind,
			uint64_t unit)
{
	size_t i;

	pthread_mutex_lock(&sim->live_lock);
	i = rf_live_find(sim, kind, unit);
	if (i < sim->live_count)
		rf_live_remove(sim, i);
	pthread_mutex_unlock(&sim->live_lock);
}

size_t rf_sim_live_count(struct rf_sim *sim)
{
	return atomic_load(&sim->live_pending);
}

bool rf_live_take(struct rf_sim *sim, enum rf_live_kind kind, uint64_t unit,
		  uint32_t *bits)
{
	struct rf_live *f;
	bool hit = false;
	size_t i;

	if (!rf_live_any(sim))
		return false;
	pthread_mutex_lock(&sim->live_lock);
	i = rf_live_find(sim, kind, unit);
	if (i == sim->live_count)
		goto out;
	f = &sim->live[i];
	switch (kind) {
	case RF_LIVE_GRAVE:
		/* Garbage from now on, until the block's erase drops it. */
		hit = !f->count;
		if (f->count)
			f->count--;
		break;
	case RF_LIVE_FLIP:
		*bits = f->count;
		hit = true;
		rf_live_remove(sim, i);
		break;
	default:
		hit = true;
		if (!--f->count)
			rf_live_remove(sim, i);
		break;
	}
out:
	pthread_mutex_unlock(&sim->live_lock);
	return hit;
}

/* Whether live fault @f concerns block @block (pages or the block). */
static bool rf_live_in_block(const struct rf_sim *sim, const struct rf_live *f,
			     uint64_t block)
{
	if (f->kind == RF_LIVE_FAIL_ERASE)
		return f->unit == block;
	return f->unit / sim->pages_per_block == block;
}

void rf_live_block_erased(struct rf_sim *sim, uint64_t block)
{
	size_t i;

	if (!rf_live_any(sim))
		return;
	pthread_mutex_lock(&sim->live_lock);
	for (i = sim->live_count; i-- > 0;)
		if ((sim->live[i].kind == RF_LIVE_GRAVE ||
		     sim->live[i].kind == RF_LIVE_FLIP) &&
		    rf_live_in_block(sim, &sim->live[i], block))
			rf_live_remove(sim, i);
	pthread_mutex_unlock(&sim->live_lock);
}

bool rf_live_on_block(const struct rf_sim *sim, uint64_t block,
		      unsigned int kinds)
{
	/* The lock guards the list; taking it changes no state of the chip. */
	pthread_mutex_t *lock = (pthread_mutex_t *)&sim->live_lock;
	const struct rf_live *f;
	bool found = false;
	size_t i;

	if (!atomic_load_explicit(&sim->live_pending, memory_order_relaxed))
		return false;
	pthread_mutex_lock(lock);
	for (i = 0; i < sim->live_count && !found; i++) {
		f = &sim->live[i];
		found = (kinds & (1U << f->kind)) &&
			rf_live_in_block(sim, f, block);
	}
	pthread_mutex_unlock(lock);
	return found;
}

int rf_sim_check_grow_bad(const struct rf_sim *sim, uint64_t block,
			  char *err, size_t errlen)
{
	if (!rf_type_is_nand(sim->geo.type))
		return rf_errorf(err, errlen, "bad blocks need a NAND type, this chip is %s",
				 rf_type_name(sim->geo.type));
	if (block >= sim->blocks)
		return rf_errorf(err, errlen, "block %" PRIu64
				 " is beyond the last one, %" PRIu64,
				 block, sim->blocks - 1);
	if (rf_sim_bad_reason(sim, block) != RF_BLOCK_GOOD)
		return rf_errorf(err, errlen, "block %" PRIu64 " is bad already (%s)",
				 block, rf_bad_reason_name(
					 rf_sim_bad_reason(sim, block)));
	return 0;
}

int rf_sim_grow_bad(struct rf_sim *sim, uint64_t block, char *err,
		    size_t errlen)
{
	int ret = rf_sim_check_grow_bad(sim, block, err, errlen);

	if (ret)
		return ret;
	ret = rf_sim_markbad(sim, block * sim->geo.erase_size);
	if (ret == RF_POWER_CUT)
		snprintf(err, errlen, "the power is off");
	else if (ret)
		snprintf(err, errlen, "writing the bad-block marker failed: %s",
			 strerror(-ret));
	return ret;
}

/* The bit-flip models are on when one of them is. */
static void rf_flips_update(struct rf_sim *sim)
{
	const struct rf_faults *f = &sim->cfg.faults;

	sim->flips_enabled = f->bitflip_rate > 0 || f->read_disturb ||
			     f->retention;
}

int rf_sim_set_bitflip_rate(struct rf_sim *sim, double rate, char *err,
			    size_t errlen)
{
	if (!rf_type_is_nand(sim->geo.type))
		return rf_errorf(err, errlen, "bit-flip models need a NAND type, this chip is %s",
				 rf_type_name(sim->geo.type));
	if (!(rate >= 0 && rate <= 1))
		return rf_errorf(err, errlen, "a bit-flip rate is in [0, 1]");
	sim->cfg.faults.bitflip_rate = rate;
	rf_flips_update(sim);
	return 0;
}

int rf_sim_set_read_disturb(struct rf_sim *sim, uint32_t reads, char *err,
			    size_t errlen)
{
	if (!rf_type_is_nand(sim->geo.type))
		return rf_errorf(err, errlen, "bit-flip models need a NAND type, this chip is %s",
				 rf_type_name(sim->geo.type));
	sim->cfg.faults.read_disturb = reads;
	rf_flips_update(sim);
	return 0;
}

void rf_sim_set_latency(struct rf_sim *sim, enum rf_latency which,
			uint32_t usec)
{
	struct rf_faults *f = &sim->cfg.faults;

	if (which == RF_LATENCY_READ)
		f->latency_read_us = usec;
	else if (which == RF_LATENCY_PROGRAM)
		f->latency_program_us = usec;
	else
		f->latency_erase_us = usec;
}

uint64_t rf_sim_arm_power_cut(struct rf_sim *sim, uint64_t ops)
{
	uint64_t done = atomic_load(&sim->mod_ops);

	sim->cfg.faults.power_cut = true;
	sim->cfg.faults.power_cut_after = ops > UINT64_MAX - done ?
					  UINT64_MAX : done + ops;
	return sim->cfg.faults.power_cut_after;
}

uint64_t rf_sim_power_cut_left(const struct rf_sim *sim)
{
	const struct rf_faults *f = &sim->cfg.faults;
	uint64_t done = atomic_load(&sim->mod_ops);

	if (!f->power_cut)
		return UINT64_MAX;
	return f->power_cut_after > done ? f->power_cut_after - done : 0;
}

void rf_sim_power_off(struct rf_sim *sim)
{
	if (atomic_exchange(&sim->powered_off, true))
		return;
	rf_stats_add(&sim->stats, power_cuts, 1);
	rf_log(sim, "power cut by the control socket");
}

int rf_sim_record_event(struct rf_sim *sim, uint64_t request, bool marker,
			const char *text)
{
	struct rf_event *grown;
	char *copy = strdup(text);
	int ret = 0;

	if (!copy)
		return -ENOMEM;
	pthread_mutex_lock(&sim->live_lock);
	if (sim->event_count == sim->event_size) {
		size_t size = sim->event_size ? 2 * sim->event_size : 16;

		grown = realloc(sim->events, size * sizeof(*grown));
		if (grown) {
			sim->events = grown;
			sim->event_size = size;
		}
	}
	if (sim->event_count < sim->event_size)
		sim->events[sim->event_count++] = (struct rf_event){
			.request = request, .marker = marker, .text = copy };
	else
		ret = -ENOMEM;
	pthread_mutex_unlock(&sim->live_lock);
	if (ret)
		free(copy);
	/* Between two requests (the control socket's gate), as they ran. */
	if (!ret && sim->trace)
		(marker ? rf_trace_marker : rf_trace_control)(sim->trace, text);
	return ret;
}

void rf_sim_events(struct rf_sim *sim,
		   void (*fn)(void *arg, const struct rf_event *ev), void *arg)
{
	size_t i;

	pthread_mutex_lock(&sim->live_lock);
	for (i = 0; i < sim->event_count; i++)
		fn(arg, &sim->events[i]);
	pthread_mutex_unlock(&sim->live_lock);
}

void rf_live_free(struct rf_sim *sim)
{
	size_t i;

	for (i = 0; i < sim->event_count; i++)
		free(sim->events[i].text);
	free(sim->events);
	free(sim->live);
	sim->events = NULL;
	sim->live = NULL;
	sim->event_count = sim->event_size = sim->live_count = 0;
}
