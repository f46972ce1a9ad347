/* libcurl multi transport for the engine (see ct_curl.h). */
#include "ct_curl.h"
#include "ct_sb.h"
#include "ct_str.h"

#include <curl/curl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The libcurl this is built for. The build takes it from curl/curlver.h; a
 * test may set it lower to compile an older libcurl's fallbacks against the
 * installed headers (spec/c/curl_fallback.sh). */
#ifndef CT_CURL_VERSION_NUM
#define CT_CURL_VERSION_NUM LIBCURL_VERSION_NUM
#endif
/* 7.62.0 brought the URL API (curl_url) the client checks base URLs with.
 * (LIBCURL_VERSION_NUM is unknown only to analysers that skip curl's headers,
 * as tools/unused.sh's cppcheck: they read the file, the build checks it.) */
#if defined(LIBCURL_VERSION_NUM) && CT_CURL_VERSION_NUM < 0x073e00
#error "lua-clevertap needs libcurl >= 7.62.0 (see README.md, Installing): this libcurl is older"
#endif
/* CURLOPT_PROTOCOLS_STR (7.85) replaces the bitmask, deprecated since. */
#define CT_CURL_HAS_PROTOCOLS_STR (CT_CURL_VERSION_NUM >= 0x075500)
/* CURLOPT_PREREQFUNCTION: 7.80. */
#define CT_CURL_HAS_PREREQ (CT_CURL_VERSION_NUM >= 0x075000)
/* Seconds a connection may sit idle and still be reused (libcurl's
 * CURLOPT_MAXAGE_CONN: reused while idle < this + 1 s, so under 3 s). Servers
 * close idle keep-alive connections on their own clock (Apache httpd and
 * Node.js after 5 s, nginx 75 s, AWS load balancers 60 s); a request written
 * onto a connection the server is closing is lost in a way the client cannot
 * always tell from a request the server got, so connections are retired well
 * before the shortest common timeout. libcurl's default is 118 s. */
#ifndef CT_CURL_MAX_IDLE_S
#define CT_CURL_MAX_IDLE_S 2L
#endif

/* Time poll(0) may spend starting requests (see start_ready). */
#ifndef CT_CURL_START_BUDGET_US
#define CT_CURL_START_BUDGET_US 1000
#endif

typedef struct xfer {
    CURL *easy;
    ct_req *req;
    struct curl_slist *hdrs;
    ct_sb body;
    ct_sb rhdr; /* "name\0value\0" pairs of the last response */
    size_t nrhdr;
    int prereqs;     /* times libcurl was about to send this request */
    int too_large;   /* the answer went over max_body: the transfer was stopped */
    size_t max_body; /* copy of the transport's cap, for on_body */
    size_t blen;     /* request body length */
    size_t body_out; /* request body bytes libcurl wrote to the connection */
    char errbuf[CURL_ERROR_SIZE];
    struct xfer *next; /* running list or free pool */
} xfer;

/* Sockets libcurl asked us to watch (socket_action interface): only
 * transfers with activity are processed, instead of every transfer on each
 * curl_multi_perform. */
typedef struct watch {
    curl_socket_t fd;
    short events;
} watch;

struct ct_curl {
    CURLM *multi;
    ct_curl_opts o;
    char *ca_file, *user_agent;
    xfer *running, *pool;
    size_t nrunning;
    watch *watches;
    size_t nwatch, capwatch;
    struct pollfd *pfds;
    size_t cappfd;
    int64_t timer_at; /* libcurl's next timeout (monotonic ms), -1 = none */
};

static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
    (void)easy;
    (void)socketp;
    ct_curl *c = userp;
    size_t i = 0;
    while (i < c->nwatch && c->watches[i].fd != fd) i++;
    if (what == CURL_POLL_REMOVE) {
        if (i < c->nwatch) c->watches[i] = c->watches[--c->nwatch];
        return 0;
    }
    short ev = (short)(((what & CURL_POLL_IN) ? POLLIN : 0) | ((what & CURL_POLL_OUT) ? POLLOUT : 0));
    if (i == c->nwatch) {
        if (c->nwatch == c->capwatch) {
            size_t cap = c->capwatch ? c->capwatch * 2 : 32;
            watch *w = realloc(c->watches, cap * sizeof *w);
            if (!w) return -1;
            c->watches = w;
            c->capwatch = cap;
        }
        c->watches[c->nwatch].fd = fd;
        c->nwatch++;
    }
    c->watches[i].events = ev;
    return 0;
}

