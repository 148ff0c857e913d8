/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>

#include "cardstrap/encoding.h"
#include "cardstrap/uicc.h"

#define INS_SELECT         0xA4
#define INS_READ_BINARY    0xB0
#define INS_READ_RECORD    0xB2
#define INS_GET_RESPONSE   0xC0
#define INS_VERIFY         0x20
#define INS_MANAGE_CHANNEL 0x70

/* Room for a short R-APDU (256 + SW) with margin; longer answers are a transport error. */
#define RBUF_SIZE 1024
/* GET RESPONSE rounds after one command; 256 × 256 bytes is more than any short-APDU answer. */
#define MAX_GET_RESPONSE 256
#define MAX_DIR_RECORDS  32
#define MAX_DIR_SIZE     4096
#define SFI_EF_ICCID     0x02
#define SFI_EF_DIR       0x1E

void cs_uicc_init(struct cs_uicc *u, struct cs_transport *t)
{
	memset(u, 0, sizeof(*u));
	u->t = t;
}

uint8_t cs_uicc_cla(uint8_t channel)
{
	/* TS 102 221 class byte: channels 0-3 in b2..b1, 4-19 as 0x40 + (channel - 4) */
	if (channel < 4)
		return channel;
	return (uint8_t)(0x40 | ((channel - 4) & 0x0F));
}

static bool sw_ok(uint16_t sw)
{
	/* TS 102 221 §10.2: 91xx/92xx are successful completions with extra information. */
	return sw == 0x9000 || (sw >> 8) == 0x91 || (sw >> 8) == 0x92;
}

static size_t le_of(uint8_t sw2)
{
	return sw2 ? sw2 : 256;
}

/* Replaces ei's message by prefix + "(" + old message + ")" with a new code. */
static int rewrap(struct cs_errinfo *ei, int code, const char *prefix)
{
	char old[sizeof(ei->msg)];

	if (!ei)
		return code;
	memcpy(old, ei->msg, sizeof(old));
	return cs_error(ei, code, -1, "%s (%s)", prefix, old);
}

/* Transport-level failures end the read; a card's refusal only means "not there". */
static bool card_refused(int err)
{
	switch (err) {
	case CS_ERR_SW:
	case CS_ERR_FILE_NOT_FOUND:
	case CS_ERR_SECURITY_STATUS:
	case CS_ERR_UNSUPPORTED:
	case CS_ERR_MALFORMED:
	case CS_ERR_TRUNCATED:
	case CS_ERR_LIMIT: return true;
	}
	return false;
}

/* The interindustry CLA of the channel the command a was sent on (for GET RESPONSE). */
static uint8_t iso_cla_of(uint8_t cla)
{
	if (cla & 0x40)
		return (uint8_t)(0x40 | (cla & 0x0F));
	return cla & 0x03;
}

static int build(const struct cs_apdu *a, bool t0, uint8_t *buf, size_t *len, struct cs_errinfo *ei)
{
	size_t n = 4;

	if (a->lc > 255 || (a->lc && !a->data) || (a->has_le && (a->le < 1 || a->le > 256)))
		return cs_error(ei, CS_ERR_ARG, -1, "APDU does not fit short length fields");
	buf[0] = a->cla;
	buf[1] = a->ins;
	buf[2] = a->p1;
	buf[3] = a->p2;
	if (a->lc) {
		buf[n++] = (uint8_t)a->lc;
		memcpy(buf + n, a->data, a->lc);
		n += a->lc;
		/* TS 102 221 §7.3.1.1: T=0 sends case 4 without Le; the data comes with 61xx */
		if (a->has_le && !t0)
			buf[n++] = (uint8_t)(a->le & 0xFF);
	} else if (a->has_le) {
		buf[n++] = (uint8_t)(a->le & 0xFF);
	}
	/* Case 1 stays 4 bytes even over T=0: PC/SC adds P3 = 00 when it makes the TPDU. */
	*len = n;
	return 0;
}

/* One TPDU/APDU over the transport; *sw and the response data (r, *dlen) on success. */
static int send_one(struct cs_uicc *u, const struct cs_apdu *a, uint8_t *r, size_t *dlen,
		    uint16_t *sw, struct cs_errinfo *ei)
{
	uint8_t cmd[4 + 1 + 255 + 1];
	size_t clen = 0, rlen = RBUF_SIZE;
	int err;

	err = build(a, u->t->t0, cmd, &clen, ei);
	if (err)
		return err;
	u->t->redact_next = a->redact;
	u->apdus++;
	err = cs_transport_transmit(u->t, cmd, clen, r, &rlen, ei);
	cs_zeroize(cmd, sizeof(cmd));
	if (err)
		return err;
	*sw = (uint16_t)(r[rlen - 2] << 8 | r[rlen - 1]);
	*dlen = rlen - 2;
	return 0;
}

int cs_uicc_exchange(struct cs_uicc *u, const struct cs_apdu *a, struct cs_buf *rsp, uint16_t *sw,
		     struct cs_errinfo *ei)
{
	uint8_t r[RBUF_SIZE];
	struct cs_apdu cur;
	struct cs_apdu gr = {0};
	size_t dlen, start;
	uint16_t s, warning = 0;
	int err, rounds = 0;
	bool case4;

