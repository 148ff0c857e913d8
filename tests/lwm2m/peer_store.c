/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "cardstrap/objects.h"
#include "cardstrap/tlv.h"
#include "peer.h"

/*
 * The model has builders but no removal, so every edit builds a fresh model
 * from the old one with the change applied and swaps it in. The store keeps
 * one record per object id, instances in ascending id order.
 */

struct edit {
	int oid; /* -1: no edit, only normalise */
	uint16_t iid;
	bool del;
	const struct cs_instance *put_inst;
	const struct cs_resource *put_res;
	uint8_t ver_major, ver_minor;
};

static int copy_resource(struct cs_instance *dst, const struct cs_resource *r)
{
	struct cs_resource *mr;

	if (!r->multiple)
		return cs_instance_add_resource(dst, r->id, r->v.data, r->v.len) ? 0 : CS_ERR_NOMEM;
	mr = cs_instance_add_multiple(dst, r->id);
	if (!mr)
		return CS_ERR_NOMEM;
	for (size_t k = 0; k < r->ninst; k++)
		if (!cs_resource_add_instance(mr, r->inst[k].id, r->inst[k].v.data,
					      r->inst[k].v.len))
			return CS_ERR_NOMEM;
	return 0;
}

static int copy_instance(struct cs_object *o, uint16_t iid, const struct cs_instance *src,
			 const struct cs_resource *put_res)
{
	struct cs_instance *dst = cs_object_add_instance(o, iid);
	int err;

	if (!dst)
		return CS_ERR_NOMEM;
	for (size_t k = 0; src && k < src->nres; k++) {
		if (put_res && src->res[k].id == put_res->id)
			continue;
		err = copy_resource(dst, &src->res[k]);
		if (err)
			return err;
	}
	return put_res ? copy_resource(dst, put_res) : 0;
}

static int cmp_u16(const void *a, const void *b)
{
	uint16_t x = *(const uint16_t *)a, y = *(const uint16_t *)b;

	return (x > y) - (x < y);
}

/* The newest instance iid of object oid over all records, NULL when none. */
static const struct cs_instance *latest(const struct cs_model *m, uint16_t oid, uint16_t iid)
{
	const struct cs_instance *found = NULL;

	for (size_t k = 0; k < m->nobj; k++) {
		const struct cs_instance *i;

		if (m->obj[k].id != oid)
			continue;
		i = cs_object_find_instance(&m->obj[k], iid);
		if (i)
			found = i;
	}
	return found;
}

static int unique_sorted(uint16_t *ids, size_t n)
{
	size_t out = 0;

	qsort(ids, n, sizeof(*ids), cmp_u16);
	for (size_t k = 0; k < n; k++)
		if (out == 0 || ids[out - 1] != ids[k])
			ids[out++] = ids[k];
	return (int)out;
}

static int build_object(struct cs_model *n, const struct cs_model *m, uint16_t oid,
			const struct edit *e)
{
	const struct cs_object *first = cs_model_find_object(m, oid);
	bool target = e->oid == (int)oid;
	size_t total = 1, nids = 0;
	struct cs_object *o;
	uint16_t *ids;
	int err = 0, count;

	for (size_t k = 0; k < m->nobj; k++)
		if (m->obj[k].id == oid)
			total += m->obj[k].ninst;
	ids = calloc(total, sizeof(*ids));
	if (!ids)
		return CS_ERR_NOMEM;
	for (size_t k = 0; k < m->nobj; k++)
		if (m->obj[k].id == oid)
			for (size_t j = 0; j < m->obj[k].ninst; j++)
				ids[nids++] = m->obj[k].inst[j].id;
	if (target && !e->del)
		ids[nids++] = e->iid;
	count = unique_sorted(ids, nids);
	o = first ? cs_model_add_object(n, oid, first->ver_major, first->ver_minor)
		  : cs_model_add_object(n, oid, e->ver_major, e->ver_minor);
	if (!o) {
		free(ids);
		return CS_ERR_NOMEM;
	}
	for (int k = 0; k < count && !err; k++) {
		const struct cs_instance *old = latest(m, oid, ids[k]);

		if (target && ids[k] == e->iid) {
			if (e->del)
				continue;
			if (e->put_inst)
				err = copy_instance(o, ids[k], e->put_inst, NULL);
			else
				err = copy_instance(o, ids[k], old, e->put_res);
		} else {
			err = copy_instance(o, ids[k], old, NULL);
		}
	}
	free(ids);
	return err;
}

