/* SPDX-License-Identifier: MIT */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cardstrap/cardimg.h"
#include "cardstrap/scp03.h"
#include "cli.h"
#include "secrets.h"

enum {
	OPT_EF = OPT_FIRST_CMD_OPT,
	OPT_PIN_FILE,
	OPT_PIN_REF,
	OPT_PIN_TRIES,
	OPT_PRIVATE,
	OPT_ICCID,
	OPT_WRAPPED_OID,
	OPT_T0,
	OPT_CHANNELS,
	OPT_EXTENDED,
	OPT_SCP03_KEYS,
	OPT_SCP03_REQUIRED,
	OPT_SCP03_LEVEL,
};

static unsigned parse_uint(const char *opt, const char *s, unsigned min, unsigned max, int base)
{
	char *end;
	unsigned long v = strtoul(s, &end, base);

	if (!*s || *end || v < min || v > max)
		cli_usage_error("%s takes a number from %u to %u, not '%s'", opt, min, max, s);
	return (unsigned)v;
}

static int mkcard_main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		CLI_COMMON_LONGOPTS,
		{ "ef", required_argument, NULL, OPT_EF },
		{ "output", required_argument, NULL, 'o' },
		{ "pin-file", required_argument, NULL, OPT_PIN_FILE },
		{ "pin-ref", required_argument, NULL, OPT_PIN_REF },
		{ "pin-tries", required_argument, NULL, OPT_PIN_TRIES },
		{ "private", no_argument, NULL, OPT_PRIVATE },
		{ "iccid", required_argument, NULL, OPT_ICCID },
		{ "wrapped-oid", no_argument, NULL, OPT_WRAPPED_OID },
		{ "t0", no_argument, NULL, OPT_T0 },
		{ "channels", required_argument, NULL, OPT_CHANNELS },
		{ "extended-length", no_argument, NULL, OPT_EXTENDED },
		{ "scp03-keys", required_argument, NULL, OPT_SCP03_KEYS },
		{ "scp03-required", no_argument, NULL, OPT_SCP03_REQUIRED },
		{ "scp03-level", required_argument, NULL, OPT_SCP03_LEVEL },
		{ NULL, 0, NULL, 0 },
	};
	struct cs_cardimg_std std = { 0 };
	struct cs_buf ef = { 0 }, pin = { 0 };
	const char *ef_path = NULL, *out_path = NULL, *pin_file = NULL, *keys_file = NULL;
	struct cs_cardimg *img = NULL;
	struct cs_scp03_keys keys;
	struct cs_errinfo ei;
	int c, err, rc;

	while ((c = getopt_long(argc, argv, CLI_COMMON_SHORTOPTS "o:", longopts, NULL)) != -1) {
		if (cli_common_option(c))
			continue;
		switch (c) {
		case OPT_EF: ef_path = optarg; break;
		case 'o': out_path = optarg; break;
		case OPT_PIN_FILE: pin_file = optarg; break;
		case OPT_PIN_REF:
			std.pin_ref = (uint8_t)parse_uint("--pin-ref", optarg, 1, 0xFF, 16);
			break;
		case OPT_PIN_TRIES:
			std.pin_tries = parse_uint("--pin-tries", optarg, 1, 15, 10);
			break;
		case OPT_PRIVATE: std.private_obj = true; break;
		case OPT_ICCID: std.iccid = optarg; break;
		case OPT_WRAPPED_OID: std.wrapped_oid = true; break;
		case OPT_T0: std.t0 = true; break;
		case OPT_CHANNELS:
			std.channels = parse_uint("--channels", optarg, 1, 20, 10);
			break;
		case OPT_EXTENDED: std.extended_length = true; break;
		case OPT_SCP03_KEYS: keys_file = optarg; break;
		case OPT_SCP03_REQUIRED: std.scp03_required = true; break;
		case OPT_SCP03_LEVEL:
			std.scp03_level = (uint8_t)parse_uint("--scp03-level", optarg, 1, 0x33, 16);
			if (!cs_scp03_level_valid(std.scp03_level))
				cli_usage_error("--scp03-level is 01, 03, 11, 13 or 33, not '%s'",
						optarg);
			break;
		default: cli_usage_error("unexpected option");
		}
	}
	if (optind != argc)
		cli_usage_error("unexpected argument '%s'", argv[optind]);
	if (!ef_path || !out_path)
		cli_usage_error("both --ef EF and -o CARD are needed");
	if (std.private_obj && !pin_file)
		cli_usage_error("--private needs a PIN (--pin-file FILE)");
	if ((std.scp03_required || std.scp03_level) && !keys_file)
		cli_usage_error("--scp03-required and --scp03-level need --scp03-keys FILE");

	cs_errinfo_clear(&ei);
	cs_scp03_keys_clear(&keys);
	/* the host's keys file format and permission rule (0600) */
	if (keys_file) {
		err = cs_scp03_keys_load(keys_file, &keys, &ei);
		if (err) {
			rc = cli_fail(err, &ei);
			goto out;
		}
		std.scp03_keys = &keys;
	}
	err = cli_read_input(ef_path, 1u << 20, &ef, NULL, &ei);
	if (err) {
		rc = cli_fail(err, &ei);
		goto out;
	}
	if (pin_file) {
		err = cli_read_secret_file(pin_file, &pin, &ei);
		if (!err)
			err = cs_buf_push(&pin, '\0');
		if (err) {
			rc = cli_fail(err, &ei);
			goto out;
		}
		std.pin = (const char *)pin.data;
	}
	std.ef = ef.data;
	std.ef_len = ef.len;
	err = cs_cardimg_build_standard(&std, &img, &ei);
	if (err) {
		rc = cli_fail(err, &ei);
		goto out;
	}
	/* The image holds the PIN, so it is written 0600 like every secret file. */
	err = cs_cardimg_save(img, out_path, &ei);
	if (err) {
		cli_error("%s", ei.msg);
		rc = EXIT_CANTCREAT;
		goto out;
	}
	cli_info("wrote card image %s: EF LwM2M_Bootstrap %zu bytes%s%s%s%s", out_path, ef.len,
		 pin_file ? ", PIN" : "", std.private_obj ? ", private object" : "",
		 keys_file ? ", SCP03 keys" : "", std.scp03_required ? " (required)" : "");
	rc = EXIT_OK;
