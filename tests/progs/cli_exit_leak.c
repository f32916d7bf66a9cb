/* Leak at exit only: three threads started at once and left blocked in
 * forgotten_listener when main returns; the count is flat all along. */
#include <pthread.h>

#include "cli_common.h"

static void *forgotten_listener(void *arg)
{
    (void)arg;
    for (;;)
        pause();
    return NULL;
}

static void start_listeners(int n)
{
    for (int i = 0; i < n; i++) {
        pthread_t t;
        pthread_create(&t, NULL, forgotten_listener, NULL);
    }
}

int main(int argc, char **argv)
{
    start_listeners(3);
    cli_sleep_ms(argc > 2 ? atol(argv[2]) : 1500);
    return cli_end(argc > 1 ? argv[1] : NULL);
}
