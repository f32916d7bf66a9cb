/* Sleeps and signal waits: they always block. Each resumes with what is
 * left of its time when only threadleak's dump signal interrupted it. */
#include "preload/wrap.h"

static unsigned sleep_resumed(unsigned s)
{
    for (;;) {
        unsigned h = tl_signal_hits;
        unsigned left = tl_real.sleep(s);
        if (left == 0 || tl_signal_hits == h)
            return left;
        s = left;
    }
}

TL_EXPORT unsigned sleep(unsigned s)
{
    tl_real_ensure();
    return TL_WAIT(TL_WAIT_SLEEP, "sleep", 0, sleep_resumed(s));
}

static int usleep_resumed(useconds_t us)
{
    int e = errno;
    uint64_t start = tl_mono_ns(), total = (uint64_t)us * 1000;
    for (;;) {
        unsigned h = tl_signal_hits;
        int r = tl_real.usleep(us);
        if (r == 0 || errno != EINTR || tl_signal_hits == h)
            return r;
        errno = e;
        uint64_t left = tl_left_ns(start, total);
        if (left == 0)
            return 0;
        us = (useconds_t)((left + 999) / 1000);
    }
}

TL_EXPORT int usleep(useconds_t us)
{
    tl_real_ensure();
    return TL_WAIT(TL_WAIT_SLEEP, "usleep", 0, usleep_resumed(us));
}

static int nanosleep_resumed(const struct timespec *req, struct timespec *rem)
{
    int e = errno;
    struct timespec left = *req, out;
    for (;;) {
        unsigned h = tl_signal_hits;
        int r = tl_real.nanosleep(&left, &out);
        if (r == 0 || errno != EINTR || tl_signal_hits == h) {
            if (r != 0 && rem && errno == EINTR)
                *rem = out;
            return r;
        }
        errno = e;
        left = out;
    }
}

TL_EXPORT int nanosleep(const struct timespec *req, struct timespec *rem)
{
    tl_real_ensure();
    if (!req)
        return tl_real.nanosleep(req, rem);
    return TL_WAIT(TL_WAIT_SLEEP, "nanosleep", 0, nanosleep_resumed(req, rem));
}

static int clock_nanosleep_resumed(clockid_t clk, int flags, const struct timespec *req,
                                   struct timespec *rem)
{
    struct timespec left = *req, out;
    for (;;) {
        unsigned h = tl_signal_hits;
        int r = tl_real.clock_nanosleep(clk, flags, &left, &out);
        if (r != EINTR || tl_signal_hits == h) {
            if (r == EINTR && rem && !(flags & TIMER_ABSTIME))
                *rem = out;
            return r;
        }
        if (!(flags & TIMER_ABSTIME))
            left = out;
    }
}

TL_EXPORT int clock_nanosleep(clockid_t clk, int flags, const struct timespec *req,
                              struct timespec *rem)
{
    tl_real_ensure();
    if (!req)
        return tl_real.clock_nanosleep(clk, flags, req, rem);
    return TL_WAIT(TL_WAIT_SLEEP, "clock_nanosleep", 0,
                   clock_nanosleep_resumed(clk, flags, req, rem));
}

static int thrd_sleep_resumed(const struct timespec *req, struct timespec *rem)
{
    struct timespec left = *req, out;
    for (;;) {
        unsigned h = tl_signal_hits;
        int r = tl_real.thrd_sleep(&left, &out);
        if (r != -1 || tl_signal_hits == h) {
            if (r == -1 && rem)
                *rem = out;
            return r;
        }
        left = out;
    }
}

TL_EXPORT int thrd_sleep(const struct timespec *req, struct timespec *rem)
{
    tl_real_ensure();
    if (!req)
        return tl_real.thrd_sleep(req, rem);
    return TL_WAIT(TL_WAIT_SLEEP, "thrd_sleep", 0, thrd_sleep_resumed(req, rem));
}

TL_EXPORT int pause(void)
{
    tl_real_ensure();
    return TL_WAIT(TL_WAIT_SLEEP, "pause", 0, TL_RESUMED(tl_real.pause()));
}

TL_EXPORT int sigsuspend(const sigset_t *mask)
{
    tl_real_ensure();
    return TL_WAIT(TL_WAIT_SLEEP, "sigsuspend", 0, TL_RESUMED(tl_real.sigsuspend(mask)));
}

TL_EXPORT int sigwait(const sigset_t *set, int *sig)
{
    tl_real_ensure();
    return TL_WAIT(TL_WAIT_SLEEP, "sigwait", 0, tl_real.sigwait(set, sig));
}

TL_EXPORT int sigwaitinfo(const sigset_t *set, siginfo_t *info)
{
    tl_real_ensure();
    return TL_WAIT(TL_WAIT_SLEEP, "sigwaitinfo", 0, TL_RESUMED(tl_real.sigwaitinfo(set, info)));
}

static int sigtimedwait_resumed(const sigset_t *set, siginfo_t *info, const struct timespec *ts)
{
    int e = errno;
    uint64_t start = tl_mono_ns(), total = tl_ts_ns(ts);
    struct timespec left = *ts;
    for (;;) {
        unsigned h = tl_signal_hits;
        int r = tl_real.sigtimedwait(set, info, &left);
        if (r != -1 || errno != EINTR || tl_signal_hits == h)
            return r;
        errno = e;
        left = tl_ns_ts(tl_left_ns(start, total));
    }
}

TL_EXPORT int sigtimedwait(const sigset_t *set, siginfo_t *info, const struct timespec *ts)
{
    tl_real_ensure();
    if (!ts)
        return TL_WAIT(TL_WAIT_SLEEP, "sigtimedwait", 0,
                       TL_RESUMED(tl_real.sigtimedwait(set, info, ts)));
    return TL_WAIT(TL_WAIT_SLEEP, "sigtimedwait", 0, sigtimedwait_resumed(set, info, ts));
}
