/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "cardstrap/cardimg.h"
#include "cardstrap/scp03.h"

/*
 * The card side of Core TS App. G.2 (a TS 102 221 / ISO 7816-4 subset):
 * MANAGE CHANNEL, SELECT, READ BINARY, READ RECORD, VERIFY, GET RESPONSE,
 * and the SCP03 secure channel of Core TS App. H (GP Amendment D:
 * INITIALIZE UPDATE, EXTERNAL AUTHENTICATE, wrapped commands) with one
 * session per logical channel. Every handler returns the status word; response data
 * goes to sim->out.
 */

#define SW_OK           0x9000
#define SW_EOF          0x6282 /* end of file/record before Le bytes */
#define SW_WRONG_LENGTH 0x6700
#define SW_CHANNEL      0x6881 /* logical channel not supported */
#define SW_SM           0x6882 /* secure messaging not supported */
#define SW_CHAINING     0x6884 /* command chaining not supported */
#define SW_STRUCTURE    0x6981 /* command incompatible with file structure */
#define SW_SECURITY     0x6982 /* security status not satisfied */
#define SW_BLOCKED      0x6983 /* authentication method blocked */
#define SW_CONDITIONS   0x6985 /* conditions of use not satisfied */
#define SW_NO_EF        0x6986 /* no current EF */
#define SW_FUNCTION     0x6A81 /* function not supported */
#define SW_NOT_FOUND    0x6A82 /* file or application not found */
#define SW_NO_RECORD    0x6A83 /* record not found */
#define SW_P1P2         0x6A86 /* incorrect P1-P2 */
#define SW_NO_DATA      0x6A88 /* referenced data not found */
#define SW_OFFSET       0x6B00 /* wrong parameters P1-P2: offset outside the EF */
#define SW_INS          0x6D00
#define SW_CLA          0x6E00
#define SW_TECHNICAL    0x6F00

#define INS_INIT_UPDATE  0x50
#define INS_EXT_AUTH     0x82
#define INS_MANAGE_CHAN  0x70
#define INS_GET_RESPONSE 0xC0
#define PENDING_MAX      512 /* a wrapped answer: 256 data + padding + R-MAC */

struct channel {
	bool open;
	struct cs_cardimg_df *df;  /* current DF: the MF or an ADF */
	struct cs_cardimg_df *adf; /* current application, what 7FFF names */
	struct cs_cardimg_ef *ef;  /* current EF, NULL when none */
};

struct cs_cardsim {
	struct cs_cardimg *img;
	struct channel ch[CS_CARDIMG_MAX_CHANNELS];
	struct cs_scp03_session scp[CS_CARDIMG_MAX_CHANNELS]; /* SCP03 session per channel */
	bool *verified; /* per img->pins[i], this card session */
	size_t n_verified;
	uint8_t pending[PENDING_MAX]; /* response data left for GET RESPONSE */
	size_t pending_len;
	uint16_t pending_sw; /* SW once it is all given (a wrapped answer's own SW) */
	int pending_ch;      /* channel it belongs to, -1 when none */
	uint8_t *out;        /* response data of the APDU being processed */
	size_t out_len;
	unsigned long count;
	bool sm;       /* the command being processed came wrapped */
	size_t sm_cap; /* most plain response data a wrapped answer holds */
	unsigned long rmacs, tamper_rmac;
};

struct apdu {
	uint8_t cla, ins, p1, p2;
	const uint8_t *data;
	size_t lc;
	bool has_le;
	bool le_max; /* Le field all zero: "as much as available" (256 / 65536) */
	size_t ne;
	bool extended;
	unsigned chan;
	bool gp; /* GlobalPlatform class (8x, Cx-Ex) */
	bool sm; /* secure messaging indicated in CLA */
};

/* Result of a file lookup: a DF (ef NULL) or an EF and its parent DF. */
struct node {
	struct cs_cardimg_df *df;
	struct cs_cardimg_ef *ef;
};

#define OUT_MAX (CS_RAPDU_MAX - 2)

int cs_cardsim_new(struct cs_cardimg *img, struct cs_cardsim **out, struct cs_errinfo *ei)
{
	struct cs_cardsim *sim;

	if (!img || !out)
		return cs_error(ei, CS_ERR_ARG, -1, "card simulator: no image");
	if (img->channels < 1 || img->channels > CS_CARDIMG_MAX_CHANNELS)
		return cs_error(ei, CS_ERR_RANGE, -1, "card simulator: %u logical channels",
				img->channels);
	sim = calloc(1, sizeof(*sim));
	if (!sim)
		return cs_error(ei, CS_ERR_NOMEM, -1, "card simulator: out of memory");
	sim->out = malloc(OUT_MAX);
	sim->n_verified = img->n_pins;
	sim->verified = calloc(img->n_pins ? img->n_pins : 1, sizeof(bool));
	if (!sim->out || !sim->verified) {
		free(sim->out);
		free(sim->verified);
		free(sim);
		return cs_error(ei, CS_ERR_NOMEM, -1, "card simulator: out of memory");
	}
	sim->img = img;
	cs_cardsim_reset(sim);
	*out = sim;
	return 0;
}

