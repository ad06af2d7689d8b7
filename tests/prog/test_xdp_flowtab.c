// SPDX-License-Identifier: GPL-2.0-only
/*
 * Packet tests of the XDP program's IPv4 flow table (flows4, the
 * cache-line table of include/xlb_flowtab.h), with BPF_PROG_TEST_RUN:
 *  - collisions_one_bucket: a table of one bucket (max_flows 2): four
 *    flows share it, each pinned to its own pick, found again by later
 *    packets, nothing inserted twice.
 *  - full_bucket_replaces_oldest: a fifth flow replaces the way seen
 *    longest ago (last-seen set back through the mmap), not another; a
 *    packet on an old flow makes it young again (the next new flow
 *    replaces another one).
 *  - full_bucket_keeps_live_flows: closed flows (FIN, RST) go first, then
 *    pickups, then live ones, whatever their ages: an idle established
 *    flow outlives younger closed ones in its bucket.
 *  - locked_bucket: while another CPU holds the bucket's lock (bit
 *    XLB_FT_LOCK of way 0's meta, set through the mmap), a new flow into
 *    it is forwarded unpinned (tx_unpinned) and a hit on way 0's flow
 *    still refreshes its state, keeping the lock bit; once released, the
 *    new flow is pinned.
 *  - two_cpus_insert_and_look_up: two threads pinned to CPUs 0 and 1 run
 *    the real xdp_lb program at once over the same flows, in one order
 *    (more flows than ways: buckets fill and replace ways while the other
 *    CPU reads them); then no key is twice in the table, no way is left busy, no
 *    bucket lock held, every way's back end is its key's pick (a torn
 *    key/meta pair shows there), and every packet of a flow went to the
 *    back end its first packet got.
 *  - two_cpus_new_flow_every_packet: the same at full speed into a
 *    larger table (max_flows 2^16), each CPU behind its own
 *    bench/cycle.bpf.c: every iteration a flow never seen before, the
 *    same sequence on both CPUs, so they insert the same new flow at
 *    about the same time, into free ways first (where a second copy of
 *    a key would go if the insert did not look again under its lock),
 *    repeat 200,000, three times; then the same table checks.
 *  - sweep_purge_through_mmap: the controller's sweep counts live flows
 *    per back end and expires idle ones, its purge deletes one back end's
 *    flows, both through the mmap'd array.
 * Run one: test_xdp_flowtab NAME.
 */
#define _GNU_SOURCE
#include <pthread.h>

#include "xdp_env.h"
#include "cycle.skel.h"

static int setup_big_table(void **state)
{
	static const struct xlb_sizes sz = { .table_size = 13,
					    .max_flows = 1u << 16,
					    .max_services = 16,
					    .max_backends = 16 };

	return env_setup_sized(state, &sz);
}

static int setup_small_table(void **state)
{
	static const struct xlb_sizes sz = { .table_size = 13,
					    .max_flows = 64,
					    .max_services = 16,
					    .max_backends = 16 };

	return env_setup_sized(state, &sz);
}

/* The back end the table picks for s. */
static __u32 pick(struct env *e, const struct pkt_spec *s)
{
	return table_slot(e, SVC_TCP4,
			  xlb_slot(flow_hash(s), e->sz.table_size));
}

/* The one bucket's way 0 meta word (a table of one bucket). */
static __u64 *way0_meta(struct env *e)
{
	return &e->dp.ft4.tab[0].w[0].meta;
}

