/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cardstrap/encoding.h"
#include "cardio.h"
#include "cli.h"
#include "secrets.h"

static void print_bytes(FILE *f, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, " %02X", p[i]);
}

static void print_redacted(FILE *f, size_t n)
{
	fprintf(f, " <%zu byte%s redacted>", n, n == 1 ? "" : "s");
}

/* Command data of VERIFY and the like: header and Lc shown, the data masked. */
static void print_capdu(FILE *f, const uint8_t *c, size_t n, bool mask)
{
	size_t lc;

	if (!mask || n <= 5) {
		print_bytes(f, c, n);
		return;
	}
	lc = c[4];
	if (lc == 0 || 5 + lc > n) {
		/* not a short case 3/4 layout: mask everything after the header */
		print_bytes(f, c, 4);
		print_redacted(f, n - 4);
		return;
	}
	print_bytes(f, c, 5);
	print_redacted(f, lc);
	print_bytes(f, c + 5 + lc, n - 5 - lc);
}

void cli_trace_apdu(void *arg, const char *layer, const uint8_t *capdu, size_t clen,
		    const uint8_t *rapdu, size_t rlen, int err, double elapsed_ms, unsigned redact)
{
	bool show = cli.show_secrets;
	const char *dim = cli_style(stderr, "dim"), *reset = cli_style(stderr, "reset");
	char tag[24] = "";

	(void)arg;
	/* the outer layers (pcsc, image) are the bytes on the wire; name any other */
	if (layer && strcmp(layer, "pcsc") && strcmp(layer, "image"))
		snprintf(tag, sizeof(tag), "[%s] ", layer);
	fprintf(stderr, "%strace %6.1f ms  %s>", dim, elapsed_ms, tag);
	print_capdu(stderr, capdu, clen, !show && (redact & CS_REDACT_CMD_DATA));
	fprintf(stderr, "%s\n%strace            %s<", reset, dim, tag);
	if (!rapdu) {
		fprintf(stderr, " (no answer: %s)%s\n", cs_strerror(err), reset);
		return;
	}
	if (!show && (redact & CS_REDACT_RSP_DATA) && rlen > 2) {
		print_redacted(stderr, rlen - 2);
		print_bytes(stderr, rapdu + rlen - 2, 2);
	} else {
		print_bytes(stderr, rapdu, rlen);
	}
	fprintf(stderr, "%s\n", reset);
}

void cli_progress(void *arg, size_t done, size_t total)
{
	const char *what = arg ? arg : "reading";

	if (done >= total) {
		fputs("\r\033[K", stderr);
		return;
	}
	fprintf(stderr, "\r%s: %zu/%zu bytes (%zu%%)", what, done, total,
		total ? done * 100 / total : 0);
	fflush(stderr);
}

bool cli_scp03_option(int c, const char *arg, struct cli_card_opts *o)
{
	switch (c) {
	case OPT_SCP03_KEYS: o->scp03_keys = arg; return true;
	case OPT_SCP03_MODE:
		if (strcmp(arg, "required") && strcmp(arg, "optional"))
			cli_usage_error("--scp03 is required or optional, not '%s'", arg);
		o->scp03_mode = arg;
		return true;
	}
	return false;
}

