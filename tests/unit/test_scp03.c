/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cardstrap/encoding.h"
#include "cardstrap/scp03.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---- helpers ----------------------------------------------------------------------------------
 */

static size_t unhex(const char *text, uint8_t *out, size_t max)
{
	struct cs_buf b = {0};
	size_t n;

	assert_int_equal(cs_hex_decode(text, strlen(text), &b, NULL), 0);
	assert_true(b.len <= max);
	n = b.len;
	if (n)
		memcpy(out, b.data, n);
	cs_buf_free(&b);
	return n;
}

static void assert_hex(const uint8_t *got, size_t len, const char *want)
{
	uint8_t w[512];
	size_t n = unhex(want, w, sizeof(w));
	char gh[1100], wh[1100];

	cs_hex_encode(got, len, 0, gh, sizeof(gh));
	cs_hex_encode(w, n, 0, wh, sizeof(wh));
	if (n != len || memcmp(got, w, n) != 0)
		fail_msg("bytes differ\n got  %s\n want %s", gh, wh);
}

/* The pySim keysets: ENC 00..0F, MAC 10..1F, DEK 20..2F, each repeated to the key length. */
static void pysim_keys(struct cs_scp03_keys *k, size_t len, uint8_t kvn)
{
	uint8_t enc[32], mac[32], dek[32];

	for (size_t i = 0; i < len; i++) {
		enc[i] = (uint8_t)(i % 16);
		mac[i] = (uint8_t)(0x10 + i % 16);
		dek[i] = (uint8_t)(0x20 + i % 16);
	}
	assert_int_equal(cs_scp03_keys_set(k, kvn, enc, mac, dek, len, NULL), 0);
}

/* ---- published vectors (pySim tests/unittests/test_globalplatform.py) ---- */

static const char GET_EID_PLAIN[] = "80E2910006BF3E035C015A00";
static const char GET_EID_RSP_PLAIN[] = "BF3E125A1089882119900000000000000000000005";
static const char *const CASE_PLAIN[4] = {
	"80F22002",
	"80CA006600",
	"80F220020A4F0212345C054F9F70C5",
	"80F28002024F0000",
};
/* ISD-R AID (SGP.22): with it every card challenge below is the pseudo-random one. */
static const char ISD_R_AID[] = "A0000005591010FFFFFFFF8900000100";

struct vec {
	const char *name;
	size_t key_len;
	uint8_t kvn;
	const char *init_upd_cmd, *init_upd_rsp, *ext_auth_cmd, *get_eid_cmd, *get_eid_rsp;
	const char *cases[4];
	/* session keys and cryptograms recomputed from the pySim vectors, where given */
	const char *s_enc, *s_mac, *s_rmac, *card_cryptogram, *host_cryptogram;
};

static const struct vec VECS[] = {
	{
		.name = "AES128_11",
		.key_len = 16,
		.kvn = 0x30,
		.init_upd_cmd = "8050300008b13e5f938fc108c400",
		.init_upd_rsp = "000000000000000000003003703eb51047495b249f66c484c1d2ef1948000002",
		.ext_auth_cmd = "84821100107d5f5826a993ebc89eea24957fa0b3ce",
		.get_eid_cmd = "84e291000ebf3e035c015a558d036518a2829700",
		.get_eid_rsp = "bf3e125a1089882119900000000000000000000005971be68992dbbdfa",
		.cases = {"84f220020863a63f8959827fb2", "84ca006608a0c6a4a74166f7ce00",
			  "84f22002124f0212345c054f9f70c52249b50272656536",
			  "84f280020a4f00e91443f6dce6b8ed00"},
	},
	{
		.name = "AES128_03",
		.key_len = 16,
		.kvn = 0x30,
		.init_upd_cmd = "80503000088e1552d0513c60f300",
		.init_upd_rsp = "0000000000000000000030037030760cd2c47c1dd395065fe5ead8a9d7000001",
		.ext_auth_cmd = "8482030010fd4721a14d9b07003c451d2f8ae6bb21",
		.get_eid_cmd = "84e2910018ca9c00f6713d79bc8baa642bdff51c3f6a4082d3bd9ad26c00",
		.get_eid_rsp = "bf3e125a1089882119900000000000000000000005",
		.cases = {"84f2200208c9811b11f1264cf1", "84ca006608e10ab60b3054798800",
			  "84f22002184e2908bdb48b2315a55482e9e936ca122d6ecfae7d17416e",
			  "84f28002180dd10a6b6193e5340b9e77d32d5a179cd710ac2773aefb2800"},
	},
	{
		.name = "AES128_33",
		.key_len = 16,
		.kvn = 0x30,
		.init_upd_cmd = "8050300008fdf38259a1e0de4400",
		.init_upd_rsp = "000000000000000000003003703b1aca81e821f219081cdc01c26b372d000003",
		.ext_auth_cmd = "84823300108c36f96bcc00724a4e13ad591d7da3f0",
		.get_eid_cmd = "84e2910018267a85dfe4a98fca6fb0527e0dfecce4914e40401433c87f00",
		.get_eid_rsp = "f3ba2b1013aa6224f5e1c138d71805c569e5439b47576260b75fc021b25097cb2e6"
			       "8f8a0144975b9",
		.cases = {"84f2200208ac6a59024bed84cc", "84ca006608409912ad8fb7aed000",
			  "84f22002185f3dafc3ac14c381536a488bf44e06d056df9d74dbd21e5a",
			  "84f280021865165105be3373347d0424d4400af2ac393f569ec779389e00"},
		.s_enc = "BC5689F3A0B783A9ED6DA1C5C6BC1F99",
		.s_mac = "0415F56CBB9E488BB171B2B66081F004",
		.s_rmac = "1EE185123244E047BC9D68B914BD1FBE",
		.card_cryptogram = "081CDC01C26B372D",
		.host_cryptogram = "8C36F96BCC00724A",
	},
	{
		.name = "AES192_11",
		.key_len = 24,
		.kvn = 0x31,
		.init_upd_cmd = "80503100087396430b768b085b00",
		.init_upd_rsp = "000000000000000000003103708cfc23522ffdbf1e5df5542cac8fd866000003",
		.ext_auth_cmd = "84821100102145ed30b146f5db252fb7e624cec244",
		.get_eid_cmd = "84e291000ebf3e035c015aff42cf801d14394400",
		.get_eid_rsp = "bf3e125a1089882119900000000000000000000005162fbd33e04940a9",
		.cases = {"84f22002084584e4f6784811ee", "84ca006608937776ebe190fa3000",
			  "84f22002124f0212345c054f9f70c59a52bddf3040368c",
			  "84f280020a4f009804b11411f7393d00"},
	},
	{
		.name = "AES192_03",
		.key_len = 24,
		.kvn = 0x31,
		.init_upd_cmd = "805031000869c65da8202bf19f00",
		.init_upd_rsp = "00000000000000000000310370b570a67be38446717729d6dd3d2ec5b1000001",
		.ext_auth_cmd = "848203001065df4f1a356a887905466516d9e5b7c1",
		.get_eid_cmd = "84e2910018d2c6fb477c5d4afe4fd4d21f17eff10d3578ec1774a12a2d00",
		.get_eid_rsp = "bf3e125a1089882119900000000000000000000005",
		.cases = {"84f2200208964e188f0b1bb697", "84ca006608f0820035a41d3e1800",
			  "84f220021806b076ed452cd1fa84f77f5c08a146aa77a9286757dea791",
			  "84f2800218d06527e39222dce091fabdb8e9b898417a67a6852d3577db00"},
	},
	{
		.name = "AES192_33",
		.key_len = 24,
		.kvn = 0x31,
		.init_upd_cmd = "80503100089b3f2eef0e8c937400",
		.init_upd_rsp = "00000000000000000000310370f6bb305a15bae1a68f79fb08212fbed7000002",
		.ext_auth_cmd = "84823300109100bc22d58b45b86a26365ce39ff3cf",
		.get_eid_cmd = "84e29100188f7f946c84f70d17994bc6e8791251bb1bb1bf02cf8de58900",
		.get_eid_rsp = "c05176c1b6f72aae50c32cbee63b0e95998928fd4dfb2be9f27ffde8c8476f5909b"
			       "4805cc4039599",
		.cases = {"84f2200208d5d97754b6b3d2ba", "84ca006608516c82b8e30adbeb00",
			  "84f2200218cc247f4761e6944277a4e0d6e32e44025b1e31537e2fc668",
			  "84f2800218ba22b63d509bef5d093b43e5eaed03ed23144ab2d9cb51de00"},
	},
	{
		.name = "AES256_11",
		.key_len = 32,
		.kvn = 0x32,
		.init_upd_cmd = "805032000811666d57866c6f5400",
		.init_upd_rsp = "0000000000000000000032037053ea8847efa7674e41498a4d66cf0dee000003",
		.ext_auth_cmd = "84821100102f2ad190eff2fafc4908996d1cebd310",
		.get_eid_cmd = "84e291000ebf3e035c015af4b680372542b59d00",
		.get_eid_rsp = "bf3e125a10898821199000000000000000000000058012dd7f01f1c4c1",
		.cases = {"84f2200208d618b7da68d5fe52", "84ca0066088f3e055db23ad5e500",
			  "84f22002124f0212345c054f9f70c5b6e15cc42404915e",
			  "84f280020a4f00aa124aa74afe7f7500"},
	},
	{
		.name = "AES256_03",
		.key_len = 32,
		.kvn = 0x32,
		.init_upd_cmd = "8050320008c6066990fc426e1d00",
		.init_upd_rsp = "000000000000000000003203708682cd81bbd8919f2de3f2664581f118000001",
		.ext_auth_cmd = "848203001077c493b632edadaf865a1e64acc07ce9",
		.get_eid_cmd = "84e29100183ddaa60594963befaada3525b492ede23c2ab2c1ce3afe4400",
		.get_eid_rsp = "bf3e125a1089882119900000000000000000000005",
		.cases = {"84f2200208480ddc8e419da38d", "84ca0066083e9d6a6c0b2d732000",
			  "84f22002183ebfef2da8b04af2a85f491f299b76973df76ff08a4031be",
			  "84f2800218783fff80990f5585b1055010ea95094a26e4a8f1ef4b18e100"},
	},
	{
		.name = "AES256_33",
		.key_len = 32,
		.kvn = 0x32,
		.init_upd_cmd = "805032000897b2055fe58599fd00",
		.init_upd_rsp = "00000000000000000000320370a8439a22cedf045fa9f1903b2834f26e000002",
		.ext_auth_cmd = "8482330010508a0fd959d2e547c6b33154a6be2057",
		.get_eid_cmd = "84e29100187a5ef717eaf1e135ae92fe54429d0e465decda65f5fe5aea00",
		.get_eid_rsp = "ea90dbfa648a67c5eb6abc57f8530b97d0cd5647c5e8732016b55203b078dd2ace7"
			       "f8bc5d1c1cd99",
		.cases = {"84f2200208bcc5c17275545d93", "84ca00660804806aba9d543bb600",
			  "84f2200218717222491556ec81a45f49ce48be33320024801a1c4cb0e0",
			  "84f2800218561f105bccd3a1642904b251ccc1228beb80a82370a8637000"},
		.s_enc = "6882480F1F4CFEE7BDDF6C691B6E1549645A47543CB4FE1042B72DA7CDFDB958",
		.host_cryptogram = "508A0FD959D2E547",
	},
};

