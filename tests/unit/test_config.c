// SPDX-License-Identifier: GPL-2.0-only
/* Configuration parsing and validation: every field, defaults, and one test
 * per error with its exact FILE:LINE: KEY: message. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <cmocka.h>

#include "check.h"

#include "config.h"
#include "xdp_lb.h"

static char err[512];

static int load(const char *yaml, struct lb_config *cfg)
{
	err[0] = '\0';
	return config_load_string(yaml, strlen(yaml), "lb.yaml", cfg, err,
				  sizeof(err));
}

/* The load fails and the message starts with want. */
static void expect_error(const char *yaml, const char *want)
{
	struct lb_config cfg;
	int ret = load(yaml, &cfg);

	if (ret == 0 || strncmp(err, want, strlen(want))) {
		print_error("config error: got ret %d, message \"%s\"\n"
			    "                  expected message \"%s...\"\n",
			    ret, err, want);
		if (ret == 0)
			config_free(&cfg);
		fail();
	}
}

#define SVC(extra)                                                             \
	"services:\n"                                                          \
	"  - name: web\n"                                                      \
	"    vip: 198.18.0.100\n"                                              \
	"    port: 80\n"                                                       \
	"    proto: tcp\n" extra

static void test_full_config(void **state)
{
	const char *yaml = "table_size: 251\n"
			   "max_flows: 4096\n"
			   "max_services: 8\n"
			   "max_backends: 16\n" SVC(
				   "    backends:\n"
				   "      - addr: 198.18.0.11\n"
				   "        weight: 2\n"
				   "      - addr: 198.18.0.12\n"
				   "        mac: \"02:00:00:00:00:12\"\n")
			   "  - name: web6\n"
			   "    vip: fd00::100\n"
			   "    port: 443\n"
			   "    proto: udp\n"
			   "    backends:\n"
			   "      - addr: fd00::11\n"
			   "        weight: 0\n";
	static const __u8 mac[6] = { 2, 0, 0, 0, 0, 0x12 };
	struct lb_config cfg;
	char buf[64];

	assert_int_equal(load(yaml, &cfg), 0);
	assert_int_equal(cfg.table_size, 251);
	assert_int_equal(cfg.max_flows, 4096);
	assert_int_equal(cfg.max_services, 8);
	assert_int_equal(cfg.max_backends, 16);
	assert_int_equal(cfg.n_services, 2);
	assert_string_equal(cfg.services[0].name, "web");
	assert_string_equal(lb_addr_str(&cfg.services[0].vip, buf, sizeof(buf)),
			    "198.18.0.100");
	assert_int_equal(cfg.services[0].port, 80);
	assert_int_equal(cfg.services[0].proto, IPPROTO_TCP);
	assert_int_equal(cfg.services[0].n_backends, 2);
	assert_int_equal(cfg.services[0].backends[0].weight, 2);
	assert_false(cfg.services[0].backends[0].has_mac);
	assert_int_equal(cfg.services[0].backends[1].weight,
			 LB_DEFAULT_WEIGHT);
	assert_true(cfg.services[0].backends[1].has_mac);
	assert_memory_equal(cfg.services[0].backends[1].mac, mac, 6);
	assert_int_equal(cfg.services[0].backends[1].line, 13);
	assert_int_equal(cfg.services[1].vip.family, AF_INET6);
	assert_int_equal(cfg.services[1].proto, IPPROTO_UDP);
	assert_int_equal(cfg.services[1].port, 443);
	assert_string_equal(lb_addr_str(&cfg.services[1].backends[0].addr, buf,
					sizeof(buf)),
			    "fd00::11");
	assert_int_equal(cfg.services[1].backends[0].weight, 0);
	config_free(&cfg);
}

