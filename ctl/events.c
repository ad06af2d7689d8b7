// SPDX-License-Identifier: GPL-2.0-only
/* The ring of recent events (events.h). One controller per process, so
 * one ring. */
#include "events.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "config.h"

struct event_rec {
	__u64 seq;
	__s64 at_ms; /* CLOCK_REALTIME */
	__u32 count; /* rebuilds folded into this one */
	char kind[12];
	char service[LB_NAME_MAX];
	char backend[48];
	char text[160];
};

static struct event_rec ring[EVENTS_MAX];
static __u64 next_seq = 1; /* ring[(seq - 1) % EVENTS_MAX] */

static __s64 wall_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (__s64)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct event_rec *newest(void)
{
	return next_seq > 1 ? &ring[(next_seq - 2) % EVENTS_MAX] : NULL;
}

void events_add(const char *kind, const char *service, const char *backend,
		const char *fmt, ...)
{
	struct event_rec *e = newest();
	va_list ap;

	if (e && !strcmp(kind, "rebuild") && !strcmp(e->kind, kind) &&
	    service && !strcmp(e->service, service)) {
		e->count++;
		e->at_ms = wall_now_ms();
		return; /* the same service rebuilt again: counted */
	}
	e = &ring[(next_seq - 1) % EVENTS_MAX];
	memset(e, 0, sizeof(*e));
	e->seq = next_seq++;
	e->at_ms = wall_now_ms();
	e->count = 1;
	snprintf(e->kind, sizeof(e->kind), "%s", kind);
	snprintf(e->service, sizeof(e->service), "%s", service ? service : "");
	snprintf(e->backend, sizeof(e->backend), "%s", backend ? backend : "");
	va_start(ap, fmt);
	vsnprintf(e->text, sizeof(e->text), fmt, ap);
	va_end(ap);
}

static struct json_object *event_json(const struct event_rec *e)
{
	struct json_object *o = json_object_new_object();
	time_t t = e->at_ms / 1000;
	char buf[40];
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(buf + strftime(buf, 24, "%Y-%m-%dT%H:%M:%S", &tm), 16,
		 ".%03dZ", (int)(e->at_ms % 1000));
	json_object_object_add(o, "seq", json_object_new_uint64(e->seq));
	json_object_object_add(o, "at", json_object_new_string(buf));
	json_object_object_add(o, "at_ms", json_object_new_int64(e->at_ms));
	json_object_object_add(o, "kind", json_object_new_string(e->kind));
	json_object_object_add(o, "service", json_object_new_string(e->service));
	json_object_object_add(o, "backend", json_object_new_string(e->backend));
	json_object_object_add(o, "text", json_object_new_string(e->text));
	json_object_object_add(o, "count", json_object_new_int64(e->count));
	return o;
}

struct json_object *events_json(__u64 since)
{
	struct json_object *o = json_object_new_object();
	struct json_object *arr = json_object_new_array();
	__u64 first = next_seq > EVENTS_MAX ? next_seq - EVENTS_MAX : 1, s;

	/* A reader ahead of us saw an earlier controller: all again. */
	if (since >= next_seq)
		since = 0;
	/* A folded rebuild changes its entry: the newest is always sent. */
	if (since >= next_seq - 1 && next_seq > 1)
		since = next_seq - 2;
	for (s = since + 1 > first ? since + 1 : first; s < next_seq; s++)
		json_object_array_add(arr,
				      event_json(&ring[(s - 1) % EVENTS_MAX]));
	json_object_object_add(o, "seq", json_object_new_uint64(next_seq - 1));
	json_object_object_add(o, "events", arr);
	return o;
}

void events_reset(void)
{
	memset(ring, 0, sizeof(ring));
	next_seq = 1;
}
