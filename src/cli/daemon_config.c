/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <ini.h>

#include "cardstrap/bsserver.h"
#include "cardstrap/card.h"
#include "cardstrap/error.h"
#include "cardstrap/scp03.h"
#include "daemon_config.h"
#include "daemon_log.h"
#include "secrets.h"

#define MAX_ERRORS       50
#define PSK_IDENTITY_MAX 128 /* as validate checks /0/x/3 */

enum key_type {
	K_STRING,
	K_PATH,    /* relative to the config file's directory */
	K_COMMAND, /* a /bin/sh command line */
	K_BOOL,
	K_CHOICE,  /* index into choices = the enum value */
	K_SECONDS, /* 1..CS_BSSERVER_MAX_TIMEOUT_MS / 1000 */
	K_BLOCK,   /* 16..1024, a power of two */
	K_ADDR,    /* ADDR:PORT or [V6]:PORT */
	K_LEVEL,   /* error|warning|info|debug */
};

static const char *const scp03_modes[] = {"required", "optional", NULL};
static const char *const removals[] = {"keep", "forget", NULL};
static const char *const bs_accounts[] = {"handover", "skip", NULL};
static const char *const reapplies[] = {"changed", "always", NULL};

struct key {
	const char *section, *name;
	enum key_type type;
	size_t off;
	const char *const *choices;
	const char *unset; /* what an empty value means, for the printout */
};

#define AT(field) offsetof(struct daemon_config, field)

