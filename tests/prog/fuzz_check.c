// SPDX-License-Identifier: GPL-2.0-only
/*
 * The data-path fuzzer's judgement of the program's output on its own
 * (invariants that hold whatever the model says) and its reports. See
 * test_fuzz_dp.c.
 */
#define _GNU_SOURCE
#include "fuzz_dp.h"

static const char *const reason_names[] = XLB_REASON_NAMES;

static __u16 g16(const __u8 *p)
{
	return p[0] << 8 | p[1];
}

static __u32 l3_at(const struct frame *f)
{
	__u16 et = g16(f->data + 12);

	return et == 0x8100 || et == 0x88a8 ? 18 : 14;
}

#define SUM_IP 1     /* the IPv4 header's */
#define SUM_L4 2     /* TCP, UDP, ICMP, ICMPv6 over the IP length */
#define SUM_QUOTE 4  /* the IPv4 header an ICMP error quotes */
#define SUM_PARSED 8

/* Which checksums of the IP packet at l3 are right. */
static unsigned sums_ok(const __u8 *f, __u32 len, __u32 l3)
{
	__u32 hl, end, l4, sum, q, qhl;
	unsigned ok = 0;
	bool v4;
	__u8 p;

	if (len < l3 + 20)
		return 0;
	v4 = f[l3] >> 4 == 4;
	if (v4) {
		hl = (f[l3] & 0xf) * 4;
		end = l3 + g16(f + l3 + 2);
		if (hl < 20 || l3 + hl > len || end > len || end < l3 + hl)
			return 0;
		if (dpm_fold(dpm_sum(0, f + l3, hl)) == 0xffff)
			ok |= SUM_IP;
		if (g16(f + l3 + 6) & 0x3fff)
			return ok | SUM_PARSED;
		l4 = l3 + hl;
		p = f[l3 + 9];
	} else {
		if (f[l3] >> 4 != 6 || len < l3 + 40)
			return 0;
		l4 = l3 + 40;
		end = l4 + g16(f + l3 + 4);
		if (end > len)
			return 0;
		p = f[l3 + 6];
	}
	if ((p != 6 && p != 17 && p != 1 && p != 58) ||
	    l4 + (p == 6 ? 20 : 8) > end)
		return ok | SUM_PARSED;
	sum = 0;
	if (p != 1) {
		sum = dpm_sum(0, f + l3 + (v4 ? 12 : 8), v4 ? 8 : 32);
		sum += p + (end - l4);
	}
	if ((p == 17 && v4 && !g16(f + l4 + 6)) ||
	    dpm_fold(dpm_sum(sum, f + l4, end - l4)) == 0xffff)
		ok |= SUM_L4;
	q = l4 + 8;
	if (p == 1 && (f[l4] == 3 || f[l4] == 11) && q + 20 <= end &&
	    f[q] >> 4 == 4) {
		qhl = (f[q] & 0xf) * 4;
		if (qhl >= 20 && q + qhl <= end &&
		    dpm_fold(dpm_sum(0, f + q, qhl)) == 0xffff)
			ok |= SUM_QUOTE;
	}
	return ok | SUM_PARSED;
}

/* The IP packet at l3 within the frame: its lengths say no more than the
 * frame holds, and no less than its own header. */
static bool lengths_ok(const __u8 *f, __u32 len, __u32 l3, bool exact)
{
	__u32 n;

	if (len < l3 + 20)
		return false;
	if (f[l3] >> 4 == 4) {
		n = g16(f + l3 + 2);
		if (n < (f[l3] & 0xfu) * 4 || (f[l3] & 0xf) < 5)
			return false;
	} else if (f[l3] >> 4 == 6 && len >= l3 + 40) {
		n = 40 + g16(f + l3 + 4);
	} else {
		return false;
	}
	return exact ? l3 + n == len : l3 + n <= len;
}

static void hex(const char *title, const struct frame *f, long mark)
{
	struct pkt p;

	p.len = f->len < PKT_MAX ? f->len : PKT_MAX;
	memcpy(p.data, f->data, p.len);
	hexdump(title, &p, mark);
}

static bool broke(struct fuzz *fz, const struct frame *in,
		  const struct frame *out, const char *what)
{
	fz->st.broken++;
	if (fz->printed++ < 5) {
		print_error("fuzz_dp %s: invariant broken: %s (frame %llu)\n",
			    mode_name(fz->mode), what,
			    (unsigned long long)fz->st.frames);
		hex("input", in, -1);
		hex("program's output", out, -1);
	}
	return true;
}

