/* SPDX-License-Identifier: MIT */
/* The FCP template of a SELECT answer (cs_fcp_parse) and what is read from it. */
#include "cardstrap/uicc.h"
#include "common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cs_fcp f;
	struct cs_errinfo ei;
	uint8_t ref;
	int err;

	cs_errinfo_clear(&ei);
	err = cs_fcp_parse(data, size, &f, &ei);
	if (err) {
		fuzz_check_error(err, &ei, size);
		FUZZ_CHECK(err == CS_ERR_TRUNCATED || err == CS_ERR_MALFORMED ||
			   err == CS_ERR_LIMIT);
		return 0;
	}
	FUZZ_CHECK(size >= 2 && data[0] == 0x62);
	FUZZ_CHECK(f.aid_len <= CS_UICC_MAX_AID);
	FUZZ_CHECK(f.nkey_refs <= CS_UICC_MAX_KEYREFS);
	FUZZ_CHECK(f.ps_do_len <= sizeof(f.ps_do));
	FUZZ_CHECK(f.sfi >= -1 && f.sfi <= 30);
	(void)cs_fcp_is_df(&f);
	(void)cs_fcp_is_transparent(&f);
	for (size_t i = 0; i < 40; i++)
		(void)cs_fcp_key_enabled(&f, i);
	ref = cs_fcp_pin_keyref(&f);
	if (ref) {
		bool listed = false;

		for (size_t i = 0; i < f.nkey_refs; i++)
			listed |= f.key_refs[i] == ref;
		FUZZ_CHECK(listed);
		/* never an ADM reference (0A-0E, 8A-8E) */
		FUZZ_CHECK((ref >= 0x01 && ref <= 0x08) || ref == 0x11 ||
			   (ref >= 0x81 && ref <= 0x88));
	}
	return 0;
}
