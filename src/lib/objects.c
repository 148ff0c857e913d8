/* SPDX-License-Identifier: MIT */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "cardstrap/model.h"
#include "cardstrap/objects.h"
#include "cardstrap/tlv.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Table rows: id, name, type, multiple, mandatory, since minor, optional range. */
#define R(id_, name_, type_, mult_, mand_, since_)                                                 \
	{                                                                                          \
		.id = (id_), .name = (name_), .type = CS_TYPE_##type_, .multiple = (mult_),        \
		.mandatory = (mand_), .since_minor = (since_)                                      \
	}
#define RR(id_, name_, type_, mult_, mand_, since_, lo_, hi_)                                      \
	{                                                                                          \
		.id = (id_), .name = (name_), .type = CS_TYPE_##type_, .multiple = (mult_),        \
		.mandatory = (mand_), .since_minor = (since_), .has_range = true, .min = (lo_),    \
		.max = (hi_)                                                                       \
	}

enum { S = false, M = true }; /* single / multiple */
enum { OPT = false, MAND = true };

/* LwM2M registry object 0 (versions 1.0-1.2); ranges of strings/opaque are byte lengths. */
static const struct cs_resdef security_res[] = {
	RR(0, "LwM2M Server URI", STRING, S, MAND, 0, 0, 255),
	R(1, "Bootstrap-Server", BOOLEAN, S, MAND, 0),
	RR(2, "Security Mode", INTEGER, S, MAND, 0, 0, 4),
	R(3, "Public Key or Identity", OPAQUE, S, MAND, 0),
	R(4, "Server Public Key", OPAQUE, S, MAND, 0),
	R(5, "Secret Key", OPAQUE, S, MAND, 0),
	RR(6, "SMS Security Mode", INTEGER, S, OPT, 0, 0, 255),
	RR(7, "SMS Binding Key Parameters", OPAQUE, S, OPT, 0, 6, 6),
	/* 16, 32 or 48 bytes; the validator checks the exact lengths */
	RR(8, "SMS Binding Secret Key(s)", OPAQUE, S, OPT, 0, 16, 48),
	R(9, "LwM2M Server SMS Number", STRING, S, OPT, 0),
	RR(10, "Short Server ID", INTEGER, S, OPT, 0, 1, 65534),
	R(11, "Client Hold Off Time", INTEGER, S, OPT, 0),
	R(12, "Bootstrap-Server Account Timeout", INTEGER, S, OPT, 0),
	RR(13, "Matching Type", UNSIGNED, S, OPT, 1, 0, 3),
	R(14, "SNI", STRING, S, OPT, 1),
	RR(15, "Certificate Usage", UNSIGNED, S, OPT, 1, 0, 3),
	/* 16-bit IANA TLS ciphersuite values */
	RR(16, "DTLS/TLS Ciphersuite", UNSIGNED, M, OPT, 1, 0, 65535),
	R(17, "OSCORE Security Mode", OBJLNK, S, OPT, 1),
	RR(18, "Groups To Use by Client", UNSIGNED, M, OPT, 2, 0, 65535),
	RR(19, "Signature Algorithms Supported by Server", UNSIGNED, M, OPT, 2, 0, 65535),
	RR(20, "Signature Algorithms To Use by Client", UNSIGNED, M, OPT, 2, 0, 65535),
	RR(21, "Signature Algorithm Certs Supported by Server", UNSIGNED, M, OPT, 2, 0, 65535),
	RR(22, "TLS 1.3 Features To Use by Client", UNSIGNED, S, OPT, 2, 0, 65535),
	RR(23, "TLS Extensions Supported by Server", UNSIGNED, S, OPT, 2, 0, 65535),
	RR(24, "TLS Extensions To Use by Client", UNSIGNED, S, OPT, 2, 0, 65535),
	RR(25, "Secondary LwM2M Server URI", STRING, M, OPT, 2, 0, 255),
	R(26, "MQTT Server", OBJLNK, S, OPT, 2),
	R(27, "LwM2M COSE Security", OBJLNK, M, OPT, 2),
	RR(28, "RDS Destination Port", INTEGER, S, OPT, 2, 0, 15),
	RR(29, "RDS Source Port", INTEGER, S, OPT, 2, 0, 15),
	R(30, "RDS Application ID", STRING, S, OPT, 2),
};

