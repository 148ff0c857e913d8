/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cardstrap/buf.h"
#include "cardstrap/encoding.h"
#include "cardstrap/model.h"
#include "cardstrap/objects.h"
#include "cardstrap/tlv.h"
#include "cardstrap/validate.h"

#include "vectors.h"

/* ---- helpers ---- */

static void print_diags(const char *title, const struct cs_diags *d)
{
	char line[400];

	printf("%s: %zu error(s), %zu warning(s)\n", title, d->errors, d->warnings);
	for (size_t k = 0; k < d->n; k++) {
		cs_diag_format(&d->items[k], line, sizeof(line));
		printf("  %s\n", line);
	}
}

static const struct cs_diag *find_diag(const struct cs_diags *d, enum cs_severity sev,
				       const char *path, const char *substr)
{
	char p[64];

	for (size_t k = 0; k < d->n; k++) {
		cs_diag_path(&d->items[k], p, sizeof(p));
		if (d->items[k].severity == sev && !strcmp(p, path) &&
		    strstr(d->items[k].message, substr))
			return &d->items[k];
	}
	return NULL;
}

static size_t count_diags(const struct cs_diags *d, enum cs_severity sev)
{
	size_t n = 0;

	for (size_t k = 0; k < d->n; k++)
		n += d->items[k].severity == sev;
	return n;
}

/* No diagnostic may quote a secret value (validate.h, RULES: messages never hold secrets). */
static void assert_no_secret_in_diags(const struct cs_model *m, const struct cs_diags *d)
{
	for (size_t o = 0; o < m->nobj; o++) {
		const struct cs_object *obj = &m->obj[o];

		for (size_t i = 0; i < obj->ninst; i++) {
			const struct cs_instance *in = &obj->inst[i];

			for (size_t r = 0; r < in->nres; r++) {
				const struct cs_resource *res = &in->res[r];

				if (res->multiple || res->v.len < 4 ||
				    !cs_resource_is_secret(obj->id, in, res->id))
					continue;
				for (size_t k = 0; k < d->n; k++)
					if (memmem(d->items[k].message, strlen(d->items[k].message),
						   res->v.data, res->v.len))
						fail_msg("diagnostic quotes secret /%u/%u/%u: %s",
							 obj->id, in->id, res->id,
							 d->items[k].message);
			}
		}
	}
}

/* ---- vector walk: every ef-*.hex with expect ok/invalid ---- */

struct vector {
	char name[256];
};

static void test_vector(void **state)
{
	const struct vector *v = *state;
	struct cs_buf b = {0};
	struct cs_errinfo ei;
	struct cs_model m;
	struct cs_diags d;
	char expect[32] = "", *text, *line, *save = NULL;
	size_t len, ndiag = 0;
	int rc;

	text = vector_text(v->name, &len);
	cs_errinfo_clear(&ei);
	assert_int_equal(cs_hex_decode(text, len, &b, &ei), 0);
	cs_model_init(&m);
	rc = cs_model_load_bsfile(&m, b.data, b.len, &ei);
	cs_buf_free(&b);
	if (rc)
		fail_msg("%s: does not decode: %s (byte %ld)", v->name, ei.msg, ei.offset);
	cs_diags_init(&d);
	rc = cs_validate(&m, &d);
	print_diags(v->name, &d);

	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char sev[16], path[64];
		int used = 0;

		if (sscanf(line, "# expect: %31s", expect) == 1)
			continue;
		if (sscanf(line, "# diag: %15s %63s %n", sev, path, &used) != 2 || !used)
			continue;
		ndiag++;
		if (strcmp(sev, "error") && strcmp(sev, "warning"))
			fail_msg("%s: bad diag line: %s", v->name, line);
		if (!find_diag(&d, strcmp(sev, "error") ? CS_SEV_WARNING : CS_SEV_ERROR, path,
			       line + used))
			fail_msg("%s: no %s at %s containing \"%s\"", v->name, sev, path,
				 line + used);
	}
	if (!strcmp(expect, "ok")) {
		assert_int_equal(d.errors, 0);
		assert_int_equal(rc, 0);
	} else {
		assert_string_equal(expect, "invalid");
		assert_true(d.errors >= 1);
		assert_int_equal(rc, CS_ERR_INVALID);
		/* every invalid vector of this suite names what it must find */
		if (!strncmp(v->name, "ef-invalid-", 11))
			assert_true(ndiag >= 1);
	}
	assert_int_equal(d.errors, count_diags(&d, CS_SEV_ERROR));
	assert_int_equal(d.warnings, count_diags(&d, CS_SEV_WARNING));
	assert_no_secret_in_diags(&m, &d);
	cs_diags_free(&d);
	cs_model_free(&m);
	free(text);
}

