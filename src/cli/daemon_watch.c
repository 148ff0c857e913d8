/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/sha256.h>
#include <winscard.h>

#include "cardstrap/objects.h"
#include "cardstrap/scp03.h"
#include "cardstrap/validate.h"
#include "cardio.h"
#include "daemon_log.h"
#include "daemon_watch.h"
#include "secrets.h"

#define PNP_READER    "\\\\?PnP?\\Notification"
#define NAMES_SIZE    (CS_PCSC_MAX_READERS * CS_PCSC_MAX_NAME + 1)
#define SOCKET_PATH   "/run/pcscd/pcscd.comm"
#define RETRY_MS      100 /* pcscd's socket exists but pcscd does not answer yet */
#define RETRIES       30
#define MAX_BACKOFF_S 60

struct reader_state {
	char name[CS_PCSC_MAX_NAME];
	DWORD state; /* dwEventState of the last call without SCARD_STATE_CHANGED */
	bool card;   /* a card was seen in it and handed on */
	bool mute_logged;
};

/* Which file is pcscd's socket: a new pcscd creates a new one. */
struct sock_id {
	bool exists;
	dev_t dev;
	ino_t ino;
};

struct watcher {
	pthread_t thread;
	char *reader, *pin_file, *scp03_keys;
	enum cs_card_scp03_mode scp03_mode;
	bool trace;
	int event_fd; /* readable while events are queued */
	int stop_fd;  /* readable once watch_stop began */
	atomic_bool stop;
	pthread_mutex_t lock; /* the queue, ctx and has_ctx */
	struct watch_event *head, *tail;
	SCARDCONTEXT ctx;
	bool has_ctx;
	struct reader_state rs[CS_PCSC_MAX_READERS];
	size_t nrs;
	DWORD pnp_state;
	bool listed;        /* the readers were listed in this context */
	bool none_reported; /* "no reader" was logged since the last reader */
};

static const char *socket_path(void)
{
	const char *p = getenv("PCSCLITE_CSOCK_NAME");

	return p && *p ? p : SOCKET_PATH;
}

static bool service_gone(LONG rv)
{
	return rv == SCARD_E_NO_SERVICE || rv == SCARD_E_SERVICE_STOPPED ||
	       rv == SCARD_F_COMM_ERROR || rv == SCARD_E_INVALID_HANDLE;
}

/* Waits up to ms or until watch_stop; true when stopping. */
static bool pause_ms(struct watcher *w, int ms)
{
	struct pollfd p = {w->stop_fd, POLLIN, 0};

	if (poll(&p, 1, ms) < 0 && errno != EINTR)
		return atomic_load(&w->stop);
	return atomic_load(&w->stop);
}

static void push(struct watcher *w, struct watch_event *e)
{
	uint64_t one = 1;

	pthread_mutex_lock(&w->lock);
	if (w->tail)
		w->tail->next = e;
	else
		w->head = e;
	w->tail = e;
	pthread_mutex_unlock(&w->lock);
	if (write(w->event_fd, &one, sizeof(one)) < 0) {
		/* the counter is already non-zero: the main loop wakes anyway */
	}
}

static struct watch_event *new_event(enum watch_kind kind, const char *reader)
{
	struct watch_event *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->kind = kind;
	snprintf(e->reader, sizeof(e->reader), "%s", reader);
	cs_model_init(&e->model);
	return e;
}

/* The PIN comes from pin_file only: a daemon has no one to ask. */
static int get_pin(void *arg, uint8_t keyref, int tries_left, struct cs_buf *pin,
		   struct cs_errinfo *ei)
{
	const struct watcher *w = arg;

	if (!w->pin_file)
		return cs_error(ei, CS_ERR_PIN_REQUIRED, -1,
				"the card needs its PIN (key reference %02X, %d tries left): set "
				"pin_file in [card]",
				keyref, tries_left);
	return cli_read_secret_file(w->pin_file, pin, ei);
}

