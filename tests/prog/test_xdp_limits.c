// SPDX-License-Identifier: GPL-2.0-only
/*
 * Packet tests of the XDP program with BPF_PROG_TEST_RUN, limits: a full flow table, the new-flow flood guard, service
 * tables of the wrong size, and the verifier under every size that
 * changes code (with its instruction budget).
 *
 * The fixture (network, loading, map filling through the controller's
 * code, assertions) is xdp_env.h. Run one test: test_xdp_limits NAME.
 */
#define _GNU_SOURCE
#include "xdp_env.h"

/* Limit: the flow table is full (max_flows 8: flows4 has two buckets of
 * four ways): new flows are still forwarded to their table slot's back
 * end, each replacing its bucket's oldest way; the table holds 8. */
static int setup_tiny_flows(void **state)
{
	static const struct xlb_sizes sz = { .table_size = 13,
					    .max_flows = 8,
					    .max_services = 16,
					    .max_backends = 16 };

	return env_setup_sized(state, &sz);
}

static void test_flow_table_full_still_forwards(void **state)
{
	struct env *e = *state;
	__u32 i, n = 100, len = 0;

	for (i = 0; i < n; i++) {
		struct pkt_spec s = tcp_spec(&fam4, 30000 + i, TF_SYN);
		char what[64];

		snprintf(what, sizeof(what), "flow %u of %u", i + 1, n);
		len = spec_len(&s);
		send_tx(e, &s,
			table_slot(e, SVC_TCP4,
				   xlb_slot(flow_hash(&s), e->sz.table_size)),
			what);
	}
	/* max_flows 8: four buckets of four ways (twice the room), all full
	 * by now (100 flows: each new one replaced its bucket's oldest way) */
	expect_u64(bpf_map__max_entries(e->skel->maps.flows4),
		   xlb_ft_buckets(8), "flows4 buckets for max_flows 8");
	expect_u64(xlb_ft_buckets(8), 4, "buckets for max_flows 8");
	expect_u64(flows4_count(e), 16, "flows in a full flows4 of 16 ways");
	expect_reasons(e, XLB_TX_FORWARDED, n, n * len);
	expect_svc(e, SVC_TCP4, n, n * len, n);
}

/* ---- new-flow flood guard ---- */

/*
 * With a rate of 1 new flow a second and a burst of 3, a burst of 10 SYNs
 * pins 3 flows; the other 7 are still forwarded by the table (every byte
 * as usual) but pinned nothing and counted as tx_unpinned. A pinned flow
 * keeps flowing whatever the guard says.
 */
static void test_flood_guard(void **state)
{
	struct env *e = *state;
	struct lb_cfg cfg = { .flow_cost_ns = 1000000000ull,
			      .bucket_ns = 3000000000ull };
	__u32 port, pinned = 0;
	struct pkt_spec s;
	struct flow_value fv;

	cfg_set(e, &cfg);
	for (port = 50000; port < 50010; port++) {
		s = tcp_spec(&fam4, port, TF_SYN);
		send_tx(e, &s,
			table_slot(e, SVC_TCP4,
				   xlb_slot(flow_hash(&s), e->sz.table_size)),
			"SYN under the guard");
		pinned += flow_get(e, &s, &fv);
	}
	expect_u64(pinned, 3, "flows pinned under the guard");
	expect_u64(flows4_count(e), 3, "flow table entries");
	expect_u64(reason_get(e, XLB_TX_FORWARDED).packets, 3, "tx_forwarded");
	expect_u64(reason_get(e, XLB_TX_UNPINNED).packets, 7, "tx_unpinned");
	expect_u64(svc_get(e, SVC_TCP4).new_flows, 3,
		   "new flows counted");
	s = tcp_spec(&fam4, 50000, TF_ACK); /* the first, pinned */
	fv = flow_must(e, &s, "first flow");
	send_tx(e, &s, fv.backend_id, "pinned flow under the guard");
	expect_u64(reason_get(e, XLB_TX_FORWARDED).packets, 4, "tx_forwarded");
	/* guard off: pins again */
	cfg.flow_cost_ns = 0;
	cfg_set(e, &cfg);
	s = tcp_spec(&fam4, 50005, TF_SYN);
	send_tx(e, &s,
		table_slot(e, SVC_TCP4, xlb_slot(flow_hash(&s), e->sz.table_size)),
		"SYN, guard off");
	flow_must(e, &s, "pinned with the guard off");
}

