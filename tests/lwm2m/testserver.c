/* SPDX-License-Identifier: MIT */
/*
 * testserver: a minimal LwM2M Server (Registration interface only) for
 * end-to-end tests. It answers Register, Update and De-register and prints
 * one line per event on stdout. See tests/lwm2m/README.md.
 */
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "peer.h"

#define MAX_REGISTRATIONS 64

struct registration {
	bool active;
	unsigned n;
	char ep[128];
	char lt[16];
	char b[16];
	char lwm2m[16];
};

struct server {
	const char *listen, *listen_dtls, *psk_identity, *psk_key_file, *pidfile;
	unsigned long exit_after;
	int verbose;
	struct registration reg[MAX_REGISTRATIONS];
	unsigned next;
	unsigned long registrations;
	struct cs_buf key;
	coap_bin_const_t key_bin;
	bool done;
};

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static struct server *server_of(coap_session_t *session)
{
	return coap_get_app_data(coap_session_get_context(session));
}

static void event(const char *fmt, ...) CS_PRINTF(1, 2);

static void event(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static bool query_value(const coap_pdu_t *pdu, const char *key, char *buf, size_t n,
			const char *dflt)
{
	if (peer_query_get(pdu, key, buf, n))
		return true;
	snprintf(buf, n, "%s", dflt);
	return false;
}

static bool printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s > 0x7e)
			return false;
	return true;
}

/* POST /rd?ep=..&lt=..&lwm2m=..&b=.. (Registration interface "Register") */
static void on_register(coap_resource_t *resource, coap_session_t *session,
			const coap_pdu_t *request, const coap_string_t *query, coap_pdu_t *response)
{
	struct server *s = server_of(session);
	struct registration *r = NULL;
	unsigned long lt;
	char from[64], num[16];
	size_t len = 0;
	const uint8_t *data = NULL;
	struct registration tmp;

	(void)resource;
	(void)query;
	memset(&tmp, 0, sizeof(tmp));
	peer_addr_str(coap_session_get_addr_remote(session), from, sizeof(from));
	if (!peer_query_get(request, "ep", tmp.ep, sizeof(tmp.ep)) || !tmp.ep[0] ||
	    !printable(tmp.ep)) {
		peer_log("register from %s: 4.00 (no usable ep)", from);
		peer_respond(response, 4, 0, "Register needs ep=<endpoint name>");
		return;
	}
	query_value(request, "lt", tmp.lt, sizeof(tmp.lt), "86400");
	query_value(request, "b", tmp.b, sizeof(tmp.b), "U");
	query_value(request, "lwm2m", tmp.lwm2m, sizeof(tmp.lwm2m), "1.0");
	if (!peer_parse_ulong(tmp.lt, 1, 0xffffffffUL, &lt) || !printable(tmp.b) ||
	    !printable(tmp.lwm2m)) {
		peer_log("register ep=%s from %s: 4.00 (bad lt, b or lwm2m)", tmp.ep, from);
		peer_respond(response, 4, 0, "bad lt, b or lwm2m parameter");
		return;
	}
	for (size_t k = 0; k < MAX_REGISTRATIONS; k++) {
		/* a new Register of the same endpoint replaces the old registration */
		if (s->reg[k].active && strcmp(s->reg[k].ep, tmp.ep) == 0)
			s->reg[k].active = false;
		if (!r && !s->reg[k].active)
			r = &s->reg[k];
	}
	if (!r) {
		peer_respond(response, 5, 3, "too many registrations");
		return;
	}
	*r = tmp;
	r->active = true;
	r->n = ++s->next;
	coap_get_data(request, &len, &data);
	peer_debug("register from %s: %.*s", from, (int)len, data ? (const char *)data : "");
	snprintf(num, sizeof(num), "%u", r->n);
	coap_pdu_set_code(response, COAP_RESPONSE_CODE(201));
	coap_add_option(response, COAP_OPTION_LOCATION_PATH, 2, (const uint8_t *)"rd");
	coap_add_option(response, COAP_OPTION_LOCATION_PATH, strlen(num), (const uint8_t *)num);
	event("register ep=%s lt=%s b=%s lwm2m=%s location=/rd/%u", r->ep, r->lt, r->b, r->lwm2m,
	      r->n);
	s->registrations++;
	if (s->exit_after && s->registrations >= s->exit_after)
		s->done = true;
}

