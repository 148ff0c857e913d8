/* SPDX-License-Identifier: MIT */
/* The card image format (applet-spec/card-image.md): strict loading, saving, ATR, standard layout.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cardstrap/cardimg.h"
#include "cardstrap/encoding.h"
#include "cardstrap/pkcs15.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define HEAD     "{\"format\": \"cardstrap-card-image\", \"version\": 1"

static char *hex(const uint8_t *p, size_t n)
{
	static char s[4][2 * 128 + 1];
	static int k;

	k = (k + 1) % 4;
	cs_hex_encode(p, n, 0, s[k], sizeof(s[k]));
	return s[k];
}

static struct cs_cardimg *parse_ok(const char *json)
{
	struct cs_cardimg *img = NULL;
	struct cs_errinfo ei;

	if (cs_cardimg_parse(json, strlen(json), &img, &ei) != 0)
		fail_msg("parse failed: %s\n%s", ei.msg, json);
	return img;
}

/* An image using every member of the format. */
static const char FULL[] = HEAD
	",\n"
	"\"description\": \"test card\",\n"
	"\"protocol\": \"T=0\", \"channels\": 2, \"max_le\": 128,\n"
	"\"iccid\": \"8988211000000000017\",\n"
	"\"mf\": {\"files\": [\n"
	"  {\"fid\": \"2F00\", \"name\": \"EF.DIR\", \"sfi\": 30, \"structure\": "
	"\"linear-fixed\",\n"
	"   \"record_length\": 4, \"records\": [\"61 02 4F 00\", \"\"]}],\n"
	"  \"pin_status\": [{\"key_ref\": \"11\", \"enabled\": true}]},\n"
	"\"adfs\": [{\"aid\": \"A0 00 00 00 63 50 4B 43 53 2D 31 35\", \"label\": \"PKCS#15\",\n"
	"  \"fid\": \"7F50\", \"x-vendor\": 1,\n"
	"  \"pin_status\": [{\"key_ref\": \"01\", \"enabled\": true}, {\"key_ref\": \"0A\", "
	"\"enabled\": false}],\n"
	"  \"files\": [{\"fid\": \"6432\", \"sfi\": 18, \"read\": \"pin:01\", \"data\": \"00 01 # "
	"nobj\\n 00 00\"},\n"
	"             {\"fid\": \"5031\", \"data\": \"\"}]}],\n"
	"\"pins\": [{\"key_ref\": \"01\", \"value\": \"0000\", \"tries_left\": 2, \"max_tries\": "
	"5}],\n"
	"\"scp03\": {\"kvn\": \"30\", \"enc\": \"000102030405060708090A0B0C0D0E0F\",\n"
	"  \"mac\": \"101112131415161718191A1B1C1D1E1F\", \"required\": true},\n"
	"\"x-note\": [1, 2]\n"
	"}";

