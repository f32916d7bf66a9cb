/* same_cancel [blocked]: every wrapped call made by a thread that has a
 * cancellation pending, where the call would not block; prints whether the
 * thread was cancelled there, and what the call took (tokens, bytes,
 * joins). POSIX says which calls are cancellation points and glibc when it
 * acts; the wrappers' fast paths must not change either. With "blocked":
 * each cancellation point, blocked with nothing to wake it, is cancelled by
 * another thread. See same_common.h. */
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
#include <sys/wait.h>
#include <threads.h>

static sem_t sem;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static pthread_barrier_t barrier;
static cnd_t c11_cond;
static mtx_t c11_mutex;
static int rpipe[2], wpipe[2], sv[2], ep;
static pthread_t finished;
static uint32_t word = 1;
static sigset_t usr2;
static int blocked; /* the second mode */
static pid_t child;  /* the child a wait case waits for */
static long wait_ms = 20;
static struct timespec nap = {0, 0};

static void unlock_mu(void *m)
{
    pthread_mutex_unlock(m);
}

static void unlock_c11(void *m)
{
    mtx_unlock(m);
}

static long call(const char *what)
{
    char buf[4] = "abc";
    struct iovec iov = {buf, 1};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
    struct timespec zero = nap, soon = in_ms(CLOCK_REALTIME, wait_ms),
                    mono = in_ms(CLOCK_MONOTONIC, wait_ms);
    struct pollfd pfd = {rpipe[0], POLLIN, 0};
    struct epoll_event ev;
    fd_set r;
    FD_ZERO(&r);
    FD_SET(rpipe[0], &r);
    int sig;
#define IS(name) (!strcmp(what, name))
    if (IS("sem_wait"))
        return sem_wait(&sem);
    if (IS("sem_timedwait"))
        return sem_timedwait(&sem, &soon);
    if (IS("sem_clockwait"))
        return sem_clockwait(&sem, CLOCK_MONOTONIC, &mono);
    if (IS("sem_trywait"))
        return sem_trywait(&sem);
    if (IS("pthread_join"))
        return pthread_join(finished, NULL);
    if (IS("pthread_timedjoin_np"))
        return pthread_timedjoin_np(finished, NULL, &soon);
    if (IS("pthread_clockjoin_np"))
        return pthread_clockjoin_np(finished, NULL, CLOCK_MONOTONIC, &mono);
    if (IS("pthread_tryjoin_np"))
        return pthread_tryjoin_np(finished, NULL);
    if (IS("thrd_join"))
        return thrd_join(finished, NULL);
    if (IS("pthread_mutex_lock"))
        return pthread_mutex_lock(&mu) || pthread_mutex_unlock(&mu);
    if (IS("pthread_mutex_timedlock"))
        return pthread_mutex_timedlock(&mu, &soon) || pthread_mutex_unlock(&mu);
    if (IS("pthread_rwlock_rdlock"))
        return pthread_rwlock_rdlock(&rw) || pthread_rwlock_unlock(&rw);
    if (IS("pthread_rwlock_timedwrlock"))
        return pthread_rwlock_timedwrlock(&rw, &soon) || pthread_rwlock_unlock(&rw);
    if (IS("pthread_barrier_wait"))
        return pthread_barrier_wait(&barrier);
    if (IS("pthread_cond_wait") || IS("pthread_cond_timedwait") || IS("pthread_cond_clockwait")) {
        long rc;
        pthread_mutex_lock(&mu);
        pthread_cleanup_push(unlock_mu, &mu);
        if (IS("pthread_cond_wait"))
            rc = pthread_cond_wait(&cv, &mu);
        else if (IS("pthread_cond_timedwait"))
            rc = pthread_cond_timedwait(&cv, &mu, &soon);
        else
            rc = pthread_cond_clockwait(&cv, &mu, CLOCK_MONOTONIC, &mono);
        pthread_cleanup_pop(1);
        return rc;
    }
    if (IS("cnd_wait") || IS("cnd_timedwait")) {
        long rc;
        mtx_lock(&c11_mutex);
        pthread_cleanup_push(unlock_c11, &c11_mutex);
        rc = IS("cnd_wait") ? cnd_wait(&c11_cond, &c11_mutex)
                            : cnd_timedwait(&c11_cond, &c11_mutex, &soon);
        pthread_cleanup_pop(1);
        return rc;
    }
    if (IS("futex"))
        return syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 2, NULL, NULL, 0);
    if (IS("sleep"))
        return sleep((unsigned)nap.tv_sec);
    if (IS("usleep"))
        return usleep((useconds_t)nap.tv_sec * 100000);
    if (IS("nanosleep"))
        return nanosleep(&zero, NULL);
    if (IS("clock_nanosleep"))
        return clock_nanosleep(CLOCK_MONOTONIC, 0, &zero, NULL);
    if (IS("thrd_sleep"))
        return thrd_sleep(&zero, NULL);
    if (IS("pause"))
        return pause();
    if (IS("sigsuspend")) {
        sigset_t none;
        sigemptyset(&none);
        return sigsuspend(&none);
    }
    if (IS("sigwait"))
        return sigwait(&usr2, &sig);
    if (IS("sigwaitinfo"))
        return sigwaitinfo(&usr2, NULL);
    if (IS("sigtimedwait"))
        return sigtimedwait(&usr2, NULL, &zero);
    if (IS("read"))
        return read(rpipe[0], buf, 1);
    if (IS("readv"))
        return readv(rpipe[0], &iov, 1);
    if (IS("write"))
        return write(wpipe[1], buf, 1);
    if (IS("writev"))
        return writev(wpipe[1], &iov, 1);
    if (IS("recv"))
        return recv(sv[0], buf, 1, 0);
    if (IS("recvfrom"))
        return recvfrom(sv[0], buf, 1, 0, NULL, NULL);
    if (IS("recvmsg"))
        return recvmsg(sv[0], &msg, 0);
    if (IS("send"))
        return send(sv[0], buf, 1, 0);
    if (IS("sendto"))
        return sendto(sv[0], buf, 1, 0, NULL, 0);
    if (IS("sendmsg"))
        return sendmsg(sv[0], &msg, 0);
    if (IS("poll"))
        return poll(&pfd, 1, -1);
    if (IS("poll0"))
        return poll(&pfd, 1, 0);
    if (IS("ppoll"))
        return ppoll(&pfd, 1, NULL, NULL);
    if (IS("ppoll0"))
        return ppoll(&pfd, 1, &zero, NULL);
    if (IS("select"))
        return select(rpipe[0] + 1, &r, NULL, NULL, NULL);
    if (IS("select0"))
        return select(rpipe[0] + 1, &r, NULL, NULL, &(struct timeval){0, 0});
    if (IS("pselect"))
        return pselect(rpipe[0] + 1, &r, NULL, NULL, NULL, NULL);
    if (IS("pselect0"))
        return pselect(rpipe[0] + 1, &r, NULL, NULL, &zero, NULL);
    if (IS("epoll_wait"))
        return epoll_wait(ep, &ev, 1, -1);
    if (IS("epoll_wait0"))
        return epoll_wait(ep, &ev, 1, 0);
    if (IS("epoll_pwait"))
        return epoll_pwait(ep, &ev, 1, -1, NULL);
    if (IS("epoll_pwait2"))
        return epoll_pwait2(ep, &ev, 1, NULL, NULL);
    if (IS("epoll_pwait2_0"))
        return epoll_pwait2(ep, &ev, 1, &zero, NULL);
    /* Child waits: the answer is 1 for "the child". */
    siginfo_t si;
    if (IS("wait"))
        return wait(NULL) == child;
    if (IS("waitpid"))
        return waitpid(child, NULL, 0) == child;
    if (IS("waitpid WNOHANG"))
        return waitpid(child, NULL, WNOHANG) == child;
    if (IS("wait3"))
        return wait3(NULL, 0, NULL) == child;
    if (IS("wait4"))
        return wait4(child, NULL, 0, NULL) == child;
    if (IS("waitid"))
        return waitid(P_PID, (id_t)child, &si, WEXITED) == 0 && si.si_pid == child;
    fprintf(stderr, "unknown call %s\n", what);
    exit(2);
}

