/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "cardstrap/cardimg.h"
#include "cardstrap/encoding.h"
#include "cardstrap/pkcs15.h"

#define FORMAT_NAME "cardstrap-card-image"
#define WHERE_MAX   96

/* ---- ATR ---- */

int cs_atr_parse(const uint8_t *atr, size_t len, struct cs_atr_info *info, struct cs_errinfo *ei)
{
	struct cs_atr_info in = {.channels = 1};
	bool td_seen = false, need_tck = false;
	unsigned y, k;
	size_t i, end;
	uint8_t x = 0;

	if (!atr || !info)
		return cs_error(ei, CS_ERR_ARG, -1, "ATR: no buffer");
	if (len < 2)
		return cs_error(ei, CS_ERR_TRUNCATED, (long)len, "ATR: %zu bytes, need TS and T0",
				len);
	if (len > CS_CARDIMG_MAX_ATR)
		return cs_error(ei, CS_ERR_LIMIT, CS_CARDIMG_MAX_ATR, "ATR: %zu bytes, at most 33",
				len);
	if (atr[0] != 0x3B && atr[0] != 0x3F)
		return cs_error(ei, CS_ERR_MALFORMED, 0, "ATR: TS is %02X, not 3B or 3F", atr[0]);
	y = atr[1] >> 4;
	k = atr[1] & 0x0F;
	i = 2;
	for (;;) {
		/* ISO 7816-3 §8.2.3: TAi, TBi, TCi, TDi follow in that order when indicated */
		i += (y & 1) + ((y >> 1) & 1) + ((y >> 2) & 1);
		if (!(y & 8))
			break;
		if (i >= len)
			return cs_error(ei, CS_ERR_TRUNCATED, (long)i,
					"ATR: ends inside the interface bytes");
		td_seen = true;
		if ((atr[i] & 0x0F) == 0)
			in.t0 = true;
		else if ((atr[i] & 0x0F) == 1)
			in.t1 = true;
		if ((atr[i] & 0x0F) != 0)
			need_tck = true;
		y = atr[i] >> 4;
		i++;
	}
	if (!td_seen)
		in.t0 = true;
	if (i > len || k > len - i)
		return cs_error(ei, CS_ERR_TRUNCATED, (long)len,
				"ATR: ends before its %u historical bytes", k);
	in.hist = atr + i;
	in.hist_len = k;
	end = i + k + (need_tck ? 1 : 0);
	if (end != len)
		return cs_error(ei, CS_ERR_MALFORMED, (long)(end < len ? end : len),
				"ATR: %zu bytes, the interface bytes announce %zu%s", len, end,
				need_tck ? " (with TCK)" : "");
	if (need_tck) {
		for (i = 1; i < len; i++)
			x ^= atr[i];
		if (x != 0)
			return cs_error(ei, CS_ERR_MALFORMED, (long)len - 1,
					"ATR: TCK %02X is wrong (T0..TCK XOR to %02X)",
					atr[len - 1], x);
	}

	/* ISO 7816-4 §8.1.1: category 80 = compact-TLV; 00 = compact-TLV + 3 status bytes */
	if (k > 0 && (in.hist[0] == 0x80 || in.hist[0] == 0x00)) {
		size_t n = in.hist[0] == 0x00 ? (k >= 4 ? k - 3 : 1) : k, l;

		for (i = 1; i < n; i += 1 + l) {
			l = in.hist[i] & 0x0F;
			if (l > n - i - 1)
				break;
			if ((in.hist[i] >> 4) == 7 && l >= 3) {
				uint8_t third = in.hist[i + 3];

				in.has_caps = true;
				in.extended_length = (third & 0x40) != 0;
				in.channels = (third & 7) + 1u;
			}
		}
	}
	*info = in;
	return 0;
}

int cs_cardimg_default_atr(unsigned channels, bool extended_length, uint8_t *atr, size_t *len)
{
	uint8_t y, x = 0;
	size_t i;

	if (!atr || !len || channels < 1 || channels > CS_CARDIMG_MAX_CHANNELS)
		return CS_ERR_ARG;
	y = (uint8_t)(channels - 1 > 7 ? 7 : channels - 1);
	atr[0] = 0x3B; /* direct convention */
	atr[1] = 0x85; /* TD1 follows, 5 historical bytes */
	atr[2] = 0x01; /* TD1: T=1 only, as vpcd reports T=1 (vsmartcard vpcd) */
	atr[3] = 0x80; /* compact-TLV historical bytes */
	atr[4] = 0x73; /* card capabilities, 3 bytes */
	atr[5] = 0xF6; /* select by full/partial DF name, path, FID; SFI; record number */
	atr[6] = 0x01; /* data coding: 1-byte data units */
	/* third table: channel assignment by card and IFD, channel count, extended Lc/Le */
	atr[7] = (uint8_t)(0x18 | y | (extended_length ? 0x40 : 0));
	for (i = 1; i < 8; i++)
		x ^= atr[i];
	atr[8] = x;
	*len = 9;
	return 0;
}

/* ---- image object ---- */

static void ef_clear(struct cs_cardimg_ef *ef)
{
	cs_free_secret(ef->data, ef->len);
	ef->data = NULL;
	ef->len = 0;
}

static void df_clear(struct cs_cardimg_df *df)
{
	size_t i;

	for (i = 0; i < df->n_efs; i++)
		ef_clear(&df->efs[i]);
	free(df->efs);
	df->efs = NULL;
	df->n_efs = 0;
}

int cs_cardimg_new(struct cs_cardimg **out)
{
	struct cs_cardimg *img;

	if (!out)
		return CS_ERR_ARG;
	img = calloc(1, sizeof(*img));
	if (!img)
		return CS_ERR_NOMEM;
	img->channels = 4;
	img->max_le = 256;
	img->mf.fid = CS_FID_MF;
	cs_cardimg_default_atr(img->channels, false, img->atr, &img->atr_len);
	*out = img;
	return 0;
}

void cs_cardimg_free(struct cs_cardimg *img)
{
	size_t i;

	if (!img)
		return;
	df_clear(&img->mf);
	for (i = 0; i < img->n_adfs; i++)
		df_clear(&img->adfs[i]);
	free(img->adfs);
	cs_free_secret(img->pins, img->n_pins * sizeof(*img->pins));
	cs_free_secret(img->scp03, sizeof(*img->scp03));
	json_decref(img->extra);
	cs_free_secret(img, sizeof(*img));
}

static struct cs_cardimg_ef *df_add_ef(struct cs_cardimg_df *df)
{
	struct cs_cardimg_ef *efs;

	efs = realloc(df->efs, (df->n_efs + 1) * sizeof(*efs));
	if (!efs)
		return NULL;
	df->efs = efs;
	memset(&efs[df->n_efs], 0, sizeof(*efs));
	return &efs[df->n_efs++];
}

static struct cs_cardimg_df *img_add_adf(struct cs_cardimg *img)
{
	struct cs_cardimg_df *adfs;

	adfs = realloc(img->adfs, (img->n_adfs + 1) * sizeof(*adfs));
	if (!adfs)
		return NULL;
	img->adfs = adfs;
	memset(&adfs[img->n_adfs], 0, sizeof(*adfs));
	return &adfs[img->n_adfs++];
}

static struct cs_cardimg_pin *img_add_pin(struct cs_cardimg *img)
{
	struct cs_cardimg_pin *pins;

	/* No realloc: the old block holds PIN values and must be wiped. */
	pins = calloc(img->n_pins + 1, sizeof(*pins));
	if (!pins)
		return NULL;
	if (img->n_pins)
		memcpy(pins, img->pins, img->n_pins * sizeof(*pins));
	cs_free_secret(img->pins, img->n_pins * sizeof(*pins));
	img->pins = pins;
	return &pins[img->n_pins++];
}

struct cs_cardimg_df *cs_cardimg_find_adf(struct cs_cardimg *img, const uint8_t *aid, size_t len)
{
	size_t i;

	if (!img || !aid || len == 0)
		return NULL;
	for (i = 0; i < img->n_adfs; i++)
		if (len <= img->adfs[i].aid_len && memcmp(img->adfs[i].aid, aid, len) == 0)
			return &img->adfs[i];
	return NULL;
}

struct cs_cardimg_ef *cs_cardimg_find_ef(struct cs_cardimg_df *df, uint16_t fid)
{
	size_t i;

