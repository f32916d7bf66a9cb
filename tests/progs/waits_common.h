/* Shared by the wait-kind programs (tests/progs/wait_*.c): each starts its
 * threads, lets them settle into their wait, prints "key value" lines the
 * test reads (object addresses), then "ready", and waits forever in
 * wait_forever() (pause: the main thread shows as blocked in sleep). */
#ifndef WAITS_COMMON_H
#define WAITS_COMMON_H

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Loop bounds the compiler cannot see: it must not unroll the loops that
 * start threads, since each unrolled copy is a call site of its own, and
 * threads started from different call sites form different groups. */
static volatile int runtime_one = 1;
#define TIMES(n) ((n)*runtime_one)

__attribute__((unused)) static void die(const char *what, int err)
{
    fprintf(stderr, "%s: %s\n", what, strerror(err));
    exit(1);
}

__attribute__((unused)) static pthread_t start_thread(void *(*fn)(void *), void *arg)
{
    pthread_t t;
    int err = pthread_create(&t, NULL, fn, arg);
    if (err) die("pthread_create", err);
    return t;
}

/* Long enough for every thread to enter its wait. */
__attribute__((unused)) static void settle(void)
{
    struct timespec ts = {0, 300 * 1000 * 1000};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
    }
}

__attribute__((unused)) static void print_object(const char *key, const void *addr)
{
    printf("%s %p\n", key, addr);
}

__attribute__((unused)) static void ready(void)
{
    printf("ready\n");
    fflush(stdout);
}

__attribute__((unused)) static void wait_forever(void)
{
    for (;;)
        pause();
}

#endif
