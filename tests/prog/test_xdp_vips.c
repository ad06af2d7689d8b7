// SPDX-License-Identifier: GPL-2.0-only
/*
 * Packet tests of the VIP tables (vip_tab4/vip_tab6, bpf/vip.h), written
 * through the controller's dp_vip_set/dp_vip_del (ctl/dp_vips.c):
 *  - VIPs whose keys share a home slot are each found, with their own
 *    service; a key of that home slot that is not configured passes;
 *  - XLB_VIP_PROBES keys of one home slot (the longest probe) are all
 *    found; one more is refused (-ENOSPC) and the table stays as it was;
 *  - deleting one key of a chain leaves the later ones findable;
 *  - the same for IPv6, the key compared in full (one address word);
 *  - a packet to an address that is not a VIP passes without its flow
 *    being looked up: a flow entry planted for it is neither used nor
 *    touched.
 *
 * The fixture is xdp_env.h. Run one test: test_xdp_vips NAME.
 */
#define _GNU_SOURCE
#include "xdp_env.h"

#define CHAIN_MAX (XLB_VIP_PROBES + 1)

struct chain {
	int family;
	__u16 port;
	size_t n;
	char addr[CHAIN_MAX][INET6_ADDRSTRLEN];
};

static void drop_vip(void *arg, const struct lb_addr *vip, __u16 port,
		     __u8 proto, __u32 svc_id)
{
	struct env *e = arg;

	if (dp_vip_del(&e->dp, vip, port, proto))
		fail_msg("dp_vip_del failed");
}

/* No VIP at all, as after the controller removed every service. */
static void vips_clear(struct env *e)
{
	if (dp_vip_foreach(&e->dp, drop_vip, e))
		fail_msg("dp_vip_foreach failed");
}

/* n addresses (from 198.18.2.0, from fd00:2::1) whose key with port/tcp has the
 * same home slot as the first of them. */
static void chain_make(struct env *e, int family, __u16 port, size_t n,
		       struct chain *c)
{
	__u32 bits = xlb_vip_bits(e->sz.max_services), home = 0, h, i;
	__u32 pp = xlb_vip_pp6(htons(port), IPPROTO_TCP);
	__be32 a[4];

	c->family = family;
	c->port = port;
	c->n = 0;
	for (i = 0; c->n < n && i < (1u << 16); i++) {
		memset(a, 0, sizeof(a));
		if (family == AF_INET) {
			a[0] = htonl(0xc6120200u + i);
			h = xlb_vip_home4(xlb_vip_key4(a[0], htons(port),
						       IPPROTO_TCP),
					  bits);
		} else {
			a[0] = htonl(0xfd000002u);
			a[3] = htonl(i + 1);
			h = xlb_vip_home6(a, pp, bits);
		}
		if (c->n && h != home)
			continue;
		home = h;
		inet_ntop(family, a, c->addr[c->n++], INET6_ADDRSTRLEN);
	}
	expect_u64(c->n, n, "addresses of one home slot found");
}

static int chain_set(struct env *e, const struct chain *c, size_t i,
		     __u32 svc)
{
	struct lb_addr a = { .family = c->family };

	addr_of(c->family, c->addr[i], a.b);
	return dp_vip_set(&e->dp, &a, c->port, IPPROTO_TCP, svc, 0);
}

static void chain_del(struct env *e, const struct chain *c, size_t i)
{
	struct lb_addr a = { .family = c->family };

	addr_of(c->family, c->addr[i], a.b);
	expect_u64(dp_vip_del(&e->dp, &a, c->port, IPPROTO_TCP), 0,
		   "delete %s", c->addr[i]);
}

/* A SYN to chain address i: forwarded by the table of SVC_TCP4/6 (want
 * XDP_TX), dropped as a VIP without table (XDP_DROP) or passed. */
