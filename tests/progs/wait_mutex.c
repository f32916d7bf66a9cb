/* 7 threads blocked in pthread_mutex_lock on a mutex main holds forever. */
#include "waits_common.h"

#define N 7
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void *mutex_waiter(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    pthread_mutex_unlock(&lock);
    return NULL;
}

static void spawn_mutex_waiters(void)
{
    for (int i = 0; i < TIMES(N); i++)
        start_thread(mutex_waiter, NULL);
}

int main(void)
{
    pthread_mutex_lock(&lock);
    spawn_mutex_waiters();
    settle();
    print_object("object", &lock);
    ready();
    wait_forever();
}
