/* same_args: every wrapped call with bad clocks, bad timespecs and bad
 * pointers, on free and on busy objects; prints each answer and what the
 * call took (a lock, a token, a join). See same_common.h. */
#include "same_common.h"

#include <fcntl.h>
#include <linux/futex.h>
#include <poll.h>
#include <semaphore.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <stddef.h>
#include <threads.h>

#ifndef SYS_futex_waitv
#define SYS_futex_waitv 449
#endif

static const struct timespec nsec_big = {0, 2000000000}, nsec_neg = {0, -1};
static const clockid_t clocks[] = {CLOCK_REALTIME,           CLOCK_MONOTONIC,
                                   CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID,
                                   CLOCK_BOOTTIME,           77};
#define NCLOCKS (sizeof clocks / sizeof clocks[0])

static char label[96];
static const char *L(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(label, sizeof label, fmt, ap);
    va_end(ap);
    return label;
}

/* The valid timespecs and the bad ones, by name. */
static const struct timespec *stamp(int i, clockid_t clk, struct timespec *buf, const char **name)
{
    switch (i) {
    case 0:
        *name = "future";
        *buf = in_ms(clk == CLOCK_MONOTONIC ? CLOCK_MONOTONIC : CLOCK_REALTIME, 50);
        return buf;
    case 1:
        *name = "past";
        buf->tv_sec = 1, buf->tv_nsec = 0;
        return buf;
    case 2:
        *name = "nsec=2e9";
        return &nsec_big;
    default:
        *name = "nsec=-1";
        return &nsec_neg;
    }
}

static volatile int runtime_big; /* 0, unknown to the compiler */
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
/* Whether the call took the lock; either way it is free again after. */
static void taken_rw(void)
{
    int r = pthread_rwlock_trywrlock(&rw);
    printf("    lock taken: %s\n", r == EBUSY ? "yes" : "no");
    pthread_rwlock_unlock(&rw);
}

static void rwlocks(void)
{
    for (int busy = 0; busy < 2; busy++) {
        pthread_t h = busy ? hold(&rw, &mu) : 0;
        printf("rwlock %s\n", busy ? "held by another thread" : "free");
        for (int i = 0; i < 4; i++) {
            struct timespec b;
            const char *n;
            const struct timespec *ts = stamp(i, CLOCK_REALTIME, &b, &n);
            SHOW_ERR(L("  timedrdlock %s", n), pthread_rwlock_timedrdlock(&rw, ts));
            if (!busy)
                taken_rw();
            SHOW_ERR(L("  timedwrlock %s", n), pthread_rwlock_timedwrlock(&rw, ts));
            if (!busy)
                taken_rw();
            for (unsigned c = 0; c < NCLOCKS; c++) {
                ts = stamp(i, clocks[c], &b, &n);
                SHOW_ERR(L("  clockrdlock clock %d %s", (int)clocks[c], n),
                         pthread_rwlock_clockrdlock(&rw, clocks[c], ts));
                if (!busy)
                    taken_rw();
                SHOW_ERR(L("  clockwrlock clock %d %s", (int)clocks[c], n),
                         pthread_rwlock_clockwrlock(&rw, clocks[c], ts));
                if (!busy)
                    taken_rw();
            }
        }
        if (busy)
            unhold(h);
    }
    /* Write-held by this thread: glibc says EINVAL before EDEADLK. */
    pthread_rwlock_wrlock(&rw);
    SHOW_ERR("rwlock self-held timedwrlock nsec=2e9", pthread_rwlock_timedwrlock(&rw, &nsec_big));
    SHOW_ERR("rwlock self-held timedrdlock past",
             pthread_rwlock_timedrdlock(&rw, &(struct timespec){1, 0}));
    pthread_rwlock_unlock(&rw);
}

static void taken_mu(pthread_mutex_t *m)
{
    int r = pthread_mutex_trylock(m);
    printf("    lock taken: %s\n", r == EBUSY ? "yes" : r == 0 ? "no" : err_name(r));
    pthread_mutex_unlock(m);
}

