// SPDX-License-Identifier: GPL-2.0-only
/*
 * Live-frame packet generator and counting sink for bench/pps.sh. Prints
 * figures; never fails on speed.
 *
 * In the current network namespace (run it with nsenter --net=...):
 *  - attaches bench/sink.bpf.c (native XDP, counts and drops) to IFACE,
 *    and with -S to SINK2 too (counted apart: rx2, included in rx);
 *  - optionally attaches the generator program to an idle, down veth (-I)
 *    so that it is in the kernel's XDP dispatcher for the whole run (a
 *    test run with repeat > 1 otherwise adds and removes it on every call,
 *    which costs milliseconds; see bench_pkt.c);
 *  - runs bench/gen.bpf.c with BPF_PROG_TEST_RUN and
 *    BPF_F_TEST_XDP_LIVE_FRAMES, ingress IFACE: every iteration becomes a
 *    real 60-byte TCP frame to VIP:PORT, sent out of IFACE by XDP_TX,
 *    cycling over FLOWS flows (a power of two);
 *  - warm-up first (WARM packets, default 2 x FLOWS, so flow tables and
 *    conntrack hold every flow), then calls of CHUNK packets until SECONDS
 *    of wall time or MAX packets, timed with CLOCK_MONOTONIC;
 *  - prints one line: generator tx, sink rx, seconds, Mpps at the sink,
 *    the sink's count per CPU and per-CPU load (/proc/stat, /proc/softirqs
 *    NET_RX) over the timed part.
 *
 * Usage: gen -i IFACE -d DSTMAC [-I IDLE_IFACE] [-S SINK2] [-v VIP] [-p PORT]
 *            [-f FLOWS] [-t SECONDS] [-n MAX] [-c CHUNK] [-w WARM] [-C CPU]
 *            [-6]
 * -6: 74-byte IPv6 frames from fd00:19:: (VIP an IPv6 address).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <net/if.h>

#include "gen.skel.h"
#include "sink.skel.h"
#include "../tests/prog/pktgen.h"

#define MAX_CPUS 256
#define FRAME_LEN 60
#define FRAME_LEN6 74 /* -6: Ethernet + IPv6 + TCP, no padding */

static __u32 frame_len = FRAME_LEN;

static int ifindex, idle_ifindex, sink2_ifindex;
static struct sink *snk;
static struct gen *gen;

static void detach_all(void)
{
	if (ifindex)
		bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE, NULL);
	if (idle_ifindex)
		bpf_xdp_detach(idle_ifindex, XDP_FLAGS_DRV_MODE, NULL);
	if (sink2_ifindex)
		bpf_xdp_detach(sink2_ifindex, XDP_FLAGS_DRV_MODE, NULL);
	ifindex = idle_ifindex = sink2_ifindex = 0;
}

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "gen: ");
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	detach_all();
	exit(1);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (level == LIBBPF_DEBUG || level == LIBBPF_INFO)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int parse_mac(const char *s, __u8 mac[ETH_ALEN])
{
	unsigned int b[ETH_ALEN];
	int i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4],
		   &b[5]) != ETH_ALEN)
		return -1;
	for (i = 0; i < ETH_ALEN; i++)
		mac[i] = b[i];
	return 0;
}

