// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Benchmark only (bench/memplace.c): where a BPF array map's memory lies
 * and what a hit spread over a large table costs in TLB misses. `slots`
 * is an array of 64-byte lines (one flow-table bucket each), made plain
 * or BPF_F_MMAPABLE and sized by the loader; each line holds the index of
 * the next one on a random cycle. A run follows `steps` links from `cur`
 * (each load depends on the one before: the latency of a miss, not the
 * bandwidth), so ns per run / steps is the cost of one random line.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#define STEPS 16

struct line {
	__u32 next;
	__u32 pad[15];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct line);
} slots SEC(".maps");

__u32 cur;

SEC("tc")
int memplace(struct __sk_buff *skb)
{
	__u32 i, k = cur;

	for (i = 0; i < STEPS; i++) {
		struct line *l = bpf_map_lookup_elem(&slots, &k);

		if (!l)
			return 0;
		k = l->next;
	}
	cur = k;
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
