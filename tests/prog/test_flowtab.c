// SPDX-License-Identifier: GPL-2.0-only
/*
 * Issue 14's prototype flow table (bench/flowtab.bpf.c, bench/flowtab.h):
 * BPF_PROG_TEST_RUN of the prototype, and its table checked through the
 * mmap'd array.
 *  - two_cpus_insert_and_look_up: two threads pinned to CPUs 0 and 1 run
 *    overlapping flows at once (more flows than ways, so buckets fill and
 *    evict while the other CPU reads them); then no key is twice in the
 *    table, no way is left busy, no lock held, every way's meta belongs
 *    to its key (hash tag and back end: a torn pair fails), every key sits
 *    in the bucket its hash names, and every packet of a flow went to the
 *    back end its first packet got.
 *  - two_cpus_every_packet_a_flow: the same at full speed: both CPUs run
 *    bench/cycle.bpf.c in front of the prototype (every iteration
 *    another of 2,048 flows, 64 buckets) with repeat 300,000 (three times) at once;
 *    then the same table checks, from the ways themselves; and again
 *    with the two-choice variant (a full first bucket overflows into a
 *    second one: a key in one of its two, never both).
 *  - collisions_full_bucket_aging: one bucket: four colliding flows each
 *    keep their back end; a fifth evicts the oldest way (last-seen set
 *    back through the mmap), a hit on a full bucket inserts nothing.
 *  - sweep_purge_count: the mmap sweep counts per back end, purges one
 *    back end's flows and expires idle ones by state.
 * Run one: test_flowtab NAME.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "xdp_lb.h"
#include "ft_user.h"
#include "flowtab.skel.h"
#include "cycle.skel.h"
#include "pktgen.h"

#define TSIZE 13	/* service-table slots: back ends 1..13 */
#define SVC 1
#define VIP "198.18.0.10"

struct fx {
	struct ft_inst ft;
	__u32 table[TSIZE];
};

static int fx_setup(void **state, __u32 nbuckets, __u32 two_choice)
{
	struct ft_opts o = { .nbuckets = nbuckets, .vip_inline = 1,
			     .counters = 3, .table_size = TSIZE,
			     .two_choice = two_choice };
	struct fx *f = calloc(1, sizeof(*f));
	struct flowtab *s;
	__u32 i, vip, svc = SVC;
	int inner, err;

	assert_non_null(f);
	memcpy(o.if_mac, LB_MAC, ETH_ALEN);
	err = ft_load(&f->ft, &o);
	if (err)
		fail_msg("cannot load the prototype: %s", strerror(-err));
	s = f->ft.skel;
	for (i = 1; i <= TSIZE; i++) {
		struct backend_info bi = { .mac = { 0x02, 0xbe, 0, 0, 0, i },
					   .state = XLB_BE_ACTIVE,
					   .family = AF_INET, .svc_id = SVC };

		assert_int_equal(bpf_map_update_elem(
					 bpf_map__fd(s->maps.backends), &i,
					 &bi, 0), 0);
	}
	/* the template's size; the program reads the first TSIZE */
	inner = bpf_map_create(BPF_MAP_TYPE_ARRAY, "t", 4, 4,
			       XLB_DEFAULT_TABLE_SIZE, NULL);
	assert_true(inner >= 0);
	for (i = 0; i < TSIZE; i++) {
		f->table[i] = i + 1;
		assert_int_equal(bpf_map_update_elem(inner, &i, &f->table[i],
						     0), 0);
	}
	assert_int_equal(bpf_map_update_elem(bpf_map__fd(s->maps.svc_tables),
					     &svc, &inner, 0), 0);
	close(inner);
	inet_pton(AF_INET, VIP, &vip);
	assert_int_equal(ft_vip_add(&f->ft, vip, htons(80), IPPROTO_TCP, SVC,
				    0), 0);
	*state = f;
	return 0;
}

