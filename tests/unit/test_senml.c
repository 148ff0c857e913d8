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
#include "cardstrap/model.h"
#include "cardstrap/senml.h"

#include "vectors.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---- helpers ---- */

static void add_res(struct cs_instance *i, uint16_t rid, const void *v, size_t len)
{
	assert_non_null(cs_instance_add_resource(i, rid, v, len));
}

/* Record k of arr printed compactly must be exactly text. */
static void expect_record(const json_t *arr, size_t k, const char *text)
{
	char *s = json_dumps(json_array_get(arr, k), JSON_COMPACT);

	assert_non_null(s);
	if (strcmp(s, text))
		print_error("record %zu:\n  got      %s\n  expected %s\n", k, s, text);
	assert_string_equal(s, text);
	free(s);
}

static void bsfile_of(const struct cs_model *m, struct cs_buf *out)
{
	struct cs_errinfo ei;

	cs_buf_init(out);
	assert_int_equal(cs_model_to_bsfile(m, out, &ei), 0);
}

static void print_hex(const struct cs_buf *b)
{
	char line[16 * 3 + 1];

	for (size_t k = 0; k < b->len; k += 16) {
		cs_hex_encode(b->data + k, b->len - k < 16 ? b->len - k : 16, ' ', line,
			      sizeof(line));
		print_error("  %04zx  %s\n", k, line);
	}
}

/* SenML + versions of m printed as `decode --json` would, parsed back, same EF bytes. */
static void expect_round_trip(const struct cs_model *m)
{
	json_t *doc = json_object();
	struct cs_model back;
	struct cs_buf a, b;
	struct cs_errinfo ei;
	char *text;
	int err;

	json_object_set_new(doc, "senml", cs_senml_from_model(m, CS_SENML_SHOW_SECRETS));
	json_object_set_new(doc, "objects", cs_senml_versions(m));
	text = json_dumps(doc, JSON_INDENT(2));
	json_decref(doc);
	assert_non_null(text);

	cs_model_init(&back);
	err = cs_senml_parse(text, strlen(text), &back, &ei);
	if (err)
		print_error("parse: %s\n%s\n", ei.msg, text);
	assert_int_equal(err, 0);
	bsfile_of(m, &a);
	bsfile_of(&back, &b);
	if (a.len != b.len || memcmp(a.data, b.data, a.len)) {
		print_error("original:\n");
		print_hex(&a);
		print_error("back:\n");
		print_hex(&b);
	}
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.data, b.data, a.len);
	cs_buf_free(&a);
	cs_buf_free(&b);
	cs_model_free(&back);
	free(text);
}

static int parse(const char *text, struct cs_model *m, struct cs_errinfo *ei)
{
	cs_model_init(m);
	cs_errinfo_clear(ei);
	return cs_senml_parse(text, strlen(text), m, ei);
}

static const struct cs_value *value_at(const struct cs_model *m, uint16_t oid, uint16_t iid,
				       uint16_t rid)
{
	const struct cs_object *o = cs_model_find_object(m, oid);
	const struct cs_instance *i = o ? cs_object_find_instance(o, iid) : NULL;
	const struct cs_resource *r = i ? cs_instance_find_resource(i, rid) : NULL;

	assert_non_null(r);
	assert_false(r->multiple);
	return &r->v;
}

static void expect_bytes(const struct cs_model *m, uint16_t oid, uint16_t iid, uint16_t rid,
			 const void *bytes, size_t len)
{
	const struct cs_value *v = value_at(m, oid, iid, rid);

	if (v->len != len)
		print_error("/%u/%u/%u: length %zu, expected %zu\n", oid, iid, rid, v->len, len);
	assert_int_equal(v->len, len);
	if (len)
		assert_memory_equal(v->data, bytes, len);
}

/* ---- model → SenML ---- */