/* In the order of the printout; sections in the order of `sections`. */
static const struct key keys[] = {
	{"card", "reader", K_STRING, AT(reader), NULL, "every reader"},
	{"card", "pin_file", K_PATH, AT(pin_file), NULL, "none: a card that asks for a PIN fails"},
	{"card", "scp03_keys", K_PATH, AT(scp03_keys), NULL, "no secure channel"},
	{"card", "scp03", K_CHOICE, AT(scp03_mode), scp03_modes, NULL},
	{"card", "on_removal", K_CHOICE, AT(on_removal), removals, NULL},
	{"server", "listen", K_ADDR, AT(listen), NULL, NULL},
	{"server", "listen_any", K_BOOL, AT(listen_any), NULL, NULL},
	{"server", "dtls_listen", K_ADDR, AT(dtls_listen), NULL, "no DTLS listener"},
	{"server", "psk_identity", K_STRING, AT(psk_identity), NULL, "none"},
	{"server", "psk_key_file", K_PATH, AT(psk_key_file), NULL, "none"},
	{"server", "endpoint", K_STRING, AT(endpoint), NULL, "every endpoint"},
	{"server", "bs_account", K_CHOICE, AT(bs_account), bs_accounts, NULL},
	{"server", "delete_all", K_BOOL, AT(delete_all), NULL, NULL},
	{"server", "timeout", K_SECONDS, AT(timeout_s), NULL, NULL},
	{"server", "block_size", K_BLOCK, AT(block_size), NULL, NULL},
	{"client", "restart_client", K_COMMAND, AT(restart_client), NULL,
	 "none: the client takes new data at its next Bootstrap-Request"},
	{"client", "reapply", K_CHOICE, AT(reapply), reapplies, NULL},
	{"daemon", "state_dir", K_PATH, AT(state_dir), NULL, NULL},
	{"daemon", "log_level", K_LEVEL, AT(log_level), NULL, NULL},
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static const char *const sections[] = {"card", "server", "client", "daemon"};

struct parse {
	FILE *f;
	const char *path;
	char *dir;
	unsigned line;
	unsigned skip_line; /* a line already reported: the handler ignores it */
	bool prev_key;      /* the last key line may be continued (inih's prev_name) */
	unsigned key_line[NKEYS];
	bool listen_loopback, dtls_loopback;
	struct daemon_config *c;
	struct daemon_config_errors *e;
	bool nomem;
};

static void add_error(struct parse *p, unsigned line, const char *fmt, ...) CS_PRINTF(3, 4);

static void add_error(struct parse *p, unsigned line, const char *fmt, ...)
{
	char msg[512], *s, **grown;
	unsigned *lines;
	size_t at;
	va_list ap;
	int w;

	if (p->e->n >= MAX_ERRORS)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	w = line ? asprintf(&s, "%s:%u: %s", p->path, line, msg)
		 : asprintf(&s, "%s: %s", p->path, msg);
	grown = w < 0 ? NULL : realloc(p->e->msg, (p->e->n + 1) * sizeof(*grown));
	lines = grown ? realloc(p->e->line, (p->e->n + 1) * sizeof(*lines)) : NULL;
	if (grown)
		p->e->msg = grown;
	if (lines)
		p->e->line = lines;
	if (!grown || !lines) {
		if (w >= 0)
			free(s);
		p->nomem = true;
		return;
	}
	/* in line order, whichever check found it */
	for (at = p->e->n; at > 0 && p->e->line[at - 1] > line; at--) {
		p->e->msg[at] = p->e->msg[at - 1];
		p->e->line[at] = p->e->line[at - 1];
	}
	p->e->msg[at] = s;
	p->e->line[at] = line;
	p->e->n++;
}

static char **str_at(struct daemon_config *c, const struct key *k)
{
	return (char **)((char *)c + k->off);
}

static const char *const *cstr_at(const struct daemon_config *c, const struct key *k)
{
	return (const char *const *)((const char *)c + k->off);
}

static int *int_at(struct daemon_config *c, const struct key *k)
{
	return (int *)((char *)c + k->off);
}

static unsigned *uint_at(struct daemon_config *c, const struct key *k)
{
	return (unsigned *)((char *)c + k->off);
}

static bool *bool_at(struct daemon_config *c, const struct key *k)
{
	return (bool *)((char *)c + k->off);
}

static bool known_section(const char *name)
{
	for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
		if (!strcmp(name, sections[i]))
			return true;
	return false;
}

static const struct key *find_key(const char *section, const char *name)
{
	for (size_t i = 0; i < NKEYS; i++)
		if ((!section || !strcmp(keys[i].section, section)) && !strcmp(keys[i].name, name))
			return &keys[i];
	return NULL;
}

/* inih's own scan: the first of chars (NULL: none), or a ';' after white space (a comment). */
static const char *find_sep(const char *s, const char *chars)
{
	bool was_space = false;

	while (*s && !(chars && strchr(chars, *s)) && !(was_space && *s == ';')) {
		was_space = isspace((unsigned char)*s);
		s++;
	}
	return s;
}

/*
 * Reports the lines inih takes differently from what they look like, as
 * inih 55 reads them: an indented line after a key continues that key's
 * value (not supported here), a section header needs its ']' before any
 * comment, and other lines need '=' or ':'. Section names are checked here
 * because inih reports no section without keys.
 */
static void check_line(struct parse *p, const char *line)
{
	const char *s = line, *end;

	if (p->line == 1 && !strncmp(s, "\xEF\xBB\xBF", 3))
		s += 3;
	while (*s && isspace((unsigned char)*s))
		s++;
	if (!*s || *s == ';' || *s == '#')
		return;
	if (p->prev_key && s != line) {
		add_error(p, p->line,
			  "indented line: values continued on another line are not supported");
		p->skip_line = p->line;
		return;
	}
	if (*s == '[') {
		char name[64];
		size_t len;

		end = find_sep(s + 1, "]");
		if (*end != ']') {
			add_error(p, p->line, "section header without ']'");
			return;
		}
		p->prev_key = false;
		len = (size_t)(end - s - 1);
		if (len < sizeof(name)) {
			memcpy(name, s + 1, len);
			name[len] = '\0';
		}
		if (len >= sizeof(name) || !known_section(name))
			add_error(p, p->line,
				  "unknown section [%.*s] (the sections are [card], [server], "
				  "[client] and [daemon])",
				  (int)(len < 64 ? len : 64), s + 1);
		return;
	}
	end = find_sep(s, "=:");
	if (*end != '=' && *end != ':') {
		add_error(p, p->line, "expected 'key = value', '[section]' or a comment");
		return;
	}
	while (end > s && isspace((unsigned char)end[-1]))
		end--;
	p->prev_key = end > s;
}

/* The ini_reader: counts lines for the messages and refuses overlong ones. */
static char *read_line(char *str, int num, void *stream)
{
	struct parse *p = stream;
	size_t len;

	if (!fgets(str, num, p->f))
		return NULL;
	p->line++;
	len = strlen(str);
	if (len + 1 == (size_t)num && str[len - 1] != '\n') {
		int ch = fgetc(p->f);

		if (ch != EOF && ch != '\n') {
			while ((ch = fgetc(p->f)) != EOF && ch != '\n')
				;
			add_error(p, p->line, "line longer than %d characters", num - 2);
			/* the handler must not see the cut value */
			p->skip_line = p->line;
			str[0] = '\0';
			return str;
		}
	}
	check_line(p, str);
	return str;
}

static bool parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};

	for (size_t i = 0; i < 4; i++) {
		if (!strcmp(v, yes[i]))
			return *out = true, true;
		if (!strcmp(v, no[i]))
			return *out = false, true;
	}
	return false;
}

