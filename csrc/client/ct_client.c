/* The C client: credentials, regions, lanes and job options over the engine,
 * libcurl as its transport, and the public C API of clevertap_client.h. */
#include "ct_client.h"
#include "ct_curl.h"
#include "ct_sb.h"
#include "ct_str.h"
#include "clevertap.h"
#include "ct_validate.h"
#include "ct_walk.h"
#include "ct_schema.h"
#include "ct_journal.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <errno.h>
#include <unistd.h>

enum { H_ACCOUNT, H_PASSCODE, H_CTYPE, H_UA, H_N };

struct ct_client {
    ct_engine *e;
    ct_curl *curl;
    int lua_transport, generic;
    char *base_url;
    char *passcode;
    char *hdr[H_N];
    char *ca_file;
    int insecure;
    size_t max_body; /* response cap handed to the libcurl transport */
    long connect_timeout_ms, timeout_ms;
    ct_retry retry;
    int resend_unknown;
    int send_concurrency;
    int lane_targets, lane_create, lane_send;
    ct_call *calls; /* live campaign calls, detached when the client goes */
};

struct ct_call {
    ct_client *c;         /* NULL once the client is freed */
    ct_call *prev, *next; /* the client's live calls */
    ct_job *job;          /* the request in progress; NULL once done */
    int done;
    int async;        /* an async estimate: follow its req_id */
    int64_t deadline; /* async estimate: ct_now_ms() after which it is a timeout */
    long timeout_ms;
    ct_err err; /* kind CT_EK_NONE on success */
    int status;
    char *body;
    size_t body_len;
    long long id, requests;
};

/* The regions and their API hosts (docs/client.md): the one list, which the
 * unknown-region message shows. The first is the default. */
static const struct {
    const char *name, *host;
} regions[] = {
    { "eu1", "api.clevertap.com" },     { "in1", "in1.api.clevertap.com" },   { "sg1", "sg1.api.clevertap.com" },
    { "us1", "us1.api.clevertap.com" }, { "aps3", "aps3.api.clevertap.com" }, { "mec1", "mec1.api.clevertap.com" },
};

static void seterr(char *err, size_t n, const char *fmt, ...)
{
    if (!err || !n) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, n, fmt, ap);
    va_end(ap);
}

const char *ct_header_value_problem(const char *v)
{
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        if (*p == '\r' || *p == '\n') return "must not contain CR or LF";
        if (*p < 0x20 && *p != '\t') return "must not contain control characters";
    }
    return NULL;
}

static char *header_line(const char *name, const char *value)
{
    ct_sb b;
    ct_sb_init(&b);
    ct_sb_adds(&b, name);
    ct_sb_adds(&b, ": ");
    ct_sb_adds(&b, value);
    return ct_sb_take(&b, NULL);
}

static const char *env_or(const char *v, const char *name)
{
    if (v) return v;
    const char *e = getenv(name);
    return (e && *e) ? e : NULL;
}

static ct_curl *new_curl(const ct_client *c)
{
    /* enough idle connections for every lane's cap */
    ct_curl_opts co = { c->ca_file, !c->insecure, NULL, 0, (long)c->send_concurrency + 16, c->max_body };
    return ct_curl_new(&co);
}

void ct_client_shutdown(ct_client *c, const char *why)
{
    /* the transfers hold requests: they go first, then the engine */
    ct_curl_free(c->curl, c->e);
    c->curl = NULL;
    ct_engine_shutdown(c->e, ct_now_ms(), why);
}

static void detach_calls(ct_client *c);

void ct_client_free(ct_client *c)
{
    if (!c) return;
    detach_calls(c);
    /* send jobs the caller still holds end with their reports complete and
     * outlive the client, until ct_client_job_free; a client whose
     * construction failed before its engine existed has none */
    if (c->e) {
        ct_client_shutdown(c, "the client was freed");
        ct_engine_detach_jobs(c->e);
    } else {
        ct_curl_free(c->curl, NULL);
    }
    ct_engine_free(c->e);
    for (int i = 0; i < H_N; i++) free(c->hdr[i]);
    free(c->base_url);
    if (c->passcode) {
        memset(c->passcode, 0, strlen(c->passcode));
        free(c->passcode);
    }
    free(c->ca_file);
    free(c);
}

/* A base URL as libcurl itself parses it, so what is checked is what is
 * used: http or https, a host, a port in range, and nothing that would hide
 * where the passcode goes or bend every path built on it (userinfo, which
 * libcurl turns into a Basic Authorization header; a query; a fragment).
 * Returns a copy without trailing slashes, or NULL with err set. */
static char *checked_base_url(const char *base, char *err, size_t errlen)
{
    const char *why = ct_header_value_problem(base);
    if (why || strchr(base, ' ')) {
        seterr(err, errlen, "base_url: must not contain spaces or control characters");
        return NULL;
    }
    if (strncmp(base, "http://", 7) != 0 && strncmp(base, "https://", 8) != 0) {
        seterr(err, errlen, "base_url: must start with http:// or https://");
        return NULL;
    }
    CURLU *u = curl_url();
    if (!u) {
        seterr(err, errlen, "out of memory");
        return NULL;
    }
    char *copy = NULL;
    char *part = NULL;
    if (curl_url_set(u, CURLUPART_URL, base, 0) != CURLUE_OK) {
        seterr(err, errlen, "base_url: not a valid URL (scheme://host[:port][/path])");
        goto done;
    }
    if (curl_url_get(u, CURLUPART_HOST, &part, 0) != CURLUE_OK || !part || !*part) {
        seterr(err, errlen, "base_url: needs a host");
        goto done;
    }
    curl_free(part);
    part = NULL;
    static const struct {
        CURLUPart part;
        const char *what;
    } refused[] = {
        { CURLUPART_USER, "userinfo ('user:password@'): the account id and passcode go in headers" },
        { CURLUPART_PASSWORD, "userinfo ('user:password@'): the account id and passcode go in headers" },
        { CURLUPART_QUERY, "a query ('?'): request paths are appended to it" },
        { CURLUPART_FRAGMENT, "a fragment ('#'): request paths are appended to it" },
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        if (curl_url_get(u, refused[i].part, &part, 0) == CURLUE_OK && part) {
            seterr(err, errlen, "base_url: must not contain %s", refused[i].what);
            goto done;
        }
    }
    /* a '?' or '#' with nothing after it is not reported as a part */
    if (strpbrk(base, "?#")) {
        seterr(err, errlen, "base_url: must not contain a query or fragment ('?' or '#')");
        goto done;
    }
    if (!(copy = ct_strdup(base))) {
        seterr(err, errlen, "out of memory");
        goto done;
    }
    for (size_t n = strlen(copy); n && copy[n - 1] == '/';) copy[--n] = '\0';
done:
    curl_free(part);
    curl_url_cleanup(u);
    return copy;
}

