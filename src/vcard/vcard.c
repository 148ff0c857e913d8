/* SPDX-License-Identifier: MIT */
/*
 * cardstrap-vcard: a virtual UICC for pcscd's vpcd driver (vsmartcard).
 * It serves a card image (applet-spec/card-image.md) through cardsim and
 * can misbehave on purpose: vanish, answer slowly, corrupt bytes, send a
 * wrong SCP03 R-MAC.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cardstrap/cardimg.h"
#include "cardstrap/encoding.h"
#include "cardstrap/jsonalloc.h"
#include "vpcd.h"

#define PROG           "cardstrap-vcard"
#define BACKOFF_MIN_MS 20
#define BACKOFF_MAX_MS 500

struct opts {
	const char *image;
	const char *host;
	const char *pidfile;
	unsigned port;
	bool t0;
	unsigned long drop_after;   /* 0 = never */
	unsigned long corrupt_apdu; /* 0 = never */
	unsigned long tamper_rmac;  /* 0 = never */
	long corrupt_offset;        /* -1 = none */
	unsigned delay_ms;
	int verbose;
	bool quiet;
};

struct card {
	struct cs_cardimg *img;
	struct cs_cardsim *sim;
};

static volatile sig_atomic_t sig_term, sig_remove, sig_insert, sig_reload;
static int wake_pipe[2] = {-1, -1};
static struct opts opt;

static void say(const char *fmt, ...) CS_PRINTF(1, 2);

static void say(const char *fmt, ...)
{
	va_list ap;

	if (opt.quiet)
		return;
	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void on_signal(int sig)
{
	int saved = errno;
	ssize_t w;

	switch (sig) {
	case SIGUSR1: sig_remove = 1; break;
	case SIGUSR2: sig_insert = 1; break;
	case SIGHUP: sig_reload = 1; break;
	default: sig_term = 1; break;
	}
	w = write(wake_pipe[1], "", 1);
	(void)w;
	errno = saved;
}

static int setup_signals(void)
{
	static const int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2};
	struct sigaction sa = {.sa_handler = on_signal};
	size_t i;

	if (pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
		return -1;
	/* no SA_RESTART: a blocked recv must return so that SIGTERM ends the program */
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], &sa, NULL) != 0)
			return -1;
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

static void drain_wake(void)
{
	char b[64];

	while (read(wake_pipe[0], b, sizeof(b)) > 0)
		;
}

