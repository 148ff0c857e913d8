/* SPDX-License-Identifier: MIT */
/*
 * Card image JSON (cs_cardimg_parse). What parses serializes to text that
 * parses again and serializes to the same text; then the whole card read
 * (uicc, pkcs15, cardsim, SCP03 when the image has keys) runs over it in
 * process through the image transport.
 */
#include <string.h>

#include "cardstrap/card.h"
#include "cardstrap/cardimg.h"
#include "cardstrap/model.h"
#include "common.h"

struct pin_arg {
	uint8_t pin[8];
	size_t len;
};

static int give_pin(void *arg, uint8_t keyref, int tries_left, struct cs_buf *pin,
		    struct cs_errinfo *ei)
{
	struct pin_arg *p = arg;

	(void)keyref;
	(void)tries_left;
	(void)ei;
	return cs_buf_append(pin, p->pin, p->len);
}

static void read_card(struct cs_cardimg *img)
{
	struct cs_transport *t;
	struct cs_card_read_opts opts = {0};
	struct cs_card_info info;
	struct cs_scp03_keys keys = {0};
	struct pin_arg pin = {"1234", 4};
	struct cs_buf ef = {0};
	struct cs_errinfo ei;
	struct cs_model m;
	int err;

	if (img->n_pins) {
		for (pin.len = 0; pin.len < 8 && img->pins[0].value[pin.len] != 0xFF; pin.len++)
			pin.pin[pin.len] = img->pins[0].value[pin.len];
	}
	if (img->scp03) {
		keys = img->scp03->keys;
		opts.scp03_keys = &keys;
		opts.scp03_mode = CS_CARD_SCP03_OPTIONAL;
	}
	opts.get_pin = give_pin;
	opts.pin_arg = &pin;
	/* from_image owns img from here on, also when it fails */
	if (cs_image_transport_from_image(img, &t, &ei))
		return;
	memset(&info, 0, sizeof(info));
	err = cs_card_read_bootstrap(t, &opts, &info, &ef, &ei);
	if (err) {
		fuzz_check_error(err, &ei, SIZE_MAX >> 1);
		FUZZ_CHECK(ef.len == 0);
	} else {
		FUZZ_CHECK(ef.len <= CS_CARD_MAX_EF);
		FUZZ_CHECK(info.bootstrap >= 0 && (size_t)info.bootstrap < info.nentries);
		cs_model_init(&m);
		if (cs_model_load_bsfile(&m, ef.data, ef.len, &ei) == 0)
			cs_model_free(&m);
	}
	FUZZ_CHECK(info.ndodf <= CS_CARD_MAX_DODF && info.nentries <= CS_CARD_MAX_ENTRIES);
	FUZZ_CHECK(memchr(info.iccid, '\0', sizeof(info.iccid)) != NULL);
	cs_buf_free(&ef);
	cs_scp03_keys_clear(&keys);
	cs_transport_destroy(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cs_cardimg *img = NULL, *again = NULL;
	struct cs_buf s1 = {0}, s2 = {0};
	struct cs_errinfo ei;
	int err;

	cs_errinfo_clear(&ei);
	err = cs_cardimg_parse((const char *)data, size, &img, &ei);
	if (err) {
		FUZZ_CHECK(img == NULL);
		FUZZ_CHECK(ei.code == err && memchr(ei.msg, '\0', sizeof(ei.msg)));
		return 0;
	}
	(void)cs_cardimg_bootstrap_ef(img);
	if (cs_cardimg_serialize(img, &s1, &ei))
		fuzz_fail("a parsed image does not serialize: %s", ei.msg);
	if (cs_cardimg_parse((const char *)s1.data, s1.len, &again, &ei))
		fuzz_fail("a serialized image does not parse: %s", ei.msg);
	FUZZ_CHECK(cs_cardimg_serialize(again, &s2, &ei) == 0);
	FUZZ_CHECK(s1.len == s2.len && !memcmp(s1.data, s2.data, s1.len));
	cs_cardimg_free(again);
	cs_buf_free(&s1);
	cs_buf_free(&s2);
	read_card(img);
	return 0;
}
