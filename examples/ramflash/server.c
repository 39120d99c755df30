// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ramflash server: wires the simulation core to libmuse.
 *
 * Signals: the handlers only do async-signal-safe things.  SIGINT/SIGTERM
 * call muse_session_exit(); SIGUSR1 writes a byte to a pipe that a
 * reporter thread waits on, so the report itself runs in normal context.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "server.h"
#include "stats.h"
#include "svg.h"

static struct muse_session *volatile rf_signal_session;
static volatile sig_atomic_t rf_stop_requested;
static int rf_report_pipe[2] = { -1, -1 };

static uint32_t rf_muse_type(enum rf_type type)
{
	switch (type) {
	case RF_TYPE_NAND:
		return MUSE_TYPE_NAND;
	case RF_TYPE_MLC_NAND:
		return MUSE_TYPE_MLC_NAND;
	case RF_TYPE_NOR:
		return MUSE_TYPE_NOR;
	case RF_TYPE_RAM:
		break;
	}
	return MUSE_TYPE_RAM;
}

void rf_muse_device(const struct rf_options *opts,
		    const struct rf_geometry *geo, struct muse_device *dev)
{
	uint32_t shift = 0;

	while ((geo->subpage_size << shift) < geo->page_size)
		shift++;
	memset(dev, 0, sizeof(*dev));
	dev->name = opts->name;
	dev->type = rf_muse_type(geo->type);
	/* The kernel's MTD_CAP_* for each kind of chip. */
	dev->flags = MUSE_FLAG_WRITEABLE;
	if (geo->type == RF_TYPE_NOR)
		dev->flags |= MUSE_FLAG_BIT_WRITEABLE;
	if (geo->type == RF_TYPE_RAM)
		dev->flags |= MUSE_FLAG_BIT_WRITEABLE | MUSE_FLAG_NO_ERASE;
	dev->size = geo->size;
	dev->writesize = geo->page_size;
	dev->erasesize = geo->erase_size;
	dev->writebufsize = geo->writebuf_size;
	dev->oobsize = geo->oob_size;
	dev->oobavail = geo->oob_avail;
	dev->subpage_shift = shift;
	dev->ecc_strength = geo->ecc_strength;
	dev->ecc_step = geo->ecc_strength ? geo->ecc_step : 0;
	dev->bitflip_threshold = geo->bitflip_threshold;
	dev->partitions = opts->partitions;
	dev->max_io = opts->max_io;
}

/*
 * A power cut stops serving: the process exits as a dead chip would, and
 * the kernel reads and erases nothing more from the store meanwhile.
 */
static int rf_result(struct rf_server *srv, int ret)
{
	if (ret == RF_POWER_CUT) {
		rf_pt_power_cut(&srv->pt);
		muse_session_exit(srv->se);
		return -EIO;
	}
	return ret;
}

/*
 * The latency model, without a worker asleep per request.  The core
 * charges simulated time through its delay hook; rf_server_charge() (the
 * hook main.c installs) adds it up for the calling thread instead of
 * sleeping.  A callback runs the operation at once, keeps the request
 * (libmuse's asynchronous replies) and leaves it to a timer thread that
 * answers each request when its time is up, earliest first (a min-heap).
 * The kernel sees the result no earlier than a chip would give it.
 */
static __thread uint64_t rf_charged_us;

void rf_server_charge(void *arg, uint32_t usec)
{
	rf_charged_us += usec;
}

/* How a request that waits is answered. */
enum rf_answer { RF_ANSWER_READ, RF_ANSWER_WRITE, RF_ANSWER_OK };

struct rf_pending {
	uint64_t due_ns;		/* CLOCK_MONOTONIC */
	struct muse_req *req;
	enum rf_answer answer;
	int result;			/* < 0: fails with it */
	struct muse_ecc_result ecc;
};

static struct rf_timer {
	pthread_mutex_t lock;
	pthread_cond_t cond;		/* on CLOCK_MONOTONIC */
	struct rf_pending *heap;	/* heap[0] is due first */
	size_t count, size;
	bool running, stop;
	struct rf_ctl *ctl;		/* answers wait while it is frozen */
	pthread_t thread;
} rf_timer = { .lock = PTHREAD_MUTEX_INITIALIZER };

static uint64_t rf_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void rf_heap_swap(size_t i, size_t j)
{
	struct rf_pending t = rf_timer.heap[i];

	rf_timer.heap[i] = rf_timer.heap[j];
	rf_timer.heap[j] = t;
}