static int on_timer(CURLM *multi, long timeout_ms, void *userp)
{
    (void)multi;
    ct_curl *c = userp;
    c->timer_at = timeout_ms < 0 ? -1 : ct_now_ms() + timeout_ms;
    return 0;
}

int64_t ct_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *ct_curl_version(void)
{
    /* curl_version() returns "libcurl/7.88.1 OpenSSL/..."; keep the first word */
    static const char prefix[] = "libcurl/" LIBCURL_VERSION;
    return prefix;
}

ct_curl *ct_curl_new(const ct_curl_opts *o)
{
    ct_curl *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->o = *o;
    c->ca_file = ct_strdup(o->ca_file);
    c->user_agent = ct_strdup(o->user_agent);
    c->multi = curl_multi_init();
    if (!c->multi || (o->ca_file && !c->ca_file) || (o->user_agent && !c->user_agent)) {
        if (c->multi) curl_multi_cleanup(c->multi);
        free(c->ca_file);
        free(c->user_agent);
        free(c);
        return NULL;
    }
    /* HTTP/2 multiplexing where the server offers it (TLS + ALPN) */
    curl_multi_setopt(c->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
    c->timer_at = -1;
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, on_timer);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
    if (o->max_connections > 0) curl_multi_setopt(c->multi, CURLMOPT_MAX_HOST_CONNECTIONS, o->max_connections);
    /* libcurl sizes its connection cache by the handles currently added (4
     * each); ours come and go per request, so without a floor idle
     * keep-alive connections would be closed between requests */
    curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, o->cache_connections > 0 ? o->cache_connections : 128L);
    return c;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    xfer *x = ud;
    /* Chunked or lying answers carry no usable Content-Length, so the cap is
     * checked on the bytes themselves; returning short stops the transfer. */
    if (size * n > x->max_body - x->body.len) {
        x->too_large = 1;
        return 0;
    }
    ct_sb_add(&x->body, p, size * n);
    return x->body.oom ? 0 : size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    xfer *x = ud;
    size_t len = size * n;
    if (len >= 5 && memcmp(p, "HTTP/", 5) == 0) { /* a new response (after 1xx): forget the last */
        x->rhdr.len = 0;
        x->nrhdr = 0;
        return len;
    }
    const char *colon = memchr(p, ':', len);
    if (!colon) return len;
    size_t nl = (size_t)(colon - p);
    const char *v = colon + 1, *end = p + len;
    while (v < end && (*v == ' ' || *v == '\t')) v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ')) end--;
    for (size_t i = 0; i < nl; i++) {
        char ch = p[i];
        if (ch >= 'A' && ch <= 'Z') ch = (char)(ch - 'A' + 'a');
        ct_sb_addc(&x->rhdr, ch);
    }
    ct_sb_addc(&x->rhdr, '\0');
    ct_sb_add(&x->rhdr, v, (size_t)(end - v));
    ct_sb_addc(&x->rhdr, '\0');
    x->nrhdr++;
    return x->rhdr.oom ? 0 : len;
}

/* libcurl silently sends a request again when a reused connection closes
 * without an answer. The server may have processed the first copy, so that
 * would break "an unknown outcome is never re-sent": refuse the second send;
 * the transfer then fails and the engine decides (unknown, or a retry it
 * counts when the caller allowed re-sending). */
#if CT_CURL_HAS_PREREQ
static int on_prereq(void *ud, char *ip, char *local_ip, int port, int local_port)
{
    (void)ip;
    (void)local_ip;
    (void)port;
    (void)local_port;
    xfer *x = ud;
    return ++x->prereqs > 1 ? CURL_PREREQFUNC_ABORT : CURL_PREREQFUNC_OK;
}
#endif

/* Counts the request body bytes actually written (libcurl reports each
 * write here after it succeeded). CURLINFO_SIZE_UPLOAD_T would say the same
 * but libcurl zeroes it when it prepares its silent re-send, which on_prereq
 * then refuses: by the time the transfer fails, the first attempt's count is
 * gone. No re-send ever writes (on_prereq stops it first), so this is the
 * count of the one attempt. */
static int on_debug(CURL *easy, curl_infotype type, char *data, size_t size, void *ud)
{
    (void)easy;
    (void)data;
    xfer *x = ud;
    if (type == CURLINFO_DATA_OUT) x->body_out += size;
    return 0;
}

