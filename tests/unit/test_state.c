// SPDX-License-Identifier: GPL-2.0-only
/*
 * The state layer (ctl/state*.c) over a fake data plane (fake_dp.c): config
 * apply diffs, runtime commands, health transitions, the load policy and
 * the standby scaler, re-adoption and the status object. No root, no
 * kernel: the maps are in memory, time is a test clock, health probes and
 * standby commands run on a local event loop against loopback listeners
 * and /bin/true.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <event2/event.h>
#include <cmocka.h>

#include "api.h"
#include "check.h"

#include "fake_dp.h"
#include "state.h"
#include "state_int.h"

#define TABLE 251
#define SEC 1000000000ull

static struct dp dp;
static struct lb_state st;
static char err[512];
static __u64 clock_ns;

static __u64 test_clock(void)
{
	return clock_ns;
}

static void check_err(int ret, int want, const char *msg)
{
	if (ret != want || !strstr(err, msg))
		fail_msg("error: got %d \"%s\", expected %d with \"%s\"", ret,
			 err, want, msg);
}

static int setup(void **state)
{
	fake_dp_init(&dp, TABLE, 4096, 8, 16);
	clock_ns = 1000 * SEC;
	state_clock = test_clock;
	assert_int_equal(state_init(&st, &dp, NULL), 0);
	err[0] = '\0';
	return 0;
}

static int teardown(void **state)
{
	state_free(&st);
	state_clock = NULL;
	return 0;
}

static int apply(const char *yaml)
{
	struct lb_config cfg;
	int ret;

	err[0] = '\0';
	ret = config_load_string(yaml, strlen(yaml), "lb.yaml", &cfg, err,
				 sizeof(err));
	if (ret)
		fail_msg("test config does not load: %s", err);
	ret = state_apply_config(&st, &cfg, err, sizeof(err));
	config_free(&cfg);
	return ret;
}

static void apply_ok(const char *yaml)
{
	if (apply(yaml))
		fail_msg("apply: %s", err);
}

static struct lb_addr addr(const char *s)
{
	struct lb_addr a;

	if (lb_addr_parse(s, &a))
		fail_msg("bad test address %s", s);
	return a;
}

static struct lb_service *svc(const char *name)
{
	struct lb_service *s = state_find_service(&st, name);

	if (!s)
		fail_msg("no service %s", name);
	return s;
}

static struct lb_backend *be_of(struct lb_service *s, const char *a)
{
	struct lb_addr x = addr(a);
	size_t i;

	for (i = 0; i < s->n_be; i++)
		if (lb_addr_eq(&s->be[i].addr, &x))
			return &s->be[i];
	return NULL;
}

static struct lb_backend *be(const char *service, const char *a)
{
	struct lb_backend *b = be_of(svc(service), a);

	if (!b)
		fail_msg("service %s has no back end %s", service, a);
	return b;
}

/* Slots of service's table on back end a. */
static unsigned int slots(const char *service, const char *a)
{
	return fake_slots(svc(service)->id, be(service, a)->id);
}

#define HEAD                                                                   \
	"table_size: 251\n"                                                    \
	"max_flows: 4096\n"                                                    \
	"max_services: 8\n"                                                    \
	"max_backends: 16\n"                                                   \
	"services:\n"

#define WEB(backends)                                                          \
	"  - name: web\n"                                                      \
	"    vip: 198.18.0.100\n"                                              \
	"    port: 80\n"                                                       \
	"    proto: tcp\n"                                                     \
	"    backends:\n" backends

#define DNS                                                                    \
	"  - name: dns\n"                                                      \
	"    vip: 198.18.0.100\n"                                              \
	"    port: 53\n"                                                       \
	"    proto: udp\n"                                                     \
	"    backends:\n"                                                      \
	"      - { addr: 198.18.1.1, mac: \"02:00:00:00:01:01\" }\n"

#define BE(n, w)                                                               \
	"      - { addr: 198.18.0." #n ", weight: " #w                         \
	", mac: \"02:00:00:00:00:" #n "\" }\n"

/* ---- applying a configuration ---- */

static void test_apply_writes_the_maps(void **state)
{
	struct lb_addr vip = addr("198.18.0.100");
	const struct fake_vip *v;
	struct lb_backend *b;

	apply_ok(HEAD WEB(BE(11, 100) BE(12, 300)) DNS);
	check_int(st.n_svc, 2, "services");
	v = fake_vip_find(&vip, 80, IPPROTO_TCP);
	assert_non_null(v);
	check_int(v->svc_id, svc("web")->id, "web's vip entry: its service id");
	v = fake_vip_find(&vip, 53, IPPROTO_UDP);
	assert_non_null(v);
	check_int(v->svc_id, svc("dns")->id, "dns's vip entry: its service id");
	/* one echo marker for the address both services share */
	assert_non_null(fake_vip_find(&vip, 0, IPPROTO_ICMP));
	b = be("web", "198.18.0.12");
	check_int(fake.be[b->id].state, XLB_BE_ACTIVE, "back end slot state");
	check_int(fake.be[b->id].svc_id, svc("web")->id, "back end slot svc");
	check_int(fake.be[b->id].mac[5], 0x12, "back end slot mac");
	check_int(fake.be[b->id].addr[0], htonl(0xc6120000 | 12),
		  "back end slot address");
	/* weights 100:300 share the table about 1:3 */
	check_int(slots("web", "198.18.0.11") + slots("web", "198.18.0.12"),
		  TABLE, "web's table: every slot on one of its back ends");
	assert_in_range(slots("web", "198.18.0.12"), 3 * TABLE / 4 - 2,
			3 * TABLE / 4 + 2);
	check_int(fake_slots(svc("dns")->id, be("dns", "198.18.1.1")->id),
		  TABLE, "dns's table");
}

