rockspec_format = "3.0"
package = "lua-clevertap"
version = "scm-1"
source = {
  url = "git+https://github.com/lua-clevertap/lua-clevertap.git",
}
description = {
  summary = "CleverTap campaigns from Lua: complete validation, batching and sending over libcurl",
  detailed = [[
A C core (schema-driven validation, identity batching, libcurl multi transport
with limits and retries) and a Lua façade for CleverTap's campaign, send,
Bulletin and Generic SMS APIs. Works with Lua 5.4 and LuaJIT 2.1 (OpenResty).
]],
  license = "MIT",
  homepage = "https://github.com/lua-clevertap/lua-clevertap",
}
dependencies = {
  "lua >= 5.1",
  "lua-cjson",
}
external_dependencies = {
  CURL = { library = "curl" },
  JANSSON = { header = "jansson.h" },
}
build = {
  type = "builtin",
  modules = {
    ["clevertap.core"] = {
      sources = {
        "csrc/l_compat.c",
        "csrc/l_core.c",
        "csrc/l_validate.c",
        "csrc/l_client.c",
      },
      defines = { "_POSIX_C_SOURCE=200809L", "_DEFAULT_SOURCE" },
      incdirs = { "csrc", "$(JANSSON_INCDIR)", "/usr/include/lua5.1" },
      libdirs = { "$(CURL_LIBDIR)" },
      libraries = { "curl", "jansson" },
    },
    ["clevertap"] = "lua/clevertap/init.lua",
  },
  install = {
    bin = {},
  },
}
