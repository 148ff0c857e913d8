/* SPDX-License-Identifier: MIT */
/*
 * `cardstrap daemon`: re-provisions the local LwM2M client from the card.
 * One poll() loop over the Bootstrap-Server's descriptor, a signalfd and
 * the PC/SC watcher's eventfd; nothing wakes it while nothing happens.
 * Card change and removal follow Core TS §5.2.3.2 "Bootstrap from
 * Smartcard".
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cardstrap/bsserver.h"
#include "cardstrap/encoding.h"
#include "cli.h"
#include "daemon_config.h"
#include "daemon_log.h"
#include "daemon_watch.h"
#include "secrets.h"

enum {
	OPT_CONFIG = OPT_FIRST_CMD_OPT,
	OPT_FOREGROUND,
	OPT_CHECK_CONFIG,
};

#define STOP_WAIT_MS 1500 /* the watcher's share of the 2 s a stop may take */
#define MAX_TRACKED  32   /* sessions remembered with the data they serve */
#define APPLIED_FILE "applied"
#define SHORT_FP_LEN 8

struct tracked_session {
	unsigned id;
	char fp[DAEMON_FINGERPRINT_LEN + 1]; /* of the data the session serves */
};

struct daemon {
	struct daemon_config cfg;
	struct cs_bsserver *srv;
	struct watcher *watch;
	int sig_fd;
	int ready_fd; /* to the parent that waits for the background start, -1 */
	/* what is served, kept to serve it again from a new server after a reload */
	struct cs_model data;
	bool has_data;
	char fp[DAEMON_FINGERPRINT_LEN + 1];
	char reader[CS_PCSC_MAX_NAME];
	char applied[DAEMON_FINGERPRINT_LEN + 1]; /* "" when nothing was applied */
	struct tracked_session sess[MAX_TRACKED];
	size_t nsess;
	pid_t restart_pid;  /* restart_client running, -1 */
	bool restart_again; /* new data came while it ran */
	bool stop;
	int exit_code;
};

/* "1a2b3c4d…" */
static const char *short_fp(const char *fp, char *buf, size_t n)
{
	snprintf(buf, n, "%.*s\xE2\x80\xA6", SHORT_FP_LEN, fp);
	return buf;
}

/* ---- state: the fingerprint of the data last applied (never the data) ---- */

static void applied_path(const struct daemon *d, char *buf, size_t n)
{
	snprintf(buf, n, "%s/%s", d->cfg.state_dir, APPLIED_FILE);
}

