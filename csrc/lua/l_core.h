#ifndef CT_L_CORE_H
#define CT_L_CORE_H

#include "l_compat.h"
#include "clevertap.h"

/* Each concern (l_<concern>.c) adds its functions to the module table at the
 * top of the stack. */
void ct_l_open_validate(lua_State *L);
void ct_l_open_client(lua_State *L);
void ct_l_open_sms(lua_State *L);

#endif
