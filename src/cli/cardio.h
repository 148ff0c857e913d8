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
#include "cli.h"

/*
 * Reading the card from a subcommand: open the reader, trace APDUs to
 * stderr (--trace, secrets masked unless --show-secrets), show progress on
 * a terminal, get the PIN only when the card asks (secrets.h), run the
 * SCP03 secure channel when keys are given, and print what was found on
 * the card.
 */

/* The SCP03 options of every command that reads the card. */
enum {
	OPT_SCP03_KEYS = OPT_FIRST_CMD_OPT + 100,
	OPT_SCP03_MODE,
};

#define CLI_SCP03_LONGOPTS                                       \
	{ "scp03-keys", required_argument, NULL, OPT_SCP03_KEYS }, \
	{ "scp03", required_argument, NULL, OPT_SCP03_MODE }

#define CLI_SCP03_HELP                                                                     \
	"  --scp03-keys F   open an SCP03 secure channel (LwM2M Core TS App. H) to the\n"   \
	"                   PKCS#15 application with the key set in file F (mode 0600):\n" \
	"                   kvn=30, enc=<hex>, mac=<hex>, dek=<hex>, one per line\n"       \
	"  --scp03 MODE     required (default with --scp03-keys): a card without SCP03\n" \
	"                   is an error; optional: read such a card in plain, with a\n"   \
	"                   warning\n"

/* Where and how to read the card. Zero-initialise, then fill. */
struct cli_card_opts {
	const char *reader;     /* NULL: the first reader with a card */
	const char *pin_file;   /* NULL: $CARDSTRAP_PIN, else a prompt */
	const char *scp03_keys; /* --scp03-keys FILE; NULL: no secure channel */
	const char *scp03_mode; /* --scp03 "required" / "optional"; NULL: required */
	bool verify;            /* read the EF twice (cs_card_read_opts.verify): data to inject */
};

/* Handles OPT_SCP03_KEYS / OPT_SCP03_MODE into o; false for any other option. */
bool cli_scp03_option(int c, const char *arg, struct cli_card_opts *o);

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
 * Checks pin_file's permissions and loads the SCP03 keys first (an unsafe
 * or bad file fails before the card is touched: CS_ERR_PERM, CS_ERR_IO,
 * CS_ERR_MALFORMED; --scp03 without --scp03-keys or a mode other than
 * required/optional: CS_ERR_ARG), opens the reader (cs_pcsc_open semantics
 * for o->reader) and reads the EF (cs_card_read_bootstrap) with tracing per
 * cli.trace/cli.show_secrets (with -v also the plain APDUs of the secure
 * channel). A card that does not offer SCP03 under --scp03 optional gives
 * a warning on stderr. c is filled as far as the read got, also on error.
 */
int cli_card_read_opts(const struct cli_card_opts *o, struct cli_card *c, struct cs_errinfo *ei);

/* cli_card_read_opts without a secure channel. */
int cli_card_read(const char *reader, const char *pin_file, struct cli_card *c,
		  struct cs_errinfo *ei);

void cli_card_free(struct cli_card *c);

/* "Reader", "ATR", "ICCID", application, ODF/DODF entries, EF, channel, secure channel lines. */
void cli_print_card(FILE *f, const struct cli_card *c);

/* The "card" object of `dump --json`. */
struct json_t;
struct json_t *cli_card_json(const struct cli_card *c);

#endif
