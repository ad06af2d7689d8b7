// SPDX-License-Identifier: GPL-2.0-only
/*
 * Replays the libFuzzer seed corpus (tests/fuzz/corpus/) through the two
 * harnesses, built here without libFuzzer: every config and every
 * request of the corpus, with the harnesses' checks (no crash, errors one
 * line, every reply with "ok"). `make fuzz-ctl` runs the harnesses for
 * minutes under ASan+UBSan; this keeps what they found fixed. Named
 * test_state* to link the fake data plane as the state tests do.
 */
#include <dirent.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#define LLVMFuzzerTestOneInput fuzz_config_one
#include "../fuzz/fuzz_config.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_api_one
#include "../fuzz/fuzz_api.c"
#undef LLVMFuzzerTestOneInput

static size_t replay(const char *dir, int (*one)(const uint8_t *, size_t))
{
	char path[512], *buf;
	struct dirent *de;
	struct stat sb;
	size_t n = 0;
	FILE *f;
	DIR *d = opendir(dir);

	if (!d)
		fail_msg("cannot open the corpus %s", dir);
	while ((de = readdir(d))) {
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (stat(path, &sb) || !S_ISREG(sb.st_mode))
			continue;
		buf = malloc(sb.st_size + 1);
		f = fopen(path, "rb");
		assert_non_null(buf);
		assert_non_null(f);
		assert_int_equal(fread(buf, 1, sb.st_size, f), sb.st_size);
		fclose(f);
		one((const uint8_t *)buf, sb.st_size);
		free(buf);
		n++;
	}
	closedir(d);
	return n;
}

static void test_corpus_config(void **state)
{
	size_t n = replay("tests/fuzz/corpus/config", fuzz_config_one);

	printf("# %zu configs replayed\n", n);
	assert_true(n >= 10);
}

static void test_corpus_api(void **state)
{
	size_t n = replay("tests/fuzz/corpus/api", fuzz_api_one);

	printf("# %zu requests replayed\n", n);
	assert_true(n >= 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus_config),
		cmocka_unit_test(test_corpus_api),
	};

	return cmocka_run_group_tests_name("corpus", tests, NULL, NULL);
}
