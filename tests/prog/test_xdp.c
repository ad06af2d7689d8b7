// SPDX-License-Identifier: GPL-2.0-only
/*
 * Packet tests of the XDP program (DSR mode) with BPF_PROG_TEST_RUN.
 *
 * Every test loads the skeleton fresh (small maps, table_size 13, a known
 * if_mac), fills the maps by hand the way the controller does, runs packets
 * and checks the verdict, the output length, every output byte, the flow
 * entry and the per-CPU counters. The fixture table below is the bulk of
 * it; the scenarios after it (pinning, removed back ends, flow states,
 * limits, the verifier under several sizes) are tests of their own.
 *
 * Run one test:   test_xdp NAME      (or XLB_TEST=NAME; '*' and '?' match)
 * List the tests: test_xdp --list
 * libbpf debug:   XLB_TEST_VERBOSE=1
 * Needs root (BPF_PROG_LOAD, BPF_PROG_TEST_RUN); bpffs is not used.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "xdp_lb.h"
#include "xdp_lb.skel.h"
#include "../../ctl/conntrack.h"
#include "../../ctl/dataplane.h"
#include "../../ctl/maps.h"
#include "pktgen.h"
/* The data path's flow hash: the test predicts which table slot a new flow
 * lands in with the same function. */
#include "../../bpf/jhash.h"

/* ---- the test network ------------------------------------------------ */

#define CLIENT4 "10.0.0.1"
#define CLIENT6 "fd00:c::1"
#define VIP4 "198.18.0.10" /* tcp/80 and udp/53 */
#define VIP4_NO_TABLE "198.18.0.11" /* tcp/80, no svc_tables entry */
#define VIP4_EMPTY "198.18.0.12" /* tcp/80, every slot XLB_NO_BACKEND */
#define VIP4_UNUSED_BE "198.18.0.13" /* tcp/80, table -> a free back end */
#define VIP6 "fd00::10" /* tcp/443 and udp/53 */
#define VIP6_NO_TABLE "fd00::11" /* tcp/443, no svc_tables entry */
#define NOT_VIP4 "198.18.0.99"
#define NOT_VIP6 "fd00::99"

enum svc_id {
	SVC_TCP4 = 1,
	SVC_UDP4,
	SVC_TCP6,
	SVC_UDP6,
	SVC_NO_TABLE4,
	SVC_EMPTY4,
	SVC_UNUSED_BE4,
	SVC_NO_TABLE6,
};

enum table_kind {
	TABLE_NONE, /* no entry in svc_tables */
	TABLE_EMPTY, /* every slot XLB_NO_BACKEND */
	TABLE_RR, /* slot i -> be[i % n] */
};

/* clang-format off */
static const struct svc_def {
	__u32 id;
	int family;
	const char *vip;
	__u16 port;
	__u8 proto;
	enum table_kind table;
	__u32 be[4]; /* back-end ids, 0-terminated */
} svc_defs[] = {
	{ SVC_TCP4, AF_INET, VIP4, 80, IPPROTO_TCP, TABLE_RR, { 1, 2, 3 } },
	{ SVC_UDP4, AF_INET, VIP4, 53, IPPROTO_UDP, TABLE_RR, { 4, 5 } },
	{ SVC_TCP6, AF_INET6, VIP6, 443, IPPROTO_TCP, TABLE_RR, { 6, 7 } },
	{ SVC_UDP6, AF_INET6, VIP6, 53, IPPROTO_UDP, TABLE_RR, { 8 } },
	{ SVC_NO_TABLE4, AF_INET, VIP4_NO_TABLE, 80, IPPROTO_TCP,
	  TABLE_NONE, { 0 } },
	{ SVC_EMPTY4, AF_INET, VIP4_EMPTY, 80, IPPROTO_TCP,
	  TABLE_EMPTY, { 0 } },
	{ SVC_UNUSED_BE4, AF_INET, VIP4_UNUSED_BE, 80, IPPROTO_TCP, TABLE_RR,
	  { 9 } },
	{ SVC_NO_TABLE6, AF_INET6, VIP6_NO_TABLE, 443, IPPROTO_TCP,
	  TABLE_NONE, { 0 } },
};
/* clang-format on */

/* Spare back ends: in their service but in no table until a test puts
 * them there. */
#define SPARE_BE4 10
#define SPARE_BE6 11

/* clang-format off */
static const struct be_def {
	__u32 id;
	__u32 svc;
	int family;
	const char *addr;
	__u8 state;
} be_defs[] = {
	{ 1, SVC_TCP4, AF_INET, "10.1.0.1", XLB_BE_ACTIVE },
	{ 2, SVC_TCP4, AF_INET, "10.1.0.2", XLB_BE_ACTIVE },
	{ 3, SVC_TCP4, AF_INET, "10.1.0.3", XLB_BE_ACTIVE },
	{ 4, SVC_UDP4, AF_INET, "10.1.0.4", XLB_BE_ACTIVE },
	{ 5, SVC_UDP4, AF_INET, "10.1.0.5", XLB_BE_ACTIVE },
	{ 6, SVC_TCP6, AF_INET6, "fd00:1::6", XLB_BE_ACTIVE },
	{ 7, SVC_TCP6, AF_INET6, "fd00:1::7", XLB_BE_ACTIVE },
	{ 8, SVC_UDP6, AF_INET6, "fd00:1::8", XLB_BE_ACTIVE },
	{ 9, SVC_UNUSED_BE4, AF_INET, "10.1.0.9", XLB_BE_UNUSED },
	{ SPARE_BE4, SVC_TCP4, AF_INET, "10.1.0.10", XLB_BE_ACTIVE },
	{ SPARE_BE6, SVC_TCP6, AF_INET6, "fd00:1::b", XLB_BE_ACTIVE },
};
/* clang-format on */

/* Back end id's MAC: 02:be:00:00:00:id. */
static void be_mac(__u32 id, __u8 mac[ETH_ALEN])
{
	const __u8 m[ETH_ALEN] = {
		0x02, 0xbe, 0, 0, (id >> 8) & 0xff, id & 0xff
	};

	memcpy(mac, m, ETH_ALEN);
}

/* ---- loading ---------------------------------------------------------- */


static const struct xlb_sizes small_sizes = {
	.table_size = 13,
	.max_flows = 64,
	.max_services = 16,
	.max_backends = 16,
};

struct env {
	struct xdp_lb *skel;
	struct xlb_sizes sz;
	int prog;
	const void *arg; /* the fixture row, for table-driven tests */
};

static bool verbose;

/* nat: the "internal interface" of the tests, a veth in the test's own
 * network namespace (0: could not be made, the nat tests fail). */
static __u32 nat_test_ifindex;
static const __u8 INT_MAC[ETH_ALEN] = { 0x02, 0x1b, 0x00, 0x00, 0x00, 0x02 };

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (level == LIBBPF_DEBUG && !verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static int map_fd(struct bpf_map *m)
{
	return bpf_map__fd(m);
}

/* Open, size and load the program the controller's way (maps.h); returns
 * 0 or a negative errno. */
static int env_load(struct env *e, const struct xlb_sizes *sz)
{
	struct xlb_prep p = { .sz = *sz, .nat_ifindex = nat_test_ifindex };
	struct xdp_lb *s;

	memset(e, 0, sizeof(*e));
	e->sz = *sz;
	memcpy(p.if_mac, LB_MAC, ETH_ALEN);
	memcpy(p.int_mac, INT_MAC, ETH_ALEN);
	s = xlb_skel_open_load(&p);
	if (!s)
		return -errno;
	e->skel = s;
	e->prog = bpf_program__fd(s->progs.xdp_lb);
	if (nat_test_ifindex) {
		__u32 k = XLB_PORT_EXT, lo = 1;

		if (bpf_map_update_elem(bpf_map__fd(s->maps.tx_ports), &k, &lo, 0))
			return -errno;
		k = XLB_PORT_INT;
		if (bpf_map_update_elem(bpf_map__fd(s->maps.tx_ports), &k,
					&nat_test_ifindex, 0))
			return -errno;
	}
	return 0;
}

static void env_unload(struct env *e)
{
	xdp_lb__destroy(e->skel);
	e->skel = NULL;
}

/* Create a table from slots[table_size] and put it in svc_tables[svc]. */
static int table_install(struct env *e, __u32 svc, const __u32 *slots)
{
	__u32 n = e->sz.table_size, count = n, i, *keys;
	int fd, err;

	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "svc_table", sizeof(__u32),
			    sizeof(__u32), n, NULL);
	if (fd < 0)
		return -errno;
	keys = malloc(n * sizeof(*keys));
	if (!keys) {
		close(fd);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++)
		keys[i] = i;
	err = bpf_map_update_batch(fd, keys, slots, &count, NULL);
	for (i = 0; err && i < n; i++) /* no batch ops: one by one */
		err = bpf_map_update_elem(fd, &keys[i], &slots[i], 0) ? -errno :
									0;
	free(keys);
	if (!err &&
	    bpf_map_update_elem(map_fd(e->skel->maps.svc_tables), &svc, &fd, 0))
		err = -errno;
	close(fd); /* svc_tables holds the map now */
	return err;
}

/* slot i -> ids[i % n]; n == 0: every slot XLB_NO_BACKEND. */
static int table_install_rr(struct env *e, __u32 svc, const __u32 *ids, __u32 n)
{
	__u32 i, *slots = malloc(e->sz.table_size * sizeof(*slots));
	int err;

	if (!slots)
		return -ENOMEM;
	for (i = 0; i < e->sz.table_size; i++)
		slots[i] = n ? ids[i % n] : XLB_NO_BACKEND;
	err = table_install(e, svc, slots);
	free(slots);
	return err;
}

static int backend_set(struct env *e, const struct be_def *d)
{
	struct backend_info bi = {};

	be_mac(d->id, bi.mac);
	bi.state = d->state;
	bi.family = d->family;
	bi.svc_id = d->svc;
	if (inet_pton(d->family, d->addr, bi.addr) != 1)
		return -EINVAL;
	return bpf_map_update_elem(map_fd(e->skel->maps.backends), &d->id, &bi,
				   0) ?
		       -errno :
		       0;
}

static int vip_set(struct env *e, const struct svc_def *d)
{
	struct vip_meta vm = { .svc_id = d->id };
	int ret;

	if (d->family == AF_INET) {
		struct vip_key_v4 k = {};

		if (inet_pton(AF_INET, d->vip, &k.addr) != 1)
			return -EINVAL;
		k.port = htons(d->port);
		k.proto = d->proto;
		ret = bpf_map_update_elem(map_fd(e->skel->maps.vips_v4), &k,
					  &vm, 0);
	} else {
		struct vip_key_v6 k = {};

		if (inet_pton(AF_INET6, d->vip, k.addr) != 1)
			return -EINVAL;
		k.port = htons(d->port);
		k.proto = d->proto;
		ret = bpf_map_update_elem(map_fd(e->skel->maps.vips_v6), &k,
					  &vm, 0);
	}
	return ret ? -errno : 0;
}

/* Mark a VIP address for ICMP echo, as the controller does: the vips key
 * (addr, port 0, ICMP/ICMPv6) -> the service. */
static int icmp_vip_set(struct env *e, int family, const char *vip, __u32 svc)
{
	struct vip_meta vm = { .svc_id = svc };
	int ret;

	if (family == AF_INET) {
		struct vip_key_v4 k = { .proto = IPPROTO_ICMP };

		if (inet_pton(AF_INET, vip, &k.addr) != 1)
			return -EINVAL;
		ret = bpf_map_update_elem(map_fd(e->skel->maps.vips_v4), &k,
					  &vm, 0);
	} else {
		struct vip_key_v6 k = { .proto = IPPROTO_ICMPV6 };

		if (inet_pton(AF_INET6, vip, k.addr) != 1)
			return -EINVAL;
		ret = bpf_map_update_elem(map_fd(e->skel->maps.vips_v6), &k,
					  &vm, 0);
	}
	return ret ? -errno : 0;
}

/* The services and back ends above, as the controller would write them. */
static int env_populate(struct env *e)
{
	size_t i;
	__u32 n;
	int err;

	for (i = 0; i < sizeof(be_defs) / sizeof(be_defs[0]); i++) {
		err = backend_set(e, &be_defs[i]);
		if (err)
			return err;
	}
	for (i = 0; i < sizeof(svc_defs) / sizeof(svc_defs[0]); i++) {
		const struct svc_def *d = &svc_defs[i];

		err = vip_set(e, d);
		if (err)
			return err;
		if (d->table == TABLE_NONE)
			continue;
		for (n = 0; d->table == TABLE_RR && n < 4 && d->be[n]; n++)
			;
		err = table_install_rr(e, d->id, d->be, n);
		if (err)
			return err;
	}
	err = icmp_vip_set(e, AF_INET, VIP4, SVC_TCP4);
	if (!err)
		err = icmp_vip_set(e, AF_INET6, VIP6, SVC_TCP6);
	return err;
}

static int env_setup_sized(void **state, const struct xlb_sizes *sz)
{
	struct env *e = calloc(1, sizeof(*e));
	const void *arg = *state;
	int err;

	if (!e)
		return -1;
	err = env_load(e, sz);
	if (err) {
		print_error("cannot load the XDP program: %s (run as root)\n",
			    strerror(-err));
		goto fail;
	}
	err = env_populate(e);
	if (err) {
		print_error("cannot fill the maps: %s\n", strerror(-err));
		goto fail;
	}
	e->arg = arg;
	*state = e;
	return 0;
fail:
	env_unload(e);
	free(e);
	return -1;
}

static int env_setup(void **state)
{
	return env_setup_sized(state, &small_sizes);
}

static int env_teardown(void **state)
{
	struct env *e = *state;

	if (e) {
		env_unload(e);
		free(e);
	}
	return 0;
}

/* ---- named assertions ------------------------------------------------- */

static const char *const reason_names[] = XLB_REASON_NAMES;
_Static_assert(sizeof(reason_names) / sizeof(reason_names[0]) == XLB_REASON_MAX,
	       "a name per reason");

static const char *verdict_name(int v)
{
	switch (v) {
	case XDP_ABORTED:
		return "XDP_ABORTED";
	case XDP_DROP:
		return "XDP_DROP";
	case XDP_PASS:
		return "XDP_PASS";
	case XDP_TX:
		return "XDP_TX";
	case XDP_REDIRECT:
		return "XDP_REDIRECT";
	default:
		return "XDP_?";
	}
}

static const char *state_names[] = { "NEW", "SYN", "ESTABLISHED", "FIN",
				     "RST" };

static const char *state_name(unsigned int s)
{
	return s < sizeof(state_names) / sizeof(state_names[0]) ?
		       state_names[s] :
		       "?";
}

/* "WHAT: GOT != expected WANT", where WHAT is printf-formatted. */
static void __attribute__((format(printf, 5, 6)))
check_u64(unsigned long long got, unsigned long long want, const char *file,
	  int line, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	if (got == want)
		return;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	print_error("%s: %llu != expected %llu\n", what, got, want);
	_fail(file, line);
}

#define expect_u64(got, want, ...) \
	check_u64((got), (want), __FILE__, __LINE__, __VA_ARGS__)

