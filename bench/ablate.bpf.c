// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Benchmark only: xdp-lb's IPv4 hit path (bpf/xdp_lb.bpf.c) cut after a
 * given stage, to see where a packet's time goes. Uses the data path's own
 * headers and functions (settings.h's rodata, flow.h's flow_touch) and,
 * through bench_pkt, the filled maps of a loaded xdp-lb
 * (bpf_map__reuse_fd). `stages` is rodata: the verifier drops the stages
 * after it, so each load is the path up to that stage and nothing else.
 *   0 parse (parse_eth, parse_ipv4, parse_l4) + MAC rewrite + XDP_TX
 *   1 + VIP lookup (vip_find4: the VIP table, vip_tab4)
 *   2 + flow hash (xlb_hash over the 16-byte key)
 *   3 + flow lookup (flows4: the bucket, four compares)
 *   4 + back-end lookup and checks (backends)
 *   5 + bpf_ktime_get_coarse_ns() and ft_touch()
 *   6 + counters: the whole path (stats_backend only, as xdp_lb.bpf.c
 *     counts a forwarded packet); with old_counters, the three writes the
 *     data path made before (a per-service, a per-back-end and a
 *     per-reason entry; stats_svc_drop stands in for the per-service map)
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "consts.h"
#include "xdp_lb.h"
#include "settings.h"
#include "maps.h"
#include "vip.h"
#include "parsing.h"
#include "counters.h"
#include "flow.h"
#include "dsr.h"

const volatile __u32 stages = 6;
const volatile bool old_counters;

struct backend_info be_fixed = { .mac = { 0x02, 0xbe, 0, 0, 0, 1 } };
__u64 hash_sink;

SEC("xdp")
int xdp_ablate(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct hdr_cursor c = { .pos = data };
	struct backend_info *be = &be_fixed;
	struct flow_key_v4 fk = {};
	struct l4_info l4 = {};
	struct flow_value fvs = {}, *fv = NULL;
	struct xlb_ft_bucket *b = NULL;
	__u64 h = 0, kw = 0, meta = 0;
	__u32 idx;
	__u64 bytes = data_end - data;
	__u32 svc_id = 0, bid = 0;
	const struct vip_meta *vm;
	struct ethhdr *eth;
	struct iphdr *iph;
	int proto;

	if (parse_eth(&c, data_end, &eth) != ETH_P_IP)
		return XDP_PASS;
	proto = parse_ipv4(&c, data_end, &iph);
	if (proto < 0)
		return XDP_PASS;
	proto = parse_l4(&c, data_end, proto, &l4);
	if (proto < 0)
		return XDP_PASS;
	if (stages >= 1) {
		vm = vip_find4(iph->daddr, l4.dport, proto);
		if (!vm)
			return XDP_PASS;
		svc_id = vm->svc_id;
	}
	if (stages >= 2) {
		fk.src = iph->saddr;
		fk.dst = iph->daddr;
		fk.sport = l4.sport;
		fk.dport = l4.dport;
		fk.proto = proto;
		h = xlb_hash((__u32 *)&fk, sizeof(fk) / 4);
		hash_sink = h;
	}
	if (stages >= 3) {
		kw = xlb_ft_kw(fk.src, fk.sport, svc_id);
		b = ft_bucket(h, &idx);
		if (!b || !ft_find(b, kw, &meta))
			return XDP_DROP; /* every flow here is pinned */
		fv = &fvs;
		fv->backend_id = XLB_FT_META_BACKEND(meta);
		fv->state = XLB_FT_META_STATE(meta);
		bid = fv->backend_id;
	}
	if (stages >= 4 && fv) {
		be = bpf_map_lookup_elem(&backends, &fv->backend_id);
		if (!be || be->state != XLB_BE_ACTIVE || be->svc_id != svc_id)
			return XDP_DROP;
	}
	if (stages >= 5 && fv && b)
		ft_touch(b, kw, meta, flow_next_state(fv->state, &l4, proto),
			 bpf_ktime_get_coarse_ns());
	if (stages >= 6) {
		if (old_counters)
			count_lb(&stats_svc_drop, svc_id, bytes, false);
		count_lb(&stats_backend, bid, bytes, false);
		if (old_counters)
			count_reason(XLB_TX_FORWARDED, bytes);
	}
	return dsr_forward(eth, be);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
