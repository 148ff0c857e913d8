/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/asn1.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>

#include "cardstrap/error.h"
#include "cardstrap/model.h"
#include "cardstrap/objects.h"
#include "cardstrap/tlv.h"
#include "cardstrap/validate.h"

/* ---- diagnostics list ---- */

void cs_diags_init(struct cs_diags *d)
{
	memset(d, 0, sizeof(*d));
}

void cs_diags_free(struct cs_diags *d)
{
	free(d->items);
	memset(d, 0, sizeof(*d));
}

static CS_VPRINTF(7) int diags_vadd(struct cs_diags *d, enum cs_severity sev, int32_t oid,
				     int32_t iid, int32_t rid, long offset, const char *fmt,
				     va_list ap)
{
	struct cs_diag *dg;

	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;
		struct cs_diag *items = realloc(d->items, cap * sizeof(*items));

		if (!items)
			return CS_ERR_NOMEM;
		d->items = items;
		d->cap = cap;
	}
	dg = &d->items[d->n++];
	dg->severity = sev;
	dg->oid = oid;
	dg->iid = iid;
	dg->rid = rid;
	dg->offset = offset;
	vsnprintf(dg->message, sizeof(dg->message), fmt, ap);
	if (sev == CS_SEV_ERROR)
		d->errors++;
	else
		d->warnings++;
	return 0;
}

int cs_diags_add(struct cs_diags *d, enum cs_severity sev, int32_t oid, int32_t iid, int32_t rid,
		 long offset, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = diags_vadd(d, sev, oid, iid, rid, offset, fmt, ap);
	va_end(ap);
	return rc;
}

int cs_diag_path(const struct cs_diag *dg, char *buf, size_t n)
{
	if (dg->oid < 0)
		return snprintf(buf, n, "/");
	if (dg->iid < 0)
		return snprintf(buf, n, "/%" PRId32, dg->oid);
	if (dg->rid < 0)
		return snprintf(buf, n, "/%" PRId32 "/%" PRId32, dg->oid, dg->iid);
	return snprintf(buf, n, "/%" PRId32 "/%" PRId32 "/%" PRId32, dg->oid, dg->iid, dg->rid);
}

int cs_diag_format(const struct cs_diag *dg, char *buf, size_t n)
{
	const char *sev = dg->severity == CS_SEV_ERROR ? "error" : "warning";
	char path[40];

	cs_diag_path(dg, path, sizeof(path));
	if (dg->offset >= 0)
		return snprintf(buf, n, "%s: %s (byte %ld): %s", sev, path, dg->offset,
				dg->message);
	return snprintf(buf, n, "%s: %s: %s", sev, path, dg->message);
}

/* ---- validation context ---- */

struct vctx {
	const struct cs_model *m;
	struct cs_diags *d;
	bool nomem;
};

/* Where a finding is: path levels that do not apply are -1. */
struct where {
	int32_t oid, iid, rid;
	long offset;
};

static void diag(struct vctx *c, enum cs_severity sev, struct where w, const char *fmt, ...)
	CS_PRINTF(4, 5);

static void diag(struct vctx *c, enum cs_severity sev, struct where w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (diags_vadd(c->d, sev, w.oid, w.iid, w.rid, w.offset, fmt, ap) < 0)
		c->nomem = true;
	va_end(ap);
}

#define ERR(c, w, ...)  diag((c), CS_SEV_ERROR, (w), __VA_ARGS__)
#define WARN(c, w, ...) diag((c), CS_SEV_WARNING, (w), __VA_ARGS__)

static struct where at(int32_t oid, int32_t iid, int32_t rid, long offset)
{
	return (struct where){oid, iid, rid, offset};
}

static struct where at_obj(const struct cs_object *o)
{
	return (struct where){o->id, -1, -1, o->offset};
}

static struct where at_inst(uint16_t oid, const struct cs_instance *i)
{
	return (struct where){oid, i->id, -1, i->offset};
}

static struct where at_res(uint16_t oid, const struct cs_instance *i, const struct cs_resource *r)
{
	return (struct where){oid, i->id, r->id, r->offset >= 0 ? r->offset : i->offset};
}

/* A resource that is absent: its path, located at its instance. */
static struct where at_missing(uint16_t oid, const struct cs_instance *i, uint16_t rid)
{
	return (struct where){oid, i->id, rid, i->offset};
}

/* Text from the card made safe for a one-line message (not for secrets). */
static const char *printable(const uint8_t *s, size_t n, char *out, size_t outsz)
{
	size_t max = outsz - 4, k = 0;

	for (size_t j = 0; j < n && k < max; j++)
		out[k++] = (char)(s[j] < 0x20 || s[j] == 0x7f ? '?' : s[j]);
	if (n > max) {
		memcpy(out + k, "...", 3);
		k += 3;
	}
	out[k] = '\0';
	return out;
}

