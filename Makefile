# threadleak — see README.md. Build output goes to build/ only.
#
# `make` builds and never installs packages: a missing one stops it with one
# line naming it. `make deps` installs every Debian package (scripts/install-deps.sh);
# `make check`, `make check-fast` and `make check-unit` run it first (`make demo` and `make bench`
# only its build part), then build in a second make, which reads this file
# again with everything installed.
PREFIX ?= /usr/local
CC ?= gcc
CXX ?= g++
BUILD ?= build
# `make V=1` shows every command.
Q := $(if $(V),,@)

# -Werror unless WERROR=0 (a newer compiler's new warning need not stop a user's build).
WERROR ?= 1
WARN := -Wall -Wextra $(if $(filter 1,$(WERROR)),-Werror)
CFLAGS ?= -O2 -g
BASE_CFLAGS := -std=gnu11 $(WARN) -Iinclude -Isrc -D_GNU_SOURCE
LIB_CFLAGS := $(BASE_CFLAGS) -fPIC -fvisibility=hidden \
	-ftls-model=initial-exec -pthread
# Recursive (=): pkg-config and libiberty.a are looked up when used, never
# while this file is parsed.
LIB_LINK = -shared -Wl,--version-script=src/preload/threadleak.map -Wl,-z,now \
	-Wl,-soname,libthreadleak.so -Wl,--exclude-libs,ALL -ldl -pthread \
	$(shell $(CC) -print-file-name=libiberty.a)
JANSSON_CFLAGS = $(shell pkg-config --cflags jansson)
JANSSON_LIBS = $(shell pkg-config --libs jansson)
# pprof profiles: C generated from src/cli/proto/profile.proto by protoc-c at
# build time (so it always matches the installed libprotobuf-c), gzipped by zlib.
PROTOC_C ?= protoc-c
GEN := $(BUILD)/gen
# The command links libdw itself (attach: unwinding and symbols of another
# process); libiberty demangles in both.
CLI_LIBS = $(JANSSON_LIBS) $(shell pkg-config --libs libprotobuf-c zlib libmicrohttpd) \
	-ldw -lelf $(shell $(CC) -print-file-name=libiberty.a)
