#!/bin/sh
# Every Lua the rockspec claims (5.1, 5.2, 5.3, 5.4, LuaJIT 2.1) builds the
# module from its own headers only (no lua-compat53 on the include path) and
# loads it: validation, encoding, a client, the 5.2 calls l_compat.h provides
# on a 5.1 API (uservalues, setfuncs, tolstring of odd keys).
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
make -s BUILD="$BUILD" lua5.1 lua5.2 lua5.3 lua5.4 luajit >/dev/null
for v in lua5.1 lua5.2 lua5.3 lua5.4 luajit; do
  command -v "$v" >/dev/null || { echo "FAIL: $v not installed (tools/deps.sh test)"; exit 1; }
  # The objects were compiled without Debian's compat-5.3 directory in sight.
  if grep -l 'compat-5.3' "$BUILD/obj/$v/lua/"*.d >/dev/null 2>&1; then
    echo "FAIL: the $v build includes compat-5.3.h"; exit 1
  fi
  LUA_PATH="$PWD/lua/?.lua;$PWD/lua/?/init.lua;;" LUA_CPATH="$PWD/$BUILD/$v/?.so;;" "$v" -e '
    local ct = require "clevertap"
    local core = require "clevertap.core"
    assert(package.loaded["clevertap.core"] == core)
    assert(ct.validate("targets/stop", { id = 1700000001 }))
    local ok, problems = ct.validate("targets/create", { target_mode = "sms", when = "now" })
    assert(not ok and #problems >= 2, "an invalid payload passed")
    assert(tostring(problems):find("content", 1, true), tostring(problems))
    -- the C core names unknown option keys through luaL_tolstring
    local okb, eb = pcall(core.validate, "targets/stop", { id = 1 }, { [true] = 1 })
    assert(not okb and tostring(eb):find("unknown option .true.", 1), tostring(eb))
    local okn, en = pcall(core.validate, "targets/stop", { id = 1 }, { [2.5] = 1 })
    assert(not okn and tostring(en):find("unknown option .2.5.", 1), tostring(en))
    local json = assert(core.encode("targets/stop", { id = 1700000001 }))
    assert(json == "{\"id\":1700000001}", json)
    -- a client keeps its jobs in a uservalue table; methods come from setfuncs
    local c = assert(ct.new { account_id = "a", passcode = "p", base_url = "http://127.0.0.1:9/1" })
    assert(type(c.close) == "function")
    c:close()
    collectgarbage()
    io.write(_VERSION, (jit and (" " .. jit.version) or ""), ": ok\n")
  ' || { echo "FAIL: $v"; exit 1; }
done