static void choices_text(const char *const *choices, char *buf, size_t n)
{
	size_t pos = 0;

	buf[0] = '\0';
	for (size_t i = 0; choices[i] && pos < n; i++) {
		int w = snprintf(buf + pos, n - pos, "%s%s", i ? " or " : "", choices[i]);

		if (w < 0)
			break;
		pos += (size_t)w;
	}
}

/*
 * ADDR:PORT, [V6]:PORT or ADDR (default port): the same forms the
 * Bootstrap-Server takes. Sets *loopback from the resolved address.
 */
static int check_addr(const char *v, bool *loopback, char *why, size_t n)
{
	char host[256];
	const char *colon = NULL, *port = NULL;
	struct addrinfo hints = {0}, *res = NULL;
	size_t hl;
	int rc;

	if (v[0] == '[') {
		const char *end = strchr(v, ']');

		if (!end || (end[1] && end[1] != ':'))
			return snprintf(why, n, "'%s' is not [IPV6]:PORT", v), -1;
		hl = (size_t)(end - v - 1);
		if (end[1])
			colon = end + 1;
		v++;
	} else {
		colon = strrchr(v, ':');
		if (colon && strchr(v, ':') != colon)
			return snprintf(why, n, "'%s': write IPv6 addresses as [ADDR]:PORT", v), -1;
		hl = colon ? (size_t)(colon - v) : strlen(v);
	}
	if (!hl || hl >= sizeof(host))
		return snprintf(why, n, "'%s' has no host", v), -1;
	memcpy(host, v, hl);
	host[hl] = '\0';
	if (colon) {
		char *end;
		unsigned long p;

		port = colon + 1;
		p = strtoul(port, &end, 10);
		if (!*port || *end || p == 0 || p > 65535)
			return snprintf(why, n, "the port in '%s' is not 1..65535", v), -1;
	}
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICSERV;
	rc = getaddrinfo(host, port ? port : "5683", &hints, &res);
	if (rc || !res)
		return snprintf(why, n, "cannot resolve '%s': %s", host, gai_strerror(rc)), -1;
	if (res->ai_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)res->ai_addr;

		*loopback = (ntohl(a->sin_addr.s_addr) >> 24) == 127;
	} else {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)res->ai_addr;

		*loopback =
			IN6_IS_ADDR_LOOPBACK(&a->sin6_addr) ||
			(IN6_IS_ADDR_V4MAPPED(&a->sin6_addr) && a->sin6_addr.s6_addr[12] == 127);
	}
	freeaddrinfo(res);
	return 0;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static void set_string(struct parse *p, const struct key *k, const char *v)
{
	char **slot = str_at(p->c, k);
	char *copy;

	if (k->type == K_PATH && v[0] != '/')
		copy = asprintf(&copy, "%s/%s", p->dir, v) < 0 ? NULL : copy;
	else
		copy = strdup(v);
	if (!copy) {
		p->nomem = true;
		return;
	}
	free(*slot);
	*slot = copy;
}

