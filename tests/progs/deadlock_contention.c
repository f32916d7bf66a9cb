/* No deadlock, much contention: threads take random pairs of mutexes
 * always in address order, readers and writers share rwlocks, and a
 * producer and consumers pass work through a condvar, forever. A dump
 * must never show a cycle here. Main prints "ready" and waits in pause(). */
#include "waits_common.h"

#define LOCKERS 6
#define MUTEXES 4
static pthread_mutex_t m[MUTEXES] = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
                                     PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER};
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static pthread_mutex_t qlock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t qcv = PTHREAD_COND_INITIALIZER;
static volatile long work, sink;

static void spin(int n)
{
    for (int i = 0; i < n; i++)
        sink++;
}

static void *ordered_locker(void *arg)
{
    unsigned seed = (unsigned)(long)arg;
    for (;;) {
        int a = rand_r(&seed) % MUTEXES, b = rand_r(&seed) % MUTEXES;
        int lo = a < b ? a : b, hi = a < b ? b : a;
        pthread_mutex_lock(&m[lo]);
        if (hi != lo)
            pthread_mutex_lock(&m[hi]);
        spin(rand_r(&seed) % 2000);
        if (hi != lo)
            pthread_mutex_unlock(&m[hi]);
        pthread_mutex_unlock(&m[lo]);
        if (rand_r(&seed) % 4 == 0) {
            if (rand_r(&seed) % 3 == 0) {
                pthread_rwlock_wrlock(&rw);
                spin(500);
            } else {
                pthread_rwlock_rdlock(&rw);
                spin(1000);
            }
            pthread_rwlock_unlock(&rw);
        }
    }
    return NULL;
}

static void *producer(void *arg)
{
    (void)arg;
    for (;;) {
        pthread_mutex_lock(&qlock);
        work++;
        pthread_cond_signal(&qcv);
        pthread_mutex_unlock(&qlock);
        spin(3000);
    }
    return NULL;
}

static void *consumer(void *arg)
{
    (void)arg;
    for (;;) {
        pthread_mutex_lock(&qlock);
        while (work == 0)
            pthread_cond_wait(&qcv, &qlock);
        work--;
        pthread_mutex_unlock(&qlock);
    }
    return NULL;
}

int main(void)
{
    for (int i = 0; i < TIMES(LOCKERS); i++)
        start_thread(ordered_locker, (void *)(long)(i + 1));
    start_thread(producer, NULL);
    for (int i = 0; i < TIMES(2); i++)
        start_thread(consumer, NULL);
    settle();
    ready();
    wait_forever();
}