static int setup_small(void **state) { return fx_setup(state, 64, 0); }
static int setup_small2(void **state) { return fx_setup(state, 64, 1); }
static int setup_one(void **state) { return fx_setup(state, 1, 0); }
static int setup_sweep(void **state) { return fx_setup(state, 4096, 0); }

static int fx_teardown(void **state)
{
	struct fx *f = *state;

	ft_destroy(&f->ft);
	free(f);
	return 0;
}

/* Flow k: client 198.19.x.y:port, to VIP:80/tcp. */
static void flow_pkt(__u32 k, __u8 flags, struct pkt *p)
{
	char src[32];
	struct pkt_spec s = { .family = AF_INET, .saddr = src, .daddr = VIP,
			      .proto = IPPROTO_TCP, .sport = 1024 + k % 50000,
			      .dport = 80, .tcp_flags = flags, .payload = 6 };
	char err[128];

	snprintf(src, sizeof(src), "198.19.%u.%u", (k / 50000) & 255,
		 1 + (k * 7) % 250);
	if (build_pkt(&s, p, err, sizeof(err)))
		fail_msg("%s", err);
}

/* The flow's hash and key as the prototype computes them. */
static __u64 pkt_hash(const struct pkt *p, __u64 *kw)
{
	const __u8 *ip = p->data + ETH_HLEN, *l4 = ip + 20;
	__u32 src, dst;
	__u16 sport, dport;

	memcpy(&src, ip + 12, 4);
	memcpy(&dst, ip + 16, 4);
	memcpy(&sport, l4, 2);
	memcpy(&dport, l4 + 2, 2);
	if (kw)
		*kw = ft_kw(src, sport, SVC);
	return ft_hash(src, dst, (__u32)sport << 16 | dport, IPPROTO_TCP,
		       FT_HASH_SEED);
}

/* Run one packet; the back end it went to (0: not forwarded). */
static __u32 run_pkt(struct fx *f, const struct pkt *p)
{
	__u8 out[128];
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = p->data,
		    .data_size_in = p->len, .data_out = out,
		    .data_size_out = sizeof(out), .repeat = 1);

	if (bpf_prog_test_run_opts(f->ft.prog, &o) || o.retval != XDP_TX)
		return 0;
	return out[5];
}

/* ---- two CPUs at once ---- */

#define NFLOWS 1200	/* over 64 buckets x 4 ways: evictions */
#define PASSES 4

struct worker {
	struct fx *f;
	int cpu;
	__u32 first, n;		/* flows first .. first + n - 1 */
	__u8 got[NFLOWS];	/* back end of each flow's packets */
	int mismatch;
	pthread_barrier_t *bar;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	cpu_set_t set;
	struct pkt p;

