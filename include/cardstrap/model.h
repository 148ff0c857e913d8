/* SPDX-License-Identifier: MIT */
#ifndef CARDSTRAP_MODEL_H
#define CARDSTRAP_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cardstrap/buf.h"
#include "cardstrap/error.h"

/*
 * The bootstrap information: objects → instances → resources (single or
 * multiple), each object with the version it was stored with.
 *
 * Values are kept as their raw TLV value bytes, so objects and resources
 * this library does not know pass through unchanged; typed access goes
 * through the object definitions (cs_objdef) and the views below.
 * Every value buffer holds one extra NUL byte after `len` so that string
 * values can be used as C strings (check for embedded NULs first).
 * All value memory is zeroized on free: card data holds keys.
 */

struct cs_value {
	uint8_t *data;	/* len bytes + a NUL; NULL only when len is 0 and never set */
	size_t len;
};

struct cs_res_inst {
	uint16_t id;
	struct cs_value v;
	long offset;	/* offset of its TLV entry in the source file, -1 if none */
};

struct cs_resource {
	uint16_t id;
	bool multiple;			/* a Multiple Resource (TLV kind 2) */
	struct cs_value v;		/* when !multiple */
	struct cs_res_inst *inst;	/* when multiple; may be 0 instances */
	size_t ninst;
	long offset;
};

struct cs_instance {
	uint16_t id;
	struct cs_resource *res;
	size_t nres;
	long offset;
};

/*
 * One object record. A file may hold the same object id in several
 * records (processed in order, as successive writes); the model keeps the
 * records as they were.
 */
struct cs_object {
	uint16_t id;
	uint8_t ver_major;	/* 0 = implicit version */
	uint8_t ver_minor;
	struct cs_instance *inst;
	size_t ninst;
	long offset;
};

struct cs_model {
	struct cs_object *obj;
	size_t nobj;
};

void cs_model_init(struct cs_model *m);
void cs_model_free(struct cs_model *m);	/* zeroizes every value */

/*
 * Parses EF LwM2M_Bootstrap bytes (bsfile) and the TLV of every record into
 * m (which must be initialised and empty). Strict OMA-TLV: the top level of
 * a record holds only Object Instance entries, an instance only Resource and
 * Multiple Resource entries, a Multiple Resource only Resource Instances;
 * container lengths must add up exactly; duplicate instance ids within a
 * record, duplicate resource ids within an instance and duplicate resource
 * instance ids are errors. Errors carry the absolute file offset. On error m
 * is left empty. CS_ERR_ARG (m untouched) when m is not empty.
 */
int cs_model_load_bsfile(struct cs_model *m, const uint8_t *buf, size_t len, struct cs_errinfo *ei);

/*
 * Decodes one object's Object Instance TLVs (the payload of PUT /O) into a
 * new object record appended to m. base = absolute offset of tlv[0].
 * Same rules as above; on error m is unchanged.
 */
int cs_model_load_object_tlv(struct cs_model *m, uint16_t oid, uint8_t ver_major, uint8_t ver_minor,
			     const uint8_t *tlv, size_t len, size_t base, struct cs_errinfo *ei);

/*
 * Builders (copy the bytes they are given; v may be NULL when len is 0).
 * Return NULL on out of memory, and cs_resource_add_instance also when r is
 * not a Multiple Resource. A returned pointer points into its parent's
 * array and stays valid until the next add to the same parent. No
 * duplicate checks: the caller keeps ids unique.
 */
struct cs_object *cs_model_add_object(struct cs_model *m, uint16_t oid, uint8_t ver_major,
				      uint8_t ver_minor);
struct cs_instance *cs_object_add_instance(struct cs_object *o, uint16_t iid);
struct cs_resource *cs_instance_add_resource(struct cs_instance *i, uint16_t rid,
					     const uint8_t *v, size_t len);
struct cs_resource *cs_instance_add_multiple(struct cs_instance *i, uint16_t rid);
struct cs_res_inst *cs_resource_add_instance(struct cs_resource *r, uint16_t riid,
					     const uint8_t *v, size_t len);

/* Lookups; NULL when absent. cs_model_find_object returns the first record. */
struct cs_object *cs_model_find_object(const struct cs_model *m, uint16_t oid);
struct cs_instance *cs_object_find_instance(const struct cs_object *o, uint16_t iid);
struct cs_resource *cs_instance_find_resource(const struct cs_instance *i, uint16_t rid);

/* Appends the Object Instance TLVs of o (the payload of PUT /O). */
int cs_model_encode_object_tlv(const struct cs_object *o, struct cs_buf *out);
/* Appends the Resource / Multiple Resource TLVs of i (the payload of PUT /O/I). */
int cs_model_encode_instance_tlv(const struct cs_instance *i, struct cs_buf *out);

/* Appends a whole EF LwM2M_Bootstrap (shortest TLV encodings, no padding).
 * CS_ERR_LIMIT when a record's TLV exceeds 65535 bytes or the file 32767. */
int cs_model_to_bsfile(const struct cs_model *m, struct cs_buf *out, struct cs_errinfo *ei);

/* Deep copy of src into dst (initialised, empty). On CS_ERR_NOMEM dst is left empty. */
int cs_model_copy(struct cs_model *dst, const struct cs_model *src);

#endif
