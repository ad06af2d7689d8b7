// SPDX-License-Identifier: GPL-2.0-only
/*
 * The YAML configuration (libyaml document API). Every node carries its
 * line, so every error names FILE:LINE and the key path.
 */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "xdp_lb.h"

struct ctx {
	const char *name;
	yaml_document_t *doc;
	char *err;
	size_t errlen;
};

static int perr(struct ctx *c, const yaml_node_t *n, const char *key,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int perr(struct ctx *c, const yaml_node_t *n, const char *key,
		const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n)
		snprintf(c->err, c->errlen, "%s:%zu: %s: %s", c->name,
			 n->start_mark.line + 1, key, msg);
	else
		snprintf(c->err, c->errlen, "%s: %s: %s", c->name, key, msg);
	return -EINVAL;
}

bool config_is_prime(__u32 n)
{
	__u32 i;

	if (n < 2)
		return false;
	for (i = 2; (__u64)i * i <= n; i++)
		if (n % i == 0)
			return false;
	return true;
}

bool config_name_valid(const char *name)
{
	size_t i, len = name ? strlen(name) : 0;

	if (len == 0 || len >= LB_NAME_MAX || name[0] == '-')
		return false;
	for (i = 0; i < len; i++) {
		char ch = name[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' ||
		      ch == '-'))
			return false;
	}
	return true;
}

static yaml_node_t *node(struct ctx *c, int id)
{
	return yaml_document_get_node(c->doc, id);
}

static const char *scalar(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value :
					     NULL;
}

static const char *type_name(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_MAPPING_NODE:
		return "a mapping";
	case YAML_SEQUENCE_NODE:
		return "a list";
	default:
		return "a scalar";
	}
}

static int want_scalar(struct ctx *c, const yaml_node_t *n, const char *key,
		       const char **out)
{
	*out = scalar(n);
	if (!*out)
		return perr(c, n, key, "expected a value, found %s",
			    type_name(n));
	return 0;
}

static int get_u32(struct ctx *c, const yaml_node_t *n, const char *key,
		   __u32 min, __u32 max, __u32 *out)
{
	const char *s;
	int ret;

	ret = want_scalar(c, n, key, &s);
	if (ret)
		return ret;
	ret = lb_u32_parse(s, min, max, out);
	if (ret == -ERANGE)
		return perr(c, n, key, "%s is out of range %u..%u", s, min,
			    max);
	if (ret)
		return perr(c, n, key, "'%s' is not a number (%u..%u)", s, min,
			    max);
	return 0;
}

static unsigned int edit_distance(const char *a, const char *b)
{
	unsigned int d[32][32], i, j, la = strlen(a), lb = strlen(b);

	if (la >= 32 || lb >= 32)
		return 99;
	for (i = 0; i <= la; i++)
		d[i][0] = i;
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++)
		for (j = 1; j <= lb; j++) {
			unsigned int sub = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			unsigned int del = d[i - 1][j] + 1, ins = d[i][j - 1] + 1;

			d[i][j] = sub < del ? (sub < ins ? sub : ins) :
					      (del < ins ? del : ins);
		}
	return d[la][lb];
}

/* Check a mapping's keys: known, not repeated. Fills vals[i] with the value
 * node of known[i] (or NULL). */
static int map_keys(struct ctx *c, const yaml_node_t *map, const char *path,
		    const char *const *known, size_t nknown,
		    yaml_node_t **vals)
{
	char key[256];
	yaml_node_pair_t *p;
	size_t i;

	if (map->type != YAML_MAPPING_NODE)
		return perr(c, map, path, "expected a mapping, found %s",
			    type_name(map));
	for (i = 0; i < nknown; i++)
		vals[i] = NULL;
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = node(c, p->key);
		const char *ks = scalar(k);

		if (!ks)
			return perr(c, k, path, "keys must be plain words");
		snprintf(key, sizeof(key), "%s%s%s", path, *path ? "." : "",
			 ks);
		for (i = 0; i < nknown; i++)
			if (!strcmp(ks, known[i]))
				break;
		if (i == nknown) {
			for (i = 0; i < nknown; i++)
				if (edit_distance(ks, known[i]) <= 2)
					return perr(c, k, key,
						    "unknown key (did you mean '%s'?)",
						    known[i]);
			return perr(c, k, key, "unknown key");
		}
		if (vals[i])
			return perr(c, k, key, "duplicate key (first on line %zu)",
				    vals[i]->start_mark.line + 1);
		vals[i] = node(c, p->value);
	}
	return 0;
}

static int missing(struct ctx *c, const yaml_node_t *map, const char *path,
		   const char *key)
{
	return perr(c, map, path, "missing required key '%s'", key);
}

enum { H_TYPE, H_PORT, H_PATH, H_STATUS, H_INTERVAL, H_TIMEOUT, H_RISE,
       H_FALL, H_N };
static const char *const health_keys[H_N] = { "type",	     "port",
					      "path",	     "status",
					      "interval_ms", "timeout_ms",
					      "rise",	     "fall" };