static void test_defaults_and_empty(void **state)
{
	struct lb_config cfg;

	assert_int_equal(load("", &cfg), 0);
	assert_int_equal(cfg.table_size, XLB_DEFAULT_TABLE_SIZE);
	assert_int_equal(cfg.max_flows, XLB_DEFAULT_MAX_FLOWS);
	assert_int_equal(cfg.max_services, XLB_DEFAULT_MAX_SERVICES);
	assert_int_equal(cfg.max_backends, XLB_DEFAULT_MAX_BACKENDS);
	assert_int_equal(cfg.n_services, 0);
	config_free(&cfg);
	assert_int_equal(load("services:\n", &cfg), 0);
	assert_int_equal(cfg.n_services, 0);
	config_free(&cfg);
	assert_int_equal(load(SVC(""), &cfg), 0); /* no back ends yet */
	assert_int_equal(cfg.n_services, 1);
	assert_int_equal(cfg.services[0].n_backends, 0);
	config_free(&cfg);
}

static void test_missing_file(void **state)
{
	struct lb_config cfg;

	assert_int_not_equal(config_load_file("/nonexistent/lb.yaml", &cfg,
					      err, sizeof(err)),
			     0);
	assert_string_equal(err,
			    "/nonexistent/lb.yaml: cannot open: No such file or directory");
}

static void test_invalid_yaml(void **state)
{
	expect_error("services:\n  - name: web\n   vip: [1,\n",
		     "lb.yaml:3: invalid YAML:");
}

static void test_top_not_mapping(void **state)
{
	expect_error("- a\n- b\n", "lb.yaml:1: (top level): expected a mapping");
}

static void test_unknown_key_suggests(void **state)
{
	expect_error(SVC("    bakends: []\n"),
		     "lb.yaml:6: services[0].bakends: unknown key (did you mean 'backends'?)");
	expect_error("tabel_size: 251\n",
		     "lb.yaml:1: tabel_size: unknown key (did you mean 'table_size'?)");
	expect_error(SVC("    colour: blue\n"),
		     "lb.yaml:6: services[0].colour: unknown key");
}

static void test_missing_required(void **state)
{
	expect_error("services:\n  - name: web\n    port: 80\n    proto: tcp\n",
		     "lb.yaml:2: services[0]: missing required key 'vip'");
	expect_error(SVC("    backends:\n      - weight: 3\n"),
		     "lb.yaml:7: services[0].backends[0]: missing required key 'addr'");
}

static void test_duplicate_key(void **state)
{
	expect_error(SVC("    port: 81\n"),
		     "lb.yaml:6: services[0].port: duplicate key (first on line 4)");
}

static void test_wrong_types(void **state)
{
	expect_error("services: 3\n", "lb.yaml:1: services: expected a list");
	expect_error("services:\n  - 3\n",
		     "lb.yaml:2: services[0]: expected a mapping");
	expect_error("services:\n  - name: web\n    vip: [1]\n    port: 80\n    proto: tcp\n",
		     "lb.yaml:3: services[0].vip: expected a value, found a list");
	expect_error(SVC("    backends: 5\n"),
		     "lb.yaml:6: services[0].backends: expected a list");
}

static void test_bad_values(void **state)
{
	expect_error("services:\n  - name: web\n    vip: 198.18.0.300\n    port: 80\n    proto: tcp\n",
		     "lb.yaml:3: services[0].vip: '198.18.0.300' is not an IPv4 or IPv6 address");
	expect_error("services:\n  - name: web\n    vip: 198.18.0.1\n    port: 0\n    proto: tcp\n",
		     "lb.yaml:4: services[0].port: 0 is out of range 1..65535");
	expect_error("services:\n  - name: web\n    vip: 198.18.0.1\n    port: http\n    proto: tcp\n",
		     "lb.yaml:4: services[0].port: 'http' is not a number (1..65535)");
	expect_error("services:\n  - name: web\n    vip: 198.18.0.1\n    port: 80\n    proto: sctp\n",
		     "lb.yaml:5: services[0].proto: 'sctp' is not tcp or udp");
	expect_error("services:\n  - name: 'a b'\n    vip: 198.18.0.1\n    port: 80\n    proto: tcp\n",
		     "lb.yaml:2: services[0].name: 'a b' is not a valid name");
	expect_error(SVC("    backends:\n      - addr: 198.18.0.11\n        weight: 70000\n"),
		     "lb.yaml:8: services[0].backends[0].weight: 70000 is out of range 0..65535");
	expect_error(SVC("    backends:\n      - addr: 198.18.0.11\n        weight: -1\n"),
		     "lb.yaml:8: services[0].backends[0].weight: '-1' is not a number (0..65535)");
	expect_error(SVC("    backends:\n      - addr: 198.18.0.11\n        mac: 02:00\n"),
		     "lb.yaml:8: services[0].backends[0].mac: '02:00' is not a MAC address");
	expect_error(SVC("    backends:\n      - addr: 198.18.0.11\n        mac: \"-1:-1:-1:-1:-1:-1\"\n"),
		     "lb.yaml:8: services[0].backends[0].mac: '-1:-1:-1:-1:-1:-1' is not a MAC address");
	expect_error(SVC("    backends:\n      - addr: 198.18.0.11\n        mac: ff:ff:ff:ff:ff:ff\n"),
		     "lb.yaml:8: services[0].backends[0].mac: 'ff:ff:ff:ff:ff:ff' is not a unicast MAC address");
	expect_error(SVC("    backends:\n      - addr: nohost\n"),
		     "lb.yaml:7: services[0].backends[0].addr: 'nohost' is not an IPv4 or IPv6 address");
}

