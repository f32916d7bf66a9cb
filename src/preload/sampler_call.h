/* The sampler as the layers below it see it: whether it exists, whether
 * the running thread is the sampler and its file table is its own, and a
 * way to hand it work. sampler.c, at the top, sets these and serves the
 * calls; the unwinder, the symbols and the dump files read them without
 * depending on the sampler itself. */
#ifndef THREADLEAK_SAMPLER_CALL_H
#define THREADLEAK_SAMPLER_CALL_H

#include "preload/visibility.h"

TL_HIDDEN extern int tl_sampler_started;     /* the sampler thread exists in this process */
TL_HIDDEN extern __thread int tl_on_sampler; /* the running thread is the sampler */
TL_HIDDEN extern int tl_sampler_own_files;   /* its unshare(CLONE_FILES) worked */

static inline int tl_sampler_running(void)
{
    return __atomic_load_n(&tl_sampler_started, __ATOMIC_ACQUIRE);
}

/* fn(arg) run on the sampler, in its own file table, while the caller
 * waits (or here, when there is no sampler); its result. */
TL_HIDDEN int tl_sampler_call(int (*fn)(void *), void *arg);
/* The sampler, when woken: runs the calls handed to it. */
TL_HIDDEN void tl_sampler_serve_calls(void);
TL_HIDDEN void tl_sampler_calls_after_fork_child(void);

#endif
