// SPDX-License-Identifier: GPL-2.0-only
/*
 * The flow-table walks: the idle sweep (whole, or in steps from the event
 * loop), the purge of a back end's flows, and the nat mapping lifecycle
 * (release with the flow, the orphan scan). The flow tables (flows4,
 * flows6) are walked through their mmap'd arrays (flowtab.h: no syscall
 * per flow, a delete that loses to a concurrent replace); nat_rev through
 * a batch iterator. A whole walk is its steps until done.
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

/* The end of one step of a stepped walk: n, or on error ret with the walk
 * given up (done); the next one starts over. */
static long step_end(bool *done, int ret, long n)
{
	if (!ret)
		return n;
	*done = true;
	return ret;
}

/* ---- flows: the VIP of a service ------------------------------------ */

/* The flow tables key a flow by client and service: the VIP (address,
 * port, protocol) of each service, read once per walk that needs it. */
struct svc_vip {
	__be32 addr[4];
	__be16 port;
	__u8 proto; /* 0: no TCP/UDP service of that id */
	__u8 v6;
};

static void svc_vip_one(void *arg, const struct lb_addr *vip, __u16 port,
			__u8 proto, __u32 svc_id)
{
	struct svc_vip *sv = arg;

	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return;
	memcpy(sv[svc_id].addr, vip->w, vip->family == AF_INET6 ? 16 : 4);
	sv[svc_id].port = htons(port);
	sv[svc_id].proto = proto;
	sv[svc_id].v6 = vip->family == AF_INET6;
}

/* The services' VIPs, max_services of them (free()), or NULL. */
static struct svc_vip *svc_vips(struct dp *dp)
{
	struct svc_vip *sv = calloc(dp->max_services + 1, sizeof(*sv));

	if (sv && dp_vip_foreach(dp, svc_vip_one, sv)) {
		free(sv);
		return NULL;
	}
	return sv;
}

/* A flow's key, either family. */
union flow_key {
	struct flow_key_v4 v4;
	struct flow_key_v6 v6;
};

/* The flow key (and its size) of way key word kw with client address
 * addr (flows6; flows4: NULL), given its service's VIP; 0 if the service
 * has no VIP of the table's family now. */
static size_t ft_key(const struct svc_vip *sv, __u32 max, __u64 kw,
		     const __be32 *addr, union flow_key *fk)
{
	__u32 svc = XLB_FT_KW_SVC(kw);

	memset(fk, 0, sizeof(*fk));
	if (!sv || svc >= max || !sv[svc].proto || sv[svc].v6 != !!addr)
		return 0;
	if (addr) {
		memcpy(fk->v6.src, addr, 16);
		memcpy(fk->v6.dst, sv[svc].addr, 16);
		fk->v6.sport = XLB_FT_KW_SPORT(kw);
		fk->v6.dport = sv[svc].port;
		fk->v6.proto = sv[svc].proto;
		return sizeof(fk->v6);
	}
	fk->v4.src = XLB_FT_KW_SRC(kw);
	fk->v4.sport = XLB_FT_KW_SPORT(kw);
	fk->v4.dst = sv[svc].addr[0];
	fk->v4.dport = sv[svc].port;
	fk->v4.proto = sv[svc].proto;
	return sizeof(fk->v4);
}

/* ---- sweeps ----------------------------------------------------------- */

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

/* nat_release() of a deleted flow (kw, addr, v) of a flow table; the
 * VIPs are read at the first one a walk needs (*sv). */
static void nat_release_ft(struct dp *dp, struct svc_vip **sv, __u64 kw,
			   const __be32 *addr, const struct flow_value *v,
			   const struct backend_info *bi)
{
	union flow_key fk;
	size_t n;

	if (!v->nat_port || !dp->int_ifindex)
		return;
	if (!*sv)
		*sv = svc_vips(dp);
	n = ft_key(*sv, dp->max_services, kw, addr, &fk);
	if (n)
		nat_release(dp, &fk, n, v, bi);
}

