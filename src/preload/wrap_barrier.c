/* pthread_barrier_wait: every arrival but the last blocks. */
#include "preload/wrap.h"

TL_EXPORT int pthread_barrier_wait(pthread_barrier_t *b)
{
    tl_real_ensure();
    tl_sampler_if_missing();
    return TL_WAIT(TL_WAIT_BARRIER, "pthread_barrier_wait", b, tl_real.pthread_barrier_wait(b));
}
