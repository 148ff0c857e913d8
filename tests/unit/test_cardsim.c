/* SPDX-License-Identifier: MIT */
/* cardsim at the APDU level: Core TS App. G.2 over TS 102 221, against a standard-layout image. */
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
#include "cardstrap/pkcs15.h"
#include "cardstrap/scp03.h"

#include "vectors.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define AID      "A000000063504B43532D3135"

/* The card under test and what it was built from. */
struct fx {
	struct cs_buf ef; /* ef-nordic.hex */
	struct cs_cardimg *img;
	struct cs_cardsim *sim;
};

static struct fx *fx_new(struct cs_cardimg_std *std)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct cs_errinfo ei;

	assert_non_null(f);
	vector_bytes("ef-nordic.hex", &f->ef);
	assert_int_equal(f->ef.len, 60);
	std->ef = f->ef.data;
	std->ef_len = f->ef.len;
	if (cs_cardimg_build_standard(std, &f->img, &ei) != 0)
		fail_msg("build_standard: %s", ei.msg);
	assert_int_equal(cs_cardsim_new(f->img, &f->sim, &ei), 0);
	return f;
}

static int setup_plain(void **state)
{
	struct cs_cardimg_std std = {0};

	*state = fx_new(&std);
	return 0;
}

static int setup_t0(void **state)
{
	struct cs_cardimg_std std = {.t0 = true};

	*state = fx_new(&std);
	return 0;
}

static int setup_pin(void **state)
{
	struct cs_cardimg_std std = {.pin = "1234", .private_obj = true};

	*state = fx_new(&std);
	return 0;
}

static int setup_ext(void **state)
{
	struct cs_cardimg_std std = {.extended_length = true, .channels = 20};

	*state = fx_new(&std);
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	cs_cardsim_free(f->sim);
	cs_cardimg_free(f->img);
	cs_buf_free(&f->ef);
	free(f);
	return 0;
}

/*
 * Sends hex C-APDU from a buffer of exactly its length (so that valgrind
 * and ASan catch any read past clen) and returns the R-APDU in r.
 */
static size_t send(struct cs_cardsim *sim, const char *capdu, uint8_t *r, size_t room)
{
	struct cs_buf c = {0};
	uint8_t *exact;
	size_t rlen = room;

	assert_int_equal(cs_hex_decode(capdu, strlen(capdu), &c, NULL), 0);
	exact = malloc(c.len ? c.len : 1);
	assert_non_null(exact);
	if (c.len)
		memcpy(exact, c.data, c.len);
	assert_int_equal(cs_cardsim_process(sim, exact, c.len, r, &rlen), 0);
	assert_true(rlen >= 2 && rlen <= room);
	free(exact);
	cs_buf_free(&c);
	return rlen;
}

static unsigned sw_of(const uint8_t *r, size_t n)
{
	return (unsigned)r[n - 2] << 8 | r[n - 1];
}

/* Asserts the whole R-APDU (data + SW) equals the hex `want`. */
static void ex(struct cs_cardsim *sim, const char *capdu, const char *want)
{
	static uint8_t r[CS_RAPDU_MAX];
	struct cs_buf w = {0};
	char got[2 * 300 + 1];
	size_t n = send(sim, capdu, r, sizeof(r));

	assert_int_equal(cs_hex_decode(want, strlen(want), &w, NULL), 0);
	if (n != w.len || memcmp(r, w.data, n) != 0) {
		cs_hex_encode(r, n < 300 ? n : 300, 0, got, sizeof(got));
		fail_msg("%s\n  got  %s\n  want %s", capdu, got, want);
	}
	cs_buf_free(&w);
}

/* Asserts only the SW; returns the data length. */
static size_t ex_sw(struct cs_cardsim *sim, const char *capdu, unsigned sw)
{
	static uint8_t r[CS_RAPDU_MAX];
	size_t n = send(sim, capdu, r, sizeof(r));

	if (sw_of(r, n) != sw)
		fail_msg("%s: SW %04X, want %04X", capdu, sw_of(r, n), sw);
	return n - 2;
}

/* Response data and SW of one APDU, for checks on the bytes. */
static size_t ex_data(struct cs_cardsim *sim, const char *capdu, unsigned sw, uint8_t *out,
		      size_t room)
{
	static uint8_t r[CS_RAPDU_MAX];
	size_t n = send(sim, capdu, r, sizeof(r));

	if (sw_of(r, n) != sw)
		fail_msg("%s: SW %04X, want %04X", capdu, sw_of(r, n), sw);
	assert_true(n - 2 <= room);
	memcpy(out, r, n - 2);
	return n - 2;
}

static struct cs_cardimg_ef *adf_ef(struct fx *f, uint16_t fid)
{
	struct cs_cardimg_df *adf = cs_cardimg_find_adf(f->img, CS_PKCS15_AID, 12);

	assert_non_null(adf);
	return cs_cardimg_find_ef(adf, fid);
}

static char *hex(const uint8_t *p, size_t n)
{
	static char s[4][2 * 512 + 1];
	static int k;

	k = (k + 1) % 4;
	cs_hex_encode(p, n, 0, s[k], sizeof(s[k]));
	return s[k];
}

/* ---- the sequence of Nordic sdk-nrf tests/lib/uicc_lwm2m, byte for byte ---- */

static void test_nordic_sequence(void **state)
{
	struct fx *f = *state;
	struct cs_cardimg_ef *dodf = adf_ef(f, 0x6430);
	struct cs_pkcs15_dataobj objs[4];
	uint8_t d[256];
	char want[1024];
	size_t n, nobj = 0;

	assert_non_null(dodf);
	/* 1: MANAGE CHANNEL open, the card assigns channel 1 */
	ex(f->sim, "00 70 00 00 01", "01 9000");
	/* 2: SELECT the PKCS#15 ADF by AID on channel 1, FCP: DF, FID 7F50, AID, LCSI, C6 */
	ex(f->sim, "01 A4 04 04 0C" AID "00",
	   "62 21 8202 7821 8302 7F50 840C" AID " 8A01 05 C606 9001 00 830101 9000");
	/* 3: SELECT 7FFF/5031 by path from the MF: transparent EF, 8 bytes, SFI 11 */
	ex(f->sim, "01 A4 08 04 04 7FFF 5031 00",
	   "62 17 8202 4121 8302 5031 8A01 05 8C03 03FF00 8002 0008 8801 88 9000");
	/* 4: READ BINARY Le=80 of an 8-byte file: the data, then 6282 (end of file) */
	ex(f->sim, "01 B0 00 00 80", "A7 06 30 04 04 02 64 30 6282");
	/* 5/6: the DODF, FID from the ODF */
	snprintf(want, sizeof(want),
		 "62 17 8202 4121 8302 6430 8A01 05 8C03 03FF00 8002 %04zX 8801 80 9000",
		 dodf->len);
	ex(f->sim, "01 A4 08 04 04 7FFF 6430 00", want);
	n = ex_data(f->sim, "01 B0 00 00 80", 0x6282, d, sizeof(d));
	assert_int_equal(n, dodf->len);
	assert_memory_equal(d, dodf->data, n);
	assert_int_equal(cs_pkcs15_parse_dodf(d, n, objs, 4, &nobj, NULL), 0);
	assert_int_equal(nobj, 1);
	assert_int_equal(objs[0].lwm2m, CS_OID_ID);
	assert_false(objs[0].private_obj);
	assert_string_equal(hex(objs[0].path.path, objs[0].path.len), "6432");
	/* 7/8: EF LwM2M_Bootstrap: 60 bytes = ef-nordic.hex */
	ex(f->sim, "01 A4 08 04 04 7FFF 6432 00",
	   "62 17 8202 4121 8302 6432 8A01 05 8C03 03FF00 8002 003C 8801 90 9000");
	n = ex_data(f->sim, "01 B0 00 00 80", 0x6282, d, sizeof(d));
	assert_int_equal(n, 60);
	assert_memory_equal(d, f->ef.data, 60);
	/* 9: MANAGE CHANNEL close, sent on channel 1 */
	ex(f->sim, "01 70 80 01", "9000");
	ex(f->sim, "01 B0 00 00 01", "6881");
	assert_int_equal(cs_cardsim_apdu_count(f->sim), 10);
}

