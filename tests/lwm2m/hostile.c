/* SPDX-License-Identifier: MIT */
/*
 * hostile: a misbehaving CoAP peer for cardstrap's Bootstrap-Server
 * (tests/e2e/hostile.sh). It speaks through raw UDP sockets and builds
 * every datagram by hand, so that it can send what no CoAP library would:
 *
 *   hostile --server ADDR:PORT [--ep NAME] [--linger S] [-v] malformed
 *   hostile --server ADDR:PORT [--ep NAME] flood N SOCKETS [RATE]
 *   hostile --server ADDR:PORT [--ep NAME] [--linger S] session MODE
 *   hostile --server ADDR:PORT [--ep NAME] forge
 *
 * malformed  sends each datagram of the table below and checks after each
 *            one that the server still answers a CoAP ping (exit 1 if not).
 * flood      N Bootstrap-Requests from SOCKETS source ports (0: a new port
 *            for each), RATE per second (0 = as fast as possible); never
 *            answers the server.
 * session    a client that runs the bootstrap session itself and misbehaves
 *            as MODE says (see modes[]); exit 0 when the session went as the
 *            mode expects from the client's side.
 * forge      a slow but honest client, plus two other peers (127.0.0.2 and
 *            another port of 127.0.0.1) that see every request's message id
 *            and token (as a sniffer would) and race forged answers,
 *            Resets and a Bootstrap-Request of their own before each honest
 *            answer.
 *
 * Honest answers: Discover says the client's Bootstrap-Server account is
 * /0/0 and it holds nothing else (HONEST_DISCOVER). Forged answers say
 * lwm2m=1.0, a BS account /0/7 and a server account /0/3 with SSID 66
 * (FORGED_DISCOVER), and refuse everything else with 4.00 "forged". A
 * server that took any forged answer ends its session with another
 * Discover result, a Delete of /0/3 or a 4.00: hostile.sh checks the
 * session report.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cardstrap/jsonalloc.h"
#include "peer.h"

#define MAX_DGRAM 65507 /* largest UDP payload over IPv4 */
#define MAX_OPTS  600
#define HUGE_BODY ((size_t)60 * 1024)

/* CoAP (RFC 7252 §3, §12) */
enum { T_CON = 0, T_NON = 1, T_ACK = 2, T_RST = 3 };
#define CODE(c, d) ((uint8_t)(((c) << 5) | (d)))
enum {
	O_OBSERVE = 6,
	O_URI_PATH = 11,
	O_CONTENT_FORMAT = 12,
	O_URI_QUERY = 15,
	O_ACCEPT = 17,
	O_BLOCK2 = 23,
	O_BLOCK1 = 27,
	O_PROXY_URI = 35,
	O_SIZE1 = 60,
};

#define HONEST_DISCOVER "</>;lwm2m=1.1,</0/0>,</1>;ver=1.1,</3/0>"
#define FORGED_DISCOVER "</>;lwm2m=1.0,</0/7>,</0/3>;ssid=66,</1/3>;ssid=66,</3/0>"
/* terminal escapes (clear screen, set title, bell) where the server quotes the client */
#define ESCAPE_DISCOVER                                                                            \
	"</>;lwm2m=\"\x1b[2J\x07\",</0/0>,</0/1>;ssid=\"\x1b]0;owned\x07\x1b[31m\",</3/0>"

static int verbose;
static struct sockaddr_in server;
static const char *endpoint = "hostile";
static unsigned linger_ms = 3000;
static unsigned flood_linger_ms;
static uint16_t next_mid = 0x4000;