	if (!u || !u->t || !a || !rsp || !sw)
		return cs_error(ei, CS_ERR_ARG, -1, "invalid exchange arguments");
	cur = *a;
	start = rsp->len;
	case4 = a->lc && a->has_le;
	err = send_one(u, &cur, r, &dlen, &s, ei);
	if (!err && (s >> 8) == 0x6C && cur.has_le) {
		/* TS 102 221 §7.3.1.1: wrong Le; the card names the right one. Resend once. */
		cur.le = le_of(s & 0xFF);
		err = send_one(u, &cur, r, &dlen, &s, ei);
	}
	if (err)
		goto out;
	err = cs_buf_append(rsp, r, dlen);
	if (err)
		goto out;

	gr.cla = iso_cla_of(a->cla);
	gr.ins = INS_GET_RESPONSE;
	gr.has_le = true;
	gr.redact = a->redact & CS_REDACT_RSP_DATA;
	if (u->t->t0 && case4 && dlen == 0 && ((s >> 8) == 0x62 || (s >> 8) == 0x63)) {
		/* TS 102 221 §7.3.1.1: a warning to case 4 over T=0; the data may be there */
		warning = s;
		s = 0x6100;
	}
	while ((s >> 8) == 0x61 || (s >> 8) == 0x9F) {
		if (++rounds > MAX_GET_RESPONSE) {
			err = cs_error(ei, CS_ERR_SW, -1,
				       "card keeps answering %04X to GET RESPONSE", s);
			goto out;
		}
		gr.le = le_of(s & 0xFF);
		err = send_one(u, &gr, r, &dlen, &s, ei);
		if (!err && (s >> 8) == 0x6C) {
			gr.le = le_of(s & 0xFF);
			err = send_one(u, &gr, r, &dlen, &s, ei);
		}
		if (err)
			goto out;
		if (warning && !sw_ok(s) && (s >> 8) != 0x61) {
			/* nothing was waiting after the warning */
			s = warning;
			break;
		}
		err = cs_buf_append(rsp, r, dlen);
		if (err)
			goto out;
	}
	if (warning)
		s = warning;
	*sw = s;
	u->sw = s;
out:
	cs_zeroize(r, sizeof(r));
	if (err) {
		if (rsp->len > start)
			cs_zeroize(rsp->data + start, rsp->len - start);
		rsp->len = start;
	}
	return err;
}

const char *cs_sw_meaning(uint16_t sw)
{
	static const struct {
		uint16_t sw;
		const char *text;
	} tab[] = {
		{0x9000, "success"},
		{0x6281, "part of the returned data may be corrupted"},
		{0x6282, "end of file or record reached before reading Le bytes"},
		{0x6283, "selected file invalidated"},
		{0x6700, "wrong length"},
		{0x6881, "logical channel not supported"},
		{0x6882, "secure messaging not supported"},
		{0x6981, "command incompatible with file structure"},
		{0x6982, "security status not satisfied (PIN needed)"},
		{0x6983, "PIN blocked"},
		{0x6984, "referenced data invalidated"},
		{0x6985, "conditions of use not satisfied"},
		{0x6986, "command not allowed (no EF selected)"},
		{0x6989, "secure channel: security not satisfied"},
		{0x6A80, "incorrect data"},
		{0x6A81, "function not supported"},
		{0x6A82, "file or application not found"},
		{0x6A83, "record not found"},
		{0x6A84, "not enough memory space"},
		{0x6A86, "incorrect P1/P2"},
		{0x6A87, "Lc inconsistent with P1/P2"},
		{0x6A88, "referenced data not found"},
		{0x6B00, "wrong P1/P2 (offset outside the file)"},
		{0x6D00, "instruction not supported"},
		{0x6E00, "class not supported"},
		{0x6F00, "technical problem"},
	};

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (tab[i].sw == sw)
			return tab[i].text;
	switch (sw >> 8) {
	case 0x61: return "response bytes available";
	case 0x63: return (sw & 0xF0) == 0xC0 ? "verification failed" : "warning";
	case 0x64:
	case 0x65: return "card memory error";
	case 0x6C: return "wrong Le";
	case 0x91:
	case 0x92: return "success";
	}
	return "unexpected status word";
}

int cs_uicc_sw_error(uint16_t sw, const char *what, struct cs_errinfo *ei)
{
	const char *w = what ? what : "command";
	int code;

	if ((sw & 0xFFF0) == 0x63C0)
		return cs_error(ei, CS_ERR_PIN_WRONG, -1, "wrong PIN: %u %s left (%04X on %s)",
				sw & 0x0F, (sw & 0x0F) == 1 ? "try" : "tries", sw, w);
	switch (sw) {
	case 0x6A82: code = CS_ERR_FILE_NOT_FOUND; break;
	case 0x6982: code = CS_ERR_SECURITY_STATUS; break;
	case 0x6983: code = CS_ERR_PIN_BLOCKED; break;
	case 0x6881:
	case 0x6A81:
	case 0x6D00:
	case 0x6E00: code = CS_ERR_UNSUPPORTED; break;
	default: code = CS_ERR_SW; break;
	}
	return cs_error(ei, code, -1, "%s (%04X on %s)", cs_sw_meaning(sw), sw, w);
}

