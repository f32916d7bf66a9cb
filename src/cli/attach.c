/* Stopping a process's threads with ptrace, eu-stack style, and letting
 * them go again. PTRACE_SEIZE sends no signal and PTRACE_INTERRUPT stops a
 * thread without one, so the program sees nothing; a wait it was in is
 * restarted by the kernel at detach as after any ptrace stop. The threads
 * stay stopped only while their registers and the top of their stacks are
 * copied: unwinding happens after they run again. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/attach.h"
#include "cli/cli.h"
#include "common/clock.h"

/* The session the signal handler must let go of. */
static tl_attach *volatile session;
static const int fatal_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
static struct sigaction saved[sizeof fatal_signals / sizeof *fatal_signals];

/* The calls signal(7) lists as failing with EINTR after a stop even
 * without a handler: the program would see EINTR where nothing happened.
 * Threads found waiting in them are not stopped at all (their registers
 * come from /proc); one that entered such a wait just before the stop gets
 * ERESTARTNOHAND as its result, which the kernel restarts when no handler
 * runs, as it restarts read or a futex wait after a ptrace stop (a timeout
 * then starts over). Async-signal-safe. */
static int ends_with_eintr(long nr)
{
    return nr == SYS_epoll_wait || nr == SYS_epoll_pwait || nr == SYS_epoll_pwait2 ||
           nr == SYS_rt_sigtimedwait || nr == SYS_semop || nr == SYS_semtimedop;
}

static void restart_instead_of_eintr(pid_t tid, const struct user_regs_struct *r, int signal)
{
    if (signal || (long)r->rax != -EINTR || !ends_with_eintr((long)r->orig_rax))
        return;
    ptrace(PTRACE_POKEUSER, tid,
           (void *)(offsetof(struct user, regs) + offsetof(struct user_regs_struct, rax)),
           (void *)(long)-514 /* ERESTARTNOHAND */);
}

static int detach(tl_attach_thread *t)
{
    if (!t->seized)
        return 0;
    if (ptrace(PTRACE_DETACH, t->tid, NULL, (void *)(long)t->pass_signal) != 0)
        return -1; /* not in a stop yet: reap_late, or the kernel at our exit */
    t->seized = 0;
    return 0;
}

/* Async-signal-safe: ptrace is a system call, and the array is never
 * reallocated with these signals unblocked. Threads not stopped yet are
 * detached by the kernel when the command dies, which it does next. */
