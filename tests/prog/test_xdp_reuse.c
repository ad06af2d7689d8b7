// SPDX-License-Identifier: GPL-2.0-only
/*
 * Packet tests of a packet that opens a new connection on an existing flow
 * entry (bpf/flow.h flow_opens_new(), docs/modes.md "Drain and reused
 * client ports"): a TCP SYN meeting an entry in each state (SYN just seen,
 * SYN seen long ago, established, closed by FIN, closed by RST) pinned to
 * a back end in each state (active, taking no new flows, down, removed);
 * UDP's idle rule; and nat's port on a re-pick (kept on the same back end,
 * fresh on another, the old mapping gone).
 *
 * Every scenario pins the entry to one back end, then points the whole
 * table at the spare back end, so "re-picked" reads "went to the spare".
 * Run one test: test_xdp_reuse NAME ('*' matches: 'syn_meets_fin_*').
 */
#define _GNU_SOURCE
#include "xdp_env.h"

#define SEC_NS 1000000000ull

enum be_kind { BE_ACTIVE, BE_NO_NEW, BE_DOWN, BE_REMOVED };

static const char *const be_kind_names[] = { "active", "no_new", "down",
					     "removed" };

enum entry_kind { E_SYN, E_SYN_OLD, E_ESTABLISHED, E_FIN, E_RST, E_PICKUP };

static const struct entry_def {
	const char *name;
	enum flow_state state;
	__u64 age_ns; /* how long ago the entry was last seen */
} entry_defs[] = {
	[E_SYN] = { "syn", XLB_FLOW_SYN, 0 },
	[E_SYN_OLD] = { "syn_10s_ago", XLB_FLOW_SYN, 10 * SEC_NS },
	[E_ESTABLISHED] = { "established", XLB_FLOW_ESTABLISHED, 0 },
	[E_FIN] = { "fin", XLB_FLOW_FIN, 0 },
	[E_RST] = { "rst", XLB_FLOW_RST, 0 },
	[E_PICKUP] = { "pickup", XLB_FLOW_PICKUP, 0 },
};

#define N_BE 4
#define N_ENTRY 6

/* The rule, as a table: does a SYN on this entry keep its back end? */
static const bool syn_keeps[N_ENTRY][N_BE] = {
	/*                 active no_new down   removed */
	[E_SYN] = { true, true, false, false },
	[E_SYN_OLD] = { true, false, false, false },
	[E_ESTABLISHED] = { true, false, false, false },
	[E_FIN] = { false, false, false, false },
	[E_RST] = { false, false, false, false },
	[E_PICKUP] = { false, false, false, false },
};

struct combo {
	char name[64];
	const struct family_setup *f;
	enum entry_kind entry;
	enum be_kind be;
};

static struct combo combos[2 * N_ENTRY * N_BE];

/* Back end id as the controller writes it for kind. */
static void be_make(struct env *e, __u32 id, enum be_kind kind)
{
	struct backend_info bi = backend_get(e, id);

	bi.flags = 0;
	bi.state = XLB_BE_ACTIVE;
	if (kind == BE_NO_NEW)
		bi.flags = XLB_BE_F_NO_NEW;
	else if (kind == BE_DOWN)
		bi.state = XLB_BE_DOWN;
	else if (kind == BE_REMOVED)
		memset(&bi, 0, sizeof(bi)); /* dp_backend_clear */
	backend_put(e, id, &bi);
}

/* The first back end of f's service that is not the spare. */
static __u32 first_be(const struct family_setup *f)
{
	return f->family == AF_INET ? 1 : 6;
}

/* An entry of kind ek pinned to back end `pinned` in state bk, every slot
 * of the table on the spare; then a SYN from the same client port. */