static void if_mac(const char *ifname, __u8 mac[ETH_ALEN])
{
	struct ifreq ifr = {};
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (fd < 0 || ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		die("%s: no MAC: %s\n", ifname, strerror(errno));
	memcpy(mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	close(fd);
}

/* Per-CPU jiffies (busy, softirq, total) from /proc/stat and NET_RX
 * softirq counts from /proc/softirqs. */
struct cpu_snap {
	int n;
	unsigned long long busy[MAX_CPUS], sirq[MAX_CPUS], total[MAX_CPUS];
	unsigned long long netrx[MAX_CPUS];
};

static void snap(struct cpu_snap *s)
{
	char line[4096];
	FILE *f = fopen("/proc/stat", "r");

	memset(s, 0, sizeof(*s));
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long long v[8] = {};
		int c;

		if (sscanf(line, "cpu%d %llu %llu %llu %llu %llu %llu %llu %llu",
			   &c, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
			   &v[7]) < 8 || c < 0 || c >= MAX_CPUS)
			continue;
		s->busy[c] = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
		s->sirq[c] = v[6];
		s->total[c] = s->busy[c] + v[3] + v[4];
		if (c + 1 > s->n)
			s->n = c + 1;
	}
	if (f)
		fclose(f);
	f = fopen("/proc/softirqs", "r");
	while (f && fgets(line, sizeof(line), f)) {
		char *p = strstr(line, "NET_RX:");
		int c;

		if (!p)
			continue;
		p += 7;
		for (c = 0; c < s->n; c++)
			s->netrx[c] = strtoull(p, &p, 10);
	}
	if (f)
		fclose(f);
}

static void sink_read(int ncpu, __u64 *sum, __u64 *per, __u64 *sum2)
{
	__u64 v[MAX_CPUS] = {};
	__u32 k;
	int c;

	*sum = 0;
	if (sum2)
		*sum2 = 0;
	if (per)
		memset(per, 0, sizeof(__u64) * MAX_CPUS);
	for (k = 0; k < 2; k++) {
		if (bpf_map_lookup_elem(bpf_map__fd(snk->maps.count), &k, v))
			die("sink count: %s\n", strerror(errno));
		for (c = 0; c < ncpu && c < MAX_CPUS; c++) {
			*sum += v[c];
			if (k && sum2)
				*sum2 += v[c];
			if (per)
				per[c] += v[c];
		}
	}
}

static void run(int prog, const __u8 *frame, struct xdp_md *md, __u64 n,
		__u32 chunk)
{
	while (n) {
		__u32 r = n < chunk ? n : chunk;
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame,
			    .data_size_in = frame_len, .ctx_in = md,
			    .ctx_size_in = sizeof(*md), .repeat = r,
			    .flags = BPF_F_TEST_XDP_LIVE_FRAMES);

		if (bpf_prog_test_run_opts(prog, &o))
			die("test run: %s\n", strerror(errno));
		n -= r;
	}
}

