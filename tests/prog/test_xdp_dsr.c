// SPDX-License-Identifier: GPL-2.0-only
/*
 * Packet tests of the XDP program with BPF_PROG_TEST_RUN, DSR mode, the default: the fixture table (every packet the
 * program passes, drops or forwards, byte by byte) and the scenarios of
 * flow pinning, removed and moved back ends, flow states, and source-IP
 * persistence; and the harness checking itself.
 *
 * The fixture (network, loading, map filling through the controller's
 * code, assertions) is xdp_env.h. Run one test: test_xdp_dsr NAME.
 */
#define _GNU_SOURCE
#include "xdp_env.h"

static void test_case(void **state)
{
	struct env *e = *state;

	run_case(e, e->arg);
}

/*
 * A flow stays on its back end when the table changes under it; a new
 * flow follows the new table.
 */
static void pin_survives_table_change(struct env *e,
				      const struct family_setup *f)
{
	struct pkt_spec syn = tcp_spec(f, 41000, TF_SYN);
	struct pkt_spec ack = tcp_spec(f, 41000, TF_ACK);
	struct pkt_spec other = tcp_spec(f, 41001, TF_SYN);
	struct flow_value fv;
	struct pkt in;
	__u32 first;

	build(&syn, &in);
	send_tx(e, &syn,
		table_slot(e, f->svc, xlb_slot(flow_hash(&syn), e->sz.table_size)),
		"SYN to the VIP");
	fv = flow_must(e, &syn, "after the SYN");
	first = fv.backend_id;
	expect_state(fv.state, XLB_FLOW_SYN, "flow state after the SYN");

	table_all(e, f->svc, f->spare); /* the controller swaps the table */

	send_tx(e, &ack, first, "ACK after the table swap");
	fv = flow_must(e, &ack, "after the ACK");
	expect_u64(fv.backend_id, first, "flow stays pinned: backend");
	expect_state(fv.state, XLB_FLOW_ESTABLISHED,
		     "flow state after the ACK");

	send_tx(e, &other, f->spare, "new flow after the table swap");
	fv = flow_must(e, &other, "new flow");
	expect_u64(fv.backend_id, f->spare,
		   "new flow follows the new table: %s", "backend");

	expect_lb(e, e->skel->maps.stats_backend, first, 2, 2 * in.len, 1);
	expect_lb(e, e->skel->maps.stats_backend, f->spare, 1, in.len, 1);
	expect_svc(e, f->svc, 3, 3 * in.len, 2);
	expect_reasons(e, XLB_TX_FORWARDED, 3, 3 * in.len);
}

static void test_pin_survives_table_change_v4(void **state)
{
	pin_survives_table_change(*state, &fam4);
}

static void test_pin_survives_table_change_v6(void **state)
{
	pin_survives_table_change(*state, &fam6);
}

/*
 * Several nodes (docs/cluster.md): a flow that began on another balancer
 * arrives here mid-stream (that node died, ECMP moved the flow). Its first
 * packet is an ACK with data, no SYN: it is forwarded by the table, never
 * dropped or reset, and pinned (state pickup: one packet is also what a
 * closed connection's late ACK looks like), so that a later table change
 * here does not move it; its next ACK makes it established.
 */
static void midflow_adopted(struct env *e, const struct family_setup *f)
{
	struct pkt_spec data = tcp_spec(f, 43000, TF_ACK | TF_PSH);
	struct pkt_spec ack = tcp_spec(f, 43000, TF_ACK);
	struct flow_value fv;
	struct pkt in;
	__u32 pick;

	build(&data, &in);
	pick = table_slot(e, f->svc, xlb_slot(flow_hash(&data), e->sz.table_size));
	expect_u64(flow_get(e, &data, &fv), 0, "a flow entry before its first packet here");
	expect_u64(pick == f->spare, 0, "the spare back end is not in the table");
	send_tx(e, &data, pick, "mid-flow ACK of a flow never seen here");
	fv = flow_must(e, &data, "after the mid-flow ACK");
	expect_u64(fv.backend_id, pick, "mid-flow ACK pinned to the table's pick: backend");
	expect_state(fv.state, XLB_FLOW_PICKUP,
		     "flow state after a mid-flow ACK");

	table_all(e, f->svc, f->spare); /* a weight change here */
	send_tx(e, &ack, pick, "next ACK after the table changed");
	expect_reasons(e, XLB_TX_FORWARDED, 2, 2 * in.len);
	expect_state(flow_must(e, &ack, "after the next ACK").state,
		     XLB_FLOW_ESTABLISHED, "flow state after the second packet");
}

