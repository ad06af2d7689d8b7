// SPDX-License-Identifier: GPL-2.0-only
/* The console page, ctl/www/index.html, built into the binary (the
 * Makefile rebuilds this object when the page changes). */
#include "http.h"

__asm__(".section .rodata\n"
	".global www_index\n"
	".type www_index, @object\n"
	"www_index:\n"
	".incbin \"ctl/www/index.html\"\n"
	".global www_index_end\n"
	".type www_index_end, @object\n"
	"www_index_end:\n"
	".byte 0\n"
	".previous\n");
