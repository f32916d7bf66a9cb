/* Sleeps and signal waits: they always block. The first call gets the
 * program's arguments as they are (a bad pointer fails as it would bare);
 * when only threadleak's dump signal interrupted it, the wait is made
 * again for exactly what is left of it, to the nanosecond. */
#include "preload/wrap.h"

/* Made again after our signal: a relative nanosleep for `rest`; returns as
 * the program's call would have, with what is left in *out. */
static int nanosleep_rest(struct timespec rest, struct timespec *out)
{
    int e = errno;
    for (;;) {
        unsigned h = tl_signal_hits;
        int r = tl_real.nanosleep(&rest, out);
        if (r == 0 || errno != EINTR || tl_signal_hits == h)
            return r;
        errno = e;
        rest = *out;
    }
}

/* sleep() and usleep() hide their remainder: what is left is measured. */
static unsigned sleep_resumed(unsigned s)
{
    int e = errno;
    uint64_t start = tl_mono_ns();
    unsigned h = tl_signal_hits;
    unsigned left = tl_real.sleep(s);
    if (left == 0 || tl_signal_hits == h)
        return left;
    struct timespec total = {(time_t)s, 0}, out;
    errno = e;
    if (nanosleep_rest(tl_left_ts(&total, start), &out) == 0)
        return 0;
    return (unsigned)out.tv_sec; /* glibc's sleep: the whole seconds left */
}

TL_EXPORT unsigned sleep(unsigned s)
{
    tl_real_ensure();
    return TL_WAIT(TL_WAIT_SLEEP, "sleep", 0, sleep_resumed(s));
}

static int usleep_resumed(useconds_t us)
{
    int e = errno;
    uint64_t start = tl_mono_ns();
    unsigned h = tl_signal_hits;
    int r = tl_real.usleep(us);
    if (r == 0 || errno != EINTR || tl_signal_hits == h)
        return r;
    struct timespec total = {(time_t)(us / 1000000), (long)(us % 1000000) * 1000}, out;
    errno = e;
    return nanosleep_rest(tl_left_ts(&total, start), &out);
}

TL_EXPORT int usleep(useconds_t us)
{
    tl_real_ensure();
    return TL_WAIT(TL_WAIT_SLEEP, "usleep", 0, usleep_resumed(us));
}

/* The kernel writes the remainder where it is asked to: into the program's
 * rem if it gave one (it is writable once the kernel has written it), else
 * into ours. */
static int nanosleep_resumed(const struct timespec *req, struct timespec *rem)
{
    int e = errno;
    struct timespec out, *where = rem ? rem : &out;
    unsigned h = tl_signal_hits;
    int r = tl_real.nanosleep(req, where);
    if (r == 0 || errno != EINTR || tl_signal_hits == h)
        return r;
    errno = e;
    return nanosleep_rest(*where, where);
}

TL_EXPORT int nanosleep(const struct timespec *req, struct timespec *rem)
{
    tl_real_ensure();
    return TL_WAIT(TL_WAIT_SLEEP, "nanosleep", 0, nanosleep_resumed(req, rem));
}

/* clock_nanosleep answers with the error number. An absolute sleep is made
 * again as it was; a relative one for what the kernel says is left, in its
 * own clock (a CPU-time clock does not run while the thread sleeps). */
static int clock_nanosleep_resumed(clockid_t clk, int flags, const struct timespec *req,
                                   struct timespec *rem)
{
    struct timespec out, rest, *where = rem ? rem : &out;
    for (;;) {
        unsigned h = tl_signal_hits;
        int r = tl_real.clock_nanosleep(clk, flags, req, where);
        if (r != EINTR || tl_signal_hits == h)
            return r;
        if (!(flags & TIMER_ABSTIME)) {
            rest = *where;
            req = &rest;
        }
    }
}

TL_EXPORT int clock_nanosleep(clockid_t clk, int flags, const struct timespec *req,
                              struct timespec *rem)
{
    tl_real_ensure();
    return TL_WAIT(TL_WAIT_SLEEP, "clock_nanosleep", 0,
                   clock_nanosleep_resumed(clk, flags, req, rem));
}

/* thrd_sleep: 0, -1 when a signal interrupted it, another negative value
 * on error. */
static int thrd_sleep_resumed(const struct timespec *req, struct timespec *rem)
{
    struct timespec out, rest, *where = rem ? rem : &out;
    for (;;) {
        unsigned h = tl_signal_hits;
        int r = tl_real.thrd_sleep(req, where);
        if (r != -1 || tl_signal_hits == h)
            return r;
        rest = *where;
        req = &rest;
    }
}

TL_EXPORT int thrd_sleep(const struct timespec *req, struct timespec *rem)
{
    tl_real_ensure();
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

/* *ts is read only after the kernel has accepted it. */
static int sigtimedwait_resumed(const sigset_t *set, siginfo_t *info, const struct timespec *ts)
{
    int e = errno;
    uint64_t start = tl_mono_ns();
    struct timespec left;
    const struct timespec *p = ts;
    for (;;) {
        unsigned h = tl_signal_hits;
        int r = tl_real.sigtimedwait(set, info, p);
        if (r != -1 || errno != EINTR || tl_signal_hits == h)
            return r;
        errno = e;
        if (ts) {
            left = tl_left_ts(ts, start);
            p = &left;
        }
    }
}

TL_EXPORT int sigtimedwait(const sigset_t *set, siginfo_t *info, const struct timespec *ts)
{
    tl_real_ensure();
    return TL_WAIT(TL_WAIT_SLEEP, "sigtimedwait", 0, sigtimedwait_resumed(set, info, ts));
}