bool check_invariants(struct fuzz *fz, const struct frame *in,
		      const struct frame *out, int verdict, bool internal)
{
	__u32 l3 = l3_at(in), ol3 = l3_at(out), room, n;
	unsigned si, so;

	if (verdict < XDP_DROP || verdict > XDP_REDIRECT)
		return broke(fz, in, out, "verdict XDP_ABORTED or unknown");
	if (verdict == XDP_PASS) {
		if (out->len != in->len || memcmp(out->data, in->data, in->len))
			return broke(fz, in, out, "a passed frame was changed");
		return false;
	}
	if (verdict == XDP_DROP)
		return false;
	si = sums_ok(in->data, in->len, l3);
	if (!(si & SUM_PARSED) || !lengths_ok(in->data, in->len, l3, false))
		return broke(fz, in, out, "forwarded a malformed frame");
	if (fz->mo.flags & XLB_VIP_F_TUNNEL) {
		room = out->data[ol3] >> 4 == 6 ? 40 : 20;
		n = (in->data[l3] >> 4 == 4) ? g16(in->data + l3 + 2) :
					      40u + g16(in->data + l3 + 4);
		if (!lengths_ok(out->data, out->len, ol3, true))
			return broke(fz, in, out, "outer length != frame");
		if (ol3 != l3 || out->len != l3 + room + n ||
		    memcmp(out->data + l3 + room, in->data + l3, n))
			return broke(fz, in, out,
				     "the inner packet is not the input's");
		if (room == 20 && !(sums_ok(out->data, out->len, ol3) & SUM_IP))
			return broke(fz, in, out, "outer IPv4 checksum");
		return false;
	}
	if (!lengths_ok(out->data, out->len, ol3, false) || ol3 != l3)
		return broke(fz, in, out, "IP length inconsistent with frame");
	so = sums_ok(out->data, out->len, ol3);
	if (si & ~so & (SUM_IP | SUM_L4 | SUM_QUOTE))
		return broke(fz, in, out, "a valid checksum became invalid");
	if (!(fz->mo.flags & (XLB_VIP_F_TUNNEL | XLB_VIP_F_NAT)) &&
	    fz->mo.reason != XLB_TX_ICMP_ECHO && !internal &&
	    (out->len != in->len ||
	     memcmp(out->data + 12, in->data + 12, in->len - 12)))
		return broke(fz, in, out, "dsr changed more than the MACs");
	return false;
}

void report_divergence(struct fuzz *fz, const struct frame *in,
		       const struct frame *out, int verdict, bool internal)
{
	const struct dpm_out *mo = &fz->mo;
	struct frame mf;
	__u32 r, got = XLB_REASON_MAX;
	long off = -1;

	/* the reason the program counted: the one that moved */
	for (r = 0; r < XLB_REASON_MAX; r++) {
		__u64 c = reason_get(fz->e, r).packets;

		if (c > fz->tally[r])
			got = r;
		fz->tally[r] = c; /* in step again */
	}
	if (got == XLB_REASON_MAX)
		got = mo->reason;
	fz->st.diverged++;
	if (fz->printed++ >= 5)
		return;
	mf.len = mo->len;
	memcpy(mf.data, mo->data, mo->len);
	for (r = 0; r < out->len && r < mf.len; r++)
		if (out->data[r] != mf.data[r]) {
			off = r;
			break;
		}
	print_error("fuzz_dp %s: divergence at frame %llu (%s side): program "
		    "%s/%s, model %s/%s; outputs differ at %ld (lengths %u, "
		    "%u)\n",
		    mode_name(fz->mode), (unsigned long long)fz->st.frames,
		    internal ? "internal" : "external", verdict_name(verdict),
		    got < XLB_REASON_MAX ? reason_names[got] : "?",
		    verdict_name(mo->verdict), reason_names[mo->reason], off,
		    out->len, mo->len);
	hex("input", in, -1);
	hex("program's output", out, off);
	hex("model's output", &mf, off);
}

void print_stats(const struct fuzz *fz)
{
	const struct fuzz_stats *s = &fz->st;
	__u32 r;

	printf("# fuzz_dp %s: %llu frames (%llu mutated, %llu on the internal "
	       "side, %llu map changes) in %.1f s: PASS %llu, DROP %llu, TX %llu, REDIRECT "
	       "%llu; %llu divergences, %llu invariant breaks, %llu not "
	       "predictable\n#   reasons:",
	       mode_name(fz->mode), (unsigned long long)s->frames,
	       (unsigned long long)s->mutated, (unsigned long long)s->internal,
	       (unsigned long long)s->changes, s->ns / 1e9, (unsigned long long)s->verdicts[XDP_PASS],
	       (unsigned long long)s->verdicts[XDP_DROP],
	       (unsigned long long)s->verdicts[XDP_TX],
	       (unsigned long long)s->verdicts[XDP_REDIRECT],
	       (unsigned long long)s->diverged, (unsigned long long)s->broken,
	       (unsigned long long)s->skipped);
	for (r = 0; r < XLB_REASON_MAX; r++)
		if (s->reasons[r])
			printf(" %s %llu", reason_names[r],
			       (unsigned long long)s->reasons[r]);
	printf("\n");
	fflush(stdout);
}