/* Limit: svc_tables takes only tables of exactly table_size slots (the
 * template's size), so a table built for another size cannot be swapped
 * in by mistake. */
static void test_table_wrong_size_rejected(void **state)
{
	struct pkt_spec syn = tcp_spec(&fam4, 46000, TF_SYN);
	struct env *e = *state;
	__u32 sizes[] = { e->sz.table_size - 1, e->sz.table_size + 1 };
	__u32 svc = SVC_TCP4, i;

	for (i = 0; i < 2; i++) {
		int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "svc_table",
					sizeof(__u32), sizeof(__u32), sizes[i],
					NULL);
		int ret;

		if (fd < 0)
			fail_msg("array of %u: %s", sizes[i], strerror(errno));
		ret = bpf_map_update_elem(map_fd(e->skel->maps.svc_tables),
					  &svc, &fd, 0);
		close(fd);
		if (!ret)
			fail_msg("svc_tables took a table of %u slots, "
				 "table_size is %u",
				 sizes[i], e->sz.table_size);
	}
	/* The service still has its table. */
	send_tx(e, &syn,
		table_slot(e, SVC_TCP4, xlb_slot(flow_hash(&syn), e->sz.table_size)),
		"SYN after the rejected swaps");
}

/*
 * The verifier is part of the test: load under several table sizes and
 * map sizes, including the defaults, the largest table and the largest
 * VIP tables (max_services 4096, the config's limit), then check
 * that a flow lands on exactly the slot the hash names.
 */
static const struct xlb_sizes verifier_sizes[] = {
	{ .table_size = 3,
	  .max_flows = 16,
	  .max_services = 16,
	  .max_backends = 16 },
	{ .table_size = 251,
	  .max_flows = 1,
	  .max_services = 9,
	  .max_backends = 12 },
	{ .table_size = XLB_DEFAULT_TABLE_SIZE,
	  .max_flows = XLB_DEFAULT_MAX_FLOWS,
	  .max_services = XLB_DEFAULT_MAX_SERVICES,
	  .max_backends = XLB_DEFAULT_MAX_BACKENDS },
	{ .table_size = 1000003,
	  .max_flows = 4096,
	  .max_services = 1024,
	  .max_backends = 65536 },
	/* the largest VIP tables (2^15 slots) */
	{ .table_size = 13,
	  .max_flows = 16,
	  .max_services = 4096,
	  .max_backends = 16 },
};

/*
 * Verifier work, as the kernel reports it after load: about 3,900 for DSR
 * alone, 11,100 with ICMP, 15,400 with tunnel mode, 66,100 with nat,
 * 77,000 with nat's port search, 95,000 since a SYN on an existing entry
 * can be picked again (flow_opens_new: a second way into the pick and nat
 * paths), 126,600 with the IPv4 flow table flows4 (its insert a global
 * function, verified once; no way index leaves the lookup, so the rest
 * of the path is not walked once per way), 90,200 once an IPv4 hit was
 * decided from the meta word in registers and the outer header built
 * from registers, 103,600 with IPv6 in flows6 (its lookup a global
 * function too), 108,300 once an IPv6 hit was decided from the meta word
 * too and ICMPv6 errors took resolve_flow6() (their own copy of it had
 * been 10 lines of prologue twice). The budget is far below the kernel's
 * 1M limit: a jump means a change made the program's paths multiply,
 * worth a look before loads fail.
 */
#define VERIFIED_INSNS_BUDGET 130000

static __u32 verified_insns(struct env *e)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(e->prog, &info, &len))
		fail_msg("program info: %s", strerror(errno));
	return info.verified_insns;
}

