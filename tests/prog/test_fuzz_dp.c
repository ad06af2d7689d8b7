// SPDX-License-Identifier: GPL-2.0-only
/*
 * Differential fuzzing of the data path: mutated frames, seeded with the
 * packet tests' fixtures (every row of xdp_cases.c, plus ICMP errors and
 * echo requests, VLAN tags, IPv4 options, IPv6 extension headers,
 * fragments, and the back ends' replies on the nat internal side), go
 * through the XDP program (BPF_PROG_TEST_RUN) and through the reference
 * model (tests/fuzz/dp_model.c), in dsr, tunnel and nat mode, and mixed
 * (a mode per service, changed under traffic). A frame
 * fails the run when the two differ in verdict, reason (the program's
 * stats_reason counter), any output byte or the flow entry (back end,
 * nat port, TCP state), or when the program's output
 * breaks an invariant of its own: never XDP_ABORTED, a passed frame
 * untouched, every checksum that was valid still valid, IP lengths
 * consistent with the frame, dsr changing the MACs only, tunnel carrying
 * the inner packet unchanged.
 *
 * Every few hundred frames the flows and mappings are flushed on both
 * sides, and the epoch may run with an interface gone (tx_ports slot
 * empty), a back end down, or the flood guard refusing every new flow;
 * within an epoch back ends go down and up and tables are swapped.
 *
 * XLB_FUZZ_SEED=N    (default 1: the test suite's fixed run)
 * XLB_FUZZ_FRAMES=N  frames per mode (default 25,000: 10^5 in all)
 * XLB_FUZZ_SECONDS=S run each mode S seconds instead (make fuzz-dp)
 * Run one mode: test_fuzz_dp fuzz_dp_nat
 */
#define _GNU_SOURCE
#include "xdp_env.h"
#include "fuzz_dp.h"

static const struct xlb_sizes fuzz_sizes = {
	.table_size = 13,
	.max_flows = 8192,
	.max_services = 16,
	.max_backends = 16,
};

static const struct lb_cfg fuzz_cfg_base = {
	.tun_src4 = 0x000912c6, .tun_mask4 = 0x00ffffff,
	.tun_src6 = { 0x000000fd | 0x0900 << 16, 0, 0, 0 },
	.tun_mask6 = { 0xffffffff, 0xffffffff, 0, 0 },
	.nat_port_min = 20000, .nat_port_max = 60999,
};

/* ---- the configuration, on both sides ---- */

static void be_write(struct fuzz *fz, __u32 id, const struct backend_info *bi)
{
	backend_put(fz->e, id, bi);
	dpm_cfg(fz->m)->be[id] = *bi;
}

static void vip_mode(struct fuzz *fz, const struct svc_def *d, __u32 flags)
{
	struct family_setup f = { .family = d->family, .vip = d->vip,
				  .port = d->port, .svc = d->id };
	struct dpm_cfg *c = dpm_cfg(fz->m);
	int i;

	vip_flags_proto(fz->e, &f, d->proto, flags);
	for (i = 0; i < c->nvips; i++)
		if (c->vips[i].meta.svc_id == d->id && c->vips[i].port)
			c->vips[i].meta.flags = flags;
}

static void model_vip(struct dpm_cfg *c, int family, const char *vip,
		      __u16 port, __u8 proto, __u32 svc)
{
	struct dpm_vip *v = &c->vips[c->nvips++];

	v->family = family == AF_INET ? 4 : 6;
	addr_of(family, vip, v->addr);
	v->port = port;
	v->proto = proto;
	v->meta.svc_id = svc;
}

/* A service's mode in the mixed run (index: service id). */
static const __u32 mixed_modes[] = {
	[SVC_TCP4] = XLB_VIP_F_NAT,	  [SVC_UDP4] = XLB_VIP_F_TUNNEL,
	[SVC_TCP6] = 0,			  [SVC_UDP6] = XLB_VIP_F_NAT,
	[SVC_NO_TABLE4] = XLB_VIP_F_TUNNEL, [SVC_EMPTY4] = XLB_VIP_F_NAT,
	[SVC_UNUSED_BE4] = 0,		  [SVC_NO_TABLE6] = XLB_VIP_F_NAT,
};