/* LwM2M registry object 1 (1.0-1.2); SSID 1..65534 per the Core TS identifiers, not the 1.0 XML. */
static const struct cs_resdef server_res[] = {
	RR(0, "Short Server ID", INTEGER, S, MAND, 0, 1, 65534),
	R(1, "Lifetime", INTEGER, S, MAND, 0),
	R(2, "Default Minimum Period", INTEGER, S, OPT, 0),
	R(3, "Default Maximum Period", INTEGER, S, OPT, 0),
	R(4, "Disable", NONE, S, OPT, 0),
	R(5, "Disable Timeout", INTEGER, S, OPT, 0),
	R(6, "Notification Storing When Disabled or Offline", BOOLEAN, S, MAND, 0),
	R(7, "Binding", STRING, S, MAND, 0),
	R(8, "Registration Update Trigger", NONE, S, MAND, 0),
	R(9, "Bootstrap-Request Trigger", NONE, S, OPT, 1),
	R(10, "APN Link", OBJLNK, S, OPT, 1),
	RR(11, "TLS-DTLS Alert Code", UNSIGNED, S, OPT, 1, 0, 255),
	R(12, "Last Bootstrapped", TIME, S, OPT, 1),
	R(13, "Registration Priority Order", UNSIGNED, S, OPT, 1),
	R(14, "Initial Registration Delay Timer", UNSIGNED, S, OPT, 1),
	R(15, "Registration Failure Block", BOOLEAN, S, OPT, 1),
	R(16, "Bootstrap on Registration Failure", BOOLEAN, S, OPT, 1),
	R(17, "Communication Retry Count", UNSIGNED, S, OPT, 1),
	R(18, "Communication Retry Timer", UNSIGNED, S, OPT, 1),
	R(19, "Communication Sequence Delay Timer", UNSIGNED, S, OPT, 1),
	R(20, "Communication Sequence Retry Count", UNSIGNED, S, OPT, 1),
	R(21, "Trigger", BOOLEAN, S, OPT, 1),
	R(22, "Preferred Transport", STRING, S, OPT, 1),
	R(23, "Mute Send", BOOLEAN, S, OPT, 1),
	R(24, "Alternate APN Links", OBJLNK, M, OPT, 2),
	R(25, "Supported Server Versions", STRING, M, OPT, 2),
	RR(26, "Default Notification Mode", INTEGER, S, OPT, 2, 0, 1),
	RR(27, "Profile ID Hash Algorithm", UNSIGNED, S, OPT, 2, 0, 255),
};

/* LwM2M registry object 2 (1.0-1.1); ACL bits b0..b4 (1.1 range 0..31). */
static const struct cs_resdef access_control_res[] = {
	RR(0, "Object ID", INTEGER, S, MAND, 0, 1, 65534),
	RR(1, "Object Instance ID", INTEGER, S, MAND, 0, 0, 65535),
	RR(2, "ACL", INTEGER, M, OPT, 0, 0, 31),
	RR(3, "Access Control Owner", INTEGER, S, MAND, 0, 0, 65535),
};

static const struct cs_objdef objdefs[] = {
	{.id = 0,
	 .name = "LwM2M Security",
	 .multiple = true,
	 .mandatory = true,
	 .latest_minor = 2,
	 .res = security_res,
	 .nres = COUNT(security_res)},
	{.id = 1,
	 .name = "LwM2M Server",
	 .multiple = true,
	 .mandatory = true,
	 .latest_minor = 2,
	 .res = server_res,
	 .nres = COUNT(server_res)},
	{.id = 2,
	 .name = "LwM2M Access Control",
	 .multiple = true,
	 .mandatory = false,
	 .latest_minor = 1,
	 .res = access_control_res,
	 .nres = COUNT(access_control_res)},
};