/* Alternatives: SELECT by FID (P1=00) and by path from the current DF (P1=09), P2=0C. */
static void test_select_variants(void **state)
{
	struct fx *f = *state;

	ex(f->sim, "00 A4 04 0C 0C" AID, "9000");
	ex(f->sim, "00 A4 00 0C 02 5031", "9000");
	ex(f->sim, "00 B0 00 00 08", "A706300404026430 9000");
	/* P1=00 from an EF's DF, then 7FFF = current ADF, then P1=09 relative */
	ex(f->sim, "00 A4 00 0C 02 6432", "9000");
	ex(f->sim, "00 B0 00 00 04", "00010036 9000");
	ex(f->sim, "00 A4 00 0C 02 7FFF", "9000");
	ex(f->sim, "00 A4 09 0C 02 6430", "9000");
	ex(f->sim, "00 B0 00 00 02", "A125 9000");
	/* back to the MF: its EFs, and the ADF by FID 7F50 and by path 7F50/5031 */
	ex(f->sim, "00 A4 00 0C 02 3F00", "9000");
	ex(f->sim, "00 A4 00 0C 02 2FE2", "9000");
	ex(f->sim, "00 A4 09 0C 04 7F50 6432", "9000");
	ex(f->sim, "00 B0 00 00 02", "0001 9000");
	ex(f->sim, "00 A4 08 0C 04 7F50 5031", "9000");
	ex(f->sim, "00 B0 00 00 01", "A7 9000");
	/* the MF FCP; P2=00 answers the FCP as well; partial AID */
	ex(f->sim, "00 A4 00 04 02 3F00 00", "62 0B 8202 7821 8302 3F00 8A01 05 9000");
	ex_sw(f->sim, "00 A4 04 00 07 A000000063504B 00", 0x9000);
	ex(f->sim, "00 A4 00 0C 00", "9000");
	/* not found: unknown AID, unknown FID, path through an EF, 7FFF with no ADF selected */
	ex(f->sim, "00 A4 04 0C 05 A000000087", "6A82");
	ex(f->sim, "00 A4 00 0C 02 1234", "6A82");
	ex(f->sim, "00 A4 08 0C 06 7F50 5031 6430", "6A82");
	ex(f->sim, "00 70 00 00 01", "01 9000");
	ex(f->sim, "01 A4 00 0C 02 7FFF", "6A82");
	ex(f->sim, "01 A4 08 0C 04 7FFF 5031", "6A82");
	/* an ADF EF is not a child of the MF */
	ex(f->sim, "01 A4 00 0C 02 5031", "6A82");
	/* a failed SELECT keeps the previous selection */
	ex(f->sim, "00 A4 08 0C 04 7F50 6432", "9000");
	ex(f->sim, "00 A4 00 0C 02 9999", "6A82");
	ex(f->sim, "00 B0 00 00 02", "0001 9000");
	/* bad P1/P2 and lengths */
	ex(f->sim, "00 A4 02 0C 02 5031", "6A86");
	ex(f->sim, "00 A4 04 08 0C" AID, "6A86");
	ex(f->sim, "00 A4 00 0C 03 3F0000", "6700");
	ex(f->sim, "00 A4 08 0C 03 7FFF50", "6700");
	ex(f->sim, "00 A4 04 0C 11 A000000063504B43532D31350000000000", "6700");
}

/* ---- T=0 behaviour (TS 102 221 §7.3.1.1) ---- */

static void test_t0(void **state)
{
	struct fx *f = *state;
	uint8_t d[256];
	size_t n;

	/* case 4: 61xx, then GET RESPONSE with exactly xx */
	ex(f->sim, "00 A4 04 04 0C" AID "00", "6123");
	ex(f->sim, "00 C0 00 00 23",
	   "62 21 8202 7821 8302 7F50 840C" AID " 8A01 05 C606 9001 00 830101 9000");
	/* a case-3 SELECT (no Le, as T=0 TPDUs go) also gets 61xx */
	ex(f->sim, "00 A4 00 04 02 6432", "6119");
	/* Le larger than available: 6Cxx; Le smaller: part, 61 rest */
	ex(f->sim, "00 C0 00 00 30", "6C19");
	n = ex_data(f->sim, "00 C0 00 00 10", 0x6109, d, sizeof(d));
	assert_int_equal(n, 16);
	assert_string_equal(hex(d, 4), "62178202");
	ex(f->sim, "00 C0 00 00 09", "FF00 8002003C 880190 9000");
	/* nothing left, and any other command drops what was pending */
	ex(f->sim, "00 C0 00 00 10", "6985");
	ex(f->sim, "00 A4 00 04 02 5031", "6119");
	ex(f->sim, "00 B0 00 00 01", "A7 9000");
	ex(f->sim, "00 C0 00 00 19", "6985");
	/* GET RESPONSE on another channel than the pending data */
	ex(f->sim, "00 70 00 00 01", "01 9000");
	ex(f->sim, "00 A4 00 04 02 5031", "6119");
	ex(f->sim, "01 C0 00 00 19", "6985");
	ex(f->sim, "00 C0 01 00 19", "6A86");
	/* P2=0C: no data, plain 9000 */
	ex(f->sim, "00 A4 00 0C 02 6432", "9000");
	/* READ BINARY with Le beyond the end: 6Cxx with what remains, then the exact read */
	ex(f->sim, "00 B0 00 00 80", "6C3C");
	ex(f->sim, "00 B0 00 00 00", "6C3C");
	n = ex_data(f->sim, "00 B0 00 00 3C", 0x9000, d, sizeof(d));
	assert_int_equal(n, 60);
	assert_memory_equal(d, f->ef.data, 60);
	ex(f->sim, "00 B0 00 38 10", "6C04");
	ex(f->sim, "00 B0 00 38 04", "0203FFFF 9000");
	/* READ RECORD with the wrong Le: 6C + record length */
	ex(f->sim, "00 A4 00 0C 02 3F00", "9000");
	ex(f->sim, "00 B2 01 F4 40", "6C20");
	ex_sw(f->sim, "00 B2 01 F4 20", 0x9000);
}

/* T=1 with a short Le on SELECT: the first Le bytes, 61xx, GET RESPONSE for the rest. */
static void test_t1_short_le(void **state)
{
	struct fx *f = *state;

	ex(f->sim, "00 A4 04 0C 0C" AID, "9000");
	ex(f->sim, "00 A4 00 04 02 5031 10", "62178202412183025031 8A01058C0303 6109");
	ex(f->sim, "00 C0 00 00 00", "FF00 80020008 880188 9000");
	/* case 3 SELECT with P2=04 over T=1: no Le, no data */
	ex(f->sim, "00 A4 00 04 02 5031", "9000");
}

/* ---- PIN (Core TS App. G.2.4, TS 102 221 Table 9.3) ---- */

