/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cardstrap/bsfile.h"
#include "cardstrap/model.h"
#include "cardstrap/tlv.h"

/* ---- memory ---- */

/*
 * Arrays grow to the next power of two when their count reaches one, so
 * no capacity has to be stored. The elements hold ids and pointers only;
 * the value bytes they point to are wiped separately.
 */
static void *grow(void *arr, size_t n, size_t elem)
{
	size_t cap;
	void *p;

	if (n && (n & (n - 1)))
		return arr;
	cap = n ? n * 2 : 1;
	if (cap > SIZE_MAX / elem)
		return NULL;
	p = realloc(arr, cap * elem);
	return p;
}

static int value_set(struct cs_value *v, const uint8_t *p, size_t n)
{
	if (n == SIZE_MAX)
		return CS_ERR_NOMEM;
	v->data = malloc(n + 1);
	if (!v->data)
		return CS_ERR_NOMEM;
	if (n)
		memcpy(v->data, p, n);
	v->data[n] = '\0';
	v->len = n;
	return 0;
}

static void value_free(struct cs_value *v)
{
	if (v->data)
		cs_free_secret(v->data, v->len + 1);
	v->data = NULL;
	v->len = 0;
}

static void resource_free(struct cs_resource *r)
{
	value_free(&r->v);
	for (size_t k = 0; k < r->ninst; k++)
		value_free(&r->inst[k].v);
	free(r->inst);
	r->inst = NULL;
	r->ninst = 0;
}

static void instance_free(struct cs_instance *i)
{
	for (size_t k = 0; k < i->nres; k++)
		resource_free(&i->res[k]);
	free(i->res);
	i->res = NULL;
	i->nres = 0;
}

static void object_free(struct cs_object *o)
{
	for (size_t k = 0; k < o->ninst; k++)
		instance_free(&o->inst[k]);
	free(o->inst);
	o->inst = NULL;
	o->ninst = 0;
}

void cs_model_init(struct cs_model *m)
{
	m->obj = NULL;
	m->nobj = 0;
}

void cs_model_free(struct cs_model *m)
{
	for (size_t k = 0; k < m->nobj; k++)
		object_free(&m->obj[k]);
	free(m->obj);
	cs_model_init(m);
}

/* ---- builders ---- */

struct cs_object *cs_model_add_object(struct cs_model *m, uint16_t oid, uint8_t ver_major,
				      uint8_t ver_minor)
{
	struct cs_object *arr = grow(m->obj, m->nobj, sizeof(*arr)), *o;

	if (!arr)
		return NULL;
	m->obj = arr;
	o = &m->obj[m->nobj++];
	memset(o, 0, sizeof(*o));
	o->id = oid;
	o->ver_major = ver_major;
	o->ver_minor = ver_minor;
	o->offset = -1;
	return o;
}

struct cs_instance *cs_object_add_instance(struct cs_object *o, uint16_t iid)
{
	struct cs_instance *arr = grow(o->inst, o->ninst, sizeof(*arr)), *i;

	if (!arr)
		return NULL;
	o->inst = arr;
	i = &o->inst[o->ninst++];
	memset(i, 0, sizeof(*i));
	i->id = iid;
	i->offset = -1;
	return i;
}

static struct cs_resource *add_resource(struct cs_instance *i, uint16_t rid, bool multiple)
{
	struct cs_resource *arr = grow(i->res, i->nres, sizeof(*arr)), *r;

	if (!arr)
		return NULL;
	i->res = arr;
	r = &i->res[i->nres++];
	memset(r, 0, sizeof(*r));
	r->id = rid;
	r->multiple = multiple;
	r->offset = -1;
	return r;
}

struct cs_resource *cs_instance_add_resource(struct cs_instance *i, uint16_t rid, const uint8_t *v,
					     size_t len)
{
	struct cs_resource *r = add_resource(i, rid, false);

	if (r && value_set(&r->v, v, len)) {
		i->nres--;
		return NULL;
	}
	return r;
}

struct cs_resource *cs_instance_add_multiple(struct cs_instance *i, uint16_t rid)
{
	return add_resource(i, rid, true);
}

struct cs_res_inst *cs_resource_add_instance(struct cs_resource *r, uint16_t riid, const uint8_t *v,
					     size_t len)
{
	struct cs_res_inst *arr, *ri;

	if (!r->multiple)
		return NULL;
	arr = grow(r->inst, r->ninst, sizeof(*arr));
	if (!arr)
		return NULL;
	r->inst = arr;
	ri = &r->inst[r->ninst];
	memset(ri, 0, sizeof(*ri));
	if (value_set(&ri->v, v, len))
		return NULL;
	ri->id = riid;
	ri->offset = -1;
	r->ninst++;
	return ri;
}

