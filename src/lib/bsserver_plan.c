/* SPDX-License-Identifier: MIT */
/*
 * The pure parts of the Bootstrap-Server: Discover answers, the plan of a
 * session and the write payloads. No I/O here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cardstrap/bsserver.h"
#include "cardstrap/objects.h"
#include "cardstrap/senml.h"

#define MAX_ID 65535 /* reserved (Core TS identifiers table) */

/* ---- link-format (RFC 6690 §2) ---- */

struct lf {
	const uint8_t *p;
	size_t len, pos;
};

static bool lf_ws(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void lf_skip_ws(struct lf *s)
{
	while (s->pos < s->len && lf_ws(s->p[s->pos]))
		s->pos++;
}

static bool lf_peek(const struct lf *s, uint8_t c)
{
	return s->pos < s->len && s->p[s->pos] == c;
}

/* A parameter value, quoted (with '\' escapes) or a ptoken; copied NUL-terminated and truncated. */
static int lf_value(struct lf *s, char *out, size_t n, struct cs_errinfo *ei)
{
	size_t k = 0;

	if (lf_peek(s, '"')) {
		size_t start = s->pos++;

		for (;;) {
			uint8_t c;

			if (s->pos >= s->len)
				return cs_error(
					ei, CS_ERR_MALFORMED, (long)start,
					"Discover answer: quoted string at byte %zu is not closed",
					start);
			c = s->p[s->pos++];
			if (c == '"')
				break;
			if (c == '\\') {
				if (s->pos >= s->len)
					continue;
				c = s->p[s->pos++];
			}
			if (k + 1 < n)
				out[k++] = (char)c;
		}
	} else {
		while (s->pos < s->len && s->p[s->pos] != ';' && s->p[s->pos] != ',' &&
		       !lf_ws(s->p[s->pos])) {
			if (k + 1 < n)
				out[k++] = (char)s->p[s->pos];
			s->pos++;
		}
	}
	if (n)
		out[k] = '\0';
	return 0;
}

/* Decimal 0..max with nothing else; false otherwise. */
static bool parse_dec(const char *t, size_t len, unsigned long max, unsigned long *v)
{
	unsigned long x = 0;

	if (!len || len > 10)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (t[i] < '0' || t[i] > '9')
			return false;
		x = x * 10 + (unsigned long)(t[i] - '0');
	}
	if (x > max)
		return false;
	*v = x;
	return true;
}

enum { URI_SKIP, URI_ROOT, URI_OBJECT, URI_INSTANCE };

/* Classifies a link target: "/", "/O", "/O/I"; resource links and other paths are skipped. */
static int lf_uri(const char *u, size_t len, long off, uint16_t ids[2], struct cs_errinfo *ei)
{
	size_t depth = 0, i = 0;

	if (len == 0 || u[0] != '/')
		return URI_SKIP;
	if (len == 1)
		return URI_ROOT;
	while (i < len) {
		size_t start = ++i;
		unsigned long v;

		while (i < len && u[i] != '/')
			i++;
		if (i == start || u[start] < '0' || u[start] > '9')
			return URI_SKIP;
		if (!parse_dec(u + start, i - start, MAX_ID - 1, &v)) {
			for (size_t k = start; k < i; k++)
				if (u[k] < '0' || u[k] > '9')
					return URI_SKIP;
			return cs_error(ei, CS_ERR_MALFORMED, off + (long)start,
					"Discover answer: id %.*s at byte %ld is outside 0..65534",
					(int)(i - start), u + start, off + (long)start);
		}
		if (depth >= 2)
			return URI_SKIP; /* a resource or resource instance */
		ids[depth++] = (uint16_t)v;
	}
	return depth == 1 ? URI_OBJECT : URI_INSTANCE;
}

/* Arrays without a stored capacity grow at 0, 8, 16, 32, ... elements. */
static bool must_grow(size_t n)
{
	return n == 0 || (n >= 8 && (n & (n - 1)) == 0);
}

