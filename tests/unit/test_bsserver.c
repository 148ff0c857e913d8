/* SPDX-License-Identifier: MIT */
/* The pure parts of the Bootstrap-Server: Discover parsing, the plan, payloads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cardstrap/bsserver.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---- Discover (Core TS §5.2.7.3) ---- */

struct discover_case {
	const char *name;
	const char *text;
	const char *lwm2m;
	const char *links; /* "O/I:ssid" (I or ssid "-" when absent), space-separated */
	int32_t bs_iid;
};

static const struct discover_case discover_cases[] = {
	{"Core TS 1.1 Bootstrap-Discover example",
	 "</>;lwm2m=1.1,</0/0>;ssid=101;uri=\"coaps://server_1.example.com\",</0/1>,</1/"
	 "0>;ssid=101,"
	 "</3/0>,</5>,</4>",
	 "1.1", "0/0:101 0/1:- 1/0:101 3/0:- 5/-:- 4/-:-", 1},
	{"Core TS 1.0 Bootstrap-Discover example (bare lwm2m element)",
	 "lwm2m=\"1.0\",</0/0>;ssid=101,</0/1>,</0/2>;ssid=102", "1.0", "0/0:101 0/1:- 0/2:102", 1},
	{"testclient answer with object versions",
	 "</>;lwm2m=1.1,</0>;ver=1.1,</0/0>,</1>;ver=1.1,</2>,</3/0>", "1.1",
	 "0/-:- 0/0:- 1/-:- 2/-:- 3/0:-", 0},
	{"quoted uri holding , ; and an escaped quote",
	 "</0/3>;uri=\"coap://h/a,b;c\\\"d\";ssid=7,</0/4>", "", "0/3:7 0/4:-", 4},
	{"white space and line breaks between links",
	 " </0/0>;ssid=1 ,\n</0/9> ,\r\n</1/0>;ssid=1\n", "", "0/0:1 0/9:- 1/0:1", 9},
	{"resource links and foreign paths are skipped",
	 "</rd>;rt=\"core.rd\",</0/0/1>,</0/2>;ssid=3,</a/1>", "", "0/2:3", -1},
	{"no BS account shown", "</0/0>;ssid=1,</1/0>;ssid=1", "", "0/0:1 1/0:1", -1},
	{"empty answer", "", "", "", -1},
	{"unknown attributes and a valueless one are ignored", "</0/5>;dim=3;obs;ver=\"1.2\"", "",
	 "0/5:-", 5},
};

static void format_links(const struct cs_bs_discover *d, char *buf, size_t n)
{
	size_t pos = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < d->nlinks && pos < n; i++) {
		const struct cs_bs_link *l = &d->links[i];
		char iid[12] = "-", ssid[12] = "-";

		if (l->iid >= 0)
			snprintf(iid, sizeof(iid), "%d", (int)l->iid);
		if (l->ssid >= 0)
			snprintf(ssid, sizeof(ssid), "%d", (int)l->ssid);
		pos += (size_t)snprintf(buf + pos, n - pos, "%s%u/%s:%s", i ? " " : "", l->oid, iid,
					ssid);
	}
}

static void test_discover_parse(void **state)
{
	(void)state;
	for (size_t k = 0; k < COUNT(discover_cases); k++) {
		const struct discover_case *c = &discover_cases[k];
		struct cs_bs_discover d;
		struct cs_errinfo ei;
		char links[512];
		int err;

		cs_errinfo_clear(&ei);
		err = cs_bs_discover_parse((const uint8_t *)c->text, strlen(c->text), &d, &ei);
		if (err)
			fail_msg("%s: %s", c->name, ei.msg);
		format_links(&d, links, sizeof(links));
		if (strcmp(links, c->links))
			fail_msg("%s: links '%s', expected '%s'", c->name, links, c->links);
		if (strcmp(d.lwm2m, c->lwm2m))
			fail_msg("%s: lwm2m '%s', expected '%s'", c->name, d.lwm2m, c->lwm2m);
		if (cs_bs_discover_bootstrap_iid(&d) != c->bs_iid)
			fail_msg("%s: BS instance %d, expected %d", c->name,
				 (int)cs_bs_discover_bootstrap_iid(&d), (int)c->bs_iid);
		cs_bs_discover_free(&d);
	}
}

static void test_discover_ver(void **state)
{
	static const char text[] = "</0>;ver=1.1,</1>;ver=\"1.2\",</2>";
	struct cs_bs_discover d;

	(void)state;
	assert_int_equal(cs_bs_discover_parse((const uint8_t *)text, strlen(text), &d, NULL), 0);
	assert_int_equal(d.nlinks, 3);
	assert_string_equal(d.links[0].ver, "1.1");
	assert_string_equal(d.links[1].ver, "1.2");
	assert_string_equal(d.links[2].ver, "");
	cs_bs_discover_free(&d);
}