out:
	cs_scp03_keys_clear(&keys);
	cs_cardimg_free(img);
	cs_buf_free(&pin);
	cs_buf_free(&ef);
	return rc;
}

const struct cli_cmd mkcard_cmd = {
	"mkcard", mkcard_main, "build a virtual card image around an EF LwM2M_Bootstrap file",
	"Usage: cardstrap mkcard --ef EF -o CARD [--pin-file F [--private]]\n"
	"                        [--scp03-keys F [--scp03-required] [--scp03-level L]] [options]\n"
	"\n"
	"Writes a card image (JSON, applet-spec/card-image.md) with the standard\n"
	"layout of applet-spec/README.md: EF.DIR and EF ICCID under the MF, and the\n"
	"PKCS#15 application with ODF 5031 -> DODF 6430 -> EF LwM2M_Bootstrap 6432.\n"
	"cardstrap-vcard serves it to pcscd; `cardstrap dump` reads it back.\n"
	"\n"
	"  --ef EF            the EF LwM2M_Bootstrap bytes (binary or hex text)\n"
	"  -o, --output CARD  where to write the image (mode 0600: it holds the PIN\n"
	"                     and the keys)\n"
	"  --pin-file F       give the card a PIN (first line of F; F must be 0600)\n"
	"  --pin-ref N        its key reference, hex (default 01 = PIN Appl 1)\n"
	"  --pin-tries N      tries before it blocks (default 3)\n"
	"  --private          mark the bootstrap object private: reading it needs the PIN\n"
	"  --iccid DIGITS     the ICCID (default " CS_CARDIMG_STD_ICCID ")\n"
	"  --wrapped-oid      write the OID double-wrapped, as some live cards do\n"
	"  --t0               behave like a T=0 card (61xx and 6Cxx answers)\n"
	"  --channels N       logical channels the card offers (default 4)\n"
	"  --extended-length  announce extended Lc/Le in the ATR\n"
	"  --scp03-keys F     give the card this SCP03 key set (the file format of\n"
	"                     `dump --scp03-keys`; F must be 0600); i parameter 70\n"
	"  --scp03-required   the PKCS#15 files only through a secure channel\n"
	"  --scp03-level L    the security level it requires, hex (default 33)\n",
};