static int add_link(struct cs_bs_discover *d, const struct cs_bs_link *l)
{
	if (must_grow(d->nlinks)) {
		size_t cap = d->nlinks ? d->nlinks * 2 : 8;
		struct cs_bs_link *p = realloc(d->links, cap * sizeof(*p));

		if (!p)
			return CS_ERR_NOMEM;
		d->links = p;
	}
	d->links[d->nlinks++] = *l;
	return 0;
}

/* The parameters after a link (or a bare 1.0 `lwm2m="1.0"` element). */
static int lf_params(struct lf *s, struct cs_bs_discover *d, struct cs_bs_link *l, bool bare,
		     struct cs_errinfo *ei)
{
	for (;;) {
		char name[16], val[64];
		size_t nstart, k = 0;
		long voff;

		lf_skip_ws(s);
		if (!bare) {
			if (!lf_peek(s, ';'))
				return 0;
			s->pos++;
			lf_skip_ws(s);
		}
		bare = false;
		nstart = s->pos;
		while (s->pos < s->len && !strchr("=;,", s->p[s->pos]) && !lf_ws(s->p[s->pos])) {
			if (k + 1 < sizeof(name))
				name[k++] = (char)s->p[s->pos];
			s->pos++;
		}
		name[k] = '\0';
		if (s->pos == nstart)
			return cs_error(ei, CS_ERR_MALFORMED, (long)s->pos,
					"Discover answer: parameter name expected at byte %zu",
					s->pos);
		lf_skip_ws(s);
		val[0] = '\0';
		voff = (long)s->pos;
		if (lf_peek(s, '=')) {
			int err;

			s->pos++;
			lf_skip_ws(s);
			voff = (long)s->pos;
			err = lf_value(s, val, sizeof(val), ei);
			if (err)
				return err;
		}
		if (!strcmp(name, "lwm2m")) {
			snprintf(d->lwm2m, sizeof(d->lwm2m), "%s", val);
		} else if (l && !strcmp(name, "ssid")) {
			unsigned long v;

			if (!parse_dec(val, strlen(val), MAX_ID, &v))
				return cs_error(ei, CS_ERR_MALFORMED, voff,
						"Discover answer: ssid \"%.16s\" at byte %ld is "
						"not a number",
						val, voff);
			l->ssid = (int32_t)v;
		} else if (l && !strcmp(name, "ver")) {
			snprintf(l->ver, sizeof(l->ver), "%s", val);
		}
	}
}

int cs_bs_discover_parse(const uint8_t *buf, size_t len, struct cs_bs_discover *out,
			 struct cs_errinfo *ei)
{
	struct lf s = {buf, len, 0};
	int err = 0;

	memset(out, 0, sizeof(*out));
	if (!buf && len)
		return cs_error(ei, CS_ERR_ARG, -1, "no Discover answer");
	for (;;) {
		lf_skip_ws(&s);
		if (s.pos >= s.len)
			break;
		if (lf_peek(&s, ',')) {
			s.pos++;
			continue;
		}
		if (lf_peek(&s, '<')) {
			struct cs_bs_link l = {.iid = -1, .ssid = -1};
			size_t start = ++s.pos;
			uint16_t ids[2] = {0, 0};
			int kind;

			while (s.pos < s.len && s.p[s.pos] != '>')
				s.pos++;
			if (s.pos >= s.len) {
				err = cs_error(ei, CS_ERR_MALFORMED, (long)start - 1,
					       "Discover answer: '<' at byte %zu is not closed",
					       start - 1);
				break;
			}
			kind = lf_uri((const char *)s.p + start, s.pos - start, (long)start, ids,
				      ei);
			s.pos++;
			if (kind < 0) {
				err = kind;
				break;
			}
			l.oid = ids[0];
			if (kind == URI_INSTANCE)
				l.iid = ids[1];
			err = lf_params(&s, out,
					kind == URI_OBJECT || kind == URI_INSTANCE ? &l : NULL,
					false, ei);
			if (err)
				break;
			if (kind == URI_OBJECT || kind == URI_INSTANCE) {
				err = add_link(out, &l);
				if (err)
					break;
			}
		} else {
			/* Core 1.0 form: `lwm2m="1.0"` as its own element (Core TS §5.2.7.3) */
			err = lf_params(&s, out, NULL, true, ei);
			if (err)
				break;
		}
		lf_skip_ws(&s);
		if (s.pos < s.len && !lf_peek(&s, ',')) {
			err = cs_error(ei, CS_ERR_MALFORMED, (long)s.pos,
				       "Discover answer: ',' expected at byte %zu", s.pos);
			break;
		}
	}
	if (err)
		cs_bs_discover_free(out);
	return err;
}

