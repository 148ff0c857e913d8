/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cardstrap/card.h"
#include "cardstrap/cardimg.h"
#include "cardstrap/encoding.h"
#include "cardstrap/uicc.h"

#include "vectors.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const uint8_t PKCS15_AID[12] = {0xA0, 0x00, 0x00, 0x00, 0x63, 0x50,
				       0x4B, 0x43, 0x53, 0x2D, 0x31, 0x35};

static void hex(const char *text, struct cs_buf *out)
{
	struct cs_errinfo ei;

	out->len = 0;
	assert_int_equal(cs_hex_decode(text, strlen(text), out, &ei), 0);
}

/* ---- FCP parsing (TS 102 221 §11.1.1, Nordic sdk-nrf uicc_lwm2m vectors) ---- */

static void parse_ok(const char *h, struct cs_fcp *f)
{
	struct cs_buf b = {0};
	struct cs_errinfo ei;

	hex(h, &b);
	cs_errinfo_clear(&ei);
	if (cs_fcp_parse(b.data, b.len, f, &ei))
		fail_msg("FCP %s: %s", h, ei.msg);
	cs_buf_free(&b);
}

static void test_fcp_nordic_adf(void **state)
{
	struct cs_fcp f;

	(void)state;
	parse_ok("62 25 82 02 78 21 84 0C A0 00 00 00 63 50 4B 43 53 2D 31 35 8A 01 05"
		 " 8B 03 2F 06 0C C6 09 90 01 40 83 01 01 83 01 0A",
		 &f);
	assert_true(f.has_descriptor);
	assert_int_equal(f.fdb, 0x78);
	assert_int_equal(f.data_coding, 0x21);
	assert_true(cs_fcp_is_df(&f));
	assert_false(cs_fcp_is_transparent(&f));
	assert_int_equal(f.aid_len, 12);
	assert_memory_equal(f.aid, PKCS15_AID, 12);
	assert_true(f.has_lcsi);
	assert_int_equal(f.lcsi, 0x05);
	assert_false(f.has_size);
	assert_false(f.has_fid);
	assert_int_equal(f.sfi, -1);
	assert_true(f.has_pin_template);
	assert_int_equal(f.ps_do_len, 1);
	assert_int_equal(f.ps_do[0], 0x40);
	assert_int_equal(f.nkey_refs, 2);
	assert_int_equal(f.key_refs[0], 0x01);
	assert_int_equal(f.key_refs[1], 0x0A);
	/* TS 102 221 PS_DO: 40 marks the second reference (ADM1) enabled, PIN1 not */
	assert_false(cs_fcp_key_enabled(&f, 0));
	assert_true(cs_fcp_key_enabled(&f, 1));
	/* ADM is never chosen: PIN1 is the user PIN listed */
	assert_int_equal(cs_fcp_pin_keyref(&f), 0x01);
}

static void test_fcp_nordic_efs(void **state)
{
	struct cs_fcp f;

	(void)state;
	parse_ok("62 16 82 02 41 21 83 02 50 31 8A 01 05 8B 03 6F 06 02 80 02 00 20 88 00", &f);
	assert_true(cs_fcp_is_transparent(&f));
	assert_false(cs_fcp_is_df(&f));
	assert_int_equal(f.fdb, 0x41);
	assert_true(f.has_fid);
	assert_int_equal(f.fid, 0x5031);
	assert_true(f.has_size);
	assert_int_equal(f.size, 32);
	assert_int_equal(f.sfi, 0); /* 88 00: SFI not supported */
	assert_false(f.has_pin_template);
	assert_int_equal(cs_fcp_pin_keyref(&f), 0);

	parse_ok("62 16 82 02 41 21 83 02 64 30 8A 01 05 8B 03 6F 06 02 80 02 00 78 88 00", &f);
	assert_int_equal(f.fid, 0x6430);
	assert_int_equal(f.size, 120);
}

