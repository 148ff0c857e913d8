/* SPDX-License-Identifier: MIT */
#ifndef CARDSTRAP_CARDIMG_H
#define CARDSTRAP_CARDIMG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cardstrap/buf.h"
#include "cardstrap/error.h"
#include "cardstrap/scp03.h"
#include "cardstrap/transport.h"

/*
 * Card image: a UICC described as a JSON document (format in
 * applet-spec/card-image.md): ATR, protocol behaviour, logical channels,
 * ICCID, the MF with its EFs (EF.DIR), ADFs by AID with their EFs and PIN
 * status template, the PINs, and the SCP03 key set. cardsim serves an image APDU by APDU
 * (Core TS App. G.2 over TS 102 221 / ISO 7816-4); the image transport and cardstrap-vcard
 * put it behind struct cs_transport and the vpcd socket.
 */

#define CS_CARDIMG_VERSION        1
#define CS_CARDIMG_MAX_ATR        33
#define CS_CARDIMG_MAX_AID        16
#define CS_CARDIMG_MAX_NAME       64
#define CS_CARDIMG_MAX_PIN_STATUS 8
#define CS_CARDIMG_MAX_CHANNELS   20         /* 0-3 (CLA 0x), 4-19 (CLA 4x) */
#define CS_CARDIMG_MAX_EF_SIZE    65535      /* FCP tag 80 carries two bytes */
#define CS_CARDIMG_MAX_FILE       (4u << 20) /* largest image file load() reads */

#define CS_FID_MF          0x3F00
#define CS_FID_CURRENT_ADF 0x7FFF
#define CS_FID_EF_DIR      0x2F00
#define CS_FID_EF_ICCID    0x2FE2
#define CS_SFI_EF_DIR      0x1E
#define CS_SFI_EF_ICCID    0x02

enum cs_ef_structure {
	CS_EF_TRANSPARENT = 1,
	CS_EF_LINEAR_FIXED = 2,
};

struct cs_cardimg_ef {
	uint16_t fid;
	uint8_t sfi; /* 1..30; 0 = the EF has no SFI (FCP 88 00) */
	enum cs_ef_structure structure;
	uint8_t read_pin; /* key reference that must be verified to read; 0 = always */
	char name[CS_CARDIMG_MAX_NAME + 1]; /* informational ("ODF"), "" when none */
	uint8_t *data;       /* transparent: content; linear fixed: the records back to back */
	size_t len;          /* file size (tag 80) */
	size_t record_len;   /* linear fixed only */
	size_t record_count; /* linear fixed only */
	bool generated;      /* EF ICCID made from "iccid"; not written by save */
};

/* One entry of the PIN status template (FCP tag C6): key reference and its PS_DO bit. */
struct cs_cardimg_pin_status {
	uint8_t key_ref;
	bool enabled;
};

/* The MF (aid_len 0) or an ADF. */
struct cs_cardimg_df {
	uint16_t fid; /* 3F00 for the MF; 0 when an ADF has no FID */
	uint8_t aid[CS_CARDIMG_MAX_AID];
	size_t aid_len;
	char label[CS_CARDIMG_MAX_NAME + 1];
	struct cs_cardimg_pin_status pin_status[CS_CARDIMG_MAX_PIN_STATUS];
	size_t n_pin_status;
	struct cs_cardimg_ef *efs;
	size_t n_efs;
};

struct cs_cardimg_pin {
	uint8_t key_ref;
	uint8_t value[8];    /* ASCII digits padded with FF, as VERIFY PIN carries them */
	unsigned tries_left; /* non-volatile: cardsim counts it down */
	unsigned max_tries;  /* 1..15 (63Cx has one nibble) */
};

#define CS_CARDIMG_SCP03_SEQ_MAX 0xFFFFFF /* the sequence counter has 3 bytes */

/* The card's SCP03 key set and behaviour (card-image.md §4.7; Core TS App. H). */
struct cs_cardimg_scp03 {
	struct cs_scp03_keys keys;             /* KVN, ENC, MAC, DEK */
	uint8_t i_param;                       /* 10, 20, 40 bits only (S8); default 70 */
	uint8_t key_div[CS_SCP03_KEY_DIV_LEN]; /* key diversification data; default 00s */
	uint32_t seq;  /* sequence counter the next INITIALIZE UPDATE uses (i bit 10) */
	bool required; /* the ADFs' EFs only through a session at `level` or above */
	uint8_t level; /* security level `required` asks for; default 33 */
};

