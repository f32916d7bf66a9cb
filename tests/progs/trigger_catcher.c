/* For tests/test_trigger.c: a program whose signals and users a dump
 * request must not disturb. argv[1]:
 *   segv          catches SIGSEGV (as sanitizers do); 3 workers
 *   nobody-first  becomes uid/gid 65534 (argv[2]: another uid), then
 *                 starts 3 workers
 *   nobody-later  starts 3 workers, then becomes uid/gid 65534
 *   flap          starts 3 workers, then switches its effective uid between
 *                 65534 and 0 every 100 ms until SIGTERM
 *   single        never starts a thread; after argv[2] ms prints
 *                 "tasks N" (the kernel's count of its threads) and exits
 * The workers block in trigger_worker. Prints "ready" when set up, and at
 * SIGTERM "segv N" (how often its SIGSEGV handler ran) and exits 0. */
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static volatile sig_atomic_t segv_hits, stop;

static void on_segv(int sig)
{
    (void)sig;
    segv_hits++;
}

static void on_term(int sig)
{
    (void)sig;
    stop = 1;
}

static void *trigger_worker(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&mu);
    for (;;)
        pthread_cond_wait(&cv, &mu);
    return NULL;
}

static void start_workers(void)
{
    for (int i = 0; i < 3; i++) {
        pthread_t t;
        pthread_create(&t, NULL, trigger_worker, NULL);
    }
}

static void become(unsigned id)
{
    if (setgid(id) != 0 || setuid(id) != 0) {
        perror("setuid");
        exit(2);
    }
}

static int tasks(void)
{
    DIR *d = opendir("/proc/self/task");
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "segv";
    if (strcmp(mode, "single") == 0) {
        usleep((useconds_t)atoi(argc > 2 ? argv[2] : "1000") * 1000);
        printf("tasks %d\n", tasks());
        return 0;
    }
    signal(SIGTERM, on_term);
    if (strcmp(mode, "segv") == 0) {
        struct sigaction sa = {.sa_handler = on_segv};
        sigemptyset(&sa.sa_mask);
        sigaction(SIGSEGV, &sa, NULL);
    }
    if (strcmp(mode, "nobody-first") == 0)
        become(argc > 2 ? (unsigned)atoi(argv[2]) : 65534);
    start_workers();
    if (strcmp(mode, "nobody-later") == 0) {
        usleep(300 * 1000); /* the sampler has announced itself as root by now */
        become(65534);
    }
    printf("ready\n");
    fflush(stdout);
    for (int i = 0; !stop && strcmp(mode, "flap") == 0; i++) {
        if (seteuid(i % 2 ? 0 : 65534) != 0) {
            perror("seteuid");
            return 2;
        }
        usleep(100 * 1000);
    }
    while (!stop)
        pause();
    printf("segv %d\n", (int)segv_hits);
    fflush(stdout);
    return 0;
}