static bool is_fingerprint(const char *s, size_t len)
{
	if (len != DAEMON_FINGERPRINT_LEN)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static int state_init(struct daemon *d)
{
	struct cs_buf text = {0};
	struct cs_errinfo ei;
	char path[4200];
	struct stat st;
	size_t len;
	int err;

	d->applied[0] = '\0';
	if (mkdir(d->cfg.state_dir, 0700) < 0 && errno != EEXIST) {
		daemon_log(LOG_ERR, "cannot create the state directory %s: %s", d->cfg.state_dir,
			   strerror(errno));
		return EXIT_CANTCREAT;
	}
	if (stat(d->cfg.state_dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		daemon_log(LOG_ERR, "the state directory %s is not a directory", d->cfg.state_dir);
		return EXIT_CANTCREAT;
	}
	applied_path(d, path, sizeof(path));
	if (access(path, F_OK) < 0)
		return 0;
	cs_errinfo_clear(&ei);
	err = cli_read_text(path, 1024, &text, &ei);
	if (err) {
		daemon_log(LOG_WARNING, "%s; taking it as nothing applied yet",
			   ei.msg[0] ? ei.msg : cs_strerror(err));
		return 0;
	}
	len = strcspn((const char *)text.data, "\r\n");
	if (is_fingerprint((const char *)text.data, len)) {
		memcpy(d->applied, text.data, len);
		d->applied[len] = '\0';
	} else {
		daemon_log(LOG_WARNING, "%s holds no fingerprint; taking it as nothing applied yet",
			   path);
	}
	cs_buf_free(&text);
	return 0;
}

static void state_record(struct daemon *d, const char *fp)
{
	struct cs_errinfo ei;
	char path[4200], line[DAEMON_FINGERPRINT_LEN + 2], s[16];

	applied_path(d, path, sizeof(path));
	snprintf(line, sizeof(line), "%s\n", fp);
	cs_errinfo_clear(&ei);
	if (cli_write_file(path, line, strlen(line), 0600, &ei)) {
		daemon_log(LOG_ERR, "cannot record the applied fingerprint: %s", ei.msg);
		return;
	}
	snprintf(d->applied, sizeof(d->applied), "%s", fp);
	daemon_log(LOG_INFO, "fingerprint %s applied; recorded in %s", short_fp(fp, s, sizeof(s)),
		   path);
}

/* ---- the Bootstrap-Server ---- */

static void track_session(struct daemon *d, unsigned id)
{
	if (d->nsess == MAX_TRACKED) {
		memmove(&d->sess[0], &d->sess[1], (MAX_TRACKED - 1) * sizeof(d->sess[0]));
		d->nsess--;
	}
	d->sess[d->nsess].id = id;
	snprintf(d->sess[d->nsess].fp, sizeof(d->sess[0].fp), "%s", d->has_data ? d->fp : "");
	d->nsess++;
}

/* The fingerprint of the data session id served ("" when unknown); forgets the session. */
static void untrack_session(struct daemon *d, unsigned id, char *fp, size_t n)
{
	snprintf(fp, n, "%s", "");
	for (size_t i = 0; i < d->nsess; i++) {
		if (d->sess[i].id != id)
			continue;
		snprintf(fp, n, "%s", d->sess[i].fp);
		memmove(&d->sess[i], &d->sess[i + 1], (d->nsess - i - 1) * sizeof(d->sess[0]));
		d->nsess--;
		return;
	}
}

static void on_bs_event(void *arg, enum cs_bsserver_event ev, const struct cs_bsserver_report *r)
{
	struct daemon *d = arg;
	char fp[DAEMON_FINGERPRINT_LEN + 1], line[1024];
	const char *ep = r->endpoint[0] ? r->endpoint : "(none)";

	switch (ev) {
	case CS_BSSERVER_SESSION_STARTED:
		track_session(d, r->id);
		daemon_log(LOG_DEBUG, "session %u: Bootstrap-Request of ep=%s from %s%s", r->id, ep,
			   r->peer, r->dtls ? " (DTLS)" : "");
		break;
	case CS_BSSERVER_SESSION_ENDED:
		untrack_session(d, r->id, fp, sizeof(fp));
		if (r->result == 0) {
			daemon_log(
				LOG_INFO,
				"bootstrap of ep=%s from %s succeeded: %zu write%s, Finish %d.%02d "
				"(%u ms)",
				ep, r->peer, r->nwritten, r->nwritten == 1 ? "" : "s",
				r->finish_code / 100, r->finish_code % 100, r->duration_ms);
			/* Core TS §5.2.3.2: what the client now holds, to compare the next card read with */
			if (fp[0] && strcmp(fp, d->applied))
				state_record(d, fp);
		} else {
			daemon_log(r->result == CS_ERR_CANCELLED ? LOG_INFO : LOG_WARNING,
				   "bootstrap of ep=%s from %s %s: %s", ep, r->peer,
				   r->result == CS_ERR_CANCELLED ? "cancelled" : "failed",
				   r->error[0] ? r->error : cs_strerror(r->result));
		}
		if (daemon_log_enabled(LOG_DEBUG)) {
			cs_bsserver_report_line(r, line, sizeof(line));
			daemon_log(LOG_DEBUG, "session %u: %s", r->id, line);
		}
		break;
	case CS_BSSERVER_REQUEST_REFUSED:
		daemon_log(LOG_WARNING, "ep=%s from %s: %s", ep, r->peer, r->error);
		break;
	}
}

static int server_start(struct daemon *d)
{
	const struct daemon_config *c = &d->cfg;
	struct cs_bsserver_config sc = {0};
	struct cs_buf key = {0};
	struct cs_errinfo ei;
	char uri[80], duri[80];
	int err;

	sc.listen = c->listen;
	sc.listen_any = c->listen_any;
	sc.dtls_listen = c->dtls_listen;
	if (c->dtls_listen) {
		cs_errinfo_clear(&ei);
		err = cli_read_psk_file(c->psk_key_file, &key, &ei);
		if (err) {
			daemon_log(LOG_ERR, "PSK key file %s: %s", c->psk_key_file,
				   ei.msg[0] ? ei.msg : cs_strerror(err));
			return err;
		}
		sc.psk_identity = (const uint8_t *)c->psk_identity;
		sc.psk_identity_len = strlen(c->psk_identity);
		sc.psk_key = key.data;
		sc.psk_key_len = key.len;
	}
	sc.endpoint = c->endpoint;
	sc.bs_account = (enum cs_bs_account_mode)c->bs_account;
	sc.delete_all = c->delete_all;
	sc.timeout_ms = c->timeout_s * 1000u;
	sc.block_size = c->block_size;
	sc.event = on_bs_event;
	sc.event_arg = d;
	cs_errinfo_clear(&ei);
	err = cs_bsserver_new(&sc, &d->srv, &ei);
	cs_buf_free(&key);
	if (err) {
		daemon_log(LOG_ERR, "cannot start the Bootstrap-Server: %s",
			   ei.msg[0] ? ei.msg : cs_strerror(err));
		return err;
	}
	if (cs_bsserver_fd(d->srv) < 0) {
		daemon_log(LOG_ERR, "libcoap was built without epoll; the daemon needs it");
		cs_bsserver_free(d->srv);
		d->srv = NULL;
		return CS_ERR_UNSUPPORTED;
	}
	if (d->has_data && cs_bsserver_set_data(d->srv, &d->data))
		daemon_log(LOG_ERR, "out of memory: the card's data is not served");
	cs_bsserver_uri(d->srv, false, uri, sizeof(uri));
	cs_bsserver_uri(d->srv, true, duri, sizeof(duri));
	daemon_log(LOG_INFO, "Bootstrap-Server on %s%s%s%s%s", uri, duri[0] ? " and " : "", duri,
		   c->endpoint ? " for ep=" : "", c->endpoint ? c->endpoint : "");
	return 0;
}

/* ---- restart_client ---- */

static void run_restart(struct daemon *d)
{
	char uri[80], *cmd;
	sigset_t none;
	pid_t pid;

	if (d->restart_pid > 0) {
		daemon_log(LOG_INFO,
			   "restart_client (pid %ld) is still running; it runs again "
			   "once it ended",
			   (long)d->restart_pid);
		d->restart_again = true;
		return;
	}
	cs_bsserver_uri(d->srv, false, uri, sizeof(uri));
	cmd = cli_expand_command(d->cfg.restart_client, uri, d->cfg.endpoint);
	if (!cmd) {
		daemon_log(LOG_ERR, "out of memory: restart_client not run");
		return;
	}
	daemon_log(LOG_INFO, "running restart_client: %s", cmd);
	sigemptyset(&none);
	pid = fork();
	if (pid == 0) {
		sigprocmask(SIG_SETMASK, &none, NULL);
		/* libcoap's sockets have no O_CLOEXEC: the client must not hold our ports */
		closefrom(3);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	if (pid < 0)
		daemon_log(LOG_ERR, "cannot run restart_client: %s", strerror(errno));
	d->restart_pid = pid > 0 ? pid : -1;
	free(cmd);
}

static void reap_children(struct daemon *d)
{
	pid_t pid;
	int st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		if (pid != d->restart_pid)
			continue;
		d->restart_pid = -1;
		if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
			daemon_log(LOG_DEBUG, "restart_client exited with status 0");
		else if (WIFEXITED(st))
			daemon_log(LOG_WARNING, "restart_client exited with status %d",
				   WEXITSTATUS(st));
		else if (WIFSIGNALED(st))
			daemon_log(LOG_WARNING, "restart_client was killed by signal %d",
				   WTERMSIG(st));
		if (d->restart_again) {
			d->restart_again = false;
			run_restart(d);
		}
	}
}

/* ---- card events ---- */

static void notify_status(const struct daemon *d)
{
	char s[CS_PCSC_MAX_NAME + 64];

	if (d->has_data)
		snprintf(s, sizeof(s), "STATUS=serving the data of the card in '%s'", d->reader);
	else
		snprintf(s, sizeof(s), "STATUS=no bootstrap data; waiting for a card");
	daemon_notify(s);
}

/* Stops serving the card's data and wipes it (Core TS §5.2.3.2). */
static void forget(struct daemon *d)
{
	if (d->srv)
		cs_bsserver_set_data(d->srv, NULL);
	cs_model_free(&d->data);
	d->has_data = false;
	d->fp[0] = '\0';
}

static void card_read(struct daemon *d, struct watch_event *e)
{
	char s[16], acct[64];

	snprintf(acct, sizeof(acct), "%zu server account%s%s", e->server_accounts,
		 e->server_accounts == 1 ? "" : "s",
		 e->bs_account ? " and a Bootstrap-Server account" : "");
	daemon_log(LOG_INFO, "card inserted in '%s': ICCID %s, %s, fingerprint %s%s%s", e->reader,
		   e->iccid[0] ? e->iccid : "unknown", acct, short_fp(e->fingerprint, s, sizeof(s)),
		   e->secured ? ", read over SCP03" : "", e->warnings ? " (with warnings)" : "");
	cs_model_free(&d->data);
	d->data = e->model;
	cs_model_init(&e->model);
	d->has_data = true;
	snprintf(d->fp, sizeof(d->fp), "%s", e->fingerprint);
	snprintf(d->reader, sizeof(d->reader), "%s", e->reader);
	if (cs_bsserver_set_data(d->srv, &d->data)) {
		daemon_log(LOG_ERR, "out of memory: the card's data is not served");
		forget(d);
		return;
	}
	/* Core TS §5.2.3.2: the same data again needs nothing, changed data is applied */
	if (!strcmp(d->fp, d->applied) && d->cfg.reapply == DAEMON_REAPPLY_CHANGED) {
		daemon_log(LOG_INFO, "its data was applied before; nothing to do");
		return;
	}
	if (!d->cfg.restart_client) {
		daemon_log(LOG_INFO, "serving the new data; the client gets it at its next "
				     "Bootstrap-Request (no restart_client)");
		return;
	}
	run_restart(d);
}

static void card_event(struct daemon *d, struct watch_event *e)
{
	bool ours = d->has_data && !strcmp(e->reader, d->reader);

	switch (e->kind) {
	case WATCH_CARD: card_read(d, e); break;
	case WATCH_CARD_INVALID:
		daemon_log(LOG_ERR, "card in '%s' (ICCID %s): %s; nothing from it is served",
			   e->reader, e->iccid[0] ? e->iccid : "unknown", e->error);
		/* Core TS §5.2.3.2: changed card data disables what came from the card before */
		if (ours) {
			forget(d);
			daemon_log(LOG_INFO, "the data read from '%s' before is no longer served",
				   e->reader);
		}
		break;
	case WATCH_CARD_FAILED:
		daemon_log(LOG_ERR, "cannot read the card in '%s': %s", e->reader, e->error);
		break;
	case WATCH_CARD_REMOVED:
		if (!ours) {
			daemon_log(LOG_INFO, "card removed from '%s'", e->reader);
		} else if (d->cfg.on_removal == DAEMON_REMOVAL_FORGET) {
			forget(d);
			daemon_log(LOG_INFO, "card removed from '%s': forgetting its data",
				   e->reader);
		} else {
			daemon_log(LOG_INFO,
				   "card removed from '%s': keeping its data (on_removal = "
				   "keep)",
				   e->reader);
		}
		break;
	}
}

static void watch_events(struct daemon *d)
{
	struct watch_event *e = d->watch ? watch_take(d->watch) : NULL;

	while (e) {
		struct watch_event *next = e->next;

		card_event(d, e);
		watch_event_free(e);
		e = next;
	}
	notify_status(d);
}

static int watcher_start(struct daemon *d)
{
	struct watch_opts o = {
		.reader = d->cfg.reader,
		.pin_file = d->cfg.pin_file,
		.scp03_keys = d->cfg.scp03_keys,
		.scp03_mode = (enum cs_card_scp03_mode)d->cfg.scp03_mode,
		.trace = cli.trace,
	};
	int err = watch_start(&o, &d->watch);

	if (err)
		daemon_log(LOG_ERR, "cannot start the PC/SC watcher: %s", cs_strerror(err));
	return err;
}

static void watcher_stop(struct daemon *d)
{
	if (d->watch && !watch_stop(d->watch, STOP_WAIT_MS))
		daemon_log(LOG_WARNING, "a card read still blocks; left behind");
	d->watch = NULL;
}

/* ---- configuration reload (SIGHUP) ---- */

static int effective_level(const struct daemon_config *c)
{
	if (cli.verbosity > 0)
		return LOG_DEBUG;
	if (cli.verbosity < 0)
		return LOG_WARNING;
	return c->log_level;
}

static void reload(struct daemon *d)
{
	struct daemon_config nc, old;
	struct daemon_config_errors e;
	bool server, card, state;
	int err;

	daemon_notify("RELOADING=1");
	if (!d->cfg.file) {
		daemon_log(LOG_INFO, "SIGHUP: no configuration file to reload");
		goto out;
	}
	daemon_log(LOG_INFO, "SIGHUP: reloading %s", d->cfg.file);
	err = daemon_config_load(d->cfg.file, &nc, &e);
	if (err) {
		for (size_t i = 0; i < e.n; i++)
			daemon_log(LOG_ERR, "%s", e.msg[i]);
		daemon_log(LOG_ERR, "keeping the current configuration");
		daemon_config_errors_free(&e);
		daemon_config_free(&nc);
		goto out;
	}
	daemon_config_errors_free(&e);
	server = daemon_config_server_changed(&d->cfg, &nc);
	card = daemon_config_card_changed(&d->cfg, &nc);
	state = strcmp(d->cfg.state_dir, nc.state_dir) != 0;
	old = d->cfg;
	d->cfg = nc;
	daemon_log_set_level(effective_level(&d->cfg));
	if (server) {
		/* sessions under way end (cancelled); the card's data is served again */
		cs_bsserver_free(d->srv);
		d->srv = NULL;
		d->nsess = 0;
		if (server_start(d)) {
			daemon_log(LOG_ERR, "going back to the previous configuration");
			daemon_config_free(&d->cfg);
			d->cfg = old;
			daemon_log_set_level(effective_level(&d->cfg));
			if (server_start(d)) {
				d->stop = true;
				d->exit_code = EXIT_UNAVAILABLE;
			}
			goto out;
		}
	}
	if (state && state_init(d))
		daemon_log(LOG_ERR, "no state is kept until %s can be used", d->cfg.state_dir);
	if (card) {
		watcher_stop(d);
		if (watcher_start(d)) {
			d->stop = true;
			d->exit_code = EXIT_SOFTWARE;
		}
	}
	daemon_config_free(&old);
	daemon_log(LOG_INFO, "configuration reloaded%s%s",
		   server ? "; Bootstrap-Server restarted" : "",
		   card ? "; the cards are read again" : "");
out:
	daemon_notify("READY=1");
	notify_status(d);
}

/* ---- the loop ---- */

static void signals(struct daemon *d)
{
	struct signalfd_siginfo si;

	while (read(d->sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			daemon_log(LOG_INFO, "%s: stopping",
				   si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
			d->stop = true;
			break;
		case SIGHUP: reload(d); break;
		case SIGCHLD: reap_children(d); break;
		}
	}
}

static int loop(struct daemon *d)
{
	while (!d->stop) {
		struct pollfd p[3] = {
			{cs_bsserver_fd(d->srv), POLLIN, 0},
			{d->sig_fd, POLLIN, 0},
			{d->watch ? watch_fd(d->watch) : -1, POLLIN, 0},
		};
		int wait = cs_bsserver_next_timeout(d->srv);

		if (poll(p, 3, wait) < 0 && errno != EINTR) {
			daemon_log(LOG_ERR, "poll: %s", strerror(errno));
			return EXIT_SOFTWARE;
		}
		if (cs_bsserver_process(d->srv, 0)) {
			daemon_log(LOG_ERR, "the CoAP I/O failed");
			return EXIT_IOERR;
		}
		if (p[2].revents & POLLIN)
			watch_events(d);
		if (p[1].revents & POLLIN)
			signals(d);
	}
	return d->exit_code;
}

static int signals_init(struct daemon *d)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	/* blocked before the watcher thread starts, so that only the signalfd gets them */
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	d->sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	return d->sig_fd < 0 ? -1 : 0;
}

/*
 * Without --foreground: the parent waits until the daemon is ready (or
 * failed) and exits with its status, so that a start script sees errors.
 */
static int background(struct daemon *d)
{
	int p[2], null;
	uint8_t code;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid > 0) {
		close(p[1]);
		exit(read(p[0], &code, 1) == 1 ? code : EXIT_SOFTWARE);
	}
	close(p[0]);
	if (setsid() < 0)
		_exit(EXIT_SOFTWARE);
	/* not a session leader: the daemon never gets a controlling terminal */
	pid = fork();
	if (pid < 0)
		_exit(EXIT_SOFTWARE);
	if (pid > 0)
		_exit(EXIT_OK);
	d->ready_fd = p[1];
	if (chdir("/") < 0)
		_exit(EXIT_SOFTWARE);
	null = open("/dev/null", O_RDWR);
	if (null < 0)
		_exit(EXIT_SOFTWARE);
	dup2(null, STDIN_FILENO);
	dup2(null, STDOUT_FILENO);
	dup2(null, STDERR_FILENO);
	if (null > STDERR_FILENO)
		close(null);
	daemon_log_open(false);
	return 0;
}

static void report_ready(struct daemon *d, int code)
{
	uint8_t c = (uint8_t)code;

	if (d->ready_fd < 0)
		return;
	if (write(d->ready_fd, &c, 1) < 0) {
		/* the parent is gone */
	}
	close(d->ready_fd);
	d->ready_fd = -1;
}

static int load_config(const char *path, bool explicit_path, struct daemon_config *c)
{
	struct daemon_config_errors e;
	int err;

	if (!explicit_path && access(path, F_OK) < 0 && errno == ENOENT) {
		cli_info("%s does not exist; using the built-in defaults", path);
		return daemon_config_defaults(c) ? EXIT_SOFTWARE : 0;
	}
	err = daemon_config_load(path, c, &e);
	for (size_t i = 0; i < e.n; i++)
		fprintf(stderr, "%s\n", e.msg[i]);
	daemon_config_errors_free(&e);
	if (!err)
		return 0;
	daemon_config_free(c);
	if (err == CS_ERR_IO)
		return EXIT_NOINPUT;
	if (err == CS_ERR_NOMEM)
		return cli_fail(err, NULL);
	cli_error("%s: invalid configuration", path);
	return EXIT_DATAERR;
}

static int check_config(const char *path)
{
	struct daemon_config c;
	int rc = load_config(path, true, &c);

	if (rc)
		return rc;
	daemon_config_print(stdout, &c);
	daemon_config_free(&c);
	return EXIT_OK;
}

static int daemon_main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		CLI_COMMON_LONGOPTS,
		{"config", required_argument, NULL, OPT_CONFIG},
		{"foreground", no_argument, NULL, OPT_FOREGROUND},
		{"check-config", required_argument, NULL, OPT_CHECK_CONFIG},
		{NULL, 0, NULL, 0},
	};
	struct daemon d = {.sig_fd = -1, .ready_fd = -1, .restart_pid = -1};
	const char *config = NULL, *check = NULL;
	bool foreground = false;
	int c, rc;

	while ((c = getopt_long(argc, argv, CLI_COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (c == OPT_CONFIG)
			config = optarg;
		else if (c == OPT_FOREGROUND)
			foreground = true;
		else if (c == OPT_CHECK_CONFIG)
			check = optarg;
		else if (!cli_common_option(c))
			cli_usage_error("unexpected option");
	}
	if (optind != argc)
		cli_usage_error("no arguments expected");
	if (check && (config || foreground))
		cli_usage_error("--check-config FILE stands alone");
	if (check)
		return check_config(check);

	rc = load_config(config ? config : DAEMON_DEFAULT_CONFIG, config != NULL, &d.cfg);
	if (rc)
		return rc;
	cs_model_init(&d.data);
	daemon_notify_init();
	/* until it is in the background, errors go to the terminal */
	daemon_log_open(true);
	daemon_log_set_level(effective_level(&d.cfg));
	rc = state_init(&d);
	if (rc)
		goto out;
	if (server_start(&d)) {
		rc = EXIT_UNAVAILABLE;
		goto out;
	}
	if (!foreground && background(&d) < 0) {
		daemon_log(LOG_ERR, "cannot go to the background: %s", strerror(errno));
		rc = EXIT_SOFTWARE;
		goto out;
	}
	if (signals_init(&d) < 0) {
		daemon_log(LOG_ERR, "cannot set up signal handling: %s", strerror(errno));
		rc = EXIT_SOFTWARE;
		goto out;
	}
	if (watcher_start(&d)) {
		rc = EXIT_SOFTWARE;
		goto out;
	}
	daemon_log(LOG_INFO, "cardstrap %s daemon running (%s%s, state in %s)", CS_VERSION,
		   d.cfg.file ? "configuration " : "built-in defaults",
		   d.cfg.file ? d.cfg.file : "", d.cfg.state_dir);
	daemon_notify("READY=1");
	notify_status(&d);
	report_ready(&d, EXIT_OK);
	rc = loop(&d);
	daemon_notify("STOPPING=1");
out:
	report_ready(&d, rc);
	watcher_stop(&d);
	/* ends a session under way, reported as cancelled */
	cs_bsserver_free(d.srv);
	d.srv = NULL;
	forget(&d);
	if (d.sig_fd >= 0)
		close(d.sig_fd);
	daemon_log(rc ? LOG_ERR : LOG_INFO, "stopped%s", rc ? " on an error" : "");
	daemon_log_close();
	daemon_config_free(&d.cfg);
	return rc;
}

const struct cli_cmd daemon_cmd = {
	"daemon",
	daemon_main,
	"watch the card readers and re-provision the local client (service)",
	"Usage: cardstrap daemon [--config FILE] [--foreground] [-v]\n"
	"       cardstrap daemon --check-config FILE\n"
	"\n"
	"A service for gateways: it watches the card readers (PC/SC, including readers\n"
	"plugged in later), reads and validates the card's LwM2M bootstrap data when a\n"
	"card is inserted or changed, and serves it as the local client's Bootstrap-\n"
	"Server, as `serve` does. Data the client has not had yet (told by a SHA-256\n"
	"fingerprint over the ICCID and the EF, kept in state_dir/applied) makes it run\n"
	"restart_client, with {uri} and {endpoint} replaced; the fingerprint is kept\n"
	"once a bootstrap with that data succeeded. A removed card's data is kept or\n"
	"forgotten (on_removal). Waits for pcscd when it is not running.\n"
	"\n"
	"  --config FILE        the configuration (default " DAEMON_DEFAULT_CONFIG ")\n"
	"  --foreground         stay in the foreground and log to stderr (systemd);\n"
	"                       without it: background, syslog (LOG_DAEMON)\n"
	"  --check-config FILE  check FILE and print the effective settings\n"
	"  -v                   log_level debug; -q: warning\n"
	"  --trace              also every APDU (with --foreground; secrets masked)\n"
	"\n"
	"Signals: SIGTERM/SIGINT stop (exit 0), SIGHUP reloads the configuration.\n"
	"With NOTIFY_SOCKET set it tells systemd READY=1, RELOADING=1, STOPPING=1.\n"
	"\n"
	"Exit: 0 stopped by a signal or configuration valid, 65 invalid configuration,\n"
	"66 configuration unreadable, 69 cannot listen, 73 cannot create state_dir,\n"
	"64 usage.\n",
};
