/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>

#include "cardstrap/card.h"
#include "cardstrap/encoding.h"

#define DEFAULT_KEYREF 0x01 /* PIN Appl 1 when no FCP names one (TS 102 221 Table 9.3) */
#define MAX_APPS       8

struct reader {
	struct cs_uicc u;
	const struct cs_card_read_opts *opts;
	struct cs_card_info *info;
	struct cs_fcp adf;
	bool verified;
	struct cs_transport *scp; /* SCP03 decorator over the caller's transport, or NULL */
};

/* APDUs on the wire so far: the decorator also sends some of its own. */
static unsigned wire_apdus(const struct reader *r)
{
	return r->scp ? (unsigned)cs_scp03_apdus(r->scp) : r->u.apdus;
}

const char *cs_card_oid_form(enum cs_pkcs15_oid_match m)
{
	switch (m) {
	case CS_OID_ID: return "2.23.43.9.1";
	case CS_OID_ID_WRAPPED: return "2.23.43.9.1 (double-wrapped id)";
	case CS_OID_APPLICATION: return "2.23.43.9.1 (applicationOID)";
	case CS_OID_APPLICATION_WRAPPED: return "2.23.43.9.1 (double-wrapped applicationOID)";
	case CS_OID_NONE: break;
	}
	return "none";
}

static void path_hex(const struct cs_pkcs15_path *p, char *out, size_t n)
{
	cs_hex_encode(p->path, p->len, 0, out, n);
}

/* Replaces ei's message by "<prefix>: <old message>" with a new code. */
static int prefixed(struct cs_errinfo *ei, int code, const char *prefix)
{
	char old[sizeof(ei->msg)];
	long off;

	if (!ei)
		return code;
	memcpy(old, ei->msg, sizeof(old));
	off = ei->offset;
	return cs_error(ei, code, off, "%s: %s", prefix, old);
}

/* EF ICCID and EF.DIR: informational, so only a failing transport ends the read. */
static int read_basic(struct reader *r, struct cs_errinfo *ei)
{
	struct cs_card_info *info = r->info;
	struct cs_pkcs15_app apps[MAX_APPS];
	struct cs_records dir = {0};
	size_t napps = 0, off = 0;
	int err;

	err = cs_uicc_read_iccid(&r->u, info->iccid, ei);
	if (err && err != CS_ERR_NOT_FOUND)
		return err;
	err = cs_uicc_read_dir(&r->u, &dir, ei);
	if (err && err != CS_ERR_NOT_FOUND)
		goto out;
	info->has_dir = !err;
	err = 0;
	for (size_t i = 0; i < dir.n; i++) {
		/* an empty EF.DIR (size 0) is one empty record, and dir.data holds no memory */
		if (!dir.len[i])
			continue;
		/* One record at a time: each is padded with FF after its template. */
		if (cs_pkcs15_parse_dir(dir.data.data + off, dir.len[i], apps, MAX_APPS, &napps,
					NULL))
			napps = napps > MAX_APPS ? MAX_APPS : napps;
		off += dir.len[i];
	}
	for (size_t i = 0; i < napps; i++) {
		if (!cs_pkcs15_app_is_pkcs15(&apps[i]))
			continue;
		memcpy(info->aid, apps[i].aid, apps[i].aid_len);
		info->aid_len = apps[i].aid_len;
		memcpy(info->app_label, apps[i].label, sizeof(info->app_label));
		info->aid_from_dir = true;
		break;
	}
out:
	cs_buf_free(&dir.data);
	return err;
}

static int verify(struct reader *r, const struct cs_fcp *ef_fcp, struct cs_errinfo *ei)
{
	uint8_t keyref = cs_fcp_pin_keyref(ef_fcp);
	int err;

	/* G.2.4: the PIN reference comes from the FCP of the file, else of the ADF */
	if (!keyref)
		keyref = cs_fcp_pin_keyref(&r->adf);
	if (!keyref)
		keyref = DEFAULT_KEYREF;
	r->info->pin_needed = true;
	r->info->pin_keyref = keyref;
	err = cs_uicc_verify(&r->u, keyref, r->opts->get_pin, r->opts->pin_arg, ei);
	if (!err)
		r->verified = true;
	return err;
}

/*
 * SELECT path (FCP) and READ BINARY to its size into out; VERIFY first when
 * pin_first, or when the read answers 6982. progress only for the EF.
 */
static int read_file(struct reader *r, const struct cs_pkcs15_path *path, const char *name,
		     unsigned redact, bool pin_first, bool progress, struct cs_fcp *fcp,
		     struct cs_buf *out, struct cs_errinfo *ei)
{
	size_t size;
	int err;