/* Only what differs changes: kept back ends keep their ids, an unchanged
 * service keeps its table, a removed back end drains and goes. */
static void test_apply_diff(void **state)
{
	__u32 id11, id13, dns_id, dns_be, gone;
	__u32 dns_table[TABLE];

	apply_ok(HEAD WEB(BE(11, 100) BE(12, 100) BE(13, 100)) DNS);
	id11 = be("web", "198.18.0.11")->id;
	id13 = be("web", "198.18.0.13")->id;
	gone = be("web", "198.18.0.12")->id;
	dns_id = svc("dns")->id;
	dns_be = be("dns", "198.18.1.1")->id;
	memcpy(dns_table, fake.table[dns_id], sizeof(dns_table));
	fake_flows_add(gone, 5, false);

	apply_ok(HEAD WEB(BE(11, 200) BE(13, 100) BE(14, 100)) DNS);
	check_int(be("web", "198.18.0.11")->id, id11, "kept back end's id");
	check_int(be("web", "198.18.0.13")->id, id13, "kept back end's id");
	check_int(be("web", "198.18.0.11")->weight, 200, "changed weight");
	assert_true(be("web", "198.18.0.14")->id != id11 &&
		    be("web", "198.18.0.14")->id != id13 &&
		    be("web", "198.18.0.14")->id != gone);
	check_int(svc("dns")->id, dns_id, "unchanged service's id");
	check_int(be("dns", "198.18.1.1")->id, dns_be, "its back end's id");
	assert_memory_equal(fake.table[dns_id], dns_table, sizeof(dns_table));
	/* the back end left out drains: out of the table, flows kept */
	assert_true(be("web", "198.18.0.12")->removing);
	check_int(slots("web", "198.18.0.12"), 0, "removed back end's slots");
	check_int(fake.flows[gone], 5, "its pinned flows");
	check_int(fake.be[gone].state, XLB_BE_ACTIVE, "its slot while draining");
	state_sweep(&st);
	assert_non_null(be_of(svc("web"), "198.18.0.12"));
	fake.flows[gone] = 0; /* its clients are done */
	state_sweep(&st);
	assert_null(be_of(svc("web"), "198.18.0.12"));
	check_int(fake.be[gone].state, XLB_BE_UNUSED, "its slot once gone");
}

static void test_apply_removes_a_service(void **state)
{
	struct lb_addr vip = addr("198.18.0.100"), v2 = addr("198.18.0.200");
	__u32 id, be_id;

	apply_ok(HEAD WEB(BE(11, 100))
		 "  - name: other\n"
		 "    vip: 198.18.0.200\n"
		 "    port: 80\n"
		 "    proto: tcp\n"
		 "    backends:\n" BE(21, 100));
	id = svc("other")->id;
	be_id = be("other", "198.18.0.21")->id;
	fake_flows_add(be_id, 3, false);
	assert_non_null(fake_vip_find(&v2, 0, IPPROTO_ICMP));

	apply_ok(HEAD WEB(BE(11, 100)));
	assert_null(state_find_service(&st, "other"));
	assert_null(fake_vip_find(&v2, 80, IPPROTO_TCP));
	assert_null(fake_vip_find(&v2, 0, IPPROTO_ICMP));
	assert_non_null(fake_vip_find(&vip, 0, IPPROTO_ICMP));
	assert_false(fake.has_table[id]);
	check_int(fake.be[be_id].state, XLB_BE_UNUSED, "its back end's slot");
	check_int(fake.flows[be_id], 0, "its back end's flows");
	assert_false(st.svc_used[id]);
}

/* A config that does not fit leaves the data plane and the model as they
 * were. */
static void test_apply_rejected(void **state)
{
	struct fake_maps before;
	size_t n_be;

	apply_ok(HEAD WEB(BE(11, 100) BE(12, 100)));
	before = fake;
	n_be = svc("web")->n_be;

	check_err(apply("table_size: 257\nmax_flows: 4096\nmax_services: 8\n"
			"max_backends: 16\nservices:\n" WEB(BE(13, 100))),
		  -EINVAL, "cannot change while attached");
	assert_memory_equal(&fake, &before, sizeof(fake));
	check_int(svc("web")->n_be, n_be, "back ends after a rejected config");
	assert_null(be_of(svc("web"), "198.18.0.13"));

	check_err(apply(HEAD WEB(BE(11, 100))
			"    mode: nat\n"),
		  -EINVAL, "needs an internal interface");
	assert_memory_equal(&fake, &before, sizeof(fake));

	/* the first write fails: nothing else is written */
	fake_fail("dp_cfg_set", 1, -EIO);
	check_err(apply(HEAD WEB(BE(11, 5) BE(13, 100))), -EIO,
		  "cannot apply the config to the data plane");
	assert_memory_equal(&fake, &before, sizeof(fake));
	check_int(be("web", "198.18.0.11")->weight, 100, "weight");
}

/* ---- runtime commands ---- */

