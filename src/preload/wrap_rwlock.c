/* pthread_rwlock_*: try first, note only a lock that has to wait. */
#include "preload/wrap.h"

#define TL_RWLOCK(name, try, call)                                                                 \
    do {                                                                                           \
        tl_real_ensure();                                                                          \
        int rc = tl_real.try(l);                                                                   \
        if (tl_likely(rc != EBUSY))                                                                \
            return rc;                                                                             \
        return TL_WAIT(TL_WAIT_RWLOCK, name, l, call);                                             \
    } while (0)

TL_EXPORT int pthread_rwlock_rdlock(pthread_rwlock_t *l)
{
    TL_RWLOCK("pthread_rwlock_rdlock", pthread_rwlock_tryrdlock, tl_real.pthread_rwlock_rdlock(l));
}

TL_EXPORT int pthread_rwlock_wrlock(pthread_rwlock_t *l)
{
    TL_RWLOCK("pthread_rwlock_wrlock", pthread_rwlock_trywrlock, tl_real.pthread_rwlock_wrlock(l));
}

TL_EXPORT int pthread_rwlock_timedrdlock(pthread_rwlock_t *l, const struct timespec *ts)
{
    TL_RWLOCK("pthread_rwlock_timedrdlock", pthread_rwlock_tryrdlock,
              tl_real.pthread_rwlock_timedrdlock(l, ts));
}

TL_EXPORT int pthread_rwlock_timedwrlock(pthread_rwlock_t *l, const struct timespec *ts)
{
    TL_RWLOCK("pthread_rwlock_timedwrlock", pthread_rwlock_trywrlock,
              tl_real.pthread_rwlock_timedwrlock(l, ts));
}

TL_EXPORT int pthread_rwlock_clockrdlock(pthread_rwlock_t *l, clockid_t c,
                                         const struct timespec *ts)
{
    TL_RWLOCK("pthread_rwlock_clockrdlock", pthread_rwlock_tryrdlock,
              tl_real.pthread_rwlock_clockrdlock(l, c, ts));
}

TL_EXPORT int pthread_rwlock_clockwrlock(pthread_rwlock_t *l, clockid_t c,
                                         const struct timespec *ts)
{
    TL_RWLOCK("pthread_rwlock_clockwrlock", pthread_rwlock_trywrlock,
              tl_real.pthread_rwlock_clockwrlock(l, c, ts));
}