static void check_name(const char *got, const char *want, const char *file,
		       int line, const char *what)
{
	if (!strcmp(got, want))
		return;
	print_error("%s: %s != expected %s\n", what, got, want);
	_fail(file, line);
}

#define expect_verdict(got, want, what)                                       \
	check_name(verdict_name(got), verdict_name(want), __FILE__, __LINE__, \
		   what)
#define expect_state(got, want, what) \
	check_name(state_name(got), state_name(want), __FILE__, __LINE__, what)

static void hexdump(const char *title, const struct pkt *p, long mark)
{
	__u32 i;

	print_error("%s (%u bytes):\n", title, p->len);
	for (i = 0; i < p->len; i++) {
		if (i % 16 == 0)
			print_error("  %04x:", i);
		print_error("%s%02x", (long)i == mark ? ">" : " ", p->data[i]);
		if (i % 16 == 15 || i + 1 == p->len)
			print_error("\n");
	}
}

static void check_packet(const struct pkt *got, const struct pkt *want,
			 const char *file, int line, const char *what)
{
	long off = pkt_first_diff(got, want);

	if (off < 0)
		return;
	print_error("%s: output differs from expected at offset %ld "
		    "(length %u, expected %u)\n",
		    what, off, got->len, want->len);
	hexdump("got", got, off);
	hexdump("expected", want, off);
	_fail(file, line);
}

#define expect_packet(got, want, what) \
	check_packet((got), (want), __FILE__, __LINE__, what)

/* ---- running packets and reading state -------------------------------- */

static void build(const struct pkt_spec *s, struct pkt *p)
{
	char err[128];

	if (build_pkt(s, p, err, sizeof(err)))
		fail_msg("packet builder: %s", err);
}

static __u32 spec_len(const struct pkt_spec *s)
{
	struct pkt p;

	build(s, &p);
	return p.len;
}

/* One BPF_PROG_TEST_RUN; returns the verdict, fills out. */
static int prog_run(struct env *e, const struct pkt *in, struct pkt *out)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in->data,
		    .data_size_in = in->len, .data_out = out->data,
		    .data_size_out = sizeof(out->data), .repeat = 1);

	memset(out, 0, sizeof(*out));
	if (bpf_prog_test_run_opts(e->prog, &opts))
		fail_msg("BPF_PROG_TEST_RUN of a %u-byte frame: %s", in->len,
			 strerror(errno));
	out->len = opts.data_size_out;
	return opts.retval;
}

/* The data path's clock, bpf_ktime_get_coarse_ns(). */
static __u64 coarse_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int ncpus(void)
{
	int n = libbpf_num_possible_cpus();

	if (n <= 0)
		fail_msg("libbpf_num_possible_cpus: %d", n);
	return n;
}

static struct reason_counters reason_get(struct env *e, __u32 r)
{
	int i, n = ncpus();
	struct reason_counters sum = {}, *v = calloc(n, sizeof(*v));

	if (!v)
		fail_msg("out of memory");
	if (bpf_map_lookup_elem(map_fd(e->skel->maps.stats_reason), &r, v))
		fail_msg("stats_reason[%u] lookup: %s", r, strerror(errno));
	for (i = 0; i < n; i++) {
		sum.packets += v[i].packets;
		sum.bytes += v[i].bytes;
	}
	free(v);
	return sum;
}

static struct lb_counters lb_get(struct bpf_map *m, __u32 id)
{
	int i, n = ncpus();
	struct lb_counters sum = {}, *v = calloc(n, sizeof(*v));

	if (!v)
		fail_msg("out of memory");
	if (bpf_map_lookup_elem(bpf_map__fd(m), &id, v))
		fail_msg("%s[%u] lookup: %s", bpf_map__name(m), id,
			 strerror(errno));
	for (i = 0; i < n; i++) {
		sum.packets += v[i].packets;
		sum.bytes += v[i].bytes;
		sum.new_flows += v[i].new_flows;
	}
	free(v);
	return sum;
}

/* Every reason counter: `packets` packets of `bytes` bytes under `want`,
 * nothing under the others. */
static void expect_reasons(struct env *e, enum xlb_reason want, __u64 packets,
			   __u64 bytes)
{
	__u32 r;

	for (r = 0; r < XLB_REASON_MAX; r++) {
		struct reason_counters c = reason_get(e, r);

		expect_u64(c.packets, r == want ? packets : 0,
			   "reason counter %s: packets", reason_names[r]);
		expect_u64(c.bytes, r == want ? bytes : 0,
			   "reason counter %s: bytes", reason_names[r]);
	}
}

static void expect_lb(struct env *e, struct bpf_map *m, __u32 id, __u64 packets,
		      __u64 bytes, __u64 new_flows)
{
	struct lb_counters c = lb_get(m, id);

	expect_u64(c.packets, packets, "%s[%u].packets", bpf_map__name(m), id);
	expect_u64(c.bytes, bytes, "%s[%u].bytes", bpf_map__name(m), id);
	expect_u64(c.new_flows, new_flows, "%s[%u].new_flows", bpf_map__name(m),
		   id);
}

static void addr_of(int family, const char *s, void *out)
{
	if (inet_pton(family, s, out) != 1)
		fail_msg("bad address '%s'", s);
}

static void flow_key4(const struct pkt_spec *s, struct flow_key_v4 *k)
{
	memset(k, 0, sizeof(*k));
	addr_of(AF_INET, s->saddr, &k->src);
	addr_of(AF_INET, s->daddr, &k->dst);
	k->sport = htons(s->sport);
	k->dport = htons(s->dport);
	k->proto = s->proto;
}

static void flow_key6(const struct pkt_spec *s, struct flow_key_v6 *k)
{
	memset(k, 0, sizeof(*k));
	addr_of(AF_INET6, s->saddr, k->src);
	addr_of(AF_INET6, s->daddr, k->dst);
	k->sport = htons(s->sport);
	k->dport = htons(s->dport);
	k->proto = s->proto;
}

/* The data path's hash of the packet's flow. */
static __u32 flow_hash(const struct pkt_spec *s)
{
	if (s->family == AF_INET) {
		struct flow_key_v4 k;

		flow_key4(s, &k);
		return jhash2((__u32 *)&k, sizeof(k) / 4, XLB_HASH_SEED);
	} else {
		struct flow_key_v6 k;

		flow_key6(s, &k);
		return jhash2((__u32 *)&k, sizeof(k) / 4, XLB_HASH_SEED);
	}
}

/* The flow entry of the packet's flow; false if there is none. */
static bool flow_get(struct env *e, const struct pkt_spec *s,
		     struct flow_value *fv)
{
	int ret;

	memset(fv, 0, sizeof(*fv));
	if (s->family == AF_INET) {
		struct flow_key_v4 k;

		flow_key4(s, &k);
		ret = bpf_map_lookup_elem(map_fd(e->skel->maps.flows_v4), &k,
					  fv);
	} else {
		struct flow_key_v6 k;

		flow_key6(s, &k);
		ret = bpf_map_lookup_elem(map_fd(e->skel->maps.flows_v6), &k,
					  fv);
	}
	if (ret && errno != ENOENT)
		fail_msg("flow lookup: %s", strerror(errno));
	return !ret;
}

/* The pinned back end of the packet's flow; fails the test if none. */
static struct flow_value flow_must(struct env *e, const struct pkt_spec *s,
				   const char *what)
{
	struct flow_value fv;

	if (!flow_get(e, s, &fv))
		fail_msg("%s: no flow entry for %s:%u -> %s:%u", what, s->saddr,
			 s->sport, s->daddr, s->dport);
	return fv;
}

static __u32 map_count(struct bpf_map *m)
{
	__u8 key[64], next[64];
	__u32 n = 0;
	void *prev = NULL;

	while (!bpf_map_get_next_key(bpf_map__fd(m), prev, next)) {
		memcpy(key, next, sizeof(key));
		prev = key;
		n++;
	}
	return n;
}

/* Zero the per-CPU counters of ids below n. */
static void stats_zero(struct bpf_map *m, __u32 n)
{
	size_t sz = (bpf_map__value_size(m) + 7) / 8 * 8 * ncpus();
	void *zero = calloc(1, sz);
	__u32 id;

	if (!zero)
		fail_msg("out of memory");
	for (id = 0; id < n && id < bpf_map__max_entries(m); id++)
		if (bpf_map_update_elem(bpf_map__fd(m), &id, zero, 0))
			fail_msg("%s[%u] := 0: %s", bpf_map__name(m), id,
				 strerror(errno));
	free(zero);
}

static void map_flush(struct bpf_map *m)
{
	__u8 key[64];

	while (!bpf_map_get_next_key(bpf_map__fd(m), NULL, key))
		if (bpf_map_delete_elem(bpf_map__fd(m), key))
			fail_msg("%s delete: %s", bpf_map__name(m),
				 strerror(errno));
}

/* Back to the state after env_populate(): no flows, counters zero. */
static void env_reset(struct env *e)
{
	struct lb_cfg cfg = {};
	__u32 zero = 0;

	if (bpf_map_update_elem(map_fd(e->skel->maps.xlb_cfg), &zero, &cfg, 0))
		fail_msg("xlb_cfg reset: %s", strerror(errno));
	stats_zero(e->skel->maps.flood, 1);
	map_flush(e->skel->maps.flows_v4);
	map_flush(e->skel->maps.flows_v6);
	map_flush(e->skel->maps.nat_rev);
	stats_zero(e->skel->maps.stats_reason, XLB_REASON_MAX);
	stats_zero(e->skel->maps.stats_svc, 16);
	stats_zero(e->skel->maps.stats_backend, 16);
}

/* What svc_tables[svc] says for slot. */
static __u32 table_slot(struct env *e, __u32 svc, __u32 slot)
{
	__u32 inner_id, id;
	int fd;

	if (bpf_map_lookup_elem(map_fd(e->skel->maps.svc_tables), &svc,
				&inner_id))
		fail_msg("svc_tables[%u]: %s", svc, strerror(errno));
	fd = bpf_map_get_fd_by_id(inner_id);
	if (fd < 0)
		fail_msg("svc_tables[%u]: map id %u: %s", svc, inner_id,
			 strerror(errno));
	if (bpf_map_lookup_elem(fd, &slot, &id))
		fail_msg("svc_tables[%u][%u]: %s", svc, slot, strerror(errno));
	close(fd);
	return id;
}

static struct backend_info backend_get(struct env *e, __u32 id)
{
	struct backend_info bi;

	if (bpf_map_lookup_elem(map_fd(e->skel->maps.backends), &id, &bi))
		fail_msg("backends[%u]: %s", id, strerror(errno));
	return bi;
}

static void backend_put(struct env *e, __u32 id, const struct backend_info *bi)
{
	if (bpf_map_update_elem(map_fd(e->skel->maps.backends), &id, bi, 0))
		fail_msg("backends[%u] update: %s", id, strerror(errno));
}

static void table_all(struct env *e, __u32 svc, __u32 id)
{
	int err = table_install_rr(e, svc, &id, 1);

	if (err)
		fail_msg("svc_tables[%u] := all %u: %s", svc, id,
			 strerror(-err));
}

/* in, as the data path forwards it to back end id: destination MAC from
 * backends[id], source MAC if_mac, nothing else changed. */
static void forwarded(struct env *e, const struct pkt *in, __u32 id,
		      struct pkt *want)
{
	struct backend_info bi = backend_get(e, id);

	*want = *in;
	memcpy(want->data, bi.mac, ETH_ALEN);
	memcpy(want->data + ETH_ALEN, LB_MAC, ETH_ALEN);
}

/* Send one packet that must be forwarded to back end `be` (byte-exact). */
static void send_tx(struct env *e, const struct pkt_spec *s, __u32 be,
		    const char *what)
{
	struct pkt in, out, want;

	build(s, &in);
	expect_verdict(prog_run(e, &in, &out), XDP_TX, what);
	forwarded(e, &in, be, &want);
	expect_packet(&out, &want, what);
}

/* Send one packet that must come out unchanged with `verdict`. */
static void send_unchanged(struct env *e, const struct pkt_spec *s, int verdict,
			   const char *what)
{
	struct pkt in, out;

	build(s, &in);
	expect_verdict(prog_run(e, &in, &out), verdict, what);
	expect_packet(&out, &in, what);
}

/* ---- the fixture table ------------------------------------------------ */

struct pkt_case {
	const char *name;
	struct pkt_spec pkt;
	int verdict; /* XDP_TX, XDP_PASS or XDP_DROP */
	enum xlb_reason reason; /* the one counter that moves */
	__u32 svc; /* TX/DROP: the service counted */
	enum flow_state state; /* TX: the flow entry's state afterwards */
};

/*
 * Output packet: for XDP_TX the input with the destination MAC of the back
 * end the flow is pinned to and the source MAC if_mac; otherwise the input
 * unchanged. Rows are spelled out in full on purpose.
 */
