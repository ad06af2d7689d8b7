// SPDX-License-Identifier: GPL-2.0-only
/*
 * Controller figures, printed (never pass/fail):
 *  1. maglev_build() for 10, 100 and 1000 back ends (equal weights) into
 *     65,537 slots: clock_gettime around the call, ROUNDS x 20 builds;
 *  2. counting the flows of an LRU hash flow table (struct flow_key_v4 ->
 *     struct flow_value, 2^20 entries) holding 10^6 flows with
 *     bpf_map_lookup_batch, 4096 a batch, as ctl/dp_flows.c's batch iterator
 *     does (the count per back end is the per-flow work);
 *  2b. the same count on issue 14's prototype table (bench/flowtab.h):
 *     10^6 flows in 2^20 buckets, one pass through the mmap'd array
 *     (ft_sweep: count per back end, expiry check, purge check), in the
 *     same rounds as the batch walk; the per-round ratio is printed;
 *  3. kernel memory of xdp-lb's maps at the default sizes (XLB_DEFAULT_*):
 *     the memlock figure of /proc/self/fdinfo, which is what `bpftool map
 *     show` prints, for every map of a loaded skeleton plus one service
 *     table.
 * Usage: bench_ctl [-r ROUNDS]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "xdp_lb.h"
#include "maglev.h"
#include "maps.h"
#include "xdp_lb.skel.h"
#include "ft_user.h"

#define BATCH 4096
#define MAX_ROUNDS 64

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void stats(double *v, int n, double *med, double *lo, double *hi)
{
	qsort(v, n, sizeof(*v), cmp_double);
	*lo = v[0];
	*hi = v[n - 1];
	*med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

static void bench_maglev(int rounds)
{
	static const int ns[] = { 10, 100, 1000 };
	__u32 size = XLB_DEFAULT_TABLE_SIZE, *table;
	struct maglev_backend *mb;
	double v[MAX_ROUNDS * 20], m, lo, hi;
	int i, j, k;

	table = malloc(size * sizeof(*table));
	mb = calloc(1000, sizeof(*mb));
	if (!table || !mb)
		exit(1);
	for (i = 0; i < 1000; i++) {
		mb[i].addr.family = AF_INET;
		mb[i].addr.w[0] = htonl(0xc6120000u + 0x1000 + i);
		mb[i].id = i + 1;
		mb[i].weight = 1;
	}
	printf("== maglev_build into %u slots, %d builds: median (min-max)\n",
	       size, rounds * 20);
	for (k = 0; k < 3; k++) {
		for (j = 0; j < rounds * 20; j++) {
			__u64 t = now_ns();

			if (maglev_build(mb, ns[k], table, size)) {
				fprintf(stderr, "bench_ctl: maglev_build failed\n");
				exit(1);
			}
			v[j] = (now_ns() - t) / 1e6;
		}
		stats(v, rounds * 20, &m, &lo, &hi);
		printf("%5d back ends: %7.3f ms (%.3f-%.3f)\n", ns[k], m, lo, hi);
	}
	free(table);
	free(mb);
}

/* Issue 14's prototype table with n flows (as the walk's), for ft_pass. */
static struct ft_inst ft;
static __u64 ft_live;

static void ft_fill(__u32 n)
{
	struct ft_opts o = { .nbuckets = 1u << 20, .vip_inline = 1,
			     .counters = 1,
			     .table_size = XLB_DEFAULT_TABLE_SIZE };
	__u16 now = ft_now16();
	__u32 k;
	int err = ft_load(&ft, &o);

	if (err) {
		fprintf(stderr, "bench_ctl: cannot load the prototype: %s\n",
			strerror(-err));
		exit(1);
	}
	for (k = 0; k < n; k++) {
		__u32 src = htonl(0xc6130000u + (k >> 14));
		__u16 sport = htons(1024 + (k & 0x3fff));
		__u64 h = ft_hash(src, htonl(0xc612000au),
				  (__u32)sport << 16 | htons(80), 6,
				  FT_HASH_SEED);

		ft_place(&ft, h, ft_kw(src, sport, 1),
			 ft_meta(1 + k % 100, 0, now, XLB_FLOW_ESTABLISHED));
	}
}