static void test_fcp_other_tags(void **state)
{
	struct cs_fcp f;

	(void)state;
	/* linear fixed EF.DIR: 5 records of 110 bytes, SFI 1E */
	parse_ok("62 0E 82 05 42 21 00 6E 05 83 02 2F 00 88 01 F0", &f);
	assert_false(cs_fcp_is_transparent(&f));
	assert_int_equal(f.record_len, 110);
	assert_int_equal(f.record_count, 5);
	assert_int_equal(f.fid, 0x2F00);
	assert_int_equal(f.sfi, 30);
	/* 3-byte size, 81 total size, enabled PIN 81 after a disabled ADM, usage qualifier */
	parse_ok("62 17 80 03 01 00 00 81 02 01 10 C6 0C 90 01 40 95 01 08 83 01 0A 83 01 81", &f);
	assert_int_equal(f.size, 0x10000);
	assert_true(f.has_total_size);
	assert_int_equal(f.total_size, 0x110);
	assert_int_equal(cs_fcp_pin_keyref(&f), 0x81);
	/* unknown tags (A5 proprietary, 8C compact security) are skipped */
	parse_ok("62 0E A5 03 80 01 71 8C 03 03 FF 00 80 02 01 00", &f);
	assert_int_equal(f.size, 256);
	/* two-byte length form */
	parse_ok("62 81 04 80 02 7F FF", &f);
	assert_int_equal(f.size, 32767);
}

static void test_fcp_malformed(void **state)
{
	static const struct {
		const char *hex;
		int code;
		long offset;
	} cases[] = {
		{"62", CS_ERR_TRUNCATED, 1},                         /* no length */
		{"6F 02 80 00", CS_ERR_MALFORMED, 0},                /* FCI, not FCP */
		{"62 05 80 02 00 20", CS_ERR_TRUNCATED, 0},          /* template longer than data */
		{"62 04 80 02 00 20 90 00", CS_ERR_MALFORMED, 6},    /* bytes after the template */
		{"62 04 80 03 00 20", CS_ERR_TRUNCATED, 2},          /* tag longer than template */
		{"62 02 80 00", CS_ERR_MALFORMED, 2},                /* empty size */
		{"62 07 80 05 00 00 00 00 20", CS_ERR_MALFORMED, 2}, /* size of 5 bytes */
		{"62 03 83 01 50", CS_ERR_MALFORMED, 2},             /* 1-byte FID */
		{"62 04 88 02 00 00", CS_ERR_MALFORMED, 2},          /* 2-byte SFI */
		{"62 03 88 01 F1", CS_ERR_MALFORMED, 2},             /* SFI with low bits */
		{"62 03 88 01 F8", CS_ERR_MALFORMED, 2},             /* SFI 31 */
		{"62 08 80 02 00 20 80 02 00 30", CS_ERR_MALFORMED, 6}, /* size twice */
		{"62 05 C6 03 83 02 01", CS_ERR_TRUNCATED, 4},          /* C6 inner past C6 */
		{"62 06 C6 04 83 02 01 0A", CS_ERR_MALFORMED, 4},       /* 2-byte key ref */
		{"62 05 C6 03 83 01 01", CS_ERR_MALFORMED, 2},          /* key ref without PS_DO */
		{"62 83 00 00 02 80 00", CS_ERR_MALFORMED, 1},          /* 3-byte length form */
		{"62 01 80", CS_ERR_TRUNCATED, 3},                      /* tag without length */
		{"62 11 84 0F 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F", 0, -1},
		{"62 13 84 11 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F 10 11", CS_ERR_MALFORMED,
		 2}, /* AID of 17 bytes */
	};
	struct cs_buf b = {0};

	(void)state;
	for (size_t i = 0; i < COUNT(cases); i++) {
		struct cs_errinfo ei;
		struct cs_fcp f;
		int err;

		hex(cases[i].hex, &b);
		cs_errinfo_clear(&ei);
		err = cs_fcp_parse(b.data, b.len, &f, &ei);
		if (err != cases[i].code || (err && ei.offset != cases[i].offset))
			fail_msg("FCP %s: got %d at %ld (%s), expected %d at %ld", cases[i].hex,
				 err, ei.offset, ei.msg, cases[i].code, cases[i].offset);
	}
	cs_buf_free(&b);
}

static void test_cla_and_iccid(void **state)
{
	char d[21];
	struct cs_buf b = {0};

	(void)state;
	assert_int_equal(cs_uicc_cla(0), 0x00);
	assert_int_equal(cs_uicc_cla(3), 0x03);
	assert_int_equal(cs_uicc_cla(4), 0x40);
	assert_int_equal(cs_uicc_cla(19), 0x4F);
	hex("98 99 09 00 00 00 00 00 00 51", &b);
	cs_iccid_decode(b.data, b.len, d, sizeof(d));
	assert_string_equal(d, "89999000000000000015");
	hex("98 10 32 54 76 98 10 32 54 F6", &b);
	cs_iccid_decode(b.data, b.len, d, sizeof(d));
	assert_string_equal(d, "8901234567890123456");
	cs_buf_free(&b);
}

/* ---- a scripted card: expected C-APDUs and their answers ---- */

