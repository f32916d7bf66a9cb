/* Scale: N threads blocked in pthread_cond_wait at G different stack
 * depths (nest() recursion), so a dump must show G groups of N/G. Small
 * stacks keep 10,000 threads cheap. Prints "ready"; on SIGUSR2 wakes and
 * joins them all and exits 0.   robust_many N G */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int stop, waiting;

__attribute__((noinline)) static void many_blocked(void)
{
    pthread_mutex_lock(&lock);
    waiting++;
    while (!stop)
        pthread_cond_wait(&cond, &lock);
    pthread_mutex_unlock(&lock);
}

__attribute__((noinline)) static int nest(int level)
{
    if (level == 0)
        many_blocked();
    else
        nest(level - 1);
    __asm__ volatile("" ::: "memory"); /* not a tail call */
    return level;
}

static void *many_worker(void *arg)
{
    nest((int)(long)arg);
    return NULL;
}

static void spawn_many(pthread_t *t, int n, int groups)
{
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 128 * 1024);
    for (int i = 0; i < n; i++)
        if (pthread_create(&t[i], &attr, many_worker, (void *)(long)(i % groups)) != 0) {
            fprintf(stderr, "pthread_create failed at %d\n", i);
            exit(1);
        }
    pthread_attr_destroy(&attr);
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 5000;
    int groups = argc > 2 ? atoi(argv[2]) : 20;
    sigset_t usr2;
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &usr2, NULL);
    pthread_t *t = calloc((size_t)n, sizeof *t);
    spawn_many(t, n, groups);
    for (;;) {
        pthread_mutex_lock(&lock);
        int w = waiting;
        pthread_mutex_unlock(&lock);
        if (w == n)
            break;
        sched_yield();
    }
    printf("ready\n");
    fflush(stdout);
    int sig;
    sigwait(&usr2, &sig);
    pthread_mutex_lock(&lock);
    stop = 1;
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&lock);
    for (int i = 0; i < n; i++)
        pthread_join(t[i], NULL);
    printf("joined %d\n", n);
    free(t);
    return 0;
}
