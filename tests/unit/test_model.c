/* SPDX-License-Identifier: MIT */
#include <dirent.h>
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
#include "cardstrap/model.h"

#include "vectors.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static int load_named(struct cs_model *m, const char *name, struct cs_buf *b,
		      struct cs_errinfo *ei)
{
	vector_bytes(name, b);
	cs_model_init(m);
	return cs_model_load_bsfile(m, b->data, b->len, ei);
}

static void assert_value(const struct cs_value *v, const void *want, size_t n)
{
	assert_non_null(v->data);
	assert_int_equal(v->len, n);
	if (n)
		assert_memory_equal(v->data, want, n);
	assert_int_equal(v->data[n], '\0');
}

static const struct cs_resource *res_at(const struct cs_instance *i, uint16_t rid)
{
	const struct cs_resource *r = cs_instance_find_resource(i, rid);

	if (!r)
		fail_msg("resource %u missing", rid);
	return r;
}

static void test_nordic(void **state)
{
	static const char uri[] = "coap://leshan.eclipseprojects.io:5783";
	const struct cs_instance *i;
	const struct cs_resource *r;
	struct cs_errinfo ei;
	struct cs_model m;
	struct cs_buf b;

	(void)state;
	assert_int_equal(load_named(&m, "ef-nordic.hex", &b, &ei), 0);
	assert_int_equal(m.nobj, 1);
	assert_int_equal(m.obj[0].id, 0);
	assert_int_equal(m.obj[0].ver_major, 0);
	assert_int_equal(m.obj[0].offset, 4);
	assert_int_equal(m.obj[0].ninst, 1);
	i = &m.obj[0].inst[0];
	assert_int_equal(i->id, 0);
	assert_int_equal(i->offset, 9);
	assert_int_equal(i->nres, 3);

	r = res_at(i, 0);
	assert_false(r->multiple);
	assert_int_equal(r->offset, 12);
	assert_value(&r->v, uri, 37);
	assert_string_equal((const char *)r->v.data, uri);
	r = res_at(i, 1);
	assert_int_equal(r->offset, 52);
	assert_value(&r->v, "\x01", 1);
	r = res_at(i, 2);
	assert_int_equal(r->offset, 55);
	assert_value(&r->v, "\x03", 1);
	/* resources keep file order */
	assert_int_equal(i->res[0].id, 0);
	assert_int_equal(i->res[1].id, 1);
	assert_int_equal(i->res[2].id, 2);
	assert_null(cs_instance_find_resource(i, 10));
	assert_null(cs_model_find_object(&m, 1));
	assert_ptr_equal(cs_model_find_object(&m, 0), &m.obj[0]);
	assert_ptr_equal(cs_object_find_instance(&m.obj[0], 0), i);
	assert_null(cs_object_find_instance(&m.obj[0], 1));
	cs_model_free(&m);
	assert_int_equal(m.nobj, 0);
	assert_null(m.obj);
	cs_buf_free(&b);
}