/* The base URL of region r (NULL: the default), or NULL with err set: an
 * unknown region's message lists the known ones. */
static char *region_url(const char *r, char *err, size_t errlen)
{
    size_t n = sizeof regions / sizeof regions[0];
    for (size_t i = 0; i < n; i++) {
        if (r && strcmp(regions[i].name, r) != 0) continue;
        ct_sb b;
        ct_sb_init(&b);
        ct_sb_printf(&b, "https://%s/1", regions[i].host);
        char *url = ct_sb_take(&b, NULL);
        if (!url) seterr(err, errlen, "out of memory");
        return url;
    }
    ct_sb b;
    ct_sb_init(&b);
    for (size_t i = 0; i < n; i++) ct_sb_printf(&b, "%s%s", i ? ", " : "", regions[i].name);
    seterr(err, errlen, "region: unknown region '%.40s' (known: %s)", r, b.p && !b.oom ? b.p : "?");
    ct_sb_free(&b);
    return NULL;
}

char *ct_client_url(const ct_client *c, const char *endpoint)
{
    size_t n = strlen(c->base_url) + strlen(endpoint) + sizeof "/.json";
    char *url = malloc(n);
    if (url) snprintf(url, n, "%s/%s.json", c->base_url, endpoint);
    return url;
}

/* The shared limiter of o->limiter (or CLEVERTAP_LIMITER): the lanes'
 * limits become the account's. 0 with err set when the options are wrong
 * (a redis URL's password never appears in err). */
static int setup_limiter(ct_client *c, const ct_client_opts *o, const char *account, double sr, double cr,
                         uint64_t seed, char *err, size_t errlen)
{
    const char *url = env_or(o->limiter, "CLEVERTAP_LIMITER");
    int fail = CT_FAIL_CLOSED;
    if (o->fail_mode && strcmp(o->fail_mode, "local") == 0) fail = CT_FAIL_LOCAL;
    else if (o->fail_mode && strcmp(o->fail_mode, "closed") != 0) {
        seterr(err, errlen, "fail_mode: must be \"closed\" or \"local\"");
        return 0;
    }
    if (!url || strcmp(url, "local") == 0) return 1;
    if (strncmp(url, "shdict:", 7) == 0) {
        seterr(err, errlen, "limiter: shdict:NAME works inside nginx (OpenResty's ngx.shared) only");
        return 0;
    }
    if (strncmp(url, "redis://", 8) != 0) {
        /* not echoed: it may be a mistyped URL holding a password */
        seterr(err, errlen,
               "limiter: unknown limiter (known: \"local\", \"shdict:NAME\", "
               "\"redis://[user:pass@]host:port[/db]\")");
        return 0;
    }
    ct_limiter_cfg lc = { url, account, fail, o->limiter_lease_ms, o->limiter_members, seed };
    ct_limiter *lim = ct_limiter_redis_new(&lc, err, errlen);
    if (!lim) return 0;
    ct_engine_set_limiter(c->e, lim);
    ct_limit_def targets = {
        "targets_concurrency", CT_LIMIT_SEM, 0, 1, o->targets_concurrency > 0 ? o->targets_concurrency : 3, 1
    };
    if (ct_engine_lane_share(c->e, c->lane_targets, &targets) < 0) goto oom;
    if (cr > 0) {
        /* paced 10% below, as the local lane */
        ct_limit_def create = { "create_rate", CT_LIMIT_BUCKET, cr, 1, 0, 1 / 1.1 };
        if (ct_engine_lane_share(c->e, c->lane_create, &create) < 0) goto oom;
    }
    if (sr > 0) {
        /* paced 3% below the account's rate, with 10 ms worth of burst:
         * the server counts arrivals, and requests from several hosts
         * reach it with some jitter, so a grant window exactly at the
         * rate would let a sliding second see a little more (at most
         * 970 + 10 a second leaves room for a few ms of it) */
        double sburst = sr / 100.0 < 1 ? 1 : sr / 100.0;
        ct_limit_def send = { "send_rate", CT_LIMIT_BUCKET, sr, sburst, 0, 0.97 };
        if (ct_engine_lane_share(c->e, c->lane_send, &send) < 0) goto oom;
    }
    if (o->limiter_send_concurrency) {
        ct_limit_def conc = { "send_concurrency", CT_LIMIT_SEM, 0, 1, c->send_concurrency, 1 };
        if (ct_engine_lane_share(c->e, c->lane_send, &conc) < 0) goto oom;
    }
    return 1;
oom:
    seterr(err, errlen, "out of memory");
    return 0;
}

/* ---- construction, phase by phase ---------------------------------------- */

