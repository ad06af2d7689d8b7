// SPDX-License-Identifier: GPL-2.0-only
/*
 * The key tables of a service and of a back end (backends and standby),
 * and the services list with its checks across services. The other blocks
 * are in config_keys.c.
 */
#include "config_keys.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- a back end (backends and standby) ---- */

enum { B_START, B_STOP, B_PORT, B_CAPACITY, B_ADDR, B_WEIGHT, B_MAC,
       B_HEALTH, B_AGENT, B_N };

static int parse_cmd(struct cfg_ctx *c, const struct cfg_key *k,
		     const yaml_node_t *n, const char *key, void *obj)
{
	char *out = (char *)obj + k->off;
	const char *s;
	int ret;

	if (!c->standby)
		return cfg_err(c, n, key,
			       "only standby back ends have start/stop commands");
	ret = cfg_want_scalar(c, n, key, &s);
	if (ret)
		return ret;
	if (!*s || strlen(s) >= LB_CMD_MAX)
		return cfg_err(c, n, key,
			       "expected a shell command of 1..%d chars",
			       LB_CMD_MAX - 1);
	snprintf(out, LB_CMD_MAX, "%s", s);
	return 0;
}

static int parse_backend_port(struct cfg_ctx *c, const struct cfg_key *k,
			      const yaml_node_t *n, const char *key, void *obj)
{
	struct lb_backend_cfg *b = obj;
	__u32 x;
	int ret;

	if (!c->svc->nat)
		return cfg_err(c, n, key,
			       "only mode nat maps ports (dsr and tunnel back ends answer on the VIP's port)");
	ret = cfg_get_u32(c, n, key, k->lo, k->hi, &x);
	if (!ret)
		b->port = x;
	return ret;
}

static int parse_backend_addr(struct cfg_ctx *c, const struct cfg_key *k,
			      const yaml_node_t *n, const char *key, void *obj)
{
	const struct lb_service_cfg *svc = c->svc;
	struct lb_backend_cfg *b = obj;
	const char *s;
	int ret;

	ret = cfg_want_scalar(c, n, key, &s);
	if (ret)
		return ret;
	if (lb_addr_parse(s, &b->addr))
		return cfg_err(c, n, key, "'%s' is not an IPv4 or IPv6 address",
			       s);
	if (b->addr.family != svc->vip.family &&
	    !(svc->tunnel && b->addr.family == AF_INET6))
		return cfg_err(c, n, key,
			       svc->tunnel ?
				       "%s: an IPv6 vip cannot be tunnelled to an IPv4 back end" :
				       "%s is not of the same address family as the vip (mode: tunnel carries IPv4 to IPv6 back ends)",
			       s);
	return 0;
}

static int parse_mac(struct cfg_ctx *c, const struct cfg_key *k,
		     const yaml_node_t *n, const char *key, void *obj)
{
	struct lb_backend_cfg *b = obj;
	const char *s;
	int ret;

	ret = cfg_want_scalar(c, n, key, &s);
	if (ret)
		return ret;
	ret = lb_mac_parse(s, b->mac);
	if (ret)
		return cfg_err(c, n, key, "'%s' is %s", s, lb_mac_problem(ret));
	b->has_mac = true;
	return 0;
}

static int backend_finish(struct cfg_ctx *c, const yaml_node_t *n,
			  const char *path, void *obj, yaml_node_t **v)
{
	if (c->standby && !v[B_START])
		return cfg_missing(c, n, path, "start");
	if (c->standby && !v[B_STOP])
		return cfg_missing(c, n, path, "stop");
	return 0;
}

static const struct cfg_key backend_keys[] = {
	[B_START] = FUNC("start", parse_cmd, "string", "1..511 chars",
			 "required (standby only)",
			 .off = offsetof(struct lb_backend_cfg, start)),
	[B_STOP] = FUNC("stop", parse_cmd, "string", "1..511 chars",
			"required (standby only)",
			.off = offsetof(struct lb_backend_cfg, stop)),
	[B_PORT] = FUNC("port", parse_backend_port, "port", NULL,
			"the service's port", .lo = 1, .hi = 65535),
	[B_CAPACITY] = U32("capacity", struct lb_backend_cfg, capacity, 1,
			   100000000, 0, .flags = CFG_NO_DEFAULT,
			   .doc_def = "none"),
	[B_ADDR] = FUNC("addr", parse_backend_addr, "address",
			"IPv4 or IPv6", NULL, .flags = CFG_REQUIRED),
	[B_WEIGHT] = U32("weight", struct lb_backend_cfg, weight, 0,
			 LB_WEIGHT_MAX, LB_DEFAULT_WEIGHT),
	[B_MAC] = FUNC("mac", parse_mac, "MAC address", "like 02:00:00:00:00:12",
		       "resolved by ARP/ND"),
	[B_HEALTH] = FUNC("health", parse_health, "mapping", "see health",
			  "the service's",
			  .off = offsetof(struct lb_backend_cfg, health)),
	[B_AGENT] = FUNC("agent", parse_agent, "mapping", "see agent",
			 "the service's",
			 .off = offsetof(struct lb_backend_cfg, agent)),
};

