/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The data-path fuzzer's harness (test_fuzz_dp.c, fuzz_dp.c): seeds,
 * mutations, the program's invariants and the report. The model it
 * compares with is tests/fuzz/dp_model.h.
 */
#ifndef XLB_TEST_FUZZ_DP_H
#define XLB_TEST_FUZZ_DP_H

#include "xdp_env.h"
#include "../fuzz/dp_model.h"

/* MODE_MIXED: a mode per service, and services change modes */
enum fuzz_mode { MODE_DSR, MODE_TUNNEL, MODE_NAT, MODE_MIXED };

struct frame {
	__u8 data[DPM_FRAME_MAX];
	__u32 len;
};

struct fuzz_stats {
	__u64 frames, skipped, diverged, broken, internal, mutated, changes, ns;
	__u64 verdicts[8];
	__u64 reasons[XLB_REASON_SLOTS];
};

#define FUZZ_SEEDS_MAX 256
#define FUZZ_REPLIES 64
#define FUZZ_IN_MAX 1000 /* input frames: room for 40 more bytes out */

struct fuzz {
	struct env *e;
	struct dpm *m;
	enum fuzz_mode mode;
	__u64 rng;
	__u32 left;  /* frames left in the epoch */
	struct frame seeds[FUZZ_SEEDS_MAX];
	__u32 nseeds;
	struct frame replies[FUZZ_REPLIES]; /* nat: back ends' answers */
	__u32 nreplies, reply_next;
	__u64 tally[XLB_REASON_SLOTS]; /* reasons as the model counts */
	struct dpm_out mo;
	struct fuzz_stats st;
	__u32 printed;
};

__u32 rnd(struct fuzz *fz, __u32 n);
const char *mode_name(enum fuzz_mode m);
void on_cpu0(void);
/* Every fixture and the extra seeds, built. */
void seeds_build(struct fuzz *fz);
/* The next input (a seed, maybe mutated); true: from the internal side. */
bool pick_frame(struct fuzz *fz, struct frame *in);
/* A nat request as forwarded: its back end's reply becomes a seed. */
void reply_remember(struct fuzz *fz, const struct frame *out);
/* The program's own invariants; true (and counted) if one broke. */
bool check_invariants(struct fuzz *fz, const struct frame *in,
		      const struct frame *out, int verdict, bool internal);
void report_divergence(struct fuzz *fz, const struct frame *in,
		       const struct frame *out, int verdict, bool internal);
void print_stats(const struct fuzz *fz);

#endif