/* clang-format off */
static const struct pkt_case cases[] = {
	/* Not ours: passed unchanged, nothing pinned. */
	{ .name = "pass_not_vip",
	  .pkt = { .family = AF_INET, .saddr = CLIENT4, .daddr = NOT_VIP4,
		   .proto = IPPROTO_TCP, .sport = 40000, .dport = 80,
		   .tcp_flags = TF_SYN },
	  .verdict = XDP_PASS, .reason = XLB_PASS_NOT_VIP },
	{ .name = "pass_not_vip_v6",
	  .pkt = { .family = AF_INET6, .saddr = CLIENT6, .daddr = NOT_VIP6,
		   .proto = IPPROTO_TCP, .sport = 40000, .dport = 443,
		   .tcp_flags = TF_SYN },
	  .verdict = XDP_PASS, .reason = XLB_PASS_NOT_VIP },
	{ .name = "pass_not_ip",
	  .pkt = { .ethertype = ETH_P_ARP, .family = AF_INET, .saddr = CLIENT4,
		   .daddr = VIP4 },
	  .verdict = XDP_PASS, .reason = XLB_PASS_NOT_IP },
	{ .name = "pass_not_ip_vlan",
	  .pkt = { .ethertype = ETH_P_ARP, .vlan_proto = ETH_P_8021Q,
		   .vlan_tci = 100, .family = AF_INET, .saddr = CLIENT4,
		   .daddr = VIP4 },
	  .verdict = XDP_PASS, .reason = XLB_PASS_NOT_IP },
	/* one tag is parsed: QinQ is not ours */
	{ .name = "pass_double_tagged",
	  .pkt = { .vlan_proto = ETH_P_8021AD, .vlan_tci = 10, .vlan2_tci = 100,
		   .family = AF_INET, .saddr = CLIENT4, .daddr = VIP4,
		   .proto = IPPROTO_TCP, .sport = 40000, .dport = 80,
		   .tcp_flags = TF_SYN },
	  .verdict = XDP_PASS, .reason = XLB_PASS_NOT_IP },
	{ .name = "pass_vip_other_port",
	  .pkt = { .family = AF_INET, .saddr = CLIENT4, .daddr = VIP4,
		   .proto = IPPROTO_TCP, .sport = 40000, .dport = 81,
		   .tcp_flags = TF_SYN },
	  .verdict = XDP_PASS, .reason = XLB_PASS_NOT_VIP },
	/* udp/80: the VIP has tcp/80 only */
	{ .name = "pass_vip_other_proto",
	  .pkt = { .family = AF_INET, .saddr = CLIENT4, .daddr = VIP4,
		   .proto = IPPROTO_UDP, .sport = 40000, .dport = 80,
		   .payload = 16 },
	  .verdict = XDP_PASS, .reason = XLB_PASS_NOT_VIP },
	{ .name = "pass_vip_other_port_v6",
	  .pkt = { .family = AF_INET6, .saddr = CLIENT6, .daddr = VIP6,
		   .proto = IPPROTO_TCP, .sport = 40000, .dport = 80,
		   .tcp_flags = TF_SYN },
	  .verdict = XDP_PASS, .reason = XLB_PASS_NOT_VIP },
	/* echo to a VIP address the controller did not mark for ICMP */
	{ .name = "pass_icmp_echo_not_answered",
	  .pkt = { .family = AF_INET, .saddr = CLIENT4, .daddr = VIP4_NO_TABLE,
		   .proto = IPPROTO_ICMP, .payload = 32 },
	  .verdict = XDP_PASS, .reason = XLB_PASS_NOT_VIP },
	{ .name = "pass_icmpv6_echo_not_answered",
	  .pkt = { .family = AF_INET6, .saddr = CLIENT6, .daddr = VIP6_NO_TABLE,
		   .proto = IPPROTO_ICMPV6, .payload = 32 },
	  .verdict = XDP_PASS, .reason = XLB_PASS_NOT_VIP },
	/* other ICMP to a VIP (an echo reply): not ours */
	{ .name = "pass_not_l4_icmp_reply",
	  .pkt = { .family = AF_INET, .saddr = CLIENT4, .daddr = VIP4,
		   .proto = IPPROTO_ICMP, .echo_reply = true, .payload = 32 },
	  .verdict = XDP_PASS, .reason = XLB_PASS_NOT_L4 },
	{ .name = "pass_not_l4_icmpv6_reply",
	  .pkt = { .family = AF_INET6, .saddr = CLIENT6, .daddr = VIP6,
		   .proto = IPPROTO_ICMPV6, .echo_reply = true, .payload = 32 },
	  .verdict = XDP_PASS, .reason = XLB_PASS_NOT_L4 },
	/* To a service: forwarded to the back end the table picks. */
	{ .name = "tx_v4_syn",
	  .pkt = { .family = AF_INET, .saddr = CLIENT4, .daddr = VIP4,
		   .proto = IPPROTO_TCP, .sport = 40000, .dport = 80,
		   .tcp_flags = TF_SYN },
	  .verdict = XDP_TX, .reason = XLB_TX_FORWARDED, .svc = SVC_TCP4,
	  .state = XLB_FLOW_SYN },
	/* first packet seen is not a SYN */
	{ .name = "tx_v4_ack_midflow",
	  .pkt = { .family = AF_INET, .saddr = CLIENT4, .daddr = VIP4,
		   .proto = IPPROTO_TCP, .sport = 40001, .dport = 80,
		   .tcp_flags = TF_ACK | TF_PSH, .payload = 100 },
	  .verdict = XDP_TX, .reason = XLB_TX_FORWARDED, .svc = SVC_TCP4,
	  .state = XLB_FLOW_ESTABLISHED },
	{ .name = "tx_v4_fin_first",
	  .pkt = { .family = AF_INET, .saddr = CLIENT4, .daddr = VIP4,
		   .proto = IPPROTO_TCP, .sport = 40002, .dport = 80,
		   .tcp_flags = TF_FIN | TF_ACK },
	  .verdict = XDP_TX, .reason = XLB_TX_FORWARDED, .svc = SVC_TCP4,
	  .state = XLB_FLOW_FIN },
	{ .name = "tx_v4_rst_first",
	  .pkt = { .family = AF_INET, .saddr = CLIENT4, .daddr = VIP4,
		   .proto = IPPROTO_TCP, .sport = 40003, .dport = 80,
		   .tcp_flags = TF_RST },
	  .verdict = XDP_TX, .reason = XLB_TX_FORWARDED, .svc = SVC_TCP4,
	  .state = XLB_FLOW_RST },
	/* DF is not a fragment */
	{ .name = "tx_v4_df",
	  .pkt = { .family = AF_INET, .saddr = CLIENT4, .daddr = VIP4,
		   .proto = IPPROTO_TCP, .sport = 40004, .dport = 80,
		   .tcp_flags = TF_SYN, .frag = FRAG_DF },
	  .verdict = XDP_TX, .reason = XLB_TX_FORWARDED, .svc = SVC_TCP4,
	  .state = XLB_FLOW_SYN },
	{ .name = "tx_v4_udp",
	  .pkt = { .family = AF_INET, .saddr = CLIENT4, .daddr = VIP4,
		   .proto = IPPROTO_UDP, .sport = 5353, .dport = 53,
		   .payload = 40 },
	  .verdict = XDP_TX, .reason = XLB_TX_FORWARDED, .svc = SVC_UDP4,
	  .state = XLB_FLOW_NEW },
	{ .name = "tx_v4_vlan",
	  .pkt = { .vlan_proto = ETH_P_8021Q, .vlan_tci = 0x2064,
		   .family = AF_INET, .saddr = CLIENT4, .daddr = VIP4,
		   .proto = IPPROTO_TCP, .sport = 40005, .dport = 80,
		   .tcp_flags = TF_SYN },
	  .verdict = XDP_TX, .reason = XLB_TX_FORWARDED, .svc = SVC_TCP4,
	  .state = XLB_FLOW_SYN },
	{ .name = "tx_v4_8021ad",
	  .pkt = { .vlan_proto = ETH_P_8021AD, .vlan_tci = 7, .family = AF_INET,
		   .saddr = CLIENT4, .daddr = VIP4, .proto = IPPROTO_TCP,
		   .sport = 40006, .dport = 80, .tcp_flags = TF_SYN },
	  .verdict = XDP_TX, .reason = XLB_TX_FORWARDED, .svc = SVC_TCP4,
	  .state = XLB_FLOW_SYN },
	{ .name = "tx_v4_ip_options_ihl6",
	  .pkt = { .family = AF_INET, .saddr = CLIENT4, .daddr = VIP4,
		   .proto = IPPROTO_TCP, .sport = 40007, .dport = 80,
		   .tcp_flags = TF_SYN, .ihl = 6 },
	  .verdict = XDP_TX, .reason = XLB_TX_FORWARDED, .svc = SVC_TCP4,
	  .state = XLB_FLOW_SYN },
	{ .name = "tx_v4_ip_options_ihl15",
	  .pkt = { .family = AF_INET, .saddr = CLIENT4, .daddr = VIP4,
		   .proto = IPPROTO_TCP, .sport = 40008, .dport = 80,
		   .tcp_flags = TF_SYN, .ihl = 15, .payload = 10 },
	  .verdict = XDP_TX, .reason = XLB_TX_FORWARDED, .svc = SVC_TCP4,
	  .state = XLB_FLOW_SYN },
	{ .name = "tx_v4_vlan_ip_options",
	  .pkt = { .vlan_proto = ETH_P_8021Q, .vlan_tci = 100,
		   .family = AF_INET, .saddr = CLIENT4, .daddr = VIP4,
		   .proto = IPPROTO_TCP, .sport = 40009, .dport = 80,
		   .tcp_flags = TF_SYN, .ihl = 9 },
	  .verdict = XDP_TX, .reason = XLB_TX_FORWARDED, .svc = SVC_TCP4,
	  .state = XLB_FLOW_SYN },
	{ .name = "tx_v4_tcp_options_doff15",
	  .pkt = { .family = AF_INET, .saddr = CLIENT4, .daddr = VIP4,
		   .proto = IPPROTO_TCP, .sport = 40010, .dport = 80,
		   .tcp_flags = TF_SYN, .doff = 15 },
	  .verdict = XDP_TX, .reason = XLB_TX_FORWARDED, .svc = SVC_TCP4,
	  .state = XLB_FLOW_SYN },
	/* 54-byte SYN padded to 60 */
	{ .name = "tx_v4_eth_padding",
	  .pkt = { .family = AF_INET, .saddr = CLIENT4, .daddr = VIP4,
		   .proto = IPPROTO_TCP, .sport = 40011, .dport = 80,
		   .tcp_flags = TF_SYN, .trailer = 6 },
	  .verdict = XDP_TX, .reason = XLB_TX_FORWARDED, .svc = SVC_TCP4,
	  .state = XLB_FLOW_SYN },
	{ .name = "tx_v6_syn",
	  .pkt = { .family = AF_INET6, .saddr = CLIENT6, .daddr = VIP6,
		   .proto = IPPROTO_TCP, .sport = 40000, .dport = 443,
		   .tcp_flags = TF_SYN },
	  .verdict = XDP_TX, .reason = XLB_TX_FORWARDED, .svc = SVC_TCP6,
	  .state = XLB_FLOW_SYN },
	{ .name = "tx_v6_ack_midflow",
	  .pkt = { .family = AF_INET6, .saddr = CLIENT6, .daddr = VIP6,
		   .proto = IPPROTO_TCP, .sport = 40001, .dport = 443,
		   .tcp_flags = TF_ACK, .payload = 200 },
	  .verdict = XDP_TX, .reason = XLB_TX_FORWARDED, .svc = SVC_TCP6,
	  .state = XLB_FLOW_ESTABLISHED },
	{ .name = "tx_v6_udp",
	  .pkt = { .family = AF_INET6, .saddr = CLIENT6, .daddr = VIP6,
		   .proto = IPPROTO_UDP, .sport = 5353, .dport = 53,
		   .payload = 33 },
	  .verdict = XDP_TX, .reason = XLB_TX_FORWARDED, .svc = SVC_UDP6,
	  .state = XLB_FLOW_NEW },
	{ .name = "tx_v6_vlan",
	  .pkt = { .vlan_proto = ETH_P_8021Q, .vlan_tci = 0xe00a,
		   .family = AF_INET6, .saddr = CLIENT6, .daddr = VIP6,
		   .proto = IPPROTO_TCP, .sport = 40002, .dport = 443,
		   .tcp_flags = TF_SYN },
	  .verdict = XDP_TX, .reason = XLB_TX_FORWARDED, .svc = SVC_TCP6,
	  .state = XLB_FLOW_SYN },
	/* A service without a usable back end: dropped, unchanged. */
	{ .name = "drop_no_table",
	  .pkt = { .family = AF_INET, .saddr = CLIENT4, .daddr = VIP4_NO_TABLE,
		   .proto = IPPROTO_TCP, .sport = 40000, .dport = 80,
		   .tcp_flags = TF_SYN },
	  .verdict = XDP_DROP, .reason = XLB_DROP_NO_BACKEND,
	  .svc = SVC_NO_TABLE4 },
	{ .name = "drop_no_table_v6",
	  .pkt = { .family = AF_INET6, .saddr = CLIENT6, .daddr = VIP6_NO_TABLE,
		   .proto = IPPROTO_TCP, .sport = 40000, .dport = 443,
		   .tcp_flags = TF_SYN },
	  .verdict = XDP_DROP, .reason = XLB_DROP_NO_BACKEND,
	  .svc = SVC_NO_TABLE6 },
	{ .name = "drop_table_no_backend",
	  .pkt = { .family = AF_INET, .saddr = CLIENT4, .daddr = VIP4_EMPTY,
		   .proto = IPPROTO_TCP, .sport = 40000, .dport = 80,
		   .tcp_flags = TF_SYN },
	  .verdict = XDP_DROP, .reason = XLB_DROP_NO_BACKEND,
	  .svc = SVC_EMPTY4 },
	/* the table points at a free slot */
	{ .name = "drop_table_unused_backend",
	  .pkt = { .family = AF_INET, .saddr = CLIENT4, .daddr = VIP4_UNUSED_BE,
		   .proto = IPPROTO_TCP, .sport = 40000, .dport = 80,
		   .tcp_flags = TF_SYN },
	  .verdict = XDP_DROP, .reason = XLB_DROP_NO_BACKEND,
	  .svc = SVC_UNUSED_BE4 },
	/* Malformed, fragments, extension headers: never XDP_TX; passed
	 * unchanged for the stack to judge. test_run refuses frames shorter
	 * than an Ethernet header, so truncation starts at the tag. */
	{ .name = "malformed_vlan_truncated",
	  .pkt = { .vlan_proto = ETH_P_8021Q, .vlan_tci = 100,
		   .family = AF_INET, .saddr = CLIENT4, .daddr = VIP4,
		   .proto = IPPROTO_TCP, .sport = 40000, .dport = 80,
		   .tcp_flags = TF_SYN, .cut = 16 },
	  .verdict = XDP_PASS, .reason = XLB_PASS_MALFORMED },
	{ .name = "malformed_ipv4_empty",
	  .pkt = { .family = AF_INET, .saddr = CLIENT4, .daddr = VIP4,
		   .proto = IPPROTO_TCP, .sport = 40000, .dport = 80,
		   .tcp_flags = TF_SYN, .cut = 14 },
	  .verdict = XDP_PASS, .reason = XLB_PASS_MALFORMED },
	{ .name = "malformed_ipv4_truncated",
	  .pkt = { .family = AF_INET, .saddr = CLIENT4, .daddr = VIP4,
		   .proto = IPPROTO_TCP, .sport = 40000, .dport = 80,
		   .tcp_flags = TF_SYN, .cut = 14 + 19 },
	  .verdict = XDP_PASS, .reason = XLB_PASS_MALFORMED },
	{ .name = "malformed_ipv4_ihl4",
	  .pkt = { .family = AF_INET, .saddr = CLIENT4, .daddr = VIP4,
		   .proto = IPPROTO_TCP, .sport = 40000, .dport = 80,
		   .tcp_flags = TF_SYN, .ihl = 4 },
	  .verdict = XDP_PASS, .reason = XLB_PASS_MALFORMED },
	{ .name = "malformed_ipv4_ihl0",
	  .pkt = { .family = AF_INET, .saddr = CLIENT4, .daddr = VIP4,
		   .proto = IPPROTO_TCP, .sport = 40000, .dport = 80,
		   .tcp_flags = TF_SYN, .ihl_field = IHL_FIELD(0) },
	  .verdict = XDP_PASS, .reason = XLB_PASS_MALFORMED },
	/* 60-byte header, 40-byte packet */
	{ .name = "malformed_ipv4_ihl_past_end",
	  .pkt = { .family = AF_INET, .saddr = CLIENT4, .daddr = VIP4,
		   .proto = IPPROTO_TCP, .sport = 40000, .dport = 80,
		   .tcp_flags = TF_SYN, .ihl_field = IHL_FIELD(15) },
	  .verdict = XDP_PASS, .reason = XLB_PASS_MALFORMED },
	{ .name = "malformed_ipv4_options_truncated",
	  .pkt = { .family = AF_INET, .saddr = CLIENT4, .daddr = VIP4,
		   .proto = IPPROTO_TCP, .sport = 40000, .dport = 80,
		   .tcp_flags = TF_SYN, .ihl = 15, .cut = 14 + 59 },
	  .verdict = XDP_PASS, .reason = XLB_PASS_MALFORMED },
	{ .name = "malformed_tcp_truncated_vip",
	  .pkt = { .family = AF_INET, .saddr = CLIENT4, .daddr = VIP4,
		   .proto = IPPROTO_TCP, .sport = 40000, .dport = 80,
		   .tcp_flags = TF_SYN, .cut = 14 + 20 + 19 },
	  .verdict = XDP_PASS, .reason = XLB_PASS_MALFORMED },
	{ .name = "malformed_tcp_doff4_vip",
	  .pkt = { .family = AF_INET, .saddr = CLIENT4, .daddr = VIP4,
		   .proto = IPPROTO_TCP, .sport = 40000, .dport = 80,
		   .tcp_flags = TF_SYN, .doff = 4 },
	  .verdict = XDP_PASS, .reason = XLB_PASS_MALFORMED },
	{ .name = "malformed_udp_truncated_vip",
	  .pkt = { .family = AF_INET, .saddr = CLIENT4, .daddr = VIP4,
		   .proto = IPPROTO_UDP, .sport = 5353, .dport = 53,
		   .payload = 8, .cut = 14 + 20 + 7 },
	  .verdict = XDP_PASS, .reason = XLB_PASS_MALFORMED },
	{ .name = "malformed_ipv6_truncated",
	  .pkt = { .family = AF_INET6, .saddr = CLIENT6, .daddr = VIP6,
		   .proto = IPPROTO_TCP, .sport = 40000, .dport = 443,
		   .tcp_flags = TF_SYN, .cut = 14 + 39 },
	  .verdict = XDP_PASS, .reason = XLB_PASS_MALFORMED },
	{ .name = "malformed_tcp_truncated_vip_v6",
	  .pkt = { .family = AF_INET6, .saddr = CLIENT6, .daddr = VIP6,
		   .proto = IPPROTO_TCP, .sport = 40000, .dport = 443,
		   .tcp_flags = TF_SYN, .cut = 14 + 40 + 12 },
	  .verdict = XDP_PASS, .reason = XLB_PASS_MALFORMED },
	{ .name = "malformed_tcp_doff4_vip_v6",
	  .pkt = { .family = AF_INET6, .saddr = CLIENT6, .daddr = VIP6,
		   .proto = IPPROTO_TCP, .sport = 40000, .dport = 443,
		   .tcp_flags = TF_SYN, .doff = 4 },
	  .verdict = XDP_PASS, .reason = XLB_PASS_MALFORMED },
	{ .name = "malformed_version6_in_ipv4",
	  .pkt = { .ethertype = ETH_P_IP, .family = AF_INET, .saddr = CLIENT4,
		   .daddr = VIP4, .proto = IPPROTO_TCP, .sport = 40000,
		   .dport = 80, .tcp_flags = TF_SYN, .version = 6 },
	  .verdict = XDP_PASS, .reason = XLB_PASS_MALFORMED },
	{ .name = "malformed_version4_in_ipv6",
	  .pkt = { .ethertype = ETH_P_IPV6, .family = AF_INET6,
		   .saddr = CLIENT6, .daddr = VIP6, .proto = IPPROTO_TCP,
		   .sport = 40000, .dport = 443, .tcp_flags = TF_SYN,
		   .version = 4 },
	  .verdict = XDP_PASS, .reason = XLB_PASS_MALFORMED },
	/* MF, offset 0: ports present */
	{ .name = "fragment_v4_first_vip",
	  .pkt = { .family = AF_INET, .saddr = CLIENT4, .daddr = VIP4,
		   .proto = IPPROTO_TCP, .sport = 40000, .dport = 80,
		   .tcp_flags = TF_SYN, .frag = FRAG_MF, .payload = 64 },
	  .verdict = XDP_PASS, .reason = XLB_PASS_FRAGMENT },
	/* last fragment, offset 185*8 */
	{ .name = "fragment_v4_offset_vip",
	  .pkt = { .family = AF_INET, .saddr = CLIENT4, .daddr = VIP4,
		   .proto = IPPROTO_TCP, .sport = 40000, .dport = 80,
		   .tcp_flags = TF_SYN, .frag = 185, .payload = 64 },
	  .verdict = XDP_PASS, .reason = XLB_PASS_FRAGMENT },
	{ .name = "fragment_v4_middle_vip",
	  .pkt = { .family = AF_INET, .saddr = CLIENT4, .daddr = VIP4,
		   .proto = IPPROTO_UDP, .sport = 5353, .dport = 53,
		   .frag = FRAG_MF | 1, .payload = 64 },
	  .verdict = XDP_PASS, .reason = XLB_PASS_FRAGMENT },
	{ .name = "fragment_v6_vip",
	  .pkt = { .family = AF_INET6, .saddr = CLIENT6, .daddr = VIP6,
		   .proto = IPPROTO_TCP, .sport = 40000, .dport = 443,
		   .tcp_flags = TF_SYN, .v6_ext = V6_EXT_FRAGMENT },
	  .verdict = XDP_PASS, .reason = XLB_PASS_FRAGMENT },
	{ .name = "ipv6_ext_hopopts_vip",
	  .pkt = { .family = AF_INET6, .saddr = CLIENT6, .daddr = VIP6,
		   .proto = IPPROTO_TCP, .sport = 40000, .dport = 443,
		   .tcp_flags = TF_SYN, .v6_ext = V6_EXT_HOPOPTS },
	  .verdict = XDP_PASS, .reason = XLB_PASS_IPV6_EXT },
	{ .name = "ipv6_ext_routing_vip",
	  .pkt = { .family = AF_INET6, .saddr = CLIENT6, .daddr = VIP6,
		   .proto = IPPROTO_TCP, .sport = 40000, .dport = 443,
		   .tcp_flags = TF_SYN, .v6_ext = V6_EXT_ROUTING },
	  .verdict = XDP_PASS, .reason = XLB_PASS_IPV6_EXT },
	{ .name = "ipv6_ext_dstopts_vip",
	  .pkt = { .family = AF_INET6, .saddr = CLIENT6, .daddr = VIP6,
		   .proto = IPPROTO_UDP, .sport = 5353, .dport = 53,
		   .payload = 8, .v6_ext = V6_EXT_DSTOPTS },
	  .verdict = XDP_PASS, .reason = XLB_PASS_IPV6_EXT },
};
/* clang-format on */