void cs_bs_discover_free(struct cs_bs_discover *d)
{
	free(d->links);
	memset(d, 0, sizeof(*d));
}

int32_t cs_bs_discover_bootstrap_iid(const struct cs_bs_discover *d)
{
	for (size_t i = 0; i < d->nlinks; i++)
		if (d->links[i].oid == 0 && d->links[i].iid >= 0 && d->links[i].ssid < 0)
			return d->links[i].iid;
	return -1;
}

/* ---- the plan ---- */

struct idset {
	struct {
		uint16_t oid, iid;
	} * v;
	size_t n, cap;
};

static int idset_add(struct idset *s, uint16_t oid, uint16_t iid)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		void *p = realloc(s->v, cap * sizeof(*s->v));

		if (!p)
			return CS_ERR_NOMEM;
		s->v = p;
		s->cap = cap;
	}
	s->v[s->n].oid = oid;
	s->v[s->n].iid = iid;
	s->n++;
	return 0;
}

static bool idset_has(const struct idset *s, uint16_t oid, uint16_t iid)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].oid == oid && s->v[i].iid == iid)
			return true;
	return false;
}

static int add_op(struct cs_bs_plan *p, const struct cs_bs_op *op)
{
	if (must_grow(p->nops)) {
		size_t cap = p->nops ? p->nops * 2 : 8;
		void *n = realloc(p->ops, cap * sizeof(*p->ops));

		if (!n)
			return CS_ERR_NOMEM;
		p->ops = n;
	}
	p->ops[p->nops++] = *op;
	return 0;
}

static int add_remap(struct cs_bs_plan *p, uint16_t oid, uint16_t from, uint16_t to)
{
	struct cs_bs_remap *n = realloc(p->remaps, (p->nremaps + 1) * sizeof(*n));

	if (!n)
		return CS_ERR_NOMEM;
	p->remaps = n;
	p->remaps[p->nremaps++] = (struct cs_bs_remap){oid, from, to};
	return 0;
}

static bool remappable(uint16_t oid)
{
	return oid <= 2;
}

/* Target id already chosen for card instance oid/iid, -1 when none yet. */
static int32_t assigned(const struct idset *from, const struct idset *to, uint16_t oid,
			uint16_t iid)
{
	for (size_t i = 0; i < from->n; i++)
		if (from->v[i].oid == oid && from->v[i].iid == iid)
			return to->v[i].iid;
	return -1;
}

/* Card has a server account: a non-BS Security instance or a Server instance. */
static bool card_has_servers(const struct cs_model *m)
{
	for (size_t o = 0; o < m->nobj; o++) {
		const struct cs_object *obj = &m->obj[o];

		for (size_t i = 0; i < obj->ninst; i++)
			if (obj->id == 1 ||
			    (obj->id == 0 && !cs_security_is_bootstrap(&obj->inst[i])))
				return true;
	}
	return false;
}

static int plan_deletes(struct cs_bs_plan *p, const struct cs_model *m,
			const struct cs_bs_discover *d, const struct cs_bs_plan_opts *opts,
			struct idset *kept)
{
	bool servers = card_has_servers(m);
	int err = 0;

