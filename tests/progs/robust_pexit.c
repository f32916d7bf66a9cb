/* A process ends when its last thread ends, whoever that is:
 *   robust_pexit main      main starts 2 threads and calls pthread_exit;
 *                          the threads finish 200 ms later: exit status 0.
 *   robust_pexit fork      a thread forks; in the child that thread (the
 *                          child's only one) returns from its start
 *                          function; the parent waits for the child (up to
 *                          5 s), prints "child <status>" and exits 0 if it
 *                          ended with 0.
 *   robust_pexit forkexit  the same with pthread_exit in the child. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int use_exit;

static void *short_lived(void *arg)
{
    (void)arg;
    usleep(200 * 1000);
    return NULL;
}

static void *fork_and_return(void *arg)
{
    (void)arg;
    pid_t pid = fork();
    if (pid == 0) {
        if (use_exit)
            pthread_exit(NULL);
        return NULL; /* the child's last thread ends: the child exits 0 */
    }
    int st = -1;
    for (int i = 0; i < 500; i++) {
        if (waitpid(pid, &st, WNOHANG) == pid)
            break;
        st = -1;
        usleep(10 * 1000);
    }
    printf("child %d\n", st);
    return (void *)(long)(st == 0 ? 0 : 1);
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "main";
    pthread_t t;
    if (!strcmp(mode, "main")) {
        for (int i = 0; i < 2; i++)
            pthread_create(&t, NULL, short_lived, NULL);
        pthread_exit(NULL);
    }
    use_exit = !strcmp(mode, "forkexit");
    void *ret;
    pthread_create(&t, NULL, fork_and_return, NULL);
    pthread_join(t, &ret);
    return ret ? 1 : 0;
}
