/* SPDX-License-Identifier: MIT */
#ifndef CARDSTRAP_CLI_SECRETS_H
#define CARDSTRAP_CLI_SECRETS_H

#include <stdint.h>

#include "cardstrap/buf.h"
#include "cardstrap/error.h"

/*
 * Secrets (PINs) come from a file, the environment or a prompt on the
 * terminal, never from the command line. Every buffer that held one is
 * zeroized.
 */

#define CLI_PIN_ENV    "CARDSTRAP_PIN"
#define CLI_SECRET_MAX 64

/*
 * Reads a secret file: refuses (CS_ERR_PERM) a file that is not a regular
 * file or that group or others may read; the first line without its end of
 * line is appended to out.
 */
int cli_read_secret_file(const char *path, struct cs_buf *out, struct cs_errinfo *ei);

/*
 * Reads a PSK key file (cli_read_secret_file's rules): the first line in hex
 * digits (spaces, colons and dashes between them allowed), else its raw
 * bytes. An empty key is CS_ERR_PERM; hex digits that do not make whole
 * bytes are CS_ERR_MALFORMED. The message in ei never quotes the file.
 */
int cli_read_psk_file(const char *path, struct cs_buf *key, struct cs_errinfo *ei);

/* Only the permission check of cli_read_secret_file, to fail before touching the card. */
int cli_check_secret_file(const char *path, struct cs_errinfo *ei);

/*
 * Asks on the controlling terminal (/dev/tty) with echo off. CS_ERR_PIN_REQUIRED
 * when there is no terminal or nothing was typed.
 */
int cli_prompt_secret(const char *prompt, struct cs_buf *out, struct cs_errinfo *ei);

/* Where cli_get_pin looks: pin_file (may be NULL), then $CARDSTRAP_PIN, then the prompt. */
struct cli_pin_source {
	const char *pin_file;
};

/* A cs_pin_fn over a struct cli_pin_source. */
int cli_get_pin(void *arg, uint8_t keyref, int tries_left, struct cs_buf *pin,
		struct cs_errinfo *ei);

#endif