static bool wants_validation(const char *name)
{
	char *text = vector_text(name, NULL);
	bool yes = strstr(text, "# expect: ok") || strstr(text, "# expect: invalid");

	free(text);
	return yes;
}

static int cmp_vec(const void *a, const void *b)
{
	return strcmp(((const struct vector *)a)->name, ((const struct vector *)b)->name);
}

/* The vectors this suite owns: the walk must see them (a missing file must fail). */
static const char *const own_vectors[] = {
	"ef-lwm2m11-psk.hex",
	"ef-lwm2m11-cert.hex",
	"ef-rpk.hex",
	"ef-two-servers-acl.hex",
	"ef-warn-nosec-no-keys.hex",
	"ef-warn-short-psk.hex",
	"ef-warn-unknown-resource.hex",
	"ef-warn-v10-res13.hex",
	"ef-invalid-ssid-0.hex",
	"ef-invalid-server-ssid-65535.hex",
	"ef-invalid-dup-ssid.hex",
	"ef-invalid-security-no-server.hex",
	"ef-invalid-server-no-security.hex",
	"ef-invalid-two-bs.hex",
	"ef-invalid-no-account.hex",
	"ef-invalid-psk-no-key.hex",
	"ef-invalid-psk-coap-scheme.hex",
	"ef-invalid-nosec-coaps.hex",
	"ef-invalid-cert-garbage.hex",
	"ef-invalid-key-mismatch.hex",
	"ef-invalid-bool-02.hex",
	"ef-invalid-secmode-7.hex",
	"ef-invalid-int-width3.hex",
	"ef-invalid-binding-x.hex",
	"ef-invalid-acl-unknown-ssid.hex",
	"ef-invalid-uri-nul.hex",
};

static struct vector *list_vectors(size_t *n)
{
	const char *dir = vector_dir();
	struct vector *v = NULL;
	size_t cap = 0;
	struct dirent *de;
	DIR *dp = opendir(dir);

	*n = 0;
	if (!dp) {
		fprintf(stderr, "cannot open %s (run from the top directory or set VECTORS)\n",
			dir);
		return NULL;
	}
	while ((de = readdir(dp))) {
		size_t l = strlen(de->d_name);

		if (strncmp(de->d_name, "ef-", 3) || l < 8 || strcmp(de->d_name + l - 4, ".hex") ||
		    l >= sizeof(v->name))
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			v = realloc(v, cap * sizeof(*v));
			if (!v)
				abort();
		}
		snprintf(v[*n].name, sizeof(v[*n].name), "%s", de->d_name);
		if (wants_validation(v[*n].name))
			(*n)++;
	}
	closedir(dp);
	if (*n)
		qsort(v, *n, sizeof(*v), cmp_vec);
	return v;
}

/* ---- fixed cases ---- */

static void test_nordic_warnings_only(void **state)
{
	struct cs_model m;
	struct cs_diags d;

	(void)state;
	vector_model("ef-nordic.hex", &m);
	cs_diags_init(&d);
	assert_int_equal(cs_validate(&m, &d), 0);
	print_diags("ef-nordic.hex", &d);
	assert_int_equal(d.errors, 0);
	assert_int_equal(d.warnings, 3);
	for (int rid = 3; rid <= 5; rid++) {
		char path[32];

		snprintf(path, sizeof(path), "/0/0/%d", rid);
		assert_non_null(find_diag(&d, CS_SEV_WARNING, path, "is missing; NoSec"));
	}
	cs_diags_free(&d);
	cs_model_free(&m);
}

