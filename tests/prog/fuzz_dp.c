// SPDX-License-Identifier: GPL-2.0-only
/*
 * The data-path fuzzer's harness: seeds, mutations, invariants, report.
 * See test_fuzz_dp.c.
 */
#define _GNU_SOURCE
#include "fuzz_dp.h"

__u32 rnd(struct fuzz *fz, __u32 n)
{
	__u64 x = fz->rng; /* xorshift64* */

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	fz->rng = x;
	return n ? (__u32)((x * 0x2545f4914f6cdd1dull) >> 32) % n : 0;
}

const char *mode_name(enum fuzz_mode m)
{
	return m == MODE_DSR	? "dsr" :
	       m == MODE_TUNNEL ? "tunnel" :
	       m == MODE_NAT	? "nat" :
				  "mixed";
}

void on_cpu0(void)
{
	cpu_set_t one;

	CPU_ZERO(&one);
	CPU_SET(0, &one);
	if (sched_setaffinity(0, sizeof(one), &one))
		fail_msg("sched_setaffinity: %s", strerror(errno));
}

static __u16 g16(const __u8 *p)
{
	return p[0] << 8 | p[1];
}

static void s16(__u8 *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v;
}

/* ---- seeds ---- */

static void seed_add(struct fuzz *fz, const struct pkt_spec *s)
{
	struct pkt p;
	char err[128];

	if (fz->nseeds >= FUZZ_SEEDS_MAX)
		fail_msg("more than %d seeds", FUZZ_SEEDS_MAX);
	if (build_pkt(s, &p, err, sizeof(err)))
		fail_msg("seed: %s", err);
	memcpy(fz->seeds[fz->nseeds].data, p.data, p.len);
	fz->seeds[fz->nseeds++].len = p.len;
}

/* A flow, its VLAN-tagged twin, and ICMP errors quoting its reply. */
static void seed_flow(struct fuzz *fz, const struct pkt_spec *f)
{
	bool v4 = f->family == AF_INET;
	struct pkt_spec q = *f, err, t;
	static const __u8 t4[][2] = { { 3, 4 }, { 3, 1 }, { 11, 0 } };
	static const __u8 t6[][2] = { { 2, 0 }, { 1, 4 }, { 3, 0 } };
	int i;

	seed_add(fz, f);
	t = *f;
	t.vlan_proto = ETH_P_8021Q;
	t.vlan_tci = 100;
	seed_add(fz, &t);
	q.saddr = f->daddr;
	q.daddr = f->saddr;
	q.sport = f->dport;
	q.dport = f->sport;
	q.payload = 64;
	q.trailer = 0;
	for (i = 0; i < 3; i++) {
		err = (struct pkt_spec){
			.family = f->family,
			.saddr = v4 ? "10.9.9.9" : "fd00:9::9",
			.daddr = f->daddr,
			.proto = v4 ? IPPROTO_ICMP : IPPROTO_ICMPV6,
			.icmp_type = v4 ? t4[i][0] : t6[i][0],
			.icmp_code = v4 ? t4[i][1] : t6[i][1],
			.icmp_mtu = 1280,
			.inner = &q,
		};
		seed_add(fz, &err);
	}
	err.icmp_type = v4 ? 3 : 2;
	err.vlan_proto = ETH_P_8021AD;
	err.vlan_tci = 7;
	seed_add(fz, &err);
	err.vlan_proto = 0;
	err.quote = (v4 ? 4 * (q.ihl > 5 ? q.ihl : 5) : 40) + 4;
	seed_add(fz, &err); /* the ports only */
	err.quote = 0;
	err.trailer = 6; /* padding after the error */
	seed_add(fz, &err);
	if (v4) {
		q.frag = FRAG_MF;
		seed_add(fz, &err);
		q.frag = 185;
		seed_add(fz, &err);
		q.frag = 0;
	}
}

