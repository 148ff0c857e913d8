/* SPDX-License-Identifier: MIT */
#ifndef CARDSTRAP_BSSERVER_H
#define CARDSTRAP_BSSERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "cardstrap/buf.h"
#include "cardstrap/error.h"
#include "cardstrap/model.h"

/*
 * The local LwM2M Bootstrap-Server (Core TS §5.2 Bootstrap interface; README
 * "Injecting the card into the local LwM2M client"): it answers a client's
 * Bootstrap-Request and then runs Bootstrap-Discover, the Deletes of what the card replaces, one
 * Bootstrap-Write per card instance and Bootstrap-Finish, one confirmable
 * request at a time, checking every response.
 *
 * Shaped for an external event loop: poll cs_bsserver_fd() for input with
 * the timeout of cs_bsserver_next_timeout(), then call
 * cs_bsserver_process(srv, 0). Everything happens inside process(); the
 * event callback reports sessions. Single-threaded.
 *
 * Sessions: one per client address and port (and per push). Each sends one
 * confirmable request at a time and checks its answer; libcoap retransmits
 * (RFC 7252: ACK_TIMEOUT 2 s, MAX_RETRANSMIT 4, NSTART 1) and reports
 * exhausted retransmissions, which end the session (CS_ERR_TIMEOUT), as
 * does the session time limit. A Bootstrap-Request repeated with the same
 * message id is a retransmission: answered 2.04 again, nothing restarts. A
 * new Bootstrap-Request from the same peer during a session ends that
 * session (reported CS_ERR_CANCELLED) and starts a fresh one: the client
 * has evidently started over. Its first request leaves once the old
 * outstanding request is answered or given up (NSTART 1). Answers that no
 * session waits for (old tokens, peers without a session) are dropped.
 */

#define CS_BSSERVER_PORT                5783
#define CS_BSSERVER_DTLS_PORT           5784
#define CS_BSSERVER_DEFAULT_LISTEN      "127.0.0.1:5783"
#define CS_BSSERVER_DEFAULT_DTLS_LISTEN "127.0.0.1:5784"
#define CS_BSSERVER_DEFAULT_TIMEOUT_MS  60000u
#define CS_BSSERVER_MAX_TIMEOUT_MS      3600000u /* an hour bounds every session */
#define CS_BSSERVER_DEFAULT_BLOCK       1024u
#define CS_BSSERVER_DEFAULT_SESSIONS    16u

/* CoAP Content-Format numbers (IANA CoAP Content-Formats registry). */
#define CS_CF_LINK_FORMAT 40
#define CS_CF_SENML_JSON  110
#define CS_CF_TLV         11542

/* What happens to the card's own Bootstrap-Server account; never a second one. */
enum cs_bs_account_mode {
	CS_BS_ACCOUNT_HANDOVER = 0, /* written over the client's BS instance found by Discover */
	CS_BS_ACCOUNT_SKIP = 1,     /* not written: the client keeps cardstrap as its BS */
};

/* ---- Bootstrap-Discover answers (Core TS §5.2.7.3) ---- */

struct cs_bs_link {
	uint16_t oid;
	int32_t iid;  /* -1 for an object link </O> */
	int32_t ssid; /* ssid= attribute, -1 when absent */
	char ver[8];  /* ver= of an object link, "" when absent */
};

struct cs_bs_discover {
	char lwm2m[8]; /* enabler version (lwm2m=), "" when absent */
	struct cs_bs_link *links;
	size_t nlinks;
};

/*
 * Parses a CoRE link-format Bootstrap-Discover payload, both the 1.1+ form
 * `</>;lwm2m=1.1,</0/0>;ssid=101;uri="coaps://x",</1/0>;ssid=101,</3/0>`
 * and the 1.0 form with a bare `lwm2m="1.0"` element. Links other than
 * </>, </O> and </O/I> (resource links, other URIs) are skipped; unknown
 * attributes are ignored; quoted strings may hold ',' ';' and '\' escapes.
 * Errors (CS_ERR_MALFORMED, offset = byte): an unterminated '<' or quoted
 * string, an id that is not a decimal 0..65534, a non-numeric ssid. Out
 * (any state) is overwritten; free with cs_bs_discover_free.
 */
int cs_bs_discover_parse(const uint8_t *buf, size_t len, struct cs_bs_discover *out,
			 struct cs_errinfo *ei);
void cs_bs_discover_free(struct cs_bs_discover *d);

/* The Security instance without ssid = the client's Bootstrap-Server account; -1 when none. */
int32_t cs_bs_discover_bootstrap_iid(const struct cs_bs_discover *d);

/* ---- the plan of one bootstrap session ---- */

