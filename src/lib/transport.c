/* SPDX-License-Identifier: MIT */
#include <time.h>

#include "cardstrap/transport.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

int cs_transport_transmit(struct cs_transport *t, const uint8_t *capdu, size_t clen, uint8_t *rapdu,
			  size_t *rlen, struct cs_errinfo *ei)
{
	unsigned redact;
	double start;
	int err;

	if (!t || !t->ops || !t->ops->transmit || !capdu || clen < 4 || !rapdu || !rlen ||
	    *rlen < 2)
		return cs_error(ei, CS_ERR_ARG, -1, "invalid APDU exchange arguments");
	redact = t->redact_next;
	start = now_ms();
	/* A decorator reads redact_next to pass it on to the transport it wraps. */
	err = t->ops->transmit(t, capdu, clen, rapdu, rlen, ei);
	t->redact_next = CS_REDACT_NONE;
	if (!err && *rlen < 2)
		err = cs_error(ei, CS_ERR_TRANSPORT, -1,
			       "card answered with %zu bytes, without a status word", *rlen);
	if (t->trace)
		t->trace(t->trace_arg, t->layer ? t->layer : t->ops->name, capdu, clen,
			 err ? NULL : rapdu, err ? 0 : *rlen, err, now_ms() - start, redact);
	if (err)
		*rlen = 0;
	return err;
}

int cs_transport_begin(struct cs_transport *t, struct cs_errinfo *ei)
{
	if (!t || !t->ops)
		return cs_error(ei, CS_ERR_ARG, -1, "no transport");
	return t->ops->begin ? t->ops->begin(t, ei) : 0;
}

int cs_transport_end(struct cs_transport *t)
{
	if (!t || !t->ops)
		return CS_ERR_ARG;
	return t->ops->end ? t->ops->end(t) : 0;
}

int cs_transport_atr(struct cs_transport *t, uint8_t *atr, size_t *len)
{
	if (!t || !t->ops || !atr || !len)
		return CS_ERR_ARG;
	if (!t->ops->atr)
		return CS_ERR_UNSUPPORTED;
	return t->ops->atr(t, atr, len);
}

void cs_transport_destroy(struct cs_transport *t)
{
	if (t && t->ops && t->ops->destroy)
		t->ops->destroy(t);
}
