/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <winscard.h>

#include "cardstrap/pcsc.h"

#define PNP_READER   "\\\\?PnP?\\Notification"
#define GONE_WAIT_MS 1000

struct pcsc_transport {
	struct cs_transport t;
	SCARDCONTEXT ctx;
	SCARDHANDLE card;
	DWORD proto;
	bool in_transaction;
	bool pin_verified; /* a VERIFY succeeded in this transaction */
	char reader[CS_PCSC_MAX_NAME];
};

static const char *socket_path(void)
{
	const char *p = getenv("PCSCLITE_CSOCK_NAME");

	return p && *p ? p : "/run/pcscd/pcscd.comm";
}

/* The command an APDU carries, for messages ("during READ BINARY"). */
static const char *ins_name(const uint8_t *capdu, size_t clen, char *buf, size_t n)
{
	if (!capdu || clen < 2)
		return "a command";
	switch (capdu[1]) {
	case 0xA4: return "SELECT";
	case 0xB0:
	case 0xB1: return "READ BINARY";
	case 0xB2: return "READ RECORD";
	case 0xC0: return "GET RESPONSE";
	case 0x20: return "VERIFY";
	case 0x70: return "MANAGE CHANNEL";
	case 0x50: return "INITIALIZE UPDATE";
	case 0x82: return "EXTERNAL AUTHENTICATE";
	}
	snprintf(buf, n, "INS %02X", capdu[1]);
	return buf;
}

/*
 * PC/SC result → cs_err with a message naming the reader. `during` is NULL
 * while connecting (no card yet is "no card"), else the command that was
 * running (the card going away then is "removed").
 */
static int map_err(LONG rv, const char *reader, const char *during, struct cs_errinfo *ei)
{
	const char *r = reader && *reader ? reader : "?";

	switch (rv) {
	case SCARD_E_NO_SERVICE:
		return cs_error(ei, CS_ERR_NO_SERVICE, -1,
				"pcscd is not running (cannot reach %s); start it: "
				"systemctl start pcscd.socket",
				socket_path());
	case SCARD_E_SERVICE_STOPPED:
		return cs_error(ei, CS_ERR_NO_SERVICE, -1, "pcscd stopped%s%s",
				during ? " during " : "", during ? during : "");
	case SCARD_E_NO_READERS_AVAILABLE:
		return cs_error(ei, CS_ERR_NO_READER, -1,
				"no card reader found (is it plugged in?)");
	case SCARD_E_UNKNOWN_READER:
	case SCARD_E_READER_UNAVAILABLE:
		if (during)
			return cs_error(ei, CS_ERR_CARD_REMOVED, -1,
					"reader '%s' went away during %s", r, during);
		return cs_error(ei, CS_ERR_NO_READER, -1, "reader '%s' is not available", r);
	case SCARD_E_NO_SMARTCARD:
	case SCARD_W_REMOVED_CARD:
		if (during)
			return cs_error(ei, CS_ERR_CARD_REMOVED, -1,
					"card removed from '%s' during %s", r, during);
		return cs_error(ei, CS_ERR_NO_CARD, -1, "no card in reader '%s'", r);
	case SCARD_W_RESET_CARD:
		return cs_error(ei, CS_ERR_CARD_RESET, -1,
				"card in '%s' was reset by another application%s%s", r,
				during ? " during " : "", during ? during : "");
	case SCARD_W_UNRESPONSIVE_CARD:
	case SCARD_W_UNPOWERED_CARD:
	case SCARD_W_UNSUPPORTED_CARD:
		if (during)
			return cs_error(ei, CS_ERR_TRANSPORT, -1,
					"card in '%s' stopped responding during %s", r, during);
		return cs_error(ei, CS_ERR_NO_CARD, -1,
				"card in '%s' does not respond (mute or inserted the wrong way?)",
				r);
	case SCARD_E_SHARING_VIOLATION:
		return cs_error(ei, CS_ERR_TRANSPORT, -1,
				"card in '%s' is held exclusively by another application", r);
	case SCARD_E_TIMEOUT:
		return cs_error(ei, CS_ERR_TIMEOUT, -1, "timed out waiting for '%s'", r);
	case SCARD_E_PROTO_MISMATCH:
		return cs_error(ei, CS_ERR_TRANSPORT, -1, "card in '%s' speaks neither T=0 nor T=1",
				r);
	case SCARD_E_NO_MEMORY: return cs_error(ei, CS_ERR_NOMEM, -1, "PC/SC: out of memory");
	}
	return cs_error(ei, CS_ERR_TRANSPORT, -1, "PC/SC error on '%s'%s%s: %s (0x%08lX)", r,
			during ? " during " : "", during ? during : "", pcsc_stringify_error(rv),
			(unsigned long)rv);
}