void cs_cardsim_free(struct cs_cardsim *sim)
{
	if (!sim)
		return;
	cs_free_secret(sim->out, OUT_MAX);
	free(sim->verified);
	cs_free_secret(sim, sizeof(*sim));
}

void cs_cardsim_reset(struct cs_cardsim *sim)
{
	size_t i;

	if (!sim)
		return;
	memset(sim->ch, 0, sizeof(sim->ch));
	cs_zeroize(sim->scp, sizeof(sim->scp));
	/* TS 102 221: after power on or reset the basic channel has the MF selected */
	sim->ch[0].open = true;
	sim->ch[0].df = &sim->img->mf;
	for (i = 0; i < sim->n_verified; i++)
		sim->verified[i] = false;
	cs_zeroize(sim->pending, sizeof(sim->pending));
	sim->pending_len = 0;
	sim->pending_ch = -1;
	sim->sm = false;
}

unsigned long cs_cardsim_apdu_count(const struct cs_cardsim *sim)
{
	return sim ? sim->count : 0;
}

unsigned long cs_cardsim_rmac_count(const struct cs_cardsim *sim)
{
	return sim ? sim->rmacs : 0;
}

void cs_cardsim_tamper_rmac(struct cs_cardsim *sim, unsigned long nth)
{
	if (sim)
		sim->tamper_rmac = nth;
}

/* ---- parsing ---- */

/*
 * TS 102 221 class byte: channel in b2..b1 (0x, 8x) or b4..b1 + 4 (4x, Cx). The
 * GP class (8x, Cx/Ex) and secure messaging (b4..b3 = 01, or b6 in the
 * further form, ISO 7816-4) only on a card with SCP03; no chaining.
 */
static uint16_t parse_cla(const struct cs_cardsim *sim, struct apdu *a)
{
	uint8_t cla = a->cla, low = cla & 0x7F;
	bool scp03 = sim->img->scp03 != NULL;

	a->gp = (cla & 0x80) != 0;
	a->sm = false;
	/* A0-BF are proprietary (GSM A0), not GlobalPlatform */
	if (a->gp && (!scp03 || (cla & 0x60) == 0x20 || cla == 0xFF))
		return SW_CLA;
	if ((low & 0x60) == 0x00) {
		if (low & 0x10)
			return SW_CHAINING;
		if ((low & 0x0C) == 0x04)
			a->sm = true;
		else if (low & 0x0C)
			return SW_SM;
		a->chan = low & 0x03;
	} else if (low & 0x40) {
		if (low & 0x10)
			return SW_CHAINING;
		a->sm = (low & 0x20) != 0;
		a->chan = 4u + (low & 0x0F);
	} else {
		return SW_CLA;
	}
	if (a->sm && !scp03)
		return SW_SM;
	return 0;
}

/* ISO 7816-3 §12.1.3 cases 1, 2S/E, 3S/E, 4S/E; false when the lengths do not add up. */
static bool parse_body(const uint8_t *c, size_t n, struct apdu *a)
{
	size_t lc;

	a->data = NULL;
	a->lc = 0;
	a->has_le = false;
	a->le_max = false;
	a->ne = 0;
	a->extended = false;
	if (n == 4)
		return true;
	if (n == 5) {
		a->has_le = true;
		a->le_max = c[4] == 0;
		a->ne = c[4] ? c[4] : 256;
		return true;
	}
	if (c[4] != 0) {
		lc = c[4];
		if (n != 5 + lc && n != 6 + lc)
			return false;
		a->data = c + 5;
		a->lc = lc;
		if (n == 6 + lc) {
			a->has_le = true;
			a->le_max = c[5 + lc] == 0;
			a->ne = c[5 + lc] ? c[5 + lc] : 256;
		}
		return true;
	}
	a->extended = true;
	if (n < 7)
		return false;
	if (n == 7) {
		a->has_le = true;
		a->ne = (size_t)c[5] << 8 | c[6];
		a->le_max = a->ne == 0;
		if (a->ne == 0)
			a->ne = 65536;
		return true;
	}
	lc = (size_t)c[5] << 8 | c[6];
	if (lc == 0 || (n != 7 + lc && n != 9 + lc))
		return false;
	a->data = c + 7;
	a->lc = lc;
	if (n == 9 + lc) {
		a->has_le = true;
		a->ne = (size_t)c[7 + lc] << 8 | c[8 + lc];
		a->le_max = a->ne == 0;
		if (a->ne == 0)
			a->ne = 65536;
	}
	return true;
}

/* ---- helpers ---- */

static void emit(struct cs_cardsim *sim, const uint8_t *p, size_t n)
{
	memcpy(sim->out + sim->out_len, p, n);
	sim->out_len += n;
}

