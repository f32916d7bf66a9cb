/* same_fuzz SEED COUNT: COUNT wrapped calls with arguments drawn from SEED:
 * clocks valid and not, timespecs at and past their limits, pointers good,
 * NULL and unmapped, objects free and held by another thread. Nothing waits
 * long: absolute times are in the past, relative ones a microsecond at
 * most, and a call that could block for good is given something ready.
 * Each call runs in a child of its own (glibc itself faults on some
 * pointers); prints the call, its arguments and its answer. See
 * same_common.h. */
#include "same_common.h"

#include <linux/futex.h>
#include <poll.h>
#include <semaphore.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <threads.h>

#ifndef SYS_futex_waitv
#define SYS_futex_waitv 449
#endif

static uint64_t rng;
static unsigned pick(unsigned n)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (unsigned)(rng % n);
}

static const clockid_t clocks[] = {CLOCK_REALTIME,
                                   CLOCK_MONOTONIC,
                                   CLOCK_PROCESS_CPUTIME_ID,
                                   CLOCK_THREAD_CPUTIME_ID,
                                   CLOCK_BOOTTIME,
                                   CLOCK_MONOTONIC_RAW,
                                   -1,
                                   77};
static const long nsecs[] = {0, 1, 999999999, 1000000000, 2000000000, -1, -1000000000};
static const time_t abs_secs[] = {0, 1, -1, 100}; /* all in the past */

static void *bad;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER, cond_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static sem_t sem;
static uint32_t word = 1;
static int ready_pipe[2], empty_pipe[2], ep;

/* What a call is given: a line saying so, and the values. */
static char args[200];
static size_t args_len;
static void arg(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    args_len += (size_t)vsnprintf(args + args_len, sizeof args - args_len, fmt, ap);
    va_end(ap);
    if (args_len >= sizeof args)
        args_len = sizeof args - 1;
}

static clockid_t any_clock(void)
{
    clockid_t c = clocks[pick(sizeof clocks / sizeof clocks[0])];
    arg(" clock=%d", (int)c);
    return c;
}

/* An absolute time in the past, or invalid; for the clock it is read on. */
static struct timespec abs_ts;
static const struct timespec *any_abs(int may_be_null)
{
    unsigned p = pick(12);
    if (p == 0) {
        arg(" ts=bad");
        return bad;
    }
    if (p == 1 && may_be_null) {
        arg(" ts=NULL");
        return NULL;
    }
    abs_ts.tv_sec = abs_secs[pick(sizeof abs_secs / sizeof abs_secs[0])];
    abs_ts.tv_nsec = nsecs[pick(sizeof nsecs / sizeof nsecs[0])];
    arg(" ts={%ld,%ld}", (long)abs_ts.tv_sec, abs_ts.tv_nsec);
    return &abs_ts;
}

/* A relative time of a microsecond at most, or invalid. */
static struct timespec rel_ts;
static const struct timespec *any_rel(int cpu_clock)
{
    unsigned p = pick(12);
    if (p == 0) {
        arg(" ts=bad");
        return bad;
    }
    static const long small[] = {0, 1, 1000, -1, 1000000000, 2000000000};
    rel_ts.tv_sec = pick(8) ? 0 : -1;
    rel_ts.tv_nsec = cpu_clock && rel_ts.tv_sec == 0 ? 0 : small[pick(6)];
    arg(" ts={%ld,%ld}", (long)rel_ts.tv_sec, rel_ts.tv_nsec);
    return &rel_ts;
}

static void *any_ptr(void *good)
{
    unsigned p = pick(6);
    arg(p == 0 ? " ptr=bad" : p == 1 ? " ptr=NULL" : " ptr=ok");
    return p == 0 ? bad : p == 1 ? NULL : good;
}

static int is_cpu(clockid_t c)
{
    return c == CLOCK_PROCESS_CPUTIME_ID || c == CLOCK_THREAD_CPUTIME_ID;
}

