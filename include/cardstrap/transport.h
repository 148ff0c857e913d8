/* SPDX-License-Identifier: MIT */
#ifndef CARDSTRAP_TRANSPORT_H
#define CARDSTRAP_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cardstrap/error.h"

/*
 * A transport sends one C-APDU and returns one R-APDU (data + SW1 SW2).
 * Implementations: pcsc (pcsc-lite), image (a card image served in
 * process). Decorators (SCP03) wrap another transport, so nothing above
 * them changes. The transport does no T=0 procedure handling: 61xx/6Cxx
 * are returned as they come and handled by the uicc layer.
 */

#define CS_APDU_MAX 65544	/* extended APDU: 7 + 65535 + 2 */
#define CS_RAPDU_MAX (65536 + 2)

/* What the APDU about to be sent carries, so that traces can mask it. */
enum cs_redact {
	CS_REDACT_NONE = 0,
	CS_REDACT_CMD_DATA = 1,	/* command data is secret (VERIFY PIN, key material) */
	CS_REDACT_RSP_DATA = 2,	/* response data is file content */
};

struct cs_transport;

/*
 * Called after every exchange with the bytes as they went over this
 * transport. rapdu is NULL (rlen 0) when the exchange failed with err.
 */
typedef void (*cs_trace_fn)(void *arg, const char *layer, const uint8_t *capdu, size_t clen,
			    const uint8_t *rapdu, size_t rlen, int err, double elapsed_ms,
			    unsigned redact);

struct cs_transport_ops {
	const char *name;
	/* rapdu has room for *rlen bytes; on return *rlen is the R-APDU length (≥ 2). */
	int (*transmit)(struct cs_transport *t, const uint8_t *capdu, size_t clen, uint8_t *rapdu,
			size_t *rlen, struct cs_errinfo *ei);
	/* Exclusive access for a sequence of APDUs (SCardBeginTransaction). May be NULL. */
	int (*begin)(struct cs_transport *t, struct cs_errinfo *ei);
	int (*end)(struct cs_transport *t);
	/* Current ATR. May be NULL. */
	int (*atr)(struct cs_transport *t, uint8_t *atr, size_t *len);
	void (*destroy)(struct cs_transport *t);
};

struct cs_transport {
	const struct cs_transport_ops *ops;
	void *ctx;
	bool t0;		/* active protocol is T=0 */
	size_t max_rsp_data;	/* largest response data per APDU (256 for short APDUs) */
	size_t max_cmd_data;	/* largest command data per APDU (255) */
	cs_trace_fn trace;	/* optional */
	void *trace_arg;
	const char *layer;	/* name shown in traces ("pcsc", "scp03", ...) */
	unsigned redact_next;	/* set by the caller before cs_transport_transmit */
};

/*
 * Sends one APDU through t->ops->transmit, times it, calls the trace hook
 * and clears t->redact_next. rapdu must have room for CS_RAPDU_MAX bytes
 * unless *rlen says otherwise.
 */
int cs_transport_transmit(struct cs_transport *t, const uint8_t *capdu, size_t clen, uint8_t *rapdu,
			  size_t *rlen, struct cs_errinfo *ei);

int cs_transport_begin(struct cs_transport *t, struct cs_errinfo *ei);
int cs_transport_end(struct cs_transport *t);
int cs_transport_atr(struct cs_transport *t, uint8_t *atr, size_t *len);

/* Destroys t (and what it owns). NULL is allowed. */
void cs_transport_destroy(struct cs_transport *t);

#endif
