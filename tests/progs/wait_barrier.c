/* 4 threads blocked in pthread_barrier_wait on a barrier of 5. */
#include "waits_common.h"

#define N 4
static pthread_barrier_t barrier;

static void *barrier_waiter(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&barrier);
    return NULL;
}

static void spawn_barrier_waiters(void)
{
    for (int i = 0; i < TIMES(N); i++)
        start_thread(barrier_waiter, NULL);
}

int main(void)
{
    int err = pthread_barrier_init(&barrier, NULL, N + 1);
    if (err) die("pthread_barrier_init", err);
    spawn_barrier_waiters();
    settle();
    print_object("object", &barrier);
    ready();
    wait_forever();
}