static void test_full(void **state)
{
	struct cs_cardimg *img = parse_ok(FULL);
	struct cs_cardimg_df *adf;
	struct cs_cardimg_ef *ef;
	struct cs_buf out = {0};

	(void)state;
	assert_string_equal(img->description, "test card");
	assert_true(img->t0);
	assert_int_equal(img->channels, 2);
	assert_int_equal(img->max_le, 128);
	assert_false(img->extended_length);
	/* default ATR for 2 channels: third table 18 | 01 */
	assert_string_equal(hex(img->atr, img->atr_len), "3B85018073F6011999");
	/* EF.DIR records padded with FF; EF ICCID added with SFI 02, nibbles swapped, F-padded */
	ef = cs_cardimg_find_ef(&img->mf, 0x2F00);
	assert_non_null(ef);
	assert_int_equal(ef->structure, CS_EF_LINEAR_FIXED);
	assert_int_equal(ef->record_count, 2);
	assert_string_equal(hex(ef->data, ef->len), "61024F00FFFFFFFF");
	ef = cs_cardimg_find_ef(&img->mf, 0x2FE2);
	assert_non_null(ef);
	assert_int_equal(ef->sfi, 2);
	assert_string_equal(hex(ef->data, ef->len), "988812010000000010F7");
	assert_int_equal(img->mf.n_pin_status, 1);
	assert_int_equal(img->mf.pin_status[0].key_ref, 0x11);
	adf = cs_cardimg_find_adf(img, (const uint8_t *)"\xA0\x00\x00\x00\x63", 5);
	assert_non_null(adf);
	assert_int_equal(adf->fid, 0x7F50);
	assert_string_equal(adf->label, "PKCS#15");
	assert_int_equal(adf->n_pin_status, 2);
	assert_int_equal(adf->pin_status[1].key_ref, 0x0A);
	assert_false(adf->pin_status[1].enabled);
	ef = cs_cardimg_find_ef(adf, 0x6432);
	assert_non_null(ef);
	assert_int_equal(ef->read_pin, 0x01);
	assert_int_equal(ef->sfi, 18);
	assert_string_equal(hex(ef->data, ef->len), "00010000");
	ef = cs_cardimg_find_ef(adf, 0x5031);
	assert_non_null(ef);
	assert_int_equal(ef->len, 0);
	assert_int_equal(ef->sfi, 0);
	assert_int_equal(img->n_pins, 1);
	assert_int_equal(img->pins[0].tries_left, 2);
	assert_int_equal(img->pins[0].max_tries, 5);
	assert_string_equal(hex(img->pins[0].value, 8), "30303030FFFFFFFF");
	assert_non_null(img->scp03);
	assert_int_equal(img->scp03->keys.kvn, 0x30);
	assert_true(img->scp03->required);
	/* saving keeps "scp03" and top-level "x-" members, and the ICCID as "iccid" only */
	assert_int_equal(cs_cardimg_serialize(img, &out, NULL), 0);
	assert_non_null(strstr((char *)out.data, "\"scp03\""));
	assert_non_null(strstr((char *)out.data, "\"x-note\""));
	assert_null(strstr((char *)out.data, "2FE2"));
	assert_non_null(strstr((char *)out.data, "\"read\": \"pin:01\""));
	cs_buf_free(&out);
	cs_cardimg_free(img);
}

static void test_minimal(void **state)
{
	struct cs_cardimg *img = parse_ok(HEAD "}");

	(void)state;
	assert_false(img->t0);
	assert_int_equal(img->channels, 4);
	assert_int_equal(img->max_le, 256);
	assert_int_equal(img->mf.n_efs, 0);
	assert_int_equal(img->n_adfs, 0);
	assert_string_equal(hex(img->atr, img->atr_len), "3B85018073F6011B9B");
	cs_cardimg_free(img);
	/* extended length: default ATR says so, max_le up to 65536 */
	img = parse_ok(HEAD ", \"extended_length\": true, \"max_le\": 65536}");
	assert_true(img->extended_length);
	assert_int_equal(img->max_le, 65536);
	assert_string_equal(hex(img->atr, img->atr_len), "3B85018073F6015BDB");
	cs_cardimg_free(img);
	/* an explicit ATR decides extended length */
	img = parse_ok(HEAD ", \"atr\": \"3B85018073F6015BDB\"}");
	assert_true(img->extended_length);
	assert_int_equal(img->max_le, 65536);
	cs_cardimg_free(img);
}

struct bad_case {
	const char *json;
	int code;
	const char *msg; /* substring of ei.msg */
};

