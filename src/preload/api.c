/* The public API: goleak for C. */
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <threadleak.h>
#include <unistd.h>

#include "common/clock.h"
#include "preload/config.h"
#include "preload/dump.h"
#include "preload/guard.h"
#include "preload/registry.h"
#include "preload/sampler_call.h"
#include "preload/symbolize.h"

struct threadleak_snapshot {
    int n;
    pid_t tids[];
};

/* Internal callers use this, never the exported symbol: a call through
 * the PLT could bind to another object's threadleak_active. */
static int active(void)
{
    return tl_enabled && tl_real_ready;
}

TL_EXPORT int threadleak_active(void)
{
    return active();
}

static int build_here(void *arg)
{
    int was_busy = tl_busy_enter();
    tl_dump_lock();
    *(tl_dump **)arg = tl_dump_build("api", 1, 0, 0);
    tl_symbolize_release_files();
    tl_dump_unlock();
    tl_busy_leave(was_busy);
    return 0;
}

/* On the sampler: symbolizing opens the program's ELF files. */
static tl_dump *build(void)
{
    tl_dump *d = NULL;
    tl_sampler_call(build_here, &d);
    return d;
}

static int unstarted(const tl_dump *d)
{
    for (int i = 0; i < d->n_threads; i++)
        if (d->threads[i].tid == 0)
            return 1;
    return 0;
}

/* Threads are told apart by tid, which a thread only has once it runs: a
 * thread created just before the snapshot may not have started yet, so the
 * snapshot waits (up to a second) until every thread in it has its tid. */
TL_EXPORT threadleak_snapshot *threadleak_snapshot_take(void)
{
    tl_dump *d = active() ? build() : NULL;
    for (int tries = 0; d && unstarted(d) && tries < 1000; tries++) {
        tl_dump_free(d);
        struct timespec ts = {0, 1000000};
        tl_real.nanosleep(&ts, NULL);
        d = build();
    }
    int n = d && d->n_threads > 0 ? d->n_threads : 0;
    threadleak_snapshot *s = malloc(sizeof *s + (size_t)n * sizeof(pid_t));
    if (s) {
        s->n = 0;
        for (int i = 0; i < n; i++)
            if (d->threads[i].tid != 0)
                s->tids[s->n++] = d->threads[i].tid;
    }
    tl_dump_free(d);
    return s;
}

TL_EXPORT void threadleak_snapshot_free(threadleak_snapshot *s)
{
    free(s);
}

static int in_snapshot(const threadleak_snapshot *s, pid_t tid)
{
    for (int i = 0; s && i < s->n; i++)
        if (s->tids[i] == tid)
            return 1;
    return 0;
}

static int stack_matches(const tl_stack *st, const char *const *globs)
{
    for (int i = 0; i < st->depth; i++)
        for (const char *const *g = globs; st->frames[i].function && *g; g++)
            if (fnmatch(*g, st->frames[i].function, 0) == 0)
                return 1;
    return 0;
}

/* The threads a test framework starts for itself are never a test's leak:
 * those whose pthread_create was called from the framework's own code. */
static int framework_thread(const tl_thread *t)
{
    if (t->spawn_stack.depth == 0)
        return 0;
    const char *m = t->spawn_stack.frames[0].module;
    return m && (strstr(m, "libcriterion") || strstr(m, "libboxfort") || strstr(m, "libnng") ||
                 strstr(m, "libnanomsg"));
}

static int leaked(const tl_thread *t, const threadleak_options *o, pid_t self)
{
    if (t->tid != 0 && (t->tid == self || t->tid == getpid()))
        return 0; /* tid 0: a thread that has not started running yet */
    if (o && in_snapshot(o->baseline, t->tid))
        return 0;
    if (o && o->ignore &&
        (stack_matches(&t->stack, o->ignore) || stack_matches(&t->spawn_stack, o->ignore)))
        return 0;
    return !framework_thread(t);
}

static int count_leaks(const tl_dump *d, const threadleak_options *o, pid_t self)
{
    int n = 0;
    for (int i = 0; i < d->n_threads; i++)
        n += leaked(&d->threads[i], o, self);
    return n;
}

