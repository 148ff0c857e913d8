/* SPDX-License-Identifier: MIT */
#ifndef CARDSTRAP_VCARD_VPCD_H
#define CARDSTRAP_VCARD_VPCD_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The vsmartcard vpcd socket protocol: every message in both
 * directions is a 2-byte big-endian length and that many bytes. The virtual
 * card is the TCP client.
 */

#define VPCD_MAX_MSG    0xFFFF
#define VPCD_CTRL_OFF   0x00
#define VPCD_CTRL_ON    0x01
#define VPCD_CTRL_RESET 0x02
#define VPCD_CTRL_ATR   0x04

/*
 * One connection attempt to host:port with TCP_NODELAY. Returns the socket
 * or -1 with errno set (ECONNREFUSED while pcscd has not loaded vpcd yet).
 */
int vpcd_connect(const char *host, unsigned port);

/*
 * Reads exactly one message into buf (VPCD_MAX_MSG bytes of room): 0 and
 * *len, 1 when vpcd closed the connection, -1 on an error (errno) or when
 * *stop became non-zero while waiting.
 */
int vpcd_recv(int fd, uint8_t *buf, size_t *len, volatile sig_atomic_t *stop);

/* Sends one message (len ≤ VPCD_MAX_MSG). 0 or -1 (errno). */
int vpcd_send(int fd, const uint8_t *p, size_t len);

#endif