static const struct bad_case BAD[] = {
	{"{", CS_ERR_MALFORMED, "JSON error at line 1"},
	{"[]", CS_ERR_MALFORMED, "top level: expected an object, got an array"},
	{HEAD ", \"version\": 1}", CS_ERR_MALFORMED, "JSON error"}, /* duplicate member */
	{"{\"format\": \"x\", \"version\": 1}", CS_ERR_MALFORMED, "format: \"x\", expected"},
	{"{\"format\": \"cardstrap-card-image\"}", CS_ERR_MALFORMED, "\"version\" is missing"},
	{"{\"format\": \"cardstrap-card-image\", \"version\": 2}", CS_ERR_UNSUPPORTED,
	 "version: 2"},
	{HEAD ", \"foo\": 1}", CS_ERR_MALFORMED, "top level: unknown member \"foo\""},
	{HEAD ", \"channels\": 21}", CS_ERR_RANGE, "channels: 21 is outside 1..20"},
	{HEAD ", \"channels\": \"4\"}", CS_ERR_MALFORMED,
	 "channels: expected an integer, got a string"},
	{HEAD ", \"protocol\": \"T=2\"}", CS_ERR_MALFORMED, "protocol: \"T=2\""},
	{HEAD ", \"atr\": \"3B85018073F6011B00\"}", CS_ERR_MALFORMED, "atr: ATR: TCK 00 is wrong"},
	{HEAD ", \"atr\": \"3B00\"}", CS_ERR_UNSUPPORTED, "atr: does not offer T=1"},
	{HEAD ", \"atr\": \"3B850180\"}", CS_ERR_TRUNCATED, "atr: ATR: ends before"},
	{HEAD ", \"atr\": \"3B85018073F6011B9B\", \"extended_length\": true}", CS_ERR_MALFORMED,
	 "extended_length: is true, but the ATR says false"},
	{HEAD ", \"max_le\": 300}", CS_ERR_RANGE, "max_le: 300 needs extended length"},
	{HEAD ", \"iccid\": \"123\"}", CS_ERR_MALFORMED, "iccid: expected 18..20 decimal digits"},
	{HEAD ", \"mf\": []}", CS_ERR_MALFORMED, "mf: expected an object"},
	{HEAD ", \"mf\": {\"files\": [{\"fid\": \"3F00\", \"data\": \"\"}]}}", CS_ERR_RANGE,
	 "mf.files[0].fid: 3F00 is reserved"},
	{HEAD ", \"mf\": {\"files\": [{\"fid\": \"ZZZZ\", \"data\": \"\"}]}}", CS_ERR_MALFORMED,
	 "mf.files[0].fid: not hex"},
	{HEAD ", \"mf\": {\"files\": [{\"fid\": \"2F0\", \"data\": \"\"}]}}", CS_ERR_MALFORMED,
	 "mf.files[0].fid: not hex"},
	{HEAD ", \"mf\": {\"files\": [{\"fid\": \"2F00\"}]}}", CS_ERR_MALFORMED,
	 "mf.files[0]: member \"data\" is missing"},
	{HEAD ", \"mf\": {\"files\": [{\"fid\": \"2F00\", \"data\": \"\", \"fdi\": 1}]}}",
	 CS_ERR_MALFORMED, "mf.files[0]: unknown member \"fdi\""},
	{HEAD ", \"mf\": {\"files\": [{\"fid\": \"2F00\", \"data\": \"\", \"scp03\": 1}]}}",
	 CS_ERR_MALFORMED, "mf.files[0]: unknown member \"scp03\""},
	{HEAD ", \"mf\": {\"files\": [{\"fid\": \"2F00\", \"structure\": \"linear-fixed\","
	      " \"records\": [\"00\"]}]}}",
	 CS_ERR_MALFORMED, "\"record_length\" is missing"},
	{HEAD ", \"mf\": {\"files\": [{\"fid\": \"2F00\", \"structure\": \"linear-fixed\","
	      " \"record_length\": 2, \"records\": [\"00\", \"000000\"]}]}}",
	 CS_ERR_RANGE, "mf.files[0].records[1]: 3 bytes, longer than record_length 2"},
	/* found by fuzzing: the bytes decoded before a bad digit leaked (SANITIZE=1 shows it) */
	{HEAD ", \"mf\": {\"files\": [{\"fid\": \"2F00\", \"structure\": \"linear-fixed\","
	      " \"record_length\": 40, \"records\": [\"00\", \"FFFFFFFFFFFFFFFFFFFFFFFFV\"]}]}}",
	 CS_ERR_MALFORMED, "mf.files[0].records[1]: not hex"},
	{HEAD ", \"mf\": {\"files\": [{\"fid\": \"2F00\", \"structure\": \"linear-fixed\","
	      " \"record_length\": 2, \"records\": []}]}}",
	 CS_ERR_RANGE, "0 records"},
	{HEAD ", \"mf\": {\"files\": [{\"fid\": \"2F00\", \"structure\": \"linear-fixed\","
	      " \"record_length\": 2, \"records\": [\"00\"], \"data\": \"00\"}]}}",
	 CS_ERR_MALFORMED, "not \"data\""},
	{HEAD ", \"mf\": {\"files\": [{\"fid\": \"2F00\", \"data\": \"\", \"record_length\": 2}]}}",
	 CS_ERR_MALFORMED, "need \"structure\": \"linear-fixed\""},
	{HEAD
	 ", \"mf\": {\"files\": [{\"fid\": \"2F00\", \"data\": \"\", \"structure\": \"cyclic\"}]}}",
	 CS_ERR_MALFORMED, "mf.files[0].structure: \"cyclic\""},
	{HEAD ", \"mf\": {\"files\": [{\"fid\": \"2F00\", \"data\": \"\", \"sfi\": 31}]}}",
	 CS_ERR_RANGE, "mf.files[0].sfi: 31 is outside 1..30"},
	{HEAD ", \"mf\": {\"files\": [{\"fid\": \"2F00\", \"data\": \"\"}, {\"fid\": \"2F00\", "
	      "\"data\": \"\"}]}}",
	 CS_ERR_MALFORMED, "mf.files[1]: FID 2F00 used twice"},
	{HEAD ", \"mf\": {\"files\": [{\"fid\": \"2F00\", \"data\": \"\", \"sfi\": 3}, {\"fid\": "
	      "\"2F01\", \"data\": \"\", \"sfi\": 3}]}}",
	 CS_ERR_MALFORMED, "mf.files[1]: SFI 03 used twice"},
	{HEAD ", \"mf\": {\"files\": [{\"fid\": \"2F00\", \"data\": \"\", \"read\": \"pin:01\"}]}}",
	 CS_ERR_MALFORMED,
	 "mf.files[0]: read needs PIN 01, but \"pins\" has no such key reference"},
	{HEAD ", \"mf\": {\"files\": [{\"fid\": \"2F00\", \"data\": \"\", \"read\": \"pin:00\"}]}}",
	 CS_ERR_RANGE, "key reference 00 is not a PIN or ADM reference"},
	{HEAD ", \"mf\": {\"files\": [{\"fid\": \"2F00\", \"data\": \"\", \"read\": \"never\"}]}}",
	 CS_ERR_MALFORMED, "mf.files[0].read: \"never\": expected \"always\" or \"pin:XX\""},
	{HEAD ", \"iccid\": \"898821100000000001\", \"mf\": {\"files\": [{\"fid\": \"2FE2\", "
	      "\"data\": \"\"}]}}",
	 CS_ERR_MALFORMED, "iccid: the MF already has an EF 2FE2"},
	{HEAD ", \"adfs\": [{\"aid\": \"A00000\"}]}", CS_ERR_RANGE,
	 "adfs[0].aid: 3 bytes, expected 5..16"},
	{HEAD ", \"adfs\": [{\"label\": \"x\"}]}", CS_ERR_MALFORMED,
	 "adfs[0]: member \"aid\" is missing"},
	{HEAD ", \"adfs\": [{\"aid\": \"A000000001\"}, {\"aid\": \"A000000001\"}]}",
	 CS_ERR_MALFORMED, "adfs[1]: AID used twice"},
	{HEAD ", \"adfs\": [{\"aid\": \"A000000001\", \"fid\": \"2F00\"}], \"mf\": {\"files\": "
	      "[{\"fid\": \"2F00\", \"data\": \"\"}]}}",
	 CS_ERR_MALFORMED, "adfs[0]: FID 2F00 is also an EF of the MF"},
	{HEAD ", \"adfs\": [{\"aid\": \"A000000001\", \"pin_status\": [{\"key_ref\": \"01\"}]}]}",
	 CS_ERR_MALFORMED, "adfs[0].pin_status[0]: member \"enabled\" is missing"},
	{HEAD ", \"pins\": [{\"key_ref\": \"01\", \"value\": \"12\"}]}", CS_ERR_RANGE,
	 "pins[0].value: 2 characters, expected 4..8 digits"},
	{HEAD ", \"pins\": [{\"key_ref\": \"01\", \"value\": \"12a4\"}]}", CS_ERR_MALFORMED,
	 "pins[0].value: character 2 is not a digit"},
	{HEAD ", \"pins\": [{\"key_ref\": \"01\", \"value\": \"1234\", \"tries_left\": 5}]}",
	 CS_ERR_RANGE, "pins[0].tries_left: 5 is more than max_tries 3"},
	{HEAD ", \"pins\": [{\"key_ref\": \"01\", \"value\": \"1234\", \"max_tries\": 16}]}",
	 CS_ERR_RANGE, "pins[0].max_tries: 16 is outside 1..15"},
	{HEAD ", \"pins\": [{\"key_ref\": \"01\", \"value\": \"1234\"}, {\"key_ref\": \"01\", "
	      "\"value\": \"1234\"}]}",
	 CS_ERR_MALFORMED, "pins[1]: key reference 01 used twice"},
	{HEAD ", \"pins\": [{\"key_ref\": \"1\", \"value\": \"1234\"}]}", CS_ERR_MALFORMED,
	 "pins[0].key_ref: \"1\" is not a key reference"},
};

