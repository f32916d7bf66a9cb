/* Threads the preload library cannot see, next to some it can: 3 pthreads
 * wait in pthread_cond_wait (cond_waiter), and 2 threads started with a raw
 * clone() wait in a futex through an inline system call instruction
 * (raw_waiter): no wrapped entry point, so the library never hears of them
 * (Go's runtime and some JITs look like this). Prints "ready". */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static volatile int word, raw_started;

static void *cond_waiter(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    for (;;)
        pthread_cond_wait(&cond, &lock);
    return NULL;
}

/* No libc: the thread shares the creator's TLS, and must not touch errno. */
__attribute__((noinline)) static int raw_waiter(void *arg)
{
    (void)arg;
    __atomic_add_fetch(&raw_started, 1, __ATOMIC_SEQ_CST);
    for (;;) {
        register long r10 __asm__("r10") = 0;
        long ret;
        __asm__ volatile("syscall"
                         : "=a"(ret)
                         : "0"((long)SYS_futex), "D"(&word), "S"((long)FUTEX_WAIT_PRIVATE),
                           "d"(0L), "r"(r10)
                         : "rcx", "r11", "memory");
        (void)ret;
    }
    return 0;
}

int main(void)
{
    for (int i = 0; i < 3; i++) {
        pthread_t t;
        pthread_create(&t, NULL, cond_waiter, NULL);
    }
    for (int i = 0; i < 2; i++) {
        size_t size = 256 * 1024;
        char *stack = malloc(size);
        if (clone(raw_waiter, stack + size,
                  CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
                      CLONE_SYSVSEM,
                  NULL) < 0) {
            perror("clone");
            return 1;
        }
    }
    while (raw_started < 2)
        usleep(1000);
    usleep(300 * 1000);
    printf("ready\n");
    fflush(stdout);
    for (;;)
        pause();
}
