/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/asn1.h>
#include <mbedtls/asn1write.h>

#include "cardstrap/pkcs15.h"

const uint8_t CS_PKCS15_AID[12] = {0xA0, 0x00, 0x00, 0x00, 0x63, 0x50,
				   0x4B, 0x43, 0x53, 0x2D, 0x31, 0x35};
const uint8_t CS_LWM2M_BOOTSTRAP_OID[4] = {0x67, 0x2B, 0x09, 0x01};

/* The double-wrapped id of the 1.0.2-1.2 DODF example (OMA_LwM2M_for_Developers #532). */
static const uint8_t LWM2M_OID_WRAPPED[6] = {0x06, 0x04, 0x67, 0x2B, 0x09, 0x01};

enum {
	TAG_OCTET_STRING = MBEDTLS_ASN1_OCTET_STRING,
	TAG_OID = MBEDTLS_ASN1_OID,
	TAG_UTF8 = MBEDTLS_ASN1_UTF8_STRING,
	TAG_BIT_STRING = MBEDTLS_ASN1_BIT_STRING,
	TAG_SEQUENCE = MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE,
	TAG_CTX0 = MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_ASN1_CONSTRUCTED | 0,
	TAG_CTX1 = MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_ASN1_CONSTRUCTED | 1,
	TAG_CTX7 = MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_ASN1_CONSTRUCTED | 7,
	TAG_PATH_LENGTH = MBEDTLS_ASN1_CONTEXT_SPECIFIC | 0,
	/* EF.DIR application template, ETSI TS 102 221 §13.1 / ISO 7816-4 */
	TAG_APP_TEMPLATE = 0x61,
	TAG_APP_AID = 0x4F,
	TAG_APP_LABEL = 0x50,
	TAG_APP_PATH = 0x51,
};

/* Where we are, for error messages: "DODF entry 2 at offset 41: ...". */
struct ctx {
	const uint8_t *buf;
	const uint8_t *end;
	const char *file;
	size_t entry;
	struct cs_errinfo *ei;
};

/* One DER element: tag at start, content [val, val + len), next element at next. */
struct elem {
	unsigned char *start;
	unsigned char *val;
	size_t len;
	unsigned char *next;
	int tag;
};

static int fail(const struct ctx *c, int code, const unsigned char *at, const char *fmt, ...)
	CS_PRINTF(4, 5);