/* Under the lock; -ENOMEM if the heap cannot grow. */
static int rf_heap_push(const struct rf_pending *p)
{
	struct rf_timer *t = &rf_timer;
	size_t i = t->count;

	if (t->count == t->size) {
		size_t size = t->size ? 2 * t->size : 64;
		struct rf_pending *heap = realloc(t->heap, size * sizeof(*heap));

		if (!heap)
			return -ENOMEM;
		t->heap = heap;
		t->size = size;
	}
	t->heap[t->count++] = *p;
	for (; i && t->heap[(i - 1) / 2].due_ns > t->heap[i].due_ns;
	     i = (i - 1) / 2)
		rf_heap_swap(i, (i - 1) / 2);
	return 0;
}

/* Under the lock, with count > 0. */
static struct rf_pending rf_heap_pop(void)
{
	struct rf_timer *t = &rf_timer;
	struct rf_pending top = t->heap[0];
	size_t i = 0;

	t->heap[0] = t->heap[--t->count];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, min = i;

		if (l < t->count && t->heap[l].due_ns < t->heap[min].due_ns)
			min = l;
		if (r < t->count && t->heap[r].due_ns < t->heap[min].due_ns)
			min = r;
		if (min == i)
			return top;
		rf_heap_swap(i, min);
		i = min;
	}
}

static void rf_answer(const struct rf_pending *p)
{
	if (p->result < 0)
		muse_reply_err(p->req, p->result);
	else if (p->answer == RF_ANSWER_READ)
		muse_reply_read(p->req, &p->ecc);
	else if (p->answer == RF_ANSWER_WRITE)
		muse_reply_write(p->req);
	else
		muse_reply_ok(p->req);
}

/* Answer what is due; on stop, everything left at once. */
static void *rf_timer_main(void *arg)
{
	struct rf_timer *t = &rf_timer;

	pthread_mutex_lock(&t->lock);
	for (;;) {
		bool frozen = rf_ctl_frozen(t->ctl);

		if (t->count && (t->stop || (!frozen &&
					     t->heap[0].due_ns <= rf_now_ns()))) {
			struct rf_pending p = rf_heap_pop();

			pthread_mutex_unlock(&t->lock);
			rf_answer(&p);
			pthread_mutex_lock(&t->lock);
		} else if (t->stop) {
			break;
		} else if (!t->count || frozen) {
			pthread_cond_wait(&t->cond, &t->lock);
		} else {
			uint64_t ns = t->heap[0].due_ns;
			struct timespec due = {
				.tv_sec = (time_t)(ns / 1000000000u),
				.tv_nsec = (long)(ns % 1000000000u),
			};

			pthread_cond_timedwait(&t->cond, &t->lock, &due);
		}
	}
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

/* The control released a freeze: what is due is answered now. */
static void rf_timer_thaw(void *arg)
{
	pthread_mutex_lock(&rf_timer.lock);
	pthread_cond_signal(&rf_timer.cond);
	pthread_mutex_unlock(&rf_timer.lock);
}

static int rf_timer_start(struct rf_ctl *ctl)
{
	struct rf_timer *t = &rf_timer;
	pthread_condattr_t attr;
	int ret;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&t->cond, &attr);
	pthread_condattr_destroy(&attr);
	t->stop = false;
	t->ctl = ctl;
	if (ctl) {
		ctl->thaw = rf_timer_thaw;
		ctl->thaw_arg = NULL;
	}
	ret = -pthread_create(&t->thread, NULL, rf_timer_main, NULL);
	t->running = !ret;
	return ret;
}

/* Answer every waiting request now and end the thread. */
static void rf_timer_stop(void)
{
	struct rf_timer *t = &rf_timer;

	if (!t->running)
		return;
	pthread_mutex_lock(&t->lock);
	t->stop = true;
	pthread_cond_signal(&t->cond);
	pthread_mutex_unlock(&t->lock);
	pthread_join(t->thread, NULL);
	t->running = false;
	pthread_cond_destroy(&t->cond);
	free(t->heap);
	t->heap = NULL;
	t->count = t->size = 0;
}

/*
 * The end of a callback: answer now if the operation took no simulated
 * time, else keep the request until its time is up.  A request libmuse
 * cannot keep (muse_session_handle_buf() in tests) waits here instead.
 */
