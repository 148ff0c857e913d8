/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirent.h>

#include <cmocka.h>

#include "cardstrap/encoding.h"
#include "cardstrap/pkcs15.h"

#include "vectors.h"

#define COUNT(a)    (sizeof(a) / sizeof((a)[0]))
#define MAX_ITEMS   8
#define MAX_RESULTS 4

/* ---- vector files: `# kind:`, `# result:` (and `# record-length:`) drive the checks ---- */

struct vec {
	char name[128];
	char kind[8];
	char result[MAX_RESULTS][512];
	size_t nresult;
	size_t record_len;
	struct cs_buf data;
};

/* What a parser produced for one vector. */
struct parsed {
	struct cs_pkcs15_path paths[MAX_ITEMS];
	struct cs_pkcs15_dataobj objs[MAX_ITEMS];
	struct cs_pkcs15_app apps[MAX_ITEMS];
	size_t n;
	struct cs_errinfo ei;
};

static const char *after_prefix(const char *line, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(line, prefix, n) ? NULL : line + n;
}

/* Copies the rest of the line at s (without the newline) into dst. */
static void copy_line(char *dst, size_t cap, const char *s)
{
	size_t n = strcspn(s, "\r\n");

	while (n && s[n - 1] == ' ')
		n--;
	assert_true(n < cap);
	memcpy(dst, s, n);
	dst[n] = '\0';
}

/* Loads name from the vector directory; false when it has no `# kind:` line (not ours). */
static bool load_vec(const char *name, struct vec *v)
{
	struct cs_errinfo ei;
	const char *line, *rest;
	size_t len = 0;
	char *text;

	memset(v, 0, sizeof(*v));
	snprintf(v->name, sizeof(v->name), "%s", name);
	text = vector_text(name, &len);
	for (line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		if ((rest = after_prefix(line, "# kind: ")))
			copy_line(v->kind, sizeof(v->kind), rest);
		else if ((rest = after_prefix(line, "# result: "))) {
			assert_true(v->nresult < MAX_RESULTS);
			copy_line(v->result[v->nresult++], sizeof(v->result[0]), rest);
		} else if ((rest = after_prefix(line, "# record-length: ")))
			v->record_len = strtoul(rest, NULL, 10);
	}
	if (!v->kind[0]) {
		free(text);
		return false;
	}
	if (cs_hex_decode(text, len, &v->data, &ei))
		fail_msg("%s: hex: %s", name, ei.msg);
	free(text);
	if (v->nresult == 0)
		fail_msg("%s: no `# result:` line", name);
	return true;
}

/* Splits s into space-separated tokens; key="a b" keeps its spaces and loses the quotes. */
static size_t tokens(const char *s, char tok[][128], size_t max)
{
	size_t n = 0, o;

	while (*s) {
		while (*s == ' ')
			s++;
		if (!*s)
			break;
		assert_true(n < max);
		o = 0;
		while (*s && *s != ' ') {
			if (*s == '"') {
				for (s++; *s && *s != '"'; s++) {
					assert_true(o < 127);
					tok[n][o++] = *s;
				}
				assert_int_equal(*s, '"');
				s++;
				continue;
			}
			assert_true(o < 127);
			tok[n][o++] = *s++;
		}
		tok[n++][o] = '\0';
	}
	return n;
}

static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
	struct cs_buf b = {0};
	struct cs_errinfo ei;
	size_t n;

	if (cs_hex_decode(hex, strlen(hex), &b, &ei))
		fail_msg("bad hex '%s' in a result line: %s", hex, ei.msg);
	n = b.len;
	assert_true(n <= cap);
	if (n)
		memcpy(out, b.data, n);
	cs_buf_free(&b);
	return n;
}

static void expect_bytes(const char *what, const char *hex, const uint8_t *got, size_t got_len)
{
	uint8_t want[64];
	size_t n = unhex(hex, want, sizeof(want));
	char text[200];

	cs_hex_encode(got, got_len, 0, text, sizeof(text));
	if (n != got_len || memcmp(want, got, n))
		fail_msg("%s: got %s, expected %s", what, text, hex);
}

static const char *match_name(enum cs_pkcs15_oid_match m)
{
	switch (m) {
	case CS_OID_NONE: return "none";
	case CS_OID_ID: return "id";
	case CS_OID_ID_WRAPPED: return "id-wrapped";
	case CS_OID_APPLICATION: return "application";
	case CS_OID_APPLICATION_WRAPPED: return "application-wrapped";
	}
	return "?";
}

static int run_parser(const char *kind, const uint8_t *buf, size_t len, size_t record_len,
		      struct parsed *out)
{
	size_t off, chunk;
	int rc;

	memset(out, 0, sizeof(*out));
	cs_errinfo_clear(&out->ei);
	if (!strcmp(kind, "odf"))
		return cs_pkcs15_parse_odf(buf, len, out->paths, MAX_ITEMS, &out->n, &out->ei);
	if (!strcmp(kind, "dodf"))
		return cs_pkcs15_parse_dodf(buf, len, out->objs, MAX_ITEMS, &out->n, &out->ei);
	assert_string_equal(kind, "dir");
	/* a linear fixed EF.DIR is read record by record (READ RECORD, TS 102 221 §13.1) */
	chunk = record_len ? record_len : len;
	for (off = 0; off < len; off += chunk) {
		rc = cs_pkcs15_parse_dir(buf + off, len - off < chunk ? len - off : chunk,
					 out->apps, MAX_ITEMS, &out->n, &out->ei);
		if (rc) {
			out->ei.offset += (long)off;
			return rc;
		}
	}
	return 0;
}