/* One pass as the controller's sweep would make it: count per back end,
 * check expiry (nothing idle) and a purge (no such back end); ms. */
static double ft_pass(void)
{
	static __u64 counts[XLB_DEFAULT_MAX_BACKENDS];
	__u16 timeout[8] = { 300, 60, 900, 10, 5 };
	struct ft_sweep_res res;
	__u64 t = now_ns();

	memset(counts, 0, sizeof(counts));
	ft_sweep(&ft, ft_now16(), timeout, XLB_DEFAULT_MAX_BACKENDS - 1,
		 counts, XLB_DEFAULT_MAX_BACKENDS, &res);
	ft_live = res.live;
	return (now_ns() - t) / 1e6;
}

static void bench_walk(int rounds)
{
	__u32 max = XLB_DEFAULT_MAX_FLOWS, n = 1000000, i, j, count;
	struct flow_key_v4 *keys = calloc(BATCH, sizeof(*keys));
	struct flow_value *vals = calloc(BATCH, sizeof(*vals));
	static __u64 live[XLB_DEFAULT_MAX_BACKENDS];
	double v[MAX_ROUNDS], ftv[MAX_ROUNDS], ratio[MAX_ROUNDS], m, lo, hi;
	__u64 total = 0, t;
	int fd, r;

	if (!keys || !vals)
		exit(1);
	fd = bpf_map_create(BPF_MAP_TYPE_LRU_HASH, "flows_v4", sizeof(*keys),
			    sizeof(*vals), max, NULL);
	if (fd < 0) {
		fprintf(stderr, "bench_ctl: cannot create the flow table: %s\n",
			strerror(errno));
		exit(1);
	}
	t = now_ns();
	for (i = 0; i < n; i += count) {
		count = n - i < BATCH ? n - i : BATCH;
		for (j = 0; j < count; j++) {
			__u32 k = i + j;

			memset(&keys[j], 0, sizeof(keys[j]));
			keys[j].src = htonl(0xc6130000u + (k >> 14));
			keys[j].dst = htonl(0xc612000au);
			keys[j].sport = htons(1024 + (k & 0x3fff));
			keys[j].dport = htons(80);
			keys[j].proto = 6;
			vals[j].backend_id = 1 + k % 100;
			vals[j].state = XLB_FLOW_ESTABLISHED;
		}
		if (bpf_map_update_batch(fd, keys, vals, &count, NULL)) {
			fprintf(stderr, "bench_ctl: fill: %s\n", strerror(errno));
			exit(1);
		}
	}
	printf("\n== batch walk of a %u-entry LRU flow table holding %u flows "
	       "(%u a batch), %d rounds\n",
	       max, n, BATCH, rounds);
	printf("fill with bpf_map_update_batch: %.0f ms\n", (now_ns() - t) / 1e6);
	ft_fill(n);
	for (r = 0; r < rounds; r++) {
		__u64 in = 0, out = 0, seen = 0;
		bool first = true;
		int ret;

		ftv[r] = ft_pass();

		memset(live, 0, sizeof(live));
		t = now_ns();
		for (;;) {
			count = BATCH;
			ret = bpf_map_lookup_batch(fd, first ? NULL : &in, &out,
						   keys, vals, &count, NULL);
			if (ret && errno != ENOENT) {
				fprintf(stderr, "bench_ctl: walk: %s\n",
					strerror(errno));
				exit(1);
			}
			for (i = 0; i < count; i++)
				if (vals[i].backend_id < XLB_DEFAULT_MAX_BACKENDS)
					live[vals[i].backend_id]++;
			seen += count;
			if (ret)
				break;
			in = out;
			first = false;
		}
		v[r] = (now_ns() - t) / 1e6;
		total = seen;
	}
	stats(v, rounds, &m, &lo, &hi);
	printf("walk and count per back end: %.1f ms (%.1f-%.1f), %llu flows "
	       "seen, %.0f ns/flow\n",
	       m, lo, hi, (unsigned long long)total, m * 1e6 / n);
	for (r = 0; r < rounds; r++)
		ratio[r] = ftv[r] / v[r];
	stats(ftv, rounds, &m, &lo, &hi);
	printf("prototype (mmap'd %u x %zu-byte buckets, %.0f MiB): sweep, "
	       "count per back end, expiry and purge checks: %.1f ms "
	       "(%.1f-%.1f), %llu live, %.1f ns/flow\n",
	       ft.nbuckets, sizeof(struct ft_bucket), ft.bytes / 1048576.0, m,
	       lo, hi, (unsigned long long)ft_live, m * 1e6 / n);
	stats(ratio, rounds, &m, &lo, &hi);
	printf("prototype sweep / batch walk, per round: %.3f (%.3f-%.3f)\n", m,
	       lo, hi);
	ft_destroy(&ft);
	close(fd);
	free(keys);
	free(vals);
}

