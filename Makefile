# cardstrap — one flat Makefile. `make help` lists the targets.

VERSION     := 0.1.0
PREFIX      ?= /usr/local
BINDIR      ?= $(PREFIX)/bin
LIBDIR      ?= $(PREFIX)/lib
INCLUDEDIR  ?= $(PREFIX)/include
SYSCONFDIR  ?= /etc
UDEVRULESDIR ?= /lib/udev/rules.d
SYSTEMDUNITDIR ?= /lib/systemd/system
DESTDIR     ?=
# SANITIZE=1 builds into a directory of its own, so that build/ stays as it is
ifeq ($(SANITIZE),1)
B           ?= build/asan
endif
B           ?= build

CC          ?= cc
PKG_CONFIG  ?= pkg-config
PKGS        := libpcsclite libcoap-3-openssl jansson inih
DEB_PKGS    := pcscd libpcsclite-dev vsmartcard-vpcd libcoap3-dev libcoap3-bin libmbedtls-dev \
               libcmocka-dev libjansson-dev libinih-dev pkg-config opensc pcsc-tools clang \
               libclang-rt-14-dev cppcheck clang-tidy valgrind udev

PKG_CFLAGS  := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS    := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
MBEDTLS     := -lmbedtls -lmbedx509 -lmbedcrypto

CFLAGS      ?= -O2 -g
CFLAGS      += -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
               -Wformat=2 -Wvla
CPPFLAGS    += -D_GNU_SOURCE -DCS_VERSION='"$(VERSION)"' -Iinclude $(PKG_CFLAGS) -MMD -MP
LDLIBS      += $(PKG_LIBS) $(MBEDTLS) -lm

ifeq ($(SANITIZE),1)
# clang unless CC is given: its UBSan honours log_path, so tests/run finds the reports of
# background processes too; gcc 12's UBSan writes to stderr only
ifeq ($(origin CC),default)
CC          := clang
endif
CFLAGS      += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS     += -fsanitize=address,undefined
endif

