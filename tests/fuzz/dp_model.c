// SPDX-License-Identifier: GPL-2.0-only
/*
 * The reference model of the forwarding decision: see dp_model.h. Frames
 * are byte arrays with offsets; multi-byte fields are read big-endian,
 * map keys and values are the ABI structs of include/xdp_lb.h filled
 * with the bytes as they appear in the frame. Checksums are not updated
 * step by step as the program does: each one is recomputed so that it
 * covers the new bytes as it covered the old ones (its ones'-complement
 * residual is kept, RFC 1624), so a valid sum stays valid and a broken
 * one stays broken by as much.
 */
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/bpf.h>

#include "dp_model.h"
/* The flow hash is part of the contract: two balancers with one config
 * pick the same back end (docs/architecture.md, step 5). */
#include "xlb_hash.h"

#define AFI4 2 /* AF_INET, as the maps store it */
#define AFI6 10

/* ---- a small hash table: linear probing, deletes leave a tombstone ---- */

#define TAB_CAP 16384

struct tab {
	__u32 ksz, vsz;
	__u8 *used, *keys, *vals; /* used: 0 free, 1 in use, 2 deleted */
};

static void tab_init(struct tab *t, __u32 ksz, __u32 vsz)
{
	t->ksz = ksz;
	t->vsz = vsz;
	t->used = calloc(TAB_CAP, 1);
	t->keys = calloc(TAB_CAP, ksz);
	t->vals = calloc(TAB_CAP, vsz);
}

static __u32 tab_slot(const struct tab *t, const void *k)
{
	__u32 h = 2166136261u, i, s;
	const __u8 *b = k;

	for (i = 0; i < t->ksz; i++)
		h = (h ^ b[i]) * 16777619u;
	for (s = h % TAB_CAP;; s = (s + 1) % TAB_CAP)
		if (!t->used[s] || (t->used[s] == 1 &&
				    !memcmp(t->keys + s * t->ksz, k, t->ksz)))
			return s;
}

static void *tab_get(const struct tab *t, const void *k)
{
	__u32 s = tab_slot(t, k);

	return t->used[s] == 1 ? t->vals + s * t->vsz : NULL;
}

static void tab_del(struct tab *t, const void *k)
{
	__u32 s = tab_slot(t, k);

	if (t->used[s] == 1)
		t->used[s] = 2;
}

static void tab_put(struct tab *t, const void *k, const void *v)
{
	__u32 s = tab_slot(t, k);

	t->used[s] = 1;
	memcpy(t->keys + s * t->ksz, k, t->ksz);
	memcpy(t->vals + s * t->vsz, v, t->vsz);
}

struct mflow {
	__u32 backend_id;
	__be16 nat_port;
	__u8 state; /* enum flow_state */
};

struct dpm {
	struct dpm_cfg c;
	struct tab flows4, flows6, nat_rev;
	__u32 nat_next[XLB_NAT_CURSORS];
};

struct dpm *dpm_new(void)
{
	struct dpm *m = calloc(1, sizeof(*m));

	tab_init(&m->flows4, sizeof(struct flow_key_v4), sizeof(struct mflow));
	tab_init(&m->flows6, sizeof(struct flow_key_v6), sizeof(struct mflow));
	tab_init(&m->nat_rev, sizeof(struct nat_key), sizeof(struct nat_value));
	return m;
}

void dpm_free(struct dpm *m)
{
	struct tab *t[] = { &m->flows4, &m->flows6, &m->nat_rev };

	for (int i = 0; i < 3; i++) {
		free(t[i]->used);
		free(t[i]->keys);
		free(t[i]->vals);
	}
	free(m);
}

struct dpm_cfg *dpm_cfg(struct dpm *m)
{
	return &m->c;
}

void dpm_reset_flows(struct dpm *m)
{
	memset(m->flows4.used, 0, TAB_CAP);
	memset(m->flows6.used, 0, TAB_CAP);
	memset(m->nat_rev.used, 0, TAB_CAP);
}

/* ---- bytes and checksums ---- */

static __u16 get16(const __u8 *p)
{
	return p[0] << 8 | p[1];
}

static void set16(__u8 *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v;
}

__u32 dpm_sum(__u32 sum, const __u8 *p, __u32 len)
{
	__u32 i;

	for (i = 0; i + 1 < len; i += 2)
		sum += get16(p + i);
	if (len & 1)
		sum += p[len - 1] << 8;
	return sum;
}