/* Sleeps up to ms (-1 = until a signal); returns early when a signal arrives. */
static void wait_wake(int ms)
{
	struct pollfd p = {.fd = wake_pipe[0], .events = POLLIN};

	if (poll(&p, 1, ms) > 0)
		drain_wake();
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --delay: false when SIGTERM/SIGINT arrived meanwhile. */
static bool delay(unsigned ms)
{
	long long end = now_ms() + ms, left;

	while (!sig_term && (left = end - now_ms()) > 0)
		wait_wake(left > INT_MAX ? INT_MAX : (int)left);
	return !sig_term;
}

static void card_free(struct card *c)
{
	cs_cardsim_free(c->sim);
	cs_cardimg_free(c->img);
	c->sim = NULL;
	c->img = NULL;
}

static int card_load(struct card *c)
{
	struct cs_errinfo ei;
	struct cs_cardimg_ef *ef;
	int err;

	memset(c, 0, sizeof(*c));
	err = cs_cardimg_load(opt.image, &c->img, &ei);
	if (err) {
		fprintf(stderr, PROG ": %s\n", ei.msg);
		return err;
	}
	if (opt.t0)
		c->img->t0 = true;
	/* a vpcd message is at most 0xFFFF bytes: data + SW must fit (vpcd protocol) */
	if (c->img->max_le > VPCD_MAX_MSG - 2)
		c->img->max_le = VPCD_MAX_MSG - 2;
	if (opt.corrupt_offset >= 0) {
		ef = cs_cardimg_bootstrap_ef(c->img);
		if (!ef) {
			fprintf(stderr, PROG ": --corrupt: %s has no EF LwM2M_Bootstrap\n",
				opt.image);
			card_free(c);
			return CS_ERR_NOT_FOUND;
		}
		if ((unsigned long)opt.corrupt_offset >= ef->len) {
			fprintf(stderr,
				PROG ": --corrupt: offset %ld is past the %zu-byte EF %04X\n",
				opt.corrupt_offset, ef->len, ef->fid);
			card_free(c);
			return CS_ERR_RANGE;
		}
		ef->data[opt.corrupt_offset] ^= 0xFF;
	}
	err = cs_cardsim_new(c->img, &c->sim, &ei);
	if (err) {
		fprintf(stderr, PROG ": %s\n", ei.msg);
		card_free(c);
		return err;
	}
	if (opt.tamper_rmac && !c->img->scp03)
		say("--tamper-rmac: %s has no SCP03 keys; no response carries an R-MAC", opt.image);
	cs_cardsim_tamper_rmac(c->sim, opt.tamper_rmac);
	return 0;
}

static void log_apdu(char dir, const uint8_t *p, size_t n)
{
	char hex[3 * 300];

	if (opt.verbose < 1 || opt.quiet)
		return;
	/* VERIFY data is a PIN: show the header only */
	if (dir == '>' && n > 5 && p[1] == 0x20) {
		cs_hex_encode(p, 5, ' ', hex, sizeof(hex));
		fprintf(stderr, PROG ": > %s <%zu bytes hidden>\n", hex, n - 5);
		return;
	}
	cs_hex_encode(p, n < 256 ? n : 256, ' ', hex, sizeof(hex));
	fprintf(stderr, PROG ": %c %s%s\n", dir, hex, n > 256 ? " ..." : "");
}

static const char *ctrl_name(uint8_t c)
{
	switch (c) {
	case VPCD_CTRL_OFF: return "power off";
	case VPCD_CTRL_ON: return "power on";
	case VPCD_CTRL_RESET: return "reset";
	case VPCD_CTRL_ATR: return "get ATR";
	}
	return "unknown control command";
}

enum step { STEP_OK, STEP_CLOSE, STEP_EXIT };

static enum step handle_apdu(int fd, struct card *c, const uint8_t *msg, size_t len,
			     unsigned long *napdu)
{
	static uint8_t rsp[CS_RAPDU_MAX];
	size_t rlen = sizeof(rsp);
	enum step st = STEP_OK;
	unsigned long rmacs = cs_cardsim_rmac_count(c->sim);

	(*napdu)++;
	log_apdu('>', msg, len);
	if (opt.drop_after && *napdu == opt.drop_after) {
		say("APDU %lu: dropping the connection (--drop-after)", *napdu);
		return STEP_EXIT;
	}
	if (cs_cardsim_process(c->sim, msg, len, rsp, &rlen) != 0) {
		rsp[0] = 0x6F; /* technical problem: the answer does not fit */
		rsp[1] = 0x00;
		rlen = 2;
	}
	if (opt.tamper_rmac && rmacs < opt.tamper_rmac &&
	    cs_cardsim_rmac_count(c->sim) >= opt.tamper_rmac)
		say("APDU %lu: R-MAC of wrapped response %lu flipped (--tamper-rmac)", *napdu,
		    opt.tamper_rmac);
	if (opt.corrupt_apdu && *napdu == opt.corrupt_apdu) {
		/* flip the first data byte, or SW1 when there is no data */
		rsp[0] ^= 0xFF;
		say("APDU %lu: response corrupted (--corrupt-apdu)", *napdu);
	}
	if (opt.delay_ms && !delay(opt.delay_ms))
		st = STEP_EXIT;
	else if (vpcd_send(fd, rsp, rlen) != 0)
		st = STEP_CLOSE;
	else
		log_apdu('<', rsp, rlen);
	cs_zeroize(rsp, rlen);
	return st;
}

static enum step handle(int fd, struct card *c, const uint8_t *msg, size_t len,
			unsigned long *napdu)
{
	if (len >= 2)
		return handle_apdu(fd, c, msg, len, napdu);
	if (len == 0) {
		say("empty message from vpcd ignored");
		return STEP_OK;
	}
	if (opt.verbose)
		say("%s", ctrl_name(msg[0]));
	switch (msg[0]) {
	case VPCD_CTRL_OFF:
	case VPCD_CTRL_ON:
	case VPCD_CTRL_RESET:
		/* vpcd protocol: no reply; the volatile state is gone */
		cs_cardsim_reset(c->sim);
		return STEP_OK;
	case VPCD_CTRL_ATR:
		return vpcd_send(fd, c->img->atr, c->img->atr_len) == 0 ? STEP_OK : STEP_CLOSE;
	default: say("unknown control command %02X ignored", msg[0]); return STEP_OK;
	}
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void reload(struct card *c, int *fd)
{
	struct card n;

	if (card_load(&n) != 0) {
		say("SIGHUP: %s not reloaded, keeping the current card", opt.image);
		return;
	}
	card_free(c);
	*c = n;
	/* a card change: vpcd sees the old card go and the new one come */
	close_fd(fd);
	say("SIGHUP: card image %s reloaded", opt.image);
}

static int run(struct card *c)
{
	static uint8_t msg[VPCD_MAX_MSG];
	unsigned long napdu = 0;
	bool present = true, waiting = false;
	int fd = -1, backoff = 0;
	size_t len;

	for (;;) {
		struct pollfd p[2];

		drain_wake();
		if (sig_term)
			break;
		if (sig_reload) {
			sig_reload = 0;
			reload(c, &fd);
		}
		if (sig_remove) {
			sig_remove = 0;
			if (present)
				say("SIGUSR1: card removed");
			present = false;
			close_fd(&fd);
		}
		if (sig_insert) {
			sig_insert = 0;
			if (!present)
				say("SIGUSR2: card inserted");
			present = true;
		}
		if (!present) {
			wait_wake(-1);
			continue;
		}
		if (fd < 0) {
			fd = vpcd_connect(opt.host, opt.port);
			if (fd < 0) {
				if (!waiting)
					say("waiting for vpcd at %s:%u (%s)", opt.host, opt.port,
					    strerror(errno));
				waiting = true;
				/* pcscd may still be loading the vpcd driver; back off */
				backoff = backoff ? backoff * 2 : BACKOFF_MIN_MS;
				if (backoff > BACKOFF_MAX_MS)
					backoff = BACKOFF_MAX_MS;
				wait_wake(backoff);
				continue;
			}
			say("connected to vpcd at %s:%u", opt.host, opt.port);
			waiting = false;
			backoff = 0;
			cs_cardsim_reset(c->sim);
		}
		p[0] = (struct pollfd){.fd = fd, .events = POLLIN};
		p[1] = (struct pollfd){.fd = wake_pipe[0], .events = POLLIN};
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			perror(PROG ": poll");
			close_fd(&fd);
			return 1;
		}
		if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		switch (vpcd_recv(fd, msg, &len, &sig_term)) {
		case 0: break;
		case 1:
			say("vpcd closed the connection; reconnecting");
			close_fd(&fd);
			continue;
		default:
			if (!sig_term)
				say("connection to vpcd lost (%s); reconnecting", strerror(errno));
			close_fd(&fd);
			continue;
		}
		switch (handle(fd, c, msg, len, &napdu)) {
		case STEP_OK: break;
		case STEP_CLOSE:
			say("sending to vpcd failed (%s); reconnecting", strerror(errno));
			close_fd(&fd);
			break;
		case STEP_EXIT:
			close_fd(&fd);
			cs_zeroize(msg, len);
			return 0;
		}
		cs_zeroize(msg, len);
	}
	close_fd(&fd);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " --image FILE [options]\n"
		"A virtual UICC for pcscd's vpcd driver, serving a cardstrap card image.\n"
		"\n"
		"  --image FILE       card image (JSON, applet-spec/card-image.md); required\n"
		"  --host H           vpcd host (default 127.0.0.1)\n"
		"  --port P           vpcd slot port (default 35963 = slot 0; slot 1 is 35964)\n"
		"  --t0               T=0 behaviour: 61xx + GET RESPONSE, 6Cxx\n"
		"  --drop-after N     at the Nth APDU close the connection unanswered and exit 0\n"
		"  --delay MS         answer every APDU after MS milliseconds\n"
		"  --corrupt OFFSET   flip all bits of byte OFFSET of EF LwM2M_Bootstrap\n"
		"  --corrupt-apdu N   flip the first data byte (or SW1) of the Nth response\n"
		"  --tamper-rmac N    flip a bit of the R-MAC of the Nth response that carries\n"
		"                     one (SCP03; counted from 1 since the image was loaded)\n"
		"  --pidfile F        write the process id to F\n"
		"  -v, --verbose      log every APDU to stderr (PINs hidden)\n"
		"  -q, --quiet        no messages except errors\n"
		"  -h, --help         this text\n"
		"\n"
		"Signals: SIGUSR1 removes the card, SIGUSR2 inserts it again, SIGHUP reloads\n"
		"the image (a card change), SIGTERM/SIGINT exit.\n");
}