static void test_combo(void **state)
{
	struct env *e = *state;
	const struct combo *c = e->arg;
	const struct family_setup *f = c->f;
	const struct entry_def *ed = &entry_defs[c->entry];
	struct pkt_spec syn = tcp_spec(f, 45000, TF_SYN);
	__u32 pinned = first_be(f);
	bool keep = syn_keeps[c->entry][c->be];
	__u32 want = keep ? pinned : f->spare;
	struct flow_value fv = { .backend_id = pinned, .state = ed->state,
				 .last_seen = coarse_ns() - ed->age_ns };
	char what[128];

	flow_put(e, &syn, &fv);
	table_all(e, f->svc, f->spare);
	be_make(e, pinned, c->be);
	snprintf(what, sizeof(what), "SYN on a %s entry, back end %s: %s",
		 ed->name, be_kind_names[c->be],
		 keep ? "keeps its back end" : "re-picked from the table");
	send_tx(e, &syn, want, what);
	fv = flow_must(e, &syn, what);
	expect_u64(fv.backend_id, want, "%s: entry's backend", what);
	expect_state(fv.state, XLB_FLOW_SYN, what);
	expect_lb(e, e->skel->maps.stats_backend, want, 1, spec_len(&syn),
		  keep ? 0 : 1);
}

/* Packets that open nothing keep a no-new back end: the draining flow's
 * ACKs, its FIN, an ACK after the FIN, a SYN+ACK-like probe. */
static void test_no_new_keeps_running_flows(void **state)
{
	static const __u8 flags[] = { TF_ACK, TF_ACK | TF_PSH, TF_FIN | TF_ACK,
				      TF_ACK, TF_RST | TF_ACK };
	struct env *e = *state;
	struct pkt_spec syn = tcp_spec(&fam4, 45100, TF_SYN);
	__u32 be = pin_syn(e, &syn);
	size_t i;

	table_all(e, SVC_TCP4, SPARE_BE4);
	be_make(e, be, BE_NO_NEW);
	for (i = 0; i < sizeof(flags); i++) {
		struct pkt_spec s = tcp_spec(&fam4, 45100, flags[i]);
		char what[64];

		snprintf(what, sizeof(what), "packet %zu (flags 0x%02x)", i,
			 flags[i]);
		send_tx(e, &s, be, what);
		expect_u64(flow_must(e, &s, what).backend_id, be,
			   "%s: draining flow stays: backend", what);
	}
	/* a new connection from the same port after the RST: the spare */
	send_tx(e, &syn, SPARE_BE4, "SYN after the RST");
}

/* The opening SYN's retransmissions stay while the back end drains; once
 * the entry is older than the window, a SYN is a new connection. */
static void test_syn_retransmission_keeps_backend(void **state)
{
	struct env *e = *state;
	struct pkt_spec syn = tcp_spec(&fam4, 45200, TF_SYN);
	struct pkt_spec ack = tcp_spec(&fam4, 45200, TF_ACK);
	struct flow_value fv;
	__u32 be = pin_syn(e, &syn);

	table_all(e, SVC_TCP4, SPARE_BE4);
	be_make(e, be, BE_NO_NEW); /* drained during the handshake */
	send_tx(e, &syn, be, "retransmitted SYN, 0 s");
	fv = flow_must(e, &syn, "after the retransmission");
	fv.last_seen = coarse_ns() - 2 * SEC_NS; /* 2 s later: still one */
	flow_put(e, &syn, &fv);
	send_tx(e, &syn, be, "retransmitted SYN, 2 s");
	send_tx(e, &ack, be, "the handshake's ACK");
	expect_state(flow_must(e, &ack, "ACK").state, XLB_FLOW_ESTABLISHED,
		     "handshake done on the draining back end");
	expect_lb(e, e->skel->maps.stats_backend, SPARE_BE4, 0, 0, 0);
}

/* A change of state restarts the entry's idle time: a FIN on an entry last
 * seen 0.9 s ago starts tcp_fin from the FIN (the once-a-second refresh
 * alone would leave it 0.9 s old). */