static void test_pin(void **state)
{
	struct fx *f = *state;
	struct cs_pkcs15_dataobj objs[4];
	uint8_t d[256];
	size_t n, nobj = 0;

	/* the ADF lists PIN 01 as enabled; the DODF entry is private with authId 01 */
	ex(f->sim, "00 A4 04 04 0C" AID "00",
	   "62 21 8202 7821 8302 7F50 840C" AID " 8A01 05 C606 9001 80 830101 9000");
	ex(f->sim, "00 A4 00 0C 02 6430", "9000");
	n = ex_data(f->sim, "00 B0 00 00 00", 0x6282, d, sizeof(d));
	assert_int_equal(cs_pkcs15_parse_dodf(d, n, objs, 4, &nobj, NULL), 0);
	assert_int_equal(nobj, 1);
	assert_true(objs[0].private_obj);
	assert_string_equal(hex(objs[0].auth_id, objs[0].auth_id_len), "01");
	/* the EF needs the PIN: FCP says so, READ says 6982 */
	ex(f->sim, "00 A4 00 04 02 6432 00",
	   "62 17 8202 4121 8302 6432 8A01 05 8C03 03FF10 8002 003C 8801 90 9000");
	ex(f->sim, "00 B0 00 00 00", "6982");
	ex(f->sim, "00 B0 92 00 00", "6982");
	/* counter query, a wrong PIN, the query again, the right PIN */
	ex(f->sim, "00 20 00 01", "63C3");
	ex(f->sim, "00 20 00 01 08 31323335FFFFFFFF", "63C2");
	ex(f->sim, "00 20 00 01", "63C2");
	ex(f->sim, "00 20 00 01 08 31323334FFFFFFFF", "9000");
	ex(f->sim, "00 20 00 01", "9000");
	n = ex_data(f->sim, "00 B0 00 00 3C", 0x9000, d, sizeof(d));
	assert_memory_equal(d, f->ef.data, 60);
	assert_int_equal(f->img->pins[0].tries_left, 3);
	/* the PIN holds for the card session, on every channel */
	ex(f->sim, "00 70 00 00 01", "01 9000");
	ex(f->sim, "01 A4 04 0C 0C" AID, "9000");
	ex_sw(f->sim, "01 B0 92 00 00", 0x6282);
	/* reset: security state gone, counter kept */
	cs_cardsim_reset(f->sim);
	ex(f->sim, "00 A4 04 0C 0C" AID, "9000");
	ex(f->sim, "00 B0 92 00 00", "6982");
	ex(f->sim, "00 20 00 01", "63C3");
	/* a wrong PIN after success drops the verified state */
	ex(f->sim, "00 20 00 01 08 31323334FFFFFFFF", "9000");
	ex(f->sim, "00 20 00 01 08 30303030FFFFFFFF", "63C2");
	ex(f->sim, "00 B0 92 00 00", "6982");
	/* blocking: down to 0, then even the right PIN is refused */
	ex(f->sim, "00 20 00 01 08 30303030FFFFFFFF", "63C1");
	ex(f->sim, "00 20 00 01 08 30303030FFFFFFFF", "63C0");
	ex(f->sim, "00 20 00 01 08 31323334FFFFFFFF", "6983");
	ex(f->sim, "00 20 00 01", "6983");
	assert_int_equal(f->img->pins[0].tries_left, 0);
	cs_cardsim_reset(f->sim);
	ex(f->sim, "00 20 00 01", "6983");
	/* unknown key reference, wrong lengths, wrong P1 */
	ex(f->sim, "00 20 00 02 08 31323334FFFFFFFF", "6A88");
	ex(f->sim, "00 20 00 01 04 31323334", "6700");
	ex(f->sim, "00 20 00 01 08 31323334FFFFFFFF 00", "6700");
	ex(f->sim, "00 20 FF 01", "6A86");
}

/* ---- logical channels (TS 102 221 class byte) ---- */

static void test_channels(void **state)
{
	struct fx *f = *state;

	/* 4 channels: 1, 2, 3, then none left */
	ex(f->sim, "00 70 00 00 01", "01 9000");
	ex(f->sim, "00 70 00 00 01", "02 9000");
	ex(f->sim, "00 70 00 00 01", "03 9000");
	ex(f->sim, "00 70 00 00 01", "6A81");
	ex(f->sim, "00 70 80 02", "9000");
	ex(f->sim, "02 A4 00 0C 02 3F00", "6881");
	ex(f->sim, "00 70 00 00 01", "02 9000");
	/* beyond the count, closed, the basic channel, bad P1 */
	ex(f->sim, "40 A4 00 0C 02 3F00", "6881");
	ex(f->sim, "00 70 80 03", "9000");
	ex(f->sim, "00 70 80 03", "6881");
	ex(f->sim, "00 70 80 00", "6A86");
	ex(f->sim, "00 70 40 00 01", "6A86");
	/* opening a given channel (IFD assignment): free, taken, beyond the count */
	ex(f->sim, "00 70 00 03", "9000");
	ex(f->sim, "00 70 00 03", "6985");
	ex(f->sim, "00 70 00 05", "6881");
	/* MANAGE CHANNEL open needs Le=01, no data */
	ex(f->sim, "00 70 80 03", "9000");
	ex(f->sim, "00 70 00 00", "6700");
	ex(f->sim, "00 70 00 00 01 00 01", "6700");
	/* close with P2=00 closes the channel of the CLA */
	ex(f->sim, "03 70 00 00 01", "6881");
	ex(f->sim, "00 70 00 03", "9000");
	ex(f->sim, "03 70 80 00", "9000");
	ex(f->sim, "03 B0 00 00 01", "6881");

	/* per-channel selection: 1 = EF 6432, 2 = ODF, 0 = MF without EF */
	ex(f->sim, "01 A4 04 0C 0C" AID, "9000");
	ex(f->sim, "01 A4 00 0C 02 6432", "9000");
	ex(f->sim, "02 A4 04 0C 0C" AID, "9000");
	ex(f->sim, "02 A4 00 0C 02 5031", "9000");
	ex(f->sim, "00 B0 00 00 01", "6986");
	ex(f->sim, "01 B0 00 00 02", "0001 9000");
	ex(f->sim, "02 B0 00 00 02", "A706 9000");
	/* a channel opened from channel 1 starts where channel 1 is */
	ex(f->sim, "00 70 80 02", "9000");
	ex(f->sim, "01 70 00 00 01", "02 9000");
	ex(f->sim, "02 B0 00 00 02", "0001 9000");
	/* reset closes everything but the basic channel */
	cs_cardsim_reset(f->sim);
	ex(f->sim, "01 B0 00 00 01", "6881");
	ex(f->sim, "00 70 00 00 01", "01 9000");
}

static void test_channels_20(void **state)
{
	struct fx *f = *state;
	char want[16];
	unsigned i;

	for (i = 1; i < 20; i++) {
		snprintf(want, sizeof(want), "%02X 9000", i);
		ex(f->sim, "00 70 00 00 01", want);
	}
	ex(f->sim, "00 70 00 00 01", "6A81");
	/* channels 4-19 use CLA 40-4F */
	ex(f->sim, "40 A4 04 0C 0C" AID, "9000");
	ex(f->sim, "4F A4 08 0C 04 7FFF 5031", "6A82");
	ex(f->sim, "4F A4 04 0C 0C" AID, "9000");
	ex(f->sim, "4F A4 08 0C 04 7FFF 5031", "9000");
	ex(f->sim, "4F B0 00 00 01", "A7 9000");
	ex(f->sim, "40 B0 00 00 01", "6986");
	ex(f->sim, "4F 70 80 00", "9000");
	ex(f->sim, "4F B0 00 00 01", "6881");
	/* secure messaging and chaining bits are not supported */
	ex(f->sim, "60 B0 00 00 01", "6882");
	ex(f->sim, "50 B0 00 00 01", "6884");
	ex(f->sim, "04 B0 00 00 01", "6882");
	ex(f->sim, "10 B0 00 00 01", "6884");
}

static void test_one_channel(void **state)
{
	struct cs_cardimg_std std = {.channels = 1};
	struct fx *f = fx_new(&std);

	(void)state;
	ex(f->sim, "00 70 00 00 01", "6881");
	ex(f->sim, "01 A4 00 0C 02 3F00", "6881");
	*state = f;
	teardown(state);
}

/* ---- SFI and records (ISO 7816-4 READ BINARY / READ RECORD) ---- */

