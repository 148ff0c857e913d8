/* SPDX-License-Identifier: MIT */
#ifndef CARDSTRAP_OBJECTS_H
#define CARDSTRAP_OBJECTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cardstrap/model.h"

/*
 * What the library knows about LwM2M objects 0 (Security), 1 (Server) and
 * 2 (Access Control) in object versions 1.0, 1.1 and 1.2 (LwM2M registry,
 * Core TS Appendix E), and typed views of their instances.
 */

/* ---- object definitions (LwM2M registry objects 0, 1 and 2) ---- */

enum cs_type {
	CS_TYPE_NONE,		/* executable, no value */
	CS_TYPE_STRING,
	CS_TYPE_INTEGER,
	CS_TYPE_UNSIGNED,
	CS_TYPE_FLOAT,
	CS_TYPE_BOOLEAN,
	CS_TYPE_OPAQUE,
	CS_TYPE_TIME,
	CS_TYPE_OBJLNK,
	CS_TYPE_CORELNK,
};

struct cs_resdef {
	uint16_t id;
	const char *name;	/* the registry's resource name */
	enum cs_type type;
	bool multiple;
	bool mandatory;
	uint8_t since_minor;	/* object version 1.<since_minor> introduced it */
	bool has_range;
	int64_t min, max;	/* inclusive; for strings/opaque: byte length */
};

struct cs_objdef {
	uint16_t id;
	const char *name;
	bool multiple;
	bool mandatory;
	uint8_t latest_minor;	/* newest object version known: 1.<latest_minor> */
	const struct cs_resdef *res;
	size_t nres;
};

const struct cs_objdef *cs_objdef_find(uint16_t oid);
const struct cs_resdef *cs_resdef_find(const struct cs_objdef *od, uint16_t rid);
const char *cs_type_name(enum cs_type t);

/*
 * Whether /oid/inst/rid holds a secret that must be masked unless the user
 * asks for it: /0/x/5 and /0/x/8 always, /0/x/3 when the Security Mode is
 * PSK (it is the PSK identity). /0/x/3 also counts as secret when inst is
 * NULL or its Security Mode is absent or unreadable (it may be an identity).
 */
bool cs_resource_is_secret(uint16_t oid, const struct cs_instance *inst, uint16_t rid);

/* ---- typed views ---- */

enum cs_security_mode {
	CS_SECMODE_PSK = 0,
	CS_SECMODE_RPK = 1,
	CS_SECMODE_CERTIFICATE = 2,
	CS_SECMODE_NOSEC = 3,
	CS_SECMODE_CERTIFICATE_EST = 4,
};

/* "Pre-Shared Key", "NoSec", …; "unknown" outside 0..4. */
const char *cs_security_mode_name(int64_t mode);

/* An optional integer-like resource. */
struct cs_opt_int {
	bool present;	/* present and well-formed */
	int64_t v;
};

/*
 * Object 0 (LwM2M Security). Each pointer is NULL and each present flag
 * false when the resource is absent, single/multiple does not match its
 * definition, or its value is malformed (wrong width, a Boolean other than
 * 0/1, a string holding a NUL byte); the validator reports those cases.
 * Integer-like values are decoded as their definition's type: Integer
 * signed, Unsigned Integer unsigned (present only up to INT64_MAX),
 * Boolean 0/1. Strings and values point into the model.
 */
struct cs_security {
	const struct cs_instance *inst;
	const char *lwm2m_server_uri;				/* 0 */
	struct cs_opt_int bootstrap_server;			/* 1 (0/1) */
	struct cs_opt_int security_mode;			/* 2 */
	const struct cs_value *public_key_or_identity;		/* 3 */
	const struct cs_value *server_public_key;		/* 4 */
	const struct cs_value *secret_key;			/* 5 */
	struct cs_opt_int sms_security_mode;			/* 6 */
	const struct cs_value *sms_binding_key_parameters;	/* 7 */
	const struct cs_value *sms_binding_secret_keys;		/* 8 */
	const char *lwm2m_server_sms_number;			/* 9 */
	struct cs_opt_int short_server_id;			/* 10 */
	struct cs_opt_int client_hold_off_time;			/* 11 */
	struct cs_opt_int bootstrap_server_account_timeout;	/* 12 */
	struct cs_opt_int matching_type;			/* 13 */
	const char *sni;					/* 14 */
	struct cs_opt_int certificate_usage;			/* 15 */
	const struct cs_resource *dtls_tls_ciphersuite;		/* 16 (multiple) */
	const struct cs_resource *oscore_security_mode;		/* 17 */
};

/* Object 1 (LwM2M Server). */
struct cs_server {
	const struct cs_instance *inst;
	struct cs_opt_int short_server_id;			/* 0 */
	struct cs_opt_int lifetime;				/* 1 */
	struct cs_opt_int default_minimum_period;		/* 2 */
	struct cs_opt_int default_maximum_period;		/* 3 */
	struct cs_opt_int disable_timeout;			/* 5 */
	struct cs_opt_int notification_storing;			/* 6 (0/1) */
	const char *binding;					/* 7 */
	struct cs_opt_int registration_priority_order;		/* 13 */
	struct cs_opt_int initial_registration_delay_timer;	/* 14 */
	struct cs_opt_int registration_failure_block;		/* 15 */
	struct cs_opt_int bootstrap_on_registration_failure;	/* 16 */
	struct cs_opt_int communication_retry_count;		/* 17 */
	struct cs_opt_int communication_retry_timer;		/* 18 */
	struct cs_opt_int communication_sequence_delay_timer;	/* 19 */
	struct cs_opt_int communication_sequence_retry_count;	/* 20 */
	struct cs_opt_int trigger;				/* 21 */
	const char *preferred_transport;			/* 22 */
	struct cs_opt_int mute_send;				/* 23 */
};

/* Object 2 (LwM2M Access Control). */
struct cs_access_control {
	const struct cs_instance *inst;
	struct cs_opt_int object_id;				/* 0 */
	struct cs_opt_int object_instance_id;			/* 1 */
	const struct cs_resource *acl;				/* 2 (multiple; instance id = SSID) */
	struct cs_opt_int access_control_owner;			/* 3 */
};

void cs_security_view(const struct cs_instance *i, struct cs_security *out);
void cs_server_view(const struct cs_instance *i, struct cs_server *out);
void cs_access_control_view(const struct cs_instance *i, struct cs_access_control *out);

/* True when instance i of object 0 is a Bootstrap-Server account (/0/i/1 = true). */
bool cs_security_is_bootstrap(const struct cs_instance *i);

#endif
