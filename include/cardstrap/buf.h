/* SPDX-License-Identifier: MIT */
#ifndef CARDSTRAP_BUF_H
#define CARDSTRAP_BUF_H

#include <stddef.h>
#include <stdint.h>

/*
 * A growable byte buffer. Card data may hold keys, so every buffer is
 * zeroized before its memory is released (on growth and on free).
 * Initialise with cs_buf_init() or `struct cs_buf b = {0};`.
 */
struct cs_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
};

void cs_buf_init(struct cs_buf *b);

/* Makes room for at least `extra` more bytes. 0 or CS_ERR_NOMEM. */
int cs_buf_reserve(struct cs_buf *b, size_t extra);

/* Appends n bytes (p may be NULL when n is 0). 0 or CS_ERR_NOMEM. */
int cs_buf_append(struct cs_buf *b, const void *p, size_t n);

int cs_buf_push(struct cs_buf *b, uint8_t byte);

/* Appends v big-endian. */
int cs_buf_put_u16(struct cs_buf *b, uint16_t v);

/* Zeroizes and frees the contents; b is left empty and reusable. */
void cs_buf_free(struct cs_buf *b);

/* Hands the bytes over to the caller (who must zeroize and free them). */
uint8_t *cs_buf_steal(struct cs_buf *b, size_t *len);

/* Zeroizes n bytes in a way the compiler cannot optimise away. */
void cs_zeroize(void *p, size_t n);

/* Zeroizes then frees (NULL is allowed). */
void cs_free_secret(void *p, size_t n);

#endif
