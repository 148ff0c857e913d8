/* SPDX-License-Identifier: MIT */
/* EF.DIR application templates (cs_pkcs15_parse_dir), as records and as a whole file. */
#include "cardstrap/pkcs15.h"
#include "common.h"
#include "pkcs15_check.h"

#define MAX_APPS 4

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cs_pkcs15_app apps[MAX_APPS];
	struct cs_errinfo ei;
	size_t n = 0, before;
	int err;

	/* the first byte splits the input in two records, appended to one array */
	size_t cut = size ? data[0] % (size + 1) : 0;

	for (int pass = 0; pass < 2; pass++) {
		const uint8_t *p = pass ? data + cut : data;
		size_t len = pass ? size - cut : cut;

		before = n;
		cs_errinfo_clear(&ei);
		err = cs_pkcs15_parse_dir(p, len, apps, MAX_APPS, &n, &ei);
		check_parse_result(err, &ei, len, before, n, MAX_APPS);
	}
	for (size_t i = 0; i < n; i++) {
		FUZZ_CHECK(apps[i].aid_len >= 1 && apps[i].aid_len <= CS_PKCS15_MAX_AID);
		FUZZ_CHECK(apps[i].path_len <= CS_PKCS15_MAX_PATH);
		check_label(apps[i].label, sizeof(apps[i].label));
		(void)cs_pkcs15_app_is_pkcs15(&apps[i]);
	}
	n = 0;
	err = cs_pkcs15_parse_dir(data, size, apps, MAX_APPS, &n, &ei);
	check_parse_result(err, &ei, size, 0, n, MAX_APPS);
	n = 0;
	err = cs_pkcs15_parse_dir(data, size, NULL, 0, &n, &ei);
	check_parse_result(err, &ei, size, 0, n, 0);
	return 0;
}
