// SPDX-License-Identifier: GPL-2.0-only
/*
 * Per-packet cost of the xdp-lb data path with BPF_PROG_TEST_RUN, against
 * a floor program (bench/floor.bpf.c: parse Eth/IPv4/TCP, swap MACs,
 * XDP_TX) measured in the same round. Prints figures; never fails on speed
 * (it fails only if a program gives the wrong verdict or cannot load).
 *
 * Method (see docs/benchmarks.md):
 *  - "repeat" rows: one bpf_prog_test_run_opts() call with repeat = R on
 *    one packet, timed from userspace (CLOCK_MONOTONIC around the call,
 *    divided by R); the kernel's own average (whole ns) is kept too.
 *    Rewriting MACs only, xdp-lb DSR leaves the packet valid for the next
 *    iteration, so plain repeat measures the right path when the flow is
 *    the same every time (non-VIP pass, hit on 1 flow).
 *  - "cycle" rows: the same call runs bench/cycle.bpf.c, which rewrites
 *    the source address and port from a counter on every iteration and
 *    tail-calls the program under test: every iteration is another flow
 *    (hits spread over 2^19 pinned flows, or a new flow each time). The
 *    floor runs behind the same wrapper, and the ratio of these rows is
 *    taken to that wrapped floor.
 *  - "single" rows: one call per packet (repeat 1), the wrapper making
 *    every call a different flow, timed from userspace: syscall and setup
 *    included, so only the difference to the single-call floor means
 *    anything. A cross-check of the cycle rows.
 *  - "restore" rows: the forwarding modes (100 back ends). Tunnel mode
 *    grows the frame by 20 bytes, nat rewrites it in place, so a repeat
 *    run would measure the program on its own output from the second
 *    iteration on. The call runs xdp_restore (bench/cycle.bpf.c): it
 *    undoes an encapsulation (bpf_xdp_adjust_head(+20)), copies the
 *    original 60-byte frame back, sets the iteration's flow (mask 0: the
 *    frame as built) and tail-calls the program under test. The floor and
 *    DSR run behind the same wrapper for comparison; the ratio of these
 *    rows is to that floor. After every run (outside the timing) the
 *    reason counters must show exactly one expected outcome per packet
 *    (tx_forwarded / redirect_nat, nothing else: no drop_encap, no
 *    drop_nat_*), the last output must be an IPIP frame 20 bytes longer
 *    (tunnel) or translated to the nat address (nat), and a new-flow run
 *    must leave one flow and (nat) one nat_rev mapping per packet; both
 *    tables are emptied after it.
 *  - IPv6 (DSR) rows, in the same rounds: the 100-back-end instances also
 *    hold a second service, [fd00:12::10]:80/tcp with 100 IPv6 back ends;
 *    the hit one has 2^19 IPv6 flows (fd00:13::/96 + (k >> 14), ports
 *    1024 + (k & 0x3fff)) pinned as the data path would pin them. Their
 *    floor is xdp_floor6 (bench/floor.bpf.c) and their wrapper xdp_cycle6
 *    (bench/cycle.bpf.c, rewrites the low word of the source address and
 *    the source port); each IPv6 row is compared to the IPv6 floor of its
 *    method and round, the IPv4 rows to the IPv4 floor as before. After
 *    every IPv6 run, outside the timing: one tx_forwarded per packet and
 *    nothing else, the last output sent to the back end its flow is
 *    pinned to (or picked for), no new flow in a hit run and exactly one
 *    flows6 entry per packet in a new-flow run (emptied after it).
 * Every xdp-lb instance is loaded with the default sizes (XLB_DEFAULT_*),
 * one TCP service with N back ends (Maglev table built by ctl/maglev.c).
 * The hit instances hold 2^19 established flows pinned as the data path
 * would pin them; the new-flow instances start each run with an empty
 * flow table (emptied again after every run, outside the timing).
 *
 *
 * Each program that BPF_PROG_TEST_RUN runs directly is also attached
 * (native XDP) to an idle, down veth given with -i: a test run with
 * repeat > 1 otherwise adds the program to the kernel's XDP dispatcher and
 * removes it again, which costs 13-20 ms per call here (a fixed cost that
 * would add 13-20 ns to every packet of a 10^6 run). With the program
 * already in the dispatcher the call costs only the packets it runs.
 *
 * Usage: bench_pkt [-r ROUNDS] [-n REPEAT] [-c CALLS] [-o DATAFILE]
 *                  [-i IFACE,IFACE,...]   (8 idle veths; run.sh makes them)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <pthread.h>
#include <sched.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <net/if.h>

#include "xdp_lb.h"
#include "maglev.h"
#include "maps.h"
#include "xdp_lb.skel.h"
#include "floor.skel.h"
#include "cycle.skel.h"
#include "ablate.skel.h"
#include "ft_user.h"
#include "flowtab.skel.h"
#include "ft6_user.h"
#include "flowtab6.skel.h"
#include "../tests/prog/pktgen.h"
#include "xlb_hash.h"
#include "../ctl/flowtab.h" /* not bench/flowtab.h, the prototype */
#include "counters.h"

#define NFLOWS (1u << 19)
#define NEW_MASK ((1u << 30) - 1)
#define VIP4 "198.18.0.10"
#define NOT_VIP4 "198.18.0.99"
#define CLIENT4 "198.19.0.0" /* flow 0 of cycle.bpf.c */
/* IPv6 service on the 100-back-end instances (a second service, IPv6 back
 * ends: the controller accepts only back ends of the VIP's family). */
#define SVC4 1
#define SVC6 2
#define VIP6 "fd00:12::10"
#define CLIENT6 "fd00:13::" /* flow 0 of xdp_cycle6 */
#define MAX_ROUNDS 64

static const int nbe_list[] = { 3, 100, 1000 };
#define NB (int)(sizeof(nbe_list) / sizeof(nbe_list[0]))

struct lb_inst {
	struct xdp_lb *skel;
	int prog;
	int nbe;
	__u32 *table6; /* the IPv6 service's Maglev table, NULL: none */
	__u32 *table4; /* the IPv4 service's Maglev table */
	__u32 max_flows; /* its max_flows (flows4: a quarter in buckets) */
	struct xlb_ft ft4; /* flows4, mmap'd */
	struct xlb_ft ft6; /* flows6 and flows6_keys, mmap'd (lb_add_v6) */
};

enum method { M_REPEAT, M_CYCLE, M_SINGLE, M_RESTORE };
static const char *method_names[] = { "repeat", "cycle", "single",
				      "restore" };

/* Forwarding mode of an xdp-lb instance (vip_meta.flags). */
enum fwd_mode { FWD_DSR, FWD_TUNNEL, FWD_NAT };
#define NAT_SRC4 "10.2.0.1"
#define TUN_SRC4 "198.18.9.0" /* /24 prefix for the outer sources */
static const __u8 INT_MAC[ETH_ALEN] = { 0x02, 0x1b, 0x00, 0x00, 0x00, 0x02 };
static int nat_ext_ifindex, nat_int_ifindex;

struct scenario {
	char name[40];
	enum method m;
	int prog;		/* program under test */
	struct lb_inst *li;	/* xdp-lb instance, NULL for the floor */
	const struct pkt *pkt;
	__u32 mask;		/* cycle/single: flow mask */
	bool new_flows;		/* empty the flow table after the run */
	__u32 n;		/* repeat count, if not the global one */
	int expect;		/* verdict */
	bool floor;		/* the floor of its method */
	bool v6;		/* IPv6 row: its own floor and wrapper */
	struct ft_inst *ft;	/* a prototype row (bench/flowtab.bpf.c) */
	struct ft6_inst *ft6;	/* an IPv6 prototype row (flowtab6.bpf.c) */
	/* before every run, outside the timing: a fresh instance (a table
	 * never used), or nothing */
	void (*prep)(struct scenario *);
	int vs;			/* its current-path twin (+1), 0: none */
	double ns[MAX_ROUNDS];	/* ns/packet, userspace timing */
	double kns[MAX_ROUNDS]; /* kernel's duration (whole ns) */
	double ratio[MAX_ROUNDS];
	double extra[MAX_ROUNDS];
	/* restore rows on an xdp-lb instance: the path every packet must
	 * take (reason counters), and the mode (output, nat_rev) */
	bool check_path;
	__u32 reason;
	enum fwd_mode mode;
	int bad;		/* runs that failed a path check */
};

static struct cycle *cyc;
static int cyc_prog, cyc6_prog, cyc_target, rst_prog, cyc_cpu_prog, cyc6_cpu_prog;
static __u32 repeat = 1000000, calls = 1 << 17;
/* max_flows for the next lb_load (0: the default) */
static __u32 load_max_flows;
#define FT_EV_N 5
static int rounds = 5;

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "bench_pkt: ");
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	exit(1);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (level == LIBBPF_DEBUG || level == LIBBPF_INFO)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static __u64 coarse_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void flow_key(__u32 k, __be32 vip, struct flow_key_v4 *fk)
{
	memset(fk, 0, sizeof(*fk));
	fk->src = htonl(0xc6130000u + (k >> 14));
	fk->dst = vip;
	fk->sport = htons(1024 + (k & 0x3fff));
	fk->dport = htons(80);
	fk->proto = IPPROTO_TCP;
}

/* Flow k of xdp_cycle6 to the IPv6 VIP (the data path's key, zeroed). */
static void flow_key6(__u32 k, const __be32 *vip, struct flow_key_v6 *fk)
{
	memset(fk, 0, sizeof(*fk));
	inet_pton(AF_INET6, CLIENT6, fk->src);
	fk->src[3] = htonl(k >> 14);
	memcpy(fk->dst, vip, sizeof(fk->dst));
	fk->sport = htons(1024 + (k & 0x3fff));
	fk->dport = htons(80);
	fk->proto = IPPROTO_TCP;
}

/* The data path's slot hash of a flow: xlb_hash over the words of its key
 * (4 for flow_key_v4, 10 for flow_key_v6). Through a copy: reading the
 * struct's __be16/__u8 fields as __u32 would break strict aliasing (at -O2
 * the stores were dropped). */
static __u64 flow_hash(const void *fk, size_t size)
{
	__u32 w[sizeof(struct flow_key_v6) / 4];

	memcpy(w, fk, size);
	return xlb_hash(w, size / 4);
}

/* The one VIP of a family into xdp_lb's VIP table (a table of one entry,
 * at its home slot: as the controller's builder puts it), swapped in. */
static void vip_table_set(struct xdp_lb *s, int family, const void *addr,
			  struct vip_meta vm)
{
	__u32 bits = xlb_vip_bits(XLB_DEFAULT_MAX_SERVICES), zero = 0, home;
	struct vip_slot4 s4 = { .meta = vm };
	struct vip_slot6 s6 = { .meta = vm };
	int inner;

	if (family == AF_INET) {
		s4.key = xlb_vip_key4(*(const __be32 *)addr, htons(80),
				      IPPROTO_TCP);
		home = xlb_vip_home4(s4.key, bits);
	} else {
		memcpy(s6.addr, addr, 16);
		s6.pp = xlb_vip_pp6(htons(80), IPPROTO_TCP);
		home = xlb_vip_home6(s6.addr, s6.pp, bits);
	}
	inner = bpf_map_create(BPF_MAP_TYPE_ARRAY, "vip_table", 4,
			       family == AF_INET ? sizeof(s4) : sizeof(s6),
			       1u << bits, NULL);
	if (inner < 0 ||
	    bpf_map_update_elem(inner, &home,
				family == AF_INET ? (void *)&s4 : (void *)&s6,
				0) ||
	    bpf_map_update_elem(bpf_map__fd(family == AF_INET ?
						s->maps.vip_tab4 :
						s->maps.vip_tab6),
				&zero, &inner, 0))
		die("vip table: %s\n", strerror(errno));
	close(inner);
}

/* VIP4:80/tcp -> SVC4 into the prototype's own VIP hash map (its
 * vip_inline 0 variant; the data path has none now). */