static void say(const char *fmt, ...) CS_PRINTF(1, 2);
static void say(const char *fmt, ...)
{
	va_list ap;

	fputs("hostile: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* ---- building datagrams ---- */

struct wbuf {
	uint8_t d[MAX_DGRAM];
	size_t n;
	unsigned last; /* number of the previous option */
};

static void w_bytes(struct wbuf *w, const void *p, size_t n)
{
	if (w->n + n > sizeof(w->d))
		n = sizeof(w->d) - w->n;
	if (n)
		memcpy(w->d + w->n, p, n);
	w->n += n;
}

static void w_byte(struct wbuf *w, uint8_t b)
{
	w_bytes(w, &b, 1);
}

static void w_hdr(struct wbuf *w, unsigned type, uint8_t code, uint16_t mid, const uint8_t *tok,
		  size_t tkl)
{
	w->n = 0;
	w->last = 0;
	w_byte(w, (uint8_t)(0x40 | (type << 4) | (tkl & 0x0F)));
	w_byte(w, code);
	w_byte(w, (uint8_t)(mid >> 8));
	w_byte(w, (uint8_t)mid);
	w_bytes(w, tok, tkl);
}

/* The 4-bit nibble and its extension bytes for an option delta or length (RFC 7252 §3.1). */
static uint8_t nibble(unsigned v, uint8_t *ext, size_t *next)
{
	if (v < 13) {
		*next = 0;
		return (uint8_t)v;
	}
	if (v < 269) {
		ext[0] = (uint8_t)(v - 13);
		*next = 1;
		return 13;
	}
	ext[0] = (uint8_t)((v - 269) >> 8);
	ext[1] = (uint8_t)(v - 269);
	*next = 2;
	return 14;
}

static void w_opt(struct wbuf *w, unsigned num, const void *val, size_t len)
{
	uint8_t de[2], le[2];
	size_t dn, ln;
	uint8_t d = nibble(num - w->last, de, &dn), l = nibble((unsigned)len, le, &ln);

	w_byte(w, (uint8_t)(d << 4 | l));
	w_bytes(w, de, dn);
	w_bytes(w, le, ln);
	w_bytes(w, val, len);
	w->last = num;
}

static void w_uint_opt(struct wbuf *w, unsigned num, uint32_t v)
{
	uint8_t b[4];
	size_t n = 0;

	for (int i = 3; i >= 0; i--)
		if (n || (v >> (8 * i)) & 0xFF)
			b[n++] = (uint8_t)(v >> (8 * i));
	w_opt(w, num, b, n);
}

static void w_str_opt(struct wbuf *w, unsigned num, const char *s)
{
	w_opt(w, num, s, strlen(s));
}

static void w_payload(struct wbuf *w, const void *p, size_t n)
{
	if (!n)
		return;
	w_byte(w, 0xFF);
	w_bytes(w, p, n);
}

/* ---- parsing datagrams (well-formed ones; anything else is "malformed") ---- */

struct opt {
	unsigned num;
	const uint8_t *val;
	size_t len;
};

struct msg {
	uint8_t raw[MAX_DGRAM];
	size_t rawlen;
	struct sockaddr_in from;
	unsigned type, tkl;
	unsigned code;
	uint16_t mid;
	uint8_t token[8];
	struct opt opts[MAX_OPTS];
	size_t nopts;
	const uint8_t *payload;
	size_t plen;
};

static bool ext_value(const uint8_t **p, const uint8_t *end, unsigned nib, unsigned *v)
{
	if (nib < 13) {
		*v = nib;
	} else if (nib == 13) {
		if (end - *p < 1)
			return false;
		*v = 13u + **p;
		*p += 1;
	} else if (nib == 14) {
		if (end - *p < 2)
			return false;
		*v = 269u + ((unsigned)(*p)[0] << 8 | (*p)[1]);
		*p += 2;
	} else {
		return false;
	}
	return true;
}

static bool parse(struct msg *m)
{
	const uint8_t *p = m->raw, *end = m->raw + m->rawlen;
	unsigned num = 0;

	m->nopts = 0;
	m->payload = NULL;
	m->plen = 0;
	if (m->rawlen < 4 || (p[0] >> 6) != 1)
		return false;
	m->type = (p[0] >> 4) & 3;
	m->tkl = p[0] & 0x0F;
	m->code = p[1];
	m->mid = (uint16_t)(p[2] << 8 | p[3]);
	p += 4;
	if (m->tkl > 8 || (size_t)(end - p) < m->tkl)
		return false;
	memcpy(m->token, p, m->tkl);
	p += m->tkl;
	while (p < end) {
		unsigned d, l;

		if (*p == 0xFF) {
			m->payload = p + 1;
			m->plen = (size_t)(end - p - 1);
			return m->plen > 0;
		}
		d = *p >> 4;
		l = *p & 0x0F;
		p++;
		if (!ext_value(&p, end, d, &d) || !ext_value(&p, end, l, &l) ||
		    (size_t)(end - p) < l || m->nopts == MAX_OPTS)
			return false;
		num += d;
		m->opts[m->nopts++] = (struct opt){num, p, l};
		p += l;
	}
	return true;
}

static const struct opt *find_opt(const struct msg *m, unsigned num)
{
	for (size_t i = 0; i < m->nopts; i++)
		if (m->opts[i].num == num)
			return &m->opts[i];
	return NULL;
}

static uint32_t opt_uint(const struct opt *o)
{
	uint32_t v = 0;

	for (size_t i = 0; o && i < o->len && i < 4; i++)
		v = v << 8 | o->val[i];
	return v;
}

/* "GET /0/1" */
static void describe(const struct msg *m, char *buf, size_t n)
{
	static const char *const methods[] = {"EMPTY", "GET", "POST", "PUT", "DELETE"};
	size_t k;

	if (m->code >> 5 == 0 && m->code < 5)
		k = (size_t)snprintf(buf, n, "%s ", methods[m->code]);
	else
		k = (size_t)snprintf(buf, n, "%u.%02u ", m->code >> 5, m->code & 0x1F);
	if (k < n && m->code && m->code < 5 && !find_opt(m, O_URI_PATH))
		k += (size_t)snprintf(buf + k, n - k, "/");
	for (size_t i = 0; i < m->nopts && k < n; i++)
		if (m->opts[i].num == O_URI_PATH)
			k += (size_t)snprintf(buf + k, n - k, "/%.*s", (int)m->opts[i].len,
					      (const char *)m->opts[i].val);
}

/* ---- sockets ---- */

static int udp_open(const char *ip)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || inet_pton(AF_INET, ip, &a.sin_addr) != 1 ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		say("cannot open a UDP socket on %s: %s", ip, strerror(errno));
		exit(1);
	}
	return fd;
}

static void send_w(int fd, const struct wbuf *w)
{
	if (sendto(fd, w->d, w->n, 0, (const struct sockaddr *)&server, sizeof(server)) < 0 &&
	    verbose)
		say("sendto (%zu bytes): %s", w->n, strerror(errno));
}

/* Waits up to ms for a datagram on fd; false on timeout. */
static bool recv_msg(int fd, int ms, struct msg *m)
{
	struct pollfd p = {fd, POLLIN, 0};
	socklen_t al = sizeof(m->from);
	ssize_t n;

	if (poll(&p, 1, ms) <= 0)
		return false;
	n = recvfrom(fd, m->raw, sizeof(m->raw), 0, (struct sockaddr *)&m->from, &al);
	if (n < 0)
		return false;
	m->rawlen = (size_t)n;
	return true;
}

/*
 * A CoAP ping (empty CON) from a fresh socket: true when the server answers
 * Reset within 2 s (three tries: libcoap 4.3.1 leaves a second ping from the
 * same port unanswered when it follows the first closely).
 */
static bool alive(void)
{
	struct wbuf *w = calloc(1, sizeof(*w));
	struct msg *m = calloc(1, sizeof(*m));
	bool ok = false;

	if (!w || !m)
		exit(1);
	for (int i = 0; i < 3 && !ok; i++) {
		int fd = udp_open("127.0.0.1");
		uint16_t mid = next_mid++;
		uint64_t end = now_ms() + 700;

		w_hdr(w, T_CON, 0, mid, NULL, 0);
		send_w(fd, w);
		while (!ok && now_ms() < end)
			if (recv_msg(fd, (int)(end - now_ms()), m) && parse(m) &&
			    m->type == T_RST && m->mid == mid)
				ok = true;
		close(fd);
	}
	free(w);
	free(m);
	return ok;
}

/* ---- malformed datagrams ---- */

typedef void (*build_fn)(struct wbuf *w);

static const uint8_t tok4[4] = {1, 2, 3, 4};

static void bs_request_start(struct wbuf *w, unsigned type)
{
	w_hdr(w, type, CODE(0, 2), next_mid++, tok4, 4);
	w_str_opt(w, O_URI_PATH, "bs");
}

static void m_empty(struct wbuf *w)
{
	w->n = 0;
}
static void m_one_byte(struct wbuf *w)
{
	w->n = 0;
	w_byte(w, 0x40);
}
static void m_three_bytes(struct wbuf *w)
{
	w->n = 0;
	w_bytes(w, "\x40\x01\x00", 3);
}

