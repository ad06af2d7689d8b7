// SPDX-License-Identifier: GPL-2.0-only
/*
 * Memory placement of large BPF maps (issue 14): does a hit spread over a
 * big array cost more in a BPF_F_MMAPABLE array than in a plain one, and
 * what would huge pages save? Needs root. Figures only, never pass/fail.
 *
 *   memplace [-r ROUNDS] [-n RUNS] [-B]
 *
 * For 2^10 (in L2: the cost of a step without misses), 2^16, 2^19 and,
 * with -B, 2^22 lines of 64 bytes (64 KiB .. 256 MiB), rows:
 *   bpf plain   a plain BPF array (memplace.bpf.c), BPF_PROG_TEST_RUN
 *   bpf mmap    the same with BPF_F_MMAPABLE
 *   user 4k     the same walk in user memory, MADV_NOHUGEPAGE
 *   user thp    the same, MADV_HUGEPAGE (2 MiB pages where granted; the
 *               AnonHugePages of the buffer are printed)
 * Every row walks one random cycle through all lines, each load
 * depending on the one before: ns per line is a miss's latency (the TLB
 * walk included when the table outgrows the TLB's reach). Rounds are
 * interleaved; figures are medians (min-max) over rounds, and the ratio
 * to "user 4k" of the same size and round.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "memplace.skel.h"

#define STEPS 16 /* links a BPF run follows (memplace.bpf.c) */
#define MAX_ROUNDS 64
#define NSIZES 4
#define NROWS 4

struct line {
	__u32 next;
	__u32 pad[15];
};

static const char *const row_names[NROWS] = { "bpf plain", "bpf mmap",
					      "user 4k", "user thp" };

static void die(const char *fmt, const char *what)
{
	fprintf(stderr, fmt, what, strerror(errno));
	exit(1);
}

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* One random cycle through n lines (Sattolo's algorithm): next[i]. */
static __u32 *cycle_make(__u32 n)
{
	__u32 *p = malloc(n * sizeof(*p)), *next, i, j, t;

	next = malloc(n * sizeof(*next));
	if (!p || !next)
		die("%s: %s\n", "out of memory");
	for (i = 0; i < n; i++)
		p[i] = i;
	for (i = n - 1; i > 0; i--) {
		j = (__u32)(((__u64)random() << 31 | random()) % i);
		t = p[i], p[i] = p[j], p[j] = t;
	}
	for (i = 0; i < n; i++)
		next[p[i]] = p[(i + 1) % n];
	free(p);
	return next;
}

struct bpf_row {
	struct memplace *skel;
	int prog;
};

/* A loaded program over n lines following next[], mmapable or not. */
static void bpf_row_load(struct bpf_row *b, __u32 n, const __u32 *next, bool mm)
{
	struct bpf_map *m;
	struct line *lines;
	__u32 i, chunk = 65536, *keys;
	int fd;

	b->skel = memplace__open();
	if (!b->skel)
		die("%s: %s\n", "memplace__open");
	m = b->skel->maps.slots;
	if (bpf_map__set_max_entries(m, n) ||
	    (mm && bpf_map__set_map_flags(m, BPF_F_MMAPABLE)) ||
	    memplace__load(b->skel))
		die("%s: %s\n", "memplace load");
	fd = bpf_map__fd(m);
	b->prog = bpf_program__fd(b->skel->progs.memplace);
	if (mm) { /* through the mapping, as the controller would */
		lines = mmap(NULL, (size_t)n * sizeof(*lines),
			     PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (lines == MAP_FAILED)
			die("%s: %s\n", "mmap of the array");
		for (i = 0; i < n; i++)
			lines[i].next = next[i];
		munmap(lines, (size_t)n * sizeof(*lines));
		return;
	}
	lines = calloc(chunk, sizeof(*lines));
	keys = calloc(chunk, sizeof(*keys));
	if (!lines || !keys)
		die("%s: %s\n", "out of memory");
	for (i = 0; i < n; i += chunk) {
		__u32 j, c = n - i < chunk ? n - i : chunk;

		for (j = 0; j < c; j++) {
			keys[j] = i + j;
			lines[j].next = next[i + j];
		}
		if (bpf_map_update_batch(fd, keys, lines, &c, NULL))
			die("%s: %s\n", "bpf_map_update_batch");
	}
	free(lines);
	free(keys);
}

/* ns per line of `runs` runs of STEPS links (the kernel's timing). */
static double bpf_row_run(struct bpf_row *b, __u32 runs)
{
	__u8 pkt[64] = { 0 };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt,
		    .data_size_in = sizeof(pkt), .repeat = runs);

	if (bpf_prog_test_run_opts(b->prog, &o))
		die("%s: %s\n", "BPF_PROG_TEST_RUN");
	return (double)o.duration / STEPS;
}

struct user_row {
	struct line *lines;
	size_t bytes;
	__u32 cur;
};

static void user_row_make(struct user_row *u, __u32 n, const __u32 *next,
			  bool thp)
{
	__u32 i;

	u->bytes = ((size_t)n * sizeof(struct line) + (2u << 20) - 1) &
		   ~(size_t)((2u << 20) - 1);
	u->lines = aligned_alloc(2u << 20, u->bytes);
	if (!u->lines)
		die("%s: %s\n", "aligned_alloc");
	if (madvise(u->lines, u->bytes, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE))
		die("%s: %s\n", "madvise");
	memset(u->lines, 0, u->bytes);
	for (i = 0; i < n; i++)
		u->lines[i].next = next[i];
	u->cur = 0;
}

static double user_row_run(struct user_row *u, __u32 runs)
{
	__u64 t = now_ns(), i, steps = (__u64)runs * STEPS;
	volatile __u32 sink;
	__u32 k = u->cur;

	for (i = 0; i < steps; i++)
		k = u->lines[k].next;
	sink = k;
	u->cur = sink;
	return (double)(now_ns() - t) / steps;
}

/* AnonHugePages of this process, kB (smaps_rollup). */
static long anon_huge_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/smaps_rollup", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void stats(const double *v, int n, double *med, double *lo, double *hi)
{
	double s[MAX_ROUNDS];

	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), cmp_double);
	*med = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	*lo = s[0];
	*hi = s[n - 1];
}

