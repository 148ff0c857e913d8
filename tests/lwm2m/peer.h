/* SPDX-License-Identifier: MIT */
#ifndef CARDSTRAP_TESTS_PEER_H
#define CARDSTRAP_TESTS_PEER_H

/*
 * Shared pieces of the LwM2M test peers (testclient, testserver): logging,
 * option parsing helpers, files, addresses and CoAP message helpers
 * (peer_util.c, peer_net.c), and edits of the client's object store
 * (peer_store.c).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <coap3/coap.h>

#include "cardstrap/buf.h"
#include "cardstrap/compiler.h"
#include "cardstrap/error.h"
#include "cardstrap/model.h"

/* CoAP Content-Format numbers (IANA CoAP Content-Formats registry). */
#define PEER_CF_LINK_FORMAT 40
#define PEER_CF_SENML_JSON  110
#define PEER_CF_TLV         11542

/* ---- peer_util.c ---- */

/* Every line goes to stderr as "<prog>: <message>"; debug lines only with -v. */
void peer_log_init(const char *prog, int verbose);
int peer_verbose(void);
void peer_log(const char *fmt, ...) CS_PRINTF(1, 2);
void peer_debug(const char *fmt, ...) CS_PRINTF(1, 2);

/* Routes libcoap's own messages through peer_log (never below LOG_INFO: debug dumps payloads). */
void peer_coap_logging(void);

/* Decimal number in [min, max]; false on anything else. */
bool peer_parse_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *out);

/* Reads a whole file (at most max bytes) into out. */
int peer_read_file(const char *path, size_t max, struct cs_buf *out, struct cs_errinfo *ei);

/*
 * A PSK key file: hex digits (white space and '#' comments allowed, as
 * cs_hex_decode reads them) or, when the file is not hex, its raw bytes.
 */
int peer_read_key_file(const char *path, struct cs_buf *key, struct cs_errinfo *ei);

/* Writes path atomically (temporary file in the same directory, fsync, rename) with mode. */
int peer_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
			   struct cs_errinfo *ei);

/* Monotonic clock in milliseconds. */
uint64_t peer_now_ms(void);

/* ---- peer_net.c ---- */

/* "ADDR:PORT" or "[V6ADDR]:PORT"; the host may be a name. */
int peer_parse_hostport(const char *s, coap_address_t *out, struct cs_errinfo *ei);

/* Resolves host (not NUL-terminated) with port into out (first address, UDP). */
int peer_resolve(const char *host, size_t hostlen, uint16_t port, coap_address_t *out,
		 struct cs_errinfo *ei);

/*
 * A LwM2M Server URI: coap:// or coaps:// (others CS_ERR_UNSUPPORTED), host
 * resolved, default port 5683/5684 when absent.
 */
int peer_uri_resolve(const char *uri, coap_address_t *addr, coap_proto_t *proto,
		     struct cs_errinfo *ei);

/* "127.0.0.1:5683" / "[::1]:5683". */
void peer_addr_str(const coap_address_t *a, char *buf, size_t n);

/* Same address family, address and port. */
bool peer_addr_equal(const coap_address_t *a, const coap_address_t *b);

/*
 * The Uri-Path of a request as numeric LwM2M ids. depth = number of
 * segments (0 for "/"; one empty segment also counts as "/"). Returns 0,
 * CS_ERR_MALFORMED (not a number or > 65534) or CS_ERR_LIMIT (> 3 levels).
 * The path text ("/0/1") goes into text.
 */
struct peer_path {
	int depth;
	uint16_t id[3];
	char text[32];
};
int peer_request_path(const coap_pdu_t *pdu, struct peer_path *p);

/* The Uri-Path as text, e.g. "bs", "rd/3" (empty for "/"). */
void peer_uri_path_text(const coap_pdu_t *pdu, char *buf, size_t n);

/* Value of an integer option (Content-Format, Accept), -1 when absent. */
long peer_option_uint(const coap_pdu_t *pdu, coap_option_num_t num);

/* Value of Uri-Query "key=value" into buf; false when absent or too long. */
bool peer_query_get(const coap_pdu_t *pdu, const char *key, char *buf, size_t n);

/* True when the request carries a Block1 option libcoap did not reassemble. */
bool peer_block1_partial(const coap_pdu_t *pdu, size_t body_len);

/* Sets the response code and, when diag is not NULL, a diagnostic payload. */
void peer_respond(coap_pdu_t *response, int cls, int detail, const char *diag);

/* "2.04" */
void peer_code_str(coap_pdu_code_t code, char *buf, size_t n);

/* Adds Location-Path options as text "/rd/1" into buf. */
void peer_location_text(const coap_pdu_t *pdu, char *buf, size_t n);

/* ---- peer_store.c: the client's objects (one object record per id) ---- */

/* Merges records with the same object id (later instances replace earlier ones), sorts ids. */
int store_normalize(struct cs_model *m);

/* Replaces or creates /oid/src->id as a copy of src. */
int store_put_instance(struct cs_model *m, uint16_t oid, uint8_t ver_major, uint8_t ver_minor,
		       const struct cs_instance *src);

/* Replaces or creates /oid/iid/src->id (creates the instance when missing). */
int store_put_resource(struct cs_model *m, uint16_t oid, uint8_t ver_major, uint8_t ver_minor,
		       uint16_t iid, const struct cs_resource *src);

/* Removes /oid/iid; 0 also when it did not exist. */
int store_delete_instance(struct cs_model *m, uint16_t oid, uint16_t iid);

/* Number of instances of oid. */
size_t store_count(const struct cs_model *m, uint16_t oid);

/* The Security instance of the Bootstrap-Server account (first one), NULL when none. */
const struct cs_instance *store_bootstrap_account(const struct cs_model *m);

/* The Security instance with /0/x/1 = false and /0/x/10 = ssid, NULL when none. */
const struct cs_instance *store_security_by_ssid(const struct cs_model *m, int64_t ssid);

/* Integer value of /.../rid in i (TLV encoding); false when absent or malformed. */
bool store_int(const struct cs_instance *i, uint16_t rid, int64_t *out);

/* String value of rid (NUL-terminated by the model), NULL when absent or holding a NUL. */
const char *store_str(const struct cs_instance *i, uint16_t rid);

#endif
