/* SPDX-License-Identifier: MIT */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "source.h"

enum { OPT_ONCE = OPT_SOURCE_LAST };

struct serve_state {
	bool once;
	bool done;
	int result;
};

static void on_event(void *arg, enum cs_bsserver_event ev, const struct cs_bsserver_report *r)
{
	struct serve_state *st = arg;

	cli_print_report(ev, r);
	/* a session superseded by the same client's new Bootstrap-Request is not the end */
	if (ev == CS_BSSERVER_SESSION_ENDED && st->once && !st->done &&
	    r->result != CS_ERR_CANCELLED) {
		st->done = true;
		st->result = r->result;
	}
}

static int serve_main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		CLI_COMMON_LONGOPTS,
		CLI_SOURCE_LONGOPTS,
		{"once", no_argument, NULL, OPT_ONCE},
		{NULL, 0, NULL, 0},
	};
	struct cli_source src = {0};
	struct cli_listen l = {0};
	struct serve_state st = {0};
	struct cs_bsserver *srv = NULL;
	struct cs_model m;
	char uri[80], duri[80];
	int c, rc, child;

	while ((c = getopt_long(argc, argv, CLI_COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (c == OPT_ONCE)
			st.once = true;
		else if (!cli_source_option(c, optarg, &src, &l) && !cli_common_option(c))
			cli_usage_error("unexpected option");
	}
	if (optind != argc)
		cli_usage_error("no arguments expected");

	cs_model_init(&m);
	rc = cli_serve_start(&src, &l, on_event, &st, &m, &srv);
	if (rc)
		goto out;
	cs_bsserver_uri(srv, false, uri, sizeof(uri));
	cs_bsserver_uri(srv, true, duri, sizeof(duri));
	cli_info("serving the bootstrap data on %s%s%s%s%s", uri, duri[0] ? " and " : "", duri,
		 l.cfg.endpoint ? " for ep=" : "", l.cfg.endpoint ? l.cfg.endpoint : "");
	switch (cli_loop_run(srv, &st.done, -1, &child)) {
	case CLI_LOOP_DONE: rc = cli_session_exit(st.result); break;
	case CLI_LOOP_STOP:
		cli_info("stopping");
		rc = EXIT_OK;
		break;
	default: rc = EXIT_IOERR; break;
	}
out:
	cs_bsserver_free(srv);
	cs_model_free(&m);
	return rc;
}

const struct cli_cmd serve_cmd = {
	"serve",
	serve_main,
	"serve the card's bootstrap data to local LwM2M clients",
	"Usage: cardstrap serve [--reader R | --file EF] [--once] [OPTIONS]\n"
	"\n"
	"Reads and validates the bootstrap data once, then acts as the Bootstrap-Server\n"
	"of local LwM2M clients: each client's Bootstrap-Request (POST /bs?ep=NAME) is\n"
	"answered 2.04, followed by Bootstrap-Discover, the Deletes of the accounts the\n"
	"card replaces (never the client's Bootstrap-Server account, never DELETE /\n"
	"unless --delete-all), one PUT per card instance (TLV, or SenML JSON when the\n"
	"client asked pct=110; Block1 above 1024 bytes) and Bootstrap-Finish. Every\n"
	"answer is checked; the first error ends that session without Finish.\n"
	"Runs until SIGINT or SIGTERM. One line per session on stderr.\n"
	"\n" CLI_SOURCE_HELP "  --timeout S          limit of one session (default 60)\n"
	"  --once               exit after the first session: 0 when it succeeded,\n"
	"                       else its exit code\n"
	"  --json               each session report as one JSON line on stdout\n"
	"  -v                   also the warnings of the data and every operation\n"
	"\n"
	"Exit: 0 stopped by a signal (or --once: bootstrapped), 65 invalid data,\n"
	"70 the client rejected a write or Finish (--once), 75 session timed out\n"
	"(--once), 69 cannot listen, 77 unsafe PSK key file or PIN problem, 64 usage.\n",
};