static void xfer_recycle(ct_curl *c, xfer *x)
{
    curl_slist_free_all(x->hdrs);
    x->hdrs = NULL;
    x->req = NULL;
    x->prereqs = 0;
    x->too_large = 0;
    x->blen = x->body_out = 0;
    x->body.len = 0;
    x->rhdr.len = 0;
    x->nrhdr = 0;
    x->body.oom = x->rhdr.oom = 0;
    x->next = c->pool;
    c->pool = x;
}

static void xfer_destroy(xfer *x)
{
    curl_slist_free_all(x->hdrs);
    if (x->easy) curl_easy_cleanup(x->easy);
    ct_sb_free(&x->body);
    ct_sb_free(&x->rhdr);
    free(x);
}

/* A transfer from the pool (reset), or a new one; NULL when out of memory. */
static xfer *xfer_take(ct_curl *c)
{
    xfer *x = c->pool;
    if (x) {
        c->pool = x->next;
        curl_easy_reset(x->easy);
        return x;
    }
    x = calloc(1, sizeof *x);
    if (!x) return NULL;
    ct_sb_init(&x->body);
    ct_sb_init(&x->rhdr);
    x->easy = curl_easy_init();
    if (!x->easy) {
        free(x);
        return NULL;
    }
    return x;
}

/* The request's headers, and exactly those: libcurl's Accept and Expect
 * dropped. NULL when out of memory. */
static struct curl_slist *header_list(ct_req *r)
{
    size_t nh = 0;
    const char *const *h = ct_req_headers(r, &nh);
    struct curl_slist *sl = NULL;
    for (size_t i = 0; i < nh + 2; i++) {
        const char *line = i < nh ? h[i] : i == nh ? "Accept:" : "Expect:";
        struct curl_slist *t = curl_slist_append(sl, line);
        if (!t) {
            curl_slist_free_all(sl);
            return NULL;
        }
        sl = t;
    }
    return sl;
}

/* What is sent: URL, method, headers, body, User-Agent. */
static void set_request(ct_curl *c, xfer *x, ct_req *r)
{
    CURL *e = x->easy;
    size_t blen = 0;
    const char *body = ct_req_body(r, &blen);
    const char *method = ct_req_method(r);
    x->blen = strcmp(method, "GET") == 0 ? 0 : blen;
    curl_easy_setopt(e, CURLOPT_URL, ct_req_url(r));
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->hdrs);
    if (c->user_agent) curl_easy_setopt(e, CURLOPT_USERAGENT, c->user_agent);
    if (strcmp(method, "GET") == 0) {
        curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    } else {
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)blen);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
        if (strcmp(method, "POST") != 0) curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
    }
}

/* How it is sent: callbacks, limits and timeouts, TLS, protocols,
 * connection reuse, and the trace that tells the bytes written. */
static void set_transfer(ct_curl *c, xfer *x, ct_req *r)
{
    CURL *e = x->easy;
    curl_easy_setopt(e, CURLOPT_PRIVATE, x);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    /* refuses a declared Content-Length over the cap before any byte of it */
    curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)x->max_body);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, ct_req_timeout_ms(r));
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, ct_req_connect_timeout_ms(r));
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
    curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, c->o.verify_tls ? 1L : 0L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, c->o.verify_tls ? 2L : 0L);
    if (c->ca_file) curl_easy_setopt(e, CURLOPT_CAINFO, c->ca_file);
#if CT_CURL_HAS_PROTOCOLS_STR
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(e, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
#if CT_CURL_HAS_PREREQ
    curl_easy_setopt(e, CURLOPT_PREREQFUNCTION, on_prereq);
    curl_easy_setopt(e, CURLOPT_PREREQDATA, x);
#else
    /* No way to refuse libcurl's silent second send before 7.80, and it only
     * re-sends on a reused connection: so reuse none. Each request gets a
     * connection of its own, closed after it (slower: a handshake each). */
    curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
    curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
#endif
#if CT_CURL_VERSION_NUM >= 0x074100 /* CURLOPT_MAXAGE_CONN: 7.65 */
    curl_easy_setopt(e, CURLOPT_MAXAGE_CONN, CT_CURL_MAX_IDLE_S);
#endif
    /* VERBOSE only routes libcurl's trace to on_debug (nothing is printed):
     * it is how the bytes written are known, see on_debug */
    curl_easy_setopt(e, CURLOPT_DEBUGFUNCTION, on_debug);
    curl_easy_setopt(e, CURLOPT_DEBUGDATA, x);
    curl_easy_setopt(e, CURLOPT_VERBOSE, 1L);
}