static struct cs_apdu apdu(const struct cs_uicc *u, uint8_t ins, uint8_t p1, uint8_t p2)
{
	struct cs_apdu a = {0};

	a.cla = cs_uicc_cla(u->channel);
	a.ins = ins;
	a.p1 = p1;
	a.p2 = p2;
	return a;
}

int cs_uicc_open_channel(struct cs_uicc *u, struct cs_errinfo *ei)
{
	struct cs_apdu a = apdu(u, INS_MANAGE_CHANNEL, 0x00, 0x00);
	struct cs_buf rsp = {0};
	uint16_t sw;
	int err;

	/* MANAGE CHANNEL open: sent on the basic channel, P2 00 lets the card choose, Le 1 */
	a.cla = 0x00;
	a.le = 1;
	a.has_le = true;
	u->channel = 0;
	u->channel_open = false;
	err = cs_uicc_exchange(u, &a, &rsp, &sw, ei);
	if (err)
		goto out;
	if (sw_ok(sw) && rsp.len == 1 && rsp.data[0] >= 1 && rsp.data[0] <= 19) {
		u->channel = rsp.data[0];
		u->channel_open = true;
	}
out:
	cs_buf_free(&rsp);
	return err;
}

int cs_uicc_close_channel(struct cs_uicc *u, struct cs_errinfo *ei)
{
	struct cs_apdu a;
	struct cs_buf rsp = {0};
	uint16_t sw;
	char what[40];
	int err;

	if (!u->channel_open)
		return 0;
	/* MANAGE CHANNEL close: sent on the channel itself, P1 80 = close, P2 = channel */
	a = apdu(u, INS_MANAGE_CHANNEL, 0x80, u->channel);
	err = cs_uicc_exchange(u, &a, &rsp, &sw, ei);
	cs_buf_free(&rsp);
	if (err)
		return err;
	u->channel_open = false;
	snprintf(what, sizeof(what), "MANAGE CHANNEL close %u", u->channel);
	u->channel = 0;
	return sw_ok(sw) ? 0 : cs_uicc_sw_error(sw, what, ei);
}

bool cs_fcp_is_df(const struct cs_fcp *f)
{
	return f->has_descriptor && (f->fdb & 0x3F) == 0x38;
}

bool cs_fcp_is_transparent(const struct cs_fcp *f)
{
	return f->has_descriptor && !(f->fdb & 0x80) && (f->fdb & 0x07) == 0x01 &&
	       (f->fdb & 0x38) != 0x38;
}

bool cs_fcp_key_enabled(const struct cs_fcp *f, size_t i)
{
	if (i / 8 >= f->ps_do_len)
		return false;
	return (f->ps_do[i / 8] >> (7 - i % 8)) & 1;
}

static bool is_user_pin(uint8_t ref)
{
	/* TS 102 221 Table 9.3: PIN Appl 1-8, Universal PIN, second application PINs; never ADM */
	return (ref >= 0x01 && ref <= 0x08) || ref == 0x11 || (ref >= 0x81 && ref <= 0x88);
}

uint8_t cs_fcp_pin_keyref(const struct cs_fcp *f)
{
	if (!f || !f->has_pin_template)
		return 0;
	for (size_t i = 0; i < f->nkey_refs; i++)
		if (is_user_pin(f->key_refs[i]) && cs_fcp_key_enabled(f, i))
			return f->key_refs[i];
	for (size_t i = 0; i < f->nkey_refs; i++)
		if (is_user_pin(f->key_refs[i]))
			return f->key_refs[i];
	return 0;
}

/* BER-TLV header at buf[*pos]; tag (up to 3 bytes) and length (up to 82 xx xx). */
static int tlv_header(const uint8_t *buf, size_t len, size_t *pos, uint32_t *tag, size_t *vlen,
		      struct cs_errinfo *ei)
{
	size_t p = *pos, start = *pos;

	if (p >= len)
		return cs_error(ei, CS_ERR_TRUNCATED, (long)p, "FCP ends before a tag");
	*tag = buf[p++];
	if ((*tag & 0x1F) == 0x1F) {
		int more = 0;

		do {
			if (p >= len)
				return cs_error(ei, CS_ERR_TRUNCATED, (long)start,
						"FCP ends inside a tag");
			if (++more > 2)
				return cs_error(ei, CS_ERR_MALFORMED, (long)start,
						"FCP tag longer than 3 bytes");
			*tag = *tag << 8 | buf[p];
		} while (buf[p++] & 0x80);
	}
	if (p >= len)
		return cs_error(ei, CS_ERR_TRUNCATED, (long)p, "FCP ends before a length");
	if (buf[p] < 0x80) {
		*vlen = buf[p++];
	} else if (buf[p] == 0x81) {
		if (len - p < 2)
			return cs_error(ei, CS_ERR_TRUNCATED, (long)p, "FCP ends inside a length");
		*vlen = buf[p + 1];
		p += 2;
	} else if (buf[p] == 0x82) {
		if (len - p < 3)
			return cs_error(ei, CS_ERR_TRUNCATED, (long)p, "FCP ends inside a length");
		*vlen = (size_t)buf[p + 1] << 8 | buf[p + 2];
		p += 3;
	} else {
		return cs_error(ei, CS_ERR_MALFORMED, (long)p, "FCP length byte %02X not supported",
				buf[p]);
	}
	if (*vlen > len - p)
		return cs_error(ei, CS_ERR_TRUNCATED, (long)start,
				"FCP tag %X says %zu bytes but only %zu follow", *tag, *vlen,
				len - p);
	*pos = p;
	return 0;
}

