/* Fixed-rate frame loop and its measurements (see frame.h). Linux: per
 * thread CPU time and context-switch counts come from clock_gettime and
 * getrusage(RUSAGE_THREAD). */
#include "frame.h"

#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

static long long now_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long voluntary_switches(void)
{
    struct rusage ru;
    getrusage(RUSAGE_THREAD, &ru);
    return ru.ru_nvcsw;
}

/* Stands in for the game's simulation: busy CPU, no sleeping. */
static void spin(double ms)
{
    long long end = now_ns(CLOCK_MONOTONIC) + (long long)(ms * 1e6);
    while (now_ns(CLOCK_MONOTONIC) < end) {
    }
}

static void sleep_until(long long t)
{
    struct timespec ts = { (time_t)(t / 1000000000LL), (long)(t % 1000000000LL) };
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) != 0) {
    }
}

int frame_run(int hz, double work_ms, long max_frames, frame_tick_fn tick, void *ud, frame_stats *st)
{
    const long long period = 1000000000LL / hz;
    const double budget_ms = 1000.0 / hz;
    long long next = now_ns(CLOCK_MONOTONIC) + period;
    int rc = 1;
    /* FRAME_TRACE=ms prints every frame whose poll took longer than ms. */
    const char *trace_env = getenv("FRAME_TRACE");
    double trace = trace_env ? atof(trace_env) : -1;
    *st = (frame_stats){ .budget_ms = budget_ms };

    while (rc > 0 && st->frames < max_frames) {
        long long t0 = now_ns(CLOCK_MONOTONIC);
        spin(work_ms);
        long long t1 = now_ns(CLOCK_MONOTONIC);
        long long c1 = now_ns(CLOCK_THREAD_CPUTIME_ID);
        long v1 = voluntary_switches();
        rc = tick(ud);
        long v2 = voluntary_switches();
        long long c2 = now_ns(CLOCK_THREAD_CPUTIME_ID);
        long long t2 = now_ns(CLOCK_MONOTONIC);

        double frame_ms = (double)(t2 - t0) / 1e6;
        double client_ms = (double)(t2 - t1) / 1e6;
        double client_cpu_ms = (double)(c2 - c1) / 1e6;
        int blocked = v2 > v1;
        if (trace >= 0 && client_ms > trace) {
            fprintf(stderr, "frame %ld: %.2f ms, poll %.2f ms (cpu %.2f ms)%s\n", st->frames, frame_ms, client_ms,
                    client_cpu_ms, blocked ? ", blocked" : "");
        }
        st->frames++;
        st->total_client_ms += client_ms;
        if (blocked) st->blocked_polls++;
        if (frame_ms > st->worst_frame_ms) st->worst_frame_ms = frame_ms;
        if (client_ms > st->worst_client_ms) st->worst_client_ms = client_ms;
        if (client_cpu_ms > st->worst_client_cpu_ms) st->worst_client_cpu_ms = client_cpu_ms;
        if (frame_ms > budget_ms) {
            st->overruns++;
            /* The client is to blame when its poll slept in the kernel
             * (blocked) or used so much CPU that the frame would overrun
             * even on an idle machine (game work + poll CPU > budget). A
             * poll merely preempted by another process (wall time far
             * above CPU time, no voluntary switch) is not its doing. */
            if (blocked || work_ms + client_cpu_ms > budget_ms) st->client_overruns++;
        }

        long long now = now_ns(CLOCK_MONOTONIC);
        if (now < next) sleep_until(next);
        next += period;
        if (now > next) next = now + period; /* fell behind: start a new rhythm */
    }
    return rc;
}

void frame_print(const frame_stats *st, FILE *out)
{
    fprintf(out,
            "frames=%ld budget_ms=%.2f worst_frame_ms=%.2f worst_client_ms=%.2f worst_client_cpu_ms=%.2f "
            "mean_client_ms=%.3f overruns=%ld client_overruns=%ld blocked_polls=%ld\n",
            st->frames, st->budget_ms, st->worst_frame_ms, st->worst_client_ms, st->worst_client_cpu_ms,
            st->frames ? st->total_client_ms / (double)st->frames : 0.0, st->overruns, st->client_overruns,
            st->blocked_polls);
}

long frame_limit(int hz)
{
    const char *env = getenv("GAME_MAX_SECONDS");
    long seconds = env ? strtol(env, NULL, 10) : 180;
    return (seconds > 0 ? seconds : 180) * hz;
}