struct step {
	const char *cmd; /* expected C-APDU (hex), NULL = any */
	const char *rsp; /* R-APDU (hex) */
};

struct script {
	struct cs_transport t;
	const struct step *steps;
	size_t n, at;
	unsigned redact[32];
};

static int script_transmit(struct cs_transport *t, const uint8_t *capdu, size_t clen,
			   uint8_t *rapdu, size_t *rlen, struct cs_errinfo *ei)
{
	struct script *s = (struct script *)t;
	struct cs_buf want = {0};
	char got[3 * 300];

	(void)ei;
	cs_hex_encode(capdu, clen, ' ', got, sizeof(got));
	if (s->at >= s->n)
		fail_msg("APDU %zu not expected: %s", s->at + 1, got);
	if (s->steps[s->at].cmd) {
		hex(s->steps[s->at].cmd, &want);
		if (want.len != clen || memcmp(want.data, capdu, clen))
			fail_msg("APDU %zu: sent %s, expected %s", s->at + 1, got,
				 s->steps[s->at].cmd);
	}
	hex(s->steps[s->at].rsp, &want);
	assert_true(want.len <= *rlen);
	memcpy(rapdu, want.data, want.len);
	*rlen = want.len;
	s->at++;
	cs_buf_free(&want);
	return 0;
}

static void script_trace(void *arg, const char *layer, const uint8_t *capdu, size_t clen,
			 const uint8_t *rapdu, size_t rlen, int err, double ms, unsigned redact)
{
	struct script *s = arg;

	(void)layer, (void)capdu, (void)clen, (void)rapdu, (void)rlen, (void)err, (void)ms;
	if (s->at - 1 < COUNT(s->redact))
		s->redact[s->at - 1] = redact;
}

static const struct cs_transport_ops script_ops = {.name = "script", .transmit = script_transmit};

static void script_init(struct script *s, struct cs_uicc *u, const struct step *steps, size_t n,
			bool t0, size_t max_rsp)
{
	memset(s, 0, sizeof(*s));
	s->t.ops = &script_ops;
	s->t.t0 = t0;
	s->t.max_rsp_data = max_rsp;
	s->t.trace = script_trace;
	s->t.trace_arg = s;
	s->steps = steps;
	s->n = n;
	cs_uicc_init(u, &s->t);
}

static void test_exchange_get_response(void **state)
{
	static const struct step steps[] = {
		/* T=0: case 4 without Le, then GET RESPONSE while 61xx */
		{"01 A4 08 04 04 7F FF 50 31", "61 10"},
		{"01 C0 00 00 10", "62 16 82 02 41 21 83 02 50 31 8A 01 05 8B 03 6F 61 08"},
		{"01 C0 00 00 08", "06 02 80 02 00 20 88 00 90 00"},
	};
	static const uint8_t path[] = {0x50, 0x31};
	struct script s;
	struct cs_uicc u;
	struct cs_fcp f;
	struct cs_errinfo ei;

	(void)state;
	script_init(&s, &u, steps, COUNT(steps), true, 256);
	u.channel = 1;
	assert_int_equal(cs_uicc_select_path(&u, path, 2, &f, &ei), 0);
	assert_int_equal(s.at, 3);
	assert_int_equal(u.apdus, 3);
	assert_int_equal(u.sw, 0x9000);
	assert_int_equal(f.fid, 0x5031);
	assert_int_equal(f.size, 32);
}

static void test_exchange_wrong_le(void **state)
{
	static const struct step steps[] = {
		/* 6Cxx: the same command again with Le = xx */
		{"00 B0 00 00 08", "6C 05"},
		{"00 B0 00 00 05", "01 02 03 04 05 90 00"},
		/* a GET RESPONSE answered 6Cxx is resent too */
		{"00 B0 00 05 03", "61 00"},
		{"00 C0 00 00 00", "6C 03"},
		{"00 C0 00 00 03", "06 07 08 90 00"},
	};
	struct script s;
	struct cs_uicc u;
	struct cs_buf out = {0};
	struct cs_errinfo ei;

	(void)state;
	script_init(&s, &u, steps, COUNT(steps), false, 256);
	assert_int_equal(cs_uicc_read_binary(&u, 8, CS_REDACT_NONE, &out, &ei), 0);
	assert_int_equal(out.len, 8);
	assert_int_equal(out.data[4], 5);
	assert_int_equal(out.data[7], 8);
	assert_int_equal(s.at, 5);
	cs_buf_free(&out);
}

