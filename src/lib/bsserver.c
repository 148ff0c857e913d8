/* SPDX-License-Identifier: MIT */
/*
 * The loopback Bootstrap-Server on libcoap (README: "Injecting the card
 * into the local LwM2M client").
 *
 * One struct bs_session per coap_session_t (its app data). A session sends
 * one confirmable request at a time from the coap_session_t that delivered
 * the Bootstrap-Request, so every command leaves from the listener's
 * address and port. Responses come to the context's response handler and
 * are matched by token. Ending a session never happens inside a libcoap
 * callback: it is marked and reaped after coap_io_process returns, because
 * releasing a client session frees it at once.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <coap3/coap.h>

#include "cardstrap/bsserver.h"
#include "cardstrap/objects.h"

#define DIAG_MAX      120 /* characters of a client's diagnostic payload quoted in errors */
#define IDLE_SESSIONS 64  /* libcoap sessions of peers without a bootstrap session kept */

enum bs_state {
	BS_STARTING, /* Bootstrap-Request answered; first request goes out after the ACK */
	BS_WAITING,  /* one request outstanding */
	BS_DONE,     /* result final; reaped after the I/O round */
};

struct payload {
	struct cs_buf b;
	struct payload *next;
	bool released; /* libcoap no longer needs it */
};

struct bs_session {
	struct cs_bsserver *srv;
	struct bs_session *next;
	coap_session_t *cs; /* one reference held */
	enum bs_state state;
	coap_mid_t request_mid; /* of the Bootstrap-Request: retransmissions are not restarts */
	bool answered;          /* the peer answered one of our requests: a live client */
	bool evicted;           /* ended for a new Bootstrap-Request (evict_unanswered) */
	uint8_t token[8];
	size_t token_len;
	uint64_t started, sent, deadline; /* monotonic ms */
	struct cs_model model;            /* the data this session serves */
	struct cs_bs_plan plan;
	bool planned;
	size_t next_op; /* next plan op to send */
	int cur;        /* index into rep_ops of the outstanding request, -1 none */
	bool cur_is_discover;
	bool cur_is_finish;
	const struct cs_bs_op *cur_op;

	/* the report */
	struct cs_bsserver_report rep;
	struct cs_bsserver_op *ops;
	size_t nops;
	struct cs_bsserver_delete *deleted;
	size_t ndeleted;
	struct cs_bsserver_write *written;
	size_t nwritten;
};

struct cs_bsserver {
	coap_context_t *ctx;
	coap_address_t listen, dtls_listen;
	bool has_dtls;
	uint8_t *psk_identity;
	size_t psk_identity_len;
	uint8_t *psk_key;
	size_t psk_key_len;
	coap_bin_const_t key_bin;
	char *endpoint;
	struct cs_bsserver_config cfg;
	uint8_t szx;
	struct cs_model data;
	bool has_data;
	struct bs_session *sessions;
	struct payload *payloads;
	unsigned next_id;
};

/* ---- small helpers ---- */

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int code_num(coap_pdu_code_t c)
{
	return (int)(c >> 5) * 100 + (int)(c & 0x1f);
}

static void addr_str(const coap_address_t *a, char *buf, size_t n)
{
	char host[INET6_ADDRSTRLEN] = "?";

	if (a->addr.sa.sa_family == AF_INET) {
		inet_ntop(AF_INET, &a->addr.sin.sin_addr, host, sizeof(host));
		snprintf(buf, n, "%s:%u", host, ntohs(a->addr.sin.sin_port));
	} else if (a->addr.sa.sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &a->addr.sin6.sin6_addr, host, sizeof(host));
		snprintf(buf, n, "[%s]:%u", host, ntohs(a->addr.sin6.sin6_port));
	} else {
		snprintf(buf, n, "?");
	}
}

static bool is_loopback(const coap_address_t *a)
{
	if (a->addr.sa.sa_family == AF_INET)
		return (ntohl(a->addr.sin.sin_addr.s_addr) >> 24) == 127;
	if (a->addr.sa.sa_family == AF_INET6) {
		const struct in6_addr *v6 = &a->addr.sin6.sin6_addr;

		if (IN6_IS_ADDR_LOOPBACK(v6))
			return true;
		return IN6_IS_ADDR_V4MAPPED(v6) && v6->s6_addr[12] == 127;
	}
	return false;
}

/* "HOST:PORT", "[V6]:PORT" or "HOST" (default port) → address. */
static int parse_hostport(const char *s, uint16_t defport, coap_address_t *out,
			  struct cs_errinfo *ei)
{
	char host[256], port[8];
	struct addrinfo hints = {0}, *res = NULL;
	const char *colon;
	size_t hl;
	int rc;

	if (!s || !*s)
		return cs_error(ei, CS_ERR_ARG, -1, "empty listen address");
	if (s[0] == '[') {
		const char *end = strchr(s, ']');

		if (!end)
			return cs_error(ei, CS_ERR_ARG, -1, "'%s': missing ']'", s);
		hl = (size_t)(end - s - 1);
		if (hl >= sizeof(host))
			return cs_error(ei, CS_ERR_ARG, -1, "'%s': host too long", s);
		memcpy(host, s + 1, hl);
		host[hl] = '\0';
		colon = end[1] == ':' ? end + 1 : NULL;
		if (end[1] && !colon)
			return cs_error(ei, CS_ERR_ARG, -1, "'%s': ':' expected after ']'", s);
	} else {
		colon = strrchr(s, ':');
		if (colon && strchr(s, ':') != colon)
			return cs_error(ei, CS_ERR_ARG, -1,
					"'%s': write IPv6 addresses as [ADDR]:PORT", s);
		hl = colon ? (size_t)(colon - s) : strlen(s);
		if (hl == 0 || hl >= sizeof(host))
			return cs_error(ei, CS_ERR_ARG, -1, "'%s': no host", s);
		memcpy(host, s, hl);
		host[hl] = '\0';
	}
	if (colon) {
		char *end;
		unsigned long p = strtoul(colon + 1, &end, 10);

		if (!colon[1] || *end || p > 65535)
			return cs_error(ei, CS_ERR_ARG, -1, "'%s': port must be 0..65535", s);
		snprintf(port, sizeof(port), "%lu", p);
	} else {
		snprintf(port, sizeof(port), "%u", defport);
	}
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICSERV;
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc || !res)
		return cs_error(ei, CS_ERR_ARG, -1, "'%s': cannot resolve %s: %s", s, host,
				gai_strerror(rc));
	coap_address_init(out);
	out->size = res->ai_addrlen;
	memcpy(&out->addr.sa, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	return 0;
}

/*
 * libcoap binds with SO_REUSEADDR, which would let two servers share a port silently.
 * Port 0 becomes the free port the kernel picked here, so cs_bsserver_uri can name it.
 */
