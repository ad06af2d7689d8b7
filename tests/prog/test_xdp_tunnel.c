// SPDX-License-Identifier: GPL-2.0-only
/*
 * Packet tests of the XDP program with BPF_PROG_TEST_RUN, tunnel mode: IP-in-IP and IPv6-in-IPv6 (and across
 * families) encapsulation toward the back end, byte by byte, and ICMP
 * errors carried in the tunnel.
 *
 * The fixture (network, loading, map filling through the controller's
 * code, assertions) is xdp_env.h. Run one test: test_xdp_tunnel NAME.
 */
#define _GNU_SOURCE
#include "xdp_env.h"

/* ---- tunnel mode ---- */

static const struct lb_cfg tun_cfg = {
	/* 198.18.9.0/24 and fd00:9::/64, in network order as stored */
	.tun_src4 = 0x000912c6, .tun_mask4 = 0x00ffffff,
	.tun_src6 = { 0x000000fd | 0x0900 << 16, 0, 0, 0 },
	.tun_mask6 = { 0xffffffff, 0xffffffff, 0, 0 },
};

/* The configuration the expected packets are built with (cfg_set). */
static struct lb_cfg tun_cur;

static void tunnel_setup(struct env *e, const struct family_setup *f)
{
	vip_flags(e, f, XLB_VIP_F_TUNNEL);
	tun_cur = tun_cfg;
	cfg_set(e, &tun_cur);
}

static __u32 rd32(const __u8 *p)
{
	__u32 v;

	memcpy(&v, p, 4);
	return v;
}

static __u16 rd16(const __u8 *p)
{
	__u16 v;

	memcpy(&v, p, 2);
	return v;
}

/*
 * What the data path must send for in (L2 header of l2len bytes) to back
 * end bi: the L2 header to the next hop, a new outer header written here
 * byte by byte with its checksum computed from scratch, then the packet
 * from its IP header on, unchanged, as long as its IP length says
 * (Ethernet padding after it is not carried). seed and h follow the documented
 * derivation of the outer source (tunnel.h).
 */
static void encapsulated(const struct pkt *in, size_t l2len,
			 const struct backend_info *bi, struct pkt *want)
{
	bool outer6 = bi->family == AF_INET6;
	const __u8 *ip = in->data + l2len;
	bool inner6 = (ip[0] >> 4) == 6;
	size_t room = outer6 ? 40 : 20, ihl = inner6 ? 40 : (ip[0] & 0xf) * 4;
	const __u8 *l4 = ip + ihl;
	__u32 seed, h, inner_len, i;
	__u8 *o, tos;

	if (inner6)
		seed = rd32(ip + 8) ^ rd32(ip + 12) ^ rd32(ip + 16) ^
		       rd32(ip + 20);
	else
		seed = rd32(ip + 12);
	seed ^= (__u32)rd16(l4) << 16 | rd16(l4 + 2);
	h = seed ^ seed >> 16; /* murmur3 fmix32 */
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	inner_len = inner6 ? 40u + (ip[4] << 8 | ip[5]) :
			     (__u32)(ip[2] << 8 | ip[3]);
	tos = inner6 ? (ip[0] & 0xf) << 4 | ip[1] >> 4 : ip[1];

	memset(want, 0, sizeof(*want));
	memcpy(want->data, bi->mac, ETH_ALEN);
	memcpy(want->data + ETH_ALEN, LB_MAC, ETH_ALEN);
	memcpy(want->data + 12, in->data + 12, l2len - 12); /* tag, type */
	put16(want->data + l2len - 2, outer6 ? ETH_P_IPV6 : ETH_P_IP);
	o = want->data + l2len;
	if (outer6) {
		o[0] = 0x60 | tos >> 4;
		o[1] = (tos & 0xf) << 4 | ((h >> 16) & 0xf);
		o[2] = h >> 8;
		o[3] = h;
		put16(o + 4, inner_len);
		o[6] = inner6 ? 41 : 4;
		o[7] = 64;
		for (i = 0; i < 4; i++) {
			__u32 m = tun_cur.tun_mask6[i];
			__u32 host = i == 3 ? h : i == 2 ? seed : 0;
			__u32 w = (tun_cur.tun_src6[i] & m) | (htonl(host) & ~m);

			memcpy(o + 8 + 4 * i, &w, 4);
		}
		memcpy(o + 24, bi->addr, 16);
	} else {
		__u32 sa = (tun_cur.tun_src4 & tun_cur.tun_mask4) |
			   (htonl(h) & ~tun_cur.tun_mask4);

		o[0] = 0x45;
		o[1] = tos;
		put16(o + 2, inner_len + 20);
		o[8] = 64;
		o[9] = 4;
		memcpy(o + 12, &sa, 4);
		memcpy(o + 16, bi->addr, 4);
		put16(o + 10, csum_fold(csum_add(0, o, 20)));
	}
	memcpy(o + room, ip, inner_len);
	want->len = l2len + room + inner_len;
}