static void test_bad(void **state)
{
	struct cs_cardimg *img;
	struct cs_errinfo ei;
	size_t i;
	int err;

	(void)state;
	for (i = 0; i < COUNT(BAD); i++) {
		img = NULL;
		cs_errinfo_clear(&ei);
		err = cs_cardimg_parse(BAD[i].json, strlen(BAD[i].json), &img, &ei);
		if (err != BAD[i].code || !strstr(ei.msg, BAD[i].msg))
			fail_msg("case %zu: %s\n  got %d \"%s\"\n  want %d \"...%s...\"", i,
				 BAD[i].json, err, ei.msg, BAD[i].code, BAD[i].msg);
		assert_null(img);
		/* the message never shows the PIN value */
		assert_null(strstr(ei.msg, "1234"));
	}
}

static void test_x_members(void **state)
{
	struct cs_cardimg *img;

	(void)state;
	img = parse_ok(HEAD ", \"x-a\": {}, \"mf\": {\"x-b\": 1, \"files\": [{\"fid\": \"2F00\","
			    " \"data\": \"00\", \"x-c\": null}]}, \"pins\": [{\"key_ref\": \"81\","
			    " \"value\": \"12345678\", \"x-d\": true}]}");
	assert_int_equal(img->pins[0].key_ref, 0x81);
	assert_string_equal(hex(img->pins[0].value, 8), "3132333435363738");
	cs_cardimg_free(img);
}

