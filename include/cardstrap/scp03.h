/* SPDX-License-Identifier: MIT */
#ifndef CARDSTRAP_SCP03_H
#define CARDSTRAP_SCP03_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cardstrap/error.h"
#include "cardstrap/transport.h"

/*
 * GlobalPlatform SCP03 (Card Specification Amendment D), the secure channel
 * of LwM2M Core TS Appendix H, in S8 mode with AES-128/192/256 keys.
 *
 * Three layers:
 *  - the crypto core (KDF, session keys, cryptograms, C-MAC chaining,
 *    command/response encryption) on a struct cs_scp03_session, with
 *    functions for the host (cs_scp03_host_*) and for the card
 *    (cs_scp03_card_*, used by the virtual card);
 *  - a transport decorator: after cs_scp03_open() every C-APDU sent on the
 *    session's logical channel is wrapped and every R-APDU unwrapped, so
 *    the layers above are unchanged;
 *  - the --scp03-keys file parser.
 *
 * Every secret (static keys, session keys, MAC chaining value) is zeroized
 * by the *_clear functions and on every error path. Error messages never
 * carry key material, challenges or cryptograms.
 *
 * Class byte (GP Amendment D C-MAC; TS 102 221 / ISO 7816-4 class byte):
 *  - channels 0-3: the transmitted CLA keeps b2..b1 (channel), clears b4
 *    and sets b3 (0x04): 80 → 84, 01 → 05;
 *  - channels 4-19 (further interindustry class, 0x40/0xC0 + channel - 4):
 *    b4..b1 carry the channel, so the secure-messaging indication is b6
 *    (0x20): C1 → E1, 41 → 61 (ISO 7816-4 further interindustry class);
 *  - the CLA in the C-MAC input always has the channel set to zero in the
 *    first interindustry form: (CLA & 0x90) | 0x04, i.e. 84 for GP
 *    commands and 04 for ISO commands, on every channel.
 * The 4-19 mapping and the ISO-command rule are UNCONFIRMED against a card.
 */

#define CS_SCP03_KEY_MAX     32 /* AES-256 */
#define CS_SCP03_BLOCK       16 /* AES block, full CMAC, MAC chaining value */
#define CS_SCP03_S8          8  /* challenge, cryptogram and MAC length in S8 mode */
#define CS_SCP03_KEY_DIV_LEN 10 /* key diversification data */
#define CS_SCP03_SEQ_LEN     3  /* sequence counter */
#define CS_SCP03_KCV_LEN     3

#define CS_SCP03_INIT_UPDATE_LEN     14  /* CLA 50 KVN 00 08 <host challenge> 00 */
#define CS_SCP03_INIT_UPDATE_RSP_MAX 32  /* S8 response data with the sequence counter */
#define CS_SCP03_EXT_AUTH_LEN        21  /* CLA 82 level 00 10 <host cryptogram> <C-MAC> */
#define CS_SCP03_CAPDU_MAX           261 /* a short APDU: 5 + 255 + Le */

/* Security level bits (EXTERNAL AUTHENTICATE P1, GP Amendment D). */
#define CS_SCP03_C_MAC        0x01
#define CS_SCP03_C_DECRYPTION 0x02
#define CS_SCP03_R_MAC        0x10
#define CS_SCP03_R_ENCRYPTION 0x20
#define CS_SCP03_LEVEL_LWM2M  0x33 /* App. H note 2: all four */

/* "i" parameter bits of the INITIALIZE UPDATE response (GP Amendment D). */
#define CS_SCP03_I_PSEUDO_RANDOM 0x10
#define CS_SCP03_I_R_MAC         0x20
#define CS_SCP03_I_R_ENC         0x40
#define CS_SCP03_I_S16           0x01 /* UNCONFIRMED; S16 is not supported here */

/* Derivation constants (GP Amendment D key derivation). */
enum cs_scp03_dc {
	CS_SCP03_DC_CARD_CRYPTOGRAM = 0x00,
	CS_SCP03_DC_HOST_CRYPTOGRAM = 0x01,
	CS_SCP03_DC_CARD_CHALLENGE = 0x02,
	CS_SCP03_DC_S_ENC = 0x04,
	CS_SCP03_DC_S_MAC = 0x06,
	CS_SCP03_DC_S_RMAC = 0x07,
};

