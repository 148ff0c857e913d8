/* SPDX-License-Identifier: MIT */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cardstrap/tlv.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const uint8_t uri_local[] = "coap://127.0.0.1:5683"; /* 21 bytes + NUL */

/* Decodes exactly one entry from buf and checks it is the whole input. */
static void read_one(const uint8_t *buf, size_t len, size_t base, struct cs_tlv *e)
{
	struct cs_tlv_reader r;
	struct cs_errinfo ei;
	struct cs_tlv end;

	cs_tlv_reader_init(&r, buf, len, base);
	assert_int_equal(cs_tlv_read(&r, e, &ei), 1);
	assert_int_equal(cs_tlv_read(&r, &end, &ei), 0);
	assert_int_equal(e->offset, base);
	assert_int_equal(e->header_len + e->len, len);
}

/* Encodes one entry and compares with the expected bytes. */
static void write_check(enum cs_tlv_kind kind, uint16_t id, const uint8_t *v, size_t n,
			const uint8_t *want, size_t wantlen)
{
	struct cs_buf b = { 0 };

	assert_int_equal(cs_tlv_write(&b, kind, id, v, n), 0);
	assert_int_equal(b.len, wantlen);
	assert_memory_equal(b.data, want, wantlen);
	cs_buf_free(&b);
}

static void test_example1_ssid(void **state)
{
	static const uint8_t enc[] = { 0xC1, 0x0A, 0x65 };
	struct cs_tlv e;
	int64_t v;

	(void)state;
	read_one(enc, sizeof(enc), 0, &e);
	assert_int_equal(e.kind, CS_TLV_RESOURCE);
	assert_int_equal(e.id, 10);
	assert_int_equal(e.len, 1);
	assert_int_equal(e.header_len, 2);
	assert_int_equal(cs_tlv_int_decode(e.value, e.len, &v), 0);
	assert_int_equal(v, 101);
	write_check(CS_TLV_RESOURCE, 10, (const uint8_t[]){ 0x65 }, 1, enc, sizeof(enc));
}

static void test_example2_uri(void **state)
{
	uint8_t enc[24] = { 0xC8, 0x00, 0x15 };
	struct cs_tlv e;

	(void)state;
	memcpy(enc + 3, uri_local, 21);
	read_one(enc, sizeof(enc), 0, &e);
	assert_int_equal(e.kind, CS_TLV_RESOURCE);
	assert_int_equal(e.id, 0);
	assert_int_equal(e.len, 21);
	assert_int_equal(e.header_len, 3);
	assert_memory_equal(e.value, "coap://127.0.0.1:5683", 21);
	write_check(CS_TLV_RESOURCE, 0, uri_local, 21, enc, sizeof(enc));
}