static void test_sfi(void **state)
{
	struct fx *f = *state;
	struct cs_pkcs15_app apps[2];
	uint8_t d[256];
	size_t n, napps = 0;

	/* MF: EF.DIR by SFI 1E (P2 = 1E<<3 | 4), record 1 = the PKCS#15 template, record 2 unused
	 */
	n = ex_data(f->sim, "00 B2 01 F4 00", 0x9000, d, sizeof(d));
	assert_int_equal(n, 32);
	assert_int_equal(cs_pkcs15_parse_dir(d, n, apps, 2, &napps, NULL), 0);
	assert_int_equal(napps, 1);
	assert_string_equal(hex(apps[0].aid, apps[0].aid_len), AID);
	assert_string_equal(hex(apps[0].path, apps[0].path_len), "3F007F50");
	assert_string_equal(apps[0].label, "LwM2M");
	ex(f->sim, "00 B2 02 F4 20",
	   "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF 9000");
	ex(f->sim, "00 B2 03 F4 20", "6A83");
	ex(f->sim, "00 B2 00 F4 20", "6A83");
	ex(f->sim, "00 B2 01 F4 10", "6C20");
	/* T=1, Le above the record length: the record and 6282 */
	n = ex_data(f->sim, "00 B2 01 F4 30", 0x6282, d, sizeof(d));
	assert_int_equal(n, 32);
	/* the SFI read made EF.DIR current: READ RECORD without SFI, READ BINARY refused */
	ex_sw(f->sim, "00 B2 01 04 00", 0x9000);
	ex(f->sim, "00 B0 00 00 01", "6981");
	ex(f->sim, "00 B2 01 05 00", "6A86");
	ex(f->sim, "00 B2 01 FC 00", "6A86");
	/* EF ICCID by SFI 02: BCD, nibbles swapped (89999000000000000015) */
	ex(f->sim, "00 B0 82 00 0A", "98 99 09 00 00 00 00 00 00 51 9000");
	ex(f->sim, "00 B2 01 14 00", "6981");
	/* the ADF: SFI 11 (ODF), 10 (DODF), 12 (EF) with offsets */
	ex(f->sim, "00 A4 04 0C 0C" AID, "9000");
	ex(f->sim, "00 B0 91 00 08", "A706300404026430 9000");
	ex(f->sim, "00 B0 91 06 00", "6430 6282");
	ex(f->sim, "00 B0 92 04 05", "0000000031 9000");
	/* an SFI read makes the EF current: offset reads continue in it */
	ex(f->sim, "00 B0 00 3A 02", "FFFF 9000");
	ex(f->sim, "00 B0 9E 00 01", "6A82");
	ex(f->sim, "00 B0 A2 00 01", "6A86");
	ex(f->sim, "00 B0 80 00 01", "6A86");
	ex(f->sim, "00 B2 01 94 00", "6981");
	/* no EF selected for READ RECORD */
	ex(f->sim, "00 A4 00 0C 02 3F00", "9000");
	ex(f->sim, "00 B2 01 04 00", "6986");
}

/* ---- status words of READ BINARY and the rest ---- */

static void test_errors(void **state)
{
	struct fx *f = *state;
	uint8_t d[256];

	ex(f->sim, "00 B0 00 00 01", "6986");
	ex(f->sim, "00 A4 08 0C 04 7F50 6432", "9000");
	/* 6B00 at and past the end; a short read at the end is data + 6282 */
	ex(f->sim, "00 B0 00 3C 01", "6B00");
	ex(f->sim, "00 B0 7F FF 01", "6B00");
	ex(f->sim, "00 B0 00 3B 02", "FF 6282");
	ex(f->sim, "00 B0 00 3B 01", "FF 9000");
	/* Le=00 means 256 */
	assert_int_equal(ex_data(f->sim, "00 B0 00 00 00", 0x6282, d, sizeof(d)), 60);
	/* unknown INS, bad CLA, wrong lengths */
	ex(f->sim, "00 CA 00 00 00", "6D00");
	ex(f->sim, "00 D6 00 00 01 00", "6D00");
	ex(f->sim, "80 B0 00 00 01", "6E00");
	ex(f->sim, "A0 A4 00 00 02 3F00", "6E00");
	ex(f->sim, "FF B0 00 00 01", "6E00");
	ex(f->sim, "20 B0 00 00 01", "6E00");
	ex(f->sim, "00 B0 00 00 01 00 01", "6700");
	ex(f->sim, "00 B0 00 00", "6700");
	ex(f->sim, "00 B2 01 F4", "6700");
	ex(f->sim, "00 C0 00 00", "6700");
}

/* Every truncation and extension of valid APDUs gets a status word, never a crash or over-read. */
static void test_malformed(void **state)
{
	static const char *const good[] = {
		"00 A4 04 04 0C" AID "00", "00 A4 08 04 04 7FFF 5031 00",
		"00 70 00 00 01",          "00 20 00 01 08 31323334FFFFFFFF",
		"00 B0 00 00 80",          "00 B2 01 F4 00",
	};
	struct fx *f = *state;
	uint8_t r[CS_RAPDU_MAX];
	size_t i, k, rlen;

	for (i = 0; i < COUNT(good); i++) {
		struct cs_buf c = {0};

		assert_int_equal(cs_hex_decode(good[i], strlen(good[i]), &c, NULL), 0);
		for (k = 0; k < c.len + 3; k++) {
			uint8_t *exact = malloc(k ? k : 1);

			assert_non_null(exact);
			memset(exact, 0x00, k);
			memcpy(exact, c.data, k < c.len ? k : c.len);
			rlen = sizeof(r);
			assert_int_equal(cs_cardsim_process(f->sim, exact, k, r, &rlen), 0);
			assert_true(rlen >= 2);
			if (k < 4)
				assert_int_equal(sw_of(r, rlen), 0x6700);
			free(exact);
		}
		cs_buf_free(&c);
		cs_cardsim_reset(f->sim);
	}
	/* Lc disagreeing with the length, one byte short and one too many */
	ex(f->sim, "00 A4 00 0C 02 3F", "6700");
	ex(f->sim, "00 A4 00 0C 02 3F00 00 00", "6700");
	/* extended length on a card that does not announce it */
	ex(f->sim, "00 B0 00 00 00 00 10", "6700");
	ex(f->sim, "00 A4 00 0C 00 00 02 3F00", "6700");
	ex(f->sim, "00 B0 00 00 00 00", "6700");
	/* NULL and short buffers are argument errors */
	rlen = sizeof(r);
	assert_int_equal(cs_cardsim_process(NULL, r, 4, r, &rlen), CS_ERR_ARG);
	assert_int_equal(cs_cardsim_process(f->sim, NULL, 4, r, &rlen), CS_ERR_ARG);
	rlen = 1;
	assert_int_equal(cs_cardsim_process(f->sim, r, 4, r, &rlen), CS_ERR_ARG);
	/* a response that does not fit */
	ex(f->sim, "00 A4 08 0C 04 7F50 6432", "9000");
	{
		static const uint8_t rb[] = {0x00, 0xB0, 0x00, 0x00, 0x10};

		rlen = 10;
		assert_int_equal(cs_cardsim_process(f->sim, rb, sizeof(rb), r, &rlen),
				 CS_ERR_LIMIT);
	}
}

/* Extended Lc/Le when the ATR announces it (ISO 7816-4). */
static void test_extended(void **state)
{
	struct fx *f = *state;
	struct cs_atr_info info;
	uint8_t d[256];

	assert_int_equal(cs_atr_parse(f->img->atr, f->img->atr_len, &info, NULL), 0);
	assert_true(info.extended_length);
	assert_int_equal(info.channels, 8);
	/* case 4E SELECT, case 2E READ BINARY with Le=0000 (as much as there is) */
	ex_sw(f->sim, "00 A4 04 04 00 000C" AID "0000", 0x9000);
	ex(f->sim, "00 A4 00 0C 00 0002 6432", "9000");
	assert_int_equal(ex_data(f->sim, "00 B0 00 00 00 0000", 0x6282, d, sizeof(d)), 60);
	assert_memory_equal(d, f->ef.data, 60);
	ex(f->sim, "00 B0 00 00 00 0004", "00010036 9000");
	/* case 3E with Lc=0000 is malformed; so is a 6-byte extended APDU */
	ex(f->sim, "00 A4 00 0C 00 0000 00", "6700");
	ex(f->sim, "00 A4 00 0C 00 0000", "9000");
	ex(f->sim, "00 A4 00 0C 00 0002 6432 00", "6700");
}

/* ---- the image transport ---- */

