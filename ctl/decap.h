/* SPDX-License-Identifier: GPL-2.0-only */
/* The back-end side of tunnel mode: attach/detach bpf/decap.bpf.c. */
#ifndef XLB_DECAP_H
#define XLB_DECAP_H

#include <stddef.h>
#include <linux/types.h>
#include <xdp/libxdp.h>

/* Attach xdp_decap to ifname (it stays attached after we exit). An
 * interface with another XDP program is refused; one with xdp_decap
 * already gets a fresh copy. Returns 0 or a negative errno with one line
 * in err. */
int decap_attach(const char *ifname, enum xdp_attach_mode mode, char *err,
		 size_t errlen);
/* Detach it; refuses another program. */
int decap_detach(const char *ifname, char *err, size_t errlen);
/* Packets decapsulated and passed untouched since it was attached. */
int decap_counters(const char *ifname, __u64 *done, __u64 *passed, char *err,
		   size_t errlen);

#endif