static void m_version(struct wbuf *w, unsigned v)
{
	bs_request_start(w, T_CON);
	w->d[0] = (uint8_t)((w->d[0] & 0x3F) | v << 6);
}
static void m_version0(struct wbuf *w)
{
	m_version(w, 0);
}
static void m_version2(struct wbuf *w)
{
	m_version(w, 2);
}
static void m_version3(struct wbuf *w)
{
	m_version(w, 3);
}

/* TKL 9..15 are reserved (RFC 7252 §3: "MUST be processed as a message format error") */
static unsigned tkl_bad = 9;
static void m_tkl(struct wbuf *w)
{
	static const uint8_t tok[15] = {0};

	w_hdr(w, T_CON, CODE(0, 2), next_mid++, tok, 15);
	w->d[0] = (uint8_t)((w->d[0] & 0xF0) | tkl_bad);
	w_str_opt(w, O_URI_PATH, "bs");
}

static void m_token_truncated(struct wbuf *w)
{
	w_hdr(w, T_CON, CODE(0, 1), next_mid++, tok4, 3);
	w->d[0] = (uint8_t)((w->d[0] & 0xF0) | 8);
}

static void m_delta15(struct wbuf *w)
{
	bs_request_start(w, T_CON);
	w_byte(w, 0xF1);
	w_byte(w, 'x');
}

static void m_length15(struct wbuf *w)
{
	bs_request_start(w, T_CON);
	w_byte(w, 0x1F);
	w_bytes(w, "xxxxxxxxxxxxxxxxxxxx", 20);
}

static void m_delta13_cut(struct wbuf *w)
{
	bs_request_start(w, T_CON);
	w_byte(w, 0xD0);
}

static void m_delta14_cut(struct wbuf *w)
{
	bs_request_start(w, T_CON);
	w_byte(w, 0xE0);
	w_byte(w, 0x01);
}

static void m_length14_past_end(struct wbuf *w)
{
	bs_request_start(w, T_CON);
	w_byte(w, 0x4E);
	w_byte(w, 0xFF);
	w_byte(w, 0xFF);
	w_bytes(w, "ep=x", 4);
}

static void m_length13_past_end(struct wbuf *w)
{
	bs_request_start(w, T_CON);
	w_byte(w, 0x4D);
	w_byte(w, 200);
	w_bytes(w, "ep=0123456", 10);
}

static void m_marker_no_payload(struct wbuf *w)
{
	bs_request_start(w, T_CON);
	w_str_opt(w, O_URI_QUERY, "ep=marker");
	w_byte(w, 0xFF);
}

static void m_empty_with_token(struct wbuf *w)
{
	w_hdr(w, T_CON, 0, next_mid++, tok4, 4);
}

static void m_empty_with_payload(struct wbuf *w)
{
	w_hdr(w, T_CON, 0, next_mid++, NULL, 0);
	w_payload(w, "x", 1);
}

static void m_long_ep(struct wbuf *w)
{
	char q[1004] = "ep=";

	memset(q + 3, 'e', sizeof(q) - 4);
	q[sizeof(q) - 1] = '\0';
	bs_request_start(w, T_CON);
	w_str_opt(w, O_URI_QUERY, q);
}

static void m_ep_beyond_rx_buffer(struct wbuf *w)
{
	static char q[3003] = "ep=";

	memset(q + 3, 'E', sizeof(q) - 4);
	bs_request_start(w, T_CON);
	w_str_opt(w, O_URI_QUERY, q);
}

static void m_ep_binary(struct wbuf *w)
{
	bs_request_start(w, T_CON);
	w_opt(w, O_URI_QUERY, "ep=\xff\xfe\x01\x00\x1b[2J\"", 11);
}

static void m_many_paths(struct wbuf *w)
{
	w_hdr(w, T_CON, CODE(0, 1), next_mid++, tok4, 4);
	for (int i = 0; i < 500; i++)
		w_opt(w, O_URI_PATH, "a", 1);
}

static void m_huge_path(struct wbuf *w)
{
	static char seg[1100];

	memset(seg, 'p', sizeof(seg));
	w_hdr(w, T_CON, CODE(0, 1), next_mid++, tok4, 4);
	w_opt(w, O_URI_PATH, seg, sizeof(seg));
}

static void m_critical_unknown(struct wbuf *w)
{
	bs_request_start(w, T_CON);
	w_str_opt(w, O_URI_QUERY, "ep=crit");
	w_str_opt(w, 2049, "critical-unknown");
}

static void m_option_overflow(struct wbuf *w)
{
	bs_request_start(w, T_CON);
	/* deltas that add up past 65535 */
	for (int i = 0; i < 3; i++) {
		w_byte(w, 0xE0);
		w_byte(w, 0xFE);
		w_byte(w, 0xF2);
	}
}

static void m_proxy_uri(struct wbuf *w)
{
	bs_request_start(w, T_CON);
	w_str_opt(w, O_URI_QUERY, "ep=proxy");
	w_str_opt(w, O_PROXY_URI, "coap://127.0.0.1:1/evil");
}

static void m_method(struct wbuf *w, uint8_t code)
{
	bs_request_start(w, T_CON);
	w->d[1] = code;
	w_str_opt(w, O_URI_QUERY, "ep=method");
}
static void m_method7(struct wbuf *w)
{
	m_method(w, CODE(0, 7));
}
static void m_method31(struct wbuf *w)
{
	m_method(w, CODE(0, 31));
}
static void m_class1(struct wbuf *w)
{
	m_method(w, CODE(1, 0));
}
static void m_class6(struct wbuf *w)
{
	m_method(w, CODE(6, 0));
}
static void m_class7(struct wbuf *w)
{
	m_method(w, CODE(7, 31));
}

static void m_unsolicited_con_response(struct wbuf *w)
{
	w_hdr(w, T_CON, CODE(2, 5), next_mid++, tok4, 4);
	w_uint_opt(w, O_CONTENT_FORMAT, PEER_CF_LINK_FORMAT);
	w_payload(w, FORGED_DISCOVER, strlen(FORGED_DISCOVER));
}

static void m_unsolicited_ack(struct wbuf *w)
{
	w_hdr(w, T_ACK, CODE(2, 4), next_mid++, tok4, 4);
	w_payload(w, "ack", 3);
}

static void m_unsolicited_rst(struct wbuf *w)
{
	w_hdr(w, T_RST, 0, next_mid++, NULL, 0);
}

