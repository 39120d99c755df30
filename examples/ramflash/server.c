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
#include <string.h>
#include <unistd.h>

#include "server.h"
#include "stats.h"

static struct muse_session *volatile rf_signal_session;
static volatile sig_atomic_t rf_stop_requested;
static int rf_report_pipe[2] = { -1, -1 };

static enum muse_type rf_muse_type(enum rf_type type)
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

/* A power cut stops serving: the process exits as a dead chip would. */
static int rf_result(struct rf_server *srv, int ret)
{
	if (ret == RF_POWER_CUT) {
		muse_session_exit(srv->se);
		return -EIO;
	}
	return ret;
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

static int rf_op_read(void *userdata, const struct muse_io *io,
		      struct muse_ecc_result *ecc)
{
	struct rf_server *srv = userdata;
	struct rf_ecc result;
	struct rf_io sio;
	int ret;

	rf_to_sim_io(io, &sio);
	ret = rf_sim_read(srv->sim, &sio, &result);
	ecc->corrected = result.corrected;
	ecc->max_bitflips = result.max_bitflips;
	ecc->failed = result.failed;
	return rf_result(srv, ret);
}

static int rf_op_write(void *userdata, const struct muse_io *io)
{
	struct rf_server *srv = userdata;
	struct rf_io sio;

	rf_to_sim_io(io, &sio);
	return rf_result(srv, rf_sim_write(srv->sim, &sio));
}

static int rf_op_erase(void *userdata, uint64_t addr, uint64_t len)
{
	struct rf_server *srv = userdata;

	return rf_result(srv, rf_sim_erase(srv->sim, addr, len));
}

static int rf_op_isbad(void *userdata, uint64_t addr)
{
	struct rf_server *srv = userdata;

	return rf_sim_isbad(srv->sim, addr);
}

static int rf_op_markbad(void *userdata, uint64_t addr)
{
	struct rf_server *srv = userdata;

	return rf_result(srv, rf_sim_markbad(srv->sim, addr));
}

static int rf_op_sync(void *userdata)
{
	struct rf_server *srv = userdata;

	return rf_sim_sync(srv->sim);
}

static const struct muse_ops rf_ops = {
	.read = rf_op_read,
	.write = rf_op_write,
	.erase = rf_op_erase,
	.isbad = rf_op_isbad,
	.markbad = rf_op_markbad,
	.sync = rf_op_sync,
};

void rf_server_report(const struct rf_options *opts, struct rf_sim *sim)
{
	int ret;

	if (opts->verbosity != RF_QUIET)
		rf_stats_print(sim, stderr);
	if (!opts->stats_path)
		return;
	ret = rf_stats_save_json(sim, opts->stats_path);
	if (ret)
		fprintf(stderr, "ramflash: cannot write %s: %s\n",
			opts->stats_path, strerror(-ret));
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

	while (read(rf_report_pipe[0], &c, 1) == 1 && c != 'q')
		rf_server_report(srv->opts, srv->sim);
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
	struct muse_device dev;
	int ret;

	srv->opts = opts;
	srv->sim = sim;
	srv->se = NULL;
	rf_muse_device(opts, rf_sim_geometry(sim), &dev);
	ret = muse_session_new(&dev, &rf_ops, sizeof(rf_ops),
			       opts->compat ? MUSE_SESSION_NO_EXTENSIONS : 0,
			       srv, &srv->se);
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
	if (opts->verbosity != RF_QUIET) {
		rf_print_geometry(stderr, opts->name, rf_sim_geometry(srv->sim));
		fprintf(stderr, "ramflash: registered %s, extensions 0x%x, max I/O %u bytes, %u threads\n",
			opts->name, muse_session_extensions(srv->se),
			muse_session_max_io(srv->se), opts->threads);
	}
	return 0;
}

int rf_server_run(const struct rf_options *opts, struct rf_sim *sim,
		  bool *served)
{
	struct rf_server srv;
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
		ret = opts->threads > 1 ?
		      muse_session_loop_mt(srv.se, opts->threads) :
		      muse_session_loop(srv.se);
		rf_signal_session = NULL;
		if (ret)
			fprintf(stderr, "ramflash: serving failed: %s\n",
				strerror(-ret));
	}
	if (reporting) {
		char q = 'q';

		if (write(rf_report_pipe[1], &q, 1) == 1)
			pthread_join(reporter, NULL);
	}
	muse_session_destroy(srv.se);
	close(rf_report_pipe[0]);
	close(rf_report_pipe[1]);
	return ret;
}