/* A health block over *h (defaults or the service's): keys given replace. */
static int parse_health(struct ctx *c, const yaml_node_t *n, const char *path,
			struct health_cfg *h)
{
	yaml_node_t *v[H_N];
	char key[256];
	const char *str;
	__u32 x;
	int ret;

	ret = map_keys(c, n, path, health_keys, H_N, v);
	if (ret)
		return ret;
	if (v[H_TYPE]) {
		snprintf(key, sizeof(key), "%s.type", path);
		ret = want_scalar(c, v[H_TYPE], key, &str);
		if (ret)
			return ret;
		if (!strcmp(str, "tcp"))
			h->type = HEALTH_TCP;
		else if (!strcmp(str, "http"))
			h->type = HEALTH_HTTP;
		else if (!strcmp(str, "agent"))
			h->type = HEALTH_AGENT;
		else if (!strcmp(str, "none"))
			h->type = HEALTH_NONE;
		else
			return perr(c, v[H_TYPE], key,
				    "'%s' is not tcp, http, agent or none",
				    str);
	}
	if (v[H_PORT]) {
		snprintf(key, sizeof(key), "%s.port", path);
		if ((ret = get_u32(c, v[H_PORT], key, 1, 65535, &x)))
			return ret;
		h->port = x;
	}
	if (v[H_PATH]) {
		snprintf(key, sizeof(key), "%s.path", path);
		ret = want_scalar(c, v[H_PATH], key, &str);
		if (ret)
			return ret;
		if (str[0] != '/' || strlen(str) >= sizeof(h->path) ||
		    strpbrk(str, " \r\n"))
			return perr(c, v[H_PATH], key,
				    "'%s' is not a path like /health (no spaces, < %zu chars)",
				    str, sizeof(h->path));
		snprintf(h->path, sizeof(h->path), "%s", str);
	}
	if (v[H_STATUS]) {
		snprintf(key, sizeof(key), "%s.status", path);
		if ((ret = get_u32(c, v[H_STATUS], key, 100, 599, &x)))
			return ret;
		h->expect_status = x;
	}
	if (v[H_INTERVAL]) {
		snprintf(key, sizeof(key), "%s.interval_ms", path);
		if ((ret = get_u32(c, v[H_INTERVAL], key, 10, 3600000,
				   &h->interval_ms)))
			return ret;
	}
	if (v[H_TIMEOUT]) {
		snprintf(key, sizeof(key), "%s.timeout_ms", path);
		if ((ret = get_u32(c, v[H_TIMEOUT], key, 10, 3600000,
				   &h->timeout_ms)))
			return ret;
	}
	if (v[H_RISE]) {
		snprintf(key, sizeof(key), "%s.rise", path);
		if ((ret = get_u32(c, v[H_RISE], key, 1, 100, &h->rise)))
			return ret;
	}
	if (v[H_FALL]) {
		snprintf(key, sizeof(key), "%s.fall", path);
		if ((ret = get_u32(c, v[H_FALL], key, 1, 100, &h->fall)))
			return ret;
	}
	if (h->timeout_ms > h->interval_ms) {
		snprintf(key, sizeof(key), "%s.timeout_ms", path);
		return perr(c, v[H_TIMEOUT] ? v[H_TIMEOUT] : n, key,
			    "%u is longer than interval_ms %u", h->timeout_ms,
			    h->interval_ms);
	}
	return 0;
}

enum { A_PORT, A_INTERVAL, A_TIMEOUT, A_N };
static const char *const agent_keys[A_N] = { "port", "interval_ms",
					     "timeout_ms" };

/* An agent block (port required at the service) over *a. */
static int parse_agent(struct ctx *c, const yaml_node_t *n, const char *path,
		       struct health_cfg *a, bool need_port)
{
	yaml_node_t *v[A_N];
	char key[256];
	__u32 x;
	int ret;

	ret = map_keys(c, n, path, agent_keys, A_N, v);
	if (ret)
		return ret;
	if (a->type == HEALTH_NONE) {
		health_cfg_defaults(a);
		a->port = 0;
	}
	a->type = HEALTH_AGENT;
	if (v[A_PORT]) {
		snprintf(key, sizeof(key), "%s.port", path);
		if ((ret = get_u32(c, v[A_PORT], key, 1, 65535, &x)))
			return ret;
		a->port = x;
	} else if (need_port && !a->port) {
		return missing(c, n, path, "port");
	}
	if (v[A_INTERVAL]) {
		snprintf(key, sizeof(key), "%s.interval_ms", path);
		if ((ret = get_u32(c, v[A_INTERVAL], key, 10, 3600000,
				   &a->interval_ms)))
			return ret;
	}
	if (v[A_TIMEOUT]) {
		snprintf(key, sizeof(key), "%s.timeout_ms", path);
		if ((ret = get_u32(c, v[A_TIMEOUT], key, 10, 3600000,
				   &a->timeout_ms)))
			return ret;
	}
	if (a->timeout_ms > a->interval_ms && !v[A_TIMEOUT])
		a->timeout_ms = a->interval_ms; /* the default fits in */
	if (a->timeout_ms > a->interval_ms) {
		snprintf(key, sizeof(key), "%s.timeout_ms", path);
		return perr(c, v[A_TIMEOUT] ? v[A_TIMEOUT] : n, key,
			    "%u is longer than interval_ms %u", a->timeout_ms,
			    a->interval_ms);
	}
	return 0;
}

