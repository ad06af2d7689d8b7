// SPDX-License-Identifier: GPL-2.0-only
/* One-line text: control characters escaped (see text.h). */
#include "text.h"

#include <stdio.h>
#include <stdbool.h>
#include <string.h>

static bool needs_escape(unsigned char ch)
{
	return ch < 0x20 || ch == 0x7f;
}

char *text_oneline(char *buf, size_t size)
{
	char tmp[4096], esc[5];
	size_t n, i, o = 0;
	bool cut = false;

	if (!size)
		return buf;
	n = strnlen(buf, size - 1);
	while (n && buf[n - 1] == '\n')
		n--;
	buf[n] = '\0';
	for (i = 0; i < n && needs_escape((unsigned char)buf[i]) == 0; i++)
		;
	if (i == n)
		return buf; /* the usual case: nothing to do */
	if (n >= sizeof(tmp))
		n = sizeof(tmp) - 1;
	memcpy(tmp, buf, n);
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)tmp[i];
		size_t len;

		if (!needs_escape(ch)) {
			esc[0] = (char)ch;
			esc[1] = '\0';
		} else if (ch == '\n' || ch == '\r' || ch == '\t') {
			snprintf(esc, sizeof(esc), "\\%c",
				 ch == '\n' ? 'n' : ch == '\r' ? 'r' : 't');
		} else {
			snprintf(esc, sizeof(esc), "\\x%02x", ch);
		}
		len = strlen(esc);
		if (o + len + 4 > size) {
			cut = true;
			break;
		}
		memcpy(buf + o, esc, len);
		o += len;
	}
	if (cut && size >= 4) {
		if (o + 3 >= size)
			o = size - 4;
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}
