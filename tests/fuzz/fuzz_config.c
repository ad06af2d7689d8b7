// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer harness for the config parser (ctl/config*.c): any bytes are
 * a file. Beyond the sanitizers, it checks the parser's promises: an error
 * is one line with no control character and names the file; a config that
 * loads has every count within its arrays.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lb_config cfg;
	char err[512];
	size_t i;

	err[0] = '\0';
	if (config_load_string((const char *)data, size, "fuzz.yaml", &cfg,
			       err, sizeof(err))) {
		for (i = 0; err[i]; i++)
			if ((unsigned char)err[i] < 0x20 || err[i] == 0x7f) {
				fprintf(stderr, "control byte in error: %s\n",
					err);
				abort();
			}
		if (strncmp(err, "fuzz.yaml", 9)) {
			fprintf(stderr, "error without the file: %s\n", err);
			abort();
		}
		return 0;
	}
	for (i = 0; i < cfg.n_services; i++)
		if (cfg.services[i].n_backends && !cfg.services[i].backends)
			abort();
	config_free(&cfg);
	return 0;
}
