/* Prints how many threads the process has, as the kernel counts them,
 * before and after it starts a thread of its own: "before N", "after N",
 * then "ready". A single-threaded program must stay single-threaded under
 * the preload: glibc and the kernel take slower paths for two threads. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int threads_now(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    int n = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "Threads: %d", &n) == 1)
            break;
    if (f)
        fclose(f);
    return n;
}

static void *idle_worker(void *arg)
{
    (void)arg;
    for (;;)
        pause();
    return NULL;
}

int main(void)
{
    usleep(100 * 1000);
    printf("before %d\n", threads_now());
    pthread_t t;
    pthread_create(&t, NULL, idle_worker, NULL);
    usleep(100 * 1000);
    printf("after %d\n", threads_now());
    printf("ready\n");
    fflush(stdout);
    for (;;)
        pause();
}
