/* Running-thread stacks, opt-in: the asking half (the answer is in
 * running_answer.c). A running thread is never seen from
 * outside where it runs, so the dump asks it: the sampler sends it the dump
 * signal (no second signal is taken from the program) with tgkill, and the
 * thread's own handler copies its registers and the top of its stack into a
 * buffer the sampler prepared, then wakes the sampler, which unwinds the
 * copy with the same unwinder as blocked stacks. The handler does nothing
 * else: no unwinding there (an unwinder takes the loader's lock, and the
 * thread may be interrupted inside dlopen).
 *
 * What the program must never see, and how it is kept from it:
 * - EINTR. A thread the kernel says is in a system call (/proc/self/task/
 *   TID/syscall) is not signalled: it is shown as in that call. One that
 *   enters a call between that look and the signal can be interrupted: a
 *   wrapped call (and syscall()) is then re-issued by its wrapper
 *   (TL_RESUMED, tl_signal_hits), and an inline `mov $nr,%eax; syscall`
 *   of the C library that would return EINTR is restarted by the handler,
 *   as the kernel restarts calls for SA_RESTART.
 * - A stray signal. A thread that blocks the signal is not signalled; one
 *   that blocked it after the look and never answered has the pending
 *   signal discarded, so a later sigwait() of the program cannot take it.
 * - A dump it did not ask for. The handler knows a capture from a dump
 *   trigger by the capture count in the thread's slot, which only the
 *   sampler raises, before it signals.
 * Captures wait for TL_CAPTURE_WAIT_MS in all, for at most
 * TL_CAPTURE_MAX threads per dump. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/futex.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/syscalls.h"
#include "preload/config.h"
#include "preload/dump_signal.h"
#include "preload/log.h"
#include "preload/running.h"
#include "preload/running_answer.h"
#include "preload/stacks.h"

#define TL_CAPTURE_MAX 256
#define TL_CAPTURE_WAIT_MS 100

/* Buffers are kept from dump to dump and never freed: a handler that
 * loaded one just before the sampler gave up on it may still look at it. */
static struct tl_capture_buf *pool[TL_CAPTURE_MAX];
static uint32_t next_gen;

/* Sampler side. */

/* A field of tid's /proc status: a signal set (SigBlk, SigPnd, ShdPnd:
 * base 16) or a number (Seccomp, Seccomp_filters: base 10). */
static int status_field(const char *status, const char *field, int base, uint64_t *v)
{
    const char *p = strstr(status, field);
    if (!p)
        return -1;
    *v = strtoull(p + strlen(field), NULL, base);
    return 0;
}

static int task_sigset(pid_t tid, const char *field, uint64_t *set)
{
    char buf[2048];
    if (tl_task_file(tid, "status", buf, sizeof buf) != 0)
        return -1;
    return status_field(buf, field, 16, set);
}

/* The sampler's own seccomp mode and filter count, read at each dump: a
 * thread under the same filters allows what the handler calls (the
 * sampler's unwinder probe made process_vm_readv under them). */
static uint64_t own_seccomp, own_filters;

/* Whether a thread's seccomp state may forbid a call of the handler
 * (getpid, process_vm_readv, futex): strict mode kills the thread at the
 * first one, and a filter the thread installed for itself may too. */
static int seccomp_forbids(const char *status)
{
    uint64_t mode = 0, filters = 0;
    status_field(status, "Seccomp:", 10, &mode);
    status_field(status, "Seccomp_filters:", 10, &filters);
    return mode == 1 || (mode != 0 && (mode != own_seccomp || filters > own_filters));
}

static int has_signal(uint64_t set)
{
    return tl_config.signal > 0 && (set >> (tl_config.signal - 1)) & 1;
}

/* A thread in a system call threadleak does not wrap: shown in it, with
 * its stack unwound from the sp and pc the kernel reports (the other
 * registers are unknown, so the unwinder may stop early) while it stays
 * in that same call. */