static void test_anjay(void **state)
{
	static const uint8_t lifetime[] = { 0x00, 0x01, 0x51, 0x80 };
	const struct cs_object *o;
	const struct cs_instance *i;
	struct cs_errinfo ei;
	struct cs_model m;
	struct cs_buf b;

	(void)state;
	assert_int_equal(load_named(&m, "ef-anjay-basic.hex", &b, &ei), 0);
	assert_int_equal(m.nobj, 2);

	o = cs_model_find_object(&m, 0);
	assert_non_null(o);
	assert_int_equal(o->offset, 4);
	assert_int_equal(o->ninst, 1);
	i = cs_object_find_instance(o, 1);
	assert_non_null(i);
	assert_int_equal(i->offset, 9);
	assert_int_equal(i->nres, 6);
	assert_value(&res_at(i, 0)->v, "coaps://eu.iot.avsystem.cloud:5684", 34);
	assert_int_equal(res_at(i, 0)->offset, 12);
	assert_value(&res_at(i, 1)->v, "\x00", 1);
	assert_value(&res_at(i, 2)->v, "\x00", 1);
	assert_value(&res_at(i, 3)->v, "example-psk-identity", 20);
	assert_int_equal(res_at(i, 3)->offset, 55);
	assert_value(&res_at(i, 5)->v, "3x@mpl3P5K53cr3tK3y", 19);
	assert_int_equal(res_at(i, 5)->offset, 78);
	assert_value(&res_at(i, 10)->v, "\x01", 1);
	assert_int_equal(res_at(i, 10)->offset, 100);
	assert_null(cs_instance_find_resource(i, 4));

	o = cs_model_find_object(&m, 1);
	assert_non_null(o);
	assert_int_equal(o->offset, 103);
	i = cs_object_find_instance(o, 1);
	assert_non_null(i);
	assert_int_equal(i->offset, 108);
	assert_int_equal(i->nres, 4);
	assert_value(&res_at(i, 0)->v, "\x01", 1);
	assert_value(&res_at(i, 1)->v, lifetime, 4);
	assert_value(&res_at(i, 6)->v, "\x00", 1);
	assert_value(&res_at(i, 7)->v, "U", 1);
	assert_int_equal(res_at(i, 7)->offset, 123);
	cs_model_free(&m);
	cs_buf_free(&b);
}

static void test_16bit_ids(void **state)
{
	const struct cs_object *o;
	const struct cs_instance *i;
	const struct cs_resource *r;
	struct cs_errinfo ei;
	struct cs_model m;
	struct cs_buf b;

	(void)state;
	assert_int_equal(load_named(&m, "ef-16bit-ids.hex", &b, &ei), 0);
	assert_int_equal(m.nobj, 3);
	o = cs_model_find_object(&m, 10241);
	assert_non_null(o);
	assert_int_equal(o->ver_major, 1);
	assert_int_equal(o->ver_minor, 1);
	assert_int_equal(o->offset, 74);
	assert_int_equal(o->ninst, 2);

	i = cs_object_find_instance(o, 0);
	assert_non_null(i);
	assert_int_equal(i->offset, 80);
	r = res_at(i, 5850);
	assert_int_equal(r->offset, 84);
	assert_value(&r->v, "\x01", 1);
	r = res_at(i, 3);
	assert_int_equal(r->offset, 88);
	assert_int_equal(r->v.len, 300);
	assert_int_equal(r->v.data[0], 0x03);
	assert_int_equal(r->v.data[299], (299 * 7 + 3) & 0xFF);
	r = res_at(i, 7);
	assert_true(r->multiple);
	assert_null(r->v.data);
	assert_int_equal(r->offset, 392);
	assert_int_equal(r->ninst, 2);
	assert_int_equal(r->inst[0].id, 127);
	assert_int_equal(r->inst[0].offset, 394);
	assert_value(&r->inst[0].v, "\x07", 1);
	assert_int_equal(r->inst[1].id, 310);
	assert_int_equal(r->inst[1].offset, 397);
	assert_value(&r->inst[1].v, "\x01", 1);

	i = cs_object_find_instance(o, 300);
	assert_non_null(i);
	assert_int_equal(i->offset, 401);
	assert_value(&res_at(i, 256)->v, "sixteen-bit instance", 20);
	cs_model_free(&m);
	cs_buf_free(&b);
}

