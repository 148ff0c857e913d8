/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cardstrap/error.h"

const char *cs_strerror(int err)
{
	switch (err) {
	case CS_OK: return "success";
	case CS_ERR_NOMEM: return "out of memory";
	case CS_ERR_ARG: return "invalid argument";
	case CS_ERR_TRUNCATED: return "data truncated";
	case CS_ERR_MALFORMED: return "malformed data";
	case CS_ERR_RANGE: return "value out of range";
	case CS_ERR_NOT_FOUND: return "not found";
	case CS_ERR_INVALID: return "validation failed";
	case CS_ERR_IO: return "input/output error";
	case CS_ERR_UNSUPPORTED: return "not supported";
	case CS_ERR_LIMIT: return "size limit exceeded";
	case CS_ERR_PERM: return "permission problem";
	case CS_ERR_NO_SERVICE: return "PC/SC service not running";
	case CS_ERR_NO_READER: return "no card reader";
	case CS_ERR_NO_CARD: return "no card in the reader";
	case CS_ERR_CARD_REMOVED: return "card removed";
	case CS_ERR_CARD_RESET: return "card was reset";
	case CS_ERR_TRANSPORT: return "card communication failed";
	case CS_ERR_SW: return "unexpected status word from the card";
	case CS_ERR_FILE_NOT_FOUND: return "file not found on the card";
	case CS_ERR_SECURITY_STATUS: return "security status not satisfied";
	case CS_ERR_PIN_WRONG: return "wrong PIN";
	case CS_ERR_PIN_BLOCKED: return "PIN blocked";
	case CS_ERR_PIN_REFUSED: return "PIN not tried: at most one try left";
	case CS_ERR_PIN_REQUIRED: return "PIN required";
	case CS_ERR_NO_PKCS15: return "card has no PKCS#15 application";
	case CS_ERR_NO_BOOTSTRAP: return "card has no LwM2M bootstrap data";
	case CS_ERR_SCP03_CRYPTOGRAM: return "SCP03 card cryptogram mismatch";
	case CS_ERR_SCP03_MAC: return "SCP03 response MAC mismatch";
	case CS_ERR_SCP03_UNSUPPORTED: return "card does not support SCP03";
	case CS_ERR_NETWORK: return "network error";
	case CS_ERR_TIMEOUT: return "timed out";
	case CS_ERR_REJECTED: return "rejected by the client";
	case CS_ERR_INCONSISTENT: return "client found the configuration inconsistent";
	case CS_ERR_CANCELLED: return "cancelled";
	}
	return "unknown error";
}

int cs_error(struct cs_errinfo *ei, int code, long offset, const char *fmt, ...)
{
	if (ei) {
		va_list ap;

		ei->code = code;
		ei->offset = offset;
		va_start(ap, fmt);
		vsnprintf(ei->msg, sizeof(ei->msg), fmt, ap);
		va_end(ap);
	}
	return code;
}

void cs_errinfo_clear(struct cs_errinfo *ei)
{
	if (!ei)
		return;
	ei->code = 0;
	ei->offset = -1;
	ei->msg[0] = '\0';
}
