/* For tests/test_running.c: a thread spinning on a 64 KiB stack of the
 * program's own (pthread_attr_setstack) whose next 64 KiB above are
 * registered with userfaultfd, served by another thread that counts the
 * faults. Nothing of the program touches them: a fault there is someone
 * reading past the top of the stack. Prints "uffd 1" (0: userfaultfd
 * refused) and "ready"; at SIGTERM prints "faults N". */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "running_common.h"

#define SIZE (64 * 1024)

static int uffd = -1;
static long faults;

static void *server(void *arg)
{
    (void)arg;
    while (!stop) {
        struct pollfd p = {uffd, POLLIN, 0};
        if (poll(&p, 1, 100) <= 0)
            continue;
        struct uffd_msg m;
        if (read(uffd, &m, sizeof m) != sizeof m || m.event != UFFD_EVENT_PAGEFAULT)
            continue;
        faults++;
        struct uffdio_zeropage z = {{m.arg.pagefault.address & ~4095ull, 4096}, 0, 0};
        ioctl(uffd, UFFDIO_ZEROPAGE, &z);
    }
    return NULL;
}

static int watch(char *area)
{
    uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
    struct uffdio_api api = {.api = UFFD_API};
    struct uffdio_register reg = {{(uintptr_t)area, SIZE}, UFFDIO_REGISTER_MODE_MISSING, 0};
    return uffd >= 0 && ioctl(uffd, UFFDIO_API, &api) == 0 &&
           ioctl(uffd, UFFDIO_REGISTER, &reg) == 0;
}

int main(void)
{
    block_term(0);
    char *m = mmap(NULL, 2 * SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return 2;
    int ok = watch(m + SIZE);
    pthread_t s, t;
    if (ok)
        pthread_create(&s, NULL, server, NULL);
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setstack(&a, m, SIZE);
    pthread_create(&t, &a, spinner, NULL);
    printf("uffd %d\nready\n", ok);
    fflush(stdout);
    wait_for_term(60000);
    pthread_join(t, NULL);
    if (ok)
        pthread_join(s, NULL);
    printf("faults %ld\n", faults);
    return 0;
}
