/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <mbedtls/x509_crt.h>

#include "cardstrap/encoding.h"
#include "cardstrap/objects.h"
#include "cardstrap/senml.h"
#include "cardstrap/tlv.h"
#include "cli.h"

struct named {
	int64_t v;
	const char *name;
};

static const struct named sms_security_modes[] = {
	{ 1, "DTLS" }, { 2, "Secure Packet Structure" }, { 3, "NoSec" }, { 0, NULL },
};
static const struct named matching_types[] = {
	{ 0, "exact match" }, { 1, "SHA-256" }, { 2, "SHA-384" }, { 3, "SHA-512" }, { 0, NULL },
};
static const struct named certificate_usages[] = {
	{ 0, "CA constraint" },
	{ 1, "service certificate constraint" },
	{ 2, "trust anchor assertion" },
	{ 3, "domain-issued certificate" },
	{ 0, NULL },
};
static const struct named ciphersuites[] = {
	{ 0xC0A8, "TLS_PSK_WITH_AES_128_CCM_8" },
	{ 0xC0AE, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8" },
	{ 0x00AE, "TLS_PSK_WITH_AES_128_CBC_SHA256" },
	{ 0xC023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256" },
	{ 0xC02B, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256" },
	{ 0xC037, "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256" },
	{ 0x1301, "TLS_AES_128_GCM_SHA256" },
	{ 0, NULL },
};

static const char *lookup(const struct named *t, int64_t v)
{
	for (; t->name; t++)
		if (t->v == v)
			return t->name;
	return NULL;
}

/* Enumerations the LwM2M registry objects name, keyed by /O/x/R. */
static const char *enum_name(uint16_t oid, uint16_t rid, int64_t v)
{
	if (oid == 0 && rid == 2)
		return cs_security_mode_name(v);
	if (oid == 0 && rid == 6)
		return lookup(sms_security_modes, v);
	if (oid == 0 && rid == 13)
		return lookup(matching_types, v);
	if (oid == 0 && rid == 15)
		return lookup(certificate_usages, v);
	if (oid == 0 && rid == 16)
		return lookup(ciphersuites, v);
	/* Core TS E.3: MAX_ID in these two resources has a meaning of its own. */
	if (oid == 2 && rid == 1 && v == 65535)
		return "object level: grants Create";
	if (oid == 2 && rid == 3 && v == 65535)
		return "changed only during bootstrap";
	return NULL;
}

/* ACL bits, Core TS E.3: R 1, W 2, E 4, D 8, C 16. */
static void print_acl_rights(FILE *f, int64_t v)
{
	static const char *const rights[] = { "Read", "Write", "Execute", "Delete", "Create" };
	const char *sep = " (";

	for (int b = 0; b < 5; b++) {
		if (v & (1 << b)) {
			fprintf(f, "%s%s", sep, rights[b]);
			sep = ", ";
		}
	}
	if (*sep == ',')
		fputc(')', f);
}

static bool printable_text(const uint8_t *p, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] == 0x7F)
			return false;
	return true;
}

static void print_text(FILE *f, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\\')
			fputs("\\\\", f);
		else if (p[i] < 0x20 || p[i] == 0x7F)
			fprintf(f, "\\x%02X", p[i]);
		else
			fputc(p[i], f);
	}
}

static void print_hex(FILE *f, const uint8_t *p, size_t n)
{
	const size_t shown = n > 24 ? 16 : n;
	char hex[24 * 3 + 1];

	cs_hex_encode(p, shown, ' ', hex, sizeof(hex));
	if (shown < n)
		fprintf(f, "%zu bytes: %s ...", n, hex);
	else
		fprintf(f, "%s", n ? hex : "(empty)");
}

/* One line about a DER certificate, when it parses. */
static bool print_certificate(FILE *f, const uint8_t *p, size_t n)
{
	mbedtls_x509_crt crt;
	char subject[160];
	bool ok = false;

	mbedtls_x509_crt_init(&crt);
	if (n && mbedtls_x509_crt_parse_der(&crt, p, n) == 0 &&
	    mbedtls_x509_dn_gets(subject, sizeof(subject), &crt.subject) > 0) {
		fprintf(f, "X.509 certificate, %zu bytes, subject %s, valid until %04d-%02d-%02d", n,
			subject, crt.valid_to.year, crt.valid_to.mon, crt.valid_to.day);
		ok = true;
	}
	mbedtls_x509_crt_free(&crt);
	return ok;
}

