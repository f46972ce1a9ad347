/* A shared limiter on Redis (hiredis): an account's token buckets and
 * lease semaphores, kept by atomic Lua scripts keyed by account id, so
 * every process and host using the same Redis shares them.
 *
 * One script does a whole step in one round trip (EVALSHA): it renews the
 * leases due, gives back released ones, records 429 hold-offs, registers
 * this member and its configured limits (the strictest wins), and tries
 * one acquire. Times inside are Redis's own clock (TIME), so hosts need not
 * agree on theirs. Blocking calls with short timeouts: a host's poll pays
 * one local round trip per request started. */
#include "ct_limit.h"
#include "ct_sb.h"
#include "ct_str.h"

#include <hiredis.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <unistd.h>

#define NOTES_MAX 8
#define RETRY_STORE_MS 500 /* fail_mode closed: how often the store is tried again */
#define RECONNECT_MS 1000  /* fail_mode local: how often the store is tried again */
#define RELEASE_DELAY_MS 5 /* a release waits this long for an acquire to carry it */
#define CONNECT_TIMEOUT_MS 300
#define COMMAND_TIMEOUT_MS 1000
/* 50 ms more than a second: a request granted at the start of a second
 * may reach the server later than the next (another host, a new
 * connection), so the server's sliding second never sees more than the
 * rate */
#define WINDOW_SPAN_MS 1050

/* KEYS: cfg, members, then per limit i: main (bucket hash / lease zset),
 * window (bucket starts of the last second), hold (429 hold-off).
 * ARGV: lease_ms, member, acquire lease ("" = none), acquire limits
 * ("0,2"), renew list, release list ("lease/mask,..."), backoff list
 * ("limit/ms,..."), window ms, then per limit: name, kind (b|s), value
 * (rate or max: the account's, as configured), burst, pace (the bucket
 * fills at value * pace).
 * Returns { granted, wait_ms, members, "name=value,..." (stricter stored
 * values), semaphore_full }. */
