/* What a program sees in its own descriptor table: printed before any
 * thread, after a dump made while it is single-threaded, after its first
 * thread starts (threadleak's sampler with it), after a dump, and the
 * number its next open() gets. The same bare and preloaded (dumps through
 * the API when it is there). */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void list(const char *when)
{
    DIR *d = opendir("/proc/self/fd");
    printf("%s:", when);
    for (struct dirent *e; d && (e = readdir(d));)
        if (e->d_name[0] != '.' && atoi(e->d_name) != dirfd(d))
            printf(" %s", e->d_name);
    printf("\n");
    if (d)
        closedir(d);
}

static void dump(const char *stem)
{
    int (*api)(const char *, const char *) =
        (int (*)(const char *, const char *))dlsym(RTLD_DEFAULT, "threadleak_dump");
    if (api && api(stem, "text,json") != 0)
        printf("dump failed\n");
}

static void *idle(void *arg)
{
    (void)arg;
    pause();
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    char stem[600];
    list("start");
    snprintf(stem, sizeof stem, "%s.single", argv[1]);
    dump(stem);
    list("after a single-threaded dump");
    pthread_t t;
    pthread_create(&t, NULL, idle, NULL);
    usleep(100 * 1000);
    list("with a thread");
    snprintf(stem, sizeof stem, "%s.threads", argv[1]);
    dump(stem);
    list("after a dump");
    printf("next open: fd %d\n", open("/dev/null", O_RDONLY));
    fflush(stdout);
    return 0;
}