static bool number(const char *s, unsigned long max, unsigned long *v)
{
	char *end;

	errno = 0;
	if (!s || !*s || *s == '-' || *s == '+')
		return false;
	*v = strtoul(s, &end, 0);
	return errno == 0 && *end == '\0' && *v <= max;
}

static int parse_opts(int argc, char **argv)
{
	enum {
		O_IMAGE = 256,
		O_HOST,
		O_PORT,
		O_T0,
		O_DROP,
		O_DELAY,
		O_CORRUPT,
		O_CORRUPT_APDU,
		O_TAMPER_RMAC,
		O_PIDFILE
	};
	static const struct option longopts[] = {
		{"image", required_argument, NULL, O_IMAGE},
		{"host", required_argument, NULL, O_HOST},
		{"port", required_argument, NULL, O_PORT},
		{"t0", no_argument, NULL, O_T0},
		{"drop-after", required_argument, NULL, O_DROP},
		{"delay", required_argument, NULL, O_DELAY},
		{"corrupt", required_argument, NULL, O_CORRUPT},
		{"corrupt-apdu", required_argument, NULL, O_CORRUPT_APDU},
		{"tamper-rmac", required_argument, NULL, O_TAMPER_RMAC},
		{"pidfile", required_argument, NULL, O_PIDFILE},
		{"verbose", no_argument, NULL, 'v'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	unsigned long v;
	int c;

	opt.host = "127.0.0.1";
	opt.port = 35963;
	opt.corrupt_offset = -1;
	while ((c = getopt_long(argc, argv, "vqh", longopts, NULL)) != -1) {
		const char *bad = NULL;

		switch (c) {
		case O_IMAGE: opt.image = optarg; break;
		case O_HOST: opt.host = optarg; break;
		case O_PORT:
			if (!number(optarg, 65535, &v) || v == 0)
				bad = "--port needs 1..65535";
			else
				opt.port = (unsigned)v;
			break;
		case O_T0: opt.t0 = true; break;
		case O_DROP:
			if (!number(optarg, ULONG_MAX, &opt.drop_after) || opt.drop_after == 0)
				bad = "--drop-after needs a number ≥ 1";
			break;
		case O_DELAY:
			if (!number(optarg, 600000, &v))
				bad = "--delay needs 0..600000 milliseconds";
			else
				opt.delay_ms = (unsigned)v;
			break;
		case O_CORRUPT:
			if (!number(optarg, CS_CARDIMG_MAX_EF_SIZE, &v))
				bad = "--corrupt needs a byte offset 0..65534";
			else
				opt.corrupt_offset = (long)v;
			break;
		case O_CORRUPT_APDU:
			if (!number(optarg, ULONG_MAX, &opt.corrupt_apdu) || opt.corrupt_apdu == 0)
				bad = "--corrupt-apdu needs a number ≥ 1";
			break;
		case O_TAMPER_RMAC:
			if (!number(optarg, ULONG_MAX, &opt.tamper_rmac) || opt.tamper_rmac == 0)
				bad = "--tamper-rmac needs a number ≥ 1";
			break;
		case O_PIDFILE: opt.pidfile = optarg; break;
		case 'v': opt.verbose++; break;
		case 'q': opt.quiet = true; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return 2;
		}
		if (bad) {
			fprintf(stderr, PROG ": %s (got \"%s\")\n", bad, optarg);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, PROG ": unexpected argument \"%s\"\n", argv[optind]);
		return 2;
	}
	if (!opt.image) {
		fprintf(stderr, PROG ": --image FILE is required\n");
		usage(stderr);
		return 2;
	}
	return 0;
}

static int write_pidfile(const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f || fprintf(f, "%ld\n", (long)getpid()) < 0 || fclose(f) != 0) {
		fprintf(stderr, PROG ": %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct card card;
	int rc;

	cs_json_secure_init(); /* JSON that held secrets is wiped when freed */
	rc = parse_opts(argc, argv);
	if (rc)
		return rc;
	if (card_load(&card) != 0)
		return 1;
	if (setup_signals() != 0) {
		perror(PROG ": signals");
		card_free(&card);
		return 1;
	}
	if (opt.pidfile && write_pidfile(opt.pidfile) != 0) {
		card_free(&card);
		return 1;
	}
	say("serving %s (%s, %u channels) on vpcd %s:%u", opt.image,
	    card.img->t0 ? "T=0 behaviour" : "T=1", card.img->channels, opt.host, opt.port);
	rc = run(&card);
	card_free(&card);
	if (opt.pidfile)
		unlink(opt.pidfile);
	say("exiting");
	return rc;
}