static const char SCRIPT[] =
    "local t = redis.call('TIME')\n"
    "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
    "local lease_ms = tonumber(ARGV[1])\n"
    "local span = tonumber(ARGV[8])\n"
    "local nlim = (#KEYS - 2) / 3\n"
    "local def = {}\n"
    "for i = 0, nlim - 1 do\n"
    "  local b = 9 + 5 * i\n"
    "  def[i] = { name = ARGV[b], kind = ARGV[b + 1], value = tonumber(ARGV[b + 2]), burst = tonumber(ARGV[b + 3]),\n"
    "    pace = tonumber(ARGV[b + 4]),\n"
    "    main = KEYS[3 + 3 * i], win = KEYS[4 + 3 * i], hold = KEYS[5 + 3 * i] }\n"
    "end\n"
    "local keep = lease_ms * 10\n"
    "redis.call('ZADD', KEYS[2], now + lease_ms, ARGV[2])\n"
    "redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)\n"
    "local members = redis.call('ZCARD', KEYS[2])\n"
    "redis.call('PEXPIRE', KEYS[2], keep)\n"
    "local diffs = {}\n"
    "for i = 0, nlim - 1 do\n"
    "  local d = def[i]\n"
    "  local stored = tonumber(redis.call('HGET', KEYS[1], d.name))\n"
    "  if stored == nil or d.value < stored then\n"
    "    redis.call('HSET', KEYS[1], d.name, string.format('%.6f', d.value))\n"
    "    stored = d.value\n"
    "  end\n"
    "  if stored < d.value then\n"
    "    diffs[#diffs + 1] = d.name .. '=' .. string.format('%g', stored)\n"
    "    if d.kind == 'b' then d.burst = math.max(1, d.burst * stored / d.value) end\n"
    "  end\n"
    "  d.eff = stored\n"
    "  d.rate = stored * d.pace\n"
    "end\n"
    "redis.call('PEXPIRE', KEYS[1], keep)\n"
    "local function each(list, f)\n"
    "  for a, b in string.gmatch(list, '([^,/]+)/(%d+)') do f(a, tonumber(b)) end\n"
    "end\n"
    "local function bit(mask, i) return math.floor(mask / 2 ^ i) % 2 == 1 end\n"
    "each(ARGV[6], function(id, mask)\n"
    "  for i = 0, nlim - 1 do if bit(mask, i) then redis.call('ZREM', def[i].main, id) end end\n"
    "end)\n"
    "each(ARGV[5], function(id, mask)\n"
    "  for i = 0, nlim - 1 do\n"
    "    if bit(mask, i) then redis.call('ZADD', def[i].main, 'XX', now + lease_ms, id) end\n"
    "  end\n"
    "end)\n"
    "each(ARGV[7], function(i, ms)\n"
    "  local d = def[tonumber(i)]\n"
    "  if d and redis.call('PTTL', d.hold) < ms then redis.call('SET', d.hold, '1', 'PX', ms) end\n"
    "end)\n"
    "local granted, wait, full = 0, 0, 0\n"
    "if ARGV[3] ~= '' then\n"
    "  local want = {}\n"
    "  for s in string.gmatch(ARGV[4], '%d+') do want[#want + 1] = def[tonumber(s)] end\n"
    "  for _, d in ipairs(want) do\n"
    "    local h = redis.call('PTTL', d.hold)\n"
    "    if h > wait then wait = h end\n"
    "    if d.kind == 's' then\n"
    "      redis.call('ZREMRANGEBYSCORE', d.main, '-inf', now)\n"
    "      if redis.call('ZCARD', d.main) >= d.eff then full = 1 end\n"
    "    else\n"
    "      local st = redis.call('HMGET', d.main, 'tokens', 'ts')\n"
    "      local tokens, ts = tonumber(st[1]), tonumber(st[2])\n"
    "      if not tokens or not ts then tokens, ts = d.burst, now end\n"
    "      if now > ts then tokens = math.min(d.burst, tokens + (now - ts) * d.rate / 1000); ts = now end\n"
    "      if tokens > d.burst then tokens = d.burst end\n"
    "      d.tokens, d.ts = tokens, ts\n"
    "      if tokens < 1 then wait = math.max(wait, math.ceil((1 - tokens) * 1000 / d.rate)) end\n"
    "      redis.call('ZREMRANGEBYSCORE', d.win, '-inf', now - span)\n"
    "      if redis.call('ZCARD', d.win) >= math.max(1, math.floor(d.eff)) then\n"
    "        local oldest = redis.call('ZRANGE', d.win, 0, 0, 'WITHSCORES')\n"
    "        wait = math.max(wait, tonumber(oldest[2]) + span - now + 1)\n"
    "      end\n"
    "    end\n"
    "  end\n"
    "  if wait == 0 and full == 0 then\n"
    "    granted = 1\n"
    "    for _, d in ipairs(want) do\n"
    "      if d.kind == 's' then\n"
    "        redis.call('ZADD', d.main, now + lease_ms, ARGV[3])\n"
    "        redis.call('PEXPIRE', d.main, keep)\n"
    "      else\n"
    "        redis.call('HSET', d.main, 'tokens', string.format('%.6f', d.tokens - 1), 'ts', d.ts)\n"
    "        redis.call('PEXPIRE', d.main, keep)\n"
    "        redis.call('ZADD', d.win, now, ARGV[3])\n"
    "        redis.call('PEXPIRE', d.win, span * 2)\n"
    "      end\n"
    "    end\n"
    "  end\n"
    "end\n"
    "return { granted, wait, members, table.concat(diffs, ','), full }\n";

/* The one copy of the script: the nginx limiter (cosockets, Lua) sends
 * this text too, so C and Lua members of an account run the same code. */
const char *ct_limiter_redis_script(size_t *len, int *span_ms)
{
    if (len) *len = sizeof SCRIPT - 1;
    if (span_ms) *span_ms = WINDOW_SPAN_MS;
    return SCRIPT;
}

typedef struct rlim {
    char name[32];
    int kind;
    double rate, burst, pace;
    int max;
} rlim;

typedef struct rlease {
    uint64_t id;
    unsigned mask;    /* the semaphores it holds a slot of */
    int64_t renewed;  /* local ms of the grant or the last renewal */
    int64_t released; /* 0 = held; else when it was released (local ms) */
} rlease;

typedef struct note {
    int warn;
    char msg[300];
} note;

typedef struct rl {
    ct_limiter base;
    redisContext *c;
    char host[256];
    int port, db;
    char *user, *pass;
    char *acct;
    char member[64];
    int fail_mode;
    long lease_ms;
    rlim lim[CT_LIMITS_MAX];
    int nlim;
    rlease *leases; /* held and released-not-yet-sent */
    size_t nleases, capleases;
    int64_t backoff[CT_LIMITS_MAX];
    uint64_t next_lease, rng;
    int down;
    int64_t retry_at;
    int members, expected;
    char sha[48];
    unsigned warned;
    note notes[NOTES_MAX];
    size_t nhead, ncount;
} rl;