/* Host side of one vector: every APDU byte for byte, in pySim's order (counter 1..5). */
static void run_host_vector(const struct vec *v)
{
	struct cs_scp03_session s;
	struct cs_scp03_keys k;
	uint8_t iu[64], rsp[64], out[300], plain[300];
	size_t n, rn, on;
	struct cs_errinfo ei;

	pysim_keys(&k, v->key_len, v->kvn);
	unhex(v->init_upd_cmd, iu, sizeof(iu));
	assert_int_equal(cs_scp03_host_init_update(&s, &k, 0, iu + 5, out, &ei), 0);
	assert_hex(out, CS_SCP03_INIT_UPDATE_LEN, v->init_upd_cmd);

	rn = unhex(v->init_upd_rsp, rsp, sizeof(rsp));
	assert_int_equal(cs_scp03_host_check_init_update(&s, &k, rsp, rn, &ei), 0);
	assert_int_equal(s.state, CS_SCP03_CHALLENGED);
	assert_int_equal(s.kvn, v->kvn);
	assert_int_equal(s.i_param, 0x70);
	assert_true(s.has_seq);
	assert_int_equal(s.key_len, v->key_len);
	if (v->s_enc)
		assert_hex(s.s_enc, v->key_len, v->s_enc);
	if (v->s_mac)
		assert_hex(s.s_mac, v->key_len, v->s_mac);
	if (v->s_rmac)
		assert_hex(s.s_rmac, v->key_len, v->s_rmac);
	if (v->card_cryptogram)
		assert_hex(s.card_cryptogram, 8, v->card_cryptogram);
	if (v->host_cryptogram)
		assert_hex(s.host_cryptogram, 8, v->host_cryptogram);

	unhex(v->ext_auth_cmd, iu, sizeof(iu));
	assert_int_equal(cs_scp03_host_ext_auth(&s, iu[2], out, &ei), 0);
	assert_hex(out, CS_SCP03_EXT_AUTH_LEN, v->ext_auth_cmd);
	assert_int_equal(cs_scp03_host_ext_auth_result(&s, 0x9000, &ei), 0);
	assert_int_equal(s.state, CS_SCP03_OPEN);

	n = unhex(GET_EID_PLAIN, plain, sizeof(plain));
	on = sizeof(out);
	assert_int_equal(cs_scp03_host_wrap(&s, plain, n, out, &on, &ei), 0);
	assert_hex(out, on, v->get_eid_cmd);
	assert_int_equal(s.counter, 1);

	rn = unhex(v->get_eid_rsp, rsp, sizeof(rsp));
	rsp[rn++] = 0x90;
	rsp[rn++] = 0x00;
	on = sizeof(out);
	assert_int_equal(cs_scp03_host_unwrap(&s, rsp, rn, out, &on, &ei), 0);
	assert_int_equal(on, 21 + 2);
	assert_hex(out, on - 2, GET_EID_RSP_PLAIN);
	assert_int_equal(out[on - 2], 0x90);
	assert_int_equal(out[on - 1], 0x00);

	for (size_t i = 0; i < 4; i++) {
		n = unhex(CASE_PLAIN[i], plain, sizeof(plain));
		on = sizeof(out);
		assert_int_equal(cs_scp03_host_wrap(&s, plain, n, out, &on, &ei), 0);
		assert_hex(out, on, v->cases[i]);
	}
	assert_int_equal(s.counter, 5);
	cs_scp03_session_clear(&s);
	cs_scp03_keys_clear(&k);
}

/* Card side of one vector: the same bytes come out of the card functions. */
static void run_card_vector(const struct vec *v)
{
	struct cs_scp03_card_params p = {0};
	struct cs_scp03_session s;
	struct cs_scp03_keys k;
	uint8_t cmd[300], rsp[300], out[300], aid[16], chal[8];
	size_t n, rn, on;
	struct cs_errinfo ei;
	uint16_t sw = 0;

	pysim_keys(&k, v->key_len, v->kvn);
	rn = unhex(v->init_upd_rsp, rsp, sizeof(rsp));
	assert_int_equal(rn, 32);
	p.i_param = rsp[12];
	memcpy(p.card_challenge, rsp + 13, 8);
	memcpy(p.seq, rsp + 29, 3);
	/* the card challenge is the pseudo-random one: seq || ISD-R AID */
	n = unhex(ISD_R_AID, aid, sizeof(aid));
	assert_int_equal(cs_scp03_card_challenge(&k, p.seq, aid, n, chal), 0);
	assert_memory_equal(chal, rsp + 13, 8);

	n = unhex(v->init_upd_cmd, cmd, sizeof(cmd));
	on = sizeof(out);
	assert_int_equal(cs_scp03_card_init_update(&s, &k, &p, cmd, n, out, &on, &sw, &ei), 0);
	assert_int_equal(sw, 0x9000);
	assert_hex(out, on, v->init_upd_rsp);

	n = unhex(v->ext_auth_cmd, cmd, sizeof(cmd));
	assert_int_equal(cs_scp03_card_ext_auth(&s, cmd, n, &sw, &ei), 0);
	assert_int_equal(sw, 0x9000);
	assert_int_equal(s.level, cmd[2]);

	n = unhex(v->get_eid_cmd, cmd, sizeof(cmd));
	on = sizeof(out);
	assert_int_equal(cs_scp03_card_unwrap(&s, cmd, n, out, &on, &sw, &ei), 0);
	assert_hex(out, on, GET_EID_PLAIN);

	n = unhex(GET_EID_RSP_PLAIN, cmd, sizeof(cmd));
	on = sizeof(out);
	assert_int_equal(cs_scp03_card_wrap(&s, cmd, n, 0x9000, out, &on, &ei), 0);
	assert_int_equal(out[on - 2], 0x90);
	assert_hex(out, on - 2, v->get_eid_rsp);

	for (size_t i = 0; i < 4; i++) {
		n = unhex(v->cases[i], cmd, sizeof(cmd));
		on = sizeof(out);
		assert_int_equal(cs_scp03_card_unwrap(&s, cmd, n, out, &on, &sw, &ei), 0);
		assert_int_equal(sw, 0x9000);
		assert_hex(out, on, CASE_PLAIN[i]);
	}
	cs_scp03_session_clear(&s);
	cs_scp03_keys_clear(&k);
}

static void test_vectors_host(void **state)
{
	(void)state;
	for (size_t i = 0; i < COUNT(VECS); i++) {
		print_message("host %s\n", VECS[i].name);
		run_host_vector(&VECS[i]);
	}
}

static void test_vectors_card(void **state)
{
	(void)state;
	for (size_t i = 0; i < COUNT(VECS); i++) {
		print_message("card %s\n", VECS[i].name);
		run_card_vector(&VECS[i]);
	}
}