static int code_of(const char *word)
{
	if (!strcmp(word, "truncated"))
		return CS_ERR_TRUNCATED;
	if (!strcmp(word, "malformed"))
		return CS_ERR_MALFORMED;
	if (!strcmp(word, "limit"))
		return CS_ERR_LIMIT;
	fail_msg("unknown error kind '%s'", word);
	return 0;
}

static void check_error(const struct vec *v, int rc, const struct parsed *r, char tok[][128],
			size_t nt)
{
	long at = strtol(tok[0] + strlen("error@"), NULL, 10);
	char where[48];

	assert_int_equal(nt, 2);
	if (rc != code_of(tok[1]) || r->ei.offset != at)
		fail_msg("%s: got %d at %ld (%s), expected %s at %ld", v->name, rc, r->ei.offset,
			 r->ei.msg, tok[1], at);
	assert_int_equal(r->ei.code, rc);
	/* records are parsed one by one: the message gives the offset in the record */
	snprintf(where, sizeof(where), "at offset %ld",
		 v->record_len ? at % (long)v->record_len : at);
	assert_non_null(strstr(r->ei.msg, where));
}

static void check_odf(const struct vec *v, const struct parsed *r, char tok[][128], size_t nt)
{
	size_t i;

	assert_string_equal(tok[0], "dodf");
	if (r->n != nt - 1)
		fail_msg("%s: %zu DODF paths, expected %zu", v->name, r->n, nt - 1);
	for (i = 1; i < nt; i++)
		expect_bytes(v->name, tok[i], r->paths[i - 1].path, r->paths[i - 1].len);
}

static void check_dodf(const struct vec *v, const struct parsed *r, char tok[][128], size_t nt)
{
	const struct cs_pkcs15_dataobj *o;
	int idx = cs_pkcs15_find_bootstrap(r->objs, r->n);
	size_t i;
	char *val;

	if (!strcmp(tok[0], "none")) {
		assert_int_equal(idx, CS_ERR_NO_BOOTSTRAP);
		o = NULL;
		i = 1;
	} else {
		assert_string_equal(tok[0], "bootstrap");
		assert_true(nt >= 2);
		if (idx < 0)
			fail_msg("%s: no bootstrap entry found (%d)", v->name, idx);
		o = &r->objs[idx];
		expect_bytes(v->name, tok[1], o->path.path, o->path.len);
		i = 2;
	}
	for (; i < nt; i++) {
		val = strchr(tok[i], '=');
		if (!val)
			fail_msg("%s: '%s' is not key=value", v->name, tok[i]);
		*val++ = '\0';
		if (!strcmp(tok[i], "entries")) {
			assert_int_equal(r->n, strtoul(val, NULL, 10));
			continue;
		}
		if (!o)
			fail_msg("%s: key %s needs a bootstrap entry", v->name, tok[i]);
		if (!strcmp(tok[i], "label"))
			assert_string_equal(o->label, val);
		else if (!strcmp(tok[i], "appname"))
			assert_string_equal(o->application_name, val);
		else if (!strcmp(tok[i], "private"))
			assert_int_equal(o->private_obj, atoi(val));
		else if (!strcmp(tok[i], "modifiable"))
			assert_int_equal(o->modifiable, atoi(val));
		else if (!strcmp(tok[i], "authid"))
			expect_bytes("authid", val, o->auth_id, o->auth_id_len);
		else if (!strcmp(tok[i], "match"))
			assert_string_equal(match_name(o->lwm2m), val);
		else if (!strcmp(tok[i], "oiddo"))
			assert_int_equal(o->oid_do, atoi(val));
		else if (!strcmp(tok[i], "index"))
			assert_int_equal(idx, atoi(val));
		else if (!strcmp(tok[i], "offset"))
			assert_int_equal(o->offset, strtoul(val, NULL, 10));
		else
			fail_msg("%s: unknown result key '%s'", v->name, tok[i]);
	}
}

static void check_dir_app(const struct vec *v, const struct cs_pkcs15_app *a, char tok[][128],
			  size_t nt)
{
	size_t i;
	char *val;

	assert_string_equal(tok[0], "app");
	for (i = 1; i < nt; i++) {
		val = strchr(tok[i], '=');
		if (!val)
			fail_msg("%s: '%s' is not key=value", v->name, tok[i]);
		*val++ = '\0';
		if (!strcmp(tok[i], "aid"))
			expect_bytes("aid", val, a->aid, a->aid_len);
		else if (!strcmp(tok[i], "label"))
			assert_string_equal(a->label, val);
		else if (!strcmp(tok[i], "path"))
			expect_bytes("path", val, a->path, a->path_len);
		else if (!strcmp(tok[i], "pkcs15"))
			assert_int_equal(cs_pkcs15_app_is_pkcs15(a), atoi(val));
		else
			fail_msg("%s: unknown result key '%s'", v->name, tok[i]);
	}
}