static uint64_t rnd(rl *r)
{
    uint64_t x = r->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    r->rng = x;
    return x * 0x2545F4914F6CDD1DULL;
}

static void notef(rl *r, int warn, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void notef(rl *r, int warn, const char *fmt, ...)
{
    size_t slot = (r->nhead + r->ncount) % NOTES_MAX;
    if (r->ncount == NOTES_MAX) r->nhead = (r->nhead + 1) % NOTES_MAX;
    else r->ncount++;
    r->notes[slot].warn = warn;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->notes[slot].msg, sizeof r->notes[slot].msg, fmt, ap);
    va_end(ap);
}

static int r_notice(void *self, char *buf, size_t cap, int *warn)
{
    rl *r = self;
    if (!r->ncount) return 0;
    note *n = &r->notes[r->nhead];
    r->nhead = (r->nhead + 1) % NOTES_MAX;
    r->ncount--;
    *warn = n->warn;
    snprintf(buf, cap, "%s", n->msg);
    return 1;
}

static int r_define(void *self, const ct_limit_def *d)
{
    rl *r = self;
    if (r->nlim >= CT_LIMITS_MAX) return -1;
    rlim *l = &r->lim[r->nlim];
    snprintf(l->name, sizeof l->name, "%s", d->name);
    l->kind = d->kind;
    l->rate = d->rate;
    l->burst = d->burst < 1 ? 1 : d->burst;
    l->max = d->max;
    l->pace = d->pace > 0 && d->pace <= 1 ? d->pace : 1;
    return r->nlim++;
}

static void drop_conn(rl *r)
{
    if (r->c) redisFree(r->c);
    r->c = NULL;
}

/* The store failed: one clear line, then the fail mode decides. Leases
 * are forgotten: the store expires them. */
static void store_down(rl *r, int64_t now, const char *why)
{
    drop_conn(r);
    r->nleases = 0;
    if (!r->down)
        notef(r, 1, "limiter: the Redis store at %s:%d is unusable (%s); fail_mode %s: %s", r->host, r->port, why,
              r->fail_mode == CT_FAIL_LOCAL ? "local" : "closed",
              r->fail_mode == CT_FAIL_LOCAL ? "this process keeps its share of the account's limits "
                                              "(local limits divided by the members seen) until it answers"
                                            : "no request starts until it answers");
    r->down = 1;
    r->retry_at = now + (r->fail_mode == CT_FAIL_LOCAL ? RECONNECT_MS : RETRY_STORE_MS);
}

static redisReply *command(rl *r, int argc, const char **argv, const size_t *lens)
{
    redisReply *rep = redisCommandArgv(r->c, argc, argv, lens);
    return rep;
}

static int simple(rl *r, int argc, const char **argv, char *why, size_t cap)
{
    size_t lens[4];
    for (int i = 0; i < argc; i++) lens[i] = strlen(argv[i]);
    redisReply *rep = command(r, argc, argv, lens);
    if (!rep) {
        snprintf(why, cap, "%s", r->c->errstr);
        return 0;
    }
    /* an AUTH error names no secret; the reply is shown as Redis gives it */
    int ok = rep->type != REDIS_REPLY_ERROR;
    if (!ok) snprintf(why, cap, "%s: %.120s", argv[0], rep->str);
    freeReplyObject(rep);
    return ok;
}

