/* SPDX-License-Identifier: MIT */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cardstrap/encoding.h"
#include "cardstrap/model.h"
#include "cardstrap/objects.h"
#include "cardstrap/validate.h"
#include "cardio.h"
#include "cli.h"

enum { OPT_READER = OPT_FIRST_CMD_OPT, OPT_PIN_FILE };

static void ef_name(const struct cli_card *c, char *out, size_t n)
{
	char h[2 * CS_PKCS15_MAX_PATH + 1];

	cs_hex_encode(c->info.ef_path.path, c->info.ef_path.len, 0, h, sizeof(h));
	snprintf(out, n, "EF %s", c->info.ef_path.len ? h : "LwM2M_Bootstrap");
}

/* The card part, then the failure: as JSON or as lines + message. */
static int report_failure(const struct cli_card *c, int err, const struct cs_errinfo *ei,
			  const char *prefix)
{
	if (cli.json) {
		json_t *j = json_object();
		json_t *e = json_pack("{s:s, s:s}", "kind", cs_strerror(err), "message",
				      ei->msg[0] ? ei->msg : cs_strerror(err));

		if (e && ei->offset >= 0 && prefix)
			json_object_set_new(e, "offset", json_integer(ei->offset));
		json_object_set_new(j, "card", cli_card_json(c));
		json_object_set_new(j, "error", e);
		json_object_set_new(j, "valid", json_false());
		cli_print_json(j);
	} else if (cli.verbosity >= 0 && c->read) {
		cli_print_card(stdout, c);
		fflush(stdout);
	}
	if (prefix && ei->offset >= 0)
		cli_error("%s: byte %ld: %s", prefix, ei->offset, ei->msg);
	else if (prefix)
		cli_error("%s: %s", prefix, ei->msg[0] ? ei->msg : cs_strerror(err));
	else
		cli_error("%s", ei->msg[0] ? ei->msg : cs_strerror(err));
	return cli_exit_code(err);
}

static int dump_main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		CLI_COMMON_LONGOPTS,
		{"reader", required_argument, NULL, OPT_READER},
		{"pin-file", required_argument, NULL, OPT_PIN_FILE},
		CLI_SCP03_LONGOPTS,
		{NULL, 0, NULL, 0},
	};
	struct cli_card_opts co = {0};
	struct cli_card card;
	struct cs_model m;
	struct cs_diags d;
	struct cs_errinfo ei;
	char name[48];
	int c, err, rc;

	while ((c = getopt_long(argc, argv, CLI_COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (c == OPT_READER)
			co.reader = optarg;
		else if (c == OPT_PIN_FILE)
			co.pin_file = optarg;
		else if (!cli_scp03_option(c, optarg, &co) && !cli_common_option(c))
			cli_usage_error("unexpected option");
	}
	if (optind != argc)
		cli_usage_error("no arguments expected (the PIN never goes on the command line)");

	cs_errinfo_clear(&ei);
	cs_model_init(&m);
	cs_diags_init(&d);
	err = cli_card_read_opts(&co, &card, &ei);
	if (err) {
		rc = report_failure(&card, err, &ei, NULL);
		goto out;
	}
	ef_name(&card, name, sizeof(name));
	err = cs_model_load_bsfile(&m, card.ef.data, card.ef.len, &ei);
	if (err) {
		rc = report_failure(&card, err, &ei, name);
		goto out;
	}
	err = cs_validate(&m, &d);
	if (err && err != CS_ERR_INVALID) {
		rc = cli_fail(err, NULL);
		goto out;
	}
	if (!cli.json && cli.verbosity >= 0) {
		cli_print_card(stdout, &card);
		fputc('\n', stdout);
	}
	rc = cli_report_model(name, &m, &d, cli.json ? cli_card_json(&card) : NULL);
out:
	cs_diags_free(&d);
	cs_model_free(&m);
	cli_card_free(&card);
	return rc;
}

const struct cli_cmd dump_cmd = {
	"dump",
	dump_main,
	"read the bootstrap data from the card and show it",
	"Usage: cardstrap dump [--reader R] [--pin-file F] [--scp03-keys F [--scp03 MODE]]\n"
	"                      [--json] [--trace] [--show-secrets]\n"
	"\n"
	"Reads EF LwM2M_Bootstrap from the card (EF.DIR → PKCS#15 application →\n"
	"EF ODF → DODF → EF) and prints the ATR, the ICCID, the PKCS#15\n"
	"application, the DODF entries, the secure channel, then the decoded data\n"
	"and the findings of the validator as `cardstrap decode` prints them.\n"
	"\n"
	"  --reader R       reader number (see `cardstrap readers`) or part of its\n"
	"                   name; default: the first reader with a card\n"
	"  --pin-file F     the PIN, if the card asks for one, from file F (mode 0600);\n"
	"                   else $CARDSTRAP_PIN, else a prompt on the terminal.\n"
	"                   The retry counter is read first: with one try left no\n"
	"                   PIN is sent.\n"
	CLI_SCP03_HELP
	"  --json           the JSON of `decode --json` with a \"card\" object added\n"
	"  --trace          every APDU and its answer on stderr, with timings (PIN\n"
	"                   and file contents masked unless --show-secrets); with a\n"
	"                   secure channel the wrapped APDUs as they went to the card,\n"
	"                   and with -v also their plain form ([scp03])\n"
	"  --show-secrets   print secret values\n"
	"\n"
	"Exit: 0 valid; 65 card data malformed or invalid; 66 no PKCS#15 application\n"
	"or no bootstrap object; 69 pcscd not running, no reader or no card; 74 card\n"
	"removed or communication failed; 77 PIN wrong, blocked, refused or missing,\n"
	"or an unsafe PIN file.\n"
	"SCP03: 69 the card does not support SCP03 (without --scp03 optional); 74 a\n"
	"response MAC mismatch (nothing is kept); 77 card cryptogram mismatch (wrong\n"
	"keys; never retried) or an unsafe keys file.\n",
};