static void print_value(FILE *f, uint16_t oid, const struct cs_instance *inst, uint16_t rid,
			const struct cs_resdef *rd, const struct cs_value *v, bool show_secrets)
{
	const enum cs_type type = rd ? rd->type : CS_TYPE_OPAQUE;
	int64_t i;
	uint64_t u;
	double d;
	bool b;
	uint16_t lo, li;
	const char *name;

	if (!show_secrets && cs_resource_is_secret(oid, inst, rid)) {
		fprintf(f, "%s<secret %zu bytes>%s", cli_style(f, "dim"), v->len, cli_style(f, "reset"));
		return;
	}
	switch (type) {
	case CS_TYPE_STRING:
	case CS_TYPE_CORELNK:
		print_text(f, v->data, v->len);
		if (!v->len)
			fputs("\"\"", f);
		return;
	case CS_TYPE_INTEGER:
	case CS_TYPE_TIME:
		if (cs_tlv_int_decode(v->data, v->len, &i))
			break;
		fprintf(f, "%" PRId64, i);
		if (type == CS_TYPE_TIME) {
			time_t t = (time_t)i;
			struct tm tm;
			char when[32];

			if (gmtime_r(&t, &tm) && strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm))
				fprintf(f, " (%s)", when);
		} else if ((name = enum_name(oid, rid, i)) != NULL) {
			fprintf(f, " (%s)", name);
		} else if (oid == 2 && rid == 2) {
			print_acl_rights(f, i);
		}
		return;
	case CS_TYPE_UNSIGNED:
		if (cs_tlv_uint_decode(v->data, v->len, &u))
			break;
		fprintf(f, "%" PRIu64, u);
		if (u <= INT64_MAX && (name = enum_name(oid, rid, (int64_t)u)) != NULL)
			fprintf(f, " (%s)", name);
		return;
	case CS_TYPE_FLOAT:
		if (cs_tlv_float_decode(v->data, v->len, &d))
			break;
		fprintf(f, "%.17g", d);
		return;
	case CS_TYPE_BOOLEAN:
		if (cs_tlv_bool_decode(v->data, v->len, &b))
			break;
		fputs(b ? "true" : "false", f);
		return;
	case CS_TYPE_OBJLNK:
		if (cs_tlv_objlnk_decode(v->data, v->len, &lo, &li))
			break;
		fprintf(f, "%u:%u", lo, li);
		return;
	case CS_TYPE_NONE:
		fputs("(executable)", f);
		return;
	case CS_TYPE_OPAQUE:
		if (oid == 0 && (rid == 3 || rid == 4) && print_certificate(f, v->data, v->len))
			return;
		if (printable_text(v->data, v->len)) {
			fputc('"', f);
			print_text(f, v->data, v->len);
			fprintf(f, "\" (%zu bytes)", v->len);
			return;
		}
		print_hex(f, v->data, v->len);
		return;
	}
	fprintf(f, "%s<not a valid %s: ", cli_style(f, "red"), cs_type_name(type));
	print_hex(f, v->data, v->len);
	fprintf(f, ">%s", cli_style(f, "reset"));
}

/* What an instance is, in a technician's words. */
static void print_instance_role(FILE *f, uint16_t oid, const struct cs_instance *inst)
{
	if (oid == 0) {
		struct cs_security s;

		cs_security_view(inst, &s);
		if (cs_security_is_bootstrap(inst))
			fputs("  Bootstrap-Server account", f);
		else if (s.short_server_id.present)
			fprintf(f, "  server account, SSID %" PRId64, s.short_server_id.v);
	} else if (oid == 1) {
		struct cs_server s;

		cs_server_view(inst, &s);
		if (s.short_server_id.present)
			fprintf(f, "  server SSID %" PRId64, s.short_server_id.v);
	} else if (oid == 2) {
		struct cs_access_control a;

		cs_access_control_view(inst, &a);
		if (a.object_id.present && a.object_instance_id.present) {
			if (a.object_instance_id.v == 65535)
				fprintf(f, "  rights on object /%" PRId64, a.object_id.v);
			else
				fprintf(f, "  rights on /%" PRId64 "/%" PRId64, a.object_id.v,
					a.object_instance_id.v);
		}
	}
}

/* Resource names of one instance line up. */
static int name_width(const struct cs_objdef *od, const struct cs_instance *in)
{
	int width = 18;

	for (size_t ri = 0; ri < in->nres; ri++) {
		const struct cs_resdef *rd = od ? cs_resdef_find(od, in->res[ri].id) : NULL;
		int len = (int)strlen(rd ? rd->name : "(unknown resource)");

		if (len > width)
			width = len;
	}
	return width;
}

void cli_print_model(FILE *f, const struct cs_model *m, bool show_secrets)
{
	const char *bold = cli_style(f, "bold"), *dim = cli_style(f, "dim"),
		   *reset = cli_style(f, "reset");

	for (size_t oi = 0; oi < m->nobj; oi++) {
		const struct cs_object *o = &m->obj[oi];
		const struct cs_objdef *od = cs_objdef_find(o->id);

		fprintf(f, "%sObject %u%s %s", bold, o->id, reset, od ? od->name : "(unknown object)");
		if (o->ver_major)
			fprintf(f, ", version %u.%u", o->ver_major, o->ver_minor);
		if (o->offset >= 0)
			fprintf(f, "  %s(byte %ld)%s", dim, o->offset, reset);
		fputc('\n', f);
		for (size_t ii = 0; ii < o->ninst; ii++) {
			const struct cs_instance *in = &o->inst[ii];

			fprintf(f, "  %sInstance /%u/%u%s", bold, o->id, in->id, reset);
			print_instance_role(f, o->id, in);
			fputc('\n', f);
			int width = name_width(od, in);

			for (size_t ri = 0; ri < in->nres; ri++) {
				const struct cs_resource *r = &in->res[ri];
				const struct cs_resdef *rd = od ? cs_resdef_find(od, r->id) : NULL;
				const char *rname = rd ? rd->name : "(unknown resource)";

				fprintf(f, "    %5u  %-*s  ", r->id, width, rname);
				if (!r->multiple) {
					print_value(f, o->id, in, r->id, rd, &r->v, show_secrets);
					fputc('\n', f);
					continue;
				}
				fprintf(f, "%s[%zu instance%s]%s\n", dim, r->ninst,
					r->ninst == 1 ? "" : "s", reset);
				for (size_t k = 0; k < r->ninst; k++) {
					int w = fprintf(f, "           [%u]", r->inst[k].id);

					fprintf(f, "%*s", width + 13 - w, "");
					print_value(f, o->id, in, r->id, rd, &r->inst[k].v, show_secrets);
					fputc('\n', f);
				}
			}
		}
	}
}

