/* What a thread seen through ptrace waits on. The system call it is in
 * says how it waits (futex, read, poll...), the C library's frames above it
 * say why: a futex wait inside pthread_cond_wait is a cond wait, inside
 * pthread_mutex_lock a mutex wait. The library's own frames are then left
 * out of the stack, so frame #0 is the caller of the primitive, as in the
 * preloaded library's dumps. Object addresses follow glibc 2.36's layouts
 * so they match the addresses the program (and the library) see. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include "cli/attach.h"
#include "common/syscalls.h"

struct entry {
    const char *name; /* glibc's public name */
    int wait;         /* TL_WAIT_NONE: from the system call */
};

static const struct entry entries[] = {
    {"pthread_cond_wait", TL_WAIT_COND},
    {"pthread_cond_timedwait", TL_WAIT_COND},
    {"pthread_cond_clockwait", TL_WAIT_COND},
    {"cnd_wait", TL_WAIT_COND},
    {"cnd_timedwait", TL_WAIT_COND},
    {"pthread_mutex_lock", TL_WAIT_MUTEX},
    {"pthread_mutex_timedlock", TL_WAIT_MUTEX},
    {"pthread_mutex_clocklock", TL_WAIT_MUTEX},
    {"mtx_lock", TL_WAIT_MUTEX},
    {"mtx_timedlock", TL_WAIT_MUTEX},
    {"pthread_rwlock_rdlock", TL_WAIT_RWLOCK},
    {"pthread_rwlock_wrlock", TL_WAIT_RWLOCK},
    {"pthread_rwlock_timedrdlock", TL_WAIT_RWLOCK},
    {"pthread_rwlock_timedwrlock", TL_WAIT_RWLOCK},
    {"pthread_rwlock_clockrdlock", TL_WAIT_RWLOCK},
    {"pthread_rwlock_clockwrlock", TL_WAIT_RWLOCK},
    {"sem_wait", TL_WAIT_SEM},
    {"sem_timedwait", TL_WAIT_SEM},
    {"sem_clockwait", TL_WAIT_SEM},
    {"pthread_barrier_wait", TL_WAIT_BARRIER},
    {"pthread_join", TL_WAIT_JOIN},
    {"pthread_timedjoin_np", TL_WAIT_JOIN},
    {"pthread_clockjoin_np", TL_WAIT_JOIN},
    {"thrd_join", TL_WAIT_JOIN},
    {"waitpid", TL_WAIT_CHILD},
    {"wait", TL_WAIT_CHILD},
    {"wait3", TL_WAIT_CHILD},
    {"wait4", TL_WAIT_CHILD},
    {"waitid", TL_WAIT_CHILD},
    {"system", TL_WAIT_CHILD},
    {"sleep", TL_WAIT_SLEEP},
    {"usleep", TL_WAIT_SLEEP},
    {"nanosleep", TL_WAIT_SLEEP},
    {"clock_nanosleep", TL_WAIT_SLEEP},
    {"thrd_sleep", TL_WAIT_SLEEP},
    {"pause", TL_WAIT_SLEEP},
    {"sigsuspend", TL_WAIT_SLEEP},
    {"sigwait", TL_WAIT_SLEEP},
    {"sigwaitinfo", TL_WAIT_SLEEP},
    {"sigtimedwait", TL_WAIT_SLEEP},
    {"read", TL_WAIT_IO},
    {"readv", TL_WAIT_IO},
    {"pread", TL_WAIT_IO},
    {"pread64", TL_WAIT_IO},
    {"write", TL_WAIT_IO},
    {"writev", TL_WAIT_IO},
    {"pwrite", TL_WAIT_IO},
    {"pwrite64", TL_WAIT_IO},
    {"recv", TL_WAIT_IO},
    {"recvfrom", TL_WAIT_IO},
    {"recvmsg", TL_WAIT_IO},
    {"send", TL_WAIT_IO},
    {"sendto", TL_WAIT_IO},
    {"sendmsg", TL_WAIT_IO},
    {"accept", TL_WAIT_IO},
    {"accept4", TL_WAIT_IO},
    {"connect", TL_WAIT_IO},
    {"poll", TL_WAIT_POLL},
    {"ppoll", TL_WAIT_POLL},
    {"select", TL_WAIT_POLL},
    {"pselect", TL_WAIT_POLL},
    {"pselect6", TL_WAIT_POLL},
    {"epoll_wait", TL_WAIT_POLL},
    {"epoll_pwait", TL_WAIT_POLL},
    {"epoll_pwait2", TL_WAIT_POLL},
    {"syscall", TL_WAIT_NONE},
};

/* glibc's internal names of its entry points: ___pthread_cond_wait,
 * __libc_read, __GI___nanosleep, __new_sem_wait, __pthread_clockjoin_ex. */
