/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cardstrap/bsfile.h"
#include "cardstrap/encoding.h"

#include "vectors.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void test_nordic(void **state)
{
	struct cs_bsfile f;
	struct cs_errinfo ei;
	struct cs_buf b;

	(void)state;
	vector_bytes("ef-nordic.hex", &b);
	assert_int_equal(b.len, 60);
	assert_int_equal(cs_bsfile_parse(b.data, b.len, &f, &ei), 0);
	assert_int_equal(f.nobj, 1);
	assert_int_equal(f.size, 54);
	assert_non_null(f.rec);
	assert_int_equal(f.rec[0].object_id, 0);
	assert_int_equal(f.rec[0].ver_major, 0);
	assert_int_equal(f.rec[0].ver_minor, 0);
	assert_int_equal(f.rec[0].offset, 4);
	assert_int_equal(f.rec[0].tlv_offset, 9);
	assert_int_equal(f.rec[0].tlv_len, 49);
	assert_ptr_equal(f.rec[0].tlv, b.data + 9);
	assert_int_equal(f.rec[0].tlv[0], 0x08);
	assert_int_equal(f.rec[0].tlv[48], 0x03);
	assert_int_equal(f.padding, 2);
	assert_true(f.padding_all_ff);
	cs_bsfile_free(&f);
	assert_null(f.rec);
	assert_int_equal(f.nobj, 0);
	cs_buf_free(&b);
}

static void test_anjay(void **state)
{
	struct cs_bsfile f;
	struct cs_errinfo ei;
	struct cs_buf b;

	(void)state;
	vector_bytes("ef-anjay-basic.hex", &b);
	assert_int_equal(b.len, 126);
	assert_int_equal(cs_bsfile_parse(b.data, b.len, &f, &ei), 0);
	assert_int_equal(f.nobj, 2);
	assert_int_equal(f.size, 122);
	assert_int_equal(f.rec[0].object_id, 0);
	assert_int_equal(f.rec[0].ver_major, 0);
	assert_int_equal(f.rec[0].offset, 4);
	assert_int_equal(f.rec[0].tlv_offset, 9);
	assert_int_equal(f.rec[0].tlv_len, 94);
	assert_memory_equal(f.rec[0].tlv, "\x08\x01\x5B", 3);
	assert_int_equal(f.rec[1].object_id, 1);
	assert_int_equal(f.rec[1].ver_major, 0);
	assert_int_equal(f.rec[1].offset, 103);
	assert_int_equal(f.rec[1].tlv_offset, 108);
	assert_int_equal(f.rec[1].tlv_len, 18);
	assert_memory_equal(f.rec[1].tlv, "\x08\x01\x0F\xC1\x00\x01", 6);
	assert_int_equal(f.padding, 0);
	assert_true(f.padding_all_ff);
	cs_bsfile_free(&f);
	cs_buf_free(&b);
}

static void test_two_byte_version(void **state)
{
	/* object 10, version 2.5, length 2, TLV C0 00 (empty resource) */
	static const uint8_t file[] = { 0x00, 0x01, 0x00, 0x08, 0x00, 0x0A, 0x02,
					0x05, 0x00, 0x02, 0xC0, 0x00 };
	struct cs_bsfile f;
	struct cs_errinfo ei;
	struct cs_buf b = { 0 };

	(void)state;
	assert_int_equal(cs_bsfile_parse(file, sizeof(file), &f, &ei), 0);
	assert_int_equal(f.nobj, 1);
	assert_int_equal(f.rec[0].object_id, 10);
	assert_int_equal(f.rec[0].ver_major, 2);
	assert_int_equal(f.rec[0].ver_minor, 5);
	assert_int_equal(f.rec[0].tlv_offset, 10);
	assert_int_equal(f.rec[0].tlv_len, 2);
	assert_int_equal(f.padding, 0);
	assert_int_equal(cs_bsfile_build(f.rec, f.nobj, &b, &ei), 0);
	assert_int_equal(b.len, sizeof(file));
	assert_memory_equal(b.data, file, sizeof(file));
	cs_bsfile_free(&f);
	cs_buf_free(&b);
}

static void test_padding_not_ff(void **state)
{
	static const uint8_t file[] = { 0x00, 0x00, 0x00, 0x00, 0xFF, 0x00, 0xFF };
	struct cs_bsfile f;
	struct cs_errinfo ei;

	(void)state;
	assert_int_equal(cs_bsfile_parse(file, sizeof(file), &f, &ei), 0);
	assert_int_equal(f.nobj, 0);
	assert_int_equal(f.size, 0);
	assert_null(f.rec);
	assert_int_equal(f.padding, 3);
	assert_false(f.padding_all_ff);
	cs_bsfile_free(&f);
}