/* load → to_bsfile gives back the file up to 4 + size for shortest-form files */
static void test_round_trip(void **state)
{
	static const char *const names[] = { "ef-nordic.hex", "ef-anjay-basic.hex",
					     "ef-16bit-ids.hex", "ef-near-32k.hex" };

	(void)state;
	for (size_t k = 0; k < COUNT(names); k++) {
		struct cs_buf in, out = { 0 };
		struct cs_errinfo ei;
		struct cs_model m;
		size_t end;

		assert_int_equal(load_named(&m, names[k], &in, &ei), 0);
		end = 4 + (size_t)(in.data[2] << 8 | in.data[3]);
		assert_int_equal(cs_model_to_bsfile(&m, &out, &ei), 0);
		if (out.len != end || memcmp(out.data, in.data, end) != 0)
			fail_msg("%s: re-encoded file differs (%zu vs %zu bytes)", names[k],
				 out.len, end);
		cs_model_free(&m);
		cs_buf_free(&in);
		cs_buf_free(&out);
	}
}

/* Every ef-*.hex vector: malformed@N fails at N, ok/invalid load. */
static void test_vectors(void **state)
{
	DIR *d = opendir(vector_dir());
	struct dirent *de;
	size_t seen = 0, malformed = 0;

	(void)state;
	if (!d)
		fail_msg("cannot open %s", vector_dir());
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);
		char expect[64], *text;
		struct cs_errinfo ei;
		struct cs_model m;
		struct cs_buf b;
		int rc;

		if (strncmp(de->d_name, "ef-", 3) != 0 || n < 8 ||
		    strcmp(de->d_name + n - 4, ".hex") != 0)
			continue;
		text = vector_text(de->d_name, NULL);
		vector_expect(text, expect, sizeof(expect));
		free(text);
		vector_bytes(de->d_name, &b);
		cs_model_init(&m);
		cs_errinfo_clear(&ei);
		rc = cs_model_load_bsfile(&m, b.data, b.len, &ei);
		if (strncmp(expect, "malformed@", 10) == 0) {
			long want = strtol(expect + 10, NULL, 10);

			if (rc == 0 || ei.offset != want)
				fail_msg("%s: expected malformed@%ld, got rc %d at %ld: %s",
					 de->d_name, want, rc, ei.offset, ei.msg);
			assert_int_equal(ei.code, rc);
			assert_int_equal(m.nobj, 0);
			assert_null(m.obj);
			malformed++;
		} else if (strcmp(expect, "ok") == 0 || strcmp(expect, "invalid") == 0) {
			if (rc != 0)
				fail_msg("%s: expected to load, got rc %d at %ld: %s",
					 de->d_name, rc, ei.offset, ei.msg);
		} else if (strcmp(expect, "none") != 0) {
			fail_msg("%s: unknown expect line '%s'", de->d_name, expect);
		}
		cs_model_free(&m);
		cs_buf_free(&b);
		seen++;
	}
	closedir(d);
	assert_true(seen >= 15);
	assert_true(malformed >= 13);
}

static void test_error_messages(void **state)
{
	static const struct {
		const char *name;
		int code;
		const char *msg;
	} t[] = {
		{ "ef-malformed-dup-resource.hex", CS_ERR_MALFORMED,
		  "/0/0: resource 2 appears twice (offsets 39 and 45)" },
		{ "ef-malformed-dup-instance.hex", CS_ERR_MALFORMED,
		  "/1: instance 0 appears twice (offsets 9 and 21)" },
		{ "ef-malformed-dup-res-inst.hex", CS_ERR_MALFORMED,
		  "/2/0/2: resource instance 0 appears twice (offsets 18 and 21)" },
		{ "ef-malformed-oi-nested.hex", CS_ERR_MALFORMED,
		  "/1/0: Object Instance 1 at offset 15 nested inside an Object Instance (only "
		  "Resource and Multiple Resource entries belong there)" },
		{ "ef-malformed-ri-in-oi.hex", CS_ERR_MALFORMED,
		  "/1/0: Resource Instance 0 at offset 14 directly inside an Object Instance (it "
		  "belongs inside a Multiple Resource)" },
		{ "ef-malformed-res-inst-top-level.hex", CS_ERR_MALFORMED,
		  "/0: Resource Instance 1 at offset 43 at the top level, where only Object "
		  "Instance entries belong" },
		{ "ef-malformed-len16-past-end.hex", CS_ERR_TRUNCATED,
		  "/0/0: TLV Resource 3 at offset 12: length 300 runs past the end of its "
		  "container (10 bytes left)" },
	};

	(void)state;
	for (size_t k = 0; k < COUNT(t); k++) {
		struct cs_errinfo ei;
		struct cs_model m;
		struct cs_buf b;

		assert_int_equal(load_named(&m, t[k].name, &b, &ei), t[k].code);
		assert_string_equal(ei.msg, t[k].msg);
		cs_buf_free(&b);
	}
}

