/* A program with a thread that closes its stderr early (as a daemon that
 * detaches from the pipe it was started on) and lives on. argv[1] "keep"
 * keeps stderr open instead. */
#include <pthread.h>
#include <string.h>
#include <unistd.h>

static void *idle(void *arg)
{
    (void)arg;
    pause();
    return NULL;
}

int main(int argc, char **argv)
{
    pthread_t t;
    pthread_create(&t, NULL, idle, NULL);
    usleep(300 * 1000); /* the sampler has started and taken its file table */
    static const char ready[] = "ready\n";
    if (write(STDERR_FILENO, ready, strlen(ready)) < 0)
        return 1;
    if (argc < 2 || strcmp(argv[1], "keep") != 0)
        close(STDERR_FILENO);
    sleep(4);
    return 0;
}
