// SPDX-License-Identifier: GPL-2.0-only
/*
 * The flow-table walks: the idle sweep (whole, or in steps from the event
 * loop), the purge of a back end's flows, and the nat mapping lifecycle
 * (release with the flow, the orphan scan). The IPv4 table (flows4) is
 * walked through its mmap'd array (flowtab.h: no syscall per flow, a
 * delete that loses to a concurrent replace); flows_v6 and nat_rev through
 * one batch iterator. A whole walk is its steps until done.
 */
#include "dataplane.h"

#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "conntrack.h"
#include "xdp_lb.skel.h"

#define BATCH 4096

/* ---- the batch iterator --------------------------------------------- */

/* A map read BATCH entries at a time; the position (first, token) lives in
 * the caller's cursor so that a walk can stop and go on later. */
struct batch_it {
	int fd;
	size_t key_size;
	void *keys, *vals;
	__u32 count; /* entries in keys/vals after batch_next() */
};

static int batch_init(struct batch_it *it, int fd, size_t key_size,
		      size_t val_size)
{
	it->fd = fd;
	it->key_size = key_size;
	it->count = 0;
	it->keys = malloc(key_size * BATCH);
	it->vals = malloc(val_size * BATCH);
	if (it->keys && it->vals)
		return 0;
	free(it->keys);
	free(it->vals);
	it->keys = it->vals = NULL;
	return -ENOMEM;
}

static void batch_fini(struct batch_it *it)
{
	free(it->keys);
	free(it->vals);
}

/* The next batch after *token (from the map's start if *first). Returns 1
 * if that was the map's last batch (it->count entries may still have come
 * with it), 0 if more follow, or a negative errno. */
static int batch_next(struct batch_it *it, bool *first, __u64 *token)
{
	int ret;

	it->count = BATCH;
	ret = bpf_map_lookup_batch(it->fd, *first ? NULL : token, token,
				   it->keys, it->vals, &it->count, NULL);
	if (ret && errno != ENOENT)
		return -errno;
	*first = false;
	return ret ? 1 : 0;
}

static const void *batch_key(const struct batch_it *it, __u32 i)
{
	return (const char *)it->keys + i * it->key_size;
}

/* A growing list of keys (the flows a walk picked for deletion). */
struct key_list {
	size_t key_size, n, cap;
	char *keys;
};

/* Append key; false if out of memory (the key is left for a later walk). */
static bool key_list_add(struct key_list *l, const void *key)
{
	char *nk;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 1024;

		nk = realloc(l->keys, cap * l->key_size);
		if (!nk)
			return false;
		l->keys = nk;
		l->cap = cap;
	}
	memcpy(l->keys + l->n++ * l->key_size, key, l->key_size);
	return true;
}

/* The end of one step of a stepped walk: n, or on error ret with the walk
 * given up (done); the next one starts over. */
static long step_end(bool *done, int ret, long n)
{
	if (!ret)
		return n;
	*done = true;
	return ret;
}

static int flows6_fd(struct dp *dp)
{
	return bpf_map__fd(dp->skel->maps.flows_v6);
}

/* ---- IPv4 flows: the VIP of a service ----------------------------------- */

/* flows4 keys a flow by client and service: the VIP (address, port,
 * protocol) of each IPv4 service, read once per walk that needs it. */
struct svc_vip4 {
	__be32 addr;
	__be16 port;
	__u8 proto; /* 0: no IPv4 TCP/UDP service of that id */
};

static void svc_vip4_one(void *arg, const struct lb_addr *vip, __u16 port,
			 __u8 proto, __u32 svc_id)
{
	struct svc_vip4 *sv = arg;

	if (vip->family != AF_INET ||
	    (proto != IPPROTO_TCP && proto != IPPROTO_UDP))
		return;
	sv[svc_id].addr = vip->w[0];
	sv[svc_id].port = htons(port);
	sv[svc_id].proto = proto;
}

/* The IPv4 services' VIPs, max_services of them (free()), or NULL. */
static struct svc_vip4 *svc_vips4(struct dp *dp)
{
	struct svc_vip4 *sv = calloc(dp->max_services + 1, sizeof(*sv));

	if (sv && dp_vip_foreach(dp, svc_vip4_one, sv)) {
		free(sv);
		return NULL;
	}
	return sv;
}

/* The flow key of way key word kw, given its service's VIP; false if the
 * service has no IPv4 VIP now. */
static bool ft_key4(const struct svc_vip4 *sv, __u32 max, __u64 kw,
		    struct flow_key_v4 *fk)
{
	__u32 svc = XLB_FT_KW_SVC(kw);