static void test_service_add_del(void **state)
{
	struct lb_addr vip = addr("198.18.0.50");

	check_err(state_service_add(&st, "-bad", "198.18.0.50:80/tcp", err,
				    sizeof(err)),
		  -EINVAL, "not a valid service name");
	check_err(state_service_add(&st, "api", "198.18.0.50:80", err,
				    sizeof(err)),
		  -EINVAL, "is not VIP:PORT/PROTO");
	assert_int_equal(state_service_add(&st, "api", "198.18.0.50:80/tcp",
					   err, sizeof(err)),
			 0);
	assert_non_null(fake_vip_find(&vip, 80, IPPROTO_TCP));
	assert_non_null(fake_vip_find(&vip, 0, IPPROTO_ICMP));
	check_err(state_service_add(&st, "api", "198.18.0.51:80/tcp", err,
				    sizeof(err)),
		  -EEXIST, "a service named 'api' exists already");
	check_err(state_service_add(&st, "api2", "198.18.0.50:80/tcp", err,
				    sizeof(err)),
		  -EEXIST, "has 198.18.0.50:80/tcp already");
	check_err(state_service_del(&st, "nope", err, sizeof(err)), -ENOENT,
		  "no service 'nope'");
	assert_int_equal(state_service_del(&st, "198.18.0.50:80/tcp", err,
					   sizeof(err)),
			 0);
	assert_null(fake_vip_find(&vip, 80, IPPROTO_TCP));
	assert_null(fake_vip_find(&vip, 0, IPPROTO_ICMP));
	check_int(st.n_svc, 0, "services");
}

/*
 * service del of a service with many back ends walks the flow tables once
 * for all of them (one walk each took seconds of a blocked loop with
 * thousands of back ends and a big table). A request with a NUL byte in
 * a name is refused, not matched on the name's prefix.
 */
static void test_service_del_one_walk(void **state)
{
	struct json_object *req, *rep, *v;
	__u32 ids[5];
	int i;

	apply_ok(HEAD WEB(BE(11, 100) BE(12, 100) BE(13, 100) BE(14, 100)
			  BE(15, 100)));
	for (i = 0; i < 5; i++) {
		char a[32];

		snprintf(a, sizeof(a), "198.18.0.%d", 11 + i);
		ids[i] = be("web", a)->id;
		fake_flows_add(ids[i], 2, false);
	}
	req = json_tokener_parse("{\"cmd\":\"service_del\",\"service\":\"web\\u0000x\"}");
	assert_non_null(req);
	rep = api_handle(&st, req);
	json_object_put(req);
	assert_true(json_object_object_get_ex(rep, "error", &v));
	if (!strstr(json_object_get_string(v), "NUL"))
		fail_msg("a NUL in the name: \"%s\"", json_object_get_string(v));
	json_object_put(rep);
	assert_non_null(state_find_service(&st, "web"));

	assert_int_equal(state_service_del(&st, "web", err, sizeof(err)), 0);
	check_int(fake_calls("dp_flows_purge_backend"), 0,
		  "per-back-end flow walks for service del");
	check_int(fake_calls("dp_flows_purge_backends"), 1,
		  "flow walks for service del of 5 back ends");
	for (i = 0; i < 5; i++) {
		check_int(fake.flows[ids[i]], 0, "flows of back end %d", i);
		check_int(st.be_used[ids[i]], 0, "id of back end %d freed", i);
	}
}

static int add(const char *a, __u32 w, const char *mac)
{
	err[0] = '\0';
	return state_backend_add(&st, "web", a, w, mac, err, sizeof(err));
}

static void test_backend_add_errors(void **state)
{
	struct fake_maps before;

	apply_ok(HEAD WEB(BE(11, 100)));
	before = fake;
	check_err(state_backend_add(&st, "nope", "198.18.0.12", 1, NULL, err,
				    sizeof(err)),
		  -ENOENT, "no service 'nope'");
	check_err(add("198.18.0.x", 1, NULL), -EINVAL,
		  "not an IPv4 or IPv6 address");
	check_err(add("fd00::12", 1, NULL), -EINVAL, "not of the same family");
	check_err(add("198.18.0.12", 70000, NULL), -EINVAL,
		  "weight 70000 is out of range 0..65535");
	check_err(add("198.18.0.12", 1, "02:00"), -EINVAL,
		  "is not a MAC address");
	check_err(add("198.18.0.11", 1, "02:00:00:00:00:11"), -EEXIST,
		  "has back end 198.18.0.11 already");
	assert_memory_equal(&fake, &before, sizeof(fake));
	check_int(svc("web")->n_be, 1, "back ends after rejected adds");
}

static void test_backend_add(void **state)
{
	struct lb_backend *b;
	__u32 id;

	apply_ok(HEAD WEB(BE(11, 100)));
	assert_int_equal(add("198.18.0.12", 100, "02:00:00:00:00:12"), 0);
	b = be("web", "198.18.0.12");
	id = b->id;
	check_int(fake.be[id].state, XLB_BE_ACTIVE, "added back end's slot");
	check_int(fake.be[id].mac[5], 0x12, "its mac");
	assert_in_range(slots("web", "198.18.0.12"), TABLE / 2 - 2,
			TABLE / 2 + 2);
	/* fills the ids: max_backends is 16 */
	for (int i = 0; i < 14; i++) {
		char a[32];

		snprintf(a, sizeof(a), "198.18.0.%d", 30 + i);
		assert_int_equal(add(a, 1, "02:00:00:00:00:30"), 0);
	}
	check_err(add("198.18.0.99", 1, "02:00:00:00:00:99"), -ENOSPC,
		  "no room for another back end (max_backends=16)");
}

static int del(const char *a, bool now)
{
	err[0] = '\0';
	return state_backend_del(&st, "web", a, now, err, sizeof(err));
}

/* max_backends full: a config that swaps a back end for a new one needs
 * an id the old one holds while it drains. Refused whole, with the reason,
 * until the sweep has let it go. */