static const struct pkt_case *case_by_name(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (!strcmp(cases[i].name, name))
			return &cases[i];
	fail_msg("no fixture row named %s", name);
	return NULL;
}

/*
 * One fixture row: verdict, every output byte, the flow entry (TX: pinned
 * to what the table says for the flow's slot; otherwise none), and every
 * counter.
 */
static void run_case(struct env *e, const struct pkt_case *c)
{
	struct pkt in, out, want;
	__u64 t0, t1;
	int verdict;

	build(&c->pkt, &in);
	t0 = coarse_ns();
	verdict = prog_run(e, &in, &out);
	t1 = coarse_ns();
	expect_verdict(verdict, c->verdict, "verdict");

	if (c->verdict == XDP_TX) {
		__u32 slot = flow_hash(&c->pkt) % e->sz.table_size;
		__u32 table_be = table_slot(e, c->svc, slot);
		struct flow_value fv = flow_must(e, &c->pkt, "new flow pinned");
		struct backend_info bi = backend_get(e, fv.backend_id);

		expect_u64(fv.backend_id, table_be,
			   "new flow follows the table (slot %u): backend",
			   slot);
		expect_u64(bi.svc_id, c->svc, "back end %u's service",
			   fv.backend_id);
		expect_state(fv.state, c->state, "flow state");
		if (fv.last_seen < t0 || fv.last_seen > t1)
			fail_msg("flow last_seen %llu outside the run [%llu, "
				 "%llu]",
				 (unsigned long long)fv.last_seen,
				 (unsigned long long)t0,
				 (unsigned long long)t1);
		forwarded(e, &in, fv.backend_id, &want);
		expect_packet(&out, &want, "forwarded packet");
		expect_lb(e, e->skel->maps.stats_svc, c->svc, 1, in.len, 1);
		expect_lb(e, e->skel->maps.stats_backend, fv.backend_id, 1,
			  in.len, 1);
	} else {
		want = in;
		expect_packet(&out, &want, "packet unchanged");
		if (c->verdict == XDP_DROP)
			expect_lb(e, e->skel->maps.stats_svc, c->svc, 1, in.len,
				  0);
	}
	expect_u64(map_count(e->skel->maps.flows_v4) +
			   map_count(e->skel->maps.flows_v6),
		   c->verdict == XDP_TX ? 1 : 0, "flow entries");
	expect_reasons(e, c->reason, 1, in.len);
}

static void test_case(void **state)
{
	struct env *e = *state;

	run_case(e, e->arg);
}

/* ---- scenarios -------------------------------------------------------- */

struct family_setup {
	int family;
	const char *client, *vip;
	__u16 port;
	__u32 svc, spare;
};

static const struct family_setup fam4 = {
	.family = AF_INET,
	.client = CLIENT4,
	.vip = VIP4,
	.port = 80,
	.svc = SVC_TCP4,
	.spare = SPARE_BE4,
};

static const struct family_setup fam6 = {
	.family = AF_INET6,
	.client = CLIENT6,
	.vip = VIP6,
	.port = 443,
	.svc = SVC_TCP6,
	.spare = SPARE_BE6,
};

static struct pkt_spec tcp_spec(const struct family_setup *f, __u16 sport,
				__u8 flags)
{
	struct pkt_spec s = {
		.family = f->family,
		.saddr = f->client,
		.daddr = f->vip,
		.proto = IPPROTO_TCP,
		.sport = sport,
		.dport = f->port,
		.tcp_flags = flags,
	};
	return s;
}

/*
 * A flow stays on its back end when the table changes under it; a new
 * flow follows the new table.
 */
static void pin_survives_table_change(struct env *e,
				      const struct family_setup *f)
{
	struct pkt_spec syn = tcp_spec(f, 41000, TF_SYN);
	struct pkt_spec ack = tcp_spec(f, 41000, TF_ACK);
	struct pkt_spec other = tcp_spec(f, 41001, TF_SYN);
	struct flow_value fv;
	struct pkt in;
	__u32 first;

	build(&syn, &in);
	send_tx(e, &syn,
		table_slot(e, f->svc, flow_hash(&syn) % e->sz.table_size),
		"SYN to the VIP");
	fv = flow_must(e, &syn, "after the SYN");
	first = fv.backend_id;
	expect_state(fv.state, XLB_FLOW_SYN, "flow state after the SYN");

	table_all(e, f->svc, f->spare); /* the controller swaps the table */

	send_tx(e, &ack, first, "ACK after the table swap");
	fv = flow_must(e, &ack, "after the ACK");
	expect_u64(fv.backend_id, first, "flow stays pinned: backend");
	expect_state(fv.state, XLB_FLOW_ESTABLISHED,
		     "flow state after the ACK");

	send_tx(e, &other, f->spare, "new flow after the table swap");
	fv = flow_must(e, &other, "new flow");
	expect_u64(fv.backend_id, f->spare,
		   "new flow follows the new table: %s", "backend");

	expect_lb(e, e->skel->maps.stats_backend, first, 2, 2 * in.len, 1);
	expect_lb(e, e->skel->maps.stats_backend, f->spare, 1, in.len, 1);
	expect_lb(e, e->skel->maps.stats_svc, f->svc, 3, 3 * in.len, 2);
	expect_reasons(e, XLB_TX_FORWARDED, 3, 3 * in.len);
}

static void test_pin_survives_table_change_v4(void **state)
{
	pin_survives_table_change(*state, &fam4);
}

static void test_pin_survives_table_change_v6(void **state)
{
	pin_survives_table_change(*state, &fam6);
}

/* Pin a SYN, then return the back end it went to. */
static __u32 pin_syn(struct env *e, const struct pkt_spec *syn)
{
	send_tx(e, syn,
		table_slot(e, SVC_TCP4, flow_hash(syn) % e->sz.table_size),
		"SYN to the VIP");
	return flow_must(e, syn, "after the SYN").backend_id;
}

/* The back end is removed (slot freed, table rebuilt without it): its
 * flows are picked again from the table and pinned to the new choice. */
static void test_backend_removed_repicked(void **state)
{
	struct env *e = *state;
	struct pkt_spec syn = tcp_spec(&fam4, 42000, TF_SYN);
	struct pkt_spec ack = tcp_spec(&fam4, 42000, TF_ACK);
	struct backend_info bi;
	struct flow_value fv;
	__u32 first;

	first = pin_syn(e, &syn);
	table_all(e, SVC_TCP4, SPARE_BE4);
	bi = backend_get(e, first);
	bi.state = XLB_BE_UNUSED;
	backend_put(e, first, &bi);

	send_tx(e, &ack, SPARE_BE4, "ACK after its back end was removed");
	fv = flow_must(e, &ack, "after the ACK");
	expect_u64(fv.backend_id, SPARE_BE4, "flow re-picked: backend");
	expect_state(fv.state, XLB_FLOW_ESTABLISHED, "re-picked flow state");
	expect_lb(e, e->skel->maps.stats_backend, SPARE_BE4, 1, spec_len(&ack),
		  1);
	expect_lb(e, e->skel->maps.stats_svc, SVC_TCP4, 2,
		  spec_len(&syn) + spec_len(&ack), 2);
}

/* A back-end id moved to another service: flows of the old service do
 * not follow it there. */
static void test_backend_moved_service_repicked(void **state)
{
	struct env *e = *state;
	struct pkt_spec syn = tcp_spec(&fam4, 42001, TF_SYN);
	struct pkt_spec ack = tcp_spec(&fam4, 42001, TF_ACK);
	struct backend_info bi;
	struct flow_value fv;
	__u32 first;

	first = pin_syn(e, &syn);
	table_all(e, SVC_TCP4, SPARE_BE4);
	bi = backend_get(e, first);
	bi.svc_id = SVC_UDP4;
	backend_put(e, first, &bi);

	send_tx(e, &ack, SPARE_BE4, "ACK after its back end moved service");
	fv = flow_must(e, &ack, "after the ACK");
	expect_u64(fv.backend_id, SPARE_BE4, "flow re-picked: backend");
}

/* Removed, but the table still names it (controller not done yet): the
 * packet is dropped, not sent to a free slot. */
static void test_backend_removed_stale_table_drops(void **state)
{
	struct env *e = *state;
	struct pkt_spec syn = tcp_spec(&fam4, 42002, TF_SYN);
	struct pkt_spec ack = tcp_spec(&fam4, 42002, TF_ACK);
	struct backend_info bi;
	struct flow_value fv;
	__u32 first;

	first = pin_syn(e, &syn);
	table_all(e, SVC_TCP4, first);
	bi = backend_get(e, first);
	bi.state = XLB_BE_UNUSED;
	backend_put(e, first, &bi);

	send_unchanged(e, &ack, XDP_DROP, "ACK to a removed back end");
	fv = flow_must(e, &ack, "after the drop");
	expect_u64(fv.backend_id, first, "flow entry left as it was: backend");
	expect_u64(reason_get(e, XLB_DROP_NO_BACKEND).packets, 1,
		   "reason counter drop_no_backend: packets");
}