static void test_locked_bucket(void **state)
{
	struct env *e = *state;
	struct pkt_spec s;
	struct flow_value fv;
	__u64 unpinned;

	s = tcp_spec(&fam4, 41000, TF_SYN);
	send_tx(e, &s, pick(e, &s), "SYN of flow 0");
	s = tcp_spec(&fam4, 41000, TF_ACK);
	send_tx(e, &s, pick(e, &s), "ACK of flow 0");
	expect_u64(e->dp.ft4.tab[0].w[0].kw != 0, 1, "flow 0 in way 0");
	__atomic_or_fetch(way0_meta(e), XLB_FT_LOCK, __ATOMIC_SEQ_CST);
	unpinned = reason_get(e, XLB_TX_UNPINNED).packets;
	s = tcp_spec(&fam4, 41001, TF_SYN);
	send_tx(e, &s, pick(e, &s), "SYN into the locked bucket");
	expect_u64(flow_get(e, &s, &fv), 0, "not pinned while locked");
	expect_u64(reason_get(e, XLB_TX_UNPINNED).packets, unpinned + 1,
		   "tx_unpinned");
	s = tcp_spec(&fam4, 41000, TF_FIN | TF_ACK);
	send_tx(e, &s, pick(e, &s), "FIN of flow 0 in the locked bucket");
	fv = flow_must(e, &s, "flow 0");
	expect_state(fv.state, XLB_FLOW_FIN, "flow 0 after its FIN");
	expect_u64((*way0_meta(e) & XLB_FT_LOCK) != 0, 1,
		   "the other CPU's lock kept by the refresh");
	__atomic_and_fetch(way0_meta(e), ~XLB_FT_LOCK, __ATOMIC_SEQ_CST);
	s = tcp_spec(&fam4, 41001, TF_SYN);
	send_tx(e, &s, pick(e, &s), "SYN once unlocked");
	fv = flow_must(e, &s, "flow 1 pinned once unlocked");
	expect_u64(fv.backend_id, pick(e, &s), "flow 1's back end");
	expect_u64(*way0_meta(e) & XLB_FT_LOCK, 0, "no lock left held");
}

static void test_collisions_one_bucket(void **state)
{
	struct env *e = *state;
	struct flow_value fv;
	struct pkt_spec s;
	__u32 k;

	expect_u64(bpf_map__max_entries(e->skel->maps.flows4), 1,
		   "buckets for max_flows 2");
	for (k = 0; k < XLB_FT_WAYS; k++) {
		s = tcp_spec(&fam4, 41000 + k, TF_SYN);
		send_tx(e, &s, pick(e, &s), "SYN into the shared bucket");
	}
	expect_u64(flows4_count(e), XLB_FT_WAYS, "flows in the bucket");
	for (k = 0; k < XLB_FT_WAYS; k++) {
		s = tcp_spec(&fam4, 41000 + k, TF_ACK);
		send_tx(e, &s, pick(e, &s), "ACK finds its flow");
		fv = flow_must(e, &s, "flow in the shared bucket");
		expect_u64(fv.backend_id, pick(e, &s), "flow %u's back end", k);
		expect_state(fv.state, XLB_FLOW_ESTABLISHED, "after the ACK");
	}
	expect_u64(flows4_count(e), XLB_FT_WAYS, "no flow inserted twice");
	expect_u64(svc_get(e, SVC_TCP4).new_flows,
		   XLB_FT_WAYS, "new flows counted");
}

/* Flow k's last-seen set back by secs. */
static void age_flow(struct env *e, __u32 k, __u64 secs)
{
	struct pkt_spec s = tcp_spec(&fam4, 41000 + k, TF_ACK);
	struct flow_value fv = flow_must(e, &s, "flow to age");

	fv.last_seen = coarse_now() - secs * 1000000000ull;
	flow_set(e, &s, &fv);
}

static bool has_flow(struct env *e, __u32 k)
{
	struct pkt_spec s = tcp_spec(&fam4, 41000 + k, TF_ACK);
	struct flow_value fv;

	return flow_get(e, &s, &fv);
}

