/* SPDX-License-Identifier: MIT */
#ifndef CARDSTRAP_VALIDATE_H
#define CARDSTRAP_VALIDATE_H

#include <stddef.h>
#include <stdint.h>

#include "cardstrap/compiler.h"
#include "cardstrap/model.h"

/*
 * Decides whether bootstrap information is safe to inject. Every finding is
 * a diagnostic; any error means nothing may be injected.
 */

enum cs_severity {
	CS_SEV_ERROR = 0,
	CS_SEV_WARNING = 1,
};

struct cs_diag {
	enum cs_severity severity;
	int32_t oid, iid, rid;	/* the /O/I/R path; -1 for levels that do not apply */
	long offset;		/* byte offset in the source file, -1 when unknown */
	char message[240];	/* plain English, never a secret value */
};

struct cs_diags {
	struct cs_diag *items;
	size_t n, cap;
	size_t errors, warnings;
};

void cs_diags_init(struct cs_diags *d);
void cs_diags_free(struct cs_diags *d);
/* Appends one diagnostic (message truncated to fit). 0 or CS_ERR_NOMEM. */
int cs_diags_add(struct cs_diags *d, enum cs_severity sev, int32_t oid, int32_t iid, int32_t rid,
		 long offset, const char *fmt, ...) CS_PRINTF(7, 8);

/*
 * Formats one diagnostic as "error: /0/1/10 (byte 57): Short Server ID 0 is
 * outside 1..65534". Returns what snprintf returns.
 */
int cs_diag_format(const struct cs_diag *dg, char *buf, size_t n);

/* "/0/1/10", "/0/1", "/0" or "/" into buf. */
int cs_diag_path(const struct cs_diag *dg, char *buf, size_t n);

/*
 * Runs every check below over m and appends findings to
 * out (initialised by the caller):
 *  - structure (every object): Object/Instance/Resource/Resource Instance
 *    ID 65535 is reserved → error; an instance written again by a later
 *    record of the same object → warning (the later one counts for the
 *    account checks below). Objects other than 0/1/2 get no other checks;
 *  - per resource of 0/1/2: known type → value width/format (integers
 *    1/2/4/8, floats 4/8, booleans exactly 0/1, objlnk 4, strings valid
 *    UTF-8 without NUL), ranges from the definitions, single/multiple as
 *    defined; resources the declared object version does not define →
 *    warning (implicit version 0: latest definitions, no such warnings; a
 *    version newer than known → warning, checked as the latest); unknown
 *    resource → warning; a value for an executable resource → warning;
 *  - mandatory resources present (3/4/5 that the Security Mode makes
 *    meaningless, e.g. NoSec, are warnings only); /0/x/10 when /0/x/1 is
 *    false;
 *  - SSID 1..65534 and unique among Security and among Server instances;
 *    every non-BS Security has a Server partner with the same SSID and vice
 *    versa; at most one Bootstrap-Server account; at least one server account
 *    or a Bootstrap-Server account;
 *  - Security Mode ↔ URI scheme (coap/coap+tcp ↔ NoSec, coaps/coaps+tcp ↔
 *    the others; the URI needs a scheme and a host; +tcp needs object 1.1,
 *    mqtt/http 1.2 → warnings) ↔ key material: PSK identity (≤128 bytes) and
 *    key (≤64, <16 → warning); RPK public/private keys parse with mbedtls_pk
 *    and match; X.509 certificates parse with mbedtls_x509_crt (expired or
 *    not yet valid → warning) and the private key matches; Matching Type
 *    1/2/3 makes /0/x/4 a 32/48/64-byte hash; /0/x/8 is 16, 32 or 48 bytes;
 *  - Binding letters valid for the object version (1.0: U, UQ, S, SQ, US,
 *    UQS; 1.1: U T S N; 1.2: also M H; Q after 1.0 → warning); Preferred
 *    Transport one such letter;
 *  - Access Control: object id 1..65534, instance id 0..65535, ACL values
 *    0..31 and resource instance ids (SSIDs) that exist in m (0 = default
 *    entry), owner an existing SSID or 65535; Create in an instance-level
 *    ACL or an object-level ACL not owned by 65535 → warning.
 * Messages never quote secret values (cs_resource_is_secret).
 * Returns 0 when this call added no errors, CS_ERR_INVALID when it added at
 * least one, CS_ERR_NOMEM when diagnostics could not be recorded.
 */
int cs_validate(const struct cs_model *m, struct cs_diags *out);

#endif
