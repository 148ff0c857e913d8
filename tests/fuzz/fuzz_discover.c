/* SPDX-License-Identifier: MIT */
/*
 * A client's Bootstrap-Discover answer (cs_bs_discover_parse), and the plan
 * the Bootstrap-Server makes from it for a fixed card (BS account, two
 * server accounts, Access Control), checked against the injection rules
 * (README "Injecting the card into the local LwM2M client"): the client's BS instance is never deleted
 * nor written with a server account, no bare DELETE / unless asked, at most
 * one BS account written (over the client's), Finish last.
 */
#include <string.h>

#include "cardstrap/bsserver.h"
#include "common.h"

static struct cs_model card;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_card_model(&card);
	return 0;
}

static void check_links(const struct cs_bs_discover *d)
{
	int32_t bs = cs_bs_discover_bootstrap_iid(d);

	FUZZ_CHECK(memchr(d->lwm2m, '\0', sizeof(d->lwm2m)) != NULL);
	FUZZ_CHECK(d->nlinks == 0 || d->links != NULL);
	for (size_t i = 0; i < d->nlinks; i++) {
		const struct cs_bs_link *l = &d->links[i];

		FUZZ_CHECK(l->oid <= 65534);
		FUZZ_CHECK(l->iid >= -1 && l->iid <= 65534);
		FUZZ_CHECK(l->ssid >= -1 && l->ssid <= 65535);
		FUZZ_CHECK(memchr(l->ver, '\0', sizeof(l->ver)) != NULL);
	}
	FUZZ_CHECK(bs >= -1 && bs <= 65534);
}

static bool listed(const struct cs_bs_discover *d, uint16_t oid, int32_t iid)
{
	for (size_t i = 0; i < d->nlinks; i++)
		if (d->links[i].oid == oid && d->links[i].iid == iid)
			return true;
	return false;
}

static bool bs_link(const struct cs_bs_discover *d, int32_t iid)
{
	for (size_t i = 0; i < d->nlinks; i++)
		if (d->links[i].oid == 0 && d->links[i].iid == iid && d->links[i].ssid < 0)
			return true;
	return false;
}

/* A client instance that the plan's Deletes leave in place (Core TS §5.2.7.5: DELETE / spares BS and /3/0). */
static bool kept(const struct cs_bs_discover *d, const struct cs_bs_plan *p, uint16_t oid,
		 int32_t iid)
{
	if (!listed(d, oid, iid))
		return false;
	for (size_t i = 0; i < p->nops; i++) {
		const struct cs_bs_op *op = &p->ops[i];

		if (op->kind != CS_BS_OP_DELETE)
			continue;
		if (op->oid < 0 && !(oid == 0 && bs_link(d, iid)) && !(oid == 3 && iid == 0))
			return false;
		if (op->oid == oid && (op->iid < 0 || op->iid == iid))
			return false;
	}
	return true;
}

static void check_plan(const struct cs_bs_discover *d, const struct cs_bs_plan_opts *opts)
{
	struct cs_bs_plan p;
	struct cs_errinfo ei;
	size_t bs_writes = 0;
	int err;

	err = cs_bs_plan_make(&card, d, opts, &p, &ei);
	if (err) {
		FUZZ_CHECK(err == CS_ERR_LIMIT);
		return;
	}
	FUZZ_CHECK(p.client_bs_iid == cs_bs_discover_bootstrap_iid(d));
	FUZZ_CHECK(p.nops > 0 && p.ops[p.nops - 1].kind == CS_BS_OP_FINISH);
	for (size_t i = 0; i < p.nops; i++) {
		const struct cs_bs_op *op = &p.ops[i];
		char path[CS_BS_PATH_MAX];

		cs_bs_op_path(op, path, sizeof(path));
		FUZZ_CHECK(path[0] == '/');
		FUZZ_CHECK(op->kind != CS_BS_OP_FINISH || i == p.nops - 1);
		if (op->kind == CS_BS_OP_DELETE) {
			FUZZ_CHECK(op->oid >= 0 || opts->delete_all);
			FUZZ_CHECK(!(op->oid == 0 && op->iid >= 0 && op->iid == p.client_bs_iid));
			FUZZ_CHECK(op->iid < 0 || listed(d, (uint16_t)op->oid, op->iid));
		}
		if (op->kind != CS_BS_OP_WRITE)
			continue;
		FUZZ_CHECK(op->inst != NULL && op->oid >= 0 && op->iid >= 0 && op->iid <= 65534);
		if (op->bootstrap_account) {
			bs_writes++;
			FUZZ_CHECK(opts->bs_account == CS_BS_ACCOUNT_HANDOVER);
			FUZZ_CHECK(op->oid == 0 && i == p.nops - 2);
			FUZZ_CHECK(p.client_bs_iid < 0 || op->iid == p.client_bs_iid);
			FUZZ_CHECK(op->iid == p.client_bs_iid || !kept(d, &p, 0, op->iid));
		} else {
			/* a server account never lands on the client's BS account */
			FUZZ_CHECK(!(op->oid == 0 && op->iid == p.client_bs_iid));
			/* nor on anything of 0/1/2 the client keeps */
			FUZZ_CHECK(op->oid > 2 || !kept(d, &p, (uint16_t)op->oid, op->iid));
		}
		/* one write per card instance: targets of 0/1/2 do not repeat */
		for (size_t k = 0; k < i; k++)
			FUZZ_CHECK(!(p.ops[k].kind == CS_BS_OP_WRITE && p.ops[k].oid == op->oid &&
				     p.ops[k].iid == op->iid && op->oid <= 2));
	}
	FUZZ_CHECK(bs_writes == (opts->bs_account == CS_BS_ACCOUNT_HANDOVER ? 1u : 0u));
	FUZZ_CHECK(p.bs_account_skipped == (opts->bs_account == CS_BS_ACCOUNT_SKIP));
	for (size_t i = 0; i < p.nremaps; i++)
		FUZZ_CHECK(p.remaps[i].oid <= 2 && p.remaps[i].from != p.remaps[i].to);
	cs_bs_plan_free(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cs_bs_discover d;
	struct cs_errinfo ei;
	int err;

	cs_errinfo_clear(&ei);
	err = cs_bs_discover_parse(data, size, &d, &ei);
	if (err) {
		fuzz_check_error(err, &ei, size);
		FUZZ_CHECK(err == CS_ERR_MALFORMED);
		FUZZ_CHECK(d.nlinks == 0 && d.links == NULL);
		return 0;
	}
	check_links(&d);
	check_plan(&d, &(struct cs_bs_plan_opts){CS_BS_ACCOUNT_HANDOVER, false});
	check_plan(&d, &(struct cs_bs_plan_opts){CS_BS_ACCOUNT_SKIP, false});
	check_plan(&d, &(struct cs_bs_plan_opts){CS_BS_ACCOUNT_HANDOVER, true});
	cs_bs_discover_free(&d);
	return 0;
}
