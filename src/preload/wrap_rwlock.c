/* pthread_rwlock_*: try first; only a lock that has to wait is noted, in a
 * function of its own so that the fast path stays frameless. */
#include "preload/wrap.h"

#define TL_RWLOCK(fn, try, params, args, call)                                                     \
    static __attribute__((noinline)) int fn##_slow params                                          \
    {                                                                                              \
        tl_sampler_if_missing();                                                                   \
        return TL_WAIT(TL_WAIT_RWLOCK, #fn, l, call);                                              \
    }                                                                                              \
    TL_EXPORT int fn params                                                                        \
    {                                                                                              \
        tl_real_ensure();                                                                          \
        int rc = tl_real.try(l);                                                                   \
        if (tl_likely(rc != EBUSY))                                                                \
            return rc;                                                                             \
        return fn##_slow args;                                                                     \
    }

TL_RWLOCK(pthread_rwlock_rdlock, pthread_rwlock_tryrdlock, (pthread_rwlock_t * l), (l),
          tl_real.pthread_rwlock_rdlock(l))
TL_RWLOCK(pthread_rwlock_wrlock, pthread_rwlock_trywrlock, (pthread_rwlock_t * l), (l),
          tl_real.pthread_rwlock_wrlock(l))
TL_RWLOCK(pthread_rwlock_timedrdlock, pthread_rwlock_tryrdlock,
          (pthread_rwlock_t * l, const struct timespec *ts), (l, ts),
          tl_real.pthread_rwlock_timedrdlock(l, ts))
TL_RWLOCK(pthread_rwlock_timedwrlock, pthread_rwlock_trywrlock,
          (pthread_rwlock_t * l, const struct timespec *ts), (l, ts),
          tl_real.pthread_rwlock_timedwrlock(l, ts))
TL_RWLOCK(pthread_rwlock_clockrdlock, pthread_rwlock_tryrdlock,
          (pthread_rwlock_t * l, clockid_t c, const struct timespec *ts), (l, c, ts),
          tl_real.pthread_rwlock_clockrdlock(l, c, ts))
TL_RWLOCK(pthread_rwlock_clockwrlock, pthread_rwlock_trywrlock,
          (pthread_rwlock_t * l, clockid_t c, const struct timespec *ts), (l, c, ts),
          tl_real.pthread_rwlock_clockwrlock(l, c, ts))
