// SPDX-License-Identifier: GPL-2.0-only
/*
 * Load feedback and slow start (effective weights from the load policy),
 * and the standby scaler: start a standby when every back end is loaded
 * for a while, drain and stop it when every one is idle; the tick that
 * runs both.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "log.h"
#include "proc.h"
#include "state_int.h"

/* What a standby's command callback needs to find it again. */
struct sb_ref {
	struct lb_state *st;
	__u32 svc_id;
	struct lb_addr addr;
};

const char *const sb_names[] = {
	[SB_OFF] = "off",	  [SB_STARTING] = "starting",
	[SB_WAITING] = "waiting", [SB_ON] = "on",
	[SB_DRAINING] = "draining", [SB_STOPPING] = "stopping",
};

/* The back end's load in percent, if known: its agent's report, else its
 * live flows over its capacity. */
bool backend_load_pct(const struct lb_state *st,
		      const struct lb_backend *b, __u32 *pct)
{
	__u64 p;

	if (b->has_agent && b->agent.has_load) {
		*pct = b->agent.load;
		return true;
	}
	if (!b->capacity)
		return false;
	p = st->counts[b->id] * 100 / b->capacity;
	*pct = p > AGENT_LOAD_MAX ? AGENT_LOAD_MAX : (__u32)p;
	return true;
}

/* One evaluation of the load policy and the ramps; true when an
 * effective weight changed (the caller rebuilds the table). */
static bool service_eval_load(struct lb_state *st, struct lb_service *s,
			      __u64 now)
{
	struct policy_mem *mem;
	struct load_input *in;
	__u32 *f, *old;
	char ab[LB_ADDRSTRLEN];
	bool changed = false;
	size_t i;

	if (!s->n_be)
		return false;
	in = calloc(s->n_be, sizeof(*in));
	f = calloc(s->n_be, sizeof(*f));
	old = calloc(s->n_be, sizeof(*old));
	mem = calloc(s->n_be, sizeof(*mem));
	if (!in || !f || !old || !mem)
		goto out;
	for (i = 0; i < s->n_be; i++) {
		struct lb_backend *b = &s->be[i];

		old[i] = backend_effective_weight(b);
		in[i].in_table = old[i] > 0;
		in[i].weight = b->weight;
		in[i].flows = st->counts[b->id];
		in[i].has_load = backend_load_pct(st, b, &in[i].load);
		f[i] = b->factor;
		mem[i] = b->pmem;
	}
	policy_eval(&s->load, in, f, mem, s->n_be);
	for (i = 0; i < s->n_be; i++) {
		struct lb_backend *b = &s->be[i];

		if (f[i] != b->factor)
			pr_info("service %s: back end %s load %s%u%s: share %u%% of its weight\n",
				s->name, lb_addr_str(&b->addr, ab, sizeof(ab)),
				in[i].has_load ? "" : "flows ",
				in[i].has_load ? in[i].load :
						 (__u32)in[i].flows,
				in[i].has_load ? "%" : "", f[i] / 10);
		b->factor = f[i];
		b->pmem = mem[i];
		b->ramp = policy_ramp(&s->load, b->up_since, now);
		if (b->ramp == POLICY_ONE)
			b->up_since = 0;
		changed |= backend_effective_weight(b) != old[i];
	}
out:
	free(in);
	free(f);
	free(old);
	free(mem);
	return changed;
}

static struct lb_standby *standby_find(struct lb_service *s,
				       const struct lb_addr *a)
{
	size_t i;

	for (i = 0; i < s->n_sb; i++)
		if (lb_addr_eq(&s->sb[i].cfg.addr, a))
			return &s->sb[i];
	return NULL;
}

