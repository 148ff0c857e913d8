/* SPDX-License-Identifier: MIT */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cardstrap/encoding.h"
#include "cardstrap/objects.h"
#include "cardstrap/senml.h"
#include "cardstrap/tlv.h"

/* "/65535/65535/65535/65535" plus room to report what was too long. */
#define NAME_MAX_LEN 64

/* ---- model → SenML ---- */

static json_t *base64url_json(const struct cs_value *v)
{
	struct cs_buf b = {0};
	json_t *s = NULL;

	if (cs_base64url_encode(v->data, v->len, &b) == 0)
		s = json_stringn((const char *)b.data, b.len);
	cs_buf_free(&b);
	return s;
}

/*
 * The JSON value of v for a resource of type t and its SenML field name.
 * Bytes that do not fit the type (bad width, bad UTF-8, NaN) fall back to
 * "vd" so that nothing is lost. NULL only when out of memory.
 */
static json_t *value_json(enum cs_type t, const struct cs_value *v, const char **field)
{
	const uint8_t *p = v->data ? v->data : (const uint8_t *)"";
	json_t *j = NULL;
	int64_t i;
	uint64_t u;
	double d;
	bool b;
	uint16_t oid, iid;
	char lnk[12];

	switch (t) {
	case CS_TYPE_STRING:
	case CS_TYPE_CORELNK:
		/* json_stringn refuses invalid UTF-8 */
		if ((j = json_stringn((const char *)p, v->len)) != NULL)
			*field = "vs";
		break;
	case CS_TYPE_INTEGER:
	case CS_TYPE_TIME:
		if (cs_tlv_int_decode(p, v->len, &i) == 0 && (j = json_integer(i)) != NULL)
			*field = "v";
		break;
	case CS_TYPE_UNSIGNED:
		if (cs_tlv_uint_decode(p, v->len, &u) == 0) {
			/* jansson integers are int64: larger values become (inexact) reals */
			j = u <= INT64_MAX ? json_integer((json_int_t)u) : json_real((double)u);
			if (j)
				*field = "v";
		}
		break;
	case CS_TYPE_FLOAT:
		/* json_real refuses NaN and infinities (JSON cannot hold them) */
		if (cs_tlv_float_decode(p, v->len, &d) == 0 && (j = json_real(d)) != NULL)
			*field = "v";
		break;
	case CS_TYPE_BOOLEAN:
		if (cs_tlv_bool_decode(p, v->len, &b) == 0 && (j = json_boolean(b)) != NULL)
			*field = "vb";
		break;
	case CS_TYPE_OBJLNK:
		if (cs_tlv_objlnk_decode(p, v->len, &oid, &iid) == 0) {
			snprintf(lnk, sizeof(lnk), "%u:%u", oid, iid);
			if ((j = json_string(lnk)) != NULL)
				*field = "vlo";
		}
		break;
	case CS_TYPE_OPAQUE:
	case CS_TYPE_NONE: break;
	}
	if (!j) {
		j = base64url_json(v);
		*field = "vd";
	}
	return j;
}

static int add_record(json_t *arr, const char *bn, const char *n, enum cs_type t,
		      const struct cs_value *v, bool masked)
{
	json_t *rec = json_object(), *val;
	const char *field = "secret";

	if (!rec)
		return CS_ERR_NOMEM;
	if (masked)
		val = json_integer((json_int_t)v->len);
	else
		val = value_json(t, v, &field);
	if ((bn && json_object_set_new(rec, "bn", json_string(bn))) ||
	    json_object_set_new(rec, "n", json_string(n)) || json_object_set_new(rec, field, val) ||
	    json_array_append_new(arr, rec))
		return CS_ERR_NOMEM;
	return 0;
}

static enum cs_type resource_type(uint16_t oid, uint16_t rid)
{
	const struct cs_objdef *od = cs_objdef_find(oid);
	const struct cs_resdef *rd = od ? cs_resdef_find(od, rid) : NULL;

	/* unknown resources pass through as opaque bytes */
	return rd ? rd->type : CS_TYPE_OPAQUE;
}