static void test_discover_many(void **state)
{
	char text[8192];
	size_t pos = 0;
	struct cs_bs_discover d;

	(void)state;
	for (int i = 0; i < 300; i++)
		pos += (size_t)snprintf(text + pos, sizeof(text) - pos, "%s</0/%d>;ssid=%d",
					i ? "," : "", i, i + 1);
	assert_int_equal(cs_bs_discover_parse((const uint8_t *)text, pos, &d, NULL), 0);
	assert_int_equal(d.nlinks, 300);
	assert_int_equal(d.links[299].iid, 299);
	assert_int_equal(d.links[299].ssid, 300);
	assert_int_equal(cs_bs_discover_bootstrap_iid(&d), -1);
	cs_bs_discover_free(&d);
}

static const struct {
	const char *text;
	long offset;
	const char *msg;
} discover_errors[] = {
	{"</0/0>;ssid=1,</0/1", 14, "'<' at byte 14 is not closed"},
	{"</0/0>;uri=\"coap://x", 11, "quoted string at byte 11 is not closed"},
	{"</0/65535>", 4, "id 65535 at byte 4 is outside 0..65534"},
	{"</0/0>;ssid=abc", 12, "ssid \"abc\" at byte 12 is not a number"},
	{"</0/0>;ssid=99999", 12, "ssid \"99999\""},
	{"</0/0> </0/1>", 7, "',' expected at byte 7"},
	{"</0/0>;=5", 7, "parameter name expected at byte 7"},
};

static void test_discover_errors(void **state)
{
	(void)state;
	for (size_t k = 0; k < COUNT(discover_errors); k++) {
		struct cs_bs_discover d;
		struct cs_errinfo ei;
		const char *t = discover_errors[k].text;

		cs_errinfo_clear(&ei);
		assert_int_equal(cs_bs_discover_parse((const uint8_t *)t, strlen(t), &d, &ei),
				 CS_ERR_MALFORMED);
		if (ei.offset != discover_errors[k].offset ||
		    !strstr(ei.msg, discover_errors[k].msg))
			fail_msg("'%s': got offset %ld '%s'", t, ei.offset, ei.msg);
		assert_null(d.links);
		assert_int_equal(d.nlinks, 0);
	}
}

/* Never reads past len: the text is cut at every length. */
static void test_discover_prefixes(void **state)
{
	static const char text[] =
		"lwm2m=\"1.0\",</0/0>;ssid=101;uri=\"coap://a;b\",</0/1>,</1/0>;ssid=101";

	(void)state;
	for (size_t n = 0; n <= strlen(text); n++) {
		uint8_t *copy = malloc(n ? n : 1);
		struct cs_bs_discover d;
		int err;

		assert_non_null(copy);
		memcpy(copy, text, n);
		err = cs_bs_discover_parse(copy, n, &d, NULL);
		assert_true(err == 0 || err == CS_ERR_MALFORMED);
		cs_bs_discover_free(&d);
		free(copy);
	}
}

/* ---- the plan ---- */

static void put_int(struct cs_instance *i, uint16_t rid, int64_t v)
{
	uint8_t b[8];
	size_t n = v >= -128 && v <= 127 ? 1 : v >= -32768 && v <= 32767 ? 2 : 4;

	for (size_t k = 0; k < n; k++)
		b[k] = (uint8_t)(v >> (8 * (n - 1 - k)));
	assert_non_null(cs_instance_add_resource(i, rid, b, n));
}

static struct cs_instance *instance(struct cs_model *m, uint16_t oid, uint16_t iid)
{
	struct cs_object *o = cs_model_find_object(m, oid);

	if (!o)
		o = cs_model_add_object(m, oid, 1, 1);
	assert_non_null(o);
	return cs_object_add_instance(o, iid);
}

/*
 * A card from a compact description: "S0:101" server Security /0/0 with SSID
 * 101, "B1" BS Security /0/1, "V0:101" Server /1/0, "A0" ACL /2/0, "X21/0"
 * an instance of another object.
 */
static void build_card(struct cs_model *m, const char *desc)
{
	char buf[256], *tok, *save = NULL;

	cs_model_init(m);
	snprintf(buf, sizeof(buf), "%s", desc);
	for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		unsigned a = 0, b = 0;
		struct cs_instance *i;
		char uri[64];

		switch (tok[0]) {
		case 'S':
			assert_int_equal(sscanf(tok + 1, "%u:%u", &a, &b), 2);
			i = instance(m, 0, (uint16_t)a);
			snprintf(uri, sizeof(uri), "coap://127.0.0.1:%u", 5600 + b);
			assert_non_null(
				cs_instance_add_resource(i, 0, (const uint8_t *)uri, strlen(uri)));
			put_int(i, 1, 0);
			put_int(i, 2, 3);
			put_int(i, 10, b);
			break;
		case 'B':
			assert_int_equal(sscanf(tok + 1, "%u", &a), 1);
			i = instance(m, 0, (uint16_t)a);
			assert_non_null(cs_instance_add_resource(
				i, 0, (const uint8_t *)"coap://bs.example", 17));
			put_int(i, 1, 1);
			put_int(i, 2, 3);
			break;
		case 'V':
			assert_int_equal(sscanf(tok + 1, "%u:%u", &a, &b), 2);
			i = instance(m, 1, (uint16_t)a);
			put_int(i, 0, b);
			put_int(i, 1, 300);
			assert_non_null(cs_instance_add_resource(i, 7, (const uint8_t *)"U", 1));
			break;
		case 'A':
			assert_int_equal(sscanf(tok + 1, "%u", &a), 1);
			i = instance(m, 2, (uint16_t)a);
			put_int(i, 0, 3);
			put_int(i, 1, 0);
			put_int(i, 3, 101);
			break;
		case 'X':
			assert_int_equal(sscanf(tok + 1, "%u/%u", &a, &b), 2);
			i = instance(m, (uint16_t)a, (uint16_t)b);
			assert_non_null(cs_instance_add_resource(i, 0, (const uint8_t *)"x", 1));
			break;
		default: fail_msg("bad card token %s", tok);
		}
	}
}

