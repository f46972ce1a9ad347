/* Internal face of the C client (ct_client.c) for the Lua binding: the
 * engine and lanes behind a client, job options per endpoint, and the libcurl
 * driver. The public C API is clevertap_client.h. */
#ifndef CT_CLIENT_H
#define CT_CLIENT_H

#include "clevertap_client.h"
#include "ct_engine.h"

typedef struct ct_client_ext {
    int generic;          /* 1: no CleverTap credentials (generic request runner) */
    const char *ua_extra; /* appended to the User-Agent, e.g. "(lua)" */
    int lua_transport;    /* 1: requests go to a Lua transport, not libcurl */
    unsigned long long seed;
} ct_client_ext;

ct_client *ct_client_new_ext(const ct_client_opts *o, const ct_client_ext *x, char *err, size_t errlen);
ct_engine *ct_client_engine(ct_client *c);
/* Ends every job now (ct_engine_shutdown): libcurl transfers are dropped
 * and unknown, queued work never sent. For a client about to be freed
 * whose jobs' reports are still wanted. */
void ct_client_shutdown(ct_client *c, const char *why);
/* Fills o for a call to endpoint ("send/push", "targets/list", ...); 0 when
 * the endpoint is unknown. */
int ct_client_job_opts(ct_client *c, const char *endpoint, ct_job_opts *o);
/* Job options for generic requests on a new lane. */
int ct_client_generic_opts(ct_client *c, const ct_lane_opts *lane, ct_job_opts *o);
int ct_client_lane_of(ct_client *c, const char *endpoint);
/* Drives libcurl (see ct_curl_poll); returns requests that finished. */
int ct_client_drive(ct_client *c, int timeout_ms);
const char *ct_client_user_agent(const ct_client *c);
const char *ct_client_base_url(const ct_client *c);
/* base_url + "/" + endpoint + ".json", malloc'd (the caller frees); NULL when out of memory */
char *ct_client_url(const ct_client *c, const char *endpoint);
/* A batch job with a journal, shared with the Lua binding. A new journal
 * at path (resume = 0) or the journal's send resumed (resume = 1: channel
 * and rest are then taken from it and may be NULL; src->next NULL = no
 * source given). *jr_out receives the journal, which the caller closes
 * (ct_client_journal_end) once it lets the job go. NULL with err on error:
 * nothing is sent then. */
struct ct_journal;
ct_job *ct_client_journaled_batch(ct_client *c, const char *channel, const char *rest, size_t rest_len,
                                  const ct_source *src, const char *path, int resume, const ct_send_opts *o,
                                  struct ct_journal **jr_out, char *err, size_t errlen);
/* Detaches the journal from its job (if still alive) and closes it. */
void ct_client_journal_end(ct_job *j, struct ct_journal *jr);
/* Header value check shared with Lua: 0 when value may be sent. */
const char *ct_header_value_problem(const char *v);

#endif