const struct cs_objdef *cs_objdef_find(uint16_t oid)
{
	for (size_t i = 0; i < COUNT(objdefs); i++)
		if (objdefs[i].id == oid)
			return &objdefs[i];
	return NULL;
}

const struct cs_resdef *cs_resdef_find(const struct cs_objdef *od, uint16_t rid)
{
	if (!od)
		return NULL;
	for (size_t i = 0; i < od->nres; i++)
		if (od->res[i].id == rid)
			return &od->res[i];
	return NULL;
}

const char *cs_type_name(enum cs_type t)
{
	switch (t) {
	case CS_TYPE_NONE: return "none";
	case CS_TYPE_STRING: return "String";
	case CS_TYPE_INTEGER: return "Integer";
	case CS_TYPE_UNSIGNED: return "Unsigned Integer";
	case CS_TYPE_FLOAT: return "Float";
	case CS_TYPE_BOOLEAN: return "Boolean";
	case CS_TYPE_OPAQUE: return "Opaque";
	case CS_TYPE_TIME: return "Time";
	case CS_TYPE_OBJLNK: return "Objlnk";
	case CS_TYPE_CORELNK: return "Corelnk";
	}
	return "unknown";
}

const char *cs_security_mode_name(int64_t mode)
{
	switch (mode) {
	case CS_SECMODE_PSK: return "Pre-Shared Key";
	case CS_SECMODE_RPK: return "Raw Public Key";
	case CS_SECMODE_CERTIFICATE: return "Certificate";
	case CS_SECMODE_NOSEC: return "NoSec";
	case CS_SECMODE_CERTIFICATE_EST: return "Certificate mode with EST";
	}
	return "unknown";
}

/* ---- typed views ---- */

static const struct cs_resource *single(const struct cs_instance *i, uint16_t rid)
{
	const struct cs_resource *r = i ? cs_instance_find_resource(i, rid) : NULL;

	return r && !r->multiple ? r : NULL;
}

/* Decodes a single integer-like resource as its definition says (Integer, Unsigned, Boolean). */
static struct cs_opt_int opt_int(const struct cs_instance *i, uint16_t oid, uint16_t rid)
{
	const struct cs_resdef *rd = cs_resdef_find(cs_objdef_find(oid), rid);
	const struct cs_resource *r = single(i, rid);
	struct cs_opt_int o = {.present = false, .v = 0};
	uint64_t u;
	bool b;

	if (!r || !rd)
		return o;
	switch (rd->type) {
	case CS_TYPE_UNSIGNED:
		if (cs_tlv_uint_decode(r->v.data, r->v.len, &u) == 0 && u <= INT64_MAX) {
			o.present = true;
			o.v = (int64_t)u;
		}
		break;
	case CS_TYPE_BOOLEAN:
		if (cs_tlv_bool_decode(r->v.data, r->v.len, &b) == 0) {
			o.present = true;
			o.v = b;
		}
		break;
	default:
		o.present = cs_tlv_int_decode(r->v.data, r->v.len, &o.v) == 0;
		if (!o.present)
			o.v = 0;
		break;
	}
	return o;
}

/* A string resource as a C string; NULL when absent or when it holds a NUL byte. */
static const char *opt_str(const struct cs_instance *i, uint16_t rid)
{
	const struct cs_resource *r = single(i, rid);

	if (!r)
		return NULL;
	if (r->v.len == 0)
		return "";
	if (!r->v.data || memchr(r->v.data, 0, r->v.len))
		return NULL;
	return (const char *)r->v.data;
}

static const struct cs_value *opt_value(const struct cs_instance *i, uint16_t rid)
{
	const struct cs_resource *r = single(i, rid);

	return r ? &r->v : NULL;
}