	memset(fk, 0, sizeof(*fk));
	if (!sv || svc >= max || !sv[svc].proto)
		return false;
	fk->src = XLB_FT_KW_SRC(kw);
	fk->sport = XLB_FT_KW_SPORT(kw);
	fk->dst = sv[svc].addr;
	fk->dport = sv[svc].port;
	fk->proto = sv[svc].proto;
	return true;
}

/* ---- sweeps ----------------------------------------------------------- */

struct sweep_arg {
	const struct flow_timeouts *to;
	__u64 now;
	__u64 seen;
	__u64 *live;
	__u32 max;
	struct key_list expired; /* keys to delete */
};

static void sweep_one(struct sweep_arg *sa, const void *key,
		      const struct flow_value *v)
{
	sa->seen++;
	if (sa->to && conntrack_expired(sa->to, v, sa->now)) {
		key_list_add(&sa->expired, key); /* if not: the next sweep */
		return;
	}
	if (v->backend_id < sa->max && conntrack_live(v->state))
		sa->live[v->backend_id]++;
}

/*
 * The reply mapping of nat flow (fkey, v), deleted if it is still that
 * flow's: the key is the back end's address and port (bi, or its current
 * slot if bi is NULL) with the flow's source port. Without this, a mapping
 * would wait for the orphan scan (dp_nat_scan_step), holding its port.
 */
static void nat_release(struct dp *dp, const void *fkey, size_t key_size,
			const struct flow_value *v,
			const struct backend_info *bi)
{
	int fd = bpf_map__fd(dp->skel->maps.nat_rev);
	struct backend_info cur;
	const void *src, *dst;
	__be16 sport, dport;
	struct nat_value nv;
	struct nat_key k = {};
	size_t alen;
	bool mine;

	if (!v->nat_port || !dp->int_ifindex)
		return;
	if (!bi) {
		if (dp_backend_get(dp, v->backend_id, &cur))
			return;
		bi = &cur;
	}
	if (key_size == sizeof(struct flow_key_v4)) {
		const struct flow_key_v4 *f = fkey;

		src = &f->src;
		dst = &f->dst;
		sport = f->sport;
		dport = f->dport;
		k.proto = f->proto;
		k.family = AF_INET;
		alen = 4;
	} else {
		const struct flow_key_v6 *f = fkey;

		src = f->src;
		dst = f->dst;
		sport = f->sport;
		dport = f->dport;
		k.proto = f->proto;
		k.family = AF_INET6;
		alen = 16;
	}
	memcpy(k.baddr, bi->addr, sizeof(k.baddr));
	k.bport = bi->port ? bi->port : dport;
	k.lport = v->nat_port;
	if (bpf_map_lookup_elem(fd, &k, &nv))
		return;
	mine = !memcmp(nv.caddr, src, alen) && nv.cport == sport &&
	       !memcmp(nv.vaddr, dst, alen) && nv.vport == dport;
	if (mine && !bpf_map_delete_elem(fd, &k))
		dp->nat_released++;
}

/* nat_release() of a deleted flows4 flow (kw, v); the VIPs are read at
 * the first one a walk needs (*sv). */
static void nat_release4(struct dp *dp, struct svc_vip4 **sv, __u64 kw,
			 const struct flow_value *v,
			 const struct backend_info *bi)
{
	struct flow_key_v4 fk;

	if (!v->nat_port || !dp->int_ifindex)
		return;
	if (!*sv)
		*sv = svc_vips4(dp);
	if (ft_key4(*sv, dp->max_services, kw, &fk))
		nat_release(dp, &fk, sizeof(fk), v, bi);
}

/*
 * Delete the flows a walk found expired. Between the walk and the delete
 * the data path may have used a flow again (a client reusing its port
 * sends a SYN into a closed flow's entry): the entry is taken out
 * atomically with its current value, and put back if that value is no
 * longer expired. Deleting it would re-pick the connection's next packet
 * (in nat mode: a new source port, which the back end answers with RST).
 */
long dp_flows_delete_expired(struct dp *dp, int fd, const void *keys,
			     size_t n, size_t key_size,
			     const struct flow_timeouts *to, __u64 now,
			     __u64 *revived, __u64 *lost)
{
	struct flow_value v;
	long deleted = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		const char *key = (const char *)keys + i * key_size;

		if (bpf_map_lookup_and_delete_elem(fd, key, &v))
			continue; /* gone already */
		if (conntrack_expired(to, &v, now)) {
			deleted++;
			if (dp)
				nat_release(dp, key, key_size, &v, NULL);
			continue;
		}
		/* BPF_NOEXIST: a packet in between made a new entry; keep it */
		if (!bpf_map_update_elem(fd, key, &v, BPF_NOEXIST))
			(*revived)++;
		else
			(*lost)++;
	}
	return deleted;
}