static void test_apply_full_refused_whole(void **state)
{
#define FULL16(last)                                                           \
	BE(11, 1) BE(12, 1) BE(13, 1) BE(14, 1) BE(15, 1) BE(16, 1) BE(17, 1) \
	BE(18, 1) BE(19, 1) BE(20, 1) BE(21, 1) BE(22, 1) BE(23, 1) BE(24, 1) \
	BE(25, 1) BE(last, 1)
	struct fake_maps before;

	apply_ok(HEAD WEB(FULL16(26)));
	before = fake;
	check_err(apply(HEAD WEB(FULL16(27))), -ENOSPC,
		  "max_backends=16 (1 held by back ends draining out");
	assert_memory_equal(&fake, &before, sizeof(fake));
	assert_null(be_of(svc("web"), "198.18.0.27"));
	assert_false(be("web", "198.18.0.26")->removing);

	/* once the back end left (nothing pinned: at the next sweep), the
	 * same file applies */
	assert_int_equal(del("198.18.0.26", false), 0);
	state_sweep(&st);
	apply_ok(HEAD WEB(FULL16(27)));
	assert_non_null(be_of(svc("web"), "198.18.0.27"));
#undef FULL16
}

static void test_backend_del(void **state)
{
	__u32 id12, id13;

	apply_ok(HEAD WEB(BE(11, 100) BE(12, 100) BE(13, 100)));
	id12 = be("web", "198.18.0.12")->id;
	id13 = be("web", "198.18.0.13")->id;
	check_err(del("198.18.0.99", false), -ENOENT,
		  "service 'web' has no back end 198.18.0.99");

	/* nothing pinned: gone at once */
	assert_int_equal(del("198.18.0.12", false), 0);
	assert_null(be_of(svc("web"), "198.18.0.12"));
	check_int(fake.be[id12].state, XLB_BE_UNUSED, "deleted slot");
	assert_false(st.be_used[id12]);

	/* flows pinned: drains until they end */
	fake_flows_add(id13, 4, false);
	assert_int_equal(del("198.18.0.13", false), 0);
	assert_true(be("web", "198.18.0.13")->removing);
	check_int(slots("web", "198.18.0.13"), 0, "draining back end's slots");
	check_int(fake.flows[id13], 4, "its flows while it drains");
	/* ... or the drain timeout */
	clock_ns += (__u64)(st.drain_timeout_s + 1) * SEC;
	state_sweep(&st);
	assert_null(be_of(svc("web"), "198.18.0.13"));
	check_int(fake.flows[id13], 0, "its flows after the drain timeout");
}

static void test_backend_del_now_and_add_back(void **state)
{
	__u32 id;

	apply_ok(HEAD WEB(BE(11, 100) BE(12, 100)));
	id = be("web", "198.18.0.12")->id;
	fake_flows_add(id, 7, false);
	/* added back while it drains: kept, same id, flows kept */
	assert_int_equal(del("198.18.0.12", false), 0);
	assert_int_equal(add("198.18.0.12", 50, NULL), 0);
	check_int(be("web", "198.18.0.12")->id, id, "id of a kept back end");
	assert_false(be("web", "198.18.0.12")->removing);
	check_int(be("web", "198.18.0.12")->weight, 50, "its new weight");
	check_int(fake.flows[id], 7, "its flows");
	assert_true(slots("web", "198.18.0.12") > 0);

	assert_int_equal(del("198.18.0.12", true), 0);
	assert_null(be_of(svc("web"), "198.18.0.12"));
	check_int(fake.flows[id], 0, "flows of a back end removed now");
	check_int(fake.be[id].state, XLB_BE_UNUSED, "its slot");
	check_int(slots("web", "198.18.0.11"), TABLE, "the other's slots");
}

static int drain(const char *a, bool on)
{
	err[0] = '\0';
	return state_backend_drain(&st, "web", a, on, err, sizeof(err));
}

static void test_drain_undrain(void **state)
{
	__u32 id;

	apply_ok(HEAD WEB(BE(11, 100) BE(12, 100)));
	id = be("web", "198.18.0.12")->id;
	fake_flows_add(id, 3, false);
	assert_int_equal(drain("198.18.0.12", true), 0);
	check_int(slots("web", "198.18.0.12"), 0, "drained back end's slots");
	check_int(fake.be[id].state, XLB_BE_ACTIVE, "its slot: pinned go on");
	check_int(fake.flows[id], 3, "its flows");
	assert_int_equal(drain("198.18.0.12", false), 0);
	assert_in_range(slots("web", "198.18.0.12"), TABLE / 2 - 2,
			TABLE / 2 + 2);
	check_err(drain("198.18.0.99", true), -ENOENT, "has no back end");
	assert_int_equal(del("198.18.0.12", false), 0);
	check_err(drain("198.18.0.12", false), -EBUSY, "is being removed");
}

static int weight(const char *a, __u32 w)
{
	err[0] = '\0';
	return state_backend_weight(&st, "web", a, w, err, sizeof(err));
}

