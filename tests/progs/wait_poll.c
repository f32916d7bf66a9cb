/* 13 threads blocked in poll() without a timeout on a pipe nobody writes to. */
#include <poll.h>

#include "waits_common.h"

#define N 13
static int fds[2];

static void *poll_waiter(void *arg)
{
    (void)arg;
    struct pollfd p = {.fd = fds[0], .events = POLLIN};
    while (poll(&p, 1, -1) == -1 && errno == EINTR) {
    }
    return NULL;
}

static void spawn_poll_waiters(void)
{
    for (int i = 0; i < TIMES(N); i++)
        start_thread(poll_waiter, NULL);
}

int main(void)
{
    if (pipe(fds)) die("pipe", errno);
    spawn_poll_waiters();
    settle();
    ready();
    wait_forever();
}
