/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The packet tests' shared fixture (tests/prog/test_xdp_*.c): the test
 * network (services, back ends, addresses), loading the XDP program and
 * filling its maps through the controller's own code (ctl/maps.c to
 * prepare the skeleton, the dp_* accessors of ctl/dataplane.h to write
 * the maps), named assertions with byte-exact packet checks, and the
 * runner every test binary's main() calls.
 *
 * Run one test:   test_xdp_dsr NAME  (or XLB_TEST=NAME; '*' and '?' match)
 * List the tests: test_xdp_dsr --list
 * libbpf debug:   XLB_TEST_VERBOSE=1
 * Needs root (BPF_PROG_LOAD, BPF_PROG_TEST_RUN); bpffs is not used.
 */
#ifndef XLB_TEST_XDP_ENV_H
#define XLB_TEST_XDP_ENV_H

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
#include "xlb_hash.h"

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
void be_mac(__u32 id, __u8 mac[ETH_ALEN]);

/* ---- loading ---------------------------------------------------------- */

static const struct xlb_sizes small_sizes = {
	.table_size = 13,
	.max_flows = 1024, /* 512 buckets: 60 flows never fill one */
	.max_services = 16,
	.max_backends = 16,
};

struct env {
	struct xdp_lb *skel;
	struct xlb_sizes sz;
	int prog;
	const void *arg; /* the fixture row, for table-driven tests */
	struct dp dp;	  /* the maps, for the controller's dp_* writers */
};

extern bool verbose; /* XLB_TEST_VERBOSE: libbpf debug output */
/* nat: the "internal interface" of the tests, a veth in the test's own
 * network namespace (0: could not be made, the nat tests fail). */
extern __u32 nat_test_ifindex;

static const __u8 INT_MAC[ETH_ALEN] = { 0x02, 0x1b, 0x00, 0x00, 0x00, 0x02 };

int libbpf_print(enum libbpf_print_level level, const char *fmt,
		 va_list ap);

int map_fd(struct bpf_map *m);

/* Open, size and load the program the controller's way (maps.h); returns
 * 0 or a negative errno. */
int env_load(struct env *e, const struct xlb_sizes *sz);

void env_unload(struct env *e);

/* Put a table of slots[table_size] in svc_tables[svc], as the controller
 * does (dp_table_set). */
int table_install(struct env *e, __u32 svc, const __u32 *slots);

/* slot i -> ids[i % n]; n == 0: every slot XLB_NO_BACKEND. */
int table_install_rr(struct env *e, __u32 svc, const __u32 *ids, __u32 n);

int backend_set(struct env *e, const struct be_def *d);

int vip_set(struct env *e, const struct svc_def *d);

/* Mark a VIP address for ICMP echo, as the controller does: the vips key
 * (addr, port 0, ICMP/ICMPv6) -> the service. */
int icmp_vip_set(struct env *e, int family, const char *vip, __u32 svc);

/* xlb_cfg[0] := cfg (dp_cfg_set), or the test fails. */
void cfg_set(struct env *e, const struct lb_cfg *cfg);

/* The services and back ends above, as the controller would write them. */
int env_populate(struct env *e);

int env_setup_sized(void **state, const struct xlb_sizes *sz);

/* env_setup_sized() with a flow table of one bucket (max_flows 2): every
 * flow of either family shares it (the flow table tests). */
int env_setup_one_bucket(void **state);

int env_setup(void **state);

int env_teardown(void **state);

const char *verdict_name(int v);

const char *state_name(unsigned int s);

/* "WHAT: GOT != expected WANT", where WHAT is printf-formatted. */
void __attribute__((format(printf, 5, 6)))
check_u64(unsigned long long got, unsigned long long want, const char *file,
	  int line, const char *fmt, ...);

#define expect_u64(got, want, ...) \
	check_u64((got), (want), __FILE__, __LINE__, __VA_ARGS__)

void check_name(const char *got, const char *want, const char *file,
		int line, const char *what);

#define expect_verdict(got, want, what)                                       \
	check_name(verdict_name(got), verdict_name(want), __FILE__, __LINE__, \
		   what)

#define expect_state(got, want, what) \
	check_name(state_name(got), state_name(want), __FILE__, __LINE__, what)

