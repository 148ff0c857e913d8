/* SPDX-License-Identifier: MIT */
/* cardsim at the APDU level: smartcard-storage.md §7-§9 against a standard-layout image. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cardstrap/cardimg.h"
#include "cardstrap/encoding.h"
#include "cardstrap/pkcs15.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define AID      "A000000063504B43532D3135"

/* The card under test and what it was built from. */
struct fx {
	struct cs_buf ef; /* ef-nordic.hex */
	struct cs_cardimg *img;
	struct cs_cardsim *sim;
};

static void load_vector(const char *name, struct cs_buf *b)
{
	const char *dir = getenv("VECTORS");
	char path[512], *text;
	struct cs_errinfo ei;
	long n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir ? dir : "applet-spec/vectors", name);
	f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s (run from the top directory or set VECTORS)", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	text = malloc((size_t)n);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	cs_buf_init(b);
	assert_int_equal(cs_hex_decode(text, (size_t)n, b, &ei), 0);
	free(text);
}

static struct fx *fx_new(struct cs_cardimg_std *std)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct cs_errinfo ei;

	assert_non_null(f);
	load_vector("ef-nordic.hex", &f->ef);
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

/* ---- §8.2: the Nordic sequence, byte for byte ---- */

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

/* §8.2 alternatives: SELECT by FID (P1=00) and by path from the current DF (P1=09), P2=0C. */
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

/* ---- T=0 behaviour (§8.3) ---- */

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

/* ---- PIN (§7) ---- */

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

/* ---- logical channels (§8.1) ---- */

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
	/* channels 4-19 use CLA 40-4F (§8.1) */
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

/* ---- SFI and records (§9.1, §3) ---- */

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

/* Extended Lc/Le when the ATR announces it (§9.2). */
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
	load_vector("ef-nordic.hex", &ef);
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
