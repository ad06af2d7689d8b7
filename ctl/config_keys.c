// SPDX-License-Identifier: GPL-2.0-only
/*
 * The configuration's key tables, one per block, and the parse functions
 * of the keys that are not plain numbers: the top level, flow_timeouts,
 * health, agent, load and scale here; a service and a back end in
 * config_service.c. docs/config.md documents every key of these tables (a
 * unit test checks it); the defaults come from config_defaults.h.
 */
#include "config_keys.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xdp_lb.h"

#define WEEK (86400 * 7)

/* ---- health ---- */

enum { H_TYPE, H_PORT, H_PATH, H_STATUS, H_INTERVAL, H_TIMEOUT, H_RISE,
       H_FALL, H_N };

static int parse_health_type(struct cfg_ctx *c, const struct cfg_key *k,
			     const yaml_node_t *n, const char *key, void *obj)
{
	static const char *const names[] = {
		[HEALTH_NONE] = "none", [HEALTH_TCP] = "tcp",
		[HEALTH_HTTP] = "http", [HEALTH_AGENT] = "agent"
	};
	struct health_cfg *h = obj;
	const char *s;
	size_t i;
	int ret;

	ret = cfg_want_scalar(c, n, key, &s);
	if (ret)
		return ret;
	for (i = 0; i < N_KEYS(names); i++)
		if (!strcmp(s, names[i])) {
			h->type = i;
			return 0;
		}
	return cfg_err(c, n, key, "'%s' is not tcp, http, agent or none", s);
}

static int parse_health_path(struct cfg_ctx *c, const struct cfg_key *k,
			     const yaml_node_t *n, const char *key, void *obj)
{
	struct health_cfg *h = obj;
	const char *s;
	int ret;

	ret = cfg_want_scalar(c, n, key, &s);
	if (ret)
		return ret;
	if (s[0] != '/' || strlen(s) >= sizeof(h->path) || strpbrk(s, " \r\n"))
		return cfg_err(c, n, key,
			       "'%s' is not a path like /health (no spaces, < %zu chars)",
			       s, sizeof(h->path));
	snprintf(h->path, sizeof(h->path), "%s", s);
	return 0;
}

/* timeout_ms at most interval_ms; node of the timeout, or the block. */
static int check_timeout(struct cfg_ctx *c, const yaml_node_t *n,
			 const char *path, const struct health_cfg *h)
{
	char key[320];

	if (h->timeout_ms <= h->interval_ms)
		return 0;
	snprintf(key, sizeof(key), "%s.timeout_ms", path);
	return cfg_err(c, n, key, "%u is longer than interval_ms %u",
		       h->timeout_ms, h->interval_ms);
}

static int health_finish(struct cfg_ctx *c, const yaml_node_t *n,
			 const char *path, void *obj, yaml_node_t **v)
{
	return check_timeout(c, v[H_TIMEOUT] ? v[H_TIMEOUT] : n, path, obj);
}

static const struct cfg_key health_keys[] = {
	[H_TYPE] = FUNC("type", parse_health_type, "word",
			"tcp, http, agent, none", "tcp"),
	[H_PORT] = U16("port", struct health_cfg, port, 1, 65535, 0,
		       .flags = CFG_NO_DEFAULT, .doc_type = "port",
		       .doc_def = "the service's port"),
	[H_PATH] = FUNC("path", parse_health_path, "string",
			"/... (< 128 chars, no spaces)", HEALTH_DEFAULT_PATH),
	[H_STATUS] = U16("status", struct health_cfg, expect_status, 100, 599,
			 HEALTH_DEFAULT_STATUS),
	[H_INTERVAL] = U32("interval_ms", struct health_cfg, interval_ms, 10,
			   3600000, HEALTH_DEFAULT_INTERVAL_MS),
	[H_TIMEOUT] = U32("timeout_ms", struct health_cfg, timeout_ms, 10,
			  3600000, HEALTH_DEFAULT_TIMEOUT_MS),
	[H_RISE] = U32("rise", struct health_cfg, rise, 1, 100,
		       HEALTH_DEFAULT_RISE),
	[H_FALL] = U32("fall", struct health_cfg, fall, 1, 100,
		       HEALTH_DEFAULT_FALL),
};

