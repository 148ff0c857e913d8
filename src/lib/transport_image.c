/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "cardstrap/cardimg.h"

/* A card image served in process: the transport owns the image and its simulator. */
struct image_ctx {
	struct cs_cardimg *img;
	struct cs_cardsim *sim;
};

static int image_transmit(struct cs_transport *t, const uint8_t *capdu, size_t clen, uint8_t *rapdu,
			  size_t *rlen, struct cs_errinfo *ei)
{
	struct image_ctx *ctx = t->ctx;
	int err;

	err = cs_cardsim_process(ctx->sim, capdu, clen, rapdu, rlen);
	if (err == CS_ERR_LIMIT)
		return cs_error(ei, CS_ERR_TRANSPORT, -1,
				"card image: response longer than the %zu-byte buffer", *rlen);
	if (err)
		return cs_error(ei, CS_ERR_TRANSPORT, -1, "card image: %s", cs_strerror(err));
	return 0;
}

static int image_atr(struct cs_transport *t, uint8_t *atr, size_t *len)
{
	struct image_ctx *ctx = t->ctx;

	if (!atr || !len || *len < ctx->img->atr_len)
		return CS_ERR_ARG;
	memcpy(atr, ctx->img->atr, ctx->img->atr_len);
	*len = ctx->img->atr_len;
	return 0;
}

static void image_destroy(struct cs_transport *t)
{
	struct image_ctx *ctx = t->ctx;

	if (ctx) {
		cs_cardsim_free(ctx->sim);
		cs_cardimg_free(ctx->img);
		free(ctx);
	}
	free(t);
}

static const struct cs_transport_ops image_ops = {
	.name = "image",
	.transmit = image_transmit,
	.begin = NULL,
	.end = NULL,
	.atr = image_atr,
	.destroy = image_destroy,
};

int cs_image_transport_from_image(struct cs_cardimg *img, struct cs_transport **out,
				  struct cs_errinfo *ei)
{
	struct image_ctx *ctx;
	struct cs_transport *t;
	int err;

	if (!img || !out) {
		cs_cardimg_free(img);
		return cs_error(ei, CS_ERR_ARG, -1, "image transport: no image");
	}
	t = calloc(1, sizeof(*t));
	ctx = calloc(1, sizeof(*ctx));
	if (!t || !ctx) {
		free(t);
		free(ctx);
		cs_cardimg_free(img);
		return cs_error(ei, CS_ERR_NOMEM, -1, "image transport: out of memory");
	}
	ctx->img = img;
	err = cs_cardsim_new(img, &ctx->sim, ei);
	if (err) {
		t->ctx = ctx;
		image_destroy(t);
		return err;
	}
	t->ops = &image_ops;
	t->ctx = ctx;
	t->t0 = img->t0;
	t->max_rsp_data = img->max_le;
	t->max_cmd_data = img->extended_length ? 65535 : 255;
	t->layer = "image";
	*out = t;
	return 0;
}

int cs_image_transport_open(const char *path, struct cs_transport **out, struct cs_errinfo *ei)
{
	struct cs_cardimg *img;
	int err;

	err = cs_cardimg_load(path, &img, ei);
	if (err)
		return err;
	return cs_image_transport_from_image(img, out, ei);
}

struct cs_cardsim *cs_image_transport_sim(struct cs_transport *t)
{
	if (!t || t->ops != &image_ops)
		return NULL;
	return ((struct image_ctx *)t->ctx)->sim;
}
