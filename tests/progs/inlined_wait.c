/* A wait inside a function the compiler inlines (always_inline overrides
 * the test programs' -fno-inline): two threads block in pthread_mutex_lock
 * called from wait_inlined_helper, inlined into inlined_caller. Main holds
 * the mutex, prints "ready" and waits in pause(). */
#include "waits_common.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static inline __attribute__((always_inline)) void wait_inlined_helper(void)
{
    pthread_mutex_lock(&lock); /* the line of frame #0 */
    pthread_mutex_unlock(&lock);
}

static __attribute__((noinline)) void *inlined_caller(void *arg)
{
    (void)arg;
    wait_inlined_helper(); /* the line of frame #1 */
    return NULL;
}

int main(void)
{
    pthread_mutex_lock(&lock);
    for (int i = 0; i < TIMES(2); i++)
        start_thread(inlined_caller, NULL);
    settle();
    ready();
    wait_forever();
}