static void test_anjay_only_unused_server_key(void **state)
{
	struct cs_model m;
	struct cs_diags d;

	(void)state;
	vector_model("ef-anjay-basic.hex", &m);
	cs_diags_init(&d);
	assert_int_equal(cs_validate(&m, &d), 0);
	assert_int_equal(d.errors, 0);
	assert_int_equal(d.warnings, 1);
	assert_non_null(find_diag(&d, CS_SEV_WARNING, "/0/1/4",
				  "mandatory resource 4 (Server Public Key) is missing; PSK"));
	cs_diags_free(&d);
	cs_model_free(&m);
}

static void test_diag_format(void **state)
{
	struct cs_diag dg = {CS_SEV_ERROR, 0, 1, 10, 57, "Short Server ID 0 is outside 1..65534"};
	char buf[300];

	(void)state;
	assert_int_equal(
		cs_diag_format(&dg, buf, sizeof(buf)),
		(int)strlen("error: /0/1/10 (byte 57): Short Server ID 0 is outside 1..65534"));
	assert_string_equal(buf, "error: /0/1/10 (byte 57): Short Server ID 0 is outside 1..65534");

	dg = (struct cs_diag){CS_SEV_WARNING, 1, 0, -1, -1, "x"};
	cs_diag_format(&dg, buf, sizeof(buf));
	assert_string_equal(buf, "warning: /1/0: x");
	assert_int_equal(cs_diag_path(&dg, buf, sizeof(buf)), 4);
	assert_string_equal(buf, "/1/0");

	dg.iid = -1;
	cs_diag_path(&dg, buf, sizeof(buf));
	assert_string_equal(buf, "/1");
	dg.oid = -1;
	cs_diag_format(&dg, buf, sizeof(buf));
	assert_string_equal(buf, "warning: /: x");

	/* truncation behaves like snprintf */
	dg = (struct cs_diag){CS_SEV_ERROR, 0, 0, 0, -1, "abc"};
	assert_int_equal(cs_diag_format(&dg, buf, 8), (int)strlen("error: /0/0/0: abc"));
	assert_string_equal(buf, "error: ");
}

static void test_diag_format_from_vector(void **state)
{
	struct cs_model m;
	struct cs_diags d;
	const struct cs_diag *dg;
	char buf[300];

	(void)state;
	vector_model("ef-invalid-ssid-0.hex", &m);
	cs_diags_init(&d);
	assert_int_equal(cs_validate(&m, &d), CS_ERR_INVALID);
	dg = find_diag(&d, CS_SEV_ERROR, "/0/0/10", "Short Server ID");
	assert_non_null(dg);
	cs_diag_format(dg, buf, sizeof(buf));
	/* @48 in the vector: C1 0A 00 */
	assert_string_equal(buf, "error: /0/0/10 (byte 48): Short Server ID 0 is outside 1..65534");
	dg = find_diag(&d, CS_SEV_ERROR, "/1/0", "has no Security instance");
	assert_non_null(dg);
	cs_diag_format(dg, buf, sizeof(buf));
	assert_string_equal(buf, "error: /1/0 (byte 56): Server instance /1/0 (SSID 1) has no "
				 "Security instance with Short Server ID 1");
	assert_non_null(find_diag(&d, CS_SEV_ERROR, "/", "no server account"));
	assert_int_equal(d.errors, 3);
	cs_diags_free(&d);
	cs_model_free(&m);
}

static void test_diags_list(void **state)
{
	struct cs_diags d;

	(void)state;
	cs_diags_init(&d);
	for (int k = 0; k < 100; k++)
		assert_int_equal(cs_diags_add(&d, k % 3 ? CS_SEV_WARNING : CS_SEV_ERROR, 1, k, -1,
					      k, "item %d", k),
				 0);
	assert_int_equal(d.n, 100);
	assert_int_equal(d.errors, 34);
	assert_int_equal(d.warnings, 66);
	assert_string_equal(d.items[99].message, "item 99");
	assert_int_equal(d.items[99].iid, 99);
	cs_diags_free(&d);
	assert_null(d.items);
	assert_int_equal(d.n, 0);
}

/* ---- rules on models built in memory ---- */

static void res_int(struct cs_instance *i, uint16_t rid, int64_t v)
{
	uint8_t b[8];

	assert_non_null(cs_instance_add_resource(i, rid, b, cs_tlv_int_encode(v, b)));
}