void seeds_build(struct fuzz *fz)
{
	struct pkt_spec f[] = {
		tcp_spec(&fam4, 40000, TF_SYN),
		tcp_spec(&fam4, 40001, TF_ACK | TF_PSH),
		tcp_spec(&fam6, 40000, TF_SYN),
		tcp_spec(&fam6, 40001, TF_ACK),
		tcp_spec(&fam4, 40020, TF_SYN),
		tcp_spec(&fam4, 40021, TF_FIN | TF_ACK),
	};
	struct pkt_spec u4 = { .family = AF_INET, .saddr = CLIENT4,
			       .daddr = VIP4, .proto = IPPROTO_UDP,
			       .sport = 5353, .dport = 53, .payload = 40 };
	struct pkt_spec u6 = u4, echo;
	size_t i;

	for (i = 0; i < nr_cases; i++)
		seed_add(fz, &cases[i].pkt);
	f[1].payload = 100;
	f[3].payload = 200;
	f[4].ihl = 7; /* options, in the quote too */
	f[5].doff = 8;
	f[5].trailer = 10;
	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		seed_flow(fz, &f[i]);
	seed_flow(fz, &u4);
	u4.sport = 5354;
	u4.saddr = "10.0.0.2"; /* same /24: persistence */
	seed_flow(fz, &u4);
	u6.family = AF_INET6;
	u6.saddr = CLIENT6;
	u6.daddr = VIP6;
	u6.payload = 33;
	seed_flow(fz, &u6);
	echo = (struct pkt_spec){ .family = AF_INET, .saddr = CLIENT4,
				  .daddr = VIP4, .proto = IPPROTO_ICMP,
				  .payload = 56 };
	seed_add(fz, &echo);
	echo.ihl = 6;
	echo.vlan_proto = ETH_P_8021Q;
	seed_add(fz, &echo);
	echo = (struct pkt_spec){ .family = AF_INET6, .saddr = CLIENT6,
				  .daddr = VIP6, .proto = IPPROTO_ICMPV6,
				  .payload = 57, .trailer = 3 };
	seed_add(fz, &echo);
}

/* ---- mutations ---- */

/* Offset of the IP header: after the Ethernet header and one tag. */
static __u32 l3_of(const struct frame *f)
{
	__u16 et = g16(f->data + 12);

	return et == 0x8100 || et == 0x88a8 ? 18 : 14;
}

static void l4_sum(__u8 *f, __u32 l3, __u32 l4, __u32 end, __u8 proto,
		   bool v4)
{
	__u32 at = proto == IPPROTO_TCP ? 16 : proto == IPPROTO_UDP ? 6 : 2;
	__u32 sum = 0;
	__u16 c;

	if (l4 + at + 2 > end ||
	    (proto != 6 && proto != 17 && proto != 1 && proto != 58))
		return;
	s16(f + l4 + at, 0);
	if (proto != IPPROTO_ICMP) {
		sum = dpm_sum(0, f + l3 + (v4 ? 12 : 8), v4 ? 8 : 32);
		sum += proto + (end - l4);
	}
	c = ~dpm_fold(dpm_sum(sum, f + l4, end - l4));
	if (proto == IPPROTO_UDP && !c)
		c = 0xffff;
	s16(f + l4 + at, c);
}

/* Make the IP and L4 checksums right again for what the fields say. */
static void fix_sums(struct frame *fr)
{
	__u32 l3 = l3_of(fr), hl, end;
	__u8 *f = fr->data;

	if (fr->len < l3 + 20)
		return;
	if (f[l3] >> 4 == 4) {
		hl = (f[l3] & 0xf) * 4;
		if (hl < 20 || l3 + hl > fr->len)
			return;
		s16(f + l3 + 10, 0);
		s16(f + l3 + 10, ~dpm_fold(dpm_sum(0, f + l3, hl)));
		end = l3 + g16(f + l3 + 2);
		if (end > fr->len || end < l3 + hl || g16(f + l3 + 6) & 0x1fff)
			return;
		l4_sum(f, l3, l3 + hl, end, f[l3 + 9], true);
	} else if (f[l3] >> 4 == 6 && fr->len >= l3 + 40) {
		end = l3 + 40 + g16(f + l3 + 4);
		if (end > fr->len)
			return;
		l4_sum(f, l3, l3 + 40, end, f[l3 + 6], false);
	}
}

static const __u8 interesting[] = { 0, 1, 4, 5, 6, 11, 17, 0x2c, 0x3a,
				    0x40, 0x45, 0x46, 0x4f, 0x60, 0x7f,
				    0x80, 0xfe, 0xff };
static const __u16 ports[] = { 0, 53, 80, 443, 5353, 40000, 20000, 60999,
			       0xffff };
static const __u8 protos[] = { 6, 17, 1, 58, 44, 0, 43, 60, 51, 50, 135, 4,
			       41, 47 };

