/* The dump of a process without the library: snapshot its threads with
 * ptrace (attach.c), unwind and name their frames (attach_unwind.c), tell
 * what each waits on (attach_wait.c), and group them like the library does,
 * into the same model and writers. What only the library knows (creation
 * stacks, how long a thread has waited, exited-unjoined threads, lifecycle
 * counts) is marked unknown, never guessed. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <uthash.h>

#include "cli/attach.h"
#include "cli/cli.h"
#include "common/clock.h"
#include "common/grouping.h"
#include "common/owners.h"
#include "common/stack_key.h"

/* How long the threads may stay stopped waiting for the last of them. */
#define PAUSE_LIMIT_MS 1000

struct sym {
    uint64_t key[2]; /* pc, activation */
    tl_frame frame;
    UT_hash_handle hh;
};

struct group {
    char *key;
    tl_group g;
    uint64_t *objects;
    UT_hash_handle hh;
};

/* The system call a stopped thread was blocked in, or -1. A wait that the
 * stop interrupted shows as one of the kernel's restart codes (or EINTR,
 * for the calls the kernel does not restart after a stop). */
static long blocked_syscall(const struct user_regs_struct *r)
{
    long ret = (long)r->rax;
    if ((long)r->orig_rax < 0)
        return -1;
    if (ret == -512 || ret == -513 || ret == -514 || ret == -516 || ret == -EINTR)
        return (long)r->orig_rax;
    return -1;
}

static tl_frame frame_of(tl_unwinder *u, struct sym **cache, uint64_t pc, int activation)
{
    uint64_t key[2] = {pc, (uint64_t)activation};
    struct sym *s;
    HASH_FIND(hh, *cache, key, sizeof key, s);
    if (s)
        return s->frame;
    s = tl_xcalloc(1, sizeof *s);
    memcpy(s->key, key, sizeof key);
    s->frame = tl_unwind_frame(u, pc, activation);
    HASH_ADD(hh, *cache, key, sizeof s->key, s);
    return s->frame;
}

static uint32_t read_u32(pid_t pid, uint64_t addr, int *ok)
{
    uint32_t v = 0;
    struct iovec local = {&v, sizeof v}, remote = {(void *)(uintptr_t)addr, sizeof v};
    *ok = process_vm_readv(pid, &local, 1, &remote, 1, 0) == (ssize_t)sizeof v;
    return v;
}

/* pthread_join sleeps on the joined thread's tid word; its pthread_t (what
 * the program and the library call the object) is that thread's TCB, the
 * fs base it was stopped with. */
static uint64_t join_object(tl_attach *a, uint64_t futex)
{
    int ok;
    uint32_t tid = read_u32(a->pid, futex, &ok);
    for (int i = 0; ok && tid && i < a->n; i++)
        if (a->t[i].tid == (pid_t)tid && a->t[i].stopped)
            return a->t[i].regs.fs_base;
    return futex;
}

/* What descriptor fd of pid is, as /proc/PID/fd shows it: "pipe:[42]",
 * "socket:[7]", a path. NULL when it cannot be read. Kept per distinct
 * target for the dump's lifetime. */
static const char *fd_target(pid_t pid, uint64_t fd)
{
    static struct target {
        char *s;
        UT_hash_handle hh;
    } * seen;
    char path[64], buf[4096];
    snprintf(path, sizeof path, "/proc/%d/fd/%llu", (int)pid, (unsigned long long)fd);
    ssize_t n = readlink(path, buf, sizeof buf - 1);
    if (n <= 0)
        return NULL;
    buf[n] = 0;
    struct target *t;
    HASH_FIND_STR(seen, buf, t);
    if (!t) {
        t = tl_xcalloc(1, sizeof *t);
        t->s = tl_xstrdup(buf);
        HASH_ADD_KEYPTR(hh, seen, t->s, strlen(t->s), t);
    }
    return t->s;
}