/* Persistence on two services, whatever their mode. */
static __u32 persist_flags(__u32 svc)
{
	if (svc == SVC_UDP4)
		return XLB_VIP_F_SRC_IP | 24 << XLB_VIP_PREFIX_SHIFT;
	if (svc == SVC_TCP6)
		return XLB_VIP_F_SRC_IP | 64 << XLB_VIP_PREFIX_SHIFT;
	return 0;
}

/* The model's copy of what env_populate() wrote, then the mode. */
static void fuzz_configure(struct fuzz *fz)
{
	struct dpm_cfg *c = dpm_cfg(fz->m);
	struct lb_cfg cfg = fuzz_cfg_base;
	size_t i;
	__u32 n, s;

	c->table_size = fz->e->sz.table_size;
	c->max_services = fz->e->sz.max_services;
	c->max_backends = fz->e->sz.max_backends;
	for (i = 0; i < sizeof(be_defs) / sizeof(be_defs[0]); i++)
		c->be[be_defs[i].id] = backend_get(fz->e, be_defs[i].id);
	for (i = 0; i < sizeof(svc_defs) / sizeof(svc_defs[0]); i++) {
		const struct svc_def *d = &svc_defs[i];

		model_vip(c, d->family, d->vip, d->port, d->proto, d->id);
		if (d->table == TABLE_NONE)
			continue;
		c->table[d->id] = calloc(c->table_size, sizeof(__u32));
		for (n = 0; d->table == TABLE_RR && n < 4 && d->be[n]; n++)
			;
		for (s = 0; s < c->table_size; s++) {
			c->table[d->id][s] = n ? d->be[s % n] : XLB_NO_BACKEND;
			expect_u64(table_slot(fz->e, d->id, s),
				   c->table[d->id][s], "svc %u slot %u", d->id,
				   s);
		}
	}
	model_vip(c, AF_INET, VIP4, 0, IPPROTO_ICMP, SVC_TCP4);
	model_vip(c, AF_INET6, VIP6, 0, IPPROTO_ICMPV6, SVC_TCP6);
	addr_of(AF_INET, NAT_SRC4, &cfg.nat_src4);
	addr_of(AF_INET6, NAT_SRC6, cfg.nat_src6);
	cfg_set(fz->e, &cfg);
	c->cfg = cfg;
	memcpy(c->if_mac, LB_MAC, ETH_ALEN);
	memcpy(c->int_mac, INT_MAC, ETH_ALEN);
	c->nat_ifindex = nat_test_ifindex != 0;
	c->tx_port[XLB_PORT_EXT] = c->tx_port[XLB_PORT_INT] = true;

	for (i = 0; i < sizeof(svc_defs) / sizeof(svc_defs[0]); i++) {
		const struct svc_def *d = &svc_defs[i];
		__u32 flags = fz->mode == MODE_TUNNEL ? XLB_VIP_F_TUNNEL :
			      fz->mode == MODE_NAT    ? XLB_VIP_F_NAT :
			      fz->mode == MODE_MIXED  ? mixed_modes[d->id] :
							0;

		vip_mode(fz, d, flags | persist_flags(d->id));
	}
	if (fz->mode >= MODE_NAT) { /* port mapping on two back ends */
		struct backend_info bi = backend_get(fz->e, 2);

		bi.port = htons(8080);
		be_write(fz, 2, &bi);
		bi = backend_get(fz->e, 6);
		bi.port = htons(8443);
		be_write(fz, 6, &bi);
	}
	if (fz->mode == MODE_TUNNEL) {
		/* IPv4 in IPv6 (back end 5), and an IPv6 service with an
		 * IPv4 back end (8): drop_encap */
		struct backend_info bi = backend_get(fz->e, 5);

		bi.family = AF_INET6;
		addr_of(AF_INET6, "fd00:1::5", bi.addr);
		be_write(fz, 5, &bi);
		bi = backend_get(fz->e, 8);
		bi.family = AF_INET;
		memset(bi.addr, 0, sizeof(bi.addr));
		addr_of(AF_INET, "10.1.0.8", bi.addr);
		be_write(fz, 8, &bi);
	}
}

