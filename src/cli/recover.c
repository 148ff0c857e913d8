/* SPDX-License-Identifier: MIT */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "cardstrap/buf.h"
#include "source.h"

enum { OPT_RESTART = OPT_SOURCE_LAST };

#define RECOVER_DEFAULT_TIMEOUT_S 120

struct recover_state {
	bool done;
	int result;
	int64_t cmd_started_ms; /* wall clock */
	bool cmd_exited;
	int cmd_status;
	const char *cmd;
	char last_refusal[600];
};

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void cmd_status_text(const struct recover_state *st, char *buf, size_t n)
{
	if (!st->cmd_exited)
		snprintf(buf, n, "still running");
	else if (WIFEXITED(st->cmd_status))
		snprintf(buf, n, "exited with status %d", WEXITSTATUS(st->cmd_status));
	else if (WIFSIGNALED(st->cmd_status))
		snprintf(buf, n, "killed by signal %d", WTERMSIG(st->cmd_status));
	else
		snprintf(buf, n, "ended");
}

/* The one-screen summary a technician reads after a successful recovery. */
static void print_summary(const struct recover_state *st, const struct cs_bsserver_report *r)
{
	FILE *f = stdout;
	const char *b = cli_style(f, "bold"), *g = cli_style(f, "green"),
		   *z = cli_style(f, "reset");
	char cs[64];

	fprintf(f, "%sclient recovered%s: ep=%s bootstrapped from %s%s (%s)\n", g, z, r->endpoint,
		r->peer, r->dtls ? " over DTLS" : "",
		r->content_format == CS_CF_SENML_JSON ? "SenML JSON" : "TLV");
	cmd_status_text(st, cs, sizeof(cs));
	fprintf(f, "  %-17s%s: %s\n", "restart command", cs, st->cmd);
	if (r->client_bs_iid >= 0)
		fprintf(f, "  %-17sthe client's Bootstrap-Server account is /0/%d%s%s\n",
			"discover", (int)r->client_bs_iid, r->lwm2m_version[0] ? ", LwM2M " : "",
			r->lwm2m_version);
	else
		fprintf(f, "  %-17sthe client showed no Bootstrap-Server account\n", "discover");
	fprintf(f, "  %s%-17s%s", b, "deleted", z);
	if (!r->ndeleted)
		fprintf(f, "nothing");
	for (size_t i = 0; i < r->ndeleted; i++)
		fprintf(f, "%s%s", i ? " " : "", r->deleted[i].path);
	fputc('\n', f);
	for (size_t i = 0; i < r->nwritten; i++) {
		const struct cs_bsserver_write *w = &r->written[i];

		fprintf(f, "  %s%-17s%s%-6s ", b, i ? "" : "written", z, w->path);
		if (w->bootstrap_account)
			fprintf(f, "Bootstrap-Server account %s (handover: it replaces cardstrap)",
				w->uri);
		else if (w->path[1] == '0')
			fprintf(f, "server account SSID %d, %s", (int)w->ssid, w->uri);
		else if (w->path[1] == '1' && w->path[2] == '/')
			fprintf(f, "server SSID %d", (int)w->ssid);
		else
			fprintf(f, "object instance");
		if (strcmp(w->path, w->card_path))
			fprintf(f, " (card %s)", w->card_path);
		fputc('\n', f);
	}
	if (!r->nwritten)
		fprintf(f, "  %s%-17s%snothing\n", b, "written", z);
	if (r->bs_account_skipped)
		fprintf(f,
			"  %-17sthe card's Bootstrap-Server account (--bs-account skip): the\n"
			"  %-17sclient keeps cardstrap as its Bootstrap-Server\n",
			"not written", "");
	fprintf(f, "  %-17s%s\n", "Bootstrap-Finish", cs_bsserver_code_name(r->finish_code));
	fprintf(f,
		"  %-17sBootstrap-Request %lld ms after the restart, session %u ms (%zu "
		"requests)\n",
		"timings", (long long)(r->started_ms - st->cmd_started_ms), r->duration_ms,
		r->nops);
}

static void on_event(void *arg, enum cs_bsserver_event ev, const struct cs_bsserver_report *r)
{
	struct recover_state *st = arg;

	if (ev == CS_BSSERVER_REQUEST_REFUSED)
		cs_bsserver_report_line(r, st->last_refusal, sizeof(st->last_refusal));
	if (ev == CS_BSSERVER_SESSION_ENDED && !st->done && r->result != CS_ERR_CANCELLED) {
		st->done = true;
		st->result = r->result;
		if (r->result == 0 && !cli.json) {
			print_summary(st, r);
			return;
		}
	}
	cli_print_report(ev, r);
}