/* SHA-256 over the ICCID digits and the EF bytes, lower-case hex. */
static void fingerprint(const char *iccid, const struct cs_buf *ef, char *out)
{
	mbedtls_sha256_context h;
	uint8_t md[32];

	mbedtls_sha256_init(&h);
	mbedtls_sha256_starts_ret(&h, 0);
	mbedtls_sha256_update_ret(&h, (const uint8_t *)iccid, strlen(iccid));
	mbedtls_sha256_update_ret(&h, ef->data, ef->len);
	mbedtls_sha256_finish_ret(&h, md);
	mbedtls_sha256_free(&h);
	for (size_t i = 0; i < sizeof(md); i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static void count_accounts(struct watch_event *e)
{
	const struct cs_model *m = &e->model;

	for (size_t o = 0; o < m->nobj; o++) {
		if (m->obj[o].id != 0)
			continue;
		for (size_t i = 0; i < m->obj[o].ninst; i++) {
			const struct cs_instance *in = &m->obj[o].inst[i];
			bool again = false;

			/* a later record may write the same instance again */
			for (size_t p = 0; p < o && !again; p++)
				if (m->obj[p].id == 0 &&
				    cs_object_find_instance(&m->obj[p], in->id))
					again = true;
			if (again)
				continue;
			if (cs_security_is_bootstrap(in))
				e->bs_account = true;
			else
				e->server_accounts++;
		}
	}
}

/* Decodes and validates ef into e: WATCH_CARD, or WATCH_CARD_INVALID with the first error. */
static void check_data(struct watch_event *e, const struct cs_buf *ef)
{
	struct cs_errinfo ei;
	struct cs_diags d;
	size_t len;
	int err;

	cs_errinfo_clear(&ei);
	cs_diags_init(&d);
	e->kind = WATCH_CARD_INVALID;
	err = cs_model_load_bsfile(&e->model, ef->data, ef->len, &ei);
	if (err) {
		snprintf(e->error, sizeof(e->error), "EF LwM2M_Bootstrap is malformed: %s",
			 ei.msg[0] ? ei.msg : cs_strerror(err));
		goto out;
	}
	err = cs_validate(&e->model, &d);
	if (err && err != CS_ERR_INVALID) {
		snprintf(e->error, sizeof(e->error), "cannot validate: %s", cs_strerror(err));
		goto out;
	}
	e->warnings = d.warnings;
	for (size_t i = 0; i < d.n; i++) {
		if (d.items[i].severity != CS_SEV_ERROR)
			continue;
		len = (size_t)snprintf(e->error, sizeof(e->error), "invalid bootstrap data: ");
		cs_diag_format(&d.items[i], e->error + len, sizeof(e->error) - len);
		if (d.errors > 1) {
			len = strlen(e->error);
			snprintf(e->error + len, sizeof(e->error) - len, " (and %zu more error%s)",
				 d.errors - 1, d.errors > 2 ? "s" : "");
		}
		goto out;
	}
	count_accounts(e);
	e->kind = WATCH_CARD;
out:
	if (e->kind != WATCH_CARD)
		cs_model_free(&e->model);
	cs_diags_free(&d);
}

static void read_card(struct watcher *w, const char *reader)
{
	struct watch_event *e = new_event(WATCH_CARD_FAILED, reader);
	struct cs_card_read_opts opts = { .verify = true };
	struct cs_transport *t = NULL;
	struct cs_scp03_keys keys;
	struct cs_card_info info;
	struct cs_buf ef = {0};
	struct cs_errinfo ei;
	int err;

	if (!e) {
		daemon_log(LOG_ERR, "out of memory reading the card in '%s'", reader);
		return;
	}
	daemon_log(LOG_DEBUG, "reading the card in '%s'", reader);
	cs_errinfo_clear(&ei);
	cs_scp03_keys_clear(&keys);
	memset(&info, 0, sizeof(info));
	if (w->scp03_keys) {
		err = cs_scp03_keys_load(w->scp03_keys, &keys, &ei);
		if (err)
			goto out;
		opts.scp03_keys = &keys;
		opts.scp03_level = CS_SCP03_LEVEL_LWM2M;
		opts.scp03_mode = w->scp03_mode;
	}
	if (w->pin_file) {
		err = cli_check_secret_file(w->pin_file, &ei);
		if (err)
			goto out;
	}
	err = cs_pcsc_open(reader, &t, &ei);
	if (err)
		goto out;
	if (w->trace)
		t->trace = cli_trace_apdu;
	opts.get_pin = get_pin;
	opts.pin_arg = w;
	err = cs_card_read_bootstrap(t, &opts, &info, &ef, &ei);
	cs_transport_destroy(t);
	snprintf(e->iccid, sizeof(e->iccid), "%s", info.iccid);
	if (err)
		goto out;
	e->secured = info.scp03 == CS_CARD_SCP03_SECURED;
	if (info.scp03 == CS_CARD_SCP03_NOT_OFFERED)
		daemon_log(LOG_WARNING,
			   "card in '%s': %s; read without a secure channel (scp03 = "
			   "optional)",
			   reader, info.scp03_note);
	fingerprint(info.iccid, &ef, e->fingerprint);
	check_data(e, &ef);
out:
	if (err)
		snprintf(e->error, sizeof(e->error), "%s", ei.msg[0] ? ei.msg : cs_strerror(err));
	/* a card that was read and holds no bootstrap data is a change of data too */
	if (err == CS_ERR_NO_PKCS15 || err == CS_ERR_NO_BOOTSTRAP)
		e->kind = WATCH_CARD_INVALID;
	cs_scp03_keys_clear(&keys);
	cs_buf_free(&ef);
	push(w, e);
}

static bool matches(const struct watcher *w, const char *name)
{
	return !w->reader || strstr(name, w->reader) != NULL;
}

static struct reader_state *find_reader(struct watcher *w, const char *name)
{
	for (size_t i = 0; i < w->nrs; i++)
		if (!strcmp(w->rs[i].name, name))
			return &w->rs[i];
	return NULL;
}

/* Lists the matching readers again, keeping the state of those still there. */
static LONG relist(struct watcher *w, SCARDCONTEXT ctx)
{
	char names[NAMES_SIZE];
	struct reader_state next[CS_PCSC_MAX_READERS] = { 0 };
	DWORD len = sizeof(names);
	LONG rv = SCardListReaders(ctx, NULL, names, &len);
	size_t n = 0;

	if (rv == SCARD_E_NO_READERS_AVAILABLE)
		names[0] = '\0';
	else if (rv != SCARD_S_SUCCESS)
		return rv;
	for (const char *p = names; *p && n < CS_PCSC_MAX_READERS; p += strlen(p) + 1) {
		struct reader_state *old = find_reader(w, p);

		if (!matches(w, p) || strlen(p) >= CS_PCSC_MAX_NAME)
			continue;
		if (old) {
			next[n++] = *old;
			continue;
		}
		memcpy(next[n].name, p, strlen(p));
		next[n++].state = SCARD_STATE_UNAWARE;
		daemon_log(LOG_INFO, "%s reader '%s'", w->listed ? "new" : "watching", p);
	}
	for (size_t i = 0; i < w->nrs; i++) {
		bool kept = false;

		for (size_t j = 0; j < n && !kept; j++)
			kept = !strcmp(w->rs[i].name, next[j].name);
		if (kept)
			continue;
		daemon_log(LOG_INFO, "reader '%s' went away", w->rs[i].name);
		if (w->rs[i].card) {
			struct watch_event *e = new_event(WATCH_CARD_REMOVED, w->rs[i].name);

			if (e)
				push(w, e);
		}
	}
	memcpy(w->rs, next, n * sizeof(next[0]));
	w->nrs = n;
	if (!n && !w->none_reported)
		daemon_log(LOG_INFO, "no card reader%s%s%s; waiting for one",
			   w->reader ? " matches '" : "", w->reader ? w->reader : "",
			   w->reader ? "'" : "");
	w->none_reported = n == 0;
	w->listed = true;
	return SCARD_S_SUCCESS;
}

/* A reader whose state changed: a card came, changed or went. */
static void reader_changed(struct watcher *w, struct reader_state *r, DWORD ev)
{
	DWORD before = r->state;
	bool present = (ev & SCARD_STATE_PRESENT) && !(ev & SCARD_STATE_MUTE);
	/* pcscd counts insertions and removals in the upper 16 bits */
	bool swapped = (before >> 16) != (ev >> 16);

	r->state = ev & ~(DWORD)SCARD_STATE_CHANGED;
	if (ev & (SCARD_STATE_UNKNOWN | SCARD_STATE_UNAVAILABLE | SCARD_STATE_IGNORE))
		return;
	if ((ev & SCARD_STATE_PRESENT) && (ev & SCARD_STATE_MUTE)) {
		if (!r->mute_logged)
			daemon_log(LOG_WARNING,
				   "the card in '%s' does not answer (mute, or inserted the wrong "
				   "way?)",
				   r->name);
		r->mute_logged = true;
	} else {
		r->mute_logged = false;
	}
	if (present && (!r->card || swapped)) {
		r->card = true;
		read_card(w, r->name);
	} else if (!present && r->card) {
		struct watch_event *e = new_event(WATCH_CARD_REMOVED, r->name);

		r->card = false;
		if (e)
			push(w, e);
	}
}

enum ctx_end { CTX_STOP, CTX_GONE, CTX_ERROR };

static enum ctx_end ctx_failed(LONG rv, const char *during)
{
	if (service_gone(rv))
		return CTX_GONE;
	daemon_log(LOG_ERR, "PC/SC error while %s: %s (0x%08lX)", during, pcsc_stringify_error(rv),
		   (unsigned long)rv);
	return CTX_ERROR;
}

/* Waits in SCardGetStatusChange(INFINITE) for card and reader events until stopped. */
static enum ctx_end watch_readers(struct watcher *w, SCARDCONTEXT ctx)
{
	SCARD_READERSTATE st[CS_PCSC_MAX_READERS + 1];
	bool need_list = true;
	LONG rv;

	w->nrs = 0;
	w->pnp_state = 0;
	w->listed = false;
	while (!atomic_load(&w->stop)) {
		size_t n;

		if (need_list) {
			rv = relist(w, ctx);
			if (rv != SCARD_S_SUCCESS)
				return ctx_failed(rv, "listing the readers");
			need_list = false;
		}
		n = w->nrs;
		memset(st, 0, sizeof(st));
		for (size_t i = 0; i < n; i++) {
			st[i].szReader = w->rs[i].name;
			st[i].dwCurrentState = w->rs[i].state;
		}
		st[n].szReader = PNP_READER;
		st[n].dwCurrentState = w->pnp_state;
		rv = SCardGetStatusChange(ctx, INFINITE, st, (DWORD)(n + 1));
		if (rv == SCARD_E_CANCELLED || rv == SCARD_E_TIMEOUT)
			continue;
		if (rv == SCARD_E_UNKNOWN_READER || rv == SCARD_E_READER_UNAVAILABLE) {
			need_list = true;
			continue;
		}
		if (rv != SCARD_S_SUCCESS)
			return ctx_failed(rv, "waiting for card events");
		if (st[n].dwEventState & SCARD_STATE_CHANGED)
			need_list = true;
		w->pnp_state = st[n].dwEventState & ~(DWORD)SCARD_STATE_CHANGED;
		for (size_t i = 0; i < n && !atomic_load(&w->stop); i++) {
			DWORD ev = st[i].dwEventState;

			if (!(ev & SCARD_STATE_CHANGED))
				continue;
			if (ev & (SCARD_STATE_UNKNOWN | SCARD_STATE_UNAVAILABLE))
				need_list = true;
			reader_changed(w, &w->rs[i], ev);
		}
	}
	return CTX_STOP;
}

static struct sock_id sock_identity(const char *path)
{
	struct sock_id id = {0};
	struct stat st;

	if (stat(path, &st) == 0) {
		id.exists = true;
		id.dev = st.st_dev;
		id.ino = st.st_ino;
	}
	return id;
}

static bool same_sock(struct sock_id a, struct sock_id b)
{
	return a.exists == b.exists && (!a.exists || (a.dev == b.dev && a.ino == b.ino));
}

/*
 * Sleeps until pcscd's socket is created anew (inotify on its directory,
 * and on the parent for the directory's creation) or the watcher stops.
 */
static void wait_socket(struct watcher *w, struct sock_id failed)
{
	const char *path = socket_path();
	char dir[PATH_MAX], parent[PATH_MAX], *slash;
	const char *sock_base, *dir_base;
	union {
		struct inotify_event ev;
		char bytes[4096];
	} buf;
	int fd, wd_dir;
	bool created = false;

	/* path "/run/pcscd/pcscd.comm": dir "/run/pcscd", parent "/run" */
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir) {
		daemon_log(LOG_ERR, "cannot watch for pcscd's socket %s (not under a directory)",
			   path);
		pause_ms(w, MAX_BACKOFF_S * 1000);
		return;
	}
	*slash = '\0';
	sock_base = path + (slash - dir) + 1;
	snprintf(parent, sizeof(parent), "%s", dir);
	slash = strrchr(parent, '/');
	dir_base = dir + (slash - parent) + 1;
	slash[slash == parent ? 1 : 0] = '\0';

	fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (fd < 0 || inotify_add_watch(fd, parent, IN_CREATE | IN_MOVED_TO) < 0) {
		daemon_log(LOG_ERR, "cannot watch %s for pcscd (%s); trying again in %d s", parent,
			   strerror(errno), MAX_BACKOFF_S);
		if (fd >= 0)
			close(fd);
		pause_ms(w, MAX_BACKOFF_S * 1000);
		return;
	}
	wd_dir = inotify_add_watch(fd, dir, IN_CREATE | IN_MOVED_TO);
	daemon_log(LOG_DEBUG, "waiting for %s to be created", path);
	/* armed: a socket created since the failed attempt is seen here */
	created = !same_sock(sock_identity(path), failed);
	while (!created && !atomic_load(&w->stop)) {
		struct pollfd p[2] = {{fd, POLLIN, 0}, {w->stop_fd, POLLIN, 0}};
		ssize_t len;

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		while ((len = read(fd, buf.bytes, sizeof(buf.bytes))) > 0) {
			for (ssize_t off = 0; off < len;) {
				const struct inotify_event *ev =
					(const struct inotify_event *)(buf.bytes + off);

				if (ev->len && ev->wd == wd_dir && !strcmp(ev->name, sock_base))
					created = true;
				if (ev->len && ev->wd != wd_dir && !strcmp(ev->name, dir_base)) {
					wd_dir =
						inotify_add_watch(fd, dir, IN_CREATE | IN_MOVED_TO);
					created = created || sock_identity(path).exists;
				}
				off += (ssize_t)(sizeof(*ev) + ev->len);
			}
		}
	}
	close(fd);
}

static void *watch_main(void *arg)
{
	struct watcher *w = arg;
	struct sock_id failed = {0};
	unsigned tries = 0, backoff_s = 1;
	bool down = false;

	while (!atomic_load(&w->stop)) {
		SCARDCONTEXT ctx;
		enum ctx_end end;
		LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx);

		if (rv != SCARD_S_SUCCESS) {
			struct sock_id now = sock_identity(socket_path());

			if (!down)
				daemon_log(LOG_WARNING, "pcscd is not running; waiting for it");
			down = true;
			if (!service_gone(rv))
				daemon_log(LOG_DEBUG, "SCardEstablishContext: %s",
					   pcsc_stringify_error(rv));
			/* a socket just created may not be accepting yet: a few quick retries */
			if (now.exists && (!same_sock(now, failed) || tries < RETRIES)) {
				tries = same_sock(now, failed) ? tries + 1 : 1;
				failed = now;
				pause_ms(w, RETRY_MS);
				continue;
			}
			failed = now;
			tries = 0;
			wait_socket(w, failed);
			continue;
		}
		pthread_mutex_lock(&w->lock);
		w->ctx = ctx;
		w->has_ctx = true;
		pthread_mutex_unlock(&w->lock);
		if (down)
			daemon_log(LOG_INFO, "pcscd is back");
		down = false;
		tries = 0;
		end = watch_readers(w, ctx);
		pthread_mutex_lock(&w->lock);
		w->has_ctx = false;
		pthread_mutex_unlock(&w->lock);
		SCardReleaseContext(ctx);
		if (end == CTX_GONE && !atomic_load(&w->stop)) {
			daemon_log(LOG_WARNING, "pcscd is not running; waiting for it");
			down = true;
			failed = (struct sock_id){0};
		}
		if (end == CTX_ERROR) {
			pause_ms(w, (int)backoff_s * 1000);
			backoff_s = backoff_s * 2 > MAX_BACKOFF_S ? MAX_BACKOFF_S : backoff_s * 2;
		} else {
			backoff_s = 1;
		}
	}
	return NULL;
}

