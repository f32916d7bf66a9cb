/* When threadleak keeps out of the program's way on the running thread.
 * Its own work (the sampler, a dump, a creation stack) runs code that can
 * reach its wrappers again (libgcc, libunwind, libdw, dlsym, malloc):
 * while tl_busy is set they pass straight through. Entered and left in
 * pairs that nest, like heaptrack's RecursionGuard and jemalloc's
 * reentrancy level: leaving restores what entering found. */
#ifndef THREADLEAK_GUARD_H
#define THREADLEAK_GUARD_H

#include "preload/visibility.h"

TL_HIDDEN extern __thread int tl_busy;    /* inside threadleak: pass through */
TL_HIDDEN extern __thread int tl_exiting; /* past the exit hook: pass through */
TL_HIDDEN extern int tl_enabled;          /* 0: off in this process, pass through */

/* Returns what tl_busy_leave must be given. */
static inline int tl_busy_enter(void)
{
    int was = tl_busy;
    tl_busy = 1;
    return was;
}

static inline void tl_busy_leave(int was)
{
    tl_busy = was;
}

#endif