/* Rates of the options: 0 takes the documented limit, a negative one none. */
static double create_rate(const ct_client_opts *o)
{
    return o->create_rate == 0 ? 1.0 : (o->create_rate < 0 ? 0 : o->create_rate);
}

static double send_rate(const ct_client_opts *o)
{
    return o->send_rate == 0 ? 1000.0 : (o->send_rate < 0 ? 0 : o->send_rate);
}

/* Phase 1: the options with their defaults. 0 with err set when the CA
 * file cannot be read or copied. */
static int take_options(ct_client *c, const ct_client_opts *o, const ct_client_ext *x, char *err, size_t errlen)
{
    c->generic = x->generic;
    c->lua_transport = x->lua_transport;
    c->connect_timeout_ms = o->connect_timeout_ms > 0 ? o->connect_timeout_ms : 10000;
    c->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 30000;
    c->retry.attempts = o->retry_attempts > 0 ? o->retry_attempts : 5;
    c->retry.base_ms = o->retry_base_ms > 0 ? o->retry_base_ms : 500;
    c->retry.max_ms = o->retry_max_ms > 0 ? o->retry_max_ms : 30000;
    c->retry.total_ms = o->retry_total_ms > 0 ? o->retry_total_ms : 120000;
    c->resend_unknown = o->resend_unknown;
    c->insecure = o->insecure;
    c->max_body = o->max_body > 0 ? (size_t)o->max_body : CT_CURL_MAX_BODY;
    c->send_concurrency = o->send_concurrency > 0 ? o->send_concurrency : CT_DEFAULT_SEND_CONCURRENCY;
    if (o->ca_file && !(c->ca_file = ct_strdup(o->ca_file))) {
        seterr(err, errlen, "out of memory");
        return 0;
    }
    /* a missing CA file would otherwise surface as a network error on every
     * request, retried as if the server were down */
    if (o->ca_file && access(o->ca_file, R_OK) != 0) {
        seterr(err, errlen, "ca_file: cannot read '%.200s': %s", o->ca_file, strerror(errno));
        return 0;
    }
    return 1;
}

/* Phase 2: the engine and its three lanes (targets, creates under them,
 * sends). 0 when out of memory. */
static int make_engine(ct_client *c, const ct_client_opts *o, uint64_t seed)
{
    if (!(c->e = ct_engine_new(seed))) return 0;
    if (o->retry_quota != 0) ct_engine_set_retry_quota(c->e, o->retry_quota);
    ct_lane_opts lt = { o->targets_concurrency > 0 ? o->targets_concurrency : 3, 0, 1, -1 };
    c->lane_targets = ct_engine_lane(c->e, &lt);
    /* paced 10% below the limit: the server counts arrivals, and one request
     * may take longer to arrive (a new connection) than the next */
    ct_lane_opts lc = { 0, create_rate(o) / 1.1, 1, c->lane_targets };
    c->lane_create = ct_engine_lane(c->e, &lc);
    double sr = send_rate(o);
    /* a burst of 50 ms worth of requests: a refilling pipeline starts at
     * once, and no second sees more than 5% over the rate */
    double burst = sr / 20.0;
    if (burst > c->send_concurrency) burst = c->send_concurrency;
    if (burst < 1) burst = 1;
    ct_lane_opts ls = { c->send_concurrency, sr, burst, -1 };
    c->lane_send = ct_engine_lane(c->e, &ls);
    return c->lane_targets >= 0 && c->lane_create >= 0 && c->lane_send >= 0;
}

/* Phase 3: the transport and the User-Agent every request carries. 0 when
 * out of memory. */
static int make_transport(ct_client *c, const ct_client_ext *x)
{
    /* the multi handle now, not in the first poll: a game host's first
     * frame should not pay for it (a Lua transport needs none) */
    if (!c->lua_transport && !(c->curl = new_curl(c))) return 0;
    char ua[160];
    if (x->lua_transport)
        snprintf(ua, sizeof ua, "lua-clevertap/%s%s%s", CT_VERSION, x->ua_extra ? " " : "",
                 x->ua_extra ? x->ua_extra : "");
    else
        snprintf(ua, sizeof ua, "lua-clevertap/%s %s%s%s", CT_VERSION, ct_curl_version(), x->ua_extra ? " " : "",
                 x->ua_extra ? x->ua_extra : "");
    return (c->hdr[H_UA] = header_line("User-Agent", ua)) != NULL;
}

/* Phase 4: the account's credentials, where requests go, the headers that
 * carry them, and the shared limiter. 0 with err set. */
static int take_account(ct_client *c, const ct_client_opts *o, uint64_t seed, char *err, size_t errlen)
{
    const char *account = env_or(o->account_id, "CLEVERTAP_ACCOUNT_ID");
    const char *pass = env_or(o->passcode, "CLEVERTAP_PASSCODE");
    /* explicit options beat the environment: a region given in code is
     * not overridden by CLEVERTAP_BASE_URL */
    const char *base = o->base_url ? o->base_url : (o->region ? NULL : env_or(NULL, "CLEVERTAP_BASE_URL"));
    const char *region = env_or(o->region, "CLEVERTAP_REGION");
    if (!account) {
        seterr(err, errlen, "account_id: missing (give it or set CLEVERTAP_ACCOUNT_ID)");
        return 0;
    }
    if (!pass) {
        seterr(err, errlen, "passcode: missing (give it or set CLEVERTAP_PASSCODE)");
        return 0;
    }
    const char *why = ct_header_value_problem(account);
    if (why) {
        seterr(err, errlen, "account_id: %s", why);
        return 0;
    }
    if ((why = ct_header_value_problem(pass))) {
        seterr(err, errlen, "passcode: %s", why); /* never the value itself */
        return 0;
    }
    if (!*account) {
        seterr(err, errlen, "account_id: must not be empty");
        return 0;
    }
    if (!*pass) {
        seterr(err, errlen, "passcode: must not be empty");
        return 0;
    }
    c->base_url = base ? checked_base_url(base, err, errlen) : region_url(region, err, errlen);
    if (!c->base_url) return 0;
    if (!(c->passcode = ct_strdup(pass))) goto oom;
    ct_engine_set_secret(c->e, pass);
    if (!(c->hdr[H_ACCOUNT] = header_line("X-CleverTap-Account-Id", account))) goto oom;
    if (!(c->hdr[H_PASSCODE] = header_line("X-CleverTap-Passcode", pass))) goto oom;
    if (!(c->hdr[H_CTYPE] = header_line("Content-Type", "application/json; charset=utf-8"))) goto oom;
    return setup_limiter(c, o, account, send_rate(o), create_rate(o), seed, err, errlen);
oom:
    seterr(err, errlen, "out of memory");
    return 0;
}