static const tl_thread *thread_of(const tl_dump *d, pid_t tid)
{
    for (int k = 0; k < d->n_threads; k++)
        if (d->threads[k].tid == tid)
            return &d->threads[k];
    return NULL;
}

/* The cycles whose every thread is blamed: why those threads never end. */
static void report_deadlocks(FILE *out, const tl_dump *d, const threadleak_options *o, pid_t self)
{
    for (int i = 0; i < d->n_deadlocks; i++) {
        int blamed = 1;
        for (int k = 0; k < d->deadlocks[i].n && blamed; k++) {
            const tl_thread *t = thread_of(d, d->deadlocks[i].threads[k].tid);
            blamed = t && leaked(t, o, self);
        }
        if (!blamed)
            continue;
        tl_dump one = {.n_deadlocks = 1, .deadlocks = &d->deadlocks[i]};
        tl_write_deadlocks_text(out, &one);
    }
}

/* The groups of d reduced to the leaked threads, largest first. */
static void report(FILE *out, tl_dump *d, const threadleak_options *o, pid_t self, int leaks,
                   unsigned waited_ms)
{
    fprintf(out, "threadleak: found %d unexpected thread%s after waiting %u ms\n", leaks,
            leaks == 1 ? "" : "s", waited_ms);
    report_deadlocks(out, d, o, self);
    for (int g = 0; g < d->n_groups; g++) {
        tl_group *grp = &d->groups[g];
        int kept = 0;
        for (int i = 0; i < grp->n_tids; i++) {
            tl_thread *t = NULL;
            for (int k = 0; k < d->n_threads && !t; k++)
                if (d->threads[k].tid == grp->tids[i])
                    t = &d->threads[k];
            if (t && leaked(t, o, self))
                grp->tids[kept++] = grp->tids[i];
        }
        if (!kept)
            continue;
        grp->n_tids = grp->count = kept;
        fputc('\n', out);
        tl_write_group_text(out, grp);
    }
    fflush(out);
}

static uint64_t now_ms(void)
{
    return tl_mono_ns() / 1000000;
}

/* Retries with backoff (1 ms doubling to 100 ms) until no leak is left or
 * timeout_ms of wall time has passed since the call, however long each
 * look at the registry takes on a slow machine. */
TL_EXPORT int threadleak_verify_none(const threadleak_options *opts)
{
    FILE *out = opts && opts->report ? opts->report : stderr;
    if (!active()) {
        fprintf(out, "threadleak: not active in this process (see its earlier stderr line); "
                     "no threads were checked\n");
        fflush(out);
        return 0;
    }
    unsigned timeout = opts && opts->timeout_ms ? opts->timeout_ms : 2000;
    pid_t self = tl_gettid();
    uint64_t start = now_ms(), deadline = start + timeout;
    unsigned step = 1;
    for (;;) {
        tl_dump *d = build();
        if (!d)
            return 0;
        int leaks = count_leaks(d, opts, self);
        uint64_t now = now_ms();
        if (leaks == 0 || now >= deadline) {
            if (leaks)
                report(out, d, opts, self, leaks, (unsigned)(now - start));
            tl_dump_free(d);
            return leaks;
        }
        tl_dump_free(d);
        if (step > deadline - now)
            step = (unsigned)(deadline - now);
        struct timespec ts = {step / 1000, (long)(step % 1000) * 1000000};
        tl_real.nanosleep(&ts, NULL);
        step = step * 2 > 100 ? 100 : step * 2;
    }
}

TL_EXPORT int threadleak_dump(const char *path_stem, const char *formats)
{
    if (!active())
        return -ENOSYS;
    if (!path_stem || !*path_stem || tl_check_stem(path_stem) != 0)
        return -EINVAL;
    int f = formats ? tl_parse_formats(formats) : TL_FORMAT_TEXT;
    if (!f)
        return -EINVAL;
    struct tl_dump_request req = {
        path_stem, f, tl_config.detail_threads, "api", tl_config.running_stacks, 0};
    return tl_dump_write(&req);
}