static void m_block1_szx7(struct wbuf *w)
{
	bs_request_start(w, T_CON);
	w_str_opt(w, O_URI_QUERY, "ep=blk7");
	w_uint_opt(w, O_BLOCK1, 0x0F); /* num 0, M=1, SZX 7 (reserved in RFC 7959) */
	w_payload(w, "0123456789abcdef", 16);
}

static void m_block1_far(struct wbuf *w)
{
	static uint8_t body[1024];

	bs_request_start(w, T_CON);
	w_str_opt(w, O_URI_QUERY, "ep=blkfar");
	w_uint_opt(w, O_BLOCK1, (0xFFFFFu << 4) | 0x0E); /* num 2^20-1, M=1, 1024 bytes */
	w_payload(w, body, sizeof(body));
}

/* Size1 announces 100 MB: the server must not reserve it up front */
static void m_block1_size1_huge(struct wbuf *w)
{
	static uint8_t body[1024];

	bs_request_start(w, T_CON);
	w_str_opt(w, O_URI_QUERY, "ep=size1");
	w_uint_opt(w, O_BLOCK1, 0x0E);
	w_uint_opt(w, O_SIZE1, 100u * 1024 * 1024);
	w_payload(w, body, sizeof(body));
}

static void m_block2_far(struct wbuf *w)
{
	w_hdr(w, T_CON, CODE(0, 1), next_mid++, tok4, 4);
	w_str_opt(w, O_URI_PATH, "bspack");
	w_uint_opt(w, O_BLOCK2, (1000000u << 4) | 0x06);
}

static void m_observe(struct wbuf *w)
{
	w_hdr(w, T_CON, CODE(0, 1), next_mid++, tok4, 4);
	w_uint_opt(w, O_OBSERVE, 0);
	w_str_opt(w, O_URI_PATH, "bspack");
}

static void m_datagram_64k_garbage(struct wbuf *w)
{
	w->n = 0;
	for (size_t i = 0; i < MAX_DGRAM; i++)
		w_byte(w, (uint8_t)(0x41 + i % 7));
}

static void m_datagram_64k_request(struct wbuf *w)
{
	static uint8_t body[MAX_DGRAM - 64];

	memset(body, 'b', sizeof(body));
	bs_request_start(w, T_CON);
	w_str_opt(w, O_URI_QUERY, "ep=big");
	w_payload(w, body, sizeof(body));
}

static void m_non_bs_request(struct wbuf *w)
{
	bs_request_start(w, T_NON);
	w_str_opt(w, O_URI_QUERY, "ep=non-request");
}

static const struct {
	const char *name;
	build_fn build;
	unsigned repeat; /* also the TKL sweep for m_tkl */
} malformed[] = {
	{"empty datagram", m_empty, 1},
	{"1-byte datagram (truncated header)", m_one_byte, 1},
	{"3-byte datagram (truncated header)", m_three_bytes, 1},
	{"version 0", m_version0, 1},
	{"version 2", m_version2, 1},
	{"version 3", m_version3, 1},
	{"token length 9..15 (reserved)", m_tkl, 7},
	{"token length 8 with 3 token bytes", m_token_truncated, 1},
	{"option delta 15 without payload marker", m_delta15, 1},
	{"option length 15 (reserved)", m_length15, 1},
	{"option delta 13 without its extension byte", m_delta13_cut, 1},
	{"option delta 14 with one of its two extension bytes", m_delta14_cut, 1},
	{"option length 65804 past the end", m_length14_past_end, 1},
	{"option length 213 past the end", m_length13_past_end, 1},
	{"payload marker without payload", m_marker_no_payload, 1},
	{"Empty message with a token", m_empty_with_token, 1},
	{"Empty message with a payload", m_empty_with_payload, 1},
	{"POST /bs with a 1000-byte ep=", m_long_ep, 1},
	{"POST /bs with a 3000-byte ep= (beyond the 1472-byte receive buffer)",
	 m_ep_beyond_rx_buffer, 1},
	{"POST /bs with binary and terminal escapes in ep=", m_ep_binary, 1},
	{"GET with 500 Uri-Path options", m_many_paths, 1},
	{"GET with a 1100-byte Uri-Path", m_huge_path, 1},
	{"POST /bs with an unknown critical option", m_critical_unknown, 1},
	{"option numbers past 65535", m_option_overflow, 1},
	{"POST /bs with Proxy-Uri", m_proxy_uri, 1},
	{"request code 0.07", m_method7, 1},
	{"request code 0.31", m_method31, 1},
	{"code 1.00 (reserved class)", m_class1, 1},
	{"code 6.00 (reserved class)", m_class6, 1},
	{"code 7.31 (signalling class on UDP)", m_class7, 1},
	{"unsolicited CON 2.05 response with a forged Discover", m_unsolicited_con_response, 1},
	{"unsolicited ACK 2.04", m_unsolicited_ack, 1},
	{"unsolicited Reset", m_unsolicited_rst, 1},
	{"Block1 with SZX 7", m_block1_szx7, 1},
	{"Block1 block 1048575", m_block1_far, 1},
	{"Block1 announcing Size1 100 MB", m_block1_size1_huge, 20},
	{"Block2 block 1000000 of /bspack", m_block2_far, 1},
	{"Observe on /bspack", m_observe, 1},
	{"65507-byte datagram of garbage", m_datagram_64k_garbage, 1},
	{"65507-byte POST /bs", m_datagram_64k_request, 1},
	{"NON Bootstrap-Request", m_non_bs_request, 1},
};

static int attack_malformed(void)
{
	int fd = udp_open("127.0.0.1");
	struct wbuf *w = calloc(1, sizeof(*w));
	struct msg *m = calloc(1, sizeof(*m));
	size_t sent = 0;
	int rc = 1;

	if (!w || !m)
		goto out;
	if (!alive()) {
		say("the server does not answer a ping before the attack");
		goto out;
	}
	for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
		for (unsigned r = 0; r < malformed[i].repeat; r++) {
			char what[64] = "no answer";

			tkl_bad = 9 + r;
			malformed[i].build(w);
			send_w(fd, w);
			sent++;
			if (recv_msg(fd, 100, m)) {
				if (parse(m))
					snprintf(what, sizeof(what), "answered %s %u.%02u",
						 m->type == T_RST   ? "RST"
						 : m->type == T_ACK ? "ACK"
								    : "",
						 m->code >> 5, m->code & 0x1F);
				else
					snprintf(what, sizeof(what), "answered %zu bytes",
						 m->rawlen);
			}
			while (recv_msg(fd, 0, m))
				;
			if (!alive()) {
				say("%s: the server no longer answers a ping", malformed[i].name);
				printf("dead-after %s\n", malformed[i].name);
				goto out;
			}
			if (r == 0)
				say("%-66s %zu bytes, %s; ping ok", malformed[i].name, w->n, what);
		}
	}
	printf("malformed %zu datagrams, server alive\n", sent);
	rc = 0;