static void check_vec(struct vec *v)
{
	char tok[16][128];
	struct parsed r;
	size_t nt, i;
	int rc;

	rc = run_parser(v->kind, v->data.data, v->data.len, v->record_len, &r);
	nt = tokens(v->result[0], tok, COUNT(tok));
	assert_true(nt >= 1);
	if (!strncmp(tok[0], "error@", 6)) {
		check_error(v, rc, &r, tok, nt);
		return;
	}
	if (rc)
		fail_msg("%s: %s", v->name, r.ei.msg);
	if (!strcmp(v->kind, "odf")) {
		check_odf(v, &r, tok, nt);
	} else if (!strcmp(v->kind, "dodf")) {
		check_dodf(v, &r, tok, nt);
	} else {
		/* one `# result: app ...` line per application, in order */
		assert_int_equal(r.n, v->nresult);
		for (i = 0; i < v->nresult; i++) {
			nt = tokens(v->result[i], tok, COUNT(tok));
			check_dir_app(v, &r.apps[i], tok, nt);
		}
	}
}

static const char *const required[] = {
	"odf-nordic.hex",           "odf-nordic-padded.hex",
	"dodf-nordic.hex",          "dodf-nordic-padded.hex",
	"dodf-correct-oid.hex",     "dodf-application-oid.hex",
	"dodf-private.hex",         "dodf-two-entries.hex",
	"odf-not-found.hex",        "dodf-all-ff.hex",
	"dodf-no-lwm2m.hex",        "dir-pkcs15.hex",
	"dir-usim-pkcs15.hex",      "dodf-malformed-truncated.hex",
	"odf-malformed-length.hex", "dodf-malformed-label.hex",
};

static void test_vectors(void **state)
{
	bool seen[COUNT(required)] = {false};
	struct dirent *de;
	struct vec v;
	size_t i, len, done = 0;
	DIR *d;

	(void)state;
	d = opendir(vector_dir());
	if (!d)
		fail_msg("cannot open vector directory %s", vector_dir());
	while ((de = readdir(d))) {
		len = strlen(de->d_name);
		if (len < 4 || strcmp(de->d_name + len - 4, ".hex"))
			continue;
		if (!load_vec(de->d_name, &v))
			continue;
		print_message("vector %-32s %s\n", v.name, v.result[0]);
		check_vec(&v);
		cs_buf_free(&v.data);
		done++;
		for (i = 0; i < COUNT(required); i++)
			if (!strcmp(de->d_name, required[i]))
				seen[i] = true;
	}
	closedir(d);
	for (i = 0; i < COUNT(required); i++)
		if (!seen[i])
			fail_msg("vector %s is missing", required[i]);
	assert_true(done >= COUNT(required));
}

/* ---- builders ---- */

static const uint8_t P6430[] = {0x64, 0x30};
static const uint8_t P6432[] = {0x64, 0x32};

static void expect_buf(const struct cs_buf *b, const uint8_t *want, size_t n)
{
	char got[400], exp[400];

	cs_hex_encode(b->data, b->len, ' ', got, sizeof(got));
	cs_hex_encode(want, n, ' ', exp, sizeof(exp));
	if (b->len != n || memcmp(b->data, want, n))
		fail_msg("got      %s\nexpected %s", got, exp);
}

static void test_build_odf(void **state)
{
	static const uint8_t nordic[] = {0xA7, 0x06, 0x30, 0x04, 0x04, 0x02, 0x64, 0x30};
	static const uint8_t ranged[] = {0xA7, 0x06, 0x30, 0x04, 0x04, 0x02, 0x64, 0x30, 0xA7,
					 0x0F, 0x30, 0x0D, 0x04, 0x04, 0x3F, 0x00, 0x64, 0x31,
					 0x02, 0x01, 0x00, 0x80, 0x02, 0x00, 0x80};
	struct cs_pkcs15_path p[2] = {{.len = 2}, {.len = 4}}, back[4];
	struct cs_buf b = {0};
	struct cs_errinfo ei;
	size_t n = 0;

	(void)state;
	memcpy(p[0].path, P6430, 2);
	assert_int_equal(cs_pkcs15_build_odf(p, 1, &b), 0);
	expect_buf(&b, nordic, sizeof(nordic));
	cs_buf_free(&b);

	memcpy(p[1].path, "\x3F\x00\x64\x31", 4);
	p[1].has_range = true;
	p[1].index = 0;
	p[1].length = 128;
	assert_int_equal(cs_pkcs15_build_odf(p, 2, &b), 0);
	expect_buf(&b, ranged, sizeof(ranged));
	assert_int_equal(cs_pkcs15_parse_odf(b.data, b.len, back, COUNT(back), &n, &ei), 0);
	assert_int_equal(n, 2);
	assert_int_equal(back[0].len, 2);
	assert_memory_equal(back[0].path, P6430, 2);
	assert_false(back[0].has_range);
	assert_int_equal(back[1].len, 4);
	assert_memory_equal(back[1].path, "\x3F\x00\x64\x31", 4);
	assert_true(back[1].has_range);
	assert_int_equal(back[1].index, 0);
	assert_int_equal(back[1].length, 128);
	cs_buf_free(&b);

	assert_int_equal(cs_pkcs15_build_odf(NULL, 0, &b), 0);
	assert_int_equal(b.len, 0);
	p[0].len = 0;
	assert_int_equal(cs_pkcs15_build_odf(p, 1, &b), CS_ERR_ARG);
	p[0].len = CS_PKCS15_MAX_PATH + 1;
	assert_int_equal(cs_pkcs15_build_odf(p, 1, &b), CS_ERR_ARG);
	p[0].len = 2;
	p[0].has_range = true;
	p[0].length = 0x80000000u;
	assert_int_equal(cs_pkcs15_build_odf(p, 1, &b), CS_ERR_RANGE);
	assert_int_equal(b.len, 0);
}

