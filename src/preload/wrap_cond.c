/* Condition variables. pthread_cond_wait and _timedwait exist in two ABIs
 * (GLIBC_2.3.2, and the old GLIBC_2.2.5 whose first word points to a
 * separately allocated condvar); each caller is routed to its own twin so
 * that no old-ABI condvar reaches new-ABI code. */
#include "preload/wrap.h"

__asm__(".symver tl_cond_wait, pthread_cond_wait@@GLIBC_2.3.2");
__asm__(".symver tl_cond_wait_old, pthread_cond_wait@GLIBC_2.2.5");
__asm__(".symver tl_cond_timedwait, pthread_cond_timedwait@@GLIBC_2.3.2");
__asm__(".symver tl_cond_timedwait_old, pthread_cond_timedwait@GLIBC_2.2.5");

TL_EXPORT int tl_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
    tl_real_ensure();
    tl_sampler_if_missing();
    return TL_WAIT_AUX(TL_WAIT_COND, "pthread_cond_wait", c, m, tl_real.cond_wait(c, m));
}

TL_EXPORT int tl_cond_wait_old(pthread_cond_t *c, pthread_mutex_t *m)
{
    tl_real_ensure();
    tl_sampler_if_missing();
    return TL_WAIT_AUX(TL_WAIT_COND, "pthread_cond_wait", c, m, tl_real.cond_wait_old(c, m));
}

TL_EXPORT int tl_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *ts)
{
    tl_real_ensure();
    tl_sampler_if_missing();
    return TL_WAIT_AUX(TL_WAIT_COND, "pthread_cond_timedwait", c, m,
                       tl_real.cond_timedwait(c, m, ts));
}

TL_EXPORT int tl_cond_timedwait_old(pthread_cond_t *c, pthread_mutex_t *m,
                                    const struct timespec *ts)
{
    tl_real_ensure();
    tl_sampler_if_missing();
    return TL_WAIT_AUX(TL_WAIT_COND, "pthread_cond_timedwait", c, m,
                       tl_real.cond_timedwait_old(c, m, ts));
}

TL_EXPORT int pthread_cond_clockwait(pthread_cond_t *c, pthread_mutex_t *m, clockid_t clk,
                                     const struct timespec *ts)
{
    tl_real_ensure();
    tl_sampler_if_missing();
    return TL_WAIT_AUX(TL_WAIT_COND, "pthread_cond_clockwait", c, m,
                       tl_real.pthread_cond_clockwait(c, m, clk, ts));
}

TL_EXPORT int cnd_wait(cnd_t *c, mtx_t *m)
{
    tl_real_ensure();
    tl_sampler_if_missing();
    return TL_WAIT_AUX(TL_WAIT_COND, "cnd_wait", c, m, tl_real.cnd_wait(c, m));
}

TL_EXPORT int cnd_timedwait(cnd_t *__restrict c, mtx_t *__restrict m,
                            const struct timespec *__restrict ts)
{
    tl_real_ensure();
    tl_sampler_if_missing();
    return TL_WAIT_AUX(TL_WAIT_COND, "cnd_timedwait", c, m, tl_real.cnd_timedwait(c, m, ts));
}
