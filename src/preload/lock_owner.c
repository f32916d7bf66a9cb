/* Lock owners of this process's locks. The words are read with
 * process_vm_readv on our own pid: a lock whose memory was freed or
 * unmapped meanwhile reads as unknown, never as a fault in the dumping
 * thread. Decoding is common/lock_word.c's, shared with the command. */
#include <errno.h>
#include <pthread.h>
#include <sys/uio.h>
#include <unistd.h>

#include "preload/lock_owner.h"
#include "preload/stacks.h"

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

TL_HIDDEN void tl_lock_owner(uint64_t addr, int rw, struct tl_lock_owner *o)
{
    union {
        pthread_mutex_t m;
        pthread_rwlock_t l;
    } buf;
    size_t size = rw ? sizeof buf.l : sizeof buf.m;
    tl_lock_word_owner(read_own(addr, &buf, size) ? NULL : &buf, rw, o);
}