static bool contains(const struct cs_buf *b, const uint8_t *needle, size_t n)
{
	size_t i;

	for (i = 0; i + n <= b->len; i++)
		if (!memcmp(b->data + i, needle, n))
			return true;
	return false;
}

/* build → parse for every flag combination, both OID forms, with and without label/authId */
static void test_build_dodf_round_trip(void **state)
{
	static const uint8_t auth[] = {0x01};
	static const uint8_t flag_bytes[4][4] = {
		{0}, {0x03, 0x02, 0x07, 0x80}, {0x03, 0x02, 0x06, 0x40}, {0x03, 0x02, 0x06, 0xC0}};
	struct cs_pkcs15_dataobj o[2];
	struct cs_errinfo ei;
	struct cs_buf b;
	unsigned combo;
	size_t n;

	(void)state;
	for (combo = 0; combo < 32; combo++) {
		bool priv = combo & 1, mod = combo & 2, wrapped = combo & 4;
		const char *label = combo & 8 ? "LwM2M Bootstrap" : NULL;
		size_t auth_len = combo & 16 ? 1 : 0;

		cs_buf_init(&b);
		assert_int_equal(cs_pkcs15_build_dodf_entry(label, priv, mod, auth, auth_len,
							    wrapped, P6432, 2, &b),
				 0);
		n = 0;
		if (cs_pkcs15_parse_dodf(b.data, b.len, o, COUNT(o), &n, &ei))
			fail_msg("combo %u: %s", combo, ei.msg);
		assert_int_equal(n, 1);
		assert_int_equal(cs_pkcs15_find_bootstrap(o, n), 0);
		assert_true(o[0].oid_do);
		assert_int_equal(o[0].lwm2m, wrapped ? CS_OID_ID_WRAPPED : CS_OID_ID);
		assert_int_equal(o[0].private_obj, priv);
		assert_int_equal(o[0].modifiable, mod);
		assert_string_equal(o[0].label, label ? label : "");
		assert_string_equal(o[0].application_name, "");
		assert_int_equal(o[0].auth_id_len, auth_len);
		if (auth_len)
			assert_int_equal(o[0].auth_id[0], 0x01);
		assert_int_equal(o[0].path.len, 2);
		assert_memory_equal(o[0].path.path, P6432, 2);
		assert_false(o[0].path.has_range);
		assert_int_equal(o[0].offset, 0);
		if (priv || mod)
			assert_true(contains(&b, flag_bytes[(priv ? 1 : 0) | (mod ? 2 : 0)], 4));
		else
			assert_false(contains(&b, (const uint8_t *)"\x03\x02", 2));
		cs_buf_free(&b);
	}
}

static void test_build_dodf_layout(void **state)
{
	/* empty CommonObjectAttributes and CommonDataObjectAttributes, Nordic typeAttributes */
	static const uint8_t bare_wrapped[] = {0xA1, 0x16, 0x30, 0x00, 0x30, 0x00, 0xA1, 0x10,
					       0x30, 0x0E, 0x06, 0x06, 0x06, 0x04, 0x67, 0x2B,
					       0x09, 0x01, 0x30, 0x04, 0x04, 0x02, 0x64, 0x32};
	static const uint8_t auth[] = {0x01};
	struct cs_buf b = {0};
	struct vec v;

	(void)state;
	assert_int_equal(
		cs_pkcs15_build_dodf_entry(NULL, false, false, NULL, 0, true, P6432, 2, &b), 0);
	expect_buf(&b, bare_wrapped, sizeof(bare_wrapped));
	cs_buf_free(&b);
	assert_int_equal(cs_pkcs15_build_dodf_entry("", false, false, auth, 0, true, P6432, 2, &b),
			 0);
	expect_buf(&b, bare_wrapped, sizeof(bare_wrapped));
	cs_buf_free(&b);

	/* the hand-written vector and the builder agree byte for byte */
	assert_true(load_vec("dodf-private.hex", &v));
	assert_int_equal(cs_pkcs15_build_dodf_entry("LwM2M Bootstrap", true, false, auth, 1, false,
						    P6432, 2, &b),
			 0);
	expect_buf(&b, v.data.data, v.data.len);
	cs_buf_free(&b);
	cs_buf_free(&v.data);

	/* appending: a second entry goes after the first */
	assert_int_equal(
		cs_pkcs15_build_dodf_entry(NULL, false, false, NULL, 0, true, P6432, 2, &b), 0);
	assert_int_equal(
		cs_pkcs15_build_dodf_entry(NULL, false, false, NULL, 0, true, P6432, 2, &b), 0);
	assert_int_equal(b.len, 2 * sizeof(bare_wrapped));
	assert_memory_equal(b.data + sizeof(bare_wrapped), bare_wrapped, sizeof(bare_wrapped));
	cs_buf_free(&b);

	assert_int_equal(
		cs_pkcs15_build_dodf_entry(NULL, false, false, NULL, 0, true, P6432, 0, &b),
		CS_ERR_ARG);
	assert_int_equal(
		cs_pkcs15_build_dodf_entry(NULL, false, false, NULL, 17, true, P6432, 2, &b),
		CS_ERR_ARG);
	assert_int_equal(
		cs_pkcs15_build_dodf_entry("bad \xC3", false, false, NULL, 0, true, P6432, 2, &b),
		CS_ERR_ARG);
	assert_int_equal(b.len, 0);
}

