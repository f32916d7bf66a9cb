/* 8 threads blocked in syscall(SYS_futex, FUTEX_WAIT) on a word that
 * stays 0 (the way libstdc++'s std::future and atomic::wait block). */
#include <linux/futex.h>
#include <sys/syscall.h>

#include "waits_common.h"

#define N 8
static int word;

static void *futex_waiter(void *arg)
{
    (void)arg;
    while (__atomic_load_n(&word, __ATOMIC_ACQUIRE) == 0)
        syscall(SYS_futex, &word, FUTEX_WAIT, 0, NULL, NULL, 0);
    return NULL;
}

static void spawn_futex_waiters(void)
{
    for (int i = 0; i < TIMES(N); i++)
        start_thread(futex_waiter, NULL);
}

int main(void)
{
    spawn_futex_waiters();
    settle();
    print_object("object", &word);
    ready();
    wait_forever();
}