/*
 * Response data limit for a data-reading command: Le 00 (0000) means as
 * much as the card gives; an explicit Le above max_le is refused.
 */
static bool want(const struct cs_cardsim *sim, const struct apdu *a, size_t *ne)
{
	size_t max = sim->img->max_le;

	/* a wrapped answer, pad16(n + 1) + 8 bytes, must fit a short R-APDU */
	if (sim->sm && max > sim->sm_cap)
		max = sim->sm_cap;

	if (a->le_max) {
		*ne = a->ne < max ? a->ne : max;
		return true;
	}
	if (a->ne > max)
		return false;
	*ne = a->ne;
	return true;
}

static uint16_t sw61(size_t n)
{
	return (uint16_t)(0x6100 | (n & 0xFF));
}

/* T=0 procedure bytes (61xx, 6Cxx) apply to what goes over the wire, not to a wrapped command. */
static bool t0_now(const struct cs_cardsim *sim)
{
	return sim->img->t0 && !sim->sm;
}

/* Keeps n bytes for GET RESPONSE on channel ch, then sw; announces them with 61xx. */
static uint16_t keep(struct cs_cardsim *sim, unsigned ch, const uint8_t *d, size_t n, uint16_t sw)
{
	memmove(sim->pending, d, n);
	sim->pending_len = n;
	sim->pending_sw = sw;
	sim->pending_ch = (int)ch;
	return sw61(n);
}

/*
 * Data of a case-4 command (SELECT with FCP). T=0 (TS 102 221 §7.3.1.1): kept for GET
 * RESPONSE, announced with 61xx. T=1: returned up to Ne, the rest left
 * for GET RESPONSE; no Le means no data (ISO 7816-3 case 3).
 */
static uint16_t give_case4(struct cs_cardsim *sim, const struct apdu *a, const uint8_t *d, size_t n)
{
	size_t ne;

	if (n == 0 || n > sizeof(sim->pending))
		return SW_OK;
	if (t0_now(sim))
		return keep(sim, a->chan, d, n, SW_OK);
	if (!a->has_le)
		return SW_OK;
	ne = a->ne < sim->img->max_le ? a->ne : sim->img->max_le;
	/* the answer to a wrapped command is wrapped whole, never split by 61xx */
	if (ne >= n || sim->sm) {
		emit(sim, d, n);
		return SW_OK;
	}
	emit(sim, d, ne);
	return keep(sim, a->chan, d + ne, n - ne, SW_OK);
}

/* SCP03 `required` (card-image.md §4.7): the EFs of an ADF only through a session at the level. */
static bool scp03_allows(const struct cs_cardsim *sim, const struct apdu *a,
			 const struct cs_cardimg_df *parent)
{
	const struct cs_cardimg_scp03 *sc = sim->img->scp03;
	const struct cs_scp03_session *s = &sim->scp[a->chan];

	if (!sc || !sc->required || parent == &sim->img->mf)
		return true;
	return sim->sm && s->state == CS_SCP03_OPEN && (s->level & sc->level) == sc->level;
}

static int pin_index(const struct cs_cardsim *sim, uint8_t ref)
{
	size_t i;

	for (i = 0; i < sim->img->n_pins && i < sim->n_verified; i++)
		if (sim->img->pins[i].key_ref == ref)
			return (int)i;
	return -1;
}

static bool readable(const struct cs_cardsim *sim, const struct cs_cardimg_ef *ef)
{
	int i;

	if (!ef->read_pin)
		return true;
	i = pin_index(sim, ef->read_pin);
	return i >= 0 && sim->verified[i];
}

static struct cs_cardimg_ef *ef_by_sfi(struct cs_cardimg_df *df, uint8_t sfi)
{
	size_t i;

	for (i = 0; df && i < df->n_efs; i++)
		if (df->efs[i].sfi == sfi)
			return &df->efs[i];
	return NULL;
}

/* ---- FCP (TS 102 221 §11.1.1) ---- */

struct tlvw {
	uint8_t b[256];
	size_t n;
};

static void put_tlv(struct tlvw *w, uint8_t tag, const uint8_t *v, size_t len)
{
	/* Every FCP here is far below 256 bytes: AID ≤ 16, C6 ≤ 3 + 3·8. */
	if (w->n + 2 + len > sizeof(w->b))
		return;
	w->b[w->n++] = tag;
	w->b[w->n++] = (uint8_t)len;
	memcpy(w->b + w->n, v, len);
	w->n += len;
}

static void fcp_wrap(struct tlvw *inner, struct tlvw *out)
{
	out->n = 0;
	put_tlv(out, 0x62, inner->b, inner->n);
}

