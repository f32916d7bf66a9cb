/* Lock owners and deadlock cycles of a dump taken with ptrace, as the
 * library adds them to its own dumps (src/preload/dump_owners.c): the
 * owner of a mutex or rwlock wait decoded from the lock's bytes
 * (common/lock_word.c), the thread a join waits for from the tid word it
 * sleeps on. The bytes were copied while every thread was stopped, so a
 * cycle among stopped threads is a cycle at that moment, and a cycle of
 * waits that do not time out stays one: no second look is needed, unlike
 * the library's, which reads lock words while the threads run. */
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/attach.h"
#include "cli/cli.h"
#include "common/lock_word.h"
#include "common/owners.h"
#include "common/waitfor.h"

struct ctx {
    tl_attach *a;
    tl_dump *d;
    int *group_of; /* per thread of d */
    char main_comm[16];
};

static int cmp_thread_tid(const void *k, const void *e)
{
    pid_t x = *(const pid_t *)k, y = ((const tl_thread *)e)->tid;
    return x < y ? -1 : x > y;
}

static int cmp_attach_tid(const void *k, const void *e)
{
    pid_t x = *(const pid_t *)k, y = ((const tl_attach_thread *)e)->tid;
    return x < y ? -1 : x > y;
}

/* Index of tid among d's threads (sorted by tid, as a's are), or -1. */
static int thread_index(const tl_dump *d, pid_t tid)
{
    const tl_thread *t = bsearch(&tid, d->threads, (size_t)d->n_threads, sizeof *t, cmp_thread_tid);
    return t ? (int)(t - d->threads) : -1;
}

static tl_attach_thread *attach_thread(tl_attach *a, pid_t tid)
{
    return bsearch(&tid, a->t, (size_t)a->n, sizeof *a->t, cmp_attach_tid);
}

static int task_exists(pid_t pid, pid_t tid)
{
    char path[96];
    snprintf(path, sizeof path, "/proc/%d/task/%d", (int)pid, (int)tid);
    return access(path, F_OK) == 0;
}

/* The thread tid as an owner: its state and where it is. */
static void describe(struct ctx *c, pid_t tid, int pshared, tl_owner *o)
{
    o->tid = tid;
    o->group = -1;
    int k = thread_index(c->d, tid);
    if (k >= 0) {
        const tl_thread *t = &c->d->threads[k];
        memcpy(o->name, t->name, sizeof o->name);
        o->name[sizeof o->name - 1] = 0;
        /* main, unless it was given a name of its own */
        if (tid == c->d->pid && (!o->name[0] || strcmp(o->name, c->main_comm) == 0))
            snprintf(o->name, sizeof o->name, "main");
        o->state = t->state;
        o->wait = t->wait;
        o->wait_call = t->wait_call;
        o->object = t->object;
        o->group = c->group_of ? c->group_of[k] : -1;
        if (t->stack.depth > 0)
            o->at = t->stack.frames[0];
        return;
    }
    if (task_exists(c->d->pid, tid)) { /* started after the snapshot */
        o->state = TL_RUNNING;
        o->flags |= TL_OWNER_UNTRACKED;
        tl_attach_comm(c->d->pid, tid, o->name, sizeof o->name);
        return;
    }
    o->state = TL_EXITED;
    o->flags |= pshared ? TL_OWNER_FOREIGN : TL_OWNER_GONE;
}