static void classify(tl_attach *a, tl_attach_thread *at, struct sym **cache, tl_unwinder *u,
                     tl_thread *t)
{
    long nr = -1;
    uint64_t args[6] = {0};
    if (at->stopped) {
        const struct user_regs_struct *r = &at->regs;
        nr = blocked_syscall(r);
        uint64_t v[6] = {r->rdi, r->rsi, r->rdx, r->r10, r->r8, r->r9};
        memcpy(args, v, sizeof v);
    } else if (at->sys_nr >= 0) {
        nr = at->sys_nr;
        memcpy(args, at->sys_args, sizeof args);
    }
    tl_frame *frames = tl_xcalloc((size_t)at->depth + 1, sizeof *frames);
    for (int i = 0; i < at->depth; i++)
        frames[i] = frame_of(u, cache, at->pcs[i], i == 0);
    tl_wait_guess w;
    tl_wait_classify(nr, args, frames, at->depth, &w);
    if (w.wait == TL_WAIT_JOIN && w.futex)
        w.object = join_object(a, w.futex);
    if ((nr == SYS_poll || nr == SYS_ppoll) && args[1] > 0) {
        int ok; /* like the library: the first descriptor polled */
        uint32_t fd = read_u32(a->pid, args[0], &ok);
        w.object = ok ? fd : 0;
    }
    if (w.wait == TL_WAIT_IO || (w.wait == TL_WAIT_POLL && w.object))
        t->target = fd_target(a->pid, w.object);
    t->tid = at->tid;
    memcpy(t->name, at->name, sizeof t->name);
    t->state = w.state;
    t->wait = w.wait;
    t->wait_call = w.wait_call;
    t->object = w.object;
    t->unknown = TL_UNKNOWN_SPAWN | TL_UNKNOWN_BLOCKED_NS;
    t->stack.depth = at->depth - w.skip;
    t->stack.frames = frames;
    if (w.skip)
        memmove(frames, frames + w.skip, (size_t)t->stack.depth * sizeof *frames);
}

static void add_to_group(struct group **groups, const tl_thread *t, pid_t pid)
{
    char *stack_key = tl_stack_source_key(&t->stack);
    char *key = NULL;
    if (asprintf(&key, "%d/%d/%s/%s", t->state, t->wait,
                 t->wait == TL_WAIT_NONE && t->wait_call ? t->wait_call : "",
                 stack_key ? stack_key : "") < 0)
        key = NULL;
    free(stack_key);
    if (!key) {
        tl_msg("out of memory");
        exit(TL_EXIT_FAIL);
    }
    struct group *g;
    HASH_FIND_STR(*groups, key, g);
    if (!g) {
        g = tl_xcalloc(1, sizeof *g);
        g->key = key;
        g->g.state = t->state;
        g->g.wait = t->wait;
        g->g.wait_call = t->wait_call;
        g->g.stack = t->stack;
        g->g.growth = -1;
        g->g.unknown = TL_UNKNOWN_SPAWN | TL_UNKNOWN_BLOCKED_NS;
        HASH_ADD_KEYPTR(hh, *groups, g->key, strlen(g->key), g);
    } else {
        free(key);
    }
    int n = g->g.count++;
    g->g.tids = tl_xrealloc(g->g.tids, (size_t)g->g.count, sizeof *g->g.tids);
    g->objects = tl_xrealloc(g->objects, (size_t)g->g.count, sizeof *g->objects);
    g->g.tids[n] = t->tid;
    g->objects[n] = t->object;
    if (g->g.wait_call && (!t->wait_call || strcmp(g->g.wait_call, t->wait_call)))
        g->g.wait_call = NULL;
    if (n == 0)
        g->g.target = t->target;
    else if (g->g.target != t->target) /* interned: same pointer, same target */
        g->g.target = NULL;
    if (t->tid == pid)
        g->g.has_main = 1;
}

static void finish_group(struct group *g)
{
    tl_group *out = &g->g;
    tl_group_set_objects(out, g->objects);
    out->n_tids = out->count;
    qsort(out->tids, (size_t)out->n_tids, sizeof *out->tids, tl_cmp_pid);
}

static char *program_of(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = 0;
    return tl_xstrdup(buf[0] ? buf : "?");
}

