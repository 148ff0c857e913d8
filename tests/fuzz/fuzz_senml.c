/* SPDX-License-Identifier: MIT */
/*
 * SenML-JSON text → model (cs_senml_parse), as `cardstrap encode` reads a
 * profile. What loads is validated, encoded as EF (when it fits) and that
 * EF loads again; SenML of the model (secrets shown) loads back to a model
 * with the same EF bytes.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cardstrap/senml.h"
#include "cardstrap/validate.h"
#include "common.h"

static bool to_ef(const struct cs_model *m, struct cs_buf *out)
{
	struct cs_errinfo ei;
	int err = cs_model_to_bsfile(m, out, &ei);

	if (err)
		FUZZ_CHECK(err == CS_ERR_LIMIT);
	return err == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cs_model m, back;
	struct cs_diags d;
	struct cs_buf a = {0}, b = {0};
	struct cs_errinfo ei;
	json_t *records, *versions;
	int err;

	cs_model_init(&m);
	cs_errinfo_clear(&ei);
	err = cs_senml_parse((const char *)data, size, &m, &ei);
	if (err) {
		FUZZ_CHECK(err == CS_ERR_MALFORMED);
		FUZZ_CHECK(ei.code == err && memchr(ei.msg, '\0', sizeof(ei.msg)));
		FUZZ_CHECK(m.nobj == 0);
		return 0;
	}
	cs_diags_init(&d);
	err = cs_validate(&m, &d);
	FUZZ_CHECK(err == 0 || err == CS_ERR_INVALID);
	cs_diags_free(&d);

	/* SenML input has one object record per id and re-encodes its numbers: exact */
	records = cs_senml_from_model(&m, CS_SENML_SHOW_SECRETS);
	versions = cs_senml_versions(&m);
	FUZZ_CHECK(records && versions);
	cs_model_init(&back);
	err = cs_senml_to_model(records, versions, &back, &ei);
	if (err)
		fuzz_fail("SenML written from a model that came from SenML is refused: %s", ei.msg);
	if (to_ef(&m, &a)) {
		FUZZ_CHECK(to_ef(&back, &b));
		FUZZ_CHECK(a.len == b.len && !memcmp(a.data, b.data, a.len));
		cs_model_free(&back);
		cs_model_init(&back);
		FUZZ_CHECK(cs_model_load_bsfile(&back, a.data, a.len, &ei) == 0);
	}
	json_decref(records);
	json_decref(versions);
	cs_buf_free(&a);
	cs_buf_free(&b);
	cs_model_free(&back);
	cs_model_free(&m);
	return 0;
}