static void set_value(struct parse *p, const struct key *k, const char *v)
{
	char why[300], alt[64];
	unsigned long n;
	char *end;
	int lvl;

	if (*v == ';') {
		/* "key =;x": inih keeps ";x", which reads like a comment */
		add_error(p, p->line, "%s: a value cannot begin with ';'", k->name);
		return;
	}
	if (!*v && k->off == AT(listen)) {
		p->listen_loopback = true;
		set_string(p, k, CS_BSSERVER_DEFAULT_LISTEN);
		return;
	}
	if (!*v &&
	    (k->type == K_STRING || k->type == K_PATH || k->type == K_COMMAND ||
	     k->type == K_ADDR) &&
	    k->off != AT(state_dir)) {
		free(*str_at(p->c, k));
		*str_at(p->c, k) = NULL;
		return;
	}
	switch (k->type) {
	case K_STRING:
		if (k->off == AT(reader) && all_digits(v)) {
			add_error(p, p->line,
				  "reader: give the reader's name or a part of it, not an index "
				  "(readers are numbered anew when one is plugged in)");
			return;
		}
		if (k->off == AT(endpoint) && strlen(v) >= CS_BS_ENDPOINT_MAX) {
			add_error(p, p->line, "endpoint: longer than %d characters",
				  CS_BS_ENDPOINT_MAX - 1);
			return;
		}
		if (k->off == AT(psk_identity) && strlen(v) > PSK_IDENTITY_MAX) {
			add_error(p, p->line, "psk_identity: longer than %d bytes",
				  PSK_IDENTITY_MAX);
			return;
		}
		set_string(p, k, v);
		return;
	case K_PATH:
		if (!*v) {
			add_error(p, p->line, "%s needs a directory", k->name);
			return;
		}
		set_string(p, k, v);
		return;
	case K_COMMAND: set_string(p, k, v); return;
	case K_ADDR:
		if (check_addr(v, k->off == AT(listen) ? &p->listen_loopback : &p->dtls_loopback,
			       why, sizeof(why))) {
			add_error(p, p->line, "%s: %s", k->name, why);
			return;
		}
		set_string(p, k, v);
		return;
	case K_BOOL:
		if (!parse_bool(v, bool_at(p->c, k)))
			add_error(p, p->line, "%s is yes or no (true/false, on/off, 1/0), not '%s'",
				  k->name, v);
		return;
	case K_CHOICE:
		for (int i = 0; k->choices[i]; i++) {
			if (!strcmp(v, k->choices[i])) {
				*int_at(p->c, k) = i;
				return;
			}
		}
		choices_text(k->choices, alt, sizeof(alt));
		add_error(p, p->line, "%s is %s, not '%s'", k->name, alt, v);
		return;
	case K_SECONDS:
		errno = 0;
		n = strtoul(v, &end, 10);
		if (errno || !*v || *end || *v == '-' || n == 0 ||
		    n > CS_BSSERVER_MAX_TIMEOUT_MS / 1000) {
			add_error(p, p->line, "%s is 1..%u seconds, not '%s'", k->name,
				  CS_BSSERVER_MAX_TIMEOUT_MS / 1000, v);
			return;
		}
		*uint_at(p->c, k) = (unsigned)n;
		return;
	case K_BLOCK:
		n = strtoul(v, &end, 10);
		if (!*v || *end || n < 16 || n > 1024 || (n & (n - 1))) {
			add_error(p, p->line, "%s is 16, 32, 64, 128, 256, 512 or 1024, not '%s'",
				  k->name, v);
			return;
		}
		*uint_at(p->c, k) = (unsigned)n;
		return;
	case K_LEVEL:
		lvl = daemon_log_level_parse(v);
		if (lvl < 0) {
			add_error(p, p->line, "%s is error, warning, info or debug, not '%s'",
				  k->name, v);
			return;
		}
		*int_at(p->c, k) = lvl;
		return;
	}
}

static int on_value(void *user, const char *section, const char *name, const char *value)
{
	struct parse *p = user;
	const struct key *k, *other;
	size_t i;

	if (p->line == p->skip_line)
		return 1;
	if (!*section) {
		add_error(p, p->line,
			  "'%s' is outside a section: put it under [card], [server], [client] or "
			  "[daemon]",
			  name);
		return 1;
	}
	/* check_line reported the section */
	if (!known_section(section))
		return 1;
	k = find_key(section, name);
	if (!k) {
		other = find_key(NULL, name);
		if (other)
			add_error(p, p->line, "'%s' belongs in [%s], not in [%s]", name,
				  other->section, section);
		else
			add_error(p, p->line, "unknown key '%s' in [%s]", name, section);
		return 1;
	}
	i = (size_t)(k - keys);
	if (p->key_line[i]) {
		add_error(p, p->line, "'%s' is given twice (first on line %u)", name,
			  p->key_line[i]);
		return 1;
	}
	p->key_line[i] = p->line;
	set_value(p, k, value);
	return 1;
}

