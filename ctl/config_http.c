// SPDX-License-Identifier: GPL-2.0-only
/*
 * The http block: where the controller serves /metrics, the console and
 * its JSON API (ctl/http.c), and the file holding the token that the
 * console's actions need. Absent: no listener.
 */
#include "config_keys.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "198.18.0.2:9180" or "[fd00::2]:9180" */
static int parse_listen(struct cfg_ctx *c, const struct cfg_key *k,
			const yaml_node_t *n, const char *key, void *obj)
{
	struct lb_http_cfg *h = obj;
	char buf[80], *host = buf, *colon;
	const char *s;
	__u32 port;
	int ret;

	ret = cfg_want_scalar(c, n, key, &s);
	if (ret)
		return ret;
	snprintf(buf, sizeof(buf), "%s", s);
	colon = strrchr(buf, ':');
	if (colon)
		*colon = '\0';
	if (buf[0] == '[') {
		size_t len = strlen(buf);

		host = buf + 1;
		if (len < 3 || buf[len - 1] != ']')
			colon = NULL;
		else
			buf[len - 1] = '\0';
	}
	if (!colon || strlen(s) >= sizeof(buf) || lb_addr_parse(host, &h->addr) ||
	    (h->addr.family == AF_INET6) != (buf[0] == '[') ||
	    lb_u32_parse(colon + 1, 1, 65535, &port))
		return cfg_err(c, n, key,
			       "'%s' is not ADDR:PORT (127.0.0.1:9180, [::1]:9180)",
			       s);
	h->port = port;
	h->enabled = true;
	return 0;
}

static int parse_token_file(struct cfg_ctx *c, const struct cfg_key *k,
			    const yaml_node_t *n, const char *key, void *obj)
{
	struct lb_http_cfg *h = obj;
	const char *s;
	int ret;

	ret = cfg_want_scalar(c, n, key, &s);
	if (ret)
		return ret;
	if (s[0] != '/' || strlen(s) >= sizeof(h->token_file))
		return cfg_err(c, n, key,
			       "'%s' is not an absolute path (< %zu chars)", s,
			       sizeof(h->token_file));
	snprintf(h->token_file, sizeof(h->token_file), "%s", s);
	return 0;
}

static const struct cfg_key http_keys[] = {
	FUNC("listen", parse_listen, "address:port",
	     "IPv4:PORT or [IPv6]:PORT", "required", .flags = CFG_REQUIRED),
	FUNC("token_file", parse_token_file, "path", "absolute",
	     "none (read-only)"),
};

const struct cfg_block cfg_http_block = {
	"http", http_keys, N_KEYS(http_keys), false, NULL
};

int parse_http(struct cfg_ctx *c, const struct cfg_key *k,
	       const yaml_node_t *n, const char *key, void *obj)
{
	struct lb_config *cfg = obj;

	memset(&cfg->http, 0, sizeof(cfg->http));
	return cfg_walk(c, &cfg_http_block, n, key, &cfg->http);
}
