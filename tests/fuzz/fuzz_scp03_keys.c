/* SPDX-License-Identifier: MIT */
/*
 * The --scp03-keys file (cs_scp03_keys_parse). Errors must name the line
 * but never a value: no run of 16 or more hex digits from the input may
 * appear in the message.
 */
#include <string.h>

#include "cardstrap/scp03.h"
#include "common.h"

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static void check_no_key_in(const char *msg, const char *text, size_t len)
{
	char run[17];

	for (size_t i = 0; i + 16 <= len; i++) {
		size_t k = 0;

		while (k < 16 && is_hex(text[i + k]))
			k++;
		if (k < 16)
			continue;
		memcpy(run, text + i, 16);
		run[16] = '\0';
		if (strstr(msg, run))
			fuzz_fail("error message quotes key material: %s", msg);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cs_scp03_keys k;
	struct cs_errinfo ei;
	const char *text = (const char *)data; /* not NUL-terminated */
	int err;

	cs_errinfo_clear(&ei);
	err = cs_scp03_keys_parse(text, size, &k, &ei);
	if (err) {
		fuzz_check_error(err, &ei, size);
		FUZZ_CHECK(err == CS_ERR_MALFORMED || err == CS_ERR_RANGE);
		check_no_key_in(ei.msg, text, size);
	} else {
		FUZZ_CHECK(k.len == 16 || k.len == 24 || k.len == 32);
	}
	cs_scp03_keys_clear(&k);
	return 0;
}