static void test_sizes(void **state)
{
	expect_error("table_size: 65536\n",
		     "lb.yaml:1: table_size: 65536 is not prime");
	expect_error("table_size: 2000003\n",
		     "lb.yaml:1: table_size: 2000003 is out of range 3..1000003");
	expect_error("max_flows: 10\n",
		     "lb.yaml:1: max_flows: 10 is out of range 1024..67108864");
	expect_error("max_services: 0\n",
		     "lb.yaml:1: max_services: 0 is out of range 1..4096");
	expect_error("max_backends: 65537\n",
		     "lb.yaml:1: max_backends: 65537 is out of range 1..65536");
}

static void test_family_mismatch(void **state)
{
	expect_error(SVC("    backends:\n      - addr: fd00::11\n"),
		     "lb.yaml:7: services[0].backends[0].addr: fd00::11 is not of the same address family as the vip");
}

static void test_duplicates(void **state)
{
	expect_error(SVC("    backends:\n      - addr: 198.18.0.11\n      - addr: 198.18.0.12\n      - addr: 198.18.0.11\n"),
		     "lb.yaml:9: services[0].backends[2]: duplicate back end (first on line 7)");
	expect_error(SVC("") "  - name: web\n    vip: 198.18.0.101\n    port: 80\n    proto: tcp\n",
		     "lb.yaml:6: services[1]: duplicate service name 'web' (first on line 2)");
	expect_error(SVC("") "  - name: web2\n    vip: 198.18.0.100\n    port: 80\n    proto: tcp\n",
		     "lb.yaml:6: services[1]: duplicate service: 'web' (line 2) has the same vip, port and proto");
}

static void test_limits(void **state)
{
	expect_error("max_services: 1\n" SVC("") "  - name: web2\n    vip: 198.18.0.101\n    port: 80\n    proto: tcp\n",
		     "lb.yaml:3: services: 2 services, more than max_services=1");
	expect_error("max_backends: 1\n" SVC("    backends:\n      - addr: 198.18.0.11\n      - addr: 198.18.0.12\n"),
		     "lb.yaml:3: services[0]: more back ends in total than max_backends=1");
}