static void format_plan(const struct cs_bs_plan *p, char *buf, size_t n)
{
	size_t pos = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < p->nops && pos < n; i++) {
		char path[CS_BS_PATH_MAX];

		cs_bs_op_path(&p->ops[i], path, sizeof(path));
		pos += (size_t)snprintf(buf + pos, n - pos, "%s%s %s%s", i ? ", " : "",
					cs_bs_op_method(&p->ops[i]), path,
					p->ops[i].bootstrap_account ? "*" : "");
	}
}

static void format_remaps(const struct cs_bs_plan *p, char *buf, size_t n)
{
	size_t pos = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < p->nremaps && pos < n; i++)
		pos += (size_t)snprintf(buf + pos, n - pos, "%s/%u/%u>%u", i ? " " : "",
					p->remaps[i].oid, p->remaps[i].from, p->remaps[i].to);
}

struct plan_case {
	const char *name;
	const char *card;
	const char *discover;
	enum cs_bs_account_mode mode;
	bool delete_all;
	const char *ops;    /* "*" marks the card's BS account */
	const char *remaps; /* "/O/from>to" */
};

static const struct plan_case plan_cases[] = {
	{"factory client (BS only at /0/0): card /0/0 moves to /0/1", "S0:101 V0:101",
	 "</>;lwm2m=1.1,</0>;ver=1.1,</0/0>,</1>;ver=1.1,</2>,</3/0>", CS_BS_ACCOUNT_HANDOVER,
	 false, "DELETE /1, PUT /0/1, PUT /1/0, POST /bs", "/0/0>1"},
	{"registered client: its server accounts go, one by one, never its BS", "S0:101 V0:101",
	 "</0/0>;ssid=5,</0/1>,</0/2>;ssid=6,</1/0>;ssid=5,</1/1>;ssid=6,</3/0>",
	 CS_BS_ACCOUNT_HANDOVER, false,
	 "DELETE /0/0, DELETE /0/2, DELETE /1, PUT /0/0, PUT /1/0, POST /bs", ""},
	{"handover: the card's BS is written last, over the client's BS instance",
	 "B0 S1:101 V1:101", "</0/0>;ssid=5,</0/3>,</1/0>;ssid=5", CS_BS_ACCOUNT_HANDOVER, false,
	 "DELETE /0/0, DELETE /1, PUT /0/1, PUT /1/1, PUT /0/3*, POST /bs", "/0/0>3"},
	{"skip: the card's BS is not written", "B0 S1:101 V1:101",
	 "</0/0>;ssid=5,</0/3>,</1/0>;ssid=5", CS_BS_ACCOUNT_SKIP, false,
	 "DELETE /0/0, DELETE /1, PUT /0/1, PUT /1/1, POST /bs", ""},
	{"a card server at the client's BS id moves; the BS takes that id", "B0 S3:101 V3:101",
	 "</0/3>", CS_BS_ACCOUNT_HANDOVER, false,
	 "DELETE /1, PUT /0/0, PUT /1/3, PUT /0/3*, POST /bs", "/0/3>0 /0/0>3"},
	{"BS-only card (Nordic): nothing deleted, the BS handed over", "B0",
	 "</0/0>;ssid=5,</0/1>,</1/0>;ssid=5", CS_BS_ACCOUNT_HANDOVER, false, "PUT /0/1*, POST /bs",
	 "/0/0>1"},
	{"BS-only card with skip: only Finish", "B0", "</0/1>", CS_BS_ACCOUNT_SKIP, false,
	 "POST /bs", ""},
	{"client without a visible BS account: handover keeps the card's id", "B0 S1:7 V0:7",
	 "</0/4>;ssid=9,</1/0>;ssid=9", CS_BS_ACCOUNT_HANDOVER, false,
	 "DELETE /0/4, DELETE /1, PUT /0/1, PUT /1/0, PUT /0/0*, POST /bs", ""},
	{"--delete-all: one DELETE /, then only the BS id is taken", "S0:101 V0:101",
	 "</0/0>,</0/1>;ssid=1,</1/0>;ssid=1,</2/0>,</3/0>", CS_BS_ACCOUNT_HANDOVER, true,
	 "DELETE /, PUT /0/1, PUT /1/0, POST /bs", "/0/0>1"},
	{"kept ACL instances are not overwritten: the card's move", "S0:101 V0:101 A0 A1",
	 "</0/1>,</2/0>,</2/1>,</2/2>", CS_BS_ACCOUNT_HANDOVER, false,
	 "DELETE /1, PUT /0/0, PUT /1/0, PUT /2/3, PUT /2/4, POST /bs", "/2/0>3 /2/1>4"},
	{"other objects keep their ids (Objlnk targets) and overwrite", "S0:1 V0:1 X21/0 X21/1",
	 "</0/2>,</21/0>", CS_BS_ACCOUNT_HANDOVER, false,
	 "DELETE /1, PUT /0/0, PUT /1/0, PUT /21/0, PUT /21/1, POST /bs", ""},
	{"the same card instance twice is written twice to the same place", "S0:1 V0:1 S0:1",
	 "</0/0>", CS_BS_ACCOUNT_HANDOVER, false,
	 "DELETE /1, PUT /0/1, PUT /0/1, PUT /1/0, POST /bs", "/0/0>1"},
	{"found by fuzzing: the BS instance listed again with an ssid is still never deleted",
	 "B0 S1:101 V1:101", "</0/0>,</0/0>;ssid=101,</1/0>;ssid=101", CS_BS_ACCOUNT_HANDOVER,
	 false, "DELETE /1, PUT /0/1, PUT /1/1, PUT /0/0*, POST /bs", ""},
	{"card ids collide with each other's new ids", "S1:1 S2:2 V0:1 V1:2",
	 "</0/1>,</0/2>;ssid=4", CS_BS_ACCOUNT_HANDOVER, false,
	 "DELETE /0/2, DELETE /1, PUT /0/0, PUT /0/2, PUT /1/0, PUT /1/1, POST /bs", "/0/1>0"},
};

