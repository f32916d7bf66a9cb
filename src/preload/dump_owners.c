/* Lock owners and the wait-for graph at dump time. Everything here is a
 * hint read without stopping anyone, so a cycle is only reported when it
 * cannot be a mix of moments: every thread on it was blocked in the same
 * wait from before its owner was read until after (see cycle_holds), and
 * still is a moment later (cycle_stays). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/owners.h"
#include "common/waitfor.h"
#include "preload/dump_owners.h"
#include "preload/lock_owner.h"
#include "preload/program.h"
#include "preload/registry.h"
#include "preload/stacks.h"
#include "preload/symbolize.h"
#include "preload/unloaded.h"

struct key {
    uint64_t k;
    int snap;
};

struct ctx {
    const struct tl_snap *snaps;
    int n;
    struct key *by_tid, *by_handle;
    int *group_of; /* per snap */
    tl_stack_of_fn stack_of;
    void *stack_ctx;
};

static int cmp_key(const void *a, const void *b)
{
    const struct key *x = a, *y = b;
    return x->k < y->k ? -1 : x->k > y->k;
}

static int find(const struct key *keys, int n, uint64_t k)
{
    struct key want = {k, 0};
    const struct key *hit = bsearch(&want, keys, (size_t)n, sizeof *keys, cmp_key);
    return hit ? hit->snap : -1;
}

static tl_frame first_frame(struct ctx *c, uint32_t stack)
{
    tl_frame none = {0};
    if (!stack)
        return none;
    tl_stack st = c->stack_of(c->stack_ctx, stack);
    return st.depth > 0 ? st.frames[0] : none;
}

/* A thread that is gone may still have its slot (a detached thread's slot
 * is only cleared when claimed again): its start routine and creator. */
static void describe_gone(pid_t tid, tl_owner *o)
{
    uint32_t n = tl_slot_count();
    for (uint32_t i = 0; i < n; i++) {
        struct tl_slot *s = tl_slot_at(i);
        if (*(volatile pid_t *)&s->tid != tid)
            continue;
        uint32_t gen = __atomic_load_n(&s->gen, __ATOMIC_ACQUIRE);
        tl_start_fn start = *(tl_start_fn volatile *)&s->start;
        uint32_t spawn = *(volatile uint32_t *)&s->spawn_stack;
        char name[16];
        memcpy(name, (const void *)s->name, sizeof name);
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        if (__atomic_load_n(&s->gen, __ATOMIC_RELAXED) != gen || *(volatile pid_t *)&s->tid != tid)
            return;
        name[sizeof name - 1] = 0;
        memcpy(o->name, name, sizeof o->name);
        if (start && !(s->life & TL_LIFE_ADOPTED))
            o->at = tl_symbolize_at((uint64_t)(uintptr_t)start + 1, tl_unload_epoch());
        const uint64_t *ips;
        uint32_t epoch;
        if (spawn && tl_stack_get(spawn, &ips, &epoch) > 0)
            o->created = tl_symbolize_at(ips[0], epoch);
        return;
    }
}

/* The thread tid as an owner: its state and where it is. */
static void describe(struct ctx *c, pid_t tid, int pshared, tl_owner *o)
{
    o->tid = tid;
    o->group = -1;
    int k = find(c->by_tid, c->n, (uint64_t)tid);
    if (k >= 0) {
        const struct tl_snap *s = &c->snaps[k];
        memcpy(o->name, s->name, sizeof o->name);
        /* main, unless it was given a name of its own */
        if (tid == getpid() && (!o->name[0] || strcmp(o->name, tl_program_comm()) == 0))
            snprintf(o->name, sizeof o->name, "main");
        else if (!o->name[0] && s->state != TL_EXITED)
            tl_thread_comm(tid, o->name, sizeof o->name);
        o->state = s->state;
        o->wait = s->wait;
        o->wait_call = s->call;
        o->object = s->object;
        o->group = c->group_of ? c->group_of[k] : -1;
        o->at = first_frame(c, s->stack);
        if (s->state == TL_EXITED) {
            o->at = first_frame(c, 0);
            describe_gone(tid, o);
            o->created = first_frame(c, s->spawn);
        }
        return;
    }
    if (!tl_tid_gone(tid)) {
        o->state = TL_RUNNING;
        o->flags |= TL_OWNER_UNTRACKED;
        tl_thread_comm(tid, o->name, sizeof o->name);
        return;
    }
    o->state = TL_EXITED;
    o->flags |= pshared ? TL_OWNER_FOREIGN : TL_OWNER_GONE;
    if (!pshared)
        describe_gone(tid, o);
}