static void test_flow_tracking_keys(void **state)
{
	struct lb_config cfg;

	assert_int_equal(load("flow_timeouts:\n  tcp_established: 7200\n  udp: 60\n"
			      "sweep_interval: 2\ndrain_timeout: 0\n",
			      &cfg),
			 0);
	assert_int_equal(cfg.timeouts.tcp_established, 7200);
	assert_int_equal(cfg.timeouts.udp, 60);
	assert_int_equal(cfg.timeouts.tcp_fin, CT_DEFAULT_TCP_FIN);
	assert_int_equal(cfg.timeouts.nat_time_wait, CT_DEFAULT_NAT_TIME_WAIT);
	assert_int_equal(cfg.sweep_interval, 2);
	assert_int_equal(cfg.drain_timeout, 0);
	config_free(&cfg);
	assert_int_equal(load("", &cfg), 0);
	assert_int_equal(cfg.sweep_interval, LB_DEFAULT_SWEEP_INTERVAL);
	assert_int_equal(cfg.drain_timeout, LB_DEFAULT_DRAIN_TIMEOUT);
	assert_int_equal(cfg.timeouts.tcp_established, CT_DEFAULT_TCP_ESTABLISHED);
	assert_int_equal(cfg.nat_scan_interval, LB_DEFAULT_NAT_SCAN_INTERVAL);
	config_free(&cfg);
	expect_error("flow_timeouts:\n  tcp_est: 5\n",
		     "lb.yaml:2: flow_timeouts.tcp_est: unknown key");
	expect_error("flow_timeouts:\n  udp: 0\n",
		     "lb.yaml:2: flow_timeouts.udp: 0 is out of range 1..604800");
	assert_int_equal(load("nat_scan_interval: 5\n", &cfg), 0);
	assert_int_equal(cfg.nat_scan_interval, 5);
	config_free(&cfg);
	expect_error("nat_scan_interval: 0\n",
		     "lb.yaml:1: nat_scan_interval: 0 is out of range 1..86400");
	assert_int_equal(load("flow_timeouts: { nat_time_wait: 0 }\n", &cfg), 0);
	assert_int_equal(cfg.timeouts.nat_time_wait, 0);
	config_free(&cfg);
	expect_error("flow_timeouts:\n  nat_time_wait: -1\n",
		     "lb.yaml:2: flow_timeouts.nat_time_wait: '-1' is not a number (0..604800)");
	expect_error("sweep_interval: 0\n",
		     "lb.yaml:1: sweep_interval: 0 is out of range 1..3600");
}

/* agent, load, slow_start, standby and scale, with their defaults. */
static void test_load_agent_scale(void **state)
{
	const char *yaml = SVC("    agent:\n"
			       "      port: 9999\n"
			       "      interval_ms: 500\n"
			       "    load:\n"
			       "      margin: 30\n"
			       "      floor: 20\n"
			       "    slow_start: 15\n"
			       "    backends:\n"
			       "      - addr: 198.18.0.11\n"
			       "        capacity: 500\n"
			       "      - addr: 198.18.0.12\n"
			       "        agent: { port: 7777 }\n"
			       "    standby:\n"
			       "      - addr: 198.18.0.13\n"
			       "        start: ip netns exec b3 ./serve &\n"
			       "        stop: pkill -f serve\n"
			       "    scale:\n"
			       "      high: 80\n"
			       "      low: 20\n");
	const struct lb_service_cfg *s;
	struct lb_config cfg;

	if (load(yaml, &cfg)) fail_msg("%s", err);
	s = &cfg.services[0];
	assert_int_equal(s->agent.type, HEALTH_AGENT);
	assert_int_equal(s->agent.port, 9999);
	assert_int_equal(s->agent.interval_ms, 500);
	assert_true(s->load.enabled);
	assert_int_equal(s->load.margin, 30);
	assert_int_equal(s->load.floor, 20);
	assert_int_equal(s->load.restore, POLICY_DEFAULT_RESTORE);
	assert_int_equal(s->load.slow_start, 15);
	assert_int_equal(s->backends[0].capacity, 500);
	assert_int_equal(s->backends[0].agent.port, 9999); /* inherited */
	assert_int_equal(s->backends[1].agent.port, 7777); /* override */
	assert_int_equal(s->backends[1].agent.interval_ms, 500);
	assert_int_equal(s->n_standby, 1);
	assert_string_equal(s->standby[0].start, "ip netns exec b3 ./serve &");
	assert_string_equal(s->standby[0].stop, "pkill -f serve");
	assert_int_equal(s->standby[0].weight, LB_DEFAULT_WEIGHT);
	assert_int_equal(s->scale.high, 80);
	assert_int_equal(s->scale.low, 20);
	assert_int_equal(s->scale.for_s, LB_DEFAULT_SCALE_FOR);
	assert_int_equal(s->scale.command_timeout, LB_DEFAULT_COMMAND_TIMEOUT);
	assert_int_equal(s->scale.drain_timeout, LB_DEFAULT_DRAIN_TIMEOUT);
	config_free(&cfg);

	/* no load block and no agent: the policy is off */
	assert_int_equal(load(SVC("    slow_start: 5\n"), &cfg), 0);
	assert_false(cfg.services[0].load.enabled);
	assert_int_equal(cfg.services[0].load.slow_start, 5);
	config_free(&cfg);
	assert_int_equal(load(SVC("    load:\n"), &cfg), 0);
	assert_true(cfg.services[0].load.enabled);
	assert_int_equal(cfg.services[0].load.margin, POLICY_DEFAULT_MARGIN);
	config_free(&cfg);
	assert_int_equal(load(SVC("    health: { type: agent, port: 9 }\n"),
			      &cfg), 0);
	assert_int_equal(cfg.services[0].health.type, HEALTH_AGENT);
	assert_true(cfg.services[0].load.enabled);
	config_free(&cfg);
}