static int connect_store(rl *r, int64_t now)
{
    char why[200];
    struct timeval tv = { 0, CONNECT_TIMEOUT_MS * 1000 };
    r->c = redisConnectWithTimeout(r->host, r->port, tv);
    if (!r->c || r->c->err) {
        snprintf(why, sizeof why, "%s", r->c ? r->c->errstr : "out of memory");
        store_down(r, now, why);
        return 0;
    }
    struct timeval ct = { COMMAND_TIMEOUT_MS / 1000, (COMMAND_TIMEOUT_MS % 1000) * 1000 };
    redisSetTimeout(r->c, ct);
    if (r->pass) {
        const char *a[3] = { "AUTH", r->user ? r->user : r->pass, r->pass };
        if (!simple(r, r->user ? 3 : 2, a, why, sizeof why)) {
            store_down(r, now, "authentication failed");
            return 0;
        }
    }
    if (r->db) {
        char db[16];
        snprintf(db, sizeof db, "%d", r->db);
        const char *a[2] = { "SELECT", db };
        if (!simple(r, 2, a, why, sizeof why)) {
            store_down(r, now, why);
            return 0;
        }
    }
    const char *a[3] = { "SCRIPT", "LOAD", SCRIPT };
    size_t lens[3] = { 6, 4, sizeof SCRIPT - 1 };
    redisReply *rep = command(r, 3, a, lens);
    if (!rep || rep->type != REDIS_REPLY_STRING) {
        snprintf(why, sizeof why, "%s", rep ? (rep->str ? rep->str : "SCRIPT LOAD failed") : r->c->errstr);
        if (rep) freeReplyObject(rep);
        store_down(r, now, why);
        return 0;
    }
    snprintf(r->sha, sizeof r->sha, "%s", rep->str);
    freeReplyObject(rep);
    if (r->down) notef(r, 0, "limiter: the Redis store at %s:%d answers again; shared limits apply", r->host, r->port);
    r->down = 0;
    return 1;
}

static rlease *lease_find(rl *r, uint64_t id)
{
    for (size_t i = 0; i < r->nleases; i++)
        if (r->leases[i].id == id) return &r->leases[i];
    return NULL;
}

static void lease_list(rl *r, ct_sb *b, int released, int64_t now)
{
    for (size_t i = 0; i < r->nleases; i++) {
        rlease *l = &r->leases[i];
        if (released ? !l->released : (l->released || now - l->renewed < r->lease_ms / 3)) continue;
        ct_sb_printf(b, "%s%s-%llu/%u", b->len ? "," : "", r->member, (unsigned long long)l->id, l->mask);
        if (!released) l->renewed = now;
    }
}

/* The arguments of one run of the script: EVALSHA, its keys (the
 * account's config, members, and per limit its state, window and hold-off),
 * then this member's leases to renew and release, its hold-offs, the limits
 * asked for and every limit's definition (so members can compare them). */
enum { STEP_FIXED_ARGS = 11 };
typedef struct step_args {
    const char *argv[STEP_FIXED_ARGS + 3 * CT_LIMITS_MAX + 2 + 5 * CT_LIMITS_MAX];
    size_t lens[STEP_FIXED_ARGS + 3 * CT_LIMITS_MAX + 2 + 5 * CT_LIMITS_MAX];
    int argc;
    char keys[2 + 3 * CT_LIMITS_MAX][200];
    char vals[CT_LIMITS_MAX][3][32];
    char nkeys[16], lease_s[24], span_s[16], lease_id[96], limits[64];
    ct_sb renew, rel, boff;
} step_args;