static int recover_main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		CLI_COMMON_LONGOPTS,
		CLI_SOURCE_LONGOPTS,
		{"restart-client", required_argument, NULL, OPT_RESTART},
		{NULL, 0, NULL, 0},
	};
	struct cli_source src = {0};
	struct cli_listen l = {0};
	struct recover_state st = {0};
	struct cs_bsserver *srv = NULL;
	const char *restart = NULL;
	char uri[80], *cmd = NULL, cs[64];
	struct cs_model m;
	unsigned total_s;
	long pid;
	int c, rc, child = 0;
	uint64_t left_ms;
	int64_t end_ms;

	while ((c = getopt_long(argc, argv, CLI_COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (c == OPT_RESTART)
			restart = optarg;
		else if (!cli_source_option(c, optarg, &src, &l) && !cli_common_option(c))
			cli_usage_error("unexpected option");
	}
	if (optind != argc)
		cli_usage_error("no arguments expected (quote the restart command)");
	if (!restart || !*restart)
		cli_usage_error("how is the client restarted? --restart-client CMD");
	if (!l.cfg.endpoint && strstr(restart, "{endpoint}"))
		cli_usage_error("--restart-client uses {endpoint}: give --endpoint NAME");
	total_s = l.timeout_s ? l.timeout_s : RECOVER_DEFAULT_TIMEOUT_S;

	cs_model_init(&m);
	/* a session never outlives the whole wait */
	l.cfg.timeout_ms = (total_s < CS_BSSERVER_DEFAULT_TIMEOUT_MS / 1000
				    ? total_s
				    : CS_BSSERVER_DEFAULT_TIMEOUT_MS / 1000) *
			   1000u;
	rc = cli_serve_start(&src, &l, on_event, &st, &m, &srv);
	if (rc)
		goto out;
	cs_bsserver_uri(srv, false, uri, sizeof(uri));
	cmd = cli_expand_command(restart, uri, l.cfg.endpoint);
	if (!cmd) {
		rc = cli_fail(CS_ERR_NOMEM, NULL);
		goto out;
	}
	cli_info("serving the bootstrap data on %s; restarting the client: %s", uri, cmd);
	st.cmd = cmd;
	st.cmd_started_ms = wall_ms();
	end_ms = st.cmd_started_ms + (int64_t)total_s * 1000;
	pid = cli_loop_spawn(cmd);
	if (pid < 0) {
		cli_error("cannot run the restart command");
		rc = EXIT_SOFTWARE;
		goto out;
	}
	for (;;) {
		int64_t now = wall_ms();
		int r;

		left_ms = now >= end_ms ? 0 : (uint64_t)(end_ms - now);
		r = cli_loop_run(srv, &st.done, (long)left_ms, &child);
		if (r == CLI_LOOP_DONE) {
			rc = cli_session_exit(st.result);
			if (rc && !st.cmd_exited)
				cli_info("the restart command is %s", "still running");
			break;
		}
		if (r == CLI_LOOP_CHILD) {
			st.cmd_exited = true;
			st.cmd_status = child;
			if (WIFEXITED(child) && WEXITSTATUS(child) == 0)
				continue;
			cmd_status_text(&st, cs, sizeof(cs));
			/* a session already under way still decides */
			if (cs_bsserver_active(srv)) {
				cli_warn(
					"the restart command %s; finishing the bootstrap under way",
					cs);
				continue;
			}
			cli_error("the restart command %s before any client bootstrapped: %s", cs,
				  cmd);
			rc = EXIT_UNAVAILABLE;
			break;
		}
		if (r == CLI_LOOP_TIMEOUT) {
			cli_error(
				"no client completed a bootstrap within %u s (restart command %s)",
				total_s,
				st.cmd_exited ? (cmd_status_text(&st, cs, sizeof(cs)), cs)
					      : "still running");
			if (st.last_refusal[0])
				cli_error("last refused: %s", st.last_refusal);
			rc = EXIT_TEMPFAIL;
			break;
		}
		if (r == CLI_LOOP_STOP) {
			cli_error("interrupted");
			rc = cli_exit_code(CS_ERR_CANCELLED);
			break;
		}
		rc = EXIT_IOERR;
		break;
	}
out:
	cs_bsserver_free(srv);
	cs_model_free(&m);
	free(cmd);
	return rc;
}

const struct cli_cmd recover_cmd = {
	"recover",
	recover_main,
	"bring back a client that lost its Bootstrap-Server account",
	"Usage: cardstrap recover [--reader R | --file EF] --restart-client CMD [OPTIONS]\n"
	"\n"
	"For a client whose Bootstrap-Server account was purged: it listens to nobody,\n"
	"so cardstrap starts serving first (as `serve`), then runs CMD with /bin/sh -c\n"
	"to restart the client in factory-bootstrap mode pointed at cardstrap, waits\n"
	"for one complete bootstrap and prints what was deleted and written.\n"
	"In CMD, {uri} becomes the listener's URI (coap://127.0.0.1:5783) and\n"
	"{endpoint} the --endpoint NAME. CMD should return once the client runs (like\n"
	"`systemctl restart`); a CMD that keeps running is left running.\n"
	"\n"
	"  --restart-client CMD  how to restart the client\n"
	"\n" CLI_SOURCE_HELP
	"  --timeout S          how long to wait for the bootstrap (default 120)\n"
	"  --json               the session report as one JSON line on stdout\n"
	"\n"
	"Exit: 0 recovered, 65 invalid card data (nothing served), 70 the client\n"
	"rejected a write or found the configuration inconsistent (4.06), 75 no\n"
	"bootstrap in time, 69 CMD failed before any bootstrap (its status is\n"
	"printed) or cannot listen, 77 PIN or unsafe key file, 64 usage.\n",
};
