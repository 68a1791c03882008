# ferry: a Travis-compatible CI runner.
#   make                 build build/bin/ferry
#   make test            install test dependencies, run every test suite
#   make demo            install dependencies, run the bundled example
#   make V=1 | DEVELOPER=1 | SANITIZE=address,undefined | BUILD=dir
#   make fuzz | bench | check | deps | clean
# Put local overrides (CC, CFLAGS, SANITIZE...) in config.mak.
-include config.mak

CC	?= cc
BUILD	?= build
PKGS	:= yaml-0.1 libgit2 libcurl openssl libarchive jansson libpcre2-8 \
	   sqlite3 libmicrohttpd

ifeq ($(filter clean deps,$(MAKECMDGOALS)),)
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
ifeq ($(PKG_LIBS),)
ifeq ($(filter demo test,$(MAKECMDGOALS)),)
$(error pkg-config cannot find one of: $(PKGS); run 'make deps' (as root))
endif
endif
endif

CFLAGS	?= -O2 -g
WARN	:= -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	   -Wformat=2 -Wvla -Wwrite-strings -Wno-unused-parameter \
	   -Wno-missing-field-initializers -Wno-format-nonliteral
ALL_CFLAGS = -std=c11 $(WARN) $(CFLAGS) -Iinclude $(PKG_CFLAGS) -MMD -MP
ALL_LDFLAGS = $(LDFLAGS)
LIBS	= $(PKG_LIBS) -lpthread -lm

ifdef DEVELOPER
ALL_CFLAGS += -Werror
endif
ifdef SANITIZE
ALL_CFLAGS += -fsanitize=$(SANITIZE) -fno-sanitize-recover=all \
	      -fno-omit-frame-pointer
ALL_LDFLAGS += -fsanitize=$(SANITIZE)
endif
ifndef V
QUIET_CC   = @echo '   ' CC $@;
QUIET_LINK = @echo '   ' LINK $@;
QUIET_AR   = @echo '   ' AR $@;
QUIET_GEN  = @echo '   ' GEN $@;
endif

