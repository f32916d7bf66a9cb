# threadleak — see README.md. Build output goes to build/ only.
PREFIX ?= /usr/local
CC ?= gcc
CXX ?= g++
BUILD ?= build
# `make V=1` shows every command.
Q := $(if $(V),,@)

WARN := -Wall -Wextra -Werror
CFLAGS ?= -O2 -g
BASE_CFLAGS := -std=gnu11 $(WARN) -Iinclude -Isrc -D_GNU_SOURCE
LIB_CFLAGS := $(BASE_CFLAGS) -fPIC -fvisibility=hidden \
	-ftls-model=initial-exec -pthread
# Recursive (=): libiberty.a is looked up when the library is linked, after
# `make deps` may have installed it, not when this file is parsed.
LIB_LDFLAGS = -shared -Wl,--version-script=src/preload/threadleak.map -Wl,-z,now \
	-Wl,-soname,libthreadleak.so -Wl,--exclude-libs,ALL -ldl -pthread \
	$(shell $(CC) -print-file-name=libiberty.a)

LIB_SRC := $(wildcard src/preload/*.c) $(wildcard src/common/*.c)
CLI_SRC := $(wildcard src/cli/*.c) $(wildcard src/common/*.c)
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/lib/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/obj/cli/%.o)

TEST_SRC := $(wildcard tests/test_*.c)
TEST_LIB_SRC := $(wildcard tests/lib/*.c)
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
PROG_C := $(wildcard tests/progs/*.c)
PROG_CXX := $(wildcard tests/progs/*.cpp)
PROG_BIN := $(PROG_C:tests/progs/%.c=$(BUILD)/tests/progs/%) \
	$(PROG_CXX:tests/progs/%.cpp=$(BUILD)/tests/progs/%)
# Rust test programs, built when rustc is installed (their tests skip otherwise).
RUSTC ?= $(shell command -v rustc 2>/dev/null)
PROG_RS := $(if $(RUSTC),$(wildcard tests/progs/*.rs))
PROG_BIN += $(PROG_RS:tests/progs/%.rs=$(BUILD)/tests/progs/%)

DEPS_STAMP := $(BUILD)/.deps-installed

.PHONY: all lib cli check demo bench stress install clean deps tests format
all: lib cli

deps: $(DEPS_STAMP)
$(DEPS_STAMP): scripts/install-deps.sh
	@bash scripts/install-deps.sh
	@mkdir -p $(BUILD) && touch $@

lib: $(BUILD)/libthreadleak.so
cli: $(BUILD)/threadleak

$(BUILD)/libthreadleak.so: $(LIB_OBJ) src/preload/threadleak.map
	@echo "  BUILD $@"
	$(Q)$(CC) -o $@ $(LIB_OBJ) $(LIB_LDFLAGS)

$(BUILD)/threadleak: $(CLI_OBJ)
	@echo "  BUILD $@"
	$(Q)$(CC) -o $@ $(CLI_OBJ) $(shell pkg-config --libs jansson) -lm

$(BUILD)/obj/lib/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC    $<"
	$(Q)$(CC) $(LIB_CFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/obj/cli/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC    $<"
	$(Q)$(CC) $(BASE_CFLAGS) $(CFLAGS) $(shell pkg-config --cflags jansson) -MMD -MP -c -o $@ $<

# Test programs are built the way users build theirs: no -rdynamic, with -g.
$(BUILD)/tests/progs/%: tests/progs/%.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  BUILD $@"
	$(Q)$(CC) -std=gnu11 -O1 -g -fno-inline -pthread -Wall -o $@ $< $(PROG_LDLIBS_$*)

$(BUILD)/tests/progs/%: tests/progs/%.cpp | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  BUILD $@"
	$(Q)$(CXX) -std=gnu++17 -O1 -g -fno-inline -pthread -Wall -o $@ $< $(PROG_LDLIBS_$*)

$(filter $(BUILD)/tests/progs/wait_% $(BUILD)/tests/progs/lang_%, \
	$(PROG_C:tests/progs/%.c=$(BUILD)/tests/progs/%)): tests/progs/waits_common.h

$(BUILD)/tests/progs/%: tests/progs/%.rs
	@mkdir -p $(dir $@)
	@echo "  BUILD $@"
	$(Q)$(RUSTC) --edition 2021 -C opt-level=1 -g -o $@ $<

$(BUILD)/tests/%: tests/%.c $(TEST_LIB_SRC) $(wildcard tests/lib/*.h) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  BUILD $@"
	$(Q)$(CC) $(BASE_CFLAGS) -Itests -g -O1 -o $@ $< $(TEST_LIB_SRC) \
		$(shell pkg-config --cflags --libs jansson) -lcriterion -pthread -lm

# The command's tests: cli_* programs share a header, cli_static is static,
# and test_cli_unit links the command's own sources (all but main.c).
$(filter $(BUILD)/tests/progs/cli_%, \
	$(PROG_C:tests/progs/%.c=$(BUILD)/tests/progs/%)): tests/progs/cli_common.h
PROG_LDLIBS_cli_static := -static
CLI_UNIT_SRC := $(filter-out src/cli/main.c,$(wildcard src/cli/*.c)) $(wildcard src/common/*.c)
$(BUILD)/tests/test_cli_unit: tests/test_cli_unit.c $(CLI_UNIT_SRC) $(wildcard src/cli/*.h) \
		$(TEST_LIB_SRC) $(wildcard tests/lib/*.h) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  BUILD $@"
	$(Q)$(CC) $(BASE_CFLAGS) -Itests -g -O1 -o $@ $< $(CLI_UNIT_SRC) $(TEST_LIB_SRC) \
		$(shell pkg-config --cflags --libs jansson) -lcriterion -pthread -lm

# The API's tests link the library the way users do (-lthreadleak, found
# next to build/tests/ at run time); api_preloaded shares their scenarios.
$(BUILD)/tests/test_api: tests/test_api.c tests/progs/api_scenarios.h include/threadleak.h \
		include/threadleak/criterion.h $(BUILD)/libthreadleak.so $(TEST_LIB_SRC) \
		$(wildcard tests/lib/*.h) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC    $<"
	$(Q)$(CC) $(BASE_CFLAGS) -Itests -g -O1 -fno-inline -o $@ $< $(TEST_LIB_SRC) \
		$(shell pkg-config --cflags --libs jansson) -L$(BUILD) -Wl,-rpath,'$$ORIGIN/..' \
		-lthreadleak -lcriterion -pthread -lm
$(BUILD)/tests/progs/api_preloaded: tests/progs/api_scenarios.h

# Programs that use the API link the library as users do.
PROG_LDLIBS_api_cancel_fork := -Iinclude -L$(BUILD) -Wl,-rpath,$(abspath $(BUILD)) -lthreadleak
$(BUILD)/tests/progs/api_cancel_fork: $(BUILD)/libthreadleak.so

# Runtime programs (tests/runtimes): each built when its toolchain is
# installed (checked when the recipe runs, after install-deps); their tests
# skip with a message otherwise.
RT_STAMP := $(BUILD)/tests/runtimes/.built
$(RT_STAMP): $(wildcard tests/runtimes/*.java tests/runtimes/*.c) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  BUILD $(dir $@)"
	$(Q)if command -v javac >/dev/null; then javac -d $(dir $@) tests/runtimes/RtJava.java; fi
	$(Q)if pkg-config --exists gio-2.0; then $(CC) -std=gnu11 -O1 -g -Wall -o $(dir $@)rt_glib \
		tests/runtimes/rt_glib.c $$(pkg-config --cflags --libs gio-2.0); fi
	$(Q)touch $@

tests: all $(TEST_BIN) $(PROG_BIN) $(RT_STAMP)

check: tests
	@bash scripts/check.sh $(TEST_BIN)

demo: all $(BUILD)/tests/progs/demo_leak
	@bash scripts/demo.sh

bench: all
	@bash scripts/bench.sh

stress: tests
	@bash scripts/stress.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/bin \
		$(DESTDIR)$(PREFIX)/include/threadleak
	install -m 0755 $(BUILD)/libthreadleak.so $(DESTDIR)$(PREFIX)/lib/
	install -m 0755 $(BUILD)/threadleak $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 include/threadleak.h $(DESTDIR)$(PREFIX)/include/
	install -m 0644 include/threadleak/criterion.h $(DESTDIR)$(PREFIX)/include/threadleak/
	install -d $(DESTDIR)$(PREFIX)/share/threadleak
	install -m 0644 share/threadleak/runtimes.ignore $(DESTDIR)$(PREFIX)/share/threadleak/
	sed -e 's|@PREFIX@|$(PREFIX)|g' scripts/threadleak.pc.in \
		> $(DESTDIR)$(PREFIX)/lib/pkgconfig/threadleak.pc

format:
	clang-format -i $$(git ls-files '*.c' '*.h' '*.cpp')

clean:
	rm -rf $(BUILD)

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d)
