/* SPDX-License-Identifier: MIT */
#ifndef CARDSTRAP_CLI_SOURCE_H
#define CARDSTRAP_CLI_SOURCE_H

#include <stdbool.h>

#include "cardstrap/bsserver.h"
#include "cardstrap/model.h"
#include "cardio.h"
#include "cli.h"

/*
 * What serve, push and recover share: where the bootstrap data comes from
 * (--file EF or --reader R), the listener options, and the loop that runs
 * the Bootstrap-Server next to the signals.
 */

enum {
	OPT_SRC_FILE = OPT_FIRST_CMD_OPT + 40,
	OPT_SRC_READER,
	OPT_SRC_PIN_FILE,
	OPT_LISTEN,
	OPT_LISTEN_ANY,
	OPT_DTLS_LISTEN,
	OPT_PSK_IDENTITY,
	OPT_PSK_KEY_FILE,
	OPT_ENDPOINT,
	OPT_BS_ACCOUNT,
	OPT_DELETE_ALL,
	OPT_TIMEOUT,
	OPT_BLOCK_SIZE,
	OPT_SOURCE_LAST, /* subcommands number their own options from here */
};

/* clang-format off */
#define CLI_SOURCE_LONGOPTS                                                      \
	{ "file", required_argument, NULL, OPT_SRC_FILE },                       \
	{ "reader", required_argument, NULL, OPT_SRC_READER },                   \
	{ "pin-file", required_argument, NULL, OPT_SRC_PIN_FILE },               \
	{ "listen", required_argument, NULL, OPT_LISTEN },                       \
	{ "listen-any", no_argument, NULL, OPT_LISTEN_ANY },                     \
	{ "dtls-listen", required_argument, NULL, OPT_DTLS_LISTEN },             \
	{ "psk-identity", required_argument, NULL, OPT_PSK_IDENTITY },           \
	{ "psk-key-file", required_argument, NULL, OPT_PSK_KEY_FILE },           \
	{ "endpoint", required_argument, NULL, OPT_ENDPOINT },                   \
	{ "bs-account", required_argument, NULL, OPT_BS_ACCOUNT },               \
	{ "delete-all", no_argument, NULL, OPT_DELETE_ALL },                     \
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },                     \
	{ "block-size", required_argument, NULL, OPT_BLOCK_SIZE },               \
	CLI_SCP03_LONGOPTS
/* clang-format on */

/* Help text of the options above, for the subcommands' usage. */
/* clang-format off */
#define CLI_SOURCE_HELP                                                                    \
	"Bootstrap data (read and validated once; invalid data is never served):\n"       \
	"  --file EF            EF LwM2M_Bootstrap bytes (binary or hex text)\n"          \
	"  --reader R           read the card in reader R (index or name; default: the\n"  \
	"                       first reader with a card)\n"                               \
	"  --pin-file F         the card PIN (else $CARDSTRAP_PIN, else a prompt)\n"      \
	CLI_SCP03_HELP                                                                     \
	"Bootstrap-Server:\n"                                                              \
	"  --listen ADDR:PORT   CoAP listener (default 127.0.0.1:5783); loopback only\n"  \
	"                       unless --listen-any\n"                                     \
	"  --dtls-listen ADDR:PORT  also a DTLS-PSK listener (default port 5784), with\n" \
	"  --psk-identity ID    the PSK identity clients use (configuration, not secret:\n" \
	"                       DTLS sends it in clear)\n"                                 \
	"  --psk-key-file F     the PSK: hex digits, or raw bytes when not hex; mode 0600\n" \
	"  --endpoint NAME      bootstrap only this endpoint (others get 4.03)\n"         \
	"  --bs-account MODE    the card's Bootstrap-Server account: handover (default:\n" \
	"                       it replaces cardstrap as the client's BS) or skip\n"      \
	"  --delete-all         start with DELETE / instead of deleting only the\n"       \
	"                       accounts the card replaces\n"                             \
	"  --block-size N       Block1 above N bytes (16, 32, ..., 1024; default 1024)\n"
/* clang-format on */

struct cli_source {
	const char *file;
	struct cli_card_opts card; /* --reader, --pin-file, --scp03-keys, --scp03 */
	bool from_card;            /* --reader given (or neither: the first reader) */
};

struct cli_listen {
	struct cs_bsserver_config cfg;
	const char *psk_identity;
	const char *psk_key_file;
	unsigned timeout_s; /* 0 = the command's default */
};

/* Handles a source or listener option; false when c is none of them. */
bool cli_source_option(int c, const char *arg, struct cli_source *src, struct cli_listen *l);

/*
 * Reads the EF from the file or the card, decodes and validates it into m
 * (initialised, empty). Prints what went wrong (diagnostics when invalid)
 * and returns the exit code: 0, 65 invalid/malformed, 66, 69, 74, 77.
 */
int cli_source_load(const struct cli_source *src, struct cs_model *m);

/*
 * Reads the PSK key file (refusing group/world-readable files) and creates
 * the server. Returns 0 or an exit code after printing the error.
 */
int cli_listen_start(struct cli_listen *l, struct cs_bsserver **srv);

/*
 * What serve, push and recover share: loads and validates the data of src
 * into m (initialised, empty), starts the server of l with the event
 * callback (l->cfg.timeout_ms from --timeout unless already set), gives it
 * the data and sets up the signal loop. Returns 0, or an exit code after
 * printing what went wrong; the caller frees *srv and m either way.
 */
int cli_serve_start(const struct cli_source *src, struct cli_listen *l, cs_bsserver_event_fn event,
		    void *arg, struct cs_model *m, struct cs_bsserver **srv);

/* The exit code for a session's result (70 rejected/inconsistent, 75 timeout, ...). */
int cli_session_exit(int result);

/* One stderr line per report; with --json the report as a JSON line on stdout. */
void cli_print_report(enum cs_bsserver_event ev, const struct cs_bsserver_report *r);

/*
 * The loop: blocks SIGINT, SIGTERM and SIGCHLD and reads them through a
 * signalfd (so a child started afterwards gets them unblocked again: see
 * cli_loop_spawn). cli_loop_run returns after at most timeout_ms (-1:
 * none) with CLI_LOOP_TIMEOUT, on SIGINT/SIGTERM with CLI_LOOP_STOP, when
 * the spawned child exited with CLI_LOOP_CHILD (status in *child_status),
 * or when *done became true (set by the event callback) with CLI_LOOP_DONE.
 */
enum cli_loop_result {
	CLI_LOOP_DONE,
	CLI_LOOP_STOP,
	CLI_LOOP_CHILD,
	CLI_LOOP_TIMEOUT,
	CLI_LOOP_ERROR
};

int cli_loop_init(void);
int cli_loop_run(struct cs_bsserver *srv, const volatile bool *done, long timeout_ms,
		 int *child_status);
/* Runs `/bin/sh -c cmd` with the default signal mask; its pid, or -1. */
long cli_loop_spawn(const char *cmd);

#endif