const struct cfg_block cfg_backend_block = {
	"backends and standby", backend_keys, N_KEYS(backend_keys), false,
	backend_finish
};

/* A list of back ends (backends or standby) into *out, *n_out. */
/* Back end i of list (just read) against the ones before it, and a
 * standby one against the service's back ends. A back end whose address
 * had an error has none and matches none. */
static int backend_unique(struct cfg_ctx *c, const yaml_node_t *bn,
			  const char *bpath, const struct lb_backend_cfg *list,
			  size_t i)
{
	const struct lb_service_cfg *s = c->svc;
	const struct lb_backend_cfg *b = &list[i];
	size_t j;

	for (j = 0; j < i; j++)
		if (lb_addr_eq(&list[j].addr, &b->addr))
			return cfg_err(c, bn, bpath,
				       "duplicate back end (first on line %d)",
				       list[j].line);
	for (j = 0; c->standby && j < s->n_backends; j++)
		if (lb_addr_eq(&s->backends[j].addr, &b->addr))
			return cfg_err(c, bn, bpath,
				       "already a back end (line %d)",
				       s->backends[j].line);
	return 0;
}

static int parse_backend_list(struct cfg_ctx *c, const yaml_node_t *list,
			      const char *key, struct lb_backend_cfg **out,
			      size_t *n_out)
{
	char bpath[128];
	int ret = 0, r;
	size_t i, nb;

	if (cfg_empty(list))
		return 0; /* "backends:" with nothing after it */
	if (list->type != YAML_SEQUENCE_NODE)
		return cfg_err(c, list, key, "expected a list, found %s",
			       cfg_type_name(list));
	nb = list->data.sequence.items.top - list->data.sequence.items.start;
	*out = calloc(nb ? nb : 1, sizeof(**out));
	if (!*out)
		return cfg_err(c, list, key, "out of memory");
	for (i = 0; i < nb; i++) {
		yaml_node_t *bn = cfg_node(c, list->data.sequence.items.start[i]);
		struct lb_backend_cfg *b = &(*out)[i];

		snprintf(bpath, sizeof(bpath), "%s[%zu]", key, i);
		*n_out = i + 1;
		cfg_defaults(&cfg_backend_block, b);
		b->line = bn->start_mark.line + 1;
		b->health = c->svc->health;
		b->agent = c->svc->agent;
		r = cfg_walk(c, &cfg_backend_block, bn, bpath, b);
		if (!r)
			r = backend_unique(c, bn, bpath, *out, i);
		ret = ret ?: r;
		if (ret && !cfg_go_on(c))
			break;
	}
	return ret;
}

static int parse_backends(struct cfg_ctx *c, const struct cfg_key *k,
			  const yaml_node_t *n, const char *key, void *obj)
{
	struct lb_service_cfg *s = obj;

	c->standby = false;
	return parse_backend_list(c, n, key, &s->backends, &s->n_backends);
}

static int parse_standby(struct cfg_ctx *c, const struct cfg_key *k,
			 const yaml_node_t *n, const char *key, void *obj)
{
	struct lb_service_cfg *s = obj;
	int ret;

	c->standby = true;
	ret = parse_backend_list(c, n, key, &s->standby, &s->n_standby);
	c->standby = false;
	return ret;
}

/* ---- a service ---- */

enum { S_NAME, S_VIP, S_PORT, S_PROTO, S_HEALTH, S_MODE, S_PERSIST, S_AGENT,
       S_LOAD, S_SLOW_START, S_BACKENDS, S_STANDBY, S_SCALE, S_ANNOUNCE,
       S_N };

static int parse_name(struct cfg_ctx *c, const struct cfg_key *k,
		      const yaml_node_t *n, const char *key, void *obj)
{
	struct lb_service_cfg *s = obj;
	const char *str;
	int ret;

	ret = cfg_want_scalar(c, n, key, &str);
	if (ret)
		return ret;
	if (!config_name_valid(str))
		return cfg_err(c, n, key,
			       "'%s' is not a valid name (1-63 of A-Z a-z 0-9 _ . -, not starting with -)",
			       str);
	snprintf(s->name, sizeof(s->name), "%s", str);
	return 0;
}