static void chain_send(struct env *e, const struct chain *c, size_t i,
		       int want)
{
	struct family_setup f = c->family == AF_INET ? fam4 : fam6;
	struct pkt_spec s;
	struct pkt in, out;

	f.vip = c->addr[i];
	f.port = c->port;
	s = tcp_spec(&f, 40000 + i, TF_SYN);
	build(&s, &in);
	expect_verdict(prog_run(e, &in, &out), want, c->addr[i]);
	if (want != XDP_TX)
		expect_packet(&out, &in, c->addr[i]);
}

/* n keys of one home slot, alternately a service with a table and one
 * without: each packet gets its own entry's service. */
static void collisions(struct env *e, int family, size_t n)
{
	__u32 with = family == AF_INET ? SVC_TCP4 : SVC_TCP6;
	__u32 without = family == AF_INET ? SVC_NO_TABLE4 : SVC_NO_TABLE6;
	struct chain c;
	size_t i;

	vips_clear(e);
	chain_make(e, family, family == AF_INET ? 80 : 443, n + 1, &c);
	for (i = 0; i < n; i++)
		expect_u64(chain_set(e, &c, i, i % 2 ? without : with), 0,
			   "set %s", c.addr[i]);
	for (i = 0; i < n; i++)
		chain_send(e, &c, i, i % 2 ? XDP_DROP : XDP_TX);
	chain_send(e, &c, n, XDP_PASS); /* same home, not configured */
	expect_u64(reason_get(e, XLB_PASS_NOT_VIP).packets, 1,
		   "pass_not_vip packets");
}

static void test_vips_collisions_v4(void **state)
{
	collisions(*state, AF_INET, 6);
}

static void test_vips_collisions_v6(void **state)
{
	collisions(*state, AF_INET6, 6);
}

/* The longest probe: XLB_VIP_PROBES keys of one home slot all found; one
 * more refused, and the table stays the one before. */
static void full_probe(struct env *e, int family)
{
	__u32 svc = family == AF_INET ? SVC_TCP4 : SVC_TCP6;
	struct chain c;
	size_t i;

	vips_clear(e);
	chain_make(e, family, family == AF_INET ? 80 : 443, CHAIN_MAX, &c);
	for (i = 0; i < XLB_VIP_PROBES; i++)
		expect_u64(chain_set(e, &c, i, svc), 0, "set %s", c.addr[i]);
	expect_u64(-chain_set(e, &c, XLB_VIP_PROBES, svc), ENOSPC,
		   "one more key of that home slot: -errno");
	for (i = 0; i < XLB_VIP_PROBES; i++)
		chain_send(e, &c, i, XDP_TX);
	chain_send(e, &c, XLB_VIP_PROBES, XDP_PASS);
}

static void test_vips_full_probe_v4(void **state)
{
	full_probe(*state, AF_INET);
}

static void test_vips_full_probe_v6(void **state)
{
	full_probe(*state, AF_INET6);
}

/* Each key of a chain of four deleted in turn: the other three still
 * found, the deleted one passes. */
static void delete_keeps_later(struct env *e, int family)
{
	__u32 svc = family == AF_INET ? SVC_TCP4 : SVC_TCP6;
	struct chain c;
	size_t d, i;

	chain_make(e, family, family == AF_INET ? 80 : 443, 4, &c);
	for (d = 0; d < 4; d++) {
		vips_clear(e);
		for (i = 0; i < 4; i++)
			expect_u64(chain_set(e, &c, i, svc), 0, "set %s",
				   c.addr[i]);
		chain_del(e, &c, d);
		for (i = 0; i < 4; i++)
			chain_send(e, &c, i, i == d ? XDP_PASS : XDP_TX);
	}
}

static void test_vips_delete_keeps_later_v4(void **state)
{
	delete_keeps_later(*state, AF_INET);
}

static void test_vips_delete_keeps_later_v6(void **state)
{
	delete_keeps_later(*state, AF_INET6);
}

