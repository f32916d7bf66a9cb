/* The dump signal's handler (dump_signal.c). */
#ifndef THREADLEAK_DUMP_SIGNAL_H
#define THREADLEAK_DUMP_SIGNAL_H

#include "preload/visibility.h"

/* At start: installs the handler (the capturing one with
 * THREADLEAK_RUNNING_STACKS=1), unless the signal is ignored. */
TL_HIDDEN void tl_dump_signal_install(void);
/* Whether a dump was asked for since the last call (and clears it). */
TL_HIDDEN int tl_dump_signal_take(void);
/* Notices, once, that the program installed its own handler. */
TL_HIDDEN void tl_dump_signal_check(void);
/* Whether the installed handler is ours; and the same, making it the
 * capturing one if it is not yet. */
TL_HIDDEN int tl_dump_signal_owned(void);
TL_HIDDEN int tl_dump_signal_capturing(void);
TL_HIDDEN void tl_dump_signal_after_fork_child(void);

#endif
