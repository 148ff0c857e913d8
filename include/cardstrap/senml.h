/* SPDX-License-Identifier: MIT */
#ifndef CARDSTRAP_SENML_H
#define CARDSTRAP_SENML_H

#include <jansson.h>

#include "cardstrap/error.h"
#include "cardstrap/model.h"

/*
 * SenML-JSON (RFC 8428), LwM2M Content-Format 110 (Core TS §7.4.4).
 *
 * Output: one record per resource (or resource instance), names "/O/I/R"
 * (or "/O/I/R/RI") given as bn "/O/I/" on the first record of each instance
 * plus n "R" (or "R/RI"). Values by type from the object definitions:
 * strings/corelnk "vs", integers/unsigned/time/float "v", booleans "vb",
 * opaque "vd" (base64url, no padding), objlnk "vlo" ("O:I"). Values of
 * unknown resources are written as "vd". Secrets (cs_resource_is_secret)
 * are replaced by {"n": ..., "secret": <length in bytes>} unless
 * CS_SENML_SHOW_SECRETS is given; the value then never appears.
 *
 * Records follow the model's order. What SenML cannot say exactly:
 * - bytes that do not fit the resource's type (an integer of width 3, a
 *   string that is not UTF-8, a NaN float) are written as "vd" with the raw
 *   bytes, so nothing is lost (cs_senml_to_model refuses them back);
 * - unsigned values above INT64_MAX are JSON reals (jansson integers are
 *   int64), so they are not exact;
 * - a multiple resource with zero instances, an instance without
 *   resources and an object record without instances have no record and
 *   are left out; several object records with the same id come back as one;
 * - integers and floats are re-encoded in their shortest TLV width on input.
 */

#define CS_SENML_CONTENT_FORMAT 110

#define CS_SENML_SHOW_SECRETS 0x1u

/* The whole model as a SenML array. New reference, NULL when out of memory. */
json_t *cs_senml_from_model(const struct cs_model *m, unsigned flags);

/* One object record's instances (payload of PUT /O with pct=110). */
json_t *cs_senml_from_object(const struct cs_object *o, unsigned flags);

/* One instance (payload of PUT /O/I). */
json_t *cs_senml_from_instance(uint16_t oid, const struct cs_instance *i, unsigned flags);

/*
 * Object versions are not part of SenML; they travel beside it as
 * [{"id": 0, "version": "1.1"}, ...] (implicit versions have no "version"),
 * one entry per object id with the version of its first object record.
 */
json_t *cs_senml_versions(const struct cs_model *m);

/*
 * SenML array → model (initialised, empty). Names may be split between bn
 * and n; bn carries over to following records (RFC 8428 §4.5). Types come
 * from the object definitions (value field must match: a string resource
 * needs "vs", and so on; integers must be whole and in range); for unknown
 * resources: "vs" string, "vb" boolean, "vd" opaque, "vlo" objlnk, whole
 * "v" integer, other "v" float. Records are grouped into one object record
 * per object id in first-seen order, instances and resources in first-seen
 * order. `versions` (may be NULL) gives object versions as produced by
 * cs_senml_versions(); entries for object ids without records are ignored,
 * an object id listed twice is an error. A masked secret record is an error
 * that says so.
 *
 * Each record needs exactly one value field ("v", "vs", "vb", "vd", "vlo"),
 * a name /O/I/R or /O/I/R/RI with decimal ids 0..65534 (MAX_ID is
 * reserved), a resource instance id exactly when the resource is defined
 * (or first seen) as multiple, and may name a resource or resource instance
 * only once. "bv" is added to "v" (RFC 8428 §4.5.1). Unknown fields are
 * ignored except those ending in "_" (RFC 8428 §4.4), which are errors.
 * Errors are CS_ERR_MALFORMED (CS_ERR_NOMEM when out of memory); they name
 * the 0-based record index (ei->offset = index) and the path ("record 3
 * (/0/1/5): ..."), versions errors the entry index. On error m is left
 * empty.
 */
int cs_senml_to_model(const json_t *records, const json_t *versions, struct cs_model *m,
		      struct cs_errinfo *ei);

/*
 * Parses text that is either a SenML array or an object with a "senml"
 * member (and optionally "objects" versions), as printed by
 * `cardstrap decode --json`. Duplicate keys are rejected. JSON syntax
 * errors are CS_ERR_MALFORMED with ei->offset = byte offset and the line
 * and column in the message. Integers beyond int64 are JSON syntax errors
 * (jansson).
 */
int cs_senml_parse(const char *text, size_t len, struct cs_model *m, struct cs_errinfo *ei);

#endif
