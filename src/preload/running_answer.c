/* A thread's answer to a running-stack capture, in its dump signal handler
 * (see running.c for the whole exchange). It copies its registers and the
 * top of its stack into the buffer the sampler armed, and restarts a system
 * call our signal cut short where the kernel would not. Nothing here may
 * take a lock, allocate or unwind: the thread may be anywhere, inside
 * malloc or dlopen. */
#include <errno.h>
#include <linux/futex.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/ucontext.h>
#include <sys/uio.h>
#include <unistd.h>

#include "preload/running_answer.h"
#include "preload/running_restart.h"

TL_HIDDEN uint32_t tl_capture_answers;

/* The words of [lo, lo + len) that are mapped, page by page:
 * process_vm_readv fails instead of faulting, and stops at the first page
 * it cannot read (it never splits one iovec). */
static uint64_t copy_stack(pid_t tid, uint64_t lo, uint64_t len, unsigned char *to)
{
    struct iovec local = {to, len}, remote[TL_CAPTURE_PAGES];
    uint64_t at = lo, end = lo + len;
    int n = 0;
    while (at < end && n < TL_CAPTURE_PAGES) {
        uint64_t next = (at | 4095) + 1;
        remote[n].iov_base = (void *)(uintptr_t)at;
        remote[n].iov_len = (next < end ? next : end) - at;
        at += remote[n++].iov_len;
    }
    ssize_t got = process_vm_readv(tid, &local, 1, remote, (unsigned long)n, 0);
    return got > 0 ? (uint64_t)got : 0;
}

/* Whether si can be the sampler's tgkill(). A tgkill() the kernel could
 * not queue with its siginfo (RLIMIT_SIGPENDING reached) arrives as SI_USER
 * from pid 0; a kill() from anywhere keeps its sender (the kernel queues it
 * past the limit). */
static int from_this_process(const siginfo_t *si)
{
    if (!si)
        return 0;
    if (si->si_code == SI_USER)
        return si->si_pid == 0;
    return si->si_code == SI_TKILL && si->si_pid == getpid();
}

TL_HIDDEN int tl_running_answer(const siginfo_t *si, void *ucontext)
{
    /* The slot first: with captures off, nothing here costs a system call. */
    struct tl_slot *s = tl_self_slot;
    if (!s)
        return 0;
    uint32_t sent = __atomic_load_n(&s->cap_sent, __ATOMIC_ACQUIRE);
    if (sent == __atomic_load_n(&s->cap_seen, __ATOMIC_RELAXED) || !from_this_process(si))
        return 0; /* a dump trigger (kill, the program's raise()) */
    /* A detached thread's slot is released in its exit hook and may be a
     * new thread's before this one has finished exiting: a late signal of
     * ours then answers nothing and leaves the new owner's counts alone. */
    if (s->tid != tl_gettid())
        return 1;
    __atomic_store_n(&s->cap_seen, sent, __ATOMIC_RELEASE);
    greg_t *g = ((ucontext_t *)ucontext)->uc_mcontext.gregs;
    tl_running_restart(g, s->tid);
    struct tl_capture_buf *c = __atomic_load_n(&s->capture, __ATOMIC_ACQUIRE);
    uint32_t st = c ? __atomic_load_n(&c->state, __ATOMIC_ACQUIRE) : 0;
    if (!c || CAP_STEP(st) != CAP_ARMED ||
        !__atomic_compare_exchange_n(&c->state, &st, CAP_GEN(st) | CAP_WRITING, 0, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE))
        return 1;           /* a late answer to a request given up */
    if (c->tid != s->tid) { /* re-armed for another thread meanwhile: not ours */
        __atomic_store_n(&c->state, st, __ATOMIC_RELEASE);
        return 1;
    }
    c->regs = (struct tl_regs){(uint64_t)g[REG_RIP], (uint64_t)g[REG_RSP], (uint64_t)g[REG_RBP],
                               (uint64_t)g[REG_RBX], (uint64_t)g[REG_R12], (uint64_t)g[REG_R13],
                               (uint64_t)g[REG_R14], (uint64_t)g[REG_R15]};
    c->lo = c->regs.sp;
    /* Never past the top of the thread's own stack where it is known (the
     * frame of the wrapper that started it, main's __libc_stack_end): what
     * is mapped above is none of ours to read, and may be a page that must
     * first be fetched (userfaultfd, a FUSE file) or never is. The frames
     * above, start_thread's, the unwinder reads from the live stack. */
    uint64_t len = TL_CAPTURE_BYTES, hi = s->stack_hi + 16; /* its saved rbp and return address */
    if (s->stack_hi && hi > c->lo && hi - c->lo < len)
        len = hi - c->lo;
    c->n = copy_stack(s->tid, c->lo, len, c->stack);
    __atomic_store_n(&c->state, CAP_GEN(st) | CAP_DONE, __ATOMIC_RELEASE);
    __atomic_add_fetch(&tl_capture_answers, 1, __ATOMIC_ACQ_REL);
    tl_real.syscall(SYS_futex, (long)&tl_capture_answers, FUTEX_WAKE_PRIVATE, 1, 0, 0, 0);
    return 1;
}
