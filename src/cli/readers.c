/* SPDX-License-Identifier: MIT */
#include <getopt.h>
#include <stdio.h>

#include <jansson.h>

#include "cardstrap/encoding.h"
#include "cardstrap/pcsc.h"
#include "cli.h"

static const char *state_of(const struct cs_pcsc_reader *r)
{
	if (!r->card_present)
		return "empty";
	if (r->card_mute)
		return "mute";
	if (r->exclusive)
		return "exclusive";
	return "card";
}

static json_t *reader_json(size_t i, const struct cs_pcsc_reader *r)
{
	char atr[2 * CS_PCSC_MAX_ATR + 1];

	cs_hex_encode(r->atr, r->atr_len, 0, atr, sizeof(atr));
	return json_pack("{s:I, s:s, s:s, s:b, s:o}", "index", (json_int_t)i, "name", r->name,
			 "state", state_of(r), "card", r->card_present && !r->card_mute, "atr",
			 r->atr_len ? json_string(atr) : json_null());
}

static int readers_main(int argc, char *argv[])
{
	static const struct option longopts[] = {CLI_COMMON_LONGOPTS, {NULL, 0, NULL, 0}};
	struct cs_pcsc_reader rs[CS_PCSC_MAX_READERS];
	struct cs_errinfo ei;
	size_t n;
	int c, err;

	while ((c = getopt_long(argc, argv, CLI_COMMON_SHORTOPTS, longopts, NULL)) != -1)
		if (!cli_common_option(c))
			cli_usage_error("unexpected option");
	if (optind != argc)
		cli_usage_error("no arguments expected");
	cs_errinfo_clear(&ei);
	err = cs_pcsc_list_readers(rs, CS_PCSC_MAX_READERS, &n, &ei);
	if (err)
		return cli_fail(err, &ei);
	if (cli.json) {
		json_t *a = json_array();

		for (size_t i = 0; a && i < n; i++)
			json_array_append_new(a, reader_json(i, &rs[i]));
		cli_print_json(a);
	} else {
		for (size_t i = 0; i < n; i++) {
			printf("%zu  %-32s  %-9s", i, rs[i].name, state_of(&rs[i]));
			for (size_t k = 0; k < rs[i].atr_len; k++)
				printf(" %02X", rs[i].atr[k]);
			putchar('\n');
		}
	}
	if (n == 0) {
		cli_error("no card reader found (is it plugged in?)");
		return EXIT_UNAVAILABLE;
	}
	return EXIT_OK;
}

const struct cli_cmd readers_cmd = {
	"readers",
	readers_main,
	"list the card readers and their cards",
	"Usage: cardstrap readers [--json]\n"
	"\n"
	"Lists the PC/SC readers in the order --reader N counts them, with the\n"
	"state of the card (card, empty, mute, exclusive) and its ATR.\n"
	"\n"
	"  --json   a JSON array of {\"index\", \"name\", \"state\", \"card\", \"atr\"}\n"
	"\n"
	"Exit: 0 at least one reader, 69 pcscd not running or no reader.\n",
};
