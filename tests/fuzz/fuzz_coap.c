/* SPDX-License-Identifier: MIT */
/*
 * The Bootstrap-Server's handling of CoAP messages as bytes: a real
 * cs_bsserver on 127.0.0.1 (a free port) serving a fixed card, and two
 * client sockets in this process. The input is a config byte and then
 * datagrams; each goes to the server from one of the client sockets, and
 * cs_bsserver_process(srv, 0) runs after it. The datagrams are requests
 * (Bootstrap-Request, anything else) or answers to what the server sent:
 * a flag copies the message id and/or the token of the server's last
 * request on that socket into the datagram, so Discover answers, Delete,
 * Write and Finish answers, Block1 continues and wrong tokens can all be
 * reached. No sleeps: loopback datagrams are there before the next
 * process() call.
 *
 * Input:  config(1) { flags(1) len(2, big-endian) datagram(len) }*
 *   config bit 0  --bs-account skip         bit 1  --delete-all
 *          bit 2  block size 16 (Block1)    bit 3  serve endpoint "fuzz" only
 *          bit 4  no data: Bootstrap-Requests get 5.03
 *   flags  bit 0  message id of the server's last request
 *          bit 1  token of the server's last request
 *          bit 2  from the second client socket
 *          bit 3  do not run the server after this datagram
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <coap3/coap.h>

#include "cardstrap/bsserver.h"
#include "common.h"

#define MAX_DATAGRAMS 48
#define MAX_PDU       1500

struct client {
	int fd;
	bool has_request; /* the server sent a request on this socket */
	uint8_t mid[2];
	uint8_t token[8];
	size_t token_len;
};

static struct cs_model card;
static bool verbose; /* FUZZ_VERBOSE=1: print each report line, to check the seeds */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_card_model(&card);
	verbose = getenv("FUZZ_VERBOSE") != NULL;
	coap_startup();
	/* libcoap warns on stderr about every malformed datagram; the fuzzer makes plenty */
	coap_set_log_level(LOG_EMERG);
	return 0;
}

static void on_event(void *arg, enum cs_bsserver_event ev, const struct cs_bsserver_report *r)
{
	char line[1024];
	json_t *j;
	char *text;

	(void)arg;
	FUZZ_CHECK(memchr(r->endpoint, '\0', sizeof(r->endpoint)) != NULL);
	FUZZ_CHECK(memchr(r->error, '\0', sizeof(r->error)) != NULL);
	FUZZ_CHECK(r->nops == 0 || r->ops != NULL);
	for (size_t i = 0; i < r->nops; i++)
		FUZZ_CHECK(memchr(r->ops[i].path, '\0', sizeof(r->ops[i].path)) != NULL);
	/* never a Delete of the client's BS account */
	for (size_t i = 0; i < r->ndeleted; i++) {
		char bs[CS_BS_PATH_MAX];

		snprintf(bs, sizeof(bs), "/0/%d", (int)r->client_bs_iid);
		FUZZ_CHECK(r->client_bs_iid < 0 || strcmp(r->deleted[i].path, bs));
	}
	if (ev == CS_BSSERVER_SESSION_ENDED && r->result == 0) {
		/* success = every write 2.04 and Finish 2.04 */
		FUZZ_CHECK(r->finish_code == 204);
		FUZZ_CHECK(r->error[0] == '\0');
		for (size_t i = 0; i < r->nops; i++)
			if (!strcmp(r->ops[i].method, "PUT"))
				FUZZ_CHECK(r->ops[i].code == 204);
	}
	if (ev == CS_BSSERVER_SESSION_ENDED && r->result != 0)
		FUZZ_CHECK(r->error[0] != '\0');
	cs_bsserver_report_line(r, line, sizeof(line));
	/* a log line: what the client sent must not bring control bytes (forged lines) */
	for (const char *p = line; *p; p++)
		FUZZ_CHECK((unsigned char)*p >= 0x20 && *p != 0x7F);
	if (verbose)
		fprintf(stderr, "%s: %s\n", cs_bsserver_event_name(ev), line);
	j = cs_bsserver_report_json(ev, r);
	FUZZ_CHECK(j != NULL);
	text = json_dumps(j, JSON_COMPACT);
	FUZZ_CHECK(text != NULL);
	free(text);
	json_decref(j);
}

static int client_socket(uint16_t port, int *fd)
{
	struct sockaddr_in a = {.sin_family = AF_INET};

	*fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (*fd < 0)
		return -1;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons(port);
	return connect(*fd, (struct sockaddr *)&a, sizeof(a));
}

static void dump(const char *dir, const struct client *c, const uint8_t *p, size_t n)
{
	fprintf(stderr, "%s %d:", dir, c->fd);
	for (size_t i = 0; i < n && i < 48; i++)
		fprintf(stderr, " %02X", p[i]);
	fprintf(stderr, "%s\n", n > 48 ? " ..." : "");
}

