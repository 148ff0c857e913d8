/* SPDX-License-Identifier: MIT */
/*
 * EF LwM2M_Bootstrap framing (cs_bsfile_parse). What parses is built again
 * with cs_bsfile_build, which must give back exactly the bytes before the
 * padding: the format has one encoding per record list.
 */
#include <string.h>

#include "cardstrap/bsfile.h"
#include "common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cs_bsfile f;
	struct cs_buf b = {0};
	struct cs_errinfo ei;
	size_t end, pos = 4;
	int err;

	cs_errinfo_clear(&ei);
	err = cs_bsfile_parse(data, size, &f, &ei);
	if (err) {
		fuzz_check_error(err, &ei, size);
		FUZZ_CHECK(err == CS_ERR_TRUNCATED || err == CS_ERR_MALFORMED ||
			   err == CS_ERR_LIMIT);
		FUZZ_CHECK(f.rec == NULL);
		return 0;
	}
	end = 4 + (size_t)f.size;
	FUZZ_CHECK(end <= size && end <= CS_BSFILE_MAX_SIZE);
	FUZZ_CHECK(f.padding == size - end);
	FUZZ_CHECK(f.nobj == 0 || f.rec != NULL);
	for (size_t i = 0; i < f.nobj; i++) {
		const struct cs_bsfile_record *r = &f.rec[i];

		FUZZ_CHECK(r->offset == pos);
		FUZZ_CHECK(r->tlv_offset == pos + (r->ver_major ? 6 : 5));
		FUZZ_CHECK(r->tlv == data + r->tlv_offset);
		FUZZ_CHECK(r->tlv_offset + r->tlv_len <= end);
		FUZZ_CHECK(r->ver_major || !r->ver_minor);
		pos = r->tlv_offset + r->tlv_len;
	}
	FUZZ_CHECK(pos == end);
	for (size_t i = end; i < size && f.padding_all_ff; i++)
		FUZZ_CHECK(data[i] == 0xFF);

	FUZZ_CHECK(cs_bsfile_build(f.rec, f.nobj, &b, &ei) == 0);
	FUZZ_CHECK(b.len == end && !memcmp(b.data, data, end));
	cs_buf_free(&b);
	cs_bsfile_free(&f);
	return 0;
}