struct cs_cardimg {
	uint8_t atr[CS_CARDIMG_MAX_ATR];
	size_t atr_len;
	bool t0;              /* T=0: 61xx + GET RESPONSE, 6Cxx (TS 102 221 §7.3.1.1) */
	unsigned channels;    /* logical channels incl. the basic one, 1..20 */
	bool extended_length; /* extended Lc/Le; matches the ATR card capabilities */
	size_t max_le;        /* most response data in one R-APDU */
	char iccid[21];       /* digits, "" when the card has no EF ICCID */
	char description[CS_CARDIMG_MAX_NAME * 4 + 1];
	struct cs_cardimg_df mf;
	struct cs_cardimg_df *adfs;
	size_t n_adfs;
	struct cs_cardimg_pin *pins;
	size_t n_pins;
	struct cs_cardimg_scp03 *scp03; /* NULL: the card has no SCP03 key set */
	void *extra;                    /* top-level "x-*" members (jansson object), kept by save */
};

/* An empty image: default ATR, T=1, 4 channels, max Le 256, MF without files. */
int cs_cardimg_new(struct cs_cardimg **out);

/* Frees img, zeroizing file contents, PINs and SCP03 keys. NULL is allowed. */
void cs_cardimg_free(struct cs_cardimg *img);

/*
 * Parses a card image from JSON text (len bytes, need not be NUL-terminated).
 * Strict: unknown members are errors except names starting with "x-"
 * (anywhere); the message names the member and what is wrong (never a key
 * or PIN value). On success *out is a new image the caller frees.
 */
int cs_cardimg_parse(const char *text, size_t len, struct cs_cardimg **out, struct cs_errinfo *ei);

/* Reads and parses the file at path (at most CS_CARDIMG_MAX_FILE bytes). */
int cs_cardimg_load(const char *path, struct cs_cardimg **out, struct cs_errinfo *ei);

/* Appends the JSON text of img (NUL-terminated, not counted in out->len). */
int cs_cardimg_serialize(const struct cs_cardimg *img, struct cs_buf *out, struct cs_errinfo *ei);

/*
 * Writes img to path with mode 0600 (images hold PINs): a temporary file in
 * the same directory, renamed over path.
 */
int cs_cardimg_save(const struct cs_cardimg *img, const char *path, struct cs_errinfo *ei);

/* What an ATR announces (ISO 7816-3 §8, ISO 7816-4 §8.1.1.2.7 card capabilities). */
struct cs_atr_info {
	bool t0, t1;         /* protocols offered (T=0 implicit when TD1 is absent) */
	const uint8_t *hist; /* historical bytes, inside the ATR given */
	size_t hist_len;
	bool has_caps;        /* card capabilities with a third software function table */
	bool extended_length; /* third table b7 */
	unsigned channels;    /* from third table b3..b1 (y + 1, 8 = "8 or more"); 1 without */
};

/* Checks an ATR (TS, T0, interface bytes, historical bytes, TCK) and describes it. */
int cs_atr_parse(const uint8_t *atr, size_t len, struct cs_atr_info *info, struct cs_errinfo *ei);

/*
 * The ATR cardstrap images use unless they give their own: T=1, direct
 * convention, historical bytes 80 73 F6 01 <third software function table>
 * announcing card/IFD channel assignment, the channel count and extended
 * Lc/Le. atr needs CS_CARDIMG_MAX_ATR bytes.
 */
int cs_cardimg_default_atr(unsigned channels, bool extended_length, uint8_t *atr, size_t *len);

/* ADF whose AID starts with aid[0..len) (partial DF name selection), or NULL. */
struct cs_cardimg_df *cs_cardimg_find_adf(struct cs_cardimg *img, const uint8_t *aid, size_t len);

/* EF with that FID directly under df, or NULL. */
struct cs_cardimg_ef *cs_cardimg_find_ef(struct cs_cardimg_df *df, uint16_t fid);

/*
 * EF LwM2M_Bootstrap of the image: the EF named "LwM2M_Bootstrap" in the
 * PKCS#15 ADF, else the one its ODF → DODF leads to. NULL when none.
 */
struct cs_cardimg_ef *cs_cardimg_bootstrap_ef(struct cs_cardimg *img);