static void step_args_build(rl *r, int64_t now, uint64_t id, unsigned mask, step_args *a)
{
    ct_sb_init(&a->renew);
    ct_sb_init(&a->rel);
    ct_sb_init(&a->boff);
    lease_list(r, &a->renew, 0, now);
    lease_list(r, &a->rel, 1, now);
    for (int i = 0; i < r->nlim; i++)
        if (r->backoff[i] > 0) ct_sb_printf(&a->boff, "%s%d/%lld", a->boff.len ? "," : "", i, (long long)r->backoff[i]);
    int nk = 2 + 3 * r->nlim;
    snprintf(a->keys[0], sizeof a->keys[0], "clevertap:{%s}:cfg", r->acct);
    snprintf(a->keys[1], sizeof a->keys[1], "clevertap:{%s}:members", r->acct);
    for (int i = 0; i < r->nlim; i++) {
        snprintf(a->keys[2 + 3 * i], sizeof a->keys[0], "clevertap:{%s}:%s", r->acct, r->lim[i].name);
        snprintf(a->keys[3 + 3 * i], sizeof a->keys[0], "clevertap:{%s}:%s:window", r->acct, r->lim[i].name);
        snprintf(a->keys[4 + 3 * i], sizeof a->keys[0], "clevertap:{%s}:%s:hold", r->acct, r->lim[i].name);
    }
    snprintf(a->nkeys, sizeof a->nkeys, "%d", nk);
    snprintf(a->lease_s, sizeof a->lease_s, "%ld", r->lease_ms);
    snprintf(a->span_s, sizeof a->span_s, "%d", WINDOW_SPAN_MS);
    a->lease_id[0] = a->limits[0] = '\0';
    if (id) {
        snprintf(a->lease_id, sizeof a->lease_id, "%s-%llu", r->member, (unsigned long long)id);
        size_t o = 0;
        for (int i = 0; i < r->nlim && o + 4 < sizeof a->limits; i++)
            if (mask & (1u << i)) o += (size_t)snprintf(a->limits + o, sizeof a->limits - o, "%s%d", o ? "," : "", i);
    }
    int argc = 0;
    a->argv[argc++] = "EVALSHA";
    a->argv[argc++] = r->sha;
    a->argv[argc++] = a->nkeys;
    for (int i = 0; i < nk; i++) a->argv[argc++] = a->keys[i];
    a->argv[argc++] = a->lease_s;
    a->argv[argc++] = r->member;
    a->argv[argc++] = a->lease_id;
    a->argv[argc++] = a->limits;
    a->argv[argc++] = ct_sb_cstr(&a->renew);
    a->argv[argc++] = ct_sb_cstr(&a->rel);
    a->argv[argc++] = ct_sb_cstr(&a->boff);
    a->argv[argc++] = a->span_s;
    for (int i = 0; i < r->nlim; i++) {
        rlim *l = &r->lim[i];
        snprintf(a->vals[i][0], sizeof a->vals[i][0], "%.6f", l->kind == CT_LIMIT_SEM ? (double)l->max : l->rate);
        snprintf(a->vals[i][1], sizeof a->vals[i][1], "%.6f", l->burst);
        snprintf(a->vals[i][2], sizeof a->vals[i][2], "%.6f", l->pace);
        a->argv[argc++] = l->name;
        a->argv[argc++] = l->kind == CT_LIMIT_SEM ? "s" : "b";
        a->argv[argc++] = a->vals[i][0];
        a->argv[argc++] = a->vals[i][1];
        a->argv[argc++] = a->vals[i][2];
    }
    for (int i = 0; i < argc; i++) a->lens[i] = strlen(a->argv[i]);
    a->argc = argc;
}

static void step_args_free(step_args *a)
{
    ct_sb_free(&a->renew);
    ct_sb_free(&a->rel);
    ct_sb_free(&a->boff);
}

/* The script run by its hash, or sent whole once when the store restarted
 * or flushed its scripts (NOSCRIPT). */
static redisReply *run_script(rl *r, step_args *a)
{
    redisReply *rep = command(r, a->argc, a->argv, a->lens);
    if (rep && rep->type == REDIS_REPLY_ERROR && strncmp(rep->str, "NOSCRIPT", 8) == 0) {
        freeReplyObject(rep);
        a->argv[0] = "EVAL";
        a->argv[1] = SCRIPT;
        a->lens[0] = 4;
        a->lens[1] = sizeof SCRIPT - 1;
        rep = command(r, a->argc, a->argv, a->lens);
    }
    return rep;
}

/* The script's list of limits other members set differently ("name=value,
 * ..."): one warning per limit, once. */
static void warn_config_diffs(rl *r, const char *diffs)
{
    for (int i = 0; i < r->nlim; i++) {
        if (r->warned & (1u << i)) continue;
        const char *p = strstr(diffs, r->lim[i].name);
        size_t n = strlen(r->lim[i].name);
        if (p && p[n] == '=') {
            r->warned |= 1u << i;
            const char *end = strchr(p, ',');
            notef(r, 1,
                  "limiter: another member of account %s set %s to %.*s (this one: %g); the strictest value "
                  "applies to every member",
                  r->acct, r->lim[i].name, (int)(end ? end - p - (long)n - 1 : (long)strlen(p + n + 1)), p + n + 1,
                  r->lim[i].kind == CT_LIMIT_SEM ? (double)r->lim[i].max : r->lim[i].rate);
        }
    }
}

/* One step: renewals, releases, hold-offs, and an acquire of limits
 * (mask, lease id) when id != 0. -1 = the store failed; else 1 granted,
 * 0 not now (*wait_ms). */