static void in_syscall(struct tl_snap *s, long nr, uint64_t sp, uint64_t pc)
{
    s->capture = TL_CAPTURE_IN_SYSCALL;
    s->sysno = (int)nr;
    struct tl_regs r = {.ip = pc, .sp = sp};
    uint64_t ips[TL_MAX_FRAMES];
    int depth = tl_unwind_copy(&r, NULL, ips, tl_config.frames);
    char line[256];
    long nr2;
    uint64_t args[6], sp2, pc2;
    if (depth > 0 && tl_task_file(s->tid, "syscall", line, sizeof line) == 0 &&
        tl_parse_proc_syscall(line, &nr2, args, &sp2, &pc2) == 0 && nr2 == nr && sp2 == sp &&
        pc2 == pc)
        s->current = tl_intern(ips, depth);
}

/* Whether tid can be signalled without risk: in user space now, and not
 * blocking the signal. Sets s->capture when it cannot. */
static int signallable(struct tl_snap *s)
{
    char line[256];
    long nr;
    uint64_t args[6], sp, pc, blocked;
    if (tl_task_file(s->tid, "syscall", line, sizeof line) != 0 ||
        tl_parse_proc_syscall(line, &nr, args, &sp, &pc) != 0)
        return 0; /* gone meanwhile */
    if (nr >= 0) {
        in_syscall(s, nr, sp, pc);
        return 0;
    }
    char status[2048];
    if (tl_task_file(s->tid, "status", status, sizeof status) != 0 ||
        status_field(status, "SigBlk:", 16, &blocked) != 0)
        return 0;
    if (seccomp_forbids(status)) {
        s->capture = TL_CAPTURE_SECCOMP;
        return 0;
    }
    if (has_signal(blocked)) {
        s->capture = TL_CAPTURE_SIGNAL_BLOCKED;
        return 0;
    }
    return 1;
}

static struct tl_capture_buf *buffer(int i)
{
    /* One a late handler is still writing stays its own. */
    if (pool[i] && CAP_STEP(__atomic_load_n(&pool[i]->state, __ATOMIC_ACQUIRE)) == CAP_WRITING)
        pool[i] = NULL;
    if (!pool[i])
        pool[i] = malloc(sizeof *pool[i]);
    return pool[i];
}

static int answered(struct tl_capture_buf **c, int n)
{
    for (int i = 0; i < n; i++)
        if (c[i] && CAP_STEP(__atomic_load_n(&c[i]->state, __ATOMIC_ACQUIRE)) != CAP_DONE)
            return 0;
    return 1;
}

static void wait_answers(struct tl_capture_buf **c, int n)
{
    uint64_t until = tl_mono_ns() + TL_CAPTURE_WAIT_MS * 1000000ull;
    for (;;) {
        uint32_t seen = __atomic_load_n(&tl_capture_answers, __ATOMIC_ACQUIRE);
        if (answered(c, n))
            return;
        uint64_t now = tl_mono_ns();
        if (now >= until)
            return;
        struct timespec left = tl_ns_ts(until - now);
        tl_real.syscall(SYS_futex, (long)&tl_capture_answers, FUTEX_WAIT_PRIVATE, (long)seen,
                        (long)&left, 0, 0);
    }
}

/* Whether the signal is pending anywhere but as tid's own: in the
 * process's shared set (a kill(), a dump request) or in another thread's
 * set (the program's own tgkill() to a thread that waits for it). Ignoring
 * the signal would discard those too. */
static int pending_elsewhere(pid_t tid)
{
    uint64_t set;
    if (task_sigset(tid, "ShdPnd:", &set) != 0 || has_signal(set))
        return 1;
    DIR *d = opendir("/proc/self/task");
    if (!d)
        return 1;
    int found = 0;
    struct dirent *e;
    while (!found && (e = readdir(d)) != NULL) {
        pid_t t = (pid_t)atoi(e->d_name);
        found = t > 0 && t != tid && task_sigset(t, "SigPnd:", &set) == 0 && has_signal(set);
    }
    closedir(d);
    return found;
}

/* A thread that blocked the signal after it was looked at keeps it
 * pending: setting the disposition to ignore discards it (POSIX), and ours
 * goes back at once. Not when the program has one of its own pending: that
 * one would go too, and ours stays (harmless to a handler, which takes it
 * for a late answer; seen by a sigwait() of that thread). */
