/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Assertions that name what they check, shared by the unit tests:
 * "<what>: 2 != expected 3". Include after <cmocka.h>.
 */
#ifndef XLB_TEST_CHECK_H
#define XLB_TEST_CHECK_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static inline void check_int(long long got, long long want, const char *fmt,
			     ...) __attribute__((format(printf, 3, 4)));

static inline void check_int(long long got, long long want, const char *fmt,
			     ...)
{
	char what[256];
	va_list ap;

	if (got == want)
		return;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	fail_msg("%s: %lld != expected %lld", what, got, want);
}

static inline void check_str(const char *got, const char *want,
			     const char *what)
{
	if (strcmp(got, want))
		fail_msg("%s: \"%s\" != expected \"%s\"", what, got, want);
}

#endif