/* A static key set. len is 16, 24 or 32 for all three keys. */
struct cs_scp03_keys {
	uint8_t kvn; /* key version number; 00 = first available */
	size_t len;
	uint8_t enc[CS_SCP03_KEY_MAX];
	uint8_t mac[CS_SCP03_KEY_MAX];
	uint8_t dek[CS_SCP03_KEY_MAX]; /* not used to read bootstrap data */
	bool has_dek;
};

/*
 * Fills k (cleared first) from raw keys. dek may be NULL. Errors:
 * CS_ERR_RANGE when len is not 16, 24 or 32.
 */
int cs_scp03_keys_set(struct cs_scp03_keys *k, uint8_t kvn, const uint8_t *enc, const uint8_t *mac,
		      const uint8_t *dek, size_t len, struct cs_errinfo *ei);

/*
 * Parses a keys file's text (len bytes, need not be NUL-terminated):
 * one "name=value" per line, names kvn (1 byte hex, default 00), enc, mac
 * (required) and dek (optional), values in hex (cs_hex_decode spacing
 * allowed), blank lines and '#' comments ignored, each name at most once.
 * Key lengths 16/24/32, all equal. Errors (CS_ERR_MALFORMED, CS_ERR_RANGE)
 * name the line, with the byte offset of the line; never the value.
 */
int cs_scp03_keys_parse(const char *text, size_t len, struct cs_scp03_keys *k,
			struct cs_errinfo *ei);

/*
 * Reads the --scp03-keys file at path and parses it as above. The file must
 * be a regular file with mode 0600 or stricter: any group/other permission
 * bit gives CS_ERR_PERM. CS_ERR_IO when it cannot be read, CS_ERR_LIMIT
 * above 4096 bytes. Every copy of the text is zeroized.
 */
int cs_scp03_keys_load(const char *path, struct cs_scp03_keys *k, struct cs_errinfo *ei);

/* Zeroizes k. */
void cs_scp03_keys_clear(struct cs_scp03_keys *k);

/* AES key check value: the first 3 bytes of AES-ECB(key, 16 × 01) (GP). */
int cs_scp03_kcv(const uint8_t *key, size_t key_len, uint8_t kcv[CS_SCP03_KCV_LEN]);

/*
 * NIST SP 800-108 counter mode with AES-CMAC in GP's field order
 * (GP Amendment D): block i = CMAC(key, 11 × 00 || constant || 00 || L || i ||
 * context), L = out_len × 8 in 2 bytes. out_len 1..255 × 16 bytes. key_len
 * 16/24/32. CS_ERR_ARG/CS_ERR_RANGE on bad arguments.
 */
int cs_scp03_kdf(const uint8_t *key, size_t key_len, uint8_t constant, const uint8_t *context,
		 size_t context_len, uint8_t *out, size_t out_len);

/* True for the security levels 00, 01, 03, 11, 13 and 33 (GP Amendment D). */
bool cs_scp03_level_valid(uint8_t level);

enum cs_scp03_state {
	CS_SCP03_IDLE = 0,   /* no session (or it was ended) */
	CS_SCP03_INIT_SENT,  /* host: INITIALIZE UPDATE built */
	CS_SCP03_CHALLENGED, /* card cryptogram checked (host) / sent (card) */
	CS_SCP03_AUTH_SENT,  /* host: EXTERNAL AUTHENTICATE built, awaiting 9000 */
	CS_SCP03_OPEN,       /* mutual authentication done: wrap and unwrap */
};

/*
 * The state of one secure channel session, on the host or on the card.
 * Fields are read-only for callers; clear it with cs_scp03_session_clear.
 */
struct cs_scp03_session {
	enum cs_scp03_state state;
	bool card;       /* card side */
	uint8_t channel; /* logical channel 0..19 */
	uint8_t kvn;     /* as the card answered */
	uint8_t i_param;
	uint8_t level; /* security level after EXTERNAL AUTHENTICATE */
	size_t key_len;
	uint8_t s_enc[CS_SCP03_KEY_MAX];
	uint8_t s_mac[CS_SCP03_KEY_MAX];
	uint8_t s_rmac[CS_SCP03_KEY_MAX];
	uint8_t host_challenge[CS_SCP03_S8];
	uint8_t card_challenge[CS_SCP03_S8];
	uint8_t card_cryptogram[CS_SCP03_S8];
	uint8_t host_cryptogram[CS_SCP03_S8];
	uint8_t key_div[CS_SCP03_KEY_DIV_LEN];
	uint8_t seq[CS_SCP03_SEQ_LEN];
	bool has_seq;                /* the card uses pseudo-random challenges */
	uint8_t mcv[CS_SCP03_BLOCK]; /* MAC chaining value: the last full C-MAC */
	uint32_t counter;            /* encryption counter of the last command */
};