/* pySim SCP03_Test_AES128_33: the AES-128 example, spelled out byte for byte. */
static void test_aes128_33_example(void **state)
{
	static const char *const wrapped[] = {
		"84 E2 91 00 18 26 7A 85 DF E4 A9 8F CA 6F B0 52 7E 0D FE CC E4 91 4E 40 40 14 33 "
		"C8 7F 00",
		"84 F2 20 02 08 AC 6A 59 02 4B ED 84 CC",
		"84 CA 00 66 08 40 99 12 AD 8F B7 AE D0 00",
		"84 F2 20 02 18 5F 3D AF C3 AC 14 C3 81 53 6A 48 8B F4 4E 06 D0 56 DF 9D 74 DB D2 "
		"1E 5A",
		"84 F2 80 02 18 65 16 51 05 BE 33 73 34 7D 04 24 D4 40 0A F2 AC 39 3F 56 9E C7 79 "
		"38 9E 00",
	};
	static const char *const plain[] = {
		"80 E2 91 00 06 BF 3E 03 5C 01 5A 00",
		"80 F2 20 02",
		"80 CA 00 66 00",
		"80 F2 20 02 0A 4F 02 12 34 5C 05 4F 9F 70 C5",
		"80 F2 80 02 02 4F 00 00",
	};
	struct cs_scp03_session s;
	struct cs_scp03_keys k;
	uint8_t hc[8], rsp[64], out[300], in[300];
	size_t n, on;

	(void)state;
	pysim_keys(&k, 16, 0x30);
	unhex("FDF38259A1E0DE44", hc, sizeof(hc));
	assert_int_equal(cs_scp03_host_init_update(&s, &k, 0, hc, out, NULL), 0);
	assert_hex(out, 14, "80 50 30 00 08 FD F3 82 59 A1 E0 DE 44 00");
	n = unhex("00 00 00 00 00 00 00 00 00 00 30 03 70 3B 1A CA 81 E8 21 F2 19 08 1C DC 01 C2 "
		  "6B 37 2D 00 00 03",
		  rsp, sizeof(rsp));
	assert_int_equal(cs_scp03_host_check_init_update(&s, &k, rsp, n, NULL), 0);
	assert_hex(s.s_enc, 16, "BC5689F3A0B783A9ED6DA1C5C6BC1F99");
	assert_hex(s.s_mac, 16, "0415F56CBB9E488BB171B2B66081F004");
	assert_hex(s.s_rmac, 16, "1EE185123244E047BC9D68B914BD1FBE");
	assert_hex(s.card_cryptogram, 8, "081CDC01C26B372D");
	assert_hex(s.host_cryptogram, 8, "8C36F96BCC00724A");
	assert_hex(s.seq, 3, "000003");
	assert_int_equal(cs_scp03_host_ext_auth(&s, CS_SCP03_LEVEL_LWM2M, out, NULL), 0);
	assert_hex(out, 21, "84 82 33 00 10 8C 36 F9 6B CC 00 72 4A 4E 13 AD 59 1D 7D A3 F0");
	assert_int_equal(cs_scp03_host_ext_auth_result(&s, 0x9000, NULL), 0);
	for (size_t i = 0; i < COUNT(wrapped); i++) {
		n = unhex(plain[i], in, sizeof(in));
		on = sizeof(out);
		assert_int_equal(cs_scp03_host_wrap(&s, in, n, out, &on, NULL), 0);
		assert_hex(out, on, wrapped[i]);
		assert_int_equal(s.counter, i + 1);
		if (i == 0) {
			/* response 1 belongs to command 1: its MCV and counter */
			n = unhex(
				"F3 BA 2B 10 13 AA 62 24 F5 E1 C1 38 D7 18 05 C5 69 E5 43 9B 47 57 "
				"62 60 B7 5F C0 21 B2 50 97 CB 2E 68 F8 A0 14 49 75 B9 90 00",
				in, sizeof(in));
			on = sizeof(out);
			assert_int_equal(cs_scp03_host_unwrap(&s, in, n, out, &on, NULL), 0);
			assert_hex(out, on,
				   "BF 3E 12 5A 10 89 88 21 19 90 00 00 00 00 00 00 00 00 "
				   "00 00 05 90 00");
		}
	}
	cs_scp03_session_clear(&s);
	cs_scp03_keys_clear(&k);
}

static void test_kcv(void **state)
{
	struct cs_scp03_keys k;
	uint8_t kcv[3];

	(void)state;
	pysim_keys(&k, 16, 0x30);
	assert_int_equal(cs_scp03_kcv(k.enc, 16, kcv), 0);
	assert_hex(kcv, 3, "C35280");
	assert_int_equal(cs_scp03_kcv(k.mac, 16, kcv), 0);
	assert_hex(kcv, 3, "013808");
	assert_int_equal(cs_scp03_kcv(k.dek, 16, kcv), 0);
	assert_hex(kcv, 3, "840DE5");
	assert_int_equal(cs_scp03_kcv(k.enc, 15, kcv), CS_ERR_ARG);
	cs_scp03_keys_clear(&k);
}

static void test_kdf(void **state)
{
	struct cs_scp03_keys k;
	uint8_t ctx[16], out[40], first[16];

	(void)state;
	pysim_keys(&k, 32, 0x32);
	/* S-ENC of the pySim AES-256 vector, two CMAC blocks with L = 01 00 */
	unhex("97B2055FE58599FD A8439A22CEDF045F", ctx, sizeof(ctx));
	assert_int_equal(cs_scp03_kdf(k.enc, 32, CS_SCP03_DC_S_ENC, ctx, 16, out, 32), 0);
	assert_hex(out, 32, "6882480F1F4CFEE7BDDF6C691B6E1549645A47543CB4FE1042B72DA7CDFDB958");
	/* L is part of the input: a 16-byte output is not the first half of the 32-byte one */
	assert_int_equal(cs_scp03_kdf(k.enc, 32, CS_SCP03_DC_S_ENC, ctx, 16, first, 16), 0);
	assert_memory_not_equal(first, out, 16);
	assert_int_equal(cs_scp03_kdf(k.enc, 32, 4, ctx, 16, out, 0), CS_ERR_RANGE);
	assert_int_equal(cs_scp03_kdf(k.enc, 20, 4, ctx, 16, out, 16), CS_ERR_ARG);
	cs_scp03_keys_clear(&k);
}

static void test_levels(void **state)
{
	unsigned valid = 0;

	(void)state;
	for (unsigned l = 0; l < 256; l++)
		valid += cs_scp03_level_valid((uint8_t)l);
	assert_int_equal(valid, 6);
	assert_true(cs_scp03_level_valid(0x00));
	assert_true(cs_scp03_level_valid(0x01));
	assert_true(cs_scp03_level_valid(0x03));
	assert_true(cs_scp03_level_valid(0x11));
	assert_true(cs_scp03_level_valid(0x13));
	assert_true(cs_scp03_level_valid(0x33));
	assert_false(cs_scp03_level_valid(0x02)); /* encryption without MAC */
	assert_false(cs_scp03_level_valid(0x10));
	assert_false(cs_scp03_level_valid(0x31)); /* R-ENC without C-DECRYPTION */
	assert_false(cs_scp03_level_valid(0x21));
}

/* ---- host ↔ card in memory --------------------------------------------------------------------
 */

struct pair {
	struct cs_scp03_keys k;
	struct cs_scp03_session host, card;
};

static void pair_open(struct pair *p, size_t key_len, uint8_t level, uint8_t channel,
		      uint8_t i_param)
{
	struct cs_scp03_card_params cp = {0};
	uint8_t hc[8], cmd[64], rsp[64];
	size_t rn = sizeof(rsp);
	struct cs_errinfo ei;
	uint16_t sw;

	pysim_keys(&p->k, key_len, 0x30);
	assert_int_equal(cs_scp03_random(hc, 8, &ei), 0);
	assert_int_equal(cs_scp03_random(cp.card_challenge, 8, &ei), 0);
	assert_int_equal(cs_scp03_random(cp.key_div, sizeof(cp.key_div), &ei), 0);
	cp.i_param = i_param;
	assert_int_equal(cs_scp03_host_init_update(&p->host, &p->k, channel, hc, cmd, &ei), 0);
	assert_int_equal(
		cs_scp03_card_init_update(&p->card, &p->k, &cp, cmd, 14, rsp, &rn, &sw, &ei), 0);
	assert_int_equal(rn, (i_param & 0x10) ? 32 : 29);
	assert_int_equal(p->card.channel, channel);
	assert_int_equal(cs_scp03_host_check_init_update(&p->host, &p->k, rsp, rn, &ei), 0);
	assert_memory_equal(p->host.s_enc, p->card.s_enc, key_len);
	assert_int_equal(cs_scp03_host_ext_auth(&p->host, level, cmd, &ei), 0);
	assert_int_equal(cs_scp03_card_ext_auth(&p->card, cmd, 21, &sw, &ei), 0);
	assert_int_equal(sw, 0x9000);
	assert_int_equal(cs_scp03_host_ext_auth_result(&p->host, sw, &ei), 0);
}

static void pair_close(struct pair *p)
{
	cs_scp03_session_clear(&p->host);
	cs_scp03_session_clear(&p->card);
	cs_scp03_keys_clear(&p->k);
}

/* host wrap → card unwrap (== plain) → card wrap → host unwrap (== response). */
static void round_trip(struct pair *p, const uint8_t *cmd, size_t clen, const uint8_t *data,
		       size_t dlen, uint16_t sw)
{
	uint8_t w[300], u[300], r[300], back[300];
	size_t wn = sizeof(w), un = sizeof(u), rn = sizeof(r), bn = sizeof(back);
	struct cs_errinfo ei;
	uint16_t csw;

	assert_int_equal(cs_scp03_host_wrap(&p->host, cmd, clen, w, &wn, &ei), 0);
	assert_int_equal(cs_scp03_card_unwrap(&p->card, w, wn, u, &un, &csw, &ei), 0);
	assert_int_equal(csw, 0x9000);
	assert_int_equal(un, clen);
	assert_memory_equal(u, cmd, clen);
	/* the whole padded block differs: a short one may match by chance (1 in 256 for 1 byte) */
	if (p->host.level & CS_SCP03_C_DECRYPTION && clen > 5 && cmd[4] && cmd[4] < wn - 5) {
		uint8_t padded[300] = {0};

		memcpy(padded, cmd + 5, cmd[4]);
		padded[cmd[4]] = 0x80;
		assert_memory_not_equal(w + 5, padded, (cmd[4] / 16u + 1) * 16);
	}
	assert_int_equal(cs_scp03_card_wrap(&p->card, data, dlen, sw, r, &rn, &ei), 0);
	assert_int_equal(cs_scp03_host_unwrap(&p->host, r, rn, back, &bn, &ei), 0);
	if (sw == 0x9000 || (sw >> 8) == 0x62 || (sw >> 8) == 0x63) {
		assert_int_equal(bn, dlen + 2);
		if (dlen)
			assert_memory_equal(back, data, dlen);
	} else {
		assert_int_equal(bn, 2);
	}
	assert_int_equal(back[bn - 2], sw >> 8);
	assert_int_equal(back[bn - 1], sw & 0xFF);
	assert_memory_equal(p->host.mcv, p->card.mcv, 16);
	assert_int_equal(p->host.counter, p->card.counter);
}