static void test_midflow_adopted_v4(void **state)
{
	midflow_adopted(*state, &fam4);
}

static void test_midflow_adopted_v6(void **state)
{
	midflow_adopted(*state, &fam6);
}

/* The back end is removed (slot freed, table rebuilt without it): its
 * flows are picked again from the table and pinned to the new choice, as
 * a pickup (one packet: the new back end may well reset it). */
static void test_backend_removed_repicked(void **state)
{
	struct env *e = *state;
	struct pkt_spec syn = tcp_spec(&fam4, 42000, TF_SYN);
	struct pkt_spec ack = tcp_spec(&fam4, 42000, TF_ACK);
	struct backend_info bi;
	struct flow_value fv;
	__u32 first;

	first = pin_syn(e, &syn);
	table_all(e, SVC_TCP4, SPARE_BE4);
	/* as the controller frees it: the slot cleared, its counters taken
	 * into the service's carry */
	if (dp_backend_clear(&e->dp, first))
		fail_msg("dp_backend_clear(%u): %s", first, strerror(errno));
	bi = backend_get(e, first);
	expect_u64(bi.state, XLB_BE_UNUSED, "removed back end's slot");

	send_tx(e, &ack, SPARE_BE4, "ACK after its back end was removed");
	fv = flow_must(e, &ack, "after the ACK");
	expect_u64(fv.backend_id, SPARE_BE4, "flow re-picked: backend");
	expect_state(fv.state, XLB_FLOW_PICKUP, "re-picked flow state");
	expect_lb(e, e->skel->maps.stats_backend, SPARE_BE4, 1, spec_len(&ack),
		  1);
	expect_svc(e, SVC_TCP4, 2,
		  spec_len(&syn) + spec_len(&ack), 2);
}

/* A back-end id moved to another service: flows of the old service do
 * not follow it there. */
static void test_backend_moved_service_repicked(void **state)
{
	struct env *e = *state;
	struct pkt_spec syn = tcp_spec(&fam4, 42001, TF_SYN);
	struct pkt_spec ack = tcp_spec(&fam4, 42001, TF_ACK);
	struct backend_info bi;
	struct flow_value fv;
	__u32 first;

	first = pin_syn(e, &syn);
	table_all(e, SVC_TCP4, SPARE_BE4);
	bi = backend_get(e, first);
	bi.svc_id = SVC_UDP4;
	backend_put(e, first, &bi);

	send_tx(e, &ack, SPARE_BE4, "ACK after its back end moved service");
	fv = flow_must(e, &ack, "after the ACK");
	expect_u64(fv.backend_id, SPARE_BE4, "flow re-picked: backend");
}

/* Removed, but the table still names it (controller not done yet): the
 * packet is dropped, not sent to a free slot. */
static void test_backend_removed_stale_table_drops(void **state)
{
	struct env *e = *state;
	struct pkt_spec syn = tcp_spec(&fam4, 42002, TF_SYN);
	struct pkt_spec ack = tcp_spec(&fam4, 42002, TF_ACK);
	struct backend_info bi;
	struct flow_value fv;
	__u32 first;

	first = pin_syn(e, &syn);
	table_all(e, SVC_TCP4, first);
	bi = backend_get(e, first);
	bi.state = XLB_BE_UNUSED;
	backend_put(e, first, &bi);

	send_unchanged(e, &ack, XDP_DROP, "ACK to a removed back end");
	fv = flow_must(e, &ack, "after the drop");
	expect_u64(fv.backend_id, first, "flow entry left as it was: backend");
	expect_u64(reason_get(e, XLB_DROP_NO_BACKEND).packets, 1,
		   "reason counter drop_no_backend: packets");
}

