/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "peer.h"

int peer_resolve(const char *host, size_t hostlen, uint16_t port, coap_address_t *out,
		 struct cs_errinfo *ei)
{
	struct addrinfo hints, *res = NULL;
	char name[256];
	int rc;

	if (hostlen == 0 || hostlen >= sizeof(name))
		return cs_error(ei, CS_ERR_ARG, -1, "bad host name length %zu", hostlen);
	memcpy(name, host, hostlen);
	name[hostlen] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_ADDRCONFIG;
	rc = getaddrinfo(name, NULL, &hints, &res);
	if (rc != 0 && rc != EAI_NONAME) {
		hints.ai_flags = 0;
		rc = getaddrinfo(name, NULL, &hints, &res);
	}
	if (rc != 0 || !res)
		return cs_error(ei, CS_ERR_NETWORK, -1, "cannot resolve '%s': %s", name,
				gai_strerror(rc));
	coap_address_init(out);
	if (res->ai_addrlen > sizeof(out->addr)) {
		freeaddrinfo(res);
		return cs_error(ei, CS_ERR_NETWORK, -1, "address of '%s' too long", name);
	}
	memcpy(&out->addr, res->ai_addr, res->ai_addrlen);
	out->size = res->ai_addrlen;
	coap_address_set_port(out, port);
	freeaddrinfo(res);
	return 0;
}

int peer_parse_hostport(const char *s, coap_address_t *out, struct cs_errinfo *ei)
{
	const char *host = s, *colon;
	size_t hostlen;
	unsigned long port;

	if (*s == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':')
			return cs_error(ei, CS_ERR_ARG, -1, "'%s' is not [ADDR]:PORT", s);
		host = s + 1;
		hostlen = (size_t)(close - host);
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return cs_error(ei, CS_ERR_ARG, -1, "'%s' is not ADDR:PORT", s);
		hostlen = (size_t)(colon - s);
	}
	if (!peer_parse_ulong(colon + 1, 0, 65535, &port))
		return cs_error(ei, CS_ERR_ARG, -1, "bad port in '%s'", s);
	return peer_resolve(host, hostlen, (uint16_t)port, out, ei);
}

int peer_uri_resolve(const char *uri, coap_address_t *addr, coap_proto_t *proto,
		     struct cs_errinfo *ei)
{
	coap_uri_t u;

	if (!uri || coap_split_uri((const uint8_t *)uri, strlen(uri), &u) < 0)
		return cs_error(ei, CS_ERR_MALFORMED, -1, "'%s' is not a CoAP URI",
				uri ? uri : "(none)");
	switch (u.scheme) {
	case COAP_URI_SCHEME_COAP: *proto = COAP_PROTO_UDP; break;
	case COAP_URI_SCHEME_COAPS: *proto = COAP_PROTO_DTLS; break;
	default:
		return cs_error(ei, CS_ERR_UNSUPPORTED, -1,
				"'%s': only coap:// and coaps:// are supported", uri);
	}
	if (u.port == 0)
		u.port = *proto == COAP_PROTO_DTLS ? COAPS_DEFAULT_PORT : COAP_DEFAULT_PORT;
	return peer_resolve((const char *)u.host.s, u.host.length, u.port, addr, ei);
}

void peer_addr_str(const coap_address_t *a, char *buf, size_t n)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	switch (a->addr.sa.sa_family) {
	case AF_INET:
		inet_ntop(AF_INET, &a->addr.sin.sin_addr, ip, sizeof(ip));
		snprintf(buf, n, "%s:%u", ip, ntohs(a->addr.sin.sin_port));
		break;
	case AF_INET6:
		inet_ntop(AF_INET6, &a->addr.sin6.sin6_addr, ip, sizeof(ip));
		snprintf(buf, n, "[%s]:%u", ip, ntohs(a->addr.sin6.sin6_port));
		break;
	default: snprintf(buf, n, "(unknown address)");
	}
}

bool peer_addr_equal(const coap_address_t *a, const coap_address_t *b)
{
	if (a->addr.sa.sa_family != b->addr.sa.sa_family)
		return false;
	switch (a->addr.sa.sa_family) {
	case AF_INET:
		return a->addr.sin.sin_port == b->addr.sin.sin_port &&
		       a->addr.sin.sin_addr.s_addr == b->addr.sin.sin_addr.s_addr;
	case AF_INET6:
		return a->addr.sin6.sin6_port == b->addr.sin6.sin6_port &&
		       memcmp(&a->addr.sin6.sin6_addr, &b->addr.sin6.sin6_addr,
			      sizeof(a->addr.sin6.sin6_addr)) == 0;
	default: return false;
	}
}