enum { L_MARGIN, L_RESTORE, L_FLOOR, L_STEP, L_MIN_FLOWS, L_INTERVAL, L_N };
static const char *const load_keys[L_N] = { "margin", "restore", "floor",
					    "step", "min_flows",
					    "interval_ms" };

static int parse_load(struct ctx *c, const yaml_node_t *n, const char *path,
		      struct load_policy *p)
{
	__u32 *field[L_N] = { &p->margin, &p->restore,	 &p->floor,
			      &p->step,	  &p->min_flows, &p->interval_ms };
	static const __u32 lo[L_N] = { 1, 0, 1, 1, 0, 100 };
	static const __u32 hi[L_N] = { 1000, 999, 100, 100, 1000000, 3600000 };
	yaml_node_t *v[L_N];
	char key[320];
	int i, ret;

	if (n->type == YAML_SCALAR_NODE && !*scalar(n))
		return 0; /* "load:" alone: the defaults */
	ret = map_keys(c, n, path, load_keys, L_N, v);
	for (i = 0; !ret && i < L_N; i++) {
		if (!v[i])
			continue;
		snprintf(key, sizeof(key), "%s.%s", path, load_keys[i]);
		ret = get_u32(c, v[i], key, lo[i], hi[i], field[i]);
	}
	if (!ret && p->restore >= p->margin) {
		snprintf(key, sizeof(key), "%s.restore", path);
		return perr(c, v[L_RESTORE] ? v[L_RESTORE] : n, key,
			    "%u must be below margin %u", p->restore,
			    p->margin);
	}
	return ret;
}

enum { SC_HIGH, SC_LOW, SC_FOR, SC_CMD_TIMEOUT, SC_READY_TIMEOUT,
       SC_DRAIN_TIMEOUT, SC_N };
static const char *const scale_keys[SC_N] = { "high",
					      "low",
					      "for",
					      "command_timeout",
					      "ready_timeout",
					      "drain_timeout" };

static int parse_scale(struct ctx *c, const yaml_node_t *n, const char *path,
		       struct lb_scale_cfg *sc, __u32 drain_timeout)
{
	__u32 *field[SC_N] = { &sc->high,	     &sc->low,
			       &sc->for_s,	     &sc->command_timeout,
			       &sc->ready_timeout, &sc->drain_timeout };
	static const __u32 lo[SC_N] = { 1, 0, 1, 1, 1, 0 };
	static const __u32 hi[SC_N] = { 1000, 999, 86400, 3600, 3600, 86400 };
	yaml_node_t *v[SC_N];
	char key[320];
	int i, ret;

	sc->for_s = LB_DEFAULT_SCALE_FOR;
	sc->command_timeout = LB_DEFAULT_COMMAND_TIMEOUT;
	sc->ready_timeout = LB_DEFAULT_READY_TIMEOUT;
	sc->drain_timeout = drain_timeout;
	ret = map_keys(c, n, path, scale_keys, SC_N, v);
	if (ret)
		return ret;
	if (!v[SC_HIGH])
		return missing(c, n, path, "high");
	if (!v[SC_LOW])
		return missing(c, n, path, "low");
	for (i = 0; !ret && i < SC_N; i++) {
		if (!v[i])
			continue;
		snprintf(key, sizeof(key), "%s.%s", path, scale_keys[i]);
		ret = get_u32(c, v[i], key, lo[i], hi[i], field[i]);
	}
	if (!ret && sc->low >= sc->high) {
		snprintf(key, sizeof(key), "%s.low", path);
		return perr(c, v[SC_LOW], key, "%u must be below high %u",
			    sc->low, sc->high);
	}
	return ret;
}

static int get_cmd(struct ctx *c, const yaml_node_t *n, const char *key,
		   char *out)
{
	const char *s;
	int ret;

	ret = want_scalar(c, n, key, &s);
	if (ret)
		return ret;
	if (!*s || strlen(s) >= LB_CMD_MAX)
		return perr(c, n, key, "expected a shell command of 1..%d chars",
			    LB_CMD_MAX - 1);
	snprintf(out, LB_CMD_MAX, "%s", s);
	return 0;
}

enum { B_ADDR, B_WEIGHT, B_MAC, B_HEALTH, B_AGENT, B_CAPACITY, B_START,
       B_STOP, B_PORT, B_N };
static const char *const backend_keys[B_N] = {
	"addr", "weight", "mac", "health", "agent", "capacity", "start",
	"stop", "port"
};

static int parse_backend(struct ctx *c, const yaml_node_t *n,
			 const char *path, const struct lb_service_cfg *svc,
			 struct lb_backend_cfg *b, bool standby)
{
	yaml_node_t *v[B_N];
	char key[256];
	const char *s;
	int ret;