static void test_example3_acl_multiple(void **state)
{
	static const uint8_t enc[] = { 0x87, 0x02, 0x41, 0x7F, 0x07, 0x61, 0x01, 0x36, 0x01 };
	struct cs_tlv_reader child;
	struct cs_errinfo ei;
	struct cs_tlv e, ri;
	struct cs_buf b = { 0 };
	int64_t v;

	(void)state;
	read_one(enc, sizeof(enc), 0, &e);
	assert_int_equal(e.kind, CS_TLV_MULTIPLE_RESOURCE);
	assert_int_equal(e.id, 2);
	assert_int_equal(e.len, 7);
	cs_tlv_reader_enter(&e, &child);
	assert_int_equal(child.base, 2);

	assert_int_equal(cs_tlv_read(&child, &ri, &ei), 1);
	assert_int_equal(ri.kind, CS_TLV_RESOURCE_INSTANCE);
	assert_int_equal(ri.id, 127);
	assert_int_equal(ri.offset, 2);
	assert_int_equal(cs_tlv_int_decode(ri.value, ri.len, &v), 0);
	assert_int_equal(v, 7);

	assert_int_equal(cs_tlv_read(&child, &ri, &ei), 1);
	assert_int_equal(ri.kind, CS_TLV_RESOURCE_INSTANCE);
	assert_int_equal(ri.id, 310);
	assert_int_equal(ri.offset, 5);
	assert_int_equal(ri.header_len, 3);
	assert_int_equal(cs_tlv_int_decode(ri.value, ri.len, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(cs_tlv_read(&child, &ri, &ei), 0);

	assert_int_equal(cs_tlv_write_header(&b, CS_TLV_MULTIPLE_RESOURCE, 2, 7), 0);
	assert_int_equal(cs_tlv_write(&b, CS_TLV_RESOURCE_INSTANCE, 127, (const uint8_t[]){ 7 }, 1),
			 0);
	assert_int_equal(cs_tlv_write(&b, CS_TLV_RESOURCE_INSTANCE, 310, (const uint8_t[]){ 1 }, 1),
			 0);
	assert_int_equal(b.len, sizeof(enc));
	assert_memory_equal(b.data, enc, sizeof(enc));
	cs_buf_free(&b);
}

static void test_example4_id16_bool(void **state)
{
	static const uint8_t enc[] = { 0xE1, 0x16, 0xDA, 0x01 };
	struct cs_tlv e;
	bool v = false;

	(void)state;
	read_one(enc, sizeof(enc), 0, &e);
	assert_int_equal(e.kind, CS_TLV_RESOURCE);
	assert_int_equal(e.id, 5850);
	assert_int_equal(e.header_len, 3);
	assert_int_equal(cs_tlv_bool_decode(e.value, e.len, &v), 0);
	assert_true(v);
	write_check(CS_TLV_RESOURCE, 5850, (const uint8_t[]){ 1 }, 1, enc, sizeof(enc));
}

static void test_example5_len16(void **state)
{
	uint8_t enc[304] = { 0xD0, 0x03, 0x01, 0x2C };
	struct cs_tlv e;

	(void)state;
	for (size_t k = 0; k < 300; k++)
		enc[4 + k] = (uint8_t)(k * 13);
	read_one(enc, sizeof(enc), 0, &e);
	assert_int_equal(e.kind, CS_TLV_RESOURCE);
	assert_int_equal(e.id, 3);
	assert_int_equal(e.len, 300);
	assert_int_equal(e.header_len, 4);
	assert_ptr_equal(e.value, enc + 4);
	write_check(CS_TLV_RESOURCE, 3, enc + 4, 300, enc, sizeof(enc));
}

static void test_example6_lifetime(void **state)
{
	static const uint8_t enc[] = { 0xC4, 0x01, 0x00, 0x01, 0x51, 0x80 };
	uint8_t v8[8];
	struct cs_tlv e;
	int64_t v;

	(void)state;
	read_one(enc, sizeof(enc), 0, &e);
	assert_int_equal(e.id, 1);
	assert_int_equal(e.len, 4);
	assert_int_equal(cs_tlv_int_decode(e.value, e.len, &v), 0);
	assert_int_equal(v, 86400);
	assert_int_equal(cs_tlv_int_encode(86400, v8), 4);
	write_check(CS_TLV_RESOURCE, 1, v8, 4, enc, sizeof(enc));
}

static void test_example7_negative(void **state)
{
	static const uint8_t enc[] = { 0xC2, 0x05, 0xFD, 0x12 };
	uint8_t v8[8];
	struct cs_tlv e;
	int64_t v;

	(void)state;
	read_one(enc, sizeof(enc), 0, &e);
	assert_int_equal(e.id, 5);
	assert_int_equal(cs_tlv_int_decode(e.value, e.len, &v), 0);
	assert_int_equal(v, -750);
	assert_int_equal(cs_tlv_int_encode(-750, v8), 2);
	assert_int_equal(v8[0], 0xFD);
	assert_int_equal(v8[1], 0x12);
	write_check(CS_TLV_RESOURCE, 5, v8, 2, enc, sizeof(enc));
}

static void test_example8_float(void **state)
{
	static const uint8_t enc32[] = { 0xC4, 0x04, 0x3F, 0xC0, 0x00, 0x00 };
	static const uint8_t enc64[] = { 0xC8, 0x04, 0x08, 0x3F, 0xF8, 0, 0, 0, 0, 0, 0 };
	uint8_t v8[8];
	struct cs_tlv e;
	double d = 0;

	(void)state;
	read_one(enc32, sizeof(enc32), 0, &e);
	assert_int_equal(cs_tlv_float_decode(e.value, e.len, &d), 0);
	assert_true(d == 1.5);
	read_one(enc64, sizeof(enc64), 0, &e);
	assert_int_equal(e.len, 8);
	assert_int_equal(e.header_len, 3);
	d = 0;
	assert_int_equal(cs_tlv_float_decode(e.value, e.len, &d), 0);
	assert_true(d == 1.5);
	/* the encoder picks binary32 for 1.5; the binary64 form is the non-shortest one */
	assert_int_equal(cs_tlv_float_encode(1.5, v8), 4);
	write_check(CS_TLV_RESOURCE, 4, v8, 4, enc32, sizeof(enc32));
	write_check(CS_TLV_RESOURCE, 4, enc64 + 3, 8, enc64, sizeof(enc64));
}

static void test_example9_objlnk(void **state)
{
	static const uint8_t enc[] = { 0xC4, 0x02, 0x00, 0x42, 0x00, 0x01 };
	static const uint8_t null_link[] = { 0xC4, 0x02, 0xFF, 0xFF, 0xFF, 0xFF };
	uint16_t oid = 0, iid = 0;
	uint8_t v4[4];
	struct cs_tlv e;

	(void)state;
	read_one(enc, sizeof(enc), 0, &e);
	assert_int_equal(cs_tlv_objlnk_decode(e.value, e.len, &oid, &iid), 0);
	assert_int_equal(oid, 66);
	assert_int_equal(iid, 1);
	assert_int_equal(cs_tlv_objlnk_encode(66, 1, v4), 4);
	write_check(CS_TLV_RESOURCE, 2, v4, 4, enc, sizeof(enc));

	read_one(null_link, sizeof(null_link), 0, &e);
	assert_int_equal(cs_tlv_objlnk_decode(e.value, e.len, &oid, &iid), 0);
	assert_int_equal(oid, 0xFFFF);
	assert_int_equal(iid, 0xFFFF);
	assert_int_equal(cs_tlv_objlnk_encode(0xFFFF, 0xFFFF, v4), 4);
	write_check(CS_TLV_RESOURCE, 2, v4, 4, null_link, sizeof(null_link));
}

/* /0/0: DM server, NoSec, SSID 101, resources 3/4/5 empty */
static const uint8_t example10[] = {
	0x08, 0x00, 0x27,
	0xC8, 0x00, 0x15, 'c', 'o', 'a', 'p', ':', '/', '/', '1', '2', '7', '.', '0', '.', '0',
	'.', '1', ':', '5', '6', '8', '3',
	0xC1, 0x01, 0x00, 0xC1, 0x02, 0x03, 0xC0, 0x03, 0xC0, 0x04, 0xC0, 0x05, 0xC1, 0x0A, 0x65,
};

static void test_example10_security_instance(void **state)
{
	static const struct {
		uint16_t id;
		size_t offset, len;
	} want[] = { { 0, 3, 21 }, { 1, 27, 1 }, { 2, 30, 1 }, { 3, 33, 0 },
		     { 4, 35, 0 }, { 5, 37, 0 }, { 10, 39, 1 } };
	struct cs_tlv_reader child;
	struct cs_errinfo ei;
	struct cs_tlv e, r;
	struct cs_buf b = { 0 };
	size_t k;

	(void)state;
	assert_int_equal(sizeof(example10), 42);
	read_one(example10, sizeof(example10), 0, &e);
	assert_int_equal(e.kind, CS_TLV_OBJECT_INSTANCE);
	assert_int_equal(e.id, 0);
	assert_int_equal(e.len, 39);
	cs_tlv_reader_enter(&e, &child);
	assert_int_equal(cs_tlv_write_header(&b, CS_TLV_OBJECT_INSTANCE, 0, 39), 0);
	for (k = 0; k < COUNT(want); k++) {
		assert_int_equal(cs_tlv_read(&child, &r, &ei), 1);
		assert_int_equal(r.kind, CS_TLV_RESOURCE);
		assert_int_equal(r.id, want[k].id);
		assert_int_equal(r.offset, want[k].offset);
		assert_int_equal(r.len, want[k].len);
		assert_int_equal(cs_tlv_write(&b, CS_TLV_RESOURCE, r.id, r.value, r.len), 0);
	}
	assert_int_equal(cs_tlv_read(&child, &r, &ei), 0);
	assert_int_equal(b.len, sizeof(example10));
	assert_memory_equal(b.data, example10, sizeof(example10));
	cs_buf_free(&b);
}

static void test_example11_server_instance(void **state)
{
	static const uint8_t enc[] = { 0x08, 0x00, 0x0F, 0xC1, 0x00, 0x65, 0xC4, 0x01, 0x00,
				       0x01, 0x51, 0x80, 0xC1, 0x06, 0x01, 0xC1, 0x07, 0x55 };
	struct cs_tlv_reader child;
	struct cs_errinfo ei;
	struct cs_tlv e, r;
	struct cs_buf b = { 0 };
	uint8_t v8[8];
	int64_t v;
	bool storing = false;

	(void)state;
	read_one(enc, sizeof(enc), 0, &e);
	assert_int_equal(e.len, 15);
	cs_tlv_reader_enter(&e, &child);
	assert_int_equal(cs_tlv_read(&child, &r, &ei), 1);
	assert_int_equal(r.id, 0);
	assert_int_equal(cs_tlv_int_decode(r.value, r.len, &v), 0);
	assert_int_equal(v, 101);
	assert_int_equal(cs_tlv_read(&child, &r, &ei), 1);
	assert_int_equal(r.id, 1);
	assert_int_equal(cs_tlv_int_decode(r.value, r.len, &v), 0);
	assert_int_equal(v, 86400);
	assert_int_equal(cs_tlv_read(&child, &r, &ei), 1);
	assert_int_equal(r.id, 6);
	assert_int_equal(cs_tlv_bool_decode(r.value, r.len, &storing), 0);
	assert_true(storing);
	assert_int_equal(cs_tlv_read(&child, &r, &ei), 1);
	assert_int_equal(r.id, 7);
	assert_int_equal(r.len, 1);
	assert_int_equal(r.value[0], 'U');
	assert_int_equal(cs_tlv_read(&child, &r, &ei), 0);

	assert_int_equal(cs_tlv_write_header(&b, CS_TLV_OBJECT_INSTANCE, 0, 15), 0);
	assert_int_equal(cs_tlv_write(&b, CS_TLV_RESOURCE, 0, v8, cs_tlv_int_encode(101, v8)), 0);
	assert_int_equal(cs_tlv_write(&b, CS_TLV_RESOURCE, 1, v8, cs_tlv_int_encode(86400, v8)), 0);
	assert_int_equal(cs_tlv_write(&b, CS_TLV_RESOURCE, 6, v8, cs_tlv_bool_encode(true, v8)), 0);
	assert_int_equal(cs_tlv_write(&b, CS_TLV_RESOURCE, 7, (const uint8_t *)"U", 1), 0);
	assert_int_equal(b.len, sizeof(enc));
	assert_memory_equal(b.data, enc, sizeof(enc));
	cs_buf_free(&b);
}

/* Decoders must accept what a shortest-form encoder would not produce (Core TS §7.4.3). */
static void test_non_shortest_forms(void **state)
{
	static const struct {
		uint8_t bytes[8];
		size_t n, header_len;
	} forms[] = {
		{ { 0xC1, 0x0A, 0x65 }, 3, 2 },			/* shortest */
		{ { 0xE1, 0x00, 0x0A, 0x65 }, 4, 3 },		/* 16-bit id holding 10 */
		{ { 0xC8, 0x0A, 0x01, 0x65 }, 4, 3 },		/* 8-bit length for 1 */
		{ { 0xD0, 0x0A, 0x00, 0x01, 0x65 }, 5, 4 },	/* 16-bit length */
		{ { 0xD8, 0x0A, 0x00, 0x00, 0x01, 0x65 }, 6, 5 }, /* 24-bit length */
		{ { 0xF8, 0x00, 0x0A, 0x00, 0x00, 0x01, 0x65 }, 7, 6 }, /* both, 6-byte header */
		{ { 0xCF, 0x0A, 0x01, 0x65 }, 4, 3 },		/* bits 2-0 junk, ignored */
		{ { 0xD5, 0x0A, 0x00, 0x01, 0x65 }, 5, 4 },	/* ditto with 16-bit length */
	};
	struct cs_tlv e;
	int64_t v;

	(void)state;
	for (size_t k = 0; k < COUNT(forms); k++) {
		read_one(forms[k].bytes, forms[k].n, 7, &e);
		assert_int_equal(e.kind, CS_TLV_RESOURCE);
		assert_int_equal(e.id, 10);
		assert_int_equal(e.len, 1);
		assert_int_equal(e.header_len, forms[k].header_len);
		assert_int_equal(e.offset, 7);
		assert_int_equal(cs_tlv_int_decode(e.value, e.len, &v), 0);
		assert_int_equal(v, 101);
	}
}

static void test_all_kinds_and_header_widths(void **state)
{
	static const struct {
		enum cs_tlv_kind kind;
		uint16_t id;
		size_t len;
		uint8_t hdr[6];
		size_t hlen;
	} hs[] = {
		{ CS_TLV_OBJECT_INSTANCE, 0, 0, { 0x00, 0x00 }, 2 },
		{ CS_TLV_OBJECT_INSTANCE, 255, 7, { 0x07, 0xFF }, 2 },
		{ CS_TLV_OBJECT_INSTANCE, 256, 8, { 0x28, 0x01, 0x00, 0x08 }, 4 },
		{ CS_TLV_RESOURCE_INSTANCE, 1, 255, { 0x48, 0x01, 0xFF }, 3 },
		{ CS_TLV_RESOURCE_INSTANCE, 0xFFFF, 256, { 0x70, 0xFF, 0xFF, 0x01, 0x00 }, 5 },
		{ CS_TLV_MULTIPLE_RESOURCE, 2, 65535, { 0x90, 0x02, 0xFF, 0xFF }, 4 },
		{ CS_TLV_MULTIPLE_RESOURCE, 300, 3, { 0xA3, 0x01, 0x2C }, 3 },
		{ CS_TLV_RESOURCE, 3, 65536, { 0xD8, 0x03, 0x01, 0x00, 0x00 }, 5 },
		{ CS_TLV_RESOURCE, 5850, 0xFFFFFF, { 0xF8, 0x16, 0xDA, 0xFF, 0xFF, 0xFF }, 6 },
	};

	(void)state;
	for (size_t k = 0; k < COUNT(hs); k++) {
		struct cs_buf b = { 0 };
		struct cs_tlv_reader r;
		struct cs_errinfo ei;
		struct cs_tlv e;

		assert_int_equal(cs_tlv_write_header(&b, hs[k].kind, hs[k].id, hs[k].len), 0);
		assert_int_equal(b.len, hs[k].hlen);
		assert_memory_equal(b.data, hs[k].hdr, hs[k].hlen);
		/* the header alone must parse when the value is present */
		assert_int_equal(cs_buf_reserve(&b, hs[k].len), 0);
		memset(b.data + b.len, 0xA5, hs[k].len);
		b.len += hs[k].len;
		cs_tlv_reader_init(&r, b.data, b.len, 0);
		assert_int_equal(cs_tlv_read(&r, &e, &ei), 1);
		assert_int_equal(e.kind, hs[k].kind);
		assert_int_equal(e.id, hs[k].id);
		assert_int_equal(e.len, hs[k].len);
		assert_int_equal(e.header_len, hs[k].hlen);
		cs_buf_free(&b);
	}
}

static void test_write_header_limits(void **state)
{
	struct cs_buf b = { 0 };

	(void)state;
	assert_int_equal(cs_tlv_write_header(&b, CS_TLV_RESOURCE, 0, 0x1000000), CS_ERR_LIMIT);
	assert_int_equal(cs_tlv_write_header(&b, CS_TLV_RESOURCE, 0, SIZE_MAX), CS_ERR_LIMIT);
	assert_int_equal(cs_tlv_write_header(&b, (enum cs_tlv_kind)4, 0, 0), CS_ERR_ARG);
	assert_int_equal(b.len, 0);
	/* a failed cs_tlv_write leaves nothing behind */
	assert_int_equal(cs_tlv_write(&b, CS_TLV_RESOURCE, 0, NULL, 0x1000000), CS_ERR_LIMIT);
	assert_int_equal(b.len, 0);
	assert_int_equal(cs_tlv_write(&b, CS_TLV_RESOURCE, 9, NULL, 0), 0);
	assert_int_equal(b.len, 2);
	assert_int_equal(b.data[0], 0xC0);
	assert_int_equal(b.data[1], 0x09);
	cs_buf_free(&b);
}

static void test_read_errors(void **state)
{
	static const struct {
		uint8_t bytes[8];
		size_t n, base;
		long offset;
	} bad[] = {
		{ { 0xC8 }, 1, 0, 0 },				/* id missing */
		{ { 0xC8, 0x00 }, 2, 100, 100 },		/* 8-bit length missing */
		{ { 0xE1, 0x16 }, 2, 0, 0 },			/* 16-bit id cut */
		{ { 0xD8, 0x00, 0x00, 0x01 }, 4, 0, 0 },	/* 24-bit length cut */
		{ { 0xC3, 0x01, 0x00, 0x00 }, 4, 50, 50 },	/* value 3, 2 left */
		{ { 0xC1, 0x01, 0x00, 0xD0, 0x03, 0x01, 0x2C, 0x00 }, 8, 9, 12 }, /* 2nd entry */
		{ { 0x08, 0x00, 0x10, 0xC1, 0x00, 0x01 }, 6, 0, 0 }, /* container 16, 3 left */
	};

	(void)state;
	for (size_t k = 0; k < COUNT(bad); k++) {
		struct cs_tlv_reader r;
		struct cs_errinfo ei;
		struct cs_tlv e;
		int rc;

		cs_errinfo_clear(&ei);
		cs_tlv_reader_init(&r, bad[k].bytes, bad[k].n, bad[k].base);
		while ((rc = cs_tlv_read(&r, &e, &ei)) == 1)
			;
		assert_int_equal(rc, CS_ERR_TRUNCATED);
		assert_int_equal(ei.code, CS_ERR_TRUNCATED);
		assert_int_equal(ei.offset, bad[k].offset);
		assert_true(ei.msg[0] != '\0');
	}
}

static void test_read_error_message(void **state)
{
	static const uint8_t bytes[] = { 0xD0, 0x03, 0x01, 0x2C, 0x00, 0x01 };
	struct cs_tlv_reader r;
	struct cs_errinfo ei;
	struct cs_tlv e;

	(void)state;
	cs_tlv_reader_init(&r, bytes, sizeof(bytes), 12);
	assert_int_equal(cs_tlv_read(&r, &e, &ei), CS_ERR_TRUNCATED);
	assert_string_equal(ei.msg, "TLV Resource 3 at offset 12: length 300 runs past the end of "
				    "its container (2 bytes left)");
	/* NULL errinfo is allowed */
	cs_tlv_reader_init(&r, bytes, sizeof(bytes), 12);
	assert_int_equal(cs_tlv_read(&r, &e, NULL), CS_ERR_TRUNCATED);
}

static void test_empty_level(void **state)
{
	struct cs_tlv_reader r;
	struct cs_tlv e;

	(void)state;
	cs_tlv_reader_init(&r, NULL, 0, 0);
	assert_int_equal(cs_tlv_read(&r, &e, NULL), 0);
}

static void test_int_decode(void **state)
{
	static const struct {
		uint8_t b[8];
		size_t n;
		int64_t v;
	} t[] = {
		{ { 0x65 }, 1, 101 },
		{ { 0xC8 }, 1, -56 },
		{ { 0x00, 0xC8 }, 2, 200 },
		{ { 0xFD, 0x12 }, 2, -750 },
		{ { 0x80 }, 1, INT8_MIN },
		{ { 0x7F, 0xFF }, 2, INT16_MAX },
		{ { 0x80, 0x00, 0x00, 0x00 }, 4, INT32_MIN },
		{ { 0xFF, 0xFF, 0xFF, 0xFF }, 4, -1 },
		{ { 0x00, 0x01, 0x51, 0x80 }, 4, 86400 },
		{ { 0x80, 0, 0, 0, 0, 0, 0, 0 }, 8, INT64_MIN },
		{ { 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF }, 8, INT64_MAX },
		{ { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE }, 8, -2 },
		{ { 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x65 }, 8, 101 },
	};
	uint8_t z[8] = { 0 };
	int64_t v;

	(void)state;
	for (size_t k = 0; k < COUNT(t); k++) {
		v = 12345;
		assert_int_equal(cs_tlv_int_decode(t[k].b, t[k].n, &v), 0);
		assert_int_equal(v, t[k].v);
	}
	/* Appendix C: only 1, 2, 4, 8 */
	for (size_t n = 0; n <= 8; n++)
		if (n != 1 && n != 2 && n != 4 && n != 8)
			assert_int_equal(cs_tlv_int_decode(z, n, &v), CS_ERR_MALFORMED);
}

static void test_uint_decode(void **state)
{
	static const struct {
		uint8_t b[8];
		size_t n;
		uint64_t v;
	} t[] = {
		{ { 0xC8 }, 1, 200 },
		{ { 0xFF, 0xFF }, 2, 65535 },
		{ { 0xC0, 0xA8 }, 2, 49320 },
		{ { 0xFF, 0xFF, 0xFF, 0xFF }, 4, UINT32_MAX },
		{ { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF }, 8, UINT64_MAX },
		{ { 0x80, 0, 0, 0, 0, 0, 0, 1 }, 8, 0x8000000000000001ULL },
	};
	uint8_t z[8] = { 0 };
	uint64_t v;

	(void)state;
	for (size_t k = 0; k < COUNT(t); k++) {
		assert_int_equal(cs_tlv_uint_decode(t[k].b, t[k].n, &v), 0);
		assert_true(v == t[k].v);
	}
	assert_int_equal(cs_tlv_uint_decode(z, 0, &v), CS_ERR_MALFORMED);
	assert_int_equal(cs_tlv_uint_decode(z, 3, &v), CS_ERR_MALFORMED);
	assert_int_equal(cs_tlv_uint_decode(z, 5, &v), CS_ERR_MALFORMED);
}

static void test_int_encode(void **state)
{
	static const struct {
		int64_t v;
		size_t n;
		uint8_t b[8];
	} t[] = {
		{ 0, 1, { 0x00 } },
		{ 101, 1, { 0x65 } },
		{ 127, 1, { 0x7F } },
		{ 128, 2, { 0x00, 0x80 } },
		{ 200, 2, { 0x00, 0xC8 } }, /* Core TS App. C: SSID 200 is 00 C8, not C8 */
		{ -128, 1, { 0x80 } },
		{ -129, 2, { 0xFF, 0x7F } },
		{ -750, 2, { 0xFD, 0x12 } },
		{ 3800, 2, { 0x0E, 0xD8 } },
		{ 32767, 2, { 0x7F, 0xFF } },
		{ 32768, 4, { 0x00, 0x00, 0x80, 0x00 } },
		{ 65534, 4, { 0x00, 0x00, 0xFF, 0xFE } },
		{ 86400, 4, { 0x00, 0x01, 0x51, 0x80 } },
		{ INT32_MIN, 4, { 0x80, 0x00, 0x00, 0x00 } },
		{ (int64_t)INT32_MAX + 1, 8, { 0, 0, 0, 0, 0x80, 0, 0, 0 } },
		{ INT64_MIN, 8, { 0x80, 0, 0, 0, 0, 0, 0, 0 } },
		{ INT64_MAX, 8, { 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF } },
	};
	uint8_t out[8];
	int64_t back;

	(void)state;
	for (size_t k = 0; k < COUNT(t); k++) {
		memset(out, 0xEE, sizeof(out));
		assert_int_equal(cs_tlv_int_encode(t[k].v, out), t[k].n);
		assert_memory_equal(out, t[k].b, t[k].n);
		assert_int_equal(cs_tlv_int_decode(out, t[k].n, &back), 0);
		assert_int_equal(back, t[k].v);
	}
}

static void test_uint_encode(void **state)
{
	static const struct {
		uint64_t v;
		size_t n;
		uint8_t b[8];
	} t[] = {
		{ 0, 1, { 0x00 } },
		{ 200, 1, { 0xC8 } }, /* unsigned: one byte */
		{ 255, 1, { 0xFF } },
		{ 256, 2, { 0x01, 0x00 } },
		{ 49320, 2, { 0xC0, 0xA8 } },
		{ 65536, 4, { 0x00, 0x01, 0x00, 0x00 } },
		{ UINT32_MAX, 4, { 0xFF, 0xFF, 0xFF, 0xFF } },
		{ (uint64_t)UINT32_MAX + 1, 8, { 0, 0, 0, 1, 0, 0, 0, 0 } },
		{ UINT64_MAX, 8, { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF } },
	};
	uint8_t out[8];
	uint64_t back;

	(void)state;
	for (size_t k = 0; k < COUNT(t); k++) {
		assert_int_equal(cs_tlv_uint_encode(t[k].v, out), t[k].n);
		assert_memory_equal(out, t[k].b, t[k].n);
		assert_int_equal(cs_tlv_uint_decode(out, t[k].n, &back), 0);
		assert_true(back == t[k].v);
	}
}

static void test_float(void **state)
{
	static const uint8_t f15[] = { 0x3F, 0xC0, 0x00, 0x00 };
	static const uint8_t d01[] = { 0x3F, 0xB9, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9A };
	static const uint8_t finf[] = { 0x7F, 0x80, 0x00, 0x00 };
	static const uint8_t fninf[] = { 0xFF, 0x80, 0x00, 0x00 };
	static const uint8_t fnz[] = { 0x80, 0x00, 0x00, 0x00 };
	uint8_t out[8];
	double d;

	(void)state;
	assert_int_equal(cs_tlv_float_encode(1.5, out), 4);
	assert_memory_equal(out, f15, 4);
	assert_int_equal(cs_tlv_float_encode(0.1, out), 8);
	assert_memory_equal(out, d01, 8);
	assert_int_equal(cs_tlv_float_decode(d01, 8, &d), 0);
	assert_true(d == 0.1);
	assert_int_equal(cs_tlv_float_encode(-0.0, out), 4);
	assert_memory_equal(out, fnz, 4);
	/* FLT_MAX * 2 is finite in binary64 but not representable in binary32 */
	assert_int_equal(cs_tlv_float_encode(6.805646932770577e38, out), 8);
	assert_int_equal(cs_tlv_float_encode(1e300, out), 8);

	/* infinities fit binary32 exactly */
	assert_int_equal(cs_tlv_float_encode(INFINITY, out), 4);
	assert_memory_equal(out, finf, 4);
	assert_int_equal(cs_tlv_float_encode(-INFINITY, out), 4);
	assert_memory_equal(out, fninf, 4);
	assert_int_equal(cs_tlv_float_decode(finf, 4, &d), 0);
	assert_true(isinf(d) && d > 0);

	/* NaN is written as binary64 with its bits kept; decoding gives a NaN back */
	assert_int_equal(cs_tlv_float_encode(NAN, out), 8);
	assert_int_equal(cs_tlv_float_decode(out, 8, &d), 0);
	assert_true(isnan(d));
	assert_int_equal(cs_tlv_float_decode((const uint8_t[]){ 0x7F, 0xC0, 0, 0 }, 4, &d), 0);
	assert_true(isnan(d));

	assert_int_equal(cs_tlv_float_decode(f15, 0, &d), CS_ERR_MALFORMED);
	assert_int_equal(cs_tlv_float_decode(f15, 2, &d), CS_ERR_MALFORMED);
	assert_int_equal(cs_tlv_float_decode(d01, 5, &d), CS_ERR_MALFORMED);
}

static void test_bool(void **state)
{
	uint8_t out[1];
	bool v;

	(void)state;
	assert_int_equal(cs_tlv_bool_decode((const uint8_t[]){ 0 }, 1, &v), 0);
	assert_false(v);
	assert_int_equal(cs_tlv_bool_decode((const uint8_t[]){ 1 }, 1, &v), 0);
	assert_true(v);
	assert_int_equal(cs_tlv_bool_decode((const uint8_t[]){ 2 }, 1, &v), CS_ERR_RANGE);
	assert_int_equal(cs_tlv_bool_decode((const uint8_t[]){ 0xFF }, 1, &v), CS_ERR_RANGE);
	assert_int_equal(cs_tlv_bool_decode((const uint8_t[]){ 0, 1 }, 2, &v), CS_ERR_MALFORMED);
	assert_int_equal(cs_tlv_bool_decode(out, 0, &v), CS_ERR_MALFORMED);
	assert_int_equal(cs_tlv_bool_encode(true, out), 1);
	assert_int_equal(out[0], 1);
	assert_int_equal(cs_tlv_bool_encode(false, out), 1);
	assert_int_equal(out[0], 0);
}

static void test_objlnk_lengths(void **state)
{
	static const uint8_t b[5] = { 0 };
	uint16_t o, i;

	(void)state;
	assert_int_equal(cs_tlv_objlnk_decode(b, 3, &o, &i), CS_ERR_MALFORMED);
	assert_int_equal(cs_tlv_objlnk_decode(b, 5, &o, &i), CS_ERR_MALFORMED);
	assert_int_equal(cs_tlv_objlnk_decode(b, 4, &o, &i), 0);
	assert_int_equal(o, 0);
	assert_int_equal(i, 0);
}

static void test_kind_names(void **state)
{
	(void)state;
	assert_string_equal(cs_tlv_kind_name(CS_TLV_OBJECT_INSTANCE), "Object Instance");
	assert_string_equal(cs_tlv_kind_name(CS_TLV_RESOURCE_INSTANCE), "Resource Instance");
	assert_string_equal(cs_tlv_kind_name(CS_TLV_MULTIPLE_RESOURCE), "Multiple Resource");
	assert_string_equal(cs_tlv_kind_name(CS_TLV_RESOURCE), "Resource");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example1_ssid),
		cmocka_unit_test(test_example2_uri),
		cmocka_unit_test(test_example3_acl_multiple),
		cmocka_unit_test(test_example4_id16_bool),
		cmocka_unit_test(test_example5_len16),
		cmocka_unit_test(test_example6_lifetime),
		cmocka_unit_test(test_example7_negative),
		cmocka_unit_test(test_example8_float),
		cmocka_unit_test(test_example9_objlnk),
		cmocka_unit_test(test_example10_security_instance),
		cmocka_unit_test(test_example11_server_instance),
		cmocka_unit_test(test_non_shortest_forms),
		cmocka_unit_test(test_all_kinds_and_header_widths),
		cmocka_unit_test(test_write_header_limits),
		cmocka_unit_test(test_read_errors),
		cmocka_unit_test(test_read_error_message),
		cmocka_unit_test(test_empty_level),
		cmocka_unit_test(test_int_decode),
		cmocka_unit_test(test_uint_decode),
		cmocka_unit_test(test_int_encode),
		cmocka_unit_test(test_uint_encode),
		cmocka_unit_test(test_float),
		cmocka_unit_test(test_bool),
		cmocka_unit_test(test_objlnk_lengths),
		cmocka_unit_test(test_kind_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
