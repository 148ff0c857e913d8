/* SPDX-License-Identifier: MIT */
/*
 * Secrets are wiped before their memory goes back to the heap. This binary
 * is linked with -Wl,--wrap=free (Makefile): every free() made by this file
 * and by libcardstrap (a static archive) first passes __wrap_free, which
 * looks for the secret patterns the test watches in the whole block about to
 * be freed and counts each block that still holds one. Frees made inside
 * shared libraries (libc's own, libcoap's, mbedtls') are not seen; jansson
 * frees through the functions json_set_alloc_funcs gave it, so it is seen.
 * Every test first shows that an unwiped block is caught, so that a zero
 * count means wiped, not unseen.
 */
#include <malloc.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "cardstrap/bsserver.h"
#include "cardstrap/buf.h"
#include "cardstrap/card.h"
#include "cardstrap/cardimg.h"
#include "cardstrap/encoding.h"
#include "cardstrap/jsonalloc.h"
#include "cardstrap/model.h"
#include "cardstrap/scp03.h"
#include "cardstrap/senml.h"
#include "vectors.h"

void __real_free(void *p);
void __wrap_free(void *p);

#define MAX_WATCH 8

static struct {
	const void *p;
	size_t n;
	const char *name;
} watch[MAX_WATCH];
static size_t nwatch;
static unsigned hits;
static char hit_names[256];

void __wrap_free(void *p)
{
	if (p) {
		size_t n = malloc_usable_size(p);

		for (size_t i = 0; i < nwatch; i++) {
			if (n >= watch[i].n && memmem(p, n, watch[i].p, watch[i].n)) {
				size_t k = strlen(hit_names);

				hits++;
				snprintf(hit_names + k, sizeof(hit_names) - k, "%s ",
					 watch[i].name);
			}
		}
	}
	__real_free(p);
}

/* Watches for p (n bytes; the caller keeps it alive) in freed blocks. */
static void watch_for(const char *name, const void *p, size_t n)
{
	assert_true(nwatch < MAX_WATCH);
	watch[nwatch].p = p;
	watch[nwatch].n = n;
	watch[nwatch++].name = name;
}

static void watch_reset(void)
{
	nwatch = 0;
	hits = 0;
	hit_names[0] = '\0';
}

/* Fails the test when a watched secret was freed unwiped since watch_reset, naming it. */
#define assert_no_hits(what)                                                                       \
	do {                                                                                       \
		if (hits)                                                                          \
			fail_msg("%s: %u freed block(s) still held: %s", what, hits, hit_names);   \
	} while (0)

/* Through a volatile pointer: the compiler must not drop a malloc/free pair it can see. */
static void (*volatile plain_free)(void *) = free;

/* A plain free() of a block holding pattern is caught: the detector works. */
static void caught_unwiped(const char *pattern, size_t n)
{
	uint8_t *b = malloc(n + 16);
	unsigned before = hits;

	assert_non_null(b);
	memset(b, 0x5A, n + 16);
	memcpy(b + 7, pattern, n);
	plain_free(b);
	assert_int_equal(hits, before + 1);
	hits = before;
	hit_names[0] = '\0';
}

static const char PSK_KEY[] = "3x@mpl3P5K53cr3tK3y"; /* ef-anjay-basic /0/1/5 */
static const char PSK_ID[] = "example-psk-identity"; /* ef-anjay-basic /0/1/3 */
static const uint8_t ENC[16] = {0x7E, 0x1C, 0x39, 0xA5, 0x5A, 0xC4, 0xD1, 0x0F,
				0x2B, 0x8E, 0x6F, 0x30, 0x91, 0x7A, 0x4C, 0x2D};
static const uint8_t MAC[16] = {0xC3, 0x5D, 0x08, 0xE2, 0x97, 0x41, 0xBA, 0x6C,
				0x1F, 0xD4, 0x83, 0x2A, 0x5E, 0xF0, 0x69, 0xB7};
static const uint8_t DEK[16] = {0x48, 0xA9, 0x13, 0x7C, 0xE6, 0x2F, 0xD0, 0x85,
				0x3B, 0x94, 0x6E, 0x01, 0xCA, 0x57, 0xF2, 0x1D};
