// SPDX-License-Identifier: GPL-2.0-only
/*
 * Weighted Maglev (Eisenbud et al., "Maglev: A Fast and Reliable Software
 * Network Load Balancer", NSDI 2016), with weights turned into slot quotas.
 *
 * 1. Back ends are sorted by address (lb_addr_cmp), so that nothing below
 *    depends on the order of the input array; ids only label the result.
 * 2. Quotas: each back end with weight > 0 gets floor(size * w / sum) slots;
 *    the slots left over go one each to the largest remainders (ties: lower
 *    address first). A back end left with 0 slots gets 1, taken from the
 *    largest quota (ties: lower address first).
 * 3. Population: back end i prefers the slots
 *        (offset_i + j * skip_i) % size,  j = 0, 1, 2, ...
 *    with offset = h1(addr) % size and skip = h2(addr) % (size - 1) + 1;
 *    as size is prime this is a permutation of all slots. In rounds, each
 *    back end below its quota (in address order) claims its next preferred
 *    free slot. A cursor per back end remembers where its permutation is,
 *    so the whole fill costs about size * log(size) probes.
 *
 * h1 and h2 are 64-bit FNV-1a over the family and the 16 address bytes,
 * with two different seeds, each finished by murmur3's fmix64. They are part
 * of the data-plane contract (two nodes with the same configuration must
 * build the same table): never change them.
 */
#include "maglev.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "xdp_lb.h"

#define MAGLEV_SEED_OFFSET 0x6d61676c65763031ULL /* "maglev01" */
#define MAGLEV_SEED_SKIP 0x6d61676c65763032ULL /* "maglev02" */

#define FNV64_OFFSET 0xcbf29ce484222325ULL
#define FNV64_PRIME 0x100000001b3ULL

struct mg_node {
	const struct maglev_backend *b;
	__u64 rem; /* size * weight % total weight */
	__u32 quota; /* slots to fill */
	__u32 filled;
	__u32 pos; /* next preferred slot */
	__u32 skip;
};

static __u64 fmix64(__u64 k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ULL;
	k ^= k >> 33;
	return k;
}

/* Stable across runs, machines and libc: only the family tag and bytes. */
static __u64 addr_hash(const struct lb_addr *a, __u64 seed)
{
	__u64 h = FNV64_OFFSET ^ seed;
	size_t i;

	h ^= a->family == AF_INET6 ? 6 : 4;
	h *= FNV64_PRIME;
	for (i = 0; i < sizeof(a->b); i++) {
		h ^= a->b[i];
		h *= FNV64_PRIME;
	}
	return fmix64(h ^ seed);
}

static int is_prime(__u32 x)
{
	__u32 d;

	if (x < 2)
		return 0;
	if (x % 2 == 0)
		return x == 2;
	for (d = 3; (__u64)d * d <= x; d += 2)
		if (x % d == 0)
			return 0;
	return 1;
}

static int cmp_addr(const void *pa, const void *pb)
{
	const struct mg_node *a = pa, *b = pb;

	return lb_addr_cmp(&a->b->addr, &b->b->addr);
}

/*
 * Larger remainder first. Pointers point into one array in address order,
 * so comparing them breaks ties by address.
 */
static int cmp_rem(const void *pa, const void *pb)
{
	const struct mg_node *a = *(struct mg_node *const *)pa;
	const struct mg_node *b = *(struct mg_node *const *)pb;

	if (a->rem != b->rem)
		return a->rem > b->rem ? -1 : 1;
	return a < b ? -1 : a > b;
}

/* Heap order: larger quota first, then lower address. */
static int donor_before(const struct mg_node *a, const struct mg_node *b)
{
	if (a->quota != b->quota)
		return a->quota > b->quota;
	return a < b;
}

static void heap_down(struct mg_node **heap, size_t len, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, top = i;
		struct mg_node *tmp;

		if (l < len && donor_before(heap[l], heap[top]))
			top = l;
		if (r < len && donor_before(heap[r], heap[top]))
			top = r;
		if (top == i)
			return;
		tmp = heap[i];
		heap[i] = heap[top];
		heap[top] = tmp;
		i = top;
	}
}

/*
 * Quotas summing to size; nodes[0..n) have weight > 0, in address order.
 * ord is scratch for n pointers.
 */
