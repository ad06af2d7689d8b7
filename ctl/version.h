/* SPDX-License-Identifier: GPL-2.0-only */
/* The controller's version (--version, status, xdp_lb_build_info). */
#ifndef XLB_VERSION_H
#define XLB_VERSION_H

#define XLB_VERSION "0.1.0"

#endif