	if (opts->delete_all) {
		/* Core TS §5.2.7.5 Bootstrap-Delete: DELETE / spares the BS account and /3/0 */
		err = add_op(p, &(struct cs_bs_op){CS_BS_OP_DELETE, -1, -1, NULL, false});
	} else if (servers) {
		for (size_t i = 0; i < d->nlinks && !err; i++) {
			const struct cs_bs_link *l = &d->links[i];

			/* never the client's BS account, even when listed with an ssid too */
			if (l->oid == 0 && l->iid >= 0 && l->ssid >= 0 &&
			    l->iid != p->client_bs_iid)
				err = add_op(p, &(struct cs_bs_op){CS_BS_OP_DELETE, 0, l->iid, NULL,
								   false});
		}
		if (!err)
			err = add_op(p, &(struct cs_bs_op){CS_BS_OP_DELETE, 1, -1, NULL, false});
	}
	for (size_t i = 0; i < d->nlinks && !err; i++) {
		const struct cs_bs_link *l = &d->links[i];
		bool bs = l->oid == 0 && l->ssid < 0;

		if (l->iid < 0)
			continue;
		if (opts->delete_all ? (bs || (l->oid == 3 && l->iid == 0))
				     : (!servers || bs || l->oid > 1))
			err = idset_add(kept, l->oid, (uint16_t)l->iid);
	}
	return err;
}

static int lowest_free(const struct idset *kept, const struct idset *targets, uint16_t oid,
		       int32_t reserved)
{
	for (uint32_t id = 0; id < MAX_ID; id++)
		if ((int32_t)id != reserved && !idset_has(kept, oid, (uint16_t)id) &&
		    !idset_has(targets, oid, (uint16_t)id))
			return (int)id;
	return -1;
}

int cs_bs_plan_make(const struct cs_model *m, const struct cs_bs_discover *d,
		    const struct cs_bs_plan_opts *opts, struct cs_bs_plan *out,
		    struct cs_errinfo *ei)
{
	struct idset kept = {0}, from = {0}, to = {0};
	const struct cs_instance *card_bs = NULL;
	int32_t bs_target = -1;
	int err;

	memset(out, 0, sizeof(*out));
	out->client_bs_iid = cs_bs_discover_bootstrap_iid(d);
	for (size_t o = 0; o < m->nobj; o++) {
		const struct cs_object *obj = &m->obj[o];

		for (size_t i = 0; obj->id == 0 && i < obj->ninst; i++) {
			if (!cs_security_is_bootstrap(&obj->inst[i]))
				continue;
			if (card_bs && card_bs->id != obj->inst[i].id)
				return cs_error(ei, CS_ERR_INVALID, obj->inst[i].offset,
						"the card holds more than one Bootstrap-Server "
						"account (/0/%u and /0/%u)",
						card_bs->id, obj->inst[i].id);
			card_bs = &obj->inst[i]; /* a later record's copy wins */
		}
	}

	err = plan_deletes(out, m, d, opts, &kept);
	if (err)
		goto fail;

	if (card_bs && opts->bs_account == CS_BS_ACCOUNT_SKIP) {
		out->bs_account_skipped = true;
	} else if (card_bs) {
		bs_target = out->client_bs_iid;
		if (bs_target < 0 && !idset_has(&kept, 0, card_bs->id))
			bs_target = card_bs->id;
		if (bs_target < 0)
			bs_target = lowest_free(&kept, &to, 0, -1);
		if (bs_target < 0) {
			err = cs_error(ei, CS_ERR_LIMIT, -1, "no free Security instance id");
			goto fail;
		}
	}