void dp_sweep_begin(struct dp_sweep *c)
{
	memset(c, 0, sizeof(*c));
	c->first = true;
}

/* One way of a flow table in a sweep. */
struct sweep_ft {
	struct dp *dp;
	const struct xlb_ft *ft;
	const struct flow_timeouts *to;
	__u64 now, seen, *live;
	long deleted;
	struct svc_vip *sv;
};

/* Expire flow (kw, meta, addr) of way w of ft if idle past its timeout:
 * 1 if it was deleted (and its nat mapping released), 0 if it stays, -1
 * if it was expired but used again around the delete (revived or lost). */
static int flow_expire(struct dp *dp, const struct xlb_ft *ft,
		       struct svc_vip **sv, struct xlb_ft_way *w, __u64 kw,
		       __u64 meta, const __be32 *addr,
		       const struct flow_timeouts *to, __u64 now)
{
	struct flow_value v;

	xlb_ft_value(meta, now, &v);
	if (!conntrack_expired(to, &v, now))
		return 0;
	switch (xlb_ft_del(ft, w, kw, meta)) {
	case XLB_FT_DEL_DONE:
		nat_release_ft(dp, sv, kw, addr, &v, NULL);
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

int dp_flow_expire(struct dp *dp, const struct xlb_ft *ft,
		   struct xlb_ft_way *w, __u64 kw, __u64 meta,
		   const struct flow_timeouts *to, __u64 now)
{
	struct svc_vip *sv = NULL;
	__be32 addr[4];
	__u64 k, m;
	int ret;

	if (ft->keys && (!xlb_ft_read_addr(ft, w, &k, &m, addr) || k != kw))
		return -1;
	ret = flow_expire(dp, ft, &sv, w, kw, meta, ft->keys ? addr : NULL,
			  to, now);
	free(sv);
	return ret;
}

static void sweep_one(void *arg, struct xlb_ft_way *w, __u64 kw, __u64 meta,
		      const __be32 *addr)
{
	struct sweep_ft *sa = arg;
	__u32 id = XLB_FT_META_BACKEND(meta);
	int ret = 0;

	sa->seen++;
	if (sa->to)
		ret = flow_expire(sa->dp, sa->ft, &sa->sv, w, kw, meta, addr,
				  sa->to, sa->now);
	if (ret > 0)
		sa->deleted++;
	if (!ret && id < sa->dp->max_backends &&
	    conntrack_live(XLB_FT_META_STATE(meta)))
		sa->live[id]++;
}

/* A step of the sweep: max_batches x 1024 buckets (4096 ways) of flows4,
 * then of flows6. */
long dp_flows_sweep_step(struct dp *dp, struct dp_sweep *c,
			 const struct flow_timeouts *to, __u64 now,
			 __u64 *live, int max_batches)
{
	const struct xlb_ft *ft = c->map ? &dp->ft6 : &dp->ft4;
	struct sweep_ft sa = { .dp = dp, .ft = ft, .to = to, .now = now,
			       .live = live };
	__u64 n = (__u64)max_batches * (BATCH / XLB_FT_WAYS);

	if (c->done)
		return 0;
	c->pos = xlb_ft_walk(ft, c->pos,
			     n > ft->nbuckets ? ft->nbuckets : n, sweep_one,
			     &sa);
	if (c->pos >= ft->nbuckets) {
		c->done = c->map == 1;
		c->map = 1;
		c->pos = 0;
	}
	free(sa.sv);
	c->seen += sa.seen;
	if (ft == &dp->ft6)
		c->seen6 += sa.seen;
	return sa.deleted;
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

/* One way of a flow table in a purge. */
struct purge_ft {
	struct dp *dp;
	const struct xlb_ft *ft;
	const struct purge_set *ps;
	long deleted;
	struct svc_vip *sv;
};

static void purge_one(void *arg, struct xlb_ft_way *w, __u64 kw, __u64 meta,
		      const __be32 *addr)
{
	struct purge_ft *pa = arg;
	const struct purge_set *ps = pa->ps;
	const struct backend_info *bi;
	struct flow_value v;
	__be32 a[4];
	__u32 id, p;
	int tries;

	for (tries = 0; tries < 4; tries++) {
		id = XLB_FT_META_BACKEND(meta);
		p = id < ps->max ? ps->pos[id] : 0;
		if (!p)
			return;
		switch (xlb_ft_del(pa->ft, w, kw, meta)) {
		case XLB_FT_DEL_DONE:
			break;
		case XLB_FT_DEL_REVIVED: /* touched meanwhile: still its */
			if (xlb_ft_read_addr(pa->ft, w, &kw, &meta, a))
				continue;
			return;
		default: /* another flow took the way */
			return;
		}
		pa->deleted++;
		xlb_ft_value(meta, 0, &v);
		bi = ps->bis ? &ps->bis[p - 1] : NULL;
		nat_release_ft(pa->dp, &pa->sv, kw, addr, &v, bi);
		return;
	}
}

static long purge_ft(struct dp *dp, const struct xlb_ft *ft,
		     const struct purge_set *ps)
{
	struct purge_ft pa = { .dp = dp, .ft = ft, .ps = ps };

	xlb_ft_walk(ft, 0, ft->nbuckets, purge_one, &pa);
	free(pa.sv);
	return pa.deleted;
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
	a = purge_ft(dp, &dp->ft4, &ps);
	b = purge_ft(dp, &dp->ft6, &ps);
	free(ps.pos);
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

/* The service of VIP addr:port/proto (alen bytes of address) in sv, or
 * -1. */
static int svc_of(const struct svc_vip *sv, __u32 max, const __be32 *addr,
		  size_t alen, __be16 port, __u8 proto)
{
	__u32 i;

	for (i = 0; sv && i < max; i++)
		if (sv[i].proto == proto && sv[i].v6 == (alen == 16) &&
		    !memcmp(sv[i].addr, addr, alen) && sv[i].port == port)
			return i;
	return -1;
}

/* Does the forward flow of mapping (k, v) still exist and own it? */
static bool nat_owned(struct dp *dp, const struct svc_vip *sv,
		      const struct nat_key *k, const struct nat_value *v)
{
	bool v6 = k->family == AF_INET6;
	struct xlb_ft_way *w;
	__u64 meta, h;
	int svc;

	svc = svc_of(sv, dp->max_services, v->vaddr, v6 ? 16 : 4, v->vport,
		     k->proto);
	if (svc < 0)
		return false;
	if (v6) {
		h = xlb_ft_hash6(v->caddr, v->vaddr, v->cport, v->vport,
				 k->proto);
		w = xlb_ft6_find(&dp->ft6, h, xlb_ft6_kw(h, v->cport, svc),
				 v->caddr, &meta);
	} else {
		h = xlb_ft_hash4(v->caddr[0], v->vaddr[0], v->cport, v->vport,
				 k->proto);
		w = xlb_ft_find(&dp->ft4, h,
				xlb_ft_kw(v->caddr[0], v->cport, svc), &meta);
	}
	return w && XLB_FT_META_NATPORT(meta) == k->lport;
}

void dp_nat_scan_begin(struct dp_nat_scan *c)
{
	memset(c, 0, sizeof(*c));
	c->first = true;
}

long dp_nat_scan_step(struct dp *dp, struct dp_nat_scan *c, int max_batches)
{
	struct svc_vip *sv;
	const struct nat_value *vals;
	const struct nat_key *keys;
	struct batch_it it;
	long n = 0;
	int ret, b;
	__u32 i;

	if (c->done)
		return 0;
	sv = svc_vips(dp);
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