static void test_round_trips(void **state)
{
	static const size_t key_lens[] = {16, 24, 32};
	static const uint8_t levels[] = {0x00, 0x01, 0x03, 0x11, 0x13, 0x33};
	static const size_t dlens[] = {0, 1, 15, 16, 17, 200, 239};
	static const uint16_t sws[] = {0x9000, 0x6282, 0x6A82};
	uint8_t cmd[300], data[300];

	(void)state;
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + 3);
	for (size_t ki = 0; ki < COUNT(key_lens); ki++) {
		for (size_t li = 0; li < COUNT(levels); li++) {
			struct pair p;
			uint8_t ch = (uint8_t)((ki * COUNT(levels) + li) % 20);

			pair_open(&p, key_lens[ki], levels[li], ch, 0x70);
			for (size_t di = 0; di < COUNT(dlens); di++) {
				size_t n = dlens[di];
				uint8_t cla = ch < 4 ? ch : (uint8_t)(0x40 | (ch - 4));

				/* case 1, 2, 3, 4 with n bytes of command data */
				cmd[0] = cla;
				cmd[1] = 0xB0;
				cmd[2] = (uint8_t)di;
				cmd[3] = 0x00;
				round_trip(&p, cmd, 4, NULL, 0, 0x9000);
				cmd[4] = (uint8_t)n;
				round_trip(&p, cmd, 5, data, n, sws[di % COUNT(sws)]);
				if (n == 0)
					continue;
				cmd[1] = 0xD6;
				memcpy(cmd + 5, data + di, n);
				round_trip(&p, cmd, 5 + n, NULL, 0, 0x9000);
				cmd[0] = (uint8_t)(cla | 0x80);
				cmd[1] = 0xE2;
				cmd[5 + n] = 0x00;
				round_trip(&p, cmd, 6 + n, data + 1, n, 0x9000);
			}
			pair_close(&p);
		}
	}
}

static void test_channels_cla(void **state)
{
	struct pair p1, p5;
	uint8_t cmd[] = {0x01, 0xA4, 0x08, 0x04, 0x04, 0x7F, 0xFF, 0x50, 0x31, 0x00};
	uint8_t w1[64], w5[64], iu[14], hc[8] = {0};
	size_t n1 = sizeof(w1), n5 = sizeof(w5);
	struct cs_scp03_session s;

	(void)state;
	/* GP Amd D: INITIALIZE UPDATE CLA 80+ch, C0+ch-4 */
	pysim_keys(&p1.k, 16, 0x30);
	assert_int_equal(cs_scp03_host_init_update(&s, &p1.k, 3, hc, iu, NULL), 0);
	assert_int_equal(iu[0], 0x83);
	assert_int_equal(cs_scp03_host_init_update(&s, &p1.k, 4, hc, iu, NULL), 0);
	assert_int_equal(iu[0], 0xC0);
	assert_int_equal(cs_scp03_host_init_update(&s, &p1.k, 19, hc, iu, NULL), 0);
	assert_int_equal(iu[0], 0xCF);
	assert_int_equal(cs_scp03_host_init_update(&s, &p1.k, 20, hc, iu, NULL), CS_ERR_RANGE);
	cs_scp03_keys_clear(&p1.k);

	pair_open(&p1, 16, 0x33, 1, 0x70);
	pair_open(&p5, 16, 0x33, 5, 0x70);
	/* same session secrets: the MAC input must not depend on the channel */
	memcpy(&p5.host, &p1.host, sizeof(p1.host));
	p5.host.channel = 5;
	memcpy(&p5.card, &p1.card, sizeof(p1.card));
	p5.card.channel = 5;
	assert_int_equal(cs_scp03_host_wrap(&p1.host, cmd, sizeof(cmd), w1, &n1, NULL), 0);
	cmd[0] = 0x41;
	assert_int_equal(cs_scp03_host_wrap(&p5.host, cmd, sizeof(cmd), w5, &n5, NULL), 0);
	assert_int_equal(n1, n5);
	assert_int_equal(w1[0], 0x05); /* ISO, channel 1, b3 */
	assert_int_equal(w5[0], 0x61); /* further interindustry, channel 5, b6 */
	assert_memory_equal(w1 + 1, w5 + 1, n1 - 1);
	/* the card of channel 5 takes it back to 41 */
	{
		uint8_t u[64];
		size_t un = sizeof(u);
		uint16_t sw;

		assert_int_equal(cs_scp03_card_unwrap(&p5.card, w5, n5, u, &un, &sw, NULL), 0);
		assert_int_equal(un, sizeof(cmd));
		assert_memory_equal(u, cmd, sizeof(cmd));
	}
	pair_close(&p1);
	pair_close(&p5);

	/* EXTERNAL AUTHENTICATE CLA: 84+ch, E0+ch-4 */
	pair_open(&p1, 16, 0x33, 2, 0x70);
	pair_close(&p1);
	{
		struct cs_scp03_card_params cp = {.i_param = 0x70};
		struct cs_scp03_session c;
		struct cs_scp03_keys k;
		uint8_t rsp[32], ea[21];
		size_t rn = sizeof(rsp);
		uint16_t sw;

		pysim_keys(&k, 16, 0x30);
		assert_int_equal(cs_scp03_host_init_update(&s, &k, 7, hc, iu, NULL), 0);
		assert_int_equal(
			cs_scp03_card_init_update(&c, &k, &cp, iu, 14, rsp, &rn, &sw, NULL), 0);
		assert_int_equal(cs_scp03_host_check_init_update(&s, &k, rsp, rn, NULL), 0);
		assert_int_equal(cs_scp03_host_ext_auth(&s, 0x33, ea, NULL), 0);
		assert_int_equal(ea[0], 0xE3);
		assert_int_equal(cs_scp03_card_ext_auth(&c, ea, 21, &sw, NULL), 0);
		cs_scp03_session_clear(&s);
		cs_scp03_session_clear(&c);
		cs_scp03_keys_clear(&k);
	}
}

static void test_tampered_rmac(void **state)
{
	struct pair p;
	uint8_t cmd[] = {0x00, 0xB0, 0x00, 0x00, 0x10}, data[16] = {1, 2, 3};
	uint8_t w[64], r[64], out[64];
	size_t wn = sizeof(w), rn = sizeof(r), on = sizeof(out);
	struct cs_errinfo ei;
	uint16_t sw;

	(void)state;
	pair_open(&p, 16, 0x33, 0, 0x70);
	assert_int_equal(cs_scp03_host_wrap(&p.host, cmd, sizeof(cmd), w, &wn, &ei), 0);
	assert_int_equal(cs_scp03_card_unwrap(&p.card, w, wn, out, &on, &sw, &ei), 0);
	assert_int_equal(cs_scp03_card_wrap(&p.card, data, sizeof(data), 0x9000, r, &rn, &ei), 0);
	assert_int_equal(rn, 32 + 8 + 2);
	r[rn - 3] ^= 0x01;
	on = sizeof(out);
	assert_int_equal(cs_scp03_host_unwrap(&p.host, r, rn, out, &on, &ei), CS_ERR_SCP03_MAC);
	assert_int_equal(ei.code, CS_ERR_SCP03_MAC);
	assert_non_null(strstr(ei.msg, "response MAC mismatch"));
	assert_int_equal(p.host.state, CS_SCP03_IDLE);
	/* the session is gone: nothing more is wrapped */
	wn = sizeof(w);
	assert_int_equal(cs_scp03_host_wrap(&p.host, cmd, sizeof(cmd), w, &wn, NULL), CS_ERR_ARG);
	pair_close(&p);

	/* a missing R-MAC and tampered ciphertext are MAC failures too */
	pair_open(&p, 24, 0x33, 0, 0x70);
	wn = sizeof(w);
	assert_int_equal(cs_scp03_host_wrap(&p.host, cmd, sizeof(cmd), w, &wn, &ei), 0);
	r[0] = 0x90;
	r[1] = 0x00;
	on = sizeof(out);
	assert_int_equal(cs_scp03_host_unwrap(&p.host, r, 2, out, &on, &ei), CS_ERR_SCP03_MAC);
	pair_close(&p);

	pair_open(&p, 32, 0x33, 0, 0x70);
	wn = sizeof(w);
	on = sizeof(out);
	assert_int_equal(cs_scp03_host_wrap(&p.host, cmd, sizeof(cmd), w, &wn, &ei), 0);
	assert_int_equal(cs_scp03_card_unwrap(&p.card, w, wn, out, &on, &sw, &ei), 0);
	rn = sizeof(r);
	assert_int_equal(cs_scp03_card_wrap(&p.card, data, sizeof(data), 0x9000, r, &rn, &ei), 0);
	r[3] ^= 0x80;
	on = sizeof(out);
	assert_int_equal(cs_scp03_host_unwrap(&p.host, r, rn, out, &on, &ei), CS_ERR_SCP03_MAC);
	pair_close(&p);

	/* an error SW comes alone and is not MAC-checked (GP Amd D) */
	pair_open(&p, 16, 0x33, 0, 0x70);
	wn = sizeof(w);
	assert_int_equal(cs_scp03_host_wrap(&p.host, cmd, sizeof(cmd), w, &wn, &ei), 0);
	r[0] = 0x6A;
	r[1] = 0x82;
	on = sizeof(out);
	assert_int_equal(cs_scp03_host_unwrap(&p.host, r, 2, out, &on, &ei), 0);
	assert_int_equal(on, 2);
	assert_int_equal(out[0], 0x6A);
	assert_int_equal(p.host.state, CS_SCP03_OPEN);
	pair_close(&p);
}