/* svc_tables entry deleted: new flows are dropped and counted. */
static void test_table_deleted_drops(void **state)
{
	struct env *e = *state;
	struct pkt_spec syn = tcp_spec(&fam4, 42003, TF_SYN);
	struct pkt in;
	__u32 svc = SVC_TCP4;

	if (bpf_map_delete_elem(map_fd(e->skel->maps.svc_tables), &svc))
		fail_msg("svc_tables[%u] delete: %s", svc, strerror(errno));
	build(&syn, &in);
	send_unchanged(e, &syn, XDP_DROP, "SYN to a service without table");
	expect_u64(map_count(e->skel->maps.flows_v4), 0, "flow entries");
	expect_lb(e, e->skel->maps.stats_svc, SVC_TCP4, 1, in.len, 0);
	expect_reasons(e, XLB_DROP_NO_BACKEND, 1, in.len);
}

/* TCP state as seen from the client, on one pinned flow. */
static void test_flow_state_tracking(void **state)
{
	static const struct {
		__u8 flags;
		enum flow_state state;
	} steps[] = {
		{ TF_SYN, XLB_FLOW_SYN },
		{ TF_ACK, XLB_FLOW_ESTABLISHED },
		{ TF_ACK | TF_PSH, XLB_FLOW_ESTABLISHED },
		{ TF_SYN, XLB_FLOW_SYN }, /* port reuse */
		{ TF_ACK, XLB_FLOW_ESTABLISHED },
		{ TF_FIN | TF_ACK, XLB_FLOW_FIN },
		{ TF_ACK, XLB_FLOW_FIN },
		{ TF_RST | TF_ACK, XLB_FLOW_RST },
	};
	struct pkt_spec base = tcp_spec(&fam4, 43000, TF_ACK);
	struct env *e = *state;
	struct flow_value fv;
	__u32 be = 0;
	size_t i;

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		struct pkt_spec s = tcp_spec(&fam4, 43000, steps[i].flags);
		char what[64];

		snprintf(what, sizeof(what), "packet %zu (flags 0x%02x)", i,
			 steps[i].flags);
		if (i == 0)
			be = pin_syn(e, &s);
		else
			send_tx(e, &s, be, what);
		fv = flow_must(e, &s, what);
		expect_u64(fv.backend_id, be, "%s: flow stays pinned: backend",
			   what);
		expect_state(fv.state, steps[i].state, what);
	}
	expect_lb(e, e->skel->maps.stats_backend, be, i, i * spec_len(&base),
		  1);
}

/*
 * The sweep's race: a walk finds a closed flow expired; before the delete,
 * the client reuses its port and a SYN goes through the same entry. The
 * delete must put that flow back as it is now (same back end, state SYN),
 * and still delete a flow that stayed expired.
 */
static void test_sweep_keeps_revived_flow(void **state)
{
	struct pkt_spec fin = tcp_spec(&fam4, 43100, TF_FIN | TF_ACK);
	struct pkt_spec syn = tcp_spec(&fam4, 43100, TF_SYN);
	struct pkt_spec old = tcp_spec(&fam4, 43101, TF_SYN);
	struct flow_timeouts to = { .tcp_syn = 60, .tcp_established = 900,
				    .tcp_fin = 30, .tcp_rst = 10, .udp = 300 };
	struct env *e = *state;
	int fd = map_fd(e->skel->maps.flows_v4);
	struct flow_key_v4 keys[3];
	struct flow_value fv;
	__u64 now, revived = 0, lost = 0;
	struct timespec ts;
	__u32 be;

	be = pin_syn(e, &syn);
	send_tx(e, &fin, be, "FIN");
	pin_syn(e, &old);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = ts.tv_sec * 1000000000ull + ts.tv_nsec;
	/* both idle 100 s: the walk sees them expired (FIN, SYN) */
	flow_key4(&syn, &keys[0]);
	flow_key4(&old, &keys[1]);
	fv = flow_must(e, &syn, "closed flow");
	expect_state(fv.state, XLB_FLOW_FIN, "closed flow");
	fv.last_seen = now - 100 * 1000000000ull;
	assert_int_equal(bpf_map_update_elem(fd, &keys[0], &fv, BPF_EXIST), 0);
	fv = flow_must(e, &old, "idle flow");
	fv.last_seen = now - 100 * 1000000000ull;
	assert_int_equal(bpf_map_update_elem(fd, &keys[1], &fv, BPF_EXIST), 0);
	/* a third key the walk saw, gone before the delete */
	keys[2] = keys[1];
	keys[2].sport = htons(43102);
	/* after the walk: the client reuses port 43100 */
	send_tx(e, &syn, be, "SYN on the closed flow");
	assert_int_equal(dp_flows_delete_expired(NULL, fd, keys, 3,
						 sizeof(keys[0]), &to, now,
						 &revived, &lost),
			 1);
	fv = flow_must(e, &syn, "revived flow after the sweep");
	expect_u64(fv.backend_id, be, "revived flow keeps its back end");
	expect_state(fv.state, XLB_FLOW_SYN, "revived flow");
	assert_false(flow_get(e, &old, &fv));
	expect_u64(revived, 1, "revived");
	expect_u64(lost, 0, "lost");
}

/* UDP: one flow entry per 5-tuple, state NEW, pinned like TCP. */
static void test_udp_flow_pinned(void **state)
{
	struct env *e = *state;
	struct pkt_spec s = {
		.family = AF_INET,
		.saddr = CLIENT4,
		.daddr = VIP4,
		.proto = IPPROTO_UDP,
		.sport = 5000,
		.dport = 53,
		.payload = 20,
	};
	struct flow_value fv;
	__u32 first, other;

	first = table_slot(e, SVC_UDP4, flow_hash(&s) % e->sz.table_size);
	send_tx(e, &s, first, "first datagram");
	other = first == 4 ? 5 : 4;
	table_all(e, SVC_UDP4, other);
	send_tx(e, &s, first, "second datagram after the table swap");
	fv = flow_must(e, &s, "UDP flow");
	expect_u64(fv.backend_id, first, "UDP flow stays pinned: backend");
	expect_state(fv.state, XLB_FLOW_NEW, "UDP flow state");
	expect_lb(e, e->skel->maps.stats_backend, first, 2, 2 * spec_len(&s),
		  1);
}

/* Many flows spread over the table: each lands on its slot's back end,
 * and all three back ends get some. */
static void test_flows_follow_table_slots(void **state)
{
	struct env *e = *state;
	__u32 per_be[4] = {}, i, n = 60;

	for (i = 0; i < n; i++) {
		struct pkt_spec s = tcp_spec(&fam4, 20000 + i * 7, TF_SYN);
		__u32 be = table_slot(e, SVC_TCP4,
				      flow_hash(&s) % e->sz.table_size);
		char what[64];

		snprintf(what, sizeof(what), "flow from port %u", s.sport);
		send_tx(e, &s, be, what);
		if (be < 4)
			per_be[be]++;
	}
	for (i = 1; i <= 3; i++)
		if (!per_be[i])
			fail_msg("back end %u got none of %u flows", i, n);
	expect_u64(per_be[1] + per_be[2] + per_be[3], n,
		   "flows to back ends 1..3");
	expect_u64(map_count(e->skel->maps.flows_v4), n, "flow entries");
}

/* Limit: the flow table is full (LRU): new flows are still forwarded to
 * their table slot's back end and the table never grows past its size. */
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
				   flow_hash(&s) % e->sz.table_size),
			what);
	}
	if (map_count(e->skel->maps.flows_v4) > 8)
		fail_msg("flows_v4 holds %u entries, max_entries is 8",
			 map_count(e->skel->maps.flows_v4));
	expect_reasons(e, XLB_TX_FORWARDED, n, n * len);
	expect_lb(e, e->skel->maps.stats_svc, SVC_TCP4, n, n * len, n);
}

/* Limit: svc_tables takes only tables of exactly table_size slots (the
 * template's size), so a table built for another size cannot be swapped
 * in by mistake. */
/* ---- ICMP ---- */

/* An echo request to a VIP comes back as the reply, every byte (checksums
 * recomputed from scratch by the builder) as a host would send it. */
static void icmp_echo(struct env *e, const struct family_setup *f, __u8 proto)
{
	struct pkt_spec req = { .family = f->family, .saddr = f->client,
				.daddr = f->vip, .proto = proto, .ttl = 50,
				.payload = 56 };
	struct pkt_spec rep = req;
	struct pkt in, out, want;

	rep.saddr = f->vip;
	rep.daddr = f->client;
	rep.ttl = 64;
	rep.echo_reply = true;
	build(&req, &in);
	build(&rep, &want);
	memcpy(want.data, PEER_MAC, ETH_ALEN); /* back to the sender */
	memcpy(want.data + ETH_ALEN, LB_MAC, ETH_ALEN);
	expect_verdict(prog_run(e, &in, &out), XDP_TX, "echo request");
	expect_packet(&out, &want, "echo reply");
	expect_reasons(e, XLB_TX_ICMP_ECHO, 1, in.len);
	expect_u64(map_count(e->skel->maps.flows_v4) +
			   map_count(e->skel->maps.flows_v6),
		   0, "flows after an echo");
}

static void test_icmp_echo_v4(void **state)
{
	icmp_echo(*state, &fam4, IPPROTO_ICMP);
}

static void test_icmp_echo_v6(void **state)
{
	icmp_echo(*state, &fam6, IPPROTO_ICMPV6);
}

/* The back end's reply of a flow (VIP:port -> client:port), as an ICMP
 * error quotes it. */
static struct pkt_spec reply_of(const struct pkt_spec *flow)
{
	struct pkt_spec r = *flow;

	r.saddr = flow->daddr;
	r.daddr = flow->saddr;
	r.sport = flow->dport;
	r.dport = flow->sport;
	r.tcp_flags = TF_ACK;
	r.payload = 600;
	return r;
}

/*
 * An ICMP error from a router on the way to the client (fragmentation
 * needed / packet too big, unreachable) reaches the back end that owns the
 * quoted flow even after the table changed; the flow is not touched. One
 * about a flow that is not pinned goes where the table says, and pins
 * nothing.
 */
static void icmp_error(struct env *e, const struct family_setup *f,
		       __u8 proto, __u8 type, __u8 code, const char *router)
{
	struct pkt_spec syn = tcp_spec(f, 42000, TF_SYN);
	struct pkt_spec quoted = reply_of(&syn);
	struct pkt_spec err = { .family = f->family, .saddr = router,
				.daddr = f->vip, .proto = proto,
				.icmp_type = type, .icmp_code = code,
				.icmp_mtu = 1280, .inner = &quoted };
	struct pkt_spec other = tcp_spec(f, 42001, TF_SYN);
	struct pkt_spec quoted2 = reply_of(&other);
	struct pkt_spec err2 = err;
	struct flow_value before, after;
	struct pkt in, out, want;
	__u32 first;

	first = table_slot(e, f->svc, flow_hash(&syn) % e->sz.table_size);
	send_tx(e, &syn, first, "SYN");
	before = flow_must(e, &syn, "after the SYN");
	table_all(e, f->svc, f->spare);
	build(&err, &in);
	expect_verdict(prog_run(e, &in, &out), XDP_TX, "ICMP error");
	forwarded(e, &in, first, &want);
	expect_packet(&out, &want, "ICMP error to the flow's back end");
	after = flow_must(e, &syn, "after the ICMP error");
	expect_u64(after.backend_id, first, "flow still pinned: backend");
	expect_state(after.state, before.state, "ICMP error");
	expect_u64(after.last_seen, before.last_seen, "last_seen untouched");
	expect_u64(reason_get(e, XLB_TX_ICMP_ERROR).packets, 1,
		   "tx_icmp_error packets");

	err2.inner = &quoted2; /* a flow never seen */
	build(&err2, &in);
	expect_verdict(prog_run(e, &in, &out), XDP_TX, "ICMP error, no flow");
	forwarded(e, &in, f->spare, &want);
	expect_packet(&out, &want, "ICMP error without a flow: by table");
	if (flow_get(e, &other, &after))
		fail_msg("an ICMP error pinned a flow");
	expect_u64(reason_get(e, XLB_TX_ICMP_ERROR).packets, 2,
		   "tx_icmp_error packets");
}

static void test_icmp_frag_needed_v4(void **state)
{
	icmp_error(*state, &fam4, IPPROTO_ICMP, 3, 4, "10.9.9.9");
}

static void test_icmp_unreachable_v4(void **state)
{
	icmp_error(*state, &fam4, IPPROTO_ICMP, 3, 1, "10.9.9.9");
}

static void test_icmp_packet_too_big_v6(void **state)
{
	icmp_error(*state, &fam6, IPPROTO_ICMPV6, 2, 0, "fd00:9::9");
}

static void test_icmp_unreachable_v6(void **state)
{
	icmp_error(*state, &fam6, IPPROTO_ICMPV6, 1, 4, "fd00:9::9");
}

/* Errors that are not about a service, or quote too little: passed. */
static void test_icmp_error_not_ours(void **state)
{
	struct env *e = *state;
	struct pkt_spec flow = tcp_spec(&fam4, 42002, TF_ACK);
	struct pkt_spec q = reply_of(&flow);
	struct pkt_spec err = { .family = AF_INET, .saddr = "10.9.9.9",
				.daddr = VIP4, .proto = IPPROTO_ICMP,
				.icmp_type = 3, .icmp_code = 4,
				.icmp_mtu = 1280, .inner = &q };

	q.sport = 8080; /* VIP4 has no tcp/8080 */
	send_unchanged(e, &err, XDP_PASS, "error about VIP:8080");
	expect_u64(reason_get(e, XLB_PASS_NOT_VIP).packets, 1, "pass_not_vip");
	q.sport = 80;
	err.quote = 20 + 2; /* the ports cut off */
	send_unchanged(e, &err, XDP_PASS, "error quoting 2 bytes of L4");
	expect_u64(reason_get(e, XLB_PASS_MALFORMED).packets, 1,
		   "pass_malformed");
	err.quote = 0;
	err.icmp_type = 5; /* redirect */
	send_unchanged(e, &err, XDP_PASS, "ICMP redirect");
	expect_u64(reason_get(e, XLB_PASS_NOT_L4).packets, 1, "pass_not_l4");
}

/* ---- source-IP persistence ---- */

static void vip_flags_proto(struct env *e, const struct family_setup *f,
			    __u8 proto, __u32 flags)
{
	struct vip_meta vm = { .svc_id = f->svc, .flags = flags };
	int ret;

	if (f->family == AF_INET) {
		struct vip_key_v4 k = { .port = htons(f->port), .proto = proto };

		addr_of(AF_INET, f->vip, &k.addr);
		ret = bpf_map_update_elem(map_fd(e->skel->maps.vips_v4), &k,
					  &vm, 0);
	} else {
		struct vip_key_v6 k = { .port = htons(f->port), .proto = proto };

		addr_of(AF_INET6, f->vip, k.addr);
		ret = bpf_map_update_elem(map_fd(e->skel->maps.vips_v6), &k,
					  &vm, 0);
	}
	if (ret)
		fail_msg("vips update: %s", strerror(errno));
}

static void vip_flags(struct env *e, const struct family_setup *f, __u32 flags)
{
	vip_flags_proto(e, f, IPPROTO_TCP, flags);
}

/* The slot of a client under src-ip persistence: the hash of its address
 * masked to plen, as the data path computes it. */
