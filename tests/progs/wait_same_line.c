/* Three call sites on one source line, as an unrolled loop leaves them:
 * the 3 threads must form one group, not three of one. They block in
 * sem_wait from one line too, at three call sites. */
#include <semaphore.h>

#include "waits_common.h"

static sem_t sem;

/* clang-format off */
static void *same_line_waiter(void *arg)
{
    if ((long)arg == 0) sem_wait(&sem); else if ((long)arg == 1) sem_wait(&sem); else sem_wait(&sem);
    return NULL;
}

static void spawn_same_line(void)
{
    start_thread(same_line_waiter, (void *)0); start_thread(same_line_waiter, (void *)1); start_thread(same_line_waiter, (void *)2);
}
/* clang-format on */

int main(void)
{
    sem_init(&sem, 0, 0);
    spawn_same_line();
    settle();
    ready();
    wait_forever();
}