static int parse_vip(struct cfg_ctx *c, const struct cfg_key *k,
		     const yaml_node_t *n, const char *key, void *obj)
{
	struct lb_service_cfg *s = obj;
	const char *str;
	int ret;

	ret = cfg_want_scalar(c, n, key, &str);
	if (ret)
		return ret;
	if (lb_addr_parse(str, &s->vip))
		return cfg_err(c, n, key, "'%s' is not an IPv4 or IPv6 address",
			       str);
	return 0;
}

/* After the port: the health block probes it unless it says otherwise. */
static int service_port_set(struct cfg_ctx *c, const struct cfg_key *k,
			    const yaml_node_t *n, const char *key, void *obj)
{
	struct lb_service_cfg *s = obj;

	s->health.port = s->port;
	return 0;
}

static int parse_proto(struct cfg_ctx *c, const struct cfg_key *k,
		       const yaml_node_t *n, const char *key, void *obj)
{
	struct lb_service_cfg *s = obj;
	const char *str;
	int ret;

	ret = cfg_want_scalar(c, n, key, &str);
	if (ret)
		return ret;
	if (lb_proto_parse(str, &s->proto))
		return cfg_err(c, n, key, "'%s' is not tcp or udp", str);
	return 0;
}

static int parse_mode(struct cfg_ctx *c, const struct cfg_key *k,
		      const yaml_node_t *n, const char *key, void *obj)
{
	struct lb_service_cfg *s = obj;
	const char *str;
	int ret;

	ret = cfg_want_scalar(c, n, key, &str);
	if (ret)
		return ret;
	if (!strcmp(str, "tunnel"))
		s->tunnel = true;
	else if (!strcmp(str, "nat"))
		s->nat = true;
	else if (strcmp(str, "dsr"))
		return cfg_err(c, n, key, "'%s' is not dsr, tunnel or nat",
			       str);
	return 0;
}

/* "none", "src-ip" or "src-ip/N". */
static int parse_persistence(struct cfg_ctx *c, const struct cfg_key *k,
			     const yaml_node_t *n, const char *key, void *obj)
{
	struct lb_service_cfg *s = obj;
	__u32 max = s->vip.family == AF_INET6 ? 128 : 32, plen = max;
	const char *str;
	int ret;

	ret = cfg_want_scalar(c, n, key, &str);
	if (ret)
		return ret;
	if (!strcmp(str, "none"))
		return 0;
	if (strncmp(str, "src-ip", 6) || (str[6] && str[6] != '/') ||
	    (str[6] == '/' && lb_u32_parse(str + 7, 0, max, &plen)))
		return cfg_err(c, n, key,
			       "'%s' is not none, src-ip or src-ip/PREFIX (0..%u)",
			       str, max);
	s->persist = true;
	s->persist_prefix = plen;
	return 0;
}

static int service_finish(struct cfg_ctx *c, const yaml_node_t *n,
			  const char *path, void *obj, yaml_node_t **v)
{
	struct lb_service_cfg *s = obj;

	s->load.enabled = v[S_LOAD] || s->agent.type == HEALTH_AGENT ||
			  s->health.type == HEALTH_AGENT;
	if (s->n_standby && !v[S_SCALE])
		return cfg_missing(c, n, path, "scale");
	return 0;
}

static const struct cfg_key service_keys[] = {
	[S_NAME] = FUNC("name", parse_name, "string",
			"1..63 of A-Z a-z 0-9 _ . -, not starting with -",
			NULL, .flags = CFG_REQUIRED),
	[S_VIP] = FUNC("vip", parse_vip, "address", "IPv4 or IPv6", NULL,
		       .flags = CFG_REQUIRED),
	[S_PORT] = U16("port", struct lb_service_cfg, port, 1, 65535, 0,
		       .flags = CFG_REQUIRED, .parse = service_port_set,
		       .doc_type = "port"),
	[S_PROTO] = FUNC("proto", parse_proto, "word", "tcp, udp", NULL,
			 .flags = CFG_REQUIRED),
	[S_HEALTH] = FUNC("health", parse_health, "mapping", "see health",
			  "none (no probes)",
			  .off = offsetof(struct lb_service_cfg, health)),
	[S_MODE] = FUNC("mode", parse_mode, "word", "dsr, tunnel, nat", "dsr"),
	[S_PERSIST] = FUNC("persistence", parse_persistence, "word",
			   "none, src-ip, src-ip/PREFIX", "none"),
	[S_AGENT] = FUNC("agent", parse_agent, "mapping", "see agent", "none",
			 .off = offsetof(struct lb_service_cfg, agent)),
	[S_LOAD] = FUNC("load", parse_load, "mapping", "see load",
			"none (on with an agent)",
			.off = offsetof(struct lb_service_cfg, load)),
	[S_SLOW_START] = U32("slow_start", struct lb_service_cfg,
			     load.slow_start, 0, 3600,
			     POLICY_DEFAULT_SLOW_START),
	[S_BACKENDS] = FUNC("backends", parse_backends, "list",
			    "see backends and standby", "none"),
	[S_STANDBY] = FUNC("standby", parse_standby, "list",
			   "see backends and standby", "none"),
	[S_SCALE] = FUNC("scale", parse_scale, "mapping", "see scale",
			 "required with standby"),
	[S_ANNOUNCE] = FUNC("announce", parse_bool, "boolean", "true, false",
			    "announce.enabled",
			    .off = offsetof(struct lb_service_cfg, announce)),
};

