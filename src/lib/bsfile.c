/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "cardstrap/bsfile.h"

/* object_id(2) + version(1) + length(2): the smallest possible record */
#define MIN_RECORD 5

static uint16_t get_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Parses one record at buf[*pos..end); i counts records from 1 for messages. */
static int parse_record(const uint8_t *buf, size_t *pos, size_t end, size_t i,
			struct cs_bsfile_record *r, struct cs_errinfo *ei)
{
	size_t p = *pos, verw, tlv_len;

	if (end - p < 2)
		return cs_error(
			ei, CS_ERR_MALFORMED, (long)p,
			"object record %zu at offset %zu: object ID runs past the end of the "
			"object data (%zu bytes left)",
			i, p, end - p);
	r->offset = p;
	r->object_id = get_u16(buf + p);
	p += 2;
	if (p == end)
		return cs_error(
			ei, CS_ERR_MALFORMED, (long)p,
			"object record %zu (object %u) at offset %zu: version missing at the "
			"end of the object data",
			i, r->object_id, p);
	/* App. G.3.3: version is one 0x00 byte (implicit) or major(01..FF) minor */
	verw = buf[p] == 0 ? 1 : 2;
	if (end - p < verw)
		return cs_error(ei, CS_ERR_MALFORMED, (long)p,
				"object record %zu (object %u) at offset %zu: version %u.x needs a "
				"minor byte, but the object data ends",
				i, r->object_id, p, buf[p]);
	r->ver_major = buf[p];
	r->ver_minor = verw == 2 ? buf[p + 1] : 0;
	p += verw;
	if (end - p < 2)
		return cs_error(
			ei, CS_ERR_MALFORMED, (long)p,
			"object record %zu (object %u) at offset %zu: length field runs past "
			"the end of the object data (%zu bytes left)",
			i, r->object_id, p, end - p);
	tlv_len = get_u16(buf + p);
	if (tlv_len > end - p - 2)
		return cs_error(
			ei, CS_ERR_MALFORMED, (long)p,
			"object record %zu (object %u) at offset %zu: length %zu runs past the "
			"end of the object data (%zu bytes left)",
			i, r->object_id, p, tlv_len, end - p - 2);
	p += 2;
	r->tlv = buf + p;
	r->tlv_len = tlv_len;
	r->tlv_offset = p;
	*pos = p + tlv_len;
	return 0;
}

int cs_bsfile_parse(const uint8_t *buf, size_t len, struct cs_bsfile *out, struct cs_errinfo *ei)
{
	size_t pos, end, cap, i;
	int err;

	memset(out, 0, sizeof(*out));
	if (len < 4)
		return cs_error(ei, CS_ERR_TRUNCATED, len < 2 ? 0 : 2,
				"file has %zu bytes, too short for the 4-byte header (object count "
				"and size)",
				len);
	out->nobj = get_u16(buf);
	out->size = get_u16(buf + 2);
	if (out->nobj == 0xFFFF && out->size == 0xFFFF)
		return cs_error(ei, CS_ERR_MALFORMED, 0,
				"header is FF FF FF FF: the EF looks erased (never personalised)");
	end = 4 + (size_t)out->size;
	if (end > CS_BSFILE_MAX_SIZE)
		return cs_error(ei, CS_ERR_LIMIT, 2,
				"size %u at offset 2 gives a %zu-byte file, more than the %d bytes "
				"READ BINARY can address",
				out->size, end, CS_BSFILE_MAX_SIZE);
	if (end > len)
		return cs_error(ei, CS_ERR_TRUNCATED, 2,
				"size %u at offset 2 needs %zu bytes, the file has only %zu",
				out->size, end, len);

	/* nobj comes from the card: never allocate more records than size can hold */
	cap = out->nobj < out->size / MIN_RECORD ? out->nobj : out->size / MIN_RECORD;
	if (cap) {
		out->rec = calloc(cap, sizeof(*out->rec));
		if (!out->rec)
			return cs_error(ei, CS_ERR_NOMEM, -1, "out of memory");
	}
	pos = 4;
	for (i = 0; i < out->nobj; i++) {
		/* past cap fewer than MIN_RECORD bytes are left, so parse_record fails there */
		/* cppcheck-suppress uninitvar ; parse_record() writes *r before it reads it */
		struct cs_bsfile_record scratch, *r = i < cap ? &out->rec[i] : &scratch;

		if (pos == end) {
			err = cs_error(ei, CS_ERR_MALFORMED, 0,
				       "object count %u at offset 0, but the object data (size %u) "
				       "holds only %zu object record(s)",
				       out->nobj, out->size, i);
			goto fail;
		}
		err = parse_record(buf, &pos, end, i + 1, r, ei);
		if (err)
			goto fail;
	}
	if (pos != end) {
		err = cs_error(ei, CS_ERR_MALFORMED, (long)pos,
			       "%zu bytes at offset %zu after the last of %u object record(s) but "
			       "before the end of the object data (size %u): object count or size "
			       "is wrong",
			       end - pos, pos, out->nobj, out->size);
		goto fail;
	}
	out->padding = len - end;
	out->padding_all_ff = true;
	for (i = end; i < len; i++)
		if (buf[i] != 0xFF)
			out->padding_all_ff = false;
	return 0;
fail:
	cs_bsfile_free(out);
	return err;
}

void cs_bsfile_free(struct cs_bsfile *f)
{
	free(f->rec);
	memset(f, 0, sizeof(*f));
}

int cs_bsfile_build(const struct cs_bsfile_record *rec, size_t n, struct cs_buf *out,
		    struct cs_errinfo *ei)
{
	size_t total = 4, i;
	int err;

	if (n > 0xFFFF)
		return cs_error(ei, CS_ERR_LIMIT, -1, "%zu object records, at most 65535 fit", n);
	for (i = 0; i < n; i++) {
		if (rec[i].tlv_len > 0xFFFF)
			return cs_error(
				ei, CS_ERR_LIMIT, -1,
				"object record %zu (object %u): TLV of %zu bytes does not fit "
				"the 16-bit length field",
				i + 1, rec[i].object_id, rec[i].tlv_len);
		total += 2 + (rec[i].ver_major ? 2 : 1) + 2 + rec[i].tlv_len;
		if (total > CS_BSFILE_MAX_SIZE)
			return cs_error(
				ei, CS_ERR_LIMIT, -1,
				"object record %zu (object %u) takes the file past %d bytes", i + 1,
				rec[i].object_id, CS_BSFILE_MAX_SIZE);
	}
	err = cs_buf_reserve(out, total);
	if (err)
		return cs_error(ei, err, -1, "out of memory");
	cs_buf_put_u16(out, (uint16_t)n);
	cs_buf_put_u16(out, (uint16_t)(total - 4));
	for (i = 0; i < n; i++) {
		cs_buf_put_u16(out, rec[i].object_id);
		cs_buf_push(out, rec[i].ver_major);
		if (rec[i].ver_major)
			cs_buf_push(out, rec[i].ver_minor);
		cs_buf_put_u16(out, (uint16_t)rec[i].tlv_len);
		cs_buf_append(out, rec[i].tlv, rec[i].tlv_len);
	}
	return 0;
}