/* /0/0 (DM, NoSec, SSID 101) + /1/0 as PUT payloads (base 0); the builders re-encode them */
static const uint8_t ex10[] = {
	0x08, 0x00, 0x27, 0xC8, 0x00, 0x15, 'c',  'o',	'a',  'p',  ':',  '/',	'/',  '1',
	'2',  '7',  '.',  '0',	'.',  '0',  '.',  '1',	':',  '5',  '6',  '8',	'3',  0xC1,
	0x01, 0x00, 0xC1, 0x02, 0x03, 0xC0, 0x03, 0xC0, 0x04, 0xC0, 0x05, 0xC1, 0x0A, 0x65,
};
static const uint8_t ex11[] = { 0x08, 0x00, 0x0F, 0xC1, 0x00, 0x65, 0xC4, 0x01, 0x00,
				0x01, 0x51, 0x80, 0xC1, 0x06, 0x01, 0xC1, 0x07, 0x55 };

static void test_load_object_tlv(void **state)
{
	const struct cs_instance *i;
	struct cs_errinfo ei;
	struct cs_model m;
	struct cs_buf b = { 0 };

	(void)state;
	cs_model_init(&m);
	assert_int_equal(cs_model_load_object_tlv(&m, 0, 1, 2, ex10, sizeof(ex10), 0, &ei), 0);
	assert_int_equal(cs_model_load_object_tlv(&m, 1, 0, 0, ex11, sizeof(ex11), 100, &ei), 0);
	assert_int_equal(m.nobj, 2);
	assert_int_equal(m.obj[0].ver_major, 1);
	assert_int_equal(m.obj[0].ver_minor, 2);
	i = &m.obj[0].inst[0];
	assert_int_equal(i->offset, 0);
	assert_int_equal(i->nres, 7);
	assert_value(&res_at(i, 0)->v, "coap://127.0.0.1:5683", 21);
	/* empty opaque: a 1-byte buffer holding the NUL */
	assert_value(&res_at(i, 4)->v, "", 0);
	assert_int_equal(res_at(i, 4)->offset, 35);
	assert_int_equal(res_at(i, 10)->offset, 39);
	i = &m.obj[1].inst[0];
	assert_int_equal(i->offset, 100);
	assert_int_equal(res_at(i, 7)->offset, 115);

	assert_int_equal(cs_model_encode_object_tlv(&m.obj[0], &b), 0);
	assert_int_equal(b.len, sizeof(ex10));
	assert_memory_equal(b.data, ex10, sizeof(ex10));
	b.len = 0;
	assert_int_equal(cs_model_encode_instance_tlv(&m.obj[1].inst[0], &b), 0);
	assert_int_equal(b.len, sizeof(ex11) - 3);
	assert_memory_equal(b.data, ex11 + 3, sizeof(ex11) - 3);
	cs_buf_free(&b);

	/* an error leaves m as it was */
	assert_int_equal(cs_model_load_object_tlv(&m, 1, 0, 0, ex11, sizeof(ex11) - 1, 0, &ei),
			 CS_ERR_TRUNCATED);
	assert_int_equal(ei.offset, 0);
	assert_int_equal(m.nobj, 2);
	/* an empty payload is an object record with no instances */
	assert_int_equal(cs_model_load_object_tlv(&m, 3, 0, 0, NULL, 0, 0, &ei), 0);
	assert_int_equal(m.nobj, 3);
	assert_int_equal(m.obj[2].ninst, 0);
	cs_model_free(&m);
}