static void vip_hash_set(int fd)
{
	struct vip_meta vm = { .svc_id = SVC4 };
	struct vip_key_v4 vk = { .port = htons(80), .proto = IPPROTO_TCP };

	inet_pton(AF_INET, VIP4, &vk.addr);
	if (bpf_map_update_elem(fd, &vk, &vm, 0))
		die("vips_v4: %s\n", strerror(errno));
}

/* VIP6:80/tcp -> SVC6 into the IPv6 prototype's own VIP hash map. */
static void vip6_hash_set(int fd)
{
	struct vip_meta vm = { .svc_id = SVC6 };
	struct vip_key_v6 vk = { .port = htons(80), .proto = IPPROTO_TCP };

	inet_pton(AF_INET6, VIP6, vk.addr);
	if (bpf_map_update_elem(fd, &vk, &vm, 0))
		die("vips_v6: %s\n", strerror(errno));
}

/* Back end of IPv6 flow k: the table slot its hash names, as the data
 * path picks it. */
static __u32 backend6(const struct lb_inst *li, __u32 k)
{
	struct flow_key_v6 fk;
	__be32 vip[4];

	inet_pton(AF_INET6, VIP6, vip);
	flow_key6(k, vip, &fk);
	return li->table6[xlb_slot(flow_hash(&fk, sizeof(fk)),
				   XLB_DEFAULT_TABLE_SIZE)];
}

/* Load xdp-lb with the default sizes and one service VIP4:80/tcp with
 * back ends 1..nbe; fill flows_v4 with flows 0..nflows-1, pinned to the
 * back end their table slot names. */
static void lb_load(struct lb_inst *li, int nbe, __u32 nflows,
		    enum fwd_mode mode)
{
	struct maglev_backend *mb = calloc(nbe, sizeof(*mb));
	__u32 size = XLB_DEFAULT_TABLE_SIZE, svc = SVC4, i, count;
	__u32 *table = malloc(size * sizeof(*table));
	__u32 *keys = malloc(size * sizeof(*keys));
	struct vip_meta vm = { .svc_id = svc };
	struct lb_cfg cfg = {};
	struct vip_key_v4 vk = {};
	struct flow_key_v4 *fks;
	struct flow_value *fvs;
	struct xlb_prep prep = {};
	struct xdp_lb *s;
	int fd;
	__u64 t;

	if (!mb || !table || !keys)
		die("out of memory\n");
	li->nbe = nbe;
	/* The default sizes, loaded the controller's way (ctl/maps.c). */
	prep.sz = xlb_default_sizes;
	if (load_max_flows)
		prep.sz.max_flows = load_max_flows;
	li->max_flows = prep.sz.max_flows;
	memcpy(prep.if_mac, LB_MAC, ETH_ALEN);
	if (mode == FWD_NAT) { /* as tests/prog/xdp_env.c env_load */
		prep.nat_ifindex = nat_int_ifindex;
		memcpy(prep.int_mac, INT_MAC, ETH_ALEN);
	}
	s = xlb_skel_open_load(&prep);
	if (!s)
		die("cannot load xdp_lb: %s (run as root)\n", strerror(errno));
	li->skel = s;
	li->prog = bpf_program__fd(s->progs.xdp_lb);

	for (i = 0; i < (__u32)nbe; i++) {
		struct backend_info bi = { .mac = { 0x02, 0xbe, 0, 0 } };
		__u32 id = i + 1;

		bi.mac[4] = id >> 8;
		bi.mac[5] = id & 0xff;
		bi.state = XLB_BE_ACTIVE;
		bi.family = AF_INET;
		bi.svc_id = svc;
		bi.addr[0] = htonl(0xc6120000u + 0x1000 + id); /* 198.18.16.x */
		if (bpf_map_update_elem(bpf_map__fd(s->maps.backends), &id,
					&bi, 0))
			die("backends: %s\n", strerror(errno));
		mb[i].addr.family = AF_INET;
		mb[i].addr.w[0] = bi.addr[0];
		mb[i].id = id;
		mb[i].weight = 1;
	}
	if (maglev_build(mb, nbe, table, size))
		die("maglev_build failed\n");
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "svc_table", 4, 4, size, NULL);
	if (fd < 0)
		die("svc_table: %s\n", strerror(errno));
	for (i = 0; i < size; i++)
		keys[i] = i;
	count = size;
	if (bpf_map_update_batch(fd, keys, table, &count, NULL))
		die("svc_table fill: %s\n", strerror(errno));
	if (bpf_map_update_elem(bpf_map__fd(s->maps.svc_tables), &svc, &fd, 0))
		die("svc_tables: %s\n", strerror(errno));
	close(fd);
	inet_pton(AF_INET, VIP4, &vk.addr);
	vk.port = htons(80);
	vk.proto = IPPROTO_TCP;
	if (mode == FWD_TUNNEL) { /* as tests/prog/test_xdp_tunnel.c tunnel_setup */
		vm.flags |= XLB_VIP_F_TUNNEL;
		inet_pton(AF_INET, TUN_SRC4, &cfg.tun_src4);
		cfg.tun_mask4 = htonl(0xffffff00u);
	} else if (mode == FWD_NAT) { /* nat_setup */
		__u32 k;

		vm.flags |= XLB_VIP_F_NAT;
		inet_pton(AF_INET, NAT_SRC4, &cfg.nat_src4);
		cfg.nat_port_min = 1024;
		cfg.nat_port_max = 65535;
		k = XLB_PORT_EXT;
		if (bpf_map_update_elem(bpf_map__fd(s->maps.tx_ports), &k,
					&nat_ext_ifindex, 0))
			die("tx_ports: %s\n", strerror(errno));
		k = XLB_PORT_INT;
		if (bpf_map_update_elem(bpf_map__fd(s->maps.tx_ports), &k,
					&nat_int_ifindex, 0))
			die("tx_ports: %s\n", strerror(errno));
	}
	if (mode != FWD_DSR) {
		__u32 zero = 0;

		if (bpf_map_update_elem(bpf_map__fd(s->maps.xlb_cfg), &zero,
					&cfg, 0))
			die("xlb_cfg: %s\n", strerror(errno));
	}
	vip_table_set(s, AF_INET, &vk.addr, vm);

	if (xlb_ft_map(&li->ft4, bpf_map__fd(s->maps.flows4),
		       xlb_ft_buckets(li->max_flows)))
		die("mmap flows4: %s\n", strerror(errno));
	fks = calloc(1, sizeof(*fks));
	fvs = calloc(1, sizeof(*fvs));
	if (!fks || !fvs)
		die("out of memory\n");
	t = coarse_ns(); /* bpf_ktime_get_coarse_ns's clock */
	for (i = 0, count = 0; i < nflows; i++) {
		__u64 h;

		flow_key(i, vk.addr, fks);
		h = flow_hash(fks, sizeof(*fks));
		/* nat: a pinned flow has its port (the forward path reads
		 * only this; nat_rev, which replies use, is left empty) */
		if (!xlb_ft_place(&li->ft4, h, xlb_ft_kw(fks->src, fks->sport,
							  svc),
				  xlb_ft_meta(table[xlb_slot(h, size)],
					      mode == FWD_NAT ?
						      htons(1024 + i % 64000) :
						      0,
					      xlb_ft_seen(t),
					      XLB_FLOW_ESTABLISHED)))
			count++;
	}
	if (count)
		fprintf(stderr, "bench_pkt: %u of %u flows found their bucket "
			"full (they are new flows to the runs)\n", count,
			nflows);
	free(fks);
	free(fvs);
	free(mb);
	li->table4 = table; /* kept: bench_ft places flows by it */
	free(keys);
}

/* Add service SVC6, VIP6:80/tcp with li->nbe IPv6 back ends (ids nbe+1 ..
 * 2*nbe, fd00:12::1:x, DSR), to an instance made by lb_load; fill
 * flows6 with flows 0..nflows-1, pinned to the back end their table slot
 * names. */
static void lb_add_v6(struct lb_inst *li, __u32 nflows)
{
	struct maglev_backend *mb = calloc(li->nbe, sizeof(*mb));
	__u32 size = XLB_DEFAULT_TABLE_SIZE, svc = SVC6, i, count;
	__u32 *keys = malloc(size * sizeof(*keys));
	struct vip_meta vm = { .svc_id = svc };
	struct xdp_lb *s = li->skel;
	struct vip_key_v6 vk = {};
	struct flow_key_v6 *fks;
	struct flow_value *fvs;
	int fd;
	__u64 t;

	li->table6 = malloc(size * sizeof(*li->table6));
	if (!mb || !keys || !li->table6)
		die("out of memory\n");
	for (i = 0; i < (__u32)li->nbe; i++) {
		struct backend_info bi = { .mac = { 0x02, 0xbe, 0, 0 } };
		__u32 id = li->nbe + i + 1;

		bi.mac[4] = id >> 8;
		bi.mac[5] = id & 0xff;
		bi.state = XLB_BE_ACTIVE;
		bi.family = AF_INET6;
		bi.svc_id = svc;
		inet_pton(AF_INET6, "fd00:12::1:0", bi.addr);
		bi.addr[3] = htonl(0x10000u + i + 1); /* fd00:12::1:x */
		if (bpf_map_update_elem(bpf_map__fd(s->maps.backends), &id,
					&bi, 0))
			die("backends: %s\n", strerror(errno));
		mb[i].addr.family = AF_INET6;
		memcpy(mb[i].addr.w, bi.addr, sizeof(bi.addr));
		mb[i].id = id;
		mb[i].weight = 1;
	}
	if (maglev_build(mb, li->nbe, li->table6, size))
		die("maglev_build failed\n");
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "svc_table", 4, 4, size, NULL);
	if (fd < 0)
		die("svc_table: %s\n", strerror(errno));
	for (i = 0; i < size; i++)
		keys[i] = i;
	count = size;
	if (bpf_map_update_batch(fd, keys, li->table6, &count, NULL))
		die("svc_table fill: %s\n", strerror(errno));
	if (bpf_map_update_elem(bpf_map__fd(s->maps.svc_tables), &svc, &fd, 0))
		die("svc_tables: %s\n", strerror(errno));
	close(fd);
	inet_pton(AF_INET6, VIP6, vk.addr);
	vk.port = htons(80);
	vk.proto = IPPROTO_TCP;
	vip_table_set(s, AF_INET6, vk.addr, vm);

	if (xlb_ft6_map(&li->ft6, bpf_map__fd(s->maps.flows6),
			bpf_map__fd(s->maps.flows6_keys),
			xlb_ft_buckets(li->max_flows)))
		die("mmap flows6: %s\n", strerror(errno));
	fks = calloc(1, sizeof(*fks));
	fvs = calloc(1, sizeof(*fvs));
	if (!fks || !fvs)
		die("out of memory\n");
	t = coarse_ns(); /* bpf_ktime_get_coarse_ns's clock */
	for (i = 0, count = 0; i < nflows; i++) {
		__u64 h;

		flow_key6(i, vk.addr, fks);
		h = flow_hash(fks, sizeof(*fks));
		if (!xlb_ft6_place(&li->ft6, h, xlb_ft6_kw(h, fks->sport, svc),
				   fks->src,
				   xlb_ft_meta(li->table6[xlb_slot(h, size)], 0,
					       xlb_ft_seen(t),
					       XLB_FLOW_ESTABLISHED)))
			count++;
	}
	if (count)
		fprintf(stderr, "flows6: %u of %u flows found their bucket "
				"full\n", count, nflows);
	free(fks);
	free(fvs);
	free(mb);
	free(keys);
}

/* Empty a hash map (flow table, nat_rev: keys and values of at most 64
 * bytes); returns how many entries it held. */
static __u64 map_clear(int fd)
{
	static char keys[8192 * 64], vals[8192 * 64];
	__u64 in = 0, out = 0, n = 0;
	bool first = true;
	__u32 count;
	int ret;

	/* Deleting while walking the batch cursor skips buckets: walk
	 * until a pass finds nothing. */
	for (;;) {
		__u64 pass = 0;

		first = true;
		for (;;) {
			count = 8192;
			ret = bpf_map_lookup_and_delete_batch(
				fd, first ? NULL : &in, &out, keys, vals,
				&count, NULL);
			if (ret && errno != ENOENT)
				die("flow table clear: %s\n", strerror(errno));
			pass += count;
			if (ret)
				break;
			in = out;
			first = false;
		}
		n += pass;
		if (!pass)
			break;
	}
	return n;
}

