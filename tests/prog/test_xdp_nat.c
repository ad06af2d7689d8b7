// SPDX-License-Identifier: GPL-2.0-only
/*
 * Packet tests of the XDP program with BPF_PROG_TEST_RUN, nat mode: address and port rewrite both ways through the
 * internal interface, the port allocator (order, per back end, per CPU,
 * exhaustion), the mapping lifecycle with the controller's sweeps, the
 * flood guard, and ICMP errors quoting a translated flow.
 *
 * The fixture (network, loading, map filling through the controller's
 * code, assertions) is xdp_env.h. Run one test: test_xdp_nat NAME.
 */
#define _GNU_SOURCE
#include "xdp_env.h"

/* ---- nat ---- */

static char be_addr_buf[8][INET6_ADDRSTRLEN];

static const char *be_addr_str(struct env *e, __u32 id, int slot)
{
	struct backend_info bi = backend_get(e, id);

	inet_ntop(bi.family, bi.addr, be_addr_buf[slot], INET6_ADDRSTRLEN);
	return be_addr_buf[slot];
}

/*
 * A client's packet to a nat service leaves for the internal side with
 * destination back end:port and source our address:the flow's port, every
 * byte as a host would have built it (checksums from scratch); the reply
 * comes back translated to VIP:port -> client, to the client's side.
 */
static void nat_roundtrip(struct env *e, const struct family_setup *tf,
			  __u8 proto, __u16 be_port)
{
	struct family_setup uf = *tf, *f = &uf;
	struct pkt_spec c, want_s, r, want_r;
	struct pkt in, out, want;
	struct flow_value fv;
	__u32 be;

	if (proto == IPPROTO_UDP) { /* the udp/53 services */
		uf.port = 53;
		uf.svc = tf->family == AF_INET ? SVC_UDP4 : SVC_UDP6;
	}
	c = tcp_spec(f, 45000, TF_SYN);
	nat_setup_proto(e, f, proto, 20000, 60000);
	c.proto = proto;
	c.payload = proto == IPPROTO_UDP ? 64 : 0;
	be = table_slot(e, f->svc, xlb_slot(flow_hash(&c), e->sz.table_size));
	if (be_port) {
		struct backend_info bi = backend_get(e, be);

		bi.port = htons(be_port);
		backend_put(e, be, &bi);
	}
	build(&c, &in);
	expect_verdict(prog_run(e, &in, &out), XDP_REDIRECT, "nat request");
	fv = flow_must(e, &c, "nat flow");
	expect_u64(fv.backend_id, be, "nat flow's back end");
	if (ntohs(fv.nat_port) < 20000 || ntohs(fv.nat_port) > 60000)
		fail_msg("nat port %u outside 20000..60000", ntohs(fv.nat_port));
	want_s = c;
	want_s.saddr = f->family == AF_INET ? NAT_SRC4 : NAT_SRC6;
	want_s.sport = ntohs(fv.nat_port);
	want_s.daddr = be_addr_str(e, be, 0);
	want_s.dport = be_port ? be_port : f->port;
	build(&want_s, &want);
	{
		struct backend_info bi = backend_get(e, be);

		memcpy(want.data, bi.mac, ETH_ALEN);
		memcpy(want.data + ETH_ALEN, INT_MAC, ETH_ALEN);
	}
	expect_packet(&out, &want, "nat request, translated");
	expect_u64(reason_get(e, XLB_REDIRECT_NAT).packets, 1, "redirect_nat");

	/* the back end answers our address and port */
	r = want_s;
	r.saddr = want_s.daddr;
	r.daddr = want_s.saddr;
	r.sport = want_s.dport;
	r.dport = want_s.sport;
	r.tcp_flags = TF_SYN | TF_ACK;
	r.payload = proto == IPPROTO_UDP ? 100 : 0;
	build(&r, &in);
	memcpy(in.data + ETH_ALEN, "\x02\xbe\x00\x00\x00\x77", ETH_ALEN);
	expect_verdict(prog_run_on(e, &in, &out, nat_test_ifindex),
		       XDP_REDIRECT, "nat reply");
	want_r = c;
	want_r.saddr = f->vip;
	want_r.daddr = f->client;
	want_r.sport = f->port;
	want_r.dport = 45000;
	want_r.tcp_flags = TF_SYN | TF_ACK;
	want_r.payload = r.payload;
	build(&want_r, &want);
	memcpy(want.data, PEER_MAC, ETH_ALEN); /* the client's side */
	memcpy(want.data + ETH_ALEN, LB_MAC, ETH_ALEN);
	expect_packet(&out, &want, "nat reply, translated back");
	expect_u64(reason_get(e, XLB_REDIRECT_NAT_REPLY).packets, 1,
		   "redirect_nat_reply");

	/* a reply to a port we never handed out is the kernel's */
	r.dport = want_s.sport + 1 > 60000 ? 20000 : want_s.sport + 1;
	build(&r, &in);
	expect_verdict(prog_run_on(e, &in, &out, nat_test_ifindex), XDP_PASS,
		       "reply to an unknown mapping");
	expect_packet(&out, &in, "unknown mapping untouched");
}