int peer_request_path(const coap_pdu_t *pdu, struct peer_path *p)
{
	coap_opt_iterator_t it;
	coap_opt_t *opt;
	size_t pos = 0, nseg = 0;
	int err = 0;

	memset(p, 0, sizeof(*p));
	coap_option_iterator_init(pdu, &it, COAP_OPT_ALL);
	while ((opt = coap_option_next(&it)) != NULL) {
		const uint8_t *v;
		uint32_t len, k;
		unsigned long id = 0;

		if (it.number != COAP_OPTION_URI_PATH)
			continue;
		v = coap_opt_value(opt);
		len = coap_opt_length(opt);
		nseg++;
		if (pos + len + 2 < sizeof(p->text)) {
			p->text[pos++] = '/';
			memcpy(p->text + pos, v, len);
			pos += len;
			p->text[pos] = '\0';
		}
		/* a single empty segment is how some stacks send "/" */
		if (len == 0 && nseg == 1)
			continue;
		if (p->depth >= 3) {
			err = CS_ERR_LIMIT;
			continue;
		}
		if (len == 0 || len > 5)
			err = CS_ERR_MALFORMED;
		for (k = 0; k < len && !err; k++) {
			if (v[k] < '0' || v[k] > '9')
				err = CS_ERR_MALFORMED;
			else
				id = id * 10 + (unsigned long)(v[k] - '0');
		}
		/* 65535 is MAX_ID, reserved (Core TS identifiers table) */
		if (!err && id > 65534)
			err = CS_ERR_MALFORMED;
		p->id[p->depth++] = (uint16_t)id;
	}
	if (nseg == 1 && p->depth == 0 && !err)
		snprintf(p->text, sizeof(p->text), "/");
	if (pos == 0)
		snprintf(p->text, sizeof(p->text), "/");
	return err;
}

void peer_uri_path_text(const coap_pdu_t *pdu, char *buf, size_t n)
{
	coap_string_t *s = coap_get_uri_path(pdu);

	snprintf(buf, n, "%.*s", s ? (int)s->length : 0, s ? (const char *)s->s : "");
	coap_delete_string(s);
}

long peer_option_uint(const coap_pdu_t *pdu, coap_option_num_t num)
{
	coap_opt_iterator_t it;
	coap_opt_t *opt = coap_check_option(pdu, num, &it);

	if (!opt)
		return -1;
	return (long)coap_decode_var_bytes(coap_opt_value(opt), coap_opt_length(opt));
}

bool peer_query_get(const coap_pdu_t *pdu, const char *key, char *buf, size_t n)
{
	coap_opt_iterator_t it;
	coap_opt_t *opt;
	size_t klen = strlen(key);

	coap_option_iterator_init(pdu, &it, COAP_OPT_ALL);
	while ((opt = coap_option_next(&it)) != NULL) {
		const uint8_t *v = coap_opt_value(opt);
		uint32_t len = coap_opt_length(opt);

		if (it.number != COAP_OPTION_URI_QUERY)
			continue;
		if (len <= klen || memcmp(v, key, klen) != 0 || v[klen] != '=')
			continue;
		if (len - klen - 1 >= n)
			return false;
		memcpy(buf, v + klen + 1, len - klen - 1);
		buf[len - klen - 1] = '\0';
		return true;
	}
	return false;
}

bool peer_block1_partial(const coap_pdu_t *pdu, size_t body_len)
{
	coap_block_t b;

	if (!coap_get_block(pdu, COAP_OPTION_BLOCK1, &b))
		return false;
	/* libcoap 4.3.1 reassembles only when the sender gives Size1 */
	if (b.m)
		return true;
	return b.num > 0 && body_len <= ((size_t)1 << (b.szx + 4));
}

void peer_respond(coap_pdu_t *response, int cls, int detail, const char *diag)
{
	coap_pdu_set_code(response, COAP_RESPONSE_CODE(cls * 100 + detail));
	if (diag && *diag)
		coap_add_data(response, strlen(diag), (const uint8_t *)diag);
}

void peer_code_str(coap_pdu_code_t code, char *buf, size_t n)
{
	snprintf(buf, n, "%u.%02u", (unsigned)code >> 5, (unsigned)code & 0x1f);
}

void peer_location_text(const coap_pdu_t *pdu, char *buf, size_t n)
{
	coap_opt_iterator_t it;
	coap_opt_t *opt;
	size_t pos = 0;

	buf[0] = '\0';
	coap_option_iterator_init(pdu, &it, COAP_OPT_ALL);
	while ((opt = coap_option_next(&it)) != NULL) {
		uint32_t len = coap_opt_length(opt);

		if (it.number != COAP_OPTION_LOCATION_PATH)
			continue;
		if (pos + len + 2 > n)
			break;
		buf[pos++] = '/';
		memcpy(buf + pos, coap_opt_value(opt), len);
		pos += len;
		buf[pos] = '\0';
	}
}
