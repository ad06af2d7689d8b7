// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Prototype (issue 14, bench only, not the data path): xdp-lb's IPv4 dsr
 * path on a cache-line flow table (bench/flowtab.h), to measure it next
 * to the current path in the same run (bench/bench_ft.c, bench/pps.sh).
 *   parse (the data path's parsing.h)
 *   -> VIP: an inline open-addressed table in global data (vip_inline 1,
 *      one load and compare, no helper) or the vips_v4 hash map (0)
 *   -> one seeded multiply-xorshift hash of the 5-tuple: its low bits
 *      pick the flow bucket, its high 32 bits the service-table slot
 *   -> the bucket (one 64-byte line, an inlined array lookup): FT_WAYS
 *      compares of one 64-bit word; on a hit meta holds the back end
 *   -> miss: the service table's slot, then insert into a free or the
 *      oldest way under a stripe lock (flowtab.h has the rules)
 *   -> back end (array), MAC rewrite, XDP_TX
 * Knobs (rodata): ft_mask (buckets - 1), vip_inline, counters (0 none,
 * 1 per-CPU per-service on forwarded packets, 3 per service, per back
 * end and per reason as the data path does), hash_seed.
 * Events (ft_events, per CPU): inserts, evictions of a live way, inserts
 * given up (lock busy: forwarded unpinned), re-picks (back end gone),
 * torn: a hit whose meta is not its key's (the hash tag kept in the nat
 * port field of a dsr way differs): must stay 0 (tests/prog/test_flowtab).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "consts.h"
#include "xdp_lb.h"
#include "settings.h"
#include "parsing.h"
#include "dsr.h"
#include "flowtab.h"

const volatile __u32 ft_mask = (1u << 20) - 1;
const volatile __u32 vip_inline = 1;
const volatile __u32 counters = 3;
const volatile __u64 hash_seed = FT_HASH_SEED;
const volatile __u32 two_choice = 0;

enum ft_event { FT_EV_INSERT, FT_EV_EVICT, FT_EV_BUSY, FT_EV_REPICK,
		FT_EV_TORN, FT_EV_MAX };

/* ft_flows: the flow table, FT_WAYS ways a 64-byte bucket; mmap'd by
 * userspace (sweep, purge, counts: bench/ft_sweep.c). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1u << 20);
	__type(key, __u32);
	__type(value, struct ft_bucket);
} ft_flows SEC(".maps");

/* ft_ovf: one bit per bucket, set when a flow of that (first) bucket was
 * put into its second one (two_choice). Sized buckets / 64 at load. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, (1u << 20) / 64);
	__type(key, __u32);
	__type(value, __u64);
} ft_ovf SEC(".maps");

/* The same maps as the data path (bench_ft reuses a loaded xdp-lb's). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XLB_DEFAULT_MAX_SERVICES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct vip_key_v4);
	__type(value, struct vip_meta);
} vips_v4 SEC(".maps");

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
	__uint(max_entries, FT_EV_MAX);
	__type(key, __u32);
	__type(value, __u64);
} ft_events SEC(".maps");

/* Insert stripe locks (bucket index & (FT_LOCKS - 1)); 0 free, 1 held. */
__u32 ft_locks[FT_LOCKS] SEC(".data.locks") = {};
/* The inline VIP table, written whole by userspace (mmap'd .data). */
struct ft_vip ft_vips[FT_VIP_SLOTS] SEC(".data.vips") = {};

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

/* The service of VIP addr:port/proto, 0 if none (service ids start at
 * 1); *flags its vip_meta flags. */
static __always_inline __u32 vip_find(__u32 addr, __u16 port, __u8 proto,
				      __u32 *flags)
{
	if (vip_inline) {
		__u64 key = ft_vip_key(addr, port, proto);
		__u32 s = ft_vip_hash(key);

		for (int i = 0; i < FT_VIP_PROBES; i++) {
			struct ft_vip *v = &ft_vips[(s + i) & (FT_VIP_SLOTS - 1)];

			if (v->key == key) {
				*flags = v->flags;
				return v->svc_id;
			}
			if (!v->key)
				return 0;
		}
		return 0;
	} else {
		struct vip_key_v4 vk = { .addr = addr, .port = port,
					 .proto = proto };
		struct vip_meta *vm = bpf_map_lookup_elem(&vips_v4, &vk);

		if (!vm)
			return 0;
		*flags = vm->flags;
		return vm->svc_id;
	}
}