/* svc_tables entry deleted: new flows are dropped and counted. */
static void test_table_deleted_drops(void **state)
{
	struct env *e = *state;
	struct pkt_spec syn = tcp_spec(&fam4, 42003, TF_SYN);
	struct pkt in;
	__u32 svc = SVC_TCP4;

	if (bpf_map_delete_elem(map_fd(e->skel->maps.svc_tables), &svc))
		fail_msg("svc_tables[%u] delete: %s", svc, strerror(errno));
	build(&syn, &in);
	send_unchanged(e, &syn, XDP_DROP, "SYN to a service without table");
	expect_u64(flows4_count(e), 0, "flow entries");
	expect_svc(e, SVC_TCP4, 1, in.len, 0);
	expect_reasons(e, XLB_DROP_NO_BACKEND, 1, in.len);
}

/* TCP state as seen from the client, on one pinned flow. */
static void test_flow_state_tracking(void **state)
{
	static const struct {
		__u8 flags;
		enum flow_state state;
	} steps[] = {
		{ TF_SYN, XLB_FLOW_SYN },
		{ TF_ACK, XLB_FLOW_ESTABLISHED },
		{ TF_ACK | TF_PSH, XLB_FLOW_ESTABLISHED },
		{ TF_SYN, XLB_FLOW_SYN }, /* port reuse */
		{ TF_ACK, XLB_FLOW_ESTABLISHED },
		{ TF_FIN | TF_ACK, XLB_FLOW_FIN },
		{ TF_ACK, XLB_FLOW_FIN },
		{ TF_RST | TF_ACK, XLB_FLOW_RST },
	};
	struct pkt_spec base = tcp_spec(&fam4, 43000, TF_ACK);
	struct env *e = *state;
	struct flow_value fv;
	__u32 be = 0;
	size_t i;

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		struct pkt_spec s = tcp_spec(&fam4, 43000, steps[i].flags);
		char what[64];

		snprintf(what, sizeof(what), "packet %zu (flags 0x%02x)", i,
			 steps[i].flags);
		if (i == 0)
			be = pin_syn(e, &s);
		else
			send_tx(e, &s, be, what);
		fv = flow_must(e, &s, what);
		expect_u64(fv.backend_id, be, "%s: flow stays pinned: backend",
			   what);
		expect_state(fv.state, steps[i].state, what);
	}
	expect_lb(e, e->skel->maps.stats_backend, be, i, i * spec_len(&base),
		  1);
}

/*
 * The sweep's race: a walk finds a closed flow expired; before the delete,
 * the client reuses its port and a SYN goes through the same entry. The
 * delete (flows4's delete-if-unchanged) must leave that flow as it is now
 * (same back end, state SYN), still delete a flow that stayed expired, and
 * find nothing to delete for a flow gone meanwhile.
 */