static void fcp_ef(const struct cs_cardimg_ef *ef, struct tlvw *out)
{
	struct tlvw w = {.n = 0};
	uint8_t fid[2] = {(uint8_t)(ef->fid >> 8), (uint8_t)ef->fid};
	uint8_t size[2] = {(uint8_t)(ef->len >> 8), (uint8_t)ef->len};
	/* compact security attributes: AM = UPDATE|READ; UPDATE never, READ always or user auth */
	uint8_t sec[3] = {0x03, 0xFF, ef->read_pin ? 0x10 : 0x00};
	uint8_t lcsi = 0x05, sfi = (uint8_t)(ef->sfi << 3);

	if (ef->structure == CS_EF_LINEAR_FIXED) {
		uint8_t d[5] = {0x42, 0x21, (uint8_t)(ef->record_len >> 8), (uint8_t)ef->record_len,
				(uint8_t)ef->record_count};

		put_tlv(&w, 0x82, d, sizeof(d));
	} else {
		uint8_t d[2] = {0x41, 0x21};

		put_tlv(&w, 0x82, d, sizeof(d));
	}
	put_tlv(&w, 0x83, fid, 2);
	put_tlv(&w, 0x8A, &lcsi, 1);
	put_tlv(&w, 0x8C, sec, sizeof(sec));
	put_tlv(&w, 0x80, size, 2);
	put_tlv(&w, 0x88, &sfi, ef->sfi ? 1 : 0);
	fcp_wrap(&w, out);
}

static void fcp_df(const struct cs_cardimg_df *df, struct tlvw *out)
{
	struct tlvw w = {.n = 0};
	uint8_t d[2] = {0x78, 0x21}, fid[2] = {(uint8_t)(df->fid >> 8), (uint8_t)df->fid};
	uint8_t lcsi = 0x05, c6[3 + 3 * CS_CARDIMG_MAX_PIN_STATUS], ps = 0;
	size_t i, n = 3;

	put_tlv(&w, 0x82, d, sizeof(d));
	if (df->fid)
		put_tlv(&w, 0x83, fid, 2);
	if (df->aid_len)
		put_tlv(&w, 0x84, df->aid, df->aid_len);
	put_tlv(&w, 0x8A, &lcsi, 1);
	if (df->n_pin_status) {
		/* TS 102 221 PS_DO: bit i (MSB first) = i-th listed key reference enabled */
		for (i = 0; i < df->n_pin_status; i++) {
			if (df->pin_status[i].enabled)
				ps |= (uint8_t)(0x80 >> i);
			c6[n++] = 0x83;
			c6[n++] = 0x01;
			c6[n++] = df->pin_status[i].key_ref;
		}
		c6[0] = 0x90;
		c6[1] = 0x01;
		c6[2] = ps;
		put_tlv(&w, 0xC6, c6, n);
	}
	fcp_wrap(&w, out);
}

/* ---- SELECT ---- */

static bool child(struct cs_cardsim *sim, struct cs_cardimg_df *df, uint16_t fid, bool df_only,
		  struct node *res)
{
	struct cs_cardimg_ef *ef;
	size_t i;

	if (!df_only && (ef = cs_cardimg_find_ef(df, fid)) != NULL) {
		res->df = df;
		res->ef = ef;
		return true;
	}
	if (df != &sim->img->mf)
		return false;
	for (i = 0; i < sim->img->n_adfs; i++) {
		if (sim->img->adfs[i].fid == fid) {
			res->df = &sim->img->adfs[i];
			res->ef = NULL;
			return true;
		}
	}
	return false;
}

/* TS 102 221 §8.4.1: what a FID selects from the current DF. */
static bool select_fid(struct cs_cardsim *sim, const struct channel *ch, uint16_t fid,
		       struct node *res)
{
	res->ef = NULL;
	if (fid == CS_FID_MF) {
		res->df = &sim->img->mf;
		return true;
	}
	if (fid == CS_FID_CURRENT_ADF) {
		res->df = ch->adf;
		return ch->adf != NULL;
	}
	if (ch->df->fid && fid == ch->df->fid) {
		res->df = ch->df;
		return true;
	}
	if (child(sim, ch->df, fid, false, res))
		return true;
	/* the parent is the MF (3F00 above); its other DFs are siblings */
	return ch->df != &sim->img->mf && child(sim, &sim->img->mf, fid, true, res);
}

static bool select_path(struct cs_cardsim *sim, const struct channel *ch, const uint8_t *p,
			size_t n, bool from_mf, struct node *res)
{
	size_t i;

	res->df = from_mf ? &sim->img->mf : ch->df;
	res->ef = NULL;
	for (i = 0; i + 1 < n; i += 2) {
		uint16_t fid = (uint16_t)(p[i] << 8 | p[i + 1]);

		if (res->ef)
			return false;
		if (from_mf && i == 0 && fid == CS_FID_CURRENT_ADF) {
			/* TS 102 221: 7FFF at the start of a path from the MF = the current ADF */
			res->df = ch->adf;
			if (!ch->adf)
				return false;
			continue;
		}
		if (!child(sim, res->df, fid, false, res))
			return false;
	}
	return true;
}