static void test_nat_tcp_v4(void **state)
{
	nat_roundtrip(*state, &fam4, IPPROTO_TCP, 0);
}

static void test_nat_tcp_v4_port_mapped(void **state)
{
	nat_roundtrip(*state, &fam4, IPPROTO_TCP, 8080);
}

static void test_nat_udp_v4(void **state)
{
	nat_roundtrip(*state, &fam4, IPPROTO_UDP, 0);
}

static void test_nat_tcp_v6(void **state)
{
	nat_roundtrip(*state, &fam6, IPPROTO_TCP, 0);
}

static void test_nat_udp_v6_port_mapped(void **state)
{
	nat_roundtrip(*state, &fam6, IPPROTO_UDP, 5353);
}

/* Later packets of a flow keep its port; the range runs out loudly. */
static void test_nat_port_kept_and_exhausted(void **state)
{
	struct env *e = *state;
	struct pkt_spec s;
	struct flow_value fv;
	struct pkt in, out;
	__u32 port, redirected = 0, dropped = 0, other = 0;
	__be16 first;

	nat_setup(e, &fam4, 20000, 20009); /* 10 ports */
	table_all(e, SVC_TCP4, 1);
	s = tcp_spec(&fam4, 46000, TF_SYN);
	build(&s, &in);
	prog_run(e, &in, &out);
	first = flow_must(e, &s, "first").nat_port;
	s.tcp_flags = TF_ACK;
	build(&s, &in);
	expect_verdict(prog_run(e, &in, &out), XDP_REDIRECT, "ACK");
	expect_u64(flow_must(e, &s, "first").nat_port, first, "port kept");
	for (port = 46001; port < 46012; port++) {
		s = tcp_spec(&fam4, port, TF_SYN);
		build(&s, &in);
		switch (prog_run(e, &in, &out)) {
		case XDP_REDIRECT:
			redirected++;
			break;
		case XDP_DROP:
			dropped++;
			break;
		default: /* passed to the kernel: wrong */
			other++;
		}
	}
	expect_u64(redirected, 9, "flows that got one of the 10 ports");
	expect_u64(dropped, 2, "flows over the range: XDP_DROP");
	expect_u64(other, 0, "flows over the range passed to the kernel");
	expect_u64(reason_get(e, XLB_DROP_NAT_NO_PORT).packets, 2,
		   "drop_nat_no_port");
	expect_u64(map_count(e->skel->maps.nat_rev), 10, "mappings");
	(void)fv;
}

/*
 * An ICMP error from the client's side about a nat flow (it quotes the
 * reply as the client saw it, VIP:port -> client:port) reaches the flow's
 * back end, the outer destination and the quote translated back to what
 * the back end sent (back end:port -> our address:the flow's port); every
 * checksum (outer, quoted IP and UDP, ICMP) as the builder computes it
 * from scratch.
 */