static unsigned line_of(const struct parse *p, size_t off)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (keys[i].off == off)
			return p->key_line[i];
	return 0;
}

static void check_secret_file(struct parse *p, const char *path, size_t off, const char *name)
{
	struct cs_errinfo ei;

	cs_errinfo_clear(&ei);
	if (path && cli_check_secret_file(path, &ei))
		add_error(p, line_of(p, off), "%s: %s", name, ei.msg);
}

/* The rules that span keys; run after the whole file was read. */
static void cross_check(struct parse *p)
{
	struct daemon_config *c = p->c;
	struct cs_scp03_keys sk;
	struct cs_errinfo ei;
	unsigned dl;

	if (c->listen && !c->listen_any && !p->listen_loopback)
		add_error(p, line_of(p, AT(listen)),
			  "listen: %s is not a loopback address (allow it with listen_any = yes)",
			  c->listen);
	if (c->dtls_listen && !c->listen_any && !p->dtls_loopback)
		add_error(p, line_of(p, AT(dtls_listen)),
			  "dtls_listen: %s is not a loopback address (allow it with listen_any = "
			  "yes)",
			  c->dtls_listen);
	if (c->dtls_listen || c->psk_identity || c->psk_key_file) {
		dl = line_of(p, c->dtls_listen    ? AT(dtls_listen)
				: c->psk_identity ? AT(psk_identity)
						  : AT(psk_key_file));
		if (!c->dtls_listen || !c->psk_identity || !c->psk_key_file)
			add_error(p, dl,
				  "DTLS needs dtls_listen, psk_identity and psk_key_file; "
				  "missing:%s%s%s",
				  c->dtls_listen ? "" : " dtls_listen",
				  c->psk_identity ? "" : " psk_identity",
				  c->psk_key_file ? "" : " psk_key_file");
	}
	if (c->restart_client && strstr(c->restart_client, "{endpoint}") && !c->endpoint)
		add_error(p, line_of(p, AT(restart_client)),
			  "restart_client uses {endpoint}: set endpoint in [server]");
	if (c->scp03_mode == CS_CARD_SCP03_OPTIONAL && !c->scp03_keys)
		add_error(p, line_of(p, AT(scp03_mode)),
			  "scp03 = optional needs the keys: set scp03_keys");
	check_secret_file(p, c->pin_file, AT(pin_file), "pin_file");
	check_secret_file(p, c->psk_key_file, AT(psk_key_file), "psk_key_file");
	cs_errinfo_clear(&ei);
	if (c->scp03_keys && cs_scp03_keys_load(c->scp03_keys, &sk, &ei))
		add_error(p, line_of(p, AT(scp03_keys)), "scp03_keys: %s", ei.msg);
	cs_scp03_keys_clear(&sk);
}

int daemon_config_defaults(struct daemon_config *c)
{
	memset(c, 0, sizeof(*c));
	c->scp03_mode = CS_CARD_SCP03_REQUIRED;
	c->on_removal = DAEMON_REMOVAL_KEEP;
	c->bs_account = CS_BS_ACCOUNT_HANDOVER;
	c->reapply = DAEMON_REAPPLY_CHANGED;
	c->log_level = LOG_INFO;
	c->timeout_s = CS_BSSERVER_DEFAULT_TIMEOUT_MS / 1000;
	c->block_size = CS_BSSERVER_DEFAULT_BLOCK;
	c->listen = strdup(CS_BSSERVER_DEFAULT_LISTEN);
	c->state_dir = strdup(DAEMON_DEFAULT_STATE_DIR);
	return c->state_dir && c->listen ? 0 : CS_ERR_NOMEM;
}