static void test_plan_table(void **state)
{
	(void)state;
	for (size_t k = 0; k < COUNT(plan_cases); k++) {
		const struct plan_case *c = &plan_cases[k];
		struct cs_bs_plan_opts opts = {c->mode, c->delete_all};
		struct cs_bs_discover d;
		struct cs_bs_plan p;
		struct cs_errinfo ei;
		struct cs_model m;
		char ops[512], remaps[128];
		int err;

		build_card(&m, c->card);
		assert_int_equal(cs_bs_discover_parse((const uint8_t *)c->discover,
						      strlen(c->discover), &d, NULL),
				 0);
		cs_errinfo_clear(&ei);
		err = cs_bs_plan_make(&m, &d, &opts, &p, &ei);
		if (err)
			fail_msg("%s: %s", c->name, ei.msg);
		format_plan(&p, ops, sizeof(ops));
		format_remaps(&p, remaps, sizeof(remaps));
		if (strcmp(ops, c->ops))
			fail_msg("%s:\n  ops    '%s'\n  wanted '%s'", c->name, ops, c->ops);
		if (strcmp(remaps, c->remaps))
			fail_msg("%s: remaps '%s', wanted '%s'", c->name, remaps, c->remaps);
		assert_int_equal(p.client_bs_iid, cs_bs_discover_bootstrap_iid(&d));
		assert_int_equal(p.bs_account_skipped,
				 c->mode == CS_BS_ACCOUNT_SKIP && strchr(c->card, 'B') != NULL);
		/* every write points at the card instance it came from */
		for (size_t i = 0; i < p.nops; i++)
			if (p.ops[i].kind == CS_BS_OP_WRITE)
				assert_non_null(p.ops[i].inst);
		cs_bs_plan_free(&p);
		cs_bs_discover_free(&d);
		cs_model_free(&m);
	}
}

static void test_plan_two_bs(void **state)
{
	struct cs_bs_plan_opts opts = {CS_BS_ACCOUNT_HANDOVER, false};
	struct cs_bs_discover d = {0};
	struct cs_errinfo ei;
	struct cs_bs_plan p;
	struct cs_model m;

	(void)state;
	build_card(&m, "B0 B1 S2:1 V0:1");
	cs_errinfo_clear(&ei);
	assert_int_equal(cs_bs_plan_make(&m, &d, &opts, &p, &ei), CS_ERR_INVALID);
	assert_non_null(strstr(ei.msg, "more than one Bootstrap-Server account (/0/0 and /0/1)"));
	assert_null(p.ops);
	assert_int_equal(p.nops, 0);
	cs_model_free(&m);
}