static void test_tampered_cmac(void **state)
{
	struct pair p;
	uint8_t cmd[] = {0x00, 0xD6, 0x00, 0x00, 0x03, 0x11, 0x22, 0x33};
	uint8_t w[64], out[64];
	size_t wn, on;
	struct cs_errinfo ei;
	uint16_t sw = 0;

	(void)state;
	/* one flipped bit anywhere (header, data, MAC) and the card refuses */
	for (size_t pos = 0; pos < 5 + 16 + 8; pos++) {
		if (pos == 4)
			continue; /* Lc: a length error, not a MAC check */
		pair_open(&p, 16, 0x33, 0, 0x70);
		wn = sizeof(w);
		on = sizeof(out);
		assert_int_equal(cs_scp03_host_wrap(&p.host, cmd, sizeof(cmd), w, &wn, &ei), 0);
		assert_int_equal(wn, 5 + 16 + 8);
		w[pos] ^= 0x01;
		if (pos == 0) {
			/* CLA 05 → 04: still SM, the channel moved, the MAC input did not */
			pair_close(&p);
			continue;
		}
		assert_int_equal(cs_scp03_card_unwrap(&p.card, w, wn, out, &on, &sw, &ei),
				 CS_ERR_SCP03_MAC);
		assert_int_equal(sw, 0x6982);
		assert_int_equal(p.card.state, CS_SCP03_IDLE);
		pair_close(&p);
	}
	/* a plain command on the secured channel is refused too */
	pair_open(&p, 16, 0x01, 0, 0x70);
	on = sizeof(out);
	assert_int_equal(cs_scp03_card_unwrap(&p.card, cmd, sizeof(cmd), out, &on, &sw, &ei),
			 CS_ERR_SCP03_MAC);
	assert_int_equal(sw, 0x6982);
	pair_close(&p);
}

static void test_wrong_keys(void **state)
{
	struct cs_scp03_card_params cp = {.i_param = 0x70};
	struct cs_scp03_session h, c;
	struct cs_scp03_keys card_keys, host_keys;
	uint8_t hc[8] = {1, 2, 3, 4, 5, 6, 7, 8}, iu[14], rsp[32], ea[21];
	size_t rn = sizeof(rsp);
	struct cs_errinfo ei;
	uint16_t sw;

	(void)state;
	pysim_keys(&card_keys, 16, 0x30);
	pysim_keys(&host_keys, 16, 0x30);
	host_keys.mac[5] ^= 0xFF;
	assert_int_equal(cs_scp03_host_init_update(&h, &host_keys, 0, hc, iu, &ei), 0);
	assert_int_equal(cs_scp03_card_init_update(&c, &card_keys, &cp, iu, 14, rsp, &rn, &sw, &ei),
			 0);
	assert_int_equal(cs_scp03_host_check_init_update(&h, &host_keys, rsp, rn, &ei),
			 CS_ERR_SCP03_CRYPTOGRAM);
	assert_string_equal(ei.msg, "card cryptogram mismatch (wrong SCP03 keys or key version?)");
	assert_int_equal(h.state, CS_SCP03_IDLE);

	/* the card answers 6A88 for a key version it does not have */
	host_keys = card_keys;
	host_keys.kvn = 0x31;
	assert_int_equal(cs_scp03_host_init_update(&h, &host_keys, 0, hc, iu, &ei), 0);
	rn = sizeof(rsp);
	assert_int_equal(cs_scp03_card_init_update(&c, &card_keys, &cp, iu, 14, rsp, &rn, &sw, &ei),
			 CS_ERR_SW);
	assert_int_equal(sw, 0x6A88);
	/* KVN 00 = first available */
	host_keys.kvn = 0x00;
	assert_int_equal(cs_scp03_host_init_update(&h, &host_keys, 0, hc, iu, &ei), 0);
	rn = sizeof(rsp);
	assert_int_equal(cs_scp03_card_init_update(&c, &card_keys, &cp, iu, 14, rsp, &rn, &sw, &ei),
			 0);
	assert_int_equal(cs_scp03_host_check_init_update(&h, &host_keys, rsp, rn, &ei), 0);
	assert_int_equal(h.kvn, 0x30);

	/* a host cryptogram with a valid C-MAC but wrong value: 6300 */
	h.host_cryptogram[0] ^= 0x01;
	assert_int_equal(cs_scp03_host_ext_auth(&h, 0x33, ea, &ei), 0);
	assert_int_equal(cs_scp03_card_ext_auth(&c, ea, 21, &sw, &ei), CS_ERR_SCP03_CRYPTOGRAM);
	assert_int_equal(sw, 0x6300);
	assert_int_equal(cs_scp03_host_ext_auth_result(&h, sw, &ei), CS_ERR_SCP03_CRYPTOGRAM);
	assert_int_equal(h.state, CS_SCP03_IDLE);
	/* EXTERNAL AUTHENTICATE without INITIALIZE UPDATE: 6985 */
	assert_int_equal(cs_scp03_card_ext_auth(&c, ea, 21, &sw, &ei), CS_ERR_SW);
	assert_int_equal(sw, 0x6985);
	cs_scp03_keys_clear(&card_keys);
	cs_scp03_keys_clear(&host_keys);
}

static void test_level_checks(void **state)
{
	struct cs_scp03_card_params cp = {.i_param = 0x10};
	struct cs_scp03_session h, c;
	struct cs_scp03_keys k;
	uint8_t hc[8] = {0}, iu[14], rsp[32], ea[21];
	size_t rn = sizeof(rsp);
	struct cs_errinfo ei;
	uint16_t sw;

	(void)state;
	pysim_keys(&k, 16, 0x30);
	assert_int_equal(cs_scp03_host_init_update(&h, &k, 0, hc, iu, &ei), 0);
	assert_int_equal(cs_scp03_card_init_update(&c, &k, &cp, iu, 14, rsp, &rn, &sw, &ei), 0);
	assert_int_equal(cs_scp03_host_check_init_update(&h, &k, rsp, rn, &ei), 0);
	assert_int_equal(cs_scp03_host_ext_auth(&h, 0x02, ea, &ei), CS_ERR_RANGE);
	assert_int_equal(cs_scp03_host_ext_auth(&h, 0x31, ea, &ei), CS_ERR_RANGE);
	/* i = 10: no R-MAC, no R-ENC on this card */
	assert_int_equal(cs_scp03_host_ext_auth(&h, 0x33, ea, &ei), CS_ERR_SCP03_UNSUPPORTED);
	assert_int_equal(cs_scp03_host_ext_auth(&h, 0x11, ea, &ei), CS_ERR_SCP03_UNSUPPORTED);
	assert_int_equal(cs_scp03_host_ext_auth(&h, 0x03, ea, &ei), 0);
	assert_int_equal(cs_scp03_card_ext_auth(&c, ea, 21, &sw, &ei), 0);
	cs_scp03_session_clear(&h);
	cs_scp03_session_clear(&c);

	/* S16 and non-SCP03 answers */
	memset(rsp, 0, sizeof(rsp));
	assert_int_equal(cs_scp03_host_init_update(&h, &k, 0, hc, iu, &ei), 0);
	assert_int_equal(cs_scp03_host_check_init_update(&h, &k, rsp, 28, &ei), CS_ERR_TRUNCATED);
	assert_int_equal(cs_scp03_host_init_update(&h, &k, 0, hc, iu, &ei), 0);
	rsp[10] = 0x30;
	rsp[11] = 0x02;
	assert_int_equal(cs_scp03_host_check_init_update(&h, &k, rsp, 29, &ei),
			 CS_ERR_SCP03_UNSUPPORTED);
	cs_scp03_keys_clear(&k);
}

