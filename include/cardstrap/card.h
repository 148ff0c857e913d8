/* SPDX-License-Identifier: MIT */
#ifndef CARDSTRAP_CARD_H
#define CARDSTRAP_CARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cardstrap/buf.h"
#include "cardstrap/error.h"
#include "cardstrap/pkcs15.h"
#include "cardstrap/scp03.h"
#include "cardstrap/transport.h"
#include "cardstrap/uicc.h"

/*
 * The whole read of EF LwM2M_Bootstrap from a card (Core TS App. G.1, G.2.5;
 * ETSI TS 102 221): EF ICCID and EF.DIR on the basic channel, then on a
 * logical channel the PKCS#15 application, EF ODF, the DODF(s) in priority
 * order, and the EF, with VERIFY when the DODF entry or the card asks for
 * it. With SCP03 keys the commands on the logical channel after SELECT AID
 * go through a secure channel (Core TS App. H, GlobalPlatform SCP03).
 */

#define CS_CARD_MAX_ATR     33
#define CS_CARD_MAX_DODF    8     /* dataObjects paths followed from the ODF */
#define CS_CARD_MAX_ENTRIES 16    /* DODF entries kept in the info */
#define CS_CARD_MAX_EF      32767 /* App. G.3.3: 32 KB; READ BINARY offsets have 15 bits */

/* What to do when the card does not offer SCP03 (CS_ERR_SCP03_UNSUPPORTED). */
enum cs_card_scp03_mode {
	CS_CARD_SCP03_REQUIRED = 0, /* fail */
	CS_CARD_SCP03_OPTIONAL,     /* read in plain; cs_card_info says so */
};

struct cs_card_read_opts {
	/* Asked for the PIN only when the card needs one (see cs_pin_fn). NULL: no PIN source. */
	cs_pin_fn get_pin;
	void *pin_arg;
	/* Called after each chunk of an EF read longer than one chunk. */
	cs_progress_fn progress;
	void *progress_arg;
	/* SCP03 key set (copied for the read, not kept); NULL: no secure channel. */
	const struct cs_scp03_keys *scp03_keys;
	uint8_t scp03_level; /* EXTERNAL AUTHENTICATE P1; 0 = CS_SCP03_LEVEL_LWM2M (33) */
	enum cs_card_scp03_mode scp03_mode;
	/* Also trace the plain APDUs of the secure channel, with t's trace hook, as "scp03". */
	bool scp03_trace_plain;
	/*
	 * Read EF LwM2M_Bootstrap a second time and compare, unless the secure
	 * channel's MACs already protect it: a fault that flips a byte in transit
	 * then ends the read with an error instead of giving wrong data. For reads
	 * whose data is injected.
	 */
	bool verify;
};

/* What became of the secure channel. */
enum cs_card_scp03 {
	CS_CARD_SCP03_OFF = 0,     /* no keys given: plain */
	CS_CARD_SCP03_SECURED,     /* mutual authentication done; the PKCS#15 read went wrapped */
	CS_CARD_SCP03_NOT_OFFERED, /* optional, and the card does not offer it: read in plain */
};

/* One DODF entry as found on the card. */
struct cs_card_entry {
	struct cs_pkcs15_dataobj obj;
	size_t dodf; /* index into cs_card_info.dodf */
};

