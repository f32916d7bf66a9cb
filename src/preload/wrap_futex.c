/* syscall(): futex waits made through it (libstdc++'s std::future and
 * atomic::wait, Rust's std) are noted; every other system call, futex
 * wakes included, passes straight through. */
#include <linux/futex.h>
#include <stdarg.h>
#include <sys/syscall.h>

#include "preload/running_restart.h"
#include "preload/wrap.h"

#ifndef SYS_futex_waitv
#define SYS_futex_waitv 449
#endif
#ifndef FUTEX_LOCK_PI2
#define FUTEX_LOCK_PI2 13
#endif

static int futex_op_waits(long op)
{
    switch (op & FUTEX_CMD_MASK) {
    case FUTEX_WAIT:
    case FUTEX_WAIT_BITSET:
    case FUTEX_LOCK_PI:
    case FUTEX_LOCK_PI2:
    case FUTEX_WAIT_REQUEUE_PI:
        return 1;
    default:
        return 0;
    }
}

/* A timed futex wait answers EINTR to any handler, ours included: it is
 * made again, for what is left of a relative timeout (FUTEX_WAIT's; the
 * others' are absolute and go as they are). *timeout is read only once the
 * kernel accepted it. A word that changed meanwhile answers EAGAIN instead
 * of a wake-up's 0: to every futex user both mean "look again". */
static inline long futex_timeout(struct tl_countdown *c, int relative, long a4)
{
    const struct timespec *p = tl_countdown_ts(c, relative ? (const struct timespec *)a4 : NULL);
    return relative ? (long)p : a4;
}

static long futex_resumed(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
{
    int relative = nr == SYS_futex && (a2 & FUTEX_CMD_MASK) == FUTEX_WAIT && a4;
    return TL_COUNTED_DOWN(
        c, relative, tl_real.syscall(nr, a1, a2, a3, futex_timeout(&c, relative, a4), a5, a6));
}

/* Any other call, made as glibc's syscall() makes it. A call our signal
 * cut short (a dump trigger, a running-stack capture) is made again, as
 * the wrapped waits are. The raw instruction keeps the kernel's -EINTR
 * out of errno, so errno is touched only when the call fails, as glibc
 * does, and is never saved around it: the cheapest path for every futex
 * wake and gettid a program makes through syscall(). */
static inline long pass_through(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
{
    register long r10 __asm__("r10") = a4;
    register long r8 __asm__("r8") = a5;
    register long r9 __asm__("r9") = a6;
    for (;;) {
        unsigned hits = tl_signal_hits;
        long r;
        __asm__ volatile("syscall"
                         : "=a"(r)
                         : "0"(nr), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8), "r"(r9)
                         : "rcx", "r11", "memory");
        if (tl_likely((unsigned long)r < -4095ul))
            return r;
        if (r == -EINTR && tl_signal_hits != hits && tl_syscall_restartable(nr))
            continue;
        errno = (int)-r;
        return -1;
    }
}

TL_EXPORT long syscall(long number, ...)
{
    va_list ap;
    va_start(ap, number);
    long a1 = va_arg(ap, long), a2 = va_arg(ap, long), a3 = va_arg(ap, long);
    long a4 = va_arg(ap, long), a5 = va_arg(ap, long), a6 = va_arg(ap, long);
    va_end(ap);
    tl_real_ensure();
    if (number == SYS_futex && futex_op_waits(a2)) {
        tl_sampler_if_missing();
        return TL_WAIT(TL_WAIT_FUTEX, "futex", a1, futex_resumed(number, a1, a2, a3, a4, a5, a6));
    }
    if (number == SYS_futex_waitv && a1 && a2 > 0) {
        /* struct futex_waitv { u64 val; u64 uaddr; u32 flags; u32 rsvd; }:
         * the first uaddr is read by the sampler, as the array may be a bad
         * pointer (the call then fails with EFAULT). */
        uint64_t first = TL_OBJ_AT_U64 | (uint64_t)(a1 + 8);
        return TL_WAIT(TL_WAIT_FUTEX, "futex_waitv", first,
                       futex_resumed(number, a1, a2, a3, a4, a5, a6));
    }
    /* A new process or thread returns from glibc's instruction onto its own
     * stack, possibly a new one: exactly as without us. */
    if (number == SYS_clone || number == SYS_clone3 || number == SYS_vfork || number == SYS_fork)
        return tl_real.syscall(number, a1, a2, a3, a4, a5, a6);
    return pass_through(number, a1, a2, a3, a4, a5, a6);
}