out:
	close(fd);
	free(w);
	free(m);
	return rc;
}

/* ---- flood ---- */

/* Counts what came back on fd, never answering it. */
struct flood_counts {
	unsigned long acks204, refused, discovers, retransmitted, duplicated, other;
	/* first arrival (ms) of each (socket, message id) Discover: open addressing */
	struct {
		uint32_t key, ms;
	} * seen;
	size_t nseen; /* a power of two */
	uint64_t start;
};

/*
 * A Discover seen again: 1.5 s or more after the first copy it is a
 * retransmission (ACK_TIMEOUT is 2 s), the server still holds that request;
 * earlier it is a duplicate sent at once.
 */
static void flood_seen(struct flood_counts *c, unsigned long k, uint16_t mid)
{
	uint32_t key = (uint32_t)(k * 65536u + mid + 1), t = (uint32_t)(now_ms() - c->start);
	size_t i = ((size_t)key * 2654435761u) & (c->nseen - 1);

	while (c->seen[i].key && c->seen[i].key != key)
		i = (i + 1) & (c->nseen - 1);
	if (!c->seen[i].key) {
		c->seen[i].key = key;
		c->seen[i].ms = t;
	} else if (t - c->seen[i].ms >= 1500) {
		c->retransmitted++;
	} else {
		c->duplicated++;
	}
}

static void flood_drain(int fd, unsigned long k, struct msg *m, struct flood_counts *c)
{
	while (recv_msg(fd, 0, m)) {
		bool ok = parse(m);

		if (ok && m->type == T_ACK && m->code == CODE(2, 4)) {
			c->acks204++;
		} else if (ok && m->type == T_ACK && m->code == CODE(5, 3)) {
			c->refused++;
		} else if (ok && m->type == T_CON && m->code == CODE(0, 1)) {
			c->discovers++;
			if (c->seen)
				flood_seen(c, k, m->mid);
		} else {
			c->other++;
		}
	}
}

/*
 * N Bootstrap-Requests at RATE per second (0: as fast as the socket takes
 * them). nsock > 0: from nsock source ports in turn, the same ports all
 * along. nsock == 0: every request from a new port (the last 512 stay open,
 * older ones are closed, so the server's answers to them meet a closed port).
 * Then it keeps listening for --linger seconds (default none) and counts
 * Discovers that came again (fixed ports only).
 */
static int attack_flood(unsigned long n, unsigned long nsock, unsigned long rate)
{
	unsigned long ring = nsock ? nsock : 512;
	int *fds = calloc(ring, sizeof(*fds));
	struct wbuf *w = calloc(1, sizeof(*w));
	struct msg *m = calloc(1, sizeof(*m));
	struct flood_counts cnt = {0};
	uint64_t start = now_ms();
	char q[48];
	int rc = 1;

	for (cnt.nseen = 1024; cnt.nseen < 4 * n; cnt.nseen *= 2)
		;
	if (!fds || !w || !m || (nsock && !(cnt.seen = calloc(cnt.nseen, sizeof(*cnt.seen)))))
		goto out;
	cnt.start = start;
	for (unsigned long i = 0; i < ring; i++)
		fds[i] = nsock ? udp_open(i % 4 == 3 ? "127.0.0.2" : "127.0.0.1") : -1;
	for (unsigned long i = 0; i < n; i++) {
		uint8_t tok[4] = {(uint8_t)(i >> 24), (uint8_t)(i >> 16), (uint8_t)(i >> 8),
				  (uint8_t)i};
		unsigned long k = i % ring;

		if (!nsock) {
			if (fds[k] >= 0) {
				flood_drain(fds[k], k, m, &cnt);
				close(fds[k]);
			}
			fds[k] = udp_open(i % 4 == 3 ? "127.0.0.2" : "127.0.0.1");
		}
		w_hdr(w, T_CON, CODE(0, 2), (uint16_t)i, tok, 4);
		w_str_opt(w, O_URI_PATH, "bs");
		snprintf(q, sizeof(q), "ep=%s-%lu", endpoint, i);
		w_str_opt(w, O_URI_QUERY, q);
		send_w(fds[k], w);
		if (rate) {
			uint64_t due = start + (uint64_t)(i + 1) * 1000u / rate;
			uint64_t t = now_ms();

			if (due > t)
				sleep_ms((unsigned)(due - t));
		}
		if (nsock && (k == ring - 1 || i == n - 1))
			for (unsigned long j = 0; j < ring; j++)
				flood_drain(fds[j], j, m, &cnt);
	}
	start = now_ms() - start;
	for (uint64_t end = now_ms() + (nsock ? flood_linger_ms : 0); now_ms() < end;) {
		sleep_ms(20);
		for (unsigned long j = 0; j < ring; j++)
			flood_drain(fds[j], j, m, &cnt);
	}
	for (unsigned long i = 0; i < ring; i++) {
		if (fds[i] < 0)
			continue;
		flood_drain(fds[i], i, m, &cnt);
		close(fds[i]);
	}
	printf("flood %lu requests from %lu ports in %llu ms: %lu answered 2.04, %lu 5.03, "
	       "%lu Discover requests (never answered; %lu retransmitted, %lu duplicated), "
	       "%lu other\n",
	       n, nsock ? nsock : n, (unsigned long long)start, cnt.acks204, cnt.refused,
	       cnt.discovers, cnt.retransmitted, cnt.duplicated, cnt.other);
	rc = 0;
out:
	free(cnt.seen);
	free(fds);
	free(w);
	free(m);
	return rc;
}

/* ---- a client with a session of its own ---- */

