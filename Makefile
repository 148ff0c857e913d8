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
B           ?= build

CC          ?= cc
PKG_CONFIG  ?= pkg-config
PKGS        := libpcsclite libcoap-3-openssl jansson inih
DEB_PKGS    := pcscd libpcsclite-dev vsmartcard-vpcd libcoap3-dev libcoap3-bin libmbedtls-dev \
               libcmocka-dev libjansson-dev libinih-dev pkg-config opensc pcsc-tools clang

PKG_CFLAGS  := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS    := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
MBEDTLS     := -lmbedtls -lmbedx509 -lmbedcrypto

CFLAGS      ?= -O2 -g
CFLAGS      += -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
               -Wformat=2 -Wvla
CPPFLAGS    += -D_GNU_SOURCE -DCS_VERSION='"$(VERSION)"' -Iinclude $(PKG_CFLAGS) -MMD -MP
LDLIBS      += $(PKG_LIBS) $(MBEDTLS) -lm

ifeq ($(SANITIZE),1)
CFLAGS      += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS     += -fsanitize=address,undefined
endif

LIB_SRC     := $(sort $(wildcard src/lib/*.c))
CLI_SRC     := $(sort $(wildcard src/cli/*.c))
VCARD_SRC   := $(sort $(wildcard src/vcard/*.c))
UNIT_SRC    := $(sort $(wildcard tests/unit/test_*.c))
PEER_SRC    := $(sort $(wildcard tests/lwm2m/peer_*.c))
PEER_PROGS  := $(patsubst tests/lwm2m/%.c,$(B)/tests/%,$(filter-out tests/lwm2m/peer_%,$(wildcard tests/lwm2m/*.c)))
TOOL_PROGS  := $(patsubst tests/tools/%.c,$(B)/tests/%,$(wildcard tests/tools/*.c))

LIB_OBJ     := $(LIB_SRC:%.c=$(B)/%.o)
CLI_OBJ     := $(CLI_SRC:%.c=$(B)/%.o)
VCARD_OBJ   := $(VCARD_SRC:%.c=$(B)/%.o)
PEER_OBJ    := $(PEER_SRC:%.c=$(B)/%.o)
UNIT_BIN    := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRC))

LIBA        := $(B)/libcardstrap.a
CLI         := $(B)/cardstrap
VCARD       := $(B)/cardstrap-vcard

.PHONY: all check unit-tests tests install uninstall clean deps help demo
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

$(UNIT_BIN): $(B)/tests/%: $(B)/tests/unit/%.o $(LIBA)
	$(CC) $(LDFLAGS) -o $@ $< $(LIBA) $(LDLIBS) -lcmocka

$(PEER_PROGS): $(B)/tests/%: $(B)/tests/lwm2m/%.o $(PEER_OBJ) $(LIBA)
	$(CC) $(LDFLAGS) -o $@ $< $(PEER_OBJ) $(LIBA) $(LDLIBS)

$(TOOL_PROGS): $(B)/tests/%: $(B)/tests/tools/%.o $(LIBA)
	$(CC) $(LDFLAGS) -o $@ $< $(LIBA) $(LDLIBS)

tests: all $(UNIT_BIN) $(PEER_PROGS) $(TOOL_PROGS)

# Unit tests, then the CLI, integration (pcscd + virtual card) and
# end-to-end suites, one after another: only one pcscd can run per machine.
check: tests
	@B=$(B) tests/run $(TESTS)

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
	@echo "make check      build and run every test (TESTS='unit cli' to pick suites)"
	@echo "make deps       install the Debian packages cardstrap needs (as root)"
	@echo "make install    install (PREFIX=$(PREFIX) DESTDIR=...)"
	@echo "make demo       bring a purged LwM2M client back from a virtual card (as root)"
	@echo "make clean      remove $(B)/"
	@echo "SANITIZE=1      build with AddressSanitizer and UBSan"

-include $(shell find $(B) -name '*.d' 2>/dev/null)