LIB_SRC := $(wildcard src/preload/*.c) $(wildcard src/common/*.c)
CLI_SRC := $(wildcard src/cli/*.c) $(wildcard src/common/*.c)
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/lib/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/obj/cli/%.o) $(BUILD)/obj/cli/gen/profile.pb-c.o

TEST_SRC := $(wildcard tests/test_*.c)
TEST_LIB_SRC := $(wildcard tests/lib/*.c)
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
TEST_OBJ := $(TEST_SRC:%.c=$(BUILD)/obj/tests/%.o)
TEST_LIB_OBJ := $(TEST_LIB_SRC:%.c=$(BUILD)/obj/tests/%.o)
TEST_CFLAGS := $(BASE_CFLAGS) -Itests -g -O1
PROG_C := $(wildcard tests/progs/*.c)
PROG_CXX := $(wildcard tests/progs/*.cpp)
PROG_BIN := $(PROG_C:tests/progs/%.c=$(BUILD)/tests/progs/%) \
	$(PROG_CXX:tests/progs/%.cpp=$(BUILD)/tests/progs/%)
# Rust test programs, built when rustc is installed (their tests skip otherwise);
# rustc is kept from the jobserver it would warn it cannot reach.
RUSTC ?= $(shell command -v rustc 2>/dev/null)
PROG_RS := $(if $(RUSTC),$(wildcard tests/progs/*.rs))
PROG_BIN += $(PROG_RS:tests/progs/%.rs=$(BUILD)/tests/progs/%)
# Plugins a test program dlopens and dlcloses (one source, two names).
PLUGINS := $(BUILD)/tests/progs/lib_a.so $(BUILD)/tests/progs/lib_b.so
PROG_BIN += $(PLUGINS)

# The tiers (tests/README.md): unit suites link our objects and run
# in-process (seconds: make check-unit); end-to-end suites run programs
# under the library or the command; slow suites (host programs, sanitizer
# builds, install, benchmarks, stress, runtimes) and the slow tests of the
# others (Criterion patterns) are what make check-fast leaves out. make check
# runs all three tiers, in that order.
UNIT_SUITES := test_preload_unit test_cli_unit test_attach_unit test_contract
SLOW_SUITES := test_hosts test_sanitizers test_install test_bench_smoke test_cli_stress test_runtimes
SLOW_TESTS := hostile/fuzz_* trigger/memcached_* trigger/node_* serve/prometheus_* \
	attach/redis_*
UNIT_TEST_BIN := $(UNIT_SUITES:%=$(BUILD)/tests/%)
SLOW_TEST_BIN := $(SLOW_SUITES:%=$(BUILD)/tests/%)
E2E_TEST_BIN := $(filter-out $(UNIT_TEST_BIN) $(SLOW_TEST_BIN),$(TEST_BIN))

# Plain make checks its build dependencies (package:header that proves it is
# there) and names what is missing. Goals that install them, or need none, skip this.
NEEDS_BUILD := pkg-config:pkg-config libunwind-dev:libunwind.h uthash-dev:uthash.h \
	libdw-dev:elfutils/libdw.h libelf-dev:libelf.h libiberty-dev:libiberty/demangle.h \
	libjansson-dev:jansson.h libprotobuf-c-dev:protobuf-c/protobuf-c.h zlib1g-dev:zlib.h \
	protobuf-c-compiler:protoc-c libmicrohttpd-dev:microhttpd.h
NEEDS_TESTS := libcriterion-dev:criterion/criterion.h
GOALS := $(or $(MAKECMDGOALS),all)
ifeq ($(filter deps deps-build demo check check-fast check-unit bench stress clean format uninstall,$(GOALS)),)
MISSING := $(shell CC='$(CC)' CPPFLAGS='$(CPPFLAGS)' sh scripts/missing-deps.sh $(NEEDS_BUILD) \
	$(if $(filter tests $(BUILD)/tests/test_%,$(GOALS)),$(NEEDS_TESTS)))
ifneq ($(MISSING),)
$(error threadleak: missing Debian package(s) $(MISSING): run `make deps` (installs all make check needs) or apt-get install $(MISSING))
endif
endif

.PHONY: all lib cli check check-fast check-unit demo bench stress install uninstall clean deps deps-build tests format
all: lib cli

deps:
	@bash scripts/install-deps.sh
deps-build:
	@bash scripts/install-deps.sh --build

lib: $(BUILD)/libthreadleak.so
cli: $(BUILD)/threadleak

$(BUILD)/libthreadleak.so: $(LIB_OBJ) src/preload/threadleak.map
	@echo "  BUILD $@"
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(LIB_OBJ) $(LIB_LINK)

$(BUILD)/threadleak: $(CLI_OBJ)
	@echo "  BUILD $@"
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(CLI_OBJ) $(CLI_LIBS) -lm

$(BUILD)/obj/lib/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC    $<"
	$(Q)$(CC) $(CPPFLAGS) $(LIB_CFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/obj/cli/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC    $<"
	$(Q)$(CC) $(CPPFLAGS) $(BASE_CFLAGS) -I$(GEN) $(CFLAGS) $(JANSSON_CFLAGS) -MMD -MP -c -o $@ $<

# A pattern rule: one protoc-c run makes both files.
$(GEN)/%.pb-c.c $(GEN)/%.pb-c.h: src/cli/proto/%.proto
	@mkdir -p $(GEN)
	@echo "  PROTO $<"
	$(Q)$(PROTOC_C) --c_out=$(GEN) -Isrc/cli/proto $<
$(BUILD)/obj/cli/src/cli/pprof.o: $(GEN)/profile.pb-c.h

# Generated code: protoc-c's own, compiled without our warnings as errors.
$(BUILD)/obj/cli/gen/profile.pb-c.o: $(GEN)/profile.pb-c.c
	@mkdir -p $(dir $@)
	@echo "  CC    $<"
	$(Q)$(CC) $(CPPFLAGS) -std=gnu11 -I$(GEN) $(CFLAGS) -c -o $@ $<

# Test programs are built the way users build theirs: no -rdynamic, with -g,
# none of this build's flags.
$(BUILD)/tests/progs/%: tests/progs/%.c
	@mkdir -p $(dir $@)
	@echo "  BUILD $@"
	$(Q)$(CC) -std=gnu11 -O1 -g -fno-inline -pthread -Wall -MMD -MP -o $@ $< $(PROG_LDLIBS_$*)

$(BUILD)/tests/progs/%: tests/progs/%.cpp
	@mkdir -p $(dir $@)
	@echo "  BUILD $@"
	$(Q)$(CXX) -std=gnu++17 -O1 -g -fno-inline -pthread -Wall -MMD -MP -o $@ $< $(PROG_LDLIBS_$*)

$(BUILD)/tests/progs/lib_%.so: tests/progs/plugin/plugin.c
	@mkdir -p $(dir $@)
	@echo "  BUILD $@"
	$(Q)$(CC) -std=gnu11 -O1 -g -fno-inline -fPIC -shared -pthread -Wall -DPLUGIN=$*_ -o $@ $<
$(BUILD)/tests/progs/names_plugins $(BUILD)/tests/progs/names_same: $(PLUGINS)

$(BUILD)/tests/progs/%: tests/progs/%.rs
	@mkdir -p $(dir $@)
	@echo "  BUILD $@"
	$(Q)env -u MAKEFLAGS -u MFLAGS $(RUSTC) --edition 2021 -C opt-level=1 -g -o $@ $<

# Test suites: one object per source (tests/lib built once for all), each
# with its dependency file, so touching any header they include rebuilds them.
$(BUILD)/obj/tests/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC    $<"
	$(Q)$(CC) $(CPPFLAGS) $(TEST_CFLAGS) $(TEST_CFLAGS_$(notdir $*)) $(JANSSON_CFLAGS) \
		-MMD -MP -c -o $@ $<

$(TEST_BIN): $(BUILD)/tests/%: $(BUILD)/obj/tests/tests/%.o $(TEST_LIB_OBJ)
	@mkdir -p $(dir $@)
	@echo "  BUILD $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $< $(TEST_LIB_OBJ) $(TEST_LDLIBS_$*) $(CLI_LIBS) \
		-lcriterion -pthread -lm

# test_cli_unit and test_attach_unit link the command's own objects (all but
# main.o), and what the command links.
CLI_UNIT_OBJ = $(filter-out %/main.o,$(CLI_OBJ))
TEST_LDLIBS_test_cli_unit = $(CLI_UNIT_OBJ)
TEST_LDLIBS_test_attach_unit = $(CLI_UNIT_OBJ)
$(BUILD)/tests/test_cli_unit $(BUILD)/tests/test_attach_unit: $(filter-out %/main.o,$(CLI_OBJ))

# test_contract links both sides of each contract between library and
# command: src/common as the command builds it, and the library's config.c.
CONTRACT_OBJ := $(filter $(BUILD)/obj/cli/src/common/%.o,$(CLI_OBJ)) \
	$(BUILD)/obj/lib/src/preload/config.o
TEST_LDLIBS_test_contract = $(CONTRACT_OBJ)
$(BUILD)/tests/test_contract: $(CONTRACT_OBJ)

# test_preload_unit links the library's pure parts as the library builds
# them, and stand-ins (tests/lib/stubs) for what they call in the rest of it.
PRELOAD_UNIT_OBJ := $(addprefix $(BUILD)/obj/lib/src/,preload/config.o preload/stack_intern.o preload/running_restart.o \
	common/env_syntax.o common/names.o) $(BUILD)/obj/tests/tests/lib/stubs/unloaded.o
TEST_LDLIBS_test_preload_unit = $(PRELOAD_UNIT_OBJ)
$(BUILD)/tests/test_preload_unit: $(PRELOAD_UNIT_OBJ)

# The API's tests link the library the way users do (-lthreadleak, found
# next to build/tests/ at run time); api_preloaded shares their scenarios.
TEST_CFLAGS_test_api := -fno-inline
TEST_CFLAGS_tlt := -DTLT_SOURCE_ROOT='"$(CURDIR)"'
TEST_LDLIBS_test_api := -L$(BUILD) -Wl,-rpath,'$$ORIGIN/..' -lthreadleak
$(BUILD)/tests/test_api: $(BUILD)/libthreadleak.so

PROG_LDLIBS_cli_static := -static
# Programs that use the API link the library as users do.
API_PROGS := invisible_api_cancel_fork faults_setuid
$(foreach p,$(API_PROGS),$(eval PROG_LDLIBS_$(p) := -Iinclude -L$(BUILD) \
	-Wl,-rpath,$(abspath $(BUILD)) -lthreadleak))
$(API_PROGS:%=$(BUILD)/tests/progs/%): $(BUILD)/libthreadleak.so

# Runtime programs (tests/runtimes): each built when its toolchain is
# installed (checked when the recipe runs, after install-deps); their tests
# skip with a message otherwise.
RT_STAMP := $(BUILD)/tests/runtimes/.built
$(RT_STAMP): $(wildcard tests/runtimes/*.java tests/runtimes/*.c)
	@mkdir -p $(dir $@)
	@echo "  BUILD $(dir $@)"
	$(Q)if command -v javac >/dev/null; then javac -d $(dir $@) tests/runtimes/RtJava.java; fi
	$(Q)if pkg-config --exists gio-2.0; then $(CC) -std=gnu11 -O1 -g -Wall -o $(dir $@)rt_glib \
		tests/runtimes/rt_glib.c $$(pkg-config --cflags --libs gio-2.0); fi
	$(Q)touch $@

tests: all $(TEST_BIN) $(PROG_BIN) $(RT_STAMP)

check: deps
	@$(MAKE) --no-print-directory tests
	@bash scripts/check.sh $(UNIT_TEST_BIN) $(E2E_TEST_BIN) $(SLOW_TEST_BIN)

check-fast: deps
	@$(MAKE) --no-print-directory tests
	@echo "check-fast: leaves out $(SLOW_SUITES) and $(SLOW_TESTS) (make check runs them)"
	@SKIP_TESTS='$(SLOW_TESTS)' CHECK_JOBS=4 bash scripts/check.sh $(UNIT_TEST_BIN) $(E2E_TEST_BIN)

# The unit tier alone: the library, the command and the unit suites are built.
check-unit: deps
	@$(MAKE) --no-print-directory all $(UNIT_TEST_BIN)
	@bash scripts/check.sh $(UNIT_TEST_BIN)

demo: deps-build
	@$(MAKE) --no-print-directory all $(BUILD)/tests/progs/demo_leak
	@bash scripts/demo.sh

bench: deps-build
	@$(MAKE) --no-print-directory all
	@bash scripts/bench.sh

stress: deps
	@$(MAKE) --no-print-directory tests
	@bash scripts/stress.sh

# What install puts where: file:directory under PREFIX:mode. uninstall removes
# the same files (and the threadleak/ directories, when left empty).
INSTALL_FILES := $(BUILD)/libthreadleak.so:lib:0755 $(BUILD)/threadleak:bin:0755 \
	include/threadleak.h:include:0644 include/threadleak/criterion.h:include/threadleak:0644 \
	docs/threadleak.1:share/man/man1:0644 docs/libthreadleak.3:share/man/man3:0644 \
	share/threadleak/runtimes.ignore:share/threadleak:0644
PC_FILE := lib/pkgconfig/threadleak.pc

install: all
	$(Q)set -e; for f in $(INSTALL_FILES); do \
		src=$${f%%:*}; dir=$${f#*:}; mode=$${dir#*:}; dir=$(DESTDIR)$(PREFIX)/$${dir%%:*}; \
		echo "  INSTALL $$dir/$${src##*/}"; \
		install -d "$$dir"; install -m "$$mode" "$$src" "$$dir/"; \
	done
	@echo "  INSTALL $(DESTDIR)$(PREFIX)/$(PC_FILE)"
	$(Q)install -d $(dir $(DESTDIR)$(PREFIX)/$(PC_FILE))
	$(Q)sed -e 's|@PREFIX@|$(PREFIX)|g' scripts/threadleak.pc.in > $(DESTDIR)$(PREFIX)/$(PC_FILE)

uninstall:
	$(Q)for f in $(INSTALL_FILES); do \
		src=$${f%%:*}; dir=$${f#*:}; dir=$(DESTDIR)$(PREFIX)/$${dir%%:*}; \
		echo "  RM    $$dir/$${src##*/}"; rm -f "$$dir/$${src##*/}"; \
		case $$dir in */threadleak) rmdir "$$dir" 2>/dev/null || true;; esac; \
	done
	@echo "  RM    $(DESTDIR)$(PREFIX)/$(PC_FILE)"
	$(Q)rm -f $(DESTDIR)$(PREFIX)/$(PC_FILE)

format:
	clang-format -i $$(git ls-files '*.c' '*.h' '*.cpp')

clean:
	rm -rf --one-file-system $(BUILD)

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TEST_OBJ:.o=.d) $(TEST_LIB_OBJ:.o=.d) \
	$(BUILD)/obj/tests/tests/lib/stubs/unloaded.d \
	$(PROG_BIN:=.d)