static void test_state_change_restarts_idle_time(void **state)
{
	struct env *e = *state;
	struct pkt_spec fin = tcp_spec(&fam4, 45300, TF_FIN | TF_ACK);
	struct flow_value fv = { .backend_id = first_be(&fam4),
				 .state = XLB_FLOW_ESTABLISHED };
	__u64 t0;

	fv.last_seen = coarse_ns() - 900000000ull;
	flow_put(e, &fin, &fv);
	t0 = coarse_ns();
	send_tx(e, &fin, fv.backend_id, "FIN on an established entry");
	fv = flow_must(e, &fin, "after the FIN");
	expect_state(fv.state, XLB_FLOW_FIN, "FIN");
	/* flows4 keeps last-seen in 67 ms units: the start of the FIN's */
	if (fv.last_seen + (1ull << XLB_FT_SEEN_SHIFT) < t0)
		fail_msg("last_seen %llu is before the FIN (%llu): the idle "
			 "time did not restart", (unsigned long long)fv.last_seen,
			 (unsigned long long)t0);
}

/* UDP: a datagram on an entry of a no-new back end idle past the window
 * is a new flow; a recent one stays; an active back end keeps both. */
static void test_udp_idle_entry_of_no_new_backend(void **state)
{
	struct env *e = *state;
	struct pkt_spec s = { .family = AF_INET, .saddr = CLIENT4,
			      .daddr = VIP4, .proto = IPPROTO_UDP,
			      .sport = 5300, .dport = 53, .payload = 20 };
	struct flow_value fv = { .backend_id = 4, .state = XLB_FLOW_NEW };

	table_all(e, SVC_UDP4, 5);
	fv.last_seen = coarse_ns() - 61 * SEC_NS;
	flow_put(e, &s, &fv);
	send_tx(e, &s, 4, "active back end, idle 61 s: stays");
	be_make(e, 4, BE_NO_NEW);
	fv.last_seen = coarse_ns() - 30 * SEC_NS;
	flow_put(e, &s, &fv);
	send_tx(e, &s, 4, "no-new back end, idle 30 s: stays");
	fv.last_seen = coarse_ns() - 61 * SEC_NS;
	flow_put(e, &s, &fv);
	send_tx(e, &s, 5, "no-new back end, idle 61 s: a new flow");
	expect_u64(flow_must(e, &s, "UDP").backend_id, 5,
		   "entry replaced: backend");
}

/* ---- nat ---- */

static void nat_on(struct env *e)
{
	struct lb_cfg cfg = { .nat_port_min = 30000, .nat_port_max = 30999 };

	if (!nat_test_ifindex)
		fail_msg("no internal interface for the nat tests");
	addr_of(AF_INET, "10.2.0.1", &cfg.nat_src4);
	vip_flags(e, &fam4, XLB_VIP_F_NAT);
	cfg_set(e, &cfg);
}

static int run1(struct env *e, const struct pkt_spec *s)
{
	struct pkt in, out;

	build(s, &in);
	return prog_run(e, &in, &out);
}

/* The nat mapping (back end id's address and port, our port) exists. */
static bool nat_mapped(struct env *e, __u32 id, __be16 lport)
{
	struct backend_info bi = backend_get(e, id);
	struct nat_key k = { .bport = bi.port ? bi.port : htons(80),
			     .lport = lport, .proto = IPPROTO_TCP,
			     .family = AF_INET };
	struct nat_value v;

	memcpy(k.baddr, bi.addr, sizeof(k.baddr));
	return !bpf_map_lookup_elem(map_fd(e->skel->maps.nat_rev), &k, &v);
}

/* A closed nat flow reopened on the same back end keeps its port (the
 * back end's TIME_WAIT accepts the SYN: nat_time_wait's reason). */