static uint16_t cmd_select(struct cs_cardsim *sim, const struct apdu *a)
{
	struct channel *ch = &sim->ch[a->chan];
	struct tlvw fcp;
	struct node res;
	bool found;

	if (a->p2 != 0x00 && a->p2 != 0x04 && a->p2 != 0x0C)
		return SW_P1P2;
	switch (a->p1) {
	case 0x04:
		if (a->lc == 0 || a->lc > CS_CARDIMG_MAX_AID)
			return SW_WRONG_LENGTH;
		res.df = cs_cardimg_find_adf(sim->img, a->data, a->lc);
		res.ef = NULL;
		found = res.df != NULL;
		break;
	case 0x00:
		if (a->lc == 0) {
			res.df = &sim->img->mf;
			res.ef = NULL;
			found = true;
			break;
		}
		if (a->lc != 2)
			return SW_WRONG_LENGTH;
		found = select_fid(sim, ch, (uint16_t)(a->data[0] << 8 | a->data[1]), &res);
		break;
	case 0x08:
	case 0x09:
		if (a->lc == 0 || a->lc % 2)
			return SW_WRONG_LENGTH;
		found = select_path(sim, ch, a->data, a->lc, a->p1 == 0x08, &res);
		break;
	default: return SW_P1P2;
	}
	if (!found)
		return SW_NOT_FOUND;
	if (res.ef && !scp03_allows(sim, a, res.df))
		return SW_SECURITY;

	ch->df = res.df;
	ch->ef = res.ef;
	if (!res.ef && res.df != &sim->img->mf)
		ch->adf = res.df;
	if (a->p2 == 0x0C)
		return SW_OK;
	if (res.ef)
		fcp_ef(res.ef, &fcp);
	else
		fcp_df(res.df, &fcp);
	return give_case4(sim, a, fcp.b, fcp.n);
}

/* ---- READ BINARY / READ RECORD ---- */

static uint16_t cmd_read_binary(struct cs_cardsim *sim, const struct apdu *a)
{
	struct channel *ch = &sim->ch[a->chan];
	struct cs_cardimg_ef *ef;
	size_t off, rem, ne;

	if (a->lc || !a->has_le)
		return SW_WRONG_LENGTH;
	if (a->p1 & 0x80) {
		/* READ BINARY with an SFI: P1 = 100sssss, P2 = offset 0..255 */
		if ((a->p1 & 0x60) || (a->p1 & 0x1F) == 0)
			return SW_P1P2;
		ef = ef_by_sfi(ch->df, a->p1 & 0x1F);
		if (!ef)
			return SW_NOT_FOUND;
		if (!scp03_allows(sim, a, ch->df))
			return SW_SECURITY;
		ch->ef = ef;
		off = a->p2;
	} else {
		ef = ch->ef;
		if (!ef)
			return SW_NO_EF;
		off = (size_t)a->p1 << 8 | a->p2;
	}
	if (!scp03_allows(sim, a, ch->df))
		return SW_SECURITY;
	if (ef->structure != CS_EF_TRANSPARENT)
		return SW_STRUCTURE;
	if (!readable(sim, ef))
		return SW_SECURITY;
	if (off >= ef->len)
		return SW_OFFSET;
	if (!want(sim, a, &ne))
		return SW_WRONG_LENGTH;
	rem = ef->len - off;
	/* wrapped, Le 00 (none over T=0): what is there, up to what a wrapped answer holds */
	if (sim->sm && a->le_max && ne > rem)
		ne = rem;
	if (ne <= rem) {
		emit(sim, ef->data + off, ne);
		return SW_OK;
	}
	/* TS 102 221 §7.3.1.1: T=0 tells the exact length, T=1 gives what is left + a warning */
	if (t0_now(sim) && rem <= 0xFF)
		return (uint16_t)(0x6C00 | rem);
	emit(sim, ef->data + off, rem);
	return SW_EOF;
}

static uint16_t cmd_read_record(struct cs_cardsim *sim, const struct apdu *a)
{
	struct channel *ch = &sim->ch[a->chan];
	struct cs_cardimg_ef *ef;
	uint8_t sfi = a->p2 >> 3;
	size_t rl, ne;

	if (a->lc || !a->has_le)
		return SW_WRONG_LENGTH;
	/* only absolute mode, P2 = SFI << 3 | 100 (ISO 7816-4 READ RECORD) */
	if ((a->p2 & 0x07) != 0x04 || sfi == 0x1F)
		return SW_P1P2;
	if (sfi) {
		ef = ef_by_sfi(ch->df, sfi);
		if (!ef)
			return SW_NOT_FOUND;
		if (!scp03_allows(sim, a, ch->df))
			return SW_SECURITY;
		ch->ef = ef;
	} else {
		ef = ch->ef;
		if (!ef)
			return SW_NO_EF;
	}
	if (!scp03_allows(sim, a, ch->df))
		return SW_SECURITY;
	if (ef->structure != CS_EF_LINEAR_FIXED)
		return SW_STRUCTURE;
	if (!readable(sim, ef))
		return SW_SECURITY;
	if (a->p1 == 0 || a->p1 > ef->record_count)
		return SW_NO_RECORD;
	if (!want(sim, a, &ne))
		return SW_WRONG_LENGTH;
	rl = ef->record_len;
	if (a->le_max)
		ne = rl;
	if (ne < rl || (ne > rl && t0_now(sim)))
		return (uint16_t)(0x6C00 | rl);
	emit(sim, ef->data + (size_t)(a->p1 - 1) * rl, rl);
	return ne > rl ? SW_EOF : SW_OK;
}

