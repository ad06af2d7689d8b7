// SPDX-License-Identifier: GPL-2.0-only
/*
 * The YAML configuration (libyaml document API): the walker that reads a
 * mapping through a key table (config_keys.h), and loading a file. Every
 * node carries its line, so every error names FILE:LINE and the key path.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "config_keys.h"
#include "text.h"

int cfg_err(struct cfg_ctx *c, const yaml_node_t *n, const char *key,
	    const char *fmt, ...)
{
	char msg[256], line[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n)
		snprintf(line, sizeof(line), "%s:%zu: %s: %s", c->name,
			 n->start_mark.line + 1, key, msg);
	else
		snprintf(line, sizeof(line), "%s: %s: %s", c->name, key, msg);
	text_oneline(line, sizeof(line));
	if (!c->n_errs++)
		snprintf(c->err, c->errlen, "%s", line);
	if (c->on_err)
		c->on_err(line, c->arg);
	return -EINVAL;
}

int cfg_missing(struct cfg_ctx *c, const yaml_node_t *n, const char *path,
		const char *key)
{
	return cfg_err(c, n, path, "missing required key '%s'", key);
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

yaml_node_t *cfg_node(struct cfg_ctx *c, int id)
{
	return yaml_document_get_node(c->doc, id);
}

const char *cfg_scalar(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value :
					     NULL;
}

bool cfg_empty(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE && !*cfg_scalar(n);
}

const char *cfg_type_name(const yaml_node_t *n)
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

int cfg_want_scalar(struct cfg_ctx *c, const yaml_node_t *n, const char *key,
		    const char **out)
{
	*out = cfg_scalar(n);
	if (!*out)
		return cfg_err(c, n, key, "expected a value, found %s",
			       cfg_type_name(n));
	return 0;
}

int cfg_get_u32(struct cfg_ctx *c, const yaml_node_t *n, const char *key,
		__u32 min, __u32 max, __u32 *out)
{
	const char *s;
	int ret;

	ret = cfg_want_scalar(c, n, key, &s);
	if (ret)
		return ret;
	ret = lb_u32_parse(s, min, max, out);
	if (ret == -ERANGE)
		return cfg_err(c, n, key, "%s is out of range %u..%u", s, min,
			       max);
	if (ret)
		return cfg_err(c, n, key, "'%s' is not a number (%u..%u)", s,
			       min, max);
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

static void key_path(char *buf, size_t len, const char *path,
		     const char *name)
{
	snprintf(buf, len, "%s%s%s", path, *path ? "." : "", name);
}

static int unknown_key(struct cfg_ctx *c, const yaml_node_t *k,
		       const char *key, const struct cfg_block *b,
		       const char *ks)
{
	size_t i;

	for (i = 0; i < b->n_keys; i++)
		if (edit_distance(ks, b->keys[i].name) <= 2)
			return cfg_err(c, k, key,
				       "unknown key (did you mean '%s'?)",
				       b->keys[i].name);
	return cfg_err(c, k, key, "unknown key");
}

/* Check a mapping's keys against b: known, not repeated. Fills v[i] with
 * the value node of b->keys[i] (or NULL). */
static int map_keys(struct cfg_ctx *c, const yaml_node_t *map,
		    const char *path, const struct cfg_block *b,
		    yaml_node_t **v)
{
	const struct cfg_key *keys = b->keys;
	char key[320];
	yaml_node_pair_t *p;
	int ret = 0, r;
	size_t i;

	if (map->type != YAML_MAPPING_NODE)
		return cfg_err(c, map, path, "expected a mapping, found %s",
			       cfg_type_name(map));
	for (p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top && (!ret || cfg_go_on(c)); p++) {
		yaml_node_t *k = cfg_node(c, p->key);
		const char *ks = cfg_scalar(k);

		if (!ks) {
			r = cfg_err(c, k, path, "keys must be plain words");
			ret = ret ?: r;
			continue;
		}
		key_path(key, sizeof(key), path, ks);
		for (i = 0; i < b->n_keys; i++)
			if (!strcmp(ks, keys[i].name))
				break;
		if (i == b->n_keys) {
			r = unknown_key(c, k, key, b, ks);
		} else if (v[i]) {
			r = cfg_err(c, k, key, "duplicate key (first on line %zu)",
				    v[i]->start_mark.line + 1);
		} else {
			v[i] = cfg_node(c, p->value);
			r = 0;
		}
		ret = ret ?: r;
	}
	return ret;
}

static int read_key(struct cfg_ctx *c, const struct cfg_key *k,
		    const yaml_node_t *n, const char *key, void *obj)
{
	char *field = (char *)obj + k->off;
	__u32 x;
	int ret;

	switch (k->type) {
	case CFG_U32:
		ret = cfg_get_u32(c, n, key, k->lo, k->hi, (__u32 *)field);
		break;
	case CFG_U16:
		ret = cfg_get_u32(c, n, key, k->lo, k->hi, &x);
		if (!ret)
			*(__u16 *)field = x;
		break;
	default:
		return k->parse(c, k, n, key, obj);
	}
	if (!ret && k->parse)
		ret = k->parse(c, k, n, key, obj);
	return ret;
}