static void nat_icmp_error(struct env *e, const struct family_setup *tf,
			   __u8 proto, __u16 be_port)
{
	struct family_setup uf = *tf, *f = &uf;
	bool v4 = tf->family == AF_INET;
	struct pkt_spec c, q, err, wq, werr;
	struct pkt in, out, want;
	struct backend_info bi;
	struct flow_value fv;
	__u32 be;

	if (proto == IPPROTO_UDP) {
		uf.port = 53;
		uf.svc = v4 ? SVC_UDP4 : SVC_UDP6;
	}
	nat_setup_proto(e, f, proto, 20000, 60000);
	c = tcp_spec(f, 45000, TF_SYN);
	c.proto = proto;
	c.payload = proto == IPPROTO_UDP ? 64 : 0;
	be = table_slot(e, f->svc, xlb_slot(flow_hash(&c), e->sz.table_size));
	bi = backend_get(e, be);
	if (be_port) {
		bi.port = htons(be_port);
		backend_put(e, be, &bi);
	}
	build(&c, &in);
	expect_verdict(prog_run(e, &in, &out), XDP_REDIRECT, "nat request");
	fv = flow_must(e, &c, "nat flow");

	q = c;
	q.saddr = f->vip;
	q.daddr = f->client;
	q.sport = f->port;
	q.dport = 45000;
	q.tcp_flags = TF_ACK;
	q.payload = 600;
	err = (struct pkt_spec){ .family = f->family,
				 .saddr = v4 ? "10.9.9.9" : "fd00:9::9",
				 .daddr = f->vip,
				 .proto = v4 ? IPPROTO_ICMP : IPPROTO_ICMPV6,
				 .icmp_type = v4 ? 3 : 2,
				 .icmp_code = v4 ? 4 : 0,
				 .icmp_mtu = 1280,
				 .inner = &q };
	wq = q;
	wq.saddr = be_addr_str(e, be, 1);
	wq.daddr = v4 ? NAT_SRC4 : NAT_SRC6;
	wq.sport = be_port ? be_port : f->port;
	wq.dport = ntohs(fv.nat_port);
	werr = err;
	werr.daddr = be_addr_str(e, be, 2);
	werr.inner = &wq;
	build(&err, &in);
	build(&werr, &want);
	memcpy(want.data, bi.mac, ETH_ALEN);
	memcpy(want.data + ETH_ALEN, INT_MAC, ETH_ALEN);
	expect_verdict(prog_run(e, &in, &out), XDP_REDIRECT, "nat ICMP error");
	expect_packet(&out, &want, "nat ICMP error, translated to the back end");
	expect_u64(reason_get(e, XLB_TX_ICMP_ERROR).packets, 1,
		   "tx_icmp_error");
	/* one about a flow without a mapping is the kernel's */
	q.dport = 45999;
	build(&err, &in);
	expect_verdict(prog_run(e, &in, &out), XDP_PASS,
		       "nat ICMP error, no mapping");
	expect_packet(&out, &in, "untouched");
}

static void test_nat_icmp_frag_needed_tcp_v4(void **state)
{
	nat_icmp_error(*state, &fam4, IPPROTO_TCP, 0);
}

static void test_nat_icmp_frag_needed_udp_v4_mapped(void **state)
{
	nat_icmp_error(*state, &fam4, IPPROTO_UDP, 5353);
}

static void test_nat_icmp_too_big_tcp_v6_mapped(void **state)
{
	nat_icmp_error(*state, &fam6, IPPROTO_TCP, 8443);
}

static void test_nat_icmp_too_big_udp_v6(void **state)
{
	nat_icmp_error(*state, &fam6, IPPROTO_UDP, 0);
}

/* Ports are handed out in order from the CPU's cursor, so a port whose
 * mapping was just freed is not the next one given (a back end's TIME_WAIT
 * on it has time to end). */