/* Starts r on the multi handle: 0 when out of memory (nothing started). */
static int start(ct_curl *c, ct_req *r)
{
    xfer *x = xfer_take(c);
    if (!x) return 0;
    x->req = r;
    x->prereqs = 0;
    x->too_large = 0;
    x->max_body = c->o.max_body > 0 ? c->o.max_body : CT_CURL_MAX_BODY;
    x->body_out = 0;
    x->errbuf[0] = '\0';
    if (!(x->hdrs = header_list(r))) {
        xfer_recycle(c, x);
        return 0;
    }
    set_request(c, x, r);
    set_transfer(c, x, r);
    if (curl_multi_add_handle(c->multi, x->easy) != CURLM_OK) {
        xfer_recycle(c, x); /* frees the headers too */
        return 0;
    }
    ct_req_set_transport(r, x);
    x->next = c->running;
    c->running = x;
    c->nrunning++;
    return 1;
}

static void unlink_running(ct_curl *c, xfer *x)
{
    for (xfer **p = &c->running; *p; p = &(*p)->next) {
        if (*p == x) {
            *p = x->next;
            c->nrunning--;
            break;
        }
    }
    x->next = NULL;
}

/* Could any byte of the request have reached the server? */
static int maybe_sent(CURL *e, CURLcode rc)
{
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT: return 0;
    default: break;
    }
    long reqsize = 0;
    curl_easy_getinfo(e, CURLINFO_REQUEST_SIZE, &reqsize);
    return reqsize > 0;
}

static void finish(ct_curl *c, ct_engine *e, xfer *x, CURLcode rc, int64_t now)
{
    ct_req *r = x->req;
    curl_multi_remove_handle(c->multi, x->easy);
    unlink_running(c, x);
    if (rc == CURLE_OK && !x->body.oom && !x->rhdr.oom) {
        long status = 0;
        curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
        const char *pairs[2 * 16];
        size_t np = 0;
        const char *p = x->rhdr.p;
        for (size_t i = 0; i < x->nrhdr && np < 16; i++) {
            pairs[2 * np] = p;
            p += strlen(p) + 1;
            pairs[2 * np + 1] = p;
            p += strlen(p) + 1;
            np++;
        }
        ct_resp resp = { (int)status, pairs, np, x->body.p ? x->body.p : "", x->body.len };
        ct_engine_complete(e, r, now, &resp);
    } else {
        char msg[CURL_ERROR_SIZE + 64];
        snprintf(msg, sizeof msg, "%s", x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc));
        ct_err_kind kind = rc == CURLE_OPERATION_TIMEDOUT ? CT_EK_TIMEOUT : CT_EK_NETWORK;
        if (x->body.oom || x->rhdr.oom) snprintf(msg, sizeof msg, "out of memory reading the response");
        /* the server answered, so it had the request: the outcome is unknown */
        if (x->too_large || rc == CURLE_FILESIZE_EXCEEDED)
            snprintf(msg, sizeof msg, "response body too large (over %zu bytes)", x->max_body);
        if (x->prereqs > 1) snprintf(msg, sizeof msg, "connection closed without an answer after the request was sent");
        int sent = rc == CURLE_OK || x->prereqs > 1 || maybe_sent(x->easy, rc);
        /* A server cannot act on a body it did not get whole (Content-Length
         * frames it): such a request is safe to send again. The count can
         * only exceed what the server read, never fall short of it. */
        if (sent && rc != CURLE_OK && x->body_out < x->blen) {
            sent = 0;
            snprintf(msg, sizeof msg, "connection lost after %zu of %zu request body bytes were written: %s",
                     x->body_out, x->blen, x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc));
        }
        ct_engine_fail(e, r, now, kind, sent, msg);
    }
    xfer_recycle(c, x);
}

static int collect(ct_curl *c, ct_engine *e)
{
    int n = 0, left;
    CURLMsg *m;
    int64_t now = ct_now_ms();
    while ((m = curl_multi_info_read(c->multi, &left))) {
        if (m->msg != CURLMSG_DONE) continue;
        xfer *x = NULL;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
        CURLcode rc = m->data.result;
        finish(c, e, x, rc, now);
        n++;
    }
    return n;
}

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Starts what the engine allows, until the time budget (a monotonic
 * microsecond deadline) is spent: building a batch's body and setting up a
 * transfer cost 0.2-0.5 ms each, so starting every allowed request at once
 * would make one poll(0) of a frame loop cost many milliseconds. At least
 * one request starts per call, so every call makes progress. */