static void test_round_trip(void **state)
{
	static const uint8_t ef[] = {0x00, 0x01, 0x00, 0x00, 0xFF};
	struct cs_cardimg_std std = {.ef = ef,
				     .ef_len = sizeof(ef),
				     .pin = "2468",
				     .pin_ref = 0x81,
				     .private_obj = true,
				     .wrapped_oid = true,
				     .t0 = true,
				     .iccid = "8949000000000000001"};
	struct cs_cardimg *img, *back;
	struct cs_buf a = {0}, b = {0};
	struct cs_errinfo ei;
	char dir[] = "/tmp/cs-cardimg-XXXXXX", path[64];
	struct stat st;

	(void)state;
	assert_int_equal(cs_cardimg_build_standard(&std, &img, &ei), 0);
	assert_int_equal(cs_cardimg_serialize(img, &a, &ei), 0);
	back = parse_ok((const char *)a.data);
	assert_int_equal(cs_cardimg_serialize(back, &b, &ei), 0);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.data, b.data, a.len);
	assert_true(back->t0);
	assert_string_equal(back->iccid, "8949000000000000001");
	assert_int_equal(back->pins[0].key_ref, 0x81);
	assert_int_equal(cs_cardimg_bootstrap_ef(back)->read_pin, 0x81);
	cs_cardimg_free(back);

	/* save: mode 0600 even over a world-readable file, then load gives the same image */
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/card.json", dir);
	fclose(fopen(path, "w"));
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(cs_cardimg_save(img, path, &ei), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(cs_cardimg_load(path, &back, &ei), 0);
	cs_buf_free(&b);
	assert_int_equal(cs_cardimg_serialize(back, &b, &ei), 0);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.data, b.data, a.len);
	cs_cardimg_free(back);
	/* load names the file in its errors */
	assert_int_equal(chmod(path, 0600), 0);
	{
		FILE *f = fopen(path, "w");

		fputs(HEAD ", \"channels\": 0}", f);
		fclose(f);
	}
	assert_int_equal(cs_cardimg_load(path, &back, &ei), CS_ERR_RANGE);
	assert_non_null(strstr(ei.msg, path));
	assert_non_null(strstr(ei.msg, "channels: 0 is outside 1..20"));
	unlink(path);
	rmdir(dir);
	assert_int_equal(cs_cardimg_save(img, "/nonexistent/dir/card.json", &ei), CS_ERR_IO);
	cs_cardimg_free(img);
	cs_buf_free(&a);
	cs_buf_free(&b);
}

