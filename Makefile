# lua-clevertap: one C source tree, built for Lua 5.4 and LuaJIT 2.1 (`make`)
# and for Lua 5.1, 5.2 and 5.3 (`make all-lua`).
# Each variant lands in $(BUILD)/<variant>/clevertap/core.so, so several
# builds (helpers, sanitizers) can live side by side: make BUILD=build/asan ...

BUILD   ?= build
CC      ?= cc
OPT     ?= -O2 -g
SAN     ?=
CSTD     = -std=c99 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
WARN     = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-unused-parameter \
           -Wconversion -Wsign-conversion -Wmissing-prototypes -Wcast-qual
CFLAGS_ALL = $(CSTD) $(WARN) $(OPT) $(SAN) -MMD -MP -fPIC -fvisibility=hidden $(INCS) $(CFLAGS)
# hiredis's headers do not pass our warnings: -isystem, as for lua-compat53
DEPS_CFLAGS := $(shell pkg-config --cflags libcurl jansson sqlite3 2>/dev/null) \
               $(patsubst -I%,-isystem %,$(shell pkg-config --cflags hiredis 2>/dev/null || echo -I/usr/include/hiredis))
DEPS_LIBS   := $(shell pkg-config --libs libcurl jansson hiredis sqlite3 2>/dev/null || echo -lcurl -ljansson -lhiredis -lsqlite3) -lm

# Each variant's own headers and nothing else (csrc/lua/l_compat.h covers the
# 5.1 API); headers elsewhere: make JIT_CFLAGS=-I/opt/luajit/include/luajit-2.1
LUA54_CFLAGS := $(shell pkg-config --cflags lua5.4 2>/dev/null || echo -I/usr/include/lua5.4)
LUA53_CFLAGS := $(shell pkg-config --cflags lua5.3 2>/dev/null || echo -I/usr/include/lua5.3)
LUA52_CFLAGS := $(shell pkg-config --cflags lua5.2 2>/dev/null || echo -I/usr/include/lua5.2)
LUA51_CFLAGS := $(shell pkg-config --cflags lua5.1 2>/dev/null || echo -I/usr/include/lua5.1)
JIT_CFLAGS   := $(shell pkg-config --cflags luajit 2>/dev/null || echo -I/usr/include/luajit-2.1)