static void test_build_dir_record(void **state)
{
	/* the record layout of applet-spec/README.md §3.1, path 3F007F50 */
	static const uint8_t example[] = {0x61, 0x14, 0x4F, 0x0C, 0xA0, 0x00, 0x00, 0x00,
					  0x63, 0x50, 0x4B, 0x43, 0x53, 0x2D, 0x31, 0x35,
					  0x51, 0x04, 0x3F, 0x00, 0x7F, 0x50};
	static const uint8_t path[] = {0x3F, 0x00, 0x7F, 0x50};
	struct cs_pkcs15_app apps[2];
	struct cs_errinfo ei;
	struct cs_buf b = {0};
	size_t n = 0;

	(void)state;
	assert_int_equal(cs_pkcs15_build_dir_record(CS_PKCS15_AID, sizeof(CS_PKCS15_AID), NULL,
						    path, sizeof(path), &b),
			 0);
	expect_buf(&b, example, sizeof(example));
	cs_buf_free(&b);

	assert_int_equal(cs_pkcs15_build_dir_record(CS_PKCS15_AID, sizeof(CS_PKCS15_AID), "LwM2M",
						    path, sizeof(path), &b),
			 0);
	assert_int_equal(b.len, sizeof(example) + 7);
	assert_int_equal(cs_pkcs15_parse_dir(b.data, b.len, apps, COUNT(apps), &n, &ei), 0);
	assert_int_equal(n, 1);
	assert_true(cs_pkcs15_app_is_pkcs15(&apps[0]));
	assert_string_equal(apps[0].label, "LwM2M");
	assert_int_equal(apps[0].path_len, 4);
	assert_memory_equal(apps[0].path, path, 4);
	cs_buf_free(&b);

	assert_int_equal(cs_pkcs15_build_dir_record(CS_PKCS15_AID, 0, NULL, NULL, 0, &b),
			 CS_ERR_ARG);
	assert_int_equal(cs_pkcs15_build_dir_record(CS_PKCS15_AID, 17, NULL, NULL, 0, &b),
			 CS_ERR_ARG);
}

/* ---- parser details not covered by a vector ---- */

static int dodf(const uint8_t *buf, size_t len, struct parsed *r)
{
	return run_parser("dodf", buf, len, 0, r);
}

static void test_dodf_choices(void **state)
{
	static const uint8_t buf[] = {
		/* 0: externalIDO [0], skipped */
		0xA0, 0x04, 0x30, 0x00, 0x30, 0x00,
		/* 6: opaqueDO, bare OCTET STRING path, wrapped applicationOID, subClass [0] */
		0x30, 0x16, 0x30, 0x00, 0x30, 0x08, 0x06, 0x06, 0x06, 0x04, 0x67, 0x2B, 0x09, 0x01,
		0xA0, 0x02, 0x05, 0x00, 0xA1, 0x04, 0x04, 0x02, 0x64, 0x33,
		/* 30: oidDO with an implicitly tagged PKCS15OidDO and a ranged Path */
		0xA1, 0x18, 0x30, 0x00, 0x30, 0x00, 0xA1, 0x12, 0x06, 0x04, 0x67, 0x2B, 0x09, 0x01,
		0x30, 0x0A, 0x04, 0x02, 0x64, 0x32, 0x02, 0x01, 0x05, 0x80, 0x01, 0x20,
		/* 56: oidDO whose value is a direct [0] value: no path */
		0xA1, 0x12, 0x30, 0x00, 0x30, 0x00, 0xA1, 0x0C, 0x30, 0x0A, 0x06, 0x04, 0x67, 0x2B,
		0x09, 0x01, 0xA0, 0x02, 0x04, 0x00,
		/* zero padding */
		0x00, 0x00, 0x00};
	struct parsed r;

	(void)state;
	assert_int_equal(dodf(buf, sizeof(buf), &r), 0);
	assert_int_equal(r.n, 3);

	assert_false(r.objs[0].oid_do);
	assert_int_equal(r.objs[0].offset, 6);
	assert_int_equal(r.objs[0].lwm2m, CS_OID_APPLICATION_WRAPPED);
	assert_int_equal(r.objs[0].path.len, 2);
	assert_memory_equal(r.objs[0].path.path, "\x64\x33", 2);

	assert_true(r.objs[1].oid_do);
	assert_int_equal(r.objs[1].offset, 30);
	assert_int_equal(r.objs[1].lwm2m, CS_OID_ID);
	assert_memory_equal(r.objs[1].path.path, P6432, 2);
	assert_true(r.objs[1].path.has_range);
	assert_int_equal(r.objs[1].path.index, 5);
	assert_int_equal(r.objs[1].path.length, 32);

	assert_int_equal(r.objs[2].offset, 56);
	assert_int_equal(r.objs[2].lwm2m, CS_OID_ID);
	assert_int_equal(r.objs[2].path.len, 0);

	/* first in DODF order wins */
	assert_int_equal(cs_pkcs15_find_bootstrap(r.objs, r.n), 0);
	/* a match without a path is not usable */
	assert_int_equal(cs_pkcs15_find_bootstrap(r.objs + 2, 1), CS_ERR_NO_BOOTSTRAP);
	assert_int_equal(cs_pkcs15_find_bootstrap(NULL, 0), CS_ERR_NO_BOOTSTRAP);
	assert_int_equal(cs_pkcs15_find_bootstrap(NULL, 1), CS_ERR_ARG);
}