static int step(rl *r, int64_t now, uint64_t id, unsigned mask, int64_t *wait_ms)
{
    if (!r->c && !connect_store(r, now)) return -1;
    step_args a;
    step_args_build(r, now, id, mask, &a);
    redisReply *rep = run_script(r, &a);
    step_args_free(&a);
    if (!rep || rep->type != REDIS_REPLY_ARRAY || rep->elements < 5) {
        char why[200];
        snprintf(why, sizeof why, "%s",
                 !rep ? r->c->errstr : (rep->type == REDIS_REPLY_ERROR ? rep->str : "unexpected answer"));
        if (rep) freeReplyObject(rep);
        store_down(r, now, why);
        return -1;
    }
    /* what this step carried is done */
    size_t k = 0;
    for (size_t i = 0; i < r->nleases; i++)
        if (!r->leases[i].released) r->leases[k++] = r->leases[i];
    r->nleases = k;
    for (int i = 0; i < r->nlim; i++) r->backoff[i] = 0;
    long long granted = rep->element[0]->integer, wait = rep->element[1]->integer;
    r->members = (int)rep->element[2]->integer;
    if (r->members < 1) r->members = 1;
    warn_config_diffs(r, rep->element[3]->type == REDIS_REPLY_STRING ? rep->element[3]->str : "");
    int full = (int)rep->element[4]->integer;
    freeReplyObject(rep);
    if (granted) return 1;
    /* members told to wait the same time would all come back at once:
     * jitter spreads them, so the ceiling is shared roughly evenly */
    if (full) wait = 5 + (long long)(rnd(r) % 11);
    else wait += (long long)(rnd(r) % 3);
    *wait_ms = wait;
    return 0;
}

static int r_acquire(void *self, const int *limits, int n, int64_t now, uint64_t *lease, int64_t *wait_ms)
{
    rl *r = self;
    *lease = 0;
    if (r->down && now < r->retry_at) {
        if (r->fail_mode == CT_FAIL_LOCAL) return CT_LIMIT_FALLBACK;
        *wait_ms = r->retry_at - now;
        return CT_LIMIT_WAIT;
    }
    unsigned mask = 0, sems = 0;
    for (int i = 0; i < n; i++) {
        mask |= 1u << limits[i];
        if (r->lim[limits[i]].kind == CT_LIMIT_SEM) sems |= 1u << limits[i];
    }
    uint64_t id = ++r->next_lease;
    int rc = step(r, now, id, mask, wait_ms);
    if (rc < 0) {
        if (r->fail_mode == CT_FAIL_LOCAL) return CT_LIMIT_FALLBACK;
        *wait_ms = r->retry_at - now;
        return CT_LIMIT_WAIT;
    }
    if (rc == 0) return CT_LIMIT_WAIT;
    if (sems) {
        if (r->nleases == r->capleases) {
            size_t cap = r->capleases ? r->capleases * 2 : 16;
            rlease *p = realloc(r->leases, cap * sizeof *p);
            if (!p) return CT_LIMIT_GRANTED; /* out of memory: the lease expires on its own */
            r->leases = p;
            r->capleases = cap;
        }
        rlease *l = &r->leases[r->nleases++];
        l->id = id;
        l->mask = sems;
        l->renewed = now;
        l->released = 0;
        *lease = id;
    }
    return CT_LIMIT_GRANTED;
}

static void r_release(void *self, uint64_t lease)
{
    rl *r = self;
    rlease *l = lease_find(r, lease);
    if (!l) return;
    l->released = 1;
}

static void r_backoff(void *self, int limit, int64_t ms)
{
    rl *r = self;
    if (limit >= 0 && limit < r->nlim && ms > r->backoff[limit]) r->backoff[limit] = ms;
}

static int64_t r_due(void *self, int64_t now)
{
    rl *r = self;
    int64_t best = -1;
    for (size_t i = 0; i < r->nleases; i++) {
        const rlease *l = &r->leases[i];
        int64_t d = l->released ? RELEASE_DELAY_MS : l->renewed + r->lease_ms / 3 - now;
        if (d < 0) d = 0;
        if (best < 0 || d < best) best = d;
    }
    return best;
}

static void r_tick(void *self, int64_t now, int idle)
{
    rl *r = self;
    if (r->down && now < r->retry_at) return;
    int work = 0;
    for (size_t i = 0; i < r->nleases && !work; i++) {
        const rlease *l = &r->leases[i];
        work = l->released ? idle : now - l->renewed >= r->lease_ms / 3;
    }
    for (int i = 0; i < r->nlim && !work; i++) work = idle && r->backoff[i] > 0;
    int64_t w;
    if (work) (void)step(r, now, 0, 0, &w);
}