/* ---- VERIFY PIN (TS 102 221) ---- */

static bool same8(const uint8_t *a, const uint8_t *b)
{
	uint8_t d = 0;
	size_t i;

	for (i = 0; i < 8; i++)
		d |= (uint8_t)(a[i] ^ b[i]);
	return d == 0;
}

static uint16_t cmd_verify(struct cs_cardsim *sim, const struct apdu *a)
{
	struct cs_cardimg_pin *pin;
	int i;

	if (a->has_le)
		return SW_WRONG_LENGTH;
	if (a->p1 != 0x00)
		return SW_P1P2;
	i = pin_index(sim, a->p2);
	if (i < 0)
		return SW_NO_DATA;
	pin = &sim->img->pins[i];
	if (a->lc == 0) {
		/* retry counter query */
		if (pin->tries_left == 0)
			return SW_BLOCKED;
		return sim->verified[i] ? SW_OK : (uint16_t)(0x63C0 | pin->tries_left);
	}
	if (a->lc != 8)
		return SW_WRONG_LENGTH;
	if (pin->tries_left == 0)
		return SW_BLOCKED;
	if (same8(a->data, pin->value)) {
		pin->tries_left = pin->max_tries;
		sim->verified[i] = true;
		return SW_OK;
	}
	pin->tries_left--;
	sim->verified[i] = false;
	return (uint16_t)(0x63C0 | pin->tries_left);
}

/* ---- MANAGE CHANNEL, GET RESPONSE ---- */

static void channel_open(struct cs_cardsim *sim, unsigned from, unsigned n)
{
	struct channel *ch = &sim->ch[n];

	/* ISO 7816-4 §7.1.2: opened from the basic channel → MF, else the issuing channel's state
	 */
	if (from == 0) {
		ch->df = &sim->img->mf;
		ch->adf = NULL;
		ch->ef = NULL;
	} else {
		*ch = sim->ch[from];
	}
	ch->open = true;
	/* a new channel starts without a secure channel session (the issuing one keeps its own) */
	cs_scp03_session_clear(&sim->scp[n]);
}

static uint16_t cmd_manage_channel(struct cs_cardsim *sim, const struct apdu *a)
{
	unsigned n;

	if (a->lc)
		return SW_WRONG_LENGTH;
	if (a->p1 == 0x00) {
		if (sim->img->channels < 2)
			return SW_CHANNEL;
		if (a->p2 == 0) {
			if (!a->has_le)
				return SW_WRONG_LENGTH;
			for (n = 1; n < sim->img->channels && sim->ch[n].open; n++)
				;
			if (n >= sim->img->channels)
				return SW_FUNCTION;
			channel_open(sim, a->chan, n);
			sim->out[sim->out_len++] = (uint8_t)n;
			return SW_OK;
		}
		if (a->has_le)
			return SW_WRONG_LENGTH;
		if (a->p2 >= CS_CARDIMG_MAX_CHANNELS)
			return SW_P1P2;
		if (a->p2 >= sim->img->channels)
			return SW_CHANNEL;
		if (sim->ch[a->p2].open)
			return SW_CONDITIONS;
		channel_open(sim, a->chan, a->p2);
		return SW_OK;
	}
	if (a->p1 == 0x80) {
		if (a->has_le)
			return SW_WRONG_LENGTH;
		n = a->p2 ? a->p2 : a->chan;
		if (n == 0)
			return SW_P1P2;
		if (n >= sim->img->channels || !sim->ch[n].open)
			return SW_CHANNEL;
		memset(&sim->ch[n], 0, sizeof(sim->ch[n]));
		/* its session ends too; a wrapped close is answered first (secure_command) */
		if (!sim->sm || n != a->chan)
			cs_scp03_session_clear(&sim->scp[n]);
		return SW_OK;
	}
	return SW_P1P2;
}

static uint16_t cmd_get_response(struct cs_cardsim *sim, const struct apdu *a)
{
	size_t n, avail = sim->pending_len;

	if (a->p1 || a->p2)
		return SW_P1P2;
	if (a->lc || !a->has_le)
		return SW_WRONG_LENGTH;
	if (avail == 0 || sim->pending_ch != (int)a->chan)
		return SW_CONDITIONS;
	if (a->le_max)
		n = avail < a->ne ? avail : a->ne;
	else if (a->ne > avail)
		return (uint16_t)(0x6C00 | (avail & 0xFF));
	else
		n = a->ne;
	emit(sim, sim->pending, n);
	memmove(sim->pending, sim->pending + n, avail - n);
	sim->pending_len = avail - n;
	if (sim->pending_len)
		return sw61(sim->pending_len);
	sim->pending_ch = -1;
	return sim->pending_sw;
}

