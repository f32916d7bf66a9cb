/* For tests/test_running.c: threads that loop on calls which fail with
 * EINTR when a signal handler runs, even under SA_RESTART, with a little
 * busy work between calls (so that they are often running in user space
 * when a dump looks at them):
 *   wrapped by threadleak   poll, nanosleep, epoll_wait, select, sigtimedwait
 *   raw, through syscall()  SYS_nanosleep, SYS_poll
 *   not wrapped (the C library's own system call instructions)
 *                           semtimedop, mq_timedreceive
 * and two pairs whose waiter must be woken every time (a lost wake-up is a
 * wait that times out although the other thread posted): poll on a pipe,
 * semtimedop on a SysV semaphore.
 * argv[1]: how long to run, in ms (SIGTERM ends it sooner). Prints "ready",
 * then at the end "eintr N" (calls that failed with EINTR), "lost N",
 * "siginfo N" (whether the SIGUSR1 handler, if any, takes SA_SIGINFO), and
 * "calls N" (how many calls were made) on stderr. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/sem.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "running_common.h"

static long eintr, lost, calls;
static int ep, sem_id, pipefd[2];
static mqd_t mq;

static void count(long rc)
{
    __atomic_add_fetch(&calls, 1, __ATOMIC_RELAXED);
    if (rc == -1 && errno == EINTR)
        __atomic_add_fetch(&eintr, 1, __ATOMIC_RELAXED);
}

static const struct timespec ms1 = {0, 1000000};

static long one_call(int kind)
{
    struct epoll_event ev;
    struct timeval tv = {0, 1000};
    struct timespec ts = ms1, abs;
    sigset_t usr2;
    struct sembuf zero = {1, 0, 0}; /* waits for semaphore 1 (kept at 1) to be 0 */
    char buf[64];
    switch (kind) {
    case 0:
        return poll(NULL, 0, 1);
    case 1:
        return nanosleep(&ts, NULL);
    case 2:
        return epoll_wait(ep, &ev, 1, 1);
    case 3:
        return select(0, NULL, NULL, NULL, &tv);
    case 4:
        sigemptyset(&usr2);
        sigaddset(&usr2, SIGUSR2);
        return sigtimedwait(&usr2, NULL, &ts);
    case 5:
        return syscall(SYS_nanosleep, &ts, NULL);
    case 6:
        return syscall(SYS_poll, NULL, 0, 1);
    case 7:
        return semtimedop(sem_id, &zero, 1, &ts);
    default:
        clock_gettime(CLOCK_REALTIME, &abs);
        abs.tv_nsec += 1000000;
        if (abs.tv_nsec >= 1000000000)
            abs.tv_sec++, abs.tv_nsec -= 1000000000;
        return mq_timedreceive(mq, buf, sizeof buf, NULL, &abs);
    }
}

static void *caller(void *arg)
{
    int kind = (int)(long)arg;
    while (!stop) {
        count(one_call(kind));
        spin_here(300);
    }
    return NULL;
}

/* Waiters: each post must wake them well within the 5 s they wait. */
static void *pipe_waiter(void *arg)
{
    (void)arg;
    while (!stop) {
        struct pollfd p = {pipefd[0], POLLIN, 0};
        int rc = poll(&p, 1, 5000);
        count(rc);
        char c;
        if (rc == 0 && !stop)
            __atomic_add_fetch(&lost, 1, __ATOMIC_RELAXED);
        else if (rc == 1 && read(pipefd[0], &c, 1) != 1)
            exit(3);
        spin_here(200);
    }
    return NULL;
}

static void *sem_waiter(void *arg)
{
    (void)arg;
    while (!stop) {
        struct sembuf down = {0, -1, 0};
        struct timespec five = {5, 0};
        long rc = semtimedop(sem_id, &down, 1, &five);
        count(rc);
        if (rc == -1 && errno == EAGAIN && !stop)
            __atomic_add_fetch(&lost, 1, __ATOMIC_RELAXED);
        spin_here(200);
    }
    return NULL;
}

static void *poster(void *arg)
{
    (void)arg;
    while (!stop) {
        struct sembuf up = {0, 1, 0};
        if (write(pipefd[1], "x", 1) != 1 || semop(sem_id, &up, 1) != 0)
            exit(4);
        struct timespec ms2 = {0, 2000000};
        while (nanosleep(&ms2, &ms2) != 0 && errno == EINTR)
            ;
    }
    /* the waiters are let go */
    struct sembuf up = {0, 4, 0};
    if (write(pipefd[1], "xxxx", 4) != 4 || semop(sem_id, &up, 1) != 0)
        exit(4);
    return NULL;
}

int main(int argc, char **argv)
{
    long ms = argc > 1 ? atol(argv[1]) : 1000;
    block_term(SIGUSR2);
    ep = epoll_create1(0);
    sem_id = semget(IPC_PRIVATE, 2, 0600);
    struct sembuf one = {1, 1, 0};
    char name[64];
    snprintf(name, sizeof name, "/running_eintr.%d", (int)getpid());
    struct mq_attr attr = {.mq_maxmsg = 1, .mq_msgsize = 64};
    mq = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &attr);
    if (ep < 0 || sem_id < 0 || semop(sem_id, &one, 1) != 0 || mq == (mqd_t)-1 ||
        pipe(pipefd) != 0) {
        perror("setup");
        return 2;
    }
    mq_unlink(name);
    pthread_t t[13];
    int n = 0;
    for (long k = 0; k < 9; k++)
        pthread_create(&t[n++], NULL, caller, (void *)k);
    pthread_create(&t[n++], NULL, pipe_waiter, NULL);
    pthread_create(&t[n++], NULL, sem_waiter, NULL);
    pthread_create(&t[n++], NULL, poster, NULL);
    printf("ready\n");
    fflush(stdout);
    wait_for_term(ms);
    for (int i = 0; i < n; i++)
        pthread_join(t[i], NULL);
    semctl(sem_id, 0, IPC_RMID);
    struct sigaction cur;
    sigaction(SIGUSR1, NULL, &cur);
    printf("eintr %ld\nlost %ld\nsiginfo %d\n", eintr, lost, (cur.sa_flags & SA_SIGINFO) != 0);
    fprintf(stderr, "calls %ld\n", calls);
    return 0;
}