/* The standard layout, byte by byte where card-image.md §5 gives the bytes. */
static void test_standard(void **state)
{
	static const uint8_t ef[] = {0x00, 0x00, 0x00, 0x00};
	struct cs_cardimg_std std = {.ef = ef, .ef_len = sizeof(ef)};
	struct cs_pkcs15_dataobj objs[2];
	struct cs_cardimg *img;
	struct cs_cardimg_df *adf;
	struct cs_cardimg_ef *e;
	struct cs_errinfo ei;
	size_t n = 0;

	(void)state;
	assert_int_equal(cs_cardimg_build_standard(&std, &img, &ei), 0);
	assert_string_equal(img->iccid, CS_CARDIMG_STD_ICCID);
	assert_int_equal(img->mf.n_efs, 2);
	adf = cs_cardimg_find_adf(img, CS_PKCS15_AID, sizeof(CS_PKCS15_AID));
	assert_non_null(adf);
	assert_int_equal(adf->fid, 0x7F50);
	e = cs_cardimg_find_ef(adf, 0x5031);
	assert_string_equal(hex(e->data, e->len), "A706300404026430");
	assert_int_equal(e->sfi, 0x11);
	e = cs_cardimg_find_ef(adf, 0x6430);
	assert_int_equal(e->sfi, 0x10);
	assert_int_equal(cs_pkcs15_parse_dodf(e->data, e->len, objs, 2, &n, NULL), 0);
	assert_int_equal(n, 1);
	assert_int_equal(objs[0].lwm2m, CS_OID_ID);
	assert_string_equal(objs[0].label, "LwM2M Bootstrap");
	assert_false(objs[0].private_obj);
	assert_int_equal(objs[0].auth_id_len, 0);
	/* without the name, the EF is found through ODF → DODF */
	e = cs_cardimg_find_ef(adf, 0x6432);
	assert_ptr_equal(cs_cardimg_bootstrap_ef(img), e);
	e->name[0] = '\0';
	assert_ptr_equal(cs_cardimg_bootstrap_ef(img), e);
	cs_cardimg_free(img);

	/* wrapped OID and private flag */
	std.wrapped_oid = true;
	std.private_obj = true;
	std.pin = "1234";
	assert_int_equal(cs_cardimg_build_standard(&std, &img, &ei), 0);
	adf = cs_cardimg_find_adf(img, CS_PKCS15_AID, sizeof(CS_PKCS15_AID));
	e = cs_cardimg_find_ef(adf, 0x6430);
	n = 0;
	assert_int_equal(cs_pkcs15_parse_dodf(e->data, e->len, objs, 2, &n, NULL), 0);
	assert_int_equal(objs[0].lwm2m, CS_OID_ID_WRAPPED);
	assert_true(objs[0].private_obj);
	assert_non_null(strstr(hex(e->data, e->len), "06060604672B0901"));
	assert_int_equal(cs_cardimg_find_ef(adf, 0x6432)->read_pin, 0x01);
	assert_int_equal(adf->pin_status[0].key_ref, 0x01);
	assert_true(adf->pin_status[0].enabled);
	cs_cardimg_free(img);

	/* option errors */
	std.pin = NULL;
	assert_int_equal(cs_cardimg_build_standard(&std, &img, &ei), CS_ERR_ARG);
	std.private_obj = false;
	std.pin = "12";
	assert_int_equal(cs_cardimg_build_standard(&std, &img, &ei), CS_ERR_MALFORMED);
	std.pin = NULL;
	std.iccid = "12x";
	assert_int_equal(cs_cardimg_build_standard(&std, &img, &ei), CS_ERR_MALFORMED);
	std.iccid = NULL;
	std.ef_len = 0;
	assert_int_equal(cs_cardimg_build_standard(&std, &img, &ei), CS_ERR_RANGE);
}