	err = cs_uicc_select_path(&r->u, path->path, path->len, fcp, ei);
	if (err)
		return err;
	if (fcp->has_size && fcp->size > CS_CARD_MAX_EF)
		return cs_error(ei, CS_ERR_LIMIT, -1,
				"%s is %u bytes; at most %d can be read (Core TS App. G: 32 KB)",
				name, (unsigned)fcp->size, CS_CARD_MAX_EF);
	size = fcp->has_size ? fcp->size : CS_UICC_SIZE_UNKNOWN;
	if (pin_first && !r->verified) {
		err = verify(r, fcp, ei);
		if (err)
			return err;
	}
	if (progress) {
		r->u.progress = r->opts->progress;
		r->u.progress_arg = r->opts->progress_arg;
	}
	err = cs_uicc_read_binary(&r->u, size, redact, out, ei);
	if (err == CS_ERR_SECURITY_STATUS && !r->verified) {
		cs_buf_free(out);
		err = verify(r, fcp, ei);
		if (!err)
			err = cs_uicc_read_binary(&r->u, size, redact, out, ei);
	}
	r->u.progress = NULL;
	if (!err && out->len > CS_CARD_MAX_EF)
		err = cs_error(ei, CS_ERR_LIMIT, -1, "%s is longer than %d bytes", name,
			       CS_CARD_MAX_EF);
	return err;
}

static int select_app(struct reader *r, struct cs_errinfo *ei)
{
	struct cs_card_info *info = r->info;
	char hex[2 * CS_PKCS15_MAX_AID + 1];
	int err;

	if (!info->aid_len) {
		memcpy(info->aid, CS_PKCS15_AID, sizeof(CS_PKCS15_AID));
		info->aid_len = sizeof(CS_PKCS15_AID);
	}
	err = cs_uicc_select_aid(&r->u, info->aid, info->aid_len, &r->adf, ei);
	if (err == CS_ERR_FILE_NOT_FOUND) {
		cs_hex_encode(info->aid, info->aid_len, 0, hex, sizeof(hex));
		return cs_error(ei, CS_ERR_NO_PKCS15, -1,
				"card has no PKCS#15 application (%04X on SELECT %s)", r->u.sw,
				hex);
	}
	return err;
}

/* Core TS App. H: mutual authentication right after SELECT AID, on the same logical channel. */
static int open_secure(struct reader *r, struct cs_errinfo *ei)
{
	struct cs_card_info *info = r->info;
	const struct cs_scp03_session *s;
	struct cs_errinfo oei;
	int err;

	cs_errinfo_clear(&oei);
	err = cs_scp03_open(r->scp, r->u.channel, &oei);
	if (!err) {
		s = cs_scp03_session_of(r->scp);
		info->scp03 = CS_CARD_SCP03_SECURED;
		info->scp03_level = s->level;
		info->scp03_kvn = s->kvn;
		info->scp03_i = s->i_param;
		return 0;
	}
	if (err == CS_ERR_SCP03_UNSUPPORTED && r->opts->scp03_mode == CS_CARD_SCP03_OPTIONAL) {
		info->scp03 = CS_CARD_SCP03_NOT_OFFERED;
		snprintf(info->scp03_note, sizeof(info->scp03_note), "%s", oei.msg);
		return 0;
	}
	/* no retry, whatever the error: a GP card counts failed authentications */
	if (err == CS_ERR_SCP03_CRYPTOGRAM)
		return cs_error(ei, err, oei.offset,
				"%s; not tried again (a card counts failed authentications)",
				oei.msg);
	return cs_error(ei, err, oei.offset, "%s", oei.msg[0] ? oei.msg : cs_strerror(err));
}

/* One DODF: its entries go to info; *found is the bootstrap entry's index or -1. */
static int read_dodf(struct reader *r, size_t d, int *found, struct cs_errinfo *ei)
{
	struct cs_card_info *info = r->info;
	struct cs_pkcs15_dataobj objs[CS_CARD_MAX_ENTRIES];
	struct cs_buf buf = {0};
	struct cs_fcp fcp;
	char hex[2 * CS_PKCS15_MAX_PATH + 1], name[16 + sizeof(hex)];
	size_t n = 0;
	int err, idx;

	*found = -1;
	path_hex(&info->dodf[d], hex, sizeof(hex));
	snprintf(name, sizeof(name), "DODF %s", hex);
	err = read_file(r, &info->dodf[d], name, CS_REDACT_NONE, false, false, &fcp, &buf, ei);
	if (err)
		goto out;
	err = cs_pkcs15_parse_dodf(buf.data, buf.len, objs, CS_CARD_MAX_ENTRIES, &n, ei);
	if (err) {
		err = prefixed(ei, err, name);
		goto out;
	}
	idx = cs_pkcs15_find_bootstrap(objs, n);
	for (size_t i = 0; i < n; i++) {
		size_t slot;

		if (info->nentries < CS_CARD_MAX_ENTRIES)
			slot = info->nentries++;
		else if ((int)i == idx)
			slot = CS_CARD_MAX_ENTRIES -
			       1; /* the entry that matters wins the last slot */
		else
			continue;
		info->entries[slot].obj = objs[i];
		info->entries[slot].dodf = d;
		if ((int)i == idx)
			*found = (int)slot;
	}
out:
	cs_buf_free(&buf);
	return err;
}

