/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mbedtls/aes.h>
#include <mbedtls/cipher.h>
#include <mbedtls/cmac.h>
#include <mbedtls/constant_time.h>

#include "cardstrap/buf.h"
#include "cardstrap/encoding.h"
#include "cardstrap/scp03.h"

#define INS_INIT_UPDATE    0x50
#define INS_EXT_AUTH       0x82
#define INS_GET_RESPONSE   0xC0
#define INS_MANAGE_CHANNEL 0x70
#define SCP_ID             0x03
#define MAX_CHANNEL        19
#define KEYS_FILE_MAX      4096

#define SW_OK           0x9000
#define SW_AUTH_FAILED  0x6300
#define SW_WRONG_LENGTH 0x6700
#define SW_SECURITY     0x6982
#define SW_CONDITIONS   0x6985
#define SW_P1P2         0x6A86
#define SW_NO_KEY       0x6A88
#define SW_INS          0x6D00
#define SW_CLA          0x6E00

/* ---- AES primitives (mbedtls) ------------------------------------------------------------- */

static bool key_len_ok(size_t len)
{
	return len == 16 || len == 24 || len == 32;
}

/* AES-CMAC over the concatenation a || b || c (any part may be empty). */
static int cmac3(const uint8_t *key, size_t key_len, const uint8_t *a, size_t alen,
		 const uint8_t *b, size_t blen, const uint8_t *c, size_t clen,
		 uint8_t out[CS_SCP03_BLOCK])
{
	static const mbedtls_cipher_type_t types[] = {
		MBEDTLS_CIPHER_AES_128_ECB, MBEDTLS_CIPHER_AES_192_ECB, MBEDTLS_CIPHER_AES_256_ECB};
	const mbedtls_cipher_info_t *info;
	mbedtls_cipher_context_t ctx;
	int rc;

	if (!key_len_ok(key_len))
		return CS_ERR_ARG;
	info = mbedtls_cipher_info_from_type(types[(key_len - 16) / 8]);
	if (!info)
		return CS_ERR_UNSUPPORTED;
	mbedtls_cipher_init(&ctx);
	rc = mbedtls_cipher_setup(&ctx, info);
	if (!rc)
		rc = mbedtls_cipher_cmac_starts(&ctx, key, key_len * 8);
	if (!rc && alen)
		rc = mbedtls_cipher_cmac_update(&ctx, a, alen);
	if (!rc && blen)
		rc = mbedtls_cipher_cmac_update(&ctx, b, blen);
	if (!rc && clen)
		rc = mbedtls_cipher_cmac_update(&ctx, c, clen);
	if (!rc)
		rc = mbedtls_cipher_cmac_finish(&ctx, out);
	mbedtls_cipher_free(&ctx);
	return rc ? CS_ERR_UNSUPPORTED : 0;
}

static int aes_ecb_encrypt(const uint8_t *key, size_t key_len, const uint8_t in[CS_SCP03_BLOCK],
			   uint8_t out[CS_SCP03_BLOCK])
{
	mbedtls_aes_context aes;
	int rc;

	mbedtls_aes_init(&aes);
	rc = mbedtls_aes_setkey_enc(&aes, key, (unsigned)(key_len * 8));
	if (!rc)
		rc = mbedtls_aes_crypt_ecb(&aes, MBEDTLS_AES_ENCRYPT, in, out);
	mbedtls_aes_free(&aes);
	return rc ? CS_ERR_ARG : 0;
}

/* AES-CBC over n bytes (a multiple of 16); in and out may be the same buffer. */
static int aes_cbc(const uint8_t *key, size_t key_len, bool encrypt,
		   const uint8_t icv[CS_SCP03_BLOCK], const uint8_t *in, size_t n, uint8_t *out)
{
	mbedtls_aes_context aes;
	uint8_t iv[CS_SCP03_BLOCK];
	int rc;

	memcpy(iv, icv, sizeof(iv));
	mbedtls_aes_init(&aes);
	rc = encrypt ? mbedtls_aes_setkey_enc(&aes, key, (unsigned)(key_len * 8))
		     : mbedtls_aes_setkey_dec(&aes, key, (unsigned)(key_len * 8));
	if (!rc)
		rc = mbedtls_aes_crypt_cbc(
			&aes, encrypt ? MBEDTLS_AES_ENCRYPT : MBEDTLS_AES_DECRYPT, n, iv, in, out);
	mbedtls_aes_free(&aes);
	cs_zeroize(iv, sizeof(iv));
	return rc ? CS_ERR_ARG : 0;
}

static bool equal_ct(const uint8_t *a, const uint8_t *b, size_t n)
{
	return mbedtls_ct_memcmp(a, b, n) == 0;
}

int cs_scp03_kcv(const uint8_t *key, size_t key_len, uint8_t kcv[CS_SCP03_KCV_LEN])
{
	uint8_t in[CS_SCP03_BLOCK], out[CS_SCP03_BLOCK];
	int err;

	if (!key || !kcv || !key_len_ok(key_len))
		return CS_ERR_ARG;
	/* GP AES key check value: the first 3 bytes of AES-ECB(key, 16 × 01) */
	memset(in, 0x01, sizeof(in));
	err = aes_ecb_encrypt(key, key_len, in, out);
	if (!err)
		memcpy(kcv, out, CS_SCP03_KCV_LEN);
	cs_zeroize(out, sizeof(out));
	return err;
}

int cs_scp03_kdf(const uint8_t *key, size_t key_len, uint8_t constant, const uint8_t *context,
		 size_t context_len, uint8_t *out, size_t out_len)
{
	uint8_t fixed[16], block[CS_SCP03_BLOCK];
	size_t done = 0, bits = out_len * 8;
	unsigned i;
	int err = 0;

	if (!key || !out || (!context && context_len) || !key_len_ok(key_len))
		return CS_ERR_ARG;
	if (out_len == 0 || out_len > 255 * (size_t)CS_SCP03_BLOCK)
		return CS_ERR_RANGE;
	/* GP Amd D KDF: (11 × 00 || constant) || 00 || L (bits, 2 bytes BE) || i || context */
	memset(fixed, 0, sizeof(fixed));
	fixed[11] = constant;
	fixed[13] = (uint8_t)(bits >> 8);
	fixed[14] = (uint8_t)bits;
	for (i = 1; done < out_len; i++) {
		size_t n = out_len - done < CS_SCP03_BLOCK ? out_len - done : CS_SCP03_BLOCK;

		fixed[15] = (uint8_t)i;
		err = cmac3(key, key_len, fixed, sizeof(fixed), context, context_len, NULL, 0,
			    block);
		if (err)
			break;
		memcpy(out + done, block, n);
		done += n;
	}
	cs_zeroize(block, sizeof(block));
	if (err)
		cs_zeroize(out, out_len);
	return err;
}

bool cs_scp03_level_valid(uint8_t level)
{
	/* GP Amd D: encryption needs the matching MAC; R-ENC also needs C-DECRYPTION */
	switch (level) {
	case 0x00:
	case 0x01:
	case 0x03:
	case 0x11:
	case 0x13:
	case 0x33: return true;
	}
	return false;
}

/* ---- key sets ------------------------------------------------------------------------------ */

void cs_scp03_keys_clear(struct cs_scp03_keys *k)
{
	if (k)
		cs_zeroize(k, sizeof(*k));
}

int cs_scp03_keys_set(struct cs_scp03_keys *k, uint8_t kvn, const uint8_t *enc, const uint8_t *mac,
		      const uint8_t *dek, size_t len, struct cs_errinfo *ei)
{
	if (!k || !enc || !mac)
		return cs_error(ei, CS_ERR_ARG, -1, "SCP03 key set: ENC and MAC keys are required");
	cs_scp03_keys_clear(k);
	if (!key_len_ok(len))
		return cs_error(ei, CS_ERR_RANGE, -1,
				"SCP03 keys are %zu bytes; AES needs 16, 24 or 32", len);
	k->kvn = kvn;
	k->len = len;
	memcpy(k->enc, enc, len);
	memcpy(k->mac, mac, len);
	if (dek) {
		memcpy(k->dek, dek, len);
		k->has_dek = true;
	}
	return 0;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Trims [*b, *e) of blanks on both sides. */
static void trim(const char *text, size_t *b, size_t *e)
{
	while (*b < *e && is_space(text[*b]))
		(*b)++;
	while (*e > *b && is_space(text[*e - 1]))
		(*e)--;
}

enum key_field { F_KVN, F_ENC, F_MAC, F_DEK, F_COUNT };

/* A name a message may quote: a short word that is not hex (else it may be key material). */
static bool quotable_name(const char *s, size_t n)
{
	bool hex = true;

	if (n == 0 || n > 12)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '-'))
			return false;
		hex = hex && ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'));
	}
	return !hex;
}

