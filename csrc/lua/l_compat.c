/* The lua-compat53 shim's definitions, compiled once into the LuaJIT build
 * (symbols stay module-private through -fvisibility=hidden). */
#include "l_compat.h"

#if LUA_VERSION_NUM < 502
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wstrict-prototypes"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#include <compat-5.3.c>
#pragma GCC diagnostic pop
#else
typedef int ct_l_compat_unused; /* ISO C forbids an empty translation unit */
#endif
