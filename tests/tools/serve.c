// SPDX-License-Identifier: LGPL-2.1-or-later
/* A raw peer serving a flash from memory in its own thread: see serve.h. */
#define _GNU_SOURCE
#include "serve.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mtduser.h"

/* Spoil the reply as armed; returns whether the fault applied. */
static bool spoil(struct server *s, struct rp_flash_reply *r)
{
	switch (s->field) {
	case FAULT_HEADER_ERROR:
		r->error = (int32_t)s->value;
		return true;
	case FAULT_SOFT_ERROR:
		if (s->opcode == MUSE_WRITE)
			r->out.write.soft_error = s->value;
		else
			r->out.read.soft_error = s->value;
		return true;
	case FAULT_MAX_BITFLIPS:
		r->out.read.max_bitflips = s->value;
		break;
	case FAULT_CORRECTED:
		r->out.read.corrected = s->value;
		break;
	case FAULT_FAILED:
		r->out.read.failed = s->value;
		break;
	case FAULT_ISBAD_RESULT:
		r->out.isbad.result = s->value;
		return true;
	}
	r->out.read.soft_error = s->soft_error;
	return true;
}

static void *serve(void *arg)
{
	struct server *s = arg;
	struct rp_flash_reply reply;
	unsigned int arm = 0;
	bool faulty;
	int err;

	for (;;) {
		pthread_mutex_lock(&s->lock);
		if (s->stop) {
			pthread_mutex_unlock(&s->lock);
			return NULL;
		}
		pthread_mutex_unlock(&s->lock);
		err = rp_read_request(s->fd, &s->req, 100);
		if (err == -ETIMEDOUT || err == -EINTR)
			continue;
		if (err)
			return NULL;
		rp_flash_execute(&s->flash, &s->req, &reply);
		pthread_mutex_lock(&s->lock);
		faulty = s->armed && s->req.ih.opcode == s->opcode &&
			 s->req.ih.pid == (uint32_t)getpid() && !reply.error &&
			 spoil(s, &reply);
		if (faulty)
			arm = s->arms;
		pthread_mutex_unlock(&s->lock);
		err = rp_flash_send(s->fd, &s->req, &reply);
		if (faulty) {
			pthread_mutex_lock(&s->lock);
			/*
			 * A retry spoiled just before the disarm may be answered
			 * after the next case was armed: it is not that case's.
			 */
			if (arm == s->arms) {
				if (!s->used++)
					s->write_result = err;
				else if (err != s->write_result)
					s->mixed_results = true;
				pthread_cond_broadcast(&s->cond);
			}
			pthread_mutex_unlock(&s->lock);
		}
	}
}

int server_start(struct server *s, const char *name, const char *const *keys,
		 uint64_t size, uint32_t writesize, uint32_t erasesize,
		 uint32_t oobsize)
{
	const char *all[24];
	char name_key[80];
	size_t n = 0;
	int err;

	memset(s, 0, sizeof(*s));
	s->name = name;
	snprintf(name_key, sizeof(name_key), "NAME=%s", name);
	all[n++] = name_key;
	while (*keys && n < sizeof(all) / sizeof(all[0]) - 1)
		all[n++] = *keys++;
	all[n] = NULL;
	err = rp_flash_init(&s->flash, size, writesize, erasesize, oobsize);
	if (err)
		return err;
	s->fd = rp_connect("/dev/muse", &s->req, all);
	if (s->fd < 0) {
		rp_flash_free(&s->flash);
		return s->fd;
	}
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	err = -pthread_create(&s->thread, NULL, serve, s);
	if (err) {
		close(s->fd);
		rp_flash_free(&s->flash);
		return err;
	}
	return wait_mtd(name, true) ? 0 : -ENODEV;
}

void server_arm(struct server *s, uint32_t opcode, enum fault_field field,
		uint32_t value, uint32_t soft_error)
{
	pthread_mutex_lock(&s->lock);
	s->armed = true;
	s->arms++;
	s->used = 0;
	s->mixed_results = false;
	s->opcode = opcode;
	s->field = field;
	s->value = value;
	s->soft_error = soft_error;
	pthread_mutex_unlock(&s->lock);
}

unsigned int server_disarm(struct server *s, int *write_result)
{
	struct timespec until;
	unsigned int used;

	/*
	 * The kernel completes a refused request before the server's write
	 * returns: the MTD user may be back before the server noted it.
	 */
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 2;
	pthread_mutex_lock(&s->lock);
	while (!s->used &&
	       pthread_cond_timedwait(&s->cond, &s->lock, &until) == 0)
		;
	s->armed = false;
	used = s->used;
	/* The writes of one fault's replies must all end alike. */
	*write_result = s->mixed_results ? 1 : s->write_result;
	pthread_mutex_unlock(&s->lock);
	return used;
}

void server_stop(struct server *s)
{
	pthread_mutex_lock(&s->lock);
	s->stop = true;
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
	close(s->fd);
	rp_flash_free(&s->flash);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->cond);
}