/* Thread k's owner; 1 when it was read while every thread was stopped. */
static int resolve(struct ctx *c, int k, tl_owner *o)
{
    const tl_thread *t = &c->d->threads[k];
    tl_attach_thread *at = attach_thread(c->a, t->tid);
    memset(o, 0, sizeof *o);
    o->group = -1;
    if (!at || t->state != TL_BLOCKED)
        return 0;
    union {
        pthread_mutex_t m;
        pthread_rwlock_t l;
        uint32_t tid;
    } buf;
    int snap = 0;
    struct tl_lock_owner lo;
    if (t->wait == TL_WAIT_MUTEX || t->wait == TL_WAIT_RWLOCK) {
        int rw = t->wait == TL_WAIT_RWLOCK;
        const void *bytes = tl_attach_lock_bytes(c->a, at, t->object,
                                                 rw ? sizeof buf.l : sizeof buf.m, &buf, &snap);
        tl_lock_word_owner(bytes, rw, &lo);
        tl_owner_of_lock(o, &lo);
        if (lo.tid > 0)
            describe(c, lo.tid, lo.pshared, o);
        return snap;
    }
    if (t->wait != TL_WAIT_JOIN)
        return 0;
    /* pthread_join sleeps on the joined thread's tid word. */
    const uint32_t *word =
        tl_attach_lock_bytes(c->a, at, tl_attach_futex(at), sizeof buf.tid, &buf, &snap);
    if (!word)
        return 0;
    uint32_t tid;
    memcpy(&tid, word, sizeof tid);
    o->known = 1;
    if (tid) {
        describe(c, (pid_t)tid, 0, o);
    } else { /* exited: the join is about to return */
        o->state = TL_EXITED;
        o->flags |= TL_OWNER_GONE;
    }
    return snap;
}

static void add_deadlock(tl_dump *d, const int *members, int m, const tl_owner *own)
{
    tl_cycle_thread *ct = tl_dump_add_deadlock(d, m);
    if (!ct)
        tl_die_oom();
    for (int i = 0; i < m; i++) {
        const tl_thread *t = &d->threads[members[i]];
        ct[i].tid = t->tid;
        memcpy(ct[i].name, t->name, sizeof ct[i].name);
        ct[i].wait = t->wait;
        ct[i].wait_call = t->wait_call;
        ct[i].object = t->object;
        ct[i].owner_tid = own[members[i]].tid;
        ct[i].stack = t->stack; /* d's thread owns the frames */
    }
}

/* Only threads that were stopped, with owners read during the stop, are
 * on a cycle: the others' waits and owners are of different moments. */
static void find_deadlocks(struct ctx *c, const tl_owner *own, const int *snap)
{
    tl_dump *d = c->d;
    int n = d->n_threads;
    int *next = tl_xcalloc((size_t)n + 1, sizeof *next);
    int *cycle = tl_xcalloc((size_t)n + 1, sizeof *cycle);
    int *members = tl_xcalloc((size_t)n + 1, sizeof *members);
    pid_t *tids = tl_xcalloc((size_t)n + 1, sizeof *tids);
    for (int i = 0; i < n; i++) {
        const tl_thread *t = &d->threads[i];
        tids[i] = t->tid;
        next[i] = -1;
        if (!snap[i] || !tl_waitfor_edge(t->tid, t->wait, t->wait_call, &own[i]))
            continue;
        int k = thread_index(d, own[i].tid);
        const tl_attach_thread *at = k >= 0 ? attach_thread(c->a, own[i].tid) : NULL;
        if (at && at->stopped)
            next[i] = k;
    }
    int cycles = tl_waitfor_cycles(next, n, cycle);
    for (int k = 0; k < cycles; k++) {
        int m = tl_waitfor_members(next, cycle, n, k, tids, members);
        add_deadlock(d, members, m, own);
    }
    free(next);
    free(cycle);
    free(members);
    free(tids);
}

static int index_of_tid(const void *d, pid_t tid)
{
    return thread_index(d, tid);
}

void tl_attach_owners(tl_attach *a, tl_dump *d)
{
    struct ctx c = {a, d, NULL, ""};
    int n = d->n_threads;
    if (n <= 0)
        return;
    /* The main thread's name when nobody renamed it: its program's. */
    char *prog = tl_xstrdup(d->program ? d->program : "");
    snprintf(c.main_comm, sizeof c.main_comm, "%s", basename(prog));
    free(prog);
    c.group_of = tl_groups_of(d, n, index_of_tid, d);
    tl_owner *own = tl_xcalloc((size_t)n + 1, sizeof *own);
    int *snap = tl_xcalloc((size_t)n + 1, sizeof *snap);
    for (int i = 0; i < n; i++) {
        const tl_attach_thread *at = attach_thread(a, d->threads[i].tid);
        snap[i] = resolve(&c, i, &own[i]) && at && at->stopped;
        d->threads[i].owner = own[i];
    }
    tl_groups_set_owners(d, own, index_of_tid, d);
    find_deadlocks(&c, own, snap);
    free(snap);
    free(own);
    free(c.group_of);
}