LIB_SRC     := $(sort $(wildcard src/lib/*.c))
CLI_SRC     := $(sort $(wildcard src/cli/*.c))
VCARD_SRC   := $(sort $(wildcard src/vcard/*.c))
UNIT_SRC    := $(sort $(wildcard tests/unit/test_*.c))
# linked into every unit test, not tests themselves
UNIT_HELPERS := tests/unit/vectors.c
PEER_SRC    := $(sort $(wildcard tests/lwm2m/peer_*.c))
PEER_PROGS  := $(patsubst tests/lwm2m/%.c,$(B)/tests/%,$(filter-out tests/lwm2m/peer_%,$(wildcard tests/lwm2m/*.c)))
TOOL_PROGS  := $(patsubst tests/tools/%.c,$(B)/tests/%,$(wildcard tests/tools/*.c))

LIB_OBJ     := $(LIB_SRC:%.c=$(B)/%.o)
CLI_OBJ     := $(CLI_SRC:%.c=$(B)/%.o)
VCARD_OBJ   := $(VCARD_SRC:%.c=$(B)/%.o)
PEER_OBJ    := $(PEER_SRC:%.c=$(B)/%.o)
UNIT_BIN    := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRC))
UNIT_HELPER_OBJ := $(UNIT_HELPERS:%.c=$(B)/%.o)

LIBA        := $(B)/libcardstrap.a
CLI         := $(B)/cardstrap
VCARD       := $(B)/cardstrap-vcard

.PHONY: all check unit-tests tests install uninstall clean deps help demo fuzz fuzz-build
all: $(CLI) $(if $(VCARD_SRC),$(VCARD))

$(B)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(LIBA): $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(CLI): $(CLI_OBJ) $(LIBA)
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(LIBA) $(LDLIBS)

$(VCARD): $(VCARD_OBJ) $(LIBA)
	$(CC) $(LDFLAGS) -o $@ $(VCARD_OBJ) $(LIBA) $(LDLIBS)

$(UNIT_BIN): $(B)/tests/%: $(B)/tests/unit/%.o $(UNIT_HELPER_OBJ) $(LIBA)
	$(CC) $(LDFLAGS) -o $@ $< $(UNIT_HELPER_OBJ) $(LIBA) $(LDLIBS) -lcmocka

# test_secrets inspects every block the library frees for secrets before it is really freed
$(B)/tests/test_secrets: LDFLAGS += -Wl,--wrap=free

$(PEER_PROGS): $(B)/tests/%: $(B)/tests/lwm2m/%.o $(PEER_OBJ) $(LIBA)
	$(CC) $(LDFLAGS) -o $@ $< $(PEER_OBJ) $(LIBA) $(LDLIBS)

$(TOOL_PROGS): $(B)/tests/%: $(B)/tests/tools/%.o $(LIBA)
	$(CC) $(LDFLAGS) -o $@ $< $(LIBA) $(LDLIBS)

tests: all $(UNIT_BIN) $(PEER_PROGS) $(TOOL_PROGS)

# ---- checks ------------------------------------------------------------------------------------
# make test   the suites: unit, cli (JOBS tests at a time), integration (pcscd + virtual card),
#             e2e (alone, one after another: one pcscd per machine); TESTS='unit cli' picks some.
#             SANITIZE=1: on the ASan+UBSan build in build/asan; VALGRIND=1: the unit and cli
#             suites under valgrind. Any report fails its test, also one from a background
#             process (tests/run).
# make lint   cppcheck and clang-tidy (.clang-tidy) over src/, tests/lwm2m and tests/tools.
# make check  what CI runs: the CHECK_STEPS, each timed, all even when one fails;
#             `make check SANITIZE=1` (or VALGRIND=1) is that one step.
JOBS           ?= $(shell nproc 2>/dev/null || echo 1)
# builds in sub-makes use JOBS jobs, unless make runs with -j already (its jobserver decides)
SUBMAKE_J       = $(if $(filter -j%,$(MAKEFLAGS)),,-j$(JOBS))
SAN_ENV        := ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:abort_on_error=1 \
                  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
VALGRIND_CMD   := valgrind --error-exitcode=99 --leak-check=full \
                  --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
                  --track-origins=yes --suppressions=$(CURDIR)/tests/valgrind.supp
VALGRIND_TESTS := unit cli
VALGRIND_RUN   := $(if $(TESTS),$(filter $(VALGRIND_TESTS),$(TESTS)),$(VALGRIND_TESTS))
# Groups run one after another; `a+b` runs b (niced) while a runs: the suites mostly wait, lint
# and valgrind mostly compute (tests/check-steps). The fuzzing section appends its short pass.
CHECK_STEPS    := test+lint+build-asan test-asan+test-valgrind+fuzz-build
LINT_SRC       := $(LIB_SRC) $(CLI_SRC) $(VCARD_SRC) \
                  $(sort $(wildcard tests/lwm2m/*.c tests/tools/*.c))
LINT_CPPFLAGS  := $(filter-out -MMD -MP,$(CPPFLAGS))

.PHONY: test test-asan test-valgrind build-asan lint lint-cppcheck lint-tidy

test:
	@$(MAKE) --no-print-directory $(SUBMAKE_J) tests
ifeq ($(SANITIZE),1)
	@B=$(B) TEST_JOBS=$(JOBS) $(SAN_ENV) tests/run $(TESTS)
else ifeq ($(VALGRIND),1)
	@$(if $(VALGRIND_RUN),B=$(B) TEST_JOBS=$(JOBS) VALGRIND='$(VALGRIND_CMD)' \
		tests/run $(VALGRIND_RUN), \
		echo "nothing to run: valgrind runs only the suites $(VALGRIND_TESTS)")
else
	@B=$(B) TEST_JOBS=$(JOBS) tests/run $(TESTS)
endif

test-asan:
	@$(MAKE) --no-print-directory test SANITIZE=1 B=$(B)/asan

build-asan:
	@$(MAKE) --no-print-directory $(SUBMAKE_J) tests SANITIZE=1 B=$(B)/asan

test-valgrind:
	@$(MAKE) --no-print-directory test VALGRIND=1

ifneq ($(filter 1,$(SANITIZE) $(VALGRIND)),)
check: test
else
check:
	@MAKE='$(MAKE)' CHECK_LOGS=$(B)/check-logs \
		bash tests/check-steps $(CHECK_STEPS)
endif

# both, even when the first finds something
lint:
	@status=0; \
	$(MAKE) --no-print-directory lint-cppcheck || status=1; \
	$(MAKE) --no-print-directory lint-tidy || status=1; \
	exit $$status

# -D__GNUC__: the configuration the compilers see (compiler.h's attributes, noreturn among them);
# tests/lint/jansson.cfg tells cppcheck what jansson's iteration macros expand to.
lint-cppcheck:
	@mkdir -p $(B)/cppcheck
	cppcheck -q -j$(JOBS) --std=c11 --enable=warning,performance,portability --error-exitcode=1 \
		--inline-suppr --library=posix --library=gnu --library=tests/lint/jansson.cfg \
		--cppcheck-build-dir=$(B)/cppcheck \
		--template='{file}:{line}:{column}: {severity}: {message} [{id}]' \
		-D__GNUC__ $(filter -D% -I%,$(LINT_CPPFLAGS)) $(LINT_SRC)

lint-tidy:
	@bash tests/lint/tidy $(JOBS) $(LINT_SRC) -- $(LINT_CPPFLAGS) $(CFLAGS)

# The README's first command: a purged client brought back from a virtual card.
demo: deps
	@$(MAKE) --no-print-directory tests >/dev/null
	@B=$(abspath $(B)) demo/run.sh

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR)/cardstrap
	install -m 0755 $(CLI) $(VCARD) $(DESTDIR)$(BINDIR)/
	install -m 0644 $(LIBA) $(DESTDIR)$(LIBDIR)/
	install -m 0644 include/cardstrap/*.h $(DESTDIR)$(INCLUDEDIR)/cardstrap/
	install -d $(DESTDIR)$(UDEVRULESDIR) $(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(SYSCONFDIR)/cardstrap
	install -m 0644 udev/60-cardstrap.rules $(DESTDIR)$(UDEVRULESDIR)/
	sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' dist/cardstrap.service \
		>$(DESTDIR)$(SYSTEMDUNITDIR)/cardstrap.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/cardstrap.service
	# an existing configuration is the administrator's: never overwritten
	[ -e $(DESTDIR)$(SYSCONFDIR)/cardstrap/cardstrap.conf ] || \
		install -m 0644 dist/cardstrap.conf $(DESTDIR)$(SYSCONFDIR)/cardstrap/cardstrap.conf

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/cardstrap $(DESTDIR)$(BINDIR)/cardstrap-vcard \
	      $(DESTDIR)$(LIBDIR)/libcardstrap.a
	rm -rf $(DESTDIR)$(INCLUDEDIR)/cardstrap

# Idempotent: installs only what is missing.
deps:
	@missing=$$(for p in $(DEB_PKGS); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | \
		grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing; \
	else echo "all dependencies installed"; fi

clean:
	rm -rf $(B)

help:
	@echo "make            build cardstrap and cardstrap-vcard into $(B)/"
	@echo "make test       build and run the test suites (TESTS='unit cli' to pick suites)"
	@echo "make check      what CI runs: $(CHECK_STEPS) (see Makefile)"
	@echo "make lint       cppcheck and clang-tidy over src/, tests/lwm2m and tests/tools"
	@echo "make deps       install the Debian packages cardstrap needs (as root)"
	@echo "make install    install (PREFIX=$(PREFIX) DESTDIR=...)"
	@echo "make demo       bring a purged LwM2M client back from a virtual card (as root)"
	@echo "make clean      remove $(B)/"
	@echo "SANITIZE=1      build with ASan+UBSan into build/asan; check/test run the suites on it"
	@echo "VALGRIND=1      check/test run the unit and CLI tests under valgrind"
	@echo "make fuzz       fuzz every parser FUZZ_SECONDS s each (clang; FUZZ_TARGETS='tlv coap')"

# ---- fuzzing ---------------------------------------------------------------------------------
# libFuzzer (clang), one target per parser: tests/fuzz/fuzz_NAME.c -> $(B)/fuzz/fuzz_NAME, linked
# with the library compiled again for coverage and sanitizers. `make fuzz` builds them, makes the
# seed corpora from applet-spec/vectors and runs each target FUZZ_SECONDS, two at a time.
FUZZ_CC         ?= clang
FUZZ_SECONDS    ?= 30
FUZZ_TARGETS    ?=
FUZZ_B          := $(B)/fuzz
FUZZ_SAN        := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS     := -std=c11 -g -O1 -fno-omit-frame-pointer -Wall -Wextra -Werror -Wshadow \
                   -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wvla
# the daemon's config parser is fuzzed only once it exists
FUZZ_CONFIG_SRC := $(wildcard src/cli/daemon_config.c src/cli/daemon_log.c src/cli/secrets.c)
FUZZ_SRC        := $(filter-out $(if $(wildcard src/cli/daemon_config.c),,tests/fuzz/fuzz_config.c), \
                   $(sort $(wildcard tests/fuzz/fuzz_*.c)))
FUZZ_BIN        := $(patsubst tests/fuzz/%.c,$(FUZZ_B)/%,$(FUZZ_SRC))
FUZZ_LIB_OBJ    := $(LIB_SRC:%.c=$(FUZZ_B)/%.o)
FUZZ_COMMON     := $(FUZZ_B)/tests/fuzz/common.o
FUZZ_OBJ        := $(FUZZ_LIB_OBJ) $(FUZZ_COMMON) $(FUZZ_SRC:%.c=$(FUZZ_B)/%.o) \
                   $(FUZZ_CONFIG_SRC:%.c=$(FUZZ_B)/%.o)
FUZZ_LIBA       := $(FUZZ_B)/libcardstrap.a
# nothing here speaks DTLS, and OpenSSL's setup of every CoAP context would dominate fuzz_coap
FUZZ_LDLIBS     := $(subst -lcoap-3-openssl,-lcoap-3-notls,$(LDLIBS))

$(FUZZ_OBJ): $(FUZZ_B)/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_LIBA): $(FUZZ_LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(FUZZ_BIN): $(FUZZ_B)/%: $(FUZZ_B)/tests/fuzz/%.o $(FUZZ_COMMON) $(FUZZ_LIBA)
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $(filter %.o,$^) $(FUZZ_LIBA) $(FUZZ_LDLIBS)

$(FUZZ_B)/fuzz_config: $(FUZZ_CONFIG_SRC:%.c=$(FUZZ_B)/%.o)

fuzz-build: $(FUZZ_BIN)

# Seeds come from the CLI (decode --json, mkcard); tests/fuzz/run fails on any crash, leak or timeout.
fuzz: fuzz-build $(CLI)
	@B=$(B) CLI=$(CLI) tests/fuzz/seeds.sh
	@B=$(B) FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run $(FUZZ_TARGETS)

# The short pass of `make check`: every target FUZZ_CI_SECONDS s (built during group 2).
FUZZ_CI_SECONDS ?= 10
CHECK_STEPS     += fuzz-ci
.PHONY: fuzz-ci
fuzz-ci:
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=$(FUZZ_CI_SECONDS)
# ---- end of fuzzing ----------------------------------------------------------------------------

-include $(shell find $(B) -name '*.d' 2>/dev/null)
