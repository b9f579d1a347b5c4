# diaryd: see README.md.  `make deps test` on a fresh Debian 12 machine.

PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
LIBEXECDIR ?= $(PREFIX)/libexec
DATADIR    ?= $(PREFIX)/share
DESTDIR    ?=

CC         ?= cc
BUILD      ?= build
OPT        ?= -O2 -g
WERROR     ?= -Werror
SANITIZE   ?=

PKGS       := glib-2.0 gio-2.0 libical libxml-2.0 libcurl sqlite3 libnotify libsystemd
CORE_PKGS  := glib-2.0 libical libxml-2.0
# The agent's resident process (diaryd-agent, see agent/agentd.c) links only these.
AGENTD_PKGS := glib-2.0 gio-2.0 sqlite3 libnotify libsystemd

WARN       := -std=c11 -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes \
              -Wno-missing-field-initializers $(WERROR)
DEFS       := -D_GNU_SOURCE -DGLIB_VERSION_MIN_REQUIRED=GLIB_VERSION_2_74

PKG_CFLAGS  = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS    = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CORE_CFLAGS = $(shell pkg-config --cflags $(CORE_PKGS) 2>/dev/null)
CORE_LIBS   = $(shell pkg-config --libs $(CORE_PKGS) 2>/dev/null)
AGENTD_LIBS = $(shell pkg-config --libs $(AGENTD_PKGS) 2>/dev/null)

ALL_CFLAGS  = $(OPT) $(WARN) $(DEFS) $(SANITIZE) -ffunction-sections -fdata-sections -MMD -MP -Icore -Iagent -Iconfig $(PKG_CFLAGS) $(CFLAGS)
ALL_LDFLAGS = $(SANITIZE) $(LDFLAGS)