/* One packet through a tunnel service to back end be (byte-exact). */
static void send_tunneled(struct env *e, const struct pkt_spec *s,
			  size_t l2len, __u32 be, const char *what)
{
	struct backend_info bi = backend_get(e, be);
	struct pkt in, out, want;

	build(s, &in);
	expect_verdict(prog_run(e, &in, &out), XDP_TX, what);
	encapsulated(&in, l2len, &bi, &want);
	expect_packet(&out, &want, what);
}

/* IPv4-in-IPv4: SYN and later packets of a flow, a second flow with
 * another outer source, a VLAN-tagged frame; pinned as in DSR. */
static void test_tunnel_v4_in_v4(void **state)
{
	struct env *e = *state;
	struct pkt_spec syn = tcp_spec(&fam4, 44000, TF_SYN);
	struct pkt_spec ack = tcp_spec(&fam4, 44000, TF_ACK);
	struct pkt_spec other = tcp_spec(&fam4, 44001, TF_SYN);
	struct pkt_spec tagged = tcp_spec(&fam4, 44002, TF_SYN);
	struct pkt in, out;
	__u32 be;

	tunnel_setup(e, &fam4);
	ack.payload = 300;
	be = table_slot(e, SVC_TCP4, xlb_slot(flow_hash(&syn), e->sz.table_size));
	send_tunneled(e, &syn, 14, be, "tunnel SYN");
	expect_u64(flow_must(e, &syn, "tunnel flow").backend_id, be,
		   "pinned back end");
	send_tunneled(e, &ack, 14, be, "tunnel ACK");
	send_tunneled(e, &other, 14,
		      table_slot(e, SVC_TCP4,
				 xlb_slot(flow_hash(&other), e->sz.table_size)),
		      "second flow");
	build(&syn, &in);
	prog_run(e, &in, &out);
	{
		struct pkt in2, out2;

		build(&other, &in2);
		prog_run(e, &in2, &out2);
		if (!memcmp(out.data + 14 + 12, out2.data + 14 + 12, 4))
			fail_msg("two flows got the same outer source");
	}
	tagged.vlan_proto = ETH_P_8021Q;
	tagged.vlan_tci = 100;
	send_tunneled(e, &tagged, 18,
		      table_slot(e, SVC_TCP4,
				 xlb_slot(flow_hash(&tagged), e->sz.table_size)),
		      "VLAN-tagged SYN");
	expect_u64(reason_get(e, XLB_TX_FORWARDED).packets, 6, "tx_forwarded");
}

static void test_tunnel_v6_in_v6(void **state)
{
	struct env *e = *state;
	struct pkt_spec syn = tcp_spec(&fam6, 44000, TF_SYN);
	struct pkt_spec ack = tcp_spec(&fam6, 44000, TF_ACK);

	tunnel_setup(e, &fam6);
	ack.payload = 500;
	send_tunneled(e, &syn, 14,
		      table_slot(e, SVC_TCP6, xlb_slot(flow_hash(&syn), e->sz.table_size)),
		      "v6 tunnel SYN");
	send_tunneled(e, &ack, 14, flow_must(e, &syn, "v6 flow").backend_id,
		      "v6 tunnel ACK");
}

