/* The lock words of a traced process's futex waits. They are copied while
 * every thread is stopped, after the last one stopped and before the first
 * goes again: owners read then are the owners at the very moment the
 * threads' waits were seen, so a cycle among them is one moment's, not a
 * mix of moments as a read after the detach could be. */
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include "cli/attach.h"

#define PAGE 4096ull

static size_t read_at(pid_t pid, uint64_t addr, void *buf, size_t size)
{
    struct iovec local = {buf, size}, remote = {(void *)(uintptr_t)addr, size};
    ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
    return n > 0 ? (size_t)n : 0;
}

uint64_t tl_attach_futex(const tl_attach_thread *t)
{
    if (t->stopped)
        return (long)t->regs.orig_rax == SYS_futex ? t->regs.rdi : 0;
    return t->sys_nr == SYS_futex ? t->sys_args[0] : 0;
}

/* The copy may straddle a page boundary; the part on the futex word's own
 * page is readable whenever the word is, the other part may not be. */
static void copy_lock(pid_t pid, tl_attach_thread *t, uint64_t futex)
{
    uint64_t lo = (futex & ~7ull) - 8, hi = lo + TL_ATTACH_LOCK_COPY;
    t->lock_lo = lo;
    t->lock_len = read_at(pid, lo, t->lock, TL_ATTACH_LOCK_COPY);
    if (t->lock_len == TL_ATTACH_LOCK_COPY)
        return;
    uint64_t page = futex & ~(PAGE - 1);
    if (lo < page) { /* [lo, page) failed: keep [page, hi) */
        t->lock_lo = page;
        t->lock_len = read_at(pid, page, t->lock, (size_t)(hi - page));
    } else if (page + PAGE < hi) { /* keep [lo, next page) */
        t->lock_len = read_at(pid, lo, t->lock, (size_t)(page + PAGE - lo));
    }
}

void tl_attach_copy_locks(tl_attach *a)
{
    for (int i = 0; i < a->n; i++) {
        tl_attach_thread *t = &a->t[i];
        uint64_t futex = t->stopped ? tl_attach_futex(t) : 0;
        if (!futex)
            continue;
        copy_lock(a->pid, t, futex);
        t->lock_snap = 1;
    }
}

const void *tl_attach_lock_bytes(tl_attach *a, const tl_attach_thread *t, uint64_t addr,
                                 size_t size, void *buf, int *snap)
{
    *snap = 0;
    if (!addr)
        return NULL;
    if (t->lock_snap && addr >= t->lock_lo && addr + size <= t->lock_lo + t->lock_len) {
        *snap = 1;
        return t->lock + (addr - t->lock_lo);
    }
    if (t->lock_snap && t->lock_len == 0)
        return NULL; /* unreadable while stopped: still so, or reused */
    return read_at(a->pid, addr, buf, size) == size ? buf : NULL;
}
