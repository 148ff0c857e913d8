/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "cardstrap/encoding.h"
#include "secrets.h"

static int check_mode(const struct stat *st, const char *path, struct cs_errinfo *ei)
{
	if (!S_ISREG(st->st_mode))
		return cs_error(ei, CS_ERR_PERM, -1, "%s is not a regular file", path);
	if (st->st_mode & (S_IRWXG | S_IRWXO))
		return cs_error(ei, CS_ERR_PERM, -1,
				"%s can be read or written by group or others (mode %04o); run: "
				"chmod 600 %s",
				path, (unsigned)(st->st_mode & 07777), path);
	return 0;
}

/*
 * A line of hex digits with the separators cs_hex_decode skips is meant as
 * hex, even when it does not decode: a digit too few is an error, not a
 * raw key.
 */
static bool hex_text(const char *s, size_t n)
{
	size_t digits = 0;

	for (size_t i = 0; i < n; i++) {
		if (isxdigit((unsigned char)s[i]))
			digits++;
		else if (!s[i] || !strchr(" \t:-xX", s[i]))
			return false;
	}
	return digits > 0;
}

int cli_read_psk_file(const char *path, struct cs_buf *key, struct cs_errinfo *ei)
{
	struct cs_buf line = {0};
	int err;

	err = cli_read_secret_file(path, &line, ei);
	if (!err && line.len && hex_text((const char *)line.data, line.len))
		err = cs_hex_decode((const char *)line.data, line.len, key, ei);
	else if (!err)
		err = cs_buf_append(key, line.data, line.len);
	cs_buf_free(&line);
	if (!err && !key->len)
		err = cs_error(ei, CS_ERR_PERM, -1, "%s holds no key", path);
	/* the decoder's message would quote a digit of the key */
	if (err == CS_ERR_MALFORMED)
		cs_error(ei, CS_ERR_MALFORMED, -1, "not a valid hex key (an odd number of digits?)");
	if (err)
		cs_buf_free(key);
	return err;
}

int cli_check_secret_file(const char *path, struct cs_errinfo *ei)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return cs_error(ei, CS_ERR_PERM, -1, "cannot use %s: %s", path, strerror(errno));
	return check_mode(&st, path, ei);
}

/* Keeps the first line, without CR/LF. */
static void first_line(struct cs_buf *b, size_t start)
{
	for (size_t i = start; i < b->len; i++) {
		if (b->data[i] == '\n' || b->data[i] == '\r') {
			cs_zeroize(b->data + i, b->len - i);
			b->len = i;
			return;
		}
	}
}

int cli_read_secret_file(const char *path, struct cs_buf *out, struct cs_errinfo *ei)
{
	uint8_t tmp[CLI_SECRET_MAX + 2];
	size_t start = out->len, n = 0;
	struct stat st;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return cs_error(ei, CS_ERR_PERM, -1, "cannot open %s: %s", path, strerror(errno));
	/* fstat on the opened file: the file checked is the file read */
	if (fstat(fd, &st) < 0) {
		err = cs_error(ei, CS_ERR_PERM, -1, "cannot use %s: %s", path, strerror(errno));
		goto out;
	}
	err = check_mode(&st, path, ei);
	if (err)
		goto out;
	while (n < sizeof(tmp)) {
		ssize_t r = read(fd, tmp + n, sizeof(tmp) - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = cs_error(ei, CS_ERR_PERM, -1, "cannot read %s: %s", path,
				       strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	err = cs_buf_append(out, tmp, n);
	if (!err)
		first_line(out, start);
	if (!err && out->len - start > CLI_SECRET_MAX)
		err = cs_error(ei, CS_ERR_PERM, -1, "%s: the first line is longer than %d bytes",
			       path, CLI_SECRET_MAX);
out:
	cs_zeroize(tmp, sizeof(tmp));
	close(fd);
	if (err) {
		/* out->data is NULL while nothing was read: no offset may be applied to it */
		if (out->len > start)
			cs_zeroize(out->data + start, out->len - start);
		out->len = start;
	}
	return err;
}

static struct termios saved_tio;
static volatile sig_atomic_t tty_fd = -1;

/* A signal during the prompt must not leave the terminal without echo. */
static void restore_and_die(int sig)
{
	if (tty_fd >= 0)
		tcsetattr(tty_fd, TCSAFLUSH, &saved_tio);
	signal(sig, SIG_DFL);
	raise(sig);
}

int cli_prompt_secret(const char *prompt, struct cs_buf *out, struct cs_errinfo *ei)
{
	struct sigaction sa, old_int, old_term, old_hup;
	struct termios tio;
	size_t start = out->len;
	int fd, err = 0;
	char c;

	fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return cs_error(ei, CS_ERR_PIN_REQUIRED, -1, "there is no terminal to ask on");
	if (tcgetattr(fd, &saved_tio) < 0) {
		close(fd);
		return cs_error(ei, CS_ERR_PIN_REQUIRED, -1, "cannot set up the terminal: %s",
				strerror(errno));
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = restore_and_die;
	sigemptyset(&sa.sa_mask);
	tty_fd = fd;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	sigaction(SIGHUP, &sa, &old_hup);
	tio = saved_tio;
	tio.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
	tio.c_lflag |= ICANON;
	if (write(fd, prompt, strlen(prompt)) < 0 || tcsetattr(fd, TCSAFLUSH, &tio) < 0) {
		err = cs_error(ei, CS_ERR_PIN_REQUIRED, -1, "cannot use the terminal: %s",
			       strerror(errno));
		goto out;
	}
	for (;;) {
		ssize_t r = read(fd, &c, 1);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || c == '\n' || c == '\r')
			break;
		if (out->len - start >= CLI_SECRET_MAX)
			continue;
		err = cs_buf_push(out, (uint8_t)c);
		if (err)
			break;
	}
	c = 0;
	tcsetattr(fd, TCSAFLUSH, &saved_tio);
	if (write(fd, "\n", 1) < 0) {
		/* only cosmetic */
	}
	if (!err && out->len == start)
		err = cs_error(ei, CS_ERR_PIN_REQUIRED, -1, "nothing was entered");
out:
	tty_fd = -1;
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
	close(fd);
	if (err) {
		/* out->data is NULL while nothing was read: no offset may be applied to it */
		if (out->len > start)
			cs_zeroize(out->data + start, out->len - start);
		out->len = start;
	}
	return err;
}

int cli_get_pin(void *arg, uint8_t keyref, int tries_left, struct cs_buf *pin,
		struct cs_errinfo *ei)
{
	const struct cli_pin_source *src = arg;
	char *env = getenv(CLI_PIN_ENV);
	char prompt[96];
	int err;

	if (src && src->pin_file)
		return cli_read_secret_file(src->pin_file, pin, ei);
	if (env && *env) {
		size_t n = strlen(env);

		err = cs_buf_append(pin, env, n);

		/* no copy left behind in our own environment */
		cs_zeroize(env, n);
		unsetenv(CLI_PIN_ENV);
		return err;
	}
	snprintf(prompt, sizeof(prompt), "PIN for key reference %02X (%d tries left): ", keyref,
		 tries_left);
	err = cli_prompt_secret(prompt, pin, ei);
	if (err == CS_ERR_PIN_REQUIRED && ei) {
		char why[sizeof(ei->msg)];

		memcpy(why, ei->msg, sizeof(why));
		cs_error(ei, err, -1,
			 "the card needs the PIN (key reference %02X, %d tries left) and %s; give "
			 "it with --pin-file FILE or %s",
			 keyref, tries_left, why, CLI_PIN_ENV);
	}
	return err;
}