static const char PIN[] = "80642791";

/* ---- the detector ---- */

static void test_detector(void **state)
{
	(void)state;
	watch_reset();
	watch_for("psk-key", PSK_KEY, strlen(PSK_KEY));
	caught_unwiped(PSK_KEY, strlen(PSK_KEY));
	/* cs_free_secret wipes first */
	{
		char *b = malloc(64);

		assert_non_null(b);
		memcpy(b, PSK_KEY, sizeof(PSK_KEY));
		cs_free_secret(b, 64);
	}
	assert_no_hits("cs_free_secret");
}

/* ---- jansson through cs_json_secure_init ---- */

static void json_round(const char *secret)
{
	json_t *o = json_pack("{s:s, s:[s]}", "key", secret, "list", secret);
	char *text;
	json_error_t je;

	assert_non_null(o);
	text = json_dumps(o, JSON_COMPACT);
	assert_non_null(text);
	json_decref(o);
	o = json_loads(text, 0, &je);
	assert_non_null(o);
	json_decref(o);
	cs_json_free(text);
}

static void test_json_alloc(void **state)
{
	(void)state;
	watch_reset();
	watch_for("psk-key", PSK_KEY, strlen(PSK_KEY));
	/* without it, jansson hands its blocks back as they are: caught */
	json_set_alloc_funcs(malloc, free);
	json_round(PSK_KEY);
	assert_true(hits >= 2);
	watch_reset();
	watch_for("psk-key", PSK_KEY, strlen(PSK_KEY));
	assert_false(cs_json_secure_active());
	cs_json_secure_init();
	assert_true(cs_json_secure_active());
	json_round(PSK_KEY);
	assert_no_hits("jansson with cs_json_secure_init");
	/* a block freed by cs_json_free is wiped whole, whatever jansson used of it */
	{
		char *b = malloc(100);

		assert_non_null(b);
		memcpy(b + 60, PSK_KEY, sizeof(PSK_KEY));
		cs_json_free(b);
		cs_json_free(NULL);
	}
	assert_no_hits("cs_json_free");
}

/* ---- cs_buf ---- */

static void test_buf(void **state)
{
	struct cs_buf b = {0};
	uint8_t *stolen;
	size_t len;

	(void)state;
	watch_reset();
	watch_for("psk-key", PSK_KEY, strlen(PSK_KEY));
	caught_unwiped(PSK_KEY, strlen(PSK_KEY));
	/* the secret goes in first, then the buffer grows past it several times */
	assert_int_equal(cs_buf_append(&b, PSK_KEY, strlen(PSK_KEY)), 0);
	for (int i = 0; i < 200; i++)
		assert_int_equal(cs_buf_append(&b, "................................", 32), 0);
	assert_true(b.cap >= 6400);
	assert_memory_equal(b.data, PSK_KEY, strlen(PSK_KEY));
	assert_no_hits("cs_buf growth");
	cs_buf_free(&b);
	assert_no_hits("cs_buf_free");
	assert_null(b.data);
	assert_int_equal(cs_buf_push(&b, 'x'), 0);
	assert_int_equal(cs_buf_append(&b, PSK_KEY, strlen(PSK_KEY)), 0);
	stolen = cs_buf_steal(&b, &len);
	assert_int_equal(len, 1 + strlen(PSK_KEY));
	cs_free_secret(stolen, len);
	assert_no_hits("cs_buf_steal + cs_free_secret");
}

/* ---- the model, its copies, TLV and SenML views ---- */