/* An IPv6 back end for an IPv4 service: IPv4-in-IPv6. The other way
 * (IPv6 packet, IPv4 back end) cannot be carried: dropped, counted. */
static void test_tunnel_v4_in_v6_and_v6_in_v4(void **state)
{
	struct env *e = *state;
	struct backend_info bi = backend_get(e, SPARE_BE4);
	struct pkt_spec syn4 = tcp_spec(&fam4, 44100, TF_SYN);
	struct pkt_spec syn6 = tcp_spec(&fam6, 44100, TF_SYN);
	struct pkt in, out;

	tunnel_setup(e, &fam4);
	tunnel_setup(e, &fam6);
	bi.family = AF_INET6;
	addr_of(AF_INET6, "fd00:1::a", bi.addr);
	backend_put(e, SPARE_BE4, &bi);
	table_all(e, SVC_TCP4, SPARE_BE4);
	send_tunneled(e, &syn4, 14, SPARE_BE4, "IPv4 SYN to an IPv6 back end");

	bi = backend_get(e, SPARE_BE6);
	bi.family = AF_INET;
	memset(bi.addr, 0, sizeof(bi.addr));
	addr_of(AF_INET, "10.1.0.11", bi.addr);
	backend_put(e, SPARE_BE6, &bi);
	table_all(e, SVC_TCP6, SPARE_BE6);
	build(&syn6, &in);
	expect_verdict(prog_run(e, &in, &out), XDP_DROP,
		       "IPv6 SYN to an IPv4 back end");
	expect_u64(reason_get(e, XLB_DROP_ENCAP).packets, 1, "drop_encap");
	/* the dropped SYN chose its back end: counted there, and in the
	 * fwd_failed slot so that tx_forwarded (derived) leaves it out */
	expect_lb(e, e->skel->maps.stats_backend, SPARE_BE6, 1, in.len, 1);
	expect_svc(e, SVC_TCP6, 1, in.len, 1);
	expect_u64(reason_get(e, XLB_TX_FORWARDED).packets, 1,
		   "tx_forwarded: the IPv4 SYN only");
}

/* In tunnel mode an ICMP error about a flow reaches its back end
 * encapsulated too. */
static void test_tunnel_icmp_error(void **state)
{
	struct env *e = *state;
	struct pkt_spec syn = tcp_spec(&fam4, 44200, TF_SYN);
	struct pkt_spec quoted = reply_of(&syn);
	struct pkt_spec err = { .family = AF_INET, .saddr = "10.9.9.9",
				.daddr = VIP4, .proto = IPPROTO_ICMP,
				.icmp_type = 3, .icmp_code = 4,
				.icmp_mtu = 1280, .inner = &quoted };
	__u32 be;

	tunnel_setup(e, &fam4);
	be = table_slot(e, SVC_TCP4, xlb_slot(flow_hash(&syn), e->sz.table_size));
	send_tunneled(e, &syn, 14, be, "tunnel SYN");
	table_all(e, SVC_TCP4, SPARE_BE4);
	{
		struct backend_info bi = backend_get(e, be);
		struct pkt in, out, want;

		build(&err, &in);
		expect_verdict(prog_run(e, &in, &out), XDP_TX,
			       "tunnel ICMP error");
		/* the outer source comes from the quoted flow's mirror:
		 * build the expectation from a packet of that flow */
		encapsulated(&in, 14, &bi, &want);
		/* the error's outer source must be the flow's own: take it
		 * from the SYN's encapsulation, then fix the checksum */
		{
			struct pkt synp, synout;

			build(&syn, &synp);
			flows_flush(e);
			table_all(e, SVC_TCP4, be);
			prog_run(e, &synp, &synout);
			memcpy(want.data + 14 + 12, synout.data + 14 + 12, 4);
			memset(want.data + 14 + 10, 0, 2);
			put16(want.data + 14 + 10,
			      csum_fold(csum_add(0, want.data + 14, 20)));
		}
		expect_packet(&out, &want, "ICMP error in the tunnel");
	}
}

