// SPDX-License-Identifier: GPL-2.0-only
/*
 * Issue 14's IPv6 prototype flow table (bench/flowtab6.bpf.c,
 * bench/flowtab6.h) in both layouts: fp (fingerprint + the address in a
 * second array) and wide (2 ways of 32 bytes a line; with and without
 * the two-choice overflow). BPF_PROG_TEST_RUN, then the table checked
 * through the mmap'd arrays.
 *  - two_cpus_insert_and_look_up: two threads pinned to CPUs 0 and 1 run
 *    overlapping flows at once, one packet a call (more flows than ways:
 *    buckets fill and evict while the other CPU reads them); every
 *    packet of a flow goes to one back end, the one its table slot names.
 *  - two_cpus_every_packet_a_flow: both CPUs run bench/cycle.bpf.c's
 *    xdp_cycle6 in front of the prototype (every iteration another of
 *    2,048 flows) with repeat 300,000, three times, at once.
 *  After both: no way busy, no lock held, no key twice, every way's
 *  address, fingerprint, hash tag and back end belong to one flow (a torn
 *  way fails), every key sits in its bucket (or, with two-choice, in its
 *  second one, flagged), the torn counter is 0.
 *  - collisions_full_bucket_aging: one bucket: as many colliding flows as
 *    ways keep their back ends; one more evicts the oldest way (last-seen
 *    set back through the mmap); flows that share port and VIP and differ
 *    only in the address stay apart.
 *  - fingerprint_collision: one bucket, two flows whose kw is the same
 *    (a 32-bit fingerprint collision, found by a birthday search): the
 *    later one does not replace the earlier one even when that is the
 *    oldest way, both keep their ways, and hits tell them apart by the
 *    address (counted as fingerprint hits, no torn hit).
 *  - sweep_purge_count: the mmap sweep counts per back end, purges one
 *    back end's flows and expires idle ones by state.
 * Run one: test_flowtab6 NAME (e.g. test_flowtab6 fp_sweep_purge_count).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
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
#include "ft6_user.h"
#include "flowtab6.skel.h"
#include "cycle.skel.h"
#include "pktgen.h"

#define TSIZE 13	/* service-table slots: back ends 1..13 */
#define SVC 1
#define VIP "fd00:12::10"
#define CLIENT "fd00:13::"

struct fx {
	struct ft6_inst ft;
	__u32 table[TSIZE];
	__u32 vip[4];
};

static int fx_setup(void **state, __u32 nbuckets, __u32 layout,
		    __u32 two_choice)
{
	struct ft6_opts o = { .nbuckets = nbuckets, .layout = layout,
			      .two_choice = two_choice, .counters = 3,
			      .table_size = TSIZE };
	struct fx *f = calloc(1, sizeof(*f));
	struct vip_meta vm = { .svc_id = SVC };
	struct vip_key_v6 vk = { .port = htons(80), .proto = IPPROTO_TCP };
	struct flowtab6 *s;
	__u32 i, svc = SVC;
	int inner, err;

	assert_non_null(f);
	memcpy(o.if_mac, LB_MAC, ETH_ALEN);
	err = ft6_load(&f->ft, &o);
	if (err)
		fail_msg("cannot load the prototype: %s", strerror(-err));
	s = f->ft.skel;
	for (i = 1; i <= TSIZE; i++) {
		struct backend_info bi = { .mac = { 0x02, 0xbe, 0, 0, 0, i },
					   .state = XLB_BE_ACTIVE,
					   .family = AF_INET6, .svc_id = SVC };

		assert_int_equal(bpf_map_update_elem(
					 bpf_map__fd(s->maps.backends), &i,
					 &bi, 0), 0);
	}
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
	inet_pton(AF_INET6, VIP, f->vip);
	memcpy(vk.addr, f->vip, 16);
	assert_int_equal(bpf_map_update_elem(bpf_map__fd(s->maps.vips_v6),
					     &vk, &vm, 0), 0);
	*state = f;
	return 0;
}

