// SPDX-License-Identifier: GPL-2.0-only
/*
 * Health and agent probes of the back ends, and what their results do to
 * the model: a flip rebuilds the table and deletes the flows of down back
 * ends; an agent's reply changes load and admin state.
 */
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "log.h"
#include "state_int.h"

/* What a probe callback needs to find its back end again (the arrays
 * move when back ends come and go; ids do not). */
struct be_ref {
	struct lb_state *st;
	__u32 svc_id;
	__u32 be_id;
};

static struct be_ref *ref_new(struct lb_state *st, struct lb_service *s,
			      struct lb_backend *b)
{
	struct be_ref *ref = calloc(1, sizeof(*ref));

	if (ref) {
		ref->st = st;
		ref->svc_id = s->id;
		ref->be_id = b->id;
	}
	return ref;
}

/* Take in an agent's reply; true when the table must change. */
static bool agent_take(struct lb_service *s, struct lb_backend *b,
		       const struct agent_reply *r, bool own_probe)
{
	bool was_off = backend_agent_off(b), was_down = b->agent_down;
	enum agent_state keep = b->has_agent ? b->agent.state : AGENT_NONE;
	char ab[LB_ADDRSTRLEN];

	b->has_agent = true;
	b->agent = *r;
	if (r->state == AGENT_NONE)
		b->agent.state = keep; /* "75%" alone changes no state */
	if (own_probe && b->agent.state == AGENT_DOWN)
		b->agent_down = true;
	else if (b->agent.state == AGENT_UP || b->agent.state == AGENT_READY)
		b->agent_down = false;
	if (was_off != backend_agent_off(b) || was_down != b->agent_down) {
		pr_info("service %s: back end %s: agent says %s%s%s\n",
			s->name, lb_addr_str(&b->addr, ab, sizeof(ab)),
			agent_state_name(b->agent.state),
			r->desc[0] ? ": " : "", r->desc);
		events_add("agent", s->name, ab, "agent says %s%s%s",
			  agent_state_name(b->agent.state),
			  r->desc[0] ? ": " : "", r->desc);
		return true;
	}
	return false;
}

/* The back end a probe is for, and its service; NULL if it is gone. */
static struct lb_backend *ref_backend(const struct be_ref *ref,
				      struct lb_service **sp)
{
	*sp = service_by_id(ref->st, ref->svc_id);
	return *sp ? backend_by_id(*sp, ref->be_id) : NULL;
}

/* One more result: counted, its latency into the service's histogram. */
static void probe_count(struct lb_service *s, struct lb_backend *b, bool ok)
{
	struct health_result r;

	if (ok)
		b->probes_ok++;
	else
		b->probes_failed++;
	if (!s->probe_hist.le_us)
		hist_init_probe(&s->probe_hist);
	if (health_probe_history(b->probe, &r, 1) == 1)
		hist_observe(&s->probe_hist, (r.end_ns - r.start_ns) / 1000);
}

static void on_probe(void *arg, bool ok, bool changed, bool up,
		     const char *detail)
{
	struct be_ref *ref = arg;
	struct lb_service *s;
	struct lb_backend *b = ref_backend(ref, &s);
	const struct agent_reply *r;
	char ab[LB_ADDRSTRLEN];
	bool admin = false;

	if (!b)
		return;
	snprintf(b->health_detail, sizeof(b->health_detail), "%s", detail);
	probe_count(s, b, ok);
	r = health_probe_agent(b->probe);
	if (b->hc.type == HEALTH_AGENT && ok && r)
		admin = agent_take(s, b, r, false);
	if (!changed) {
		if (admin)
			service_rebuild(ref->st, s);
		return;
	}
	b->down = !up;
	if (up)
		backend_ramp_begin(s, b); /* ramp up again */
	health_since_now(b);
	b->n_health_why = health_probe_history(
		b->probe, b->health_why, up ? b->hc.rise : b->hc.fall);
	if (!b->n_health_why) /* a rise or fall of 0 acts as 1 */
		b->n_health_why = health_probe_history(b->probe, b->health_why, 1);
	pr_info("service %s: back end %s is %s after %u %s probe%s in %llu ms (%s)\n",
		s->name, lb_addr_str(&b->addr, ab, sizeof(ab)),
		up ? "up" : "DOWN", b->n_health_why, up ? "good" : "failed",
		b->n_health_why == 1 ? "" : "s",
		(unsigned long long)(b->health_why[b->n_health_why - 1].end_ns -
				     b->health_why[0].start_ns) / 1000000,
		detail);
	events_add(up ? "up" : "down", s->name, ab, "%s after %u %s probe%s: %s",
		  up ? "up" : "DOWN", b->n_health_why, up ? "good" : "failed",
		  b->n_health_why == 1 ? "" : "s", detail);
	service_health_changed(ref->st, s);
}