static void tx_port_set(struct fuzz *fz, __u32 slot, bool on)
{
	__u32 ifi = slot == XLB_PORT_INT ? nat_test_ifindex : 1;
	int fd = map_fd(fz->e->skel->maps.tx_ports), ret;

	ret = on ? bpf_map_update_elem(fd, &slot, &ifi, 0) :
		   bpf_map_delete_elem(fd, &slot);
	if (ret && !(errno == ENOENT && !on))
		fail_msg("tx_ports[%u]: %s", slot, strerror(errno));
	dpm_cfg(fz->m)->tx_port[slot] = on;
}

/* A new epoch: no flow, no mapping; maybe an interface gone, maybe a back
 * end down. */
static void epoch(struct fuzz *fz)
{
	struct dpm_cfg *c = dpm_cfg(fz->m);

	flows_flush(fz->e);
	map_flush(fz->e->skel->maps.nat_rev);
	dpm_reset_flows(fz->m);
	for (__u32 id = 1; id <= 8; id++) { /* every back end up, open */
		struct backend_info bi = c->be[id];

		if (bi.state != XLB_BE_ACTIVE || bi.flags & XLB_BE_F_NO_NEW) {
			bi.state = XLB_BE_ACTIVE;
			bi.flags &= ~XLB_BE_F_NO_NEW;
			be_write(fz, id, &bi);
		}
	}
	if (rnd(fz, 8) == 0) {
		__u32 id = 1 + rnd(fz, 8);
		struct backend_info bi = c->be[id];

		bi.state = XLB_BE_DOWN;
		be_write(fz, id, &bi);
	}
	{ /* the flood guard: off, or every new flow over its rate */
		struct lb_cfg cfg = c->cfg;

		cfg.flow_cost_ns = rnd(fz, 8) ? 0 : 1000;
		cfg.bucket_ns = 0;
		/* nat: the whole range, 2 ports (soon full), or none */
		cfg.nat_port_min = fuzz_cfg_base.nat_port_min;
		cfg.nat_port_max = fuzz_cfg_base.nat_port_max;
		if (!rnd(fz, 6))
			cfg.nat_port_max = cfg.nat_port_min + 1;
		else if (!rnd(fz, 12))
			cfg.nat_port_min = 0;
		cfg_set(fz->e, &cfg);
		stats_zero(fz->e->skel->maps.flood, 1);
		c->cfg = cfg;
	}
	if (fz->mode >= MODE_NAT) {
		tx_port_set(fz, XLB_PORT_INT, rnd(fz, 10) != 0);
		tx_port_set(fz, XLB_PORT_EXT, rnd(fz, 20) != 0);
	}
	fz->nreplies = 0;
}

/*
 * Mid-epoch, as the controller does under traffic: a back end goes down
 * or comes back (pinned flows are picked again), stops or resumes taking
 * new flows (a drain: a new connection on a pinned entry is picked
 * again), or a service's table is swapped for another (pinned flows
 * stay, ICMP errors still find them).
 */
