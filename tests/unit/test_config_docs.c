// SPDX-License-Identifier: GPL-2.0-only
/*
 * The configuration's key tables against the documents and the modules:
 * every key in docs/config.md with the tables' type, range and default,
 * nothing documented that does not exist, the complete example there
 * parsing and naming every key, the README's example parsing, the
 * modules' defaults equal to the tables', and every numeric key of every
 * block rejecting an out-of-range value with FILE:LINE and its path.
 * Run from the repository root (tests/run.sh does).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "config.h"
#include "config_keys.h"

#define CONFIG_MD "docs/config.md"
#define README_MD "README.md"

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long len;

	if (!f) {
		print_error("cannot open %s (run from the repository root)\n",
			    path);
		fail();
	}
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = calloc(1, len + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, len, f), len);
	fclose(f);
	return buf;
}

/* The first ```yaml block after `after` (or anywhere) as a new string,
 * with the lines before it left empty so that messages name the line in
 * the file; or NULL. */
static char *yaml_block(const char *text, const char *after)
{
	const char *p = after ? strstr(text, after) : text, *end, *q;
	size_t lines = 0;
	char *out;

	if (!p || !(p = strstr(p, "```yaml\n")))
		return NULL;
	p += strlen("```yaml\n");
	end = strstr(p, "\n```");
	if (!end)
		return NULL;
	for (q = text; q < p; q++)
		lines += *q == '\n';
	out = calloc(1, lines + (end - p) + 2);
	if (!out)
		return NULL;
	memset(out, '\n', lines);
	memcpy(out + lines, p, end - p + 1);
	return out;
}

static const struct cfg_block *block_named(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < cfg_n_blocks; i++)
		if (strlen(cfg_blocks[i]->name) == len &&
		    !strncmp(cfg_blocks[i]->name, name, len))
			return cfg_blocks[i];
	return NULL;
}

static const struct cfg_key *key_named(const struct cfg_block *b,
				       const char *name)
{
	size_t i;

	for (i = 0; i < b->n_keys; i++)
		if (!strcmp(b->keys[i].name, name))
			return &b->keys[i];
	return NULL;
}

/* "| `key` | type | range | default | meaning |" into its cells. */
static int row_cells(char *line, char **cell, int max)
{
	int n = 0;
	char *p = line + 1, *bar;

	while (n < max && (bar = strchr(p, '|'))) {
		*bar = '\0';
		while (*p == ' ')
			p++;
		cell[n] = p;
		for (p = bar - 1; p >= cell[n] && *p == ' '; p--)
			*p = '\0';
		n++;
		p = bar + 1;
	}
	return n;
}

/* One documented row of block b: the key exists, and its type, range and
 * default are the table's. Marks it seen. */
static int check_row(const struct cfg_block *b, char *line, bool *seen)
{
	char *cell[5], name[64], buf[64];
	const struct cfg_key *k;
	int bad = 0;

	if (row_cells(line, cell, 5) != 5 || cell[0][0] != '`') {
		print_error("%s: a row that is not | `key` | type | range | default | meaning |\n",
			    b->name);
		return 1;
	}
	snprintf(name, sizeof(name), "%.*s", (int)strlen(cell[0]) - 2,
		 cell[0] + 1);
	k = key_named(b, name);
	if (!k) {
		print_error("docs/config.md documents %s.%s, which the table does not have\n",
			    b->name, name);
		return 1;
	}
	seen[k - b->keys] = true;
	if (strcmp(cell[1], cfg_key_type(k))) {
		print_error("%s.%s: type '%s' in the docs, '%s' in the table\n",
			    b->name, name, cell[1], cfg_key_type(k));
		bad = 1;
	}
	if (strcmp(cell[2], cfg_key_range(k, buf, sizeof(buf)))) {
		print_error("%s.%s: range '%s' in the docs, '%s' in the table\n",
			    b->name, name, cell[2],
			    cfg_key_range(k, buf, sizeof(buf)));
		bad = 1;
	}
	if (strcmp(cell[3], cfg_key_default(k, buf, sizeof(buf)))) {
		print_error("%s.%s: default '%s' in the docs, '%s' in the table\n",
			    b->name, name, cell[3],
			    cfg_key_default(k, buf, sizeof(buf)));
		bad = 1;
	}
	return bad;
}

