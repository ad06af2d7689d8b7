// SPDX-License-Identifier: GPL-2.0-only
/*
 * Packet tests of the counters (bpf/counters.h, ctl/counters.h): a
 * forwarded packet counts only in its back end's entry; a service's
 * figures and the tx_forwarded reason are derived by the controller, and
 * keep their packets when a back end is removed or its id reused by
 * another service. Drops keep their own per-reason and per-service
 * counters.
 *
 * The fixture is xdp_env.h. Run one test: test_xdp_counters NAME.
 */
#define _GNU_SOURCE
#include "xdp_env.h"

/* n new flows from ports port.. to fam4's service, each SYN then ACK,
 * on back ends 1 and 2 (the table alternates them); the packets each back
 * end got in per_be[1..2]. */
static void traffic(struct env *e, __u16 port, __u32 n, __u64 per_be[3])
{
	static const __u32 two[] = { 1, 2 };
	__u32 i, be;

	if (table_install_rr(e, SVC_TCP4, two, 2))
		fail_msg("table of back ends 1, 2: %s", strerror(errno));
	for (i = 0; i < n; i++) {
		struct pkt_spec syn = tcp_spec(&fam4, port + i, TF_SYN);
		struct pkt_spec ack = tcp_spec(&fam4, port + i, TF_ACK);

		be = pin_syn(e, &syn);
		send_tx(e, &ack, be, "ACK of a pinned flow");
		if (be < 1 || be > 2)
			fail_msg("flow on back end %u, not 1 or 2", be);
		per_be[be] += 2;
	}
}

/* Two back ends: each counts its own packets and new flows; the service
 * is their sum; tx_forwarded is derived, its slot never written by the
 * data path; no drop was counted. */
static void test_counters_service_is_its_back_ends(void **state)
{
	struct env *e = *state;
	struct pkt_spec ref = tcp_spec(&fam4, 30000, TF_SYN);
	__u32 len = spec_len(&ref), n = 16;
	__u64 per_be[3] = {};

	traffic(e, 30000, n, per_be);
	if (!per_be[1] || !per_be[2])
		fail_msg("16 flows did not reach both back ends: %llu, %llu",
			 (unsigned long long)per_be[1],
			 (unsigned long long)per_be[2]);
	expect_u64(lb_get(e->skel->maps.stats_backend, 1).packets, per_be[1],
		   "back end 1 packets");
	expect_u64(lb_get(e->skel->maps.stats_backend, 2).packets, per_be[2],
		   "back end 2 packets");
	expect_u64(lb_get(e->skel->maps.stats_backend, 1).new_flows +
			   lb_get(e->skel->maps.stats_backend, 2).new_flows,
		   n, "new flows of back ends 1 and 2");
	expect_svc(e, SVC_TCP4, 2 * n, 2 * n * len, n);
	expect_u64(lb_get(e->skel->maps.stats_svc_drop, SVC_TCP4).packets, 0,
		   "stats_svc_drop: no drop");
	expect_u64(reason_raw(e, XLB_TX_FORWARDED).packets, 0,
		   "stats_reason[tx_forwarded]: not written by the data path");
	expect_reasons(e, XLB_TX_FORWARDED, 2 * n, 2 * n * len);
}

/* A back end removed the controller's way (dp_backend_clear): its entry
 * is zeroed, and the service and tx_forwarded keep its packets; its id
 * reused by another service: the first keeps them, the second starts from
 * zero, tx_forwarded counts both. */
static void test_counters_backend_removed_and_reused(void **state)
{
	struct env *e = *state;
	struct pkt_spec udp = { .family = AF_INET,
				.saddr = CLIENT4,
				.daddr = VIP4,
				.proto = IPPROTO_UDP,
				.sport = 5353,
				.dport = 53 };
	struct backend_info bi;
	struct lb_counters before, be1;
	__u64 per_be[3] = {};
	__u32 n = 8;

	traffic(e, 31000, n, per_be);
	before = svc_get(e, SVC_TCP4);
	be1 = lb_get(e->skel->maps.stats_backend, 1);
	if (!be1.packets)
		fail_msg("back end 1 got no packet");
	table_all(e, SVC_TCP4, 2);
	if (dp_backend_clear(&e->dp, 1))
		fail_msg("dp_backend_clear(1): %s", strerror(errno));
	expect_u64(lb_get(e->skel->maps.stats_backend, 1).packets, 0,
		   "removed back end's entry");
	expect_u64(svc_get(e, SVC_TCP4).packets, before.packets,
		   "service packets after the removal");
	expect_u64(svc_get(e, SVC_TCP4).bytes, before.bytes,
		   "service bytes after the removal");
	expect_u64(svc_get(e, SVC_TCP4).new_flows, before.new_flows,
		   "service new flows after the removal");
	expect_u64(reason_get(e, XLB_TX_FORWARDED).packets, 2 * n,
		   "tx_forwarded after the removal");

	/* id 1 reused by the UDP service */
	bi = backend_get(e, 4);
	bi.svc_id = SVC_UDP4;
	backend_put(e, 1, &bi);
	table_all(e, SVC_UDP4, 1);
	send_tx(e, &udp, 1, "UDP to the reused id");
	expect_svc(e, SVC_TCP4, before.packets, before.bytes, before.new_flows);
	expect_svc(e, SVC_UDP4, 1, spec_len(&udp), 1);
	expect_lb(e, e->skel->maps.stats_backend, 1, 1, spec_len(&udp), 1);
	expect_u64(reason_get(e, XLB_TX_FORWARDED).packets, 2 * n + 1,
		   "tx_forwarded after the reuse");
}

/* Drops count per reason and per service, never per back end; the
 * service's figure is its drops when it forwarded nothing. */
static void test_counters_drops(void **state)
{
	struct env *e = *state;
	struct pkt_spec s = tcp_spec(&fam4, 32000, TF_SYN);
	__u32 i, n = 3;

	s.daddr = VIP4_EMPTY;
	for (i = 0; i < n; i++)
		send_unchanged(e, &s, XDP_DROP,
			       "SYN to a service without back ends");
	expect_reasons(e, XLB_DROP_NO_BACKEND, n, n * spec_len(&s));
	expect_svc(e, SVC_EMPTY4, n, n * spec_len(&s), 0);
	expect_lb(e, e->skel->maps.stats_svc_drop, SVC_EMPTY4, n,
		  n * spec_len(&s), 0);
	for (i = 0; i < 16; i++)
		expect_u64(lb_get(e->skel->maps.stats_backend, i).packets, 0,
			   "back end %u packets", i);
}

static const struct CMUnitTest tests[] = {
	SCENARIO(counters_service_is_its_back_ends),
	SCENARIO(counters_backend_removed_and_reused),
	SCENARIO(counters_drops),
};

int main(int argc, char **argv)
{
	return xdp_test_main(argc, argv, "xdp_counters", tests,
			     sizeof(tests) / sizeof(tests[0]));
}
