/* SPDX-License-Identifier: MIT */
/* A DODF (cs_pkcs15_parse_dodf) and the choice of the bootstrap entry. */
#include <string.h>

#include "cardstrap/pkcs15.h"
#include "common.h"
#include "pkcs15_check.h"

#define MAX_OBJS 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cs_pkcs15_dataobj objs[MAX_OBJS];
	struct cs_errinfo ei;
	size_t n = 0;
	int err, k;

	cs_errinfo_clear(&ei);
	err = cs_pkcs15_parse_dodf(data, size, objs, MAX_OBJS, &n, &ei);
	check_parse_result(err, &ei, size, 0, n, MAX_OBJS);
	for (size_t i = 0; i < n; i++) {
		const struct cs_pkcs15_dataobj *o = &objs[i];

		check_label(o->label, sizeof(o->label));
		check_label(o->application_name, sizeof(o->application_name));
		FUZZ_CHECK(o->auth_id_len <= sizeof(o->auth_id));
		FUZZ_CHECK(o->path.len <= CS_PKCS15_MAX_PATH);
		FUZZ_CHECK(o->offset < size);
		FUZZ_CHECK(o->lwm2m >= CS_OID_NONE && o->lwm2m <= CS_OID_APPLICATION_WRAPPED);
	}
	k = cs_pkcs15_find_bootstrap(objs, n);
	if (k >= 0) {
		FUZZ_CHECK((size_t)k < n && objs[k].lwm2m != CS_OID_NONE && objs[k].path.len);
		for (int i = 0; i < k; i++)
			FUZZ_CHECK(objs[i].lwm2m == CS_OID_NONE || !objs[i].path.len);
	} else {
		FUZZ_CHECK(k == CS_ERR_NO_BOOTSTRAP);
		for (size_t i = 0; i < n; i++)
			FUZZ_CHECK(objs[i].lwm2m == CS_OID_NONE || !objs[i].path.len);
	}
	return 0;
}
