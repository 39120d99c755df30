// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ramflash --rerun: reading the options back from a --stats report.
 *
 * The report is JSON written by stats.c; only its top-level "schema" and
 * "options" are read, every other value is checked for syntax and
 * skipped, so a report may grow fields without breaking --rerun.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "geometry.h"
#include "report.h"

/* Nesting deeper than any report of ours is not one. */
#define RF_JSON_MAX_DEPTH	16
/* A report is the chip's blocks in numbers; far below this. */
#define RF_REPORT_MAX_BYTES	(256UL << 20)

void rf_json_write_string(FILE *out, const char *s)
{
	const unsigned char *c;

	fputc('"', out);
	for (c = (const unsigned char *)s; *c; c++) {
		if (*c == '"' || *c == '\\')
			fprintf(out, "\\%c", *c);
		else if (*c < 0x20)
			fprintf(out, "\\u%04x", *c);
		else
			fputc(*c, out);
	}
	fputc('"', out);
}

struct rf_json {
	const char *p, *start, *end;
};

static void rf_json_space(struct rf_json *j)
{
	while (j->p < j->end && strchr(" \t\r\n", *j->p) && *j->p)
		j->p++;
}

static bool rf_json_take(struct rf_json *j, char c)
{
	rf_json_space(j);
	if (j->p < j->end && *j->p == c) {
		j->p++;
		return true;
	}
	return false;
}

/* Append code point @cp as UTF-8. */
static void rf_utf8(char **o, uint32_t cp)
{
	if (cp < 0x80) {
		*(*o)++ = (char)cp;
	} else if (cp < 0x800) {
		*(*o)++ = (char)(0xc0 | cp >> 6);
		*(*o)++ = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		*(*o)++ = (char)(0xe0 | cp >> 12);
		*(*o)++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*(*o)++ = (char)(0x80 | (cp & 0x3f));
	} else {
		*(*o)++ = (char)(0xf0 | cp >> 18);
		*(*o)++ = (char)(0x80 | ((cp >> 12) & 0x3f));
		*(*o)++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*(*o)++ = (char)(0x80 | (cp & 0x3f));
	}
}

static int rf_json_hex4(struct rf_json *j, uint32_t *cp)
{
	char hex[5];
	char *stop;

	if (j->end - j->p < 4)
		return -EINVAL;
	memcpy(hex, j->p, 4);
	hex[4] = '\0';
	*cp = (uint32_t)strtoul(hex, &stop, 16);
	if (stop != hex + 4)
		return -EINVAL;
	j->p += 4;
	return 0;
}

/*
 * A string; *out (if @out) gets it decoded, to free().  Its decoded form
 * is never longer than its JSON form, which bounds the buffer.
 */
static int rf_json_string(struct rf_json *j, char **out)
{
	const char *from;
	char *buf, *o;
	uint32_t cp, low;

	if (!rf_json_take(j, '"'))
		return -EINVAL;
	from = j->p;
	while (j->p < j->end && *j->p != '"')
		j->p += *j->p == '\\' && j->p + 1 < j->end ? 2 : 1;
	if (j->p >= j->end)
		return -EINVAL;
	buf = o = malloc((size_t)(j->p - from) + 1);
	if (!buf)
		return -ENOMEM;
	for (j->p = from; *j->p != '"'; ) {
		if ((unsigned char)*j->p < 0x20)
			goto bad;
		if (*j->p != '\\') {
			*o++ = *j->p++;
			continue;
		}
		j->p++;
		switch (*j->p++) {
		case '"': *o++ = '"'; break;
		case '\\': *o++ = '\\'; break;
		case '/': *o++ = '/'; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u':
			if (rf_json_hex4(j, &cp) || !cp)
				goto bad;
			if (cp >= 0xd800 && cp < 0xdc00) {
				if (j->end - j->p < 2 || j->p[0] != '\\' ||
				    j->p[1] != 'u')
					goto bad;
				j->p += 2;
				if (rf_json_hex4(j, &low) || low < 0xdc00 ||
				    low >= 0xe000)
					goto bad;
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				     (low - 0xdc00);
			} else if (cp >= 0xdc00 && cp < 0xe000) {
				goto bad;
			}
			rf_utf8(&o, cp);
			break;
		default:
			goto bad;
		}
	}
	j->p++;
	*o = '\0';
	if (out)
		*out = buf;
	else
		free(buf);
	return 0;
bad:
	free(buf);
	return -EINVAL;
}

static int rf_json_skip(struct rf_json *j, int depth);