static void test_read_binary_chunks_and_eof(void **state)
{
	/* 300 bytes in chunks of 100 (max_rsp_data), short last chunk with 6282 */
	static const struct step steps[] = {
		{"00 B0 00 00 64", NULL},
		{"00 B0 00 64 64", NULL},
		{"00 B0 00 C8 64", NULL},
	};
	struct step st[COUNT(steps)];
	static char r100[3 * 100 + 8], r50[3 * 50 + 8];
	struct script s;
	struct cs_uicc u;
	struct cs_buf out = {0};
	struct cs_errinfo ei;

	(void)state;
	r100[0] = r50[0] = '\0';
	for (int i = 0; i < 100; i++)
		strcat(r100, "AB ");
	strcat(r100, "90 00");
	for (int i = 0; i < 50; i++)
		strcat(r50, "CD ");
	strcat(r50, "62 82");
	memcpy(st, steps, sizeof(st));
	st[0].rsp = st[1].rsp = r100;
	st[2].rsp = r50;
	script_init(&s, &u, st, COUNT(st), false, 100);
	assert_int_equal(cs_uicc_read_binary(&u, 300, CS_REDACT_RSP_DATA, &out, &ei), 0);
	assert_int_equal(out.len, 250);
	assert_int_equal(out.data[199], 0xAB);
	assert_int_equal(out.data[200], 0xCD);
	assert_int_equal(u.sw, 0x6282);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(s.redact[i], CS_REDACT_RSP_DATA);
	cs_buf_free(&out);
}

static void test_read_binary_6b00(void **state)
{
	static const struct step past_end[] = {
		{"00 B0 00 00 02", "11 22 90 00"},
		{"00 B0 00 02 02", "6B 00"},
	};
	static const struct step at_start[] = {{"00 B0 00 00 04", "6B 00"}};
	struct script s;
	struct cs_uicc u;
	struct cs_buf out = {0};
	struct cs_errinfo ei;

	(void)state;
	/* 6B00 past offset 0: the EF ends before its FCP size */
	script_init(&s, &u, past_end, COUNT(past_end), false, 2);
	assert_int_equal(cs_uicc_read_binary(&u, 4, CS_REDACT_NONE, &out, &ei), 0);
	assert_int_equal(out.len, 2);
	cs_buf_free(&out);
	/* 6B00 at offset 0 is an error naming the status word */
	script_init(&s, &u, at_start, COUNT(at_start), false, 256);
	assert_int_equal(cs_uicc_read_binary(&u, 4, CS_REDACT_NONE, &out, &ei), CS_ERR_SW);
	assert_non_null(strstr(ei.msg, "6B00 on READ BINARY at offset 0"));
	assert_int_equal(out.len, 0);
}

static void test_read_binary_offset_limit(void **state)
{
	enum { N = 0x8000 / 256 + 1 };
	static char full[3 * 256 + 8];
	struct step st[N];
	struct script s;
	struct cs_uicc u;
	struct cs_buf out = {0};
	struct cs_errinfo ei;

	(void)state;
	full[0] = '\0';
	for (int i = 0; i < 256; i++)
		strcat(full, "00 ");
	strcat(full, "90 00");
	for (size_t i = 0; i < N; i++) {
		st[i].cmd = NULL;
		st[i].rsp = full;
	}
	script_init(&s, &u, st, N, false, 256);
	/* the chunk at 0x7F00 is the last one READ BINARY can address (P1 b8 = 0) */
	assert_int_equal(cs_uicc_read_binary(&u, 0x8000 + 10, CS_REDACT_NONE, &out, &ei),
			 CS_ERR_LIMIT);
	assert_int_equal(s.at, 0x8000 / 256);
	cs_buf_free(&out);
}

static int pin_calls;

static int give_pin(void *arg, uint8_t keyref, int tries_left, struct cs_buf *pin,
		    struct cs_errinfo *ei)
{
	(void)ei;
	pin_calls++;
	assert_int_equal(keyref, 0x01);
	assert_true(tries_left >= 2);
	return cs_buf_append(pin, arg, strlen(arg));
}

