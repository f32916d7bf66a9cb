/* 11 threads sleeping in sleep(). */
#include "waits_common.h"

#define N 11

static void *sleeper(void *arg)
{
    (void)arg;
    for (;;)
        sleep(1000);
    return NULL;
}

static void spawn_sleepers(void)
{
    for (int i = 0; i < TIMES(N); i++)
        start_thread(sleeper, NULL);
}

int main(void)
{
    spawn_sleepers();
    settle();
    ready();
    wait_forever();
}
