/* SPDX-License-Identifier: MIT */
/*
 * testclient: a small, strict LwM2M 1.1 client for end-to-end tests of the
 * cardstrap Bootstrap-Server. It follows the Bootstrap Sequence
 * (Core TS §5.2.4): register with the servers it holds, otherwise
 * Client Initiated Bootstrap with its Bootstrap-Server account, then accept
 * the Bootstrap interface (Transport TS) from that server only, check the
 * configuration at Bootstrap-Finish (Core TS §5.2.6) and register with the
 * new servers.
 * See tests/lwm2m/README.md for options, log lines and exit codes.
 */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "cardstrap/encoding.h"
#include "cardstrap/jsonalloc.h"
#include "cardstrap/objects.h"
#include "cardstrap/senml.h"
#include "cardstrap/tlv.h"
#include "cardstrap/validate.h"
#include "peer.h"

enum {
	EXIT_PURGED = 2,     /* no Bootstrap-Server account and no reachable server */
	EXIT_TIMEOUT = 3,    /* --timeout */
	EXIT_BS_REQUEST = 4, /* Bootstrap-Request failed (unreachable, 2.03, 4.xx) */
	EXIT_FINISH_406 = 5, /* answered Bootstrap-Finish with 4.06 */
	EXIT_BS_FAILED = 6,  /* no Finish in time, or the result could not be stored */
	EXIT_REGISTER = 7,   /* registration failed where it had to succeed */
};

#define MAX_SERVERS         8
#define MAX_REJECT          8
#define DEFAULT_LIFETIME    86400
#define EXCHANGE_LIFETIME_S 247 /* RFC 7252 default; Core TS §5.2.3.3 */
#define BS_RETRY_DELAY_MS   1000
#define DEREGISTER_WAIT_MS  2000

/* Object versions this client implements; written objects are stored with them. */
static const struct {
	uint16_t oid;
	uint8_t major, minor;
} implemented[] = {{0, 1, 1}, {1, 1, 1}, {2, 1, 0}, {3, 1, 0}};

struct factory_account {
	const char *uri;
	bool bootstrap;
	unsigned long ssid, lifetime, hold_off;
	bool has_hold_off;
	const char *binding;
	const char *psk_identity, *psk_key_file;
};

struct options {
	const char *endpoint, *state, *listen;
	bool factory, accept_push, finish_406, finish_retry, no_acl_object, exit_after_register;
	struct factory_account acct[MAX_SERVERS + 1];
	size_t nacct;
	long pct;
	const char *reject[MAX_REJECT];
	size_t nreject;
	unsigned long timeout_s, bs_timeout_s, bs_retries, max_retransmit, ack_timeout_s;
	bool has_max_retransmit, has_ack_timeout;
	int verbose;
};

enum op { OP_NONE, OP_REGISTER, OP_UPDATE, OP_DEREGISTER, OP_BS_REQUEST };

/* One outgoing CoAP session: to a LwM2M Server or to the Bootstrap-Server. */
struct conn {
	coap_session_t *session;
	coap_address_t addr;
	char uri[256];
	int64_t ssid; /* -1 for the Bootstrap-Server */
	long lifetime;
	char binding[16];
	enum op pending;
	uint8_t token[8];
	size_t toklen;
	bool registered, failed;
	char location[128];
	uint64_t next_update_ms;
	struct cs_buf psk_identity, psk_key;
};

enum phase {
	PH_REGISTER,   /* Register sent to every server held */
	PH_HOLD_OFF,   /* waiting Client Hold Off Time before Bootstrap-Request */
	PH_BS_REQUEST, /* Bootstrap-Request sent, no 2.04 yet */
	PH_BOOTSTRAP,  /* taking Bootstrap interface commands */
	PH_RUNNING,    /* registered */
	PH_EXIT,
};

struct client {
	struct options o;
	coap_context_t *ctx;
	coap_address_t listen_addr;
	struct cs_model store;
	struct cs_model snapshot; /* before the bootstrap session, restored on failure */
	bool in_session, after_bootstrap, want_register;
	struct conn servers[MAX_SERVERS];
	size_t nservers;
	struct conn bs;
	/* A push session's peer: its commands are taken until Finish, even after the
	   session overwrote the Bootstrap-Server account (handover). */
	coap_address_t push_peer;
	bool push_session;
	/* --listen speaks DTLS when the Bootstrap-Server account is coaps:// */
	coap_proto_t listen_proto;
	coap_bin_const_t push_key;
	enum phase phase;
	uint64_t start_ms, hold_until_ms, bs_deadline_ms, bs_retry_ms;
	unsigned long bs_attempts;
	int exit_code;
};

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static void finish_exit(struct client *c, int code)
{
	c->exit_code = code;
	c->phase = PH_EXIT;
}

static void implemented_version(uint16_t oid, uint8_t *major, uint8_t *minor)
{
	*major = 0;
	*minor = 0;
	for (size_t k = 0; k < sizeof(implemented) / sizeof(implemented[0]); k++)
		if (implemented[k].oid == oid) {
			*major = implemented[k].major;
			*minor = implemented[k].minor;
		}
}

static bool object_supported(const struct client *c, uint16_t oid)
{
	/* /2 is written even with --no-acl-object: Finish reports it (Core TS §5.2.6) */
	(void)c;
	return oid <= 3;
}

/* ---- connections ---- */

static void conn_release(struct conn *cn)
{
	if (cn->session) {
		coap_session_set_app_data(cn->session, NULL);
		coap_session_release(cn->session);
	}
	cn->session = NULL;
	cn->pending = OP_NONE;
	cs_buf_free(&cn->psk_identity);
	cs_buf_free(&cn->psk_key);
}

/* Opens the session for the account in Security instance sec (PSK for coaps). */
static int conn_open(struct client *c, struct conn *cn, const struct cs_instance *sec)
{
	struct cs_errinfo ei;
	struct cs_security s;
	coap_proto_t proto;
	const coap_address_t *local = c->o.listen ? &c->listen_addr : NULL;

	cs_security_view(sec, &s);
	if (!s.lwm2m_server_uri) {
		peer_log("%s: Security instance /0/%u has no usable LwM2M Server URI",
			 cn->ssid < 0 ? "bootstrap-request" : "register", sec->id);
		return -1;
	}
	snprintf(cn->uri, sizeof(cn->uri), "%s", s.lwm2m_server_uri);
	if (peer_uri_resolve(cn->uri, &cn->addr, &proto, &ei)) {
		peer_log("%s %s: %s", cn->ssid < 0 ? "bootstrap-request" : "register", cn->uri,
			 ei.msg);
		return -1;
	}
	if (proto == COAP_PROTO_DTLS) {
		coap_dtls_cpsk_t setup;

		if (!s.security_mode.present || s.security_mode.v != CS_SECMODE_PSK ||
		    !s.public_key_or_identity || !s.secret_key || !s.secret_key->len) {
			peer_log("%s %s: coaps:// needs Security Mode PSK with identity and key "
				 "(mode %s)",
				 cn->ssid < 0 ? "bootstrap-request" : "register", cn->uri,
				 s.security_mode.present ? cs_security_mode_name(s.security_mode.v)
							 : "absent");
			return -1;
		}
		/* the identity must stay a C string for libcoap; the key bytes are copied */
		if (cs_buf_append(&cn->psk_identity, s.public_key_or_identity->data,
				  s.public_key_or_identity->len) ||
		    cs_buf_push(&cn->psk_identity, 0) ||
		    cs_buf_append(&cn->psk_key, s.secret_key->data, s.secret_key->len))
			return -1;
		memset(&setup, 0, sizeof(setup));
		setup.version = COAP_DTLS_CPSK_SETUP_VERSION;
		setup.psk_info.identity.s = cn->psk_identity.data;
		setup.psk_info.identity.length = cn->psk_identity.len - 1;
		setup.psk_info.key.s = cn->psk_key.data;
		setup.psk_info.key.length = cn->psk_key.len;
		cn->session = coap_new_client_session_psk2(c->ctx, local, &cn->addr, proto, &setup);
		/* libcoap 4.3.1 keeps a session that failed on ICMP until the context goes */
		if (!cn->session && local)
			cn->session = coap_new_client_session_psk2(c->ctx, NULL, &cn->addr, proto,
								   &setup);
	} else {
		cn->session = coap_new_client_session(c->ctx, local, &cn->addr, proto);
		if (!cn->session && local)
			cn->session = coap_new_client_session(c->ctx, NULL, &cn->addr, proto);
	}
	if (cn->session && local &&
	    !peer_addr_equal(coap_session_get_addr_local(cn->session), local))
		peer_debug("%s: local port %s busy, using an ephemeral port", cn->uri, c->o.listen);
	if (!cn->session) {
		peer_log("%s %s: cannot create a CoAP session",
			 cn->ssid < 0 ? "bootstrap-request" : "register", cn->uri);
		return -1;
	}
	coap_session_set_app_data(cn->session, cn);
	if (c->o.has_max_retransmit)
		coap_session_set_max_retransmit(cn->session, (unsigned)c->o.max_retransmit);
	if (c->o.has_ack_timeout) {
		coap_fixed_point_t t = {(uint16_t)c->o.ack_timeout_s, 0};

		coap_session_set_ack_timeout(cn->session, t);
	}
	return 0;
}

static coap_pdu_t *new_request(struct conn *cn, coap_pdu_code_t code, enum op op)
{
	coap_pdu_t *pdu = coap_new_pdu(COAP_MESSAGE_CON, code, cn->session);

	if (!pdu)
		return NULL;
	coap_session_new_token(cn->session, &cn->toklen, cn->token);
	coap_add_token(pdu, cn->toklen, cn->token);
	cn->pending = op;
	return pdu;
}

static void add_query(coap_pdu_t *pdu, const char *fmt, ...) CS_PRINTF(2, 3);

static void add_query(coap_pdu_t *pdu, const char *fmt, ...)
{
	char q[300];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(q, sizeof(q), fmt, ap);
	va_end(ap);
	if (n > 0 && (size_t)n < sizeof(q))
		coap_add_option(pdu, COAP_OPTION_URI_QUERY, (size_t)n, (const uint8_t *)q);
}

static bool send_pdu(struct conn *cn, coap_pdu_t *pdu)
{
	if (coap_send(cn->session, pdu) == COAP_INVALID_MID) {
		cn->pending = OP_NONE;
		return false;
	}
	return true;
}