static void mutexes(void)
{
    for (int busy = 0; busy < 2; busy++) {
        pthread_t h = busy ? hold(&rw, &mu) : 0;
        printf("mutex %s\n", busy ? "held by another thread" : "free");
        for (int i = 0; i < 4; i++) {
            struct timespec b;
            const char *n;
            const struct timespec *ts = stamp(i, CLOCK_REALTIME, &b, &n);
            SHOW_ERR(L("  timedlock %s", n), pthread_mutex_timedlock(&mu, ts));
            if (!busy)
                taken_mu(&mu);
            for (unsigned c = 0; c < NCLOCKS; c++) {
                ts = stamp(i, clocks[c], &b, &n);
                SHOW_ERR(L("  clocklock clock %d %s", (int)clocks[c], n),
                         pthread_mutex_clocklock(&mu, clocks[c], ts));
                if (!busy)
                    taken_mu(&mu);
            }
        }
        if (busy)
            unhold(h);
    }
    /* Error-checking and recursive mutexes this thread holds. */
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    for (int kind = 0; kind < 2; kind++) {
        pthread_mutex_t m;
        pthread_mutexattr_settype(&a, kind ? PTHREAD_MUTEX_RECURSIVE : PTHREAD_MUTEX_ERRORCHECK);
        pthread_mutex_init(&m, &a);
        pthread_mutex_lock(&m);
        const char *k = kind ? "recursive" : "errorcheck";
        SHOW_ERR(L("mutex %s self-held lock", k), pthread_mutex_lock(&m));
        SHOW_ERR(L("mutex %s self-held timedlock nsec=2e9", k),
                 pthread_mutex_timedlock(&m, &nsec_big));
        SHOW_ERR(L("mutex %s self-held clocklock cputime", k),
                 pthread_mutex_clocklock(&m, CLOCK_PROCESS_CPUTIME_ID, &nsec_big));
        SHOW_ERR(L("mutex %s unlock", k), pthread_mutex_unlock(&m));
        SHOW_ERR(L("mutex %s unlock", k), pthread_mutex_unlock(&m));
        SHOW_ERR(L("mutex %s unlock", k), pthread_mutex_unlock(&m));
        pthread_mutex_destroy(&m);
    }
    mtx_t c11;
    mtx_init(&c11, mtx_timed);
    SHOW_ERR("mtx_timedlock free nsec=2e9", mtx_timedlock(&c11, &nsec_big));
    SHOW_ERR("mtx_trylock after it", mtx_trylock(&c11));
    mtx_unlock(&c11);
}

static void semaphores(void)
{
    sem_t s;
    sem_init(&s, 0, 3);
    for (int i = 0; i < 4; i++) {
        struct timespec b;
        const char *n;
        const struct timespec *ts = stamp(i, CLOCK_REALTIME, &b, &n);
        SHOW(L("sem_timedwait %s", n), sem_timedwait(&s, ts));
        for (unsigned c = 0; c < NCLOCKS; c++) {
            ts = stamp(i, clocks[c], &b, &n);
            SHOW(L("sem_clockwait clock %d %s", (int)clocks[c], n),
                 sem_clockwait(&s, clocks[c], ts));
            int v = -1;
            sem_getvalue(&s, &v);
            printf("    tokens left %d\n", v);
            if (v == 0)
                sem_post(&s);
        }
    }
    int v = -1;
    sem_getvalue(&s, &v);
    while (v-- > 0)
        sem_wait(&s);
    SHOW("sem_timedwait empty past", sem_timedwait(&s, &(struct timespec){1, 0}));
    SHOW("sem_timedwait empty nsec=2e9", sem_timedwait(&s, &nsec_big));
    SHOW("sem_clockwait empty cputime", sem_clockwait(&s, CLOCK_PROCESS_CPUTIME_ID, &nsec_big));
}

static void *blocked_reader(void *arg)
{
    char c;
    read(*(int *)arg, &c, 1);
    return NULL;
}

static void joins(void)
{
    for (unsigned c = 0; c < NCLOCKS; c++) {
        pthread_t t = finished_thread();
        struct timespec ts = in_ms(CLOCK_REALTIME, 50);
        void *ret = NULL;
        SHOW_ERR(L("clockjoin finished clock %d", (int)clocks[c]),
                 pthread_clockjoin_np(t, &ret, clocks[c], &ts));
        printf("    returned %p\n", ret);
        if (ret == NULL)
            pthread_join(t, NULL);
    }
    for (int i = 0; i < 4; i++) {
        pthread_t t = finished_thread();
        struct timespec b;
        const char *n;
        const struct timespec *ts = stamp(i, CLOCK_REALTIME, &b, &n);
        void *ret = NULL;
        SHOW_ERR(L("timedjoin finished %s", n), pthread_timedjoin_np(t, &ret, ts));
        printf("    returned %p\n", ret);
        if (ret == NULL)
            pthread_join(t, NULL);
    }
    int p[2];
    pipe(p);
    pthread_t t;
    pthread_create(&t, NULL, blocked_reader, &p[0]);
    SHOW_ERR("timedjoin running past", pthread_timedjoin_np(t, NULL, &(struct timespec){1, 0}));
    SHOW_ERR("clockjoin running cputime",
             pthread_clockjoin_np(t, NULL, CLOCK_PROCESS_CPUTIME_ID, &(struct timespec){1, 0}));
    SHOW_ERR("clockjoin running monotonic past",
             pthread_clockjoin_np(t, NULL, CLOCK_MONOTONIC, &(struct timespec){1, 0}));
    SHOW_ERR("tryjoin running", pthread_tryjoin_np(t, NULL));
    write(p[1], "x", 1);
    SHOW_ERR("join", pthread_join(t, NULL));
    SHOW_ERR("join self", pthread_join(pthread_self(), NULL));
}