static void test_wrap_limits(void **state)
{
	struct pair p;
	uint8_t cmd[300] = {0x00, 0xD6, 0x00, 0x00}, out[300];
	size_t on;

	(void)state;
	pair_open(&p, 16, 0x33, 0, 0x70);
	cmd[4] = 239;
	on = sizeof(out);
	assert_int_equal(cs_scp03_host_wrap(&p.host, cmd, 5 + 239, out, &on, NULL), 0);
	assert_int_equal(out[4], 248);
	cmd[4] = 240;
	on = sizeof(out);
	assert_int_equal(cs_scp03_host_wrap(&p.host, cmd, 5 + 240, out, &on, NULL), CS_ERR_LIMIT);
	/* extended length */
	cmd[4] = 0;
	cmd[5] = 0;
	cmd[6] = 1;
	on = sizeof(out);
	assert_int_equal(cs_scp03_host_wrap(&p.host, cmd, 8, out, &on, NULL), CS_ERR_UNSUPPORTED);
	/* SM bits already set */
	cmd[0] = 0x04;
	on = sizeof(out);
	assert_int_equal(cs_scp03_host_wrap(&p.host, cmd, 4, out, &on, NULL), CS_ERR_ARG);
	/* a card answer that does not fit: 240 bytes under R-ENC */
	on = 256 + 2;
	assert_int_equal(cs_scp03_card_wrap(&p.card, cmd, 240, 0x9000, out, &on, NULL),
			 CS_ERR_LIMIT);
	pair_close(&p);

	pair_open(&p, 16, 0x11, 0, 0x70);
	cmd[0] = 0x00;
	cmd[4] = 247;
	on = sizeof(out);
	assert_int_equal(cs_scp03_host_wrap(&p.host, cmd, 5 + 247, out, &on, NULL), 0);
	assert_int_equal(out[4], 255);
	cmd[4] = 248;
	on = sizeof(out);
	assert_int_equal(cs_scp03_host_wrap(&p.host, cmd, 5 + 248, out, &on, NULL), CS_ERR_LIMIT);
	pair_close(&p);
}

/* ---- the transport decorator over a card made of the card functions -----------------------------
 */

#define FILE_LEN 600

struct mock {
	struct cs_transport t;
	struct cs_scp03_keys keys;
	struct cs_scp03_session s;
	uint8_t file[FILE_LEN];
	uint8_t pending[300];
	size_t pending_len;
	unsigned apdus;
	bool tamper_rmac;
	bool refuse_sm_close;  /* MANAGE CHANNEL only in plain, as an OS that handles it itself */
	uint8_t last_cmd[300]; /* the last command other than GET RESPONSE */
	size_t last_cmd_len;
	size_t last_rsp_len;
};

/*
 * The card's plain command processing. Over T=0 a wrapped READ BINARY
 * arrives without Le (the TPDU has no room for it): the card then answers
 * as much as a wrapped answer can hold.
 */
static uint16_t mock_plain(struct mock *m, const uint8_t *c, size_t n, uint8_t *d, size_t *dl)
{
	size_t fits = (m->s.state == CS_SCP03_OPEN && (m->s.level & CS_SCP03_R_ENCRYPTION)) ? 239
		      : (m->s.state == CS_SCP03_OPEN && (m->s.level & CS_SCP03_R_MAC))      ? 248
											    : 256;

	*dl = 0;
	switch (c[1]) {
	case 0xA4:
		/* an FCP-sized answer when asked for one */
		if (n > 5 && n == 6u + c[4]) {
			memset(d, 0x62, 20);
			*dl = 20;
		}
		return 0x9000;
	case 0xB0: {
		size_t off = (size_t)(c[2] << 8 | c[3]), le = n == 5 ? (c[4] ? c[4] : 256) : fits;

		if (off >= FILE_LEN)
			return 0x6B00;
		if (le > FILE_LEN - off)
			le = FILE_LEN - off;
		memcpy(d, m->file + off, le);
		*dl = le;
		return 0x9000;
	}
	case 0x20: return 0x9000;
	case 0x70: return 0x9000;
	}
	return 0x6D00;
}

static int mock_transmit(struct cs_transport *t, const uint8_t *c, size_t n, uint8_t *r,
			 size_t *rlen, struct cs_errinfo *ei)
{
	struct mock *m = t->ctx;
	struct cs_scp03_card_params cp = {.i_param = 0x70};
	uint8_t plain[300], data[300];
	size_t pn = sizeof(plain), dl = 0, rn = *rlen;
	uint8_t ch = (c[0] & 0x40) ? (uint8_t)(4 + (c[0] & 0x0F)) : (uint8_t)(c[0] & 3);
	uint16_t sw;

	(void)ei;
	m->apdus++;
	if (c[1] != 0xC0) {
		memcpy(m->last_cmd, c, n);
		m->last_cmd_len = n;
	}
	if (c[1] == 0xC0) {
		size_t le = c[4] ? c[4] : 256;

		if (!m->pending_len) {
			r[0] = 0x69;
			r[1] = 0x85;
			*rlen = 2;
			return 0;
		}
		assert_true(le <= m->pending_len);
		memcpy(r, m->pending, m->pending_len);
		*rlen = m->pending_len;
		m->pending_len = 0;
		return 0;
	}
	if (c[1] == 0x50) {
		assert_int_equal(cs_scp03_random(cp.card_challenge, 8, NULL), 0);
		dl = sizeof(data);
		cs_scp03_card_init_update(&m->s, &m->keys, &cp, c, n, data, &dl, &sw, NULL);
		if (sw != 0x9000)
			dl = 0;
	} else if (c[1] == 0x82) {
		cs_scp03_card_ext_auth(&m->s, c, n, &sw, NULL);
	} else if (c[1] == 0x70 && (!(c[0] & 0x04) || m->refuse_sm_close)) {
		sw = 0x6882;
		if (!(c[0] & 0x04)) {
			if (c[2] == 0x80 && c[3] == m->s.channel)
				cs_scp03_session_clear(&m->s);
			sw = 0x9000;
		}
	} else if (m->s.state == CS_SCP03_OPEN && ch == m->s.channel) {
		if (cs_scp03_card_unwrap(&m->s, c, n, plain, &pn, &sw, NULL) == 0)
			sw = mock_plain(m, plain, pn, data, &dl);
		if (m->s.state == CS_SCP03_OPEN) {
			uint8_t w[300];
			size_t wn = sizeof(w);

			assert_int_equal(cs_scp03_card_wrap(&m->s, data, dl, sw, w, &wn, NULL), 0);
			if (m->tamper_rmac && wn > 2)
				w[wn - 3] ^= 1;
			dl = wn - 2;
			memcpy(data, w, dl);
			/* the session ends with its channel */
			if (c[1] == 0x70 && c[2] == 0x80)
				cs_scp03_session_clear(&m->s);
		}
	} else {
		sw = mock_plain(m, c, n, data, &dl);
	}
	/* T=0: data waits for GET RESPONSE */
	if (m->t.t0 && dl) {
		memcpy(m->pending, data, dl);
		m->pending[dl] = (uint8_t)(sw >> 8);
		m->pending[dl + 1] = (uint8_t)sw;
		m->pending_len = dl + 2;
		r[0] = 0x61;
		r[1] = (uint8_t)dl;
		*rlen = 2;
		return 0;
	}
	assert_true(dl + 2 <= rn);
	memcpy(r, data, dl);
	r[dl] = (uint8_t)(sw >> 8);
	r[dl + 1] = (uint8_t)sw;
	*rlen = dl + 2;
	m->last_rsp_len = *rlen;
	return 0;
}

static void mock_destroy(struct cs_transport *t)
{
	struct mock *m = t->ctx;

	cs_scp03_session_clear(&m->s);
	free(m);
}

static const struct cs_transport_ops mock_ops = {
	.name = "mock",
	.transmit = mock_transmit,
	.destroy = mock_destroy,
};

static struct mock *mock_new(size_t key_len, bool t0)
{
	struct mock *m = calloc(1, sizeof(*m));

	assert_non_null(m);
	m->t.ops = &mock_ops;
	m->t.ctx = m;
	m->t.t0 = t0;
	m->t.max_rsp_data = 256;
	m->t.max_cmd_data = 255;
	m->t.layer = "mock";
	pysim_keys(&m->keys, key_len, 0x30);
	for (size_t i = 0; i < FILE_LEN; i++)
		m->file[i] = (uint8_t)(i ^ (i >> 8));
	return m;
}

static int xmit(struct cs_transport *t, const uint8_t *c, size_t n, uint8_t *r, size_t *rn,
		struct cs_errinfo *ei)
{
	*rn = 1024;
	return cs_transport_transmit(t, c, n, r, rn, ei);
}

/* Reads the mock's file through t in chunks of t->max_rsp_data, as uicc does. */
static void read_file(struct cs_transport *t, uint8_t cla, size_t chunk_want)
{
	uint8_t buf[FILE_LEN], r[1024];
	size_t off = 0, rn;

	assert_int_equal(t->max_rsp_data, chunk_want);
	while (off < FILE_LEN) {
		size_t chunk = FILE_LEN - off < t->max_rsp_data ? FILE_LEN - off : t->max_rsp_data;
		uint8_t c[5] = {cla, 0xB0, (uint8_t)(off >> 8), (uint8_t)off, (uint8_t)chunk};

		assert_int_equal(xmit(t, c, 5, r, &rn, NULL), 0);
		assert_int_equal(rn, chunk + 2);
		assert_int_equal(r[rn - 2], 0x90);
		memcpy(buf + off, r, chunk);
		off += chunk;
	}
	for (size_t i = 0; i < FILE_LEN; i++)
		assert_int_equal(buf[i], (uint8_t)(i ^ (i >> 8)));
}