static void test_weight(void **state)
{
	struct fake_maps before;

	apply_ok(HEAD WEB(BE(11, 100) BE(12, 100)));
	assert_int_equal(weight("198.18.0.12", 300), 0);
	assert_in_range(slots("web", "198.18.0.12"), 3 * TABLE / 4 - 2,
			3 * TABLE / 4 + 2);
	assert_int_equal(weight("198.18.0.12", 0), 0);
	check_int(slots("web", "198.18.0.12"), 0, "weight 0: no slots");
	check_err(weight("198.18.0.12", 65536), -EINVAL, "out of range");
	check_err(weight("198.18.0.99", 1), -ENOENT, "has no back end");
	/* the table write fails: the weight and the maps stay */
	assert_int_equal(weight("198.18.0.12", 100), 0);
	before = fake;
	fake_fail("dp_table_set", 1, -EIO);
	check_err(weight("198.18.0.12", 500), -EIO, "cannot rebuild the table");
	check_int(be("web", "198.18.0.12")->weight, 100, "weight after a failure");
	assert_memory_equal(&fake, &before, sizeof(fake));
	/* ... and a drained back end stays drained */
	assert_int_equal(drain("198.18.0.12", true), 0);
	before = fake;
	fake_fail("dp_table_set", 1, -EIO);
	check_err(weight("198.18.0.12", 500), -EIO, "cannot rebuild the table");
	assert_true(be("web", "198.18.0.12")->drained);
	assert_memory_equal(&fake, &before, sizeof(fake));
}

/* The slot's XLB_BE_F_NO_NEW says "out of the table, pinned flows go on"
 * to the data path (a SYN reusing a client port is picked again): set by
 * drain, weight 0 and removal, cleared by undrain and a weight again. */
static void test_no_new_flag(void **state)
{
	__u32 id;

	apply_ok(HEAD WEB(BE(11, 100) BE(12, 100)));
	id = be("web", "198.18.0.12")->id;
	fake_flows_add(id, 3, false);
	check_int(fake.be[id].flags, 0, "active: takes new flows");
	assert_int_equal(drain("198.18.0.12", true), 0);
	check_int(fake.be[id].flags, XLB_BE_F_NO_NEW, "drained");
	assert_int_equal(drain("198.18.0.12", false), 0);
	check_int(fake.be[id].flags, 0, "undrained");
	assert_int_equal(weight("198.18.0.12", 0), 0);
	check_int(fake.be[id].flags, XLB_BE_F_NO_NEW, "weight 0");
	assert_int_equal(weight("198.18.0.12", 50), 0);
	check_int(fake.be[id].flags, 0, "weight 50");
	assert_int_equal(del("198.18.0.12", false), 0);
	check_int(fake.be[id].state, XLB_BE_ACTIVE, "removing: its slot");
	check_int(fake.be[id].flags, XLB_BE_F_NO_NEW, "removing");
	check_int(fake.be[be("web", "198.18.0.11")->id].flags, 0,
		  "the other back end");
}

/* ---- sweeps ---- */

static void test_sweep_expires_and_counts(void **state)
{
	__u32 id;

	apply_ok(HEAD WEB(BE(11, 100)));
	id = be("web", "198.18.0.11")->id;
	fake_flows_add(id, 10, false);
	fake_flows_add(id, 4, true);
	while (state_sweep_step(&st))
		;
	check_int(st.counts[id], 10, "live flows counted by the steps");
	check_int(st.expired_total, 4, "idle flows expired");
	check_int(st.table_flows, 14, "entries the round walked");
	fake_flows_add(id, 2, true);
	state_sweep(&st);
	check_int(st.counts[id], 10, "live flows after a full sweep");
	check_int(st.expired_total, 6, "idle flows expired");
}

/* ---- re-adoption ---- */

static void test_adopt_keeps_ids(void **state)
{
	__u32 id11, id12, svc_id;
	struct fake_maps before;

	apply_ok(HEAD WEB(BE(11, 100) BE(12, 100)) DNS);
	id11 = be("web", "198.18.0.11")->id;
	id12 = be("web", "198.18.0.12")->id;
	svc_id = svc("web")->id;
	fake_flows_add(id12, 9, false);
	before = fake;
	state_free(&st); /* the controller stops; the maps stay */
	assert_int_equal(state_init(&st, &dp, NULL), 0);
	assert_int_equal(state_adopt(&st), 0);
	check_int(st.n_svc, 2, "services re-adopted");
	apply_ok(HEAD WEB(BE(11, 100) BE(12, 100)) DNS);
	check_int(svc("web")->id, svc_id, "re-adopted service id");
	check_int(be("web", "198.18.0.11")->id, id11, "re-adopted back end id");
	check_int(be("web", "198.18.0.12")->id, id12, "re-adopted back end id");
	check_int(fake.flows[id12], 9, "flows across a restart");
	assert_memory_equal(fake.table, before.table, sizeof(fake.table));
	assert_memory_equal(fake.be, before.be, sizeof(fake.be));
}

/*
 * A back end that was down when the controller stopped is re-adopted (same
 * id, flows kept, still down), not skipped with its slot left behind while
 * the config gives the same address a second id.
 */
static void test_adopt_down_backend(void **state)
{
	__u32 id12;

	apply_ok(HEAD WEB(BE(11, 100) BE(12, 100)));
	id12 = be("web", "198.18.0.12")->id;
	fake.be[id12].state = XLB_BE_DOWN; /* as its probes left it */
	fake_flows_add(id12, 4, false);
	state_free(&st);
	assert_int_equal(state_init(&st, &dp, NULL), 0);
	assert_int_equal(state_adopt(&st), 0);
	apply_ok(HEAD WEB(BE(11, 100) BE(12, 100)));
	check_int(be("web", "198.18.0.12")->id, id12,
		  "a down back end keeps its id across a restart");
	check_int(svc("web")->n_be, 2, "back ends after the restart");
	check_int(fake.flows[id12], 4, "its flows across a restart");
}

/* ---- load policy and slow start ---- */

