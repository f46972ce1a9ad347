/* Internals shared by the files of the client binding: l_client.c (the
 * client object), l_send.c (starting jobs), l_identities.c (a send's
 * identities), l_generic.c (Lua-defined request sources), l_drive.c
 * (driving), l_job.c (the job and its report), l_journal.c (reading
 * journals), l_field.c (raw option reads). */
#ifndef CT_L_CLIENT_H
#define CT_L_CLIENT_H

#include "l_compat.h"
#include "ct_engine.h"

#define CLIENT_MT "clevertap.core.client"
#define JOB_MT "clevertap.core.job"
#define CT_MAX_REQ_HEADERS 64

typedef struct ljob ljob;

typedef struct lclient {
    ct_client *c;
    lua_State *L;
    ljob *jobs; /* every job userdata still bound to this client */
    int closed;
    int depth;         /* > 0 inside a step of the engine (Lua callbacks may run) */
    int close_pending; /* close() was called from inside a step: done when it ends */
    int lua_transport;
} lclient;

enum { J_SINGLE, J_BATCH, J_GENERIC };
enum { LC_SRC_UNSET, LC_SRC_ARRAY, LC_SRC_ITER, LC_SRC_NONE };

struct ljob {
    ct_job *j;
    lclient *cl;
    int kind;
    /* batch source */
    int to_ref, hold_ref;
    int errh_ref; /* the message handler of the iterators' errors (on_iterator_error), or LUA_NOREF */
    int iter_ref; /* the current type's iterator, read from `to` once when the type starts */
    int ctl_ref;  /* { stop = true once stopped, hold = the latest run's values }, read by the pump */
    int stopped;  /* cancelled, held or closed from inside the source: nothing more is read */
    int type;
    int src_kind; /* LC_SRC_*: what `to` holds for `type` (hold_ref anchors the
                     array, or an iterator's latest run) */
    lua_Integer i, n;
    int iter_failed; /* the iterator raised after handing over part of a run */
    ct_err iter_err; /* ...this error, returned by the next call */
    /* generic source and classifier */
    int next_ref, classify_ref;
    const char *hdrs[CT_MAX_REQ_HEADERS];
    struct ct_journal *jr; /* a journaled send's journal, closed with the job */
    int listed;            /* in cl->jobs */
    ljob *prev, *next;
};

/* l_client.c: the client object */
lclient *lc_check_client(lua_State *L, int i);
/* Raises when called from inside one of the client's own callbacks. */
void lc_check_not_in_step(lua_State *L, const lclient *cl, const char *what);
/* Around a step of the engine, which may run Lua callbacks: a close asked
 * for inside one happens when the outermost step ends. */
void lc_step_begin(lua_State *L, lclient *cl, const char *what);
void lc_step_end(lua_State *L, lclient *cl);
/* The client's uservalue: { jobs = {[lightuserdata] = job}, finished = {job...} } */
void lc_push_uv_field(lua_State *L, int client_idx, const char *field);

/* l_field.c: raw field reads (these also run inside engine callbacks,
 * where a metamethod raising an error must not unwind through C) */
void lc_raw_field(lua_State *L, int t, const char *k);
lua_Number lc_opt_num(lua_State *L, int t, const char *k, lua_Number d);
const char *lc_opt_str(lua_State *L, int t, const char *k);
int lc_opt_bool(lua_State *L, int t, const char *k);

/* l_job.c: the job object */
ljob *lc_check_job(lua_State *L, int i);
/* A job userdata of kind J_* on the stack, listed with its client. */
ljob *lc_job_new(lua_State *L, lclient *cl, int client_idx, int kind);
/* Registers a started job as running (strong reference until finished). */
void lc_job_track(lua_State *L, ljob *lj, int client_idx, int job_idx);
/* Moves finished jobs from the engine to the client's `finished` list. */
void lc_drain_finished(lua_State *L, lclient *cl, int client_idx);
void lc_job_unbind(ljob *lj, lua_State *L);
/* Closes a job's journal (before the job itself is let go). */
void lc_job_end_journal(ljob *lj);
/* At close: the job keeps its (now complete) report, detached from the engine. */
void lc_job_orphan(ljob *lj, lua_State *L);
void lc_push_err(lua_State *L, const ct_err *e);
/* Registers the job metatable. */
void lc_open_job(lua_State *L);

/* l_identities.c: a send's identities */
/* Pushes the problems of `to` (at index t); *total = identities, -1 with
 * iterators; arrays_checked: the caller checked the arrays (not read again). */
void lc_check_to(lua_State *L, int t, long long *total, int arrays_checked);
/* Pushes the identity types, in the order batches list them. */
void lc_push_identity_types(lua_State *L);
int lc_batch_next(void *ud, size_t max, ct_idrun *run, ct_err *err);
/* From inside the job's identity iterator (a cancel, a hold, a close): the
 * iterator is not called again. */
void lc_source_stop(lua_State *L, ljob *lj);
/* The registry slots a batch source uses (hold_ref, iter_ref, ctl_ref), made
 * when the job starts: the engine's callbacks then only fill them. */
void lc_source_refs(lua_State *L, ljob *lj);

/* Each file's client methods and module functions, registered by l_client.c. */
extern const luaL_Reg lc_send_methods[];
extern const luaL_Reg lc_generic_methods[];
extern const luaL_Reg lc_drive_methods[];
extern const luaL_Reg lc_drive_functions[];
extern const luaL_Reg lc_journal_functions[];
extern const luaL_Reg lc_identities_functions[];

#endif