enum mode {
	M_PLAIN,           /* an honest client */
	M_WRONG_TOKEN,     /* forged separate responses with wrong tokens before each answer */
	M_ACK_WRONG_TOKEN, /* piggybacked ACK with the right MID, a wrong token, forged content */
	M_DUP,             /* every answer three times, and the previous one again */
	M_OUT_OF_ORDER,    /* empty ACK, the previous answer replayed, then the answer twice */
	M_ACK_SILENCE,     /* ACKs Discover and never answers it */
	M_SILENT,          /* never answers anything */
	M_RESET,           /* answers Discover with a Reset */
	M_HUGE,            /* Discover answered with a 60 KB Block2 body */
	M_BIG_DATAGRAM,    /* Discover answered with one 65000-byte datagram first */
	M_ESCAPES,         /* Discover answered with terminal escape sequences in its values */
	M_SLOW,            /* honest; after Discover each answer 0.6 s late (within ACK_TIMEOUT) */
	M_FORGE,           /* honest but slow; other peers race forged answers */
};

static const struct {
	const char *name;
	enum mode mode;
} modes[] = {
	{"plain", M_PLAIN},
	{"wrong-token", M_WRONG_TOKEN},
	{"ack-wrong-token", M_ACK_WRONG_TOKEN},
	{"dup", M_DUP},
	{"out-of-order", M_OUT_OF_ORDER},
	{"ack-silence", M_ACK_SILENCE},
	{"silent", M_SILENT},
	{"reset", M_RESET},
	{"huge", M_HUGE},
	{"big-datagram", M_BIG_DATAGRAM},
	{"escapes", M_ESCAPES},
	{"slow", M_SLOW},
};

struct client {
	enum mode mode;
	int fd;
	int forgers[2]; /* M_FORGE: 127.0.0.2 and another port of 127.0.0.1 */
	struct wbuf w;
	struct msg m;
	/* the previous request and its answer, for replays */
	bool have_prev;
	uint16_t prev_mid;
	uint8_t prev_token[8];
	size_t prev_tkl;
	uint8_t prev_code;
	const char *prev_body;
	/* the Block2 body being served */
	char *body;
	size_t body_len;
	unsigned requests;
	unsigned big_sent;
};

/* The honest answer to a request: code, Content-Format (-1 none) and body. */
static void honest(const struct msg *r, uint8_t *code, int *cf, const char **body)
{
	const struct opt *path = find_opt(r, O_URI_PATH);

	*cf = -1;
	*body = "";
	switch (r->code) {
	case CODE(0, 1):
		*code = CODE(2, 5);
		*cf = PEER_CF_LINK_FORMAT;
		*body = HONEST_DISCOVER;
		break;
	case CODE(0, 4): *code = CODE(2, 2); break;
	case CODE(0, 3): *code = CODE(2, 4); break;
	case CODE(0, 2):
		*code = path && path->len == 2 && !memcmp(path->val, "bs", 2) ? CODE(2, 4)
									      : CODE(4, 0);
		break;
	default: *code = CODE(4, 5); break;
	}
}

/* The forged answer: another Discover, or a refusal that would fail the session. */
static void forged(const struct msg *r, uint8_t *code, int *cf, const char **body)
{
	*cf = -1;
	if (r->code == CODE(0, 1)) {
		*code = CODE(2, 5);
		*cf = PEER_CF_LINK_FORMAT;
		*body = FORGED_DISCOVER;
	} else {
		*code = r->code == CODE(0, 2) ? CODE(4, 6) : CODE(4, 0);
		*body = "forged";
	}
}

static void build_answer(struct wbuf *w, unsigned type, uint16_t mid, const uint8_t *tok,
			 size_t tkl, uint8_t code, int cf, const char *body, size_t blen)
{
	w_hdr(w, type, code, mid, tok, tkl);
	if (cf >= 0)
		w_uint_opt(w, O_CONTENT_FORMAT, (uint32_t)cf);
	w_payload(w, body, blen);
}

static void send_answer(struct client *c, int fd, unsigned type, uint16_t mid, const uint8_t *tok,
			size_t tkl, uint8_t code, int cf, const char *body)
{
	build_answer(&c->w, type, mid, tok, tkl, code, cf, body, strlen(body));
	send_w(fd, &c->w);
}

/* 60 KB of link-format: the honest links, then links to instances of object 9 nobody uses. */
static void make_huge_body(struct client *c)
{
	size_t k;

	c->body = malloc(HUGE_BODY + 32);
	if (!c->body)
		exit(1);
	k = (size_t)snprintf(c->body, HUGE_BODY, "%s", HONEST_DISCOVER);
	for (unsigned i = 0; k + 16 < HUGE_BODY; i++)
		k += (size_t)snprintf(c->body + k, HUGE_BODY - k, ",</9/%u>", i % 60000);
	c->body_len = k;
}

/* Block2 block num of the huge body, in answer to r (piggybacked). */
static void send_block2(struct client *c, const struct msg *r, unsigned num, unsigned szx)
{
	size_t bs = (size_t)16 << szx, off = (size_t)num * bs, n;
	bool more;

	if (off >= c->body_len) {
		send_answer(c, c->fd, T_ACK, r->mid, r->token, r->tkl, CODE(4, 2), -1, "");
		return;
	}
	n = c->body_len - off < bs ? c->body_len - off : bs;
	more = off + n < c->body_len;
	w_hdr(&c->w, T_ACK, CODE(2, 5), r->mid, r->token, r->tkl);
	w_uint_opt(&c->w, O_CONTENT_FORMAT, PEER_CF_LINK_FORMAT);
	w_uint_opt(&c->w, O_BLOCK2, (uint32_t)(num << 4 | (more ? 8u : 0u) | szx));
	w_payload(&c->w, c->body + off, n);
	send_w(c->fd, &c->w);
}

/* Forgers see the request as a sniffer would and answer it first, from elsewhere. */
static void race_forgeries(struct client *c, const struct msg *r)
{
	uint8_t code;
	int cf;
	const char *body;

	forged(r, &code, &cf, &body);
	for (int i = 0; i < 2; i++) {
		int fd = c->forgers[i];

		send_answer(c, fd, T_ACK, r->mid, r->token, r->tkl, code, cf, body);
		send_answer(c, fd, T_CON, next_mid++, r->token, r->tkl, code, cf, body);
		send_answer(c, fd, T_NON, next_mid++, r->token, r->tkl, code, cf, body);
		w_hdr(&c->w, T_RST, 0, r->mid, NULL, 0);
		send_w(fd, &c->w);
		/* a Bootstrap-Request of its own with the victim's ep */
		bs_request_start(&c->w, T_CON);
		{
			char q[160];

			snprintf(q, sizeof(q), "ep=%s", endpoint);
			w_str_opt(&c->w, O_URI_QUERY, q);
		}
		send_w(fd, &c->w);
	}
}

