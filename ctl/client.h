/* SPDX-License-Identifier: GPL-2.0-only */
/* The commands that talk to a running controller over its socket. */
#ifndef XLB_CLIENT_H
#define XLB_CLIENT_H

struct cli_args;

int cmd_status(struct cli_args *a);
int cmd_reload(struct cli_args *a);
int cmd_service_add(struct cli_args *a);
int cmd_service_del(struct cli_args *a);
int cmd_backend_add(struct cli_args *a);
int cmd_backend_del(struct cli_args *a);
int cmd_backend_drain(struct cli_args *a);
int cmd_backend_undrain(struct cli_args *a);
int cmd_backend_weight(struct cli_args *a);
int cmd_node_drain(struct cli_args *a);
int cmd_node_undrain(struct cli_args *a);

#endif