/* An attach dump and what it owns. */
struct built {
    tl_dump d;
    tl_attach a;
    tl_unwinder *u;
    struct sym *cache;
    int n_threads; /* entries of d.threads to free */
};

/* The dump's header: whose, when, and how long its threads were stopped. */
static void describe_dump(tl_dump *d, const tl_attach *a, uint64_t now)
{
    d->pid = a->pid;
    d->program = program_of(a->pid);
    d->number = 1;
    d->reason = "request";
    d->source = "ptrace";
    d->time_unix_ns = now;
    d->paused_threads = a->paused;
    d->pause_ns = a->pause_ns;
    d->pause_late = a->late;
    d->pause_free = a->free;
    d->counts.unknown = TL_UNKNOWN_LIFECYCLE;
}

/* Each thread seen, classified and counted, and the groups of them by stack. */
static void add_threads(struct built *b)
{
    tl_attach *a = &b->a;
    tl_dump *d = &b->d;
    d->threads = tl_xcalloc((size_t)a->n + 1, sizeof *d->threads);
    struct group *groups = NULL;
    for (int i = 0; i < a->n; i++) {
        tl_attach_thread *at = &a->t[i];
        if (!at->stopped && at->sys_nr == -2)
            continue; /* gone before it could be seen */
        tl_thread *t = &d->threads[d->n_threads++];
        classify(a, at, &b->cache, b->u, t);
        tl_counts_add(&d->counts, t->state, t->wait);
        add_to_group(&groups, t, d->pid);
    }
    b->n_threads = d->n_threads;
    d->counts.by_wait[TL_WAIT_NONE] = 0;
    d->n_groups = HASH_COUNT(groups);
    d->groups = tl_xcalloc((size_t)d->n_groups + 1, sizeof *d->groups);
    int k = 0;
    struct group *g, *tmp;
    HASH_ITER(hh, groups, g, tmp)
    {
        finish_group(g);
        d->groups[k++] = g->g;
        HASH_DEL(groups, g);
        free(g->objects);
        free(g->key);
        free(g);
    }
    qsort(d->groups, (size_t)d->n_groups, sizeof *d->groups, tl_group_order);
}

/* Snapshot, unwind, classify and group the threads of pid for which
 * keep(tid, arg) says yes (NULL: all; the others are not even stopped). 0,
 * or -1 after saying why. */
static int build(pid_t pid, struct built *b, tl_attach_want keep, void *arg)
{
    char err[1024] = "";
    memset(b, 0, sizeof *b);
    tl_attach *a = &b->a;
    a->want = keep;
    a->want_arg = arg;
    if (tl_attach_snapshot(a, pid, PAUSE_LIMIT_MS, err, sizeof err) != 0) {
        tl_msg("%s", err);
        return -1;
    }
    uint64_t now = tl_clock_ns(CLOCK_REALTIME);
    b->u = tl_unwind_open(a, err, sizeof err);
    if (!b->u) {
        if (kill(pid, 0) != 0 && errno == ESRCH)
            snprintf(err, sizeof err, "pid %d exited during the dump", (int)pid);
        tl_msg("%s", err);
        return -1;
    }
    tl_unwind_all(b->u);
    tl_attach_reap_late(a);
    describe_dump(&b->d, a, now);
    add_threads(b);
    if (!keep) /* --attach: the library's threads own the locks, not ours */
        tl_attach_owners(a, &b->d);
    return 0;
}

static void unbuild(struct built *b)
{
    tl_dump *d = &b->d;
    tl_owners_free(d);
    for (int i = 0; i < d->n_groups; i++)
        free(d->groups[i].tids);
    free(d->groups);
    for (int i = 0; i < b->n_threads; i++)
        free(d->threads[i].stack.frames);
    free(d->threads);
    free((char *)d->program);
    struct sym *s, *stmp;
    HASH_ITER(hh, b->cache, s, stmp)
    {
        HASH_DEL(b->cache, s);
        free(s);
    }
    tl_unwind_close(b->u);
    tl_attach_free(&b->a);
}