static int fail(const struct ctx *c, int code, const unsigned char *at, const char *fmt, ...)
{
	size_t off = (size_t)(at - c->buf);
	char msg[192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return cs_error(c->ei, code, (long)off, "%s entry %zu at offset %zu: %s", c->file, c->entry,
			off, msg);
}

#ifdef __clang_analyzer__
/* The analyzer does not inline variadic functions: tell it fail() returns code. */
#define fail(c, code, ...) (fail((c), (code), __VA_ARGS__), (code))
#endif

/*
 * An element that does not fit: at the top level the data was cut short,
 * inside an element the length disagrees with the enclosing one.
 */
static int fail_asn1(const struct ctx *c, int ret, const unsigned char *at, bool top,
		     const char *name)
{
	if (ret == MBEDTLS_ERR_ASN1_OUT_OF_DATA) {
		if (top)
			return fail(c, CS_ERR_TRUNCATED, at, "%s runs past the end of the data",
				    name);
		return fail(c, CS_ERR_MALFORMED, at,
			    "%s runs past the end of its enclosing element", name);
	}
	return fail(c, CS_ERR_MALFORMED, at, "%s has an invalid length", name);
}

static int missing(const struct ctx *c, const unsigned char *at, const char *name)
{
	return fail(c, CS_ERR_MALFORMED, at, "%s is missing", name);
}

/* Reads the element at *p, whatever its tag, and moves *p past it. */
static int read_elem(const struct ctx *c, unsigned char **p, const unsigned char *end,
		     struct elem *e, const char *name, bool top)
{
	unsigned char *q = *p;
	int ret;

	if (q >= end)
		return missing(c, q, name);
	e->start = q;
	e->tag = *q;
	/* PKCS#15 and EF.DIR use one-byte tags only; mbedtls reads no others. */
	if ((e->tag & 0x1F) == 0x1F)
		return fail(c, CS_ERR_MALFORMED, q, "%s has a multi-byte tag %02X", name, e->tag);
	if (e->tag == 0x00)
		return fail(c, CS_ERR_MALFORMED, q, "%s has the invalid tag 00", name);
	q++;
	ret = mbedtls_asn1_get_len(&q, end, &e->len);
	if (ret)
		return fail_asn1(c, ret, e->start, top, name);
	e->val = q;
	e->next = q + e->len;
	*p = e->next;
	return 0;
}

static int next_elem(const struct ctx *c, unsigned char **p, const unsigned char *end,
		     struct elem *e, const char *name)
{
	return read_elem(c, p, end, e, name, false);
}

/* Reads the element at *p, which must have the given tag (`type` names it for messages). */
static int expect_elem(const struct ctx *c, unsigned char **p, const unsigned char *end, int tag,
		       struct elem *e, const char *name, const char *type)
{
	unsigned char *q = *p;
	int ret;

	if (q >= end)
		return missing(c, q, name);
	ret = mbedtls_asn1_get_tag(&q, end, &e->len, tag);
	if (ret == MBEDTLS_ERR_ASN1_UNEXPECTED_TAG)
		return fail(c, CS_ERR_MALFORMED, *p, "%s is not %s (tag %02X)", name, type, **p);
	if (ret)
		return fail_asn1(c, ret, *p, false, name);
	e->start = *p;
	e->tag = tag;
	e->val = q;
	e->next = q + e->len;
	*p = e->next;
	return 0;
}

/* FF where a tag is expected is padding (ISO 7816-4); so are zero bytes up to the end. */
static bool at_padding(const unsigned char *p, const unsigned char *end)
{
	if (*p == 0xFF)
		return true;
	for (; p < end; p++)
		if (*p != 0x00)
			return false;
	return true;
}

static bool utf8_continuation(uint8_t b)
{
	return (b & 0xC0) == 0x80;
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 when invalid. */
static size_t utf8_seq(const uint8_t *s, size_t n)
{
	size_t need, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xC2 && s[0] <= 0xDF) {
		need = 2;
		cp = s[0] & 0x1F;
	} else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
		need = 3;
		cp = s[0] & 0x0F;
	} else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
		need = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (need > n)
		return 0;
	for (i = 1; i < need; i++) {
		if (!utf8_continuation(s[i]))
			return 0;
		cp = cp << 6 | (s[i] & 0x3F);
	}
	if ((need == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
	    (need == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
		return 0;
	return need;
}

/*
 * Labels come from the card and end up on a terminal: cut to the field size
 * at a character boundary, and show control bytes and invalid UTF-8 as '?'.
 */
static void copy_text(char *dst, const uint8_t *src, size_t len)
{
	size_t i = 0, o = 0, k;

	if (len > CS_PKCS15_MAX_LABEL) {
		len = CS_PKCS15_MAX_LABEL;
		while (len > 0 && utf8_continuation(src[len]))
			len--;
	}
	while (i < len) {
		k = utf8_seq(src + i, len - i);
		if (k == 0 || (k == 1 && (src[i] < 0x20 || src[i] == 0x7F))) {
			dst[o++] = '?';
			i++;
			continue;
		}
		memcpy(dst + o, src + i, k);
		o += k;
		i += k;
	}
	dst[o] = '\0';
}

/* Universal string types that are not UTF8String: a label in one of them is wrong. */
static bool other_string_tag(int tag)
{
	switch (tag) {
	case MBEDTLS_ASN1_PRINTABLE_STRING:
	case MBEDTLS_ASN1_T61_STRING:
	case MBEDTLS_ASN1_IA5_STRING:
	case MBEDTLS_ASN1_UNIVERSAL_STRING:
	case MBEDTLS_ASN1_BMP_STRING:
	case 0x12: /* NumericString */
	case 0x1A: /* VisibleString */ return true;
	}
	return false;
}

/* [0] IMPLICIT INTEGER: same content rules as INTEGER, so let mbedtls read a retagged copy. */
static int get_implicit_int(const struct elem *e, int *val)
{
	size_t n = (size_t)(e->next - e->start);
	unsigned char tmp[8], *q = tmp;

	if (n > sizeof(tmp))
		return MBEDTLS_ERR_ASN1_INVALID_LENGTH;
	memcpy(tmp, e->start, n);
	tmp[0] = MBEDTLS_ASN1_INTEGER;
	return mbedtls_asn1_get_int(&q, tmp + n, val);
}

static int copy_path(const struct ctx *c, const struct elem *e, struct cs_pkcs15_path *out)
{
	if (e->len == 0)
		return fail(c, CS_ERR_MALFORMED, e->start, "path is empty");
	if (e->len > CS_PKCS15_MAX_PATH)
		return fail(c, CS_ERR_LIMIT, e->start, "path of %zu bytes is longer than %d",
			    e->len, CS_PKCS15_MAX_PATH);
	memcpy(out->path, e->val, e->len);
	out->len = e->len;
	return 0;
}

/* PKCS15Path ::= SEQUENCE { path OCTET STRING, index INTEGER OPT, length [0] INTEGER OPT } */
static int parse_path(const struct ctx *c, const struct elem *seq, struct cs_pkcs15_path *out)
{
	unsigned char *p = seq->val, *q;
	const unsigned char *end = seq->next;
	struct elem e, ie;
	int ret, v;

	memset(out, 0, sizeof(*out));
	ret = expect_elem(c, &p, end, TAG_OCTET_STRING, &e, "path", "an OCTET STRING");
	if (ret)
		return ret;
	ret = copy_path(c, &e, out);
	if (ret)
		return ret;
	if (p == end)
		return 0;
	ret = expect_elem(c, &p, end, MBEDTLS_ASN1_INTEGER, &ie, "path index", "an INTEGER");
	if (ret)
		return ret;
	q = ie.start;
	ret = mbedtls_asn1_get_int(&q, ie.next, &v);
	if (ret)
		return fail(c, CS_ERR_MALFORMED, ie.start, "path index is not a non-negative int");
	out->index = (uint32_t)v;
	if (p == end)
		return fail(c, CS_ERR_MALFORMED, ie.start, "path index without length");
	ret = expect_elem(c, &p, end, TAG_PATH_LENGTH, &e, "path length", "[0] INTEGER");
	if (ret)
		return ret;
	if (get_implicit_int(&e, &v))
		return fail(c, CS_ERR_MALFORMED, e.start, "path length is not a non-negative int");
	out->length = (uint32_t)v;
	out->has_range = true;
	if (p != end)
		return fail(c, CS_ERR_MALFORMED, p, "unexpected element after the Path");
	return 0;
}

/* ---- EF ODF (Core TS App. G.3.1, PKCS#15 v1.1) ---- */

int cs_pkcs15_parse_odf(const uint8_t *buf, size_t len, struct cs_pkcs15_path *dodf, size_t max,
			size_t *n, struct cs_errinfo *ei)
{
	struct ctx c = {buf, buf, "ODF", 0, ei};
	unsigned char *p = (unsigned char *)buf;
	struct elem e, pe;
	struct cs_pkcs15_path path;
	int ret;

	if ((!buf && len) || !n || (max && !dodf) || *n > max)
		return cs_error(ei, CS_ERR_ARG, -1, "cs_pkcs15_parse_odf: invalid arguments");
	if (len == 0)
		return 0;
	c.end = buf + len;
	while (p < c.end && !at_padding(p, c.end)) {
		c.entry++;
		ret = read_elem(&c, &p, c.end, &e, "PKCS15Objects", true);
		if (ret)
			return ret;
		if (e.tag != TAG_CTX7)
			continue;
		if (e.len == 0)
			return fail(&c, CS_ERR_MALFORMED, e.start, "dataObjects is empty");
		ret = next_elem(&c, &e.val, e.next, &pe, "dataObjects path");
		if (ret)
			return ret;
		if (e.val != e.next)
			return fail(&c, CS_ERR_MALFORMED, e.val,
				    "unexpected element after the dataObjects path");
		/* [0] objects and the protected forms are not used on UICCs. */
		if (pe.tag != TAG_SEQUENCE)
			continue;
		ret = parse_path(&c, &pe, &path);
		if (ret)
			return ret;
		if (*n < max)
			dodf[(*n)++] = path;
	}
	return 0;
}

/* ---- EF DODF (Core TS App. G.3.2, PKCS#15 v1.1) ---- */

static enum cs_pkcs15_oid_match oid_match(const struct elem *oid, bool application)
{
	if (oid->len == sizeof(CS_LWM2M_BOOTSTRAP_OID) &&
	    !memcmp(oid->val, CS_LWM2M_BOOTSTRAP_OID, oid->len))
		return application ? CS_OID_APPLICATION : CS_OID_ID;
	if (oid->len == sizeof(LWM2M_OID_WRAPPED) && !memcmp(oid->val, LWM2M_OID_WRAPPED, oid->len))
		return application ? CS_OID_APPLICATION_WRAPPED : CS_OID_ID_WRAPPED;
	return CS_OID_NONE;
}

/* PKCS15CommonObjectAttributes: label, flags, authId; the rest is skipped. */
static int parse_common_attrs(const struct ctx *c, const struct elem *seq,
			      struct cs_pkcs15_dataobj *obj)
{
	unsigned char *p = seq->val, *q;
	mbedtls_asn1_bitstring bs;
	struct elem e;
	int ret;

	while (p < seq->next) {
		ret = next_elem(c, &p, seq->next, &e, "CommonObjectAttributes element");
		if (ret)
			return ret;
		if (e.start == seq->val && other_string_tag(e.tag))
			return fail(c, CS_ERR_MALFORMED, e.start,
				    "label is not a UTF8String (tag %02X)", e.tag);
		switch (e.tag) {
		case TAG_UTF8: copy_text(obj->label, e.val, e.len); break;
		case TAG_BIT_STRING:
			q = e.start;
			if (mbedtls_asn1_get_bitstring(&q, e.next, &bs))
				return fail(c, CS_ERR_MALFORMED, e.start,
					    "flags is not a valid BIT STRING");
			/* named bit 0 is the MSB of the first content byte (X.690) */
			obj->private_obj = bs.len > 0 && (bs.p[0] & 0x80);
			obj->modifiable = bs.len > 0 && (bs.p[0] & 0x40);
			break;
		case TAG_OCTET_STRING:
			if (e.len > sizeof(obj->auth_id))
				return fail(c, CS_ERR_LIMIT, e.start,
					    "authId of %zu bytes is longer than %zu", e.len,
					    sizeof(obj->auth_id));
			memcpy(obj->auth_id, e.val, e.len);
			obj->auth_id_len = e.len;
			break;
		default: break;
		}
	}
	return 0;
}

/* PKCS15CommonDataObjectAttributes: applicationName, applicationOID. */
static int parse_data_attrs(const struct ctx *c, const struct elem *seq,
			    struct cs_pkcs15_dataobj *obj)
{
	unsigned char *p = seq->val;
	struct elem e;
	int ret;

	while (p < seq->next) {
		ret = next_elem(c, &p, seq->next, &e, "CommonDataObjectAttributes element");
		if (ret)
			return ret;
		if (e.start == seq->val && other_string_tag(e.tag))
			return fail(c, CS_ERR_MALFORMED, e.start,
				    "applicationName is not a UTF8String (tag %02X)", e.tag);
		if (e.tag == TAG_UTF8)
			copy_text(obj->application_name, e.val, e.len);
		else if (e.tag == TAG_OID)
			obj->lwm2m = oid_match(&e, true);
	}
	return 0;
}

/* ObjectValue: a Path (or a bare OCTET STRING path); direct values carry no path. */
static int parse_object_value(const struct ctx *c, unsigned char **p, const unsigned char *end,
			      struct cs_pkcs15_dataobj *obj)
{
	struct elem e;
	int ret;

	ret = next_elem(c, p, end, &e, "value");
	if (ret)
		return ret;
	if (e.tag == TAG_SEQUENCE)
		return parse_path(c, &e, &obj->path);
	if (e.tag == TAG_OCTET_STRING)
		return copy_path(c, &e, &obj->path);
	return 0;
}

/*
 * typeAttributes [1]. For an oidDO it holds PKCS15OidDO { id, value }; some
 * encoders tag that SEQUENCE implicitly, so a bare id first is accepted too.
 */
static int parse_type_attrs(const struct ctx *c, const struct elem *ta,
			    struct cs_pkcs15_dataobj *obj)
{
	unsigned char *p = ta->val;
	const unsigned char *end = ta->next;
	struct elem seq, id;
	enum cs_pkcs15_oid_match m;
	int ret;

	if (obj->oid_do) {
		if (p < end && *p == TAG_SEQUENCE) {
			ret = next_elem(c, &p, end, &seq, "PKCS15OidDO");
			if (ret)
				return ret;
			if (p != end)
				return fail(c, CS_ERR_MALFORMED, p,
					    "unexpected element after PKCS15OidDO");
			p = seq.val;
			end = seq.next;
		}
		ret = expect_elem(c, &p, end, TAG_OID, &id, "PKCS15OidDO.id",
				  "an OBJECT IDENTIFIER");
		if (ret)
			return ret;
		m = oid_match(&id, false);
		if (m != CS_OID_NONE)
			obj->lwm2m = m;
	}
	ret = parse_object_value(c, &p, end, obj);
	if (ret)
		return ret;
	if (p != end)
		return fail(c, CS_ERR_MALFORMED, p, "unexpected element after the value");
	return 0;
}

/* PKCS15Object { commonObjectAttributes, classAttributes, [0] subClass OPT, [1] type } */
static int parse_dataobj(const struct ctx *c, const struct elem *entry,
			 struct cs_pkcs15_dataobj *obj)
{
	unsigned char *p = entry->val;
	const unsigned char *end = entry->next;
	struct elem e;
	int ret;

	memset(obj, 0, sizeof(*obj));
	obj->offset = (size_t)(entry->start - c->buf);
	obj->oid_do = entry->tag == TAG_CTX1;

	ret = expect_elem(c, &p, end, TAG_SEQUENCE, &e, "CommonObjectAttributes", "a SEQUENCE");
	if (ret)
		return ret;
	ret = parse_common_attrs(c, &e, obj);
	if (ret)
		return ret;
	ret = expect_elem(c, &p, end, TAG_SEQUENCE, &e, "CommonDataObjectAttributes", "a SEQUENCE");
	if (ret)
		return ret;
	ret = parse_data_attrs(c, &e, obj);
	if (ret)
		return ret;
	if (p < end && *p == TAG_CTX0) {
		ret = next_elem(c, &p, end, &e, "subClassAttributes");
		if (ret)
			return ret;
	}
	ret = expect_elem(c, &p, end, TAG_CTX1, &e, "typeAttributes", "[1]");
	if (ret)
		return ret;
	ret = parse_type_attrs(c, &e, obj);
	if (ret)
		return ret;
	if (p != end)
		return fail(c, CS_ERR_MALFORMED, p, "unexpected element after typeAttributes");
	return 0;
}

int cs_pkcs15_parse_dodf(const uint8_t *buf, size_t len, struct cs_pkcs15_dataobj *objs, size_t max,
			 size_t *n, struct cs_errinfo *ei)
{
	struct ctx c = {buf, buf, "DODF", 0, ei};
	unsigned char *p = (unsigned char *)buf;
	struct cs_pkcs15_dataobj obj;
	struct elem e;
	int ret;

	if ((!buf && len) || !n || (max && !objs) || *n > max)
		return cs_error(ei, CS_ERR_ARG, -1, "cs_pkcs15_parse_dodf: invalid arguments");
	if (len == 0)
		return 0;
	c.end = buf + len;
	while (p < c.end && !at_padding(p, c.end)) {
		c.entry++;
		ret = read_elem(&c, &p, c.end, &e, "PKCS15Data", true);
		if (ret)
			return ret;
		/* externalIDO [0] and later choices carry nothing we use. */
		if (e.tag != TAG_SEQUENCE && e.tag != TAG_CTX1)
			continue;
		ret = parse_dataobj(&c, &e, &obj);
		if (ret)
			return ret;
		if (*n < max)
			objs[(*n)++] = obj;
	}
	return 0;
}

int cs_pkcs15_find_bootstrap(const struct cs_pkcs15_dataobj *objs, size_t n)
{
	size_t i;

	if ((!objs && n) || n > INT32_MAX)
		return CS_ERR_ARG;
	/* DODF order is priority order (G.1); the label is informational only. */
	for (i = 0; i < n; i++)
		if (objs[i].lwm2m != CS_OID_NONE && objs[i].path.len > 0)
			return (int)i;
	return CS_ERR_NO_BOOTSTRAP;
}

/* ---- EF.DIR (Core TS App. G.1, TS 102 221 §13.1) ---- */

static int parse_template(const struct ctx *c, const struct elem *t, struct cs_pkcs15_app *app)
{
	unsigned char *p = t->val;
	struct elem e;
	int ret;

	memset(app, 0, sizeof(*app));
	while (p < t->next) {
		ret = next_elem(c, &p, t->next, &e, "template element");
		if (ret)
			return ret;
		switch (e.tag) {
		case TAG_APP_AID:
			if (e.len == 0 || e.len > CS_PKCS15_MAX_AID)
				return fail(c, CS_ERR_MALFORMED, e.start,
					    "AID of %zu bytes is not 1..%d bytes", e.len,
					    CS_PKCS15_MAX_AID);
			memcpy(app->aid, e.val, e.len);
			app->aid_len = e.len;
			break;
		case TAG_APP_LABEL: copy_text(app->label, e.val, e.len); break;
		case TAG_APP_PATH:
			if (e.len == 0 || e.len > CS_PKCS15_MAX_PATH)
				return fail(c, CS_ERR_MALFORMED, e.start,
					    "path of %zu bytes is not 1..%d bytes", e.len,
					    CS_PKCS15_MAX_PATH);
			memcpy(app->path, e.val, e.len);
			app->path_len = e.len;
			break;
		default: break;
		}
	}
	return 0;
}

int cs_pkcs15_parse_dir(const uint8_t *buf, size_t len, struct cs_pkcs15_app *apps, size_t max,
			size_t *n, struct cs_errinfo *ei)
{
	struct ctx c = {buf, buf, "EF.DIR", 0, ei};
	unsigned char *p = (unsigned char *)buf;
	struct cs_pkcs15_app app;
	struct elem e;
	int ret;

	if ((!buf && len) || !n || (max && !apps) || *n > max)
		return cs_error(ei, CS_ERR_ARG, -1, "cs_pkcs15_parse_dir: invalid arguments");
	if (len == 0)
		return 0;
	c.end = buf + len;
	while (p < c.end && !at_padding(p, c.end)) {
		c.entry++;
		ret = read_elem(&c, &p, c.end, &e, "application template", true);
		if (ret)
			return ret;
		if (e.tag != TAG_APP_TEMPLATE)
			continue;
		ret = parse_template(&c, &e, &app);
		if (ret)
			return ret;
		if (app.aid_len == 0)
			continue;
		if (*n < max)
			apps[(*n)++] = app;
	}
	return 0;
}

bool cs_pkcs15_app_is_pkcs15(const struct cs_pkcs15_app *app)
{
	return app && app->aid_len >= sizeof(CS_PKCS15_AID) &&
	       !memcmp(app->aid, CS_PKCS15_AID, sizeof(CS_PKCS15_AID));
}

/* ---- Builders: mbedtls writes DER backwards from the end of a buffer ---- */

struct writer {
	unsigned char *start;
	unsigned char *p;
	size_t cap;
};

static int writer_init(struct writer *w, size_t cap)
{
	w->start = malloc(cap);
	if (!w->start)
		return CS_ERR_NOMEM;
	w->cap = cap;
	w->p = w->start + cap;
	return 0;
}

/* Appends what was written (if ret says it worked) and releases the buffer. */
static int writer_finish(struct writer *w, int ret, struct cs_buf *out)
{
	if (ret >= 0)
		ret = cs_buf_append(out, w->p, (size_t)(w->start + w->cap - w->p));
	else if (ret == MBEDTLS_ERR_ASN1_BUF_TOO_SMALL)
		ret = CS_ERR_LIMIT;
	else
		ret = CS_ERR_ARG;
	cs_free_secret(w->start, w->cap);
	return ret;
}

/* Writes the header of a constructed element whose `len` content bytes are already written. */
static int write_header(unsigned char **p, unsigned char *start, size_t len, unsigned char tag)
{
	int ret;
	size_t n = 0;

	MBEDTLS_ASN1_CHK_ADD(n, mbedtls_asn1_write_len(p, start, len));
	MBEDTLS_ASN1_CHK_ADD(n, mbedtls_asn1_write_tag(p, start, tag));
	return (int)n;
}

static int write_path(unsigned char **p, unsigned char *start, const uint8_t *path, size_t path_len,
		      const struct cs_pkcs15_path *range)
{
	int ret;
	size_t len = 0;

	if (range && range->has_range) {
		MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_int(p, start, (int)range->length));
		/* length is [0] IMPLICIT INTEGER: same bytes, context tag */
		**p = TAG_PATH_LENGTH;
		MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_int(p, start, (int)range->index));
	}
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_octet_string(p, start, path, path_len));
	MBEDTLS_ASN1_CHK_ADD(len, write_header(p, start, len, TAG_SEQUENCE));
	return (int)len;
}