static void handle_request(struct client *c, const struct msg *r)
{
	uint8_t code, fcode;
	int cf, fcf;
	const char *body, *fbody;
	const struct opt *b2 = find_opt(r, O_BLOCK2);
	char what[64];

	describe(r, what, sizeof(what));
	c->requests++;
	if (verbose)
		say("request %s (mid %04X, %u-byte token)", what, r->mid, r->tkl);
	printf("request %s\n", what);
	fflush(stdout);
	honest(r, &code, &cf, &body);
	forged(r, &fcode, &fcf, &fbody);

	if (c->mode == M_HUGE && r->code == CODE(0, 1)) {
		uint32_t v = opt_uint(b2);

		if (!c->body)
			make_huge_body(c);
		send_block2(c, r, b2 ? v >> 4 : 0, b2 ? v & 7 : 6);
		goto remember;
	}
	switch (c->mode) {
	case M_SILENT: return;
	case M_RESET:
		w_hdr(&c->w, T_RST, 0, r->mid, NULL, 0);
		send_w(c->fd, &c->w);
		return;
	case M_ACK_SILENCE:
		w_hdr(&c->w, T_ACK, 0, r->mid, NULL, 0);
		send_w(c->fd, &c->w);
		return;
	case M_WRONG_TOKEN: {
		uint8_t t[8];
		size_t tl = r->tkl;

		memcpy(t, r->token, tl);
		if (tl)
			t[tl - 1] ^= 0x5A;
		send_answer(c, c->fd, T_CON, next_mid++, t, tl, fcode, fcf, fbody);
		send_answer(c, c->fd, T_NON, next_mid++, NULL, 0, fcode, fcf, fbody);
		if (tl < 8) {
			memcpy(t, r->token, tl);
			t[tl] = 0;
			send_answer(c, c->fd, T_CON, next_mid++, t, tl + 1, fcode, fcf, fbody);
		}
		send_answer(c, c->fd, T_ACK, r->mid, r->token, r->tkl, code, cf, body);
		break;
	}
	case M_ACK_WRONG_TOKEN: {
		uint8_t t[8];

		memcpy(t, r->token, r->tkl);
		if (r->tkl)
			t[0] ^= 0xA5;
		send_answer(c, c->fd, T_ACK, r->mid, t, r->tkl, fcode, fcf, fbody);
		send_answer(c, c->fd, T_CON, next_mid++, r->token, r->tkl, code, cf, body);
		break;
	}
	case M_DUP:
		for (int i = 0; i < 3; i++)
			send_answer(c, c->fd, T_ACK, r->mid, r->token, r->tkl, code, cf, body);
		if (c->have_prev)
			send_answer(c, c->fd, T_ACK, c->prev_mid, c->prev_token, c->prev_tkl,
				    c->prev_code, -1, c->prev_body);
		break;
	case M_OUT_OF_ORDER:
		w_hdr(&c->w, T_ACK, 0, r->mid, NULL, 0);
		send_w(c->fd, &c->w);
		if (c->have_prev)
			send_answer(c, c->fd, T_CON, next_mid++, c->prev_token, c->prev_tkl,
				    c->prev_code, -1, c->prev_body);
		send_answer(c, c->fd, T_CON, next_mid++, r->token, r->tkl, code, cf, body);
		send_answer(c, c->fd, T_CON, next_mid++, r->token, r->tkl, code, cf, body);
		break;
	case M_BIG_DATAGRAM:
		if (r->code == CODE(0, 1) && !c->big_sent++) {
			static char big[65000];

			memset(big, ' ', sizeof(big));
			memcpy(big, HONEST_DISCOVER, sizeof(HONEST_DISCOVER) - 1);
			build_answer(&c->w, T_ACK, r->mid, r->token, r->tkl, code, cf, big,
				     sizeof(big));
			send_w(c->fd, &c->w);
			/* the retransmission gets the honest answer */
			return;
		}
		send_answer(c, c->fd, T_ACK, r->mid, r->token, r->tkl, code, cf, body);
		break;
	case M_ESCAPES:
		if (r->code == CODE(0, 1))
			body = ESCAPE_DISCOVER;
		send_answer(c, c->fd, T_ACK, r->mid, r->token, r->tkl, code, cf, body);
		break;
	case M_SLOW:
		/* a retransmission within ACK_TIMEOUT (2 s) would be premature */
		if (c->have_prev && r->mid == c->prev_mid) {
			printf("early retransmission of %s\n", what);
			break;
		}
		if (r->code != CODE(0, 1))
			sleep_ms(600);
		send_answer(c, c->fd, T_ACK, r->mid, r->token, r->tkl, code, cf, body);
		break;
	case M_FORGE:
		race_forgeries(c, r);
		sleep_ms(150);
		send_answer(c, c->fd, T_ACK, r->mid, r->token, r->tkl, code, cf, body);
		break;
	case M_PLAIN:
	case M_HUGE: send_answer(c, c->fd, T_ACK, r->mid, r->token, r->tkl, code, cf, body); break;
	}
remember:
	c->have_prev = true;
	c->prev_mid = r->mid;
	memcpy(c->prev_token, r->token, r->tkl);
	c->prev_tkl = r->tkl;
	c->prev_code = code;
	c->prev_body = body;
}

/* Drains the forgers' sockets: whatever the server sends them is not the victim's business. */
static void drain_forgers(struct client *c)
{
	for (int i = 0; i < 2; i++)
		while (c->forgers[i] >= 0 && recv_msg(c->forgers[i], 0, &c->m))
			;
}