/*
 * Issue 12, defect 8: the inner IP length is checked against the frame
 * before it goes into the outer header: a claim of 65535 bytes (the outer
 * length wrapped to 19) or of more than the frame holds is malformed and
 * passed; a frame longer than its IP length (Ethernet padding) is
 * encapsulated as long as the IP length says, the outer length right.
 */
static void test_tunnel_ip_len(void **state)
{
	struct env *e = *state;
	struct pkt_spec s4 = tcp_spec(&fam4, 44300, TF_SYN);
	struct pkt_spec s6 = tcp_spec(&fam6, 44300, TF_SYN);
	struct pkt_spec m;

	tunnel_setup(e, &fam4);
	tunnel_setup(e, &fam6);
	m = s4;
	m.ip_len = IP_LEN(65535);
	send_unchanged(e, &m, XDP_PASS, "inner total length 65535");
	m.ip_len = IP_LEN(140);
	send_unchanged(e, &m, XDP_PASS, "inner total length 140, 40 in frame");
	m = s6;
	m.ip_len = IP_LEN(1000);
	send_unchanged(e, &m, XDP_PASS, "inner payload length past the frame");
	expect_u64(reason_get(e, XLB_PASS_MALFORMED).packets, 3,
		   "pass_malformed");
	expect_u64(reason_get(e, XLB_TX_FORWARDED).packets, 0, "tx_forwarded");
	s4.trailer = 6;
	send_tunneled(e, &s4, 14,
		      table_slot(e, SVC_TCP4, xlb_slot(flow_hash(&s4), e->sz.table_size)),
		      "padded IPv4 SYN");
	s6.tcp_flags = TF_ACK;
	s6.trailer = 13;
	send_tunneled(e, &s6, 14,
		      table_slot(e, SVC_TCP6, xlb_slot(flow_hash(&s6), e->sz.table_size)),
		      "padded IPv6 ACK");
}

/* Set the traffic class (IPv4 TOS) of the built packet in, whose IP
 * header starts at l2len (the data path checks no inner checksum). */
static void set_tos(struct pkt *in, size_t l2len, __u8 tos)
{
	__u8 *ip = in->data + l2len;

	if ((ip[0] >> 4) == 6) {
		ip[0] = 0x60 | tos >> 4;
		ip[1] = (__u8)(tos << 4) | (ip[1] & 0xf);
	} else {
		ip[1] = tos;
	}
}

/*
 * The outer header is built from words in registers and its checksum
 * summed from the same words (tunnel.h): byte for byte against the
 * from-scratch build of encapsulated(), over back-end addresses and
 * outer-source prefixes whose sums carry, TOS values, IP lengths, many
 * flows (seeds), untagged and VLAN-tagged frames, IPv4 and IPv6 outer
 * headers.
 */