/* Zeroizes s (state IDLE). */
void cs_scp03_session_clear(struct cs_scp03_session *s);

/* ---- host side ------------------------------------------------------------------------------ */

/* len bytes from the kernel CSPRNG (getrandom), for host challenges. CS_ERR_IO when it fails. */
int cs_scp03_random(uint8_t *out, size_t len, struct cs_errinfo *ei);

/*
 * Starts a host session on channel (0..19): clears s, keeps host_challenge
 * (8 bytes; use cs_scp03_random) and builds INITIALIZE UPDATE into apdu
 * (CS_SCP03_INIT_UPDATE_LEN bytes): CLA 80+ch (C0+ch-4), 50, P1 = keys' KVN,
 * 00, 08, challenge, Le 00.
 */
int cs_scp03_host_init_update(struct cs_scp03_session *s, const struct cs_scp03_keys *k,
			      uint8_t channel, const uint8_t host_challenge[CS_SCP03_S8],
			      uint8_t apdu[CS_SCP03_INIT_UPDATE_LEN], struct cs_errinfo *ei);

/*
 * Parses the INITIALIZE UPDATE response data (rsp, without SW; 29 or 32
 * bytes), derives S-ENC/S-MAC/S-RMAC and compares the card cryptogram.
 * Errors: CS_ERR_TRUNCATED/CS_ERR_MALFORMED (length), CS_ERR_SCP03_UNSUPPORTED
 * (SCP identifier not 03, S16 response, other key version than asked),
 * CS_ERR_SCP03_CRYPTOGRAM "card cryptogram mismatch (wrong SCP03 keys or key
 * version?)". s is cleared on every error.
 */
int cs_scp03_host_check_init_update(struct cs_scp03_session *s, const struct cs_scp03_keys *k,
				    const uint8_t *rsp, size_t len, struct cs_errinfo *ei);

/*
 * Builds EXTERNAL AUTHENTICATE for level into apdu (CS_SCP03_EXT_AUTH_LEN
 * bytes): CLA 84+ch, 82, level, 00, 10, host cryptogram, C-MAC. It is
 * always C-MACed and never encrypted. Errors: CS_ERR_RANGE (invalid
 * level), CS_ERR_SCP03_UNSUPPORTED (R-MAC/R-ENC asked, the "i" parameter
 * does not offer it).
 */
int cs_scp03_host_ext_auth(struct cs_scp03_session *s, uint8_t level,
			   uint8_t apdu[CS_SCP03_EXT_AUTH_LEN], struct cs_errinfo *ei);

/*
 * The card's status word to EXTERNAL AUTHENTICATE: 9000 opens the session;
 * otherwise s is cleared and CS_ERR_SCP03_CRYPTOGRAM (6300, 6982: the card
 * refused the host cryptogram) or CS_ERR_SW is returned.
 */
int cs_scp03_host_ext_auth_result(struct cs_scp03_session *s, uint16_t sw, struct cs_errinfo *ei);

/*
 * Wraps one short C-APDU (cases 1-4) of an open session (GP Amendment D):
 * counter + 1, data 80-padded and AES-CBC encrypted with ICV =
 * AES(S-ENC, counter) under C-DECRYPTION, C-MAC chained over the MCV,
 * transmitted CLA with the secure-messaging bit. Le is kept as given:
 * the card reads it as the plaintext Le (UNCONFIRMED on real cards;
 * pySim appends 00, which is what every vector uses). Nothing is changed
 * under level 00. *olen is the room in out on entry (CS_SCP03_CAPDU_MAX is
 * always enough). Errors: CS_ERR_ARG (not open, malformed APDU, SM bits
 * already set), CS_ERR_UNSUPPORTED (extended length), CS_ERR_LIMIT
 * (wrapped Lc above 255: at most 239 data bytes with C-DECRYPTION, 247
 * without).
 */
int cs_scp03_host_wrap(struct cs_scp03_session *s, const uint8_t *capdu, size_t clen, uint8_t *out,
		       size_t *olen, struct cs_errinfo *ei);

