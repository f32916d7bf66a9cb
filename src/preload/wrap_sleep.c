/* Sleeps and signal waits: they always block. */
#include "preload/wrap.h"

TL_EXPORT unsigned sleep(unsigned s)
{
    tl_real_ensure();
    return TL_WAIT(TL_WAIT_SLEEP, "sleep", 0, tl_real.sleep(s));
}

TL_EXPORT int usleep(useconds_t us)
{
    tl_real_ensure();
    return TL_WAIT(TL_WAIT_SLEEP, "usleep", 0, tl_real.usleep(us));
}

TL_EXPORT int nanosleep(const struct timespec *req, struct timespec *rem)
{
    tl_real_ensure();
    return TL_WAIT(TL_WAIT_SLEEP, "nanosleep", 0, tl_real.nanosleep(req, rem));
}

TL_EXPORT int clock_nanosleep(clockid_t clk, int flags, const struct timespec *req,
                              struct timespec *rem)
{
    tl_real_ensure();
    return TL_WAIT(TL_WAIT_SLEEP, "clock_nanosleep", 0,
                   tl_real.clock_nanosleep(clk, flags, req, rem));
}

TL_EXPORT int thrd_sleep(const struct timespec *req, struct timespec *rem)
{
    tl_real_ensure();
    return TL_WAIT(TL_WAIT_SLEEP, "thrd_sleep", 0, tl_real.thrd_sleep(req, rem));
}

TL_EXPORT int pause(void)
{
    tl_real_ensure();
    return TL_WAIT(TL_WAIT_SLEEP, "pause", 0, tl_real.pause());
}

TL_EXPORT int sigsuspend(const sigset_t *mask)
{
    tl_real_ensure();
    return TL_WAIT(TL_WAIT_SLEEP, "sigsuspend", 0, tl_real.sigsuspend(mask));
}

TL_EXPORT int sigwait(const sigset_t *set, int *sig)
{
    tl_real_ensure();
    return TL_WAIT(TL_WAIT_SLEEP, "sigwait", 0, tl_real.sigwait(set, sig));
}

TL_EXPORT int sigwaitinfo(const sigset_t *set, siginfo_t *info)
{
    tl_real_ensure();
    return TL_WAIT(TL_WAIT_SLEEP, "sigwaitinfo", 0, tl_real.sigwaitinfo(set, info));
}

TL_EXPORT int sigtimedwait(const sigset_t *set, siginfo_t *info, const struct timespec *ts)
{
    tl_real_ensure();
    return TL_WAIT(TL_WAIT_SLEEP, "sigtimedwait", 0, tl_real.sigtimedwait(set, info, ts));
}
