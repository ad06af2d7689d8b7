/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Fixed-bucket histograms of durations, for status and /metrics: the event
 * loop's lag and the health probes' latency. Values in microseconds; the
 * JSON (and so the metrics) in seconds, buckets cumulative as Prometheus
 * has them.
 */
#ifndef XLB_HIST_H
#define XLB_HIST_H

#include <linux/types.h>
#include <json-c/json.h>

#define HIST_MAX 16

struct lb_hist {
	const __u64 *le_us; /* upper bounds, ascending; +Inf implied */
	unsigned int n;	    /* bounds */
	__u64 bucket[HIST_MAX]; /* per bound (not cumulative); [n]: above */
	__u64 count, sum_us;
};

/* Bounds for the loop's lag and for probe latency. */
void hist_init_lag(struct lb_hist *h);
void hist_init_probe(struct lb_hist *h);
void hist_observe(struct lb_hist *h, __u64 us);
/* { "le": [seconds...], "buckets": [cumulative...], "count", "sum" } */
struct json_object *hist_json(const struct lb_hist *h);

#endif