static void on_fatal(int sig)
{
    tl_attach *a = session;
    for (int i = 0; a && i < a->n; i++) {
        tl_attach_thread *t = &a->t[i];
        if (!t->seized)
            continue;
        int st, pass = t->pass_signal;
        if (!t->stopped) { /* stopped, maybe, but not seen yet */
            if (waitpid(t->tid, &st, __WALL | WNOHANG) != t->tid || !WIFSTOPPED(st))
                continue;
            struct user_regs_struct r;
            pass = ((unsigned)st >> 16) == PTRACE_EVENT_STOP ? 0 : WSTOPSIG(st);
            if (ptrace(PTRACE_GETREGS, t->tid, NULL, &r) == 0)
                restart_instead_of_eintr(t->tid, &r, pass);
        }
        ptrace(PTRACE_DETACH, t->tid, NULL, (void *)(long)pass);
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

static void block_fatal(sigset_t *old)
{
    sigset_t set;
    sigemptyset(&set);
    for (size_t i = 0; i < sizeof fatal_signals / sizeof *fatal_signals; i++)
        sigaddset(&set, fatal_signals[i]);
    sigprocmask(SIG_BLOCK, &set, old);
}

static void catch_fatal(tl_attach *a)
{
    session = a;
    for (size_t i = 0; i < sizeof fatal_signals / sizeof *fatal_signals; i++) {
        struct sigaction sa = {.sa_handler = on_fatal};
        sigemptyset(&sa.sa_mask);
        sigaction(fatal_signals[i], NULL, &saved[i]);
        if (saved[i].sa_handler == SIG_IGN) /* nohup: keep ignoring */
            continue;
        sigaction(fatal_signals[i], &sa, NULL);
    }
}

static void release_fatal(void)
{
    for (size_t i = 0; i < sizeof fatal_signals / sizeof *fatal_signals; i++)
        sigaction(fatal_signals[i], &saved[i], NULL);
    session = NULL;
}

static int cmp_tid(const void *a, const void *b)
{
    pid_t x = ((const tl_attach_thread *)a)->tid, y = ((const tl_attach_thread *)b)->tid;
    return x < y ? -1 : x > y;
}

static tl_attach_thread *find(tl_attach *a, pid_t tid, int sorted)
{
    tl_attach_thread key = {.tid = tid};
    tl_attach_thread *t = bsearch(&key, a->t, (size_t)sorted, sizeof key, cmp_tid);
    for (int i = sorted; !t && i < a->n; i++)
        if (a->t[i].tid == tid)
            t = &a->t[i];
    return t;
}

static void add(tl_attach *a, pid_t tid)
{
    if (a->n == a->cap) {
        sigset_t old;
        block_fatal(&old);
        a->cap = a->cap ? a->cap * 2 : 256;
        a->t = tl_xrealloc(a->t, (size_t)a->cap, sizeof *a->t);
        sigprocmask(SIG_SETMASK, &old, NULL);
    }
    tl_attach_thread *t = &a->t[a->n];
    memset(t, 0, sizeof *t);
    t->tid = tid;
    t->sys_nr = -2;
    a->n++;
}

/* The thread's state letter from /proc ('?' when gone). */
static char task_state(pid_t pid, pid_t tid)
{
    char path[96], buf[512];
    snprintf(path, sizeof path, "/proc/%d/task/%d/stat", (int)pid, (int)tid);
    return tl_read_small(path, buf, sizeof buf) ? '?' : tl_stat_state(buf);
}

/* The kernel's view of a thread we could not stop. */
static void read_proc_syscall(pid_t pid, tl_attach_thread *t)
{
    char path[96], line[512];
    snprintf(path, sizeof path, "/proc/%d/task/%d/syscall", (int)pid, (int)t->tid);
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    if (!fgets(line, sizeof line, f) ||
        tl_parse_proc_syscall(line, &t->sys_nr, t->sys_args, &t->sys_sp, &t->sys_pc) != 0)
        t->sys_nr = -2;
    fclose(f);
}

static void copy_stack(tl_attach *a, tl_attach_thread *t, uint64_t sp);

/* A thread left running, seen through /proc: its wait and where it is. */
static void proc_only(tl_attach *a, tl_attach_thread *t)
{
    if (t->sys_nr == -2)
        read_proc_syscall(a->pid, t);
    if (t->sys_nr > -2 && t->sys_pc && t->sys_sp) {
        t->proc_only = 1;
        copy_stack(a, t, t->sys_sp);
    }
}

/* A futex wait whose word was unmapped since (the program freed the lock
 * under it): the kernel would restart it after a stop, and the restarted
 * wait fails with EFAULT, which glibc aborts on. Such a thread is only
 * read from /proc. */
static int futex_unmapped(pid_t pid, const tl_attach_thread *t)
{
    uint32_t word;
    struct iovec local = {&word, sizeof word};
    struct iovec remote = {(void *)(uintptr_t)t->sys_args[0], sizeof word};
    return t->sys_nr == SYS_futex && process_vm_readv(pid, &local, 1, &remote, 1, 0) < 0 &&
           errno == EFAULT;
}

/* Seizes threads of pid not seized yet; the number seized, or -1 with
 * errno from the first refusal when none could be. */
static int seize_new(tl_attach *a, int *refused)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", (int)a->pid);
    DIR *d = opendir(path);
    if (!d)
        return -1;
    int sorted = a->n, added = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        char *end;
        long tid = strtol(e->d_name, &end, 10);
        if (*end || tid <= 0 || find(a, (pid_t)tid, sorted))
            continue;
        if (a->want && !a->want((pid_t)tid, a->want_arg))
            continue;
        add(a, (pid_t)tid);
        tl_attach_thread *t = &a->t[a->n - 1];
        read_proc_syscall(a->pid, t);
        if (t->sys_nr >= 0 && (ends_with_eintr(t->sys_nr) || futex_unmapped(a->pid, t))) {
            proc_only(a, t);
            if (t->proc_only)
                continue; /* never stopped, never seized: a signal finds it free */
        }
        t->sys_nr = -2;
        if (ptrace(PTRACE_SEIZE, (pid_t)tid, NULL, NULL) != 0) {
            int err = errno;
            /* An exiting thread refuses with EPERM too: not a refusal. */
            if (err == ESRCH || strchr("ZX?", task_state(a->pid, (pid_t)tid))) {
                a->n--;
                continue;
            }
            if (!*refused)
                *refused = err;
            /* Traced by someone else (one tracer at a time): what /proc
             * shows, if it lets us read that much. */
            proc_only(a, t);
            if (!t->proc_only)
                a->n--;
            continue;
        }
        t->seized = 1;
        added++;
    }
    closedir(d);
    sigset_t old;
    block_fatal(&old);
    qsort(a->t, (size_t)a->n, sizeof *a->t, cmp_tid);
    sigprocmask(SIG_SETMASK, &old, NULL);
    return added;
}

