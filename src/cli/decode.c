/* SPDX-License-Identifier: MIT */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cardstrap/bsfile.h"
#include "cardstrap/model.h"
#include "cardstrap/objects.h"
#include "cardstrap/validate.h"
#include "cli.h"

/* Hex text of a 32 KB file with comments stays well below this. */
#define DECODE_MAX_INPUT (1u << 20)

static int report_malformed(int err, const struct cs_errinfo *ei, const char *path)
{
	char where[32];

	if (cli.json) {
		json_t *j = json_pack("{s:{s:s, s:s}, s:b}", "error", "kind", cs_strerror(err),
				      "message", ei->msg, "valid", 0);

		if (j && ei->offset >= 0)
			json_object_set_new(json_object_get(j, "error"), "offset",
					    json_integer(ei->offset));
		cli_print_json(j);
	}
	snprintf(where, sizeof(where), "offset %ld", ei->offset);
	if (ei->offset >= 0 && !strstr(ei->msg, where))
		cli_error("%s: byte %ld: %s", path, ei->offset, ei->msg);
	else
		cli_error("%s: %s", path, ei->msg[0] ? ei->msg : cs_strerror(err));
	return cli_exit_code(err);
}

static int decode_main(int argc, char *argv[])
{
	static const struct option longopts[] = { CLI_COMMON_LONGOPTS, { NULL, 0, NULL, 0 } };
	struct cs_buf in = { 0 };
	struct cs_model m;
	struct cs_diags d;
	struct cs_errinfo ei;
	const char *path;
	int c, err, rc;

	while ((c = getopt_long(argc, argv, CLI_COMMON_SHORTOPTS, longopts, NULL)) != -1)
		if (!cli_common_option(c))
			cli_usage_error("unexpected option");
	if (optind + 1 != argc)
		cli_usage_error(optind == argc ? "which file? (use - for standard input)"
					       : "one file at a time");
	path = argv[optind];

	cs_errinfo_clear(&ei);
	cs_model_init(&m);
	cs_diags_init(&d);
	err = cli_read_input(path, DECODE_MAX_INPUT, &in, NULL, &ei);
	if (err) {
		rc = err == CS_ERR_IO ? cli_fail(err, &ei) : report_malformed(err, &ei, path);
		goto out;
	}
	err = cs_model_load_bsfile(&m, in.data, in.len, &ei);
	if (err) {
		rc = report_malformed(err, &ei, path);
		goto out;
	}
	err = cs_validate(&m, &d);
	if (err && err != CS_ERR_INVALID) {
		rc = cli_fail(err, NULL);
		goto out;
	}
	rc = cli_report_model(path, &m, &d, NULL);
out:
	cs_diags_free(&d);
	cs_model_free(&m);
	cs_buf_free(&in);
	return rc;
}

const struct cli_cmd decode_cmd = {
	"decode", decode_main, "decode and validate an EF LwM2M_Bootstrap file",
	"Usage: cardstrap decode [--json] [--show-secrets] FILE|-\n"
	"\n"
	"Decodes EF LwM2M_Bootstrap bytes (binary, or hex text with # comments)\n"
	"and prints the objects, instances and resources, then the findings of\n"
	"the validator. Secrets (PSK identity and key, private keys, SMS keys) are\n"
	"shown as <secret N bytes> unless --show-secrets is given.\n"
	"\n"
	"  --json           one JSON object: {\"senml\": [...], \"objects\": [...],\n"
	"                   \"diagnostics\": [...], \"valid\": true|false}\n"
	"  --show-secrets   print secret values\n"
	"  -q, --quiet      print nothing when valid; only the errors otherwise\n"
	"\n"
	"Exit: 0 valid, 65 malformed or invalid, 66 cannot read FILE, 64 usage.\n",
};
