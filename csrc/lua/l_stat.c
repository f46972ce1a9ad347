/* core.file_stat(path): a file's size and modification time, so that a
 * resumed CLI send can refuse an identities file changed since the journal
 * recorded it, and --failed-ids refuse the --ids file under another name
 * (Lua's io library has no stat). */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "l_core.h"

/* core.file_stat(path) -> { size =, mtime =, mtime_ns =, dev =, ino = } | nil, message */
static int l_file_stat(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    struct stat st;
    if (stat(path, &st) != 0) {
        lua_pushnil(L);
        lua_pushfstring(L, "%s: %s", path, strerror(errno));
        return 2;
    }
    lua_createtable(L, 0, 5);
    lua_pushinteger(L, (lua_Integer)st.st_size);
    lua_setfield(L, -2, "size");
    lua_pushinteger(L, (lua_Integer)st.st_mtim.tv_sec);
    lua_setfield(L, -2, "mtime");
    lua_pushinteger(L, (lua_Integer)st.st_mtim.tv_nsec);
    lua_setfield(L, -2, "mtime_ns");
    /* the same file under two names (--failed-ids naming the --ids file) */
    lua_pushinteger(L, (lua_Integer)st.st_dev);
    lua_setfield(L, -2, "dev");
    lua_pushinteger(L, (lua_Integer)st.st_ino);
    lua_setfield(L, -2, "ino");
    return 1;
}

void ct_l_open_stat(lua_State *L)
{
    lua_pushcfunction(L, l_file_stat);
    lua_setfield(L, -2, "file_stat");
}