int cli_card_read_opts(const struct cli_card_opts *o, struct cli_card *c, struct cs_errinfo *ei)
{
	static struct cli_pin_source src;
	struct cs_card_read_opts opts = {0};
	struct cs_transport *t = NULL;
	struct cs_scp03_keys keys;
	int err;

	memset(c, 0, sizeof(*c));
	c->info.bootstrap = -1;
	cs_scp03_keys_clear(&keys);
	if (o->scp03_mode && !o->scp03_keys)
		return cs_error(ei, CS_ERR_ARG, -1, "--scp03 %s needs the keys: --scp03-keys FILE",
				o->scp03_mode);
	if (o->pin_file) {
		err = cli_check_secret_file(o->pin_file, ei);
		if (err)
			return err;
	}
	/* an unsafe or broken keys file fails before the card is touched */
	if (o->scp03_keys) {
		err = cs_scp03_keys_load(o->scp03_keys, &keys, ei);
		if (err)
			return err;
		opts.scp03_keys = &keys;
		opts.scp03_level = CS_SCP03_LEVEL_LWM2M;
		opts.scp03_mode = o->scp03_mode && !strcmp(o->scp03_mode, "optional")
					  ? CS_CARD_SCP03_OPTIONAL
					  : CS_CARD_SCP03_REQUIRED;
		opts.scp03_trace_plain = cli.trace && cli.verbosity >= 1;
	}
	opts.verify = o->verify;
	err = cs_pcsc_open(o->reader, &t, ei);
	if (err)
		goto out;
	snprintf(c->reader, sizeof(c->reader), "%s", cs_pcsc_reader_name(t));
	if (cli.trace)
		t->trace = cli_trace_apdu;
	src.pin_file = o->pin_file;
	opts.get_pin = cli_get_pin;
	opts.pin_arg = &src;
	/* a progress line would tear the trace lines apart */
	if (!cli.trace && cli.verbosity >= 0 && isatty(STDERR_FILENO)) {
		opts.progress = cli_progress;
		opts.progress_arg = "reading EF LwM2M_Bootstrap";
	}
	err = cs_card_read_bootstrap(t, &opts, &c->info, &c->ef, ei);
	if (opts.progress && c->info.ef_size > 256)
		fputs("\r\033[K", stderr);
	c->read = true;
	cs_transport_destroy(t);
	if (c->info.scp03 == CS_CARD_SCP03_NOT_OFFERED)
		cli_warn("%s; the card was read without a secure channel (--scp03 optional)",
			 c->info.scp03_note);
out:
	cs_scp03_keys_clear(&keys);
	return err;
}

int cli_card_read(const char *reader, const char *pin_file, struct cli_card *c,
		  struct cs_errinfo *ei)
{
	struct cli_card_opts o = {.reader = reader, .pin_file = pin_file};

	return cli_card_read_opts(&o, c, ei);
}

void cli_card_free(struct cli_card *c)
{
	cs_buf_free(&c->ef);
}

static void hex(const uint8_t *p, size_t n, char *out, size_t outsz)
{
	cs_hex_encode(p, n, 0, out, outsz);
}

static const char *entry_name(const struct cs_pkcs15_dataobj *o)
{
	return o->label[0] ? o->label : o->application_name;
}

static void print_entry(FILE *f, const struct cs_card_entry *e, bool is_bootstrap)
{
	const struct cs_pkcs15_dataobj *o = &e->obj;
	char h[2 * 16 + 1];

	fprintf(f, "\"%s\" %s, OID %s", entry_name(o), o->oid_do ? "oidDO" : "opaqueDO",
		cs_card_oid_form(o->lwm2m));
	if (o->path.len) {
		hex(o->path.path, o->path.len, h, sizeof(h));
		fprintf(f, ", path %s", h);
	}
	fprintf(f, ", flags %s",
		o->private_obj && o->modifiable ? "private,modifiable"
		: o->private_obj                ? "private"
		: o->modifiable                 ? "modifiable"
						: "none");
	if (o->auth_id_len) {
		hex(o->auth_id, o->auth_id_len, h, sizeof(h));
		fprintf(f, ", authId %s", h);
	}
	if (is_bootstrap)
		fprintf(f, "  %s<- LwM2M bootstrap%s", cli_style(f, "bold"), cli_style(f, "reset"));
	fputc('\n', f);
}

/* "33 (C-MAC, C-DEC, R-MAC, R-ENC)": the security level and what it protects (GP SCP03). */
static void level_text(uint8_t level, char *out, size_t n)
{
	static const struct {
		uint8_t bit;
		const char *name;
	} bits[] = {
		{CS_SCP03_C_MAC, "C-MAC"},
		{CS_SCP03_C_DECRYPTION, "C-DEC"},
		{CS_SCP03_R_MAC, "R-MAC"},
		{CS_SCP03_R_ENCRYPTION, "R-ENC"},
	};
	size_t k = (size_t)snprintf(out, n, "%02X (", level);

	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]) && k < n; i++)
		if (level & bits[i].bit)
			k += (size_t)snprintf(out + k, n - k, "%s%s", k > 4 ? ", " : "",
					      bits[i].name);
	if (k < n)
		snprintf(out + k, n - k, "%s)", level ? "" : "authentication only");
}