struct cs_card_info {
	uint8_t atr[CS_CARD_MAX_ATR];
	size_t atr_len;                 /* 0 when the transport has none */
	char iccid[21];                 /* "" when EF ICCID could not be read */
	bool has_dir;                   /* EF.DIR was read */
	uint8_t aid[CS_PKCS15_MAX_AID]; /* PKCS#15 application selected */
	size_t aid_len;
	char app_label[CS_PKCS15_MAX_LABEL + 1];      /* from EF.DIR, "" otherwise */
	bool aid_from_dir;                            /* false: the default PKCS#15 AID was used */
	struct cs_pkcs15_path odf;                    /* EF ODF path (5031) */
	struct cs_pkcs15_path dodf[CS_CARD_MAX_DODF]; /* from the ODF, in priority order */
	size_t ndodf;
	struct cs_card_entry entries[CS_CARD_MAX_ENTRIES]; /* entries of the DODFs read */
	size_t nentries;
	int bootstrap;                 /* index into entries of the LwM2M entry, -1 when none */
	struct cs_pkcs15_path ef_path; /* EF LwM2M_Bootstrap */
	size_t ef_size;                /* its FCP size (tag 80) */
	bool ef_verified;              /* read twice with the same result (opts->verify) */
	bool pin_needed;               /* a VERIFY was sent, or the PIN was already verified */
	uint8_t pin_keyref;            /* key reference used, 0 when no PIN was involved */
	uint8_t channel; /* logical channel used; 0 = basic (MANAGE CHANNEL refused) */
	bool channel_opened;
	unsigned apdus;         /* every APDU sent */
	unsigned apdus_channel; /* from MANAGE CHANNEL open to its close, both included */
	enum cs_card_scp03 scp03;
	uint8_t scp03_level;  /* SECURED: security level of EXTERNAL AUTHENTICATE */
	uint8_t scp03_kvn;    /* SECURED: key version the card answered */
	uint8_t scp03_i;      /* SECURED: the card's "i" parameter */
	char scp03_note[256]; /* NOT_OFFERED: why ("card does not support SCP03 (6D00 ...)") */
};

/*
 * Reads EF LwM2M_Bootstrap into ef (emptied first) and fills info.
 * Inside one transaction (cs_transport_begin/end):
 *  - ATR; EF ICCID and EF.DIR on the basic channel (their absence is not
 *    an error); the first PKCS#15 application template of EF.DIR gives the
 *    AID, else the default A0 00 00 00 63 "PKCS-15";
 *  - MANAGE CHANNEL open (basic channel when refused); SELECT AID;
 *  - with opts->scp03_keys: INITIALIZE UPDATE + EXTERNAL AUTHENTICATE on
 *    that channel (cs_scp03_open through an SCP03 decorator over t, made
 *    for this read), after which every command on the channel is wrapped
 *    (READ BINARY chunks of 239 bytes under 33) until the wrapped MANAGE
 *    CHANNEL close. CS_ERR_SCP03_UNSUPPORTED (the card refuses INITIALIZE
 *    UPDATE or the level) fails the read unless CS_CARD_SCP03_OPTIONAL;
 *    CS_ERR_SCP03_CRYPTOGRAM (wrong keys) is never retried, since cards
 *    count failed authentications; CS_ERR_SCP03_MAC (a response MAC
 *    mismatch) ends the read. On the basic channel the session is ended
 *    locally only; the card keeps it until it is reset;
 *  - SELECT + READ EF ODF 5031; for each DODF in ODF order: SELECT + READ, then
 *    cs_pkcs15_find_bootstrap; SELECT the EF (FCP size ≤ 32767), VERIFY
 *    when the entry is private/modifiable or READ BINARY answers 6982 (key
 *    reference from the FCP C6 of the EF, else the ADF, else 01; the PIN
 *    comes from opts->get_pin only then); READ BINARY to the FCP size;
 *    MANAGE CHANNEL close.
 * On any error the channel is closed when it was opened, the transaction
 * ended, ef left empty (zeroized) and info keeps what was learnt so far.
 * Errors: CS_ERR_NO_PKCS15 (6A82 on SELECT AID / no ODF), CS_ERR_NO_BOOTSTRAP,
 * PIN errors, CS_ERR_LIMIT (EF above 32767 bytes), parse errors of ODF/DODF,
 * the SCP03 errors above, transport errors, mapped status words.
 */
int cs_card_read_bootstrap(struct cs_transport *t, const struct cs_card_read_opts *opts,
			   struct cs_card_info *info, struct cs_buf *ef, struct cs_errinfo *ei);

/* OID match of an entry in words: "2.23.43.9.1", "2.23.43.9.1 (double-wrapped id)", ... */
const char *cs_card_oid_form(enum cs_pkcs15_oid_match m);

#endif
