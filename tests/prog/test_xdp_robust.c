// SPDX-License-Identifier: GPL-2.0-only
/*
 * Packet tests of the XDP program with BPF_PROG_TEST_RUN: the data-path
 * defects of issue 12, each a test that failed before its fix.
 *  - nat with an empty tx_ports slot (an interface deleted under the
 *    controller): a counted drop (drop_nat_no_iface), not XDP_ABORTED;
 *  - nat replies from the internal side: malformed TCP headers, fragments,
 *    extension headers and other protocols are passed untouched and
 *    counted by their reason, not translated, not `pass_not_vip`;
 *  - the IP length fields: a nat ICMP error's quote is rewritten only
 *    within the IP length;
 *  - an ICMP error quoting a non-first IPv4 fragment is not matched on
 *    the bytes where the ports would be.
 * The IP length rows of the fixture table are in xdp_cases.c, the tunnel
 * ones in test_xdp_tunnel.c.
 *
 * The fixture is xdp_env.h. Run one test: test_xdp_robust NAME.
 */
#define _GNU_SOURCE
#include "xdp_env.h"

static char addr_buf[4][INET6_ADDRSTRLEN];

static const char *be_addr(struct env *e, __u32 id, int slot)
{
	struct backend_info bi = backend_get(e, id);

	inet_ntop(bi.family, bi.addr, addr_buf[slot], INET6_ADDRSTRLEN);
	return addr_buf[slot];
}

static void tx_port_del(struct env *e, __u32 slot)
{
	if (bpf_map_delete_elem(map_fd(e->skel->maps.tx_ports), &slot))
		fail_msg("tx_ports[%u] delete: %s", slot, strerror(errno));
}

/*
 * A nat flow from f's client port sport: pinned through a SYN; *reply
 * is the back end's answer to it (back end:port -> our address:the
 * flow's port), as it arrives on the internal interface.
 */
static void nat_flow(struct env *e, const struct family_setup *f,
		     __u16 sport, struct pkt_spec *reply)
{
	struct pkt_spec c = tcp_spec(f, sport, TF_SYN);
	struct flow_value fv;
	struct pkt in, out;

	build(&c, &in);
	expect_verdict(prog_run(e, &in, &out), XDP_REDIRECT, "nat SYN");
	fv = flow_must(e, &c, "nat flow");
	*reply = c;
	reply->saddr = be_addr(e, fv.backend_id, 0);
	reply->daddr = f->family == AF_INET ? NAT_SRC4 : NAT_SRC6;
	reply->sport = f->port;
	reply->dport = ntohs(fv.nat_port);
	reply->tcp_flags = TF_SYN | TF_ACK;
}

/* Defect 2: the internal interface is gone (its tx_ports slot empty):
 * a packet of a pinned flow is dropped and counted, not XDP_ABORTED; a
 * new flow is dropped before it takes a port. */
static void nat_no_int_iface(struct env *e, const struct family_setup *f)
{
	struct pkt_spec c = tcp_spec(f, 41000, TF_ACK);
	struct pkt_spec n = tcp_spec(f, 41001, TF_SYN);
	struct pkt_spec r;
	struct pkt in, out;

	nat_setup(e, f, 20000, 60000);
	nat_flow(e, f, 41000, &r);
	counters_zero(e);
	tx_port_del(e, XLB_PORT_INT);
	build(&c, &in);
	expect_verdict(prog_run(e, &in, &out), XDP_DROP,
		       "pinned nat flow, internal interface gone");
	expect_reasons(e, XLB_DROP_NAT_NO_IFACE, 1, in.len);
	build(&n, &in);
	expect_verdict(prog_run(e, &in, &out), XDP_DROP,
		       "new nat flow, internal interface gone");
	expect_u64(reason_get(e, XLB_DROP_NAT_NO_IFACE).packets, 2,
		   "drop_nat_no_iface");
	expect_u64(map_count(e->skel->maps.nat_rev), 1,
		   "mappings (the new flow took none)");
}

static void test_nat_no_int_iface_v4(void **state)
{
	nat_no_int_iface(*state, &fam4);
}

static void test_nat_no_int_iface_v6(void **state)
{
	nat_no_int_iface(*state, &fam6);
}