static void ft4_count_one(void *arg, struct xlb_ft_way *w, __u64 kw,
			  __u64 meta, const __be32 *addr)
{
	(*(__u64 *)arg)++;
}

/* Empty flows4 (no packet in flight); returns how many flows it held. */
static __u64 flows4_clear(struct lb_inst *li)
{
	__u64 n = 0;

	xlb_ft_walk(&li->ft4, 0, li->ft4.nbuckets, ft4_count_one, &n);
	memset(li->ft4.tab, 0, li->ft4.bytes);
	return n;
}

/* Empty flows6 (no packet in flight); returns how many flows it held. */
static __u64 flows6_clear(struct lb_inst *li)
{
	__u64 n = 0;

	xlb_ft_walk(&li->ft6, 0, li->ft6.nbuckets, ft4_count_one, &n);
	memset(li->ft6.tab, 0, li->ft6.bytes);
	memset(li->ft6.keys, 0, (size_t)li->ft6.nbuckets *
					sizeof(*li->ft6.keys));
	return n;
}

/* The sum of li's stats_backend entries of service svc's back ends (svc
 * 0: of every id, what tx_forwarded derives from). */
static struct lb_counters be_sum(struct lb_inst *li, __u32 svc)
{
	int ncpu = libbpf_num_possible_cpus(), c;
	struct lb_counters v[ncpu], sum = {};
	struct backend_info bi;
	__u32 id, n = bpf_map__max_entries(li->skel->maps.stats_backend);

	for (id = 0; id < n; id++) {
		if (bpf_map_lookup_elem(bpf_map__fd(li->skel->maps.backends),
					&id, &bi) ||
		    (svc && (bi.state == XLB_BE_UNUSED || bi.svc_id != svc)) ||
		    bpf_map_lookup_elem(
			    bpf_map__fd(li->skel->maps.stats_backend), &id, v))
			continue;
		for (c = 0; c < ncpu; c++)
			xlb_counters_add(&sum, &v[c]);
	}
	return sum;
}

/* Packets per reason of an instance (sum over CPUs), tx_forwarded derived
 * as the controller does (ctl/counters.h). */
static void reasons_get(struct lb_inst *li, __u64 *pk)
{
	int ncpu = libbpf_num_possible_cpus(), c;
	struct reason_counters rc[ncpu], sum[XLB_REASON_MAX], failed = {};
	struct lb_counters be = be_sum(li, 0);
	__u32 r;

	for (r = 0; r < XLB_REASON_MAX; r++) {
		memset(&sum[r], 0, sizeof(sum[r]));
		if (bpf_map_lookup_elem(
			    bpf_map__fd(li->skel->maps.stats_reason), &r, rc))
			continue;
		for (c = 0; c < ncpu; c++)
			sum[r].packets += rc[c].packets;
	}
	r = XLB_REASON_FWD_FAILED;
	if (!bpf_map_lookup_elem(bpf_map__fd(li->skel->maps.stats_reason), &r,
				 rc))
		for (c = 0; c < ncpu; c++)
			failed.packets += rc[c].packets;
	xlb_reasons_derive(sum, &failed, &be);
	for (r = 0; r < XLB_REASON_MAX; r++)
		pk[r] = sum[r].packets;
}

/* The hit path cut after stage `stages` (ablate.bpf.c), on li's maps;
 * old: stage 6 counts as the data path did before (three writes). */
static int ablate_load(struct ablate **out, struct lb_inst *li, __u32 stages,
		       bool old)
{
	struct xdp_lb *l = li->skel;
	struct ablate *a;
	int err = 0;

	a = ablate__open();
	if (!a)
		die("cannot open ablate: %s\n", strerror(errno));
	a->rodata->stages = stages;
	a->rodata->flow_mask = li->ft4.nbuckets - 1;
	a->rodata->old_counters = old;
	memcpy((void *)a->rodata->if_mac, LB_MAC, ETH_ALEN);
	err |= bpf_map__reuse_fd(a->maps.vip_tab4, bpf_map__fd(l->maps.vip_tab4));
	err |= bpf_map__reuse_fd(a->maps.vip_tab6, bpf_map__fd(l->maps.vip_tab6));
	err |= bpf_map__reuse_fd(a->maps.svc_tables,
				 bpf_map__fd(l->maps.svc_tables));
	err |= bpf_map__reuse_fd(a->maps.backends, bpf_map__fd(l->maps.backends));
	err |= bpf_map__reuse_fd(a->maps.flows4, bpf_map__fd(l->maps.flows4));
	err |= bpf_map__reuse_fd(a->maps.stats_svc_drop,
				 bpf_map__fd(l->maps.stats_svc_drop));
	err |= bpf_map__reuse_fd(a->maps.stats_backend,
				 bpf_map__fd(l->maps.stats_backend));
	err |= bpf_map__reuse_fd(a->maps.stats_reason,
				 bpf_map__fd(l->maps.stats_reason));
	err |= bpf_map__set_max_entries(a->maps.flows6, 1);
	err |= bpf_map__set_max_entries(a->maps.flows6_keys, 1);
	if (err)
		die("ablate: cannot reuse the maps\n");
	err = ablate__load(a);
	if (err)
		die("cannot load ablate (stages %u): %s\n", stages,
		    strerror(-err));
	*out = a;
	return bpf_program__fd(a->progs.xdp_ablate);
}

static void cycle_load(void)
{
	int err;

	cyc = cycle__open();
	if (!cyc)
		die("cannot open cycle: %s\n", strerror(errno));
	err = cycle__load(cyc);
	if (err)
		die("cannot load cycle: %s\n", strerror(-err));
	cyc_prog = bpf_program__fd(cyc->progs.xdp_cycle);
	cyc6_prog = bpf_program__fd(cyc->progs.xdp_cycle6);
	rst_prog = bpf_program__fd(cyc->progs.xdp_restore);
	cyc_cpu_prog = bpf_program__fd(cyc->progs.xdp_cycle_cpu);
	cyc6_cpu_prog = bpf_program__fd(cyc->progs.xdp_cycle6_cpu);
	cyc_target = bpf_map__fd(cyc->maps.target);
}

/* New flows of a service: the sum of its back ends' (ctl/counters.h; a
 * bench instance neither drops nor removes back ends). */
static __u64 new_flows_count(struct lb_inst *li, __u32 svc)
{
	return be_sum(li, svc).new_flows;
}

/* -O: another build of xdp_lb.bpf.o (e.g. main's), loaded on li's maps:
 * every map of the same name reused, its rodata (settings.h) copied from
 * li's. Returns its program's fd; the object stays loaded. */
static const char *other_obj;

static int other_load(struct lb_inst *li)
{
	static struct lb_inst *last_li;
	static int last_fd = -1;
	const void *ro;
	struct bpf_object *obj;
	struct bpf_map *m, *mine;
	size_t rosz;
	int err = 0;

	if (li == last_li)
		return last_fd;
	obj = bpf_object__open_file(other_obj, NULL);
	if (!obj)
		die("cannot open %s: %s\n", other_obj, strerror(errno));
	ro = bpf_map__initial_value(li->skel->maps.rodata, &rosz);
	bpf_object__for_each_map(m, obj) {
		if (bpf_map__is_internal(m)) {
			if (!strstr(bpf_map__name(m), ".rodata"))
				continue;
			if (bpf_map__value_size(m) != rosz)
				die("%s: its rodata is not this one's\n",
				    other_obj);
			err |= bpf_map__set_initial_value(m, ro, rosz);
			continue;
		}
		mine = bpf_object__find_map_by_name(li->skel->obj,
						    bpf_map__name(m));
		if (mine)
			err |= bpf_map__reuse_fd(m, bpf_map__fd(mine));
	}
	if (err)
		die("%s: cannot reuse the maps\n", other_obj);
	err = bpf_object__load(obj);
	if (err)
		die("cannot load %s: %s\n", other_obj, strerror(-err));
	last_li = li;
	last_fd = bpf_program__fd(bpf_object__find_program_by_name(obj,
								   "xdp_lb"));
	return last_fd;
}

/* A prototype row's path check, outside the timing: a hit run inserts
 * nothing; a new-flow run inserts one flow a packet, and the table holds
 * them (bar evictions from full buckets, reported). Non-zero: failed. */
static int ft_check(struct scenario *sc, __u32 n, const __u64 *ev0)
{
	__u64 ev[FT_EV_N], ins, evict, busy;
	struct ft_sweep_res res;

	ft_events(sc->ft, ev, FT_EV_N);
	ins = ev[0] - ev0[0];
	evict = ev[1] - ev0[1];
	busy = ev[2] - ev0[2];
	if (ev[4] != ev0[4]) {
		/* a hit whose meta is not its key's: the way was placed
		 * without the flow's hash tag, or torn */
		fprintf(stderr, "bench_pkt: %s: %llu torn hits\n", sc->name,
			(unsigned long long)(ev[4] - ev0[4]));
		return 1;
	}
	if (!sc->new_flows) {
		/* a flow that found its bucket full at the fill (or was
		 * evicted by one) is inserted again: counted, not failed
		 * while it stays under 0.1% of the run */
		if (ins || busy)
			fprintf(stderr, "bench_pkt: %s: %llu inserts (%llu "
					"evicting), %llu given up in a hit "
					"run of %u\n",
				sc->name, (unsigned long long)ins,
				(unsigned long long)evict,
				(unsigned long long)busy, n);
		return busy || ins * 1000 > n;
	}
	ft_sweep(sc->ft, ft_now16(), NULL, 0, NULL, 0, &res);
	if (ins != n || res.live + evict != n)
		fprintf(stderr, "bench_pkt: %s: %llu inserts of %u packets, "
				"%llu flows in the table, %llu evicted\n",
			sc->name, (unsigned long long)ins, n,
			(unsigned long long)res.live,
			(unsigned long long)evict);
	else if (evict)
		fprintf(stderr, "bench_pkt: %s: %llu of %u new flows evicted "
				"another (full buckets)\n",
			sc->name, (unsigned long long)evict, n);
	return ins != n || res.live + evict != n;
}

/* ft_check for an IPv6 prototype row (bench/flowtab6.bpf.c): no torn
 * hit; a hit run inserts nothing; a new-flow run one flow a packet, all
 * in the table bar evictions. Non-zero: failed. */
static int ft6_check(struct scenario *sc, __u32 n, const __u64 *ev0)
{
	__u64 ev[FT_EV_N], ins, evict, busy, torn;
	struct ft_sweep_res res;

	ft6_events(sc->ft6, ev, FT_EV_N);
	ins = ev[FT6_EV_INSERT] - ev0[FT6_EV_INSERT];
	evict = ev[FT6_EV_EVICT] - ev0[FT6_EV_EVICT];
	busy = ev[FT6_EV_BUSY] - ev0[FT6_EV_BUSY];
	torn = ev[FT6_EV_TORN] - ev0[FT6_EV_TORN];
	if (torn || (!sc->new_flows && (ins || busy))) {
		fprintf(stderr, "bench_pkt: %s: %llu torn, %llu inserts, %llu "
				"given up in a hit run of %u\n", sc->name,
			(unsigned long long)torn, (unsigned long long)ins,
			(unsigned long long)busy, n);
		return torn || ins * 1000 > n || busy;
	}
	if (!sc->new_flows)
		return 0;
	ft6_sweep(sc->ft6, ft_now16(), NULL, 0, NULL, 0, &res);
	if (ins != n || res.live + evict != n) {
		fprintf(stderr, "bench_pkt: %s: %llu inserts of %u packets, "
				"%llu flows in the table, %llu evicted\n",
			sc->name, (unsigned long long)ins, n,
			(unsigned long long)res.live,
			(unsigned long long)evict);
		return 1;
	}
	if (evict)
		fprintf(stderr, "bench_pkt: %s: %llu of %u new flows evicted "
				"another (full buckets)\n",
			sc->name, (unsigned long long)evict, n);
	return 0;
}