static __u32 persist_slot(struct env *e, int family, const char *client,
			  __u32 plen)
{
	__u32 a[4] = {}, i;

	addr_of(family, client, a);
	for (i = 0; i < (family == AF_INET ? 1u : 4u); i++) {
		__u32 bits = plen > 32 * i ? plen - 32 * i : 0;

		if (bits < 32)
			a[i] &= bits ? htonl(~0u << (32 - bits)) : 0;
	}
	return jhash2(a, family == AF_INET ? 1 : 4, XLB_HASH_SEED) %
	       e->sz.table_size;
}

/*
 * With persistence every connection of a client (and of its prefix) goes
 * to the back end its masked address hashes to, each still pinned as its
 * own flow; without it the ports spread them.
 */
static void persistence(struct env *e, const struct family_setup *f,
			__u32 plen, const char *neighbour, const char *far)
{
	__u32 want, seen = 0, port;
	struct pkt_spec s;

	vip_flags(e, f, XLB_VIP_F_SRC_IP | plen << XLB_VIP_PREFIX_SHIFT);
	want = table_slot(e, f->svc, persist_slot(e, f->family, f->client,
						     plen));
	for (port = 30000; port < 30100; port++) {
		s = tcp_spec(f, port, TF_SYN);
		send_tx(e, &s, want, "persistent SYN");
		flow_must(e, &s, "persistent flow");
	}
	s = tcp_spec(f, 31000, TF_SYN);
	s.saddr = neighbour; /* same prefix */
	expect_u64(persist_slot(e, f->family, neighbour, plen),
		   persist_slot(e, f->family, f->client, plen),
		   "same prefix, same slot");
	send_tx(e, &s, want, "SYN from the same prefix");
	s.saddr = far;
	send_tx(e, &s,
		table_slot(e, f->svc, persist_slot(e, f->family, far, plen)),
		"SYN from another prefix");
	expect_reasons(e, XLB_TX_FORWARDED, 102, 102 * spec_len(&s));
	/* without persistence the same 100 ports reach several back ends */
	vip_flags(e, f, 0);
	map_flush(e->skel->maps.flows_v4);
	map_flush(e->skel->maps.flows_v6);
	for (port = 30000; port < 30100; port++) {
		s = tcp_spec(f, port, TF_SYN);
		seen |= 1u << table_slot(e, f->svc,
					 flow_hash(&s) % e->sz.table_size);
	}
	expect_u64(__builtin_popcount(seen) > 1, 1,
		   "without persistence the ports spread");
}

static void test_persistence_src_ip_v4(void **state)
{
	persistence(*state, &fam4, 24, "10.0.0.200", "10.0.7.1");
}

static void test_persistence_src_ip_v6(void **state)
{
	persistence(*state, &fam6, 64, "fd00:c::abcd", "fd00:d::1");
}

static void test_persistence_full_address_v4(void **state)
{
	persistence(*state, &fam4, 32, CLIENT4, "10.0.0.2");
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
	__u32 zero = 0, port, pinned = 0;
	struct pkt_spec s;
	struct flow_value fv;

	if (bpf_map_update_elem(map_fd(e->skel->maps.xlb_cfg), &zero, &cfg, 0))
		fail_msg("xlb_cfg: %s", strerror(errno));
	for (port = 50000; port < 50010; port++) {
		s = tcp_spec(&fam4, port, TF_SYN);
		send_tx(e, &s,
			table_slot(e, SVC_TCP4,
				   flow_hash(&s) % e->sz.table_size),
			"SYN under the guard");
		pinned += flow_get(e, &s, &fv);
	}
	expect_u64(pinned, 3, "flows pinned under the guard");
	expect_u64(map_count(e->skel->maps.flows_v4), 3, "flow table entries");
	expect_u64(reason_get(e, XLB_TX_FORWARDED).packets, 3, "tx_forwarded");
	expect_u64(reason_get(e, XLB_TX_UNPINNED).packets, 7, "tx_unpinned");
	expect_u64(lb_get(e->skel->maps.stats_svc, SVC_TCP4).new_flows, 3,
		   "new flows counted");
	s = tcp_spec(&fam4, 50000, TF_ACK); /* the first, pinned */
	fv = flow_must(e, &s, "first flow");
	send_tx(e, &s, fv.backend_id, "pinned flow under the guard");
	expect_u64(reason_get(e, XLB_TX_FORWARDED).packets, 4, "tx_forwarded");
	/* guard off: pins again */
	cfg.flow_cost_ns = 0;
	if (bpf_map_update_elem(map_fd(e->skel->maps.xlb_cfg), &zero, &cfg, 0))
		fail_msg("xlb_cfg: %s", strerror(errno));
	s = tcp_spec(&fam4, 50005, TF_SYN);
	send_tx(e, &s,
		table_slot(e, SVC_TCP4, flow_hash(&s) % e->sz.table_size),
		"SYN, guard off");
	flow_must(e, &s, "pinned with the guard off");
}

/* ---- tunnel mode ---- */

static const struct lb_cfg tun_cfg = {
	/* 198.18.9.0/24 and fd00:9::/64, in network order as stored */
	.tun_src4 = 0x000912c6, .tun_mask4 = 0x00ffffff,
	.tun_src6 = { 0x000000fd | 0x0900 << 16, 0, 0, 0 },
	.tun_mask6 = { 0xffffffff, 0xffffffff, 0, 0 },
};

static void tunnel_setup(struct env *e, const struct family_setup *f)
{
	__u32 zero = 0;

	vip_flags(e, f, XLB_VIP_F_TUNNEL);
	if (bpf_map_update_elem(map_fd(e->skel->maps.xlb_cfg), &zero, &tun_cfg,
				0))
		fail_msg("xlb_cfg: %s", strerror(errno));
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
 * from its IP header on, unchanged. seed and h follow the documented
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
			__u32 m = tun_cfg.tun_mask6[i];
			__u32 host = i == 3 ? h : i == 2 ? seed : 0;
			__u32 w = (tun_cfg.tun_src6[i] & m) | (htonl(host) & ~m);

			memcpy(o + 8 + 4 * i, &w, 4);
		}
		memcpy(o + 24, bi->addr, 16);
	} else {
		__u32 sa = (tun_cfg.tun_src4 & tun_cfg.tun_mask4) |
			   (htonl(h) & ~tun_cfg.tun_mask4);

		o[0] = 0x45;
		o[1] = tos;
		put16(o + 2, inner_len + 20);
		o[8] = 64;
		o[9] = 4;
		memcpy(o + 12, &sa, 4);
		memcpy(o + 16, bi->addr, 4);
		put16(o + 10, csum_fold(csum_add(0, o, 20)));
	}
	memcpy(o + room, ip, in->len - l2len);
	want->len = in->len + room;
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
	be = table_slot(e, SVC_TCP4, flow_hash(&syn) % e->sz.table_size);
	send_tunneled(e, &syn, 14, be, "tunnel SYN");
	expect_u64(flow_must(e, &syn, "tunnel flow").backend_id, be,
		   "pinned back end");
	send_tunneled(e, &ack, 14, be, "tunnel ACK");
	send_tunneled(e, &other, 14,
		      table_slot(e, SVC_TCP4,
				 flow_hash(&other) % e->sz.table_size),
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
				 flow_hash(&tagged) % e->sz.table_size),
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
		      table_slot(e, SVC_TCP6, flow_hash(&syn) % e->sz.table_size),
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
	be = table_slot(e, SVC_TCP4, flow_hash(&syn) % e->sz.table_size);
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
			map_flush(e->skel->maps.flows_v4);
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

/* ---- nat ---- */

#define NAT_SRC4 "10.2.0.1"
#define NAT_SRC6 "fd00:2::1"

static void nat_setup_proto(struct env *e, const struct family_setup *f,
			    __u8 proto, __u16 port_min, __u16 port_max)
{
	struct lb_cfg cfg = { .nat_port_min = port_min,
			      .nat_port_max = port_max };
	__u32 zero = 0;

	if (!nat_test_ifindex)
		fail_msg("no internal interface for the nat tests (unshare or 'ip link add' failed: root needed)");
	addr_of(AF_INET, NAT_SRC4, &cfg.nat_src4);
	addr_of(AF_INET6, NAT_SRC6, cfg.nat_src6);
	vip_flags_proto(e, f, proto, XLB_VIP_F_NAT);
	if (bpf_map_update_elem(map_fd(e->skel->maps.xlb_cfg), &zero, &cfg, 0))
		fail_msg("xlb_cfg: %s", strerror(errno));
}

static void nat_setup(struct env *e, const struct family_setup *f,
		      __u16 port_min, __u16 port_max)
{
	nat_setup_proto(e, f, IPPROTO_TCP, port_min, port_max);
}

/* One test run with the frame arriving on ifindex. */
static int prog_run_on(struct env *e, const struct pkt *in, struct pkt *out,
		       __u32 ifindex)
{
	struct xdp_md ctx = { .data_end = in->len, .ingress_ifindex = ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in->data,
		    .data_size_in = in->len, .data_out = out->data,
		    .data_size_out = sizeof(out->data), .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = 1);

	memset(out, 0, sizeof(*out));
	if (bpf_prog_test_run_opts(e->prog, &opts))
		fail_msg("BPF_PROG_TEST_RUN on ifindex %u: %s", ifindex,
			 strerror(errno));
	out->len = opts.data_size_out;
	return opts.retval;
}

static char be_addr_buf[8][INET6_ADDRSTRLEN];

static const char *be_addr_str(struct env *e, __u32 id, int slot)
{
	struct backend_info bi = backend_get(e, id);

	inet_ntop(bi.family, bi.addr, be_addr_buf[slot], INET6_ADDRSTRLEN);
	return be_addr_buf[slot];
}

/*
 * A client's packet to a nat service leaves for the internal side with
 * destination back end:port and source our address:the flow's port, every
 * byte as a host would have built it (checksums from scratch); the reply
 * comes back translated to VIP:port -> client, to the client's side.
 */
static void nat_roundtrip(struct env *e, const struct family_setup *tf,
			  __u8 proto, __u16 be_port)
{
	struct family_setup uf = *tf, *f = &uf;
	struct pkt_spec c, want_s, r, want_r;
	struct pkt in, out, want;
	struct flow_value fv;
	__u32 be;

	if (proto == IPPROTO_UDP) { /* the udp/53 services */
		uf.port = 53;
		uf.svc = tf->family == AF_INET ? SVC_UDP4 : SVC_UDP6;
	}
	c = tcp_spec(f, 45000, TF_SYN);
	nat_setup_proto(e, f, proto, 20000, 60000);
	c.proto = proto;
	c.payload = proto == IPPROTO_UDP ? 64 : 0;
	be = table_slot(e, f->svc, flow_hash(&c) % e->sz.table_size);
	if (be_port) {
		struct backend_info bi = backend_get(e, be);

		bi.port = htons(be_port);
		backend_put(e, be, &bi);
	}
	build(&c, &in);
	expect_verdict(prog_run(e, &in, &out), XDP_REDIRECT, "nat request");
	fv = flow_must(e, &c, "nat flow");
	expect_u64(fv.backend_id, be, "nat flow's back end");
	if (ntohs(fv.nat_port) < 20000 || ntohs(fv.nat_port) > 60000)
		fail_msg("nat port %u outside 20000..60000", ntohs(fv.nat_port));
	want_s = c;
	want_s.saddr = f->family == AF_INET ? NAT_SRC4 : NAT_SRC6;
	want_s.sport = ntohs(fv.nat_port);
	want_s.daddr = be_addr_str(e, be, 0);
	want_s.dport = be_port ? be_port : f->port;
	build(&want_s, &want);
	{
		struct backend_info bi = backend_get(e, be);

		memcpy(want.data, bi.mac, ETH_ALEN);
		memcpy(want.data + ETH_ALEN, INT_MAC, ETH_ALEN);
	}
	expect_packet(&out, &want, "nat request, translated");
	expect_u64(reason_get(e, XLB_REDIRECT_NAT).packets, 1, "redirect_nat");

	/* the back end answers our address and port */
	r = want_s;
	r.saddr = want_s.daddr;
	r.daddr = want_s.saddr;
	r.sport = want_s.dport;
	r.dport = want_s.sport;
	r.tcp_flags = TF_SYN | TF_ACK;
	r.payload = proto == IPPROTO_UDP ? 100 : 0;
	build(&r, &in);
	memcpy(in.data + ETH_ALEN, "\x02\xbe\x00\x00\x00\x77", ETH_ALEN);
	expect_verdict(prog_run_on(e, &in, &out, nat_test_ifindex),
		       XDP_REDIRECT, "nat reply");
	want_r = c;
	want_r.saddr = f->vip;
	want_r.daddr = f->client;
	want_r.sport = f->port;
	want_r.dport = 45000;
	want_r.tcp_flags = TF_SYN | TF_ACK;
	want_r.payload = r.payload;
	build(&want_r, &want);
	memcpy(want.data, PEER_MAC, ETH_ALEN); /* the client's side */
	memcpy(want.data + ETH_ALEN, LB_MAC, ETH_ALEN);
	expect_packet(&out, &want, "nat reply, translated back");
	expect_u64(reason_get(e, XLB_REDIRECT_NAT_REPLY).packets, 1,
		   "redirect_nat_reply");

	/* a reply to a port we never handed out is the kernel's */
	r.dport = want_s.sport + 1 > 60000 ? 20000 : want_s.sport + 1;
	build(&r, &in);
	expect_verdict(prog_run_on(e, &in, &out, nat_test_ifindex), XDP_PASS,
		       "reply to an unknown mapping");
	expect_packet(&out, &in, "unknown mapping untouched");
}

static void test_nat_tcp_v4(void **state)
{
	nat_roundtrip(*state, &fam4, IPPROTO_TCP, 0);
}

static void test_nat_tcp_v4_port_mapped(void **state)
{
	nat_roundtrip(*state, &fam4, IPPROTO_TCP, 8080);
}

static void test_nat_udp_v4(void **state)
{
	nat_roundtrip(*state, &fam4, IPPROTO_UDP, 0);
}

static void test_nat_tcp_v6(void **state)
{
	nat_roundtrip(*state, &fam6, IPPROTO_TCP, 0);
}

static void test_nat_udp_v6_port_mapped(void **state)
{
	nat_roundtrip(*state, &fam6, IPPROTO_UDP, 5353);
}

/* Later packets of a flow keep its port; the range runs out loudly. */
static void test_nat_port_kept_and_exhausted(void **state)
{
	struct env *e = *state;
	struct pkt_spec s;
	struct flow_value fv;
	struct pkt in, out;
	__u32 port, redirected = 0, dropped = 0, other = 0;
	__be16 first;

	nat_setup(e, &fam4, 20000, 20009); /* 10 ports */
	table_all(e, SVC_TCP4, 1);
	s = tcp_spec(&fam4, 46000, TF_SYN);
	build(&s, &in);
	prog_run(e, &in, &out);
	first = flow_must(e, &s, "first").nat_port;
	s.tcp_flags = TF_ACK;
	build(&s, &in);
	expect_verdict(prog_run(e, &in, &out), XDP_REDIRECT, "ACK");
	expect_u64(flow_must(e, &s, "first").nat_port, first, "port kept");
	for (port = 46001; port < 46012; port++) {
		s = tcp_spec(&fam4, port, TF_SYN);
		build(&s, &in);
		switch (prog_run(e, &in, &out)) {
		case XDP_REDIRECT:
			redirected++;
			break;
		case XDP_DROP:
			dropped++;
			break;
		default: /* passed to the kernel: wrong */
			other++;
		}
	}
	expect_u64(redirected, 9, "flows that got one of the 10 ports");
	expect_u64(dropped, 2, "flows over the range: XDP_DROP");
	expect_u64(other, 0, "flows over the range passed to the kernel");
	expect_u64(reason_get(e, XLB_DROP_NAT_NO_PORT).packets, 2,
		   "drop_nat_no_port");
	expect_u64(map_count(e->skel->maps.nat_rev), 10, "mappings");
	(void)fv;
}

