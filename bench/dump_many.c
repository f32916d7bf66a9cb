/* Dump cost for `make bench`: starts THREADS threads (64 KiB stacks) that
 * block on one condition variable from GROUPS (at most 50) distinct call
 * stacks, then times threadleak_dump() a first
 * time (every blocked stack unwound) and REPEAT more times (stacks cached
 * per block episode), then releases and joins every thread.
 *
 *   dump_many THREADS GROUPS REPEAT OUT_STEM [FORMATS]
 *
 * Prints "dump_first_ms X", "dump_repeat_ms X" (median of the repeats) and
 * "dump_groups N" (groups counted in the text dump, for checking). Run bare,
 * threadleak_dump is not there and it prints "dump unavailable". */
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static pthread_cond_t ready_cv = PTHREAD_COND_INITIALIZER;
static int released, n_blocked;
static int groups;
static volatile int sink;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void block_here(void)
{
    pthread_mutex_lock(&mu);
    n_blocked++;
    pthread_cond_signal(&ready_cv);
    while (!released)
        pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
}

/* A blocked-at stack is one of five leaf functions under 0-9 frames of
 * recursion: 50 distinct stacks, all within the default 32 kept frames.
 * The store after each call keeps the compiler from merging or
 * tail-calling them. */
#define LEAF(n)                                                                                    \
    __attribute__((noinline)) static void leaf##n(void)                                            \
    {                                                                                              \
        block_here();                                                                              \
        sink = n;                                                                                  \
    }
LEAF(0)
LEAF(1)
LEAF(2)
LEAF(3)
LEAF(4)
static void (*const leaves[5])(void) = {leaf0, leaf1, leaf2, leaf3, leaf4};

__attribute__((noinline)) static void descend(int depth, int leaf)
{
    if (depth == 0)
        leaves[leaf]();
    else
        descend(depth - 1, leaf);
    sink = depth;
}

static void *worker(void *arg)
{
    int g = (int)((intptr_t)arg % groups);
    descend(g / 5, g % 5);
    return NULL;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int count_groups(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char line[4096];
    int n = 0;
    while (fgets(line, sizeof line, f))
        if (strstr(line, " blocked in cond ") && line[0] >= '0' && line[0] <= '9')
            n++;
    fclose(f);
    return n;
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: dump_many THREADS GROUPS REPEAT OUT_STEM [FORMATS]\n");
        return 2;
    }
    int threads = atoi(argv[1]);
    groups = atoi(argv[2]);
    int repeat = atoi(argv[3]);
    const char *stem = argv[4];
    const char *formats = argc > 5 ? argv[5] : "text,json";
    if (threads < 1 || groups < 1 || groups > 50 || repeat < 1) {
        fprintf(stderr, "dump_many: THREADS and REPEAT must be positive, GROUPS 1-50\n");
        return 2;
    }
    int (*dump)(const char *, const char *) =
        (int (*)(const char *, const char *))dlsym(RTLD_DEFAULT, "threadleak_dump");

    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 64 << 10);
    pthread_t *t = calloc((size_t)threads, sizeof *t);
    if (!t)
        return 1;
    double t0 = now_ms();
    for (int i = 0; i < threads; i++) {
        int rc = pthread_create(&t[i], &attr, worker, (void *)(intptr_t)i);
        if (rc != 0) {
            fprintf(stderr, "dump_many: pthread_create %d of %d: %s\n", i + 1, threads,
                    strerror(rc));
            return 1;
        }
    }
    pthread_mutex_lock(&mu);
    while (n_blocked < threads)
        pthread_cond_wait(&ready_cv, &mu);
    pthread_mutex_unlock(&mu);
    printf("start_ms %.1f\n", now_ms() - t0);

    int status = 0;
    if (!dump) {
        printf("dump unavailable\n");
    } else {
        double *ms = calloc((size_t)repeat + 1, sizeof *ms);
        for (int i = 0; i <= repeat; i++) {
            double a = now_ms();
            int rc = dump(stem, formats);
            ms[i] = now_ms() - a;
            if (rc != 0) {
                fprintf(stderr, "dump_many: threadleak_dump: %s\n", strerror(-rc));
                status = 1;
                break;
            }
        }
        printf("dump_first_ms %.1f\n", ms[0]);
        qsort(ms + 1, (size_t)repeat, sizeof *ms, cmp_double);
        printf("dump_repeat_ms %.1f\n", ms[1 + repeat / 2]);
        char path[4096];
        snprintf(path, sizeof path, "%s.txt", stem);
        int g = strstr(formats, "text") ? count_groups(path) : groups;
        printf("dump_groups %d\n", g);
        if (g != groups) {
            fprintf(stderr, "dump_many: expected %d blocked groups in %s, found %d\n", groups, path,
                    g);
            status = 1;
        }
        free(ms);
    }

    pthread_mutex_lock(&mu);
    released = 1;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    for (int i = 0; i < threads; i++)
        pthread_join(t[i], NULL);
    free(t);
    return status;
}