/* ---- lookups ---- */

struct cs_object *cs_model_find_object(const struct cs_model *m, uint16_t oid)
{
	for (size_t k = 0; k < m->nobj; k++)
		if (m->obj[k].id == oid)
			return &m->obj[k];
	return NULL;
}

struct cs_instance *cs_object_find_instance(const struct cs_object *o, uint16_t iid)
{
	for (size_t k = 0; k < o->ninst; k++)
		if (o->inst[k].id == iid)
			return &o->inst[k];
	return NULL;
}

struct cs_resource *cs_instance_find_resource(const struct cs_instance *i, uint16_t rid)
{
	for (size_t k = 0; k < i->nres; k++)
		if (i->res[k].id == rid)
			return &i->res[k];
	return NULL;
}

/* ---- TLV → model ---- */

static int nomem(struct cs_errinfo *ei)
{
	return cs_error(ei, CS_ERR_NOMEM, -1, "out of memory");
}

/* Reads the next entry; a framing error gets the path of its container in front. */
static int read_entry(struct cs_tlv_reader *r, struct cs_tlv *e, const char *path,
		      struct cs_errinfo *ei)
{
	struct cs_errinfo tmp;
	int rc = cs_tlv_read(r, e, &tmp);

	if (rc < 0)
		return cs_error(ei, rc, tmp.offset, "%s: %s", path, tmp.msg);
	return rc;
}

static int load_multiple(struct cs_resource *res, const struct cs_tlv *mr, const char *path,
			 struct cs_errinfo *ei)
{
	struct cs_tlv_reader rd;
	struct cs_res_inst *ri;
	struct cs_tlv e;
	int rc;

	cs_tlv_reader_enter(mr, &rd);
	while ((rc = read_entry(&rd, &e, path, ei)) == 1) {
		/* Core TS §7.4.3: a Multiple Resource holds only Resource Instance entries */
		if (e.kind != CS_TLV_RESOURCE_INSTANCE)
			return cs_error(ei, CS_ERR_MALFORMED, (long)e.offset,
					"%s: %s %u at offset %zu inside a Multiple Resource (only "
					"Resource Instance entries belong there)",
					path, cs_tlv_kind_name(e.kind), e.id, e.offset);
		for (size_t k = 0; k < res->ninst; k++)
			if (res->inst[k].id == e.id)
				return cs_error(ei, CS_ERR_MALFORMED, (long)e.offset,
						"%s: resource instance %u appears twice (offsets "
						"%ld and %zu)",
						path, e.id, res->inst[k].offset, e.offset);
		ri = cs_resource_add_instance(res, e.id, e.value, e.len);
		if (!ri)
			return nomem(ei);
		ri->offset = (long)e.offset;
	}
	return rc;
}

static int load_instance(struct cs_instance *inst, uint16_t oid, const struct cs_tlv *oi,
			 struct cs_errinfo *ei)
{
	struct cs_tlv_reader rd;
	struct cs_resource *res;
	struct cs_tlv e;
	char path[32], rpath[40];
	int rc;

	snprintf(path, sizeof(path), "/%u/%u", oid, inst->id);
	cs_tlv_reader_enter(oi, &rd);
	while ((rc = read_entry(&rd, &e, path, ei)) == 1) {
		/* Core TS §7.4.3: an Object Instance holds Resource and Multiple Resource TLVs */
		if (e.kind == CS_TLV_OBJECT_INSTANCE)
			return cs_error(ei, CS_ERR_MALFORMED, (long)e.offset,
					"%s: Object Instance %u at offset %zu nested inside an "
					"Object Instance (only Resource and Multiple Resource "
					"entries belong there)",
					path, e.id, e.offset);
		if (e.kind == CS_TLV_RESOURCE_INSTANCE)
			return cs_error(ei, CS_ERR_MALFORMED, (long)e.offset,
					"%s: Resource Instance %u at offset %zu directly inside an "
					"Object Instance (it belongs inside a Multiple Resource)",
					path, e.id, e.offset);
		res = cs_instance_find_resource(inst, e.id);
		if (res)
			return cs_error(ei, CS_ERR_MALFORMED, (long)e.offset,
					"%s: resource %u appears twice (offsets %ld and %zu)", path,
					e.id, res->offset, e.offset);
		if (e.kind == CS_TLV_RESOURCE)
			res = cs_instance_add_resource(inst, e.id, e.value, e.len);
		else
			res = cs_instance_add_multiple(inst, e.id);
		if (!res)
			return nomem(ei);
		res->offset = (long)e.offset;
		if (e.kind == CS_TLV_MULTIPLE_RESOURCE) {
			snprintf(rpath, sizeof(rpath), "%s/%u", path, e.id);
			rc = load_multiple(res, &e, rpath, ei);
			if (rc)
				return rc;
		}
	}
	return rc;
}

