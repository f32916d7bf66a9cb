/* Threads that end other ways than by returning, never joined: 3 call
 * pthread_exit from a nested function, 2 (C11) call thrd_exit, 4 are
 * cancelled by pthread_cancel while blocked in sleep(). All 9 are exited
 * unjoined; 1 more thread is cancelled and joined, so it is not. */
#include <threads.h>

#include "waits_common.h"

#define EXITERS 3
#define C11_EXITERS 2
#define CANCELLED 4

static void leave_thread(void)
{
    pthread_exit(NULL);
}

static void *pthread_exiter(void *arg)
{
    (void)arg;
    leave_thread();
    return NULL;
}

static int c11_exiter(void *arg)
{
    (void)arg;
    thrd_exit(0);
}

static void *cancel_target(void *arg)
{
    (void)arg;
    for (;;)
        sleep(1000);
    return NULL;
}

static void end_threads(void)
{
    for (int i = 0; i < TIMES(EXITERS); i++)
        start_thread(pthread_exiter, NULL);
    for (int i = 0; i < TIMES(C11_EXITERS); i++) {
        thrd_t t;
        if (thrd_create(&t, c11_exiter, NULL) != thrd_success) die("thrd_create", EAGAIN);
    }
    pthread_t cancelled[CANCELLED + 1];
    for (int i = 0; i < TIMES(CANCELLED + 1); i++)
        cancelled[i] = start_thread(cancel_target, NULL);
    settle();
    for (int i = 0; i < TIMES(CANCELLED + 1); i++)
        pthread_cancel(cancelled[i]);
    void *ret;
    int err = pthread_join(cancelled[CANCELLED], &ret);
    if (err || ret != PTHREAD_CANCELED)
        die("pthread_join of a cancelled thread", err ? err : EINVAL);
}

int main(void)
{
    end_threads();
    settle();
    ready();
    wait_forever();
}