enum cs_bs_op_kind {
	CS_BS_OP_DELETE, /* DELETE /O/I, /O, or / (oid -1) */
	CS_BS_OP_WRITE,  /* PUT /O/I with the card instance's resources */
	CS_BS_OP_FINISH, /* POST /bs */
};

struct cs_bs_op {
	enum cs_bs_op_kind kind;
	int32_t oid, iid;               /* -1 where the path has no such level */
	const struct cs_instance *inst; /* WRITE: the card's instance (points into the model) */
	bool bootstrap_account;         /* WRITE of the card's Bootstrap-Server account */
};

/* A card instance written under another instance id. */
struct cs_bs_remap {
	uint16_t oid, from, to;
};

struct cs_bs_plan {
	struct cs_bs_op *ops;
	size_t nops;
	struct cs_bs_remap *remaps;
	size_t nremaps;
	int32_t client_bs_iid;   /* from Discover, -1 when the client showed none */
	bool bs_account_skipped; /* the card has a BS account that is not written */
};

struct cs_bs_plan_opts {
	enum cs_bs_account_mode bs_account;
	bool delete_all; /* one DELETE / instead of the targeted Deletes */
};

/*
 * The operations after Discover, in order:
 *  1. Deletes. With delete_all: `DELETE /` (the client keeps its BS account
 *     and /3/0, Core TS §5.2.7.5). Otherwise, when the card holds a server account (a
 *     non-BS Security or a Server instance): `DELETE /0/x` for every
 *     Security instance Discover listed with an ssid, then `DELETE /1`. The
 *     Security instances without ssid (the client's BS account) are never
 *     deleted. A card with only a BS account deletes nothing.
 *  2. One write per card instance, objects and instances in card order
 *     (a later record writing the same instance again writes it again).
 *     Objects 0, 1 and 2 are remapped: an instance id that a kept client
 *     instance (Discover minus the Deletes) or the handover target holds
 *     goes to the lowest free id; nothing refers to their instance ids
 *     (accounts pair by SSID; ACLs name objects by id). Other objects keep
 *     their ids (Objlnk resources such as /0/x/17 point at them) and
 *     overwrite, as Bootstrap-Write does (Core TS §5.2.7.4).
 *  3. handover: the card's BS account is written last, over the client's
 *     BS instance (or, when Discover showed none, into a free id), so that
 *     every earlier command still comes from the account the client
 *     trusts. skip: it is not written. Never a second BS account.
 *  4. Finish.
 * Errors: CS_ERR_INVALID when the card holds more than one BS account,
 * CS_ERR_LIMIT when no instance id is free, CS_ERR_NOMEM.
 */
int cs_bs_plan_make(const struct cs_model *m, const struct cs_bs_discover *d,
		    const struct cs_bs_plan_opts *opts, struct cs_bs_plan *out,
		    struct cs_errinfo *ei);
void cs_bs_plan_free(struct cs_bs_plan *p);

/* "DELETE", "PUT", "POST". */
const char *cs_bs_op_method(const struct cs_bs_op *op);

/* The op's path: "/", "/1", "/0/2", "/bs". */
void cs_bs_op_path(const struct cs_bs_op *op, char *buf, size_t n);

/*
 * Appends the payload of a WRITE op: the Resource TLVs of the instance
 * (CS_CF_TLV) or its SenML-JSON records named with the target id
 * (CS_CF_SENML_JSON), secrets included. out holds secrets: cs_buf_free it.
 * CS_ERR_UNSUPPORTED for another format.
 */
int cs_bs_op_payload(const struct cs_bs_op *op, int content_format, struct cs_buf *out);

/* ---- the server ---- */

enum cs_bsserver_event {
	CS_BSSERVER_SESSION_STARTED, /* Bootstrap-Request answered 2.04, or a push began */
	CS_BSSERVER_SESSION_ENDED,   /* result and every field final */
	CS_BSSERVER_REQUEST_REFUSED, /* a Bootstrap-Request got an error answer; no session */
};

#define CS_BS_PATH_MAX     24
#define CS_BS_ENDPOINT_MAX 128

struct cs_bsserver_op {
	const char *method; /* "GET", "DELETE", "PUT", "POST" */
	char path[CS_BS_PATH_MAX];
	int content_format; /* of the request payload (PUT) or Accept (GET); -1 none */
	int code;           /* response as class*100+detail (204, 406); 0 = no response */
	size_t req_bytes;   /* request payload */
	size_t rsp_bytes;   /* response payload */
	bool block1;        /* the request went block-wise */
	uint32_t ms;        /* request sent → response received */
};

struct cs_bsserver_write {
	char path[CS_BS_PATH_MAX];      /* written to */
	char card_path[CS_BS_PATH_MAX]; /* the card's /O/I (differs when remapped) */
	bool bootstrap_account;         /* the card's BS account (handover) */
	int32_t ssid;                   /* /0/x/10 or /1/x/0, -1 when none */
	char uri[256];                  /* /0/x/0, "" for other objects */
};

