/* SPDX-License-Identifier: MIT */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cardstrap/encoding.h"
#include "cardio.h"
#include "cli.h"

enum { OPT_READER = OPT_FIRST_CMD_OPT, OPT_PIN_FILE, OPT_HEX };

/* Hex text, 16 bytes a line: what `cardstrap decode` reads back. */
static int to_hex(const struct cs_buf *in, struct cs_buf *out)
{
	char h[3 * 16 + 1];
	int err = 0;

	for (size_t off = 0; off < in->len && !err; off += 16) {
		size_t n = in->len - off < 16 ? in->len - off : 16;

		cs_hex_encode(in->data + off, n, ' ', h, sizeof(h));
		err = cs_buf_append(out, h, strlen(h));
		if (!err)
			err = cs_buf_push(out, '\n');
	}
	return err;
}

static int read_main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		CLI_COMMON_LONGOPTS,
		{"reader", required_argument, NULL, OPT_READER},
		{"pin-file", required_argument, NULL, OPT_PIN_FILE},
		CLI_SCP03_LONGOPTS,
		{"output", required_argument, NULL, 'o'},
		{"hex", no_argument, NULL, OPT_HEX},
		{NULL, 0, NULL, 0},
	};
	struct cli_card_opts co = {0};
	const char *output = NULL;
	struct cs_buf hex = {0};
	const struct cs_buf *data;
	struct cli_card card;
	struct cs_errinfo ei;
	bool as_hex = false;
	int c, err, rc;

	while ((c = getopt_long(argc, argv, CLI_COMMON_SHORTOPTS "o:", longopts, NULL)) != -1) {
		if (c == OPT_READER)
			co.reader = optarg;
		else if (c == OPT_PIN_FILE)
			co.pin_file = optarg;
		else if (cli_scp03_option(c, optarg, &co))
			continue;
		else if (c == 'o')
			output = optarg;
		else if (c == OPT_HEX)
			as_hex = true;
		else if (!cli_common_option(c))
			cli_usage_error("unexpected option");
	}
	if (optind != argc)
		cli_usage_error("no arguments expected (the PIN never goes on the command line)");
	if (!output)
		cli_usage_error("where to? use -o FILE (- for standard output)");

	cs_errinfo_clear(&ei);
	err = cli_card_read_opts(&co, &card, &ei);
	if (err) {
		rc = cli_fail(err, &ei);
		goto out;
	}
	data = &card.ef;
	if (as_hex) {
		err = to_hex(&card.ef, &hex);
		if (err) {
			rc = cli_fail(err, NULL);
			goto out;
		}
		data = &hex;
	}
	/* the EF holds keys: 0600, and all or nothing */
	err = cli_write_file(output, data->data, data->len, S_IRUSR | S_IWUSR, &ei);
	if (err) {
		cli_error("%s", ei.msg);
		rc = EXIT_CANTCREAT;
		goto out;
	}
	if (strcmp(output, "-"))
		cli_info("wrote %zu bytes of EF LwM2M_Bootstrap from '%s' to %s", card.ef.len,
			 card.reader, output);
	rc = EXIT_OK;
out:
	cs_buf_free(&hex);
	cli_card_free(&card);
	return rc;
}

const struct cli_cmd read_cmd = {
	"read",
	read_main,
	"copy the card's EF LwM2M_Bootstrap into a file",
	"Usage: cardstrap read [--reader R] [--pin-file F] [--scp03-keys F [--scp03 MODE]]\n"
	"                      [--hex] [--trace] -o FILE\n"
	"\n"
	"Reads EF LwM2M_Bootstrap from the card as `cardstrap dump` does and writes\n"
	"its bytes, unchanged, to FILE (mode 0600; written only when the whole\n"
	"file was read). `cardstrap decode FILE` shows it.\n"
	"\n"
	"  -o, --output FILE  where to write (- = standard output)\n"
	"  --hex              write hex text (16 bytes a line) instead of bytes\n"
	"  --reader R         reader number or part of its name\n"
	"  --pin-file F       the PIN from file F (mode 0600); else $CARDSTRAP_PIN,\n"
	"                     else a prompt on the terminal\n"
	"  --scp03-keys F     read through an SCP03 secure channel (Core TS App. H)\n"
	"                     with the key set in file F (mode 0600)\n"
	"  --scp03 MODE       required (default) or optional: read a card without\n"
	"                     SCP03 in plain, with a warning\n"
	"  --trace            every APDU on stderr (file contents masked unless\n"
	"                     --show-secrets)\n"
	"\n"
	"Exit: 0 written; 66 no PKCS#15 application or no bootstrap object; 69 pcscd\n"
	"not running, no reader or no card; 73 cannot write FILE; 74 card removed or\n"
	"communication failed (also an SCP03 response MAC mismatch: nothing is\n"
	"written); 77 PIN problem, unsafe PIN or keys file, or SCP03 card cryptogram\n"
	"mismatch (wrong keys); 69 also: the card does not support SCP03.\n",
};
