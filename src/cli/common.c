/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cardstrap/encoding.h"
#include "cli.h"

struct cli_global cli;

static CS_VPRINTF(2) void vmsg(const char *kind, const char *fmt, va_list ap)
{
	fputs("cardstrap", stderr);
	if (cli.cmd)
		fprintf(stderr, " %s", cli.cmd);
	fputs(": ", stderr);
	if (kind)
		fprintf(stderr, "%s%s%s: ", cli_style(stderr, "bold"), kind, cli_style(stderr, "reset"));
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void cli_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(NULL, fmt, ap);
	va_end(ap);
}

void cli_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("warning", fmt, ap);
	va_end(ap);
}

void cli_info(const char *fmt, ...)
{
	va_list ap;

	if (cli.verbosity < 0)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void cli_usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(NULL, fmt, ap);
	va_end(ap);
	if (cli.cmd)
		fprintf(stderr, "Try 'cardstrap help %s'.\n", cli.cmd);
	else
		fprintf(stderr, "Try 'cardstrap --help'.\n");
	exit(EXIT_USAGE);
}

bool cli_common_option(int c)
{
	const struct cli_cmd *cmd;

	switch (c) {
	case OPT_JSON:
		cli.json = true;
		return true;
	case OPT_SHOW_SECRETS:
		cli.show_secrets = true;
		return true;
	case OPT_TRACE:
		cli.trace = true;
		return true;
	case 'v':
		cli.verbosity = cli.verbosity < 0 ? 1 : cli.verbosity + 1;
		return true;
	case 'q':
		cli.verbosity = -1;
		return true;
	case 'h':
		cmd = cli.cmd ? cli_find_cmd(cli.cmd) : NULL;
		if (cmd)
			fputs(cmd->usage, stdout);
		exit(EXIT_OK);
	case '?':
	case ':':
		/* getopt_long has printed what was wrong. */
		if (cli.cmd)
			fprintf(stderr, "Try 'cardstrap help %s'.\n", cli.cmd);
		exit(EXIT_USAGE);
	}
	return false;
}

int cli_exit_code(int err)
{
	switch (err) {
	case CS_OK:
		return EXIT_OK;
	case CS_ERR_ARG:
		return EXIT_USAGE;
	case CS_ERR_TRUNCATED:
	case CS_ERR_MALFORMED:
	case CS_ERR_RANGE:
	case CS_ERR_INVALID:
	case CS_ERR_LIMIT:
	case CS_ERR_UNSUPPORTED:
		return EXIT_DATAERR;
	case CS_ERR_IO:
	case CS_ERR_NOT_FOUND:
	case CS_ERR_NO_PKCS15:
	case CS_ERR_NO_BOOTSTRAP:
	case CS_ERR_FILE_NOT_FOUND:
		return EXIT_NOINPUT;
	case CS_ERR_NO_SERVICE:
	case CS_ERR_NO_READER:
	case CS_ERR_NO_CARD:
	case CS_ERR_SCP03_UNSUPPORTED:
		return EXIT_UNAVAILABLE;
	case CS_ERR_REJECTED:
	case CS_ERR_INCONSISTENT:
		return EXIT_SOFTWARE;
	case CS_ERR_CARD_REMOVED:
	case CS_ERR_CARD_RESET:
	case CS_ERR_TRANSPORT:
	case CS_ERR_SW:
	case CS_ERR_NETWORK:
	case CS_ERR_SCP03_MAC:
		return EXIT_IOERR;
	case CS_ERR_TIMEOUT:
	case CS_ERR_CANCELLED:
		return EXIT_TEMPFAIL;
	case CS_ERR_PERM:
	case CS_ERR_SECURITY_STATUS:
	case CS_ERR_PIN_WRONG:
	case CS_ERR_PIN_BLOCKED:
	case CS_ERR_PIN_REFUSED:
	case CS_ERR_PIN_REQUIRED:
	case CS_ERR_SCP03_CRYPTOGRAM:
		return EXIT_NOPERM;
	}
	return EXIT_SOFTWARE;
}

int cli_fail(int err, const struct cs_errinfo *ei)
{
	if (ei && ei->msg[0])
		cli_error("%s", ei->msg);
	else
		cli_error("%s", cs_strerror(err));
	return cli_exit_code(err);
}

