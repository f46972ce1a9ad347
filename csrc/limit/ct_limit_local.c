/* The local limiter: one lane's in-flight cap, token bucket and
 * sliding-second ring, in one process (see ct_limit.h). */
#include "ct_limit.h"

#include <stdlib.h>

/* the sliding-second window holds at most this many starts */
#define CT_WINDOW_MAX 100000.0

void ct_llane_set(ct_llane *l, int max_inflight, double rate, double burst)
{
    l->max_inflight = max_inflight;
    l->rate = rate;
    l->burst = burst < 1 ? 1 : burst;
    l->tokens = l->burst;
    l->started = 0;
    free(l->win);
    l->win = NULL;
    l->win_cap = l->win_head = l->win_n = 0;
    if (l->rate > 0) {
        double cap = l->rate < 1 ? 1 : l->rate;
        if (cap > CT_WINDOW_MAX) cap = CT_WINDOW_MAX;
        l->win = calloc((size_t)cap, sizeof *l->win);
        if (l->win) l->win_cap = (size_t)cap; /* out of memory: the bucket alone */
    }
}

void ct_llane_free(ct_llane *l)
{
    free(l->win);
    l->win = NULL;
    l->win_cap = 0;
}

static void refill(ct_llane *l, int64_t now)
{
    if (l->rate <= 0) return;
    if (!l->started) {
        l->started = 1;
        l->last_ms = now;
        return;
    }
    if (now > l->last_ms) {
        l->tokens += (double)(now - l->last_ms) * l->rate / 1000.0;
        if (l->tokens > l->burst) l->tokens = l->burst;
        l->last_ms = now;
    }
}

int64_t ct_llane_wait(ct_llane *l, int64_t now)
{
    int64_t w = 0;
    if (l->max_inflight > 0 && l->inflight >= l->max_inflight) return -1;
    if (l->win_n == l->win_cap && l->win_cap > 0) {
        /* the oldest of the last floor(rate) starts must be 1 s old */
        int64_t t = l->win[l->win_head] + 1000 - now;
        if (t > w) w = t;
    }
    if (l->rate > 0) {
        refill(l, now);
        if (l->tokens < 1.0) {
            /* at high rates wait for a few tokens (5 ms worth) rather than
             * waking the transport for every single one */
            double need = l->rate / 200.0;
            if (need > l->burst) need = l->burst;
            if (need < 1.0) need = 1.0;
            int64_t t = (int64_t)((need - l->tokens) * 1000.0 / l->rate) + 1;
            if (t > w) w = t;
        }
    }
    return w;
}

void ct_llane_take(ct_llane *l, int64_t now)
{
    l->inflight++;
    if (l->inflight > l->peak) l->peak = l->inflight;
    if (l->rate > 0) l->tokens -= 1.0;
    if (l->win_cap > 0) {
        if (l->win_n == l->win_cap) {
            l->win[l->win_head] = now; /* the oldest is replaced */
            l->win_head = (l->win_head + 1) % l->win_cap;
        } else {
            l->win[(l->win_head + l->win_n) % l->win_cap] = now;
            l->win_n++;
        }
    }
}

void ct_llane_release(ct_llane *l) { l->inflight--; }

void ct_limiter_free(ct_limiter *l)
{
    if (l) l->ops->free(l->self);
}
