// SPDX-License-Identifier: GPL-2.0-only
/*
 * Packet tests of the XDP program's IPv6 flow table (flows6: the bucket
 * lines of flows4, a 32-bit fingerprint of the flow hash in the key word,
 * the client addresses in flows6_keys; include/xlb_flowtab.h), with
 * BPF_PROG_TEST_RUN, in a table of one bucket (max_flows 2):
 *  - v6_collisions_one_bucket: four IPv6 flows share the bucket, each
 *    pinned to its own pick and found again by its later packets.
 *  - v6_fingerprint_collision: two clients whose flows have the same key
 *    word (fingerprint, port, service), told apart by their addresses:
 *    both pinned, each in a way of its own; a RST of one leaves the
 *    other's state as it was; the table's keys line holds both.
 *  - v6_full_bucket_keeps_live_flows: a closed flow goes before a live
 *    one when a fifth flow needs a way.
 *  - v6_locked_bucket: while another CPU holds the bucket's lock, a new
 *    flow is forwarded unpinned (tx_unpinned); a pinned one still
 *    refreshes, keeping the lock bit.
 * Run one: test_xdp_flowtab6 NAME.
 */
#include <arpa/inet.h>
#include <stdlib.h>

#include "xdp_env.h"

static __u32 pick6(struct env *e, const struct pkt_spec *s)
{
	return table_slot(e, SVC_TCP6,
			  xlb_slot(flow_hash(s), e->sz.table_size));
}

static void send6(struct env *e, const struct pkt_spec *s, const char *what)
{
	send_tx(e, s, pick6(e, s), what);
}

static void test_v6_collisions_one_bucket(void **state)
{
	struct env *e = *state;
	struct flow_value fv;
	struct pkt_spec s;
	__u32 k;

	expect_u64(bpf_map__max_entries(e->skel->maps.flows6), 1,
		   "buckets for max_flows 2");
	for (k = 0; k < XLB_FT_WAYS; k++) {
		s = tcp_spec(&fam6, 41000 + k, TF_SYN);
		send6(e, &s, "SYN into the shared bucket");
	}
	expect_u64(flows6_count(e), XLB_FT_WAYS, "flows in the bucket");
	for (k = 0; k < XLB_FT_WAYS; k++) {
		s = tcp_spec(&fam6, 41000 + k, TF_ACK);
		send6(e, &s, "ACK finds its flow");
		fv = flow_must(e, &s, "flow in the shared bucket");
		expect_u64(fv.backend_id, pick6(e, &s), "flow %u's back end", k);
		expect_state(fv.state, XLB_FLOW_ESTABLISHED, "after the ACK");
	}
	expect_u64(flows6_count(e), XLB_FT_WAYS, "no flow inserted twice");
}

struct fp {
	__u32 hi, k;
};

static int fp_cmp(const void *a, const void *b)
{
	const struct fp *x = a, *y = b;

	return x->hi < y->hi ? -1 : x->hi > y->hi;
}

/* Client k of the search below: k spread over two words of the
 * address (one word alone hashes to distinct fingerprints). */
static void addr_of_k(char *buf, size_t len, __u32 k)
{
	snprintf(buf, len, "fd00:%x::%x", k >> 9, k & 0x1ff);
}

/* Two client addresses (fd00:...) whose flows from port sport to
 * fam6's VIP have one fingerprint (and so one pick: the slot comes from
 * the same high half of the hash). */
static void fp_pair(struct env *e, __u16 sport, char *a, char *b,
		    size_t len)
{
	const __u32 n = 1u << 18;
	struct fp *v = calloc(n, sizeof(*v));
	struct pkt_spec s = tcp_spec(&fam6, sport, TF_SYN);
	char ka[64], kb[64];
	__u32 i;

	assert_non_null(v);
	for (i = 0; i < n; i++) {
		addr_of_k(ka, sizeof(ka), i);
		s.saddr = ka;
		v[i].hi = (__u32)(flow_hash(&s) >> 32);
		v[i].k = i;
	}
	qsort(v, n, sizeof(*v), fp_cmp);
	for (i = 0; i + 1 < n; i++) {
		if (v[i].hi != v[i + 1].hi)
			continue;
		addr_of_k(ka, sizeof(ka), v[i].k);
		addr_of_k(kb, sizeof(kb), v[i + 1].k);
		snprintf(a, len, "%s", ka);
		snprintf(b, len, "%s", kb);
		free(v);
		return;
	}
	free(v);
	fail_msg("no fingerprint collision among %u addresses", n);
}