/* A model with every type, a multiple resource and an unknown object. */
static void build_all_types(struct cs_model *m)
{
	static const uint8_t f15[] = {0x3F, 0xC0, 0x00, 0x00};
	static const uint8_t f01[] = {0x3F, 0xB9, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9A};
	static const uint8_t psk[] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
				      0x88, 0x99, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF};
	struct cs_object *o;
	struct cs_instance *i;
	struct cs_resource *r;

	cs_model_init(m);
	assert_non_null(o = cs_model_add_object(m, 0, 1, 1));
	assert_non_null(i = cs_object_add_instance(o, 1));
	add_res(i, 0, "coaps://lwm2m.example.com:5684", 30);
	add_res(i, 1, "\x00", 1);
	add_res(i, 2, "\x00", 1); /* PSK: resource 3 is a secret */
	add_res(i, 3, "psk-id", 6);
	add_res(i, 4, "\x01\xff\xfe", 3);
	add_res(i, 5, psk, sizeof(psk));
	add_res(i, 10, "\x65", 1);
	add_res(i, 12, "\xFD\x12", 2); /* -750 */
	add_res(i, 15, "\xC8", 1);     /* unsigned 200 */
	assert_non_null(r = cs_instance_add_multiple(i, 16));
	assert_non_null(cs_resource_add_instance(r, 0, (const uint8_t *)"\xC0\xA8", 2));
	assert_non_null(cs_resource_add_instance(r, 1, (const uint8_t *)"\xC8", 1));
	add_res(i, 17, "\x00\x42\x00\x01", 4); /* objlnk 66:1 */

	assert_non_null(o = cs_model_add_object(m, 1, 0, 0));
	assert_non_null(i = cs_object_add_instance(o, 0));
	add_res(i, 0, "\x65", 1);
	add_res(i, 1, "\x00\x01\x51\x80", 4);
	add_res(i, 6, "\x01", 1);
	add_res(i, 7, "U", 1);
	add_res(i, 12, "\x65\x53\xF1\x00", 4); /* time 1700000000 */

	assert_non_null(o = cs_model_add_object(m, 10241, 1, 0));
	assert_non_null(i = cs_object_add_instance(o, 0));
	add_res(i, 5850, f15, sizeof(f15));
	add_res(i, 1, f01, sizeof(f01));
}

static const char *const all_types_records[] = {
	"{\"bn\":\"/0/1/\",\"n\":\"0\",\"vs\":\"coaps://lwm2m.example.com:5684\"}",
	"{\"n\":\"1\",\"vb\":false}",
	"{\"n\":\"2\",\"v\":0}",
	"{\"n\":\"3\",\"vd\":\"cHNrLWlk\"}",
	"{\"n\":\"4\",\"vd\":\"Af_-\"}",
	"{\"n\":\"5\",\"vd\":\"ABEiM0RVZneImaq7zN3u_w\"}",
	"{\"n\":\"10\",\"v\":101}",
	"{\"n\":\"12\",\"v\":-750}",
	"{\"n\":\"15\",\"v\":200}",
	"{\"n\":\"16/0\",\"v\":49320}",
	"{\"n\":\"16/1\",\"v\":200}",
	"{\"n\":\"17\",\"vlo\":\"66:1\"}",
	"{\"bn\":\"/1/0/\",\"n\":\"0\",\"v\":101}",
	"{\"n\":\"1\",\"v\":86400}",
	"{\"n\":\"6\",\"vb\":true}",
	"{\"n\":\"7\",\"vs\":\"U\"}",
	"{\"n\":\"12\",\"v\":1700000000}",
	/* unknown resources keep their bytes: float 1.5 (binary32) and 0.1 (binary64) */
	"{\"bn\":\"/10241/0/\",\"n\":\"5850\",\"vd\":\"P8AAAA\"}",
	"{\"n\":\"1\",\"vd\":\"P7mZmZmZmZo\"}",
};

static void test_all_types_shown(void **state)
{
	struct cs_model m;
	json_t *arr, *ver;
	char *s;

	(void)state;
	build_all_types(&m);
	arr = cs_senml_from_model(&m, CS_SENML_SHOW_SECRETS);
	assert_non_null(arr);
	assert_int_equal(json_array_size(arr), COUNT(all_types_records));
	for (size_t k = 0; k < COUNT(all_types_records); k++)
		expect_record(arr, k, all_types_records[k]);
	json_decref(arr);

	ver = cs_senml_versions(&m);
	s = json_dumps(ver, JSON_COMPACT);
	assert_string_equal(s, "[{\"id\":0,\"version\":\"1.1\"},{\"id\":1},"
			       "{\"id\":10241,\"version\":\"1.0\"}]");
	free(s);
	json_decref(ver);
	cs_model_free(&m);
}

static void test_all_types_round_trip(void **state)
{
	struct cs_model m;

	(void)state;
	build_all_types(&m);
	expect_round_trip(&m);
	cs_model_free(&m);
}