static void test_errors(void **state)
{
	static const struct {
		const char *what;
		uint8_t bytes[24];
		size_t n;
		int code;
		long offset;
	} bad[] = {
		{ "empty", { 0 }, 0, CS_ERR_TRUNCATED, 0 },
		{ "1 byte", { 0x00 }, 1, CS_ERR_TRUNCATED, 0 },
		{ "3 bytes", { 0x00, 0x01, 0x00 }, 3, CS_ERR_TRUNCATED, 2 },
		{ "erased", { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF }, 5, CS_ERR_MALFORMED, 0 },
		{ "size past end", { 0x00, 0x00, 0x00, 0x01 }, 4, CS_ERR_TRUNCATED, 2 },
		{ "size over 32767", { 0x00, 0x00, 0x7F, 0xFC }, 4, CS_ERR_LIMIT, 2 },
		{ "nobj 1, no records", { 0x00, 0x01, 0x00, 0x00 }, 4, CS_ERR_MALFORMED, 0 },
		{ "nobj 0, size 1", { 0x00, 0x00, 0x00, 0x01, 0x00 }, 5, CS_ERR_MALFORMED, 4 },
		{ "object id cut", { 0x00, 0x01, 0x00, 0x01, 0x00 }, 5, CS_ERR_MALFORMED, 4 },
		{ "no version", { 0x00, 0x01, 0x00, 0x02, 0x00, 0x00 }, 6, CS_ERR_MALFORMED, 6 },
		{ "minor missing",
		  { 0x00, 0x01, 0x00, 0x03, 0x00, 0x00, 0x01, 0xFF },
		  8,
		  CS_ERR_MALFORMED,
		  6 },
		{ "length cut",
		  { 0x00, 0x01, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00 },
		  8,
		  CS_ERR_MALFORMED,
		  7 },
		{ "length past size",
		  { 0x00, 0x01, 0x00, 0x06, 0x00, 0x00, 0x00, 0x00, 0x02, 0xC0, 0x00 },
		  11,
		  CS_ERR_MALFORMED,
		  7 },
		/* nobj = 3 but only 2 minimal records fit: the 3rd ends after its object ID */
		{ "nobj over what fits",
		  { 0x00, 0x03, 0x00, 0x0C, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
		    0x00, 0x01, 0x02 },
		  16,
		  CS_ERR_MALFORMED,
		  16 },
		{ "second record short",
		  { 0x00, 0x02, 0x00, 0x0A, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x03,
		    0x00, 0x01 },
		  15,
		  CS_ERR_MALFORMED,
		  13 },
	};

	(void)state;
	for (size_t k = 0; k < COUNT(bad); k++) {
		struct cs_bsfile f;
		struct cs_errinfo ei;
		int rc;

		cs_errinfo_clear(&ei);
		rc = cs_bsfile_parse(bad[k].bytes, bad[k].n, &f, &ei);
		if (rc != bad[k].code || ei.offset != bad[k].offset)
			fail_msg("%s: got %d at %ld (%s), want %d at %ld", bad[k].what, rc,
				 ei.offset, ei.msg, bad[k].code, bad[k].offset);
		assert_int_equal(ei.code, rc);
		assert_true(ei.msg[0] != '\0');
		assert_null(f.rec);
	}
}

static void test_error_messages(void **state)
{
	struct cs_bsfile f;
	struct cs_errinfo ei;
	struct cs_buf b;

	(void)state;
	vector_bytes("ef-malformed-object-length-past-size.hex", &b);
	assert_int_equal(cs_bsfile_parse(b.data, b.len, &f, &ei), CS_ERR_MALFORMED);
	assert_int_equal(ei.offset, 106);
	assert_string_equal(ei.msg, "object record 2 (object 1) at offset 106: length 19 runs past "
				    "the end of the object data (18 bytes left)");
	cs_buf_free(&b);

	vector_bytes("ef-malformed-size-past-end.hex", &b);
	assert_int_equal(cs_bsfile_parse(b.data, b.len, &f, &ei), CS_ERR_TRUNCATED);
	assert_int_equal(ei.offset, 2);
	assert_string_equal(ei.msg, "size 80 at offset 2 needs 84 bytes, the file has only 60");
	cs_buf_free(&b);

	vector_bytes("ef-malformed-nobj-too-large.hex", &b);
	assert_int_equal(cs_bsfile_parse(b.data, b.len, &f, &ei), CS_ERR_MALFORMED);
	assert_int_equal(ei.offset, 0);
	assert_string_equal(ei.msg, "object count 2 at offset 0, but the object data (size 54) "
				    "holds only 1 object record(s)");
	cs_buf_free(&b);
}

