/* Target of the attach benchmark: THREADS threads (64 KiB stacks) blocked
 * on one condition variable from GROUPS (at most 50) distinct call stacks,
 * run without the library; `threadleak dump PID` then stops, unwinds and
 * groups them through ptrace. Prints "ready" once all are blocked, and
 * waits until killed.
 *
 *   attach_many THREADS GROUPS */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static pthread_cond_t counted = PTHREAD_COND_INITIALIZER;
static int n_blocked;
static volatile int sink, released;

__attribute__((noinline)) static void block(void)
{
    pthread_mutex_lock(&mu);
    n_blocked++;
    pthread_cond_signal(&counted);
    while (!released)
        pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
}

/* depth d: a distinct stack per group */
__attribute__((noinline)) static void nest(int d)
{
    if (d > 0)
        nest(d - 1);
    else
        block();
    sink++;
}

static void *worker(void *arg)
{
    nest((int)(size_t)arg);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 3)
        return 2;
    int threads = atoi(argv[1]), groups = atoi(argv[2]);
    if (groups < 1 || groups > 50)
        return 2;
    pthread_attr_t small;
    pthread_attr_init(&small);
    pthread_attr_setstacksize(&small, 64 * 1024);
    for (int i = 0; i < threads; i++) {
        pthread_t t;
        if (pthread_create(&t, &small, worker, (void *)(size_t)(i % groups)) != 0) {
            perror("pthread_create");
            return 1;
        }
    }
    pthread_mutex_lock(&mu);
    while (n_blocked < threads)
        pthread_cond_wait(&counted, &mu);
    pthread_mutex_unlock(&mu);
    printf("ready\n");
    fflush(stdout);
    for (;;)
        pause();
}