static int rebuild(struct cs_model *m, const struct edit *e)
{
	struct cs_model n;
	uint16_t *oids;
	size_t noids = 0;
	int err = 0, count;

	oids = calloc(m->nobj + 1, sizeof(*oids));
	if (!oids)
		return CS_ERR_NOMEM;
	for (size_t k = 0; k < m->nobj; k++)
		oids[noids++] = m->obj[k].id;
	if (e->oid >= 0)
		oids[noids++] = (uint16_t)e->oid;
	count = unique_sorted(oids, noids);
	cs_model_init(&n);
	for (int k = 0; k < count && !err; k++)
		err = build_object(&n, m, oids[k], e);
	free(oids);
	if (err) {
		cs_model_free(&n);
		return err;
	}
	cs_model_free(m);
	*m = n;
	return 0;
}

int store_normalize(struct cs_model *m)
{
	struct edit e = {.oid = -1};

	return rebuild(m, &e);
}

int store_put_instance(struct cs_model *m, uint16_t oid, uint8_t ver_major, uint8_t ver_minor,
		       const struct cs_instance *src)
{
	struct edit e = {.oid = oid,
			 .iid = src->id,
			 .put_inst = src,
			 .ver_major = ver_major,
			 .ver_minor = ver_minor};

	return rebuild(m, &e);
}

int store_put_resource(struct cs_model *m, uint16_t oid, uint8_t ver_major, uint8_t ver_minor,
		       uint16_t iid, const struct cs_resource *src)
{
	struct edit e = {.oid = oid,
			 .iid = iid,
			 .put_res = src,
			 .ver_major = ver_major,
			 .ver_minor = ver_minor};

	return rebuild(m, &e);
}

int store_delete_instance(struct cs_model *m, uint16_t oid, uint16_t iid)
{
	struct edit e = {.oid = oid, .iid = iid, .del = true};

	if (!latest(m, oid, iid))
		return 0;
	return rebuild(m, &e);
}

size_t store_count(const struct cs_model *m, uint16_t oid)
{
	size_t n = 0;

	for (size_t k = 0; k < m->nobj; k++)
		if (m->obj[k].id == oid)
			n += m->obj[k].ninst;
	return n;
}

const struct cs_instance *store_bootstrap_account(const struct cs_model *m)
{
	const struct cs_object *o = cs_model_find_object(m, 0);

	for (size_t k = 0; o && k < o->ninst; k++)
		if (cs_security_is_bootstrap(&o->inst[k]))
			return &o->inst[k];
	return NULL;
}

const struct cs_instance *store_security_by_ssid(const struct cs_model *m, int64_t ssid)
{
	const struct cs_object *o = cs_model_find_object(m, 0);
	int64_t v;

	for (size_t k = 0; o && k < o->ninst; k++)
		if (!cs_security_is_bootstrap(&o->inst[k]) && store_int(&o->inst[k], 10, &v) &&
		    v == ssid)
			return &o->inst[k];
	return NULL;
}

bool store_int(const struct cs_instance *i, uint16_t rid, int64_t *out)
{
	const struct cs_resource *r = i ? cs_instance_find_resource(i, rid) : NULL;

	return r && !r->multiple && cs_tlv_int_decode(r->v.data, r->v.len, out) == 0;
}

const char *store_str(const struct cs_instance *i, uint16_t rid)
{
	const struct cs_resource *r = i ? cs_instance_find_resource(i, rid) : NULL;

	if (!r || r->multiple || !r->v.data || memchr(r->v.data, '\0', r->v.len))
		return NULL;
	return (const char *)r->v.data;
}
