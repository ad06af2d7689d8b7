// SPDX-License-Identifier: GPL-2.0-only
/*
 * The announce block (where the controller puts the routes of the VIPs it
 * can serve, for a routing daemon to export) and the boolean key type.
 * A service's own `announce:` key is in config_service.c.
 */
#include "config_keys.h"

#include <stdio.h>
#include <string.h>

int parse_bool(struct cfg_ctx *c, const struct cfg_key *k,
	       const yaml_node_t *n, const char *key, void *obj)
{
	bool *out = (bool *)((char *)obj + k->off);
	const char *s;
	int ret;

	ret = cfg_want_scalar(c, n, key, &s);
	if (ret)
		return ret;
	if (!strcmp(s, "true") || !strcmp(s, "yes")) {
		*out = true;
		return 0;
	}
	if (!strcmp(s, "false") || !strcmp(s, "no")) {
		*out = false;
		return 0;
	}
	return cfg_err(c, n, key, "'%s' is not true or false", s);
}

/* Never the kernel's own tables: unspec 0, default 253, main 254,
 * local 255. */
static int check_table(struct cfg_ctx *c, const struct cfg_key *k,
		       const yaml_node_t *n, const char *key, void *obj)
{
	__u32 t = ((struct lb_announce_cfg *)obj)->table;

	if (t < 253 || t > 255)
		return 0;
	return cfg_err(c, n, key,
		       "%u is a table of the kernel's own (253 default, 254 main, 255 local): pick another, e.g. 100",
		       t);
}

static const struct cfg_key announce_keys[] = {
	FUNC("enabled", parse_bool, "boolean", "true, false", "false",
	     .off = offsetof(struct lb_announce_cfg, enabled)),
	U32("table", struct lb_announce_cfg, table, 1, 0x7fffffff,
	    LB_DEFAULT_ANNOUNCE_TABLE, .parse = check_table,
	    .doc_range = "1..2147483647, not 253..255"),
	U32("protocol", struct lb_announce_cfg, protocol, 5, 255,
	    LB_DEFAULT_ANNOUNCE_PROTOCOL),
	U32("hold_ms", struct lb_announce_cfg, hold_ms, 0, 600000,
	    LB_DEFAULT_ANNOUNCE_HOLD_MS),
	FUNC("withdraw_on_exit", parse_bool, "boolean", "true, false",
	     "false", .off = offsetof(struct lb_announce_cfg, withdraw_on_exit)),
};

const struct cfg_block cfg_announce_block = {
	"announce", announce_keys, N_KEYS(announce_keys), false, NULL
};

int parse_announce(struct cfg_ctx *c, const struct cfg_key *k,
		   const yaml_node_t *n, const char *key, void *obj)
{
	return cfg_walk(c, &cfg_announce_block, n, key,
			&((struct lb_config *)obj)->announce);
}
