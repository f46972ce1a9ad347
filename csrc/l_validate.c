/* Placeholder until the validation binding lands: registers nothing. */
#include "l_core.h"

void ct_l_open_validate(lua_State *L)
{
    (void)L;
}