ct_client *ct_client_new_ext(const ct_client_opts *o, const ct_client_ext *x, char *err, size_t errlen)
{
    ct_client_opts d;
    memset(&d, 0, sizeof d);
    if (!o) o = &d;
    ct_client_ext xd;
    memset(&xd, 0, sizeof xd);
    if (!x) x = &xd;
    ct_client *c = calloc(1, sizeof *c);
    if (!c) {
        seterr(err, errlen, "out of memory");
        return NULL;
    }
    if (!take_options(c, o, x, err, errlen)) goto fail;
    uint64_t seed = x->seed ? x->seed : ((uint64_t)time(NULL) << 20) ^ (uint64_t)(uintptr_t)c;
    if (!make_engine(c, o, seed) || !make_transport(c, x)) {
        seterr(err, errlen, "out of memory");
        goto fail;
    }
    /* a generic client (clevertap.http) sends to any URL with no account */
    if (!c->generic && !take_account(c, o, seed, err, errlen)) goto fail;
    return c;
fail:
    ct_client_free(c);
    return NULL;
}

ct_client *ct_client_new(const ct_client_opts *o, char *err, size_t errlen)
{
    return ct_client_new_ext(o, NULL, err, errlen);
}

ct_engine *ct_client_engine(ct_client *c) { return c->e; }
const char *ct_client_user_agent(const ct_client *c) { return c->hdr[H_UA] + strlen("User-Agent: "); }
const char *ct_client_base_url(const ct_client *c) { return c->base_url; }

int ct_client_lane_of(ct_client *c, const char *endpoint)
{
    if (strcmp(endpoint, "targets/create") == 0) return c->lane_create;
    if (strncmp(endpoint, "targets/", 8) == 0) return c->lane_targets;
    if (strncmp(endpoint, "send/", 5) == 0) return c->lane_send;
    return -1;
}

static void base_opts(ct_client *c, ct_job_opts *o)
{
    memset(o, 0, sizeof *o);
    o->method = "POST";
    o->timeout_ms = c->timeout_ms;
    o->connect_timeout_ms = c->connect_timeout_ms;
    o->retry = c->retry;
    o->resend_unknown = c->resend_unknown;
}

int ct_client_job_opts(ct_client *c, const char *endpoint, ct_job_opts *o)
{
    static char url_dummy;
    (void)url_dummy;
    if (c->generic) return 0;
    int lane = ct_client_lane_of(c, endpoint);
    if (lane < 0 || !ct_endpoint_known(endpoint)) return 0;
    base_opts(c, o);
    o->lane = lane;
    o->headers = (const char *const *)c->hdr;
    o->nheaders = H_N;
    o->url = NULL; /* the caller builds it with ct_client_url */
    return 1;
}

int ct_client_generic_opts(ct_client *c, const ct_lane_opts *lane, ct_job_opts *o)
{
    int l = ct_engine_lane(c->e, lane);
    if (l < 0) return 0;
    base_opts(c, o);
    o->lane = l;
    o->headers = (const char *const *)&c->hdr[H_UA];
    o->nheaders = 1;
    return 1;
}

int ct_client_drive(ct_client *c, int timeout_ms)
{
    if (!c->curl && !(c->curl = new_curl(c))) return -1;
    return ct_curl_poll(c->curl, c->e, timeout_ms);
}

/* ---- public C API: send jobs ------------------------------------------- */

typedef struct arr_src {
    ct_identity_list *lists;
    size_t nlists, li, i;
    int *types;
    ct_identity_fn fn;
    void *ud;
    ct_journal *jr; /* the job's journal, closed with the job */
} arr_src;

static int arr_next(void *ud, size_t max, ct_idrun *run, ct_err *err)
{
    arr_src *a = ud;
    while (a->li < a->nlists && a->i >= a->lists[a->li].count) {
        a->li++;
        a->i = 0;
    }
    if (a->li >= a->nlists) return 0;
    const ct_identity_list *list = &a->lists[a->li];
    size_t k = 0;
    run->type = a->types[a->li];
    while (k < max && a->i < list->count) {
        run->s[k] = list->ids[a->i++];
        run->len[k] = run->s[k] ? strlen(run->s[k]) : 0;
        k++;
    }
    run->n = k;
    (void)err;
    return 1;
}
/* one identity per run: the callback's string is valid until its next call */
static int fn_next(void *ud, size_t max, ct_idrun *run, ct_err *err)
{
    arr_src *a = ud;
    const char *t = NULL, *id = NULL;
    size_t n = 0;
    int rc = a->fn(a->ud, &t, &id, &n);
    if (rc == 0) return 0;
    if (rc < 0) {
        ct_err_set(err, CT_EK_VALIDATION, 0, 0, "identity source aborted");
        return -1;
    }
    int ty = t ? ct_id_type_from_name(t, strlen(t)) : -1;
    if (ty < 0) {
        ct_err_set(err, CT_EK_VALIDATION, 0, 0, "identity source gave an unknown identity type '%.40s'",
                   t ? t : "(null)");
        return -1;
    }
    (void)max;
    run->type = ty;
    run->s[0] = id ? id : "";
    run->len[0] = id ? n : 0;
    run->n = 1;
    return 1;
}

