/* SPDX-License-Identifier: GPL-2.0-only */
/* The YAML configuration: reading and validation. */
#ifndef XLB_CONFIG_H
#define XLB_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "addr.h"
#include "config_defaults.h" /* LB_DEFAULT_*: every default */
#include "conntrack.h"
#include "health.h"
#include "policy.h"

#define LB_CMD_MAX 512 /* a standby's start/stop command */

/* A configuration file is at most this big and this deeply nested: far
 * above any real one (65,536 back ends take ~3 MB), small enough that
 * parsing one never stops the loop for long. */
#define XLB_CONFIG_MAX_BYTES (8 * 1024 * 1024)
#define XLB_CONFIG_MAX_DEPTH 32
#define LB_NAME_MAX 64		/* service name, including the NUL */
#define LB_WEIGHT_MAX 65535	/* weights are 0..65535, 0 = drain */

struct lb_backend_cfg {
	struct lb_addr addr;
	__u32 weight;
	bool has_mac;
	__u8 mac[6];
	struct health_cfg health; /* the service's, with this back end's
				   * overrides applied */
	struct health_cfg agent; /* load reports (type NONE: none), the
				  * service's with overrides applied */
	__u32 capacity; /* live flows that make 100% load, 0: not set */
	__u16 port;	/* nat: the back end's port, 0: the VIP's */
	char start[LB_CMD_MAX]; /* standby: shell commands */
	char stop[LB_CMD_MAX];
	int line; /* line in the file, for messages */
};

/* When to start a standby and when to stop it again. */
struct lb_scale_cfg {
	__u32 high; /* percent: every active back end above it ... */
	__u32 low;  /* percent: every active back end below it ... */
	__u32 for_s; /* ... for this many seconds */
	__u32 command_timeout; /* seconds a start/stop command may run */
	__u32 ready_timeout; /* seconds a started standby has to pass probes */
	__u32 drain_timeout; /* seconds a stopping standby may drain */
};

/* Announcing VIPs: routes in a kernel table that a routing daemon (BIRD)
 * exports by BGP (docs/cluster.md). */
struct lb_announce_cfg {
	bool enabled;	       /* the services' default */
	bool withdraw_on_exit; /* SIGTERM/SIGINT withdraws the routes */
	__u32 table;	       /* kernel routing table, never main/local */
	__u32 protocol;	       /* the routes' protocol number: ours */
	__u32 hold_ms;	       /* health quiet this long before announcing */
};

struct lb_service_cfg {
	char name[LB_NAME_MAX];
	struct lb_addr vip;
	__u16 port; /* host order */
	__u8 proto; /* IPPROTO_TCP / IPPROTO_UDP */
	struct health_cfg health; /* type HEALTH_NONE: no probes */
	struct health_cfg agent;  /* type HEALTH_NONE: no agent */
	struct load_policy load;  /* .enabled: a load block or an agent */
	struct lb_backend_cfg *backends;
	size_t n_backends;
	struct lb_backend_cfg *standby; /* started by the scaler */
	size_t n_standby;
	struct lb_scale_cfg scale; /* valid when n_standby */
	bool tunnel;		   /* mode: tunnel */
	bool nat;		   /* mode: nat */
	bool persist;		   /* persistence: src-ip */
	__u8 persist_prefix;	   /* bits of the client address that count */
	bool announce;		   /* route the VIP while it can serve */
	int line;
	bool broken; /* had an error (config_load_*_all reads on) */
};

/* The operator's HTTP listener (metrics, console, API); off unless set. */
#define LB_HTTP_PATH_MAX 256
struct lb_http_cfg {
	bool enabled;		/* an http block with listen */
	struct lb_addr addr;	/* listen address */
	__u16 port;
	char token_file[LB_HTTP_PATH_MAX]; /* "": actions refused */
};

struct lb_config {
	__u32 table_size;   /* prime, default XLB_DEFAULT_TABLE_SIZE */
	__u32 max_flows;    /* per family flow table entries */
	__u32 max_services;
	__u32 max_backends;
	struct flow_timeouts timeouts; /* flow_timeouts: idle seconds */
	__u32 sweep_interval;	       /* seconds between flow sweeps */
	__u32 nat_scan_interval;       /* seconds between nat orphan scans */
	__u32 drain_timeout;	       /* seconds a removal may drain */
	__u32 new_flow_rate;	       /* flood guard: new flows/s per CPU, 0 off */
	__u32 new_flow_burst;	       /* its bucket, in flows */
	/* tunnel mode: outer source prefixes (plen 0: not set) */
	struct lb_addr tun_src4, tun_src6;
	__u8 tun_plen4, tun_plen6;
	/* nat mode */
	__u16 nat_port_min, nat_port_max;
	struct lb_addr nat_src4, nat_src6; /* family 0: the internal
					    * interface's address */
	struct lb_http_cfg http;
	struct lb_announce_cfg announce;
	struct lb_service_cfg *services;
	size_t n_services;
};

/*
 * Read and validate a configuration. On error returns a negative errno and
 * writes one line (no trailing newline) to err, of the form
 * "FILE:LINE: KEY: what is wrong", e.g.
 * "lb.yaml:7: services[0].backends[1].weight: 70000 is out of range 0..65535".
 * On success cfg is filled and must be released with config_free().
 */
int config_load_file(const char *path, struct lb_config *cfg, char *err,
		     size_t errlen);
/* Same, from a buffer; name is used in messages in place of the path. */
int config_load_string(const char *buf, size_t len, const char *name,
		       struct lb_config *cfg, char *err, size_t errlen);
/* Same as config_load_file, but reads on past errors: fn gets each error
 * line (same form as above) in file order; err keeps the first. */
typedef void (*config_err_fn)(const char *line, void *arg);
int config_load_file_all(const char *path, struct lb_config *cfg,
			 char *err, size_t errlen, config_err_fn fn,
			 void *arg);
int config_load_string_all(const char *buf, size_t len, const char *name,
			   struct lb_config *cfg, char *err, size_t errlen,
			   config_err_fn fn, void *arg);
void config_free(struct lb_config *cfg);

/* Validate a service name: 1..63 chars of [A-Za-z0-9_.-], not starting
 * with '-' ; returns true if valid. Used by the CLI as well. */
bool config_name_valid(const char *name);

/* true if n is prime (table sizes must be prime). */
bool config_is_prime(__u32 n);

#endif
