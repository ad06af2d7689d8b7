// SPDX-License-Identifier: GPL-2.0-only
/*
 * The packet tests' shared fixture: see xdp_env.h.
 */
#define _GNU_SOURCE
#include "xdp_env.h"

#include "counters.h"

/* clang-format on */

/* Back end id's MAC: 02:be:00:00:00:id. */
void be_mac(__u32 id, __u8 mac[ETH_ALEN])
{
	const __u8 m[ETH_ALEN] = {
		0x02, 0xbe, 0, 0, (id >> 8) & 0xff, id & 0xff
	};

	memcpy(mac, m, ETH_ALEN);
}

bool verbose;

/* nat: the "internal interface" of the tests, a veth in the test's own
 * network namespace (0: could not be made, the nat tests fail). */
__u32 nat_test_ifindex;

int libbpf_print(enum libbpf_print_level level, const char *fmt,
		 va_list ap)
{
	if (level == LIBBPF_DEBUG && !verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

int map_fd(struct bpf_map *m)
{
	return bpf_map__fd(m);
}

/* Open, size and load the program the controller's way (maps.h); returns
 * 0 or a negative errno. */
int env_load(struct env *e, const struct xlb_sizes *sz)
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
	/* the controller's handle on these maps, for its dp_* writers */
	e->dp.skel = s;
	e->dp.table_size = sz->table_size;
	e->dp.max_flows = sz->max_flows;
	e->dp.max_services = sz->max_services;
	e->dp.max_backends = sz->max_backends;
	e->dp.nr_cpus = libbpf_num_possible_cpus();
	e->dp.int_ifindex = (int)nat_test_ifindex;
	if (xlb_ft_map(&e->dp.ft4, bpf_map__fd(s->maps.flows4),
		       xlb_ft_buckets(sz->max_flows)) ||
	    xlb_ft6_map(&e->dp.ft6, bpf_map__fd(s->maps.flows6),
			bpf_map__fd(s->maps.flows6_keys),
			xlb_ft_buckets(sz->max_flows)))
		return -errno;
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

void env_unload(struct env *e)
{
	xlb_ft_unmap(&e->dp.ft4);
	xlb_ft_unmap(&e->dp.ft6);
	xdp_lb__destroy(e->skel);
	e->skel = NULL;
}

/* Put a table of slots[table_size] in svc_tables[svc], as the controller
 * does (dp_table_set). */
int table_install(struct env *e, __u32 svc, const __u32 *slots)
{
	return dp_table_set(&e->dp, svc, slots);
}

/* slot i -> ids[i % n]; n == 0: every slot XLB_NO_BACKEND. */
int table_install_rr(struct env *e, __u32 svc, const __u32 *ids, __u32 n)
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

int backend_set(struct env *e, const struct be_def *d)
{
	struct backend_info bi = {};

	be_mac(d->id, bi.mac);
	bi.state = d->state;
	bi.family = d->family;
	bi.svc_id = d->svc;
	if (inet_pton(d->family, d->addr, bi.addr) != 1)
		return -EINVAL;
	return dp_backend_set(&e->dp, d->id, &bi);
}

/* vips[(vip, port, proto)] := svc with flags, through dp_vip_set(). */
static int vip_write(struct env *e, int family, const char *vip, __u16 port,
		     __u8 proto, __u32 svc, __u32 flags)
{
	struct lb_addr a = { .family = family };

	if (inet_pton(family, vip, a.b) != 1)
		return -EINVAL;
	return dp_vip_set(&e->dp, &a, port, proto, svc, flags);
}

int vip_set(struct env *e, const struct svc_def *d)
{
	return vip_write(e, d->family, d->vip, d->port, d->proto, d->id, 0);
}

/* Mark a VIP address for ICMP echo, as the controller does: the vips key
 * (addr, port 0, ICMP/ICMPv6) -> the service. */
int icmp_vip_set(struct env *e, int family, const char *vip, __u32 svc)
{
	return vip_write(e, family, vip, 0,
			 family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6, svc,
			 0);
}

void cfg_set(struct env *e, const struct lb_cfg *cfg)
{
	int ret = dp_cfg_set(&e->dp, cfg);

	if (ret)
		fail_msg("xlb_cfg: %s", strerror(-ret));
}

/* The services and back ends above, as the controller would write them. */
int env_populate(struct env *e)
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

int env_setup_sized(void **state, const struct xlb_sizes *sz)
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

int env_setup_one_bucket(void **state)
{
	static const struct xlb_sizes sz = { .table_size = 13,
					    .max_flows = 2,
					    .max_services = 16,
					    .max_backends = 16 };

	return env_setup_sized(state, &sz);
}

int env_setup(void **state)
{
	return env_setup_sized(state, &small_sizes);
}

int env_teardown(void **state)
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

const char *verdict_name(int v)
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
				     "RST", "PICKUP" };

const char *state_name(unsigned int s)
{
	return s < sizeof(state_names) / sizeof(state_names[0]) ?
		       state_names[s] :
		       "?";
}

/* "WHAT: GOT != expected WANT", where WHAT is printf-formatted. */
void __attribute__((format(printf, 5, 6)))
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

void check_name(const char *got, const char *want, const char *file,
		int line, const char *what)
{
	if (!strcmp(got, want))
		return;
	print_error("%s: %s != expected %s\n", what, got, want);
	_fail(file, line);
}

void hexdump(const char *title, const struct pkt *p, long mark)
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

void check_packet(const struct pkt *got, const struct pkt *want,
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

/* ---- running packets and reading state -------------------------------- */

void build(const struct pkt_spec *s, struct pkt *p)
{
	char err[128];

	if (build_pkt(s, p, err, sizeof(err)))
		fail_msg("packet builder: %s", err);
}

__u32 spec_len(const struct pkt_spec *s)
{
	struct pkt p;

	build(s, &p);
	return p.len;
}

/* One BPF_PROG_TEST_RUN; returns the verdict, fills out. */
int prog_run(struct env *e, const struct pkt *in, struct pkt *out)
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
__u64 coarse_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

int ncpus(void)
{
	int n = libbpf_num_possible_cpus();

	if (n <= 0)
		fail_msg("libbpf_num_possible_cpus: %d", n);
	return n;
}

struct lb_counters lb_get(struct bpf_map *m, __u32 id)
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

/* The sum of stats_backend: over every id (svc >= max_services: what
 * tx_forwarded derives from; a freed id's entry is zero once taken), or
 * over the ids whose slots are in use by service svc. */
static struct lb_counters be_sum(struct env *e, __u32 svc)
{
	struct lb_counters sum = {}, c;
	struct backend_info bi;
	__u32 id;

	for (id = 0; id < bpf_map__max_entries(e->skel->maps.backends); id++) {
		if (dp_backend_get(&e->dp, id, &bi))
			fail_msg("backends[%u] lookup: %s", id, strerror(errno));
		if (svc < e->dp.max_services &&
		    (bi.state == XLB_BE_UNUSED || bi.svc_id != svc))
			continue;
		c = lb_get(e->skel->maps.stats_backend, id);
		xlb_counters_add(&sum, &c);
	}
	return sum;
}

struct lb_counters svc_get(struct env *e, __u32 svc)
{
	struct lb_counters drop, carry, be = be_sum(e, svc), out;

	drop = lb_get(e->skel->maps.stats_svc_drop, svc);
	if (dp_stats_svc_carry(&e->dp, svc, &carry))
		fail_msg("stats_svc_carry[%u] lookup: %s", svc,
			 strerror(errno));
	xlb_svc_total(&out, &drop, &carry, &be, 1);
	return out;
}

void expect_svc(struct env *e, __u32 svc, __u64 packets, __u64 bytes,
		__u64 new_flows)
{
	struct lb_counters c = svc_get(e, svc);

	expect_u64(c.packets, packets, "service %u packets", svc);
	expect_u64(c.bytes, bytes, "service %u bytes", svc);
	expect_u64(c.new_flows, new_flows, "service %u new_flows", svc);
}

struct reason_counters reason_raw(struct env *e, __u32 r)
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

struct reason_counters reason_get(struct env *e, __u32 r)
{
	struct reason_counters rc[XLB_REASON_MAX], failed;
	struct lb_counters be;
	__u32 i;

	if (r != XLB_TX_FORWARDED)
		return reason_raw(e, r);
	for (i = 0; i < XLB_REASON_MAX; i++)
		rc[i] = reason_raw(e, i);
	failed = reason_raw(e, XLB_REASON_FWD_FAILED);
	be = be_sum(e, UINT32_MAX);
	xlb_reasons_derive(rc, &failed, &be);
	return rc[XLB_TX_FORWARDED];
}


/* Every reason counter: `packets` packets of `bytes` bytes under `want`,
 * nothing under the others. */
void expect_reasons(struct env *e, enum xlb_reason want, __u64 packets,
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

void expect_lb(struct env *e, struct bpf_map *m, __u32 id, __u64 packets,
	       __u64 bytes, __u64 new_flows)
{
	struct lb_counters c = lb_get(m, id);

	expect_u64(c.packets, packets, "%s[%u].packets", bpf_map__name(m), id);
	expect_u64(c.bytes, bytes, "%s[%u].bytes", bpf_map__name(m), id);
	expect_u64(c.new_flows, new_flows, "%s[%u].new_flows", bpf_map__name(m),
		   id);
}

void addr_of(int family, const char *s, void *out)
{
	if (inet_pton(family, s, out) != 1)
		fail_msg("bad address '%s'", s);
}

void flow_key4(const struct pkt_spec *s, struct flow_key_v4 *k)
{
	memset(k, 0, sizeof(*k));
	addr_of(AF_INET, s->saddr, &k->src);
	addr_of(AF_INET, s->daddr, &k->dst);
	k->sport = htons(s->sport);
	k->dport = htons(s->dport);
	k->proto = s->proto;
}

void flow_key6(const struct pkt_spec *s, struct flow_key_v6 *k)
{
	memset(k, 0, sizeof(*k));
	addr_of(AF_INET6, s->saddr, k->src);
	addr_of(AF_INET6, s->daddr, k->dst);
	k->sport = htons(s->sport);
	k->dport = htons(s->dport);
	k->proto = s->proto;
}

/* The data path's hash of the packet's flow (the key's words copied out,
 * not read through a cast: the key is no array of __u32). */
__u64 flow_hash(const struct pkt_spec *s)
{
	__u32 w[sizeof(struct flow_key_v6) / 4];

	if (s->family == AF_INET) {
		struct flow_key_v4 k;

		flow_key4(s, &k);
		memcpy(w, &k, sizeof(k));
		return xlb_hash(w, sizeof(k) / 4);
	} else {
		struct flow_key_v6 k;

		flow_key6(s, &k);
		memcpy(w, &k, sizeof(k));
		return xlb_hash(w, sizeof(k) / 4);
	}
}

__u64 coarse_now(void)
{
	struct timespec ts;

	/* bpf_ktime_get_coarse_ns() is CLOCK_MONOTONIC_COARSE */
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

struct svc_find {
	int family;
	__be32 addr[4];
	__u16 port;
	__u8 proto;
	int svc;
};

static void svc_find_one(void *arg, const struct lb_addr *vip, __u16 port,
			 __u8 proto, __u32 svc_id)
{
	struct svc_find *f = arg;

	if (vip->family == f->family &&
	    !memcmp(vip->w, f->addr, f->family == AF_INET ? 4 : 16) &&
	    port == f->port && proto == f->proto)
		f->svc = (int)svc_id;
}

/* The service of VIP addr:port/proto (the VIP table), -1 if none. */
static int vip_svc(struct env *e, int family, const __be32 *addr,
		   __u16 port, __u8 proto)
{
	struct svc_find f = { .family = family, .port = port, .proto = proto,
			      .svc = -1 };

	memcpy(f.addr, addr, family == AF_INET ? 4 : 16);
	if (dp_vip_foreach(&e->dp, svc_find_one, &f))
		fail_msg("VIP table read: %s", strerror(errno));
	return f.svc;
}

static int vip_svc4(struct env *e, __be32 addr, __u16 port, __u8 proto)
{
	return vip_svc(e, AF_INET, &addr, port, proto);
}

int flow_svc6(struct env *e, const struct pkt_spec *s)
{
	__be32 a[4];

	addr_of(AF_INET6, s->daddr, a);
	return vip_svc(e, AF_INET6, a, s->dport, s->proto);
}

int flow_svc4(struct env *e, const struct pkt_spec *s)
{
	__be32 a;

	addr_of(AF_INET, s->daddr, &a);
	return vip_svc4(e, a, s->dport, s->proto);
}

bool flow_lookup4(struct env *e, const struct flow_key_v4 *k,
		  struct flow_value *fv)
{
	int svc = vip_svc4(e, k->dst, ntohs(k->dport), k->proto);
	__u64 meta;

	memset(fv, 0, sizeof(*fv));
	if (svc < 0 ||
	    !xlb_ft_find(&e->dp.ft4, xlb_ft_hash4(k->src, k->dst, k->sport,
				      k->dport, k->proto),
			 xlb_ft_kw(k->src, k->sport, svc), &meta))
		return false;
	xlb_ft_value(meta, coarse_now(), fv);
	return true;
}

bool flow_lookup6(struct env *e, const struct flow_key_v6 *k,
		  struct flow_value *fv)
{
	int svc = vip_svc(e, AF_INET6, k->dst, ntohs(k->dport), k->proto);
	__u64 meta, h;

	memset(fv, 0, sizeof(*fv));
	if (svc < 0)
		return false;
	h = xlb_ft_hash6(k->src, k->dst, k->sport, k->dport, k->proto);
	if (!xlb_ft6_find(&e->dp.ft6, h, xlb_ft6_kw(h, k->sport, svc), k->src,
			  &meta))
		return false;
	xlb_ft_value(meta, coarse_now(), fv);
	return true;
}

/* The way of the IPv4 packet's flow in flows4 (its meta in *meta), or
 * NULL. */
struct xlb_ft_way *flow_way4(struct env *e, const struct pkt_spec *s,
			     __u64 *meta)
{
	struct flow_key_v4 k;
	int svc = flow_svc4(e, s);

	flow_key4(s, &k);
	if (svc < 0)
		return NULL;
	return xlb_ft_find(&e->dp.ft4,
			   xlb_ft_hash4(k.src, k.dst, k.sport, k.dport, k.proto),
			   xlb_ft_kw(k.src, k.sport, svc), meta);
}

/* The way of the IPv6 packet's flow in flows6 (its meta in *meta), or
 * NULL. */
struct xlb_ft_way *flow_way6(struct env *e, const struct pkt_spec *s,
			     __u64 *meta)
{
	struct flow_key_v6 k;
	int svc = flow_svc6(e, s);
	__u64 h;

	flow_key6(s, &k);
	if (svc < 0)
		return NULL;
	h = xlb_ft_hash6(k.src, k.dst, k.sport, k.dport, k.proto);
	return xlb_ft6_find(&e->dp.ft6, h, xlb_ft6_kw(h, k.sport, svc), k.src,
			    meta);
}

/* The way of the packet's flow in its table, or NULL. */
struct xlb_ft_way *flow_way(struct env *e, const struct pkt_spec *s,
			    __u64 *meta)
{
	return s->family == AF_INET ? flow_way4(e, s, meta) :
				      flow_way6(e, s, meta);
}

/* The flow entry of the packet's flow; false if there is none. */
bool flow_get(struct env *e, const struct pkt_spec *s,
	      struct flow_value *fv)
{
	__u64 meta;

	memset(fv, 0, sizeof(*fv));
	if (!flow_way(e, s, &meta))
		return false;
	xlb_ft_value(meta, coarse_now(), fv);
	return true;
}

/* Overwrite the existing entry of the packet's flow with *fv (its
 * last-seen in units, relative to the coarse clock). */
void flow_set(struct env *e, const struct pkt_spec *s,
	      const struct flow_value *fv)
{
	struct xlb_ft_way *w;
	__u64 meta;

	w = flow_way(e, s, &meta);
	if (!w)
		fail_msg("flow_set: no flow entry for %s:%u", s->saddr,
			 s->sport);
	__atomic_store_n(&w->meta,
			 xlb_ft_meta(fv->backend_id, fv->nat_port,
				     xlb_ft_seen(fv->last_seen), fv->state) |
				 (w->meta & XLB_FT_LOCK),
			 __ATOMIC_RELEASE);
}

/* Insert or overwrite the packet's flow entry (a free way of its bucket
 * for a new flow: fails the test if there is none). */
void flow_put(struct env *e, const struct pkt_spec *s,
	      const struct flow_value *fv)
{
	__u64 meta = xlb_ft_meta(fv->backend_id, fv->nat_port,
				 xlb_ft_seen(fv->last_seen), fv->state), h;
	int svc = s->family == AF_INET ? flow_svc4(e, s) : flow_svc6(e, s);
	bool ok;

	if (svc < 0)
		fail_msg("flow_put: %s:%u is no VIP", s->daddr, s->dport);
	h = flow_hash(s);
	if (s->family == AF_INET) {
		struct flow_key_v4 k;

		flow_key4(s, &k);
		ok = xlb_ft_place(&e->dp.ft4, h, xlb_ft_kw(k.src, k.sport, svc),
				  meta);
	} else {
		struct flow_key_v6 k;

		flow_key6(s, &k);
		ok = xlb_ft6_place(&e->dp.ft6, h, xlb_ft6_kw(h, k.sport, svc),
				   k.src, meta);
	}
	if (!ok)
		fail_msg("flow_put: bucket full");
}

/* Delete the packet's flow entry; false if there was none. */
bool flow_del(struct env *e, const struct pkt_spec *s)
{
	struct xlb_ft *ft = s->family == AF_INET ? &e->dp.ft4 : &e->dp.ft6;
	struct xlb_ft_way *w;
	__u64 meta, kw;

	w = flow_way(e, s, &meta);
	if (!w)
		return false;
	kw = __atomic_load_n(&w->kw, __ATOMIC_ACQUIRE);
	return xlb_ft_del(ft, w, kw, meta) == XLB_FT_DEL_DONE;
}

/* Flows in flow table ft now. */
static __u32 ft_count(const struct xlb_ft *ft)
{
	__u64 kw, meta;
	__u32 i, n = 0;
	int j;

	for (i = 0; i < ft->nbuckets; i++)
		for (j = 0; j < XLB_FT_WAYS; j++)
			n += xlb_ft_read(&ft->tab[i].w[j], &kw, &meta);
	return n;
}

/* Flows in flows4 now. */
__u32 flows4_count(struct env *e)
{
	return ft_count(&e->dp.ft4);
}

/* Flows in flows6 now. */
__u32 flows6_count(struct env *e)
{
	return ft_count(&e->dp.ft6);
}

/* Flows in both tables now. */
__u32 flows_count(struct env *e)
{
	return flows4_count(e) + flows6_count(e);
}

/* Empty both flow tables (no packet in flight: tests only). */
void flows_flush(struct env *e)
{
	memset(e->dp.ft4.tab, 0, e->dp.ft4.bytes);
	memset(e->dp.ft6.tab, 0, e->dp.ft6.bytes);
	memset(e->dp.ft6.keys, 0, e->dp.ft6.bytes);
}

/* The pinned back end of the packet's flow; fails the test if none. */
struct flow_value flow_must(struct env *e, const struct pkt_spec *s,
			    const char *what)
{
	struct flow_value fv;

	if (!flow_get(e, s, &fv))
		fail_msg("%s: no flow entry for %s:%u -> %s:%u", what, s->saddr,
			 s->sport, s->daddr, s->dport);
	return fv;
}

__u32 map_count(struct bpf_map *m)
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
void stats_zero(struct bpf_map *m, __u32 n)
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

void map_flush(struct bpf_map *m)
{
	__u8 key[64];

	while (!bpf_map_get_next_key(bpf_map__fd(m), NULL, key))
		if (bpf_map_delete_elem(bpf_map__fd(m), key))
			fail_msg("%s delete: %s", bpf_map__name(m),
				 strerror(errno));
}

/* Back to the state after env_populate(): no flows, counters zero. */
void env_reset(struct env *e)
{
	struct lb_cfg cfg = {};

	cfg_set(e, &cfg);
	stats_zero(e->skel->maps.flood, 1);
	flows_flush(e);
	map_flush(e->skel->maps.nat_rev);
	counters_zero(e);
}

void counters_zero(struct env *e)
{
	stats_zero(e->skel->maps.stats_reason, XLB_REASON_SLOTS);
	stats_zero(e->skel->maps.stats_svc_drop, 16);
	stats_zero(e->skel->maps.stats_svc_carry, 16);
	stats_zero(e->skel->maps.stats_backend, 16);
}

/* What svc_tables[svc] says for slot. */
__u32 table_slot(struct env *e, __u32 svc, __u32 slot)
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

struct backend_info backend_get(struct env *e, __u32 id)
{
	struct backend_info bi;
	int ret = dp_backend_get(&e->dp, id, &bi);

	if (ret)
		fail_msg("backends[%u]: %s", id, strerror(-ret));
	return bi;
}

void backend_put(struct env *e, __u32 id, const struct backend_info *bi)
{
	int ret = dp_backend_set(&e->dp, id, bi);

	if (ret)
		fail_msg("backends[%u] update: %s", id, strerror(-ret));
}

void table_all(struct env *e, __u32 svc, __u32 id)
{
	int err = table_install_rr(e, svc, &id, 1);

	if (err)
		fail_msg("svc_tables[%u] := all %u: %s", svc, id,
			 strerror(-err));
}

/* in, as the data path forwards it to back end id: destination MAC from
 * backends[id], source MAC if_mac, nothing else changed. */
void forwarded(struct env *e, const struct pkt *in, __u32 id,
	       struct pkt *want)
{
	struct backend_info bi = backend_get(e, id);

	*want = *in;
	memcpy(want->data, bi.mac, ETH_ALEN);
	memcpy(want->data + ETH_ALEN, LB_MAC, ETH_ALEN);
}

/* Send one packet that must be forwarded to back end `be` (byte-exact). */
void send_tx(struct env *e, const struct pkt_spec *s, __u32 be,
	     const char *what)
{
	struct pkt in, out, want;

	build(s, &in);
	expect_verdict(prog_run(e, &in, &out), XDP_TX, what);
	forwarded(e, &in, be, &want);
	expect_packet(&out, &want, what);
}

/* Send one packet that must come out unchanged with `verdict`. */
void send_unchanged(struct env *e, const struct pkt_spec *s, int verdict,
		    const char *what)
{
	struct pkt in, out;

	build(s, &in);
	expect_verdict(prog_run(e, &in, &out), verdict, what);
	expect_packet(&out, &in, what);
}

struct pkt_spec tcp_spec(const struct family_setup *f, __u16 sport,
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

/* Pin a SYN, then return the back end it went to. */
__u32 pin_syn(struct env *e, const struct pkt_spec *syn)
{
	send_tx(e, syn,
		table_slot(e, SVC_TCP4, xlb_slot(flow_hash(syn), e->sz.table_size)),
		"SYN to the VIP");
	return flow_must(e, syn, "after the SYN").backend_id;
}

/* The back end's reply of a flow (VIP:port -> client:port), as an ICMP
 * error quotes it. */
struct pkt_spec reply_of(const struct pkt_spec *flow)
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

/* ---- source-IP persistence ---- */

void vip_flags_proto(struct env *e, const struct family_setup *f,
		     __u8 proto, __u32 flags)
{
	int ret = vip_write(e, f->family, f->vip, f->port, proto, f->svc,
			    flags);

	if (ret)
		fail_msg("vips update: %s", strerror(-ret));
}

void vip_flags(struct env *e, const struct family_setup *f, __u32 flags)
{
	vip_flags_proto(e, f, IPPROTO_TCP, flags);
}

/* ---- nat ---- */

void nat_setup_proto(struct env *e, const struct family_setup *f, __u8 proto,
		     __u16 port_min, __u16 port_max)
{
	struct lb_cfg cfg = { .nat_port_min = port_min,
			      .nat_port_max = port_max };

	if (!nat_test_ifindex)
		fail_msg("no internal interface for the nat tests (unshare or 'ip link add' failed: root needed)");
	addr_of(AF_INET, NAT_SRC4, &cfg.nat_src4);
	addr_of(AF_INET6, NAT_SRC6, cfg.nat_src6);
	vip_flags_proto(e, f, proto, XLB_VIP_F_NAT);
	cfg_set(e, &cfg);
}

void nat_setup(struct env *e, const struct family_setup *f, __u16 port_min,
	       __u16 port_max)
{
	nat_setup_proto(e, f, IPPROTO_TCP, port_min, port_max);
}

int prog_run_on(struct env *e, const struct pkt *in, struct pkt *out,
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

/* ---- the runner -------------------------------------------------------- */

int xdp_test_main(int argc, char **argv, const char *group,
		  const struct CMUnitTest *tests, size_t n)
{
	const char *filter = getenv("XLB_TEST");
	size_t i;

	if (argc > 1 && !strcmp(argv[1], "--list")) {
		for (i = 0; i < n; i++)
			printf("%s\n", tests[i].name);
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
	return _cmocka_run_group_tests(group, tests, n, NULL, NULL);
}
