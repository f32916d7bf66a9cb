/* Resolving the functions threadleak wraps. Wrappers may run before the
 * library's constructor (another library's constructor can lock a mutex
 * first), so every wrapper resolves on demand through tl_real_ensure(). */
#include <dlfcn.h>

#include "preload/real.h"

TL_HIDDEN struct tl_real tl_real;
TL_HIDDEN int tl_real_ready;

static void *next(const char *name)
{
    return dlsym(RTLD_NEXT, name);
}

static void *next_version(const char *name, const char *version)
{
    void *p = dlvsym(RTLD_NEXT, name, version);
    return p ? p : next(name);
}

TL_HIDDEN void tl_real_init(void)
{
#define TL_RESOLVE(ret, name, params) tl_real.name = (ret(*) params)next(#name);
    TL_REAL_FUNCTIONS(TL_RESOLVE)
#undef TL_RESOLVE
    tl_real.cond_wait = next_version("pthread_cond_wait", "GLIBC_2.3.2");
    tl_real.cond_timedwait = next_version("pthread_cond_timedwait", "GLIBC_2.3.2");
    tl_real.cond_wait_old = next_version("pthread_cond_wait", "GLIBC_2.2.5");
    tl_real.cond_timedwait_old = next_version("pthread_cond_timedwait", "GLIBC_2.2.5");
    __atomic_store_n(&tl_real_ready, 1, __ATOMIC_RELEASE);
}