/* One call, in the child: prints its answer. */
static int which;
static void one_call(void)
{
    struct timespec rem = {42, 42};
    fd_set set;
    struct pollfd pfd = {ready_pipe[0], POLLIN, 0};
    struct epoll_event ev;
    sigset_t usr2;
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    int held = pick(2);
    pthread_t h = held ? hold(&rw, &mu) : 0;
    if (held)
        arg(" held");
    clockid_t c;
    const struct timespec *ts;
    switch (which) {
    case 0:
        SHOW_ERR("rwlock_timedrdlock", pthread_rwlock_timedrdlock(&rw, any_abs(!held)));
        break;
    case 1:
        SHOW_ERR("rwlock_timedwrlock", pthread_rwlock_timedwrlock(&rw, any_abs(!held)));
        break;
    case 2:
        c = any_clock();
        SHOW_ERR("rwlock_clockrdlock", pthread_rwlock_clockrdlock(&rw, c, any_abs(!held)));
        break;
    case 3:
        c = any_clock();
        SHOW_ERR("rwlock_clockwrlock", pthread_rwlock_clockwrlock(&rw, c, any_abs(!held)));
        break;
    case 4:
        SHOW_ERR("mutex_timedlock", pthread_mutex_timedlock(&mu, any_abs(!held)));
        break;
    case 5:
        c = any_clock();
        SHOW_ERR("mutex_clocklock", pthread_mutex_clocklock(&mu, c, any_abs(!held)));
        break;
    case 6:
        if (pick(2))
            sem_post(&sem), arg(" token");
        SHOW("sem_timedwait", sem_timedwait(&sem, any_abs(0)));
        break;
    case 7:
        if (pick(2))
            sem_post(&sem), arg(" token");
        c = any_clock();
        SHOW("sem_clockwait", sem_clockwait(&sem, c, any_abs(0)));
        break;
    case 8:
        pthread_mutex_lock(&cond_mu);
        SHOW_ERR("cond_timedwait", pthread_cond_timedwait(&cv, &cond_mu, any_abs(0)));
        break;
    case 9:
        pthread_mutex_lock(&cond_mu);
        c = any_clock();
        SHOW_ERR("cond_clockwait", pthread_cond_clockwait(&cv, &cond_mu, c, any_abs(0)));
        break;
    case 10:
        SHOW_ERR("timedjoin finished", pthread_timedjoin_np(finished_thread(), NULL, any_abs(1)));
        break;
    case 11:
        c = any_clock();
        SHOW_ERR("clockjoin finished",
                 pthread_clockjoin_np(finished_thread(), NULL, c, any_abs(1)));
        break;
    case 12:
        ts = any_rel(0);
        SHOW("nanosleep", nanosleep(ts, any_ptr(&rem)));
        printf("    rem {%ld,%ld}\n", (long)rem.tv_sec, rem.tv_nsec);
        break;
    case 13: {
        c = any_clock();
        int flags = (int)pick(3);
        arg(" flags=%d", flags);
        /* A CPU clock hardly runs: its times, absolute or not, are tiny. */
        ts = flags & TIMER_ABSTIME && !is_cpu(c) ? any_abs(0) : any_rel(is_cpu(c));
        SHOW_ERR("clock_nanosleep", clock_nanosleep(c, flags, ts, any_ptr(&rem)));
        printf("    rem {%ld,%ld}\n", (long)rem.tv_sec, rem.tv_nsec);
        break;
    }
    case 14:
        ts = any_rel(0);
        SHOW("thrd_sleep", thrd_sleep(ts, any_ptr(&rem)));
        break;
    case 15: {
        siginfo_t info;
        ts = any_rel(0);
        SHOW("sigtimedwait", sigtimedwait(pick(6) ? &usr2 : bad, any_ptr(&info), ts));
        break;
    }
    case 16:
        if (pick(3)) { /* with a timeout: any descriptors */
            ts = any_rel(0);
            SHOW("ppoll", ppoll(any_ptr(&pfd), pick(3), ts, pick(6) ? NULL : bad));
        } else { /* none: one that is ready */
            arg(" ts=NULL");
            SHOW("ppoll ready", ppoll(&pfd, 1, NULL, pick(6) ? NULL : bad));
        }
        break;
    case 17:
        FD_ZERO(&set);
        FD_SET(ready_pipe[0], &set);
        ts = any_rel(0);
        SHOW("pselect",
             pselect(ready_pipe[0] + 1, any_ptr(&set), NULL, NULL, ts, pick(6) ? NULL : bad));
        break;
    case 18:
        ts = any_rel(0);
        SHOW("epoll_pwait2 empty", epoll_pwait2(ep, any_ptr(&ev), (int)pick(3) - 1, ts, NULL));
        break;
    case 19: {
        static const int ops[] = {FUTEX_WAIT, FUTEX_WAIT_PRIVATE, FUTEX_WAIT_BITSET_PRIVATE,
                                  FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME, FUTEX_LOCK_PI_PRIVATE};
        int op = ops[pick(5)];
        int bitset = (op & FUTEX_CMD_MASK) == FUTEX_WAIT_BITSET;
        arg(" op=%d", op);
        ts = bitset || (op & FUTEX_CMD_MASK) == FUTEX_LOCK_PI ? any_abs(0) : any_rel(0);
        uint32_t val = pick(2) ? 1 : 2;
        arg(" val=%u", val);
        SHOW("futex", syscall(SYS_futex, any_ptr(&word), op, val, ts, NULL,
                              pick(4) ? FUTEX_BITSET_MATCH_ANY : 0));
        break;
    }
    case 20: {
        struct futex_waitv w = {.val = pick(2),
                                .uaddr = (uintptr_t)&word,
                                .flags = pick(4) ? FUTEX_32 | FUTEX_PRIVATE_FLAG : 7};
        arg(" val=%llu flags=%u", (unsigned long long)w.val, w.flags);
        unsigned nr = pick(3);
        arg(" nr=%u", nr);
        c = any_clock();
        SHOW("futex_waitv", syscall(SYS_futex_waitv, any_ptr(&w), nr, 0, any_abs(0), c));
        break;
    }
    case 21:
        SHOW("poll ready", poll(any_ptr(&pfd), pick(3), (int)pick(2)));
        break;
    case 22: {
        FD_ZERO(&set);
        FD_SET(empty_pipe[0], &set);
        struct timeval tv = {pick(4) ? 0 : -1, (long)pick(3) - 1};
        arg(" tv={%ld,%ld}", (long)tv.tv_sec, (long)tv.tv_usec);
        SHOW("select empty", select(empty_pipe[0] + 1, any_ptr(&set), NULL, NULL, &tv));
        break;
    }
    default:
        SHOW("epoll_wait empty", epoll_wait(ep, any_ptr(&ev), (int)pick(3) - 1, (int)pick(2)));
        break;
    }
    printf("    given%s\n", args);
    if (held)
        unhold(h);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: same_fuzz SEED COUNT\n");
        return 2;
    }
    start_output();
    bad = bad_page();
    sem_init(&sem, 0, 0);
    if (pipe(ready_pipe) || pipe(empty_pipe) || write(ready_pipe[1], "r", 1) != 1)
        return 1;
    ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN};
    epoll_ctl(ep, EPOLL_CTL_ADD, empty_pipe[0], &ev);
    sigset_t usr2;
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &usr2, NULL);
    long count = atol(argv[2]);
    for (long i = 0; i < count; i++) {
        /* Each call's draws depend on the seed and its number only. */
        rng = (uint64_t)atoll(argv[1]) * 0x9e3779b97f4a7c15ull +
              (uint64_t)i * 0xbf58476d1ce4e5b9ull + 1;
        which = (int)pick(24);
        args_len = 0;
        args[0] = 0;
        char name[48];
        snprintf(name, sizeof name, "call %ld (case %d)", i, which);
        isolated(name, one_call);
    }
    return 0;
}