static void test_payloads(void **state)
{
	struct cs_bs_plan_opts opts = {CS_BS_ACCOUNT_HANDOVER, false};
	static const char disc[] = "</0/0>";
	struct cs_buf tlv = {0}, want = {0}, senml = {0};
	struct cs_bs_discover d;
	struct cs_bs_plan p;
	struct cs_model m;
	json_t *j, *rec;
	const struct cs_bs_op *w = NULL;

	(void)state;
	build_card(&m, "S0:101 V0:101");
	/* a secret in the instance: the payload must carry it */
	assert_non_null(cs_instance_add_resource(&m.obj[0].inst[0], 5, (const uint8_t *)"k3y", 3));
	assert_int_equal(cs_bs_discover_parse((const uint8_t *)disc, strlen(disc), &d, NULL), 0);
	assert_int_equal(cs_bs_plan_make(&m, &d, &opts, &p, NULL), 0);
	for (size_t i = 0; i < p.nops && !w; i++)
		if (p.ops[i].kind == CS_BS_OP_WRITE && p.ops[i].oid == 0)
			w = &p.ops[i];
	assert_non_null(w);
	assert_int_equal(w->iid, 1);
	assert_int_equal(w->inst->id, 0);

	/* TLV: the instance's Resource TLVs, the same bytes whatever the target id */
	assert_int_equal(cs_bs_op_payload(w, CS_CF_TLV, &tlv), 0);
	assert_int_equal(cs_model_encode_instance_tlv(w->inst, &want), 0);
	assert_int_equal(tlv.len, want.len);
	assert_memory_equal(tlv.data, want.data, want.len);
	/* res 0 = C8 00 16 "coap://127.0.0.1:5701" */
	assert_int_equal(tlv.data[0], 0xC8);
	assert_int_equal(tlv.data[2], 21);

	/* SenML: names carry the target id /0/1, the key is there */
	assert_int_equal(cs_bs_op_payload(w, CS_CF_SENML_JSON, &senml), 0);
	j = json_loadb((const char *)senml.data, senml.len, 0, NULL);
	assert_non_null(j);
	assert_true(json_is_array(j));
	rec = json_array_get(j, 0);
	assert_string_equal(json_string_value(json_object_get(rec, "bn")), "/0/1/");
	assert_int_equal(cs_buf_push(&senml, '\0'), 0);
	assert_non_null(strstr((const char *)senml.data, "\"vd\":\"azN5\""));
	assert_null(strstr((const char *)senml.data, "/0/0/"));
	json_decref(j);

	assert_int_equal(cs_bs_op_payload(w, 112, &senml), CS_ERR_UNSUPPORTED);
	assert_int_equal(cs_bs_op_payload(&p.ops[p.nops - 1], CS_CF_TLV, &senml), CS_ERR_ARG);
	cs_buf_free(&tlv);
	cs_buf_free(&want);
	cs_buf_free(&senml);
	cs_bs_plan_free(&p);
	cs_bs_discover_free(&d);
	cs_model_free(&m);
}

static void test_op_names(void **state)
{
	static const struct {
		struct cs_bs_op op;
		const char *method, *path;
	} t[] = {
		{{CS_BS_OP_DELETE, -1, -1, NULL, false}, "DELETE", "/"},
		{{CS_BS_OP_DELETE, 1, -1, NULL, false}, "DELETE", "/1"},
		{{CS_BS_OP_DELETE, 0, 12, NULL, false}, "DELETE", "/0/12"},
		{{CS_BS_OP_WRITE, 0, 65534, NULL, false}, "PUT", "/0/65534"},
		{{CS_BS_OP_FINISH, -1, -1, NULL, false}, "POST", "/bs"},
	};
	char path[CS_BS_PATH_MAX];

	(void)state;
	for (size_t k = 0; k < COUNT(t); k++) {
		cs_bs_op_path(&t[k].op, path, sizeof(path));
		assert_string_equal(path, t[k].path);
		assert_string_equal(cs_bs_op_method(&t[k].op), t[k].method);
	}
	assert_string_equal(cs_bsserver_code_name(204), "2.04 Changed");
	assert_string_equal(cs_bsserver_code_name(406), "4.06 Not Acceptable");
	assert_string_equal(cs_bsserver_code_name(499), "4.99");
	assert_string_equal(cs_bsserver_code_name(0), "no answer");
}

