/* luaopen_clevertap_core: the Lua face of the C core. Each concern registers
 * its own functions (l_*.c); this file only gathers them. */
#include "l_core.h"

CT_EXPORT int luaopen_clevertap_core(lua_State *L)
{
    lua_newtable(L);
    ct_l_open_validate(L);
    ct_l_open_client(L);
    ct_l_open_sms(L);
    ct_l_open_limit(L);
    ct_l_open_signal(L);
    ct_l_open_stat(L);
    ct_l_open_state(L);
    lua_pushliteral(L, CT_VERSION);
    lua_setfield(L, -2, "version");
    lua_pushinteger(L, CT_DEFAULT_SEND_CONCURRENCY);
    lua_setfield(L, -2, "default_concurrency");
    return 1;
}