static void discard_pending(struct tl_slot *slot, pid_t tid)
{
    uint64_t pending, blocked;
    uint32_t sent = __atomic_load_n(&slot->cap_sent, __ATOMIC_ACQUIRE);
    if (sent == __atomic_load_n(&slot->cap_seen, __ATOMIC_ACQUIRE) ||
        task_sigset(tid, "SigPnd:", &pending) != 0 || !has_signal(pending) ||
        task_sigset(tid, "SigBlk:", &blocked) != 0 || !has_signal(blocked))
        return;
    if (pending_elsewhere(tid)) {
        tl_log(TL_LOG_DEBUG,
               "thread %d blocked signal %d before its capture; it stays pending, as the "
               "program has one of its own pending",
               (int)tid, tl_config.signal);
        return;
    }
    struct sigaction ign, old, now;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    if (sigaction(tl_config.signal, &ign, &old) == 0 &&
        sigaction(tl_config.signal, &old, &now) == 0 &&
        ((now.sa_flags & SA_SIGINFO) || now.sa_handler != SIG_IGN))
        sigaction(tl_config.signal, &now, NULL); /* the program's, installed meanwhile */
    /* None of ours is pending there now: the next capture sends one. */
    __atomic_store_n(&slot->cap_seen, sent, __ATOMIC_RELEASE);
    tl_log(TL_LOG_DEBUG, "thread %d blocked signal %d before its capture: the signal is discarded",
           (int)tid, tl_config.signal);
}

/* The stack a finished capture shows. The interrupted ip is no return
 * address: +1 so that the symbolizer, which looks up ip - 1, names it. */
static uint32_t captured_stack(const struct tl_capture_buf *c)
{
    uint64_t ips[TL_MAX_FRAMES];
    struct tl_stack_copy copy = {c->lo, c->n, c->stack};
    int depth = tl_unwind_copy(&c->regs, &copy, ips, tl_config.frames);
    if (depth == 0)
        ips[depth++] = c->regs.ip;
    if (ips[0] == c->regs.ip)
        ips[0]++;
    return tl_intern(ips, depth);
}

static void finish(struct tl_snap *s, struct tl_capture_buf *c)
{
    uint32_t st = __atomic_load_n(&c->state, __ATOMIC_ACQUIRE);
    /* A handler between its claim and its last store is seconds at most
     * only when descheduled; give it a little longer, then give up. */
    for (int spins = 0; CAP_STEP(st) == CAP_WRITING && spins < 200; spins++) {
        sched_yield();
        st = __atomic_load_n(&c->state, __ATOMIC_ACQUIRE);
    }
    if (CAP_STEP(st) == CAP_ARMED &&
        __atomic_compare_exchange_n(&c->state, &st, CAP_GEN(st) | CAP_IDLE, 0, __ATOMIC_ACQ_REL,
                                    __ATOMIC_ACQUIRE))
        st = CAP_GEN(st) | CAP_IDLE;
    __atomic_store_n(&tl_slot_at(s->idx)->capture, NULL, __ATOMIC_RELEASE);
    if (CAP_STEP(st) == CAP_DONE) {
        s->capture = TL_CAPTURE_OK;
        s->current = captured_stack(c);
    } else {
        s->capture = TL_CAPTURE_NO_ANSWER;
        discard_pending(tl_slot_at(s->idx), s->tid);
    }
}

static void note_unanswered(struct tl_running_report *rep, const struct tl_snap *s)
{
    if (s->capture != TL_CAPTURE_NO_ANSWER && s->capture != TL_CAPTURE_SIGNAL_BLOCKED &&
        s->capture != TL_CAPTURE_SECCOMP)
        return;
    pid_t *t = realloc(rep->unanswered_tids, (size_t)(rep->n_unanswered + 1) * sizeof *t);
    if (t)
        rep->unanswered_tids = t;
    int *w = realloc(rep->unanswered_why, (size_t)(rep->n_unanswered + 1) * sizeof *w);
    if (w)
        rep->unanswered_why = w;
    if (t && w) {
        t[rep->n_unanswered] = s->tid;
        w[rep->n_unanswered++] = s->capture;
    }
}

static const char *unavailable(void)
{
    static char why[160];
    if (!tl_config.signal)
        return "THREADLEAK_SIGNAL=none: no signal to ask running threads with";
    if (!tl_dump_signal_capturing()) {
        struct sigaction cur;
        int ignored = sigaction(tl_config.signal, NULL, &cur) == 0 &&
                      !(cur.sa_flags & SA_SIGINFO) && cur.sa_handler == SIG_IGN;
        snprintf(why, sizeof why,
                 "the program %s signal %d itself: choose another THREADLEAK_SIGNAL",
                 ignored ? "ignores" : "handles", tl_config.signal);
        return why;
    }
    return tl_unwind_unknown();
}