static char *dup_opt(const char *s, bool *nomem)
{
	char *c;

	if (!s)
		return NULL;
	c = strdup(s);
	if (!c)
		*nomem = true;
	return c;
}

static void watcher_free(struct watcher *w)
{
	struct watch_event *e = w->head;

	while (e) {
		struct watch_event *next = e->next;

		watch_event_free(e);
		e = next;
	}
	if (w->event_fd >= 0)
		close(w->event_fd);
	if (w->stop_fd >= 0)
		close(w->stop_fd);
	pthread_mutex_destroy(&w->lock);
	free(w->reader);
	free(w->pin_file);
	free(w->scp03_keys);
	free(w);
}

int watch_start(const struct watch_opts *o, struct watcher **out)
{
	struct watcher *w = calloc(1, sizeof(*w));
	bool nomem = false;

	*out = NULL;
	if (!w)
		return CS_ERR_NOMEM;
	w->event_fd = w->stop_fd = -1;
	pthread_mutex_init(&w->lock, NULL);
	w->reader = dup_opt(o->reader, &nomem);
	w->pin_file = dup_opt(o->pin_file, &nomem);
	w->scp03_keys = dup_opt(o->scp03_keys, &nomem);
	w->scp03_mode = o->scp03_mode;
	w->trace = o->trace;
	atomic_init(&w->stop, false);
	if (nomem) {
		watcher_free(w);
		return CS_ERR_NOMEM;
	}
	w->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	w->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->event_fd < 0 || w->stop_fd < 0 || pthread_create(&w->thread, NULL, watch_main, w)) {
		watcher_free(w);
		return CS_ERR_IO;
	}
	*out = w;
	return 0;
}

