/* SPDX-License-Identifier: MIT */
/* Hex and base64 text → bytes; what decodes encodes and decodes again to the same bytes. */
#include <stdlib.h>
#include <string.h>

#include "cardstrap/encoding.h"
#include "common.h"

static void check_hex(const char *text, size_t len)
{
	struct cs_buf b = {0}, again = {0};
	struct cs_errinfo ei;
	bool looks = cs_hex_looks_like(text, len);
	int err;
	char *hex;
	size_t need;

	cs_errinfo_clear(&ei);
	err = cs_hex_decode(text, len, &b, &ei);
	if (looks)
		FUZZ_CHECK(err == 0 && b.len > 0);
	if (err) {
		fuzz_check_error(err, &ei, len);
		FUZZ_CHECK(ei.offset >= 0 && (size_t)ei.offset <= len);
		cs_buf_free(&b);
		return;
	}
	FUZZ_CHECK(b.len <= len / 2);
	need = cs_hex_encode(b.data, b.len, ':', NULL, 0);
	hex = malloc(need + 1);
	FUZZ_CHECK(hex != NULL);
	FUZZ_CHECK(cs_hex_encode(b.data, b.len, ':', hex, need + 1) == need);
	FUZZ_CHECK(strlen(hex) == need);
	FUZZ_CHECK(cs_hex_decode(hex, need, &again, &ei) == 0);
	FUZZ_CHECK(again.len == b.len && (!b.len || !memcmp(again.data, b.data, b.len)));
	free(hex);
	cs_buf_free(&again);
	cs_buf_free(&b);
}

static void check_base64(const char *text, size_t len)
{
	struct cs_buf b = {0}, enc = {0}, again = {0};
	struct cs_errinfo ei;
	int err;

	cs_errinfo_clear(&ei);
	err = cs_base64_decode(text, len, &b, &ei);
	if (err) {
		fuzz_check_error(err, &ei, len);
		cs_buf_free(&b);
		return;
	}
	FUZZ_CHECK(b.len <= (len / 4 + 1) * 3);
	FUZZ_CHECK(cs_base64url_encode(b.data, b.len, &enc) == 0);
	FUZZ_CHECK(enc.data[enc.len] == '\0' && strlen((const char *)enc.data) == enc.len);
	FUZZ_CHECK(cs_base64_decode((const char *)enc.data, enc.len, &again, &ei) == 0);
	FUZZ_CHECK(again.len == b.len && (!b.len || !memcmp(again.data, b.data, b.len)));
	cs_buf_free(&again);
	cs_buf_free(&enc);
	cs_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a copy without a NUL after it, so that reading past len is caught */
	char *text = malloc(size ? size : 1);

	FUZZ_CHECK(text != NULL);
	if (size)
		memcpy(text, data, size);
	check_hex(text, size);
	check_base64(text, size);
	free(text);
	return 0;
}
