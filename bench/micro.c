/* Micro workloads for `make bench`: each one times a loop of a single
 * operation and prints one line "name ns_per_op ops". The same binary runs
 * bare, under LD_PRELOAD=libthreadleak.so, under valgrind, and (built with
 * -fsanitize=thread) under ThreadSanitizer.
 *
 *   micro WORKLOAD [OPS]     one workload; OPS defaults to its own count
 *   micro all [SCALE]        every workload, each at SCALE x its default
 *   MICRO_IDLE_THREAD=1      first start an idle thread (see main)
 *
 * Every workload also checks that it did what it says (counts, values),
 * and exits non-zero otherwise: the smoke run relies on that. */
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void die(const char *what)
{
    fprintf(stderr, "micro: %s\n", what);
    exit(1);
}

static void check(int rc, const char *what)
{
    if (rc != 0) {
        fprintf(stderr, "micro: %s: %s\n", what, strerror(rc));
        exit(1);
    }
}

/* ---- uncontended mutex: lock and unlock in one thread ---- */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static volatile long counter;

static void mutex_uncontended(long ops)
{
    for (long i = 0; i < ops; i++) {
        pthread_mutex_lock(&mu);
        counter++;
        pthread_mutex_unlock(&mu);
    }
    if (counter != ops)
        die("mutex_uncontended: lost updates");
}

/* ---- contended mutex: two threads take turns on one lock ---- */

static long contended_each;

static void *contender(void *arg)
{
    (void)arg;
    for (long i = 0; i < contended_each; i++) {
        pthread_mutex_lock(&mu);
        counter++;
        pthread_mutex_unlock(&mu);
    }
    return NULL;
}

static void mutex_contended(long ops)
{
    pthread_t t[2];
    contended_each = ops / 2;
    for (int i = 0; i < 2; i++)
        check(pthread_create(&t[i], NULL, contender, NULL), "pthread_create");
    for (int i = 0; i < 2; i++)
        check(pthread_join(t[i], NULL), "pthread_join");
    if (counter != 2 * contended_each)
        die("mutex_contended: lost updates");
}

/* ---- condition-variable ping-pong: one op is a round trip ---- */

static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static long turn; /* even: ping's turn, odd: pong's */
static long rounds;

static void *ponger(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&mu);
    for (long i = 0; i < rounds; i++) {
        while (!(turn & 1))
            pthread_cond_wait(&cv, &mu);
        turn++;
        pthread_cond_signal(&cv);
    }
    pthread_mutex_unlock(&mu);
    return NULL;
}

static void cond_pingpong(long ops)
{
    pthread_t t;
    rounds = ops;
    turn = 0;
    check(pthread_create(&t, NULL, ponger, NULL), "pthread_create");
    pthread_mutex_lock(&mu);
    for (long i = 0; i < rounds; i++) {
        turn++;
        pthread_cond_signal(&cv);
        while (turn & 1)
            pthread_cond_wait(&cv, &mu);
    }
    pthread_mutex_unlock(&mu);
    check(pthread_join(t, NULL), "pthread_join");
    if (turn != 2 * ops)
        die("cond_pingpong: wrong turn count");
}

/* ---- thread create + join churn ---- */

static void *trivial(void *arg)
{
    return (char *)arg + 1;
}

static void thread_churn(long ops)
{
    for (long i = 0; i < ops; i++) {
        pthread_t t;
        void *ret;
        check(pthread_create(&t, NULL, trivial, (void *)i), "pthread_create");
        check(pthread_join(t, &ret), "pthread_join");
        if (ret != (char *)i + 1)
            die("thread_churn: wrong return value");
    }
}

/* ---- thread per request: the thread waits once on a condvar, is woken,
 * and is joined ---- */

struct request {
    pthread_mutex_t m;
    pthread_cond_t c;
    int waiting, go;
};

static void *request_thread(void *arg)
{
    struct request *r = arg;
    pthread_mutex_lock(&r->m);
    r->waiting = 1;
    pthread_cond_signal(&r->c);
    while (!r->go)
        pthread_cond_wait(&r->c, &r->m);
    pthread_mutex_unlock(&r->m);
    return NULL;
}