	if (!df)
		return NULL;
	for (i = 0; i < df->n_efs; i++)
		if (df->efs[i].fid == fid)
			return &df->efs[i];
	return NULL;
}

static struct cs_cardimg_ef *ef_by_path(struct cs_cardimg_df *adf, const struct cs_pkcs15_path *p)
{
	if (p->len < 2)
		return NULL;
	return cs_cardimg_find_ef(adf, (uint16_t)(p->path[p->len - 2] << 8 | p->path[p->len - 1]));
}

struct cs_cardimg_ef *cs_cardimg_bootstrap_ef(struct cs_cardimg *img)
{
	struct cs_pkcs15_path dodf[8];
	struct cs_pkcs15_dataobj objs[16];
	struct cs_cardimg_df *adf;
	struct cs_cardimg_ef *ef;
	size_t i, n, nobj;
	int idx;

	adf = cs_cardimg_find_adf(img, CS_PKCS15_AID, sizeof(CS_PKCS15_AID));
	if (!adf)
		return NULL;
	for (i = 0; i < adf->n_efs; i++)
		if (strcmp(adf->efs[i].name, "LwM2M_Bootstrap") == 0)
			return &adf->efs[i];
	ef = cs_cardimg_find_ef(adf, 0x5031);
	n = 0;
	if (!ef || ef->structure != CS_EF_TRANSPARENT ||
	    cs_pkcs15_parse_odf(ef->data, ef->len, dodf, 8, &n, NULL) != 0)
		return NULL;
	for (i = 0; i < n; i++) {
		nobj = 0;
		ef = ef_by_path(adf, &dodf[i]);
		if (!ef || ef->structure != CS_EF_TRANSPARENT ||
		    cs_pkcs15_parse_dodf(ef->data, ef->len, objs, 16, &nobj, NULL) != 0)
			continue;
		idx = cs_pkcs15_find_bootstrap(objs, nobj);
		if (idx >= 0)
			return ef_by_path(adf, &objs[idx].path);
	}
	return NULL;
}

/* ---- JSON loading ---- */

static int bad(struct cs_errinfo *ei, int code, const char *where, const char *fmt, ...)
	CS_PRINTF(4, 5);

static int bad(struct cs_errinfo *ei, int code, const char *where, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return cs_error(ei, code, -1, "card image: %s: %s", where, msg);
}

#ifdef __clang_analyzer__
/* The analyzer does not inline variadic functions: tell it bad() returns code. */
#define bad(ei, code, ...) (bad((ei), (code), __VA_ARGS__), (code))
#endif

static void sub(char *dst, const char *where, const char *member)
{
	/* a member path longer than WHERE_MAX is cut; messages stay readable */
	if (snprintf(dst, WHERE_MAX, "%s%s%s", where, *where ? "." : "", member) < 0)
		dst[0] = '\0';
}

static void item(char *dst, const char *where, const char *member, size_t i)
{
	if (snprintf(dst, WHERE_MAX, "%s%s%s[%zu]", where, *where ? "." : "", member, i) < 0)
		dst[0] = '\0';
}

static const char *json_kind(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a number";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	case JSON_NULL: return "null";
	}
	return "?";
}

static int check_members(const json_t *obj, const char *where, const char *const *allowed,
			 struct cs_errinfo *ei)
{
	const char *key;
	json_t *v;
	size_t i;

	json_object_foreach((json_t *)obj, key, v)
	{
		bool ok = strncmp(key, "x-", 2) == 0;

		for (i = 0; !ok && allowed[i]; i++)
			ok = strcmp(key, allowed[i]) == 0;
		if (!ok)
			return bad(ei, CS_ERR_MALFORMED, *where ? where : "top level",
				   "unknown member \"%.40s\"", key);
	}
	return 0;
}

static int want_object(const json_t *v, const char *where, struct cs_errinfo *ei)
{
	if (!json_is_object(v))
		return bad(ei, CS_ERR_MALFORMED, where, "expected an object, got %s", json_kind(v));
	return 0;
}

/* Member `key` as a string; *s is NULL when absent and not required. */
static int get_str(const json_t *obj, const char *key, const char *where, bool required,
		   const char **s, struct cs_errinfo *ei)
{
	json_t *v = json_object_get(obj, key);
	char w[WHERE_MAX];

	*s = NULL;
	sub(w, where, key);
	if (!v) {
		if (required)
			return bad(ei, CS_ERR_MALFORMED, *where ? where : "top level",
				   "member \"%s\" is missing", key);
		return 0;
	}
	if (!json_is_string(v))
		return bad(ei, CS_ERR_MALFORMED, w, "expected a string, got %s", json_kind(v));
	*s = json_string_value(v);
	if (strlen(*s) != json_string_length(v))
		return bad(ei, CS_ERR_MALFORMED, w, "contains a NUL character");
	return 0;
}

static int get_text(const json_t *obj, const char *key, const char *where, char *dst, size_t dstsz,
		    struct cs_errinfo *ei)
{
	const char *s;
	char w[WHERE_MAX];
	int err = get_str(obj, key, where, false, &s, ei);

	if (err || !s)
		return err;
	sub(w, where, key);
	if (strlen(s) >= dstsz)
		return bad(ei, CS_ERR_LIMIT, w, "longer than %zu bytes", dstsz - 1);
	memcpy(dst, s, strlen(s) + 1);
	return 0;
}

/* Hex string member → bytes (min..max of them). *present tells whether it was there. */
static int get_hex(const json_t *obj, const char *key, const char *where, bool required, size_t min,
		   size_t max, struct cs_buf *out, bool *present, struct cs_errinfo *ei)
{
	struct cs_errinfo hei;
	const char *s;
	char w[WHERE_MAX];
	int err = get_str(obj, key, where, required, &s, ei);

	if (present)
		*present = s != NULL;
	if (err || !s)
		return err;
	sub(w, where, key);
	err = cs_hex_decode(s, strlen(s), out, &hei);
	if (err)
		return bad(ei, err, w, "not hex: %s", hei.msg);
	if (out->len < min || out->len > max) {
		if (min == max)
			return bad(ei, CS_ERR_RANGE, w, "%zu bytes, expected %zu", out->len, min);
		return bad(ei, CS_ERR_RANGE, w, "%zu bytes, expected %zu..%zu", out->len, min, max);
	}
	return 0;
}

static int get_fid(const json_t *obj, const char *key, const char *where, bool required,
		   uint16_t *fid, bool *present, struct cs_errinfo *ei)
{
	struct cs_buf b = {0};
	char w[WHERE_MAX];
	int err;

	err = get_hex(obj, key, where, required, 2, 2, &b, present, ei);
	if (!err && b.len == 2) {
		*fid = (uint16_t)(b.data[0] << 8 | b.data[1]);
		sub(w, where, key);
		if (*fid == CS_FID_MF || *fid == CS_FID_CURRENT_ADF || *fid == 0xFFFF)
			err = bad(ei, CS_ERR_RANGE, w, "%04X is reserved (MF, current ADF, RFU)",
				  *fid);
	}
	cs_buf_free(&b);
	return err;
}

/* TS 102 221 Table 9.3: PIN and ADM key references. */
static bool key_ref_ok(unsigned k)
{
	return (k >= 0x01 && k <= 0x08) || k == 0x11 || (k >= 0x81 && k <= 0x88) ||
	       (k >= 0x0A && k <= 0x0E) || (k >= 0x8A && k <= 0x8E);
}

static int parse_key_ref(const char *s, const char *where, uint8_t *ref, struct cs_errinfo *ei)
{
	struct cs_buf b = {0};
	int err = 0;

	if (!cs_hex_looks_like(s, strlen(s)) || cs_hex_decode(s, strlen(s), &b, NULL) != 0 ||
	    b.len != 1)
		err = bad(ei, CS_ERR_MALFORMED, where,
			  "\"%.20s\" is not a key reference (two hex digits)", s);
	else if (!key_ref_ok(b.data[0]))
		err = bad(ei, CS_ERR_RANGE, where,
			  "key reference %02X is not a PIN or ADM reference (TS 102 221 Table 9.3)",
			  b.data[0]);
	else
		*ref = b.data[0];
	cs_buf_free(&b);
	return err;
}