static void test_verify(void **state)
{
	static const struct step one_left[] = {{"00 20 00 01", "63 C1"}};
	static const struct step wrong[] = {
		{"00 20 00 01", "63 C3"},
		{"00 20 00 01 08 31 32 33 34 FF FF FF FF", "63 C2"},
	};
	static const struct step right[] = {
		{"00 20 00 01", "63 C3"},
		{"00 20 00 01 08 31 32 33 34 35 36 37 38", "90 00"},
	};
	static const struct step verified[] = {{"00 20 00 01", "90 00"}};
	static const struct step blocked[] = {{"00 20 00 01", "69 83"}};
	static const struct step no_counter[] = {{"00 20 00 01", "6A 86"}};
	struct script s;
	struct cs_uicc u;
	struct cs_errinfo ei;

	(void)state;
	/* at most one try left: nothing sent after the counter, no PIN asked */
	pin_calls = 0;
	script_init(&s, &u, one_left, COUNT(one_left), false, 256);
	assert_int_equal(cs_uicc_verify(&u, 0x01, give_pin, "1234", &ei), CS_ERR_PIN_REFUSED);
	assert_int_equal(pin_calls, 0);
	assert_int_equal(s.at, 1);
	assert_non_null(strstr(ei.msg, "only 1 try left"));

	script_init(&s, &u, wrong, COUNT(wrong), false, 256);
	assert_int_equal(cs_uicc_verify(&u, 0x01, give_pin, "1234", &ei), CS_ERR_PIN_WRONG);
	assert_int_equal(pin_calls, 1);
	assert_non_null(strstr(ei.msg, "2 tries left"));
	/* the PIN bytes are marked for the trace, the counter query is not */
	assert_int_equal(s.redact[0], CS_REDACT_NONE);
	assert_int_equal(s.redact[1], CS_REDACT_CMD_DATA);

	script_init(&s, &u, right, COUNT(right), false, 256);
	assert_int_equal(cs_uicc_verify_pin(&u, 0x01, "12345678", 8, &ei), 0);
	assert_int_equal(s.at, 2);

	pin_calls = 0;
	script_init(&s, &u, verified, COUNT(verified), false, 256);
	assert_int_equal(cs_uicc_verify(&u, 0x01, give_pin, "1234", &ei), 0);
	assert_int_equal(pin_calls, 0);

	script_init(&s, &u, blocked, COUNT(blocked), false, 256);
	assert_int_equal(cs_uicc_verify(&u, 0x01, give_pin, "1234", &ei), CS_ERR_PIN_BLOCKED);
	assert_int_equal(pin_calls, 0);

	script_init(&s, &u, no_counter, COUNT(no_counter), false, 256);
	assert_int_equal(cs_uicc_verify(&u, 0x01, give_pin, "1234", &ei), CS_ERR_PIN_REFUSED);
	assert_int_equal(pin_calls, 0);

	/* not digits / too short: refused before anything is sent */
	script_init(&s, &u, right, COUNT(right), false, 256);
	assert_int_equal(cs_uicc_verify_pin(&u, 0x01, "12a4", 4, &ei), CS_ERR_ARG);
	assert_int_equal(s.at, 1);
}

static void test_channels(void **state)
{
	static const struct step refused[] = {
		{"00 70 00 00 01", "68 81"},
		{"00 A4 04 04 0C A0 00 00 00 63 50 4B 43 53 2D 31 35 00", "6A 82"},
	};
	static const struct step ch5[] = {
		{"00 70 00 00 01", "05 90 00"},
		{"41 A4 04 04 0C A0 00 00 00 63 50 4B 43 53 2D 31 35 00", "90 00"},
		{"41 70 80 05", "90 00"},
	};
	struct script s;
	struct cs_uicc u;
	struct cs_fcp f;
	struct cs_errinfo ei;

	(void)state;
	script_init(&s, &u, refused, COUNT(refused), false, 256);
	assert_int_equal(cs_uicc_open_channel(&u, &ei), 0);
	assert_false(u.channel_open);
	assert_int_equal(u.channel, 0);
	assert_int_equal(cs_uicc_select_aid(&u, PKCS15_AID, 12, &f, &ei), CS_ERR_FILE_NOT_FOUND);
	assert_string_equal(
		ei.msg, "file or application not found (6A82 on SELECT A000000063504B43532D3135)");
	assert_int_equal(cs_uicc_close_channel(&u, &ei), 0);
	assert_int_equal(s.at, 2);

	script_init(&s, &u, ch5, COUNT(ch5), false, 256);
	assert_int_equal(cs_uicc_open_channel(&u, &ei), 0);
	assert_true(u.channel_open);
	assert_int_equal(u.channel, 5);
	assert_int_equal(cs_uicc_select_aid(&u, PKCS15_AID, 12, &f, &ei), 0);
	assert_int_equal(f.aid_len, 0); /* 9000 without FCP */
	assert_int_equal(cs_uicc_close_channel(&u, &ei), 0);
	assert_int_equal(s.at, 3);
}