static int rf_finish(struct muse_req *req, enum rf_answer answer, int result,
		     const struct muse_ecc_result *ecc)
{
	struct rf_pending p = { .req = req, .answer = answer, .result = result };
	uint64_t usec = rf_charged_us;
	int ret;

	rf_charged_us = 0;
	if (!usec)
		return result;
	if (!rf_timer.running || muse_req_keep(req)) {
		struct timespec ts = { .tv_sec = (time_t)(usec / 1000000),
				       .tv_nsec = (long)(usec % 1000000) * 1000 };

		while (nanosleep(&ts, &ts) && errno == EINTR)
			;
		return result;
	}
	if (ecc)
		p.ecc = *ecc;
	p.due_ns = rf_now_ns() + usec * 1000;
	pthread_mutex_lock(&rf_timer.lock);
	ret = rf_heap_push(&p);
	if (!ret && rf_timer.heap[0].req == req)
		pthread_cond_signal(&rf_timer.cond);
	pthread_mutex_unlock(&rf_timer.lock);
	if (ret)
		muse_reply_err(req, ret);
	return MUSE_ASYNC;
}

static void rf_to_sim_io(const struct muse_io *io, struct rf_io *out)
{
	out->addr = io->addr;
	out->len = io->len;
	out->buf = io->buf;
	out->ooblen = io->ooblen;
	out->ooboffs = io->ooboffs;
	out->oobbuf = io->oobbuf;
	switch (io->mode) {
	case MUSE_OOB_AUTO:
		out->mode = RF_OOB_AUTO;
		break;
	case MUSE_OOB_RAW:
		out->mode = RF_OOB_RAW;
		break;
	default:
		out->mode = RF_OOB_PLACE;
		break;
	}
}

static int rf_op_read(void *userdata, struct muse_req *req,
		      const struct muse_io *io, struct muse_ecc_result *ecc)
{
	struct rf_server *srv = userdata;
	struct rf_ecc result;
	struct rf_io sio;
	int ret;

	rf_to_sim_io(io, &sio);
	rf_ctl_enter(srv->ctl);
	ret = rf_sim_read(srv->sim, &sio, &result);
	rf_ctl_leave(srv->ctl);
	ecc->corrected = result.corrected;
	ecc->max_bitflips = result.max_bitflips;
	ecc->failed = result.failed;
	return rf_finish(req, RF_ANSWER_READ, rf_result(srv, ret), ecc);
}

static int rf_op_write(void *userdata, struct muse_req *req,
		       const struct muse_io *io)
{
	struct rf_server *srv = userdata;
	struct rf_io sio;

	int ret;

	rf_to_sim_io(io, &sio);
	rf_ctl_enter(srv->ctl);
	ret = rf_pt_before_write(&srv->pt, io->addr, io->len,
				 io->mode == MUSE_OOB_RAW);
	if (!ret)
		ret = rf_sim_write(srv->sim, &sio);
	rf_ctl_leave(srv->ctl);
	return rf_finish(req, RF_ANSWER_WRITE, rf_result(srv, ret), NULL);
}

static int rf_op_erase(void *userdata, struct muse_req *req, uint64_t addr,
		       uint64_t len)
{
	struct rf_server *srv = userdata;
	int ret;

	rf_ctl_enter(srv->ctl);
	rf_pt_before_erase(&srv->pt, addr, len);
	ret = rf_sim_erase(srv->sim, addr, len);
	/* Blocks erased before a failing one are erased too. */
	rf_pt_after_erase(&srv->pt, addr, len);
	rf_ctl_leave(srv->ctl);
	return rf_finish(req, RF_ANSWER_OK, rf_result(srv, ret), NULL);
}

static int rf_op_isbad(void *userdata, struct muse_req *req, uint64_t addr)
{
	struct rf_server *srv = userdata;
	int ret;

	rf_ctl_enter(srv->ctl);
	ret = rf_sim_isbad(srv->sim, addr);
	rf_ctl_leave(srv->ctl);
	return ret;
}

static int rf_op_markbad(void *userdata, struct muse_req *req,
			 uint64_t addr)
{
	struct rf_server *srv = userdata;
	int ret;

	/* A bad block's erase is a request again, refused. */
	rf_ctl_enter(srv->ctl);
	ret = rf_pt_before_markbad(&srv->pt, addr);
	if (!ret)
		ret = rf_sim_markbad(srv->sim, addr);
	rf_ctl_leave(srv->ctl);
	return rf_result(srv, ret);
}

static int rf_op_sync(void *userdata, struct muse_req *req)
{
	struct rf_server *srv = userdata;
	int ret;

	rf_ctl_enter(srv->ctl);
	ret = rf_sim_sync(srv->sim);
	rf_ctl_leave(srv->ctl);
	return ret;
}