static int run_session(enum mode mode)
{
	struct client *c = calloc(1, sizeof(*c));
	uint16_t bs_mid = next_mid++;
	uint8_t tok[4] = {0xB5, 0x00, 0x00, 0x01};
	char q[160], what[64];
	bool started = false, finished = false;
	uint64_t end;
	int rc = 1;

	if (!c)
		return 1;
	c->mode = mode;
	c->fd = udp_open("127.0.0.1");
	{
		struct sockaddr_in me = {0};
		socklen_t ml = sizeof(me);

		if (getsockname(c->fd, (struct sockaddr *)&me, &ml) == 0)
			printf("client 127.0.0.1:%u\n", ntohs(me.sin_port));
	}
	c->forgers[0] = c->forgers[1] = -1;
	if (mode == M_FORGE) {
		c->forgers[0] = udp_open("127.0.0.2");
		c->forgers[1] = udp_open("127.0.0.1");
	}
	/* the Bootstrap-Request (POST /bs); with dup twice with the same message id */
	w_hdr(&c->w, T_CON, CODE(0, 2), bs_mid, tok, sizeof(tok));
	w_str_opt(&c->w, O_URI_PATH, "bs");
	snprintf(q, sizeof(q), "ep=%s", endpoint);
	w_str_opt(&c->w, O_URI_QUERY, q);
	send_w(c->fd, &c->w);
	if (mode == M_DUP)
		send_w(c->fd, &c->w);
	end = now_ms() + 5000;
	for (uint64_t resend = now_ms() + 1000; !started && now_ms() < end;) {
		/* a retransmission (same message id) each second, as a client does */
		if (now_ms() >= resend) {
			send_w(c->fd, &c->w);
			resend += 1000;
		}
		if (!recv_msg(c->fd, 100, &c->m) || !parse(&c->m))
			continue;
		if (c->m.type == T_ACK && c->m.mid == bs_mid) {
			if (c->m.code != CODE(2, 4)) {
				say("Bootstrap-Request answered %u.%02u", c->m.code >> 5,
				    c->m.code & 0x1F);
				printf("bootstrap-request %u.%02u\n", c->m.code >> 5,
				       c->m.code & 0x1F);
				goto out;
			}
			started = true;
		} else if (c->m.type == T_CON && c->m.code >= 1 && c->m.code <= 4) {
			/* the first command may overtake the ACK: keep it */
			started = true;
			handle_request(c, &c->m);
		}
	}
	if (!started) {
		say("no answer to the Bootstrap-Request");
		goto out;
	}
	printf("bootstrap-request 2.04\n");
	/* the session: until Finish, or linger_ms of silence */
	end = now_ms() + linger_ms;
	while (now_ms() < end) {
		if (!recv_msg(c->fd, 50, &c->m)) {
			drain_forgers(c);
			continue;
		}
		if (!parse(&c->m)) {
			say("unparsable datagram from the server (%zu bytes)", c->m.rawlen);
			continue;
		}
		if (c->m.type == T_ACK || c->m.type == T_RST)
			continue; /* to our own CON answers, or the repeated Bootstrap-Request */
		if (c->m.code < 1 || c->m.code > 4)
			continue;
		describe(&c->m, what, sizeof(what));
		handle_request(c, &c->m);
		end = now_ms() + linger_ms;
		if (!strcmp(what, "POST /bs") && mode != M_SILENT && mode != M_ACK_SILENCE &&
		    mode != M_RESET) {
			finished = true;
			/* stay a moment: retransmissions and stray answers still get handled */
			end = now_ms() + 300;
		}
	}
	drain_forgers(c);
	printf("requests %u, finish %s\n", c->requests, finished ? "answered 2.04" : "not seen");
	switch (mode) {
	case M_SILENT:
	case M_ACK_SILENCE:
	case M_RESET:
	case M_ESCAPES: rc = c->requests >= 1 && !finished ? 0 : 1; break;
	default: rc = finished ? 0 : 1; break;
	}
out:
	close(c->fd);
	for (int i = 0; i < 2; i++)
		if (c->forgers[i] >= 0)
			close(c->forgers[i]);
	free(c->body);
	free(c);
	return rc;
}

/* ---- main ---- */

static int usage(void)
{
	fprintf(stderr,
		"usage: hostile --server ADDR:PORT [--ep NAME] [--linger S] [-v] ATTACK\n"
		"  malformed                 malformed datagrams, a ping after each\n"
		"  flood N SOCKETS [RATE]    N Bootstrap-Requests from SOCKETS ports (0: a new\n"
		"                            port for each), RATE a second (0: no limit)\n"
		"  session MODE              a client that misbehaves: plain wrong-token\n"
		"                            ack-wrong-token dup out-of-order ack-silence silent\n"
		"                            reset huge big-datagram escapes\n"
		"  forge                     forged answers from other peers during a session\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *srv = NULL;
	unsigned long v, n, socks, rate = 0;
	int i;

	cs_json_secure_init();
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--server") && i + 1 < argc)
			srv = argv[++i];
		else if (!strcmp(argv[i], "--ep") && i + 1 < argc)
			endpoint = argv[++i];
		else if (!strcmp(argv[i], "--linger") && i + 1 < argc &&
			 peer_parse_ulong(argv[i + 1], 0, 600, &v)) {
			linger_ms = flood_linger_ms = (unsigned)v * 1000u;
			i++;
		} else if (!strcmp(argv[i], "-v"))
			verbose = 1;
		else
			return usage();
	}
	if (!srv || i >= argc)
		return usage();
	{
		const char *colon = strrchr(srv, ':');
		char host[64];

		if (!colon || (size_t)(colon - srv) >= sizeof(host) ||
		    !peer_parse_ulong(colon + 1, 1, 65535, &v))
			return usage();
		memcpy(host, srv, (size_t)(colon - srv));
		host[colon - srv] = '\0';
		server.sin_family = AF_INET;
		server.sin_port = htons((uint16_t)v);
		if (inet_pton(AF_INET, host, &server.sin_addr) != 1)
			return usage();
	}
	/* message ids of its own messages start anywhere, as RFC 7252 §4.4 asks */
	if (getrandom(&next_mid, sizeof(next_mid), 0) != (ssize_t)sizeof(next_mid))
		next_mid = (uint16_t)getpid();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(argv[i], "malformed") && i + 1 == argc)
		return attack_malformed();
	if (!strcmp(argv[i], "flood") && (i + 3 == argc || i + 4 == argc) &&
	    peer_parse_ulong(argv[i + 1], 1, 1000000, &n) &&
	    peer_parse_ulong(argv[i + 2], 0, 1000, &socks) &&
	    (i + 3 == argc || peer_parse_ulong(argv[i + 3], 0, 1000000, &rate)))
		return attack_flood(n, socks, rate);
	if (!strcmp(argv[i], "forge") && i + 1 == argc)
		return run_session(M_FORGE);
	if (!strcmp(argv[i], "session") && i + 2 == argc)
		for (size_t k = 0; k < sizeof(modes) / sizeof(modes[0]); k++)
			if (!strcmp(modes[k].name, argv[i + 1]))
				return run_session(modes[k].mode);
	return usage();
}
