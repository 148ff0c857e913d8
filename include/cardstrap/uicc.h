/* SPDX-License-Identifier: MIT */
#ifndef CARDSTRAP_UICC_H
#define CARDSTRAP_UICC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cardstrap/buf.h"
#include "cardstrap/error.h"
#include "cardstrap/transport.h"

/*
 * ETSI TS 102 221 / ISO 7816-4 commands over a transport, for the procedure
 * of Core TS App. G.2.5: logical channels, SELECT, FCP, READ BINARY/RECORD,
 * VERIFY. Every command goes through cs_uicc_exchange, which
 * does GET RESPONSE on 61xx and resends on 6Cxx. Commands return 0 on
 * 9000 (and the warnings named per function) and otherwise a named error
 * whose message gives the status word and the command, e.g. "file not
 * found (6A82 on SELECT A000000063504B43532D3135)". The last status word
 * is kept in u->sw.
 */

#define CS_UICC_MAX_AID      16
#define CS_UICC_MAX_KEYREFS  8
#define CS_UICC_SIZE_UNKNOWN ((size_t)-1)

/* Progress of a multi-chunk read. */
typedef void (*cs_progress_fn)(void *arg, size_t done, size_t total);

/*
 * Supplies the PIN for key reference keyref (tries_left as the card
 * reported it). Appends the PIN characters to pin (zeroized by the caller).
 * Returns 0 or an error (CS_ERR_PIN_REQUIRED when there is no PIN source).
 */
typedef int (*cs_pin_fn)(void *arg, uint8_t keyref, int tries_left, struct cs_buf *pin,
			 struct cs_errinfo *ei);

struct cs_uicc {
	struct cs_transport *t;
	uint8_t channel;         /* channel commands are sent on; 0 = basic */
	bool channel_open;       /* a logical channel was opened by cs_uicc_open_channel */
	uint16_t sw;             /* status word of the last command */
	unsigned apdus;          /* APDUs sent so far (GET RESPONSE and resends included) */
	cs_progress_fn progress; /* optional, for reads longer than one chunk */
	void *progress_arg;
};

void cs_uicc_init(struct cs_uicc *u, struct cs_transport *t);

/* CLA of interindustry commands on a channel: 0-3 → 0x00-0x03, 4-19 → 0x40-0x4F (TS 102 221) */
uint8_t cs_uicc_cla(uint8_t channel);

/* One command APDU (short length fields only). */
struct cs_apdu {
	uint8_t cla, ins, p1, p2;
	const uint8_t *data; /* Lc bytes; NULL when lc is 0 */
	size_t lc;           /* 0..255 */
	size_t le;           /* 1..256 when has_le */
	bool has_le;
	unsigned redact; /* enum cs_redact for traces */
};

/*
 * Sends a (cases 1-4; over T=0 a case-4 command goes without Le, TS 102 221 §7.3.1.1;
 * case 1 stays 4 bytes, PC/SC adds P3 = 00 for the TPDU) and collects the
 * response data in rsp (appended) and the final status word in *sw:
 * 6Cxx → the same command once more with Le = xx; 61xx (and 9Fxx) → GET
 * RESPONSE with Le = xx, repeated while 61xx comes back; over T=0 a
 * warning (62xx/63xx) without data on a case-4 command → GET RESPONSE with
 * Le = 00. Returns 0 whatever the status word (transport failures and
 * malformed responses are errors).
 */
int cs_uicc_exchange(struct cs_uicc *u, const struct cs_apdu *a, struct cs_buf *rsp, uint16_t *sw,
		     struct cs_errinfo *ei);

/* A short meaning of a status word ("file or application not found"); never NULL. */
const char *cs_sw_meaning(uint16_t sw);

/*
 * Maps a status word to a cs_err and fills ei with "<meaning> (<SW> on
 * <what>)". 6A82 → CS_ERR_FILE_NOT_FOUND, 6982 → CS_ERR_SECURITY_STATUS,
 * 6983 → CS_ERR_PIN_BLOCKED, 63Cx → CS_ERR_PIN_WRONG, 6881/6A81/6D00/6E00 →
 * CS_ERR_UNSUPPORTED, others → CS_ERR_SW.
 */
int cs_uicc_sw_error(uint16_t sw, const char *what, struct cs_errinfo *ei);

