/* SPDX-License-Identifier: MIT */
/*
 * The whole card read (cs_card_read_bootstrap: uicc, FCP, EF.DIR, PKCS#15,
 * READ BINARY, VERIFY, SCP03 unwrapping) against a card whose answers are
 * the fuzz input: a hostile or broken card, where fuzz_cardimg drives a
 * well-behaved simulated one.
 *
 * Input:  flags(1) { len(2, big-endian) R-APDU(len: data + SW1 SW2) }*
 *   flags bit 0  the transport is T=0     bit 1  read with SCP03 keys (fixed test keys)
 * When the answers run out the card is "removed". A short R-APDU (< 2 bytes)
 * is a transport failure.
 *
 * Seeds: FUZZ_CARD_RECORD=IMAGE.json fuzz_card prints an input that replays
 * the answers of that card image to a plain read, and exits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cardstrap/card.h"
#include "cardstrap/cardimg.h"
#include "common.h"

struct script {
	const uint8_t *p;
	size_t len, pos;
};

static int script_transmit(struct cs_transport *t, const uint8_t *capdu, size_t clen,
			   uint8_t *rapdu, size_t *rlen, struct cs_errinfo *ei)
{
	struct script *s = t->ctx;
	size_t n;

	FUZZ_CHECK(clen >= 4 && clen <= 5 + 255 + 1);
	(void)capdu;
	if (s->len - s->pos < 2)
		return cs_error(ei, CS_ERR_CARD_REMOVED, -1, "card removed (end of the script)");
	n = (size_t)s->p[s->pos] << 8 | s->p[s->pos + 1];
	s->pos += 2;
	if (n > s->len - s->pos)
		n = s->len - s->pos;
	if (n > *rlen)
		n = *rlen;
	memcpy(rapdu, s->p + s->pos, n);
	s->pos += n;
	if (n < 2)
		return cs_error(ei, CS_ERR_TRANSPORT, -1, "broken answer (%zu bytes)", n);
	*rlen = n;
	return 0;
}

static const struct cs_transport_ops script_ops = {
	.name = "script",
	.transmit = script_transmit,
};

static int give_pin(void *arg, uint8_t keyref, int tries_left, struct cs_buf *pin,
		    struct cs_errinfo *ei)
{
	(void)arg;
	(void)keyref;
	(void)tries_left;
	(void)ei;
	return cs_buf_append(pin, "1234", 4);
}

/* Record mode: the answers of a card image, in the input format, on stdout. */
static void record_trace(void *arg, const char *layer, const uint8_t *capdu, size_t clen,
			 const uint8_t *rapdu, size_t rlen, int err, double elapsed_ms,
			 unsigned redact)
{
	(void)arg;
	(void)layer;
	(void)capdu;
	(void)clen;
	(void)err;
	(void)elapsed_ms;
	(void)redact;
	putchar((int)(rlen >> 8));
	putchar((int)(rlen & 0xFF));
	fwrite(rapdu, 1, rlen, stdout);
}

static void record(const char *image)
{
	struct cs_card_read_opts opts = {.get_pin = give_pin};
	struct cs_transport *t;
	struct cs_card_info info;
	struct cs_buf ef = {0};
	struct cs_errinfo ei;

	if (cs_image_transport_open(image, &t, &ei))
		fuzz_fail("%s: %s", image, ei.msg);
	t->trace = record_trace;
	putchar(t->t0 ? 1 : 0);
	if (cs_card_read_bootstrap(t, &opts, &info, &ef, &ei))
		fuzz_fail("%s: the read fails: %s", image, ei.msg);
	cs_buf_free(&ef);
	cs_transport_destroy(t);
	fflush(stdout);
	exit(0);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *image = getenv("FUZZ_CARD_RECORD");

	(void)argc;
	(void)argv;
	if (image)
		record(image);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t key[16] = {0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47,
					0x48, 0x49, 0x4A, 0x4B, 0x4C, 0x4D, 0x4E, 0x4F};
	struct script s = {data + 1, size ? size - 1 : 0, 0};
	struct cs_transport t = {.ops = &script_ops,
				 .ctx = &s,
				 .max_rsp_data = 256,
				 .max_cmd_data = 255,
				 .layer = "script"};
	struct cs_card_read_opts opts = {.get_pin = give_pin};
	struct cs_scp03_keys keys;
	struct cs_card_info info;
	struct cs_buf ef = {0};
	struct cs_errinfo ei;
	int err;

	if (!size)
		return 0;
	t.t0 = data[0] & 1;
	if (data[0] & 2) {
		FUZZ_CHECK(cs_scp03_keys_set(&keys, 0x30, key, key, NULL, 16, NULL) == 0);
		opts.scp03_keys = &keys;
		opts.scp03_mode = CS_CARD_SCP03_OPTIONAL;
	}
	memset(&info, 0xA5, sizeof(info)); /* the read must fill what it reports */
	cs_errinfo_clear(&ei);
	err = cs_card_read_bootstrap(&t, &opts, &info, &ef, &ei);
	if (err) {
		fuzz_check_error(err, &ei, SIZE_MAX >> 1);
		FUZZ_CHECK(ef.len == 0);
	} else {
		/* without FCP tag 80 (ef_size 0) the EF is read to a short chunk */
		FUZZ_CHECK(ef.len <= CS_CARD_MAX_EF && (!info.ef_size || ef.len <= info.ef_size));
		FUZZ_CHECK(info.bootstrap >= 0 && (size_t)info.bootstrap < info.nentries);
	}
	FUZZ_CHECK(info.ndodf <= CS_CARD_MAX_DODF && info.nentries <= CS_CARD_MAX_ENTRIES);
	FUZZ_CHECK(info.aid_len <= CS_PKCS15_MAX_AID);
	FUZZ_CHECK(memchr(info.iccid, '\0', sizeof(info.iccid)) != NULL);
	FUZZ_CHECK(memchr(info.app_label, '\0', sizeof(info.app_label)) != NULL);
	cs_buf_free(&ef);
	if (opts.scp03_keys)
		cs_scp03_keys_clear(&keys);
	return 0;
}