/* The first file of the application refused: say what the secure channel may have to do with it. */
static int odf_refused(struct reader *r, int err, struct cs_errinfo *ei)
{
	const struct cs_card_info *info = r->info;

	if (info->scp03 != CS_CARD_SCP03_SECURED && r->u.sw == 0x6982)
		return prefixed(ei, err,
				"the card refuses the PKCS#15 files without a secure channel "
				"(give --scp03-keys if it requires SCP03)");
	if (info->scp03 == CS_CARD_SCP03_SECURED && r->u.sw == 0x6982)
		return prefixed(ei, err,
				"the card refuses the PKCS#15 files at this SCP03 security level");
	/* C-MAC right (S-MAC checked by the cryptograms), decryption wrong: the ENC key */
	if (info->scp03 == CS_CARD_SCP03_SECURED && r->u.sw == 0x6700)
		return prefixed(ei, err,
				"the card cannot decrypt the first command in the secure channel "
				"(wrong SCP03 ENC key?)");
	return err;
}

static int find_entry(struct reader *r, struct cs_errinfo *ei)
{
	struct cs_card_info *info = r->info;
	struct cs_buf odf = {0};
	struct cs_fcp fcp;
	char hex[2 * CS_PKCS15_MAX_PATH + 1];
	size_t missing = 0;
	int err, found = -1;

	/* G.3.1: EF ODF, FID 5031 */
	info->odf.path[0] = 0x50;
	info->odf.path[1] = 0x31;
	info->odf.len = 2;
	err = read_file(r, &info->odf, "EF ODF", CS_REDACT_NONE, false, false, &fcp, &odf, ei);
	if (err == CS_ERR_FILE_NOT_FOUND)
		err = cs_error(ei, CS_ERR_NO_PKCS15, -1,
			       "PKCS#15 application has no EF ODF (%04X on SELECT 5031)", r->u.sw);
	if (err == CS_ERR_SECURITY_STATUS || err == CS_ERR_SW)
		err = odf_refused(r, err, ei);
	if (err)
		goto out;
	err = cs_pkcs15_parse_odf(odf.data, odf.len, info->dodf, CS_CARD_MAX_DODF, &info->ndodf,
				  ei);
	if (err) {
		err = prefixed(ei, err, "EF ODF");
		goto out;
	}
	if (info->ndodf == 0) {
		err = cs_error(ei, CS_ERR_NO_BOOTSTRAP, -1,
			       "EF ODF lists no data objects (no DODF, tag A7)");
		goto out;
	}
	/* G.1: DODFs are listed in priority order, the first being the highest */
	for (size_t d = 0; d < info->ndodf && found < 0; d++) {
		err = read_dodf(r, d, &found, ei);
		if (err == CS_ERR_FILE_NOT_FOUND) {
			missing++;
			err = 0;
			continue;
		}
		if (err)
			goto out;
	}
	if (found < 0) {
		path_hex(&info->dodf[0], hex, sizeof(hex));
		if (missing == info->ndodf)
			err = cs_error(
				ei, CS_ERR_NO_BOOTSTRAP, -1,
				"the DODF named by EF ODF does not exist (6A82 on SELECT %s)", hex);
		else if (info->ndodf == 1)
			err = cs_error(ei, CS_ERR_NO_BOOTSTRAP, -1,
				       "no LwM2M bootstrap object (OID 2.23.43.9.1 with a path) in "
				       "DODF %s",
				       hex);
		else
			err = cs_error(ei, CS_ERR_NO_BOOTSTRAP, -1,
				       "no LwM2M bootstrap object (OID 2.23.43.9.1 with a path) in "
				       "any of the %zu DODFs",
				       info->ndodf);
		goto out;
	}
	info->bootstrap = found;
out:
	cs_buf_free(&odf);
	return err;
}

/* The EF is still the current file: read it again and compare. */
static int verify_ef(struct reader *r, const char *name, const struct cs_buf *ef,
		     struct cs_errinfo *ei)
{
	struct cs_buf again = {0};
	size_t i = 0;
	int err;