int daemon_config_load(const char *path, struct daemon_config *c, struct daemon_config_errors *e)
{
	struct parse p = {.path = path, .c = c, .e = e, .listen_loopback = true};
	struct stat st;
	char *copy;
	int rc, err = 0;

	memset(e, 0, sizeof(*e));
	if (daemon_config_defaults(c))
		return CS_ERR_NOMEM;
	c->file = strdup(path);
	copy = strdup(path);
	p.dir = copy ? strdup(dirname(copy)) : NULL;
	free(copy);
	if (!c->file || !p.dir) {
		free(p.dir);
		return CS_ERR_NOMEM;
	}
	p.f = fopen(path, "re");
	if (!p.f || fstat(fileno(p.f), &st) < 0 || S_ISDIR(st.st_mode)) {
		add_error(&p, 0, "cannot read: %s", p.f ? "it is a directory" : strerror(errno));
		err = CS_ERR_IO;
		goto out;
	}
	rc = ini_parse_stream(read_line, &p, on_value, &p);
	if (ferror(p.f)) {
		add_error(&p, 0, "cannot read: %s", strerror(errno));
		err = CS_ERR_IO;
		goto out;
	}
	if (rc > 0 && !e->n)
		add_error(&p, (unsigned)rc, "syntax error");
	cross_check(&p);
	err = p.nomem ? CS_ERR_NOMEM : e->n ? CS_ERR_INVALID : 0;
out:
	if (p.f)
		fclose(p.f);
	free(p.dir);
	return err;
}

void daemon_config_free(struct daemon_config *c)
{
	free(c->file);
	for (size_t i = 0; i < NKEYS; i++)
		if (keys[i].type == K_STRING || keys[i].type == K_PATH ||
		    keys[i].type == K_COMMAND || keys[i].type == K_ADDR)
			free(*str_at(c, &keys[i]));
	memset(c, 0, sizeof(*c));
}

void daemon_config_errors_free(struct daemon_config_errors *e)
{
	for (size_t i = 0; i < e->n; i++)
		free(e->msg[i]);
	free(e->msg);
	free(e->line);
	memset(e, 0, sizeof(*e));
}

void daemon_config_print(FILE *f, const struct daemon_config *c)
{
	const char *section = NULL;

	fprintf(f, "# cardstrap daemon: the effective settings %s%s\n",
		c->file ? "of " : "(built-in defaults)", c->file ? c->file : "");
	for (size_t i = 0; i < NKEYS; i++) {
		const struct key *k = &keys[i];
		const char *s;
		int v;

		if (!section || strcmp(section, k->section))
			fprintf(f, "%s[%s]\n", section ? "\n" : "", k->section);
		section = k->section;
		fprintf(f, "%s =", k->name);
		switch (k->type) {
		case K_STRING:
		case K_PATH:
		case K_COMMAND:
		case K_ADDR:
			s = *cstr_at(c, k);
			if (s)
				fprintf(f, " %s\n", s);
			else
				fprintf(f, " ; %s\n", k->unset);
			break;
		case K_BOOL:
			fprintf(f, " %s\n",
				*(const bool *)((const char *)c + k->off) ? "yes" : "no");
			break;
		case K_CHOICE:
			v = *(const int *)((const char *)c + k->off);
			fprintf(f, " %s\n", k->choices[v]);
			break;
		case K_SECONDS:
		case K_BLOCK:
			fprintf(f, " %u\n", *(const unsigned *)((const char *)c + k->off));
			break;
		case K_LEVEL:
			fprintf(f, " %s\n",
				daemon_log_level_name(*(const int *)((const char *)c + k->off)));
			break;
		}
	}
}

static bool str_differs(const char *a, const char *b)
{
	if (!a || !b)
		return a != b;
	return strcmp(a, b) != 0;
}

bool daemon_config_server_changed(const struct daemon_config *a, const struct daemon_config *b)
{
	return str_differs(a->listen, b->listen) || a->listen_any != b->listen_any ||
	       str_differs(a->dtls_listen, b->dtls_listen) ||
	       str_differs(a->psk_identity, b->psk_identity) ||
	       str_differs(a->psk_key_file, b->psk_key_file) ||
	       str_differs(a->endpoint, b->endpoint) || a->bs_account != b->bs_account ||
	       a->delete_all != b->delete_all || a->timeout_s != b->timeout_s ||
	       a->block_size != b->block_size;
}

bool daemon_config_card_changed(const struct daemon_config *a, const struct daemon_config *b)
{
	return str_differs(a->reader, b->reader) || str_differs(a->pin_file, b->pin_file) ||
	       str_differs(a->scp03_keys, b->scp03_keys) || a->scp03_mode != b->scp03_mode;
}