/* Run a scenario once; returns ns/packet, the kernel's figure in *kns. */
static double run_one(struct scenario *sc, double *kns)
{
	static __u8 out[256];
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = sc->pkt->data,
		    .data_size_in = sc->pkt->len);
	__u64 before[XLB_REASON_MAX], after[XLB_REASON_MAX], nf0 = 0;
	__u32 key = 0, n, i;
	__u64 t0, t1, ksum = 0, ev0[FT_EV_N] = {};
	int fd;

	if (sc->prep)
		sc->prep(sc);
	if (sc->ft)
		ft_events(sc->ft, ev0, FT_EV_N);
	if (sc->ft6)
		ft6_events(sc->ft6, ev0, FT_EV_N);
	fd = sc->prog;
	if (sc->m != M_REPEAT) {
		if (bpf_map_update_elem(cyc_target, &key, &sc->prog, 0))
			die("%s: target: %s\n", sc->name, strerror(errno));
		cyc->bss->seq = 0;
		cyc->bss->mask = sc->mask;
		fd = sc->v6 ? cyc6_prog : cyc_prog;
	}
	if (sc->m == M_RESTORE) {
		if (sc->pkt->len != sizeof(cyc->bss->orig))
			die("%s: restore needs a %zu-byte frame\n", sc->name,
			    sizeof(cyc->bss->orig));
		memcpy(cyc->bss->orig, sc->pkt->data, sc->pkt->len);
		o.data_out = out;
		o.data_size_out = sizeof(out);
		fd = rst_prog;
	}
	if (sc->check_path) {
		reasons_get(sc->li, before);
		/* the last iteration's output (restore rows set it above) */
		o.data_out = out;
		o.data_size_out = sizeof(out);
	}
	if (sc->v6 && sc->li)
		nf0 = new_flows_count(sc->li, SVC6);
	if (sc->m == M_SINGLE) {
		o.repeat = 1;
		n = calls;
		t0 = now_ns();
		for (i = 0; i < n; i++) {
			if (bpf_prog_test_run_opts(fd, &o))
				die("%s: test run: %s\n", sc->name,
				    strerror(errno));
			if ((int)o.retval != sc->expect)
				break;
			ksum += o.duration;
		}
		t1 = now_ns();
	} else {
		o.repeat = n = sc->n && sc->n < repeat ? sc->n : repeat;
		t0 = now_ns();
		if (bpf_prog_test_run_opts(fd, &o))
			die("%s: test run: %s\n", sc->name, strerror(errno));
		t1 = now_ns();
		ksum = (__u64)o.duration * n;
	}
	if ((int)o.retval != sc->expect)
		die("%s: verdict %u, expected %d\n", sc->name, o.retval,
		    sc->expect);
	if (sc->check_path) {
		__u64 others = 0;
		__u32 r;
		bool ok;

		reasons_get(sc->li, after);
		for (r = 0; r < XLB_REASON_MAX; r++)
			if (r != sc->reason)
				others += after[r] - before[r];
		ok = after[sc->reason] - before[sc->reason] == n && !others;
		if (!ok)
			fprintf(stderr,
				"bench_pkt: %s: reason %u counted %llu of %u "
				"packets, %llu elsewhere (drop_encap %llu, "
				"drop_nat_no_port %llu)\n",
				sc->name, sc->reason,
				(unsigned long long)(after[sc->reason] -
						     before[sc->reason]),
				n, (unsigned long long)others,
				(unsigned long long)(after[XLB_DROP_ENCAP] -
						     before[XLB_DROP_ENCAP]),
				(unsigned long long)(after[XLB_DROP_NAT_NO_PORT] -
						     before[XLB_DROP_NAT_NO_PORT]));
		/* the last iteration's output */
		if (sc->mode == FWD_TUNNEL &&
		    (o.data_size_out != sc->pkt->len + 20 ||
		     out[12] != 0x08 || out[13] != 0 ||
		     out[ETH_HLEN + 9] != IPPROTO_IPIP)) {
			fprintf(stderr, "bench_pkt: %s: output is not IPIP "
					"(%u bytes)\n",
				sc->name, o.data_size_out);
			ok = false;
		}
		if (sc->mode == FWD_NAT) {
			__u32 src, vip;

			inet_pton(AF_INET, NAT_SRC4, &src);
			inet_pton(AF_INET, VIP4, &vip);
			if (o.data_size_out != sc->pkt->len ||
			    memcmp(out + ETH_HLEN + 12, &src, 4) ||
			    !memcmp(out + ETH_HLEN + 16, &vip, 4) ||
			    memcmp(out + ETH_ALEN, INT_MAC, ETH_ALEN)) {
				fprintf(stderr, "bench_pkt: %s: output not "
						"translated\n", sc->name);
				ok = false;
			}
		}
		if (sc->mode == FWD_DSR && o.data_size_out != sc->pkt->len)
			ok = false;
		if (sc->v6) {
			/* IPv6 DSR: the last flow went to its back end */
			__u32 k = sc->m == M_REPEAT ?
					  0 :
					  ((n - 1) * 0x9e3779b1u) & sc->mask;
			__u32 id = backend6(sc->li, k);
			__u8 mac[ETH_ALEN] = { 0x02, 0xbe, 0, 0, id >> 8,
					       id & 0xff };
			__u64 nf = new_flows_count(sc->li, SVC6) - nf0;

			if (memcmp(out, mac, ETH_ALEN) ||
			    memcmp(out + ETH_ALEN, LB_MAC, ETH_ALEN)) {
				fprintf(stderr, "bench_pkt: %s: last packet "
						"not sent to back end %u (to "
						"%02x:%02x:%02x:%02x:%02x:%02x, "
						"%u bytes)\n",
					sc->name, id, out[0], out[1], out[2],
					out[3], out[4], out[5],
					o.data_size_out);
				ok = false;
			}
			/* hits: a flow that found its bucket full at the
			 * fill (0.4% at half of max_flows, docs/modes.md)
			 * is new to the run, and replaces another way */
			if (sc->new_flows ? nf != n : nf > n / 50) {
				fprintf(stderr, "bench_pkt: %s: %llu new flows "
						"counted in %u packets\n",
					sc->name, (unsigned long long)nf, n);
				ok = false;
			}
		}
		if (!ok)
			sc->bad++;
	}
	if (sc->ft && ft_check(sc, n, ev0))
		sc->bad++;
	if (sc->ft6 && ft6_check(sc, n, ev0))
		sc->bad++;
	if (sc->new_flows && sc->ft) {
		ft_clear(sc->ft);
	} else if (sc->new_flows && sc->ft6) {
		ft6_clear(sc->ft6);
	} else if (sc->new_flows) {
		__u64 got = sc->v6 ? flows6_clear(sc->li) :
				     flows4_clear(sc->li);

		if (got != n) {
			fprintf(stderr,
				"bench_pkt: %s: %llu flows in the table after "
				"%u new ones (full buckets replaced ways)\n",
				sc->name, (unsigned long long)got, n);
		}
		if (sc->mode == FWD_NAT) {
			got = map_clear(bpf_map__fd(sc->li->skel->maps.nat_rev));
			if (got != n) {
				fprintf(stderr,
					"bench_pkt: %s: %llu nat mappings "
					"after %u new flows\n",
					sc->name, (unsigned long long)got, n);
				sc->bad++;
			}
		}
	}
	*kns = (double)ksum / n;
	return (double)(t1 - t0) / n;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void stats(const double *v, int n, double *med, double *lo, double *hi)
{
	double s[MAX_ROUNDS];

	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), cmp_double);
	*lo = s[0];
	*hi = s[n - 1];
	*med = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static void pkt_make(struct pkt *p, const char *dst, __u8 flags)
{
	struct pkt_spec s = {
		.family = strchr(dst, ':') ? AF_INET6 : AF_INET,
		.saddr = strchr(dst, ':') ? CLIENT6 : CLIENT4, .daddr = dst,
		.proto = IPPROTO_TCP, .sport = 1024, .dport = 80,
		.tcp_flags = flags, .payload = 6, /* 60 bytes; IPv6: 80 */
	};
	char err[128];

	if (build_pkt(&s, p, err, sizeof(err)))
		die("%s\n", err);
}

/* Program size as the kernel holds it (what `bpftool prog show` says). */
static void prog_size(const char *name, int fd)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return;
	printf("# %-24s %5u insns xlated, %6u bytes jited\n", name,
	       info.xlated_prog_len / 8, info.jited_prog_len);
}


/*
 * The rows of issue 14's table for the current path (dsr, 100 back ends,
 * behind the cycle wrapper, so against the cycle floor): hits over 2^16
 * and (-B) 2^22 flows, new flows into a table never used (a new instance
 * before every run) and into one emptied before; and with -f the same
 * rows on the prototype (bench/flowtab.bpf.c), each paired with its
 * current-path twin (printed as a per-round ratio).
 */
#define FT_NEW_BUCKETS (1u << 20) /* the default max_flows: 64 B a flow */
static struct lb_inst never, big;
static struct ft_inst ft_hit, ft_big, ft_never, ft_empt, ft_c3, ft_vh;
static struct ft_inst ft_2c, ft_2c_empt; /* two-choice variant */
/* two-choice, 2^19 flows in 2^19 and 2^18 buckets (32 and 16 MiB instead
 * of 64): fewer pages, fewer TLB misses (BPF maps get no huge pages) */
static struct ft_inst ft_2c_19, ft_2c_18;
static __u32 make_two_choice; /* ft_make's next instance */
static bool with_ft, with_big, focus, with_two;

static void ft_make(struct ft_inst *fi, struct lb_inst *li, __u32 nbuckets,
		    __u32 nflows, __u32 vip_inline, __u32 counters,
		    int flows_fd)
{
	struct ft_opts o = { .nbuckets = nbuckets, .vip_inline = vip_inline,
			     .counters = counters, .share = li->skel,
			     .table_size = XLB_DEFAULT_TABLE_SIZE,
			     .flows_fd = flows_fd,
			     .two_choice = make_two_choice };
	__u32 vip, k, lost = 0;
	__u16 now = ft_now16();
	int err;

	memcpy(o.if_mac, LB_MAC, ETH_ALEN);
	err = ft_load(fi, &o);
	if (err)
		die("cannot load the prototype: %s\n", strerror(-err));
	inet_pton(AF_INET, VIP4, &vip);
	if (ft_vip_add(fi, vip, htons(80), IPPROTO_TCP, SVC4, 0))
		die("prototype: VIP table full\n");
	vip_hash_set(bpf_map__fd(fi->skel->maps.vips_v4)); /* vip_inline 0 */
	for (k = 0; k < nflows; k++) {
		struct flow_key_v4 fk;
		__u64 h;

		flow_key(k, vip, &fk);
		h = ft_hash(fk.src, fk.dst, (__u32)fk.sport << 16 | fk.dport,
			    IPPROTO_TCP, FT_HASH_SEED);
		if (!ft_place(fi, h, ft_kw(fk.src, fk.sport, SVC4),
			      ft_meta(li->table4[ft_slot(h, XLB_DEFAULT_TABLE_SIZE)],
				      FT_TAG(h), now, XLB_FLOW_ESTABLISHED)))
			lost++;
	}
	if (lost)
		fprintf(stderr, "prototype: %u of %u flows found their bucket "
				"full (%u buckets)\n", lost, nflows, nbuckets);
}

/* A table never used: a new instance before the run. */
/* -T: read one bucket of every page of a new flows4 through the
 * kernel's own mapping of the array (a lookup syscall each) before the
 * never-used run: the row then pays no first kernel touch of a page. */
static bool never_touch;

