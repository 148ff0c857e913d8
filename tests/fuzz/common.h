/* SPDX-License-Identifier: MIT */
#ifndef CARDSTRAP_FUZZ_COMMON_H
#define CARDSTRAP_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "cardstrap/compiler.h"
#include "cardstrap/error.h"
#include "cardstrap/model.h"

/* libFuzzer's entry points. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A property does not hold: says which on stderr and aborts, so libFuzzer keeps the input. */
CS_NORETURN void fuzz_fail(const char *fmt, ...) CS_PRINTF(1, 2);

#define FUZZ_CHECK(cond)                                                                           \
	do {                                                                                       \
		if (!(cond))                                                                       \
			fuzz_fail("%s:%d: %s", __FILE__, __LINE__, #cond);                         \
	} while (0)

/*
 * What every failing parser promises: a negative code equal to ei->code, a
 * NUL-terminated message, an offset of -1 or within [0, len].
 */
void fuzz_check_error(int err, const struct cs_errinfo *ei, size_t len);

/* A NUL-terminated copy of data (the caller frees it). */
char *fuzz_strndup(const uint8_t *data, size_t size);

/*
 * A fixed, valid card (applet-spec/vectors/ef-two-servers-acl.hex): a
 * Bootstrap-Server account /0/0, server accounts SSID 101 and 102, Access
 * Control. Aborts when it does not load.
 */
void fuzz_card_model(struct cs_model *m);

/* Bytes of a model as EF LwM2M_Bootstrap (aborts when it cannot be encoded). */
void fuzz_model_bytes(const struct cs_model *m, struct cs_buf *out);

#endif
