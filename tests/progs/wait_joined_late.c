/* Threads that have already ended when they are joined or detached are not
 * leaks: 6 threads return at once and are joined 300 ms later, 4 return at
 * once and are detached 300 ms later (after which the stacks are freed).
 * Then 2 threads stay blocked in pthread_cond_wait. */
#include "waits_common.h"

#define JOINED 6
#define DETACHED 4
#define LIVE 2
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int go;

static void *finished_worker(void *arg)
{
    return arg;
}

static void *late_cond_waiter(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    while (!go)
        pthread_cond_wait(&cond, &lock);
    pthread_mutex_unlock(&lock);
    return NULL;
}

static pthread_t workers[JOINED + DETACHED];

static void join_and_detach_late(void)
{
    for (int i = 0; i < TIMES(JOINED + DETACHED); i++)
        workers[i] = start_thread(finished_worker, NULL);
    settle(); /* they have all ended by now */
    for (int i = 0; i < TIMES(JOINED); i++) {
        int err = pthread_join(workers[i], NULL);
        if (err) die("pthread_join", err);
    }
    for (int i = JOINED; i < TIMES(JOINED + DETACHED); i++) {
        int err = pthread_detach(workers[i]);
        if (err) die("pthread_detach", err);
    }
    for (int i = 0; i < TIMES(LIVE); i++)
        start_thread(late_cond_waiter, NULL);
}

int main(void)
{
    join_and_detach_late();
    settle();
    ready();
    wait_forever();
}