typedef struct cjob_user {
    arr_src src;
} cjob_user;

static char *encode_payload(const char *endpoint, const char *json, const char *without, size_t *out_len, char *err,
                            size_t errlen)
{
    ct_vopts vo;
    memset(&vo, 0, sizeof vo);
    vo.without = without;
    ct_problems *probs = NULL;
    char *out = ct_encode_json_opts(endpoint, json, strlen(json), &vo, out_len, &probs);
    if (!out) {
        const ct_problem *p0 = probs ? ct_problems_get(probs, 0) : NULL;
        size_t n = probs ? ct_problems_count(probs) : 0;
        for (size_t i = 0; i < n; i++) {
            const ct_problem *p = ct_problems_get(probs, i);
            if (p->severity == CT_SEVERITY_ERROR) {
                p0 = p;
                break;
            }
        }
        if (p0) seterr(err, errlen, "validation: %s: %s", *p0->pointer ? p0->pointer : "(payload)", p0->message);
        else seterr(err, errlen, "validation: the payload is not valid");
    }
    if (probs) ct_problems_free(probs);
    return out;
}

/* ---- journals ------------------------------------------------------------ */

static void add_prior(void *ud, int outcome, const ct_err *err, const char *to, size_t to_len, size_t n)
{
    ct_job_add_prior(ud, outcome, err, to, to_len, n);
}

static const char *client_account(const ct_client *c)
{
    return c->hdr[H_ACCOUNT] ? c->hdr[H_ACCOUNT] + strlen("X-CleverTap-Account-Id: ") : "";
}

ct_job *ct_client_journaled_batch(ct_client *c, const char *channel, const char *rest, size_t rest_len,
                                  const ct_source *src, const char *path, int resume, const ct_send_opts *o,
                                  ct_journal **jr_out, char *err, size_t errlen)
{
    *jr_out = NULL;
    if (c->generic) {
        seterr(err, errlen, "journal: not available on a client without CleverTap credentials");
        return NULL;
    }
    if (!path || !*path) {
        seterr(err, errlen, "journal: a file path is required");
        return NULL;
    }
    const char *account = client_account(c);
    ct_journal *jr;
    if (resume) {
        jr = ct_journal_resume(path, o && o->resend_unknown, err, errlen);
    } else {
        ct_journal_meta m = { channel,    account,         rest, rest_len, src->checked && src->total >= 0,
                              src->total, o && o->keep_ids };
        jr = ct_journal_create(path, &m, err, errlen);
    }
    if (!jr) return NULL;
    const ct_journal_meta *m = ct_journal_get_meta(jr);
    ct_job *j = NULL;
    char *url = NULL;
    if (resume) {
        channel = m->channel;
        rest = m->rest;
        rest_len = m->rest_len;
        if (strcmp(m->account_id ? m->account_id : "", account) != 0) {
            seterr(err, errlen, "journal %s: its send is for another account (%.40s)", path, m->account_id);
            goto fail;
        }
    }
    char endpoint[32];
    snprintf(endpoint, sizeof endpoint, "send/%.20s", channel);
    ct_job_opts jo;
    if (!ct_client_job_opts(c, endpoint, &jo)) {
        seterr(err, errlen, "journal %s: unknown channel '%.20s'", path, channel);
        goto fail;
    }
    ct_source inner = *src, wrapped;
    ct_journal_wrap_source(jr, &inner, &wrapped);
    if (resume) {
        wrapped.total = -1; /* the batches left are not known in advance */
        if (src->next) {
            if (!ct_journal_skip_read(jr, err, errlen)) goto fail;
        } else if (!ct_journal_source_read(jr)) {
            seterr(err, errlen,
                   "journal %s: the earlier run had not read all its identities: give them again (the same "
                   "lists or iterator)",
                   path);
            goto fail;
        }
    }
    url = ct_client_url(c, endpoint);
    jo.url = url;
    j = url ? ct_job_batch(c->e, &jo, rest, rest_len, &wrapped) : NULL;
    free(url);
    if (!j) {
        seterr(err, errlen, "out of memory");
        goto fail;
    }
    ct_journal_hooks h;
    ct_journal_hooks_of(jr, &h);
    ct_job_set_journal(j, &h);
    if (resume) {
        ct_job_set_read(j, ct_journal_skipped(jr));
        ct_journal_prior(jr, add_prior, j);
    }
    *jr_out = jr;
    return j;
fail:
    ct_journal_close(jr);
    return NULL;
}

void ct_client_journal_end(ct_job *j, ct_journal *jr)
{
    if (!jr) return;
    if (j) ct_job_set_journal(j, NULL);
    ct_journal_close(jr);
}

static void free_src(arr_src *a)
{
    if (!a) return;
    free(a->lists);
    free(a->types);
    free(a);
}

/* The endpoint of a send channel: a channel is what follows "send/" in an
 * endpoint of the schema registry, and the message for any other lists them
 * ("push, webpush, email or sms"). 0 with err set when unknown. */