static void test_sweep_keeps_revived_flow(void **state)
{
	struct pkt_spec fin = tcp_spec(&fam4, 43100, TF_FIN | TF_ACK);
	struct pkt_spec syn = tcp_spec(&fam4, 43100, TF_SYN);
	struct pkt_spec old = tcp_spec(&fam4, 43101, TF_SYN);
	struct flow_timeouts to = { .tcp_syn = 60, .tcp_established = 900,
				    .tcp_fin = 30, .tcp_rst = 10, .udp = 300 };
	struct env *e = *state;
	struct xlb_ft_way *w0, *w1;
	struct flow_value fv;
	__u64 now, m0, m1, k0, k1;
	__u32 be;

	be = pin_syn(e, &syn);
	send_tx(e, &fin, be, "FIN");
	pin_syn(e, &old);
	now = coarse_now();
	/* both idle 100 s: the walk sees them expired (FIN, SYN) */
	fv = flow_must(e, &syn, "closed flow");
	expect_state(fv.state, XLB_FLOW_FIN, "closed flow");
	fv.last_seen = now - 100 * 1000000000ull;
	flow_set(e, &syn, &fv);
	fv = flow_must(e, &old, "idle flow");
	fv.last_seen = now - 100 * 1000000000ull;
	flow_set(e, &old, &fv);
	w0 = flow_way4(e, &syn, &m0);
	w1 = flow_way4(e, &old, &m1);
	assert_non_null(w0);
	assert_non_null(w1);
	k0 = w0->kw;
	k1 = w1->kw;
	xlb_ft_value(m0, now, &fv);
	expect_u64(conntrack_expired(&to, &fv, now), 1, "closed flow expired");
	xlb_ft_value(m1, now, &fv);
	expect_u64(conntrack_expired(&to, &fv, now), 1, "idle flow expired");
	/* after the walk: the client reuses port 43100 */
	send_tx(e, &syn, be, "SYN on the closed flow");
	expect_u64(xlb_ft_delete(w0, k0, m0), XLB_FT_DEL_REVIVED,
		   "delete of the reused flow");
	expect_u64(xlb_ft_delete(w1, k1, m1), XLB_FT_DEL_DONE,
		   "delete of the idle flow");
	expect_u64(xlb_ft_delete(w1, k1, m1), XLB_FT_DEL_GONE,
		   "delete of a flow gone meanwhile");
	fv = flow_must(e, &syn, "revived flow after the sweep");
	expect_u64(fv.backend_id, be, "revived flow keeps its back end");
	expect_state(fv.state, XLB_FLOW_SYN, "revived flow");
	assert_false(flow_get(e, &old, &fv));
}

/* UDP: one flow entry per 5-tuple, state NEW, pinned like TCP. */
static void test_udp_flow_pinned(void **state)
{
	struct env *e = *state;
	struct pkt_spec s = {
		.family = AF_INET,
		.saddr = CLIENT4,
		.daddr = VIP4,
		.proto = IPPROTO_UDP,
		.sport = 5000,
		.dport = 53,
		.payload = 20,
	};
	struct flow_value fv;
	__u32 first, other;

	first = table_slot(e, SVC_UDP4, xlb_slot(flow_hash(&s), e->sz.table_size));
	send_tx(e, &s, first, "first datagram");
	other = first == 4 ? 5 : 4;
	table_all(e, SVC_UDP4, other);
	send_tx(e, &s, first, "second datagram after the table swap");
	fv = flow_must(e, &s, "UDP flow");
	expect_u64(fv.backend_id, first, "UDP flow stays pinned: backend");
	expect_state(fv.state, XLB_FLOW_NEW, "UDP flow state");
	expect_lb(e, e->skel->maps.stats_backend, first, 2, 2 * spec_len(&s),
		  1);
}

/* Many flows spread over the table: each lands on its slot's back end,
 * and all three back ends get some. */
static void test_flows_follow_table_slots(void **state)
{
	struct env *e = *state;
	__u32 per_be[4] = {}, i, n = 60;

	for (i = 0; i < n; i++) {
		struct pkt_spec s = tcp_spec(&fam4, 20000 + i * 7, TF_SYN);
		__u32 be = table_slot(e, SVC_TCP4,
				      xlb_slot(flow_hash(&s), e->sz.table_size));
		char what[64];

		snprintf(what, sizeof(what), "flow from port %u", s.sport);
		send_tx(e, &s, be, what);
		if (be < 4)
			per_be[be]++;
	}
	for (i = 1; i <= 3; i++)
		if (!per_be[i])
			fail_msg("back end %u got none of %u flows", i, n);
	expect_u64(per_be[1] + per_be[2] + per_be[3], n,
		   "flows to back ends 1..3");
	expect_u64(flows4_count(e), n, "flow entries");
}

/* The slot of a client under src-ip persistence: the hash of its address
 * masked to plen, as the data path computes it. */