void dp_sweep_begin(struct dp_sweep *c)
{
	memset(c, 0, sizeof(*c));
	c->first = true;
}

/* One way of flows4 in a sweep. */
struct sweep4 {
	struct dp *dp;
	const struct flow_timeouts *to;
	__u64 now, seen, *live;
	long deleted;
	struct svc_vip4 *sv;
};

/* Expire flow (kw, meta) of way w if idle past its timeout: 1 if it was
 * deleted (and its nat mapping released), 0 if it stays, -1 if it was
 * expired but used again around the delete (revived or lost). */
static int flow4_expire(struct dp *dp, struct svc_vip4 **sv,
			struct xlb_ft_way *w, __u64 kw, __u64 meta,
			const struct flow_timeouts *to, __u64 now)
{
	struct flow_value v;

	xlb_ft_value(meta, now, &v);
	if (!conntrack_expired(to, &v, now))
		return 0;
	switch (xlb_ft_delete(w, kw, meta)) {
	case XLB_FT_DEL_DONE:
		nat_release4(dp, sv, kw, &v, NULL);
		return 1;
	case XLB_FT_DEL_REVIVED:
		dp->sweep_revived++;
		return -1;
	case XLB_FT_DEL_LOST:
		dp->sweep_lost++;
		return -1;
	default:
		return -1;
	}
}

int dp_flow4_expire(struct dp *dp, struct xlb_ft_way *w, __u64 kw,
		    __u64 meta, const struct flow_timeouts *to, __u64 now)
{
	struct svc_vip4 *sv = NULL;
	int ret = flow4_expire(dp, &sv, w, kw, meta, to, now);

	free(sv);
	return ret;
}

static void sweep4_one(void *arg, struct xlb_ft_way *w, __u64 kw,
		       __u64 meta, const __be32 *addr)
{
	struct sweep4 *sa = arg;
	__u32 id = XLB_FT_META_BACKEND(meta);
	int ret = 0;

	sa->seen++;
	if (sa->to)
		ret = flow4_expire(sa->dp, &sa->sv, w, kw, meta, sa->to,
				   sa->now);
	if (ret > 0)
		sa->deleted++;
	if (!ret && id < sa->dp->max_backends &&
	    conntrack_live(XLB_FT_META_STATE(meta)))
		sa->live[id]++;
}

/* A step of the sweep over flows4: max_batches x 1024 buckets (4096
 * ways, as a batch of flows_v6). */
static long sweep4_step(struct dp *dp, struct dp_sweep *c,
			const struct flow_timeouts *to, __u64 now,
			__u64 *live, int max_batches)
{
	struct sweep4 sa = { .dp = dp, .to = to, .now = now, .live = live };
	__u64 n = (__u64)max_batches * (BATCH / XLB_FT_WAYS);

	c->pos = xlb_ft_walk(&dp->ft4, c->pos,
			     n > dp->ft4.nbuckets ? dp->ft4.nbuckets : n,
			     sweep4_one, &sa);
	if (c->pos >= dp->ft4.nbuckets) {
		c->map = 1;
		c->first = true;
		c->token = 0;
	}
	free(sa.sv);
	c->seen += sa.seen;
	return sa.deleted;
}

long dp_flows_sweep_step(struct dp *dp, struct dp_sweep *c,
			 const struct flow_timeouts *to, __u64 now,
			 __u64 *live, int max_batches)
{
	struct sweep_arg sa = { .to = to, .now = now, .live = live,
				.max = dp->max_backends };
	size_t key_size = sizeof(struct flow_key_v6);
	int fd = flows6_fd(dp);
	struct batch_it it;
	long deleted;
	int ret, b;
	__u32 i;

	if (c->done)
		return 0;
	if (c->map == 0)
		return sweep4_step(dp, c, to, now, live, max_batches);
	sa.expired.key_size = key_size;
	ret = batch_init(&it, fd, key_size, sizeof(struct flow_value));
	for (b = 0; !ret && b < max_batches; b++) {
		ret = batch_next(&it, &c->first, &c->token);
		if (ret < 0)
			break;
		for (i = 0; i < it.count; i++)
			sweep_one(&sa, batch_key(&it, i),
				  (struct flow_value *)it.vals + i);
		if (ret) { /* this map is done */
			ret = 0;
			c->done = true;
			break;
		}
	}
	deleted = dp_flows_delete_expired(dp, fd, sa.expired.keys,
					  sa.expired.n, key_size, to, now,
					  &dp->sweep_revived, &dp->sweep_lost);
	c->seen += sa.seen;
	c->seen6 += sa.seen;
	free(sa.expired.keys);
	batch_fini(&it);
	return step_end(&c->done, ret, deleted);
}