/* Registers and the top of the stack, while the thread is stopped. 0, or
 * -1 when it is not (gone meanwhile). */
static int capture(tl_attach *a, tl_attach_thread *t)
{
    if (ptrace(PTRACE_GETREGS, t->tid, NULL, &t->regs) != 0)
        return -1;
    /* Now, not at detach: a SIGKILL may end us before then. */
    restart_instead_of_eintr(t->tid, &t->regs, t->pass_signal);
    copy_stack(a, t, t->regs.rsp);
    return 0;
}

static void copy_stack(tl_attach *a, tl_attach_thread *t, uint64_t sp)
{
    size_t want = a->copy;
    t->stack = tl_xcalloc(want, 1);
    t->stack_lo = sp & ~7ull;
    struct iovec local = {t->stack, want};
    struct iovec remote = {(void *)(uintptr_t)t->stack_lo, want};
    ssize_t n = process_vm_readv(a->pid, &local, 1, &remote, 1, 0);
    t->stack_len = n > 0 ? (size_t)n : 0;
    if (n >= 0 && (size_t)n < want) {
        /* The copy stops at the end of the mapping: read page by page. */
        size_t got = 0;
        while (got < want) {
            size_t page = 4096 - ((t->stack_lo + got) & 4095);
            if (page > want - got)
                page = want - got;
            struct iovec l = {t->stack + got, page};
            struct iovec r = {(void *)(uintptr_t)(t->stack_lo + got), page};
            if (process_vm_readv(a->pid, &l, 1, &r, 1, 0) != (ssize_t)page)
                break;
            got += page;
        }
        t->stack_len = got;
    }
}

/* What waitpid said about a seized thread that had not stopped yet. */
static void on_status(tl_attach *a, tl_attach_thread *t, int st)
{
    t->waited = 1;
    if (WIFSTOPPED(st)) {
        int event = (unsigned)st >> 16;
        if (event != PTRACE_EVENT_STOP)
            t->pass_signal = WSTOPSIG(st); /* a signal of its own: handed back */
        /* Marked stopped only once captured: the signal handler detaches
         * the others itself. */
        if (capture(a, t) == 0)
            t->stopped = 1;
    } else if (WIFEXITED(st) || WIFSIGNALED(st)) {
        t->seized = 0;
    }
}

/* Waits for every seized thread to stop, until the deadline. Thread by
 * thread: waitpid(-1) walks every tracee on each call, waitpid(tid) looks
 * at that one only, so 5,000 threads stop in one pass or a few. */
static void wait_stops(tl_attach *a, uint64_t deadline)
{
    for (;;) {
        int pending = 0, progressed = 0;
        for (int i = 0; i < a->n; i++) {
            tl_attach_thread *t = &a->t[i];
            if (!t->seized || t->waited)
                continue;
            int st;
            pid_t w = waitpid(t->tid, &st, __WALL | WNOHANG);
            if (w == t->tid) {
                on_status(a, t, st);
                progressed = 1;
            } else if (w < 0 && errno == ECHILD) {
                t->seized = 0; /* gone, reaped by nobody we know */
                t->waited = 1;
            } else {
                pending++;
            }
        }
        if (!pending || (!progressed && tl_mono_ns() > deadline))
            return;
        if (!progressed) {
            struct timespec nap = {0, 50000};
            nanosleep(&nap, NULL);
        }
    }
}

void tl_attach_reap_late(tl_attach *a)
{
    int pending = 0;
    for (int i = 0; i < a->n; i++)
        if (a->t[i].seized && !a->t[i].stopped)
            pending++;
    while (pending > 0) {
        int st;
        pid_t w = waitpid(-1, &st, __WALL | WNOHANG);
        if (w <= 0)
            break;
        tl_attach_thread *t = find(a, w, a->n);
        if (!t || !t->seized)
            continue;
        if (WIFSTOPPED(st)) {
            int event = (unsigned)st >> 16;
            if (event != PTRACE_EVENT_STOP)
                t->pass_signal = WSTOPSIG(st);
            t->stopped = 1;
            detach(t);
        } else {
            t->seized = 0;
        }
        pending--;
    }
}