int main(int argc, char **argv)
{
	const char *ifname = NULL, *idle = NULL, *sink2 = NULL;
	const char *vip = "198.18.1.100";
	__u64 maxn = 50000000, warm = 0, tx, rx, rx_late, rx2, per[MAX_CPUS];
	__u32 flows = 1024, chunk = 262144, port = 80;
	double secs = 1.0, t0, t1;
	struct cpu_snap a, b;
	int cpu = -1, ncpu, opt, prog, c;
	__u8 dmac[ETH_ALEN], smac[ETH_ALEN];
	bool have_dmac = false;
	struct xdp_md md = {};
	bool v6 = false;
	struct pkt p;
	char err[128];

	while ((opt = getopt(argc, argv, "i:I:S:d:v:p:f:t:n:c:w:C:6")) != -1) {
		switch (opt) {
		case 'i': ifname = optarg; break;
		case 'I': idle = optarg; break;
		case 'S': sink2 = optarg; break;
		case 'd':
			if (parse_mac(optarg, dmac))
				die("bad MAC %s\n", optarg);
			have_dmac = true;
			break;
		case 'v': vip = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 'f': flows = strtoul(optarg, NULL, 0); break;
		case 't': secs = atof(optarg); break;
		case 'n': maxn = strtoull(optarg, NULL, 0); break;
		case 'c': chunk = strtoul(optarg, NULL, 0); break;
		case 'w': warm = strtoull(optarg, NULL, 0); break;
		case 'C': cpu = atoi(optarg); break;
		case '6': v6 = true; break;
		default:
			fprintf(stderr, "usage: gen -i IFACE -d DSTMAC [-I IDLE] [-S SINK2] "
				"[-v VIP] [-p PORT] [-f FLOWS] [-t S] [-n MAX] "
				"[-c CHUNK] [-w WARM] [-C CPU] [-6]\n");
			return 2;
		}
	}
	if (!ifname || !have_dmac || !flows || (flows & (flows - 1)) ||
	    flows > 65536 || !chunk)
		die("need -i, -d, and FLOWS a power of two up to 65536\n");
	if (!warm)
		warm = 2ull * flows;
	libbpf_set_print(libbpf_print);
	if (cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			die("cpu %d: %s\n", cpu, strerror(errno));
	}
	ncpu = libbpf_num_possible_cpus();
	if (ncpu <= 0 || ncpu > MAX_CPUS)
		die("possible CPUs: %d\n", ncpu);
	ifindex = if_nametoindex(ifname);
	if (!ifindex)
		die("%s: %s\n", ifname, strerror(errno));
	if (idle && !(idle_ifindex = if_nametoindex(idle)))
		die("%s: %s\n", idle, strerror(errno));
	if (sink2 && !(sink2_ifindex = if_nametoindex(sink2)))
		die("%s: %s\n", sink2, strerror(errno));
	if_mac(ifname, smac);

	/* The frame: 60-byte TCP ACK 198.19.0.0:1024 -> VIP:PORT; -6: 74
	 * bytes from fd00:19::. */
	struct pkt_spec spec = { .family = AF_INET, .saddr = "198.19.0.0",
				 .daddr = vip, .proto = IPPROTO_TCP,
				 .sport = 1024, .dport = port,
				 .tcp_flags = TF_ACK, .trailer = 6 };
	if (v6) {
		spec.family = AF_INET6;
		spec.saddr = "fd00:19::";
		spec.trailer = 0;
		frame_len = FRAME_LEN6;
	}
	md.data_end = frame_len;
	if (build_pkt(&spec, &p, err, sizeof(err)) || p.len != frame_len)
		die("frame: %s (len %u)\n", err, p.len);
	memcpy(p.data, dmac, ETH_ALEN);
	memcpy(p.data + ETH_ALEN, smac, ETH_ALEN);

	snk = sink__open_and_load();
	gen = gen__open_and_load();
	if (!snk || !gen)
		die("cannot load the sink or the generator: %s (root?)\n",
		    strerror(errno));
	if (bpf_xdp_attach(ifindex, bpf_program__fd(snk->progs.xdp_sink),
			   XDP_FLAGS_DRV_MODE, NULL))
		die("attach sink to %s: %s\n", ifname, strerror(errno));
	snk->bss->second_ifindex = sink2_ifindex;
	if (sink2_ifindex &&
	    bpf_xdp_attach(sink2_ifindex, bpf_program__fd(snk->progs.xdp_sink),
			   XDP_FLAGS_DRV_MODE, NULL))
		die("attach sink to %s: %s\n", sink2, strerror(errno));
	prog = bpf_program__fd(v6 ? gen->progs.xdp_gen6 : gen->progs.xdp_gen);
	if (idle_ifindex &&
	    bpf_xdp_attach(idle_ifindex, prog, XDP_FLAGS_DRV_MODE, NULL))
		die("attach generator to %s: %s\n", idle, strerror(errno));
	if (v6)
		memcpy(gen->bss->tmpl6, p.data, FRAME_LEN6);
	else
		memcpy(gen->bss->tmpl, p.data, FRAME_LEN);
	gen->bss->mask = flows - 1;
	md.ingress_ifindex = ifindex;

	run(prog, p.data, &md, warm, chunk);
	usleep(20000);
	/* Reset the counts; the flow walk goes on where warm-up left it. */
	{
		__u64 zero[MAX_CPUS] = {};
		__u32 k;

		for (k = 0; k < 2; k++)
			if (bpf_map_update_elem(bpf_map__fd(snk->maps.count),
						&k, zero, 0))
				die("sink reset: %s\n", strerror(errno));
	}
	gen->bss->sent = 0;
	snap(&a);
	t0 = now_s();
	tx = 0;
	do {
		__u64 r = maxn - tx < chunk ? maxn - tx : chunk;

		run(prog, p.data, &md, r, chunk);
		tx += r;
		t1 = now_s();
	} while (t1 - t0 < secs && tx < maxn);
	sink_read(ncpu, &rx, NULL, NULL);
	snap(&b);
	usleep(50000);
	sink_read(ncpu, &rx_late, per, &rx2);
	if (gen->bss->sent != tx)
		fprintf(stderr, "gen: program ran %llu times, asked %llu\n",
			(unsigned long long)gen->bss->sent,
			(unsigned long long)tx);

	printf("flows=%u warm=%llu tx=%llu rx=%llu rx_late=%llu secs=%.4f mpps=%.3f "
	       "tx_mpps=%.3f loss=%.4f",
	       flows, (unsigned long long)warm, (unsigned long long)tx,
	       (unsigned long long)rx,
	       (unsigned long long)rx_late, t1 - t0, rx / (t1 - t0) / 1e6,
	       tx / (t1 - t0) / 1e6,
	       tx ? 1.0 - (double)rx_late / tx : 0.0);
	if (sink2_ifindex)
		printf(" rx2=%llu", (unsigned long long)rx2);
	printf(" sink_by_cpu=");
	for (c = 0; c < ncpu; c++)
		printf("%s%llu", c ? "," : "", (unsigned long long)per[c]);
	for (c = 0; c < b.n; c++) {
		unsigned long long tot = b.total[c] - a.total[c];

		if (!tot)
			tot = 1;
		printf(" cpu%d=busy:%.0f%%,sirq:%.0f%%,netrx:%llu", c,
		       100.0 * (b.busy[c] - a.busy[c]) / tot,
		       100.0 * (b.sirq[c] - a.sirq[c]) / tot,
		       b.netrx[c] - a.netrx[c]);
	}
	printf("\n");
	detach_all();
	gen__destroy(gen);
	sink__destroy(snk);
	return 0;
}