/* IPv6: an address that differs from a VIP in one word only is not it. */
static void test_vips_full_key_v6(void **state)
{
	struct env *e = *state;
	struct pkt_spec s = tcp_spec(&fam6, 40000, TF_SYN);

	s.daddr = "fd00:0:0:1::10"; /* VIP6 = fd00::10 */
	send_unchanged(e, &s, XDP_PASS, "fd00:0:0:1::10:443");
	s.daddr = VIP6;
	s.dport = 444;
	send_unchanged(e, &s, XDP_PASS, "VIP6:444");
	expect_u64(reason_get(e, XLB_PASS_NOT_VIP).packets, 2,
		   "pass_not_vip packets");
}

/* A packet that is not for a VIP costs no flow lookup: a flow entry put
 * for its 5-tuple (to an active back end) neither forwards it nor is
 * touched (last_seen, state). */
static void not_vip_no_flow(struct env *e, const struct family_setup *f)
{
	struct family_setup g = *f;
	struct flow_value fv = { .backend_id = f->family == AF_INET ? 1 : 6,
				 .state = XLB_FLOW_SYN, .last_seen = 12345 };
	struct pkt_spec s;
	struct flow_key_v4 k4;
	struct flow_key_v6 k6;
	__u64 h = 0, kw = 0, meta = 0, m;
	int ret;

	g.vip = f->family == AF_INET ? NOT_VIP4 : NOT_VIP6;
	s = tcp_spec(&g, 40000, TF_ACK);
	if (f->family == AF_INET) {
		/* flows4 keys flows by service: the entry a lookup of the
		 * packet's 5-tuple would meet, under the service of the
		 * address's real VIP */
		flow_key4(&s, &k4);
		h = xlb_ft_hash4(k4.src, k4.dst, k4.sport, k4.dport, k4.proto);
		kw = xlb_ft_kw(k4.src, k4.sport, SVC_TCP4);
		meta = xlb_ft_meta(fv.backend_id, 0, 12345, fv.state);
		ret = !xlb_ft_place(&e->dp.ft4, h, kw, meta);
	} else {
		/* flows6 likewise */
		flow_key6(&s, &k6);
		h = xlb_ft_hash6(k6.src, k6.dst, k6.sport, k6.dport, k6.proto);
		kw = xlb_ft6_kw(h, k6.sport, SVC_TCP6);
		meta = xlb_ft_meta(fv.backend_id, 0, 12345, fv.state);
		ret = !xlb_ft6_place(&e->dp.ft6, h, kw, k6.src, meta);
	}
	expect_u64(ret, 0, "flow entry put");
	send_unchanged(e, &s, XDP_PASS, "not a VIP, with a flow entry");
	expect_u64(reason_get(e, XLB_PASS_NOT_VIP).packets, 1,
		   "pass_not_vip packets");
	if (f->family == AF_INET)
		ret = xlb_ft_find(&e->dp.ft4, h, kw, &m) != NULL;
	else
		ret = xlb_ft6_find(&e->dp.ft6, h, kw, k6.src, &m) != NULL;
	expect_u64(ret, 1, "flow entry still there");
	expect_u64(m, meta, "flow entry's meta (last-seen, state)");
}

static void test_vips_not_vip_no_flow_v4(void **state)
{
	not_vip_no_flow(*state, &fam4);
}

static void test_vips_not_vip_no_flow_v6(void **state)
{
	not_vip_no_flow(*state, &fam6);
}

/* ---- main ------------------------------------------------------------- */

static const struct CMUnitTest tests[] = {
	SCENARIO(vips_collisions_v4),
	SCENARIO(vips_collisions_v6),
	SCENARIO(vips_full_probe_v4),
	SCENARIO(vips_full_probe_v6),
	SCENARIO(vips_delete_keeps_later_v4),
	SCENARIO(vips_delete_keeps_later_v6),
	SCENARIO(vips_full_key_v6),
	SCENARIO(vips_not_vip_no_flow_v4),
	SCENARIO(vips_not_vip_no_flow_v6),
};

int main(int argc, char **argv)
{
	return xdp_test_main(argc, argv, "xdp_vips", tests,
			     sizeof(tests) / sizeof(tests[0]));
}