/*
 * MANAGE CHANNEL open (00 70 00 00 01). When the card refuses (any status
 * word but 9000 with a channel number 1..19: 6881, 6A81, 6D00, 6E00, ...),
 * commands stay on the basic channel (u->channel 0, u->channel_open false)
 * and 0 is returned.
 */
int cs_uicc_open_channel(struct cs_uicc *u, struct cs_errinfo *ei);

/* MANAGE CHANNEL close (CLA|ch 70 80 ch) of the channel opened above; no-op on the basic channel.
 */
int cs_uicc_close_channel(struct cs_uicc *u, struct cs_errinfo *ei);

/* File Control Parameters (template 62) of a SELECT answer (TS 102 221 §11.1.1). */
struct cs_fcp {
	bool has_size;
	uint32_t size; /* 80: data bytes */
	bool has_total_size;
	uint32_t total_size; /* 81 */
	bool has_descriptor;
	uint8_t fdb;           /* 82 byte 1: file descriptor byte */
	uint8_t data_coding;   /* 82 byte 2 */
	uint16_t record_len;   /* 82 bytes 3(-4), record EFs only */
	uint16_t record_count; /* 82 bytes 5(-6) */
	bool has_fid;
	uint16_t fid;                 /* 83 */
	uint8_t aid[CS_UICC_MAX_AID]; /* 84: DF name */
	size_t aid_len;
	int sfi; /* 88: -1 absent (implicit), 0 not supported, 1..30 */
	bool has_lcsi;
	uint8_t lcsi;          /* 8A */
	bool has_pin_template; /* C6 */
	uint8_t ps_do[4];      /* C6/90: which listed key references are enabled, MSB first */
	size_t ps_do_len;
	uint8_t key_refs[CS_UICC_MAX_KEYREFS]; /* C6/83, in template order */
	size_t nkey_refs;
};

/* FDB says DF or ADF (b6..b1 = 111000). */
bool cs_fcp_is_df(const struct cs_fcp *f);
/* FDB says transparent working EF (structure 001). */
bool cs_fcp_is_transparent(const struct cs_fcp *f);
/* Key reference i is marked enabled in PS_DO (bit i, MSB of byte 0 first). */
bool cs_fcp_key_enabled(const struct cs_fcp *f, size_t i);

/*
 * The user PIN to present for f: the first enabled application/universal
 * PIN reference (01-08, 11, 81-88) in C6, else the first such reference;
 * ADM references are never chosen. 0 when f lists none.
 */
uint8_t cs_fcp_pin_keyref(const struct cs_fcp *f);

/*
 * Parses an FCP template (62 L ...) strictly: every length is checked
 * against its container, the template must fill buf exactly, fixed-size
 * tags must have their size. Unknown tags are skipped. Errors
 * CS_ERR_TRUNCATED/CS_ERR_MALFORMED/CS_ERR_LIMIT with the byte offset.
 */
int cs_fcp_parse(const uint8_t *buf, size_t len, struct cs_fcp *fcp, struct cs_errinfo *ei);

/*
 * SELECT by DF name (P1 04, P2 04: FCP; Le 00). fcp may be NULL. An empty
 * answer with 9000 leaves fcp zeroed (sfi -1).
 */
int cs_uicc_select_aid(struct cs_uicc *u, const uint8_t *aid, size_t aid_len, struct cs_fcp *fcp,
		       struct cs_errinfo *ei);

/* SELECT by file id (P1 00, P2 04) among the children of the current DF. */
int cs_uicc_select_fid(struct cs_uicc *u, uint16_t fid, struct cs_fcp *fcp, struct cs_errinfo *ei);

/*
 * SELECT by path from the MF (P1 08, P2 04). path is a PKCS#15 path: a
 * leading 3F00 makes it absolute (sent without the 3F00), otherwise it is
 * relative to the current application and sent after 7FFF. An even number
 * of bytes, 2..16.
 */
int cs_uicc_select_path(struct cs_uicc *u, const uint8_t *path, size_t len, struct cs_fcp *fcp,
			struct cs_errinfo *ei);