/* Reads what the server sent; remembers the id and token of its last request. */
static void drain(struct client *c)
{
	uint8_t pdu[MAX_PDU];
	ssize_t n;

	while ((n = recv(c->fd, pdu, sizeof(pdu), 0)) > 0) {
		size_t tkl = pdu[0] & 0x0F;
		uint8_t code = n >= 4 ? pdu[1] : 0;

		if (verbose)
			dump("<-", c, pdu, (size_t)n);

		/* a request: code class 0 and not Empty */
		if (n < 4 || code == 0 || code >> 5 != 0 || tkl > 8 || (size_t)n < 4 + tkl)
			continue;
		c->has_request = true;
		memcpy(c->mid, pdu + 2, 2);
		memcpy(c->token, pdu + 4, tkl);
		c->token_len = tkl;
	}
}

/* The datagram as given, with the server's message id and token put in when asked. */
static size_t build(const struct client *c, uint8_t flags, const uint8_t *in, size_t len,
		    uint8_t *out)
{
	size_t tkl, o = 0;

	if (len < 4 || !c->has_request || !(flags & 3)) {
		memcpy(out, in, len);
		return len;
	}
	tkl = in[0] & 0x0F;
	if (tkl > len - 4)
		tkl = len - 4;
	out[o++] = (uint8_t)((in[0] & 0xF0) | ((flags & 2) ? c->token_len : (in[0] & 0x0F)));
	out[o++] = in[1];
	out[o++] = (flags & 1) ? c->mid[0] : in[2];
	out[o++] = (flags & 1) ? c->mid[1] : in[3];
	if (flags & 2) {
		memcpy(out + o, c->token, c->token_len);
		o += c->token_len;
	} else {
		memcpy(out + o, in + 4, tkl);
		o += tkl;
	}
	memcpy(out + o, in + 4 + tkl, len - 4 - tkl);
	return o + len - 4 - tkl;
}

static void run(struct cs_bsserver *srv, struct client *cl)
{
	/* the first call reads and answers, the second sends what sessions queued */
	FUZZ_CHECK(cs_bsserver_process(srv, 0) == 0);
	FUZZ_CHECK(cs_bsserver_process(srv, 0) == 0);
	drain(&cl[0]);
	drain(&cl[1]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cs_bsserver_config cfg = {.listen = "127.0.0.1:0"};
	struct cs_bsserver *srv;
	struct client cl[2] = {{.fd = -1}, {.fd = -1}};
	struct cs_errinfo ei;
	char uri[64];
	const char *colon;
	uint8_t out[MAX_PDU + 8];
	size_t pos = 1;
	uint16_t port;
	int n = 0;

	if (size < 1)
		return 0;
	cfg.bs_account = (data[0] & 1) ? CS_BS_ACCOUNT_SKIP : CS_BS_ACCOUNT_HANDOVER;
	cfg.delete_all = data[0] & 2;
	cfg.block_size = (data[0] & 4) ? 16 : 0;
	cfg.endpoint = (data[0] & 8) ? "fuzz" : NULL;
	cfg.event = on_event;
	if (cs_bsserver_new(&cfg, &srv, &ei))
		fuzz_fail("cannot start the Bootstrap-Server: %s", ei.msg);
	if (!(data[0] & 16))
		FUZZ_CHECK(cs_bsserver_set_data(srv, &card) == 0);
	cs_bsserver_uri(srv, false, uri, sizeof(uri));
	colon = strrchr(uri, ':');
	FUZZ_CHECK(colon != NULL);
	port = (uint16_t)atoi(colon + 1);
	FUZZ_CHECK(port != 0);
	if (client_socket(port, &cl[0].fd) || client_socket(port, &cl[1].fd))
		fuzz_fail("cannot open a client socket: %s", strerror(errno));

	while (pos + 3 <= size && n++ < MAX_DATAGRAMS) {
		uint8_t flags = data[pos];
		size_t take = (size_t)data[pos + 1] << 8 | data[pos + 2], len;
		struct client *c = &cl[(flags >> 2) & 1];

		pos += 3;
		if (take > size - pos)
			take = size - pos;
		if (take > MAX_PDU)
			take = MAX_PDU;
		len = build(c, flags, data + pos, take, out);
		pos += take;
		if (verbose)
			dump("->", c, out, len);
		/* a full socket buffer only drops the datagram, as UDP may */
		(void)send(c->fd, out, len, 0);
		if (!(flags & 8))
			run(srv, cl);
	}
	run(srv, cl);
	cs_bsserver_free(srv);
	close(cl[0].fd);
	close(cl[1].fd);
	return 0;
}
