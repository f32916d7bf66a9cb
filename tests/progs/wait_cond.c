/* 9 threads blocked in pthread_cond_wait on a condition never signalled. */
#include "waits_common.h"

#define N 9
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int go;

static void *cond_waiter(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    while (!go)
        pthread_cond_wait(&cond, &lock);
    pthread_mutex_unlock(&lock);
    return NULL;
}

static void spawn_cond_waiters(void)
{
    for (int i = 0; i < TIMES(N); i++)
        start_thread(cond_waiter, NULL);
}

int main(void)
{
    spawn_cond_waiters();
    settle();
    print_object("object", &cond);
    ready();
    wait_forever();
}