/* 256 ways in every small table: fp 64 x 4, wide 128 x 2 */
static int setup_fp(void **st) { return fx_setup(st, 64, FT6_FP, 0); }
static int setup_wide(void **st) { return fx_setup(st, 128, FT6_WIDE, 0); }
static int setup_wide2(void **st) { return fx_setup(st, 128, FT6_WIDE, 1); }
static int setup_fp2(void **st) { return fx_setup(st, 64, FT6_FP, 1); }
static int setup_fp1(void **st) { return fx_setup(st, 1, FT6_FP, 0); }
static int setup_wide1(void **st) { return fx_setup(st, 1, FT6_WIDE, 0); }
static int setup_fp_sw(void **st) { return fx_setup(st, 4096, FT6_FP, 0); }
static int setup_wide_sw(void **st)
{
	return fx_setup(st, 8192, FT6_WIDE, 1);
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;

	ft6_destroy(&f->ft);
	free(f);
	return 0;
}

/* Flow k: client fd00:13::k, port 1024 + k % 16 (many flows share a
 * port: only the address tells them apart), to VIP:80/tcp. */
static void flow_pkt(__u32 k, __u8 flags, struct pkt *p)
{
	char src[64];
	struct pkt_spec s = { .family = AF_INET6, .saddr = src, .daddr = VIP,
			      .proto = IPPROTO_TCP, .sport = 1024 + k % 16,
			      .dport = 80, .tcp_flags = flags, .payload = 6 };
	char err[128];

	snprintf(src, sizeof(src), "fd00:13::%x:%x", k >> 16, k & 0xffff);
	if (build_pkt(&s, p, err, sizeof(err)))
		fail_msg("%s", err);
}

/* Hash and key of a flow (source words, port as loaded) to the VIP. */
static __u64 key_of(struct fx *f, const __u32 *src, __u16 sport, __u64 *kw,
		    __u64 *a0, __u64 *a1)
{
	__u64 h = ft6_hash(src, f->vip, (__u32)sport << 16 | htons(80),
			   IPPROTO_TCP, FT_HASH_SEED);

	if (kw)
		*kw = ft6_kw(h, sport, SVC);
	if (a0)
		ft6_addr(src, a0, a1);
	return h;
}

static __u64 pkt_key(struct fx *f, const struct pkt *p, __u64 *kw,
		     __u64 *a0, __u64 *a1)
{
	__u32 src[4];
	__u16 sport;

	memcpy(src, p->data + ETH_HLEN + 8, 16);
	memcpy(&sport, p->data + ETH_HLEN + 40, 2);
	return key_of(f, src, sport, kw, a0, a1);
}

static __u32 run_pkt(struct fx *f, const struct pkt *p)
{
	__u8 out[160];
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = p->data,
		    .data_size_in = p->len, .data_out = out,
		    .data_size_out = sizeof(out), .repeat = 1);

	if (bpf_prog_test_run_opts(f->ft.prog, &o) || o.retval != XDP_TX)
		return 0;
	return out[5];
}

/* Is (kw, a0, a1) in way i of bucket b? */
static bool way_is(struct fx *f, __u32 b, __u32 i, __u64 kw, __u64 a0,
		   __u64 a1)
{
	__u64 *k, *m, *a;

	ft6_way(&f->ft, b, i, &k, &m, &a);
	return *k == kw && a[0] == a0 && a[1] == a1;
}

/* A key in bucket b is placed right: b is its first bucket, or (two-
 * choice) its second one, flagged, and the first does not hold it. */
static bool placed_right(struct fx *f, __u64 h, __u64 kw, __u64 a0,
			 __u64 a1, __u32 b)
{
	__u32 mask = f->ft.nbuckets - 1, i1 = h & mask;

	if (b == i1)
		return true;
	if (!f->ft.two_choice || b != ft_idx2(h, mask) ||
	    !(f->ft.ovf[i1 / 64] & (1ull << (i1 & 63))))
		return false;
	for (__u32 j = 0; j < ft6_ways(f->ft.layout); j++)
		if (way_is(f, i1, j, kw, a0, a1))
			fail_msg("key in bucket %u and in its second %u", i1, b);
	return true;
}

