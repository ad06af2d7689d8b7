// SPDX-License-Identifier: GPL-2.0-only
/* Logging to stderr with a level; library output demoted one level. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

static enum log_level cur_level = LOG_INFO;

void log_set_level(enum log_level lvl)
{
	cur_level = lvl;
}

enum log_level log_get_level(void)
{
	return cur_level;
}

static void vlog(enum log_level lvl, const char *fmt, va_list ap)
{
	if (lvl > cur_level)
		return;
	vfprintf(stderr, fmt, ap);
}

void log_print(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(lvl, fmt, ap);
	va_end(ap);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	/* Shown with -v only: our own messages say what failed. */
	if (level == LIBBPF_DEBUG)
		return 0;
	vlog(LOG_DEBUG, fmt, ap);
	return 0;
}

static int libxdp_print(enum libxdp_print_level level, const char *fmt,
			va_list ap)
{
	if (level == LIBXDP_DEBUG)
		return 0;
	vlog(LOG_DEBUG, fmt, ap);
	return 0;
}

void log_hook_libs(void)
{
	libbpf_set_print(libbpf_print);
	libxdp_set_print(libxdp_print);
}
