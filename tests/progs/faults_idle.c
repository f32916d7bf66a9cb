/* A well-behaved host for fault and signal tests: N threads wait in
 * pthread_cond_wait (idle_waiter), one thread sleeps in short naps and one
 * polls a pipe, both counting every EINTR they see (the program must never
 * see one caused by the dump signal). Prints "ready"; on SIGUSR2 (sigwait
 * in main) wakes and joins everyone, prints "eintr <n>" and exits 0.
 *
 *   faults_idle [N] [--exit]   --exit: no waiting, join and exit at once */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int stop;
static long eintr_seen;
static int pipefd[2];

static void *idle_waiter(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    while (!stop)
        pthread_cond_wait(&cond, &lock);
    pthread_mutex_unlock(&lock);
    return NULL;
}

static void *napper(void *arg)
{
    (void)arg;
    while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
        struct timespec ts = {0, 2 * 1000 * 1000};
        if (nanosleep(&ts, NULL) == -1 && errno == EINTR)
            __atomic_fetch_add(&eintr_seen, 1, __ATOMIC_RELAXED);
    }
    return NULL;
}

static void *poller(void *arg)
{
    (void)arg;
    while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
        struct pollfd p = {.fd = pipefd[0], .events = POLLIN};
        if (poll(&p, 1, 5) == -1 && errno == EINTR)
            __atomic_fetch_add(&eintr_seen, 1, __ATOMIC_RELAXED);
    }
    return NULL;
}

static void spawn_idle_waiters(pthread_t *t, int n)
{
    for (int i = 0; i < n; i++)
        if (pthread_create(&t[i], NULL, idle_waiter, NULL) != 0) {
            fprintf(stderr, "pthread_create failed\n");
            exit(1);
        }
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 8;
    int exit_at_once = argc > 2 && strcmp(argv[2], "--exit") == 0;
    sigset_t usr2;
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &usr2, NULL);
    if (pipe(pipefd) != 0)
        return 1;
    pthread_t *t = calloc((size_t)n + 2, sizeof *t);
    spawn_idle_waiters(t, n);
    pthread_create(&t[n], NULL, napper, NULL);
    pthread_create(&t[n + 1], NULL, poller, NULL);
    if (!exit_at_once) {
        struct timespec ts = {0, 200 * 1000 * 1000};
        nanosleep(&ts, NULL);
        printf("ready\n");
        fflush(stdout);
        int sig;
        sigwait(&usr2, &sig);
    }
    pthread_mutex_lock(&lock);
    __atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&lock);
    for (int i = 0; i < n + 2; i++)
        pthread_join(t[i], NULL);
    printf("eintr %ld\n", eintr_seen);
    printf("bye\n");
    free(t);
    return 0;
}
