/* 6 threads blocked in sem_wait on a semaphore that stays at zero. */
#include <semaphore.h>

#include "waits_common.h"

#define N 6
static sem_t sem;

static void *sem_waiter(void *arg)
{
    (void)arg;
    while (sem_wait(&sem) == -1 && errno == EINTR) {
    }
    return NULL;
}

static void spawn_sem_waiters(void)
{
    for (int i = 0; i < TIMES(N); i++)
        start_thread(sem_waiter, NULL);
}

int main(void)
{
    if (sem_init(&sem, 0, 0)) die("sem_init", errno);
    spawn_sem_waiters();
    settle();
    print_object("object", &sem);
    ready();
    wait_forever();
}
