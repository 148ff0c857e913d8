/* SPDX-License-Identifier: MIT */
/*
 * The daemon's INI config parser (src/cli/daemon_config.c, compiled in).
 * The input is written to cardstrap.conf in a private directory that also
 * holds 0600 files named pin, psk.key and scp03.keys, so relative paths
 * can pass the secret-file checks. Properties: errors are "FILE[:LINE]:
 * message" in line order; what loads prints (daemon_config_print) as a file
 * that loads again to the same settings, printed the same way.
 *
 * getaddrinfo is replaced by a numeric-only one (plus "localhost"): the
 * fuzzer must not send thousands of DNS queries a second.
 */
#include <dlfcn.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/cli/daemon_config.h"
#include "common.h"

static char dir[64], conf[96], printed[96];

static void remove_dir(void)
{
	static const char *const names[] = {"cardstrap.conf", "printed.conf", "pin", "psk.key",
					    "scp03.keys"};
	char path[128];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
	rmdir(dir);
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "w");

	if (!f || (len && fwrite(data, 1, len, f) != len) || fclose(f))
		fuzz_fail("cannot write %s", path);
}

static void secret_file(const char *name, const char *text)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	write_file(path, text, strlen(text));
	chmod(path, 0600);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");

	(void)argc;
	(void)argv;
	snprintf(dir, sizeof(dir), "%s/cardstrap-fuzz-config-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (strlen(dir) > 40 || !mkdtemp(dir))
		fuzz_fail("cannot make a directory in %s", tmp && *tmp ? tmp : "/tmp");
	atexit(remove_dir);
	snprintf(conf, sizeof(conf), "%s/cardstrap.conf", dir);
	snprintf(printed, sizeof(printed), "%s/printed.conf", dir);
	/* test values only */
	secret_file("pin", "1234\n");
	secret_file("psk.key", "000102030405060708090A0B0C0D0E0F\n");
	secret_file("scp03.keys", "enc=404142434445464748494A4B4C4D4E4F\n"
				  "mac=404142434445464748494A4B4C4D4E4F\n");
	return 0;
}

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
		struct addrinfo **res)
{
	typedef int (*gai_fn)(const char *, const char *, const struct addrinfo *,
			      struct addrinfo **);
	static gai_fn real;
	struct addrinfo h = {0};

	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "getaddrinfo");
	if (!real)
		abort();
	if (hints)
		h = *hints;
	if (node && !strcmp(node, "localhost"))
		node = "127.0.0.1";
	h.ai_flags |= AI_NUMERICHOST;
	return real(node, service, &h, res);
}

/* The printout without its first line, which names the file. */
static char *print_body(const struct daemon_config *c, size_t *len)
{
	char *text = NULL, *nl;
	size_t n = 0;
	FILE *f = open_memstream(&text, &n);

	FUZZ_CHECK(f != NULL);
	daemon_config_print(f, c);
	FUZZ_CHECK(fclose(f) == 0);
	nl = strchr(text, '\n');
	FUZZ_CHECK(nl != NULL);
	*len = n - (size_t)(nl + 1 - text);
	memmove(text, nl + 1, *len + 1);
	return text;
}

static void check_errors(const struct daemon_config_errors *e)
{
	size_t plen = strlen(conf);

	FUZZ_CHECK(e->n > 0);
	for (size_t i = 0; i < e->n; i++) {
		FUZZ_CHECK(!strncmp(e->msg[i], conf, plen) && e->msg[i][plen] == ':');
		FUZZ_CHECK(i == 0 || e->line[i - 1] <= e->line[i]);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct daemon_config c, again;
	struct daemon_config_errors e, e2;
	char *text, *text2;
	size_t len, len2;
	int err;

	write_file(conf, data, size);
	err = daemon_config_load(conf, &c, &e);
	if (err) {
		FUZZ_CHECK(err == CS_ERR_INVALID);
		check_errors(&e);
		daemon_config_errors_free(&e);
		daemon_config_free(&c);
		return 0;
	}
	FUZZ_CHECK(e.n == 0 && c.state_dir != NULL);
	text = print_body(&c, &len);
	write_file(printed, text, len);
	err = daemon_config_load(printed, &again, &e2);
	if (err)
		fuzz_fail("the printed settings do not load: %s",
			  e2.n ? e2.msg[0] : "(no message)");
	text2 = print_body(&again, &len2);
	if (len != len2 || memcmp(text, text2, len))
		fuzz_fail("the printed settings load to other settings:\n%s\n---\n%s", text, text2);
	/* not server_changed: it tells an absent listen from the default written out */
	FUZZ_CHECK(!daemon_config_card_changed(&c, &again));
	free(text);
	free(text2);
	daemon_config_errors_free(&e2);
	daemon_config_free(&again);
	daemon_config_errors_free(&e);
	daemon_config_free(&c);
	return 0;
}