static void res_uint(struct cs_instance *i, uint16_t rid, uint64_t v)
{
	uint8_t b[8];

	assert_non_null(cs_instance_add_resource(i, rid, b, cs_tlv_uint_encode(v, b)));
}

static void res_bytes(struct cs_instance *i, uint16_t rid, const void *p, size_t n)
{
	assert_non_null(cs_instance_add_resource(i, rid, p, n));
}

static void res_str(struct cs_instance *i, uint16_t rid, const char *s)
{
	res_bytes(i, rid, s, strlen(s));
}

/* A Security instance: URI, BS flag, mode and (when ssid > 0) SSID; no 3/4/5. */
static struct cs_instance *sec_inst(struct cs_object *o, uint16_t iid, const char *uri, bool bs,
				    int mode, int ssid)
{
	struct cs_instance *i = cs_object_add_instance(o, iid);

	assert_non_null(i);
	res_str(i, 0, uri);
	res_int(i, 1, bs);
	res_int(i, 2, mode);
	if (ssid > 0)
		res_int(i, 10, ssid);
	return i;
}

static struct cs_instance *srv_inst(struct cs_object *o, uint16_t iid, int ssid,
				    const char *binding)
{
	struct cs_instance *i = cs_object_add_instance(o, iid);

	assert_non_null(i);
	res_int(i, 0, ssid);
	res_int(i, 1, 86400);
	res_int(i, 6, 1);
	res_str(i, 7, binding);
	return i;
}

static void empty_keys(struct cs_instance *i)
{
	res_bytes(i, 3, "", 0);
	res_bytes(i, 4, "", 0);
	res_bytes(i, 5, "", 0);
}

/* A NoSec account with SSID 1 whose Server object has version ver_major.ver_minor. */
static void nosec_account(struct cs_model *m, uint8_t maj, uint8_t min, const char *binding)
{
	struct cs_object *o = cs_model_add_object(m, 0, maj, min);

	assert_non_null(o);
	empty_keys(sec_inst(o, 0, "coap://127.0.0.1:5683", false, 3, 1));
	o = cs_model_add_object(m, 1, maj, min);
	assert_non_null(o);
	srv_inst(o, 0, 1, binding);
}

static void run(const struct cs_model *m, struct cs_diags *d, const char *title)
{
	cs_diags_init(d);
	assert_true(cs_validate(m, d) != CS_ERR_NOMEM);
	print_diags(title, d);
}

static void test_binding_by_version(void **state)
{
	static const struct {
		uint8_t maj, min;
		const char *binding;
		int errors, warnings;
		const char *msg;
	} cases[] = {
		{1, 0, "UQS", 0, 0, NULL},
		{1, 0, "UT", 1, 0, "is not a 1.0 binding"},
		{1, 0, "UQT", 0, 1, "1.1 draft"},
		{1, 1, "UTSN", 0, 0, NULL},
		{1, 1, "UM", 1, 0, "needs object version 1.2"},
		{1, 1, "UQ", 0, 1, "queue mode is a registration parameter"},
		{1, 2, "UMH", 0, 0, NULL},
		{0, 0, "UQ", 0, 0, NULL},
		{0, 0, "TQ", 0, 1, "uses 'Q'"},
		{0, 0, "", 1, 0, "Binding is empty"},
		{0, 0, "UU", 1, 0, "repeats the letter 'U'"},
		{0, 0, "u", 1, 0, "contains 'u'"},
	};

	(void)state;
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct cs_model m;
		struct cs_diags d;

		cs_model_init(&m);
		nosec_account(&m, cases[k].maj, cases[k].min, cases[k].binding);
		run(&m, &d, cases[k].binding);
		assert_int_equal(d.errors, cases[k].errors);
		assert_int_equal(d.warnings, cases[k].warnings);
		if (cases[k].msg)
			assert_non_null(find_diag(&d,
						  cases[k].errors ? CS_SEV_ERROR : CS_SEV_WARNING,
						  "/1/0/7", cases[k].msg));
		cs_diags_free(&d);
		cs_model_free(&m);
	}
}