static void test_verifier_sizes(void **state)
{
	size_t i, k;

	for (i = 0; i < sizeof(verifier_sizes) / sizeof(verifier_sizes[0]);
	     i++) {
		const struct xlb_sizes *sz = &verifier_sizes[i];
		struct pkt_spec s = tcp_spec(&fam4, 44000, TF_SYN);
		struct env e;
		__u32 *slots, slot;
		int err;

		err = env_load(&e, sz);
		if (err) {
			env_unload(&e);
			fail_msg("load with table_size=%u max_flows=%u "
				 "max_services=%u max_backends=%u: %s",
				 sz->table_size, sz->max_flows,
				 sz->max_services, sz->max_backends,
				 strerror(-err));
		}
		print_message("# table_size=%u max_flows=%u max_services=%u "
			      "max_backends=%u: %u instructions verified\n",
			      sz->table_size, sz->max_flows, sz->max_services,
			      sz->max_backends, verified_insns(&e));
		if (verified_insns(&e) > VERIFIED_INSNS_BUDGET)
			fail_msg("verifier complexity: %u instructions "
				 "verified, budget %u",
				 verified_insns(&e), VERIFIED_INSNS_BUDGET);
		err = env_populate(&e);
		if (err) {
			env_unload(&e);
			fail_msg("fill maps (table_size=%u): %s",
				 sz->table_size, strerror(-err));
		}
		/* The fixture's forwarding rows work at this size too. */
		for (k = 0; k < nr_cases; k++) {
			if (cases[k].verdict == XDP_TX) {
				run_case(&e, &cases[k]);
				env_reset(&e);
			}
		}
		/* One slot names back end 1, all others back end 2. */
		slot = xlb_slot(flow_hash(&s), sz->table_size);
		slots = malloc(sz->table_size * sizeof(*slots));
		if (!slots)
			fail_msg("out of memory");
		for (k = 0; k < sz->table_size; k++)
			slots[k] = k == slot ? 1 : 2;
		err = table_install(&e, SVC_TCP4, slots);
		free(slots);
		if (err)
			fail_msg("table of %u slots: %s", sz->table_size,
				 strerror(-err));
		send_tx(&e, &s, 1, "flow to its one slot");
		expect_u64(flow_must(&e, &s, "flow").backend_id, 1,
			   "table_size=%u: flow hashed to slot %u: backend",
			   sz->table_size, slot);
		env_unload(&e);
	}
}

/* The map table (ctl/maps.c) names every map of the object, and a load
 * prepared from it has the sizes each row says. */
static void test_map_table_sizes(void **state)
{
	struct env *e = *state;
	struct bpf_map *m;
	size_t i, n = 0;
	__u32 want;

	for (i = 0; i < xlb_nr_maps; i++) {
		m = xlb_map(e->skel, &xlb_maps[i]);
		if (!m)
			fail_msg("map %s of the table is not in the object",
				 xlb_maps[i].name);
		want = xlb_map_want(&xlb_maps[i], &e->sz);
		if (want)
			expect_u64(bpf_map__max_entries(m), want,
				   "%s max_entries (%s)", xlb_maps[i].name,
				   xlb_size_name(xlb_maps[i].size));
	}
	bpf_object__for_each_map(m, e->skel->obj)
		n += !bpf_map__is_internal(m);
	expect_u64(n, xlb_nr_maps, "maps in the object, rows in the table");
}

/* ---- main ------------------------------------------------------------- */

static const struct CMUnitTest tests[] = {
	{ "flow_table_full_still_forwards", test_flow_table_full_still_forwards, setup_tiny_flows, env_teardown, NULL },
	SCENARIO(flood_guard),
	SCENARIO(table_wrong_size_rejected),
	SCENARIO(map_table_sizes),
	{ "verifier_sizes", test_verifier_sizes, NULL, NULL, NULL },
};

int main(int argc, char **argv)
{
	return xdp_test_main(argc, argv, "xdp_limits", tests,
			     sizeof(tests) / sizeof(tests[0]));
}