static int load_object(struct cs_object *o, const uint8_t *tlv, size_t len, size_t base,
		       struct cs_errinfo *ei)
{
	struct cs_tlv_reader rd;
	struct cs_instance *inst;
	struct cs_tlv e;
	char path[16];
	int rc;

	snprintf(path, sizeof(path), "/%u", o->id);
	cs_tlv_reader_init(&rd, tlv, len, base);
	while ((rc = read_entry(&rd, &e, path, ei)) == 1) {
		/* App. G.3.3 / Core TS §7.4.3: a record holds the Object Instance TLVs (PUT /O) */
		if (e.kind != CS_TLV_OBJECT_INSTANCE)
			return cs_error(
				ei, CS_ERR_MALFORMED, (long)e.offset,
				"%s: %s %u at offset %zu at the top level, where only Object "
				"Instance entries belong",
				path, cs_tlv_kind_name(e.kind), e.id, e.offset);
		inst = cs_object_find_instance(o, e.id);
		if (inst)
			return cs_error(ei, CS_ERR_MALFORMED, (long)e.offset,
					"%s: instance %u appears twice (offsets %ld and %zu)", path,
					e.id, inst->offset, e.offset);
		inst = cs_object_add_instance(o, e.id);
		if (!inst)
			return nomem(ei);
		inst->offset = (long)e.offset;
		rc = load_instance(inst, o->id, &e, ei);
		if (rc)
			return rc;
	}
	return rc;
}

int cs_model_load_object_tlv(struct cs_model *m, uint16_t oid, uint8_t ver_major, uint8_t ver_minor,
			     const uint8_t *tlv, size_t len, size_t base, struct cs_errinfo *ei)
{
	struct cs_object tmp = {
		.id = oid, .ver_major = ver_major, .ver_minor = ver_minor, .offset = -1};
	struct cs_object *arr;
	int err;

	err = load_object(&tmp, tlv, len, base, ei);
	if (err)
		goto fail;
	arr = grow(m->obj, m->nobj, sizeof(*arr));
	if (!arr) {
		err = nomem(ei);
		goto fail;
	}
	m->obj = arr;
	m->obj[m->nobj++] = tmp;
	return 0;
fail:
	object_free(&tmp);
	return err;
}

int cs_model_load_bsfile(struct cs_model *m, const uint8_t *buf, size_t len, struct cs_errinfo *ei)
{
	struct cs_bsfile f;
	int err;

	if (m->nobj)
		return cs_error(ei, CS_ERR_ARG, -1, "model is not empty");
	err = cs_bsfile_parse(buf, len, &f, ei);
	if (err)
		return err;
	for (size_t k = 0; k < f.nobj; k++) {
		const struct cs_bsfile_record *r = &f.rec[k];

		err = cs_model_load_object_tlv(m, r->object_id, r->ver_major, r->ver_minor, r->tlv,
					       r->tlv_len, r->tlv_offset, ei);
		if (err) {
			cs_model_free(m);
			break;
		}
		m->obj[m->nobj - 1].offset = (long)r->offset;
	}
	cs_bsfile_free(&f);
	return err;
}

/* ---- model → TLV ---- */

static size_t header_len(uint16_t id, size_t len)
{
	return 1 + (id > 0xFF ? 2 : 1) + (len < 8 ? 0 : len <= 0xFF ? 1 : len <= 0xFFFF ? 2 : 3);
}

static int multiple_len(const struct cs_resource *r, size_t *out)
{
	size_t n = 0;

	for (size_t k = 0; k < r->ninst; k++) {
		if (r->inst[k].v.len > CS_TLV_MAX_VALUE_LEN)
			return CS_ERR_LIMIT;
		n += header_len(r->inst[k].id, r->inst[k].v.len) + r->inst[k].v.len;
	}
	*out = n;
	return n > CS_TLV_MAX_VALUE_LEN ? CS_ERR_LIMIT : 0;
}

static int instance_len(const struct cs_instance *i, size_t *out)
{
	size_t n = 0, len;
	int err;

	for (size_t k = 0; k < i->nres; k++) {
		const struct cs_resource *r = &i->res[k];

		if (r->multiple) {
			err = multiple_len(r, &len);
			if (err)
				return err;
		} else {
			len = r->v.len;
			if (len > CS_TLV_MAX_VALUE_LEN)
				return CS_ERR_LIMIT;
		}
		n += header_len(r->id, len) + len;
	}
	*out = n;
	return n > CS_TLV_MAX_VALUE_LEN ? CS_ERR_LIMIT : 0;
}