static int add_instance(json_t *arr, uint16_t oid, const struct cs_instance *inst, unsigned flags)
{
	char bn[24], n[16];
	bool first = true;
	int err;

	snprintf(bn, sizeof(bn), "/%u/%u/", oid, inst->id);
	for (size_t k = 0; k < inst->nres; k++) {
		const struct cs_resource *r = &inst->res[k];
		enum cs_type t = resource_type(oid, r->id);
		bool masked =
			!(flags & CS_SENML_SHOW_SECRETS) && cs_resource_is_secret(oid, inst, r->id);

		if (!r->multiple) {
			snprintf(n, sizeof(n), "%u", r->id);
			if ((err = add_record(arr, first ? bn : NULL, n, t, &r->v, masked)) != 0)
				return err;
			first = false;
			continue;
		}
		for (size_t ri = 0; ri < r->ninst; ri++) {
			snprintf(n, sizeof(n), "%u/%u", r->id, r->inst[ri].id);
			if ((err = add_record(arr, first ? bn : NULL, n, t, &r->inst[ri].v,
					      masked)))
				return err;
			first = false;
		}
	}
	return 0;
}

json_t *cs_senml_from_instance(uint16_t oid, const struct cs_instance *i, unsigned flags)
{
	json_t *arr = json_array();

	if (arr && add_instance(arr, oid, i, flags)) {
		json_decref(arr);
		return NULL;
	}
	return arr;
}

static int add_object(json_t *arr, const struct cs_object *o, unsigned flags)
{
	int err;

	for (size_t k = 0; k < o->ninst; k++)
		if ((err = add_instance(arr, o->id, &o->inst[k], flags)) != 0)
			return err;
	return 0;
}

json_t *cs_senml_from_object(const struct cs_object *o, unsigned flags)
{
	json_t *arr = json_array();

	if (arr && add_object(arr, o, flags)) {
		json_decref(arr);
		return NULL;
	}
	return arr;
}

