/* The shape every blocking wrapper shares: classify, fast path, note the
 * wait, call, clear. Included only by the wrap_*.c files. */
#ifndef THREADLEAK_WRAP_H
#define THREADLEAK_WRAP_H

#include <errno.h>

#include "preload/real.h"
#include "preload/registry.h"

/* Calls `call` with the running thread marked as blocked in `kind` on
 * `obj`. Must stay a macro: the registers are captured in the wrapper's
 * own frame, which is live for as long as the call blocks. */
#define TL_WAIT(kind, callname, obj, call)                                                         \
    ({                                                                                             \
        struct tl_slot *s_ = tl_self();                                                            \
        __typeof__(call) r_;                                                                       \
        if (s_) {                                                                                  \
            TL_BLOCK_BEGIN(s_, kind, callname, obj);                                               \
            r_ = (call);                                                                           \
            tl_block_end(s_);                                                                      \
        } else {                                                                                   \
            r_ = (call);                                                                           \
        }                                                                                          \
        r_;                                                                                        \
    })

/* The same for calls that return nothing useful to us (void, noreturn). */
#define TL_WAIT_VOID(kind, callname, obj, call)                                                    \
    do {                                                                                           \
        struct tl_slot *s_ = tl_self();                                                            \
        if (s_)                                                                                    \
            TL_BLOCK_BEGIN(s_, kind, callname, obj);                                               \
        call;                                                                                      \
        if (s_)                                                                                    \
            tl_block_end(s_);                                                                      \
    } while (0)

#endif
