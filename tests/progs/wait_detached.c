/* Detached threads are not leaks once they end: 8 detached by pthread_detach
 * right after pthread_create, 6 created with PTHREAD_CREATE_DETACHED, 3 by
 * thrd_detach, all returning at once; and 5 detached right after creation
 * that stay blocked in sem_wait. Nothing may be "exited". */
#include <semaphore.h>
#include <threads.h>

#include "waits_common.h"

#define QUICK 8
#define ATTR 6
#define C11 3
#define BLOCKED 5
static sem_t sem;

static void *quick_worker(void *arg)
{
    return arg;
}

static int c11_quick_worker(void *arg)
{
    (void)arg;
    return 0;
}

static void *detached_sem_waiter(void *arg)
{
    (void)arg;
    while (sem_wait(&sem) == -1 && errno == EINTR) {
    }
    return NULL;
}

static void spawn_detached(void)
{
    for (int i = 0; i < TIMES(QUICK); i++) {
        int err = pthread_detach(start_thread(quick_worker, NULL));
        if (err) die("pthread_detach", err);
    }
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    for (int i = 0; i < TIMES(ATTR); i++) {
        pthread_t t;
        int err = pthread_create(&t, &attr, quick_worker, NULL);
        if (err) die("pthread_create", err);
    }
    pthread_attr_destroy(&attr);
    for (int i = 0; i < TIMES(C11); i++) {
        thrd_t t;
        if (thrd_create(&t, c11_quick_worker, NULL) != thrd_success ||
            thrd_detach(t) != thrd_success)
            die("thrd_create/thrd_detach", EAGAIN);
    }
    for (int i = 0; i < TIMES(BLOCKED); i++) {
        int err = pthread_detach(start_thread(detached_sem_waiter, NULL));
        if (err) die("pthread_detach", err);
    }
}

int main(void)
{
    if (sem_init(&sem, 0, 0)) die("sem_init", errno);
    spawn_detached();
    settle();
    ready();
    wait_forever();
}