static void test_docs_document_every_key(void **state)
{
	bool seen[16][CFG_MAX_KEYS] = {}, heading[16] = {};
	char *text = read_text(CONFIG_MD), *line, *save;
	const struct cfg_block *cur = NULL;
	size_t i, j;
	int bad = 0;

	assert_true(cfg_n_blocks <= 16);
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "### ", 4)) {
			cur = block_named(line + 4, strlen(line + 4));
			for (i = 0; cur && i < cfg_n_blocks; i++)
				if (cfg_blocks[i] == cur)
					heading[i] = true;
		} else if (!strncmp(line, "#", 1)) {
			cur = NULL;
		} else if (cur && !strncmp(line, "| `", 3)) {
			for (i = 0; cfg_blocks[i] != cur; i++)
				;
			bad |= check_row(cur, line, seen[i]);
		}
	}
	for (i = 0; i < cfg_n_blocks; i++) {
		assert_true(cfg_blocks[i]->n_keys <= CFG_MAX_KEYS);
		if (!heading[i]) {
			print_error("docs/config.md has no '### %s' section\n",
				    cfg_blocks[i]->name);
			bad = 1;
			continue;
		}
		for (j = 0; j < cfg_blocks[i]->n_keys; j++)
			if (!seen[i][j]) {
				print_error("docs/config.md does not document %s.%s\n",
					    cfg_blocks[i]->name,
					    cfg_blocks[i]->keys[j].name);
				bad = 1;
			}
	}
	free(text);
	assert_int_equal(bad, 0);
}

/* The block a key's value is read with, for the walk below. */
static const struct cfg_block *child_block(const char *key)
{
	static const struct {
		const char *key;
		const struct cfg_block *b;
	} map[] = {
		{ "flow_timeouts", &cfg_timeouts_block },
		{ "services", &cfg_service_block },
		{ "health", &cfg_health_block },
		{ "agent", &cfg_agent_block },
		{ "load", &cfg_load_block },
		{ "scale", &cfg_scale_block },
		{ "backends", &cfg_backend_block },
		{ "standby", &cfg_backend_block },
		{ "http", &cfg_http_block },
		{ "announce", &cfg_announce_block },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(map[i].key, key))
			return map[i].b;
	return NULL;
}

static size_t block_index(const struct cfg_block *b)
{
	size_t i;

	for (i = 0; cfg_blocks[i] != b; i++)
		;
	return i;
}

/* Marks in seen every key that mapping n, read as block b, names. */
static void walk_names(yaml_document_t *doc, yaml_node_t *n,
		       const struct cfg_block *b, bool (*seen)[CFG_MAX_KEYS])
{
	yaml_node_pair_t *p;
	yaml_node_item_t *it;

	if (n->type == YAML_SEQUENCE_NODE) {
		for (it = n->data.sequence.items.start;
		     it < n->data.sequence.items.top; it++)
			walk_names(doc, yaml_document_get_node(doc, *it), b,
				   seen);
		return;
	}
	if (n->type != YAML_MAPPING_NODE)
		return;
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(doc, p->key);
		const char *name = (const char *)k->data.scalar.value;
		const struct cfg_key *key = key_named(b, name);
		const struct cfg_block *child = child_block(name);

		if (!key)
			continue;
		seen[block_index(b)][key - b->keys] = true;
		if (child)
			walk_names(doc, yaml_document_get_node(doc, p->value),
				   child, seen);
	}
}

static void test_docs_example_names_every_key(void **state)
{
	char *text = read_text(CONFIG_MD), err[256];
	char *yaml = yaml_block(text, "## Complete example");
	bool seen[16][CFG_MAX_KEYS] = {};
	yaml_parser_t parser;
	yaml_document_t doc;
	struct lb_config cfg;
	size_t i, j;
	int bad = 0;

	free(text);
	assert_non_null(yaml);
	if (config_load_string(yaml, strlen(yaml), "config.md", &cfg, err,
			       sizeof(err))) {
		print_error("the complete example does not load: %s\n", err);
		fail();
	}
	config_free(&cfg);
	assert_true(yaml_parser_initialize(&parser));
	yaml_parser_set_input_string(&parser, (const unsigned char *)yaml,
				     strlen(yaml));
	assert_true(yaml_parser_load(&parser, &doc));
	walk_names(&doc, yaml_document_get_root_node(&doc), &cfg_top_block,
		   seen);
	for (i = 0; i < cfg_n_blocks; i++)
		for (j = 0; j < cfg_blocks[i]->n_keys; j++)
			if (!seen[i][j]) {
				print_error("the complete example does not use %s.%s\n",
					    cfg_blocks[i]->name,
					    cfg_blocks[i]->keys[j].name);
				bad = 1;
			}
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	free(yaml);
	assert_int_equal(bad, 0);
}

