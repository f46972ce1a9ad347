/* Placeholder until the client binding lands: registers nothing. */
#include "l_core.h"

void ct_l_open_client(lua_State *L)
{
    (void)L;
}