# Everything but main() goes into one archive that the program, the unit
# tests, the benchmarks and the fuzzers all link against.
CORE_SRC := $(wildcard common/*.c lifecycle/*.c deployers/*.c runner/*.c)
CORE_SRC := $(filter-out runner/main.c,$(CORE_SRC))
CORE_OBJ := $(CORE_SRC:%.c=$(BUILD)/obj/%.o)
# Files compiled into the binary (the job script's shell library, and the
# web UI of `ferry serve`: runner/web/NAME.EXT becomes web_NAME_EXT).
EMBED	 := lifecycle/shlib.sh
CORE_OBJ += $(EMBED:lifecycle/%.sh=$(BUILD)/obj/gen/%.o)
WEB	 := $(wildcard runner/web/*)
CORE_OBJ += $(WEB:runner/web/%=$(BUILD)/obj/gen/web/%.o)
UNIT_SRC := $(filter-out tests/unit/unit.c,$(wildcard tests/unit/*.c))
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
BENCH_SRC := $(wildcard tests/bench/*.c)
ALL_SRC  := $(wildcard include/*.h */*.[ch] tests/*/*.[ch])
FERRY	 := $(BUILD)/bin/ferry

all: $(FERRY)

# Objects depend on the flags too: changing SANITIZE rebuilds everything.
$(BUILD)/cflags: FORCE
	@mkdir -p $(@D)
	@echo '$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS)' | cmp -s - $@ || \
		echo '$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS)' >$@

$(BUILD)/obj/%.o: %.c $(BUILD)/cflags
	@mkdir -p $(@D)
	$(QUIET_CC)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/gen/%.c: lifecycle/%.sh tests/setup/embed.sh
	@mkdir -p $(@D)
	$(QUIET_GEN)sh tests/setup/embed.sh $* <$< >$@
$(BUILD)/gen/web/%.c: runner/web/% tests/setup/embed.sh
	@mkdir -p $(@D)
	$(QUIET_GEN)sh tests/setup/embed.sh web_$(subst .,_,$(subst -,_,$*)) \
		<$< >$@
$(BUILD)/obj/gen/%.o: $(BUILD)/gen/%.c $(BUILD)/cflags
	@mkdir -p $(@D)
	$(QUIET_CC)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/libcore.a: $(CORE_OBJ)
	@rm -f $@
	$(QUIET_AR)$(AR) rcs $@ $^

$(FERRY): $(BUILD)/obj/runner/main.o $(BUILD)/libcore.a
	@mkdir -p $(@D)
	$(QUIET_LINK)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

# Unit tests: every `void test_<module>__<case>(void)` is found by sed.
$(BUILD)/tests/unit/suites.inc: FORCE
	@mkdir -p $(@D)
	@sed -n 's/^void \(test_[a-z0-9_]*__[a-z0-9_]*\)(void)$$/UNIT(\1)/p' \
		$(UNIT_SRC) >$@.new
	@cmp -s $@.new $@ && rm $@.new || { echo '   ' GEN $@; mv $@.new $@; }
$(BUILD)/obj/tests/%.o: ALL_CFLAGS += -Wno-missing-prototypes
$(BUILD)/obj/tests/unit/unit.o: ALL_CFLAGS += -I$(BUILD)/tests/unit -Itests/unit
$(BUILD)/obj/tests/unit/unit.o: $(BUILD)/tests/unit/suites.inc
$(UNIT_SRC:%.c=$(BUILD)/obj/%.o): ALL_CFLAGS += -Itests/unit

$(BUILD)/bin/unit-tests: $(BUILD)/obj/tests/unit/unit.o \
		     $(UNIT_SRC:%.c=$(BUILD)/obj/%.o) $(BUILD)/libcore.a
	@mkdir -p $(@D)
	$(QUIET_LINK)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/bin/bench-%: $(BUILD)/obj/tests/bench/%.o $(BUILD)/libcore.a
	@mkdir -p $(@D)
	$(QUIET_LINK)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

# Fuzz targets built with gcc get a replay driver, so they never rot.
$(BUILD)/bin/replay-%: $(BUILD)/obj/tests/fuzz/fuzz_%.o \
		$(BUILD)/obj/tests/fuzz/replay.o $(BUILD)/libcore.a
	@mkdir -p $(@D)
	$(QUIET_LINK)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

PROGRAMS := $(FERRY) $(BUILD)/bin/unit-tests \
	$(FUZZ_SRC:tests/fuzz/fuzz_%.c=$(BUILD)/bin/replay-%) \
	$(BENCH_SRC:tests/bench/%.c=$(BUILD)/bin/bench-%)
programs: $(PROGRAMS)

# The README's commands.  `deps` installs Debian packages (as root) when
# one is missing; the test and demo scripts start what they need.
deps:
	@sh tests/setup/deps.sh
test: deps
	@$(MAKE) --no-print-directory programs
	@BUILD=$(BUILD) tests/run.sh
check-tests: programs
	@BUILD=$(BUILD) tests/run.sh
unit: $(BUILD)/bin/unit-tests
	$(BUILD)/bin/unit-tests
demo: deps
	@$(MAKE) --no-print-directory $(FERRY)
	@BUILD=$(BUILD) sh examples/demo.sh

# Fuzzing needs clang; it gets its own build tree so flags never mix.
FUZZ_SECONDS ?= 60
fuzz: deps
	@$(MAKE) --no-print-directory BUILD=build-fuzz CC=clang \
		SANITIZE=address,undefined \
		CFLAGS='-O1 -g -fsanitize=fuzzer-no-link' fuzz-targets
	@FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run.sh build-fuzz
fuzz-targets: $(FUZZ_SRC:tests/fuzz/fuzz_%.c=$(BUILD)/fuzz/%)
$(BUILD)/fuzz/%: $(BUILD)/obj/tests/fuzz/fuzz_%.o $(BUILD)/libcore.a
	@mkdir -p $(@D)
	$(QUIET_LINK)$(CC) $(ALL_LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(LIBS)

bench: deps
	@$(MAKE) --no-print-directory programs
	@BUILD=$(BUILD) tests/bench/run.sh

BANNED := strcpy|strcat|strncpy|strncat|sprintf|vsprintf|gets|strtok|atoi|atol|\
	  strerror|localtime|gmtime|ctime|asctime|system|popen
check: check-style check-layering analyze
check-style:
	clang-format --dry-run --Werror $(ALL_SRC)
	@! grep -nE '(^|[^_a-z])($(BANNED))\(' $(filter-out tests/%,$(ALL_SRC)) \
		|| { echo 'banned function (see the style guide)'; exit 1; }
check-layering:
	@sh tests/setup/check-layering.sh
analyze:
	$(MAKE) BUILD=build-analyze CC=gcc CFLAGS='-O0 -g -fanalyzer' all

PREFIX ?= /usr/local
install: $(FERRY)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 $(FERRY) $(DESTDIR)$(PREFIX)/bin/ferry
	install -m 644 docs/ferry.1 $(DESTDIR)$(PREFIX)/share/man/man1/ferry.1

clean:
	$(RM) -r build build-fuzz build-analyze build-*

.PHONY: all programs deps test check-tests unit demo fuzz fuzz-targets bench install \
	check check-style check-layering analyze clean FORCE
.DELETE_ON_ERROR:
.SECONDARY:
-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