/* Defect 2, replies: the external interface is gone. */
static void test_nat_reply_no_ext_iface(void **state)
{
	struct env *e = *state;
	struct pkt_spec r;
	struct pkt in, out;

	nat_setup(e, &fam4, 20000, 60000);
	nat_flow(e, &fam4, 41002, &r);
	counters_zero(e);
	tx_port_del(e, XLB_PORT_EXT);
	build(&r, &in);
	expect_verdict(prog_run_on(e, &in, &out, nat_test_ifindex), XDP_DROP,
		       "nat reply, external interface gone");
	expect_reasons(e, XLB_DROP_NAT_NO_IFACE, 1, in.len);
}

/* A frame from the internal side that must be passed untouched under
 * `reason`. */
static void reply_passed(struct env *e, const struct pkt_spec *s,
			 enum xlb_reason reason, const char *what)
{
	struct pkt in, out;

	counters_zero(e);
	build(s, &in);
	expect_verdict(prog_run_on(e, &in, &out, nat_test_ifindex), XDP_PASS,
		       what);
	expect_packet(&out, &in, what);
	expect_reasons(e, reason, 1, in.len);
}

/* Defect 7: replies to a live mapping with malformed headers are the
 * kernel's, counted by what is wrong with them. */
static void nat_reply_malformed(struct env *e, const struct family_setup *f)
{
	bool v4 = f->family == AF_INET;
	struct pkt_spec r, m;

	nat_setup(e, f, 20000, 60000);
	nat_flow(e, f, 41010, &r);
	m = r;
	m.doff = 4;
	reply_passed(e, &m, XLB_PASS_MALFORMED, "reply, TCP data offset 4");
	m = r;
	m.cut = 14 + (v4 ? 20 : 40) + 8;
	reply_passed(e, &m, XLB_PASS_MALFORMED, "reply, TCP cut to 8 bytes");
	m = r;
	m.payload = 20;
	m.ip_len = IP_LEN((v4 ? 20 : 0) + 19);
	reply_passed(e, &m, XLB_PASS_MALFORMED,
		     "reply, TCP header past the IP length");
	m = r;
	m.ip_len = IP_LEN((v4 ? 20 : 0) + 40);
	reply_passed(e, &m, XLB_PASS_MALFORMED,
		     "reply, IP length past the frame");
	m = r;
	if (v4)
		m.frag = FRAG_MF;
	else
		m.v6_ext = V6_EXT_FRAGMENT;
	reply_passed(e, &m, XLB_PASS_FRAGMENT, "reply, first fragment");
	if (!v4) {
		m = r;
		m.v6_ext = V6_EXT_DSTOPTS;
		reply_passed(e, &m, XLB_PASS_IPV6_EXT,
			     "reply, extension header");
	}
	m = (struct pkt_spec){ .family = f->family, .saddr = r.saddr,
			       .daddr = r.daddr,
			       .proto = v4 ? IPPROTO_ICMP : IPPROTO_ICMPV6,
			       .payload = 16 };
	reply_passed(e, &m, XLB_PASS_NOT_L4, "ICMP from a back end");
	m = r;
	m.ethertype = ETH_P_ARP;
	m.family = AF_INET;
	m.saddr = "10.1.0.1";
	m.daddr = NAT_SRC4;
	reply_passed(e, &m, XLB_PASS_NOT_IP, "ARP on the internal side");
	m = r;
	m.dport = r.dport == 60000 ? 20000 : r.dport + 1;
	reply_passed(e, &m, XLB_PASS_NOT_VIP, "reply without a mapping");
	expect_u64(map_count(e->skel->maps.nat_rev), 1, "mappings");
}

static void test_nat_reply_malformed_v4(void **state)
{
	nat_reply_malformed(*state, &fam4);
}

static void test_nat_reply_malformed_v6(void **state)
{
	nat_reply_malformed(*state, &fam6);
}

/*
 * Defect 8, nat ICMP: an error whose IP length ends after the quoted
 * ports, in a frame that goes on with the quoted UDP length and checksum
 * (padding): the bytes past the IP length are not rewritten, and the
 * ICMP checksum is right for what the IP length covers.
 */
