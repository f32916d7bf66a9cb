/* A daemon that closes every descriptor above stderr, opens four data files
 * and then starts a thread through a hand-made trampoline in an mmap'd page
 * (code without unwind information, as JIT code is). A creation-stack
 * unwinder that probes memory through descriptors of its own would read,
 * write or close the program's files here. Prints each file's content and
 * offset, and the fds a new open() gets: the same bare and preloaded. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

typedef int (*create_fn)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);

static void *worker(void *arg)
{
    return arg;
}

/* sub rsp,8; movabs rax,<pthread_create>; call rax; add rsp,8; ret */
static create_fn make_trampoline(void)
{
    unsigned char *code =
        mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    uint64_t target = (uint64_t)(uintptr_t)pthread_create;
    unsigned char head[] = {0x48, 0x83, 0xec, 0x08, 0x48, 0xb8};
    unsigned char tail[] = {0xff, 0xd0, 0x48, 0x83, 0xc4, 0x08, 0xc3};
    memcpy(code, head, sizeof head);
    memcpy(code + sizeof head, &target, 8);
    memcpy(code + sizeof head + 8, tail, sizeof tail);
    mprotect(code, 4096, PROT_READ | PROT_EXEC);
    return (create_fn)(void *)code;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    pthread_t t;
    pthread_create(&t, NULL, worker, NULL); /* a first thread: whatever it opens, opens now */
    pthread_join(t, NULL);
    for (int fd = 3; fd < 1024; fd++)
        close(fd);
    int fds[4];
    for (int i = 0; i < 4; i++) {
        char path[600];
        snprintf(path, sizeof path, "%s.%d", argv[1], i);
        fds[i] = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
        if (write(fds[i], "DDDD", 4) != 4)
            return 3;
        lseek(fds[i], 0, SEEK_SET);
    }
    create_fn create = make_trampoline();
    for (int i = 0; i < 20; i++) {
        if (create(&t, NULL, worker, NULL) != 0)
            return 4;
        pthread_join(t, NULL);
    }
    for (int i = 0; i < 4; i++) {
        char buf[16] = {0};
        ssize_t n = pread(fds[i], buf, sizeof buf - 1, 0);
        for (ssize_t k = 0; k < n; k++)
            if (buf[k] < 32 || buf[k] > 126)
                buf[k] = '.';
        printf("file %d: fd %d, %zd bytes \"%s\", offset %ld\n", i, fds[i], n, n > 0 ? buf : "",
               (long)lseek(fds[i], 0, SEEK_CUR));
    }
    int next = open("/dev/null", O_RDONLY);
    printf("next open: fd %d\n", next);
    return 0;
}