static void test_secrets_masked(void **state)
{
	struct cs_model m;
	json_t *arr;
	char *s;

	(void)state;
	build_all_types(&m);
	arr = cs_senml_from_model(&m, 0);
	assert_non_null(arr);
	assert_int_equal(json_array_size(arr), COUNT(all_types_records));
	expect_record(arr, 3, "{\"n\":\"3\",\"secret\":6}");
	expect_record(arr, 4, "{\"n\":\"4\",\"vd\":\"Af_-\"}");
	expect_record(arr, 5, "{\"n\":\"5\",\"secret\":16}");
	s = json_dumps(arr, JSON_COMPACT);
	assert_null(strstr(s, "cHNrLWlk"));
	assert_null(strstr(s, "ABEiM0RVZneImaq7zN3u_w"));
	assert_null(strstr(s, "psk-id"));
	free(s);
	json_decref(arr);

	/* NoSec: resource 3 is not a PSK identity, only 5 stays masked */
	cs_model_find_object(&m, 0)->inst[0].res[2].v.data[0] = 3;
	arr = cs_senml_from_model(&m, 0);
	expect_record(arr, 2, "{\"n\":\"2\",\"v\":3}");
	expect_record(arr, 3, "{\"n\":\"3\",\"vd\":\"cHNrLWlk\"}");
	expect_record(arr, 5, "{\"n\":\"5\",\"secret\":16}");
	json_decref(arr);
	cs_model_free(&m);
}

static void test_masked_secret_input(void **state)
{
	struct cs_model m;
	struct cs_errinfo ei;
	json_t *arr;
	char *s;

	(void)state;
	build_all_types(&m);
	arr = cs_senml_from_model(&m, 0);
	s = json_dumps(arr, 0);
	json_decref(arr);
	cs_model_free(&m);

	assert_int_equal(parse(s, &m, &ei), CS_ERR_MALFORMED);
	assert_int_equal(ei.offset, 3);
	assert_string_equal(ei.msg, "record 3 (/0/1/3) is a masked secret; re-run decode with "
				    "--show-secrets");
	assert_int_equal(m.nobj, 0);
	free(s);
}

static void test_from_object_and_instance(void **state)
{
	struct cs_model m;
	struct cs_object *o;
	json_t *arr;

	(void)state;
	build_all_types(&m);
	o = cs_model_find_object(&m, 1);
	assert_non_null(cs_object_add_instance(o, 7));
	add_res(&o->inst[1], 0, "\x66", 1);

	arr = cs_senml_from_object(o, 0);
	assert_int_equal(json_array_size(arr), 6);
	expect_record(arr, 0, "{\"bn\":\"/1/0/\",\"n\":\"0\",\"v\":101}");
	expect_record(arr, 5, "{\"bn\":\"/1/7/\",\"n\":\"0\",\"v\":102}");
	json_decref(arr);

	arr = cs_senml_from_instance(1, &o->inst[1], 0);
	assert_int_equal(json_array_size(arr), 1);
	expect_record(arr, 0, "{\"bn\":\"/1/7/\",\"n\":\"0\",\"v\":102}");
	json_decref(arr);
	cs_model_free(&m);
}