static int send_endpoint(const char *channel, char *endpoint, size_t cap, char *err, size_t errlen)
{
    if (channel && strlen(channel) + sizeof "send/" <= cap) {
        snprintf(endpoint, cap, "send/%s", channel);
        if (ct_schema_for(endpoint)) return 1;
    }
    const char *names[16];
    size_t n = 0;
    const char *e;
    for (size_t i = 0; (e = ct_schema_endpoint(i)) != NULL; i++)
        if (strncmp(e, "send/", 5) == 0 && n < sizeof names / sizeof names[0]) names[n++] = e + 5;
    ct_sb b;
    ct_sb_init(&b);
    for (size_t i = 0; i < n; i++) ct_sb_printf(&b, "%s%s", i == 0 ? "" : i + 1 == n ? " or " : ", ", names[i]);
    seterr(err, errlen, "channel: must be %s", b.p && !b.oom ? b.p : "a send/ endpoint's name");
    ct_sb_free(&b);
    return 0;
}

static ct_job *start_send(ct_client *c, const char *channel, const char *payload_json, arr_src *src, long long total,
                          const ct_send_opts *so, char *err, size_t errlen)
{
    char endpoint[32];
    if (!send_endpoint(channel, endpoint, sizeof endpoint, err, errlen)) {
        free_src(src);
        return NULL;
    }
    size_t rest_len = 0;
    char *rest = encode_payload(endpoint, payload_json ? payload_json : "{}", "to", &rest_len, err, errlen);
    ct_job_opts o;
    ct_job *j = NULL;
    if (rest && ct_client_job_opts(c, endpoint, &o)) {
        char *url = ct_client_url(c, endpoint);
        o.url = url;
        ct_source s = { src->fn ? fn_next : arr_next, src, total, !src->fn };
        if (so && so->journal) {
            j = ct_client_journaled_batch(c, channel, rest, rest_len, &s, so->journal, 0, so, &src->jr, err, errlen);
        } else {
            j = url ? ct_job_batch(c->e, &o, rest, rest_len, &s) : NULL;
            if (!j) seterr(err, errlen, "out of memory");
        }
        free(url); /* the engine keeps its own copy */
    }
    free(rest);
    if (!j) {
        free_src(src);
        return NULL;
    }
    ct_job_set_user(j, src);
    return j;
}

/* The source of lists (checked whole first) or of next; NULL with err. */
static arr_src *make_src(const ct_identity_list *lists, size_t nlists, ct_identity_fn next, void *ud,
                         long long *total_out, char *err, size_t errlen)
{
    arr_src *a = calloc(1, sizeof *a);
    if (a && !lists) {
        a->fn = next;
        a->ud = ud;
        *total_out = -1;
        return a;
    }
    if (a) {
        a->lists = calloc(nlists ? nlists : 1, sizeof *a->lists);
        a->types = calloc(nlists ? nlists : 1, sizeof *a->types);
    }
    if (!a || !a->lists || !a->types) {
        free_src(a);
        seterr(err, errlen, "out of memory");
        return NULL;
    }
    long long total = 0;
    a->nlists = nlists;
    for (size_t l = 0; l < nlists; l++) {
        a->lists[l] = lists[l];
        int t = lists[l].type ? ct_id_type_from_name(lists[l].type, strlen(lists[l].type)) : -1;
        if (t < 0) {
            seterr(err, errlen, "/to/%.40s: unknown identity type (known: FBID, GPID, Email, Identity, objectId)",
                   lists[l].type ? lists[l].type : "(null)");
            goto bad;
        }
        a->types[l] = t;
        for (size_t i = 0; i < lists[l].count; i++) {
            const char *id = lists[l].ids[i];
            const char *why = id ? ct_identity_problem(id, strlen(id)) : "identity must be a string";
            if (why) {
                seterr(err, errlen, "/to/%s/%zu: %s", ct_id_type_names[t], i, why);
                goto bad;
            }
        }
        total += (long long)lists[l].count;
    }
    if (total == 0) {
        seterr(err, errlen, "/to: at least one identity is required");
        goto bad;
    }
    *total_out = total;
    return a;
bad:
    free_src(a);
    return NULL;
}

ct_job *ct_client_send_opts(ct_client *c, const char *channel, const char *payload_json, const ct_identity_list *lists,
                            size_t nlists, ct_identity_fn next, void *ud, const ct_send_opts *o, char *err,
                            size_t errlen)
{
    if (!lists && !next) {
        seterr(err, errlen, "/to: identity lists or an identity function are required");
        return NULL;
    }
    long long total = 0;
    arr_src *a = make_src(lists, nlists, next, ud, &total, err, errlen);
    if (!a) return NULL;
    return start_send(c, channel, payload_json, a, total, o, err, errlen);
}

ct_job *ct_client_send(ct_client *c, const char *channel, const char *payload_json, const ct_identity_list *lists,
                       size_t nlists, char *err, size_t errlen)
{
    static const ct_identity_list none = { NULL, NULL, 0 };
    return ct_client_send_opts(c, channel, payload_json, lists ? lists : &none, nlists, NULL, NULL, NULL, err, errlen);
}

ct_job *ct_client_send_stream(ct_client *c, const char *channel, const char *payload_json, ct_identity_fn next,
                              void *ud, char *err, size_t errlen)
{
    if (!next) {
        seterr(err, errlen, "next: an identity function is required");
        return NULL;
    }
    return ct_client_send_opts(c, channel, payload_json, NULL, 0, next, ud, NULL, err, errlen);
}

ct_job *ct_client_resume(ct_client *c, const char *journal, const ct_identity_list *lists, size_t nlists,
                         ct_identity_fn next, void *ud, const ct_send_opts *o, char *err, size_t errlen)
{
    long long total = -1;
    arr_src *a = (lists || next) ? make_src(lists, nlists, next, ud, &total, err, errlen) : calloc(1, sizeof *a);
    if (!a) return NULL;
    ct_source s = { (lists || next) ? (a->fn ? fn_next : arr_next) : NULL, a, total, lists != NULL };
    ct_job *j = ct_client_journaled_batch(c, NULL, NULL, 0, &s, journal, 1, o, &a->jr, err, errlen);
    if (!j) {
        free_src(a);
        return NULL;
    }
    ct_job_set_user(j, a);
    return j;
}

