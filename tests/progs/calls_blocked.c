/* calls_blocked CALL: 3 threads blocked in the named interposed call (every
 * entry point of docs/formats.md's table that can block), each called directly by
 * blocker(), started by spawn_blockers(). Timed calls get a deadline an
 * hour away. Joins form a chain: joiner 0 joins 1, 1 joins 2, 2 joins a
 * thread that sleeps in pause(). Prints "object <addr>" for the calls that
 * wait on an object (locks, condvars, semaphores, futex words), then
 * "ready". Each time a call returns (nothing wakes them, so only a failure
 * or an interruption does) it says so on stderr, and waits again. Exits 2
 * for an unknown CALL. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/futex.h>
#include <netinet/in.h>
#include <poll.h>
#include <semaphore.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <threads.h>

#include "waits_common.h"

#define N 3

static const char *call;
static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t cond_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_rwlock_t rwlock = PTHREAD_RWLOCK_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static mtx_t c11_mutex, c11_cond_mutex;
static cnd_t c11_cond;
static sem_t sem;
static pthread_barrier_t barrier;
static uint32_t futex_word;
static int read_fd = -1;        /* readable never */
static int write_fd = -1;       /* writable never (full) */
static int listen_fd = -1;      /* nobody connects */
static int full_listen_fd = -1; /* backlog full: connect blocks */
static struct sockaddr_un full_addr;
static int epoll_fd = -1;
static pthread_t chain[N + 1];
static int go;

static int is(const char *name)
{
    return !strcmp(call, name);
}

static struct timespec deadline(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    ts.tv_sec += 3600;
    return ts;
}

static void *pause_forever(void *arg)
{
    (void)arg;
    for (;;)
        pause();
    return NULL;
}