	ret = map_keys(c, n, path, backend_keys, B_N, v);
	if (ret)
		return ret;
	if (!standby && (v[B_START] || v[B_STOP])) {
		int k = v[B_START] ? B_START : B_STOP;

		snprintf(key, sizeof(key), "%s.%s", path, backend_keys[k]);
		return perr(c, v[k], key,
			    "only standby back ends have start/stop commands");
	}
	if (standby && !v[B_START])
		return missing(c, n, path, "start");
	if (standby && !v[B_STOP])
		return missing(c, n, path, "stop");
	if (v[B_START]) {
		snprintf(key, sizeof(key), "%s.start", path);
		if ((ret = get_cmd(c, v[B_START], key, b->start)))
			return ret;
	}
	if (v[B_STOP]) {
		snprintf(key, sizeof(key), "%s.stop", path);
		if ((ret = get_cmd(c, v[B_STOP], key, b->stop)))
			return ret;
	}
	if (v[B_PORT]) {
		__u32 x;

		snprintf(key, sizeof(key), "%s.port", path);
		if (!svc->nat)
			return perr(c, v[B_PORT], key,
				    "only mode nat maps ports (dsr and tunnel back ends answer on the VIP's port)");
		if ((ret = get_u32(c, v[B_PORT], key, 1, 65535, &x)))
			return ret;
		b->port = x;
	}
	if (v[B_CAPACITY]) {
		snprintf(key, sizeof(key), "%s.capacity", path);
		if ((ret = get_u32(c, v[B_CAPACITY], key, 1, 100000000,
				   &b->capacity)))
			return ret;
	}
	b->line = n->start_mark.line + 1;
	b->weight = LB_DEFAULT_WEIGHT;
	if (!v[B_ADDR])
		return missing(c, n, path, "addr");
	snprintf(key, sizeof(key), "%s.addr", path);
	ret = want_scalar(c, v[B_ADDR], key, &s);
	if (ret)
		return ret;
	if (lb_addr_parse(s, &b->addr))
		return perr(c, v[B_ADDR], key,
			    "'%s' is not an IPv4 or IPv6 address", s);
	if (b->addr.family != svc->vip.family &&
	    !(svc->tunnel && b->addr.family == AF_INET6))
		return perr(c, v[B_ADDR], key,
			    svc->tunnel ?
				    "%s: an IPv6 vip cannot be tunnelled to an IPv4 back end" :
				    "%s is not of the same address family as the vip (mode: tunnel carries IPv4 to IPv6 back ends)",
			    s);
	if (v[B_WEIGHT]) {
		snprintf(key, sizeof(key), "%s.weight", path);
		ret = get_u32(c, v[B_WEIGHT], key, 0, LB_WEIGHT_MAX,
			      &b->weight);
		if (ret)
			return ret;
	}
	if (v[B_MAC]) {
		snprintf(key, sizeof(key), "%s.mac", path);
		ret = want_scalar(c, v[B_MAC], key, &s);
		if (ret)
			return ret;
		if (lb_mac_parse(s, b->mac))
			return perr(c, v[B_MAC], key,
				    "'%s' is not a MAC address (like 02:00:00:00:00:12)",
				    s);
		b->has_mac = true;
	}
	b->health = svc->health;
	if (v[B_HEALTH]) {
		snprintf(key, sizeof(key), "%s.health", path);
		ret = parse_health(c, v[B_HEALTH], key, &b->health);
		if (ret)
			return ret;
	}
	b->agent = svc->agent;
	if (v[B_AGENT]) {
		snprintf(key, sizeof(key), "%s.agent", path);
		ret = parse_agent(c, v[B_AGENT], key, &b->agent, true);
		if (ret)
			return ret;
	}
	return 0;
}

/* A list of back ends (backends or standby) into *out, *n. */
static int parse_backend_list(struct ctx *c, const yaml_node_t *list,
			      const char *path, const char *name,
			      const struct lb_service_cfg *s,
			      struct lb_backend_cfg **out, size_t *n_out,
			      bool standby)
{
	yaml_node_item_t *it;
	char key[256], bpath[128];
	size_t i, j, nb;
	int ret;

	snprintf(key, sizeof(key), "%s.%s", path, name);
	if (list->type == YAML_SCALAR_NODE && !*scalar(list))
		return 0; /* "backends:" with nothing after it */
	if (list->type != YAML_SEQUENCE_NODE)
		return perr(c, list, key, "expected a list, found %s",
			    type_name(list));
	nb = list->data.sequence.items.top - list->data.sequence.items.start;
	*out = calloc(nb ? nb : 1, sizeof(**out));
	if (!*out)
		return perr(c, list, path, "out of memory");
	for (i = 0, it = list->data.sequence.items.start; i < nb; i++, it++) {
		yaml_node_t *bn = node(c, *it);
		struct lb_backend_cfg *b = &(*out)[i];

		snprintf(bpath, sizeof(bpath), "%s.%s[%zu]", path, name, i);
		ret = parse_backend(c, bn, bpath, s, b, standby);
		*n_out = i + 1;
		if (ret)
			return ret;
		for (j = 0; j < i; j++)
			if (lb_addr_eq(&(*out)[j].addr, &b->addr))
				return perr(c, bn, bpath,
					    "duplicate back end (first on line %d)",
					    (*out)[j].line);
		for (j = 0; standby && j < s->n_backends; j++)
			if (lb_addr_eq(&s->backends[j].addr, &b->addr))
				return perr(c, bn, bpath,
					    "already a back end (line %d)",
					    s->backends[j].line);
	}
	return 0;
}

