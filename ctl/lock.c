// SPDX-License-Identifier: GPL-2.0-only
/* Per-interface locks on files in /run/xdp-lb (see lock.h). */
#include "lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api.h"

static void lock_path(const char *ifname, enum lock_kind kind, char *buf,
		      size_t len)
{
	snprintf(buf, len, "%s/%s%s", XLB_RUN_DIR, ifname,
		 kind == LOCK_DATAPATH ? ".dp.lock" : ".lock");
}

/* The file we locked is still the one at path: a holder that drops its
 * lock removes the file first, so a waiter may hold a lock on a file that
 * is gone; it then takes the new one. */
static bool still_linked(int fd, const char *path)
{
	struct stat a, b;

	return !fstat(fd, &a) && !stat(path, &b) && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

int lock_take(const char *ifname, enum lock_kind kind, bool wait, char *err,
	      size_t errlen)
{
	char path[128];
	int fd, ret;

	if (mkdir(XLB_RUN_DIR, 0700) && errno != EEXIST) {
		ret = -errno;
		snprintf(err, errlen, "cannot create %s: %s%s", XLB_RUN_DIR,
			 strerror(errno),
			 errno == EACCES ? " (run as root)" : "");
		return ret;
	}
	lock_path(ifname, kind, path, sizeof(path));
	for (;;) {
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0) {
			ret = -errno;
			snprintf(err, errlen, "cannot open %s: %s%s", path,
				 strerror(errno),
				 errno == EACCES ? " (run as root)" : "");
			return ret;
		}
		while ((ret = flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB))) &&
		       errno == EINTR)
			;
		if (ret) {
			ret = -errno;
			close(fd);
			if (ret != -EWOULDBLOCK)
				snprintf(err, errlen, "cannot lock %s: %s",
					 path, strerror(-ret));
			else
				snprintf(err, errlen, "%s is locked", path);
			return ret;
		}
		if (still_linked(fd, path))
			return fd;
		close(fd);
	}
}

void lock_drop(const char *ifname, enum lock_kind kind, int fd)
{
	char path[128];

	if (fd < 0)
		return;
	lock_path(ifname, kind, path, sizeof(path));
	unlink(path);
	close(fd);
}