CORE_SRC   := $(sort $(wildcard core/*.c))
AGENT_SRC  := $(filter-out agent/agentd.c,$(sort $(wildcard agent/*.c config/*.c)))
UNIT_SRC   := $(sort $(wildcard tests/unit/test_*.c))
UNIT_HELP  := $(filter-out $(UNIT_SRC),$(wildcard tests/unit/*.c))
AGENTT_SRC := $(sort $(wildcard tests/agent/test_*.c))

CORE_OBJ   := $(CORE_SRC:%.c=$(BUILD)/%.o)
AGENT_OBJ  := $(AGENT_SRC:%.c=$(BUILD)/%.o)
UNIT_BIN   := $(UNIT_SRC:%.c=$(BUILD)/%)
UNIT_HELP_OBJ := $(UNIT_HELP:%.c=$(BUILD)/%.o)
AGENTT_BIN := $(AGENTT_SRC:%.c=$(BUILD)/%)
# Agent tests link every agent object but main's.
AGENT_LIB_OBJ := $(filter-out $(BUILD)/agent/main.o,$(AGENT_OBJ))

DIARYD     := $(BUILD)/diaryd
AGENTD     := $(BUILD)/diaryd-agent

.PHONY: all deps test unit integration check-asan valgrind bench fuzz lint install uninstall clean demo

all: $(DIARYD) $(AGENTD)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/libdiarycore.a: $(CORE_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(DIARYD): $(AGENT_OBJ) $(BUILD)/libdiarycore.a
	$(CC) $(ALL_LDFLAGS) -o $@ $(AGENT_OBJ) $(BUILD)/libdiarycore.a $(PKG_LIBS) -lm

# `diaryd run` execs this: the same agent code, linked without the libraries
# only the children use (libcurl and its TLS stacks, libical and ICU,
# libxml2), which would otherwise be most of the agent's resident memory.
# --gc-sections drops the functions that would need them.
$(AGENTD): $(BUILD)/agent/agentd.o $(BUILD)/libdiaryagent.a $(BUILD)/libdiarycore.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ -Wl,--gc-sections -Wl,--as-needed $(AGENTD_LIBS) -lm

# Unit tests link core/ alone: that proves core/ stays free of I/O libraries.
$(BUILD)/tests/unit/test_%: tests/unit/test_%.c $(UNIT_HELP_OBJ) $(BUILD)/libdiarycore.a
	@mkdir -p $(dir $@)
	$(CC) $(OPT) $(WARN) $(DEFS) $(SANITIZE) -Icore -Itests/unit $(CORE_CFLAGS) $(CFLAGS) -o $@ $< \
	  $(UNIT_HELP_OBJ) $(BUILD)/libdiarycore.a $(CORE_LIBS) -lm $(ALL_LDFLAGS)

$(BUILD)/libdiaryagent.a: $(AGENT_LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

# Agent tests (store, http, accounts) link the agent's objects and all libraries.
$(BUILD)/tests/agent/test_%: tests/agent/test_%.c $(UNIT_HELP_OBJ) $(BUILD)/libdiaryagent.a $(BUILD)/libdiarycore.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/unit -o $@ $< $(UNIT_HELP_OBJ) $(BUILD)/libdiaryagent.a $(BUILD)/libdiarycore.a \
	  $(PKG_LIBS) -lm $(ALL_LDFLAGS)

$(BUILD)/bench-check: tests/bench/bench_check.c $(UNIT_HELP_OBJ) $(BUILD)/libdiarycore.a
	$(CC) $(OPT) $(WARN) $(DEFS) -Icore -Itests/unit $(CORE_CFLAGS) $(CFLAGS) -o $@ $< \
	  $(UNIT_HELP_OBJ) $(BUILD)/libdiarycore.a $(CORE_LIBS) -lm

# ---- dependencies ----------------------------------------------------------
BUILD_DEBS := build-essential pkg-config libglib2.0-dev libical-dev libxml2-dev libcurl4-openssl-dev \
              libsqlite3-dev libnotify-dev libsystemd-dev tzdata
TEST_DEBS  := perl python3 python3-icalendar python3-recurring-ical-events valgrind clang \
              libclang-rt-14-dev cppcheck time curl radicale xandikos vdirsyncer python3-aiosmtpd \
              python3-trustme openssl dbus dunst xvfb libnotify-bin x11-utils \
              python3-gi gir1.2-glib-2.0

deps:
	@tests/tools/install-deps $(BUILD_DEBS) $(TEST_DEBS)

# ---- tests -----------------------------------------------------------------
test: all $(UNIT_BIN) $(AGENTT_BIN)
	DIARYD=$(abspath $(DIARYD)) BUILD=$(BUILD) prove -f $(UNIT_BIN) $(AGENTT_BIN) tests/integration/*.t

unit: $(UNIT_BIN) $(AGENTT_BIN)
	prove -f $(UNIT_BIN) $(AGENTT_BIN)

integration: all
	DIARYD=$(abspath $(DIARYD)) prove -f tests/integration/*.t

# Sanitizer builds run 3-5 times slower: the tests' wall-clock limits
# (hang guards) are scaled for them, and each diaryd run may take longer.
check-asan:
	DIARYD_TEST_TIME_SCALE=4 RUN_TIMEOUT=80 $(MAKE) BUILD=build-asan OPT="-O1 -g -fno-omit-frame-pointer" \
	  SANITIZE="-fsanitize=address,undefined -fno-sanitize-recover=all" test
	@echo "check-asan: no sanitizer report"

valgrind: all $(UNIT_BIN) $(AGENTT_BIN)
	tests/tools/valgrind-run $(DIARYD) $(UNIT_BIN) $(AGENTT_BIN)

bench: all $(BUILD)/bench-check
	tests/bench/run.sh

fuzz:
	tests/fuzz/run.sh $(or $(FUZZ_SECONDS),30)

lint:
	tests/tools/lint

demo: all
	tests/tools/demo $(DIARYD)

# ---- install ---------------------------------------------------------------
# The systemd user unit goes where the user manager looks for units:
# $(PREFIX)/lib/systemd/user is on its search path for PREFIX=/usr and
# /usr/local (`systemd-analyze --user unit-paths`); for an install in your
# home, use USERUNITDIR=~/.config/systemd/user.
DOCDIR      ?= $(DATADIR)/doc/diaryd
USERUNITDIR ?= $(PREFIX)/lib/systemd/user
UNIT        := $(BUILD)/diaryd.service

# The unit with the install paths filled in.  Remade on every run, as BINDIR
# may differ from the last one, but only rewritten when its text changes.
$(UNIT): systemd/diaryd.service.in FORCE
	@mkdir -p $(dir $@)
	@sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@DOCDIR@|$(DOCDIR)|g' $< >$@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv -f $@.tmp $@ && echo "generated $@ (diaryd in $(BINDIR))"; fi
FORCE:

install: all $(UNIT)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/diaryd $(DESTDIR)$(DOCDIR) $(DESTDIR)$(USERUNITDIR)
	install -m 0755 $(DIARYD) $(DESTDIR)$(BINDIR)/diaryd
	install -d $(DESTDIR)$(LIBEXECDIR)/diaryd
	install -m 0755 $(AGENTD) $(DESTDIR)$(LIBEXECDIR)/diaryd/diaryd-agent
	install -m 0644 config/diaryd.conf.example $(DESTDIR)$(DATADIR)/diaryd/diaryd.conf.example
	install -m 0644 README.md $(DESTDIR)$(DOCDIR)/README.md
	install -m 0644 $(UNIT) $(DESTDIR)$(USERUNITDIR)/diaryd.service
	@if [ -d config/templates ]; then \
	  echo "install config/templates in $(DESTDIR)$(DATADIR)/diaryd/templates"; \
	  rm -rf $(DESTDIR)$(DATADIR)/diaryd/templates && \
	  cp -R config/templates $(DESTDIR)$(DATADIR)/diaryd/templates && \
	  chmod -R u=rwX,go=rX $(DESTDIR)$(DATADIR)/diaryd/templates; \
	fi

# Run `systemctl --user disable --now diaryd` first if you enabled the service.
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/diaryd $(DESTDIR)$(USERUNITDIR)/diaryd.service
	rm -rf $(DESTDIR)$(LIBEXECDIR)/diaryd
	rm -rf $(DESTDIR)$(DATADIR)/diaryd $(DESTDIR)$(DOCDIR)

clean:
	rm -rf build build-asan build-fuzz tests/bench/out

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
