/* SPDX-License-Identifier: MIT */
#ifndef CARDSTRAP_CLI_CARDIO_H
#define CARDSTRAP_CLI_CARDIO_H

#include <stdbool.h>
#include <stdio.h>

#include "cardstrap/buf.h"
#include "cardstrap/card.h"
#include "cardstrap/error.h"
#include "cardstrap/pcsc.h"
#include "cardstrap/transport.h"

/*
 * Reading the card from a subcommand: open the reader, trace APDUs to
 * stderr (--trace, secrets masked unless --show-secrets), show progress on
 * a terminal, get the PIN only when the card asks (secrets.h), and print
 * what was found on the card.
 */

/* A cs_trace_fn printing "trace   1.2 ms  > 00 A4 ..." / "trace           < 90 00" to stderr. */
void cli_trace_apdu(void *arg, const char *layer, const uint8_t *capdu, size_t clen,
		    const uint8_t *rapdu, size_t rlen, int err, double elapsed_ms, unsigned redact);

/* A cs_progress_fn drawing "reading ... n/total bytes" on stderr when it is a terminal. */
void cli_progress(void *arg, size_t done, size_t total);

struct cli_card {
	char reader[CS_PCSC_MAX_NAME]; /* "" until a reader was chosen */
	struct cs_card_info info;
	struct cs_buf ef; /* EF LwM2M_Bootstrap (zeroized by cli_card_free) */
	bool read;        /* cs_card_read_bootstrap ran (info is meaningful) */
};

/*
 * Opens the reader (cs_pcsc_open semantics for `reader`), checks pin_file's
 * permissions first when given, and reads the EF (cs_card_read_bootstrap)
 * with tracing per cli.trace/cli.show_secrets. c is filled as far as the
 * read got, also on error.
 */
int cli_card_read(const char *reader, const char *pin_file, struct cli_card *c,
		  struct cs_errinfo *ei);

void cli_card_free(struct cli_card *c);

/* "Reader", "ATR", "ICCID", application, ODF/DODF entries, EF, channel lines. */
void cli_print_card(FILE *f, const struct cli_card *c);

/* The "card" object of `dump --json`. */
struct json_t;
struct json_t *cli_card_json(const struct cli_card *c);

#endif