static int get_key_ref(const json_t *obj, const char *key, const char *where, uint8_t *ref,
		       struct cs_errinfo *ei)
{
	const char *s;
	char w[WHERE_MAX];
	int err = get_str(obj, key, where, true, &s, ei);

	if (err)
		return err;
	sub(w, where, key);
	return parse_key_ref(s, w, ref, ei);
}

static int get_uint(const json_t *obj, const char *key, const char *where, unsigned long min,
		    unsigned long max, unsigned long *val, bool *present, struct cs_errinfo *ei)
{
	json_t *v = json_object_get(obj, key);
	char w[WHERE_MAX];
	json_int_t i;

	if (present)
		*present = v != NULL;
	if (!v)
		return 0;
	sub(w, where, key);
	if (!json_is_integer(v))
		return bad(ei, CS_ERR_MALFORMED, w, "expected an integer, got %s", json_kind(v));
	i = json_integer_value(v);
	if (i < 0 || (unsigned long long)i < min || (unsigned long long)i > max)
		return bad(ei, CS_ERR_RANGE, w, "%lld is outside %lu..%lu", (long long)i, min, max);
	*val = (unsigned long)i;
	return 0;
}

static int get_bool(const json_t *obj, const char *key, const char *where, bool *val, bool *present,
		    struct cs_errinfo *ei)
{
	json_t *v = json_object_get(obj, key);
	char w[WHERE_MAX];

	if (present)
		*present = v != NULL;
	if (!v)
		return 0;
	sub(w, where, key);
	if (!json_is_boolean(v))
		return bad(ei, CS_ERR_MALFORMED, w, "expected true or false, got %s", json_kind(v));
	*val = json_is_true(v);
	return 0;
}

static int get_array(const json_t *obj, const char *key, const char *where, json_t **arr,
		     struct cs_errinfo *ei)
{
	json_t *v = json_object_get(obj, key);
	char w[WHERE_MAX];

	*arr = NULL;
	if (!v)
		return 0;
	sub(w, where, key);
	if (!json_is_array(v))
		return bad(ei, CS_ERR_MALFORMED, w, "expected an array, got %s", json_kind(v));
	*arr = v;
	return 0;
}

static int parse_read(const json_t *o, const char *where, struct cs_cardimg_ef *ef,
		      struct cs_errinfo *ei)
{
	const char *s;
	char w[WHERE_MAX];
	int err = get_str(o, "read", where, false, &s, ei);

	if (err || !s || strcmp(s, "always") == 0)
		return err;
	sub(w, where, "read");
	if (strncmp(s, "pin:", 4) != 0)
		return bad(ei, CS_ERR_MALFORMED, w, "\"%.20s\": expected \"always\" or \"pin:XX\"",
			   s);
	err = parse_key_ref(s + 4, w, &ef->read_pin, ei);
	return err;
}

static int parse_records(const json_t *o, const char *where, struct cs_cardimg_ef *ef,
			 struct cs_errinfo *ei)
{
	unsigned long rl = 0;
	bool has_rl;
	json_t *recs, *r;
	char w[WHERE_MAX];
	size_t i;
	int err;

	err = get_uint(o, "record_length", where, 1, 255, &rl, &has_rl, ei);
	if (!err)
		err = get_array(o, "records", where, &recs, ei);
	if (err)
		return err;
	if (!has_rl)
		return bad(ei, CS_ERR_MALFORMED, where,
			   "member \"record_length\" is missing (linear-fixed EF)");
	if (!recs)
		return bad(ei, CS_ERR_MALFORMED, where,
			   "member \"records\" is missing (linear-fixed EF)");
	sub(w, where, "records");
	if (json_array_size(recs) < 1 || json_array_size(recs) > 254)
		return bad(ei, CS_ERR_RANGE, w, "%zu records, expected 1..254",
			   json_array_size(recs));
	ef->record_len = rl;
	ef->record_count = json_array_size(recs);
	ef->len = ef->record_len * ef->record_count;
	ef->data = malloc(ef->len);
	if (!ef->data) {
		ef->len = 0;
		return CS_ERR_NOMEM;
	}
	memset(ef->data, 0xFF, ef->len);
	json_array_foreach(recs, i, r)
	{
		struct cs_buf b = {0};
		struct cs_errinfo hei;
		const char *s;

		item(w, where, "records", i);
		if (!json_is_string(r))
			return bad(ei, CS_ERR_MALFORMED, w, "expected a hex string, got %s",
				   json_kind(r));
		s = json_string_value(r);
		err = cs_hex_decode(s, strlen(s), &b, &hei);
		if (err) {
			cs_buf_free(&b); /* the digits before the fault were decoded */
			return bad(ei, err, w, "not hex: %s", hei.msg);
		}
		if (b.len > rl) {
			err = bad(ei, CS_ERR_RANGE, w, "%zu bytes, longer than record_length %lu",
				  b.len, rl);
			cs_buf_free(&b);
			return err;
		}
		if (b.len)
			memcpy(ef->data + i * rl, b.data, b.len);
		cs_buf_free(&b);
	}
	return 0;
}

static const char *const EF_MEMBERS[] = {"fid",           "name",    "sfi",  "structure", "data",
					 "record_length", "records", "read", NULL};

static int parse_ef(const json_t *o, const char *where, struct cs_cardimg_ef *ef,
		    struct cs_errinfo *ei)
{
	unsigned long sfi = 0;
	const char *st;
	char w[WHERE_MAX];
	int err;

	err = want_object(o, where, ei);
	if (!err)
		err = check_members(o, where, EF_MEMBERS, ei);
	if (!err)
		err = get_fid(o, "fid", where, true, &ef->fid, NULL, ei);
	if (!err)
		err = get_text(o, "name", where, ef->name, sizeof(ef->name), ei);
	if (!err)
		err = get_uint(o, "sfi", where, 1, 30, &sfi, NULL, ei);
	if (!err)
		err = get_str(o, "structure", where, false, &st, ei);
	if (!err)
		err = parse_read(o, where, ef, ei);
	if (err)
		return err;
	ef->sfi = (uint8_t)sfi;
	sub(w, where, "structure");
	if (!st || strcmp(st, "transparent") == 0) {
		struct cs_buf b = {0};
		bool has;

		ef->structure = CS_EF_TRANSPARENT;
		if (json_object_get(o, "records") || json_object_get(o, "record_length"))
			return bad(ei, CS_ERR_MALFORMED, where,
				   "\"records\"/\"record_length\" need \"structure\": "
				   "\"linear-fixed\"");
		err = get_hex(o, "data", where, true, 0, CS_CARDIMG_MAX_EF_SIZE, &b, &has, ei);
		if (err) {
			cs_buf_free(&b);
			return err;
		}
		ef->data = cs_buf_steal(&b, &ef->len);
		return 0;
	}
	if (strcmp(st, "linear-fixed") == 0) {
		ef->structure = CS_EF_LINEAR_FIXED;
		if (json_object_get(o, "data"))
			return bad(ei, CS_ERR_MALFORMED, where,
				   "a linear-fixed EF has \"records\", not \"data\"");
		return parse_records(o, where, ef, ei);
	}
	return bad(ei, CS_ERR_MALFORMED, w,
		   "\"%.20s\": expected \"transparent\" or \"linear-fixed\"", st);
}

static int parse_pin_status(const json_t *o, const char *where, struct cs_cardimg_df *df,
			    struct cs_errinfo *ei)
{
	static const char *const members[] = {"key_ref", "enabled", NULL};
	json_t *arr, *e;
	char w[WHERE_MAX];
	size_t i;
	int err = get_array(o, "pin_status", where, &arr, ei);

	if (err || !arr)
		return err;
	sub(w, where, "pin_status");
	if (json_array_size(arr) > CS_CARDIMG_MAX_PIN_STATUS)
		return bad(ei, CS_ERR_LIMIT, w, "%zu entries, at most %d (PS_DO is one byte)",
			   json_array_size(arr), CS_CARDIMG_MAX_PIN_STATUS);
	json_array_foreach(arr, i, e)
	{
		struct cs_cardimg_pin_status *ps = &df->pin_status[i];
		bool has;

		item(w, where, "pin_status", i);
		err = want_object(e, w, ei);
		if (!err)
			err = check_members(e, w, members, ei);
		if (!err)
			err = get_key_ref(e, "key_ref", w, &ps->key_ref, ei);
		if (!err)
			err = get_bool(e, "enabled", w, &ps->enabled, &has, ei);
		if (!err && !has)
			err = bad(ei, CS_ERR_MALFORMED, w, "member \"enabled\" is missing");
		if (err)
			return err;
	}
	df->n_pin_status = json_array_size(arr);
	return 0;
}

