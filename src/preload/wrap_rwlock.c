/* pthread_rwlock_*: try first; only a lock that has to wait is noted, in a
 * function of its own so that the fast path stays frameless. The timed
 * calls check their clock and timespec first, as glibc does even when the
 * lock is free (pthread_rwlock_common.c). */
#include "preload/wrap.h"

/* glibc takes a NULL timespec for no timeout; the prototypes say nonnull,
 * so the pointer is hidden from the compiler before it is compared. */
static inline int bad_timeout(clockid_t c, const struct timespec *ts)
{
    __asm__("" : "+r"(ts));
    return ts && (!tl_clock_ok(c) || !tl_nsec_ok(ts));
}

#define TL_RWLOCK(fn, try, params, args, call, invalid)                                            \
    static __attribute__((noinline)) int fn##_slow params                                          \
    {                                                                                              \
        tl_sampler_if_missing();                                                                   \
        return TL_WAIT(TL_WAIT_RWLOCK, #fn, l, call);                                              \
    }                                                                                              \
    TL_EXPORT int fn params                                                                        \
    {                                                                                              \
        tl_real_ensure();                                                                          \
        if (tl_unlikely(invalid))                                                                  \
            return EINVAL;                                                                         \
        int rc = tl_real.try(l);                                                                   \
        if (tl_likely(rc != EBUSY))                                                                \
            return rc;                                                                             \
        return fn##_slow args;                                                                     \
    }

TL_RWLOCK(pthread_rwlock_rdlock, pthread_rwlock_tryrdlock, (pthread_rwlock_t * l), (l),
          tl_real.pthread_rwlock_rdlock(l), 0)
TL_RWLOCK(pthread_rwlock_wrlock, pthread_rwlock_trywrlock, (pthread_rwlock_t * l), (l),
          tl_real.pthread_rwlock_wrlock(l), 0)
TL_RWLOCK(pthread_rwlock_timedrdlock, pthread_rwlock_tryrdlock,
          (pthread_rwlock_t * l, const struct timespec *ts), (l, ts),
          tl_real.pthread_rwlock_timedrdlock(l, ts), bad_timeout(CLOCK_REALTIME, ts))
TL_RWLOCK(pthread_rwlock_timedwrlock, pthread_rwlock_trywrlock,
          (pthread_rwlock_t * l, const struct timespec *ts), (l, ts),
          tl_real.pthread_rwlock_timedwrlock(l, ts), bad_timeout(CLOCK_REALTIME, ts))
TL_RWLOCK(pthread_rwlock_clockrdlock, pthread_rwlock_tryrdlock,
          (pthread_rwlock_t * l, clockid_t c, const struct timespec *ts), (l, c, ts),
          tl_real.pthread_rwlock_clockrdlock(l, c, ts), bad_timeout(c, ts))
TL_RWLOCK(pthread_rwlock_clockwrlock, pthread_rwlock_trywrlock,
          (pthread_rwlock_t * l, clockid_t c, const struct timespec *ts), (l, c, ts),
          tl_real.pthread_rwlock_clockwrlock(l, c, ts), bad_timeout(c, ts))
