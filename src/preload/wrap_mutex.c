/* pthread_mutex_* and C11 mtx_*: an uncontended lock is a trylock and a
 * return; only a lock that has to wait is noted, in a function of its own
 * so that the fast path needs no stack frame to speak of. A process that
 * has never had a second thread takes the real lock at once: glibc's lock
 * skips its atomic instruction then, which a trylock never does, and there
 * is no sampler to show the wait to anyway. */
#include <sys/single_threaded.h>

#include "preload/wrap.h"

#define TL_SLOW __attribute__((noinline))

static TL_SLOW int lock_slow(pthread_mutex_t *m)
{
    tl_sampler_if_missing();
    return TL_WAIT(TL_WAIT_MUTEX, "pthread_mutex_lock", m, tl_real.pthread_mutex_lock(m));
}

TL_EXPORT int pthread_mutex_lock(pthread_mutex_t *m)
{
    tl_real_ensure();
    if (__libc_single_threaded)
        return tl_real.pthread_mutex_lock(m);
    int rc = tl_real.pthread_mutex_trylock(m);
    if (tl_likely(rc != EBUSY))
        return rc;
    return lock_slow(m);
}

static TL_SLOW int timedlock_slow(pthread_mutex_t *m, const struct timespec *ts)
{
    tl_sampler_if_missing();
    return TL_WAIT(TL_WAIT_MUTEX, "pthread_mutex_timedlock", m,
                   tl_real.pthread_mutex_timedlock(m, ts));
}

TL_EXPORT int pthread_mutex_timedlock(pthread_mutex_t *m, const struct timespec *ts)
{
    tl_real_ensure();
    int rc = tl_real.pthread_mutex_trylock(m);
    if (tl_likely(rc != EBUSY))
        return rc;
    return timedlock_slow(m, ts);
}

static TL_SLOW int clocklock_slow(pthread_mutex_t *m, clockid_t clk, const struct timespec *ts)
{
    tl_sampler_if_missing();
    return TL_WAIT(TL_WAIT_MUTEX, "pthread_mutex_clocklock", m,
                   tl_real.pthread_mutex_clocklock(m, clk, ts));
}

/* glibc checks the clock before anything else, the timespec only when the
 * lock has to wait. */
TL_EXPORT int pthread_mutex_clocklock(pthread_mutex_t *m, clockid_t clk, const struct timespec *ts)
{
    tl_real_ensure();
    if (tl_unlikely(!tl_clock_ok(clk)))
        return EINVAL;
    int rc = tl_real.pthread_mutex_trylock(m);
    if (tl_likely(rc != EBUSY))
        return rc;
    return clocklock_slow(m, clk, ts);
}

static TL_SLOW int mtx_lock_slow(mtx_t *m)
{
    tl_sampler_if_missing();
    return TL_WAIT(TL_WAIT_MUTEX, "mtx_lock", m, tl_real.mtx_lock(m));
}

TL_EXPORT int mtx_lock(mtx_t *m)
{
    tl_real_ensure();
    int rc = tl_real.mtx_trylock(m);
    if (tl_likely(rc != thrd_busy))
        return rc;
    return mtx_lock_slow(m);
}

static TL_SLOW int mtx_timedlock_slow(mtx_t *__restrict m, const struct timespec *__restrict ts)
{
    tl_sampler_if_missing();
    return TL_WAIT(TL_WAIT_MUTEX, "mtx_timedlock", m, tl_real.mtx_timedlock(m, ts));
}

TL_EXPORT int mtx_timedlock(mtx_t *__restrict m, const struct timespec *__restrict ts)
{
    tl_real_ensure();
    int rc = tl_real.mtx_trylock(m);
    if (tl_likely(rc != thrd_busy))
        return rc;
    return mtx_timedlock_slow(m, ts);
}