static void test_psk_limits_and_types(void **state)
{
	uint8_t big[130];
	struct cs_model m;
	struct cs_diags d;
	struct cs_object *o;
	struct cs_instance *i;
	struct cs_resource *r;

	(void)state;
	memset(big, 'k', sizeof(big));
	cs_model_init(&m);
	o = cs_model_add_object(&m, 0, 0, 0);
	i = sec_inst(o, 0, "coaps://h:5684", false, 0, 1);
	res_bytes(i, 3, big, 129);
	res_bytes(i, 4, "", 0);
	res_bytes(i, 5, big, 65);
	res_bytes(i, 8, big, 20);
	res_int(i, 16, 0xC0A8); /* single, but defined as multiple */
	r = cs_instance_add_multiple(i, 18);
	assert_non_null(r);
	assert_non_null(cs_resource_add_instance(r, 0, (const uint8_t *)"\x00\x17\x00", 3));
	o = cs_model_add_object(&m, 1, 0, 0);
	i = srv_inst(o, 0, 1, "U");
	res_bytes(i, 8, "", 0); /* executable */
	res_uint(i, 13, 200);
	run(&m, &d, "psk limits");
	assert_non_null(find_diag(&d, CS_SEV_ERROR, "/0/0/3", "PSK identity is 129 bytes"));
	assert_non_null(find_diag(&d, CS_SEV_ERROR, "/0/0/5", "PSK is 65 bytes"));
	assert_non_null(find_diag(&d, CS_SEV_ERROR, "/0/0/8", "must be 16, 32 or 48 bytes"));
	assert_non_null(find_diag(&d, CS_SEV_ERROR, "/0/0/16",
				  "must be a Multiple Resource, but it is stored as a single"));
	assert_non_null(find_diag(&d, CS_SEV_ERROR, "/0/0/18",
				  "Groups To Use by Client instance 0 has a 3-byte value"));
	assert_non_null(find_diag(&d, CS_SEV_WARNING, "/1/0/8", "is executable"));
	assert_int_equal(d.errors, 5);
	assert_int_equal(d.warnings, 1);
	cs_diags_free(&d);
	cs_model_free(&m);
}

static void test_matching_type_hash(void **state)
{
	static const struct {
		uint64_t mt;
		size_t len;
		int errors;
	} cases[] = {{1, 32, 0}, {1, 20, 1}, {2, 48, 0}, {3, 64, 0}, {3, 32, 1}};
	uint8_t hash[64] = {0};

	(void)state;
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct cs_model m;
		struct cs_diags d;
		struct cs_object *o;
		struct cs_instance *i;

		cs_model_init(&m);
		o = cs_model_add_object(&m, 0, 1, 1);
		/* Certificate mode with EST: only the server certificate (4) is needed */
		i = sec_inst(o, 0, "coaps://h:5684", false, 4, 1);
		res_bytes(i, 3, "", 0);
		res_bytes(i, 4, hash, cases[k].len);
		res_bytes(i, 5, "", 0);
		res_uint(i, 13, cases[k].mt);
		srv_inst(cs_model_add_object(&m, 1, 1, 1), 0, 1, "U");
		run(&m, &d, "matching type");
		assert_int_equal(d.errors, cases[k].errors);
		if (cases[k].errors)
			assert_non_null(find_diag(&d, CS_SEV_ERROR, "/0/0/4", "-byte hash"));
		cs_diags_free(&d);
		cs_model_free(&m);
	}
}