static const struct cs_resource *opt_multiple(const struct cs_instance *i, uint16_t rid)
{
	const struct cs_resource *r = i ? cs_instance_find_resource(i, rid) : NULL;

	return r && r->multiple ? r : NULL;
}

void cs_security_view(const struct cs_instance *i, struct cs_security *out)
{
	memset(out, 0, sizeof(*out));
	out->inst = i;
	if (!i)
		return;
	out->lwm2m_server_uri = opt_str(i, 0);
	out->bootstrap_server = opt_int(i, 0, 1);
	out->security_mode = opt_int(i, 0, 2);
	out->public_key_or_identity = opt_value(i, 3);
	out->server_public_key = opt_value(i, 4);
	out->secret_key = opt_value(i, 5);
	out->sms_security_mode = opt_int(i, 0, 6);
	out->sms_binding_key_parameters = opt_value(i, 7);
	out->sms_binding_secret_keys = opt_value(i, 8);
	out->lwm2m_server_sms_number = opt_str(i, 9);
	out->short_server_id = opt_int(i, 0, 10);
	out->client_hold_off_time = opt_int(i, 0, 11);
	out->bootstrap_server_account_timeout = opt_int(i, 0, 12);
	out->matching_type = opt_int(i, 0, 13);
	out->sni = opt_str(i, 14);
	out->certificate_usage = opt_int(i, 0, 15);
	out->dtls_tls_ciphersuite = opt_multiple(i, 16);
	out->oscore_security_mode = single(i, 17);
}

void cs_server_view(const struct cs_instance *i, struct cs_server *out)
{
	memset(out, 0, sizeof(*out));
	out->inst = i;
	if (!i)
		return;
	out->short_server_id = opt_int(i, 1, 0);
	out->lifetime = opt_int(i, 1, 1);
	out->default_minimum_period = opt_int(i, 1, 2);
	out->default_maximum_period = opt_int(i, 1, 3);
	out->disable_timeout = opt_int(i, 1, 5);
	out->notification_storing = opt_int(i, 1, 6);
	out->binding = opt_str(i, 7);
	out->registration_priority_order = opt_int(i, 1, 13);
	out->initial_registration_delay_timer = opt_int(i, 1, 14);
	out->registration_failure_block = opt_int(i, 1, 15);
	out->bootstrap_on_registration_failure = opt_int(i, 1, 16);
	out->communication_retry_count = opt_int(i, 1, 17);
	out->communication_retry_timer = opt_int(i, 1, 18);
	out->communication_sequence_delay_timer = opt_int(i, 1, 19);
	out->communication_sequence_retry_count = opt_int(i, 1, 20);
	out->trigger = opt_int(i, 1, 21);
	out->preferred_transport = opt_str(i, 22);
	out->mute_send = opt_int(i, 1, 23);
}

void cs_access_control_view(const struct cs_instance *i, struct cs_access_control *out)
{
	memset(out, 0, sizeof(*out));
	out->inst = i;
	if (!i)
		return;
	out->object_id = opt_int(i, 2, 0);
	out->object_instance_id = opt_int(i, 2, 1);
	out->acl = opt_multiple(i, 2);
	out->access_control_owner = opt_int(i, 2, 3);
}

bool cs_security_is_bootstrap(const struct cs_instance *i)
{
	struct cs_opt_int bs = opt_int(i, 0, 1);

	return bs.present && bs.v == 1;
}

bool cs_resource_is_secret(uint16_t oid, const struct cs_instance *inst, uint16_t rid)
{
	struct cs_opt_int mode;

	if (oid != 0)
		return false;
	if (rid == 5 || rid == 8)
		return true;
	if (rid != 3)
		return false;
	/* Unknown mode: mask, the identity may be a PSK identity. */
	if (!inst)
		return true;
	mode = opt_int(inst, 0, 2);
	return !mode.present || mode.v == CS_SECMODE_PSK;
}
