/* SPDX-License-Identifier: MIT */
/*
 * OMA-TLV: the reader over every nesting level, every typed decoder, and
 * the writer: each entry read is written again in its shortest form and
 * must read back the same.
 */
#include <string.h>

#include "cardstrap/tlv.h"
#include "common.h"

#define MAX_DEPTH 8

static void check_decoders(const uint8_t *v, size_t n)
{
	uint8_t out[8];
	int64_t i, i2;
	uint64_t u, u2;
	double d, d2;
	bool b;
	uint16_t oid, iid, oid2, iid2;
	size_t w;

	if (cs_tlv_int_decode(v, n, &i) == 0) {
		w = cs_tlv_int_encode(i, out);
		FUZZ_CHECK(w <= n);
		FUZZ_CHECK(cs_tlv_int_decode(out, w, &i2) == 0 && i2 == i);
	} else {
		FUZZ_CHECK(n != 1 && n != 2 && n != 4 && n != 8);
	}
	if (cs_tlv_uint_decode(v, n, &u) == 0) {
		w = cs_tlv_uint_encode(u, out);
		FUZZ_CHECK(w <= n);
		FUZZ_CHECK(cs_tlv_uint_decode(out, w, &u2) == 0 && u2 == u);
	}
	if (cs_tlv_float_decode(v, n, &d) == 0) {
		FUZZ_CHECK(n == 4 || n == 8);
		w = cs_tlv_float_encode(d, out);
		FUZZ_CHECK(w <= n || d != d);
		/* bit for bit, so NaN payloads and -0 count */
		FUZZ_CHECK(cs_tlv_float_decode(out, w, &d2) == 0 && !memcmp(&d, &d2, sizeof(d)));
	} else {
		FUZZ_CHECK(n != 4 && n != 8);
	}
	switch (cs_tlv_bool_decode(v, n, &b)) {
	case 0:
		FUZZ_CHECK(n == 1 && v[0] == b);
		FUZZ_CHECK(cs_tlv_bool_encode(b, out) == 1 && out[0] == v[0]);
		break;
	case CS_ERR_RANGE: FUZZ_CHECK(n == 1 && v[0] > 1); break;
	default: FUZZ_CHECK(n != 1);
	}
	if (cs_tlv_objlnk_decode(v, n, &oid, &iid) == 0) {
		FUZZ_CHECK(cs_tlv_objlnk_encode(oid, iid, out) == 4 && !memcmp(out, v, 4));
		FUZZ_CHECK(cs_tlv_objlnk_decode(out, 4, &oid2, &iid2) == 0 && oid2 == oid &&
			   iid2 == iid);
	} else {
		FUZZ_CHECK(n != 4);
	}
}

/* The entry written again (shortest header) reads back as the same entry. */
static void check_rewrite(const struct cs_tlv *e)
{
	struct cs_buf b = {0};
	struct cs_tlv_reader r;
	struct cs_tlv e2;
	struct cs_errinfo ei;

	FUZZ_CHECK(cs_tlv_write(&b, e->kind, e->id, e->value, e->len) == 0);
	cs_tlv_reader_init(&r, b.data, b.len, 0);
	FUZZ_CHECK(cs_tlv_read(&r, &e2, &ei) == 1);
	FUZZ_CHECK(e2.kind == e->kind && e2.id == e->id && e2.len == e->len);
	FUZZ_CHECK(e2.header_len <= e->header_len);
	FUZZ_CHECK(e2.header_len + e2.len == b.len);
	FUZZ_CHECK(!e->len || !memcmp(e2.value, e->value, e->len));
	FUZZ_CHECK(cs_tlv_read(&r, &e2, &ei) == 0);
	cs_buf_free(&b);
}

static void walk(const uint8_t *buf, size_t len, size_t base, int depth)
{
	struct cs_tlv_reader r, child;
	struct cs_tlv e;
	struct cs_errinfo ei;
	size_t pos;
	int rc;

	cs_tlv_reader_init(&r, buf, len, base);
	for (;;) {
		pos = r.pos;
		cs_errinfo_clear(&ei);
		rc = cs_tlv_read(&r, &e, &ei);
		if (rc <= 0)
			break;
		FUZZ_CHECK(e.offset == base + pos);
		FUZZ_CHECK(e.header_len >= 2 && e.header_len <= 6);
		FUZZ_CHECK(e.value == buf + pos + e.header_len);
		FUZZ_CHECK(e.len <= len - pos - e.header_len);
		FUZZ_CHECK(r.pos == pos + e.header_len + e.len);
		FUZZ_CHECK((unsigned)e.kind == (unsigned)(buf[pos] >> 6));
		FUZZ_CHECK(strcmp(cs_tlv_kind_name(e.kind), "unknown TLV kind"));
		check_decoders(e.value, e.len);
		check_rewrite(&e);
		if ((e.kind == CS_TLV_OBJECT_INSTANCE || e.kind == CS_TLV_MULTIPLE_RESOURCE) &&
		    depth < MAX_DEPTH) {
			cs_tlv_reader_enter(&e, &child);
			FUZZ_CHECK(child.base == e.offset + e.header_len && child.len == e.len);
			walk(e.value, e.len, child.base, depth + 1);
		}
	}
	if (rc < 0) {
		FUZZ_CHECK(rc == CS_ERR_TRUNCATED);
		FUZZ_CHECK(ei.offset == (long)(base + pos));
		FUZZ_CHECK(r.pos == pos);
	} else {
		FUZZ_CHECK(r.pos == len);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	walk(data, size, 0, 0);
	/* as a record's TLV after a 5-byte bsfile record header */
	if (size > 5)
		walk(data + 5, size - 5, 5, 0);
	check_decoders(data, size < 8 ? size : 8);
	return 0;
}
