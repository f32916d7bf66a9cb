/* The sampler: threadleak's one background thread. It counts threads every
 * period (the series), serves dump requests, and writes the dumps the
 * signal handler asks for. It never appears in counts or dumps. */
#ifndef THREADLEAK_SAMPLER_H
#define THREADLEAK_SAMPLER_H

#include "preload/real.h"

TL_HIDDEN void tl_sampler_init(void);   /* signal handler; starts the thread */
TL_HIDDEN void tl_sampler_ensure(void); /* starts it again after fork, if needed */
TL_HIDDEN void tl_sampler_after_fork_child(void);
TL_HIDDEN void tl_sampler_final_sample(void); /* at exit: one last series line */

#endif
