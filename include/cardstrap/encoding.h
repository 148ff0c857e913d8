/* SPDX-License-Identifier: MIT */
#ifndef CARDSTRAP_ENCODING_H
#define CARDSTRAP_ENCODING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cardstrap/buf.h"
#include "cardstrap/error.h"

/*
 * Hex text → bytes. Accepts upper/lower case digits separated by any
 * white space, ':' or '-', an optional "0x" before a group, and comments
 * from '#' to the end of the line. An odd number of digits or any other
 * character is an error whose offset is the character's position.
 * Appends to out.
 */
int cs_hex_decode(const char *text, size_t len, struct cs_buf *out, struct cs_errinfo *ei);

/* True when text[0..len) holds only what cs_hex_decode accepts and at least one digit. */
bool cs_hex_looks_like(const char *text, size_t len);

/*
 * Bytes → upper-case hex, `sep` between bytes when not 0. Writes a NUL-
 * terminated string into out (size outsz); returns the length it needed
 * (like snprintf).
 */
size_t cs_hex_encode(const uint8_t *p, size_t n, char sep, char *out, size_t outsz);

/*
 * base64 (RFC 4648 §4) and base64url (§5). Encoding uses the URL-safe
 * alphabet without padding, as SenML (RFC 8428 §4.3) asks; decoding accepts
 * both alphabets, with or without padding. Output is NUL-terminated.
 */
int cs_base64url_encode(const uint8_t *p, size_t n, struct cs_buf *out);
int cs_base64_decode(const char *text, size_t len, struct cs_buf *out, struct cs_errinfo *ei);

#endif