static void conds(void)
{
    pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
    pthread_mutex_lock(&mu);
    for (unsigned c = 0; c < NCLOCKS; c++)
        SHOW_ERR(L("cond_clockwait clock %d past", (int)clocks[c]),
                 pthread_cond_clockwait(&cv, &mu, clocks[c], &(struct timespec){1, 0}));
    SHOW_ERR("cond_timedwait past", pthread_cond_timedwait(&cv, &mu, &(struct timespec){1, 0}));
    SHOW_ERR("cond_timedwait nsec=2e9", pthread_cond_timedwait(&cv, &mu, &nsec_big));
    SHOW_ERR("cond_clockwait nsec=-1",
             pthread_cond_clockwait(&cv, &mu, CLOCK_MONOTONIC, &nsec_neg));
    pthread_mutex_unlock(&mu);
    cnd_t c11;
    mtx_t m11;
    cnd_init(&c11);
    mtx_init(&m11, mtx_plain);
    mtx_lock(&m11);
    SHOW_ERR("cnd_timedwait past", cnd_timedwait(&c11, &m11, &(struct timespec){1, 0}));
    SHOW_ERR("cnd_timedwait nsec=2e9", cnd_timedwait(&c11, &m11, &nsec_big));
    mtx_unlock(&m11);
}

static void sleeps(void)
{
    struct timespec rem = {42, 42};
    SHOW("nanosleep nsec=2e9", nanosleep(&nsec_big, &rem));
    SHOW("nanosleep nsec=-1", nanosleep(&nsec_neg, &rem));
    SHOW("nanosleep sec=-1", nanosleep(&(struct timespec){-1, 0}, &rem));
    SHOW("nanosleep 1ms", nanosleep(&(struct timespec){0, 1000000}, &rem));
    printf("    rem %ld.%09ld\n", (long)rem.tv_sec, rem.tv_nsec);
    for (unsigned c = 0; c < NCLOCKS; c++) {
        /* The process's CPU clock hardly runs while it sleeps. */
        if (clocks[c] != CLOCK_PROCESS_CPUTIME_ID) {
            SHOW_ERR(L("clock_nanosleep clock %d 1ms", (int)clocks[c]),
                     clock_nanosleep(clocks[c], 0, &(struct timespec){0, 1000000}, &rem));
            SHOW_ERR(L("clock_nanosleep clock %d flags=2", (int)clocks[c]),
                     clock_nanosleep(clocks[c], 2, &(struct timespec){0, 1000}, &rem));
        }
        SHOW_ERR(L("clock_nanosleep clock %d abs past", (int)clocks[c]),
                 clock_nanosleep(clocks[c], TIMER_ABSTIME, &(struct timespec){0, 1}, &rem));
        SHOW_ERR(L("clock_nanosleep clock %d nsec=2e9", (int)clocks[c]),
                 clock_nanosleep(clocks[c], 0, &nsec_big, &rem));
    }
    printf("    rem %ld.%09ld\n", (long)rem.tv_sec, rem.tv_nsec);
    SHOW("thrd_sleep nsec=2e9", thrd_sleep(&nsec_big, &rem));
    SHOW("thrd_sleep sec=-1", thrd_sleep(&(struct timespec){-1, 0}, NULL));
    SHOW("usleep 0", usleep(0));
    SHOW("usleep 1000", usleep(1000));
    SHOW("sleep 0", sleep(0));
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    SHOW("sigtimedwait nsec=2e9", sigtimedwait(&set, NULL, &nsec_big));
    SHOW("sigtimedwait sec=-1", sigtimedwait(&set, NULL, &(struct timespec){-1, 0}));
    SHOW("sigtimedwait zero", sigtimedwait(&set, NULL, &(struct timespec){0, 0}));
}

