/* Waits that never block are not waits: 3 threads spin on their own
 * uncontended mutex, a rwlock only ever read-locked, and a semaphore posted
 * before each wait. They are running, never blocked in mutex, rwlock or
 * sem, however often a dump looks. */
#include <semaphore.h>

#include "waits_common.h"

static pthread_rwlock_t shared = PTHREAD_RWLOCK_INITIALIZER;

static void *mutex_spinner(void *arg)
{
    (void)arg;
    pthread_mutex_t own = PTHREAD_MUTEX_INITIALIZER;
    for (;;) {
        pthread_mutex_lock(&own);
        pthread_mutex_unlock(&own);
    }
    return NULL;
}

static void *rwlock_spinner(void *arg)
{
    (void)arg;
    for (;;) {
        pthread_rwlock_rdlock(&shared);
        pthread_rwlock_unlock(&shared);
    }
    return NULL;
}

static void *sem_spinner(void *arg)
{
    (void)arg;
    sem_t own;
    sem_init(&own, 0, 0);
    for (;;) {
        sem_post(&own);
        sem_wait(&own);
    }
    return NULL;
}

static void spawn_spinners(void)
{
    start_thread(mutex_spinner, NULL);
    start_thread(rwlock_spinner, NULL);
    start_thread(sem_spinner, NULL);
}

int main(void)
{
    spawn_spinners();
    settle();
    ready();
    wait_forever();
}