static void test_load_policy_cuts_a_loaded_back_end(void **state)
{
	__u32 id11, id12;

	apply_ok(HEAD WEB("      - { addr: 198.18.0.11, capacity: 100,"
			  " mac: \"02:00:00:00:00:11\" }\n"
			  "      - { addr: 198.18.0.12, capacity: 100,"
			  " mac: \"02:00:00:00:00:12\" }\n")
		 "    load: { interval_ms: 1000 }\n");
	id11 = be("web", "198.18.0.11")->id;
	id12 = be("web", "198.18.0.12")->id;
	fake_flows_add(id11, 90, false);
	fake_flows_add(id12, 10, false);
	state_sweep(&st);
	state_tick(&st);
	assert_true(be("web", "198.18.0.11")->factor < POLICY_ONE);
	check_int(be("web", "198.18.0.12")->factor, POLICY_ONE,
		  "the light back end's factor");
	assert_true(slots("web", "198.18.0.11") < slots("web", "198.18.0.12"));
	/* no second evaluation before interval_ms */
	{
		__u32 f = be("web", "198.18.0.11")->factor;

		clock_ns += 500 * 1000000ull;
		state_tick(&st);
		check_int(be("web", "198.18.0.11")->factor, f,
			  "factor within the interval");
	}
}

static void test_slow_start_ramp(void **state)
{
	struct lb_backend *b;

	apply_ok(HEAD WEB(BE(11, 100)) "    slow_start: 10\n");
	/* a back end in the first config takes its full share at once */
	check_int(be("web", "198.18.0.11")->up_since, 0, "first config: no ramp");
	assert_int_equal(add("198.18.0.12", 100, "02:00:00:00:00:12"), 0);
	b = be("web", "198.18.0.12");
	check_int(b->up_since, clock_ns, "added at run time: ramp begins");
	/* the first table that has it, before any tick: the ramp's start */
	check_int(b->ramp, POLICY_RAMP_START, "ramp at its add");
	check_int(backend_effective_weight(b), 5, "effective weight at its add");
	assert_in_range(slots("web", "198.18.0.12"), 1, TABLE / 10);
	state_tick(&st);
	b = be("web", "198.18.0.12");
	check_int(b->ramp, POLICY_RAMP_START, "ramp at its start");
	assert_true(slots("web", "198.18.0.12") < TABLE / 10);
	clock_ns += 5 * SEC;
	state_tick(&st);
	b = be("web", "198.18.0.12");
	assert_in_range(b->ramp, 500, 550);
	clock_ns += 6 * SEC;
	state_tick(&st);
	b = be("web", "198.18.0.12");
	check_int(b->ramp, POLICY_ONE, "ramp after slow_start");
	check_int(b->up_since, 0, "ramp over");
	assert_in_range(slots("web", "198.18.0.12"), TABLE / 2 - 2,
			TABLE / 2 + 2);
}

/* A back end added by a reload to a running service: its first table has
 * it at the ramp's start, and so does status. */
static void test_slow_start_on_reload(void **state)
{
	struct json_object *j, *bes;
	struct lb_backend *b;
	size_t i;

	apply_ok(HEAD WEB(BE(11, 100) BE(12, 100)) "    slow_start: 20\n");
	apply_ok(HEAD WEB(BE(11, 100) BE(12, 100) BE(13, 100))
		 "    slow_start: 20\n");
	b = be("web", "198.18.0.13");
	check_int(b->ramp, POLICY_RAMP_START, "ramp in the reload's table");
	check_int(backend_effective_weight(b), 5, "its effective weight");
	/* 5 of 205: about 2.4% of the slots */
	assert_in_range(slots("web", "198.18.0.13"), 1, TABLE * 4 / 100);
	j = state_status_json(&st, false);
	bes = json_object_object_get(
		json_object_array_get_idx(json_object_object_get(j, "services"), 0),
		"backends");
	for (i = 0; i < json_object_array_length(bes); i++) {
		struct json_object *o = json_object_array_get_idx(bes, i);

		if (strcmp(json_object_get_string(json_object_object_get(o, "addr")),
			   "198.18.0.13"))
			continue;
		check_int(json_object_get_int(json_object_object_get(
				  o, "effective_weight")),
			  5, "status: effective_weight at once");
	}
	json_object_put(j);
}

/* ---- the event loop: health probes and standby commands ---- */

static struct event_base *base;

static int setup_loop(void **state)
{
	setup(state);
	state_clock = NULL; /* probes and commands run in real time */
	base = event_base_new();
	assert_non_null(base);
	st.base = base;
	return 0;
}

static int teardown_loop(void **state)
{
	teardown(state);
	event_base_free(base);
	base = NULL;
	return 0;
}

/* Run the loop until done() or 5 s; a probe every 20 ms keeps it turning. */
static bool run_until(bool (*done)(void))
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!done()) {
		event_base_loop(base, EVLOOP_ONCE);
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec > 5)
			return false;
	}
	return true;
}

/* A listening socket on addr:port (port 0: any; returned). */
static int listen_on(const char *a, __u16 *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(*port) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	inet_pton(AF_INET, a, &sa.sin_addr);
	if (bind(fd, (struct sockaddr *)&sa, len) || listen(fd, 1024) ||
	    getsockname(fd, (struct sockaddr *)&sa, &len))
		fail_msg("listen on %s: %s", a, strerror(errno));
	*port = ntohs(sa.sin_port);
	return fd;
}

static bool b2_down(void)
{
	return be("web", "127.0.0.2")->down;
}

static bool b1_down(void)
{
	return be("web", "127.0.0.1")->down;
}

static bool b2_up(void)
{
	return !be("web", "127.0.0.2")->down;
}

