/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The controller's recent events: back ends going down and up, drains,
 * weights, additions and removals, scaling steps, reloads and table
 * rebuilds, with their wall-clock time. A ring of EVENTS_MAX entries,
 * each with a sequence number, read by the console (/api/v1/events).
 * Fed next to the log lines that report the same things.
 */
#ifndef XLB_EVENTS_H
#define XLB_EVENTS_H

#include <stdbool.h>
#include <linux/types.h>
#include <json-c/json.h>

#define EVENTS_MAX 256

/* Record one event: kind is a short word ("down", "up", "drain",
 * "undrain", "weight", "add", "remove", "scale", "reload", "rebuild",
 * "service"); service and backend may be NULL. A rebuild of the service
 * that the newest event already reports as rebuilt is counted in it
 * (load feedback rebuilds every few seconds). */
void events_add(const char *kind, const char *service, const char *backend,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* The events after sequence number since (0: all kept), oldest first, as
 * { "seq": newest, "events": [ { "seq", "at", "at_ms", "kind",
 * "service", "backend", "text", "count" } ] }. Caller puts it. */
struct json_object *events_json(__u64 since);

/* Forget every event (tests). */
void events_reset(void);

#endif