static int keys_line(const char *text, size_t b, size_t e, unsigned line, bool *seen,
		     struct cs_buf *val, struct cs_errinfo *ei)
{
	static const char *const names[F_COUNT] = {"kvn", "enc", "mac", "dek"};
	size_t eq, nb = b, ne, vb, ve = e;
	int f;

	for (eq = b; eq < e && text[eq] != '='; eq++)
		;
	if (eq == e)
		return cs_error(ei, CS_ERR_MALFORMED, (long)b,
				"SCP03 keys line %u: expected name=value", line);
	ne = eq;
	trim(text, &nb, &ne);
	for (f = 0; f < F_COUNT; f++)
		if (ne - nb == strlen(names[f]) && strncasecmp(text + nb, names[f], ne - nb) == 0)
			break;
	if (f == F_COUNT && quotable_name(text + nb, ne - nb))
		return cs_error(ei, CS_ERR_MALFORMED, (long)b,
				"SCP03 keys line %u: unknown name \"%.*s\" (kvn, enc, mac or dek)",
				line, (int)(ne - nb), text + nb);
	if (f == F_COUNT)
		return cs_error(
			ei, CS_ERR_MALFORMED, (long)b,
			"SCP03 keys line %u: unknown name before '=' (kvn, enc, mac or dek; "
			"not quoted, it may be key material)",
			line);
	if (seen[f])
		return cs_error(ei, CS_ERR_MALFORMED, (long)b, "SCP03 keys line %u: %s given twice",
				line, names[f]);
	seen[f] = true;
	vb = eq + 1;
	trim(text, &vb, &ve);
	cs_buf_free(val);
	/* no errinfo: the message would quote a character of the key */
	if (vb == ve || cs_hex_decode(text + vb, ve - vb, val, NULL) != 0 || val->len == 0)
		return cs_error(ei, CS_ERR_MALFORMED, (long)b,
				"SCP03 keys line %u: %s is not a hex value", line, names[f]);
	if (f == F_KVN) {
		if (val->len != 1)
			return cs_error(ei, CS_ERR_RANGE, (long)b,
					"SCP03 keys line %u: kvn must be one byte (hex, e.g. 30)",
					line);
	} else if (!key_len_ok(val->len)) {
		return cs_error(ei, CS_ERR_RANGE, (long)b,
				"SCP03 keys line %u: %s is %zu bytes; AES keys are 16, 24 or 32",
				line, names[f], val->len);
	}
	return f;
}

int cs_scp03_keys_parse(const char *text, size_t len, struct cs_scp03_keys *k,
			struct cs_errinfo *ei)
{
	bool seen[F_COUNT] = {false};
	unsigned line = 0, key_line = 0;
	struct cs_buf val = {0};
	size_t pos = 0;
	int err = 0;

	if (!k || (!text && len))
		return cs_error(ei, CS_ERR_ARG, -1, "SCP03 keys: nothing to parse");
	cs_scp03_keys_clear(k);
	while (pos < len) {
		size_t b = pos, e = pos;
		int f;

		while (e < len && text[e] != '\n')
			e++;
		pos = e < len ? e + 1 : e;
		line++;
		trim(text, &b, &e);
		if (b == e || text[b] == '#')
			continue;
		f = keys_line(text, b, e, line, seen, &val, ei);
		if (f < 0) {
			err = f;
			break;
		}
		if (f == F_KVN) {
			k->kvn = val.data[0];
			continue;
		}
		if (k->len && val.len != k->len) {
			err = cs_error(ei, CS_ERR_RANGE, (long)b,
				       "SCP03 keys line %u: key is %zu bytes, line %u had %zu; all "
				       "keys of a set have one length",
				       line, val.len, key_line, k->len);
			break;
		}
		k->len = val.len;
		key_line = line;
		memcpy(f == F_ENC ? k->enc : f == F_MAC ? k->mac : k->dek, val.data, val.len);
		if (f == F_DEK)
			k->has_dek = true;
	}
	cs_buf_free(&val);
	if (!err && (!seen[F_ENC] || !seen[F_MAC]))
		err = cs_error(ei, CS_ERR_MALFORMED, -1, "SCP03 keys: %s missing",
			       !seen[F_ENC] ? "enc" : "mac");
	if (err)
		cs_scp03_keys_clear(k);
	return err;
}

