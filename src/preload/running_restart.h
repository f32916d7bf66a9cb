/* The restart, in a capture's answer, of a system call the capture signal
 * cut short (running_answer.c). */
#ifndef THREADLEAK_RUNNING_RESTART_H
#define THREADLEAK_RUNNING_RESTART_H

#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/ucontext.h>

#include "preload/visibility.h"

/* Whether a system call our signal cut short may be made again: all but
 * close(), which has freed the descriptor before the flush a signal cuts
 * short; the kernel answers EINTR because making it again could close a
 * descriptor another thread has just been given. */
static inline int tl_syscall_restartable(long nr)
{
    return nr != SYS_close;
}

/* g: the interrupted context's registers; tid: the calling thread. 1 when
 * the context now makes the call again. Async-signal-safe. */
TL_HIDDEN int tl_running_restart(greg_t *g, pid_t tid);

#endif