static void change(struct fuzz *fz)
{
	struct dpm_cfg *c = dpm_cfg(fz->m);
	__u32 what = rnd(fz, fz->mode == MODE_MIXED ? 3 : 2);

	if (what == 2) { /* a service changes its mode: its flows stay */
		const struct svc_def *d = &svc_defs[rnd(fz, 4)];
		static const __u32 modes[] = { 0, XLB_VIP_F_TUNNEL,
					       XLB_VIP_F_NAT };

		vip_mode(fz, d, modes[rnd(fz, 3)] | persist_flags(d->id));
	} else if (what) {
		__u32 id = 1 + rnd(fz, 8);
		struct backend_info bi = c->be[id];

		if (!rnd(fz, 3))
			bi.flags ^= XLB_BE_F_NO_NEW;
		else
			bi.state = bi.state == XLB_BE_ACTIVE ? XLB_BE_DOWN :
							       XLB_BE_ACTIVE;
		be_write(fz, id, &bi);
	} else {
		static const __u32 svcs[] = { SVC_TCP4, SVC_UDP4, SVC_TCP6 };
		static const __u32 ids[][3] = { { 1, 2, 3 }, { 4, 5 },
						{ 6, 7 } };
		static const __u32 nids[] = { 3, 2, 2 };
		__u32 k = rnd(fz, 3), sh = rnd(fz, 3), i;
		__u32 *t = c->table[svcs[k]];

		for (i = 0; i < c->table_size; i++)
			t[i] = ids[k][(i + sh) % nids[k]];
		if (table_install(fz->e, svcs[k], t))
			fail_msg("table swap of service %u", svcs[k]);
	}
	fz->st.changes++;
}

/* ---- one frame ---- */

static int run_bpf(struct fuzz *fz, const struct frame *in, struct frame *out,
		   bool internal)
{
	struct xdp_md ctx = { .data_end = in->len,
			      .ingress_ifindex = internal ? nat_test_ifindex :
							    1 };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in->data,
		    .data_size_in = in->len, .data_out = out->data,
		    .data_size_out = sizeof(out->data), .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = 1);

	if (bpf_prog_test_run_opts(fz->e->prog, &opts))
		fail_msg("BPF_PROG_TEST_RUN of a %u-byte frame: %s", in->len,
			 strerror(errno));
	out->len = opts.data_size_out;
	return opts.retval;
}

/* The flow entry the model pinned or refreshed, in the program's map:
 * same back end, nat port and TCP state. */
static bool flow_differs(struct fuzz *fz, const struct dpm_out *mo)
{
	struct flow_value fv;
	bool found;

	if (!mo->flow)
		return false;
	if (mo->flow_fam == 4)
		found = flow_lookup4(fz->e, (const void *)mo->flow_key, &fv);
	else
		found = flow_lookup6(fz->e, (const void *)mo->flow_key, &fv);
	if (!found)
		memset(&fv, 0xff, sizeof(fv));
	if (fv.backend_id == mo->flow_backend &&
	    fv.nat_port == mo->flow_nat_port && fv.state == mo->flow_state)
		return false;
	if (fz->printed++ < 5)
		print_error("fuzz_dp %s: flow entry differs at frame %llu: "
			    "program backend %u nat port %u state %s, model "
			    "backend %u nat port %u state %s\n",
			    mode_name(fz->mode),
			    (unsigned long long)fz->st.frames, fv.backend_id,
			    ntohs(fv.nat_port), state_name(fv.state),
			    mo->flow_backend, ntohs(mo->flow_nat_port),
			    state_name(mo->flow_state));
	return true;
}

static void one_frame(struct fuzz *fz, struct frame *in, bool internal)
{
	struct frame out;
	struct dpm_out *mo = &fz->mo;
	struct reason_counters rc;
	int verdict;

	if (dpm_run(fz->m, in->data, in->len, internal, mo)) {
		fz->st.skipped++;
		fz->left = 0; /* the model lost track: new epoch */
		run_bpf(fz, in, &out, internal);
		/* the program counted a reason the model cannot name */
		for (__u32 r = 0; r < XLB_REASON_MAX; r++)
			fz->tally[r] = reason_get(fz->e, r).packets;
		return;
	}
	verdict = run_bpf(fz, in, &out, internal);
	fz->tally[mo->reason]++;
	rc = reason_get(fz->e, mo->reason);
	fz->st.frames++;
	fz->st.verdicts[verdict & 7]++;
	fz->st.reasons[mo->reason]++;
	if (verdict != mo->verdict || rc.packets != fz->tally[mo->reason] ||
	    (verdict != XDP_DROP &&
	     (out.len != mo->len || memcmp(out.data, mo->data, out.len)))) {
		report_divergence(fz, in, &out, verdict, internal);
		fz->left = 0;
	} else if (flow_differs(fz, mo)) {
		fz->st.diverged++;
		fz->left = 0;
	}
	if (check_invariants(fz, in, &out, verdict, internal))
		fz->left = 0;
	if (verdict == XDP_REDIRECT && mo->reason == XLB_REDIRECT_NAT &&
	    mo->verdict == verdict)
		reply_remember(fz, &out);
}

