/* A daemon whose thread keeps closing every descriptor above stderr and
 * reopening its data file (which takes the lowest free number, maybe one
 * threadleak just opened) while the main thread asks for dumps: through
 * the API (argv[2] of them, to the stem argv[3]) and by signal. Bare it does
 * the same without dumps. Prints how many API dumps failed and how many
 * bytes of the data file are not its own. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *data;
static int stop, rounds;

static void *closer(void *arg)
{
    (void)arg;
    while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
        for (int fd = 3; fd < 256; fd++)
            close(fd);
        int fd = open(data, O_WRONLY | O_APPEND | O_CREAT, 0600);
        if (fd >= 0 && write(fd, "x\n", 2) != 2)
            abort();
        rounds++;
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 4)
        return 2;
    data = argv[1];
    int n = atoi(argv[2]);
    unlink(data);
    pthread_t t;
    pthread_create(&t, NULL, closer, NULL);
    int (*dump)(const char *, const char *) =
        (int (*)(const char *, const char *))dlsym(RTLD_DEFAULT, "threadleak_dump");
    int failed = 0;
    for (int i = 0; i < n; i++) {
        if (dump) {
            char stem[600];
            snprintf(stem, sizeof stem, "%s.%d", argv[3], i);
            failed += dump(stem, "json") != 0;
            if (i % 10 == 0)
                kill(getpid(), SIGUSR1);
        } else {
            usleep(1000);
        }
    }
    usleep(100 * 1000);
    __atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
    pthread_join(t, NULL);
    FILE *f = fopen(data, "r");
    long foreign = 0, pos = 0;
    for (int c; f && (c = fgetc(f)) != EOF; pos++)
        foreign += c != (pos % 2 ? '\n' : 'x');
    printf("api dumps failed %d\n", failed);
    printf("foreign bytes %ld\n", foreign);
    printf("closer rounds %s\n", rounds > 10 ? "many" : "few");
    return 0;
}