/* memlock of a map fd, from fdinfo (bytes). */
static unsigned long long memlock(int fd)
{
	unsigned long long v = 0;
	char path[64], line[128];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %llu", &v) == 1)
			break;
	fclose(f);
	return v;
}

static void bench_memory(void)
{
	unsigned long long sum = 0, b;
	struct xlb_prep prep = {};
	struct bpf_map *m;
	struct xlb_tmpl tmpl;
	struct xdp_lb *s;
	int err;

	s = xdp_lb__open();
	if (!s)
		exit(1);
	prep.sz = xlb_default_sizes;
	err = xlb_skel_prepare(s, &prep, &tmpl);
	if (err) {
		fprintf(stderr, "bench_ctl: cannot prepare xdp_lb: %s\n",
			strerror(-err));
		exit(1);
	}
	err = xdp_lb__load(s);
	if (err) {
		fprintf(stderr, "bench_ctl: cannot load xdp_lb: %s\n",
			strerror(-err));
		exit(1);
	}
	printf("\n== map memory at the default sizes (memlock, as `bpftool "
	       "map show`): table_size %u, max_flows %u, max_services %u, "
	       "max_backends %u, %d possible CPUs\n",
	       XLB_DEFAULT_TABLE_SIZE, XLB_DEFAULT_MAX_FLOWS,
	       XLB_DEFAULT_MAX_SERVICES, XLB_DEFAULT_MAX_BACKENDS,
	       libbpf_num_possible_cpus());
	bpf_object__for_each_map(m, s->obj) {
		if (bpf_map__fd(m) < 0)
			continue;
		b = memlock(bpf_map__fd(m));
		sum += b;
		printf("%-16s %12llu B %9.2f MiB\n", bpf_map__name(m), b,
		       b / 1048576.0);
	}
	b = memlock(tmpl.svc);
	printf("%-16s %12llu B %9.2f MiB  (each service's table)\n",
	       "svc table", b, b / 1048576.0);
	b = memlock(tmpl.vip4) + memlock(tmpl.vip6);
	printf("%-16s %12llu B %9.2f MiB  (the two VIP tables)\n",
	       "vip tables", b, b / 1048576.0);
	printf("%-16s %12llu B %9.2f MiB  (maps above, no service)\n", "total",
	       sum, sum / 1048576.0);
	xlb_tmpl_close(&tmpl);
	xdp_lb__destroy(s);
}

int main(int argc, char **argv)
{
	int rounds = 5, opt;

	while ((opt = getopt(argc, argv, "r:")) != -1) {
		if (opt != 'r') {
			fprintf(stderr, "usage: bench_ctl [-r ROUNDS]\n");
			return 2;
		}
		rounds = atoi(optarg);
	}
	if (rounds < 1 || rounds > MAX_ROUNDS) {
		fprintf(stderr, "bench_ctl: rounds 1..%d\n", MAX_ROUNDS);
		return 2;
	}
	libbpf_set_print(libbpf_print);
	bench_maglev(rounds);
	bench_walk(rounds);
	bench_memory();
	return 0;
}