static int r_members(void *self)
{
    const rl *r = self;
    return r->members > r->expected ? r->members : r->expected;
}

static void r_free(void *self)
{
    rl *r = self;
    if (!r) return;
    /* slots held go back now rather than at their lease's end */
    if (r->c && !r->down) {
        for (size_t i = 0; i < r->nleases; i++) r->leases[i].released = 1;
        int64_t w;
        if (r->nleases) (void)step(r, 0, 0, 0, &w);
    }
    drop_conn(r);
    free(r->leases);
    free(r->acct);
    free(r->user);
    if (r->pass) {
        memset(r->pass, 0, strlen(r->pass));
        free(r->pass);
    }
    free(r);
}

static const ct_limiter_ops redis_ops = { r_define, r_acquire, r_release, r_backoff, r_tick,
                                          r_due,    r_notice,  r_members, r_free };

/* redis://[user:pass@]host:port[/db]; messages never show the password. */
static int parse_url(rl *r, const char *url, char *err, size_t errlen)
{
    const char *p = url + strlen("redis://");
    const char *at = strrchr(p, '@');
    if (at) {
        const char *colon = memchr(p, ':', (size_t)(at - p));
        if (colon) {
            if (colon > p && !(r->user = ct_strndup(p, (size_t)(colon - p)))) goto oom;
            if (!(r->pass = ct_strndup(colon + 1, (size_t)(at - colon - 1)))) goto oom;
        } else if (!(r->pass = ct_strndup(p, (size_t)(at - p)))) {
            goto oom;
        }
        p = at + 1;
    }
    const char *slash = strchr(p, '/');
    size_t hl = slash ? (size_t)(slash - p) : strlen(p);
    const char *colon = memchr(p, ':', hl);
    size_t hostlen = colon ? (size_t)(colon - p) : hl;
    if (hostlen == 0 || hostlen >= sizeof r->host) {
        snprintf(err, errlen, "limiter: a redis URL needs a host (redis://[user:pass@]host:port[/db])");
        return 0;
    }
    memcpy(r->host, p, hostlen);
    r->host[hostlen] = '\0';
    r->port = 6379;
    if (colon) {
        char *end;
        long port = strtol(colon + 1, &end, 10);
        if (end != p + hl || port <= 0 || port > 65535) {
            snprintf(err, errlen, "limiter: bad port in the redis URL for host %s", r->host);
            return 0;
        }
        r->port = (int)port;
    }
    if (slash && slash[1]) {
        char *end;
        long db = strtol(slash + 1, &end, 10);
        if (*end || db < 0 || db > 100000) {
            snprintf(err, errlen, "limiter: bad database number in the redis URL for %s:%d", r->host, r->port);
            return 0;
        }
        r->db = (int)db;
    }
    return 1;
oom:
    snprintf(err, errlen, "out of memory");
    return 0;
}

ct_limiter *ct_limiter_redis_new(const ct_limiter_cfg *cfg, char *err, size_t errlen)
{
    if (strncmp(cfg->url, "redis://", 8) != 0) {
        snprintf(err, errlen, "limiter: not a redis URL");
        return NULL;
    }
    rl *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    r->base.ops = &redis_ops;
    r->base.self = r;
    if (!parse_url(r, cfg->url, err, errlen)) {
        r_free(r);
        return NULL;
    }
    if (!(r->acct = ct_strdup(cfg->account_id ? cfg->account_id : ""))) {
        snprintf(err, errlen, "out of memory");
        r_free(r);
        return NULL;
    }
    r->fail_mode = cfg->fail_mode;
    r->lease_ms = cfg->lease_ms > 0 ? cfg->lease_ms : 10000;
    r->members = 1;
    r->expected = cfg->expected_members > 0 ? cfg->expected_members : 1;
    r->rng = cfg->seed ? cfg->seed : 0x9E3779B97F4A7C15ULL;
    char hn[32] = "";
    gethostname(hn, sizeof hn - 1);
    hn[sizeof hn - 1] = '\0';
    /* unique among members: host, process and a random part (two clients
     * of one process are two members) */
    snprintf(r->member, sizeof r->member, "%.24s:%ld:%08llx", hn, (long)getpid(),
             (unsigned long long)(rnd(r) & 0xffffffffULL));
    return &r->base;
}