static void test_v6_fingerprint_collision(void **state)
{
	struct env *e = *state;
	struct pkt_spec sa = tcp_spec(&fam6, 41000, TF_SYN), sb = sa;
	char a[64], b[64];
	struct flow_value fa, fb;

	fp_pair(e, 41000, a, b, sizeof(a));
	sa.saddr = a;
	sb.saddr = b;
	expect_u64(flow_hash(&sa) >> 32, flow_hash(&sb) >> 32,
		   "one fingerprint (%s, %s)", a, b);
	send6(e, &sa, "SYN of the first client");
	send6(e, &sb, "SYN of the second client, same key word");
	expect_u64(flows6_count(e), 2, "two ways of one key word");
	sa.tcp_flags = sb.tcp_flags = TF_ACK;
	send6(e, &sa, "ACK of the first client to its own back end");
	send6(e, &sb, "ACK of the second client to its own back end");
	fa = flow_must(e, &sa, "the first client's flow");
	fb = flow_must(e, &sb, "the second client's flow");
	expect_u64(fa.backend_id, pick6(e, &sa), "first client's back end");
	expect_u64(fb.backend_id, pick6(e, &sb), "second client's back end");
	expect_state(fa.state, XLB_FLOW_ESTABLISHED, "first after its ACK");
	sb.tcp_flags = TF_RST;
	send6(e, &sb, "RST of the second client");
	fa = flow_must(e, &sa, "the first client's flow after the RST");
	fb = flow_must(e, &sb, "the second client's flow after its RST");
	expect_state(fa.state, XLB_FLOW_ESTABLISHED, "first client's state");
	expect_state(fb.state, XLB_FLOW_RST, "second client's state");
	expect_u64(fa.backend_id, pick6(e, &sa), "first client's back end");
	expect_u64(flows6_count(e), 2, "still two ways of one key word");
}

static void test_v6_full_bucket_keeps_live_flows(void **state)
{
	struct env *e = *state;
	struct flow_value fv;
	struct pkt_spec s;
	__u32 k;

	for (k = 0; k < XLB_FT_WAYS; k++) {
		s = tcp_spec(&fam6, 41000 + k, TF_SYN);
		send6(e, &s, "SYN");
		s.tcp_flags = TF_ACK;
		send6(e, &s, "ACK");
	}
	s = tcp_spec(&fam6, 41002, TF_FIN | TF_ACK);
	send6(e, &s, "FIN of flow 2");
	s = tcp_spec(&fam6, 42000, TF_SYN);
	send6(e, &s, "a fifth flow into the full bucket");
	flow_must(e, &s, "the fifth flow pinned");
	s = tcp_spec(&fam6, 41002, TF_ACK);
	expect_u64(flow_get(e, &s, &fv), 0, "the closed flow went");
	for (k = 0; k < XLB_FT_WAYS; k++) {
		if (k == 2)
			continue;
		s = tcp_spec(&fam6, 41000 + k, TF_ACK);
		flow_must(e, &s, "a live flow stays");
	}
}

static void test_v6_locked_bucket(void **state)
{
	struct env *e = *state;
	__u64 *m0 = &e->dp.ft6.tab[0].w[0].meta, unpinned;
	struct flow_value fv;
	struct pkt_spec s;

	s = tcp_spec(&fam6, 41000, TF_SYN);
	send6(e, &s, "SYN of flow 0");
	expect_u64(e->dp.ft6.tab[0].w[0].kw != 0, 1, "flow 0 in way 0");
	__atomic_or_fetch(m0, XLB_FT_LOCK, __ATOMIC_SEQ_CST);
	unpinned = reason_get(e, XLB_TX_UNPINNED).packets;
	s = tcp_spec(&fam6, 41001, TF_SYN);
	send6(e, &s, "SYN into the locked bucket");
	expect_u64(flow_get(e, &s, &fv), 0, "not pinned while locked");
	expect_u64(reason_get(e, XLB_TX_UNPINNED).packets, unpinned + 1,
		   "tx_unpinned");
	s = tcp_spec(&fam6, 41000, TF_ACK);
	send6(e, &s, "ACK of flow 0 in the locked bucket");
	fv = flow_must(e, &s, "flow 0");
	expect_state(fv.state, XLB_FLOW_ESTABLISHED, "flow 0 after its ACK");
	expect_u64((*m0 & XLB_FT_LOCK) != 0, 1,
		   "the other CPU's lock kept by the refresh");
	__atomic_and_fetch(m0, ~XLB_FT_LOCK, __ATOMIC_SEQ_CST);
	s = tcp_spec(&fam6, 41001, TF_SYN);
	send6(e, &s, "SYN once unlocked");
	flow_must(e, &s, "flow 1 pinned once unlocked");
}

static const struct CMUnitTest tests[] = {
	{ "v6_collisions_one_bucket", test_v6_collisions_one_bucket, env_setup_one_bucket, env_teardown, NULL },
	{ "v6_fingerprint_collision", test_v6_fingerprint_collision, env_setup_one_bucket, env_teardown, NULL },
	{ "v6_full_bucket_keeps_live_flows", test_v6_full_bucket_keeps_live_flows, env_setup_one_bucket, env_teardown, NULL },
	{ "v6_locked_bucket", test_v6_locked_bucket, env_setup_one_bucket, env_teardown, NULL },
};

int main(int argc, char **argv)
{
	return xdp_test_main(argc, argv, "xdp_flowtab6", tests,
			     sizeof(tests) / sizeof(tests[0]));
}
