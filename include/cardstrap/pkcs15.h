/* SPDX-License-Identifier: MIT */
#ifndef CARDSTRAP_PKCS15_H
#define CARDSTRAP_PKCS15_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cardstrap/buf.h"
#include "cardstrap/error.h"

/*
 * PKCS#15 structures that lead to EF LwM2M_Bootstrap (Core TS Appendix G.1,
 * G.3.1, G.3.2; PKCS#15 v1.1). Pure functions over bytes; DER is read
 * with mbedtls' ASN.1 reader and written with its ASN.1 writer.
 */

/* A0 00 00 00 63 "PKCS-15" */
extern const uint8_t CS_PKCS15_AID[12];
/* 2.23.43.9.1, DER content bytes */
extern const uint8_t CS_LWM2M_BOOTSTRAP_OID[4];

#define CS_PKCS15_MAX_AID 16
#define CS_PKCS15_MAX_PATH 16
#define CS_PKCS15_MAX_LABEL 64

/*
 * Common rules of the three parsers below:
 * - Append semantics: *n is the number of elements already in the array
 *   (0 at first), max its capacity. New entries go to [*n], *n grows. Entries
 *   beyond max are still checked but not stored. *n > max is CS_ERR_ARG.
 *   So several DODFs (in ODF priority order) can fill one array.
 * - An FF byte where a tag is expected ends the data (padding, ISO 7816-4), whatever
 *   follows; so do 00 bytes when only 00 bytes follow. Empty input is 0.
 * - Errors: CS_ERR_TRUNCATED when a top-level element runs past len,
 *   CS_ERR_MALFORMED for wrong tags/lengths inside, CS_ERR_LIMIT when a value
 *   does not fit its field. ei->offset is the offset of the offending tag in
 *   buf, ei->msg reads "DODF entry 2 at offset 41: label is not a UTF8String
 *   (tag 13)" (entries counted from 1, all top-level elements counted).
 * - Labels are informational text from the card: cut to CS_PKCS15_MAX_LABEL
 *   bytes at a UTF-8 character boundary; control bytes and invalid UTF-8 are
 *   replaced by '?'.
 */

/* One EF.DIR application template (61 { 4F AID, 50 label, 51 path }). */
struct cs_pkcs15_app {
	uint8_t aid[CS_PKCS15_MAX_AID];
	size_t aid_len;
	uint8_t path[CS_PKCS15_MAX_PATH];
	size_t path_len;			/* 0 when absent */
	char label[CS_PKCS15_MAX_LABEL + 1];	/* "" when absent */
};

/*
 * Parses the application templates in buf: one EF.DIR record (call once per
 * record of a linear fixed EF.DIR), or a whole transparent EF.DIR. Other
 * top-level tags and template elements (73 DDO, ...) are skipped; templates
 * without a 4F AID are skipped. An AID or path of 0 or more than 16 bytes is
 * CS_ERR_MALFORMED.
 */
int cs_pkcs15_parse_dir(const uint8_t *buf, size_t len, struct cs_pkcs15_app *apps, size_t max,
			size_t *n, struct cs_errinfo *ei);

/* True when app's AID is the PKCS#15 AID (prefix A0 00 00 00 63 50 4B 43 53 2D 31 35). */
bool cs_pkcs15_app_is_pkcs15(const struct cs_pkcs15_app *app);

/* A PKCS15Path: FID path, with optional index/length. */
struct cs_pkcs15_path {
	uint8_t path[CS_PKCS15_MAX_PATH];
	size_t len;
	bool has_range;
	uint32_t index, length;
};

/*
 * Parses EF ODF and collects the dataObjects [7] (A7) paths, in file order
 * (= priority order). Other PKCS15Objects choices are skipped. Only the
 * `path` form of PKCS15PathOrObjects is used; [0] objects and the protected
 * forms are skipped. Returns 0 (possibly with no path added) or an error.
 */
int cs_pkcs15_parse_odf(const uint8_t *buf, size_t len, struct cs_pkcs15_path *dodf, size_t max,
			size_t *n, struct cs_errinfo *ei);

enum cs_pkcs15_oid_match {
	CS_OID_NONE = 0,
	CS_OID_ID,		/* PKCS15OidDO.id = 2.23.43.9.1 */
	CS_OID_ID_WRAPPED,	/* PKCS15OidDO.id holds 06 04 67 2B 09 01 (the double-wrapped variant) */
	CS_OID_APPLICATION,	/* CommonDataObjectAttributes.applicationOID (2017 App. G.3.2) */
	CS_OID_APPLICATION_WRAPPED,
};