enum { S_NAME, S_VIP, S_PORT, S_PROTO, S_BACKENDS, S_HEALTH, S_AGENT,
       S_LOAD, S_SLOW_START, S_STANDBY, S_SCALE, S_PERSIST, S_MODE, S_N };
static const char *const service_keys[S_N] = {
	"name",	       "vip",	   "port",   "proto",	    "backends",
	"health",      "agent",	   "load",   "slow_start",  "standby",
	"scale",       "persistence", "mode"
};

/* "none", "src-ip" or "src-ip/N". */
static int parse_persistence(struct ctx *c, const yaml_node_t *n,
			     const char *key, struct lb_service_cfg *s)
{
	__u32 max = s->vip.family == AF_INET6 ? 128 : 32, plen = max;
	const char *str;
	int ret;

	ret = want_scalar(c, n, key, &str);
	if (ret)
		return ret;
	if (!strcmp(str, "none"))
		return 0;
	if (strncmp(str, "src-ip", 6) || (str[6] && str[6] != '/') ||
	    (str[6] == '/' && lb_u32_parse(str + 7, 0, max, &plen)))
		return perr(c, n, key,
			    "'%s' is not none, src-ip or src-ip/PREFIX (0..%u)",
			    str, max);
	s->persist = true;
	s->persist_prefix = plen;
	return 0;
}

static int parse_service(struct ctx *c, const yaml_node_t *n,
			 const char *path, struct lb_service_cfg *s,
			 __u32 drain_timeout)
{
	yaml_node_t *v[S_N];
	char key[256];
	const char *str;
	size_t i;
	__u32 port;
	int ret;

	ret = map_keys(c, n, path, service_keys, S_N, v);
	if (ret)
		return ret;
	s->line = n->start_mark.line + 1;
	for (i = 0; i < S_BACKENDS; i++)
		if (!v[i])
			return missing(c, n, path, service_keys[i]);
	snprintf(key, sizeof(key), "%s.name", path);
	ret = want_scalar(c, v[S_NAME], key, &str);
	if (ret)
		return ret;
	if (!config_name_valid(str))
		return perr(c, v[S_NAME], key,
			    "'%s' is not a valid name (1-63 of A-Z a-z 0-9 _ . -, not starting with -)",
			    str);
	snprintf(s->name, sizeof(s->name), "%s", str);
	snprintf(key, sizeof(key), "%s.vip", path);
	ret = want_scalar(c, v[S_VIP], key, &str);
	if (ret)
		return ret;
	if (lb_addr_parse(str, &s->vip))
		return perr(c, v[S_VIP], key,
			    "'%s' is not an IPv4 or IPv6 address", str);
	snprintf(key, sizeof(key), "%s.port", path);
	ret = get_u32(c, v[S_PORT], key, 1, 65535, &port);
	if (ret)
		return ret;
	s->port = port;
	snprintf(key, sizeof(key), "%s.proto", path);
	ret = want_scalar(c, v[S_PROTO], key, &str);
	if (ret)
		return ret;
	if (lb_proto_parse(str, &s->proto))
		return perr(c, v[S_PROTO], key, "'%s' is not tcp or udp", str);
	health_cfg_defaults(&s->health); /* a health block probes tcp */
	s->health.port = s->port;
	if (!v[S_HEALTH])
		s->health.type = HEALTH_NONE; /* no block: no probes */
	if (v[S_HEALTH]) {
		snprintf(key, sizeof(key), "%s.health", path);
		ret = parse_health(c, v[S_HEALTH], key, &s->health);
		if (ret)
			return ret;
	}
	if (v[S_MODE]) {
		snprintf(key, sizeof(key), "%s.mode", path);
		ret = want_scalar(c, v[S_MODE], key, &str);
		if (ret)
			return ret;
		if (!strcmp(str, "tunnel"))
			s->tunnel = true;
		else if (!strcmp(str, "nat"))
			s->nat = true;
		else if (strcmp(str, "dsr"))
			return perr(c, v[S_MODE], key,
				    "'%s' is not dsr, tunnel or nat", str);
	}
	if (v[S_PERSIST]) {
		snprintf(key, sizeof(key), "%s.persistence", path);
		ret = parse_persistence(c, v[S_PERSIST], key, s);
		if (ret)
			return ret;
	}
	policy_defaults(&s->load);
	if (v[S_AGENT]) {
		snprintf(key, sizeof(key), "%s.agent", path);
		ret = parse_agent(c, v[S_AGENT], key, &s->agent, true);
		if (ret)
			return ret;
	}
	if (v[S_LOAD]) {
		snprintf(key, sizeof(key), "%s.load", path);
		ret = parse_load(c, v[S_LOAD], key, &s->load);
		if (ret)
			return ret;
	}
	s->load.enabled = v[S_LOAD] || s->agent.type == HEALTH_AGENT ||
			  s->health.type == HEALTH_AGENT;
	if (v[S_SLOW_START]) {
		snprintf(key, sizeof(key), "%s.slow_start", path);
		ret = get_u32(c, v[S_SLOW_START], key, 0, 3600,
			      &s->load.slow_start);
		if (ret)
			return ret;
	}
	if (v[S_BACKENDS]) {
		ret = parse_backend_list(c, v[S_BACKENDS], path, "backends", s,
					 &s->backends, &s->n_backends, false);
		if (ret)
			return ret;
	}
	if (v[S_STANDBY]) {
		ret = parse_backend_list(c, v[S_STANDBY], path, "standby", s,
					 &s->standby, &s->n_standby, true);
		if (ret)
			return ret;
	}
	if (s->n_standby && !v[S_SCALE])
		return missing(c, n, path, "scale");
	if (v[S_SCALE]) {
		snprintf(key, sizeof(key), "%s.scale", path);
		if (!s->n_standby)
			return perr(c, v[S_SCALE], key,
				    "needs a standby list to start back ends from");
		ret = parse_scale(c, v[S_SCALE], key, &s->scale, drain_timeout);
		if (ret)
			return ret;
	}
	return 0;
}