/*
 * Unwraps the R-APDU (data + SW) of the command wrapped last (GP Amendment D):
 * for SW 9000/62xx/63xx checks the R-MAC over MCV || data' || SW and, under
 * R-ENCRYPTION, decrypts with ICV = AES(S-ENC, 80 || counter) and strips
 * the padding; other SWs are returned alone. out receives data + SW; *olen
 * is its room on entry (rlen is always enough). Errors: CS_ERR_SCP03_MAC
 * "response MAC mismatch" (also a missing R-MAC), CS_ERR_MALFORMED (bad
 * padding or block length). After CS_ERR_SCP03_MAC the session is cleared.
 */
int cs_scp03_host_unwrap(struct cs_scp03_session *s, const uint8_t *rapdu, size_t rlen,
			 uint8_t *out, size_t *olen, struct cs_errinfo *ei);

/* ---- card side ------------------------------------------------------------------------------ */

/*
 * The pseudo-random card challenge (i bit 0x10): KDF(static ENC, constant
 * 02, L 64, context = sequence counter || invoking AID). That context is
 * UNCONFIRMED against the GP text; it reproduces all nine card challenges of
 * pySim's test vectors with the ISD-R AID A0000005591010FFFFFFFF8900000100.
 */
int cs_scp03_card_challenge(const struct cs_scp03_keys *k, const uint8_t seq[CS_SCP03_SEQ_LEN],
			    const uint8_t *aid, size_t aid_len, uint8_t challenge[CS_SCP03_S8]);

/* What the card puts in its INITIALIZE UPDATE response. */
struct cs_scp03_card_params {
	uint8_t key_div[CS_SCP03_KEY_DIV_LEN];
	uint8_t i_param;                     /* e.g. 0x70: pseudo-random challenge, R-MAC, R-ENC */
	uint8_t card_challenge[CS_SCP03_S8]; /* random, or cs_scp03_card_challenge() */
	uint8_t seq[CS_SCP03_SEQ_LEN];       /* sent when i_param has CS_SCP03_I_PSEUDO_RANDOM */
};

/*
 * Card: processes INITIALIZE UPDATE (the whole C-APDU) with key set k and
 * writes the response data (29 or 32 bytes) to rsp (room *rlen, at least
 * CS_SCP03_INIT_UPDATE_RSP_MAX) and the status word to *sw; s is restarted
 * on the command's channel. *sw on refusal (return CS_ERR_SW): 6E00 CLA,
 * 6D00 INS, 6A86 P2, 6700 Lc, 6A88 key version not found (P1 not 00 and
 * not k->kvn). Returns 0 with *sw 9000.
 */
int cs_scp03_card_init_update(struct cs_scp03_session *s, const struct cs_scp03_keys *k,
			      const struct cs_scp03_card_params *p, const uint8_t *capdu,
			      size_t clen, uint8_t *rsp, size_t *rlen, uint16_t *sw,
			      struct cs_errinfo *ei);

/*
 * Card: checks EXTERNAL AUTHENTICATE after INITIALIZE UPDATE: C-MAC first
 * (6982 and CS_ERR_SCP03_MAC), then the host cryptogram (6300 and
 * CS_ERR_SCP03_CRYPTOGRAM), the level (6A86 and CS_ERR_RANGE when invalid
 * or not offered by the "i" parameter), 6985 when no INITIALIZE UPDATE
 * came first, 6700 on a wrong length. Any failure clears s. Returns 0 with
 * *sw 9000: the session is open at that level.
 */
int cs_scp03_card_ext_auth(struct cs_scp03_session *s, const uint8_t *capdu, size_t clen,
			   uint16_t *sw, struct cs_errinfo *ei);

/*
 * Card: unwraps one C-APDU received on the session's channel: checks the
 * secure-messaging CLA, verifies the C-MAC (MCV updated), decrypts under
 * C-DECRYPTION. plain receives the command as the host gave it (room
 * *plen; clen is always enough). On failure *sw is what to answer: 6982
 * (no secure messaging, C-MAC mismatch: CS_ERR_SCP03_MAC, session cleared
 * as GP requires), 6700 (lengths, bad padding: CS_ERR_MALFORMED). Under
 * level 00 the command is copied as it is.
 */
int cs_scp03_card_unwrap(struct cs_scp03_session *s, const uint8_t *capdu, size_t clen,
			 uint8_t *plain, size_t *plen, uint16_t *sw, struct cs_errinfo *ei);