static const struct entry *entry_of(const char *fn)
{
    if (!fn)
        return NULL;
    char buf[128];
    const char *s = fn;
    for (;;) {
        while (*s == '_')
            s++;
        if (strncmp(s, "GI_", 3) == 0)
            s += 3;
        else if (strncmp(s, "libc_", 5) == 0)
            s += 5;
        else if (strncmp(s, "new_", 4) == 0)
            s += 4;
        else
            break;
    }
    snprintf(buf, sizeof buf, "%s", s);
    buf[strcspn(buf, ".")] = 0; /* .constprop.0, .isra.0 */
    size_t n = strlen(buf);
    if (n > 2 && strcmp(buf + n - 2, "64") == 0 && strncmp(buf, "pread", 5) &&
        strncmp(buf, "pwrite", 6))
        buf[n - 2] = 0; /* __new_sem_wait_slow64 */
    /* Internal functions the entry point tail-calls, so that it is not on
     * the stack itself. */
    static const char *const tail[][2] = {
        {"pthread_clockjoin_ex", "pthread_join"},
        {"sem_wait_slow", "sem_wait"},
        {"pthread_mutex_clocklock_common", "pthread_mutex_timedlock"},
        /* robust, priority-inheritance and -protection mutexes */
        {"pthread_mutex_lock_full", "pthread_mutex_lock"},
    };
    for (size_t i = 0; i < sizeof tail / sizeof *tail; i++)
        if (strcmp(buf, tail[i][0]) == 0)
            snprintf(buf, sizeof buf, "%s", tail[i][1]);
    for (size_t i = 0; i < sizeof entries / sizeof *entries; i++)
        if (strcmp(buf, entries[i].name) == 0)
            return &entries[i];
    return NULL;
}

static int is_libc(const tl_frame *f)
{
    const char *m = f->module ? strrchr(f->module, '/') : NULL;
    m = m ? m + 1 : f->module;
    return m && (strncmp(m, "libc.so", 7) == 0 || strncmp(m, "libc-", 5) == 0 ||
                 strncmp(m, "libpthread", 10) == 0 || strncmp(m, "ld-linux", 8) == 0);
}

/* The object a thread in system call nr with args waits on, for a wait of
 * kind wait: as the library notes it, 0 when the call does not say. */
static uint64_t wait_object(int wait, long nr, const uint64_t args[6])
{
    switch (wait) {
    case TL_WAIT_COND:
        /* It sleeps on __g_signals[0 or 1], at offsets 40 and 44 of the
         * 8-aligned pthread_cond_t. */
        return nr == SYS_futex ? (args[0] - 40) & ~7ull : 0;
    case TL_WAIT_RWLOCK:
        /* Readers sleep on __wrphase_futex (offset 8), writers on
         * __writers_futex (12) of the 8-aligned pthread_rwlock_t. */
        return nr == SYS_futex ? (args[0] - 8) & ~7ull : 0;
    case TL_WAIT_BARRIER:
        /* On current_round (offset 4) or in (0) of the 8-aligned barrier. */
        return nr == SYS_futex ? args[0] & ~7ull : 0;
    case TL_WAIT_MUTEX:
    case TL_WAIT_SEM:
    case TL_WAIT_FUTEX:
        return nr == SYS_futex || nr == SYS_futex_waitv ? args[0] : 0;
    case TL_WAIT_IO:
        return args[0];
    case TL_WAIT_POLL: {
        int epoll = nr == SYS_epoll_wait || nr == SYS_epoll_pwait || nr == SYS_epoll_pwait2;
        return epoll ? args[0] : 0;
    }
    case TL_WAIT_JOIN:
        return nr == SYS_futex ? args[0] : 0;
    case TL_WAIT_CHILD: /* as the library notes it: a pid, -group, or 0 for any child */
        return nr == SYS_wait4 && (int)args[0] != -1 && (int)args[0] != 0
                   ? (uint64_t)(int64_t)(int)args[0]
                   : 0;
    default:
        return 0;
    }
}

void tl_wait_classify(long nr, const uint64_t args[6], const tl_frame *frames, int depth,
                      tl_wait_guess *out)
{
    memset(out, 0, sizeof *out);
    out->state = TL_RUNNING;
    if (nr < 0)
        return;
    out->state = TL_BLOCKED;
    out->wait = tl_syscall_wait(nr);
    out->wait_call = tl_syscall_known(nr);
    /* The outermost entry point among the C library's top frames is what
     * the program called: sleep() over nanosleep() over clock_nanosleep(). */
    int libc_top = 0;
    while (libc_top < depth && is_libc(&frames[libc_top]))
        libc_top++;
    const struct entry *called = NULL;
    int called_at = -1;
    for (int i = 0; i < libc_top; i++) {
        const struct entry *e = entry_of(frames[i].function);
        if (e) {
            called = e;
            called_at = i;
        }
    }
    if (called && strcmp(called->name, "syscall") != 0) {
        out->wait_call = called->name;
        if (called->wait != TL_WAIT_NONE)
            out->wait = called->wait;
    }
    /* Leave the library's frames out only when what remains is the
     * program's: a stack all inside libc stays whole. */
    if (libc_top < depth)
        out->skip = called_at >= 0 ? called_at + 1 : libc_top;
    if (nr == SYS_futex)
        out->futex = args[0];
    out->object = wait_object(out->wait, nr, args);
}