static void test_nat_ports_in_order(void **state)
{
	struct env *e = *state;
	struct pkt_spec s;
	struct pkt in, out;
	cpu_set_t one;
	__u16 p[6];
	int i;

	CPU_ZERO(&one);
	CPU_SET(0, &one);
	if (sched_setaffinity(0, sizeof(one), &one))
		fail_msg("sched_setaffinity: %s", strerror(errno));
	nat_setup(e, &fam4, 20000, 60000);
	table_all(e, SVC_TCP4, 1);
	for (i = 0; i < 5; i++) {
		s = tcp_spec(&fam4, 47000 + i, TF_SYN);
		build(&s, &in);
		expect_verdict(prog_run(e, &in, &out), XDP_REDIRECT, "SYN");
		p[i] = ntohs(flow_must(e, &s, "flow").nat_port);
		if (i && p[i] != (p[i - 1] - 20000 + 1) % 40001 + 20000)
			fail_msg("port %d is %u, not the one after %u", i, p[i],
				 p[i - 1]);
	}
	/* free the first one's mapping (as the sweep would) */
	{
		struct backend_info bi = backend_get(e, 1);
		struct nat_key k = { .bport = htons(80), .lport = htons(p[0]),
				     .proto = IPPROTO_TCP, .family = AF_INET };

		memcpy(k.baddr, bi.addr, sizeof(k.baddr));
		if (bpf_map_delete_elem(map_fd(e->skel->maps.nat_rev), &k))
			fail_msg("delete mapping of port %u: %s", p[0],
				 strerror(errno));
	}
	s = tcp_spec(&fam4, 47010, TF_SYN);
	build(&s, &in);
	prog_run(e, &in, &out);
	p[5] = ntohs(flow_must(e, &s, "flow").nat_port);
	if (p[5] == p[0])
		fail_msg("the freed port %u was handed out again at once", p[0]);
	expect_u64(p[5], (p[4] - 20000 + 1) % 40001 + 20000, "next port");
	CPU_ZERO(&one);
	for (i = 0; i < CPU_SETSIZE && i < ncpus(); i++)
		CPU_SET(i, &one);
	sched_setaffinity(0, sizeof(one), &one);
}

/* One SYN to the nat service; its verdict. */
static int nat_syn(struct env *e, __u16 sport)
{
	struct pkt_spec s = tcp_spec(&fam4, sport, TF_SYN);
	struct pkt in, out;

	build(&s, &in);
	return prog_run(e, &in, &out);
}

/*
 * Ports are searched per back end: with a range of 64, back end 1 takes
 * 48 ports, back end 2 the next 16, and back end 1 still gets its last 16
 * free ports, then no more. (With one cursor for all back ends, back end
 * 1's search started at its own 16 first ports after the wrap and gave up
 * with 16 of its ports free.)
 */
static void test_nat_ports_per_backend(void **state)
{
	struct env *e = *state;
	__u32 i, ok = 0;
	cpu_set_t one;

	CPU_ZERO(&one);
	CPU_SET(0, &one);
	if (sched_setaffinity(0, sizeof(one), &one))
		fail_msg("sched_setaffinity: %s", strerror(errno));
	nat_setup(e, &fam4, 20000, 20063); /* 64 ports */
	table_all(e, SVC_TCP4, 1);
	for (i = 0; i < 48; i++)
		ok += nat_syn(e, 49000 + i) == XDP_REDIRECT;
	table_all(e, SVC_TCP4, 2);
	for (i = 48; i < 64; i++)
		ok += nat_syn(e, 49000 + i) == XDP_REDIRECT;
	expect_u64(ok, 64, "48 flows to back end 1, 16 to back end 2");
	table_all(e, SVC_TCP4, 1);
	for (i = 64; i < 80; i++)
		ok += nat_syn(e, 49000 + i) == XDP_REDIRECT;
	expect_u64(ok, 80, "back end 1 gets its 16 last free ports");
	expect_verdict(nat_syn(e, 49080), XDP_DROP,
		       "back end 1's range is full");
	expect_u64(reason_get(e, XLB_DROP_NAT_NO_PORT).packets, 1,
		   "drop_nat_no_port");
	expect_u64(map_count(e->skel->maps.nat_rev), 80, "mappings");
	CPU_ZERO(&one);
	for (i = 0; i < CPU_SETSIZE && (int)i < ncpus(); i++)
		CPU_SET(i, &one);
	sched_setaffinity(0, sizeof(one), &one);
}