int cfg_walk(struct cfg_ctx *c, const struct cfg_block *b,
	     const yaml_node_t *n, const char *path, void *obj)
{
	yaml_node_t *v[CFG_MAX_KEYS] = {};
	unsigned int errs = c->n_errs;
	char key[320];
	int ret, r;
	size_t i;

	if (b->empty_ok && cfg_empty(n))
		return b->finish ? b->finish(c, n, path, obj, v) : 0;
	ret = map_keys(c, n, path, b, v);
	if (ret && (!cfg_go_on(c) || n->type != YAML_MAPPING_NODE))
		return ret;
	for (i = 0; i < b->n_keys && (!ret || cfg_go_on(c)); i++)
		if ((b->keys[i].flags & CFG_REQUIRED) && !v[i]) {
			r = cfg_missing(c, n, path, b->keys[i].name);
			ret = ret ?: r;
		}
	for (i = 0; i < b->n_keys && (!ret || cfg_go_on(c)); i++) {
		if (!v[i])
			continue;
		key_path(key, sizeof(key), path, b->keys[i].name);
		r = read_key(c, &b->keys[i], v[i], key, obj);
		ret = ret ?: r;
	}
	if (ret || c->n_errs != errs)
		return ret ?: -EINVAL; /* no cross-key checks on broken keys */
	return b->finish ? b->finish(c, n, path, obj, v) : 0;
}

void cfg_defaults(const struct cfg_block *b, void *obj)
{
	const struct cfg_key *k;

	for (k = b->keys; k < b->keys + b->n_keys; k++) {
		if (k->flags & (CFG_REQUIRED | CFG_NO_DEFAULT))
			continue;
		if (k->type == CFG_U32)
			*(__u32 *)((char *)obj + k->off) = k->def;
		else if (k->type == CFG_U16)
			*(__u16 *)((char *)obj + k->off) = k->def;
	}
}

const char *cfg_key_type(const struct cfg_key *k)
{
	return k->doc_type ? k->doc_type : "integer";
}

const char *cfg_key_range(const struct cfg_key *k, char *buf, size_t len)
{
	if (k->doc_range)
		return k->doc_range;
	if (k->hi)
		snprintf(buf, len, "%u..%u", k->lo, k->hi);
	else
		snprintf(buf, len, "-");
	return buf;
}

const char *cfg_key_default(const struct cfg_key *k, char *buf, size_t len)
{
	if (k->flags & CFG_REQUIRED)
		return "required";
	if (k->doc_def)
		return k->doc_def;
	snprintf(buf, len, "%u", k->def);
	return buf;
}

/* An error outside the walk (the file, the YAML syntax): one line, the
 * only one. */
static int load_fail(struct cfg_ctx *c, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, c->errlen, fmt, ap);
	va_end(ap);
	text_oneline(c->err, c->errlen);
	if (c->on_err)
		c->on_err(c->err, c->arg);
	return ret;
}

static int parse_doc(struct cfg_ctx *c, struct lb_config *cfg)
{
	yaml_node_t *root = yaml_document_get_root_node(c->doc);

	c->cfg = cfg;
	cfg_defaults(&cfg_top_block, cfg);
	cfg_defaults(&cfg_timeouts_block, &cfg->timeouts);
	cfg_defaults(&cfg_announce_block, &cfg->announce);
	cfg->nat_port_min = LB_DEFAULT_NAT_PORT_MIN;
	cfg->nat_port_max = LB_DEFAULT_NAT_PORT_MAX;
	if (!root || cfg_empty(root))
		return 0; /* empty file: no services */
	if (root->type != YAML_MAPPING_NODE)
		return cfg_err(c, root, "(top level)",
			       "expected a mapping of keys (table_size, services, ...), found %s",
			       cfg_type_name(root));
	return cfg_walk(c, &cfg_top_block, root, "", cfg);
}

/*
 * One pass over the events before the document is built: refuse nesting
 * deeper than XLB_CONFIG_MAX_DEPTH as soon as it is seen (libyaml's
 * scanner costs grow with the square of the depth, and the document would
 * be built in full first), and a second document, which the loader below
 * would silently ignore.
 */
