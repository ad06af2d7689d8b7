// SPDX-License-Identifier: GPL-2.0-only
/* `xdp-lb status` as a table: the controller's status reply, printed. */
#include "status_print.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ?
		       json_object_get_string(v) :
		       "";
}

int64_t jint(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ?
		       json_object_get_int64(v) :
		       0;
}

static double jdouble(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ?
		       json_object_get_double(v) :
		       0;
}

static void print_backend(struct json_object *b)
{
	struct json_object *ld;
	char load[16] = "-";

	if (json_object_object_get_ex(b, "load", &ld) && ld)
		snprintf(load, sizeof(load), "%d%%", json_object_get_int(ld));
	printf("  %-24s %-17s %6" PRId64 " %6" PRId64
	       " %5.1f%% %5.1f%% %5s %-9s %8" PRId64 " %10" PRId64 "%s\n",
	       jstr(b, "addr"), jstr(b, "mac"), jint(b, "weight"),
	       jint(b, "effective_weight"), jdouble(b, "share"),
	       jdouble(b, "actual_share"), load, jstr(b, "state"),
	       jint(b, "flows"), jint(b, "packets"),
	       json_object_get_boolean(json_object_object_get(b, "standby")) ?
		       "  (standby)" :
		       "");
	if (strcmp(jstr(b, "health"), "none") && *jstr(b, "health_since"))
		printf("    health %s since %s: %s\n", jstr(b, "health"),
		       jstr(b, "health_since"), jstr(b, "health_detail"));
}

static void print_scale(struct json_object *sc)
{
	struct json_object *sba, *x;
	size_t j;

	printf("  scale: high %" PRId64 "%% low %" PRId64 "%% for %" PRId64
	       " s; %s\n",
	       jint(sc, "high"), jint(sc, "low"), jint(sc, "for"),
	       jstr(sc, "last"));
	if (!json_object_object_get_ex(sc, "standby", &sba))
		return;
	for (j = 0; j < json_object_array_length(sba); j++) {
		x = json_object_array_get_idx(sba, j);
		printf("    standby %-24s %-9s %s\n", jstr(x, "addr"),
		       jstr(x, "state"), jstr(x, "last"));
	}
}

/* announced yes/no and why; the table's fingerprint */
static void print_service_cluster(struct json_object *s)
{
	struct json_object *an;

	if (!json_object_object_get_ex(s, "announce", &an))
		return;
	printf("  announced %s: %s; table fingerprint %s\n",
	       json_object_get_boolean(json_object_object_get(an, "announced")) ?
		       "yes" : "no",
	       jstr(an, "why"), jstr(s, "fingerprint"));
}

static void print_service(struct json_object *s)
{
	bool persist = strcmp(jstr(s, "persistence"), "none");
	struct json_object *bes, *sc;
	size_t j;

	printf("\nservice %s  %s  mode %s  flows %" PRId64 "  packets %" PRId64
	       "  new flows %" PRId64 "%s%s\n",
	       jstr(s, "name"), jstr(s, "endpoint"), jstr(s, "mode"),
	       jint(s, "flows"), jint(s, "packets"), jint(s, "new_flows"),
	       persist ? "  persistence " : "",
	       persist ? jstr(s, "persistence") : "");
	print_service_cluster(s);
	if (!json_object_object_get_ex(s, "backends", &bes) ||
	    !json_object_array_length(bes)) {
		printf("  (no back ends)\n");
		return;
	}
	printf("  %-24s %-17s %6s %6s %6s %6s %5s %-9s %8s %10s\n", "BACKEND",
	       "MAC", "WEIGHT", "EFFECT", "SHARE", "ACTUAL", "LOAD", "STATE",
	       "FLOWS", "PACKETS");
	for (j = 0; j < json_object_array_length(bes); j++)
		print_backend(json_object_array_get_idx(bes, j));
	if (json_object_object_get_ex(s, "scale", &sc))
		print_scale(sc);
}

/* An interface that went (and whether it came back): one line each. */
static void print_links(struct json_object *rep)
{
	struct json_object *links;

	if (!json_object_object_get_ex(rep, "links", &links))
		return;
	json_object_object_foreach(links, role, l) {
		if (!strcmp(jstr(l, "state"), "up") && !jint(l, "lost"))
			continue;
		printf("%s %s %s: %s (gone %" PRId64 " times, re-attached %" PRId64
		       ")\n",
		       strcmp(jstr(l, "state"), "up") ? "WARNING:" : "note:",
		       strcmp(role, "internal") ? "interface" :
						  "internal interface",
		       jstr(l, "name"), jstr(l, "detail"), jint(l, "lost"),
		       jint(l, "back"));
	}
}

void status_print(struct json_object *rep)
{
	struct json_object *svcs, *outc, *sc;
	size_t i;

	printf("interface %s  table %" PRId64 " slots  flow table %" PRId64
	       " entries per family\n",
	       jstr(rep, "interface"), jint(rep, "table_size"),
	       jint(rep, "max_flows"));
	print_links(rep);
	if (json_object_object_get_ex(rep, "node", &sc))
		printf("node %s  announce table %" PRId64 " proto %" PRId64
		       "  %zu route(s)%s%s\n",
		       json_object_get_boolean(json_object_object_get(sc, "drained")) ?
			       "DRAINED" : "in service",
		       jint(sc, "table"), jint(sc, "protocol"),
		       json_object_array_length(json_object_object_get(sc, "routes")),
		       *jstr(sc, "error") ? "  last route error: " : "",
		       jstr(sc, "error"));
	if (json_object_object_get_ex(rep, "services", &svcs))
		for (i = 0; i < json_object_array_length(svcs); i++)
			print_service(json_object_array_get_idx(svcs, i));
	if (json_object_object_get_ex(rep, "nat", &sc))
		printf("\nnat: internal %s, source %s %s, ports %s, %" PRId64
		       " mappings (%" PRId64 " expired)\n",
		       jstr(sc, "internal"), jstr(sc, "source"),
		       jstr(sc, "source6"), jstr(sc, "ports"),
		       jint(sc, "mappings"), jint(sc, "expired"));
	if (json_object_object_get_ex(rep, "outcomes", &outc)) {
		printf("\noutcomes (packets):");
		json_object_object_foreach(outc, key, val)
			printf(" %s %" PRId64, key, json_object_get_int64(val));
		printf("\n");
	}
}