static void polls(void)
{
    int p[2];
    pipe(p);
    struct pollfd pfd = {p[0], POLLIN, 0};
    SHOW("ppoll nsec=2e9", ppoll(&pfd, 1, &nsec_big, NULL));
    SHOW("ppoll sec=-1", ppoll(&pfd, 1, &(struct timespec){-1, 0}, NULL));
    SHOW("poll nfds huge", poll(&pfd, (nfds_t)1 << 30 | (nfds_t)runtime_big, 10));
    SHOW("poll 10ms", poll(&pfd, 1, 10));
    printf("    revents %d\n", pfd.revents);
    fd_set r;
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    SHOW("select tv_usec=-1", select(p[0] + 1, &r, NULL, NULL, &(struct timeval){0, -1}));
    SHOW("select n=-1", select(-1, &r, NULL, NULL, &(struct timeval){0, 1000}));
    SHOW("select bad descriptor", select(1000, &r, NULL, NULL, &(struct timeval){0, 1000}));
    struct timeval tv = {0, 2000000};
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    SHOW("select tv_usec=2e6 nothing ready",
         select(p[0] + 1, &r, NULL, NULL, &(struct timeval){0, 1000}));
    printf("    set %d tv %ld.%06ld\n", FD_ISSET(p[0], &r), (long)tv.tv_sec, (long)tv.tv_usec);
    FD_SET(p[0], &r);
    SHOW("pselect nsec=2e9", pselect(p[0] + 1, &r, NULL, NULL, &nsec_big, NULL));
    printf("    set %d\n", FD_ISSET(p[0], &r));
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN};
    epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
    SHOW("epoll_pwait2 nsec=2e9", epoll_pwait2(ep, &ev, 1, &nsec_big, NULL));
    SHOW("epoll_pwait2 sec=-1", epoll_pwait2(ep, &ev, 1, &(struct timespec){-1, 0}, NULL));
    SHOW("epoll_wait max=0", epoll_wait(ep, &ev, 0, 10));
    SHOW("epoll_wait not epoll", epoll_wait(p[0], &ev, 1, 10));
}

static void futexes(void)
{
    static uint32_t word = 1;
    /* calls syscall() passes through: errno only on failure, as glibc's */
    SHOW("syscall getppid", syscall(SYS_getppid) > 0);
    SHOW("syscall close -1", syscall(SYS_close, -1));
    SHOW("syscall futex WAKE", syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0));
    SHOW("syscall 100000", syscall(100000, 1, 2, 3, 4, 5, 6));
    SHOW("syscall fcntl F_GETFD", syscall(SYS_fcntl, 0, F_GETFD) >= 0);
    SHOW("futex WAIT nsec=2e9",
         syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 1, &nsec_big, NULL, 0));
    SHOW("futex WAIT value differs",
         syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 2, NULL, NULL, 0));
    SHOW("futex WAIT_BITSET bitset 0",
         syscall(SYS_futex, &word, FUTEX_WAIT_BITSET_PRIVATE, 1, NULL, NULL, 0));
    SHOW("futex WAIT_BITSET past", syscall(SYS_futex, &word, FUTEX_WAIT_BITSET_PRIVATE, 1,
                                           &(struct timespec){1, 0}, NULL, FUTEX_BITSET_MATCH_ANY));
    struct futex_waitv w = {
        .val = 1, .uaddr = (uintptr_t)&word, .flags = FUTEX_32 | FUTEX_PRIVATE_FLAG};
    SHOW("futex_waitv nr=0", syscall(SYS_futex_waitv, &w, 0, 0, NULL, CLOCK_MONOTONIC));
    SHOW("futex_waitv past",
         syscall(SYS_futex_waitv, &w, 1, 0, &(struct timespec){1, 0}, CLOCK_MONOTONIC));
    SHOW("futex_waitv nsec=2e9", syscall(SYS_futex_waitv, &w, 1, 0, &nsec_big, CLOCK_MONOTONIC));
    SHOW("futex_waitv clock 77", syscall(SYS_futex_waitv, &w, 1, 0, &(struct timespec){1, 0}, 77));
}