static void test_build_round_trip(void **state)
{
	static const char *const names[] = { "ef-anjay-basic.hex", "ef-nordic.hex",
					     "ef-16bit-ids.hex", "ef-near-32k.hex" };

	(void)state;
	for (size_t k = 0; k < COUNT(names); k++) {
		struct cs_buf in, out = { 0 };
		struct cs_errinfo ei;
		struct cs_bsfile f;

		vector_bytes(names[k], &in);
		assert_int_equal(cs_bsfile_parse(in.data, in.len, &f, &ei), 0);
		assert_int_equal(cs_bsfile_build(f.rec, f.nobj, &out, &ei), 0);
		assert_int_equal(out.len, 4 + (size_t)f.size);
		assert_memory_equal(out.data, in.data, out.len);
		cs_bsfile_free(&f);
		cs_buf_free(&in);
		cs_buf_free(&out);
	}
}

static void test_build_appends(void **state)
{
	static const uint8_t tlv[] = { 0xC1, 0x00, 0x01 };
	const struct cs_bsfile_record rec[] = {
		{ .object_id = 1, .ver_major = 1, .ver_minor = 2, .tlv = tlv, .tlv_len = 3 },
		{ .object_id = 0x1234, .ver_major = 0, .tlv = NULL, .tlv_len = 0 },
	};
	static const uint8_t want[] = { 0xAA, 0x00, 0x02, 0x00, 0x0E, 0x00, 0x01, 0x01,
					0x02, 0x00, 0x03, 0xC1, 0x00, 0x01, 0x12, 0x34,
					0x00, 0x00, 0x00 };
	struct cs_buf b = { 0 };
	struct cs_errinfo ei;

	(void)state;
	assert_int_equal(cs_buf_push(&b, 0xAA), 0);
	assert_int_equal(cs_bsfile_build(rec, COUNT(rec), &b, &ei), 0);
	assert_int_equal(b.len, sizeof(want));
	assert_memory_equal(b.data, want, sizeof(want));
	cs_buf_free(&b);

	/* no records: an empty but valid file */
	assert_int_equal(cs_bsfile_build(NULL, 0, &b, &ei), 0);
	assert_int_equal(b.len, 4);
	assert_memory_equal(b.data, "\0\0\0\0", 4);
	cs_buf_free(&b);
}

static void test_limits(void **state)
{
	uint8_t *big = calloc(1, 70000);
	struct cs_bsfile_record rec = { .object_id = 10250, .tlv = big };
	struct cs_buf b = { 0 };
	struct cs_errinfo ei;
	struct cs_bsfile f;

	(void)state;
	assert_non_null(big);
	/* 4 + 5 + 32758 = 32767: the largest file */
	rec.tlv_len = 32758;
	assert_int_equal(cs_bsfile_build(&rec, 1, &b, &ei), 0);
	assert_int_equal(b.len, 32767);
	assert_int_equal(b.data[2], 0x7F);
	assert_int_equal(b.data[3], 0xFB);
	assert_int_equal(cs_bsfile_parse(b.data, b.len, &f, &ei), 0);
	assert_int_equal(f.size, 32763);
	assert_int_equal(f.rec[0].tlv_len, 32758);
	cs_bsfile_free(&f);
	cs_buf_free(&b);

	rec.tlv_len = 32759;
	assert_int_equal(cs_bsfile_build(&rec, 1, &b, &ei), CS_ERR_LIMIT);
	assert_int_equal(b.len, 0);
	rec.ver_major = 1; /* the two-byte version takes one more byte */
	rec.tlv_len = 32758;
	assert_int_equal(cs_bsfile_build(&rec, 1, &b, &ei), CS_ERR_LIMIT);
	rec.ver_major = 0;
	rec.tlv_len = 0x10000;
	assert_int_equal(cs_bsfile_build(&rec, 1, &b, &ei), CS_ERR_LIMIT);
	assert_int_equal(cs_bsfile_build(&rec, 0x10000, &b, &ei), CS_ERR_LIMIT);
	assert_int_equal(b.len, 0);
	cs_buf_free(&b);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nordic),
		cmocka_unit_test(test_anjay),
		cmocka_unit_test(test_two_byte_version),
		cmocka_unit_test(test_padding_not_ff),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_error_messages),
		cmocka_unit_test(test_build_round_trip),
		cmocka_unit_test(test_build_appends),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