static void test_health_transitions(void **state)
{
	char yaml[1024];
	__u16 port = 0;
	int l1, l2;
	__u32 id1, id2;

	l1 = listen_on("127.0.0.1", &port);
	l2 = listen_on("127.0.0.2", &port);
	snprintf(yaml, sizeof(yaml),
		 HEAD "  - name: web\n"
		      "    vip: 127.0.0.100\n"
		      "    port: %u\n"
		      "    proto: tcp\n"
		      "    health: { interval_ms: 20, timeout_ms: 20,"
		      " rise: 1, fall: 1 }\n"
		      "    slow_start: 60\n"
		      "    backends:\n"
		      "      - { addr: 127.0.0.1, mac: \"02:00:00:00:00:01\" }\n"
		      "      - { addr: 127.0.0.2, mac: \"02:00:00:00:00:02\" }\n",
		 port);
	apply_ok(yaml);
	id1 = be("web", "127.0.0.1")->id;
	id2 = be("web", "127.0.0.2")->id;
	fake_flows_add(id2, 6, false);

	/* one down: out of the table, its slot DOWN, its flows purged */
	close(l2);
	if (!run_until(b2_down))
		fail_msg("127.0.0.2 not down after its listener closed");
	check_int(slots("web", "127.0.0.1"), TABLE, "the live back end's slots");
	check_int(fake.be[id2].state, XLB_BE_DOWN, "down back end's slot");
	check_int(fake.flows[id2], 0, "down back end's flows");
	assert_true(be("web", "127.0.0.2")->n_health_why >= 1);

	/* all down: the last table stays (fail-open), slots active */
	close(l1);
	if (!run_until(b1_down))
		fail_msg("127.0.0.1 not down after its listener closed");
	assert_true(svc("web")->all_down);
	check_int(slots("web", "127.0.0.1"), TABLE, "fail-open: last table");
	check_int(fake.be[id1].state, XLB_BE_ACTIVE, "fail-open: slot state");
	check_int(fake.be[id2].state, XLB_BE_ACTIVE, "fail-open: slot state");

	/* one up again: the table is its own */
	l2 = listen_on("127.0.0.2", &port);
	if (!run_until(b2_up))
		fail_msg("127.0.0.2 not up after its listener came back");
	assert_false(svc("web")->all_down);
	check_int(slots("web", "127.0.0.2"), TABLE, "the back end back up");
	check_int(fake.be[id1].state, XLB_BE_DOWN, "the one still down");
	/* up again: slow start from its start in the very first table */
	check_int(be("web", "127.0.0.2")->ramp, POLICY_RAMP_START,
		  "ramp of the back end up again");
	close(l2);
}

static struct lb_standby *sb0(void)
{
	return &svc("web")->sb[0];
}

static bool sb_settled(void)
{
	return sb0()->state != SB_STARTING && sb0()->state != SB_STOPPING;
}

static void test_scaler_steps(void **state)
{
	struct lb_backend *b;
	__u32 id11;

	state_clock = test_clock; /* commands still run in real time */
	apply_ok(HEAD WEB("      - { addr: 198.18.0.11, capacity: 10,"
			  " mac: \"02:00:00:00:00:11\" }\n")
		 "    standby:\n"
		 "      - addr: 198.18.0.12\n"
		 "        mac: \"02:00:00:00:00:12\"\n"
		 "        capacity: 10\n"
		 "        start: \"true\"\n"
		 "        stop: \"true\"\n"
		 "    scale: { high: 80, low: 20, for: 10 }\n");
	id11 = be("web", "198.18.0.11")->id;
	check_int(sb0()->state, SB_OFF, "standby at first");

	/* over high for `for` seconds: start */
	fake_flows_add(id11, 9, false);
	state_sweep(&st);
	state_tick(&st);
	check_int(sb0()->state, SB_OFF, "standby: overloaded, not for long");
	clock_ns += 10 * SEC;
	state_tick(&st);
	check_int(sb0()->state, SB_STARTING, "standby after `for` seconds");
	if (!run_until(sb_settled))
		fail_msg("the start command did not finish");
	check_int(sb0()->state, SB_ON, "standby started (no probes)");
	b = be("web", "198.18.0.12");
	assert_true(b->standby);
	assert_true(slots("web", "198.18.0.12") > 0);

	/* under low for `for` seconds: drain, then stop */
	fake.flows[id11] = 1;
	state_sweep(&st);
	clock_ns += 3 * SEC;
	state_tick(&st);
	clock_ns += 10 * SEC;
	state_tick(&st);
	check_int(sb0()->state, SB_DRAINING, "standby under low load");
	check_int(slots("web", "198.18.0.12"), 0, "draining standby's slots");
	state_sweep(&st); /* no flows: removed */
	assert_null(be_of(svc("web"), "198.18.0.12"));
	clock_ns += 3 * SEC;
	state_tick(&st);
	check_int(sb0()->state, SB_STOPPING, "standby drained: stop");
	if (!run_until(sb_settled))
		fail_msg("the stop command did not finish");
	check_int(sb0()->state, SB_OFF, "standby stopped");
}

/* ---- status ---- */

static struct json_object *get(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		fail_msg("status has no \"%s\"", key);
	return v;
}