static void *blocker(void *arg)
{
    char buf[1] = {'x'};
    struct iovec iov = {buf, 1};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
    struct timespec rt = deadline(CLOCK_REALTIME), mono = deadline(CLOCK_MONOTONIC);
    struct timespec hour = {3600, 0};
    sigset_t usr2;
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    int sig;
    fd_set rfds;
    FD_ZERO(&rfds);
    FD_SET(read_fd, &rfds);
    struct epoll_event ev;
    struct pollfd pfd = {.fd = read_fd, .events = POLLIN};

    for (;;) {
        if (is("pthread_mutex_lock"))
            pthread_mutex_lock(&mutex);
        else if (is("pthread_mutex_timedlock"))
            pthread_mutex_timedlock(&mutex, &rt);
        else if (is("pthread_mutex_clocklock"))
            pthread_mutex_clocklock(&mutex, CLOCK_MONOTONIC, &mono);
        else if (is("mtx_lock"))
            mtx_lock(&c11_mutex);
        else if (is("mtx_timedlock"))
            mtx_timedlock(&c11_mutex, &rt);
        else if (is("pthread_rwlock_rdlock"))
            pthread_rwlock_rdlock(&rwlock);
        else if (is("pthread_rwlock_wrlock"))
            pthread_rwlock_wrlock(&rwlock);
        else if (is("pthread_rwlock_timedrdlock"))
            pthread_rwlock_timedrdlock(&rwlock, &rt);
        else if (is("pthread_rwlock_timedwrlock"))
            pthread_rwlock_timedwrlock(&rwlock, &rt);
        else if (is("pthread_rwlock_clockrdlock"))
            pthread_rwlock_clockrdlock(&rwlock, CLOCK_MONOTONIC, &mono);
        else if (is("pthread_rwlock_clockwrlock"))
            pthread_rwlock_clockwrlock(&rwlock, CLOCK_MONOTONIC, &mono);
        else if (is("pthread_cond_wait") || is("pthread_cond_timedwait") ||
                 is("pthread_cond_clockwait")) {
            pthread_mutex_lock(&cond_mutex);
            while (!go) {
                if (is("pthread_cond_wait"))
                    pthread_cond_wait(&cond, &cond_mutex);
                else if (is("pthread_cond_timedwait"))
                    pthread_cond_timedwait(&cond, &cond_mutex, &rt);
                else
                    pthread_cond_clockwait(&cond, &cond_mutex, CLOCK_MONOTONIC, &mono);
            }
            pthread_mutex_unlock(&cond_mutex);
        } else if (is("cnd_wait") || is("cnd_timedwait")) {
            mtx_lock(&c11_cond_mutex);
            while (!go) {
                if (is("cnd_wait"))
                    cnd_wait(&c11_cond, &c11_cond_mutex);
                else
                    cnd_timedwait(&c11_cond, &c11_cond_mutex, &rt);
            }
            mtx_unlock(&c11_cond_mutex);
        } else if (is("sem_wait"))
            sem_wait(&sem);
        else if (is("sem_timedwait"))
            sem_timedwait(&sem, &rt);
        else if (is("sem_clockwait"))
            sem_clockwait(&sem, CLOCK_MONOTONIC, &mono);
        else if (is("pthread_barrier_wait"))
            pthread_barrier_wait(&barrier);
        else if (is("pthread_join"))
            pthread_join(*(pthread_t *)arg, NULL);
        else if (is("pthread_timedjoin_np"))
            pthread_timedjoin_np(*(pthread_t *)arg, NULL, &rt);
        else if (is("pthread_clockjoin_np"))
            pthread_clockjoin_np(*(pthread_t *)arg, NULL, CLOCK_MONOTONIC, &mono);
        else if (is("thrd_join"))
            thrd_join(*(thrd_t *)arg, NULL);
        else if (is("futex_wait"))
            syscall(SYS_futex, &futex_word, FUTEX_WAIT, 0, NULL, NULL, 0);
        else if (is("futex_wait_private"))
            syscall(SYS_futex, &futex_word, FUTEX_WAIT_PRIVATE, 0, &hour, NULL, 0);
        else if (is("futex_wait_bitset"))
            syscall(SYS_futex, &futex_word, FUTEX_WAIT_BITSET, 0, &mono, NULL,
                    FUTEX_BITSET_MATCH_ANY);
        else if (is("futex_waitv")) {
            struct futex_waitv w = {
                .val = 0, .uaddr = (uintptr_t)&futex_word, .flags = FUTEX_32 | FUTEX_PRIVATE_FLAG};
            if (syscall(SYS_futex_waitv, &w, 1, 0, NULL, CLOCK_MONOTONIC) == -1 && errno == ENOSYS)
                die("futex_waitv", errno);
        } else if (is("sleep"))
            sleep(3600);
        else if (is("usleep"))
            usleep(3600u * 1000u * 1000u);
        else if (is("nanosleep"))
            nanosleep(&hour, NULL);
        else if (is("clock_nanosleep"))
            clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &mono, NULL);
        else if (is("thrd_sleep"))
            thrd_sleep(&hour, NULL);
        else if (is("pause"))
            pause();
        else if (is("sigsuspend")) {
            sigset_t all_but_usr2;
            sigfillset(&all_but_usr2);
            sigdelset(&all_but_usr2, SIGUSR2);
            sigsuspend(&all_but_usr2);
        } else if (is("sigwait"))
            sigwait(&usr2, &sig);
        else if (is("sigwaitinfo"))
            sigwaitinfo(&usr2, NULL);
        else if (is("sigtimedwait"))
            sigtimedwait(&usr2, NULL, &hour);
        else if (is("read"))
            read(read_fd, buf, 1);
        else if (is("readv"))
            readv(read_fd, &iov, 1);
        else if (is("recv"))
            recv(read_fd, buf, 1, 0);
        else if (is("recvfrom"))
            recvfrom(read_fd, buf, 1, 0, NULL, NULL);
        else if (is("recvmsg"))
            recvmsg(read_fd, &msg, 0);
        else if (is("write"))
            write(write_fd, buf, 1);
        else if (is("writev"))
            writev(write_fd, &iov, 1);
        else if (is("send"))
            send(write_fd, buf, 1, 0);
        else if (is("sendto"))
            sendto(write_fd, buf, 1, 0, NULL, 0);
        else if (is("sendmsg"))
            sendmsg(write_fd, &msg, 0);
        else if (is("accept"))
            accept(listen_fd, NULL, NULL);
        else if (is("accept4"))
            accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
        else if (is("connect")) {
            int fd = socket(AF_UNIX, SOCK_STREAM, 0);
            connect(fd, (struct sockaddr *)&full_addr, sizeof full_addr);
        } else if (is("poll"))
            poll(&pfd, 1, -1);
        else if (is("ppoll"))
            ppoll(&pfd, 1, NULL, NULL);
        else if (is("select"))
            select(read_fd + 1, &rfds, NULL, NULL, NULL);
        else if (is("pselect"))
            pselect(read_fd + 1, &rfds, NULL, NULL, NULL, NULL);
        else if (is("epoll_wait"))
            epoll_wait(epoll_fd, &ev, 1, -1);
        else if (is("epoll_pwait"))
            epoll_pwait(epoll_fd, &ev, 1, -1, NULL);
        else if (is("epoll_pwait2"))
            epoll_pwait2(epoll_fd, &ev, 1, NULL, NULL);
        else
            die(call, EINVAL);
        /* Nothing ever wakes these waits: getting here means the call
         * failed or was interrupted (the dump signal must not do that). */
        int err = errno;
        fprintf(stderr, "calls_blocked: %s returned early (errno %d: %s)\n", call, err,
                strerror(err));
        errno = 0;
    }
    return NULL;
}