static void sb_set(struct lb_service *s, struct lb_standby *sb,
		   enum standby_state state, __u64 now, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Enter a state and say so (log, status). */
static void sb_set(struct lb_service *s, struct lb_standby *sb,
		   enum standby_state state, __u64 now, const char *fmt, ...)
{
	char ab[LB_ADDRSTRLEN];
	va_list ap;

	sb->state = state;
	sb->since = now;
	va_start(ap, fmt);
	vsnprintf(sb->last, sizeof(sb->last), fmt, ap);
	va_end(ap);
	snprintf(s->scale_detail, sizeof(s->scale_detail), "%s: %s",
		 lb_addr_str(&sb->cfg.addr, ab, sizeof(ab)), sb->last);
	pr_info("service %s: standby %s %s: %s\n", s->name, ab,
		sb_names[state], sb->last);
	events_add("scale", s->name, ab, "standby %s: %s", sb_names[state],
		  sb->last);
}

static void on_sb_cmd(void *arg, int code, const char *what);

static bool sb_run(struct lb_state *st, struct lb_service *s,
		   struct lb_standby *sb, const char *cmd, const char *verb)
{
	char tag[96], ab[LB_ADDRSTRLEN];

	if (!st->base)
		return false;
	if (!sb->ref)
		sb->ref = calloc(1, sizeof(*sb->ref));
	if (!sb->ref)
		return false;
	sb->ref->st = st;
	sb->ref->svc_id = s->id;
	sb->ref->addr = sb->cfg.addr;
	snprintf(tag, sizeof(tag), "service %s: standby %s %s", s->name,
		 lb_addr_str(&sb->cfg.addr, ab, sizeof(ab)), verb);
	sb->proc = proc_run(st->base, cmd, s->scale.command_timeout, tag,
			    on_sb_cmd, sb->ref);
	return sb->proc != NULL;
}

static void sb_stop(struct lb_state *st, struct lb_service *s,
		    struct lb_standby *sb, __u64 now, const char *why)
{
	if (sb_run(st, s, sb, sb->cfg.stop, "stop"))
		sb_set(s, sb, SB_STOPPING, now, "%s; stop command running", why);
	else
		sb_set(s, sb, SB_OFF, now, "%s; cannot run the stop command",
		       why);
}

/* The start command succeeded: add it, out of the table until its
 * probes pass (a standby with no probes goes in at once). */
static void sb_add(struct lb_state *st, struct lb_service *s,
		   struct lb_standby *sb, __u64 now)
{
	struct lb_backend nb, *b;
	char err[256];
	int ret;

	backend_init(&nb);
	nb.addr = sb->cfg.addr;
	nb.weight = sb->cfg.weight;
	nb.hc = sb->cfg.health;
	nb.ac = sb->cfg.agent;
	nb.capacity = sb->cfg.capacity;
	nb.standby = true;
	backend_ramp_begin(s, &nb);
	if (sb->cfg.has_mac)
		memcpy(nb.mac, sb->cfg.mac, 6);
	else if (resolve_mac(st, &nb.addr, s->vip_flags, nb.mac, err,
			     sizeof(err))) {
		sb_stop(st, s, sb, now, err);
		return;
	}
	ret = find_backend(s, &nb.addr) ? -ENOSPC :
					   backend_add(st, s, &nb, true, &b);
	if (ret == -ENOSPC || ret == -ENOMEM) {
		sb_stop(st, s, sb, now,
			ret == -ENOMEM ? "out of memory" :
					 "no room for it (max_backends)");
		return;
	}
	if (!ret)
		ret = service_rebuild(st, s);
	if (ret)
		pr_warn("service %s: cannot add the standby: %s\n", s->name,
			strerror(-ret));
	if (backend_is_down(b))
		sb_set(s, sb, SB_WAITING, now,
		       "started; waiting for its probes to pass");
	else
		sb_set(s, sb, SB_ON, now, "started; taking new flows");
}

static void on_sb_cmd(void *arg, int code, const char *what)
{
	struct sb_ref *ref = arg;
	struct lb_service *s = service_by_id(ref->st, ref->svc_id);
	struct lb_standby *sb = s ? standby_find(s, &ref->addr) : NULL;
	__u64 now = now_ns();

	if (!sb)
		return;
	sb->proc = NULL;
	if (sb->state == SB_STOPPING) {
		sb_set(s, sb, SB_OFF, now, "stop command: %s", what);
		return;
	}
	if (code) {
		sb_set(s, sb, SB_OFF, now, "start command failed: %s", what);
		return;
	}
	sb_add(ref->st, s, sb, now);
}

void standby_cancel(struct lb_service *s)
{
	size_t i;

	for (i = 0; i < s->n_sb; i++) {
		proc_cancel(s->sb[i].proc);
		s->sb[i].proc = NULL;
		free(s->sb[i].ref);
		s->sb[i].ref = NULL;
	}
}

/* Standby entries from the config; running ones keep their state, a
 * back end that is one of them (re-adopted after a restart) is on. */
void sync_standby(struct lb_state *st, struct lb_service *s,
		  const struct lb_service_cfg *sc)
{
	struct lb_standby *nsb = calloc(sc->n_standby ? sc->n_standby : 1,
					sizeof(*nsb));
	struct lb_backend *b;
	size_t i;

	(void)st;
	if (!nsb)
		return;
	for (i = 0; i < sc->n_standby; i++) {
		struct lb_standby *old = standby_find(s, &sc->standby[i].addr);

		if (old) {
			nsb[i] = *old;
			old->proc = NULL; /* moved */
			old->ref = NULL;
		}
		nsb[i].cfg = sc->standby[i];
		b = find_backend(s, &sc->standby[i].addr);
		if (b && !cfg_has_backend(sc, &b->addr)) {
			b->standby = true;
			b->capacity = sc->standby[i].capacity;
			if (nsb[i].state == SB_OFF)
				nsb[i].state = b->removing ? SB_DRAINING : SB_ON;
		}
	}
	standby_cancel(s); /* those no longer configured */
	for (i = 0; i < s->n_be; i++) {
		b = &s->be[i];
		if (b->standby && !cfg_standby(sc, &b->addr) &&
		    !cfg_has_backend(sc, &b->addr) && !b->removing) {
			b->removing = true; /* no longer a standby: drain */
			b->removing_since = now_ns();
		}
	}
	free(s->sb);
	s->sb = nsb;
	s->n_sb = sc->n_standby;
	s->scale = sc->scale;
}

/* Follow a running action; start or stop one when load says so. */
static void scaler_step(struct lb_state *st, struct lb_service *s, __u64 now)
{
	__u64 span = (__u64)s->scale.for_s * 1000000000ull;
	size_t i, active = 0, over = 0, under = 0;
	struct lb_standby *sb;
	struct lb_backend *b;
	bool busy = false;
	__u32 pct;

	for (i = 0; i < s->n_be; i++) {
		b = &s->be[i];
		if (!backend_effective_weight(b))
			continue;
		active++;
		if (backend_load_pct(st, b, &pct)) {
			over += pct >= s->scale.high;
			under += pct <= s->scale.low;
		}
	}
	s->over_since = active && over == active ?
				(s->over_since ? s->over_since : now) : 0;
	s->under_since = active && under == active ?
				 (s->under_since ? s->under_since : now) : 0;
	for (i = 0; i < s->n_sb; i++) {
		sb = &s->sb[i];
		b = find_backend(s, &sb->cfg.addr);
		switch (sb->state) {
		case SB_WAITING:
			if (!b) {
				sb_set(s, sb, SB_OFF, now, "gone while waiting");
			} else if (!backend_is_down(b)) {
				sb_set(s, sb, SB_ON, now,
				       "probes pass; taking new flows");
			} else if (now - sb->since >
				   (__u64)s->scale.ready_timeout * 1000000000ull) {
				backend_remove_now(st, s, b);
				sb_stop(st, s, sb, now,
					"probes did not pass in ready_timeout");
			}
			break;
		case SB_DRAINING:
			if (!b) {
				sb_stop(st, s, sb, now, "drained");
			} else if (now - sb->since >
				   (__u64)s->scale.drain_timeout * 1000000000ull) {
				backend_remove_now(st, s, b);
				sb_stop(st, s, sb, now, "drain timeout");
			}
			break;
		default:
			break;
		}
		busy |= sb->state != SB_OFF && sb->state != SB_ON;
	}
	if (busy)
		return; /* one scaling action at a time */
	if (s->over_since && now - s->over_since >= span) {
		for (i = 0; i < s->n_sb && s->sb[i].state != SB_OFF; i++)
			;
		if (i == s->n_sb) {
			snprintf(s->scale_detail, sizeof(s->scale_detail),
				 "overloaded, and every standby is running");
			return;
		}
		sb = &s->sb[i];
		s->over_since = 0;
		if (sb_run(st, s, sb, sb->cfg.start, "start"))
			sb_set(s, sb, SB_STARTING, now,
			       "every back end above %u%% for %u s; start command running",
			       s->scale.high, s->scale.for_s);
		else
			sb_set(s, sb, SB_OFF, now,
			       "cannot run the start command");
	} else if (s->under_since && now - s->under_since >= span) {
		for (i = s->n_sb; i > 0 && s->sb[i - 1].state != SB_ON; i--)
			;
		if (!i)
			return;
		sb = &s->sb[i - 1];
		b = find_backend(s, &sb->cfg.addr);
		s->under_since = 0;
		if (!b) {
			sb_stop(st, s, sb, now, "its back end is gone");
			return;
		}
		b->removing = true;
		b->removing_since = now;
		service_rebuild(st, s);
		sb_set(s, sb, SB_DRAINING, now,
		       "every back end below %u%% for %u s; draining",
		       s->scale.low, s->scale.for_s);
	}
}

#define TICK_NS (STATE_TICK_MS * 1000000ull)

void state_tick(struct lb_state *st)
{
	__u64 now = now_ns();
	size_t i;

	if (st->last_tick_ns) {
		__u64 gap_ms = (now - st->last_tick_ns) / 1000000;

		st->lag_last_ms = gap_ms > STATE_TICK_MS ? gap_ms - STATE_TICK_MS : 0;
		if (!st->lag_hist.le_us)
			hist_init_lag(&st->lag_hist);
		hist_observe(&st->lag_hist,
			     now - st->last_tick_ns > TICK_NS ?
				     (now - st->last_tick_ns - TICK_NS) / 1000 :
				     0);
		if (st->lag_last_ms > st->lag_max_ms)
			st->lag_max_ms = st->lag_last_ms;
	}
	st->last_tick_ns = now;

	for (i = 0; i < st->n_svc; i++) {
		struct lb_service *s = st->svc[i];
		int ret;

		if (now < s->next_eval)
			continue;
		s->next_eval = now + (__u64)s->load.interval_ms * 1000000ull;
		if (service_eval_load(st, s, now)) {
			ret = service_rebuild(st, s);
			if (ret)
				pr_warn("service %s: cannot rebuild the table: %s\n",
					s->name, strerror(-ret));
		}
		if (s->n_sb)
			scaler_step(st, s, now);
	}
	state_announce_sync(st);
}