static void rf_op_registered(void *userdata,
			     const struct muse_registration *reg)
{
	struct rf_server *srv = userdata;

	rf_ready_registered(&srv->ready, reg);
}

static const struct muse_ops rf_ops = {
	.read = rf_op_read,
	.write = rf_op_write,
	.erase = rf_op_erase,
	.isbad = rf_op_isbad,
	.markbad = rf_op_markbad,
	.sync = rf_op_sync,
	.registered = rf_op_registered,
};

void rf_server_report(const struct rf_options *opts, struct rf_sim *sim)
{
	int ret;

	if (opts->verbosity != RF_QUIET)
		rf_stats_print(sim, stderr);
	/* A report that cannot be written is said; the flash is still served. */
	if (opts->stats_path) {
		ret = rf_stats_save_json(sim, opts->stats_path);
		if (ret)
			fprintf(stderr, "ramflash: cannot write %s: %s\n",
				opts->stats_path, strerror(-ret));
	}
	if (opts->svg_path) {
		ret = rf_svg_save(sim, opts->name, opts->svg_path);
		if (ret)
			fprintf(stderr, "ramflash: cannot write %s: %s\n",
				opts->svg_path, strerror(-ret));
	}
}

static void rf_on_stop(int sig)
{
	struct muse_session *se = rf_signal_session;

	rf_stop_requested = 1;
	if (se)
		muse_session_exit(se);
}

static void rf_on_report(int sig)
{
	int saved = errno;
	char c = 'r';

	if (write(rf_report_pipe[1], &c, 1) < 0) {
		/* A full pipe already holds a pending report. */
	}
	errno = saved;
}

/* Reporter thread: one report per byte, ends on 'q'. */
static void *rf_reporter(void *arg)
{
	struct rf_server *srv = arg;
	char c;

	while (read(rf_report_pipe[0], &c, 1) == 1 && c != 'q') {
		rf_pt_collect(&srv->pt);
		rf_server_report(srv->opts, srv->sim);
	}
	return NULL;
}

static int rf_install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a blocked read(2) must see EINTR and recheck. */
	sa.sa_handler = rf_on_stop;
	if (sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL))
		return -errno;
	sa.sa_handler = rf_on_report;
	if (sigaction(SIGUSR1, &sa, NULL))
		return -errno;
	return 0;
}

int rf_server_init(struct rf_server *srv, const struct rf_options *opts,
		   struct rf_sim *sim)
{
	unsigned int flags = 0;
	struct muse_device dev;
	int ret;

	srv->opts = opts;
	srv->sim = sim;
	srv->se = NULL;
	srv->ctl = NULL;
	memset(&srv->pt, 0, sizeof(srv->pt));
	ret = rf_ready_start(&srv->ready, opts->ready_fd, opts->pidfile,
			     opts->name, rf_sim_geometry(sim)->size,
			     opts->verbosity == RF_QUIET);
	if (ret)
		return ret;
	rf_muse_device(opts, rf_sim_geometry(sim), &dev);
	if (opts->compat)
		flags = MUSE_SESSION_NO_EXTENSIONS;
	else if (!opts->no_passthrough)
		flags = MUSE_SESSION_PASSTHROUGH |
			(opts->no_kernel_erase ? 0 : MUSE_SESSION_KERNEL_ERASE);
	ret = muse_session_new(&dev, sizeof(dev), &rf_ops, sizeof(rf_ops),
			       flags, srv, &srv->se);
	if (ret)
		fprintf(stderr, "ramflash: libmuse refused the device description: %s\n",
			strerror(-ret));
	return ret;
}

/* Open the MUSE device and register the MTD. */
static int rf_server_register(struct rf_server *srv)
{
	const struct rf_options *opts = srv->opts;
	int ret;

	ret = muse_session_open(srv->se, opts->device);
	if (ret) {
		fprintf(stderr, "ramflash: cannot open %s: %s%s\n", opts->device,
			strerror(-ret), ret == -ENOENT ?
			" (is the muse kernel module loaded?)" : "");
		return ret;
	}
	ret = muse_session_init(srv->se);
	if (ret == -EINVAL) {
		fprintf(stderr, "ramflash: the kernel refused the geometry (see dmesg)\n");
		return ret;
	}
	if (ret) {
		fprintf(stderr, "ramflash: MUSE handshake failed: %s\n",
			strerror(-ret));
		return ret;
	}
	ret = rf_pt_start(&srv->pt, srv->se, srv->sim);
	if (ret)
		return ret;
	if (opts->verbosity != RF_QUIET) {
		rf_print_geometry(stderr, opts->name, rf_sim_geometry(srv->sim));
		fprintf(stderr, "ramflash: registered %s, extensions 0x%x, max I/O %u bytes, %u threads, read passthrough %s, kernel erase %s\n",
			opts->name, muse_session_extensions(srv->se),
			muse_session_max_io(srv->se), opts->threads,
			srv->pt.on ? "on" : "off",
			srv->pt.erase_on ? "on" : "off");
	}
	if (!(muse_session_extensions(srv->se) & MUSE_EXT_REGISTERED) &&
	    (opts->ready_fd >= 0 || opts->pidfile || getenv("NOTIFY_SOCKET")))
		fprintf(stderr, "ramflash: %s; no ready line, --ready-fd, --pidfile or sd_notify\n",
			opts->compat ? "--compat" :
			"the kernel does not report registration");
	return 0;
}