	CPU_ZERO(&set);
	CPU_SET(w->cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		w->mismatch = -1;
	pthread_barrier_wait(w->bar);
	for (int pass = 0; pass < PASSES; pass++) {
		for (__u32 i = 0; i < w->n; i++) {
			/* the two threads walk their ranges in opposite
			 * directions on odd passes: overlap in time */
			__u32 k = w->first +
				  ((pass + w->cpu) & 1 ? w->n - 1 - i : i);
			__u32 be;

			flow_pkt(k, pass ? TF_ACK : TF_SYN, &p);
			be = run_pkt(w->f, &p);
			if (!w->got[k])
				w->got[k] = be;
			else if (w->got[k] != be)
				w->mismatch++;
		}
	}
	return NULL;
}

static void test_two_cpus_insert_and_look_up(void **state)
{
	struct fx *f = *state;
	struct worker w[2] = {
		{ .f = f, .cpu = 0, .first = 0, .n = NFLOWS * 2 / 3 },
		{ .f = f, .cpu = 1, .first = NFLOWS / 3, .n = NFLOWS * 2 / 3 },
	};
	pthread_barrier_t bar;
	pthread_t th[2];
	__u32 b, i, j, live = 0, *locks;
	__u64 ev[5];

	if (libbpf_num_possible_cpus() < 2)
		skip();
	pthread_barrier_init(&bar, NULL, 2);
	for (i = 0; i < 2; i++) {
		w[i].bar = &bar;
		assert_int_equal(pthread_create(&th[i], NULL, work, &w[i]), 0);
	}
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < 2; i++) {
		if (w[i].mismatch < 0)
			fail_msg("cannot pin a thread to CPU %d", w[i].cpu);
		if (w[i].mismatch)
			fail_msg("CPU %d: %d packets went to another back end "
				 "than their flow's first", w[i].cpu,
				 w[i].mismatch);
	}
	/* both saw the shared flows go to one back end: the table's */
	for (i = 0; i < NFLOWS; i++) {
		struct pkt p;
		__u32 want, a = w[0].got[i], c = w[1].got[i];

		flow_pkt(i, TF_ACK, &p);
		want = f->table[ft_slot(pkt_hash(&p, NULL), TSIZE)];
		if ((a && a != want) || (c && c != want) || (!a && !c))
			fail_msg("flow %u: back end %u on CPU 0, %u on CPU 1, "
				 "table slot names %u", i, a, c, want);
	}
	for (b = 0; b < f->ft.nbuckets; b++) {
		struct ft_bucket *bk = &f->ft.tab[b];

		for (i = 0; i < FT_WAYS; i++) {
			__u64 kw = bk->w[i].kw;

			if (!kw)
				continue;
			live++;
			if (kw & FT_BUSY)
				fail_msg("bucket %u way %u left busy", b, i);
			for (j = i + 1; j < FT_WAYS; j++)
				if (bk->w[j].kw == kw)
					fail_msg("bucket %u: key in ways %u "
						 "and %u", b, i, j);
		}
	}
	/* every key is in the bucket its hash names (so a key is in one
	 * bucket at most) and its meta is its own */
	for (i = 0; i < NFLOWS; i++) {
		struct pkt p;
		struct ft_bucket *bk;
		__u64 kw, h;

		flow_pkt(i, TF_ACK, &p);
		h = pkt_hash(&p, &kw);
		for (b = 0; b < f->ft.nbuckets; b++)
			for (j = 0; j < FT_WAYS; j++)
				if (f->ft.tab[b].w[j].kw == kw &&
				    b != (h & (f->ft.nbuckets - 1)))
					fail_msg("flow %u in bucket %u, its "
						 "hash names %llu", i, b,
						 (unsigned long long)(h & (f->ft.nbuckets - 1)));
		bk = &f->ft.tab[h & (f->ft.nbuckets - 1)];
		for (j = 0; j < FT_WAYS; j++) {
			__u64 m = bk->w[j].meta;

			if (bk->w[j].kw != kw)
				continue;
			if (FT_META_NATPORT(m) != FT_TAG(h) ||
			    FT_META_BACKEND(m) !=
				    f->table[ft_slot(h, TSIZE)])
				fail_msg("flow %u: torn way (tag %#x, want "
					 "%#x; back end %u)", i,
					 FT_META_NATPORT(m), FT_TAG(h),
					 FT_META_BACKEND(m));
		}
	}
	locks = f->ft.skel->data_locks->ft_locks;
	for (i = 0; i < FT_LOCKS; i++)
		if (locks[i])
			fail_msg("stripe lock %u left held", i);
	ft_events(&f->ft, ev, 5);
	if (ev[4])
		fail_msg("%llu hits read a meta that is not their key's (torn)",
			 (unsigned long long)ev[4]);
	if (live > f->ft.nbuckets * FT_WAYS || ev[0] < live)
		fail_msg("%u live ways, %llu inserts", live,
			 (unsigned long long)ev[0]);
	print_message("# %u flows, %u live ways, %llu inserts, %llu "
		      "evictions, %llu given up (lock busy)\n", NFLOWS, live,
		      (unsigned long long)ev[0], (unsigned long long)ev[1],
		      (unsigned long long)ev[2]);
}

