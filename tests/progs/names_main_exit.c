/* main starts 3 threads blocked on a condvar and then ends with
 * pthread_exit: /proc/PID/maps reads empty from then on, and the main
 * thread is gone. */
#include "waits_common.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;

static void *orphan_waiter(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&mu);
    for (;;)
        pthread_cond_wait(&cv, &mu);
    return NULL;
}

int main(void)
{
    for (int i = 0; i < TIMES(3); i++)
        start_thread(orphan_waiter, NULL);
    settle();
    ready();
    pthread_exit(NULL);
}
