/* SPDX-License-Identifier: MIT */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "source.h"

enum { OPT_CLIENT = OPT_SOURCE_LAST };

struct push_state {
	bool done;
	int result;
};

static void on_event(void *arg, enum cs_bsserver_event ev, const struct cs_bsserver_report *r)
{
	struct push_state *st = arg;

	cli_print_report(ev, r);
	if (ev == CS_BSSERVER_SESSION_ENDED && r->push && !st->done) {
		st->done = true;
		st->result = r->result;
	}
}

static int push_main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		CLI_COMMON_LONGOPTS,
		CLI_SOURCE_LONGOPTS,
		{"client", required_argument, NULL, OPT_CLIENT},
		{NULL, 0, NULL, 0},
	};
	struct cli_source src = {0};
	struct cli_listen l = {0};
	struct push_state st = {0};
	struct cs_bsserver *srv = NULL;
	const char *client = NULL;
	struct cs_errinfo ei;
	struct cs_model m;
	char uri[80];
	int c, rc, err, child;

	while ((c = getopt_long(argc, argv, CLI_COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (c == OPT_CLIENT)
			client = optarg;
		else if (!cli_source_option(c, optarg, &src, &l) && !cli_common_option(c))
			cli_usage_error("unexpected option");
	}
	if (optind != argc)
		cli_usage_error("no arguments expected");
	if (!client)
		cli_usage_error("which client? --client coap://HOST:PORT");

	cs_model_init(&m);
	rc = cli_serve_start(&src, &l, on_event, &st, &m, &srv);
	if (rc)
		goto out;
	cs_errinfo_clear(&ei);
	err = cs_bsserver_push(srv, client, l.cfg.endpoint, &ei);
	if (err) {
		rc = err == CS_ERR_ARG ? (cli_error("%s", ei.msg), EXIT_USAGE) : cli_fail(err, &ei);
		goto out;
	}
	cs_bsserver_uri(srv, strncmp(client, "coaps:", 6) == 0, uri, sizeof(uri));
	cli_info("pushing the bootstrap data to %s from %s", client, uri);
	switch (cli_loop_run(srv, &st.done, -1, &child)) {
	case CLI_LOOP_DONE: rc = cli_session_exit(st.result); break;
	case CLI_LOOP_STOP:
		cli_error("interrupted");
		rc = cli_exit_code(CS_ERR_CANCELLED);
		break;
	default: rc = EXIT_IOERR; break;
	}
out:
	cs_bsserver_free(srv);
	cs_model_free(&m);
	return rc;
}

const struct cli_cmd push_cmd = {
	"push",
	push_main,
	"push the bootstrap data to a listening LwM2M client",
	"Usage: cardstrap push --client coap://HOST:PORT [--reader R | --file EF] [OPTIONS]\n"
	"\n"
	"Server-initiated bootstrap: sends Bootstrap-Discover, the Deletes, the writes\n"
	"and Bootstrap-Finish to a client that listens at HOST:PORT and holds cardstrap\n"
	"(--listen, default 127.0.0.1:5783) as its Bootstrap-Server account. The\n"
	"requests leave from exactly that address and port, the only one such a client\n"
	"accepts bootstrap commands from. coaps:// pushes over DTLS-PSK from\n"
	"--dtls-listen with --psk-identity/--psk-key-file.\n"
	"\n"
	"  --client URI         the client's CoAP address\n"
	"  --endpoint NAME      the client's name, for the report\n"
	"\n" CLI_SOURCE_HELP "  --timeout S          limit of the session (default 60)\n"
	"  --json               the session report as one JSON line on stdout\n"
	"\n"
	"Exit: 0 bootstrapped, 65 invalid data, 70 the client rejected a write or\n"
	"Finish, 75 no answer in time, 69 cannot bind, 64 usage.\n",
};