/* A fresh session on pid that keeps the caller's callback, with a stack
 * copy per thread that keeps the total within TL_ATTACH_COPY_TOTAL. */
static void begin(tl_attach *a, pid_t pid)
{
    tl_attach_want want = a->want;
    void *want_arg = a->want_arg;
    memset(a, 0, sizeof *a);
    a->want = want;
    a->want_arg = want_arg;
    a->pid = pid;
    long threads = tl_attach_status(pid, "Threads");
    a->copy = TL_ATTACH_STACK_COPY;
    if (threads > 0 && (size_t)(TL_ATTACH_COPY_TOTAL / threads) < a->copy)
        a->copy = (size_t)(TL_ATTACH_COPY_TOTAL / threads) & ~(size_t)4095;
    if (a->copy < TL_ATTACH_STACK_COPY_MIN)
        a->copy = TL_ATTACH_STACK_COPY_MIN;
}

/* Seizes and interrupts every thread; threads started while we seize are
 * seized in the next round. When the first was seized (0: none), with err
 * set when the threads could not be listed. */
static uint64_t seize_all(tl_attach *a, int *refused, char *err, size_t errlen)
{
    uint64_t start = 0;
    for (int round = 0; round < 8; round++) {
        int added = seize_new(a, refused);
        if (added < 0) {
            if (errno == ENOENT || errno == ESRCH)
                snprintf(err, errlen, "pid %d exited", (int)a->pid);
            else
                snprintf(err, errlen, "cannot list the threads of pid %d: %s", (int)a->pid,
                         strerror(errno));
            break;
        }
        if (!start && added)
            start = tl_mono_ns();
        for (int i = 0; i < a->n; i++)
            if (a->t[i].seized && !a->t[i].interrupted) {
                /* ESRCH: gone meanwhile; the wait tells. */
                ptrace(PTRACE_INTERRUPT, a->t[i].tid, NULL, NULL);
                a->t[i].interrupted = 1;
            }
        if (!added)
            break;
    }
    return start;
}

static int any_thread(const tl_attach *a)
{
    for (int i = 0; i < a->n; i++)
        if (a->t[i].seized || a->t[i].proc_only)
            return 1;
    return 0;
}

/* Lets the stopped threads run again, then names every thread; one that
 * did not stop in time is seen through /proc instead (late). */
static void let_go(tl_attach *a, uint64_t start)
{
    for (int i = 0; i < a->n; i++) {
        tl_attach_thread *t = &a->t[i];
        if (t->stopped) {
            a->paused++;
            detach(t);
        }
    }
    a->pause_ns = start ? tl_mono_ns() - start : 0;
    for (int i = 0; i < a->n; i++) {
        tl_attach_thread *t = &a->t[i];
        a->free += t->proc_only && !t->seized;
        tl_attach_comm(a->pid, t->tid, t->name, sizeof t->name);
        if (!t->stopped && t->seized) {
            a->late++;
            proc_only(a, t);
        }
    }
}

int tl_attach_snapshot(tl_attach *a, pid_t pid, long limit_ms, char *err, size_t errlen)
{
    begin(a, pid);
    catch_fatal(a);
    int refused = 0;
    uint64_t start = seize_all(a, &refused, err, errlen);
    if (!any_thread(a)) {
        if (refused)
            tl_attach_explain(pid, refused, err, errlen);
        else if (!*err)
            snprintf(err, errlen, "pid %d exited", (int)pid);
        release_fatal();
        return -1;
    }
    wait_stops(a, start + (uint64_t)limit_ms * 1000000ull);
    tl_attach_copy_locks(a);
    let_go(a, start);
    tl_attach_reap_late(a);
    release_fatal();
    /* Late threads are still ours: reap_late, and the kernel at exit, let
     * them go; on_fatal must not run after release, so they stay listed. */
    if (!a->paused && kill(pid, 0) != 0) {
        snprintf(err, errlen, "pid %d exited during the dump", (int)pid);
        return -1;
    }
    return 0;
}

void tl_attach_free(tl_attach *a)
{
    for (int i = 0; i < a->n; i++)
        free(a->t[i].stack);
    free(a->t);
    a->t = NULL;
    a->n = a->cap = 0;
}