static void test_full_bucket_replaces_oldest(void **state)
{
	struct env *e = *state;
	struct pkt_spec s;
	__u32 k;

	for (k = 0; k < XLB_FT_WAYS; k++) {
		s = tcp_spec(&fam4, 41000 + k, TF_SYN);
		send_tx(e, &s, pick(e, &s), "SYN");
	}
	age_flow(e, 0, 50);
	age_flow(e, 2, 100); /* the oldest */
	age_flow(e, 3, 20);
	s = tcp_spec(&fam4, 41000 + 4, TF_SYN);
	send_tx(e, &s, pick(e, &s), "fifth flow into a full bucket");
	expect_u64(flows4_count(e), XLB_FT_WAYS, "flows in the full bucket");
	expect_u64(has_flow(e, 2), 0, "the oldest flow (2) was replaced");
	for (k = 0; k < 5; k++)
		if (k != 2 && !has_flow(e, k))
			fail_msg("flow %u was replaced, not the oldest", k);
	/* flow 0 is the oldest now; a packet makes it young again */
	s = tcp_spec(&fam4, 41000, TF_ACK);
	send_tx(e, &s, pick(e, &s), "ACK on the oldest flow");
	s = tcp_spec(&fam4, 41000 + 5, TF_SYN);
	send_tx(e, &s, pick(e, &s), "sixth flow");
	expect_u64(has_flow(e, 0), 1, "the flow used again stays");
	expect_u64(has_flow(e, 3), 0, "the oldest one left (3) goes");
}

static void test_full_bucket_keeps_live_flows(void **state)
{
	struct env *e = *state;
	struct pkt_spec s;
	__u32 k;

	/* 0: established, idle for 300 s; 1: closed by FIN; 2: closed by
	 * RST; 3: a pickup (an ACK that opened nothing) */
	s = tcp_spec(&fam4, 41000, TF_SYN);
	send_tx(e, &s, pick(e, &s), "SYN of flow 0");
	s = tcp_spec(&fam4, 41000, TF_ACK);
	send_tx(e, &s, pick(e, &s), "ACK of flow 0");
	age_flow(e, 0, 300);
	s = tcp_spec(&fam4, 41001, TF_SYN);
	send_tx(e, &s, pick(e, &s), "SYN of flow 1");
	s = tcp_spec(&fam4, 41001, TF_FIN | TF_ACK);
	send_tx(e, &s, pick(e, &s), "FIN of flow 1");
	s = tcp_spec(&fam4, 41002, TF_SYN);
	send_tx(e, &s, pick(e, &s), "SYN of flow 2");
	s = tcp_spec(&fam4, 41002, TF_RST);
	send_tx(e, &s, pick(e, &s), "RST of flow 2");
	age_flow(e, 2, 10);
	s = tcp_spec(&fam4, 41003, TF_ACK);
	send_tx(e, &s, pick(e, &s), "ACK that opens flow 3 (pickup)");
	age_flow(e, 3, 200);
	expect_u64(flows4_count(e), XLB_FT_WAYS, "flows in the full bucket");
	/* the closed ones first, the older (2) before the younger (1) */
	for (k = 0; k < 2; k++) {
		s = tcp_spec(&fam4, 42000 + k, TF_SYN);
		send_tx(e, &s, pick(e, &s), "new flow into the full bucket");
		expect_u64(has_flow(e, 2), 0, "the older closed flow went");
		expect_u64(has_flow(e, 1), k == 0, "the younger closed flow");
	}
	/* then the pickup, though the established flow is older */
	s = tcp_spec(&fam4, 42002, TF_SYN);
	send_tx(e, &s, pick(e, &s), "new flow into the full bucket");
	expect_u64(has_flow(e, 3), 0, "the pickup went");
	expect_u64(has_flow(e, 0), 1, "the idle established flow stays");
	/* only live flows left: the oldest of them goes */
	s = tcp_spec(&fam4, 42003, TF_SYN);
	send_tx(e, &s, pick(e, &s), "new flow into a bucket of live flows");
	expect_u64(has_flow(e, 0), 0, "the oldest live flow went last");
	expect_u64(flows4_count(e), XLB_FT_WAYS, "flows in the full bucket");
}