/* Bytes that do not fit the type come out as raw "vd"; SenML-less structures are left out. */
static void test_type_mismatch_output(void **state)
{
	struct cs_model m;
	struct cs_object *o;
	struct cs_instance *i;
	json_t *arr;

	(void)state;
	cs_model_init(&m);
	o = cs_model_add_object(&m, 0, 0, 0);
	i = cs_object_add_instance(o, 0);
	add_res(i, 0, "a\xff", 2);                        /* string, not UTF-8 */
	add_res(i, 1, "\x02", 1);                         /* boolean 2 */
	add_res(i, 2, "\x00\x00\x03", 3);                 /* integer of width 3 */
	add_res(i, 13, "", 0);                            /* unsigned, empty */
	assert_non_null(cs_instance_add_multiple(i, 16)); /* no instances */
	add_res(i, 17, "\x00\x42\x00", 3);                /* objlnk of 3 bytes */
	add_res(i, 0x4000, "\x00\x01", 2);                /* unknown resource */
	add_res(i, 14, "a\0b", 3);                        /* string with a NUL is still UTF-8 */
	o = cs_model_add_object(&m, 1, 0, 0);
	i = cs_object_add_instance(o, 0);
	add_res(i, 8, "", 0);                                  /* executable */
	add_res(i, 13, "\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF", 8); /* unsigned 2^64-1 */
	add_res(i, 12, "\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF", 8); /* time -1 */
	add_res(i, 14, "\x00\x00\x00\xC8", 4);                 /* unsigned, not shortest */
	assert_non_null(cs_object_add_instance(o, 1));         /* no resources */

	arr = cs_senml_from_model(&m, 0);
	assert_int_equal(json_array_size(arr), 11);
	expect_record(arr, 0, "{\"bn\":\"/0/0/\",\"n\":\"0\",\"vd\":\"Yf8\"}");
	expect_record(arr, 1, "{\"n\":\"1\",\"vd\":\"Ag\"}");
	expect_record(arr, 2, "{\"n\":\"2\",\"vd\":\"AAAD\"}");
	expect_record(arr, 3, "{\"n\":\"13\",\"vd\":\"\"}");
	expect_record(arr, 4, "{\"n\":\"17\",\"vd\":\"AEIA\"}");
	expect_record(arr, 5, "{\"n\":\"16384\",\"vd\":\"AAE\"}");
	expect_record(arr, 6, "{\"n\":\"14\",\"vs\":\"a\\u0000b\"}");
	expect_record(arr, 7, "{\"bn\":\"/1/0/\",\"n\":\"8\",\"vd\":\"\"}");
	/* above INT64_MAX: a JSON real, not exact */
	assert_true(json_is_real(json_object_get(json_array_get(arr, 8), "v")));
	assert_true(json_real_value(json_object_get(json_array_get(arr, 8), "v")) ==
		    18446744073709551616.0);
	expect_record(arr, 9, "{\"n\":\"12\",\"v\":-1}");
	expect_record(arr, 10, "{\"n\":\"14\",\"v\":200}");
	json_decref(arr);
	cs_model_free(&m);
}

/* ---- SenML → model ---- */

