// SPDX-License-Identifier: GPL-2.0-only
/*
 * The pieces of the HTTP listener that need no socket: the metrics text
 * written from a status object, the event ring, and the http config block.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <event2/buffer.h>

#include "check.h"
#include "config.h"
#include "events.h"
#include "metrics.h"

static const char *STATUS =
	"{ \"version\": \"0.1.0\", \"interface\": \"eth1\","
	"  \"services\": [ { \"name\": \"web\", \"endpoint\": \"198.18.0.100:80/tcp\","
	"    \"mode\": \"dsr\", \"packets\": 10, \"bytes\": 600, \"new_flows\": 2,"
	"    \"flows\": 1, \"all_down\": false, \"table_rebuilds\": 3,"
	"    \"probe_latency\": { \"le\": [0.001, 0.01], \"buckets\": [4, 6],"
	"                         \"count\": 7, \"sum\": 0.5 },"
	"    \"backends\": [ { \"addr\": \"198.18.0.11\", \"packets\": 10,"
	"      \"bytes\": 600, \"new_flows\": 2, \"flows\": 1, \"weight\": 2,"
	"      \"effective_weight\": 2, \"share\": 100.0, \"actual_share\": 100.0,"
	"      \"load\": null, \"state\": \"draining\", \"health\": \"up\","
	"      \"probes_ok\": 5, \"probes_failed\": 2 } ] } ],"
	"  \"outcomes\": { \"tx_forwarded\": 10, \"pass_not_vip\": 4 },"
	"  \"flow_table\": { \"ipv4\": { \"entries\": 1, \"capacity\": 1024 },"
	"                  \"ipv6\": { \"entries\": 0, \"capacity\": 1024 } },"
	"  \"expired_flows\": 0, \"sweep_last_us\": 1500, \"counts_age_ms\": 250,"
	"  \"nat\": { \"mappings\": 5, \"ports_total\": 41000, \"expired\": 8,"
	"           \"orphans\": 1 },"
	"  \"loop\": { \"lag\": { \"le\": [0.001], \"buckets\": [9], \"count\": 10,"
	"                       \"sum\": 0.02 } } }";

static char *render(void)
{
	struct json_object *st = json_tokener_parse(STATUS);
	struct evbuffer *b = evbuffer_new();
	size_t len;
	char *text;

	assert_non_null(st);
	metrics_write(b, st);
	json_object_put(st);
	len = evbuffer_get_length(b);
	text = calloc(1, len + 1);
	evbuffer_remove(b, text, len);
	evbuffer_free(b);
	return text;
}

static void expect_line(const char *text, const char *line)
{
	char want[512];

	snprintf(want, sizeof(want), "\n%s\n", line);
	if (!strstr(text, want))
		fail_msg("metrics lack the line: %s", line);
}

static void test_metrics_from_status(void **state)
{
	char *t = render();

	expect_line(t, "xdp_lb_service_packets_total{service=\"web\",vip=\"198.18.0.100:80/tcp\",mode=\"dsr\"} 10");
	expect_line(t, "xdp_lb_service_all_down{service=\"web\",vip=\"198.18.0.100:80/tcp\",mode=\"dsr\"} 0");
	expect_line(t, "xdp_lb_service_table_rebuilds_total{service=\"web\",vip=\"198.18.0.100:80/tcp\",mode=\"dsr\"} 3");
	expect_line(t, "xdp_lb_backend_share_percent{service=\"web\",backend=\"198.18.0.11\"} 100");
	expect_line(t, "xdp_lb_backend_state{service=\"web\",backend=\"198.18.0.11\",state=\"draining\"} 1");
	expect_line(t, "xdp_lb_backend_state{service=\"web\",backend=\"198.18.0.11\",state=\"active\"} 0");
	expect_line(t, "xdp_lb_backend_probes_total{service=\"web\",backend=\"198.18.0.11\",result=\"failed\"} 2");
	expect_line(t, "xdp_lb_probe_duration_seconds_bucket{service=\"web\",le=\"0.01\"} 6");
	expect_line(t, "xdp_lb_probe_duration_seconds_bucket{service=\"web\",le=\"+Inf\"} 7");
	expect_line(t, "xdp_lb_probe_duration_seconds_count{service=\"web\"} 7");
	expect_line(t, "xdp_lb_outcome_packets_total{reason=\"pass_not_vip\"} 4");
	expect_line(t, "xdp_lb_flow_table_capacity{family=\"ipv6\"} 1024");
	expect_line(t, "xdp_lb_sweep_duration_seconds 0.0015");
	expect_line(t, "xdp_lb_nat_mappings 5");
	expect_line(t, "xdp_lb_nat_ports 41000");
	expect_line(t, "xdp_lb_nat_orphans_total 1");
	expect_line(t, "xdp_lb_event_loop_lag_seconds_bucket{le=\"+Inf\"} 10");
	expect_line(t, "# TYPE xdp_lb_backend_packets_total counter");
	/* a null in status is no sample, not a zero */
	if (strstr(t, "\nxdp_lb_backend_load_percent{"))
		fail_msg("a back end without a load has a load sample");
	free(t);
}

