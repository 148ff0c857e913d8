/* SPDX-License-Identifier: MIT */
/*
 * EF LwM2M_Bootstrap → model (cs_model_load_bsfile, strict OMA-TLV), then
 * everything that reads a model: the validator and its messages, the typed
 * views, the secret rule, copy, and the TLV encoders.
 */
#include <string.h>

#include "cardstrap/bsfile.h"
#include "cardstrap/objects.h"
#include "cardstrap/validate.h"
#include "common.h"

static void check_offsets(const struct cs_model *m, size_t size)
{
	for (size_t o = 0; o < m->nobj; o++) {
		const struct cs_object *obj = &m->obj[o];

		FUZZ_CHECK(obj->offset >= 4 && (size_t)obj->offset < size);
		for (size_t i = 0; i < obj->ninst; i++) {
			const struct cs_instance *inst = &obj->inst[i];

			FUZZ_CHECK(inst->offset > obj->offset && (size_t)inst->offset < size);
			for (size_t r = 0; r < inst->nres; r++) {
				const struct cs_resource *res = &inst->res[r];

				FUZZ_CHECK(res->offset > inst->offset &&
					   (size_t)res->offset < size);
				FUZZ_CHECK(res->multiple || res->v.data != NULL);
				FUZZ_CHECK(!res->v.data || res->v.data[res->v.len] == '\0');
				FUZZ_CHECK(res->multiple || res->ninst == 0);
				for (size_t k = 0; k < res->ninst; k++)
					FUZZ_CHECK(res->inst[k].offset > res->offset &&
						   res->inst[k].v.data[res->inst[k].v.len] == '\0');
			}
		}
	}
}

static void use_views(const struct cs_model *m)
{
	struct cs_security sec;
	struct cs_server srv;
	struct cs_access_control ac;

	for (size_t o = 0; o < m->nobj; o++) {
		const struct cs_object *obj = &m->obj[o];

		for (size_t i = 0; i < obj->ninst; i++) {
			const struct cs_instance *inst = &obj->inst[i];

			if (obj->id == 0) {
				cs_security_view(inst, &sec);
				if (sec.lwm2m_server_uri)
					FUZZ_CHECK(strlen(sec.lwm2m_server_uri) < 65536);
				(void)cs_security_is_bootstrap(inst);
				(void)cs_security_mode_name(sec.security_mode.v);
			} else if (obj->id == 1) {
				cs_server_view(inst, &srv);
				if (srv.binding)
					FUZZ_CHECK(strlen(srv.binding) < 65536);
			} else if (obj->id == 2) {
				cs_access_control_view(inst, &ac);
			}
			for (size_t r = 0; r < inst->nres; r++)
				(void)cs_resource_is_secret(obj->id, inst, inst->res[r].id);
		}
	}
}

static void check_diags(const struct cs_diags *d)
{
	char line[512], path[32];
	size_t errors = 0, warnings = 0;

	for (size_t k = 0; k < d->n; k++) {
		const struct cs_diag *dg = &d->items[k];

		FUZZ_CHECK(memchr(dg->message, '\0', sizeof(dg->message)) != NULL);
		FUZZ_CHECK(cs_diag_format(dg, line, sizeof(line)) > 0);
		FUZZ_CHECK(cs_diag_path(dg, path, sizeof(path)) > 0 && path[0] == '/');
		if (dg->severity == CS_SEV_ERROR)
			errors++;
		else
			warnings++;
	}
	FUZZ_CHECK(errors == d->errors && warnings == d->warnings);
}

/* Each object record's TLV loads again into the same record. */
static void check_object_tlv(const struct cs_model *m)
{
	for (size_t o = 0; o < m->nobj; o++) {
		const struct cs_object *obj = &m->obj[o];
		struct cs_buf a = {0}, b = {0};
		struct cs_model m2;
		struct cs_errinfo ei;

		cs_model_init(&m2);
		FUZZ_CHECK(cs_model_encode_object_tlv(obj, &a) == 0);
		FUZZ_CHECK(cs_model_load_object_tlv(&m2, obj->id, obj->ver_major, obj->ver_minor,
						    a.data, a.len, 0, &ei) == 0);
		FUZZ_CHECK(m2.nobj == 1 && m2.obj[0].ninst == obj->ninst);
		FUZZ_CHECK(cs_model_encode_object_tlv(&m2.obj[0], &b) == 0);
		FUZZ_CHECK(a.len == b.len && (!a.len || !memcmp(a.data, b.data, a.len)));
		cs_model_free(&m2);
		cs_buf_free(&a);
		cs_buf_free(&b);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cs_model m, copy;
	struct cs_diags d;
	struct cs_buf a = {0}, b = {0};
	struct cs_errinfo ei;
	int err;

	cs_model_init(&m);
	cs_errinfo_clear(&ei);
	err = cs_model_load_bsfile(&m, data, size, &ei);
	if (err) {
		fuzz_check_error(err, &ei, size);
		FUZZ_CHECK(m.nobj == 0 && m.obj == NULL);
		return 0;
	}
	check_offsets(&m, size);
	use_views(&m);

	cs_diags_init(&d);
	err = cs_validate(&m, &d);
	FUZZ_CHECK(err == 0 || err == CS_ERR_INVALID);
	FUZZ_CHECK((err == CS_ERR_INVALID) == (d.errors > 0));
	check_diags(&d);
	cs_diags_free(&d);

	cs_model_init(&copy);
	FUZZ_CHECK(cs_model_copy(&copy, &m) == 0);
	fuzz_model_bytes(&m, &a);
	fuzz_model_bytes(&copy, &b);
	FUZZ_CHECK(a.len == b.len && !memcmp(a.data, b.data, a.len));
	FUZZ_CHECK(a.len <= size);
	check_object_tlv(&m);

	cs_buf_free(&a);
	cs_buf_free(&b);
	cs_model_free(&copy);
	cs_model_free(&m);
	return 0;
}