int watch_fd(const struct watcher *w)
{
	return w->event_fd;
}

struct watch_event *watch_take(struct watcher *w)
{
	struct watch_event *e;
	uint64_t n;

	if (read(w->event_fd, &n, sizeof(n)) < 0) {
		/* EAGAIN: nothing was signalled; the queue may still hold events */
	}
	pthread_mutex_lock(&w->lock);
	e = w->head;
	w->head = w->tail = NULL;
	pthread_mutex_unlock(&w->lock);
	return e;
}

void watch_event_free(struct watch_event *e)
{
	if (!e)
		return;
	cs_model_free(&e->model);
	cs_zeroize(e, sizeof(*e));
	free(e);
}

bool watch_stop(struct watcher *w, unsigned wait_ms)
{
	uint64_t one = 1;
	bool joined = false;

	if (!w)
		return true;
	atomic_store(&w->stop, true);
	if (write(w->stop_fd, &one, sizeof(one)) < 0) {
		/* already signalled */
	}
	/* SCardCancel only ends a wait under way: repeat it until the thread is out */
	for (unsigned waited = 0; !joined && waited <= wait_ms; waited += 100) {
		struct timespec until;

		pthread_mutex_lock(&w->lock);
		if (w->has_ctx)
			SCardCancel(w->ctx);
		pthread_mutex_unlock(&w->lock);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 100 * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		joined = pthread_timedjoin_np(w->thread, NULL, &until) == 0;
	}
	if (!joined) {
		/* a card read still blocks; the thread keeps w, and the process ends soon */
		pthread_detach(w->thread);
		return false;
	}
	watcher_free(w);
	return true;
}