static void test_events_ring(void **state)
{
	struct json_object *o, *arr, *e;
	int i;

	events_reset();
	events_add("drain", "web", "198.18.0.11", "draining");
	events_add("rebuild", "web", NULL, "table rebuilt");
	events_add("rebuild", "web", NULL, "table rebuilt");
	events_add("rebuild", "web", NULL, "table rebuilt");
	o = events_json(0);
	arr = json_object_object_get(o, "events");
	check_int(json_object_array_length(arr), 2,
		  "three rebuilds of one service in a row fold into one event");
	e = json_object_array_get_idx(arr, 1);
	check_int(json_object_get_int(json_object_object_get(e, "count")), 3,
		  "the folded rebuild's count");
	check_str(json_object_get_string(json_object_object_get(
			  json_object_array_get_idx(arr, 0), "kind")),
		  "drain", "the oldest event comes first");
	json_object_put(o);
	o = events_json(2);
	check_int(json_object_array_length(json_object_object_get(o, "events")),
		  1, "since the newest: the newest again (it may have changed)");
	json_object_put(o);
	o = events_json(99);
	check_int(json_object_array_length(json_object_object_get(o, "events")),
		  2, "since a sequence number not reached yet: all again");
	json_object_put(o);
	for (i = 0; i < EVENTS_MAX + 10; i++)
		events_add("weight", "web", "198.18.0.11", "weight %d", i);
	o = events_json(0);
	arr = json_object_object_get(o, "events");
	check_int(json_object_array_length(arr), EVENTS_MAX,
		  "the ring keeps the last EVENTS_MAX events");
	check_int(json_object_get_int64(json_object_object_get(o, "seq")),
		  EVENTS_MAX + 12, "the newest sequence number");
	check_str(json_object_get_string(json_object_object_get(
			  json_object_array_get_idx(arr, EVENTS_MAX - 1), "text")),
		  "weight 265", "the newest event's text");
	json_object_put(o);
}

static int load(const char *yaml, struct lb_config *cfg, char *err)
{
	return config_load_string(yaml, strlen(yaml), "lb.yaml", cfg, err, 256);
}

static void test_http_config(void **state)
{
	static const struct {
		const char *yaml, *err;
	} bad[] = {
		{ "http:\n  listen: 127.0.0.1\n",
		  "lb.yaml:2: http.listen: '127.0.0.1' is not ADDR:PORT (127.0.0.1:9180, [::1]:9180)" },
		{ "http:\n  listen: ::1:9180\n",
		  "lb.yaml:2: http.listen: '::1:9180' is not ADDR:PORT (127.0.0.1:9180, [::1]:9180)" },
		{ "http:\n  listen: 127.0.0.1:0\n",
		  "lb.yaml:2: http.listen: '127.0.0.1:0' is not ADDR:PORT (127.0.0.1:9180, [::1]:9180)" },
		{ "http:\n  token_file: /x\n",
		  "lb.yaml:2: http: missing required key 'listen'" },
		{ "http:\n  listen: 127.0.0.1:9180\n  token_file: tok\n",
		  "lb.yaml:3: http.token_file: 'tok' is not an absolute path (< 256 chars)" },
	};
	struct lb_config cfg;
	char err[256];
	size_t i;

	assert_int_equal(load("services: []\n", &cfg, err), 0);
	check_int(cfg.http.enabled, 0, "no http block: no listener");
	config_free(&cfg);
	assert_int_equal(load("http:\n  listen: '[fd00::2]:9180'\n  token_file: /etc/t\n",
			      &cfg, err), 0);
	check_int(cfg.http.enabled, 1, "an http block: a listener");
	check_int(cfg.http.port, 9180, "its port");
	check_int(cfg.http.addr.family, 10, "an IPv6 address in brackets");
	check_str(cfg.http.token_file, "/etc/t", "the token file");
	config_free(&cfg);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (!load(bad[i].yaml, &cfg, err)) {
			config_free(&cfg);
			fail_msg("loaded: %s", bad[i].yaml);
		}
		check_str(err, bad[i].err, "the error of a bad http block");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_metrics_from_status),
		cmocka_unit_test(test_events_ring),
		cmocka_unit_test(test_http_config),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
