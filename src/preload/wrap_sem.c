/* POSIX semaphores: sem_trywait first, with errno kept as the program
 * left it, so a semaphore that was already posted leaves no trace. */
#include "preload/wrap.h"

static inline int try_first(sem_t *s)
{
    int saved = errno;
    if (tl_real.sem_trywait(s) == 0)
        return 1;
    errno = saved;
    return 0;
}

static __attribute__((noinline)) int wait_slow(sem_t *s)
{
    tl_sampler_if_missing();
    return TL_WAIT(TL_WAIT_SEM, "sem_wait", s, TL_RESUMED(tl_real.sem_wait(s)));
}

TL_EXPORT int sem_wait(sem_t *s)
{
    tl_real_ensure();
    if (try_first(s))
        return 0;
    return wait_slow(s);
}

TL_EXPORT int sem_timedwait(sem_t *s, const struct timespec *ts)
{
    tl_real_ensure();
    if (try_first(s))
        return 0;
    tl_sampler_if_missing();
    return TL_WAIT(TL_WAIT_SEM, "sem_timedwait", s, TL_RESUMED(tl_real.sem_timedwait(s, ts)));
}

TL_EXPORT int sem_clockwait(sem_t *s, clockid_t clk, const struct timespec *ts)
{
    tl_real_ensure();
    if (try_first(s))
        return 0;
    tl_sampler_if_missing();
    return TL_WAIT(TL_WAIT_SEM, "sem_clockwait", s, TL_RESUMED(tl_real.sem_clockwait(s, clk, ts)));
}