struct cs_bsserver_delete {
	char path[CS_BS_PATH_MAX];
};

/*
 * One session's report. Never holds a secret: no payloads, only paths,
 * codes, sizes, URIs and the client's diagnostic payloads. Valid only for
 * the duration of the callback.
 */
struct cs_bsserver_report {
	unsigned id;                       /* session number, from 1 */
	char endpoint[CS_BS_ENDPOINT_MAX]; /* ep= ("" when unknown) */
	char peer[64];                     /* "127.0.0.1:40123" / "[::1]:40123" */
	bool dtls;
	bool push;             /* server-initiated (cs_bsserver_push) */
	int requested_pct;     /* pct= of the Bootstrap-Request, -1 when absent */
	int content_format;    /* used for the writes: CS_CF_TLV or CS_CF_SENML_JSON */
	char lwm2m_version[8]; /* the client's, from Discover; "" when not said */
	int32_t client_bs_iid; /* from Discover, -1 when none (or not reached) */
	enum cs_bs_account_mode bs_account;
	bool bs_account_written; /* the card's BS account was written (handover) */
	bool bs_account_skipped; /* the card has one and it was not written (skip) */
	const struct cs_bsserver_op *ops;
	size_t nops;
	const struct cs_bsserver_delete *deleted; /* answered 2.02 */
	size_t ndeleted;
	const struct cs_bsserver_write *written; /* answered 2.04 */
	size_t nwritten;
	const struct cs_bs_remap *remaps;
	size_t nremaps;
	int finish_code; /* answer to Bootstrap-Finish (204, 406), 0 when not sent */
	/*
	 * 0, or CS_ERR_REJECTED (4.xx/5.xx, a 2.xx other than the operation's
	 * success code, or Reset), CS_ERR_INCONSISTENT (4.06
	 * on Finish), CS_ERR_TIMEOUT, CS_ERR_NETWORK, CS_ERR_MALFORMED (Discover
	 * answer), CS_ERR_CANCELLED, CS_ERR_INVALID/CS_ERR_LIMIT (plan). Refused
	 * requests: CS_ERR_MALFORMED (4.00), CS_ERR_PERM (4.03),
	 * CS_ERR_UNSUPPORTED (4.15), CS_ERR_NOT_FOUND (5.03: no data),
	 * CS_ERR_LIMIT (5.03: too many sessions).
	 */
	int result;
	char error[512];      /* what failed, "" on success */
	int64_t started_ms;   /* wall clock, ms since the epoch */
	uint32_t duration_ms; /* Bootstrap-Request (or push) → end */
};

typedef void (*cs_bsserver_event_fn)(void *arg, enum cs_bsserver_event ev,
				     const struct cs_bsserver_report *r);

struct cs_bsserver_config {
	const char *listen;      /* "ADDR:PORT", "[V6]:PORT"; NULL = CS_BSSERVER_DEFAULT_LISTEN */
	bool listen_any;         /* allow non-loopback listen addresses */
	const char *dtls_listen; /* DTLS-PSK listener, NULL = none; "" = default */
	const uint8_t *psk_identity; /* the identity clients must use (copied) */
	size_t psk_identity_len;
	const uint8_t *psk_key; /* copied; zeroized on free */
	size_t psk_key_len;
	const char *endpoint; /* serve only this ep; others get 4.03. NULL = any */
	enum cs_bs_account_mode bs_account;
	bool delete_all;
	unsigned timeout_ms;     /* per session, 0 = default; at most CS_BSSERVER_MAX_TIMEOUT_MS */
	unsigned block_size;     /* Block1 size 16..1024 (power of two), 0 = 1024 */
	/*
	 * Concurrent sessions, 0 = CS_BSSERVER_DEFAULT_SESSIONS. At the limit a
	 * new Bootstrap-Request takes the place of the oldest session whose
	 * client has not answered yet (never a push); that session ends as
	 * CS_ERR_CANCELLED. Only when every session has an answering client is
	 * the request refused with 5.03 (CS_ERR_LIMIT).
	 */
	unsigned max_sessions;
	unsigned ack_timeout_ms; /* CoAP ACK_TIMEOUT, 0 = 2000 (RFC 7252) */
	unsigned max_retransmit; /* CoAP MAX_RETRANSMIT, 0 = 4 (RFC 7252) */
	cs_bsserver_event_fn event; /* may be NULL */
	void *event_arg;
};

struct cs_bsserver;

