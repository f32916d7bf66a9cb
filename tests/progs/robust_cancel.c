/* pthread_exit and pthread_cancel from deep frames. Threads recurse 24
 * frames (deep()) and then: pthread_exit (6 joinable, 2 detached); block
 * in a cancellation point and get cancelled by main (cond wait, sem_wait,
 * read of a pipe, nanosleep, poll, pthread_join: 2 each); or cancel
 * themselves (2). main joins every joinable one, then prints
 * "joined <n> canceled <m>" and "ready" and waits in pause(); 3 survivor
 * threads stay blocked in survivor_wait. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { EXIT, EXIT_DETACHED, COND, SEM, READ, SLEEP, POLL, JOIN, SELF, KINDS };

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static sem_t sem;
static int pipefd[2];
static pthread_t join_target;
static int entered;

static void unlock(void *m)
{
    pthread_mutex_unlock(m);
}

static void arrived(void)
{
    __atomic_fetch_add(&entered, 1, __ATOMIC_ACQ_REL);
}

__attribute__((noinline)) static void cancel_point(int kind)
{
    char c;
    struct timespec ts = {3600, 0};
    struct pollfd p = {.fd = pipefd[0], .events = POLLIN};
    switch (kind) {
    case EXIT:
    case EXIT_DETACHED:
        pthread_exit((void *)7);
    case COND:
        pthread_mutex_lock(&lock);
        pthread_cleanup_push(unlock, &lock);
        arrived();
        for (;;)
            pthread_cond_wait(&cond, &lock);
        pthread_cleanup_pop(1);
        break;
    case SEM:
        arrived();
        for (;;)
            sem_wait(&sem);
    case READ:
        arrived();
        for (;;)
            if (read(pipefd[0], &c, 1) < 0)
                break;
        break;
    case SLEEP:
        arrived();
        for (;;)
            nanosleep(&ts, NULL);
    case POLL:
        arrived();
        for (;;)
            poll(&p, 1, -1);
    case JOIN:
        arrived();
        pthread_join(join_target, NULL);
        break;
    case SELF:
        pthread_cancel(pthread_self());
        pthread_testcancel();
        break;
    }
}

__attribute__((noinline)) static int deep(int level, int kind)
{
    if (level == 0)
        cancel_point(kind);
    else
        deep(level - 1, kind);
    __asm__ volatile("" ::: "memory");
    return level;
}

static void *deep_thread(void *arg)
{
    deep(24, (int)(long)arg);
    return NULL;
}

static void *join_target_fn(void *arg)
{
    (void)arg;
    for (;;)
        pause();
    return NULL;
}

static void *survivor(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    for (;;)
        pthread_cond_wait(&cond, &lock);
    return NULL;
}

int main(void)
{
    sem_init(&sem, 0, 0);
    if (pipe(pipefd) != 0)
        return 1;
    pthread_t sv;
    for (int i = 0; i < 3; i++)
        pthread_create(&sv, NULL, survivor, NULL);
    pthread_create(&join_target, NULL, join_target_fn, NULL);
    pthread_t t[KINDS][6];
    int per[KINDS] = {6, 2, 2, 2, 2, 2, 2, 2, 2};
    pthread_attr_t det;
    pthread_attr_init(&det);
    pthread_attr_setdetachstate(&det, PTHREAD_CREATE_DETACHED);
    int blocking = 0;
    for (int k = 0; k < KINDS; k++)
        for (int i = 0; i < per[k]; i++) {
            pthread_create(&t[k][i], k == EXIT_DETACHED ? &det : NULL, deep_thread,
                           (void *)(long)k);
            blocking += k >= COND && k <= JOIN;
        }
    while (__atomic_load_n(&entered, __ATOMIC_ACQUIRE) < blocking)
        usleep(1000);
    usleep(100 * 1000); /* into the calls themselves */
    int joined = 0, canceled = 0;
    for (int k = 0; k < KINDS; k++)
        for (int i = 0; i < per[k]; i++) {
            if (k == EXIT_DETACHED)
                continue;
            if (k >= COND && k <= JOIN)
                pthread_cancel(t[k][i]);
            void *ret;
            int rc = pthread_join(t[k][i], &ret);
            if (rc != 0) {
                fprintf(stderr, "join: %s\n", strerror(rc));
                return 1;
            }
            joined++;
            canceled += ret == PTHREAD_CANCELED;
            if (k == EXIT && ret != (void *)7) {
                fprintf(stderr, "pthread_exit value lost\n");
                return 1;
            }
        }
    usleep(100 * 1000); /* the detached ones finish */
    printf("joined %d canceled %d\n", joined, canceled);
    printf("ready\n");
    fflush(stdout);
    for (;;)
        pause();
}
