/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vpcd.h"

int vpcd_connect(const char *host, unsigned port)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res, *ai;
	char service[8];
	int fd = -1, one = 1, err = ECONNREFUSED, gai;

	snprintf(service, sizeof(service), "%u", port & 0xFFFF);
	gai = getaddrinfo(host, service, &hints, &res);
	if (gai != 0) {
		errno = gai == EAI_SYSTEM ? errno : EHOSTUNREACH;
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			err = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		err = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		errno = err;
		return -1;
	}
	/* vpcd protocol: one small request/response at a time; do not let Nagle delay them */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

/*
 * vpcd sends the length and the body with two send() calls and without
 * TCP_NODELAY, so Nagle holds the body until the length is ACKed: ACK at
 * once instead of after the delayed-ACK timeout (~40 ms per APDU).
 * Linux clears the flag after each ACK, hence before every read.
 */
static void quickack(int fd)
{
#ifdef TCP_QUICKACK
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
#else
	(void)fd;
#endif
}

/* 0 = got n bytes, 1 = EOF before the first byte, -1 = error or EOF inside. */
static int recv_exact(int fd, uint8_t *p, size_t n, const volatile sig_atomic_t *stop)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r;

		quickack(fd);
		r = recv(fd, p + got, n - got, 0);

		if (r > 0) {
			got += (size_t)r;
			continue;
		}
		if (r == 0) {
			if (got == 0)
				return 1;
			errno = ECONNRESET;
			return -1;
		}
		if (errno == EINTR && !(stop && *stop))
			continue;
		return -1;
	}
	return 0;
}

int vpcd_recv(int fd, uint8_t *buf, size_t *len, volatile sig_atomic_t *stop)
{
	uint8_t hdr[2];
	size_t n;
	int r;

	r = recv_exact(fd, hdr, 2, stop);
	if (r)
		return r;
	n = (size_t)hdr[0] << 8 | hdr[1];
	r = recv_exact(fd, buf, n, stop);
	if (r == 1) {
		errno = ECONNRESET;
		r = -1;
	}
	if (r)
		return r;
	*len = n;
	return 0;
}

int vpcd_send(int fd, const uint8_t *p, size_t len)
{
	uint8_t hdr[2] = {(uint8_t)(len >> 8), (uint8_t)len};
	struct iovec iov[2] = {{hdr, 2}, {(void *)p, len}};
	struct msghdr msg = {.msg_iov = iov, .msg_iovlen = 2};
	size_t left = len + 2;

	if (len > VPCD_MAX_MSG) {
		errno = EMSGSIZE;
		return -1;
	}
	while (left > 0) {
		ssize_t w = sendmsg(fd, &msg, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		left -= (size_t)w;
		/* advance over what was sent */
		while (w > 0 && msg.msg_iovlen > 0) {
			size_t k =
				(size_t)w < msg.msg_iov->iov_len ? (size_t)w : msg.msg_iov->iov_len;

			msg.msg_iov->iov_base = (uint8_t *)msg.msg_iov->iov_base + k;
			msg.msg_iov->iov_len -= k;
			w -= (ssize_t)k;
			if (msg.msg_iov->iov_len == 0) {
				msg.msg_iov++;
				msg.msg_iovlen--;
			}
		}
	}
	return 0;
}