static struct registration *find_location(struct server *s, const coap_pdu_t *request)
{
	char path[64];
	unsigned long n;

	peer_uri_path_text(request, path, sizeof(path));
	if (strncmp(path, "rd/", 3) != 0 || !peer_parse_ulong(path + 3, 1, 0xffffffffUL, &n))
		return NULL;
	for (size_t k = 0; k < MAX_REGISTRATIONS; k++)
		if (s->reg[k].active && s->reg[k].n == n)
			return &s->reg[k];
	return NULL;
}

/* POST /rd/<n> (Update) and DELETE /rd/<n> (De-register) */
static void on_location(coap_resource_t *resource, coap_session_t *session,
			const coap_pdu_t *request, const coap_string_t *query, coap_pdu_t *response)
{
	struct server *s = server_of(session);
	coap_pdu_code_t method = coap_pdu_get_code(request);
	struct registration *r = find_location(s, request);
	char path[64], value[sizeof(r->lt)];

	(void)resource;
	(void)query;
	peer_uri_path_text(request, path, sizeof(path));
	if (method != COAP_REQUEST_CODE_POST && method != COAP_REQUEST_CODE_DELETE) {
		peer_respond(response, 4, 5, NULL);
		return;
	}
	if (!r) {
		peer_log("%s /%s: 4.04 (no such registration)",
			 method == COAP_REQUEST_CODE_POST ? "update" : "deregister", path);
		peer_respond(response, 4, 4, "no such registration");
		return;
	}
	if (method == COAP_REQUEST_CODE_DELETE) {
		r->active = false;
		event("deregister ep=%s location=/rd/%u", r->ep, r->n);
		peer_respond(response, 2, 2, NULL);
		return;
	}
	/* Update carries only what changed */
	if (peer_query_get(request, "lt", value, sizeof(value)))
		memcpy(r->lt, value, sizeof(r->lt));
	if (peer_query_get(request, "b", value, sizeof(value)))
		memcpy(r->b, value, sizeof(r->b));
	event("update ep=%s lt=%s b=%s location=/rd/%u", r->ep, r->lt, r->b, r->n);
	peer_respond(response, 2, 4, NULL);
}

static const coap_bin_const_t *check_identity(coap_bin_const_t *identity, coap_session_t *session,
					      void *arg)
{
	struct server *s = arg;

	(void)session;
	if (identity && identity->length == strlen(s->psk_identity) &&
	    memcmp(identity->s, s->psk_identity, identity->length) == 0)
		return &s->key_bin;
	peer_log("DTLS: unknown PSK identity (%zu bytes), handshake refused",
		 identity ? identity->length : 0);
	return NULL;
}

