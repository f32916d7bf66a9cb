/* A target for attach tests, run without the library:
 *
 *   attach_ticker FILE N
 *
 * N threads park in pthread_cond_wait (parked()), one ticker() sleeps 1 ms
 * at a time and appends "<count> <CLOCK_MONOTONIC ns>\n" to FILE after each
 * sleep, one thread waits in epoll_wait with no timeout and one in read()
 * on a pipe; any of them that sees EINTR (or returns at all) appends an
 * "EINTR <who>" line. SIGUSR2 parks 5 more threads, in grown() (the handler
 * only posts a semaphore a spawner thread waits on). Prints "ready" once
 * the N threads are parked. Small stacks keep thousands of threads cheap. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static pthread_cond_t counted = PTHREAD_COND_INITIALIZER;
static int parked_count;
static int out_fd;
static sem_t grow;

static void say(const char *line)
{
    if (write(out_fd, line, strlen(line)) < 0)
        _exit(3);
}

static void *parked(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    parked_count++;
    pthread_cond_signal(&counted);
    for (;;)
        pthread_cond_wait(&cond, &lock);
    return NULL;
}

static void *grown(void *arg)
{
    return parked(arg);
}

static void *ticker(void *arg)
{
    (void)arg;
    struct timespec ms = {0, 1000000};
    char line[64];
    for (long n = 0;; n++) {
        if (clock_nanosleep(CLOCK_MONOTONIC, 0, &ms, NULL) != 0) {
            snprintf(line, sizeof line, "EINTR ticker %ld\n", n);
            say(line);
        }
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        snprintf(line, sizeof line, "%ld %lld\n", n,
                 (long long)now.tv_sec * 1000000000LL + now.tv_nsec);
        say(line);
    }
    return NULL;
}

static void *epoller(void *arg)
{
    (void)arg;
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev;
    for (;;)
        if (epoll_wait(ep, &ev, 1, -1) != 0)
            say(errno == EINTR ? "EINTR epoll_wait\n" : "epoll_wait returned\n");
    return NULL;
}

static void *reader(void *arg)
{
    int fd = *(int *)arg;
    char c;
    for (;;)
        if (read(fd, &c, 1) != 1)
            say(errno == EINTR ? "EINTR read\n" : "read returned\n");
    return NULL;
}

static pthread_attr_t small;

static void start(void *(*fn)(void *), void *arg)
{
    pthread_t t;
    int err = pthread_create(&t, &small, fn, arg);
    if (err) {
        fprintf(stderr, "pthread_create: %s\n", strerror(err));
        exit(1);
    }
}

static void *spawner(void *arg)
{
    (void)arg;
    for (;;) {
        while (sem_wait(&grow) != 0)
            ;
        for (int i = 0; i < 5; i++)
            start(grown, NULL);
    }
    return NULL;
}

static void on_usr2(int sig)
{
    (void)sig;
    sem_post(&grow);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: attach_ticker FILE N\n");
        return 2;
    }
    int n = atoi(argv[2]);
    out_fd = open(argv[1], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (out_fd < 0) {
        perror(argv[1]);
        return 1;
    }
    static int pipe_fds[2];
    if (pipe(pipe_fds) != 0)
        return 1;
    sem_init(&grow, 0, 0);
    struct sigaction sa = {.sa_handler = on_usr2, .sa_flags = SA_RESTART};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR2, &sa, NULL);
    pthread_attr_init(&small);
    pthread_attr_setstacksize(&small, 64 * 1024);
    for (int i = 0; i < n; i++)
        start(parked, NULL);
    pthread_mutex_lock(&lock);
    while (parked_count < n)
        pthread_cond_wait(&counted, &lock);
    pthread_mutex_unlock(&lock);
    start(ticker, NULL);
    start(epoller, NULL);
    start(reader, &pipe_fds[0]);
    start(spawner, NULL);
    printf("ready\n");
    fflush(stdout);
    for (;;)
        pause();
}