static int read_all(int fd, size_t max, struct cs_buf *out, const char *name, struct cs_errinfo *ei)
{
	for (;;) {
		ssize_t n;
		int err = cs_buf_reserve(out, 4096);

		if (err)
			return err;
		n = read(fd, out->data + out->len, out->cap - out->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cs_error(ei, CS_ERR_IO, -1, "cannot read %s: %s", name, strerror(errno));
		if (n == 0)
			return 0;
		out->len += (size_t)n;
		if (out->len > max)
			return cs_error(ei, CS_ERR_LIMIT, -1, "%s is larger than %zu bytes", name, max);
	}
}

int cli_read_text(const char *path, size_t max, struct cs_buf *out, struct cs_errinfo *ei)
{
	bool is_stdin = !strcmp(path, "-");
	const char *name = is_stdin ? "standard input" : path;
	int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	int err;

	if (fd < 0)
		return cs_error(ei, CS_ERR_IO, -1, "cannot open %s: %s", path, strerror(errno));
	err = read_all(fd, max, out, name, ei);
	if (!is_stdin)
		close(fd);
	if (!err)
		err = cs_buf_reserve(out, 1);
	if (!err)
		out->data[out->len] = '\0';
	return err;
}

static bool is_text(const uint8_t *p, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((p[i] < 0x20 && !strchr("\t\n\r\v\f", p[i])) || p[i] == 0x7F)
			return false;
	return true;
}

int cli_read_input(const char *path, size_t max, struct cs_buf *out, bool *was_hex,
		   struct cs_errinfo *ei)
{
	struct cs_buf raw = { 0 };
	int err = cli_read_text(path, max, &raw, ei);

	if (was_hex)
		*was_hex = false;
	if (err)
		goto out;
	/* An EF starts with a 00 byte (object count < 256); text means hex, typos included. */
	if (is_text(raw.data, raw.len)) {
		err = cs_hex_decode((const char *)raw.data, raw.len, out, ei);
		if (was_hex)
			*was_hex = true;
	} else {
		err = cs_buf_append(out, raw.data, raw.len);
	}
out:
	cs_buf_free(&raw);
	return err;
}

static int write_all(int fd, const void *data, size_t len)
{
	const uint8_t *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int cli_write_file(const char *path, const void *data, size_t len, mode_t mode,
		   struct cs_errinfo *ei)
{
	char *dircopy = NULL, *tmp = NULL;
	int fd = -1, err = 0;

	if (!strcmp(path, "-")) {
		if (isatty(STDOUT_FILENO) && memchr(data, '\0', len))
			return cs_error(ei, CS_ERR_IO, -1,
					"refusing to write binary data to a terminal (use -o FILE or --hex)");
		if (write_all(STDOUT_FILENO, data, len) < 0)
			return cs_error(ei, CS_ERR_IO, -1, "cannot write to standard output: %s",
					strerror(errno));
		return 0;
	}
	dircopy = strdup(path);
	if (!dircopy || asprintf(&tmp, "%s/.%s.XXXXXX", dirname(dircopy), basename((char *)path)) < 0) {
		free(dircopy);
		return CS_ERR_NOMEM;
	}
	fd = mkstemp(tmp);
	if (fd < 0) {
		err = cs_error(ei, CS_ERR_IO, -1, "cannot create %s: %s", path, strerror(errno));
		goto out;
	}
	if (fchmod(fd, mode) < 0 || write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		err = cs_error(ei, CS_ERR_IO, -1, "cannot write %s: %s", path, strerror(errno));
		goto out;
	}
	if (close(fd) < 0) {
		fd = -1;
		err = cs_error(ei, CS_ERR_IO, -1, "cannot write %s: %s", path, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) < 0)
		err = cs_error(ei, CS_ERR_IO, -1, "cannot write %s: %s", path, strerror(errno));
out:
	if (fd >= 0)
		close(fd);
	if (err && tmp)
		unlink(tmp);
	free(tmp);
	free(dircopy);
	return err;
}

char *cli_expand_command(const char *cmd, const char *uri, const char *endpoint)
{
	struct cs_buf b = {0};
	size_t len;

	while (*cmd) {
		int err;

		if (!strncmp(cmd, "{uri}", 5)) {
			err = cs_buf_append(&b, uri, strlen(uri));
			cmd += 5;
		} else if (!strncmp(cmd, "{endpoint}", 10) && endpoint) {
			err = cs_buf_append(&b, endpoint, strlen(endpoint));
			cmd += 10;
		} else {
			err = cs_buf_push(&b, (uint8_t)*cmd++);
		}
		if (err) {
			cs_buf_free(&b);
			return NULL;
		}
	}
	if (cs_buf_push(&b, 0)) {
		cs_buf_free(&b);
		return NULL;
	}
	return (char *)cs_buf_steal(&b, &len);
}