	err = cs_uicc_read_binary(&r->u, ef->len, CS_REDACT_RSP_DATA, &again, ei);
	if (!err) {
		while (i < ef->len && i < again.len && ef->data[i] == again.data[i])
			i++;
		if (i < ef->len || again.len != ef->len)
			err = cs_error(ei, CS_ERR_TRANSPORT, (long)i,
				       "%s read twice gave different bytes (first difference at "
				       "byte %zu): the card or the reader is unreliable; nothing "
				       "read was used",
				       name, i);
		else
			r->info->ef_verified = true;
	}
	cs_buf_free(&again);
	return err;
}

static int read_ef(struct reader *r, struct cs_buf *ef, struct cs_errinfo *ei)
{
	struct cs_card_info *info = r->info;
	const struct cs_pkcs15_dataobj *obj = &info->entries[info->bootstrap].obj;
	struct cs_fcp fcp = {0};
	char hex[2 * CS_PKCS15_MAX_PATH + 1], name[16 + sizeof(hex)];
	int err;

	info->ef_path = obj->path;
	path_hex(&obj->path, hex, sizeof(hex));
	snprintf(name, sizeof(name), "EF %s", hex);
	/* G.2.4: private or modifiable → cardholder verification */
	err = read_file(r, &obj->path, name, CS_REDACT_RSP_DATA,
			obj->private_obj || obj->modifiable, true, &fcp, ef, ei);
	if (fcp.has_size)
		info->ef_size = fcp.size;
	if (!err && r->opts->verify && info->scp03 != CS_CARD_SCP03_SECURED)
		err = verify_ef(r, name, ef, ei);
	if (err == CS_ERR_FILE_NOT_FOUND)
		err = cs_error(ei, CS_ERR_NO_BOOTSTRAP, -1,
			       "the LwM2M bootstrap file named by the DODF does not exist (%04X on "
			       "SELECT %s)",
			       r->u.sw, hex);
	return err;
}

int cs_card_read_bootstrap(struct cs_transport *t, const struct cs_card_read_opts *opts,
			   struct cs_card_info *info, struct cs_buf *ef, struct cs_errinfo *ei)
{
	static const struct cs_card_read_opts no_opts;
	struct cs_transport *io = t;
	struct reader r;
	struct cs_errinfo close_ei;
	unsigned channel_start;
	size_t atr_len;
	int err, cerr;

	if (!t || !info || !ef)
		return cs_error(ei, CS_ERR_ARG, -1, "cs_card_read_bootstrap: invalid arguments");
	memset(info, 0, sizeof(*info));
	info->bootstrap = -1;
	cs_buf_free(ef);
	memset(&r, 0, sizeof(r));
	r.opts = opts ? opts : &no_opts;
	r.info = info;
	if (r.opts->scp03_keys) {
		/* the decorator sits between uicc and t, for this read only */
		err = cs_scp03_transport_new(
			t, r.opts->scp03_keys,
			r.opts->scp03_level ? r.opts->scp03_level : CS_SCP03_LEVEL_LWM2M,
			CS_SCP03_BORROW_INNER |
				(r.opts->scp03_trace_plain ? CS_SCP03_TRACE_PLAIN : 0),
			&r.scp, ei);
		if (err)
			return err;
		io = r.scp;
	}
	cs_uicc_init(&r.u, io);

	err = cs_transport_begin(io, ei);
	if (err)
		goto out;
	atr_len = sizeof(info->atr);
	if (!cs_transport_atr(io, info->atr, &atr_len))
		info->atr_len = atr_len;

	err = read_basic(&r, ei);
	if (err)
		goto end;
	channel_start = wire_apdus(&r);
	/* G.2: the PKCS#15 application is selected on a logical channel */
	err = cs_uicc_open_channel(&r.u, ei);
	info->channel = r.u.channel;
	info->channel_opened = r.u.channel_open;
	if (!err)
		err = select_app(&r, ei);
	if (!err && r.scp)
		err = open_secure(&r, ei);
	if (!err)
		err = find_entry(&r, ei);
	if (!err)
		err = read_ef(&r, ef, ei);
	if (r.u.channel_open) {
		/* wrapped while the session is open; in plain after a failure */
		cerr = cs_uicc_close_channel(&r.u, err ? &close_ei : ei);
		if (!err)
			err = cerr;
	}
	if (r.scp)
		cs_scp03_close(r.scp);
	/* on any MAC failure abort, close the channel, discard everything read */
	if (err == CS_ERR_SCP03_MAC && ei) {
		char old[sizeof(ei->msg)];

		memcpy(old, ei->msg, sizeof(old));
		cs_error(ei, err, ei->offset,
			 "SCP03 %s; the read was abandoned and nothing read is kept", old);
	}
	info->apdus_channel = wire_apdus(&r) - channel_start;
end:
	cs_transport_end(io);
	info->apdus = wire_apdus(&r);
out:
	cs_transport_destroy(r.scp);
	if (err)
		cs_buf_free(ef);
	return err;
}