/* The separate agent probe: load and admin state, never health itself
 * (an agent that does not answer is not a failed back end, as in
 * HAProxy), except that an agent saying "down" takes it down. */
static void on_agent(void *arg, bool ok, bool changed, bool up,
		     const char *detail)
{
	struct be_ref *ref = arg;
	struct lb_service *s;
	struct lb_backend *b = ref_backend(ref, &s);
	const struct agent_reply *r;
	bool was_down;

	(void)changed;
	(void)up;
	if (!b)
		return;
	snprintf(b->agent_detail, sizeof(b->agent_detail), "%s", detail);
	r = health_probe_agent(b->agent_probe);
	if (!r || (!ok && !strstr(detail, "agent: ")))
		return; /* unreachable or a bad reply: keep what we had */
	was_down = backend_is_down(b);
	if (!agent_take(s, b, r, true))
		return;
	if (was_down && !backend_is_down(b))
		backend_ramp_begin(s, b); /* its agent says up again */
	if (was_down != backend_is_down(b))
		service_health_changed(ref->st, s);
	else
		service_rebuild(ref->st, s);
}

void probe_stop(struct lb_backend *b)
{
	if (b->probe)
		health_probe_stop(b->probe);
	b->probe = NULL;
	free(b->ref);
	b->ref = NULL;
	if (b->agent_probe)
		health_probe_stop(b->agent_probe);
	b->agent_probe = NULL;
	free(b->agent_ref);
	b->agent_ref = NULL;
}

/* (Re)start b's probes with its settings; a back end starts as up unless
 * start_down (a standby: it must pass its probes first). */
void probe_start_as(struct lb_state *st, struct lb_service *s,
		    struct lb_backend *b, bool start_down)
{
	probe_stop(b);
	b->down = false;
	b->agent_down = false;
	b->has_agent = false;
	b->health_detail[0] = '\0';
	b->agent_detail[0] = '\0';
	health_since_now(b);
	if (!st->base)
		return;
	if (b->ac.type == HEALTH_AGENT && b->hc.type != HEALTH_AGENT) {
		b->agent_ref = ref_new(st, s, b);
		if (b->agent_ref)
			b->agent_probe = health_probe_start(st->base, &b->addr,
							    &b->ac, true,
							    on_agent,
							    b->agent_ref);
		if (!b->agent_probe)
			pr_warn("service %s: cannot start the agent probe of a back end\n",
				s->name);
	}
	if (b->hc.type == HEALTH_NONE)
		return;
	b->down = start_down;
	b->ref = ref_new(st, s, b);
	if (!b->ref)
		return;
	{
		/* tunnel mode: to the VIP through the back end's tunnel, as
		 * clients' packets go (the tc egress program) */
		bool tun = s->vip_flags & XLB_VIP_F_TUNNEL &&
			   b->hc.type != HEALTH_AGENT;
		struct health_cfg hc = b->hc;

		if (tun)
			hc.mark = XLB_PROBE_MARK | b->id;
		b->probe = health_probe_start(st->base, tun ? &s->vip : &b->addr,
					      &hc, !start_down, on_probe,
					      b->ref);
	}
	if (!b->probe) {
		pr_warn("service %s: cannot start the health probe of a back end\n",
			s->name);
		free(b->ref);
		b->ref = NULL;
		b->down = false;
	}
}

void probe_start(struct lb_state *st, struct lb_service *s,
		 struct lb_backend *b)
{
	probe_start_as(st, s, b, false);
}