int cs_scp03_keys_load(const char *path, struct cs_scp03_keys *k, struct cs_errinfo *ei)
{
	char *text = NULL;
	struct stat st;
	size_t n = 0;
	int fd, err = 0;

	if (!path || !k)
		return cs_error(ei, CS_ERR_ARG, -1, "SCP03 keys: no file");
	cs_scp03_keys_clear(k);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return cs_error(ei, errno == EACCES ? CS_ERR_PERM : CS_ERR_IO, -1,
				"cannot open SCP03 keys file %s: %s", path, strerror(errno));
	/* fstat of the opened file: what is checked is what is read */
	if (fstat(fd, &st) != 0) {
		err = cs_error(ei, CS_ERR_IO, -1, "cannot stat SCP03 keys file %s: %s", path,
			       strerror(errno));
	} else if (!S_ISREG(st.st_mode)) {
		err = cs_error(ei, CS_ERR_PERM, -1, "SCP03 keys file %s is not a regular file",
			       path);
	} else if (st.st_mode & 077) {
		err = cs_error(ei, CS_ERR_PERM, -1,
			       "SCP03 keys file %s has mode %04o: group or others may access it; "
			       "run chmod 600 on it",
			       path, (unsigned)(st.st_mode & 07777));
	} else if (st.st_size > KEYS_FILE_MAX) {
		err = cs_error(ei, CS_ERR_LIMIT, -1, "SCP03 keys file %s is larger than %d bytes",
			       path, KEYS_FILE_MAX);
	}
	if (!err) {
		text = malloc(KEYS_FILE_MAX + 1);
		if (!text)
			err = cs_error(ei, CS_ERR_NOMEM, -1, "SCP03 keys: out of memory");
	}
	while (!err) {
		ssize_t r = read(fd, text + n, KEYS_FILE_MAX + 1 - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			err = cs_error(ei, CS_ERR_IO, -1, "cannot read SCP03 keys file %s: %s",
				       path, strerror(errno));
		else if (r == 0)
			break;
		else if ((n += (size_t)r) > KEYS_FILE_MAX)
			err = cs_error(ei, CS_ERR_LIMIT, -1,
				       "SCP03 keys file %s is larger than %d bytes", path,
				       KEYS_FILE_MAX);
	}
	close(fd);
	if (!err) {
		err = cs_scp03_keys_parse(text, n, k, ei);
		if (err && ei) {
			char msg[sizeof(ei->msg)];

			memcpy(msg, ei->msg, sizeof(msg));
			cs_error(ei, err, ei->offset, "%s: %s", path, msg);
		}
	}
	cs_free_secret(text, KEYS_FILE_MAX + 1);
	return err;
}

/* ---- class byte and APDU layout ------------------------------------------------------------ */

/* First interindustry (and GP 8x) vs further interindustry (4x, Cx/Ex) coding. */
static bool cla_further(uint8_t cla)
{
	return (cla & 0x40) != 0;
}

/* 001x xxxx is reserved, 101x xxxx proprietary without channel coding (GSM A0). */
static bool cla_coded(uint8_t cla)
{
	return (cla & 0x60) != 0x20 && cla != 0xFF;
}

static uint8_t cla_channel(uint8_t cla)
{
	return cla_further(cla) ? (uint8_t)(4 + (cla & 0x0F)) : (uint8_t)(cla & 0x03);
}

static bool cla_has_sm(uint8_t cla)
{
	return cla_further(cla) ? (cla & 0x20) != 0 : (cla & 0x0C) != 0;
}

/* Transmitted CLA: channel kept, b3 set (channels 0-3) or b6 set (4-19). */
static uint8_t cla_sm(uint8_t cla)
{
	return cla_further(cla) ? (uint8_t)(cla | 0x20) : (uint8_t)((cla & ~0x08) | 0x04);
}

static uint8_t cla_plain(uint8_t cla)
{
	return cla_further(cla) ? (uint8_t)(cla & ~0x20) : (uint8_t)(cla & ~0x0C);
}

/* GP Amd D C-MAC: CLA in the MAC input, channel zero, b4 clear, b3 set; b8 and chaining kept. */
static uint8_t cla_mac(uint8_t cla)
{
	return (uint8_t)((cla & 0x90) | 0x04);
}

static uint8_t gp_cla(uint8_t channel, bool sm)
{
	if (channel < 4)
		return (uint8_t)(0x80 | (sm ? 0x04 : 0) | channel);
	return (uint8_t)(0xC0 | (sm ? 0x20 : 0) | (channel - 4));
}

static bool sw_protected(uint16_t sw)
{
	/* GP Amd D R-MAC: only 9000 and the warnings 62xx/63xx carry data and R-MAC */
	return sw == SW_OK || (sw >> 8) == 0x62 || (sw >> 8) == 0x63;
}

struct capdu {
	uint8_t cla, ins, p1, p2;
	const uint8_t *data;
	size_t lc;
	bool has_le;
	uint8_t le;
};

/* Short APDU, cases 1-4. CS_ERR_UNSUPPORTED for extended lengths, CS_ERR_ARG otherwise. */
static int parse_capdu(const uint8_t *c, size_t n, struct capdu *a)
{
	memset(a, 0, sizeof(*a));
	if (!c || n < 4)
		return CS_ERR_ARG;
	a->cla = c[0];
	a->ins = c[1];
	a->p1 = c[2];
	a->p2 = c[3];
	if (n == 4)
		return 0;
	if (n == 5) {
		a->has_le = true;
		a->le = c[4];
		return 0;
	}
	if (c[4] == 0)
		return CS_ERR_UNSUPPORTED;
	a->lc = c[4];
	if (n != 5 + a->lc && n != 6 + a->lc)
		return CS_ERR_ARG;
	a->data = c + 5;
	if (n == 6 + a->lc) {
		a->has_le = true;
		a->le = c[5 + a->lc];
	}
	return 0;
}

static size_t pad80_len(size_t n)
{
	return (n / CS_SCP03_BLOCK + 1) * CS_SCP03_BLOCK;
}

/* Strips 80 00..00; false when the 80 is missing. */
static bool unpad80(const uint8_t *p, size_t n, size_t *out)
{
	while (n > 0 && p[n - 1] == 0x00)
		n--;
	if (n == 0 || p[n - 1] != 0x80)
		return false;
	*out = n - 1;
	return true;
}

/* ---- session ----------------------------------------------------------------------------- */

void cs_scp03_session_clear(struct cs_scp03_session *s)
{
	if (s)
		cs_zeroize(s, sizeof(*s));
}

int cs_scp03_random(uint8_t *out, size_t len, struct cs_errinfo *ei)
{
	size_t done = 0;

	while (done < len) {
		ssize_t r = getrandom(out + done, len - done, 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return cs_error(ei, CS_ERR_IO, -1,
					"no random bytes for the host challenge: %s",
					strerror(errno));
		done += (size_t)r;
	}
	return 0;
}

/* GP Amd D key derivation: S-ENC, S-MAC, S-RMAC and both cryptograms from the two challenges. */
static int derive(struct cs_scp03_session *s, const struct cs_scp03_keys *k)
{
	uint8_t ctx[2 * CS_SCP03_S8];
	int err;

	memcpy(ctx, s->host_challenge, CS_SCP03_S8);
	memcpy(ctx + CS_SCP03_S8, s->card_challenge, CS_SCP03_S8);
	s->key_len = k->len;
	err = cs_scp03_kdf(k->enc, k->len, CS_SCP03_DC_S_ENC, ctx, sizeof(ctx), s->s_enc, k->len);
	if (!err)
		err = cs_scp03_kdf(k->mac, k->len, CS_SCP03_DC_S_MAC, ctx, sizeof(ctx), s->s_mac,
				   k->len);
	if (!err)
		err = cs_scp03_kdf(k->mac, k->len, CS_SCP03_DC_S_RMAC, ctx, sizeof(ctx), s->s_rmac,
				   k->len);
	if (!err)
		err = cs_scp03_kdf(s->s_mac, k->len, CS_SCP03_DC_CARD_CRYPTOGRAM, ctx, sizeof(ctx),
				   s->card_cryptogram, CS_SCP03_S8);
	if (!err)
		err = cs_scp03_kdf(s->s_mac, k->len, CS_SCP03_DC_HOST_CRYPTOGRAM, ctx, sizeof(ctx),
				   s->host_cryptogram, CS_SCP03_S8);
	memset(s->mcv, 0, sizeof(s->mcv));
	s->counter = 0;
	return err;
}

/* C-MAC over MCV || CLA' INS P1 P2 Lc' || data'; full 16 bytes into mac. */
static int c_mac(const struct cs_scp03_session *s, uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2,
		 uint8_t lc, const uint8_t *data, size_t n, uint8_t mac[CS_SCP03_BLOCK])
{
	uint8_t hdr[5] = {cla_mac(cla), ins, p1, p2, lc};

	return cmac3(s->s_mac, s->key_len, s->mcv, sizeof(s->mcv), hdr, sizeof(hdr), data, n, mac);
}

/* R-MAC over MCV || data' || SW (GP Amd D). */
static int r_mac(const struct cs_scp03_session *s, const uint8_t *data, size_t n, uint16_t sw,
		 uint8_t mac[CS_SCP03_BLOCK])
{
	uint8_t swb[2] = {(uint8_t)(sw >> 8), (uint8_t)sw};

	return cmac3(s->s_rmac, s->key_len, s->mcv, sizeof(s->mcv), data, n, swb, sizeof(swb), mac);
}

/* GP Amd D ICV: AES-ECB(S-ENC, 16-byte BE counter), first byte 80 for responses. */
static int icv(const struct cs_scp03_session *s, bool response, uint8_t out[CS_SCP03_BLOCK])
{
	uint8_t block[CS_SCP03_BLOCK] = {0};

	block[12] = (uint8_t)(s->counter >> 24);
	block[13] = (uint8_t)(s->counter >> 16);
	block[14] = (uint8_t)(s->counter >> 8);
	block[15] = (uint8_t)s->counter;
	if (response)
		block[0] = 0x80;
	return aes_ecb_encrypt(s->s_enc, s->key_len, block, out);
}

/* Pads n bytes of in with 80 00.. and encrypts them into out (pad80_len(n) bytes). */
static int encrypt_padded(const struct cs_scp03_session *s, bool response, const uint8_t *in,
			  size_t n, uint8_t *out)
{
	uint8_t iv[CS_SCP03_BLOCK];
	size_t padded = pad80_len(n);
	int err;

	memmove(out, in, n);
	out[n] = 0x80;
	memset(out + n + 1, 0, padded - n - 1);
	err = icv(s, response, iv);
	if (!err)
		err = aes_cbc(s->s_enc, s->key_len, true, iv, out, padded, out);
	cs_zeroize(iv, sizeof(iv));
	return err;
}

/* Decrypts n bytes (a multiple of 16) of in into out and strips the padding. */
static int decrypt_padded(const struct cs_scp03_session *s, bool response, const uint8_t *in,
			  size_t n, uint8_t *out, size_t *plain)
{
	uint8_t iv[CS_SCP03_BLOCK];
	int err;

	if (n == 0 || n % CS_SCP03_BLOCK)
		return CS_ERR_MALFORMED;
	err = icv(s, response, iv);
	if (!err)
		err = aes_cbc(s->s_enc, s->key_len, false, iv, in, n, out);
	cs_zeroize(iv, sizeof(iv));
	if (!err && !unpad80(out, n, plain))
		err = CS_ERR_MALFORMED;
	if (err)
		cs_zeroize(out, n);
	return err;
}

/* ---- host side --------------------------------------------------------------------------- */

int cs_scp03_host_init_update(struct cs_scp03_session *s, const struct cs_scp03_keys *k,
			      uint8_t channel, const uint8_t host_challenge[CS_SCP03_S8],
			      uint8_t apdu[CS_SCP03_INIT_UPDATE_LEN], struct cs_errinfo *ei)
{
	if (!s || !k || !host_challenge || !apdu)
		return cs_error(ei, CS_ERR_ARG, -1, "INITIALIZE UPDATE: missing argument");
	cs_scp03_session_clear(s);
	if (!key_len_ok(k->len))
		return cs_error(ei, CS_ERR_ARG, -1, "INITIALIZE UPDATE: no SCP03 key set");
	if (channel > MAX_CHANNEL)
		return cs_error(ei, CS_ERR_RANGE, -1, "logical channel %u outside 0..19", channel);
	s->channel = channel;
	s->kvn = k->kvn;
	memcpy(s->host_challenge, host_challenge, CS_SCP03_S8);
	/* GP Amd D: CLA 80+ch / C0+ch-4, INS 50, P1 KVN, P2 00, Lc 08, host challenge, Le 00 */
	apdu[0] = gp_cla(channel, false);
	apdu[1] = INS_INIT_UPDATE;
	apdu[2] = k->kvn;
	apdu[3] = 0x00;
	apdu[4] = CS_SCP03_S8;
	memcpy(apdu + 5, host_challenge, CS_SCP03_S8);
	apdu[13] = 0x00;
	s->state = CS_SCP03_INIT_SENT;
	return 0;
}

int cs_scp03_host_check_init_update(struct cs_scp03_session *s, const struct cs_scp03_keys *k,
				    const uint8_t *rsp, size_t len, struct cs_errinfo *ei)
{
	size_t off = CS_SCP03_KEY_DIV_LEN;
	int err;

	if (!s || !k || (!rsp && len))
		return cs_error(ei, CS_ERR_ARG, -1, "INITIALIZE UPDATE response: missing argument");
	if (s->state != CS_SCP03_INIT_SENT || s->card || k->len == 0) {
		cs_scp03_session_clear(s);
		return cs_error(ei, CS_ERR_ARG, -1,
				"INITIALIZE UPDATE response without INITIALIZE UPDATE");
	}
	/* INITIALIZE UPDATE response: 29 or 32 bytes in S8, 45 or 48 in S16 */
	if (len == 45 || len == 48)
		err = cs_error(
			ei, CS_ERR_SCP03_UNSUPPORTED, -1,
			"card answered INITIALIZE UPDATE in S16 mode, which is not supported");
	else if (len < 29)
		err = cs_error(ei, CS_ERR_TRUNCATED, (long)len,
			       "INITIALIZE UPDATE response has %zu bytes, SCP03 needs 29 or 32",
			       len);
	else if (len != 29 && len != 32)
		err = cs_error(ei, CS_ERR_MALFORMED, (long)len,
			       "INITIALIZE UPDATE response has %zu bytes, SCP03 needs 29 or 32",
			       len);
	else if (rsp[off + 1] != SCP_ID)
		err = cs_error(
			ei, CS_ERR_SCP03_UNSUPPORTED, (long)off + 1,
			"card offers SCP%02X, not SCP03 (INITIALIZE UPDATE response byte 11)",
			rsp[off + 1]);
	else if (s->kvn && rsp[off] != s->kvn)
		err = cs_error(ei, CS_ERR_SCP03_UNSUPPORTED, (long)off,
			       "card answered with key version %02X, not %02X", rsp[off], s->kvn);
	else
		err = 0;
	if (err) {
		cs_scp03_session_clear(s);
		return err;
	}
	memcpy(s->key_div, rsp, CS_SCP03_KEY_DIV_LEN);
	s->kvn = rsp[off];
	s->i_param = rsp[off + 2];
	memcpy(s->card_challenge, rsp + 13, CS_SCP03_S8);
	if (len == 32) {
		memcpy(s->seq, rsp + 29, CS_SCP03_SEQ_LEN);
		s->has_seq = true;
	}
	err = derive(s, k);
	if (err) {
		cs_scp03_session_clear(s);
		return cs_error(ei, err, -1, "SCP03 session key derivation failed");
	}
	/* GP Amd D: the host MUST compare the card cryptogram and stop on a mismatch */
	if (!equal_ct(s->card_cryptogram, rsp + 21, CS_SCP03_S8)) {
		cs_scp03_session_clear(s);
		return cs_error(ei, CS_ERR_SCP03_CRYPTOGRAM, 21,
				"card cryptogram mismatch (wrong SCP03 keys or key version?)");
	}
	s->state = CS_SCP03_CHALLENGED;
	return 0;
}

/* R-MAC / R-ENC only when the card's "i" parameter offers them (GP Amd D). */
static bool level_offered(uint8_t level, uint8_t i_param)
{
	if ((level & CS_SCP03_R_MAC) && !(i_param & CS_SCP03_I_R_MAC))
		return false;
	if ((level & CS_SCP03_R_ENCRYPTION) && !(i_param & CS_SCP03_I_R_ENC))
		return false;
	return true;
}

int cs_scp03_host_ext_auth(struct cs_scp03_session *s, uint8_t level,
			   uint8_t apdu[CS_SCP03_EXT_AUTH_LEN], struct cs_errinfo *ei)
{
	uint8_t mac[CS_SCP03_BLOCK];
	int err;

	if (!s || !apdu)
		return cs_error(ei, CS_ERR_ARG, -1, "EXTERNAL AUTHENTICATE: missing argument");
	if (s->state != CS_SCP03_CHALLENGED || s->card)
		return cs_error(ei, CS_ERR_ARG, -1,
				"EXTERNAL AUTHENTICATE before a checked INITIALIZE UPDATE");
	if (!cs_scp03_level_valid(level))
		return cs_error(ei, CS_ERR_RANGE, -1,
				"SCP03 security level %02X is not one of 00 01 03 11 13 33", level);
	if (!level_offered(level, s->i_param))
		return cs_error(ei, CS_ERR_SCP03_UNSUPPORTED, -1,
				"card does not offer security level %02X (i parameter %02X lacks "
				"R-MAC 20 / R-ENC 40)",
				level, s->i_param);
	/* EXTERNAL AUTHENTICATE: always C-MACed, never encrypted, no counter */
	apdu[0] = gp_cla(s->channel, true);
	apdu[1] = INS_EXT_AUTH;
	apdu[2] = level;
	apdu[3] = 0x00;
	apdu[4] = 2 * CS_SCP03_S8;
	memcpy(apdu + 5, s->host_cryptogram, CS_SCP03_S8);
	err = c_mac(s, apdu[0], apdu[1], apdu[2], apdu[3], apdu[4], apdu + 5, CS_SCP03_S8, mac);
	if (err) {
		cs_scp03_session_clear(s);
		return cs_error(ei, err, -1, "EXTERNAL AUTHENTICATE: C-MAC failed");
	}
	memcpy(apdu + 5 + CS_SCP03_S8, mac, CS_SCP03_S8);
	memcpy(s->mcv, mac, sizeof(s->mcv));
	cs_zeroize(mac, sizeof(mac));
	s->level = level;
	s->state = CS_SCP03_AUTH_SENT;
	return 0;
}

int cs_scp03_host_ext_auth_result(struct cs_scp03_session *s, uint16_t sw, struct cs_errinfo *ei)
{
	if (!s || s->state != CS_SCP03_AUTH_SENT) {
		cs_scp03_session_clear(s);
		return cs_error(ei, CS_ERR_ARG, -1, "EXTERNAL AUTHENTICATE was not sent");
	}
	if (sw == SW_OK) {
		s->state = CS_SCP03_OPEN;
		return 0;
	}
	cs_scp03_session_clear(s);
	if (sw == SW_AUTH_FAILED || sw == SW_SECURITY)
		return cs_error(ei, CS_ERR_SCP03_CRYPTOGRAM, -1,
				"card refused the host cryptogram (%04X on EXTERNAL AUTHENTICATE)",
				sw);
	return cs_error(ei, CS_ERR_SW, -1, "card answered %04X to EXTERNAL AUTHENTICATE", sw);
}

int cs_scp03_host_wrap(struct cs_scp03_session *s, const uint8_t *capdu, size_t clen, uint8_t *out,
		       size_t *olen, struct cs_errinfo *ei)
{
	uint8_t mac[CS_SCP03_BLOCK];
	struct capdu a;
	size_t dlen, need;
	bool enc;
	int err;

	if (!s || !capdu || !out || !olen)
		return cs_error(ei, CS_ERR_ARG, -1, "SCP03 wrap: missing argument");
	if (s->state != CS_SCP03_OPEN || s->card)
		return cs_error(ei, CS_ERR_ARG, -1, "SCP03 wrap: no open secure channel");
	err = parse_capdu(capdu, clen, &a);
	if (err == CS_ERR_UNSUPPORTED)
		return cs_error(ei, err, -1, "SCP03 wraps short APDUs only, not extended ones");
	if (err)
		return cs_error(ei, err, -1, "SCP03 wrap: malformed %zu-byte C-APDU", clen);
	if (s->level == 0) {
		if (clen > *olen)
			return cs_error(ei, CS_ERR_LIMIT, -1, "SCP03 wrap: output too small");
		memcpy(out, capdu, clen);
		*olen = clen;
		return 0;
	}
	if (!cla_coded(a.cla) || cla_has_sm(a.cla))
		return cs_error(ei, CS_ERR_ARG, 0,
				"SCP03 wrap: CLA %02X cannot take the secure-messaging indication",
				a.cla);
	enc = (s->level & CS_SCP03_C_DECRYPTION) && a.lc > 0;
	dlen = enc ? pad80_len(a.lc) : a.lc;
	if (dlen + CS_SCP03_S8 > 255)
		return cs_error(
			ei, CS_ERR_LIMIT, 4,
			"SCP03 wrap: %zu data bytes do not fit a short APDU once padded and "
			"MACed (at most %d)",
			a.lc, enc ? 239 : 247);
	need = 5 + dlen + CS_SCP03_S8 + (a.has_le ? 1 : 0);
	if (need > *olen)
		return cs_error(ei, CS_ERR_LIMIT, -1, "SCP03 wrap: output too small");
	if (s->counter == UINT32_MAX)
		return cs_error(ei, CS_ERR_LIMIT, -1, "SCP03 encryption counter exhausted");
	/* GP Amd D: the encryption counter moves for every command, with or without data */
	s->counter++;
	if (enc) {
		err = encrypt_padded(s, false, a.data, a.lc, out + 5);
	} else if (a.lc) {
		memmove(out + 5, a.data, a.lc);
	}
	out[0] = cla_sm(a.cla);
	out[1] = a.ins;
	out[2] = a.p1;
	out[3] = a.p2;
	out[4] = (uint8_t)(dlen + CS_SCP03_S8);
	if (!err)
		err = c_mac(s, a.cla, a.ins, a.p1, a.p2, out[4], out + 5, dlen, mac);
	if (err) {
		cs_zeroize(out, need);
		cs_scp03_session_clear(s);
		return cs_error(ei, err, -1, "SCP03 wrap: AES failed");
	}
	memcpy(s->mcv, mac, sizeof(s->mcv));
	memcpy(out + 5 + dlen, mac, CS_SCP03_S8);
	cs_zeroize(mac, sizeof(mac));
	/* Le kept as the caller gave it: the plaintext length wanted (UNCONFIRMED on real cards) */
	if (a.has_le)
		out[5 + dlen + CS_SCP03_S8] = a.le;
	*olen = need;
	return 0;
}

int cs_scp03_host_unwrap(struct cs_scp03_session *s, const uint8_t *rapdu, size_t rlen,
			 uint8_t *out, size_t *olen, struct cs_errinfo *ei)
{
	uint8_t mac[CS_SCP03_BLOCK];
	size_t dlen, plain;
	uint16_t sw;
	int err;

	if (!s || !rapdu || !out || !olen || rlen < 2)
		return cs_error(ei, CS_ERR_ARG, -1, "SCP03 unwrap: missing argument");
	if (s->state != CS_SCP03_OPEN || s->card)
		return cs_error(ei, CS_ERR_ARG, -1, "SCP03 unwrap: no open secure channel");
	sw = (uint16_t)(rapdu[rlen - 2] << 8 | rapdu[rlen - 1]);
	if (!(s->level & CS_SCP03_R_MAC) || !sw_protected(sw)) {
		/* GP Amd D: an error SW comes alone; without R-MAC the answer is plain */
		size_t n = (s->level & CS_SCP03_R_MAC) ? 2 : rlen;

		if (n > *olen)
			return cs_error(ei, CS_ERR_LIMIT, -1, "SCP03 unwrap: output too small");
		memmove(out, rapdu + rlen - n, n);
		*olen = n;
		return 0;
	}
	if (rlen < 2 + CS_SCP03_S8) {
		cs_scp03_session_clear(s);
		return cs_error(ei, CS_ERR_SCP03_MAC, -1,
				"response MAC mismatch: SW %04X came without an R-MAC", sw);
	}
	dlen = rlen - 2 - CS_SCP03_S8;
	err = r_mac(s, rapdu, dlen, sw, mac);
	if (!err && !equal_ct(mac, rapdu + dlen, CS_SCP03_S8))
		err = CS_ERR_SCP03_MAC;
	cs_zeroize(mac, sizeof(mac));
	if (err) {
		cs_scp03_session_clear(s);
		return cs_error(ei, err, (long)dlen,
				"response MAC mismatch (R-APDU of %zu bytes, SW %04X)", rlen, sw);
	}
	if (dlen + 2 > *olen)
		return cs_error(ei, CS_ERR_LIMIT, -1, "SCP03 unwrap: output too small");
	plain = dlen;
	if ((s->level & CS_SCP03_R_ENCRYPTION) && dlen > 0) {
		err = decrypt_padded(s, true, rapdu, dlen, out, &plain);
		if (err) {
			cs_scp03_session_clear(s);
			return cs_error(
				ei, err, 0,
				"SCP03 response data of %zu bytes does not decrypt to padded "
				"data (wrong ENC key?)",
				dlen);
		}
	} else {
		memmove(out, rapdu, dlen);
	}
	out[plain] = (uint8_t)(sw >> 8);
	out[plain + 1] = (uint8_t)sw;
	*olen = plain + 2;
	return 0;
}

/* ---- card side ---------------------------------------------------------------------------- */

int cs_scp03_card_challenge(const struct cs_scp03_keys *k, const uint8_t seq[CS_SCP03_SEQ_LEN],
			    const uint8_t *aid, size_t aid_len, uint8_t challenge[CS_SCP03_S8])
{
	uint8_t ctx[CS_SCP03_SEQ_LEN + 16];
	int err;

	if (!k || !seq || !challenge || (!aid && aid_len) || aid_len > 16)
		return CS_ERR_ARG;
	memcpy(ctx, seq, CS_SCP03_SEQ_LEN);
	if (aid_len)
		memcpy(ctx + CS_SCP03_SEQ_LEN, aid, aid_len);
	err = cs_scp03_kdf(k->enc, k->len, CS_SCP03_DC_CARD_CHALLENGE, ctx,
			   CS_SCP03_SEQ_LEN + aid_len, challenge, CS_SCP03_S8);
	return err;
}

static int card_refuse(struct cs_scp03_session *s, uint16_t *sw, uint16_t code, int err,
		       struct cs_errinfo *ei, const char *what)
{
	cs_scp03_session_clear(s);
	if (sw)
		*sw = code;
	return cs_error(ei, err, -1, "%s (%04X)", what, code);
}

int cs_scp03_card_init_update(struct cs_scp03_session *s, const struct cs_scp03_keys *k,
			      const struct cs_scp03_card_params *p, const uint8_t *capdu,
			      size_t clen, uint8_t *rsp, size_t *rlen, uint16_t *sw,
			      struct cs_errinfo *ei)
{
	struct capdu a;
	size_t n;

	if (!s || !k || !p || !rsp || !rlen || !sw || !key_len_ok(k->len))
		return cs_error(ei, CS_ERR_ARG, -1, "card INITIALIZE UPDATE: missing argument");
	if (parse_capdu(capdu, clen, &a))
		return card_refuse(s, sw, SW_WRONG_LENGTH, CS_ERR_SW, ei,
				   "INITIALIZE UPDATE: malformed APDU");
	if (!(a.cla & 0x80) || !cla_coded(a.cla) || cla_has_sm(a.cla))
		return card_refuse(s, sw, SW_CLA, CS_ERR_SW, ei, "INITIALIZE UPDATE: wrong CLA");
	if (a.ins != INS_INIT_UPDATE)
		return card_refuse(s, sw, SW_INS, CS_ERR_SW, ei, "not INITIALIZE UPDATE");
	if (a.p2 != 0x00)
		return card_refuse(s, sw, SW_P1P2, CS_ERR_SW, ei, "INITIALIZE UPDATE: P2 not 00");
	if (a.lc != CS_SCP03_S8)
		return card_refuse(s, sw, SW_WRONG_LENGTH, CS_ERR_SW, ei,
				   "INITIALIZE UPDATE: host challenge is not 8 bytes");
	if (a.p1 != 0x00 && a.p1 != k->kvn)
		return card_refuse(s, sw, SW_NO_KEY, CS_ERR_SW, ei,
				   "INITIALIZE UPDATE: no key set with that version");
	n = CS_SCP03_KEY_DIV_LEN + 3 + 2 * CS_SCP03_S8 +
	    ((p->i_param & CS_SCP03_I_PSEUDO_RANDOM) ? CS_SCP03_SEQ_LEN : 0);
	if (*rlen < n)
		return cs_error(ei, CS_ERR_LIMIT, -1, "card INITIALIZE UPDATE: output too small");
	cs_scp03_session_clear(s);
	s->card = true;
	s->channel = cla_channel(a.cla);
	s->kvn = k->kvn;
	s->i_param = p->i_param;
	memcpy(s->key_div, p->key_div, CS_SCP03_KEY_DIV_LEN);
	memcpy(s->host_challenge, a.data, CS_SCP03_S8);
	memcpy(s->card_challenge, p->card_challenge, CS_SCP03_S8);
	if (p->i_param & CS_SCP03_I_PSEUDO_RANDOM) {
		memcpy(s->seq, p->seq, CS_SCP03_SEQ_LEN);
		s->has_seq = true;
	}
	if (derive(s, k)) {
		*sw = 0x6F00;
		cs_scp03_session_clear(s);
		return cs_error(ei, CS_ERR_UNSUPPORTED, -1, "card: SCP03 key derivation failed");
	}
	/* INITIALIZE UPDATE response layout (GP Amd D) */
	memcpy(rsp, s->key_div, CS_SCP03_KEY_DIV_LEN);
	rsp[10] = s->kvn;
	rsp[11] = SCP_ID;
	rsp[12] = s->i_param;
	memcpy(rsp + 13, s->card_challenge, CS_SCP03_S8);
	memcpy(rsp + 21, s->card_cryptogram, CS_SCP03_S8);
	if (s->has_seq)
		memcpy(rsp + 29, s->seq, CS_SCP03_SEQ_LEN);
	*rlen = n;
	*sw = SW_OK;
	s->state = CS_SCP03_CHALLENGED;
	return 0;
}

int cs_scp03_card_ext_auth(struct cs_scp03_session *s, const uint8_t *capdu, size_t clen,
			   uint16_t *sw, struct cs_errinfo *ei)
{
	uint8_t mac[CS_SCP03_BLOCK];
	struct capdu a;
	bool ok;
	int err;

	if (!s || !sw)
		return cs_error(ei, CS_ERR_ARG, -1, "card EXTERNAL AUTHENTICATE: missing argument");
	if (s->state != CS_SCP03_CHALLENGED || !s->card)
		return card_refuse(s, sw, SW_CONDITIONS, CS_ERR_SW, ei,
				   "EXTERNAL AUTHENTICATE without INITIALIZE UPDATE");
	if (parse_capdu(capdu, clen, &a) || a.lc != 2 * (size_t)CS_SCP03_S8 || a.has_le)
		return card_refuse(s, sw, SW_WRONG_LENGTH, CS_ERR_SW, ei,
				   "EXTERNAL AUTHENTICATE: wrong length");
	if (!(a.cla & 0x80) || !cla_coded(a.cla) || !cla_has_sm(a.cla) ||
	    cla_channel(a.cla) != s->channel)
		return card_refuse(s, sw, SW_CLA, CS_ERR_SW, ei,
				   "EXTERNAL AUTHENTICATE: wrong CLA");
	if (a.ins != INS_EXT_AUTH)
		return card_refuse(s, sw, SW_INS, CS_ERR_SW, ei, "not EXTERNAL AUTHENTICATE");
	err = c_mac(s, a.cla, a.ins, a.p1, a.p2, (uint8_t)a.lc, a.data, CS_SCP03_S8, mac);
	ok = !err && equal_ct(mac, a.data + CS_SCP03_S8, CS_SCP03_S8);
	if (!ok) {
		cs_zeroize(mac, sizeof(mac));
		return card_refuse(s, sw, SW_SECURITY, CS_ERR_SCP03_MAC, ei,
				   "EXTERNAL AUTHENTICATE: C-MAC mismatch");
	}
	if (!equal_ct(s->host_cryptogram, a.data, CS_SCP03_S8)) {
		cs_zeroize(mac, sizeof(mac));
		return card_refuse(s, sw, SW_AUTH_FAILED, CS_ERR_SCP03_CRYPTOGRAM, ei,
				   "EXTERNAL AUTHENTICATE: host cryptogram mismatch");
	}
	if (a.p2 != 0x00 || !cs_scp03_level_valid(a.p1) || !level_offered(a.p1, s->i_param)) {
		cs_zeroize(mac, sizeof(mac));
		return card_refuse(s, sw, SW_P1P2, CS_ERR_RANGE, ei,
				   "EXTERNAL AUTHENTICATE: security level refused");
	}
	memcpy(s->mcv, mac, sizeof(s->mcv));
	cs_zeroize(mac, sizeof(mac));
	s->level = a.p1;
	s->counter = 0;
	s->state = CS_SCP03_OPEN;
	*sw = SW_OK;
	return 0;
}

int cs_scp03_card_unwrap(struct cs_scp03_session *s, const uint8_t *capdu, size_t clen,
			 uint8_t *plain, size_t *plen, uint16_t *sw, struct cs_errinfo *ei)
{
	uint8_t mac[CS_SCP03_BLOCK];
	size_t dlen, n, pdl;
	struct capdu a;
	bool ok;
	int err;

	if (!s || !plain || !plen || !sw || !capdu)
		return cs_error(ei, CS_ERR_ARG, -1, "card unwrap: missing argument");
	if (s->state != CS_SCP03_OPEN || !s->card) {
		*sw = SW_CONDITIONS;
		return cs_error(ei, CS_ERR_ARG, -1, "card unwrap: no open secure channel");
	}
	if (*plen < clen)
		return cs_error(ei, CS_ERR_LIMIT, -1, "card unwrap: output too small");
	if (s->level == 0) {
		memcpy(plain, capdu, clen);
		*plen = clen;
		*sw = SW_OK;
		return 0;
	}
	err = parse_capdu(capdu, clen, &a);
	if (err || !cla_coded(a.cla)) {
		*sw = SW_WRONG_LENGTH;
		return cs_error(ei, CS_ERR_MALFORMED, -1, "card unwrap: malformed C-APDU");
	}
	/* a command on a secured channel without SM or without a C-MAC ends the session */
	if (!cla_has_sm(a.cla) || a.lc < CS_SCP03_S8)
		return card_refuse(s, sw, SW_SECURITY, CS_ERR_SCP03_MAC, ei,
				   "command without secure messaging on the secure channel");
	dlen = a.lc - CS_SCP03_S8;
	err = c_mac(s, a.cla, a.ins, a.p1, a.p2, (uint8_t)a.lc, a.data, dlen, mac);
	ok = !err && equal_ct(mac, a.data + dlen, CS_SCP03_S8);
	if (!ok) {
		cs_zeroize(mac, sizeof(mac));
		return card_refuse(s, sw, SW_SECURITY, CS_ERR_SCP03_MAC, ei, "C-MAC mismatch");
	}
	memcpy(s->mcv, mac, sizeof(s->mcv));
	cs_zeroize(mac, sizeof(mac));
	s->counter++;
	pdl = dlen;
	if ((s->level & CS_SCP03_C_DECRYPTION) && dlen > 0) {
		err = decrypt_padded(s, false, a.data, dlen, plain + 5, &pdl);
		if (err) {
			*sw = SW_WRONG_LENGTH;
			return cs_error(
				ei, CS_ERR_MALFORMED, 5,
				"card unwrap: command data does not decrypt to padded data");
		}
	} else if (dlen) {
		memmove(plain + 5, a.data, dlen);
	}
	plain[0] = cla_plain(a.cla);
	plain[1] = a.ins;
	plain[2] = a.p1;
	plain[3] = a.p2;
	n = 4;
	if (pdl) {
		plain[4] = (uint8_t)pdl;
		n = 5 + pdl;
	}
	if (a.has_le)
		plain[n++] = a.le;
	*plen = n;
	*sw = SW_OK;
	return 0;
}

int cs_scp03_card_wrap(struct cs_scp03_session *s, const uint8_t *data, size_t dlen, uint16_t sw,
		       uint8_t *out, size_t *olen, struct cs_errinfo *ei)
{
	uint8_t mac[CS_SCP03_BLOCK];
	size_t n;
	bool enc;
	int err;

	if (!s || !out || !olen || (!data && dlen))
		return cs_error(ei, CS_ERR_ARG, -1, "card wrap: missing argument");
	if (s->state != CS_SCP03_OPEN || !s->card)
		return cs_error(ei, CS_ERR_ARG, -1, "card wrap: no open secure channel");
	if (!sw_protected(sw))
		dlen = 0;
	if (!(s->level & CS_SCP03_R_MAC) || !sw_protected(sw)) {
		if (dlen + 2 > *olen)
			return cs_error(ei, CS_ERR_LIMIT, -1, "card wrap: output too small");
		if (dlen)
			memmove(out, data, dlen);
		out[dlen] = (uint8_t)(sw >> 8);
		out[dlen + 1] = (uint8_t)sw;
		*olen = dlen + 2;
		return 0;
	}
	enc = (s->level & CS_SCP03_R_ENCRYPTION) && dlen > 0;
	n = enc ? pad80_len(dlen) : dlen;
	if (n + CS_SCP03_S8 + 2 > *olen)
		return cs_error(ei, CS_ERR_LIMIT, -1,
				"card wrap: %zu response bytes do not fit %zu once wrapped", dlen,
				*olen);
	err = 0;
	if (enc)
		err = encrypt_padded(s, true, data, dlen, out);
	else if (dlen)
		memmove(out, data, dlen);
	if (!err)
		err = r_mac(s, out, n, sw, mac);
	if (err) {
		cs_zeroize(out, n);
		return cs_error(ei, err, -1, "card wrap: AES failed");
	}
	memcpy(out + n, mac, CS_SCP03_S8);
	cs_zeroize(mac, sizeof(mac));
	out[n + CS_SCP03_S8] = (uint8_t)(sw >> 8);
	out[n + CS_SCP03_S8 + 1] = (uint8_t)sw;
	*olen = n + CS_SCP03_S8 + 2;
	return 0;
}

/* ---- transport decorator ------------------------------------------------------------------ */

/* Largest wrapped R-APDU collected (GET RESPONSE rounds included). */
#define SCP_RSP_MAX      (1024 + 2)
#define MAX_GET_RESPONSE 8

struct scp_transport {
	struct cs_transport t;
	struct cs_transport *inner;
	struct cs_scp03_keys keys;
	struct cs_scp03_session s;
	uint8_t level;
	bool borrowed; /* inner is the caller's: not destroyed with the decorator */
	bool broken;   /* the session on broken_channel ended on a failure */
	uint8_t broken_channel;
	unsigned last_redact; /* for a GET RESPONSE passed through */
	unsigned long apdus;  /* sent over inner */
	bool wrapped;         /* the exchange in progress was wrapped (for the plain trace) */
	cs_trace_fn plain_trace;
	void *plain_trace_arg;
	uint8_t cmd[CS_SCP03_CAPDU_MAX];
	uint8_t rsp[SCP_RSP_MAX];
};

static const struct cs_transport_ops scp_ops;

static struct scp_transport *scp_of(const struct cs_transport *t)
{
	return t && t->ops == &scp_ops ? t->ctx : NULL;
}

/*
 * Redaction the inner (wire) trace needs: what the caller asked for in
 * redact_next (the content of the bootstrap EF, a PIN), and the data of
 * commands that always carry secrets, whoever sends them. Other files (EF
 * ICCID, EF.DIR, ODF, DODF) show as they do without a secure channel.
 */
static unsigned redact_floor(const struct cs_transport *t, const uint8_t *c)
{
	/* VERIFY, CHANGE REFERENCE DATA, DISABLE/ENABLE VERIFICATION, RESET RETRY COUNTER, PUT KEY
	 */
	static const uint8_t secret_cmd[] = {0x20, 0x21, 0x24, 0x26, 0x28, 0x2C, 0xD8};
	unsigned r = t->redact_next;

	if (memchr(secret_cmd, c[1], sizeof(secret_cmd)))
		r |= CS_REDACT_CMD_DATA;
	return r;
}

static void update_limits(struct scp_transport *p)
{
	size_t r = p->inner->max_rsp_data, c = p->inner->max_cmd_data;
	uint8_t lv = p->s.level;

	if (p->s.state != CS_SCP03_OPEN || lv == 0) {
		p->t.max_rsp_data = r;
		p->t.max_cmd_data = c;
		return;
	}
	/* wrapped exchanges are short APDUs */
	r = r == 0 || r > 256 ? 256 : r;
	c = c == 0 || c > 255 ? 255 : c;
	/* a wrapped answer is pad16(n + 1) + 8 ≤ 256: 239 under 0x33, 248 with R-MAC only */
	if (lv & CS_SCP03_R_MAC)
		r -= CS_SCP03_S8;
	if (lv & CS_SCP03_R_ENCRYPTION)
		r = r / CS_SCP03_BLOCK * CS_SCP03_BLOCK - 1;
	c -= CS_SCP03_S8;
	if (lv & CS_SCP03_C_DECRYPTION)
		c = c / CS_SCP03_BLOCK * CS_SCP03_BLOCK - 1;
	p->t.max_rsp_data = r;
	p->t.max_cmd_data = c;
}

static void end_session(struct scp_transport *p)
{
	cs_scp03_session_clear(&p->s);
	update_limits(p);
}

/* Ends the session of channel after a failure; the channel then refuses plain commands. */
static void break_session(struct scp_transport *p, uint8_t channel)
{
	p->broken = true;
	p->broken_channel = channel;
	end_session(p);
}

/* Every APDU to the card goes through here, so that cs_scp03_apdus counts the wire. */
static int inner_transmit(struct scp_transport *p, const uint8_t *c, size_t clen, uint8_t *r,
			  size_t *rlen, struct cs_errinfo *ei)
{
	p->apdus++;
	return cs_transport_transmit(p->inner, c, clen, r, rlen, ei);
}

static uint8_t iso_cla(uint8_t cla)
{
	return cla_further(cla) ? (uint8_t)(0x40 | (cla & 0x0F)) : (uint8_t)(cla & 0x03);
}

/*
 * Sends cmd through inner and collects the whole R-APDU in p->rsp:
 * 61xx → GET RESPONSE (plain, on the channel's ISO CLA); over T=0 a
 * warning without data after a command that wants data → GET RESPONSE
 * with Le 00 (TS 102 221 §7.3.1.1).
 */
static int exchange(struct scp_transport *p, const uint8_t *cmd, size_t clen, bool case4,
		    unsigned redact, size_t *rlen, struct cs_errinfo *ei)
{
	uint8_t gr[5] = {iso_cla(cmd[0]), INS_GET_RESPONSE, 0, 0, 0};
	size_t have, n = SCP_RSP_MAX;
	uint16_t sw, warning = 0;
	int err, rounds = 0;

	p->inner->redact_next = redact;
	err = inner_transmit(p, cmd, clen, p->rsp, &n, ei);
	if (err)
		return err;
	have = n - 2;
	sw = (uint16_t)(p->rsp[have] << 8 | p->rsp[have + 1]);
	if (p->inner->t0 && case4 && have == 0 && ((sw >> 8) == 0x62 || (sw >> 8) == 0x63)) {
		warning = sw;
		sw = 0x6100;
	}
	while ((sw >> 8) == 0x61) {
		size_t room = SCP_RSP_MAX - have;

		if (++rounds > MAX_GET_RESPONSE)
			return cs_error(ei, CS_ERR_SW, -1,
					"card keeps answering %04X to GET RESPONSE", sw);
		gr[4] = (uint8_t)sw;
		p->inner->redact_next = redact & CS_REDACT_RSP_DATA;
		err = inner_transmit(p, gr, sizeof(gr), p->rsp + have, &room, ei);
		if (err)
			return err;
		sw = (uint16_t)(p->rsp[have + room - 2] << 8 | p->rsp[have + room - 1]);
		if (warning && sw != SW_OK && (sw >> 8) != 0x61) {
			sw = warning;
			break;
		}
		have += room - 2;
	}
	if (warning)
		sw = warning;
	p->rsp[have] = (uint8_t)(sw >> 8);
	p->rsp[have + 1] = (uint8_t)sw;
	*rlen = have + 2;
	return 0;
}

/* Wraps capdu, sends it, unwraps the answer into rapdu (room *rlen); failures end the session */
static int wrapped_exchange(struct scp_transport *p, const uint8_t *capdu, size_t clen,
			    unsigned redact, uint8_t *rapdu, size_t *rlen, struct cs_errinfo *ei)
{
	uint8_t ch = p->s.channel;
	size_t cl = sizeof(p->cmd), rl = 0;
	bool wants_data;
	int err;

	err = cs_scp03_host_wrap(&p->s, capdu, clen, p->cmd, &cl, ei);
	if (err) {
		if (p->s.state != CS_SCP03_OPEN)
			break_session(p, ch);
		return err;
	}
	/* wrapped commands always carry data; over T=0 Le goes and 61xx brings the answer */
	wants_data = p->s.level != 0 && cl == 6u + p->cmd[4];
	if (p->inner->t0 && wants_data)
		cl--;
	/* ciphertext on the wire needs no mask */
	if (p->s.level & CS_SCP03_C_DECRYPTION)
		redact &= ~(unsigned)CS_REDACT_CMD_DATA;
	if (p->s.level & CS_SCP03_R_ENCRYPTION)
		redact &= ~(unsigned)CS_REDACT_RSP_DATA;
	p->last_redact = redact;
	/* over T=0 the plain Le of a case-4 command is already gone (uicc.c), so assume case 4 */
	err = exchange(p, p->cmd, cl, wants_data || p->inner->t0, redact, &rl, ei);
	cs_zeroize(p->cmd, sizeof(p->cmd));
	if (err) {
		/* the card may or may not have seen the command: the MAC chain is lost */
		break_session(p, ch);
		cs_zeroize(p->rsp, sizeof(p->rsp));
		return err;
	}
	err = cs_scp03_host_unwrap(&p->s, p->rsp, rl, rapdu, rlen, ei);
	cs_zeroize(p->rsp, rl);
	if (err && p->s.state != CS_SCP03_OPEN)
		break_session(p, ch);
	return err;
}

static int scp_transmit(struct cs_transport *t, const uint8_t *capdu, size_t clen, uint8_t *rapdu,
			size_t *rlen, struct cs_errinfo *ei)
{
	struct scp_transport *p = t->ctx;
	unsigned redact = redact_floor(t, capdu);
	uint8_t cla = capdu[0], ins = capdu[1], ch, target;
	bool on_channel, closes;
	size_t room = *rlen;
	int err;

	p->wrapped = false;
	ch = cla_coded(cla) ? cla_channel(cla) : 0xFF;
	on_channel = p->s.state == CS_SCP03_OPEN && ch == p->s.channel;
	/* MANAGE CHANNEL close (P1 80, P2 = channel or 00 for the CLA's) ends its session */
	closes = ins == INS_MANAGE_CHANNEL && capdu[2] == 0x80;
	target = capdu[3] ? capdu[3] : ch;
	if (closes && on_channel && target == p->s.channel) {
		/* wrapped like every command of the session (App. H); the session ends with it */
		p->wrapped = true;
		err = wrapped_exchange(p, capdu, clen, redact, rapdu, rlen, ei);
		end_session(p);
		p->broken = false;
		if (err || (rapdu[*rlen - 2] == 0x90 && rapdu[*rlen - 1] == 0x00))
			return err;
		/* an OS that handles MANAGE CHANNEL may refuse the wrapped form (UNCONFIRMED) */
		p->wrapped = false;
		*rlen = room;
		p->inner->redact_next = CS_REDACT_NONE;
		return inner_transmit(p, capdu, clen, rapdu, rlen, ei);
	}
	if (!on_channel || ins == INS_GET_RESPONSE || ins == INS_MANAGE_CHANNEL) {
		if (p->broken && ch == p->broken_channel && ins != INS_GET_RESPONSE &&
		    ins != INS_MANAGE_CHANNEL)
			return cs_error(
				ei, CS_ERR_SCP03_MAC, -1,
				"secure channel on logical channel %u ended after a failure; "
				"not sending commands in plain",
				ch);
		if (ins == INS_GET_RESPONSE)
			redact |= p->last_redact & CS_REDACT_RSP_DATA;
		else
			p->last_redact = redact;
		p->inner->redact_next = redact;
		err = inner_transmit(p, capdu, clen, rapdu, rlen, ei);
		if (closes) {
			if (p->s.state != CS_SCP03_IDLE && target == p->s.channel)
				end_session(p);
			if (p->broken && target == p->broken_channel)
				p->broken = false;
		}
		return err;
	}
	p->wrapped = true;
	return wrapped_exchange(p, capdu, clen, redact, rapdu, rlen, ei);
}

/* The decorator's trace hook under CS_SCP03_TRACE_PLAIN: plain APDUs of wrapped exchanges only. */
static void plain_trace(void *arg, const char *layer, const uint8_t *capdu, size_t clen,
			const uint8_t *rapdu, size_t rlen, int err, double elapsed_ms,
			unsigned redact)
{
	struct scp_transport *p = arg;

	/* a command passed through is already in the wire trace */
	if (p->wrapped && p->plain_trace)
		p->plain_trace(p->plain_trace_arg, layer, capdu, clen, rapdu, rlen, err, elapsed_ms,
			       redact);
}

static int scp_begin(struct cs_transport *t, struct cs_errinfo *ei)
{
	return cs_transport_begin(((struct scp_transport *)t->ctx)->inner, ei);
}

static int scp_end(struct cs_transport *t)
{
	return cs_transport_end(((struct scp_transport *)t->ctx)->inner);
}

static int scp_atr(struct cs_transport *t, uint8_t *atr, size_t *len)
{
	return cs_transport_atr(((struct scp_transport *)t->ctx)->inner, atr, len);
}

static void scp_destroy(struct cs_transport *t)
{
	struct scp_transport *p = t->ctx;

	if (!p->borrowed)
		cs_transport_destroy(p->inner);
	cs_free_secret(p, sizeof(*p));
}

static const struct cs_transport_ops scp_ops = {
	.name = "scp03",
	.transmit = scp_transmit,
	.begin = scp_begin,
	.end = scp_end,
	.atr = scp_atr,
	.destroy = scp_destroy,
};

int cs_scp03_transport_new(struct cs_transport *inner, const struct cs_scp03_keys *keys,
			   uint8_t level, unsigned flags, struct cs_transport **out,
			   struct cs_errinfo *ei)
{
	struct scp_transport *p;

	if (!inner || !keys || !out)
		return cs_error(ei, CS_ERR_ARG, -1, "SCP03 transport: missing argument");
	if (!key_len_ok(keys->len))
		return cs_error(ei, CS_ERR_ARG, -1, "SCP03 transport: no key set");
	if (!cs_scp03_level_valid(level))
		return cs_error(ei, CS_ERR_RANGE, -1,
				"SCP03 security level %02X is not one of 00 01 03 11 13 33", level);
	p = calloc(1, sizeof(*p));
	if (!p)
		return cs_error(ei, CS_ERR_NOMEM, -1, "SCP03 transport: out of memory");
	p->inner = inner;
	p->keys = *keys;
	p->level = level;
	p->t.ops = &scp_ops;
	p->t.ctx = p;
	p->t.t0 = inner->t0;
	p->t.layer = "scp03";
	p->borrowed = (flags & CS_SCP03_BORROW_INNER) != 0;
	if ((flags & CS_SCP03_TRACE_PLAIN) && inner->trace) {
		p->plain_trace = inner->trace;
		p->plain_trace_arg = inner->trace_arg;
		p->t.trace = plain_trace;
		p->t.trace_arg = p;
	}
	update_limits(p);
	*out = &p->t;
	return 0;
}

/* Maps the status word of INITIALIZE UPDATE to an error. */
static int init_update_refused(uint16_t sw, uint8_t channel, uint8_t kvn, struct cs_errinfo *ei)
{
	switch (sw) {
	case 0x6A88:
		return cs_error(ei, CS_ERR_SCP03_UNSUPPORTED, -1,
				"card has no SCP03 key set with version %02X (6A88 on INITIALIZE "
				"UPDATE)",
				kvn);
	case 0x6D00:
	case 0x6E00:
	case 0x6A81:
	case 0x6881:
	case 0x6882:
	case 0x6A86:
		return cs_error(ei, CS_ERR_SCP03_UNSUPPORTED, -1,
				"card does not support SCP03 (%04X on INITIALIZE UPDATE, logical "
				"channel %u)",
				sw, channel);
	}
	return cs_error(ei, CS_ERR_SW, -1, "card answered %04X to INITIALIZE UPDATE", sw);
}

int cs_scp03_open(struct cs_transport *t, uint8_t channel, struct cs_errinfo *ei)
{
	struct scp_transport *p = scp_of(t);
	uint8_t hc[CS_SCP03_S8], iu[CS_SCP03_INIT_UPDATE_LEN], ea[CS_SCP03_EXT_AUTH_LEN];
	size_t rl = 0, iul = sizeof(iu);
	uint16_t sw;
	int err;

	if (!p)
		return cs_error(ei, CS_ERR_ARG, -1, "not an SCP03 transport");
	if (channel > MAX_CHANNEL)
		return cs_error(ei, CS_ERR_RANGE, -1, "logical channel %u outside 0..19", channel);
	end_session(p);
	p->broken = false;
	err = cs_scp03_random(hc, sizeof(hc), ei);
	if (!err)
		err = cs_scp03_host_init_update(&p->s, &p->keys, channel, hc, iu, ei);
	cs_zeroize(hc, sizeof(hc));
	if (err)
		goto out;
	/* over T=0 a case-4 command goes without Le (TS 102 221 §7.3.1.1) */
	if (p->inner->t0)
		iul--;
	err = exchange(p, iu, iul, true, CS_REDACT_NONE, &rl, ei);
	if (err)
		goto out;
	sw = (uint16_t)(p->rsp[rl - 2] << 8 | p->rsp[rl - 1]);
	if (sw != SW_OK) {
		err = init_update_refused(sw, channel, p->keys.kvn, ei);
		goto out;
	}
	err = cs_scp03_host_check_init_update(&p->s, &p->keys, p->rsp, rl - 2, ei);
	if (!err)
		err = cs_scp03_host_ext_auth(&p->s, p->level, ea, ei);
	if (!err)
		err = exchange(p, ea, sizeof(ea), false, CS_REDACT_NONE, &rl, ei);
	if (!err)
		err = cs_scp03_host_ext_auth_result(
			&p->s, (uint16_t)(p->rsp[rl - 2] << 8 | p->rsp[rl - 1]), ei);
out:
	cs_zeroize(p->rsp, sizeof(p->rsp));
	cs_zeroize(ea, sizeof(ea));
	if (err)
		end_session(p);
	else
		update_limits(p);
	return err;
}

void cs_scp03_close(struct cs_transport *t)
{
	struct scp_transport *p = scp_of(t);

	if (!p)
		return;
	end_session(p);
	p->broken = false;
}

bool cs_scp03_is_open(const struct cs_transport *t)
{
	const struct scp_transport *p = scp_of(t);

	return p && p->s.state == CS_SCP03_OPEN;
}

const struct cs_scp03_session *cs_scp03_session_of(const struct cs_transport *t)
{
	const struct scp_transport *p = scp_of(t);

	return p ? &p->s : NULL;
}

unsigned long cs_scp03_apdus(const struct cs_transport *t)
{
	const struct scp_transport *p = scp_of(t);

	return p ? p->apdus : 0;
}
