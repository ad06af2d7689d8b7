/* SPDX-License-Identifier: GPL-2.0-only */
/* The controller's event loop: what `xdp-lb attach` runs in the
 * foreground once the data path is open. */
#ifndef XLB_DAEMON_H
#define XLB_DAEMON_H

struct dp;
struct lb_config;

/*
 * Apply cfg (read from cfg_path) to the open data path, serve the control
 * socket, probe, sweep and follow load until SIGINT or SIGTERM. Returns an
 * exit code (XLB_EXIT_*), having printed one line on failure.
 */
int daemon_run(struct dp *dp, const char *cfg_path,
	       const struct lb_config *cfg);

#endif