static void prep_never(struct scenario *sc)
{
	struct xlb_ft_bucket b;
	__u32 i, n;
	int fd;

	xdp_lb__destroy(never.skel);
	free(never.table4);
	lb_load(&never, 100, 0, FWD_DSR);
	sc->prog = never.prog;
	if (!never_touch)
		return;
	fd = bpf_map__fd(never.skel->maps.flows4);
	n = bpf_map__max_entries(never.skel->maps.flows4);
	for (i = 0; i < n; i += 4096 / sizeof(b))
		bpf_map_lookup_elem(fd, &i, &b);
}

static bool ft_prefault; /* -P: write every page of a new table once */

static void prep_ft_never(struct scenario *sc)
{
	ft_destroy(&ft_never);
	ft_make(&ft_never, &never, FT_NEW_BUCKETS, 0, 1, 1, 0);
	if (ft_prefault)
		for (size_t off = 0; off < ft_never.bytes; off += 4096)
			((volatile char *)ft_never.tab)[off] = 0;
	sc->prog = ft_never.prog;
}

/* Fill a flow table with 10^6 flows and empty it, as a table that
 * has served flows before (the free list's order changes: issue 14). */
static void lb_use_once(struct lb_inst *li)
{
	struct flow_key_v4 fk;
	__u32 vip, i;
	__u64 h;

	inet_pton(AF_INET, VIP4, &vip);
	for (i = 0; i < 1000000; i++) {
		flow_key(NFLOWS * 2 + i, vip, &fk);
		h = flow_hash(&fk, sizeof(fk));
		xlb_ft_place(&li->ft4, h, xlb_ft_kw(fk.src, fk.sport, SVC4),
			     xlb_ft_meta(1, 0, 0, XLB_FLOW_SYN));
	}
	flows4_clear(li);
}

static int add_issue_rows(struct scenario *sc, int ns, struct lb_inst *hit1,
			  struct lb_inst *fresh1, const struct pkt *ack,
			  const struct pkt *syn, const struct pkt *other)
{
	int cur[16], n = 0, i;
	struct {
		const char *name;
		struct lb_inst *li;
		const struct pkt *pkt;
		__u32 mask;
		void (*prep)(struct scenario *);
		int expect;
	} rows[] = {
		{ "pass (not a VIP)", hit1, other, 0, NULL, XDP_PASS },
		{ "hit, 1 flow", hit1, ack, 0, NULL, XDP_TX },
		{ "hit, 2^16 flows", hit1, ack, (1u << 16) - 1, NULL, XDP_TX },
		{ "hit, 2^19 flows", hit1, ack, NFLOWS - 1, NULL, XDP_TX },
		{ "hit, 2^22 flows", &big, ack, (1u << 22) - 1, NULL, XDP_TX },
		{ "new, never-used", &never, syn, NEW_MASK, prep_never, XDP_TX },
		{ "new, emptied", fresh1, syn, NEW_MASK, NULL, XDP_TX },
	};
	struct ft_inst *ft[] = { &ft_hit, &ft_hit, &ft_hit, &ft_hit, &ft_big,
				 &ft_never, &ft_empt };

	for (i = 0; i < (int)(sizeof(rows) / sizeof(rows[0])); i++) {
		if (!rows[i].li->skel)
			continue;
		cur[i] = ns;
		sc[ns++] = (struct scenario){
			.m = M_CYCLE, .prog = rows[i].li->prog,
			.li = rows[i].li, .pkt = rows[i].pkt,
			.mask = rows[i].mask, .expect = rows[i].expect,
			.new_flows = rows[i].mask == NEW_MASK,
			.prep = rows[i].prep };
		snprintf(sc[ns - 1].name, sizeof(sc[0].name), "cur %s",
			 rows[i].name);
		if (other_obj && i <= 1) { /* -O: pass and the cache-hot hit */
			sc[ns] = sc[ns - 1];
			sc[ns].prog = other_load(hit1);
			sc[ns].li = NULL;
			sc[ns - 1].vs = ns + 1;
			snprintf(sc[ns].name, sizeof(sc[0].name), "-O cur %s",
				 rows[i].name);
			ns++;
		}
	}
	for (i = 0; with_ft && i < (int)(sizeof(rows) / sizeof(rows[0])); i++) {
		if (!rows[i].li->skel)
			continue;
		sc[ns] = sc[cur[i]];
		sc[ns].li = NULL;
		sc[ns].ft = ft[i];
		sc[ns].prog = ft[i]->prog;
		sc[ns].prep = rows[i].prep ? prep_ft_never : NULL;
		sc[ns].vs = cur[i] + 1;
		snprintf(sc[ns].name, sizeof(sc[0].name), "ft %s", rows[i].name);
		ns++;
		n++;
	}
	/* variants: the VIP in the hash map; all three counters;
	 * two-choice buckets */
	for (i = 0; with_ft && i < 9; i++) {
		static const char *const vn[] = { "vip-hash", "vip-hash",
						  "3 counters", "3 counters",
						  "2-choice", "2-choice",
						  "2-choice", "2c 32MiB",
						  "2c 16MiB" };
		static const int vrow[] = { 0, 1, 1, 3, 1, 3, 6, 3, 3 };
		struct ft_inst *v = i < 2 ? &ft_vh : i < 4 ? &ft_c3 :
				    i < 6 ? &ft_2c : i < 7 ? &ft_2c_empt :
				    i < 8 ? &ft_2c_19 : &ft_2c_18;
		int row = vrow[i];

		sc[ns] = sc[cur[row]];
		sc[ns].li = NULL;
		sc[ns].ft = v;
		sc[ns].prog = v->prog;
		sc[ns].vs = cur[row] + 1;
		snprintf(sc[ns].name, sizeof(sc[0].name), "ft %s %s", vn[i],
			 rows[row].name);
		ns++;
	}
	return ns;
}

/* The prototype's instances (-f), on hit1's (and big's) maps. */
static void ft_setup(struct lb_inst *hit1)
{
	ft_make(&ft_hit, hit1, FT_NEW_BUCKETS, NFLOWS, 1, 1, 0);
	ft_make(&ft_c3, hit1, FT_NEW_BUCKETS, 0, 1, 3,
		bpf_map__fd(ft_hit.skel->maps.ft_flows));
	ft_make(&ft_vh, hit1, FT_NEW_BUCKETS, 0, 0, 1,
		bpf_map__fd(ft_hit.skel->maps.ft_flows));
	ft_make(&ft_empt, hit1, FT_NEW_BUCKETS, 1000000, 1, 1, 0);
	ft_clear(&ft_empt); /* used before, as lb_use_once */
	ft_make(&ft_never, hit1, FT_NEW_BUCKETS, 0, 1, 1, 0);
	if (big.skel)
		ft_make(&ft_big, &big, 1u << 23, 1u << 22, 1, 1, 0);
	make_two_choice = 1;
	ft_make(&ft_2c, hit1, FT_NEW_BUCKETS, NFLOWS, 1, 1, 0);
	ft_make(&ft_2c_empt, hit1, FT_NEW_BUCKETS, 1000000, 1, 1, 0);
	ft_clear(&ft_2c_empt);
	ft_make(&ft_2c_19, hit1, 1u << 19, NFLOWS, 1, 1, 0);
	ft_make(&ft_2c_18, hit1, 1u << 18, NFLOWS, 1, 1, 0);
	make_two_choice = 0;
}

/*
 * IPv6 (-6): the two layouts of bench/flowtab6.bpf.c beside the current
 * IPv6 path (flows6) of the same instances, dsr, 100 back
 * ends, behind xdp_cycle6, against the IPv6 cycle floor. Both prototypes
 * do what the data path does around the flow table (VIP in the vips_v6
 * hash map, three counters), so only the flow table and its hash differ.
 * Same memory as IPv4's prototype per way: 4M ways, 128 MiB (fp: 2^20
 * buckets + 2^20 key lines; wide: 2^21 buckets), both with the two-choice
 * overflow (how many flows would not fit without it is printed).
 */
static bool with_ft6;
static struct ft6_inst ft6_hit[2], ft6_empt[2];
static const char *const ft6_names[2] = { "fp", "wide" };

static void ft6_make(struct ft6_inst *fi, struct lb_inst *li, __u32 layout,
		     __u32 two_choice, __u32 nflows)
{
	struct ft6_opts o = { .nbuckets = layout == FT6_FP ? 1u << 20 :
							     1u << 21,
			      .layout = layout, .two_choice = two_choice,
			      .counters = 3, .share = li->skel,
			      .table_size = XLB_DEFAULT_TABLE_SIZE };
	__u32 vip[4], k, lost = 0;
	__u16 now = ft_now16();
	int err;

	memcpy(o.if_mac, LB_MAC, ETH_ALEN);
	err = ft6_load(fi, &o);
	if (err)
		die("cannot load the IPv6 prototype: %s\n", strerror(-err));
	vip6_hash_set(bpf_map__fd(fi->skel->maps.vips_v6));
	inet_pton(AF_INET6, VIP6, vip);
	for (k = 0; k < nflows; k++) {
		struct flow_key_v6 fk;
		__u64 h, a0, a1;

		flow_key6(k, vip, &fk);
		h = ft6_hash(fk.src, vip, (__u32)fk.sport << 16 | fk.dport,
			     IPPROTO_TCP, FT_HASH_SEED);
		ft6_addr(fk.src, &a0, &a1);
		if (!ft6_place(fi, h, ft6_kw(h, fk.sport, SVC6), a0, a1,
			       ft_meta(li->table6[ft_slot(h, XLB_DEFAULT_TABLE_SIZE)],
				       FT_TAG(h), now, XLB_FLOW_ESTABLISHED)))
			lost++;
	}
	if (lost || !two_choice)
		fprintf(stderr, "IPv6 prototype %s%s: %u of %u flows found "
				"their bucket%s full\n", ft6_names[layout],
			two_choice ? " (two-choice)" : "", lost, nflows,
			two_choice ? "s" : "");
}

/* flows6 used once (10^6 flows) and emptied, as lb_use_once. */
static void lb_use_once6(struct lb_inst *li)
{
	struct flow_key_v6 fk;
	__u32 vip[4], i;
	__u64 h;

	inet_pton(AF_INET6, VIP6, vip);
	for (i = 0; i < 1000000; i++) {
		flow_key6(NFLOWS * 2 + i, vip, &fk);
		h = flow_hash(&fk, sizeof(fk));
		xlb_ft6_place(&li->ft6, h, xlb_ft6_kw(h, fk.sport, SVC6),
			      fk.src, xlb_ft_meta(li->nbe + 1, 0, 0,
						  XLB_FLOW_SYN));
	}
	flows6_clear(li);
}

static void ft6_setup(struct lb_inst *hit1, struct lb_inst *fresh1)
{
	struct ft6_inst lossy;

	for (int l = 0; l < 2; l++) {
		ft6_make(&ft6_hit[l], hit1, l, 1, NFLOWS);
		ft6_make(&ft6_empt[l], fresh1, l, 1, 1000000);
		ft6_clear(&ft6_empt[l]); /* used before */
		/* without the overflow: how many would not fit */
		ft6_make(&lossy, hit1, l, 0, NFLOWS);
		ft6_destroy(&lossy);
	}
	lb_use_once6(fresh1);
}

static int add_ft6_rows(struct scenario *sc, int ns, struct lb_inst *hit1,
			struct lb_inst *fresh1, const struct pkt *ack6,
			const struct pkt *syn6)
{
	static const struct {
		const char *name;
		__u32 mask;
	} rows[] = {
		{ "hit, 1 flow", 0 },
		{ "hit, 2^16 flows", (1u << 16) - 1 },
		{ "hit, 2^19 flows", NFLOWS - 1 },
		{ "new, emptied", NEW_MASK },
	};
	int i, l, cur;

	for (i = 0; i < 4; i++) {
		bool nf = rows[i].mask == NEW_MASK;

		cur = ns;
		sc[ns++] = (struct scenario){
			.m = M_CYCLE, .v6 = true, .li = nf ? fresh1 : hit1,
			.prog = nf ? fresh1->prog : hit1->prog,
			.pkt = nf ? syn6 : ack6, .mask = rows[i].mask,
			.new_flows = nf, .expect = XDP_TX, .check_path = true,
			.reason = XLB_TX_FORWARDED, .mode = FWD_DSR };
		snprintf(sc[cur].name, sizeof(sc[0].name), "v6 cur %s",
			 rows[i].name);
		for (l = 0; l < 2; l++) {
			struct ft6_inst *fi = nf ? &ft6_empt[l] : &ft6_hit[l];

			sc[ns] = sc[cur];
			sc[ns].li = NULL;
			sc[ns].check_path = false;
			sc[ns].ft6 = fi;
			sc[ns].prog = fi->prog;
			sc[ns].vs = cur + 1;
			snprintf(sc[ns].name, sizeof(sc[0].name), "v6 ft %s %s",
				 ft6_names[l], rows[i].name);
			ns++;
		}
	}
	return ns;
}