static int establish(SCARDCONTEXT *ctx, struct cs_errinfo *ei)
{
	LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, ctx);

	if (rv != SCARD_S_SUCCESS)
		return map_err(rv, NULL, NULL, ei);
	return 0;
}

/* Reader names as a multi-string in buf; *n names. No readers → 0 names. */
static int list_names(SCARDCONTEXT ctx, char *buf, DWORD size, const char **names, size_t max,
		      size_t *n, struct cs_errinfo *ei)
{
	DWORD len = size;
	LONG rv = SCardListReaders(ctx, NULL, buf, &len);
	size_t off = 0;

	*n = 0;
	if (rv == SCARD_E_NO_READERS_AVAILABLE)
		return 0;
	if (rv != SCARD_S_SUCCESS)
		return map_err(rv, NULL, NULL, ei);
	if (len == 0 || len > size)
		return 0;
	buf[len - 1] = '\0';
	while (off < len && buf[off] && *n < max) {
		names[(*n)++] = buf + off;
		off += strlen(buf + off) + 1;
	}
	return 0;
}

#define NAMES_SIZE (CS_PCSC_MAX_READERS * (CS_PCSC_MAX_NAME + 1) + 1)

static int list_in(SCARDCONTEXT ctx, struct cs_pcsc_reader *readers, size_t max, size_t *n,
		   struct cs_errinfo *ei)
{
	char names_buf[NAMES_SIZE];
	const char *names[CS_PCSC_MAX_READERS];
	SCARD_READERSTATE st[CS_PCSC_MAX_READERS];
	size_t nn;
	LONG rv;
	int err;

	*n = 0;
	err = list_names(ctx, names_buf, sizeof(names_buf), names, CS_PCSC_MAX_READERS, &nn, ei);
	if (err || nn == 0)
		return err;
	memset(st, 0, sizeof(st));
	for (size_t i = 0; i < nn; i++) {
		st[i].szReader = names[i];
		st[i].dwCurrentState = SCARD_STATE_UNAWARE;
	}
	rv = SCardGetStatusChange(ctx, 0, st, (DWORD)nn);
	if (rv != SCARD_S_SUCCESS && rv != SCARD_E_TIMEOUT)
		return map_err(rv, NULL, NULL, ei);
	for (size_t i = 0; i < nn && *n < max; i++) {
		struct cs_pcsc_reader *r = &readers[(*n)++];
		DWORD s = st[i].dwEventState;

		memset(r, 0, sizeof(*r));
		snprintf(r->name, sizeof(r->name), "%s", names[i]);
		r->card_present = (s & SCARD_STATE_PRESENT) != 0;
		r->card_mute = (s & SCARD_STATE_MUTE) != 0;
		r->exclusive = (s & SCARD_STATE_EXCLUSIVE) != 0;
		r->in_use = (s & SCARD_STATE_INUSE) != 0;
		if (r->card_present && st[i].cbAtr <= sizeof(r->atr)) {
			memcpy(r->atr, st[i].rgbAtr, st[i].cbAtr);
			r->atr_len = st[i].cbAtr;
		}
	}
	return 0;
}

int cs_pcsc_list_readers(struct cs_pcsc_reader *readers, size_t max, size_t *n,
			 struct cs_errinfo *ei)
{
	SCARDCONTEXT ctx;
	int err;

	if (!readers || !n)
		return cs_error(ei, CS_ERR_ARG, -1, "no reader list");
	*n = 0;
	err = establish(&ctx, ei);
	if (err)
		return err;
	err = list_in(ctx, readers, max, n, ei);
	SCardReleaseContext(ctx);
	return err;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

static bool usable(const struct cs_pcsc_reader *r)
{
	return r->card_present && !r->card_mute;
}

/* Index of the reader `want` names among rs (see cs_pcsc_pick_reader), or a negative error. */
static int choose(const struct cs_pcsc_reader *rs, size_t n, const char *want,
		  struct cs_errinfo *ei)
{
	int first_match = -1;