static void test_accounts_and_records(void **state)
{
	struct cs_model m;
	struct cs_diags d;
	struct cs_object *o;

	(void)state;
	cs_model_init(&m);
	o = cs_model_add_object(&m, 0, 0, 0);
	empty_keys(sec_inst(o, 0, "coap://bs:5683", true, 3, 7));
	empty_keys(sec_inst(o, 0xFFFF, "coap://x:5683", false, 3, 1));
	o = cs_model_add_object(&m, 1, 3, 0); /* version newer than known */
	srv_inst(o, 0, 7, "U");
	srv_inst(o, 1, 1, "U");
	/* a second record of object 1 writes /1/1 again, now with SSID 2 */
	o = cs_model_add_object(&m, 1, 0, 0);
	srv_inst(o, 1, 2, "U");
	/* unknown object: only structural checks */
	o = cs_model_add_object(&m, 3, 0, 0);
	res_bytes(cs_object_add_instance(o, 0), 1, "\x01\x02\x03", 3);
	run(&m, &d, "accounts");
	assert_non_null(find_diag(&d, CS_SEV_ERROR, "/0/65535", "Object Instance ID 65535"));
	assert_non_null(find_diag(&d, CS_SEV_WARNING, "/1", "object version 3.0 of LwM2M Server"));
	assert_non_null(find_diag(&d, CS_SEV_ERROR, "/1/0",
				  "is paired with /0/0, which is a "
				  "Bootstrap-Server account"));
	assert_non_null(find_diag(&d, CS_SEV_WARNING, "/1/1", "written again by a later record"));
	assert_non_null(find_diag(&d, CS_SEV_ERROR, "/1/1",
				  "Server instance /1/1 (SSID 2) has no Security instance"));
	assert_null(find_diag(&d, CS_SEV_ERROR, "/1/1", "(SSID 1)"));
	assert_non_null(find_diag(&d, CS_SEV_ERROR, "/0/65535",
				  "Security instance /0/65535 (SSID 1) has no Server instance"));
	assert_int_equal(d.errors, 4);
	assert_int_equal(d.warnings, 2);
	cs_diags_free(&d);
	cs_model_free(&m);
}

static void test_access_control_rules(void **state)
{
	struct cs_model m;
	struct cs_diags d;
	struct cs_object *o;
	struct cs_instance *i;
	struct cs_resource *r;

	(void)state;
	cs_model_init(&m);
	nosec_account(&m, 0, 0, "U");
	o = cs_model_add_object(&m, 2, 0, 0);
	/* object-level ACL owned by a server: warning; ACL default entry 0 is fine */
	i = cs_object_add_instance(o, 0);
	res_int(i, 0, 3);
	res_int(i, 1, 65535);
	r = cs_instance_add_multiple(i, 2);
	assert_non_null(cs_resource_add_instance(r, 0, (const uint8_t *)"\x01", 1));
	assert_non_null(cs_resource_add_instance(r, 1, (const uint8_t *)"\x10", 1));
	res_int(i, 3, 1);
	/* instance-level: Create bit warns, value 32 out of range, unknown owner */
	i = cs_object_add_instance(o, 1);
	res_int(i, 0, 3);
	res_int(i, 1, 0);
	r = cs_instance_add_multiple(i, 2);
	assert_non_null(cs_resource_add_instance(r, 1, (const uint8_t *)"\x1F", 1));
	assert_non_null(cs_resource_add_instance(r, 0, (const uint8_t *)"\x20", 1));
	res_int(i, 3, 9);
	/* Object ID 0 outside 1..65534; Object Instance ID missing */
	i = cs_object_add_instance(o, 2);
	res_int(i, 0, 0);
	res_int(i, 3, 65535);
	run(&m, &d, "access control");
	assert_non_null(find_diag(&d, CS_SEV_WARNING, "/2/0/3", "object-level Access Control"));
	assert_non_null(find_diag(&d, CS_SEV_WARNING, "/2/1/2", "ACL instance 1 grants Create"));
	assert_non_null(
		find_diag(&d, CS_SEV_ERROR, "/2/1/2", "ACL instance 0 value 32 is outside 0..31"));
	assert_non_null(find_diag(&d, CS_SEV_ERROR, "/2/1/3",
				  "Access Control Owner 9 is not the Short Server ID"));
	assert_non_null(find_diag(&d, CS_SEV_ERROR, "/2/2/0", "Object ID 0 is outside 1..65534"));
	assert_non_null(find_diag(&d, CS_SEV_ERROR, "/2/2/1",
				  "mandatory resource 1 (Object Instance ID) is missing"));
	assert_int_equal(d.errors, 4);
	assert_int_equal(d.warnings, 2);
	cs_diags_free(&d);
	cs_model_free(&m);
}