/* The lock a blocked thread's owner is read from: its mutex or rwlock, or
 * its condvar wait's mutex; 0 for other waits. */
static uint64_t lock_of(const struct tl_snap *s, int *rw)
{
    *rw = s->wait == TL_WAIT_RWLOCK;
    if (s->state != TL_BLOCKED)
        return 0;
    if (s->wait == TL_WAIT_MUTEX || s->wait == TL_WAIT_RWLOCK)
        return s->object;
    return s->wait == TL_WAIT_COND ? s->aux : 0;
}

static void resolve_lock(struct ctx *c, uint64_t addr, int rw, tl_owner *o)
{
    struct tl_lock_owner lo;
    tl_lock_owner(addr, rw, &lo);
    tl_owner_of_lock(o, &lo);
    if (lo.tid > 0)
        describe(c, lo.tid, lo.pshared, o);
}

static void resolve_join(struct ctx *c, const struct tl_snap *s, tl_owner *o)
{
    memset(o, 0, sizeof *o);
    o->group = -1;
    o->known = 1;
    int k = find(c->by_handle, c->n, s->object);
    if (k >= 0)
        describe(c, c->snaps[k].tid, 0, o);
    else
        o->flags |= TL_OWNER_UNTRACKED;
}

struct lock_key {
    uint64_t addr;
    int rw, snap;
};

static int cmp_lock(const void *a, const void *b)
{
    const struct lock_key *x = a, *y = b;
    if (x->addr != y->addr)
        return x->addr < y->addr ? -1 : 1;
    return x->rw - y->rw;
}

/* Every blocked thread's owner. Each lock is read and its owner described
 * once, however many threads wait on it (10,000 on one condvar's mutex). */
static void resolve_all(struct ctx *c, tl_owner *own)
{
    struct lock_key *keys = malloc(((size_t)c->n + 1) * sizeof *keys);
    if (!keys)
        return;
    int m = 0;
    for (int i = 0; i < c->n; i++) {
        const struct tl_snap *s = &c->snaps[i];
        own[i].group = -1;
        int rw;
        uint64_t addr = lock_of(s, &rw);
        if (addr)
            keys[m++] = (struct lock_key){addr, rw, i};
        else if (s->state == TL_BLOCKED && s->wait == TL_WAIT_JOIN)
            resolve_join(c, s, &own[i]);
    }
    qsort(keys, (size_t)m, sizeof *keys, cmp_lock);
    for (int i = 0; i < m; i++) {
        tl_owner *o = &own[keys[i].snap];
        if (i > 0 && keys[i].addr == keys[i - 1].addr && keys[i].rw == keys[i - 1].rw)
            *o = own[keys[i - 1].snap];
        else
            resolve_lock(c, keys[i].addr, keys[i].rw, o);
        o->mutex = c->snaps[keys[i].snap].wait == TL_WAIT_COND ? keys[i].addr : 0;
    }
    free(keys);
}

/* The snap the owner o is, when s waiting for it is an edge of the
 * wait-for graph. */
static int next_of(struct ctx *c, const struct tl_snap *s, const tl_owner *o)
{
    if (!tl_waitfor_edge(s->tid, s->wait, s->call, o))
        return -1;
    return find(c->by_tid, c->n, (uint64_t)o->tid);
}

/* Each thread of the cycle was blocked in one wait from its snapshot
 * (before its owner was read) until now, and each held the next one's
 * lock at some moment in that span. A blocked thread can neither take
 * nor release a lock, so all of it held at once, and still does. */
static int cycle_holds(struct ctx *c, const int *members, int m)
{
    for (int i = 0; i < m; i++)
        if (!tl_snap_still(&c->snaps[members[i]]))
            return 0;
    return 1;
}

/* The one gap in that argument: a thread whose lock call has returned but
 * that has not yet cleared its note (preempted right there) "waits" on a
 * lock it holds. Seen from outside it is a thread waiting for itself, so a
 * cycle is read once more a little later (one pause for all of them): a
 * real one has not moved. */