	for (size_t o = 0; o < m->nobj; o++) {
		const struct cs_object *obj = &m->obj[o];

		for (size_t i = 0; i < obj->ninst; i++) {
			const struct cs_instance *inst = &obj->inst[i];
			/* ninst > 0, so inst is set; the analyzer does not know that invariant */
			/* NOLINTNEXTLINE(clang-analyzer-core.NullDereference) */
			struct cs_bs_op op = {CS_BS_OP_WRITE, obj->id, inst->id, inst, false};
			int32_t t;

			if (obj->id == 0 && cs_security_is_bootstrap(inst))
				continue;
			t = remappable(obj->id) ? assigned(&from, &to, obj->id, inst->id)
						: inst->id;
			if (t < 0) {
				t = inst->id;
				if (idset_has(&kept, obj->id, inst->id) ||
				    idset_has(&to, obj->id, inst->id) ||
				    (obj->id == 0 && t == bs_target))
					t = lowest_free(&kept, &to, obj->id,
							obj->id == 0 ? bs_target : -1);
				if (t < 0) {
					err = cs_error(ei, CS_ERR_LIMIT, -1,
						       "no free instance id in object %u", obj->id);
					goto fail;
				}
				if ((err = idset_add(&from, obj->id, inst->id)) != 0 ||
				    (err = idset_add(&to, obj->id, (uint16_t)t)) != 0)
					goto fail;
				if (t != inst->id &&
				    (err = add_remap(out, obj->id, inst->id, (uint16_t)t)) != 0)
					goto fail;
			}
			op.iid = t;
			if ((err = add_op(out, &op)) != 0)
				goto fail;
		}
	}
	if (card_bs && bs_target >= 0) {
		struct cs_bs_op op = {CS_BS_OP_WRITE, 0, bs_target, card_bs, true};

		if (bs_target != card_bs->id &&
		    (err = add_remap(out, 0, card_bs->id, (uint16_t)bs_target)) != 0)
			goto fail;
		if ((err = add_op(out, &op)) != 0)
			goto fail;
	}
	err = add_op(out, &(struct cs_bs_op){CS_BS_OP_FINISH, -1, -1, NULL, false});
	if (err)
		goto fail;
	free(kept.v);
	free(from.v);
	free(to.v);
	return 0;
fail:
	free(kept.v);
	free(from.v);
	free(to.v);
	cs_bs_plan_free(out);
	if (err == CS_ERR_NOMEM)
		cs_error(ei, err, -1, "out of memory");
	return err;
}

void cs_bs_plan_free(struct cs_bs_plan *p)
{
	free(p->ops);
	free(p->remaps);
	memset(p, 0, sizeof(*p));
	p->client_bs_iid = -1;
}

const char *cs_bs_op_method(const struct cs_bs_op *op)
{
	switch (op->kind) {
	case CS_BS_OP_DELETE: return "DELETE";
	case CS_BS_OP_WRITE: return "PUT";
	case CS_BS_OP_FINISH: return "POST";
	}
	return "?";
}

void cs_bs_op_path(const struct cs_bs_op *op, char *buf, size_t n)
{
	if (op->kind == CS_BS_OP_FINISH)
		snprintf(buf, n, "/bs");
	else if (op->oid < 0)
		snprintf(buf, n, "/");
	else if (op->iid < 0)
		snprintf(buf, n, "/%d", (int)op->oid);
	else
		snprintf(buf, n, "/%d/%d", (int)op->oid, (int)op->iid);
}

static int dump_to_buf(const char *p, size_t n, void *arg)
{
	return cs_buf_append(arg, p, n) ? -1 : 0;
}

int cs_bs_op_payload(const struct cs_bs_op *op, int content_format, struct cs_buf *out)
{
	struct cs_instance copy;
	json_t *j;
	int err;

	if (op->kind != CS_BS_OP_WRITE || !op->inst || op->oid < 0 || op->iid < 0)
		return CS_ERR_ARG;
	if (content_format == CS_CF_TLV)
		return cs_model_encode_instance_tlv(op->inst, out);
	if (content_format != CS_CF_SENML_JSON)
		return CS_ERR_UNSUPPORTED;
	/* SenML names carry the instance id: name the target, not the card's id */
	copy = *op->inst;
	copy.id = (uint16_t)op->iid;
	j = cs_senml_from_instance((uint16_t)op->oid, &copy, CS_SENML_SHOW_SECRETS);
	if (!j)
		return CS_ERR_NOMEM;
	err = json_dump_callback(j, dump_to_buf, out, JSON_COMPACT) ? CS_ERR_NOMEM : 0;
	json_decref(j);
	return err;
}