static int parse_files(const json_t *o, const char *where, struct cs_cardimg_df *df,
		       struct cs_errinfo *ei)
{
	json_t *arr, *e;
	char w[WHERE_MAX];
	size_t i, j;
	int err = get_array(o, "files", where, &arr, ei);

	if (err || !arr)
		return err;
	json_array_foreach(arr, i, e)
	{
		struct cs_cardimg_ef *ef = df_add_ef(df);

		if (!ef)
			return CS_ERR_NOMEM;
		item(w, where, "files", i);
		err = parse_ef(e, w, ef, ei);
		if (err)
			return err;
		for (j = 0; j + 1 < df->n_efs; j++) {
			if (df->efs[j].fid == ef->fid)
				return bad(ei, CS_ERR_MALFORMED, w, "FID %04X used twice in %s",
					   ef->fid, *where ? where : "the MF");
			if (ef->sfi && df->efs[j].sfi == ef->sfi)
				return bad(ei, CS_ERR_MALFORMED, w, "SFI %02X used twice in %s",
					   ef->sfi, *where ? where : "the MF");
		}
	}
	return 0;
}

static int parse_adf(const json_t *o, const char *where, struct cs_cardimg_df *adf,
		     struct cs_errinfo *ei)
{
	static const char *const members[] = {"aid", "label", "fid", "pin_status", "files", NULL};
	struct cs_buf b = {0};
	int err;

	err = want_object(o, where, ei);
	if (!err)
		err = check_members(o, where, members, ei);
	if (!err)
		err = get_hex(o, "aid", where, true, 5, CS_CARDIMG_MAX_AID, &b, NULL, ei);
	if (!err) {
		/* "aid" is required, so get_hex() succeeded with 5 bytes or more */
		/* NOLINTNEXTLINE(clang-analyzer-core.NonNullParamChecker) */
		memcpy(adf->aid, b.data, b.len);
		adf->aid_len = b.len;
		err = get_text(o, "label", where, adf->label, sizeof(adf->label), ei);
	}
	cs_buf_free(&b);
	if (!err)
		err = get_fid(o, "fid", where, false, &adf->fid, NULL, ei);
	if (!err)
		err = parse_pin_status(o, where, adf, ei);
	if (!err)
		err = parse_files(o, where, adf, ei);
	return err;
}

static int parse_pin(const json_t *o, const char *where, struct cs_cardimg_pin *pin,
		     struct cs_errinfo *ei)
{
	static const char *const members[] = {"key_ref", "value", "tries_left", "max_tries", NULL};
	unsigned long max = 3, left = 0;
	bool has_left;
	const char *v;
	char w[WHERE_MAX];
	size_t i, n;
	int err;

	err = want_object(o, where, ei);
	if (!err)
		err = check_members(o, where, members, ei);
	if (!err)
		err = get_key_ref(o, "key_ref", where, &pin->key_ref, ei);
	if (!err)
		err = get_str(o, "value", where, true, &v, ei);
	if (!err)
		err = get_uint(o, "max_tries", where, 1, 15, &max, NULL, ei);
	if (!err)
		err = get_uint(o, "tries_left", where, 0, 15, &left, &has_left, ei);
	if (err)
		return err;
	sub(w, where, "value");
	n = strlen(v);
	/* TS 102 221: VERIFY PIN carries the PIN as ASCII digits padded with FF to 8 bytes */
	if (n < 4 || n > 8)
		return bad(ei, CS_ERR_RANGE, w, "%zu characters, expected 4..8 digits", n);
	for (i = 0; i < n; i++)
		if (v[i] < '0' || v[i] > '9')
			return bad(ei, CS_ERR_MALFORMED, w, "character %zu is not a digit", i);
	memset(pin->value, 0xFF, sizeof(pin->value));
	memcpy(pin->value, v, n);
	pin->max_tries = (unsigned)max;
	pin->tries_left = has_left ? (unsigned)left : pin->max_tries;
	if (pin->tries_left > pin->max_tries) {
		sub(w, where, "tries_left");
		return bad(ei, CS_ERR_RANGE, w, "%u is more than max_tries %u", pin->tries_left,
			   pin->max_tries);
	}
	return 0;
}

static bool iccid_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n < 18 || n > 20)
		return false;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* EF ICCID (TS 102 221 §13.2): BCD, nibbles swapped, padded with F. */
static int add_iccid_ef(struct cs_cardimg *img, struct cs_errinfo *ei)
{
	struct cs_cardimg_ef *ef;
	size_t i, n = strlen(img->iccid);

	if (cs_cardimg_find_ef(&img->mf, CS_FID_EF_ICCID))
		return bad(ei, CS_ERR_MALFORMED, "iccid",
			   "the MF already has an EF 2FE2; give the ICCID in one place");
	for (i = 0; i < img->mf.n_efs; i++)
		if (img->mf.efs[i].sfi == CS_SFI_EF_ICCID)
			return bad(ei, CS_ERR_MALFORMED, "iccid",
				   "SFI 02 (EF ICCID) is taken by EF %04X", img->mf.efs[i].fid);
	ef = df_add_ef(&img->mf);
	if (!ef)
		return CS_ERR_NOMEM;
	ef->data = malloc(10);
	if (!ef->data)
		return CS_ERR_NOMEM;
	ef->fid = CS_FID_EF_ICCID;
	ef->sfi = CS_SFI_EF_ICCID;
	ef->structure = CS_EF_TRANSPARENT;
	ef->len = 10;
	ef->generated = true;
	snprintf(ef->name, sizeof(ef->name), "ICCID");
	memset(ef->data, 0xFF, 10);
	for (i = 0; i < n; i++) {
		uint8_t d = (uint8_t)(img->iccid[i] - '0');

		if (i % 2 == 0)
			ef->data[i / 2] = (uint8_t)(0xF0 | d);
		else
			ef->data[i / 2] = (uint8_t)((ef->data[i / 2] & 0x0F) | d << 4);
	}
	return 0;
}

static bool pin_exists(const struct cs_cardimg *img, uint8_t ref)
{
	size_t i;

	for (i = 0; i < img->n_pins; i++)
		if (img->pins[i].key_ref == ref)
			return true;
	return false;
}

static int check_df_pins(const struct cs_cardimg *img, const struct cs_cardimg_df *df,
			 const char *where, struct cs_errinfo *ei)
{
	size_t i;

	for (i = 0; i < df->n_efs; i++) {
		char w[WHERE_MAX];

		if (df->efs[i].read_pin && !pin_exists(img, df->efs[i].read_pin)) {
			item(w, where, "files", i);
			return bad(ei, CS_ERR_MALFORMED, w,
				   "read needs PIN %02X, but \"pins\" has no such key reference",
				   df->efs[i].read_pin);
		}
	}
	return 0;
}

/* Whole-image checks after every member has been read. */
static int cross_check(struct cs_cardimg *img, struct cs_errinfo *ei)
{
	char w[WHERE_MAX];
	size_t i, j;
	int err;

	for (i = 0; i < img->n_pins; i++)
		for (j = 0; j < i; j++)
			if (img->pins[i].key_ref == img->pins[j].key_ref) {
				item(w, "", "pins", i);
				return bad(ei, CS_ERR_MALFORMED, w, "key reference %02X used twice",
					   img->pins[i].key_ref);
			}
	err = check_df_pins(img, &img->mf, "mf", ei);
	for (i = 0; !err && i < img->n_adfs; i++) {
		struct cs_cardimg_df *a = &img->adfs[i];

		item(w, "", "adfs", i);
		err = check_df_pins(img, a, w, ei);
		for (j = 0; !err && j < i; j++) {
			if (a->aid_len == img->adfs[j].aid_len &&
			    memcmp(a->aid, img->adfs[j].aid, a->aid_len) == 0)
				err = bad(ei, CS_ERR_MALFORMED, w, "AID used twice");
			else if (a->fid && a->fid == img->adfs[j].fid)
				err = bad(ei, CS_ERR_MALFORMED, w, "FID %04X used twice", a->fid);
		}
		if (!err && a->fid && cs_cardimg_find_ef(&img->mf, a->fid))
			err = bad(ei, CS_ERR_MALFORMED, w, "FID %04X is also an EF of the MF",
				  a->fid);
	}
	return err;
}