const struct cfg_block cfg_health_block = {
	"health", health_keys, N_KEYS(health_keys), false, health_finish
};

/* ---- agent ---- */

enum { A_PORT, A_INTERVAL, A_TIMEOUT, A_N };

static int agent_finish(struct cfg_ctx *c, const yaml_node_t *n,
			const char *path, void *obj, yaml_node_t **v)
{
	struct health_cfg *a = obj;

	if (!a->port)
		return cfg_missing(c, n, path, "port");
	if (a->timeout_ms > a->interval_ms && !v[A_TIMEOUT])
		a->timeout_ms = a->interval_ms; /* the default fits in */
	return check_timeout(c, v[A_TIMEOUT] ? v[A_TIMEOUT] : n, path, a);
}

static const struct cfg_key agent_keys[] = {
	[A_PORT] = U16("port", struct health_cfg, port, 1, 65535, 0,
		       .flags = CFG_NO_DEFAULT, .doc_type = "port",
		       .doc_def = "required (a back end: the service's)"),
	[A_INTERVAL] = U32("interval_ms", struct health_cfg, interval_ms, 10,
			   3600000, HEALTH_DEFAULT_INTERVAL_MS),
	[A_TIMEOUT] = U32("timeout_ms", struct health_cfg, timeout_ms, 10,
			  3600000, HEALTH_DEFAULT_TIMEOUT_MS,
			  .doc_def = STR(HEALTH_DEFAULT_TIMEOUT_MS)
			  ", at most interval_ms"),
};

const struct cfg_block cfg_agent_block = {
	"agent", agent_keys, N_KEYS(agent_keys), false, agent_finish
};

/* A health block over *h (defaults or the service's): keys given replace. */
int parse_health(struct cfg_ctx *c, const struct cfg_key *k,
			const yaml_node_t *n, const char *key, void *obj)
{
	struct health_cfg *h = (void *)((char *)obj + k->off);

	if (c->svc == obj)
		h->type = HEALTH_TCP; /* a service's health block probes tcp */
	return cfg_walk(c, &cfg_health_block, n, key, h);
}

/* An agent block over *a, the service's at a back end. */
int parse_agent(struct cfg_ctx *c, const struct cfg_key *k,
		       const yaml_node_t *n, const char *key, void *obj)
{
	struct health_cfg *a = (void *)((char *)obj + k->off);

	if (a->type == HEALTH_NONE) {
		health_cfg_defaults(a);
		a->port = 0;
	}
	a->type = HEALTH_AGENT;
	return cfg_walk(c, &cfg_agent_block, n, key, a);
}

/* ---- load ---- */

enum { L_MARGIN, L_RESTORE, L_FLOOR, L_STEP, L_MIN_FLOWS, L_INTERVAL, L_N };

static int load_finish(struct cfg_ctx *c, const yaml_node_t *n,
		       const char *path, void *obj, yaml_node_t **v)
{
	struct load_policy *p = obj;
	char key[320];

	if (p->restore < p->margin)
		return 0;
	snprintf(key, sizeof(key), "%s.restore", path);
	return cfg_err(c, v[L_RESTORE] ? v[L_RESTORE] : n, key,
		       "%u must be below margin %u", p->restore, p->margin);
}

static const struct cfg_key load_keys[] = {
	[L_MARGIN] = U32("margin", struct load_policy, margin, 1, 1000,
			 POLICY_DEFAULT_MARGIN),
	[L_RESTORE] = U32("restore", struct load_policy, restore, 0, 999,
			  POLICY_DEFAULT_RESTORE),
	[L_FLOOR] = U32("floor", struct load_policy, floor, 1, 100,
			POLICY_DEFAULT_FLOOR),
	[L_STEP] = U32("step", struct load_policy, step, 1, 100,
		       POLICY_DEFAULT_STEP),
	[L_MIN_FLOWS] = U32("min_flows", struct load_policy, min_flows, 0,
			    1000000, POLICY_DEFAULT_MIN_FLOWS),
	[L_INTERVAL] = U32("interval_ms", struct load_policy, interval_ms, 100,
			   3600000, POLICY_DEFAULT_INTERVAL_MS),
};

