// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Prototype (issue 14, bench only, not the data path): xdp-lb's IPv6 dsr
 * path on a cache-line flow table, in the two layouts of bench/flowtab6.h
 * (rodata knob `layout`), to measure them next to the current path
 * (flows6 since step 5, which took the fp layout; the LRU hash flows_v6
 * before) in the same run (bench/bench_pkt.c -6).
 *   parse (the data path's parsing.h)
 *   -> VIP: its own vips_v6 hash map (the data path now probes the
 *      inline VIP table: the prototype's rows carry a hash lookup more)
 *   -> one hash of the 5-tuple (ft6_hash): low bits the bucket, high 32
 *      the service-table slot and the fingerprint
 *   -> the bucket line: compare kw; on a match the address (FT6_FP: the
 *      bucket's line of ft6_keys; FT6_WIDE: the same line) and meta
 *   -> miss: the slot's back end, insert under a stripe lock
 *   -> back end (array), MAC rewrite, XDP_TX
 * Knobs: ft_mask (buckets - 1), layout, two_choice, counters (1 per
 * service, 3 per service, back end and reason as the data path).
 * Events (ft_events): as bench/flowtab.bpf.c's (insert, evict, busy,
 * re-pick, torn) plus FT6_EV_FPHIT: a kw matched, the address did not.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "consts.h"
#include "xdp_lb.h"
#include "settings.h"
#include "parsing.h"
#include "dsr.h"
#include "flowtab6.h"

const volatile __u32 ft_mask = (1u << 20) - 1;
const volatile __u32 layout = FT6_FP;
const volatile __u32 counters = 3;
const volatile __u64 hash_seed = FT_HASH_SEED;
const volatile __u32 two_choice = 0;

/* ft6_flows: the bucket lines; mmap'd by userspace (bench/ft6_user.c). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1u << 20);
	__type(key, __u32);
	__type(value, struct ft6_line);
} ft6_flows SEC(".maps");

/* ft6_keys: FT6_FP only, line b holds bucket b's addresses (1 else). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1u << 20);
	__type(key, __u32);
	__type(value, struct ft6_keyline);
} ft6_keys SEC(".maps");

/* ft6_ovf: one bit per bucket that overflowed into its second one. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, (1u << 20) / 64);
	__type(key, __u32);
	__type(value, __u64);
} ft6_ovf SEC(".maps");

/* The data path's maps (bench_pkt reuses a loaded xdp-lb's). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XLB_DEFAULT_MAX_SERVICES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct vip_key_v6);
	__type(value, struct vip_meta);
} vips_v6 SEC(".maps");

struct svc_table {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XLB_DEFAULT_TABLE_SIZE);
	__type(key, __u32);
	__type(value, __u32);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, XLB_DEFAULT_MAX_SERVICES);
	__type(key, __u32);
	__array(values, struct svc_table);
} svc_tables SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XLB_DEFAULT_MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct backend_info);
} backends SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XLB_DEFAULT_MAX_SERVICES);
	__type(key, __u32);
	__type(value, struct lb_counters);
} stats_svc SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XLB_DEFAULT_MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct lb_counters);
} stats_backend SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XLB_REASON_SLOTS);
	__type(key, __u32);
	__type(value, struct reason_counters);
} stats_reason SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FT6_EV_MAX);
	__type(key, __u32);
	__type(value, __u64);
} ft_events SEC(".maps");

/* Insert stripe locks (bucket index & (FT_LOCKS - 1)); 0 free, 1 held. */
__u32 ft_locks[FT_LOCKS] SEC(".data.locks") = {};

#define RD64(x) (*(volatile __u64 *)&(x))
#define WR64(x, v) (*(volatile __u64 *)&(x) = (v))

static __always_inline void ft_event(__u32 ev)
{
	__u64 *n = bpf_map_lookup_elem(&ft_events, &ev);

	if (n)
		*n += 1;
}

static __always_inline void count(void *map, __u32 id, __u64 bytes,
				  bool new_flow)
{
	struct lb_counters *c = bpf_map_lookup_elem(map, &id);

	if (c) {
		c->packets++;
		c->bytes += bytes;
		c->new_flows += new_flow;
	}
}

static __always_inline void count_reason(__u32 reason, __u64 bytes)
{
	struct reason_counters *rc = bpf_map_lookup_elem(&stats_reason,
							 &reason);

	if (rc) {
		rc->packets++;
		rc->bytes += bytes;
	}
}

/* A bucket: its line and (FT6_FP, looked up on first need) its keys. */
struct b6 {
	struct ft6_line *l;
	struct ft6_keyline *k;
	__u32 idx;
};

static __always_inline __u64 *w_kw(struct b6 *b, int i)
{
	return layout == FT6_WIDE ? &b->l->w[i & 1].kw : &b->l->n[i & 3].kw;
}

static __always_inline __u64 *w_meta(struct b6 *b, int i)
{
	return layout == FT6_WIDE ? &b->l->w[i & 1].meta :
				    &b->l->n[i & 3].meta;
}

/* The way's address words, NULL if the keys line cannot be had. */
static __always_inline __u64 *w_addr(struct b6 *b, int i)
{
	struct ft6_keyline *k;

	if (layout == FT6_WIDE)
		return &b->l->w[i & 1].a0;
	k = b->k;
	if (!k) {
		k = bpf_map_lookup_elem(&ft6_keys, &b->idx);
		if (!k)
			return NULL;
		b->k = k;
	}
	return k->a[i & 3];
}

/* The way holding (kw, a0, a1), or -1; *meta its meta, read as
 * flowtab6.h says (kw, meta and address, kw again). */
static __always_inline int ft6_find(struct b6 *b, __u64 kw, __u64 a0,
				    __u64 a1, __u64 *meta)
{
	for (int i = 0; i < 4; i++) {
		__u64 m, x0, x1, *a;

		if (i >= (int)ft6_ways(layout))
			break;
		if (RD64(*w_kw(b, i)) != kw)
			continue;
		m = RD64(*w_meta(b, i));
		a = w_addr(b, i);
		if (!a)
			return -1;
		x0 = RD64(a[0]);
		x1 = RD64(a[1]);
		if (RD64(*w_kw(b, i)) != kw)
			return -1; /* replaced under us: the insert decides */
		if (x0 == a0 && x1 == a1) {
			*meta = m;
			return i;
		}
		ft_event(FT6_EV_FPHIT);
	}
	return -1;
}

static __always_inline __u8 ft_state(__u8 state, const struct l4_info *l4,
				     __u8 proto)
{
	if (proto != IPPROTO_TCP)
		return state;
	if (l4->rst)
		return XLB_FLOW_RST;
	if (l4->fin)
		return XLB_FLOW_FIN;
	if (l4->syn && !l4->ack)
		return XLB_FLOW_SYN;
	if (l4->ack && state == XLB_FLOW_SYN)
		return XLB_FLOW_ESTABLISHED;
	return state;
}

static __always_inline void ft6_ovf_set(__u32 idx)
{
	__u32 w = idx / 64;
	__u64 *word = bpf_map_lookup_elem(&ft6_ovf, &w);

	if (word && !(*word & (1ull << (idx & 63))))
		__sync_fetch_and_or(word, 1ull << (idx & 63));
}

static __always_inline bool ft6_ovf_test(__u32 idx)
{
	__u32 w = idx / 64;
	__u64 *word = bpf_map_lookup_elem(&ft6_ovf, &w);

	return word && (*word & (1ull << (idx & 63)));
}

/* Fill way i (claimed: kw | FT_BUSY) with address, meta, then kw. */
static __always_inline bool ft6_fill(struct b6 *b, int i, __u64 kw,
				     __u64 a0, __u64 a1, __u64 meta)
{
	__u64 *a = w_addr(b, i);

	if (!a) {
		WR64(*w_kw(b, i), 0);
		return false;
	}
	WR64(a[0], a0);
	WR64(a[1], a1);
	WR64(*w_meta(b, i), meta);
	WR64(*w_kw(b, i), kw);
	return true;
}

enum { FT_INS_NEW, FT_INS_FOUND, FT_INS_BUSY };

/* Two-choice: kw into a free way of b2 (b1 full), under b1's lock.
 * 1 done, 0 no free way. (The caller looked for the key in b2.) */
static __always_inline int ft6_insert2(struct b6 *b2, __u32 idx1, __u64 kw,
				       __u64 a0, __u64 a1, __u64 meta)
{
	for (int i = 0; i < 4; i++) {
		if (i >= (int)ft6_ways(layout))
			break;
		if (RD64(*w_kw(b2, i)))
			continue;
		if (__sync_val_compare_and_swap(w_kw(b2, i), 0, kw | FT_BUSY))
			continue;
		ft6_ovf_set(idx1);
		return ft6_fill(b2, i, kw, a0, a1, meta);
	}
	return 0;
}

/*
 * Insert under the bucket's stripe lock: the key found again (another
 * CPU was first: FT_INS_FOUND, *meta its meta), else a free way, else the
 * oldest way whose kw is not ours (flowtab6.h: no X -> X), else (b2) a
 * free way of the second bucket; FT_INS_BUSY if the lock stayed taken or
 * no way could be had.
 */
static __always_inline int ft6_insert(struct b6 *b, __u64 kw, __u64 a0,
				      __u64 a1, __u64 *meta, __u16 now16,
				      struct b6 *b2)
{
	__u32 *lk = &ft_locks[b->idx & (FT_LOCKS - 1)];
	__u32 age, oldest = 0;
	int i, got = 0, victim = -1, r = FT_INS_BUSY;
	__u64 old;

	for (i = 0; i < 16 && !got; i++)
		got = !*(volatile __u32 *)lk &&
		      !__sync_val_compare_and_swap(lk, 0, 1);
	if (!got)
		return FT_INS_BUSY;
	if (ft6_find(b, kw, a0, a1, meta) >= 0 ||
	    (b2 && ft6_find(b2, kw, a0, a1, meta) >= 0)) {
		r = FT_INS_FOUND;
		goto out;
	}
	for (i = 0; i < 4; i++) {
		__u64 k;

		if (i >= (int)ft6_ways(layout))
			break;
		k = RD64(*w_kw(b, i));
		if (k == kw)
			continue; /* another flow with our kw: never X -> X */
		age = k ? (__u16)(now16 - FT_META_SEEN(RD64(*w_meta(b, i)))) + 1 :
			  0x20000;
		if (age > oldest) {
			oldest = age;
			victim = i;
		}
	}
	if (victim < 0)
		goto out;
	old = RD64(*w_kw(b, victim));
	if (old && b2 && ft6_insert2(b2, b->idx, kw, a0, a1, *meta)) {
		ft_event(FT6_EV_INSERT);
		r = FT_INS_NEW;
		goto out;
	}
	if (__sync_val_compare_and_swap(w_kw(b, victim), old, kw | FT_BUSY) !=
	    old) {
		old = 0; /* userspace emptied it meanwhile */
		if (__sync_val_compare_and_swap(w_kw(b, victim), 0,
						kw | FT_BUSY))
			goto out;
	}
	if (!ft6_fill(b, victim, kw, a0, a1, *meta))
		goto out;
	if (old)
		ft_event(FT6_EV_EVICT);
	ft_event(FT6_EV_INSERT);
	r = FT_INS_NEW;
out:
	*(volatile __u32 *)lk = 0;
	return r;
}

static __always_inline __u32 ft_pick(__u32 svc_id, __u64 h)
{
	__u32 slot = ft_slot(h, table_size), *id;
	void *table = bpf_map_lookup_elem(&svc_tables, &svc_id);

	if (!table)
		return XLB_NO_BACKEND;
	id = bpf_map_lookup_elem(table, &slot);
	return id ? *id : XLB_NO_BACKEND;
}

static __always_inline int ft_usable(struct backend_info *be, __u32 svc_id)
{
	return be && be->state == XLB_BE_ACTIVE && be->svc_id == svc_id;
}

/* Hit or insert; the back end's id, XLB_NO_BACKEND to drop. */
static __always_inline __u32 ft6_flow(struct b6 *b, struct b6 *b2, __u64 h,
				      __u64 kw, __u64 a0, __u64 a1,
				      __u32 svc_id, const struct l4_info *l4,
				      __u8 proto, bool *new_flow)
{
	__u16 now16 = bpf_ktime_get_coarse_ns() >> FT_SEEN_SHIFT;
	struct backend_info *be;
	struct b6 *hb = b;
	__u64 meta = 0;
	__u32 bid;
	int way;

	way = ft6_find(b, kw, a0, a1, &meta);
	if (way < 0 && b2 && ft6_ovf_test(b->idx)) {
		way = ft6_find(b2, kw, a0, a1, &meta);
		hb = b2;
	}
	if (way >= 0 && FT_META_NATPORT(meta) != FT_TAG(h)) {
		ft_event(FT6_EV_TORN);
		way = -1;
	}
	if (way >= 0) {
		bid = FT_META_BACKEND(meta);
		be = bpf_map_lookup_elem(&backends, &bid);
		if (ft_usable(be, svc_id)) {
			__u8 st = FT_META_STATE(meta);
			__u8 nst = ft_state(st, l4, proto);

			if (nst != st || FT_META_SEEN(meta) != now16)
				__sync_val_compare_and_swap(
					w_meta(hb, way), meta,
					ft_meta(bid, FT_META_NATPORT(meta),
						now16, nst));
			return bid;
		}
		ft_event(FT6_EV_REPICK);
	}
	bid = ft_pick(svc_id, h);
	be = bpf_map_lookup_elem(&backends, &bid);
	if (!ft_usable(be, svc_id))
		return XLB_NO_BACKEND;
	if (way >= 0)
		return bid;
	meta = ft_meta(bid, FT_TAG(h), now16,
		       ft_state(proto == IPPROTO_TCP ? XLB_FLOW_ESTABLISHED :
						       XLB_FLOW_NEW,
				l4, proto));
	switch (ft6_insert(b, kw, a0, a1, &meta, now16, b2)) {
	case FT_INS_NEW:
		*new_flow = true;
		return bid;
	case FT_INS_FOUND: /* another CPU was first: its back end */
		return FT_META_BACKEND(meta);
	default:
		ft_event(FT6_EV_BUSY);
		return bid;
	}
}

SEC("xdp")
int xdp_ft6(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct hdr_cursor c = { .pos = data };
	__u64 bytes = data_end - data, h, kw, a0, a1;
	struct vip_key_v6 vk = {};
	struct b6 b = {}, b2 = {};
	struct backend_info *be;
	struct l4_info l4 = {};
	struct ipv6hdr *ip6h;
	struct vip_meta *vm;
	struct ethhdr *eth;
	bool new_flow = false;
	__u32 svc_id, bid, s[4], d[4];
	int proto;

	if (parse_eth(&c, data_end, &eth) != ETH_P_IPV6)
		return XDP_PASS;
	proto = parse_ipv6(&c, data_end, &ip6h);
	if (proto < 0)
		return XDP_PASS;
	proto = parse_l4(&c, data_end, proto, &l4);
	if (proto < 0)
		return XDP_PASS;
	__builtin_memcpy(vk.addr, &ip6h->daddr, 16);
	vk.port = l4.dport;
	vk.proto = proto;
	vm = bpf_map_lookup_elem(&vips_v6, &vk);
	if (!vm) {
		if (counters >= 2)
			count_reason(XLB_PASS_NOT_VIP, bytes);
		return XDP_PASS;
	}
	svc_id = vm->svc_id;
	__builtin_memcpy(s, &ip6h->saddr, 16);
	__builtin_memcpy(d, &ip6h->daddr, 16);
	h = ft6_hash(s, d, (__u32)l4.sport << 16 | l4.dport, proto,
		     hash_seed);
	b.idx = h & ft_mask;
	b.l = bpf_map_lookup_elem(&ft6_flows, &b.idx);
	if (!b.l)
		return XDP_PASS;
	if (two_choice) {
		b2.idx = ft_idx2(h, ft_mask);
		if (b2.idx != b.idx)
			b2.l = bpf_map_lookup_elem(&ft6_flows, &b2.idx);
	}
	kw = ft6_kw(h, l4.sport, svc_id);
	a0 = (__u64)s[1] << 32 | s[0]; /* the 8 bytes as loaded (LE) */
	a1 = (__u64)s[3] << 32 | s[2];
	bid = ft6_flow(&b, b2.l ? &b2 : NULL, h, kw, a0, a1, svc_id, &l4,
		       proto, &new_flow);
	be = bpf_map_lookup_elem(&backends, &bid);
	if (!ft_usable(be, svc_id))
		return XDP_DROP;
	if (counters >= 1)
		count(&stats_svc, svc_id, bytes, new_flow);
	if (counters >= 3) {
		count(&stats_backend, bid, bytes, new_flow);
		count_reason(XLB_TX_FORWARDED, bytes);
	}
	return dsr_forward(eth, be);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