static int parse_protocol(const json_t *root, struct cs_cardimg *img, struct cs_errinfo *ei)
{
	const char *p;
	int err = get_str(root, "protocol", "", false, &p, ei);

	if (err || !p)
		return err;
	if (strcmp(p, "T=0") == 0)
		img->t0 = true;
	else if (strcmp(p, "T=1") != 0)
		return bad(ei, CS_ERR_MALFORMED, "protocol",
			   "\"%.20s\": expected \"T=0\" or \"T=1\"", p);
	return 0;
}

/* ATR, channels, extended length and max Le depend on each other (card-image.md §3). */
static int parse_card(const json_t *root, struct cs_cardimg *img, struct cs_errinfo *ei)
{
	unsigned long channels = 4, max_le = 0;
	bool has_ext, has_atr, has_max_le;
	struct cs_buf b = {0};
	struct cs_atr_info info;
	struct cs_errinfo aei;
	size_t limit;
	int err;

	err = get_uint(root, "channels", "", 1, CS_CARDIMG_MAX_CHANNELS, &channels, NULL, ei);
	if (!err)
		err = get_bool(root, "extended_length", "", &img->extended_length, &has_ext, ei);
	if (!err)
		err = get_hex(root, "atr", "", false, 2, CS_CARDIMG_MAX_ATR, &b, &has_atr, ei);
	if (!err)
		err = get_uint(root, "max_le", "", 1, 65536, &max_le, &has_max_le, ei);
	if (err)
		goto out;
	img->channels = (unsigned)channels;
	if (has_atr) {
		err = cs_atr_parse(b.data, b.len, &info, &aei);
		if (err) {
			err = bad(ei, err, "atr", "%s", aei.msg);
			goto out;
		}
		if (!info.t1) {
			err = bad(ei, CS_ERR_UNSUPPORTED, "atr",
				  "does not offer T=1 (vpcd reports T=1)");
			goto out;
		}
		if (has_ext && img->extended_length != info.extended_length) {
			err = bad(ei, CS_ERR_MALFORMED, "extended_length",
				  "is %s, but the ATR says %s",
				  img->extended_length ? "true" : "false",
				  info.extended_length ? "true" : "false");
			goto out;
		}
		img->extended_length = info.extended_length;
		memcpy(img->atr, b.data, b.len);
		img->atr_len = b.len;
	} else {
		cs_cardimg_default_atr(img->channels, img->extended_length, img->atr,
				       &img->atr_len);
	}
	limit = img->extended_length ? 65536 : 256;
	img->max_le = has_max_le ? max_le : limit;
	if (img->max_le > limit)
		err = bad(ei, CS_ERR_RANGE, "max_le", "%zu needs extended length (at most 256)",
			  img->max_le);
out:
	cs_buf_free(&b);
	return err;
}

static const char *const TOP_MEMBERS[] = {
	"format", "version", "description", "atr",  "protocol", "channels", "extended_length",
	"max_le", "iccid",   "mf",          "adfs", "pins",     "scp03",    NULL};

/* A key of the scp03 member; messages never quote its characters. */
static int get_key(const json_t *o, const char *key, bool required, struct cs_buf *out,
		   bool *present, struct cs_errinfo *ei)
{
	const char *s;
	char w[WHERE_MAX];
	int err = get_str(o, key, "scp03", required, &s, ei);

	if (present)
		*present = s != NULL;
	if (err || !s)
		return err;
	sub(w, "scp03", key);
	if (cs_hex_decode(s, strlen(s), out, NULL) != 0)
		return bad(ei, CS_ERR_MALFORMED, w, "not hex");
	if (out->len != 16 && out->len != 24 && out->len != 32)
		return bad(ei, CS_ERR_RANGE, w, "%zu bytes; AES keys are 16, 24 or 32", out->len);
	return 0;
}

/* One hex byte member ("33"); *val keeps its default when absent. */
static int get_byte(const json_t *o, const char *key, const char *where, uint8_t *val,
		    struct cs_errinfo *ei)
{
	struct cs_buf b = {0};
	int err = get_hex(o, key, where, false, 1, 1, &b, NULL, ei);

	if (!err && b.len == 1)
		*val = b.data[0];
	cs_buf_free(&b);
	return err;
}

static int parse_scp03(const json_t *o, struct cs_cardimg *img, struct cs_errinfo *ei)
{
	static const char *const members[] = {"kvn",     "enc", "mac",      "dek",   "i",
					      "key_div", "seq", "required", "level", NULL};
	struct cs_cardimg_scp03 *sc;
	struct cs_buf enc = {0}, mac = {0}, dek = {0}, div = {0};
	unsigned long seq = 0;
	bool has_dek = false, has_div = false;
	uint8_t kvn = 0;
	int err;

	err = want_object(o, "scp03", ei);
	if (!err)
		err = check_members(o, "scp03", members, ei);
	if (err)
		return err;
	sc = calloc(1, sizeof(*sc));
	if (!sc)
		return CS_ERR_NOMEM;
	img->scp03 = sc;
	sc->i_param = 0x70;
	sc->level = CS_SCP03_LEVEL_LWM2M;
	err = get_byte(o, "kvn", "scp03", &kvn, ei);
	if (!err)
		err = get_key(o, "enc", true, &enc, NULL, ei);
	if (!err)
		err = get_key(o, "mac", true, &mac, NULL, ei);
	if (!err)
		err = get_key(o, "dek", false, &dek, &has_dek, ei);
	if (!err && (mac.len != enc.len || (has_dek && dek.len != enc.len)))
		err = bad(ei, CS_ERR_RANGE, "scp03", "enc, mac and dek must have one length");
	if (!err)
		err = cs_scp03_keys_set(&sc->keys, kvn, enc.data, mac.data,
					has_dek ? dek.data : NULL, enc.len, NULL);
	if (!err)
		err = get_byte(o, "i", "scp03", &sc->i_param, ei);
	/* GP Amd D "i" parameter: S8 mode only; 10 pseudo-random challenge, 20 R-MAC, 40 R-ENC */
	if (!err && (sc->i_param & ~0x70))
		err = bad(ei, CS_ERR_UNSUPPORTED, "scp03.i",
			  "%02X: only the bits 10, 20 and 40 are supported (S8 mode)", sc->i_param);
	if (!err)
		err = get_hex(o, "key_div", "scp03", false, CS_SCP03_KEY_DIV_LEN,
			      CS_SCP03_KEY_DIV_LEN, &div, &has_div, ei);
	if (!err && has_div)
		memcpy(sc->key_div, div.data, CS_SCP03_KEY_DIV_LEN);
	if (!err)
		err = get_uint(o, "seq", "scp03", 0, CS_CARDIMG_SCP03_SEQ_MAX, &seq, NULL, ei);
	sc->seq = (uint32_t)seq;
	if (!err)
		err = get_bool(o, "required", "scp03", &sc->required, NULL, ei);
	if (!err)
		err = get_byte(o, "level", "scp03", &sc->level, ei);
	if (!err && (!cs_scp03_level_valid(sc->level) || sc->level == 0))
		err = bad(ei, CS_ERR_RANGE, "scp03.level", "%02X is not one of 01 03 11 13 33",
			  sc->level);
	if (!err && (((sc->level & CS_SCP03_R_MAC) && !(sc->i_param & CS_SCP03_I_R_MAC)) ||
		     ((sc->level & CS_SCP03_R_ENCRYPTION) && !(sc->i_param & CS_SCP03_I_R_ENC))))
		err = bad(ei, CS_ERR_RANGE, "scp03.level",
			  "%02X needs R-MAC/R-ENC, which i %02X does not offer", sc->level,
			  sc->i_param);
	cs_buf_free(&enc);
	cs_buf_free(&mac);
	cs_buf_free(&dek);
	cs_buf_free(&div);
	return err;
}

