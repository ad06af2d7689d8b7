/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * HAProxy's agent-check text protocol: the back end's agent answers one
 * line of words separated by spaces, tabs or commas, e.g. "75%",
 * "up 40%", "drain", "down#disk full", "maxconn:300,ready". xdp-lb reads
 * the percentage as the back end's load (0% idle, 100% full).
 */
#ifndef XLB_AGENT_H
#define XLB_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

enum agent_state {
	AGENT_NONE = 0,	/* no state word: the state is left as it was */
	AGENT_UP,	/* "up": healthy again */
	AGENT_READY,	/* "ready": out of drain and maint */
	AGENT_DRAIN,	/* "drain": no new flows, pinned ones go on */
	AGENT_MAINT,	/* "maint": no new flows, pinned ones go on */
	AGENT_DOWN,	/* "down", "fail", "failed", "stopped": down */
};

#define AGENT_LOAD_MAX 1000 /* percent; more is a bad reply */
#define AGENT_DESC_LEN 64

struct agent_reply {
	bool has_load;
	__u32 load;		/* percent, 0..AGENT_LOAD_MAX */
	enum agent_state state;	/* the last state word */
	bool has_maxconn;
	__u32 maxconn;		/* read and shown; flows are not capped */
	char desc[AGENT_DESC_LEN]; /* text after '#', if any */
};

/*
 * Parse the first line of reply (up to '\n', '\r' or the end). Returns 0,
 * or -EINVAL with one line in err: an empty reply, an unknown word, a
 * percentage that is not an integer in 0..1000, a bad maxconn.
 */
int agent_parse(const char *reply, struct agent_reply *r, char *err,
		size_t errlen);

const char *agent_state_name(enum agent_state s);

#endif