static void test_dir_and_iccid_fallback(void **state)
{
	static const struct step steps[] = {
		/* ICCID by SFI refused → SELECT 2FE2 by path from the MF */
		{"00 B0 82 00 0A", "6A 82"},
		{"00 A4 08 04 02 2F E2 00", "62 0B 82 02 41 21 83 02 2F E2 80 01 0A 90 00"},
		{"00 B0 00 00 0A", "98 10 32 54 76 98 10 32 54 F6 90 00"},
		/* EF.DIR by SFI 1E: one template, then an all-FF record */
		{"00 B2 01 F4 00", "61 05 4F 03 A0 00 01 FF FF 90 00"},
		{"00 B2 02 F4 00", "FF FF FF FF FF FF FF FF FF FF 90 00"},
	};
	struct script s;
	struct cs_uicc u;
	struct cs_records dir = {0};
	struct cs_errinfo ei;
	char iccid[21];

	(void)state;
	script_init(&s, &u, steps, COUNT(steps), false, 256);
	u.channel = 2; /* both go to the basic channel whatever the current one */
	assert_int_equal(cs_uicc_read_iccid(&u, iccid, &ei), 0);
	assert_string_equal(iccid, "8901234567890123456");
	assert_int_equal(cs_uicc_read_dir(&u, &dir, &ei), 0);
	assert_int_equal(dir.n, 1);
	assert_int_equal(dir.len[0], 9);
	assert_int_equal(u.channel, 2);
	assert_int_equal(s.at, COUNT(steps));
	cs_buf_free(&dir.data);
}

/* ---- the whole read over the card simulator (image transport) ---- */

struct img_card {
	struct cs_transport *t;
	struct cs_cardimg *img; /* owned by t */
	struct cs_buf ef_vec;
};

static void img_open(struct img_card *c, const char *vector, bool t0, const char *pin,
		     bool private_obj)
{
	struct cs_cardimg_std o = {0};
	struct cs_errinfo ei;

	memset(c, 0, sizeof(*c));
	vector_bytes(vector, &c->ef_vec);
	o.ef = c->ef_vec.data;
	o.ef_len = c->ef_vec.len;
	o.t0 = t0;
	o.pin = pin;
	o.private_obj = private_obj;
	if (cs_cardimg_build_standard(&o, &c->img, &ei))
		fail_msg("standard image: %s", ei.msg);
	assert_int_equal(cs_image_transport_from_image(c->img, &c->t, &ei), 0);
}

static void img_close(struct img_card *c)
{
	cs_transport_destroy(c->t);
	cs_buf_free(&c->ef_vec);
}

static void test_card_nordic_layout(void **state)
{
	struct img_card c;
	struct cs_card_info info;
	struct cs_buf ef = {0};
	struct cs_errinfo ei;
	const struct cs_pkcs15_dataobj *o;

	(void)state;
	img_open(&c, "ef-nordic.hex", false, NULL, false);
	if (cs_card_read_bootstrap(c.t, NULL, &info, &ef, &ei))
		fail_msg("read: %s", ei.msg);
	assert_int_equal(ef.len, c.ef_vec.len);
	assert_memory_equal(ef.data, c.ef_vec.data, ef.len);
	assert_string_equal(info.iccid, CS_CARDIMG_STD_ICCID);
	assert_true(info.aid_from_dir);
	assert_string_equal(info.app_label, CS_CARDIMG_STD_LABEL);
	assert_memory_equal(info.aid, PKCS15_AID, 12);
	assert_true(info.channel_opened);
	assert_int_equal(info.channel, 1);
	/* open, SELECT AID, SELECT+READ ODF, SELECT+READ DODF, SELECT+READ EF, close */
	assert_int_equal(info.apdus_channel, 9);
	/* + READ BINARY SFI 02 (ICCID), READ RECORD 1 and 2 of EF.DIR */
	assert_int_equal(info.apdus, 12);
	assert_int_equal(info.ndodf, 1);
	assert_int_equal(info.nentries, 1);
	assert_int_equal(info.bootstrap, 0);
	o = &info.entries[0].obj;
	assert_int_equal(o->lwm2m, CS_OID_ID);
	assert_int_equal(o->path.len, 2);
	assert_int_equal(o->path.path[0], 0x64);
	assert_int_equal(o->path.path[1], 0x32);
	assert_int_equal(info.ef_size, 60);
	assert_false(info.pin_needed);
	cs_buf_free(&ef);
	img_close(&c);
}