void ct_client_job_cancel(ct_job *j)
{
    if (j) ct_job_cancel(j, "the job was cancelled");
}

static void call_advance(ct_call *k);

int ct_client_poll(ct_client *c, int timeout_ms)
{
    ct_client_drive(c, timeout_ms);
    /* finished send jobs are read by ct_client_job_done; a finished call
     * request is turned into the call's answer here (or, for an async
     * estimate, into its next poll), so the answer is ready when
     * ct_client_call_done says so. Calls are few (the targets lanes allow 3
     * in flight): a scan finds a job's call. */
    ct_job *j;
    while ((j = ct_engine_take_finished(c->e))) {
        for (ct_call *k = c->calls; k; k = k->next) {
            if (k->job == j) {
                call_advance(k);
                break;
            }
        }
    }
    return (int)ct_engine_pending(c->e);
}

int ct_client_job_done(const ct_job *j) { return ct_job_done(j); }

void ct_client_job_summary(const ct_job *j, ct_send_summary *out)
{
    const ct_report *r = ct_job_report(j);
    out->accepted = r->accepted;
    out->failed = r->failed_ids;
    out->unknown = r->unknown_ids;
    out->requests = r->requests;
    out->batches_done = r->batches_done;
    out->batches_total = r->batches_total;
    out->not_sent = r->not_sent_ids;
    out->cancelled = ct_job_cancelled(j);
}

size_t ct_client_job_outcomes(const ct_job *j) { return ct_job_outrec_count(j); }

int ct_client_job_outcome(const ct_job *j, size_t i, ct_send_outcome *out)
{
    const ct_outrec *r = ct_job_outrec(j, i);
    if (!r) return 0;
    out->unknown = r->unknown;
    out->not_sent = r->not_sent;
    out->kind = ct_err_kind_name(r->err.kind);
    out->message = r->err.message;
    out->pointer = r->err.pointer;
    out->status = r->err.status;
    out->code = r->err.has_code ? r->err.code : -1;
    out->retryable = r->err.retryable;
    out->to_json = r->to_json ? r->to_json : "{}";
    out->count = r->n_ids;
    return 1;
}

void ct_client_job_free(ct_job *j)
{
    if (!j) return;
    arr_src *a = ct_job_user(j);
    if (a) ct_client_journal_end(j, a->jr);
    ct_job_release(j);
    free_src(a);
}

/* ---- public C API: campaign calls ---------------------------------------- *
 * A call (struct ct_call, above) owns its answer: the engine's job is let go
 * as soon as the answer is copied, so a call outlives its client. */

enum { CALL_IDEMPOTENT = 1, CALL_RESULT = 2 };

/* A request on a call's behalf; body is sent as it is (already encoded). */
static ct_job *call_job(ct_client *c, const char *endpoint, const char *body, size_t len, int flags)
{
    ct_job_opts o;
    if (!ct_client_job_opts(c, endpoint, &o)) return NULL;
    o.idempotent = (flags & CALL_IDEMPOTENT) != 0;
    o.result_call = (flags & CALL_RESULT) != 0;
    char *url = ct_client_url(c, endpoint);
    if (!url) return NULL;
    o.url = url;
    ct_job *j = ct_job_single(c->e, &o, body, len);
    free(url); /* the engine keeps its own copy */
    return j;
}

/* Validates and encodes json for endpoint, then queues the call. */
static ct_call *start_call(ct_client *c, const char *endpoint, const char *json, int flags, char *err, size_t errlen)
{
    if (!c) {
        seterr(err, errlen, "client: required");
        return NULL;
    }
    if (c->generic) {
        seterr(err, errlen, "%s: not available on a client without CleverTap credentials", endpoint);
        return NULL;
    }
    size_t len = 0;
    char *body = encode_payload(endpoint, json ? json : "{}", NULL, &len, err, errlen);
    if (!body) return NULL;
    ct_call *k = calloc(1, sizeof *k);
    if (k && !(k->job = call_job(c, endpoint, body, len, flags))) {
        free(k);
        k = NULL;
    }
    free(body);
    if (!k) {
        seterr(err, errlen, "out of memory");
        return NULL;
    }
    k->c = c;
    k->next = c->calls;
    if (c->calls) c->calls->prev = k;
    c->calls = k;
    return k;
}

static void call_unlink(ct_call *k)
{
    if (!k->c) return;
    if (k->prev) k->prev->next = k->next;
    else k->c->calls = k->next;
    if (k->next) k->next->prev = k->prev;
    k->prev = k->next = NULL;
    k->c = NULL;
}

static void call_end(ct_call *k)
{
    if (k->job) ct_job_release(k->job);
    k->job = NULL;
    k->done = 1;
}

/* The next poll of an async estimate: {"req_id": <the id as answered>}. */
static int call_follow(ct_call *k, json_t *rid)
{
    char *id = json_dumps(rid, JSON_ENCODE_ANY | JSON_COMPACT);
    if (!id) return 0;
    ct_sb b;
    ct_sb_init(&b);
    ct_sb_adds(&b, "{\"req_id\":");
    ct_sb_adds(&b, id);
    ct_sb_adds(&b, "}");
    free(id);
    size_t len = 0;
    char *body = ct_sb_take(&b, &len);
    ct_job *next = body ? call_job(k->c, "targets/create", body, len, CALL_IDEMPOTENT) : NULL;
    free(body);
    if (!next) return 0;
    ct_job_release(k->job);
    k->job = next;
    return 1;
}

/* The call's request finished: keep its answer (the engine's job goes), or
 * start the next poll of an async estimate. */
