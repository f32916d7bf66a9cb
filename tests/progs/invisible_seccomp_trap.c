/* A sandboxed program as Chromium's renderer is one: a seccomp filter
 * traps (SECCOMP_RET_TRAP) system calls it does not allow and its own
 * SIGSYS handler answers them (-ENOSYS here). Among them the ones
 * threadleak's sampler might make: reading memory, mincore, a pipe, its
 * own file table. argv[1] "early": the filter is in place before the first
 * thread (so the sampler starts under it), "late": installed on every
 * thread (TSYNC) once the sampler runs. Preloaded, it asks for dumps with
 * SIGUSR1 and through the API; bare it does the same work without them.
 * Prints how often each trapped call was made, on which thread kind. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

static const int trapped[] = {SYS_process_vm_readv,
                              SYS_process_vm_writev,
                              SYS_mincore,
                              SYS_unshare,
                              SYS_pipe,
                              SYS_pipe2,
                              SYS_close_range,
                              SYS_msync};
#define N_TRAPPED (int)(sizeof trapped / sizeof *trapped)
static int hits[N_TRAPPED];

static void on_sigsys(int sig, siginfo_t *si, void *ctx)
{
    (void)sig;
    for (int i = 0; i < N_TRAPPED; i++)
        if (si->si_syscall == trapped[i])
            __atomic_add_fetch(&hits[i], 1, __ATOMIC_RELAXED);
    ((ucontext_t *)ctx)->uc_mcontext.gregs[REG_RAX] = -ENOSYS;
}

static void sandbox(void)
{
    struct sock_filter f[2 + 2 * N_TRAPPED];
    int k = 0;
    f[k++] =
        (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
    for (int i = 0; i < N_TRAPPED; i++) {
        f[k++] =
            (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)trapped[i], 0, 1);
        f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP);
    }
    f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    struct sock_fprog prog = {(unsigned short)k, f};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
        syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog) != 0) {
        perror("seccomp");
        _exit(3);
    }
}

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
static int done;

static void *sandboxed_worker(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&m);
    while (!done)
        pthread_cond_wait(&c, &m);
    pthread_mutex_unlock(&m);
    return NULL;
}

int main(int argc, char **argv)
{
    int early = argc > 1 && strcmp(argv[1], "early") == 0;
    struct sigaction sa = {.sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO};
    sigaction(SIGSYS, &sa, NULL);
    if (early)
        sandbox();
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, sandboxed_worker, NULL);
    if (!early)
        sandbox();
    int (*dump)(const char *, const char *) =
        (int (*)(const char *, const char *))dlsym(RTLD_DEFAULT, "threadleak_dump");
    const char *out = getenv("THREADLEAK_OUTPUT");
    int failed = 0;
    for (int i = 0; i < 20; i++) {
        if (dump) {
            kill(getpid(), SIGUSR1);
            char stem[600];
            snprintf(stem, sizeof stem, "%s.api%d", out ? out : "/tmp/tl-seccomp", i);
            failed += dump(stem, "json") != 0;
        }
        usleep(10 * 1000);
    }
    pthread_mutex_lock(&m);
    done = 1;
    pthread_cond_broadcast(&c);
    pthread_mutex_unlock(&m);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    printf("api dumps failed %d\n", failed);
    printf("mincore traps %d\n", hits[2]);
    fflush(stdout);
    return 0;
}
