// SPDX-License-Identifier: GPL-2.0-only
/*
 * Benchmark only: how evenly the flow hash spreads flows, the data path's
 * xlb_hash (include/xlb_hash.h) next to the jhash2 it replaced, on the
 * same keys: table slots (65,537, the default table_size) and back ends
 * (a weighted Maglev table of 100 equal back ends, ctl/maglev.c). Key
 * sets: IPv4 flows with sequential client ports (one client, then 256
 * clients), random IPv4 flows, IPv6 flows, and client addresses alone
 * (src-ip persistence: 2^16 sequential /32 clients, 2^16 sequential /24
 * prefixes). Prints, per set and hash, the
 * chi-square per degree of freedom over the slots (1.0 is what a random
 * function gives) and the largest and smallest back end over the mean.
 *   hashdist [FLOWS]   (default 2^20)
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "maglev.h"
#include "xdp_lb.h"
#include "xlb_hash.h"
#include "jhash.h"

#define SIZE XLB_DEFAULT_TABLE_SIZE
#define NBE 100

enum set { SEQ1, SEQ256, RAND4, RAND6, CLIENT32, CLIENT24, NSETS };
static const char *const set_names[] = {
	"v4, 1 client, sequential ports", "v4, 256 clients, seq. ports",
	"v4, random 5-tuples", "v6, random 5-tuples",
	"src-ip /32, sequential clients", "src-ip /24, sequential prefixes",
};

static __u64 rng = 0x2545f4914f6cdd1dull;

static __u32 rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (__u32)(rng >> 16);
}

/* Key k of set s in w (words), its length in words. */
static __u32 key_of(enum set s, __u32 k, __u32 *w)
{
	struct flow_key_v4 f4 = { .dst = htonl(0xc612000a), .proto = 6 };
	struct flow_key_v6 f6 = { .proto = 6 };

	switch (s) {
	case SEQ1:
	case SEQ256:
		f4.src = htonl(0xc6130000u + (s == SEQ1 ? 0 : k % 256));
		f4.sport = htons(1024 + (s == SEQ1 ? k : k / 256) % 64512);
		f4.dport = htons(80);
		if (s == SEQ1)
			f4.dst = htonl(0xc6120000u + k / 64512);
		memcpy(w, &f4, sizeof(f4));
		return 4;
	case RAND4:
		f4.src = rnd();
		f4.sport = (__u16)rnd();
		f4.dport = htons(80);
		memcpy(w, &f4, sizeof(f4));
		return 4;
	case RAND6:
		f6.src[0] = htonl(0xfd000013);
		f6.src[2] = rnd();
		f6.src[3] = rnd();
		f6.dst[0] = htonl(0xfd000012);
		f6.dst[3] = htonl(0x10);
		f6.sport = (__u16)rnd();
		f6.dport = htons(443);
		memcpy(w, &f6, sizeof(f6));
		return 10;
	case CLIENT32:
		w[0] = htonl(0x0a000000u + k);
		return 1;
	default: /* CLIENT24: the masked address of a client of prefix k */
		w[0] = htonl((0x0a000000u + (k << 8) + 7) & 0xffffff00u);
		return 1;
	}
}

static void run(enum set s, int use_x, __u32 n, const __u32 *table,
		__u32 *slots, __u32 *per_be)
{
	double chi = 0, exp_s = (double)n / SIZE, mean = (double)n / NBE;
	__u32 k, w[10], len, slot, max = 0, min = ~0u, i;

	memset(slots, 0, SIZE * sizeof(*slots));
	memset(per_be, 0, (NBE + 1) * sizeof(*per_be));
	rng = 0x2545f4914f6cdd1dull;
	for (k = 0; k < n; k++) {
		len = key_of(s, k, w);
		slot = use_x ? xlb_slot(xlb_hash(w, len), SIZE) :
			       jhash2(w, len, XLB_HASH_SEED) % SIZE;
		slots[slot]++;
		per_be[table[slot]]++;
	}
	for (i = 0; i < SIZE; i++)
		chi += (slots[i] - exp_s) * (slots[i] - exp_s) / exp_s;
	for (i = 1; i <= NBE; i++) {
		max = per_be[i] > max ? per_be[i] : max;
		min = per_be[i] < min ? per_be[i] : min;
	}
	printf("%-32s %-7s %9.3f %9.3f %9.3f\n", set_names[s],
	       use_x ? "xlb" : "jhash2", chi / (SIZE - 1), max / mean,
	       min / mean);
}

int main(int argc, char **argv)
{
	__u32 n = argc > 1 ? (__u32)atoi(argv[1]) : 1u << 20;
	struct maglev_backend be[NBE];
	__u32 *table = calloc(SIZE, sizeof(*table));
	__u32 *slots = calloc(SIZE, sizeof(*slots));
	__u32 *per_be = calloc(NBE + 1, sizeof(*per_be));
	int s, x;

	if (!table || !slots || !per_be)
		return 1;
	memset(be, 0, sizeof(be));
	for (s = 0; s < NBE; s++) {
		be[s].addr.family = AF_INET;
		be[s].addr.w[0] = htonl(0xc6121000u + s + 1);
		be[s].id = s + 1;
		be[s].weight = 1;
	}
	if (maglev_build(be, NBE, table, SIZE))
		return 1;
	printf("# %u keys a set; %u slots; %d equal back ends (Maglev)\n", n,
	       SIZE, NBE);
	printf("%-32s %-7s %9s %9s %9s\n", "keys", "hash", "chi2/dof",
	       "max/mean", "min/mean");
	for (s = 0; s < NSETS; s++)
		for (x = 0; x < 2; x++)
			run(s, x, s >= CLIENT32 ? 1u << 16 : n, table, slots,
			    per_be);
	return 0;
}
