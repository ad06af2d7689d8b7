// SPDX-License-Identifier: GPL-2.0-only
/* Logging to stderr with a timestamp and a level, and optionally to
 * syslog; library output demoted to debug. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* syslog.h names LOG_INFO and LOG_DEBUG too: take its priorities first,
 * then let our own level names through. */
#include <syslog.h>
static const int syslog_prio[] = { LOG_WARNING, LOG_INFO, LOG_DEBUG };
#undef LOG_INFO
#undef LOG_DEBUG

#include "log.h"
#include "text.h"

#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

static const char *const level_name[] = { "warn", "info", "debug" };
static enum log_level cur_level = LOG_INFO;
static bool to_syslog;

void log_set_level(enum log_level lvl)
{
	cur_level = lvl;
}

enum log_level log_get_level(void)
{
	return cur_level;
}

void log_open_syslog(void)
{
	openlog("xdp-lb", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	to_syslog = true;
}

/* 2026-12-03T21:04:05.123Z: wall clock, UTC, milliseconds. */
static void timestamp(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

static void vlog(enum log_level lvl, const char *fmt, va_list ap)
{
	char msg[4096], ts[32];

	if (lvl > cur_level)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	text_oneline(msg, sizeof(msg));
	timestamp(ts, sizeof(ts));
	/* One fprintf: a line is never split by another writer. */
	fprintf(stderr, "%s %s: %s\n", ts, level_name[lvl], msg);
	if (to_syslog)
		syslog(syslog_prio[lvl], "%s", msg);
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
