/* SPDX-License-Identifier: MIT */
#ifndef CARDSTRAP_CLI_DAEMON_CONFIG_H
#define CARDSTRAP_CLI_DAEMON_CONFIG_H

#include <stdbool.h>
#include <stdio.h>

/*
 * The daemon's configuration file (INI, read with inih). Sections and keys:
 *   [card]    reader, pin_file, scp03_keys, scp03, on_removal
 *   [server]  listen, listen_any, dtls_listen, psk_identity, psk_key_file,
 *             endpoint, bs_account, delete_all, timeout, block_size
 *   [client]  restart_client, reapply
 *   [daemon]  state_dir, log_level
 * Unknown sections and keys, keys given twice, bad values and settings
 * that do not fit together are errors, each "FILE:LINE: message". Relative
 * paths are taken from the config file's directory. Secrets never appear
 * in the file: only the paths of the files that hold them.
 */

#define DAEMON_DEFAULT_CONFIG    "/etc/cardstrap/cardstrap.conf"
#define DAEMON_DEFAULT_STATE_DIR "/var/lib/cardstrap"

enum daemon_reapply {
	DAEMON_REAPPLY_CHANGED = 0, /* run restart_client only for data not applied yet */
	DAEMON_REAPPLY_ALWAYS,      /* run it whenever a card is read */
};

enum daemon_removal {
	DAEMON_REMOVAL_KEEP = 0, /* keep serving the removed card's data */
	DAEMON_REMOVAL_FORGET,   /* stop serving it and wipe it (Core TS §5.2.3.2) */
};

struct daemon_config {
	char *file; /* the file read; NULL for the built-in defaults */
	/* [card] */
	char *reader; /* NULL: every reader */
	char *pin_file;
	char *scp03_keys;
	int scp03_mode; /* enum cs_card_scp03_mode */
	int on_removal; /* enum daemon_removal */
	/* [server] */
	char *listen; /* never NULL after a load: CS_BSSERVER_DEFAULT_LISTEN */
	bool listen_any;
	char *dtls_listen; /* NULL: no DTLS listener */
	char *psk_identity;
	char *psk_key_file;
	char *endpoint;
	int bs_account; /* enum cs_bs_account_mode */
	bool delete_all;
	unsigned timeout_s;  /* per session */
	unsigned block_size; /* Block1 above this */
	/* [client] */
	char *restart_client;
	int reapply; /* enum daemon_reapply */
	/* [daemon] */
	char *state_dir; /* never NULL after a load */
	int log_level;   /* LOG_ERR..LOG_DEBUG */
};

struct daemon_config_errors {
	char **msg;     /* "FILE:LINE: message", in line order */
	unsigned *line; /* 0: about the whole file */
	size_t n;
};

/* Fills c with the defaults (no file). */
int daemon_config_defaults(struct daemon_config *c);

/*
 * Reads and checks path into c (initialised here; free with
 * daemon_config_free also on error). Returns 0, CS_ERR_IO when the file
 * cannot be read, CS_ERR_INVALID when e holds at least one error,
 * CS_ERR_NOMEM. e is initialised here (daemon_config_errors_free).
 */
int daemon_config_load(const char *path, struct daemon_config *c, struct daemon_config_errors *e);

void daemon_config_free(struct daemon_config *c);
void daemon_config_errors_free(struct daemon_config_errors *e);

/* The effective settings, as a config file that loads to the same settings. */
void daemon_config_print(FILE *f, const struct daemon_config *c);

/* What a reload must act on. */
bool daemon_config_server_changed(const struct daemon_config *a, const struct daemon_config *b);
bool daemon_config_card_changed(const struct daemon_config *a, const struct daemon_config *b);

#endif
