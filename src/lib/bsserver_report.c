/* SPDX-License-Identifier: MIT */
/* Session reports as text and JSON. They never carry a secret: no payload goes in. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cardstrap/bsserver.h"

static const struct {
	int code;
	const char *name;
} code_names[] = {
	{201, "2.01 Created"},
	{202, "2.02 Deleted"},
	{203, "2.03 Valid"},
	{204, "2.04 Changed"},
	{205, "2.05 Content"},
	{231, "2.31 Continue"},
	{400, "4.00 Bad Request"},
	{401, "4.01 Unauthorized"},
	{402, "4.02 Bad Option"},
	{403, "4.03 Forbidden"},
	{404, "4.04 Not Found"},
	{405, "4.05 Method Not Allowed"},
	{406, "4.06 Not Acceptable"},
	{408, "4.08 Request Entity Incomplete"},
	{409, "4.09 Conflict"},
	{412, "4.12 Precondition Failed"},
	{413, "4.13 Request Entity Too Large"},
	{415, "4.15 Unsupported Content-Format"},
	{422, "4.22 Unprocessable Entity"},
	{429, "4.29 Too Many Requests"},
	{500, "5.00 Internal Server Error"},
	{501, "5.01 Not Implemented"},
	{502, "5.02 Bad Gateway"},
	{503, "5.03 Service Unavailable"},
	{504, "5.04 Gateway Timeout"},
	{505, "5.05 Proxying Not Supported"},
};

const char *cs_bsserver_code_name(int code)
{
	static _Thread_local char other[16];

	for (size_t i = 0; i < sizeof(code_names) / sizeof(code_names[0]); i++)
		if (code_names[i].code == code)
			return code_names[i].name;
	if (code <= 0)
		return "no answer";
	snprintf(other, sizeof(other), "%d.%02d", code / 100 % 10, code % 100);
	return other;
}

static void code_str(int code, char *buf, size_t n)
{
	if (code > 0)
		snprintf(buf, n, "%d.%02d", code / 100 % 10, code % 100);
	else
		snprintf(buf, n, "none");
}

const char *cs_bsserver_event_name(enum cs_bsserver_event ev)
{
	switch (ev) {
	case CS_BSSERVER_SESSION_STARTED: return "session-started";
	case CS_BSSERVER_SESSION_ENDED: return "session-ended";
	case CS_BSSERVER_REQUEST_REFUSED: return "request-refused";
	}
	return "unknown";
}

static const char *cf_name(int cf)
{
	return cf == CS_CF_SENML_JSON ? "SenML JSON" : cf == CS_CF_TLV ? "TLV" : "?";
}

/* Appends printf output to buf at *pos, never past n. */
static void put(char *buf, size_t n, size_t *pos, const char *fmt, ...) CS_PRINTF(4, 5);

static void put(char *buf, size_t n, size_t *pos, const char *fmt, ...)
{
	va_list ap;
	int w;

	if (*pos >= n)
		return;
	va_start(ap, fmt);
	w = vsnprintf(buf + *pos, n - *pos, fmt, ap);
	va_end(ap);
	if (w > 0)
		*pos = *pos + (size_t)w < n ? *pos + (size_t)w : n;
}

void cs_bsserver_report_line(const struct cs_bsserver_report *r, char *buf, size_t n)
{
	size_t pos = 0;

	if (!n)
		return;
	buf[0] = '\0';
	put(buf, n, &pos, "%s%s %s %s%s", r->endpoint[0] ? "ep=" : "",
	    r->endpoint[0] ? r->endpoint : "(no endpoint)", r->push ? "to" : "from", r->peer,
	    r->dtls ? " (DTLS)" : "");
	if (r->id == 0) {
		put(buf, n, &pos, ": refused: %s", r->error);
		return;
	}
	if (r->push)
		put(buf, n, &pos, " (push)");
	if (r->result) {
		put(buf, n, &pos, ": FAILED: %s", r->error[0] ? r->error : "unknown error");
		return;
	}
	put(buf, n, &pos, ": ok: deleted");
	if (!r->ndeleted)
		put(buf, n, &pos, " nothing");
	for (size_t i = 0; i < r->ndeleted; i++)
		put(buf, n, &pos, " %s", r->deleted[i].path);
	put(buf, n, &pos, ", wrote");
	if (!r->nwritten)
		put(buf, n, &pos, " nothing");
	for (size_t i = 0; i < r->nwritten; i++)
		put(buf, n, &pos, " %s%s", r->written[i].path,
		    r->written[i].bootstrap_account ? "(BS)" : "");
	put(buf, n, &pos, " (%s), Finish %s, %u ms", cf_name(r->content_format),
	    cs_bsserver_code_name(r->finish_code), r->duration_ms);
}