static long returned;

/* A child that has exited (for a call with a cancellation pending), or
 * one that waits for its parent to go (for one cancelled while blocked). */
static pid_t new_child(void)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        if (blocked)
            pause();
        _exit(7);
    }
    if (!blocked) /* exited: a zombie, which waitid(WNOWAIT) sees */
        waitid(P_PID, (id_t)pid, &(siginfo_t){0}, WEXITED | WNOWAIT);
    return pid;
}

static void *canceller(void *arg)
{
    if (!blocked)
        pthread_cancel(pthread_self());
    returned = call(arg);
    return NULL;
}

/* Not cancellation points, or never blocking: left out of "blocked". */
static int never_blocks(const char *c)
{
    static const char *const list[] = {"sem_trywait",
                                       "pthread_tryjoin_np",
                                       "pthread_mutex_lock",
                                       "pthread_mutex_timedlock",
                                       "pthread_rwlock_rdlock",
                                       "pthread_rwlock_timedwrlock",
                                       "pthread_barrier_wait",
                                       "futex",
                                       "waitpid WNOHANG",
                                       "poll0",
                                       "ppoll0",
                                       "select0",
                                       "pselect0",
                                       "epoll_wait0",
                                       "epoll_pwait2_0"};
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++)
        if (!strcmp(c, list[i]))
            return 1;
    return 0;
}

