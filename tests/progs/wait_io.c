/* 12 threads blocked in read() on a pipe nobody writes to. */
#include "waits_common.h"

#define N 12
static int fds[2];

static void *io_reader(void *arg)
{
    (void)arg;
    char c;
    while (read(fds[0], &c, 1) == -1 && errno == EINTR) {
    }
    return NULL;
}

static void spawn_io_readers(void)
{
    for (int i = 0; i < TIMES(N); i++)
        start_thread(io_reader, NULL);
}

int main(void)
{
    if (pipe(fds)) die("pipe", errno);
    spawn_io_readers();
    settle();
    ready();
    wait_forever();
}