/* A key belongs in its first bucket; with two-choice also in its second
 * one, when the first has its overflow bit and does not hold it too. */
static bool key_placed_right(struct fx *f, __u64 h, __u64 kw, __u32 b)
{
	__u32 mask = f->ft.nbuckets - 1, i1 = h & mask;

	if (b == i1)
		return true;
	if (!f->ft.two_choice || b != ft_idx2(h, mask) ||
	    !(f->ft.ovf[i1 / 64] & (1ull << (i1 & 63))))
		return false;
	for (int j = 0; j < FT_WAYS; j++)
		if (f->ft.tab[i1].w[j].kw == kw)
			fail_msg("key in bucket %u and in its second %u", i1, b);
	return true;
}

/* Every way of the table: not busy, its key once in its bucket and in
 * the bucket its hash names (flow keys of cycle.bpf.c: VIP:80/tcp), its
 * meta its own (hash tag, the table's back end). The number of ways. */
static __u32 check_ways(struct fx *f)
{
	__u32 b, i, j, live = 0, vip;

	inet_pton(AF_INET, VIP, &vip);
	for (b = 0; b < f->ft.nbuckets; b++) {
		struct ft_bucket *bk = &f->ft.tab[b];

		for (i = 0; i < FT_WAYS; i++) {
			__u64 kw = bk->w[i].kw, m = bk->w[i].meta, h;
			__u32 src = (__u32)kw;
			__u16 sport = kw >> 32;

			if (!kw)
				continue;
			live++;
			if (kw & FT_BUSY)
				fail_msg("bucket %u way %u left busy", b, i);
			for (j = i + 1; j < FT_WAYS; j++)
				if (bk->w[j].kw == kw)
					fail_msg("bucket %u: key in ways %u "
						 "and %u", b, i, j);
			h = ft_hash(src, vip, (__u32)sport << 16 | htons(80),
				    IPPROTO_TCP, FT_HASH_SEED);
			if (!key_placed_right(f, h, kw, b))
				fail_msg("bucket %u way %u: a key of bucket "
					 "%llu", b, i, (unsigned long long)(h & (f->ft.nbuckets - 1)));
			if (FT_META_NATPORT(m) != FT_TAG(h) ||
			    FT_META_BACKEND(m) != f->table[ft_slot(h, TSIZE)])
				fail_msg("bucket %u way %u: torn (tag %#x, "
					 "want %#x; back end %u, want %u)", b,
					 i, FT_META_NATPORT(m), FT_TAG(h),
					 FT_META_BACKEND(m),
					 f->table[ft_slot(h, TSIZE)]);
		}
	}
	for (i = 0; i < FT_LOCKS; i++)
		if (f->ft.skel->data_locks->ft_locks[i])
			fail_msg("stripe lock %u left held", i);
	return live;
}

struct blaster {
	int prog, cpu, err;
	struct pkt *p;
	pthread_barrier_t *bar;
};

static void *blast(void *arg)
{
	struct blaster *bl = arg;
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = bl->p->data,
		    .data_size_in = bl->p->len, .repeat = 300000);
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(bl->cpu, &set);
	bl->err = sched_setaffinity(0, sizeof(set), &set) ? -1 : 0;
	pthread_barrier_wait(bl->bar);
	for (int i = 0; i < 3 && !bl->err; i++)
		if (bpf_prog_test_run_opts(bl->prog, &o) || o.retval != XDP_TX)
			bl->err = 1;
	return NULL;
}