/*
 * Creates the server and binds its listeners. A listen address that is not
 * loopback (127.0.0.0/8, ::1) is refused (CS_ERR_PERM) unless listen_any.
 * Port 0 binds a free port, which cs_bsserver_uri then reports.
 * Errors: CS_ERR_ARG (bad address, PSK without identity or key, block size),
 * CS_ERR_PERM, CS_ERR_NETWORK (address in use, cannot bind), CS_ERR_NOMEM.
 * The server serves nothing until cs_bsserver_set_data. libcoap's own log
 * (process-wide) goes to stderr, warnings and errors only: its default
 * writes to stdout, and debug levels would dump payloads (keys).
 */
int cs_bsserver_new(const struct cs_bsserver_config *cfg, struct cs_bsserver **out,
		    struct cs_errinfo *ei);

/* Ends every session (reported as CS_ERR_CANCELLED), closes the sockets, zeroizes. NULL ok. */
void cs_bsserver_free(struct cs_bsserver *srv);

/*
 * What to serve: a deep copy of m (the caller keeps m). NULL serves
 * nothing: Bootstrap-Requests then get 5.03 Service Unavailable with a
 * diagnostic payload. Sessions already running keep the data they started
 * with. The caller validates m first (cs_validate): the server does not.
 */
int cs_bsserver_set_data(struct cs_bsserver *srv, const struct cs_model *m);

/*
 * The descriptor to poll for input (POLLIN): libcoap's epoll descriptor,
 * which also wakes for its retransmission timer. -1 when libcoap was built
 * without epoll; then call cs_bsserver_process with a timeout instead.
 */
int cs_bsserver_fd(const struct cs_bsserver *srv);

/* Milliseconds until cs_bsserver_process must run even without input; -1 = not needed. */
int cs_bsserver_next_timeout(struct cs_bsserver *srv);

/*
 * Reads what arrived (waiting up to timeout_ms for it: 0 = not at all,
 * -1 = until the next timeout), sends what is due (retransmissions, the
 * next request of each session) and ends sessions that ran out of time.
 * Calls the event callback. Returns 0, or CS_ERR_NETWORK when the I/O
 * layer failed.
 */
int cs_bsserver_process(struct cs_bsserver *srv, int timeout_ms);

/*
 * Server-initiated session: sends the bootstrap sequence (Discover, ...,
 * Finish) to a client listening at client_uri ("coap://HOST:PORT";
 * "coaps://" with the DTLS-PSK settings, as DTLS client) from the
 * listener's own address and port, the one the client holds as its
 * Bootstrap-Server account. endpoint names the client in the report (may
 * be NULL). The session binds the listener's address with SO_REUSEADDR;
 * Linux delivers the client's datagrams to this connected socket rather
 * than to the listener. A client that is not on loopback is refused unless
 * listen_any. Errors: CS_ERR_ARG (URI), CS_ERR_NOT_FOUND (no data set),
 * CS_ERR_PERM, CS_ERR_NETWORK (cannot resolve or bind), CS_ERR_LIMIT.
 */
int cs_bsserver_push(struct cs_bsserver *srv, const char *client_uri, const char *endpoint,
		     struct cs_errinfo *ei);

/* Sessions running now. */
size_t cs_bsserver_active(const struct cs_bsserver *srv);

/* "coap://127.0.0.1:5783" (dtls: "coaps://...", "" when there is no DTLS listener). */
void cs_bsserver_uri(const struct cs_bsserver *srv, bool dtls, char *buf, size_t n);

/*
 * One line for a log: "ep=dev1 from 127.0.0.1:40123: ok: deleted /0/1 /1,
 * wrote /0/0 /1/0, Finish 2.04 (TLV, 12 ms)" or "... failed: <error>".
 */
void cs_bsserver_report_line(const struct cs_bsserver_report *r, char *buf, size_t n);

/*
 * The report as JSON: {"event", "session", "endpoint", "peer", "dtls",
 * "push", "requested_pct", "content_format", "lwm2m", "client_bs_instance",
 * "bs_account", "bs_account_written", "bs_account_skipped", "operations":
 * [{"method", "path", "content_format", "code", "request_bytes",
 * "response_bytes", "block1", "ms"}], "deleted": [path], "written":
 * [{"path", "card_path", "bootstrap_server", "ssid", "uri"}], "remapped":
 * [{"object", "from", "to"}], "finish", "result", "ok", "error",
 * "started", "duration_ms"}. Codes as "2.04". New reference, NULL when
 * out of memory.
 */
json_t *cs_bsserver_report_json(enum cs_bsserver_event ev, const struct cs_bsserver_report *r);

/* "session-started", "session-ended", "request-refused". */
const char *cs_bsserver_event_name(enum cs_bsserver_event ev);

/* "2.04 Changed", "4.06 Not Acceptable", ... for class*100+detail codes. */
const char *cs_bsserver_code_name(int code);

#endif