static int prescan(const char *buf, size_t len, const char *name, char *err,
		   size_t errlen)
{
	yaml_parser_t p;
	yaml_event_t ev;
	int depth = 0, docs = 0, ret = 0;
	bool done = false;

	if (!yaml_parser_initialize(&p)) {
		snprintf(err, errlen, "%s: out of memory", name);
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
	while (!done && !ret) {
		if (!yaml_parser_parse(&p, &ev)) {
			ret = 1; /* the loader reports the syntax error */
			break;
		}
		switch (ev.type) {
		case YAML_DOCUMENT_START_EVENT:
			if (++docs > 1) {
				snprintf(err, errlen,
					 "%s:%zu: a second YAML document: a configuration is one document (remove the '---' and what follows, or merge them)",
					 name, ev.start_mark.line + 1);
				ret = -EINVAL;
			}
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (++depth > XLB_CONFIG_MAX_DEPTH) {
				snprintf(err, errlen,
					 "%s:%zu: nested deeper than %d levels",
					 name, ev.start_mark.line + 1,
					 XLB_CONFIG_MAX_DEPTH);
				ret = -EINVAL;
			}
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			depth--;
			break;
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	if (ret < 0)
		text_oneline(err, errlen);
	return ret < 0 ? ret : 0;
}

int config_load_string_all(const char *buf, size_t len, const char *name,
			   struct lb_config *cfg, char *err, size_t errlen,
			   config_err_fn fn, void *arg)
{
	struct cfg_ctx c = { .name = name, .err = err, .errlen = errlen,
			     .on_err = fn, .arg = arg };
	yaml_parser_t parser;
	char tmp[512];
	yaml_document_t doc;
	int ret;

	memset(cfg, 0, sizeof(*cfg));
	if (len > XLB_CONFIG_MAX_BYTES)
		return load_fail(&c, -EFBIG,
				 "%s: %zu bytes, larger than the limit of %d bytes",
				 name, len, XLB_CONFIG_MAX_BYTES);
	ret = prescan(buf, len, name, tmp, sizeof(tmp));
	if (ret)
		return load_fail(&c, ret, "%s", tmp);
	if (!yaml_parser_initialize(&parser))
		return load_fail(&c, -ENOMEM, "%s: out of memory", name);
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&parser, &doc)) {
		ret = load_fail(&c, -EINVAL, "%s:%zu: invalid YAML: %s", name,
				parser.problem_mark.line + 1,
				parser.problem ? parser.problem :
						 "parse error");
		yaml_parser_delete(&parser);
		return ret;
	}
	c.doc = &doc;
	ret = parse_doc(&c, cfg);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	if (ret)
		config_free(cfg);
	return ret;
}

int config_load_string(const char *buf, size_t len, const char *name,
		       struct lb_config *cfg, char *err, size_t errlen)
{
	return config_load_string_all(buf, len, name, cfg, err, errlen, NULL,
				      NULL);
}

/* Read a whole file of at most XLB_CONFIG_MAX_BYTES into a fresh buffer
 * (a pipe or /dev/stdin too); one line in err otherwise. */
static int read_file(const char *path, char **out, size_t *out_len,
		     char *err, size_t errlen)
{
	size_t len = 0, cap = 64 * 1024;
	struct stat st;
	char *buf, *nb;
	ssize_t n;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: cannot open: %s", path,
			 strerror(errno));
		return ret;
	}
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: is a directory, not a configuration file",
			 path);
		close(fd);
		return -EISDIR;
	}
	buf = malloc(cap);
	while (buf) {
		if (len + 1 >= cap) {
			if (cap > XLB_CONFIG_MAX_BYTES) {
				snprintf(err, errlen,
					 "%s: larger than the limit of %d bytes",
					 path, XLB_CONFIG_MAX_BYTES);
				ret = -EFBIG;
				break;
			}
			nb = realloc(buf, cap * 2);
			if (!nb)
				break;
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			snprintf(err, errlen, "%s: cannot read: %s", path,
				 strerror(errno));
			break;
		}
		if (n == 0)
			break;
		len += n;
	}
	close(fd);
	if (!buf && !ret) {
		snprintf(err, errlen, "%s: out of memory", path);
		ret = -ENOMEM;
	}
	if (ret) {
		free(buf);
		text_oneline(err, errlen);
		return ret;
	}
	buf[len] = '\0';
	*out = buf;
	*out_len = len;
	return 0;
}

int config_load_file_all(const char *path, struct lb_config *cfg,
			 char *err, size_t errlen, config_err_fn fn,
			 void *arg)
{
	struct cfg_ctx c = { .err = err, .errlen = errlen, .on_err = fn,
			     .arg = arg };
	char *buf = NULL, tmp[512];
	size_t len = 0;
	int ret;

	memset(cfg, 0, sizeof(*cfg));
	ret = read_file(path, &buf, &len, tmp, sizeof(tmp));
	if (ret)
		return load_fail(&c, ret, "%s", tmp);
	ret = config_load_string_all(buf, len, path, cfg, err, errlen, fn, arg);
	free(buf);
	return ret;
}

int config_load_file(const char *path, struct lb_config *cfg, char *err,
		     size_t errlen)
{
	return config_load_file_all(path, cfg, err, errlen, NULL, NULL);
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