static void test_nat_reopen_same_backend_keeps_port(void **state)
{
	struct env *e = *state;
	struct pkt_spec syn = tcp_spec(&fam4, 45300, TF_SYN);
	struct pkt_spec fin = tcp_spec(&fam4, 45300, TF_FIN | TF_ACK);
	struct flow_value a, b;

	nat_on(e);
	table_all(e, SVC_TCP4, 2);
	expect_verdict(run1(e, &syn), XDP_REDIRECT, "first SYN");
	a = flow_must(e, &syn, "first connection");
	expect_verdict(run1(e, &fin), XDP_REDIRECT, "FIN");
	expect_verdict(run1(e, &syn), XDP_REDIRECT, "SYN from the same port");
	b = flow_must(e, &syn, "second connection");
	expect_u64(b.backend_id, 2, "same back end");
	expect_u64(ntohs(b.nat_port), ntohs(a.nat_port), "same nat port");
	expect_state(b.state, XLB_FLOW_SYN, "reopened");
	expect_u64(map_count(e->skel->maps.nat_rev), 1, "one mapping");
}

/* A closed nat flow whose back end takes no new flows: re-picked, a fresh
 * mapping toward the new back end, the old one deleted. */
static void test_nat_reopen_other_backend_new_mapping(void **state)
{
	struct env *e = *state;
	struct pkt_spec syn = tcp_spec(&fam4, 45301, TF_SYN);
	struct pkt_spec fin = tcp_spec(&fam4, 45301, TF_FIN | TF_ACK);
	struct flow_value a, b;

	nat_on(e);
	table_all(e, SVC_TCP4, 2);
	expect_verdict(run1(e, &syn), XDP_REDIRECT, "first SYN");
	a = flow_must(e, &syn, "first connection");
	expect_verdict(run1(e, &fin), XDP_REDIRECT, "FIN");
	table_all(e, SVC_TCP4, 3);
	be_make(e, 2, BE_NO_NEW);
	expect_verdict(run1(e, &syn), XDP_REDIRECT, "SYN from the same port");
	b = flow_must(e, &syn, "second connection");
	expect_u64(b.backend_id, 3, "re-picked: backend");
	if (!nat_mapped(e, 3, b.nat_port))
		fail_msg("no mapping toward the new back end");
	if (nat_mapped(e, 2, a.nat_port))
		fail_msg("the old mapping toward back end 2 is still there");
	expect_u64(map_count(e->skel->maps.nat_rev), 1, "one mapping");
}

/* ---- main ------------------------------------------------------------- */

static const struct CMUnitTest scenarios[] = {
	SCENARIO(no_new_keeps_running_flows),
	SCENARIO(syn_retransmission_keeps_backend),
	SCENARIO(state_change_restarts_idle_time),
	SCENARIO(udp_idle_entry_of_no_new_backend),
	SCENARIO(nat_reopen_same_backend_keeps_port),
	SCENARIO(nat_reopen_other_backend_new_mapping),
};

int main(int argc, char **argv)
{
	size_t ns = sizeof(scenarios) / sizeof(scenarios[0]), n = 0, i;
	struct CMUnitTest tests[sizeof(combos) / sizeof(combos[0]) +
				sizeof(scenarios) / sizeof(scenarios[0])];
	int fam, en, bk;

	for (fam = 0; fam < 2; fam++)
		for (en = 0; en < N_ENTRY; en++)
			for (bk = 0; bk < N_BE; bk++) {
				struct combo *c = &combos[n];

				c->f = fam ? &fam6 : &fam4;
				c->entry = en;
				c->be = bk;
				snprintf(c->name, sizeof(c->name),
					 "syn_meets_%s_be_%s_v%d",
					 entry_defs[en].name, be_kind_names[bk],
					 fam ? 6 : 4);
				tests[n] = (struct CMUnitTest){
					.name = c->name,
					.test_func = test_combo,
					.setup_func = env_setup,
					.teardown_func = env_teardown,
					.initial_state = c,
				};
				n++;
			}
	for (i = 0; i < ns; i++)
		tests[n++] = scenarios[i];
	return xdp_test_main(argc, argv, "xdp_reuse", tests, n);
}
