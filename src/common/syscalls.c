/* System calls by number: the names and wait kinds of those a thread
 * blocks in, and the kernel's account of the one a thread is in now
 * (/proc/PID/task/TID/syscall). Shared by the command's ptrace attach and
 * the library's running-thread captures. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include "common/syscalls.h"

static const struct {
    long nr;
    const char *name;
    int wait;
} syscalls[] = {
    {SYS_futex, "futex", TL_WAIT_FUTEX},
    {SYS_futex_waitv, "futex_waitv", TL_WAIT_FUTEX},
    {SYS_read, "read", TL_WAIT_IO},
    {SYS_readv, "readv", TL_WAIT_IO},
    {SYS_pread64, "pread", TL_WAIT_IO},
    {SYS_preadv, "preadv", TL_WAIT_IO},
    {SYS_write, "write", TL_WAIT_IO},
    {SYS_writev, "writev", TL_WAIT_IO},
    {SYS_pwrite64, "pwrite", TL_WAIT_IO},
    {SYS_recvfrom, "recvfrom", TL_WAIT_IO},
    {SYS_recvmsg, "recvmsg", TL_WAIT_IO},
    {SYS_recvmmsg, "recvmmsg", TL_WAIT_IO},
    {SYS_sendto, "sendto", TL_WAIT_IO},
    {SYS_sendmsg, "sendmsg", TL_WAIT_IO},
    {SYS_accept, "accept", TL_WAIT_IO},
    {SYS_accept4, "accept4", TL_WAIT_IO},
    {SYS_connect, "connect", TL_WAIT_IO},
    {SYS_poll, "poll", TL_WAIT_POLL},
    {SYS_ppoll, "ppoll", TL_WAIT_POLL},
    {SYS_select, "select", TL_WAIT_POLL},
    {SYS_pselect6, "pselect", TL_WAIT_POLL},
    {SYS_epoll_wait, "epoll_wait", TL_WAIT_POLL},
    {SYS_epoll_pwait, "epoll_pwait", TL_WAIT_POLL},
    {SYS_epoll_pwait2, "epoll_pwait2", TL_WAIT_POLL},
    {SYS_nanosleep, "nanosleep", TL_WAIT_SLEEP},
    {SYS_clock_nanosleep, "clock_nanosleep", TL_WAIT_SLEEP},
    {SYS_pause, "pause", TL_WAIT_SLEEP},
    {SYS_rt_sigsuspend, "sigsuspend", TL_WAIT_SLEEP},
    {SYS_rt_sigtimedwait, "sigtimedwait", TL_WAIT_SLEEP},
    {SYS_wait4, "wait4", TL_WAIT_CHILD},
    {SYS_waitid, "waitid", TL_WAIT_CHILD},
    {SYS_flock, "flock", TL_WAIT_NONE},
    {SYS_fcntl, "fcntl", TL_WAIT_NONE},
    {SYS_msgrcv, "msgrcv", TL_WAIT_NONE},
    {SYS_msgsnd, "msgsnd", TL_WAIT_NONE},
    {SYS_mq_timedreceive, "mq_timedreceive", TL_WAIT_NONE},
    {SYS_mq_timedsend, "mq_timedsend", TL_WAIT_NONE},
    {SYS_semop, "semop", TL_WAIT_NONE},
    {SYS_semtimedop, "semtimedop", TL_WAIT_NONE},
    {SYS_io_getevents, "io_getevents", TL_WAIT_NONE},
    {SYS_io_uring_enter, "io_uring_enter", TL_WAIT_NONE},
    {SYS_ioctl, "ioctl", TL_WAIT_NONE},
    {SYS_openat, "openat", TL_WAIT_NONE},
    {SYS_sched_yield, "sched_yield", TL_WAIT_NONE},
};

static int syscall_index(long nr)
{
    for (size_t i = 0; i < sizeof syscalls / sizeof *syscalls; i++)
        if (syscalls[i].nr == nr)
            return (int)i;
    return -1;
}

const char *tl_syscall_known(long nr)
{
    int i = syscall_index(nr);
    return i >= 0 ? syscalls[i].name : NULL;
}

int tl_syscall_wait(long nr)
{
    int i = syscall_index(nr);
    return i >= 0 ? syscalls[i].wait : TL_WAIT_NONE;
}

const char *tl_syscall_name(long nr)
{
    static char buf[32];
    int i = syscall_index(nr);
    if (i >= 0)
        return syscalls[i].name;
    snprintf(buf, sizeof buf, "syscall %ld", nr);
    return buf;
}

int tl_parse_proc_syscall(const char *line, long *nr, uint64_t args[6], uint64_t *sp, uint64_t *pc)
{
    memset(args, 0, 6 * sizeof *args);
    *sp = *pc = 0;
    if (strncmp(line, "running", 7) == 0) {
        *nr = -1;
        return 0;
    }
    char *end;
    long n = strtol(line, &end, 10);
    if (end == line)
        return -1;
    *nr = n;
    if (n == -1) { /* blocked outside a system call: "-1 sp pc" */
        *sp = strtoull(end, &end, 16);
        *pc = strtoull(end, &end, 16);
        return 0;
    }
    for (int i = 0; i < 6; i++)
        args[i] = strtoull(end, &end, 16);
    *sp = strtoull(end, &end, 16);
    *pc = strtoull(end, &end, 16);
    return 0;
}