static void empty_cur6(void *li)
{
	flows6_clear(li);
}

static void empty_ft6(void *fi)
{
	ft6_clear(fi);
}

/* Rows that -F (focus: issue 14's rows) keeps. */
static const char *only; /* -s: only rows whose name has it (and floors) */

static bool focus_keep(const struct scenario *sc)
{
	if (only)
		return sc->floor || strstr(sc->name, only);
	if (with_ft6) /* -F -6: the IPv6 rows of issue 14 only */
		return sc->v6 && sc->m == M_CYCLE &&
		       (sc->floor || !strncmp(sc->name, "v6 cur ", 7) ||
			!strncmp(sc->name, "v6 ft ", 6));
	if (sc->v6 || sc->m == M_SINGLE || strstr(sc->name, "stages") ||
	    strstr(sc->name, "nat"))
		return false;
	return sc->floor || sc->vs || !strncmp(sc->name, "cur ", 4) ||
	       !strncmp(sc->name, "-O ", 3) || strstr(sc->name, "100") ||
	       strstr(sc->name, "pass");
}

/* Issue 14's rows: x floor per round, by the userspace and the kernel's
 * timing (the kernel's leaves out the time the test was preempted: the
 * steadier one on a busy machine, in whole ns). */
static void print_issue_rows(struct scenario *sc, int ns, int floor)
{
	double u[MAX_ROUNDS], k[MAX_ROUNDS], um, ul, uh, km, kl, kh;
	int i, r;

	printf("# issue 14 rows (dsr, 100 back ends, behind the cycle "
	       "wrapper): x the cycle floor, userspace timing; the kernel's\n");
	for (i = 0; i < ns; i++) {
		if (strncmp(sc[i].name, "cur ", 4) &&
		    strncmp(sc[i].name, "ft ", 3))
			continue;
		for (r = 0; r < rounds; r++) {
			u[r] = sc[i].ns[r] / sc[floor].ns[r];
			k[r] = sc[i].kns[r] / sc[floor].kns[r];
		}
		stats(u, rounds, &um, &ul, &uh);
		stats(k, rounds, &km, &kl, &kh);
		printf("%-34s %6.2f (%5.2f-%6.2f)  kernel %6.2f (%5.2f-%6.2f)\n",
		       sc[i].name, um, ul, uh, km, kl, kh);
	}
}

/*
 * Two CPUs inserting new flows at once (-f, -2): the new-flow run (every
 * packet a new flow, behind xdp_cycle_cpu) on CPU 0 alone, then on CPUs
 * 0 and 1 at the same time (threads pinned); each CPU's kernel ns/packet
 * over the one-CPU figure. Every round measures the floor the same way
 * first: what two CPUs of this machine lose to each other when they share
 * nothing (a VM's vCPUs can lose much). Together, the two CPUs insert as
 * many flows as the one did alone. The wrapper counts per CPU, and
 * the CPUs start 2^28 flows apart: they make different flows. With a
 * second program (prog2, its table emptied by empty2), CPU 1 runs that
 * one: two CPUs inserting at once into tables of their own, the control
 * for what sharing one table costs.
 */
struct two_spec {
	const char *name;
	int prog, prog2; /* prog2: CPU 1's program, 0 = prog */
	void (*empty)(void *), (*empty2)(void *);
	void *arg, *arg2;
	const struct pkt *pkt;
	int wrap;
};

static int floor4_prog, floor6_prog;

struct two_arg {
	int cpu, wrap;
	__u32 n;
	double kns;
	pthread_barrier_t *bar;
	const struct pkt *pkt;
};

static void *two_run(void *a)
{
	struct two_arg *t = a;
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = t->pkt->data,
		    .data_size_in = t->pkt->len, .repeat = t->n);
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(t->cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
	if (t->bar)
		pthread_barrier_wait(t->bar);
	t->kns = bpf_prog_test_run_opts(t->wrap, &o) ? -1.0 :
							(double)o.duration;
	return NULL;
}

static void two_empty(const struct two_spec *sp)
{
	if (sp->empty)
		sp->empty(sp->arg);
	if (sp->empty2)
		sp->empty2(sp->arg2);
}

/* sp's program on CPU 0 alone, then on CPUs 0 and 1 at once: *one the
 * one-CPU ns/packet, the return the two CPUs' mean over it; flows from
 * base (per CPU: base, base + 2^28). */
static double two_pair(const struct two_spec *sp, __u32 n, __u32 base,
		       double *one)
{
	struct two_arg t[2] = {
		{ .cpu = 0, .n = n, .pkt = sp->pkt, .wrap = sp->wrap },
		{ .cpu = 1, .n = n / 2, .pkt = sp->pkt, .wrap = sp->wrap } };
	int prog2 = sp->prog2 ? sp->prog2 : sp->prog;
	pthread_barrier_t bar;
	__u32 k0 = 0, k1 = 1;
	pthread_t th[2];
	int i;

	if (bpf_map_update_elem(cyc_target, &k0, &sp->prog, 0) ||
	    bpf_map_update_elem(cyc_target, &k1, &prog2, 0))
		die("target: %s\n", strerror(errno));
	cyc->bss->seq = base;
	cyc->bss->cseq[0] = base;
	two_run(&t[0]);
	*one = t[0].kns;
	two_empty(sp);
	/* together as many flows as one CPU inserted alone: one table fills
	 * as far (a fuller table costs more per insert) */
	t[0].n = n / 2;
	cyc->bss->seq = base + n;
	cyc->bss->cseq[0] = base + n;
	cyc->bss->cseq[16] = base + (1u << 28); /* CPU 1's line */
	pthread_barrier_init(&bar, NULL, 2);
	for (i = 0; i < 2; i++) {
		t[i].bar = &bar;
		pthread_create(&th[i], NULL, two_run, &t[i]);
	}
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&bar);
	two_empty(sp);
	return (t[0].kns + t[1].kns) / 2 / *one;
}

static void two_cpus(const struct two_spec *sp)
{
	double one[MAX_ROUNDS], two[MAX_ROUNDS], fl[MAX_ROUNDS], rel[MAX_ROUNDS];
	double m, lo, hi, m2, lo2, hi2, mf, lof, hif, mr, lor, hir, f1;
	bool v6 = sp->wrap == cyc6_cpu_prog || sp->wrap == cyc6_prog;
	struct two_spec flr = { .prog = v6 ? floor6_prog : floor4_prog,
				.pkt = sp->pkt, .wrap = sp->wrap };
	__u32 n = 500000;
	int r;

	if (libbpf_num_possible_cpus() < 2)
		return;
	cyc->bss->mask = NEW_MASK;
	for (r = 0; r < rounds; r++) {
		fl[r] = two_pair(&flr, n, 0, &f1);
		two[r] = two_pair(sp, n, r * 4 * n, &one[r]);
		rel[r] = two[r] / fl[r];
	}
	stats(one, rounds, &m, &lo, &hi);
	stats(two, rounds, &m2, &lo2, &hi2);
	stats(fl, rounds, &mf, &lof, &hif);
	stats(rel, rounds, &mr, &lor, &hir);
	printf("%-12s new flows, one CPU %5.0f ns (%.0f-%.0f); two CPUs at "
	       "once, each x one: %.2f (%.2f-%.2f); the floor's: %.2f "
	       "(%.2f-%.2f); x the floor's, per round: %.2f (%.2f-%.2f)\n",
	       sp->name, m, lo, hi, m2, lo2, hi2, mf, lof, hif, mr, lor, hir);
}

static void empty_cur(void *li)
{
	flows4_clear(li);
}

static void empty_ft(void *fi)
{
	ft_clear(fi);
}

/* Per-round ratio of each prototype row to its current-path twin. */
static void print_pairs(struct scenario *sc, int ns)
{
	double v[MAX_ROUNDS], m, lo, hi;
	int i, r;

	printf("# row / its twin (a prototype / the current path; the current "
	       "path / -O's build or the old counters), same rounds: median "
	       "(min-max) of per-round ratios (userspace timing; the "
	       "kernel's)\n");
	for (i = 0; i < ns; i++) {
		if (!sc[i].vs || (focus && (!focus_keep(&sc[i]) ||
					    !focus_keep(&sc[sc[i].vs - 1]))))
			continue; /* not run */
		double k[MAX_ROUNDS], km, kl, kh;

		for (r = 0; r < rounds; r++) {
			v[r] = sc[i].ns[r] / sc[sc[i].vs - 1].ns[r];
			k[r] = sc[i].kns[r] / sc[sc[i].vs - 1].kns[r];
		}
		stats(v, rounds, &m, &lo, &hi);
		stats(k, rounds, &km, &kl, &kh);
		printf("%-34s / %-24s %5.2f (%4.2f-%4.2f)  kernel %5.2f "
		       "(%4.2f-%4.2f)\n", sc[i].name, sc[sc[i].vs - 1].name,
		       m, lo, hi, km, kl, kh);
	}
}