static __u32 persist_slot(struct env *e, int family, const char *client,
			  __u32 plen)
{
	__u32 a[4] = {}, i;

	addr_of(family, client, a);
	for (i = 0; i < (family == AF_INET ? 1u : 4u); i++) {
		__u32 bits = plen > 32 * i ? plen - 32 * i : 0;

		if (bits < 32)
			a[i] &= bits ? htonl(~0u << (32 - bits)) : 0;
	}
	return xlb_slot(xlb_hash(a, family == AF_INET ? 1 : 4),
			e->sz.table_size);
}

/*
 * With persistence every connection of a client (and of its prefix) goes
 * to the back end its masked address hashes to, each still pinned as its
 * own flow; without it the ports spread them.
 */
static void persistence(struct env *e, const struct family_setup *f,
			__u32 plen, const char *neighbour, const char *far)
{
	__u32 want, seen = 0, port;
	struct pkt_spec s;

	vip_flags(e, f, XLB_VIP_F_SRC_IP | plen << XLB_VIP_PREFIX_SHIFT);
	want = table_slot(e, f->svc, persist_slot(e, f->family, f->client,
						     plen));
	for (port = 30000; port < 30100; port++) {
		s = tcp_spec(f, port, TF_SYN);
		send_tx(e, &s, want, "persistent SYN");
		flow_must(e, &s, "persistent flow");
	}
	s = tcp_spec(f, 31000, TF_SYN);
	s.saddr = neighbour; /* same prefix */
	expect_u64(persist_slot(e, f->family, neighbour, plen),
		   persist_slot(e, f->family, f->client, plen),
		   "same prefix, same slot");
	send_tx(e, &s, want, "SYN from the same prefix");
	s.saddr = far;
	send_tx(e, &s,
		table_slot(e, f->svc, persist_slot(e, f->family, far, plen)),
		"SYN from another prefix");
	expect_reasons(e, XLB_TX_FORWARDED, 102, 102 * spec_len(&s));
	/* without persistence the same 100 ports reach several back ends */
	vip_flags(e, f, 0);
	flows_flush(e);
	for (port = 30000; port < 30100; port++) {
		s = tcp_spec(f, port, TF_SYN);
		seen |= 1u << table_slot(e, f->svc,
					 xlb_slot(flow_hash(&s), e->sz.table_size));
	}
	expect_u64(__builtin_popcount(seen) > 1, 1,
		   "without persistence the ports spread");
}

static void test_persistence_src_ip_v4(void **state)
{
	persistence(*state, &fam4, 24, "10.0.0.200", "10.0.7.1");
}

static void test_persistence_src_ip_v6(void **state)
{
	persistence(*state, &fam6, 64, "fd00:c::abcd", "fd00:d::1");
}

static void test_persistence_full_address_v4(void **state)
{
	persistence(*state, &fam4, 32, CLIENT4, "10.0.0.2");
}

/* ---- the harness checks itself ---------------------------------------- */

/* The comparison reports the first difference, and the length. */
static void test_harness_first_diff(void **state)
{
	struct pkt_spec s = tcp_spec(&fam4, 45000, TF_SYN);
	struct pkt a, b;

	build(&s, &a);
	b = a;
	expect_u64(pkt_first_diff(&a, &b) + 1, 0, "same packets: first diff");
	b.data[37] ^= 1;
	expect_u64(pkt_first_diff(&a, &b), 37, "one flipped byte at");
	b = a;
	b.len--;
	expect_u64(pkt_first_diff(&a, &b), b.len, "shorter packet at");
}