	if (n == 0)
		return cs_error(ei, CS_ERR_NO_READER, -1,
				"no card reader found (is it plugged in?)");
	if (!want || !*want) {
		for (size_t i = 0; i < n; i++)
			if (usable(&rs[i]))
				return (int)i;
		if (n == 1)
			return cs_error(ei, CS_ERR_NO_CARD, -1, "no card in reader '%s'",
					rs[0].name);
		return cs_error(ei, CS_ERR_NO_CARD, -1, "no card in any of the %zu readers", n);
	}
	if (all_digits(want)) {
		unsigned long idx = strtoul(want, NULL, 10);

		if (idx >= n)
			return cs_error(ei, CS_ERR_NO_READER, -1,
					"no reader number %lu (there %s %zu: 0..%zu)", idx,
					n == 1 ? "is" : "are", n, n - 1);
		return (int)idx;
	}
	for (size_t i = 0; i < n; i++)
		if (!strcmp(rs[i].name, want))
			return (int)i;
	for (size_t i = 0; i < n; i++) {
		if (!strstr(rs[i].name, want))
			continue;
		if (usable(&rs[i]))
			return (int)i;
		if (first_match < 0)
			first_match = (int)i;
	}
	if (first_match < 0)
		return cs_error(ei, CS_ERR_NO_READER, -1, "no reader matches '%s'", want);
	return first_match;
}

int cs_pcsc_pick_reader(const char *reader, char *name, struct cs_errinfo *ei)
{
	struct cs_pcsc_reader rs[CS_PCSC_MAX_READERS];
	size_t n;
	int err, idx;

	if (!name)
		return cs_error(ei, CS_ERR_ARG, -1, "no name buffer");
	err = cs_pcsc_list_readers(rs, CS_PCSC_MAX_READERS, &n, ei);
	if (err)
		return err;
	idx = choose(rs, n, reader, ei);
	if (idx < 0)
		return idx;
	snprintf(name, CS_PCSC_MAX_NAME, "%s", rs[idx].name);
	return 0;
}

static struct pcsc_transport *pt_of(struct cs_transport *t)
{
	return (struct pcsc_transport *)t;
}

/* After an empty answer: is the card gone? pcscd may need a moment to notice. */
static bool card_gone(struct pcsc_transport *p)
{
	SCARD_READERSTATE st;
	LONG rv;

	memset(&st, 0, sizeof(st));
	st.szReader = p->reader;
	st.dwCurrentState = SCARD_STATE_UNAWARE;
	rv = SCardGetStatusChange(p->ctx, 0, &st, 1);
	if (rv != SCARD_S_SUCCESS && rv != SCARD_E_TIMEOUT)
		return true;
	if (!(st.dwEventState & SCARD_STATE_PRESENT))
		return true;
	st.dwCurrentState = st.dwEventState & ~(DWORD)SCARD_STATE_CHANGED;
	rv = SCardGetStatusChange(p->ctx, GONE_WAIT_MS, &st, 1);
	if (rv == SCARD_E_TIMEOUT)
		return false;
	return rv != SCARD_S_SUCCESS || !(st.dwEventState & SCARD_STATE_PRESENT);
}

static int pcsc_transmit(struct cs_transport *t, const uint8_t *capdu, size_t clen, uint8_t *rapdu,
			 size_t *rlen, struct cs_errinfo *ei)
{
	struct pcsc_transport *p = pt_of(t);
	const SCARD_IO_REQUEST *pci = p->proto == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1;
	DWORD len = *rlen > CS_RAPDU_MAX ? CS_RAPDU_MAX : (DWORD)*rlen;
	char nb[16];
	LONG rv;

	rv = SCardTransmit(p->card, pci, capdu, (DWORD)clen, NULL, rapdu, &len);
	if (rv != SCARD_S_SUCCESS)
		return map_err(rv, p->reader, ins_name(capdu, clen, nb, sizeof(nb)), ei);
	if (len < 2) {
		/* pcsc-lite reports a lost card link (vpcd) as an empty answer */
		if (card_gone(p))
			return map_err(SCARD_W_REMOVED_CARD, p->reader,
				       ins_name(capdu, clen, nb, sizeof(nb)), ei);
		return cs_error(ei, CS_ERR_TRANSPORT, -1, "card in '%s' gave no answer to %s",
				p->reader, ins_name(capdu, clen, nb, sizeof(nb)));
	}
	if (capdu[1] == 0x20 && clen > 5 && rapdu[len - 2] == 0x90 && rapdu[len - 1] == 0x00)
		p->pin_verified = true;
	*rlen = len;
	return 0;
}

static int pcsc_begin(struct cs_transport *t, struct cs_errinfo *ei)
{
	struct pcsc_transport *p = pt_of(t);
	LONG rv = SCardBeginTransaction(p->card);

	if (rv == SCARD_W_RESET_CARD) {
		/* The reset undid nothing of ours yet: reconnect once, here only. */
		rv = SCardReconnect(p->card, SCARD_SHARE_SHARED,
				    SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, SCARD_LEAVE_CARD,
				    &p->proto);
		if (rv != SCARD_S_SUCCESS)
			return map_err(rv, p->reader, NULL, ei);
		t->t0 = p->proto == SCARD_PROTOCOL_T0;
		rv = SCardBeginTransaction(p->card);
	}
	if (rv != SCARD_S_SUCCESS)
		return map_err(rv, p->reader, NULL, ei);
	p->in_transaction = true;
	return 0;
}

static int pcsc_end(struct cs_transport *t)
{
	struct pcsc_transport *p = pt_of(t);
	LONG rv;

	if (!p->in_transaction)
		return 0;
	p->in_transaction = false;
	/* a verified PIN must not stay verified for the next application */
	rv = SCardEndTransaction(p->card, p->pin_verified ? SCARD_RESET_CARD : SCARD_LEAVE_CARD);
	p->pin_verified = false;
	return rv == SCARD_S_SUCCESS ? 0 : map_err(rv, p->reader, "end of transaction", NULL);
}

static int pcsc_atr(struct cs_transport *t, uint8_t *atr, size_t *len)
{
	struct pcsc_transport *p = pt_of(t);
	char rname[CS_PCSC_MAX_NAME + 1];
	DWORD rlen = sizeof(rname), state, proto;
	BYTE buf[MAX_ATR_SIZE];
	DWORD alen = sizeof(buf);
	LONG rv;

	rv = SCardStatus(p->card, rname, &rlen, &state, &proto, buf, &alen);
	if (rv != SCARD_S_SUCCESS)
		return map_err(rv, p->reader, "reading the ATR", NULL);
	if (alen > *len)
		return CS_ERR_LIMIT;
	memcpy(atr, buf, alen);
	*len = alen;
	return 0;
}

static void pcsc_destroy(struct cs_transport *t)
{
	struct pcsc_transport *p = pt_of(t);

	if (p->in_transaction)
		SCardEndTransaction(p->card, SCARD_LEAVE_CARD);
	SCardDisconnect(p->card, p->pin_verified ? SCARD_RESET_CARD : SCARD_LEAVE_CARD);
	SCardReleaseContext(p->ctx);
	free(p);
}

static const struct cs_transport_ops pcsc_ops = {
	.name = "pcsc",
	.transmit = pcsc_transmit,
	.begin = pcsc_begin,
	.end = pcsc_end,
	.atr = pcsc_atr,
	.destroy = pcsc_destroy,
};

int cs_pcsc_open(const char *reader, struct cs_transport **out, struct cs_errinfo *ei)
{
	struct cs_pcsc_reader rs[CS_PCSC_MAX_READERS];
	struct pcsc_transport *p;
	size_t n;
	int err, idx;
	LONG rv;

	if (!out)
		return cs_error(ei, CS_ERR_ARG, -1, "no transport pointer");
	*out = NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return CS_ERR_NOMEM;
	err = establish(&p->ctx, ei);
	if (err) {
		free(p);
		return err;
	}
	err = list_in(p->ctx, rs, CS_PCSC_MAX_READERS, &n, ei);
	idx = err ? err : choose(rs, n, reader, ei);
	if (idx < 0) {
		SCardReleaseContext(p->ctx);
		free(p);
		return idx;
	}
	snprintf(p->reader, sizeof(p->reader), "%s", rs[idx].name);
	rv = SCardConnect(p->ctx, p->reader, SCARD_SHARE_SHARED,
			  SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &p->card, &p->proto);
	if (rv != SCARD_S_SUCCESS) {
		err = map_err(rv, p->reader, NULL, ei);
		SCardReleaseContext(p->ctx);
		free(p);
		return err;
	}
	p->t.ops = &pcsc_ops;
	p->t.ctx = p;
	p->t.t0 = p->proto == SCARD_PROTOCOL_T0;
	p->t.max_rsp_data = 256;
	p->t.max_cmd_data = 255;
	p->t.layer = "pcsc";
	*out = &p->t;
	return 0;
}

const char *cs_pcsc_reader_name(const struct cs_transport *t)
{
	if (!t || t->ops != &pcsc_ops)
		return "";
	return ((const struct pcsc_transport *)t)->reader;
}

static bool matches(const char *name, const char *want)
{
	if (!want || !*want)
		return true;
	return !strcmp(name, want) || strstr(name, want) != NULL;
}

static long elapsed_ms(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)(now.tv_sec - start->tv_sec) * 1000 +
	       (long)(now.tv_nsec - start->tv_nsec) / 1000000;
}