/* ---- two CPUs ---------------------------------------------------------- */

#define NFLOWS 256  /* 32 buckets of 4 ways (max_flows 64): many evictions */
/* the cycle wrapper's mask: a flow never seen before every packet */
#define NEW_MASK ((1u << 30) - 1)
#define ROUNDS 200

struct cpu_run {
	struct env *e;
	int cpu;
	const struct pkt *syn, *ack;
	__u8 first[NFLOWS];	/* back end of each flow's first packet here */
	__u32 moved, errors;	/* packets to another back end; run errors */
	__u64 packets;
};

static void *cpu_main(void *arg)
{
	struct cpu_run *r = arg;
	struct pkt out;
	cpu_set_t set;
	__u32 i, k, round;

	CPU_ZERO(&set);
	CPU_SET(r->cpu, &set);
	if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set)) {
		r->errors++;
		return NULL;
	}
	for (round = 0; round < ROUNDS; round++) {
		for (i = 0; i < NFLOWS; i++) {
			/* both CPUs walk the flows in one order: they meet
			 * on the same new flow again and again */
			k = i;
			LIBBPF_OPTS(bpf_test_run_opts, opts,
				    .data_in = (round & 1 ? r->ack : r->syn)[k].data,
				    .data_size_in = r->syn[k].len,
				    .data_out = out.data,
				    .data_size_out = sizeof(out.data),
				    .repeat = 1);

			if (bpf_prog_test_run_opts(r->e->prog, &opts) ||
			    opts.retval != XDP_TX) {
				r->errors++;
				continue;
			}
			r->packets++;
			/* dsr: the destination MAC is 02:be:00:00:00:id */
			if (!r->first[k])
				r->first[k] = out.data[5];
			else if (r->first[k] != out.data[5])
				r->moved++;
		}
	}
	return NULL;
}

/* The table after the run: keys once, no busy way, no lock held, every
 * way in the bucket its key's hash names, its back end its key's pick
 * (a torn key/meta pair shows there). Every key is a flow of SVC_TCP4
 * (VIP4:80/tcp) from a client in 198.19.0.0/16 or fam4's. */
static void check_table(struct env *e)
{
	const struct xlb_ft *ft = &e->dp.ft4;
	__u32 i, j, n = 0, held = 0, be;
	__be32 vip;
	__u64 h;

	addr_of(AF_INET, VIP4, &vip);
	for (i = 0; i < ft->nbuckets; i++)
		for (j = 0; j < XLB_FT_WAYS; j++) {
			__u64 kw = ft->tab[i].w[j].kw;
			__u64 meta = ft->tab[i].w[j].meta;

			held += (meta & XLB_FT_LOCK) != 0;
			if (!kw)
				continue;
			if (kw & XLB_FT_BUSY)
				fail_msg("bucket %u way %u left busy", i, j);
			if (XLB_FT_KW_SVC(kw) != SVC_TCP4)
				fail_msg("bucket %u way %u: key %llx of service "
					 "%u", i, j, (unsigned long long)kw,
					 XLB_FT_KW_SVC(kw));
			h = xlb_ft_hash4(XLB_FT_KW_SRC(kw), vip,
					 XLB_FT_KW_SPORT(kw), htons(80),
					 IPPROTO_TCP);
			if ((h & (ft->nbuckets - 1)) != i)
				fail_msg("key %llx in bucket %u, not its own",
					 (unsigned long long)kw, i);
			be = table_slot(e, SVC_TCP4,
					xlb_slot(h, e->sz.table_size));
			expect_u64(XLB_FT_META_BACKEND(meta), be,
				   "key %llx's way: back end (a torn pair?)",
				   (unsigned long long)kw);
			for (__u32 j2 = j + 1; j2 < XLB_FT_WAYS; j2++)
				if (ft->tab[i].w[j2].kw == kw)
					fail_msg("key %llx twice in bucket %u",
						 (unsigned long long)kw, i);
			n++;
		}
	expect_u64(held, 0, "bucket locks held after the run");
	print_message("# %u flows in the table after the run\n", n);
	if (!n)
		fail_msg("no flow in the table after the run");
}