const struct cfg_block cfg_load_block = {
	"load", load_keys, N_KEYS(load_keys), true, load_finish
};

int parse_load(struct cfg_ctx *c, const struct cfg_key *k,
		      const yaml_node_t *n, const char *key, void *obj)
{
	return cfg_walk(c, &cfg_load_block, n, key,
			(char *)obj + k->off);
}

/* ---- scale ---- */

enum { SC_HIGH, SC_LOW, SC_FOR, SC_CMD_TIMEOUT, SC_READY_TIMEOUT,
       SC_DRAIN_TIMEOUT, SC_N };

static int scale_finish(struct cfg_ctx *c, const yaml_node_t *n,
			const char *path, void *obj, yaml_node_t **v)
{
	struct lb_scale_cfg *sc = obj;
	char key[320];

	if (sc->low < sc->high)
		return 0;
	snprintf(key, sizeof(key), "%s.low", path);
	return cfg_err(c, v[SC_LOW], key, "%u must be below high %u", sc->low,
		       sc->high);
}

static const struct cfg_key scale_keys[] = {
	[SC_HIGH] = U32("high", struct lb_scale_cfg, high, 1, 1000, 0,
			.flags = CFG_REQUIRED),
	[SC_LOW] = U32("low", struct lb_scale_cfg, low, 0, 999, 0,
		       .flags = CFG_REQUIRED),
	[SC_FOR] = U32("for", struct lb_scale_cfg, for_s, 1, 86400,
		       LB_DEFAULT_SCALE_FOR),
	[SC_CMD_TIMEOUT] = U32("command_timeout", struct lb_scale_cfg,
			       command_timeout, 1, 3600,
			       LB_DEFAULT_COMMAND_TIMEOUT),
	[SC_READY_TIMEOUT] = U32("ready_timeout", struct lb_scale_cfg,
				 ready_timeout, 1, 3600,
				 LB_DEFAULT_READY_TIMEOUT),
	[SC_DRAIN_TIMEOUT] = U32("drain_timeout", struct lb_scale_cfg,
				 drain_timeout, 0, 86400, 0,
				 .flags = CFG_NO_DEFAULT,
				 .doc_def = "the top-level drain_timeout"),
};

const struct cfg_block cfg_scale_block = {
	"scale", scale_keys, N_KEYS(scale_keys), false, scale_finish
};

int parse_scale(struct cfg_ctx *c, const struct cfg_key *k,
		       const yaml_node_t *n, const char *key, void *obj)
{
	struct lb_service_cfg *s = obj;

	if (!s->n_standby)
		return cfg_err(c, n, key,
			       "needs a standby list to start back ends from");
	cfg_defaults(&cfg_scale_block, &s->scale);
	s->scale.drain_timeout = c->cfg->drain_timeout;
	return cfg_walk(c, &cfg_scale_block, n, key, &s->scale);
}

/* ---- flow_timeouts ---- */

static const struct cfg_key timeout_keys[] = {
	U32("tcp_syn", struct flow_timeouts, tcp_syn, 1, WEEK,
	    CT_DEFAULT_TCP_SYN),
	U32("tcp_established", struct flow_timeouts, tcp_established, 1, WEEK,
	    CT_DEFAULT_TCP_ESTABLISHED),
	U32("tcp_fin", struct flow_timeouts, tcp_fin, 1, WEEK,
	    CT_DEFAULT_TCP_FIN),
	U32("tcp_rst", struct flow_timeouts, tcp_rst, 1, WEEK,
	    CT_DEFAULT_TCP_RST),
	U32("udp", struct flow_timeouts, udp, 1, WEEK, CT_DEFAULT_UDP),
	/* 0: closed nat flows go at tcp_fin */
	U32("nat_time_wait", struct flow_timeouts, nat_time_wait, 0, WEEK,
	    CT_DEFAULT_NAT_TIME_WAIT),
};

