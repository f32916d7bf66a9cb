/* Lock owners from glibc 2.36's lock words (nptl/pthread_mutex_lock.c,
 * pthread_rwlock_common.c). The words are read with process_vm_readv on
 * our own pid: a lock whose memory was freed or unmapped meanwhile reads
 * as unknown, never as a fault in the dumping thread. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/model.h"
#include "preload/lock_owner.h"
#include "preload/stacks.h"

enum {
    KIND_ROBUST = 16,
    KIND_PI = 32,
    KIND_PSHARED = 128,
    KIND_TYPE_BITS = 3,
    FUTEX_OWNER_DIED_BIT = 0x40000000,
    FUTEX_TID_BITS = 0x3fffffff,
    RWLOCK_READERS_SHIFT = 3,
};

/* Set once process_vm_readv failed for another reason than the address (a
 * sandbox's seccomp filter): a filter that traps it must not meet the
 * program's SIGSYS handler once per lock. */
static int forbidden;

static int read_own(uint64_t addr, void *buf, size_t size)
{
    if (!addr || forbidden || tl_unwind_unknown())
        return -1;
    struct iovec local = {buf, size};
    struct iovec remote = {(void *)(uintptr_t)addr, size};
    int saved = errno;
    ssize_t n = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
    if (n < 0 && errno != EFAULT && errno != ESRCH)
        forbidden = 1;
    errno = saved;
    return n == (ssize_t)size ? 0 : -1;
}

TL_HIDDEN void tl_mutex_owner(uint64_t addr, struct tl_lock_owner *o)
{
    memset(o, 0, sizeof *o);
    pthread_mutex_t m;
    if (read_own(addr, &m, sizeof m)) {
        o->flags = TL_OWNER_UNKNOWN;
        return;
    }
    int kind = __atomic_load_n(&m.__data.__kind, __ATOMIC_RELAXED);
    int lock = __atomic_load_n(&m.__data.__lock, __ATOMIC_RELAXED);
    int owner = __atomic_load_n(&m.__data.__owner, __ATOMIC_RELAXED);
    o->pshared = (kind & KIND_PSHARED) != 0;
    if (kind & KIND_TYPE_BITS) /* recursive, error-checking, adaptive */
        o->flags |= TL_OWNER_NO_SELF_WAIT;
    if (kind & (KIND_ROBUST | KIND_PI)) {
        /* The kernel keeps these owners in the futex word itself. */
        o->tid = lock & FUTEX_TID_BITS;
        if (owner == INT_MAX || (lock & FUTEX_OWNER_DIED_BIT))
            o->flags |= TL_OWNER_DIED;
        else if (owner == INT_MAX - 1)
            o->flags |= TL_OWNER_UNUSABLE;
        return;
    }
    o->tid = owner > 0 && owner < INT_MAX - 1 ? owner : 0;
}

TL_HIDDEN void tl_rwlock_owner(uint64_t addr, struct tl_lock_owner *o)
{
    memset(o, 0, sizeof *o);
    pthread_rwlock_t l;
    if (read_own(addr, &l, sizeof l)) {
        o->flags = TL_OWNER_UNKNOWN;
        return;
    }
    o->flags = TL_OWNER_NO_SELF_WAIT; /* glibc answers EDEADLK */
    o->tid = __atomic_load_n(&l.__data.__cur_writer, __ATOMIC_RELAXED);
    o->pshared = __atomic_load_n(&l.__data.__shared, __ATOMIC_RELAXED) != 0;
    unsigned readers = __atomic_load_n(&l.__data.__readers, __ATOMIC_RELAXED);
    if (o->tid <= 0 && (readers >> RWLOCK_READERS_SHIFT) > 0) {
        o->tid = 0;
        o->flags |= TL_OWNER_READERS;
        o->readers = (int)(readers >> RWLOCK_READERS_SHIFT);
    }
}
