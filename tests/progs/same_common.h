/* Shared by the same_* programs (tests/test_same.c runs each bare and with
 * the library preloaded and compares their output byte for byte). Every
 * line they print is an answer a program can see: return values, errno,
 * what a call did to its arguments and objects. The first line, "preloaded
 * yes|no", is the only one that may differ. */
#ifndef SAME_COMMON_H
#define SAME_COMMON_H

#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* errno on entry to every call: a wrapper must leave it alone on success. */
#define SENTINEL_ERRNO EDOM

__attribute__((unused)) static int preloaded(void)
{
    return dlsym(RTLD_DEFAULT, "threadleak_active") != NULL;
}

__attribute__((unused)) static const char *err_name(int e)
{
    static __thread char buf[16];
    const char *n = e ? strerrorname_np(e) : "0";
    if (n)
        return n;
    snprintf(buf, sizeof buf, "%d", e);
    return buf;
}

/* A call that answers -1 and errno (or anything and errno). */
#define SHOW(what, expr)                                                                           \
    do {                                                                                           \
        errno = SENTINEL_ERRNO;                                                                    \
        long r_ = (long)(expr);                                                                    \
        int e_ = errno;                                                                            \
        printf("%-44s rc=%ld errno=%s\n", what, r_, err_name(e_));                                 \
    } while (0)

/* A call that answers an error number. */
#define SHOW_ERR(what, expr)                                                                       \
    do {                                                                                           \
        errno = SENTINEL_ERRNO;                                                                    \
        int r_ = (expr);                                                                           \
        int e_ = errno;                                                                            \
        printf("%-44s -> %s errno=%s\n", what, err_name(r_), err_name(e_));                        \
    } while (0)

/* Runs fn in a child process so that a crash shows as a line of its own
 * and the other cases still run. */
__attribute__((unused)) static void isolated(const char *name, void (*fn)(void))
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        alarm(getenv("SAME_ALARM") ? atoi(getenv("SAME_ALARM")) : 20);
        fn();
        fflush(stdout);
        _exit(0);
    }
    int st = 0;
    while (waitpid(pid, &st, 0) == -1 && errno == EINTR) {
    }
    if (WIFSIGNALED(st))
        printf("%s: killed by %s\n", name, sigabbrev_np(WTERMSIG(st)));
    else if (WEXITSTATUS(st))
        printf("%s: exit %d\n", name, WEXITSTATUS(st));
}

/* A page nothing can read or write: the kernel answers EFAULT for it. */
__attribute__((unused)) static void *bad_page(void)
{
    void *p = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        perror("mmap");
        exit(1);
    }
    return p;
}

__attribute__((unused)) static struct timespec in_ms(clockid_t clock, long ms)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (ms % 1000) * 1000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_nsec -= 1000000000;
        ts.tv_sec++;
    }
    return ts;
}

__attribute__((unused)) static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000ll + ts.tv_nsec / 1000000;
}

__attribute__((unused)) static void *quick(void *arg)
{
    *(volatile pid_t *)arg = gettid();
    return (void *)7;
}

/* A joinable thread that has returned, not joined: the kernel has let it
 * go (so a join need not wait). */
__attribute__((unused)) static pthread_t finished_thread(void)
{
    static volatile pid_t tid;
    tid = 0;
    pthread_t t;
    pthread_create(&t, NULL, quick, (void *)&tid);
    while (!tid)
        sched_yield();
    while (syscall(SYS_tgkill, getpid(), tid, 0) == 0)
        usleep(1000);
    return t;
}

/* Another thread holds a rwlock (for writing) and a mutex until unhold(). */
static pthread_rwlock_t *held_rw;
static pthread_mutex_t *held_mu;
static int holding[2], release_holder[2];

static void *holder(void *arg)
{
    pthread_rwlock_wrlock(held_rw);
    pthread_mutex_lock(held_mu);
    write(holding[1], "h", 1);
    char c;
    read(release_holder[0], &c, 1);
    pthread_mutex_unlock(held_mu);
    pthread_rwlock_unlock(held_rw);
    return arg;
}

__attribute__((unused)) static pthread_t hold(pthread_rwlock_t *rw, pthread_mutex_t *mu)
{
    pthread_t h;
    char c;
    held_rw = rw, held_mu = mu;
    if (pipe(holding) || pipe(release_holder) || pthread_create(&h, NULL, holder, NULL) ||
        read(holding[0], &c, 1) != 1)
        exit(3);
    return h;
}

__attribute__((unused)) static void unhold(pthread_t h)
{
    write(release_holder[1], "x", 1);
    pthread_join(h, NULL);
    close(holding[0]), close(holding[1]), close(release_holder[0]), close(release_holder[1]);
}

__attribute__((unused)) static void start_output(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("preloaded %s\n", preloaded() ? "yes" : "no");
}

#endif