static void test_two_cpus_insert_and_look_up(void **state)
{
	static struct pkt syn[NFLOWS], ack[NFLOWS];
	static struct pkt_spec specs[NFLOWS];
	struct cpu_run r[2] = {};
	pthread_t t[2];
	struct env *e = *state;
	__u32 k, c;

	if (libbpf_num_possible_cpus() < 2)
		skip();
	for (k = 0; k < NFLOWS; k++) {
		specs[k] = tcp_spec(&fam4, 42000 + k, TF_SYN);
		build(&specs[k], &syn[k]);
		specs[k].tcp_flags = TF_ACK;
		build(&specs[k], &ack[k]);
	}
	for (c = 0; c < 2; c++) {
		r[c] = (struct cpu_run){ .e = e, .cpu = c, .syn = syn,
					 .ack = ack };
		assert_int_equal(pthread_create(&t[c], NULL, cpu_main, &r[c]),
				 0);
	}
	for (c = 0; c < 2; c++)
		pthread_join(t[c], NULL);
	for (c = 0; c < 2; c++) {
		print_message("# CPU %u: %llu packets\n", c,
			      (unsigned long long)r[c].packets);
		expect_u64(r[c].errors, 0, "CPU %u: runs that failed", c);
		expect_u64(r[c].moved, 0,
			   "CPU %u: packets to another back end than the flow's first",
			   c);
	}
	for (k = 0; k < NFLOWS; k++) {
		expect_u64(r[0].first[k], pick(e, &specs[k]),
			   "flow %u's first back end on CPU 0", k);
		expect_u64(r[1].first[k], r[0].first[k],
			   "flow %u: CPU 1's back end = CPU 0's", k);
	}
	check_table(e);
}

struct blaster {
	int prog, cpu, err;
	const struct pkt *p;
	pthread_barrier_t *bar;
};

static void *blast(void *arg)
{
	struct blaster *bl = arg;
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = bl->p->data,
		    .data_size_in = bl->p->len, .repeat = 200000);
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(bl->cpu, &set);
	bl->err = pthread_setaffinity_np(pthread_self(), sizeof(set), &set) ?
			  -1 : 0;
	pthread_barrier_wait(bl->bar);
	for (int i = 0; i < 3 && !bl->err; i++)
		if (bpf_prog_test_run_opts(bl->prog, &o) || o.retval != XDP_TX)
			bl->err = 1;
	return NULL;
}

static void test_two_cpus_new_flow_every_packet(void **state)
{
	struct env *e = *state;
	struct pkt_spec s = tcp_spec(&fam4, 1024, TF_SYN);
	struct blaster bl[2];
	pthread_barrier_t bar;
	pthread_t th[2];
	struct cycle *cy[2];
	struct pkt p;
	__u32 key = 0;
	int i;

	if (libbpf_num_possible_cpus() < 2)
		skip();
	s.saddr = "198.19.0.0";
	build(&s, &p);
	pthread_barrier_init(&bar, NULL, 2);
	/* a wrapper each: both CPUs walk one sequence of flows in step,
	 * inserting the same new flow at about the same time */
	for (i = 0; i < 2; i++) {
		cy[i] = cycle__open_and_load();
		assert_non_null(cy[i]);
		assert_int_equal(
			bpf_map_update_elem(bpf_map__fd(cy[i]->maps.target),
					    &key, &e->prog, 0),
			0);
		cy[i]->bss->mask = NEW_MASK;
	}
	for (i = 0; i < 2; i++) {
		bl[i] = (struct blaster){
			.prog = bpf_program__fd(cy[i]->progs.xdp_cycle),
			.cpu = i, .p = &p, .bar = &bar };
		assert_int_equal(pthread_create(&th[i], NULL, blast, &bl[i]),
				 0);
	}
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < 2; i++)
		cycle__destroy(cy[i]);
	for (i = 0; i < 2; i++)
		if (bl[i].err)
			fail_msg("CPU %d: %s", i, bl[i].err < 0 ?
				 "cannot pin the thread" :
				 "a test run failed or did not forward");
	print_message("# new flows pinned: %llu, unpinned (lock busy): %llu\n",
		      (unsigned long long)svc_get(e, SVC_TCP4).new_flows,
		      (unsigned long long)reason_get(e, XLB_TX_UNPINNED).packets);
	check_table(e);
}