const struct cfg_block cfg_service_block = {
	"services", service_keys, N_KEYS(service_keys), false, service_finish
};

/* A service's checks against the others and the top level. */
static int service_check(struct cfg_ctx *c, const yaml_node_t *sn,
			 const char *path, size_t i, size_t *total)
{
	const struct lb_config *cfg = c->cfg;
	const struct lb_service_cfg *s = &cfg->services[i];
	size_t j;

	for (j = 0; j < i; j++) {
		const struct lb_service_cfg *o = &cfg->services[j];

		if (o->broken)
			continue;
		if (!strcmp(o->name, s->name))
			return cfg_err(c, sn, path,
				       "duplicate service name '%s' (first on line %d)",
				       s->name, o->line);
		if (lb_addr_eq(&o->vip, &s->vip) && o->port == s->port &&
		    o->proto == s->proto)
			return cfg_err(c, sn, path,
				       "duplicate service: '%s' (line %d) has the same vip, port and proto",
				       o->name, o->line);
	}
	for (j = 0; s->tunnel && j < s->n_backends + s->n_standby; j++) {
		const struct lb_backend_cfg *b =
			j < s->n_backends ? &s->backends[j] :
					    &s->standby[j - s->n_backends];

		if (b->addr.family == AF_INET && !cfg->tun_plen4)
			return cfg_err(c, sn, path,
				       "mode tunnel to IPv4 back ends needs tunnel_source (an IPv4 prefix for outer source addresses)");
		if (b->addr.family == AF_INET6 && !cfg->tun_plen6)
			return cfg_err(c, sn, path,
				       "mode tunnel to IPv6 back ends needs tunnel_source6 (an IPv6 prefix for outer source addresses)");
	}
	*total += s->n_backends + s->n_standby;
	if (*total > cfg->max_backends)
		return cfg_err(c, sn, path,
			       "more back ends in total than max_backends=%u",
			       cfg->max_backends);
	return 0;
}

int parse_services(struct cfg_ctx *c, const struct cfg_key *k,
			  const yaml_node_t *n, const char *key, void *obj)
{
	struct lb_config *cfg = obj;
	size_t i, nsvc, total = 0;
	char path[64];
	int ret = 0, r;

	if (cfg_empty(n))
		return 0;
	if (n->type != YAML_SEQUENCE_NODE)
		return cfg_err(c, n, key, "expected a list, found %s",
			       cfg_type_name(n));
	nsvc = n->data.sequence.items.top - n->data.sequence.items.start;
	if (nsvc > cfg->max_services)
		return cfg_err(c, n, key, "%zu services, more than max_services=%u",
			       nsvc, cfg->max_services);
	cfg->services = calloc(nsvc ? nsvc : 1, sizeof(*cfg->services));
	if (!cfg->services)
		return cfg_err(c, n, key, "out of memory");
	for (i = 0; i < nsvc; i++) {
		yaml_node_t *sn = cfg_node(c, n->data.sequence.items.start[i]);
		struct lb_service_cfg *s = &cfg->services[i];

		snprintf(path, sizeof(path), "services[%zu]", i);
		cfg->n_services = i + 1;
		s->line = sn->start_mark.line + 1;
		health_cfg_defaults(&s->health);
		s->health.type = HEALTH_NONE; /* no health block: no probes */
		policy_defaults(&s->load);
		s->announce = cfg->announce.enabled;
		c->svc = s;
		r = cfg_walk(c, &cfg_service_block, sn, path, s);
		c->svc = NULL;
		if (!r)
			r = service_check(c, sn, path, i, &total);
		else
			s->broken = true; /* later services skip it */
		ret = ret ?: r;
		if (ret && !cfg_go_on(c))
			break;
	}
	return ret;
}