static void mutate_one(struct fuzz *fz, struct frame *fr)
{
	__u32 l3 = l3_of(fr), len = fr->len, pos, v;
	__u8 *f = fr->data;
	bool v4 = len > l3 && f[l3] >> 4 == 4;

	pos = rnd(fz, 2) ? rnd(fz, len < 90 ? len : 90) : rnd(fz, len);
	switch (rnd(fz, 11)) {
	case 0:
		f[pos] ^= 1 << rnd(fz, 8);
		break;
	case 1:
		f[pos] = interesting[rnd(fz, sizeof(interesting))];
		break;
	case 2: /* the IP length field */
		if (len < l3 + 6)
			break;
		v = v4 ? g16(f + l3 + 2) : g16(f + l3 + 4);
		switch (rnd(fz, 4)) {
		case 0:
			v = rnd(fz, 65536);
			break;
		case 1:
			v += rnd(fz, 17) - 8;
			break;
		case 2:
			v = v4 ? (f[l3] & 0xf) * 4 + rnd(fz, 24) : rnd(fz, 24);
			break;
		default:
			v = len - l3 - (v4 ? 0 : 40) - rnd(fz, 4);
		}
		s16(f + l3 + (v4 ? 2 : 4), v);
		break;
	case 3: /* cut */
		fr->len = 14 + rnd(fz, len - 14 + 1);
		break;
	case 4: /* padding */
		v = 1 + rnd(fz, 40);
		if (len + v > FUZZ_IN_MAX)
			break;
		for (pos = 0; pos < v; pos++)
			f[len + pos] = rnd(fz, 2) ? 0 : rnd(fz, 256);
		fr->len += v;
		break;
	case 5: /* IHL, a quoted IHL, or the TCP data offset */
		pos = rnd(fz, 3) ? l3 : l3 + 20 + rnd(fz, 3) * 8;
		if (pos < len)
			f[pos] = (f[pos] & 0xf0) | rnd(fz, 16);
		if (l3 + 32 < len && rnd(fz, 2))
			f[l3 + (v4 ? 20 : 40) + 12] = rnd(fz, 16) << 4;
		break;
	case 6: /* fragment bits */
		if (v4 && len >= l3 + 8)
			s16(f + l3 + 6, (const __u16[]){ 0, 0x2000, 0x4000, 1,
							 0x2001, 185 }[rnd(fz, 6)]);
		break;
	case 7: /* ports */
		pos = l3 + (v4 ? (f[l3] & 0xf) * 4 : 40) + 2 * rnd(fz, 2);
		if (pos + 2 <= len)
			s16(f + pos, ports[rnd(fz, sizeof(ports) / 2)]);
		break;
	case 8: /* ethertype */
		pos = rnd(fz, 3) ? 12 : l3 - 2;
		s16(f + pos, (const __u16[]){ 0x0800, 0x86dd, 0x8100, 0x88a8,
					      0x0806, 0x9100 }[rnd(fz, 6)]);
		break;
	case 9: /* protocol */
		if (len > l3 + 9)
			f[l3 + (v4 ? 9 : 6)] = protos[rnd(fz, sizeof(protos))];
		break;
	default: /* a random 16-bit word in the headers */
		if (pos + 2 <= len)
			s16(f + pos, rnd(fz, 65536));
	}
}

bool pick_frame(struct fuzz *fz, struct frame *in)
{
	bool internal = (fz->mode == MODE_NAT || fz->mode == MODE_MIXED) &&
			fz->nreplies && !rnd(fz, 4);
	__u32 n;

	if (internal)
		*in = fz->replies[rnd(fz, fz->nreplies)];
	else
		*in = fz->seeds[rnd(fz, fz->nseeds)];
	if (rnd(fz, 3)) {
		for (n = 1 + rnd(fz, 3); n; n--)
			mutate_one(fz, in);
		if (rnd(fz, 2))
			fix_sums(in);
		fz->st.mutated++;
	}
	fz->st.internal += internal;
	return internal;
}

void reply_remember(struct fuzz *fz, const struct frame *out)
{
	struct frame *r = &fz->replies[fz->reply_next];
	__u32 l3 = l3_of(out), an, so, l4;
	__u8 t[16], *f;

	*r = *out;
	f = r->data;
	an = f[l3] >> 4 == 4 ? 4 : 16;
	so = an == 4 ? 12 : 8;
	l4 = l3 + (an == 4 ? (f[l3] & 0xf) * 4 : 40);
	memcpy(t, f, 6); /* from the back end to us */
	memcpy(f, f + 6, 6);
	memcpy(f + 6, t, 6);
	memcpy(t, f + l3 + so, an);
	memcpy(f + l3 + so, f + l3 + so + an, an);
	memcpy(f + l3 + so + an, t, an);
	memcpy(t, f + l4, 2);
	memcpy(f + l4, f + l4 + 2, 2);
	memcpy(f + l4 + 2, t, 2);
	fz->reply_next = (fz->reply_next + 1) % FUZZ_REPLIES;
	if (fz->nreplies < FUZZ_REPLIES)
		fz->nreplies++;
}