static int start_ready(ct_curl *c, ct_engine *e, int64_t deadline_us)
{
    int64_t now = ct_now_ms();
    ct_req *r;
    int n = 0;
    while ((n == 0 || now_us() < deadline_us) && (r = ct_engine_next(e, now))) {
        if (start(c, r)) n++;
        else ct_engine_fail(e, r, now, CT_EK_NETWORK, 0, "out of memory starting a transfer");
    }
    return n;
}

/* Lets libcurl run its timers when due (new transfers start this way). */
static int run_timer(ct_curl *c)
{
    int running = 0;
    if (c->timer_at < 0 || ct_now_ms() < c->timer_at) return 0;
    c->timer_at = -1;
    curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    return 1;
}

/* Waits up to t ms for socket activity and hands it to libcurl. */
static void wait_sockets(ct_curl *c, int t)
{
    if (c->cappfd < c->nwatch) {
        size_t cap = c->nwatch + 16;
        struct pollfd *p = realloc(c->pfds, cap * sizeof *p);
        if (!p) return;
        c->pfds = p;
        c->cappfd = cap;
    }
    size_t n = c->nwatch;
    for (size_t i = 0; i < n; i++) {
        c->pfds[i].fd = c->watches[i].fd;
        c->pfds[i].events = c->watches[i].events;
        c->pfds[i].revents = 0;
    }
    int rc = poll(c->pfds, (nfds_t)n, t);
    if (rc <= 0) return;
    for (size_t i = 0; i < n; i++) {
        short re = c->pfds[i].revents;
        if (!re) continue;
        int flags = ((re & (POLLIN | POLLHUP)) ? CURL_CSELECT_IN : 0) | ((re & POLLOUT) ? CURL_CSELECT_OUT : 0) |
                    ((re & (POLLERR | POLLNVAL)) ? CURL_CSELECT_ERR : 0);
        int running = 0;
        /* the socket may be gone already if an earlier action closed it */
        curl_multi_socket_action(c->multi, c->pfds[i].fd, flags, &running);
    }
}

int ct_curl_poll(ct_curl *c, ct_engine *e, int timeout_ms)
{
    int done = 0;
    int64_t t0 = now_us();
    /* a caller willing to wait timeout_ms may spend it starting requests;
     * poll(0) gets a small fixed budget */
    int64_t deadline = t0 + (timeout_ms > 0 ? (int64_t)timeout_ms * 1000 : CT_CURL_START_BUDGET_US);
    /* building journaled batches ahead (one commit for several) is work
     * poll(0)'s budget has no room for */
    ct_engine_set_build_ahead(e, timeout_ms > 0 ? CT_JOURNAL_AHEAD : 0);
    int more = start_ready(c, e, deadline) > 0 && ct_engine_wait(e, ct_now_ms()) == 0;
    run_timer(c);
    done += collect(c, e);
    /* wait only when nothing happened yet and nothing is left to start;
     * sockets are always checked, so poll(0) from a frame loop still moves
     * every transfer along */
    int t = 0;
    if (done == 0 && !more && timeout_ms > 0) {
        int64_t now = ct_now_ms();
        t = timeout_ms - (int)((now_us() - t0) / 1000);
        if (t < 0) t = 0;
        int64_t w = ct_engine_wait(e, now);
        if (w >= 0 && w < t) t = (int)w;
        if (c->timer_at >= 0) {
            int64_t ct = c->timer_at - now;
            if (ct < 0) ct = 0;
            if (ct < t) t = (int)ct;
        }
    }
    if (c->nwatch > 0) {
        wait_sockets(c, t);
    } else if (t > 0) {
        struct timespec ts = { t / 1000, (long)(t % 1000) * 1000000L };
        nanosleep(&ts, NULL);
    }
    run_timer(c);
    done += collect(c, e);
    /* what finished may have freed slots, time may have brought tokens */
    if (start_ready(c, e, deadline) > 0) {
        run_timer(c);
        done += collect(c, e);
    }
    return done;
}

void ct_curl_free(ct_curl *c, ct_engine *e)
{
    if (!c) return;
    int64_t now = ct_now_ms();
    while (c->running) {
        xfer *x = c->running;
        curl_multi_remove_handle(c->multi, x->easy);
        unlink_running(c, x);
        if (e && x->req) ct_engine_fail(e, x->req, now, CT_EK_NETWORK, 1, "client closed");
        xfer_destroy(x);
    }
    while (c->pool) {
        xfer *x = c->pool;
        c->pool = x->next;
        xfer_destroy(x);
    }
    curl_multi_cleanup(c->multi);
    free(c->watches);
    free(c->pfds);
    free(c->ca_file);
    free(c->user_agent);
    free(c);
}
