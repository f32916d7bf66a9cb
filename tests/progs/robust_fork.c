/* fork from threads. The parent keeps 4 threads blocked in parent_blocker;
 * 3 forker threads each fork a child. Every child (whose only thread is
 * the forking one) starts 2 threads blocked in child_blocker and prints
 * "child <pid>", then waits in pause() for a dump signal. The parent prints
 * "ready" once every child has reported.
 *
 *   robust_fork            as above
 *   robust_fork many T F   T threads fork F children each, concurrently;
 *                          each child starts and joins a thread, raises the
 *                          dump signal and waits up to 10 s for its dump
 *                          file ($THREADLEAK_OUTPUT with %p, %n=1, .json)
 *                          to appear; exits 0 if it did. Prints "forks N
 *                          failed M" and exits 0 when M is 0. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;
static int report[2];

static void *parent_blocker(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    for (;;)
        pthread_cond_wait(&never, &lock);
    return NULL;
}

static void *child_blocker(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    for (;;)
        pthread_cond_wait(&never, &lock);
    return NULL;
}

static void child_main(void)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    /* The forking thread may have held nothing; the mutex is ours now. */
    pthread_t t;
    for (int i = 0; i < 2; i++)
        pthread_create(&t, NULL, child_blocker, NULL);
    struct timespec ts = {0, 100 * 1000 * 1000};
    nanosleep(&ts, NULL);
    char line[64];
    int n = snprintf(line, sizeof line, "child %d\n", (int)getpid());
    if (write(report[1], line, (size_t)n) != n)
        _exit(3);
    for (;;)
        pause();
}

static void *forker(void *arg)
{
    (void)arg;
    pid_t pid = fork();
    if (pid == 0)
        child_main();
    int st;
    while (waitpid(pid, &st, 0) == -1 && errno == EINTR) {
    }
    return NULL;
}

/* ---- many ---- */

static int many_forks;
static long failed, done;

static void *many_thread(void *arg)
{
    (void)arg;
    return NULL;
}

/* The path of dump 1 of process pid: $THREADLEAK_OUTPUT with %p, %n=1. */
static int dump_path(pid_t pid, char *path, size_t size)
{
    const char *stem = getenv("THREADLEAK_OUTPUT");
    if (!stem)
        return -1;
    size_t k = 0;
    for (const char *p = stem; *p && k < size - 32; p++) {
        if (p[0] == '%' && p[1] == 'p') {
            k += (size_t)snprintf(path + k, size - k, "%d", (int)pid);
            p++;
        } else if (p[0] == '%' && p[1] == 'n') {
            path[k++] = '1';
            p++;
        } else {
            path[k++] = *p;
        }
    }
    snprintf(path + k, size - k, ".json");
    return 0;
}

static int child_dump_check(void)
{
    pthread_t t;
    if (pthread_create(&t, NULL, many_thread, NULL) != 0 || pthread_join(t, NULL) != 0)
        return 2;
    char path[4096];
    if (dump_path(getpid(), path, sizeof path) != 0)
        return 4;
    raise(SIGUSR1);
    for (int i = 0; i < 1000; i++) {
        struct stat st;
        if (stat(path, &st) == 0)
            return 0;
        usleep(10000);
    }
    return 5;
}

static void *many_forker(void *arg)
{
    (void)arg;
    for (int i = 0; i < many_forks; i++) {
        pid_t pid = fork();
        if (pid == 0)
            _exit(child_dump_check());
        int st = 0;
        if (pid < 0) {
            __atomic_fetch_add(&failed, 1, __ATOMIC_RELAXED);
            continue;
        }
        while (waitpid(pid, &st, 0) == -1 && errno == EINTR) {
        }
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            fprintf(stderr, "child %d: status 0x%x\n", (int)pid, st);
            __atomic_fetch_add(&failed, 1, __ATOMIC_RELAXED);
        } else {
            /* pids wrap (pid_max may be 32768): keep the dump under a name
             * of its own before a later child gets the same pid */
            char path[4096], kept[4200];
            static long n;
            dump_path(pid, path, sizeof path);
            snprintf(kept, sizeof kept, "%s.%ld.json", path, __atomic_fetch_add(&n, 1, 0));
            if (rename(path, kept) != 0)
                __atomic_fetch_add(&failed, 1, __ATOMIC_RELAXED);
        }
        __atomic_fetch_add(&done, 1, __ATOMIC_RELAXED);
    }
    return NULL;
}

static int many(int threads, int forks)
{
    many_forks = forks;
    pthread_t *t = calloc((size_t)threads, sizeof *t);
    for (int i = 0; i < threads; i++)
        pthread_create(&t[i], NULL, many_forker, NULL);
    for (int i = 0; i < threads; i++)
        pthread_join(t[i], NULL);
    printf("forks %ld failed %ld\n", done, failed);
    free(t);
    return failed ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc > 3 && strcmp(argv[1], "many") == 0)
        return many(atoi(argv[2]), atoi(argv[3]));
    if (pipe(report) != 0)
        return 1;
    pthread_t t;
    for (int i = 0; i < 4; i++)
        pthread_create(&t, NULL, parent_blocker, NULL);
    for (int i = 0; i < 3; i++)
        pthread_create(&t, NULL, forker, NULL);
    char buf[256];
    size_t have = 0;
    int lines = 0;
    while (lines < 3) {
        ssize_t n = read(report[0], buf + have, sizeof buf - 1 - have);
        if (n <= 0)
            return 2;
        for (ssize_t i = 0; i < n; i++)
            lines += buf[have + (size_t)i] == '\n';
        have += (size_t)n;
    }
    buf[have] = 0;
    fputs(buf, stdout);
    printf("ready\n");
    fflush(stdout);
    for (;;)
        pause();
}