__u16 dpm_fold(__u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

/* Accumulates ~old + new over words that a checksum covers. */
static __u32 delta(__u32 acc, const __u8 *old, const __u8 *new, __u32 n,
		   long skip)
{
	__u32 i;

	for (i = 0; i + 1 < n; i += 2)
		if ((long)i != skip)
			acc += (__u16)~get16(old + i) + get16(new + i);
	if (n & 1)
		acc += (__u16)~(old[n - 1] << 8) + (new[n - 1] << 8);
	return dpm_fold(acc);
}

/* The sum field at f (in the new frame) whose old value was old_f, after
 * the covered words changed by acc: HC' = ~(~HC + sum(~m + m')). */
static void sum_set(__u8 *f, __u16 old_f, __u32 acc, bool udp)
{
	__u16 v = ~dpm_fold((__u16)~old_f + acc);

	if (udp && !v)
		v = 0xffff; /* UDP sends a computed 0 as 0xffff */
	set16(f, v);
}

/* ---- parsing, from docs/modes.md "What is not balanced" ---- */

struct view {
	__u32 l2; /* bytes of L2 header: 14, or 18 with a tag */
	__u32 l4; /* L4 offset */
	__u32 end; /* end of the IP packet (its length field), <= frame */
	int fam;  /* 4 or 6 */
	__u8 proto;
};

static bool v6_ext(__u8 nh)
{
	return nh == 0 || nh == 43 || nh == 60 || nh == 51 || nh == 50 ||
	       nh == 135;
}

/* The L4 protocol, or a negative reason. */
static int parse_ip(const __u8 *f, __u32 len, struct view *v)
{
	__u32 l3 = 14, hl, tot;
	__u16 et;
	const __u8 *ip;

	if (len < 14)
		return -XLB_PASS_MALFORMED;
	et = get16(f + 12);
	if (et == 0x8100 || et == 0x88a8) {
		if (len < 18)
			return -XLB_PASS_MALFORMED;
		et = get16(f + 16);
		l3 = 18;
	}
	v->l2 = l3;
	ip = f + l3;
	if (et == 0x0800) {
		if (len < l3 + 20 || ip[0] >> 4 != 4 || (ip[0] & 0xf) < 5)
			return -XLB_PASS_MALFORMED;
		hl = (ip[0] & 0xf) * 4;
		tot = get16(ip + 2);
		if (l3 + hl > len || tot < hl || l3 + tot > len)
			return -XLB_PASS_MALFORMED;
		if (get16(ip + 6) & 0x3fff) /* MF or an offset */
			return -XLB_PASS_FRAGMENT;
		v->fam = 4;
		v->l4 = l3 + hl;
		v->end = l3 + tot;
		return v->proto = ip[9];
	}
	if (et == 0x86dd) {
		if (len < l3 + 40 || ip[0] >> 4 != 6 ||
		    l3 + 40 + get16(ip + 4) > len)
			return -XLB_PASS_MALFORMED;
		v->fam = 6;
		v->l4 = l3 + 40;
		v->end = v->l4 + get16(ip + 4);
		v->proto = ip[6];
		if (ip[6] == IPPROTO_TCP || ip[6] == IPPROTO_UDP || ip[6] == 58)
			return ip[6];
		if (ip[6] == 44)
			return -XLB_PASS_FRAGMENT;
		return v6_ext(ip[6]) ? -XLB_PASS_IPV6_EXT : -XLB_PASS_NOT_L4;
	}
	return -XLB_PASS_NOT_IP;
}

/* TCP (whole header, options included) or UDP within the IP packet. */
static int parse_l4(const __u8 *f, const struct view *v)
{
	if (v->proto == IPPROTO_TCP) {
		if (v->l4 + 20 > v->end || f[v->l4 + 12] >> 4 < 5 ||
		    v->l4 + (f[v->l4 + 12] >> 4) * 4 > v->end)
			return -XLB_PASS_MALFORMED;
		return 0;
	}
	if (v->proto == IPPROTO_UDP)
		return v->l4 + 8 > v->end ? -XLB_PASS_MALFORMED : 0;
	return -XLB_PASS_NOT_L4;
}

/* ---- configuration lookups ---- */

/* The home slot of VIP x in a table of 2^bits slots. */
static __u32 vip_home(const struct dpm_vip *x, __u32 bits)
{
	__be32 a[4];

	memcpy(a, x->addr, 16);
	if (x->family == 4)
		return xlb_vip_home4(xlb_vip_key4(a[0], htons(x->port),
						  x->proto),
				     bits);
	return xlb_vip_home6(a, xlb_vip_pp6(htons(x->port), x->proto), bits);
}

/*
 * The VIP table as the data path probes it (include/xdp_lb.h, "The VIP
 * tables"), written from that description, not from ctl/viptab.c: the
 * family's entries each in the first free slot from its home slot (at
 * most XLB_VIP_PROBES), then a walk from the key's home slot that stops
 * at the key, compared in full, or at an empty slot.
 */
static const struct dpm_vip *vip_find(const struct dpm *m, int fam,
				      const __u8 *addr, __u16 port,
				      __u8 proto)
{
	__u32 bits = xlb_vip_bits(m->c.max_services), mask = (1u << bits) - 1;
	struct dpm_vip key = { .family = fam, .port = port, .proto = proto };
	const struct dpm_vip *found = NULL, *x;
	__u32 i, h;
	int *slot = calloc(1u << bits, sizeof(*slot)); /* vips index + 1 */

	if (!slot)
		abort();
	for (int v = 0; v < m->c.nvips; v++) {
		if (m->c.vips[v].family != fam)
			continue;
		h = vip_home(&m->c.vips[v], bits);
		for (i = 0; i < XLB_VIP_PROBES && slot[(h + i) & mask]; i++)
			;
		if (i < XLB_VIP_PROBES)
			slot[(h + i) & mask] = v + 1;
	}
	memcpy(key.addr, addr, fam == 4 ? 4 : 16);
	h = vip_home(&key, bits);
	for (i = 0; i < XLB_VIP_PROBES && slot[(h + i) & mask]; i++) {
		x = &m->c.vips[slot[(h + i) & mask] - 1];
		if (x->port == port && x->proto == proto &&
		    !memcmp(x->addr, addr, fam == 4 ? 4 : 16)) {
			found = x;
			break;
		}
	}
	free(slot);
	return found;
}

static const struct backend_info *be_get(const struct dpm *m, __u32 id)
{
	return id < m->c.max_backends && id < DPM_MAX_BE ? &m->c.be[id] :
							    NULL;
}

static __be32 mask4(__be32 a, __u32 plen)
{
	if (plen >= 32)
		return a;
	return plen ? a & htonl(~0u << (32 - plen)) : 0;
}

/* ---- the decision ---- */

/* What is known about the packet's flow on its way to a back end. */
struct walk {
	struct view v;
	const struct dpm_vip *vip;
	__u8 key[40]; /* flow_key_v4 or flow_key_v6 */
	__u32 seed;   /* tunnel: the outer source's input */
	bool no_pin;  /* ICMP error: look up, never pin */
	__u8 tcp;     /* TCP flags (0: UDP) */
	__u32 be_id;
	__be16 nat_port;
	__u32 reason; /* when forwarded */
};

/* Fill the flow key (client -> VIP) and the tunnel seed. */
static void flow_key(struct walk *w, const __u8 *src, const __u8 *dst,
		     const __u8 *sport, const __u8 *dport, __u8 proto)
{
	__u32 s = 0, a;
	__u16 sp, dp;
	int i, n = w->v.fam == 4 ? 1 : 4;

	memset(w->key, 0, sizeof(w->key));
	if (w->v.fam == 4) {
		struct flow_key_v4 *k = (void *)w->key;

		memcpy(&k->src, src, 4);
		memcpy(&k->dst, dst, 4);
		memcpy(&k->sport, sport, 2);
		memcpy(&k->dport, dport, 2);
		k->proto = proto;
	} else {
		struct flow_key_v6 *k = (void *)w->key;

		memcpy(k->src, src, 16);
		memcpy(k->dst, dst, 16);
		memcpy(&k->sport, sport, 2);
		memcpy(&k->dport, dport, 2);
		k->proto = proto;
	}
	/* client address words xor (sport << 16 | dport), as loaded */
	for (i = 0; i < n; i++) {
		memcpy(&a, src + 4 * i, 4);
		s ^= a;
	}
	memcpy(&sp, sport, 2);
	memcpy(&dp, dport, 2);
	w->seed = s ^ ((__u32)sp << 16 | dp);
}

static int nat_alloc(struct dpm *m, const struct walk *w,
		     const struct backend_info *be, const __u8 *frame,
		     __be16 *port)
{
	const struct lb_cfg *cfg = &m->c.cfg;
	struct nat_value v = {};
	struct nat_key k = {};
	__u32 cur, span, start, i;
	const __u8 *key = w->key;
	bool v4 = w->v.fam == 4;

	memcpy(k.baddr, be->addr, 16);
	k.bport = be->port ? be->port : htons(w->vip->port);
	k.proto = w->vip->proto;
	k.family = v4 ? AFI4 : AFI6;
	cur = xlb_hash((const __u32 *)&k, 5) & (XLB_NAT_CURSORS - 1);
	if (!cfg->nat_port_min || !m->c.nat_ifindex ||
	    cfg->nat_port_max < cfg->nat_port_min)
		return -XLB_DROP_NAT_OFF;
	if (!m->c.tx_port[XLB_PORT_INT])
		return -XLB_DROP_NAT_NO_IFACE;
	span = cfg->nat_port_max - cfg->nat_port_min + 1;
	start = m->nat_next[cur]++ % span;
	memcpy(v.caddr, key, v4 ? 4 : 16);
	memcpy(v.vaddr, key + (v4 ? 4 : 16), v4 ? 4 : 16);
	memcpy(&v.cport, key + (v4 ? 8 : 32), 2);
	memcpy(&v.vport, key + (v4 ? 10 : 34), 2);
	memcpy(v.cmac, frame + 6, 6);
	for (i = 0; i < 16; i++) {
		k.lport = htons(cfg->nat_port_min + (start + i) % span);
		if (!tab_get(&m->nat_rev, &k)) {
			tab_put(&m->nat_rev, &k, &v);
			m->nat_next[cur] += i;
			*port = k.lport;
			return 0;
		}
	}
	/* a second round from a random place: predictable only when the
	 * first covered the whole range */
	if (span > 16)
		return -1000;
	m->nat_next[cur] += 16;
	return -XLB_DROP_NAT_NO_PORT;
}

/* The old mapping of a flow that opened again on another back end goes
 * (bpf/nat.h nat_free: only if it is still that client's). */
static void nat_free(struct dpm *m, const struct walk *w,
		     const struct backend_info *be, __be16 port)
{
	const struct nat_value *v;
	struct nat_key k = {};
	bool v4 = w->v.fam == 4;
	__u32 c0 = 0, c3 = 0;
	__be16 cport;

	memcpy(k.baddr, be->addr, 16);
	k.bport = be->port ? be->port : htons(w->vip->port);
	k.lport = port;
	k.proto = w->vip->proto;
	k.family = v4 ? AFI4 : AFI6;
	memcpy(&c0, w->key, 4);
	if (!v4)
		memcpy(&c3, w->key + 12, 4);
	memcpy(&cport, w->key + (v4 ? 8 : 32), 2);
	v = tab_get(&m->nat_rev, &k);
	if (v && v->cport == cport && v->caddr[0] == c0 && v->caddr[3] == c3)
		tab_del(&m->nat_rev, &k);
}

#define TF_FIN 0x01
#define TF_SYN 0x02
#define TF_RST 0x04
#define TF_ACK 0x10

/* The TCP state of a flow from the client's side (include/xdp_lb.h, enum
 * flow_state): UDP stays NEW; RST and FIN seen from the client; a SYN (a
 * connection opening); established once an ACK without SYN follows it.
 * A first packet that opens nothing (a mid-flow packet, after a restart
 * or an eviction) is a pickup, established from its next ACK. */
static __u8 flow_state(const struct walk *w, const struct mflow *old)
{
	__u8 f = w->tcp;

	if (w->vip->proto != IPPROTO_TCP)
		return XLB_FLOW_NEW;
	if (f & TF_RST)
		return XLB_FLOW_RST;
	if (f & TF_FIN)
		return XLB_FLOW_FIN;
	if ((f & TF_SYN) && !(f & TF_ACK))
		return XLB_FLOW_SYN;
	if (!old)
		return XLB_FLOW_PICKUP;
	if ((f & TF_ACK) && (old->state == XLB_FLOW_SYN ||
			     old->state == XLB_FLOW_PICKUP))
		return XLB_FLOW_ESTABLISHED;
	return old->state;
}

static void flow_out(struct dpm_out *o, const struct walk *w,
		     const struct mflow *f)
{
	o->flow = true;
	o->flow_fam = w->v.fam;
	memcpy(o->flow_key, w->key, sizeof(o->flow_key));
	o->flow_backend = f->backend_id;
	o->flow_nat_port = f->nat_port;
	o->flow_state = f->state;
}

/*
 * Does this packet open a new connection on the pinned entry f of usable
 * back end be (bpf/flow.h flow_opens_new)? 1 yes, 0 no, -1000 when it
 * depends on the entry's age (a back end that takes no new flows: the
 * model keeps no time).
 */
static int opens_new(const struct walk *w, const struct mflow *f,
		     const struct backend_info *be)
{
	bool takes_new = !(be->flags & XLB_BE_F_NO_NEW);
	__u8 t = w->tcp;

	if (w->vip->proto == IPPROTO_UDP)
		return takes_new ? 0 : -1000;
	if (!(t & TF_SYN) || (t & (TF_ACK | TF_RST | TF_FIN)))
		return 0;
	if (f->state == XLB_FLOW_FIN || f->state == XLB_FLOW_RST ||
	    f->state == XLB_FLOW_PICKUP)
		return 1;
	if (takes_new)
		return 0;
	return f->state != XLB_FLOW_SYN ? 1 : -1000;
}

/* nat: the port of a flow picked again (bpf/flow.h nat_port_for): its old
 * one on the same back end, else a new mapping and the old one goes. */
static int nat_port_for(struct dpm *m, struct walk *w,
			const struct backend_info *be, const __u8 *frame,
			__u32 old_id, __be16 old_port)
{
	const struct backend_info *old_be;
	int ret;

	if (old_port && old_id == w->be_id) {
		w->nat_port = old_port;
		return 0;
	}
	ret = nat_alloc(m, w, be, frame, &w->nat_port);
	if (ret < 0 || !old_port)
		return ret;
	old_be = be_get(m, old_id);
	if (old_be)
		nat_free(m, w, old_be, old_port);
	return 0;
}

/* Pinned back end, or the service table's pick (pinned unless no_pin). */
static int resolve(struct dpm *m, struct walk *w, const __u8 *frame,
		   struct dpm_out *o)
{
	struct tab *t = w->v.fam == 4 ? &m->flows4 : &m->flows6;
	__u32 flags = w->vip->meta.flags, svc = w->vip->meta.svc_id;
	bool nat = flags & XLB_VIP_F_NAT;
	struct mflow *f = tab_get(t, w->key), nf = {};
	const struct backend_info *be;
	__u32 *slots, old_id = XLB_NO_BACKEND;
	__be16 old_port = 0;
	__u64 h;
	int ret;

	if (f) {
		be = be_get(m, f->backend_id);
		ret = be && be->state == XLB_BE_ACTIVE && be->svc_id == svc &&
		      (!nat || f->nat_port);
		if (ret && !w->no_pin) {
			int n = opens_new(w, f, be);

			if (n < 0)
				return n; /* depends on time */
			if (n)
				ret = -1;
		}
		if (ret == 1) {
			w->be_id = f->backend_id;
			w->nat_port = f->nat_port;
			if (!w->no_pin) {
				f->state = flow_state(w, f);
				flow_out(o, w, f);
			}
			return 0;
		}
		/* a new connection on the entry (ret -1), or its back end
		 * is gone (0: no old port, as the program) */
		old_id = f->backend_id;
		if (ret)
			old_port = f->nat_port;
	}
	if (flags & XLB_VIP_F_SRC_IP) { /* the client address, masked */
		__u32 pk[4] = {}, plen = XLB_VIP_PREFIX(flags), n, i;

		n = w->v.fam == 4 ? 1 : 4;
		for (i = 0; i < n; i++) {
			__u32 bits = plen > 32 * i ? plen - 32 * i : 0;

			memcpy(&pk[i], w->key + 4 * i, 4);
			pk[i] = mask4(pk[i], bits > 32 ? 32 : bits);
		}
		h = xlb_hash(pk, n);
	} else {
		h = xlb_hash((const __u32 *)w->key,
			     (w->v.fam == 4 ? sizeof(struct flow_key_v4) :
					      sizeof(struct flow_key_v6)) / 4);
	}
	slots = svc < m->c.max_services && svc < DPM_MAX_SVC ?
			m->c.table[svc] :
			NULL;
	if (!slots ||
	    slots[xlb_slot(h, m->c.table_size)] == XLB_NO_BACKEND)
		return -XLB_DROP_NO_BACKEND;
	w->be_id = slots[xlb_slot(h, m->c.table_size)];
	be = be_get(m, w->be_id);
	if (!be || be->state != XLB_BE_ACTIVE)
		return -XLB_DROP_NO_BACKEND;
	if (w->no_pin)
		return 0;
	/* the flood guard: off, or a bucket too small for one flow's cost
	 * (every new flow over the rate); anything between depends on time
	 * (see dp_model.h) */
	if (m->c.cfg.flow_cost_ns) {
		if (m->c.cfg.bucket_ns >= m->c.cfg.flow_cost_ns)
			return -1000;
		if (nat) /* no mapping: cannot be forwarded */
			return -XLB_DROP_NAT_FLOOD;
		if (f) /* the old entry must not carry this connection */
			tab_del(t, w->key);
		w->reason = XLB_TX_UNPINNED; /* forwarded, not pinned */
		return 0;
	}
	if (nat) {
		ret = nat_port_for(m, w, be, frame, old_id, old_port);
		if (ret < 0)
			return ret;
	}
	nf.backend_id = w->be_id;
	nf.nat_port = w->nat_port;
	nf.state = flow_state(w, NULL);
	tab_put(t, w->key, &nf);
	flow_out(o, w, &nf);
	return 0;
}

static bool drops(__u32 r)
{
	return r == XLB_DROP_NO_BACKEND || r == XLB_DROP_ENCAP ||
	       r == XLB_DROP_NAT_NO_PORT || r == XLB_DROP_NAT_OFF ||
	       r == XLB_DROP_NAT_FLOOD || r == XLB_DROP_NAT_NO_IFACE;
}

static void set_macs(__u8 *f, const __u8 *dst, const __u8 *src)
{
	__u8 d[6];

	memcpy(d, dst, 6); /* dst may be the frame's own source */
	memcpy(f + 6, src, 6);
	memcpy(f, d, 6);
}

/* ---- forwarding by mode (docs/modes.md) ---- */

/* murmur3's finaliser (docs/modes.md: the outer source's host bits are
 * the flow's client address and ports, murmur3-mixed). */
static __u32 fmix32(__u32 h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	return h ^ (h >> 16);
}

/* tunnel: L2 (to the next hop) + outer header + the IP packet, as long
 * as its IP length says. */
static int tunnel(const struct dpm *m, const struct walk *w,
		  const struct backend_info *be, const __u8 *in,
		  struct dpm_out *o)
{
	const struct lb_cfg *cfg = &m->c.cfg;
	bool outer6 = be->family == AFI6, inner6 = w->v.fam == 6;
	__u32 l2 = w->v.l2, room = outer6 ? 40 : 20, ilen, h = fmix32(w->seed);
	const __u8 *ip = in + l2;
	__u8 *out = o->data, tos;

	if (inner6 && !outer6)
		return -XLB_DROP_ENCAP;
	ilen = w->v.end - l2;
	tos = inner6 ? (ip[0] & 0xf) << 4 | ip[1] >> 4 : ip[1];
	memcpy(out, in, l2);
	set_macs(out, be->mac, m->c.if_mac);
	set16(out + l2 - 2, outer6 ? 0x86dd : 0x0800);
	memset(out + l2, 0, room);
	if (outer6) {
		__u8 *x = out + l2;

		x[0] = 0x60 | tos >> 4;
		x[1] = (tos & 0xf) << 4 | ((h >> 16) & 0xf);
		x[2] = h >> 8;
		x[3] = h;
		set16(x + 4, ilen);
		x[6] = inner6 ? 41 : 4;
		x[7] = 64;
		for (int i = 0; i < 4; i++) {
			__u32 mk = cfg->tun_mask6[i];
			__u32 hw = htonl(i == 3 ? h : i == 2 ? w->seed : 0);
			__u32 a = (cfg->tun_src6[i] & mk) | (hw & ~mk);

			memcpy(x + 8 + 4 * i, &a, 4);
		}
		memcpy(x + 24, be->addr, 16);
	} else {
		__u8 *x = out + l2;
		__u32 a = (cfg->tun_src4 & cfg->tun_mask4) |
			  (htonl(h) & ~cfg->tun_mask4);

		x[0] = 0x45;
		x[1] = tos;
		set16(x + 2, ilen + 20);
		x[8] = 64;
		x[9] = 4;
		memcpy(x + 12, &a, 4);
		memcpy(x + 16, be->addr, 4);
		set16(x + 10, ~dpm_fold(dpm_sum(0, x, 20)));
	}
	memcpy(out + l2 + room, ip, ilen);
	o->len = l2 + room + ilen;
	o->verdict = XDP_TX;
	return 0;
}

/* Rewrite, in o's copy of the frame, the IP addresses to (src, dst) and
 * the L4 ports to (*sp, *dp; NULL: unchanged), keeping every sum's
 * residual. v: the parsed frame; proto TCP or UDP. */
static void nat_rewrite(const struct view *v, const __u8 *in, __u8 *out,
			const __u8 *src, const __u8 *dst, const __be16 *sp,
			const __be16 *dp)
{
	__u32 l3 = v->l2, an = v->fam == 4 ? 4 : 16;
	__u32 so = v->fam == 4 ? 12 : 8, acc;
	__u8 *l4 = out + v->l4;

	memcpy(out + l3 + so, src, an);
	memcpy(out + l3 + so + an, dst, an);
	if (sp)
		memcpy(l4, sp, 2);
	if (dp)
		memcpy(l4 + 2, dp, 2);
	if (v->fam == 4) {
		__u32 hl = (in[l3] & 0xf) * 4;

		sum_set(out + l3 + 10, get16(in + l3 + 10),
			delta(0, in + l3, out + l3, hl, 10), false);
	}
	if (v->proto == IPPROTO_UDP && v->fam == 4 && !get16(in + v->l4 + 6))
		return; /* IPv4 UDP without a checksum: stays 0 */
	{
		__u32 at = v->proto == IPPROTO_TCP ? 16 : 6;

		acc = delta(0, in + l3 + so, out + l3 + so, 2 * an, -1);
		acc = delta(acc, in + v->l4, out + v->l4, v->end - v->l4, at);
		sum_set(l4 + at, get16(in + v->l4 + at), acc,
			v->proto == IPPROTO_UDP);
	}
}

/* nat toward the back end: destination back end:port, source ours and
 * the flow's port; out of the internal interface. */
static int nat_fwd(const struct dpm *m, const struct walk *w,
		   const struct backend_info *be, const __u8 *in,
		   struct dpm_out *o)
{
	const __u8 *src = w->v.fam == 4 ? (const __u8 *)&m->c.cfg.nat_src4 :
					  (const __u8 *)m->c.cfg.nat_src6;

	nat_rewrite(&w->v, in, o->data, src, (const __u8 *)be->addr,
		    &w->nat_port, be->port ? &be->port : NULL);
	set_macs(o->data, be->mac, m->c.int_mac);
	if (!m->c.tx_port[XLB_PORT_INT])
		return -XLB_DROP_NAT_NO_IFACE;
	o->verdict = XDP_REDIRECT;
	o->reason = XLB_REDIRECT_NAT;
	return 0;
}

static int forward(const struct dpm *m, const struct walk *w,
		   const __u8 *in, struct dpm_out *o)
{
	const struct backend_info *be = be_get(m, w->be_id);
	__u32 flags = w->vip->meta.flags;
	int ret;

	if (flags & XLB_VIP_F_NAT) {
		ret = nat_fwd(m, w, be, in, o);
	} else if (flags & XLB_VIP_F_TUNNEL) {
		ret = tunnel(m, w, be, in, o);
	} else {
		set_macs(o->data, be->mac, m->c.if_mac);
		o->verdict = XDP_TX;
		ret = 0;
	}
	if (!ret && !(flags & XLB_VIP_F_NAT)) /* nat: redirect_nat */
		o->reason = w->reason;
	o->flags = flags;
	return ret;
}

/* ---- ICMP (docs/modes.md: echo answered, errors to the flow's back end)
 * ---- */

/* An error about a nat flow: to its back end, the quote translated back
 * to what the back end sent (back end:port -> our address:nat port),
 * every sum kept. q: the quote's offset, ports: its L4 offset. */
static int icmp_nat(struct dpm *m, struct walk *w, const __u8 *in,
		    struct dpm_out *o, __u32 q, __u32 ports)
{
	struct tab *t = w->v.fam == 4 ? &m->flows4 : &m->flows6;
	const struct mflow *f = tab_get(t, w->key);
	const struct backend_info *be;
	bool v4 = w->v.fam == 4;
	__u32 an = v4 ? 4 : 16, so = v4 ? 12 : 8, l3 = w->v.l2, acc;
	__u32 ic = w->v.l4;
	__u8 *out = o->data, qproto = in[q + (v4 ? 9 : 6)];
	const __u8 *nsrc = v4 ? (const __u8 *)&m->c.cfg.nat_src4 :
				(const __u8 *)m->c.cfg.nat_src6;

	if (!f || !f->nat_port)
		return -XLB_PASS_NOT_VIP;
	be = be_get(m, f->backend_id);
	if (!be || be->state != XLB_BE_ACTIVE ||
	    be->family != (v4 ? AFI4 : AFI6))
		return -XLB_PASS_NOT_VIP;
	memcpy(out + l3 + so + an, be->addr, an); /* outer destination */
	memcpy(out + q + so, be->addr, an);	  /* quoted source */
	memcpy(out + q + so + an, nsrc, an);	  /* quoted destination */
	if (be->port)
		memcpy(out + ports, &be->port, 2);
	memcpy(out + ports + 2, &f->nat_port, 2);
	if (v4) {
		sum_set(out + q + 10, get16(in + q + 10),
			delta(0, in + q, out + q, 20, 10), false);
		sum_set(out + l3 + 10, get16(in + l3 + 10),
			delta(0, in + l3, out + l3, 20, 10), false);
	}
	/* the quoted UDP sum, when it is quoted (IPv4: 0 means none) */
	if (qproto == IPPROTO_UDP && ports + 8 <= w->v.end &&
	    (!v4 || get16(in + ports + 6))) {
		acc = delta(0, in + q + so, out + q + so, 2 * an, -1);
		acc = delta(acc, in + ports, out + ports, 4, -1);
		sum_set(out + ports + 6, get16(in + ports + 6), acc, true);
	}
	acc = delta(0, in + ic, out + ic, w->v.end - ic, 2);
	if (!v4) /* the ICMPv6 pseudo-header holds the outer addresses */
		acc = delta(acc, in + l3 + 8, out + l3 + 8, 32, -1);
	sum_set(out + ic + 2, get16(in + ic + 2), acc, false);
	set_macs(out, be->mac, m->c.int_mac);
	if (!m->c.tx_port[XLB_PORT_INT])
		return -XLB_DROP_NAT_NO_IFACE;
	o->verdict = XDP_REDIRECT;
	o->reason = XLB_TX_ICMP_ERROR;
	o->flags = w->vip->meta.flags;
	return 0;
}

/* An error quoting (VIP:port -> client:port) at q with ports at pp: find
 * the service and the flow (its mirror), forward by mode. */
static int icmp_err(struct dpm *m, struct walk *w, const __u8 *in,
		    struct dpm_out *o, __u32 q, __u32 pp)
{
	bool v4 = w->v.fam == 4;
	__u8 qp = in[q + (v4 ? 9 : 6)];
	const __u8 *qs = in + q + (v4 ? 12 : 8), *qd = qs + (v4 ? 4 : 16);
	int ret;

	if (qp != IPPROTO_TCP && qp != IPPROTO_UDP)
		return -XLB_PASS_NOT_VIP;
	w->vip = vip_find(m, w->v.fam, qs, get16(in + pp), qp);
	if (!w->vip)
		return -XLB_PASS_NOT_VIP;
	flow_key(w, qd, qs, in + pp + 2, in + pp, qp);
	w->no_pin = true;
	w->reason = XLB_TX_ICMP_ERROR;
	if (w->vip->meta.flags & XLB_VIP_F_NAT)
		return icmp_nat(m, w, in, o, q, pp);
	ret = resolve(m, w, in, o);
	return ret < 0 ? ret : forward(m, w, in, o);
}

static int echo_reply(const struct dpm *m, const struct walk *w,
		      const __u8 *in, struct dpm_out *o)
{
	bool v4 = w->v.fam == 4;
	__u32 l3 = w->v.l2, an = v4 ? 4 : 16, so = v4 ? 12 : 8, ic = w->v.l4;
	__u8 *out = o->data;

	memcpy(out + l3 + so, in + l3 + so + an, an);
	memcpy(out + l3 + so + an, in + l3 + so, an);
	out[l3 + (v4 ? 8 : 7)] = 64;
	out[ic] = v4 ? 0 : 129;
	if (v4)
		sum_set(out + l3 + 10, get16(in + l3 + 10),
			delta(0, in + l3, out + l3, 20, 10), false);
	/* ICMPv6: the swapped addresses leave the pseudo-header's sum as
	 * it was */
	sum_set(out + ic + 2, get16(in + ic + 2),
		delta(0, in + ic, out + ic, w->v.end - ic, 2), false);
	set_macs(out, in + 6, m->c.if_mac);
	o->verdict = XDP_TX;
	o->reason = XLB_TX_ICMP_ECHO;
	return 0;
}

static int icmp4(struct dpm *m, struct walk *w, const __u8 *in,
		 struct dpm_out *o)
{
	__u32 ic = w->v.l4, q = ic + 8, pp;
	const __u8 *ip = in + w->v.l2;

	if (ic + 8 > w->v.end)
		return -XLB_PASS_MALFORMED;
	if (in[ic] == 8 && in[ic + 1] == 0) {
		if (!vip_find(m, 4, ip + 16, 0, IPPROTO_ICMP))
			return -XLB_PASS_NOT_VIP;
		return echo_reply(m, w, in, o);
	}
	if (in[ic] != 3 && in[ic] != 11)
		return -XLB_PASS_NOT_L4;
	if (q + 20 > w->v.end || in[q] >> 4 != 4 || (in[q] & 0xf) < 5)
		return -XLB_PASS_MALFORMED;
	if (get16(in + q + 6) & 0x1fff) /* a non-first fragment: no ports */
		return -XLB_PASS_FRAGMENT;
	pp = q + (in[q] & 0xf) * 4;
	if (pp + 4 > w->v.end)
		return -XLB_PASS_MALFORMED;
	return icmp_err(m, w, in, o, q, pp);
}

static int icmp6(struct dpm *m, struct walk *w, const __u8 *in,
		 struct dpm_out *o)
{
	__u32 ic = w->v.l4, q = ic + 8;
	const __u8 *ip = in + w->v.l2;
	__u8 t = in[ic];

	if (ic + 8 > w->v.end)
		return -XLB_PASS_MALFORMED;
	if (t == 128 && in[ic + 1] == 0) {
		if (!vip_find(m, 6, ip + 24, 0, 58))
			return -XLB_PASS_NOT_VIP;
		return echo_reply(m, w, in, o);
	}
	if (t != 1 && t != 2 && t != 3)
		return -XLB_PASS_NOT_L4;
	if (q + 44 > w->v.end || in[q] >> 4 != 6)
		return -XLB_PASS_MALFORMED;
	return icmp_err(m, w, in, o, q, q + 40);
}

/* ---- the internal side (nat replies) ---- */

static int nat_reply(struct dpm *m, const __u8 *in, __u32 len,
		     struct dpm_out *o)
{
	struct view v = {};
	struct nat_key k = {};
	const struct nat_value *nv;
	const __u8 *ip;
	int p, ret;

	p = parse_ip(in, len, &v);
	if (p < 0)
		return p;
	ret = parse_l4(in, &v);
	if (ret < 0)
		return ret;
	ip = in + v.l2;
	memcpy(k.baddr, ip + (v.fam == 4 ? 12 : 8), v.fam == 4 ? 4 : 16);
	memcpy(&k.bport, in + v.l4, 2);
	memcpy(&k.lport, in + v.l4 + 2, 2);
	k.proto = p;
	k.family = v.fam == 4 ? AFI4 : AFI6;
	nv = tab_get(&m->nat_rev, &k);
	if (!nv)
		return -XLB_PASS_NOT_VIP;
	nat_rewrite(&v, in, o->data, (const __u8 *)nv->vaddr,
		    (const __u8 *)nv->caddr, &nv->vport, &nv->cport);
	set_macs(o->data, nv->cmac, m->c.if_mac);
	if (!m->c.tx_port[XLB_PORT_EXT])
		return -XLB_DROP_NAT_NO_IFACE;
	o->verdict = XDP_REDIRECT;
	o->reason = XLB_REDIRECT_NAT_REPLY;
	return 0;
}

static int lb_ext(struct dpm *m, const __u8 *in, __u32 len,
		  struct dpm_out *o)
{
	struct walk w = {};
	const __u8 *ip;
	int p, ret;

	p = parse_ip(in, len, &w.v);
	if (p < 0)
		return p;
	ip = in + w.v.l2;
	if (w.v.fam == 4 && p == IPPROTO_ICMP)
		return icmp4(m, &w, in, o);
	if (w.v.fam == 6 && p == 58)
		return icmp6(m, &w, in, o);
	ret = parse_l4(in, &w.v);
	if (ret < 0)
		return ret;
	if (w.v.fam == 4)
		w.vip = vip_find(m, 4, ip + 16, get16(in + w.v.l4 + 2), p);
	else
		w.vip = vip_find(m, 6, ip + 24, get16(in + w.v.l4 + 2), p);
	if (!w.vip)
		return -XLB_PASS_NOT_VIP;
	if (w.v.fam == 4)
		flow_key(&w, ip + 12, ip + 16, in + w.v.l4, in + w.v.l4 + 2, p);
	else
		flow_key(&w, ip + 8, ip + 24, in + w.v.l4, in + w.v.l4 + 2, p);
	w.reason = XLB_TX_FORWARDED;
	if (p == IPPROTO_TCP)
		w.tcp = in[w.v.l4 + 13] & (TF_FIN | TF_SYN | TF_RST | TF_ACK);
	ret = resolve(m, &w, in, o);
	if (ret < 0)
		return ret;
	return forward(m, &w, in, o);
}

int dpm_run(struct dpm *m, const __u8 *in, __u32 len, bool internal,
	    struct dpm_out *o)
{
	int ret;

	memcpy(o->data, in, len);
	o->len = len;
	o->flags = 0;
	o->flow = false;
	ret = internal ? nat_reply(m, in, len, o) : lb_ext(m, in, len, o);
	if (ret == -1000)
		return -1;
	if (ret < 0) { /* not forwarded: untouched */
		o->reason = -ret;
		o->verdict = drops(o->reason) ? XDP_DROP : XDP_PASS;
		memcpy(o->data, in, len);
		o->len = len;
	}
	return 0;
}
