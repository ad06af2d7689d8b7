/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Per-interface locks, flock(2) on files in /run/xdp-lb:
 *   IFACE.lock     held by the controller for its whole life, and by
 *                  detach: "a controller runs" without check-then-act;
 *   IFACE.dp.lock  held around every change of the attached program
 *                  (attach's load, upgrade, detach), which upgrade needs
 *                  while a controller runs.
 * The kernel drops a lock when its holder dies, so a kill -9 leaves no
 * stale lock behind, only a file the next holder reuses.
 */
#ifndef XLB_LOCK_H
#define XLB_LOCK_H

#include <stdbool.h>
#include <stddef.h>

enum lock_kind {
	LOCK_CONTROLLER, /* IFACE.lock */
	LOCK_DATAPATH,	 /* IFACE.dp.lock */
};

/*
 * Take the lock; with wait false, fail at once if it is held. Returns an
 * open fd (>= 0), -EWOULDBLOCK if held (wait false), or another negative
 * errno with one line in err.
 */
int lock_take(const char *ifname, enum lock_kind kind, bool wait, char *err,
	      size_t errlen);
/* Remove the file and drop the lock (fd < 0: nothing). */
void lock_drop(const char *ifname, enum lock_kind kind, int fd);

#endif