static void test_names_and_values(void **state)
{
	static const char text[] =
		"[{\"bn\":\"/0/1/\",\"n\":\"0\",\"vs\":\"coap://[::1]:5683\"},"
		" {\"n\":\"1\",\"vb\":true,\"t\":0,\"u\":\"s\",\"comment\":\"ignored\"},"
		" {\"n\":\"12\",\"v\":-750},"
		" {\"bn\":\"/1/0/0\",\"v\":200},"
		" {\"bn\":\"/1/0/\",\"n\":\"1\",\"v\":86400.0},"
		" {\"n\":\"13\",\"v\":200},"
		" {\"n\":\"12\",\"v\":-1},"
		" {\"bn\":\"\",\"n\":\"/0/1/16/3\",\"v\":49320},"
		" {\"n\":\"/0/1/16/0\",\"v\":255},"
		" {\"n\":\"/0/1/17\",\"vlo\":\"65535:65535\"},"
		" {\"n\":\"/0/1/5\",\"vd\":\"3q2-7w\"},"
		" {\"n\":\"/0/1/4\",\"vd\":\"3q2+7w==\"},"
		" {\"n\":\"/0/2/0\",\"vs\":\"\"},"
		" {\"bn\":\"/10241/0/\",\"n\":\"5850\",\"v\":1.5},"
		" {\"n\":\"1\",\"v\":0.1},"
		" {\"n\":\"2\",\"v\":7},"
		" {\"n\":\"3\",\"v\":-1},"
		" {\"n\":\"4\",\"vs\":\"hi\"},"
		" {\"n\":\"5\",\"vb\":false},"
		" {\"n\":\"6\",\"vlo\":\"66:1\"},"
		" {\"n\":\"7/9\",\"vd\":\"AQ\"},"
		" {\"n\":\"7/2\",\"v\":2.0},"
		" {\"n\":\"8\",\"v\":1e300},"
		" {\"bn\":\"/2/3/\",\"bv\":100,\"n\":\"0\",\"v\":1},"
		" {\"n\":\"3\",\"v\":-100}]";
	static const uint8_t f01[] = {0x3F, 0xB9, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9A};
	struct cs_model m;
	struct cs_errinfo ei;
	const struct cs_object *o;
	const struct cs_instance *i;
	const struct cs_resource *r;
	int err;

	(void)state;
	err = parse(text, &m, &ei);
	if (err)
		print_error("%s\n", ei.msg);
	assert_int_equal(err, 0);

	/* grouping: objects, instances, resources in first-seen order */
	assert_int_equal(m.nobj, 4);
	assert_int_equal(m.obj[0].id, 0);
	assert_int_equal(m.obj[1].id, 1);
	assert_int_equal(m.obj[2].id, 10241);
	assert_int_equal(m.obj[3].id, 2);
	assert_int_equal(m.obj[0].ver_major, 0);
	assert_int_equal(m.obj[0].ninst, 2);
	assert_int_equal(m.obj[0].inst[0].id, 1);
	assert_int_equal(m.obj[0].inst[1].id, 2);
	i = &m.obj[0].inst[0];
	assert_int_equal(i->nres, 7);
	assert_int_equal(i->res[0].id, 0);
	assert_int_equal(i->res[3].id, 16);
	assert_int_equal(i->res[6].id, 4);

	expect_bytes(&m, 0, 1, 0, "coap://[::1]:5683", 17);
	expect_bytes(&m, 0, 1, 1, "\x01", 1);
	expect_bytes(&m, 0, 1, 12, "\xFD\x12", 2);
	expect_bytes(&m, 1, 0, 0, "\x00\xC8", 2); /* Integer: 200 needs 2 bytes signed */
	expect_bytes(&m, 1, 0, 1, "\x00\x01\x51\x80", 4);
	expect_bytes(&m, 1, 0, 13, "\xC8", 1); /* Unsigned: 200 fits 1 byte */
	expect_bytes(&m, 1, 0, 12, "\xFF", 1); /* Time */
	expect_bytes(&m, 0, 1, 17, "\xFF\xFF\xFF\xFF", 4);
	expect_bytes(&m, 0, 1, 5, "\xDE\xAD\xBE\xEF", 4);
	expect_bytes(&m, 0, 1, 4, "\xDE\xAD\xBE\xEF", 4);
	expect_bytes(&m, 0, 2, 0, "", 0);

	r = cs_instance_find_resource(i, 16);
	assert_true(r->multiple);
	assert_int_equal(r->ninst, 2);
	assert_int_equal(r->inst[0].id, 3);
	assert_int_equal(r->inst[0].v.len, 2);
	assert_memory_equal(r->inst[0].v.data, "\xC0\xA8", 2);
	assert_int_equal(r->inst[1].id, 0);
	assert_memory_equal(r->inst[1].v.data, "\xFF", 1);

	/* unknown object: types chosen by the value field */
	expect_bytes(&m, 10241, 0, 5850, "\x3F\xC0\x00\x00", 4);
	expect_bytes(&m, 10241, 0, 1, f01, sizeof(f01));
	expect_bytes(&m, 10241, 0, 2, "\x07", 1);
	expect_bytes(&m, 10241, 0, 3, "\xFF", 1);
	expect_bytes(&m, 10241, 0, 4, "hi", 2);
	expect_bytes(&m, 10241, 0, 5, "\x00", 1);
	expect_bytes(&m, 10241, 0, 6, "\x00\x42\x00\x01", 4);
	expect_bytes(&m, 10241, 0, 8, "\x7E\x37\xE4\x3C\x88\x00\x75\x9C", 8);
	o = cs_model_find_object(&m, 10241);
	r = cs_instance_find_resource(&o->inst[0], 7);
	assert_true(r->multiple);
	assert_int_equal(r->ninst, 2);
	assert_int_equal(r->inst[0].id, 9);
	assert_memory_equal(r->inst[0].v.data, "\x01", 1);
	assert_int_equal(r->inst[1].id, 2);
	assert_memory_equal(r->inst[1].v.data, "\x02", 1);

	/* bv is added to v and carries over */
	expect_bytes(&m, 2, 3, 0, "\x65", 1);
	expect_bytes(&m, 2, 3, 3, "\x00", 1);
	cs_model_free(&m);
}

static void test_versions_input(void **state)
{
	static const char text[] =
		"{\"senml\":[{\"n\":\"/1/0/0\",\"v\":1},{\"n\":\"/0/0/0\",\"vs\":\"x\"},"
		"{\"n\":\"/2/0/0\",\"v\":1}],"
		" \"objects\":[{\"id\":0,\"version\":\"1.2\"},{\"id\":1},{\"id\":3,\"version\":"
		"\"1.0\"},{\"id\":2,\"version\":\"255.255\"}],\"other\":true}";
	struct cs_model m;
	struct cs_errinfo ei;

	(void)state;
	assert_int_equal(parse(text, &m, &ei), 0);
	assert_int_equal(m.nobj, 3);
	assert_int_equal(m.obj[0].id, 1);
	assert_int_equal(m.obj[0].ver_major, 0);
	assert_int_equal(m.obj[1].id, 0);
	assert_int_equal(m.obj[1].ver_major, 1);
	assert_int_equal(m.obj[1].ver_minor, 2);
	assert_int_equal(m.obj[2].ver_major, 255);
	assert_int_equal(m.obj[2].ver_minor, 255);
	cs_model_free(&m);
}