static void fuzz_mode(struct env *e, enum fuzz_mode mode)
{
	struct fuzz *fz = calloc(1, sizeof(*fz));
	const char *s = getenv("XLB_FUZZ_SEED"), *fr, *secs;
	__u64 t0 = coarse_ns(), limit = 0, nframes = 25000, i;

	if (!fz)
		fail_msg("out of memory");
	if (!nat_test_ifindex)
		fail_msg("no internal interface (root and unshare needed)");
	on_cpu0();
	fz->e = e;
	fz->m = dpm_new();
	fz->mode = mode;
	fz->rng = (s ? strtoull(s, NULL, 0) : 1) * 0x9e3779b97f4a7c15ull +
		  mode + 1;
	fr = getenv("XLB_FUZZ_FRAMES");
	secs = getenv("XLB_FUZZ_SECONDS");
	if (fr)
		nframes = strtoull(fr, NULL, 0);
	if (secs)
		limit = strtoull(secs, NULL, 0) * 1000000000ull;
	fuzz_configure(fz);
	seeds_build(fz);
	for (i = 0; limit ? coarse_ns() - t0 < limit : i < nframes; i++) {
		struct frame in;
		bool internal;

		if (!fz->left) {
			epoch(fz);
			fz->left = 100 + rnd(fz, 400);
		}
		fz->left--;
		if (!rnd(fz, 200))
			change(fz);
		internal = pick_frame(fz, &in);
		one_frame(fz, &in, internal);
	}
	fz->st.ns = coarse_ns() - t0;
	print_stats(fz);
	if (fz->st.diverged || fz->st.broken)
		fail_msg("%s: %llu divergences, %llu invariant breaks in %llu "
			 "frames (seed %s)",
			 mode_name(mode), (unsigned long long)fz->st.diverged,
			 (unsigned long long)fz->st.broken,
			 (unsigned long long)fz->st.frames, s ? s : "1");
	for (i = 0; i < DPM_MAX_SVC; i++)
		free(dpm_cfg(fz->m)->table[i]);
	dpm_free(fz->m);
	free(fz);
}

static void test_fuzz_dp_dsr(void **state)
{
	fuzz_mode(*state, MODE_DSR);
}

static void test_fuzz_dp_tunnel(void **state)
{
	fuzz_mode(*state, MODE_TUNNEL);
}

static void test_fuzz_dp_nat(void **state)
{
	fuzz_mode(*state, MODE_NAT);
}

static void test_fuzz_dp_mixed(void **state)
{
	fuzz_mode(*state, MODE_MIXED);
}

static int setup_fuzz(void **state)
{
	return env_setup_sized(state, &fuzz_sizes);
}

static const struct CMUnitTest tests[] = {
	{ "fuzz_dp_dsr", test_fuzz_dp_dsr, setup_fuzz, env_teardown, NULL },
	{ "fuzz_dp_tunnel", test_fuzz_dp_tunnel, setup_fuzz, env_teardown,
	  NULL },
	{ "fuzz_dp_nat", test_fuzz_dp_nat, setup_fuzz, env_teardown, NULL },
	{ "fuzz_dp_mixed", test_fuzz_dp_mixed, setup_fuzz, env_teardown,
	  NULL },
};

int main(int argc, char **argv)
{
	return xdp_test_main(argc, argv, "fuzz_dp", tests,
			     sizeof(tests) / sizeof(tests[0]));
}