static void test_card_t0_large(void **state)
{
	struct img_card c;
	struct cs_card_info info;
	struct cs_buf ef = {0};
	struct cs_errinfo ei;

	(void)state;
	img_open(&c, "ef-near-32k.hex", true, NULL, false);
	if (cs_card_read_bootstrap(c.t, NULL, &info, &ef, &ei))
		fail_msg("read: %s", ei.msg);
	assert_int_equal(ef.len, c.ef_vec.len);
	assert_memory_equal(ef.data, c.ef_vec.data, ef.len);
	assert_int_equal(info.ef_size, c.ef_vec.len);
	/* 128 READ BINARY for 32718 bytes plus the GET RESPONSE after each SELECT */
	assert_true(info.apdus_channel >= 9 + 127);
	cs_buf_free(&ef);
	img_close(&c);
}

static void test_card_pin(void **state)
{
	struct img_card c;
	struct cs_card_info info;
	struct cs_card_read_opts opts = {.get_pin = give_pin};
	struct cs_buf ef = {0};
	struct cs_errinfo ei;

	(void)state;
	/* right PIN */
	pin_calls = 0;
	opts.pin_arg = "1234";
	img_open(&c, "ef-nordic.hex", false, "1234", true);
	if (cs_card_read_bootstrap(c.t, &opts, &info, &ef, &ei))
		fail_msg("read: %s", ei.msg);
	assert_int_equal(pin_calls, 1);
	assert_true(info.pin_needed);
	assert_int_equal(info.pin_keyref, 0x01);
	assert_true(info.entries[0].obj.private_obj);
	assert_int_equal(ef.len, c.ef_vec.len);
	img_close(&c);

	/* wrong PIN: counted down once, EF empty */
	pin_calls = 0;
	opts.pin_arg = "9999";
	img_open(&c, "ef-nordic.hex", false, "1234", true);
	assert_int_equal(cs_card_read_bootstrap(c.t, &opts, &info, &ef, &ei), CS_ERR_PIN_WRONG);
	assert_non_null(strstr(ei.msg, "2 tries left"));
	assert_int_equal(c.img->pins[0].tries_left, 2);
	assert_int_equal(ef.len, 0);
	assert_int_equal(pin_calls, 1);
	img_close(&c);

	/* one try left: refused, nobody asked, counter unchanged */
	pin_calls = 0;
	img_open(&c, "ef-nordic.hex", false, "1234", true);
	c.img->pins[0].tries_left = 1;
	assert_int_equal(cs_card_read_bootstrap(c.t, &opts, &info, &ef, &ei), CS_ERR_PIN_REFUSED);
	assert_int_equal(pin_calls, 0);
	assert_int_equal(c.img->pins[0].tries_left, 1);
	img_close(&c);

	/* no PIN source */
	img_open(&c, "ef-nordic.hex", false, "1234", true);
	assert_int_equal(cs_card_read_bootstrap(c.t, NULL, &info, &ef, &ei), CS_ERR_PIN_REQUIRED);
	img_close(&c);
}

static void test_card_no_pkcs15(void **state)
{
	struct img_card c;
	struct cs_card_info info;
	struct cs_buf ef = {0};
	struct cs_errinfo ei;

	(void)state;
	img_open(&c, "ef-nordic.hex", false, NULL, false);
	assert_true(c.img->n_adfs >= 1);
	c.img->adfs[0].aid[11] ^= 0xFF; /* EF.DIR names an application the card lacks */
	assert_int_equal(cs_card_read_bootstrap(c.t, NULL, &info, &ef, &ei), CS_ERR_NO_PKCS15);
	assert_string_equal(ei.msg, "card has no PKCS#15 application "
				    "(6A82 on SELECT A000000063504B43532D3135)");
	/* the channel was closed again */
	assert_true(info.channel_opened);
	assert_int_equal(info.apdus_channel, 3);
	img_close(&c);
}

/* Found by fuzzing: an EF.DIR of size 0 gave one empty record (UBSan: NULL + 0 in card.c). */
static void test_card_empty_dir(void **state)
{
	static const struct step steps[] = {
		{"00 B0 82 00 0A", "6A 82"},
		{"00 A4 08 04 02 2F E2 00", "6A 82"},
		{"00 B2 01 F4 00", "6A 82"},
		/* a transparent EF.DIR with nothing in it */
		{"00 A4 08 04 02 2F 00 00", "62 0B 82 02 41 21 83 02 2F 00 80 01 00 90 00"},
		{"00 70 00 00 01", "6D 00"},
		{"00 A4 04 04 0C A0 00 00 00 63 50 4B 43 53 2D 31 35 00", "6A 82"},
	};
	struct script s;
	struct cs_uicc u;
	struct cs_card_info info;
	struct cs_buf ef = {0};
	struct cs_errinfo ei;

	(void)state;
	script_init(&s, &u, steps, COUNT(steps), false, 256);
	assert_int_equal(cs_card_read_bootstrap(&s.t, NULL, &info, &ef, &ei), CS_ERR_NO_PKCS15);
	assert_true(info.has_dir);
	assert_false(info.aid_from_dir);
	assert_int_equal(s.at, COUNT(steps));
}