enum { T_TABLE, T_FLOWS, T_SVCS, T_BES, T_TIMEOUTS, T_SWEEP, T_DRAIN,
       T_RATE, T_BURST, T_TUN4, T_TUN6, T_NAT_PORTS, T_NAT4, T_NAT6,
       T_NAT_SCAN, T_SERVICES, T_N };
static const char *const top_keys[T_N] = {
	"table_size",	  "max_flows",	    "max_services",   "max_backends",
	"flow_timeouts",  "sweep_interval", "drain_timeout",  "new_flow_rate",
	"new_flow_burst", "tunnel_source",  "tunnel_source6", "nat_ports",
	"nat_source",	  "nat_source6",    "nat_scan_interval", "services"
};

/* An address prefix "ADDR/LEN" of family fam, LEN in min..max. */
static int get_prefix(struct ctx *c, const yaml_node_t *n, const char *key,
		      int fam, __u32 min, __u32 max, struct lb_addr *a,
		      __u8 *plen)
{
	char buf[64], *slash;
	const char *s;
	__u32 len;
	int ret;

	ret = want_scalar(c, n, key, &s);
	if (ret)
		return ret;
	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	if (!slash || lb_addr_parse(buf, a) || a->family != fam ||
	    lb_u32_parse(slash + 1, min, max, &len))
		return perr(c, n, key,
			    "'%s' is not an %s prefix like %s (length %u..%u)",
			    s, fam == AF_INET ? "IPv4" : "IPv6",
			    fam == AF_INET ? "198.18.9.0/24" : "fd00:9::/64", min,
			    max);
	*plen = len;
	return 0;
}

enum { FT_SYN, FT_EST, FT_FIN, FT_RST, FT_UDP, FT_NAT_TW, FT_N };
static const char *const timeout_keys[FT_N] = {
	"tcp_syn", "tcp_established", "tcp_fin", "tcp_rst", "udp",
	"nat_time_wait"
};

static int parse_timeouts(struct ctx *c, const yaml_node_t *n,
			  struct flow_timeouts *t)
{
	__u32 *field[FT_N] = { &t->tcp_syn, &t->tcp_established, &t->tcp_fin,
			       &t->tcp_rst, &t->udp, &t->nat_time_wait };
	yaml_node_t *v[FT_N];
	char key[64];
	int i, ret;

	ret = map_keys(c, n, "flow_timeouts", timeout_keys, FT_N, v);
	for (i = 0; !ret && i < FT_N; i++) {
		if (!v[i])
			continue;
		snprintf(key, sizeof(key), "flow_timeouts.%s", timeout_keys[i]);
		/* nat_time_wait 0: closed nat flows go at tcp_fin */
		ret = get_u32(c, v[i], key, i == FT_NAT_TW ? 0 : 1, 86400 * 7,
			      field[i]);
	}
	return ret;
}

