/* exec from a thread: stage 1 starts 3 threads blocked in stage1_waiter,
 * then one more thread execs this program again with "stage2" while the
 * others wait. Stage 2 starts 2 threads blocked in stage2_waiter, prints
 * "ready" and waits in pause(). */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;
static char *self;

static void *stage1_waiter(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    for (;;)
        pthread_cond_wait(&never, &lock);
    return NULL;
}

static void *stage2_waiter(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    for (;;)
        pthread_cond_wait(&never, &lock);
    return NULL;
}

static void *execer(void *arg)
{
    (void)arg;
    usleep(100 * 1000);
    char *argv[] = {self, "stage2", NULL};
    execv(self, argv);
    perror("execv");
    _exit(1);
}

int main(int argc, char **argv)
{
    pthread_t t;
    if (argc > 1 && strcmp(argv[1], "stage2") == 0) {
        for (int i = 0; i < 2; i++)
            pthread_create(&t, NULL, stage2_waiter, NULL);
        usleep(100 * 1000);
        printf("ready\n");
        fflush(stdout);
        for (;;)
            pause();
    }
    self = argv[0];
    for (int i = 0; i < 3; i++)
        pthread_create(&t, NULL, stage1_waiter, NULL);
    pthread_create(&t, NULL, execer, NULL);
    for (;;)
        pause();
}