/* The way holding key kw, or -1; *meta its meta, read consistently. */
static __always_inline int ft_find(struct ft_bucket *b, __u64 kw, __u64 *meta)
{
	for (int i = 0; i < FT_WAYS; i++) {
		if (RD64(b->w[i].kw) != kw)
			continue;
		*meta = RD64(b->w[i].meta);
		if (RD64(b->w[i].kw) == kw)
			return i;
		return -1; /* replaced under us: a miss, the insert decides */
	}
	return -1;
}

/* TCP state seen from the client, as flow.h's flow_touch. */
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

enum { FT_INS_NEW, FT_INS_FOUND, FT_INS_BUSY };

/*
 * Insert kw -> meta into bucket b (index idx) under its stripe lock:
 * FT_INS_FOUND with *meta set if another CPU inserted the flow first,
 * FT_INS_BUSY if the lock stayed taken (the caller forwards unpinned),
 * FT_INS_NEW otherwise (into the first free way, else the oldest one).
 */
static __always_inline bool ft_ovf_set(__u32 idx)
{
	__u32 w = idx / 64;
	__u64 *word = bpf_map_lookup_elem(&ft_ovf, &w);

	if (!word)
		return false;
	if (!(*word & (1ull << (idx & 63))))
		__sync_fetch_and_or(word, 1ull << (idx & 63));
	return true;
}

static __always_inline bool ft_ovf_test(__u32 idx)
{
	__u32 w = idx / 64;
	__u64 *word = bpf_map_lookup_elem(&ft_ovf, &w);

	return word && (*word & (1ull << (idx & 63)));
}

/* Two-choice: put kw into a free way of b2 (first bucket idx full);
 * under idx's lock. 1 done, 0 no free way, -1 key already there. */
static __always_inline int ft_insert2(struct ft_bucket *b2, __u32 idx,
				      __u64 kw, __u64 *meta)
{
	int i;

	for (i = 0; i < FT_WAYS; i++) {
		if (RD64(b2->w[i].kw) == kw) {
			*meta = RD64(b2->w[i].meta);
			return -1;
		}
	}
	for (i = 0; i < FT_WAYS; i++) {
		if (RD64(b2->w[i].kw))
			continue;
		/* other writers claim free ways of b2 with cmpxchg too */
		if (__sync_val_compare_and_swap(&b2->w[i].kw, 0, kw | FT_BUSY))
			continue;
		ft_ovf_set(idx);
		WR64(b2->w[i].meta, *meta);
		WR64(b2->w[i].kw, kw);
		return 1;
	}
	return 0;
}

static __always_inline int ft_insert(struct ft_bucket *b, __u32 idx, __u64 kw,
				     __u64 *meta, __u16 now16,
				     struct ft_bucket *b2)
{
	__u32 *lk = &ft_locks[idx & (FT_LOCKS - 1)];
	__u32 victim = 0, age, oldest = 0;
	__u64 old;
	int i, got = 0;

	for (i = 0; i < 16 && !got; i++)
		got = !*(volatile __u32 *)lk &&
		      !__sync_val_compare_and_swap(lk, 0, 1);
	if (!got)
		return FT_INS_BUSY;
	for (i = 0; i < FT_WAYS; i++) {
		__u64 k = RD64(b->w[i].kw);

		if (k == kw) {
			*meta = RD64(b->w[i].meta);
			*(volatile __u32 *)lk = 0;
			return FT_INS_FOUND;
		}
		age = k ? (__u16)(now16 - FT_META_SEEN(RD64(b->w[i].meta))) + 1 :
			  0x20000; /* free: before any live way */
		if (age > oldest) {
			oldest = age;
			victim = i;
		}
	}
	/* two-choice: the key may sit in its second bucket (only writers
	 * holding this lock put it there) */
	for (i = 0; b2 && i < FT_WAYS; i++) {
		if (RD64(b2->w[i].kw) == kw) {
			*meta = RD64(b2->w[i].meta);
			*(volatile __u32 *)lk = 0;
			return FT_INS_FOUND;
		}
	}
	victim &= FT_WAYS - 1;
	old = RD64(b->w[victim].kw);
	if (old && b2) {
		i = ft_insert2(b2, idx, kw, meta);
		if (i) {
			*(volatile __u32 *)lk = 0;
			if (i < 0)
				return FT_INS_FOUND;
			ft_event(FT_EV_INSERT);
			return FT_INS_NEW;
		}
	}
	if (__sync_val_compare_and_swap(&b->w[victim].kw, old, kw | FT_BUSY) !=
	    old) {
		/* userspace emptied it meanwhile */
		old = 0;
		if (__sync_val_compare_and_swap(&b->w[victim].kw, 0,
						kw | FT_BUSY)) {
			*(volatile __u32 *)lk = 0;
			return FT_INS_BUSY;
		}
	}
	WR64(b->w[victim].meta, *meta);
	WR64(b->w[victim].kw, kw);
	*(volatile __u32 *)lk = 0;
	if (old)
		ft_event(FT_EV_EVICT);
	ft_event(FT_EV_INSERT);
	return FT_INS_NEW;
}

