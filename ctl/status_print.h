/* SPDX-License-Identifier: GPL-2.0-only */
/* `xdp-lb status` as a table, from the controller's JSON reply. */
#ifndef XLB_STATUS_PRINT_H
#define XLB_STATUS_PRINT_H

#include <stdint.h>
#include <json-c/json.h>

/* A member of a reply: "" or 0 when it is missing. */
const char *jstr(struct json_object *o, const char *key);
int64_t jint(struct json_object *o, const char *key);

/* Services, back ends, nat and per-outcome counters on stdout. */
void status_print(struct json_object *rep);

#endif