static void test_load_agent_scale_errors(void **state)
{
	expect_error(SVC("    agent: { interval_ms: 100 }\n"),
		     "lb.yaml:6: services[0].agent: missing required key 'port'");
	expect_error(SVC("    load: { restore: 30 }\n"),
		     "lb.yaml:6: services[0].load.restore: 30 must be below margin 20");
	expect_error(SVC("    load: { floor: 0 }\n"),
		     "lb.yaml:6: services[0].load.floor: 0 is out of range 1..100");
	expect_error(SVC("    load: { margn: 3 }\n"),
		     "lb.yaml:6: services[0].load.margn: unknown key");
	expect_error(SVC("    slow_start: 4000\n"),
		     "lb.yaml:6: services[0].slow_start: 4000 is out of range 0..3600");
	expect_error(SVC("    backends:\n"
			 "      - addr: 198.18.0.11\n"
			 "        start: echo hi\n"),
		     "lb.yaml:8: services[0].backends[0].start: only standby back ends have start/stop commands");
	expect_error(SVC("    standby:\n"
			 "      - addr: 198.18.0.13\n"
			 "        start: echo hi\n"
			 "        stop: echo bye\n"),
		     "lb.yaml:2: services[0]: missing required key 'scale'");
	expect_error(SVC("    standby:\n"
			 "      - addr: 198.18.0.13\n"
			 "        start: echo hi\n"
			 "    scale: { high: 80, low: 20 }\n"),
		     "lb.yaml:7: services[0].standby[0]: missing required key 'stop'");
	expect_error(SVC("    scale: { high: 80, low: 20 }\n"),
		     "lb.yaml:6: services[0].scale: needs a standby list to start back ends from");
	expect_error(SVC("    backends:\n"
			 "      - addr: 198.18.0.13\n"
			 "    standby:\n"
			 "      - addr: 198.18.0.13\n"
			 "        start: a\n"
			 "        stop: b\n"
			 "    scale: { high: 80, low: 20 }\n"),
		     "lb.yaml:9: services[0].standby[0]: already a back end (line 7)");
	expect_error(SVC("    standby:\n"
			 "      - addr: 198.18.0.13\n"
			 "        start: a\n"
			 "        stop: b\n"
			 "    scale: { high: 50, low: 60 }\n"),
		     "lb.yaml:10: services[0].scale.low: 60 must be below high 50");
	expect_error(SVC("    standby:\n"
			 "      - addr: 198.18.0.13\n"
			 "        start: a\n"
			 "        stop: b\n"
			 "    scale: { low: 20 }\n"),
		     "lb.yaml:10: services[0].scale: missing required key 'high'");
}

