/* same_signals: every wrapped call, each in a thread of its own, blocked
 * while threadleak's dump signal (SIGUSR1) arrives twice (only when
 * preloaded: bare, it would kill the program). Timed calls must still take
 * their whole time and answer as bare; calls that wait for an event must
 * still wait for it. Prints one line per call, in a fixed order. See
 * same_common.h. */
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
#include <threads.h>

#ifndef SYS_futex_waitv
#define SYS_futex_waitv 449
#endif

#define T_MS 300     /* timed calls */
#define EVENT_MS 250 /* the event the others wait for */
#define SIGWAITED (SIGRTMIN + 2)

enum kind { TIMED, EVENT };

static const struct {
    const char *name;
    enum kind kind;
} cases[] = {
    {"sleep", TIMED},
    {"usleep", TIMED},
    {"nanosleep", TIMED},
    {"nanosleep no rem", TIMED},
    {"clock_nanosleep", TIMED},
    {"clock_nanosleep abs", TIMED},
    {"thrd_sleep", TIMED},
    {"sigtimedwait", TIMED},
    {"poll", TIMED},
    {"ppoll", TIMED},
    {"select", TIMED},
    {"pselect", TIMED},
    {"epoll_wait", TIMED},
    {"epoll_pwait", TIMED},
    {"epoll_pwait2", TIMED},
    {"sem_timedwait", TIMED},
    {"sem_clockwait", TIMED},
    {"pthread_cond_timedwait", TIMED},
    {"pthread_cond_clockwait", TIMED},
    {"cnd_timedwait", TIMED},
    {"pthread_mutex_timedlock", TIMED},
    {"pthread_mutex_clocklock", TIMED},
    {"mtx_timedlock", TIMED},
    {"pthread_rwlock_timedrdlock", TIMED},
    {"pthread_rwlock_clockwrlock", TIMED},
    {"futex wait", TIMED},
    {"futex wait_bitset", TIMED},
    {"futex_waitv", TIMED},
    {"recv with SO_RCVTIMEO", TIMED},
    {"read with SO_RCVTIMEO", TIMED},
    {"accept with SO_RCVTIMEO", TIMED},
    {"pthread_timedjoin_np", TIMED},
    {"pthread_clockjoin_np", TIMED},
    {"read", EVENT},
    {"readv", EVENT},
    {"recvmsg", EVENT},
    {"write", EVENT},
    {"sem_wait", EVENT},
    {"pthread_cond_wait", EVENT},
    {"cnd_wait", EVENT},
    {"pthread_mutex_lock", EVENT},
    {"mtx_lock", EVENT},
    {"pthread_rwlock_rdlock", EVENT},
    {"pthread_rwlock_wrlock", EVENT},
    {"pthread_barrier_wait", EVENT},
    {"pthread_join", EVENT},
    {"thrd_join", EVENT},
    {"pause", EVENT},
    {"sigsuspend", EVENT},
    {"sigwait", EVENT},
    {"sigwaitinfo", EVENT},
    {"futex wait forever", EVENT},
    {"poll forever", EVENT},
    {"ppoll forever", EVENT},
    {"select forever", EVENT},
    {"epoll_wait forever", EVENT},
    {"write partly", EVENT},
    {"writev partly", EVENT},
    {"send partly", EVENT},
    {"sendto partly", EVENT},
    {"sendmsg partly", EVENT},
    {"recv MSG_WAITALL", EVENT},
    {"recvfrom MSG_WAITALL", EVENT},
    {"recvmsg MSG_WAITALL", EVENT},
    {"waitpid", EVENT},
    {"wait3", EVENT},
    {"wait4", EVENT},
    {"waitid", EVENT},
};

/* The partly cases: more than the pipe or socket holds, so the call has
 * written part of it when the dump signal comes; the rest is read at the
 * event. The MSG_WAITALL cases get a few bytes first, the rest then. */
#define BIG (1 << 20)
#define WAITALL 64
static char big[BIG];
#define N (int)(sizeof cases / sizeof cases[0])