static void call_advance(ct_call *k)
{
    ct_job *j = k->job;
    k->requests += ct_job_report(j)->requests;
    k->status = ct_job_status(j);
    k->err = *ct_job_error(j);
    size_t len = 0;
    const char *body = ct_job_body(j, &len);
    free(k->body);
    k->body = NULL;
    k->body_len = 0;
    if (k->err.kind != CT_EK_NONE) {
        /* a server echoing the passcode must not put it in the answer */
        if (body && (k->body = ct_job_redact_body(j, body, len))) k->body_len = strlen(k->body);
        call_end(k);
        return;
    }
    if (body && (k->body = malloc(len + 1))) {
        memcpy(k->body, body, len);
        k->body[len] = '\0';
        k->body_len = len;
    }
    json_t *root = body ? json_loadb(body, len, 0, NULL) : NULL;
    if (!json_is_object(root)) {
        ct_err_set(&k->err, CT_EK_HTTP, k->status, 0, "HTTP %d: the response is not a JSON object", k->status);
    } else {
        json_t *id = json_object_get(root, "id");
        if (json_is_integer(id)) k->id = (long long)json_integer_value(id);
        if (k->async) {
            json_t *rid = json_object_get(root, "req_id");
            if (!rid) rid = json_object_get(root, "request_id");
            const char *st = json_string_value(json_object_get(root, "status"));
            int pending = st && strcmp(st, "pending") == 0;
            if (rid && (pending || !json_object_get(root, "estimates"))) {
                if (ct_now_ms() > k->deadline) {
                    ct_err_set(&k->err, CT_EK_TIMEOUT, k->status, 1, "async estimate %lld not ready within %ld ms",
                               json_is_integer(rid) ? (long long)json_integer_value(rid) : -1LL, k->timeout_ms);
                } else if (call_follow(k, rid)) {
                    json_decref(root);
                    return;
                } else {
                    ct_err_set(&k->err, CT_EK_NETWORK, 0, 0, "out of memory");
                }
            }
        }
    }
    json_decref(root);
    call_end(k);
}

static void detach_calls(ct_client *c)
{
    while (c->calls) {
        ct_call *k = c->calls;
        if (!k->done) {
            ct_err_set(&k->err, CT_EK_NETWORK, 0, 0,
                       "the client was freed before the call finished (the request may have reached the server)");
            k->status = 0;
            call_end(k);
        }
        call_unlink(k);
    }
}

ct_call *ct_client_create_campaign(ct_client *c, const char *payload_json, char *err, size_t errlen)
{
    return start_call(c, "targets/create", payload_json, 0, err, errlen);
}

ct_call *ct_client_trigger(ct_client *c, const char *payload_json, char *err, size_t errlen)
{
    return start_call(c, "targets/trigger", payload_json, 0, err, errlen);
}

ct_call *ct_client_estimate(ct_client *c, const char *payload_json, long timeout_ms, char *err, size_t errlen)
{
    /* the caller's text with "estimate_only": true set (replaced when
     * present); what is not an object is left to the validator to report */
    json_t *root = json_loads(payload_json ? payload_json : "{}", 0, NULL);
    char *text = NULL;
    int async = 0;
    if (json_is_object(root)) {
        async = json_is_true(json_object_get(root, "async_estimate"));
        if (json_object_set_new(root, "estimate_only", json_true()) == 0)
            text = json_dumps(root, JSON_PRESERVE_ORDER | JSON_COMPACT);
        if (!text) {
            json_decref(root);
            seterr(err, errlen, "out of memory");
            return NULL;
        }
    }
    json_decref(root);
    ct_call *k = start_call(c, "targets/create", text ? text : payload_json, CALL_IDEMPOTENT, err, errlen);
    free(text);
    if (k && async) {
        k->async = 1;
        k->timeout_ms = timeout_ms > 0 ? timeout_ms : 300000;
        k->deadline = ct_now_ms() + k->timeout_ms;
    }
    return k;
}

ct_call *ct_client_list(ct_client *c, long from, long to, char *err, size_t errlen)
{
    char body[64];
    snprintf(body, sizeof body, "{\"from\":%ld,\"to\":%ld}", from, to);
    return start_call(c, "targets/list", body, CALL_IDEMPOTENT, err, errlen);
}

ct_call *ct_client_stop(ct_client *c, long long id, char *err, size_t errlen)
{
    char body[48];
    snprintf(body, sizeof body, "{\"id\":%lld}", id);
    return start_call(c, "targets/stop", body, CALL_IDEMPOTENT, err, errlen);
}

ct_call *ct_client_result(ct_client *c, long long id, char *err, size_t errlen)
{
    char body[48];
    snprintf(body, sizeof body, "{\"id\":%lld}", id);
    return start_call(c, "targets/result", body, CALL_IDEMPOTENT | CALL_RESULT, err, errlen);
}

int ct_client_call_done(const ct_call *k) { return k->done; }

int ct_client_call_response(const ct_call *k, ct_call_response *out)
{
    if (!k->done) return -1;
    int ok = k->err.kind == CT_EK_NONE;
    out->kind = ok ? NULL : ct_err_kind_name(k->err.kind);
    out->message = ok ? "" : k->err.message;
    out->status = k->status;
    out->code = k->err.has_code ? k->err.code : -1;
    out->retryable = ok ? 0 : k->err.retryable;
    out->body = k->body ? k->body : "";
    out->body_len = k->body ? k->body_len : 0;
    out->id = k->id;
    out->requests = k->requests;
    return ok;
}

void ct_client_call_free(ct_call *k)
{
    if (!k) return;
    call_unlink(k);
    if (k->job) ct_job_release(k->job);
    free(k->body);
    free(k);
}
