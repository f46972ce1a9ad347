/* A fixed-rate frame loop for the game-host examples, with the timing a
 * game server cares about: how long each frame took, how much of it the
 * CleverTap client's per-frame poll used, and whether that poll ever
 * blocked the thread. */
#ifndef GAME_FRAME_H
#define GAME_FRAME_H

#include <stdio.h>

typedef struct frame_stats {
    double budget_ms; /* 1000 / hz */
    long frames;
    long overruns;              /* frames longer than the budget, whatever the cause */
    long client_overruns;       /* of those, frames the client's poll pushed over (see frame.c) */
    long blocked_polls;         /* polls that slept in the kernel (voluntary context switches) */
    double worst_frame_ms;      /* game work + poll */
    double worst_client_ms;     /* wall time of one poll */
    double worst_client_cpu_ms; /* CPU time of one poll */
    double total_client_ms;
} frame_stats;

/* Called once per frame after the game's own work: 1 = keep going,
 * 0 = finished, -1 = failed. */
typedef int (*frame_tick_fn)(void *ud);

/* Runs frames at `hz` per second; each frame spins `work_ms` of simulated
 * game logic, then calls tick. Stops when tick returns <= 0 or after
 * max_frames. Returns tick's last value (1 when max_frames ran out). */
int frame_run(int hz, double work_ms, long max_frames, frame_tick_fn tick, void *ud, frame_stats *st);

void frame_print(const frame_stats *st, FILE *out);

/* Frames to run at most: GAME_MAX_SECONDS (default 180) at hz. */
long frame_limit(int hz);

#endif