static struct result {
    long rc;
    int err;
    long long ms;
    char extra[64];
} results[N];
static volatile pid_t tids[N];
static pthread_t threads[N];
static int pipes[N][2];
static int socks[N][2];
static int eps[N];
static sem_t sems[N];
static pthread_mutex_t locked = PTHREAD_MUTEX_INITIALIZER, cond_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_rwlock_t wlocked = PTHREAD_RWLOCK_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static mtx_t c11_locked, c11_cond_mutex;
static cnd_t c11_cond;
/* What the timed calls wait for: held, or never signalled, to the end. */
static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;
static pthread_rwlock_t wheld = PTHREAD_RWLOCK_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;
static mtx_t c11_held;
static cnd_t c11_never;
static pthread_barrier_t barrier;
static uint32_t words[N];
static int go;
static pthread_t ends_at_event, never_ends;
static thrd_t c11_ends_at_event;
static int end_pipe[2], never_pipe[2], listener;
static pid_t children[N]; /* for the child waits: they exit at the event */
static int child_pipe[2];
static long long start_ms; /* the events happen EVENT_MS after it */

/* A child that exits at the event. */
static pid_t new_child(void)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        char c;
        close(child_pipe[1]);
        read(child_pipe[0], &c, 1);
        _exit(0);
    }
    return pid;
}

static int is(int i, const char *name)
{
    return !strcmp(cases[i].name, name);
}