long dp_flows_sweep(struct dp *dp, const struct flow_timeouts *to, __u64 now,
		    __u64 *live)
{
	struct dp_sweep c;
	long n = 0, r;

	memset(live, 0, sizeof(*live) * dp->max_backends);
	dp_sweep_begin(&c);
	while (!c.done) {
		r = dp_flows_sweep_step(dp, &c, to, now, live, INT_MAX);
		if (r < 0) {
			n = r;
			break;
		}
		n += r;
	}
	dp->sweep_seen = c.seen;
	dp->sweep_seen6 = c.seen6;
	return n;
}

/* ---- purge ------------------------------------------------------------ */

/* The back ends one purge deletes: pos[id] is 1 + its index in ids (0:
 * not purged), so one walk serves any number of them. */
struct purge_set {
	const __u32 *ids;
	const struct backend_info *bis; /* NULL: read each slot */
	__u32 *pos;
	__u32 max;
};

/* One way of flows4 in a purge. */
struct purge4 {
	struct dp *dp;
	const struct purge_set *ps;
	long deleted;
	struct svc_vip4 *sv;
};

static void purge4_one(void *arg, struct xlb_ft_way *w, __u64 kw,
		       __u64 meta, const __be32 *addr)
{
	struct purge4 *pa = arg;
	const struct purge_set *ps = pa->ps;
	const struct backend_info *bi;
	struct flow_value v;
	__u32 id, p;
	int tries;

	for (tries = 0; tries < 4; tries++) {
		id = XLB_FT_META_BACKEND(meta);
		p = id < ps->max ? ps->pos[id] : 0;
		if (!p)
			return;
		switch (xlb_ft_delete(w, kw, meta)) {
		case XLB_FT_DEL_DONE:
			break;
		case XLB_FT_DEL_REVIVED: /* touched meanwhile: still its */
			if (xlb_ft_read(w, &kw, &meta))
				continue;
			return;
		default: /* another flow took the way */
			return;
		}
		pa->deleted++;
		xlb_ft_value(meta, 0, &v);
		bi = ps->bis ? &ps->bis[p - 1] : NULL;
		nat_release4(pa->dp, &pa->sv, kw, &v, bi);
		return;
	}
}

static long purge4(struct dp *dp, const struct purge_set *ps)
{
	struct purge4 pa = { .dp = dp, .ps = ps };

	xlb_ft_walk(&dp->ft4, 0, dp->ft4.nbuckets, purge4_one, &pa);
	free(pa.sv);
	return pa.deleted;
}

/* Delete the flows of flows_v6 pinned to a back end of the set, and
 * their nat mappings. */
static long purge6(struct dp *dp, const struct purge_set *ps)
{
	struct key_list pick = { .key_size = sizeof(struct flow_key_v6) };
	int fd = flows6_fd(dp), ret;
	const struct flow_value *vals;
	const struct backend_info *bi;
	struct flow_value v;
	struct batch_it it;
	bool first = true;
	__u64 token = 0;
	long deleted = 0;
	size_t i;
	__u32 p;

	ret = batch_init(&it, fd, pick.key_size, sizeof(*vals));
	while (!ret) {
		ret = batch_next(&it, &first, &token);
		if (ret < 0)
			break;
		vals = it.vals;
		for (i = 0; i < it.count; i++)
			if (vals[i].backend_id < ps->max &&
			    ps->pos[vals[i].backend_id])
				key_list_add(&pick, batch_key(&it, i));
	}
	batch_fini(&it);
	for (i = 0; i < pick.n; i++) {
		const char *key = pick.keys + i * pick.key_size;

		if (bpf_map_lookup_and_delete_elem(fd, key, &v))
			continue;
		deleted++;
		p = v.backend_id < ps->max ? ps->pos[v.backend_id] : 0;
		bi = ps->bis && p ? &ps->bis[p - 1] : NULL;
		nat_release(dp, key, pick.key_size, &v, bi);
	}
	free(pick.keys);
	return ret < 0 ? ret : deleted;
}