static void test_report_line(void **state)
{
	static const struct cs_bsserver_delete del[] = {{"/0/0"}, {"/1"}};
	static const struct cs_bsserver_write wr[] = {
		{"/0/1", "/0/0", false, 101, "coap://x"},
		{"/0/0", "/0/3", true, -1, "coap://bs"},
	};
	struct cs_bsserver_report r;
	char line[512];
	json_t *j;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.id = 3;
	snprintf(r.endpoint, sizeof(r.endpoint), "dev1");
	snprintf(r.peer, sizeof(r.peer), "127.0.0.1:40000");
	r.content_format = CS_CF_TLV;
	r.deleted = del;
	r.ndeleted = 2;
	r.written = wr;
	r.nwritten = 2;
	r.finish_code = 204;
	r.duration_ms = 12;
	r.requested_pct = -1;
	r.client_bs_iid = 0;
	cs_bsserver_report_line(&r, line, sizeof(line));
	assert_string_equal(line, "ep=dev1 from 127.0.0.1:40000: ok: deleted /0/0 /1, wrote /0/1 "
				  "/0/0(BS) (TLV), Finish 2.04 Changed, 12 ms");
	j = cs_bsserver_report_json(CS_BSSERVER_SESSION_ENDED, &r);
	assert_non_null(j);
	assert_true(json_is_true(json_object_get(j, "ok")));
	assert_string_equal(json_string_value(json_object_get(j, "finish")), "2.04");
	assert_int_equal(json_integer_value(json_object_get(j, "client_bs_instance")), 0);
	assert_null(json_object_get(j, "requested_pct"));
	assert_int_equal(json_array_size(json_object_get(j, "written")), 2);
	json_decref(j);

	r.result = CS_ERR_REJECTED;
	snprintf(r.error, sizeof(r.error), "PUT /0/1 failed: 4.00 Bad Request");
	cs_bsserver_report_line(&r, line, sizeof(line));
	assert_string_equal(
		line, "ep=dev1 from 127.0.0.1:40000: FAILED: PUT /0/1 failed: 4.00 Bad Request");
	/* a short buffer is cut, never overrun */
	cs_bsserver_report_line(&r, line, 10);
	assert_string_equal(line, "ep=dev1 f");

	/* found by fuzzing: an ep= that is not UTF-8 lost the whole JSON report */
	snprintf(r.endpoint, sizeof(r.endpoint), "dev\x94\xff\x31");
	snprintf(r.lwm2m_version, sizeof(r.lwm2m_version), "1.\xc3");
	snprintf(r.error, sizeof(r.error), "endpoint dev\x94\xff\x31 is not served here");
	j = cs_bsserver_report_json(CS_BSSERVER_REQUEST_REFUSED, &r);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "endpoint")), "dev??1");
	assert_string_equal(json_string_value(json_object_get(j, "lwm2m")), "1.?");
	assert_string_equal(json_string_value(json_object_get(j, "error")),
			    "endpoint dev??1 is not served here");
	json_decref(j);
	/* valid UTF-8 stays as it is */
	snprintf(r.endpoint, sizeof(r.endpoint), "gerät-1");
	j = cs_bsserver_report_json(CS_BSSERVER_SESSION_STARTED, &r);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "endpoint")), "gerät-1");
	json_decref(j);
}

/* ---- the server on a real socket ---- */

static unsigned short free_udp_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	assert_true(fd >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);
	return ntohs(a.sin_port);
}

struct events {
	int n;
	enum cs_bsserver_event last;
	int result;
	char error[512];
	int finish;
};

static void on_event(void *arg, enum cs_bsserver_event ev, const struct cs_bsserver_report *r)
{
	struct events *e = arg;

	e->n++;
	e->last = ev;
	e->result = r->result;
	snprintf(e->error, sizeof(e->error), "%s", r->error);
	e->finish = r->finish_code;
}

/* Sends one CON request and returns the answer's code byte; payload copied to diag. */
static int exchange(struct cs_bsserver *srv, int fd, const uint8_t *req, size_t len, char *diag,
		    size_t n)
{
	uint8_t rsp[512];
	ssize_t got = -1;

	assert_int_equal(send(fd, req, len, 0), (ssize_t)len);
	for (int i = 0; i < 50 && got < 0; i++) {
		struct pollfd p = {fd, POLLIN, 0};

		assert_int_equal(cs_bsserver_process(srv, 20), 0);
		if (poll(&p, 1, 0) == 1)
			got = recv(fd, rsp, sizeof(rsp), 0);
	}
	assert_true(got >= 4);
	diag[0] = '\0';
	for (ssize_t i = 4 + (rsp[0] & 15); i < got; i++)
		if (rsp[i] == 0xFF) {
			snprintf(diag, n, "%.*s", (int)(got - i - 1), (const char *)rsp + i + 1);
			break;
		}
	assert_int_equal(rsp[0] >> 4 & 3, 2); /* piggybacked ACK */
	return rsp[1];
}

