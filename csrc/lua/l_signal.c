/* core.trap_signals(), core.pending_signal(), core.untrap_signals(): a
 * clean stop of `clevertap send` on SIGINT and SIGTERM (docs/cli.md).
 *
 * The handler only records the signal; the CLI polls it between steps of
 * its send and stops there, where the journal and the report are in a
 * known state. Nothing else is safe in a handler: no Lua, no allocation,
 * no SQLite.
 *
 * `pending` is the one process global of the library, and it cannot be
 * avoided: a signal handler receives no user data, so what it records can
 * only live in static storage. It is a volatile sig_atomic_t, the one type
 * a handler may write and the program read: 0 = no signal, N > 0 = signal
 * N, -N = signal N and at least one more after it (a second Ctrl-C: stop
 * at once). Both fit in the -127..127 a sig_atomic_t always holds. */
#include <signal.h>
#include <string.h>

#include "l_core.h"

static volatile sig_atomic_t pending = 0;

static void on_signal(int sig)
{
    if (pending == 0) pending = (sig_atomic_t)sig;
    else if (pending > 0) pending = (sig_atomic_t)-pending;
}

/* flags: SA_RESTART or 0 */
static int set_handler(lua_State *L, int sig, void (*fn)(int), int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fn;
    sigemptyset(&sa.sa_mask);
    /* both blocked while the handler runs: the read-modify-write of
     * `pending` is not interrupted by the other one */
    sigaddset(&sa.sa_mask, SIGINT);
    sigaddset(&sa.sa_mask, SIGTERM);
    sa.sa_flags = flags;
    if (sigaction(sig, &sa, NULL) != 0) return luaL_error(L, "sigaction failed");
    return 0;
}

static int set_handlers(lua_State *L, void (*fn)(int))
{
    set_handler(L, SIGINT, fn, 0);
    return set_handler(L, SIGTERM, fn, 0);
}

/* opts.only of the optional options table at 1: 0 (both), SIGINT or SIGTERM */
static int opt_only(lua_State *L)
{
    if (lua_isnoneornil(L, 1)) return 0;
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_getfield(L, 1, "only");
    int only = (int)luaL_optinteger(L, -1, 0);
    lua_pop(L, 1);
    if (only && only != SIGINT && only != SIGTERM) luaL_argerror(L, 1, "opts.only: SIGINT or SIGTERM expected");
    return only;
}

static int opt_keep(lua_State *L)
{
    if (lua_isnoneornil(L, 1)) return 0;
    lua_getfield(L, 1, "keep");
    int keep = lua_toboolean(L, -1);
    lua_pop(L, 1);
    return keep;
}

/* core.trap_signals([opts]): SIGINT and SIGTERM are recorded, not fatal,
 * until core.untrap_signals(), and interrupt a wait (no SA_RESTART: a
 * poll(2) returns early). A signal recorded earlier is forgotten unless
 * opts.keep. opts.only = N traps signal N alone, and system calls it
 * interrupts restart: a read of the identities or of an answer goes on,
 * instead of looking like the end of its input. */
static int l_trap_signals(lua_State *L)
{
    int only = opt_only(L);
    if (!opt_keep(L)) pending = 0;
    if (only) return set_handler(L, only, on_signal, SA_RESTART);
    set_handlers(L, on_signal);
    return 0;
}

/* core.untrap_signals([opts]): SIGINT and SIGTERM (opts.only = N: signal N
 * alone) back to their default action; a signal recorded is forgotten. */
static int l_untrap_signals(lua_State *L)
{
    int only = opt_only(L);
    if (only) set_handler(L, only, SIG_DFL, 0);
    else set_handlers(L, SIG_DFL);
    pending = 0;
    return 0;
}

/* core.pending_signal() -> nil | signal number, count (1, or 2 for "more
 * than one") */
static int l_pending_signal(lua_State *L)
{
    sig_atomic_t p = pending;
    if (p == 0) {
        lua_pushnil(L);
        return 1;
    }
    lua_pushinteger(L, (lua_Integer)(p > 0 ? p : -p));
    lua_pushinteger(L, p > 0 ? 1 : 2);
    return 2;
}

/* The numbers scripts compare with (and the exit codes 128 + N). */
static void push_numbers(lua_State *L)
{
    lua_createtable(L, 0, 2);
    lua_pushinteger(L, SIGINT);
    lua_setfield(L, -2, "SIGINT");
    lua_pushinteger(L, SIGTERM);
    lua_setfield(L, -2, "SIGTERM");
}

void ct_l_open_signal(lua_State *L)
{
    lua_pushcfunction(L, l_trap_signals);
    lua_setfield(L, -2, "trap_signals");
    lua_pushcfunction(L, l_untrap_signals);
    lua_setfield(L, -2, "untrap_signals");
    lua_pushcfunction(L, l_pending_signal);
    lua_setfield(L, -2, "pending_signal");
    push_numbers(L);
    lua_setfield(L, -2, "signals");
}
