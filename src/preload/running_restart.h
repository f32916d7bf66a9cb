/* The restart, in a capture's answer, of a system call the capture signal
 * cut short (running_answer.c). */
#ifndef THREADLEAK_RUNNING_RESTART_H
#define THREADLEAK_RUNNING_RESTART_H

#include <sys/types.h>
#include <sys/ucontext.h>

#include "preload/visibility.h"

/* g: the interrupted context's registers; tid: the calling thread. 1 when
 * the context now makes the call again. Async-signal-safe. */
TL_HIDDEN int tl_running_restart(greg_t *g, pid_t tid);

#endif