static void test_server_refusals(void **state)
{
	static const uint8_t bs_req[] = {0x41, 0x02, 0x00, 0x01, 't', 0xB2, 'b',
					 's',  0x44, 'e',  'p',  '=', 'x'};
	static const uint8_t no_ep[] = {0x41, 0x02, 0x00, 0x02, 't', 0xB2, 'b', 's'};
	static const uint8_t cbor[] = {0x41, 0x02, 0x00, 0x03, 't', 0xB2, 'b', 's', 0x44, 'e', 'p',
				       '=',  'x',  0x07, 'p',  'c', 't',  '=', '1', '1',  '2'};
	static const uint8_t bspack[] = {0x41, 0x01, 0x00, 0x04, 't', 0xB6,
					 'b',  's',  'p',  'a',  'c', 'k'};
	static const uint8_t other[] = {0x41, 0x04, 0x00, 0x05, 't', 0xB2, 'r', 'd'};
	struct cs_bsserver_config cfg = {0};
	struct cs_bsserver *srv = NULL;
	struct sockaddr_in a = {.sin_family = AF_INET};
	struct events ev = {0};
	struct cs_errinfo ei;
	char listen[32], diag[256];
	unsigned short port = free_udp_port();
	int fd;

	(void)state;
	snprintf(listen, sizeof(listen), "127.0.0.1:%u", port);
	cfg.listen = listen;
	cfg.event = on_event;
	cfg.event_arg = &ev;
	assert_int_equal(cs_bsserver_new(&cfg, &srv, &ei), 0);
	cs_bsserver_uri(srv, false, diag, sizeof(diag));
	assert_int_equal(strncmp(diag, "coap://127.0.0.1:", 17), 0);
	assert_true(cs_bsserver_fd(srv) >= 0);
	assert_int_equal(cs_bsserver_active(srv), 0);

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons(port);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);

	/* no data: 5.03 with a diagnostic, reported as a refused request */
	assert_int_equal(exchange(srv, fd, bs_req, sizeof(bs_req), diag, sizeof(diag)), 0xA3);
	assert_string_equal(diag, "no bootstrap data to serve (no valid card read yet)");
	assert_int_equal(ev.last, CS_BSSERVER_REQUEST_REFUSED);
	assert_int_equal(ev.result, CS_ERR_NOT_FOUND);
	assert_non_null(strstr(ev.error, "5.03 Service Unavailable"));
	/* no ep: 4.00 */
	assert_int_equal(exchange(srv, fd, no_ep, sizeof(no_ep), diag, sizeof(diag)), 0x80);
	assert_int_equal(ev.result, CS_ERR_MALFORMED);
	/* pct=112: 4.15 (Transport TS, Bootstrap-Request) */
	assert_int_equal(exchange(srv, fd, cbor, sizeof(cbor), diag, sizeof(diag)), 0x8F);
	assert_non_null(strstr(diag, "pct=112 is not supported"));
	assert_int_equal(ev.result, CS_ERR_UNSUPPORTED);
	/* Bootstrap-Pack-Request: 5.01 (Core TS 1.2); other paths: 4.04 even for DELETE */
	assert_int_equal(exchange(srv, fd, bspack, sizeof(bspack), diag, sizeof(diag)), 0xA1);
	assert_non_null(strstr(diag, "Bootstrap-Pack is not served"));
	assert_int_equal(exchange(srv, fd, other, sizeof(other), diag, sizeof(diag)), 0x84);
	assert_int_equal(ev.n, 3);
	assert_int_equal(cs_bsserver_active(srv), 0);
	assert_int_equal(cs_bsserver_push(srv, "coap://127.0.0.1:9", NULL, &ei), CS_ERR_NOT_FOUND);
	assert_int_equal(cs_bsserver_push(srv, "http://127.0.0.1:9", NULL, &ei), CS_ERR_ARG);
	close(fd);

	/* a second server on the same port is refused, not silently shared */
	assert_int_equal(cs_bsserver_new(&cfg, &(struct cs_bsserver *){NULL}, &ei), CS_ERR_NETWORK);
	assert_non_null(strstr(ei.msg, "Address already in use"));
	cs_bsserver_free(srv);
}

/* Runs the server until it sends a confirmable request; returns its length. */
static size_t next_request(struct cs_bsserver *srv, int fd, uint8_t *req, size_t n)
{
	for (int i = 0; i < 100; i++) {
		struct pollfd p = {fd, POLLIN, 0};
		ssize_t got;

		assert_int_equal(cs_bsserver_process(srv, 10), 0);
		while (poll(&p, 1, 0) == 1 && (got = recv(fd, req, n, 0)) >= 4)
			if ((req[0] >> 4 & 3) == 0 && req[1] && !(req[1] >> 5))
				return (size_t)got;
	}
	fail_msg("the server sent no request");
	return 0;
}

/* Answers req with a piggybacked ACK: code is class << 5 | detail. */
static void answer(int fd, const uint8_t *req, uint8_t code, const char *payload)
{
	uint8_t rsp[64];
	size_t tkl = req[0] & 15, n = 0;

	rsp[n++] = (uint8_t)(0x60 | tkl);
	rsp[n++] = code;
	rsp[n++] = req[2];
	rsp[n++] = req[3];
	memcpy(rsp + n, req + 4, tkl);
	n += tkl;
	if (payload) {
		rsp[n++] = 0xFF;
		memcpy(rsp + n, payload, strlen(payload));
		n += strlen(payload);
	}
	assert_int_equal(send(fd, rsp, n, 0), (ssize_t)n);
}

/*
 * One session for a card with only a BS account (GET /, PUT /0/0, POST /bs),
 * the client answering the write and Finish with the codes given.
 */
static void session(struct cs_bsserver *srv, int fd, uint8_t mid, uint8_t put, uint8_t finish)
{
	uint8_t bs_req[] = {0x41, 0x02, 0x00, mid, 't', 0xB2, 'b', 's', 0x44, 'e', 'p', '=', 'x'};
	uint8_t req[256];

	assert_int_equal(send(fd, bs_req, sizeof(bs_req), 0), (ssize_t)sizeof(bs_req));
	next_request(srv, fd, req, sizeof(req));
	assert_int_equal(req[1], 0x01); /* GET / */
	answer(fd, req, 0x45, "</0/0>");
	next_request(srv, fd, req, sizeof(req));
	assert_int_equal(req[1], 0x03); /* PUT /0/0 */
	answer(fd, req, put, NULL);
	if (put == 0x44) {
		next_request(srv, fd, req, sizeof(req));
		assert_int_equal(req[1], 0x02); /* POST /bs */
		answer(fd, req, finish, NULL);
	}
	for (int i = 0; i < 3; i++)
		assert_int_equal(cs_bsserver_process(srv, 10), 0);
}

