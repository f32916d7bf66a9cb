#define _GNU_SOURCE
/* A condvar wait whose mutex is held by a thread that is itself stuck:
 * "cond_waiter" waits on a condvar with mutex `guard`; "stuck_holder" then
 * takes `guard` and blocks on `gate`, which main holds forever, so nobody
 * can ever signal. Main prints "ready" and waits in pause(). */
#include "waits_common.h"

static pthread_mutex_t guard = PTHREAD_MUTEX_INITIALIZER, gate = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ready_cv = PTHREAD_COND_INITIALIZER;
static int done;

static void *cond_waiter(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&guard);
    while (!done)
        pthread_cond_wait(&ready_cv, &guard);
    pthread_mutex_unlock(&guard);
    return NULL;
}

static void *stuck_holder(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "holder");
    pthread_mutex_lock(&guard);
    pthread_mutex_lock(&gate);
    done = 1;
    pthread_cond_signal(&ready_cv);
    pthread_mutex_unlock(&guard);
    return NULL;
}

int main(void)
{
    pthread_mutex_lock(&gate);
    start_thread(cond_waiter, NULL);
    settle();
    start_thread(stuck_holder, NULL);
    settle();
    print_object("mutex", &guard);
    print_object("gate", &gate);
    ready();
    wait_forever();
}
