// SPDX-License-Identifier: GPL-2.0-only
/*
 * Packet tests of the back ends' decapsulation program (bpf/decap.bpf.c)
 * with BPF_PROG_TEST_RUN: every tunnel xdp-lb sends (IPv4-in-IPv4,
 * IPv6-in-IPv6, IPv4-in-IPv6, with and without a VLAN tag) comes out as the
 * inner packet behind the same L2 header, every byte checked; anything
 * else passes untouched. The encapsulated inputs are written here byte by
 * byte, with outer checksums computed from scratch.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "decap.skel.h"
#include "pktgen.h"

static struct decap *skel;

static int setup(void **state)
{
	skel = decap__open_and_load();
	return skel ? 0 : -1;
}

static int teardown(void **state)
{
	decap__destroy(skel);
	return 0;
}

static int run(const struct pkt *in, struct pkt *out)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in->data,
		    .data_size_in = in->len, .data_out = out->data,
		    .data_size_out = sizeof(out->data), .repeat = 1);

	memset(out, 0, sizeof(*out));
	if (bpf_prog_test_run_opts(bpf_program__fd(skel->progs.xdp_decap),
				   &opts))
		fail_msg("BPF_PROG_TEST_RUN: %s", strerror(errno));
	out->len = opts.data_size_out;
	return opts.retval;
}

static void build(const struct pkt_spec *s, struct pkt *p)
{
	char err[128];

	if (build_pkt(s, p, err, sizeof(err)))
		fail_msg("packet builder: %s", err);
}

/* inner (a whole frame with an L2 header of l2len bytes), wrapped in an
 * outer header of family outer as xdp-lb sends it. */
static void wrap(const struct pkt *inner, size_t l2len, int outer,
		 struct pkt *out)
{
	const __u8 *ip = inner->data + l2len;
	bool inner6 = ip[0] >> 4 == 6;
	size_t room = outer == AF_INET6 ? 40 : 20;
	__u32 ilen = inner6 ? 40u + (ip[4] << 8 | ip[5]) :
			      (__u32)(ip[2] << 8 | ip[3]);
	__u8 *o;

	memset(out, 0, sizeof(*out));
	memcpy(out->data, inner->data, l2len);
	put16(out->data + l2len - 2, outer == AF_INET6 ? ETH_P_IPV6 : ETH_P_IP);
	o = out->data + l2len;
	if (outer == AF_INET6) {
		o[0] = 0x60;
		put16(o + 4, ilen);
		o[6] = inner6 ? 41 : 4;
		o[7] = 64;
		inet_pton(AF_INET6, "fd00:9::1:2", o + 8);
		inet_pton(AF_INET6, "fd00:1::11", o + 24);
	} else {
		o[0] = 0x45;
		put16(o + 2, ilen + 20);
		o[8] = 64;
		o[9] = 4;
		inet_pton(AF_INET, "198.18.9.7", o + 12);
		inet_pton(AF_INET, "198.18.1.11", o + 16);
		put16(o + 10, csum_fold(csum_add(0, o, 20)));
	}
	memcpy(o + room, ip, inner->len - l2len);
	out->len = inner->len + room;
}

static void expect_same(const struct pkt *got, const struct pkt *want,
			const char *what)
{
	long d = pkt_first_diff(got, want);

	if (d >= 0)
		fail_msg("%s: output differs at byte %ld (length %u, want %u)",
			 what, d, got->len, want->len);
}

static void roundtrip(const struct pkt_spec *s, size_t l2len, int outer,
		      const char *what)
{
	struct pkt inner, in, out;

	build(s, &inner);
	wrap(&inner, l2len, outer, &in);
	if (run(&in, &out) != XDP_PASS)
		fail_msg("%s: verdict not XDP_PASS", what);
	expect_same(&out, &inner, what);
}

static const struct pkt_spec tcp4 = { .family = AF_INET, .saddr = "10.0.0.1",
				      .daddr = "198.18.0.100",
				      .proto = IPPROTO_TCP, .sport = 40000,
				      .dport = 80, .tcp_flags = TF_SYN,
				      .payload = 100 };
static const struct pkt_spec tcp6 = { .family = AF_INET6,
				      .saddr = "fd00:c::1",
				      .daddr = "fd00::100",
				      .proto = IPPROTO_TCP, .sport = 40000,
				      .dport = 80, .tcp_flags = TF_ACK,
				      .payload = 200 };

static void test_v4_in_v4(void **state)
{
	roundtrip(&tcp4, 14, AF_INET, "IPv4-in-IPv4");
}

static void test_v6_in_v6(void **state)
{
	roundtrip(&tcp6, 14, AF_INET6, "IPv6-in-IPv6");
}

static void test_v4_in_v6(void **state)
{
	roundtrip(&tcp4, 14, AF_INET6, "IPv4-in-IPv6");
}

static void test_vlan(void **state)
{
	struct pkt_spec s = tcp4;

	s.vlan_proto = ETH_P_8021Q;
	s.vlan_tci = 7;
	roundtrip(&s, 18, AF_INET, "VLAN, IPv4-in-IPv4");
	s = tcp6;
	s.vlan_proto = ETH_P_8021Q;
	s.vlan_tci = 7;
	roundtrip(&s, 18, AF_INET6, "VLAN, IPv6-in-IPv6");
}

/* Plain traffic, and an outer header with options or a fragment, pass
 * unchanged; the counters say how many were unwrapped. */
static void test_other_traffic_untouched(void **state)
{
	const struct pkt_spec plain[] = { tcp4, tcp6,
		{ .family = AF_INET, .saddr = "10.0.0.1", .daddr = "10.0.0.2",
		  .proto = IPPROTO_UDP, .sport = 1, .dport = 2, .payload = 8 },
		{ .ethertype = ETH_P_ARP, .family = AF_INET,
		  .saddr = "10.0.0.1", .daddr = "10.0.0.2" } };
	struct pkt in, out, inner;
	__u64 v[256] = {};
	__u32 key = 0;
	size_t i;
	int n = libbpf_num_possible_cpus(), c;
	__u64 done = 0;

	for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		build(&plain[i], &in);
		if (run(&in, &out) != XDP_PASS)
			fail_msg("plain packet %zu: not XDP_PASS", i);
		expect_same(&out, &in, "plain packet");
	}
	build(&tcp4, &inner);
	wrap(&inner, 14, AF_INET, &in);
	in.data[14 + 6] = 0x20; /* outer MF: a fragment */
	if (run(&in, &out) != XDP_PASS)
		fail_msg("fragment: not XDP_PASS");
	expect_same(&out, &in, "outer fragment untouched");
	if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.decap_stats), &key, v))
		fail_msg("decap_stats: %s", strerror(errno));
	for (c = 0; c < n && c < 256; c++)
		done += v[c];
	/* the earlier tests of this group unwrapped 5 packets, no more */
	assert_int_equal(done, 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v4_in_v4),
		cmocka_unit_test(test_v6_in_v6),
		cmocka_unit_test(test_v4_in_v6),
		cmocka_unit_test(test_vlan),
		cmocka_unit_test(test_other_traffic_untouched),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
