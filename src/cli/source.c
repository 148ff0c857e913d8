/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cardstrap/encoding.h"
#include "cardstrap/validate.h"
#include "cardio.h"
#include "secrets.h"
#include "source.h"

/* Hex text of a 32 KB EF with comments stays well below this. */
#define SOURCE_MAX_INPUT (1u << 20)

bool cli_source_option(int c, const char *arg, struct cli_source *src, struct cli_listen *l)
{
	char *end;
	unsigned long v;

	if (cli_scp03_option(c, arg, &src->card))
		return true;
	switch (c) {
	case OPT_SRC_FILE: src->file = arg; return true;
	case OPT_SRC_READER:
		src->card.reader = arg;
		src->from_card = true;
		return true;
	case OPT_SRC_PIN_FILE: src->card.pin_file = arg; return true;
	case OPT_LISTEN: l->cfg.listen = arg; return true;
	case OPT_LISTEN_ANY: l->cfg.listen_any = true; return true;
	case OPT_DTLS_LISTEN: l->cfg.dtls_listen = arg; return true;
	case OPT_PSK_IDENTITY: l->psk_identity = arg; return true;
	case OPT_PSK_KEY_FILE: l->psk_key_file = arg; return true;
	case OPT_ENDPOINT:
		if (!*arg)
			cli_usage_error("--endpoint needs a name");
		l->cfg.endpoint = arg;
		return true;
	case OPT_DELETE_ALL: l->cfg.delete_all = true; return true;
	case OPT_BS_ACCOUNT:
		if (!strcmp(arg, "handover"))
			l->cfg.bs_account = CS_BS_ACCOUNT_HANDOVER;
		else if (!strcmp(arg, "skip"))
			l->cfg.bs_account = CS_BS_ACCOUNT_SKIP;
		else
			cli_usage_error("--bs-account is handover or skip, not '%s'", arg);
		return true;
	case OPT_BLOCK_SIZE:
		v = strtoul(arg, &end, 10);
		if (!*arg || *end || v < 16 || v > 1024 || (v & (v - 1)))
			cli_usage_error("--block-size is 16, 32, 64, 128, 256, 512 or 1024");
		l->cfg.block_size = (unsigned)v;
		return true;
	case OPT_TIMEOUT:
		errno = 0;
		v = strtoul(arg, &end, 10);
		if (errno || !*arg || *end || v == 0 || v > CS_BSSERVER_MAX_TIMEOUT_MS / 1000)
			cli_usage_error("--timeout is 1..%u seconds",
					CS_BSSERVER_MAX_TIMEOUT_MS / 1000);
		l->timeout_s = (unsigned)v;
		return true;
	}
	return false;
}

static int load_bytes(const struct cli_source *src, struct cs_buf *ef, const char **name)
{
	struct cli_card_opts opts;
	struct cs_errinfo ei;
	struct cli_card card;
	int err;

	cs_errinfo_clear(&ei);
	if (src->file) {
		*name = src->file;
		err = cli_read_input(src->file, SOURCE_MAX_INPUT, ef, NULL, &ei);
		if (err == CS_ERR_IO)
			return cli_fail(err, &ei);
		if (err) {
			cli_error("%s: %s", src->file, ei.msg[0] ? ei.msg : cs_strerror(err));
			return cli_exit_code(err);
		}
		return 0;
	}
	*name = "the card";
	/* This data will be injected: a plain read is done twice and compared. */
	opts = src->card;
	opts.verify = true;
	err = cli_card_read_opts(&opts, &card, &ei);
	if (!err) {
		err = cs_buf_append(ef, card.ef.data, card.ef.len);
		if (!err && card.reader[0])
			cli_info("read %zu bytes of EF LwM2M_Bootstrap from %s%s%s", card.ef.len,
				 card.reader, card.info.iccid[0] ? ", ICCID " : "",
				 card.info.iccid);
	}
	cli_card_free(&card);
	return err ? cli_fail(err, &ei) : 0;
}