/* ---- link-format ---- */

static int append(struct cs_buf *b, const char *fmt, ...) CS_PRINTF(2, 3);

static int append(struct cs_buf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return CS_ERR_LIMIT;
	return cs_buf_append(b, tmp, (size_t)n);
}

/* "</1>;ver=1.1," for objects this client implements in a version other than 1.0. */
static int link_object(struct cs_buf *b, uint16_t oid, bool always)
{
	uint8_t major, minor;

	implemented_version(oid, &major, &minor);
	if (major == 1 && minor != 0)
		return append(b, "%s</%u>;ver=%u.%u", b->len ? "," : "", oid, major, minor);
	if (always)
		return append(b, "%s</%u>", b->len ? "," : "", oid);
	return 0;
}

static bool uri_attr_ok(const char *uri)
{
	for (const char *p = uri; *p; p++)
		if (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			return false;
	return true;
}

/*
 * Bootstrap-Discover body for one object (Core TS §5.2.7.3): ssid on
 * server accounts and Server instances, uri on Security instances, nothing on
 * the Bootstrap-Server's Security instance.
 */
static int discover_object(const struct client *c, uint16_t oid, struct cs_buf *b)
{
	const struct cs_object *o = cs_model_find_object(&c->store, oid);
	size_t n = o ? o->ninst : 0;
	int err;

	if (oid == 3) {
		/* the Device object instance exists whatever was written */
		return link_object(b, 3, false) ? CS_ERR_NOMEM
						: append(b, "%s</3/0>", b->len ? "," : "");
	}
	err = link_object(b, oid, n == 0);
	for (size_t k = 0; !err && k < n; k++) {
		const struct cs_instance *i = &o->inst[k];
		int64_t ssid;
		const char *uri;

		err = append(b, "%s</%u/%u>", b->len ? "," : "", oid, i->id);
		if (err)
			break;
		if (oid == 0 && cs_security_is_bootstrap(i))
			continue;
		if ((oid == 0 && store_int(i, 10, &ssid)) || (oid == 1 && store_int(i, 0, &ssid)))
			err = append(b, ";ssid=%" PRId64, ssid);
		uri = oid == 0 ? store_str(i, 0) : NULL;
		if (!err && uri && uri_attr_ok(uri))
			err = append(b, ";uri=\"%s\"", uri);
	}
	return err;
}

static int discover(const struct client *c, int oid, struct cs_buf *b)
{
	int err = 0;

	if (oid >= 0)
		return discover_object(c, (uint16_t)oid, b);
	err = append(b, "</>;lwm2m=1.1");
	for (uint16_t k = 0; !err && k <= 3; k++)
		if (k != 2 || !c->o.no_acl_object)
			err = discover_object(c, k, b);
	return err;
}

/* Register payload: every object but Security (registry object 0). */
static int register_links(const struct client *c, struct cs_buf *b)
{
	int err = 0;

	for (uint16_t oid = 1; !err && oid <= 3; oid++) {
		const struct cs_object *o = cs_model_find_object(&c->store, oid);

		if (oid == 2 && c->o.no_acl_object)
			continue;
		if (oid == 3) {
			err = append(b, "%s</3/0>", b->len ? "," : "");
			continue;
		}
		err = link_object(b, oid, !o || o->ninst == 0);
		for (size_t k = 0; !err && o && k < o->ninst; k++)
			err = append(b, "%s</%u/%u>", b->len ? "," : "", oid, o->inst[k].id);
	}
	return err;
}

/* ---- registration ---- */

static void release_large(coap_session_t *session, void *app_ptr)
{
	(void)session;
	free(app_ptr);
}

static bool send_register(struct client *c, struct conn *cn)
{
	struct cs_buf links = {0};
	uint8_t cf[4], *body;
	coap_pdu_t *pdu;
	size_t len;
	bool ok;

	pdu = new_request(cn, COAP_REQUEST_CODE_POST, OP_REGISTER);
	if (!pdu || register_links(c, &links)) {
		coap_delete_pdu(pdu);
		cs_buf_free(&links);
		return false;
	}
	coap_add_option(pdu, COAP_OPTION_URI_PATH, 2, (const uint8_t *)"rd");
	coap_add_option(pdu, COAP_OPTION_CONTENT_FORMAT,
			coap_encode_var_safe(cf, sizeof(cf), PEER_CF_LINK_FORMAT), cf);
	add_query(pdu, "ep=%s", c->o.endpoint);
	add_query(pdu, "lt=%ld", cn->lifetime);
	add_query(pdu, "lwm2m=1.1");
	add_query(pdu, "b=%s", cn->binding);
	len = links.len;
	body = cs_buf_steal(&links, &len);
	if (!coap_add_data_large_request(cn->session, pdu, len, body, release_large, body)) {
		free(body);
		coap_delete_pdu(pdu);
		cn->pending = OP_NONE;
		return false;
	}
	ok = send_pdu(cn, pdu);
	peer_debug("register %s ep=%s lt=%ld b=%s", cn->uri, c->o.endpoint, cn->lifetime,
		   cn->binding);
	return ok;
}

static void release_servers(struct client *c)
{
	for (size_t k = 0; k < c->nservers; k++)
		conn_release(&c->servers[k]);
	memset(c->servers, 0, sizeof(c->servers));
	c->nservers = 0;
}

static void check_registrations(struct client *c);

/* Step 3 of the Bootstrap Sequence: register with every Server Account held. */
static void start_registrations(struct client *c)
{
	const struct cs_object *srv = cs_model_find_object(&c->store, 1);

	release_servers(c);
	c->phase = PH_REGISTER;
	for (size_t k = 0; srv && k < srv->ninst; k++) {
		const struct cs_instance *si = &srv->inst[k], *sec;
		struct conn *cn;
		struct cs_server sv;

		cs_server_view(si, &sv);
		if (!sv.short_server_id.present) {
			peer_log("register: /1/%u has no Short Server ID, skipped", si->id);
			continue;
		}
		sec = store_security_by_ssid(&c->store, sv.short_server_id.v);
		if (!sec) {
			peer_log("register: /1/%u (ssid %" PRId64 ") has no Security instance, "
				 "skipped",
				 si->id, sv.short_server_id.v);
			continue;
		}
		if (c->nservers == MAX_SERVERS) {
			peer_log("register: more than %d servers, the rest is ignored",
				 MAX_SERVERS);
			break;
		}
		cn = &c->servers[c->nservers++];
		memset(cn, 0, sizeof(*cn));
		cn->ssid = sv.short_server_id.v;
		cn->lifetime = sv.lifetime.present ? (long)sv.lifetime.v : DEFAULT_LIFETIME;
		snprintf(cn->binding, sizeof(cn->binding), "%s", sv.binding ? sv.binding : "U");
		if (conn_open(c, cn, sec) || !send_register(c, cn)) {
			cn->failed = true;
			peer_log("register %s failed: cannot send", cn->uri[0] ? cn->uri : "?");
		}
	}
	check_registrations(c);
}

static void begin_bootstrap(struct client *c, const char *why)
{
	const struct cs_instance *bs = store_bootstrap_account(&c->store);
	int64_t hold = 0;

	if (!bs) {
		peer_log("no Bootstrap-Server account and no reachable server: cannot bootstrap "
			 "(purged)");
		finish_exit(c, EXIT_PURGED);
		return;
	}
	store_int(bs, 11, &hold);
	if (hold < 0)
		hold = 0;
	peer_log("%s: Client Initiated Bootstrap with /0/%u after %" PRId64 " s hold-off", why,
		 bs->id, hold);
	c->phase = PH_HOLD_OFF;
	c->hold_until_ms = peer_now_ms() + (uint64_t)hold * 1000u;
	c->bs_attempts = 0;
}

/* Called whenever a Register settles. */
static void check_registrations(struct client *c)
{
	size_t ok = 0, failed = 0;

	if (c->phase != PH_REGISTER)
		return;
	for (size_t k = 0; k < c->nservers; k++) {
		ok += c->servers[k].registered;
		failed += c->servers[k].failed;
	}
	if (ok + failed < c->nservers)
		return;
	if (ok == 0) {
		if (c->after_bootstrap) {
			peer_log("registration failed with every server after bootstrap");
			finish_exit(c, EXIT_REGISTER);
			return;
		}
		begin_bootstrap(c, c->nservers ? "registration failed with every server"
					       : "no LwM2M Server account");
		return;
	}
	c->phase = PH_RUNNING;
	if (c->o.exit_after_register)
		finish_exit(c, failed ? EXIT_REGISTER : 0);
}

static void on_register_response(struct client *c, struct conn *cn, coap_pdu_code_t code,
				 const coap_pdu_t *received)
{
	char cs[8];

	peer_code_str(code, cs, sizeof(cs));
	if (code != COAP_RESPONSE_CODE(201)) {
		size_t len = 0;
		const uint8_t *data = NULL;

		coap_get_data(received, &len, &data);
		peer_log("register %s failed: %s%s%.*s", cn->uri, cs, len ? " " : "",
			 (int)(len > 200 ? 200 : len), data ? (const char *)data : "");
		cn->failed = true;
		check_registrations(c);
		return;
	}
	peer_location_text(received, cn->location, sizeof(cn->location));
	if (!cn->location[0]) {
		peer_log("register %s failed: 2.01 without Location-Path", cn->uri);
		cn->failed = true;
		check_registrations(c);
		return;
	}
	cn->registered = true;
	/* an Update well before the lifetime runs out */
	cn->next_update_ms = peer_now_ms() + (uint64_t)cn->lifetime * 750u;
	peer_log("registered %s ep=%s location=%s", cn->uri, c->o.endpoint, cn->location);
	printf("registered %s ep=%s location=%s\n", cn->uri, c->o.endpoint, cn->location);
	fflush(stdout);
	check_registrations(c);
}

static void add_location_path(coap_pdu_t *pdu, const char *location)
{
	const char *p = location;

	while (*p) {
		const char *seg, *end;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		seg = p;
		end = strchr(seg, '/');
		if (!end)
			end = seg + strlen(seg);
		coap_add_option(pdu, COAP_OPTION_URI_PATH, (size_t)(end - seg),
				(const uint8_t *)seg);
		p = end;
	}
}

static void send_update(struct conn *cn)
{
	coap_pdu_t *pdu = new_request(cn, COAP_REQUEST_CODE_POST, OP_UPDATE);

	if (!pdu)
		return;
	add_location_path(pdu, cn->location);
	if (send_pdu(cn, pdu))
		peer_debug("update %s location=%s", cn->uri, cn->location);
}

static bool send_deregister(struct conn *cn)
{
	coap_pdu_t *pdu = new_request(cn, COAP_REQUEST_CODE_DELETE, OP_DEREGISTER);

	if (!pdu)
		return false;
	add_location_path(pdu, cn->location);
	return send_pdu(cn, pdu);
}

/* ---- Bootstrap-Request ---- */

static void send_bootstrap_request(struct client *c)
{
	const struct cs_instance *bs = store_bootstrap_account(&c->store);
	coap_pdu_t *pdu;

	conn_release(&c->bs);
	memset(&c->bs, 0, sizeof(c->bs));
	c->bs.ssid = -1;
	c->bs_attempts++;
	if (!bs || conn_open(c, &c->bs, bs)) {
		finish_exit(c, EXIT_BS_REQUEST);
		return;
	}
	pdu = new_request(&c->bs, COAP_REQUEST_CODE_POST, OP_BS_REQUEST);
	if (!pdu) {
		finish_exit(c, EXIT_BS_REQUEST);
		return;
	}
	coap_add_option(pdu, COAP_OPTION_URI_PATH, 2, (const uint8_t *)"bs");
	add_query(pdu, "ep=%s", c->o.endpoint);
	if (c->o.pct >= 0)
		add_query(pdu, "pct=%ld", c->o.pct);
	if (!send_pdu(&c->bs, pdu)) {
		peer_log("bootstrap-request %s: cannot send", c->bs.uri);
		finish_exit(c, EXIT_BS_REQUEST);
		return;
	}
	c->phase = PH_BS_REQUEST;
	c->bs_retry_ms = 0;
	if (c->o.pct >= 0)
		peer_log("bootstrap-request %s ep=%s pct=%ld (attempt %lu)", c->bs.uri,
			 c->o.endpoint, c->o.pct, c->bs_attempts);
	else
		peer_log("bootstrap-request %s ep=%s (attempt %lu)", c->bs.uri, c->o.endpoint,
			 c->bs_attempts);
}

static void begin_session(struct client *c)
{
	cs_model_free(&c->snapshot);
	cs_model_init(&c->snapshot);
	if (cs_model_copy(&c->snapshot, &c->store)) {
		peer_log("out of memory");
		finish_exit(c, 1);
		return;
	}
	c->in_session = true;
	c->push_session = false;
	c->phase = PH_BOOTSTRAP;
	c->bs_deadline_ms = peer_now_ms() + (uint64_t)c->o.bs_timeout_s * 1000u;
}

/* Core TS §5.2.3.3 step 3: on failure the client keeps what it had before the session. */
static void abort_session(struct client *c)
{
	if (!c->in_session)
		return;
	cs_model_free(&c->store);
	c->store = c->snapshot;
	cs_model_init(&c->snapshot);
	c->in_session = false;
}

static void on_bootstrap_response(struct client *c, coap_pdu_code_t code,
				  const coap_pdu_t *received)
{
	size_t len = 0;
	const uint8_t *data = NULL;
	char cs[8];

	peer_code_str(code, cs, sizeof(cs));
	if (code == COAP_RESPONSE_CODE(204)) {
		peer_log("bootstrap-request answered 2.04");
		begin_session(c);
		return;
	}
	if (code == COAP_RESPONSE_CODE(203)) {
		/* 2.03 was a draft error (OMA_LwM2M_for_Developers #14); only 2.04 counts */
		peer_log("BS answered 2.03, not 2.04: Bootstrap-Request failed");
		finish_exit(c, EXIT_BS_REQUEST);
		return;
	}
	coap_get_data(received, &len, &data);
	peer_log("bootstrap-request rejected: %s%s%.*s", cs, len ? " " : "",
		 (int)(len > 200 ? 200 : len), data ? (const char *)data : "");
	finish_exit(c, EXIT_BS_REQUEST);
}

/* ---- response and NACK handlers ---- */

static struct client *client_of(coap_session_t *session)
{
	return coap_get_app_data(coap_session_get_context(session));
}

static coap_response_t on_response(coap_session_t *session, const coap_pdu_t *sent,
				   const coap_pdu_t *received, const coap_mid_t mid)
{
	struct client *c = client_of(session);
	struct conn *cn = coap_session_get_app_data(session);
	coap_bin_const_t tok = coap_pdu_get_token(received);
	coap_pdu_code_t code = coap_pdu_get_code(received);
	enum op op;

	(void)sent;
	(void)mid;
	if (!c || !cn || cn->pending == OP_NONE || tok.length != cn->toklen ||
	    memcmp(tok.s, cn->token, cn->toklen) != 0)
		return COAP_RESPONSE_OK;
	op = cn->pending;
	cn->pending = OP_NONE;
	switch (op) {
	case OP_REGISTER: on_register_response(c, cn, code, received); break;
	case OP_UPDATE:
		if (code != COAP_RESPONSE_CODE(204)) {
			char cs[8];

			peer_code_str(code, cs, sizeof(cs));
			peer_log("update %s: %s, registering again", cn->uri, cs);
			cn->registered = false;
			if (!send_register(c, cn))
				cn->failed = true;
		}
		break;
	case OP_DEREGISTER:
		peer_log("deregistered %s location=%s", cn->uri, cn->location);
		cn->registered = false;
		break;
	case OP_BS_REQUEST: on_bootstrap_response(c, code, received); break;
	case OP_NONE: break;
	}
	return COAP_RESPONSE_OK;
}

static const char *nack_reason(coap_nack_reason_t r)
{
	switch (r) {
	case COAP_NACK_TOO_MANY_RETRIES: return "no answer (retransmissions exhausted)";
	case COAP_NACK_NOT_DELIVERABLE: return "not deliverable";
	case COAP_NACK_RST: return "reset by peer";
	case COAP_NACK_TLS_FAILED: return "DTLS handshake failed";
	case COAP_NACK_ICMP_ISSUE: return "ICMP error (nothing listening?)";
	}
	return "failed";
}

static void on_nack(coap_session_t *session, const coap_pdu_t *sent,
		    const coap_nack_reason_t reason, const coap_mid_t mid)
{
	struct client *c = client_of(session);
	struct conn *cn = coap_session_get_app_data(session);
	enum op op;

	(void)sent;
	(void)mid;
	if (!c || !cn || cn->pending == OP_NONE)
		return;
	op = cn->pending;
	cn->pending = OP_NONE;
	switch (op) {
	case OP_REGISTER:
		peer_log("register %s failed: %s", cn->uri, nack_reason(reason));
		cn->failed = true;
		check_registrations(c);
		break;
	case OP_UPDATE: peer_log("update %s failed: %s", cn->uri, nack_reason(reason)); break;
	case OP_DEREGISTER:
		peer_log("deregister %s failed: %s", cn->uri, nack_reason(reason));
		cn->registered = false;
		break;
	case OP_BS_REQUEST:
		if (c->bs_attempts <= c->o.bs_retries) {
			peer_log("bootstrap-request %s failed: %s; retry %lu of %lu in %d ms",
				 cn->uri, nack_reason(reason), c->bs_attempts, c->o.bs_retries,
				 BS_RETRY_DELAY_MS);
			c->bs_retry_ms = peer_now_ms() + BS_RETRY_DELAY_MS;
		} else {
			peer_log("bootstrap-request %s failed: %s; Bootstrap-Server unreachable "
				 "after %lu attempts",
				 cn->uri, nack_reason(reason), c->bs_attempts);
			finish_exit(c, EXIT_BS_REQUEST);
		}
		break;
	case OP_NONE: break;
	}
}

static int on_event(coap_session_t *session, const coap_event_t event)
{
	struct conn *cn = coap_session_get_app_data(session);

	if (event == COAP_EVENT_DTLS_ERROR)
		peer_log("DTLS error with %s", cn ? cn->uri : "peer");
	else if (event == COAP_EVENT_DTLS_CLOSED)
		peer_debug("DTLS closed with %s", cn ? cn->uri : "peer");
	else if (event == COAP_EVENT_DTLS_CONNECTED)
		peer_debug("DTLS connected to %s", cn ? cn->uri : "peer");
	return 0;
}

/* ---- Bootstrap interface (the client's server side) ---- */

static const char *method_name(coap_pdu_code_t code)
{
	switch (code) {
	case COAP_REQUEST_CODE_GET: return "GET";
	case COAP_REQUEST_CODE_POST: return "POST";
	case COAP_REQUEST_CODE_PUT: return "PUT";
	case COAP_REQUEST_CODE_DELETE: return "DELETE";
	default: return "request";
	}
}

static const char *format_name(long cf)
{
	return cf == PEER_CF_TLV ? "tlv" : cf == PEER_CF_SENML_JSON ? "senml" : "link-format";
}

/* Answers 2.05 with body (taken over: freed after transmission, Block2 when large). */
static void respond_content(coap_resource_t *resource, coap_session_t *session,
			    const coap_pdu_t *request, const coap_string_t *query,
			    coap_pdu_t *response, uint16_t cf, struct cs_buf *body)
{
	size_t len;
	uint8_t *data;

	coap_pdu_set_code(response, COAP_RESPONSE_CODE(205));
	len = body->len;
	data = cs_buf_steal(body, &len);
	if (!data) {
		uint8_t opt[4];

		coap_add_option(response, COAP_OPTION_CONTENT_FORMAT,
				coap_encode_var_safe(opt, sizeof(opt), cf), opt);
		return;
	}
	if (!coap_add_data_large_response(resource, session, request, response, query, cf, -1, 0,
					  len, data, release_large, data))
		free(data);
}

static void bs_discover(struct client *c, coap_resource_t *resource, coap_session_t *session,
			const coap_pdu_t *request, const coap_string_t *query, coap_pdu_t *response,
			const struct peer_path *p)
{
	struct cs_buf b = {0};

	if (p->depth > 1) {
		peer_log("discover %s: 4.00 (Bootstrap-Discover targets / or /O)", p->text);
		peer_respond(response, 4, 0, "Bootstrap-Discover targets / or /{Object ID}");
		return;
	}
	if (p->depth == 1 && (p->id[0] > 3 || (p->id[0] == 2 && c->o.no_acl_object))) {
		peer_log("discover %s: 4.04 (object not supported)", p->text);
		peer_respond(response, 4, 4, "object not supported");
		return;
	}
	if (discover(c, p->depth ? p->id[0] : -1, &b)) {
		cs_buf_free(&b);
		peer_respond(response, 5, 0, "out of memory");
		return;
	}
	peer_log("discover %s (%zu bytes): %.*s", p->text, b.len, (int)b.len, (const char *)b.data);
	respond_content(resource, session, request, query, response, PEER_CF_LINK_FORMAT, &b);
}

static void bs_read(struct client *c, coap_resource_t *resource, coap_session_t *session,
		    const coap_pdu_t *request, const coap_string_t *query, coap_pdu_t *response,
		    const struct peer_path *p, long accept)
{
	const struct cs_object *o;
	const struct cs_instance *inst = NULL;
	struct cs_buf b = {0};
	long cf = accept;
	int err = 0;

	/* Core TS 1.2 Bootstrap-Read: a client accepts /1 and /2 */
	if (p->id[0] != 1 && p->id[0] != 2) {
		peer_log("read %s: 4.05 (Bootstrap-Read allows /1 and /2 only)", p->text);
		peer_respond(response, 4, 5, "Bootstrap-Read allows /1 and /2 only");
		return;
	}
	if (p->depth > 2) {
		peer_log("read %s: 4.00 (Bootstrap-Read targets /O or /O/I)", p->text);
		peer_respond(response, 4, 0, "Bootstrap-Read targets /{Object ID}[/{Instance ID}]");
		return;
	}
	if (p->id[0] == 2 && c->o.no_acl_object) {
		peer_log("read %s: 4.04 (no Access Control object)", p->text);
		peer_respond(response, 4, 4, "this client has no Access Control object");
		return;
	}
	if (cf < 0)
		cf = c->o.pct == PEER_CF_SENML_JSON ? PEER_CF_SENML_JSON : PEER_CF_TLV;
	if (cf != PEER_CF_TLV && cf != PEER_CF_SENML_JSON) {
		peer_log("read %s: 4.06 (Accept %ld)", p->text, accept);
		peer_respond(response, 4, 6,
			     "Bootstrap-Read produces TLV (11542) or SenML-JSON (110)");
		return;
	}
	o = cs_model_find_object(&c->store, p->id[0]);
	if (p->depth == 2) {
		inst = o ? cs_object_find_instance(o, p->id[1]) : NULL;
		if (!inst) {
			peer_log("read %s: 4.04 (no such instance)", p->text);
			peer_respond(response, 4, 4, "no such instance");
			return;
		}
	}
	if (cf == PEER_CF_TLV) {
		if (inst)
			err = cs_model_encode_instance_tlv(inst, &b);
		else if (o)
			err = cs_model_encode_object_tlv(o, &b);
	} else {
		json_t *j = inst ? cs_senml_from_instance(p->id[0], inst, 0)
			    : o  ? cs_senml_from_object(o, 0)
				 : json_array();
		char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;

		err = s ? cs_buf_append(&b, s, strlen(s)) : CS_ERR_NOMEM;
		free(s);
		json_decref(j);
	}
	if (err) {
		cs_buf_free(&b);
		peer_respond(response, 5, 0, "cannot encode");
		return;
	}
	peer_log("read %s (%s, %zu bytes)", p->text, format_name(cf), b.len);
	respond_content(resource, session, request, query, response, (uint16_t)cf, &b);
}

static void delete_bootstrap_side_effects(struct client *c, int64_t ssid);

static bool protected_instance(const struct client *c, uint16_t oid, uint16_t iid)
{
	const struct cs_object *o;
	const struct cs_instance *i;

	if (oid == 3 && iid == 0)
		return true;
	if (oid != 0)
		return false;
	o = cs_model_find_object(&c->store, 0);
	i = o ? cs_object_find_instance(o, iid) : NULL;
	return i && cs_security_is_bootstrap(i);
}

static int delete_instance(struct client *c, uint16_t oid, uint16_t iid)
{
	const struct cs_object *o = cs_model_find_object(&c->store, oid);
	const struct cs_instance *i = o ? cs_object_find_instance(o, iid) : NULL;
	int64_t ssid = -1;
	int err;

	if (!i)
		return 0;
	if (oid == 0 && !store_int(i, 10, &ssid))
		ssid = -1;
	err = store_delete_instance(&c->store, oid, iid);
	if (!err && ssid >= 0)
		delete_bootstrap_side_effects(c, ssid);
	return err;
}

/* Every instance of oid that a Delete may touch. */
static int delete_object(struct client *c, uint16_t oid)
{
	const struct cs_object *o;
	uint16_t ids[256];
	size_t n = 0;
	int err = 0;

	do {
		o = cs_model_find_object(&c->store, oid);
		n = 0;
		for (size_t k = 0; o && k < o->ninst && n < sizeof(ids) / sizeof(ids[0]); k++)
			if (!protected_instance(c, oid, o->inst[k].id))
				ids[n++] = o->inst[k].id;
		for (size_t k = 0; k < n && !err; k++)
			err = delete_instance(c, oid, ids[k]);
	} while (!err && n == sizeof(ids) / sizeof(ids[0]));
	return err;
}

static void bs_delete(struct client *c, coap_pdu_t *response, const struct peer_path *p)
{
	int err = 0;

	if (p->depth == 3) {
		peer_log("delete %s: 4.00 (Bootstrap-Delete does not target resources)", p->text);
		peer_respond(response, 4, 0, "Bootstrap-Delete targets /, /O or /O/I");
		return;
	}
	if (p->depth >= 1 && !object_supported(c, p->id[0])) {
		peer_log("delete %s: 4.00 (object not supported)", p->text);
		peer_respond(response, 4, 0, "object not supported");
		return;
	}
	if (p->depth == 0) {
		const struct cs_model *m = &c->store;
		uint16_t oids[64];
		size_t n = 0;

		for (size_t k = 0; k < m->nobj && n < 64; k++)
			oids[n++] = m->obj[k].id;
		for (size_t k = 0; k < n && !err; k++)
			err = delete_object(c, oids[k]);
		peer_log("delete / (kept the Bootstrap-Server account and /3/0)");
	} else if (p->depth == 1) {
		err = delete_object(c, p->id[0]);
		peer_log("delete %s%s", p->text,
			 p->id[0] == 0 ? " (kept the Bootstrap-Server account)" : "");
	} else if (protected_instance(c, p->id[0], p->id[1])) {
		/* Core TS §5.2.7.5: no Delete affects the BS account or /3/0; still 2.02 */
		peer_log("delete %s: kept, %s is never deleted (answered 2.02)", p->text,
			 p->id[0] == 3 ? "the Device instance" : "the Bootstrap-Server account");
	} else {
		const struct cs_object *o = cs_model_find_object(&c->store, p->id[0]);
		bool present = o && cs_object_find_instance(o, p->id[1]);

		err = delete_instance(c, p->id[0], p->id[1]);
		peer_log("delete %s%s", p->text, present ? "" : " (no such instance)");
	}
	if (err) {
		peer_respond(response, 5, 0, "out of memory");
		return;
	}
	peer_respond(response, 2, 2, NULL);
}

/* Appendix E.1.3 unbootstrapping, for what this client holds: /1 and /2. */
static void delete_bootstrap_side_effects(struct client *c, int64_t ssid)
{
	const struct cs_object *srv, *acl;
	bool again = true;

	while (again) {
		int64_t v;

		again = false;
		srv = cs_model_find_object(&c->store, 1);
		for (size_t k = 0; srv && k < srv->ninst; k++) {
			uint16_t iid = srv->inst[k].id;

			if (!store_int(&srv->inst[k], 0, &v) || v != ssid)
				continue;
			peer_log("delete: /1/%u goes with its Security instance (ssid %" PRId64 ")",
				 iid, ssid);
			store_delete_instance(&c->store, 1, iid);
			/* the Access Control instance of the deleted Server instance */
			acl = cs_model_find_object(&c->store, 2);
			for (size_t j = 0; acl && j < acl->ninst; j++) {
				int64_t obj, inst;

				if (store_int(&acl->inst[j], 0, &obj) && obj == 1 &&
				    store_int(&acl->inst[j], 1, &inst) && inst == iid) {
					store_delete_instance(&c->store, 2, acl->inst[j].id);
					break;
				}
			}
			again = true;
			break;
		}
	}
	/* that server's ACL entries go; ownership moves to the best remaining W+D holder */
	acl = cs_model_find_object(&c->store, 2);
	for (size_t j = 0; acl && j < acl->ninst; j++) {
		const struct cs_instance *ai = &acl->inst[j];
		const struct cs_resource *r2 = cs_instance_find_resource(ai, 2);
		struct cs_model tmp;
		struct cs_object *to;
		struct cs_instance *ti;
		int64_t owner = -1, best = -1, bestscore = -1;
		bool changed = false;

		store_int(ai, 3, &owner);
		cs_model_init(&tmp);
		to = cs_model_add_object(&tmp, 2, 0, 0);
		ti = to ? cs_object_add_instance(to, ai->id) : NULL;
		for (size_t k = 0; ti && k < ai->nres; k++) {
			const struct cs_resource *r = &ai->res[k];
			struct cs_resource *nr;

			if (r == r2 && r->multiple) {
				nr = cs_instance_add_multiple(ti, 2);
				for (size_t q = 0; nr && q < r->ninst; q++) {
					int64_t bits = 0;

					if (r->inst[q].id == ssid) {
						changed = true;
						continue;
					}
					cs_tlv_int_decode(r->inst[q].v.data, r->inst[q].v.len,
							  &bits);
					if (r->inst[q].id != 0 &&
					    ((bits & 0x02) != 0) + ((bits & 0x08) != 0) >
						    bestscore) {
						bestscore =
							((bits & 0x02) != 0) + ((bits & 0x08) != 0);
						best = r->inst[q].id;
					}
					cs_resource_add_instance(nr, r->inst[q].id,
								 r->inst[q].v.data,
								 r->inst[q].v.len);
				}
			} else if (r->id != 3 || owner != ssid) {
				cs_instance_add_resource(ti, r->id, r->v.data, r->v.len);
			}
		}
		if (ti && owner == ssid) {
			uint8_t enc[8];
			size_t n;

			changed = true;
			if (best < 0) {
				/* nobody left to own it: only bootstrap may touch it now */
				best = 65535;
			}
			n = cs_tlv_int_encode(best, enc);
			cs_instance_add_resource(ti, 3, enc, n);
			peer_log("delete: /2/%u Access Control Owner %" PRId64 " -> %" PRId64,
				 ai->id, ssid, best);
		}
		if (ti && changed) {
			store_put_instance(&c->store, 2, 0, 0, ti);
			acl = cs_model_find_object(&c->store, 2);
		}
		cs_model_free(&tmp);
	}
}

/* Decodes a Bootstrap-Write payload into tmp: one object record holding what was written. */
static int decode_write(const struct peer_path *p, long cf, const uint8_t *data, size_t len,
			struct cs_model *tmp, struct cs_errinfo *ei)
{
	uint16_t oid = p->id[0];
	const struct cs_object *o;

	if (len == 0)
		return cs_error(ei, CS_ERR_MALFORMED, 0, "empty payload");
	if (cf == PEER_CF_SENML_JSON) {
		int err = cs_senml_parse((const char *)data, len, tmp, ei);

		if (err)
			return err;
		for (size_t k = 0; k < tmp->nobj; k++)
			if (tmp->obj[k].id != oid)
				return cs_error(ei, CS_ERR_MALFORMED, -1,
						"SenML record for object %u in a write to %s",
						tmp->obj[k].id, p->text);
	} else {
		struct cs_tlv_reader r;
		struct cs_tlv e;
		struct cs_buf wrapped = {0};
		int rc, err;

		cs_tlv_reader_init(&r, data, len, 0);
		rc = cs_tlv_read(&r, &e, ei);
		if (rc < 0)
			return rc;
		if (p->depth == 1) {
			err = cs_model_load_object_tlv(tmp, oid, 0, 0, data, len, 0, ei);
		} else if (p->depth == 2 && e.kind == CS_TLV_OBJECT_INSTANCE) {
			/* Core TS §7.4.3: /O/I may carry its Object Instance wrapper */
			if (e.id != p->id[1] || e.header_len + e.len != len)
				return cs_error(ei, CS_ERR_MALFORMED, 0,
						"PUT %s: payload must be one Object Instance %u",
						p->text, p->id[1]);
			err = cs_model_load_object_tlv(tmp, oid, 0, 0, data, len, 0, ei);
		} else {
			if (e.kind == CS_TLV_OBJECT_INSTANCE || e.kind == CS_TLV_RESOURCE_INSTANCE)
				return cs_error(ei, CS_ERR_MALFORMED, 0,
						"PUT %s: unexpected %s TLV at the top level",
						p->text, cs_tlv_kind_name(e.kind));
			if (p->depth == 3 && (e.id != p->id[2] || e.header_len + e.len != len))
				return cs_error(ei, CS_ERR_MALFORMED, 0,
						"PUT %s: payload must be the one Resource %u",
						p->text, p->id[2]);
			err = cs_tlv_write_header(&wrapped, CS_TLV_OBJECT_INSTANCE, p->id[1], len);
			if (!err)
				err = cs_buf_append(&wrapped, data, len);
			if (!err)
				err = cs_model_load_object_tlv(tmp, oid, 0, 0, wrapped.data,
							       wrapped.len, 0, ei);
			/* offsets refer to the wrapped bytes; point at the payload instead */
			if (err && ei && ei->offset >= (long)(wrapped.len - len))
				ei->offset -= (long)(wrapped.len - len);
			cs_buf_free(&wrapped);
		}
		if (err)
			return err;
	}
	o = cs_model_find_object(tmp, oid);
	if (!o || o->ninst == 0)
		return cs_error(ei, CS_ERR_MALFORMED, -1, "payload holds no instance of object %u",
				oid);
	if (tmp->nobj != 1)
		return cs_error(ei, CS_ERR_MALFORMED, -1, "payload repeats object %u", oid);
	for (size_t k = 0; p->depth >= 2 && k < o->ninst; k++)
		if (o->inst[k].id != p->id[1])
			return cs_error(ei, CS_ERR_MALFORMED, -1, "instance %u in a write to %s",
					o->inst[k].id, p->text);
	if (p->depth == 3 &&
	    (o->ninst != 1 || o->inst[0].nres != 1 || o->inst[0].res[0].id != p->id[2]))
		return cs_error(ei, CS_ERR_MALFORMED, -1,
				"PUT %s: payload must be resource %u only", p->text, p->id[2]);
	for (size_t k = 0; oid == 3 && k < o->ninst; k++)
		if (o->inst[k].id != 0)
			return cs_error(ei, CS_ERR_MALFORMED, -1,
					"the Device object has only instance 0");
	return 0;
}

static void bs_write(struct client *c, const coap_pdu_t *request, coap_pdu_t *response,
		     const struct peer_path *p)
{
	long cf = peer_option_uint(request, COAP_OPTION_CONTENT_FORMAT);
	size_t len = 0, offset = 0, total = 0;
	const uint8_t *data = NULL;
	struct cs_errinfo ei;
	struct cs_model tmp;
	const struct cs_object *o;
	uint8_t major, minor;
	int err = 0;

	coap_get_data_large(request, &len, &data, &offset, &total);
	if (p->depth == 0) {
		peer_log("write /: 4.00 (Bootstrap-Write needs an Object ID)");
		peer_respond(response, 4, 0, "Bootstrap-Write targets /O, /O/I or /O/I/R");
		return;
	}
	for (size_t k = 0; k < c->o.nreject; k++)
		if (strcmp(c->o.reject[k], p->text) == 0) {
			peer_log("write %s (%s, %zu bytes): 4.00 rejected by test (--reject-write)",
				 p->text, cf >= 0 ? format_name(cf) : "no format", len);
			peer_respond(response, 4, 0, "rejected by test");
			return;
		}
	if (cf != PEER_CF_TLV && cf != PEER_CF_SENML_JSON) {
		peer_log("write %s: 4.15 (Content-Format %ld)", p->text, cf);
		peer_respond(response, 4, 15,
			     "Content-Format must be TLV (11542) or SenML-JSON (110)");
		return;
	}
	if (peer_block1_partial(request, len)) {
		peer_log(
			"write %s: 5.01 (Block1 without Size1 is not reassembled by libcoap 4.3.1)",
			p->text);
		peer_respond(response, 5, 1, "Block1 transfers need a Size1 option here");
		return;
	}
	if (!object_supported(c, p->id[0])) {
		/* OMA_LwM2M_for_Developers #153: a write to an object the client lacks is 4.00 */
		peer_log("write %s (%s, %zu bytes): 4.00 (object %u not supported)", p->text,
			 format_name(cf), len, p->id[0]);
		peer_respond(response, 4, 0, "object not supported by this client");
		return;
	}
	if (c->o.pct == PEER_CF_SENML_JSON && cf == PEER_CF_TLV)
		peer_debug("write %s in TLV although pct=110 was asked for", p->text);
	cs_model_init(&tmp);
	cs_errinfo_clear(&ei);
	err = decode_write(p, cf, data, len, &tmp, &ei);
	if (err) {
		char diag[300];

		if (ei.offset >= 0)
			snprintf(diag, sizeof(diag), "%s (payload byte %ld)", ei.msg, ei.offset);
		else
			snprintf(diag, sizeof(diag), "%s", ei.msg);
		peer_log("write %s (%s, %zu bytes): 4.00 %s", p->text, format_name(cf), len, diag);
		peer_respond(response, 4, 0, diag);
		cs_model_free(&tmp);
		return;
	}
	implemented_version(p->id[0], &major, &minor);
	o = cs_model_find_object(&tmp, p->id[0]);
	if (p->depth == 3)
		err = store_put_resource(&c->store, p->id[0], major, minor, p->id[1],
					 &o->inst[0].res[0]);
	for (size_t k = 0; p->depth < 3 && !err && k < o->ninst; k++)
		err = store_put_instance(&c->store, p->id[0], major, minor, &o->inst[k]);
	cs_model_free(&tmp);
	if (err) {
		peer_respond(response, 5, 0, "out of memory");
		return;
	}
	peer_log("write %s (%s, %zu bytes)", p->text, format_name(cf), len);
	peer_respond(response, 2, 4, NULL);
}

/* ---- Bootstrap-Finish consistency (Core TS §5.2.6) ---- */

static bool check_config(struct client *c, char *why, size_t n)
{
	const struct cs_object *sec = cs_model_find_object(&c->store, 0);
	const struct cs_object *srv = cs_model_find_object(&c->store, 1);
	struct cs_diags d;
	size_t nbs = 0, naccounts = 0;
	int vrc;

	for (size_t k = 0; sec && k < sec->ninst; k++) {
		const struct cs_instance *i = &sec->inst[k];
		struct cs_security s;
		coap_uri_t u;

		cs_security_view(i, &s);
		if (cs_security_is_bootstrap(i))
			nbs++;
		if (!s.lwm2m_server_uri ||
		    coap_split_uri((const uint8_t *)s.lwm2m_server_uri, strlen(s.lwm2m_server_uri),
				   &u) < 0 ||
		    (u.scheme != COAP_URI_SCHEME_COAP && u.scheme != COAP_URI_SCHEME_COAPS)) {
			snprintf(why, n, "/0/%u: LwM2M Server URI is not a coap:// or coaps:// URI",
				 i->id);
			return false;
		}
		if (s.security_mode.present && s.security_mode.v != CS_SECMODE_NOSEC &&
		    s.security_mode.v != CS_SECMODE_PSK) {
			snprintf(why, n, "/0/%u: Security Mode %s is not supported by this client",
				 i->id, cs_security_mode_name(s.security_mode.v));
			return false;
		}
	}
	if (nbs > 1) {
		snprintf(why, n, "%zu Bootstrap-Server accounts, at most one is allowed", nbs);
		return false;
	}
	for (size_t k = 0; srv && k < srv->ninst; k++) {
		struct cs_server sv;

		cs_server_view(&srv->inst[k], &sv);
		if (sv.short_server_id.present &&
		    store_security_by_ssid(&c->store, sv.short_server_id.v))
			naccounts++;
	}
	cs_diags_init(&d);
	vrc = cs_validate(&c->store, &d);
	for (size_t k = 0; k < d.n; k++) {
		char line[300];

		if (d.items[k].severity != CS_SEV_ERROR)
			continue;
		cs_diag_format(&d.items[k], line, sizeof(line));
		snprintf(why, n, "%s", line);
		cs_diags_free(&d);
		return false;
	}
	cs_diags_free(&d);
	if (vrc == CS_ERR_NOMEM) {
		snprintf(why, n, "out of memory while checking the configuration");
		return false;
	}
	if (naccounts == 0) {
		snprintf(why, n,
			 "no LwM2M Server Account (a non-bootstrap Security instance and "
			 "a Server instance with the same Short Server ID)");
		return false;
	}
	if (c->o.no_acl_object && store_count(&c->store, 2) > 0) {
		if (naccounts > 1) {
			/* Core TS §5.2.6's own example of an inconsistent configuration */
			snprintf(why, n,
				 "multi-server configuration (%zu servers) with Access "
				 "Control instances, but this client has no Access Control "
				 "object",
				 naccounts);
			return false;
		}
		peer_log("finish: Access Control instances dropped (no Access Control object, "
			 "single server)");
		delete_object(c, 2);
	}
	return true;
}

static int save_state(struct client *c, struct cs_errinfo *ei)
{
	json_t *root, *senml, *versions;
	char *text;
	int err;

	if (!c->o.state)
		return 0;
	root = json_object();
	senml = cs_senml_from_model(&c->store, CS_SENML_SHOW_SECRETS);
	versions = cs_senml_versions(&c->store);
	if (!root || !senml || !versions) {
		json_decref(root);
		json_decref(senml);
		json_decref(versions);
		return cs_error(ei, CS_ERR_NOMEM, -1, "out of memory");
	}
	/* json_object_set_new() takes the value's reference even when it fails */
	err = json_object_set_new(root, "senml", senml);
	if (json_object_set_new(root, "objects", versions) || err) {
		json_decref(root);
		return cs_error(ei, CS_ERR_NOMEM, -1, "out of memory");
	}
	text = json_dumps(root, JSON_INDENT(1));
	json_decref(root);
	if (!text)
		return cs_error(ei, CS_ERR_NOMEM, -1, "out of memory");
	err = peer_write_file_atomic(c->o.state, text, strlen(text), 0600, ei);
	cs_free_secret(text, strlen(text));
	return err;
}

static void bs_finish(struct client *c, const coap_pdu_t *request, coap_pdu_t *response)
{
	char why[400];
	size_t len = 0;
	const uint8_t *data = NULL;
	struct cs_errinfo ei;

	coap_get_data(request, &len, &data);
	if (len) {
		peer_log("finish: 4.00 (Bootstrap-Finish carries no payload)");
		peer_respond(response, 4, 0, "Bootstrap-Finish has an empty payload");
		return;
	}
	if (c->o.finish_406)
		snprintf(why, sizeof(why), "refused by test (--finish-406)");
	if (c->o.finish_406 || !check_config(c, why, sizeof(why))) {
		peer_log("finish 4.06: %s", why);
		peer_respond(response, 4, 6, why);
		if (c->o.finish_retry) {
			peer_log("finish: waiting for corrections and another Bootstrap-Finish");
			return;
		}
		abort_session(c);
		finish_exit(c, EXIT_FINISH_406);
		return;
	}
	cs_errinfo_clear(&ei);
	if (save_state(c, &ei)) {
		peer_log("finish 5.00: cannot store the configuration: %s", ei.msg);
		peer_respond(response, 5, 0, "cannot store the configuration");
		abort_session(c);
		finish_exit(c, EXIT_BS_FAILED);
		return;
	}
	peer_log("finish 2.04");
	if (c->o.state)
		peer_log("state written to %s", c->o.state);
	peer_respond(response, 2, 4, NULL);
	cs_model_free(&c->snapshot);
	cs_model_init(&c->snapshot);
	c->in_session = false;
	c->after_bootstrap = true;
	c->want_register = true;
	c->phase = PH_REGISTER;
}

/* Whether a request is a Bootstrap interface command this client takes now. */
static bool from_bootstrap_server(struct client *c, coap_session_t *session, const char *what)
{
	struct conn *cn = coap_session_get_app_data(session);
	const coap_address_t *remote = coap_session_get_addr_remote(session);
	const struct cs_instance *bs;
	coap_address_t bsaddr;
	coap_proto_t proto;
	char from[64];

	peer_addr_str(remote, from, sizeof(from));
	if (cn && cn == &c->bs) {
		if (c->phase == PH_BOOTSTRAP)
			return true;
		peer_log("%s from the Bootstrap-Server ignored: %s (4.01)", what,
			 c->phase == PH_BS_REQUEST ? "Bootstrap-Request not yet answered 2.04"
						   : "no bootstrap in progress");
		return false;
	}
	if (cn) {
		peer_log("%s from %s (LwM2M Server %s): not the Bootstrap-Server (4.01)", what,
			 from, cn->uri);
		return false;
	}
	if (c->phase == PH_BOOTSTRAP && c->in_session && c->push_session) {
		if (peer_addr_equal(&c->push_peer, remote))
			return true;
		peer_log("%s from %s: not the peer of the push session (4.01)", what, from);
		return false;
	}
	bs = store_bootstrap_account(&c->store);
	if (!bs || !store_str(bs, 0) || peer_uri_resolve(store_str(bs, 0), &bsaddr, &proto, NULL) ||
	    !peer_addr_equal(&bsaddr, remote)) {
		peer_log("%s from %s: not the Bootstrap-Server account's address (4.01)", what,
			 from);
		return false;
	}
	if (coap_session_get_proto(session) != proto) {
		peer_log("%s from %s: the Bootstrap-Server account is %s, this came %s (4.01)",
			 what, from, store_str(bs, 0),
			 proto == COAP_PROTO_DTLS ? "without DTLS" : "over DTLS");
		return false;
	}
	if (c->phase == PH_BOOTSTRAP && c->in_session)
		return true;
	if (!c->o.accept_push) {
		peer_log("%s from %s: no bootstrap in progress (4.01; see --accept-push)", what,
			 from);
		return false;
	}
	if (c->phase == PH_BS_REQUEST) {
		peer_log("%s from %s: a Bootstrap-Request is pending (4.01)", what, from);
		return false;
	}
	peer_log("bootstrap commands from %s without Bootstrap-Request (push)", from);
	begin_session(c);
	c->push_peer = *remote;
	c->push_session = true;
	return c->phase == PH_BOOTSTRAP;
}

static void on_request(coap_resource_t *resource, coap_session_t *session,
		       const coap_pdu_t *request, const coap_string_t *query, coap_pdu_t *response)
{
	struct client *c = client_of(session);
	coap_pdu_code_t method = coap_pdu_get_code(request);
	struct peer_path p;
	char what[96], text[64];
	int perr;

	peer_uri_path_text(request, text, sizeof(text));
	snprintf(what, sizeof(what), "%s /%s", method_name(method), text);
	if (!c || !from_bootstrap_server(c, session, what)) {
		peer_respond(response, 4, 1, "not accepted from this peer now");
		return;
	}
	c->bs_deadline_ms = peer_now_ms() + (uint64_t)c->o.bs_timeout_s * 1000u;
	if (method == COAP_REQUEST_CODE_POST) {
		if (strcmp(text, "bs") == 0) {
			bs_finish(c, request, response);
		} else {
			/* OMA_LwM2M_for_Developers #99: every Bootstrap-interface POST is /bs */
			peer_log("%s: 4.00 (Bootstrap-Write uses PUT; POST only for /bs)", what);
			peer_respond(response, 4, 0, "POST is only Bootstrap-Finish (/bs)");
		}
		return;
	}
	perr = peer_request_path(request, &p);
	if (perr) {
		peer_log("%s: 4.%s (not an LwM2M path)", what,
			 method == COAP_REQUEST_CODE_GET ? "04" : "00");
		peer_respond(response, 4, method == COAP_REQUEST_CODE_GET ? 4 : 0,
			     "not an LwM2M /O/I/R path");
		return;
	}
	switch (method) {
	case COAP_REQUEST_CODE_GET: {
		long accept = peer_option_uint(request, COAP_OPTION_ACCEPT);

		if (accept == PEER_CF_LINK_FORMAT || (p.depth == 0 && accept < 0))
			bs_discover(c, resource, session, request, query, response, &p);
		else if (p.depth == 0) {
			peer_log("%s: 4.06 (/ is only Bootstrap-Discover, Accept 40)", what);
			peer_respond(response, 4, 6, "GET / is Bootstrap-Discover (Accept 40)");
		} else
			bs_read(c, resource, session, request, query, response, &p, accept);
		break;
	}
	case COAP_REQUEST_CODE_PUT: bs_write(c, request, response, &p); break;
	case COAP_REQUEST_CODE_DELETE: bs_delete(c, response, &p); break;
	default: peer_respond(response, 4, 5, NULL); break;
	}
}

/* ---- factory accounts and state ---- */

static int add_int(struct cs_instance *i, uint16_t rid, int64_t v)
{
	uint8_t enc[8];
	size_t n = cs_tlv_int_encode(v, enc);

	return cs_instance_add_resource(i, rid, enc, n) ? 0 : CS_ERR_NOMEM;
}

static int add_bytes(struct cs_instance *i, uint16_t rid, const void *p, size_t n)
{
	return cs_instance_add_resource(i, rid, p, n) ? 0 : CS_ERR_NOMEM;
}

static int build_factory(const struct options *o, struct cs_model *m)
{
	struct cs_object *sec, *srv;
	uint16_t srv_iid = 0;
	int err = 0;

	for (size_t k = 0; k < o->nacct && !err; k++) {
		const struct factory_account *a = &o->acct[k];
		struct cs_buf id = {0}, key = {0};
		struct cs_errinfo ei;
		struct cs_instance *si;
		bool secure = strncmp(a->uri, "coaps://", 8) == 0;

		/* Adding an object moves the others: look them up again every time. */
		sec = cs_model_find_object(m, 0);
		if (!sec)
			sec = cs_model_add_object(m, 0, 1, 1);
		si = sec ? cs_object_add_instance(sec, (uint16_t)k) : NULL;
		if (!si)
			return CS_ERR_NOMEM;
		if (secure != (a->psk_identity && a->psk_key_file)) {
			peer_log("%s: %s", a->uri,
				 secure ? "coaps:// needs a PSK identity and key file"
					: "a PSK identity and key file need a coaps:// URI");
			return CS_ERR_ARG;
		}
		if (secure) {
			if (peer_read_key_file(a->psk_key_file, &key, &ei)) {
				peer_log("%s", ei.msg);
				return CS_ERR_ARG;
			}
			err = cs_buf_append(&id, a->psk_identity, strlen(a->psk_identity));
		}
		err = err ? err : add_bytes(si, 0, a->uri, strlen(a->uri));
		err = err ? err : add_int(si, 1, a->bootstrap);
		err = err ? err : add_int(si, 2, secure ? CS_SECMODE_PSK : CS_SECMODE_NOSEC);
		err = err ? err : add_bytes(si, 3, id.data, id.len);
		err = err ? err : add_bytes(si, 4, NULL, 0);
		err = err ? err : add_bytes(si, 5, key.data, key.len);
		if (!err && !a->bootstrap)
			err = add_int(si, 10, (int64_t)a->ssid);
		if (!err && a->bootstrap && a->has_hold_off)
			err = add_int(si, 11, (int64_t)a->hold_off);
		cs_buf_free(&id);
		cs_buf_free(&key);
		if (!err && !a->bootstrap) {
			struct cs_instance *vi;

			srv = cs_model_find_object(m, 1);
			if (!srv)
				srv = cs_model_add_object(m, 1, 1, 1);
			vi = srv ? cs_object_add_instance(srv, srv_iid++) : NULL;
			if (!vi)
				return CS_ERR_NOMEM;
			err = add_int(vi, 0, (int64_t)a->ssid);
			err = err ? err : add_int(vi, 1, (int64_t)a->lifetime);
			err = err ? err : add_int(vi, 6, 1);
			err = err ? err : add_bytes(vi, 7, a->binding, strlen(a->binding));
		}
	}
	return err;
}

static int load_state(struct client *c)
{
	struct cs_buf text = {0};
	struct cs_errinfo ei;
	int err;

	cs_errinfo_clear(&ei);
	err = peer_read_file(c->o.state, 1u << 20, &text, &ei);
	if (!err)
		err = cs_senml_parse((const char *)text.data, text.len, &c->store, &ei);
	cs_buf_free(&text);
	if (!err)
		err = store_normalize(&c->store);
	if (err)
		peer_log("state %s: %s", c->o.state, ei.msg[0] ? ei.msg : cs_strerror(err));
	return err;
}

static int init_store(struct client *c)
{
	struct stat st;

	cs_model_init(&c->store);
	cs_model_init(&c->snapshot);
	if (c->o.state && !c->o.factory && stat(c->o.state, &st) == 0) {
		if (c->o.nacct)
			peer_log("state %s exists: factory accounts on the command line ignored "
				 "(--factory uses them)",
				 c->o.state);
		if (load_state(c))
			return -1;
		peer_log("state loaded from %s (%zu Security, %zu Server instances)", c->o.state,
			 store_count(&c->store, 0), store_count(&c->store, 1));
		return 0;
	}
	if (build_factory(&c->o, &c->store))
		return -1;
	peer_log("factory bootstrap: %zu Security, %zu Server instances", store_count(&c->store, 0),
		 store_count(&c->store, 1));
	return 0;
}

/* ---- main loop ---- */

static void tick(struct client *c, uint64_t now)
{
	if (c->want_register) {
		c->want_register = false;
		start_registrations(c);
		return;
	}
	switch (c->phase) {
	case PH_HOLD_OFF:
		if (now >= c->hold_until_ms)
			send_bootstrap_request(c);
		break;
	case PH_BS_REQUEST:
		if (c->bs_retry_ms && now >= c->bs_retry_ms)
			send_bootstrap_request(c);
		break;
	case PH_BOOTSTRAP:
		if (now < c->bs_deadline_ms)
			break;
		abort_session(c);
		/* a stalled client-initiated session is retried, as after a failed request */
		if (!c->push_session && c->bs_attempts && c->bs_attempts <= c->o.bs_retries) {
			peer_log("bootstrap stalled: no command within %lu s; configuration "
				 "unchanged; retry %lu of %lu in %d ms",
				 c->o.bs_timeout_s, c->bs_attempts, c->o.bs_retries,
				 BS_RETRY_DELAY_MS);
			c->phase = PH_BS_REQUEST;
			c->bs_retry_ms = now + BS_RETRY_DELAY_MS;
			break;
		}
		peer_log("bootstrap failed: no Bootstrap-Finish within %lu s after the last "
			 "command; configuration unchanged",
			 c->o.bs_timeout_s);
		finish_exit(c, EXIT_BS_FAILED);
		break;
	case PH_RUNNING:
		for (size_t k = 0; k < c->nservers; k++) {
			struct conn *cn = &c->servers[k];

			if (cn->registered && cn->pending == OP_NONE && now >= cn->next_update_ms) {
				cn->next_update_ms = now + (uint64_t)cn->lifetime * 750u;
				send_update(cn);
			}
		}
		break;
	default: break;
	}
	if (c->phase != PH_EXIT && c->phase != PH_RUNNING && c->o.timeout_s &&
	    now - c->start_ms >= (uint64_t)c->o.timeout_s * 1000u) {
		peer_log("timeout: not registered after %lu s", c->o.timeout_s);
		abort_session(c);
		finish_exit(c, EXIT_TIMEOUT);
	}
}

static void deregister_all(struct client *c)
{
	uint64_t until = peer_now_ms() + DEREGISTER_WAIT_MS;
	bool waiting = false;

	for (size_t k = 0; k < c->nservers; k++) {
		struct conn *cn = &c->servers[k];

		if (cn->registered && cn->session)
			waiting |= send_deregister(cn);
	}
	while (waiting && peer_now_ms() < until) {
		waiting = false;
		coap_io_process(c->ctx, 100);
		for (size_t k = 0; k < c->nservers; k++)
			waiting |= c->servers[k].pending == OP_DEREGISTER;
	}
}

/*
 * The DTLS server side of --listen: a handshake opens a session only with the
 * identity of the Bootstrap-Server account held now, and that account's key.
 */
static const coap_bin_const_t *push_psk_check(coap_bin_const_t *identity,
					      coap_session_t *session, void *arg)
{
	struct client *c = arg;
	const struct cs_instance *bs = store_bootstrap_account(&c->store);
	const struct cs_resource *id = bs ? cs_instance_find_resource(bs, 3) : NULL;
	const struct cs_resource *key = bs ? cs_instance_find_resource(bs, 5) : NULL;
	char from[64];

	peer_addr_str(coap_session_get_addr_remote(session), from, sizeof(from));
	if (!id || id->multiple || !key || key->multiple || !key->v.len ||
	    id->v.len != identity->length || memcmp(id->v.data, identity->s, identity->length)) {
		peer_log("DTLS handshake from %s: not the Bootstrap-Server account's identity",
			 from);
		return NULL;
	}
	c->push_key.s = key->v.data;
	c->push_key.length = key->v.len;
	return &c->push_key;
}

static int listen_start(struct client *c)
{
	const struct cs_instance *bs = store_bootstrap_account(&c->store);
	coap_address_t a;
	coap_dtls_spsk_t spsk;

	c->listen_proto = COAP_PROTO_UDP;
	if (bs && store_str(bs, 0))
		peer_uri_resolve(store_str(bs, 0), &a, &c->listen_proto, NULL);
	if (c->listen_proto == COAP_PROTO_DTLS) {
		memset(&spsk, 0, sizeof(spsk));
		spsk.version = COAP_DTLS_SPSK_SETUP_VERSION;
		spsk.validate_id_call_back = push_psk_check;
		spsk.id_call_back_arg = c;
		if (!coap_context_set_psk2(c->ctx, &spsk)) {
			peer_log("cannot set up DTLS-PSK on %s", c->o.listen);
			return 1;
		}
	}
	if (!coap_new_endpoint(c->ctx, &c->listen_addr, c->listen_proto)) {
		peer_log("cannot listen on %s", c->o.listen);
		return 1;
	}
	return 0;
}

static int run(struct client *c)
{
	coap_resource_t *r;

	c->ctx = coap_new_context(NULL);
	if (!c->ctx)
		return 1;
	coap_set_app_data(c->ctx, c);
	coap_context_set_block_mode(c->ctx, COAP_BLOCK_USE_LIBCOAP | COAP_BLOCK_SINGLE_BODY);
	coap_register_response_handler(c->ctx, on_response);
	coap_register_nack_handler(c->ctx, on_nack);
	coap_register_event_handler(c->ctx, on_event);
	/* every path of the Bootstrap interface goes to one handler that reads Uri-Path itself */
	r = coap_resource_unknown_init(on_request);
	coap_register_request_handler(r, COAP_REQUEST_GET, on_request);
	coap_register_request_handler(r, COAP_REQUEST_POST, on_request);
	coap_register_request_handler(r, COAP_REQUEST_DELETE, on_request);
	coap_add_resource(c->ctx, r);
	if (c->o.listen && listen_start(c))
		return 1;
	c->start_ms = peer_now_ms();
	c->exit_code = 0;
	start_registrations(c);
	while (c->phase != PH_EXIT) {
		uint64_t now;

		if (stop_signal) {
			peer_log("signal %d: stopping", (int)stop_signal);
			abort_session(c);
			deregister_all(c);
			c->exit_code = c->phase == PH_RUNNING ? 0 : 128 + stop_signal;
			break;
		}
		now = peer_now_ms();
		tick(c, now);
		if (c->phase == PH_EXIT)
			break;
		coap_io_process(c->ctx, 200);
	}
	return c->exit_code;
}

/* ---- options ---- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: testclient --endpoint NAME [options]\n"
		"  --state FILE             persistent objects (SenML-JSON, written after a\n"
		"                           successful bootstrap, mode 0600)\n"
		"  --factory                use the accounts below even when FILE exists\n"
		"  --bs URI                 factory Bootstrap-Server account\n"
		"  --bs-psk-identity ID --bs-psk-key-file F   PSK for a coaps:// BS\n"
		"  --hold-off S             Client Hold Off Time of the BS account (/0/x/11)\n"
		"  --server URI --ssid N [--lifetime S] [--binding B]\n"
		"                           [--server-psk-identity ID --server-psk-key-file F]\n"
		"                           factory server account (repeatable)\n"
		"  --listen ADDR:PORT       local address and port (default: ephemeral);\n"
		"                           DTLS-PSK when the BS account is coaps://\n"
		"  --accept-push            take bootstrap commands from the BS account's address\n"
		"                           on --listen without a Bootstrap-Request\n"
		"  --pct N                  send pct=N in the Bootstrap-Request\n"
		"  --reject-write PATH      answer a PUT to PATH with 4.00 (repeatable)\n"
		"  --finish-406             answer Bootstrap-Finish with 4.06\n"
		"  --finish-retry           after a 4.06 Finish, wait for another Finish\n"
		"  --no-acl-object          the client has no Access Control object\n"
		"  --exit-after-register    exit 0 once every server registered\n"
		"  --timeout S              give up (exit 3) when not registered after S s\n"
		"  --bs-timeout S           wait at most S s for the next bootstrap command (247)\n"
		"  --bs-retries N           Bootstrap-Request retries after a failure or a\n"
		"                           session that stalled for --bs-timeout (2)\n"
		"  --max-retransmit N --ack-timeout S   CoAP transmission parameters\n"
		"  -v                       more logging\n");
}

static struct factory_account *last_server(struct options *o, const char *opt)
{
	if (o->nacct == 0 || o->acct[o->nacct - 1].bootstrap) {
		fprintf(stderr, "testclient: %s must follow --server\n", opt);
		return NULL;
	}
	return &o->acct[o->nacct - 1];
}

static struct factory_account *bs_account(struct options *o)
{
	for (size_t k = 0; k < o->nacct; k++)
		if (o->acct[k].bootstrap)
			return &o->acct[k];
	return NULL;
}

enum {
	OPT_ENDPOINT = 256,
	OPT_STATE,
	OPT_FACTORY,
	OPT_BS,
	OPT_BS_ID,
	OPT_BS_KEY,
	OPT_HOLD_OFF,
	OPT_SERVER,
	OPT_SSID,
	OPT_LIFETIME,
	OPT_BINDING,
	OPT_SRV_ID,
	OPT_SRV_KEY,
	OPT_LISTEN,
	OPT_PUSH,
	OPT_PCT,
	OPT_REJECT,
	OPT_F406,
	OPT_FRETRY,
	OPT_NOACL,
	OPT_EXIT_REG,
	OPT_TIMEOUT,
	OPT_BS_TIMEOUT,
	OPT_BS_RETRIES,
	OPT_MAXRT,
	OPT_ACKTO,
	OPT_HELP,
};

static const struct option longopts[] = {
	{"endpoint", required_argument, NULL, OPT_ENDPOINT},
	{"state", required_argument, NULL, OPT_STATE},
	{"factory", no_argument, NULL, OPT_FACTORY},
	{"bs", required_argument, NULL, OPT_BS},
	{"bs-psk-identity", required_argument, NULL, OPT_BS_ID},
	{"bs-psk-key-file", required_argument, NULL, OPT_BS_KEY},
	{"hold-off", required_argument, NULL, OPT_HOLD_OFF},
	{"server", required_argument, NULL, OPT_SERVER},
	{"ssid", required_argument, NULL, OPT_SSID},
	{"lifetime", required_argument, NULL, OPT_LIFETIME},
	{"binding", required_argument, NULL, OPT_BINDING},
	{"server-psk-identity", required_argument, NULL, OPT_SRV_ID},
	{"server-psk-key-file", required_argument, NULL, OPT_SRV_KEY},
	{"listen", required_argument, NULL, OPT_LISTEN},
	{"accept-push", no_argument, NULL, OPT_PUSH},
	{"pct", required_argument, NULL, OPT_PCT},
	{"reject-write", required_argument, NULL, OPT_REJECT},
	{"finish-406", no_argument, NULL, OPT_F406},
	{"finish-retry", no_argument, NULL, OPT_FRETRY},
	{"no-acl-object", no_argument, NULL, OPT_NOACL},
	{"exit-after-register", no_argument, NULL, OPT_EXIT_REG},
	{"timeout", required_argument, NULL, OPT_TIMEOUT},
	{"bs-timeout", required_argument, NULL, OPT_BS_TIMEOUT},
	{"bs-retries", required_argument, NULL, OPT_BS_RETRIES},
	{"max-retransmit", required_argument, NULL, OPT_MAXRT},
	{"ack-timeout", required_argument, NULL, OPT_ACKTO},
	{"help", no_argument, NULL, OPT_HELP},
	{NULL, 0, NULL, 0},
};

static bool number(const char *opt, const char *arg, unsigned long min, unsigned long max,
		   unsigned long *out)
{
	if (peer_parse_ulong(arg, min, max, out))
		return true;
	fprintf(stderr, "testclient: %s wants a number in %lu..%lu, not '%s'\n", opt, min, max,
		arg);
	return false;
}

static int parse_options(int argc, char **argv, struct options *o)
{
	struct factory_account *a;
	unsigned long v;
	int ch;

	memset(o, 0, sizeof(*o));
	o->pct = -1;
	o->bs_timeout_s = EXCHANGE_LIFETIME_S;
	o->bs_retries = 2;
	while ((ch = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_ENDPOINT: o->endpoint = optarg; break;
		case OPT_STATE: o->state = optarg; break;
		case OPT_FACTORY: o->factory = true; break;
		case OPT_BS:
		case OPT_SERVER:
			if (o->nacct == MAX_SERVERS + 1 || (ch == OPT_BS && bs_account(o))) {
				fprintf(stderr, "testclient: too many accounts\n");
				return -1;
			}
			a = &o->acct[o->nacct++];
			a->uri = optarg;
			a->bootstrap = ch == OPT_BS;
			a->lifetime = DEFAULT_LIFETIME;
			a->binding = "U";
			break;
		case OPT_BS_ID:
		case OPT_BS_KEY:
		case OPT_HOLD_OFF:
			if (!(a = bs_account(o))) {
				fprintf(stderr, "testclient: --%s must follow --bs\n",
					ch == OPT_BS_ID    ? "bs-psk-identity"
					: ch == OPT_BS_KEY ? "bs-psk-key-file"
							   : "hold-off");
				return -1;
			}
			if (ch == OPT_BS_ID)
				a->psk_identity = optarg;
			else if (ch == OPT_BS_KEY)
				a->psk_key_file = optarg;
			else if (!number("--hold-off", optarg, 0, 86400, &a->hold_off))
				return -1;
			else
				a->has_hold_off = true;
			break;
		case OPT_SSID:
			if (!(a = last_server(o, "--ssid")) ||
			    !number("--ssid", optarg, 1, 65534, &a->ssid))
				return -1;
			break;
		case OPT_LIFETIME:
			if (!(a = last_server(o, "--lifetime")) ||
			    !number("--lifetime", optarg, 1, 0x7fffffff, &a->lifetime))
				return -1;
			break;
		case OPT_BINDING:
			if (!(a = last_server(o, "--binding")))
				return -1;
			a->binding = optarg;
			break;
		case OPT_SRV_ID:
			if (!(a = last_server(o, "--server-psk-identity")))
				return -1;
			a->psk_identity = optarg;
			break;
		case OPT_SRV_KEY:
			if (!(a = last_server(o, "--server-psk-key-file")))
				return -1;
			a->psk_key_file = optarg;
			break;
		case OPT_LISTEN: o->listen = optarg; break;
		case OPT_PUSH: o->accept_push = true; break;
		case OPT_PCT:
			if (!number("--pct", optarg, 0, 65535, &v))
				return -1;
			o->pct = (long)v;
			break;
		case OPT_REJECT:
			if (o->nreject == MAX_REJECT) {
				fprintf(stderr, "testclient: too many --reject-write\n");
				return -1;
			}
			o->reject[o->nreject++] = optarg;
			break;
		case OPT_F406: o->finish_406 = true; break;
		case OPT_FRETRY: o->finish_retry = true; break;
		case OPT_NOACL: o->no_acl_object = true; break;
		case OPT_EXIT_REG: o->exit_after_register = true; break;
		case OPT_TIMEOUT:
			if (!number("--timeout", optarg, 1, 86400, &o->timeout_s))
				return -1;
			break;
		case OPT_BS_TIMEOUT:
			if (!number("--bs-timeout", optarg, 1, 86400, &o->bs_timeout_s))
				return -1;
			break;
		case OPT_BS_RETRIES:
			if (!number("--bs-retries", optarg, 0, 100, &o->bs_retries))
				return -1;
			break;
		case OPT_MAXRT:
			if (!number("--max-retransmit", optarg, 1, 20, &o->max_retransmit))
				return -1;
			o->has_max_retransmit = true;
			break;
		case OPT_ACKTO:
			if (!number("--ack-timeout", optarg, 1, 60, &o->ack_timeout_s))
				return -1;
			o->has_ack_timeout = true;
			break;
		case 'v': o->verbose++; break;
		case 'h':
		case OPT_HELP: usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (optind != argc || !o->endpoint || !*o->endpoint) {
		usage(stderr);
		return -1;
	}
	for (size_t k = 0; k < o->nacct; k++)
		if (!o->acct[k].bootstrap && o->acct[k].ssid == 0) {
			fprintf(stderr, "testclient: --server %s needs --ssid\n", o->acct[k].uri);
			return -1;
		}
	if (o->accept_push && !o->listen) {
		fprintf(stderr, "testclient: --accept-push needs --listen\n");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct client c;
	struct sigaction sa;
	int rc;

	cs_json_secure_init(); /* JSON that held secrets is wiped when freed */
	memset(&c, 0, sizeof(c));
	if (parse_options(argc, argv, &c.o))
		return 1;
	peer_log_init("testclient", c.o.verbose);
	if (c.o.pct >= 0 && c.o.pct != PEER_CF_TLV && c.o.pct != PEER_CF_SENML_JSON)
		peer_log("pct=%ld: this client decodes only TLV (11542) and SenML-JSON (110)",
			 c.o.pct);
	if (c.o.listen) {
		struct cs_errinfo ei;

		if (peer_parse_hostport(c.o.listen, &c.listen_addr, &ei)) {
			peer_log("--listen: %s", ei.msg);
			return 1;
		}
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	coap_startup();
	peer_coap_logging();
	if (init_store(&c)) {
		cs_model_free(&c.store);
		coap_cleanup();
		return 1;
	}
	rc = run(&c);
	release_servers(&c);
	conn_release(&c.bs);
	if (c.ctx)
		coap_free_context(c.ctx);
	coap_cleanup();
	cs_model_free(&c.store);
	cs_model_free(&c.snapshot);
	return rc;
}