static void test_readme_example_parses(void **state)
{
	char *text = read_text(README_MD), err[256];
	char *yaml = yaml_block(text, NULL);
	struct lb_config cfg;

	free(text);
	if (!yaml) {
		print_error("README.md has no ```yaml block (its example config)\n");
		fail();
	}
	if (config_load_string(yaml, strlen(yaml), "README.md", &cfg, err,
			       sizeof(err))) {
		print_error("the README's example does not load: %s\n", err);
		fail();
	}
	assert_true(cfg.n_services > 0);
	config_free(&cfg);
	free(yaml);
}

/* The numeric defaults of block b, applied to a zeroed struct of size sz,
 * equal those of the module's own function in want. */
static void expect_defaults(const struct cfg_block *b, const void *want,
			    size_t sz)
{
	char got[1024] = {};
	size_t i;

	assert_true(sz <= sizeof(got));
	cfg_defaults(b, got);
	for (i = 0; i < b->n_keys; i++) {
		const struct cfg_key *k = &b->keys[i];
		__u32 g, w;

		if (k->type == CFG_FUNC || (k->flags & (CFG_REQUIRED |
							CFG_NO_DEFAULT)))
			continue;
		if (k->type == CFG_U32) {
			memcpy(&g, got + k->off, 4);
			memcpy(&w, (const char *)want + k->off, 4);
		} else {
			__u16 g16, w16;

			memcpy(&g16, got + k->off, 2);
			memcpy(&w16, (const char *)want + k->off, 2);
			g = g16;
			w = w16;
		}
		if (g != w) {
			print_error("%s.%s: table default %u, the module's %u\n",
				    b->name, k->name, g, w);
			fail();
		}
	}
}

static void test_module_defaults_are_the_tables(void **state)
{
	struct flow_timeouts t;
	struct load_policy p;
	struct health_cfg h;
	struct lb_config cfg;
	char buf[64];

	health_cfg_defaults(&h);
	expect_defaults(&cfg_health_block, &h, sizeof(h));
	expect_defaults(&cfg_agent_block, &h, sizeof(h));
	assert_string_equal(h.path, cfg_key_default(key_named(&cfg_health_block,
							      "path"),
						    buf, sizeof(buf)));
	assert_string_equal("tcp", cfg_key_default(key_named(&cfg_health_block,
							     "type"),
						   buf, sizeof(buf)));
	assert_int_equal(h.type, HEALTH_TCP);
	policy_defaults(&p);
	expect_defaults(&cfg_load_block, &p, sizeof(p));
	conntrack_timeouts_default(&t);
	expect_defaults(&cfg_timeouts_block, &t, sizeof(t));
	/* an empty file takes every top-level default */
	assert_int_equal(config_load_string("", 0, "lb.yaml", &cfg, buf,
					    sizeof(buf)),
			 0);
	expect_defaults(&cfg_top_block, &cfg, sizeof(cfg));
	expect_defaults(&cfg_timeouts_block, &cfg.timeouts,
			sizeof(cfg.timeouts));
	expect_defaults(&cfg_announce_block, &cfg.announce,
			sizeof(cfg.announce));
	snprintf(buf, sizeof(buf), "%u-%u", cfg.nat_port_min,
		 cfg.nat_port_max);
	assert_string_equal(buf, key_named(&cfg_top_block, "nat_ports")->doc_def);
	config_free(&cfg);
}

/*
 * Where a key of each block goes in a minimal valid file: the text before
 * and after "KEY: VALUE", its path in messages, and the keys to skip: the
 * ones the template holds, and the ones that first need another key
 * (scale needs standby; start and stop a standby; port mode nat).
 */
#define SVC_HEAD                                                               \
	"services:\n  - name: web\n    vip: 198.18.0.100\n    port: 80\n"       \
	"    proto: tcp\n"
