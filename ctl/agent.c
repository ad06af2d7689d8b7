// SPDX-License-Identifier: GPL-2.0-only
/* HAProxy agent-check reply parser (see agent.h). */
#include "agent.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const state_names[] = {
	[AGENT_NONE] = "none",	 [AGENT_UP] = "up",
	[AGENT_READY] = "ready", [AGENT_DRAIN] = "drain",
	[AGENT_MAINT] = "maint", [AGENT_DOWN] = "down",
};

const char *agent_state_name(enum agent_state s)
{
	return (unsigned)s < sizeof(state_names) / sizeof(state_names[0]) ?
		       state_names[s] :
		       "?";
}

/* A decimal integer of at most 9 digits, all of [s, e). */
static int parse_uint(const char *s, const char *e, __u32 *v)
{
	__u32 x = 0;

	if (s == e || e - s > 9)
		return -1;
	for (; s < e; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		x = x * 10 + (*s - '0');
	}
	*v = x;
	return 0;
}

static bool word_is(const char *w, size_t n, const char *name)
{
	return strlen(name) == n && !strncasecmp(w, name, n);
}

static int bad(char *err, size_t errlen, const char *what, const char *w,
	       size_t n)
{
	snprintf(err, errlen, "%s '%.*s'", what, (int)(n > 32 ? 32 : n), w);
	return -EINVAL;
}

int agent_parse(const char *reply, struct agent_reply *r, char *err,
		size_t errlen)
{
	const char *p = reply, *end = reply + strcspn(reply, "\r\n");
	bool any = false;

	memset(r, 0, sizeof(*r));
	while (p < end) {
		const char *w;
		size_t n;

		p += strspn(p, " \t,");
		if (p >= end)
			break;
		if (*p == '#') { /* description: the rest of the line */
			n = end - p - 1;
			if (n >= sizeof(r->desc))
				n = sizeof(r->desc) - 1;
			memcpy(r->desc, p + 1, n);
			r->desc[n] = '\0';
			break;
		}
		w = p;
		while (p < end && !strchr(" \t,#", *p))
			p++;
		n = p - w;
		any = true;
		if (w[n - 1] == '%') {
			__u32 v;

			if (parse_uint(w, w + n - 1, &v) || v > AGENT_LOAD_MAX)
				return bad(err, errlen,
					   "load is not 0%..1000%:", w, n);
			r->has_load = true;
			r->load = v;
		} else if (n > 8 && !strncasecmp(w, "maxconn:", 8)) {
			if (parse_uint(w + 8, w + n, &r->maxconn))
				return bad(err, errlen, "bad maxconn:", w, n);
			r->has_maxconn = true;
		} else if (word_is(w, n, "up")) {
			r->state = AGENT_UP;
		} else if (word_is(w, n, "ready")) {
			r->state = AGENT_READY;
		} else if (word_is(w, n, "drain")) {
			r->state = AGENT_DRAIN;
		} else if (word_is(w, n, "maint")) {
			r->state = AGENT_MAINT;
		} else if (word_is(w, n, "down") || word_is(w, n, "fail") ||
			   word_is(w, n, "failed") ||
			   word_is(w, n, "stopped")) {
			r->state = AGENT_DOWN;
		} else {
			return bad(err, errlen, "unknown word", w, n);
		}
	}
	if (!any) {
		snprintf(err, errlen, "empty reply");
		return -EINVAL;
	}
	return 0;
}