static void test_transport(void **state)
{
	struct cs_cardimg_std std = {.t0 = true};
	struct cs_transport *t;
	struct cs_cardimg *img;
	struct cs_errinfo ei;
	struct cs_buf ef = {0};
	static const uint8_t sel[] = {0x00, 0xA4, 0x00, 0x0C, 0x02, 0x3F, 0x00};
	uint8_t r[CS_RAPDU_MAX], atr[CS_CARDIMG_MAX_ATR];
	size_t rlen = sizeof(r), alen = sizeof(atr);

	(void)state;
	vector_bytes("ef-nordic.hex", &ef);
	std.ef = ef.data;
	std.ef_len = ef.len;
	assert_int_equal(cs_cardimg_build_standard(&std, &img, &ei), 0);
	assert_int_equal(cs_image_transport_from_image(img, &t, &ei), 0);
	assert_true(t->t0);
	assert_int_equal(t->max_rsp_data, 256);
	assert_int_equal(t->max_cmd_data, 255);
	assert_string_equal(t->ops->name, "image");
	assert_int_equal(t->ops->transmit(t, sel, sizeof(sel), r, &rlen, &ei), 0);
	assert_int_equal(rlen, 2);
	assert_int_equal(sw_of(r, rlen), 0x9000);
	assert_int_equal(t->ops->atr(t, atr, &alen), 0);
	assert_string_equal(hex(atr, alen), "3B85018073F6011B9B");
	assert_non_null(cs_image_transport_sim(t));
	assert_int_equal(cs_cardsim_apdu_count(cs_image_transport_sim(t)), 1);
	t->ops->destroy(t);
	/* from_image frees the image when it fails */
	assert_int_equal(cs_image_transport_from_image(NULL, &t, &ei), CS_ERR_ARG);
	assert_int_equal(cs_image_transport_open("/nonexistent/card.json", &t, &ei), CS_ERR_IO);
	assert_non_null(strstr(ei.msg, "/nonexistent/card.json"));
	cs_buf_free(&ef);
}

/* ---- SCP03 (Core TS App. H, card-image.md §4.7) ---- */

/* The pySim key scheme: ENC 00 01 .., MAC 10 11 .., DEK 20 21 .., KVN 30. */
static void scp_keys(struct cs_scp03_keys *k, size_t len)
{
	uint8_t enc[32], mac[32], dek[32];

	for (size_t i = 0; i < len; i++) {
		enc[i] = (uint8_t)i;
		mac[i] = (uint8_t)(0x10 + i);
		dek[i] = (uint8_t)(0x20 + i);
	}
	assert_int_equal(cs_scp03_keys_set(k, 0x30, enc, mac, dek, len, NULL), 0);
}

/* Every APDU on the wire of the image transport. */
#define WIRE_MAX 400
struct wire {
	size_t n;
	uint8_t c[WIRE_MAX][300];
	size_t clen[WIRE_MAX];
	uint8_t r[WIRE_MAX][300];
	size_t rlen[WIRE_MAX];
};

static struct wire wire;

static void wire_hook(void *arg, const char *layer, const uint8_t *capdu, size_t clen,
		      const uint8_t *rapdu, size_t rlen, int err, double elapsed_ms,
		      unsigned redact)
{
	struct wire *w = arg;

	(void)layer;
	(void)err;
	(void)elapsed_ms;
	(void)redact;
	assert_true(w->n < WIRE_MAX);
	assert_true(clen <= 300 && rlen <= 300);
	memcpy(w->c[w->n], capdu, clen);
	w->clen[w->n] = clen;
	if (rapdu)
		memcpy(w->r[w->n], rapdu, rlen);
	w->rlen[w->n] = rlen;
	w->n++;
}

/* How many wire commands start with the header bytes h (n of them). */
static size_t wire_count(const uint8_t *h, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < wire.n; i++)
		if (wire.clen[i] >= n && memcmp(wire.c[i], h, n) == 0)
			k++;
	return k;
}

/* True when the 8 bytes p appear in any R-APDU on the wire. */
static bool wire_has_rsp(const uint8_t *p)
{
	for (size_t i = 0; i < wire.n; i++)
		for (size_t j = 0; j + 8 <= wire.rlen[i]; j++)
			if (memcmp(wire.r[i] + j, p, 8) == 0)
				return true;
	return false;
}

struct scp_card {
	struct cs_buf ef;
	struct cs_transport *t;
	struct cs_cardimg *img; /* owned by t */
	struct cs_cardsim *sim;
};

/* A standard card around vector with the pySim key set of key_len (0: no SCP03). */
static void scp_card_new(struct scp_card *c, const char *vector, size_t key_len, bool required,
			 uint8_t level, bool t0, unsigned channels)
{
	struct cs_cardimg_std std = {0};
	struct cs_scp03_keys k;
	struct cs_errinfo ei;

	memset(c, 0, sizeof(*c));
	vector_bytes(vector, &c->ef);
	std.ef = c->ef.data;
	std.ef_len = c->ef.len;
	std.t0 = t0;
	std.channels = channels;
	if (key_len) {
		scp_keys(&k, key_len);
		std.scp03_keys = &k;
		std.scp03_required = required;
		std.scp03_level = level;
	}
	if (cs_cardimg_build_standard(&std, &c->img, &ei) != 0)
		fail_msg("build_standard: %s", ei.msg);
	cs_scp03_keys_clear(&k);
	assert_int_equal(cs_image_transport_from_image(c->img, &c->t, &ei), 0);
	c->sim = cs_image_transport_sim(c->t);
	c->t->trace = wire_hook;
	c->t->trace_arg = &wire;
}

static void scp_card_free(struct scp_card *c)
{
	cs_transport_destroy(c->t);
	cs_buf_free(&c->ef);
}

/* cs_card_read_bootstrap with SCP03 keys of key_len (0: none) at level; wire log reset. */
static int scp_read(struct scp_card *c, size_t key_len, uint8_t level, bool optional,
		    struct cs_card_info *info, struct cs_buf *ef, struct cs_errinfo *ei)
{
	struct cs_card_read_opts o = {0};
	struct cs_scp03_keys k;
	int err;

	wire.n = 0;
	if (key_len) {
		scp_keys(&k, key_len);
		o.scp03_keys = &k;
	}
	o.scp03_level = level;
	o.scp03_mode = optional ? CS_CARD_SCP03_OPTIONAL : CS_CARD_SCP03_REQUIRED;
	cs_errinfo_clear(ei);
	err = cs_card_read_bootstrap(c->t, &o, info, ef, ei);
	cs_scp03_keys_clear(&k);
	return err;
}

/* Full reads through the secure channel: key lengths, levels, T=0, the basic channel. */
static void test_scp03_read(void **state)
{
	static const struct {
		const char *vector;
		size_t key_len;
		uint8_t level;
		bool t0;
		unsigned channels;
		size_t reads; /* READ BINARY on the wire */
	} cases[] = {
		/* 32718 bytes in chunks of 239: 137, plus ODF and DODF */
		{"ef-near-32k.hex", 16, 0x33, false, 4, 139},
		{"ef-near-32k.hex", 24, 0x33, false, 4, 139},
		{"ef-near-32k.hex", 32, 0x33, true, 4, 139},
		{"ef-nordic.hex", 16, 0x01, false, 4, 3},
		{"ef-nordic.hex", 24, 0x03, true, 4, 3},
		{"ef-nordic.hex", 32, 0x13, false, 4, 3},
		{"ef-nordic.hex", 16, 0x11, true, 4, 3},
		{"ef-nordic.hex", 16, 0x33, false, 1, 3},
	};

	(void)state;
	for (size_t i = 0; i < COUNT(cases); i++) {
		struct scp_card c;
		struct cs_card_info info;
		struct cs_buf ef = {0};
		struct cs_errinfo ei;
		uint8_t ch = cases[i].channels > 1 ? 1 : 0, lv = cases[i].level;
		uint8_t iu[] = {(uint8_t)(0x80 | ch), 0x50, 0x30, 0x00, 0x08};
		uint8_t ea[] = {(uint8_t)(0x84 | ch), 0x82, lv, 0x00, 0x10};
		uint8_t rb[] = {(uint8_t)(0x04 | ch), 0xB0}, sel[] = {(uint8_t)(0x04 | ch), 0xA4};
		uint8_t close[] = {0x05, 0x70, 0x80, 0x01, 0x08};
		uint8_t plain_rb[] = {ch, 0xB0};

		scp_card_new(&c, cases[i].vector, cases[i].key_len, false, 0, cases[i].t0,
			     cases[i].channels);
		if (scp_read(&c, cases[i].key_len, lv, false, &info, &ef, &ei) != 0)
			fail_msg("case %zu: %s", i, ei.msg);
		assert_int_equal(ef.len, c.ef.len);
		assert_memory_equal(ef.data, c.ef.data, ef.len);
		assert_int_equal(info.scp03, CS_CARD_SCP03_SECURED);
		assert_int_equal(info.scp03_level, lv);
		assert_int_equal(info.scp03_kvn, 0x30);
		assert_int_equal(info.scp03_i, 0x70);
		assert_int_equal(info.channel, ch);
		/* INITIALIZE UPDATE once, EXTERNAL AUTHENTICATE once, then all wrapped */
		assert_int_equal(wire_count(iu, sizeof(iu)), 1);
		assert_int_equal(wire_count(ea, sizeof(ea)), 1);
		assert_int_equal(wire_count(rb, sizeof(rb)), cases[i].reads);
		/* on the basic channel EF ICCID was read before, in plain */
		assert_int_equal(wire_count(plain_rb, sizeof(plain_rb)), ch ? 0 : 1);
		assert_int_equal(wire_count(sel, sizeof(sel)), 3);
		assert_int_equal(info.apdus, wire.n);
		if (ch)
			assert_int_equal(wire_count(close, sizeof(close)), 1);
		/* under R-ENC the file's bytes never travel in clear; without it they do */
		{
			const uint8_t *probe = c.ef.data + c.ef.len - 16;

			if (lv & CS_SCP03_R_ENCRYPTION)
				assert_false(wire_has_rsp(probe));
			else
				assert_true(wire_has_rsp(probe));
		}
		cs_buf_free(&ef);
		scp_card_free(&c);
	}
}

