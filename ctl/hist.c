// SPDX-License-Identifier: GPL-2.0-only
/* Fixed-bucket histograms (hist.h). */
#include "hist.h"

#include <string.h>

/* The 250 ms tick runs late by: 1 ms .. 2.5 s */
static const __u64 lag_le[] = { 1000, 5000, 10000, 25000, 50000, 100000,
				250000, 500000, 1000000, 2500000 };
/* A probe takes: 0.5 ms .. 5 s */
static const __u64 probe_le[] = { 500, 1000, 2500, 5000, 10000, 25000,
				  50000, 100000, 250000, 500000, 1000000,
				  5000000 };

static void init(struct lb_hist *h, const __u64 *le, unsigned int n)
{
	memset(h, 0, sizeof(*h));
	h->le_us = le;
	h->n = n;
}

void hist_init_lag(struct lb_hist *h)
{
	init(h, lag_le, sizeof(lag_le) / sizeof(lag_le[0]));
}

void hist_init_probe(struct lb_hist *h)
{
	init(h, probe_le, sizeof(probe_le) / sizeof(probe_le[0]));
}

void hist_observe(struct lb_hist *h, __u64 us)
{
	unsigned int i;

	if (!h->le_us)
		return;
	for (i = 0; i < h->n && us > h->le_us[i]; i++)
		;
	h->bucket[i]++;
	h->count++;
	h->sum_us += us;
}

struct json_object *hist_json(const struct lb_hist *h)
{
	struct json_object *o = json_object_new_object();
	struct json_object *le = json_object_new_array();
	struct json_object *b = json_object_new_array();
	__u64 cum = 0;
	unsigned int i;

	for (i = 0; i < h->n; i++) {
		cum += h->bucket[i];
		json_object_array_add(le,
				      json_object_new_double(h->le_us[i] / 1e6));
		json_object_array_add(b, json_object_new_uint64(cum));
	}
	json_object_object_add(o, "le", le);
	json_object_object_add(o, "buckets", b);
	json_object_object_add(o, "count", json_object_new_uint64(h->count));
	json_object_object_add(o, "sum", json_object_new_double(h->sum_us / 1e6));
	return o;
}
