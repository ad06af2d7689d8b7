/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * /metrics: the status object (state_status_build) written in the
 * Prometheus text format (version 0.0.4). Every value comes from that
 * object, so a scrape shows what `status --json` shows; the names are in
 * docs/console.md.
 */
#ifndef XLB_METRICS_H
#define XLB_METRICS_H

#include <json-c/json.h>

struct evbuffer;

/* Append the metrics of status object st to out. */
void metrics_write(struct evbuffer *out, struct json_object *st);

#endif
