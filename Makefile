# batchpipe: one makefile.  `make` builds every tool into bin/.
# Library flags come from pkg-config; they are evaluated only when a compile
# or link runs, so `make check` and `make demo` can install the -dev packages
# first (scripts/deps) on a machine that has none of them yet.

PREFIX  ?= /usr/local
MANDIR  ?= $(PREFIX)/share/man
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
DESTDIR ?=
VERSION  = 0.1.0

# O is the build directory: objects in $(O)/obj, tools in $(O)/bin, the
# test programs (tests/prog/NAME.c, linked with the library) in $(O)/tests.
# `make O=build/asan SAN=1` is the sanitizer build that `make check` also runs.
O       ?= .
SAN     ?=
CC      ?= cc
CFLAGS  ?= -O2 -g
WARN     = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
STD      = -std=c11 -D_GNU_SOURCE -DBATCHPIPE_VERSION='"$(VERSION)"' -DBATCHPIPE_SHAREDIR='"$(PREFIX)/share/batchpipe"'
SANITIZE = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
SANFLAGS = $(if $(SAN),$(SANITIZE))

PKGS      = libcurl json-c libcrypto
PKG_CF    = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS  = $(shell pkg-config --libs $(PKGS))
MHD_CF    = $(shell pkg-config --cflags libmicrohttpd)
MHD_LIBS  = $(shell pkg-config --libs libmicrohttpd)

ALL_CFLAGS = $(STD) $(WARN) $(CFLAGS) $(SANFLAGS) $(PKG_CF) $(MHD_CF) -Icommon
ALL_LDFLAGS = $(LDFLAGS) $(SANFLAGS) -Wl,--as-needed

COMMON_SRC = $(wildcard common/*.c)
COMMON_OBJ = $(COMMON_SRC:common/%.c=$(O)/obj/common/%.o)
# A tool is tools/NAME.c, or a directory tools/NAME/ (main.c and one file
# a part, with a private header) when it has parts.
TOOL_SRC   = $(wildcard tools/*.c)
TOOL_DIRS  = $(patsubst tools/%/main.c,%,$(wildcard tools/*/main.c))
TOOLS      = $(TOOL_SRC:tools/%.c=%) $(TOOL_DIRS)
BINS       = $(TOOLS:%=$(O)/bin/%)
SCRIPTS    = $(wildcard scripts/oai-*)
SCRIPT_BINS = $(SCRIPTS:scripts/%=$(O)/bin/%)
MANPAGES   = $(wildcard man/*.1 man/*.7)
LIB        = $(O)/obj/libbatchpipe.a
# The data files the tools read at run time (common/sharefile.c finds them).
SHAREFILES = share/prices.tsv share/limits.tsv share/models.tsv \
	     share/o200k_base.tiktoken share/cl100k_base.tiktoken share/VOCABULARIES
PROG_SRC   = $(wildcard tests/prog/*.c)
TESTPROGS  = $(PROG_SRC:tests/prog/%.c=$(O)/tests/%)

.SECONDARY:
.PHONY: FORCE all testprogs deps check check-fast test asan lint bench demo fuzz chaos deb install uninstall clean

all: $(BINS) $(SCRIPT_BINS)

$(O)/obj/common/%.o: common/%.c common/*.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(O)/obj/tools/%.o: tools/%.c common/*.h $(wildcard tools/*/*.h)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# The archive is made afresh when an object is newer, and when the list of
# common/ files changed (a file removed must leave the archive too).
$(LIB): $(COMMON_OBJ) $(O)/obj/common.list
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $(COMMON_OBJ)

$(O)/obj/common.list: FORCE
	@mkdir -p $(@D)
	@echo '$(COMMON_SRC)' | cmp -s - $@ || echo '$(COMMON_SRC)' >$@

FORCE:

$(O)/bin/%: $(O)/obj/tools/%.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIB) $(if $(filter oai-mock,$*),$(MHD_LIBS)) $(PKG_LIBS) -lm