static void *forever(void *arg)
{
    for (;;)
        pause();
    return arg;
}

/* Everything a call could wait for, absent. */
static void set_up_blocked(void)
{
    blocked = 1;
    wait_ms = 60000;
    nap.tv_sec = 60;
    sem_init(&sem, 0, 0);
    char buf[4096] = {0};
    fcntl(wpipe[1], F_SETFL, O_NONBLOCK);
    while (write(wpipe[1], buf, sizeof buf) > 0) {
    }
    fcntl(wpipe[1], F_SETFL, 0);
    int one = 4096;
    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &one, sizeof one);
    while (send(sv[0], buf, sizeof buf, MSG_DONTWAIT) > 0) {
    }
    pthread_create(&finished, NULL, forever, NULL);
}

static const char *calls[] = {
    "sem_wait",
    "sem_timedwait",
    "sem_clockwait",
    "sem_trywait",
    "pthread_join",
    "pthread_timedjoin_np",
    "pthread_clockjoin_np",
    "pthread_tryjoin_np",
    "thrd_join",
    "pthread_mutex_lock",
    "pthread_mutex_timedlock",
    "pthread_rwlock_rdlock",
    "pthread_rwlock_timedwrlock",
    "pthread_barrier_wait",
    "pthread_cond_wait",
    "pthread_cond_timedwait",
    "pthread_cond_clockwait",
    "cnd_wait",
    "cnd_timedwait",
    "futex",
    "sleep",
    "usleep",
    "nanosleep",
    "clock_nanosleep",
    "thrd_sleep",
    "pause",
    "sigsuspend",
    "sigwait",
    "sigwaitinfo",
    "sigtimedwait",
    "read",
    "readv",
    "write",
    "writev",
    "recv",
    "recvfrom",
    "recvmsg",
    "send",
    "sendto",
    "sendmsg",
    "poll",
    "poll0",
    "ppoll",
    "ppoll0",
    "select",
    "select0",
    "pselect",
    "pselect0",
    "epoll_wait",
    "epoll_wait0",
    "epoll_pwait",
    "epoll_pwait2",
    "epoll_pwait2_0",
    "wait",
    "waitpid",
    "waitpid WNOHANG",
    "wait3",
    "wait4",
    "waitid",
};

int main(int argc, char **argv)
{
    start_output();
    alarm(30);
    sem_init(&sem, 0, 1000);
    pthread_barrier_init(&barrier, NULL, 1);
    cnd_init(&c11_cond);
    mtx_init(&c11_mutex, mtx_plain);
    pipe(rpipe);
    pipe(wpipe);
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    if (argc > 1 && !strcmp(argv[1], "blocked"))
        set_up_blocked();
    else {
        write(rpipe[1], "0123456789", 10);
        write(sv[1], "0123456789", 10);
    }
    ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN};
    epoll_ctl(ep, EPOLL_CTL_ADD, rpipe[0], &ev);
    /* SIGUSR2 pending on the process, blocked in every thread. */
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &usr2, NULL);
    if (!blocked)
        kill(getpid(), SIGUSR2);
    for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++) {
        if (blocked && never_blocks(calls[i]))
            continue;
        int joins = !blocked && strstr(calls[i], "join") != NULL;
        if (joins)
            finished = finished_thread();
        if (!strncmp(calls[i], "wait", 4))
            child = new_child();
        pthread_t t;
        void *ret;
        pthread_create(&t, NULL, canceller, (void *)calls[i]);
        if (blocked) {
            usleep(30 * 1000);
            pthread_cancel(t);
        }
        pthread_join(t, &ret);
        if (ret == PTHREAD_CANCELED)
            printf("%-28s cancelled\n", calls[i]);
        else
            printf("%-28s not cancelled: rc=%ld\n", calls[i], returned);
        if (joins && (ret == PTHREAD_CANCELED || returned != 0))
            printf("    joined after: %s\n", err_name(pthread_join(finished, NULL)));
        if (child) {
            if (blocked)
                kill(child, SIGKILL);
            int st = 0;
            printf("    child reaped after: %s\n",
                   waitpid(child, &st, 0) == child ? "yes" : err_name(errno));
            child = 0;
        }
        int v = -1;
        sem_getvalue(&sem, &v);
        char buf[16];
        int n = blocked ? 0 : (int)recv(sv[1], buf, sizeof buf, MSG_DONTWAIT);
        printf("    tokens %d, bytes sent %d\n", v, n < 0 ? 0 : n);
    }
    return 0;
}
