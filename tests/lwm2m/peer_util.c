/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cardstrap/encoding.h"
#include "peer.h"

static const char *log_prog = "peer";
static int log_verbose;

void peer_log_init(const char *prog, int verbose)
{
	log_prog = prog;
	log_verbose = verbose;
}

int peer_verbose(void)
{
	return log_verbose;
}

static void vlog(const char *tag, const char *fmt, va_list ap) CS_VPRINTF(2);

static void vlog(const char *tag, const char *fmt, va_list ap)
{
	char line[1024];
	int n;

	n = snprintf(line, sizeof(line), "%s: %s", log_prog, tag);
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	/* one write per line, so that lines of concurrent peers do not interleave */
	fprintf(stderr, "%s\n", line);
	fflush(stderr);
}

void peer_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("", fmt, ap);
	va_end(ap);
}

void peer_debug(const char *fmt, ...)
{
	va_list ap;

	if (!log_verbose)
		return;
	va_start(ap, fmt);
	vlog("debug: ", fmt, ap);
	va_end(ap);
}

static void coap_log_line(coap_log_t level, const char *message)
{
	size_t n = strlen(message);

	(void)level;
	while (n && (message[n - 1] == '\n' || message[n - 1] == '\r'))
		n--;
	peer_log("libcoap: %.*s", (int)n, message);
}

void peer_coap_logging(void)
{
	coap_set_log_handler(coap_log_line);
	/* LOG_DEBUG would dump PDUs, and Bootstrap-Writes carry keys */
	coap_set_log_level(log_verbose ? LOG_INFO : LOG_WARNING);
	coap_dtls_set_log_level(log_verbose ? LOG_INFO : LOG_WARNING);
}

bool peer_parse_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!s || *s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

int peer_read_file(const char *path, size_t max, struct cs_buf *out, struct cs_errinfo *ei)
{
	uint8_t chunk[4096];
	size_t n;
	FILE *f;
	int err = 0;

	f = fopen(path, "rb");
	if (!f)
		return cs_error(ei, CS_ERR_IO, -1, "cannot open %s: %s", path, strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (out->len + n > max) {
			err = cs_error(ei, CS_ERR_LIMIT, -1, "%s is larger than %zu bytes", path,
				       max);
			break;
		}
		if (cs_buf_append(out, chunk, n)) {
			err = cs_error(ei, CS_ERR_NOMEM, -1, "out of memory reading %s", path);
			break;
		}
	}
	if (!err && ferror(f))
		err = cs_error(ei, CS_ERR_IO, -1, "cannot read %s", path);
	cs_zeroize(chunk, sizeof(chunk));
	fclose(f);
	return err;
}

int peer_read_key_file(const char *path, struct cs_buf *key, struct cs_errinfo *ei)
{
	struct cs_buf raw = {0};
	int err;

	err = peer_read_file(path, 4096, &raw, ei);
	if (err)
		goto out;
	if (cs_hex_looks_like((const char *)raw.data, raw.len)) {
		err = cs_hex_decode((const char *)raw.data, raw.len, key, ei);
		goto out;
	}
	/* raw key: a trailing newline is the editor's, not the key's */
	if (raw.len && raw.data[raw.len - 1] == '\n')
		raw.len--;
	if (raw.len && raw.data[raw.len - 1] == '\r')
		raw.len--;
	err = cs_buf_append(key, raw.data, raw.len);
out:
	cs_buf_free(&raw);
	if (!err && key->len == 0)
		err = cs_error(ei, CS_ERR_MALFORMED, -1, "%s holds an empty key", path);
	return err;
}

int peer_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
			   struct cs_errinfo *ei)
{
	char tmp[PATH_MAX];
	const uint8_t *p = data;
	int fd, n;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return cs_error(ei, CS_ERR_ARG, -1, "path too long: %s", path);
	fd = mkstemp(tmp);
	if (fd < 0)
		return cs_error(ei, CS_ERR_IO, -1, "cannot create %s: %s", tmp, strerror(errno));
	if (fchmod(fd, mode) != 0)
		goto fail;
	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto fail;
		p += w;
		len -= (size_t)w;
	}
	if (fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		goto fail;
	return 0;
fail:
	n = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return cs_error(ei, CS_ERR_IO, -1, "cannot write %s: %s", path, strerror(n));
}

uint64_t peer_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}