/*
 * Card: wraps the response to the command unwrapped last: for 9000/62xx/
 * 63xx the data is padded and encrypted under R-ENCRYPTION (when not
 * empty) and the R-MAC appended under R-MAC; other SWs go alone (data
 * dropped). out receives data' || R-MAC || SW (room *olen). CS_ERR_LIMIT
 * when it does not fit *olen.
 */
int cs_scp03_card_wrap(struct cs_scp03_session *s, const uint8_t *data, size_t dlen, uint16_t sw,
		       uint8_t *out, size_t *olen, struct cs_errinfo *ei);

/* ---- transport decorator -------------------------------------------------------------------- */

/* Flags of cs_scp03_transport_new. */
#define CS_SCP03_TRACE_PLAIN  0x01 /* also trace the plain APDUs, as layer "scp03" */
#define CS_SCP03_BORROW_INNER 0x02 /* inner stays the caller's: not destroyed with t */

/*
 * A transport that wraps inner (which it owns from now on, destroyed with
 * it, unless CS_SCP03_BORROW_INNER; on error inner is left to the caller).
 * Until cs_scp03_open, and for commands on other channels, APDUs pass
 * through unchanged. keys are copied. level is the security level
 * EXTERNAL AUTHENTICATE asks for (CS_SCP03_LEVEL_LWM2M for App. H).
 * inner's trace hook sees the bytes on the wire. With CS_SCP03_TRACE_PLAIN
 * the decorator also traces the plain form of every wrapped exchange with
 * inner's hook, as layer "scp03" (commands passed through are in the wire
 * trace already); set t->trace yourself to see every exchange. t0,
 * max_cmd_data and max_rsp_data follow inner, and shrink while a session
 * is open so that a wrapped exchange fits a short APDU (0x33: 239 response
 * bytes per READ BINARY: pad16(n + 1) + 8 ≤ 256).
 */
int cs_scp03_transport_new(struct cs_transport *inner, const struct cs_scp03_keys *keys,
			   uint8_t level, unsigned flags, struct cs_transport **out,
			   struct cs_errinfo *ei);

/*
 * INITIALIZE UPDATE + EXTERNAL AUTHENTICATE on channel (0..19), sent
 * plain through inner with a fresh host challenge; to be called right
 * after SELECT AID of the application on that channel. From then on every
 * command on that channel is wrapped, except GET RESPONSE and MANAGE
 * CHANNEL open, which are transport/OS level (UNCONFIRMED). MANAGE CHANNEL
 * close of the session's channel is wrapped too and ends the session; when
 * the card refuses the wrapped form (any SW but 9000: an OS that handles
 * MANAGE CHANNEL itself, UNCONFIRMED) it is sent once more in plain. When
 * a wrapped exchange fails (R-MAC mismatch, transport error) the session
 * ends and further commands on that channel are refused with
 * CS_ERR_SCP03_MAC instead of going out in plain, until MANAGE CHANNEL
 * close (then sent in plain), cs_scp03_close or a new cs_scp03_open. Over
 * a T=0 inner transport, 61xx after a wrapped command is resolved here
 * (GET RESPONSE) before unwrapping. The wire trace masks the data of
 * VERIFY-like commands and READ BINARY/RECORD answers when they travel
 * unencrypted. Errors: those of the host functions above,
 * CS_ERR_SCP03_UNSUPPORTED "card does not support SCP03 (6D00 on
 * INITIALIZE UPDATE, logical channel 1)" (6D00/6E00/6A81/6A86/6881/6882;
 * 6A88: no such key version), CS_ERR_SW, transport errors. A session
 * already open is ended first.
 */
int cs_scp03_open(struct cs_transport *t, uint8_t channel, struct cs_errinfo *ei);

/*
 * Ends the session locally (no APDU) and zeroizes it. Afterwards commands
 * pass through unwrapped again. No-op when none is open.
 */
void cs_scp03_close(struct cs_transport *t);

/* True when t is an SCP03 transport with an open session. */
bool cs_scp03_is_open(const struct cs_transport *t);

/* The session of an SCP03 transport (NULL for other transports). */
const struct cs_scp03_session *cs_scp03_session_of(const struct cs_transport *t);

/*
 * APDUs an SCP03 transport sent over inner so far: the wire count,
 * INITIALIZE UPDATE, EXTERNAL AUTHENTICATE and the GET RESPONSEs it sent
 * itself included. 0 for other transports.
 */
unsigned long cs_scp03_apdus(const struct cs_transport *t);

#endif