/* An image whose PKCS#15 files need the secure channel at 33 (card-image.md §4.7). */
static void test_scp03_required(void **state)
{
	struct scp_card c;
	struct cs_card_info info;
	struct cs_buf ef = {0};
	struct cs_errinfo ei;

	(void)state;
	scp_card_new(&c, "ef-nordic.hex", 16, true, 0x33, false, 4);
	assert_true(c.img->scp03->required);
	assert_int_equal(c.img->scp03->level, 0x33);
	/* plain: the ODF cannot be selected */
	assert_int_equal(scp_read(&c, 0, 0, false, &info, &ef, &ei), CS_ERR_SECURITY_STATUS);
	assert_non_null(strstr(ei.msg, "6982"));
	assert_non_null(strstr(ei.msg, "secure channel"));
	assert_int_equal(ef.len, 0);
	/* a session at 13 is not enough for 33 */
	assert_int_equal(scp_read(&c, 16, 0x13, false, &info, &ef, &ei), CS_ERR_SECURITY_STATUS);
	assert_int_equal(info.scp03, CS_CARD_SCP03_SECURED);
	/* at 33 it reads */
	assert_int_equal(scp_read(&c, 16, 0, false, &info, &ef, &ei), 0);
	assert_int_equal(info.scp03_level, 0x33);
	assert_memory_equal(ef.data, c.ef.data, c.ef.len);
	cs_buf_free(&ef);
	/* APDU by APDU: the MF stays readable, the ADF's EFs refuse by path and by SFI */
	ex(c.sim, "00 B2 01 F4 00",
	   "61 1B 4F 0C" AID " 50 05 4C774D324D 51 04 3F007F50 FFFFFF 9000");
	ex(c.sim, "00 70 00 00 01", "01 9000");
	ex_sw(c.sim, "01 A4 04 04 0C" AID "00", 0x9000);
	ex(c.sim, "01 A4 08 04 04 7FFF 5031 00", "6982");
	ex(c.sim, "01 A4 00 0C 02 5031", "6982");
	ex(c.sim, "01 B0 91 00 08", "6982");
	ex(c.sim, "01 70 80 01", "9000");
	scp_card_free(&c);
}

/* Wrong keys: one INITIALIZE UPDATE, no EXTERNAL AUTHENTICATE, and the card stays usable. */
static void test_scp03_wrong_keys(void **state)
{
	struct scp_card c;
	struct cs_card_info info;
	struct cs_card_read_opts o = {0};
	struct cs_scp03_keys k;
	struct cs_buf ef = {0};
	struct cs_errinfo ei;
	static const uint8_t iu[] = {0x81, 0x50}, ea[] = {0x85, 0x82};
	static const uint8_t close_plain[] = {0x01, 0x70, 0x80, 0x01};

	(void)state;
	scp_card_new(&c, "ef-nordic.hex", 32, true, 0, false, 4);
	assert_int_equal(c.img->scp03->seq, 0);
	scp_keys(&k, 32);
	k.mac[5] ^= 0x40;
	o.scp03_keys = &k;
	o.scp03_mode = CS_CARD_SCP03_OPTIONAL; /* wrong keys are not "no SCP03" */
	wire.n = 0;
	assert_int_equal(cs_card_read_bootstrap(c.t, &o, &info, &ef, &ei), CS_ERR_SCP03_CRYPTOGRAM);
	assert_non_null(strstr(ei.msg, "card cryptogram mismatch"));
	assert_int_equal(ef.len, 0);
	assert_int_equal(wire_count(iu, sizeof(iu)), 1);
	assert_int_equal(wire_count(ea, sizeof(ea)), 0);
	/* the channel is closed in plain; nothing else went to the channel */
	assert_int_equal(wire.clen[wire.n - 1], 4);
	assert_memory_equal(wire.c[wire.n - 1], close_plain, 4);
	assert_int_equal(c.img->scp03->seq, 1);
	/* a wrong ENC key: the cryptograms (S-MAC) match, the card cannot decrypt (6700) */
	scp_keys(&k, 32);
	k.enc[0] ^= 1;
	assert_int_equal(cs_card_read_bootstrap(c.t, &o, &info, &ef, &ei), CS_ERR_SW);
	assert_non_null(strstr(ei.msg, "wrong SCP03 ENC key?"));
	assert_non_null(strstr(ei.msg, "6700"));
	assert_int_equal(ef.len, 0);
	cs_scp03_keys_clear(&k);
	/* the right keys right after */
	assert_int_equal(scp_read(&c, 32, 0, false, &info, &ef, &ei), 0);
	assert_memory_equal(ef.data, c.ef.data, c.ef.len);
	assert_int_equal(c.img->scp03->seq, 3);
	cs_buf_free(&ef);
	scp_card_free(&c);
}

/* A tampered R-MAC: the read fails, nothing is kept, the channel is closed; then it works. */
static void test_scp03_tampered(void **state)
{
	static const uint8_t close_plain[] = {0x01, 0x70, 0x80, 0x01};
	struct scp_card c;
	struct cs_card_info info;
	struct cs_buf ef = {0};
	struct cs_errinfo ei;
	unsigned long before;

	(void)state;
	scp_card_new(&c, "ef-near-32k.hex", 16, false, 0, false, 4);
	/* 1 SELECT ODF, 2 READ, 3 SELECT DODF, 4 READ, 5 SELECT EF, 6.. the EF chunks */
	cs_cardsim_tamper_rmac(c.sim, 9);
	assert_int_equal(scp_read(&c, 16, 0, false, &info, &ef, &ei), CS_ERR_SCP03_MAC);
	assert_non_null(strstr(ei.msg, "MAC"));
	assert_int_equal(ef.len, 0);
	assert_int_equal(cs_cardsim_rmac_count(c.sim), 9);
	assert_int_equal(wire.clen[wire.n - 1], 4);
	assert_memory_equal(wire.c[wire.n - 1], close_plain, 4);
	/* the card's channel is closed: channel 1 is free again */
	ex(c.sim, "00 70 00 00 01", "01 9000");
	ex(c.sim, "00 70 80 01", "9000");
	before = cs_cardsim_rmac_count(c.sim);
	assert_int_equal(scp_read(&c, 16, 0, false, &info, &ef, &ei), 0);
	assert_int_equal(ef.len, c.ef.len);
	assert_memory_equal(ef.data, c.ef.data, ef.len);
	/* 5 + 137 chunks + the close */
	assert_int_equal(cs_cardsim_rmac_count(c.sim) - before, 143);
	cs_buf_free(&ef);
	scp_card_free(&c);
}