static int c11_blocker(void *arg)
{
    blocker(arg);
    return 0;
}

static void fill(int fd)
{
    int flags = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    char chunk[4096] = {0};
    while (write(fd, chunk, sizeof chunk) > 0) {
    }
    while (write(fd, chunk, 1) > 0) {
    }
    fcntl(fd, F_SETFL, flags);
}

static void setup(void)
{
    int fds[2];
    if (is("recv") || is("recvfrom") || is("recvmsg") || is("send") || is("sendto") ||
        is("sendmsg")) {
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds))
            die("socketpair", errno);
    } else if (pipe(fds)) {
        die("pipe", errno);
    }
    read_fd = fds[0];
    write_fd = fds[1];
    if (is("write") || is("writev"))
        fill(write_fd);
    if (is("send") || is("sendto") || is("sendmsg")) {
        int small = 4096;
        setsockopt(write_fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
        fill(write_fd);
    }
    if (is("accept") || is("accept4")) {
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        listen_fd = socket(AF_INET, SOCK_STREAM, 0);
        if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&a, sizeof a) ||
            listen(listen_fd, 4))
            die("listen", errno);
    }
    if (is("connect")) {
        /* A unix listener whose backlog is full: blocking connects wait. */
        full_addr.sun_family = AF_UNIX;
        snprintf(full_addr.sun_path + 1, sizeof full_addr.sun_path - 1, "threadleak-test-%d",
                 (int)getpid());
        full_listen_fd = socket(AF_UNIX, SOCK_STREAM, 0);
        if (full_listen_fd < 0 ||
            bind(full_listen_fd, (struct sockaddr *)&full_addr, sizeof full_addr) ||
            listen(full_listen_fd, 0))
            die("listen", errno);
        for (;;) {
            int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
            if (connect(fd, (struct sockaddr *)&full_addr, sizeof full_addr) == -1)
                break;
        }
    }
    if (is("epoll_wait") || is("epoll_pwait") || is("epoll_pwait2")) {
        struct epoll_event ev = {.events = EPOLLIN};
        epoll_fd = epoll_create1(0);
        if (epoll_fd < 0 || epoll_ctl(epoll_fd, EPOLL_CTL_ADD, read_fd, &ev))
            die("epoll", errno);
    }
    if (sem_init(&sem, 0, 0) || pthread_barrier_init(&barrier, NULL, N + 1) ||
        mtx_init(&c11_mutex, mtx_timed) != thrd_success ||
        mtx_init(&c11_cond_mutex, mtx_plain) != thrd_success || cnd_init(&c11_cond) != thrd_success)
        die("init", errno);
    if (!strncmp(call, "pthread_mutex_", 14))
        pthread_mutex_lock(&mutex);
    if (!strncmp(call, "mtx_", 4))
        mtx_lock(&c11_mutex);
    if (!strncmp(call, "pthread_rwlock_", 15))
        pthread_rwlock_wrlock(&rwlock);
    if (!strncmp(call, "sig", 3)) {
        /* SIGUSR2 is only waited for: blocked everywhere, never sent. */
        sigset_t usr2;
        sigemptyset(&usr2);
        sigaddset(&usr2, SIGUSR2);
        pthread_sigmask(SIG_BLOCK, &usr2, NULL);
    }
}

static const void *object(void)
{
    if (!strncmp(call, "pthread_mutex_", 14))
        return &mutex;
    if (!strncmp(call, "mtx_", 4))
        return &c11_mutex;
    if (!strncmp(call, "pthread_rwlock_", 15))
        return &rwlock;
    if (!strncmp(call, "pthread_cond_", 13))
        return &cond;
    if (!strncmp(call, "cnd_", 4))
        return &c11_cond;
    if (!strncmp(call, "sem_", 4))
        return &sem;
    if (!strncmp(call, "pthread_barrier_", 16))
        return &barrier;
    if (!strncmp(call, "futex_", 6))
        return &futex_word;
    return NULL;
}

static void spawn_blockers(void)
{
    if (strstr(call, "join")) {
        chain[N] = start_thread(pause_forever, NULL);
        for (int i = TIMES(N) - 1; i >= 0; i--) {
            if (is("thrd_join")) {
                thrd_t t;
                if (thrd_create(&t, c11_blocker, &chain[i + 1]) != thrd_success)
                    die("thrd_create", EAGAIN);
                chain[i] = t;
            } else {
                chain[i] = start_thread(blocker, &chain[i + 1]);
            }
        }
        return;
    }
    for (int i = 0; i < TIMES(N); i++)
        start_thread(blocker, NULL);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: calls_blocked CALL\n");
        return 2;
    }
    call = argv[1];
    setup();
    spawn_blockers();
    settle();
    if (object())
        print_object("object", object());
    ready();
    wait_forever();
}