static const struct place {
	const struct cfg_block *b;
	const char *before, *after, *path, *skip;
} places[] = {
	{ &cfg_top_block, "", "", "", "services" },
	{ &cfg_timeouts_block, "flow_timeouts:\n  ", "", "flow_timeouts.", "" },
	{ &cfg_service_block, SVC_HEAD "    ", "", "services[0].",
	  "name vip port proto scale" },
	{ &cfg_health_block, SVC_HEAD "    health:\n      ", "",
	  "services[0].health.", "" },
	{ &cfg_agent_block, SVC_HEAD "    agent:\n      port: 9\n      ", "",
	  "services[0].agent.", "port" },
	{ &cfg_load_block, SVC_HEAD "    load:\n      ", "",
	  "services[0].load.", "" },
	{ &cfg_backend_block,
	  SVC_HEAD "    backends:\n      - addr: 198.18.0.11\n        ", "",
	  "services[0].backends[0].", "addr start stop port" },
	{ &cfg_scale_block,
	  SVC_HEAD "    standby:\n      - addr: 198.18.0.13\n"
		   "        start: 'true'\n        stop: 'true'\n"
		   "    scale:\n      high: 80\n      low: 30\n      ",
	  "", "services[0].scale.", "high low" },
	{ &cfg_http_block, "http:\n  listen: 127.0.0.1:9180\n  ", "", "http.",
	  "listen" },
	{ &cfg_announce_block, "announce:\n  ", "", "announce.", "" },
};

/* Loads before + key: value + after; the error must be want at the key's
 * line. */
static int expect_key_error(const struct place *pl, const char *key,
			    const char *value, const char *want)
{
	char yaml[1024], err[512], exp[512];
	struct lb_config cfg;
	unsigned int line = 1;
	const char *p;
	int ret;

	snprintf(yaml, sizeof(yaml), "%s%s: %s\n%s", pl->before, key, value,
		 pl->after);
	for (p = pl->before; *p; p++)
		line += *p == '\n';
	snprintf(exp, sizeof(exp), "lb.yaml:%u: %s%s: %s", line, pl->path, key,
		 want);
	ret = config_load_string(yaml, strlen(yaml), "lb.yaml", &cfg, err,
				 sizeof(err));
	if (ret == 0)
		config_free(&cfg);
	if (ret == 0 || strcmp(err, exp)) {
		print_error("%s%s = %s: got \"%s\"\n  expected \"%s\"\n",
			    pl->path, key, value, ret ? err : "(loaded)", exp);
		return 1;
	}
	return 0;
}

static bool held(const char *skip, const char *key)
{
	size_t len = strlen(key);
	const char *p;

	for (p = strstr(skip, key); p; p = strstr(p + 1, key))
		if ((p == skip || p[-1] == ' ') && (!p[len] || p[len] == ' '))
			return true;
	return false;
}

static void test_every_key_checks_its_value(void **state)
{
	char val[32], want[96];
	size_t i, j;
	int bad = 0;

	for (i = 0; i < sizeof(places) / sizeof(places[0]); i++) {
		const struct place *pl = &places[i];

		/* every block: an unknown key, named with its path */
		bad |= expect_key_error(pl, "zzz_unknown", "1", "unknown key");
		for (j = 0; j < pl->b->n_keys; j++) {
			const struct cfg_key *k = &pl->b->keys[j];

			if (held(pl->skip, k->name))
				continue;
			/* every key: a list where a value or block goes */
			snprintf(want, sizeof(want), "expected %s, found a list",
				 k->type == CFG_FUNC && !strcmp(k->doc_type, "mapping") ?
					 "a mapping" : "a value");
			if (k->type != CFG_FUNC || strcmp(k->doc_type, "list"))
				bad |= expect_key_error(pl, k->name, "[1]", want);
			if (k->type == CFG_FUNC)
				continue;
			/* every number: one past each end of its range */
			snprintf(val, sizeof(val), "%llu", k->hi + 1ull);
			snprintf(want, sizeof(want), "%s is out of range %u..%u",
				 val, k->lo, k->hi);
			bad |= expect_key_error(pl, k->name, val, want);
			if (!k->lo)
				continue;
			snprintf(val, sizeof(val), "%u", k->lo - 1);
			snprintf(want, sizeof(want), "%s is out of range %u..%u",
				 val, k->lo, k->hi);
			bad |= expect_key_error(pl, k->name, val, want);
		}
	}
	assert_int_equal(bad, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_docs_document_every_key),
		cmocka_unit_test(test_docs_example_names_every_key),
		cmocka_unit_test(test_readme_example_parses),
		cmocka_unit_test(test_module_defaults_are_the_tables),
		cmocka_unit_test(test_every_key_checks_its_value),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
