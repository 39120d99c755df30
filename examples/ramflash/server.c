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
 * (libmuse's asynchronous replies) and hands its answer to the server's
 * deadline scheduler (scheduler.h), which gives it when its time is up.
 * The kernel sees the result no earlier than a chip would give it.
 */
static __thread uint64_t rf_charged_us;

void rf_server_charge(void *arg, uint32_t usec)
{
	rf_charged_us += usec;
}

/* How a request that waits is answered. */
enum rf_answer { RF_ANSWER_READ, RF_ANSWER_WRITE, RF_ANSWER_OK };

/* A kept request's answer: the scheduler's completion context. */
struct rf_pending {
	struct muse_req *req;
	enum rf_answer answer;
	int result;			/* < 0: fails with it */
	struct muse_ecc_result ecc;
};

/* The completion: answer the kept request, once. */
static void rf_answer(void *ctx)
{
	struct rf_pending *p = ctx;

	if (p->result < 0)
		muse_reply_err(p->req, p->result);
	else if (p->answer == RF_ANSWER_READ)
		muse_reply_read(p->req, &p->ecc);
	else if (p->answer == RF_ANSWER_WRITE)
		muse_reply_write(p->req);
	else
		muse_reply_ok(p->req);
	free(p);
}

/* The scheduler's hold: the control socket's freeze holds the answers. */
static bool rf_server_held(void *arg)
{
	struct rf_server *srv = arg;

	return rf_ctl_frozen(srv->ctl);
}

/*
 * The end of a callback: answer now if the operation took no simulated
 * time, else keep the request until its time is up.  A request libmuse
 * cannot keep (muse_session_handle_buf() in tests), or one whose answer
 * finds no memory, waits here instead.
 */
static int rf_finish(struct rf_server *srv, struct muse_req *req,
		     enum rf_answer answer, int result,
		     const struct muse_ecc_result *ecc)
{
	uint64_t usec = rf_charged_us;
	struct rf_pending *p;
	int ret;

	rf_charged_us = 0;
	if (!usec)
		return result;
	p = rf_sched_running(&srv->sched) ? malloc(sizeof(*p)) : NULL;
	if (!p || muse_req_keep(req)) {
		struct timespec ts = { .tv_sec = (time_t)(usec / 1000000),
				       .tv_nsec = (long)(usec % 1000000) * 1000 };

		free(p);
		while (nanosleep(&ts, &ts) && errno == EINTR)
			;
		return result;
	}
	*p = (struct rf_pending){ .req = req, .answer = answer,
				  .result = result };
	if (ecc)
		p->ecc = *ecc;
	ret = rf_sched_add(&srv->sched,
			   rf_sched_now(&srv->sched) + usec * 1000,
			   rf_answer, p);
	/*
	 * The request is kept, so it is answered here; without room in the
	 * scheduler it fails with that errno (-ENOMEM), as it always did.
	 */
	if (ret) {
		free(p);
		muse_reply_err(req, ret);
	}
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
	return rf_finish(srv, req, RF_ANSWER_READ, rf_result(srv, ret), ecc);
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
	return rf_finish(srv, req, RF_ANSWER_WRITE, rf_result(srv, ret), NULL);
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
	return rf_finish(srv, req, RF_ANSWER_OK, rf_result(srv, ret), NULL);
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
	const struct rf_sched_hooks hooks = { .held = rf_server_held,
					      .arg = srv };
	int ret;

	srv->opts = opts;
	srv->sim = sim;
	rf_sched_init(&srv->sched, &hooks);
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
	/*
	 * The module programs only into tmpfs, where the bits are shared.
	 * Not under --trace: a trace records every program, and the program
	 * state alone (the kernel's erases clearing the bits, the image
	 * saying so) would make its replay's image differ.
	 */
	if (flags & MUSE_SESSION_KERNEL_ERASE && !opts->no_kernel_program &&
	    !opts->trace_path && rf_sim_store_on_tmpfs(sim))
		flags |= MUSE_SESSION_KERNEL_PROGRAM;
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
		fprintf(stderr, "ramflash: registered %s, extensions 0x%x, max I/O %u bytes, %u threads, read passthrough %s, kernel erase %s, kernel program %s\n",
			opts->name, muse_session_extensions(srv->se),
			muse_session_max_io(srv->se), opts->threads,
			srv->pt.on ? "on" : "off",
			srv->pt.erase_on ? "on" : "off",
			srv->pt.program_on ? "on" : "off");
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
		ret = rf_sched_start(&srv->sched);
	/* A release must wake the scheduler, which may sleep untimed. */
	if (!ret && srv->ctl && rf_sched_running(&srv->sched)) {
		srv->ctl->thaw = rf_sched_thaw;
		srv->ctl->thaw_arg = &srv->sched;
	}
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
	rf_sched_stop(&srv->sched);
	if (srv->ctl)
		srv->ctl->thaw = NULL;
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
