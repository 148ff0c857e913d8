/* SPDX-License-Identifier: MIT */
#ifndef CARDSTRAP_ERROR_H
#define CARDSTRAP_ERROR_H

#include <stddef.h>

#include "cardstrap/compiler.h"

/*
 * Every libcardstrap function that can fail returns 0 or one of these
 * negative codes. cs_strerror() names them; struct cs_errinfo carries the
 * details (what, where) of one failure for messages a technician can act on.
 */
enum cs_err {
	CS_OK = 0,
	CS_ERR_NOMEM = -1,		/* out of memory */
	CS_ERR_ARG = -2,		/* invalid argument */
	CS_ERR_TRUNCATED = -3,		/* data ends before a length says it should */
	CS_ERR_MALFORMED = -4,		/* bytes do not follow the format */
	CS_ERR_RANGE = -5,		/* a value outside its allowed range */
	CS_ERR_NOT_FOUND = -6,		/* a looked-up item does not exist */
	CS_ERR_INVALID = -7,		/* validation found at least one error */
	CS_ERR_IO = -8,			/* reading or writing a file failed */
	CS_ERR_UNSUPPORTED = -9,	/* a feature or format we do not handle */
	CS_ERR_LIMIT = -10,		/* a size limit was exceeded */
	CS_ERR_PERM = -11,		/* file permissions unsafe or access denied */

	/* card access */
	CS_ERR_NO_SERVICE = -20,	/* PC/SC service (pcscd) not running */
	CS_ERR_NO_READER = -21,		/* no (matching) card reader */
	CS_ERR_NO_CARD = -22,		/* reader has no card */
	CS_ERR_CARD_REMOVED = -23,	/* card vanished during the operation */
	CS_ERR_CARD_RESET = -24,	/* card was reset by another application */
	CS_ERR_TRANSPORT = -25,		/* other transport failure */
	CS_ERR_SW = -26,		/* card answered an unexpected status word */
	CS_ERR_FILE_NOT_FOUND = -27,	/* 6A82 */
	CS_ERR_SECURITY_STATUS = -28,	/* 6982: security status not satisfied */
	CS_ERR_PIN_WRONG = -29,		/* 63Cx after VERIFY */
	CS_ERR_PIN_BLOCKED = -30,	/* 6983 */
	CS_ERR_PIN_REFUSED = -31,	/* we refuse to try: at most one try left */
	CS_ERR_PIN_REQUIRED = -32,	/* a PIN is needed but none was given */
	CS_ERR_NO_PKCS15 = -33,		/* card has no PKCS#15 application */
	CS_ERR_NO_BOOTSTRAP = -34,	/* no LwM2M bootstrap object in the DODF */

	/* secure channel */
	CS_ERR_SCP03_CRYPTOGRAM = -40,	/* card cryptogram mismatch (wrong keys) */
	CS_ERR_SCP03_MAC = -41,		/* response MAC mismatch */
	CS_ERR_SCP03_UNSUPPORTED = -42,	/* card does not offer SCP03 */

	/* injection */
	CS_ERR_NETWORK = -50,		/* socket or CoAP failure */
	CS_ERR_TIMEOUT = -51,		/* peer did not answer in time */
	CS_ERR_REJECTED = -52,		/* client rejected an operation (4.xx/5.xx) */
	CS_ERR_INCONSISTENT = -53,	/* client answered Finish with 4.06 */
	CS_ERR_CANCELLED = -54,		/* stopped by a signal or the caller */
};

/* A short English name for an error code ("data truncated"). Never NULL. */
const char *cs_strerror(int err);

/*
 * Details of one failure. offset is the byte offset in the input the
 * failure refers to, or -1 when there is none. msg never holds secrets.
 */
struct cs_errinfo {
	int code;
	long offset;
	char msg[256];
};

/*
 * Fills ei (when not NULL) with code, offset and a printf-style message and
 * returns code, so that parsers can write `return cs_error(ei, ...);`.
 */
int cs_error(struct cs_errinfo *ei, int code, long offset, const char *fmt, ...)
	CS_PRINTF(4, 5);

/* Resets ei to "no error" (code 0, offset -1, empty message). */
void cs_errinfo_clear(struct cs_errinfo *ei);

#endif