static void test_two_cpus_every_packet_a_flow(void **state)
{
	struct fx *f = *state;
	struct blaster bl[2];
	pthread_barrier_t bar;
	pthread_t th[2];
	struct cycle *cy;
	struct pkt p;
	__u32 key = 0, live, prog;
	__u64 ev[5];
	int i;

	if (libbpf_num_possible_cpus() < 2)
		skip();
	cy = cycle__open_and_load();
	assert_non_null(cy);
	prog = f->ft.prog;
	assert_int_equal(bpf_map_update_elem(bpf_map__fd(cy->maps.target),
					     &key, &prog, 0), 0);
	cy->bss->mask = 2047;
	/* the wrapper's flows: 198.19.0.0 + (k >> 14), port 1024 + k */
	flow_pkt(0, TF_SYN, &p);
	pthread_barrier_init(&bar, NULL, 2);
	for (i = 0; i < 2; i++) {
		bl[i] = (struct blaster){ .prog = bpf_program__fd(
						   cy->progs.xdp_cycle),
					  .cpu = i, .p = &p, .bar = &bar };
		assert_int_equal(pthread_create(&th[i], NULL, blast, &bl[i]),
				 0);
	}
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	cycle__destroy(cy);
	for (i = 0; i < 2; i++)
		if (bl[i].err)
			fail_msg("CPU %d: %s", i, bl[i].err < 0 ?
				 "cannot pin the thread" :
				 "a test run failed or did not forward");
	live = check_ways(f);
	ft_events(&f->ft, ev, 5);
	print_message("# %u live ways, %llu inserts, %llu evictions, %llu "
		      "given up (lock busy)\n", live,
		      (unsigned long long)ev[0], (unsigned long long)ev[1],
		      (unsigned long long)ev[2]);
	if (!live || ev[0] < live)
		fail_msg("%u live ways after %llu inserts", live,
			 (unsigned long long)ev[0]);
	if (ev[4])
		fail_msg("%llu hits read a meta that is not their key's (torn)",
			 (unsigned long long)ev[4]);
}

/* ---- one bucket: collisions, a full bucket, aging ---- */

static int find_way(struct fx *f, __u32 k)
{
	struct pkt p;
	__u64 kw;

	flow_pkt(k, TF_ACK, &p);
	pkt_hash(&p, &kw);
	for (int i = 0; i < FT_WAYS; i++)
		if (f->ft.tab[0].w[i].kw == kw)
			return i;
	return -1;
}

static void test_collisions_full_bucket_aging(void **state)
{
	struct fx *f = *state;
	__u32 k, be[FT_WAYS + 1];
	__u64 ev[5];
	struct pkt p;
	int w;

	for (k = 0; k < FT_WAYS; k++) {
		flow_pkt(k, TF_SYN, &p);
		be[k] = run_pkt(f, &p);
		if (be[k] != f->table[ft_slot(pkt_hash(&p, NULL), TSIZE)])
			fail_msg("flow %u: back end %u, its slot names %u", k,
				 be[k],
				 f->table[ft_slot(pkt_hash(&p, NULL), TSIZE)]);
	}
	for (k = 0; k < FT_WAYS; k++) {
		flow_pkt(k, TF_ACK, &p);
		if (find_way(f, k) < 0 || run_pkt(f, &p) != be[k])
			fail_msg("colliding flow %u lost its way or back end",
				 k);
	}
	ft_events(&f->ft, ev, 5);
	if (ev[0] != FT_WAYS || ev[1])
		fail_msg("%llu inserts and %llu evictions for %d flows in one "
			 "bucket", (unsigned long long)ev[0],
			 (unsigned long long)ev[1], FT_WAYS);
	/* flow 2 is the oldest: its last-seen 100 units back */
	w = find_way(f, 2);
	f->ft.tab[0].w[w].meta =
		ft_meta(FT_META_BACKEND(f->ft.tab[0].w[w].meta),
			FT_META_NATPORT(f->ft.tab[0].w[w].meta),
			ft_now16() - 100, XLB_FLOW_ESTABLISHED);
	flow_pkt(FT_WAYS, TF_SYN, &p);
	be[FT_WAYS] = run_pkt(f, &p);
	if (!be[FT_WAYS])
		fail_msg("a new flow into a full bucket was not forwarded");
	if (find_way(f, 2) >= 0 || find_way(f, FT_WAYS) != w)
		fail_msg("the new flow did not take the oldest way (%d): "
			 "flow 2 in way %d, new flow in way %d", w,
			 find_way(f, 2), find_way(f, FT_WAYS));
	for (k = 0; k < FT_WAYS; k++)
		if (k != 2 && find_way(f, k) < 0)
			fail_msg("flow %u evicted instead of the oldest", k);
	ft_events(&f->ft, ev, 5);
	if (ev[0] != FT_WAYS + 1 || ev[1] != 1)
		fail_msg("%llu inserts, %llu evictions; want %d and 1",
			 (unsigned long long)ev[0], (unsigned long long)ev[1],
			 FT_WAYS + 1);
}