/* Bad pointers: the kernel answers EFAULT (or glibc crashes bare too). */
static void pointers(void)
{
    void *bad = bad_page();
    int p[2], sv[2];
    pipe(p);
    write(p[1], "abcdef", 6);
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    write(sv[1], "abcdef", 6);
    uint32_t word = 1;
    SHOW("futex WAIT bad word", syscall(SYS_futex, bad, FUTEX_WAIT, 1, NULL, NULL, 0));
    SHOW("futex WAIT bad timeout", syscall(SYS_futex, &word, FUTEX_WAIT, 1, bad, NULL, 0));
    SHOW("futex_waitv bad array", syscall(SYS_futex_waitv, bad, 1, 0, NULL, CLOCK_MONOTONIC));
    SHOW("futex_waitv bad timeout",
         syscall(SYS_futex_waitv,
                 &(struct futex_waitv){.val = 1, .uaddr = (uintptr_t)&word, .flags = FUTEX_32}, 1,
                 0, bad, CLOCK_MONOTONIC));
    SHOW("poll bad array", poll(bad, 1, 100));
    SHOW("poll bad array, no wait", poll(bad, 1, 0));
    SHOW("poll bad array, nfds 0", poll(bad, 0, 1));
    SHOW("ppoll bad array", ppoll(bad, 1, &(struct timespec){0, 100000000}, NULL));
    struct pollfd pfd = {p[0], POLLIN, 0};
    SHOW("ppoll bad mask", ppoll(&pfd, 1, &(struct timespec){0, 1000000}, bad));
    SHOW("select bad set", select(1, bad, NULL, NULL, &(struct timeval){0, 100000}));
    SHOW("select bad set, no wait", select(1, NULL, bad, NULL, &(struct timeval){0, 0}));
    SHOW("pselect bad set", pselect(1, NULL, NULL, bad, &(struct timespec){0, 100000000}, NULL));
    fd_set r;
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    SHOW("pselect bad mask",
         pselect(p[0] + 1, &r, NULL, NULL, &(struct timespec){0, 1000000}, bad));
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN};
    epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
    SHOW("epoll_wait bad events", epoll_wait(ep, bad, 1, 100));
    SHOW("epoll_pwait bad events", epoll_pwait(ep, bad, 1, 100, NULL));
    SHOW("epoll_pwait bad mask", epoll_pwait(ep, &ev, 1, 100, bad));
    SHOW("epoll_pwait2 bad timeout", epoll_pwait2(ep, &ev, 1, bad, NULL));
    SHOW("epoll_pwait2 bad events", epoll_pwait2(ep, bad, 1, &(struct timespec){0, 1000000}, NULL));
    SHOW("nanosleep bad req", nanosleep(bad, NULL));
    SHOW("nanosleep bad rem, not interrupted", nanosleep(&(struct timespec){0, 1000000}, bad));
    SHOW_ERR("clock_nanosleep bad req", clock_nanosleep(CLOCK_MONOTONIC, 0, bad, NULL));
    SHOW_ERR("clock_nanosleep abs bad req",
             clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, bad, NULL));
    SHOW("thrd_sleep bad req", thrd_sleep(bad, NULL));
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    SHOW("sigtimedwait bad timeout", sigtimedwait(&set, NULL, bad));
    SHOW("sigtimedwait bad set", sigtimedwait(bad, NULL, &(struct timespec){0, 1000000}));
    SHOW("sigwaitinfo bad set", sigwaitinfo(bad, NULL));
    int sig = 0;
    SHOW_ERR("sigwait bad set", sigwait(bad, &sig));
    SHOW("sigsuspend bad mask", sigsuspend(bad));
    SHOW("read bad buffer", read(p[0], bad, 3));
    SHOW("readv bad iovec", readv(p[0], bad, 1));
    SHOW("readv bad buffer", readv(p[0], &(struct iovec){bad, 3}, 1));
    SHOW("pread bad buffer", pread(p[0], bad, 3, 0));
    SHOW("write bad buffer", write(p[1], bad, 3));
    SHOW("writev bad iovec", writev(p[1], bad, 1));
    SHOW("recv bad buffer", recv(sv[0], bad, 3, 0));
    SHOW("recvfrom bad buffer", recvfrom(sv[0], bad, 3, 0, NULL, NULL));
    SHOW("recvmsg bad msghdr", recvmsg(sv[0], bad, 0));
    SHOW("send bad buffer", send(sv[0], bad, 3, 0));
    SHOW("sendto bad buffer", sendto(sv[0], bad, 3, 0, NULL, 0));
    SHOW("sendmsg bad msghdr", sendmsg(sv[0], bad, 0));
    char buf[16];
    SHOW("read after", read(p[0], buf, sizeof buf));
    SHOW("recv after", recv(sv[0], buf, sizeof buf, 0));
    int ls = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path + 1, sizeof a.sun_path - 1, "same_args.%d", (int)getpid());
    socklen_t alen = offsetof(struct sockaddr_un, sun_path) + 1 + strlen(a.sun_path + 1);
    bind(ls, (struct sockaddr *)&a, alen);
    listen(ls, 4);
    SHOW("connect bad address", connect(socket(AF_UNIX, SOCK_STREAM, 0), bad, alen));
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    SHOW("connect", connect(c, (struct sockaddr *)&a, alen));
    SHOW("accept bad address", accept(ls, bad, &(socklen_t){sizeof a}) >= 0);
    SHOW("accept4 nothing pending", accept4(ls, NULL, NULL, SOCK_CLOEXEC));
    /* Child waits: a status, siginfo or rusage the kernel cannot write. */
    for (int k = 0; k < 4; k++) {
        fflush(stdout);
        pid_t child = fork();
        if (child == 0)
            _exit(3);
        static const char *const what[] = {"waitpid bad status", "wait4 bad rusage",
                                           "waitid bad siginfo", "wait bad status"};
        if (k == 0)
            SHOW(what[k], waitpid(child, bad, 0) == child);
        else if (k == 1)
            SHOW(what[k], wait4(child, NULL, 0, bad) == child);
        else if (k == 2)
            SHOW(what[k], waitid(P_PID, (id_t)child, bad, WEXITED));
        else
            SHOW(what[k], wait(bad) == child);
        int st = 0;
        printf("    reaped after: %s\n", waitpid(child, &st, 0) == child ? "yes" : err_name(errno));
    }
}