/* persistence: src-ip[/N]; the flood guard's rate and burst. */
static void test_persistence_flood_guard(void **state)
{
	struct lb_config cfg;

	assert_int_equal(load("new_flow_rate: 5000\n" SVC(
				      "    persistence: src-ip/24\n"),
			      &cfg),
			 0);
	assert_true(cfg.services[0].persist);
	assert_int_equal(cfg.services[0].persist_prefix, 24);
	assert_int_equal(cfg.new_flow_rate, 5000);
	assert_int_equal(cfg.new_flow_burst, 5000); /* one second's worth */
	config_free(&cfg);
	assert_int_equal(load("new_flow_rate: 100\nnew_flow_burst: 10\n" SVC(
				      "    persistence: src-ip\n"),
			      &cfg),
			 0);
	assert_int_equal(cfg.services[0].persist_prefix, 32);
	assert_int_equal(cfg.new_flow_burst, 10);
	config_free(&cfg);
	assert_int_equal(load(SVC("    persistence: none\n"), &cfg), 0);
	assert_false(cfg.services[0].persist);
	assert_int_equal(cfg.new_flow_rate, 0); /* off by default */
	config_free(&cfg);
	assert_int_equal(load("services:\n  - name: v6\n    vip: fd00::1\n"
			      "    port: 80\n    proto: tcp\n"
			      "    persistence: src-ip/64\n",
			      &cfg),
			 0);
	assert_int_equal(cfg.services[0].persist_prefix, 64);
	config_free(&cfg);

	expect_error(SVC("    persistence: src-ip/33\n"),
		     "lb.yaml:6: services[0].persistence: 'src-ip/33' is not none, src-ip or src-ip/PREFIX (0..32)");
	expect_error(SVC("    persistence: cookie\n"),
		     "lb.yaml:6: services[0].persistence: 'cookie' is not none, src-ip or src-ip/PREFIX (0..32)");
	expect_error(SVC("    persistence: src-ipx\n"),
		     "lb.yaml:6: services[0].persistence: 'src-ipx' is not");
	expect_error("new_flow_rate: -1\n",
		     "lb.yaml:1: new_flow_rate: '-1' is not a number");
	expect_error("new_flow_burst: 10\n",
		     "lb.yaml:1: new_flow_burst: needs new_flow_rate");
}

static void test_health_block(void **state)
{
	const char *yaml = SVC("    health:\n"
			       "      type: http\n"
			       "      path: /healthz\n"
			       "      status: 204\n"
			       "      interval_ms: 500\n"
			       "      timeout_ms: 300\n"
			       "      rise: 3\n"
			       "      fall: 4\n"
			       "    backends:\n"
			       "      - addr: 198.18.0.11\n"
			       "      - addr: 198.18.0.12\n"
			       "        health:\n"
			       "          port: 8080\n"
			       "          type: tcp\n");
	struct lb_config cfg;
	const struct health_cfg *h, *b0, *b1;

	assert_int_equal(load(yaml, &cfg), 0);
	h = &cfg.services[0].health;
	assert_int_equal(h->type, HEALTH_HTTP);
	assert_string_equal(h->path, "/healthz");
	assert_int_equal(h->expect_status, 204);
	assert_int_equal(h->interval_ms, 500);
	assert_int_equal(h->timeout_ms, 300);
	assert_int_equal(h->rise, 3);
	assert_int_equal(h->fall, 4);
	assert_int_equal(h->port, 80); /* the service port by default */
	b0 = &cfg.services[0].backends[0].health;
	assert_memory_equal(b0, h, sizeof(*h)); /* inherits the service's */
	b1 = &cfg.services[0].backends[1].health;
	assert_int_equal(b1->type, HEALTH_TCP); /* override */
	assert_int_equal(b1->port, 8080);
	assert_int_equal(b1->interval_ms, 500); /* the rest inherited */
	assert_int_equal(b1->fall, 4);
	config_free(&cfg);

	assert_int_equal(load(SVC(""), &cfg), 0);
	assert_int_equal(cfg.services[0].health.type, HEALTH_NONE);
	config_free(&cfg);

	expect_error(SVC("    health:\n      type: icmp\n"),
		     "lb.yaml:7: services[0].health.type: 'icmp' is not tcp, http, agent or none");
	expect_error(SVC("    health:\n      type: tcp\n      interval_ms: 100\n      timeout_ms: 200\n"),
		     "lb.yaml:9: services[0].health.timeout_ms: 200 is longer than interval_ms 100");
	expect_error(SVC("    health:\n      type: http\n      path: healthz\n"),
		     "lb.yaml:8: services[0].health.path: 'healthz' is not a path like /health");
	expect_error(SVC("    health:\n      fall: 0\n"),
		     "lb.yaml:7: services[0].health.fall: 0 is out of range 1..100");
	expect_error(SVC("    health:\n      intervall_ms: 5\n"),
		     "lb.yaml:7: services[0].health.intervall_ms: unknown key (did you mean 'interval_ms'?)");
}

