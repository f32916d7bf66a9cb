/* A chain of 3 threads blocked in pthread_join: each joins the next, the
 * last joins join_target, which sleeps forever in pause(). */
#include "waits_common.h"

#define N 3

static void *join_target(void *arg)
{
    (void)arg;
    for (;;)
        pause();
    return NULL;
}

static void *joiner(void *arg)
{
    pthread_t next = *(pthread_t *)arg;
    pthread_join(next, NULL);
    return NULL;
}

static pthread_t chain[N + 1];

static void spawn_joiners(void)
{
    chain[N] = start_thread(join_target, NULL);
    for (int i = TIMES(N) - 1; i >= 0; i--)
        chain[i] = start_thread(joiner, &chain[i + 1]);
}

int main(void)
{
    spawn_joiners();
    settle();
    ready();
    wait_forever();
}