/* Run the next test runs on CPU cpu, or on every CPU again (cpu < 0). */
static void on_cpu(int cpu)
{
	cpu_set_t set;
	int i;

	CPU_ZERO(&set);
	for (i = 0; i < CPU_SETSIZE && i < ncpus(); i++)
		if (cpu < 0 || i == cpu)
			CPU_SET(i, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		fail_msg("sched_setaffinity: %s", strerror(errno));
}

/*
 * A run of ports still in use ahead of the cursor (long-lived flows taken
 * one after another) longer than the search's 16 tries: a search that
 * fails moves the cursor past them (and tries 16 more from a random place),
 * so from the third SYN on the free ports behind the run are found,
 * instead of every new flow failing until the run's flows end.
 */
static void test_nat_cursor_skips_used_run(void **state)
{
	struct env *e = *state;
	struct backend_info bi = backend_get(e, 1);
	struct nat_key k = { .bport = htons(80), .proto = IPPROTO_TCP,
			     .family = AF_INET };
	__u16 port[64];
	__u32 i, ok = 0;
	int v[5];

	memcpy(k.baddr, bi.addr, sizeof(k.baddr));
	nat_setup(e, &fam4, 20000, 20063); /* 64 ports */
	table_all(e, SVC_TCP4, 1);
	for (i = 0; i < 64; i++) {
		struct pkt_spec s = tcp_spec(&fam4, 51000 + i, TF_SYN);

		expect_verdict(nat_syn(e, 51000 + i), XDP_REDIRECT, "filling");
		port[i] = flow_must(e, &s, "filling").nat_port;
		expect_u64(ntohs(port[i]), 20000 + i, "ports in order");
	}
	/* the flows that took the 41st to 48th ports end: their mappings go;
	 * the cursor is back at the first, 40 used ports ahead of it */
	for (i = 40; i < 48; i++) {
		k.lport = port[i];
		if (bpf_map_delete_elem(map_fd(e->skel->maps.nat_rev), &k))
			fail_msg("delete mapping: %s", strerror(errno));
	}
	for (i = 0; i < 5; i++) {
		v[i] = nat_syn(e, 51100 + i);
		ok += v[i] == XDP_REDIRECT;
	}
	/* the first two may find a free port in their random round */
	expect_verdict(v[2], XDP_REDIRECT, "third SYN: a free port among 35-50");
	expect_verdict(v[3], XDP_REDIRECT, "fourth SYN");
	expect_verdict(v[4], XDP_REDIRECT, "fifth SYN");
	if (ok > 5)
		fail_msg("%u of 5 SYNs got a port", ok);
}

/*
 * One cursor per back end for every CPU: with SYNs landing on two CPUs in
 * turn, the 64 ports of a range are handed out in order, all of them,
 * none dropped. (Per-CPU cursors start at two places, and one runs into
 * the other's ports.)
 */
static void test_nat_ports_two_cpus(void **state)
{
	struct env *e = *state;
	__u32 i, ok = 0;

	if (ncpus() < 2)
		skip();
	nat_setup(e, &fam4, 20000, 20063); /* 64 ports */
	table_all(e, SVC_TCP4, 1);
	for (i = 0; i < 64; i++) {
		on_cpu(i % 2);
		ok += nat_syn(e, 52000 + i) == XDP_REDIRECT;
	}
	on_cpu(-1);
	expect_u64(ok, 64, "new flows with a port, from two CPUs");
	expect_u64(reason_get(e, XLB_DROP_NAT_NO_PORT).packets, 0,
		   "drop_nat_no_port");
	expect_verdict(nat_syn(e, 52064), XDP_DROP, "the range is full");
}

/*
 * Two back ends (two ids, as two services with the same server have) with
 * one address and port share one key space of ports, and so one cursor:
 * the second gets the ports after the first's, in order, none dropped.
 * (With a cursor per back-end id it started over at the first's ports.)
 */
static void test_nat_cursor_per_address(void **state)
{
	struct env *e = *state;
	struct backend_info b1 = backend_get(e, 1), b2 = backend_get(e, 2);
	__u32 i;

	on_cpu(0);
	nat_setup(e, &fam4, 20000, 20063); /* 64 ports */
	memcpy(b2.addr, b1.addr, sizeof(b2.addr));
	backend_put(e, 2, &b2);
	table_all(e, SVC_TCP4, 1);
	for (i = 0; i < 64; i++) {
		struct pkt_spec s = tcp_spec(&fam4, 53000 + i, TF_SYN);

		if (i == 48)
			table_all(e, SVC_TCP4, 2);
		expect_verdict(nat_syn(e, 53000 + i), XDP_REDIRECT, "SYN");
		expect_u64(ntohs(flow_must(e, &s, "flow").nat_port), 20000 + i,
			   "ports of one address in order, across both ids");
	}
	on_cpu(-1);
	expect_u64(reason_get(e, XLB_DROP_NAT_NO_PORT).packets, 0,
		   "drop_nat_no_port");
}

/* Expire flow s now (idle 100 s, FIN) through the sweep's delete. */
static long nat_expire(struct env *e, struct dp *dp, const struct pkt_spec *s)
{
	struct flow_timeouts to = { .tcp_fin = 30, .tcp_rst = 10 };
	struct flow_value fv = flow_must(e, s, "flow to expire");
	__u64 now = fv.last_seen + 100 * 1000000000ull, meta;
	struct xlb_ft_way *w;

	/* the sweep's expiry of one way */
	fv.state = XLB_FLOW_FIN;
	flow_set(e, s, &fv);
	w = flow_way(e, s, &meta);
	assert_non_null(w);
	return dp_flow_expire(dp, s->family == AF_INET ? &dp->ft4 : &dp->ft6,
			      w, w->kw, meta, &to, now);
}

/*
 * A nat flow's reply mapping goes with the flow: at once when the sweep
 * expires the flow or a purge deletes it (IPv4 and IPv6), and by the
 * orphan scan when the flow vanished on its own (LRU eviction); mappings
 * whose flow is alive stay.
 */
static void test_nat_mappings_released(void **state)
{
	struct env *e = *state;
	struct dp *dp = &e->dp;
	struct pkt_spec s4[3], s6[2];
	struct pkt in, out;
	int i;

	nat_setup(e, &fam4, 20000, 60000);
	nat_setup(e, &fam6, 20000, 60000);
	table_all(e, SVC_TCP4, 1);
	table_all(e, SVC_TCP6, 6);
	for (i = 0; i < 3; i++) {
		s4[i] = tcp_spec(&fam4, 48000 + i, TF_SYN);
		build(&s4[i], &in);
		expect_verdict(prog_run(e, &in, &out), XDP_REDIRECT, "SYN v4");
	}
	for (i = 0; i < 2; i++) {
		s6[i] = tcp_spec(&fam6, 48000 + i, TF_SYN);
		build(&s6[i], &in);
		expect_verdict(prog_run(e, &in, &out), XDP_REDIRECT, "SYN v6");
	}
	expect_u64(map_count(e->skel->maps.nat_rev), 5, "mappings");
	expect_u64(dp_nat_count(dp), 5, "dp_nat_count");
	/* the sweep expires one flow of each family: their mappings go */
	expect_u64(nat_expire(e, dp, &s4[0]), 1, "v4 flow expired");
	expect_u64(nat_expire(e, dp, &s6[0]), 1, "v6 flow expired");
	expect_u64(dp->nat_released, 2, "mappings released with their flows");
	expect_u64(map_count(e->skel->maps.nat_rev), 3, "mappings left");
	/* a flow evicted behind the controller's back: the scan finds it */
	assert_true(flow_del(e, &s4[1]));
	expect_u64(dp_nat_sweep(dp), 1, "orphan mappings deleted by the scan");
	expect_u64(dp_nat_sweep(dp), 0, "owned mappings stay");
	/* removing back end 1 (its slot already cleared): purge with the
	 * back end as it was releases its flows' mappings */
	{
		struct backend_info bi = backend_get(e, 1);

		expect_u64(dp_flows_purge_backend(dp, 1, &bi), 1,
			   "flows of back end 1 purged");
	}
	expect_u64(dp_flows_purge_backend(dp, 6, NULL), 1,
		   "flows of back end 6 purged");
	expect_u64(dp->nat_released, 4, "mappings released by the purges");
	expect_u64(map_count(e->skel->maps.nat_rev), 0, "no mapping left");
}

/* In nat mode a new flow over the guard's rate cannot be forwarded
 * without a mapping: it is dropped (XDP_DROP, drop_nat_flood), not passed
 * to the kernel. */
static void test_nat_flood_guard_drops(void **state)
{
	struct env *e = *state;
	struct lb_cfg cfg = { .flow_cost_ns = 1000000000ull,
			      .bucket_ns = 2000000000ull,
			      .nat_port_min = 20000, .nat_port_max = 60000 };
	__u32 port, redirected = 0, dropped = 0;
	struct pkt_spec s;
	struct pkt in, out;
	int v;

	nat_setup(e, &fam4, 20000, 60000);
	addr_of(AF_INET, NAT_SRC4, &cfg.nat_src4);
	cfg_set(e, &cfg);
	table_all(e, SVC_TCP4, 1);
	for (port = 50100; port < 50106; port++) {
		s = tcp_spec(&fam4, port, TF_SYN);
		build(&s, &in);
		v = prog_run(e, &in, &out);
		if (v == XDP_REDIRECT)
			redirected++;
		else if (v == XDP_DROP)
			dropped++;
		else
			fail_msg("SYN %u over the guard: verdict %d", port, v);
	}
	expect_u64(redirected, 2, "new nat flows within the burst");
	expect_u64(dropped, 4, "new nat flows over the rate: dropped");
	expect_u64(reason_get(e, XLB_DROP_NAT_FLOOD).packets, 4,
		   "drop_nat_flood");
	expect_u64(map_count(e->skel->maps.nat_rev), 2, "mappings");
}

static const struct xlb_sizes nat_sizes = {
	.table_size = 13,
	.max_flows = 2048,
	.max_services = 16,
	.max_backends = 16,
};

static int setup_nat_sizes(void **state)
{
	return env_setup_sized(state, &nat_sizes);
}

/* 1,000 flows to one back end: 1,000 different ports, 1,000 mappings. */
static void test_nat_1000_flows_no_collision(void **state)
{
	struct env *e = *state;
	static __u8 seen[65536];
	struct pkt in, out;
	struct pkt_spec s;
	__u32 i, distinct = 0;

	nat_setup(e, &fam4, 20000, 60000);
	table_all(e, SVC_TCP4, 2);
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < 1000; i++) {
		__u16 p;

		s = tcp_spec(&fam4, 10000 + i, TF_SYN);
		build(&s, &in);
		expect_verdict(prog_run(e, &in, &out), XDP_REDIRECT, "SYN");
		p = ntohs(flow_must(e, &s, "flow").nat_port);
		distinct += !seen[p];
		seen[p] = 1;
	}
	expect_u64(distinct, 1000, "distinct nat ports");
	expect_u64(map_count(e->skel->maps.nat_rev), 1000, "mappings");
}

