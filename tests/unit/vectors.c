/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cardstrap/encoding.h"
#include "vectors.h"

#define EXPECT_TAG "# expect:"

const char *vector_dir(void)
{
	const char *dir = getenv("VECTORS");

	return dir && *dir ? dir : "applet-spec/vectors";
}

char *vector_text(const char *name, size_t *len)
{
	char path[512], *text;
	long n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", vector_dir(), name);
	f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s (run from the top directory or set VECTORS)", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	text = malloc((size_t)n + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	text[n] = '\0';
	if (len)
		*len = (size_t)n;
	return text;
}

void vector_bytes(const char *name, struct cs_buf *b)
{
	struct cs_errinfo ei;
	size_t len;
	char *text = vector_text(name, &len);

	assert_true(len > 0);
	cs_buf_init(b);
	cs_errinfo_clear(&ei);
	if (cs_hex_decode(text, len, b, &ei))
		fail_msg("%s: not hex: %s (byte %ld)", name, ei.msg, ei.offset);
	free(text);
}

void vector_model(const char *name, struct cs_model *m)
{
	struct cs_errinfo ei;
	struct cs_buf b;

	vector_bytes(name, &b);
	cs_model_init(m);
	cs_errinfo_clear(&ei);
	if (cs_model_load_bsfile(m, b.data, b.len, &ei))
		fail_msg("%s: does not decode: %s (byte %ld)", name, ei.msg, ei.offset);
	cs_buf_free(&b);
}

void vector_expect(const char *text, char *out, size_t outsz)
{
	const char *line;
	size_t n;

	assert_true(outsz > 0);
	out[0] = '\0';
	for (line = text; line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		if (strncmp(line, EXPECT_TAG, strlen(EXPECT_TAG)) != 0)
			continue;
		line += strlen(EXPECT_TAG);
		line += strspn(line, " \t");
		n = strcspn(line, " \t\r\n");
		assert_true(n < outsz);
		memcpy(out, line, n);
		out[n] = '\0';
		return;
	}
}
