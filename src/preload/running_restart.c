/* The interrupted thread had just left `mov $nr,%eax; syscall` with EINTR:
 * our signal cut the call short. The kernel restarts a call for SA_RESTART
 * by going back over the syscall instruction with the number in rax; the
 * same is done here for the calls it does not restart (poll, nanosleep,
 * epoll_wait, ...). Only that exact instruction pair is trusted: the
 * number is lost in any other sequence. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include "preload/running_restart.h"

TL_HIDDEN int tl_running_restart(greg_t *g, pid_t tid)
{
    if (g[REG_RAX] != -EINTR)
        return 0;
    /* Read through the kernel, which fails instead of faulting: code may be
     * execute-only (protection keys) or gone, and rax may hold -EINTR
     * after any instruction. The pair may straddle two pages. */
    uint64_t ip = (uint64_t)g[REG_RIP];
    unsigned char b[7];
    struct iovec local = {b, sizeof b}, remote = {(void *)(uintptr_t)(ip - 7), sizeof b};
    if (ip < 7 || process_vm_readv(tid, &local, 1, &remote, 1, 0) != (ssize_t)sizeof b)
        return 0;
    if (b[0] != 0xb8 || b[5] != 0x0f || b[6] != 0x05)
        return 0;
    uint32_t nr;
    memcpy(&nr, b + 1, sizeof nr);
    if (nr >= 1024 || !tl_syscall_restartable(nr))
        return 0;
    g[REG_RAX] = nr;
    g[REG_RIP] = (greg_t)(ip - 2);
    return 1;
}