struct bad_case {
	const char *json;
	long offset;
	const char *msg; /* expected substring */
};

static const struct bad_case bad_cases[] = {
	{"[1]", 0, "record 0: not a JSON object"},
	{"{\"senml\":{}}", -1, "no \"senml\" array"},
	{"[{\"n\":\"/0/0/0\",\"vs\":\"a\"},{\"n\":\"/0/0/1\",\"vb\":true,\"foo_\":1}]", 1,
	 "record 1 (/0/0/1): unknown must-understand field \"foo_\""},
	{"[{\"n\":\"/0/0/0\",\"vs\":\"a\",\"v\":1}]", 0, "has both \"v\" and \"vs\""},
	{"[{\"n\":\"/0/0/0\",\"vs\":\"a\",\"vd\":\"AA\"}]", 0, "has both \"vs\" and \"vd\""},
	{"[{\"n\":\"/0/0/0\",\"t\":1}]", 0, "record 0 (/0/0/0): has no value"},
	{"[{\"n\":1,\"v\":1}]", 0, "\"n\" must be a string"},
	{"[{\"bn\":[],\"v\":1}]", 0, "\"bn\" must be a string"},
	{"[{\"v\":1}]", 0, "record 0: record has no name"},
	{"[{\"n\":\"/0/0\",\"v\":1}]", 0, "(/0/0): name is not an LwM2M path"},
	{"[{\"n\":\"/0/0/0/0/0\",\"v\":1}]", 0, "name is not an LwM2M path"},
	{"[{\"n\":\"0/0/0\",\"v\":1}]", 0, "name is not an LwM2M path"},
	{"[{\"n\":\"/0/65535/0\",\"v\":1}]", 0, "name is not an LwM2M path"},
	{"[{\"n\":\"/0/0/1/65535\",\"v\":1}]", 0, "name is not an LwM2M path"},
	{"[{\"n\":\"/0/a/0\",\"v\":1}]", 0, "name is not an LwM2M path"},
	{"[{\"n\":\"/0//0\",\"v\":1}]", 0, "name is not an LwM2M path"},
	{"[{\"n\":\"/0/0/0/\",\"v\":1}]", 0, "name is not an LwM2M path"},
	{"[{\"n\":\"/01/0/0\",\"v\":1}]", 0, "name is not an LwM2M path"},
	{"[{\"n\":\"/0/0/+1\",\"v\":1}]", 0, "name is not an LwM2M path"},
	{"[{\"n\":\"/0/0/0\\u0000\",\"vs\":\"a\"}]", 0, "name holds a NUL"},
	{"[{\"n\":\"/99999999999999999999/0/0\",\"v\":1}]", 0, "name is not an LwM2M path"},
	{"[{\"bn\":\"/0/0/0000000000000000000000000000000000000000000000000000000000000000\","
	 "\"v\":1}]",
	 0, "name is too long"},
	/* types of defined resources */
	{"[{\"n\":\"/0/0/0\",\"vs\":\"a\"},{\"n\":\"/0/0/9\",\"v\":1}]", 1,
	 "record 1 (/0/0/9): LwM2M Server SMS Number is of type String and needs \"vs\", not "
	 "\"v\""},
	{"[{\"n\":\"/0/0/2\",\"vs\":\"0\"}]", 0,
	 "Security Mode is of type Integer and needs \"v\""},
	{"[{\"n\":\"/0/0/2\",\"v\":1.5}]", 0, "Security Mode needs a whole number"},
	{"[{\"n\":\"/0/0/2\",\"v\":1e19}]", 0, "Security Mode needs a whole number"},
	{"[{\"n\":\"/0/0/2\",\"v\":-1e19}]", 0, "Security Mode needs a whole number"},
	{"[{\"n\":\"/0/0/2\",\"v\":\"1\"}]", 0, "\"v\" must be a number"},
	{"[{\"n\":\"/0/0/13\",\"v\":-1}]", 0, "Matching Type needs a whole number 0..2^64-1"},
	{"[{\"n\":\"/0/0/13\",\"v\":0.5}]", 0, "Matching Type needs a whole number 0..2^64-1"},
	{"[{\"n\":\"/1/0/12\",\"v\":0.5}]", 0, "Last Bootstrapped needs a whole number"},
	{"[{\"n\":\"/0/0/1\",\"v\":1}]", 0, "Bootstrap-Server is of type Boolean and needs \"vb\""},
	{"[{\"n\":\"/0/0/1\",\"vb\":1}]", 0, "\"vb\" must be true or false"},
	{"[{\"n\":\"/0/0/5\",\"vs\":\"key\"}]", 0, "Secret Key is of type Opaque and needs \"vd\""},
	{"[{\"n\":\"/0/0/5\",\"vd\":\"a!\"}]", 0, "\"vd\" is not valid base64"},
	{"[{\"n\":\"/0/0/5\",\"vd\":\"A\"}]", 0, "\"vd\" is not valid base64"},
	{"[{\"n\":\"/0/0/5\",\"vd\":5}]", 0, "\"vd\" must be a base64 string"},
	{"[{\"n\":\"/0/0/0\",\"vs\":5}]", 0, "\"vs\" must be a string"},
	{"[{\"n\":\"/0/0/17\",\"vs\":\"66:1\"}]", 0, "needs \"vlo\""},
	{"[{\"n\":\"/0/0/17\",\"vlo\":\"66\"}]", 0, "\"vlo\" must be a string \"O:I\""},
	{"[{\"n\":\"/0/0/17\",\"vlo\":\"66:65536\"}]", 0, "\"vlo\" must be a string \"O:I\""},
	{"[{\"n\":\"/0/0/17\",\"vlo\":\"66:1:2\"}]", 0, "\"vlo\" must be a string \"O:I\""},
	{"[{\"n\":\"/0/0/17\",\"vlo\":\":1\"}]", 0, "\"vlo\" must be a string \"O:I\""},
	{"[{\"n\":\"/5/0/0\",\"bv\":\"x\",\"v\":1}]", 0, "\"bv\" must be a number"},
	{"[{\"n\":\"/5/0/0\",\"bv\":9223372036854775807,\"v\":1}]", 0, "out of range"},
	{"[{\"n\":\"/5/0/0\",\"bv\":1e308,\"v\":1e308}]", 0, "out of range"},
	/* single / multiple */
	{"[{\"n\":\"/0/0/16\",\"v\":1}]", 0,
	 "DTLS/TLS Ciphersuite is a multiple resource; its name must end with a resource "
	 "instance id"},
	{"[{\"n\":\"/0/0/0/0\",\"vs\":\"a\"}]", 0,
	 "LwM2M Server URI is a single resource; its name must not have a resource instance id"},
	{"[{\"n\":\"/0/0/0\",\"vs\":\"a\"},{\"n\":\"/0/1/0\",\"vs\":\"b\"},{\"n\":\"/0/0/0\","
	 "\"vs\":\"c\"}]",
	 2, "record 2 (/0/0/0): resource appears twice"},
	{"[{\"n\":\"/0/0/16/1\",\"v\":1},{\"n\":\"/0/0/16/2\",\"v\":1},{\"n\":\"/0/0/16/1\","
	 "\"v\":2}]",
	 2, "record 2 (/0/0/16/1): resource instance appears twice"},
	{"[{\"n\":\"/9/0/1/1\",\"v\":1},{\"n\":\"/9/0/1\",\"v\":1}]", 1,
	 "/9/0/1 appeared earlier as a multiple resource"},
	{"[{\"n\":\"/9/0/1\",\"v\":1},{\"n\":\"/9/0/1/0\",\"v\":1}]", 1,
	 "/9/0/1 appeared earlier as a single resource"},
	{"[{\"n\":\"/9/0/1\",\"v\":1},{\"n\":\"/9/0/1\",\"vs\":\"x\"}]", 1, "appears twice"},
	/* masked secrets */
	{"[{\"n\":\"/0/0/0\",\"vs\":\"a\"},{\"bn\":\"/0/1/\",\"n\":\"5\",\"secret\":16}]", 1,
	 "record 1 (/0/1/5) is a masked secret; re-run decode with --show-secrets"},
	/* versions */
	{"{\"senml\":[],\"objects\":{}}", -1, "object versions must be a JSON array"},
	{"{\"senml\":[],\"objects\":[{\"id\":0,\"version\":\"0.1\"}]}", 0,
	 "object versions entry 0 (object 0): \"version\" must be"},
	{"{\"senml\":[],\"objects\":[{\"id\":0},{\"id\":1,\"version\":\"1\"}]}", 1,
	 "object versions entry 1 (object 1)"},
	{"{\"senml\":[],\"objects\":[{\"id\":1,\"version\":\"1.256\"}]}", 0, "\"version\" must be"},
	{"{\"senml\":[],\"objects\":[{\"id\":1,\"version\":\"1.1 \"}]}", 0, "\"version\" must be"},
	{"{\"senml\":[],\"objects\":[{\"id\":1,\"version\":1.1}]}", 0, "\"version\" must be"},
	{"{\"senml\":[],\"objects\":[{\"version\":\"1.1\"}]}", 0, "needs an \"id\" 0..65534"},
	{"{\"senml\":[],\"objects\":[{\"id\":65535}]}", 0, "needs an \"id\" 0..65534"},
	{"{\"senml\":[],\"objects\":[1]}", 0, "needs an \"id\""},
	{"{\"senml\":[],\"objects\":[{\"id\":1},{\"id\":2},{\"id\":1}]}", 2,
	 "object 1 is listed twice"},
	/* JSON syntax: offset is the byte position */
	{"[{\"n\":}]", 7, "JSON error at line 1, column 7"},
	{"[{\"n\":\"/0/0/0\",\"n\":\"/0/0/1\",\"vs\":\"a\"}]", 18, "duplicate object key"},
	{"[]x", 3, "end of file expected"},
	{"\"text\"", 6, "JSON error"},
	{"[{\"n\":\"/0/0/0\",\"v\":18446744073709551615}]", 39, "too big integer"},
};