static void test_model(void **state)
{
	struct cs_model m, copy, back;
	struct cs_buf ef, out = {0};
	struct cs_errinfo ei;
	json_t *j;
	char *text;

	(void)state;
	assert_true(cs_json_secure_active());
	/* the vector's text names the key in a comment, and the helper frees it plainly */
	watch_reset();
	vector_bytes("ef-anjay-basic.hex", &ef);
	watch_for("psk-key", PSK_KEY, strlen(PSK_KEY));
	watch_for("psk-identity", PSK_ID, strlen(PSK_ID));
	caught_unwiped(PSK_ID, strlen(PSK_ID));
	cs_model_init(&m);
	assert_int_equal(cs_model_load_bsfile(&m, ef.data, ef.len, &ei), 0);
	cs_model_init(&copy);
	assert_int_equal(cs_model_copy(&copy, &m), 0);
	assert_int_equal(cs_model_to_bsfile(&copy, &out, &ei), 0);
	assert_int_equal(out.len, ef.len);
	assert_memory_equal(out.data, ef.data, ef.len);
	j = cs_senml_from_model(&m, CS_SENML_SHOW_SECRETS);
	assert_non_null(j);
	text = json_dumps(j, JSON_COMPACT);
	assert_non_null(text);
	json_decref(j);
	cs_model_init(&back);
	assert_int_equal(cs_senml_parse(text, strlen(text), &back, &ei), 0);
	cs_json_free(text);
	cs_model_free(&back);
	cs_model_free(&copy);
	cs_model_free(&m);
	cs_buf_free(&out);
	cs_buf_free(&ef);
	assert_no_hits("model, copy, TLV and SenML");
}

/* ---- SCP03 keys ---- */

