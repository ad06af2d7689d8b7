// SPDX-License-Identifier: GPL-2.0-only
/*
 * The flow-table walks: the idle sweep (whole, or in steps from the event
 * loop), the purge of a back end's flows, and the nat mapping lifecycle
 * (release with the flow, the orphan scan). Every walk goes through one
 * batch iterator; a whole walk is its steps until done.
 */
#include "dataplane.h"

#include <errno.h>
#include <limits.h>
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

static int flows_fd(struct dp *dp, int map)
{
	return bpf_map__fd(map ? dp->skel->maps.flows_v6 :
				 dp->skel->maps.flows_v4);
}

static size_t flows_key_size(int map)
{
	return map ? sizeof(struct flow_key_v6) : sizeof(struct flow_key_v4);
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

long dp_flows_sweep_step(struct dp *dp, struct dp_sweep *c,
			 const struct flow_timeouts *to, __u64 now,
			 __u64 *live, int max_batches)
{
	struct sweep_arg sa = { .to = to, .now = now, .live = live,
				.max = dp->max_backends };
	size_t key_size = flows_key_size(c->map);
	int fd = flows_fd(dp, c->map), map = c->map;
	struct batch_it it;
	long deleted;
	int ret, b;
	__u32 i;

	if (c->done)
		return 0;
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
			c->first = true;
			c->token = 0;
			if (++c->map == 2)
				c->done = true;
			break;
		}
	}
	deleted = dp_flows_delete_expired(dp, fd, sa.expired.keys,
					  sa.expired.n, key_size, to, now,
					  &dp->sweep_revived, &dp->sweep_lost);
	c->seen += sa.seen;
	if (map == 1)
		c->seen6 += sa.seen; /* a step ends with its map */
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

/* Delete the flows of one table pinned to a back end of the set, and
 * their nat mappings. */
static long purge_map(struct dp *dp, int map, const struct purge_set *ps)
{
	struct key_list pick = { .key_size = flows_key_size(map) };
	int fd = flows_fd(dp, map), ret;
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
	a = purge_map(dp, 0, &ps);
	b = a < 0 ? 0 : purge_map(dp, 1, &ps);
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

/* Does the forward flow of mapping (k, v) still exist and own it? */
static bool nat_owned(struct dp *dp, const struct nat_key *k,
		      const struct nat_value *v)
{
	struct flow_value fv;
	int ret;

	if (k->family == AF_INET) {
		struct flow_key_v4 f = { .src = v->caddr[0], .dst = v->vaddr[0],
					 .sport = v->cport, .dport = v->vport,
					 .proto = k->proto };

		ret = bpf_map_lookup_elem(bpf_map__fd(dp->skel->maps.flows_v4),
					  &f, &fv);
	} else {
		struct flow_key_v6 f = { .sport = v->cport, .dport = v->vport,
					 .proto = k->proto };

		memcpy(f.src, v->caddr, 16);
		memcpy(f.dst, v->vaddr, 16);
		ret = bpf_map_lookup_elem(bpf_map__fd(dp->skel->maps.flows_v6),
					  &f, &fv);
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
	const struct nat_value *vals;
	const struct nat_key *keys;
	struct batch_it it;
	long n = 0;
	int ret, b;
	__u32 i;

	if (c->done)
		return 0;
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
			if (!nat_owned(dp, &keys[i], &vals[i]) &&
			    !bpf_map_delete_elem(it.fd, &keys[i])) {
				n++;
				c->kept--;
			}
	}
	batch_fini(&it);
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