void hexdump(const char *title, const struct pkt *p, long mark);

void check_packet(const struct pkt *got, const struct pkt *want,
		  const char *file, int line, const char *what);

#define expect_packet(got, want, what) \
	check_packet((got), (want), __FILE__, __LINE__, what)

/* ---- running packets and reading state -------------------------------- */

void build(const struct pkt_spec *s, struct pkt *p);

__u32 spec_len(const struct pkt_spec *s);

/* One BPF_PROG_TEST_RUN; returns the verdict, fills out. */
int prog_run(struct env *e, const struct pkt *in, struct pkt *out);

/* The data path's clock, bpf_ktime_get_coarse_ns(). */
__u64 coarse_ns(void);

int ncpus(void);

/* Reason r's counter as the product shows it: tx_forwarded derived from
 * the back ends' counters (ctl/counters.h), the others as counted. */
/* The raw stats_reason slot r, summed over the CPUs (not derived). */
struct reason_counters reason_raw(struct env *e, __u32 r);
struct reason_counters reason_get(struct env *e, __u32 r);

struct lb_counters lb_get(struct bpf_map *m, __u32 id);

/* Service svc's counters as the product shows them (ctl/counters.h): its
 * drops, its carry and the entries of the back ends whose slots name it. */
struct lb_counters svc_get(struct env *e, __u32 svc);

/* Every reason counter: `packets` packets of `bytes` bytes under `want`,
 * nothing under the others. */
void expect_reasons(struct env *e, enum xlb_reason want, __u64 packets,
		    __u64 bytes);

void expect_lb(struct env *e, struct bpf_map *m, __u32 id, __u64 packets,
	       __u64 bytes, __u64 new_flows);

/* svc_get(e, svc) is packets, bytes, new_flows. */
void expect_svc(struct env *e, __u32 svc, __u64 packets, __u64 bytes,
		__u64 new_flows);

void addr_of(int family, const char *s, void *out);

void flow_key4(const struct pkt_spec *s, struct flow_key_v4 *k);

void flow_key6(const struct pkt_spec *s, struct flow_key_v6 *k);

/* The data path's hash of the packet's flow. */
__u64 flow_hash(const struct pkt_spec *s);

/* CLOCK_MONOTONIC_COARSE in ns: the data path's bpf_ktime_get_coarse_ns(). */
__u64 coarse_now(void);
/* The service of the IPv4 packet's VIP (the VIP table), -1 if none. */
int flow_svc4(struct env *e, const struct pkt_spec *s);
/* The entry of IPv4 flow k (its service from the VIP table); false if
 * none. */
bool flow_lookup4(struct env *e, const struct flow_key_v4 *k,
		  struct flow_value *fv);
/* The same for IPv6 flow k (flows6). */
bool flow_lookup6(struct env *e, const struct flow_key_v6 *k,
		  struct flow_value *fv);
/* The way of the IPv4 packet's flow in flows4 (its meta in *meta), or
 * NULL. */
struct xlb_ft_way *flow_way4(struct env *e, const struct pkt_spec *s,
			     __u64 *meta);
/* The service of the IPv6 packet's VIP, -1 if none. */
int flow_svc6(struct env *e, const struct pkt_spec *s);
/* The way of the IPv6 packet's flow in flows6 (its meta in *meta), or
 * NULL; flow_way(): of either family. */
struct xlb_ft_way *flow_way6(struct env *e, const struct pkt_spec *s,
			     __u64 *meta);
struct xlb_ft_way *flow_way(struct env *e, const struct pkt_spec *s,
			    __u64 *meta);
/* Overwrite the existing entry of the packet's flow with *fv. */
void flow_set(struct env *e, const struct pkt_spec *s,
	      const struct flow_value *fv);
/* Insert or overwrite the packet's flow entry. */
void flow_put(struct env *e, const struct pkt_spec *s,
	      const struct flow_value *fv);
/* Delete the packet's flow entry; false if there was none. */
bool flow_del(struct env *e, const struct pkt_spec *s);
/* Flows in flows4; in flows6; in both. */
__u32 flows4_count(struct env *e);
__u32 flows6_count(struct env *e);
__u32 flows_count(struct env *e);
/* Empty both flow tables (no packet in flight). */
void flows_flush(struct env *e);

