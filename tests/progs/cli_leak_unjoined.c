/* Leak: joinable threads that finish at once but are never joined, one
 * every 30 ms for 3 s: live stays flat, exited-unjoined grows.
 * argv[1]: how it ends. */
#include <pthread.h>

#include "cli_common.h"

static void *quick_task(void *arg)
{
    return arg;
}

static void fire_and_forget(void)
{
    pthread_t t;
    pthread_create(&t, NULL, quick_task, NULL); /* never joined, never detached */
}

int main(int argc, char **argv)
{
    long end = cli_now_ms() + (argc > 2 ? atol(argv[2]) : 3000);
    while (cli_now_ms() < end) {
        fire_and_forget();
        cli_sleep_ms(30);
    }
    return cli_end(argc > 1 ? argv[1] : NULL);
}