/* ---- the controller's walks through the mmap -------------------------- */

static void test_sweep_purge_through_mmap(void **state)
{
	struct flow_timeouts to = { .tcp_syn = 60, .tcp_established = 900,
				    .tcp_fin = 30, .tcp_rst = 10, .udp = 300 };
	struct env *e = *state;
	__u64 live[16] = {}, want[16] = {};
	struct pkt_spec s;
	__u32 k, be, idle = 0, purged = 0;

	for (k = 0; k < 40; k++) {
		s = tcp_spec(&fam4, 43000 + k, TF_SYN);
		be = pick(e, &s);
		send_tx(e, &s, be, "SYN");
		s.tcp_flags = TF_ACK;
		send_tx(e, &s, be, "ACK");
		if (k % 5 == 0) { /* idle past tcp_established */
			struct flow_value fv = flow_must(e, &s, "flow");

			fv.last_seen = coarse_now() - 1000 * 1000000000ull;
			flow_set(e, &s, &fv);
			idle++;
		} else {
			want[be]++;
		}
	}
	expect_u64(flows4_count(e), 40, "flows before the sweep");
	expect_u64(dp_flows_sweep(&e->dp, &to, coarse_now(), live), idle,
		   "flows the sweep expired");
	for (be = 0; be < 16; be++)
		expect_u64(live[be], want[be], "live flows of back end %u",
			   be);
	expect_u64(flows4_count(e), 40 - idle, "flows after the sweep");
	be = pick(e, &s);
	purged = want[be];
	expect_u64(dp_flows_purge_backend(&e->dp, be, NULL), purged,
		   "flows of back end %u purged", be);
	expect_u64(flows4_count(e), 40 - idle - purged, "flows after the purge");
	for (k = 0; k < 40; k++) {
		struct flow_value fv;

		s = tcp_spec(&fam4, 43000 + k, TF_ACK);
		if (flow_get(e, &s, &fv) && fv.backend_id == be)
			fail_msg("flow %u of purged back end %u left", k, be);
	}
}

/* ---- main ------------------------------------------------------------- */

static const struct CMUnitTest tests[] = {
	{ "collisions_one_bucket", test_collisions_one_bucket, env_setup_one_bucket, env_teardown, NULL },
	{ "full_bucket_replaces_oldest", test_full_bucket_replaces_oldest, env_setup_one_bucket, env_teardown, NULL },
	{ "full_bucket_keeps_live_flows", test_full_bucket_keeps_live_flows, env_setup_one_bucket, env_teardown, NULL },
	{ "locked_bucket", test_locked_bucket, env_setup_one_bucket, env_teardown, NULL },
	{ "two_cpus_insert_and_look_up", test_two_cpus_insert_and_look_up, setup_small_table, env_teardown, NULL },
	{ "two_cpus_new_flow_every_packet", test_two_cpus_new_flow_every_packet, setup_big_table, env_teardown, NULL },
	SCENARIO(sweep_purge_through_mmap),
};

int main(int argc, char **argv)
{
	return xdp_test_main(argc, argv, "xdp_flowtab", tests,
			     sizeof(tests) / sizeof(tests[0]));
}