static bool utf8_valid(const uint8_t *s, size_t n, size_t *bad)
{
	size_t j = 0;

	while (j < n) {
		uint8_t b = s[j];
		size_t more;
		uint32_t cp, lo;

		if (b < 0x80) {
			j++;
			continue;
		}
		if (b >= 0xC2 && b <= 0xDF)
			more = 1, cp = b & 0x1F, lo = 0x80;
		else if (b >= 0xE0 && b <= 0xEF)
			more = 2, cp = b & 0x0F, lo = 0x800;
		else if (b >= 0xF0 && b <= 0xF4)
			more = 3, cp = b & 0x07, lo = 0x10000;
		else
			goto fail;
		if (n - j - 1 < more)
			goto fail;
		for (size_t k = 1; k <= more; k++) {
			if ((s[j + k] & 0xC0) != 0x80)
				goto fail;
			cp = cp << 6 | (s[j + k] & 0x3F);
		}
		if (cp < lo || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			goto fail;
		j += more + 1;
	}
	return true;
fail:
	*bad = j;
	return false;
}

/* ---- per-value checks from the object definitions ---- */

static void check_length_range(struct vctx *c, struct where w, const char *label,
			       const struct cs_resdef *rd, size_t n)
{
	if (!rd->has_range)
		return;
	if (rd->min == rd->max && (int64_t)n != rd->min)
		ERR(c, w, "%s is %zu bytes long; it must be exactly %" PRId64 " bytes", label, n,
		    rd->min);
	else if ((int64_t)n > rd->max)
		ERR(c, w, "%s is %zu bytes long; at most %" PRId64 " bytes are allowed", label, n,
		    rd->max);
	else if ((int64_t)n < rd->min)
		ERR(c, w, "%s is %zu bytes long; at least %" PRId64 " bytes are needed", label, n,
		    rd->min);
}

/*
 * Core TS Appendix C value formats and the ranges of the registry objects 0, 1 and 2.
 * label names the value ("ACL instance 101"), vlabel precedes a number ("ACL instance 101 value").
 */
static void check_value(struct vctx *c, struct where w, const char *label, const char *vlabel,
			const struct cs_resdef *rd, const struct cs_value *v)
{
	const uint8_t *p = v->data;
	size_t n = v->len, bad;
	int64_t i;
	uint64_t u;
	double f;
	bool b;
	uint16_t lo, li;
	const void *nul;

	switch (rd->type) {
	case CS_TYPE_STRING:
	case CS_TYPE_CORELNK:
		nul = n ? memchr(p, 0, n) : NULL;
		if (nul)
			ERR(c, w, "%s contains a NUL byte at position %zu; strings must not", label,
			    (size_t)((const uint8_t *)nul - p));
		else if (!utf8_valid(p, n, &bad))
			ERR(c, w, "%s is not valid UTF-8 (at position %zu)", label, bad);
		check_length_range(c, w, label, rd, n);
		break;
	case CS_TYPE_OPAQUE: check_length_range(c, w, label, rd, n); break;
	case CS_TYPE_INTEGER:
	case CS_TYPE_TIME:
		if (cs_tlv_int_decode(p, n, &i) < 0) {
			ERR(c, w, "%s has a %zu-byte value; an %s is 1, 2, 4 or 8 bytes", label, n,
			    cs_type_name(rd->type));
			break;
		}
		if (rd->has_range && (i < rd->min || i > rd->max))
			ERR(c, w, "%s %" PRId64 " is outside %" PRId64 "..%" PRId64, vlabel, i,
			    rd->min, rd->max);
		break;
	case CS_TYPE_UNSIGNED:
		if (cs_tlv_uint_decode(p, n, &u) < 0) {
			ERR(c, w,
			    "%s has a %zu-byte value; an Unsigned Integer is 1, 2, 4 or 8 bytes",
			    label, n);
			break;
		}
		if (rd->has_range && (u < (uint64_t)rd->min || u > (uint64_t)rd->max))
			ERR(c, w, "%s %" PRIu64 " is outside %" PRId64 "..%" PRId64, vlabel, u,
			    rd->min, rd->max);
		break;
	case CS_TYPE_FLOAT:
		if (cs_tlv_float_decode(p, n, &f) < 0)
			ERR(c, w, "%s has a %zu-byte value; a Float is 4 or 8 bytes", label, n);
		break;
	case CS_TYPE_BOOLEAN:
		if (n != 1)
			ERR(c, w, "%s has a %zu-byte value; a Boolean is exactly 1 byte (00 or 01)",
			    label, n);
		else if (cs_tlv_bool_decode(p, n, &b) < 0)
			ERR(c, w, "%s has the value %02X; a Boolean is 00 (false) or 01 (true)",
			    label, p[0]);
		break;
	case CS_TYPE_OBJLNK:
		if (cs_tlv_objlnk_decode(p, n, &lo, &li) < 0)
			ERR(c, w, "%s has a %zu-byte value; an Objlnk is exactly 4 bytes", label,
			    n);
		break;
	case CS_TYPE_NONE: break;
	}
}

/* ---- structure and per-resource checks ---- */

struct objver {
	uint8_t minor; /* definitions to check against: 1.<minor> */
	bool declared; /* an explicit, known version: warn about newer resources */
};

static struct objver object_version(struct vctx *c, const struct cs_object *o,
				    const struct cs_objdef *od)
{
	struct objver ov = {od->latest_minor, false};

	if (o->ver_major == 0)
		return ov;
	if (o->ver_major == 1 && o->ver_minor <= od->latest_minor) {
		ov.minor = o->ver_minor;
		ov.declared = true;
		return ov;
	}
	WARN(c, at_obj(o),
	     "object version %u.%u of %s is newer than the newest this tool knows (1.%u); "
	     "checked against 1.%u",
	     o->ver_major, o->ver_minor, od->name, od->latest_minor, od->latest_minor);
	return ov;
}

static void check_resource(struct vctx *c, const struct cs_object *o, const struct cs_objdef *od,
			   struct objver ov, const struct cs_instance *in,
			   const struct cs_resource *r)
{
	struct where w = at_res(o->id, in, r);
	const struct cs_resdef *rd;
	char label[160], vlabel[170];

	if (r->id == 0xFFFF)
		ERR(c, w, "Resource ID 65535 is reserved (MAX_ID) and must not name a resource");
	if (r->multiple)
		for (size_t k = 0; k < r->ninst; k++)
			if (r->inst[k].id == 0xFFFF)
				ERR(c, at(o->id, in->id, r->id, r->inst[k].offset),
				    "Resource Instance ID 65535 is reserved (MAX_ID)");
	if (!od)
		return;
	rd = cs_resdef_find(od, r->id);
	if (!rd) {
		WARN(c, w,
		     "resource %u is not defined for %s (object %u); clients ignore unknown "
		     "optional resources",
		     r->id, od->name, od->id);
		return;
	}
	if (ov.declared && rd->since_minor > ov.minor)
		WARN(c, w,
		     "resource %u (%s) was added in object version 1.%u; this object is "
		     "declared 1.%u",
		     rd->id, rd->name, rd->since_minor, ov.minor);
	if (rd->multiple != r->multiple) {
		ERR(c, w, "resource %u (%s) must be a %s, but it is stored as a %s", rd->id,
		    rd->name, rd->multiple ? "Multiple Resource" : "single Resource",
		    r->multiple ? "Multiple Resource" : "single Resource");
		return;
	}
	if (rd->type == CS_TYPE_NONE) {
		WARN(c, w,
		     "resource %u (%s) is executable and holds no value; a client ignores "
		     "or rejects a write to it",
		     rd->id, rd->name);
		return;
	}
	if (!r->multiple) {
		check_value(c, w, rd->name, rd->name, rd, &r->v);
		return;
	}
	for (size_t k = 0; k < r->ninst; k++) {
		const struct cs_res_inst *ri = &r->inst[k];
		struct where wi = {o->id, in->id, r->id, ri->offset >= 0 ? ri->offset : w.offset};

		snprintf(label, sizeof(label), "%s instance %u", rd->name, ri->id);
		snprintf(vlabel, sizeof(vlabel), "%s value", label);
		check_value(c, wi, label, vlabel, rd, &ri->v);
	}
}

static void check_mandatory(struct vctx *c, const struct cs_object *o, const struct cs_objdef *od,
			    struct objver ov, const struct cs_instance *in)
{
	for (size_t k = 0; k < od->nres; k++) {
		const struct cs_resdef *rd = &od->res[k];

		if (!rd->mandatory || rd->type == CS_TYPE_NONE || rd->since_minor > ov.minor)
			continue;
		/* Security 3/4/5 depend on the Security Mode: check_security_keys. */
		if (od->id == 0 && rd->id >= 3 && rd->id <= 5)
			continue;
		if (!cs_instance_find_resource(in, rd->id))
			ERR(c, at_missing(o->id, in, rd->id),
			    "mandatory resource %u (%s) is missing", rd->id, rd->name);
	}
}

/* ---- Security (object 0) ---- */

static const char *mode_short(int64_t mode)
{
	switch (mode) {
	case CS_SECMODE_PSK: return "PSK";
	case CS_SECMODE_RPK: return "RPK";
	case CS_SECMODE_CERTIFICATE: return "Certificate";
	case CS_SECMODE_NOSEC: return "NoSec";
	case CS_SECMODE_CERTIFICATE_EST: return "Certificate with EST";
	}
	return "unknown";
}

enum scheme_kind { SCHEME_PLAIN, SCHEME_SECURE };

struct scheme {
	const char *name;
	enum scheme_kind kind;
	uint8_t since_minor;
};

/* LwM2M registry object 0, /0/x/0: CoAP schemes; 1.1 adds +tcp; 1.2 adds MQTT and HTTP. */
static const struct scheme schemes[] = {
	{"coap", SCHEME_PLAIN, 0},       {"coaps", SCHEME_SECURE, 0}, {"coap+tcp", SCHEME_PLAIN, 1},
	{"coaps+tcp", SCHEME_SECURE, 1}, {"mqtt", SCHEME_PLAIN, 2},   {"mqtts", SCHEME_SECURE, 2},
	{"http", SCHEME_PLAIN, 2},       {"https", SCHEME_SECURE, 2},
};

static void check_uri(struct vctx *c, const struct cs_object *o, struct objver ov,
		      const struct cs_instance *in, const struct cs_security *sv)
{
	const struct cs_resource *r = cs_instance_find_resource(in, 0);
	const struct scheme *sc = NULL;
	const char *uri = sv->lwm2m_server_uri, *sep, *host;
	char shown[96], name[16];
	size_t slen;
	struct where w;

	if (!r || !uri)
		return;
	w = at_res(o->id, in, r);
	printable((const uint8_t *)uri, strlen(uri), shown, sizeof(shown));
	if (!*uri) {
		WARN(c, w, "LwM2M Server URI is empty");
		return;
	}
	sep = strstr(uri, "://");
	slen = sep ? (size_t)(sep - uri) : 0;
	if (!sep || slen == 0 || slen >= sizeof(name)) {
		ERR(c, w,
		    "LwM2M Server URI \"%s\" does not start with a scheme such as coap:// "
		    "or coaps://",
		    shown);
		return;
	}
	for (size_t k = 0; k < slen; k++)
		name[k] = (char)tolower((unsigned char)uri[k]);
	name[slen] = '\0';
	host = sep + 3;
	if (!*host || *host == '/' || *host == ':' || *host == '?' || *host == '#')
		ERR(c, w, "LwM2M Server URI \"%s\" has no host", shown);
	for (size_t k = 0; k < sizeof(schemes) / sizeof(schemes[0]); k++)
		if (!strcmp(name, schemes[k].name))
			sc = &schemes[k];
	if (!sc) {
		WARN(c, w,
		     "LwM2M Server URI scheme %s:// is not one LwM2M defines (coap, coaps, "
		     "coap+tcp, coaps+tcp, ...)",
		     printable((const uint8_t *)name, slen, shown, sizeof(shown)));
		return;
	}
	if (ov.declared && sc->since_minor > ov.minor)
		WARN(c, w,
		     "URI scheme %s:// needs object version 1.%u; this object is declared 1.%u",
		     sc->name, sc->since_minor, ov.minor);
	if (!sv->security_mode.present || sv->security_mode.v < 0 || sv->security_mode.v > 4)
		return;
	if (sv->security_mode.v == CS_SECMODE_NOSEC && sc->kind == SCHEME_SECURE)
		ERR(c, w,
		    "Security Mode is NoSec but the URI scheme is %s:// (NoSec needs coap:// "
		    "or coap+tcp://)",
		    sc->name);
	else if (sv->security_mode.v != CS_SECMODE_NOSEC && sc->kind == SCHEME_PLAIN)
		ERR(c, w,
		    "Security Mode is %s but the URI scheme is %s:// (%s needs coaps:// or "
		    "coaps+tcp://)",
		    mode_short(sv->security_mode.v), sc->name, mode_short(sv->security_mode.v));
}

/* Resource 3/4/5 absent although the mode does not need it: Nordic/Anjay style files. */
static void warn_unused_missing(struct vctx *c, uint16_t oid, const struct cs_instance *in,
				uint16_t rid, const char *mode)
{
	const struct cs_resdef *rd = cs_resdef_find(cs_objdef_find(0), rid);

	if (!cs_instance_find_resource(in, rid))
		WARN(c, at_missing(oid, in, rid),
		     "mandatory resource %u (%s) is missing; %s does not use it, but a client "
		     "may insist on it",
		     rid, rd->name, mode);
}

/* A key resource the mode needs: present and not empty. Returns it or NULL. */
static const struct cs_resource *need_key(struct vctx *c, uint16_t oid,
					  const struct cs_instance *in, uint16_t rid,
					  const char *mode, const char *what)
{
	const struct cs_resource *r = cs_instance_find_resource(in, rid);
	const struct cs_resdef *rd = cs_resdef_find(cs_objdef_find(0), rid);

	if (!r) {
		ERR(c, at_missing(oid, in, rid),
		    "Security Mode is %s but resource %u (%s, %s) is missing", mode, rid, rd->name,
		    what);
		return NULL;
	}
	if (r->multiple)
		return NULL;
	if (r->v.len == 0) {
		ERR(c, at_res(oid, in, r), "Security Mode is %s but resource %u (%s, %s) is empty",
		    mode, rid, rd->name, what);
		return NULL;
	}
	return r;
}

/* Parses one or more concatenated DER certificates; the first is the end-entity one. */
static int parse_cert_chain(mbedtls_x509_crt *crt, const uint8_t *p, size_t n)
{
	const uint8_t *end = p + n;

	while (p < end) {
		unsigned char *q = (unsigned char *)p;
		size_t len;
		int rc = mbedtls_asn1_get_tag(&q, end, &len,
					      MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE);

		if (rc)
			return rc;
		len += (size_t)(q - p);
		rc = mbedtls_x509_crt_parse_der(crt, p, len);
		if (rc)
			return rc;
		p += len;
	}
	return 0;
}

static void check_cert_dates(struct vctx *c, struct where w, const char *what,
			     const mbedtls_x509_crt *crt)
{
	if (mbedtls_x509_time_is_past(&crt->valid_to))
		WARN(c, w, "%s expired on %04d-%02d-%02d", what, crt->valid_to.year,
		     crt->valid_to.mon, crt->valid_to.day);
	if (mbedtls_x509_time_is_future(&crt->valid_from))
		WARN(c, w, "%s is not valid before %04d-%02d-%02d", what, crt->valid_from.year,
		     crt->valid_from.mon, crt->valid_from.day);
}

/* /0/x/4 under Matching Type 1..3 is a hash of the server's certificate or key. */
static bool check_server_key_hash(struct vctx *c, uint16_t oid, const struct cs_instance *in,
				  const struct cs_resource *r, const struct cs_security *sv)
{
	static const size_t hash_len[] = {0, 32, 48, 64};
	static const char *const hash_name[] = {"", "SHA-256", "SHA-384", "SHA-512"};
	int64_t mt = sv->matching_type.present ? sv->matching_type.v : 0;

	if (mt < 1 || mt > 3)
		return false;
	if (r->v.len != hash_len[mt])
		ERR(c, at_res(oid, in, r),
		    "Server Public Key is %zu bytes; Matching Type %" PRId64 " (%s) needs a "
		    "%zu-byte hash",
		    r->v.len, mt, hash_name[mt], hash_len[mt]);
	return true;
}

static void check_server_cert(struct vctx *c, uint16_t oid, const struct cs_instance *in,
			      const struct cs_security *sv, const char *mode)
{
	const struct cs_resource *r4 =
		need_key(c, oid, in, 4, mode, "the server certificate or trust anchor");
	mbedtls_x509_crt crt;
	int rc;

	if (!r4 || check_server_key_hash(c, oid, in, r4, sv))
		return;
	mbedtls_x509_crt_init(&crt);
	rc = parse_cert_chain(&crt, r4->v.data, r4->v.len);
	if (rc)
		ERR(c, at_res(oid, in, r4),
		    "Server Public Key (resource 4) is not a DER X.509 certificate "
		    "(mbedtls -0x%04X)",
		    (unsigned)-rc);
	else
		check_cert_dates(c, at_res(oid, in, r4), "the server certificate in resource 4",
				 &crt);
	mbedtls_x509_crt_free(&crt);
}

/* RFC 5958 OneAsymmetricKey (PKCS#8) DER; mbedtls also takes SEC1/PKCS#1. */
static bool parse_private_key(struct vctx *c, uint16_t oid, const struct cs_instance *in,
			      const struct cs_resource *r5, mbedtls_pk_context *pk)
{
	int rc = mbedtls_pk_parse_key(pk, r5->v.data, r5->v.len, NULL, 0);

	if (rc)
		ERR(c, at_res(oid, in, r5),
		    "Secret Key (resource 5) is not a DER private key (RFC 5958) "
		    "(mbedtls -0x%04X)",
		    (unsigned)-rc);
	return rc == 0;
}

static void check_certificate_mode(struct vctx *c, uint16_t oid, const struct cs_instance *in,
				   const struct cs_security *sv)
{
	const char *mode = "Certificate";
	const struct cs_resource *r3 = need_key(c, oid, in, 3, mode, "the client certificate");
	const struct cs_resource *r5 = need_key(c, oid, in, 5, mode, "the client private key");
	mbedtls_x509_crt crt;
	mbedtls_pk_context key;
	bool crt_ok = false, key_ok = false;
	int rc;

	mbedtls_x509_crt_init(&crt);
	mbedtls_pk_init(&key);
	if (r3) {
		rc = parse_cert_chain(&crt, r3->v.data, r3->v.len);
		if (rc)
			ERR(c, at_res(oid, in, r3),
			    "Public Key or Identity (resource 3) is not a DER X.509 certificate "
			    "(mbedtls -0x%04X)",
			    (unsigned)-rc);
		else
			check_cert_dates(c, at_res(oid, in, r3),
					 "the client certificate in resource 3", &crt);
		crt_ok = rc == 0;
	}
	check_server_cert(c, oid, in, sv, mode);
	if (r5)
		key_ok = parse_private_key(c, oid, in, r5, &key);
	if (crt_ok && key_ok && mbedtls_pk_check_pair(&crt.pk, &key) != 0)
		ERR(c, at_res(oid, in, r5),
		    "Secret Key (resource 5) does not match the certificate in resource 3");
	mbedtls_pk_free(&key);
	mbedtls_x509_crt_free(&crt);
}

static void check_rpk_mode(struct vctx *c, uint16_t oid, const struct cs_instance *in,
			   const struct cs_security *sv)
{
	const char *mode = "RPK";
	const struct cs_resource *r3 = need_key(c, oid, in, 3, mode, "the client public key");
	const struct cs_resource *r4 = need_key(c, oid, in, 4, mode, "the server public key");
	const struct cs_resource *r5 = need_key(c, oid, in, 5, mode, "the client private key");
	mbedtls_pk_context pub, spub, key;
	bool pub_ok = false, key_ok = false;
	int rc;

	mbedtls_pk_init(&pub);
	mbedtls_pk_init(&spub);
	mbedtls_pk_init(&key);
	if (r3) {
		rc = mbedtls_pk_parse_public_key(&pub, r3->v.data, r3->v.len);
		if (rc)
			ERR(c, at_res(oid, in, r3),
			    "Public Key or Identity (resource 3) is not a DER SubjectPublicKeyInfo "
			    "public key (mbedtls -0x%04X)",
			    (unsigned)-rc);
		pub_ok = rc == 0;
	}
	if (r4 && !check_server_key_hash(c, oid, in, r4, sv)) {
		rc = mbedtls_pk_parse_public_key(&spub, r4->v.data, r4->v.len);
		if (rc)
			ERR(c, at_res(oid, in, r4),
			    "Server Public Key (resource 4) is not a DER SubjectPublicKeyInfo "
			    "public key (mbedtls -0x%04X)",
			    (unsigned)-rc);
	}
	if (r5)
		key_ok = parse_private_key(c, oid, in, r5, &key);
	if (pub_ok && key_ok && mbedtls_pk_check_pair(&pub, &key) != 0)
		ERR(c, at_res(oid, in, r5),
		    "Secret Key (resource 5) does not match the public key in resource 3");
	mbedtls_pk_free(&key);
	mbedtls_pk_free(&spub);
	mbedtls_pk_free(&pub);
}

/* Core TS App. E.1.1: identity ≤ 128 bytes, PSK ≤ 64, 16+ recommended. */
static void check_psk_mode(struct vctx *c, uint16_t oid, const struct cs_instance *in)
{
	const char *mode = "PSK";
	const struct cs_resource *r3 = need_key(c, oid, in, 3, mode, "the PSK identity");
	const struct cs_resource *r5 = need_key(c, oid, in, 5, mode, "the PSK");

	if (r3 && r3->v.len > 128)
		ERR(c, at_res(oid, in, r3),
		    "the PSK identity is %zu bytes; clients need only support up to 128",
		    r3->v.len);
	if (r5 && r5->v.len > 64)
		ERR(c, at_res(oid, in, r5),
		    "the PSK is %zu bytes; clients need only support up to 64", r5->v.len);
	else if (r5 && r5->v.len < 16)
		WARN(c, at_res(oid, in, r5),
		     "the PSK is only %zu bytes; 16 bytes or more are recommended", r5->v.len);
	warn_unused_missing(c, oid, in, 4, mode);
}

static void warn_unused_present(struct vctx *c, uint16_t oid, const struct cs_instance *in,
				uint16_t rid, const char *mode)
{
	const struct cs_resource *r = cs_instance_find_resource(in, rid);
	const struct cs_resdef *rd = cs_resdef_find(cs_objdef_find(0), rid);

	if (r && !r->multiple && r->v.len > 0)
		WARN(c, at_res(oid, in, r),
		     "resource %u (%s) holds %zu bytes that Security Mode %s does not use", rid,
		     rd->name, r->v.len, mode);
}

static void check_security_keys(struct vctx *c, uint16_t oid, const struct cs_instance *in,
				const struct cs_security *sv)
{
	int64_t mode = sv->security_mode.present ? sv->security_mode.v : -1;

	switch (mode) {
	case CS_SECMODE_PSK: check_psk_mode(c, oid, in); break;
	case CS_SECMODE_RPK: check_rpk_mode(c, oid, in, sv); break;
	case CS_SECMODE_CERTIFICATE: check_certificate_mode(c, oid, in, sv); break;
	case CS_SECMODE_NOSEC:
		for (uint16_t rid = 3; rid <= 5; rid++) {
			warn_unused_missing(c, oid, in, rid, "NoSec");
			warn_unused_present(c, oid, in, rid, "NoSec");
		}
		break;
	case CS_SECMODE_CERTIFICATE_EST:
		warn_unused_missing(c, oid, in, 3, "EST");
		check_server_cert(c, oid, in, sv, mode_short(mode));
		warn_unused_missing(c, oid, in, 5, "EST");
		break;
	default:
		/* The Security Mode itself is reported; nothing tells what 3/4/5 must hold. */
		for (uint16_t rid = 3; rid <= 5; rid++)
			warn_unused_missing(c, oid, in, rid, "an unknown Security Mode");
		break;
	}
}

static void check_security(struct vctx *c, const struct cs_object *o, struct objver ov,
			   const struct cs_instance *in)
{
	struct cs_security sv;
	const struct cs_resource *r8 = cs_instance_find_resource(in, 8);

	cs_security_view(in, &sv);
	if (sv.bootstrap_server.present && sv.bootstrap_server.v == 0 &&
	    !cs_instance_find_resource(in, 10))
		ERR(c, at_missing(o->id, in, 10),
		    "Short Server ID (resource 10) is missing; a Security instance with "
		    "Bootstrap-Server false needs it to pair with its Server instance");
	check_uri(c, o, ov, in, &sv);
	check_security_keys(c, o->id, in, &sv);
	/* registry object 0, /0/x/8: 16, 32 or 48 bytes */
	if (r8 && !r8->multiple && r8->v.len > 16 && r8->v.len < 48 && r8->v.len != 32)
		ERR(c, at_res(o->id, in, r8),
		    "SMS Binding Secret Key(s) is %zu bytes long; it must be 16, 32 or 48 bytes",
		    r8->v.len);
}

/* ---- Server (object 1) ---- */

/* Core TS 1.0 binding values (§5.3.1.1 of the 1.1 draft): fixed strings. */
static const char *const binding_10[] = {"U", "UQ", "S", "SQ", "US", "UQS"};

static bool is_binding_10(const char *b)
{
	for (size_t k = 0; k < sizeof(binding_10) / sizeof(binding_10[0]); k++)
		if (!strcmp(b, binding_10[k]))
			return true;
	return false;
}

static void check_binding(struct vctx *c, const struct cs_object *o, struct objver ov,
			  const struct cs_instance *in, const char *b)
{
	const struct cs_resource *r = cs_instance_find_resource(in, 7);
	struct where w = at_res(o->id, in, r);
	char shown[96];

	printable((const uint8_t *)b, strlen(b), shown, sizeof(shown));
	if (!*b) {
		ERR(c, w, "Binding is empty; it needs at least one binding letter such as U");
		return;
	}
	for (const char *p = b; *p; p++) {
		if (!strchr("UTSNMHQ", *p)) {
			ERR(c, w,
			    "Binding \"%s\" contains '%c', which is not a binding letter "
			    "(U, T, S, N, M, H; 1.0 also Q)",
			    shown, (unsigned char)*p >= 0x20 && *p != 0x7f ? *p : '?');
			return;
		}
		if (strchr(p + 1, *p)) {
			ERR(c, w, "Binding \"%s\" repeats the letter '%c'", shown, *p);
			return;
		}
	}
	if (ov.declared && ov.minor == 0) {
		if (is_binding_10(b))
			return;
		/* UQT is in the 2017 draft's list only (UNCONFIRMED for approved 1.0.x). */
		if (!strcmp(b, "UQT"))
			WARN(c, w,
			     "Binding \"UQT\" appears only in a 1.1 draft; a 1.0 client may "
			     "reject it");
		else
			ERR(c, w, "Binding \"%s\" is not a 1.0 binding (U, UQ, S, SQ, US or UQS)",
			    shown);
		return;
	}
	for (const char *p = b; *p; p++)
		if ((*p == 'M' || *p == 'H') && ov.declared && ov.minor < 2) {
			ERR(c, w,
			    "Binding letter '%c' needs object version 1.2; this object is "
			    "declared 1.%u",
			    *p, ov.minor);
			return;
		}
	if (strchr(b, 'Q') && (ov.declared || !is_binding_10(b)))
		WARN(c, w,
		     "Binding \"%s\" uses 'Q'; since LwM2M 1.1 queue mode is a registration "
		     "parameter, not a binding letter",
		     shown);
}

static void check_server(struct vctx *c, const struct cs_object *o, struct objver ov,
			 const struct cs_instance *in)
{
	struct cs_server sv;
	const struct cs_resource *r22 = cs_instance_find_resource(in, 22);
	const char *letters = ov.declared && ov.minor < 2 ? "UTSN" : "UTSNMH";

	cs_server_view(in, &sv);
	if (sv.binding)
		check_binding(c, o, ov, in, sv.binding);
	if (r22 && sv.preferred_transport &&
	    (strlen(sv.preferred_transport) != 1 || !strchr(letters, sv.preferred_transport[0]))) {
		char shown[64];

		ERR(c, at_res(o->id, in, r22),
		    "Preferred Transport \"%s\" is not a single binding letter (%s)",
		    printable((const uint8_t *)sv.preferred_transport,
			      strlen(sv.preferred_transport), shown, sizeof(shown)),
		    letters);
	}
}

/* ---- accounts across instances (Core TS §5.2.2 Bootstrap Information, §5.2.6) ---- */

struct entry {
	const struct cs_object *obj;
	const struct cs_instance *in;
	bool bs;      /* Security: Bootstrap-Server = true */
	bool ssid_ok; /* SSID present and in 1..65534 */
	int64_t ssid;
};

struct entries {
	struct entry *e;
	size_t n;
};

/* A later record writing the same instance id replaces it (successive writes). */
static bool superseded(const struct cs_model *m, size_t rec, uint16_t iid,
		       const struct cs_object **by, const struct cs_instance **by_in)
{
	for (size_t k = m->nobj; k-- > rec + 1;) {
		const struct cs_object *o = &m->obj[k];
		const struct cs_instance *in;

		if (o->id != m->obj[rec].id)
			continue;
		in = cs_object_find_instance(o, iid);
		if (in) {
			*by = o;
			*by_in = in;
			return true;
		}
	}
	return false;
}

static int collect(struct vctx *c, uint16_t oid, struct entries *out)
{
	const struct cs_model *m = c->m;
	size_t total = 0;

	out->e = NULL;
	out->n = 0;
	for (size_t k = 0; k < m->nobj; k++)
		if (m->obj[k].id == oid)
			total += m->obj[k].ninst;
	if (!total)
		return 0;
	out->e = calloc(total, sizeof(*out->e));
	if (!out->e)
		return CS_ERR_NOMEM;
	for (size_t k = 0; k < m->nobj; k++) {
		const struct cs_object *o = &m->obj[k];

		if (o->id != oid)
			continue;
		for (size_t j = 0; j < o->ninst; j++) {
			const struct cs_instance *in = &o->inst[j];
			const struct cs_object *by;
			const struct cs_instance *by_in;
			struct entry *e;
			struct cs_opt_int ssid;

			if (superseded(m, k, in->id, &by, &by_in)) {
				if (by_in->offset >= 0)
					WARN(c, at_inst(oid, in),
					     "instance /%u/%u is written again by a later record "
					     "(byte %ld); the account checks use the later one",
					     oid, in->id, by_in->offset);
				else
					WARN(c, at_inst(oid, in),
					     "instance /%u/%u is written again by a later record; "
					     "the "
					     "account checks use the later one",
					     oid, in->id);
				continue;
			}
			e = &out->e[out->n++];
			e->obj = o;
			e->in = in;
			if (oid == 0) {
				struct cs_security sv;

				cs_security_view(in, &sv);
				e->bs = cs_security_is_bootstrap(in);
				ssid = sv.short_server_id;
			} else if (oid == 1) {
				struct cs_server sv;

				cs_server_view(in, &sv);
				ssid = sv.short_server_id;
			} else {
				continue;
			}
			e->ssid_ok = ssid.present && ssid.v >= 1 && ssid.v <= 65534;
			e->ssid = ssid.v;
		}
	}
	return 0;
}

static const struct entry *find_ssid(const struct entries *es, int64_t ssid, bool want_bs)
{
	for (size_t k = 0; k < es->n; k++)
		if (es->e[k].ssid_ok && es->e[k].ssid == ssid && es->e[k].bs == want_bs)
			return &es->e[k];
	return NULL;
}

static void check_duplicate_ssids(struct vctx *c, uint16_t oid, const struct entries *es)
{
	const char *what = oid == 0 ? "Security" : "Server";

	for (size_t k = 0; k < es->n; k++) {
		const struct entry *b = &es->e[k];

		if (!b->ssid_ok || b->bs)
			continue;
		for (size_t j = 0; j < k; j++) {
			const struct entry *a = &es->e[j];

			if (a->ssid_ok && !a->bs && a->ssid == b->ssid) {
				const struct cs_resource *r =
					cs_instance_find_resource(b->in, oid == 0 ? 10 : 0);

				ERR(c, at_res(oid, b->in, r),
				    "%s instances /%u/%u and /%u/%u both use Short Server ID "
				    "%" PRId64 " (it must be unique)",
				    what, oid, a->in->id, oid, b->in->id, b->ssid);
				break;
			}
		}
	}
}

static size_t check_accounts(struct vctx *c, const struct entries *sec, const struct entries *srv,
			     size_t *nbs)
{
	const struct entry *first_bs = NULL;
	size_t accounts = 0;

	*nbs = 0;
	for (size_t k = 0; k < sec->n; k++) {
		const struct entry *e = &sec->e[k];

		if (!e->bs)
			continue;
		(*nbs)++;
		if (!first_bs)
			first_bs = e;
		else
			ERR(c, at_inst(0, e->in),
			    "two Bootstrap-Server accounts: /0/%u and /0/%u (a client holds at "
			    "most "
			    "one)",
			    first_bs->in->id, e->in->id);
	}
	check_duplicate_ssids(c, 0, sec);
	check_duplicate_ssids(c, 1, srv);
	for (size_t k = 0; k < sec->n; k++) {
		const struct entry *e = &sec->e[k];

		if (e->bs || !e->ssid_ok)
			continue;
		if (find_ssid(srv, e->ssid, false))
			accounts++;
		else
			ERR(c, at_inst(0, e->in),
			    "Security instance /0/%u (SSID %" PRId64
			    ") has no Server instance with "
			    "Short Server ID %" PRId64,
			    e->in->id, e->ssid, e->ssid);
	}
	for (size_t k = 0; k < srv->n; k++) {
		const struct entry *e = &srv->e[k];
		const struct entry *bs;

		if (!e->ssid_ok || find_ssid(sec, e->ssid, false))
			continue;
		bs = find_ssid(sec, e->ssid, true);
		if (bs)
			ERR(c, at_inst(1, e->in),
			    "Server instance /1/%u (SSID %" PRId64 ") is paired with /0/%u, which "
			    "is a Bootstrap-Server account; a Server instance needs a "
			    "non-bootstrap "
			    "Security instance",
			    e->in->id, e->ssid, bs->in->id);
		else
			ERR(c, at_inst(1, e->in),
			    "Server instance /1/%u (SSID %" PRId64
			    ") has no Security instance with "
			    "Short Server ID %" PRId64,
			    e->in->id, e->ssid, e->ssid);
	}
	return accounts;
}

/* ---- Access Control (object 2) ---- */

static bool ssid_known(const struct entries *sec, const struct entries *srv, int64_t ssid)
{
	return find_ssid(sec, ssid, false) || find_ssid(srv, ssid, false);
}

static void check_access_control(struct vctx *c, const struct cs_instance *in,
				 const struct entries *sec, const struct entries *srv)
{
	struct cs_access_control av;
	bool object_level;

	cs_access_control_view(in, &av);
	object_level = av.object_instance_id.present && av.object_instance_id.v == 65535;
	if (av.acl) {
		const struct cs_resource *r = av.acl;

		for (size_t k = 0; k < r->ninst; k++) {
			const struct cs_res_inst *ri = &r->inst[k];
			struct where w = {2, in->id, 2, ri->offset >= 0 ? ri->offset : r->offset};
			int64_t bits;

			/* Core 1.2 "Access Control": instance 0 holds the default rights. */
			if (ri->id != 0 && ri->id != 0xFFFF && !ssid_known(sec, srv, ri->id))
				ERR(c, w,
				    "ACL gives rights to Short Server ID %u, but no server "
				    "account has that SSID",
				    ri->id);
			if (!object_level && cs_tlv_int_decode(ri->v.data, ri->v.len, &bits) == 0 &&
			    bits >= 0 && bits <= 31 && (bits & 0x10))
				WARN(c, w,
				     "ACL instance %u grants Create (16), which only "
				     "object-level ACLs (Object Instance ID 65535) use",
				     ri->id);
		}
	}
	if (av.access_control_owner.present) {
		const struct cs_resource *r = cs_instance_find_resource(in, 3);
		int64_t owner = av.access_control_owner.v;

		if (owner != 65535 && owner >= 0 && owner <= 65535 && !ssid_known(sec, srv, owner))
			ERR(c, at_res(2, in, r),
			    "Access Control Owner %" PRId64 " is not the Short Server ID of any "
			    "server account (nor 65535, bootstrap only)",
			    owner);
		if (object_level && owner != 65535)
			WARN(c, at_res(2, in, r),
			     "object-level Access Control instance has Owner %" PRId64
			     "; object-level ACLs are managed during bootstrap only (Owner 65535)",
			     owner);
	}
}

/* ---- entry point ---- */

static void check_records(struct vctx *c)
{
	for (size_t k = 0; k < c->m->nobj; k++) {
		const struct cs_object *o = &c->m->obj[k];
		const struct cs_objdef *od = cs_objdef_find(o->id);
		struct objver ov = {0, false};

		if (o->id == 0xFFFF)
			ERR(c, at_obj(o),
			    "Object ID 65535 is reserved (MAX_ID) and must not name "
			    "an object");
		if (od)
			ov = object_version(c, o, od);
		for (size_t j = 0; j < o->ninst; j++) {
			const struct cs_instance *in = &o->inst[j];

			if (in->id == 0xFFFF)
				ERR(c, at_inst(o->id, in),
				    "Object Instance ID 65535 is reserved (MAX_ID) and must not "
				    "name "
				    "an instance");
			for (size_t r = 0; r < in->nres; r++)
				check_resource(c, o, od, ov, in, &in->res[r]);
			if (!od)
				continue;
			check_mandatory(c, o, od, ov, in);
			if (o->id == 0)
				check_security(c, o, ov, in);
			else if (o->id == 1)
				check_server(c, o, ov, in);
		}
	}
}

int cs_validate(const struct cs_model *m, struct cs_diags *out)
{
	struct vctx c = {.m = m, .d = out, .nomem = false};
	struct entries sec = {NULL, 0}, srv = {NULL, 0}, acl = {NULL, 0};
	size_t errors = out->errors, accounts, nbs;
	int rc = 0;

	check_records(&c);
	if (collect(&c, 0, &sec) < 0 || collect(&c, 1, &srv) < 0 || collect(&c, 2, &acl) < 0) {
		rc = CS_ERR_NOMEM;
		goto done;
	}
	accounts = check_accounts(&c, &sec, &srv, &nbs);
	/* Core TS §5.2.6: at least one server account, or a BS to get one from. */
	if (accounts == 0 && nbs == 0)
		ERR(&c, at(-1, -1, -1, -1),
		    "no server account and no Bootstrap-Server account: the client would have "
		    "nothing to connect to");
	for (size_t k = 0; k < acl.n; k++)
		check_access_control(&c, acl.e[k].in, &sec, &srv);
done:
	free(acl.e);
	free(srv.e);
	free(sec.e);
	if (rc == 0 && c.nomem)
		rc = CS_ERR_NOMEM;
	if (rc == 0 && out->errors > errors)
		rc = CS_ERR_INVALID;
	return rc;
}