static void test_name_and_prime_helpers(void **state)
{
	assert_true(config_name_valid("web-1.prod_a"));
	assert_false(config_name_valid(""));
	assert_false(config_name_valid("-web"));
	assert_false(config_name_valid("web/1"));
	assert_false(config_name_valid(
		"a123456789012345678901234567890123456789012345678901234567890123"));
	assert_true(config_is_prime(65537));
	assert_true(config_is_prime(3));
	assert_false(config_is_prime(65536));
	assert_false(config_is_prime(1));
}

/* Collecting every error: each one once, the cross-key checks of a block
 * with an error skipped, the first kept in err. */
struct collected {
	char lines[16][256];
	int n;
};

static void collect(const char *line, void *arg)
{
	struct collected *c = arg;

	if (c->n < 16)
		snprintf(c->lines[c->n], sizeof(c->lines[0]), "%s", line);
	c->n++;
}

static void test_every_error(void **state)
{
	static const char yaml[] =
		"bogus: 1\n"						/* 1 */
		"services:\n"						/* 2 */
		"  - name: web\n"					/* 3 */
		"    vip: 198.18.0.1\n"					/* 4 */
		"    port: 99999\n"					/* 5 */
		"    proto: tcp\n"					/* 6 */
		"    backends:\n"					/* 7 */
		"      - addr: 198.18.0.10\n"				/* 8 */
		"        weight: 70000\n"				/* 9 */
		"      - addr: 198.18.0.300\n"				/* 10 */
		"      - addr: 198.18.0.11\n"				/* 11 */
		"      - addr: 198.18.0.11\n"				/* 12 */
		"  - name: web\n"					/* 13 */
		"    vip: 198.18.0.1\n"					/* 14 */
		"    port: 80\n"						/* 15 */
		"    proto: tcp\n"					/* 16 */
		"    helth: {}\n"					/* 17 */
		"  - name: ok\n"					/* 18 */
		"    vip: 198.18.0.2\n"					/* 19 */
		"    port: 80\n"						/* 20 */
		"    proto: tcp\n"					/* 21 */
		"    backends:\n"					/* 22 */
		"      - addr: 198.18.0.12\n";				/* 23 */
	static const char *const want[] = {
		"lb.yaml:1: bogus: unknown key",
		"lb.yaml:5: services[0].port: 99999 is out of range 1..65535",
		"lb.yaml:9: services[0].backends[0].weight: 70000 is out of range 0..65535",
		"lb.yaml:10: services[0].backends[1].addr: '198.18.0.300' is not an IPv4 or IPv6 address",
		"lb.yaml:12: services[0].backends[3]: duplicate back end (first on line 11)",
		"lb.yaml:17: services[1].helth: unknown key (did you mean 'health'?)",
	};
	struct collected got = {};
	struct lb_config cfg;
	size_t i;

	(void)state;
	assert_int_equal(config_load_string_all(yaml, strlen(yaml), "lb.yaml",
						&cfg, err, sizeof(err),
						collect, &got),
			 -EINVAL);
	for (i = 0; i < sizeof(want) / sizeof(want[0]) && i < 16; i++)
		if (strcmp(got.lines[i], want[i]))
			fail_msg("error %zu: got \"%s\", want \"%s\"", i,
				 got.lines[i], want[i]);
	/* services[1] had errors: not checked as a duplicate of web, and
	 * service "ok" after it is read and checked as usual. */
	assert_int_equal(got.n, sizeof(want) / sizeof(want[0]));
	assert_string_equal(err, want[0]);
	/* Without a collector, the same file stops at the first error. */
	expect_error(yaml, want[0]);
}