static int write_out(tl_dump *d, int format, int threads, FILE *out)
{
    int n_threads = d->n_threads;
    if (!threads)
        d->n_threads = -1;
    int rc = format == TL_OUT_PPROF  ? tl_write_pprof(out, d, 1)
             : format == TL_OUT_JSON ? tl_write_json(out, d)
                                     : tl_write_text(out, d);
    d->n_threads = n_threads;
    if (fflush(out) != 0)
        rc = -1;
    if (rc != 0)
        tl_msg("cannot write the dump: %s", strerror(errno));
    return rc ? TL_EXIT_FAIL : TL_EXIT_OK;
}

int tl_attach_dump(pid_t pid, int format, int threads, FILE *out)
{
    struct built b;
    int rc = build(pid, &b, NULL, NULL) == 0 ? write_out(&b.d, format, threads, out) : TL_EXIT_FAIL;
    unbuild(&b);
    return rc;
}

/* ---- --attach on a preloaded process: the library's dump, and ptrace for
 * the threads it does not track ---- */

struct known {
    pid_t pid;
    pid_t *tids;
    int n;
};

static int untracked(pid_t tid, void *arg)
{
    const struct known *k = arg;
    if (bsearch(&tid, k->tids, (size_t)k->n, sizeof tid, tl_cmp_pid))
        return 0;
    char name[32] = "";
    tl_attach_comm(k->pid, tid, name, sizeof name);
    return strcmp(name, "threadleak") != 0; /* the library's sampler */
}

int tl_attach_merge(pid_t pid, const char *lib_json, int format, int threads, FILE *out)
{
    char err[512];
    tl_dump_file *f = tl_dump_load(lib_json, err, sizeof err);
    if (!f) {
        tl_msg("the dump of pid %d: %s", (int)pid, err);
        return TL_EXIT_FAIL;
    }
    tl_dump *lib = tl_dump_of(f);
    struct known k = {.pid = pid};
    for (int i = 0; i < lib->n_groups; i++)
        k.n += lib->groups[i].n_tids;
    k.tids = tl_xcalloc((size_t)k.n + 1, sizeof *k.tids);
    k.n = 0;
    for (int i = 0; i < lib->n_groups; i++)
        for (int j = 0; j < lib->groups[i].n_tids; j++)
            k.tids[k.n++] = lib->groups[i].tids[j];
    qsort(k.tids, (size_t)k.n, sizeof *k.tids, tl_cmp_pid);
    struct built b;
    int rc = TL_EXIT_FAIL;
    if (build(pid, &b, untracked, &k) == 0) {
        tl_dump m = *lib;
        tl_dump *a = &b.d;
        m.source = "preload+ptrace";
        m.paused_threads = a->paused_threads;
        m.pause_ns = a->pause_ns;
        m.pause_late = a->pause_late;
        m.pause_free = a->pause_free;
        m.n_groups = lib->n_groups + a->n_groups;
        m.groups = tl_xcalloc((size_t)m.n_groups + 1, sizeof *m.groups);
        memcpy(m.groups, lib->groups, (size_t)lib->n_groups * sizeof *m.groups);
        memcpy(m.groups + lib->n_groups, a->groups, (size_t)a->n_groups * sizeof *m.groups);
        qsort(m.groups, (size_t)m.n_groups, sizeof *m.groups, tl_group_order);
        m.counts.live += a->counts.live;
        m.counts.blocked += a->counts.blocked;
        m.counts.running += a->counts.running;
        for (int w = 0; w < TL_WAIT_COUNT; w++)
            m.counts.by_wait[w] += a->counts.by_wait[w];
        if (lib->n_threads >= 0) {
            m.n_threads = lib->n_threads + a->n_threads;
            m.threads = tl_xcalloc((size_t)m.n_threads + 1, sizeof *m.threads);
            memcpy(m.threads, lib->threads, (size_t)lib->n_threads * sizeof *m.threads);
            memcpy(m.threads + lib->n_threads, a->threads,
                   (size_t)a->n_threads * sizeof *m.threads);
        }
        rc = write_out(&m, format, threads, out);
        free(m.groups);
        if (lib->n_threads >= 0)
            free(m.threads);
    }
    unbuild(&b);
    free(k.tids);
    tl_dump_file_free(f);
    return rc;
}