static void set_quotas(struct mg_node *nodes, size_t n, __u32 size,
		       struct mg_node **ord)
{
	__u64 total = 0, given = 0;
	size_t i, need = 0;

	for (i = 0; i < n; i++)
		total += nodes[i].b->weight;
	for (i = 0; i < n; i++) {
		__u64 prod = (__u64)size * nodes[i].b->weight;

		nodes[i].quota = (__u32)(prod / total);
		nodes[i].rem = prod % total;
		given += nodes[i].quota;
	}

	/* Largest remainder: size - given < n slots are left over. */
	for (i = 0; i < n; i++)
		ord[i] = &nodes[i];
	qsort(ord, n, sizeof(*ord), cmp_rem);
	for (i = 0; i < size - given; i++)
		ord[i]->quota++;

	/* Every back end gets a slot; as size > n a donor always has >= 2. */
	for (i = 0; i < n; i++) {
		if (!nodes[i].quota) {
			nodes[i].quota = 1;
			need++;
		}
	}
	if (!need)
		return;
	for (i = 0; i < n; i++)
		ord[i] = &nodes[i];
	for (i = n / 2; i-- > 0;)
		heap_down(ord, n, i);
	while (need--) {
		ord[0]->quota--;
		heap_down(ord, n, 0);
	}
}

static void populate(struct mg_node *nodes, size_t n, __u32 *table, __u32 size,
		     __u8 *taken)
{
	size_t i, live = n;
	__u32 free_slots = size;

	for (i = 0; i < n; i++) {
		const struct lb_addr *a = &nodes[i].b->addr;

		__u64 h1 = addr_hash(a, MAGLEV_SEED_OFFSET);
		__u64 h2 = addr_hash(a, MAGLEV_SEED_SKIP);

		nodes[i].pos = (__u32)(h1 % size);
		nodes[i].skip = (__u32)(h2 % (size - 1)) + 1;
		nodes[i].filled = 0;
	}

	/*
	 * nodes[0..live) are below quota, still in address order. Quotas sum
	 * to size, so the table fills exactly; free_slots only guards the
	 * probe loop against ever spinning on a full table.
	 */
	while (live && free_slots) {
		size_t keep = 0;

		for (i = 0; i < live && free_slots; i++) {
			struct mg_node *m = &nodes[i];

			while (taken[m->pos]) {
				m->pos += m->skip;
				if (m->pos >= size)
					m->pos -= size;
			}
			taken[m->pos] = 1;
			free_slots--;
			table[m->pos] = m->b->id;
			if (++m->filled < m->quota)
				nodes[keep++] = *m;
		}
		live = keep;
	}
}

int maglev_build(const struct maglev_backend *backends, size_t n, __u32 *table,
		 __u32 size)
{
	struct mg_node *nodes = NULL;
	struct mg_node **ord = NULL;
	__u8 *taken = NULL;
	size_t i, active = 0;
	int err = 0;

	if (!table || !is_prime(size) || n >= size || (n && !backends))
		return -EINVAL;
	for (i = 0; i < n; i++) {
		int f = backends[i].addr.family;

		if (f != AF_INET && f != AF_INET6)
			return -EINVAL;
	}

	/* All scratch up front: on -ENOMEM the table is left untouched. */
	nodes = calloc(n ? n : 1, sizeof(*nodes));
	ord = calloc(n ? n : 1, sizeof(*ord));
	taken = calloc(size, 1);
	if (!nodes || !ord || !taken) {
		err = -ENOMEM;
		goto out;
	}

	for (i = 0; i < n; i++)
		nodes[i].b = &backends[i];
	qsort(nodes, n, sizeof(*nodes), cmp_addr);
	for (i = 1; i < n; i++) {
		if (lb_addr_eq(&nodes[i - 1].b->addr, &nodes[i].b->addr)) {
			err = -EINVAL;
			goto out;
		}
	}

	/* Keep only back ends with weight > 0, still in address order. */
	for (i = 0; i < n; i++)
		if (nodes[i].b->weight)
			nodes[active++] = nodes[i];

	if (!active) {
		for (i = 0; i < size; i++)
			table[i] = XLB_NO_BACKEND;
		goto out;
	}

	set_quotas(nodes, active, size, ord);
	populate(nodes, active, table, size, taken);
out:
	free(taken);
	free(ord);
	free(nodes);
	return err;
}
