/* A thread cancelled while it runs threadleak_verify_none, then fork():
 * the API must not leave its dump lock held (fork would hang). Linked with
 * -lthreadleak. Prints "ready", then "forked <n>" after each round and
 * "done" at the end; an alarm kills it if a fork hangs. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <threadleak.h>
#include <unistd.h>

static void *idle_worker(void *arg)
{
    (void)arg;
    for (;;)
        pause();
    return NULL;
}

static void *checker(void *arg)
{
    (void)arg;
    FILE *devnull = fopen("/dev/null", "w");
    threadleak_options o = {.timeout_ms = 100000, .report = devnull};
    threadleak_verify_none(&o); /* finds the idle workers: retries until cancelled */
    return NULL;
}

int main(void)
{
    for (int i = 0; i < 50; i++) {
        pthread_t t;
        pthread_create(&t, NULL, idle_worker, NULL);
    }
    printf("ready\n");
    fflush(stdout);
    for (int round = 0; round < 20; round++) {
        pthread_t c;
        pthread_create(&c, NULL, checker, NULL);
        usleep(1000 + (useconds_t)(rand() % 10000));
        pthread_cancel(c);
        pthread_join(c, NULL);
        alarm(5);
        pid_t pid = fork();
        if (pid == 0)
            _exit(0);
        waitpid(pid, NULL, 0);
        alarm(0);
        printf("forked %d\n", round);
        fflush(stdout);
    }
    printf("done\n");
    fflush(stdout);
    return 0;
}
