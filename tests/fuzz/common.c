/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cardstrap/buf.h"
#include "cardstrap/encoding.h"
#include "common.h"

void fuzz_fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "property violated: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

void fuzz_check_error(int err, const struct cs_errinfo *ei, size_t len)
{
	FUZZ_CHECK(err < 0);
	FUZZ_CHECK(ei->code == err);
	FUZZ_CHECK(memchr(ei->msg, '\0', sizeof(ei->msg)) != NULL);
	FUZZ_CHECK(ei->offset >= -1 && (ei->offset < 0 || (size_t)ei->offset <= len));
}

char *fuzz_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* applet-spec/vectors/ef-two-servers-acl.hex */
static const char card_hex[] = "0003015200000000DA080053C80022636F6170733A2F2F626F6F747374726170"
			       "2E6578616D706C652E636F6D3A35363834C10101C10200C8031062732D696465"
			       "6E746974792D30303031C004C80510303132333435363738393A3B3C3D3E3F08"
			       "0151C8001C636F6170733A2F2F646D312E6578616D706C652E636F6D3A353638"
			       "34C10100C10200C80311646D312D6964656E746974792D30303031C004C80510"
			       "404142434445464748494A4B4C4D4E4FC10A6508022DC8001B636F61703A2F2F"
			       "646D322E6578616D706C652E636F6D3A35363833C10100C10203C003C004C005"
			       "C10A66000100002708000FC10065C40100015180C10601C10755080112C10066"
			       "C201012CC20300C8C10601C20755510002000042080017C10003C4010000FFFF"
			       "8602416510416610C4030000FFFF080111C10003C101008602416507416601C1"
			       "0365080211C10001C101008602416507416601C10365";

void fuzz_card_model(struct cs_model *m)
{
	struct cs_buf b = {0};
	struct cs_errinfo ei;

	cs_model_init(m);
	if (cs_hex_decode(card_hex, sizeof(card_hex) - 1, &b, &ei) ||
	    cs_model_load_bsfile(m, b.data, b.len, &ei))
		fuzz_fail("the fixed card does not load: %s", ei.msg);
	cs_buf_free(&b);
}

void fuzz_model_bytes(const struct cs_model *m, struct cs_buf *out)
{
	struct cs_errinfo ei;

	if (cs_model_to_bsfile(m, out, &ei))
		fuzz_fail("a loaded model does not encode: %s", ei.msg);
}
