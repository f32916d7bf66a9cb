/* Memory per tracked thread, for `make bench`: starts THREADS threads
 * (64 KiB stacks) blocked on one condition variable, all created from one
 * call site and blocked at one call site (so threadleak interns one
 * creation stack for all of them and unwinds nothing: no dump is asked
 * for), then prints the process's resident set size:
 *
 *   mem_threads THREADS   ->  "rss_kib N" and "slot_bytes S"
 *
 * The runner takes the RSS at two thread counts, bare and preloaded, and
 * divides the growth difference by the thread-count difference, which
 * cancels every fixed cost (the library, libunwind, libdw, the sampler).
 * slot_bytes is sizeof(struct tl_slot), the registry's per-thread record. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "preload/registry.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static pthread_cond_t ready_cv = PTHREAD_COND_INITIALIZER;
static int released, n_blocked;

static void *worker(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&mu);
    n_blocked++;
    pthread_cond_signal(&ready_cv);
    while (!released)
        pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
    return NULL;
}

static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/smaps_rollup", "r");
    if (!f)
        return -1;
    char line[256];
    long kib = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "Rss: %ld kB", &kib) == 1)
            break;
    fclose(f);
    return kib;
}

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 0;
    if (threads < 1) {
        fprintf(stderr, "usage: mem_threads THREADS\n");
        return 2;
    }
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 64 << 10);
    pthread_t *t = calloc((size_t)threads, sizeof *t);
    if (!t)
        return 1;
    for (int i = 0; i < threads; i++) {
        int rc = pthread_create(&t[i], &attr, worker, NULL);
        if (rc != 0) {
            fprintf(stderr, "mem_threads: pthread_create %d of %d: %s\n", i + 1, threads,
                    strerror(rc));
            return 1;
        }
    }
    pthread_mutex_lock(&mu);
    while (n_blocked < threads)
        pthread_cond_wait(&ready_cv, &mu);
    pthread_mutex_unlock(&mu);
    printf("rss_kib %ld\nslot_bytes %zu\n", rss_kib(), sizeof(struct tl_slot));
    pthread_mutex_lock(&mu);
    released = 1;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    for (int i = 0; i < threads; i++)
        pthread_join(t[i], NULL);
    free(t);
    return 0;
}
