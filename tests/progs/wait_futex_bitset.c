/* Futex waits the way Rust's std blocks: FUTEX_WAIT_BITSET|FUTEX_PRIVATE_FLAG,
 * 10 threads without a timeout and 2 with an absolute CLOCK_MONOTONIC
 * timeout an hour away. */
#include <linux/futex.h>
#include <stdint.h>
#include <sys/syscall.h>

#include "waits_common.h"

#define N 10
#define TIMED 2
static uint32_t word;
static uint32_t timed_word;

static void *bitset_waiter(void *arg)
{
    (void)arg;
    while (__atomic_load_n(&word, __ATOMIC_ACQUIRE) == 0)
        syscall(SYS_futex, &word, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, 0, NULL, NULL,
                FUTEX_BITSET_MATCH_ANY);
    return NULL;
}

static void *bitset_timed_waiter(void *arg)
{
    (void)arg;
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += 3600;
    while (__atomic_load_n(&timed_word, __ATOMIC_ACQUIRE) == 0)
        syscall(SYS_futex, &timed_word, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, 0, &deadline, NULL,
                FUTEX_BITSET_MATCH_ANY);
    return NULL;
}

static void spawn_bitset_waiters(void)
{
    for (int i = 0; i < TIMES(N); i++)
        start_thread(bitset_waiter, NULL);
    for (int i = 0; i < TIMES(TIMED); i++)
        start_thread(bitset_timed_waiter, NULL);
}

int main(void)
{
    spawn_bitset_waiters();
    settle();
    print_object("object", &word);
    print_object("timed_object", &timed_word);
    ready();
    wait_forever();
}