static void test_uri_checks(void **state)
{
	static const struct {
		uint8_t min;
		const char *uri;
		int mode;
		enum cs_severity sev;
		const char *msg; /* NULL: clean */
	} cases[] = {
		{1, "coaps+tcp://h:5684", 0, CS_SEV_ERROR, NULL},
		{0, "coaps+tcp://h:5684", 0, CS_SEV_WARNING, "needs object version 1.1"},
		{1, "coap+tcp://h:5683", 1, CS_SEV_ERROR,
		 "Security Mode is RPK but the URI scheme is coap+tcp://"},
		{1, "h:5683", 3, CS_SEV_ERROR, "does not start with a scheme"},
		{1, "coap://", 3, CS_SEV_ERROR, "has no host"},
		{1, "gopher://h", 3, CS_SEV_WARNING, "scheme gopher:// is not one LwM2M defines"},
		{1, "", 3, CS_SEV_WARNING, "LwM2M Server URI is empty"},
		{1, "coap://h\xC3(", 3, CS_SEV_ERROR, "not valid UTF-8 (at position 8)"},
	};

	(void)state;
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct cs_model m;
		struct cs_diags d;
		struct cs_instance *i;
		uint8_t psk[16] = {1};

		cs_model_init(&m);
		i = sec_inst(cs_model_add_object(&m, 0, 1, cases[k].min), 0, cases[k].uri, false,
			     cases[k].mode, 1);
		res_bytes(i, 3, "identity", 8);
		res_bytes(i, 4, "", 0);
		res_bytes(i, 5, cases[k].mode == 0 ? psk : NULL, cases[k].mode == 0 ? 16 : 0);
		srv_inst(cs_model_add_object(&m, 1, 1, cases[k].min), 0, 1, "U");
		run(&m, &d, cases[k].uri);
		if (!cases[k].msg) {
			assert_int_equal(d.errors, 0);
		} else {
			assert_non_null(find_diag(&d, cases[k].sev, "/0/0/0", cases[k].msg));
		}
		cs_diags_free(&d);
		cs_model_free(&m);
	}
}

static void test_return_codes(void **state)
{
	struct cs_model m;
	struct cs_diags d;

	(void)state;
	cs_model_init(&m);
	nosec_account(&m, 1, 1, "U");
	cs_diags_init(&d);
	assert_int_equal(cs_validate(&m, &d), 0);
	assert_int_equal(d.errors, 0);
	/* diagnostics from before the call do not count as its errors */
	cs_diags_free(&d);
	cs_diags_init(&d);
	assert_int_equal(cs_diags_add(&d, CS_SEV_ERROR, -1, -1, -1, -1, "earlier"), 0);
	assert_int_equal(cs_validate(&m, &d), 0);
	cs_diags_free(&d);
	cs_model_free(&m);

	cs_model_init(&m);
	cs_diags_init(&d);
	assert_int_equal(cs_validate(&m, &d), CS_ERR_INVALID);
	assert_non_null(find_diag(&d, CS_SEV_ERROR, "/", "no server account"));
	cs_diags_free(&d);
	cs_model_free(&m);
}

int main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_nordic_warnings_only),
		cmocka_unit_test(test_anjay_only_unused_server_key),
		cmocka_unit_test(test_diag_format),
		cmocka_unit_test(test_diag_format_from_vector),
		cmocka_unit_test(test_diags_list),
		cmocka_unit_test(test_binding_by_version),
		cmocka_unit_test(test_psk_limits_and_types),
		cmocka_unit_test(test_matching_type_hash),
		cmocka_unit_test(test_accounts_and_records),
		cmocka_unit_test(test_access_control_rules),
		cmocka_unit_test(test_uri_checks),
		cmocka_unit_test(test_return_codes),
	};
	struct CMUnitTest *tests;
	struct vector *v;
	size_t n, missing = 0;
	int failed;

	v = list_vectors(&n);
	for (size_t k = 0; k < sizeof(own_vectors) / sizeof(own_vectors[0]); k++) {
		bool found = false;

		for (size_t j = 0; j < n; j++)
			found |= !strcmp(v[j].name, own_vectors[k]);
		if (!found) {
			fprintf(stderr, "vector %s is missing\n", own_vectors[k]);
			missing++;
		}
	}
	tests = calloc(n ? n : 1, sizeof(*tests));
	if (!tests)
		return 1;
	for (size_t k = 0; k < n; k++) {
		tests[k].name = v[k].name;
		tests[k].test_func = test_vector;
		tests[k].initial_state = &v[k];
	}
	failed = cmocka_run_group_tests_name("validate", fixed, NULL, NULL);
	failed += _cmocka_run_group_tests("validate-vectors", tests, n, NULL, NULL);
	free(tests);
	free(v);
	return failed || missing || n == 0;
}
