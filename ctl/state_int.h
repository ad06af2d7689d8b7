/* SPDX-License-Identifier: GPL-2.0-only */
/* What the pieces of the state layer (ctl/state*.c) share; not an API. */
#ifndef XLB_STATE_INT_H
#define XLB_STATE_INT_H

#include <linux/types.h>

/* The clock the state layer runs on (CLOCK_MONOTONIC ns): load
 * evaluations, ramps, drains, the scaler. NULL: the system's; a test sets
 * its own to step time. */
extern __u64 (*state_clock)(void);

#endif
