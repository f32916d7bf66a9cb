/* For tests/test_running.c: a program that uses SIGUSR1 itself, without a
 * handler: one thread takes it with sigwaitinfo(), another sends it there
 * with tgkill() and waits for each to be taken before the next; a third
 * thread spins with the signal deliverable (threadleak's to capture).
 * Prints "ready"; at SIGTERM prints "sent N", "taken N", "foreign N"
 * (signals taken that the program did not send) and "lost N" (sent, not
 * taken within 2 s). */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "running_common.h"

static pid_t waiter_tid;
static long sent, taken, foreign, lost;
static volatile int sender_done;

static void *waiter(void *arg)
{
    (void)arg;
    __atomic_store_n(&waiter_tid, gettid(), __ATOMIC_RELEASE);
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    struct timespec t = {0, 100000000};
    while (!sender_done) {
        siginfo_t si;
        if (sigtimedwait(&usr1, &si, &t) != SIGUSR1)
            continue;
        /* glibc's sigtimedwait() reports tgkill()'s SI_TKILL as SI_USER */
        if ((si.si_code == SI_TKILL || si.si_code == SI_USER) && si.si_pid == getpid())
            __atomic_add_fetch(&taken, 1, __ATOMIC_RELEASE);
        else
            __atomic_add_fetch(&foreign, 1, __ATOMIC_RELAXED);
    }
    return NULL;
}

static void *sender(void *arg)
{
    (void)arg;
    while (!__atomic_load_n(&waiter_tid, __ATOMIC_ACQUIRE))
        usleep(1000);
    while (!stop) {
        if (syscall(SYS_tgkill, getpid(), waiter_tid, SIGUSR1) != 0)
            break;
        sent++;
        long until = running_now_us() + 2000000;
        while (__atomic_load_n(&taken, __ATOMIC_ACQUIRE) < sent && running_now_us() < until)
            usleep(100);
        if (__atomic_load_n(&taken, __ATOMIC_ACQUIRE) < sent) {
            lost++;
            sent--; /* counted once, not again at each later one */
        }
        spin_here(300);
    }
    sender_done = 1;
    return NULL;
}

static void *open_spinner(void *arg)
{
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    pthread_sigmask(SIG_UNBLOCK, &usr1, NULL);
    return spinner(arg);
}

int main(void)
{
    block_term(SIGUSR1);
    pthread_t t[3];
    pthread_create(&t[0], NULL, waiter, NULL);
    pthread_create(&t[1], NULL, sender, NULL);
    pthread_create(&t[2], NULL, open_spinner, NULL);
    printf("ready\n");
    fflush(stdout);
    wait_for_term(60000);
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    printf("sent %ld\ntaken %ld\nforeign %ld\nlost %ld\n", sent, taken, foreign, lost);
    return 0;
}