static void test_id_over_application(void **state)
{
	/* applicationOID wrapped and id correct: the id decides */
	static const uint8_t buf[] = {0xA1, 0x1C, 0x30, 0x00, 0x30, 0x08, 0x06, 0x06, 0x06, 0x04,
				      0x67, 0x2B, 0x09, 0x01, 0xA1, 0x0E, 0x30, 0x0C, 0x06, 0x04,
				      0x67, 0x2B, 0x09, 0x01, 0x30, 0x04, 0x04, 0x02, 0x64, 0x32};
	struct parsed r;

	(void)state;
	assert_int_equal(dodf(buf, sizeof(buf), &r), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.objs[0].lwm2m, CS_OID_ID);
}

static void test_padding(void **state)
{
	uint8_t buf[60];
	struct parsed r;
	struct vec v;
	size_t len;

	(void)state;
	assert_true(load_vec("dodf-nordic.hex", &v));
	len = v.data.len;
	assert_true(len + 4 <= sizeof(buf));
	memcpy(buf, v.data.data, len);
	cs_buf_free(&v.data);

	/* FF ends the data whatever follows */
	memcpy(buf + len, "\xFF\x12\x34\x56", 4);
	assert_int_equal(dodf(buf, len + 4, &r), 0);
	assert_int_equal(r.n, 1);
	/* zeros up to the end are padding */
	memset(buf + len, 0, 4);
	assert_int_equal(dodf(buf, len + 4, &r), 0);
	assert_int_equal(r.n, 1);
	/* a zero byte followed by data is not */
	buf[len + 3] = 0x01;
	assert_int_equal(dodf(buf, len + 4, &r), CS_ERR_MALFORMED);
	assert_int_equal(r.ei.offset, (long)len);
	/* empty input: no entries, no error */
	assert_int_equal(dodf(buf, 0, &r), 0);
	assert_int_equal(r.n, 0);
}

static void test_append_and_max(void **state)
{
	struct cs_pkcs15_dataobj objs[3];
	struct cs_errinfo ei;
	struct vec a, b;
	size_t n = 0;

	(void)state;
	assert_true(load_vec("dodf-no-lwm2m.hex", &a));
	assert_true(load_vec("dodf-two-entries.hex", &b));
	/* DODFs in ODF priority order append into one array */
	assert_int_equal(cs_pkcs15_parse_dodf(a.data.data, a.data.len, objs, 3, &n, &ei), 0);
	assert_int_equal(n, 1);
	assert_int_equal(cs_pkcs15_parse_dodf(b.data.data, b.data.len, objs, 3, &n, &ei), 0);
	assert_int_equal(n, 3);
	assert_string_equal(objs[0].label, "Settings");
	assert_string_equal(objs[1].label, "Config");
	assert_string_equal(objs[2].label, "LwM2M Bootstrap");
	assert_int_equal(objs[2].offset, 22);
	assert_int_equal(cs_pkcs15_find_bootstrap(objs, n), 2);

	/* max caps what is stored, not what is checked */
	n = 0;
	assert_int_equal(cs_pkcs15_parse_dodf(b.data.data, b.data.len, objs, 1, &n, &ei), 0);
	assert_int_equal(n, 1);
	assert_int_equal(cs_pkcs15_find_bootstrap(objs, n), CS_ERR_NO_BOOTSTRAP);
	n = 2;
	assert_int_equal(cs_pkcs15_parse_dodf(b.data.data, b.data.len, objs, 1, &n, &ei),
			 CS_ERR_ARG);
	assert_int_equal(cs_pkcs15_parse_dodf(b.data.data, b.data.len, objs, 1, NULL, &ei),
			 CS_ERR_ARG);
	cs_buf_free(&a.data);
	cs_buf_free(&b.data);
}

