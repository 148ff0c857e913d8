/* SPDX-License-Identifier: MIT */
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

#include "vectors.h"

/* ---- definitions ---- */

static void test_objdef_lookup(void **state)
{
	const struct cs_objdef *sec = cs_objdef_find(0), *srv = cs_objdef_find(1),
			       *acl = cs_objdef_find(2);
	const struct cs_resdef *rd;

	(void)state;
	assert_non_null(sec);
	assert_non_null(srv);
	assert_non_null(acl);
	assert_null(cs_objdef_find(3));
	assert_null(cs_objdef_find(65535));
	assert_string_equal(sec->name, "LwM2M Security");
	assert_string_equal(srv->name, "LwM2M Server");
	assert_string_equal(acl->name, "LwM2M Access Control");
	assert_int_equal(sec->latest_minor, 2);
	assert_int_equal(srv->latest_minor, 2);
	assert_int_equal(acl->latest_minor, 1);
	assert_true(sec->mandatory && srv->mandatory && !acl->mandatory);
	assert_true(sec->multiple && srv->multiple && acl->multiple);
	assert_int_equal(sec->nres, 31); /* 0..30 */
	assert_int_equal(srv->nres, 28); /* 0..27 */
	assert_int_equal(acl->nres, 4);

	rd = cs_resdef_find(sec, 16);
	assert_non_null(rd);
	assert_string_equal(rd->name, "DTLS/TLS Ciphersuite");
	assert_int_equal(rd->type, CS_TYPE_UNSIGNED);
	assert_true(rd->multiple);
	assert_false(rd->mandatory);
	assert_int_equal(rd->since_minor, 1);

	rd = cs_resdef_find(srv, 7);
	assert_non_null(rd);
	assert_string_equal(rd->name, "Binding");
	assert_int_equal(rd->type, CS_TYPE_STRING);
	assert_false(rd->multiple);
	assert_true(rd->mandatory);
	assert_int_equal(rd->since_minor, 0);

	rd = cs_resdef_find(sec, 10);
	assert_string_equal(rd->name, "Short Server ID");
	assert_int_equal(rd->type, CS_TYPE_INTEGER);
	assert_false(rd->mandatory);
	assert_true(rd->has_range);
	assert_int_equal(rd->min, 1);
	assert_int_equal(rd->max, 65534);

	rd = cs_resdef_find(srv, 0);
	assert_true(rd->mandatory);
	assert_int_equal(rd->min, 1);
	assert_int_equal(rd->max, 65534);

	rd = cs_resdef_find(sec, 0);
	assert_int_equal(rd->type, CS_TYPE_STRING);
	assert_int_equal(rd->max, 255);

	rd = cs_resdef_find(sec, 1);
	assert_int_equal(rd->type, CS_TYPE_BOOLEAN);
	assert_true(rd->mandatory);

	rd = cs_resdef_find(sec, 2);
	assert_int_equal(rd->min, 0);
	assert_int_equal(rd->max, 4);

	rd = cs_resdef_find(sec, 5);
	assert_string_equal(rd->name, "Secret Key");
	assert_int_equal(rd->type, CS_TYPE_OPAQUE);

	rd = cs_resdef_find(sec, 13);
	assert_string_equal(rd->name, "Matching Type");
	assert_int_equal(rd->type, CS_TYPE_UNSIGNED);
	assert_int_equal(rd->since_minor, 1);
	assert_int_equal(rd->max, 3);

	rd = cs_resdef_find(sec, 17);
	assert_int_equal(rd->type, CS_TYPE_OBJLNK);

	rd = cs_resdef_find(sec, 25);
	assert_string_equal(rd->name, "Secondary LwM2M Server URI");
	assert_true(rd->multiple);
	assert_int_equal(rd->since_minor, 2);

	rd = cs_resdef_find(srv, 8);
	assert_int_equal(rd->type, CS_TYPE_NONE);
	assert_true(rd->mandatory);

	rd = cs_resdef_find(srv, 12);
	assert_string_equal(rd->name, "Last Bootstrapped");
	assert_int_equal(rd->type, CS_TYPE_TIME);

	rd = cs_resdef_find(srv, 27);
	assert_string_equal(rd->name, "Profile ID Hash Algorithm");
	assert_int_equal(rd->since_minor, 2);
	assert_int_equal(rd->max, 255);

	rd = cs_resdef_find(acl, 2);
	assert_string_equal(rd->name, "ACL");
	assert_true(rd->multiple);
	assert_int_equal(rd->type, CS_TYPE_INTEGER);
	assert_int_equal(rd->min, 0);
	assert_int_equal(rd->max, 31);

	rd = cs_resdef_find(acl, 1);
	assert_int_equal(rd->max, 65535);

	assert_null(cs_resdef_find(sec, 31));
	assert_null(cs_resdef_find(srv, 28));
	assert_null(cs_resdef_find(acl, 4));
	assert_null(cs_resdef_find(NULL, 0));
}

