/* SPDX-License-Identifier: MIT */
#include <malloc.h>
#include <stdlib.h>

#include <jansson.h>

#include "cardstrap/buf.h"
#include "cardstrap/jsonalloc.h"

static bool active;

static void *json_block_alloc(size_t n)
{
	return malloc(n);
}

void cs_json_free(void *p)
{
	/* the whole block: jansson does not say how much of it it used */
	if (p)
		cs_zeroize(p, malloc_usable_size(p));
	free(p);
}

void cs_json_secure_init(void)
{
	json_set_alloc_funcs(json_block_alloc, cs_json_free);
	active = true;
}

bool cs_json_secure_active(void)
{
	return active;
}
