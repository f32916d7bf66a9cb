/* The interrupted thread had just left `mov $nr,%eax; syscall` with EINTR:
 * our signal cut the call short. The kernel restarts a call for SA_RESTART
 * by going back over the syscall instruction with the number in rax; the
 * same is done here for the calls it does not restart (poll, nanosleep,
 * epoll_wait, ...). Only that exact instruction pair is trusted: the
 * number is lost in any other sequence. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "preload/running_restart.h"

TL_HIDDEN int tl_running_restart(greg_t *g, pid_t tid)
{
    (void)tid;
    uint64_t ip = (uint64_t)g[REG_RIP];
    if (g[REG_RAX] != -EINTR || (ip & 4095) < 7) /* the bytes before are on another page */
        return 0;
    const unsigned char *b = (const unsigned char *)(uintptr_t)(ip - 7);
    if (b[0] != 0xb8 || b[5] != 0x0f || b[6] != 0x05)
        return 0;
    uint32_t nr;
    memcpy(&nr, b + 1, sizeof nr);
    if (nr >= 1024)
        return 0;
    g[REG_RAX] = nr;
    g[REG_RIP] = (greg_t)(ip - 2);
    return 1;
}