int cli_source_load(const struct cli_source *src, struct cs_model *m)
{
	struct cs_buf ef = {0};
	struct cs_errinfo ei;
	struct cs_diags d;
	const char *name = "";
	int err, rc;

	cs_errinfo_clear(&ei);
	cs_diags_init(&d);
	rc = load_bytes(src, &ef, &name);
	if (rc)
		goto out;
	err = cs_model_load_bsfile(m, ef.data, ef.len, &ei);
	if (err) {
		cli_error("%s: %s; nothing is served", name, ei.msg[0] ? ei.msg : cs_strerror(err));
		rc = EXIT_DATAERR;
		goto out;
	}
	err = cs_validate(m, &d);
	if (err && err != CS_ERR_INVALID) {
		rc = cli_fail(err, NULL);
		goto out;
	}
	if (d.errors || (d.n && cli.verbosity > 0))
		cli_print_diags(stderr, &d);
	if (d.errors) {
		cli_error("%s: %zu validation error%s; nothing is served", name, d.errors,
			  d.errors == 1 ? "" : "s");
		rc = EXIT_DATAERR;
		goto out;
	}
	if (d.warnings && cli.verbosity <= 0)
		cli_info("%s: valid, %zu warning%s (-v shows them)", name, d.warnings,
			 d.warnings == 1 ? "" : "s");
	rc = EXIT_OK;
out:
	if (rc)
		cs_model_free(m);
	cs_diags_free(&d);
	cs_buf_free(&ef);
	return rc;
}

int cli_listen_start(struct cli_listen *l, struct cs_bsserver **srv)
{
	struct cs_buf key = {0};
	struct cs_errinfo ei;
	int err, rc = 0;

	cs_errinfo_clear(&ei);
	if (l->cfg.dtls_listen || l->psk_identity || l->psk_key_file) {
		if (!l->psk_identity || !l->psk_key_file)
			cli_usage_error("DTLS needs --psk-identity and --psk-key-file");
		if (!l->cfg.dtls_listen)
			l->cfg.dtls_listen = "";
		err = cli_read_psk_file(l->psk_key_file, &key, &ei);
		if (err) {
			cli_error("PSK key file %s: %s", l->psk_key_file,
				  ei.msg[0] ? ei.msg : cs_strerror(err));
			rc = err == CS_ERR_MALFORMED ? EXIT_DATAERR : cli_exit_code(err);
			goto out;
		}
		l->cfg.psk_identity = (const uint8_t *)l->psk_identity;
		l->cfg.psk_identity_len = strlen(l->psk_identity);
		l->cfg.psk_key = key.data;
		l->cfg.psk_key_len = key.len;
	}
	err = cs_bsserver_new(&l->cfg, srv, &ei);
	if (err) {
		rc = err == CS_ERR_ARG ? (cli_error("%s", ei.msg), EXIT_USAGE) : cli_fail(err, &ei);
		if (err == CS_ERR_NETWORK)
			rc = EXIT_UNAVAILABLE;
	}
out:
	l->cfg.psk_key = NULL;
	l->cfg.psk_key_len = 0;
	cs_buf_free(&key);
	return rc;
}

int cli_session_exit(int result)
{
	switch (result) {
	case 0: return EXIT_OK;
	case CS_ERR_REJECTED:
	case CS_ERR_INCONSISTENT:
	case CS_ERR_MALFORMED: /* the client's Discover answer */
	case CS_ERR_UNSUPPORTED: return EXIT_SOFTWARE;
	case CS_ERR_INVALID:
	case CS_ERR_LIMIT: return EXIT_DATAERR;
	}
	return cli_exit_code(result);
}

void cli_print_report(enum cs_bsserver_event ev, const struct cs_bsserver_report *r)
{
	char line[1024];

	if (cli.json) {
		json_t *j = cs_bsserver_report_json(ev, r);
		char *s = j ? json_dumps(j, JSON_PRESERVE_ORDER | JSON_COMPACT) : NULL;

		if (s) {
			fputs(s, stdout);
			fputc('\n', stdout);
			fflush(stdout);
		}
		free(s);
		json_decref(j);
	}
	switch (ev) {
	case CS_BSSERVER_SESSION_STARTED:
		if (cli.verbosity > 0)
			cli_info("session %u: %s %s%s from %s", r->id,
				 r->push ? "push to" : "Bootstrap-Request",
				 r->endpoint[0] ? "ep=" : "", r->endpoint, r->peer);
		break;
	case CS_BSSERVER_SESSION_ENDED:
		cs_bsserver_report_line(r, line, sizeof(line));
		if (r->result && r->result != CS_ERR_CANCELLED)
			cli_error("session %u: %s", r->id, line);
		else
			cli_info("session %u: %s", r->id, line);
		if (cli.verbosity > 0)
			for (size_t i = 0; i < r->nops; i++)
				cli_info("  %-6s %-8s %-32s %4u ms %s", r->ops[i].method,
					 r->ops[i].path, cs_bsserver_code_name(r->ops[i].code),
					 r->ops[i].ms, r->ops[i].block1 ? "(Block1)" : "");
		break;
	case CS_BSSERVER_REQUEST_REFUSED:
		cs_bsserver_report_line(r, line, sizeof(line));
		cli_warn("%s", line);
		break;
	}
}

