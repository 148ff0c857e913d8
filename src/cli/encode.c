/* SPDX-License-Identifier: MIT */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cardstrap/bsfile.h"
#include "cardstrap/encoding.h"
#include "cardstrap/model.h"
#include "cardstrap/senml.h"
#include "cardstrap/validate.h"
#include "cli.h"

#define ENCODE_MAX_INPUT (4u << 20)

enum { OPT_FORCE = OPT_FIRST_CMD_OPT, OPT_HEX };

/* 16 bytes per line, the way the vectors are written. */
static int to_hex_text(const struct cs_buf *bin, struct cs_buf *out)
{
	char line[16 * 3 + 2];
	int err = 0;

	for (size_t i = 0; i < bin->len && !err; i += 16) {
		size_t n = bin->len - i < 16 ? bin->len - i : 16;

		cs_hex_encode(bin->data + i, n, ' ', line, sizeof(line));
		err = cs_buf_append(out, line, strlen(line));
		if (!err)
			err = cs_buf_push(out, '\n');
	}
	return err;
}

static int encode_main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		CLI_COMMON_LONGOPTS,
		{ "output", required_argument, NULL, 'o' },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "hex", no_argument, NULL, OPT_HEX },
		{ NULL, 0, NULL, 0 },
	};
	struct cs_buf text = { 0 }, ef = { 0 }, hex = { 0 };
	const char *out_path = NULL, *path;
	bool force = false, as_hex = false;
	struct cs_errinfo ei;
	struct cs_model m;
	struct cs_diags d;
	int c, err, rc;

	while ((c = getopt_long(argc, argv, CLI_COMMON_SHORTOPTS "o:", longopts, NULL)) != -1) {
		if (cli_common_option(c))
			continue;
		switch (c) {
		case 'o': out_path = optarg; break;
		case OPT_FORCE: force = true; break;
		case OPT_HEX: as_hex = true; break;
		default: cli_usage_error("unexpected option");
		}
	}
	if (optind + 1 != argc)
		cli_usage_error(optind == argc ? "which profile? (use - for standard input)"
					       : "one profile at a time");
	if (!out_path)
		cli_usage_error("where to? (-o OUT, or -o - for standard output)");
	path = argv[optind];

	cs_errinfo_clear(&ei);
	cs_model_init(&m);
	cs_diags_init(&d);
	err = cli_read_text(path, ENCODE_MAX_INPUT, &text, &ei);
	if (err) {
		rc = cli_fail(err, &ei);
		goto out;
	}
	err = cs_senml_parse((const char *)text.data, text.len, &m, &ei);
	if (err) {
		cli_error("%s: %s", path, ei.msg[0] ? ei.msg : cs_strerror(err));
		rc = cli_exit_code(err);
		goto out;
	}
	err = cs_validate(&m, &d);
	if (err && err != CS_ERR_INVALID) {
		rc = cli_fail(err, NULL);
		goto out;
	}
	if (d.n && (d.errors || cli.verbosity >= 0))
		cli_print_diags(stderr, &d);
	if (d.errors && !force) {
		cli_error("%s: %zu validation error%s; nothing written (--force writes anyway)", path,
			  d.errors, d.errors == 1 ? "" : "s");
		rc = EXIT_DATAERR;
		goto out;
	}
	err = cs_model_to_bsfile(&m, &ef, &ei);
	if (err) {
		rc = cli_fail(err, &ei);
		goto out;
	}
	if (as_hex && (err = to_hex_text(&ef, &hex)) != 0) {
		rc = cli_fail(err, NULL);
		goto out;
	}
	err = as_hex ? cli_write_file(out_path, hex.data, hex.len, 0600, &ei)
		     : cli_write_file(out_path, ef.data, ef.len, 0600, &ei);
	if (err) {
		cli_error("%s", ei.msg);
		rc = EXIT_CANTCREAT;
		goto out;
	}
	if (strcmp(out_path, "-"))
		cli_info("wrote %zu bytes of EF LwM2M_Bootstrap to %s", ef.len, out_path);
	rc = EXIT_OK;
out:
	cs_diags_free(&d);
	cs_model_free(&m);
	cs_buf_free(&hex);
	cs_buf_free(&ef);
	cs_buf_free(&text);
	return rc;
}

const struct cli_cmd encode_cmd = {
	"encode", encode_main, "build an EF LwM2M_Bootstrap file from a SenML-JSON profile",
	"Usage: cardstrap encode [--force] [--hex] PROFILE|- -o OUT\n"
	"\n"
	"PROFILE is a SenML-JSON array (RFC 8428; names /O/I/R or /O/I/R/RI) or the\n"
	"output of `cardstrap decode --json --show-secrets`. Types come from the\n"
	"object definitions; for unknown objects: vs string, vb boolean, vd opaque\n"
	"(base64), vlo object link, whole v integer, other v float. The result is\n"
	"validated first, and invalid data is refused unless --force.\n"
	"\n"
	"  -o, --output OUT  write the EF bytes to OUT (mode 0600; - for stdout)\n"
	"  --hex             write hex text instead of binary\n"
	"  --force           write even when validation reports errors\n"
	"\n"
	"Exit: 0 written, 65 profile malformed or invalid, 66 cannot read PROFILE,\n"
	"73 cannot write OUT, 64 usage.\n",
};