/* Every table: ids 0..n-1 in order, names set, versions within the object's, ranges sane. */
static void test_tables_consistent(void **state)
{
	(void)state;
	for (uint16_t oid = 0; oid <= 2; oid++) {
		const struct cs_objdef *od = cs_objdef_find(oid);

		assert_int_equal(od->id, oid);
		for (size_t k = 0; k < od->nres; k++) {
			const struct cs_resdef *rd = &od->res[k];

			assert_int_equal(rd->id, k);
			assert_ptr_equal(cs_resdef_find(od, rd->id), rd);
			assert_non_null(rd->name);
			assert_true(strlen(rd->name) > 1);
			assert_true(rd->since_minor <= od->latest_minor);
			if (rd->has_range)
				assert_true(rd->min <= rd->max);
			if (rd->since_minor > 0)
				assert_false(rd->mandatory);
		}
	}
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(cs_type_name(CS_TYPE_STRING), "String");
	assert_string_equal(cs_type_name(CS_TYPE_UNSIGNED), "Unsigned Integer");
	assert_string_equal(cs_type_name(CS_TYPE_OBJLNK), "Objlnk");
	assert_string_equal(cs_type_name(CS_TYPE_NONE), "none");
	assert_string_equal(cs_type_name((enum cs_type)99), "unknown");
	assert_string_equal(cs_security_mode_name(0), "Pre-Shared Key");
	assert_string_equal(cs_security_mode_name(1), "Raw Public Key");
	assert_string_equal(cs_security_mode_name(2), "Certificate");
	assert_string_equal(cs_security_mode_name(3), "NoSec");
	assert_string_equal(cs_security_mode_name(4), "Certificate mode with EST");
	assert_string_equal(cs_security_mode_name(7), "unknown");
	assert_string_equal(cs_security_mode_name(-1), "unknown");
}

/* ---- views ---- */

static void test_views_anjay(void **state)
{
	struct cs_model m;
	struct cs_object *o;
	struct cs_security sec;
	struct cs_server srv;

	(void)state;
	vector_model("ef-anjay-basic.hex", &m);
	o = cs_model_find_object(&m, 0);
	assert_non_null(o);
	cs_security_view(cs_object_find_instance(o, 1), &sec);
	assert_ptr_equal(sec.inst, cs_object_find_instance(o, 1));
	assert_string_equal(sec.lwm2m_server_uri, "coaps://eu.iot.avsystem.cloud:5684");
	assert_true(sec.bootstrap_server.present);
	assert_int_equal(sec.bootstrap_server.v, 0);
	assert_true(sec.security_mode.present);
	assert_int_equal(sec.security_mode.v, CS_SECMODE_PSK);
	assert_non_null(sec.public_key_or_identity);
	assert_int_equal(sec.public_key_or_identity->len, 20);
	assert_memory_equal(sec.public_key_or_identity->data, "example-psk-identity", 20);
	assert_null(sec.server_public_key);
	assert_non_null(sec.secret_key);
	assert_int_equal(sec.secret_key->len, 19);
	assert_true(sec.short_server_id.present);
	assert_int_equal(sec.short_server_id.v, 1);
	assert_false(sec.matching_type.present);
	assert_null(sec.sni);
	assert_null(sec.dtls_tls_ciphersuite);
	assert_false(cs_security_is_bootstrap(sec.inst));
	assert_true(cs_resource_is_secret(0, sec.inst, 3)); /* PSK identity */

	o = cs_model_find_object(&m, 1);
	cs_server_view(cs_object_find_instance(o, 1), &srv);
	assert_true(srv.short_server_id.present);
	assert_int_equal(srv.short_server_id.v, 1);
	assert_true(srv.lifetime.present);
	assert_int_equal(srv.lifetime.v, 86400);
	assert_true(srv.notification_storing.present);
	assert_int_equal(srv.notification_storing.v, 0);
	assert_string_equal(srv.binding, "U");
	assert_false(srv.default_minimum_period.present);
	assert_null(srv.preferred_transport);
	cs_model_free(&m);
}

