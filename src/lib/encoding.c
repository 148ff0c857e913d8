/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "cardstrap/encoding.h"

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int is_sep(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f' ||
	       c == ':' || c == '-';
}

/* Shared scanner: with out == NULL it only checks. */
static int hex_scan(const char *s, size_t len, struct cs_buf *out, size_t *ndigits,
		    struct cs_errinfo *ei)
{
	size_t i = 0, digits = 0;
	int hi = -1, err;

	while (i < len) {
		int c = (unsigned char)s[i];

		if (c == '#') {
			while (i < len && s[i] != '\n')
				i++;
			continue;
		}
		if (is_sep(c)) {
			i++;
			continue;
		}
		if (c == '0' && i + 1 < len && (s[i + 1] == 'x' || s[i + 1] == 'X') && hi < 0) {
			i += 2;
			continue;
		}
		if (hexval(c) < 0)
			return cs_error(ei, CS_ERR_MALFORMED, (long)i,
					"character %s%c%s at offset %zu is not a hex digit",
					isprint(c) ? "'" : "", isprint(c) ? c : '?',
					isprint(c) ? "'" : "", i);
		if (hi < 0) {
			hi = hexval(c);
		} else {
			if (out && (err = cs_buf_push(out, (uint8_t)(hi << 4 | hexval(c)))) != 0)
				return err;
			hi = -1;
		}
		digits++;
		i++;
	}
	if (hi >= 0)
		return cs_error(ei, CS_ERR_MALFORMED, (long)len, "odd number of hex digits");
	if (ndigits)
		*ndigits = digits;
	return 0;
}

int cs_hex_decode(const char *text, size_t len, struct cs_buf *out, struct cs_errinfo *ei)
{
	return hex_scan(text, len, out, NULL, ei);
}

bool cs_hex_looks_like(const char *text, size_t len)
{
	size_t digits = 0;

	return hex_scan(text, len, NULL, &digits, NULL) == 0 && digits > 0;
}

size_t cs_hex_encode(const uint8_t *p, size_t n, char sep, char *out, size_t outsz)
{
	static const char digits[] = "0123456789ABCDEF";
	size_t need = n ? n * 2 + (sep ? n - 1 : 0) : 0, o = 0;

	for (size_t i = 0; i < n && outsz; i++) {
		if (sep && i && o + 1 < outsz)
			out[o++] = sep;
		if (o + 2 >= outsz)
			break;
		out[o++] = digits[p[i] >> 4];
		out[o++] = digits[p[i] & 15];
	}
	if (outsz)
		out[o < outsz ? o : outsz - 1] = '\0';
	return need;
}

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int cs_base64url_encode(const uint8_t *p, size_t n, struct cs_buf *out)
{
	int err = cs_buf_reserve(out, (n + 2) / 3 * 4 + 1);

	if (err)
		return err;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		size_t left = n - i;

		if (left > 1)
			v |= (uint32_t)p[i + 1] << 8;
		if (left > 2)
			v |= p[i + 2];
		out->data[out->len++] = (uint8_t)b64url[v >> 18 & 63];
		out->data[out->len++] = (uint8_t)b64url[v >> 12 & 63];
		if (left > 1)
			out->data[out->len++] = (uint8_t)b64url[v >> 6 & 63];
		if (left > 2)
			out->data[out->len++] = (uint8_t)b64url[v & 63];
	}
	out->data[out->len] = '\0';
	return 0;
}

static int b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

int cs_base64_decode(const char *text, size_t len, struct cs_buf *out, struct cs_errinfo *ei)
{
	uint32_t acc = 0;
	size_t bits = 0, i, pad = 0;
	int err;

	while (len && text[len - 1] == '=' && pad < 2) {
		len--;
		pad++;
	}
	if ((len + pad) % 4 == 1 || (pad && (len + pad) % 4))
		return cs_error(ei, CS_ERR_MALFORMED, (long)len, "base64 text has an impossible length");
	for (i = 0; i < len; i++) {
		int v = b64val((unsigned char)text[i]);

		if (v < 0)
			return cs_error(ei, CS_ERR_MALFORMED, (long)i,
					"character at offset %zu is not base64", i);
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if ((err = cs_buf_push(out, (uint8_t)(acc >> bits))) != 0)
				return err;
		}
	}
	/* RFC 4648 §3.5: the unused low bits must be zero. */
	if (bits && (acc & ((1u << bits) - 1)))
		return cs_error(ei, CS_ERR_MALFORMED, (long)len, "base64 text has non-zero pad bits");
	return 0;
}
