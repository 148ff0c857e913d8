/* SPDX-License-Identifier: MIT */
#ifndef CARDSTRAP_PCSC_H
#define CARDSTRAP_PCSC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cardstrap/error.h"
#include "cardstrap/transport.h"

/*
 * The PC/SC (pcsc-lite) transport and reader discovery. Errors name the
 * reader and say what happened in a technician's words: CS_ERR_NO_SERVICE
 * (pcscd not running), CS_ERR_NO_READER, CS_ERR_NO_CARD,
 * CS_ERR_CARD_REMOVED, CS_ERR_CARD_RESET, CS_ERR_TRANSPORT.
 */

#define CS_PCSC_MAX_READERS 16  /* PCSCLITE_MAX_READERS_CONTEXTS */
#define CS_PCSC_MAX_NAME    128 /* MAX_READERNAME */
#define CS_PCSC_MAX_ATR     33  /* MAX_ATR_SIZE */

struct cs_pcsc_reader {
	char name[CS_PCSC_MAX_NAME];
	bool card_present; /* SCARD_STATE_PRESENT */
	bool card_mute;    /* SCARD_STATE_MUTE: present but no valid ATR */
	bool exclusive;    /* SCARD_STATE_EXCLUSIVE: another application holds the card */
	bool in_use;       /* SCARD_STATE_INUSE */
	uint8_t atr[CS_PCSC_MAX_ATR];
	size_t atr_len; /* 0 when there is no card */
};

/*
 * Lists the readers in PC/SC order with their card state and ATR. Fills up
 * to max entries and sets *n. No readers is not an error (*n = 0).
 * Errors: CS_ERR_NO_SERVICE, CS_ERR_TRANSPORT.
 */
int cs_pcsc_list_readers(struct cs_pcsc_reader *readers, size_t max, size_t *n,
			 struct cs_errinfo *ei);

/*
 * Picks a reader: `reader` NULL or "" = the first reader with a card; all
 * digits = index in cs_pcsc_list_readers order; otherwise an exact name, or
 * else the first reader whose name contains `reader` (preferring one with a
 * card). Copies the chosen name to name (size CS_PCSC_MAX_NAME).
 * Errors: CS_ERR_NO_SERVICE, CS_ERR_NO_READER, CS_ERR_NO_CARD.
 */
int cs_pcsc_pick_reader(const char *reader, char *name, struct cs_errinfo *ei);

/*
 * Opens a transport on the reader chosen as by cs_pcsc_pick_reader:
 * SCardConnect SCARD_SHARE_SHARED with T=0|T=1; t->t0 tells the active
 * protocol. cs_transport_begin/end wrap SCardBeginTransaction/End; a card
 * reset by another application is reconnected once, at transaction start
 * only. A transaction in which a VERIFY succeeded ends with a card reset,
 * so that the PIN does not stay verified for other applications. An empty
 * answer (pcsc-lite's report of a lost card link) is CS_ERR_CARD_REMOVED
 * when the card is gone within a second. *out is owned by the caller
 * (cs_transport_destroy).
 */
int cs_pcsc_open(const char *reader, struct cs_transport **out, struct cs_errinfo *ei);

/* Name of the reader a pcsc transport is connected to ("" for other transports). */
const char *cs_pcsc_reader_name(const struct cs_transport *t);

/*
 * Waits with SCardGetStatusChange (incl. reader hotplug) until a reader
 * matching `reader` (as for cs_pcsc_pick_reader; NULL = any) holds a card
 * with an ATR, and copies its name to name (size CS_PCSC_MAX_NAME).
 * timeout_ms < 0 waits forever. Returns at once when such a card is
 * already present. Errors: CS_ERR_TIMEOUT, CS_ERR_NO_SERVICE,
 * CS_ERR_TRANSPORT.
 */
int cs_pcsc_wait(const char *reader, long timeout_ms, char *name, struct cs_errinfo *ei);

#endif