static int parse_doc(struct ctx *c, struct lb_config *cfg)
{
	yaml_node_t *root = yaml_document_get_root_node(c->doc), *v[T_N];
	yaml_node_item_t *it;
	size_t i, j, n, total = 0;
	char path[64];
	int ret;

	cfg->table_size = XLB_DEFAULT_TABLE_SIZE;
	cfg->max_flows = XLB_DEFAULT_MAX_FLOWS;
	cfg->max_services = XLB_DEFAULT_MAX_SERVICES;
	cfg->max_backends = XLB_DEFAULT_MAX_BACKENDS;
	conntrack_timeouts_default(&cfg->timeouts);
	cfg->sweep_interval = LB_DEFAULT_SWEEP_INTERVAL;
	cfg->nat_scan_interval = LB_DEFAULT_NAT_SCAN_INTERVAL;
	cfg->drain_timeout = LB_DEFAULT_DRAIN_TIMEOUT;
	if (!root)
		return 0; /* empty file: no services */
	if (root->type == YAML_SCALAR_NODE && !*scalar(root))
		return 0;
	ret = map_keys(c, root, "", top_keys, T_N, v);
	if (ret) {
		if (root->type != YAML_MAPPING_NODE)
			return perr(c, root, "(top level)",
				    "expected a mapping of keys (table_size, services, ...), found %s",
				    type_name(root));
		return ret;
	}
	if (v[T_TABLE]) {
		ret = get_u32(c, v[T_TABLE], "table_size", 3, 1000003,
			      &cfg->table_size);
		if (ret)
			return ret;
		if (!config_is_prime(cfg->table_size))
			return perr(c, v[T_TABLE], "table_size",
				    "%u is not prime (e.g. 251, 4099, 65537, 1000003)",
				    cfg->table_size);
	}
	if (v[T_FLOWS] && (ret = get_u32(c, v[T_FLOWS], "max_flows", 1024,
					 67108864, &cfg->max_flows)))
		return ret;
	if (v[T_SVCS] && (ret = get_u32(c, v[T_SVCS], "max_services", 1, 4096,
					&cfg->max_services)))
		return ret;
	if (v[T_BES] && (ret = get_u32(c, v[T_BES], "max_backends", 1, 65536,
				       &cfg->max_backends)))
		return ret;
	if (v[T_TIMEOUTS] && (ret = parse_timeouts(c, v[T_TIMEOUTS],
						   &cfg->timeouts)))
		return ret;
	if (v[T_SWEEP] && (ret = get_u32(c, v[T_SWEEP], "sweep_interval", 1,
					 3600, &cfg->sweep_interval)))
		return ret;
	if (v[T_NAT_SCAN] &&
	    (ret = get_u32(c, v[T_NAT_SCAN], "nat_scan_interval", 1, 86400,
			   &cfg->nat_scan_interval)))
		return ret;
	if (v[T_DRAIN] && (ret = get_u32(c, v[T_DRAIN], "drain_timeout", 0,
					 86400 * 7, &cfg->drain_timeout)))
		return ret;
	if (v[T_RATE] && (ret = get_u32(c, v[T_RATE], "new_flow_rate", 0,
					100000000, &cfg->new_flow_rate)))
		return ret;
	cfg->new_flow_burst = cfg->new_flow_rate;
	if (v[T_BURST] && (ret = get_u32(c, v[T_BURST], "new_flow_burst", 1,
					 100000000, &cfg->new_flow_burst)))
		return ret;
	if (v[T_BURST] && !cfg->new_flow_rate)
		return perr(c, v[T_BURST], "new_flow_burst",
			    "needs new_flow_rate (the guard is off without it)");
	cfg->nat_port_min = LB_DEFAULT_NAT_PORT_MIN;
	cfg->nat_port_max = LB_DEFAULT_NAT_PORT_MAX;
	if (v[T_NAT_PORTS]) {
		const char *s;
		__u32 lo, hi;
		char buf[32], *dash;

		if ((ret = want_scalar(c, v[T_NAT_PORTS], "nat_ports", &s)))
			return ret;
		snprintf(buf, sizeof(buf), "%s", s);
		dash = strchr(buf, '-');
		if (dash)
			*dash = '\0';
		if (!dash || lb_u32_parse(buf, 1024, 65535, &lo) ||
		    lb_u32_parse(dash + 1, 1024, 65535, &hi) || hi < lo)
			return perr(c, v[T_NAT_PORTS], "nat_ports",
				    "'%s' is not a port range LOW-HIGH within 1024-65535",
				    s);
		cfg->nat_port_min = lo;
		cfg->nat_port_max = hi;
	}
	if (v[T_NAT4]) {
		const char *s;

		if ((ret = want_scalar(c, v[T_NAT4], "nat_source", &s)))
			return ret;
		if (lb_addr_parse(s, &cfg->nat_src4) ||
		    cfg->nat_src4.family != AF_INET)
			return perr(c, v[T_NAT4], "nat_source",
				    "'%s' is not an IPv4 address", s);
	}
	if (v[T_NAT6]) {
		const char *s;

		if ((ret = want_scalar(c, v[T_NAT6], "nat_source6", &s)))
			return ret;
		if (lb_addr_parse(s, &cfg->nat_src6) ||
		    cfg->nat_src6.family != AF_INET6)
			return perr(c, v[T_NAT6], "nat_source6",
				    "'%s' is not an IPv6 address", s);
	}
	if (v[T_TUN4] && (ret = get_prefix(c, v[T_TUN4], "tunnel_source",
					   AF_INET, 8, 32, &cfg->tun_src4,
					   &cfg->tun_plen4)))
		return ret;
	if (v[T_TUN6] && (ret = get_prefix(c, v[T_TUN6], "tunnel_source6",
					   AF_INET6, 32, 128, &cfg->tun_src6,
					   &cfg->tun_plen6)))
		return ret;
	if (!v[T_SERVICES] ||
	    (v[T_SERVICES]->type == YAML_SCALAR_NODE && !*scalar(v[T_SERVICES])))
		return 0;
	if (v[T_SERVICES]->type != YAML_SEQUENCE_NODE)
		return perr(c, v[T_SERVICES], "services",
			    "expected a list, found %s",
			    type_name(v[T_SERVICES]));
	n = v[T_SERVICES]->data.sequence.items.top -
	    v[T_SERVICES]->data.sequence.items.start;
	if (n > cfg->max_services)
		return perr(c, v[T_SERVICES], "services",
			    "%zu services, more than max_services=%u", n,
			    cfg->max_services);
	cfg->services = calloc(n ? n : 1, sizeof(*cfg->services));
	if (!cfg->services)
		return perr(c, root, "services", "out of memory");
	for (i = 0, it = v[T_SERVICES]->data.sequence.items.start; i < n;
	     i++, it++) {
		yaml_node_t *sn = node(c, *it);
		struct lb_service_cfg *s = &cfg->services[i];

		snprintf(path, sizeof(path), "services[%zu]", i);
		cfg->n_services = i + 1;
		ret = parse_service(c, sn, path, s, cfg->drain_timeout);
		if (ret)
			return ret;
		for (j = 0; j < i; j++) {
			const struct lb_service_cfg *o = &cfg->services[j];

			if (!strcmp(o->name, s->name))
				return perr(c, sn, path,
					    "duplicate service name '%s' (first on line %d)",
					    s->name, o->line);
			if (lb_addr_eq(&o->vip, &s->vip) && o->port == s->port &&
			    o->proto == s->proto)
				return perr(c, sn, path,
					    "duplicate service: '%s' (line %d) has the same vip, port and proto",
					    o->name, o->line);
		}
		for (j = 0; s->tunnel && j < s->n_backends + s->n_standby;
		     j++) {
			const struct lb_backend_cfg *b =
				j < s->n_backends ?
					&s->backends[j] :
					&s->standby[j - s->n_backends];

			if (b->addr.family == AF_INET && !cfg->tun_plen4)
				return perr(c, sn, path,
					    "mode tunnel to IPv4 back ends needs tunnel_source (an IPv4 prefix for outer source addresses)");
			if (b->addr.family == AF_INET6 && !cfg->tun_plen6)
				return perr(c, sn, path,
					    "mode tunnel to IPv6 back ends needs tunnel_source6 (an IPv6 prefix for outer source addresses)");
		}
		total += s->n_backends + s->n_standby;
		if (total > cfg->max_backends)
			return perr(c, sn, path,
				    "more back ends in total than max_backends=%u",
				    cfg->max_backends);
	}
	return 0;
}

