/* SPDX-License-Identifier: MIT */
#ifndef CARDSTRAP_CLI_DAEMON_LOG_H
#define CARDSTRAP_CLI_DAEMON_LOG_H

#include <stdbool.h>
#include <syslog.h>

#include "cardstrap/compiler.h"

/*
 * The daemon's log: one line per event, to syslog (LOG_DAEMON, ident
 * "cardstrap") or, in the foreground, to stderr ("cardstrap daemon: ...";
 * with "<N>" priority prefixes when stderr is the systemd journal). Safe to
 * call from any thread: a line is written with one write(2). Never pass a
 * secret.
 */

/* Priorities are syslog's: LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG. */
void daemon_log_open(bool foreground);
void daemon_log_close(void);
/* Lines below this priority (LOG_ERR..LOG_DEBUG) are dropped. */
void daemon_log_set_level(int level);
bool daemon_log_enabled(int prio);
void daemon_log(int prio, const char *fmt, ...) CS_PRINTF(2, 3);

/* "error", "warning", "info", "debug" ↔ LOG_*; -1 for another name. */
int daemon_log_level_parse(const char *name);
const char *daemon_log_level_name(int level);

/*
 * systemd readiness (sd_notify(3) protocol without libsystemd): takes
 * NOTIFY_SOCKET out of the environment, so that commands the daemon runs
 * do not inherit it. Call once, before any thread starts.
 */
void daemon_notify_init(void);
/* Sends "READY=1", "STOPPING=1", "RELOADING=1", "STATUS=..." lines; no-op without a socket. */
void daemon_notify(const char *state);

#endif