static int c11_quick(void *arg)
{
    return (int)(intptr_t)arg;
}

/* Thread lifecycle calls: their answers and errno, in the odd cases. */
static void lifecycle(void)
{
    pthread_t t;
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setstacksize(&a, 1 << 20);
    SHOW_ERR("create with a stack size", pthread_create(&t, &a, quick, (void *)&(pid_t){0}));
    SHOW_ERR("join it", pthread_join(t, NULL));
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    SHOW_ERR("create detached", pthread_create(&t, &a, quick, (void *)&(pid_t){0}));
    pthread_attr_setdetachstate(&a, 77);
    SHOW_ERR("setdetachstate 77", pthread_attr_setdetachstate(&a, 77));
    pthread_attr_destroy(&a);
    t = finished_thread();
    SHOW_ERR("detach a finished thread", pthread_detach(t));
    t = finished_thread();
    SHOW_ERR("cancel a finished thread", pthread_cancel(t));
    SHOW_ERR("setname of a finished thread", pthread_setname_np(t, "late"));
    SHOW_ERR("tryjoin it", pthread_tryjoin_np(t, NULL));
    SHOW_ERR("setname too long",
             pthread_setname_np(pthread_self(), "a name much longer than sixteen"));
    SHOW_ERR("setname", pthread_setname_np(pthread_self(), "same_args"));
    char name[32] = "";
    SHOW_ERR("getname", pthread_getname_np(pthread_self(), name, sizeof name));
    printf("    name %s\n", name);
    SHOW_ERR("getname short buffer", pthread_getname_np(pthread_self(), name, 4));
    thrd_t c;
    int res = -1;
    SHOW_ERR("thrd_create", thrd_create(&c, c11_quick, (void *)5));
    SHOW_ERR("thrd_join", thrd_join(c, &res));
    printf("    result %d\n", res);
    SHOW_ERR("thrd_create", thrd_create(&c, c11_quick, (void *)6));
    SHOW_ERR("thrd_detach", thrd_detach(c));
    SHOW_ERR("join self", pthread_join(pthread_self(), NULL));
    SHOW_ERR("detach self then join self", pthread_detach(pthread_self()));
}

static void group_timeouts(void)
{
    isolated("lifecycle", lifecycle);
    isolated("rwlocks", rwlocks);
    isolated("mutexes", mutexes);
    isolated("semaphores", semaphores);
    isolated("joins", joins);
    isolated("conds", conds);
    isolated("sleeps", sleeps);
    isolated("polls", polls);
    isolated("futexes", futexes);
}

int main(int argc, char **argv)
{
    start_output();
    if (argc > 1 && !strcmp(argv[1], "pointers"))
        isolated("pointers", pointers);
    else
        group_timeouts();
    return 0;
}
