/* Clean programs, by argv[1]:
 *   idle   a fixed pool of 8 idle threads for the whole run
 *   ramp   a pool that grows by one thread every 40 ms to 24 (warm-up), then stays flat
 *   bursts bursts of 40 threads that finish within ~100 ms, every 300 ms
 *   noisy  a flat baseline of 6 plus 0-15 short-lived threads at any moment
 *   batch  a batch pool: 30 threads started one every 40 ms, all joined, every 1.5 s
 * argv[2]: run time in ms (default 3000). Every thread is joined at the end. */
#include <pthread.h>
#include <stdatomic.h>

#include "cli_common.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int stopping;

static void *pool_worker(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&mu);
    while (!stopping)
        pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
    return NULL;
}

static void *short_task(void *arg)
{
    cli_sleep_ms((long)(size_t)arg);
    return NULL;
}

static pthread_t pool[64];
static int n_pool;

static void grow_pool(void)
{
    pthread_create(&pool[n_pool++], NULL, pool_worker, NULL);
}

static void stop_pool(void)
{
    pthread_mutex_lock(&mu);
    stopping = 1;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    for (int i = 0; i < n_pool; i++)
        pthread_join(pool[i], NULL);
}

static void burst(int n, unsigned *seed)
{
    pthread_t t[64];
    for (int i = 0; i < n; i++)
        pthread_create(&t[i], NULL, short_task, (void *)(size_t)(50 + rand_r(seed) % 50));
    for (int i = 0; i < n; i++)
        pthread_join(t[i], NULL);
}

/* noisy: a ring of short-lived threads, some joined every tick */
static void noisy(long end, unsigned *seed)
{
    pthread_t ring[256];
    int head = 0, tail = 0;
    while (cli_now_ms() < end) {
        int want = rand_r(seed) % 4;
        for (int i = 0; i < want && (head + 1) % 256 != tail; i++) {
            pthread_create(&ring[head], NULL, short_task, (void *)(size_t)(rand_r(seed) % 200));
            head = (head + 1) % 256;
        }
        int reap = rand_r(seed) % 5;
        for (int i = 0; i < reap && tail != head; i++) {
            pthread_join(ring[tail], NULL);
            tail = (tail + 1) % 256;
        }
        cli_sleep_ms(20);
    }
    while (tail != head) {
        pthread_join(ring[tail], NULL);
        tail = (tail + 1) % 256;
    }
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "idle";
    long end = cli_now_ms() + (argc > 2 ? atol(argv[2]) : 3000);
    unsigned seed = 7;
    if (strcmp(mode, "idle") == 0) {
        for (int i = 0; i < 8; i++)
            grow_pool();
        while (cli_now_ms() < end)
            cli_sleep_ms(50);
    } else if (strcmp(mode, "ramp") == 0) {
        while (cli_now_ms() < end) {
            if (n_pool < 24)
                grow_pool();
            cli_sleep_ms(40);
        }
    } else if (strcmp(mode, "bursts") == 0) {
        for (int i = 0; i < 4; i++)
            grow_pool();
        while (cli_now_ms() < end) {
            burst(40, &seed);
            cli_sleep_ms(200);
        }
    } else if (strcmp(mode, "batch") == 0) {
        while (cli_now_ms() < end) {
            pthread_t t[30];
            long cycle = cli_now_ms() + 1500;
            for (int i = 0; i < 30; i++) {
                pthread_create(&t[i], NULL, short_task, (void *)(size_t)(1300 - 40 * i));
                cli_sleep_ms(40);
            }
            for (int i = 0; i < 30; i++)
                pthread_join(t[i], NULL);
            if (cycle > cli_now_ms()) /* a slow machine may have overrun the cycle */
                cli_sleep_ms(cycle - cli_now_ms());
        }
    } else if (strcmp(mode, "noisy") == 0) {
        for (int i = 0; i < 6; i++)
            grow_pool();
        noisy(end, &seed);
    } else {
        fprintf(stderr, "cli_clean: unknown mode %s\n", mode);
        return 64;
    }
    stop_pool();
    return 0;
}
