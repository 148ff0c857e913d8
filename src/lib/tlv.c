/* SPDX-License-Identifier: MIT */
#include <float.h>
#include <math.h>
#include <string.h>

#include "cardstrap/tlv.h"

void cs_tlv_reader_init(struct cs_tlv_reader *r, const uint8_t *buf, size_t len, size_t base)
{
	r->buf = buf;
	r->len = len;
	r->pos = 0;
	r->base = base;
}

const char *cs_tlv_kind_name(enum cs_tlv_kind kind)
{
	switch (kind) {
	case CS_TLV_OBJECT_INSTANCE: return "Object Instance";
	case CS_TLV_RESOURCE_INSTANCE: return "Resource Instance";
	case CS_TLV_MULTIPLE_RESOURCE: return "Multiple Resource";
	case CS_TLV_RESOURCE: return "Resource";
	}
	return "unknown TLV kind";
}

static uint64_t get_be(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

static void put_be(uint64_t v, uint8_t *out, size_t n)
{
	for (size_t i = n; i-- > 0; v >>= 8)
		out[i] = (uint8_t)v;
}

int cs_tlv_read(struct cs_tlv_reader *r, struct cs_tlv *e, struct cs_errinfo *ei)
{
	size_t left, idw, lenw, hdr, vlen, off;
	const uint8_t *p;
	uint8_t type;

	if (r->pos >= r->len)
		return 0;
	p = r->buf + r->pos;
	left = r->len - r->pos;
	off = r->base + r->pos;
	type = p[0];
	/* Core TS §7.4.3: bit 5 = 16-bit identifier, bits 4-3 = width of the length field */
	idw = (type & 0x20) ? 2 : 1;
	lenw = (type >> 3) & 0x03;
	hdr = 1 + idw + lenw;
	if (hdr > left)
		return cs_error(ei, CS_ERR_TRUNCATED, (long)off,
				"TLV %s at offset %zu: header needs %zu bytes, only %zu left",
				cs_tlv_kind_name((enum cs_tlv_kind)(type >> 6)), off, hdr, left);
	e->kind = (enum cs_tlv_kind)(type >> 6);
	e->id = (uint16_t)get_be(p + 1, idw);
	vlen = lenw ? (size_t)get_be(p + 1 + idw, lenw) : (size_t)(type & 0x07);
	if (vlen > left - hdr)
		return cs_error(ei, CS_ERR_TRUNCATED, (long)off,
				"TLV %s %u at offset %zu: length %zu runs past the end of its "
				"container (%zu bytes left)",
				cs_tlv_kind_name(e->kind), e->id, off, vlen, left - hdr);
	e->value = p + hdr;
	e->len = vlen;
	e->offset = off;
	e->header_len = hdr;
	r->pos += hdr + vlen;
	return 1;
}

void cs_tlv_reader_enter(const struct cs_tlv *e, struct cs_tlv_reader *child)
{
	cs_tlv_reader_init(child, e->value, e->len, e->offset + e->header_len);
}

static bool int_len_ok(size_t n)
{
	return n == 1 || n == 2 || n == 4 || n == 8;
}

int cs_tlv_int_decode(const uint8_t *v, size_t n, int64_t *out)
{
	uint64_t u;

	if (!int_len_ok(n))
		return CS_ERR_MALFORMED;
	u = get_be(v, n);
	/* Appendix C: two's complement; sign-extend shorter forms */
	if (n < 8 && (v[0] & 0x80))
		u |= UINT64_MAX << (8 * n);
	*out = u <= (uint64_t)INT64_MAX ? (int64_t)u : -(int64_t)(~u) - 1;
	return 0;
}

int cs_tlv_uint_decode(const uint8_t *v, size_t n, uint64_t *out)
{
	if (!int_len_ok(n))
		return CS_ERR_MALFORMED;
	*out = get_be(v, n);
	return 0;
}

int cs_tlv_float_decode(const uint8_t *v, size_t n, double *out)
{
	if (n == 4) {
		uint32_t u = (uint32_t)get_be(v, 4);
		float f;

		memcpy(&f, &u, sizeof(f));
		*out = f;
		return 0;
	}
	if (n == 8) {
		uint64_t u = get_be(v, 8);

		memcpy(out, &u, sizeof(*out));
		return 0;
	}
	return CS_ERR_MALFORMED;
}

int cs_tlv_bool_decode(const uint8_t *v, size_t n, bool *out)
{
	if (n != 1)
		return CS_ERR_MALFORMED;
	if (v[0] > 1)
		return CS_ERR_RANGE;
	*out = v[0] == 1;
	return 0;
}

int cs_tlv_objlnk_decode(const uint8_t *v, size_t n, uint16_t *oid, uint16_t *iid)
{
	if (n != 4)
		return CS_ERR_MALFORMED;
	*oid = (uint16_t)get_be(v, 2);
	*iid = (uint16_t)get_be(v + 2, 2);
	return 0;
}

size_t cs_tlv_int_encode(int64_t v, uint8_t out[8])
{
	size_t n = 8;

	if (v >= INT8_MIN && v <= INT8_MAX)
		n = 1;
	else if (v >= INT16_MIN && v <= INT16_MAX)
		n = 2;
	else if (v >= INT32_MIN && v <= INT32_MAX)
		n = 4;
	put_be((uint64_t)v, out, n);
	return n;
}

size_t cs_tlv_uint_encode(uint64_t v, uint8_t out[8])
{
	size_t n = 8;

	if (v <= UINT8_MAX)
		n = 1;
	else if (v <= UINT16_MAX)
		n = 2;
	else if (v <= UINT32_MAX)
		n = 4;
	put_be(v, out, n);
	return n;
}

size_t cs_tlv_float_encode(double v, uint8_t out[8])
{
	uint64_t u;

	/* Infinities fit binary32 exactly; a NaN keeps its binary64 bits (payload). */
	if (!isnan(v) && (isinf(v) || fabs(v) <= FLT_MAX) && (double)(float)v == v) {
		float f = (float)v;
		uint32_t u32;

		memcpy(&u32, &f, sizeof(u32));
		put_be(u32, out, 4);
		return 4;
	}
	memcpy(&u, &v, sizeof(u));
	put_be(u, out, 8);
	return 8;
}

size_t cs_tlv_bool_encode(bool v, uint8_t out[1])
{
	out[0] = v ? 1 : 0;
	return 1;
}

size_t cs_tlv_objlnk_encode(uint16_t oid, uint16_t iid, uint8_t out[4])
{
	put_be(oid, out, 2);
	put_be(iid, out + 2, 2);
	return 4;
}

int cs_tlv_write_header(struct cs_buf *b, enum cs_tlv_kind kind, uint16_t id, size_t len)
{
	uint8_t hdr[6];
	size_t n = 1, lenw;

	if ((unsigned)kind > CS_TLV_RESOURCE)
		return CS_ERR_ARG;
	if (len > CS_TLV_MAX_VALUE_LEN)
		return CS_ERR_LIMIT;
	hdr[0] = (uint8_t)(kind << 6);
	if (id > UINT8_MAX) {
		hdr[0] |= 0x20;
		put_be(id, hdr + n, 2);
		n += 2;
	} else {
		hdr[n++] = (uint8_t)id;
	}
	if (len < 8) {
		hdr[0] |= (uint8_t)len;
	} else {
		lenw = len <= 0xFF ? 1 : len <= 0xFFFF ? 2 : 3;
		hdr[0] |= (uint8_t)(lenw << 3);
		put_be(len, hdr + n, lenw);
		n += lenw;
	}
	return cs_buf_append(b, hdr, n);
}

int cs_tlv_write(struct cs_buf *b, enum cs_tlv_kind kind, uint16_t id, const uint8_t *v, size_t len)
{
	size_t old = b->len;
	int err;

	err = cs_tlv_write_header(b, kind, id, len);
	if (err)
		return err;
	err = cs_buf_append(b, v, len);
	if (err)
		b->len = old;
	return err;
}