static bool path_ok(const uint8_t *path, size_t len)
{
	return path && len > 0 && len <= CS_PKCS15_MAX_PATH;
}

static bool label_ok(const char *label)
{
	size_t len, i, k;

	if (!label)
		return true;
	len = strlen(label);
	if (len > CS_PKCS15_MAX_LABEL)
		return false;
	for (i = 0; i < len; i += k) {
		k = utf8_seq((const uint8_t *)label + i, len - i);
		if (k == 0)
			return false;
	}
	return true;
}

static int write_dir_record(unsigned char **p, unsigned char *start, const uint8_t *aid,
			    size_t aid_len, const char *label, const uint8_t *path, size_t path_len)
{
	int ret;
	size_t len = 0;

	if (path_len)
		MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_tagged_string(p, start, TAG_APP_PATH,
									   (const char *)path,
									   path_len));
	if (label && *label)
		MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_tagged_string(p, start, TAG_APP_LABEL,
									   label, strlen(label)));
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_tagged_string(p, start, TAG_APP_AID,
								   (const char *)aid, aid_len));
	MBEDTLS_ASN1_CHK_ADD(len, write_header(p, start, len, TAG_APP_TEMPLATE));
	return (int)len;
}

int cs_pkcs15_build_dir_record(const uint8_t *aid, size_t aid_len, const char *label,
			       const uint8_t *path, size_t path_len, struct cs_buf *out)
{
	struct writer w;
	int ret;

	if (!out || !aid || aid_len == 0 || aid_len > CS_PKCS15_MAX_AID || !label_ok(label) ||
	    (path_len && !path_ok(path, path_len)))
		return CS_ERR_ARG;
	ret = writer_init(&w, 128);
	if (ret)
		return ret;
	/* NOLINTNEXTLINE(clang-analyzer-unix.Malloc): writer_finish() frees w.start */
	ret = write_dir_record(&w.p, w.start, aid, aid_len, label, path, path_len);
	return writer_finish(&w, ret, out);
}

