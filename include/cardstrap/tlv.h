/* SPDX-License-Identifier: MIT */
#ifndef CARDSTRAP_TLV_H
#define CARDSTRAP_TLV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cardstrap/buf.h"
#include "cardstrap/error.h"

/* OMA-TLV, application/vnd.oma.lwm2m+tlv (Content-Format 11542), Core TS §7.4.3. */

#define CS_TLV_CONTENT_FORMAT 11542
#define CS_TLV_MAX_VALUE_LEN 0xFFFFFFu /* 24-bit length field */

/* Bits 7-6 of the type byte. */
enum cs_tlv_kind {
	CS_TLV_OBJECT_INSTANCE = 0,
	CS_TLV_RESOURCE_INSTANCE = 1,
	CS_TLV_MULTIPLE_RESOURCE = 2,
	CS_TLV_RESOURCE = 3,
};

/* One decoded entry. value points into the caller's buffer. */
struct cs_tlv {
	enum cs_tlv_kind kind;
	uint16_t id;
	const uint8_t *value;
	size_t len;		/* value length */
	size_t offset;		/* absolute offset of the type byte (base + position) */
	size_t header_len;	/* type + identifier + length field bytes */
};

/*
 * Walks the entries of one nesting level of buf[0..len). `base` is the
 * absolute offset of buf[0] in the caller's input (the EF file, or 0 for a
 * CoAP payload); every offset reported is absolute.
 */
struct cs_tlv_reader {
	const uint8_t *buf;
	size_t len;
	size_t pos;
	size_t base;
};

void cs_tlv_reader_init(struct cs_tlv_reader *r, const uint8_t *buf, size_t len, size_t base);

/*
 * Reads the next entry. Returns 1 and fills e, 0 at the end of the level,
 * or CS_ERR_TRUNCATED (header or value runs past the end) with ei->offset
 * at the entry's type byte. Bits 2-0 of the type byte are ignored when a
 * length field follows (Core TS §7.4.3).
 */
int cs_tlv_read(struct cs_tlv_reader *r, struct cs_tlv *e, struct cs_errinfo *ei);

/* Sets up child to walk the value of a container entry (kinds 0 and 2). */
void cs_tlv_reader_enter(const struct cs_tlv *e, struct cs_tlv_reader *child);

/* Typed values (Core TS Appendix C). All return 0, CS_ERR_MALFORMED (bad
 * length) or CS_ERR_RANGE (boolean other than 0/1). */
int cs_tlv_int_decode(const uint8_t *v, size_t n, int64_t *out);     /* 1, 2, 4, 8 bytes, signed */
int cs_tlv_uint_decode(const uint8_t *v, size_t n, uint64_t *out);   /* 1, 2, 4, 8 bytes */
int cs_tlv_float_decode(const uint8_t *v, size_t n, double *out);    /* binary32 or binary64 */
int cs_tlv_bool_decode(const uint8_t *v, size_t n, bool *out);       /* exactly 1 byte, 0 or 1 */
int cs_tlv_objlnk_decode(const uint8_t *v, size_t n, uint16_t *oid, uint16_t *iid); /* exactly 4 */

/* Shortest encodings; each returns the number of bytes written to out.
 * Floats: ±infinity fits binary32 (4 bytes); a NaN is written as binary64
 * with its bits unchanged. The decoders return NaN and infinities as read. */
size_t cs_tlv_int_encode(int64_t v, uint8_t out[8]);    /* smallest of 1/2/4/8 that holds v signed */
size_t cs_tlv_uint_encode(uint64_t v, uint8_t out[8]);  /* smallest of 1/2/4/8 that holds v unsigned */
size_t cs_tlv_float_encode(double v, uint8_t out[8]);   /* 4 when binary32 holds v exactly, else 8 */
size_t cs_tlv_bool_encode(bool v, uint8_t out[1]);
size_t cs_tlv_objlnk_encode(uint16_t oid, uint16_t iid, uint8_t out[4]);

/* Appends an entry header in its shortest form (8-bit id when id < 256,
 * length in the type byte when len < 8). CS_ERR_LIMIT when len > 2^24-1. */
int cs_tlv_write_header(struct cs_buf *b, enum cs_tlv_kind kind, uint16_t id, size_t len);

/* Appends header and value. */
int cs_tlv_write(struct cs_buf *b, enum cs_tlv_kind kind, uint16_t id, const uint8_t *v, size_t len);

/* Name of a kind for messages ("Resource Instance"). */
const char *cs_tlv_kind_name(enum cs_tlv_kind kind);

#endif