/* The members of an object or the elements of an array, skipped. */
static int rf_json_skip_items(struct rf_json *j, char close, int depth)
{
	int ret;

	if (rf_json_take(j, close))
		return 0;
	do {
		if (close == '}') {
			ret = rf_json_string(j, NULL);
			if (ret)
				return ret;
			if (!rf_json_take(j, ':'))
				return -EINVAL;
		}
		ret = rf_json_skip(j, depth + 1);
		if (ret)
			return ret;
	} while (rf_json_take(j, ','));
	return rf_json_take(j, close) ? 0 : -EINVAL;
}

/* Any value: checked and skipped. */
static int rf_json_skip(struct rf_json *j, int depth)
{
	const char *from;

	if (depth > RF_JSON_MAX_DEPTH)
		return -EINVAL;
	rf_json_space(j);
	if (j->p < j->end && *j->p == '"')
		return rf_json_string(j, NULL);
	if (rf_json_take(j, '{'))
		return rf_json_skip_items(j, '}', depth);
	if (rf_json_take(j, '['))
		return rf_json_skip_items(j, ']', depth);
	/* Numbers, true, false, null. */
	for (from = j->p; j->p < j->end && *j->p &&
	     strchr("+-.0123456789abcdefghijklmnopqrstuvwxyzE", *j->p); j->p++)
		;
	return j->p > from ? 0 : -EINVAL;
}

void rf_report_free_options(char **args, size_t nargs)
{
	size_t i;

	for (i = 0; args && i < nargs; i++)
		free(args[i]);
	free(args);
}

/*
 * An array whose elements @elem reads into a growing array of @size-byte
 * items, each zeroed first.  One that fails is counted too, so that what
 * it got is freed with the rest.
 */
static int rf_json_array(struct rf_json *j, void **items, size_t *n,
			 size_t size, int (*elem)(struct rf_json *j, void *item))
{
	char *grown;
	int ret;

	if (!rf_json_take(j, '['))
		return -EINVAL;
	if (rf_json_take(j, ']'))
		return 0;
	do {
		grown = realloc(*items, (*n + 1) * size);
		if (!grown)
			return -ENOMEM;
		*items = grown;
		memset(grown + *n * size, 0, size);
		ret = elem(j, grown + *n * size);
		(*n)++;
		if (ret)
			return ret;
	} while (rf_json_take(j, ','));
	return rf_json_take(j, ']') ? 0 : -EINVAL;
}

static int rf_json_option(struct rf_json *j, void *item)
{
	return rf_json_string(j, item);
}

/* The "options" array: strings only. */
static int rf_json_options(struct rf_json *j, char ***args, size_t *nargs)
{
	void *items = *args;
	int ret;

	ret = rf_json_array(j, &items, nargs, sizeof(**args), rf_json_option);
	*args = items;
	return ret;
}

void rf_report_free_events(struct rf_event *events, size_t nevents)
{
	size_t i;

	for (i = 0; events && i < nevents; i++)
		free(events[i].text);
	free(events);
}

/*
 * An object: @member reads the value of each member it knows (the space
 * before it skipped) and returns 1 for one it leaves, which is skipped
 * (at nesting @depth).
 */
static int rf_json_object(struct rf_json *j, int depth,
			  int (*member)(struct rf_json *j, const char *key,
					void *arg),
			  void *arg)
{
	char *key;
	int ret;

	if (!rf_json_take(j, '{'))
		return -EINVAL;
	if (rf_json_take(j, '}'))
		return 0;
	do {
		ret = rf_json_string(j, &key);
		if (ret)
			return ret;
		if (!rf_json_take(j, ':')) {
			free(key);
			return -EINVAL;
		}
		rf_json_space(j);
		ret = member(j, key, arg);
		if (ret > 0)
			ret = rf_json_skip(j, depth);
		free(key);
		if (ret)
			return ret;
	} while (rf_json_take(j, ','));
	return rf_json_take(j, '}') ? 0 : -EINVAL;
}

/* A member of a "control" entry: "request", "command" or "marker". */
static int rf_json_event_member(struct rf_json *j, const char *key, void *arg)
{
	struct rf_event *ev = arg;
	char *end;

	if (!strcmp(key, "request")) {
		if (j->p >= j->end || *j->p < '0' || *j->p > '9')
			return -EINVAL;
		errno = 0;
		ev->request = strtoull(j->p, &end, 10);
		j->p = end;
		/* One request at most: UINT64_MAX is no request index. */
		return errno || ev->request == UINT64_MAX ? -EINVAL : 0;
	}
	if ((!strcmp(key, "command") || !strcmp(key, "marker")) && !ev->text) {
		ev->marker = !strcmp(key, "marker");
		return rf_json_string(j, &ev->text);
	}
	return 1;
}