void cli_print_diags(FILE *f, const struct cs_diags *d)
{
	char line[512];

	for (size_t i = 0; i < d->n; i++) {
		const struct cs_diag *dg = &d->items[i];

		cs_diag_format(dg, line, sizeof(line));
		fprintf(f, "%s%s%s\n", cli_style(f, dg->severity == CS_SEV_ERROR ? "red" : "yellow"),
			line, cli_style(f, "reset"));
	}
}

/* The closing line a technician reads first. */
void cli_print_verdict(FILE *f, const struct cs_model *m, const struct cs_diags *d)
{
	size_t bs = 0, servers = 0;

	for (size_t oi = 0; oi < m->nobj; oi++) {
		const struct cs_object *o = &m->obj[oi];

		for (size_t i = 0; i < o->ninst; i++) {
			if (o->id == 0 && cs_security_is_bootstrap(&o->inst[i]))
				bs++;
			else if (o->id == 0)
				servers++;
		}
	}
	if (d->errors)
		fprintf(f, "%sINVALID%s: %zu error%s, %zu warning%s; this data would not be injected.\n",
			cli_style(f, "red"), cli_style(f, "reset"), d->errors,
			d->errors == 1 ? "" : "s", d->warnings, d->warnings == 1 ? "" : "s");
	else
		fprintf(f, "%svalid%s: %zu Bootstrap-Server account%s, %zu server account%s, %zu warning%s.\n",
			cli_style(f, "green"), cli_style(f, "reset"), bs, bs == 1 ? "" : "s", servers,
			servers == 1 ? "" : "s", d->warnings, d->warnings == 1 ? "" : "s");
}

json_t *cli_diags_json(const struct cs_diags *d)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < d->n; i++) {
		const struct cs_diag *dg = &d->items[i];
		char path[32];
		json_t *o;

		cs_diag_path(dg, path, sizeof(path));
		o = json_pack("{s:s, s:s, s:s}", "severity",
			      dg->severity == CS_SEV_ERROR ? "error" : "warning", "path", path,
			      "message", dg->message);
		if (o && dg->offset >= 0)
			json_object_set_new(o, "offset", json_integer(dg->offset));
		if (!o || json_array_append_new(arr, o)) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

json_t *cli_model_json(const struct cs_model *m, const struct cs_diags *d, bool show_secrets)
{
	json_t *senml = cs_senml_from_model(m, show_secrets ? CS_SENML_SHOW_SECRETS : 0);
	json_t *versions = cs_senml_versions(m);
	json_t *diags = d ? cli_diags_json(d) : json_array();

	if (!senml || !versions || !diags) {
		json_decref(senml);
		json_decref(versions);
		json_decref(diags);
		return NULL;
	}
	return json_pack("{s:o, s:o, s:o, s:b}", "senml", senml, "objects", versions, "diagnostics",
			 diags, "valid", d ? d->errors == 0 : 1);
}

void cli_print_json(json_t *j)
{
	size_t flags = JSON_PRESERVE_ORDER | (isatty(fileno(stdout)) ? JSON_INDENT(2) : JSON_COMPACT);

	if (j) {
		json_dumpf(j, stdout, flags);
		fputc('\n', stdout);
	}
	json_decref(j);
}

int cli_report_model(const char *name, const struct cs_model *m, const struct cs_diags *d,
		     json_t *card)
{
	if (cli.json) {
		json_t *j = cli_model_json(m, d, cli.show_secrets);

		if (j && card)
			json_object_set_new(j, "card", card);
		else
			json_decref(card);
		cli_print_json(j);
	} else if (cli.verbosity >= 0) {
		cli_print_model(stdout, m, cli.show_secrets);
		if (d->n) {
			fputc('\n', stdout);
			cli_print_diags(stdout, d);
		}
		fputc('\n', stdout);
		cli_print_verdict(stdout, m, d);
	} else if (d->errors) {
		cli_print_diags(stderr, d);
	}
	if (!d->errors)
		return EXIT_OK;
	cli_error("%s: %zu validation error%s", name, d->errors, d->errors == 1 ? "" : "s");
	return EXIT_DATAERR;
}
