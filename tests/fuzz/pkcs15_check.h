/* SPDX-License-Identifier: MIT */
#ifndef CARDSTRAP_FUZZ_PKCS15_CHECK_H
#define CARDSTRAP_FUZZ_PKCS15_CHECK_H

#include <string.h>

#include "cardstrap/pkcs15.h"
#include "common.h"

/* pkcs15.h: labels are cut to CS_PKCS15_MAX_LABEL bytes of UTF-8 without control bytes. */
static inline void check_label(const char *s, size_t room)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strnlen(s, room);

	FUZZ_CHECK(n < room && n <= CS_PKCS15_MAX_LABEL);
	for (size_t i = 0; i < n;) {
		size_t len = p[i] < 0x80 ? 1 : p[i] >= 0xF0 ? 4 : p[i] >= 0xE0 ? 3 : 2;

		FUZZ_CHECK(p[i] >= 0x20 && p[i] != 0x7F);
		FUZZ_CHECK(p[i] < 0x80 || (p[i] >= 0xC2 && p[i] <= 0xF4));
		FUZZ_CHECK(i + len <= n);
		for (size_t k = 1; k < len; k++)
			FUZZ_CHECK((p[i + k] & 0xC0) == 0x80);
		i += len;
	}
}

/* The parsers' common rules: *n only grows, never past max; errors are well-formed. */
static inline void check_parse_result(int err, const struct cs_errinfo *ei, size_t len,
				      size_t n_before, size_t n, size_t max)
{
	FUZZ_CHECK(n >= n_before && n <= max);
	if (err) {
		fuzz_check_error(err, ei, len);
		FUZZ_CHECK(err == CS_ERR_TRUNCATED || err == CS_ERR_MALFORMED ||
			   err == CS_ERR_LIMIT);
	}
}

#endif
