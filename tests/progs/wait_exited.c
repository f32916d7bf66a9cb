/* 14 joinable threads that return at once and are never joined or
 * detached: exited, their stacks still reserved. */
#include "waits_common.h"

#define N 14

static void *exiting_worker(void *arg)
{
    return arg;
}

static void spawn_exiting_workers(void)
{
    for (int i = 0; i < TIMES(N); i++)
        start_thread(exiting_worker, NULL);
}

int main(void)
{
    spawn_exiting_workers();
    settle();
    ready();
    wait_forever();
}