/* A card without SCP03: an error unless optional, then a plain read. */
static void test_scp03_unsupported(void **state)
{
	static const uint8_t wrapped[] = {0x05};
	struct scp_card c;
	struct cs_card_info info;
	struct cs_buf ef = {0};
	struct cs_errinfo ei;

	(void)state;
	scp_card_new(&c, "ef-nordic.hex", 0, false, 0, false, 4);
	assert_null(c.img->scp03);
	assert_int_equal(scp_read(&c, 16, 0, false, &info, &ef, &ei), CS_ERR_SCP03_UNSUPPORTED);
	assert_string_equal(ei.msg, "card does not support SCP03 (6E00 on INITIALIZE UPDATE, "
				    "logical channel 1)");
	assert_int_equal(ef.len, 0);
	assert_int_equal(scp_read(&c, 16, 0, true, &info, &ef, &ei), 0);
	assert_int_equal(info.scp03, CS_CARD_SCP03_NOT_OFFERED);
	assert_non_null(strstr(info.scp03_note, "6E00 on INITIALIZE UPDATE"));
	assert_memory_equal(ef.data, c.ef.data, c.ef.len);
	assert_int_equal(wire_count(wrapped, 1), 0);
	/* no keys: no secure channel, and the info says so */
	assert_int_equal(scp_read(&c, 0, 0, false, &info, &ef, &ei), 0);
	assert_int_equal(info.scp03, CS_CARD_SCP03_OFF);
	cs_buf_free(&ef);
	scp_card_free(&c);
}

/* Sends c (n bytes) to sim; returns the R-APDU length in r. */
static size_t send_raw(struct cs_cardsim *sim, const uint8_t *c, size_t n, uint8_t *r)
{
	size_t rlen = CS_RAPDU_MAX;

	assert_int_equal(cs_cardsim_process(sim, c, n, r, &rlen), 0);
	return rlen;
}

/* INITIALIZE UPDATE + EXTERNAL AUTHENTICATE on channel ch at level; the host session in s. */
static void card_open(struct cs_cardsim *sim, const struct cs_scp03_keys *k, uint8_t ch,
		      uint8_t level, struct cs_scp03_session *s, size_t want_iu_len)
{
	static uint8_t r[CS_RAPDU_MAX];
	uint8_t hc[8] = {1, 2, 3, 4, 5, 6, 7, 8}, iu[CS_SCP03_INIT_UPDATE_LEN],
		ea[CS_SCP03_EXT_AUTH_LEN];
	size_t n;

	assert_int_equal(cs_scp03_host_init_update(s, k, ch, hc, iu, NULL), 0);
	n = send_raw(sim, iu, sizeof(iu), r);
	assert_int_equal(sw_of(r, n), 0x9000);
	assert_int_equal(n - 2, want_iu_len);
	assert_int_equal(cs_scp03_host_check_init_update(s, k, r, n - 2, NULL), 0);
	assert_int_equal(cs_scp03_host_ext_auth(s, level, ea, NULL), 0);
	n = send_raw(sim, ea, sizeof(ea), r);
	assert_int_equal(cs_scp03_host_ext_auth_result(s, (uint16_t)sw_of(r, n), NULL), 0);
}

/* One wrapped command (hex) through session s: the plain answer's SW. */
static unsigned card_wrapped(struct cs_cardsim *sim, struct cs_scp03_session *s, const char *hx)
{
	static uint8_t r[CS_RAPDU_MAX], out[CS_RAPDU_MAX];
	uint8_t w[CS_SCP03_CAPDU_MAX];
	struct cs_buf c = {0};
	size_t wl = sizeof(w), n, ol = sizeof(out);

	assert_int_equal(cs_hex_decode(hx, strlen(hx), &c, NULL), 0);
	assert_int_equal(cs_scp03_host_wrap(s, c.data, c.len, w, &wl, NULL), 0);
	cs_buf_free(&c);
	n = send_raw(sim, w, wl, r);
	assert_int_equal(cs_scp03_host_unwrap(s, r, n, out, &ol, NULL), 0);
	return sw_of(out, ol);
}

/* The card side APDU by APDU: per-channel sessions, what ends them, the sequence counter. */
static void test_scp03_card(void **state)
{
	static uint8_t r[CS_RAPDU_MAX];
	struct scp_card c;
	struct cs_scp03_keys k;
	struct cs_scp03_session s1, s2;
	size_t n;

	(void)state;
	scp_card_new(&c, "ef-nordic.hex", 16, false, 0, false, 4);
	scp_keys(&k, 16);
	ex(c.sim, "00 70 00 00 01", "01 9000");
	ex(c.sim, "00 70 00 00 01", "02 9000");
	ex_sw(c.sim, "01 A4 04 04 0C" AID "00", 0x9000);
	ex_sw(c.sim, "02 A4 04 04 0C" AID "00", 0x9000);
	/* a key version the card does not have; a bad P2; SM on INITIALIZE UPDATE */
	ex(c.sim, "81 50 31 00 08 0102030405060708 00", "6A88");
	ex(c.sim, "81 50 30 01 08 0102030405060708 00", "6A86");
	ex(c.sim, "85 50 30 00 08 0102030405060708 00", "6E00");
	/* other GP instructions; EXTERNAL AUTHENTICATE without INITIALIZE UPDATE */
	ex(c.sim, "80 CA 00 66 00", "6D00");
	ex(c.sim, "85 82 33 00 10 00000000000000000000000000000000", "6985");
	/* sessions on channels 1 and 2; the sequence counter moves with each one (i 70) */
	card_open(c.sim, &k, 1, 0x33, &s1, 32);
	assert_string_equal(hex(s1.seq, 3), "000000");
	card_open(c.sim, &k, 2, 0x13, &s2, 32);
	assert_string_equal(hex(s2.seq, 3), "000001");
	assert_int_equal(c.img->scp03->seq, 2);
	assert_int_equal(card_wrapped(c.sim, &s1, "01 A4 08 04 04 7FFF 5031 00"), 0x9000);
	assert_int_equal(card_wrapped(c.sim, &s2, "02 A4 08 04 04 7FFF 6432 00"), 0x9000);
	assert_int_equal(card_wrapped(c.sim, &s1, "01 B0 00 00 08"), 0x9000);
	/* a wrapped command whose plain answer is an error: the SW alone, no R-MAC */
	assert_int_equal(card_wrapped(c.sim, &s1, "01 B0 00 08 01"), 0x6B00);
	/* a plain command on channel 1 ends its session (6982); channel 2 keeps its own */
	ex(c.sim, "01 B0 00 00 01", "6982");
	ex(c.sim, "01 B0 00 00 01", "A7 9000");
	assert_int_equal(card_wrapped(c.sim, &s2, "02 B0 00 00 04"), 0x9000);
	/* an SM command without a session */
	ex(c.sim, "05 B0 00 00 08 0000000000000000 00", "6982");
	/* GET RESPONSE and MANAGE CHANNEL stay plain: closing channel 2 ends its session */
	ex(c.sim, "00 70 80 02", "9000");
	ex(c.sim, "00 70 00 02", "9000");
	ex(c.sim, "02 A4 04 04 0C" AID "00",
	   "62 21 8202 7821 8302 7F50 840C" AID " 8A01 05 C606 9001 00 830101 9000");
	/* a wrong C-MAC ends the session */
	card_open(c.sim, &k, 1, 0x33, &s1, 32);
	{
		uint8_t w[CS_SCP03_CAPDU_MAX];
		size_t wl = sizeof(w);
		static const uint8_t rb[] = {0x01, 0xB0, 0x00, 0x00, 0x08};

		assert_int_equal(cs_scp03_host_wrap(&s1, rb, sizeof(rb), w, &wl, NULL), 0);
		w[wl - 2] ^= 0x80;
		n = send_raw(c.sim, w, wl, r);
		assert_int_equal(n, 2);
		assert_int_equal(sw_of(r, n), 0x6982);
		ex(c.sim, "01 B0 00 00 01", "A7 9000");
	}
	/* a wrapped MANAGE CHANNEL close is answered with an R-MAC, then the session is gone */
	card_open(c.sim, &k, 1, 0x33, &s1, 32);
	assert_int_equal(card_wrapped(c.sim, &s1, "01 70 80 01"), 0x9000);
	ex(c.sim, "01 B0 00 00 01", "6881");
	/* reset drops every session */
	ex(c.sim, "00 70 00 00 01", "01 9000");
	card_open(c.sim, &k, 1, 0x33, &s1, 32);
	cs_cardsim_reset(c.sim);
	ex(c.sim, "00 70 00 01", "9000");
	ex(c.sim, "01 A4 04 0C 0C" AID, "9000");
	/* the last counter value, then none */
	c.img->scp03->seq = CS_CARDIMG_SCP03_SEQ_MAX;
	card_open(c.sim, &k, 1, 0x33, &s1, 32);
	assert_string_equal(hex(s1.seq, 3), "FFFFFF");
	ex(c.sim, "81 50 30 00 08 0102030405060708 00", "6985");
	/* random challenges (i 60): 29 bytes, no counter */
	c.img->scp03->i_param = 0x60;
	card_open(c.sim, &k, 1, 0x33, &s1, 29);
	assert_false(s1.has_seq);
	assert_int_equal(card_wrapped(c.sim, &s1, "01 B0 00 00 08"), 0x6986);
	cs_scp03_session_clear(&s1);
	cs_scp03_session_clear(&s2);
	cs_scp03_keys_clear(&k);
	scp_card_free(&c);
}

