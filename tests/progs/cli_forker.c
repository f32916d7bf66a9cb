/* Leak in a child process: the program itself is clean; it forks a child
 * that leaks a thread every 30 ms for 2.5 s, waits for it, and exits 0. */
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "cli_common.h"

static void *child_leaker(void *arg)
{
    (void)arg;
    for (;;)
        pause();
    return NULL;
}

static void child_main(void)
{
    long end = cli_now_ms() + 2500;
    while (cli_now_ms() < end) {
        pthread_t t;
        pthread_create(&t, NULL, child_leaker, NULL);
        pthread_detach(t);
        cli_sleep_ms(30);
    }
    _exit(0);
}

int main(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the test */
        child_main();
    }
    int st;
    waitpid(pid, &st, 0);
    return 0;
}
