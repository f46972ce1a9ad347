/* The shared limiter's Redis script for Lua members: the nginx cosocket
 * limiter (lua/clevertap/limit/redis_ngx.lua) sends the C limiter's own
 * text, so C processes, Lua processes and nginx workers of one account run
 * one script on the same keys and cannot drift apart. */
#include "l_core.h"
#include "ct_limit.h"

/* core.limiter_script() -> script text, sliding window (ms) */
static int l_limiter_script(lua_State *L)
{
    size_t len;
    int span;
    const char *s = ct_limiter_redis_script(&len, &span);
    lua_pushlstring(L, s, len);
    lua_pushinteger(L, span);
    return 2;
}

void ct_l_open_limit(lua_State *L)
{
    lua_pushcfunction(L, l_limiter_script);
    lua_setfield(L, -2, "limiter_script");
}
