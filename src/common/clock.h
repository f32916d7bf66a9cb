/* Time as one count of nanoseconds, the way libuv's uv__hrtime gives it:
 * the one place a timespec becomes a number and back, for the library
 * and the command alike. Inline: the wrappers stamp every wait with it. */
#ifndef THREADLEAK_CLOCK_H
#define THREADLEAK_CLOCK_H

#include <stdint.h>
#include <time.h>

#define TL_NS_PER_S 1000000000ull

static inline uint64_t tl_ts_ns(const struct timespec *ts)
{
    return (uint64_t)ts->tv_sec * TL_NS_PER_S + (uint64_t)ts->tv_nsec;
}

static inline struct timespec tl_ns_ts(uint64_t ns)
{
    struct timespec ts = {(time_t)(ns / TL_NS_PER_S), (long)(ns % TL_NS_PER_S)};
    return ts;
}

/* CLOCK_MONOTONIC for intervals, CLOCK_MONOTONIC_COARSE where a tick (a
 * few ms) is precise enough and a wrapper pays for the call, CLOCK_REALTIME
 * for dates written down. */
static inline uint64_t tl_clock_ns(clockid_t clk)
{
    struct timespec ts;
    clock_gettime(clk, &ts);
    return tl_ts_ns(&ts);
}

static inline uint64_t tl_mono_ns(void)
{
    return tl_clock_ns(CLOCK_MONOTONIC);
}

#endif