/* The flow entry of the packet's flow; false if there is none. */
bool flow_get(struct env *e, const struct pkt_spec *s,
	      struct flow_value *fv);

/* The pinned back end of the packet's flow; fails the test if none. */
struct flow_value flow_must(struct env *e, const struct pkt_spec *s,
			    const char *what);

__u32 map_count(struct bpf_map *m);

/* Zero the per-CPU counters of ids below n. */
void stats_zero(struct bpf_map *m, __u32 n);

/* Every counter zero: reasons, services' drops and carries, back ends. */
void counters_zero(struct env *e);

void map_flush(struct bpf_map *m);

/* Back to the state after env_populate(): no flows, counters zero. */
void env_reset(struct env *e);

/* What svc_tables[svc] says for slot. */
__u32 table_slot(struct env *e, __u32 svc, __u32 slot);

struct backend_info backend_get(struct env *e, __u32 id);

void backend_put(struct env *e, __u32 id, const struct backend_info *bi);

void table_all(struct env *e, __u32 svc, __u32 id);

/* in, as the data path forwards it to back end id: destination MAC from
 * backends[id], source MAC if_mac, nothing else changed. */
void forwarded(struct env *e, const struct pkt *in, __u32 id,
	       struct pkt *want);

/* Send one packet that must be forwarded to back end `be` (byte-exact). */
void send_tx(struct env *e, const struct pkt_spec *s, __u32 be,
	     const char *what);

/* Send one packet that must come out unchanged with `verdict`. */
void send_unchanged(struct env *e, const struct pkt_spec *s, int verdict,
		    const char *what);

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

struct pkt_spec tcp_spec(const struct family_setup *f, __u16 sport,
			 __u8 flags);

/* Pin a SYN, then return the back end it went to. */
__u32 pin_syn(struct env *e, const struct pkt_spec *syn);

/* The back end's reply of a flow (VIP:port -> client:port), as an ICMP
 * error quotes it. */
struct pkt_spec reply_of(const struct pkt_spec *flow);

/* ---- source-IP persistence ---- */

void vip_flags_proto(struct env *e, const struct family_setup *f,
		     __u8 proto, __u32 flags);

void vip_flags(struct env *e, const struct family_setup *f, __u32 flags);

/* ---- nat ---- */

#define NAT_SRC4 "10.2.0.1"
#define NAT_SRC6 "fd00:2::1"

/* Make f's VIP (proto) a nat service with ports port_min..port_max and
 * the addresses above, or fail the test (no internal interface). */
void nat_setup_proto(struct env *e, const struct family_setup *f, __u8 proto,
		     __u16 port_min, __u16 port_max);

void nat_setup(struct env *e, const struct family_setup *f, __u16 port_min,
	       __u16 port_max);

/* One test run with the frame arriving on ifindex (nat: the internal
 * interface, nat_test_ifindex). */
int prog_run_on(struct env *e, const struct pkt *in, struct pkt *out,
		__u32 ifindex);

/* ---- the fixture table ------------------------------------------------ */

struct pkt_case {
	const char *name;
	struct pkt_spec pkt;
	int verdict; /* XDP_TX, XDP_PASS or XDP_DROP */
	enum xlb_reason reason; /* the one counter that moves */
	__u32 svc; /* TX/DROP: the service counted */
	enum flow_state state; /* TX: the flow entry's state afterwards */
};

/* The fixture table (xdp_cases.c): one packet, one verdict, every byte. */
extern const struct pkt_case cases[];
extern const size_t nr_cases;
const struct pkt_case *case_by_name(const char *name);
/* One fixture row: verdict, every output byte, the flow entry, every
 * counter. */
void run_case(struct env *e, const struct pkt_case *c);

/* ---- the runner -------------------------------------------------------- */

#define SCENARIO(f)                                         \
	{                                                   \
#f, test_##f, env_setup, env_teardown, NULL \
	}

/* A test binary's main(): --list, a name filter (argv[1] or XLB_TEST),
 * the nat test interface, then the group. */
int xdp_test_main(int argc, char **argv, const char *group,
		  const struct CMUnitTest *tests, size_t n);

#endif