static void test_builders_encode(void **state)
{
	static const uint8_t acl[] = { 0x87, 0x02, 0x41, 0x7F, 0x07, 0x61, 0x01, 0x36, 0x01 };
	static const uint8_t want_file[] = {
		0x00, 0x01, 0x00, 0x1B, 0x00, 0x02, 0x01, 0x01, 0x00, 0x15, 0x08, 0x07, 0x12,
		0xC2, 0x00, 0x00, 0x01, 0x87, 0x02, 0x41, 0x7F, 0x07, 0x61, 0x01, 0x36, 0x01,
		0x80, 0x04, 0xC1, 0x03, 0x65,
	};
	struct cs_model m;
	struct cs_object *o;
	struct cs_instance *i;
	struct cs_resource *r;
	struct cs_buf b = { 0 };
	struct cs_errinfo ei;
	uint8_t v[] = { 0x00, 0x01 };

	(void)state;
	cs_model_init(&m);
	o = cs_model_add_object(&m, 2, 1, 1);
	assert_non_null(o);
	assert_int_equal(o->offset, -1);
	i = cs_object_add_instance(o, 7);
	assert_non_null(i);
	r = cs_instance_add_resource(i, 0, v, sizeof(v));
	assert_non_null(r);
	assert_int_equal(r->offset, -1);
	v[1] = 0x99; /* builders copy */
	assert_value(&r->v, "\x00\x01", 2);
	r = cs_instance_add_multiple(i, 2);
	assert_non_null(r);
	assert_true(r->multiple);
	assert_non_null(cs_resource_add_instance(r, 127, (const uint8_t[]){ 7 }, 1));
	assert_non_null(cs_resource_add_instance(r, 310, (const uint8_t[]){ 1 }, 1));
	assert_value(&r->inst[1].v, "\x01", 1);
	assert_int_equal(r->inst[1].offset, -1);
	r = cs_instance_add_multiple(i, 4); /* empty array: 80 04 */
	assert_non_null(r);
	r = cs_instance_add_resource(i, 3, (const uint8_t[]){ 0x65 }, 1);
	assert_non_null(r);
	assert_null(cs_resource_add_instance(r, 0, NULL, 0)); /* not a Multiple Resource */

	assert_int_equal(cs_model_encode_instance_tlv(i, &b), 0);
	assert_int_equal(b.len, 18);
	assert_memory_equal(b.data + 4, acl, sizeof(acl));
	cs_buf_free(&b);

	assert_int_equal(cs_model_to_bsfile(&m, &b, &ei), 0);
	assert_int_equal(b.len, sizeof(want_file));
	assert_memory_equal(b.data, want_file, sizeof(want_file));

	/* and back */
	{
		struct cs_model back;
		const struct cs_resource *mr;

		cs_model_init(&back);
		assert_int_equal(cs_model_load_bsfile(&back, b.data, b.len, &ei), 0);
		assert_int_equal(back.obj[0].ver_minor, 1);
		mr = cs_instance_find_resource(&back.obj[0].inst[0], 4);
		assert_non_null(mr);
		assert_true(mr->multiple);
		assert_int_equal(mr->ninst, 0);
		mr = cs_instance_find_resource(&back.obj[0].inst[0], 2);
		assert_int_equal(mr->inst[1].id, 310);
		assert_int_equal(mr->inst[1].offset, 22);
		cs_model_free(&back);
	}
	cs_buf_free(&b);
	cs_model_free(&m);
}