static uint32_t be_uint(const uint8_t *p, size_t n)
{
	uint32_t v = 0;

	for (size_t i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* C6 PIN status template: 90 PS_DO, 95 usage qualifier, 83 key references (TS 102 221 FCP). */
static int parse_pin_template(const uint8_t *buf, size_t len, size_t base, size_t tag_at,
			      struct cs_fcp *f, struct cs_errinfo *ei)
{
	size_t pos = 0;

	while (pos < len) {
		size_t at = pos, vlen;
		uint32_t tag;
		int err = tlv_header(buf, len, &pos, &tag, &vlen, ei);

		if (err) {
			if (ei)
				ei->offset += (long)base;
			return err;
		}
		switch (tag) {
		case 0x90:
			if (vlen < 1 || vlen > sizeof(f->ps_do) || f->ps_do_len)
				return cs_error(ei, CS_ERR_MALFORMED, (long)(base + at),
						"PS_DO (C6/90) of %zu bytes", vlen);
			memcpy(f->ps_do, buf + pos, vlen);
			f->ps_do_len = vlen;
			break;
		case 0x83:
			if (vlen != 1)
				return cs_error(ei, CS_ERR_MALFORMED, (long)(base + at),
						"key reference (C6/83) of %zu bytes", vlen);
			if (f->nkey_refs == CS_UICC_MAX_KEYREFS)
				return cs_error(ei, CS_ERR_LIMIT, (long)(base + at),
						"more than %d key references in C6",
						CS_UICC_MAX_KEYREFS);
			f->key_refs[f->nkey_refs++] = buf[pos];
			break;
		case 0x95:
			if (vlen != 1)
				return cs_error(ei, CS_ERR_MALFORMED, (long)(base + at),
						"usage qualifier (C6/95) of %zu bytes", vlen);
			break;
		default: break;
		}
		pos += vlen;
	}
	if (f->nkey_refs && !f->ps_do_len)
		return cs_error(ei, CS_ERR_MALFORMED, (long)tag_at,
				"PIN status template without PS_DO");
	return 0;
}

static int fcp_item(const uint8_t *v, size_t vlen, uint32_t tag, size_t at, uint32_t *seen,
		    struct cs_fcp *f, struct cs_errinfo *ei)
{
	static const uint32_t once[] = {0x80, 0x81, 0x82, 0x83, 0x84, 0x88, 0x8A};

	for (size_t i = 0; i < sizeof(once) / sizeof(once[0]); i++) {
		if (tag != once[i])
			continue;
		if (*seen & (1u << i))
			return cs_error(ei, CS_ERR_MALFORMED, (long)at,
					"FCP tag %02X appears twice", tag);
		*seen |= 1u << i;
	}
	switch (tag) {
	case 0x80:
	case 0x81:
		if (vlen < 1 || vlen > 4)
			return cs_error(ei, CS_ERR_MALFORMED, (long)at,
					"file size (%02X) of %zu bytes", tag, vlen);
		if (tag == 0x80) {
			f->has_size = true;
			f->size = be_uint(v, vlen);
		} else {
			f->has_total_size = true;
			f->total_size = be_uint(v, vlen);
		}
		break;
	case 0x82:
		/* ISO 7816-4: FDB, data coding, max record size (1-2), number of records (1-2) */
		if (vlen < 1 || vlen > 6)
			return cs_error(ei, CS_ERR_MALFORMED, (long)at,
					"file descriptor (82) of %zu bytes", vlen);
		f->has_descriptor = true;
		f->fdb = v[0];
		if (vlen >= 2)
			f->data_coding = v[1];
		if (vlen >= 3)
			f->record_len = (uint16_t)be_uint(v + 2, vlen >= 4 ? 2 : 1);
		if (vlen >= 5)
			f->record_count = (uint16_t)be_uint(v + 4, vlen - 4);
		break;
	case 0x83:
		if (vlen != 2)
			return cs_error(ei, CS_ERR_MALFORMED, (long)at, "file ID (83) of %zu bytes",
					vlen);
		f->has_fid = true;
		f->fid = (uint16_t)be_uint(v, 2);
		break;
	case 0x84:
		if (vlen < 1 || vlen > CS_UICC_MAX_AID)
			return cs_error(ei, CS_ERR_MALFORMED, (long)at, "DF name (84) of %zu bytes",
					vlen);
		memcpy(f->aid, v, vlen);
		f->aid_len = vlen;
		break;
	case 0x88:
		if (vlen > 1)
			return cs_error(ei, CS_ERR_MALFORMED, (long)at, "SFI (88) of %zu bytes",
					vlen);
		if (vlen == 0) {
			f->sfi = 0;
		} else {
			/* TS 102 221 FCP 88: SFI in b8..b4, b3..b1 zero; 0 and 31 are no SFIs */
			if ((v[0] & 0x07) || (v[0] >> 3) == 0 || (v[0] >> 3) == 31)
				return cs_error(ei, CS_ERR_MALFORMED, (long)at, "SFI byte %02X",
						v[0]);
			f->sfi = v[0] >> 3;
		}
		break;
	case 0x8A:
		if (vlen != 1)
			return cs_error(ei, CS_ERR_MALFORMED, (long)at, "LCSI (8A) of %zu bytes",
					vlen);
		f->has_lcsi = true;
		f->lcsi = v[0];
		break;
	default: break;
	}
	return 0;
}

int cs_fcp_parse(const uint8_t *buf, size_t len, struct cs_fcp *fcp, struct cs_errinfo *ei)
{
	size_t pos = 0, tlen, end;
	uint32_t tag, seen = 0;
	int err;

	if (!buf || !fcp)
		return cs_error(ei, CS_ERR_ARG, -1, "no FCP");
	memset(fcp, 0, sizeof(*fcp));
	fcp->sfi = -1;
	err = tlv_header(buf, len, &pos, &tag, &tlen, ei);
	if (err)
		return err;
	if (tag != 0x62)
		return cs_error(ei, CS_ERR_MALFORMED, 0, "expected FCP template 62, got tag %X",
				tag);
	end = pos + tlen;
	if (end != len)
		return cs_error(ei, CS_ERR_MALFORMED, (long)end, "%zu bytes after the FCP template",
				len - end);
	while (pos < end) {
		size_t at = pos, vlen;

		err = tlv_header(buf, end, &pos, &tag, &vlen, ei);
		if (err)
			return err;
		if (tag == 0xC6) {
			if (seen & (1u << 7))
				return cs_error(ei, CS_ERR_MALFORMED, (long)at,
						"FCP tag C6 appears twice");
			seen |= 1u << 7;
			fcp->has_pin_template = true;
			err = parse_pin_template(buf + pos, vlen, pos, at, fcp, ei);
		} else {
			err = fcp_item(buf + pos, vlen, tag, at, &seen, fcp, ei);
		}
		if (err)
			return err;
		pos += vlen;
	}
	return 0;
}

static void hexstr(const uint8_t *p, size_t n, char *out, size_t outsz)
{
	cs_hex_encode(p, n, 0, out, outsz);
}

static int select_cmd(struct cs_uicc *u, uint8_t p1, const uint8_t *data, size_t len,
		      const char *what, struct cs_fcp *fcp, struct cs_errinfo *ei)
{
	struct cs_apdu a = apdu(u, INS_SELECT, p1, 0x04);
	struct cs_buf rsp = {0};
	struct cs_errinfo sub;
	uint16_t sw;
	int err;

	a.data = data;
	a.lc = len;
	a.le = 256;
	a.has_le = true;
	err = cs_uicc_exchange(u, &a, &rsp, &sw, ei);
	if (err)
		goto out;
	if (!sw_ok(sw)) {
		err = cs_uicc_sw_error(sw, what, ei);
		goto out;
	}
	if (!fcp)
		goto out;
	if (rsp.len == 0) {
		memset(fcp, 0, sizeof(*fcp));
		fcp->sfi = -1;
		goto out;
	}
	cs_errinfo_clear(&sub);
	err = cs_fcp_parse(rsp.data, rsp.len, fcp, &sub);
	if (err)
		cs_error(ei, err, sub.offset, "malformed FCP in the answer to %s: %s (byte %ld)",
			 what, sub.msg, sub.offset);
out:
	cs_buf_free(&rsp);
	return err;
}

int cs_uicc_select_aid(struct cs_uicc *u, const uint8_t *aid, size_t aid_len, struct cs_fcp *fcp,
		       struct cs_errinfo *ei)
{
	char what[8 + 2 * CS_UICC_MAX_AID + 1], hex[2 * CS_UICC_MAX_AID + 1];

	if (!aid || aid_len < 1 || aid_len > CS_UICC_MAX_AID)
		return cs_error(ei, CS_ERR_ARG, -1, "AID of %zu bytes", aid_len);
	hexstr(aid, aid_len, hex, sizeof(hex));
	snprintf(what, sizeof(what), "SELECT %s", hex);
	return select_cmd(u, 0x04, aid, aid_len, what, fcp, ei);
}

int cs_uicc_select_fid(struct cs_uicc *u, uint16_t fid, struct cs_fcp *fcp, struct cs_errinfo *ei)
{
	uint8_t d[2] = {(uint8_t)(fid >> 8), (uint8_t)fid};
	char what[16];

	snprintf(what, sizeof(what), "SELECT %04X", fid);
	return select_cmd(u, 0x00, d, 2, what, fcp, ei);
}

int cs_uicc_select_path(struct cs_uicc *u, const uint8_t *path, size_t len, struct cs_fcp *fcp,
			struct cs_errinfo *ei)
{
	uint8_t d[2 + 16];
	size_t n = 0;
	char hex[2 * sizeof(d) + 1], what[12 + sizeof(hex)];

	if (!path || len < 2 || len > 16 || len % 2)
		return cs_error(ei, CS_ERR_ARG, -1, "file path of %zu bytes", len);
	if (path[0] == 0x3F && path[1] == 0x00) {
		if (len == 2)
			return cs_uicc_select_fid(u, 0x3F00, fcp, ei);
		memcpy(d, path + 2, len - 2);
		n = len - 2;
	} else {
		/* TS 102 221: 7FFF = the ADF of the application selected on this channel */
		d[0] = 0x7F;
		d[1] = 0xFF;
		memcpy(d + 2, path, len);
		n = len + 2;
	}
	hexstr(path, len, hex, sizeof(hex));
	snprintf(what, sizeof(what), "SELECT %s", hex);
	return select_cmd(u, 0x08, d, n, what, fcp, ei);
}

static size_t chunk_max(const struct cs_uicc *u)
{
	size_t m = u->t->max_rsp_data;

	return m == 0 || m > 256 ? 256 : m;
}

int cs_uicc_read_binary(struct cs_uicc *u, size_t size, unsigned redact, struct cs_buf *out,
			struct cs_errinfo *ei)
{
	bool unknown = size == CS_UICC_SIZE_UNKNOWN;
	size_t maxc = chunk_max(u), offset = 0;
	char what[48];
	int err;

	while (unknown || offset < size) {
		size_t chunk = unknown ? maxc : (size - offset < maxc ? size - offset : maxc);
		struct cs_apdu a;
		size_t before = out->len, got;
		uint16_t sw;

		/* READ BINARY: P1 b8 must stay 0, so the offset has 15 bits */
		if (offset > 0x7FFF)
			return cs_error(
				ei, CS_ERR_LIMIT, (long)offset,
				"file goes beyond offset 32767, which READ BINARY cannot address");
		a = apdu(u, INS_READ_BINARY, (uint8_t)(offset >> 8), (uint8_t)offset);
		a.le = chunk;
		a.has_le = true;
		a.redact = redact;
		err = cs_uicc_exchange(u, &a, out, &sw, ei);
		if (err)
			return err;
		got = out->len - before;
		snprintf(what, sizeof(what), "READ BINARY at offset %zu", offset);
		if (got > chunk)
			return cs_error(ei, CS_ERR_SW, (long)offset,
					"card returned %zu bytes for Le %zu (%s)", got, chunk,
					what);
		if (sw_ok(sw)) {
			if (got == 0)
				return cs_error(ei, CS_ERR_SW, (long)offset,
						"card returned no data (%04X on %s)", sw, what);
			offset += got;
			if (unknown && got < chunk)
				break;
		} else if (sw == 0x6282 || (sw == 0x6B00 && offset > 0 && got == 0)) {
			/* end of file: 6282 after the last bytes, 6B00 at an offset just past it */
			break;
		} else {
			return cs_uicc_sw_error(sw, what, ei);
		}
		if (u->progress && !unknown && size > maxc)
			u->progress(u->progress_arg, offset, size);
	}
	return 0;
}

int cs_uicc_read_binary_sfi(struct cs_uicc *u, uint8_t sfi, uint8_t offset, size_t le,
			    unsigned redact, struct cs_buf *out, struct cs_errinfo *ei)
{
	struct cs_apdu a;
	uint16_t sw;
	char what[48];
	int err;

	if (sfi < 1 || sfi > 30)
		return cs_error(ei, CS_ERR_ARG, -1, "SFI %u outside 1..30", sfi);
	/* READ BINARY with an SFI (ISO 7816-4): P1 = 100sssss, P2 = offset */
	a = apdu(u, INS_READ_BINARY, (uint8_t)(0x80 | sfi), offset);
	a.le = le;
	a.has_le = true;
	a.redact = redact;
	err = cs_uicc_exchange(u, &a, out, &sw, ei);
	if (err)
		return err;
	if (sw_ok(sw) || sw == 0x6282)
		return 0;
	snprintf(what, sizeof(what), "READ BINARY SFI %02X", sfi);
	return cs_uicc_sw_error(sw, what, ei);
}

int cs_uicc_read_record(struct cs_uicc *u, uint8_t rec, uint8_t sfi, size_t le, unsigned redact,
			struct cs_buf *out, struct cs_errinfo *ei)
{
	struct cs_apdu a;
	uint16_t sw;
	char what[48];
	int err;

	if (sfi > 30)
		return cs_error(ei, CS_ERR_ARG, -1, "SFI %u outside 1..30", sfi);
	/* P2 = SFI in b8..b4, 100 = record number in P1 (absolute) */
	a = apdu(u, INS_READ_RECORD, rec, (uint8_t)(sfi << 3 | 0x04));
	a.le = le;
	a.has_le = true;
	a.redact = redact;
	err = cs_uicc_exchange(u, &a, out, &sw, ei);
	if (err)
		return err;
	if (sw_ok(sw) || sw == 0x6282)
		return 0;
	if (sfi)
		snprintf(what, sizeof(what), "READ RECORD %u SFI %02X", rec, sfi);
	else
		snprintf(what, sizeof(what), "READ RECORD %u", rec);
	return cs_uicc_sw_error(sw, what, ei);
}

int cs_uicc_pin_status(struct cs_uicc *u, uint8_t keyref, int *tries_left, struct cs_errinfo *ei)
{
	struct cs_apdu a = apdu(u, INS_VERIFY, 0x00, keyref);
	struct cs_buf rsp = {0};
	char what[48];
	uint16_t sw;
	int err;

	*tries_left = -1;
	err = cs_uicc_exchange(u, &a, &rsp, &sw, ei);
	cs_buf_free(&rsp);
	if (err)
		return err;
	if (sw_ok(sw))
		return 0;
	if ((sw & 0xFFF0) == 0x63C0) {
		*tries_left = sw & 0x0F;
		return 0;
	}
	snprintf(what, sizeof(what), "VERIFY %02X without data", keyref);
	if (sw == 0x6983)
		return cs_error(ei, CS_ERR_PIN_BLOCKED, -1,
				"PIN (key reference %02X) is blocked (6983 on %s)", keyref, what);
	return cs_uicc_sw_error(sw, what, ei);
}

static int send_verify(struct cs_uicc *u, uint8_t keyref, const char *pin, size_t len,
		       struct cs_errinfo *ei)
{
	struct cs_apdu a = apdu(u, INS_VERIFY, 0x00, keyref);
	struct cs_buf rsp = {0};
	uint8_t data[8];
	char what[24];
	uint16_t sw;
	int err;

	if (len < 4 || len > 8)
		return cs_error(ei, CS_ERR_ARG, -1, "the PIN must have 4 to 8 digits, not %zu",
				len);
	for (size_t i = 0; i < len; i++)
		if (pin[i] < '0' || pin[i] > '9')
			return cs_error(ei, CS_ERR_ARG, -1, "the PIN must be digits only");
	/* TS 102 221 VERIFY PIN: ASCII digits right-padded with FF to 8 bytes */
	memset(data, 0xFF, sizeof(data));
	memcpy(data, pin, len);
	a.data = data;
	a.lc = sizeof(data);
	a.redact = CS_REDACT_CMD_DATA;
	err = cs_uicc_exchange(u, &a, &rsp, &sw, ei);
	cs_zeroize(data, sizeof(data));
	cs_buf_free(&rsp);
	if (err)
		return err;
	if (sw_ok(sw))
		return 0;
	snprintf(what, sizeof(what), "VERIFY %02X", keyref);
	if ((sw & 0xFFF0) == 0x63C0) {
		unsigned left = sw & 0x0F;

		if (left == 0)
			return cs_error(ei, CS_ERR_PIN_BLOCKED, -1,
					"wrong PIN (key reference %02X): no tries left, the PIN is "
					"now blocked (%04X on %s)",
					keyref, sw, what);
		return cs_error(ei, CS_ERR_PIN_WRONG, -1,
				"wrong PIN (key reference %02X): %u %s left (%04X on %s)", keyref,
				left, left == 1 ? "try" : "tries", sw, what);
	}
	if (sw == 0x6983)
		return cs_error(ei, CS_ERR_PIN_BLOCKED, -1,
				"PIN (key reference %02X) is blocked (6983 on %s)", keyref, what);
	return cs_uicc_sw_error(sw, what, ei);
}

/* The counter first, never a blind try. *needed false when nothing to do. */
static int pin_precheck(struct cs_uicc *u, uint8_t keyref, int *tries, bool *needed,
			struct cs_errinfo *ei)
{
	int err = cs_uicc_pin_status(u, keyref, tries, ei);

	*needed = false;
	if (err && !card_refused(err))
		return err;
	if (err) {
		char prefix[112];

		snprintf(prefix, sizeof(prefix),
			 "the card does not report the retry counter of PIN %02X, so cardstrap "
			 "does not present the PIN",
			 keyref);
		return rewrap(ei, CS_ERR_PIN_REFUSED, prefix);
	}
	if (*tries < 0)
		return 0;
	if (*tries == 0)
		return cs_error(ei, CS_ERR_PIN_BLOCKED, -1,
				"PIN (key reference %02X) is blocked (no tries left)", keyref);
	if (*tries <= 1)
		return cs_error(ei, CS_ERR_PIN_REFUSED, -1,
				"only 1 try left for PIN (key reference %02X): not trying, so that "
				"a wrong PIN cannot block it",
				keyref);
	*needed = true;
	return 0;
}

int cs_uicc_verify_pin(struct cs_uicc *u, uint8_t keyref, const char *pin, size_t pin_len,
		       struct cs_errinfo *ei)
{
	bool needed;
	int tries, err;

	if (!pin)
		return cs_error(ei, CS_ERR_ARG, -1, "no PIN");
	err = pin_precheck(u, keyref, &tries, &needed, ei);
	if (err || !needed)
		return err;
	return send_verify(u, keyref, pin, pin_len, ei);
}

int cs_uicc_verify(struct cs_uicc *u, uint8_t keyref, cs_pin_fn get_pin, void *arg,
		   struct cs_errinfo *ei)
{
	struct cs_buf pin = {0};
	bool needed;
	int tries, err;

	err = pin_precheck(u, keyref, &tries, &needed, ei);
	if (err || !needed)
		return err;
	if (!get_pin)
		return cs_error(
			ei, CS_ERR_PIN_REQUIRED, -1,
			"PIN (key reference %02X) needed, %d tries left, but no PIN was given",
			keyref, tries);
	err = get_pin(arg, keyref, tries, &pin, ei);
	if (!err)
		err = send_verify(u, keyref, (const char *)pin.data, pin.len, ei);
	cs_buf_free(&pin);
	return err;
}

void cs_iccid_decode(const uint8_t *buf, size_t len, char *out, size_t outsz)
{
	size_t n = 0;

	if (!outsz)
		return;
	for (size_t i = 0; i < len; i++) {
		/* TS 102 221 §13.2: BCD with the nibbles of each byte swapped, F = filler */
		uint8_t d[2] = {(uint8_t)(buf[i] & 0x0F), (uint8_t)(buf[i] >> 4)};

		for (int k = 0; k < 2; k++) {
			if (d[k] == 0x0F || n + 1 >= outsz)
				goto done;
			out[n++] = (char)(d[k] <= 9 ? '0' + d[k] : '?');
		}
	}
done:
	out[n] = '\0';
}

int cs_uicc_read_iccid(struct cs_uicc *u, char iccid[21], struct cs_errinfo *ei)
{
	static const uint8_t path[] = {0x3F, 0x00, 0x2F, 0xE2};
	struct cs_buf b = {0};
	struct cs_fcp fcp;
	uint8_t saved = u->channel;
	int err;

	iccid[0] = '\0';
	u->channel = 0;
	err = cs_uicc_read_binary_sfi(u, SFI_EF_ICCID, 0, 10, CS_REDACT_NONE, &b, ei);
	if (card_refused(err)) {
		b.len = 0;
		err = cs_uicc_select_path(u, path, sizeof(path), &fcp, ei);
		/* a successful SELECT filled fcp */
		if (!err)
			/* NOLINTNEXTLINE(clang-analyzer-core.uninitialized.Branch) */
			err = cs_uicc_read_binary(u, fcp.has_size && fcp.size <= 10 ? fcp.size : 10,
						  CS_REDACT_NONE, &b, ei);
		if (card_refused(err))
			err = rewrap(ei, CS_ERR_NOT_FOUND, "no readable EF.ICCID");
	}
	u->channel = saved;
	if (!err)
		cs_iccid_decode(b.data, b.len, iccid, 21);
	cs_buf_free(&b);
	return err;
}

static bool all_ff(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != 0xFF)
			return false;
	return true;
}

static int add_record(struct cs_records *out, const uint8_t *p, size_t n)
{
	int err;

	if (out->n == CS_UICC_MAX_RECORDS)
		return 0;
	err = cs_buf_append(&out->data, p, n);
	if (!err)
		out->len[out->n++] = n;
	return err;
}

/*
 * Records 1.. of EF.DIR (by SFI when sfi != 0; count 0 = until the end), added
 * to out. Stops at 6A83/6282/all-FF. Returns the error of record 1 when the
 * card refused it.
 */
static int dir_records(struct cs_uicc *u, uint8_t sfi, size_t le, size_t count,
		       struct cs_records *out, struct cs_errinfo *ei)
{
	struct cs_buf rec = {0};
	int err = 0;

	for (unsigned r = 1; r <= MAX_DIR_RECORDS && (count == 0 || r <= count); r++) {
		rec.len = 0;
		err = cs_uicc_read_record(u, (uint8_t)r, sfi, le, CS_REDACT_NONE, &rec, ei);
		if (err) {
			if (card_refused(err) && (r > 1 || u->sw == 0x6A83))
				err = 0;
			break;
		}
		if (rec.len == 0 || all_ff(rec.data, rec.len))
			break;
		err = add_record(out, rec.data, rec.len);
		if (err || u->sw == 0x6282)
			break;
	}
	cs_buf_free(&rec);
	return err;
}

int cs_uicc_read_dir(struct cs_uicc *u, struct cs_records *out, struct cs_errinfo *ei)
{
	static const uint8_t path[] = {0x3F, 0x00, 0x2F, 0x00};
	uint8_t saved = u->channel;
	size_t start = out->data.len, start_n = out->n;
	struct cs_fcp fcp;
	int err;

	u->channel = 0;
	err = dir_records(u, SFI_EF_DIR, 256, 0, out, ei);
	if (!card_refused(err))
		goto out;
	out->data.len = start;
	out->n = start_n;
	err = cs_uicc_select_path(u, path, sizeof(path), &fcp, ei);
	if (err) {
		if (card_refused(err))
			err = rewrap(ei, CS_ERR_NOT_FOUND, "no readable EF.DIR");
		goto out;
	}
	if (cs_fcp_is_transparent(&fcp)) {
		struct cs_buf b = {0};
		size_t size = fcp.has_size ? fcp.size : CS_UICC_SIZE_UNKNOWN;

		if (fcp.has_size && fcp.size > MAX_DIR_SIZE)
			size = MAX_DIR_SIZE;
		err = cs_uicc_read_binary(u, size, CS_REDACT_NONE, &b, ei);
		if (!err)
			err = add_record(out, b.data, b.len);
		cs_buf_free(&b);
	} else {
		size_t le = fcp.record_len >= 1 && fcp.record_len <= 256 ? fcp.record_len : 256;

		err = dir_records(u, 0, le, fcp.record_count, out, ei);
	}
	if (card_refused(err))
		err = rewrap(ei, CS_ERR_NOT_FOUND, "no readable EF.DIR");
out:
	u->channel = saved;
	return err;
}