# One folder per layer (see DEVELOPERS.md); csrc/lua is the Lua binding, the
# rest is the Lua-free core that also makes libclevertap.a.
CORE_DIRS := util validate schema limit engine journal transport client sms
CORE_SRC := $(sort $(foreach d,$(CORE_DIRS),$(wildcard csrc/$(d)/*.c)))
LUA_SRC  := $(sort $(wildcard csrc/lua/*.c))
INCS     := -Iinclude/clevertap $(foreach d,$(CORE_DIRS) lua,-Icsrc/$(d))

CORE_OBJ  := $(patsubst csrc/%.c,$(BUILD)/obj/core/%.o,$(CORE_SRC))
L54_OBJ   := $(patsubst csrc/%.c,$(BUILD)/obj/lua5.4/%.o,$(LUA_SRC))
L53_OBJ   := $(patsubst csrc/%.c,$(BUILD)/obj/lua5.3/%.o,$(LUA_SRC))
L52_OBJ   := $(patsubst csrc/%.c,$(BUILD)/obj/lua5.2/%.o,$(LUA_SRC))
L51_OBJ   := $(patsubst csrc/%.c,$(BUILD)/obj/lua5.1/%.o,$(LUA_SRC))
JIT_OBJ   := $(patsubst csrc/%.c,$(BUILD)/obj/luajit/%.o,$(LUA_SRC))

# The .d files included below hold rules: `make` alone must still build everything.
.DEFAULT_GOAL := all

# Each object's header dependencies, as the compiler saw them (-MMD -MP).
-include $(CORE_OBJ:.o=.d) $(L54_OBJ:.o=.d) $(L53_OBJ:.o=.d) $(L52_OBJ:.o=.d) $(L51_OBJ:.o=.d) $(JIT_OBJ:.o=.d)

L54_SO  := $(BUILD)/lua5.4/clevertap/core.so
L53_SO  := $(BUILD)/lua5.3/clevertap/core.so
L52_SO  := $(BUILD)/lua5.2/clevertap/core.so
L51_SO  := $(BUILD)/lua5.1/clevertap/core.so
JIT_SO  := $(BUILD)/luajit/clevertap/core.so
LIB_A   := $(BUILD)/libclevertap.a
LIB_SO  := $(BUILD)/libclevertap.so
SONAME  := libclevertap.so.0
LIB_INT := $(BUILD)/obj/libclevertap_internal.a

.PHONY: all all-lua lua5.1 lua5.2 lua5.3 lua5.4 luajit rock rock-install build deps test check check-fast spec lint format-check sanitize valgrind fuzz bench sandbox demo clean install install-rock man

all build: $(L54_SO) $(JIT_SO) $(LIB_A) $(LIB_SO) $(LIB_INT)

# Every Lua the library supports (.ci/run tests each one).
all-lua: all $(L53_SO) $(L52_SO) $(L51_SO)
lua5.4: $(L54_SO)
lua5.3: $(L53_SO)
lua5.2: $(L52_SO)
lua5.1: $(L51_SO)
luajit: $(JIT_SO)

deps:
	@tools/deps.sh build

$(BUILD)/obj/core/%.o: csrc/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(DEPS_CFLAGS) -c $< -o $@

$(BUILD)/obj/lua5.4/%.o: csrc/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(DEPS_CFLAGS) $(LUA54_CFLAGS) -c $< -o $@

$(BUILD)/obj/lua5.3/%.o: csrc/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(DEPS_CFLAGS) $(LUA53_CFLAGS) -c $< -o $@

$(BUILD)/obj/lua5.2/%.o: csrc/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(DEPS_CFLAGS) $(LUA52_CFLAGS) -c $< -o $@

$(BUILD)/obj/lua5.1/%.o: csrc/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(DEPS_CFLAGS) $(LUA51_CFLAGS) -c $< -o $@

$(BUILD)/obj/luajit/%.o: csrc/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(DEPS_CFLAGS) $(JIT_CFLAGS) -DCT_LUAJIT -c $< -o $@

# The Lua module exports its luaopen_* only: the C API it links stays inside.
LUA_EXPORTS := csrc/lua/exports.map

$(L54_SO): $(L54_OBJ) $(CORE_OBJ) $(LUA_EXPORTS)
	@mkdir -p $(dir $@)
	$(CC) $(SAN) -shared -Wl,--version-script=$(LUA_EXPORTS) -o $@ $(L54_OBJ) $(CORE_OBJ) $(DEPS_LIBS) $(LDFLAGS)

$(JIT_SO): $(JIT_OBJ) $(CORE_OBJ) $(LUA_EXPORTS)
	@mkdir -p $(dir $@)
	$(CC) $(SAN) -shared -Wl,--version-script=$(LUA_EXPORTS) -o $@ $(JIT_OBJ) $(CORE_OBJ) $(DEPS_LIBS) $(LDFLAGS)

$(L53_SO): $(L53_OBJ) $(CORE_OBJ) $(LUA_EXPORTS)
	@mkdir -p $(dir $@)
	$(CC) $(SAN) -shared -Wl,--version-script=$(LUA_EXPORTS) -o $@ $(L53_OBJ) $(CORE_OBJ) $(DEPS_LIBS) $(LDFLAGS)

$(L52_SO): $(L52_OBJ) $(CORE_OBJ) $(LUA_EXPORTS)
	@mkdir -p $(dir $@)
	$(CC) $(SAN) -shared -Wl,--version-script=$(LUA_EXPORTS) -o $@ $(L52_OBJ) $(CORE_OBJ) $(DEPS_LIBS) $(LDFLAGS)

$(L51_SO): $(L51_OBJ) $(CORE_OBJ) $(LUA_EXPORTS)
	@mkdir -p $(dir $@)
	$(CC) $(SAN) -shared -Wl,--version-script=$(LUA_EXPORTS) -o $@ $(L51_OBJ) $(CORE_OBJ) $(DEPS_LIBS) $(LDFLAGS)

# libclevertap.a exports the public API only (CT_API in include/clevertap):
# the core is one relocatable object whose hidden symbols are made local.
$(LIB_A): $(CORE_OBJ)
	@mkdir -p $(dir $@)
	ld -r -o $(BUILD)/obj/clevertap.o $^
	objcopy --localize-hidden $(BUILD)/obj/clevertap.o
	rm -f $@ && ar rcs $@ $(BUILD)/obj/clevertap.o

# With every core symbol, for the C unit tests of internal layers.
$(LIB_INT): $(CORE_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(LIB_SO): $(CORE_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(SAN) -shared -Wl,-soname,$(SONAME) -o $(BUILD)/$(SONAME) $^ $(DEPS_LIBS) $(LDFLAGS)
	ln -sf $(SONAME) $@

# The README's test command: Lua 5.4 and LuaJIT suites, luacheck, the C
# examples, against a sandbox started and stopped by the script.
test check:
	@tools/deps.sh test
	@BUILD=$(BUILD) tools/test.sh

# The fast loop: one spec (or several: SPEC="a b"), no luacheck, a sandbox
# only when the spec needs one. VARIANTS="lua5.4 luajit" for both.
spec:
	@test -n "$(SPEC)" || { echo "usage: make spec SPEC=spec/x_spec.lua" >&2; exit 2; }
	@BUILD=$(BUILD) tools/spec.sh $(SPEC)

# The validation, schedule and SMS specs (the SMS send spec starts a
# sandbox): seconds, not minutes.
FAST_SPECS = $(wildcard spec/validate_*_spec.lua spec/when_*_spec.lua spec/sms_*_spec.lua)
check-fast:
	@BUILD=$(BUILD) tools/spec.sh $(FAST_SPECS)

lint:
	@tools/deps.sh test
	luacheck -q lua spec sandbox examples bench bin
	tools/unused.sh
	tools/format-check.sh

# The C sources against .clang-format (clang-format --dry-run --Werror), nothing
# changed: every file under csrc, include, fuzz, examples, spec/c, or FILES="a.c b.h".
format-check:
	@tools/format-check.sh $(FILES)

sanitize:
	@tools/deps.sh sanitize
	@BUILD=build/asan tools/sanitize.sh asan

valgrind:
	@tools/deps.sh sanitize
	@BUILD=build/valgrind tools/sanitize.sh valgrind

fuzz:
	@tools/deps.sh fuzz
	@tools/fuzz.sh

# Packages first: on a fresh machine the compiler and headers come from them.
bench:
	@tools/deps.sh bench
	@$(MAKE) -s BUILD=$(BUILD) all
	@BUILD=$(BUILD) bench/run.sh

sandbox:
	@tools/deps.sh sandbox
	@$(MAKE) -s BUILD=$(BUILD) all
	@BUILD=$(BUILD) sandbox/ctl start --dir $(BUILD)/sandbox --port $${PORT:-8080} --foreground

# The README's main job: a campaign script run against a local sandbox.
demo:
	@tools/deps.sh sandbox
	@$(MAKE) -s BUILD=$(BUILD) all
	@BUILD=$(BUILD) examples/demo.sh

# The C library for hosts without Lua: headers, both libraries, pkg-config.
PREFIX  ?= /usr/local
DESTDIR ?=
VERSION := $(shell sed -n 's/^\#define CT_VERSION "\(.*\)"/\1/p' include/clevertap/clevertap.h)

install: $(LIB_A) $(LIB_SO)
	install -d $(DESTDIR)$(PREFIX)/include/clevertap $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 644 include/clevertap/*.h $(DESTDIR)$(PREFIX)/include/clevertap/
	install -m 644 $(LIB_A) $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(BUILD)/$(SONAME) $(DESTDIR)$(PREFIX)/lib/
	ln -sf $(SONAME) $(DESTDIR)$(PREFIX)/lib/libclevertap.so
	printf '%s\n' 'prefix=$(PREFIX)' 'includedir=$${prefix}/include' 'libdir=$${prefix}/lib' '' \
	  'Name: clevertap' 'Description: CleverTap campaign API: validation, batching, sending' \
	  'Version: $(VERSION)' 'Requires.private: libcurl jansson hiredis sqlite3' \
	  'Cflags: -I$${includedir}/clevertap' 'Libs: -L$${libdir} -lclevertap' 'Libs.private: -lm' \
	  > $(DESTDIR)$(PREFIX)/lib/pkgconfig/clevertap.pc

# The clevertap(1) page, generated from the command's definitions
# (lua/clevertap/cli/definitions.lua); committed, so the rockspec ships it.
man:
	lua5.4 -e 'package.path="lua/?.lua;"..package.path' \
	  -e 'io.write(require("clevertap.cli.man").render())' > man/clevertap.1.tmp
	mv man/clevertap.1.tmp man/clevertap.1

install-rock:
	@tools/deps.sh rocks
	luarocks --lua-version=5.4 make --deps-mode=none rockspec/lua-clevertap-scm-1.rockspec

# What the rockspec's make build runs: LuaRocks passes CC, CFLAGS, LIBFLAG,
# LUA_INCDIR and the external dependencies' directories; `rock` builds
# clevertap/core.so in ROCK_BUILD (not next to the sources), `rock-install`
# copies it to INST_LIBDIR and removes ROCK_BUILD: a `luarocks make` leaves
# the checkout as it found it. No -Werror here: a user's newer compiler may
# warn about what ours does not. The module exports luaopen_* only
# (-fvisibility=hidden; CT_EXPORT in csrc/lua).
ROCK_BUILD   ?= build/rock
LIBFLAG      ?= -shared
LUA_INCDIR   ?= /usr/include/lua5.4
CURL_LIBDIR  ?= /usr/lib
JANSSON_INCDIR ?= /usr/include
JANSSON_LIBDIR ?= /usr/lib
HIREDIS_INCDIR ?= /usr/include
HIREDIS_LIBDIR ?= /usr/lib
SQLITE3_INCDIR ?= /usr/include
SQLITE3_LIBDIR ?= /usr/lib
INST_LIBDIR  ?=
# The C API inside the module is visible by design (CT_API): the linker keeps
# it local, as for the Makefile's own modules (macOS ld64 has its own flag).
comma        := ,
ROCK_EXPORTS := $(if $(filter Darwin,$(shell uname -s)),-Wl$(comma)-exported_symbol$(comma)_luaopen_*,-Wl$(comma)--version-script=$(LUA_EXPORTS))
ROCK_OBJ     := $(patsubst csrc/%.c,$(ROCK_BUILD)/%.o,$(CORE_SRC) $(LUA_SRC))
ROCK_SO      := $(ROCK_BUILD)/clevertap/core.so

rock: $(ROCK_SO)

$(ROCK_BUILD)/%.o: csrc/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) -Wall -fPIC -fvisibility=hidden $(INCS) -I$(LUA_INCDIR) -I$(JANSSON_INCDIR) -isystem $(HIREDIS_INCDIR)/hiredis -I$(SQLITE3_INCDIR) $(CFLAGS) -c $< -o $@

$(ROCK_SO): $(ROCK_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LIBFLAG) $(ROCK_EXPORTS) -o $@ $(ROCK_OBJ) -L$(CURL_LIBDIR) -L$(JANSSON_LIBDIR) -L$(HIREDIS_LIBDIR) -L$(SQLITE3_LIBDIR) -lcurl -ljansson -lhiredis -lsqlite3 -lm $(LDFLAGS)

rock-install: $(ROCK_SO)
	@test -n "$(INST_LIBDIR)" || { echo "usage: make rock-install INST_LIBDIR=..." >&2; exit 2; }
	install -d $(INST_LIBDIR)/clevertap
	install -m 755 $(ROCK_SO) $(INST_LIBDIR)/clevertap/core.so
	rm -rf $(ROCK_BUILD)
	rmdir build 2>/dev/null || true

# Everything a build, a test run or an older `luarocks make` (objects next to
# the sources, ./clevertap/core.so) leaves: the tree is as git has it.
clean:
	rm -rf build fuzz/corpus-run sandbox/run
	rm -f luacov.*.out clevertap/core.so
	find csrc -name '*.o' -delete
	if [ -d clevertap ]; then rmdir clevertap; fi