static void test_views_nordic_and_acl(void **state)
{
	struct cs_model m;
	struct cs_security sec;
	struct cs_access_control ac;
	struct cs_object *o;

	(void)state;
	vector_model("ef-nordic.hex", &m);
	cs_security_view(cs_object_find_instance(cs_model_find_object(&m, 0), 0), &sec);
	assert_string_equal(sec.lwm2m_server_uri, "coap://leshan.eclipseprojects.io:5783");
	assert_int_equal(sec.security_mode.v, CS_SECMODE_NOSEC);
	assert_true(cs_security_is_bootstrap(sec.inst));
	assert_false(sec.short_server_id.present);
	assert_null(sec.public_key_or_identity);
	assert_false(cs_resource_is_secret(0, sec.inst, 3));
	cs_model_free(&m);

	vector_model("ef-two-servers-acl.hex", &m);
	o = cs_model_find_object(&m, 2);
	cs_access_control_view(cs_object_find_instance(o, 0), &ac);
	assert_int_equal(ac.object_id.v, 3);
	assert_true(ac.object_instance_id.present);
	assert_int_equal(ac.object_instance_id.v, 65535);
	assert_int_equal(ac.access_control_owner.v, 65535);
	cs_access_control_view(cs_object_find_instance(o, 1), &ac);
	assert_int_equal(ac.object_id.v, 3);
	assert_int_equal(ac.object_instance_id.v, 0);
	assert_int_equal(ac.access_control_owner.v, 101);
	assert_non_null(ac.acl);
	assert_int_equal(ac.acl->ninst, 2);
	assert_int_equal(ac.acl->inst[0].id, 101);
	assert_int_equal(ac.acl->inst[0].v.len, 1);
	assert_int_equal(ac.acl->inst[0].v.data[0], 7);
	assert_int_equal(ac.acl->inst[1].id, 102);
	assert_int_equal(ac.acl->inst[1].v.data[0], 1);
	cs_access_control_view(cs_object_find_instance(o, 2), &ac);
	assert_int_equal(ac.object_id.v, 1);
	cs_model_free(&m);
}

static void test_views_lwm2m11(void **state)
{
	struct cs_model m;
	struct cs_security sec;
	struct cs_server srv;
	uint64_t cs;

	(void)state;
	vector_model("ef-lwm2m11-psk.hex", &m);
	assert_int_equal(m.obj[0].ver_major, 1);
	assert_int_equal(m.obj[0].ver_minor, 1);
	cs_security_view(cs_object_find_instance(cs_model_find_object(&m, 0), 0), &sec);
	assert_true(sec.matching_type.present);
	assert_int_equal(sec.matching_type.v, 0);
	assert_int_equal(sec.certificate_usage.v, 3);
	assert_non_null(sec.dtls_tls_ciphersuite);
	assert_int_equal(sec.dtls_tls_ciphersuite->ninst, 1);
	assert_int_equal(sec.dtls_tls_ciphersuite->inst[0].id, 0);
	assert_int_equal(sec.dtls_tls_ciphersuite->inst[0].v.len, 2);
	assert_int_equal(cs_tlv_uint_decode(sec.dtls_tls_ciphersuite->inst[0].v.data,
					    sec.dtls_tls_ciphersuite->inst[0].v.len, &cs),
			 0);
	assert_int_equal(cs, 0xC0A8); /* TLS_PSK_WITH_AES_128_CCM_8 */
	assert_int_equal(sec.secret_key->len, 16);
	cs_server_view(cs_object_find_instance(cs_model_find_object(&m, 1), 0), &srv);
	assert_true(srv.bootstrap_on_registration_failure.present);
	assert_int_equal(srv.bootstrap_on_registration_failure.v, 1);
	cs_model_free(&m);
}

static void add(struct cs_instance *i, uint16_t rid, const void *v, size_t n)
{
	assert_non_null(cs_instance_add_resource(i, rid, v, n));
}