int main(int argc, char **argv)
{
	static const unsigned int bits[NSIZES] = { 10, 16, 19, 22 };
	static double ns[NSIZES][NROWS][MAX_ROUNDS];
	struct bpf_row b[NSIZES][2];
	struct user_row u[NSIZES][2];
	int rounds = 7, nsizes = NSIZES - 1, opt, r, s, w;
	__u32 runs = 200000;
	long huge0, huge;

	while ((opt = getopt(argc, argv, "r:n:B")) != -1) {
		switch (opt) {
		case 'r':
			rounds = atoi(optarg);
			break;
		case 'n':
			runs = strtoul(optarg, NULL, 10);
			break;
		case 'B':
			nsizes = NSIZES;
			break;
		default:
			fprintf(stderr,
				"usage: memplace [-r ROUNDS] [-n RUNS] [-B]\n");
			return 2;
		}
	}
	if (rounds < 1 || rounds > MAX_ROUNDS || !runs) {
		fprintf(stderr, "memplace: rounds 1..%d, runs > 0\n",
			MAX_ROUNDS);
		return 2;
	}
	srandom(14);
	huge0 = anon_huge_kb();
	for (s = 0; s < nsizes; s++) {
		__u32 *next = cycle_make(1u << bits[s]);

		bpf_row_load(&b[s][0], 1u << bits[s], next, false);
		bpf_row_load(&b[s][1], 1u << bits[s], next, true);
		user_row_make(&u[s][0], 1u << bits[s], next, false);
		user_row_make(&u[s][1], 1u << bits[s], next, true);
		free(next);
	}
	huge = anon_huge_kb();
	for (r = 0; r < rounds; r++) {
		for (s = 0; s < nsizes; s++) {
			for (w = 0; w < NROWS; w++) {
				int row = (w + r) % NROWS; /* rotate */

				ns[s][row][r] =
					row < 2 ?
						bpf_row_run(&b[s][row], runs) :
						user_row_run(&u[s][row - 2],
							     runs);
			}
		}
	}
	printf("# memory placement: ns per dependent 64-byte line, %d rounds "
	       "x %u runs x %d lines; median (min-max); x user 4k of the "
	       "same size and round\n",
	       rounds, runs, STEPS);
	printf("# user thp: AnonHugePages %ld kB after the buffers were "
	       "made (%ld before)\n",
	       huge, huge0);
	printf("%-6s %-10s %22s %20s\n", "lines", "row", "ns/line",
	       "x user 4k");
	for (s = 0; s < nsizes; s++) {
		for (w = 0; w < NROWS; w++) {
			double v[MAX_ROUNDS], m, lo, hi, rm, rlo, rhi;

			for (r = 0; r < rounds; r++)
				v[r] = ns[s][w][r] / ns[s][2][r];
			stats(v, rounds, &rm, &rlo, &rhi);
			stats(ns[s][w], rounds, &m, &lo, &hi);
			printf("2^%-4u %-10s %6.1f (%6.1f-%6.1f) %5.2f "
			       "(%4.2f-%4.2f)\n",
			       bits[s], row_names[w], m, lo, hi, rm, rlo, rhi);
		}
	}
	printf("# bpf mmap / bpf plain, same rounds: median (min-max) of "
	       "per-round ratios\n");
	for (s = 0; s < nsizes; s++) {
		double v[MAX_ROUNDS], m, lo, hi;

		for (r = 0; r < rounds; r++)
			v[r] = ns[s][1][r] / ns[s][0][r];
		stats(v, rounds, &m, &lo, &hi);
		printf("2^%-4u %5.2f (%4.2f-%4.2f)\n", bits[s], m, lo, hi);
	}
	for (s = 0; s < nsizes; s++) {
		memplace__destroy(b[s][0].skel);
		memplace__destroy(b[s][1].skel);
		free(u[s][0].lines);
		free(u[s][1].lines);
	}
	return 0;
}