static int cycle_stays(struct ctx *c, const int *members, int m)
{
    for (int i = 0; i < m; i++) {
        const struct tl_snap *s = &c->snaps[members[i]];
        pid_t next = c->snaps[members[(i + 1) % m]].tid;
        struct tl_lock_owner lo = {0};
        if (s->wait == TL_WAIT_MUTEX || s->wait == TL_WAIT_RWLOCK)
            tl_lock_owner(s->object, s->wait == TL_WAIT_RWLOCK, &lo);
        else
            lo.tid = next; /* a join's target does not change */
        if (lo.tid != next)
            return 0;
    }
    return cycle_holds(c, members, m);
}

static void add_deadlock(struct ctx *c, tl_dump *d, const int *members, int m, const tl_owner *own)
{
    tl_cycle_thread *t = tl_dump_add_deadlock(d, m);
    if (!t)
        return;
    for (int i = 0; i < m; i++) {
        const struct tl_snap *s = &c->snaps[members[i]];
        t[i].tid = s->tid;
        memcpy(t[i].name, s->name, sizeof t[i].name);
        if (!t[i].name[0])
            tl_thread_comm(s->tid, t[i].name, sizeof t[i].name);
        t[i].wait = s->wait;
        t[i].wait_call = s->call;
        t[i].object = s->object;
        t[i].owner_tid = own[members[i]].tid;
        t[i].stack = c->stack_of(c->stack_ctx, s->stack);
    }
}

static void find_deadlocks(struct ctx *c, tl_dump *d, const tl_owner *own)
{
    int *next = malloc(((size_t)c->n + 1) * sizeof *next);
    int *cycle = malloc(((size_t)c->n + 1) * sizeof *cycle);
    int *members = malloc(((size_t)c->n + 1) * sizeof *members);
    pid_t *tids = malloc(((size_t)c->n + 1) * sizeof *tids);
    int *held = NULL;
    if (!next || !cycle || !members || !tids)
        goto out;
    for (int i = 0; i < c->n; i++) {
        next[i] = next_of(c, &c->snaps[i], &own[i]);
        tids[i] = c->snaps[i].tid;
    }
    int cycles = tl_waitfor_cycles(next, c->n, cycle), candidates = 0;
    if (!cycles || !(held = calloc((size_t)cycles, sizeof *held)))
        goto out;
    for (int k = 0; k < cycles; k++) {
        int m = tl_waitfor_members(next, cycle, c->n, k, tids, members);
        candidates += held[k] = cycle_holds(c, members, m);
    }
    if (!candidates)
        goto out;
    struct timespec pause = {0, 20 * 1000 * 1000};
    tl_real.nanosleep(&pause, NULL);
    for (int k = 0; k < cycles; k++) {
        int m = tl_waitfor_members(next, cycle, c->n, k, tids, members);
        if (held[k] && cycle_stays(c, members, m))
            add_deadlock(c, d, members, m, own);
    }
out:
    free(next);
    free(cycle);
    free(members);
    free(tids);
    free(held);
}

static int snap_of(const void *ctx, pid_t tid)
{
    const struct ctx *c = ctx;
    return find(c->by_tid, c->n, (uint64_t)tid);
}

TL_HIDDEN void tl_dump_owners(tl_dump *d, const struct tl_snap *snaps, int n,
                              tl_stack_of_fn stack_of, void *stack_ctx)
{
    struct ctx c = {snaps, n, NULL, NULL, NULL, stack_of, stack_ctx};
    c.by_tid = malloc(((size_t)n + 1) * sizeof *c.by_tid);
    c.by_handle = malloc(((size_t)n + 1) * sizeof *c.by_handle);
    tl_owner *own = calloc((size_t)n + 1, sizeof *own);
    if (!c.by_tid || !c.by_handle || !own)
        goto out;
    for (int i = 0; i < n; i++) {
        c.by_tid[i] = (struct key){(uint64_t)snaps[i].tid, i};
        c.by_handle[i] = (struct key){snaps[i].handle, i};
    }
    qsort(c.by_tid, (size_t)n, sizeof *c.by_tid, cmp_key);
    qsort(c.by_handle, (size_t)n, sizeof *c.by_handle, cmp_key);
    c.group_of = tl_groups_of(d, n, snap_of, &c);
    resolve_all(&c, own);
    tl_groups_set_owners(d, own, snap_of, &c);
    for (int i = 0; i < d->n_threads; i++) {
        int s = find(c.by_tid, n, (uint64_t)d->threads[i].tid);
        if (s >= 0)
            d->threads[i].owner = own[s];
    }
    find_deadlocks(&c, d, own);
out:
    free(c.by_tid);
    free(c.by_handle);
    free(c.group_of);
    free(own);
}
