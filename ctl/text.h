/* SPDX-License-Identifier: GPL-2.0-only */
/* Text that reaches a terminal or the log: one line, no control bytes. */
#ifndef XLB_TEXT_H
#define XLB_TEXT_H

#include <stddef.h>

/*
 * Rewrite the string in buf (size bytes) in place so that it holds no
 * control character: \n, \r, \t as two characters, other bytes below
 * 0x20 and 0x7f as \xNN. A trailing newline is dropped first. What does
 * not fit is cut, ending in "...". Returns buf.
 */
char *text_oneline(char *buf, size_t size);

#endif
