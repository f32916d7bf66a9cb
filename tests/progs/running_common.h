/* For the running_* programs of tests/test_running.c: busy work in a named
 * function, and the end of a run (SIGTERM, or a time limit). */
#ifndef RUNNING_COMMON_H
#define RUNNING_COMMON_H

#include <signal.h>
#include <stdio.h>
#include <time.h>

static volatile int stop;
static volatile unsigned long sink;

static long running_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000L + ts.tv_nsec / 1000;
}

/* Spins for about us microseconds (forever when us < 0, until stop). */
__attribute__((noinline)) static void spin_here(long us)
{
    long until = running_now_us() + us;
    while (!stop && (us < 0 || running_now_us() < until))
        for (int i = 0; i < 1000; i++)
            sink++;
}

/* A thread that spins in spin_here until the end. */
__attribute__((unused)) static void *spinner(void *arg)
{
    (void)arg;
    spin_here(-1);
    return NULL;
}

/* Blocks SIGTERM (and the signals in also) in the calling thread and every
 * thread it creates after: only main takes SIGTERM, with sigtimedwait. */
static void block_term(int also)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGTERM);
    if (also)
        sigaddset(&s, also);
    pthread_sigmask(SIG_BLOCK, &s, NULL);
}

/* Waits for SIGTERM, or ms milliseconds; then tells the threads to stop. */
static void wait_for_term(long ms)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGTERM);
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    sigtimedwait(&s, NULL, &t);
    stop = 1;
}

#endif
