/* A daemon's start-up: close every descriptor above stderr, then open its
 * own files, which take the lowest free numbers — maybe ones threadleak had
 * open. threadleak must never write into them, and must keep working: the
 * dump signal still writes a dump, the series still grows. Prints the size
 * of the daemon's own file when asked ("size N"), after a dump. */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static void *idle_worker(void *arg)
{
    (void)arg;
    for (;;)
        pause();
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    pthread_t t;
    pthread_create(&t, NULL, idle_worker, NULL);
    usleep(300 * 1000); /* the sampler has opened the series file by now */
    for (int fd = 3; fd < 1024; fd++)
        close(fd);
    int own[4];
    for (int i = 0; i < 4; i++)
        own[i] = open(argv[1], O_WRONLY | O_CREAT | O_APPEND, 0600);
    printf("ready\n");
    fflush(stdout);
    usleep(1500 * 1000); /* several sampler periods, and a dump */
    struct stat st;
    fstat(own[0], &st);
    printf("size %lld\n", (long long)st.st_size);
    fflush(stdout);
    for (;;)
        pause();
}
