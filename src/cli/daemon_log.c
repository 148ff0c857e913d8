/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon_log.h"

static atomic_int log_level = LOG_INFO;
static bool to_stderr;
static bool journal; /* stderr is a journal stream: priorities as "<N>" prefixes */
static struct sockaddr_un notify_addr;
static socklen_t notify_len;

static const char *const level_names[] = {
	[LOG_ERR] = "error",
	[LOG_WARNING] = "warning",
	[LOG_INFO] = "info",
	[LOG_DEBUG] = "debug",
};

int daemon_log_level_parse(const char *name)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (level_names[i] && !strcmp(name, level_names[i]))
			return (int)i;
	return -1;
}

const char *daemon_log_level_name(int level)
{
	if (level >= 0 && (size_t)level < sizeof(level_names) / sizeof(level_names[0]) &&
	    level_names[level])
		return level_names[level];
	return "?";
}

/* systemd sets JOURNAL_STREAM=DEV:INODE when stderr goes to the journal (systemd.exec(5)). */
static bool stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	char *end;

	if (!js || fstat(STDERR_FILENO, &st) < 0)
		return false;
	errno = 0;
	dev = strtoull(js, &end, 10);
	if (errno || end == js || *end != ':')
		return false;
	js = end + 1;
	ino = strtoull(js, &end, 10);
	if (errno || end == js || *end)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void daemon_log_open(bool foreground)
{
	to_stderr = foreground;
	if (foreground)
		journal = stderr_is_journal();
	else
		openlog("cardstrap", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void daemon_log_close(void)
{
	if (!to_stderr)
		closelog();
}

void daemon_log_set_level(int level)
{
	atomic_store(&log_level, level);
}

bool daemon_log_enabled(int prio)
{
	return prio <= atomic_load(&log_level);
}

void daemon_log(int prio, const char *fmt, ...)
{
	char line[1200];
	va_list ap;
	size_t n = 0;
	int w;

	if (!daemon_log_enabled(prio))
		return;
	if (!to_stderr) {
		va_start(ap, fmt);
		vsyslog(prio, fmt, ap);
		va_end(ap);
		return;
	}
	if (journal)
		w = snprintf(line, sizeof(line), "<%d>", prio);
	else if (prio <= LOG_WARNING)
		w = snprintf(line, sizeof(line),
			     "cardstrap daemon: %s: ", daemon_log_level_name(prio));
	else
		w = snprintf(line, sizeof(line), "cardstrap daemon: ");
	n = w > 0 ? (size_t)w : 0;
	va_start(ap, fmt);
	w = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	if (w > 0)
		n += (size_t)w < sizeof(line) - n - 1 ? (size_t)w : sizeof(line) - n - 2;
	line[n++] = '\n';
	/* one write per line: the watcher thread logs too */
	if (write(STDERR_FILENO, line, n) < 0) {
		/* nowhere left to say it */
	}
}

void daemon_notify_init(void)
{
	const char *s = getenv("NOTIFY_SOCKET");
	size_t len;

	notify_len = 0;
	if (!s || (s[0] != '/' && s[0] != '@'))
		goto out;
	len = strlen(s);
	if (len >= sizeof(notify_addr.sun_path))
		goto out;
	memset(&notify_addr, 0, sizeof(notify_addr));
	notify_addr.sun_family = AF_UNIX;
	memcpy(notify_addr.sun_path, s, len);
	/* '@' names a socket in the abstract namespace (sd_notify(3)) */
	if (s[0] == '@')
		notify_addr.sun_path[0] = '\0';
	notify_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
out:
	unsetenv("NOTIFY_SOCKET");
}

void daemon_notify(const char *state)
{
	int fd;

	if (!notify_len)
		return;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (sendto(fd, state, strlen(state), MSG_NOSIGNAL, (const struct sockaddr *)&notify_addr,
		   notify_len) < 0)
		daemon_log(LOG_DEBUG, "cannot notify systemd (%s): %s", state, strerror(errno));
	close(fd);
}
