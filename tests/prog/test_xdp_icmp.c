// SPDX-License-Identifier: GPL-2.0-only
/*
 * Packet tests of the XDP program with BPF_PROG_TEST_RUN, ICMP: echo to a VIP answered by the program, and ICMP errors
 * about a balanced flow sent to the back end that owns it.
 *
 * The fixture (network, loading, map filling through the controller's
 * code, assertions) is xdp_env.h. Run one test: test_xdp_icmp NAME.
 */
#define _GNU_SOURCE
#include "xdp_env.h"

/* ---- ICMP ---- */

/* An echo request to a VIP comes back as the reply, every byte (checksums
 * recomputed from scratch by the builder) as a host would send it. */
static void icmp_echo(struct env *e, const struct family_setup *f, __u8 proto)
{
	struct pkt_spec req = { .family = f->family, .saddr = f->client,
				.daddr = f->vip, .proto = proto, .ttl = 50,
				.payload = 56 };
	struct pkt_spec rep = req;
	struct pkt in, out, want;

	rep.saddr = f->vip;
	rep.daddr = f->client;
	rep.ttl = 64;
	rep.echo_reply = true;
	build(&req, &in);
	build(&rep, &want);
	memcpy(want.data, PEER_MAC, ETH_ALEN); /* back to the sender */
	memcpy(want.data + ETH_ALEN, LB_MAC, ETH_ALEN);
	expect_verdict(prog_run(e, &in, &out), XDP_TX, "echo request");
	expect_packet(&out, &want, "echo reply");
	expect_reasons(e, XLB_TX_ICMP_ECHO, 1, in.len);
	expect_u64(flows_count(e),
		   0, "flows after an echo");
}

static void test_icmp_echo_v4(void **state)
{
	icmp_echo(*state, &fam4, IPPROTO_ICMP);
}

static void test_icmp_echo_v6(void **state)
{
	icmp_echo(*state, &fam6, IPPROTO_ICMPV6);
}

/*
 * An ICMP error from a router on the way to the client (fragmentation
 * needed / packet too big, unreachable) reaches the back end that owns the
 * quoted flow even after the table changed; the flow is not touched. One
 * about a flow that is not pinned goes where the table says, and pins
 * nothing.
 */
static void icmp_error(struct env *e, const struct family_setup *f,
		       __u8 proto, __u8 type, __u8 code, const char *router)
{
	struct pkt_spec syn = tcp_spec(f, 42000, TF_SYN);
	struct pkt_spec quoted = reply_of(&syn);
	struct pkt_spec err = { .family = f->family, .saddr = router,
				.daddr = f->vip, .proto = proto,
				.icmp_type = type, .icmp_code = code,
				.icmp_mtu = 1280, .inner = &quoted };
	struct pkt_spec other = tcp_spec(f, 42001, TF_SYN);
	struct pkt_spec quoted2 = reply_of(&other);
	struct pkt_spec err2 = err;
	struct flow_value before, after;
	struct pkt in, out, want;
	__u32 first;

	first = table_slot(e, f->svc, xlb_slot(flow_hash(&syn), e->sz.table_size));
	send_tx(e, &syn, first, "SYN");
	before = flow_must(e, &syn, "after the SYN");
	table_all(e, f->svc, f->spare);
	build(&err, &in);
	expect_verdict(prog_run(e, &in, &out), XDP_TX, "ICMP error");
	forwarded(e, &in, first, &want);
	expect_packet(&out, &want, "ICMP error to the flow's back end");
	after = flow_must(e, &syn, "after the ICMP error");
	expect_u64(after.backend_id, first, "flow still pinned: backend");
	expect_state(after.state, before.state, "ICMP error");
	expect_u64(after.last_seen, before.last_seen, "last_seen untouched");
	expect_u64(reason_get(e, XLB_TX_ICMP_ERROR).packets, 1,
		   "tx_icmp_error packets");

	err2.inner = &quoted2; /* a flow never seen */
	build(&err2, &in);
	expect_verdict(prog_run(e, &in, &out), XDP_TX, "ICMP error, no flow");
	forwarded(e, &in, f->spare, &want);
	expect_packet(&out, &want, "ICMP error without a flow: by table");
	if (flow_get(e, &other, &after))
		fail_msg("an ICMP error pinned a flow");
	expect_u64(reason_get(e, XLB_TX_ICMP_ERROR).packets, 2,
		   "tx_icmp_error packets");
}

static void test_icmp_frag_needed_v4(void **state)
{
	icmp_error(*state, &fam4, IPPROTO_ICMP, 3, 4, "10.9.9.9");
}

static void test_icmp_unreachable_v4(void **state)
{
	icmp_error(*state, &fam4, IPPROTO_ICMP, 3, 1, "10.9.9.9");
}

static void test_icmp_packet_too_big_v6(void **state)
{
	icmp_error(*state, &fam6, IPPROTO_ICMPV6, 2, 0, "fd00:9::9");
}

static void test_icmp_unreachable_v6(void **state)
{
	icmp_error(*state, &fam6, IPPROTO_ICMPV6, 1, 4, "fd00:9::9");
}

/* Errors that are not about a service, or quote too little: passed. */
static void test_icmp_error_not_ours(void **state)
{
	struct env *e = *state;
	struct pkt_spec flow = tcp_spec(&fam4, 42002, TF_ACK);
	struct pkt_spec q = reply_of(&flow);
	struct pkt_spec err = { .family = AF_INET, .saddr = "10.9.9.9",
				.daddr = VIP4, .proto = IPPROTO_ICMP,
				.icmp_type = 3, .icmp_code = 4,
				.icmp_mtu = 1280, .inner = &q };

	q.sport = 8080; /* VIP4 has no tcp/8080 */
	send_unchanged(e, &err, XDP_PASS, "error about VIP:8080");
	expect_u64(reason_get(e, XLB_PASS_NOT_VIP).packets, 1, "pass_not_vip");
	q.sport = 80;
	err.quote = 20 + 2; /* the ports cut off */
	send_unchanged(e, &err, XDP_PASS, "error quoting 2 bytes of L4");
	expect_u64(reason_get(e, XLB_PASS_MALFORMED).packets, 1,
		   "pass_malformed");
	err.quote = 0;
	err.icmp_type = 5; /* redirect */
	send_unchanged(e, &err, XDP_PASS, "ICMP redirect");
	expect_u64(reason_get(e, XLB_PASS_NOT_L4).packets, 1, "pass_not_l4");
}

/* ---- main ------------------------------------------------------------- */

static const struct CMUnitTest tests[] = {
	SCENARIO(icmp_echo_v4),
	SCENARIO(icmp_echo_v6),
	SCENARIO(icmp_frag_needed_v4),
	SCENARIO(icmp_unreachable_v4),
	SCENARIO(icmp_packet_too_big_v6),
	SCENARIO(icmp_unreachable_v6),
	SCENARIO(icmp_error_not_ours),
};

int main(int argc, char **argv)
{
	return xdp_test_main(argc, argv, "xdp_icmp", tests,
			     sizeof(tests) / sizeof(tests[0]));
}