/* Room for one ODF entry: A7 L 30 L 04 L path(16) 02 05 int 80 05 int. */
#define ODF_ENTRY_MAX 40

static int write_odf(unsigned char **p, unsigned char *start, const struct cs_pkcs15_path *dodf,
		     size_t n)
{
	int ret;
	size_t len = 0, one;

	/* Backwards, so that the first path given comes first (priority order, G.1). */
	while (n-- > 0) {
		one = 0;
		MBEDTLS_ASN1_CHK_ADD(one,
				     write_path(p, start, dodf[n].path, dodf[n].len, &dodf[n]));
		MBEDTLS_ASN1_CHK_ADD(one, write_header(p, start, one, TAG_CTX7));
		len += one;
	}
	return (int)len;
}

int cs_pkcs15_build_odf(const struct cs_pkcs15_path *dodf, size_t n, struct cs_buf *out)
{
	struct writer w;
	size_t i;
	int ret;

	if (!out || (n && !dodf) || n > INT32_MAX / ODF_ENTRY_MAX)
		return CS_ERR_ARG;
	for (i = 0; i < n; i++) {
		if (!path_ok(dodf[i].path, dodf[i].len))
			return CS_ERR_ARG;
		if (dodf[i].has_range && (dodf[i].index > INT32_MAX || dodf[i].length > INT32_MAX))
			return CS_ERR_RANGE;
	}
	if (n == 0)
		return 0;
	ret = writer_init(&w, n * ODF_ENTRY_MAX);
	if (ret)
		return ret;
	ret = write_odf(&w.p, w.start, dodf, n);
	return writer_finish(&w, ret, out);
}