# tool_dir NAME: bin/NAME from the objects of every tools/NAME/*.c.
define tool_dir
$(O)/bin/$(1): $(patsubst tools/%.c,$(O)/obj/tools/%.o,$(wildcard tools/$(1)/*.c)) $(LIB)
	@mkdir -p $$(@D)
	$$(CC) $$(ALL_LDFLAGS) -o $$@ $$(filter %.o,$$^) $$(LIB) $(if $(filter oai-mock,$(1)),$$(MHD_LIBS)) $$(PKG_LIBS) -lm
endef
$(foreach t,$(TOOL_DIRS),$(eval $(call tool_dir,$(t))))

# The scripts get the version as the tools do (-DBATCHPIPE_VERSION).
$(SCRIPT_BINS): $(O)/bin/%: scripts/% Makefile
	@mkdir -p $(@D)
	sed 's/@BATCHPIPE_VERSION@/$(VERSION)/' scripts/$* >$@.tmp
	chmod +x $@.tmp
	mv $@.tmp $@

# Programs for the tests and benchmarks only, never installed.
testprogs: $(TESTPROGS)

$(O)/obj/tests/prog/%.o: tests/prog/%.c common/*.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(TESTPROGS): $(O)/tests/%: $(O)/obj/tests/prog/%.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIB) $(PKG_LIBS) -lm

deps:
	@sh scripts/deps build

# The whole suite twice: the normal build, then the same tests on an
# AddressSanitizer + UndefinedBehaviorSanitizer build.  One closing line.
check:
	@sh scripts/deps check
	@$(MAKE) --no-print-directory all testprogs
	@$(MAKE) --no-print-directory O=build/asan SAN=1 all testprogs
	@bash tests/run -b bin -b build/asan/bin

# The normal build only: for a quick look while working.
check-fast test: all testprogs
	@bash tests/run -b bin

asan:
	@$(MAKE) --no-print-directory O=build/asan SAN=1 all testprogs

lint:
	@sh scripts/deps lint
	@bash scripts/lint

bench:
	@sh scripts/deps bench
	@$(MAKE) --no-print-directory all testprogs
	@bash tests/bench/run

demo:
	@sh scripts/deps demo
	@$(MAKE) --no-print-directory all
	@sh scripts/demo

fuzz:
	@sh scripts/deps fuzz
	@bash tests/fuzz/run $(FUZZ_SECONDS)

# The chaos soak: CHAOS_TRIALS (default 1000) whole jobs against oai-mock
# with random faults and kill -9s, from seed CHAOS_SEED (default: the
# clock).  Not part of check, which runs a short form (tests/test-chaos.sh).
chaos:
	@sh scripts/deps check
	@$(MAKE) --no-print-directory all
	@python3 tests/chaos

# A Debian package of the tools, built in build/deb with PREFIX=/usr
# (debian/build-deb); the .deb is $(DEBDIR)/batchpipe_VERSION_ARCH.deb.
DEBDIR ?= build/deb
deb:
	@sh scripts/deps deb
	@sh debian/build-deb $(VERSION) $(DEBDIR)

install: all
	mkdir -p $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man7
	mkdir -p $(DESTDIR)$(PREFIX)/share/batchpipe
	cp $(BINS) $(SCRIPT_BINS) $(DESTDIR)$(PREFIX)/bin/
	cp $(SHAREFILES) $(DESTDIR)$(PREFIX)/share/batchpipe/
	for m in $(MANPAGES); do s=$${m##*.}; cp $$m $(DESTDIR)$(MANDIR)/man$$s/; done
	mkdir -p $(DESTDIR)$(COMPLETIONDIR)
	cp completions/batchpipe.bash $(DESTDIR)$(COMPLETIONDIR)/batchpipe
	for t in $(TOOLS) $(notdir $(SCRIPTS)); do ln -sf batchpipe $(DESTDIR)$(COMPLETIONDIR)/$$t; done

uninstall:
	for t in $(TOOLS) $(notdir $(SCRIPTS)); do rm -f $(DESTDIR)$(PREFIX)/bin/$$t; done
	for f in $(notdir $(SHAREFILES)); do rm -f $(DESTDIR)$(PREFIX)/share/batchpipe/$$f; done
	-rmdir $(DESTDIR)$(PREFIX)/share/batchpipe 2>/dev/null
	for m in $(notdir $(MANPAGES)); do s=$${m##*.}; rm -f $(DESTDIR)$(MANDIR)/man$$s/$$m; done
	for t in batchpipe $(TOOLS) $(notdir $(SCRIPTS)); do rm -f $(DESTDIR)$(COMPLETIONDIR)/$$t; done

clean:
	rm -rf bin obj build
	rm -f $(PROG_SRC:tests/prog/%.c=tests/%)
