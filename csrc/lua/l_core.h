#ifndef CT_L_CORE_H
#define CT_L_CORE_H

#include "l_compat.h"
#include "clevertap.h"

/* The module's entry point, the one symbol core.so exports. */
CT_EXPORT int luaopen_clevertap_core(lua_State *L);

/* Each concern (l_<concern>.c) adds its functions to the module table at the
 * top of the stack. */
void ct_l_open_validate(lua_State *L);
void ct_l_open_client(lua_State *L);
void ct_l_open_sms(lua_State *L);
void ct_l_open_limit(lua_State *L);
void ct_l_open_signal(lua_State *L);
void ct_l_open_stat(lua_State *L);
void ct_l_open_state(lua_State *L);

#endif