static void test_scp03_keys(void **state)
{
	char path[] = "/tmp/cs-test-secrets-XXXXXX";
	char text[256], h1[33], h2[33], h3[33];
	struct cs_scp03_keys k;
	struct cs_errinfo ei;
	int fd;

	(void)state;
	watch_reset();
	watch_for("enc", ENC, sizeof(ENC));
	watch_for("mac", MAC, sizeof(MAC));
	caught_unwiped((const char *)MAC, sizeof(MAC));
	assert_int_equal(cs_scp03_keys_set(&k, 0x30, ENC, MAC, DEK, 16, &ei), 0);
	assert_non_null(memmem(&k, sizeof(k), ENC, sizeof(ENC)));
	cs_scp03_keys_clear(&k);
	assert_null(memmem(&k, sizeof(k), ENC, sizeof(ENC)));
	assert_null(memmem(&k, sizeof(k), MAC, sizeof(MAC)));
	assert_null(memmem(&k, sizeof(k), DEK, sizeof(DEK)));

	/* from a keys file: no copy of the text or the keys is left in freed memory */
	cs_hex_encode(ENC, 16, 0, h1, sizeof(h1));
	cs_hex_encode(MAC, 16, 0, h2, sizeof(h2));
	cs_hex_encode(DEK, 16, 0, h3, sizeof(h3));
	snprintf(text, sizeof(text), "kvn=30\nenc=%s\nmac=%s\ndek=%s\n", h1, h2, h3);
	watch_for("enc-hex", h1, strlen(h1));
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(fchmod(fd, 0600), 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	assert_int_equal(cs_scp03_keys_load(path, &k, &ei), 0);
	unlink(path);
	assert_memory_equal(k.mac, MAC, 16);
	cs_scp03_keys_clear(&k);
	assert_null(memmem(&k, sizeof(k), MAC, sizeof(MAC)));
	assert_no_hits("cs_scp03_keys_load");
}

/* ---- a whole card read through SCP03 with a PIN, in process ---- */

static int give_pin(void *arg, uint8_t keyref, int tries_left, struct cs_buf *pin,
		    struct cs_errinfo *ei)
{
	(void)arg;
	(void)keyref;
	(void)tries_left;
	(void)ei;
	return cs_buf_append(pin, PIN, strlen(PIN));
}

static void test_card_read(void **state)
{
	struct cs_cardimg_std std = {0};
	struct cs_card_read_opts opts = {0};
	struct cs_scp03_keys k;
	struct cs_cardimg *img = NULL;
	struct cs_transport *t = NULL;
	struct cs_card_info info;
	struct cs_buf ef, got = {0};
	struct cs_errinfo ei;

	(void)state;
	watch_reset();
	vector_bytes("ef-anjay-basic.hex", &ef);
	watch_for("psk-key", PSK_KEY, strlen(PSK_KEY));
	watch_for("pin", PIN, strlen(PIN));
	watch_for("enc", ENC, sizeof(ENC));
	watch_for("mac", MAC, sizeof(MAC));
	caught_unwiped(PIN, strlen(PIN));
	assert_int_equal(cs_scp03_keys_set(&k, 0x30, ENC, MAC, NULL, 16, &ei), 0);
	std.ef = ef.data;
	std.ef_len = ef.len;
	std.pin = PIN;
	std.private_obj = true;
	std.scp03_keys = &k;
	std.scp03_required = true;
	assert_int_equal(cs_cardimg_build_standard(&std, &img, &ei), 0);
	assert_int_equal(cs_image_transport_from_image(img, &t, &ei), 0);
	opts.get_pin = give_pin;
	opts.scp03_keys = &k;
	if (cs_card_read_bootstrap(t, &opts, &info, &got, &ei))
		fail_msg("card read: %s", ei.msg);
	assert_int_equal(info.scp03, CS_CARD_SCP03_SECURED);
	assert_true(info.pin_needed);
	assert_int_equal(got.len, ef.len);
	assert_memory_equal(got.data, ef.data, ef.len);
	cs_transport_destroy(t);
	cs_scp03_keys_clear(&k);
	cs_buf_free(&got);
	cs_buf_free(&ef);
	assert_no_hits("card read through SCP03 with a PIN (host and simulated card)");
}

/* ---- the Bootstrap-Server's DTLS key ---- */

static void test_bsserver_psk(void **state)
{
	static const uint8_t key[] = {0x3D, 0x9A, 0x0C, 0x71, 0xE4, 0xB8, 0x5F, 0x26,
				      0xA1, 0xD7, 0xC3, 0xE9, 0x0B, 0x4F, 0x6A, 0x58};
	struct cs_bsserver_config cfg = {0};
	struct cs_bsserver *srv = NULL;
	struct cs_errinfo ei;
	struct cs_model m;

	(void)state;
	watch_reset();
	vector_model("ef-anjay-basic.hex", &m);
	watch_for("dtls-key", key, sizeof(key));
	watch_for("psk-key", PSK_KEY, strlen(PSK_KEY));
	caught_unwiped((const char *)key, sizeof(key));
	cfg.listen = "127.0.0.1:0";
	cfg.dtls_listen = "127.0.0.1:0";
	cfg.psk_identity = (const uint8_t *)"cardstrap";
	cfg.psk_identity_len = 9;
	cfg.psk_key = key;
	cfg.psk_key_len = sizeof(key);
	if (cs_bsserver_new(&cfg, &srv, &ei))
		fail_msg("cs_bsserver_new: %s", ei.msg);
	assert_int_equal(cs_bsserver_set_data(srv, &m), 0);
	assert_int_equal(cs_bsserver_set_data(srv, &m), 0); /* the first copy is freed */
	cs_model_free(&m);
	cs_bsserver_free(srv);
	assert_no_hits("cs_bsserver_free (the PSK key and the data)");
}

/* valgrind preloads its vgpreload_*.so; tests/run VALGRIND=... runs every unit test under it */
static bool under_valgrind(void)
{
	const char *p = getenv("LD_PRELOAD");

	return p && strstr(p, "vgpreload");
}

/* Patterns may live on a test's stack: none is watched after its test. */
static int unwatch(void **state)
{
	(void)state;
	watch_reset();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_detector, unwatch),
		/* before any other jansson use: it installs the allocation functions */
		cmocka_unit_test_teardown(test_json_alloc, unwatch),
		cmocka_unit_test_teardown(test_buf, unwatch),
		cmocka_unit_test_teardown(test_model, unwatch),
		cmocka_unit_test_teardown(test_scp03_keys, unwatch),
		cmocka_unit_test_teardown(test_card_read, unwatch),
		cmocka_unit_test_teardown(test_bsserver_psk, unwatch),
	};

	/* the detector reads whole heap blocks, unwritten bytes too, which memcheck reports */
	if (under_valgrind()) {
		printf("skipped: the freed-block scan cannot run under valgrind\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
