/* Slow leak: one thread a second (blocked forever in slow_session), for
 * argv[2] ms (default a minute), among short-lived worker threads that come
 * and go; argv[1]: how it ends. For make stress. */
#include <pthread.h>

#include "cli_common.h"

static void *slow_session(void *arg)
{
    (void)arg;
    for (;;)
        pause();
    return NULL;
}

static void *short_job(void *arg)
{
    cli_sleep_ms((long)(size_t)arg);
    return NULL;
}

static void open_session(void)
{
    pthread_t t;
    pthread_create(&t, NULL, slow_session, NULL);
    pthread_detach(t);
}

int main(int argc, char **argv)
{
    long start = cli_now_ms(), end = start + (argc > 2 ? atol(argv[2]) : 60000), next = start;
    unsigned seed = 1;
    while (cli_now_ms() < end) {
        if (cli_now_ms() >= next) {
            open_session();
            next += 1000;
        }
        pthread_t jobs[8];
        int n = rand_r(&seed) % 8;
        for (int i = 0; i < n; i++)
            pthread_create(&jobs[i], NULL, short_job, (void *)(size_t)(rand_r(&seed) % 100));
        for (int i = 0; i < n; i++)
            pthread_join(jobs[i], NULL);
        cli_sleep_ms(50);
    }
    return cli_end(argc > 1 ? argv[1] : NULL);
}