/* Pathological files: refused fast, with one line naming FILE and why. */
static void test_limits_size_and_depth(void **state)
{
	size_t n = 200 * 1024, big = XLB_CONFIG_MAX_BYTES + 1;
	char *deep = malloc(n + 8), *huge = malloc(big + 1);
	struct lb_config cfg;

	(void)state;
	assert_non_null(deep);
	assert_non_null(huge);
	memcpy(deep, "a: ", 3);
	memset(deep + 3, '[', n);
	deep[n + 3] = '\0';
	expect_error(deep, "lb.yaml:1: nested deeper than 32 levels");
	memset(huge, ' ', big);
	huge[big] = '\0';
	check_int(config_load_string(huge, big, "lb.yaml", &cfg, err,
				     sizeof(err)),
		  -EFBIG, "a file over the size limit");
	if (!strstr(err, "larger than the limit"))
		fail_msg("size limit message: \"%s\"", err);
	free(deep);
	free(huge);
}

static void test_file_is_a_directory(void **state)
{
	struct lb_config cfg;

	(void)state;
	check_int(config_load_file("/", &cfg, err, sizeof(err)), -EISDIR,
		  "a directory as the config file");
	check_str(err, "/: is a directory, not a configuration file",
		  "a directory: one clear line");
}

static void test_second_document_refused(void **state)
{
	(void)state;
	expect_error("max_flows: 2048\n---\nbogus: 1\n",
		     "lb.yaml:2: a second YAML document");
	expect_error("---\nmax_flows: 2048\n...\n---\n",
		     "lb.yaml:4: a second YAML document");
}

/* announce: defaults, the services inheriting enabled, a service's own
 * key, the kernel's tables refused, booleans checked. */
static void test_announce(void **state)
{
	struct lb_config cfg;

	assert_int_equal(load(SVC(""), &cfg), 0);
	assert_false(cfg.announce.enabled);
	assert_false(cfg.announce.withdraw_on_exit);
	assert_int_equal(cfg.announce.table, 100);
	assert_int_equal(cfg.announce.protocol, 201);
	assert_false(cfg.services[0].announce);
	config_free(&cfg);
	assert_int_equal(load("announce:\n  enabled: true\n  table: 7\n"
			      "  protocol: 99\n  withdraw_on_exit: yes\n"
			      SVC("")
			      "  - name: quiet\n    vip: 198.18.0.101\n"
			      "    port: 80\n    proto: tcp\n"
			      "    announce: false\n",
			      &cfg),
			 0);
	assert_true(cfg.announce.enabled);
	assert_true(cfg.announce.withdraw_on_exit);
	assert_int_equal(cfg.announce.table, 7);
	assert_int_equal(cfg.announce.protocol, 99);
	assert_true(cfg.services[0].announce);
	assert_false(cfg.services[1].announce);
	config_free(&cfg);
	expect_error("announce:\n  table: 254\n",
		     "lb.yaml:2: announce.table: 254 is a table of the kernel's own");
	expect_error("announce:\n  enabled: maybe\n",
		     "lb.yaml:2: announce.enabled: 'maybe' is not true or false");
	expect_error(SVC("    announce: 1\n"),
		     "lb.yaml:6: services[0].announce: '1' is not true or false");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_config),
		cmocka_unit_test(test_defaults_and_empty),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_invalid_yaml),
		cmocka_unit_test(test_top_not_mapping),
		cmocka_unit_test(test_unknown_key_suggests),
		cmocka_unit_test(test_missing_required),
		cmocka_unit_test(test_duplicate_key),
		cmocka_unit_test(test_wrong_types),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_family_mismatch),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_flow_tracking_keys),
		cmocka_unit_test(test_health_block),
		cmocka_unit_test(test_load_agent_scale),
		cmocka_unit_test(test_load_agent_scale_errors),
		cmocka_unit_test(test_persistence_flood_guard),
		cmocka_unit_test(test_name_and_prime_helpers),
		cmocka_unit_test(test_every_error),
		cmocka_unit_test(test_limits_size_and_depth),
		cmocka_unit_test(test_file_is_a_directory),
		cmocka_unit_test(test_second_document_refused),
		cmocka_unit_test(test_announce),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