static void print_secure_channel(FILE *f, const struct cs_card_info *in)
{
	char lv[64];

	switch (in->scp03) {
	case CS_CARD_SCP03_SECURED:
		level_text(in->scp03_level, lv, sizeof(lv));
		fprintf(f, "Secure channel  SCP03, security level %s, KVN %02X, i %02X\n", lv,
			in->scp03_kvn, in->scp03_i);
		break;
	case CS_CARD_SCP03_NOT_OFFERED:
		fprintf(f, "Secure channel  none: %s (--scp03 optional)\n", in->scp03_note);
		break;
	case CS_CARD_SCP03_OFF: fprintf(f, "Secure channel  none\n"); break;
	}
}

void cli_print_card(FILE *f, const struct cli_card *c)
{
	const struct cs_card_info *in = &c->info;
	char h[2 * CS_PKCS15_MAX_PATH + 1];

	if (c->reader[0])
		fprintf(f, "%-13s %s\n", "Reader", c->reader);
	if (!c->read)
		return;
	if (in->atr_len) {
		fprintf(f, "%-13s", "ATR");
		print_bytes(f, in->atr, in->atr_len);
		fputc('\n', f);
	}
	fprintf(f, "%-13s %s\n", "ICCID", in->iccid[0] ? in->iccid : "(not readable)");
	if (in->aid_len) {
		hex(in->aid, in->aid_len, h, sizeof(h));
		if (in->aid_from_dir)
			fprintf(f, "%-13s %s \"%s\" (from EF.DIR)\n", "Application", h,
				in->app_label);
		else
			fprintf(f, "%-13s %s (default PKCS#15 AID; %s)\n", "Application", h,
				in->has_dir ? "no PKCS#15 template in EF.DIR" : "no EF.DIR");
	}
	if (in->ndodf) {
		fprintf(f, "%-13s ", "EF ODF 5031");
		for (size_t i = 0; i < in->ndodf; i++) {
			hex(in->dodf[i].path, in->dodf[i].len, h, sizeof(h));
			fprintf(f, "%sDODF %s", i ? ", " : "", h);
		}
		fputc('\n', f);
	}
	for (size_t i = 0; i < in->nentries; i++) {
		char label[48];

		hex(in->dodf[in->entries[i].dodf].path, in->dodf[in->entries[i].dodf].len, h,
		    sizeof(h));
		snprintf(label, sizeof(label), "DODF %s", h);
		fprintf(f, "%-13s ", label);
		print_entry(f, &in->entries[i], (int)i == in->bootstrap);
	}
	if (in->ef_path.len) {
		char label[48];

		hex(in->ef_path.path, in->ef_path.len, h, sizeof(h));
		snprintf(label, sizeof(label), "EF %s", h);
		fprintf(f, "%-13s %zu bytes read (file size %zu)%s", label, c->ef.len, in->ef_size,
			in->ef_verified ? ", read twice: identical" : "");
		if (in->pin_needed)
			fprintf(f, ", PIN %02X verified", in->pin_keyref);
		else
			fputs(", no PIN needed", f);
		fputc('\n', f);
	}
	if (in->channel_opened)
		fprintf(f, "%-13s %u (%u APDUs on it, %u in all)\n", "Channel", in->channel,
			in->apdus_channel, in->apdus);
	else
		fprintf(f, "%-13s basic channel (MANAGE CHANNEL refused; %u APDUs)\n", "Channel",
			in->apdus);
	print_secure_channel(f, in);
}

static json_t *hex_json(const uint8_t *p, size_t n)
{
	char h[2 * 64 + 1];

	if (n > 64)
		n = 64;
	hex(p, n, h, sizeof(h));
	return json_string(h);
}