/* ---- SCP03 (Core TS App. H, GP Amendment D) ---- */

/* INITIALIZE UPDATE: a new session on the command's channel with the image's key set. */
static uint16_t cmd_init_update(struct cs_cardsim *sim, const struct apdu *a, const uint8_t *c,
				size_t n)
{
	struct cs_cardimg_scp03 *sc = sim->img->scp03;
	struct cs_scp03_session *s = &sim->scp[a->chan];
	const struct cs_cardimg_df *adf = sim->ch[a->chan].adf;
	struct cs_scp03_card_params p;
	uint8_t rsp[CS_SCP03_INIT_UPDATE_RSP_MAX];
	size_t rlen = sizeof(rsp);
	uint16_t sw = SW_TECHNICAL;
	bool counter = (sc->i_param & CS_SCP03_I_PSEUDO_RANDOM) != 0;
	int err;

	memset(&p, 0, sizeof(p));
	memcpy(p.key_div, sc->key_div, sizeof(p.key_div));
	p.i_param = sc->i_param;
	if (counter) {
		/* every pseudo-random challenge needs a new counter value: none left, no session */
		if (sc->seq > CS_CARDIMG_SCP03_SEQ_MAX) {
			cs_scp03_session_clear(s);
			return SW_CONDITIONS;
		}
		p.seq[0] = (uint8_t)(sc->seq >> 16);
		p.seq[1] = (uint8_t)(sc->seq >> 8);
		p.seq[2] = (uint8_t)sc->seq;
		err = cs_scp03_card_challenge(&sc->keys, p.seq, adf ? adf->aid : NULL,
					      adf ? adf->aid_len : 0, p.card_challenge);
	} else {
		err = cs_scp03_random(p.card_challenge, sizeof(p.card_challenge), NULL);
	}
	if (!err)
		err = cs_scp03_card_init_update(s, &sc->keys, &p, c, n, rsp, &rlen, &sw, NULL);
	cs_zeroize(&p, sizeof(p));
	if (err) {
		cs_scp03_session_clear(s);
		return sw;
	}
	if (counter)
		sc->seq++;
	sw = give_case4(sim, a, rsp, rlen);
	cs_zeroize(rsp, sizeof(rsp));
	return sw;
}

static uint16_t gp_command(struct cs_cardsim *sim, const struct apdu *a, const uint8_t *c, size_t n)
{
	uint16_t sw = SW_TECHNICAL;

	switch (a->ins) {
	case INS_INIT_UPDATE: return cmd_init_update(sim, a, c, n);
	case INS_EXT_AUTH:
		/* EXTERNAL AUTHENTICATE: C-MAC, host cryptogram, level; failure ends the session */
		cs_scp03_card_ext_auth(&sim->scp[a->chan], c, n, &sw, NULL);
		return sw;
	}
	return SW_INS;
}

/* Most plain response data whose wrapped form, pad16(n + 1) + 8, fits 256 bytes (239 under 33). */
static size_t wrapped_cap(uint8_t level)
{
	size_t r = 256;

	if (level & CS_SCP03_R_MAC)
		r -= CS_SCP03_S8;
	if (level & CS_SCP03_R_ENCRYPTION)
		r = r / 16 * 16 - 1;
	return r;
}

static uint16_t iso_command(struct cs_cardsim *sim, const struct apdu *a)
{
	switch (a->ins) {
	case INS_MANAGE_CHAN: return cmd_manage_channel(sim, a);
	case 0xA4: return cmd_select(sim, a);
	case 0xB0: return cmd_read_binary(sim, a);
	case 0xB2: return cmd_read_record(sim, a);
	case 0x20: return cmd_verify(sim, a);
	case INS_GET_RESPONSE: return cmd_get_response(sim, a);
	}
	return SW_INS;
}

/*
 * A command on a channel with an open session (GP Amd D): verify the C-MAC
 * and decrypt, process the plain command, encrypt and R-MAC the answer. A
 * command without secure messaging or with a wrong C-MAC ends the session
 * (6982).
 */