static int parse_root(const json_t *root, struct cs_cardimg *img, struct cs_errinfo *ei)
{
	static const char *const mf_members[] = {"files", "pin_status", NULL};
	unsigned long version = 0;
	json_t *mf, *arr, *e;
	const char *s, *key;
	char w[WHERE_MAX];
	bool has;
	size_t i;
	int err;

	if (!json_is_object(root))
		return bad(ei, CS_ERR_MALFORMED, "top level", "expected an object, got %s",
			   json_kind(root));
	err = check_members(root, "", TOP_MEMBERS, ei);
	if (!err)
		err = get_str(root, "format", "", true, &s, ei);
	if (!err && strcmp(s, FORMAT_NAME) != 0)
		err = bad(ei, CS_ERR_MALFORMED, "format", "\"%.40s\", expected \"%s\"", s,
			  FORMAT_NAME);
	if (!err)
		err = get_uint(root, "version", "", 1, ULONG_MAX, &version, &has, ei);
	if (!err && !has)
		err = bad(ei, CS_ERR_MALFORMED, "top level", "member \"version\" is missing");
	if (!err && version != CS_CARDIMG_VERSION)
		err = bad(ei, CS_ERR_UNSUPPORTED, "version", "%lu, this cardstrap reads version %d",
			  version, CS_CARDIMG_VERSION);
	if (!err)
		err = get_text(root, "description", "", img->description, sizeof(img->description),
			       ei);
	if (!err)
		err = parse_protocol(root, img, ei);
	if (!err)
		err = parse_card(root, img, ei);
	if (!err)
		err = get_str(root, "iccid", "", false, &s, ei);
	if (!err && s) {
		if (!iccid_ok(s))
			err = bad(ei, CS_ERR_MALFORMED, "iccid", "expected 18..20 decimal digits");
		else
			memcpy(img->iccid, s, strlen(s) + 1);
	}
	if (err)
		return err;

	mf = json_object_get(root, "mf");
	if (mf) {
		err = want_object(mf, "mf", ei);
		if (!err)
			err = check_members(mf, "mf", mf_members, ei);
		if (!err)
			err = parse_pin_status(mf, "mf", &img->mf, ei);
		if (!err)
			err = parse_files(mf, "mf", &img->mf, ei);
		if (err)
			return err;
	}
	if (img->iccid[0]) {
		err = add_iccid_ef(img, ei);
		if (err)
			return err;
	}
	err = get_array(root, "adfs", "", &arr, ei);
	if (err)
		return err;
	json_array_foreach(arr, i, e)
	{
		struct cs_cardimg_df *adf = img_add_adf(img);

		if (!adf)
			return CS_ERR_NOMEM;
		item(w, "", "adfs", i);
		err = parse_adf(e, w, adf, ei);
		if (err)
			return err;
	}
	err = get_array(root, "pins", "", &arr, ei);
	if (err)
		return err;
	json_array_foreach(arr, i, e)
	{
		struct cs_cardimg_pin *pin = img_add_pin(img);

		if (!pin)
			return CS_ERR_NOMEM;
		item(w, "", "pins", i);
		err = parse_pin(e, w, pin, ei);
		if (err)
			return err;
	}
	e = json_object_get(root, "scp03");
	if (e) {
		err = parse_scp03(e, img, ei);
		if (err)
			return err;
	}
	err = cross_check(img, ei);
	if (err)
		return err;

	json_object_foreach((json_t *)root, key, e)
	{
		if (strncmp(key, "x-", 2) != 0)
			continue;
		if (!img->extra)
			img->extra = json_object();
		if (!img->extra || json_object_set(img->extra, key, e) != 0)
			return CS_ERR_NOMEM;
	}
	return 0;
}

int cs_cardimg_parse(const char *text, size_t len, struct cs_cardimg **out, struct cs_errinfo *ei)
{
	struct cs_cardimg *img;
	json_error_t jerr;
	json_t *root;
	int err;

	if (!text || !out)
		return cs_error(ei, CS_ERR_ARG, -1, "card image: no text");
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return cs_error(ei, CS_ERR_MALFORMED, jerr.position,
				"card image: JSON error at line %d column %d: %s", jerr.line,
				jerr.column, jerr.text);
	err = cs_cardimg_new(&img);
	if (err) {
		json_decref(root);
		return cs_error(ei, err, -1, "card image: out of memory");
	}
	err = parse_root(root, img, ei);
	json_decref(root);
	if (err) {
		if (err == CS_ERR_NOMEM)
			cs_error(ei, err, -1, "card image: out of memory");
		cs_cardimg_free(img);
		return err;
	}
	*out = img;
	return 0;
}

int cs_cardimg_load(const char *path, struct cs_cardimg **out, struct cs_errinfo *ei)
{
	struct cs_buf b = {0};
	char chunk[4096];
	size_t n;
	FILE *f;
	int err = 0;

	if (!path || !out)
		return cs_error(ei, CS_ERR_ARG, -1, "card image: no file name");
	f = fopen(path, "rb");
	if (!f)
		return cs_error(ei, CS_ERR_IO, -1, "card image %s: %s", path, strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (b.len + n > CS_CARDIMG_MAX_FILE) {
			err = cs_error(ei, CS_ERR_LIMIT, (long)b.len,
				       "card image %s: larger than %u bytes", path,
				       CS_CARDIMG_MAX_FILE);
			break;
		}
		err = cs_buf_append(&b, chunk, n);
		if (err) {
			cs_error(ei, err, -1, "card image %s: out of memory", path);
			break;
		}
	}
	if (!err && ferror(f))
		err = cs_error(ei, CS_ERR_IO, (long)b.len, "card image %s: read error", path);
	fclose(f);
	cs_zeroize(chunk, sizeof(chunk));
	if (!err) {
		err = cs_cardimg_parse(b.len ? (const char *)b.data : "", b.len, out, ei);
		/* Name the file in the message, keeping what parse said. */
		if (err && ei) {
			char msg[sizeof(ei->msg)];
			const char *m =
				strncmp(ei->msg, "card image", 10) == 0 ? ei->msg + 10 : ei->msg;

			if (snprintf(msg, sizeof(msg), "card image %s%s", path, m) >= 0)
				memcpy(ei->msg, msg, sizeof(msg));
		}
	}
	cs_buf_free(&b);
	return err;
}

/* ---- JSON saving ---- */

static json_t *hex_json(const uint8_t *p, size_t n)
{
	char *s = malloc(2 * n + 1);
	json_t *v;

	if (!s)
		return NULL;
	cs_hex_encode(p, n, 0, s, 2 * n + 1);
	v = json_string(s);
	cs_free_secret(s, 2 * n + 1);
	return v;
}

static json_t *fid_json(uint16_t fid)
{
	uint8_t b[2] = {(uint8_t)(fid >> 8), (uint8_t)fid};

	return hex_json(b, 2);
}

/* json_object_set_new that remembers a failure. */
static void put(json_t *o, const char *key, json_t *v, bool *ok)
{
	if (!v || json_object_set_new(o, key, v) != 0)
		*ok = false;
}

static void append(json_t *a, json_t *v, bool *ok)
{
	if (!v || json_array_append_new(a, v) != 0)
		*ok = false;
}

static json_t *ef_json(const struct cs_cardimg_ef *ef, bool *ok)
{
	json_t *o = json_object(), *recs;
	size_t i;

	if (!o) {
		*ok = false;
		return NULL;
	}
	put(o, "fid", fid_json(ef->fid), ok);
	if (ef->name[0])
		put(o, "name", json_string(ef->name), ok);
	put(o, "structure",
	    json_string(ef->structure == CS_EF_TRANSPARENT ? "transparent" : "linear-fixed"), ok);
	if (ef->sfi)
		put(o, "sfi", json_integer(ef->sfi), ok);
	if (ef->read_pin) {
		char r[8];

		snprintf(r, sizeof(r), "pin:%02X", ef->read_pin);
		put(o, "read", json_string(r), ok);
	} else {
		put(o, "read", json_string("always"), ok);
	}
	if (ef->structure == CS_EF_TRANSPARENT) {
		put(o, "data", hex_json(ef->data, ef->len), ok);
		return o;
	}
	put(o, "record_length", json_integer((json_int_t)ef->record_len), ok);
	recs = json_array();
	for (i = 0; recs && i < ef->record_count; i++)
		append(recs, hex_json(ef->data + i * ef->record_len, ef->record_len), ok);
	put(o, "records", recs, ok);
	return o;
}