static void test_card_select_fallbacks(void **state)
{
	struct img_card c;
	struct cs_card_info info;
	struct cs_buf ef = {0};
	struct cs_errinfo ei;
	struct cs_cardimg_ef *dir, *iccid;

	(void)state;
	img_open(&c, "ef-nordic.hex", false, NULL, false);
	dir = cs_cardimg_find_ef(&c.img->mf, 0x2F00);
	iccid = cs_cardimg_find_ef(&c.img->mf, 0x2FE2);
	assert_non_null(dir);
	assert_non_null(iccid);
	/* no SFIs: READ BINARY/RECORD by SFI fail, SELECT by path from the MF works */
	dir->sfi = 0;
	iccid->sfi = 0;
	if (cs_card_read_bootstrap(c.t, NULL, &info, &ef, &ei))
		fail_msg("read: %s", ei.msg);
	assert_string_equal(info.iccid, CS_CARDIMG_STD_ICCID);
	assert_true(info.has_dir);
	assert_true(info.aid_from_dir);
	assert_string_equal(info.app_label, CS_CARDIMG_STD_LABEL);
	/* ICCID: SFI read, SELECT, READ BINARY; EF.DIR: SFI read, SELECT, records 1 and 2 (FF) */
	assert_int_equal(info.apdus - info.apdus_channel, 7);
	assert_int_equal(info.apdus_channel, 9);
	assert_int_equal(ef.len, c.ef_vec.len);
	cs_buf_free(&ef);
	img_close(&c);
}

static void test_card_too_large(void **state)
{
	struct cs_cardimg_std o = {0};
	struct cs_cardimg *img;
	struct cs_transport *t;
	struct cs_card_info info;
	struct cs_buf ef = {0}, big = {0};
	struct cs_errinfo ei;

	(void)state;
	vector_bytes("ef-nordic.hex", &big);
	/* 32768 bytes: one more than READ BINARY offsets and App. G allow */
	assert_int_equal(cs_buf_reserve(&big, 32768), 0);
	memset(big.data + big.len, 0xFF, 32768 - big.len);
	big.len = 32768;
	o.ef = big.data;
	o.ef_len = big.len;
	assert_int_equal(cs_cardimg_build_standard(&o, &img, &ei), 0);
	assert_int_equal(cs_image_transport_from_image(img, &t, &ei), 0);
	assert_int_equal(cs_card_read_bootstrap(t, NULL, &info, &ef, &ei), CS_ERR_LIMIT);
	assert_non_null(strstr(ei.msg, "EF 6432 is 32768 bytes; at most 32767"));
	assert_int_equal(info.ef_size, 32768);
	/* no READ BINARY of the EF: open, AID, ODF x2, DODF x2, SELECT EF, close */
	assert_int_equal(info.apdus_channel, 8);
	assert_int_equal(ef.len, 0);
	cs_transport_destroy(t);
	cs_buf_free(&big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fcp_nordic_adf),
		cmocka_unit_test(test_fcp_nordic_efs),
		cmocka_unit_test(test_fcp_other_tags),
		cmocka_unit_test(test_fcp_malformed),
		cmocka_unit_test(test_cla_and_iccid),
		cmocka_unit_test(test_exchange_get_response),
		cmocka_unit_test(test_exchange_wrong_le),
		cmocka_unit_test(test_read_binary_chunks_and_eof),
		cmocka_unit_test(test_read_binary_6b00),
		cmocka_unit_test(test_read_binary_offset_limit),
		cmocka_unit_test(test_verify),
		cmocka_unit_test(test_channels),
		cmocka_unit_test(test_dir_and_iccid_fallback),
		cmocka_unit_test(test_card_nordic_layout),
		cmocka_unit_test(test_card_t0_large),
		cmocka_unit_test(test_card_pin),
		cmocka_unit_test(test_card_no_pkcs15),
		cmocka_unit_test(test_card_empty_dir),
		cmocka_unit_test(test_card_select_fallbacks),
		cmocka_unit_test(test_card_too_large),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
