/* Creation stacks, captured in the creating thread with libgcc's
 * unwinder (_Unwind_Backtrace, what glibc's backtrace() uses). It reads
 * only what the unwind tables describe and stops at a frame without them
 * (JIT code, a hand-made trampoline): no descriptor, no system call once
 * warm. Not libunwind's local unwinder: on such a frame it probes memory
 * through a pipe whose descriptor numbers a daemon may close and reuse
 * (it would then write into the program's files), and it calls mincore,
 * which sandboxes report. */
#include <unwind.h>

#include "preload/config.h"
#include "preload/lib_functions.h"
#include "preload/log.h"
#include "preload/stacks.h"

static _Unwind_Reason_Code (*backtrace_fn)(_Unwind_Trace_Fn, void *);
static _Unwind_Ptr (*get_ip_fn)(struct _Unwind_Context *);

/* libgcc's unwinder locks its list of registered frames (JITs register
 * theirs) and has no fork handlers: a child forked while another thread
 * was inside could find that lock taken forever. Creators hold this
 * shared, fork holds it exclusively. */
static pthread_rwlock_t unwinding;

TL_HIDDEN void tl_stacks_fork_prepare(void)
{
    tl_unwind_fork_prepare();
    tl_real.pthread_rwlock_wrlock(&unwinding);
}

TL_HIDDEN void tl_stacks_fork_parent(void)
{
    pthread_rwlock_unlock(&unwinding);
    tl_unwind_fork_parent();
}

/* Unlocking would not do: the child's thread has a new tid, and glibc
 * takes an unlock by a thread that is not the recorded writer for a
 * reader's. */
static void init_lock(void)
{
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&unwinding, &attr);
    pthread_rwlockattr_destroy(&attr);
}

TL_HIDDEN void tl_stacks_after_fork_child(void)
{
    init_lock();
    tl_unwind_after_fork_child();
}

TL_HIDDEN int tl_stacks_init(void)
{
    init_lock();
    tl_own_code_init();
    if (tl_intern_init() != 0)
        return -1;
    static const tl_lib_function unwinder[] = {
        TL_LIB_FUNCTION(backtrace_fn, "_Unwind_Backtrace"),
        TL_LIB_FUNCTION(get_ip_fn, "_Unwind_GetIP"),
    };
    if (!tl_lib_open("libgcc_s.so.1", unwinder, sizeof unwinder / sizeof *unwinder)) {
        backtrace_fn = NULL;
        tl_log_once(TL_ONCE_UNWIND, "libgcc_s.so.1 not found: no creation stacks");
    }
    return 0;
}

struct trace {
    uint64_t *ips;
    int n, max;
};

static _Unwind_Reason_Code one_frame(struct _Unwind_Context *c, void *arg)
{
    struct trace *t = arg;
    uint64_t ip = (uint64_t)get_ip_fn(c);
    if (ip == 0 || t->n >= t->max)
        return _URC_END_OF_STACK;
    if (t->n > 0 || !tl_ip_is_ours(ip)) /* leading frames are threadleak's own */
        t->ips[t->n++] = ip;
    return _URC_NO_REASON;
}

TL_HIDDEN uint32_t tl_capture_spawn_stack(void)
{
    if (!backtrace_fn)
        return 0;
    uint64_t ips[TL_MAX_FRAMES];
    struct trace t = {ips, 0, tl_config.frames};
    int was_busy = tl_busy_enter(); /* libgcc may take its lock through the PLT */
    tl_real.pthread_rwlock_rdlock(&unwinding);
    backtrace_fn(one_frame, &t);
    pthread_rwlock_unlock(&unwinding);
    tl_busy_leave(was_busy);
    return tl_intern(ips, t.n);
}
