// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer harness for the control socket's request handler
 * (ctl/api.c api_handle) over the state layer and the fake data plane
 * (tests/unit/fake_dp.c): any bytes are one request line. The state lives
 * across inputs, as in a running controller, and starts from a config of
 * two services. Checks: every reply is a JSON object with "ok", an error
 * has a one-line "error". No network: back-end MACs are never resolved
 * (the neighbour functions below stand in for ctl/neigh.c).
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "api.h"
#include "config.h"
#include "fake_dp.h"
#include "neigh.h"
#include "state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int neigh_resolve(const char *ifname, int ifindex, const struct lb_addr *addr,
		  __u8 mac[6], int timeout_ms)
{
	return -ENOENT;
}

int neigh_next_hop(int ifindex, const struct lb_addr *addr,
		   struct lb_addr *next_hop)
{
	*next_hop = *addr;
	return 0;
}

static const char seed_cfg[] =
	"table_size: 257\nmax_flows: 4096\nmax_services: 8\n"
	"max_backends: 16\nservices:\n"
	"  - name: web\n    vip: 198.18.0.100\n    port: 80\n    proto: tcp\n"
	"    backends:\n"
	"      - addr: 198.18.0.11\n        mac: 02:00:00:00:00:11\n"
	"      - addr: 198.18.0.12\n        mac: 02:00:00:00:00:12\n"
	"  - name: dns6\n    vip: fd00::100\n    port: 53\n    proto: udp\n"
	"    backends:\n"
	"      - addr: fd00::11\n        mac: 02:00:00:00:00:21\n";

static struct lb_state *get_state(void)
{
	static struct lb_state st;
	static struct dp dp;
	static int ready;
	struct lb_config cfg;
	char err[512];

	if (ready)
		return &st;
	fake_dp_init(&dp, 257, 4096, 8, 16);
	if (state_init(&st, &dp, NULL) ||
	    config_load_string(seed_cfg, sizeof(seed_cfg) - 1, "seed.yaml",
			       &cfg, err, sizeof(err)) ||
	    state_apply_config(&st, &cfg, err, sizeof(err))) {
		fprintf(stderr, "fuzz_api: cannot set up: %s\n", err);
		abort();
	}
	config_free(&cfg);
	ready = 1;
	return &st;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lb_state *st = get_state();
	struct json_object *req, *rep, *v;
	const char *e;
	char *line;

	if (size > 64 * 1024)
		return 0; /* the server refuses longer lines */
	line = malloc(size + 1);
	if (!line)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	req = json_tokener_parse(line);
	free(line);
	if (!req || !json_object_is_type(req, json_type_object)) {
		json_object_put(req);
		return 0;
	}
	rep = api_handle(st, req);
	json_object_put(req);
	if (!rep || !json_object_object_get_ex(rep, "ok", &v))
		abort();
	if (!json_object_get_boolean(v)) {
		if (!json_object_object_get_ex(rep, "error", &v))
			abort();
		e = json_object_get_string(v);
		if (strchr(e, '\n') || strchr(e, '\r')) {
			fprintf(stderr, "two-line error: %s\n", e);
			abort();
		}
	}
	json_object_put(rep);
	return 0;
}