static void df_json(json_t *o, const struct cs_cardimg_df *df, bool *ok)
{
	json_t *files, *ps;
	size_t i;

	if (df->n_pin_status) {
		ps = json_array();
		for (i = 0; ps && i < df->n_pin_status; i++) {
			json_t *e = json_object();
			char k[3];

			snprintf(k, sizeof(k), "%02X", df->pin_status[i].key_ref);
			if (e) {
				put(e, "key_ref", json_string(k), ok);
				put(e, "enabled", json_boolean(df->pin_status[i].enabled), ok);
			}
			append(ps, e, ok);
		}
		put(o, "pin_status", ps, ok);
	}
	files = json_array();
	for (i = 0; files && i < df->n_efs; i++)
		if (!df->efs[i].generated)
			append(files, ef_json(&df->efs[i], ok), ok);
	put(o, "files", files, ok);
}

static json_t *byte_json(uint8_t b)
{
	return hex_json(&b, 1);
}

static json_t *scp03_json(const struct cs_cardimg_scp03 *sc, bool *ok)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	put(o, "kvn", byte_json(sc->keys.kvn), ok);
	put(o, "enc", hex_json(sc->keys.enc, sc->keys.len), ok);
	put(o, "mac", hex_json(sc->keys.mac, sc->keys.len), ok);
	if (sc->keys.has_dek)
		put(o, "dek", hex_json(sc->keys.dek, sc->keys.len), ok);
	put(o, "i", byte_json(sc->i_param), ok);
	put(o, "key_div", hex_json(sc->key_div, sizeof(sc->key_div)), ok);
	put(o, "seq", json_integer(sc->seq), ok);
	put(o, "required", json_boolean(sc->required), ok);
	put(o, "level", byte_json(sc->level), ok);
	return o;
}

static json_t *image_json(const struct cs_cardimg *img)
{
	json_t *root = json_object(), *mf, *adfs, *pins, *v;
	const char *key;
	bool ok = root != NULL;
	size_t i;

	if (!root)
		return NULL;
	put(root, "format", json_string(FORMAT_NAME), &ok);
	put(root, "version", json_integer(CS_CARDIMG_VERSION), &ok);
	if (img->description[0])
		put(root, "description", json_string(img->description), &ok);
	put(root, "atr", hex_json(img->atr, img->atr_len), &ok);
	put(root, "protocol", json_string(img->t0 ? "T=0" : "T=1"), &ok);
	put(root, "channels", json_integer(img->channels), &ok);
	put(root, "extended_length", json_boolean(img->extended_length), &ok);
	put(root, "max_le", json_integer((json_int_t)img->max_le), &ok);
	if (img->iccid[0])
		put(root, "iccid", json_string(img->iccid), &ok);
	mf = json_object();
	if (mf)
		df_json(mf, &img->mf, &ok);
	put(root, "mf", mf, &ok);
	adfs = json_array();
	for (i = 0; adfs && i < img->n_adfs; i++) {
		const struct cs_cardimg_df *a = &img->adfs[i];
		json_t *o = json_object();

		if (o) {
			put(o, "aid", hex_json(a->aid, a->aid_len), &ok);
			if (a->label[0])
				put(o, "label", json_string(a->label), &ok);
			if (a->fid)
				put(o, "fid", fid_json(a->fid), &ok);
			df_json(o, a, &ok);
		}
		append(adfs, o, &ok);
	}
	put(root, "adfs", adfs, &ok);
	pins = json_array();
	for (i = 0; pins && i < img->n_pins; i++) {
		const struct cs_cardimg_pin *p = &img->pins[i];
		json_t *o = json_object();
		char k[3], val[9];
		size_t n;

		for (n = 0; n < 8 && p->value[n] != 0xFF; n++)
			val[n] = (char)p->value[n];
		val[n] = '\0';
		snprintf(k, sizeof(k), "%02X", p->key_ref);
		if (o) {
			put(o, "key_ref", json_string(k), &ok);
			put(o, "value", json_string(val), &ok);
			put(o, "tries_left", json_integer(p->tries_left), &ok);
			put(o, "max_tries", json_integer(p->max_tries), &ok);
		}
		cs_zeroize(val, sizeof(val));
		append(pins, o, &ok);
	}
	put(root, "pins", pins, &ok);
	if (img->scp03)
		put(root, "scp03", scp03_json(img->scp03, &ok), &ok);
	if (img->extra)
		json_object_foreach((json_t *)img->extra, key, v)
			put(root, key, json_incref(v), &ok);
	if (!ok) {
		json_decref(root);
		return NULL;
	}
	return root;
}

int cs_cardimg_serialize(const struct cs_cardimg *img, struct cs_buf *out, struct cs_errinfo *ei)
{
	json_t *root;
	char *text;
	size_t n;
	int err;

	if (!img || !out)
		return cs_error(ei, CS_ERR_ARG, -1, "card image: nothing to write");
	root = image_json(img);
	if (!root)
		return cs_error(ei, CS_ERR_NOMEM, -1, "card image: out of memory");
	text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (!text)
		return cs_error(ei, CS_ERR_NOMEM, -1, "card image: out of memory");
	n = strlen(text);
	err = cs_buf_append(out, text, n);
	if (!err)
		err = cs_buf_append(out, "\n", 2);
	if (!err)
		out->len--;
	cs_free_secret(text, n);
	if (err)
		return cs_error(ei, err, -1, "card image: out of memory");
	return 0;
}

int cs_cardimg_save(const struct cs_cardimg *img, const char *path, struct cs_errinfo *ei)
{
	struct cs_buf b = {0};
	char *tmp;
	size_t off = 0;
	int fd, err;

	if (!path)
		return cs_error(ei, CS_ERR_ARG, -1, "card image: no file name");
	err = cs_cardimg_serialize(img, &b, ei);
	if (err)
		return err;
	if (asprintf(&tmp, "%s.XXXXXX", path) < 0) {
		cs_buf_free(&b);
		return cs_error(ei, CS_ERR_NOMEM, -1, "card image: out of memory");
	}
	/* mkstemp creates the file with mode 0600: images hold PINs */
	fd = mkstemp(tmp);
	if (fd < 0) {
		err = cs_error(ei, CS_ERR_IO, -1, "card image %s: %s", path, strerror(errno));
		goto out;
	}
	while (off < b.len) {
		ssize_t w = write(fd, b.data + off, b.len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			err = cs_error(ei, CS_ERR_IO, (long)off, "card image %s: %s", path,
				       strerror(errno));
			break;
		}
		off += (size_t)w;
	}
	if (!err && (fchmod(fd, 0600) != 0 || fsync(fd) != 0))
		err = cs_error(ei, CS_ERR_IO, -1, "card image %s: %s", path, strerror(errno));
	if (close(fd) != 0 && !err)
		err = cs_error(ei, CS_ERR_IO, -1, "card image %s: %s", path, strerror(errno));
	if (!err && rename(tmp, path) != 0)
		err = cs_error(ei, CS_ERR_IO, -1, "card image %s: %s", path, strerror(errno));
	if (err)
		unlink(tmp);
out:
	free(tmp);
	cs_buf_free(&b);
	return err;
}

/* ---- standard layout ---- */

static int std_ef(struct cs_cardimg_df *df, uint16_t fid, const char *name, uint8_t read_pin,
		  struct cs_buf *content)
{
	struct cs_cardimg_ef *ef = df_add_ef(df);

	if (!ef)
		return CS_ERR_NOMEM;
	ef->fid = fid;
	ef->sfi = (uint8_t)(fid & 0x1F); /* TS 102 221 §11.1.1.4.8: SFI from the FID */
	ef->structure = CS_EF_TRANSPARENT;
	ef->read_pin = read_pin;
	snprintf(ef->name, sizeof(ef->name), "%s", name);
	ef->data = cs_buf_steal(content, &ef->len);
	return 0;
}

