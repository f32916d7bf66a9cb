/* For tests/test_running.c: two threads that spin in spin_here (called by
 * spinner), main joins one. Prints "ready"; ends at SIGTERM. */
#include <pthread.h>
#include <stdio.h>

#include "running_common.h"

int main(void)
{
    block_term(0);
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, spinner, NULL);
    printf("ready\n");
    fflush(stdout);
    wait_for_term(60000);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    return 0;
}