/* A new flow's back end: the service table's slot for hash h. */
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

SEC("xdp")
int xdp_ft(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct hdr_cursor c = { .pos = data };
	__u64 bytes = data_end - data, h, kw, meta = 0;
	struct backend_info *be = NULL;
	struct l4_info l4 = {};
	__u32 svc_id, flags = 0, idx, bid;
	bool new_flow = false;
	struct ft_bucket *b, *hb, *b2 = NULL;
	struct ethhdr *eth;
	struct iphdr *iph;
	__u16 now16;
	int proto, way;

	if (parse_eth(&c, data_end, &eth) != ETH_P_IP)
		return XDP_PASS;
	proto = parse_ipv4(&c, data_end, &iph);
	if (proto < 0)
		return XDP_PASS;
	proto = parse_l4(&c, data_end, proto, &l4);
	if (proto < 0)
		return XDP_PASS;
	svc_id = vip_find(iph->daddr, l4.dport, proto, &flags);
	if (!svc_id) {
		if (counters >= 2)
			count_reason(XLB_PASS_NOT_VIP, bytes);
		return XDP_PASS;
	}
	h = ft_hash(iph->saddr, iph->daddr,
		    (__u32)l4.sport << 16 | l4.dport, proto, hash_seed);
	idx = h & ft_mask;
	b = bpf_map_lookup_elem(&ft_flows, &idx);
	if (!b)
		return XDP_PASS;
	kw = ft_kw(iph->saddr, l4.sport, svc_id);
	now16 = bpf_ktime_get_coarse_ns() >> FT_SEEN_SHIFT;
	way = ft_find(b, kw, &meta);
	hb = b;
	if (two_choice) {
		__u32 idx2 = ft_idx2(h, ft_mask);

		if (idx2 != idx)
			b2 = bpf_map_lookup_elem(&ft_flows, &idx2);
		if (way < 0 && b2 && ft_ovf_test(idx)) {
			way = ft_find(b2, kw, &meta);
			hb = b2;
		}
	}
	if (way >= 0 && FT_META_NATPORT(meta) != FT_TAG(h)) {
		ft_event(FT_EV_TORN);
		way = -1;
	}
	if (way >= 0) {
		bid = FT_META_BACKEND(meta);
		be = bpf_map_lookup_elem(&backends, &bid);
		if (ft_usable(be, svc_id)) {
			__u8 st = FT_META_STATE(meta);
			__u8 nst = ft_state(st, &l4, proto);

			if (nst != st || FT_META_SEEN(meta) != now16)
				__sync_val_compare_and_swap(
					&hb->w[way & (FT_WAYS - 1)].meta, meta,
					ft_meta(bid, FT_META_NATPORT(meta),
						now16, nst));
			goto forward;
		}
		ft_event(FT_EV_REPICK); /* kept simple: re-pick, no rewrite */
	}
	bid = ft_pick(svc_id, h);
	be = bpf_map_lookup_elem(&backends, &bid);
	if (!ft_usable(be, svc_id))
		return XDP_DROP;
	if (way < 0) {
		/* dsr has no nat port: the field holds a tag of the flow's
		 * hash, so a test can tell a torn key/meta pair */
		meta = ft_meta(bid, FT_TAG(h), now16,
			       ft_state(proto == IPPROTO_TCP ?
						XLB_FLOW_ESTABLISHED :
						XLB_FLOW_NEW,
					&l4, proto));
		switch (ft_insert(b, idx, kw, &meta, now16, b2)) {
		case FT_INS_NEW:
			new_flow = true;
			break;
		case FT_INS_FOUND: /* another CPU was first: its back end */
			bid = FT_META_BACKEND(meta);
			be = bpf_map_lookup_elem(&backends, &bid);
			if (!ft_usable(be, svc_id))
				return XDP_DROP;
			break;
		default:
			ft_event(FT_EV_BUSY);
		}
	}
forward:
	if (counters >= 1)
		count(&stats_svc, svc_id, bytes, new_flow);
	if (counters >= 3) {
		count(&stats_backend, bid, bytes, new_flow);
		count_reason(XLB_TX_FORWARDED, bytes);
	}
	return dsr_forward(eth, be);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
