/* For tests/test_running.c: a thread that blocks SIGUSR1 and spins
 * (blocked_spinner), another that spins with it deliverable (spinner).
 * Prints "blocked_tid N" and "ready"; at SIGTERM the first thread waits
 * 300 ms more for a SIGUSR1 with sigtimedwait, and the program prints
 * "stray N" (1 when one was pending: a capture signal left behind). */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#include "running_common.h"

static int stray = -1;
static pid_t blocked_tid;

static void *blocked_spinner(void *arg)
{
    (void)arg;
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &usr1, NULL);
    __atomic_store_n(&blocked_tid, gettid(), __ATOMIC_RELEASE);
    spin_here(-1);
    struct timespec t = {0, 300000000};
    stray = sigtimedwait(&usr1, NULL, &t) == SIGUSR1;
    return NULL;
}

int main(void)
{
    block_term(0);
    pthread_t a, b;
    pthread_create(&a, NULL, blocked_spinner, NULL);
    pthread_create(&b, NULL, spinner, NULL);
    while (!__atomic_load_n(&blocked_tid, __ATOMIC_ACQUIRE))
        usleep(1000);
    printf("blocked_tid %d\nready\n", (int)blocked_tid);
    fflush(stdout);
    wait_for_term(60000);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("stray %d\n", stray);
    return 0;
}