/* One DODF entry (opaqueDO 30 or oidDO A1; others are skipped). */
struct cs_pkcs15_dataobj {
	char label[CS_PKCS15_MAX_LABEL + 1];		/* CommonObjectAttributes.label, or "" */
	char application_name[CS_PKCS15_MAX_LABEL + 1];	/* CommonDataObjectAttributes, or "" */
	bool private_obj;	/* CommonObjectAttributes.flags bit 0 */
	bool modifiable;	/* bit 1 */
	uint8_t auth_id[16];
	size_t auth_id_len;
	enum cs_pkcs15_oid_match lwm2m;	/* how it matched the LwM2M bootstrap OID */
	bool oid_do;			/* tag A1 (oidDO) rather than 30 (opaqueDO) */
	struct cs_pkcs15_path path;	/* path.len 0 when the object carries no path */
	size_t offset;			/* offset of the entry in the DODF */
};

/*
 * Parses a DODF (Core TS App. G.3.2). opaqueDO (30) and oidDO (A1) entries
 * are stored; other PKCS15Data choices (A0 externalIDO, ...) are skipped. typeAttributes [1] of
 * an oidDO holds PKCS15OidDO { id, value } (an implicitly tagged PKCS15OidDO,
 * starting with the id, is accepted too); of an opaqueDO, the value. The
 * value gives the path when it is a Path (30 { 04 [02 80] }) or a bare
 * OCTET STRING; other values (direct [0], URL) leave path.len 0. lwm2m says
 * whether id or applicationOID has content 67 2B 09 01 or 06 04 67 2B 09 01
 * (the double-wrapped form: OMA_LwM2M_for_Developers issue #532); a match
 * on the id wins over one on applicationOID.
 */
int cs_pkcs15_parse_dodf(const uint8_t *buf, size_t len, struct cs_pkcs15_dataobj *objs, size_t max,
			 size_t *n, struct cs_errinfo *ei);

/*
 * Index of the first entry that matched the LwM2M OID and has a path (G.1:
 * DODF order, never the label), or CS_ERR_NO_BOOTSTRAP; CS_ERR_ARG when objs
 * is NULL and n is not 0.
 */
int cs_pkcs15_find_bootstrap(const struct cs_pkcs15_dataobj *objs, size_t n);

/*
 * Builders, used by `cardstrap mkcard` and tests. They append DER to out and
 * return 0, CS_ERR_ARG (bad sizes: AID 1..16, path 1..16 bytes, label at most
 * CS_PKCS15_MAX_LABEL bytes of valid UTF-8, authId at most 16 bytes),
 * CS_ERR_RANGE or CS_ERR_NOMEM. Nothing is appended on error.
 */

/* 61 { 4F aid, [50 label], [51 path] }; label NULL or "" and path_len 0 omit them. */
int cs_pkcs15_build_dir_record(const uint8_t *aid, size_t aid_len, const char *label,
			       const uint8_t *path, size_t path_len, struct cs_buf *out);
/*
 * ODF with one dataObjects [7] Path per entry, in the given order; index and
 * length are written when has_range (both at most INT32_MAX, else
 * CS_ERR_RANGE). One path 6430 gives A7 06 30 04 04 02 64 30.
 */
int cs_pkcs15_build_odf(const struct cs_pkcs15_path *dodf, size_t n, struct cs_buf *out);
/*
 * A DODF oidDO entry for the bootstrap file:
 *   A1 { 30 { [0C label] [03 flags] [04 authId] }   CommonObjectAttributes
 *        30 00                                       CommonDataObjectAttributes
 *        A1 { 30 { 06 id, 30 { 04 path } } } }       PKCS15OidDO
 * label NULL or "", no flag and auth_id_len 0 give an empty `30 00`. flags is
 * the named BIT STRING of PKCS#15 (03 02 07 80 private, 03 02 06 40 modifiable,
 * 03 02 06 C0 both). id is 06 04 67 2B 09 01, or 06 06 06 04 67 2B 09 01
 * (the double-wrapped id of the Nordic sdk-nrf uicc_lwm2m DODF) when wrapped_oid.
 */
int cs_pkcs15_build_dodf_entry(const char *label, bool private_obj, bool modifiable,
			       const uint8_t *auth_id, size_t auth_id_len, bool wrapped_oid,
			       const uint8_t *path, size_t path_len, struct cs_buf *out);

#endif