static int write_dodf_entry(unsigned char **p, unsigned char *start, const char *label,
			    bool private_obj, bool modifiable, const uint8_t *auth_id,
			    size_t auth_id_len, bool wrapped_oid, const uint8_t *path,
			    size_t path_len)
{
	unsigned char flags = (unsigned char)((private_obj ? 0x80 : 0) | (modifiable ? 0x40 : 0));
	const uint8_t *oid = wrapped_oid ? LWM2M_OID_WRAPPED : CS_LWM2M_BOOTSTRAP_OID;
	size_t oid_len = wrapped_oid ? sizeof(LWM2M_OID_WRAPPED) : sizeof(CS_LWM2M_BOOTSTRAP_OID);
	size_t len = 0, part = 0;
	int ret;

	/* typeAttributes [1] { PKCS15OidDO { id, value Path } } */
	MBEDTLS_ASN1_CHK_ADD(part, write_path(p, start, path, path_len, NULL));
	MBEDTLS_ASN1_CHK_ADD(part, mbedtls_asn1_write_oid(p, start, (const char *)oid, oid_len));
	MBEDTLS_ASN1_CHK_ADD(part, write_header(p, start, part, TAG_SEQUENCE));
	MBEDTLS_ASN1_CHK_ADD(part, write_header(p, start, part, TAG_CTX1));
	len += part;

	/* CommonDataObjectAttributes: empty; the label goes to CommonObjectAttributes (G.3.2) */
	MBEDTLS_ASN1_CHK_ADD(len, write_header(p, start, 0, TAG_SEQUENCE));

	part = 0;
	if (auth_id_len)
		MBEDTLS_ASN1_CHK_ADD(
			part, mbedtls_asn1_write_octet_string(p, start, auth_id, auth_id_len));
	if (flags)
		MBEDTLS_ASN1_CHK_ADD(part, mbedtls_asn1_write_named_bitstring(p, start, &flags, 2));
	if (label && *label)
		MBEDTLS_ASN1_CHK_ADD(
			part, mbedtls_asn1_write_utf8_string(p, start, label, strlen(label)));
	MBEDTLS_ASN1_CHK_ADD(part, write_header(p, start, part, TAG_SEQUENCE));
	len += part;

	MBEDTLS_ASN1_CHK_ADD(len, write_header(p, start, len, TAG_CTX1));
	return (int)len;
}

int cs_pkcs15_build_dodf_entry(const char *label, bool private_obj, bool modifiable,
			       const uint8_t *auth_id, size_t auth_id_len, bool wrapped_oid,
			       const uint8_t *path, size_t path_len, struct cs_buf *out)
{
	struct writer w;
	int ret;

	if (!out || !label_ok(label) || (auth_id_len && !auth_id) || auth_id_len > 16 ||
	    !path_ok(path, path_len))
		return CS_ERR_ARG;
	ret = writer_init(&w, 256);
	if (ret)
		return ret;
	/* NOLINTNEXTLINE(clang-analyzer-unix.Malloc): writer_finish() frees w.start */
	ret = write_dodf_entry(&w.p, w.start, label, private_obj, modifiable, auth_id, auth_id_len,
			       wrapped_oid, path, path_len);
	return writer_finish(&w, ret, out);
}