static void test_tunnel_outer_words(void **state)
{
	static const char *const addr4[] = { "10.1.0.11", "255.255.255.254",
					     "0.0.0.1", "198.19.255.255" };
	static const char *const addr6[] = { "fd00:1::a",
					     "fdff:ffff:ffff:ffff:ffff:ffff:ffff:fffe" };
	static const struct {
		__be32 src, mask;
	} src4[] = {
		{ 0x000912c6, 0x00ffffff }, /* 198.18.9.0/24 */
		{ 0xffffffff, 0xffffffff }, /* a /32: no host bits */
		{ 0x0000ffff, 0x0000ffff }, /* 255.255.0.0/16 */
		{ 0, 0 },		    /* 0/0: all host bits */
	};
	static const __u8 tos[] = { 0, 0xb8, 0xff, 0x03 };
	struct env *e = *state;
	struct backend_info bi = backend_get(e, SPARE_BE4);
	struct backend_info bi6 = backend_get(e, SPARE_BE4);
	char what[96];
	__u32 n = 0, a, c, t;

	tunnel_setup(e, &fam4);
	table_all(e, SVC_TCP4, SPARE_BE4);
	for (a = 0; a < 4; a++)
		for (c = 0; c < 4; c++)
			for (t = 0; t < 4; t++, n++) {
				struct pkt_spec s = tcp_spec(&fam4, 45000 + n,
							     n & 1 ? TF_ACK :
								     TF_SYN);
				struct pkt in, out, want;
				size_t l2 = n & 2 ? 18 : 14;

				memset(bi.addr, 0, sizeof(bi.addr));
				addr_of(AF_INET, addr4[a], bi.addr);
				backend_put(e, SPARE_BE4, &bi);
				tun_cur.tun_src4 = src4[c].src;
				tun_cur.tun_mask4 = src4[c].mask;
				cfg_set(e, &tun_cur);
				s.payload = (n * 97) % 900;
				if (l2 == 18) {
					s.vlan_proto = n & 4 ? ETH_P_8021AD :
							       ETH_P_8021Q;
					s.vlan_tci = n;
				}
				build(&s, &in);
				set_tos(&in, l2, tos[t]);
				snprintf(what, sizeof(what),
					 "to %s, source %08x/%08x, tos %#x, "
					 "%zu-byte L2",
					 addr4[a], src4[c].src, src4[c].mask,
					 tos[t], l2);
				expect_verdict(prog_run(e, &in, &out), XDP_TX,
					       what);
				encapsulated(&in, l2, &bi, &want);
				expect_packet(&out, &want, what);
			}
	/* IPv4-in-IPv6 and IPv6-in-IPv6, tagged and not */
	tunnel_setup(e, &fam6);
	bi6.family = AF_INET6;
	for (a = 0; a < 2; a++)
		for (t = 0; t < 4; t++, n++) {
			const struct family_setup *f = t & 1 ? &fam6 : &fam4;
			__u32 id = f == &fam6 ? SPARE_BE6 : SPARE_BE4;
			struct pkt_spec s = tcp_spec(f, 45000 + n, TF_SYN);
			struct pkt in, out, want;
			size_t l2 = t & 2 ? 18 : 14;

			bi6 = backend_get(e, id);
			bi6.family = AF_INET6;
			addr_of(AF_INET6, addr6[a], bi6.addr);
			backend_put(e, id, &bi6);
			table_all(e, f == &fam6 ? SVC_TCP6 : SVC_TCP4, id);
			s.payload = (n * 97) % 900;
			if (l2 == 18) {
				s.vlan_proto = ETH_P_8021Q;
				s.vlan_tci = n;
			}
			build(&s, &in);
			set_tos(&in, l2, tos[(a + t) % 4] ^ 0x5a);
			snprintf(what, sizeof(what), "IPv%d in IPv6 to %s, %zu-byte L2",
				 f == &fam6 ? 6 : 4, addr6[a], l2);
			expect_verdict(prog_run(e, &in, &out), XDP_TX, what);
			encapsulated(&in, l2, &bi6, &want);
			expect_packet(&out, &want, what);
		}
}

/* ---- main ------------------------------------------------------------- */

static const struct CMUnitTest tests[] = {
	SCENARIO(tunnel_v4_in_v4),
	SCENARIO(tunnel_v6_in_v6),
	SCENARIO(tunnel_v4_in_v6_and_v6_in_v4),
	SCENARIO(tunnel_icmp_error),
	SCENARIO(tunnel_ip_len),
	SCENARIO(tunnel_outer_words),
};

int main(int argc, char **argv)
{
	return xdp_test_main(argc, argv, "xdp_tunnel", tests,
			     sizeof(tests) / sizeof(tests[0]));
}