/* Found by fuzzing: a 2.xx other than the operation's success code counted as success. */
static void test_server_success_codes(void **state)
{
	static const uint8_t t[] = {1}, nosec[] = {3};
	struct cs_bsserver_config cfg = {.listen = "127.0.0.1:0"};
	struct cs_bsserver *srv = NULL;
	struct sockaddr_in a = {.sin_family = AF_INET};
	struct events ev = {0};
	struct cs_errinfo ei;
	struct cs_model m;
	struct cs_instance *inst;
	char uri[64];
	int fd;

	(void)state;
	cs_model_init(&m);
	inst = cs_object_add_instance(cs_model_add_object(&m, 0, 0, 0), 0);
	assert_non_null(cs_instance_add_resource(inst, 0, (const uint8_t *)"coap://bs", 9));
	assert_non_null(cs_instance_add_resource(inst, 1, t, 1));
	assert_non_null(cs_instance_add_resource(inst, 2, nosec, 1));
	cfg.event = on_event;
	cfg.event_arg = &ev;
	assert_int_equal(cs_bsserver_new(&cfg, &srv, &ei), 0);
	assert_int_equal(cs_bsserver_set_data(srv, &m), 0);
	/* port 0 binds a free port, and the URI names it */
	cs_bsserver_uri(srv, false, uri, sizeof(uri));
	assert_int_equal(strncmp(uri, "coap://127.0.0.1:", 17), 0);
	assert_true(atoi(uri + 17) > 0);

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((unsigned short)atoi(uri + 17));
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);

	/* Transport TS response codes: Bootstrap-Write succeeds with 2.04 only */
	session(srv, fd, 1, 0x41, 0);
	assert_int_equal(ev.last, CS_BSSERVER_SESSION_ENDED);
	assert_int_equal(ev.result, CS_ERR_REJECTED);
	assert_string_equal(ev.error, "PUT /0/0 failed: 2.01 Created (expected 2.04 Changed)");
	/* Transport TS response codes: Bootstrap-Finish succeeds with 2.04 only */
	session(srv, fd, 2, 0x44, 0x45);
	assert_int_equal(ev.last, CS_BSSERVER_SESSION_ENDED);
	assert_int_equal(ev.result, CS_ERR_REJECTED);
	assert_int_equal(ev.finish, 205);
	assert_non_null(strstr(ev.error, "failed: 2.05 Content (expected 2.04 Changed)"));
	/* and with 2.04 everywhere the session succeeds */
	session(srv, fd, 3, 0x44, 0x44);
	assert_int_equal(ev.last, CS_BSSERVER_SESSION_ENDED);
	assert_int_equal(ev.result, 0);
	assert_int_equal(ev.finish, 204);
	close(fd);
	cs_bsserver_free(srv);
	cs_model_free(&m);
}

static void test_server_config(void **state)
{
	struct cs_bsserver_config cfg = {0};
	struct cs_bsserver *srv = (struct cs_bsserver *)&cfg;
	struct cs_errinfo ei;
	char listen[32];

	(void)state;
	snprintf(listen, sizeof(listen), "127.0.0.1:%u", free_udp_port());
	cfg.listen = "192.0.2.1:5783";
	assert_int_equal(cs_bsserver_new(&cfg, &srv, &ei), CS_ERR_PERM);
	assert_null(srv);
	assert_non_null(strstr(ei.msg, "192.0.2.1:5783 is not a loopback address"));
	cfg.listen = "[::1]:5783:1";
	assert_int_equal(cs_bsserver_new(&cfg, &srv, &ei), CS_ERR_ARG);
	cfg.listen = listen;
	cfg.block_size = 100;
	assert_int_equal(cs_bsserver_new(&cfg, &srv, &ei), CS_ERR_ARG);
	cfg.block_size = 0;
	cfg.timeout_ms = CS_BSSERVER_MAX_TIMEOUT_MS + 1;
	assert_int_equal(cs_bsserver_new(&cfg, &srv, &ei), CS_ERR_ARG);
	cfg.timeout_ms = 0;
	cfg.dtls_listen = "";
	assert_int_equal(cs_bsserver_new(&cfg, &srv, &ei), CS_ERR_ARG);
	assert_non_null(strstr(ei.msg, "needs a PSK identity and key"));
	cs_bsserver_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_discover_parse),
		cmocka_unit_test(test_discover_ver),
		cmocka_unit_test(test_discover_many),
		cmocka_unit_test(test_discover_errors),
		cmocka_unit_test(test_discover_prefixes),
		cmocka_unit_test(test_plan_table),
		cmocka_unit_test(test_plan_two_bs),
		cmocka_unit_test(test_payloads),
		cmocka_unit_test(test_op_names),
		cmocka_unit_test(test_report_line),
		cmocka_unit_test(test_server_refusals),
		cmocka_unit_test(test_server_config),
		cmocka_unit_test(test_server_success_codes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