static long call(int i)
{
    struct timespec rel = {0, T_MS * 1000000L}, rem = {42, 42};
    struct timespec rt = in_ms(CLOCK_REALTIME, T_MS), mono = in_ms(CLOCK_MONOTONIC, T_MS);
    struct pollfd pfd = {pipes[i][0], POLLIN, 0};
    struct epoll_event ev;
    fd_set r;
    FD_ZERO(&r);
    FD_SET(pipes[i][0], &r);
    char buf[8];
    struct iovec iov = {buf, 1};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
    sigset_t set;
    sigemptyset(&set);
    int sig;
    long rc;
    if (is(i, "sleep"))
        return sleep(1);
    if (is(i, "usleep"))
        return usleep(T_MS * 1000);
    if (is(i, "nanosleep")) {
        rc = nanosleep(&rel, &rem);
        snprintf(results[i].extra, sizeof results[i].extra, "rem %ld.%09ld", (long)rem.tv_sec,
                 rem.tv_nsec);
        return rc;
    }
    if (is(i, "nanosleep no rem"))
        return nanosleep(&rel, NULL);
    if (is(i, "clock_nanosleep"))
        return clock_nanosleep(CLOCK_MONOTONIC, 0, &rel, &rem);
    if (is(i, "clock_nanosleep abs"))
        return clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &rt, &rem);
    if (is(i, "thrd_sleep"))
        return thrd_sleep(&rel, &rem);
    if (is(i, "sigtimedwait")) {
        sigaddset(&set, SIGWAITED);
        return sigtimedwait(&set, NULL, &rel);
    }
    if (is(i, "poll"))
        return poll(&pfd, 1, T_MS);
    if (is(i, "ppoll"))
        return ppoll(&pfd, 1, &rel, NULL);
    if (is(i, "select")) {
        struct timeval tv = {0, T_MS * 1000};
        rc = select(pipes[i][0] + 1, &r, NULL, NULL, &tv);
        snprintf(results[i].extra, sizeof results[i].extra, "tv %ld.%06ld set %d", (long)tv.tv_sec,
                 (long)tv.tv_usec, FD_ISSET(pipes[i][0], &r));
        return rc;
    }
    if (is(i, "pselect"))
        return pselect(pipes[i][0] + 1, &r, NULL, NULL, &rel, NULL);
    if (is(i, "epoll_wait"))
        return epoll_wait(eps[i], &ev, 1, T_MS);
    if (is(i, "epoll_pwait"))
        return epoll_pwait(eps[i], &ev, 1, T_MS, NULL);
    if (is(i, "epoll_pwait2"))
        return epoll_pwait2(eps[i], &ev, 1, &rel, NULL);
    if (is(i, "sem_timedwait"))
        return sem_timedwait(&sems[i], &rt);
    if (is(i, "sem_clockwait"))
        return sem_clockwait(&sems[i], CLOCK_MONOTONIC, &mono);
    if (is(i, "pthread_cond_timedwait") || is(i, "pthread_cond_clockwait")) {
        pthread_mutex_lock(&cond_mutex);
        rc = 0;
        while (rc == 0)
            rc = is(i, "pthread_cond_timedwait")
                     ? pthread_cond_timedwait(&never, &cond_mutex, &rt)
                     : pthread_cond_clockwait(&never, &cond_mutex, CLOCK_MONOTONIC, &mono);
        pthread_mutex_unlock(&cond_mutex);
        return rc;
    }
    if (is(i, "cnd_timedwait")) {
        mtx_lock(&c11_cond_mutex);
        rc = thrd_success;
        while (rc == thrd_success)
            rc = cnd_timedwait(&c11_never, &c11_cond_mutex, &rt);
        mtx_unlock(&c11_cond_mutex);
        return rc;
    }
    if (is(i, "pthread_mutex_timedlock"))
        return pthread_mutex_timedlock(&held, &rt);
    if (is(i, "pthread_mutex_clocklock"))
        return pthread_mutex_clocklock(&held, CLOCK_MONOTONIC, &mono);
    if (is(i, "mtx_timedlock"))
        return mtx_timedlock(&c11_held, &rt);
    if (is(i, "pthread_rwlock_timedrdlock"))
        return pthread_rwlock_timedrdlock(&wheld, &rt);
    if (is(i, "pthread_rwlock_clockwrlock"))
        return pthread_rwlock_clockwrlock(&wheld, CLOCK_MONOTONIC, &mono);
    if (is(i, "futex wait"))
        return syscall(SYS_futex, &words[i], FUTEX_WAIT_PRIVATE, 0, &rel, NULL, 0);
    if (is(i, "futex wait_bitset"))
        return syscall(SYS_futex, &words[i], FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME, 0,
                       &rt, NULL, FUTEX_BITSET_MATCH_ANY);
    if (is(i, "futex_waitv")) {
        struct futex_waitv w = {
            .val = 0, .uaddr = (uintptr_t)&words[i], .flags = FUTEX_32 | FUTEX_PRIVATE_FLAG};
        return syscall(SYS_futex_waitv, &w, 1, 0, &mono, CLOCK_MONOTONIC);
    }
    if (is(i, "recv with SO_RCVTIMEO"))
        return recv(socks[i][0], buf, 1, 0);
    if (is(i, "read with SO_RCVTIMEO"))
        return read(socks[i][0], buf, 1);
    if (is(i, "accept with SO_RCVTIMEO"))
        return accept(listener, NULL, NULL);
    if (is(i, "pthread_timedjoin_np"))
        return pthread_timedjoin_np(never_ends, NULL, &rt);
    if (is(i, "pthread_clockjoin_np"))
        return pthread_clockjoin_np(never_ends, NULL, CLOCK_MONOTONIC, &mono);
    if (is(i, "read"))
        return read(pipes[i][0], buf, sizeof buf);
    if (is(i, "readv"))
        return readv(pipes[i][0], &iov, 1);
    if (is(i, "recvmsg"))
        return recvmsg(socks[i][0], &msg, 0);
    if (is(i, "write")) {
        static char big[1 << 16];
        return write(pipes[i][1], big, sizeof big);
    }
    if (is(i, "sem_wait"))
        return sem_wait(&sems[i]);
    if (is(i, "pthread_cond_wait")) {
        pthread_mutex_lock(&cond_mutex);
        while (!go)
            pthread_cond_wait(&cond, &cond_mutex);
        pthread_mutex_unlock(&cond_mutex);
        return 0;
    }
    if (is(i, "cnd_wait")) {
        mtx_lock(&c11_cond_mutex);
        while (!go)
            cnd_wait(&c11_cond, &c11_cond_mutex);
        mtx_unlock(&c11_cond_mutex);
        return 0;
    }
    if (is(i, "pthread_mutex_lock"))
        return pthread_mutex_lock(&locked) || pthread_mutex_unlock(&locked);
    if (is(i, "mtx_lock"))
        return mtx_lock(&c11_locked) || mtx_unlock(&c11_locked);
    if (is(i, "pthread_rwlock_rdlock"))
        return pthread_rwlock_rdlock(&wlocked) || pthread_rwlock_unlock(&wlocked);
    if (is(i, "pthread_rwlock_wrlock"))
        return pthread_rwlock_wrlock(&wlocked) || pthread_rwlock_unlock(&wlocked);
    if (is(i, "pthread_barrier_wait")) {
        rc = pthread_barrier_wait(&barrier);
        return rc == PTHREAD_BARRIER_SERIAL_THREAD ? 0 : rc;
    }
    if (is(i, "pthread_join"))
        return pthread_join(ends_at_event, NULL);
    if (is(i, "thrd_join"))
        return thrd_join(c11_ends_at_event, NULL);
    if (is(i, "pause"))
        return pause();
    if (is(i, "sigsuspend"))
        return sigsuspend(&set);
    if (is(i, "sigwait")) {
        sigaddset(&set, SIGUSR2);
        rc = sigwait(&set, &sig);
        return rc ? rc : sig == SIGUSR2;
    }
    if (is(i, "sigwaitinfo")) {
        sigaddset(&set, SIGUSR2);
        return sigwaitinfo(&set, NULL) == SIGUSR2;
    }
    if (is(i, "write partly"))
        return write(pipes[i][1], big, BIG);
    if (is(i, "writev partly")) {
        struct iovec two[2] = {{big, BIG / 2}, {big + BIG / 2, BIG / 2}};
        return writev(pipes[i][1], two, 2);
    }
    if (is(i, "send partly"))
        return send(socks[i][0], big, BIG, 0);
    if (is(i, "sendto partly"))
        return sendto(socks[i][0], big, BIG, 0, NULL, 0);
    if (is(i, "sendmsg partly")) {
        struct iovec two[2] = {{big, BIG / 2}, {big + BIG / 2, BIG / 2}};
        struct msghdr m = {.msg_iov = two, .msg_iovlen = 2};
        return sendmsg(socks[i][0], &m, 0);
    }
    if (is(i, "recv MSG_WAITALL"))
        return recv(socks[i][0], big, WAITALL, MSG_WAITALL);
    if (is(i, "recvfrom MSG_WAITALL"))
        return recvfrom(socks[i][0], big, WAITALL, MSG_WAITALL, NULL, NULL);
    if (is(i, "recvmsg MSG_WAITALL")) {
        struct iovec two[2] = {{big, WAITALL / 2}, {big + WAITALL / 2, WAITALL / 2}};
        struct msghdr m = {.msg_iov = two, .msg_iovlen = 2};
        return recvmsg(socks[i][0], &m, MSG_WAITALL);
    }
    siginfo_t si;
    if (is(i, "wait"))
        return wait(NULL) > 0; /* the only child waited for by any pid */
    if (is(i, "waitpid"))
        return waitpid(children[i], NULL, 0) == children[i];
    if (is(i, "wait3")) { /* any child of this thread's: the one it starts */
        children[i] = new_child();
        return wait3(NULL, __WNOTHREAD, NULL) == children[i];
    }
    if (is(i, "wait4"))
        return wait4(children[i], NULL, 0, NULL) == children[i];
    if (is(i, "waitid"))
        return waitid(P_PID, (id_t)children[i], &si, WEXITED) == 0 && si.si_pid == children[i];
    if (is(i, "futex wait forever"))
        return syscall(SYS_futex, &words[i], FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
    if (is(i, "poll forever"))
        return poll(&pfd, 1, -1);
    if (is(i, "ppoll forever"))
        return ppoll(&pfd, 1, NULL, NULL);
    if (is(i, "select forever"))
        return select(pipes[i][0] + 1, &r, NULL, NULL, NULL);
    if (is(i, "epoll_wait forever"))
        return epoll_wait(eps[i], &ev, 1, -1);
    fprintf(stderr, "unknown case %s\n", cases[i].name);
    exit(2);
}