long dp_flows_purge_backends(struct dp *dp, const __u32 *ids,
			     const struct backend_info *bis, size_t n)
{
	struct purge_set ps = { .ids = ids, .bis = bis,
				.max = dp->max_backends };
	long a, b;
	size_t i;

	if (!n)
		return 0;
	ps.pos = calloc(ps.max, sizeof(*ps.pos));
	if (!ps.pos)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		if (ids[i] < ps.max)
			ps.pos[ids[i]] = i + 1;
	a = purge4(dp, &ps);
	b = purge6(dp, &ps);
	free(ps.pos);
	if (a < 0)
		return a;
	if (b < 0)
		return b;
	return a + b;
}

long dp_flows_purge_backend(struct dp *dp, __u32 id,
			    const struct backend_info *bi)
{
	return dp_flows_purge_backends(dp, &id, bi, 1);
}

/* ---- nat mappings ----------------------------------------------------- */

static int nat_batch_init(struct dp *dp, struct batch_it *it)
{
	return batch_init(it, bpf_map__fd(dp->skel->maps.nat_rev),
			  sizeof(struct nat_key), sizeof(struct nat_value));
}

long dp_nat_count(struct dp *dp)
{
	struct batch_it it;
	bool first = true;
	__u64 token = 0;
	long n = 0;
	int ret;

	ret = nat_batch_init(dp, &it);
	while (!ret) {
		ret = batch_next(&it, &first, &token);
		if (ret >= 0)
			n += it.count;
	}
	batch_fini(&it);
	return ret < 0 ? ret : n;
}

/* The service of IPv4 VIP addr:port/proto in sv, or -1. */
static int svc_of4(const struct svc_vip4 *sv, __u32 max, __be32 addr,
		   __be16 port, __u8 proto)
{
	__u32 i;

	for (i = 0; sv && i < max; i++)
		if (sv[i].proto == proto && sv[i].addr == addr &&
		    sv[i].port == port)
			return i;
	return -1;
}

/* Does the forward flow of mapping (k, v) still exist and own it? */
static bool nat_owned(struct dp *dp, const struct svc_vip4 *sv,
		      const struct nat_key *k, const struct nat_value *v)
{
	struct flow_value fv;
	__u64 meta;
	int ret, svc;

	if (k->family == AF_INET) {
		svc = svc_of4(sv, dp->max_services, v->vaddr[0], v->vport,
			      k->proto);
		if (svc < 0 ||
		    !xlb_ft_find(&dp->ft4,
				 xlb_ft_hash4(v->caddr[0], v->vaddr[0],
					      v->cport, v->vport, k->proto),
				 xlb_ft_kw(v->caddr[0], v->cport, svc), &meta))
			return false;
		return XLB_FT_META_NATPORT(meta) == k->lport;
	} else {
		struct flow_key_v6 f = { .sport = v->cport, .dport = v->vport,
					 .proto = k->proto };

		memcpy(f.src, v->caddr, 16);
		memcpy(f.dst, v->vaddr, 16);
		ret = bpf_map_lookup_elem(flows6_fd(dp), &f, &fv);
	}
	return !ret && fv.nat_port == k->lport;
}

void dp_nat_scan_begin(struct dp_nat_scan *c)
{
	memset(c, 0, sizeof(*c));
	c->first = true;
}

long dp_nat_scan_step(struct dp *dp, struct dp_nat_scan *c, int max_batches)
{
	struct svc_vip4 *sv;
	const struct nat_value *vals;
	const struct nat_key *keys;
	struct batch_it it;
	long n = 0;
	int ret, b;
	__u32 i;

	if (c->done)
		return 0;
	sv = svc_vips4(dp);
	if (!sv)
		return -ENOMEM;
	ret = nat_batch_init(dp, &it);
	for (b = 0; !ret && b < max_batches && !c->done; b++) {
		ret = batch_next(&it, &c->first, &c->token);
		if (ret < 0)
			break;
		if (ret) { /* the last batch */
			ret = 0;
			c->done = true;
		}
		keys = it.keys;
		vals = it.vals;
		c->kept += it.count;
		for (i = 0; i < it.count; i++)
			if (!nat_owned(dp, sv, &keys[i], &vals[i]) &&
			    !bpf_map_delete_elem(it.fd, &keys[i])) {
				n++;
				c->kept--;
			}
	}
	batch_fini(&it);
	free(sv);
	return step_end(&c->done, ret, n);
}

long dp_nat_sweep(struct dp *dp)
{
	struct dp_nat_scan c;
	long n = 0, r;

	dp_nat_scan_begin(&c);
	while (!c.done) {
		r = dp_nat_scan_step(dp, &c, 64);
		if (r < 0)
			return r;
		n += r;
	}
	return n;
}