/*
 * READ BINARY of the current EF from offset 0: chunks of at most
 * u->t->max_rsp_data (≤ 256; Le 00 for 256), offsets ≤ 0x7FFF. Stops at
 * size, on 6282 (end of file, data kept) or on 6B00 past offset 0; with
 * CS_UICC_SIZE_UNKNOWN also on a short chunk. Appends to out. redact is
 * put on every READ BINARY (CS_REDACT_RSP_DATA for secret files).
 * Errors: mapped status words; CS_ERR_LIMIT when size needs an offset above
 * 0x7FFF.
 */
int cs_uicc_read_binary(struct cs_uicc *u, size_t size, unsigned redact, struct cs_buf *out,
			struct cs_errinfo *ei);

/*
 * READ BINARY with a short file identifier (P1 = 0x80|sfi, P2 = offset
 * 0..255). le 1..256. Returns 0 on 9000 or 6282 (data appended).
 */
int cs_uicc_read_binary_sfi(struct cs_uicc *u, uint8_t sfi, uint8_t offset, size_t le,
			    unsigned redact, struct cs_buf *out, struct cs_errinfo *ei);

/*
 * READ RECORD record rec (absolute mode) of the EF with short file
 * identifier sfi, or of the current EF when sfi is 0. le 1..256 (256 = Le
 * 00: the card answers 6Cxx or the record). Returns 0 on 9000 or 6282.
 */
int cs_uicc_read_record(struct cs_uicc *u, uint8_t rec, uint8_t sfi, size_t le, unsigned redact,
			struct cs_buf *out, struct cs_errinfo *ei);

/*
 * VERIFY without data: the retry counter of keyref. *tries_left = x for
 * 63Cx, -1 for 9000 (already verified or the PIN is disabled). Returns 0
 * for both; 6983 → CS_ERR_PIN_BLOCKED; others mapped.
 */
int cs_uicc_pin_status(struct cs_uicc *u, uint8_t keyref, int *tries_left, struct cs_errinfo *ei);

/*
 * Presents a PIN (ASCII digits, 4..8, padded with FF to 8 bytes; TS 102 221) to
 * keyref, never blindly: first asks the retry counter, does nothing when
 * it is already verified, refuses with CS_ERR_PIN_REFUSED when ≤ 1 try is
 * left, then asks get_pin (when the PIN is needed only) and sends VERIFY.
 * 63Cx → CS_ERR_PIN_WRONG with the tries left in the message, 6983 →
 * CS_ERR_PIN_BLOCKED. The command data is redacted in traces and every copy
 * of the PIN is zeroized.
 */
int cs_uicc_verify(struct cs_uicc *u, uint8_t keyref, cs_pin_fn get_pin, void *arg,
		   struct cs_errinfo *ei);

/* Same, with the PIN given. */
int cs_uicc_verify_pin(struct cs_uicc *u, uint8_t keyref, const char *pin, size_t pin_len,
		       struct cs_errinfo *ei);

/*
 * ICCID (EF 2FE2) as digits: READ BINARY with SFI 02 on the basic channel,
 * falling back to SELECT 2FE2 by path from the MF. Nibbles are swapped
 * BCD; F ends the number. iccid has room for 21 bytes. The card's
 * refusal (status words) yields CS_ERR_NOT_FOUND; transport errors pass
 * through. Sent on the basic channel whatever u->channel is.
 */
int cs_uicc_read_iccid(struct cs_uicc *u, char iccid[21], struct cs_errinfo *ei);

/* BCD with swapped nibbles → digits (F ends; other non-digits become '?'). */
void cs_iccid_decode(const uint8_t *buf, size_t len, char *out, size_t outsz);

#define CS_UICC_MAX_RECORDS 32

/* Records of a record EF, back to back in data; record i has len[i] bytes. */
struct cs_records {
	struct cs_buf data;
	size_t len[CS_UICC_MAX_RECORDS];
	size_t n;
};

/*
 * EF.DIR (2F00) on the basic channel: READ RECORD with SFI 1E, records
 * 1..n until 6A83, 6282 or an all-FF record (at most CS_UICC_MAX_RECORDS),
 * falling back to SELECT 2F00 (linear fixed: records 1..count of the FCP;
 * transparent: READ BINARY, the whole content as one record). Appends to
 * out (whose data the caller frees). CS_ERR_NOT_FOUND when the card has no
 * readable EF.DIR; transport errors pass through.
 */
int cs_uicc_read_dir(struct cs_uicc *u, struct cs_records *out, struct cs_errinfo *ei);

#endif
