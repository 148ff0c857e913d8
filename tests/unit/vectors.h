/* SPDX-License-Identifier: MIT */
/*
 * The test vectors of applet-spec/vectors/ (its README.md describes the files),
 * shared by the unit tests. Every function fails the running cmocka test when
 * a vector cannot be read or decoded.
 */
#ifndef CARDSTRAP_TESTS_VECTORS_H
#define CARDSTRAP_TESTS_VECTORS_H

#include <stddef.h>

#include "cardstrap/buf.h"
#include "cardstrap/model.h"

/* $VECTORS when set and not empty (tests/run sets it), else applet-spec/vectors. */
const char *vector_dir(void);

/* The text of vector `name`, NUL-terminated, its length in *len (when not NULL); free() it. */
char *vector_text(const char *name, size_t *len);

/* The bytes of vector `name` in b, which this initialises; the file must not be empty. */
void vector_bytes(const char *name, struct cs_buf *b);

/* Vector `name` decoded into m, which this initialises. */
void vector_model(const char *name, struct cs_model *m);

/* The value of the first `# expect:` line of text in out, "" when there is none. */
void vector_expect(const char *text, char *out, size_t outsz);

#endif
