/* threadleak's own lines on stderr, always prefixed "threadleak: ". */
#ifndef THREADLEAK_LOG_H
#define THREADLEAK_LOG_H

#include "preload/visibility.h"

enum tl_log_level { TL_LOG_QUIET, TL_LOG_WARN, TL_LOG_DEBUG };

/* Things said once per process, however often they happen. */
enum tl_once {
    TL_ONCE_SLOTS,
    TL_ONCE_UNWIND,
    TL_ONCE_SYMBOLS,
    TL_ONCE_SERIES,
    TL_ONCE_SAMPLER,
    TL_ONCE_DISABLED,
    TL_ONCE_COUNTERS,
    TL_ONCE_COUNT
};

TL_HIDDEN extern int tl_log_level;

TL_HIDDEN void tl_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
TL_HIDDEN void tl_log_once(enum tl_once what, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* For a thread with a file table of its own (the sampler): messages go to
 * the program's descriptor 2 as it is at the time, not to the thread's. */
TL_HIDDEN void tl_log_borrow_stderr(void);
/* on: descriptor 2 of the calling thread becomes the program's; off: /dev/null. */
TL_HIDDEN void tl_log_lend_stderr(int on);

#endif