static json_t *ops_json(const struct cs_bsserver_report *r)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < r->nops; i++) {
		const struct cs_bsserver_op *op = &r->ops[i];
		char code[8];
		json_t *o;

		code_str(op->code, code, sizeof(code));
		o = json_pack("{s:s, s:s, s:s, s:I, s:I, s:b, s:I}", "method", op->method, "path",
			      op->path, "code", code, "request_bytes", (json_int_t)op->req_bytes,
			      "response_bytes", (json_int_t)op->rsp_bytes, "block1", op->block1,
			      "ms", (json_int_t)op->ms);
		if (o && op->content_format >= 0)
			json_object_set_new(o, "content_format", json_integer(op->content_format));
		if (!o || json_array_append_new(a, o)) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/*
 * Text that came from a client (ep=, Discover answers quoted in errors) may
 * be any bytes; JSON strings must be UTF-8, so such text gets '?' for every
 * non-ASCII byte rather than losing the whole report.
 */
static json_t *text_json(const char *s)
{
	char copy[sizeof(((struct cs_bsserver_report *)0)->error)];
	json_t *j = json_string(s);
	size_t i;

	if (j)
		return j;
	for (i = 0; s[i] && i + 1 < sizeof(copy); i++)
		copy[i] = (char)((unsigned char)s[i] < 0x80 ? s[i] : '?');
	copy[i] = '\0';
	return json_string(copy);
}

json_t *cs_bsserver_report_json(enum cs_bsserver_event ev, const struct cs_bsserver_report *r)
{
	json_t *j, *deleted = json_array(), *written = json_array(), *remaps = json_array();
	char finish[8];

	if (!deleted || !written || !remaps)
		goto fail;
	for (size_t i = 0; i < r->ndeleted; i++)
		if (json_array_append_new(deleted, json_string(r->deleted[i].path)))
			goto fail;
	for (size_t i = 0; i < r->nwritten; i++) {
		const struct cs_bsserver_write *w = &r->written[i];
		json_t *o = json_pack("{s:s, s:s, s:b}", "path", w->path, "card_path", w->card_path,
				      "bootstrap_server", w->bootstrap_account);

		if (o && w->ssid >= 0)
			json_object_set_new(o, "ssid", json_integer(w->ssid));
		if (o && w->uri[0])
			json_object_set_new(o, "uri", text_json(w->uri));
		if (!o || json_array_append_new(written, o))
			goto fail;
	}
	for (size_t i = 0; i < r->nremaps; i++)
		if (json_array_append_new(
			    remaps, json_pack("{s:i, s:i, s:i}", "object", r->remaps[i].oid, "from",
					      r->remaps[i].from, "to", r->remaps[i].to)))
			goto fail;
	code_str(r->finish_code, finish, sizeof(finish));
	j = json_pack(
		"{s:s, s:I, s:o, s:s, s:b, s:b, s:s, s:o, s:s, s:b, s:b, s:o, s:o, s:o, s:o, "
		"s:s, s:b, s:s, s:o, s:I, s:I}",
		"event", cs_bsserver_event_name(ev), "session", (json_int_t)r->id, "endpoint",
		text_json(r->endpoint), "peer", r->peer, "dtls", r->dtls, "push", r->push,
		"content_format", cf_name(r->content_format), "lwm2m", text_json(r->lwm2m_version),
		"bs_account", r->bs_account == CS_BS_ACCOUNT_SKIP ? "skip" : "handover",
		"bs_account_written", r->bs_account_written, "bs_account_skipped",
		r->bs_account_skipped, "operations", ops_json(r), "deleted", deleted, "written",
		written, "remapped", remaps, "finish", finish, "ok",
		ev != CS_BSSERVER_SESSION_STARTED && r->result == 0 && r->id != 0, "result",
		r->result ? cs_strerror(r->result) : "ok", "error", text_json(r->error), "started",
		(json_int_t)r->started_ms, "duration_ms", (json_int_t)r->duration_ms);
	if (!j)
		return NULL;
	if (r->requested_pct >= 0)
		json_object_set_new(j, "requested_pct", json_integer(r->requested_pct));
	if (r->client_bs_iid >= 0)
		json_object_set_new(j, "client_bs_instance", json_integer(r->client_bs_iid));
	return j;
fail:
	json_decref(deleted);
	json_decref(written);
	json_decref(remaps);
	return NULL;
}
