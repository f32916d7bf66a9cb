/* Threads stuck in a wait-for cycle, one scenario per argument:
 *   mutex2      two threads lock two mutexes in opposite orders
 *   mutex3      three threads, three mutexes, each takes its own then the next
 *   rwlock      two writers, two rwlocks, opposite orders
 *   join3       three threads each joining the next (glibc refuses a 2-cycle)
 *   join_mutex  a thread joins one that waits for a mutex the joiner holds
 *   self        a thread locks a normal mutex it already holds (after a
 *               pthread_join of itself, which glibc refuses: printed)
 * The main thread prints "ready" and waits in pause(). */
#include "waits_common.h"

#define MAX 3
static pthread_mutex_t locks[MAX] = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
                                     PTHREAD_MUTEX_INITIALIZER};
static pthread_rwlock_t rw[2] = {PTHREAD_RWLOCK_INITIALIZER, PTHREAD_RWLOCK_INITIALIZER};
static pthread_barrier_t all_hold;
static pthread_t threads[MAX];
static int n_threads;

static void *take_in_order(void *arg)
{
    int i = (int)(long)arg;
    pthread_mutex_lock(&locks[i]);
    pthread_barrier_wait(&all_hold);
    pthread_mutex_lock(&locks[(i + 1) % n_threads]);
    return NULL;
}

static void *write_in_order(void *arg)
{
    int i = (int)(long)arg;
    pthread_rwlock_wrlock(&rw[i]);
    pthread_barrier_wait(&all_hold);
    pthread_rwlock_wrlock(&rw[1 - i]);
    return NULL;
}

static void *join_next(void *arg)
{
    int i = (int)(long)arg;
    pthread_barrier_wait(&all_hold); /* every handle is known */
    pthread_join(threads[(i + 1) % n_threads], NULL);
    return NULL;
}

static void *lock_shared(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&locks[0]);
    return NULL;
}

static void *hold_and_join(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&locks[0]);
    pthread_t t = start_thread(lock_shared, NULL);
    pthread_join(t, NULL);
    return NULL;
}

static void *relock_own(void *arg)
{
    (void)arg;
    int rc = pthread_join(pthread_self(), NULL);
    printf("selfjoin %d\n", rc);
    fflush(stdout);
    pthread_mutex_lock(&locks[0]);
    pthread_mutex_lock(&locks[0]);
    return NULL;
}

static void start_cycle(void *(*fn)(void *), int n)
{
    n_threads = n;
    /* main is a party too: no thread goes on before every handle is stored */
    pthread_barrier_init(&all_hold, NULL, (unsigned)n + 1);
    for (int i = 0; i < TIMES(n); i++)
        threads[i] = start_thread(fn, (void *)(long)i);
    pthread_barrier_wait(&all_hold);
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "mutex2";
    if (strcmp(mode, "mutex2") == 0)
        start_cycle(take_in_order, 2);
    else if (strcmp(mode, "mutex3") == 0)
        start_cycle(take_in_order, 3);
    else if (strcmp(mode, "rwlock") == 0)
        start_cycle(write_in_order, 2);
    else if (strcmp(mode, "join3") == 0)
        start_cycle(join_next, 3);
    else if (strcmp(mode, "join_mutex") == 0)
        start_thread(hold_and_join, NULL);
    else if (strcmp(mode, "self") == 0)
        start_thread(relock_own, NULL);
    else
        die(mode, EINVAL);
    settle();
    for (int i = 0; i < MAX; i++)
        printf("lock%d %p\n", i, (void *)&locks[i]);
    ready();
    wait_forever();
}
