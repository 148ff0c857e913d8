/* SPDX-License-Identifier: MIT */
#ifndef CARDSTRAP_CLI_DAEMON_WATCH_H
#define CARDSTRAP_CLI_DAEMON_WATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "cardstrap/card.h"
#include "cardstrap/model.h"
#include "cardstrap/pcsc.h"

/*
 * The daemon's PC/SC watcher: a thread that blocks in
 * SCardGetStatusChange(INFINITE) on the matching readers and on the
 * "\\?PnP?\Notification" pseudo-reader, reads and validates a card when
 * one is inserted or changed (the reads block, so they run here too), and
 * hands the results to the main loop through a queue and an eventfd. When
 * pcscd is not running it waits with inotify for its socket to appear
 * (no polling), and logs that once. It logs reader and pcscd events itself.
 */

#define DAEMON_FINGERPRINT_LEN 64 /* SHA-256 in hex */

enum watch_kind {
	WATCH_CARD,         /* a card was read; its data is valid (model) */
	WATCH_CARD_INVALID, /* read, but the data is malformed or invalid (error) */
	WATCH_CARD_FAILED,  /* the read failed (error): card state unknown */
	WATCH_CARD_REMOVED, /* the card left the reader (or the reader went away) */
};

struct watch_event {
	enum watch_kind kind;
	char reader[CS_PCSC_MAX_NAME];
	char iccid[21];                               /* "" when not readable */
	char fingerprint[DAEMON_FINGERPRINT_LEN + 1]; /* WATCH_CARD, WATCH_CARD_INVALID */
	struct cs_model model;                        /* WATCH_CARD: the validated data */
	size_t server_accounts;                       /* non-BS Security instances */
	bool bs_account;                              /* the card has a Bootstrap-Server account */
	size_t warnings;
	bool secured; /* read through SCP03 */
	char error[600];
	struct watch_event *next;
};

struct watch_opts {
	const char *reader; /* NULL: every reader; else a name or part of one */
	const char *pin_file;
	const char *scp03_keys;
	enum cs_card_scp03_mode scp03_mode;
	bool trace; /* APDUs to stderr (--trace, secrets masked) */
};

struct watcher;

/* Starts the thread (the strings are copied). Errors: CS_ERR_NOMEM, CS_ERR_IO. */
int watch_start(const struct watch_opts *o, struct watcher **out);

/* Readable when events are queued. */
int watch_fd(const struct watcher *w);

/* Takes every queued event, oldest first (NULL when none). */
struct watch_event *watch_take(struct watcher *w);

/* Frees one event (its model is zeroized). */
void watch_event_free(struct watch_event *e);

/*
 * Stops the thread (SCardCancel on its context, a wake-up of its inotify
 * wait) and frees w. Returns false when the thread did not end within
 * wait_ms (a card read that blocks): it is then left behind, detached.
 */
bool watch_stop(struct watcher *w, unsigned wait_ms);

#endif