static void test_bad_input(void **state)
{
	struct cs_model m;
	struct cs_errinfo ei;

	(void)state;
	for (size_t k = 0; k < COUNT(bad_cases); k++) {
		const struct bad_case *c = &bad_cases[k];
		int err = parse(c->json, &m, &ei);

		if (err != CS_ERR_MALFORMED || ei.offset != c->offset || !strstr(ei.msg, c->msg))
			print_error("case %zu %s: err %d offset %ld msg \"%s\"\n", k, c->json, err,
				    ei.offset, ei.msg);
		assert_int_equal(err, CS_ERR_MALFORMED);
		assert_int_equal(ei.offset, c->offset);
		assert_non_null(strstr(ei.msg, c->msg));
		assert_int_equal(m.nobj, 0);
		assert_null(m.obj);
	}
}

/* Messages never quote the input: it may be key material. */
static void test_syntax_error_hides_input(void **state)
{
	static const char text[] = "[{\"n\":\"/0/0/5\",\"vd\":\"SECRETKEYMATERIAL";
	struct cs_model m;
	struct cs_errinfo ei;

	(void)state;
	assert_int_equal(parse(text, &m, &ei), CS_ERR_MALFORMED);
	assert_null(strstr(ei.msg, "SECRET"));
	assert_non_null(strstr(ei.msg, "line 1"));
}