static void test_label_text(void **state)
{
	uint8_t buf[120], *p = buf;
	struct parsed r;
	size_t i;

	(void)state;
	/* label of 70 bytes: 63 × 'a', then é (C3 A9) straddling byte 64 */
	*p++ = 0x30;
	*p++ = 0x59;
	*p++ = 0x30;
	*p++ = 0x48;
	*p++ = 0x0C;
	*p++ = 0x46;
	memset(p, 'a', 63);
	p += 63;
	memcpy(p, "\xC3\xA9xyzw\x1B", 7);
	p += 7;
	/* applicationName with ESC, an invalid byte and a valid é */
	memcpy(p, "\x30\x07\x0C\x05\x1B\xFF\xC3\xA9z", 9);
	p += 9;
	memcpy(p, "\xA1\x04\x04\x02\x64\x32", 6);
	p += 6;
	assert_int_equal((size_t)(p - buf), 0x5B);
	assert_int_equal(dodf(buf, (size_t)(p - buf), &r), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(strlen(r.objs[0].label), 63);
	for (i = 0; i < 63; i++)
		assert_int_equal(r.objs[0].label[i], 'a');
	assert_string_equal(r.objs[0].application_name, "??\xC3\xA9z");
}

struct bad_case {
	const char *name;
	const char *hex;
	int code;
	long offset;
	const char *msg;
};

static const struct bad_case bad_dodf[] = {
	{"authId too long", "30 1A 30 13 04 11 000102030405060708090A0B0C0D0E0F10 30 00 A1 01 04",
	 CS_ERR_LIMIT, 4, "authId"},
	{"flags not a BIT STRING", "30 0C 30 03 03 01 08 30 00 A1 03 04 01 64", CS_ERR_MALFORMED, 4,
	 "flags"},
	{"no typeAttributes", "30 04 30 00 30 00", CS_ERR_MALFORMED, 6,
	 "typeAttributes is missing"},
	{"no CommonDataObjectAttributes", "A1 02 30 00", CS_ERR_MALFORMED, 4,
	 "CommonDataObjectAttributes is missing"},
	{"CommonObjectAttributes not a SEQUENCE", "A1 02 04 00", CS_ERR_MALFORMED, 2,
	 "CommonObjectAttributes is not a SEQUENCE"},
	{"multi-byte tag", "30 08 30 00 30 00 A1 02 1F 00", CS_ERR_MALFORMED, 8, "multi-byte"},
	{"indefinite length", "A1 80 00 00", CS_ERR_MALFORMED, 0, "invalid length"},
	{"oidDO id not an OID", "A1 0A 30 00 30 00 A1 04 30 02 04 00", CS_ERR_MALFORMED, 10,
	 "PKCS15OidDO.id is not an OBJECT IDENTIFIER"},
	{"oidDO without value", "A1 0C 30 00 30 00 A1 06 30 04 06 02 2A 03", CS_ERR_MALFORMED, 14,
	 "value is missing"},
	{"empty path", "30 08 30 00 30 00 A1 02 04 00", CS_ERR_MALFORMED, 8, "path is empty"},
	{"path too long", "30 19 30 00 30 00 A1 13 04 11 000102030405060708090A0B0C0D0E0F10",
	 CS_ERR_LIMIT, 8, "path"},
	{"index without length", "30 0E 30 00 30 00 A1 08 30 06 04 01 64 02 01 00",
	 CS_ERR_MALFORMED, 13, "path index without length"},
	{"negative index", "30 10 30 00 30 00 A1 0A 30 08 04 01 64 02 01 80 80 00",
	 CS_ERR_MALFORMED, 13, "index"},
	{"trailing data in the entry", "30 0C 30 00 30 00 A1 04 04 02 64 32 05 00",
	 CS_ERR_MALFORMED, 12, "unexpected element after typeAttributes"},
	{"inner length past the entry", "30 06 30 08 30 00 30 00 A1 00", CS_ERR_MALFORMED, 2,
	 "enclosing"},
	{"entry past the end", "30 06 30 00", CS_ERR_TRUNCATED, 0, "end of the data"},
	{"length bytes missing", "A1", CS_ERR_TRUNCATED, 0, "end of the data"},
};

static void test_dodf_errors(void **state)
{
	struct parsed r;
	struct cs_buf b;
	struct cs_errinfo ei;
	char where[32];
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < COUNT(bad_dodf); i++) {
		cs_buf_init(&b);
		assert_int_equal(cs_hex_decode(bad_dodf[i].hex, strlen(bad_dodf[i].hex), &b, &ei),
				 0);
		rc = dodf(b.data, b.len, &r);
		if (rc != bad_dodf[i].code || r.ei.offset != bad_dodf[i].offset ||
		    !strstr(r.ei.msg, bad_dodf[i].msg))
			fail_msg("%s: got %d at %ld \"%s\", expected %d at %ld \"%s\"",
				 bad_dodf[i].name, rc, r.ei.offset, r.ei.msg, bad_dodf[i].code,
				 bad_dodf[i].offset, bad_dodf[i].msg);
		snprintf(where, sizeof(where), "DODF entry 1 at offset %ld: ", bad_dodf[i].offset);
		assert_non_null(strstr(r.ei.msg, where));
		cs_buf_free(&b);
	}
}

static void test_error_message(void **state)
{
	struct parsed r;
	struct vec v;

	(void)state;
	assert_true(load_vec("dodf-malformed-label.hex", &v));
	assert_int_equal(dodf(v.data.data, v.data.len, &r), CS_ERR_MALFORMED);
	assert_string_equal(r.ei.msg,
			    "DODF entry 2 at offset 26: label is not a UTF8String (tag 13)");
	cs_buf_free(&v.data);
}