static int setup(struct server *s, coap_context_t *ctx)
{
	coap_resource_t *r;
	coap_address_t addr;
	struct cs_errinfo ei;

	coap_set_app_data(ctx, s);
	coap_context_set_block_mode(ctx, COAP_BLOCK_USE_LIBCOAP | COAP_BLOCK_SINGLE_BODY);
	r = coap_resource_init(coap_make_str_const("rd"), 0);
	coap_register_request_handler(r, COAP_REQUEST_POST, on_register);
	coap_add_resource(ctx, r);
	r = coap_resource_unknown_init(on_location);
	coap_register_request_handler(r, COAP_REQUEST_POST, on_location);
	coap_register_request_handler(r, COAP_REQUEST_DELETE, on_location);
	coap_add_resource(ctx, r);

	if (s->listen) {
		if (peer_parse_hostport(s->listen, &addr, &ei)) {
			peer_log("--listen: %s", ei.msg);
			return -1;
		}
		if (!coap_new_endpoint(ctx, &addr, COAP_PROTO_UDP)) {
			peer_log("cannot listen on %s", s->listen);
			return -1;
		}
	}
	if (s->listen_dtls) {
		coap_dtls_spsk_t psk;

		if (peer_read_key_file(s->psk_key_file, &s->key, &ei)) {
			peer_log("%s", ei.msg);
			return -1;
		}
		s->key_bin.s = s->key.data;
		s->key_bin.length = s->key.len;
		memset(&psk, 0, sizeof(psk));
		psk.version = COAP_DTLS_SPSK_SETUP_VERSION;
		psk.validate_id_call_back = check_identity;
		psk.id_call_back_arg = s;
		psk.psk_info.key = s->key_bin;
		if (!coap_context_set_psk2(ctx, &psk)) {
			peer_log("cannot set up DTLS-PSK");
			return -1;
		}
		if (peer_parse_hostport(s->listen_dtls, &addr, &ei)) {
			peer_log("--listen-dtls: %s", ei.msg);
			return -1;
		}
		if (!coap_new_endpoint(ctx, &addr, COAP_PROTO_DTLS)) {
			peer_log("cannot listen (DTLS) on %s", s->listen_dtls);
			return -1;
		}
	}
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: testserver --listen ADDR:PORT [--listen-dtls ADDR:PORT --psk-identity ID\n"
		"                  --psk-key-file F] [--exit-after-register N] [--pidfile F] "
		"[-v]\n");
}

static const struct option longopts[] = {
	{"listen", required_argument, NULL, 'l'},
	{"listen-dtls", required_argument, NULL, 'd'},
	{"psk-identity", required_argument, NULL, 'i'},
	{"psk-key-file", required_argument, NULL, 'k'},
	{"exit-after-register", required_argument, NULL, 'x'},
	{"pidfile", required_argument, NULL, 'p'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

static int parse_options(int argc, char **argv, struct server *s)
{
	int ch;

	while ((ch = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'l': s->listen = optarg; break;
		case 'd': s->listen_dtls = optarg; break;
		case 'i': s->psk_identity = optarg; break;
		case 'k': s->psk_key_file = optarg; break;
		case 'p': s->pidfile = optarg; break;
		case 'x':
			if (!peer_parse_ulong(optarg, 1, 1000000, &s->exit_after)) {
				fprintf(stderr,
					"testserver: --exit-after-register wants a number\n");
				return -1;
			}
			break;
		case 'v': s->verbose++; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (optind != argc || (!s->listen && !s->listen_dtls)) {
		usage(stderr);
		return -1;
	}
	if (!s->listen_dtls != (!s->psk_identity || !s->psk_key_file) ||
	    (!s->listen_dtls && (s->psk_identity || s->psk_key_file))) {
		fprintf(stderr,
			"testserver: --listen-dtls needs --psk-identity and --psk-key-file\n");
		return -1;
	}
	return 0;
}

static int write_pidfile(const char *path)
{
	char text[32];
	struct cs_errinfo ei;
	int n = snprintf(text, sizeof(text), "%ld\n", (long)getpid());

	if (peer_write_file_atomic(path, text, (size_t)n, 0644, &ei)) {
		peer_log("%s", ei.msg);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct server s;
	struct sigaction sa;
	coap_context_t *ctx;
	int rc = 0;

	memset(&s, 0, sizeof(s));
	if (parse_options(argc, argv, &s))
		return 1;
	peer_log_init("testserver", s.verbose);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	coap_startup();
	peer_coap_logging();
	ctx = coap_new_context(NULL);
	if (!ctx || setup(&s, ctx) || (s.pidfile && write_pidfile(s.pidfile))) {
		rc = 1;
		goto out;
	}
	if (s.listen)
		peer_log("listening on coap://%s", s.listen);
	if (s.listen_dtls)
		peer_log("listening on coaps://%s (PSK identity %s)", s.listen_dtls,
			 s.psk_identity);
	while (!s.done && !stop_signal)
		coap_io_process(ctx, 500);
	if (stop_signal)
		peer_log("signal %d: stopping", (int)stop_signal);
out:
	if (ctx)
		coap_free_context(ctx);
	coap_cleanup();
	cs_buf_free(&s.key);
	if (s.pidfile && rc == 0)
		unlink(s.pidfile);
	return rc;
}