int main(int argc, char **argv)
{
	static struct scenario sc[128];
	static struct pkt ack, syn, other, ack6, syn6;
	struct lb_inst hit[NB] = {}, fresh[NB] = {};
	/* forwarding modes, 100 back ends: hit (2^19 flows) and new */
	struct lb_inst tun_hit[NB], tun_fresh[NB], nat_hit[NB], nat_fresh[NB];
	struct {
		const char *name;
		struct lb_inst *hit, *fresh;
		enum fwd_mode mode;
		int verdict;
		__u32 reason;
	} modes[1 + 2 * NB];
	int nmodes = 0;
	const char *datafile = NULL;
	char *ifaces = NULL, *tok, *save = NULL;
	int attached[12], nattached = 0, progs[12], nprogs = 0;
	struct ablate *abl[8];
	struct floor *fl;
	int ns = 0, i, r, opt, floor_of[4] = { -1, -1, -1, -1 };
	int floor6_of[4] = { -1, -1, -1, -1 }; /* the IPv6 rows' floors */
	__u64 t;

	while ((opt = getopt(argc, argv, "r:n:c:o:i:O:s:fFBPT62")) != -1) {
		switch (opt) {
		case 'f':
			with_ft = true;
			break;
		case 'F':
			focus = true;
			break;
		case 'B':
			with_big = true;
			break;
		case 'P':
			ft_prefault = true;
			break;
		case 'T':
			never_touch = true;
			break;
		case '6':
			with_ft6 = true;
			break;
		case '2':
			with_two = true;
			break;
		case 'r':
			rounds = atoi(optarg);
			break;
		case 'n':
			repeat = strtoul(optarg, NULL, 10);
			break;
		case 'c':
			calls = strtoul(optarg, NULL, 10);
			break;
		case 'o':
			datafile = optarg;
			break;
		case 'i':
			ifaces = optarg;
			break;
		case 'O':
			other_obj = optarg;
			break;
		case 's':
			only = optarg;
			focus = true;
			break;
		default:
			fprintf(stderr, "usage: bench_pkt [-r ROUNDS] "
					"[-n REPEAT] [-c CALLS] [-o DATAFILE] "
					"[-i IFACE,...] [-O XDP_LB_BPF_O] [-s ROW] [-f] [-F] [-B] [-T] "
					"[-P] [-6] [-2]\n");
			return 2;
		}
	}
	if (rounds < 1 || rounds > MAX_ROUNDS || !repeat || !calls) {
		fprintf(stderr, "bench_pkt: rounds 1..%d, repeat and calls > 0\n",
			MAX_ROUNDS);
		return 2;
	}
	libbpf_set_print(libbpf_print);
	pkt_make(&ack, VIP4, TF_ACK);
	pkt_make(&syn, VIP4, TF_SYN);
	pkt_make(&other, NOT_VIP4, TF_ACK);
	pkt_make(&ack6, VIP6, TF_ACK);
	pkt_make(&syn6, VIP6, TF_SYN);

	t = now_ns();
	fl = floor__open_and_load();
	if (!fl)
		die("cannot load the floor: %s\n", strerror(errno));
	floor4_prog = bpf_program__fd(fl->progs.xdp_floor);
	floor6_prog = bpf_program__fd(fl->progs.xdp_floor6);
	cycle_load();
	for (i = 0; i < NB; i++) {
		lb_load(&hit[i], nbe_list[i], NFLOWS, FWD_DSR);
		lb_load(&fresh[i], nbe_list[i], 0, FWD_DSR);
	}
	/* IPv6 DSR: 100 back ends only */
	lb_add_v6(&hit[1], NFLOWS);
	lb_add_v6(&fresh[1], 0);
	/* nat needs real interfaces for nat_ifindex and tx_ports: the first
	 * and the last idle veth of -i (down; nothing is sent: a test run
	 * without live frames only returns XDP_REDIRECT). */
	if (ifaces) {
		char *copy = strdup(ifaces), *last = strrchr(copy, ',');

		nat_int_ifindex = if_nametoindex(last ? last + 1 : copy);
		if (last)
			*last = 0;
		last = strchr(copy, ',');
		if (last)
			*last = 0;
		nat_ext_ifindex = if_nametoindex(copy);
		free(copy);
	}
	modes[nmodes++] = (typeof(modes[0])){ "dsr", &hit[1], &fresh[1],
					      FWD_DSR, XDP_TX,
					      XLB_TX_FORWARDED };
	/* tunnel and nat with 3, 100 and 1000 back ends (-F: tunnel 100) */
	for (i = 0; i < NB; i++) {
		if (focus && i != 1)
			continue;
		lb_load(&tun_hit[i], nbe_list[i], NFLOWS, FWD_TUNNEL);
		lb_load(&tun_fresh[i], nbe_list[i], 0, FWD_TUNNEL);
		modes[nmodes++] = (typeof(modes[0])){ "tunnel", &tun_hit[i],
						      &tun_fresh[i], FWD_TUNNEL,
						      XDP_TX,
						      XLB_TX_FORWARDED };
	}
	if (focus) {
		/* no nat rows */
	} else if (nat_int_ifindex && nat_ext_ifindex &&
	    nat_int_ifindex != nat_ext_ifindex) {
		for (i = 0; i < NB; i++) {
			lb_load(&nat_hit[i], nbe_list[i], NFLOWS, FWD_NAT);
			lb_load(&nat_fresh[i], nbe_list[i], 0, FWD_NAT);
			modes[nmodes++] = (typeof(modes[0])){
				"nat", &nat_hit[i], &nat_fresh[i], FWD_NAT,
				XDP_REDIRECT, XLB_REDIRECT_NAT };
		}
	} else {
		fprintf(stderr, "bench_pkt: no nat rows: nat needs two "
				"interfaces (-i)\n");
	}
	/* every new-flow row but "never-used": a table used before */
	for (i = 0; i < NB; i++)
		lb_use_once(&fresh[i]);
	for (i = 0; i < nmodes; i++)
		if (modes[i].fresh != &fresh[1])
			lb_use_once(modes[i].fresh);
	if (with_big) {
		load_max_flows = 1u << 22;
		lb_load(&big, 100, 1u << 22, FWD_DSR);
		load_max_flows = 0;
	}
	lb_load(&never, 100, 0, FWD_DSR);
	if (with_ft) {
		ft_setup(&hit[1]);
	}
	if (with_ft6)
		ft6_setup(&hit[1], &fresh[1]);
	fprintf(stderr, "setup: %.1f s (%d instances, %u flows pinned in %d, "
			"%u IPv6 flows in 1)\n",
		(now_ns() - t) / 1e9, 2 * NB + 2 * (nmodes - 1), NFLOWS,
		NB + nmodes - 1, NFLOWS);

	/* Programs run directly by the test runs: into the dispatcher. */
	progs[nprogs++] = bpf_program__fd(fl->progs.xdp_floor);
	progs[nprogs++] = cyc_prog;
	progs[nprogs++] = rst_prog;
	for (i = 0; i < NB; i++)
		progs[nprogs++] = hit[i].prog;
	progs[nprogs++] = bpf_program__fd(fl->progs.xdp_floor6);
	progs[nprogs++] = cyc6_prog;
	progs[nprogs++] = cyc_cpu_prog;
	progs[nprogs++] = cyc6_cpu_prog;
	for (tok = ifaces ? strtok_r(ifaces, ",", &save) : NULL;
	     tok && nattached < nprogs; tok = strtok_r(NULL, ",", &save)) {
		int ifindex = if_nametoindex(tok);

		if (!ifindex ||
		    bpf_xdp_attach(ifindex, progs[nattached],
				   XDP_FLAGS_DRV_MODE, NULL))
			die("cannot attach to '%s': %s\n", tok, strerror(errno));
		attached[nattached++] = ifindex;
	}
	if (nattached < nprogs)
		fprintf(stderr, "bench_pkt: %d of %d programs attached to idle "
				"veths (-i): the rest pay the XDP dispatcher "
				"update on every call\n",
			nattached, nprogs);

#define ADD(...) (sc[ns] = (struct scenario){ __VA_ARGS__ }, ns++)
	floor_of[M_REPEAT] = ns;
	ADD(.name = "floor", .m = M_REPEAT, .prog = bpf_program__fd(fl->progs.xdp_floor),
	    .pkt = &ack, .expect = XDP_TX, .floor = true);
	ADD(.name = "pass (not a VIP)", .m = M_REPEAT, .prog = hit[0].prog,
	    .li = &hit[0], .pkt = &other, .expect = XDP_PASS);
	for (i = 0; i < NB; i++) {
		ADD(.m = M_REPEAT, .prog = hit[i].prog, .li = &hit[i],
		    .pkt = &ack, .expect = XDP_TX);
		snprintf(sc[ns - 1].name, sizeof(sc[0].name), "hit, 1 flow, %d be",
			 nbe_list[i]);
	}
	floor6_of[M_REPEAT] = ns;
	ADD(.name = "v6 floor", .m = M_REPEAT, .v6 = true,
	    .prog = bpf_program__fd(fl->progs.xdp_floor6), .pkt = &ack6,
	    .expect = XDP_TX, .floor = true);
	ADD(.name = "v6 hit, 1 flow (100)", .m = M_REPEAT, .v6 = true,
	    .prog = hit[1].prog, .li = &hit[1], .pkt = &ack6, .expect = XDP_TX,
	    .check_path = true, .reason = XLB_TX_FORWARDED, .mode = FWD_DSR);
	floor_of[M_CYCLE] = ns;
	ADD(.name = "floor", .m = M_CYCLE, .prog = bpf_program__fd(fl->progs.xdp_floor),
	    .pkt = &ack, .mask = NFLOWS - 1, .expect = XDP_TX, .floor = true);
	for (i = 0; i < NB; i++) {
		ADD(.m = M_CYCLE, .prog = hit[i].prog, .li = &hit[i],
		    .pkt = &ack, .mask = NFLOWS - 1, .expect = XDP_TX);
		snprintf(sc[ns - 1].name, sizeof(sc[0].name),
			 "hit, 2^19 flows, %d be", nbe_list[i]);
	}
	for (i = 0; i < NB; i++) {
		ADD(.m = M_CYCLE, .prog = fresh[i].prog, .li = &fresh[i],
		    .pkt = &syn, .mask = NEW_MASK, .new_flows = true,
		    .expect = XDP_TX);
		snprintf(sc[ns - 1].name, sizeof(sc[0].name),
			 "new flow (SYN), %d be", nbe_list[i]);
	}
	floor6_of[M_CYCLE] = ns;
	ADD(.name = "v6 floor", .m = M_CYCLE, .v6 = true,
	    .prog = bpf_program__fd(fl->progs.xdp_floor6), .pkt = &ack6,
	    .mask = NFLOWS - 1, .expect = XDP_TX, .floor = true);
	ADD(.name = "v6 hit, 2^19 flows (100)", .m = M_CYCLE, .v6 = true,
	    .prog = hit[1].prog, .li = &hit[1], .pkt = &ack6,
	    .mask = NFLOWS - 1, .expect = XDP_TX, .check_path = true,
	    .reason = XLB_TX_FORWARDED, .mode = FWD_DSR);
	ADD(.name = "v6 new flow, SYN (100)", .m = M_CYCLE, .v6 = true,
	    .prog = fresh[1].prog, .li = &fresh[1], .pkt = &syn6,
	    .mask = NEW_MASK, .new_flows = true, .expect = XDP_TX,
	    .check_path = true, .reason = XLB_TX_FORWARDED, .mode = FWD_DSR);
	/* Where the time goes: the hit path stage by stage, 100 back ends,
	 * behind the same wrapper (mask 0: the same flow every time). */
	ADD(.name = "hit, 1 flow, 100 be", .m = M_CYCLE, .prog = hit[1].prog,
	    .li = &hit[1], .pkt = &ack, .mask = 0, .expect = XDP_TX);
	for (i = 0; i < 7; i++) {
		ADD(.m = M_CYCLE, .prog = ablate_load(&abl[i], &hit[1], i, false),
		    .pkt = &ack, .mask = 0, .expect = XDP_TX);
		snprintf(sc[ns - 1].name, sizeof(sc[0].name),
			 "stages 0-%d, 1 flow", i);
	}
	/* stage 6 as the data path counted before: three writes; the new
	 * row over it in the pairs */
	ADD(.name = "stages 0-6 old counters, 1 flow", .m = M_CYCLE,
	    .prog = ablate_load(&abl[7], &hit[1], 6, true), .pkt = &ack,
	    .mask = 0, .expect = XDP_TX);
	sc[ns - 2].vs = ns;
	for (i = 0; i < 7; i++) {
		ADD(.m = M_CYCLE, .prog = bpf_program__fd(abl[i]->progs.xdp_ablate),
		    .pkt = &ack, .mask = NFLOWS - 1, .expect = XDP_TX);
		snprintf(sc[ns - 1].name, sizeof(sc[0].name),
			 "stages 0-%d, 2^19 flows", i);
	}
	ADD(.name = "stages 0-6 old counters, 2^19", .m = M_CYCLE,
	    .prog = bpf_program__fd(abl[7]->progs.xdp_ablate), .pkt = &ack,
	    .mask = NFLOWS - 1, .expect = XDP_TX);
	sc[ns - 2].vs = ns;
	floor_of[M_SINGLE] = ns;
	ADD(.name = "floor", .m = M_SINGLE, .prog = bpf_program__fd(fl->progs.xdp_floor),
	    .pkt = &ack, .mask = NFLOWS - 1, .expect = XDP_TX, .floor = true);
	for (i = 0; i < NB; i++) {
		ADD(.m = M_SINGLE, .prog = hit[i].prog, .li = &hit[i],
		    .pkt = &ack, .mask = NFLOWS - 1, .expect = XDP_TX);
		snprintf(sc[ns - 1].name, sizeof(sc[0].name),
			 "hit, 2^19 flows, %d be", nbe_list[i]);
	}
	for (i = 0; i < NB; i++) {
		ADD(.m = M_SINGLE, .prog = fresh[i].prog, .li = &fresh[i],
		    .pkt = &syn, .mask = NEW_MASK, .new_flows = true,
		    .expect = XDP_TX);
		snprintf(sc[ns - 1].name, sizeof(sc[0].name),
			 "new flow (SYN), %d be", nbe_list[i]);
	}
	/* Forwarding modes, behind the restoring wrapper, 3, 100 and 1000
	 * back ends; DSR (100) behind the same wrapper for comparison. */
	floor_of[M_RESTORE] = ns;
	ADD(.name = "floor", .m = M_RESTORE, .prog = bpf_program__fd(fl->progs.xdp_floor),
	    .pkt = &ack, .mask = 0, .expect = XDP_TX, .floor = true);
	for (i = 0; i < nmodes; i++) {
		ADD(.m = M_RESTORE, .prog = modes[i].hit->prog,
		    .li = modes[i].hit, .pkt = &ack, .mask = 0,
		    .expect = modes[i].verdict, .check_path = true,
		    .reason = modes[i].reason, .mode = modes[i].mode);
		snprintf(sc[ns - 1].name, sizeof(sc[0].name),
			 "%s: hit, 1 flow, %d be", modes[i].name,
			 modes[i].hit->nbe);
		if (other_obj && modes[i].hit->nbe == 100) {
			/* -O: the other build on the same maps, in pairs */
			ADD(.m = M_RESTORE, .prog = other_load(modes[i].hit),
			    .pkt = &ack, .mask = 0,
			    .expect = modes[i].verdict);
			snprintf(sc[ns - 1].name, sizeof(sc[0].name),
				 "-O %s: hit, 1 flow", modes[i].name);
			sc[ns - 2].vs = ns;
		}
		ADD(.m = M_RESTORE, .prog = modes[i].hit->prog,
		    .li = modes[i].hit, .pkt = &ack, .mask = NFLOWS - 1,
		    .expect = modes[i].verdict, .check_path = true,
		    .reason = modes[i].reason, .mode = modes[i].mode);
		snprintf(sc[ns - 1].name, sizeof(sc[0].name),
			 "%s: hit, 2^19 flows, %d be", modes[i].name,
			 modes[i].hit->nbe);
		if (other_obj && modes[i].hit->nbe == 100) {
			ADD(.m = M_RESTORE, .prog = sc[ns - 2].prog,
			    .pkt = &ack, .mask = NFLOWS - 1,
			    .expect = modes[i].verdict);
			snprintf(sc[ns - 1].name, sizeof(sc[0].name),
				 "-O %s: hit, 2^19 flows", modes[i].name);
			sc[ns - 2].vs = ns;
		}
		/* nat: a run can map at most 64,512 ports per back end
		 * (nat_ports 1024-65535), so with 3 back ends a run is
		 * 96,768 new flows (half of the ports), not 10^6 */
		ADD(.m = M_RESTORE, .prog = modes[i].fresh->prog,
		    .li = modes[i].fresh, .pkt = &syn, .mask = NEW_MASK,
		    .new_flows = true, .expect = modes[i].verdict,
		    .check_path = true, .reason = modes[i].reason,
		    .mode = modes[i].mode,
		    .n = modes[i].mode == FWD_NAT ?
				 modes[i].fresh->nbe * 64512 / 2 : 0);
		snprintf(sc[ns - 1].name, sizeof(sc[0].name),
			 "%s: new flow (SYN), %d be", modes[i].name,
			 modes[i].fresh->nbe);
	}

	ns = add_issue_rows(sc, ns, &hit[1], &fresh[1], &ack, &syn, &other);
	if (with_ft6)
		ns = add_ft6_rows(sc, ns, &hit[1], &fresh[1], &ack6, &syn6);

	/* Rounds; within a round the order rotates by one each time. */
	for (r = 0; r < rounds; r++) {
		for (i = 0; i < ns; i++) {
			struct scenario *s = &sc[(i + r) % ns];

			if (focus && !focus_keep(s))
				continue;
			s->ns[r] = run_one(s, &s->kns[r]);
		}
		for (i = 0; i < ns; i++) {
			struct scenario *f = &sc[sc[i].v6 ? floor6_of[sc[i].m] :
							    floor_of[sc[i].m]];

			sc[i].ratio[r] = sc[i].ns[r] / f->ns[r];
			sc[i].extra[r] = sc[i].ns[r] - f->ns[r];
		}
		fprintf(stderr, "round %d/%d done\n", r + 1, rounds);
	}
	for (i = 0; i < NB; i++)
		if (new_flows_count(&hit[i], SVC4))
			fprintf(stderr, "bench_pkt: %d be: %llu new flows in the "
					"hit runs (expected 0)\n",
				nbe_list[i],
				(unsigned long long)new_flows_count(&hit[i], SVC4));
	if (new_flows_count(&hit[1], SVC6))
		fprintf(stderr, "bench_pkt: IPv6: %llu new flows in the hit "
				"runs (expected 0)\n",
			(unsigned long long)new_flows_count(&hit[1], SVC6));
	for (i = 1; i < nmodes; i++)
		if (new_flows_count(modes[i].hit, SVC4))
			fprintf(stderr, "bench_pkt: %s: %llu new flows in the "
					"hit runs (expected 0)\n",
				modes[i].name,
				(unsigned long long)new_flows_count(modes[i].hit,
								    SVC4));
	for (i = 0; i < ns; i++)
		if (sc[i].check_path || sc[i].ft || sc[i].ft6)
			fprintf(stderr, "path check %-30s %s\n", sc[i].name,
				sc[i].bad ? "FAILED" : "ok (every run)");

	printf("# per-packet cost, %d rounds, repeat %u, %u single calls; "
	       "median (min-max) over rounds\n",
	       rounds, repeat, calls);
	printf("%-7s %-24s %20s %8s %18s %18s\n", "method", "scenario",
	       "ns/pkt", "kernel", "x floor", "+ns over floor");
	for (i = 0; i < ns; i++) {
		double m, lo, hi, km, kl, kh, rm, rl, rh, em, el, eh;

		if (focus && !focus_keep(&sc[i]))
			continue;
		stats(sc[i].ns, rounds, &m, &lo, &hi);
		stats(sc[i].kns, rounds, &km, &kl, &kh);
		stats(sc[i].ratio, rounds, &rm, &rl, &rh);
		stats(sc[i].extra, rounds, &em, &el, &eh);
		printf("%-7s %-24s %6.1f (%6.1f-%6.1f) %8.1f %5.2f (%4.2f-%4.2f) "
		       "%5.1f (%5.1f-%5.1f)\n",
		       method_names[sc[i].m], sc[i].name, m, lo, hi, km, rm, rl,
		       rh, em, el, eh);
	}
	prog_size("floor", bpf_program__fd(fl->progs.xdp_floor));
	prog_size("cycle (wrapper)", cyc_prog);
	prog_size("floor6", bpf_program__fd(fl->progs.xdp_floor6));
	prog_size("cycle6 (wrapper)", cyc6_prog);
	prog_size("restore (wrapper)", rst_prog);
	{
		double d1[MAX_ROUNDS], d2[MAX_ROUNDS], m, lo, hi;

		for (r = 0; r < rounds; r++) {
			d1[r] = sc[floor_of[M_RESTORE]].ns[r] -
				sc[floor_of[M_REPEAT]].ns[r];
			d2[r] = sc[floor_of[M_RESTORE]].ns[r] -
				sc[floor_of[M_CYCLE]].ns[r];
		}
		stats(d1, rounds, &m, &lo, &hi);
		printf("# restore wrapper: floor behind it - plain floor "
		       "%.1f (%.1f-%.1f) ns", m, lo, hi);
		stats(d2, rounds, &m, &lo, &hi);
		printf(", - floor behind cycle %.1f (%.1f-%.1f) ns\n", m, lo,
		       hi);
	}
	if (!(focus && with_ft6))
		print_issue_rows(sc, ns, floor_of[M_CYCLE]);
	if (!with_ft && !with_ft6) /* else below, with theirs */
		print_pairs(sc, ns);
	if (with_ft6) {
		if (!with_ft)
			print_pairs(sc, ns);
		printf("# IPv6: two CPUs inserting at once (kernel timing, "
		       "%d rounds)\n", rounds);
		two_cpus(&(struct two_spec){ "current v6", fresh[1].prog, 0,
			 empty_cur6, NULL, &fresh[1], NULL, &syn6,
			 cyc6_cpu_prog });
		for (i = 0; i < 2; i++) {
			char n[24];

			snprintf(n, sizeof(n), "v6 %s", ft6_names[i]);
			two_cpus(&(struct two_spec){ n, ft6_empt[i].prog, 0,
				 empty_ft6, NULL, &ft6_empt[i], NULL, &syn6,
				 cyc6_cpu_prog });
		}
		prog_size("IPv6 prototype, fp", ft6_hit[0].prog);
		prog_size("IPv6 prototype, wide", ft6_hit[1].prog);
	}
	if (with_two && !with_ft) {
		printf("# two CPUs inserting at once (kernel timing, %d rounds)\n",
		       rounds);
		two_cpus(&(struct two_spec){ "one table", fresh[1].prog, 0,
			 empty_cur, NULL, &fresh[1], NULL, &syn,
			 cyc_cpu_prog });
		two_cpus(&(struct two_spec){ "own tables", fresh[1].prog,
			 never.prog, empty_cur, empty_cur, &fresh[1], &never,
			 &syn, cyc_cpu_prog });
		two_cpus(&(struct two_spec){ "v6 one table", fresh[1].prog, 0,
			 empty_cur6, NULL, &fresh[1], NULL, &syn6,
			 cyc6_cpu_prog });
		/* as measured before: both CPUs count in one shared line */
		two_cpus(&(struct two_spec){ "shared seq", fresh[1].prog, 0,
			 empty_cur, NULL, &fresh[1], NULL, &syn, cyc_prog });
	}
	if (with_ft) {
		print_pairs(sc, ns);
		printf("# two CPUs inserting at once (kernel timing, %d rounds)\n",
		       rounds);
		two_cpus(&(struct two_spec){ "current", fresh[1].prog, 0,
			 empty_cur, NULL, &fresh[1], NULL, &syn,
			 cyc_cpu_prog });
		two_cpus(&(struct two_spec){ "prototype", ft_empt.prog, 0,
			 empty_ft, NULL, &ft_empt, NULL, &syn, cyc_cpu_prog });
	}
	prog_size("xdp_lb", hit[0].prog);
	if (with_ft)
		prog_size("prototype (xdp_ft)", ft_hit.prog);
	for (i = 0; i < 7; i++) {
		char n[32];

		snprintf(n, sizeof(n), "ablate, stages 0-%d", i);
		prog_size(n, bpf_program__fd(abl[i]->progs.xdp_ablate));
	}
	if (datafile) {
		FILE *f = fopen(datafile, "w");

		if (!f)
			die("%s: %s\n", datafile, strerror(errno));
		fprintf(f, "# idx method \"scenario\" ns_med ns_min ns_max "
			   "ratio_med ratio_min ratio_max extra_med\n");
		for (i = 0; i < ns; i++) {
			double m, lo, hi, rm, rl, rh, em, el, eh;

			stats(sc[i].ns, rounds, &m, &lo, &hi);
			stats(sc[i].ratio, rounds, &rm, &rl, &rh);
			stats(sc[i].extra, rounds, &em, &el, &eh);
			fprintf(f, "%d %s \"%s\" %.2f %.2f %.2f %.3f %.3f %.3f %.2f\n",
				i, method_names[sc[i].m], sc[i].name, m, lo, hi,
				rm, rl, rh, em);
		}
		fclose(f);
	}
	for (i = 0; i < nattached; i++)
		bpf_xdp_detach(attached[i], XDP_FLAGS_DRV_MODE, NULL);
	for (i = 0; i < NB; i++) {
		xdp_lb__destroy(hit[i].skel);
		xdp_lb__destroy(fresh[i].skel);
		free(hit[i].table6);
		free(fresh[i].table6);
	}
	for (i = 1; i < nmodes; i++) {
		xdp_lb__destroy(modes[i].hit->skel);
		xdp_lb__destroy(modes[i].fresh->skel);
	}
	for (i = 0; i < 8; i++)
		ablate__destroy(abl[i]);
	cycle__destroy(cyc);
	floor__destroy(fl);
	return 0;
}
