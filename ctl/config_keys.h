/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The configuration's key tables and the walker that reads a YAML mapping
 * through one of them. Internal to config.c and config_keys.c, and read by
 * the unit tests (every key documented in docs/config.md).
 *
 * A block is a YAML mapping (the top level, flow_timeouts, a service, its
 * health, agent, load and scale, a back end); its table lists every key it
 * accepts with its type, range, the field it fills and its default. The
 * walker rejects unknown and repeated keys and missing required ones, then
 * reads the keys given in table order, so errors come in a fixed order.
 */
#ifndef XLB_CONFIG_KEYS_H
#define XLB_CONFIG_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include <yaml.h>

#include "config.h"

struct cfg_ctx {
	const char *name; /* the file, for messages */
	yaml_document_t *doc;
	char *err;
	size_t errlen;
	struct lb_config *cfg;	    /* being filled */
	struct lb_service_cfg *svc; /* the service being read, or NULL */
	bool standby;		    /* reading a standby back end */
	/* Set: every error goes to on_err and the walk goes on past it (a
	 * block with an error skips its cross-key checks); err keeps the
	 * first. Unset: the walk stops at the first error. */
	config_err_fn on_err;
	void *arg;
	unsigned int n_errs;
};

struct cfg_key;
typedef int (*cfg_parse_fn)(struct cfg_ctx *c, const struct cfg_key *k,
			    const yaml_node_t *n, const char *key, void *obj);

enum cfg_type {
	CFG_U32, /* a number in lo..hi into a __u32 at off */
	CFG_U16, /* a number in lo..hi into a __u16 at off */
	CFG_FUNC, /* read by parse (a block, a list, an address, a word) */
};

#define CFG_REQUIRED 0x1 /* must be given */
#define CFG_NO_DEFAULT 0x2 /* a number whose default is not a constant */

struct cfg_key {
	const char *name;
	enum cfg_type type;
	unsigned int flags;
	size_t off;	/* numbers: the field in the block's struct */
	__u32 lo, hi;	/* numbers: the range (hi 0: none) */
	__u32 def;	/* CFG_U32, CFG_U16: the default */
	/* CFG_FUNC: reads the value; numbers: an extra check after it */
	cfg_parse_fn parse;
	/* As docs/config.md shows them: the type (default "integer"), the
	 * range when it is not lo..hi, and the default when it is not def
	 * ("required", "none", "the service's port", ...). */
	const char *doc_type;
	const char *doc_range;
	const char *doc_def;
};

struct cfg_block;
/* Checks across keys, after the walk; v[i] is the node of keys[i]. */
typedef int (*cfg_finish_fn)(struct cfg_ctx *c, const yaml_node_t *n,
			     const char *path, void *obj, yaml_node_t **v);

#define CFG_MAX_KEYS 24

struct cfg_block {
	const char *name; /* its heading in docs/config.md */
	const struct cfg_key *keys;
	size_t n_keys;
	bool empty_ok; /* "load:" with no value: all defaults */
	cfg_finish_fn finish;
};

/* Building table entries: a number of type t at st.fld in l..h, default d;
 * a key read by fn, documented with type ty, range and default dflt. */
#define CFG_NUM(t, nm, st, fld, l, h, d, ...)                                  \
	{ .name = nm, .type = t, .off = offsetof(st, fld), .lo = l, .hi = h,  \
	  .def = d, __VA_ARGS__ }
#define U32(...) CFG_NUM(CFG_U32, __VA_ARGS__)
#define U16(...) CFG_NUM(CFG_U16, __VA_ARGS__)
#define FUNC(nm, fn, ty, range, dflt, ...)                                     \
	{ .name = nm, .type = CFG_FUNC, .parse = fn, .doc_type = ty,          \
	  .doc_range = range, .doc_def = dflt, __VA_ARGS__ }
#define N_KEYS(a) (sizeof(a) / sizeof((a)[0]))
#define STR_(x) #x
#define STR(x) STR_(x)

/* Every block, in the order docs/config.md describes them. */
extern const struct cfg_block *const cfg_blocks[];
extern const size_t cfg_n_blocks;
extern const struct cfg_block cfg_top_block, cfg_timeouts_block,
	cfg_service_block, cfg_health_block, cfg_agent_block, cfg_load_block,
	cfg_scale_block, cfg_backend_block, cfg_http_block, cfg_announce_block;

/* Parse functions of keys that hold a block, shared by the tables. */
int parse_health(struct cfg_ctx *c, const struct cfg_key *k,
		 const yaml_node_t *n, const char *key, void *obj);
int parse_agent(struct cfg_ctx *c, const struct cfg_key *k,
		const yaml_node_t *n, const char *key, void *obj);
int parse_load(struct cfg_ctx *c, const struct cfg_key *k,
	       const yaml_node_t *n, const char *key, void *obj);
int parse_scale(struct cfg_ctx *c, const struct cfg_key *k,
		const yaml_node_t *n, const char *key, void *obj);
int parse_announce(struct cfg_ctx *c, const struct cfg_key *k,
		   const yaml_node_t *n, const char *key, void *obj);
/* true/false (also yes/no) into the bool at k->off. */
int parse_bool(struct cfg_ctx *c, const struct cfg_key *k,
	       const yaml_node_t *n, const char *key, void *obj);
int parse_services(struct cfg_ctx *c, const struct cfg_key *k,
		   const yaml_node_t *n, const char *key, void *obj);
int parse_http(struct cfg_ctx *c, const struct cfg_key *k,
	       const yaml_node_t *n, const char *key, void *obj);

/* Write the numeric defaults of b's keys into obj. */
void cfg_defaults(const struct cfg_block *b, void *obj);
/* The type, range and default as docs/config.md writes them. */
const char *cfg_key_type(const struct cfg_key *k);
const char *cfg_key_range(const struct cfg_key *k, char *buf, size_t len);
const char *cfg_key_default(const struct cfg_key *k, char *buf, size_t len);

/* Read mapping n (at path) through b's table into obj. When c collects
 * errors (on_err), it reads on past one and returns the first. */
int cfg_walk(struct cfg_ctx *c, const struct cfg_block *b,
	     const yaml_node_t *n, const char *path, void *obj);

/* Helpers for the keys' parse functions. */
int cfg_err(struct cfg_ctx *c, const yaml_node_t *n, const char *key,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* True when the walk should go on after an error (c collects them). */
static inline bool cfg_go_on(const struct cfg_ctx *c)
{
	return c->on_err;
}
int cfg_missing(struct cfg_ctx *c, const yaml_node_t *n, const char *path,
		const char *key);
yaml_node_t *cfg_node(struct cfg_ctx *c, int id);
/* The node's text, or NULL if it is not a scalar. */
const char *cfg_scalar(const yaml_node_t *n);
/* A scalar that is "" ("key:" with nothing after it). */
bool cfg_empty(const yaml_node_t *n);
const char *cfg_type_name(const yaml_node_t *n);
int cfg_want_scalar(struct cfg_ctx *c, const yaml_node_t *n, const char *key,
		    const char **out);
int cfg_get_u32(struct cfg_ctx *c, const yaml_node_t *n, const char *key,
		__u32 min, __u32 max, __u32 *out);

#endif