/* Views are lenient: wrong widths and bad values read as absent. */
static void test_views_lenient(void **state)
{
	struct cs_model m;
	struct cs_object *o;
	struct cs_instance *i;
	struct cs_security sec;
	struct cs_server srv;

	(void)state;
	cs_model_init(&m);
	o = cs_model_add_object(&m, 0, 0, 0);
	i = cs_object_add_instance(o, 4);
	add(i, 0, "coap://a\0b", 10); /* embedded NUL */
	add(i, 1, "\x02", 1);         /* not a Boolean */
	add(i, 2, "\x00\x00\x01", 3); /* 3-byte integer */
	add(i, 10, "\xC8", 1);        /* signed: -56 */
	add(i, 13, "\xFF", 1);        /* unsigned: 255 */
	add(i, 15, "\x00\x00\x00\x00\x00\x00\x00\xC8", 8);
	add(i, 14, "", 0);
	add(i, 16, "\xC0\xA8", 2); /* single, but defined as multiple */
	cs_security_view(i, &sec);
	assert_null(sec.lwm2m_server_uri);
	assert_false(sec.bootstrap_server.present);
	assert_false(sec.security_mode.present);
	assert_true(sec.short_server_id.present);
	assert_int_equal(sec.short_server_id.v, -56);
	assert_true(sec.matching_type.present);
	assert_int_equal(sec.matching_type.v, 255);
	assert_int_equal(sec.certificate_usage.v, 200);
	assert_string_equal(sec.sni, "");
	assert_null(sec.dtls_tls_ciphersuite);
	assert_false(cs_security_is_bootstrap(i));
	/* Security Mode unreadable: the identity may be a PSK identity, so it is masked */
	assert_true(cs_resource_is_secret(0, i, 3));

	o = cs_model_add_object(&m, 1, 0, 0);
	i = cs_object_add_instance(o, 0);
	add(i, 0, "\x00\x65", 2);
	add(i, 1, "\x00\x00\x00\x00\x00\x01\x51\x80", 8);
	add(i, 7, "UQ", 2);
	add(i, 6, "\x01\x00", 2);
	assert_non_null(cs_instance_add_multiple(i, 22)); /* defined single */
	cs_server_view(i, &srv);
	assert_int_equal(srv.short_server_id.v, 101);
	assert_int_equal(srv.lifetime.v, 86400);
	assert_string_equal(srv.binding, "UQ");
	assert_false(srv.notification_storing.present);
	assert_null(srv.preferred_transport);

	cs_security_view(NULL, &sec);
	assert_null(sec.inst);
	assert_false(sec.security_mode.present);
	cs_model_free(&m);
}

static void test_resource_is_secret(void **state)
{
	struct cs_model m;
	struct cs_object *o;
	struct cs_instance *psk, *cert, *bs;

	(void)state;
	cs_model_init(&m);
	o = cs_model_add_object(&m, 0, 0, 0);
	for (uint16_t iid = 0; iid < 3; iid++)
		assert_non_null(cs_object_add_instance(o, iid));
	/* looked up after adding: the instance array may have moved */
	psk = cs_object_find_instance(o, 0);
	cert = cs_object_find_instance(o, 1);
	bs = cs_object_find_instance(o, 2);
	add(psk, 2, "\x00", 1);
	add(cert, 2, "\x02", 1);
	add(bs, 1, "\x01", 1);
	add(bs, 2, "\x03", 1);

	assert_true(cs_resource_is_secret(0, psk, 3));
	assert_true(cs_resource_is_secret(0, psk, 5));
	assert_false(cs_resource_is_secret(0, psk, 0));
	assert_false(cs_resource_is_secret(0, psk, 4));
	assert_false(cs_resource_is_secret(0, cert, 3));
	assert_true(cs_resource_is_secret(0, cert, 5));
	assert_true(cs_resource_is_secret(0, cert, 8));
	assert_false(cs_resource_is_secret(0, bs, 3));
	assert_true(cs_resource_is_secret(0, NULL, 3));
	assert_true(cs_resource_is_secret(0, NULL, 5));
	assert_false(cs_resource_is_secret(1, NULL, 5));
	assert_false(cs_resource_is_secret(2, NULL, 3));
	assert_true(cs_security_is_bootstrap(bs));
	assert_false(cs_security_is_bootstrap(psk));
	cs_model_free(&m);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_objdef_lookup),
		cmocka_unit_test(test_tables_consistent),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_views_anjay),
		cmocka_unit_test(test_views_nordic_and_acl),
		cmocka_unit_test(test_views_lwm2m11),
		cmocka_unit_test(test_views_lenient),
		cmocka_unit_test(test_resource_is_secret),
	};

	return cmocka_run_group_tests_name("objects", tests, NULL, NULL);
}