/* One "control" entry: {"request": N, "command" or "marker": TEXT}. */
static int rf_json_event(struct rf_json *j, void *item)
{
	struct rf_event *ev = item;
	int ret;

	ev->request = UINT64_MAX;
	ret = rf_json_object(j, 2, rf_json_event_member, ev);
	return !ret && (ev->request == UINT64_MAX || !ev->text) ? -EINVAL : ret;
}

/* The "control" array, in request order. */
static int rf_json_events(struct rf_json *j, struct rf_event **events,
			  size_t *nevents)
{
	void *items = *events;
	size_t i;
	int ret;

	ret = rf_json_array(j, &items, nevents, sizeof(**events),
			    rf_json_event);
	*events = items;
	for (i = 1; !ret && i < *nevents; i++)
		if ((*events)[i].request < (*events)[i - 1].request)
			ret = -EINVAL;
	return ret;
}

/* What a report gives back. */
struct rf_report {
	long long schema;
	bool has_options;
	char **args;
	size_t nargs;
	struct rf_event *events;
	size_t nevents;
};

/*
 * The top-level object: "schema", "options" and "control" kept, the rest
 * skipped.
 */
static int rf_json_report_member(struct rf_json *j, const char *key,
				 void *arg)
{
	struct rf_report *r = arg;

	if (!strcmp(key, "schema") && j->p < j->end &&
	    *j->p >= '0' && *j->p <= '9') {
		r->schema = strtoll(j->p, NULL, 10);
		return 1;
	}
	if (!strcmp(key, "options") && !r->has_options) {
		r->has_options = true;
		return rf_json_options(j, &r->args, &r->nargs);
	}
	if (!strcmp(key, "control") && !r->events)
		return rf_json_events(j, &r->events, &r->nevents);
	return 1;
}

static int rf_json_report(struct rf_json *j, struct rf_report *r)
{
	int ret = rf_json_object(j, 1, rf_json_report_member, r);

	if (ret)
		return ret;
	rf_json_space(j);
	return j->p == j->end ? 0 : -EINVAL;
}

/* The whole file, NUL-terminated, to free(). */
static int rf_read_whole(const char *path, char **text, size_t *len)
{
	FILE *f = fopen(path, "r");
	size_t cap = 0, got;
	char *buf = NULL, *grown;
	int ret = 0;

	*len = 0;
	if (!f)
		return -errno;
	do {
		if (*len + 4096 + 1 > cap) {
			cap = cap ? 2 * cap : 65536;
			grown = cap <= RF_REPORT_MAX_BYTES ? realloc(buf, cap) :
				NULL;
			if (!grown) {
				ret = cap <= RF_REPORT_MAX_BYTES ? -ENOMEM :
				      -EFBIG;
				break;
			}
			buf = grown;
		}
		got = fread(buf + *len, 1, cap - *len - 1, f);
		*len += got;
	} while (got);
	if (!ret && ferror(f))
		ret = -EIO;
	fclose(f);
	if (ret) {
		free(buf);
		return ret;
	}
	buf[*len] = '\0';
	*text = buf;
	return 0;
}

int rf_report_read_options(const char *path, char ***args, size_t *nargs,
			   struct rf_event **events, size_t *nevents,
			   char *err, size_t errlen)
{
	struct rf_report r = { .schema = -1 };
	struct rf_json j;
	char *text = NULL;
	size_t len;
	int ret;

	*args = NULL;
	*nargs = 0;
	*events = NULL;
	*nevents = 0;
	ret = rf_read_whole(path, &text, &len);
	if (ret) {
		snprintf(err, errlen, "--rerun: cannot read %s: %s", path,
			 strerror(-ret));
		return ret;
	}
	j.p = j.start = text;
	j.end = text + len;
	ret = rf_json_report(&j, &r);
	if (ret == -ENOMEM)
		snprintf(err, errlen, "--rerun: out of memory reading %s", path);
	else if (ret)
		rf_errorf(err, errlen, "--rerun: %s is not JSON (at byte %td)",
			  path, j.p - j.start);
	else if (r.schema != RF_REPORT_SCHEMA)
		ret = r.schema < 0 ?
		      rf_errorf(err, errlen, "--rerun: %s has no \"schema\": not a ramflash --stats report, or one older than --rerun",
				path) :
		      rf_errorf(err, errlen, "--rerun: %s has schema %lld; this ramflash reads schema %d",
				path, r.schema, RF_REPORT_SCHEMA);
	else if (!r.has_options)
		ret = rf_errorf(err, errlen, "--rerun: %s has no \"options\"",
				path);
	free(text);
	if (ret) {
		rf_report_free_options(r.args, r.nargs);
		rf_report_free_events(r.events, r.nevents);
		return ret;
	}
	*args = r.args;
	*nargs = r.nargs;
	*events = r.events;
	*nevents = r.nevents;
	return 0;
}