/*
 * An ICMP error from the client's side about a nat flow (it quotes the
 * reply as the client saw it, VIP:port -> client:port) reaches the flow's
 * back end, the outer destination and the quote translated back to what
 * the back end sent (back end:port -> our address:the flow's port); every
 * checksum (outer, quoted IP and UDP, ICMP) as the builder computes it
 * from scratch.
 */
static void nat_icmp_error(struct env *e, const struct family_setup *tf,
			   __u8 proto, __u16 be_port)
{
	struct family_setup uf = *tf, *f = &uf;
	bool v4 = tf->family == AF_INET;
	struct pkt_spec c, q, err, wq, werr;
	struct pkt in, out, want;
	struct backend_info bi;
	struct flow_value fv;
	__u32 be;

	if (proto == IPPROTO_UDP) {
		uf.port = 53;
		uf.svc = v4 ? SVC_UDP4 : SVC_UDP6;
	}
	nat_setup_proto(e, f, proto, 20000, 60000);
	c = tcp_spec(f, 45000, TF_SYN);
	c.proto = proto;
	c.payload = proto == IPPROTO_UDP ? 64 : 0;
	be = table_slot(e, f->svc, flow_hash(&c) % e->sz.table_size);
	bi = backend_get(e, be);
	if (be_port) {
		bi.port = htons(be_port);
		backend_put(e, be, &bi);
	}
	build(&c, &in);
	expect_verdict(prog_run(e, &in, &out), XDP_REDIRECT, "nat request");
	fv = flow_must(e, &c, "nat flow");

	q = c;
	q.saddr = f->vip;
	q.daddr = f->client;
	q.sport = f->port;
	q.dport = 45000;
	q.tcp_flags = TF_ACK;
	q.payload = 600;
	err = (struct pkt_spec){ .family = f->family,
				 .saddr = v4 ? "10.9.9.9" : "fd00:9::9",
				 .daddr = f->vip,
				 .proto = v4 ? IPPROTO_ICMP : IPPROTO_ICMPV6,
				 .icmp_type = v4 ? 3 : 2,
				 .icmp_code = v4 ? 4 : 0,
				 .icmp_mtu = 1280,
				 .inner = &q };
	wq = q;
	wq.saddr = be_addr_str(e, be, 1);
	wq.daddr = v4 ? NAT_SRC4 : NAT_SRC6;
	wq.sport = be_port ? be_port : f->port;
	wq.dport = ntohs(fv.nat_port);
	werr = err;
	werr.daddr = be_addr_str(e, be, 2);
	werr.inner = &wq;
	build(&err, &in);
	build(&werr, &want);
	memcpy(want.data, bi.mac, ETH_ALEN);
	memcpy(want.data + ETH_ALEN, INT_MAC, ETH_ALEN);
	expect_verdict(prog_run(e, &in, &out), XDP_REDIRECT, "nat ICMP error");
	expect_packet(&out, &want, "nat ICMP error, translated to the back end");
	expect_u64(reason_get(e, XLB_TX_ICMP_ERROR).packets, 1,
		   "tx_icmp_error");
	/* one about a flow without a mapping is the kernel's */
	q.dport = 45999;
	build(&err, &in);
	expect_verdict(prog_run(e, &in, &out), XDP_PASS,
		       "nat ICMP error, no mapping");
	expect_packet(&out, &in, "untouched");
}

static void test_nat_icmp_frag_needed_tcp_v4(void **state)
{
	nat_icmp_error(*state, &fam4, IPPROTO_TCP, 0);
}

static void test_nat_icmp_frag_needed_udp_v4_mapped(void **state)
{
	nat_icmp_error(*state, &fam4, IPPROTO_UDP, 5353);
}

static void test_nat_icmp_too_big_tcp_v6_mapped(void **state)
{
	nat_icmp_error(*state, &fam6, IPPROTO_TCP, 8443);
}

static void test_nat_icmp_too_big_udp_v6(void **state)
{
	nat_icmp_error(*state, &fam6, IPPROTO_UDP, 0);
}

/* Ports are handed out in order from the CPU's cursor, so a port whose
 * mapping was just freed is not the next one given (a back end's TIME_WAIT
 * on it has time to end). */
static void test_nat_ports_in_order(void **state)
{
	struct env *e = *state;
	struct pkt_spec s;
	struct pkt in, out;
	cpu_set_t one;
	__u16 p[6];
	int i;

	CPU_ZERO(&one);
	CPU_SET(0, &one);
	if (sched_setaffinity(0, sizeof(one), &one))
		fail_msg("sched_setaffinity: %s", strerror(errno));
	nat_setup(e, &fam4, 20000, 60000);
	table_all(e, SVC_TCP4, 1);
	for (i = 0; i < 5; i++) {
		s = tcp_spec(&fam4, 47000 + i, TF_SYN);
		build(&s, &in);
		expect_verdict(prog_run(e, &in, &out), XDP_REDIRECT, "SYN");
		p[i] = ntohs(flow_must(e, &s, "flow").nat_port);
		if (i && p[i] != (p[i - 1] - 20000 + 1) % 40001 + 20000)
			fail_msg("port %d is %u, not the one after %u", i, p[i],
				 p[i - 1]);
	}
	/* free the first one's mapping (as the sweep would) */
	{
		struct backend_info bi = backend_get(e, 1);
		struct nat_key k = { .bport = htons(80), .lport = htons(p[0]),
				     .proto = IPPROTO_TCP, .family = AF_INET };

		memcpy(k.baddr, bi.addr, sizeof(k.baddr));
		if (bpf_map_delete_elem(map_fd(e->skel->maps.nat_rev), &k))
			fail_msg("delete mapping of port %u: %s", p[0],
				 strerror(errno));
	}
	s = tcp_spec(&fam4, 47010, TF_SYN);
	build(&s, &in);
	prog_run(e, &in, &out);
	p[5] = ntohs(flow_must(e, &s, "flow").nat_port);
	if (p[5] == p[0])
		fail_msg("the freed port %u was handed out again at once", p[0]);
	expect_u64(p[5], (p[4] - 20000 + 1) % 40001 + 20000, "next port");
	CPU_ZERO(&one);
	for (i = 0; i < CPU_SETSIZE && i < ncpus(); i++)
		CPU_SET(i, &one);
	sched_setaffinity(0, sizeof(one), &one);
}

/* One SYN to the nat service; its verdict. */
static int nat_syn(struct env *e, __u16 sport)
{
	struct pkt_spec s = tcp_spec(&fam4, sport, TF_SYN);
	struct pkt in, out;

	build(&s, &in);
	return prog_run(e, &in, &out);
}

/*
 * Ports are searched per back end: with a range of 64, back end 1 takes
 * 48 ports, back end 2 the next 16, and back end 1 still gets its last 16
 * free ports, then no more. (With one cursor for all back ends, back end
 * 1's search started at its own 16 first ports after the wrap and gave up
 * with 16 of its ports free.)
 */
static void test_nat_ports_per_backend(void **state)
{
	struct env *e = *state;
	__u32 i, ok = 0;
	cpu_set_t one;

	CPU_ZERO(&one);
	CPU_SET(0, &one);
	if (sched_setaffinity(0, sizeof(one), &one))
		fail_msg("sched_setaffinity: %s", strerror(errno));
	nat_setup(e, &fam4, 20000, 20063); /* 64 ports */
	table_all(e, SVC_TCP4, 1);
	for (i = 0; i < 48; i++)
		ok += nat_syn(e, 49000 + i) == XDP_REDIRECT;
	table_all(e, SVC_TCP4, 2);
	for (i = 48; i < 64; i++)
		ok += nat_syn(e, 49000 + i) == XDP_REDIRECT;
	expect_u64(ok, 64, "48 flows to back end 1, 16 to back end 2");
	table_all(e, SVC_TCP4, 1);
	for (i = 64; i < 80; i++)
		ok += nat_syn(e, 49000 + i) == XDP_REDIRECT;
	expect_u64(ok, 80, "back end 1 gets its 16 last free ports");
	expect_verdict(nat_syn(e, 49080), XDP_DROP,
		       "back end 1's range is full");
	expect_u64(reason_get(e, XLB_DROP_NAT_NO_PORT).packets, 1,
		   "drop_nat_no_port");
	expect_u64(map_count(e->skel->maps.nat_rev), 80, "mappings");
	CPU_ZERO(&one);
	for (i = 0; i < CPU_SETSIZE && (int)i < ncpus(); i++)
		CPU_SET(i, &one);
	sched_setaffinity(0, sizeof(one), &one);
}

/* Run the next test runs on CPU cpu, or on every CPU again (cpu < 0). */
static void on_cpu(int cpu)
{
	cpu_set_t set;
	int i;

	CPU_ZERO(&set);
	for (i = 0; i < CPU_SETSIZE && i < ncpus(); i++)
		if (cpu < 0 || i == cpu)
			CPU_SET(i, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		fail_msg("sched_setaffinity: %s", strerror(errno));
}

/*
 * A run of ports still in use ahead of the cursor (long-lived flows taken
 * one after another) longer than the search's 16 tries: a search that
 * fails moves the cursor past them (and tries 16 more from a random place),
 * so from the third SYN on the free ports behind the run are found,
 * instead of every new flow failing until the run's flows end.
 */
static void test_nat_cursor_skips_used_run(void **state)
{
	struct env *e = *state;
	struct backend_info bi = backend_get(e, 1);
	struct nat_key k = { .bport = htons(80), .proto = IPPROTO_TCP,
			     .family = AF_INET };
	__u16 port[64];
	__u32 i, ok = 0;
	int v[5];

	memcpy(k.baddr, bi.addr, sizeof(k.baddr));
	nat_setup(e, &fam4, 20000, 20063); /* 64 ports */
	table_all(e, SVC_TCP4, 1);
	for (i = 0; i < 64; i++) {
		struct pkt_spec s = tcp_spec(&fam4, 51000 + i, TF_SYN);

		expect_verdict(nat_syn(e, 51000 + i), XDP_REDIRECT, "filling");
		port[i] = flow_must(e, &s, "filling").nat_port;
		expect_u64(ntohs(port[i]), 20000 + i, "ports in order");
	}
	/* the flows that took the 41st to 48th ports end: their mappings go;
	 * the cursor is back at the first, 40 used ports ahead of it */
	for (i = 40; i < 48; i++) {
		k.lport = port[i];
		if (bpf_map_delete_elem(map_fd(e->skel->maps.nat_rev), &k))
			fail_msg("delete mapping: %s", strerror(errno));
	}
	for (i = 0; i < 5; i++) {
		v[i] = nat_syn(e, 51100 + i);
		ok += v[i] == XDP_REDIRECT;
	}
	/* the first two may find a free port in their random round */
	expect_verdict(v[2], XDP_REDIRECT, "third SYN: a free port among 35-50");
	expect_verdict(v[3], XDP_REDIRECT, "fourth SYN");
	expect_verdict(v[4], XDP_REDIRECT, "fifth SYN");
	if (ok > 5)
		fail_msg("%u of 5 SYNs got a port", ok);
}

/*
 * One cursor per back end for every CPU: with SYNs landing on two CPUs in
 * turn, the 64 ports of a range are handed out in order, all of them,
 * none dropped. (Per-CPU cursors start at two places, and one runs into
 * the other's ports.)
 */
static void test_nat_ports_two_cpus(void **state)
{
	struct env *e = *state;
	__u32 i, ok = 0;

	if (ncpus() < 2)
		skip();
	nat_setup(e, &fam4, 20000, 20063); /* 64 ports */
	table_all(e, SVC_TCP4, 1);
	for (i = 0; i < 64; i++) {
		on_cpu(i % 2);
		ok += nat_syn(e, 52000 + i) == XDP_REDIRECT;
	}
	on_cpu(-1);
	expect_u64(ok, 64, "new flows with a port, from two CPUs");
	expect_u64(reason_get(e, XLB_DROP_NAT_NO_PORT).packets, 0,
		   "drop_nat_no_port");
	expect_verdict(nat_syn(e, 52064), XDP_DROP, "the range is full");
}

/*
 * Two back ends (two ids, as two services with the same server have) with
 * one address and port share one key space of ports, and so one cursor:
 * the second gets the ports after the first's, in order, none dropped.
 * (With a cursor per back-end id it started over at the first's ports.)
 */
static void test_nat_cursor_per_address(void **state)
{
	struct env *e = *state;
	struct backend_info b1 = backend_get(e, 1), b2 = backend_get(e, 2);
	__u32 i;

	on_cpu(0);
	nat_setup(e, &fam4, 20000, 20063); /* 64 ports */
	memcpy(b2.addr, b1.addr, sizeof(b2.addr));
	backend_put(e, 2, &b2);
	table_all(e, SVC_TCP4, 1);
	for (i = 0; i < 64; i++) {
		struct pkt_spec s = tcp_spec(&fam4, 53000 + i, TF_SYN);

		if (i == 48)
			table_all(e, SVC_TCP4, 2);
		expect_verdict(nat_syn(e, 53000 + i), XDP_REDIRECT, "SYN");
		expect_u64(ntohs(flow_must(e, &s, "flow").nat_port), 20000 + i,
			   "ports of one address in order, across both ids");
	}
	on_cpu(-1);
	expect_u64(reason_get(e, XLB_DROP_NAT_NO_PORT).packets, 0,
		   "drop_nat_no_port");
}

/* Expire flow s now (idle 100 s, FIN) through the sweep's delete. */
static long nat_expire(struct env *e, struct dp *dp, const struct pkt_spec *s)
{
	struct flow_timeouts to = { .tcp_fin = 30, .tcp_rst = 10 };
	struct flow_value fv = flow_must(e, s, "flow to expire");
	__u64 now = fv.last_seen + 100 * 1000000000ull, rv = 0, lost = 0;
	int fd;

	fv.state = XLB_FLOW_FIN;
	if (s->family == AF_INET) {
		struct flow_key_v4 k;

		flow_key4(s, &k);
		fd = map_fd(e->skel->maps.flows_v4);
		assert_int_equal(bpf_map_update_elem(fd, &k, &fv, BPF_EXIST), 0);
		return dp_flows_delete_expired(dp, fd, &k, 1, sizeof(k), &to,
					       now, &rv, &lost);
	} else {
		struct flow_key_v6 k;

		flow_key6(s, &k);
		fd = map_fd(e->skel->maps.flows_v6);
		assert_int_equal(bpf_map_update_elem(fd, &k, &fv, BPF_EXIST), 0);
		return dp_flows_delete_expired(dp, fd, &k, 1, sizeof(k), &to,
					       now, &rv, &lost);
	}
}

/*
 * A nat flow's reply mapping goes with the flow: at once when the sweep
 * expires the flow or a purge deletes it (IPv4 and IPv6), and by the
 * orphan scan when the flow vanished on its own (LRU eviction); mappings
 * whose flow is alive stay.
 */
static void test_nat_mappings_released(void **state)
{
	struct env *e = *state;
	struct dp dp = { .skel = e->skel, .int_ifindex = (int)nat_test_ifindex };
	struct pkt_spec s4[3], s6[2];
	struct flow_key_v4 k4;
	struct pkt in, out;
	int i;

	nat_setup(e, &fam4, 20000, 60000);
	nat_setup(e, &fam6, 20000, 60000);
	table_all(e, SVC_TCP4, 1);
	table_all(e, SVC_TCP6, 6);
	for (i = 0; i < 3; i++) {
		s4[i] = tcp_spec(&fam4, 48000 + i, TF_SYN);
		build(&s4[i], &in);
		expect_verdict(prog_run(e, &in, &out), XDP_REDIRECT, "SYN v4");
	}
	for (i = 0; i < 2; i++) {
		s6[i] = tcp_spec(&fam6, 48000 + i, TF_SYN);
		build(&s6[i], &in);
		expect_verdict(prog_run(e, &in, &out), XDP_REDIRECT, "SYN v6");
	}
	expect_u64(map_count(e->skel->maps.nat_rev), 5, "mappings");
	expect_u64(dp_nat_count(&dp), 5, "dp_nat_count");
	/* the sweep expires one flow of each family: their mappings go */
	expect_u64(nat_expire(e, &dp, &s4[0]), 1, "v4 flow expired");
	expect_u64(nat_expire(e, &dp, &s6[0]), 1, "v6 flow expired");
	expect_u64(dp.nat_released, 2, "mappings released with their flows");
	expect_u64(map_count(e->skel->maps.nat_rev), 3, "mappings left");
	/* a flow evicted behind the controller's back: the scan finds it */
	flow_key4(&s4[1], &k4);
	assert_int_equal(bpf_map_delete_elem(map_fd(e->skel->maps.flows_v4),
					     &k4),
			 0);
	expect_u64(dp_nat_sweep(&dp), 1, "orphan mappings deleted by the scan");
	expect_u64(dp_nat_sweep(&dp), 0, "owned mappings stay");
	/* removing back end 1 (its slot already cleared): purge with the
	 * back end as it was releases its flows' mappings */
	{
		struct backend_info bi = backend_get(e, 1);

		expect_u64(dp_flows_purge_backend(&dp, 1, &bi), 1,
			   "flows of back end 1 purged");
	}
	expect_u64(dp_flows_purge_backend(&dp, 6, NULL), 1,
		   "flows of back end 6 purged");
	expect_u64(dp.nat_released, 4, "mappings released by the purges");
	expect_u64(map_count(e->skel->maps.nat_rev), 0, "no mapping left");
}

/* In nat mode a new flow over the guard's rate cannot be forwarded
 * without a mapping: it is dropped (XDP_DROP, drop_nat_flood), not passed
 * to the kernel. */
static void test_nat_flood_guard_drops(void **state)
{
	struct env *e = *state;
	struct lb_cfg cfg = { .flow_cost_ns = 1000000000ull,
			      .bucket_ns = 2000000000ull,
			      .nat_port_min = 20000, .nat_port_max = 60000 };
	__u32 zero = 0, port, redirected = 0, dropped = 0;
	struct pkt_spec s;
	struct pkt in, out;
	int v;

	nat_setup(e, &fam4, 20000, 60000);
	addr_of(AF_INET, NAT_SRC4, &cfg.nat_src4);
	if (bpf_map_update_elem(map_fd(e->skel->maps.xlb_cfg), &zero, &cfg, 0))
		fail_msg("xlb_cfg: %s", strerror(errno));
	table_all(e, SVC_TCP4, 1);
	for (port = 50100; port < 50106; port++) {
		s = tcp_spec(&fam4, port, TF_SYN);
		build(&s, &in);
		v = prog_run(e, &in, &out);
		if (v == XDP_REDIRECT)
			redirected++;
		else if (v == XDP_DROP)
			dropped++;
		else
			fail_msg("SYN %u over the guard: verdict %d", port, v);
	}
	expect_u64(redirected, 2, "new nat flows within the burst");
	expect_u64(dropped, 4, "new nat flows over the rate: dropped");
	expect_u64(reason_get(e, XLB_DROP_NAT_FLOOD).packets, 4,
		   "drop_nat_flood");
	expect_u64(map_count(e->skel->maps.nat_rev), 2, "mappings");
}

static const struct xlb_sizes nat_sizes = {
	.table_size = 13,
	.max_flows = 2048,
	.max_services = 16,
	.max_backends = 16,
};

static int setup_nat_sizes(void **state)
{
	return env_setup_sized(state, &nat_sizes);
}

/* 1,000 flows to one back end: 1,000 different ports, 1,000 mappings. */
static void test_nat_1000_flows_no_collision(void **state)
{
	struct env *e = *state;
	static __u8 seen[65536];
	struct pkt in, out;
	struct pkt_spec s;
	__u32 i, distinct = 0;

	nat_setup(e, &fam4, 20000, 60000);
	table_all(e, SVC_TCP4, 2);
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < 1000; i++) {
		__u16 p;

		s = tcp_spec(&fam4, 10000 + i, TF_SYN);
		build(&s, &in);
		expect_verdict(prog_run(e, &in, &out), XDP_REDIRECT, "SYN");
		p = ntohs(flow_must(e, &s, "flow").nat_port);
		distinct += !seen[p];
		seen[p] = 1;
	}
	expect_u64(distinct, 1000, "distinct nat ports");
	expect_u64(map_count(e->skel->maps.nat_rev), 1000, "mappings");
}

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
		table_slot(e, SVC_TCP4, flow_hash(&syn) % e->sz.table_size),
		"SYN after the rejected swaps");
}

