/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include <mbedtls/platform_util.h>

#include "cardstrap/buf.h"
#include "cardstrap/error.h"

void cs_zeroize(void *p, size_t n)
{
	if (p && n)
		mbedtls_platform_zeroize(p, n);
}

void cs_free_secret(void *p, size_t n)
{
	cs_zeroize(p, n);
	free(p);
}

void cs_buf_init(struct cs_buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

int cs_buf_reserve(struct cs_buf *b, size_t extra)
{
	size_t need, cap;
	uint8_t *p;

	if (extra > SIZE_MAX - b->len)
		return CS_ERR_NOMEM;
	need = b->len + extra;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	/* No realloc: the old block may hold secrets and must be wiped. */
	p = malloc(cap);
	if (!p)
		return CS_ERR_NOMEM;
	if (b->len)
		memcpy(p, b->data, b->len);
	cs_free_secret(b->data, b->cap);
	b->data = p;
	b->cap = cap;
	return 0;
}

int cs_buf_append(struct cs_buf *b, const void *p, size_t n)
{
	int err;

	if (n == 0)
		return 0;
	err = cs_buf_reserve(b, n);
	if (err)
		return err;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

int cs_buf_push(struct cs_buf *b, uint8_t byte)
{
	return cs_buf_append(b, &byte, 1);
}

int cs_buf_put_u16(struct cs_buf *b, uint16_t v)
{
	uint8_t be[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	return cs_buf_append(b, be, 2);
}

void cs_buf_free(struct cs_buf *b)
{
	cs_free_secret(b->data, b->cap);
	cs_buf_init(b);
}

uint8_t *cs_buf_steal(struct cs_buf *b, size_t *len)
{
	uint8_t *p = b->data;

	if (len)
		*len = b->len;
	cs_buf_init(b);
	return p;
}
