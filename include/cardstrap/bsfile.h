/* SPDX-License-Identifier: MIT */
#ifndef CARDSTRAP_BSFILE_H
#define CARDSTRAP_BSFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cardstrap/buf.h"
#include "cardstrap/error.h"

/*
 * EF LwM2M_Bootstrap (Core TS Appendix G.3.3):
 *
 *   nobj(2) size(2) { object_id(2) version(1|2) length(2) tlv(length) }*  [FF padding]
 *
 * size counts the object records only, not the 4 header bytes.
 */

#define CS_BSFILE_MAX_SIZE 32767 /* READ BINARY offsets are 15 bits */

struct cs_bsfile_record {
	uint16_t object_id;
	uint8_t ver_major;	/* 0 = implicit version (one 0x00 byte on the card) */
	uint8_t ver_minor;
	const uint8_t *tlv;	/* points into the parsed buffer */
	size_t tlv_len;
	size_t offset;		/* offset of object_id in the file */
	size_t tlv_offset;	/* offset of the first TLV byte in the file */
};

struct cs_bsfile {
	uint16_t nobj;
	uint16_t size;
	struct cs_bsfile_record *rec;	/* nobj entries, allocated */
	size_t padding;			/* bytes after 4 + size */
	bool padding_all_ff;		/* every padding byte is 0xFF */
};

/*
 * Parses the header and the object records of buf[0..len). Does not look
 * inside the TLV payloads. Checks: 4 + size <= len; the records exactly
 * fill size; their count equals nobj; every length fits in what is left.
 * On error returns CS_ERR_TRUNCATED/CS_ERR_MALFORMED/CS_ERR_LIMIT with
 * ei->offset at the offending field. out->rec points into buf, so buf must
 * outlive out. Free with cs_bsfile_free().
 * TRUNCATED: the file is shorter than its header or 4 + size. MALFORMED: the
 * records do not fit size / nobj (offset of the record field, or 0 for nobj
 * when the object data ends early), or the header is FF FF FF FF (erased
 * EF). LIMIT: 4 + size > 32767. Padding bytes are reported, never an error.
 */
int cs_bsfile_parse(const uint8_t *buf, size_t len, struct cs_bsfile *out, struct cs_errinfo *ei);

void cs_bsfile_free(struct cs_bsfile *f);

/*
 * Appends a complete file (header + records, no padding) for n records.
 * The version is written as one 0x00 byte when ver_major is 0, otherwise
 * as two bytes. CS_ERR_LIMIT when the result would exceed 32767 bytes or a
 * field would overflow.
 */
int cs_bsfile_build(const struct cs_bsfile_record *rec, size_t n, struct cs_buf *out,
		    struct cs_errinfo *ei);

#endif