static void test_nat_icmp_quote_within_ip_len(void **state)
{
	struct env *e = *state;
	struct family_setup uf = fam4;
	struct pkt_spec c, q, err, wq, werr, full;
	struct pkt in, out, want, fullp;
	struct flow_value fv;
	struct backend_info bi;

	uf.port = 53;
	uf.svc = SVC_UDP4;
	nat_setup_proto(e, &uf, IPPROTO_UDP, 20000, 60000);
	c = tcp_spec(&uf, 45000, 0);
	c.proto = IPPROTO_UDP;
	c.payload = 64;
	build(&c, &in);
	expect_verdict(prog_run(e, &in, &out), XDP_REDIRECT, "nat request");
	fv = flow_must(e, &c, "nat flow");
	bi = backend_get(e, fv.backend_id);
	q = c;
	q.saddr = uf.vip;
	q.daddr = uf.client;
	q.sport = 53;
	q.dport = 45000;
	q.payload = 100;
	err = (struct pkt_spec){ .family = AF_INET, .saddr = "10.9.9.9",
				 .daddr = uf.vip, .proto = IPPROTO_ICMP,
				 .icmp_type = 3, .icmp_code = 4,
				 .icmp_mtu = 1280, .inner = &q,
				 .quote = 20 + 4, .trailer = 4 };
	/* the frame's last 4 bytes: the quoted UDP length and checksum */
	full = err;
	full.quote = 20 + 8;
	full.trailer = 0;
	build(&full, &fullp);
	build(&err, &in);
	memcpy(in.data + in.len - 4, fullp.data + fullp.len - 4, 4);
	wq = q;
	wq.saddr = be_addr(e, fv.backend_id, 1);
	wq.daddr = NAT_SRC4;
	wq.dport = ntohs(fv.nat_port);
	werr = err;
	werr.daddr = be_addr(e, fv.backend_id, 2);
	werr.inner = &wq;
	build(&werr, &want);
	memcpy(want.data, bi.mac, ETH_ALEN);
	memcpy(want.data + ETH_ALEN, INT_MAC, ETH_ALEN);
	memcpy(want.data + want.len - 4, in.data + in.len - 4, 4);
	expect_verdict(prog_run(e, &in, &out), XDP_REDIRECT, "nat ICMP error");
	expect_packet(&out, &want,
		      "quote rewritten within the IP length only");
}

/*
 * Also seen: an ICMP error quoting a non-first IPv4 fragment of a
 * reply: the bytes after its header are data, not ports, even when they
 * look like the flow's; not matched, passed as a fragment.
 */
static void test_icmp_quote_non_first_fragment(void **state)
{
	struct env *e = *state;
	struct pkt_spec syn = tcp_spec(&fam4, 42100, TF_SYN);
	struct pkt_spec q = reply_of(&syn);
	struct pkt_spec err = { .family = AF_INET, .saddr = "10.9.9.9",
				.daddr = VIP4, .proto = IPPROTO_ICMP,
				.icmp_type = 3, .icmp_code = 4,
				.icmp_mtu = 1280, .inner = &q };

	pin_syn(e, &syn);
	counters_zero(e);
	q.frag = 185; /* offset 1480 */
	send_unchanged(e, &err, XDP_PASS, "error quoting a non-first fragment");
	expect_reasons(e, XLB_PASS_FRAGMENT, 1, spec_len(&err));
	/* the first fragment carries the ports: matched */
	q.frag = FRAG_MF;
	{
		struct pkt in, out;

		build(&err, &in);
		expect_verdict(prog_run(e, &in, &out), XDP_TX,
			       "error quoting a first fragment");
	}
}

/* ---- main ------------------------------------------------------------- */

static const struct CMUnitTest tests[] = {
	SCENARIO(nat_no_int_iface_v4),
	SCENARIO(nat_no_int_iface_v6),
	SCENARIO(nat_reply_no_ext_iface),
	SCENARIO(nat_reply_malformed_v4),
	SCENARIO(nat_reply_malformed_v6),
	SCENARIO(nat_icmp_quote_within_ip_len),
	SCENARIO(icmp_quote_non_first_fragment),
};

int main(int argc, char **argv)
{
	return xdp_test_main(argc, argv, "xdp_robust", tests,
			     sizeof(tests) / sizeof(tests[0]));
}