/* Sends the capture signal to s's thread; 0 when it could not be sent. */
static int ask(struct tl_snap *s, struct tl_capture_buf *c)
{
    struct tl_slot *slot = tl_slot_at(s->idx);
    uint32_t gen = (__atomic_add_fetch(&next_gen, 1, __ATOMIC_RELAXED) << 2);
    c->tid = s->tid;
    __atomic_store_n(&c->state, gen | CAP_ARMED, __ATOMIC_RELEASE);
    __atomic_store_n(&slot->capture, c, __ATOMIC_RELEASE);
    if (*(volatile pid_t *)&slot->tid != s->tid || !tl_dump_signal_owned())
        return 0;
    /* Sent and seen differ by one at most: a signal of ours still pending
     * there (an earlier dump's, not answered in time) answers this request
     * when it lands, and a second one would merge with it. */
    uint32_t sent = __atomic_load_n(&slot->cap_sent, __ATOMIC_ACQUIRE);
    if (sent != __atomic_load_n(&slot->cap_seen, __ATOMIC_ACQUIRE))
        return 1;
    __atomic_store_n(&slot->cap_sent, sent + 1, __ATOMIC_RELEASE);
    int saved = errno;
    long rc = tl_real.syscall(SYS_tgkill, getpid(), s->tid, tl_config.signal, 0, 0, 0);
    errno = saved;
    if (rc !=
        0) /* none on its way (a real-time signal past RLIMIT_SIGPENDING): ask again next time */
        __atomic_store_n(&slot->cap_seen, sent + 1, __ATOMIC_RELEASE);
    return rc == 0;
}

TL_HIDDEN void tl_running_capture(struct tl_snap *snaps, int n, pid_t requester,
                                  struct tl_running_report *rep)
{
    memset(rep, 0, sizeof *rep);
    uint64_t start = tl_mono_ns();
    pid_t self = tl_gettid();
    const char *why = unavailable();
    char status[2048];
    own_seccomp = own_filters = 0;
    if (tl_task_file(self, "status", status, sizeof status) == 0) {
        status_field(status, "Seccomp:", 10, &own_seccomp);
        status_field(status, "Seccomp_filters:", 10, &own_filters);
    }
    struct tl_capture_buf *asked[TL_CAPTURE_MAX];
    struct tl_snap *who[TL_CAPTURE_MAX];
    int n_asked = 0, considered = 0;
    for (int i = 0; i < n; i++) {
        struct tl_snap *s = &snaps[i];
        if (s->state != TL_RUNNING || s->tid == self || s->tid == requester)
            continue;
        if (why) {
            s->capture = TL_CAPTURE_UNAVAILABLE;
            continue;
        }
        if (considered++ >= TL_CAPTURE_MAX) {
            s->capture = TL_CAPTURE_SKIPPED;
            rep->skipped++;
            continue;
        }
        if (!signallable(s)) {
            note_unanswered(rep, s);
            continue;
        }
        struct tl_capture_buf *c = buffer(n_asked);
        if (!c || !ask(s, c)) {
            if (c)
                __atomic_store_n(&c->state, CAP_IDLE, __ATOMIC_RELEASE);
            __atomic_store_n(&tl_slot_at(s->idx)->capture, NULL, __ATOMIC_RELEASE);
            if (!tl_dump_signal_owned())
                why = unavailable();
            s->capture = why ? TL_CAPTURE_UNAVAILABLE : TL_CAPTURE_NONE;
            continue;
        }
        asked[n_asked] = c;
        who[n_asked++] = s;
    }
    rep->unavailable = why;
    if (n_asked)
        wait_answers(asked, n_asked);
    int ok = 0;
    for (int i = 0; i < n_asked; i++) {
        finish(who[i], asked[i]);
        note_unanswered(rep, who[i]);
        ok += who[i]->capture == TL_CAPTURE_OK;
    }
    /* What captures cost is seen here: THREADLEAK_LOG=debug. */
    tl_log(TL_LOG_DEBUG,
           "running stacks: %d of %d threads asked answered, %d not asked, in %llu us", ok, n_asked,
           considered - n_asked, (unsigned long long)((tl_mono_ns() - start) / 1000));
}