const struct cfg_block cfg_timeouts_block = {
	"flow_timeouts", timeout_keys, N_KEYS(timeout_keys), false, NULL
};

static int parse_timeouts(struct cfg_ctx *c, const struct cfg_key *k,
			  const yaml_node_t *n, const char *key, void *obj)
{
	return cfg_walk(c, &cfg_timeouts_block, n, key,
			&((struct lb_config *)obj)->timeouts);
}

/* ---- the top level ---- */

static int check_prime(struct cfg_ctx *c, const struct cfg_key *k,
		       const yaml_node_t *n, const char *key, void *obj)
{
	__u32 size = ((struct lb_config *)obj)->table_size;

	if (config_is_prime(size))
		return 0;
	return cfg_err(c, n, key,
		       "%u is not prime (e.g. 251, 4099, 65537, 1000003)",
		       size);
}

/* The flood guard's bucket defaults to its rate. */
static int rate_set(struct cfg_ctx *c, const struct cfg_key *k,
		    const yaml_node_t *n, const char *key, void *obj)
{
	struct lb_config *cfg = obj;

	cfg->new_flow_burst = cfg->new_flow_rate;
	return 0;
}

static int check_burst(struct cfg_ctx *c, const struct cfg_key *k,
		       const yaml_node_t *n, const char *key, void *obj)
{
	if (((struct lb_config *)obj)->new_flow_rate)
		return 0;
	return cfg_err(c, n, key,
		       "needs new_flow_rate (the guard is off without it)");
}

static int parse_nat_ports(struct cfg_ctx *c, const struct cfg_key *k,
			   const yaml_node_t *n, const char *key, void *obj)
{
	struct lb_config *cfg = obj;
	char buf[32], *dash;
	const char *s;
	__u32 lo, hi;
	int ret;

	ret = cfg_want_scalar(c, n, key, &s);
	if (ret)
		return ret;
	snprintf(buf, sizeof(buf), "%s", s);
	dash = strchr(buf, '-');
	if (dash)
		*dash = '\0';
	if (!dash || lb_u32_parse(buf, 1024, 65535, &lo) ||
	    lb_u32_parse(dash + 1, 1024, 65535, &hi) || hi < lo)
		return cfg_err(c, n, key,
			       "'%s' is not a port range LOW-HIGH within 1024-65535",
			       s);
	cfg->nat_port_min = lo;
	cfg->nat_port_max = hi;
	return 0;
}

/* An address of one family (k->lo: AF_INET or AF_INET6) at k->off. */
static int parse_addr_of(struct cfg_ctx *c, const struct cfg_key *k,
			 const yaml_node_t *n, const char *key, void *obj)
{
	struct lb_addr *a = (void *)((char *)obj + k->off);
	const char *s;
	int ret;

	ret = cfg_want_scalar(c, n, key, &s);
	if (ret)
		return ret;
	if (lb_addr_parse(s, a) || a->family != (int)k->lo)
		return cfg_err(c, n, key, "'%s' is not an %s address", s,
			       k->lo == AF_INET ? "IPv4" : "IPv6");
	return 0;
}

/* A tunnel source prefix "ADDR/LEN", LEN in min..max. */
static int get_prefix(struct cfg_ctx *c, const yaml_node_t *n,
		      const char *key, int fam, __u32 min, __u32 max,
		      struct lb_addr *a, __u8 *plen)
{
	char buf[64], *slash;
	const char *s;
	__u32 len;
	int ret;

	ret = cfg_want_scalar(c, n, key, &s);
	if (ret)
		return ret;
	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	if (!slash || lb_addr_parse(buf, a) || a->family != fam ||
	    lb_u32_parse(slash + 1, min, max, &len))
		return cfg_err(c, n, key,
			       "'%s' is not an %s prefix like %s (length %u..%u)",
			       s, fam == AF_INET ? "IPv4" : "IPv6",
			       fam == AF_INET ? "198.18.9.0/24" : "fd00:9::/64",
			       min, max);
	*plen = len;
	return 0;
}