/* Every way checked (see the top); the number of live ways. */
static __u32 check_ways(struct fx *f)
{
	__u32 b, i, b2, j, live = 0, nw = ft6_ways(f->ft.layout);
	__u64 ev[FT6_EV_MAX];

	for (b = 0; b < f->ft.nbuckets; b++) {
		for (i = 0; i < nw; i++) {
			__u64 *k, *m, *a, kw, h;
			__u32 src[4];
			__u16 sport;

			ft6_way(&f->ft, b, i, &k, &m, &a);
			if (!*k)
				continue;
			live++;
			if (*k & FT_BUSY)
				fail_msg("bucket %u way %u left busy", b, i);
			memcpy(src, a, 16);
			sport = *k >> 32;
			h = key_of(f, src, sport, &kw, NULL, NULL);
			if (kw != *k)
				fail_msg("bucket %u way %u: its address is not "
					 "its key's (fingerprint %#x, want "
					 "%#x)", b, i, (__u32)*k, (__u32)kw);
			if (!placed_right(f, h, kw, a[0], a[1], b))
				fail_msg("bucket %u way %u: a key of bucket %llu",
					 b, i, (unsigned long long)(h & (f->ft.nbuckets - 1)));
			if (FT_META_NATPORT(*m) != FT_TAG(h) ||
			    FT_META_BACKEND(*m) != f->table[ft_slot(h, TSIZE)])
				fail_msg("bucket %u way %u: torn (tag %#x, want "
					 "%#x; back end %u, want %u)", b, i,
					 FT_META_NATPORT(*m), FT_TAG(h),
					 FT_META_BACKEND(*m),
					 f->table[ft_slot(h, TSIZE)]);
			for (b2 = b; b2 < f->ft.nbuckets; b2++)
				for (j = b2 == b ? i + 1 : 0; j < nw; j++)
					if (way_is(f, b2, j, *k, a[0], a[1]))
						fail_msg("key twice: bucket %u "
							 "way %u, bucket %u way "
							 "%u", b, i, b2, j);
		}
	}
	for (i = 0; i < FT_LOCKS; i++)
		if (f->ft.skel->data_locks->ft_locks[i])
			fail_msg("stripe lock %u left held", i);
	ft6_events(&f->ft, ev, FT6_EV_MAX);
	if (ev[FT6_EV_TORN])
		fail_msg("%llu hits read a meta that is not their key's (torn)",
			 (unsigned long long)ev[FT6_EV_TORN]);
	if (!live || ev[FT6_EV_INSERT] < live)
		fail_msg("%u live ways after %llu inserts", live,
			 (unsigned long long)ev[FT6_EV_INSERT]);
	print_message("# %u live ways, %llu inserts, %llu evictions, %llu "
		      "given up\n", live,
		      (unsigned long long)ev[FT6_EV_INSERT],
		      (unsigned long long)ev[FT6_EV_EVICT],
		      (unsigned long long)ev[FT6_EV_BUSY]);
	return live;
}

/* ---- two CPUs at once, one packet a call ---- */

#define NFLOWS 1200	/* over 256 ways: evictions */
#define PASSES 4

