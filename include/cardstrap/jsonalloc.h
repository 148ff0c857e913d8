/* SPDX-License-Identifier: MIT */
#ifndef CARDSTRAP_JSONALLOC_H
#define CARDSTRAP_JSONALLOC_H

#include <stdbool.h>

/*
 * jansson keeps every JSON value, and the text json_dumps makes, in heap
 * blocks of its own: SenML with --show-secrets, card images with PINs and
 * keys, a test client's state. cs_json_secure_init() makes jansson zeroize
 * each block before it is freed (json_set_alloc_funcs with malloc and a
 * free that wipes the whole block first). Call it once at program start,
 * before any other jansson call: jansson must free a block with the
 * functions that allocated it. Blocks stay plain malloc blocks, so text
 * from json_dumps may still be given to free() (unwiped); wipe such text
 * with cs_free_secret or cs_json_free.
 */
void cs_json_secure_init(void);

/* True once cs_json_secure_init has run. */
bool cs_json_secure_active(void);

/* Zeroizes and frees a block jansson allocated (json_dumps text); NULL is allowed. */
void cs_json_free(void *p);

#endif