/*
 * The standard layout of applet-spec/card-image.md §5:
 *   MF 3F00: EF.DIR 2F00 (linear fixed, SFI 1E, one PKCS#15 template: AID,
 *            label "LwM2M", path 3F00 7F50), EF ICCID 2FE2 (SFI 02)
 *   ADF PKCS#15 (FID 7F50): ODF 5031 → DODF 6430 → EF LwM2M_Bootstrap 6432
 *            (SFIs 11, 10, 12 = FID & 1F)
 */
struct cs_cardimg_std {
	const uint8_t *ef; /* EF LwM2M_Bootstrap content (1..65535 bytes) */
	size_t ef_len;
	const char *iccid;  /* NULL = CS_CARDIMG_STD_ICCID */
	const char *pin;    /* NULL = no PIN; else 4..8 digits */
	uint8_t pin_ref;    /* key reference of the PIN; 0 = 01 (PIN Appl 1) */
	unsigned pin_tries; /* 0 = 3 */
	bool private_obj;   /* DODF flags private + authId; reading the EF needs the PIN */
	bool wrapped_oid; /* DODF id 06 06 06 04 67 2B 09 01 instead of 06 04 67 2B 09 01 */
	bool t0;
	unsigned channels; /* 0 = 4 */
	bool extended_length;
	const struct cs_scp03_keys *scp03_keys; /* an SCP03 key set (copied), i 70, seq 0 */
	bool scp03_required; /* the PKCS#15 files only through a secure channel */
	uint8_t scp03_level; /* the level it asks for; 0 = 33 */
};

#define CS_CARDIMG_STD_ICCID      "89999000000000000015"
#define CS_CARDIMG_STD_ADF_FID    0x7F50
#define CS_CARDIMG_STD_LABEL      "LwM2M"
#define CS_CARDIMG_STD_DODF_LABEL "LwM2M Bootstrap"

int cs_cardimg_build_standard(const struct cs_cardimg_std *opt, struct cs_cardimg **out,
			      struct cs_errinfo *ei);

/*
 * cardsim: the APDU processor over an image (applet-spec/card-image.md §6).
 * sim borrows img, which must outlive it; PIN try counters and the SCP03
 * sequence counter in img are changed (they are non-volatile card state).
 * The security state (PINs verified, SCP03 sessions), logical channels and
 * selections are volatile: reset() drops them as a power cycle or reset
 * does.
 */
struct cs_cardsim;

int cs_cardsim_new(struct cs_cardimg *img, struct cs_cardsim **out, struct cs_errinfo *ei);
void cs_cardsim_free(struct cs_cardsim *sim);
void cs_cardsim_reset(struct cs_cardsim *sim);

/*
 * Processes one C-APDU and writes the R-APDU (data + SW1 SW2). *rlen is the
 * room in rapdu on entry (at least 2) and the R-APDU length on return.
 * Every malformed APDU gets a status word; the function only fails
 * (CS_ERR_ARG, CS_ERR_LIMIT) when the arguments are wrong or rapdu is too
 * small for the answer.
 */
int cs_cardsim_process(struct cs_cardsim *sim, const uint8_t *capdu, size_t clen, uint8_t *rapdu,
		       size_t *rlen);

/* C-APDUs processed since cs_cardsim_new (reset does not clear it). */
unsigned long cs_cardsim_apdu_count(const struct cs_cardsim *sim);

/* Responses sent with an SCP03 R-MAC since cs_cardsim_new, counted from 1. */
unsigned long cs_cardsim_rmac_count(const struct cs_cardsim *sim);

/*
 * Fault injection for tests: flips the lowest bit of the first R-MAC byte
 * of the nth response that carries an R-MAC (as cs_cardsim_rmac_count
 * counts them); 0 turns it off.
 */
void cs_cardsim_tamper_rmac(struct cs_cardsim *sim, unsigned long nth);

/*
 * A transport that serves a card image in process through cardsim; t0 and
 * max_rsp_data follow the image. from_image takes ownership of img, also
 * when it fails.
 */
int cs_image_transport_open(const char *path, struct cs_transport **out, struct cs_errinfo *ei);
int cs_image_transport_from_image(struct cs_cardimg *img, struct cs_transport **out,
				  struct cs_errinfo *ei);

/* The simulator behind an image transport (NULL for any other transport). */
struct cs_cardsim *cs_image_transport_sim(struct cs_transport *t);

#endif