static bool digits(const char *s, size_t min, size_t max)
{
	size_t i, n = strlen(s);

	if (n < min || n > max)
		return false;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static int build_mf(struct cs_cardimg *img, struct cs_errinfo *ei)
{
	static const uint8_t path[] = {0x3F, 0x00, 0x7F, 0x50};
	struct cs_buf rec = {0};
	struct cs_cardimg_ef *dir;
	int err;

	err = cs_pkcs15_build_dir_record(CS_PKCS15_AID, sizeof(CS_PKCS15_AID), CS_CARDIMG_STD_LABEL,
					 path, sizeof(path), &rec);
	if (err)
		return cs_error(ei, err, -1, "standard card: building the EF.DIR record failed");
	dir = df_add_ef(&img->mf);
	if (!dir) {
		cs_buf_free(&rec);
		return cs_error(ei, CS_ERR_NOMEM, -1, "standard card: out of memory");
	}
	dir->fid = CS_FID_EF_DIR;
	dir->sfi = CS_SFI_EF_DIR;
	dir->structure = CS_EF_LINEAR_FIXED;
	snprintf(dir->name, sizeof(dir->name), "EF.DIR");
	/* Two records of 32 bytes: the template, then an unused one (all FF). */
	dir->record_len = rec.len > 32 ? rec.len : 32;
	dir->record_count = 2;
	dir->len = dir->record_len * 2;
	dir->data = malloc(dir->len);
	if (!dir->data) {
		dir->len = 0;
		cs_buf_free(&rec);
		return cs_error(ei, CS_ERR_NOMEM, -1, "standard card: out of memory");
	}
	memset(dir->data, 0xFF, dir->len);
	memcpy(dir->data, rec.data, rec.len);
	cs_buf_free(&rec);
	return add_iccid_ef(img, ei);
}

static int build_adf(struct cs_cardimg *img, const struct cs_cardimg_std *opt, uint8_t pin_ref,
		     struct cs_errinfo *ei)
{
	static const uint8_t dodf_path[] = {0x64, 0x30}, ef_path[] = {0x64, 0x32};
	struct cs_pkcs15_path odf_entry = {.len = 2};
	struct cs_buf odf = {0}, dodf = {0}, ef = {0};
	struct cs_cardimg_df *adf = img_add_adf(img);
	int err;

	if (!adf)
		return cs_error(ei, CS_ERR_NOMEM, -1, "standard card: out of memory");
	memcpy(adf->aid, CS_PKCS15_AID, sizeof(CS_PKCS15_AID));
	adf->aid_len = sizeof(CS_PKCS15_AID);
	adf->fid = CS_CARDIMG_STD_ADF_FID;
	snprintf(adf->label, sizeof(adf->label), "PKCS#15");
	adf->n_pin_status = 1;
	adf->pin_status[0].key_ref = opt->pin ? pin_ref : 0x01;
	adf->pin_status[0].enabled = opt->pin != NULL;

	memcpy(odf_entry.path, dodf_path, sizeof(dodf_path));
	err = cs_pkcs15_build_odf(&odf_entry, 1, &odf);
	if (!err)
		err = cs_pkcs15_build_dodf_entry(CS_CARDIMG_STD_DODF_LABEL, opt->private_obj, false,
						 opt->private_obj ? &pin_ref : NULL,
						 opt->private_obj ? 1 : 0, opt->wrapped_oid,
						 ef_path, sizeof(ef_path), &dodf);
	if (!err)
		err = cs_buf_append(&ef, opt->ef, opt->ef_len);
	if (!err)
		err = std_ef(adf, 0x5031, "ODF", 0, &odf);
	if (!err)
		err = std_ef(adf, 0x6430, "DODF", 0, &dodf);
	if (!err)
		err = std_ef(adf, 0x6432, "LwM2M_Bootstrap", opt->private_obj ? pin_ref : 0, &ef);
	cs_buf_free(&odf);
	cs_buf_free(&dodf);
	cs_buf_free(&ef);
	if (err)
		return cs_error(ei, err, -1,
				"standard card: building the PKCS#15 files failed (%s)",
				cs_strerror(err));
	return 0;
}

int cs_cardimg_build_standard(const struct cs_cardimg_std *opt, struct cs_cardimg **out,
			      struct cs_errinfo *ei)
{
	const char *iccid;
	struct cs_cardimg *img;
	struct cs_cardimg_pin *pin;
	uint8_t pin_ref;
	unsigned tries;
	int err;

	if (!opt || !out || !opt->ef)
		return cs_error(ei, CS_ERR_ARG, -1, "standard card: no EF content");
	if (opt->ef_len < 1 || opt->ef_len > CS_CARDIMG_MAX_EF_SIZE)
		return cs_error(ei, CS_ERR_RANGE, -1,
				"standard card: EF of %zu bytes, expected 1..%d", opt->ef_len,
				CS_CARDIMG_MAX_EF_SIZE);
	iccid = opt->iccid ? opt->iccid : CS_CARDIMG_STD_ICCID;
	if (!iccid_ok(iccid))
		return cs_error(ei, CS_ERR_MALFORMED, -1,
				"standard card: ICCID must be 18..20 decimal digits");
	if (opt->pin && !digits(opt->pin, 4, 8))
		return cs_error(ei, CS_ERR_MALFORMED, -1, "standard card: PIN must be 4..8 digits");
	if (opt->private_obj && !opt->pin)
		return cs_error(ei, CS_ERR_ARG, -1, "standard card: a private EF needs a PIN");
	pin_ref = opt->pin_ref ? opt->pin_ref : 0x01;
	if (!key_ref_ok(pin_ref))
		return cs_error(ei, CS_ERR_RANGE, -1,
				"standard card: key reference %02X is not a PIN reference",
				pin_ref);
	tries = opt->pin_tries ? opt->pin_tries : 3;
	if (tries > 15)
		return cs_error(ei, CS_ERR_RANGE, -1, "standard card: %u PIN tries, at most 15",
				tries);
	if (opt->channels > CS_CARDIMG_MAX_CHANNELS)
		return cs_error(ei, CS_ERR_RANGE, -1, "standard card: %u channels, at most %d",
				opt->channels, CS_CARDIMG_MAX_CHANNELS);
	if (opt->scp03_keys && (opt->scp03_keys->len != 16 && opt->scp03_keys->len != 24 &&
				opt->scp03_keys->len != 32))
		return cs_error(ei, CS_ERR_ARG, -1, "standard card: no SCP03 key set");
	if ((opt->scp03_required || opt->scp03_level) && !opt->scp03_keys)
		return cs_error(ei, CS_ERR_ARG, -1,
				"standard card: an SCP03 requirement needs SCP03 keys");
	if (opt->scp03_level && (!cs_scp03_level_valid(opt->scp03_level)))
		return cs_error(ei, CS_ERR_RANGE, -1,
				"standard card: SCP03 level %02X is not one of 01 03 11 13 33",
				opt->scp03_level);

	err = cs_cardimg_new(&img);
	if (err)
		return cs_error(ei, err, -1, "standard card: out of memory");
	img->t0 = opt->t0;
	img->channels = opt->channels ? opt->channels : 4;
	img->extended_length = opt->extended_length;
	img->max_le = opt->extended_length ? 65536 : 256;
	cs_cardimg_default_atr(img->channels, img->extended_length, img->atr, &img->atr_len);
	snprintf(img->iccid, sizeof(img->iccid), "%s", iccid);
	snprintf(img->description, sizeof(img->description),
		 "standard layout (applet-spec/card-image.md)");
	err = build_mf(img, ei);
	if (!err)
		err = build_adf(img, opt, pin_ref, ei);
	if (!err && opt->scp03_keys) {
		img->scp03 = calloc(1, sizeof(*img->scp03));
		if (!img->scp03) {
			err = cs_error(ei, CS_ERR_NOMEM, -1, "standard card: out of memory");
		} else {
			img->scp03->keys = *opt->scp03_keys;
			img->scp03->i_param = 0x70;
			img->scp03->required = opt->scp03_required;
			img->scp03->level =
				opt->scp03_level ? opt->scp03_level : CS_SCP03_LEVEL_LWM2M;
		}
	}
	if (!err && opt->pin) {
		pin = img_add_pin(img);
		if (!pin) {
			err = cs_error(ei, CS_ERR_NOMEM, -1, "standard card: out of memory");
		} else {
			pin->key_ref = pin_ref;
			memset(pin->value, 0xFF, sizeof(pin->value));
			memcpy(pin->value, opt->pin, strlen(opt->pin));
			pin->max_tries = tries;
			pin->tries_left = tries;
		}
	}
	if (err) {
		cs_cardimg_free(img);
		return err;
	}
	*out = img;
	return 0;
}
