/* The sampler: threadleak's one background thread. It counts threads every
 * period (the series), serves dump requests, and writes the dumps the
 * signal handler asks for. It never appears in counts or dumps. */
#ifndef THREADLEAK_SAMPLER_H
#define THREADLEAK_SAMPLER_H

#include <signal.h>

#include "preload/sampler_call.h"
#include "preload/visibility.h"

/* The sampler starts with the process's first thread of its own, never
 * in a single-threaded program (not even under 'threadleak run'):
 * a second thread would cost it glibc's and the kernel's single-thread
 * fast paths (locks without atomics, I/O without cancellation points). */
TL_HIDDEN extern int tl_sampler_missing; /* wanted but not running */
TL_HIDDEN void tl_sampler_init(void);    /* the signal handler */
TL_HIDDEN void tl_sampler_want(void);    /* a thread of the program's own exists */
TL_HIDDEN void tl_sampler_ensure(void);  /* starts it when wanted and missing */
TL_HIDDEN void tl_sampler_after_fork_child(void);
TL_HIDDEN void tl_sampler_final_sample(void); /* at exit: one last series line */
/* The thread-group leader is ending without ending the process
 * (pthread_exit): when the other threads end, the sampler must not keep
 * the process alive. */
TL_HIDDEN void tl_sampler_leader_exiting(void);

/* sampler_isolate.c: run by the sampler as it starts. */
TL_HIDDEN void tl_sampler_isolate(void);
TL_HIDDEN void tl_sampler_sigmask(sigset_t *set); /* all but the synchronous signals */

#endif