/* ---- main ------------------------------------------------------------- */

static const struct CMUnitTest tests[] = {
	SCENARIO(nat_tcp_v4),
	SCENARIO(nat_tcp_v4_port_mapped),
	SCENARIO(nat_udp_v4),
	SCENARIO(nat_tcp_v6),
	SCENARIO(nat_udp_v6_port_mapped),
	SCENARIO(nat_port_kept_and_exhausted),
	SCENARIO(nat_ports_in_order),
	SCENARIO(nat_mappings_released),
	SCENARIO(nat_flood_guard_drops),
	SCENARIO(nat_icmp_frag_needed_tcp_v4),
	SCENARIO(nat_icmp_frag_needed_udp_v4_mapped),
	SCENARIO(nat_icmp_too_big_tcp_v6_mapped),
	SCENARIO(nat_icmp_too_big_udp_v6),
	{ "nat_1000_flows_no_collision", test_nat_1000_flows_no_collision, setup_nat_sizes, env_teardown, NULL },
	{ "nat_ports_per_backend", test_nat_ports_per_backend, setup_nat_sizes, env_teardown, NULL },
	{ "nat_cursor_skips_used_run", test_nat_cursor_skips_used_run, setup_nat_sizes, env_teardown, NULL },
	{ "nat_ports_two_cpus", test_nat_ports_two_cpus, setup_nat_sizes, env_teardown, NULL },
	{ "nat_cursor_per_address", test_nat_cursor_per_address, setup_nat_sizes, env_teardown, NULL },
};

int main(int argc, char **argv)
{
	return xdp_test_main(argc, argv, "xdp_nat", tests,
			     sizeof(tests) / sizeof(tests[0]));
}