/* Inputs are valid packets: IPv4 header and L4 checksums verify. */
static void test_harness_checksums(void **state)
{
	const struct pkt_spec specs[] = {
		tcp_spec(&fam4, 1, TF_SYN),
		tcp_spec(&fam6, 2, TF_ACK),
		case_by_name("tx_v4_ip_options_ihl15")->pkt,
		case_by_name("tx_v4_vlan_ip_options")->pkt,
		{ .family = AF_INET,
		  .saddr = CLIENT4,
		  .daddr = VIP4,
		  .proto = IPPROTO_UDP,
		  .sport = 1,
		  .dport = 53,
		  .payload = 33 },
		{ .family = AF_INET6,
		  .saddr = CLIENT6,
		  .daddr = VIP6,
		  .proto = IPPROTO_UDP,
		  .sport = 1,
		  .dport = 53,
		  .payload = 8,
		  .v6_ext = V6_EXT_DSTOPTS },
		{ .vlan_proto = ETH_P_8021Q,
		  .vlan_tci = 5,
		  .family = AF_INET6,
		  .saddr = CLIENT6,
		  .daddr = VIP6,
		  .proto = IPPROTO_ICMPV6,
		  .payload = 5 },
		{ .family = AF_INET,
		  .saddr = CLIENT4,
		  .daddr = VIP4,
		  .proto = IPPROTO_ICMP,
		  .payload = 7 },
	};
	size_t i;

	for (i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		const struct pkt_spec *s = &specs[i];
		size_t l3 = 14 + (s->vlan_proto ? 4 : 0), l4;
		struct pkt p;
		__u32 sum = 0;
		__u8 nh;

		build(s, &p);
		if (s->family == AF_INET) {
			size_t hl = (p.data[l3] & 0xf) * 4;

			expect_u64(csum_fold(csum_add(0, p.data + l3, hl)), 0,
				   "spec %zu: IPv4 header checksum", i);
			expect_u64((p.data[l3 + 2] << 8 | p.data[l3 + 3]),
				   p.len - l3, "spec %zu: IPv4 total length",
				   i);
			l4 = l3 + hl;
			nh = p.data[l3 + 9];
			sum = csum_add(sum, p.data + l3 + 12, 8);
		} else {
			expect_u64((p.data[l3 + 4] << 8 | p.data[l3 + 5]),
				   p.len - l3 - 40,
				   "spec %zu: IPv6 payload length", i);
			l4 = l3 + 40 + (s->v6_ext ? 8 : 0);
			nh = s->proto;
			sum = csum_add(sum, p.data + l3 + 8, 32);
		}
		if (nh == IPPROTO_ICMP)
			sum = 0;
		else
			sum += nh + (p.len - l4);
		expect_u64(csum_fold(csum_add(sum, p.data + l4, p.len - l4)), 0,
			   "spec %zu: L4 checksum", i);
	}
}

/* ---- main ------------------------------------------------------------- */

static const struct CMUnitTest scenarios[] = {
	SCENARIO(pin_survives_table_change_v4),
	SCENARIO(pin_survives_table_change_v6),
	SCENARIO(backend_removed_repicked),
	SCENARIO(midflow_adopted_v4),
	SCENARIO(midflow_adopted_v6),
	SCENARIO(backend_moved_service_repicked),
	SCENARIO(backend_removed_stale_table_drops),
	SCENARIO(table_deleted_drops),
	SCENARIO(flow_state_tracking),
	SCENARIO(sweep_keeps_revived_flow),
	SCENARIO(udp_flow_pinned),
	SCENARIO(flows_follow_table_slots),
	SCENARIO(persistence_src_ip_v4),
	SCENARIO(persistence_src_ip_v6),
	SCENARIO(persistence_full_address_v4),
	{ "harness_first_diff", test_harness_first_diff, NULL, NULL, NULL },
	{ "harness_checksums", test_harness_checksums, NULL, NULL, NULL },
};

int main(int argc, char **argv)
{
	size_t ns = sizeof(scenarios) / sizeof(scenarios[0]), i;
	struct CMUnitTest *tests = calloc(nr_cases + ns, sizeof(*tests));
	int ret;

	if (!tests)
		return 1;
	for (i = 0; i < nr_cases; i++) {
		tests[i].name = cases[i].name;
		tests[i].test_func = test_case;
		tests[i].setup_func = env_setup;
		tests[i].teardown_func = env_teardown;
		tests[i].initial_state = (void *)&cases[i];
	}
	memcpy(tests + nr_cases, scenarios, sizeof(scenarios));
	ret = xdp_test_main(argc, argv, "xdp_dsr", tests, nr_cases + ns);
	free(tests);
	return ret;
}
