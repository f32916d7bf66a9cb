/* Thread churn: S spawner threads create TOTAL threads between them, each
 * joinable one joined at once, every fourth one detached instead; the
 * threads do a little work (a contended mutex, a short sleep now and then)
 * so that dumps catch them in every state. Prints "ready" at the start and
 * "done created <c> joined <j> detached <d>" once every thread has ended
 * (the detached ones included), then waits in pause().
 *
 *   robust_churn TOTAL S [--keep]   --keep: the spawners stay (blocked) after
 *                                   their share, and main does not join them */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long spawners_done, total, created, joined, detached, detached_done;
static pthread_mutex_t hot = PTHREAD_MUTEX_INITIALIZER;
static long shared;
static int keep;

static void *churn_worker(void *arg)
{
    long i = (long)arg;
    pthread_mutex_lock(&hot);
    shared++;
    pthread_mutex_unlock(&hot);
    if (i % 64 == 0) {
        struct timespec ts = {0, 200 * 1000};
        nanosleep(&ts, NULL);
    }
    return NULL;
}

static void *churn_detached(void *arg)
{
    churn_worker(arg);
    __atomic_fetch_add(&detached_done, 1, __ATOMIC_RELEASE);
    return NULL;
}

static void *spawner(void *arg)
{
    (void)arg;
    pthread_attr_t det;
    pthread_attr_init(&det);
    pthread_attr_setdetachstate(&det, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&det, 64 * 1024);
    pthread_attr_t small;
    pthread_attr_init(&small);
    pthread_attr_setstacksize(&small, 64 * 1024);
    for (;;) {
        long i = __atomic_fetch_add(&created, 1, __ATOMIC_ACQ_REL);
        if (i >= total) {
            __atomic_fetch_sub(&created, 1, __ATOMIC_ACQ_REL);
            break;
        }
        pthread_t t;
        if (i % 4 == 3) {
            if (pthread_create(&t, &det, churn_detached, (void *)i) != 0) {
                fprintf(stderr, "pthread_create failed\n");
                exit(1);
            }
            __atomic_fetch_add(&detached, 1, __ATOMIC_RELAXED);
            continue;
        }
        if (pthread_create(&t, &small, churn_worker, (void *)i) != 0) {
            fprintf(stderr, "pthread_create failed\n");
            exit(1);
        }
        if (pthread_join(t, NULL) != 0) {
            fprintf(stderr, "pthread_join failed\n");
            exit(1);
        }
        __atomic_fetch_add(&joined, 1, __ATOMIC_RELAXED);
    }
    __atomic_fetch_add(&spawners_done, 1, __ATOMIC_RELEASE);
    if (keep)
        for (;;)
            pause();
    return NULL;
}

int main(int argc, char **argv)
{
    total = argc > 1 ? atol(argv[1]) : 10000;
    int spawners = argc > 2 ? atoi(argv[2]) : 4;
    keep = argc > 3 && !strcmp(argv[3], "--keep");
    printf("ready\n");
    fflush(stdout);
    pthread_t *t = calloc((size_t)spawners, sizeof *t);
    for (int i = 0; i < spawners; i++)
        pthread_create(&t[i], NULL, spawner, NULL);
    if (keep)
        while (__atomic_load_n(&spawners_done, __ATOMIC_ACQUIRE) < spawners)
            usleep(1000);
    else
        for (int i = 0; i < spawners; i++)
            pthread_join(t[i], NULL);
    while (__atomic_load_n(&detached_done, __ATOMIC_ACQUIRE) < detached)
        usleep(1000);
    usleep(50 * 1000); /* past their exit hooks */
    /* the spawners themselves were created and joined too */
    printf("done created %ld joined %ld detached %ld\n", created + spawners,
           joined + (keep ? 0 : spawners), detached);
    fflush(stdout);
    free(t);
    for (;;)
        pause();
}
