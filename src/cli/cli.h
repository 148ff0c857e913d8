/* SPDX-License-Identifier: MIT */
#ifndef CARDSTRAP_CLI_H
#define CARDSTRAP_CLI_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "cardstrap/buf.h"
#include "cardstrap/compiler.h"
#include "cardstrap/error.h"
#include "cardstrap/model.h"
#include "cardstrap/validate.h"

/* Exit codes (sysexits.h values; documented in README "Exit codes"). */
enum cli_exit {
	EXIT_OK = 0,
	EXIT_USAGE = 64,	/* bad command line */
	EXIT_DATAERR = 65,	/* card data or input file malformed or invalid */
	EXIT_NOINPUT = 66,	/* input cannot be read; card holds no bootstrap data */
	EXIT_UNAVAILABLE = 69,	/* pcscd not running, no reader, no card */
	EXIT_SOFTWARE = 70,	/* the LwM2M client rejected the bootstrap */
	EXIT_CANTCREAT = 73,	/* output file cannot be written */
	EXIT_IOERR = 74,	/* card removed or communication failed mid-way */
	EXIT_TEMPFAIL = 75,	/* timed out; try again */
	EXIT_NOPERM = 77,	/* PIN wrong/blocked/refused; unsafe key file */
};

struct cli_cmd {
	const char *name;
	int (*main)(int argc, char *argv[]);
	const char *summary;	/* one line for `cardstrap --help` */
	const char *usage;	/* full help text for `cardstrap help NAME` */
};

/* Looks a subcommand up in main.c's table. */
const struct cli_cmd *cli_find_cmd(const char *name);

/* Options every subcommand understands. */
struct cli_global {
	bool json;
	bool show_secrets;
	bool trace;
	int verbosity;		/* -q: -1, default 0, -v: 1, -vv: 2 */
	const char *cmd;	/* current subcommand name, for messages */
};
extern struct cli_global cli;

enum {
	OPT_JSON = 0x100,
	OPT_SHOW_SECRETS,
	OPT_TRACE,
	OPT_FIRST_CMD_OPT,	/* subcommands number their own options from here */
};

#define CLI_COMMON_LONGOPTS                                                     \
	{ "json", no_argument, NULL, OPT_JSON },                                \
	{ "show-secrets", no_argument, NULL, OPT_SHOW_SECRETS },                \
	{ "trace", no_argument, NULL, OPT_TRACE },                              \
	{ "verbose", no_argument, NULL, 'v' },                                  \
	{ "quiet", no_argument, NULL, 'q' },                                    \
	{ "help", no_argument, NULL, 'h' }
#define CLI_COMMON_SHORTOPTS "vqh"

/*
 * Handles a common option returned by getopt_long. Returns true when it
 * was one; for -h prints the subcommand's help and exits 0; for '?'
 * prints the usage hint and exits 64.
 */
bool cli_common_option(int c);

/* "cardstrap decode: <message>" on stderr. */
void cli_error(const char *fmt, ...) CS_PRINTF(1, 2);
void cli_warn(const char *fmt, ...) CS_PRINTF(1, 2);
/* Informational line on stderr unless -q. */
void cli_info(const char *fmt, ...) CS_PRINTF(1, 2);
/* Usage error: message + hint, exits 64. */
CS_NORETURN void cli_usage_error(const char *fmt, ...) CS_PRINTF(1, 2);

/* Maps a library error code to an exit code. */
int cli_exit_code(int err);

/* Prints "cardstrap CMD: <ei->msg or cs_strerror>" and returns cli_exit_code. */
int cli_fail(int err, const struct cs_errinfo *ei);

/*
 * Reads a whole file ("-" = stdin) of at most max bytes. When the content
 * is text (no control characters but white space), it is decoded as hex (an error
 * names the first character that is not); *was_hex says so.
 * Errors: CS_ERR_IO (cannot read), CS_ERR_LIMIT, CS_ERR_MALFORMED (bad hex).
 */
int cli_read_input(const char *path, size_t max, struct cs_buf *out, bool *was_hex,
		   struct cs_errinfo *ei);

/* Reads a whole file as text (NUL-terminated). */
int cli_read_text(const char *path, size_t max, struct cs_buf *out, struct cs_errinfo *ei);

/*
 * Writes data to path atomically: a temporary file in the same directory
 * created with `mode`, fsync, rename. Nothing is left behind on failure.
 * "-" writes to stdout (refused for binary data when stdout is a terminal).
 */
int cli_write_file(const char *path, const void *data, size_t len, mode_t mode,
		   struct cs_errinfo *ei);

/* Terminal styling; empty strings when stdout/stderr is not a tty or NO_COLOR is set. */
const char *cli_style(FILE *f, const char *what); /* "bold", "dim", "red", "yellow", "green", "reset" */

/* Human-readable tree of the model, then the diagnostics (when d != NULL). */
void cli_print_model(FILE *f, const struct cs_model *m, bool show_secrets);
void cli_print_diags(FILE *f, const struct cs_diags *d);
/* The closing verdict: valid (accounts found) or INVALID (nothing would be injected). */
void cli_print_verdict(FILE *f, const struct cs_model *m, const struct cs_diags *d);

/*
 * The JSON document of `decode --json`: {"senml": [...], "objects": [...],
 * "diagnostics": [...], "valid": bool}. Returns a new reference or NULL.
 */
struct json_t;
struct json_t *cli_model_json(const struct cs_model *m, const struct cs_diags *d, bool show_secrets);
struct json_t *cli_diags_json(const struct cs_diags *d);

/*
 * What decode and dump print once the data is decoded and validated: with
 * --json the object of cli_model_json (with "card" when card is not NULL;
 * card is stolen), else the tree, the diagnostics and the verdict (with -q
 * only the errors, on stderr). Returns 0 when valid, else names `name` and
 * returns 65.
 */
int cli_report_model(const char *name, const struct cs_model *m, const struct cs_diags *d,
		     struct json_t *card);

/* Prints j (compact on pipes, indented on terminals) and a newline to stdout; steals j. */
void cli_print_json(struct json_t *j);

/*
 * A restart command with {uri} and {endpoint} replaced ({endpoint} stays as
 * it is when endpoint is NULL); NULL when out of memory. Free it.
 */
char *cli_expand_command(const char *cmd, const char *uri, const char *endpoint);

/* Subcommands, one file each. */
extern const struct cli_cmd decode_cmd;
extern const struct cli_cmd encode_cmd;
extern const struct cli_cmd readers_cmd;
extern const struct cli_cmd dump_cmd;
extern const struct cli_cmd read_cmd;
extern const struct cli_cmd mkcard_cmd;
extern const struct cli_cmd serve_cmd;
extern const struct cli_cmd push_cmd;
extern const struct cli_cmd recover_cmd;
extern const struct cli_cmd daemon_cmd;

#endif
