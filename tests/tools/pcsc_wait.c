/* SPDX-License-Identifier: MIT */
/*
 * pcsc_wait: waits until a PC/SC reader is listed, or has a card present
 * or absent, using SCardGetStatusChange (no polling, no sleeps).
 *   pcsc_wait [-t SECONDS] READER listed|present|absent
 * READER is a substring of the reader name ("Virtual PCD 00 01"). Prints
 * the full reader name and exits 0 when the state is reached; exits 1 with
 * a message on timeout or a PC/SC error; 2 on a usage error.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <winscard.h>

enum want { WANT_LISTED, WANT_PRESENT, WANT_ABSENT };

static const char *pnp_name = "\\\\?PnP?\\Notification";

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static DWORD left_ms(long long deadline)
{
	long long l = deadline - now_ms();

	return l > 0 ? (DWORD)l : 0;
}

/* Finds the first reader whose name contains sub; copies it to name. Returns the reader count. */
static int find_reader(SCARDCONTEXT ctx, const char *sub, char *name, size_t size, LONG *rv)
{
	char *list = NULL, *p;
	DWORD len = SCARD_AUTOALLOCATE;
	int count = 0;

	name[0] = '\0';
	*rv = SCardListReaders(ctx, NULL, (LPSTR)&list, &len);
	if (*rv == SCARD_E_NO_READERS_AVAILABLE) {
		*rv = SCARD_S_SUCCESS;
		return 0;
	}
	if (*rv != SCARD_S_SUCCESS)
		return -1;
	for (p = list; *p; p += strlen(p) + 1) {
		count++;
		if (!name[0] && strstr(p, sub) && strlen(p) < size)
			memcpy(name, p, strlen(p) + 1);
	}
	SCardFreeMemory(ctx, list);
	return count;
}

static bool reached(enum want w, DWORD ev)
{
	if (w == WANT_PRESENT)
		return (ev & SCARD_STATE_PRESENT) && !(ev & SCARD_STATE_MUTE);
	if (w == WANT_ABSENT)
		return (ev & SCARD_STATE_EMPTY) != 0;
	return true;
}

static int usage(void)
{
	fprintf(stderr, "usage: pcsc_wait [-t SECONDS] READER listed|present|absent\n");
	return 2;
}

int main(int argc, char **argv)
{
	static const char *const what[] = {"listed", "present", "absent"};
	double timeout = 10;
	SCARDCONTEXT ctx;
	SCARD_READERSTATE rs;
	char name[256];
	long long deadline;
	const char *sub;
	enum want w;
	DWORD ev = 0;
	LONG rv;
	int c, count;

	while ((c = getopt(argc, argv, "t:")) != -1) {
		if (c != 't')
			return usage();
		timeout = strtod(optarg, NULL);
		if (timeout <= 0)
			return usage();
	}
	if (argc - optind != 2)
		return usage();
	sub = argv[optind];
	for (w = WANT_LISTED; w <= WANT_ABSENT; w++)
		if (strcmp(argv[optind + 1], what[w]) == 0)
			break;
	if (w > WANT_ABSENT)
		return usage();
	deadline = now_ms() + (long long)(timeout * 1000);

	rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx);
	if (rv != SCARD_S_SUCCESS) {
		fprintf(stderr, "pcsc_wait: SCardEstablishContext: %s\n", pcsc_stringify_error(rv));
		return 1;
	}
	for (;;) {
		count = find_reader(ctx, sub, name, sizeof(name), &rv);
		if (count < 0) {
			fprintf(stderr, "pcsc_wait: SCardListReaders: %s\n",
				pcsc_stringify_error(rv));
			break;
		}
		memset(&rs, 0, sizeof(rs));
		if (!name[0]) {
			/* wait for the reader count to change (pcsc-lite: count in the high 16
			 * bits) */
			rs.szReader = pnp_name;
			rs.dwCurrentState = (DWORD)count << 16;
		} else {
			rs.szReader = name;
			rs.dwCurrentState = SCARD_STATE_UNAWARE;
			rv = SCardGetStatusChange(ctx, 0, &rs, 1);
			if (rv != SCARD_S_SUCCESS && rv != SCARD_E_TIMEOUT) {
				fprintf(stderr, "pcsc_wait: SCardGetStatusChange: %s\n",
					pcsc_stringify_error(rv));
				break;
			}
			ev = rs.dwEventState;
			if (!(ev & SCARD_STATE_UNKNOWN) && reached(w, ev)) {
				printf("%s\n", name);
				SCardReleaseContext(ctx);
				return 0;
			}
			rs.dwCurrentState = ev & ~(DWORD)SCARD_STATE_CHANGED;
		}
		if (left_ms(deadline) == 0) {
			rv = SCARD_E_TIMEOUT;
		} else {
			rv = SCardGetStatusChange(ctx, left_ms(deadline), &rs, 1);
		}
		if (rv == SCARD_E_TIMEOUT) {
			if (!name[0])
				fprintf(stderr,
					"pcsc_wait: timeout after %gs: no reader matching \"%s\" "
					"(%d readers)\n",
					timeout, sub, count);
			else
				fprintf(stderr,
					"pcsc_wait: timeout after %gs: reader \"%s\" not %s (state "
					"0x%lx)\n",
					timeout, name, what[w], (unsigned long)ev);
			break;
		}
		if (rv != SCARD_S_SUCCESS) {
			fprintf(stderr, "pcsc_wait: SCardGetStatusChange: %s\n",
				pcsc_stringify_error(rv));
			break;
		}
	}
	SCardReleaseContext(ctx);
	return 1;
}
