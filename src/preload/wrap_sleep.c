/* Sleeps and signal waits: they always block. The first call gets the
 * program's request as it is (a bad pointer fails as it would bare); when
 * only threadleak's dump signal interrupted it, the wait is made again for
 * exactly what is left of it, to the nanosecond. */
#include <sys/syscall.h>

#include "preload/wrap.h"

/* Made again after our signal: a relative nanosleep for `rest`; returns as
 * the program's call would have, with what is left in *out. */
static int nanosleep_rest(struct timespec rest, struct timespec *out)
{
    struct tl_retry rt = tl_retry_start();
    for (;;) {
        tl_retry_try(&rt);
        int r = tl_real.nanosleep(&rest, out);
        if (!tl_retry_again(&rt, r))
            return r;
        rest = *out;
    }
}

/* sleep() and usleep() hide their remainder, and sleep() rounds it down
 * to whole seconds (0 when less than one is left): what is left is
 * measured. */
static unsigned sleep_resumed(unsigned s)
{
    struct tl_retry rt = tl_retry_start();
    uint64_t start = tl_mono_ns();
    tl_retry_try(&rt);
    unsigned left = tl_real.sleep(s);
    if (!tl_retry_hit(&rt))
        return left;
    struct timespec total = {(time_t)s, 0}, rest = tl_left_ts(&total, start), out;
    errno = rt.saved_errno;
    if ((rest.tv_sec == 0 && rest.tv_nsec == 0) || nanosleep_rest(rest, &out) == 0)
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
    struct tl_retry rt = tl_retry_start();
    uint64_t start = tl_mono_ns();
    tl_retry_try(&rt);
    int r = tl_real.usleep(us);
    if (!tl_retry_again(&rt, r))
        return r;
    struct timespec total = {(time_t)(us / 1000000), (long)(us % 1000000) * 1000}, out;
    return nanosleep_rest(tl_left_ts(&total, start), &out);
}

TL_EXPORT int usleep(useconds_t us)
{
    tl_real_ensure();
    return TL_WAIT(TL_WAIT_SLEEP, "usleep", 0, usleep_resumed(us));
}

/* The remainder goes to the program's rem only when the program's own
 * signal interrupted the sleep, as bare: the kernel writes it into ours,
 * and it is copied into rem the way the kernel would, EFAULT if rem cannot
 * be written (a system call that writes a timespec checks that first). */
static int store_rem(struct timespec *rem, const struct timespec *out)
{
    if (tl_real.syscall(SYS_clock_gettime, CLOCK_MONOTONIC, (long)rem, 0, 0, 0, 0) != 0)
        return EFAULT;
    *rem = *out;
    return 0;
}

static int nanosleep_resumed(const struct timespec *req, struct timespec *rem)
{
    struct tl_retry rt = tl_retry_start();
    struct timespec out;
    tl_retry_try(&rt);
    int r = tl_real.nanosleep(req, &out);
    if (tl_retry_again(&rt, r))
        r = nanosleep_rest(out, &out);
    if (r == -1 && errno == EINTR && rem && store_rem(rem, &out))
        errno = EFAULT;
    return r;
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
    struct timespec out, rest;
    struct tl_retry rt = {0}; /* errno is not its answer */
    int relative = !(flags & TIMER_ABSTIME);
    for (;;) {
        tl_retry_try(&rt);
        int r = tl_real.clock_nanosleep(clk, flags, req, relative ? &out : rem);
        if (r != EINTR || !tl_retry_hit(&rt)) {
            if (r == EINTR && relative && rem && store_rem(rem, &out))
                return EFAULT;
            return r;
        }
        if (relative) {
            rest = out;
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
    struct timespec out, rest;
    struct tl_retry rt = {0}; /* errno is not its answer */
    for (;;) {
        tl_retry_try(&rt);
        int r = tl_real.thrd_sleep(req, &out);
        if (r != -1 || !tl_retry_hit(&rt))
            return r == -1 && rem && store_rem(rem, &out) ? -2 : r;
        rest = out;
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

/* glibc's sigwait makes its wait again after EINTR itself, and leaves
 * errno EINTR behind even when it then succeeds. */
static int sigwait_quiet(const sigset_t *set, int *sig)
{
    struct tl_retry rt = tl_retry_start();
    tl_retry_try(&rt);
    int r = tl_real.sigwait(set, sig);
    if (r == 0 && tl_retry_hit(&rt) && errno == EINTR)
        errno = rt.saved_errno;
    return r;
}

TL_EXPORT int sigwait(const sigset_t *set, int *sig)
{
    tl_real_ensure();
    return TL_WAIT(TL_WAIT_SLEEP, "sigwait", 0, sigwait_quiet(set, sig));
}

TL_EXPORT int sigwaitinfo(const sigset_t *set, siginfo_t *info)
{
    tl_real_ensure();
    return TL_WAIT(TL_WAIT_SLEEP, "sigwaitinfo", 0, TL_RESUMED(tl_real.sigwaitinfo(set, info)));
}

TL_EXPORT int sigtimedwait(const sigset_t *set, siginfo_t *info, const struct timespec *ts)
{
    tl_real_ensure();
    return TL_WAIT(
        TL_WAIT_SLEEP, "sigtimedwait", 0,
        TL_COUNTED_DOWN(c, ts != NULL, tl_real.sigtimedwait(set, info, tl_countdown_ts(&c, ts))));
}