/* ---- the userspace sweep through the mmap ---- */

static void test_sweep_purge_count(void **state)
{
	struct fx *f = *state;
	__u16 timeout[8] = { [XLB_FLOW_FIN] = 10 };
	__u64 counts[TSIZE + 1] = {}, sum = 0, want[TSIZE + 1] = {};
	struct ft_sweep_res res;
	__u32 k, n = 600, fins = 0, fins_other = 0;
	struct pkt p;

	for (k = 0; k < n; k++) {
		flow_pkt(k, TF_SYN, &p);
		want[run_pkt(f, &p)]++;
	}
	ft_sweep(&f->ft, ft_now16(), NULL, 0, counts, TSIZE + 1, &res);
	for (k = 1; k <= TSIZE; k++) {
		if (counts[k] != want[k])
			fail_msg("back end %u: %llu flows counted, %llu sent",
				 k, (unsigned long long)counts[k],
				 (unsigned long long)want[k]);
		sum += counts[k];
	}
	if (sum != n || res.live != n)
		fail_msg("%llu flows counted, %llu live, %u sent",
			 (unsigned long long)sum,
			 (unsigned long long)res.live, n);
	/* back end 3 goes down: purge its flows */
	ft_sweep(&f->ft, ft_now16(), NULL, 3, NULL, 0, &res);
	if (res.purged != want[3] || res.live != n - want[3])
		fail_msg("purge of back end 3: %llu purged (want %llu), %llu "
			 "live", (unsigned long long)res.purged,
			 (unsigned long long)want[3],
			 (unsigned long long)res.live);
	/* FIN flows idle for 20 units expire (FIN timeout 10), others
	 * stay; a FIN of a purged flow pins it again, in state FIN */
	for (k = 0; k < n; k += 5) {
		flow_pkt(k, TF_FIN | TF_ACK, &p);
		fins++;
		if (run_pkt(f, &p) != 3)
			fins_other++;
	}
	ft_sweep(&f->ft, ft_now16() + 20, timeout, 0, NULL, 0, &res);
	if (res.expired != fins)
		fail_msg("%llu expired, %u FIN flows idle past their timeout",
			 (unsigned long long)res.expired, fins);
	ft_sweep(&f->ft, ft_now16(), timeout, 0, NULL, 0, &res);
	if (res.live != n - want[3] - fins_other || res.expired)
		fail_msg("%llu live after expiry, want %llu",
			 (unsigned long long)res.live,
			 (unsigned long long)(n - want[3] - fins_other));
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test_setup_teardown(test_two_cpus_insert_and_look_up,
					setup_small, fx_teardown),
	cmocka_unit_test_setup_teardown(test_two_cpus_every_packet_a_flow,
					setup_small, fx_teardown),
	{ "test_two_cpus_every_packet_a_flow_two_choice",
	  test_two_cpus_every_packet_a_flow, setup_small2, fx_teardown, NULL },
	cmocka_unit_test_setup_teardown(test_collisions_full_bucket_aging,
					setup_one, fx_teardown),
	cmocka_unit_test_setup_teardown(test_sweep_purge_count, setup_sweep,
					fx_teardown),
};

int main(int argc, char **argv)
{
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests_name("flowtab", tests, NULL, NULL);
}
