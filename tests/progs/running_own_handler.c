/* For tests/test_running.c: a program with its own SIGUSR1 handler (it
 * counts its calls) and a thread spinning in spin_here. Prints "ready";
 * at SIGTERM prints "usr1 N" and exits. */
#include <pthread.h>
#include <stdio.h>

#include "running_common.h"

static volatile sig_atomic_t usr1;

static void on_usr1(int sig)
{
    (void)sig;
    usr1++;
}

int main(void)
{
    block_term(0);
    struct sigaction sa = {0};
    sa.sa_handler = on_usr1;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    pthread_t t;
    pthread_create(&t, NULL, spinner, NULL);
    printf("ready\n");
    fflush(stdout);
    wait_for_term(60000);
    pthread_join(t, NULL);
    printf("usr1 %d\n", (int)usr1);
    return 0;
}
