/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Every default value of the configuration, in one place. The key tables
 * (config_keys.c) take their defaults from here, and so do the modules'
 * own *_defaults() functions (health_cfg_defaults(), policy_defaults(),
 * conntrack_timeouts_default()); a unit test checks that they agree with
 * the tables, and that docs/config.md shows the same values. The sizes
 * (XLB_DEFAULT_TABLE_SIZE, ...) live in include/xdp_lb.h because the BPF
 * map definitions need them too.
 */
#ifndef XLB_CONFIG_DEFAULTS_H
#define XLB_CONFIG_DEFAULTS_H

/* top level, seconds */
#define LB_DEFAULT_SWEEP_INTERVAL 5
#define LB_DEFAULT_NAT_SCAN_INTERVAL 60
#define LB_DEFAULT_DRAIN_TIMEOUT 300
#define LB_DEFAULT_NEW_FLOW_RATE 0 /* flood guard off */
#define LB_DEFAULT_NAT_PORT_MIN 20000
#define LB_DEFAULT_NAT_PORT_MAX 60999

/* announce: the kernel table and route protocol number of our routes */
#define LB_DEFAULT_ANNOUNCE_TABLE 100
#define LB_DEFAULT_ANNOUNCE_PROTOCOL 201
#define LB_DEFAULT_ANNOUNCE_HOLD_MS 3000

/* flow_timeouts: idle seconds */
#define CT_DEFAULT_TCP_SYN 60
#define CT_DEFAULT_TCP_ESTABLISHED 900
#define CT_DEFAULT_TCP_FIN 30
#define CT_DEFAULT_TCP_RST 10
#define CT_DEFAULT_UDP 300
#define CT_DEFAULT_NAT_TIME_WAIT 60

/* a back end */
#define LB_DEFAULT_WEIGHT 100

/* health (and agent: interval and timeout) */
#define HEALTH_DEFAULT_INTERVAL_MS 1000
#define HEALTH_DEFAULT_TIMEOUT_MS 1000
#define HEALTH_DEFAULT_RISE 2
#define HEALTH_DEFAULT_FALL 3
#define HEALTH_DEFAULT_STATUS 200
#define HEALTH_DEFAULT_PATH "/"

/* load */
#define POLICY_DEFAULT_MARGIN 20
#define POLICY_DEFAULT_RESTORE 5
#define POLICY_DEFAULT_FLOOR 10
#define POLICY_DEFAULT_STEP 10
#define POLICY_DEFAULT_MIN_FLOWS 10
#define POLICY_DEFAULT_INTERVAL_MS 2000
#define POLICY_DEFAULT_SLOW_START 0 /* no ramp */

/* scale, seconds (its drain_timeout defaults to the top-level one) */
#define LB_DEFAULT_SCALE_FOR 10
#define LB_DEFAULT_COMMAND_TIMEOUT 30
#define LB_DEFAULT_READY_TIMEOUT 60

#endif