/* Every cut of a valid file either ends on an entry boundary or reports truncation. */
static void sweep(const char *kind, const char *name, const size_t *bounds, size_t nb)
{
	struct parsed r;
	struct vec v;
	size_t cut, i;
	bool boundary;
	int rc;

	assert_true(load_vec(name, &v));
	for (cut = 0; cut <= v.data.len; cut++) {
		/* a copy of exactly cut bytes, so valgrind sees any read past the end */
		uint8_t *copy = malloc(cut ? cut : 1);

		assert_non_null(copy);
		memcpy(copy, v.data.data, cut);
		rc = run_parser(kind, copy, cut, 0, &r);
		free(copy);
		boundary = false;
		for (i = 0; i < nb; i++)
			boundary |= bounds[i] == cut;
		if (boundary) {
			if (rc)
				fail_msg("%s cut at %zu: %s", name, cut, r.ei.msg);
		} else {
			if (rc != CS_ERR_TRUNCATED)
				fail_msg("%s cut at %zu: got %d (%s)", name, cut, rc, r.ei.msg);
			assert_true(r.ei.offset >= 0 && (size_t)r.ei.offset < cut);
		}
	}
	cs_buf_free(&v.data);
}

static void test_truncation_sweep(void **state)
{
	static const size_t two[] = {0, 22, 61};
	static const size_t nordic[] = {0, 41, 42, 43, 44, 45, 46, 47, 48};
	static const size_t odf[] = {0, 8, 16, 17, 18, 19};
	static const size_t dir[] = {0, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40};

	(void)state;
	sweep("dodf", "dodf-two-entries.hex", two, COUNT(two));
	sweep("dodf", "dodf-nordic-padded.hex", nordic, COUNT(nordic));
	sweep("odf", "odf-not-found.hex", odf, COUNT(odf));
	sweep("dir", "dir-pkcs15.hex", dir, COUNT(dir));
}

static void test_odf_choices(void **state)
{
	/* privateKeys [0], dataObjects with [0] objects (skipped), two paths, authObjects [8] */
	static const uint8_t buf[] = {0xA0, 0x06, 0x30, 0x04, 0x04, 0x02, 0x44, 0x01, 0xA7, 0x04,
				      0xA0, 0x02, 0x30, 0x00, 0xA7, 0x06, 0x30, 0x04, 0x04, 0x02,
				      0x64, 0x30, 0xA8, 0x06, 0x30, 0x04, 0x04, 0x02, 0x44, 0x02,
				      0xA7, 0x06, 0x30, 0x04, 0x04, 0x02, 0x64, 0x40};
	static const uint8_t two_choices[] = {0xA7, 0x08, 0x30, 0x04, 0x04,
					      0x02, 0x64, 0x30, 0x05, 0x00};
	struct parsed r;

	(void)state;
	assert_int_equal(run_parser("odf", buf, sizeof(buf), 0, &r), 0);
	assert_int_equal(r.n, 2);
	assert_memory_equal(r.paths[0].path, P6430, 2);
	assert_memory_equal(r.paths[1].path, "\x64\x40", 2);
	assert_int_equal(run_parser("odf", two_choices, sizeof(two_choices), 0, &r),
			 CS_ERR_MALFORMED);
	assert_int_equal(r.ei.offset, 8);
	assert_non_null(strstr(r.ei.msg, "ODF entry 1 at offset 8"));
}

static void test_dir_details(void **state)
{
	/* a DDO 73 first, a template without AID (skipped), then one with a too long AID */
	static const uint8_t buf[] = {0x73, 0x00, 0x61, 0x03, 0x50, 0x01, 0x41, 0x61, 0x13, 0x4F,
				      0x11, 0xA0, 0x00, 0x00, 0x00, 0x63, 0x50, 0x4B, 0x43, 0x53,
				      0x2D, 0x31, 0x35, 0x00, 0x00, 0x00, 0x00, 0x00};
	struct cs_pkcs15_app app = {.aid_len = 11};
	struct parsed r;

	(void)state;
	assert_int_equal(run_parser("dir", buf, 7, 0, &r), 0);
	assert_int_equal(r.n, 0);
	assert_int_equal(run_parser("dir", buf, sizeof(buf), 0, &r), CS_ERR_MALFORMED);
	assert_int_equal(r.ei.offset, 9);
	assert_non_null(strstr(r.ei.msg, "EF.DIR entry 3 at offset 9: AID of 17 bytes"));

	memcpy(app.aid, CS_PKCS15_AID, 11);
	assert_false(cs_pkcs15_app_is_pkcs15(&app));
	app.aid[11] = CS_PKCS15_AID[11];
	app.aid[12] = 0x01;
	app.aid_len = 13;
	assert_true(cs_pkcs15_app_is_pkcs15(&app));
	app.aid[0] = 0xA1;
	assert_false(cs_pkcs15_app_is_pkcs15(&app));
	assert_false(cs_pkcs15_app_is_pkcs15(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_build_odf),
		cmocka_unit_test(test_build_dodf_round_trip),
		cmocka_unit_test(test_build_dodf_layout),
		cmocka_unit_test(test_build_dir_record),
		cmocka_unit_test(test_dodf_choices),
		cmocka_unit_test(test_id_over_application),
		cmocka_unit_test(test_padding),
		cmocka_unit_test(test_append_and_max),
		cmocka_unit_test(test_label_text),
		cmocka_unit_test(test_dodf_errors),
		cmocka_unit_test(test_error_message),
		cmocka_unit_test(test_truncation_sweep),
		cmocka_unit_test(test_odf_choices),
		cmocka_unit_test(test_dir_details),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
