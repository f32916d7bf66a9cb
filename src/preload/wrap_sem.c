/* POSIX semaphores: sem_trywait first, with errno kept as the program
 * left it, so a semaphore that was already posted leaves no trace. Before
 * it, what glibc does before its own fast path (sem_wait.c,
 * sem_timedwait.c, sem_clockwait.c): check the clock and the timespec, and
 * act on a pending cancellation where glibc does (sem_wait, sem_timedwait;
 * glibc's sem_clockwait does not), since sem_trywait is no cancellation
 * point. */
#include "preload/wrap.h"

static inline int try_first(sem_t *s)
{
    int saved = errno;
    if (tl_real.sem_trywait(s) == 0)
        return 1;
    errno = saved;
    return 0;
}

static inline int invalid(void)
{
    errno = EINVAL;
    return -1;
}

static __attribute__((noinline)) int wait_slow(sem_t *s)
{
    tl_sampler_if_missing();
    return TL_WAIT(TL_WAIT_SEM, "sem_wait", s, TL_RESUMED(tl_real.sem_wait(s)));
}

TL_EXPORT int sem_wait(sem_t *s)
{
    tl_real_ensure();
    pthread_testcancel();
    if (try_first(s))
        return 0;
    return wait_slow(s);
}

TL_EXPORT int sem_timedwait(sem_t *s, const struct timespec *ts)
{
    tl_real_ensure();
    if (!tl_nsec_ok(ts))
        return invalid();
    pthread_testcancel();
    if (try_first(s))
        return 0;
    tl_sampler_if_missing();
    return TL_WAIT(TL_WAIT_SEM, "sem_timedwait", s, TL_RESUMED(tl_real.sem_timedwait(s, ts)));
}

TL_EXPORT int sem_clockwait(sem_t *s, clockid_t clk, const struct timespec *ts)
{
    tl_real_ensure();
    if (!tl_clock_ok(clk) || !tl_nsec_ok(ts))
        return invalid();
    if (try_first(s))
        return 0;
    tl_sampler_if_missing();
    return TL_WAIT(TL_WAIT_SEM, "sem_clockwait", s, TL_RESUMED(tl_real.sem_clockwait(s, clk, ts)));
}