static void test_transport_open_read(void **state)
{
	static const struct {
		uint8_t level;
		bool t0;
		size_t key_len, rsp, cmd;
	} cases[] = {
		{0x33, false, 16, 239, 239}, {0x33, true, 32, 239, 239},
		{0x13, false, 24, 248, 239}, {0x11, true, 16, 248, 247},
		{0x03, false, 16, 256, 239}, {0x01, false, 32, 256, 247},
		{0x00, false, 16, 256, 255},
	};

	(void)state;
	for (size_t i = 0; i < COUNT(cases); i++) {
		struct mock *m = mock_new(cases[i].key_len, cases[i].t0);
		struct cs_transport *t;
		struct cs_errinfo ei;
		uint8_t r[1024], sel[] = {0x01, 0xA4, 0x04, 0x04, 0x02, 0xA0, 0x00, 0x00};
		size_t rn;

		assert_int_equal(
			cs_scp03_transport_new(&m->t, &m->keys, cases[i].level, 0, &t, &ei), 0);
		assert_int_equal(t->max_rsp_data, 256);
		assert_false(cs_scp03_is_open(t));
		/* before the session: plain */
		assert_int_equal(xmit(t, sel, sizeof(sel) - (cases[i].t0 ? 1 : 0), r, &rn, &ei), 0);
		assert_int_equal(m->last_cmd[0], 0x01);
		assert_int_equal(cs_scp03_open(t, 1, &ei), 0);
		assert_true(cs_scp03_is_open(t));
		assert_int_equal(cs_scp03_session_of(t)->level, cases[i].level);
		assert_int_equal(t->max_cmd_data, cases[i].cmd);
		read_file(t, 0x01, cases[i].rsp);
		if (cases[i].level)
			assert_int_equal(m->last_cmd[0], 0x05);
		/* the basic channel stays plain */
		{
			uint8_t rb[] = {0x00, 0xB0, 0x00, 0x00, 0x04};

			assert_int_equal(xmit(t, rb, 5, r, &rn, &ei), 0);
			assert_int_equal(m->last_cmd[0], 0x00);
			assert_int_equal(m->last_cmd_len, 5);
			/* passed through as it is: over T=0 the 61xx is the caller's (uicc) */
			if (cases[i].t0) {
				assert_int_equal(rn, 2);
				assert_int_equal(r[0], 0x61);
			} else {
				assert_int_equal(rn, 6);
			}
		}
		/* MANAGE CHANNEL close goes wrapped (4 + 1 + 8-byte C-MAC), ending the session */
		{
			uint8_t mc[] = {0x01, 0x70, 0x80, 0x01};

			assert_int_equal(xmit(t, mc, 4, r, &rn, &ei), 0);
			assert_int_equal(rn, 2);
			assert_int_equal(r[0], 0x90);
			if (cases[i].level) {
				assert_int_equal(m->last_cmd[0], 0x05);
				assert_int_equal(m->last_cmd_len, 13);
			} else {
				assert_int_equal(m->last_cmd_len, 4);
			}
			assert_false(cs_scp03_is_open(t));
			assert_int_equal(m->s.state, CS_SCP03_IDLE);
			assert_int_equal(t->max_rsp_data, 256);
		}
		/* every APDU on the wire: SELECT, INITIALIZE UPDATE, EXTERNAL AUTHENTICATE, ... */
		assert_int_equal(cs_scp03_apdus(t), m->apdus);
		cs_transport_destroy(t);
	}
	/* a card that refuses the wrapped MANAGE CHANNEL close gets it once more in plain */
	{
		struct mock *m = mock_new(16, false);
		struct cs_transport *t;
		struct cs_errinfo ei;
		uint8_t r[1024], mc[] = {0x01, 0x70, 0x80, 0x01};
		size_t rn;

		m->refuse_sm_close = true;
		assert_int_equal(cs_scp03_transport_new(&m->t, &m->keys, 0x33, 0, &t, &ei), 0);
		assert_int_equal(cs_scp03_open(t, 1, &ei), 0);
		assert_int_equal(xmit(t, mc, 4, r, &rn, &ei), 0);
		assert_int_equal(rn, 2);
		assert_int_equal(r[0], 0x90);
		assert_int_equal(m->apdus, 4);
		assert_int_equal(m->last_cmd_len, 4);
		assert_int_equal(m->last_cmd[0], 0x01);
		assert_false(cs_scp03_is_open(t));
		cs_transport_destroy(t);
	}
}

static void test_transport_failures(void **state)
{
	struct mock *m;
	struct cs_transport *t;
	struct cs_scp03_keys wrong;
	struct cs_errinfo ei;
	uint8_t r[1024], rb[] = {0x02, 0xB0, 0x00, 0x00, 0x10};
	size_t rn;
	unsigned before;

	(void)state;
	/* wrong keys: the card cryptogram does not match */
	m = mock_new(16, false);
	pysim_keys(&wrong, 16, 0x30);
	/* the cryptograms come from S-MAC: a wrong ENC key would only show later */
	wrong.mac[0] ^= 1;
	assert_int_equal(cs_scp03_transport_new(&m->t, &wrong, 0x33, 0, &t, &ei), 0);
	assert_int_equal(cs_scp03_open(t, 2, &ei), CS_ERR_SCP03_CRYPTOGRAM);
	assert_string_equal(ei.msg, "card cryptogram mismatch (wrong SCP03 keys or key version?)");
	assert_false(cs_scp03_is_open(t));
	cs_transport_destroy(t);

	/* a key version the card does not have */
	m = mock_new(16, false);
	wrong = m->keys;
	wrong.kvn = 0x3F;
	assert_int_equal(cs_scp03_transport_new(&m->t, &wrong, 0x33, 0, &t, &ei), 0);
	assert_int_equal(cs_scp03_open(t, 2, &ei), CS_ERR_SCP03_UNSUPPORTED);
	assert_non_null(strstr(ei.msg, "6A88"));
	cs_transport_destroy(t);
	cs_scp03_keys_clear(&wrong);

	/* a tampered R-MAC: error, then the channel refuses to go plain */
	m = mock_new(16, false);
	assert_int_equal(cs_scp03_transport_new(&m->t, &m->keys, 0x33, 0, &t, &ei), 0);
	assert_int_equal(cs_scp03_open(t, 2, &ei), 0);
	assert_int_equal(xmit(t, rb, 5, r, &rn, &ei), 0);
	m->tamper_rmac = true;
	assert_int_equal(xmit(t, rb, 5, r, &rn, &ei), CS_ERR_SCP03_MAC);
	assert_false(cs_scp03_is_open(t));
	before = m->apdus;
	assert_int_equal(xmit(t, rb, 5, r, &rn, &ei), CS_ERR_SCP03_MAC);
	assert_int_equal(m->apdus, before);
	/* other channels still work; closing the channel clears the refusal */
	rb[0] = 0x00;
	assert_int_equal(xmit(t, rb, 5, r, &rn, &ei), 0);
	{
		uint8_t mc[] = {0x02, 0x70, 0x80, 0x02};

		assert_int_equal(xmit(t, mc, 4, r, &rn, &ei), 0);
	}
	rb[0] = 0x02;
	assert_int_equal(xmit(t, rb, 5, r, &rn, &ei), 0);
	assert_int_equal(m->last_cmd[0], 0x02);
	/* cs_scp03_open on something else */
	assert_int_equal(cs_scp03_open(&m->t, 1, &ei), CS_ERR_ARG);
	assert_null(cs_scp03_session_of(&m->t));
	assert_int_equal(cs_scp03_open(t, 20, &ei), CS_ERR_RANGE);
	cs_transport_destroy(t);

	/* invalid level */
	m = mock_new(16, false);
	assert_int_equal(cs_scp03_transport_new(&m->t, &m->keys, 0x31, 0, &t, &ei), CS_ERR_RANGE);
	mock_destroy(&m->t);
}

struct trace_log {
	unsigned n;
	char layer[8][16];
	uint8_t c[8][300];
	size_t clen[8];
	unsigned redact[8];
};

static void trace_hook(void *arg, const char *layer, const uint8_t *capdu, size_t clen,
		       const uint8_t *rapdu, size_t rlen, int err, double elapsed_ms,
		       unsigned redact)
{
	struct trace_log *l = arg;

	(void)rapdu;
	(void)rlen;
	(void)err;
	(void)elapsed_ms;
	if (l->n >= 8)
		return;
	snprintf(l->layer[l->n], sizeof(l->layer[0]), "%s", layer);
	memcpy(l->c[l->n], capdu, clen);
	l->clen[l->n] = clen;
	l->redact[l->n] = redact;
	l->n++;
}