/* One round: returns 1 when a matching card is present (name filled), 0 after a change. */
static int wait_round(SCARDCONTEXT ctx, const char *want, long timeout_ms,
		      const struct timespec *start, char *name, struct cs_errinfo *ei)
{
	char names_buf[NAMES_SIZE];
	const char *names[CS_PCSC_MAX_READERS];
	SCARD_READERSTATE st[CS_PCSC_MAX_READERS + 1];
	size_t nn, nst = 0, idx_by_number = SIZE_MAX;
	DWORD wait;
	LONG rv;
	int err;

	err = list_names(ctx, names_buf, sizeof(names_buf), names, CS_PCSC_MAX_READERS, &nn, ei);
	if (err)
		return err;
	if (want && all_digits(want))
		idx_by_number = strtoul(want, NULL, 10);
	memset(st, 0, sizeof(st));
	for (size_t i = 0; i < nn; i++) {
		if (idx_by_number != SIZE_MAX ? i != idx_by_number : !matches(names[i], want))
			continue;
		st[nst].szReader = names[i];
		st[nst++].dwCurrentState = SCARD_STATE_UNAWARE;
	}
	st[nst].szReader = PNP_READER;
	st[nst].dwCurrentState = SCARD_STATE_UNAWARE;
	rv = SCardGetStatusChange(ctx, 0, st, (DWORD)(nst + 1));
	if (rv != SCARD_S_SUCCESS && rv != SCARD_E_TIMEOUT)
		return map_err(rv, NULL, NULL, ei);
	for (size_t i = 0; i < nst; i++) {
		DWORD s = st[i].dwEventState;

		if ((s & SCARD_STATE_PRESENT) && !(s & SCARD_STATE_MUTE)) {
			snprintf(name, CS_PCSC_MAX_NAME, "%s", st[i].szReader);
			return 1;
		}
	}
	for (size_t i = 0; i <= nst; i++)
		st[i].dwCurrentState = st[i].dwEventState & ~SCARD_STATE_CHANGED;
	if (timeout_ms < 0) {
		wait = INFINITE;
	} else {
		long left = timeout_ms - elapsed_ms(start);

		if (left <= 0)
			return cs_error(ei, CS_ERR_TIMEOUT, -1, "no card was inserted in time");
		wait = (DWORD)left;
	}
	rv = SCardGetStatusChange(ctx, wait, st, (DWORD)(nst + 1));
	if (rv == SCARD_E_TIMEOUT)
		return cs_error(ei, CS_ERR_TIMEOUT, -1, "no card was inserted in time");
	/* A reader that went away while we waited: list again. */
	if (rv == SCARD_E_UNKNOWN_READER || rv == SCARD_E_READER_UNAVAILABLE)
		return 0;
	if (rv != SCARD_S_SUCCESS)
		return map_err(rv, NULL, NULL, ei);
	return 0;
}

int cs_pcsc_wait(const char *reader, long timeout_ms, char *name, struct cs_errinfo *ei)
{
	struct timespec start;
	SCARDCONTEXT ctx;
	int err;

	if (!name)
		return cs_error(ei, CS_ERR_ARG, -1, "no name buffer");
	clock_gettime(CLOCK_MONOTONIC, &start);
	err = establish(&ctx, ei);
	if (err)
		return err;
	do
		err = wait_round(ctx, reader, timeout_ms, &start, name, ei);
	while (err == 0);
	SCardReleaseContext(ctx);
	return err > 0 ? 0 : err;
}