struct worker {
	struct fx *f;
	int cpu;
	__u32 first, n;
	__u8 got[NFLOWS];
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
	for (int pass = 0; pass < PASSES && w->mismatch >= 0; pass++) {
		for (__u32 i = 0; i < w->n; i++) {
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
	__u32 i;

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
	for (i = 0; i < NFLOWS; i++) {
		struct pkt p;
		__u32 want, a = w[0].got[i], c = w[1].got[i];

		flow_pkt(i, TF_ACK, &p);
		want = f->table[ft_slot(pkt_key(f, &p, NULL, NULL, NULL),
					TSIZE)];
		if ((a && a != want) || (c && c != want) || (!a && !c))
			fail_msg("flow %u: back end %u on CPU 0, %u on CPU 1, "
				 "table slot names %u", i, a, c, want);
	}
	check_ways(f);
}

/* ---- two CPUs at once, at full speed behind xdp_cycle6 ---- */

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
	struct pkt_spec s = { .family = AF_INET6, .saddr = CLIENT,
			      .daddr = VIP, .proto = IPPROTO_TCP,
			      .sport = 1024, .dport = 80,
			      .tcp_flags = TF_SYN, .payload = 6 };
	struct fx *f = *state;
	struct blaster bl[2];
	pthread_barrier_t bar;
	pthread_t th[2];
	struct cycle *cy;
	struct pkt p;
	__u32 key = 0, prog;
	char err[128];
	int i;

	if (libbpf_num_possible_cpus() < 2)
		skip();
	if (build_pkt(&s, &p, err, sizeof(err)))
		fail_msg("%s", err);
	cy = cycle__open_and_load();
	assert_non_null(cy);
	prog = f->ft.prog;
	assert_int_equal(bpf_map_update_elem(bpf_map__fd(cy->maps.target),
					     &key, &prog, 0), 0);
	/* flows fd00:13::(k >> 14), port 1024 + (k & 0x3fff); with mask
	 * 2047: one address, 2,048 ports */
	cy->bss->mask = 2047;
	pthread_barrier_init(&bar, NULL, 2);
	for (i = 0; i < 2; i++) {
		bl[i] = (struct blaster){ .prog = bpf_program__fd(
						   cy->progs.xdp_cycle6),
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
	check_ways(f);
}

/* ---- one bucket: collisions, a full bucket, aging ---- */

static int find_way(struct fx *f, __u32 k)
{
	struct pkt p;
	__u64 kw, a0, a1;

	flow_pkt(k, TF_ACK, &p);
	pkt_key(f, &p, &kw, &a0, &a1);
	for (__u32 i = 0; i < ft6_ways(f->ft.layout); i++)
		if (way_is(f, 0, i, kw, a0, a1))
			return i;
	return -1;
}

static void test_collisions_full_bucket_aging(void **state)
{
	struct fx *f = *state;
	__u32 nw = ft6_ways(f->ft.layout), k, be[5], old;
	__u64 ev[FT6_EV_MAX], *kp, *mp, *ap;
	struct pkt p;
	int w;

	/* flows 0, 16, 32, ...: the same port (1024), other addresses */
	for (k = 0; k < nw; k++) {
		flow_pkt(k * 16, TF_SYN, &p);
		be[k] = run_pkt(f, &p);
		if (be[k] != f->table[ft_slot(pkt_key(f, &p, NULL, NULL, NULL),
					      TSIZE)])
			fail_msg("flow %u: back end %u, not its slot's", k * 16,
				 be[k]);
	}
	for (k = 0; k < nw; k++) {
		flow_pkt(k * 16, TF_ACK, &p);
		if (find_way(f, k * 16) < 0 || run_pkt(f, &p) != be[k])
			fail_msg("colliding flow %u lost its way or back end",
				 k * 16);
	}
	ft6_events(&f->ft, ev, FT6_EV_MAX);
	if (ev[FT6_EV_INSERT] != nw || ev[FT6_EV_EVICT])
		fail_msg("%llu inserts and %llu evictions for %u flows in one "
			 "bucket", (unsigned long long)ev[FT6_EV_INSERT],
			 (unsigned long long)ev[FT6_EV_EVICT], nw);
	/* the second flow is the oldest: its last-seen 100 units back */
	old = 16;
	w = find_way(f, old);
	ft6_way(&f->ft, 0, w, &kp, &mp, &ap);
	*mp = ft_meta(FT_META_BACKEND(*mp), FT_META_NATPORT(*mp),
		      ft_now16() - 100, XLB_FLOW_ESTABLISHED);
	flow_pkt(nw * 16, TF_SYN, &p);
	if (!run_pkt(f, &p))
		fail_msg("a new flow into a full bucket was not forwarded");
	if (find_way(f, old) >= 0 || find_way(f, nw * 16) != w)
		fail_msg("the new flow did not take the oldest way (%d): "
			 "flow %u in way %d, new flow in way %d", w, old,
			 find_way(f, old), find_way(f, nw * 16));
	for (k = 0; k < nw; k++)
		if (k * 16 != old && find_way(f, k * 16) < 0)
			fail_msg("flow %u evicted instead of the oldest",
				 k * 16);
	ft6_events(&f->ft, ev, FT6_EV_MAX);
	if (ev[FT6_EV_INSERT] != nw + 1 || ev[FT6_EV_EVICT] != 1)
		fail_msg("%llu inserts, %llu evictions; want %u and 1",
			 (unsigned long long)ev[FT6_EV_INSERT],
			 (unsigned long long)ev[FT6_EV_EVICT], nw + 1);
	check_ways(f);
}

/* ---- one bucket: two flows with one kw (a fingerprint collision) ---- */

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

/* Two flows k1 != k2, both of port 1024 (k a multiple of 16), whose
 * kw is the same: the 32-bit fingerprint collides (a birthday search
 * over 2^18 flows finds ~8). */
static void fp_twins(struct fx *f, __u32 *k1, __u32 *k2)
{
	__u32 n = 1u << 18, i;
	__u64 *v = malloc(n * sizeof(*v));
	struct pkt p;

	assert_non_null(v);
	for (i = 0; i < n; i++) {
		__u64 kw;

		flow_pkt(i * 16, TF_ACK, &p);
		pkt_key(f, &p, &kw, NULL, NULL);
		v[i] = (__u64)(__u32)kw << 32 | i; /* fingerprint, index */
	}
	qsort(v, n, sizeof(*v), cmp_u64);
	for (i = 1; i < n; i++) {
		if (v[i] >> 32 != v[i - 1] >> 32)
			continue;
		*k1 = (__u32)v[i - 1] * 16;
		*k2 = (__u32)v[i] * 16;
		free(v);
		return;
	}
	free(v);
	fail_msg("no fingerprint collision in %u flows", n);
}

static void test_fingerprint_collision(void **state)
{
	struct fx *f = *state;
	__u32 k1 = 0, k2 = 0, nw = ft6_ways(f->ft.layout), k, n = 0;
	__u64 ev[FT6_EV_MAX], *kp, *mp, *ap;
	struct pkt p;
	int w1;

	fp_twins(f, &k1, &k2);
	/* twin 1, then other flows until the bucket is full */
	flow_pkt(k1, TF_SYN, &p);
	if (!run_pkt(f, &p))
		fail_msg("flow %u not forwarded", k1);
	for (k = 1; n < nw - 1; k++) {
		if (k * 16 == k1 || k * 16 == k2)
			continue;
		flow_pkt(k * 16, TF_SYN, &p);
		run_pkt(f, &p);
		n++;
	}
	/* twin 1 is the oldest way: twin 2 (the same kw) must not
	 * replace it (a way never goes from kw X to kw X) */
	w1 = find_way(f, k1);
	if (w1 < 0)
		fail_msg("flow %u not in the bucket", k1);
	ft6_way(&f->ft, 0, w1, &kp, &mp, &ap);
	*mp = ft_meta(FT_META_BACKEND(*mp), FT_META_NATPORT(*mp),
		      ft_now16() - 100, XLB_FLOW_ESTABLISHED);
	flow_pkt(k2, TF_SYN, &p);
	if (!run_pkt(f, &p))
		fail_msg("flow %u not forwarded", k2);
	if (find_way(f, k1) != w1 || find_way(f, k2) < 0)
		fail_msg("fingerprint twins %u and %u: ways %d and %d (twin 1 "
			 "was in way %d)", k1, k2, find_way(f, k1),
			 find_way(f, k2), w1);
	/* each twin finds its own way (its tag: no torn hit) */
	for (k = 0; k < 3; k++) {
		flow_pkt(k & 1 ? k2 : k1, TF_ACK, &p);
		if (!run_pkt(f, &p))
			fail_msg("twin not forwarded");
	}
	ft6_events(&f->ft, ev, FT6_EV_MAX);
	if (ev[FT6_EV_INSERT] != nw + 1 || ev[FT6_EV_EVICT] != 1 ||
	    !ev[FT6_EV_FPHIT])
		fail_msg("%llu inserts, %llu evictions, %llu fingerprint hits; "
			 "want %u, 1 and some",
			 (unsigned long long)ev[FT6_EV_INSERT],
			 (unsigned long long)ev[FT6_EV_EVICT],
			 (unsigned long long)ev[FT6_EV_FPHIT], nw + 1);
	check_ways(f);
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
	ft6_sweep(&f->ft, ft_now16(), NULL, 0, counts, TSIZE + 1, &res);
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
	ft6_sweep(&f->ft, ft_now16(), NULL, 3, NULL, 0, &res);
	if (res.purged != want[3] || res.live != n - want[3])
		fail_msg("purge of back end 3: %llu purged (want %llu), %llu "
			 "live", (unsigned long long)res.purged,
			 (unsigned long long)want[3],
			 (unsigned long long)res.live);
	for (k = 0; k < n; k += 5) {
		flow_pkt(k, TF_FIN | TF_ACK, &p);
		fins++;
		if (run_pkt(f, &p) != 3)
			fins_other++;
	}
	ft6_sweep(&f->ft, ft_now16() + 20, timeout, 0, NULL, 0, &res);
	if (res.expired != fins)
		fail_msg("%llu expired, %u FIN flows idle past their timeout",
			 (unsigned long long)res.expired, fins);
	ft6_sweep(&f->ft, ft_now16(), timeout, 0, NULL, 0, &res);
	if (res.live != n - want[3] - fins_other || res.expired)
		fail_msg("%llu live after expiry, want %llu",
			 (unsigned long long)res.live,
			 (unsigned long long)(n - want[3] - fins_other));
}

#define T(name, fn, setup) { name, fn, setup, fx_teardown, NULL }
static const struct CMUnitTest tests[] = {
	T("fp_two_cpus_insert_and_look_up", test_two_cpus_insert_and_look_up,
	  setup_fp),
	T("wide_two_cpus_insert_and_look_up",
	  test_two_cpus_insert_and_look_up, setup_wide),
	T("wide2c_two_cpus_insert_and_look_up",
	  test_two_cpus_insert_and_look_up, setup_wide2),
	T("fp_two_cpus_every_packet_a_flow", test_two_cpus_every_packet_a_flow,
	  setup_fp),
	T("wide_two_cpus_every_packet_a_flow",
	  test_two_cpus_every_packet_a_flow, setup_wide),
	T("wide2c_two_cpus_every_packet_a_flow",
	  test_two_cpus_every_packet_a_flow, setup_wide2),
	T("fp2c_two_cpus_every_packet_a_flow",
	  test_two_cpus_every_packet_a_flow, setup_fp2),
	T("fp_collisions_full_bucket_aging", test_collisions_full_bucket_aging,
	  setup_fp1),
	T("wide_collisions_full_bucket_aging",
	  test_collisions_full_bucket_aging, setup_wide1),
	T("fp_fingerprint_collision", test_fingerprint_collision, setup_fp1),
	T("wide_fingerprint_collision", test_fingerprint_collision,
	  setup_wide1),
	T("fp_sweep_purge_count", test_sweep_purge_count, setup_fp_sw),
	T("wide2c_sweep_purge_count", test_sweep_purge_count, setup_wide_sw),
};

int main(int argc, char **argv)
{
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests_name("flowtab6", tests, NULL, NULL);
}