static void test_transport_trace(void **state)
{
	static const uint8_t verify[] = {0x01, 0x20, 0x00, 0x01, 0x08, '1', '2',
					 '3',  '4',  0xFF, 0xFF, 0xFF, 0xFF};
	static const uint8_t levels[] = {0x33, 0x11};

	(void)state;
	for (size_t li = 0; li < COUNT(levels); li++) {
		struct mock *m = mock_new(16, false);
		struct trace_log log = {0};
		struct cs_transport *t;
		struct cs_errinfo ei;
		uint8_t r[1024];
		size_t rn;

		m->t.trace = trace_hook;
		m->t.trace_arg = &log;
		assert_int_equal(cs_scp03_transport_new(&m->t, &m->keys, levels[li],
							CS_SCP03_TRACE_PLAIN, &t, &ei),
				 0);
		assert_int_equal(cs_scp03_open(t, 1, &ei), 0);
		/* INITIALIZE UPDATE and EXTERNAL AUTHENTICATE on the wire */
		assert_int_equal(log.n, 2);
		assert_string_equal(log.layer[0], "mock");
		assert_int_equal(log.c[0][0], 0x81);
		assert_int_equal(log.c[0][1], 0x50);
		assert_int_equal(log.c[1][0], 0x85);
		assert_int_equal(log.c[1][2], levels[li]);
		log.n = 0;
		t->redact_next = CS_REDACT_CMD_DATA;
		assert_int_equal(xmit(t, verify, sizeof(verify), r, &rn, &ei), 0);
		assert_int_equal(log.n, 2);
		/* first the wire (inner), then the plain APDU at the decorator */
		assert_string_equal(log.layer[0], "mock");
		assert_int_equal(log.c[0][0], 0x05);
		assert_string_equal(log.layer[1], "scp03");
		assert_int_equal(log.clen[1], sizeof(verify));
		assert_memory_equal(log.c[1], verify, sizeof(verify));
		assert_int_equal(log.redact[1], CS_REDACT_CMD_DATA);
		/* in clear on the wire under 11: masked; encrypted under 33: shown */
		if (levels[li] & CS_SCP03_C_DECRYPTION) {
			assert_int_equal(log.redact[0] & CS_REDACT_CMD_DATA, 0);
			assert_memory_not_equal(log.c[0] + 5, verify + 5, 8);
		} else {
			assert_int_equal(log.redact[0] & CS_REDACT_CMD_DATA, CS_REDACT_CMD_DATA);
			assert_memory_equal(log.c[0] + 5, verify + 5, 8);
		}
		/* a command passed through is traced once, on the wire */
		log.n = 0;
		{
			uint8_t rb[] = {0x00, 0xB0, 0x00, 0x00, 0x04};

			assert_int_equal(xmit(t, rb, 5, r, &rn, &ei), 0);
		}
		assert_int_equal(log.n, 1);
		assert_string_equal(log.layer[0], "mock");
		cs_transport_destroy(t);
	}
	/* a borrowed inner transport outlives the decorator */
	{
		struct mock *m = mock_new(16, false);
		struct cs_transport *t;
		struct cs_errinfo ei;
		uint8_t r[1024], rb[] = {0x00, 0xB0, 0x00, 0x00, 0x04};
		size_t rn;

		assert_int_equal(cs_scp03_transport_new(&m->t, &m->keys, 0x33,
							CS_SCP03_BORROW_INNER, &t, &ei),
				 0);
		assert_int_equal(cs_scp03_open(t, 1, &ei), 0);
		cs_transport_destroy(t);
		assert_int_equal(xmit(&m->t, rb, 5, r, &rn, &ei), 0);
		assert_int_equal(rn, 6);
		mock_destroy(&m->t);
	}
}

/* ---- keys file --------------------------------------------------------------------------------
 */

static char tmpdir[64];

static int keys_setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/cs-scp03-test-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int keys_teardown(void **state)
{
	(void)state;
	return rmdir(tmpdir);
}

static int load_text(const char *text, mode_t mode, struct cs_scp03_keys *k, struct cs_errinfo *ei)
{
	char path[128];
	FILE *f;
	int err;

	snprintf(path, sizeof(path), "%s/keys", tmpdir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
	cs_errinfo_clear(ei);
	err = cs_scp03_keys_load(path, k, ei);
	unlink(path);
	return err;
}

static void test_keys_file(void **state)
{
	struct cs_scp03_keys k, want;
	struct cs_errinfo ei;

	(void)state;
	pysim_keys(&want, 16, 0x30);
	assert_int_equal(load_text("# LwM2M card keys\n"
				   "kvn=30\n"
				   "  enc = 000102030405060708090A0B0C0D0E0F\n"
				   "\n"
				   "mac=10:11:12:13:14:15:16:17:18:19:1a:1b:1c:1d:1e:1f  # MAC\r\n"
				   "DEK=202122232425262728292A2B2C2D2E2F",
				   0600, &k, &ei),
			 0);
	assert_int_equal(k.kvn, 0x30);
	assert_int_equal(k.len, 16);
	assert_memory_equal(k.enc, want.enc, 16);
	assert_memory_equal(k.mac, want.mac, 16);
	assert_memory_equal(k.dek, want.dek, 16);
	assert_true(k.has_dek);

	/* AES-256, no dek, kvn defaults to 00, mode 0400 */
	assert_int_equal(
		load_text("enc=000102030405060708090A0B0C0D0E0F000102030405060708090A0B0C0D0E0F\n"
			  "mac=101112131415161718191A1B1C1D1E1F101112131415161718191A1B1C1D1E1F\n",
			  0400, &k, &ei),
		0);
	assert_int_equal(k.len, 32);
	assert_int_equal(k.kvn, 0);
	assert_false(k.has_dek);

	/* group or world access is refused before anything is parsed */
	assert_int_equal(load_text("enc=000102030405060708090A0B0C0D0E0F\n", 0644, &k, &ei),
			 CS_ERR_PERM);
	assert_non_null(strstr(ei.msg, "0644"));
	assert_non_null(strstr(ei.msg, "chmod 600"));
	assert_int_equal(load_text("enc=000102030405060708090A0B0C0D0E0F\n", 0640, &k, &ei),
			 CS_ERR_PERM);
	assert_int_equal(load_text("enc=000102030405060708090A0B0C0D0E0F\n", 0602, &k, &ei),
			 CS_ERR_PERM);

	/* bad hex names the line, never the value */
	assert_int_equal(load_text("kvn=30\n# c\nenc=000102030405060708090A0B0C0D0E0G\n"
				   "mac=101112131415161718191A1B1C1D1E1F\n",
				   0600, &k, &ei),
			 CS_ERR_MALFORMED);
	assert_non_null(strstr(ei.msg, "line 3"));
	assert_non_null(strstr(ei.msg, "enc"));
	assert_null(strstr(ei.msg, "0001020304"));
	assert_int_equal(k.len, 0);

	/* wrong length */
	assert_int_equal(load_text("enc=000102030405060708090A0B0C0D0E\n"
				   "mac=101112131415161718191A1B1C1D1E1F\n",
				   0600, &k, &ei),
			 CS_ERR_RANGE);
	assert_non_null(strstr(ei.msg, "line 1"));
	assert_non_null(strstr(ei.msg, "15 bytes"));

	/* lengths differ */
	assert_int_equal(load_text("enc=000102030405060708090A0B0C0D0E0F\n"
				   "mac=101112131415161718191A1B1C1D1E1F1011121314151617\n",
				   0600, &k, &ei),
			 CS_ERR_RANGE);
	assert_non_null(strstr(ei.msg, "line 2"));

	/* missing mac, unknown name, duplicate, no '=', odd digits, long kvn */
	assert_int_equal(load_text("enc=000102030405060708090A0B0C0D0E0F\n", 0600, &k, &ei),
			 CS_ERR_MALFORMED);
	assert_non_null(strstr(ei.msg, "mac missing"));
	assert_int_equal(load_text("kek=000102030405060708090A0B0C0D0E0F\n", 0600, &k, &ei),
			 CS_ERR_MALFORMED);
	assert_non_null(strstr(ei.msg, "unknown name \"kek\""));
	/* found by fuzzing: a name that may be key material is never quoted */
	assert_int_equal(load_text("enc 404142434445464748494A4B4C4D4E4F=\n", 0600, &k, &ei),
			 CS_ERR_MALFORMED);
	assert_non_null(strstr(ei.msg, "line 1: unknown name before '='"));
	assert_null(strstr(ei.msg, "4041424344"));
	assert_int_equal(load_text("mac=101112131415161718191A1B1C1D1E1F\n"
				   "QEFCQ0RFRkdISUpLTE1OTw==\n",
				   0600, &k, &ei),
			 CS_ERR_MALFORMED);
	assert_non_null(strstr(ei.msg, "line 2: unknown name before '='"));
	assert_null(strstr(ei.msg, "QEFC"));
	assert_int_equal(load_text("deadbeef=000102030405060708090A0B0C0D0E0F\n", 0600, &k, &ei),
			 CS_ERR_MALFORMED);
	assert_null(strstr(ei.msg, "deadbeef"));
	assert_int_equal(load_text("enc=000102030405060708090A0B0C0D0E0F\n"
				   "enc=000102030405060708090A0B0C0D0E0F\n",
				   0600, &k, &ei),
			 CS_ERR_MALFORMED);
	assert_non_null(strstr(ei.msg, "line 2: enc given twice"));
	assert_int_equal(load_text("enc 000102030405060708090A0B0C0D0E0F\n", 0600, &k, &ei),
			 CS_ERR_MALFORMED);
	assert_non_null(strstr(ei.msg, "line 1"));
	assert_int_equal(load_text("mac=101112131415161718191A1B1C1D1E1\n", 0600, &k, &ei),
			 CS_ERR_MALFORMED);
	assert_int_equal(load_text("kvn=3030\n", 0600, &k, &ei), CS_ERR_RANGE);

	/* no such file */
	assert_int_equal(cs_scp03_keys_load("/nonexistent/cardstrap-keys", &k, &ei), CS_ERR_IO);
	cs_scp03_keys_clear(&want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors_host),
		cmocka_unit_test(test_vectors_card),
		cmocka_unit_test(test_aes128_33_example),
		cmocka_unit_test(test_kcv),
		cmocka_unit_test(test_kdf),
		cmocka_unit_test(test_levels),
		cmocka_unit_test(test_round_trips),
		cmocka_unit_test(test_channels_cla),
		cmocka_unit_test(test_tampered_rmac),
		cmocka_unit_test(test_tampered_cmac),
		cmocka_unit_test(test_wrong_keys),
		cmocka_unit_test(test_level_checks),
		cmocka_unit_test(test_wrap_limits),
		cmocka_unit_test(test_transport_open_read),
		cmocka_unit_test(test_transport_failures),
		cmocka_unit_test(test_transport_trace),
		cmocka_unit_test_setup_teardown(test_keys_file, keys_setup, keys_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
