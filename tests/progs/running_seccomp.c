/* For tests/test_running.c: a thread that puts itself in seccomp's strict
 * mode (read, write, exit and sigreturn only; any other system call kills
 * the process) and spins, beside an ordinary spinner.
 * Prints "ready"; at SIGTERM prints "alive 1" and exits. */
#define _GNU_SOURCE
#include <linux/seccomp.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/prctl.h>

#include "running_common.h"

static volatile int strict;

static void *strict_spinner(void *arg)
{
    (void)arg;
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT) != 0)
        return NULL;
    strict = 1;
    while (!stop) /* no clock_gettime: strict mode disables the TSC the vDSO reads */
        sink++;
    /* exit() is all that is left: the thread's own, not glibc's */
    __asm__ volatile("syscall" ::"a"(60), "D"(0) : "rcx", "r11", "memory");
    __builtin_unreachable();
}

int main(void)
{
    block_term(0);
    pthread_t a, b;
    pthread_create(&a, NULL, strict_spinner, NULL);
    pthread_create(&b, NULL, spinner, NULL);
    while (!strict)
        ;
    printf("ready\n");
    fflush(stdout);
    wait_for_term(60000);
    pthread_join(b, NULL);
    printf("alive 1\n");
    fflush(stdout);
    return 0;
}
