/* SPDX-License-Identifier: MIT */
/* EF ODF (cs_pkcs15_parse_odf): the dataObjects paths; what parses is built again and reparsed. */
#include <string.h>

#include "cardstrap/pkcs15.h"
#include "common.h"
#include "pkcs15_check.h"

#define MAX_PATHS 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cs_pkcs15_path paths[MAX_PATHS], again[MAX_PATHS];
	struct cs_buf b = {0};
	struct cs_errinfo ei;
	size_t n = 0, n2 = 0;
	int err;

	cs_errinfo_clear(&ei);
	err = cs_pkcs15_parse_odf(data, size, paths, MAX_PATHS, &n, &ei);
	check_parse_result(err, &ei, size, 0, n, MAX_PATHS);
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK(paths[i].len <= CS_PKCS15_MAX_PATH);
	if (err || !n)
		return 0;
	/* the builder writes what the parser read (paths of 1..16 bytes, ranges to INT32_MAX) */
	for (size_t i = 0; i < n; i++)
		if (!paths[i].len || (paths[i].has_range &&
				      (paths[i].index > INT32_MAX || paths[i].length > INT32_MAX)))
			return 0;
	FUZZ_CHECK(cs_pkcs15_build_odf(paths, n, &b) == 0);
	FUZZ_CHECK(cs_pkcs15_parse_odf(b.data, b.len, again, MAX_PATHS, &n2, &ei) == 0);
	FUZZ_CHECK(n2 == n);
	for (size_t i = 0; i < n; i++) {
		FUZZ_CHECK(again[i].len == paths[i].len &&
			   !memcmp(again[i].path, paths[i].path, paths[i].len));
		FUZZ_CHECK(again[i].has_range == paths[i].has_range);
		FUZZ_CHECK(!paths[i].has_range || (again[i].index == paths[i].index &&
						   again[i].length == paths[i].length));
	}
	cs_buf_free(&b);
	return 0;
}