/* Non-shortest forms load, and come back in their shortest form. */
static void test_non_shortest_reencoded(void **state)
{
	static const uint8_t file[] = {
		0x00, 0x01, 0x00, 0x16, 0x00, 0x01, 0x00, 0x00, 0x11,
		0x38, 0x00, 0x00, 0x00, 0x00, 0x0B,	/* OI 0: 16-bit id, 24-bit length 11 */
		0xF8, 0x00, 0x07, 0x00, 0x00, 0x01, 0x55, /* res 7 "U": 6-byte header */
		0xC8, 0x06, 0x01, 0x01,			/* res 6, 8-bit length 1 */
	};
	static const uint8_t want[] = { 0x00, 0x01, 0x00, 0x0D, 0x00, 0x01, 0x00, 0x00, 0x08,
					0x06, 0x00, 0xC1, 0x07, 0x55, 0xC1, 0x06, 0x01 };
	struct cs_errinfo ei;
	struct cs_model m;
	struct cs_buf b = { 0 };

	(void)state;
	cs_model_init(&m);
	assert_int_equal(cs_model_load_bsfile(&m, file, sizeof(file), &ei), 0);
	assert_int_equal(m.obj[0].inst[0].id, 0);
	assert_value(&res_at(&m.obj[0].inst[0], 7)->v, "U", 1);
	assert_int_equal(res_at(&m.obj[0].inst[0], 7)->offset, 15);
	assert_int_equal(res_at(&m.obj[0].inst[0], 6)->offset, 22);
	assert_int_equal(cs_model_to_bsfile(&m, &b, &ei), 0);
	assert_int_equal(b.len, sizeof(want));
	assert_memory_equal(b.data, want, sizeof(want));
	cs_buf_free(&b);
	cs_model_free(&m);
}

static void test_multiple_container_length(void **state)
{
	/* /2/0: Multiple Resource 2 claims 5 bytes, the Object Instance holds 4 after it */
	static const uint8_t file[] = { 0x00, 0x01, 0x00, 0x0D, 0x00, 0x02, 0x00, 0x00, 0x08,
					0x06, 0x00, 0x85, 0x02, 0x41, 0x00, 0x07, 0xC0 };
	struct cs_errinfo ei;
	struct cs_model m;

	(void)state;
	cs_model_init(&m);
	assert_int_equal(cs_model_load_bsfile(&m, file, sizeof(file), &ei), CS_ERR_TRUNCATED);
	assert_int_equal(ei.offset, 11);
	assert_string_equal(ei.msg, "/2/0: TLV Multiple Resource 2 at offset 11: length 5 runs "
				    "past the end of its container (4 bytes left)");
	assert_int_equal(m.nobj, 0);
}

static void test_same_object_twice(void **state)
{
	/* two records of object 1: successive writes, kept as two records */
	static const uint8_t file[] = { 0x00, 0x02, 0x00, 0x12, 0x00, 0x01, 0x00, 0x00, 0x04,
					0x02, 0x00, 0xC0, 0x00, 0x00, 0x01, 0x00, 0x00, 0x04,
					0x02, 0x01, 0xC0, 0x00 };
	struct cs_errinfo ei;
	struct cs_model m;

	(void)state;
	cs_model_init(&m);
	assert_int_equal(cs_model_load_bsfile(&m, file, sizeof(file), &ei), 0);
	assert_int_equal(m.nobj, 2);
	assert_ptr_equal(cs_model_find_object(&m, 1), &m.obj[0]);
	assert_int_equal(m.obj[0].inst[0].id, 0);
	assert_int_equal(m.obj[1].inst[0].id, 1);
	assert_int_equal(m.obj[1].offset, 13);
	/* a second load into a non-empty model is refused and leaves it alone */
	assert_int_equal(cs_model_load_bsfile(&m, file, sizeof(file), &ei), CS_ERR_ARG);
	assert_int_equal(m.nobj, 2);
	cs_model_free(&m);
}