/*
 * The verifier is part of the test: load under several table sizes and
 * map sizes, including the defaults and the largest table, then check
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
};

/*
 * Verifier work, as the kernel reports it after load: about 3,900 for DSR
 * alone, 11,100 with ICMP, 15,400 with tunnel mode, 66,100 with nat. The
 * budget is far below the kernel's 1M limit: a jump means a change made
 * the program's paths multiply, worth a look before loads fail.
 */
#define VERIFIED_INSNS_BUDGET 100000

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
		for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
			if (cases[k].verdict == XDP_TX) {
				run_case(&e, &cases[k]);
				env_reset(&e);
			}
		}
		/* One slot names back end 1, all others back end 2. */
		slot = flow_hash(&s) % sz->table_size;
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

/* ---- the harness checks itself ---------------------------------------- */

/* The comparison reports the first difference, and the length. */
static void test_harness_first_diff(void **state)
{
	struct pkt_spec s = tcp_spec(&fam4, 45000, TF_SYN);
	struct pkt a, b;

	build(&s, &a);
	b = a;
	expect_u64(pkt_first_diff(&a, &b) + 1, 0, "same packets: first diff");
	b.data[37] ^= 1;
	expect_u64(pkt_first_diff(&a, &b), 37, "one flipped byte at");
	b = a;
	b.len--;
	expect_u64(pkt_first_diff(&a, &b), b.len, "shorter packet at");
}

/* Inputs are valid packets: IPv4 header and L4 checksums verify. */
static void test_harness_checksums(void **state)
{
	const struct pkt_spec specs[] = {
		tcp_spec(&fam4, 1, TF_SYN),
		tcp_spec(&fam6, 2, TF_ACK),
		case_by_name("tx_v4_ip_options_ihl15")->pkt,
		case_by_name("tx_v4_vlan_ip_options")->pkt,
		{ .family = AF_INET,
		  .saddr = CLIENT4,
		  .daddr = VIP4,
		  .proto = IPPROTO_UDP,
		  .sport = 1,
		  .dport = 53,
		  .payload = 33 },
		{ .family = AF_INET6,
		  .saddr = CLIENT6,
		  .daddr = VIP6,
		  .proto = IPPROTO_UDP,
		  .sport = 1,
		  .dport = 53,
		  .payload = 8,
		  .v6_ext = V6_EXT_DSTOPTS },
		{ .vlan_proto = ETH_P_8021Q,
		  .vlan_tci = 5,
		  .family = AF_INET6,
		  .saddr = CLIENT6,
		  .daddr = VIP6,
		  .proto = IPPROTO_ICMPV6,
		  .payload = 5 },
		{ .family = AF_INET,
		  .saddr = CLIENT4,
		  .daddr = VIP4,
		  .proto = IPPROTO_ICMP,
		  .payload = 7 },
	};
	size_t i;

	for (i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		const struct pkt_spec *s = &specs[i];
		size_t l3 = 14 + (s->vlan_proto ? 4 : 0), l4;
		struct pkt p;
		__u32 sum = 0;
		__u8 nh;

		build(s, &p);
		if (s->family == AF_INET) {
			size_t hl = (p.data[l3] & 0xf) * 4;

			expect_u64(csum_fold(csum_add(0, p.data + l3, hl)), 0,
				   "spec %zu: IPv4 header checksum", i);
			expect_u64((p.data[l3 + 2] << 8 | p.data[l3 + 3]),
				   p.len - l3, "spec %zu: IPv4 total length",
				   i);
			l4 = l3 + hl;
			nh = p.data[l3 + 9];
			sum = csum_add(sum, p.data + l3 + 12, 8);
		} else {
			expect_u64((p.data[l3 + 4] << 8 | p.data[l3 + 5]),
				   p.len - l3 - 40,
				   "spec %zu: IPv6 payload length", i);
			l4 = l3 + 40 + (s->v6_ext ? 8 : 0);
			nh = s->proto;
			sum = csum_add(sum, p.data + l3 + 8, 32);
		}
		if (nh == IPPROTO_ICMP)
			sum = 0;
		else
			sum += nh + (p.len - l4);
		expect_u64(csum_fold(csum_add(sum, p.data + l4, p.len - l4)), 0,
			   "spec %zu: L4 checksum", i);
	}
}

/* ---- main ------------------------------------------------------------- */

#define SCENARIO(f)                                         \
	{                                                   \
#f, test_##f, env_setup, env_teardown, NULL \
	}

static const struct CMUnitTest scenarios[] = {
	SCENARIO(pin_survives_table_change_v4),
	SCENARIO(pin_survives_table_change_v6),
	SCENARIO(backend_removed_repicked),
	SCENARIO(backend_moved_service_repicked),
	SCENARIO(backend_removed_stale_table_drops),
	SCENARIO(table_deleted_drops),
	SCENARIO(flow_state_tracking),
	SCENARIO(sweep_keeps_revived_flow),
	SCENARIO(udp_flow_pinned),
	SCENARIO(flows_follow_table_slots),
	SCENARIO(table_wrong_size_rejected),
	SCENARIO(icmp_echo_v4),
	SCENARIO(icmp_echo_v6),
	SCENARIO(icmp_frag_needed_v4),
	SCENARIO(icmp_unreachable_v4),
	SCENARIO(icmp_packet_too_big_v6),
	SCENARIO(icmp_unreachable_v6),
	SCENARIO(icmp_error_not_ours),
	SCENARIO(persistence_src_ip_v4),
	SCENARIO(persistence_src_ip_v6),
	SCENARIO(persistence_full_address_v4),
	SCENARIO(flood_guard),
	SCENARIO(tunnel_v4_in_v4),
	SCENARIO(tunnel_v6_in_v6),
	SCENARIO(tunnel_v4_in_v6_and_v6_in_v4),
	SCENARIO(tunnel_icmp_error),
	SCENARIO(nat_tcp_v4),
	SCENARIO(nat_tcp_v4_port_mapped),
	SCENARIO(nat_udp_v4),
	SCENARIO(nat_tcp_v6),
	SCENARIO(nat_udp_v6_port_mapped),
	SCENARIO(nat_port_kept_and_exhausted),
	SCENARIO(nat_ports_in_order),
	SCENARIO(nat_mappings_released),
	SCENARIO(nat_flood_guard_drops),
	SCENARIO(nat_icmp_frag_needed_tcp_v4),
	SCENARIO(nat_icmp_frag_needed_udp_v4_mapped),
	SCENARIO(nat_icmp_too_big_tcp_v6_mapped),
	SCENARIO(nat_icmp_too_big_udp_v6),
	{ "nat_1000_flows_no_collision", test_nat_1000_flows_no_collision,
	  setup_nat_sizes, env_teardown, NULL },
	{ "nat_ports_per_backend", test_nat_ports_per_backend,
	  setup_nat_sizes, env_teardown, NULL },
	{ "nat_cursor_skips_used_run", test_nat_cursor_skips_used_run,
	  setup_nat_sizes, env_teardown, NULL },
	{ "nat_ports_two_cpus", test_nat_ports_two_cpus, setup_nat_sizes,
	  env_teardown, NULL },
	{ "nat_cursor_per_address", test_nat_cursor_per_address,
	  setup_nat_sizes, env_teardown, NULL },
	{ "flow_table_full_still_forwards", test_flow_table_full_still_forwards,
	  setup_tiny_flows, env_teardown, NULL },
	{ "verifier_sizes", test_verifier_sizes, NULL, NULL, NULL },
	{ "harness_first_diff", test_harness_first_diff, NULL, NULL, NULL },
	{ "harness_checksums", test_harness_checksums, NULL, NULL, NULL },
};

int main(int argc, char **argv)
{
	size_t nc = sizeof(cases) / sizeof(cases[0]);
	size_t ns = sizeof(scenarios) / sizeof(scenarios[0]);
	const char *filter = getenv("XLB_TEST");
	struct CMUnitTest *tests;
	size_t i;
	int ret;

	if (argc > 1 && !strcmp(argv[1], "--list")) {
		for (i = 0; i < nc; i++)
			printf("%s\n", cases[i].name);
		for (i = 0; i < ns; i++)
			printf("%s\n", scenarios[i].name);
		return 0;
	}
	if (argc > 1)
		filter = argv[1];
	if (filter && *filter)
		cmocka_set_test_filter(filter);
	verbose = getenv("XLB_TEST_VERBOSE") != NULL;
	/* nat needs an internal interface: a veth, in a namespace of our own
	 * so that nothing outside sees it (no dummy module on this kernel) */
	if (!unshare(CLONE_NEWNET) &&
	    !system("ip link add xlbt-int type veth peer name xlbt-intp && "
		    "ip link set xlbt-int up && ip link set xlbt-intp up"))
		nat_test_ifindex = if_nametoindex("xlbt-int");
	libbpf_set_print(libbpf_print);

	tests = calloc(nc + ns, sizeof(*tests));
	if (!tests)
		return 1;
	for (i = 0; i < nc; i++) {
		tests[i].name = cases[i].name;
		tests[i].test_func = test_case;
		tests[i].setup_func = env_setup;
		tests[i].teardown_func = env_teardown;
		tests[i].initial_state = (void *)&cases[i];
	}
	memcpy(tests + nc, scenarios, sizeof(scenarios));
	ret = _cmocka_run_group_tests("xdp_lb", tests, nc + ns, NULL, NULL);
	free(tests);
	return ret;
}
