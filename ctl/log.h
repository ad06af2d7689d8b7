/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Logging: pr_warn/pr_info/pr_debug write one line to stderr with a UTC
 * timestamp and the level, "2026-12-03T21:04:05.123Z warn: ...", and,
 * after log_open_syslog() (--syslog), to syslog (LOG_DAEMON) as well.
 * libbpf and libxdp messages are demoted to debug: shown with -v only.
 */
#ifndef XLB_LOG_H
#define XLB_LOG_H

enum log_level { LOG_WARN = 0, LOG_INFO = 1, LOG_DEBUG = 2 };

void log_set_level(enum log_level lvl);
enum log_level log_get_level(void);
/* Send every message to syslog too (stderr stays). */
void log_open_syslog(void);
/* Route libbpf and libxdp messages through this logger. */
void log_hook_libs(void);
void log_print(enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define pr_warn(...) log_print(LOG_WARN, __VA_ARGS__)
#define pr_info(...) log_print(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) log_print(LOG_DEBUG, __VA_ARGS__)

#endif