static int parse_tun4(struct cfg_ctx *c, const struct cfg_key *k,
		      const yaml_node_t *n, const char *key, void *obj)
{
	struct lb_config *cfg = obj;

	return get_prefix(c, n, key, AF_INET, 8, 32, &cfg->tun_src4,
			  &cfg->tun_plen4);
}

static int parse_tun6(struct cfg_ctx *c, const struct cfg_key *k,
		      const yaml_node_t *n, const char *key, void *obj)
{
	struct lb_config *cfg = obj;

	return get_prefix(c, n, key, AF_INET6, 32, 128, &cfg->tun_src6,
			  &cfg->tun_plen6);
}

static const struct cfg_key top_keys[] = {
	U32("table_size", struct lb_config, table_size, 3, 1000003,
	    XLB_DEFAULT_TABLE_SIZE, .parse = check_prime),
	U32("max_flows", struct lb_config, max_flows, 1024, 67108864,
	    XLB_DEFAULT_MAX_FLOWS),
	U32("max_services", struct lb_config, max_services, 1, 4096,
	    XLB_DEFAULT_MAX_SERVICES),
	U32("max_backends", struct lb_config, max_backends, 1, 65536,
	    XLB_DEFAULT_MAX_BACKENDS),
	FUNC("flow_timeouts", parse_timeouts, "mapping", "see flow_timeouts",
	     "see flow_timeouts"),
	U32("sweep_interval", struct lb_config, sweep_interval, 1, 3600,
	    LB_DEFAULT_SWEEP_INTERVAL),
	U32("nat_scan_interval", struct lb_config, nat_scan_interval, 1, 86400,
	    LB_DEFAULT_NAT_SCAN_INTERVAL),
	U32("drain_timeout", struct lb_config, drain_timeout, 0, WEEK,
	    LB_DEFAULT_DRAIN_TIMEOUT),
	U32("new_flow_rate", struct lb_config, new_flow_rate, 0, 100000000,
	    LB_DEFAULT_NEW_FLOW_RATE, .parse = rate_set),
	U32("new_flow_burst", struct lb_config, new_flow_burst, 1, 100000000,
	    0, .flags = CFG_NO_DEFAULT, .parse = check_burst,
	    .doc_def = "new_flow_rate"),
	FUNC("nat_ports", parse_nat_ports, "port range", "1024-65535",
	     STR(LB_DEFAULT_NAT_PORT_MIN) "-" STR(LB_DEFAULT_NAT_PORT_MAX)),
	FUNC("nat_source", parse_addr_of, "address", "IPv4",
	     "the internal interface's first IPv4 address",
	     .off = offsetof(struct lb_config, nat_src4), .lo = AF_INET),
	FUNC("nat_source6", parse_addr_of, "address", "IPv6",
	     "the internal interface's first global IPv6 address",
	     .off = offsetof(struct lb_config, nat_src6), .lo = AF_INET6),
	FUNC("tunnel_source", parse_tun4, "prefix", "IPv4, length 8..32",
	     "none"),
	FUNC("tunnel_source6", parse_tun6, "prefix", "IPv6, length 32..128",
	     "none"),
	FUNC("http", parse_http, "mapping", "see http", "none (no listener)"),
	FUNC("announce", parse_announce, "mapping", "see announce",
	     "see announce"),
	FUNC("services", parse_services, "list", "see services", "none"),
};

const struct cfg_block cfg_top_block = {
	"top level", top_keys, N_KEYS(top_keys), false, NULL
};

const struct cfg_block *const cfg_blocks[] = {
	&cfg_top_block,	   &cfg_timeouts_block, &cfg_service_block,
	&cfg_health_block, &cfg_agent_block,	&cfg_load_block,
	&cfg_backend_block, &cfg_scale_block, &cfg_http_block,
	&cfg_announce_block,
};
const size_t cfg_n_blocks = N_KEYS(cfg_blocks);
