/* Leak: one thread every 20-50 ms for 3 s (argv[2] ms), each blocked
 * forever in leaky_worker, created by handle_request. argv[1]: how it ends. */
#include <pthread.h>

#include "cli_common.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;

static void *leaky_worker(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&mu);
    for (;;)
        pthread_cond_wait(&never, &mu);
    return NULL;
}

static void handle_request(void)
{
    pthread_t t;
    pthread_create(&t, NULL, leaky_worker, NULL);
    pthread_detach(t);
}

int main(int argc, char **argv)
{
    long run_ms = argc > 2 ? atol(argv[2]) : 3000;
    unsigned seed = 42;
    long end = cli_now_ms() + run_ms;
    while (cli_now_ms() < end) {
        handle_request();
        cli_sleep_ms(20 + rand_r(&seed) % 31);
    }
    return cli_end(argc > 1 ? argv[1] : NULL);
}
