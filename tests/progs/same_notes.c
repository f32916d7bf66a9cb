/* same_notes CASE: a thread's wait note when a signal handler runs during
 * the wait, or leaves it with siglongjmp. Prints "ready" once the handler
 * has run; a dump must then show the thread where it really waits:
 *   altstack_above, altstack_below, same_stack: reader() blocked in read()
 *     while its handler (on an alternate stack above or below the thread's
 *     stack, or on the thread's stack) called write();
 *   longjmp_deeper, longjmp_shallower: the handler siglongjmp'ed out of
 *     read(), then cond_waiter() waits in pthread_cond_wait, called from
 *     deeper or shallower than read() was;
 *   longjmp_then_run: after siglongjmp out of read(), the thread runs
 *     deeper and waits in nothing threadleak wraps (a raw pause). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define STACK (1 << 20)
#define ALT (64 << 10)

static const char *mode;
static int data_pipe[2], handler_pipe[2];
static sigjmp_buf env;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;

static void on_usr2(int sig)
{
    (void)sig;
    if (!strncmp(mode, "longjmp", 7)) {
        write(handler_pipe[1], "h", 1);
        siglongjmp(env, 1);
    }
    write(handler_pipe[1], "h", 1);
}

static __attribute__((noinline)) void reader(void)
{
    char c;
    read(data_pipe[0], &c, 1);
}

static __attribute__((noinline, noreturn)) void cond_waiter(void)
{
    pthread_mutex_lock(&mu);
    for (;;)
        pthread_cond_wait(&cv, &mu);
}

static __attribute__((noinline, noreturn)) void runner(void)
{
    for (;;)
        syscall(SYS_pause);
}

/* Frames that write their locals, as real code does, down to depth 0. */
static __attribute__((noinline, noreturn)) void deeper(int depth)
{
    volatile char scratch[256];
    for (size_t i = 0; i < sizeof scratch; i++)
        scratch[i] = (char)i;
    if (depth > 0)
        deeper(depth - 1);
    if (!strcmp(mode, "longjmp_then_run"))
        runner();
    cond_waiter();
}

static __attribute__((noinline)) void read_from_deep(int depth)
{
    volatile char scratch[64];
    scratch[0] = 1;
    scratch[1] = scratch[0];
    if (depth > 0)
        read_from_deep(depth - 1);
    else
        reader();
    scratch[0] = 0;
}

static volatile pid_t thread_tid;

/* Whether the thread is inside system call nr. */
static int in_syscall(long nr)
{
    char path[64], buf[64] = "";
    snprintf(path, sizeof path, "/proc/self/task/%d/syscall", (int)thread_tid);
    int fd = open(path, O_RDONLY);
    ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
    if (fd >= 0)
        close(fd);
    return n > 0 && strtol(buf, NULL, 10) == nr && buf[0] != '-' && buf[0] != 'r';
}

static void *thread_main(void *arg)
{
    (void)arg;
    thread_tid = gettid();
    if (!strncmp(mode, "longjmp", 7)) {
        if (sigsetjmp(env, 1) == 0) {
            if (strcmp(mode, "longjmp_shallower"))
                reader();
            else
                read_from_deep(30);
        }
        if (strcmp(mode, "longjmp_shallower"))
            deeper(30);
        else
            cond_waiter();
    }
    reader();
    return NULL;
}

static void *with_altstack(void *alt)
{
    stack_t ss = {.ss_sp = alt, .ss_size = ALT};
    if (sigaltstack(&ss, NULL)) {
        perror("sigaltstack");
        exit(1);
    }
    return thread_main(NULL);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: same_notes CASE\n");
        return 2;
    }
    mode = argv[1];
    if (pipe(data_pipe) || pipe(handler_pipe))
        return 1;
    int alt = !strncmp(mode, "altstack", 8);
    /* SA_RESTART: the kernel makes the read again inside the same call. */
    struct sigaction sa = {.sa_handler = on_usr2, .sa_flags = SA_RESTART | (alt ? SA_ONSTACK : 0)};
    sigaction(SIGUSR2, &sa, NULL);
    /* One mapping: the thread's stack, and its alternate signal stack just
     * above it or just below it. */
    char *map = mmap(NULL, STACK + ALT, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED)
        return 1;
    int above = !strcmp(mode, "altstack_above");
    char *stack = above ? map : map + ALT, *altstack = above ? map + STACK : map;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstack(&attr, stack, STACK);
    pthread_t t;
    if (pthread_create(&t, &attr, alt ? with_altstack : thread_main, altstack))
        return 1;
    while (!thread_tid || !in_syscall(SYS_read))
        usleep(1000);
    pthread_kill(t, SIGUSR2);
    char c;
    if (read(handler_pipe[0], &c, 1) != 1)
        return 1;
    /* Back in read(), or on to the condvar or the raw pause. */
    long next = !strncmp(mode, "longjmp", 7)
                    ? (!strcmp(mode, "longjmp_then_run") ? SYS_pause : SYS_futex)
                    : SYS_read;
    while (!in_syscall(next))
        usleep(1000);
    usleep(50 * 1000); /* a futex wait may be the mutex's: the condvar's comes next */
    printf("ready\n");
    fflush(stdout);
    for (;;)
        pause();
}
