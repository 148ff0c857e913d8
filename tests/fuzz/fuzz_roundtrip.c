/* SPDX-License-Identifier: MIT */
/*
 * The whole decode → validate → encode path as properties:
 *  1. whatever loads re-encodes (cs_model_to_bsfile, shortest TLV), and
 *     those bytes load again to a model that encodes to the same bytes;
 *  2. for a model that validates without errors, SenML (with secrets) →
 *     model → EF gives the same bytes as 1, both from the json_t and from
 *     its text as `decode --json` prints it, when the model is inside what
 *     SenML says exactly (senml.h): one record per object id, no empty
 *     object/instance/multiple resource, typed values in their shortest
 *     width and unsigned values up to INT64_MAX.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cardstrap/objects.h"
#include "cardstrap/senml.h"
#include "cardstrap/tlv.h"
#include "cardstrap/validate.h"
#include "common.h"

/* A typed value that SenML gives back in another width or not exactly. */
static bool value_inexact(enum cs_type t, const struct cs_value *v)
{
	uint8_t out[8];
	int64_t i;
	uint64_t u;
	double d;

	switch (t) {
	case CS_TYPE_INTEGER:
	case CS_TYPE_TIME:
		return cs_tlv_int_decode(v->data, v->len, &i) == 0 &&
		       cs_tlv_int_encode(i, out) != v->len;
	case CS_TYPE_UNSIGNED:
		return cs_tlv_uint_decode(v->data, v->len, &u) == 0 &&
		       (u > INT64_MAX || cs_tlv_uint_encode(u, out) != v->len);
	case CS_TYPE_FLOAT:
		return cs_tlv_float_decode(v->data, v->len, &d) == 0 &&
		       cs_tlv_float_encode(d, out) != v->len;
	default: return false;
	}
}

static bool senml_exact(const struct cs_model *m)
{
	for (size_t o = 0; o < m->nobj; o++) {
		const struct cs_object *obj = &m->obj[o];
		const struct cs_objdef *od = cs_objdef_find(obj->id);

		if (cs_model_find_object(m, obj->id) != obj || !obj->ninst)
			return false;
		for (size_t i = 0; i < obj->ninst; i++) {
			const struct cs_instance *inst = &obj->inst[i];

			if (!inst->nres)
				return false;
			for (size_t r = 0; r < inst->nres; r++) {
				const struct cs_resource *res = &inst->res[r];
				const struct cs_resdef *rd =
					od ? cs_resdef_find(od, res->id) : NULL;
				enum cs_type t = rd ? rd->type : CS_TYPE_OPAQUE;

				if (res->multiple && !res->ninst)
					return false;
				if (!res->multiple && value_inexact(t, &res->v))
					return false;
				for (size_t k = 0; k < res->ninst; k++)
					if (value_inexact(t, &res->inst[k].v))
						return false;
			}
		}
	}
	return true;
}

static void check_same(const struct cs_model *m, const struct cs_buf *want, const char *how)
{
	struct cs_buf b = {0};

	fuzz_model_bytes(m, &b);
	if (b.len != want->len || memcmp(b.data, want->data, b.len))
		fuzz_fail("%s: %zu bytes differ from the %zu bytes of the EF", how, b.len,
			  want->len);
	cs_buf_free(&b);
}

static void check_senml(const struct cs_model *m, const struct cs_buf *ef)
{
	json_t *records = cs_senml_from_model(m, CS_SENML_SHOW_SECRETS);
	json_t *versions = cs_senml_versions(m);
	json_t *doc = json_object();
	struct cs_model back;
	struct cs_errinfo ei;
	char *text;

	FUZZ_CHECK(records && versions && doc);
	cs_model_init(&back);
	if (cs_senml_to_model(records, versions, &back, &ei))
		fuzz_fail("SenML of a valid model is refused: %s", ei.msg);
	check_same(&back, ef, "EF → SenML (json_t) → EF");
	cs_model_free(&back);

	FUZZ_CHECK(json_object_set(doc, "senml", records) == 0);
	FUZZ_CHECK(json_object_set(doc, "objects", versions) == 0);
	text = json_dumps(doc, JSON_COMPACT);
	FUZZ_CHECK(text != NULL);
	cs_model_init(&back);
	if (cs_senml_parse(text, strlen(text), &back, &ei))
		fuzz_fail("SenML text of a valid model is refused: %s", ei.msg);
	check_same(&back, ef, "EF → SenML (text) → EF");
	cs_model_free(&back);
	cs_zeroize(text, strlen(text));
	free(text);
	json_decref(doc);
	json_decref(records);
	json_decref(versions);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cs_model m, again;
	struct cs_diags d;
	struct cs_buf a = {0};
	struct cs_errinfo ei;
	int valid;

	cs_model_init(&m);
	if (cs_model_load_bsfile(&m, data, size, &ei))
		return 0;
	fuzz_model_bytes(&m, &a);
	FUZZ_CHECK(a.len <= size);

	cs_model_init(&again);
	if (cs_model_load_bsfile(&again, a.data, a.len, &ei))
		fuzz_fail("the re-encoded EF does not load: %s", ei.msg);
	check_same(&again, &a, "EF → model → EF → model → EF");
	cs_model_free(&again);

	cs_diags_init(&d);
	valid = cs_validate(&m, &d) == 0;
	cs_diags_free(&d);
	if (valid && senml_exact(&m))
		check_senml(&m, &a);

	cs_buf_free(&a);
	cs_model_free(&m);
	return 0;
}