/* ---- the loop ---- */

static int sig_fd = -1;
static pid_t child_pid = -1;

int cli_serve_start(const struct cli_source *src, struct cli_listen *l, cs_bsserver_event_fn event,
		    void *arg, struct cs_model *m, struct cs_bsserver **srv)
{
	int rc;

	if (src->file && src->from_card)
		cli_usage_error("--file or --reader, not both");
	/* an unusable key file fails before the card is read */
	if (l->psk_key_file) {
		struct cs_errinfo ei;
		int err;

		cs_errinfo_clear(&ei);
		err = cli_check_secret_file(l->psk_key_file, &ei);
		if (err) {
			cli_error("PSK key file %s: %s", l->psk_key_file,
				  ei.msg[0] ? ei.msg : cs_strerror(err));
			return cli_exit_code(err);
		}
	}
	rc = cli_source_load(src, m);
	if (rc)
		return rc;
	if (!l->cfg.timeout_ms)
		l->cfg.timeout_ms = l->timeout_s * 1000u;
	l->cfg.event = event;
	l->cfg.event_arg = arg;
	rc = cli_listen_start(l, srv);
	if (rc)
		return rc;
	if (cs_bsserver_set_data(*srv, m))
		return cli_fail(CS_ERR_NOMEM, NULL);
	if (cli_loop_init() < 0) {
		cli_error("cannot set up signal handling");
		return EXIT_SOFTWARE;
	}
	return 0;
}

int cli_loop_init(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	return sig_fd < 0 ? -1 : 0;
}

long cli_loop_spawn(const char *cmd)
{
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		/* libcoap's sockets have no O_CLOEXEC: the client must not hold our port */
		closefrom(3);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	child_pid = pid;
	return (long)pid;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Drains the signalfd: CLI_LOOP_STOP, CLI_LOOP_CHILD or -1 for nothing of interest. */
static int read_signals(int *child_status)
{
	struct signalfd_siginfo si;
	int got = -1;

	while (read(sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGINT || si.ssi_signo == SIGTERM)
			return CLI_LOOP_STOP;
		if (si.ssi_signo == SIGCHLD && child_pid > 0) {
			int st;

			if (waitpid(child_pid, &st, WNOHANG) == child_pid) {
				child_pid = -1;
				*child_status = st;
				got = CLI_LOOP_CHILD;
			}
		}
	}
	return got;
}

int cli_loop_run(struct cs_bsserver *srv, const volatile bool *done, long timeout_ms,
		 int *child_status)
{
	uint64_t end = timeout_ms >= 0 ? mono_ms() + (uint64_t)timeout_ms : 0;

	for (;;) {
		struct pollfd p[2] = {{cs_bsserver_fd(srv), POLLIN, 0}, {sig_fd, POLLIN, 0}};
		int wait = cs_bsserver_next_timeout(srv), sig;

		if (*done)
			return CLI_LOOP_DONE;
		if (timeout_ms >= 0) {
			uint64_t now = mono_ms();
			long left = now >= end ? 0 : (long)(end - now);

			if (left == 0)
				return CLI_LOOP_TIMEOUT;
			if (wait < 0 || left < wait)
				wait = (int)left;
		}
		if (poll(p, 2, wait) < 0 && errno != EINTR) {
			cli_error("poll: %s", strerror(errno));
			return CLI_LOOP_ERROR;
		}
		/* the server first: a client's last answer may arrive with its exit */
		if (cs_bsserver_process(srv, 0)) {
			cli_error("the CoAP I/O failed");
			return CLI_LOOP_ERROR;
		}
		if (*done)
			return CLI_LOOP_DONE;
		sig = read_signals(child_status);
		if (sig >= 0)
			return sig;
	}
}