int config_load_string(const char *buf, size_t len, const char *name,
		       struct lb_config *cfg, char *err, size_t errlen)
{
	struct ctx c = { .name = name, .err = err, .errlen = errlen };
	yaml_parser_t parser;
	yaml_document_t doc;
	int ret;

	memset(cfg, 0, sizeof(*cfg));
	if (!yaml_parser_initialize(&parser)) {
		snprintf(err, errlen, "%s: out of memory", name);
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&parser, &doc)) {
		snprintf(err, errlen, "%s:%zu: invalid YAML: %s", name,
			 parser.problem_mark.line + 1,
			 parser.problem ? parser.problem : "parse error");
		yaml_parser_delete(&parser);
		return -EINVAL;
	}
	c.doc = &doc;
	ret = parse_doc(&c, cfg);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	if (ret)
		config_free(cfg);
	return ret;
}

int config_load_file(const char *path, struct lb_config *cfg, char *err,
		     size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int ret;

	memset(cfg, 0, sizeof(*cfg));
	f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: cannot open: %s", path,
			 strerror(errno));
		return -errno;
	}
	if (fseek(f, 0, SEEK_END) || (long)(len = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) || !(buf = malloc(len + 1)) ||
	    fread(buf, 1, len, f) != len) {
		snprintf(err, errlen, "%s: cannot read: %s", path,
			 strerror(errno ? errno : EIO));
		free(buf);
		fclose(f);
		return -EIO;
	}
	fclose(f);
	buf[len] = '\0';
	ret = config_load_string(buf, len, path, cfg, err, errlen);
	free(buf);
	return ret;
}

void config_free(struct lb_config *cfg)
{
	size_t i;

	for (i = 0; i < cfg->n_services; i++) {
		free(cfg->services[i].backends);
		free(cfg->services[i].standby);
	}
	free(cfg->services);
	cfg->services = NULL;
	cfg->n_services = 0;
}