/* The scp03 member of an image: parsed, checked, written back. */
static void test_scp03_image(void **state)
{
#define IMG_HEAD "{\"format\": \"cardstrap-card-image\", \"version\": 1, \"scp03\": "
	static const struct {
		const char *json;
		int err;
		const char *msg;
	} bad[] = {
		{IMG_HEAD "{\"enc\": \"00\"}}", CS_ERR_RANGE, "scp03.enc: 1 bytes"},
		{IMG_HEAD "{\"enc\": \""
			  "000102030405060708090A0B0C0D0E0F"
			  "\"}}",
		 CS_ERR_MALFORMED, "member \"mac\" is missing"},
		{IMG_HEAD "{\"enc\": \"zz0102030405060708090A0B0C0D0E0F\", \"mac\": \"\"}}",
		 CS_ERR_MALFORMED, "scp03.enc: not hex"},
		{IMG_HEAD "{\"enc\": \"000102030405060708090A0B0C0D0E0F\", "
			  "\"mac\": \"000102030405060708090A0B0C0D0E0F0001020304050607\"}}",
		 CS_ERR_RANGE, "one length"},
		{IMG_HEAD "{\"enc\": \"000102030405060708090A0B0C0D0E0F\", "
			  "\"mac\": \"000102030405060708090A0B0C0D0E0F\", \"i\": \"71\"}}",
		 CS_ERR_UNSUPPORTED, "S8 mode"},
		{IMG_HEAD "{\"enc\": \"000102030405060708090A0B0C0D0E0F\", "
			  "\"mac\": \"000102030405060708090A0B0C0D0E0F\", \"i\": \"10\"}}",
		 CS_ERR_RANGE, "scp03.level: 33 needs R-MAC/R-ENC"},
		{IMG_HEAD "{\"enc\": \"000102030405060708090A0B0C0D0E0F\", "
			  "\"mac\": \"000102030405060708090A0B0C0D0E0F\", \"level\": \"31\"}}",
		 CS_ERR_RANGE, "scp03.level: 31"},
		{IMG_HEAD "{\"enc\": \"000102030405060708090A0B0C0D0E0F\", "
			  "\"mac\": \"000102030405060708090A0B0C0D0E0F\", \"seq\": 16777216}}",
		 CS_ERR_RANGE, "scp03.seq"},
		{IMG_HEAD "{\"keys\": \"later\"}}", CS_ERR_MALFORMED, "unknown member \"keys\""},
		{IMG_HEAD "[]}", CS_ERR_MALFORMED, "scp03: expected an object"},
	};
	static const char good[] =
		IMG_HEAD "{\"kvn\": \"31\", \"enc\": \""
			 "404142434445464748494A4B4C4D4E4F"
			 "\", \"mac\": \""
			 "505152535455565758595A5B5C5D5E5F"
			 "\", \"i\": \"60\", "
			 "\"key_div\": \"00112233445566778899\", \"seq\": 7, \"required\": true, "
			 "\"level\": \"13\", \"x-note\": 1}}";
	struct cs_cardimg *img, *again;
	struct cs_errinfo ei;
	struct cs_buf out = {0};

	(void)state;
	for (size_t i = 0; i < COUNT(bad); i++) {
		img = NULL;
		assert_int_equal(cs_cardimg_parse(bad[i].json, strlen(bad[i].json), &img, &ei),
				 bad[i].err);
		if (!strstr(ei.msg, bad[i].msg))
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, ei.msg, bad[i].msg);
		/* key material never shows in a message */
		assert_null(strstr(ei.msg, "0102030405"));
		assert_null(img);
	}
	assert_int_equal(cs_cardimg_parse(good, strlen(good), &img, &ei), 0);
	assert_non_null(img->scp03);
	assert_int_equal(img->scp03->keys.kvn, 0x31);
	assert_int_equal(img->scp03->keys.len, 16);
	assert_false(img->scp03->keys.has_dek);
	assert_string_equal(hex(img->scp03->keys.mac, 16), "505152535455565758595A5B5C5D5E5F");
	assert_int_equal(img->scp03->i_param, 0x60);
	assert_string_equal(hex(img->scp03->key_div, 10), "00112233445566778899");
	assert_int_equal(img->scp03->seq, 7);
	assert_true(img->scp03->required);
	assert_int_equal(img->scp03->level, 0x13);
	/* written back as it was read (the counter included) */
	img->scp03->seq = 9;
	assert_int_equal(cs_cardimg_serialize(img, &out, NULL), 0);
	assert_int_equal(cs_cardimg_parse((const char *)out.data, out.len, &again, &ei), 0);
	assert_int_equal(again->scp03->seq, 9);
	assert_memory_equal(again->scp03, img->scp03, offsetof(struct cs_cardimg_scp03, seq));
	assert_int_equal(again->scp03->level, 0x13);
	assert_true(again->scp03->required);
	cs_buf_free(&out);
	cs_cardimg_free(again);
	cs_cardimg_free(img);
	/* defaults: i 70, level 33, not required, no counter used yet */
	{
		static const char dflt[] = IMG_HEAD "{\"enc\": \""
						    "000102030405060708090A0B0C0D0E0F"
						    "0001020304050607"
						    "\", \"mac\": \""
						    "000102030405060708090A0B0C0D0E0F"
						    "0001020304050607"
						    "\"}}";

		assert_int_equal(cs_cardimg_parse(dflt, strlen(dflt), &img, &ei), 0);
		assert_int_equal(img->scp03->keys.len, 24);
		assert_int_equal(img->scp03->keys.kvn, 0x00);
		assert_int_equal(img->scp03->i_param, 0x70);
		assert_int_equal(img->scp03->level, 0x33);
		assert_false(img->scp03->required);
		assert_int_equal(img->scp03->seq, 0);
		cs_cardimg_free(img);
	}
#undef IMG_HEAD
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_nordic_sequence, setup_plain, teardown),
		cmocka_unit_test_setup_teardown(test_select_variants, setup_plain, teardown),
		cmocka_unit_test_setup_teardown(test_t0, setup_t0, teardown),
		cmocka_unit_test_setup_teardown(test_t1_short_le, setup_plain, teardown),
		cmocka_unit_test_setup_teardown(test_pin, setup_pin, teardown),
		cmocka_unit_test_setup_teardown(test_channels, setup_plain, teardown),
		cmocka_unit_test_setup_teardown(test_channels_20, setup_ext, teardown),
		cmocka_unit_test(test_one_channel),
		cmocka_unit_test_setup_teardown(test_sfi, setup_plain, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup_plain, teardown),
		cmocka_unit_test_setup_teardown(test_malformed, setup_plain, teardown),
		cmocka_unit_test_setup_teardown(test_extended, setup_ext, teardown),
		cmocka_unit_test(test_transport),
		cmocka_unit_test(test_scp03_read),
		cmocka_unit_test(test_scp03_required),
		cmocka_unit_test(test_scp03_wrong_keys),
		cmocka_unit_test(test_scp03_tampered),
		cmocka_unit_test(test_scp03_unsupported),
		cmocka_unit_test(test_scp03_card),
		cmocka_unit_test(test_scp03_image),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