static void test_status_json(void **state)
{
	struct json_object *o, *s, *b;
	__u32 id;

	apply_ok(HEAD WEB(BE(11, 100) BE(12, 300)));
	id = be("web", "198.18.0.12")->id;
	fake_flows_add(id, 3, false);
	fake.be_stats[id].packets = 42;
	fake.svc_carry[svc("web")->id].new_flows = 7;
	fake.reasons[XLB_TX_FORWARDED].packets = 5; /* the carry */
	assert_int_equal(drain("198.18.0.11", true), 0);
	o = state_status_json(&st, true);
	assert_string_equal(json_object_get_string(get(o, "interface")), "fake0");
	check_int(json_object_get_int64(get(o, "table_size")), TABLE,
		  "status table_size");
	check_int(json_object_get_int64(get(get(o, "loop"), "tick_ms")),
		  STATE_TICK_MS, "status loop.tick_ms");
	s = json_object_array_get_idx(get(o, "services"), 0);
	assert_string_equal(json_object_get_string(get(s, "name")), "web");
	assert_string_equal(json_object_get_string(get(s, "endpoint")),
			    "198.18.0.100:80/tcp");
	assert_string_equal(json_object_get_string(get(s, "mode")), "dsr");
	assert_string_equal(json_object_get_string(get(s, "persistence")),
			    "none");
	check_int(json_object_get_int64(get(s, "flows")), 3, "service flows");
	check_int(json_object_get_int64(get(s, "new_flows")), 7,
		  "service new_flows");
	check_int(json_object_get_int64(get(s, "packets")), 42,
		  "service packets: its back ends'");
	b = json_object_array_get_idx(get(s, "backends"), 0);
	assert_string_equal(json_object_get_string(get(b, "addr")),
			    "198.18.0.11");
	assert_string_equal(json_object_get_string(get(b, "state")),
			    "draining");
	check_int(json_object_get_int64(get(b, "effective_weight")), 0,
		  "drained back end's effective weight");
	b = json_object_array_get_idx(get(s, "backends"), 1);
	assert_string_equal(json_object_get_string(get(b, "state")), "active");
	assert_string_equal(json_object_get_string(get(b, "mac")),
			    "02:00:00:00:00:12");
	assert_string_equal(json_object_get_string(get(b, "health")), "none");
	check_int(json_object_get_int64(get(b, "id")), id, "back end id");
	check_int(json_object_get_int64(get(b, "flows")), 3, "back end flows");
	check_int(json_object_get_int64(get(b, "packets")), 42,
		  "back end packets");
	check_int((long long)json_object_get_double(get(b, "share")), 100,
		  "back end share");
	check_int(json_object_get_int64(get(get(o, "outcomes"), "tx_forwarded")),
		  5 + 42, "outcomes.tx_forwarded: carry + back ends");
	json_object_put(o);
}

static __u64 status_u64(struct json_object *o, const char *key)
{
	return json_object_get_uint64(get(o, key));
}

/* The service's figures are its back ends' (counters.h): a back end
 * removed, its id reused by a new one, keeps its packets in the service
 * and in tx_forwarded; the service removed, tx_forwarded keeps them. */
static void test_status_counters_carry(void **state)
{
	struct json_object *o, *s;
	__u32 id11, id12, web;

	apply_ok(HEAD WEB(BE(11, 100) BE(12, 100)));
	id11 = be("web", "198.18.0.11")->id;
	id12 = be("web", "198.18.0.12")->id;
	web = svc("web")->id;
	fake.be_stats[id11] = (struct lb_counters){ 10, 1000, 2 };
	fake.be_stats[id12] = (struct lb_counters){ 20, 2000, 3 };
	fake.svc_drop[web] = (struct lb_counters){ 1, 100, 0 };

	apply_ok(HEAD WEB(BE(11, 100)));
	state_sweep(&st); /* no flows: 12 goes */
	assert_null(be_of(svc("web"), "198.18.0.12"));
	check_int(fake.be_stats[id12].packets, 0, "12's entry taken");
	apply_ok(HEAD WEB(BE(11, 100) BE(13, 100)));
	fake.be_stats[be("web", "198.18.0.13")->id].packets += 4;
	o = state_status_json(&st, true);
	s = json_object_array_get_idx(get(o, "services"), 0);
	check_int(status_u64(s, "packets"), 1 + 10 + 20 + 4,
		  "service packets: drops + back ends + the removed one's");
	check_int(status_u64(s, "bytes"), 100 + 1000 + 2000,
		  "service bytes");
	check_int(status_u64(s, "new_flows"), 2 + 3, "service new_flows");
	check_int(status_u64(get(o, "outcomes"), "tx_forwarded"), 10 + 20 + 4,
		  "tx_forwarded: back ends + the removed one's");
	json_object_put(o);

	apply_ok(HEAD DNS);
	o = state_status_json(&st, true);
	check_int(status_u64(get(o, "outcomes"), "tx_forwarded"), 10 + 20 + 4,
		  "tx_forwarded once the service is gone");
	json_object_put(o);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
#define L(f) cmocka_unit_test_setup_teardown(f, setup_loop, teardown_loop)
	const struct CMUnitTest tests[] = {
		T(test_apply_writes_the_maps),
		T(test_apply_diff),
		T(test_apply_removes_a_service),
		T(test_status_counters_carry),
		T(test_apply_rejected),
		T(test_apply_full_refused_whole),
		T(test_service_add_del),
		T(test_service_del_one_walk),
		T(test_backend_add_errors),
		T(test_backend_add),
		T(test_backend_del),
		T(test_backend_del_now_and_add_back),
		T(test_drain_undrain),
		T(test_weight),
		T(test_no_new_flag),
		T(test_sweep_expires_and_counts),
		T(test_adopt_keeps_ids),
		T(test_adopt_down_backend),
		T(test_load_policy_cuts_a_loaded_back_end),
		T(test_slow_start_ramp),
		T(test_slow_start_on_reload),
		L(test_health_transitions),
		L(test_scaler_steps),
		T(test_status_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