static int encode_instance(const struct cs_instance *i, struct cs_buf *out)
{
	size_t len;
	int err = 0;

	for (size_t k = 0; k < i->nres && !err; k++) {
		const struct cs_resource *r = &i->res[k];

		if (!r->multiple) {
			err = cs_tlv_write(out, CS_TLV_RESOURCE, r->id, r->v.data, r->v.len);
			continue;
		}
		err = multiple_len(r, &len);
		if (!err)
			err = cs_tlv_write_header(out, CS_TLV_MULTIPLE_RESOURCE, r->id, len);
		for (size_t j = 0; j < r->ninst && !err; j++)
			err = cs_tlv_write(out, CS_TLV_RESOURCE_INSTANCE, r->inst[j].id,
					   r->inst[j].v.data, r->inst[j].v.len);
	}
	return err;
}

int cs_model_encode_instance_tlv(const struct cs_instance *i, struct cs_buf *out)
{
	size_t old = out->len;
	int err = encode_instance(i, out);

	if (err)
		out->len = old;
	return err;
}

int cs_model_encode_object_tlv(const struct cs_object *o, struct cs_buf *out)
{
	size_t old = out->len, len;
	int err = 0;

	for (size_t k = 0; k < o->ninst && !err; k++) {
		err = instance_len(&o->inst[k], &len);
		if (!err)
			err = cs_tlv_write_header(out, CS_TLV_OBJECT_INSTANCE, o->inst[k].id, len);
		if (!err)
			err = encode_instance(&o->inst[k], out);
	}
	if (err)
		out->len = old;
	return err;
}

int cs_model_to_bsfile(const struct cs_model *m, struct cs_buf *out, struct cs_errinfo *ei)
{
	struct cs_bsfile_record *rec = NULL;
	struct cs_buf all;
	size_t k;
	int err = 0;

	cs_buf_init(&all);
	if (m->nobj) {
		rec = calloc(m->nobj, sizeof(*rec));
		if (!rec)
			return nomem(ei);
	}
	for (k = 0; k < m->nobj; k++) {
		const struct cs_object *o = &m->obj[k];

		rec[k].object_id = o->id;
		rec[k].ver_major = o->ver_major;
		rec[k].ver_minor = o->ver_minor;
		rec[k].tlv_offset = all.len; /* position in `all` until it stops moving */
		err = cs_model_encode_object_tlv(o, &all);
		if (err) {
			err = cs_error(ei, err, -1, "/%u (object record %zu): cannot encode: %s",
				       o->id, k + 1, cs_strerror(err));
			goto out;
		}
		rec[k].tlv_len = all.len - rec[k].tlv_offset;
	}
	for (k = 0; k < m->nobj; k++)
		rec[k].tlv = all.data ? all.data + rec[k].tlv_offset : NULL;
	err = cs_bsfile_build(rec, m->nobj, out, ei);
out:
	cs_buf_free(&all);
	free(rec);
	return err;
}

/* ---- copy ---- */

static int copy_instance(struct cs_instance *dst, const struct cs_instance *src)
{
	for (size_t k = 0; k < src->nres; k++) {
		const struct cs_resource *s = &src->res[k];
		struct cs_resource *d;

		if (s->multiple)
			d = cs_instance_add_multiple(dst, s->id);
		else
			d = cs_instance_add_resource(dst, s->id, s->v.data, s->v.len);
		if (!d)
			return CS_ERR_NOMEM;
		d->offset = s->offset;
		for (size_t j = 0; j < s->ninst; j++) {
			struct cs_res_inst *ri = cs_resource_add_instance(
				d, s->inst[j].id, s->inst[j].v.data, s->inst[j].v.len);

			if (!ri)
				return CS_ERR_NOMEM;
			ri->offset = s->inst[j].offset;
		}
	}
	return 0;
}

int cs_model_copy(struct cs_model *dst, const struct cs_model *src)
{
	for (size_t k = 0; k < src->nobj; k++) {
		const struct cs_object *s = &src->obj[k];
		struct cs_object *d = cs_model_add_object(dst, s->id, s->ver_major, s->ver_minor);

		if (!d)
			goto fail;
		d->offset = s->offset;
		for (size_t j = 0; j < s->ninst; j++) {
			struct cs_instance *i = cs_object_add_instance(d, s->inst[j].id);

			if (!i)
				goto fail;
			i->offset = s->inst[j].offset;
			if (copy_instance(i, &s->inst[j]))
				goto fail;
		}
	}
	return 0;
fail:
	cs_model_free(dst);
	return CS_ERR_NOMEM;
}