int rf_server_serve(struct rf_server *srv)
{
	const struct rf_options *opts = srv->opts;
	const struct rf_faults *f = &opts->cfg.faults;
	int ret = 0;

	/* The control may set a latency while serving. */
	if (f->latency_read_us || f->latency_program_us ||
	    f->latency_erase_us || srv->ctl)
		ret = rf_timer_start(srv->ctl);
	if (!ret && srv->ctl)
		ret = rf_ctl_start(srv->ctl);
	if (!ret)
		ret = opts->threads > 1 ?
		      muse_session_loop_mt(srv->se, opts->threads) :
		      muse_session_loop(srv->se);
	/* No command may act on what is torn down next. */
	if (srv->ctl)
		rf_ctl_stop(srv->ctl);
	/* Requests still waiting are answered before the session goes. */
	rf_timer_stop();
	rf_pt_stop(&srv->pt);
	return ret;
}

/*
 * --control, and the commands of a --rerun report replayed: the socket is
 * created before the MTD is registered, so a path that cannot be used
 * stops ramflash before the kernel sees a chip.
 */
static int rf_server_control(struct rf_server *srv, struct rf_ctl *ctl)
{
	const struct rf_options *opts = srv->opts;
	char err[256];
	int ret = 0;

	if (!opts->control_path && !opts->rerun_nevents)
		return 0;
	rf_ctl_init(ctl, srv->sim, &srv->pt, srv->se, opts->name);
	ctl->verbose = opts->verbosity == RF_VERBOSE;
	rf_ctl_replay(ctl, opts->rerun_events, opts->rerun_nevents);
	if (opts->control_path)
		ret = rf_ctl_listen(ctl, opts->control_path, err,
				    sizeof(err));
	if (ret) {
		fprintf(stderr, "ramflash: %s\n", err);
		rf_ctl_destroy(ctl);
		return ret;
	}
	srv->ctl = ctl;
	return 0;
}

int rf_server_run(const struct rf_options *opts, struct rf_sim *sim,
		  bool *served)
{
	struct rf_server srv;
	struct rf_ctl ctl;
	pthread_t reporter;
	bool reporting = false;
	int ret;

	if (pipe(rf_report_pipe)) {
		ret = -errno;
		fprintf(stderr, "ramflash: pipe: %s\n", strerror(errno));
		return ret;
	}
	ret = rf_server_init(&srv, opts, sim);
	if (!ret)
		ret = rf_server_control(&srv, &ctl);
	if (!ret)
		ret = rf_install_signals();
	if (!ret)
		ret = -pthread_create(&reporter, NULL, rf_reporter, &srv);
	reporting = !ret;
	if (!ret)
		ret = rf_server_register(&srv);
	*served = !ret;
	if (!ret) {
		rf_signal_session = srv.se;
		if (rf_stop_requested)
			muse_session_exit(srv.se);
		ret = rf_server_serve(&srv);
		rf_signal_session = NULL;
		if (ret)
			fprintf(stderr, "ramflash: serving failed: %s\n",
				strerror(-ret));
		/* Said on stderr when it came; the exit status says it too. */
		else if (srv.ready.error)
			ret = srv.ready.error;
	}
	rf_ready_stop(&srv.ready);
	if (reporting) {
		char q = 'q';

		if (write(rf_report_pipe[1], &q, 1) == 1)
			pthread_join(reporter, NULL);
	}
	if (srv.ctl) {
		/* Not served: the socket was never started, only made. */
		rf_ctl_stop(srv.ctl);
		rf_ctl_destroy(srv.ctl);
	}
	muse_session_destroy(srv.se);
	close(rf_report_pipe[0]);
	close(rf_report_pipe[1]);
	return ret;
}
