# lua-clevertap: one C source tree, built for Lua 5.4 and LuaJIT 2.1.
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
DEPS_CFLAGS := $(shell pkg-config --cflags libcurl jansson 2>/dev/null)
DEPS_LIBS   := $(shell pkg-config --libs libcurl jansson 2>/dev/null || echo -lcurl -ljansson) -lm

LUA54_CFLAGS := $(shell pkg-config --cflags lua5.4 2>/dev/null || echo -I/usr/include/lua5.4)
# lua-compat53 ships its shim under lua5.1; LuaJIT's own headers must win
# (-I comes before -isystem), and the shim's own warnings are not ours.
JIT_CFLAGS   := $(shell pkg-config --cflags luajit 2>/dev/null || echo -I/usr/include/luajit-2.1) -isystem /usr/include/lua5.1

# One folder per layer (see DEVELOPERS.md); csrc/lua is the Lua binding, the
# rest is the Lua-free core that also makes libclevertap.a.
CORE_DIRS := util validate schema engine transport client sms
CORE_SRC := $(sort $(foreach d,$(CORE_DIRS),$(wildcard csrc/$(d)/*.c)))
LUA_SRC  := $(sort $(wildcard csrc/lua/*.c))
INCS     := -Iinclude/clevertap $(foreach d,$(CORE_DIRS) lua,-Icsrc/$(d))

CORE_OBJ  := $(patsubst csrc/%.c,$(BUILD)/obj/core/%.o,$(CORE_SRC))
L54_OBJ   := $(patsubst csrc/%.c,$(BUILD)/obj/lua5.4/%.o,$(LUA_SRC))
JIT_OBJ   := $(patsubst csrc/%.c,$(BUILD)/obj/luajit/%.o,$(LUA_SRC))

# The .d files included below hold rules: `make` alone must still build everything.
.DEFAULT_GOAL := all

# Each object's header dependencies, as the compiler saw them (-MMD -MP).
-include $(CORE_OBJ:.o=.d) $(L54_OBJ:.o=.d) $(JIT_OBJ:.o=.d)

L54_SO  := $(BUILD)/lua5.4/clevertap/core.so
JIT_SO  := $(BUILD)/luajit/clevertap/core.so
LIB_A   := $(BUILD)/libclevertap.a
LIB_SO  := $(BUILD)/libclevertap.so
SONAME  := libclevertap.so.0
LIB_INT := $(BUILD)/obj/libclevertap_internal.a

.PHONY: all build deps test check check-fast spec lint format-check sanitize valgrind fuzz bench sandbox demo clean install install-rock man

all build: $(L54_SO) $(JIT_SO) $(LIB_A) $(LIB_SO) $(LIB_INT)

deps:
	@tools/deps.sh build

$(BUILD)/obj/core/%.o: csrc/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(DEPS_CFLAGS) -c $< -o $@

$(BUILD)/obj/lua5.4/%.o: csrc/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(DEPS_CFLAGS) $(LUA54_CFLAGS) -c $< -o $@

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
	  'Version: $(VERSION)' 'Requires.private: libcurl jansson' \
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

clean:
	rm -rf build