static int check_port_free(coap_address_t *a, struct cs_errinfo *ei)
{
	char s[64];
	int fd = socket(a->addr.sa.sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	coap_address_t bound;
	int rc, e;

	if (fd < 0)
		return cs_error(ei, CS_ERR_NETWORK, -1, "cannot create a socket: %s",
				strerror(errno));
	rc = bind(fd, &a->addr.sa, a->size);
	e = errno;
	coap_address_init(&bound);
	if (rc == 0 && coap_address_get_port(a) == 0 &&
	    getsockname(fd, &bound.addr.sa, &bound.size) == 0)
		coap_address_set_port(a, coap_address_get_port(&bound));
	close(fd);
	if (rc == 0)
		return 0;
	addr_str(a, s, sizeof(s));
	return cs_error(ei, CS_ERR_NETWORK, -1, "cannot listen on %s: %s%s", s, strerror(e),
			e == EADDRINUSE ? " (another Bootstrap-Server running?)" : "");
}

/* Printable, bounded copy of a client's diagnostic payload. */
static void diag_text(const coap_pdu_t *pdu, char *out, size_t n)
{
	const uint8_t *data = NULL;
	size_t len = 0, k = 0;

	out[0] = '\0';
	if (!pdu || !coap_get_data(pdu, &len, &data) || !len)
		return;
	for (size_t i = 0; i < len && k + 1 < n && k < DIAG_MAX; i++)
		out[k++] =
			(char)(data[i] >= 0x20 && data[i] < 0x7f && data[i] != '"' ? data[i] : '?');
	if (len > DIAG_MAX && k + 4 < n) {
		memcpy(out + k, "...", 3);
		k += 3;
	}
	out[k] = '\0';
}

/* Text from the network goes to logs and terminals: control characters become '?'. */
static void printable(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

/* ---- report ---- */

static struct cs_bsserver_op *rep_add_op(struct bs_session *s, const char *method, const char *path,
					 int cf, size_t req_bytes)
{
	struct cs_bsserver_op *n = realloc(s->ops, (s->nops + 1) * sizeof(*n));

	if (!n)
		return NULL;
	s->ops = n;
	n = &s->ops[s->nops++];
	memset(n, 0, sizeof(*n));
	n->method = method;
	snprintf(n->path, sizeof(n->path), "%s", path);
	n->content_format = cf;
	n->req_bytes = req_bytes;
	return n;
}

static void rep_sync(struct bs_session *s)
{
	s->rep.ops = s->ops;
	s->rep.nops = s->nops;
	s->rep.deleted = s->deleted;
	s->rep.ndeleted = s->ndeleted;
	s->rep.written = s->written;
	s->rep.nwritten = s->nwritten;
	s->rep.remaps = s->plan.remaps;
	s->rep.nremaps = s->plan.nremaps;
	s->rep.bs_account_skipped = s->plan.bs_account_skipped;
	if (s->planned)
		s->rep.client_bs_iid = s->plan.client_bs_iid;
}

static void emit(struct cs_bsserver *srv, enum cs_bsserver_event ev,
		 const struct cs_bsserver_report *r)
{
	if (srv->cfg.event)
		srv->cfg.event(srv->cfg.event_arg, ev, r);
}

static void session_end(struct bs_session *s, int result, const char *fmt, ...) CS_PRINTF(3, 4);

static void session_end(struct bs_session *s, int result, const char *fmt, ...)
{
	if (s->state == BS_DONE)
		return;
	s->state = BS_DONE;
	s->rep.result = result;
	if (fmt) {
		va_list ap;

		va_start(ap, fmt);
		vsnprintf(s->rep.error, sizeof(s->rep.error), fmt, ap);
		va_end(ap);
		printable(s->rep.error);
	}
	s->rep.duration_ms = (uint32_t)(now_ms() - s->started);
}

static void session_free(struct bs_session *s)
{
	cs_model_free(&s->model);
	cs_bs_plan_free(&s->plan);
	free(s->ops);
	free(s->deleted);
	free(s->written);
	free(s);
}

/* ---- payloads handed to libcoap ---- */

static void payload_release(coap_session_t *session, void *app_ptr)
{
	struct payload *p = app_ptr;

	(void)session;
	cs_buf_free(&p->b);
	p->released = true;
}

static void payloads_reap(struct cs_bsserver *srv, bool all)
{
	struct payload **pp = &srv->payloads;

	while (*pp) {
		struct payload *p = *pp;

		if (p->released || all) {
			*pp = p->next;
			cs_buf_free(&p->b);
			free(p);
		} else {
			pp = &p->next;
		}
	}
}

/* ---- sending ---- */

static coap_pdu_t *new_request(struct bs_session *s, coap_pdu_code_t code)
{
	coap_pdu_t *pdu = coap_new_pdu(COAP_MESSAGE_CON, code, s->cs);

	if (!pdu)
		return NULL;
	coap_session_new_token(s->cs, &s->token_len, s->token);
	if (!coap_add_token(pdu, s->token_len, s->token)) {
		coap_delete_pdu(pdu);
		return NULL;
	}
	return pdu;
}

static bool add_path(coap_pdu_t *pdu, int32_t oid, int32_t iid)
{
	char seg[8];
	int n;

	if (oid >= 0) {
		n = snprintf(seg, sizeof(seg), "%d", (int)oid);
		if (!coap_add_option(pdu, COAP_OPTION_URI_PATH, (size_t)n, (const uint8_t *)seg))
			return false;
	}
	if (iid >= 0) {
		n = snprintf(seg, sizeof(seg), "%d", (int)iid);
		if (!coap_add_option(pdu, COAP_OPTION_URI_PATH, (size_t)n, (const uint8_t *)seg))
			return false;
	}
	return true;
}

static bool add_uint_option(coap_pdu_t *pdu, coap_option_num_t num, unsigned v)
{
	uint8_t buf[4];

	return coap_add_option(pdu, num, coap_encode_var_safe(buf, sizeof(buf), v), buf) != 0;
}

static void sent(struct bs_session *s, struct cs_bsserver_op *op)
{
	s->cur = (int)(op - s->ops);
	s->sent = now_ms();
	s->state = BS_WAITING;
	rep_sync(s);
}

static void send_failed(struct bs_session *s, const char *what)
{
	session_end(s, CS_ERR_NETWORK, "%s: cannot send the request", what);
}

static void send_discover(struct bs_session *s)
{
	coap_pdu_t *pdu = new_request(s, COAP_REQUEST_CODE_GET);
	struct cs_bsserver_op *op;

	/* Bootstrap-Discover: no Uri-Path option = "/" */
	if (!pdu || !add_uint_option(pdu, COAP_OPTION_ACCEPT, CS_CF_LINK_FORMAT)) {
		if (pdu)
			coap_delete_pdu(pdu);
		send_failed(s, "GET /");
		return;
	}
	op = rep_add_op(s, "GET", "/", CS_CF_LINK_FORMAT, 0);
	if (!op || coap_send(s->cs, pdu) == COAP_INVALID_MID) {
		if (!op)
			coap_delete_pdu(pdu);
		send_failed(s, "GET /");
		return;
	}
	s->cur_is_discover = true;
	s->cur_is_finish = false;
	s->cur_op = NULL;
	sent(s, op);
}

static void send_op(struct bs_session *s, const struct cs_bs_op *bop)
{
	struct cs_bsserver *srv = s->srv;
	char path[CS_BS_PATH_MAX];
	struct cs_bsserver_op *op;
	struct payload *p = NULL;
	coap_pdu_code_t code;
	coap_pdu_t *pdu;
	bool ok;

	cs_bs_op_path(bop, path, sizeof(path));
	code = bop->kind == CS_BS_OP_DELETE  ? COAP_REQUEST_CODE_DELETE
	       : bop->kind == CS_BS_OP_WRITE ? COAP_REQUEST_CODE_PUT
					     : COAP_REQUEST_CODE_POST;
	pdu = new_request(s, code);
	if (!pdu)
		goto fail;
	if (bop->kind == CS_BS_OP_FINISH)
		ok = coap_add_option(pdu, COAP_OPTION_URI_PATH, 2, (const uint8_t *)"bs") != 0;
	else
		ok = add_path(pdu, bop->oid, bop->iid);
	if (!ok)
		goto fail_pdu;
	if (bop->kind == CS_BS_OP_WRITE) {
		p = calloc(1, sizeof(*p));
		if (!p)
			goto fail_pdu;
		if (cs_bs_op_payload(bop, s->rep.content_format, &p->b) ||
		    !add_uint_option(pdu, COAP_OPTION_CONTENT_FORMAT,
				     (unsigned)s->rep.content_format))
			goto fail_payload;
		if (p->b.len > srv->cfg.block_size) {
			/* a Block1 option with num 0 sets libcoap's block size (RFC 7959 §2.2) */
			if (!add_uint_option(pdu, COAP_OPTION_BLOCK1, srv->szx))
				goto fail_payload;
		}
	}
	op = rep_add_op(s, cs_bs_op_method(bop), path,
			bop->kind == CS_BS_OP_WRITE ? s->rep.content_format : -1, p ? p->b.len : 0);
	if (!op)
		goto fail_payload;
	if (p) {
		op->block1 = p->b.len > srv->cfg.block_size;
		p->next = srv->payloads;
		srv->payloads = p;
		if (!coap_add_data_large_request(s->cs, pdu, p->b.len, p->b.data, payload_release,
						 p)) {
			/* libcoap may or may not have released it: free it only once */
			if (!p->released)
				payload_release(s->cs, p);
			coap_delete_pdu(pdu);
			send_failed(s, path);
			return;
		}
	}
	if (coap_send(s->cs, pdu) == COAP_INVALID_MID) {
		send_failed(s, path);
		return;
	}
	s->cur_is_discover = false;
	s->cur_is_finish = bop->kind == CS_BS_OP_FINISH;
	s->cur_op = bop;
	sent(s, op);
	return;

fail_payload:
	if (p) {
		cs_buf_free(&p->b);
		free(p);
	}
fail_pdu:
	coap_delete_pdu(pdu);
fail:
	send_failed(s, path);
}

static void send_next(struct bs_session *s)
{
	if (s->next_op >= s->plan.nops) {
		session_end(s, CS_ERR_ARG, "internal error: plan ended without Finish");
		return;
	}
	send_op(s, &s->plan.ops[s->next_op++]);
}

/* ---- responses ---- */

static struct bs_session *session_of(coap_session_t *cs)
{
	return cs ? coap_session_get_app_data(cs) : NULL;
}

static bool token_matches(const struct bs_session *s, const coap_pdu_t *pdu)
{
	coap_bin_const_t t = coap_pdu_get_token(pdu);

	return s->state == BS_WAITING && t.length == s->token_len &&
	       (!t.length || !memcmp(t.s, s->token, t.length));
}

static void record_write(struct bs_session *s, const struct cs_bs_op *bop, const char *path)
{
	struct cs_bsserver_write *w = realloc(s->written, (s->nwritten + 1) * sizeof(*w));
	struct cs_security sec;
	struct cs_server svr;

	if (!w)
		return;
	s->written = w;
	w = &s->written[s->nwritten++];
	memset(w, 0, sizeof(*w));
	snprintf(w->path, sizeof(w->path), "%s", path);
	snprintf(w->card_path, sizeof(w->card_path), "/%d/%u", (int)bop->oid, bop->inst->id);
	w->bootstrap_account = bop->bootstrap_account;
	w->ssid = -1;
	if (bop->oid == 0) {
		cs_security_view(bop->inst, &sec);
		if (sec.short_server_id.present)
			w->ssid = (int32_t)sec.short_server_id.v;
		if (sec.lwm2m_server_uri)
			snprintf(w->uri, sizeof(w->uri), "%s", sec.lwm2m_server_uri);
	} else if (bop->oid == 1) {
		cs_server_view(bop->inst, &svr);
		if (svr.short_server_id.present)
			w->ssid = (int32_t)svr.short_server_id.v;
	}
	if (bop->bootstrap_account)
		s->rep.bs_account_written = true;
}

static void record_delete(struct bs_session *s, const char *path)
{
	struct cs_bsserver_delete *d = realloc(s->deleted, (s->ndeleted + 1) * sizeof(*d));

	if (!d)
		return;
	s->deleted = d;
	snprintf(s->deleted[s->ndeleted++].path, sizeof(d->path), "%s", path);
}

static void on_discover(struct bs_session *s, const coap_pdu_t *rsp)
{
	struct cs_bs_plan_opts opts = {s->srv->cfg.bs_account, s->srv->cfg.delete_all};
	struct cs_bs_discover d;
	struct cs_errinfo ei;
	const uint8_t *data = NULL;
	size_t len = 0, off = 0, total = 0;
	int err;

	cs_errinfo_clear(&ei);
	if (!coap_get_data_large(rsp, &len, &data, &off, &total)) {
		len = 0;
		data = NULL;
	}
	err = cs_bs_discover_parse(data, len, &d, &ei);
	if (err) {
		session_end(s, CS_ERR_MALFORMED,
			    "GET / (Bootstrap-Discover): the answer is not usable: %s", ei.msg);
		return;
	}
	snprintf(s->rep.lwm2m_version, sizeof(s->rep.lwm2m_version), "%s", d.lwm2m);
	printable(s->rep.lwm2m_version);
	s->rep.client_bs_iid = cs_bs_discover_bootstrap_iid(&d);
	err = cs_bs_plan_make(&s->model, &d, &opts, &s->plan, &ei);
	cs_bs_discover_free(&d);
	if (err) {
		session_end(s, err, "cannot plan the writes: %s", ei.msg);
		return;
	}
	s->planned = true;
	rep_sync(s);
	send_next(s);
}

/* Transport TS response codes: each operation has one success code; any other is a failure */
static int success_code(const struct bs_session *s)
{
	if (s->cur_is_discover)
		return 205;
	if (s->cur_is_finish)
		return 204;
	return s->cur_op->kind == CS_BS_OP_DELETE ? 202 : 204;
}

static void on_response(struct bs_session *s, const coap_pdu_t *rsp)
{
	struct cs_bsserver_op *op = &s->ops[s->cur];
	coap_pdu_code_t c = coap_pdu_get_code(rsp);
	int code = code_num(c), want = success_code(s);
	char diag[DIAG_MAX + 8], said[DIAG_MAX + 64] = "";
	const uint8_t *data;
	size_t len = 0, off, total;

	op->code = code;
	op->ms = (uint32_t)(now_ms() - s->sent);
	if (coap_get_data_large(rsp, &len, &data, &off, &total))
		op->rsp_bytes = total ? total : len;
	s->cur = -1;
	if (code != want) {
		diag_text(rsp, diag, sizeof(diag));
		if (diag[0])
			snprintf(said, sizeof(said), " (client said: \"%s\")", diag);
		else if (c >> 5 == 2)
			snprintf(said, sizeof(said), " (expected %s)", cs_bsserver_code_name(want));
		if (s->cur_is_finish) {
			s->rep.finish_code = code;
			if (code == 406)
				session_end(s, CS_ERR_INCONSISTENT,
					    "the client found the configuration inconsistent (4.06 "
					    "on Bootstrap-Finish)%s",
					    said);
			else
				session_end(s, CS_ERR_REJECTED,
					    "POST /bs (Bootstrap-Finish) failed: %s%s",
					    cs_bsserver_code_name(code), said);
		} else {
			session_end(s, CS_ERR_REJECTED, "%s %s failed: %s%s", op->method, op->path,
				    cs_bsserver_code_name(code), said);
		}
		rep_sync(s);
		return;
	}
	if (s->cur_is_discover) {
		on_discover(s, rsp);
		return;
	}
	if (s->cur_is_finish) {
		s->rep.finish_code = code;
		rep_sync(s);
		session_end(s, 0, NULL);
		return;
	}
	if (s->cur_op->kind == CS_BS_OP_DELETE)
		record_delete(s, op->path);
	else
		record_write(s, s->cur_op, op->path);
	rep_sync(s);
	send_next(s);
}

static coap_response_t response_handler(coap_session_t *cs, const coap_pdu_t *sent_pdu,
					const coap_pdu_t *received, const coap_mid_t mid)
{
	struct bs_session *s = session_of(cs);

	(void)sent_pdu;
	(void)mid;
	/* responses nobody waits for (stale tokens, peers without a session) are dropped quietly */
	if (!s || !token_matches(s, received))
		return COAP_RESPONSE_OK;
	if (coap_pdu_get_code(received) == COAP_RESPONSE_CODE_CONTINUE)
		return COAP_RESPONSE_OK;
	s->answered = true;
	on_response(s, received);
	return COAP_RESPONSE_OK;
}

static void nack_handler(coap_session_t *cs, const coap_pdu_t *sent_pdu,
			 const coap_nack_reason_t reason, const coap_mid_t mid)
{
	struct bs_session *s = session_of(cs);
	const char *what;

	(void)mid;
	if (!s || s->state != BS_WAITING || s->cur < 0)
		return;
	/* libcoap sends the later blocks of a Block1 transfer with tokens of its own */
	if (sent_pdu && !token_matches(s, sent_pdu) && !s->ops[s->cur].block1)
		return;
	what = s->cur >= 0 ? s->ops[s->cur].path : "?";
	switch (reason) {
	case COAP_NACK_TOO_MANY_RETRIES:
		session_end(s, CS_ERR_TIMEOUT,
			    "%s %s: no answer from the client after %u retransmissions",
			    s->ops[s->cur].method, what, coap_session_get_max_retransmit(cs));
		break;
	case COAP_NACK_RST:
		session_end(s, CS_ERR_REJECTED, "%s %s: the client answered with a CoAP Reset",
			    s->ops[s->cur].method, what);
		break;
	case COAP_NACK_ICMP_ISSUE:
		session_end(s, CS_ERR_NETWORK, "%s %s: nothing listens at %s (ICMP unreachable)",
			    s->ops[s->cur].method, what, s->rep.peer);
		break;
	case COAP_NACK_TLS_FAILED:
		session_end(s, CS_ERR_NETWORK, "%s %s: the DTLS session failed",
			    s->ops[s->cur].method, what);
		break;
	default:
		session_end(s, CS_ERR_NETWORK, "%s %s: the request could not be delivered",
			    s->ops[s->cur].method, what);
		break;
	}
	rep_sync(s);
}

static int event_handler(coap_session_t *cs, const coap_event_t ev)
{
	struct bs_session *s = session_of(cs);

	if (!s || s->state == BS_DONE)
		return 0;
	if (ev == COAP_EVENT_XMIT_BLOCK_FAIL)
		session_end(s, CS_ERR_NETWORK, "%s %s: the block-wise transfer failed",
			    s->cur >= 0 ? s->ops[s->cur].method : "?",
			    s->cur >= 0 ? s->ops[s->cur].path : "?");
	else if ((ev == COAP_EVENT_DTLS_CLOSED || ev == COAP_EVENT_DTLS_ERROR) && s->rep.push &&
		 !s->answered)
		/* a push opens the DTLS session itself: nothing came back yet */
		session_end(s, CS_ERR_NETWORK,
			    "the DTLS handshake failed: the client refused this PSK identity or "
			    "key, or does not speak DTLS there");
	else if (ev == COAP_EVENT_DTLS_CLOSED || ev == COAP_EVENT_DTLS_ERROR)
		session_end(s, CS_ERR_NETWORK, "the DTLS session closed");
	else if (ev == COAP_EVENT_SERVER_SESSION_DEL)
		session_end(s, CS_ERR_NETWORK, "the CoAP session was closed");
	return 0;
}

/* ---- sessions ---- */

static size_t active_count(const struct cs_bsserver *srv)
{
	size_t n = 0;

	for (const struct bs_session *s = srv->sessions; s; s = s->next)
		if (s->state != BS_DONE)
			n++;
	return n;
}

static struct bs_session *session_new(struct cs_bsserver *srv, coap_session_t *cs, bool push,
				      const char *endpoint, int pct, int cf)
{
	struct bs_session *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	cs_model_init(&s->model);
	if (cs_model_copy(&s->model, &srv->data)) {
		free(s);
		return NULL;
	}
	s->srv = srv;
	s->cs = coap_session_reference(cs);
	s->state = BS_STARTING;
	s->cur = -1;
	s->started = now_ms();
	s->deadline = s->started + srv->cfg.timeout_ms;
	s->rep.id = ++srv->next_id;
	snprintf(s->rep.endpoint, sizeof(s->rep.endpoint), "%s", endpoint ? endpoint : "");
	addr_str(coap_session_get_addr_remote(cs), s->rep.peer, sizeof(s->rep.peer));
	s->rep.dtls = coap_session_get_proto(cs) == COAP_PROTO_DTLS;
	s->rep.push = push;
	s->rep.requested_pct = pct;
	s->rep.content_format = cf;
	s->rep.client_bs_iid = -1;
	s->rep.bs_account = srv->cfg.bs_account;
	s->rep.started_ms = wall_ms();
	coap_session_set_max_retransmit(cs, srv->cfg.max_retransmit);
	coap_session_set_ack_timeout(cs, (coap_fixed_point_t){srv->cfg.ack_timeout_ms / 1000,
							      srv->cfg.ack_timeout_ms % 1000});
	coap_session_set_app_data(cs, s);
	s->next = srv->sessions;
	srv->sessions = s;
	rep_sync(s);
	emit(srv, CS_BSSERVER_SESSION_STARTED, &s->rep);
	return s;
}

/* Reports and frees finished sessions; starts those whose Bootstrap-Request was answered. */
static void sessions_run(struct cs_bsserver *srv)
{
	uint64_t t = now_ms();
	struct bs_session **pp;

	for (struct bs_session *s = srv->sessions; s; s = s->next) {
		if (s->state == BS_STARTING)
			send_discover(s);
		if (s->state == BS_DONE || t < s->deadline)
			continue;
		if (s->cur >= 0)
			session_end(
				s, CS_ERR_TIMEOUT,
				"session timed out after %u s (waiting for the answer to %s %s)",
				srv->cfg.timeout_ms / 1000, s->ops[s->cur].method,
				s->ops[s->cur].path);
		else
			session_end(s, CS_ERR_TIMEOUT, "session timed out after %u s",
				    srv->cfg.timeout_ms / 1000);
	}
	pp = &srv->sessions;
	while (*pp) {
		struct bs_session *s = *pp;

		if (s->state != BS_DONE) {
			pp = &s->next;
			continue;
		}
		*pp = s->next;
		if (s->rep.error[0] && s->rep.result == 0)
			s->rep.result = CS_ERR_ARG;
		rep_sync(s);
		emit(srv, CS_BSSERVER_SESSION_ENDED, &s->rep);
		if (session_of(s->cs) == s) {
			coap_session_set_app_data(s->cs, NULL);
			/* its unanswered request would go on retransmitting, and holding memory */
			if (s->evicted)
				coap_session_disconnected(s->cs, COAP_NACK_NOT_DELIVERABLE);
		}
		coap_session_release(s->cs);
		session_free(s);
	}
	payloads_reap(srv, false);
}

/* ---- request handlers ---- */

static void respond(coap_pdu_t *response, int code, const char *diag)
{
	coap_pdu_set_code(response, COAP_RESPONSE_CODE(code));
	if (diag)
		coap_add_data(response, strlen(diag), (const uint8_t *)diag);
}

static void refuse(struct cs_bsserver *srv, coap_session_t *cs, coap_pdu_t *response, int code,
		   int result, const char *endpoint, int pct, const char *diag)
{
	struct cs_bsserver_report r;
	struct cs_bsserver_op op = {.method = "POST", .path = "/bs", .content_format = -1};

	respond(response, code, diag);
	memset(&r, 0, sizeof(r));
	r.id = 0;
	snprintf(r.endpoint, sizeof(r.endpoint), "%s", endpoint ? endpoint : "");
	addr_str(coap_session_get_addr_remote(cs), r.peer, sizeof(r.peer));
	r.dtls = coap_session_get_proto(cs) == COAP_PROTO_DTLS;
	r.requested_pct = pct;
	r.client_bs_iid = -1;
	r.bs_account = srv->cfg.bs_account;
	op.code = code;
	r.ops = &op;
	r.nops = 1;
	r.result = result;
	snprintf(r.error, sizeof(r.error), "Bootstrap-Request refused with %s: %s",
		 cs_bsserver_code_name(code), diag);
	r.started_ms = wall_ms();
	emit(srv, CS_BSSERVER_REQUEST_REFUSED, &r);
}

/*
 * Uri-Query "key=value" of a request; false when absent. *bad: the value is
 * too long for buf or holds a control character (it would reach logs).
 */
static bool query_get(const coap_pdu_t *pdu, const char *key, char *buf, size_t n, bool *bad)
{
	coap_opt_iterator_t it;
	coap_opt_t *o;
	size_t kl = strlen(key);

	coap_option_iterator_init(pdu, &it, COAP_OPT_ALL);
	while ((o = coap_option_next(&it))) {
		const uint8_t *v = coap_opt_value(o);
		size_t l = coap_opt_length(o);

		if (it.number != COAP_OPTION_URI_QUERY || l <= kl || memcmp(v, key, kl) ||
		    v[kl] != '=')
			continue;
		l -= kl + 1;
		*bad = l >= n;
		for (size_t i = 0; i < l; i++)
			if (v[kl + 1 + i] < 0x20 || v[kl + 1 + i] == 0x7f)
				*bad = true;
		if (l >= n)
			l = n - 1;
		memcpy(buf, v + kl + 1, l);
		buf[l] = '\0';
		return true;
	}
	return false;
}

/*
 * At the session limit a Bootstrap-Request takes the place of the oldest
 * session whose client has not answered anything yet: peers that send
 * Bootstrap-Requests and never answer must not lock real clients out until
 * the session timeout. Pushes and sessions of answering clients stay.
 */
static bool evict_unanswered(struct cs_bsserver *srv)
{
	struct bs_session *oldest = NULL;

	for (struct bs_session *s = srv->sessions; s; s = s->next)
		if (s->state != BS_DONE && !s->answered && !s->rep.push &&
		    (!oldest || s->started <= oldest->started))
			oldest = s;
	if (!oldest)
		return false;
	session_end(oldest, CS_ERR_CANCELLED,
		    "dropped for a new Bootstrap-Request: %u sessions at once, and this client "
		    "had not answered",
		    srv->cfg.max_sessions);
	oldest->evicted = true;
	return true;
}

static void handle_bs(coap_resource_t *res, coap_session_t *cs, const coap_pdu_t *req,
		      const coap_string_t *query, coap_pdu_t *response)
{
	struct cs_bsserver *srv = coap_get_app_data(coap_session_get_context(cs));
	struct bs_session *old = session_of(cs);
	char ep[CS_BS_ENDPOINT_MAX] = "", pctbuf[16], diag[256];
	bool has_ep, has_pct, ep_bad = false, pct_long = false;
	int pct = -1, cf = CS_CF_TLV;

	(void)res;
	(void)query;
	/* a retransmitted Bootstrap-Request (same message id) is answered again, not restarted */
	if (old && old->state != BS_DONE && old->request_mid == coap_pdu_get_mid(req) &&
	    !old->rep.push) {
		respond(response, 204, NULL);
		return;
	}
	has_ep = query_get(req, "ep", ep, sizeof(ep), &ep_bad);
	has_pct = query_get(req, "pct", pctbuf, sizeof(pctbuf), &pct_long);
	if (!has_ep && coap_session_get_proto(cs) == COAP_PROTO_DTLS) {
		/* Transport 1.1: ep may be left out when it equals the PSK identity */
		const coap_bin_const_t *id = coap_session_get_psk_identity(cs);

		if (id && id->length < sizeof(ep)) {
			memcpy(ep, id->s, id->length);
			ep[id->length] = '\0';
			has_ep = true;
		}
	}
	if (!has_ep || !ep[0] || ep_bad) {
		printable(ep);
		refuse(srv, cs, response, 400, CS_ERR_MALFORMED, ep, -1,
		       ep_bad ? "ep is too long or holds control characters"
			      : "Bootstrap-Request without ep=NAME");
		return;
	}
	if (has_pct) {
		char *end;
		unsigned long v = strtoul(pctbuf, &end, 10);

		if (pct_long || !pctbuf[0] || *end || v > 65535) {
			refuse(srv, cs, response, 400, CS_ERR_MALFORMED, ep, -1,
			       "pct is not a Content-Format number");
			return;
		}
		pct = (int)v;
		/* Transport TS: 4.15 for a pct that is not supported (no CBOR writer here) */
		if (pct != CS_CF_TLV && pct != CS_CF_SENML_JSON) {
			snprintf(diag, sizeof(diag),
				 "pct=%d is not supported; this Bootstrap-Server writes 11542 "
				 "(TLV) or 110 (SenML JSON)",
				 pct);
			refuse(srv, cs, response, 415, CS_ERR_UNSUPPORTED, ep, pct, diag);
			return;
		}
		cf = pct;
	}
	if (srv->endpoint && strcmp(srv->endpoint, ep)) {
		snprintf(diag, sizeof(diag), "endpoint %s is not served here", ep);
		refuse(srv, cs, response, 403, CS_ERR_PERM, ep, pct, diag);
		return;
	}
	if (!srv->has_data) {
		refuse(srv, cs, response, 503, CS_ERR_NOT_FOUND, ep, pct,
		       "no bootstrap data to serve (no valid card read yet)");
		return;
	}
	if (old && old->state != BS_DONE) {
		session_end(old, CS_ERR_CANCELLED, "superseded by a new Bootstrap-Request from %s",
			    old->rep.peer);
		coap_session_set_app_data(cs, NULL);
		/* its unanswered request would hold the new one back (NSTART 1) */
		coap_session_disconnected(cs, COAP_NACK_NOT_DELIVERABLE);
	}
	if (active_count(srv) >= srv->cfg.max_sessions && !evict_unanswered(srv)) {
		refuse(srv, cs, response, 503, CS_ERR_LIMIT, ep, pct,
		       "too many bootstrap sessions at once; try again");
		return;
	}
	if (!session_new(srv, cs, false, ep, pct, cf)) {
		refuse(srv, cs, response, 500, CS_ERR_NOMEM, ep, pct, "out of memory");
		return;
	}
	session_of(cs)->request_mid = coap_pdu_get_mid(req);
	/* 2.04 Changed (never 2.03), piggybacked; the commands follow after it */
	respond(response, 204, NULL);
}

static void handle_bspack(coap_resource_t *res, coap_session_t *cs, const coap_pdu_t *req,
			  const coap_string_t *query, coap_pdu_t *response)
{
	(void)res;
	(void)cs;
	(void)req;
	(void)query;
	/* Core TS 1.2: a BS without Bootstrap-Pack answers 5.01; the client then uses POST /bs */
	respond(response, 501, "Bootstrap-Pack is not served; use Bootstrap-Request (POST /bs)");
}

static void handle_unknown(coap_resource_t *res, coap_session_t *cs, const coap_pdu_t *req,
			   const coap_string_t *query, coap_pdu_t *response)
{
	(void)res;
	(void)cs;
	(void)req;
	(void)query;
	respond(response, 404, NULL);
}

/* ---- PSK ---- */

static const coap_bin_const_t *psk_check(coap_bin_const_t *identity, coap_session_t *cs, void *arg)
{
	struct cs_bsserver *srv = arg;
	unsigned diff = 0;

	(void)cs;
	if (!identity || identity->length != srv->psk_identity_len)
		return NULL;
	for (size_t i = 0; i < identity->length; i++)
		diff |= identity->s[i] ^ srv->psk_identity[i];
	return diff ? NULL : &srv->key_bin;
}

/* ---- public API ---- */

/* libcoap logs warnings to stdout by default, where --json output goes; stderr it is. */
static void coap_log_stderr(coap_log_t level, const char *message)
{
	if (level <= LOG_WARNING)
		fprintf(stderr, "libcoap: %s", message);
}

static int copy_config(struct cs_bsserver *srv, const struct cs_bsserver_config *cfg,
		       struct cs_errinfo *ei)
{
	srv->cfg = *cfg;
	if (!srv->cfg.timeout_ms)
		srv->cfg.timeout_ms = CS_BSSERVER_DEFAULT_TIMEOUT_MS;
	if (srv->cfg.timeout_ms > CS_BSSERVER_MAX_TIMEOUT_MS)
		return cs_error(ei, CS_ERR_ARG, -1, "session timeout above %u s",
				CS_BSSERVER_MAX_TIMEOUT_MS / 1000);
	if (!srv->cfg.block_size)
		srv->cfg.block_size = CS_BSSERVER_DEFAULT_BLOCK;
	for (srv->szx = 0; srv->szx <= 6; srv->szx++)
		if ((16u << srv->szx) == srv->cfg.block_size)
			break;
	if (srv->szx > 6)
		return cs_error(ei, CS_ERR_ARG, -1, "block size %u is not 16, 32, ..., 1024",
				srv->cfg.block_size);
	if (!srv->cfg.max_sessions)
		srv->cfg.max_sessions = CS_BSSERVER_DEFAULT_SESSIONS;
	if (!srv->cfg.ack_timeout_ms)
		srv->cfg.ack_timeout_ms = 2000;
	if (srv->cfg.ack_timeout_ms < 100 || srv->cfg.ack_timeout_ms > 60000)
		return cs_error(ei, CS_ERR_ARG, -1, "ACK timeout outside 0.1..60 s");
	if (!srv->cfg.max_retransmit)
		srv->cfg.max_retransmit = 4;
	if (srv->cfg.max_retransmit > 20)
		return cs_error(ei, CS_ERR_ARG, -1, "more than 20 retransmissions");
	if (cfg->bs_account != CS_BS_ACCOUNT_HANDOVER && cfg->bs_account != CS_BS_ACCOUNT_SKIP)
		return cs_error(ei, CS_ERR_ARG, -1, "unknown bs-account mode");
	if (cfg->endpoint && !(srv->endpoint = strdup(cfg->endpoint)))
		return CS_ERR_NOMEM;
	srv->cfg.endpoint = srv->endpoint;
	srv->cfg.listen = NULL;
	srv->cfg.dtls_listen = NULL;
	srv->cfg.psk_identity = NULL;
	srv->cfg.psk_key = NULL;
	return 0;
}

static int setup_dtls(struct cs_bsserver *srv, const struct cs_bsserver_config *cfg,
		      struct cs_errinfo *ei)
{
	coap_dtls_spsk_t spsk;
	char s[64];
	int err;

	if (!cfg->psk_identity || !cfg->psk_identity_len || !cfg->psk_key || !cfg->psk_key_len)
		return cs_error(ei, CS_ERR_ARG, -1, "a DTLS listener needs a PSK identity and key");
	if (!coap_dtls_is_supported())
		return cs_error(ei, CS_ERR_UNSUPPORTED, -1, "libcoap was built without DTLS");
	err = parse_hostport(cfg->dtls_listen[0] ? cfg->dtls_listen
						 : CS_BSSERVER_DEFAULT_DTLS_LISTEN,
			     CS_BSSERVER_DTLS_PORT, &srv->dtls_listen, ei);
	if (err)
		return err;
	if (!cfg->listen_any && !is_loopback(&srv->dtls_listen)) {
		addr_str(&srv->dtls_listen, s, sizeof(s));
		return cs_error(ei, CS_ERR_PERM, -1,
				"%s is not a loopback address (allow it with listen-any)", s);
	}
	srv->psk_identity = malloc(cfg->psk_identity_len);
	srv->psk_key = malloc(cfg->psk_key_len);
	if (!srv->psk_identity || !srv->psk_key)
		return CS_ERR_NOMEM;
	memcpy(srv->psk_identity, cfg->psk_identity, cfg->psk_identity_len);
	srv->psk_identity_len = cfg->psk_identity_len;
	memcpy(srv->psk_key, cfg->psk_key, cfg->psk_key_len);
	srv->psk_key_len = cfg->psk_key_len;
	srv->key_bin.s = srv->psk_key;
	srv->key_bin.length = srv->psk_key_len;

	memset(&spsk, 0, sizeof(spsk));
	spsk.version = COAP_DTLS_SPSK_SETUP_VERSION;
	spsk.validate_id_call_back = psk_check;
	spsk.id_call_back_arg = srv;
	spsk.psk_info.key = srv->key_bin;
	if (!coap_context_set_psk2(srv->ctx, &spsk))
		return cs_error(ei, CS_ERR_NETWORK, -1, "cannot set up DTLS-PSK");
	err = check_port_free(&srv->dtls_listen, ei);
	if (err)
		return err;
	if (!coap_new_endpoint(srv->ctx, &srv->dtls_listen, COAP_PROTO_DTLS)) {
		addr_str(&srv->dtls_listen, s, sizeof(s));
		return cs_error(ei, CS_ERR_NETWORK, -1, "cannot listen (DTLS) on %s", s);
	}
	srv->has_dtls = true;
	return 0;
}

int cs_bsserver_new(const struct cs_bsserver_config *cfg, struct cs_bsserver **out,
		    struct cs_errinfo *ei)
{
	struct cs_bsserver *srv;
	coap_resource_t *r;
	char s[64];
	int err;

	*out = NULL;
	if (!cfg)
		return cs_error(ei, CS_ERR_ARG, -1, "no configuration");
	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return cs_error(ei, CS_ERR_NOMEM, -1, "out of memory");
	cs_model_init(&srv->data);
	err = copy_config(srv, cfg, ei);
	if (err)
		goto fail;
	err = parse_hostport(cfg->listen ? cfg->listen : CS_BSSERVER_DEFAULT_LISTEN,
			     CS_BSSERVER_PORT, &srv->listen, ei);
	if (err)
		goto fail;
	if (!cfg->listen_any && !is_loopback(&srv->listen)) {
		addr_str(&srv->listen, s, sizeof(s));
		err = cs_error(ei, CS_ERR_PERM, -1,
			       "%s is not a loopback address (allow it with listen-any)", s);
		goto fail;
	}
	coap_startup();
	coap_set_log_handler(coap_log_stderr);
	if (coap_get_log_level() > LOG_WARNING)
		coap_set_log_level(LOG_WARNING);
	srv->ctx = coap_new_context(NULL);
	if (!srv->ctx) {
		err = cs_error(ei, CS_ERR_NOMEM, -1, "cannot create the CoAP context");
		goto fail;
	}
	coap_set_app_data(srv->ctx, srv);
	coap_context_set_block_mode(srv->ctx, COAP_BLOCK_USE_LIBCOAP | COAP_BLOCK_SINGLE_BODY);
	/* libcoap keeps state per peer port; a flood from many ports must not grow it */
	coap_context_set_max_idle_sessions(srv->ctx, IDLE_SESSIONS);
	coap_register_response_handler(srv->ctx, response_handler);
	coap_register_nack_handler(srv->ctx, nack_handler);
	coap_register_event_handler(srv->ctx, event_handler);

	err = check_port_free(&srv->listen, ei);
	if (err)
		goto fail;
	if (!coap_new_endpoint(srv->ctx, &srv->listen, COAP_PROTO_UDP)) {
		addr_str(&srv->listen, s, sizeof(s));
		err = cs_error(ei, CS_ERR_NETWORK, -1, "cannot listen on %s", s);
		goto fail;
	}
	if (cfg->dtls_listen) {
		err = setup_dtls(srv, cfg, ei);
		if (err)
			goto fail;
	}

	r = coap_resource_init(coap_make_str_const("bs"), 0);
	if (!r)
		goto nomem;
	coap_register_request_handler(r, COAP_REQUEST_POST, handle_bs);
	coap_add_resource(srv->ctx, r);
	r = coap_resource_init(coap_make_str_const("bspack"), 0);
	if (!r)
		goto nomem;
	coap_register_request_handler(r, COAP_REQUEST_GET, handle_bspack);
	coap_add_resource(srv->ctx, r);
	/* libcoap answers an unknown DELETE with 2.02 by itself; say 4.04 for everything */
	r = coap_resource_unknown_init(handle_unknown);
	if (!r)
		goto nomem;
	coap_register_request_handler(r, COAP_REQUEST_GET, handle_unknown);
	coap_register_request_handler(r, COAP_REQUEST_POST, handle_unknown);
	coap_register_request_handler(r, COAP_REQUEST_DELETE, handle_unknown);
	coap_add_resource(srv->ctx, r);
	*out = srv;
	return 0;
nomem:
	err = cs_error(ei, CS_ERR_NOMEM, -1, "out of memory");
fail:
	cs_bsserver_free(srv);
	return err;
}

void cs_bsserver_free(struct cs_bsserver *srv)
{
	if (!srv)
		return;
	for (struct bs_session *s = srv->sessions; s; s = s->next)
		session_end(s, CS_ERR_CANCELLED, "the Bootstrap-Server stopped");
	if (srv->ctx)
		sessions_run(srv);
	if (srv->ctx)
		coap_free_context(srv->ctx);
	payloads_reap(srv, true);
	cs_model_free(&srv->data);
	if (srv->psk_key)
		cs_free_secret(srv->psk_key, srv->psk_key_len);
	if (srv->psk_identity)
		cs_free_secret(srv->psk_identity, srv->psk_identity_len);
	free(srv->endpoint);
	cs_zeroize(srv, sizeof(*srv));
	free(srv);
}

int cs_bsserver_set_data(struct cs_bsserver *srv, const struct cs_model *m)
{
	struct cs_model copy;
	int err;

	cs_model_init(&copy);
	if (m) {
		err = cs_model_copy(&copy, m);
		if (err)
			return err;
	}
	cs_model_free(&srv->data);
	srv->data = copy;
	srv->has_data = m != NULL;
	return 0;
}

int cs_bsserver_fd(const struct cs_bsserver *srv)
{
	return coap_context_get_coap_fd(srv->ctx);
}

int cs_bsserver_next_timeout(struct cs_bsserver *srv)
{
	uint64_t t = now_ms();
	coap_tick_t now;
	unsigned int coap_ms;
	int64_t best = -1;

	coap_ticks(&now);
	coap_ms = coap_io_prepare_epoll(srv->ctx, now);
	if (coap_ms)
		best = coap_ms;
	for (const struct bs_session *s = srv->sessions; s; s = s->next) {
		int64_t left;

		if (s->state != BS_WAITING)
			return 0;
		left = s->deadline > t ? (int64_t)(s->deadline - t) : 0;
		if (best < 0 || left < best)
			best = left;
	}
	return best > 1000000 ? 1000000 : (int)best;
}

int cs_bsserver_process(struct cs_bsserver *srv, int timeout_ms)
{
	int wait, rc;

	sessions_run(srv);
	wait = timeout_ms < 0 ? cs_bsserver_next_timeout(srv) : timeout_ms;
	if (timeout_ms > 0) {
		int next = cs_bsserver_next_timeout(srv);

		if (next >= 0 && next < wait)
			wait = next;
	}
	rc = coap_io_process(srv->ctx, wait == 0  ? COAP_IO_NO_WAIT
				       : wait < 0 ? COAP_IO_WAIT
						  : (uint32_t)wait);
	sessions_run(srv);
	return rc < 0 ? CS_ERR_NETWORK : 0;
}

int cs_bsserver_push(struct cs_bsserver *srv, const char *client_uri, const char *endpoint,
		     struct cs_errinfo *ei)
{
	coap_uri_t uri;
	coap_address_t dst, local;
	coap_session_t *cs;
	struct addrinfo hints = {0}, *res = NULL;
	char host[256], port[8], s[64];
	bool dtls;
	int rc;

	if (!client_uri ||
	    coap_split_uri((const uint8_t *)client_uri, strlen(client_uri), &uri) < 0)
		return cs_error(ei, CS_ERR_ARG, -1, "'%s' is not a coap:// or coaps:// URI",
				client_uri ? client_uri : "");
	if (uri.scheme != COAP_URI_SCHEME_COAP && uri.scheme != COAP_URI_SCHEME_COAPS)
		return cs_error(ei, CS_ERR_ARG, -1, "'%s': push speaks coap:// or coaps://",
				client_uri);
	dtls = uri.scheme == COAP_URI_SCHEME_COAPS;
	if (dtls && !srv->has_dtls)
		return cs_error(ei, CS_ERR_ARG, -1,
				"'%s' needs DTLS, but no DTLS listener is configured", client_uri);
	if (!uri.host.length || uri.host.length >= sizeof(host))
		return cs_error(ei, CS_ERR_ARG, -1, "'%s': no host", client_uri);
	if (!srv->has_data)
		return cs_error(ei, CS_ERR_NOT_FOUND, -1, "no bootstrap data to push");
	if (active_count(srv) >= srv->cfg.max_sessions)
		return cs_error(ei, CS_ERR_LIMIT, -1, "too many bootstrap sessions at once");
	memcpy(host, uri.host.s, uri.host.length);
	host[uri.host.length] = '\0';
	snprintf(port, sizeof(port), "%u", uri.port);
	local = dtls ? srv->dtls_listen : srv->listen;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_family = local.addr.sa.sa_family;
	hints.ai_flags = AI_NUMERICSERV;
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc || !res)
		return cs_error(ei, CS_ERR_NETWORK, -1, "cannot resolve %s: %s", host,
				gai_strerror(rc));
	coap_address_init(&dst);
	dst.size = res->ai_addrlen;
	memcpy(&dst.addr.sa, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	if (!srv->cfg.listen_any && !is_loopback(&dst))
		return cs_error(ei, CS_ERR_PERM, -1, "%s is not a loopback address", host);

	/*
	 * A client accepts bootstrap commands only from its BS account's
	 * address:port, so the session binds the listener's own address; both
	 * sockets carry SO_REUSEADDR and Linux hands datagrams from the client
	 * to this connected socket (it matches more of the 4-tuple).
	 */
	if (dtls) {
		coap_dtls_cpsk_t cpsk;

		memset(&cpsk, 0, sizeof(cpsk));
		cpsk.version = COAP_DTLS_CPSK_SETUP_VERSION;
		cpsk.psk_info.identity.s = srv->psk_identity;
		cpsk.psk_info.identity.length = srv->psk_identity_len;
		cpsk.psk_info.key = srv->key_bin;
		cs = coap_new_client_session_psk2(srv->ctx, &local, &dst, COAP_PROTO_DTLS, &cpsk);
	} else {
		cs = coap_new_client_session(srv->ctx, &local, &dst, COAP_PROTO_UDP);
	}
	if (!cs) {
		addr_str(&local, s, sizeof(s));
		return cs_error(ei, CS_ERR_NETWORK, -1, "cannot open a session from %s to %s", s,
				client_uri);
	}
	if (!session_new(srv, cs, true, endpoint, -1, CS_CF_TLV)) {
		coap_session_release(cs);
		return cs_error(ei, CS_ERR_NOMEM, -1, "out of memory");
	}
	/* session_new took its own reference */
	coap_session_release(cs);
	return 0;
}

size_t cs_bsserver_active(const struct cs_bsserver *srv)
{
	return active_count(srv);
}

void cs_bsserver_uri(const struct cs_bsserver *srv, bool dtls, char *buf, size_t n)
{
	char a[64];

	if (dtls && !srv->has_dtls) {
		if (n)
			buf[0] = '\0';
		return;
	}
	addr_str(dtls ? &srv->dtls_listen : &srv->listen, a, sizeof(a));
	snprintf(buf, n, "%s://%s", dtls ? "coaps" : "coap", a);
}