static void thread_per_request(long ops)
{
    struct request r;
    check(pthread_mutex_init(&r.m, NULL), "pthread_mutex_init");
    check(pthread_cond_init(&r.c, NULL), "pthread_cond_init");
    for (long i = 0; i < ops; i++) {
        pthread_t t;
        r.waiting = r.go = 0;
        check(pthread_create(&t, NULL, request_thread, &r), "pthread_create");
        pthread_mutex_lock(&r.m);
        while (!r.waiting)
            pthread_cond_wait(&r.c, &r.m);
        r.go = 1;
        pthread_cond_broadcast(&r.c);
        pthread_mutex_unlock(&r.m);
        check(pthread_join(t, NULL), "pthread_join");
    }
}

/* ---- one-byte pipe write + read in one thread (wrapped I/O) ---- */

static void pipe_rw(long ops)
{
    int fd[2];
    if (pipe(fd) != 0)
        die("pipe failed");
    char c = 'x', d = 0;
    for (long i = 0; i < ops; i++) {
        if (write(fd[1], &c, 1) != 1 || read(fd[0], &d, 1) != 1 || d != 'x')
            die("pipe_rw: short write or read");
    }
    close(fd[0]);
    close(fd[1]);
}

/* ---- syscall(SYS_futex, FUTEX_WAKE) with no waiter ---- */

static void futex_wake(long ops)
{
    static int word;
    for (long i = 0; i < ops; i++)
        if (syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0) != 0)
            die("futex_wake: woke someone or failed");
}

struct workload {
    const char *name;
    void (*run)(long ops);
    long ops; /* default: 0.05-0.3 s bare on a small VM (scripts/bench.py has the same) */
};

static const struct workload workloads[] = {
    {"mutex_uncontended", mutex_uncontended, 10000000},
    {"mutex_contended", mutex_contended, 3000000},
    {"cond_pingpong", cond_pingpong, 10000},
    {"thread_churn", thread_churn, 4000},
    {"thread_per_request", thread_per_request, 3000},
    {"pipe_rw", pipe_rw, 200000},
    {"futex_wake", futex_wake, 1000000},
};
#define N_WORKLOADS (sizeof workloads / sizeof workloads[0])

static void run_one(const struct workload *w, long ops)
{
    if (ops < 2)
        ops = 2;
    counter = 0;
    uint64_t t0 = now_ns();
    w->run(ops);
    uint64_t t1 = now_ns();
    printf("%s %.3f %ld\n", w->name, (double)(t1 - t0) / (double)ops, ops);
    fflush(stdout);
}

/* MICRO_IDLE_THREAD=1: one more thread, blocked for good, started before
 * the workload. A diagnostic: it shows what a process pays just for having
 * a second thread (glibc's single-thread fast paths end), which is what the
 * preload's sampler thread does to a one-thread program. */
static pthread_mutex_t forever_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t forever_cv = PTHREAD_COND_INITIALIZER;

static void *forever(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&forever_mu);
    for (;;)
        pthread_cond_wait(&forever_cv, &forever_mu);
    return NULL;
}

int main(int argc, char **argv)
{
    const char *idle = getenv("MICRO_IDLE_THREAD");
    if (idle && *idle && strcmp(idle, "0") != 0) {
        pthread_t t;
        check(pthread_create(&t, NULL, forever, NULL), "pthread_create");
        check(pthread_detach(t), "pthread_detach");
    }
    if (argc < 2) {
        fprintf(stderr, "usage: micro WORKLOAD|all [OPS|SCALE]\nworkloads:");
        for (size_t i = 0; i < N_WORKLOADS; i++)
            fprintf(stderr, " %s", workloads[i].name);
        fputc('\n', stderr);
        return 2;
    }
    if (strcmp(argv[1], "all") == 0) {
        double scale = argc > 2 ? atof(argv[2]) : 1.0;
        for (size_t i = 0; i < N_WORKLOADS; i++)
            run_one(&workloads[i], (long)(workloads[i].ops * scale));
        return 0;
    }
    for (size_t i = 0; i < N_WORKLOADS; i++) {
        if (strcmp(argv[1], workloads[i].name) == 0) {
            run_one(&workloads[i], argc > 2 ? atol(argv[2]) : workloads[i].ops);
            return 0;
        }
    }
    fprintf(stderr, "micro: unknown workload '%s'\n", argv[1]);
    return 2;
}
