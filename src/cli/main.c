/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cardstrap/jsonalloc.h"
#include "cli.h"

static int help_main(int argc, char *argv[]);
static int version_main(int argc, char *argv[]);

static const struct cli_cmd help_cmd = {
	"help", help_main, "show help for a subcommand", "Usage: cardstrap help [SUBCOMMAND]\n"
};
static const struct cli_cmd version_cmd = {
	"version", version_main, "print the version", "Usage: cardstrap version\n"
};

/* Adding a subcommand: its file defines NAME_cmd, cli.h declares it, one line here. */
static const struct cli_cmd *const cmds[] = {
	&decode_cmd,
	&encode_cmd,
	&readers_cmd,
	&dump_cmd,
	&read_cmd,
	&mkcard_cmd,
	&serve_cmd,
	&push_cmd,
	&recover_cmd,
	&daemon_cmd,
	&help_cmd,
	&version_cmd,
	NULL,
};

const struct cli_cmd *cli_find_cmd(const char *name)
{
	for (size_t i = 0; cmds[i]; i++)
		if (!strcmp(cmds[i]->name, name))
			return cmds[i];
	return NULL;
}

static void print_overview(FILE *f)
{
	fprintf(f,
		"Usage: cardstrap SUBCOMMAND [OPTIONS] ...\n"
		"\n"
		"Reads LwM2M bootstrap data from a smartcard, validates it and injects it\n"
		"into a local LwM2M client as its Bootstrap-Server.\n"
		"\n"
		"Subcommands:\n");
	for (size_t i = 0; cmds[i]; i++)
		fprintf(f, "  %-10s %s\n", cmds[i]->name, cmds[i]->summary);
	fprintf(f,
		"\n"
		"Common options: --json, --trace, --show-secrets, -v/--verbose, -q/--quiet.\n"
		"`cardstrap help SUBCOMMAND` shows the options of one subcommand.\n");
}

static int help_main(int argc, char *argv[])
{
	const struct cli_cmd *c;

	if (argc < 2) {
		print_overview(stdout);
		return EXIT_OK;
	}
	c = cli_find_cmd(argv[1]);
	if (!c)
		cli_usage_error("no subcommand '%s'", argv[1]);
	fputs(c->usage, stdout);
	return EXIT_OK;
}

static int version_main(int argc, char *argv[])
{
	(void)argc;
	(void)argv;
	printf("cardstrap %s\n", CS_VERSION);
	return EXIT_OK;
}

int main(int argc, char *argv[])
{
	const struct cli_cmd *c;

	cs_json_secure_init(); /* JSON that held secrets is wiped when freed */
	if (argc < 2) {
		print_overview(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return help_main(1, argv);
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))
		return version_main(1, argv);
	c = cli_find_cmd(argv[1]);
	if (!c) {
		cli.cmd = NULL;
		cli_usage_error("no subcommand '%s'", argv[1]);
	}
	cli.cmd = c->name;
	return c->main(argc - 1, argv + 1);
}