/* Each case thread: SIGUSR2 is blocked except where a handler must run. */
static void *run_case(void *arg)
{
    int i = (int)(intptr_t)arg;
    sigset_t usr2;
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    pthread_sigmask(is(i, "pause") || is(i, "sigsuspend") ? SIG_UNBLOCK : SIG_BLOCK, &usr2, NULL);
    tids[i] = gettid();
    long long t0 = now_ms();
    errno = SENTINEL_ERRNO;
    results[i].rc = call(i);
    results[i].err = errno;
    results[i].ms = now_ms() - (cases[i].kind == TIMED ? t0 : start_ms);
    return NULL;
}

static void *ends_later(void *arg)
{
    char c;
    read(*(int *)arg, &c, 1);
    return NULL;
}

static int c11_ends_later(void *arg)
{
    ends_later(arg);
    return 0;
}

static void on_usr2(int sig)
{
    (void)sig;
}

/* Reads what a partly case writes, all of it. */
static void *drain(void *arg)
{
    int fd = (int)(intptr_t)arg;
    static __thread char buf[1 << 16];
    for (long got = 0, n; got < BIG && (n = read(fd, buf, sizeof buf)) > 0;)
        got += n;
    return NULL;
}

static void setup(void)
{
    struct sigaction sa = {.sa_handler = on_usr2};
    sigaction(SIGUSR2, &sa, NULL);
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR2);
    sigaddset(&block, SIGWAITED);
    pthread_sigmask(SIG_BLOCK, &block, NULL);
    for (int i = 0; i < N; i++) {
        if (pipe(pipes[i]) || socketpair(AF_UNIX, SOCK_STREAM, 0, socks[i]) ||
            sem_init(&sems[i], 0, 0))
            exit(3);
        struct timeval tv = {0, T_MS * 1000};
        if (strstr(cases[i].name, "SO_RCVTIMEO"))
            setsockopt(socks[i][0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        eps[i] = epoll_create1(0);
        struct epoll_event ev = {.events = EPOLLIN};
        epoll_ctl(eps[i], EPOLL_CTL_ADD, pipes[i][0], &ev);
    }
    /* The write case's pipe starts full. */
    for (int i = 0; i < N; i++)
        if (is(i, "write")) {
            fcntl(pipes[i][1], F_SETFL, O_NONBLOCK);
            char big[4096] = {0};
            while (write(pipes[i][1], big, sizeof big) > 0) {
            }
            fcntl(pipes[i][1], F_SETFL, 0);
        }
    for (int i = 0; i < N; i++)
        if (strstr(cases[i].name, "MSG_WAITALL"))
            write(socks[i][1], big, 10);
    /* A child per child wait, all gone at the event. */
    pipe(child_pipe);
    for (int i = 0; i < N; i++)
        if (!strncmp(cases[i].name, "wait", 4) && !is(i, "wait3"))
            children[i] = new_child();
    listener = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path + 1, sizeof a.sun_path - 1, "same_signals.%d", (int)getpid());
    bind(listener, (struct sockaddr *)&a, sizeof a);
    listen(listener, 1);
    struct timeval tv = {0, T_MS * 1000};
    setsockopt(listener, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    pthread_mutex_lock(&locked);
    pthread_rwlock_wrlock(&wlocked);
    mtx_init(&c11_locked, mtx_timed);
    mtx_lock(&c11_locked);
    pthread_mutex_lock(&held);
    pthread_rwlock_wrlock(&wheld);
    mtx_init(&c11_held, mtx_timed);
    mtx_lock(&c11_held);
    cnd_init(&c11_never);
    mtx_init(&c11_cond_mutex, mtx_plain);
    cnd_init(&c11_cond);
    pthread_barrier_init(&barrier, NULL, 2);
    pipe(end_pipe);
    pipe(never_pipe);
    pthread_create(&ends_at_event, NULL, ends_later, &end_pipe[0]);
    thrd_create(&c11_ends_at_event, c11_ends_later, &end_pipe[0]);
    pthread_create(&never_ends, NULL, ends_later, &never_pipe[0]);
}

/* Whether the thread has a dump signal still to handle: sent by tgkill, it
 * shows in the thread's own SigPnd until delivered. */
static int usr1_pending(pid_t tid)
{
    char path[64], buf[2048];
    snprintf(path, sizeof path, "/proc/self/task/%d/status", (int)tid);
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    buf[n > 0 ? n : 0] = 0;
    const char *p = strstr(buf, "\nSigPnd:");
    return p && (strtoull(p + 8, NULL, 16) >> (SIGUSR1 - 1) & 1);
}

/* Whether the thread is inside a system call (its wait), so that the event
 * cannot come before the call it is for, however loaded the machine; and
 * has handled the dump signals sent to it. A dump signal still pending
 * when the event interrupts the same wait is a different case (both
 * handlers run before the wait returns), one this program does not test. */
static int in_syscall(pid_t tid)
{
    char path[64], buf[64] = "";
    snprintf(path, sizeof path, "/proc/self/task/%d/syscall", (int)tid);
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return 1; /* gone: nothing to wait for */
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    return n > 0 && buf[0] >= '0' && buf[0] <= '9' && !usr1_pending(tid);
}

static void sleep_until(long long t)
{
    long long left;
    while ((left = t - now_ms()) > 0) {
        struct timespec ts = {left / 1000, (left % 1000) * 1000000};
        nanosleep(&ts, NULL);
    }
}

static void event(void)
{
    for (int i = 0; i < N; i++) {
        if (cases[i].kind != EVENT)
            continue;
        if (is(i, "write")) {
            char buf[1 << 16];
            fcntl(pipes[i][0], F_SETFL, O_NONBLOCK);
            while (read(pipes[i][0], buf, sizeof buf) > 0) {
            }
        } else if (is(i, "recvmsg")) {
            write(socks[i][1], "e", 1);
        } else if (is(i, "pause") || is(i, "sigsuspend") || is(i, "sigwait") ||
                   is(i, "sigwaitinfo")) {
            syscall(SYS_tgkill, getpid(), tids[i], SIGUSR2);
        } else if (strstr(cases[i].name, "partly")) {
            pthread_t t;
            int fd = strstr(cases[i].name, "write") ? pipes[i][0] : socks[i][1];
            pthread_create(&t, NULL, drain, (void *)(intptr_t)fd);
            pthread_detach(t);
        } else if (strstr(cases[i].name, "MSG_WAITALL")) {
            write(socks[i][1], big, WAITALL - 10);
        } else if (is(i, "futex wait forever")) {
            words[i] = 1;
            syscall(SYS_futex, &words[i], FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
        } else {
            write(pipes[i][1], "e", 1);
            sem_post(&sems[i]);
        }
    }
    write(end_pipe[1], "ee", 2);
    close(child_pipe[1]); /* every child reads EOF and exits */
    pthread_mutex_lock(&cond_mutex);
    go = 1;
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&cond_mutex);
    mtx_lock(&c11_cond_mutex);
    cnd_broadcast(&c11_cond);
    mtx_unlock(&c11_cond_mutex);
    pthread_mutex_unlock(&locked);
    pthread_rwlock_unlock(&wlocked);
    mtx_unlock(&c11_locked);
    pthread_barrier_wait(&barrier);
}

int main(void)
{
    start_output();
    alarm(30);
    setup();
    start_ms = now_ms() + 100000; /* until every case thread runs */
    for (int i = 0; i < N; i++)
        pthread_create(&threads[i], NULL, run_case, (void *)(intptr_t)i);
    for (int i = 0; i < N; i++)
        while (!tids[i])
            sched_yield();
    long long t0 = start_ms = now_ms();
    /* The dump signal, twice, to every case thread while it waits. */
    for (int round = 1; round <= 2; round++) {
        sleep_until(t0 + 80 * round);
        for (int i = 0; i < N && preloaded(); i++)
            syscall(SYS_tgkill, getpid(), tids[i], SIGUSR1);
    }
    sleep_until(t0 + EVENT_MS);
    for (int i = 0; i < N; i++)
        while (cases[i].kind == EVENT && !in_syscall(tids[i]))
            usleep(1000);
    event();
    for (int i = 0; i < N; i++)
        pthread_join(threads[i], NULL);
    write(never_pipe[1], "e", 1);
    pthread_join(never_ends, NULL);
    for (int i = 0; i < N; i++) {
        struct result *r = &results[i];
        long long want = is(i, "sleep") ? 1000 : cases[i].kind == TIMED ? T_MS : EVENT_MS;
        printf("%-28s rc=%ld errno=%s %s%s%s\n", cases[i].name, r->rc, err_name(r->err),
               r->ms >= want - 1 ? "waited its time" : "returned early", r->extra[0] ? "; " : "",
               r->extra);
    }
    return 0;
}