static void test_direct_api(void **state)
{
	struct cs_model m;
	struct cs_errinfo ei;
	json_t *rec = json_pack("[{s:s, s:i}]", "n", "/1/0/0", "v", 7);

	(void)state;
	cs_model_init(&m);
	assert_int_equal(cs_senml_to_model(rec, NULL, &m, &ei), 0);
	expect_bytes(&m, 1, 0, 0, "\x07", 1);
	cs_model_free(&m);
	cs_model_init(&m);
	assert_int_equal(cs_senml_to_model(json_array_get(rec, 0), NULL, &m, &ei),
			 CS_ERR_MALFORMED);
	assert_int_equal(ei.offset, -1);
	json_decref(rec);
}

/* ---- vectors ---- */

static void round_trip_vector(const char *name)
{
	struct cs_model m;

	vector_model(name, &m);
	assert_true(m.nobj > 0);
	expect_round_trip(&m);
	cs_model_free(&m);
}

static void test_vector_anjay(void **state)
{
	(void)state;
	round_trip_vector("ef-anjay-basic.hex");
}

static void test_vector_nordic(void **state)
{
	(void)state;
	round_trip_vector("ef-nordic.hex");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_types_shown),
		cmocka_unit_test(test_all_types_round_trip),
		cmocka_unit_test(test_secrets_masked),
		cmocka_unit_test(test_masked_secret_input),
		cmocka_unit_test(test_from_object_and_instance),
		cmocka_unit_test(test_type_mismatch_output),
		cmocka_unit_test(test_names_and_values),
		cmocka_unit_test(test_versions_input),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_syntax_error_hides_input),
		cmocka_unit_test(test_direct_api),
		cmocka_unit_test(test_vector_anjay),
		cmocka_unit_test(test_vector_nordic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