static void test_error_after_first_record_frees(void **state)
{
	/* record 1 fine, record 2 has a Resource at its top level (offset 18) */
	static const uint8_t file[] = { 0x00, 0x02, 0x00, 0x10, 0x00, 0x01, 0x00, 0x00, 0x04,
					0x02, 0x00, 0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
					0xC0, 0x00 };
	struct cs_errinfo ei;
	struct cs_model m;

	(void)state;
	cs_model_init(&m);
	assert_int_equal(cs_model_load_bsfile(&m, file, sizeof(file), &ei), CS_ERR_MALFORMED);
	assert_int_equal(ei.offset, 18);
	assert_int_equal(m.nobj, 0);
	assert_null(m.obj);
}

static void test_copy(void **state)
{
	struct cs_buf in, a = { 0 }, c = { 0 };
	struct cs_model m, copy;
	struct cs_errinfo ei;
	const struct cs_resource *r;

	(void)state;
	assert_int_equal(load_named(&m, "ef-16bit-ids.hex", &in, &ei), 0);
	cs_model_init(&copy);
	assert_int_equal(cs_model_copy(&copy, &m), 0);
	assert_int_equal(copy.nobj, m.nobj);
	assert_ptr_not_equal(copy.obj, m.obj);
	r = res_at(&copy.obj[2].inst[0], 3);
	assert_ptr_not_equal(r->v.data, res_at(&m.obj[2].inst[0], 3)->v.data);
	assert_int_equal(r->offset, 88);
	assert_int_equal(copy.obj[2].ver_minor, 1);
	assert_int_equal(copy.obj[2].offset, 74);
	assert_int_equal(cs_model_to_bsfile(&m, &a, &ei), 0);
	cs_model_free(&m);
	/* the copy owns its memory */
	assert_int_equal(cs_model_to_bsfile(&copy, &c, &ei), 0);
	assert_int_equal(c.len, a.len);
	assert_memory_equal(c.data, a.data, a.len);
	r = res_at(&copy.obj[2].inst[0], 7);
	assert_int_equal(r->ninst, 2);
	assert_int_equal(r->inst[1].offset, 397);
	/* the copy can grow like any model */
	assert_non_null(cs_object_add_instance(&copy.obj[0], 9));
	assert_non_null(cs_model_add_object(&copy, 4, 0, 0));
	cs_model_free(&copy);
	cs_buf_free(&in);
	cs_buf_free(&a);
	cs_buf_free(&c);
}

static void test_to_bsfile_limits(void **state)
{
	uint8_t *big = calloc(1, 40000);
	struct cs_model m;
	struct cs_instance *i;
	struct cs_buf b = { 0 };
	struct cs_errinfo ei;

	(void)state;
	assert_non_null(big);
	cs_model_init(&m);
	i = cs_object_add_instance(cs_model_add_object(&m, 10250, 0, 0), 0);
	assert_non_null(i);
	assert_non_null(cs_instance_add_resource(i, 0, big, 40000));
	assert_int_equal(cs_model_to_bsfile(&m, &b, &ei), CS_ERR_LIMIT);
	assert_int_equal(b.len, 0);
	cs_model_free(&m);
	cs_buf_free(&b);
	free(big);

	/* an empty model is an empty file */
	assert_int_equal(cs_model_to_bsfile(&m, &b, &ei), 0);
	assert_int_equal(b.len, 4);
	assert_memory_equal(b.data, "\0\0\0\0", 4);
	cs_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nordic),
		cmocka_unit_test(test_anjay),
		cmocka_unit_test(test_16bit_ids),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_error_messages),
		cmocka_unit_test(test_load_object_tlv),
		cmocka_unit_test(test_builders_encode),
		cmocka_unit_test(test_non_shortest_reencoded),
		cmocka_unit_test(test_multiple_container_length),
		cmocka_unit_test(test_same_object_twice),
		cmocka_unit_test(test_error_after_first_record_frees),
		cmocka_unit_test(test_copy),
		cmocka_unit_test(test_to_bsfile_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