struct atr_case {
	const char *atr;
	int code;
	bool t0, t1, caps, ext;
	unsigned channels;
	size_t hist_len;
};

static const struct atr_case ATRS[] = {
	{"3B85018073F6011B9B", 0, false, true, true, false, 4, 5},
	{"3B85018073F6015FDF", 0, false, true, true, true, 8, 5},
	{"3B00", 0, true, false, false, false, 1, 0},
	{"3BF011000001E0", 0, false, true, false, false, 1, 0}, /* TA1 TB1 TC1 TD1 */
	{"3F00", 0, true, false, false, false, 1, 0},
	{"3B0000", CS_ERR_MALFORMED, false, false, false, false, 0, 0}, /* a byte too many */
	{"3B85018073F6011B", CS_ERR_MALFORMED, false, false, false, false, 0, 0}, /* TCK missing */
	{"3C00", CS_ERR_MALFORMED, false, false, false, false, 0, 0},             /* TS */
	{"3B", CS_ERR_TRUNCATED, false, false, false, false, 0, 0},
	{"3B80", CS_ERR_TRUNCATED, false, false, false, false, 0, 0}, /* TD1 announced, missing */
	{"3B0F", CS_ERR_TRUNCATED, false, false, false, false, 0,
	 0}, /* 15 historical bytes announced */
};

static void test_atr(void **state)
{
	struct cs_atr_info info;
	struct cs_errinfo ei;
	size_t i;

	(void)state;
	for (i = 0; i < COUNT(ATRS); i++) {
		struct cs_buf b = {0};
		int err;

		assert_int_equal(cs_hex_decode(ATRS[i].atr, strlen(ATRS[i].atr), &b, NULL), 0);
		err = cs_atr_parse(b.data, b.len, &info, &ei);
		if (err != ATRS[i].code)
			fail_msg("%s: %d (%s), want %d", ATRS[i].atr, err, ei.msg, ATRS[i].code);
		if (!err) {
			assert_int_equal(info.t0, ATRS[i].t0);
			assert_int_equal(info.t1, ATRS[i].t1);
			assert_int_equal(info.has_caps, ATRS[i].caps);
			assert_int_equal(info.extended_length, ATRS[i].ext);
			assert_int_equal(info.channels, ATRS[i].channels);
			assert_int_equal(info.hist_len, ATRS[i].hist_len);
		}
		cs_buf_free(&b);
	}
}

static void test_default_atr(void **state)
{
	uint8_t atr[CS_CARDIMG_MAX_ATR];
	struct cs_atr_info info;
	unsigned ch;
	size_t n;

	(void)state;
	for (ch = 1; ch <= CS_CARDIMG_MAX_CHANNELS; ch++) {
		assert_int_equal(cs_cardimg_default_atr(ch, ch % 2, atr, &n), 0);
		assert_int_equal(cs_atr_parse(atr, n, &info, NULL), 0);
		assert_true(info.t1);
		assert_false(info.t0);
		assert_int_equal(info.extended_length, ch % 2);
		assert_int_equal(info.channels, ch < 8 ? ch : 8);
	}
	assert_int_equal(cs_cardimg_default_atr(0, false, atr, &n), CS_ERR_ARG);
	assert_int_equal(cs_cardimg_default_atr(21, false, atr, &n), CS_ERR_ARG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full),       cmocka_unit_test(test_minimal),
		cmocka_unit_test(test_bad),        cmocka_unit_test(test_x_members),
		cmocka_unit_test(test_round_trip), cmocka_unit_test(test_standard),
		cmocka_unit_test(test_atr),        cmocka_unit_test(test_default_atr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