static json_t *entry_json(const struct cs_card_info *in, size_t i)
{
	const struct cs_card_entry *e = &in->entries[i];
	const struct cs_pkcs15_dataobj *o = &e->obj;
	json_t *j = json_object();

	if (!j)
		return NULL;
	json_object_set_new(j, "dodf", hex_json(in->dodf[e->dodf].path, in->dodf[e->dodf].len));
	json_object_set_new(j, "type", json_string(o->oid_do ? "oidDO" : "opaqueDO"));
	json_object_set_new(j, "label", json_string(o->label));
	json_object_set_new(j, "application_name", json_string(o->application_name));
	json_object_set_new(j, "private", json_boolean(o->private_obj));
	json_object_set_new(j, "modifiable", json_boolean(o->modifiable));
	json_object_set_new(j, "path",
			    o->path.len ? hex_json(o->path.path, o->path.len) : json_null());
	json_object_set_new(j, "auth_id",
			    o->auth_id_len ? hex_json(o->auth_id, o->auth_id_len) : json_null());
	json_object_set_new(j, "oid",
			    o->lwm2m == CS_OID_NONE ? json_null()
						    : json_string(cs_card_oid_form(o->lwm2m)));
	json_object_set_new(j, "bootstrap", json_boolean((int)i == in->bootstrap));
	return j;
}

/* null without keys; {"protocol": "SCP03", "level": "33", ...}; or why the card was read plain. */
static json_t *secure_channel_json(const struct cs_card_info *in)
{
	char lv[3], kvn[3], i[3];

	switch (in->scp03) {
	case CS_CARD_SCP03_SECURED:
		snprintf(lv, sizeof(lv), "%02X", in->scp03_level);
		snprintf(kvn, sizeof(kvn), "%02X", in->scp03_kvn);
		snprintf(i, sizeof(i), "%02X", in->scp03_i);
		return json_pack("{s:s, s:b, s:s, s:s, s:s}", "protocol", "SCP03", "secured", 1,
				 "level", lv, "kvn", kvn, "i", i);
	case CS_CARD_SCP03_NOT_OFFERED:
		return json_pack("{s:n, s:b, s:s}", "protocol", "secured", 0, "note",
				 in->scp03_note);
	case CS_CARD_SCP03_OFF: break;
	}
	return json_null();
}

json_t *cli_card_json(const struct cli_card *c)
{
	const struct cs_card_info *in = &c->info;
	json_t *j = json_object(), *a;

	if (!j)
		return NULL;
	json_object_set_new(j, "reader", c->reader[0] ? json_string(c->reader) : json_null());
	if (!c->read)
		return j;
	json_object_set_new(j, "atr", in->atr_len ? hex_json(in->atr, in->atr_len) : json_null());
	json_object_set_new(j, "iccid", in->iccid[0] ? json_string(in->iccid) : json_null());
	if (in->aid_len) {
		json_object_set_new(j, "application",
				    json_pack("{s:o, s:s, s:s}", "aid",
					      hex_json(in->aid, in->aid_len), "label",
					      in->app_label, "source",
					      in->aid_from_dir ? "EF.DIR" : "default"));
	}
	a = json_array();
	for (size_t i = 0; a && i < in->ndodf; i++)
		json_array_append_new(a, hex_json(in->dodf[i].path, in->dodf[i].len));
	json_object_set_new(j, "dodf", a);
	a = json_array();
	for (size_t i = 0; a && i < in->nentries; i++)
		json_array_append_new(a, entry_json(in, i));
	json_object_set_new(j, "entries", a);
	if (in->ef_path.len)
		json_object_set_new(j, "ef",
				    json_pack("{s:o, s:I, s:I}", "path",
					      hex_json(in->ef_path.path, in->ef_path.len), "size",
					      (json_int_t)in->ef_size, "read",
					      (json_int_t)c->ef.len));
	json_object_set_new(j, "pin",
			    in->pin_needed ? json_pack("{s:b, s:i}", "needed", 1, "key_reference",
						       in->pin_keyref)
					   : json_pack("{s:b}", "needed", 0));
	json_object_set_new(j, "channel", json_integer(in->channel));
	json_object_set_new(j, "apdus", json_integer(in->apdus));
	json_object_set_new(j, "apdus_channel", json_integer(in->apdus_channel));
	json_object_set_new(j, "secure_channel", secure_channel_json(in));
	return j;
}