static uint16_t secure_command(struct cs_cardsim *sim, const uint8_t *c, size_t n, unsigned chan)
{
	struct cs_scp03_session *s = &sim->scp[chan];
	uint8_t plain[CS_SCP03_CAPDU_MAX], w[PENDING_MAX];
	size_t plen = sizeof(plain), wlen = sizeof(w);
	uint16_t sw = SW_SECURITY;
	struct apdu p;

	if (n > sizeof(plain))
		return SW_WRONG_LENGTH;
	if (cs_scp03_card_unwrap(s, c, n, plain, &plen, &sw, NULL) != 0)
		return sw;
	memset(&p, 0, sizeof(p));
	p.cla = plain[0];
	p.ins = plain[1];
	p.p1 = plain[2];
	p.p2 = plain[3];
	p.chan = chan;
	p.sm = true;
	sim->sm = true;
	sim->sm_cap = wrapped_cap(s->level);
	if (!parse_body(plain, plen, &p) || p.extended) {
		sw = SW_WRONG_LENGTH;
	} else {
		/* TS 102 221 §7.3.1.1: T=0 sends no Le with data; what answers data gets Le 00 */
		if (sim->img->t0 && !p.has_le &&
		    (p.ins == 0xB0 || p.ins == 0xB2 || (p.ins == 0xA4 && p.p2 != 0x0C))) {
			p.has_le = true;
			p.le_max = true;
			p.ne = 256;
		}
		sw = iso_command(sim, &p);
	}
	sim->sm = false;
	cs_zeroize(plain, sizeof(plain));
	if (cs_scp03_card_wrap(s, sim->out, sim->out_len, sw, w, &wlen, NULL) != 0) {
		cs_scp03_session_clear(s);
		sw = SW_TECHNICAL;
		wlen = 2;
		w[0] = (uint8_t)(sw >> 8);
		w[1] = (uint8_t)sw;
	}
	cs_zeroize(sim->out, sim->out_len);
	sim->out_len = 0;
	if ((s->level & CS_SCP03_R_MAC) && wlen >= 2 + CS_SCP03_S8 &&
	    (sw == SW_OK || (sw >> 8) == 0x62 || (sw >> 8) == 0x63)) {
		/* --tamper-rmac: the host must notice */
		if (++sim->rmacs == sim->tamper_rmac)
			w[wlen - 2 - CS_SCP03_S8] ^= 0x01;
	}
	/* a wrapped MANAGE CHANNEL close: answered within the session, which ends with it */
	if (!sim->ch[chan].open)
		cs_scp03_session_clear(s);
	sw = (uint16_t)(w[wlen - 2] << 8 | w[wlen - 1]);
	if (sim->img->t0 && wlen > 2)
		sw = keep(sim, chan, w, wlen - 2, sw);
	else
		emit(sim, w, wlen - 2);
	cs_zeroize(w, sizeof(w));
	return sw;
}

/* ---- dispatch ---- */

static uint16_t dispatch(struct cs_cardsim *sim, const uint8_t *c, size_t n)
{
	struct cs_scp03_session *s;
	struct apdu a;
	uint16_t sw;

	if (n < 4)
		return SW_WRONG_LENGTH;
	memset(&a, 0, sizeof(a));
	a.cla = c[0];
	a.ins = c[1];
	a.p1 = c[2];
	a.p2 = c[3];
	sw = parse_cla(sim, &a);
	if (sw)
		return sw;
	if (!parse_body(c, n, &a))
		return SW_WRONG_LENGTH;
	if (a.extended && !sim->img->extended_length)
		return SW_WRONG_LENGTH;
	/* T=0: GET RESPONSE finishes the command before it, even one that closed its channel */
	if (a.chan >= sim->img->channels ||
	    (!sim->ch[a.chan].open &&
	     !(a.ins == INS_GET_RESPONSE && sim->pending_len && sim->pending_ch == (int)a.chan)))
		return SW_CHANNEL;
	if (a.ins != INS_GET_RESPONSE) {
		sim->pending_len = 0;
		sim->pending_ch = -1;
	}
	if (a.gp)
		return gp_command(sim, &a, c, n);
	s = &sim->scp[a.chan];
	/* MANAGE CHANNEL and GET RESPONSE are the OS's: also in plain during a session */
	if (a.sm ||
	    (s->state == CS_SCP03_OPEN && a.ins != INS_MANAGE_CHAN && a.ins != INS_GET_RESPONSE)) {
		if (s->state != CS_SCP03_OPEN) {
			cs_scp03_session_clear(s);
			return SW_SECURITY;
		}
		return secure_command(sim, c, n, a.chan);
	}
	return iso_command(sim, &a);
}

int cs_cardsim_process(struct cs_cardsim *sim, const uint8_t *capdu, size_t clen, uint8_t *rapdu,
		       size_t *rlen)
{
	uint16_t sw;
	int err = 0;

	if (!sim || (!capdu && clen) || !rapdu || !rlen || *rlen < 2)
		return CS_ERR_ARG;
	sim->count++;
	sim->out_len = 0;
	sw = dispatch(sim, capdu, clen);
	if (sim->out_len + 2 > *rlen) {
		err = CS_ERR_LIMIT;
	} else {
		memcpy(rapdu, sim->out, sim->out_len);
		rapdu[sim->out_len] = (uint8_t)(sw >> 8);
		rapdu[sim->out_len + 1] = (uint8_t)sw;
		*rlen = sim->out_len + 2;
	}
	cs_zeroize(sim->out, sim->out_len);
	return err;
}