json_t *cs_senml_from_model(const struct cs_model *m, unsigned flags)
{
	json_t *arr = json_array();

	if (!arr)
		return NULL;
	for (size_t k = 0; k < m->nobj; k++) {
		if (add_object(arr, &m->obj[k], flags)) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

json_t *cs_senml_versions(const struct cs_model *m)
{
	json_t *arr = json_array();
	char ver[8];

	if (!arr)
		return NULL;
	for (size_t k = 0; k < m->nobj; k++) {
		const struct cs_object *o = &m->obj[k];
		json_t *e;

		if (cs_model_find_object(m, o->id) != o)
			continue; /* one entry per object id: its first record's version */
		e = json_object();
		if (!e || json_array_append_new(arr, e) ||
		    json_object_set_new(e, "id", json_integer(o->id)))
			goto nomem;
		if (o->ver_major) {
			snprintf(ver, sizeof(ver), "%u.%u", o->ver_major, o->ver_minor);
			if (json_object_set_new(e, "version", json_string(ver)))
				goto nomem;
		}
	}
	return arr;
nomem:
	json_decref(arr);
	return NULL;
}

/* ---- SenML → model ---- */

struct version {
	uint16_t oid;
	uint8_t major, minor;
};

struct path {
	uint16_t oid, iid, rid, riid;
	bool has_ri;
};

/* One record being read: where it is and what it is called, for messages. */
struct rec_ctx {
	size_t index;
	char name[NAME_MAX_LEN + 4];
	struct cs_errinfo *ei;
};

static int rec_error(const struct rec_ctx *c, const char *fmt, ...) CS_PRINTF(2, 3);

static int rec_error(const struct rec_ctx *c, const char *fmt, ...)
{
	char what[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (c->name[0])
		return cs_error(c->ei, CS_ERR_MALFORMED, (long)c->index, "record %zu (%s): %s",
				c->index, c->name, what);
	return cs_error(c->ei, CS_ERR_MALFORMED, (long)c->index, "record %zu: %s", c->index, what);
}

/* Decimal 0..max without sign or leading zeros; advances *p. */
static bool parse_dec(const char **p, const char *end, unsigned max, unsigned *out)
{
	const char *s = *p;
	unsigned v = 0;

	if (s == end || *s < '0' || *s > '9' ||
	    (*s == '0' && s + 1 < end && s[1] >= '0' && s[1] <= '9'))
		return false;
	for (; s < end && *s >= '0' && *s <= '9'; s++) {
		v = v * 10 + (unsigned)(*s - '0');
		if (v > max)
			return false;
	}
	*p = s;
	*out = v;
	return true;
}

/* "/O/I/R" or "/O/I/R/RI"; MAX_ID 65535 is reserved (Core TS identifiers table). */
static bool parse_path(const char *s, size_t len, struct path *pa)
{
	const char *end = s + len;
	unsigned id[4];
	int k;

	for (k = 0; k < 4 && s < end; k++) {
		if (*s++ != '/' || !parse_dec(&s, end, 65534, &id[k]))
			return false;
	}
	if (s != end || k < 3)
		return false;
	pa->oid = (uint16_t)id[0];
	pa->iid = (uint16_t)id[1];
	pa->rid = (uint16_t)id[2];
	pa->has_ri = k == 4;
	pa->riid = pa->has_ri ? (uint16_t)id[3] : 0;
	return true;
}

/* "major.minor", major 1..255, minor 0..255. */
static bool parse_version(const char *s, size_t len, struct version *v)
{
	const char *end = s + len;
	unsigned major, minor;

	if (!parse_dec(&s, end, 255, &major) || major == 0 || s == end || *s++ != '.' ||
	    !parse_dec(&s, end, 255, &minor) || s != end)
		return false;
	v->major = (uint8_t)major;
	v->minor = (uint8_t)minor;
	return true;
}

static int parse_versions(const json_t *versions, struct version **out, size_t *n,
			  struct cs_errinfo *ei)
{
	size_t count, k, j;
	struct version *v;

	*out = NULL;
	*n = 0;
	if (!versions)
		return 0;
	if (!json_is_array(versions))
		return cs_error(ei, CS_ERR_MALFORMED, -1, "object versions must be a JSON array");
	count = json_array_size(versions);
	if (!count)
		return 0;
	if (!(v = calloc(count, sizeof(*v))))
		return CS_ERR_NOMEM;
	for (k = 0; k < count; k++) {
		const json_t *e = json_array_get(versions, k);
		const json_t *id = json_object_get(e, "id");
		const json_t *ver = json_object_get(e, "version");

		if (!json_is_object(e) || !json_is_integer(id) || json_integer_value(id) < 0 ||
		    json_integer_value(id) > 65534) {
			cs_error(ei, CS_ERR_MALFORMED, (long)k,
				 "object versions entry %zu: needs an \"id\" 0..65534", k);
			goto fail;
		}
		v[k].oid = (uint16_t)json_integer_value(id);
		if (ver &&
		    (!json_is_string(ver) ||
		     !parse_version(json_string_value(ver), json_string_length(ver), &v[k]))) {
			cs_error(ei, CS_ERR_MALFORMED, (long)k,
				 "object versions entry %zu (object %u): \"version\" must be a "
				 "string \"major.minor\" (1..255.0..255)",
				 k, v[k].oid);
			goto fail;
		}
		for (j = 0; j < k; j++) {
			if (v[j].oid == v[k].oid) {
				cs_error(ei, CS_ERR_MALFORMED, (long)k,
					 "object versions entry %zu: object %u is listed twice", k,
					 v[k].oid);
				goto fail;
			}
		}
	}
	*out = v;
	*n = count;
	return 0;
fail:
	free(v);
	return CS_ERR_MALFORMED;
}

/* A SenML number after the base value is applied: exact when both are integers. */
struct number {
	bool exact;
	int64_t i;
	double d;
};

static bool get_number(const json_t *v, const json_t *bv, struct number *num)
{
	int64_t a, b;

	if (json_is_integer(v) && (!bv || json_is_integer(bv))) {
		a = json_integer_value(v);
		b = bv ? json_integer_value(bv) : 0;
		if ((b > 0 && a > INT64_MAX - b) || (b < 0 && a < INT64_MIN - b))
			return false;
		num->exact = true;
		num->i = a + b;
		return true;
	}
	num->exact = false;
	num->d = json_number_value(v) + (bv ? json_number_value(bv) : 0.0);
	/* the sum of two finite doubles can still overflow */
	return num->d - num->d == 0.0;
}

/* Whole and within int64. */
static bool number_int64(const struct number *num, int64_t *out)
{
	if (num->exact) {
		*out = num->i;
		return true;
	}
	if (!(num->d >= -9223372036854775808.0 && num->d < 9223372036854775808.0) ||
	    (double)(int64_t)num->d != num->d)
		return false;
	*out = (int64_t)num->d;
	return true;
}

static bool number_uint64(const struct number *num, uint64_t *out)
{
	if (num->exact) {
		if (num->i < 0)
			return false;
		*out = (uint64_t)num->i;
		return true;
	}
	if (!(num->d >= 0.0 && num->d < 18446744073709551616.0) ||
	    (double)(uint64_t)num->d != num->d)
		return false;
	*out = (uint64_t)num->d;
	return true;
}

/* "O:I", each 0..65535 (65535:65535 is the null link, Core TS App. C). */
static bool parse_objlnk(const char *s, size_t len, uint16_t *oid, uint16_t *iid)
{
	const char *end = s + len;
	unsigned o, i;

	if (!parse_dec(&s, end, 65535, &o) || s == end || *s++ != ':' ||
	    !parse_dec(&s, end, 65535, &i) || s != end)
		return false;
	*oid = (uint16_t)o;
	*iid = (uint16_t)i;
	return true;
}

static const char *const value_fields[] = {"v", "vs", "vb", "vd", "vlo"};

/*
 * Turns the value field of one record into TLV value bytes in out, by the
 * resource's type (CS_TYPE_NONE: not defined, pick by field).
 */
static int record_value(const struct rec_ctx *c, const struct cs_resdef *rd, const char *field,
			const json_t *val, const json_t *bv, struct cs_buf *out)
{
	enum cs_type t = rd ? rd->type : CS_TYPE_NONE;
	const char *need = NULL;
	struct number num;
	uint8_t tmp[8];
	size_t n = 0;
	int64_t i;
	uint64_t u;
	uint16_t oid, iid;
	int err;

	switch (t) {
	case CS_TYPE_STRING:
	case CS_TYPE_CORELNK: need = "vs"; break;
	case CS_TYPE_INTEGER:
	case CS_TYPE_UNSIGNED:
	case CS_TYPE_FLOAT:
	case CS_TYPE_TIME: need = "v"; break;
	case CS_TYPE_BOOLEAN: need = "vb"; break;
	case CS_TYPE_OPAQUE: need = "vd"; break;
	case CS_TYPE_OBJLNK: need = "vlo"; break;
	case CS_TYPE_NONE: break;
	}
	if (need && strcmp(field, need))
		return rec_error(c, "%s is of type %s and needs \"%s\", not \"%s\"", rd->name,
				 cs_type_name(t), need, field);

	if (!strcmp(field, "vs")) {
		if (!json_is_string(val))
			return rec_error(c, "\"vs\" must be a string");
		return cs_buf_append(out, json_string_value(val), json_string_length(val));
	}
	if (!strcmp(field, "vb")) {
		if (!json_is_boolean(val))
			return rec_error(c, "\"vb\" must be true or false");
		n = cs_tlv_bool_encode(json_is_true(val), tmp);
	} else if (!strcmp(field, "vd")) {
		if (!json_is_string(val))
			return rec_error(c, "\"vd\" must be a base64 string");
		err = cs_base64_decode(json_string_value(val), json_string_length(val), out, NULL);
		if (err == CS_ERR_MALFORMED)
			return rec_error(c, "\"vd\" is not valid base64");
		return err;
	} else if (!strcmp(field, "vlo")) {
		if (!json_is_string(val) ||
		    !parse_objlnk(json_string_value(val), json_string_length(val), &oid, &iid))
			return rec_error(c, "\"vlo\" must be a string \"O:I\" with ids 0..65535");
		n = cs_tlv_objlnk_encode(oid, iid, tmp);
	} else {
		if (!json_is_number(val))
			return rec_error(c, "\"v\" must be a number");
		if (bv && !json_is_number(bv))
			return rec_error(c, "\"bv\" must be a number");
		if (!get_number(val, bv, &num))
			return rec_error(c, "\"v\" plus \"bv\" is out of range");
		switch (t) {
		case CS_TYPE_INTEGER:
		case CS_TYPE_TIME:
			if (!number_int64(&num, &i))
				return rec_error(
					c, "%s needs a whole number within 64-bit signed range",
					rd->name);
			n = cs_tlv_int_encode(i, tmp);
			break;
		case CS_TYPE_UNSIGNED:
			if (!number_uint64(&num, &u))
				return rec_error(c, "%s needs a whole number 0..2^64-1", rd->name);
			n = cs_tlv_uint_encode(u, tmp);
			break;
		case CS_TYPE_FLOAT:
			n = cs_tlv_float_encode(num.exact ? (double)num.i : num.d, tmp);
			break;
		default:
			/* not defined here: whole numbers are integers, others floats */
			if (number_int64(&num, &i))
				n = cs_tlv_int_encode(i, tmp);
			else
				n = cs_tlv_float_encode(num.d, tmp);
			break;
		}
	}
	err = cs_buf_append(out, tmp, n);
	cs_zeroize(tmp, sizeof(tmp));
	return err;
}

/* Adds the value to m at pa, creating object record, instance and resource as needed. */
static int store(const struct rec_ctx *c, struct cs_model *m, const struct version *vers,
		 size_t nvers, const struct path *pa, const struct cs_resdef *rd,
		 const struct cs_buf *val)
{
	struct cs_object *o = cs_model_find_object(m, pa->oid);
	struct cs_instance *inst;
	struct cs_resource *r;
	bool multiple;

	if (!o) {
		uint8_t major = 0, minor = 0;

		for (size_t k = 0; k < nvers; k++) {
			if (vers[k].oid == pa->oid) {
				major = vers[k].major;
				minor = vers[k].minor;
			}
		}
		if (!(o = cs_model_add_object(m, pa->oid, major, minor)))
			return CS_ERR_NOMEM;
	}
	inst = cs_object_find_instance(o, pa->iid);
	if (!inst && !(inst = cs_object_add_instance(o, pa->iid)))
		return CS_ERR_NOMEM;

	r = cs_instance_find_resource(inst, pa->rid);
	multiple = pa->has_ri;
	if (rd && rd->multiple != multiple)
		return rec_error(c, "%s is a %s resource; its name must %s a resource instance id",
				 rd->name, rd->multiple ? "multiple" : "single",
				 rd->multiple ? "end with" : "not have");
	if (r && r->multiple != multiple)
		return rec_error(c, "/%u/%u/%u appeared earlier as a %s resource", pa->oid, pa->iid,
				 pa->rid, r->multiple ? "multiple" : "single");
	if (r && !multiple)
		return rec_error(c, "resource appears twice");
	if (!multiple)
		return cs_instance_add_resource(inst, pa->rid, val->data, val->len) ? 0
										    : CS_ERR_NOMEM;
	if (!r && !(r = cs_instance_add_multiple(inst, pa->rid)))
		return CS_ERR_NOMEM;
	for (size_t k = 0; k < r->ninst; k++)
		if (r->inst[k].id == pa->riid)
			return rec_error(c, "resource instance appears twice");
	return cs_resource_add_instance(r, pa->riid, val->data, val->len) ? 0 : CS_ERR_NOMEM;
}

/* Base fields that carry over to the following records (RFC 8428 §4.5.1). */
struct base {
	const char *bn;
	size_t bn_len;
	const json_t *bv;
};

static int read_record(const json_t *rec, struct rec_ctx *c, struct base *base, struct cs_model *m,
		       const struct version *vers, size_t nvers)
{
	const json_t *bn, *n, *bv, *val = NULL, *j;
	const char *field = NULL, *key;
	const struct cs_objdef *od;
	const struct cs_resdef *rd;
	struct cs_buf buf = {0};
	struct path pa;
	size_t name_len, n_len, key_len;
	int err;

	if (!json_is_object(rec))
		return rec_error(c, "not a JSON object");
	bn = json_object_get(rec, "bn");
	n = json_object_get(rec, "n");
	if (bn) {
		if (!json_is_string(bn))
			return rec_error(c, "\"bn\" must be a string");
		base->bn = json_string_value(bn);
		base->bn_len = json_string_length(bn);
	}
	if (n && !json_is_string(n))
		return rec_error(c, "\"n\" must be a string");
	if ((bv = json_object_get(rec, "bv")) != NULL)
		base->bv = bv;

	/* RFC 8428 §4.5.1: the name is base name + name */
	n_len = n ? json_string_length(n) : 0;
	name_len = base->bn_len + n_len;
	if (name_len > NAME_MAX_LEN)
		return rec_error(c, "name is too long for an LwM2M path");
	memcpy(c->name, base->bn ? base->bn : "", base->bn_len);
	memcpy(c->name + base->bn_len, n ? json_string_value(n) : "", n_len);
	c->name[name_len] = '\0';
	if (strlen(c->name) != name_len) {
		c->name[0] = '\0';
		return rec_error(c, "name holds a NUL character");
	}

	/* RFC 8428 §4.4: unknown fields ending in "_" must be understood */
	json_object_keylen_foreach((json_t *)rec, key, key_len, j)
	{
		if (key_len && key[key_len - 1] == '_')
			return rec_error(c, "unknown must-understand field \"%s\"", key);
	}
	if (!name_len)
		return rec_error(c, "record has no name (\"bn\" + \"n\" is empty)");
	if (!parse_path(c->name, name_len, &pa))
		return rec_error(c, "name is not an LwM2M path /O/I/R or /O/I/R/RI with ids "
				    "0..65534");
	if (json_object_get(rec, "secret"))
		return cs_error(c->ei, CS_ERR_MALFORMED, (long)c->index,
				"record %zu (%s) is a masked secret; re-run decode with "
				"--show-secrets",
				c->index, c->name);
	for (size_t k = 0; k < sizeof(value_fields) / sizeof(value_fields[0]); k++) {
		if ((j = json_object_get(rec, value_fields[k])) == NULL)
			continue;
		if (val)
			return rec_error(c, "has both \"%s\" and \"%s\"; a record holds one value",
					 field, value_fields[k]);
		val = j;
		field = value_fields[k];
	}
	if (!val)
		return rec_error(c, "has no value (\"v\", \"vs\", \"vb\", \"vd\" or \"vlo\")");

	od = cs_objdef_find(pa.oid);
	rd = od ? cs_resdef_find(od, pa.rid) : NULL;
	if (rd && rd->type == CS_TYPE_NONE)
		rd = NULL; /* an executable resource has no value type: keep what is given */
	err = record_value(c, rd, field, val, base->bv, &buf);
	if (!err)
		err = store(c, m, vers, nvers, &pa, rd, &buf);
	cs_buf_free(&buf);
	return err;
}

int cs_senml_to_model(const json_t *records, const json_t *versions, struct cs_model *m,
		      struct cs_errinfo *ei)
{
	struct version *vers;
	struct base base = {NULL, 0, NULL};
	struct rec_ctx c = {0, "", ei};
	size_t nvers;
	int err;

	if (!json_is_array(records))
		return cs_error(ei, CS_ERR_MALFORMED, -1, "SenML must be a JSON array of records");
	if ((err = parse_versions(versions, &vers, &nvers, ei)) != 0)
		return err;
	for (size_t k = 0; k < json_array_size(records); k++) {
		c.index = k;
		c.name[0] = '\0';
		err = read_record(json_array_get(records, k), &c, &base, m, vers, nvers);
		if (err) {
			if (err == CS_ERR_NOMEM)
				cs_error(ei, err, (long)k, "record %zu: out of memory", k);
			cs_model_free(m);
			cs_model_init(m);
			break;
		}
	}
	free(vers);
	return err;
}

int cs_senml_parse(const char *text, size_t len, struct cs_model *m, struct cs_errinfo *ei)
{
	json_error_t je;
	json_t *root, *records, *versions = NULL;
	char *near;
	int err;

	root = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
	if (!root) {
		/* jansson quotes the offending input after " near "; it may be key material */
		if ((near = strstr(je.text, " near ")) != NULL)
			*near = '\0';
		return cs_error(ei, CS_ERR_MALFORMED, (long)je.position,
				"JSON error at line %d, column %d (byte %d): %s", je.line,
				je.column, je.position, je.text);
	}
	records = root;
	if (json_is_object(root)) {
		records = json_object_get(root, "senml");
		versions = json_object_get(root, "objects");
		if (!json_is_array(records)) {
			json_decref(root);
			return cs_error(ei, CS_ERR_MALFORMED, -1,
					"JSON object has no \"senml\" array of records");
		}
	}
	err = cs_senml_to_model(records, versions, m, ei);
	json_decref(root);
	return err;
}
